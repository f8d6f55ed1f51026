"""Independent slow brute-force search used only by the screening tests.

Every pair is sampled densely (default every 5 s) with scalar-per-object
``Satrec.sgp4_array``; each sampled sign change of d.d' from negative to
non-negative is refined with ``scipy.optimize.brentq`` on the exact SGP4
states, and the miss distance is cross-checked with
``scipy.optimize.minimize_scalar`` (bounded Brent) on the distance itself.
Shares no code with ``orbitwatch.screening``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, UTC

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from sgp4.api import WGS72, Satrec, jday

REL_SPEED_MAX_KM_S = 16.0
FD_H = 0.25


def load_keeptrack(path, ids=None):
    data = json.loads(open(path).read())
    out = []
    for o in data:
        s = Satrec.twoline2rv(o["TLE1"], o["TLE2"], WGS72)
        if ids is None or s.satnum in ids:
            out.append(s)
    return out


def load_omm_csv(path, object_id_prefix=None, ids=None):
    import csv

    from sgp4 import omm

    out = []
    with open(path) as fh:
        for row in csv.DictReader(fh):
            if object_id_prefix and not row["OBJECT_ID"].startswith(object_id_prefix):
                continue
            if ids is not None and int(row["NORAD_CAT_ID"]) not in ids:
                continue
            s = Satrec()
            omm.initialize(s, row)
            out.append(s)
    return out


def _jd(start: datetime):
    return jday(start.year, start.month, start.day, start.hour, start.minute,
                start.second + start.microsecond / 1e6)


def brute_force(sats, start: datetime, span_s: float, threshold_km: float, step_s: float = 5.0):
    """All local minima of the SGP4 distance below the threshold.

    Returns a list of (id1, id2, tca, miss_km) with id1 < id2.  The distance
    derivative is a 4-point central difference of SGP4 positions (h = 0.25 s),
    not SGP4's velocity output.
    """
    jd0, fr0 = _jd(start)
    t = np.arange(0.0, span_s, step_s)
    t = np.append(t, span_s)
    offs = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) * FD_H
    tt = (t[:, None] + offs[None, :]).ravel()
    states = []
    for s in sats:
        e, r, _ = s.sgp4_array(np.full(tt.size, jd0), fr0 + tt / 86400.0)
        e = e.reshape(t.size, 5)
        r = r.reshape(t.size, 5, 3)
        ok = (e == 0).all(axis=1)
        if not ok.all():
            ok[np.argmin(ok):] = False  # not screened after the first failure
        states.append((r, ok))

    def pos(s, x):
        e, r, _ = s.sgp4(jd0, fr0 + x / 86400.0)
        return np.array(r)

    def gprime(sa, sb, x):
        d = [pos(sb, x + o) - pos(sa, x + o) for o in offs]
        dd = (d[0] - 8 * d[1] + 8 * d[3] - d[4]) / (12 * FD_H)
        return float(np.dot(d[2], dd))

    events = []
    for a in range(len(sats)):
        for b in range(a + 1, len(sats)):
            sa, sb = sats[a], sats[b]
            if sa.satnum == sb.satnum:
                continue
            ra, oka = states[a]
            rb, okb = states[b]
            d = rb - ra  # (n, 5, 3)
            dd = (d[:, 0] - 8 * d[:, 1] + 8 * d[:, 3] - d[:, 4]) / (12 * FD_H)
            f = np.einsum("ij,ij->i", d[:, 2], dd)
            dist = np.linalg.norm(d[:, 2], axis=1)
            ok = oka & okb
            ks = np.flatnonzero((f[:-1] < 0) & (f[1:] >= 0) & ok[:-1] & ok[1:]
                                & (np.minimum(dist[:-1], dist[1:])
                                   < threshold_km + REL_SPEED_MAX_KM_S * step_s))
            for k in ks:
                lo, hi = t[k], t[k + 1]
                if gprime(sa, sb, hi) == 0.0:
                    tca = hi
                else:
                    tca = brentq(lambda x: gprime(sa, sb, x), lo, hi, xtol=1e-9,
                                 rtol=4 * np.finfo(float).eps)
                miss = float(np.linalg.norm(pos(sb, tca) - pos(sa, tca)))
                if miss >= threshold_km:
                    continue
                mm = minimize_scalar(lambda x: float(np.linalg.norm(pos(sb, x) - pos(sa, x))),
                                     bounds=(lo, hi), method="bounded", options={"xatol": 1e-7})
                assert abs(mm.fun - miss) < 1e-5, (sa.satnum, sb.satnum, mm.fun, miss)
                i1, i2 = sorted((sa.satnum, sb.satnum))
                events.append((i1, i2, start + timedelta(seconds=float(tca)), miss))
    return events


# SGP4 positions carry numerical noise of order 1e-8 km (its Kepler-equation
# iteration stops at 1e-12 rad), so the distance minimum of a slow encounter is
# flat to within that noise over sqrt(2 d eps)/v seconds: 1 ms needs v > ~0.3 km/s.
SGP4_POSITION_NOISE_KM = 1e-8


def tca_tolerance_s(miss_km, rel_speed_km_s, tca_tol_s=1e-3):
    """1 ms, or the time over which the distance is flat within SGP4's noise if longer."""
    return max(tca_tol_s, 2.0 * np.sqrt(2.0 * miss_km * SGP4_POSITION_NOISE_KM) / max(rel_speed_km_s, 1e-9))


def match(ours, oracle, tca_tol_s=1e-3, miss_tol_km=1e-3):
    """Pair each oracle event with one of ours; returns (missing, extra) lists."""
    left = list(ours)
    missing = []
    for o in oracle:
        hit = None
        for c in left:
            tol = tca_tolerance_s(o[3], c.relative_speed_km_s, tca_tol_s)
            if (c.object_1, c.object_2) == (o[0], o[1]) and abs((c.tca - o[2]).total_seconds()) < tol \
                    and abs(c.miss_distance_km - o[3]) < miss_tol_km:
                hit = c
                break
        if hit is None:
            missing.append(o)
        else:
            left.remove(hit)
    return missing, left


START_2018 = datetime(2018, 8, 20, tzinfo=UTC)
START_2026 = datetime(2026, 7, 10, tzinfo=UTC)
