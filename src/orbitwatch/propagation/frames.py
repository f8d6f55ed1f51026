"""Frame conversions for SGP4 states: TEME -> ITRS -> WGS-84 geodetic, TEME -> GCRS.

Shapes: vectors are ``(..., n_times, 3)`` — typically ``(n_objects, n_times, 3)``
as produced by :func:`orbitwatch.propagation.propagate`, or ``(n_times, 3)`` —
and times are split UTC Julian dates ``(jd, fr)`` shaped ``(n_times,)`` (or
scalars).  Units: km and km/s throughout, angles in degrees at the output.

Time scales.  UTC -> TAI uses ERFA's leap-second table (``eraUtctai``); TT =
TAI + 32.184 s; UT1 = UTC + dUT1 comes from skyfield's *builtin* timescale data
(``load.timescale(builtin=True)``: bundled IERS values and skyfield's long-term
delta-T beyond them), so nothing is downloaded and our results agree with
skyfield's.  Supply your own ``dut1_s`` to use IERS Bulletin A values.

TEME -> ITRS (Vallado et al. 2006, AIAA 2006-6753, appendix C, ``teme2ecef``):
rotate about z by the IAU-1982 Greenwich mean sidereal time of UT1
(``eraGmst82``) to the pseudo-Earth-fixed frame, subtract omega x r for the
velocity (omega = 7.292115146706979e-5 rad/s, the IERS nominal rate), then
apply polar motion ``W(xp, yp, s')`` (``eraPom00``).  **Polar motion is off by
default** (xp = yp = 0): no Earth-orientation files are downloaded, and the
builtin skyfield timescale carries none either, so this matches skyfield's
``itrs`` frame; polar motion is at most ~0.5 arcsec, i.e. up to ~15 m at LEO
and ~100 m at GEO.  Pass ``xp_arcsec``/``yp_arcsec`` from IERS data to apply it.

TEME -> GCRS: TEME is the true-of-date (TOD) equator with its x axis moved
from the true equinox by the difference between apparent sidereal time and
GMST-1982; so r_TOD = R3(GMST82 - GAST) r_TEME, and r_GCRS = NPB^T r_TOD with
NPB the IAU 2006/2000A bias-precession-nutation matrix (``eraPnm06a``) and
GAST from ``eraGst06a``.  This is the same chain skyfield's ``TEME`` frame
uses.  Velocities are rotated only (the rate of NPB is negligible: < 1e-4 mm/s).

ITRS -> geodetic: Heikkinen's (1982) closed form for the WGS-84 ellipsoid,
exact to well under a millimetre at orbital heights (the tests compare it
against ERFA's ``eraGc2gd``, Fukushima 2006, and skyfield's ``wgs84``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property, lru_cache

import erfa
import numpy as np

from orbitwatch.propagation.sgp4_array import as_time_arrays

#: Nominal mean angular velocity of the Earth, rad/s (IERS Conventions 2010, ch. 1).
EARTH_ROTATION_RATE_RAD_S = 7.292115146706979e-5
#: WGS-84 equatorial radius (km) and flattening.
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
_ARCSEC_RAD = np.pi / (180.0 * 3600.0)
_TT_MINUS_TAI_DAYS = 32.184 / 86400.0


@lru_cache(maxsize=1)
def builtin_timescale():
    """skyfield's timescale from its bundled data (never downloads)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


class EarthOrientation:
    """Per-instant time scales and Earth-orientation quantities for ``n_times`` instants.

    Attributes are computed on first use: ``tt``/``ut1`` split Julian dates
    (each a pair of ``(n_times,)`` arrays), ``dut1_s`` (UT1 - UTC, s),
    ``gmst82_rad`` (IAU-1982 GMST of UT1), ``gast_rad`` (IAU 2006/2000A
    apparent sidereal time), ``npb`` (``(n_times, 3, 3)``, GCRS -> true of
    date), ``polar_motion`` (``(n_times, 3, 3)`` W matrix, TIRS -> ITRS, or
    ``None`` when polar motion is off).
    """

    def __init__(
        self,
        jd: float | np.ndarray,
        fr: float | np.ndarray | None = None,
        *,
        xp_arcsec: float | np.ndarray = 0.0,
        yp_arcsec: float | np.ndarray = 0.0,
        dut1_s: float | np.ndarray | None = None,
    ) -> None:
        self.jd_utc, self.fr_utc = as_time_arrays(jd, fr)
        n = self.jd_utc.shape[0]
        self.xp_arcsec = np.broadcast_to(np.asarray(xp_arcsec, dtype=float), (n,))
        self.yp_arcsec = np.broadcast_to(np.asarray(yp_arcsec, dtype=float), (n,))
        self._dut1_given = None if dut1_s is None else np.broadcast_to(
            np.asarray(dut1_s, dtype=float), (n,)
        )

    @property
    def n_times(self) -> int:
        return int(self.jd_utc.shape[0])

    @cached_property
    def tai(self) -> tuple[np.ndarray, np.ndarray]:
        """TAI split Julian date (whole, fraction)."""
        # normalise so the fraction is within [0, 1): ERFA looks the leap
        # second up by the calendar day of the sum, either way.
        shift = np.floor(self.fr_utc)
        jd1 = self.jd_utc + shift
        jd2 = self.fr_utc - shift
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", erfa.ErfaWarning)  # "dubious year" past the table
            tai1, tai2 = erfa.utctai(jd1, jd2)
        return np.asarray(tai1, float), np.asarray(tai2, float)

    @cached_property
    def tt(self) -> tuple[np.ndarray, np.ndarray]:
        """TT split Julian date (whole, fraction)."""
        tai1, tai2 = self.tai
        return tai1, tai2 + _TT_MINUS_TAI_DAYS

    @cached_property
    def dut1_s(self) -> np.ndarray:
        """UT1 - UTC in seconds, ``(n_times,)`` (skyfield builtin data unless given)."""
        if self._dut1_given is not None:
            return np.asarray(self._dut1_given, dtype=float)
        ts = builtin_timescale()
        tai1, tai2 = self.tai
        t = ts.tai_jd(tai1, tai2)
        ut1_minus_tai_days = (t.whole - tai1) + (t.ut1_fraction - tai2)
        utc_minus_tai_days = (self.jd_utc - tai1) + (self.fr_utc - tai2)
        return np.asarray((ut1_minus_tai_days - utc_minus_tai_days) * 86400.0, dtype=float)

    @cached_property
    def ut1(self) -> tuple[np.ndarray, np.ndarray]:
        """UT1 split Julian date (whole, fraction)."""
        return self.jd_utc, self.fr_utc + self.dut1_s / 86400.0

    @cached_property
    def gmst82_rad(self) -> np.ndarray:
        """Greenwich mean sidereal time, IAU 1982 model, of UT1 (rad), ``(n_times,)``."""
        return np.asarray(erfa.gmst82(*self.ut1), dtype=float)

    @cached_property
    def gast_rad(self) -> np.ndarray:
        """Greenwich apparent sidereal time, IAU 2006/2000A (rad), ``(n_times,)``."""
        return np.asarray(erfa.gst06a(*self.ut1, *self.tt), dtype=float)

    @cached_property
    def npb(self) -> np.ndarray:
        """Bias-precession-nutation matrix, IAU 2006/2000A: r_TOD = NPB r_GCRS, ``(n_times, 3, 3)``."""
        return np.asarray(erfa.pnm06a(*self.tt), dtype=float).reshape(self.n_times, 3, 3)

    @cached_property
    def polar_motion(self) -> np.ndarray | None:
        """Polar-motion matrix W (r_ITRS = W r_TIRS), or ``None`` when xp = yp = 0."""
        if not (self.xp_arcsec.any() or self.yp_arcsec.any()):
            return None
        sp = erfa.sp00(*self.tt)
        w = erfa.pom00(self.xp_arcsec * _ARCSEC_RAD, self.yp_arcsec * _ARCSEC_RAD, sp)
        return np.asarray(w, dtype=float).reshape(self.n_times, 3, 3)


def _orientation(jd, fr, eop: EarthOrientation | None, **kwargs) -> EarthOrientation:
    if eop is not None:
        return eop
    return EarthOrientation(jd, fr, **kwargs)


def _check_vectors(r: np.ndarray, n_times: int, name: str) -> np.ndarray:
    a = np.asarray(r, dtype=np.float64)
    if a.ndim < 2 or a.shape[-1] != 3 or a.shape[-2] != n_times:
        raise ValueError(
            f"{name} must be shaped (..., n_times, 3) with n_times={n_times}, got {a.shape}"
        )
    return a


def _rotate_z(angle: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Passive rotation R3(angle) of ``vec`` (..., n_times, 3) by per-time angles (n_times,)."""
    c = np.cos(angle)
    s = np.sin(angle)
    out = np.empty_like(vec)
    x = vec[..., 0]
    y = vec[..., 1]
    out[..., 0] = c * x + s * y
    out[..., 1] = c * y - s * x
    out[..., 2] = vec[..., 2]
    return out


def _apply_matrix(m: np.ndarray, vec: np.ndarray, transpose: bool = False) -> np.ndarray:
    """``m[t] @ vec[..., t, :]`` (or ``m[t].T @ ...``) for per-time 3x3 matrices ``(n_times, 3, 3)``."""
    if transpose:
        m = np.swapaxes(m, -1, -2)
    out = np.empty_like(vec)
    for i in range(3):
        out[..., i] = m[:, i, 0] * vec[..., 0] + m[:, i, 1] * vec[..., 1] + m[:, i, 2] * vec[..., 2]
    return out


def teme_to_itrs(
    r_teme_km: np.ndarray,
    v_teme_km_s: np.ndarray | None,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    xp_arcsec: float | np.ndarray = 0.0,
    yp_arcsec: float | np.ndarray = 0.0,
    eop: EarthOrientation | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """TEME -> ITRS (Earth-fixed) position and velocity.

    ``r_teme_km`` (km) and ``v_teme_km_s`` (km/s, or ``None``) shaped
    ``(..., n_times, 3)``; ``jd``/``fr`` UTC split Julian dates ``(n_times,)``.
    The ITRS velocity is relative to the rotating Earth (omega x r removed).
    Polar motion is applied only when ``xp_arcsec``/``yp_arcsec`` are given
    (default off).  ``eop`` reuses an :class:`EarthOrientation` built for
    the same times.  Returns ``(r_itrs_km, v_itrs_km_s)``; NaN stays NaN.
    """
    eo = _orientation(jd, fr, eop, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec)
    r = _check_vectors(r_teme_km, eo.n_times, "r_teme_km")
    theta = eo.gmst82_rad
    r_pef = _rotate_z(theta, r)
    v_pef = None
    if v_teme_km_s is not None:
        v = _check_vectors(v_teme_km_s, eo.n_times, "v_teme_km_s")
        v_pef = _rotate_z(theta, v)
        w = EARTH_ROTATION_RATE_RAD_S
        v_pef[..., 0] += w * r_pef[..., 1]
        v_pef[..., 1] -= w * r_pef[..., 0]
    pm = eo.polar_motion
    if pm is None:
        return r_pef, v_pef
    return _apply_matrix(pm, r_pef), (None if v_pef is None else _apply_matrix(pm, v_pef))


def itrs_to_teme(
    r_itrs_km: np.ndarray,
    v_itrs_km_s: np.ndarray | None,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    xp_arcsec: float | np.ndarray = 0.0,
    yp_arcsec: float | np.ndarray = 0.0,
    eop: EarthOrientation | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Inverse of :func:`teme_to_itrs` (same shapes, units and options)."""
    eo = _orientation(jd, fr, eop, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec)
    r = _check_vectors(r_itrs_km, eo.n_times, "r_itrs_km")
    pm = eo.polar_motion
    r_pef = r if pm is None else _apply_matrix(pm, r, transpose=True)
    v_teme = None
    if v_itrs_km_s is not None:
        v = _check_vectors(v_itrs_km_s, eo.n_times, "v_itrs_km_s")
        v_pef = (v if pm is None else _apply_matrix(pm, v, transpose=True)).copy()
        w = EARTH_ROTATION_RATE_RAD_S
        v_pef[..., 0] -= w * r_pef[..., 1]
        v_pef[..., 1] += w * r_pef[..., 0]
        v_teme = _rotate_z(-eo.gmst82_rad, v_pef)
    return _rotate_z(-eo.gmst82_rad, r_pef), v_teme


def teme_to_gcrs(
    r_teme_km: np.ndarray,
    v_teme_km_s: np.ndarray | None,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    eop: EarthOrientation | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """TEME -> GCRS position and velocity (IAU 2006/2000A precession-nutation).

    r_TOD = R3(GMST82 - GAST) r_TEME, then r_GCRS = NPB^T r_TOD.  Shapes
    ``(..., n_times, 3)``, km and km/s; ``jd``/``fr`` UTC ``(n_times,)``.
    Returns ``(r_gcrs_km, v_gcrs_km_s)`` (velocity ``None`` if not given).
    """
    eo = _orientation(jd, fr, eop)
    r = _check_vectors(r_teme_km, eo.n_times, "r_teme_km")
    angle = eo.gmst82_rad - eo.gast_rad
    r_gcrs = _apply_matrix(eo.npb, _rotate_z(angle, r), transpose=True)
    v_gcrs = None
    if v_teme_km_s is not None:
        v = _check_vectors(v_teme_km_s, eo.n_times, "v_teme_km_s")
        v_gcrs = _apply_matrix(eo.npb, _rotate_z(angle, v), transpose=True)
    return r_gcrs, v_gcrs


def gcrs_to_teme(
    r_gcrs_km: np.ndarray,
    v_gcrs_km_s: np.ndarray | None,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    eop: EarthOrientation | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Inverse of :func:`teme_to_gcrs` (same shapes and units)."""
    eo = _orientation(jd, fr, eop)
    r = _check_vectors(r_gcrs_km, eo.n_times, "r_gcrs_km")
    angle = eo.gast_rad - eo.gmst82_rad
    r_teme = _rotate_z(angle, _apply_matrix(eo.npb, r))
    v_teme = None
    if v_gcrs_km_s is not None:
        v = _check_vectors(v_gcrs_km_s, eo.n_times, "v_gcrs_km_s")
        v_teme = _rotate_z(angle, _apply_matrix(eo.npb, v))
    return r_teme, v_teme


@dataclass(frozen=True, eq=False)
class Geodetic:
    """WGS-84 geodetic coordinates, each shaped like the input without its last axis.

    ``lat_deg`` geodetic latitude (-90..90), ``lon_deg`` east longitude
    (-180..180], ``alt_km`` height above the ellipsoid (km).
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_km: np.ndarray


def itrs_to_geodetic(r_itrs_km: np.ndarray) -> Geodetic:
    """ITRS position ``(..., 3)`` in km -> WGS-84 latitude, longitude, height.

    Heikkinen's closed-form solution (M. Heikkinen, "Geschlossene Formeln zur
    Berechnung räumlicher geodätischer Koordinaten aus rechtwinkligen
    Koordinaten", Z. Vermess. 107, 1982), vectorized; NaN in, NaN out.
    """
    r = np.asarray(r_itrs_km, dtype=np.float64)
    if r.shape[-1:] != (3,):
        raise ValueError(f"r_itrs_km must end in an axis of length 3, got {r.shape}")
    a = WGS84_A_KM
    f = WGS84_F
    b = a * (1.0 - f)
    e2 = f * (2.0 - f)
    ep2 = e2 / (1.0 - e2)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        big_f = 54.0 * b * b * z2
        g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
        c = e2 * e2 * big_f * p2 / (g * g * g)
        s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
        k = s + 1.0 + 1.0 / s
        big_p = big_f / (3.0 * k * k * g * g)
        q = np.sqrt(1.0 + 2.0 * e2 * e2 * big_p)
        r0 = -(big_p * e2 * p) / (1.0 + q) + np.sqrt(
            np.maximum(
                0.5 * a * a * (1.0 + 1.0 / q)
                - big_p * (1.0 - e2) * z2 / (q * (1.0 + q))
                - 0.5 * big_p * p2,
                0.0,
            )
        )
        d = p - e2 * r0
        u = np.sqrt(d * d + z2)
        vv = np.sqrt(d * d + (1.0 - e2) * z2)
        z0 = b * b * z / (a * vv)
        h = u * (1.0 - b * b / (a * vv))
        lat = np.arctan2(z + ep2 * z0, p)
    lon = np.arctan2(y, x)
    return Geodetic(np.degrees(lat), np.degrees(lon), h)


def teme_to_geodetic(
    r_teme_km: np.ndarray,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    xp_arcsec: float | np.ndarray = 0.0,
    yp_arcsec: float | np.ndarray = 0.0,
    eop: EarthOrientation | None = None,
) -> Geodetic:
    """TEME position ``(..., n_times, 3)`` km -> WGS-84 geodetic (via ITRS)."""
    r_itrs, _ = teme_to_itrs(
        r_teme_km, None, jd, fr, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec, eop=eop
    )
    return itrs_to_geodetic(r_itrs)
