"""Manoeuvre detection on the Shorten et al. TLE benchmark (15 satellites).

Data: ../shared/data/maneuvers/tle_benchmark_shorten (see its PROVENANCE.md)
or $ORBITWATCH_SHARED_DATA/maneuvers/tle_benchmark_shorten.

Ground truth is read from the operators' own files in ``raw_manoeuvres/``:

- IDS/CNES DORIS-mission format (``cs2man.txt`` CryoSat-2, ``ja1man.txt``,
  ``ja2man.txt``, ``s3aman.txt``, ``srlman.txt``): one line per manoeuvre,
  fields 2-5 are the start as year, day-of-year, hour, minute (UTC).
- Fengyun format (``manFY*.txt.fy``): kind, COSPAR id, start and end as
  ISO times in China Standard Time (``CST`` = UTC+8), converted to UTC here.
  (The upstream YAML lists copy these CST clock times as if they were UTC;
  the script also prints the pooled score against the YAML lists.)

Only manoeuvres between the first and the last element-set epoch count (a
manoeuvre outside the history cannot be seen).

Matching rule (issue 5): a detection matches a ground-truth manoeuvre when
the manoeuvre time lies inside the detection's gap [gap_start, gap_end] or
inside the gap immediately before or after it; gaps are those between the
distinct epochs of the satellite's input history.  One-to-one: ground-truth
times are taken in order and each is given the matching unassigned
detection whose window closes first (optimal for points-in-intervals).

Baseline printed alongside: a plain detector that flags every gap whose
set-to-set change in mean semi-major axis exceeds 5x the satellite's median
absolute change (no cleaning, no detrending, no other elements).

Run:  .venv/bin/python benchmarks/maneuvers.py [--threshold Z] [--chunk-days 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sgp4.api import WGS72, Satrec

from orbitwatch.behavior.history import clean_history
from orbitwatch.behavior.maneuvers import ManeuverConfig, detect_maneuvers
from orbitwatch.elements.model import ElementSet
from orbitwatch.timeutil import jd_to_datetime

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ORBITWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
BENCH = DATA / "maneuvers" / "tle_benchmark_shorten"

SATELLITES = {
    # name: (NORAD, operator manoeuvre file or None when withheld)
    "CryoSat-2": (36508, "cs2man.txt"),
    "Fengyun-2D": (29640, "manFY2D.txt.fy"),
    "Fengyun-2E": (33463, "manFY2E.txt.fy"),
    "Fengyun-4A": (41882, "manFY4A.txt.fy"),
    "Jason-1": (26997, "ja1man.txt"),
    "Jason-2": (33105, "ja2man.txt"),
    "SARAL": (39086, "srlman.txt"),
    "Sentinel-3A": (41335, "s3aman.txt"),
    # ground truth withheld (blind)
    "Fengyun-2F": (38049, None),
    "Fengyun-2H": (43491, None),
    "Haiyang-2A": (37781, None),
    "Jason-3": (41240, None),
    "Sentinel-3B": (43437, None),
    "Sentinel-6A": (46984, None),
    "TOPEX": (22076, None),
}

_XPDOTP = 1440.0 / (2.0 * np.pi)


def read_tle_history(path: Path) -> list[ElementSet]:
    """All element sets of a bare 2-line TLE file: the shared reader when it is
    there, else sgp4's twoline2rv directly."""
    try:
        from orbitwatch.elements import read_file

        return read_file(path).element_sets
    except ImportError:
        return _read_tle_twoline2rv(path)


def _read_tle_twoline2rv(path: Path) -> list[ElementSet]:
    """Parse a bare 2-line TLE file with sgp4's twoline2rv (benchmark-local reader)."""
    lines = [ln.rstrip("\n") for ln in path.read_text().splitlines() if ln.strip()]
    out = []
    for i in range(0, len(lines) - 1, 2):
        l1, l2 = lines[i], lines[i + 1]
        sat = Satrec.twoline2rv(l1, l2, WGS72)
        try:
            es_no = int(l1[64:68])
        except ValueError:
            es_no = 999
        out.append(
            ElementSet(
                norad_id=int(sat.satnum),
                epoch=jd_to_datetime(sat.jdsatepoch, sat.jdsatepochF),
                mean_motion_rev_day=sat.no_kozai * _XPDOTP,
                eccentricity=sat.ecco,
                inclination_deg=np.degrees(sat.inclo),
                raan_deg=np.degrees(sat.nodeo),
                arg_perigee_deg=np.degrees(sat.argpo),
                mean_anomaly_deg=np.degrees(sat.mo),
                bstar=sat.bstar,
                element_set_no=es_no,
                line1=l1,
                line2=l2,
                source_line=i + 1,
            )
        )
    return out


def read_operator_manoeuvres(path: Path) -> list[datetime]:
    """Manoeuvre start times (aware UTC) from an operator file (see module doc)."""
    out = []
    for line in path.read_text().splitlines():
        f = line.split()
        if not f:
            continue
        if path.name.endswith(".fy"):
            start = line.split('"')[1].replace("/", "-")
            stamp, zone = start.split()
            if zone != "CST":
                raise ValueError(f"{path}: unknown time zone {zone!r}")
            t = datetime.fromisoformat(stamp).replace(tzinfo=UTC) - timedelta(hours=8)
        else:
            year, doy, hh, mm = (int(x) for x in f[1:5])
            t = datetime(year, 1, 1, hh, mm, tzinfo=UTC) + timedelta(days=doy - 1)
        out.append(t)
    return sorted(out)


def read_yaml_manoeuvres(path: Path) -> list[datetime]:
    import yaml

    doc = yaml.safe_load(path.read_text())
    return sorted(
        datetime.fromisoformat(str(t)).replace(tzinfo=UTC) for t in doc["manoeuvre_timestamps"]
    )


def match(
    windows: list[tuple[datetime, datetime]], truth: list[datetime]
) -> tuple[int, int, int]:
    """(tp, fp, fn) for detection windows vs ground-truth times, one-to-one."""
    used = [False] * len(windows)
    order = sorted(range(len(windows)), key=lambda j: windows[j][1])
    tp = 0
    for t in sorted(truth):
        for j in order:
            if not used[j] and windows[j][0] <= t <= windows[j][1]:
                used[j] = True
                tp += 1
                break
    return tp, len(windows) - tp, len(truth) - tp


def windows_for(gaps: list[tuple[datetime, datetime]], epochs: list[datetime]):
    """Each detection gap widened by one input gap on each side."""
    ep = np.array([e.timestamp() for e in epochs])
    out = []
    for g0, g1 in gaps:
        i0 = int(np.searchsorted(ep, g0.timestamp(), side="left"))
        i1 = int(np.searchsorted(ep, g1.timestamp(), side="right")) - 1
        lo = epochs[max(i0 - 1, 0)]
        hi = epochs[min(i1 + 1, len(epochs) - 1)]
        out.append((lo, hi))
    return out


def baseline_gaps(sets: list[ElementSet]) -> list[tuple[datetime, datetime]]:
    sets = sorted(sets, key=lambda s: s.epoch)
    n = np.array([s.mean_motion_rev_day for s in sets]) / 86400.0 * 2 * np.pi
    a = (398600.8 / n**2) ** (1 / 3)
    da = np.abs(np.diff(a))
    thr = 5 * np.median(da)
    return [(sets[k].epoch, sets[k + 1].epoch) for k in np.flatnonzero(da > thr)]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threshold", type=float, default=None, help="override the robust-z threshold")
    ap.add_argument("--only", default=None, help="comma-separated satellite names")
    ap.add_argument("--chunk-days", type=float, default=None,
                    help="also score short histories: each history cut into pieces of this many "
                         "days, each piece detected on its own (a partner's recent feed)")
    args = ap.parse_args(argv)
    if not BENCH.exists():
        print(f"benchmark data not found: {BENCH}", file=sys.stderr)
        return 2
    cfg = ManeuverConfig() if args.threshold is None else ManeuverConfig(threshold=args.threshold)
    names = list(SATELLITES) if not args.only else args.only.split(",")

    print(f"{'satellite':12s} {'norad':>6s} {'sets':>5s} {'kept':>5s} {'truth':>5s} {'det':>5s} "
          f"{'P':>5s} {'R':>5s} {'F1':>5s} | {'base P':>6s} {'R':>5s} {'F1':>5s} | {'yaml F1':>7s}  {'s':>5s}")
    pooled = np.zeros(3, int)
    pooled_base = np.zeros(3, int)
    pooled_yaml = np.zeros(3, int)
    t_all = time.perf_counter()
    for name in names:
        norad, gt_file = SATELLITES[name]
        sets = read_tle_history(BENCH / "processed_files" / f"{name}.tle")
        t0 = time.perf_counter()
        hist = clean_history(sets, reject_outliers=cfg.reject_outliers, outlier_sigma=cfg.outlier_sigma)
        dets = detect_maneuvers(sets, cfg, history=hist)
        dt_s = time.perf_counter() - t0
        epochs = sorted({s.epoch for s in sets})
        if gt_file is None:
            print(f"{name:12s} {norad:6d} {len(sets):5d} {len(hist):5d} {'-':>5s} {len(dets):5d} "
                  f"{'(ground truth withheld)':>17s}{'':30s}  {dt_s:5.1f}")
            continue
        span = (epochs[0], epochs[-1])
        truth = [t for t in read_operator_manoeuvres(BENCH / "raw_manoeuvres" / gt_file) if span[0] <= t <= span[1]]
        win = windows_for([(d.gap_start, d.gap_end) for d in dets], epochs)
        c = np.array(match(win, truth))
        pooled += c
        b = np.array(match(windows_for(baseline_gaps(sets), epochs), truth))
        pooled_base += b
        ypath = BENCH / "processed_files" / f"manoeuvres_{name}.yaml"
        yf = float("nan")
        if ypath.exists():
            ytruth = [t for t in read_yaml_manoeuvres(ypath) if span[0] <= t <= span[1]]
            y = np.array(match(win, ytruth))
            pooled_yaml += y
            yf = prf(*y)[2]
        p, r, f = prf(*c)
        bp, br, bf = prf(*b)
        print(f"{name:12s} {norad:6d} {len(sets):5d} {len(hist):5d} {len(truth):5d} {len(dets):5d} "
              f"{p:5.2f} {r:5.2f} {f:5.2f} | {bp:6.2f} {br:5.2f} {bf:5.2f} | {yf:7.2f}  {dt_s:5.1f}")
    if pooled.any():
        p, r, f = prf(*pooled)
        bp, br, bf = prf(*pooled_base)
        yf = prf(*pooled_yaml)[2]
        print(f"{'pooled':12s} {'':6s} {'':5s} {'':5s} {pooled[0] + pooled[2]:5d} {pooled[0] + pooled[1]:5d} "
              f"{p:5.2f} {r:5.2f} {f:5.2f} | {bp:6.2f} {br:5.2f} {bf:5.2f} | {yf:7.2f}")
        print(f"pooled tp={pooled[0]} fp={pooled[1]} fn={pooled[2]}; baseline tp={pooled_base[0]} "
              f"fp={pooled_base[1]} fn={pooled_base[2]}; threshold z={cfg.threshold}")
    print(f"total time {time.perf_counter() - t_all:.1f} s")
    if args.chunk_days:
        short_histories(names, cfg, args.chunk_days)
    return 0


def short_histories(names: list[str], cfg: ManeuverConfig, days: float) -> None:
    """Score each history cut into ``days``-day pieces, each detected alone.

    Matching as above, within each piece (its own gaps; only the manoeuvres
    between its first and last set).  Misses are split by where the manoeuvre
    lies: within 4 sets of either end of its piece, where the 3-set windows with
    a guard set (the only GEO trigger) do not fit, or inside.  (A manoeuvre
    counts as missed there when no detection window holds it.)
    """
    print(f"\nshort histories: {days:g}-day pieces, each detected on its own")
    print(f"{'satellite':12s} {'pieces':>6s} {'truth':>5s} {'det':>5s} {'P':>5s} {'R':>5s} {'F1':>5s} "
          f"| {'missed at ends':>14s} {'missed inside':>13s}")
    pooled = {"GEO": np.zeros(3, int), "LEO": np.zeros(3, int)}
    for name in names:
        norad, gt_file = SATELLITES[name]
        if gt_file is None:
            continue
        sets = sorted(read_tle_history(BENCH / "processed_files" / f"{name}.tle"), key=lambda s: s.epoch)
        truth_all = read_operator_manoeuvres(BENCH / "raw_manoeuvres" / gt_file)
        c = np.zeros(3, int)
        ends = [0, 0]
        inside = [0, 0]
        pieces = 0
        t0 = sets[0].epoch
        while t0 <= sets[-1].epoch:
            piece = [s for s in sets if t0 <= s.epoch < t0 + timedelta(days=days)]
            t0 += timedelta(days=days)
            if len(piece) < 2:
                continue
            pieces += 1
            epochs = sorted({s.epoch for s in piece})
            truth = [t for t in truth_all if epochs[0] <= t <= epochs[-1]]
            dets = detect_maneuvers(piece, cfg)
            win = windows_for([(d.gap_start, d.gap_end) for d in dets], epochs)
            c += np.array(match(win, truth))
            stamps = np.array([e.timestamp() for e in epochs])
            for t in truth:
                k = int(np.searchsorted(stamps, t.timestamp()))
                tally = ends if (k <= 4 or k >= len(epochs) - 4) else inside
                tally[1] += 1
                tally[0] += not any(w[0] <= t <= w[1] for w in win)
        regime = "GEO" if name.startswith("Fengyun") else "LEO"
        pooled[regime] += c
        p, r, f = prf(*c)
        print(f"{name:12s} {pieces:6d} {c[0] + c[2]:5d} {c[0] + c[1]:5d} {p:5.2f} {r:5.2f} {f:5.2f} "
              f"| {ends[0]:6d} of {ends[1]:<5d} {inside[0]:6d} of {inside[1]:<5d}")
    for regime, c in pooled.items():
        if c.any():
            p, r, f = prf(*c)
            print(f"pooled {regime:5s} tp={c[0]} fp={c[1]} fn={c[2]}  P {p:.2f} R {r:.2f} F1 {f:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
