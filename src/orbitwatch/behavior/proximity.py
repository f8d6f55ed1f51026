"""Proximity and rendezvous around protected assets.

For each protected asset this reports

1. every object that comes within the asset's range ``R`` in the window
   (default :data:`DEFAULT_RANGE_KM`: 25 km in LEO, 50 km elsewhere), found by
   screening the asset against the catalog (:func:`orbitwatch.screening.screen`,
   whose completeness guarantee carries over): closest approach, number of
   approaches, first and last;
2. for a GEO asset, the GEO objects *co-located* with it: within 0.5 deg of
   longitude and of latitude of the asset's sub-satellite point at some hour
   of the window (sampled hourly; GEO relative motion is slow, a 0.5 deg box
   is ~370 km wide);
3. the **trend** over the element-set history: for each element set of the
   approaching object (oldest to newest), the minimum distance to the asset
   over one orbit of the object from that set's epoch, using the asset's set
   in force then (:func:`trend_of`).  The trend is where the distance is
   going *now*: ``closing``, ``departing`` or ``holding near``, from a robust
   slope over the sets since the series' last extreme (a pair that passed
   its closest point a few days ago is departing, not closing); over the
   whole history only when the distance never turned.  A change counts only
   when it exceeds 1 km, 20 % of the typical distance and three times the
   larger of the history's set-to-set scatter and the scatter about that
   line (a docked vehicle whose sets are fitted apart from the station's
   scatters by kilometres).  Only the last 60 days (at most 300 sets) count;
4. whether the approach **followed a manoeuvre** by the approaching object:
   a manoeuvre (:func:`orbitwatch.behavior.maneuvers.detect_maneuvers`) whose
   gap ended in the 14 days before the first approach;
5. the **owner** of both objects (attribution).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sgp4.api import SatrecArray

from orbitwatch.elements.model import ElementSet, set_ref
from orbitwatch.orbit import orbit_summary
from orbitwatch.timeutil import DAY_S, datetime_to_jd, iso_z

DEFAULT_RANGE_KM = {"LEO": 25.0, "GEO": 50.0}
COLOCATION_DEG = 0.5
MANEUVER_LOOKBACK_DAYS = 14.0


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
            "evidence": self.evidence,
        }


def _set_at(sets: Sequence[ElementSet], when: datetime) -> ElementSet:
    """The newest set at or before ``when`` (else the oldest)."""
    best = sets[0]
    for s in sets:
        if s.epoch <= when:
            best = s
        else:
            break
    return best


def _min_distance_over_orbit(a: ElementSet, b: ElementSet, start: datetime) -> float:
    period_s = DAY_S / min(a.mean_motion_rev_day, b.mean_motion_rev_day)
    n = 241
    jd0, fr0 = datetime_to_jd(start)
    ts = np.linspace(0.0, period_s, n)
    jd = np.full(n, jd0)
    fr = fr0 + ts / DAY_S
    e, r, _ = SatrecArray([a.to_satrec(), b.to_satrec()]).sgp4(jd, fr)
    d = np.linalg.norm(r[0] - r[1], axis=1)
    d[(e[0] != 0) | (e[1] != 0)] = np.nan
    return float(np.nanmin(d)) if np.any(np.isfinite(d)) else float("nan")


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


def _theil_sen(t: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """Slope (median of the pairwise slopes) and intercept of a Theil-Sen line:
    one fit that lands far off, or a few, cannot turn it."""
    i, j = np.triu_indices(len(t), 1)
    dt = t[j] - t[i]
    ok = dt > 0
    slope = float(np.median((d[j] - d[i])[ok] / dt[ok])) if ok.any() else 0.0
    return slope, float(np.median(d - slope * t))


def trend_of(
    asset_hist: Sequence[ElementSet], obj_hist: Sequence[ElementSet]
) -> tuple[str, list[float], list[datetime]]:
    """Trend of the pair's per-set minimum distance over the object's history.

    Returns the trend (``closing``, ``departing``, ``holding near``, or
    ``unknown`` with fewer than 3 usable sets), the distances (km) and the
    epochs of the object's sets they belong to.  See the module docstring.
    """
    dists: list[float] = []
    epochs: list[datetime] = []
    recent = list(obj_hist)
    if recent:  # the trend is about now: the last TREND_DAYS, at most TREND_MAX_SETS sets
        cutoff = recent[-1].epoch - timedelta(days=TREND_DAYS)
        recent = [s for s in recent if s.epoch >= cutoff][-TREND_MAX_SETS:]
    for s in recent:
        a = _set_at(asset_hist, s.epoch)
        d = _min_distance_over_orbit(a, s, s.epoch)
        if np.isfinite(d):
            dists.append(d)
            epochs.append(s.epoch)
    if len(dists) < 3:
        return "unknown", dists, epochs
    t = np.array([(e - epochs[0]).total_seconds() for e in epochs]) / DAY_S
    d = np.array(dists)
    # set-to-set scatter about a steady drift (first differences about their median)
    dd = np.diff(d)
    noise = 1.4826 * float(np.median(np.abs(dd - np.median(dd)))) / np.sqrt(2.0)

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
    while True:
        turns = [k for k in (int(np.argmin(yy)), int(np.argmax(yy))) if 0 < k <= len(yy) - TREND_MIN_STRETCH]
        if not turns:
            break
        turned = True
        k = max(turns)
        v = verdict(tt[k:], yy[k:])
        if v is not None:
            return v, dists, epochs
        tt, yy = tt[k:], yy[k:]
    return (None if turned else verdict(t, d)) or "holding near", dists, epochs


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

    ``element_sets``: the newest set per object (the screening catalog).
    ``history``: every set known (for trends and manoeuvres; defaults to
    ``element_sets``).  ``owners``: SATCAT owners by catalog number.
    """
    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.screening import screen

    owners = owners or {}
    newest = {s.norad_id: s for s in element_sets}
    hist: dict[int, list[ElementSet]] = defaultdict(list)
    for s in history if history is not None else element_sets:
        hist[s.norad_id].append(s)
    for v in hist.values():
        v.sort(key=lambda s: s.epoch)
    missing = [a for a in assets if a not in newest]
    if missing:
        raise ValueError(f"assets not in the catalog: {', '.join(map(str, missing))}")

    def owner(nid: int) -> str | None:
        return owners.get(nid) or newest[nid].owner

    ranges = {
        a: range_km if range_km is not None
        else DEFAULT_RANGE_KM.get(regime_of(newest[a]), 50.0)
        for a in assets
    }
    res = screen(list(newest.values()), start, span_s, max(ranges.values()),
                 primaries=list(assets))
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for c in res.conjunctions:
        if c.miss_distance_km <= ranges[c.object_1]:
            groups[(c.object_1, c.object_2)].append(c)

    events: list[ProximityEvent] = []
    maneuver_cache: dict[int, list] = {}

    def maneuvers(nid: int):
        if nid not in maneuver_cache:
            try:
                maneuver_cache[nid] = detect_maneuvers(hist.get(nid, [newest[nid]]))
            except ValueError:
                maneuver_cache[nid] = []
        return maneuver_cache[nid]

    def finish(asset, obj, kind, closest_km, closest_t, n, first, last, speed, extra):
        trend, dists, trend_epochs = trend_of(hist.get(asset, [newest[asset]]), hist.get(obj, [newest[obj]]))
        prior = [
            m for m in maneuvers(obj)
            if first - timedelta(days=MANEUVER_LOOKBACK_DAYS) <= m.gap_end <= first
        ]
        events.append(
            ProximityEvent(
                asset=asset, asset_name=newest[asset].name, asset_owner=owner(asset),
                object=obj, object_name=newest[obj].name, object_owner=owner(obj),
                kind=kind, range_km=ranges[asset], closest_km=closest_km,
                closest_time=closest_t, approaches=n, first_time=first, last_time=last,
                relative_speed_km_s=speed, trend=trend, trend_distances_km=tuple(dists),
                trend_epochs=tuple(trend_epochs),
                after_maneuver=bool(prior),
                maneuver_epoch=prior[-1].epoch_estimate if prior else None,
                evidence={
                    "asset_element_set_epoch": iso_z(newest[asset].epoch, 3),
                    "object_element_set_epoch": iso_z(newest[obj].epoch, 3),
                    "asset_element_set": set_ref(newest[asset]),
                    "object_element_set": set_ref(newest[obj]),
                    "history_sets": len(hist.get(obj, [])),
                    **extra,
                },
            )
        )

    for (asset, obj), cs in sorted(groups.items()):
        if not cs:
            continue
        best = min(cs, key=lambda c: c.miss_distance_km)
        finish(asset, obj, "approach", best.miss_distance_km, best.tca, len(cs),
               min(c.tca for c in cs), max(c.tca for c in cs), best.relative_speed_km_s, {})

    # Objects whose element sets are identical to the asset's (docked vehicles
    # published with the station's elements) are at zero distance throughout.
    asset_set = set(assets)
    for i, j in res.stats.identical_element_pairs:
        for a, o in ((i, j), (j, i)):
            if a in asset_set and (a, o) not in groups:
                groups[(a, o)] = []
                finish(a, o, "docked or co-orbiting (identical elements)", 0.0, start, 0, start,
                       start + timedelta(seconds=span_s), 0.0, {"identical_elements": True})

    # GEO co-location
    geo_assets = [a for a in assets if regime_of(newest[a]) == "GEO"]
    if geo_assets:
        seen = {(a, o) for (a, o) in groups}
        geo_ids = [nid for nid, s in newest.items() if regime_of(s) == "GEO"]
        for a, o, dmin, tmin, first, last, n in _colocations(
            geo_assets, geo_ids, newest, start, span_s
        ):
            if (a, o) in seen:
                continue
            finish(a, o, "co-location", dmin, tmin, n, first, last, None,
                   {"box_deg": COLOCATION_DEG})
    events.sort(key=lambda e: (e.asset, e.closest_km))
    return events


def _colocations(assets, geo_ids, newest, start, span_s):
    from orbitwatch.propagation.frames import teme_to_geodetic

    n_t = max(2, int(span_s // 3600) + 1)
    ts = np.linspace(0.0, span_s, n_t)
    jd0, fr0 = datetime_to_jd(start)
    jd = np.full(n_t, jd0)
    fr = fr0 + ts / DAY_S
    ids = list(dict.fromkeys(list(assets) + list(geo_ids)))
    e, r, _ = SatrecArray([newest[i].to_satrec() for i in ids]).sgp4(jd, fr)
    r[e != 0] = np.nan
    g = teme_to_geodetic(np.nan_to_num(r), jd, fr)
    lat, lon = np.asarray(g.lat_deg), np.asarray(g.lon_deg)
    bad = np.any(e != 0, axis=1)
    index = {nid: k for k, nid in enumerate(ids)}
    for a in assets:
        ka = index[a]
        dlon = np.abs((lon - lon[ka] + 180.0) % 360.0 - 180.0)
        dlat = np.abs(lat - lat[ka])
        inside = (dlon <= COLOCATION_DEG) & (dlat <= COLOCATION_DEG)
        dist = np.linalg.norm(r - r[ka][None], axis=2)
        for k in np.nonzero(inside.any(axis=1))[0]:
            if k == ka or bad[k]:
                continue
            hours = np.nonzero(inside[k])[0]
            j = hours[np.nanargmin(dist[k, hours])]
            yield (
                a, ids[k], float(dist[k, j]), start + timedelta(seconds=float(ts[j])),
                start + timedelta(seconds=float(ts[hours[0]])),
                start + timedelta(seconds=float(ts[hours[-1]])), int(len(hours)),
            )
