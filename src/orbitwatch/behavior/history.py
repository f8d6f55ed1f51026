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
    set), ``reissue`` (same epoch, superseded by a later-issued set or, among
    sets of the same number, by the one that agrees best with the neighbouring
    sets), ``outlier`` (inconsistent with both neighbours, which agree with
    each other, or one of a short run of such sets), ``invalid`` (sgp4 could
    not initialise or evaluate it).
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


def _canonical_key(es: ElementSet) -> tuple:
    """A total order of element sets that depends only on their contents.

    Epoch first; then the element-set number and the elements themselves; then
    the text and provenance, so that even sets with identical elements (exact
    duplicates from two files, say) are ordered without looking at where they
    stood in the input."""
    return (
        es.epoch,
        es.element_set_no,
        es.mean_motion_rev_day,
        es.eccentricity,
        es.inclination_deg,
        es.raan_deg,
        es.arg_perigee_deg,
        es.mean_anomaly_deg,
        es.bstar,
        es.mean_motion_dot,
        es.mean_motion_ddot,
        es.rev_at_epoch,
        es.line1 or "",
        es.line2 or "",
        es.name or "",
        es.source or "",
        es.source_line,
        es.partner or "",
    )


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


def off_line(x: np.ndarray, t: np.ndarray, i: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``|x_i - line through x_lo and x_hi at t_i|``, elementwise over the index arrays."""
    w = (t[i] - t[lo]) / np.maximum(t[hi] - t[lo], 1e-9)
    return np.abs(x[i] - (x[lo] + w * (x[hi] - x[lo])))


def _departure_noise(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How far each inner set of one element series ``x`` (epochs ``t``, days)
    lies off the line through its two neighbours, and the yardsticks.

    Returns ``d`` and ``scale``, shape ``(n - 2,)`` for sets ``1 .. n - 2``:
    ``d`` that distance, ``scale`` its running robust scale over +-25 sets
    (1.4826 times the running median, floored at a tenth of its median);
    and ``rate``, shape ``(n - 1,)``, the local drift of ``x`` per day in
    each gap (running median of the set-to-set rates over +-10 gaps; 0 where
    there is none)."""
    k = np.arange(1, len(t) - 1)
    dt = np.diff(t)
    d = off_line(x, t, k, k - 1, k + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(dt > 1e-3, np.diff(x) / dt, np.nan)
    rate = np.nan_to_num(_rolling_median(rate, 10), nan=0.0)
    scale = 1.4826 * _rolling_median(d, 25)
    positive = scale[scale > 0]
    floor = np.median(positive) * 0.1 if positive.size else 1e-12
    return d, np.maximum(scale, floor), rate


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

    Two or more foreign sets in a row (another object's sets under this
    one's number) are missed here: each has a foreign neighbour, so its
    neighbours never agree.  :func:`_outlier_runs` looks for those.
    """
    n = len(t)
    flag = np.zeros(n, bool)
    if n < 5:
        return flag
    k = np.arange(1, n - 1)
    for x in history_cols:
        d, scale, rate = _departure_noise(x, t)
        drift = 0.5 * (rate[k - 1] + rate[k]) * (t[k + 1] - t[k - 1])
        neighbours = np.abs(x[k + 1] - x[k - 1] - drift)
        hit = (d > k_sigma * scale) & (neighbours < d / 3.0)
        flag[k[hit]] = True
    return flag


#: the longest run of consecutive sets :func:`_outlier_runs` may reject: a
#: cross-tag seen in two or three sets (a day or so at GEO cadence)
OUTLIER_RUN_MAX_SETS = 3


def _outlier_runs(
    in_plane: list[np.ndarray],
    plane: list[np.ndarray],
    t: np.ndarray,
    k_sigma: float,
    max_sets: int = OUTLIER_RUN_MAX_SETS,
) -> np.ndarray:
    """Flag runs of 2 to ``max_sets`` consecutive sets that leave the orbit of
    the sets around them, in its plane and in its shape or size at once, and
    come back: another object's sets tagged with this one's number (a
    cross-tag), shape ``(n,)``.

    ``in_plane`` holds the columns of ``a`` and of the eccentricity vector,
    ``plane`` those of the orbit plane.  For a run between set ``b`` before
    it and set ``f`` after it, a column *departs* when every set of the run
    lies more than ``k_sigma`` robust scales (those of
    :func:`_isolated_outliers`) off the line through ``b`` and ``f``, and
    *returns* when ``x_f - x_b``, less the local drift, is under a third of
    the smallest such distance (the rule :func:`_isolated_outliers` applies
    to one set).  The run is flagged when a plane column and an in-plane
    column both depart and return, no column departs without returning, and
    the sets either side lie themselves within ``k_sigma`` scales of the
    line through their own neighbours (so that the run is not the inner part
    of a longer departure).

    A manoeuvre's step persists, so the sets after it never return to the
    orbit before it.  A burn and a second burn that undoes it days later do
    return, but a thrust moves either the plane (a north-south pair) or ``a``
    and ``e`` (an along-track pair: Jason-2's burns of 2018-07-16 and 07-18,
    -0.117 and +0.119 m/s, took ``a`` down 250 m and ``e`` by 3.3e-5 and back),
    not both.  Another object differs in both: co-located GEO satellites are
    kept apart by their inclination and eccentricity vectors.
    """
    n = len(t)
    flag = np.zeros(n, bool)
    if n < 5:
        return flag
    dt = np.diff(t)
    noise = [_departure_noise(x, t) for x in in_plane + plane]
    for m in range(2, max_sets + 1):
        s = np.arange(1, n - m)  # first set of each run; b = s - 1, f = s + m
        if s.size == 0:
            break
        b, f = s - 1, s + m
        # the sets either side, where they have a neighbour beyond, must lie
        # on the orbit around the run themselves (the run is not the inner
        # part of a longer departure)
        before = np.clip(b - 1, 0, n - 1)
        after = np.clip(f + 1, 0, n - 1)
        has_before, has_after = b >= 1, f <= n - 2
        back = np.zeros((len(noise), s.size), bool)  # the column departs and returns
        veto = np.zeros(s.size, bool)  # a column departs and stays away, or a side set departs
        for c, (x, (_, scale, rate)) in enumerate(zip(in_plane + plane, noise)):
            z_min = np.full(s.size, np.inf)
            dep_min = np.full(s.size, np.inf)
            for j in range(m):
                dep = off_line(x, t, s + j, b, f)
                dep_min = np.minimum(dep_min, dep)
                z_min = np.minimum(z_min, dep / scale[s + j - 1])  # scale[k - 1] is set k's
            drift = np.concatenate([[0.0], np.cumsum(rate * dt)])
            returns = np.abs(x[f] - x[b] - (drift[f] - drift[b])) < dep_min / 3.0
            departs = z_min > k_sigma
            back[c] = departs & returns
            veto |= departs & ~returns
            veto |= has_before & (off_line(x, t, b, before, f) > k_sigma * scale[np.clip(b - 1, 0, n - 3)])
            veto |= has_after & (off_line(x, t, f, b, after) > k_sigma * scale[np.clip(f - 1, 0, n - 3)])
        hit = back[: len(in_plane)].any(axis=0) & back[len(in_plane) :].any(axis=0) & ~veto
        for j in range(m):
            flag[s[hit] + j] = True
    return flag


def _epoch_groups(sets: Sequence[ElementSet], same_epoch_s: float) -> list[list[ElementSet]]:
    """Sets (in canonical order) grouped by epoch: a set within ``same_epoch_s``
    of the previous set joins its group (so a group is chained, and depends
    only on the epochs present, not on the order the sets came in)."""
    groups: list[list[ElementSet]] = []
    for es in sets:
        if groups and (es.epoch - groups[-1][-1].epoch).total_seconds() <= same_epoch_s:
            groups[-1].append(es)
        else:
            groups.append([es])
    return groups


def _vector_elements(rows: np.ndarray) -> np.ndarray:
    """Shape ``(n, 5)``: ``a_km``, ``ex``, ``ey``, ``ix_deg``, ``iy_deg`` of
    mean-element rows (see :func:`_mean_elements`): the in-plane and plane
    state as vectors, continuous in every regime (no angle to wrap)."""
    a_km, e, i, raan, argp = rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]
    i_deg = np.degrees(i)
    return np.column_stack([a_km, e * np.cos(argp), e * np.sin(argp), i_deg * np.sin(raan), -i_deg * np.cos(raan)])


def _closest_to_neighbours(
    t_cand: np.ndarray, x_cand: np.ndarray, t: np.ndarray, x: np.ndarray, k: int, scale: np.ndarray
) -> int:
    """Index of the candidate (rows of ``x_cand``, epochs ``t_cand``) that
    agrees best with the series ``x`` (epochs ``t``) around its entry ``k``.

    The expected value is the line through entries ``k - 1`` and ``k + 1`` at
    each candidate's epoch (the one neighbour there is at an end); each
    column counts in units of ``scale``, the series' robust set-to-set
    change, so that no element outweighs the others by its units.  Ties go
    to the first."""
    n = len(t)
    if n < 2:
        return 0
    if 0 < k < n - 1:
        w = ((t_cand - t[k - 1]) / max(t[k + 1] - t[k - 1], 1e-9))[:, None]
        expected = x[k - 1] + w * (x[k + 1] - x[k - 1])
    else:
        expected = np.broadcast_to(x[k + 1] if k == 0 else x[k - 1], x_cand.shape)
    cost = np.sum(((x_cand - expected) / scale) ** 2, axis=1)
    return int(np.argmin(cost))


def clean_history(
    element_sets: Iterable[ElementSet],
    *,
    same_epoch_s: float = 1.0,
    reject_outliers: bool = True,
    outlier_sigma: float = 12.0,
) -> History:
    """Sort, de-duplicate and screen ONE object's element sets.

    The result does not depend on the order of ``element_sets``: they are
    put in a canonical order (epoch, then element-set number, elements,
    text and provenance) before anything else, and every choice below is
    made from their contents.

    - Sets whose epochs lie within ``same_epoch_s`` of one another (chained)
      are one epoch.  Among them:
    - exact duplicates (identical elements) are dropped as ``duplicate``;
    - sets sgp4 cannot initialise are ``invalid``;
    - of the different fits (reissues), the one issued last (highest
      ``element_set_no``) is kept.  Where several share that number (feeds
      such as CelesTrak's GP sets number every set 999, and the same fit
      comes back with its last digits rounded differently, or a second fit
      comes for the same epoch), the one that agrees best with the
      neighbouring epochs is kept (see :func:`_closest_to_neighbours`): the
      other fits are ``reissue``.  (The input order used to decide this,
      which moved reported delta-v by up to 8% on the 2026-05 OneWeb feed.)
    - With ``reject_outliers``, a set inconsistent with both neighbours while
      the neighbours agree (see :func:`_isolated_outliers`) is an ``outlier``;
      so is each set of a run of 2 or 3 that leaves the orbit of the sets
      around it, in the plane and in ``a`` or ``e`` at once, and returns to it
      (a cross-tag, see :func:`_outlier_runs`; looked for among the sets the
      one-set test keeps).  ``outlier_sigma`` is deliberately high: a missed
      outlier costs at worst a spurious pair of jumps that the step test
      already discounts; a wrong rejection could hide a real manoeuvre.

    Raises ``ValueError`` when the sets belong to more than one object.
    """
    sets = sorted(element_sets, key=_canonical_key)
    ids = {es.norad_id for es in sets}
    if len(ids) > 1:
        raise ValueError(f"clean_history takes one object's history, got {len(ids)} objects")
    norad_id = ids.pop() if ids else 0
    rejected: list[RejectedSet] = []

    # the distinct fits of each epoch
    groups: list[list[ElementSet]] = []
    for same_epoch in _epoch_groups(sets, same_epoch_s):
        fits: list[ElementSet] = []
        for es in same_epoch:
            twin = next((f for f in fits if _same_elements(f, es)), None)
            if twin is not None:
                rejected.append(RejectedSet(es, "duplicate", f"same epoch and elements as set {twin.element_set_no}"))
            else:
                fits.append(es)
        groups.append(fits)

    flat = [es for fits in groups for es in fits]
    rows_all, sats_all, bad = _mean_elements(flat)
    badset = set(bad)
    for k in bad:
        rejected.append(RejectedSet(flat[k], "invalid", "sgp4 could not evaluate it at its epoch"))
    # per epoch, indices into flat of the valid fits with the highest number
    choices: list[list[int]] = []
    k = 0
    for fits in groups:
        valid = [k + j for j in range(len(fits)) if k + j not in badset]
        k += len(fits)
        if not valid:
            continue
        last_no = max(flat[j].element_set_no for j in valid)
        for j in valid:
            if flat[j].element_set_no != last_no:
                rejected.append(RejectedSet(flat[j], "reissue", f"superseded by set {last_no}"))
        choices.append([j for j in valid if flat[j].element_set_no == last_no])
    # several fits of one number: the one closest to its neighbours, judged
    # against the first fit (in canonical order) of every other epoch
    pick = [c[0] for c in choices]
    if any(len(c) > 1 for c in choices):
        t_all = rows_all[:, 0]
        x_all = _vector_elements(rows_all)
        first = np.array(pick)
        t_ref, x_ref = t_all[first], x_all[first]
        scale = 1.4826 * np.median(np.abs(np.diff(x_ref, axis=0)), axis=0) if len(first) > 1 else np.ones(5)
        scale = np.where(scale > 0, scale, 1.0)
        for g, cand in enumerate(choices):
            if len(cand) > 1:
                best = cand[_closest_to_neighbours(t_all[cand], x_all[cand], t_ref, x_ref, g, scale)]
                pick[g] = best
                for j in cand:
                    if j != best:
                        rejected.append(
                            RejectedSet(
                                flat[j], "reissue",
                                f"same epoch and number as a fit that agrees better with the neighbouring sets "
                                f"(set {flat[best].element_set_no})",
                            )
                        )
    kept = [flat[j] for j in pick]
    sats = [sats_all[j] for j in pick]
    rows = rows_all[pick] if pick else np.zeros((0, _N_COLS))

    hist = _build(norad_id, kept, rows, rejected, sats)
    if reject_outliers and len(hist) >= 5:
        in_plane = [hist.a_km, hist.ex, hist.ey]
        plane = [hist.inc_deg, hist.raan_deg] if hist.regime == "LEO" else [hist.inc_deg, hist.ix_deg, hist.iy_deg]
        single = _isolated_outliers(in_plane + plane, hist.t_days, outlier_sigma)
        # runs are looked for among the sets the single-set test keeps, so
        # that neither test leans on a set the other one rejects
        rest = np.flatnonzero(~single)
        run = np.zeros(len(hist), bool)
        in_run = _outlier_runs([x[rest] for x in in_plane], [x[rest] for x in plane], hist.t_days[rest], outlier_sigma)
        run[rest[in_run]] = True
        flag = single | run
        if flag.any():
            for k in np.flatnonzero(flag):
                why = (
                    "inconsistent with both neighbours"
                    if single[k]
                    else "one of a short run of sets that leave the orbit of the sets around them and return"
                )
                rejected.append(RejectedSet(kept[k], "outlier", why))
            keep_idx = np.flatnonzero(~flag)
            kept = [kept[k] for k in keep_idx]
            hist = _build(norad_id, kept, rows[keep_idx], rejected, [sats[k] for k in keep_idx])
    rejected.sort(key=lambda r: _canonical_key(r.element_set))
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
