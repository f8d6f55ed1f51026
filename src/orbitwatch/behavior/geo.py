"""GEO monitoring: longitude, drift rate and inclination over time; relocations.

For each element set of an object in the GEO belt (mean motion 0.9–1.1
rev/day, eccentricity < 0.1, inclination < 20 deg) the set is propagated with
SGP4 over one orbital period P = 1/n from its epoch, converted TEME -> ITRS (:mod:`orbitwatch.propagation.frames`),
and reduced to

- ``longitude_deg``: the *mean* sub-satellite east longitude over that
  period (the libration tied to the orbital phase, caused by eccentricity and
  inclination, up to 2e rad and i^2/4 rad, averages out also for an object
  that drifts fast),
- ``drift_deg_day``: the change of the longitude over that period divided by
  it (positive eastward); this includes SGP4's J2 and luni-solar terms rather
  than the two-body ``360 (n - n_sidereal)``,
- ``inclination_deg`` and ``latitude_amplitude_deg``.

The relocation search first cleans each object's history as the manoeuvre
detector does (:func:`orbitwatch.behavior.history.clean_history`: duplicates,
reissues within a second, isolated outliers).

A **relocation** is a change of the station-keeping state along the history:
the object *starts drifting* when ``|drift|`` rises above
``drift_threshold_deg_day`` (default 0.05 deg/day, several times what
station-kept satellites show, whose boxes are +-0.05 deg held with drifts of
a few 1e-3 deg/day) in at least ``min_sets`` consecutive element sets after
holding below it, and *stops* when it falls back.  Each start and stop is an
event with the longitudes before and after and the peak drift rate.  Objects
that drift through the whole history are summarised as drifting, with no
event (no start or end was seen).  A move along the belt between two
consecutive sets that their drift rates do not explain (over
:data:`JUMP_MIN_DEG`, and :data:`JUMP_MIN_SIGMA` robust sigmas of the
object's own such moves) is a ``relocation between sets``: a drift that
started and stopped between them, or a change of drift rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from orbitwatch.behavior.history import clean_history
from orbitwatch.elements.model import ElementSet, set_ref
from orbitwatch.timeutil import DAY_S, datetime_to_jd, iso_z

#: one sidereal day, seconds (IERS: 86164.0905 s)
SIDEREAL_DAY_S = 86164.0905
_SAMPLES_PER_DAY = 48


def is_geo(es: ElementSet) -> bool:
    """In the GEO belt: 0.9 < n < 1.1 rev/day, e < 0.1 and i < 20 deg.

    (Inclined geosynchronous orbits such as BeiDou's IGSO, i ~ 55 deg, are not
    station-kept in longitude the same way and are left out.)
    """
    return (
        0.9 < es.mean_motion_rev_day < 1.1 and es.eccentricity < 0.1 and es.inclination_deg < 20.0
    )


@dataclass(frozen=True, slots=True)
class GeoState:
    """One element set's GEO geometry (degrees, degrees/day; east positive)."""

    norad_id: int
    epoch: datetime
    longitude_deg: float
    drift_deg_day: float
    inclination_deg: float
    latitude_amplitude_deg: float

    def to_dict(self) -> dict:
        return {
            "object": self.norad_id,
            "epoch": iso_z(self.epoch, 3),
            "longitude_deg": round(self.longitude_deg, 4),
            "drift_deg_day": round(self.drift_deg_day, 5),
            "inclination_deg": round(self.inclination_deg, 4),
            "latitude_amplitude_deg": round(self.latitude_amplitude_deg, 4),
        }


@dataclass(frozen=True, slots=True)
class GeoRelocation:
    """A start or an end of a drift (``kind``: ``drift start`` / ``drift stop``)."""

    object: int
    name: str | None
    kind: str
    gap_start: datetime  # epoch of the last set before the change
    gap_end: datetime  # epoch of the first set after it
    longitude_before_deg: float
    longitude_after_deg: float
    drift_before_deg_day: float
    drift_after_deg_day: float
    direction: str  # "east" / "west"
    evidence: dict = field(default_factory=dict)
    owner: str | None = None  # SATCAT owner (else the element sets' own)

    def to_dict(self) -> dict:
        return {
            "type": "geo_relocation",
            "object": self.object,
            "name": self.name,
            "owner": self.owner,
            "kind": self.kind,
            "gap_start": iso_z(self.gap_start, 3),
            "gap_end": iso_z(self.gap_end, 3),
            "longitude_before_deg": round(self.longitude_before_deg, 3),
            "longitude_after_deg": round(self.longitude_after_deg, 3),
            "drift_before_deg_day": round(self.drift_before_deg_day, 4),
            "drift_after_deg_day": round(self.drift_after_deg_day, 4),
            "direction": self.direction,
            "evidence": self.evidence,
        }


def _wrap180(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x) + 180.0) % 360.0 - 180.0


def geo_track(history: Sequence[ElementSet]) -> list[GeoState]:
    """GEO geometry of each element set of one or many objects (input order kept).

    Non-GEO sets and sets SGP4 cannot propagate are skipped.
    """
    from orbitwatch.propagation.frames import teme_to_itrs

    sets = [s for s in history if is_geo(s)]
    if not sets:
        return []
    n_s = _SAMPLES_PER_DAY
    m = n_s + 1
    periods_s = np.array([DAY_S / s.mean_motion_rev_day for s in sets])
    jd_all = np.empty(len(sets) * m)
    fr_all = np.empty(len(sets) * m)
    r_all = np.empty((len(sets) * m, 3))
    ok = np.ones(len(sets), dtype=bool)
    for k, s in enumerate(sets):  # each set on its own grid: sgp4_array's C loop
        jd0, fr0 = datetime_to_jd(s.epoch)
        sl = slice(k * m, (k + 1) * m)
        jd_all[sl] = jd0
        # one orbital period: the sample after it is at the same orbital phase
        fr_all[sl] = fr0 + np.arange(m) * (periods_s[k] / n_s) / DAY_S
        e, r, _ = s.to_satrec().sgp4_array(jd_all[sl], fr_all[sl])
        ok[k] = not np.any(e != 0)
        r_all[sl] = r
    r_itrs, _ = teme_to_itrs(np.nan_to_num(r_all), None, jd_all, fr_all)
    r_itrs = r_itrs.reshape(len(sets), m, 3)
    lon = np.degrees(np.arctan2(r_itrs[..., 1], r_itrs[..., 0]))
    lat = np.degrees(np.arctan2(r_itrs[..., 2], np.hypot(r_itrs[..., 0], r_itrs[..., 1])))
    unwrapped = np.degrees(np.unwrap(np.radians(lon), axis=1))
    drift = (unwrapped[:, -1] - unwrapped[:, 0]) * DAY_S / periods_s
    mean_lon = _wrap180(np.mean(unwrapped[:, :-1], axis=1))
    lat_amp = np.max(np.abs(lat[:, :-1]), axis=1)
    return [
        GeoState(
            norad_id=s.norad_id,
            epoch=s.epoch,
            longitude_deg=float(mean_lon[k]),
            drift_deg_day=float(drift[k]),
            inclination_deg=float(s.inclination_deg),
            latitude_amplitude_deg=float(lat_amp[k]),
        )
        for k, s in enumerate(sets)
        if ok[k]
    ]


def find_relocations(
    history: Iterable[ElementSet],
    *,
    drift_threshold_deg_day: float = 0.05,
    min_sets: int = 2,
    owners: Mapping[int, str] | None = None,
) -> tuple[list[GeoRelocation], dict[int, str]]:
    """Relocation events (drift starts and stops) and each object's state.

    ``owners`` (SATCAT, by catalog number) attributes the events; an object
    not in it takes the owner its element sets carry, if any.

    Returns ``(events, status)`` where ``status[norad_id]`` is the object's
    state at its newest set: ``drifting``; ``relocating`` (a start, stop or
    relocation between sets among its last :data:`SETTLED_SETS` sets);
    ``station-kept`` (longitude held within :data:`STATION_KEPT_RANGE_DEG`
    since its last relocation, or over the history); or ``slow drift`` (under
    the drift threshold but not held: a dead satellite librating, say).
    """
    by_id: dict[int, list[ElementSet]] = {}
    for s in history:
        by_id.setdefault(s.norad_id, []).append(s)
    events: list[GeoRelocation] = []
    status: dict[int, str] = {}
    for nid, sets in sorted(by_id.items()):
        # the manoeuvre detector's cleaning: duplicates and reissues within a
        # second are one set, and an isolated set that both its neighbours
        # contradict is an outlier (one bad fit would otherwise count twice,
        # as a drift start and a drift stop, through its reissue)
        uniq = list(clean_history(sets).element_sets)
        track = geo_track(uniq)
        if len(track) < 2:
            continue
        name = uniq[-1].name
        owner = (owners or {}).get(nid) or next((es.owner for es in reversed(uniq) if es.owner), None)
        set_at = {es.epoch: es for es in uniq}
        drifting = np.array([abs(t.drift_deg_day) > drift_threshold_deg_day for t in track])
        # smooth: a state holds only when seen in min_sets consecutive sets
        state = _debounce(drifting, min_sets)
        changes = [i for i in range(1, len(state)) if state[i] != state[i - 1]]
        jumps = [i for i in _unexplained_moves(track) if i not in changes]
        if not changes and not jumps:
            status[nid] = "drifting" if state[0] else _held_or_slow(track)
            continue
        # the state now: drifting; or, once SETTLED_SETS sets have followed the
        # set that showed the last start, stop or jump, held (or slowly
        # drifting) at the new place; until then relocating
        since = track[max(changes + jumps) + 1:]
        if state[-1]:
            status[nid] = "drifting"
        elif len(since) >= SETTLED_SETS:
            status[nid] = _held_or_slow(since)
        else:
            status[nid] = "relocating"

        def event(a: GeoState, b: GeoState, kind: str, east: bool, **evidence) -> GeoRelocation:
            return GeoRelocation(
                object=nid, name=name, kind=kind, gap_start=a.epoch, gap_end=b.epoch,
                longitude_before_deg=a.longitude_deg, longitude_after_deg=b.longitude_deg,
                drift_before_deg_day=a.drift_deg_day, drift_after_deg_day=b.drift_deg_day,
                direction="east" if east else "west",
                evidence={
                    "element_set_epochs": [iso_z(a.epoch, 3), iso_z(b.epoch, 3)],
                    "element_sets": [set_ref(set_at[a.epoch]), set_ref(set_at[b.epoch])],
                    **evidence,
                },
                owner=owner,
            )

        for i in jumps:
            moved = _unexplained_deg(track[i - 1], track[i])
            events.append(event(track[i - 1], track[i], RELOCATION_BETWEEN_SETS, moved > 0,
                                unexplained_longitude_deg=round(moved, 3),
                                jump_threshold_deg=JUMP_MIN_DEG))
        for i in changes:
            a, b = track[i - 1], track[i]
            started = bool(state[i])
            drift_ref = b.drift_deg_day if started else a.drift_deg_day
            events.append(event(a, b, "drift start" if started else "drift stop", drift_ref > 0,
                                drift_threshold_deg_day=drift_threshold_deg_day))
    return events, status


#: a move along the belt between two sets that their drift rates do not
#: explain, over this (degrees), is a relocation between them: five times a
#: station-keeping box half-width of 0.05 deg and above the largest such move of
#: 99% of the GEO objects of May 2026 (0.15 deg)
JUMP_MIN_DEG = 0.25
#: ... and over this many robust sigmas of the object's own such moves
JUMP_MIN_SIGMA = 8.0
RELOCATION_BETWEEN_SETS = "relocation between sets"
#: sets after an object's last drift start, stop or jump before its status says
#: where it is now (held or slowly drifting) instead of ``relocating``
SETTLED_SETS = 3
#: a history holding its longitude within this range (degrees) is
#: station-kept; under the drift threshold but not held, it is a slow drift (a
#: dead satellite librating about a stable point drifts at up to a few
#: hundredths of a degree a day)
STATION_KEPT_RANGE_DEG = 0.25


def _unexplained_deg(a: GeoState, b: GeoState) -> float:
    """Longitude change from set ``a`` to ``b`` minus what their mean drift explains."""
    dt = (b.epoch - a.epoch).total_seconds() / DAY_S
    moved = float(_wrap180(b.longitude_deg - a.longitude_deg))
    return moved - 0.5 * (a.drift_deg_day + b.drift_deg_day) * dt


def _unexplained_moves(track: Sequence[GeoState]) -> list[int]:
    """Indices ``i`` where the move from set ``i-1`` to ``i`` is a relocation
    the sets' drift rates do not explain (Express AMU-3 moved 1.7 deg between
    two daily sets of May 2026 that both drift at -0.03 deg/day)."""
    if len(track) < 2:
        return []
    res = np.array([_unexplained_deg(a, b) for a, b in zip(track, track[1:])])
    # the object's own scatter from its ordinary moves: in a short history the
    # relocation's own moves are a good part of the sample (Express AMU-3: 3 of
    # 7, which lifted the bar to 0.85 deg over its 0.37 deg departure and
    # 0.27 deg arrival)
    quiet = res[np.abs(res) <= JUMP_MIN_DEG]
    base = quiet if quiet.size >= 3 else res
    sigma = 1.4826 * float(np.median(np.abs(base - np.median(base))))
    bar = max(JUMP_MIN_DEG, JUMP_MIN_SIGMA * sigma)
    return [k + 1 for k in np.nonzero(np.abs(res) > bar)[0]]


def _held_or_slow(track: Sequence[GeoState]) -> str:
    """``station-kept`` when the longitude stayed within
    :data:`STATION_KEPT_RANGE_DEG` over the history, else ``slow drift``.

    The drift rate alone cannot tell: active satellites cross their boxes at
    +-0.01 to 0.04 deg/day for a week at a time (TDRS-3, Telkom 3S), as fast as
    a dead one librates about a stable point.  The longitude held over the
    history can, given time: a dead satellite at 0.03 deg/day leaves a
    0.25 deg box within nine days.  Over a shorter history the two look alike."""
    lon = np.degrees(np.unwrap(np.radians([t.longitude_deg for t in track])))
    return "station-kept" if np.ptp(lon) <= STATION_KEPT_RANGE_DEG else "slow drift"


def _debounce(flags: np.ndarray, min_sets: int) -> np.ndarray:
    """Keep a state change only when it persists ``min_sets`` sets (or to the end)."""
    out = flags.copy()
    cur = flags[0]
    i = 1
    n = len(flags)
    while i < n:
        if flags[i] != cur:
            j = i
            while j < n and flags[j] != cur:
                j += 1
            if j - i >= min_sets or j == n:
                cur = flags[i]
                out[i:j] = cur
            else:
                out[i:j] = cur  # a blip: ignore
            i = j
        else:
            out[i] = cur
            i += 1
    return out
