"""Orbit shape from mean elements: semi-major axis, perigee/apogee altitude, regime.

Pure functions over scalars or numpy arrays (they broadcast).  Constants are
WGS-72, the ones the element sets were fitted with (Hoots & Roehrich 1980,
Spacetrack Report #3; Vallado et al. 2006, AIAA 2006-6753).

The semi-major axis is taken from the *Brouwer* mean motion, recovered from
the published (Kozai) mean motion exactly as SGP4's initialisation does
(``initl`` in Vallado's code: "un-Kozai" the mean motion with the J2 term),
so that our perigee and apogee altitudes equal sgp4's ``Satrec.altp`` and
``Satrec.alta`` times the Earth radius.  Altitudes are above a spherical
Earth of radius 6378.135 km, as SATCAT publishes them.

Regime thresholds (stated here once, used by ``orbitwatch objects``):

* ``GEO`` — geosynchronous: period 1300–1800 min and e < 0.25 (the deep-space
  synchronous screening regime of the 18/19 SDS Spaceflight Safety Handbook;
  any inclination, so inclined GSO and graveyard orbits are GEO too);
* ``LEO`` — apogee altitude at or below 2000 km (the IADC protected LEO region);
* ``HEO`` — highly eccentric (e ≥ 0.25, e.g. Molniya, GTO) or high Earth
  orbit (period above 1800 min);
* ``MEO`` — everything else: near-circular (e < 0.25), apogee above 2000 km,
  period below 1300 min (navigation constellations, for example).
"""

from __future__ import annotations

import math

import numpy as np

#: WGS-72 gravitational parameter, km^3/s^2
MU_WGS72_KM3_S2 = 398600.8
#: WGS-72 equatorial radius, km
RADIUS_WGS72_KM = 6378.135
#: WGS-72 second zonal harmonic
J2_WGS72 = 0.001082616
#: SGP4's ``xke``: sqrt(mu / R^3) in earth-radii^1.5 per minute
XKE_WGS72 = 60.0 / math.sqrt(RADIUS_WGS72_KM**3 / MU_WGS72_KM3_S2)

LEO_MAX_APOGEE_KM = 2000.0
GEO_MIN_PERIOD_MIN = 1300.0
GEO_MAX_PERIOD_MIN = 1800.0
HEO_MIN_ECCENTRICITY = 0.25

REGIMES = ("LEO", "MEO", "GEO", "HEO")

_TWO_PI = 2.0 * math.pi


def brouwer_mean_motion_rad_min(mean_motion_rev_day, eccentricity, inclination_deg):
    """Brouwer mean motion (rad/min) from the published Kozai mean motion (rev/day).

    The inverse of the Kozai→Brouwer step of SGP4 initialisation (``initl``).
    Returns NaN where the mean motion is not positive or e is outside [0, 1).
    """
    n_rev_day = np.asarray(mean_motion_rev_day, dtype=float)
    e = np.asarray(eccentricity, dtype=float)
    inc = np.radians(np.asarray(inclination_deg, dtype=float))
    bad = ~((n_rev_day > 0.0) & (e >= 0.0) & (e < 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        no_kozai = np.where(bad, np.nan, n_rev_day) * _TWO_PI / 1440.0
        cosio = np.cos(inc)
        omeosq = 1.0 - e * e
        d1 = 0.75 * J2_WGS72 * (3.0 * cosio * cosio - 1.0) / (np.sqrt(omeosq) * omeosq)
        ak = (XKE_WGS72 / no_kozai) ** (2.0 / 3.0)
        delta = d1 / (ak * ak)
        adel = ak * (1.0 - delta * delta - delta * (1.0 / 3.0 + 134.0 * delta * delta / 81.0))
        delta = d1 / (adel * adel)
        return no_kozai / (1.0 + delta)


def semi_major_axis_km(mean_motion_rev_day, eccentricity, inclination_deg):
    """Mean semi-major axis (km) from the SGP4 Brouwer mean motion, WGS-72."""
    n = brouwer_mean_motion_rad_min(mean_motion_rev_day, eccentricity, inclination_deg)
    with np.errstate(invalid="ignore", divide="ignore"):
        return RADIUS_WGS72_KM * (XKE_WGS72 / n) ** (2.0 / 3.0)


def perigee_apogee_km(mean_motion_rev_day, eccentricity, inclination_deg):
    """Perigee and apogee altitudes (km above a 6378.135 km sphere): ``(perigee, apogee)``."""
    a = semi_major_axis_km(mean_motion_rev_day, eccentricity, inclination_deg)
    e = np.asarray(eccentricity, dtype=float)
    return a * (1.0 - e) - RADIUS_WGS72_KM, a * (1.0 + e) - RADIUS_WGS72_KM


def period_min(mean_motion_rev_day):
    """Orbital period in minutes from the published mean motion (rev/day)."""
    n = np.asarray(mean_motion_rev_day, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0.0, 1440.0 / np.where(n > 0.0, n, 1.0), np.nan)


def classify_regime(period_minutes, eccentricity, apogee_km) -> str | None:
    """Regime of one orbit (``LEO``/``MEO``/``GEO``/``HEO``), ``None`` when undefined.

    Thresholds are in the module docstring.
    """
    p = float(period_minutes)
    e = float(eccentricity)
    ha = float(apogee_km)
    if not (math.isfinite(p) and math.isfinite(e) and math.isfinite(ha)) or p <= 0.0:
        return None
    if e >= HEO_MIN_ECCENTRICITY:
        return "HEO"
    if GEO_MIN_PERIOD_MIN <= p <= GEO_MAX_PERIOD_MIN:
        return "GEO"
    if ha <= LEO_MAX_APOGEE_KM:
        return "LEO"
    if p > GEO_MAX_PERIOD_MIN:
        return "HEO"
    return "MEO"


def classify_regimes(period_minutes, eccentricity, apogee_km) -> np.ndarray:
    """Vectorised :func:`classify_regime`; returns an object array of str/None."""
    p = np.atleast_1d(np.asarray(period_minutes, dtype=float))
    e = np.atleast_1d(np.asarray(eccentricity, dtype=float))
    ha = np.atleast_1d(np.asarray(apogee_km, dtype=float))
    p, e, ha = np.broadcast_arrays(p, e, ha)
    out = np.full(p.shape, None, dtype=object)
    ok = np.isfinite(p) & np.isfinite(e) & np.isfinite(ha) & (p > 0.0)
    heo = ok & (e >= HEO_MIN_ECCENTRICITY)
    geo = ok & ~heo & (p >= GEO_MIN_PERIOD_MIN) & (p <= GEO_MAX_PERIOD_MIN)
    leo = ok & ~heo & ~geo & (ha <= LEO_MAX_APOGEE_KM)
    high = ok & ~heo & ~geo & ~leo & (p > GEO_MAX_PERIOD_MIN)
    meo = ok & ~heo & ~geo & ~leo & ~high
    out[heo | high] = "HEO"
    out[geo] = "GEO"
    out[leo] = "LEO"
    out[meo] = "MEO"
    return out


def orbit_summary(mean_motion_rev_day: float, eccentricity: float, inclination_deg: float) -> dict:
    """Denormalised orbit fields of one element set, as stored on ``objects``.

    Keys: ``perigee_km``, ``apogee_km``, ``period_min``, ``inclination_deg``,
    ``regime``; None where the elements are degenerate.
    """
    if not (mean_motion_rev_day > 0.0 and 0.0 <= eccentricity < 1.0):
        return {
            "perigee_km": None,
            "apogee_km": None,
            "period_min": None,
            "inclination_deg": inclination_deg,
            "regime": None,
        }
    # scalar path: plain math is ~10x faster than numpy on 0-d arrays
    no_kozai = mean_motion_rev_day * _TWO_PI / 1440.0
    cosio = math.cos(math.radians(inclination_deg))
    omeosq = 1.0 - eccentricity * eccentricity
    d1 = 0.75 * J2_WGS72 * (3.0 * cosio * cosio - 1.0) / (math.sqrt(omeosq) * omeosq)
    ak = (XKE_WGS72 / no_kozai) ** (2.0 / 3.0)
    delta = d1 / (ak * ak)
    adel = ak * (1.0 - delta * delta - delta * (1.0 / 3.0 + 134.0 * delta * delta / 81.0))
    delta = d1 / (adel * adel)
    n = no_kozai / (1.0 + delta)
    a = RADIUS_WGS72_KM * (XKE_WGS72 / n) ** (2.0 / 3.0)
    perigee = a * (1.0 - eccentricity) - RADIUS_WGS72_KM
    apogee = a * (1.0 + eccentricity) - RADIUS_WGS72_KM
    period = 1440.0 / mean_motion_rev_day
    return {
        "perigee_km": perigee,
        "apogee_km": apogee,
        "period_min": period,
        "inclination_deg": inclination_deg,
        "regime": classify_regime(period, eccentricity, apogee),
    }
