"""How much of each operator list can element sets show at all? A ceiling on F1.

Usage: ``.venv/bin/python benchmarks/maneuver_ceiling.py [--only NAME,...]``

For each of the eight benchmark satellites whose operator list is public
(benchmarks/maneuvers.py), this asks the question behind the issue's target
of F1 >= 0.8 per satellite: does the list hold burns that no detector working
from these element sets can see?

The signal is the detector's own per-gap score: the largest robust z of a
step over the channels and scales that trigger a detection (semi-major axis,
inclination and node in LEO; `a`, eccentricity and inclination vectors in
GEO; the along-track drift kink), each against its running robust scale
(``maneuvers._channels``).  A second, more generous score takes every
channel and scale, triggering or not, with no channel factor.

Given a bar, an *oracle* flags every gap whose score reaches it and may then
report, out of those gaps, exactly the ones that match a listed burn, each
flagged gap as its own detection (a run of flagged gaps may report as many
burns as it has gaps).  A burn is in reach when a flagged gap lies within one
gap of the gap holding it (the benchmark's matching rule, on the cleaned
history's epochs).  The oracle's true positives are a maximum one-to-one
matching and it has no false alarms: ``ceiling`` = 2 TP / (2 TP + FN).

``runs`` counts the runs of flagged gaps (merged within two gaps, as the
detector merges them) and ``noise`` those with no listed burn within one gap
of any of their gaps: steps as strong as the burns' that the list does not
hold.  ``F1 if noise`` scores a detector that flags at the bar, places every
burn perfectly, and cannot tell the noise runs from burns by score: the
oracle's TP with the noise runs as false alarms.

This is generous, not a strict bound on the detector: the multi-set scales
flag gaps up to three sets before a step, so a run reaches burns the sets show
days late, and the per-gap multiplicity counts clusters of burns the sets
cannot separate; the detector's step model, for its part, may place a lagged
burn in a gap not itself flagged.  Where even this oracle stays under a
target at every bar (``F1 if noise``), the scores do not separate the listed
burns from the rest of the history.

Bars are given as fractions of the detector's regime bar (robust z 5 in LEO,
8 in GEO).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import maneuvers as B  # noqa: E402

from orbitwatch.behavior.history import clean_history  # noqa: E402
from orbitwatch.behavior.maneuvers import (  # noqa: E402
    ManeuverConfig, _channels, regime_config, trigger_scores)

FRACTIONS = (1.0, 0.8, 0.6, 0.4)


def gap_scores(hist, cfg: ManeuverConfig) -> tuple[np.ndarray, np.ndarray]:
    """(trigger score, every-channel score) per gap of a cleaned history; ``cfg``
    already for its regime (:func:`regime_config`)."""
    chans = _channels(hist, cfg)
    trig = trigger_scores(hist, chans, cfg)[0]
    every = np.zeros(len(hist) - 1)
    for ch in chans:
        for sc in cfg.scales:
            every = np.maximum(every, ch.z[sc])
    return trig, every


def burn_gaps(t_days: np.ndarray, truth_jd: np.ndarray) -> np.ndarray:
    """Index of the gap (between kept sets k and k+1) holding each burn."""
    return np.clip(np.searchsorted(t_days, truth_jd, side="right") - 1, 0, len(t_days) - 2)


def flagged_groups(score: np.ndarray, bar: float, merge: int) -> list[list[int]]:
    """Gaps whose score reaches the bar, in runs merged as the detector merges them."""
    groups: list[list[int]] = []
    for k in np.flatnonzero(score >= bar):
        if groups and k - groups[-1][-1] <= merge:
            groups[-1].append(int(k))
        else:
            groups.append([int(k)])
    return groups


def max_matching(windows: list[tuple[int, int]], points: np.ndarray) -> int:
    """Largest one-to-one matching of points (gap indices) to windows
    (inclusive gap ranges): points in order, each takes the free window that
    closes first (optimal for points in intervals)."""
    order = sorted(range(len(windows)), key=lambda j: windows[j][1])
    used = [False] * len(windows)
    tp = 0
    for p in np.sort(points):
        for j in order:
            if not used[j] and windows[j][0] <= p <= windows[j][1]:
                used[j] = True
                tp += 1
                break
    return tp


def oracle(score: np.ndarray, bar: float, gaps_of_burns: np.ndarray, merge: int) -> dict[str, int]:
    """Counts at one bar.

    - ``reach``: listed burns with a flagged gap within one gap of theirs
    - ``tp``: burns matched one-to-one to flagged gaps, each flagged gap its
      own detection whose window is that gap and one either side
    - ``runs``: runs of flagged gaps, merged as the detector merges them
    - ``noise``: runs with no listed burn within one gap of any of their gaps
    """
    groups = flagged_groups(score, bar, merge)
    flagged = [k for grp in groups for k in grp]
    fset = set(flagged)
    reach = sum(1 for g in gaps_of_burns if fset.intersection((g - 1, g, g + 1)))
    tp = max_matching([(k - 1, k + 1) for k in flagged], gaps_of_burns)
    near = {c for g in gaps_of_burns for c in (g - 1, g, g + 1)}
    noise = sum(1 for grp in groups if not near.intersection(grp))
    return {"reach": reach, "tp": tp, "runs": len(groups), "noise": noise}


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None, help="comma-separated satellite names")
    args = ap.parse_args(argv)
    if not B.BENCH.exists():
        print(f"benchmark data not found: {B.BENCH}", file=sys.stderr)
        return 2
    cfg = ManeuverConfig()
    names = [n for n, (_, gt) in B.SATELLITES.items() if gt is not None]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    print(f"{'satellite':12s} {'score':6s} {'bar':>5s} {'listed':>6s} {'reach':>5s} {'TP':>4s} "
          f"{'ceiling':>7s} {'runs':>5s} {'noise':>5s} {'F1 if noise':>11s}")
    for name in names:
        _, gt_file = B.SATELLITES[name]
        sets = B.read_tle_history(B.BENCH / "processed_files" / f"{name}.tle")
        hist = clean_history(sets, reject_outliers=cfg.reject_outliers, outlier_sigma=cfg.outlier_sigma)
        epochs = sorted({s.epoch for s in sets})
        truth = [t for t in B.read_operator_manoeuvres(B.BENCH / "raw_manoeuvres" / gt_file)
                 if epochs[0] <= t <= epochs[-1]]
        truth_jd = np.array([t.timestamp() / 86400.0 + 2440587.5 for t in truth])
        g = burn_gaps(hist.t_days, truth_jd)
        rcfg = regime_config(hist, cfg)
        trig, every = gap_scores(hist, rcfg)
        bar0 = rcfg.threshold
        for label, score in (("detect", trig), ("every", every)):
            for frac in FRACTIONS:
                bar = bar0 * frac
                c = oracle(score, bar, g, cfg.merge_gaps)
                fn = len(truth) - c["tp"]
                print(f"{name:12s} {label:6s} {bar:5.1f} {len(truth):6d} {c['reach']:5d} {c['tp']:4d} "
                      f"{f1(c['tp'], 0, fn):7.2f} {c['runs']:5d} {c['noise']:5d} "
                      f"{f1(c['tp'], c['noise'], fn):11.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
