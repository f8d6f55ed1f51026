"""Vectorized site geometry: TEME -> ITRS -> topocentric az/el/range.

Frames and conventions
----------------------
* SGP4 states are TEME (km, km/s).  TEME -> pseudo-Earth-fixed is a single
  rotation about z by Greenwich Mean Sidereal Time of the IAU 1982 model
  (AIAA 2006-6753 Appendix C, Vallado et al. 2006), evaluated at UT1.  Polar
  motion (<= 0.5 arcsec, ~15 m) is neglected, as skyfield does by default.
  This is exactly the rotation skyfield's ``EarthSatellite.find_events`` uses
  internally, so the two agree to well under a milliarcsecond.
* UT1 - UTC comes from skyfield's builtin IERS table (no downloads); beyond
  the table it holds the last predicted value.  Ignoring it would shift the
  site by up to 0.9 s of Earth rotation (~0.4 km) and move maximum
  elevations of overhead LEO passes by up to ~0.05 deg.
* Sites are WGS-84 geodetic (latitude, longitude, height above ellipsoid).
* Topocentric east-north-up (ENU); azimuth from north through east in
  [0, 360) deg, elevation geometric (no refraction), range in km, range rate
  km/s (positive receding).

Shapes: any leading shape ``(...)`` of times/objects broadcast together;
vectors carry a trailing axis of 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from orbitwatch.timeutil import DAY_S, datetime_to_jd

TAU = 2.0 * np.pi
DEG = np.pi / 180.0
# WGS-84 ellipsoid
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
# Earth rotation rate of GMST 1982 (rad/s), the first-order term; the
# secular correction is below 1e-12 relative.
OMEGA_EARTH_RAD_S = TAU * (1.0 + 8640184.812866 / (DAY_S * 36525.0)) / DAY_S
_J2000 = 2451545.0


def gmst82_rad(jd_ut1: np.ndarray, fr_ut1: np.ndarray) -> np.ndarray:
    """Greenwich Mean Sidereal Time, IAU 1982 (AIAA 2006-6753 App. C), radians.

    ``jd_ut1 + fr_ut1`` is the UT1 Julian date split for precision (``jd``
    may be a midnight value ending in .5).  Returns angles in [0, 2*pi).
    """
    jd_ut1 = np.asarray(jd_ut1, dtype=float)
    fr_ut1 = np.asarray(fr_ut1, dtype=float)
    t = (jd_ut1 - _J2000 + fr_ut1) / 36525.0
    g_s = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    return np.mod(np.mod(jd_ut1, 1.0) + fr_ut1 + np.mod(g_s / DAY_S, 1.0), 1.0) * TAU


@lru_cache(maxsize=1)
def _timescale():
    try:
        from skyfield.api import load

        return load.timescale(builtin=True)
    except (ImportError, OSError, ValueError):  # pragma: no cover - skyfield is a dependency
        return None


def dut1_s(when: datetime | list[datetime]) -> np.ndarray:
    """UT1 - UTC in seconds from skyfield's builtin IERS table (0.0 if unavailable)."""
    ts = _timescale()
    items = when if isinstance(when, list) else [when]
    if ts is None:
        return np.zeros(len(items))
    t = ts.from_datetimes(items)
    return np.atleast_1d(np.asarray(t.dut1, dtype=float))


@dataclass(frozen=True)
class TimeBase:
    """Times as float seconds since ``start`` with the split-JD bookkeeping.

    ``jd0 + fr0`` is the UTC Julian date of ``start``; ``dut1_a_s`` and
    ``dut1_b_s`` are UT1-UTC at ``start`` and ``start + span_s`` (linearly
    interpolated between; a leap second inside the window is not modelled
    for UT1 but UTC offsets stay exact).
    """

    start: datetime
    jd0: float
    fr0: float
    span_s: float
    dut1_a_s: float
    dut1_b_s: float

    @classmethod
    def create(cls, start: datetime, span_s: float) -> TimeBase:
        from datetime import timedelta

        jd0, fr0 = datetime_to_jd(start)
        d = dut1_s([start, start + timedelta(seconds=max(span_s, 0.0))])
        return cls(start, jd0, fr0, float(span_s), float(d[0]), float(d[-1]))

    def jd_fr(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """UTC split Julian dates for SGP4 at offsets ``t_s`` (s)."""
        t_s = np.asarray(t_s, dtype=float)
        return np.full(t_s.shape, self.jd0), self.fr0 + t_s / DAY_S

    def gmst_rad(self, t_s: np.ndarray) -> np.ndarray:
        """GMST 1982 at offsets ``t_s`` using UT1."""
        t_s = np.asarray(t_s, dtype=float)
        if self.span_s > 0:
            dut1 = self.dut1_a_s + (self.dut1_b_s - self.dut1_a_s) * np.clip(
                t_s / self.span_s, 0, 1
            )
        else:
            dut1 = self.dut1_a_s
        return gmst82_rad(np.full(t_s.shape, self.jd0), self.fr0 + (t_s + dut1) / DAY_S)


def geodetic_to_itrs_km(lat_deg: float, lon_deg: float, alt_m: float) -> np.ndarray:
    """WGS-84 geodetic -> Earth-fixed Cartesian position (km), shape (3,)."""
    lat = lat_deg * DEG
    lon = lon_deg * DEG
    e2 = WGS84_F * (2.0 - WGS84_F)
    n = WGS84_A_KM / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    h = alt_m / 1000.0
    return np.array(
        [
            (n + h) * np.cos(lat) * np.cos(lon),
            (n + h) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - e2) + h) * np.sin(lat),
        ]
    )


def enu_matrix(lat_deg: float, lon_deg: float) -> np.ndarray:
    """Rotation (3, 3) from Earth-fixed to local east-north-up (geodetic normal)."""
    lat = lat_deg * DEG
    lon = lon_deg * DEG
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    return np.array(
        [
            [-so, co, 0.0],
            [-sl * co, -sl * so, cl],
            [cl * co, cl * so, sl],
        ]
    )


def teme_to_itrs(r_teme_km: np.ndarray, v_teme_km_s: np.ndarray | None, gmst_rad: np.ndarray):
    """Rotate TEME states to Earth-fixed (pseudo-Earth-fixed, no polar motion).

    ``r_teme_km`` (..., 3), ``gmst_rad`` broadcastable to ``(...)``.  The
    velocity, when given, is Earth-relative: ``R v - omega x r_itrs``.
    """
    c = np.cos(gmst_rad)
    s = np.sin(gmst_rad)
    x, y, z = r_teme_km[..., 0], r_teme_km[..., 1], r_teme_km[..., 2]
    xr = c * x + s * y
    yr = -s * x + c * y
    r = np.stack([xr, yr, np.broadcast_to(z, xr.shape)], axis=-1)
    if v_teme_km_s is None:
        return r, None
    vx, vy, vz = v_teme_km_s[..., 0], v_teme_km_s[..., 1], v_teme_km_s[..., 2]
    vxr = c * vx + s * vy + OMEGA_EARTH_RAD_S * yr
    vyr = -s * vx + c * vy - OMEGA_EARTH_RAD_S * xr
    v = np.stack([vxr, vyr, np.broadcast_to(vz, vxr.shape)], axis=-1)
    return r, v


@dataclass
class Topocentric:
    """Topocentric look angles; every array has the broadcast shape ``(...)``.

    ``el_rate_deg_s`` is d(elevation)/dt, ``range_rate_km_s`` d(range)/dt
    (positive when receding); ``u_km`` is the up component of the
    site-to-object vector (km), ``enu_km`` the full vector (..., 3).
    """

    az_deg: np.ndarray
    el_deg: np.ndarray
    range_km: np.ndarray
    range_rate_km_s: np.ndarray
    el_rate_deg_s: np.ndarray
    az_rate_deg_s: np.ndarray


def teme_to_itrs_components(
    r_teme_km: np.ndarray, v_teme_km_s: np.ndarray | None, gmst_rad: np.ndarray
):
    """Earth-fixed ``(x, y, z)`` and Earth-relative ``(vx, vy, vz)`` as separate arrays ``(...)``.

    Same rotation as :func:`teme_to_itrs`; components are returned separately so
    several sites can reuse them without re-rotating (velocities None without ``v``).
    """
    c = np.cos(gmst_rad)
    s = np.sin(gmst_rad)
    x, y, z = r_teme_km[..., 0], r_teme_km[..., 1], r_teme_km[..., 2]
    xr = c * x + s * y
    yr = -s * x + c * y
    zr = np.ascontiguousarray(np.broadcast_to(z, xr.shape))
    if v_teme_km_s is None:
        return (xr, yr, zr), None
    vx, vy, vz = v_teme_km_s[..., 0], v_teme_km_s[..., 1], v_teme_km_s[..., 2]
    vxr = c * vx + s * vy + OMEGA_EARTH_RAD_S * yr
    vyr = -s * vx + c * vy - OMEGA_EARTH_RAD_S * xr
    vzr = np.ascontiguousarray(np.broadcast_to(vz, xr.shape))
    return (xr, yr, zr), (vxr, vyr, vzr)


def topocentric(
    r_teme_km: np.ndarray,
    v_teme_km_s: np.ndarray | None,
    gmst_rad: np.ndarray,
    site_itrs_km: np.ndarray,
    enu: np.ndarray,
    rates: bool = True,
    azimuth: bool = True,
) -> Topocentric:
    """Az/el/range (and, with ``rates``, their time derivatives) from one site.

    ``r_teme_km``/``v_teme_km_s`` (..., 3) TEME; ``gmst_rad`` broadcastable to
    ``(...)``.  Without ``rates`` the rate fields are None; without
    ``azimuth`` the azimuth and its rate are None (the hot loops of a plain
    elevation limit need neither).
    """
    rc, vc = teme_to_itrs_components(r_teme_km, v_teme_km_s if rates else None, gmst_rad)
    return look_from_itrs(rc, vc, site_itrs_km, enu, rates=rates, azimuth=azimuth)


def look_from_itrs(
    rc, vc, site_itrs_km: np.ndarray, enu: np.ndarray, rates: bool = True, azimuth: bool = True
) -> Topocentric:
    """Look angles from Earth-fixed components ``rc = (x, y, z)``, ``vc`` (or None)."""
    dx = rc[0] - site_itrs_km[0]
    dy = rc[1] - site_itrs_km[1]
    dz = rc[2] - site_itrs_km[2]
    e = enu[0, 0] * dx + enu[0, 1] * dy
    n = enu[1, 0] * dx + enu[1, 1] * dy + enu[1, 2] * dz
    u = enu[2, 0] * dx + enu[2, 1] * dy + enu[2, 2] * dz
    horiz2 = e * e + n * n
    horiz = np.sqrt(horiz2)
    rho = np.sqrt(horiz2 + u * u)
    el = np.arctan2(u, horiz)
    az_deg = np.mod(np.arctan2(e, n), TAU) / DEG if azimuth else None
    if not rates or vc is None:
        return Topocentric(az_deg, el / DEG, rho, None, None, None)
    dvx, dvy, vz = vc
    ed = enu[0, 0] * dvx + enu[0, 1] * dvy
    nd = enu[1, 0] * dvx + enu[1, 1] * dvy + enu[1, 2] * vz
    ud = enu[2, 0] * dvx + enu[2, 1] * dvy + enu[2, 2] * vz
    rho_dot = (e * ed + n * nd + u * ud) / rho
    safe_h = np.where(horiz > 0, horiz, 1.0)
    horiz_dot = np.where(horiz > 0, (e * ed + n * nd) / safe_h, 0.0)
    # d(el)/dt = (u' * horiz - u * horiz') / rho^2
    el_rate = (ud * horiz - u * horiz_dot) / (rho * rho)
    az_rate = (
        np.where(horiz2 > 0, (n * ed - e * nd) / (safe_h * safe_h), 0.0) / DEG if azimuth else None
    )
    return Topocentric(az_deg, el / DEG, rho, rho_dot, el_rate / DEG, az_rate)


def hermite(p0, v0, p1, v1, h, s, derivative: bool = True):
    """Cubic Hermite interpolation of position and its derivative.

    ``p0, v0`` at the start and ``p1, v1`` at the end of an interval of
    length ``h`` (s); ``s`` in [0, 1] the fraction.  Shapes (..., 3) for the
    states and (...) for ``h`` and ``s`` (``h`` may be a number).  Returns
    ``(p, v)`` (``v`` is ``None`` without ``derivative``).  For an orbit
    with angular rate w the position error is about (w h)^4 r / 384
    (e.g. 2 m for w h = 0.1 rad at r = 7000 km).
    """
    s = s[..., None]
    hh = np.asarray(h)[..., None]
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    p = h00 * p0 + h10 * hh * v0 + h01 * p1 + h11 * hh * v1
    if not derivative:
        return p, None
    d00 = 6 * s2 - 6 * s
    d10 = 3 * s2 - 4 * s + 1
    d11 = 3 * s2 - 2 * s
    v = (d00 * (p0 - p1)) / hh + d10 * v0 + d11 * v1
    return p, v
