"""Fragmentation events: which object broke up, when, where, and how.

Method
------
1. **Clouds.**  Objects are grouped by launch (the international designator's
   ``YYYY-NNN``).  In a launch group the *launch-era* objects are those
   catalogued with the launch (catalog numbers within
   :data:`LAUNCH_ERA_SPAN` of the group's lowest); everything catalogued
   later, or named/typed as debris, is a *fragment* -- except objects typed
   as payloads or rocket bodies, which are deployments (cubesats released
   from the ISS, say), not pieces.  A group with at least ``min_fragments``
   fragments is a breakup candidate.  (Fragments of a collision are
   catalogued under each parent's own designator, so a collision shows up as
   two clouds.)
2. **Parent.**  Among the launch-era objects that are not rocket bodies
   (unless only rocket bodies are left), the parent of a *coherent* cloud
   (fragment planes within :data:`PLANE_MATCH_DEG` of their median) is the
   one whose orbital plane (angular-momentum direction, compared at a common
   epoch with SGP4) lies closest to the fragments' median plane; a fresh
   cloud keeps the parent's plane, so a match within :data:`PLANE_MATCH_DEG`
   is required.  An *old* cloud has spread its nodes by differential J2
   precession, but inclination is kept: its parent is the launch-era object
   (rocket bodies included) with the inclination closest to the fragments'
   median, within :data:`INCLINATION_MATCH_DEG`, and every object within
   that tolerance is listed in ``evidence.parent_candidates``.  The parent's
   *pre-event* element set is the newest one with an epoch before the
   earliest fragment epoch.
3. **Epoch and place.**  Fragments all left one point at one instant, so the
   median distance between the fragments and the parent, propagated back with
   SGP4, has a sharp minimum at the event (minimum dispersion; cf. the
   back-propagation methods reviewed by Frey & Colombo / the FRED work cited
   in ANCHORS.md).  It is searched on a 20 s grid over at most
   ``max_back_days`` before the earliest fragment epoch (and never before the
   parent's pre-event epoch), then refined by bounded scalar minimisation to
   ~0.1 s.  The estimate is kept only when the median miss at the minimum is
   below ``dispersion_ok_km``: SGP4 back-propagation over many months or years
   is not accurate enough.  Without a usable pre-event parent set, a young
   cloud is dated by the *convergence of its nodes*: each fragment's node
   drifts at its own secular J2 rate (SGP4's ``nodedot``), so running the
   nodes back, they gather at the event; the age maximizing their mean
   resultant length is the estimate, kept only for clouds younger than
   :data:`NODAL_MAX_AGE_DAYS` whose nodes gather tightly
   (:data:`NODAL_MIN_COHERENCE`).  Over years, drag changes the rates and the
   estimate drifts (tested: Iridium 33's cloud 12.6 years on comes out
   1.7 years short), so older clouds stay undated, with the reason.
4. **Class.**  Only with a pre-event parent set: it is screened against
   every other object's element sets of the same period (the catalog's
   contemporaneous sets) with :func:`orbitwatch.screening.screen`; an
   approach within ``collision_km`` at (or, without a dispersion epoch,
   anywhere in) the window (the three days after the parent's pre-event set)
   is a *collision with a known object*, and its TCA is the epoch.
   Otherwise a *dated* event of a payload parent is a *destructive test* (a
   payload that fragmented with no collision partner: the signature of a
   direct-ascent ASAT test) and of any other parent an *explosion or
   anomaly*.  Element sets cannot tell a destructive test from an anomalous
   payload breakup (battery, propulsion); the record says so in
   ``benign_alternatives``.  A cloud that cannot be dated (an old cloud in a
   snapshot: Fengyun-1C's, NOAA 16's, Iridium 33's years on) is reported --
   from :data:`MIN_UNDATED_FRAGMENTS` fragments on -- as ``undetermined``:
   nothing in the element sets tells an ASAT test from a battery explosion
   or a collision then, and the tool does not accuse on no evidence.

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

from orbitwatch.elements.model import ElementSet, cospar_designator, set_ref
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
            "fragment_ids": list(self.fragment_ids),
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


def _is_deployment(es: ElementSet, otype) -> bool:
    """A later-catalogued object typed as a payload or rocket body (not named debris)."""
    t = (otype(es) or "").upper()
    return not _is_debris(es) and (t in ("PAYLOAD", "ROCKET BODY") or _is_rocket_body(es))


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
        frags = [m for m in members if m not in era and not _is_deployment(m, otype)]
        if len(frags) < min_fragments or not era:
            continue
        found_b = _assess_cloud(
            launch, era, frags, by_id, newest, owners, otype, max_back_days,
            dispersion_ok_km, collision_km, min_fragments,
        )
        if found_b is not None:
            found.append(found_b)
    found.sort(
        key=lambda b: b.epoch_estimate or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    return found


def _inclination_deg(normals: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(normals[..., 2], -1.0, 1.0)))


def _base_name(name: str | None) -> str:
    return (name or "").upper().split(" DEB")[0].strip()


def _name_votes(frags: Sequence[ElementSet]) -> dict[str, int]:
    """How many fragments carry each parent name (``X DEB`` names the parent ``X``)."""
    votes: dict[str, int] = defaultdict(int)
    for f in frags:
        if f.name and " DEB" in f" {f.name.upper()}":
            votes[_base_name(f.name)] += 1
    return votes


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


def _assess_cloud(launch, era, frags, by_id, newest, owners, otype, max_back_days,
                  dispersion_ok_km, collision_km, min_fragments) -> Breakup | None:
    frags = sorted(frags, key=lambda s: s.epoch)
    first_frag_epoch = frags[0].epoch
    used = frags[:_MAX_FRAGMENTS_USED]  # earliest epochs: least propagation error
    # fragments' median plane at the earliest fragment epoch, and how far they spread about it
    normals = _plane_normals(used, first_frag_epoch)
    if not np.isfinite(normals).all(axis=1).any():
        return None  # no fragment could be propagated to the common epoch
    med = np.nanmedian(normals, axis=0)
    if not np.all(np.isfinite(med)):
        return None  # no fragment could be propagated to the common epoch
    med /= np.linalg.norm(med)
    spread = float(np.nanmedian(_angle_deg(normals, med[None, :])))
    coherent = spread <= PLANE_MATCH_DEG
    frag_incl = float(np.nanmedian(_inclination_deg(normals)))
    scored = []
    pool = ([m for m in era if not _is_rocket_body(m)] or list(era)) if coherent else list(era)
    for cand in pool:
        pre = [s for s in by_id[cand.norad_id] if s.epoch < first_frag_epoch]
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
    parent_by = "plane" if coherent else "inclination"
    votes = _name_votes(frags)
    if not coherent:
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
    candidates = [x[3].norad_id for x in scored if x[2] <= INCLINATION_MATCH_DEG] if not coherent else []

    # 3. epoch from minimum dispersion, when the parent's pre-event set is
    # recent enough for SGP4 back-propagation to mean something
    hi = first_frag_epoch
    lo = hi - timedelta(days=max_back_days)
    epoch, disp, method, width, nodal = None, None, "", None, None
    dated_by_dispersion = False
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
                dated_by_dispersion = True
                width = round(got.width_s, 1)
                method = "minimum dispersion of fragments about the parent (SGP4 back-propagation)"
            else:
                method = (
                    f"no sharp convergence (median {got.median_km:.0f} km at best, "
                    f"{got.window_median_km:.0f} km typical)"
                )
    if epoch is None and len(frags) >= NODAL_MIN_FRAGMENTS:
        nodal = _nodal_convergence(frags, NODAL_MAX_AGE_DAYS)
        if nodal is not None and nodal.coherence >= NODAL_MIN_COHERENCE and nodal.epoch < hi:
            method = (
                f"convergence of the fragments' nodes (J2 differential precession), "
                f"+-{nodal.half_width_days:.1f} days; {method}"
            )
            epoch = nodal.epoch
        else:
            method = f"{method}; the fragments' nodes do not converge within {NODAL_MAX_AGE_DAYS:g} days"
            nodal = None

    # 4. collision partner among contemporaneous element sets: needs a pre-event
    # parent set, and either an epoch or a cloud that appeared long after that
    # set (for a fresh, undated cloud the dispersion search found no event)
    # (a node-convergence epoch is days uncertain: too loose to screen around)
    partner_epoch = epoch if dated_by_dispersion else None
    partner = (_collision_partner(parent_ref, by_id, launch, partner_epoch, collision_km, hi)
               if has_pre and (dated_by_dispersion or not fresh) else None)
    parent_type = (otype(parent) or ("ROCKET BODY" if _is_rocket_body(parent) else "PAYLOAD")).upper()
    alternatives: tuple[str, ...] = ()
    dated_by_partner = False
    if partner is not None:
        classification = "collision"
        if not dated_by_dispersion:
            epoch, method = partner[2], "time of closest approach with the collision partner"
            dated_by_partner = True
        confidence = 0.9
    elif dated_by_dispersion:
        # dated by dispersion about the parent's pre-event set, no partner
        if parent_type == "PAYLOAD":
            classification = "destructive test"
            alternatives = (
                "an anomalous payload breakup (battery, propulsion, pressure vessel) leaves the "
                "same signature in element sets; confirm with launch and notification reports",
            )
        else:
            classification = "explosion or anomaly"
        confidence = 0.7
    else:
        # no epoch fixed against a pre-event parent set (none, or no sharp
        # dispersion minimum): nothing in the element sets tells the causes
        # apart, and the tool does not guess
        if len(frags) < max(min_fragments, NODAL_MIN_FRAGMENTS if epoch else MIN_UNDATED_FRAGMENTS):
            return None  # a few pieces released at unknown times: not evidence of a breakup
        classification = "undetermined"
        alternatives = (
            "explosion or anomaly (battery, propulsion, pressure vessel)",
            "collision with an object whose element sets are not here",
            "destructive test",
        )
        confidence = 0.3
    # a place only for an epoch fixed against the parent's pre-event set
    place = (_geodetic(parent_ref, epoch)
             if epoch is not None and has_pre and (dated_by_dispersion or dated_by_partner) else None)
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
            "parent_element_set": set_ref(parent_ref),
            "parent_plane_match_deg": round(plane_deg, 3),
            "parent_inclination_match_deg": round(incl_deg, 3),
            "fragment_plane_spread_deg": round(spread, 3),
            "parent_candidates": candidates,
            "parent_chosen_by": parent_by,
            "fragment_names": dict(sorted(votes.items(), key=lambda kv: -kv[1])[:3]),
            "fragments_used": len(used),
            "earliest_fragment_epoch": iso_z(first_frag_epoch, 3),
            "epoch_minimum_width_s": width,
            "nodal_coherence": round(nodal.coherence, 3) if nodal is not None else None,
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
