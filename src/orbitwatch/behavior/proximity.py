"""Proximity and rendezvous around protected assets.

Every object is followed with its **element set in force** at each instant
of the window: the newest with epoch at or before it (before an object's first
set, its oldest).  An object that manoeuvres inside the window is followed
with its new sets from their epochs on, and nothing published after the
window end feeds the trend or the manoeuvres (an analyst replaying a past
window sees what was known then).  An object whose first set is after the
window end (a snapshot catalog's sets spread over days; an object catalogued
later) is followed back from that set, as screening does, and its record says
so (``evidence.first_set_after_window``); its trend is ``unknown``.

For each protected asset this reports

1. every object that comes within the asset's range ``R`` in the window
   (default :data:`DEFAULT_RANGE_KM`: 25 km in LEO, 50 km elsewhere), found by
   screening the asset against the catalog (:func:`orbitwatch.screening.screen`,
   whose completeness guarantee carries over): closest approach, number of
   approaches, first and last.  The window is screened in pieces of at most
   :data:`PIECE_S`, cut again where an asset's set changes (pieces no shorter
   than :data:`MIN_PIECE_S`); each piece screens every set in force at some
   instant of it, and a minimum counts only where both sets are in force.
   Where a set changes the distance jumps; a minimum *at* the change (the
   lower side moving away from it) counts too (:func:`_set_change_minima`).
   The evidence cites the sets in force at the closest approach;
2. for a GEO asset (:func:`orbitwatch.behavior.geo.is_geo`), the GEO objects
   *co-located* with it: within 0.5 deg of longitude and of latitude of the
   asset's sub-satellite point at some instant of the window, each object with
   its set in force (:func:`_colocations`: coarse samples, then 20-s samples,
   entries and exits bisected, the closest point inside the box refined);
3. the **trend** over both objects' element-set histories up to the window
   end: at each epoch of either object's sets (epochs within a minute merged,
   copies once), the minimum distance over one orbit with both on their sets
   in force, and on past the pair's newest set to the window end, both on
   their newest sets (one instant per orbit, and the window end), leaving out
   instants with a set older than a few orbits (:func:`trend_of`; one verdict
   per pair, whichever is the asset; ``evidence.trend_propagated_days`` says
   how far past the newest set the trend goes, and
   ``evidence.trend_stops_before_window_end_days`` how far short of the window
   end it stops where the sets there are too old).  The trend is where the
   distance is going at the window end: ``closing``, ``departing`` or
   ``holding near``.  Past the newest set the values come from one pair of
   sets and do not scatter: a move of more than 1 km and 20 % from that
   stretch's last extreme (else its start) to its end decides (a pass between
   the newest set and the window end).  Otherwise, over the values at set
   epochs, a robust slope over the sets since the series' last extreme
   decides (a pair that passed its closest point a few days ago is departing,
   not closing); over the whole history only when the distance never turned.
   A change counts only when it exceeds 1 km, 20 % of the typical distance
   and three times the larger of the history's set-to-set scatter (what
   each change of the sets in force does to the distance over the same
   stretch of the motion, both objects', :func:`_set_scatter`) and the
   scatter about that line (a docked vehicle whose sets are fitted apart from
   the station's scatters by kilometres).  A turn at the second-last set (one
   set since) decides only when that last step stands out the same way.  Only
   the last 60 days (at most 300 sets) count;
4. whether the approach **followed a manoeuvre** by the approaching object:
   a manoeuvre (:func:`orbitwatch.behavior.maneuvers.detect_maneuvers`, on the
   history up to the window end) whose gap ended in the 14 days before the
   first approach or since, up to the closest approach (so the answer does not
   depend on where the window starts), or sustained thrust under way then;
5. the **owner** of both objects (attribution).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import pairwise

import numpy as np
from sgp4.api import SatrecArray

from orbitwatch.elements.model import ElementSet, set_ref
from orbitwatch.orbit import orbit_summary, perigee_apogee_km
from orbitwatch.timeutil import DAY_S, datetime_to_jd, iso_z

DEFAULT_RANGE_KM = {"LEO": 25.0, "GEO": 50.0}
COLOCATION_DEG = 0.5
MANEUVER_LOOKBACK_DAYS = 14.0
#: the window is screened in pieces of at most this length (s); each piece
#: propagates every set in force at some instant of it over the whole piece
PIECE_S = DAY_S
#: ... and cut again where an asset's set in force changes, into pieces no
#: shorter than this (s)
MIN_PIECE_S = 3600.0
#: screening numbers of an object's later sets within a piece start above this
_ENTRY_ID_BASE = 10**10
#: a minimum just before a set change is reported this long before it (s)
BEFORE_CHANGE_S = 1e-3
_NEVER_BEFORE = datetime.min.replace(tzinfo=UTC)
_NEVER_AFTER = datetime.max.replace(tzinfo=UTC)


def regime_of(es: ElementSet) -> str:
    """The catalog's regime of the set (LEO/MEO/GEO/HEO, :mod:`orbitwatch.orbit`), or OTHER."""
    r = orbit_summary(es.mean_motion_rev_day, es.eccentricity, es.inclination_deg)["regime"]
    return r or "OTHER"


@dataclass(frozen=True, slots=True)
class ProximityEvent:
    """One object near one protected asset in the window."""

    asset: int
    asset_name: str | None
    asset_owner: str | None
    object: int
    object_name: str | None
    object_owner: str | None
    kind: str  # "approach", "co-location" (GEO box), "docked or co-orbiting (identical elements)"
    range_km: float
    closest_km: float
    closest_time: datetime
    approaches: int
    first_time: datetime
    last_time: datetime
    relative_speed_km_s: float | None
    trend: str  # closing / holding near / departing / unknown
    trend_distances_km: tuple[float, ...]
    after_maneuver: bool
    maneuver_epoch: datetime | None
    evidence: dict = field(default_factory=dict)
    trend_epochs: tuple[datetime, ...] = ()  # the object's set epochs of trend_distances_km
    # the asset's orbit (its set in force at the closest approach): regime,
    # period (min) and perigee height (km), which decide the screening volume
    asset_regime: str | None = None
    asset_period_min: float | None = None
    asset_perigee_km: float | None = None
    # the object's position relative to the asset at the closest approach, in the
    # asset's radial / along-track / cross-track frame (km)
    closest_rtn_km: tuple[float, float, float] | None = None
    #: GEO: inside the asset's 0.5 deg box at some instant (an approach within
    #: range may be one too; the minutes inside are in the evidence)
    co_located: bool = False

    def to_dict(self) -> dict:
        return {
            "type": "proximity",
            "asset": self.asset,
            "asset_name": self.asset_name,
            "asset_owner": self.asset_owner,
            "object": self.object,
            "object_name": self.object_name,
            "object_owner": self.object_owner,
            "kind": self.kind,
            "range_km": self.range_km,
            "closest_km": round(self.closest_km, 4),
            "closest_time": iso_z(self.closest_time, 3),
            "approaches": self.approaches,
            "first_time": iso_z(self.first_time, 3),
            "last_time": iso_z(self.last_time, 3),
            "relative_speed_km_s": (
                None if self.relative_speed_km_s is None else round(self.relative_speed_km_s, 4)
            ),
            "trend": self.trend,
            "trend_distances_km": [round(d, 3) for d in self.trend_distances_km],
            "trend_epochs": [iso_z(e, 3) for e in self.trend_epochs],
            "after_maneuver": self.after_maneuver,
            "maneuver_epoch": iso_z(self.maneuver_epoch, 3) if self.maneuver_epoch else None,
            "asset_regime": self.asset_regime,
            "asset_period_min": None if self.asset_period_min is None else round(self.asset_period_min, 3),
            "asset_perigee_km": None if self.asset_perigee_km is None else round(self.asset_perigee_km, 3),
            "closest_rtn_km": None if self.closest_rtn_km is None else [round(x, 4) for x in self.closest_rtn_km],
            "co_located": self.co_located,
            "evidence": self.evidence,
        }


def _min_distance_over_orbit(a: ElementSet, b: ElementSet, start: datetime) -> float:
    """Least distance (km) of ``a`` and ``b`` over one period of the slower
    from ``start``: sampled at 240 steps, then the three lowest local minima
    of the samples refined by resampling between their neighbours (twice,
    each 1/120 of the bracket): an inclined GEO pair crosses at ~1 km/s, and
    the bare 6-min samples missed its closest point by 100 km and more."""
    period_s = DAY_S / min(a.mean_motion_rev_day, b.mean_motion_rev_day)
    sats = SatrecArray([a.to_satrec(), b.to_satrec()])
    jd0, fr0 = datetime_to_jd(start)

    def dist(ts: np.ndarray) -> np.ndarray:
        e, r, _ = sats.sgp4(np.full(ts.size, jd0), fr0 + ts / DAY_S)
        d = np.linalg.norm(r[0] - r[1], axis=1)
        d[(e[0] != 0) | (e[1] != 0)] = np.nan
        return d

    ts = np.linspace(0.0, period_s, 241)
    d = dist(ts)
    if not np.any(np.isfinite(d)):
        return float("nan")
    best = float(np.nanmin(d))
    dd = np.where(np.isfinite(d), d, np.inf)
    local = [k for k in range(len(dd)) if dd[k] <= dd[max(k - 1, 0)] and dd[k] <= dd[min(k + 1, len(dd) - 1)]]
    for k in sorted(local, key=lambda k: dd[k])[:3]:
        lo, hi = ts[max(k - 1, 0)], ts[min(k + 1, len(ts) - 1)]
        for _ in range(2):
            fine = np.linspace(lo, hi, 121)
            fd = dist(fine)
            if not np.any(np.isfinite(fd)):
                break
            j = int(np.nanargmin(fd))
            best = min(best, float(fd[j]))
            lo, hi = fine[max(j - 1, 0)], fine[min(j + 1, len(fine) - 1)]
    return best


#: the trend's change must exceed all of: this many km, this share of the
#: typical distance, and this many robust scatters of the distances about the line
TREND_MIN_KM = 1.0
TREND_MIN_SHARE = 0.2
TREND_NOISE_FACTOR = 3.0
#: the stretch from an extreme on needs this many sets to decide the trend
TREND_MIN_STRETCH = 3
#: only the object's sets of the last TREND_DAYS (at most TREND_MAX_SETS) count
TREND_DAYS = 60.0
TREND_MAX_SETS = 300
#: set epochs of the two objects closer than this (s) are one instant of the
#: trend (the latest): both new sets are in force there
TREND_MERGE_S = 60.0
#: an instant counts for the trend only while both sets in force are at most
#: this many orbits (of the faster object) old
TREND_STALE_ORBITS = 4.0


def _theil_sen(t: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """Slope (median of the pairwise slopes) and intercept of a Theil-Sen line:
    one fit that lands far off, or a few, cannot turn it."""
    i, j = np.triu_indices(len(t), 1)
    dt = t[j] - t[i]
    ok = dt > 0
    slope = float(np.median((d[j] - d[i])[ok] / dt[ok])) if ok.any() else 0.0
    return slope, float(np.median(d - slope * t))


def trend_of(
    asset_hist: Sequence[ElementSet], obj_hist: Sequence[ElementSet], until: datetime | None = None,
) -> tuple[str, list[float], list[datetime]]:
    """Trend of the pair's minimum distance over both objects' histories and,
    given ``until`` (the window end), on to it.

    The instants are the epochs of either object's sets (from the later of
    their first sets on); epochs within :data:`TREND_MERGE_S` of each other
    are one instant, the latest (a set of one object published a few ms after
    the other's is not paired with the other's old set), and copies of a set
    count once.  Past the pair's newest set the instants go on to ``until``,
    both objects on their newest sets: one instant per orbit of the slower
    object after that set, and ``until`` itself (when more than
    :data:`TREND_MERGE_S` after the one before).  Each value is the least
    distance over one orbit from its instant, so these instants cover the
    stretch after the newest set as the sets predict it, up to ``until``
    (and one orbit past it: where the distance is going at the window end).
    Sets with epochs after ``until`` are not used.

    At each instant each object is on its set in force (:class:`_Timeline`).
    An instant where either set in force is older than
    :data:`TREND_STALE_ORBITS` orbits of the faster object is left out (a
    docked module's own set propagated a day misses the station by
    kilometres): the trend follows the sets that far past the older of the
    two newest sets and no further (the caller says so when that is before
    ``until``).  The result does not depend on which object is the asset,
    nor on the order or the copies of the sets given.

    Returns the trend (``closing``, ``departing``, ``holding near``, or
    ``unknown`` with fewer than 3 usable instants), the distances (km) and
    those instants.  See the module docstring.
    """
    dists: list[float] = []
    epochs: list[datetime] = []
    if until is not None:
        asset_hist = [s for s in asset_hist if s.epoch <= until]
        obj_hist = [s for s in obj_hist if s.epoch <= until]
    if not asset_hist or not obj_hist:
        return "unknown", dists, epochs
    la, lo = _Timeline(asset_hist), _Timeline(obj_hist)
    first = max(la.epochs[0], lo.epochs[0])
    merged: list[datetime] = []
    for e in sorted({e for e in la.epochs + lo.epochs if e >= first}):
        if merged and (e - merged[-1]).total_seconds() <= TREND_MERGE_S:
            merged[-1] = e
        else:
            merged.append(e)
    n_sets = len(merged)  # instants at set epochs; those after them are propagated
    if until is not None and merged and (until - merged[-1]).total_seconds() > TREND_MERGE_S:
        # past the newest set: one instant per orbit of the slower object (the
        # one-orbit minima from them tile the stretch), up to where the older
        # newest set goes stale (no instant after that counts), and the window end
        newest = la.sets[-1], lo.sets[-1]
        step_s = DAY_S / min(s.mean_motion_rev_day for s in newest)
        stale_s = TREND_STALE_ORBITS * DAY_S / max(s.mean_motion_rev_day for s in newest)
        last = min(until - timedelta(seconds=TREND_MERGE_S),
                   min(s.epoch for s in newest) + timedelta(seconds=stale_s))
        t = merged[-1] + timedelta(seconds=step_s)
        while t < last:
            merged.append(t)
            t += timedelta(seconds=step_s)
        merged.append(until)
    if merged:  # the trend is about now: the last TREND_DAYS, at most TREND_MAX_SETS instants
        cutoff = merged[-1] - timedelta(days=TREND_DAYS)
        keep = [k for k, e in enumerate(merged) if e >= cutoff][-TREND_MAX_SETS:]
        n_sets = sum(k < n_sets for k in keep)
        merged = [merged[k] for k in keep]
    from_sets: list[bool] = []
    in_force: list[tuple[ElementSet, ElementSet]] = []  # the sets each value rests on
    for k, t in enumerate(merged):
        sa, so = la.at(t), lo.at(t)
        stale_s = TREND_STALE_ORBITS * DAY_S / max(sa.mean_motion_rev_day, so.mean_motion_rev_day)
        if (t - min(sa.epoch, so.epoch)).total_seconds() > stale_s:
            continue
        d = _min_distance_over_orbit(sa, so, t)
        if np.isfinite(d):
            dists.append(d)
            epochs.append(t)
            from_sets.append(k < n_sets)
            in_force.append((sa, so))
    if len(dists) < 3:
        return "unknown", dists, epochs
    d = np.array(dists)
    n = int(np.count_nonzero(from_sets))  # the values at set epochs come first
    if n < len(d):  # the stretch past the newest set decides when it moves
        found = _trend_past_newest_set(d[max(n - 1, 0):])
        if found is not None:
            return found, dists, epochs
    # otherwise the history of the sets decides (all values, with fewer than 3 of them)
    k = n if n >= 3 else len(d)
    tt = np.array([(e - epochs[0]).total_seconds() for e in epochs[:k]]) / DAY_S
    return _trend_of_series(tt, d[:k], _set_jitter(in_force[:k], epochs[:k], d[:k])), dists, epochs


def _set_jitter(
    in_force: Sequence[tuple[ElementSet, ElementSet]], epochs: Sequence[datetime], d: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """How much each change of the sets in force moves the distance by itself:
    for each value after the first, the least distance over the orbit from the
    value before's instant with the new sets, less the value before (the same
    stretch of the motion, so no motion in it: a drifting pair's distance
    steps from pass to pass, and the sets of the two objects often come
    minutes apart, then a day to the next pair, so plain differences mix the
    motion with one object's scatter only).  Returns the jitters (km; NaN
    where no set changed) and who changed: 0 only the first object's set, 1
    only the second's, 2 both (see :func:`_set_scatter`)."""
    n = max(len(in_force) - 1, 0)
    jitter, who = np.full(n, np.nan), np.full(n, 2)
    for i, ((a0, b0), (a1, b1)) in enumerate(pairwise(in_force)):
        if a0 is a1 and b0 is b1:
            continue
        who[i] = 0 if b0 is b1 else 1 if a0 is a1 else 2
        jitter[i] = _min_distance_over_orbit(a1, b1, epochs[i]) - float(d[i])
    return jitter, who


def _trend_past_newest_set(d: np.ndarray) -> str | None:
    """Where the distance goes past the pair's newest set: ``d`` (km) is the
    value at that set's instant, then the values propagated from it, every
    one from the same two sets, so nothing scatters between them.  The move
    from the stretch's last extreme (its lowest or highest value before its
    end), else from its start, to its end decides when it exceeds
    :data:`TREND_MIN_KM` and :data:`TREND_MIN_SHARE` of the distance over it;
    None when it moves less (the history then decides)."""
    ends = sorted({k for k in (int(np.argmin(d)), int(np.argmax(d))) if k < len(d) - 1}, reverse=True)
    for k in dict.fromkeys(ends + [0]):
        step = float(d[-1] - d[k])
        if abs(step) > max(TREND_MIN_KM, TREND_MIN_SHARE * float(np.median(d[k:]))):
            return "departing" if step > 0 else "closing"
    return None


def _set_scatter(t: np.ndarray, d: np.ndarray, jitter: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """The scatter (km) of one value from set to set.

    With ``jitter`` (:func:`_set_jitter`: what each change of the sets in
    force does to the distance over the same stretch of the motion, and
    whose set changed), each object's scatter is that of its own jitters
    (1.4826 times their median absolute value, over sqrt(2): a jitter is the
    difference of two of its sets), and a value's is the root sum of squares
    of the two objects': each value rests on one set of each.  With fewer
    than three jitters of either object, those where both objects' sets
    changed together stand for both (no less than the other object's own);
    failing those too, all jitters together.

    Without it (or with fewer than three jitters in all): the robust spread of
    the first differences about their median over the closer half of the
    consecutive instants (all of them when that leaves fewer than three)."""
    if jitter is not None:
        j, who = jitter
        ok = np.isfinite(j)
        own = [j[ok & (who == w)] for w in (0, 1)]
        sd = [1.4826 * float(np.median(np.abs(r))) / np.sqrt(2.0) if r.size >= 3 else None for r in own]
        if None not in sd:
            return float(np.hypot(*sd))
        # one object's sets mostly change together with the other's: those
        # jitters carry both (a difference of two of each: sqrt(2) of a value's)
        both = j[ok & (who == 2)]
        if both.size >= 3:
            return max([1.4826 * float(np.median(np.abs(both))) / np.sqrt(2.0)] + [x for x in sd if x is not None])
        if np.count_nonzero(ok) >= 3:
            return 1.4826 * float(np.median(np.abs(j[ok])))
    dd, dt = np.diff(d), np.diff(t)
    if dd.size == 0:
        return 0.0
    close = dt <= np.median(dt)
    if np.count_nonzero(close) >= 3:
        dd = dd[close]
    return 1.4826 * float(np.median(np.abs(dd - np.median(dd)))) / np.sqrt(2.0)


def _trend_of_series(
    t: np.ndarray, d: np.ndarray, jitter: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """The trend of distances ``d`` (km) at times ``t`` (days), at least 3;
    ``jitter`` as for :func:`_set_scatter`."""
    noise = _set_scatter(t, d, jitter)

    def verdict(tt: np.ndarray, yy: np.ndarray) -> str | None:
        slope, icpt = _theil_sen(tt, yy)
        resid = yy - (icpt + slope * tt)
        # the scatter about the line, but never under the history's set-to-set
        # scatter: a stretch of a few sets can look quieter than the history is
        scatter = max(noise, 1.4826 * float(np.median(np.abs(resid - np.median(resid)))))
        change = slope * (tt[-1] - tt[0])
        bar = max(TREND_MIN_KM, TREND_MIN_SHARE * float(np.median(yy)), TREND_NOISE_FACTOR * scatter)
        if change < -bar:
            return "closing"
        if change > bar:
            return "departing"
        return None

    # where the distance is going now: the stretch from the later of the lowest
    # and highest point on (at least TREND_MIN_STRETCH sets), then the stretch
    # from that one's extreme, and so on; else the whole history
    # (once the distance has turned, the slope of the whole history says nothing
    # about now: a turn with no clear stretch after it is "holding near")
    tt, yy = t, d
    turned = False
    against = None  # the direction a doubtful late turn speaks against
    while True:
        ends = [k for k in (int(np.argmin(yy)), int(np.argmax(yy))) if 0 < k < len(yy) - 1]
        late = [k for k in ends if k > len(yy) - TREND_MIN_STRETCH]
        if late:
            # a turn too close to the end for a stretch (a pass at the second-last
            # set, one set since): it decides when that last step stands out
            # from the set-to-set scatter (a difference of two sets: sqrt(2) of it)
            k = max(late)
            step = float(yy[-1] - yy[k])
            material = max(TREND_MIN_KM, TREND_MIN_SHARE * float(np.median(yy[k:])))
            if abs(step) > max(material, TREND_NOISE_FACTOR * np.sqrt(2.0) * noise):
                return "departing" if step > 0 else "closing"
            if abs(step) > material:
                # a turn of the size that counts but within the scatter: the
                # history before it cannot say where the distance goes now
                against = "closing" if step > 0 else "departing"
        # an extreme the distance has not left (the end within 1 km and 20 % of
        # it, or within the set-to-set scatter of a difference when that is
        # less: a flat top after a rise) is no turn
        turns = [k for k in ends if k <= len(yy) - TREND_MIN_STRETCH
                 and abs(float(yy[-1] - yy[k])) > max(TREND_MIN_KM, min(
                     TREND_MIN_SHARE * float(np.median(yy[k:])),
                     TREND_NOISE_FACTOR * np.sqrt(2.0) * noise))]
        if not turns:
            break
        turned = True
        k = max(turns)
        v = verdict(tt[k:], yy[k:])
        if v is not None:
            return "holding near" if v == against else v
        tt, yy = tt[k:], yy[k:]
    found = None if turned else verdict(t, d)
    if found is None and len(d) > TREND_MIN_STRETCH:
        # the last value left a flat stretch behind it (a pass ended or began at
        # the newest set or the window end): it decides when that step stands
        # out as the turn's last step must
        prev = d[-1 - TREND_MIN_STRETCH:-1]
        step = float(d[-1] - np.median(prev))
        bar = max(TREND_MIN_KM, TREND_MIN_SHARE * float(np.median(prev)),
                  TREND_NOISE_FACTOR * np.sqrt(2.0) * noise,
                  TREND_NOISE_FACTOR * float(np.ptp(prev)))
        if abs(step) > bar:
            found = "departing" if step > 0 else "closing"
    if found is not None and found == against:
        return "holding near"
    return found or "holding near"


@dataclass(frozen=True, slots=True)
class _Entry:
    """One element set of one object and when it is in force: ``[start, end)``."""

    norad_id: int
    es: ElementSet
    start: datetime
    end: datetime


class _Timeline:
    """One object's element sets in time order, one per epoch, and which is in
    force when: the newest with epoch at or before the instant; before the
    first epoch, the oldest (as ``orbitwatch.elements.newest_per_object``
    with ``as_of``, falling back to the oldest set).  Of sets sharing an epoch
    the one ``newest_per_object`` picks counts (higher element-set number,
    then the later one read)."""

    def __init__(self, sets: Sequence[ElementSet]) -> None:
        order = sorted(range(len(sets)), key=lambda k: (sets[k].epoch, sets[k].element_set_no, k))
        self.sets: list[ElementSet] = []
        for k in order:
            if self.sets and self.sets[-1].epoch == sets[k].epoch:
                self.sets[-1] = sets[k]
            else:
                self.sets.append(sets[k])
        self.epochs = [s.epoch for s in self.sets]

    @cached_property
    def satrecs(self) -> list:
        """The sets' Satrecs, built once: co-location sampling and refinement
        propagate the same sets many times."""
        return [s.to_satrec() for s in self.sets]

    def index_at(self, t: datetime) -> int:
        """Index of the set in force at ``t``."""
        return max(0, bisect_right(self.epochs, t) - 1)

    def index_before(self, t: datetime) -> int:
        """Index of the set in force just before ``t``."""
        return max(0, bisect_left(self.epochs, t) - 1)

    def at(self, t: datetime) -> ElementSet:
        return self.sets[self.index_at(t)]

    def entry(self, k: int) -> _Entry:
        s = self.sets[k]
        return _Entry(
            s.norad_id, s,
            self.epochs[k] if k > 0 else _NEVER_BEFORE,
            self.epochs[k + 1] if k + 1 < len(self.epochs) else _NEVER_AFTER,
        )

    def entries(self, t0: datetime, t1: datetime) -> list[_Entry]:
        """The sets in force at some instant of ``[t0, t1]``, oldest first."""
        return [self.entry(k) for k in range(self.index_at(t0), self.index_at(t1) + 1)]


@dataclass(frozen=True, slots=True)
class _Approach:
    """One minimum of the distance with the sets in force, and those sets."""

    tca: datetime
    km: float
    speed_km_s: float
    asset_set: ElementSet
    object_set: ElementSet
    at_set_change: bool = False
    #: "start" / "end": the window's edge, the distance still falling into it
    at_window_edge: str | None = None


def _pieces(start: datetime, span_s: float, changes: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """``[start, start + span_s]`` cut into equal pieces of at most :data:`PIECE_S`,
    and those cut again where an asset's set in force changes (``changes``),
    keeping every cut at least :data:`MIN_PIECE_S` from the next.  The cuts
    at changes only save work: an asset whose set changes inside a piece is
    screened with each of its sets there, each counted where it is in force."""
    n = max(1, math.ceil(span_s / PIECE_S - 1e-9))
    grid = [start + timedelta(seconds=span_s * k / n) for k in range(n + 1)]
    least = timedelta(seconds=MIN_PIECE_S)
    pieces = []
    for g0, g1 in pairwise(grid):
        p0 = g0
        for t in sorted(changes):
            if p0 + least <= t <= g1 - least:
                pieces.append((p0, t))
                p0 = t
        pieces.append((p0, g1))
    return pieces


def _near_band(satrecs: dict, lines, assets, threshold, start, span_s) -> list[int]:
    """The objects whose radius band over the window, with every set in force
    in it, comes within ``threshold`` of an asset's (the screening's own
    sound-by-margin band, :func:`orbitwatch.screening.filters.window_radius_band_km`):
    the others cannot come near and are not screened at all."""
    from orbitwatch.screening.filters import window_radius_band_km

    end = start + timedelta(seconds=span_s)
    owner: list[int] = []
    sats: list = []
    for nid, line in lines.items():
        for ent in line.entries(start, end):
            owner.append(nid)
            sats.append(_satrec(satrecs, ent.es))
    jd0, fr0 = datetime_to_jd(start)
    lo, hi = window_radius_band_km(sats, jd0, fr0, span_s)
    owner_a = np.array(owner)
    keep = np.isin(owner_a, list(assets))
    for a in assets:
        mine = owner_a == a
        a_lo, a_hi = float(lo[mine].min()), float(hi[mine].max())
        keep |= (lo <= a_hi + threshold) & (a_lo <= hi + threshold)
    return sorted({int(n) for n in owner_a[keep]})


def _screen_pieces(lines, assets, ranges, start, span_s, satrecs):
    """Screen the assets against the catalog with the sets in force.

    Returns ``(found, near, docked, band)``: the minima inside the validity of both
    sets per (asset, object); every (asset, object) with a minimum within
    range under any pair of sets the pieces screened (candidates for minima at
    set changes); per (asset, object) the intervals over which both carry
    identical elements, with those sets; and the objects screened at all
    (:func:`_near_band`)."""
    from orbitwatch.screening import screen

    asset_set = set(assets)
    threshold = max(ranges.values())
    found: dict[tuple[int, int], list[_Approach]] = defaultdict(list)
    near: set[tuple[int, int]] = set()
    docked: dict[tuple[int, int], list] = defaultdict(list)
    end = start + timedelta(seconds=span_s)
    # one screening entry per set in force at some instant of the window: an
    # object's first keeps its catalog number, its later ones get numbers of
    # their own (copies of the set under that number)
    keyed: dict[int, list[tuple[int, _Entry, ElementSet]]] = {}
    extra = _ENTRY_ID_BASE
    band = _near_band(satrecs, lines, assets, threshold, start, span_s)
    for nid in band:
        rows = []
        for j, ent in enumerate(lines[nid].entries(start, end)):
            if j == 0:
                rows.append((nid, ent, ent.es))
            else:
                extra += 1
                rows.append((extra, ent, replace(ent.es, norad_id=extra)))
        keyed[nid] = rows
    changes = {t for a in assets for t in lines[a].epochs[1:] if start < t < end}
    for p0, p1 in _pieces(start, span_s, sorted(changes)):
        entries: dict[int, _Entry] = {}
        sets: list[ElementSet] = []
        primaries: list[int] = []
        for nid, rows in keyed.items():
            for key, ent, es in rows:
                if ent.start <= p1 and ent.end > p0:  # in force at some instant of [p0, p1]
                    entries[key] = ent
                    sets.append(es)
                    if nid in asset_set:
                        primaries.append(key)
        res = screen(sets, p0, (p1 - p0).total_seconds(), threshold, primaries=primaries)
        for c in res.conjunctions:
            x, y = entries[c.object_1], entries[c.object_2]
            if x.norad_id == y.norad_id:  # two sets of one asset
                continue
            inside = max(x.start, y.start) <= c.tca < min(x.end, y.end)
            for ea, eo in ((x, y), (y, x)):
                a, o = ea.norad_id, eo.norad_id
                if a in asset_set and c.miss_distance_km <= ranges[a]:
                    near.add((a, o))
                    if inside:
                        found[(a, o)].append(_Approach(
                            c.tca, c.miss_distance_km, c.relative_speed_km_s, ea.es, eo.es))
        for i, j in res.stats.identical_element_pairs:
            x, y = entries[i], entries[j]
            lo, hi = max(x.start, y.start, p0), min(x.end, y.end, p1)
            if x.norad_id == y.norad_id or lo >= hi:
                continue
            for ea, eo in ((x, y), (y, x)):
                if ea.norad_id in asset_set:
                    docked[(ea.norad_id, eo.norad_id)].append((lo, hi, ea.es, eo.es))
    return found, near, docked, band


def _satrec(cache: dict, es: ElementSet):
    sat = cache.get(id(es))
    if sat is None:
        sat = cache[id(es)] = es.to_satrec()
    return sat


def _state(cache: dict, es: ElementSet, t: datetime):
    """SGP4 position (km) and velocity (km/s) of ``es`` at ``t``, None on error."""
    e, r, v = _satrec(cache, es).sgp4(*datetime_to_jd(t))
    return None if e != 0 else (np.array(r), np.array(v))


def _rtn(cache: dict, asset_es: ElementSet, obj_es: ElementSet, t: datetime):
    """The object's offset from the asset at ``t`` in the asset's radial /
    along-track / cross-track frame (km), or None when SGP4 fails."""
    a, o = _state(cache, asset_es, t), _state(cache, obj_es, t)
    if a is None or o is None:
        return None
    r, v = a
    u_r = r / np.linalg.norm(r)
    h = np.cross(r, v)
    u_n = h / np.linalg.norm(h)
    u_t = np.cross(u_n, u_r)
    d = o[0] - r
    return (float(d @ u_r), float(d @ u_t), float(d @ u_n))


def _edge_minima(lines, assets, band, ranges, start, end, cache, docked) -> dict[tuple[int, int], list[_Approach]]:
    """The window's edges as minima of the distance: an object within range at
    the window start and already moving away (``d . d' >= 0``), or within range
    at the window end and still closing (``d . d' < 0``).  The screening finds
    the minima of the motion inside the window; an object that stays within
    range all window long, or whose pass goes on past an edge, has its
    closest in-window distance at that edge, and it came within range there."""
    out: dict[tuple[int, int], list[_Approach]] = defaultdict(list)
    before = timedelta(seconds=BEFORE_CHANGE_S)
    for a in assets:
        for t, edge in ((start, "start"), (end - before, "end")):
            ea = lines[a].at(t)
            sa = _state(cache, ea, t)
            if sa is None:
                continue
            for o in band:
                if o == a or (a, o) in docked:
                    continue
                eo = lines[o].at(t)
                so = _state(cache, eo, t)
                if so is None:
                    continue
                d, w = so[0] - sa[0], so[1] - sa[1]
                km = float(np.linalg.norm(d))
                if km > ranges[a]:
                    continue
                opening = float(d @ w) >= 0.0
                if opening == (edge == "start"):
                    out[(a, o)].append(_Approach(t, km, float(np.linalg.norm(w)), ea, eo,
                                                 at_window_edge=edge))
    return out


def _set_change_minima(lines, pairs, ranges, start, end, cache) -> dict[tuple[int, int], list[_Approach]]:
    """The minima of the distance, followed with the sets in force, at the
    instants where the asset's or the object's set changes.

    There the distance jumps from ``L`` (the old sets just before the change)
    to ``R`` (the new sets at it).  It has a minimum at the change when the
    lower side moves away from it: ``L < R`` with the old sets still closing
    (``d . d' < 0``), or ``R <= L`` with the new ones already opening
    (``d . d' >= 0``).  That covers a pass whose closest point the old sets put
    after the change and the new ones before it (neither set has a minimum
    where it is in force), and a new set that lands farther off or nearer than
    the old one predicted.  The old side is taken :data:`BEFORE_CHANGE_S`
    before the change, so that the time, the distance and the sets reported
    always go together: those sets are in force then, and SGP4 of them gives
    that distance."""
    out: dict[tuple[int, int], list[_Approach]] = defaultdict(list)
    before = timedelta(seconds=BEFORE_CHANGE_S)
    for a, o in sorted(pairs):
        la, lo = lines[a], lines[o]
        changes = sorted({t for t in la.epochs[1:] + lo.epochs[1:] if start + before < t <= end})
        for t in changes:
            a0, a1 = la.sets[la.index_before(t)], la.at(t)
            o0, o1 = lo.sets[lo.index_before(t)], lo.at(t)
            if a0 is a1 and o0 is o1:
                continue
            t0 = t - before
            states = [_state(cache, s, tt) for s, tt in ((a0, t0), (o0, t0), (a1, t), (o1, t))]
            if any(s is None for s in states):
                continue
            (ra0, va0), (ro0, vo0), (ra1, va1), (ro1, vo1) = states
            d0, w0, d1, w1 = ro0 - ra0, vo0 - va0, ro1 - ra1, vo1 - va1
            km0, km1 = float(np.linalg.norm(d0)), float(np.linalg.norm(d1))
            if km0 < km1 and float(d0 @ w0) < 0.0:
                found = _Approach(t0, km0, float(np.linalg.norm(w0)), a0, o0, at_set_change=True)
            elif km1 <= km0 and float(d1 @ w1) >= 0.0:
                found = _Approach(t, km1, float(np.linalg.norm(w1)), a1, o1, at_set_change=True)
            else:
                continue
            if found.km <= ranges[a]:
                out[(a, o)].append(found)
    return out


def find_proximity(
    assets: Sequence[int],
    element_sets: Sequence[ElementSet],
    start: datetime,
    span_s: float,
    *,
    range_km: float | None = None,
    history: Sequence[ElementSet] | None = None,
    owners: dict[int, str] | None = None,
) -> list[ProximityEvent]:
    """Objects near each asset in ``[start, start + span_s]``; see the module docstring.

    ``element_sets``: the catalog (the objects looked at; any of their sets).
    ``history``: every set known (the sets in force, the trends and the
    manoeuvres come from these and ``element_sets`` together).  Each object is
    followed with its set in force at each instant; only sets with epochs up
    to the window end count for the trend and the manoeuvres.  ``owners``:
    SATCAT owners by catalog number.
    """
    from orbitwatch.behavior.maneuvers import detect_maneuvers

    if not span_s > 0:
        raise ValueError(f"the window length must be positive, got {span_s} s")
    if range_km is not None and not range_km > 0:
        raise ValueError(f"the range must be positive, got {range_km} km")
    owners = owners or {}
    end = start + timedelta(seconds=span_s)
    catalog = {s.norad_id for s in element_sets}
    missing = [a for a in assets if a not in catalog]
    if missing:
        raise ValueError(f"assets not in the catalog: {', '.join(map(str, missing))}")
    by_id: dict[int, list[ElementSet]] = defaultdict(list)
    for s in list(element_sets) + list(history or []):
        if s.norad_id in catalog:
            by_id[s.norad_id].append(s)
    lines = {nid: _Timeline(v) for nid, v in sorted(by_id.items())}
    # what the analyst knew at the window end: the trend and the manoeuvres
    # never see a later set
    told: dict[int, list[ElementSet]] = defaultdict(list)
    for s in history if history is not None else element_sets:
        if s.norad_id in catalog:
            told[s.norad_id].append(s)
    known: dict[int, list[ElementSet]] = {}
    for nid, line in lines.items():
        v = [s for s in told.get(nid, ()) if s.epoch <= end]
        known[nid] = sorted(v or [s for s in line.sets if s.epoch <= end], key=lambda s: s.epoch)
    named = {nid: line.at(end) for nid, line in lines.items()}

    def owner(nid: int) -> str | None:
        return owners.get(nid) or named[nid].owner

    ranges = {
        a: range_km if range_km is not None
        else DEFAULT_RANGE_KM.get(regime_of(lines[a].at(start)), 50.0)
        for a in assets
    }
    satrecs: dict = {}  # by id() of the element set
    found, near, docked, band = _screen_pieces(lines, assets, ranges, start, span_s, satrecs)
    for key, extra in _set_change_minima(lines, near, ranges, start, end, satrecs).items():
        found[key].extend(extra)
    for key, extra in _edge_minima(lines, assets, band, ranges, start, end, satrecs, docked).items():
        found[key].extend(extra)

    events: list[ProximityEvent] = []
    maneuver_cache: dict[int, list] = {}

    def maneuvers(nid: int):
        if nid not in maneuver_cache:
            try:
                maneuver_cache[nid] = detect_maneuvers(known[nid])
            except ValueError:
                maneuver_cache[nid] = []
        return maneuver_cache[nid]

    def finish(asset, obj, kind, closest_km, closest_t, n, first, last, speed, sets, extra):
        trend, dists, trend_epochs = (trend_of(known[asset], known[obj], end)
                                      if known[asset] and known[obj] else ("unknown", [], []))
        # how far the trend rests on the newest sets propagated, and where it
        # stops short of the window end (the sets there too old to follow)
        trend_reach: dict = {}
        if trend_epochs:
            newest = max(known[asset][-1].epoch, known[obj][-1].epoch)
            past_s = (trend_epochs[-1] - newest).total_seconds()
            if past_s > 0:
                trend_reach["trend_propagated_days"] = round(past_s / DAY_S, 2)
            short_s = (end - trend_epochs[-1]).total_seconds()
            if short_s > TREND_MERGE_S:
                trend_reach["trend_stops_before_window_end_days"] = round(short_s / DAY_S, 2)
        # manoeuvres that ended in the lookback before the approach began or
        # during it, up to its closest point (not only those before the window
        # happened to start), and sustained thrust (electric propulsion) under
        # way at some time from its beginning to its closest point
        prior = [
            m for m in maneuvers(obj)
            if first - timedelta(days=MANEUVER_LOOKBACK_DAYS) <= m.gap_end <= closest_t
            or ("sustained_thrust" in m.evidence and m.gap_start <= closest_t and m.gap_end >= first)
        ]
        asset_es, obj_es = sets
        rtn = _rtn(satrecs, asset_es, obj_es, closest_t)
        perigee_km = float(perigee_apogee_km(
            asset_es.mean_motion_rev_day, asset_es.eccentricity, asset_es.inclination_deg)[0])
        events.append(
            ProximityEvent(
                asset=asset, asset_name=named[asset].name, asset_owner=owner(asset),
                object=obj, object_name=named[obj].name, object_owner=owner(obj),
                kind=kind, range_km=ranges[asset], closest_km=closest_km,
                closest_time=closest_t, approaches=n, first_time=first, last_time=last,
                relative_speed_km_s=speed, trend=trend, trend_distances_km=tuple(dists),
                trend_epochs=tuple(trend_epochs),
                after_maneuver=bool(prior),
                maneuver_epoch=prior[-1].epoch_estimate if prior else None,
                asset_regime=regime_of(asset_es),
                asset_period_min=1440.0 / asset_es.mean_motion_rev_day,
                asset_perigee_km=perigee_km,
                closest_rtn_km=rtn,
                co_located=kind == "co-location" or "minutes_inside_box" in extra,
                evidence={
                    # the sets in force at the closest approach
                    "asset_element_set_epoch": iso_z(asset_es.epoch, 3),
                    "object_element_set_epoch": iso_z(obj_es.epoch, 3),
                    "asset_element_set": set_ref(asset_es),
                    "object_element_set": set_ref(obj_es),
                    "history_sets": len(known[obj]),
                    # how far each set was propagated to the closest approach
                    # (days; negative: backwards): SGP4 errors grow with it
                    "set_age_days": {
                        "asset": round((closest_t - asset_es.epoch).total_seconds() / DAY_S, 2),
                        "object": round((closest_t - obj_es.epoch).total_seconds() / DAY_S, 2),
                    },
                    **({"first_set_after_window": [i for i in (asset, obj) if not known[i]]}
                       if not (known[asset] and known[obj]) else {}),
                    **trend_reach,
                    **extra,
                },
            )
        )

    # GEO co-location, with the sets in force at each sample
    # the GEO belt as the GEO monitor defines it (orbitwatch.behavior.geo.is_geo)
    from orbitwatch.behavior.geo import is_geo

    colocated: dict[tuple[int, int], tuple] = {}
    geo_assets = [a for a in assets if is_geo(lines[a].at(start))]
    if geo_assets:
        geo_ids = [
            nid for nid, line in lines.items()
            if any(is_geo(e.es) for e in line.entries(start, end))
        ]
        for a, o, *rest in _colocations(geo_assets, geo_ids, lines, start, span_s):
            colocated[(a, o)] = tuple(rest)

    def box(key) -> dict:
        c = colocated.get(key)
        return {} if c is None else {"box_deg": COLOCATION_DEG, "minutes_inside_box": round(c[5], 1)}

    # Objects whose element sets are identical to the asset's (docked vehicles
    # published with the station's elements) are at zero distance while both
    # sets are in force: that is their closest, whatever minima the stretches
    # with sets of their own add (a vehicle whose sets stop while the
    # station's go on).
    for asset, obj in sorted(set(found) | set(docked)):
        cs, spans = found.get((asset, obj), []), sorted(docked.get((asset, obj), []), key=lambda s: s[0])
        extra: dict = box((asset, obj))
        at_changes = sum(c.at_set_change for c in cs)
        if at_changes:
            extra["minima_at_set_changes"] = at_changes
        at_edges = sum(c.at_window_edge is not None for c in cs)
        times = [c.tca for c in cs] + [t for s in spans for t in s[:2]]
        if spans:
            finish(asset, obj, "docked or co-orbiting (identical elements)", 0.0, spans[0][0],
                   len(cs) - at_changes, min(times), max(times), 0.0, spans[0][2:],
                   {"identical_elements": True, **extra})
            continue
        best = min(cs, key=lambda c: c.km)
        if best.at_set_change:
            extra["closest_at_set_change"] = True
        if best.at_window_edge:
            # still closing at the window end (or already opening at its start):
            # the closest in the window, not the pass's own closest point
            extra["closest_at_window_edge"] = best.at_window_edge
        # passes: the minima of the motion, not the jumps where a new set takes over
        # nor the window's edges (those are counted apart, in the evidence); at
        # least the one reported
        passes = max(1, len(cs) - at_changes - at_edges)
        finish(asset, obj, "approach", best.km, best.tca, passes, min(times), max(times),
               best.speed_km_s, (best.asset_set, best.object_set), extra)

    # co-located objects not already reported as within range
    seen = set(found) | set(docked)
    for (a, o), (dmin, tmin, first, last, n, _, sets) in sorted(colocated.items()):
        if (a, o) not in seen:
            finish(a, o, "co-location", dmin, tmin, n, first, last, None, sets, box((a, o)))
    events.sort(key=lambda e: (e.asset, e.closest_km))
    return events


#: co-location: the belt is sampled every COLOCATION_COARSE_S; a pair that comes
#: within the box plus what its separations moved between two samples is
#: sampled again every COLOCATION_FINE_S, and the box's edges and the
#: closest point are refined from there
COLOCATION_COARSE_S = 600.0
COLOCATION_FINE_S = 20.0


def _geo_samples(line: _Timeline, start: datetime, ts: np.ndarray):
    """TEME km, latitude and longitude (deg) of one object at ``start + ts``,
    each with its set in force there, the index of that set, and whether SGP4
    failed anywhere."""
    from orbitwatch.propagation.frames import teme_to_geodetic
    from orbitwatch.propagation.sgp4_array import positions_in_force

    r, k = positions_in_force(line.sets, start, ts, line.satrecs)
    jd0, fr0 = datetime_to_jd(start)
    g = teme_to_geodetic(np.nan_to_num(r), np.full(ts.size, jd0), fr0 + ts / DAY_S)
    return r, np.asarray(g.lat_deg), np.asarray(g.lon_deg), k, bool(np.isnan(r).any())


def _inside(sa, so) -> np.ndarray:
    dlon = np.abs((so[2] - sa[2] + 180.0) % 360.0 - 180.0)
    return (dlon <= COLOCATION_DEG) & (np.abs(so[1] - sa[1]) <= COLOCATION_DEG)


def _colocations(assets, geo_ids, lines, start, span_s):
    """(asset, object, closest km, its time, first entry, last exit, passes
    through the box, minutes inside, the sets in force at the closest point)
    for every GEO object inside the asset's box at some instant of the window;
    each object with its set in force at each instant.

    The belt is sampled every :data:`COLOCATION_COARSE_S`; a pair is looked at
    closely when at some sample both separations are within the box plus the
    most they moved between two samples.  Such a pair is sampled every
    :data:`COLOCATION_FINE_S`, each entry and exit refined by bisection to
    ~0.1 s, and the closest point inside the box refined by resampling around
    the nearest fine sample (a box crossing as short as ~40 min, an inclined
    object's, is found wherever the window starts)."""
    ts = np.arange(0.0, span_s + COLOCATION_COARSE_S, COLOCATION_COARSE_S)
    ts[-1] = span_s
    ids = list(dict.fromkeys(list(assets) + list(geo_ids)))
    coarse = {nid: _geo_samples(lines[nid], start, ts) for nid in ids}
    fine_ts = np.arange(0.0, span_s + COLOCATION_FINE_S, COLOCATION_FINE_S)
    fine_ts[-1] = span_s
    fine: dict[int, tuple] = {}

    def at(nid, t_s):
        return _geo_samples(lines[nid], start, np.atleast_1d(np.asarray(t_s, dtype=float)))

    for a in assets:
        ca = coarse[a]
        for o in ids:
            co = coarse[o]
            if o == a or co[4]:
                continue
            dlon = (co[2] - ca[2] + 180.0) % 360.0 - 180.0
            dlat = co[1] - ca[1]
            m_lon = float(np.max(np.abs(np.diff(np.unwrap(dlon, period=360.0))))) if ts.size > 1 else 0.0
            m_lat = float(np.max(np.abs(np.diff(dlat)))) if ts.size > 1 else 0.0
            near = (np.abs(dlon) <= COLOCATION_DEG + m_lon) & (np.abs(dlat) <= COLOCATION_DEG + m_lat)
            if not near.any():
                continue
            for nid in (a, o):
                if nid not in fine:
                    fine[nid] = _geo_samples(lines[nid], start, fine_ts)
            fa, fo = fine[a], fine[o]
            inside = _inside(fa, fo)
            if not inside.any():
                continue
            # the box's edges: bisection between the samples either side
            flips = np.nonzero(np.diff(inside.astype(np.int8)))[0]
            edges = {}
            for j in flips:
                lo_t, hi_t = float(fine_ts[j]), float(fine_ts[j + 1])
                want = bool(inside[j])  # the side of lo_t
                for _ in range(8):
                    mid = 0.5 * (lo_t + hi_t)
                    if bool(_inside(at(a, mid), at(o, mid))[0]) == want:
                        lo_t = mid
                    else:
                        hi_t = mid
                edges[j] = lo_t if want else hi_t  # the inside side
            spans = []
            k = 0
            n = inside.size
            while k < n:
                if not inside[k]:
                    k += 1
                    continue
                j = k
                while j + 1 < n and inside[j + 1]:
                    j += 1
                t0 = edges.get(k - 1, float(fine_ts[k])) if k > 0 else 0.0
                t1 = edges.get(j, float(fine_ts[j])) if j < n - 1 else span_s
                spans.append((t0, t1, k, j))
                k = j + 1
            dist = np.linalg.norm(fo[0] - fa[0], axis=1)
            cand = np.nonzero(inside)[0]
            j = int(cand[np.nanargmin(dist[cand])])
            best_t, best_d = float(fine_ts[j]), float(dist[j])
            lo_t = float(fine_ts[max(j - 1, 0)])
            hi_t = float(fine_ts[min(j + 1, n - 1)])
            for _ in range(2):  # resample around the nearest fine sample
                tt = np.linspace(lo_t, hi_t, 41)
                sa, so = at(a, tt), at(o, tt)
                ok = _inside(sa, so)
                dd = np.where(ok, np.linalg.norm(so[0] - sa[0], axis=1), np.inf)
                i = int(np.argmin(dd))
                if np.isfinite(dd[i]) and dd[i] < best_d:
                    best_t, best_d = float(tt[i]), float(dd[i])
                lo_t, hi_t = tt[max(i - 1, 0)], tt[min(i + 1, tt.size - 1)]
            sa, so = at(a, best_t), at(o, best_t)
            minutes = sum(t1 - t0 for t0, t1, _, _ in spans) / 60.0
            yield (
                a, o, best_d, start + timedelta(seconds=best_t),
                start + timedelta(seconds=spans[0][0]), start + timedelta(seconds=spans[-1][1]),
                len(spans), minutes,
                (lines[a].sets[int(sa[3][0])], lines[o].sets[int(so[3][0])]),
            )
