"""Benchmark: every pass of the whole 2026 active catalog over one site for 24 h.

Usage: python benchmarks/passes.py [--catalog CSV] [--site LAT,LON,ALT_M] [--hours H]
       [--min-el DEG] [--baseline-n N]

Prints the wall time of ``orbitwatch.tracking.passes.find_passes`` for the
whole catalog, and as a baseline skyfield's ``EarthSatellite.find_events``
on a random subset of ``--baseline-n`` objects, scaled to the full catalog
(time per object x number of objects).  Target (issue 7): under 60 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

CATALOG = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "catalog"
    / "celestrak_active_gp_2026-07-10.csv"
)


def load_satrecs(path: Path):
    """Satrecs from an OMM CSV, through orbitwatch.elements.read_file when available."""
    try:
        from orbitwatch.elements import read_file  # type: ignore[attr-defined]

        res = read_file(path)
        return [es.to_satrec() for es in res.element_sets]
    except ImportError:
        from sgp4 import omm
        from sgp4.api import Satrec

        sats = []
        with open(path) as fh:
            for fields in omm.parse_csv(fh):
                s = Satrec()
                omm.initialize(s, fields)
                sats.append(s)
        return sats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", type=Path, default=CATALOG)
    ap.add_argument("--site", default="38.0,-77.0,100")
    ap.add_argument("--start", default="2026-07-10T00:00:00Z")
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--min-el", type=float, default=10.0)
    ap.add_argument("--baseline-n", type=int, default=40)
    args = ap.parse_args()
    if not args.catalog.exists():
        print(f"catalog not found: {args.catalog}", file=sys.stderr)
        return 2

    from orbitwatch.timeutil import parse_iso
    from orbitwatch.tracking.passes import find_passes
    from orbitwatch.tracking.sites import site_from_coords

    t0 = time.perf_counter()
    sats = load_satrecs(args.catalog)
    t_load = time.perf_counter() - t0
    site = site_from_coords(args.site, min_elevation_deg=args.min_el)
    start = parse_iso(args.start)
    end = start + timedelta(hours=args.hours)

    t0 = time.perf_counter()
    c0 = time.process_time()
    passes = find_passes(sats, site, start, end)
    t_ours = time.perf_counter() - t0
    c_ours = time.process_time() - c0
    n_obj = len({p.norad_id for p in passes})
    print(
        f"catalog: {len(sats)} objects (loaded in {t_load:.1f} s); site {site.name}; "
        f"{args.hours:g} h from {args.start}; min elevation {args.min_el:g} deg"
    )
    print(
        f"orbitwatch find_passes: {len(passes)} passes of {n_obj} objects in {t_ours:.1f} s "
        f"({'PASS' if t_ours < 60 else 'FAIL'} vs the 60 s target); CPU time {c_ours:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )

    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    topo = wgs84.latlon(site.lat_deg, site.lon_deg, elevation_m=site.alt_m)
    rng = random.Random(7)
    subset = rng.sample(sats, min(args.baseline_n, len(sats)))
    t0 = time.perf_counter()
    c0 = time.process_time()
    n_sky = 0
    for s in subset:
        es = EarthSatellite.from_satrec(s, ts)
        _, ev = es.find_events(
            topo, ts.from_datetime(start), ts.from_datetime(end), altitude_degrees=args.min_el
        )
        n_sky += int((ev == 0).sum())
    t_sky = time.perf_counter() - t0
    c_sky = time.process_time() - c0
    scaled = t_sky / len(subset) * len(sats)
    c_scaled = c_sky / len(subset) * len(sats)
    print(
        f"skyfield find_events baseline: {len(subset)} objects in {t_sky:.1f} s wall / {c_sky:.1f} s CPU -> "
        f"{scaled:.0f} s wall / {c_scaled:.0f} s CPU scaled to {len(sats)} objects; "
        f"speed-up x{scaled / t_ours:.1f} wall, x{c_scaled / c_ours:.1f} CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
