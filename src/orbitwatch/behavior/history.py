"""Cleaning one object's element-set history before looking for events in it.

Element-set histories are treacherous (Shorten et al. 2023, "Wide-scale
monitoring of satellite lifetimes: pitfalls and a benchmark dataset"): the
same fit is reissued under a new element-set number, sets arrive out of
order, epochs jitter, and now and then a set is simply wrong (a bad
correlation, a fit across a manoeuvre).  :func:`clean_history` turns a raw
list of :class:`~orbitwatch.elements.model.ElementSet` for ONE object into a
:class:`History`: sorted by epoch, one set per epoch, with gross outliers set
aside (and said why), plus the mean-element series the detectors work on.

Mean elements come from ``sgp4`` itself (never re-implemented): each set is
initialised with ``Satrec`` and evaluated at its own epoch, after which the
``Satrec`` exposes its Brouwer mean elements (``am`` in Earth radii, ``em``,
``im``, ``Om``, ``om``, ``nm``); the semi-major axis is therefore the
un-Kozai'd (Brouwer) one, consistent from set to set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import pi

import numpy as np

from orbitwatch.elements.model import ElementSet

MU_KM3_S2 = 398600.8  # WGS-72, the constants element sets are fitted with
RE_KM = 6378.135  # WGS-72 equatorial radius
_RAD = pi / 180.0

# Orbit regimes by mean motion (rev/day) and eccentricity.
GEO_MEAN_MOTION_REV_DAY = (0.95, 1.05)  # geosynchronous band (~ +-1500 km in a)
LEO_MIN_MEAN_MOTION_REV_DAY = 11.25  # period under 128 minutes


@dataclass(frozen=True, slots=True)
class RejectedSet:
    """An element set left out of the cleaned history, and why.

    ``reason`` is one of ``duplicate`` (identical elements and epoch as a kept
    set), ``reissue`` (same epoch, superseded by a later-issued set),
    ``outlier`` (inconsistent with both neighbours, which agree with each
    other), ``invalid`` (sgp4 could not initialise or evaluate it).
    """

    element_set: ElementSet
    reason: str
    detail: str = ""


@dataclass(slots=True)
class History:
    """One object's cleaned element-set history and its mean-element series.

    Arrays all have shape ``(n,)``, one entry per kept set, sorted by epoch:

    - ``t_days``: epoch as Julian date (UTC, days; float64 resolves ~20 us)
    - ``a_km``: Brouwer mean semi-major axis (km)
    - ``ecc``, ``inc_deg``, ``raan_deg`` (unwrapped, may leave [0, 360)),
      ``argp_deg``: Brouwer mean elements at epoch
    - ``ex``, ``ey``: eccentricity vector ``e cos w``, ``e sin w``
    - ``ix_deg``, ``iy_deg``: inclination vector ``i sin W``, ``-i cos W`` (deg),
      well defined for near-equatorial (GEO) orbits where W is not
    - ``n_rad_s``: Brouwer mean motion (rad/s)
    - ``r_teme_km``, ``v_teme_km_s``: shape ``(n, 3)``, each set's SGP4 state
      at its own epoch (TEME); ``jd_whole`` + ``jd_frac`` the split epoch
    - ``satrecs``: the sgp4 ``Satrec`` of each kept set
    """

    norad_id: int
    element_sets: list[ElementSet]
    rejected: list[RejectedSet] = field(default_factory=list)
    t_days: np.ndarray = field(default_factory=lambda: np.zeros(0))
    a_km: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ecc: np.ndarray = field(default_factory=lambda: np.zeros(0))
    inc_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    raan_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    argp_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ex: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ey: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ix_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    iy_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_rad_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    r_teme_km: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    v_teme_km_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    jd_whole: np.ndarray = field(default_factory=lambda: np.zeros(0))
    jd_frac: np.ndarray = field(default_factory=lambda: np.zeros(0))
    satrecs: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.element_sets)

    @property
    def regime(self) -> str:
        """``LEO``, ``GEO``, ``MEO`` or ``HEO`` from the median mean motion and eccentricity."""
        if len(self) == 0:
            return "LEO"
        rev_day = float(np.median(self.n_rad_s)) * 86400.0 / (2 * pi)
        ecc = float(np.median(self.ecc))
        if ecc > 0.25:
            return "HEO"
        if GEO_MEAN_MOTION_REV_DAY[0] <= rev_day <= GEO_MEAN_MOTION_REV_DAY[1]:
            return "GEO"
        if rev_day >= LEO_MIN_MEAN_MOTION_REV_DAY:
            return "LEO"
        return "MEO"


def _sort_key(es: ElementSet) -> tuple:
    return (es.epoch, es.element_set_no)


def _same_elements(a: ElementSet, b: ElementSet) -> bool:
    return (
        a.mean_motion_rev_day == b.mean_motion_rev_day
        and a.eccentricity == b.eccentricity
        and a.inclination_deg == b.inclination_deg
        and a.raan_deg == b.raan_deg
        and a.arg_perigee_deg == b.arg_perigee_deg
        and a.mean_anomaly_deg == b.mean_anomaly_deg
    )


_N_COLS = 15


def _mean_elements(sets: Sequence[ElementSet]) -> tuple[np.ndarray, list, list[int]]:
    """Brouwer mean elements and TEME state at epoch for each set via sgp4.

    Rows of ``(jd, a_km, e, i_rad, raan_rad, argp_rad, n_rad_min, r_km[3],
    v_km_s[3], jd_whole, jd_frac)``.  Returns the rows, the ``Satrec`` of
    each set (None where rejected) and the indices of sets sgp4 rejected."""
    rows = np.full((len(sets), _N_COLS), np.nan)
    sats: list = [None] * len(sets)
    bad: list[int] = []
    for k, es in enumerate(sets):
        try:
            sat = es.to_satrec()
            err, r, v = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
        except Exception:  # noqa: BLE001 - malformed text: reported as a rejected set
            bad.append(k)
            continue
        if err != 0 or not np.isfinite(sat.am) or sat.am <= 0:
            bad.append(k)
            continue
        sats[k] = sat
        rows[k] = (
            sat.jdsatepoch + sat.jdsatepochF,
            sat.am * sat.radiusearthkm,
            sat.em,
            sat.im,
            sat.Om,
            sat.om,
            sat.nm,
            *r,
            *v,
            sat.jdsatepoch,
            sat.jdsatepochF,
        )
    return rows, sats, bad


def rolling_median(x: np.ndarray, half: int, *, exclude_center: bool = False) -> np.ndarray:
    """Centered running median over ``2*half+1`` samples, shape of ``x``.

    With ``exclude_center`` each sample's own value is left out of its window
    (a leave-one-out background: a sample is never its own yardstick).

    NaN-aware (NaNs are skipped; a window of only NaNs gives NaN) and the
    window shrinks at the edges.  Sorting the window view puts NaNs last, so
    the median is read straight from the sorted rows: far faster than
    ``np.nanmedian`` over many short windows.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return x.copy()
    pad = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    if exclude_center:
        win = win.copy()
        win[:, half] = np.nan
    srt = np.sort(win, axis=1)
    cnt = np.count_nonzero(~np.isnan(win), axis=1)
    rows = np.arange(n)
    lo = np.maximum((cnt - 1) // 2, 0)
    hi = np.maximum(cnt // 2, 0)
    med = 0.5 * (srt[rows, lo] + srt[rows, hi])
    med[cnt == 0] = np.nan
    return med


_rolling_median = rolling_median


def _isolated_outliers(history_cols: list[np.ndarray], t: np.ndarray, k_sigma: float) -> np.ndarray:
    """Flag sets that sit far off the line through their two neighbours while
    the neighbours agree with one another.

    For each column ``x`` the test value is ``d``, the distance of ``x_k`` from
    the linear interpolation between ``x_{k-1}`` and ``x_{k+1}``, robustly
    scaled by the running median of ``d`` over +-25 sets.  A set is an
    outlier when ``d`` exceeds ``k_sigma`` scales in any column AND the
    neighbours agree: ``x_{k+1} - x_{k-1}``, less the local drift (running
    median rate times their time apart), is under ``d / 3``.  A step (a
    manoeuvre) puts the neighbours on different levels and is never flagged.
    """
    n = len(t)
    flag = np.zeros(n, bool)
    if n < 5:
        return flag
    k = np.arange(1, n - 1)
    dt = np.diff(t)
    for x in history_cols:
        w = (t[k] - t[k - 1]) / np.maximum(t[k + 1] - t[k - 1], 1e-9)
        interp = x[k - 1] + w * (x[k + 1] - x[k - 1])
        d = np.abs(x[k] - interp)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(dt > 1e-3, np.diff(x) / dt, np.nan)
        rate = np.nan_to_num(_rolling_median(rate, 10), nan=0.0)
        drift = 0.5 * (rate[k - 1] + rate[k]) * (t[k + 1] - t[k - 1])
        neighbours = np.abs(x[k + 1] - x[k - 1] - drift)
        scale = 1.4826 * _rolling_median(d, 25)
        positive = scale[scale > 0]
        floor = np.median(positive) * 0.1 if positive.size else 1e-12
        scale = np.maximum(scale, floor)
        hit = (d > k_sigma * scale) & (neighbours < d / 3.0)
        flag[k[hit]] = True
    return flag


def clean_history(
    element_sets: Iterable[ElementSet],
    *,
    same_epoch_s: float = 1.0,
    reject_outliers: bool = True,
    outlier_sigma: float = 12.0,
) -> History:
    """Sort, de-duplicate and screen ONE object's element sets.

    - Exact duplicates (same epoch within ``same_epoch_s`` and identical
      elements) are dropped as ``duplicate``.
    - Sets with the same epoch (within ``same_epoch_s``) but different
      elements are reissues: the one issued last (highest ``element_set_no``,
      then later in the input) is kept, the others are ``reissue``.
    - Sets sgp4 cannot initialise are ``invalid``.
    - With ``reject_outliers``, a set inconsistent with both neighbours while
      the neighbours agree (see :func:`_isolated_outliers`) is an ``outlier``.
      ``outlier_sigma`` is deliberately high: a missed outlier costs at worst
      a spurious pair of jumps that the step test already discounts; a wrong
      rejection could hide a real manoeuvre.

    Raises ``ValueError`` when the sets belong to more than one object.
    """
    sets = list(element_sets)
    ids = {es.norad_id for es in sets}
    if len(ids) > 1:
        raise ValueError(f"clean_history takes one object's history, got {len(ids)} objects")
    norad_id = ids.pop() if ids else 0
    rejected: list[RejectedSet] = []
    # stable sort by epoch keeps input order among equal epochs (later = issued later)
    order = sorted(range(len(sets)), key=lambda i: (sets[i].epoch, sets[i].element_set_no, i))
    kept: list[ElementSet] = []
    for i in order:
        es = sets[i]
        if kept and (es.epoch - kept[-1].epoch).total_seconds() <= same_epoch_s:
            prev = kept[-1]
            if _same_elements(prev, es):
                rejected.append(RejectedSet(es, "duplicate", f"same epoch and elements as set {prev.element_set_no}"))
            else:
                rejected.append(RejectedSet(prev, "reissue", f"superseded by set {es.element_set_no}"))
                kept[-1] = es
            continue
        kept.append(es)

    rows, sats, bad = _mean_elements(kept)
    if bad:
        badset = set(bad)
        for k in bad:
            rejected.append(RejectedSet(kept[k], "invalid", "sgp4 could not evaluate it at its epoch"))
        keep_idx = [k for k in range(len(kept)) if k not in badset]
        kept = [kept[k] for k in keep_idx]
        sats = [sats[k] for k in keep_idx]
        rows = rows[keep_idx]

    hist = _build(norad_id, kept, rows, rejected, sats)
    if reject_outliers and len(hist) >= 5:
        cols = [hist.a_km, hist.inc_deg, hist.ex, hist.ey]
        if hist.regime == "LEO":
            cols.append(hist.raan_deg)
        else:
            cols += [hist.ix_deg, hist.iy_deg]
        flag = _isolated_outliers(cols, hist.t_days, outlier_sigma)
        if flag.any():
            for k in np.flatnonzero(flag):
                rejected.append(RejectedSet(kept[k], "outlier", "inconsistent with both neighbours"))
            keep_idx = np.flatnonzero(~flag)
            kept = [kept[k] for k in keep_idx]
            hist = _build(norad_id, kept, rows[keep_idx], rejected, [sats[k] for k in keep_idx])
    return hist


def _build(
    norad_id: int, kept: list[ElementSet], rows: np.ndarray, rejected: list[RejectedSet], sats: list
) -> History:
    if len(kept) == 0:
        return History(norad_id, [], rejected)
    jd, a_km, e, i, raan, argp, n_rad_min = rows[:, :7].T
    raan_u = np.unwrap(raan)
    return History(
        norad_id=norad_id,
        element_sets=kept,
        rejected=rejected,
        t_days=jd,
        a_km=a_km,
        ecc=e,
        inc_deg=np.degrees(i),
        raan_deg=np.degrees(raan_u),
        argp_deg=np.degrees(argp),
        ex=e * np.cos(argp),
        ey=e * np.sin(argp),
        ix_deg=np.degrees(i) * np.sin(raan),
        iy_deg=-np.degrees(i) * np.cos(raan),
        n_rad_s=n_rad_min / 60.0,
        r_teme_km=rows[:, 7:10].copy(),
        v_teme_km_s=rows[:, 10:13].copy(),
        jd_whole=rows[:, 13].copy(),
        jd_frac=rows[:, 14].copy(),
        satrecs=list(sats),
    )
