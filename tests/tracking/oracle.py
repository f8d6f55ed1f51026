"""Brute-force pass oracle for the tracking tests.

Dense exact-SGP4 sampling (no interpolation, no search heuristics) with
skyfield's own TEME->ITRF rotation (``skyfield.sgp4lib.TEME_to_ITRF``, GMST
1982 at UT1 from skyfield's builtin timescale) and skyfield's WGS-84 site
position.  Crossings are interpolated linearly between samples and maxima by
a parabola through the three samples around the largest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from skyfield.api import load, wgs84
from skyfield.sgp4lib import TEME_to_ITRF

_TS = None


def ts():
    global _TS
    if _TS is None:
        _TS = load.timescale(builtin=True)
    return _TS


@dataclass
class OraclePass:
    rise: datetime
    set: datetime
    max_el_deg: float
    culmination: datetime
    rise_truncated: bool
    set_truncated: bool


def elevation_deg(sat, lat, lon, alt_m, start: datetime, t_s: np.ndarray) -> np.ndarray:
    """Geometric elevation (deg) of a Satrec at ``start + t_s`` seen from a WGS-84 site."""
    t = ts().from_datetime(start)
    # UT1 of every sample: UT1 = UTC + dut1 (dut1 constant over a few days to < 2 ms)
    dut1 = float(t.dut1)
    jd0 = t.whole  # noqa: F841 (documentation of the split)
    jd_utc, fr_utc = _split(start)
    fr = fr_utc + t_s / 86400.0
    err, r, v = sat.sgp4_array(np.full(t_s.shape, jd_utc), fr)
    r = r.T
    v = v.T
    r_itrf, _ = TEME_to_ITRF(np.full(t_s.shape, jd_utc), r, v, 0.0, 0.0, fr + dut1 / 86400.0)
    site = wgs84.latlon(lat, lon, elevation_m=alt_m)
    s = site.itrs_xyz.km
    d = r_itrf - s[:, None]
    la, lo = np.radians(lat), np.radians(lon)
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    el = np.degrees(np.arcsin((up @ d) / np.linalg.norm(d, axis=0)))
    el[err != 0] = np.nan
    return el


def _split(dt: datetime):
    from orbitwatch.timeutil import datetime_to_jd

    return datetime_to_jd(dt)


_CACHE: dict = {}


def oracle_passes(
    sat, lat, lon, alt_m, start: datetime, hours: float, min_el: float, step_s: float = 1.0
) -> list[OraclePass]:
    span = hours * 3600.0
    t = np.arange(0.0, span + step_s / 2, step_s)
    key = (sat.satnum, sat.jdsatepoch, sat.jdsatepochF, lat, lon, alt_m, start, hours, step_s)
    if key not in _CACHE:  # the dense samples are reused across elevation masks
        _CACHE[key] = elevation_deg(sat, lat, lon, alt_m, start, t)
    el = _CACHE[key]
    f = el - min_el
    vis = f >= 0
    out = []
    i = 0
    n = len(t)
    while i < n:
        if not vis[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and vis[j + 1]:
            j += 1
        if i == 0:
            tr = 0.0
        else:
            tr = t[i - 1] + step_s * (-f[i - 1]) / (f[i] - f[i - 1])
        if j == n - 1:
            tset = span
        else:
            tset = t[j] + step_s * f[j] / (f[j] - f[j + 1])
        k = i + int(np.nanargmax(el[i : j + 1]))
        if 0 < k < n - 1:
            y0, y1, y2 = el[k - 1], el[k], el[k + 1]
            den = y0 - 2 * y1 + y2
            dx = 0.5 * (y0 - y2) / den if den != 0 else 0.0
            tmax = t[k] + dx * step_s
            emax = y1 - 0.25 * (y0 - y2) * dx
        else:
            tmax, emax = t[k], el[k]
        out.append(
            OraclePass(
                start + timedelta(seconds=float(tr)),
                start + timedelta(seconds=float(tset)),
                float(emax),
                start + timedelta(seconds=float(tmax)),
                i == 0,
                j == n - 1,
            )
        )
        i = j + 1
    return out
