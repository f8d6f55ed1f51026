"""Benchmark: all-vs-all conjunction screening vs a bare SatrecArray propagation.

For the 17,399-object 2018 catalog (keeptrack TLE_2018-08-20) at a 5 km
threshold it prints, per (objects, span): wall time of ``screen``, the time a
bare ``SatrecArray.sgp4`` call needs to propagate the same objects over the
same span at 60 s steps (measured in the same child process, right before),
their ratio, pair-intervals returned by the spatial index, candidate
intervals (proven bound <= threshold), refined brackets, events, and peak RSS.
Each configuration runs in a fresh child process so peak memory is its own.

    .venv/bin/python benchmarks/screen.py                  # 1 d: 1k, 4k, 17k; 7 d: 17k
    .venv/bin/python benchmarks/screen.py --sizes 17399 --days 1 7 --workers 2

Timings on a shared machine are noisy; the ratio is what to compare.  CPU
times (``time.process_time`` plus finished worker processes) are printed too:
on a loaded machine their ratio is the steadier figure (with workers the CPU
ratio is the total work, the wall ratio what a user waits).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ORBITWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
CATALOG = DATA / "catalog" / "keeptrack" / "TLE_2018-08-20_keeptrack.json"
START = datetime(2018, 8, 20, tzinfo=UTC)
# --catalog 2026: CelesTrak's active payloads of 2026-07-10 (15,985 objects)
CATALOG_2026 = DATA / "catalog" / "celestrak_active_gp_2026-07-10.csv"
START_2026 = datetime(2026, 7, 10, tzinfo=UTC)
WHICH = "2018"


def load(n: int | None):
    from sgp4.api import WGS72, Satrec

    if WHICH == "2026":
        import csv

        from sgp4 import omm

        with open(CATALOG_2026) as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = json.loads(CATALOG.read_text())
    if n is not None and n < len(rows):
        rng = np.random.default_rng(2018)
        rows = [rows[k] for k in sorted(rng.choice(len(rows), n, replace=False))]
    if WHICH == "2026":
        sats = []
        for r in rows:
            s = Satrec()
            omm.initialize(s, r)
            sats.append(s)
        names = {s.satnum: r.get("OBJECT_NAME") for s, r in zip(sats, rows)}
    else:
        sats = [Satrec.twoline2rv(r["TLE1"], r["TLE2"], WGS72) for r in rows]
        names = {s.satnum: r.get("ON") for s, r in zip(sats, rows)}
    return sats, names


def start() -> datetime:
    return START_2026 if WHICH == "2026" else START


def bare_propagation_s(sats, span_s: float, step_s: float = 60.0, chunk: int = 60) -> float:
    from sgp4.api import SatrecArray, jday

    arr = SatrecArray(sats)
    t0_ = start()
    jd0, fr0 = jday(t0_.year, t0_.month, t0_.day, 0, 0, 0.0)
    n = int(round(span_s / step_s)) + 1
    t0 = time.perf_counter()
    for k in range(0, n, chunk):
        ks = np.arange(k, min(n, k + chunk))
        arr.sgp4(np.full(ks.size, jd0), fr0 + ks * step_s / 86400.0)
    return time.perf_counter() - t0


def one(n: int | None, days: float, threshold_km: float, workers: int | None) -> dict:
    from orbitwatch.screening import screen

    sats, names = load(n)
    span = days * 86400.0
    c0 = time.process_time()
    base = bare_propagation_s(sats, span)
    base_cpu = time.process_time() - c0

    def cpu_with_children() -> float:
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + ch.ru_utime + ch.ru_stime

    c0 = cpu_with_children()
    t0 = time.perf_counter()
    res = screen(sats, start(), span, threshold_km, workers=workers, names=names)
    wall = time.perf_counter() - t0
    cpu = cpu_with_children() - c0
    st = res.stats
    return {
        "objects": len(sats), "days": days, "threshold_km": threshold_km, "workers": workers or 1,
        "screen_s": round(wall, 2), "bare_sgp4_60s_s": round(base, 2), "ratio": round(wall / base, 2),
        "screen_cpu_s": round(cpu, 2), "bare_cpu_s": round(base_cpu, 2), "cpu_ratio": round(cpu / base_cpu, 2),
        "broad_pair_intervals": st.broad_pairs, "candidate_intervals": st.candidate_intervals,
        "brackets": st.brackets, "events": len(res.conjunctions), "failures": len(res.failures),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=None, help="object counts (default 1000 4000 17399)")
    ap.add_argument("--days", type=float, nargs="*", default=None, help="spans in days (default 1 7)")
    ap.add_argument("--threshold-km", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--catalog", choices=("2018", "2026"), default="2018",
                    help="2018: keeptrack full catalog (default); 2026: CelesTrak active payloads")
    ap.add_argument("--child", nargs=2, metavar=("N", "DAYS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    global WHICH
    WHICH = args.catalog
    if args.child:
        n = int(args.child[0])
        print(json.dumps(one(n if n > 0 else None, float(args.child[1]), args.threshold_km, args.workers)))
        return
    path = CATALOG_2026 if args.catalog == "2026" else CATALOG
    if not path.exists():
        sys.exit(f"catalog not found: {path}")
    if args.sizes is None and args.days is None:
        plan = [(1000, 1.0), (4000, 1.0), (17399, 1.0), (17399, 7.0)]
    else:
        plan = [(n, d) for d in (args.days or [1.0]) for n in (args.sizes or [17399])]
    print(f"catalog {args.catalog}: {CATALOG_2026 if args.catalog == '2026' else CATALOG}", flush=True)
    cols = ("objects", "days", "workers", "screen_s", "bare_sgp4_60s_s", "ratio", "screen_cpu_s", "bare_cpu_s",
            "cpu_ratio", "broad_pair_intervals",
            "candidate_intervals", "brackets", "events", "failures", "peak_rss_mb", "load_avg_1min")
    print(" ".join(f"{c:>14}" for c in cols), flush=True)
    for n, d in plan:
        cmd = [sys.executable, __file__, "--child", str(n), str(d), "--threshold-km", str(args.threshold_km),
               "--catalog", args.catalog]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        outp = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        row = json.loads(outp)
        print(" ".join(f"{row[c]!s:>14}" for c in cols), flush=True)


if __name__ == "__main__":
    main()
