"""Fragmentation events: which object broke up, when, where, and how.

Method
------
1. **Clouds.**  Objects are grouped by launch (the international designator's
   ``YYYY-NNN``).  In a launch group the *launch-era* objects are those
   catalogued with the launch (catalog numbers within
   :data:`LAUNCH_ERA_SPAN` of the group's lowest); everything catalogued
   later, or named/typed as debris, is a *fragment* -- except objects typed
   as payloads or rocket bodies, which are deployments (cubesats released
   from the ISS, say), not pieces.  Each fragment is taken as *first seen*
   (its oldest element set: the nearest the event).  Fragments first seen
   more than ``max_back_days`` after the previous ones form a separate event
   when the earlier pieces were still tracked then (a history with old
   pieces and a fresh cloud); a snapshot's stale sets stay with the rest.  A
   group with at least ``min_fragments`` fragments is a breakup candidate.
   (Fragments of a collision are catalogued under each parent's own
   designator, so a collision shows up as two clouds.)
2. **Parent.**  For a *coherent* cloud (fragment planes within
   :data:`PLANE_MATCH_DEG` of their median) the parent is the launch-era
   object, payload or stage, whose orbital plane (angular-momentum
   direction, compared at a common epoch with SGP4) matches the fragments'
   median plane within :data:`PLANE_MATCH_DEG`.  When several match (a
   payload and its stage still sharing an orbit), the fragments' catalog
   names decide (``X DEB`` points to ``X`` or ``X R/B``), then the object the
   fragments converge on most closely (step 3), then the payload; a
   candidate that fits as well is named in ``benign_alternatives``.  An *old*
   cloud has spread its nodes by differential J2 precession, but inclination
   is kept: its parent is the launch-era object with the inclination closest
   to the fragments' median, within :data:`INCLINATION_MATCH_DEG`, the
   fragment names breaking ties; every object within that tolerance is listed
   in ``evidence.parent_candidates``.  A launch whose fragments are here but
   none of its launch-era objects with element sets (a satellite that broke up
   and decayed, or is no longer published) takes its parent from the SATCAT
   records given (``satcat``): the launch's payloads and rocket bodies
   catalogued with it, the fragment names choosing among several, then the
   SATCAT inclination, then the payload (:func:`_assess_satcat_cloud`).  Such
   a cloud is ``undetermined`` like any without a pre-event parent set
   (``evidence.parent_from`` is ``"satcat"``, ``parent_element_set`` null);
   with no SATCAT record either, it is counted in ``unparented``, never
   dropped silently.
3. **Epoch and place.**  Fragments all left one point at one instant, so the
   median distance between the fragments and the parent, propagated back with
   SGP4, has a sharp minimum at the event (minimum dispersion; cf. the
   back-propagation methods reviewed by Frey & Colombo / the FRED work cited
   in ANCHORS.md).  The parent is followed with its element set in force at
   each time (a set fitted after the event, published before the first
   fragment, does not hide it), the fragments with the sets first seen
   nearest the event (:func:`_earliest_seen`).  The minimum is searched on a
   20 s grid over at most ``max_back_days`` before the earliest fragment,
   from the parent's oldest set in that span, then refined by bounded scalar
   minimisation to ~0.1 s.  It is kept only when the median miss there is
   below ``dispersion_ok_km`` and well below its typical value: SGP4
   back-propagation over many months or years is not accurate enough.  The
   stated uncertainty (``epoch_uncertainty_s``) is half the time the median
   stays within 10% of its minimum; ``place_uncertainty_km`` is the distance
   the parent covers in that time.  Without a usable pre-event parent set, a
   young cloud is dated by the *convergence of its nodes*: each fragment's
   node drifts at its own secular J2 rate (SGP4's ``nodedot``), so running
   the nodes back, they gather at the event; the age maximizing their mean
   resultant length is the estimate, kept only for clouds younger than
   :data:`NODAL_MAX_AGE_DAYS` whose nodes gather tightly
   (:data:`NODAL_MIN_COHERENCE`).  Over years, drag changes the rates and the
   estimate drifts (tested: Iridium 33's cloud 12.6 years on comes out
   1.7 years short), so older clouds stay undated, with the reason.
4. **Class.**  Only with a pre-event parent set.  At a dispersion epoch, the
   parent is screened (:func:`orbitwatch.screening.screen`) against every
   other object's contemporaneous set for the hour around it: a pass within
   ``collision_km`` is a *collision with a known object*; how many objects
   were screened (a set within 10 days of the time, the parent's launch and
   the cloud aside) is ``evidence.collision_objects_screened``.  When the
   parent's last set before the cloud is long before it (a pre-event pair and a cloud
   catalogued years later), a pass in the three days after that set counts
   only if the partner is an intact object whose own launch shows fragments
   first seen after the pass: a collision makes two clouds, while in a full
   catalog some object passes within a few km of any satellite every few
   days.  An uncorroborated pass is listed in ``benign_alternatives``.
   Otherwise a *dated* event of a payload parent is a *destructive test* (a
   payload that fragmented with no collision partner: the signature of a
   direct-ascent ASAT test), of a stage or other object an *explosion or
   anomaly*, and of an object of unknown type (no catalog type, a placeholder
   name such as ``OBJECT A``) an explosion or anomaly with the test named as
   the alternative.  Element sets cannot tell a destructive test from an
   anomalous payload breakup (battery, propulsion); the record says so in
   ``benign_alternatives``, and, when fewer than
   :data:`THIN_SCREEN_OBJECTS` objects were screened, that the input was too
   thin to rule out a collision.  A cloud that cannot be dated (an old cloud
   in a snapshot: Fengyun-1C's, NOAA 16's, Iridium 33's years on) is reported --
   from :data:`MIN_UNDATED_FRAGMENTS` fragments on -- as ``undetermined``:
   nothing in the element sets tells an ASAT test from a battery explosion
   or a collision then, and the tool does not accuse on no evidence.

Attribution: the parent's owner (SATCAT / catalog owner); fragments inherit
it; a collision partner's owner is ``collision_partner_owner``.  Evidence: the
element sets used -- the parent's set in force at the event, the collision
partner's, the first five fragments' of the ``fragments_used`` (each with its
``norad_id`` and ``set_ref``: epoch, number, source file and line or store
source and partner), and the bounds the sets put on the event
(``event_after``, ``event_before``).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import numpy as np
from scipy.optimize import minimize_scalar
from sgp4.api import SatrecArray

from orbitwatch.elements.model import (
    ElementSet, SatcatRecord, cospar_designator, set_ref, type_from_name)
from orbitwatch.propagation.sgp4_array import positions_in_force
from orbitwatch.timeutil import DAY_S, datetime_to_jd, iso_z

#: objects catalogued within this many catalog numbers of a launch's first are launch-era
LAUNCH_ERA_SPAN = 200
#: the dispersion minimum must be this much below its typical value over the window
DISPERSION_CONTRAST = 0.25
#: plane match required between a parent and its fresh fragment cloud, degrees
PLANE_MATCH_DEG = 3.0
#: inclination match required between a parent and an old (nodally dispersed) cloud, degrees
INCLINATION_MATCH_DEG = 2.0
#: an undated cloud (no pre-event parent set, nodes too dispersed to date) is
#: reported only from this many fragments on: smaller groups are mostly
#: operational debris (deployment hardware, EVA losses) released over years
MIN_UNDATED_FRAGMENTS = 50
#: nodal-convergence dating: fewest fragments, oldest age searched (days) and
#: least mean resultant length of the fragments' nodes at the estimate
NODAL_MIN_FRAGMENTS = 10
NODAL_MAX_AGE_DAYS = 365.0
NODAL_MIN_COHERENCE = 0.9
_NO_NODAL_CONVERGENCE = f"the fragments' nodes do not converge within {NODAL_MAX_AGE_DAYS:g} days"
#: a dated breakup with no collision partner found among fewer other objects
#: than this (the parent's launch and the cloud aside) says so: the input was
#: too thin to rule a collision out
THIN_SCREEN_OBJECTS = 100
_GRID_STEP_S = 20.0
#: fragment element sets cited in the evidence (the first seen; ``fragments_used`` counts all used)
_SETS_CITED = 5
_MAX_FRAGMENTS_USED = 120
_MIN_FRAGMENTS_USED = 20
_USED_SPAN_DAYS = 3.0


@dataclass(frozen=True, slots=True)
class Breakup:
    """One fragmentation event (``epoch_estimate`` None when it cannot be fixed)."""

    parent: int
    parent_name: str | None
    owner: str | None
    launch: str
    fragments: int
    fragment_ids: tuple[int, ...]
    classification: str  # "collision", "destructive test", "explosion or anomaly"
    epoch_estimate: datetime | None
    epoch_method: str
    median_dispersion_km: float | None
    latitude_deg: float | None
    longitude_deg: float | None
    altitude_km: float | None
    collision_partner: int | None = None
    collision_partner_name: str | None = None
    collision_partner_owner: str | None = None
    collision_miss_km: float | None = None
    confidence: float = 0.5
    benign_alternatives: tuple[str, ...] = ()
    epoch_uncertainty_s: float | None = None
    place_uncertainty_km: float | None = None
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "type": "breakup",
            "parent": self.parent,
            "parent_name": self.parent_name,
            "owner": self.owner,
            "launch": self.launch,
            "fragments": self.fragments,
            "fragment_ids": list(self.fragment_ids),
            "classification": self.classification,
            "epoch_estimate": iso_z(self.epoch_estimate, 3) if self.epoch_estimate else None,
            "epoch_uncertainty_s": self.epoch_uncertainty_s,
            "epoch_method": self.epoch_method,
            "median_dispersion_km": self.median_dispersion_km,
            "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg,
            "altitude_km": self.altitude_km,
            "place_uncertainty_km": self.place_uncertainty_km,
            "collision_partner": self.collision_partner,
            "collision_partner_name": self.collision_partner_name,
            "collision_partner_owner": self.collision_partner_owner,
            "collision_miss_km": self.collision_miss_km,
            "confidence": self.confidence,
            "benign_alternatives": list(self.benign_alternatives),
            "evidence": self.evidence,
        }


def launch_of(intl_designator: str | None) -> str | None:
    """``YYYY-NNN`` of an international designator (``1982-092A`` or TLE's ``82092A``)."""
    d = cospar_designator(intl_designator)
    return d[:8] if d and len(d) >= 8 and d[4] == "-" and d[:4].isdigit() else None


def _is_rocket_body(es: ElementSet) -> bool:
    return (es.object_type or "").upper() == "ROCKET BODY" or "R/B" in (es.name or "").upper()


def _is_deployment(es: ElementSet, otype) -> bool:
    """A later-catalogued object typed as a payload or rocket body (not named debris)."""
    t = (otype(es) or "").upper()
    return not _is_debris(es) and (t in ("PAYLOAD", "ROCKET BODY") or _is_rocket_body(es))


def _is_debris(es: ElementSet) -> bool:
    return (es.object_type or "").upper() == "DEBRIS" or type_from_name(es.name) == "DEBRIS"


def _jd_arrays(times_s: np.ndarray, t0: datetime) -> tuple[np.ndarray, np.ndarray]:
    jd0, fr0 = datetime_to_jd(t0)
    return np.full(times_s.shape, jd0), fr0 + times_s / DAY_S


def _states(sets: Sequence[ElementSet], t0: datetime, times_s: np.ndarray) -> np.ndarray:
    """TEME positions (n, m, 3) km; NaN where SGP4 fails."""
    arr = SatrecArray([s.to_satrec() for s in sets])
    jd, fr = _jd_arrays(np.asarray(times_s, dtype=float), t0)
    e, r, _ = arr.sgp4(jd, fr)
    r[e != 0] = np.nan
    return r


def _plane_normals(sets: Sequence[ElementSet], when: datetime) -> np.ndarray:
    arr = SatrecArray([s.to_satrec() for s in sets])
    jd, fr = datetime_to_jd(when)
    e, r, v = arr.sgp4(np.array([jd]), np.array([fr]))
    h = np.cross(r[:, 0], v[:, 0])
    h /= np.linalg.norm(h, axis=1, keepdims=True)
    h[e[:, 0] != 0] = np.nan
    return h


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)))


def _median_miss(psets: Sequence[ElementSet], frags: Sequence[ElementSet], t0: datetime,
                 times_s: np.ndarray) -> np.ndarray:
    rp, _ = positions_in_force(psets, t0, times_s)  # the parent's set in force at each time
    rf = _states(frags, t0, times_s)
    d = np.linalg.norm(rf - rp[None], axis=2)
    with np.errstate(all="ignore"):
        return np.nanmedian(d, axis=0)


@dataclass(frozen=True, slots=True)
class _Dispersion:
    epoch: datetime
    median_km: float  # median fragment-parent distance at the minimum
    window_median_km: float  # the same statistic's median over the searched window
    width_s: float  # how long the statistic stays within 1.5x its minimum
    half_width_s: float  # half the time the statistic stays within 10% of its minimum


def _dispersion_epoch(
    psets: Sequence[ElementSet], frags: Sequence[ElementSet], lo: datetime, hi: datetime
) -> _Dispersion | None:
    span_s = (hi - lo).total_seconds()
    if span_s <= 0:
        return None
    step = _GRID_STEP_S
    chunk = 20000
    n = int(span_s // step) + 1
    curves = []
    for k0 in range(0, n, chunk):
        ts = np.arange(k0, min(n, k0 + chunk)) * step
        curves.append((ts, _median_miss(psets, frags, lo, ts)))
    ts = np.concatenate([c[0] for c in curves])
    d = np.concatenate([c[1] for c in curves])
    if np.all(np.isnan(d)):
        return None
    i = int(np.nanargmin(d))
    best_t, best_d = float(ts[i]), float(d[i])

    def f(t: float) -> float:
        v = _median_miss(psets, frags, lo, np.array([t]))[0]
        return float(v) if np.isfinite(v) else 1e12

    res = minimize_scalar(
        f, bounds=(max(0.0, best_t - step), min(span_s, best_t + step)), method="bounded",
        options={"xatol": 0.05},
    )
    if res.fun <= best_d:
        best_t, best_d = float(res.x), float(res.fun)
    # width of the minimum: contiguous samples within 1.5x of it
    j0 = j1 = i
    while j0 > 0 and d[j0 - 1] <= 1.5 * best_d:
        j0 -= 1
    while j1 < len(d) - 1 and d[j1 + 1] <= 1.5 * best_d:
        j1 += 1
    k0 = k1 = i
    while k0 > 0 and d[k0 - 1] <= 1.1 * best_d:
        k0 -= 1
    while k1 < len(d) - 1 and d[k1 + 1] <= 1.1 * best_d:
        k1 += 1
    return _Dispersion(
        epoch=lo + timedelta(seconds=best_t),
        median_km=best_d,
        window_median_km=float(np.nanmedian(d)),
        width_s=float(ts[j1] - ts[j0] + step),
        half_width_s=float(ts[k1] - ts[k0] + step) / 2.0,
    )


def _geodetic(es: ElementSet, when: datetime) -> tuple[float, float, float] | None:
    try:
        from orbitwatch.propagation.frames import teme_to_geodetic
    except ImportError:
        return None
    jd, fr = datetime_to_jd(when)
    r = _states([es], when, np.array([0.0]))
    if not np.all(np.isfinite(r)):
        return None
    g = teme_to_geodetic(r[0], np.array([jd]), np.array([fr]))
    lat = float(np.ravel(g.lat_deg)[0])
    lon = float(np.ravel(g.lon_deg)[0])
    alt = float(np.ravel(g.alt_km)[0])
    return round(lat, 3), round(lon, 3), round(alt, 2)


def find_breakups(
    element_sets: Iterable[ElementSet],
    *,
    owners: dict[int, str] | None = None,
    object_types: dict[int, str] | None = None,
    min_fragments: int = 3,
    max_back_days: float = 45.0,
    dispersion_ok_km: float = 1000.0,
    collision_km: float = 5.0,
    satcat: Iterable[SatcatRecord] | None = None,
    unparented: list[tuple[str, int]] | None = None,
) -> list[Breakup]:
    """Find fragmentation events in a catalog (with history when available).

    ``element_sets``: every element set known (newest-per-object snapshots,
    histories, or both).  ``owners`` / ``object_types``: SATCAT facts by
    catalog number that override what the element sets carry.  ``satcat``:
    SATCAT records (name, international designator, object type, owner); those
    of objects with no element set here supply the parent of a launch whose
    fragments are here but none of its launch-era objects
    (:func:`_assess_satcat_cloud`).  ``unparented``: when a list is given, each
    launch whose fragments would have been reported but whose parent is known
    from neither the element sets nor ``satcat`` is appended to it as
    ``(launch, fragment count)``.  Returns one :class:`Breakup` per cloud,
    newest event first.
    """
    if not min_fragments >= 1:
        raise ValueError(f"min_fragments must be at least 1, not {min_fragments}")
    if not (math.isfinite(max_back_days) and max_back_days > 0):
        raise ValueError(f"max_back_days must be a positive number of days, not {max_back_days}")
    if not (math.isfinite(collision_km) and collision_km > 0):
        raise ValueError(f"collision_km must be a positive distance, not {collision_km}")
    owners = owners or {}
    object_types = object_types or {}
    by_id: dict[int, list[ElementSet]] = defaultdict(list)
    for es in element_sets:
        by_id[es.norad_id].append(es)
    for sets in by_id.values():
        sets.sort(key=lambda s: s.epoch)
    newest = {nid: sets[-1] for nid, sets in by_id.items()}
    last_seen = {nid: es.epoch for nid, es in newest.items()}

    def otype(es: ElementSet) -> str | None:
        return object_types.get(es.norad_id) or es.object_type

    # each object's launch: its newest designator, else an older one (a
    # designator assigned late, to an analyst object catalogued later, counts)
    launch_by_id = {
        nid: next((x for x in (launch_of(s.intl_designator) for s in reversed(sets)) if x), None)
        for nid, sets in by_id.items()
    }
    groups: dict[str, list[ElementSet]] = defaultdict(list)
    for nid, es in newest.items():
        if launch_by_id[nid]:
            groups[launch_by_id[nid]].append(es)

    clouds: dict[str, tuple[list[ElementSet], list[ElementSet]]] = {}
    for launch, members in sorted(groups.items()):
        lowest = min(m.norad_id for m in members)
        era = [m for m in members if m.norad_id - lowest < LAUNCH_ERA_SPAN and not _is_debris(m)]
        frags = [m for m in members if m not in era and not _is_deployment(m, otype)]
        clouds[launch] = (era, frags)
    # launch-era objects known only from the SATCAT (no element set here): the
    # parents of clouds whose launch has no era object with sets
    satcat_era = _satcat_launch_era(satcat or (), by_id, groups, object_types)
    # when each launch's fragments were first seen (for a collision partner's own cloud)
    first_seen = {launch: sorted(by_id[f.norad_id][0].epoch for f in frags)
                  for launch, (_, frags) in clouds.items()}
    ctx = _Context(by_id, newest, owners, otype, first_seen, max_back_days, dispersion_ok_km,
                   collision_km, min_fragments)

    # objects with no international designator (analyst objects; new pieces
    # not yet catalogued) join the cloud of a parent whose orbit they intersect
    orphans = [by_id[nid][0] for nid, es in newest.items()
               if launch_by_id[nid] is None and not _is_deployment(es, otype)]
    by_orbit: dict[int, list[ElementSet]] = {}
    if len(orphans) >= min_fragments:
        parents = [m for era, _ in clouds.values() for m in era]
        # each group first seen together on its own: the parents that can date
        # a group are those with sets shortly before it (one stale analyst
        # object must not leave a fresh cloud with no parent to join)
        for group in _time_groups(orphans, max_back_days):
            for pid, pieces in _associate_by_orbit(ctx, group, parents).items():
                by_orbit.setdefault(pid, []).extend(pieces)
    orbit_ids = {s.norad_id for pieces in by_orbit.values() for s in pieces}

    found: list[Breakup] = []
    for launch, (era, frags) in clouds.items():
        extra = [newest[s.norad_id] for m in era for s in by_orbit.get(m.norad_id, ())]
        frags = frags + extra
        if len(frags) < min_fragments:
            continue
        # each fragment as first seen: the set nearest the event
        first = [by_id[f.norad_id][0] for f in frags]
        if era:
            assess = partial(_assess_cloud, ctx, launch, era)
        elif satcat_era.get(launch):
            assess = partial(_assess_satcat_cloud, ctx, launch, satcat_era[launch])
        else:
            # no parent known at all: said, not dropped silently
            if unparented is not None and _reportable_undated(first, min_fragments):
                unparented.append((launch, len(first)))
            continue
        bursts = _bursts(first, last_seen, max_back_days, min_fragments)
        results = [assess(burst, strays) for burst, strays in bursts]
        if len(bursts) > 1:
            # a split stands only where it dates an event; the pieces of the
            # parts it cannot date are one cloud again (a later snapshot shows
            # an old cloud's stale sets still tracked, which is no new event)
            undated = [k for k, b in enumerate(results) if b is None or b.epoch_estimate is None]
            if undated:
                merged = [s for k in undated for s in bursts[k][0] + bursts[k][1]]
                results = [b for k, b in enumerate(results) if k not in undated]
                results.append(assess(merged, []))
        for b in results:
            if b is not None:
                n = sum(1 for f in b.fragment_ids if f in orbit_ids)
                b.evidence["fragments_by_orbit"] = n  # no designator: joined by orbit
                found.append(b)
    found.sort(
        key=lambda b: b.epoch_estimate or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    return found


@dataclass(frozen=True, slots=True)
class _Context:
    by_id: dict[int, list[ElementSet]]
    newest: dict[int, ElementSet]
    owners: dict[int, str]
    otype: object
    first_seen: dict[str, list[datetime]]
    max_back_days: float
    dispersion_ok_km: float
    collision_km: float
    min_fragments: int


def _bursts(
    first_sets: Sequence[ElementSet], last_seen: dict[int, datetime], gap_days: float,
    min_fragments: int,
) -> list[tuple[list[ElementSet], list[ElementSet]]]:
    """Split a launch's fragments (each as first seen) into separate events.

    Fragments first seen more than ``gap_days`` after the previous ones belong
    to a later event when the earlier pieces were still tracked then (a
    history holding old pieces and a fresh cloud; a parent that broke up
    twice).  Earlier pieces that were not (a snapshot's stale sets of pieces
    since decayed: Cosmos 2491's of January 2020 beside its May sets) stay
    with the later ones.  Groups smaller than ``min_fragments`` are strays:
    they join the nearest event's count but do not date it.  With no group
    large enough, the whole launch is one candidate, as in a snapshot.
    """
    fs = sorted(first_sets, key=lambda s: s.epoch)
    runs = _time_groups(fs, gap_days)
    merged: list[list[ElementSet]] = [runs[0]]
    for r in runs[1:]:
        prev = merged[-1]
        tracked = sum(1 for s in prev if last_seen[s.norad_id] >= r[0].epoch)
        if 2 * tracked >= len(prev):
            merged.append(r)
        else:
            prev.extend(r)
    runs = merged
    full = [r for r in runs if len(r) >= min_fragments]
    if not full:
        return [(fs, [])]
    out: list[tuple[list[ElementSet], list[ElementSet]]] = [(r, []) for r in full]
    for r in runs:
        if len(r) >= min_fragments:
            continue
        for s in r:
            def dist(run: list[ElementSet]) -> float:
                if s.epoch < run[0].epoch:
                    return (run[0].epoch - s.epoch).total_seconds()
                return max(0.0, (s.epoch - run[-1].epoch).total_seconds())
            k = min(range(len(full)), key=lambda k: dist(full[k]))
            out[k][1].append(s)
    return out


def _time_groups(first_sets: Sequence[ElementSet], gap_days: float) -> list[list[ElementSet]]:
    """Objects (each as first seen) in groups first seen within ``gap_days`` of
    the previous one."""
    fs = sorted(first_sets, key=lambda s: s.epoch)
    groups: list[list[ElementSet]] = [[fs[0]]] if fs else []
    for a, b in zip(fs, fs[1:]):
        if (b.epoch - a.epoch).total_seconds() > gap_days * DAY_S:
            groups.append([b])
        else:
            groups[-1].append(b)
    return groups


def _inclination_deg(normals: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(normals[..., 2], -1.0, 1.0)))


def _base_name(name: str | None) -> str:
    """The name a parent and its debris share: ``CZ-4 DEB`` and ``CZ-4 R/B`` give
    ``CZ-4``, ``OPS 4682 (SNAPSHOT)`` gives ``OPS 4682``."""
    n = (name or "").upper().split(" DEB")[0]
    n = re.sub(r"\s*\([^)]*\)\s*$", "", n)
    n = re.sub(r"\s+R/B\b.*$", "", n)
    return n.strip()


def _name_votes(frags: Sequence[ElementSet]) -> dict[str, int]:
    """How many fragments carry each parent name (``X DEB`` names the parent ``X``)."""
    votes: dict[str, int] = defaultdict(int)
    for f in frags:
        if f.name and " DEB" in f" {f.name.upper()}":
            votes[_base_name(f.name)] += 1
    return votes


_PLACEHOLDER_NAME = re.compile(r"(OBJECT [A-Z]{1,3}|TBA.*|TO BE ASSIGNED.*|UNKNOWN.*|)")


def _parent_type(parent: ElementSet, otype) -> str:
    """PAYLOAD, ROCKET BODY, DEBRIS, or UNKNOWN: the catalog's type, else the
    name's (``R/B``; a placeholder name such as ``OBJECT C`` says nothing)."""
    t = (otype(parent) or "").strip().upper()
    if t:
        return "UNKNOWN" if t in ("TBA", "UNK") else t
    if _is_rocket_body(parent):
        return "ROCKET BODY"
    if _PLACEHOLDER_NAME.fullmatch((parent.name or "").strip().upper()):
        return "UNKNOWN"
    return "PAYLOAD"


@dataclass(frozen=True, slots=True)
class _NodalAge:
    epoch: datetime
    coherence: float  # mean resultant length of the fragments' nodes at the estimate
    half_width_days: float  # half-width of the coherence peak at 1/sqrt(2) of its height


def _nodal_convergence(frags: Sequence[ElementSet], max_age_days: float) -> _NodalAge | None:
    """Date a young cloud by running its fragments' nodes back to where they gather.

    Every node at the newest fragment epoch ``t_c``:
    ``Omega_i(t_c) = nodeo_i + nodedot_i (t_c - epoch_i)`` (SGP4's own secular
    node rate); back at age ``A`` it was ``Omega_i(t_c) - nodedot_i A``.  The
    estimate is the ``A`` in ``[0, max_age_days]`` that maximizes the mean
    resultant length ``|mean exp(i Omega_i(t_c - A))|``.
    """
    sats = [f.to_satrec() for f in frags]
    ep = np.array([s.jdsatepoch + s.jdsatepochF for s in sats])
    tc = float(ep.max())
    rate = np.array([s.nodedot for s in sats]) * 1440.0  # rad/day
    node_c = np.array([s.nodeo for s in sats]) + rate * (tc - ep)
    z = np.exp(1j * node_c)

    def coherence(ages: np.ndarray) -> np.ndarray:
        out = np.empty(ages.size)
        for k in range(0, ages.size, 512):
            a = ages[k:k + 512]
            out[k:k + 512] = np.abs((z[None, :] * np.exp(-1j * rate[None, :] * a[:, None])).mean(axis=1))
        return out

    ages = np.arange(0.0, max_age_days + 0.05, 0.05)
    coh = coherence(ages)
    i = int(np.argmax(coh))
    fine = np.linspace(max(0.0, ages[i] - 0.05), ages[i] + 0.05, 201)
    cf = coherence(fine)
    j = int(np.argmax(cf))
    best, peak = float(fine[j]), float(cf[j])
    if best >= max_age_days - 1.0 or peak <= coh[-1] + 1e-3:
        return None  # still rising at the end of the search: an older cloud
    # uncertainty: the age error that alone would leave the nodes as spread as
    # they are at the estimate (residual spread / spread of the node rates)
    resid = np.sqrt(max(2.0 * (1.0 - peak), 0.0))
    rate_mad = 1.4826 * float(np.median(np.abs(rate - np.median(rate))))
    half = float(resid / rate_mad) if rate_mad > 0 else float("inf")
    epoch = datetime(2000, 1, 1, 12, tzinfo=UTC) + timedelta(days=tc - 2451545.0 - best)
    return _NodalAge(epoch=epoch, coherence=peak, half_width_days=half)


def _speed_km_s(es: ElementSet, when: datetime) -> float | None:
    jd, fr = datetime_to_jd(when)
    e, _, v = es.to_satrec().sgp4(jd, fr)
    return float(np.linalg.norm(v)) if e == 0 else None


def _earliest_seen(frags: Sequence[ElementSet]) -> list[ElementSet]:
    """The fragments first seen nearest the event (least back-propagation error):
    the first :data:`_MIN_FRAGMENTS_USED`, and those seen within
    :data:`_USED_SPAN_DAYS` of the last of them, at most
    :data:`_MAX_FRAGMENTS_USED` (``frags`` sorted by epoch).  Later-catalogued
    pieces, propagated back over weeks more, blur the minimum: adding the
    pieces first seen in January 2022 to Cosmos 1408's November cloud moved its
    dispersion epoch from 02:45 to 03:11 UTC."""
    k = min(len(frags), _MIN_FRAGMENTS_USED) - 1
    limit = frags[k].epoch + timedelta(days=_USED_SPAN_DAYS)
    return [f for f in frags if f.epoch <= limit][:_MAX_FRAGMENTS_USED]


def _assess_cloud(ctx: _Context, launch: str, era: list[ElementSet], frags: list[ElementSet],
                  strays: list[ElementSet]) -> Breakup | None:
    by_id, max_back_days = ctx.by_id, ctx.max_back_days
    frags = sorted(frags, key=lambda s: s.epoch)
    first_frag_epoch = frags[0].epoch
    used = _earliest_seen(frags)
    plane = _cloud_plane(used, first_frag_epoch)
    if plane is None:
        return None  # no fragment could be propagated to the common epoch
    med, spread, frag_incl = plane
    coherent = spread <= PLANE_MATCH_DEG
    hi = first_frag_epoch
    lo = hi - timedelta(days=max_back_days)

    def window_sets(nid: int) -> list[ElementSet]:
        """The object's sets that can date an event before ``hi`` by back-propagation."""
        return [s for s in by_id[nid] if lo <= s.epoch < hi]

    scored = []
    for cand in era:
        pre = [s for s in by_id[cand.norad_id] if s.epoch < hi]
        ref = pre[-1] if pre else by_id[cand.norad_id][0]
        n_ref = _plane_normals([ref], first_frag_epoch)[0]
        if not np.all(np.isfinite(n_ref)):
            continue
        ang = float(_angle_deg(n_ref, med))
        dincl = abs(float(_inclination_deg(n_ref)) - frag_incl)
        scored.append((ang if coherent else dincl, ang, dincl, cand, ref, bool(pre)))
    if not scored:
        return None
    scored.sort(key=lambda x: x[0])
    votes = _name_votes([ctx.newest[f.norad_id] for f in frags])
    dispersions: dict[int, _Dispersion | None] = {}

    def dispersion_of(nid: int) -> _Dispersion | None:
        if nid not in dispersions:
            ws = window_sets(nid)
            dispersions[nid] = _dispersion_epoch(ws, used, ws[0].epoch, hi) if ws else None
        return dispersions[nid]

    def accepted(d: _Dispersion | None) -> bool:
        return (d is not None and d.median_km <= ctx.dispersion_ok_km
                and d.median_km <= DISPERSION_CONTRAST * d.window_median_km)

    parent_by = "plane" if coherent else "inclination"
    tied: list[ElementSet] = []
    if coherent:
        # a fresh cloud shares its parent's plane; a payload and its stage
        # launched together share it too: the fragments' names decide, then
        # which one they converge on, then (as before) the payload
        matching = [x for x in scored if x[1] <= PLANE_MATCH_DEG]
        if len(matching) > 1:
            ranked = sorted(matching, key=lambda x: -votes.get(_base_name(x[3].name), 0))
            top = votes.get(_base_name(ranked[0][3].name), 0)
            if top > 0 and top > votes.get(_base_name(ranked[1][3].name), 0):
                choice, parent_by = ranked[0], "fragment names"
            else:
                conv = [(dispersion_of(x[3].norad_id), x) for x in matching[:3]]
                conv = [(d, x) for d, x in conv if accepted(d)]
                if conv:
                    best_d, choice = min(conv, key=lambda dx: dx[0].median_km)
                    parent_by = "minimum dispersion"
                    # candidates the fragments converge on as well (a stage and its
                    # payload still sharing an orbit): named, not silently dropped
                    tied = [x[3] for d, x in conv
                            if x is not choice and d.median_km <= 1.1 * best_d.median_km]
                else:
                    choice = next((x for x in matching if not _is_rocket_body(x[3])), matching[0])
            scored.remove(choice)
            scored.insert(0, choice)
    else:
        # several launch-era objects share an inclination to a few hundredths of
        # a degree; the catalog's own fragment names ("FENGYUN 1C DEB") break the tie
        matching = [x for x in scored if x[2] <= INCLINATION_MATCH_DEG]
        named = [x for x in matching if votes.get(_base_name(x[3].name), 0) > 0]
        if named:
            named.sort(key=lambda x: (-votes[_base_name(x[3].name)], x[0]))
            scored.remove(named[0])
            scored.insert(0, named[0])
            parent_by = "fragment names"
    _, plane_deg, incl_deg, parent, parent_ref, has_pre = scored[0]
    fresh = (first_frag_epoch - parent_ref.epoch).total_seconds() < max_back_days * DAY_S
    if coherent and fresh and not plane_deg <= PLANE_MATCH_DEG:
        return None  # no launch-era object shares the cloud's plane: not this launch's breakup
    if not coherent and not incl_deg <= INCLINATION_MATCH_DEG:
        return None  # no launch-era object at the cloud's inclination
    candidates = ([x[3].norad_id for x in scored if x[2] <= INCLINATION_MATCH_DEG] if not coherent
                  else [x[3].norad_id for x in scored if x[1] <= PLANE_MATCH_DEG])

    # 3. epoch from minimum dispersion, the parent followed with its set in
    # force at each time, over the sets recent enough for SGP4
    # back-propagation to mean something
    epoch, disp, method, width, nodal, got = None, None, "", None, None, None
    uncertainty_s: float | None = None
    dated_by_dispersion = False
    if not has_pre:
        method = "no parent element set from before the fragments"
    elif not window_sets(parent.norad_id):
        method = (
            f"parent's last pre-event element set is more than {max_back_days:g} days before the "
            "first fragment's: too long for SGP4 back-propagation"
        )
    else:
        got = dispersion_of(parent.norad_id)
        if got is not None:
            if accepted(got):
                epoch = got.epoch
                disp = round(got.median_km, 3)
                dated_by_dispersion = True
                width = round(got.width_s, 1)
                uncertainty_s = round(got.half_width_s, 1)
                # the set in force at the event: it shows the parent before it
                ws = window_sets(parent.norad_id)
                parent_ref = next((s for s in reversed(ws) if s.epoch <= epoch), ws[0])
                method = "minimum dispersion of fragments about the parent (SGP4 back-propagation)"
            else:
                method = (
                    f"no sharp convergence (median {got.median_km:.0f} km at best, "
                    f"{got.window_median_km:.0f} km typical)"
                )
    if epoch is None and len(frags) >= NODAL_MIN_FRAGMENTS:
        nodal = _nodal_date(frags)
        if nodal is not None:
            method = (
                f"convergence of the fragments' nodes (J2 differential precession), "
                f"+-{nodal.half_width_days:.1f} days; {method}"
            )
            epoch = nodal.epoch
            uncertainty_s = round(nodal.half_width_days * DAY_S, 0)
            if has_pre and epoch < parent_ref.epoch:
                method += (
                    f"; the parent has an element set of {iso_z(parent_ref.epoch, 0)}, after this "
                    "estimate: if it shows the parent intact, the event was later"
                )
        else:
            method = f"{method}; {_NO_NODAL_CONVERGENCE}"

    # 4. collision partner among contemporaneous element sets.  At a
    # dispersion epoch: whoever passed within collision_km of the parent then.
    # Without one (the parent's last set before the cloud is long before it):
    # an approach in the three days after that set counts only when the
    # partner is an intact object (not itself debris) whose launch shows
    # fragments first seen after it -- a collision makes two clouds, and in a
    # full catalog some object passes within a few km of any satellite every
    # few days (two snapshots of 2018 and 2020 gave 148 such 'collisions'
    # before this rule; old clouds keep adding newly catalogued pieces, so a
    # debris partner's launch always seems to).
    alternatives: list[str] = []
    named: list[int] = []  # objects the alternatives name (what the record shows of them)
    partner = None
    corroborating = 0
    screened: int | None = None  # other objects with a set near the time searched
    cloud_ids = {f.norad_id for f in frags} | {f.norad_id for f in strays}
    if dated_by_dispersion:
        near, screened = _collision_partners(parent_ref, by_id, launch, epoch, ctx.collision_km,
                                             hi, cloud_ids)
        if near:
            partner = near[0]
            corroborating = _fragments_after(ctx, partner, hi)
    elif has_pre and not fresh:
        near, screened = _collision_partners(parent_ref, by_id, launch, None, ctx.collision_km,
                                             hi, cloud_ids)
        for cand in near:
            other = ctx.newest[cand.object_id]
            intact = not _is_debris(other) and (ctx.otype(other) or "").upper() != "DEBRIS"
            n = _fragments_after(ctx, cand, cand.tca)
            if intact and n >= ctx.min_fragments:
                partner, corroborating = cand, n
                break
            if not alternatives:
                named.append(cand.object_id)
                alternatives.append(
                    f"collision with {cand.object_id} {cand.name or ''}".rstrip()
                    + f": it passed {cand.miss_km} km from the parent on {iso_z(cand.tca, 0)}, in "
                    "the three days after the parent's last element set before the cloud, but "
                    + ("it is itself debris" if not intact else
                       "no fragments of its own were first seen after that")
                )
    parent_type = _parent_type(parent, ctx.otype)
    dated_by_partner = False
    if partner is not None:
        classification = "collision"
        alternatives = []
        if not dated_by_dispersion:
            epoch, method = partner.tca, "time of closest approach with the collision partner"
            dated_by_partner = True
            uncertainty_s = round(ctx.collision_km / max(partner.relative_speed_km_s, 1e-3), 1)
        confidence = 0.9
    elif dated_by_dispersion:
        # dated by dispersion about the parent's pre-event set, no partner
        if parent_type == "PAYLOAD":
            classification = "destructive test"
            alternatives.append(
                "an anomalous payload breakup (battery, propulsion, pressure vessel) leaves the "
                "same signature in element sets; confirm with launch and notification reports"
            )
        else:
            classification = "explosion or anomaly"
            if parent_type == "UNKNOWN":
                alternatives.append(
                    "destructive test: the parent's object type is unknown; if it was a payload, "
                    "fragmenting with no collision partner is that signature (give a SATCAT file)"
                )
        confidence = 0.7 if parent_type != "UNKNOWN" else 0.5
        if screened < THIN_SCREEN_OBJECTS:
            # "no collision partner" means little when there was hardly anyone to collide with
            alternatives.append(
                f"collision with an object not in the input: only {screened} other object(s) had "
                "an element set near the event (the parent's launch and the cloud aside), too few "
                "to rule a collision out; screen against a full catalog of the time"
            )
    else:
        # no epoch fixed against a pre-event parent set (none, or no sharp
        # dispersion minimum): nothing in the element sets tells the causes
        # apart, and the tool does not guess
        if len(frags) < max(ctx.min_fragments, NODAL_MIN_FRAGMENTS if epoch else MIN_UNDATED_FRAGMENTS):
            return None  # a few pieces released at unknown times: not evidence of a breakup
        classification = "undetermined"
        alternatives = [
            "explosion or anomaly (battery, propulsion, pressure vessel)",
            "collision with an object whose element sets are not here",
            "destructive test",
            *alternatives,
        ]
        confidence = 0.3
    for t in tied:
        named.append(t.norad_id)
        alternatives.append(
            f"the parent may be {t.norad_id} {t.name or ''}".rstrip()
            + f" ({_parent_type(t, ctx.otype).lower()}): the fragments converge on it as closely"
        )
    # a place only for an epoch fixed against the parent's pre-event set
    place = (_geodetic(parent_ref, epoch)
             if epoch is not None and has_pre and (dated_by_dispersion or dated_by_partner) else None)
    place_unc = None
    if place is not None and uncertainty_s is not None:
        v = _speed_km_s(parent_ref, epoch)
        place_unc = round(v * uncertainty_s, 1) if v is not None else None
    return Breakup(
        **_cloud_identity(ctx, parent, launch, frags, strays),
        classification=classification,
        epoch_estimate=epoch,
        epoch_method=method,
        median_dispersion_km=disp,
        latitude_deg=place[0] if place else None,
        longitude_deg=place[1] if place else None,
        altitude_km=place[2] if place else None,
        collision_partner=partner.object_id if partner else None,
        collision_partner_name=partner.name if partner else None,
        collision_partner_owner=_owner(ctx, partner.object_id) if partner else None,
        collision_miss_km=partner.miss_km if partner else None,
        confidence=confidence,
        benign_alternatives=tuple(alternatives),
        epoch_uncertainty_s=uncertainty_s,
        place_uncertainty_km=place_unc,
        evidence={
            "parent_element_set_epoch": iso_z(parent_ref.epoch, 3),
            "parent_element_set": set_ref(parent_ref),
            "parent_from": "element sets",
            "parent_type": parent_type,
            "parent_plane_match_deg": round(plane_deg, 3),
            "parent_inclination_match_deg": round(incl_deg, 3),
            "fragment_plane_spread_deg": round(spread, 3),
            "parent_candidates": candidates,
            "parent_chosen_by": parent_by,
            **_fragment_evidence(frags, used, strays, votes),
            "event_after": iso_z(parent_ref.epoch, 3) if dated_by_dispersion else None,
            "dispersion_minimum_km": round(got.median_km, 3) if got is not None else None,
            "dispersion_typical_km": round(got.window_median_km, 3) if got is not None else None,
            "epoch_minimum_width_s": width,
            "nodal_coherence": round(nodal.coherence, 3) if nodal is not None else None,
            "collision_partner_element_set": set_ref(partner.element_set) if partner else None,
            "collision_partner_fragments_after": corroborating if partner else None,
            "collision_objects_screened": screened,
            "alternative_objects": sorted(set(named)),
        },
    )


def _cloud_plane(used: Sequence[ElementSet],
                 when: datetime) -> tuple[np.ndarray, float, float] | None:
    """The fragments' median orbit normal at ``when`` (TEME unit vector), their
    median angle from it (degrees) and their median inclination (degrees);
    None when no fragment can be propagated to ``when``."""
    normals = _plane_normals(used, when)
    if not np.isfinite(normals).all(axis=1).any():
        return None
    med = np.nanmedian(normals, axis=0)
    if not np.all(np.isfinite(med)):
        return None
    med /= np.linalg.norm(med)
    spread = float(np.nanmedian(_angle_deg(normals, med[None, :])))
    return med, spread, float(np.nanmedian(_inclination_deg(normals)))


def _nodal_date(frags: Sequence[ElementSet]) -> _NodalAge | None:
    """The cloud's age by node convergence (``frags`` sorted by epoch), when it
    counts: from :data:`NODAL_MIN_FRAGMENTS` pieces, a peak of
    :data:`NODAL_MIN_COHERENCE` at least, before the first piece was seen."""
    if len(frags) < NODAL_MIN_FRAGMENTS:
        return None
    nodal = _nodal_convergence(frags, NODAL_MAX_AGE_DAYS)
    if nodal is None or nodal.coherence < NODAL_MIN_COHERENCE or nodal.epoch >= frags[0].epoch:
        return None
    return nodal


def _reportable_undated(first_sets: Sequence[ElementSet], min_fragments: int) -> bool:
    """Whether a cloud no parent set can date would be reported: from
    :data:`MIN_UNDATED_FRAGMENTS` pieces, or from :data:`NODAL_MIN_FRAGMENTS`
    when its nodes date it."""
    n = len(first_sets)
    if n >= max(min_fragments, MIN_UNDATED_FRAGMENTS):
        return True
    if n < max(min_fragments, NODAL_MIN_FRAGMENTS):
        return False
    return _nodal_date(sorted(first_sets, key=lambda s: s.epoch)) is not None


def _cloud_identity(ctx: _Context, parent, launch: str, frags: Sequence[ElementSet],
                    strays: Sequence[ElementSet]) -> dict:
    """The fields that name a cloud, whichever way its parent was found (its
    element sets or the SATCAT alone): the parent, its owner (the SATCAT's, else
    what the parent's record carries; the fragments inherit it), the launch and
    every fragment, those joined by orbit included."""
    all_frags = [*frags, *strays]
    return {
        "parent": parent.norad_id,
        "parent_name": parent.name,
        "owner": ctx.owners.get(parent.norad_id) or parent.owner,
        "launch": launch,
        "fragments": len(all_frags),
        "fragment_ids": tuple(sorted(f.norad_id for f in all_frags)),
    }


def _owner(ctx: _Context, nid: int) -> str | None:
    """An object's owner: the SATCAT's, else what its element sets carry."""
    es = ctx.newest.get(nid)
    return ctx.owners.get(nid) or (es.owner if es is not None else None)


def _fragment_evidence(frags: Sequence[ElementSet], used: Sequence[ElementSet],
                       strays: Sequence[ElementSet], votes: dict[str, int]) -> dict:
    """The fragment side of a record's evidence (``frags`` sorted by epoch, each
    as first seen; ``used`` the first of them, those the cloud was dated from)."""
    sources: dict[str, int] = defaultdict(int)
    for f in frags:
        sources[f.source or "?"] += 1
    return {
        "fragment_names": dict(sorted(votes.items(), key=lambda kv: -kv[1])[:3]),
        "fragments_used": len(used),
        # the first few of the sets used, each with its object
        "fragment_element_sets": [{"norad_id": f.norad_id, **set_ref(f)}
                                  for f in used[:_SETS_CITED]],
        "fragment_sources": dict(sorted(sources.items(), key=lambda kv: -kv[1])),
        "fragments_from_earlier_or_later": len(strays),
        "earliest_fragment_epoch": iso_z(frags[0].epoch, 3),
        "event_before": iso_z(frags[0].epoch, 3),
    }


def _satcat_launch_era(records: Iterable[SatcatRecord], by_id: dict[int, list[ElementSet]],
                       groups: dict[str, list[ElementSet]],
                       object_types: dict[int, str]) -> dict[str, list[SatcatRecord]]:
    """Per launch among ``groups``, its launch-era payloads and rocket bodies
    that have no element set here, from the SATCAT ``records`` (catalog numbers
    within :data:`LAUNCH_ERA_SPAN` of the launch's lowest, in the SATCAT or the
    sets), in catalog order."""
    by_launch: dict[str, dict[int, SatcatRecord]] = defaultdict(dict)
    for rec in records:
        launch = launch_of(rec.intl_designator)
        if launch in groups:
            by_launch[launch][rec.norad_id] = rec
    out: dict[str, list[SatcatRecord]] = {}
    for launch, recs in by_launch.items():
        lowest = min(min(recs), min(m.norad_id for m in groups[launch]))
        era = []
        for nid, rec in sorted(recs.items()):
            if nid in by_id or nid - lowest >= LAUNCH_ERA_SPAN or _is_debris(rec):
                continue
            kind = (object_types.get(nid) or rec.object_type or "").strip().upper()
            if kind in ("PAYLOAD", "ROCKET BODY") or (not kind and _is_rocket_body(rec)):
                era.append(rec)
        if era:
            out[launch] = era
    return out


def _assess_satcat_cloud(ctx: _Context, launch: str, cands: list[SatcatRecord],
                         frags: list[ElementSet], strays: list[ElementSet]) -> Breakup | None:
    """A cloud whose launch has no launch-era object with element sets here,
    its parent taken from the SATCAT records ``cands`` (payloads and rocket
    bodies of the launch).

    With no parent set there is no plane to compare, nothing to screen and no
    pre-event set to date against: the fragments' names ``X DEB`` choose among
    several candidates, then the SATCAT inclination nearest the fragments'
    (within :data:`INCLINATION_MATCH_DEG`), then the payload; the class is
    ``undetermined``, dated only by node convergence, under the same bar as
    any undated cloud (:data:`MIN_UNDATED_FRAGMENTS`, or
    :data:`NODAL_MIN_FRAGMENTS` when the nodes date it).
    """
    frags = sorted(frags, key=lambda s: s.epoch)
    used = _earliest_seen(frags)
    plane = _cloud_plane(used, frags[0].epoch)
    if plane is None:
        return None  # no fragment could be propagated to the common epoch
    _, spread, frag_incl = plane
    nodal = _nodal_date(frags)
    if len(frags) < max(ctx.min_fragments, NODAL_MIN_FRAGMENTS if nodal else MIN_UNDATED_FRAGMENTS):
        return None  # a few pieces released at unknown times: not evidence of a breakup
    votes = _name_votes([ctx.newest[f.norad_id] for f in frags])

    def incl_off(rec: SatcatRecord) -> float:
        """Degrees from the fragments' median inclination (inf when the SATCAT gives none)."""
        return math.inf if rec.inclination_deg is None else abs(rec.inclination_deg - frag_incl)

    def vote(rec: SatcatRecord) -> int:
        return votes.get(_base_name(rec.name), 0)

    tied: list[SatcatRecord] = []
    ranked = sorted(cands, key=lambda r: -vote(r))
    if len(cands) == 1:
        parent, parent_by = cands[0], "the launch's only payload or stage in the SATCAT"
    elif vote(ranked[0]) > vote(ranked[1]):
        parent, parent_by = ranked[0], "fragment names"
    else:
        near = sorted((r for r in cands if incl_off(r) <= INCLINATION_MATCH_DEG), key=incl_off)
        if len(near) == 1:
            parent, parent_by = near[0], "SATCAT inclination"
        else:
            pool = near or cands
            parent = next((r for r in pool if _parent_type(r, ctx.otype) == "PAYLOAD"), pool[0])
            parent_by = "the payload (nothing else tells the candidates apart)"
            tied = [r for r in pool if r is not parent]
    method = "no element set of the parent in the input (it is known from the SATCAT only)"
    if nodal is not None:
        method = (f"convergence of the fragments' nodes (J2 differential precession), "
                  f"+-{nodal.half_width_days:.1f} days; {method}")
    elif len(frags) >= NODAL_MIN_FRAGMENTS:
        method = f"{method}; {_NO_NODAL_CONVERGENCE}"
    alternatives = [
        "explosion or anomaly (battery, propulsion, pressure vessel)",
        "collision with an object whose element sets are not here",
        "destructive test",
    ]
    named = []
    for t in tied:
        named.append(t.norad_id)
        alternatives.append(f"the parent may be {t.norad_id} {t.name or ''}".rstrip()
                            + f" ({_parent_type(t, ctx.otype).lower()}): nothing in the input "
                            "tells them apart")
    off = incl_off(parent)
    return Breakup(
        **_cloud_identity(ctx, parent, launch, frags, strays),
        classification="undetermined",
        epoch_estimate=nodal.epoch if nodal is not None else None,
        epoch_method=method,
        median_dispersion_km=None,
        latitude_deg=None,
        longitude_deg=None,
        altitude_km=None,
        confidence=0.3,
        benign_alternatives=tuple(alternatives),
        epoch_uncertainty_s=round(nodal.half_width_days * DAY_S, 0) if nodal is not None else None,
        evidence={
            "parent_element_set_epoch": None,
            "parent_element_set": None,
            "parent_from": "satcat",
            "parent_satcat": {"norad_id": parent.norad_id, "name": parent.name,
                              "intl_designator": parent.intl_designator,
                              "object_type": parent.object_type, "owner": parent.owner},
            "parent_type": _parent_type(parent, ctx.otype),
            "parent_plane_match_deg": None,
            "parent_inclination_match_deg": round(off, 3) if math.isfinite(off) else None,
            "fragment_plane_spread_deg": round(spread, 3),
            "parent_candidates": [r.norad_id for r in cands],
            "parent_chosen_by": parent_by,
            **_fragment_evidence(frags, used, strays, votes),
            "event_after": None,
            "dispersion_minimum_km": None,
            "dispersion_typical_km": None,
            "epoch_minimum_width_s": None,
            "nodal_coherence": round(nodal.coherence, 3) if nodal is not None else None,
            "collision_partner_element_set": None,
            "collision_partner_fragments_after": None,
            "collision_objects_screened": None,  # no parent set: nothing to screen
            "alternative_objects": sorted(set(named)),
        },
    )


@dataclass(frozen=True, slots=True)
class _Approach:
    object_id: int
    name: str | None
    tca: datetime
    miss_km: float
    relative_speed_km_s: float
    element_set: ElementSet


def _fragments_after(ctx: _Context, partner: _Approach, when: datetime) -> int:
    """Fragments of the partner's launch first seen after ``when``."""
    launch = launch_of(ctx.newest[partner.object_id].intl_designator)
    return sum(1 for t in ctx.first_seen.get(launch, ()) if t > when) if launch else 0


def _collision_partners(parent_ref: ElementSet, by_id, launch, epoch, collision_km, hi,
                        exclude: Collection[int] = ()) -> tuple[list[_Approach], int]:
    """Other objects passing within ``collision_km`` of the parent, closest first,
    and how many objects were screened: those with an element set within 10
    days of the window, not of the parent's launch nor in ``exclude`` (the
    cloud's pieces).  The window is the hour about ``epoch``, else the three
    days after the parent's set (up to ``hi``)."""
    from orbitwatch.screening import screen

    if epoch is not None:
        start = epoch - timedelta(minutes=30)
        span_s = 3600.0
    else:
        start = parent_ref.epoch
        span_s = min((hi - start).total_seconds(), 3 * DAY_S)
    if span_s <= 0:
        return [], 0
    window_mid = start + timedelta(seconds=span_s / 2)
    others = []
    for nid, sets in by_id.items():
        if (nid == parent_ref.norad_id or nid in exclude
                or launch_of(sets[-1].intl_designator) == launch):
            continue
        # the other object's element set nearest the window, if within 10 days of it
        s = min(sets, key=lambda x: abs((x.epoch - window_mid).total_seconds()))
        if abs((s.epoch - window_mid).total_seconds()) <= 10 * DAY_S:
            others.append(s)
    if not others:
        return [], 0
    res = screen([parent_ref, *others], start, span_s, collision_km,
                 primaries=[parent_ref.norad_id])
    chosen = {s.norad_id: s for s in others}
    out = []
    for c in sorted(res.conjunctions, key=lambda c: c.miss_distance_km):
        other = c.object_2 if c.object_1 == parent_ref.norad_id else c.object_1
        name = c.object_2_name if c.object_1 == parent_ref.norad_id else c.object_1_name
        if other not in chosen or any(a.object_id == other for a in out):
            continue
        out.append(_Approach(other, name, c.tca, round(c.miss_distance_km, 3),
                             float(c.relative_speed_km_s), chosen[other]))
    return out, len(others)


#: an undesignated object joins a parent's cloud when its orbit intersects the
#: parent's: planes within PLANE_MATCH_DEG and radial ranges overlapping
#: within this margin, km
ORBIT_OVERLAP_KM = 25.0
#: most parents tried per undesignated cloud (each costs a dispersion search)
_MAX_ORBIT_PARENTS = 5
#: an undesignated cloud dated this soon after its parent's first set is taken for a deployment
_DEPLOYMENT_DAYS = 3.0
_MU_KM3_S2 = 398600.4418


def _radial_range_km(es: ElementSet) -> tuple[float, float]:
    n = es.mean_motion_rev_day * 2.0 * math.pi / DAY_S
    a = (_MU_KM3_S2 / n**2) ** (1.0 / 3.0)
    return a * (1.0 - es.eccentricity), a * (1.0 + es.eccentricity)


def _associate_by_orbit(ctx: _Context, orphans: list[ElementSet],
                        parents: list[ElementSet]) -> dict[int, list[ElementSet]]:
    """Undesignated objects (each as first seen) assigned to the parent whose
    orbit they intersect, when the fragments converge on it at one instant.

    New fragments are often tracked for weeks as analyst objects before they
    are catalogued under their parent's designator.  An orbit that intersects
    a parent's (coplanar within :data:`PLANE_MATCH_DEG`, radial ranges
    overlapping) is necessary for a piece of it but not sufficient: a
    constellation plane holds many such parents, and old debris is everywhere.
    So a group is kept only when its dispersion about the parent has a sharp
    minimum (:func:`_dispersion_epoch`): an event dated against the parent's
    own set from before the pieces.  Returns parent id -> its pieces.
    """
    orphans = sorted(orphans, key=lambda s: s.epoch)
    hi = orphans[0].epoch
    lo = hi - timedelta(days=ctx.max_back_days)
    pool = []
    for p in parents:
        ws = [s for s in ctx.by_id[p.norad_id] if lo <= s.epoch < hi]
        if ws:
            pool.append(ws[-1])
    if not pool or len(orphans) < ctx.min_fragments:
        return {}
    t_c = orphans[len(orphans) // 2].epoch
    n_orph = _plane_normals(orphans, t_c)
    n_par = _plane_normals(pool, t_c)
    r_orph = np.array([_radial_range_km(s) for s in orphans])
    r_par = np.array([_radial_range_km(s) for s in pool])
    cos_lim = math.cos(math.radians(PLANE_MATCH_DEG))
    members: dict[int, list[int]] = defaultdict(list)
    for k0 in range(0, len(pool), 2000):
        cos = n_orph @ n_par[k0:k0 + 2000].T  # (orphans, parents)
        overlap = ((r_orph[:, None, 0] <= r_par[None, k0:k0 + 2000, 1] + ORBIT_OVERLAP_KM)
                   & (r_orph[:, None, 1] >= r_par[None, k0:k0 + 2000, 0] - ORBIT_OVERLAP_KM))
        hit = np.nan_to_num(cos, nan=-1.0) >= cos_lim
        for i, j in zip(*np.nonzero(hit & overlap)):
            members[k0 + int(j)].append(int(i))
    ranked = sorted((j for j in members if len(members[j]) >= ctx.min_fragments),
                    key=lambda j: -len(members[j]))[:_MAX_ORBIT_PARENTS]
    taken: set[int] = set()
    out: dict[int, list[ElementSet]] = {}
    for j in ranked:
        idx = [i for i in members[j] if i not in taken]
        if len(idx) < ctx.min_fragments:
            continue
        pieces = [orphans[i] for i in idx]
        ws = [s for s in ctx.by_id[pool[j].norad_id] if lo <= s.epoch < pieces[0].epoch]
        if not ws:
            continue
        d = _dispersion_epoch(ws, _earliest_seen(pieces), ws[0].epoch, pieces[0].epoch)
        # pieces that left the parent within days of its first set are more
        # likely a deployment (a rideshare's cubesats from their stage) than a
        # breakup: without designators or types the sets cannot tell them apart
        # (the parent's first set counts as its launch when it is of the
        # launch year its designator gives)
        first = ctx.by_id[pool[j].norad_id][0]
        launch_year = (launch_of(ctx.newest[pool[j].norad_id].intl_designator) or "0")[:4]
        deployment = (d is not None and str(first.epoch.year) == launch_year
                      and (d.epoch - first.epoch).total_seconds() <= _DEPLOYMENT_DAYS * DAY_S)
        if (d is not None and d.median_km <= ctx.dispersion_ok_km
                and d.median_km <= DISPERSION_CONTRAST * d.window_median_km and not deployment):
            out[pool[j].norad_id] = pieces
            taken.update(idx)
    return out
