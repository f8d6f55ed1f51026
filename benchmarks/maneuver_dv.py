"""Δv and kind of matched detections against the IDS/CNES operators' burns.

Usage: ``.venv/bin/python benchmarks/maneuver_dv.py`` (prints the table of
docs/maneuvers.md, "Δv and kind against the operators' reported burns").

Per matched burn (benchmark matching rule, one-to-one): the ratio of the
detector's estimate to the operator's reported component.  IDS/CNES format:
field 10 is the number of burns, then 15 fields per burn: start (year, doy,
hour, minute, second), duration (s), then the Δv components radial,
along-track, cross-track (m/s).  Burn components are summed per manoeuvre.
"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import maneuvers as B  # noqa: E402

from orbitwatch.behavior.maneuvers import KIND_ALONG_TRACK, KIND_OUT_OF_PLANE, detect_maneuvers  # noqa: E402


def cnes(path):
    out = []
    for line in Path(path).read_text().splitlines():
        f = line.split()
        if not f:
            continue
        year, doy, hh, mm = (int(x) for x in f[1:5])
        t = datetime(year, 1, 1, hh, mm, tzinfo=UTC) + timedelta(days=doy - 1)
        dv = np.zeros(3)
        for b in range(int(f[10])):
            base = 11 + 15 * b
            dv += [float(x) for x in f[base + 6 : base + 9]]
        out.append((t, dv))
    return sorted(out, key=lambda x: x[0])


def pairs(dets, epochs, truth):
    win = B.windows_for([(d.gap_start, d.gap_end) for d in dets], epochs)
    order = sorted(range(len(dets)), key=lambda j: win[j][1])
    used, out = set(), {}
    for ti, t in sorted(enumerate(truth), key=lambda x: x[1]):
        for j in order:
            if j not in used and win[j][0] <= t <= win[j][1]:
                used.add(j)
                out[ti] = j
                break
    return out


def q(r):
    r = np.asarray(r)
    return f"{np.median(r):.2f} ({np.percentile(r, 25):.2f}–{np.percentile(r, 75):.2f})"


ROWS = [("Sentinel-3A", "s3aman.txt"), ("CryoSat-2", "cs2man.txt"), ("Jason-2", "ja2man.txt"),
        ("SARAL", "srlman.txt"), ("Jason-1", "ja1man.txt")]


def main() -> int:
    if not B.BENCH.exists():
        print(f"benchmark data not found: {B.BENCH}", file=sys.stderr)
        return 2
    print("| satellite | burns | component / operator | reported delta_v_m_s / operator | reported > 2x operator | kind |")
    for name, f in ROWS:
        sets = B.read_tle_history(B.BENCH / "processed_files" / f"{name}.tle")
        dets = detect_maneuvers(sets)
        epochs = sorted({s.epoch for s in sets})
        truth = [(t, dv) for t, dv in cnes(B.BENCH / "raw_manoeuvres" / f) if epochs[0] <= t <= epochs[-1]]
        pr = pairs(dets, epochs, [t for t, _ in truth])
        for label, axis in (("along-track", 1), ("cross-track", 2)):
            comp, tot, kinds, big = [], [], 0, 0
            for ti, j in pr.items():
                dv = np.abs(truth[ti][1])
                others = np.delete(dv, axis)
                if not (dv[axis] > 2 * others.max() and dv[axis] > 0):
                    continue
                d = dets[j]
                c = d.evidence["delta_v_components_m_s"]["along_track" if axis == 1 else "out_of_plane"]
                comp.append(c / dv[axis])
                tot.append(d.delta_v_m_s / dv[axis])
                kinds += d.kind == (KIND_ALONG_TRACK if axis == 1 else KIND_OUT_OF_PLANE)
                big += d.delta_v_m_s > 2 * dv[axis]
            if axis == 2 and name != "Sentinel-3A":
                continue
            if comp:
                print(f"| {name}, {label} | {len(comp)} | {q(comp)} | {q(tot)} | {big} | {kinds} of {len(comp)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
