"""Proven bounds that let the screen skip pairs and intervals safely.

Everything here is a *lower bound on the distance* (or an upper bound on how
far a trajectory can leave a straight chord), so a pair that a filter rejects
provably cannot come within the threshold.  Units: km, s, km/s, km/s^2.

Relative-motion chord bound (used for every pair-interval)
-----------------------------------------------------------
Let ``d(t) = r_2(t) - r_1(t)`` on an interval ``[t0, t0 + h]`` and ``l(t)`` the
straight chord between the sampled ``d(t0)`` and ``d(t0 + h)``.  The error
``e = d - l`` vanishes at both ends, so (Green's function of ``e'' = d''`` with
zero boundary values, e.g. the linear-interpolation error theorem)
``|e(t)| <= max|d''| * h^2 / 8``.  SGP4 trajectories obey
``r'' = -mu r/|r|^3 + p(t)`` with a non-Keplerian part ``|p| <= P`` (J2 and the
other SGP4 terms), and the Kepler acceleration is Lipschitz with constant
``L = 2 mu / rho^3`` on the segment between the two objects (``rho`` = least
radius on that segment; the Hessian of ``mu/|x|`` has spectral norm
``2 mu/|x|^3``).  Hence ``|d''| <= L |d| + 2P <= L (D + |e|max) + 2P`` with
``D = max(|d(t0)|, |d(t0+h)|)`` and

    |e| <= (L D + 2P) h^2/8 / (1 - L h^2/8)          (``chord_error_km``)

so ``min |d| >= dist(origin, chord) - |e|max`` (``segment_distance_km``).  With
h = 60 s in LEO this pad is 0.04 km for a pair 5 km apart and 0.6 km for a pair
500 km apart: the filter is tight where it matters.

``P`` is four times the largest J2 acceleration at the lowest radius SGP4
accepts (3 J2 mu Re^2 / rho^4, Vallado 4th ed. eq. 8-30 at the pole) plus
1e-6 km/s^2 for drag, J3/J4 and luni-solar terms.  ``tests/screening``
checks numerically, by finite differences of sgp4 output over real
catalogs, that the non-Keplerian acceleration stays far below ``P``.

Slow close pairs
----------------
For two objects close together *and* slow relative to each other (co-orbiting:
docked vehicles, formations, a batch just deployed, co-located GEO
satellites) SGP4's non-Keplerian accelerations nearly cancel: their orbits,
and so their J2 and short-period terms, are nearly the same.  ``2P`` then
overstates ``|p_2 - p_1|`` ten thousand times and leaves every slow pair
within a few km of the threshold a candidate for hours.  Where the ordinary
bound already proves ``|d| <= CLOSE_PAIR_KM`` and ``|d'| <= SLOW_PAIR_KM_S``
over the whole interval (``|d'|`` is within ``max|d''| h/2`` of the chord's
slope), ``pair_perturbation_km_s2`` caps ``|p_2 - p_1|`` by
``P_SLOW_PAIR_KM_S2`` instead.  Like ``P`` it is a measured cap: over the
slow pairs within 50 km of the 2018 and 2026 catalogs (24 h, 5-point finite
differences of SGP4 positions, h = 5 s) the largest value is given with the
constant; ``tests/screening`` re-measures it with a factor of two of headroom.

Interpolated samples (all-vs-all mode)
--------------------------------------
Quiet objects (``interpolable_mask``) are propagated only every
second sample; the sample between is the cubic Hermite interpolant of the
two neighbouring SGP4 states (``hermite_midpoint``).  Its distance from the
SGP4 position is at most ``interpolation_error_km(H)`` (H = 2h): the Hermite
remainder ``max|r''''| H^4/384`` at the midpoint (its Peano kernel has one
sign, so the bound holds for vectors) plus ``H/8 |dv_0 - dv_1|``, where
``dv`` is the difference between SGP4's velocity output and the true
derivative of its positions.  With ``r'' = g(r) + p`` (``g`` Kepler),
``r'''' = D^2g[v, v] + Dg[r''] + p''``; the third derivatives of ``mu/|x|``
have norm ``6 mu/rho^4`` (radial direction) and ``Dg`` has norm
``2 mu/rho^3``, so with ``|v|^2 <= 2 mu/rho`` (bound orbits) and
``rho >= RHO_MIN_KM``, ``|r''''| <= 14 mu^2/rho^5 + 2 mu P/rho^3 + |p''|``;
``|p''|`` is taken as ``9 (mu/rho^3) P`` (the perturbations vary at most at
three times the orbital frequency).  ``|dv_0 - dv_1|`` is a measured cap,
like ``P``: over a week of the 2018 catalog the largest value in the class is
0.76 m/s (0.74 m/s for deep-space objects below e = 0.5; 5.9 m/s above, at
e = 0.96, so those are left out); the cap is 3 m/s (``tests/screening``
re-measures both it and the
midpoint error itself, on the 2018 and 2026 catalogs).  SGP4's drag terms
grow with the time since epoch (the change reaches 1.4 m/s at 90 days and
4.1 m/s at a year), so an object is quiet only while the window stays within
``INTERP_MAX_AGE_DAYS`` (30) of its epoch.  With h = 60 s the
bound is 0.17 km; the screen treats every sample as uncertain by this much
(``sample_err_km`` in :mod:`orbitwatch.screening.candidates`), so no
guarantee is lost.

Apogee/perigee band (primaries mode)
------------------------------------
An object whose radius band ``[r_p - m, r_a + m]`` (mean elements, margin
``m`` covering SGP4 short-period and secular excursions) does not come within
the threshold of any primary's band cannot approach that primary (Hoots,
Crawford & Roehrich 1984, "An analytical method to determine future close
approaches between satellites", the apogee/perigee filter).
"""

from __future__ import annotations

import numpy as np

# WGS-72, the constants SGP4 element sets are fitted with (Hoots & Roehrich 1980).
MU_KM3_S2 = 398600.8
RE_KM = 6378.135
J2 = 0.001082616

# Least geocentric radius at which SGP4 still returns a state (it flags
# decay, error 6, below 1 Earth radius); keep a margin for safety.
RHO_MIN_KM = RE_KM - 78.135  # 6300 km

# Bound on |p|, SGP4's acceleration minus the Kepler term, for an ordinary object.
P_BOUND_KM_S2 = 4.0 * 3.0 * J2 * MU_KM3_S2 * RE_KM**2 / RHO_MIN_KM**4 + 1e-6
# Eccentric orbits with strong drag: SGP4's drag terms (C1, C4, C5 of Hoots &
# Roehrich 1980) then add up to ~6e-4 km/s^2 near perigee (measured over the
# 2018 catalog: NORAD 43205, e = 0.34, perigee 182 km); these objects get this
# much larger cap.
P_DRAG_ECCENTRIC_KM_S2 = 2e-2

# Slow close pairs (module docstring): within this distance and relative speed
# the difference of the two objects' non-Keplerian accelerations is capped by
# P_SLOW_PAIR_KM_S2.  Measured over 24 h of the full catalogs: 2.3e-6 km/s^2
# over 6,766 slow pairs of 2018, 1.25e-6 over 9,631 of 2026 (1.6e-7 and 7.6e-8
# for deep-space pairs), against 2P = 2.7e-4.  Objects with |B*| at or above
# SLOW_PAIR_BSTAR_MAX are left out: two 2026 launches with B* near -0.03,
# 14 km apart at 10 m/s, differ by 2.8e-5.
CLOSE_PAIR_KM = 50.0
SLOW_PAIR_KM_S = 0.5
P_SLOW_PAIR_KM_S2 = 5e-6
SLOW_PAIR_BSTAR_MAX = 1e-2
# SGP4 holds its mean eccentricity at 1e-6 once drag takes it there: the
# position then has a kink, a velocity jump of up to 0.29 m/s measured (2026
# launches with e ~ 1e-4, B* ~ -0.03; 0.058 m/s for a 2020 object with B* 4e-4).
# An impulse dv moves a chord by at most dv h / 4, which the slow-pair cap
# counts as 2 dv / h of acceleration, with this dv.
KINK_DV_KM_S = 1e-3


# Interpolation (see the module docstring): near-Earth objects with |B*|
# below this are "quiet" enough to be sampled every second step.
INTERP_BSTAR_MAX = 1e-3
# Cap on the change, over one interpolation span, of the error of SGP4's
# velocity output against the derivative of its positions (km/s).
DV_CHANGE_CAP_KM_S = 3e-3
# ... measured for propagation up to this many days from the element set's
# epoch (drag terms grow with it: 0.77 m/s at 30 days, 1.4 at 90, 4.1 at a year)
INTERP_MAX_AGE_DAYS = 30.0
# Deep-space (SDP4) objects are quiet below this eccentricity: above it the
# velocity gap changes fast near perigee (5.9 m/s over 120 s at e = 0.96)
INTERP_DEEP_ECC_MAX = 0.5


def interpolable_mask(satrecs: list, p_obj: np.ndarray | None = None,
                      window_jd: tuple[float, float] | None = None) -> np.ndarray:
    """Objects whose in-between samples may be interpolated: near-Earth (SGP4)
    or deep-space (SDP4) with ``e < INTERP_DEEP_ECC_MAX``, the ordinary
    perturbation cap, ``|B*| < INTERP_BSTAR_MAX``, and
    (given the window as Julian dates) propagated no more than
    ``INTERP_MAX_AGE_DAYS`` from their epoch anywhere in it."""
    if p_obj is None:
        p_obj = perturbation_bounds_km_s2(satrecs)
    near = np.array([s.method == "n" for s in satrecs], dtype=bool)
    ecc = np.array([s.ecco for s in satrecs], dtype=float)
    bstar = np.array([abs(s.bstar) for s in satrecs], dtype=float)
    mask = ((near | (ecc < INTERP_DEEP_ECC_MAX)) & (np.asarray(p_obj) <= P_BOUND_KM_S2)
            & (bstar < INTERP_BSTAR_MAX))
    if window_jd is not None:
        epoch = np.array([s.jdsatepoch + s.jdsatepochF for s in satrecs], dtype=float)
        age = np.maximum(np.abs(window_jd[0] - epoch), np.abs(window_jd[1] - epoch))
        mask &= age <= INTERP_MAX_AGE_DAYS
    return mask


def interpolation_error_km(span_s: float) -> float:
    """Bound (km) on |Hermite midpoint - SGP4 position| of an interpolable object over ``span_s``."""
    rho = RHO_MIN_KM
    kepler = 14.0 * MU_KM3_S2**2 / rho**5 + 2.0 * MU_KM3_S2 * P_BOUND_KM_S2 / rho**3
    p2 = 9.0 * MU_KM3_S2 / rho**3 * P_BOUND_KM_S2
    return (kepler + p2) * span_s**4 / 384.0 + span_s * DV_CHANGE_CAP_KM_S / 8.0


def hermite_midpoint(r0: np.ndarray, v0: np.ndarray, r1: np.ndarray, v1: np.ndarray, span_s: float) -> np.ndarray:
    """Cubic Hermite interpolant at the middle of a span: ``(r0 + r1)/2 + span (v0 - v1)/8``."""
    out = r0 + r1
    out *= 0.5
    dv = v0 - v1
    dv *= span_s / 8.0
    out += dv
    return out


def perturbation_bounds_km_s2(satrecs: list) -> np.ndarray:
    """Per-object cap on SGP4's non-Keplerian acceleration (km/s^2), shape (n,)."""
    bstar = np.array([abs(s.bstar) for s in satrecs], dtype=float)
    ecc = np.array([s.ecco for s in satrecs], dtype=float)
    p = np.full(len(satrecs), P_BOUND_KM_S2)
    p[(bstar >= 1e-4) & (ecc >= 0.05)] = P_DRAG_ECCENTRIC_KM_S2
    return p


# Margins of the window radius band: (fraction of a, km) near Earth and in deep space.
BAND_MARGIN_NEAR = (0.004, 20.0)
BAND_MARGIN_DEEP = (0.05, 50.0)


def band_margin_km(a_km: np.ndarray, deep_space: np.ndarray) -> np.ndarray:
    """Margin added to the mean-element perigee/apogee radii of the window.

    Near-Earth: 0.4 % of a + 20 km (~47 km in LEO), above SGP4's short-period
    radius terms (about 1.5 J2 (Re/a)^2 a, ~10 km in LEO) and its J3
    long-period terms; deep space (SDP4): 5 % of a + 50 km for the luni-solar
    periodics.  The tests compare the band with a week of SGP4 radii.
    """
    a = np.asarray(a_km, dtype=float)
    near = BAND_MARGIN_NEAR[0] * a + BAND_MARGIN_NEAR[1]
    deep = BAND_MARGIN_DEEP[0] * a + BAND_MARGIN_DEEP[1]
    return np.where(np.asarray(deep_space, dtype=bool), deep, near)


def window_radius_band_km(satrecs: list, jd0: float, fr0: float, span_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Sound-by-margin (lo, hi) radius band of each object over the window (km).

    Uses SGP4's own mean elements (``am``, ``em`` after a propagation) at the
    window start and end (start, 7 intermediate instants and end for
    deep-space objects), so drag decay between epoch and window is followed
    (mean a decays monotonically).  An object that fails to propagate at any of
    these instants is decaying: its band reaches down to the Earth's centre.
    """
    n = len(satrecs)
    lo = np.empty(n)
    hi = np.empty(n)
    a_ref = np.empty(n)
    deep = np.array([s.method == "d" for s in satrecs], dtype=bool)
    fr_near = [fr0, fr0 + span_s / 86400.0]
    fr_deep = [fr0 + f for f in (np.linspace(0.0, span_s, 9) / 86400.0).tolist()]
    for k, s in enumerate(satrecs):
        l_k, h_k, a_k, failed = float("inf"), 0.0, 0.0, False
        for fr in (fr_deep if deep[k] else fr_near):
            if s.sgp4(jd0, fr)[0] != 0:
                failed = True
                continue
            am = s.am * RE_KM
            em = s.em
            if am * (1.0 - em) < l_k:
                l_k = am * (1.0 - em)
            if am * (1.0 + em) > h_k:
                h_k = am * (1.0 + em)
            if am > a_k:
                a_k = am
        if failed:
            l_k = 0.0
        if a_k == 0.0:  # never propagated: cannot meet anything
            l_k, h_k = float("inf"), float("-inf")
        lo[k], hi[k], a_ref[k] = l_k, h_k, a_k
    m = band_margin_km(a_ref, deep)
    return lo - m, hi + m


def lipschitz_s2(dmax_km: np.ndarray) -> np.ndarray:
    """Lipschitz constant (1/s^2) of the Kepler acceleration between two objects.

    Both objects lie at radius >= ``RHO_MIN_KM``; the segment joining two
    points at that radius a distance D apart dips to
    ``sqrt(rho^2 - D^2/4)``.  ``dmax_km`` is inflated by 10 % + 10 km to cover
    the chord error that the separation can add inside the interval.
    """
    half = 0.5 * (1.1 * np.asarray(dmax_km, dtype=float) + 10.0)
    rho = np.sqrt(np.maximum(RHO_MIN_KM**2 - half**2, (0.5 * RHO_MIN_KM) ** 2))
    return 2.0 * MU_KM3_S2 / rho**3


def chord_error_km(dmax_km: np.ndarray, h_s: float, p_sum_km_s2=2.0 * P_BOUND_KM_S2) -> np.ndarray:
    """Largest distance between the true relative trajectory and its chord (km).

    ``dmax_km`` = max(|d(t0)|, |d(t0+h)|); ``h_s`` the interval length;
    ``p_sum_km_s2`` the sum of both objects' non-Keplerian caps.
    Returns ``inf`` where the bound does not close (L h^2/8 >= 1/2).
    """
    dmax = np.asarray(dmax_km, dtype=float)
    lip = lipschitz_s2(dmax)
    alpha = lip * h_s * h_s / 8.0
    with np.errstate(divide="ignore", invalid="ignore"):
        err = (lip * dmax + p_sum_km_s2) * (h_s * h_s / 8.0) / (1.0 - alpha)
    return np.where(alpha < 0.5, err, np.inf)


def slow_pair_eligible(satrecs: list) -> np.ndarray:
    """(n,) objects the slow-pair cap applies to: the ordinary perturbation cap
    and ``|B*| < SLOW_PAIR_BSTAR_MAX``."""
    bstar = np.array([abs(s.bstar) for s in satrecs], dtype=float)
    return (bstar < SLOW_PAIR_BSTAR_MAX) & (perturbation_bounds_km_s2(satrecs) <= P_BOUND_KM_S2)


def pair_perturbation_km_s2(
    d0: np.ndarray, d1: np.ndarray, h_s, p_sum, eligible=None, pad_km: float = 0.0
) -> np.ndarray:
    """Cap on ``|p_2 - p_1|`` over intervals of length ``h_s`` with relative
    positions ``d0``, ``d1`` (m, 3) at their ends, each known to ``pad_km``:
    ``P_SLOW_PAIR_KM_S2`` for pairs of eligible objects (``eligible``, (m,)
    both objects :func:`slow_pair_eligible`; ``None``: none) where the ordinary
    caps ``p_sum`` prove the pair within ``CLOSE_PAIR_KM`` and
    ``SLOW_PAIR_KM_S`` on the whole interval (``|d'|`` is within
    ``max|d''| h/2`` of the chord's slope), plus ``2 KINK_DV_KM_S / h`` for a
    velocity jump at SGP4's eccentricity floor; else ``p_sum``."""
    p_sum = np.broadcast_to(np.asarray(p_sum, dtype=float), (d0.shape[0],))
    if eligible is None or d0.shape[0] == 0:
        return p_sum
    # only pairs within CLOSE_PAIR_KM at an end can qualify: the rest keep p_sum
    # without the work below (all-vs-all passes millions of far pairs here)
    d2 = np.minimum(np.einsum("ij,ij->i", d0, d0), np.einsum("ij,ij->i", d1, d1))
    k = np.flatnonzero(np.asarray(eligible, dtype=bool) & (d2 <= (CLOSE_PAIR_KM - pad_km) ** 2))
    if k.size == 0:
        return p_sum
    h = np.broadcast_to(np.asarray(h_s, dtype=float), p_sum.shape)[k]
    ps = p_sum[k]
    a0, a1 = np.take(d0, k, axis=0), np.take(d1, k, axis=0)
    dmax = np.sqrt(np.maximum(np.einsum("ij,ij->i", a0, a0), np.einsum("ij,ij->i", a1, a1)))
    dmax = dmax + pad_km
    dbig = dmax + chord_error_km(dmax, h, ps)
    acc = lipschitz_s2(dbig) * dbig + ps
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = (np.sqrt(np.einsum("ij,ij->i", a1 - a0, a1 - a0)) + 2.0 * pad_km) / h + acc * h / 2.0
    close = (dbig <= CLOSE_PAIR_KM) & (speed <= SLOW_PAIR_KM_S) & (ps <= 2.0 * P_BOUND_KM_S2)
    q = P_SLOW_PAIR_KM_S2 + 2.0 * KINK_DV_KM_S / h
    out = np.array(p_sum, dtype=float)
    out[k] = np.where(close, np.minimum(ps, q), ps)
    return out


def segment_distance_km(d0: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """Distance from the origin to the segment [d0, d1]; d0, d1 shape (n, 3)."""
    u = d1 - d0
    uu = np.einsum("ij,ij->i", u, u)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = -np.einsum("ij,ij->i", d0, u) / uu
    s = np.where(uu > 0.0, np.clip(s, 0.0, 1.0), 0.0)
    p = d0 + s[:, None] * u
    return np.sqrt(np.einsum("ij,ij->i", p, p))


def apogee_perigee_keep(
    satrecs: list, primary_idx: np.ndarray, threshold_km: float,
    jd0: float, fr0: float, span_s: float,
) -> np.ndarray:
    """Boolean mask of objects whose window radius band comes within the threshold of a primary's.

    Primaries themselves are always kept.
    """
    lo, hi = window_radius_band_km(satrecs, jd0, fr0, span_s)
    keep = np.zeros(len(satrecs), dtype=bool)
    for p in np.asarray(primary_idx, dtype=int):
        keep |= (lo <= hi[p] + threshold_km) & (lo[p] <= hi + threshold_km)
    keep[np.asarray(primary_idx, dtype=int)] = True
    return keep
