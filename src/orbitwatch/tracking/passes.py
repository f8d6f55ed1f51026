"""Pass prediction for many objects over one or more ground sites.

Algorithm (vectorized over objects; one SGP4 sweep serves every site)
--------------------------------------------------------------------
1. **Grid.**  Each object gets a sampling step from its orbit:
   ``h <= step_arc_rad / w_max`` with ``w_max = n (1+e)^2 / (1-e^2)^1.5`` the
   angular rate at perigee (the fastest the object ever moves), rounded
   down to a fixed ladder so objects with similar orbits share one
   ``SatrecArray`` call, and capped at ``max_step_s``.  With the default
   0.15 rad (8.6 deg of orbit per step) a 15.5 rev/day LEO object gets 120 s,
   a GTO with a 200 km perigee ~45 s and a GEO object 600 s.  Objects are
   propagated with sgp4's ``SatrecArray`` (WGS-72) giving TEME position and
   velocity at every sample.
2. **Why nothing is missed.**  Between two samples the orbit arc is at most
   ~9 deg, so the path seen from the site is close to a straight line, and
   along a straight line the sine of elevation ``(a + b t)/sqrt(c + d t +
   e t^2)`` has at most one extremum.  So within a step elevation is
   unimodal, and the *exact* elevation rate at the two samples (from the
   SGP4 velocity) tells whether a maximum lies in between.  Every such
   interior maximum is located (bisection on the elevation rate of the
   cubic-Hermite interpolant of the TEME states) and tested against the
   elevation limit.  A pass that rises and sets between two samples - a
   brief grazing pass, or one above a high mask - therefore cannot be
   missed however short it is: the rule does not depend on the shortest
   possible pass duration, which is zero.  Interior minima are found the
   same way so a long pass that dips below the limit and comes back (the
   several-maxima case of eccentric orbits) splits correctly.
3. **Other limits** (azimuth sector, terrain mask, range window, maximum
   elevation, and for optical sites site darkness and object illumination)
   enter a single visibility margin ``F(t) = min_k g_k(t)`` (each ``g_k >= 0``
   when that limit is met).  Steps where the object is above the lowest
   possible elevation are sub-sampled at ``substeps`` interior points of
   the interpolant before looking for sign changes of ``F``.
4. **Refinement.**  Every bracketed sign change of ``F`` is refined by
   vectorized bisection on the Hermite interpolant (position error about
   ``(w h)^4 r / 384``, ~6 m at the default step) to ``tol_s`` (1 ms).
   Rise and set times are therefore sub-second; skyfield's own search
   stops at half a second.
5. **Culmination** is the global maximum of elevation inside the pass: the
   largest of the interior maxima located in step 2 and the two end
   points (a pass cut by a range, azimuth or lighting limit can peak at
   its edge).  Reported states at rise, culmination and set are
   recomputed with exact SGP4, not interpolated.

Frames: see :mod:`orbitwatch.tracking.geometry` (GMST 1982 at UT1, WGS-84
site, geometric elevation without refraction - the same as skyfield's
``find_events``).  Lighting: :mod:`orbitwatch.tracking.lighting`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sgp4.api import Satrec, SatrecArray

from orbitwatch.timeutil import iso_z
from orbitwatch.tracking import geometry as geo
from orbitwatch.tracking import lighting
from orbitwatch.tracking.sites import Site

C_KM_S = 299792.458
STEP_LADDER_S = (600, 480, 360, 300, 240, 180, 150, 120, 90, 75, 60, 45, 30, 20, 15, 10, 5, 2, 1)
_NEG = -1.0e3  # margin used for samples where SGP4 failed


@dataclass(slots=True)
class PassPoint:
    """Look angles at one instant of a pass.

    ``doppler_hz`` is the received-frequency offset ``-f * range_rate / c``
    for the requested carrier (None when no frequency was given).
    """

    time: datetime
    az_deg: float
    el_deg: float
    range_km: float
    range_rate_km_s: float
    doppler_hz: float | None = None


@dataclass(slots=True)
class Pass:
    """One visibility interval of one object from one site.

    ``rise``/``set`` are where every site limit starts/stops being met (for
    a plain site: elevation crossing the minimum), ``culmination`` the
    highest elevation inside the interval.  ``rise_truncated`` (``set_
    truncated``) is True when the object was already (still) visible at the
    window start (end); the point is then the window edge.
    """

    norad_id: int
    site: str
    rise: PassPoint
    culmination: PassPoint
    set: PassPoint
    rise_truncated: bool = False
    set_truncated: bool = False
    name: str | None = None

    @property
    def max_elevation_deg(self) -> float:
        return self.culmination.el_deg

    @property
    def duration_s(self) -> float:
        return (self.set.time - self.rise.time).total_seconds()

    def to_record(self) -> dict:
        """Flat JSON-ready dict (ISO-8601 Z times, units in names)."""
        rec: dict = {
            "object": self.norad_id,
            "name": self.name,
            "site": self.site,
            "rise": iso_z(self.rise.time, 3),
            "culmination": iso_z(self.culmination.time, 3),
            "set": iso_z(self.set.time, 3),
            "max_elevation_deg": round(self.max_elevation_deg, 4),
            "duration_s": round(self.duration_s, 3),
        }
        for label, p in (("rise", self.rise), ("culmination", self.culmination), ("set", self.set)):
            rec[f"{label}_az_deg"] = round(p.az_deg, 4)
            rec[f"{label}_el_deg"] = round(p.el_deg, 4)
            rec[f"{label}_range_km"] = round(p.range_km, 3)
            rec[f"{label}_range_rate_km_s"] = round(p.range_rate_km_s, 5)
            if p.doppler_hz is not None:
                rec[f"{label}_doppler_hz"] = round(p.doppler_hz, 1)
        rec["rise_truncated"] = self.rise_truncated
        rec["set_truncated"] = self.set_truncated
        return rec


# --------------------------------------------------------------------------
# inputs


@dataclass
class _Objects:
    satrecs: list[Satrec]
    ids: np.ndarray
    names: list[str | None]


def _as_objects(element_sets: Iterable) -> _Objects:
    sats: list[Satrec] = []
    ids: list[int] = []
    names: list[str | None] = []
    for item in element_sets:
        if isinstance(item, Satrec):
            sats.append(item)
            ids.append(int(item.satnum))
            names.append(None)
        else:
            sats.append(item.to_satrec())
            ids.append(int(item.norad_id))
            names.append(getattr(item, "name", None))
    return _Objects(sats, np.asarray(ids, dtype=np.int64), names)


def step_for_orbit_s(
    no_kozai_rad_min: float, ecc: float, step_arc_rad: float = 0.15, max_step_s: float = 600.0
) -> float:
    """Sampling step (s) for one orbit: the step rule of the module docstring."""
    e = min(max(float(ecc), 0.0), 0.999)
    n = max(float(no_kozai_rad_min), 1e-9) / 60.0
    w_max = n * (1.0 + e) ** 2 / (1.0 - e * e) ** 1.5
    raw = min(max_step_s, step_arc_rad / w_max)
    for s in STEP_LADDER_S:
        if s <= raw:
            return float(s)
    return float(STEP_LADDER_S[-1])


# --------------------------------------------------------------------------
# per-site evaluation


@dataclass
class _SiteGeom:
    site: Site
    r_itrs: np.ndarray
    enu: np.ndarray
    simple: bool  # visibility is exactly elevation >= min_elevation
    optical: bool
    dark_deg: float


def _site_geom(site: Site, dark_deg: float) -> _SiteGeom:
    optical = site.kind == "optical"
    simple = (
        site.full_azimuth
        and not site.mask
        and site.max_range_km is None
        and site.min_range_km <= 0.0
        and site.max_elevation_deg >= 90.0
        and not optical
    )
    return _SiteGeom(
        site,
        geo.geodetic_to_itrs_km(site.lat_deg, site.lon_deg, site.alt_m),
        geo.enu_matrix(site.lat_deg, site.lon_deg),
        simple,
        optical,
        dark_deg,
    )


def _sector_margin_deg(az_deg: np.ndarray, a0: float, a1: float) -> np.ndarray:
    """Signed angular distance (deg) inside (+) / outside (-) the clockwise sector a0->a1."""
    w = (a1 - a0) % 360.0
    d = np.mod(az_deg - a0, 360.0)
    inside = d <= w
    return np.where(inside, np.minimum(d, w - d), -np.minimum(d - w, 360.0 - d))


def _margin(sg: _SiteGeom, topo: geo.Topocentric, r_teme, sun_teme, gmst) -> np.ndarray:
    """Visibility margin F (>= 0 visible), shape of ``topo.el_deg``."""
    s = sg.site
    el = topo.el_deg
    if sg.simple:
        f = el - s.min_elevation_deg
    else:
        front = el - s.mask_min_el_deg(topo.az_deg) if s.mask else el - s.min_elevation_deg
        if not s.full_azimuth:
            front = np.minimum(front, _sector_margin_deg(topo.az_deg, s.az_min_deg, s.az_max_deg))
        if s.is_fan:
            back = el - (180.0 - s.max_elevation_deg)
            if not s.full_azimuth:
                back = np.minimum(
                    back,
                    _sector_margin_deg(topo.az_deg, s.az_min_deg + 180.0, s.az_max_deg + 180.0),
                )
            f = np.maximum(front, back)
        else:
            f = front
            if s.max_elevation_deg < 90.0:
                f = np.minimum(f, s.max_elevation_deg - el)
        if s.max_range_km is not None:
            f = np.minimum(f, s.max_range_km - topo.range_km)
        if s.min_range_km > 0.0:
            f = np.minimum(f, topo.range_km - s.min_range_km)
        if sg.optical:
            sun_el = lighting.sun_elevation_deg(sun_teme, gmst, sg.r_itrs, sg.enu)
            f = np.minimum(f, sg.dark_deg - sun_el)
            f = np.minimum(f, lighting.shadow_margin_deg(r_teme, sun_teme))
    return np.where(np.isnan(f), _NEG, f)


def _settled_steps(
    sg: _SiteGeom,
    topo: geo.Topocentric,
    el: np.ndarray,
    rate: np.ndarray,
    d_km: np.ndarray,
    h_s: np.ndarray,
    r_teme,
    sun_teme,
    gmst,
    vmax_km_s,
):
    """Grid steps of a non-plain site whose visibility cannot change inside the step.

    Returns ``(inside, outside)`` boolean arrays shaped like the steps, or
    ``None`` when the site has a terrain mask or a fan (always sub-sampled).
    Each limit's margin at both samples is compared with the most it can
    change within half a step: elevation by the unimodality argument
    (no interior minimum / maximum), azimuth by ``asin(d / horizontal
    range)``, range by ``d``, the Sun's elevation by 15 deg/h, the shadow
    margin by ``2 v h / |r|`` (with ``d = v_max h / 2``).
    """
    s = sg.site
    if s.mask or s.is_fan:
        return None
    el0, el1 = el[:, :-1], el[:, 1:]
    no_min = ~((rate[:, :-1] < 0) & (rate[:, 1:] > 0))
    no_max = ~((rate[:, :-1] > 0) & (rate[:, 1:] < 0))
    inside = no_min & (el0 >= s.min_elevation_deg) & (el1 >= s.min_elevation_deg)
    outside = np.zeros_like(inside)
    if s.max_elevation_deg < 90.0:
        inside &= no_max & (el0 <= s.max_elevation_deg) & (el1 <= s.max_elevation_deg)
        outside |= no_min & (el0 > s.max_elevation_deg) & (el1 > s.max_elevation_deg)
    rho = np.where(np.isnan(topo.range_km), 1.0, topo.range_km)
    r0, r1 = rho[:, :-1], rho[:, 1:]
    if not s.full_azimuth:
        m = _sector_margin_deg(np.nan_to_num(topo.az_deg), s.az_min_deg, s.az_max_deg)
        horiz = rho * np.cos(np.radians(el))
        ratio = d_km / np.maximum(np.minimum(horiz[:, :-1], horiz[:, 1:]), 1e-9)
        swing = np.where(ratio < 1.0, np.degrees(np.arcsin(np.minimum(ratio, 1.0))), 361.0)
        inside &= (m[:, :-1] >= swing) & (m[:, 1:] >= swing)
        outside |= (-m[:, :-1] >= swing) & (-m[:, 1:] >= swing)
    if s.max_range_km is not None:
        inside &= (s.max_range_km - r0 >= d_km) & (s.max_range_km - r1 >= d_km)
        outside |= (r0 - s.max_range_km >= d_km) & (r1 - s.max_range_km >= d_km)
    if s.min_range_km > 0.0:
        inside &= (r0 - s.min_range_km >= d_km) & (r1 - s.min_range_km >= d_km)
        outside |= (s.min_range_km - r0 >= d_km) & (s.min_range_km - r1 >= d_km)
    if sg.optical:
        sun_el = lighting.sun_elevation_deg(sun_teme, gmst, sg.r_itrs, sg.enu)
        dark = sg.dark_deg - sun_el  # (1, n) or (m, n)
        dark = np.broadcast_to(dark, el.shape)
        sun_swing = 15.0 / 3600.0 * h_s[None, :] / 2.0 + 0.01
        inside &= (dark[:, :-1] >= sun_swing) & (dark[:, 1:] >= sun_swing)
        outside |= (-dark[:, :-1] >= sun_swing) & (-dark[:, 1:] >= sun_swing)
        shadow = np.nan_to_num(lighting.shadow_margin_deg(r_teme, sun_teme), nan=-180.0)
        rnorm = np.linalg.norm(np.nan_to_num(r_teme, nan=1e9), axis=-1)
        sh_swing = np.degrees(
            2.0 * vmax_km_s[:, None] * h_s[None, :] / np.minimum(rnorm[:, :-1], rnorm[:, 1:])
        )
        inside &= (shadow[:, :-1] >= sh_swing) & (shadow[:, 1:] >= sh_swing)
        outside |= (-shadow[:, :-1] >= sh_swing) & (-shadow[:, 1:] >= sh_swing)
    return inside, outside


# --------------------------------------------------------------------------
# the chunk engine


class _Chunk:
    """TEME states of ``m`` objects on a common grid and interpolation on it."""

    def __init__(self, sats: list[Satrec], tb: geo.TimeBase, step_s: float):
        span = tb.span_s
        t = np.arange(0.0, span, step_s)
        if t.size == 0 or t[-1] < span:
            t = np.append(t, span)
        self.t = t
        self.h = np.diff(t)
        self.tb = tb
        jd, fr = tb.jd_fr(t)
        err, r, v = SatrecArray(sats).sgp4(jd, fr)
        bad = err != 0
        r[bad] = np.nan
        v[bad] = np.nan
        self.r = r
        self.v = v
        self.gmst = tb.gmst_rad(t)
        self.sun = None
        self._itrs = None
        # speed bound relative to the rotating Earth (km/s), per object:
        # perigee speed (vis-viva, with 5 % margin for drag and J2) plus the
        # Earth's rotation at apogee radius
        mu = 398600.8  # WGS-72
        n = np.array([max(s.no_kozai, 1e-9) / 60.0 for s in sats])
        e = np.clip(np.array([s.ecco for s in sats]), 0.0, 0.999)
        a = (mu / n**2) ** (1.0 / 3.0)
        self.vmax_km_s = 1.05 * np.sqrt(
            mu * (1 + e) / (a * (1 - e))
        ) + geo.OMEGA_EARTH_RAD_S * a * (1 + e)

    def itrs(self):
        """Earth-fixed components of the grid states, shared by every site."""
        if self._itrs is None:
            self._itrs = geo.teme_to_itrs_components(self.r, self.v, self.gmst[None, :])
        return self._itrs

    def with_sun(self):
        if self.sun is None:
            jd, fr = self.tb.jd_fr(self.t)
            self.sun = lighting.sun_teme_km(jd, fr)
        return self.sun

    def intervals(self, rows: np.ndarray, k: np.ndarray) -> _Intervals:
        """Gather the end states of grid steps ``k`` of objects ``rows`` once."""
        return _Intervals(
            self.r[rows, k],
            self.v[rows, k],
            self.r[rows, k + 1],
            self.v[rows, k + 1],
            self.t[k],
            self.h[k],
            self.tb,
        )


@dataclass
class _Intervals:
    """Cubic-Hermite interpolant on a set of grid steps (one query per step)."""

    p0: np.ndarray
    v0: np.ndarray
    p1: np.ndarray
    v1: np.ndarray
    t0: np.ndarray
    h: np.ndarray
    tb: geo.TimeBase

    def take(self, idx: np.ndarray) -> _Intervals:
        return _Intervals(
            self.p0[idx],
            self.v0[idx],
            self.p1[idx],
            self.v1[idx],
            self.t0[idx],
            self.h[idx],
            self.tb,
        )

    def state(self, t: np.ndarray):
        """TEME (r, v) at times ``t`` (one per step, or (N, P) for P per step)."""
        if t.ndim == 2:
            sh = (slice(None), None)
            s = (t - self.t0[sh]) / self.h[sh]
            return geo.hermite(
                self.p0[:, None],
                self.v0[:, None],
                self.p1[:, None],
                self.v1[:, None],
                np.broadcast_to(self.h[sh], t.shape),
                s,
            )
        s = (t - self.t0) / self.h
        return geo.hermite(self.p0, self.v0, self.p1, self.v1, self.h, s)


def _eval(iv: _Intervals, sg: _SiteGeom, t: np.ndarray, rates: bool = False):
    """(F, Topocentric) at times ``t`` on the interpolant ``iv``."""
    p, v = iv.state(t)
    gm = iv.tb.gmst_rad(t)
    topo = geo.topocentric(p, v, gm, sg.r_itrs, sg.enu, rates=rates, azimuth=not sg.simple)
    sun = None
    if sg.optical:
        jd, fr = iv.tb.jd_fr(t)
        sun = lighting.sun_teme_km(jd, fr)
    return _margin(sg, topo, p, sun, gm), topo


def _bisect(
    fun: Callable[[np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    f_lo_pos: np.ndarray,
    tol_s: float,
) -> np.ndarray:
    """Vectorized bisection for sign changes; ``f_lo_pos`` is the sign (>=0) at ``lo``."""
    lo = lo.copy()
    hi = hi.copy()
    if lo.size == 0:
        return lo
    width = float(np.max(hi - lo))
    n_iter = max(1, math.ceil(math.log2(max(width, tol_s) / tol_s)))
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        pos = fun(mid) >= 0.0
        same = pos == f_lo_pos
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def _passes_in_chunk(chunk: _Chunk, sg: _SiteGeom, substeps: int, tol_s: float):
    """Visibility intervals of every object of the chunk.

    Returns a list of ``(row, t_rise, t_set, rise_trunc, set_trunc, t_culm)``.
    """
    m, n = chunk.r.shape[:2]
    gm = chunk.gmst[None, :]
    sun = chunk.with_sun()[None, :, :] if sg.optical else None
    rc, vc = chunk.itrs()
    t = chunk.t
    low = sg.site.lowest_elevation_deg

    # -- cheap pass: elevation and range at every sample -----------------------
    dx = rc[0] - sg.r_itrs[0]
    dy = rc[1] - sg.r_itrs[1]
    dz = rc[2] - sg.r_itrs[2]
    rng = np.sqrt(dx * dx + dy * dy + dz * dz)
    up = sg.enu[2]
    with np.errstate(invalid="ignore"):
        el = np.degrees(np.arcsin(np.clip((up[0] * dx + up[1] * dy + up[2] * dz) / rng, -1.0, 1.0)))
    el = np.where(np.isnan(el), -90.0, el)
    rng = np.where(np.isnan(rng), 1.0, rng)
    del dx, dy, dz

    # Elevation-rate bound: any point of a step lies within d = v_max h / 2 of
    # one of its two samples, so its elevation is at most
    # el_i + asin(d / range_i) for that sample.  Steps that cannot reach the
    # lowest possible limit need nothing more: no limit can be met in them.
    d_km = chunk.vmax_km_s[:, None] * (chunk.h[None, :] / 2.0)
    reach = np.maximum(
        el[:, :-1] + np.degrees(np.arcsin(np.minimum(1.0, d_km / rng[:, :-1]))),
        el[:, 1:] + np.degrees(np.arcsin(np.minimum(1.0, d_km / rng[:, 1:]))),
    )
    near_iv = reach >= low - 0.01
    near = np.zeros((m, n), dtype=bool)
    near[:, :-1] |= near_iv
    near[:, 1:] |= near_iv
    sr, sk = np.nonzero(near)

    # -- full look angles, rates and the margin only where something can happen
    topo_s = geo.look_from_itrs(
        tuple(c[sr, sk] for c in rc),
        tuple(c[sr, sk] for c in vc),
        sg.r_itrs,
        sg.enu,
        azimuth=not sg.simple,
    )
    F = np.full((m, n), _NEG)
    F[sr, sk] = _margin(
        sg, topo_s, chunk.r[sr, sk], None if sun is None else sun[0, sk], chunk.gmst[sk]
    )
    rate = np.zeros((m, n))
    rate[sr, sk] = np.where(np.isnan(topo_s.el_rate_deg_s), 0.0, topo_s.el_rate_deg_s)
    el[sr, sk] = np.where(np.isnan(topo_s.el_deg), -90.0, topo_s.el_deg)
    if sg.simple:
        topo = None
    else:
        az = np.zeros((m, n))
        az[sr, sk] = np.nan_to_num(topo_s.az_deg)
        topo = geo.Topocentric(az, el, rng, None, None, None)

    # -- interior elevation extrema (sign changes of the exact rate) --------
    # Maxima that cannot reach the lowest limit are not refined; minima matter
    # only inside passes.
    pos0 = F[:, :-1] >= 0
    pos1 = F[:, 1:] >= 0
    is_max = (rate[:, :-1] > 0) & (rate[:, 1:] < 0) & (reach >= low - 0.01)
    is_min = (rate[:, :-1] < 0) & (rate[:, 1:] > 0) & pos0 & pos1
    ext_rows, ext_k = np.nonzero(is_max | is_min)
    ext_is_max = is_max[ext_rows, ext_k]

    ext_iv = chunk.intervals(ext_rows, ext_k)

    def rate_fun(tq):
        p, v = ext_iv.state(tq)
        return geo.topocentric(
            p, v, chunk.tb.gmst_rad(tq), sg.r_itrs, sg.enu, azimuth=False
        ).el_rate_deg_s

    t_ext = _bisect(rate_fun, t[ext_k], t[ext_k + 1], rate[ext_rows, ext_k] >= 0, tol_s)
    if t_ext.size:
        p_e, _ = ext_iv.state(t_ext)
        tp = geo.topocentric(
            p_e, None, chunk.tb.gmst_rad(t_ext), sg.r_itrs, sg.enu, rates=False, azimuth=False
        )
        el_ext = np.where(np.isnan(tp.el_deg), -90.0, tp.el_deg)
    else:
        el_ext = np.zeros(0)

    # -- which steps need a closer look -------------------------------------
    el_hi = np.maximum(el[:, :-1], el[:, 1:])
    ext_el_grid = np.full((m, n - 1), -90.0)
    ext_t_grid = np.full((m, n - 1), np.nan)
    ext_el_grid[ext_rows, ext_k] = el_ext
    ext_t_grid[ext_rows, ext_k] = t_ext
    el_hi = np.maximum(el_hi, ext_el_grid)
    if sg.simple:
        # plain elevation limit: only sign changes and interior extrema matter
        look = (pos0 != pos1) | (np.isfinite(ext_t_grid) & (el_hi >= low))
    else:
        look = (pos0 != pos1) | (el_hi >= low)
        settled = _settled_steps(
            sg, topo, el, rate, d_km, chunk.h, chunk.r, sun, gm, chunk.vmax_km_s
        )
        if settled is not None:
            inside, outside = settled
            look &= ~((inside & pos0 & pos1) | (outside & ~pos0 & ~pos1))
    rows_i, k_i = np.nonzero(look)

    brackets_lo: list[np.ndarray] = []
    brackets_hi: list[np.ndarray] = []
    brackets_row: list[np.ndarray] = []
    brackets_pos: list[np.ndarray] = []
    brackets_iv: list[np.ndarray] = []
    if rows_i.size:
        t0 = t[k_i]
        t1 = t[k_i + 1]
        te = ext_t_grid[rows_i, k_i]
        cols = [t0[:, None], t1[:, None], np.where(np.isfinite(te), te, t0)[:, None]]
        if not sg.simple and substeps > 0:
            frac = (np.arange(1, substeps + 1) / (substeps + 1.0))[None, :]
            cols.append(t0[:, None] + (t1 - t0)[:, None] * frac)
        sub_t = np.sort(np.concatenate(cols, axis=1), axis=1)
        look_iv = chunk.intervals(rows_i, k_i)
        fsub, _ = _eval(look_iv, sg, sub_t)
        # the grid end points are exact; keep them exact
        fsub[:, 0] = F[rows_i, k_i]
        fsub[:, -1] = F[rows_i, k_i + 1]
        ps = fsub >= 0
        ch_r, ch_c = np.nonzero(ps[:, :-1] != ps[:, 1:])
        if ch_r.size:
            brackets_lo.append(sub_t[ch_r, ch_c])
            brackets_hi.append(sub_t[ch_r, ch_c + 1])
            brackets_row.append(rows_i[ch_r])
            brackets_pos.append(ps[ch_r, ch_c])
            brackets_iv.append(ch_r)

    if brackets_lo:
        b_lo = brackets_lo[0]
        b_hi = brackets_hi[0]
        b_row = brackets_row[0]
        b_pos = brackets_pos[0]
        b_iv = look_iv.take(brackets_iv[0])

        def f_fun(tq):
            f, _ = _eval(b_iv, sg, tq)
            return f

        b_t = _bisect(f_fun, b_lo, b_hi, b_pos, tol_s)
        b_rise = ~b_pos  # negative before -> rising
    else:
        b_t = np.zeros(0)
        b_row = np.zeros(0, dtype=int)
        b_rise = np.zeros(0, dtype=bool)

    # -- assemble intervals per object --------------------------------------
    out = []
    order = np.lexsort((b_t, b_row))
    b_t, b_row, b_rise = b_t[order], b_row[order], b_rise[order]
    starts = np.searchsorted(b_row, np.arange(m), side="left")
    ends = np.searchsorted(b_row, np.arange(m), side="right")
    # maxima per row, sorted by time
    mx = ext_is_max
    mx_rows, mx_t, mx_el = ext_rows[mx], t_ext[mx], el_ext[mx]
    o2 = np.lexsort((mx_t, mx_rows))
    mx_rows, mx_t, mx_el = mx_rows[o2], mx_t[o2], mx_el[o2]
    mstart = np.searchsorted(mx_rows, np.arange(m), side="left")
    mend = np.searchsorted(mx_rows, np.arange(m), side="right")
    span = t[-1]
    vis0 = F[:, 0] >= 0
    for row in range(m):
        a, b = starts[row], ends[row]
        if a == b and not vis0[row]:
            continue
        state = bool(vis0[row])
        t_open = 0.0 if state else None
        intervals = []
        for j in range(a, b):
            if b_rise[j] and not state:
                state, t_open = True, b_t[j]
            elif not b_rise[j] and state:
                intervals.append((t_open, b_t[j]))
                state, t_open = False, None
        if state:
            intervals.append((t_open, span))
        if not intervals:
            continue
        mts = mx_t[mstart[row] : mend[row]]
        mels = mx_el[mstart[row] : mend[row]]
        for tr, ts_ in intervals:
            sel = (mts > tr) & (mts < ts_)
            out.append((row, tr, ts_, tr <= 0.0, ts_ >= span, mts[sel], mels[sel]))
    return out


def find_passes_multi(
    element_sets: Sequence,
    sites: Sequence[Site],
    start: datetime,
    end: datetime,
    *,
    min_el_deg: float | None = None,
    freq_mhz: float | None = None,
    dark_sun_el_deg: float = lighting.NAUTICAL_DARK_DEG,
    step_arc_rad: float = 0.15,
    max_step_s: float = 600.0,
    substeps: int = 8,
    tol_s: float = 1e-3,
    chunk_size: int = 1024,
    progress: Callable[[int], None] | None = None,
) -> dict[str, list[Pass]]:
    """Every pass of every object over each site in ``[start, end]``.

    ``element_sets``: ``ElementSet`` records or sgp4 ``Satrec`` objects.
    ``min_el_deg`` overrides each site's minimum elevation when given.
    ``freq_mhz`` adds Doppler offsets.  Optical sites keep only the portions
    where the Sun is below ``dark_sun_el_deg`` at the site and the object is
    sunlit (conical shadow).  Returns ``{site.name: [Pass, ...]}`` sorted by
    rise time.  ``progress(n_objects_done)`` is called after each chunk.
    """
    from orbitwatch.tracking.sites import with_min_elevation

    if end <= start:
        raise ValueError("end must be after start")
    objs = _as_objects(element_sets)
    span_s = (end - start).total_seconds()
    tb = geo.TimeBase.create(start, span_s)
    sgs = [_site_geom(with_min_elevation(s, min_el_deg), dark_sun_el_deg) for s in sites]
    result: dict[str, list[Pass]] = {s.name: [] for s in sites}
    if not objs.satrecs:
        return result
    steps = np.array(
        [step_for_orbit_s(s.no_kozai, s.ecco, step_arc_rad, max_step_s) for s in objs.satrecs]
    )
    freq_hz = None if freq_mhz is None else freq_mhz * 1e6
    done = 0
    for step in np.unique(steps):
        idx = np.nonzero(steps == step)[0]
        for c0 in range(0, idx.size, chunk_size):
            cidx = idx[c0 : c0 + chunk_size]
            chunk = _Chunk([objs.satrecs[i] for i in cidx], tb, float(step))
            for sg in sgs:
                found = _passes_in_chunk(chunk, sg, substeps, tol_s)
                result[sg.site.name].extend(
                    _make_passes(found, cidx, objs, tb, sg, chunk, freq_hz, start)
                )
            done += cidx.size
            if progress is not None:
                progress(int(cidx.size))
    for lst in result.values():
        lst.sort(key=lambda p: (p.rise.time, p.norad_id))
    return result


def _exact_topo(
    sat_of_row, rows: np.ndarray, t_s: np.ndarray, tb, sg: _SiteGeom, azimuth: bool = True
) -> geo.Topocentric:
    """Exact SGP4 look angles at ``(rows[i], t_s[i])``; ``rows`` must be grouped."""
    r_all = np.empty((t_s.size, 3))
    v_all = np.empty((t_s.size, 3))
    err_all = np.zeros(t_s.size, dtype=np.int32)
    if t_s.size:
        jd, fr = tb.jd_fr(t_s)
        cuts = np.flatnonzero(np.diff(rows)) + 1
        starts = np.r_[0, cuts].tolist()
        ends = np.r_[cuts, rows.size].tolist()
        rl = rows.tolist()
        for a, b in zip(starts, ends):
            e, r_all[a:b], v_all[a:b] = sat_of_row(rl[a]).sgp4_array(jd[a:b], fr[a:b])
            err_all[a:b] = e
        bad = err_all != 0
        r_all[bad] = np.nan
        v_all[bad] = np.nan
    return geo.topocentric(r_all, v_all, tb.gmst_rad(t_s), sg.r_itrs, sg.enu, azimuth=azimuth)


def _make_passes(
    found,
    cidx,
    objs: _Objects,
    tb,
    sg: _SiteGeom,
    chunk: _Chunk,
    freq_hz,
    start,
    polish_dt_s: float = 0.5,
):
    """Pass records with exact SGP4 states at rise, culmination and set.

    Interior elevation maxima located on the interpolant are polished by a
    parabolic step on *exact* SGP4 elevations at ``t`` and ``t +- polish_dt_s``.
    Near the very flat apogee maxima of eccentric orbits (elevation
    curvature ~1e-7 deg/s^2) a velocity error of 1 m/s moves the time of
    the maximum by seconds, and SDP4's velocity is not the exact derivative
    of its position at that level (the lunar-solar periodics are not
    differentiated), so neither the interpolant nor the analytic rate is
    trusted there; finite differences of exact positions are.
    """
    if not found:
        return []

    def sat_of_row(row):
        return objs.satrecs[int(cidx[row])]

    n_it = len(found)
    it_row = np.fromiter((f[0] for f in found), dtype=np.int64, count=n_it)
    it_tr = np.fromiter((f[1] for f in found), dtype=float, count=n_it)
    it_ts = np.fromiter((f[2] for f in found), dtype=float, count=n_it)
    counts = np.fromiter((len(f[5]) for f in found), dtype=np.int64, count=n_it)
    m_item = np.repeat(np.arange(n_it), counts)
    m_rows = it_row[m_item]
    m_t = np.concatenate([f[5] for f in found]).astype(float) if m_item.size else np.zeros(0)
    # parabolic polish of interior maxima on exact SGP4 elevations
    if m_t.size:
        hmax = 5.0 * float(chunk.h.max())
        rr3 = np.repeat(m_rows, 3)
        tt3 = (m_t[:, None] + np.array([-polish_dt_s, 0.0, polish_dt_s])[None, :]).ravel()
        y = _exact_topo(sat_of_row, rr3, tt3, tb, sg, azimuth=False).el_deg.reshape(-1, 3)
        den = y[:, 0] - 2.0 * y[:, 1] + y[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            dx = np.where((den < 0) & np.isfinite(den), 0.5 * (y[:, 0] - y[:, 2]) / den, 0.0)
        m_t = m_t + np.clip(dx * polish_dt_s, -hmax, hmax)
        inside = (m_t > it_tr[m_item]) & (m_t < it_ts[m_item])
        m_t, m_item, m_rows = m_t[inside], m_item[inside], m_rows[inside]
    # exact states at rise, set and maxima, grouped by object for sgp4_array
    rows_all = np.concatenate([it_row, it_row, m_rows])
    t_all = np.concatenate([it_tr, it_ts, m_t])
    order = np.argsort(rows_all, kind="stable")
    topo_sorted = _exact_topo(sat_of_row, rows_all[order], t_all[order], tb, sg)
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    el_all = topo_sorted.el_deg[inv]
    az_all = topo_sorted.az_deg[inv]
    rng_all = topo_sorted.range_km[inv]
    rr_all = topo_sorted.range_rate_km_s[inv]
    # culmination: best of rise, set and the interior maxima of each pass
    el_c = np.where(np.isnan(el_all), -1e9, el_all)
    best = np.full(n_it, -np.inf)
    best_idx = np.full(n_it, -1, dtype=np.int64)
    if m_item.size:
        idx_m = 2 * n_it + np.arange(m_item.size)
        np.maximum.at(best, m_item, el_c[idx_m])
        hit = el_c[idx_m] >= best[m_item]
        best_idx[m_item[hit][::-1]] = idx_m[hit][::-1]  # first max wins
    cand = np.stack([el_c[:n_it], el_c[n_it : 2 * n_it], best])
    which = np.argmax(cand, axis=0)
    culm = np.where(
        which == 0, np.arange(n_it), np.where(which == 1, n_it + np.arange(n_it), best_idx)
    )
    valid = np.max(cand, axis=0) > -1e8
    az = az_all.tolist()
    eld = el_all.tolist()
    rng = rng_all.tolist()
    rr = rr_all.tolist()
    tl = t_all.tolist()
    dop = None if freq_hz is None else (-freq_hz / C_KM_S * rr_all).tolist()

    def point(k: int) -> PassPoint:
        return PassPoint(
            start + timedelta(seconds=tl[k]),
            az[k],
            eld[k],
            rng[k],
            rr[k],
            None if dop is None else dop[k],
        )

    out = []
    site_name = sg.site.name
    culm_l = culm.tolist()
    for i, f in enumerate(found):
        if not valid[i]:
            continue
        gi = int(cidx[f[0]])
        out.append(
            Pass(
                int(objs.ids[gi]),
                site_name,
                point(i),
                point(culm_l[i]),
                point(n_it + i),
                bool(f[3]),
                bool(f[4]),
                objs.names[gi],
            )
        )
    return out


def find_passes(
    element_sets: Sequence,
    site: Site,
    start: datetime,
    end: datetime,
    min_el_deg: float | None = None,
    **kw,
) -> list[Pass]:
    """Every pass of every object over one site; see :func:`find_passes_multi`."""
    return find_passes_multi(element_sets, [site], start, end, min_el_deg=min_el_deg, **kw)[
        site.name
    ]
