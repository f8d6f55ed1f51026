"""Fragmentation events: which object broke up, when, where, and how.

Method
------
1. **Clouds.**  Objects are grouped by launch (the international designator's
   ``YYYY-NNN``).  In a launch group the *launch-era* objects are those
   catalogued with the launch (catalog numbers within
   :data:`LAUNCH_ERA_SPAN` of the group's lowest); everything catalogued
   later, or named/typed as debris, is a *fragment*.  A group with at least
   ``min_fragments`` fragments is a breakup candidate.  (Fragments of a
   collision are catalogued under each parent's own designator, so a
   collision shows up as two clouds.)
2. **Parent.**  Among the launch-era objects that are not rocket bodies
   (unless only rocket bodies are left), the parent is the one whose orbital
   plane (angular-momentum direction, compared at a common epoch with SGP4)
   lies closest to the fragments' median plane.  Its *pre-event* element set
   is the newest one with an epoch before the earliest fragment epoch; fresh
   fragment clouds keep the parent's plane, so a match within
   :data:`PLANE_MATCH_DEG` is required.
3. **Epoch and place.**  Fragments all left one point at one instant, so the
   median distance between the fragments and the parent, propagated back with
   SGP4, has a sharp minimum at the event (minimum dispersion; cf. the
   back-propagation methods reviewed by Frey & Colombo / the FRED work cited
   in ANCHORS.md).  It is searched on a 20 s grid over at most
   ``max_back_days`` before the earliest fragment epoch (and never before the
   parent's pre-event epoch), then refined by bounded scalar minimisation to
   ~0.1 s.  The estimate is kept only when the median miss at the minimum is
   below ``dispersion_ok_km``: SGP4 back-propagation over many months or years
   is not accurate enough, and then the epoch is left unknown (with the
   reason) unless a collision partner fixes it.
4. **Class.**  The parent's pre-event element set is screened against every
   other object's element sets of the same period (the catalog's contemporaneous
   sets) with :func:`orbitwatch.screening.screen`; an approach within
   ``collision_km`` at (or, without a dispersion epoch, anywhere in) the
   window (the three days after the parent's pre-event set) is a *collision
   with a known object*, and its TCA is the epoch.
   Otherwise a payload parent is a *destructive test* (a payload that
   fragmented with no collision partner: the signature of a direct-ascent
   ASAT test) and any other parent an *explosion or anomaly*.  Element sets
   cannot tell a destructive test from an anomalous payload breakup (battery,
   propulsion); the record says so in ``benign_alternatives``.

Attribution: the parent's owner (SATCAT / catalog owner); fragments inherit
it.  Evidence: the element sets used (catalog numbers, epochs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from scipy.optimize import minimize_scalar
from sgp4.api import SatrecArray

from orbitwatch.elements.model import ElementSet, cospar_designator
from orbitwatch.timeutil import DAY_S, datetime_to_jd, iso_z

#: objects catalogued within this many catalog numbers of a launch's first are launch-era
LAUNCH_ERA_SPAN = 200
#: the dispersion minimum must be this much below its typical value over the window
DISPERSION_CONTRAST = 0.25
#: plane match required between a parent and its fresh fragment cloud, degrees
PLANE_MATCH_DEG = 3.0
_GRID_STEP_S = 20.0
_MAX_FRAGMENTS_USED = 120


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
    collision_miss_km: float | None = None
    confidence: float = 0.5
    benign_alternatives: tuple[str, ...] = ()
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "type": "breakup",
            "parent": self.parent,
            "parent_name": self.parent_name,
            "owner": self.owner,
            "launch": self.launch,
            "fragments": self.fragments,
            "classification": self.classification,
            "epoch_estimate": iso_z(self.epoch_estimate, 3) if self.epoch_estimate else None,
            "epoch_method": self.epoch_method,
            "median_dispersion_km": self.median_dispersion_km,
            "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg,
            "altitude_km": self.altitude_km,
            "collision_partner": self.collision_partner,
            "collision_partner_name": self.collision_partner_name,
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
    name = (es.name or "").upper()
    return (es.object_type or "").upper() == "ROCKET BODY" or "R/B" in name


def _is_debris(es: ElementSet) -> bool:
    name = (es.name or "").upper()
    return (es.object_type or "").upper() == "DEBRIS" or " DEB" in f" {name}"


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


def _median_miss(parent: ElementSet, frags: Sequence[ElementSet], t0: datetime,
                 times_s: np.ndarray) -> np.ndarray:
    rp = _states([parent], t0, times_s)[0]
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


def _dispersion_epoch(
    parent: ElementSet, frags: Sequence[ElementSet], lo: datetime, hi: datetime
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
        curves.append((ts, _median_miss(parent, frags, lo, ts)))
    ts = np.concatenate([c[0] for c in curves])
    d = np.concatenate([c[1] for c in curves])
    if np.all(np.isnan(d)):
        return None
    i = int(np.nanargmin(d))
    best_t, best_d = float(ts[i]), float(d[i])

    def f(t: float) -> float:
        v = _median_miss(parent, frags, lo, np.array([t]))[0]
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
    return _Dispersion(
        epoch=lo + timedelta(seconds=best_t),
        median_km=best_d,
        window_median_km=float(np.nanmedian(d)),
        width_s=float(ts[j1] - ts[j0] + step),
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
) -> list[Breakup]:
    """Find fragmentation events in a catalog (with history when available).

    ``element_sets``: every element set known (newest-per-object snapshots,
    histories, or both).  ``owners`` / ``object_types``: SATCAT facts by
    catalog number that override what the element sets carry.  Returns one
    :class:`Breakup` per cloud, newest event first.
    """
    owners = owners or {}
    object_types = object_types or {}
    by_id: dict[int, list[ElementSet]] = defaultdict(list)
    for es in element_sets:
        by_id[es.norad_id].append(es)
    for sets in by_id.values():
        sets.sort(key=lambda s: s.epoch)
    newest = {nid: sets[-1] for nid, sets in by_id.items()}

    def otype(es: ElementSet) -> str | None:
        return object_types.get(es.norad_id) or es.object_type

    groups: dict[str, list[ElementSet]] = defaultdict(list)
    for es in newest.values():
        launch = launch_of(es.intl_designator)
        if launch:
            groups[launch].append(es)

    found: list[Breakup] = []
    for launch, members in sorted(groups.items()):
        lowest = min(m.norad_id for m in members)
        era = [m for m in members if m.norad_id - lowest < LAUNCH_ERA_SPAN and not _is_debris(m)]
        frags = [m for m in members if m not in era]
        if len(frags) < min_fragments or not era:
            continue
        found_b = _assess_cloud(
            launch, era, frags, by_id, newest, owners, otype, max_back_days,
            dispersion_ok_km, collision_km,
        )
        if found_b is not None:
            found.append(found_b)
    found.sort(
        key=lambda b: b.epoch_estimate or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    return found


def _assess_cloud(launch, era, frags, by_id, newest, owners, otype, max_back_days,
                  dispersion_ok_km, collision_km) -> Breakup | None:
    frags = sorted(frags, key=lambda s: s.epoch)
    first_frag_epoch = frags[0].epoch
    used = frags[:_MAX_FRAGMENTS_USED]  # earliest epochs: least propagation error
    # fragments' median plane at the earliest fragment epoch
    normals = _plane_normals(used, first_frag_epoch)
    med = np.nanmedian(normals, axis=0)
    med /= np.linalg.norm(med)
    candidates = [m for m in era if not _is_rocket_body(m)] or list(era)
    best = None
    for cand in candidates:
        pre = [s for s in by_id[cand.norad_id] if s.epoch < first_frag_epoch]
        ref = pre[-1] if pre else by_id[cand.norad_id][0]
        ang = float(_angle_deg(_plane_normals([ref], first_frag_epoch)[0], med))
        if best is None or ang < best[0]:
            best = (ang, cand, ref, bool(pre))
    if best is None:
        return None
    plane_deg, parent, parent_ref, has_pre = best
    fresh = (first_frag_epoch - parent_ref.epoch).total_seconds() < max_back_days * DAY_S
    if fresh and plane_deg > PLANE_MATCH_DEG:
        return None  # no launch-era object shares the cloud's plane: not this launch's breakup

    # 3. epoch from minimum dispersion, when the parent's pre-event set is
    # recent enough for SGP4 back-propagation to mean something
    hi = first_frag_epoch
    lo = hi - timedelta(days=max_back_days)
    epoch, disp, method, width = None, None, "", None
    if not has_pre:
        method = "no parent element set from before the fragments"
    elif parent_ref.epoch < lo:
        method = (
            f"parent's last pre-event element set is more than {max_back_days:g} days before the "
            "first fragment's: too long for SGP4 back-propagation"
        )
    else:
        got = _dispersion_epoch(parent_ref, used, parent_ref.epoch, hi)
        if got is not None:
            disp = round(got.median_km, 3)
            sharp = got.median_km <= DISPERSION_CONTRAST * got.window_median_km
            if got.median_km <= dispersion_ok_km and sharp:
                epoch = got.epoch
                width = round(got.width_s, 1)
                method = "minimum dispersion of fragments about the parent (SGP4 back-propagation)"
            else:
                method = (
                    f"no sharp convergence (median {got.median_km:.0f} km at best, "
                    f"{got.window_median_km:.0f} km typical)"
                )

    # 4. collision partner among contemporaneous element sets
    partner = _collision_partner(parent_ref, by_id, launch, epoch, collision_km, hi)
    parent_type = (otype(parent) or ("ROCKET BODY" if _is_rocket_body(parent) else "PAYLOAD")).upper()
    alternatives: tuple[str, ...] = ()
    if partner is not None:
        classification = "collision"
        if epoch is None:
            epoch, method = partner[2], "time of closest approach with the collision partner"
        confidence = 0.9
    elif parent_type == "PAYLOAD":
        classification = "destructive test"
        alternatives = (
            "an anomalous payload breakup (battery, propulsion, pressure vessel) leaves the "
            "same signature in element sets; confirm with launch and notification reports",
        )
        confidence = 0.7 if epoch else 0.5
    else:
        classification = "explosion or anomaly"
        confidence = 0.7 if epoch else 0.5
    place = _geodetic(parent_ref, epoch) if epoch else None
    return Breakup(
        parent=parent.norad_id,
        parent_name=parent.name,
        owner=owners.get(parent.norad_id) or parent.owner,
        launch=launch,
        fragments=len(frags),
        fragment_ids=tuple(sorted(f.norad_id for f in frags)),
        classification=classification,
        epoch_estimate=epoch,
        epoch_method=method,
        median_dispersion_km=disp,
        latitude_deg=place[0] if place else None,
        longitude_deg=place[1] if place else None,
        altitude_km=place[2] if place else None,
        collision_partner=partner[0] if partner else None,
        collision_partner_name=partner[1] if partner else None,
        collision_miss_km=partner[3] if partner else None,
        confidence=confidence,
        benign_alternatives=alternatives,
        evidence={
            "parent_element_set_epoch": iso_z(parent_ref.epoch, 3),
            "parent_plane_match_deg": round(plane_deg, 3),
            "fragments_used": len(used),
            "earliest_fragment_epoch": iso_z(first_frag_epoch, 3),
            "epoch_minimum_width_s": width,
            "fragment_ids_sample": [f.norad_id for f in used[:10]],
        },
    )


def _collision_partner(parent_ref: ElementSet, by_id, launch, epoch, collision_km, hi):
    """(id, name, tca, miss_km) of the closest other object within ``collision_km``, or None."""
    from orbitwatch.screening import screen

    if epoch is not None:
        start = epoch - timedelta(minutes=30)
        span_s = 3600.0
    else:
        start = parent_ref.epoch
        span_s = min((hi - start).total_seconds(), 3 * DAY_S)
    if span_s <= 0:
        return None
    window_mid = start + timedelta(seconds=span_s / 2)
    others = []
    for nid, sets in by_id.items():
        if nid == parent_ref.norad_id or launch_of(sets[-1].intl_designator) == launch:
            continue
        # the other object's element set nearest the window, if within 10 days of it
        s = min(sets, key=lambda x: abs((x.epoch - window_mid).total_seconds()))
        if abs((s.epoch - window_mid).total_seconds()) <= 10 * DAY_S:
            others.append(s)
    if not others:
        return None
    res = screen([parent_ref, *others], start, span_s, collision_km,
                 primaries=[parent_ref.norad_id])
    if not res.conjunctions:
        return None
    c = min(res.conjunctions, key=lambda c: c.miss_distance_km)
    return c.object_2, c.object_2_name, c.tca, round(c.miss_distance_km, 3)
