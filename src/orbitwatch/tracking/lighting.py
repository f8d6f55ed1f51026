"""Sun position and Earth's shadow, with no ephemeris files.

Sun: the low-precision formula of the Astronomical Almanac (section C,
"Low precision formulas for the Sun"), stated accurate to 0.01 deg in
right ascension and declination between 1950 and 2050.  It gives the
apparent ecliptic longitude referred to the mean equinox of date; we place
the Sun in TEME (true equator, mean equinox) by rotating through the mean
obliquity, which leaves a few arcsec of nutation in latitude, far below the
formula's own error.  The distance is the almanac's series in AU.

Shadow: a conical Earth shadow with a spherical Earth (equatorial radius) and
the Sun's finite disc.  Seen from the object, let ``theta`` be the angle
between the Sun's and the Earth's centres, ``a_e`` and ``a_s`` the Earth's
and Sun's apparent radii.  The object is

* fully lit when ``theta >= a_e + a_s``,
* in umbra when ``theta <= a_e - a_s``,
* in penumbra in between.

We call an object *sunlit* when the Sun's centre is above the Earth's limb,
``theta >= a_e`` (the middle of the penumbra); the signed margin
``theta - a_e`` (deg) is the continuous function the pass finder roots.  The
cylindrical model (shadow = the Earth's cylinder behind it) is provided too.
"""

from __future__ import annotations

import numpy as np

from orbitwatch.tracking.geometry import DEG, WGS84_A_KM

AU_KM = 149597870.7
SUN_RADIUS_KM = 695700.0  # IAU 2015 nominal solar radius
CIVIL_DARK_DEG = -6.0
NAUTICAL_DARK_DEG = -12.0
ASTRONOMICAL_DARK_DEG = -18.0


def sun_teme_km(jd_utc: np.ndarray, fr_utc: np.ndarray) -> np.ndarray:
    """Geocentric Sun position (km) in TEME; shape ``jd.shape + (3,)``.

    Astronomical Almanac low-precision formula (0.01 deg, 1950-2050); the
    time argument is UTC (the ~69 s TT-UTC difference moves the Sun 0.0008 deg).
    """
    n = (np.asarray(jd_utc, dtype=float) - 2451545.0) + np.asarray(fr_utc, dtype=float)
    mean_lon = 280.460 + 0.9856474 * n
    g = (357.528 + 0.9856003 * n) * DEG
    lam = (mean_lon + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g)) * DEG
    eps = (23.439 - 0.0000004 * n) * DEG
    r_au = 1.00014 - 0.01671 * np.cos(g) - 0.00014 * np.cos(2 * g)
    r = r_au * AU_KM
    x = r * np.cos(lam)
    y = r * np.cos(eps) * np.sin(lam)
    z = r * np.sin(eps) * np.sin(lam)
    return np.stack([x, y, z], axis=-1)


def shadow_margin_deg(r_teme_km: np.ndarray, sun_km: np.ndarray) -> np.ndarray:
    """Conical-shadow margin ``theta - a_e`` (deg): >= 0 sunlit, < 0 shadowed.

    ``r_teme_km`` (..., 3) object positions, ``sun_km`` broadcastable (..., 3)
    geocentric Sun in the same frame.
    """
    to_sun = sun_km - r_teme_km
    d_sun = np.linalg.norm(to_sun, axis=-1)
    d_earth = np.linalg.norm(r_teme_km, axis=-1)
    cos_t = -np.sum(to_sun * r_teme_km, axis=-1) / (d_sun * d_earth)
    theta = np.arccos(np.clip(cos_t, -1.0, 1.0))
    a_e = np.arcsin(np.clip(WGS84_A_KM / d_earth, -1.0, 1.0))
    return (theta - a_e) / DEG


def shadow_state(r_teme_km: np.ndarray, sun_km: np.ndarray) -> np.ndarray:
    """0 = umbra, 1 = penumbra, 2 = fully lit (conical model), shape (...)."""
    to_sun = sun_km - r_teme_km
    d_sun = np.linalg.norm(to_sun, axis=-1)
    d_earth = np.linalg.norm(r_teme_km, axis=-1)
    cos_t = -np.sum(to_sun * r_teme_km, axis=-1) / (d_sun * d_earth)
    theta = np.arccos(np.clip(cos_t, -1.0, 1.0))
    a_e = np.arcsin(np.clip(WGS84_A_KM / d_earth, -1.0, 1.0))
    a_s = np.arcsin(np.clip(SUN_RADIUS_KM / d_sun, -1.0, 1.0))
    out = np.ones(theta.shape, dtype=np.int8)
    out[theta >= a_e + a_s] = 2
    out[theta <= a_e - a_s] = 0
    return out


def in_cylindrical_shadow(r_teme_km: np.ndarray, sun_km: np.ndarray) -> np.ndarray:
    """Cylindrical model: behind the Earth and within one Earth radius of the axis."""
    s_hat = sun_km / np.linalg.norm(sun_km, axis=-1, keepdims=True)
    along = np.sum(r_teme_km * s_hat, axis=-1)
    perp = np.linalg.norm(r_teme_km - along[..., None] * s_hat, axis=-1)
    return (along < 0) & (perp < WGS84_A_KM)


def sun_elevation_deg(sun_km: np.ndarray, gmst_rad: np.ndarray, site_itrs_km, enu) -> np.ndarray:
    """Topocentric elevation of the Sun (deg) at a site; no refraction."""
    from orbitwatch.tracking.geometry import teme_to_itrs

    r, _ = teme_to_itrs(sun_km, None, gmst_rad)
    d = r - site_itrs_km
    u = d @ enu[2]
    return np.arcsin(np.clip(u / np.linalg.norm(d, axis=-1), -1.0, 1.0)) / DEG
