"""How often one more day of element sets withdraws a manoeuvre already reported.

A partner runs ``orbitwatch run`` every day over its growing store, and each
run's records supersede the last run's (docs/norms.md, "Revisions").  This
measures how often a reported manoeuvre is *withdrawn* by the next day's
analysis: the detector run on the history up to a cut time, then up to one day
later; a manoeuvre of the first run is kept when the second has one whose gap
overlaps its gap or the gap on either side (the benchmark's matching window),
else withdrawn.  Counted by how old the manoeuvre was at the cut (the end of
its gap to the cut): pending (reported in the newest gaps, see
docs/maneuvers.md), under 2 days, 2-10 days, 10-30 days.

Two sets of histories:

- the 15 satellites of the Shorten et al. benchmark (4-12 years each; cuts
  every ``--step-days`` from 60 days after the first set), and
- the 2026-05 GEO feed (574 objects, 12-60 sets each; cuts at the end of each
  day from 25 to 29 May): short histories, as a partner holds at first.

Run:  .venv/bin/python benchmarks/maneuver_revisions.py [--step-days 30] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from maneuvers import BENCH, DATA, SATELLITES, read_tle_history  # noqa: E402

from orbitwatch.behavior.maneuvers import detect_maneuvers  # noqa: E402

GEO_FEED = DATA / "tle_history" / "celestrak_mirror_2026-05" / "geo_history.3le"
CLASSES = ("pending", "<2 d", "2-10 d", "10-30 d")


def _class(m, cut: datetime) -> str | None:
    age = (cut - m.gap_end).total_seconds() / 86400.0
    if age > 30.0:
        return None
    if "pending" in m.evidence:
        return "pending"
    return "<2 d" if age < 2.0 else ("2-10 d" if age < 10.0 else "10-30 d")


def withdrawn_by_next_day(sets: list, cut: datetime, counts: dict) -> None:
    """Add to ``counts[class] = [reported, withdrawn]`` for one object and one cut."""
    now = [s for s in sets if s.epoch <= cut]
    later = [s for s in sets if s.epoch <= cut + timedelta(days=1)]
    if len(now) < 8:
        return
    epochs = sorted({s.epoch for s in now})
    first, second = detect_maneuvers(now), detect_maneuvers(later)
    for m in first:
        cls = _class(m, cut)
        if cls is None:
            continue
        i0, i1 = epochs.index(m.gap_start), epochs.index(m.gap_end)
        lo = epochs[max(0, i0 - 1)]
        hi = epochs[i1 + 1] if i1 + 1 < len(epochs) else cut + timedelta(days=1)
        kept = any(d.gap_start <= hi and d.gap_end >= lo for d in second)
        counts[cls][0] += 1
        counts[cls][1] += not kept


def _fmt(counts: dict) -> str:
    return "  ".join(f"{c}: {counts[c][1]}/{counts[c][0]}" for c in CLASSES if counts[c][0])


def _rate(counts: dict) -> str:
    return "  ".join(f"{c}: {counts[c][1]}/{counts[c][0]} = {counts[c][1] / counts[c][0]:.3f}"
                     for c in CLASSES if counts[c][0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step-days", type=float, default=30.0, help="days between cuts (long histories)")
    ap.add_argument("--only", default="", help="satellites (comma-separated); 'geo' for the GEO feed only")
    args = ap.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    t0 = time.perf_counter()
    if BENCH.exists() and only != {"geo"}:
        total: dict = defaultdict(lambda: [0, 0])
        print(f"long histories: cuts every {args.step_days:g} days; withdrawn/reported by age at the cut")
        for name, (_nid, _truth) in SATELLITES.items():
            if only and name not in only:
                continue
            sets = sorted(read_tle_history(BENCH / "processed_files" / f"{name}.tle"), key=lambda s: s.epoch)
            counts: dict = defaultdict(lambda: [0, 0])
            cut, end = sets[0].epoch + timedelta(days=60), sets[-1].epoch - timedelta(days=2)
            while cut < end:
                withdrawn_by_next_day(sets, cut, counts)
                cut += timedelta(days=args.step_days)
            print(f"  {name:12s} {_fmt(counts)}", flush=True)
            for c, (n, w) in counts.items():
                total[c][0] += n
                total[c][1] += w
        print(f"  {'all':12s} {_rate(total)}")
    elif not BENCH.exists():
        print(f"skipped the long histories: {BENCH} not found")
    if GEO_FEED.exists() and (not only or "geo" in only):
        from orbitwatch.elements import read_file

        by: dict[int, list] = defaultdict(list)
        for s in read_file(GEO_FEED).element_sets:
            by[s.norad_id].append(s)
        counts = defaultdict(lambda: [0, 0])
        for day in range(25, 30):
            cut = datetime(2026, 5, day, 23, 59, 59, tzinfo=UTC)
            for sets in by.values():
                withdrawn_by_next_day(sorted(sets, key=lambda s: s.epoch), cut, counts)
        print(f"GEO feed 2026-05 ({len(by)} objects; cuts 25-29 May): {_rate(counts)}")
    elif not GEO_FEED.exists():
        print(f"skipped the GEO feed: {GEO_FEED} not found")
    print(f"total time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
