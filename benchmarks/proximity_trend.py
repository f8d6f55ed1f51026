"""Proximity trends against skyfield's passes, on the May 2026 GEO history.

Every GEO object of ``tle_history/celestrak_mirror_2026-05/geo_history.3le``
is a protected asset; ``find_proximity`` runs over a one-day window ending at
each ``--ends`` date (default 2026-05-30T00:00Z) and every pair it reports
(approach or co-location; each pair once, the trend is the same either way
round) is scored.

Oracle (independent of the trend code): skyfield, each object on its set in
force (the newest published at or before the instant; only sets published by
the window end), sampled every 20 s.  The pair's least distance over the day
before the window end and over the day after it (the passes: an inclined pair
crosses twice a day, thousands of km apart in between) give the direction at
the window end: ``closing`` when the day after is lower by more than 1 km and
20 % of the day before, ``departing`` when it is higher by as much, else
``steady``.

Printed: the confusion of the trend against the oracle, and the share of
pairs whose direction the trend gets wrong (closing for departing or back),
the share of moving pairs it calls right, and the share of steady pairs it
calls moving.  Baseline in the same run: the least-squares slope of the same
distances (``trend_distances_km``) over the whole history, with the same 1 km
and 20 % bar on its change.

Run:  .venv/bin/python benchmarks/proximity_trend.py [--ends 2026-05-28T00:00:00Z,...]
(about 4 minutes per window end on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from orbitwatch.behavior.geo import is_geo
from orbitwatch.behavior.proximity import TREND_MIN_KM, TREND_MIN_SHARE, find_proximity
from orbitwatch.elements.reader import read_file

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ORBITWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
GEO = DATA / "tle_history" / "celestrak_mirror_2026-05" / "geo_history.3le"
STEP_S = 20.0
VERDICTS = ("closing", "holding near", "departing")
ORACLE = ("closing", "steady", "departing")
SECS = np.arange(-86400.0, 86400.0 + STEP_S, STEP_S)  # from the window end


def _direction(before: float, after: float) -> str:
    bar = max(TREND_MIN_KM, TREND_MIN_SHARE * before)
    if after < before - bar:
        return "closing"
    if after > before + bar:
        return "departing"
    return "steady"


def _positions(sets, t0: datetime, secs: np.ndarray, sky) -> np.ndarray:
    """skyfield GCRS km at ``t0 + secs``, each with the newest set published
    at or before the instant (the oldest before the first)."""
    from skyfield.api import EarthSatellite

    sets = sorted(sets, key=lambda s: s.epoch)
    epochs = np.array([(s.epoch - t0).total_seconds() for s in sets])
    which = np.clip(np.searchsorted(epochs, secs, side="right") - 1, 0, len(sets) - 1)
    out = np.empty((secs.size, 3))
    base = sky.from_datetime(t0)
    for k in np.unique(which):
        m = which == k
        sat = EarthSatellite(sets[k].line1, sets[k].line2, ts=sky)
        out[m] = sat.at(base + secs[m] / 86400.0).position.km.T
    return out


def _oracle(pos_a: np.ndarray, pos_b: np.ndarray) -> tuple[str, float, float]:
    """Direction from two objects' positions at :data:`SECS` from the window end."""
    km = np.linalg.norm(pos_a - pos_b, axis=1)
    secs = SECS
    before, after = float(km[secs <= 0].min()), float(km[secs >= 0].min())
    return _direction(before, after), before, after


def _baseline(epochs, dists) -> str:
    """Least-squares slope of the distances over the whole trend history."""
    if len(dists) < 3:
        return "unknown"
    t = np.array([(e - epochs[0]).total_seconds() for e in epochs]) / 86400.0
    slope = np.polyfit(t, np.asarray(dists), 1)[0]
    change = slope * (t[-1] - t[0])
    bar = max(TREND_MIN_KM, TREND_MIN_SHARE * float(np.median(dists)))
    return "closing" if change < -bar else "departing" if change > bar else "holding near"


def _score(rows: list[tuple[str, str]]) -> dict[str, float]:
    moving = [(v, o) for v, o in rows if o != "steady"]
    steady = [(v, o) for v, o in rows if o == "steady"]
    called = [(v, o) for v, o in rows if v in ("closing", "departing")]
    wrong = sum(1 for v, o in moving if v in ("closing", "departing") and v != o)
    return {
        "pairs": len(rows),
        "wrong_direction": wrong,
        "moving_called_right": sum(1 for v, o in moving if v == o) / max(len(moving), 1),
        "steady_called_moving": sum(1 for v, _ in steady if v != "holding near") / max(len(steady), 1),
        "calls_right": sum(1 for v, o in called if v == o) / max(len(called), 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ends", default="2026-05-30T00:00:00Z",
                   help="window ends, ISO-8601 UTC, comma-separated (one-day windows)")
    p.add_argument("--limit", type=int, default=0, help="only the first N GEO assets (quick look)")
    args = p.parse_args(argv)
    if not GEO.exists():
        print(f"skipped: {GEO} is absent (../shared/data/tle_history)")
        return 0
    from skyfield.api import load

    sky = load.timescale(builtin=True)
    sets = read_file(GEO).element_sets
    by: dict[int, list] = defaultdict(list)
    for s in sets:
        by[s.norad_id].append(s)
    assets = sorted(n for n, v in by.items() if is_geo(max(v, key=lambda s: s.epoch)))
    if args.limit:
        assets = assets[: args.limit]
    ours: list[tuple[str, str]] = []
    base: list[tuple[str, str]] = []
    wrong_cases: list[str] = []
    t_all = time.perf_counter()
    for text in args.ends.split(","):
        end = datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)
        t0 = time.perf_counter()
        events = find_proximity(assets, sets, end - timedelta(days=1), 86400.0)
        t_find = time.perf_counter() - t0
        seen: set[frozenset] = set()
        cache: dict[int, np.ndarray] = {}

        def pos(nid: int) -> np.ndarray:
            if nid not in cache:
                cache[nid] = _positions([s for s in by[nid] if s.epoch <= end], end, SECS, sky)
            return cache[nid]

        for e in events:
            pair = frozenset((e.asset, e.object))
            if pair in seen or e.trend not in VERDICTS or len(pair) < 2:
                continue
            seen.add(pair)
            truth, before, after = _oracle(pos(e.asset), pos(e.object))
            ours.append((e.trend, truth))
            base.append((_baseline(e.trend_epochs, e.trend_distances_km), truth))
            if e.trend in ("closing", "departing") and truth != "steady" and e.trend != truth:
                wrong_cases.append(f"  {end:%Y-%m-%d} {e.asset} {e.object}: {e.trend}, "
                                   f"skyfield {before:.1f} -> {after:.1f} km")
        print(f"window end {end:%Y-%m-%dT%H:%MZ}: {len(seen)} pairs "
              f"(find_proximity {t_find:.0f} s, oracle {time.perf_counter() - t0 - t_find:.0f} s)")
    print()
    print("trend \\ skyfield   " + "".join(f"{o:>11}" for o in ORACLE))
    table = Counter(ours)
    for v in VERDICTS:
        print(f"{v:<18} " + "".join(f"{table[(v, o)]:>11}" for o in ORACLE))
    print()
    print(f"{'':<22}{'pairs':>7}{'wrong dir':>10}{'moving right':>14}{'steady moved':>14}{'calls right':>13}")
    for name, rows in (("orbitwatch trend", ours), ("baseline (LSQ slope)", base)):
        s = _score(rows)
        print(f"{name:<22}{s['pairs']:>7}{s['wrong_direction']:>10}{s['moving_called_right']:>14.3f}"
              f"{s['steady_called_moving']:>14.3f}{s['calls_right']:>13.3f}")
    if wrong_cases:
        print("\nwrong direction:")
        print("\n".join(wrong_cases))
    print(f"\ntotal time {time.perf_counter() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
