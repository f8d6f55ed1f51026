"""``/api/v1/objects``: the catalog as the caller may see it, element histories, ground tracks.

An object is visible when at least one of its element sets is; its orbit
fields come from the newest element set the caller may see.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse

from orbitwatch.service.deps import Audit, Paging, audit_for, not_found, paging
from orbitwatch.service.schemas import ElementSetOut, ObjectOut, Page, Track

router = APIRouter(prefix="/api/v1/objects", tags=["objects"])

REGIMES = ("LEO", "MEO", "GEO", "HEO")


def _object_dict(row) -> dict:
    d = {f: getattr(row, f) for f in row.__dataclass_fields__}
    d["epoch"] = d.pop("latest_epoch")
    return d


def find_object(db, partner: str, norad_id: int):
    """The object as ``partner`` sees it, or None (absent or not visible)."""
    from orbitwatch.store.shared import page_visible_objects

    rows, _ = page_visible_objects(db, visible_to=partner, search=str(norad_id), limit=None)
    rows = [r for r in rows if r.norad_id == norad_id]
    return rows[0] if rows else None


@router.get("", response_model=Page[ObjectOut], summary="List visible catalog objects")
def list_objects_route(
    regime: str | None = Query(None, description="LEO, MEO, GEO or HEO"),
    owner: str | None = Query(None, description="owner / country code (exact)"),
    type: str | None = Query(None, description="object type: PAYLOAD, ROCKET BODY, DEBRIS..."),
    q: str | None = Query(None, description="name or international designator substring, or a catalog number"),
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("viewer")),
):
    if regime and regime.strip().upper() not in REGIMES:
        raise HTTPException(422, detail=f"regime {regime!r}: use one of {', '.join(REGIMES)}")
    from orbitwatch.store import shared

    db, partner = audit.db, audit.principal.partner
    cache = audit.request.app.state.selections
    version = shared.data_version(db)
    filters = (regime and regime.strip().upper(), owner, type, q)

    def build_page():
        ids = cache.get(
            ("objects", partner, filters), version,
            lambda: shared.visible_object_ids(
                db, visible_to=partner, regime=regime, owner=owner, object_type=type, search=q),
        )
        rows = shared.objects_by_ids(
            db, ids=ids[page.offset : page.offset + page.limit], visible_to=partner)
        body = Page[ObjectOut].model_validate(
            {"data": [_object_dict(r) for r in rows], "count": len(ids)}).model_dump(mode="json")
        return [r.norad_id for r in rows], body

    page_ids, body = cache.get(
        ("objects-page", partner, filters, page.offset, page.limit), version, build_page)
    audit("read", "objects", page_ids)
    return JSONResponse(body)


@router.get("/{norad_id}", response_model=ObjectOut, summary="One object")
def get_object(norad_id: int, audit: Audit = Depends(audit_for("viewer"))):
    row = find_object(audit.db, audit.principal.partner, norad_id)
    if row is None:
        audit("read", "objects", [], count=0, status=404)
        raise not_found(f"object {norad_id}")
    audit("read", "objects", [norad_id])
    return _object_dict(row)


def _geo_longitudes(sets) -> list[float | None]:
    """East longitude (deg) of the sub-satellite point at each set's epoch, for near-GEO sets.

    SGP4 at ``tsince = 0`` gives the TEME position; TEME -> pseudo-Earth-fixed
    is a rotation by GMST (IAU-82, as SGP4's own ``gstime``); polar motion is
    neglected (< 20 m, far below the 0.01 deg resolution that matters here).
    """
    from sgp4.api import Satrec
    from sgp4.propagation import gstime

    out: list[float | None] = []
    for s in sets:
        es = s.element_set
        if not 0.9 < es.mean_motion_rev_day < 1.1:
            out.append(None)
            continue
        sat: Satrec = es.to_satrec()
        err, r, _ = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
        if err:
            out.append(None)
            continue
        lon = math.degrees(math.atan2(r[1], r[0]) - gstime(sat.jdsatepoch + sat.jdsatepochF))
        out.append((lon + 180.0) % 360.0 - 180.0)
    return out


@router.get("/{norad_id}/elements", response_model=Page[ElementSetOut], summary="Element-set history")
def object_elements(
    norad_id: int,
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("viewer")),
):
    """Every element set of the object the caller may see, oldest first, with the
    semi-major axis and (near-GEO) the longitude at epoch for plotting."""
    from orbitwatch.orbit import semi_major_axis_km
    from orbitwatch.store.catalog import history

    sets = history(audit.db, norad_id, visible_to=audit.principal.partner)
    if not sets:
        audit("read", "element_sets", [], count=0, status=404)
        raise not_found(f"object {norad_id}")
    part = sets[page.offset : page.offset + page.limit]
    n = np.array([s.element_set.mean_motion_rev_day for s in part], dtype=float)
    e = np.array([s.element_set.eccentricity for s in part], dtype=float)
    inc = np.array([s.element_set.inclination_deg for s in part], dtype=float)
    a_km = np.asarray(semi_major_axis_km(n, e, inc), dtype=float) if part else np.array([])
    lons = _geo_longitudes(part)
    data = []
    for k, s in enumerate(part):
        es = s.element_set
        data.append(
            {
                "id": s.id,
                "norad_id": es.norad_id,
                "epoch": es.epoch,
                "mean_motion_rev_day": es.mean_motion_rev_day,
                "eccentricity": es.eccentricity,
                "inclination_deg": es.inclination_deg,
                "raan_deg": es.raan_deg,
                "arg_perigee_deg": es.arg_perigee_deg,
                "mean_anomaly_deg": es.mean_anomaly_deg,
                "bstar": es.bstar,
                "element_set_no": es.element_set_no,
                "line1": es.line1,
                "line2": es.line2,
                "source": s.source,
                "partner": s.partner,
                "releasable_to": s.releasable_to,
                "ingested_at": s.ingested_at,
                "semi_major_axis_km": float(a_km[k]),
                "geo_longitude_deg": lons[k],
            }
        )
    audit("read", "element_sets", [s.id for s in part])
    return {"data": data, "count": len(sets)}


@router.get("/{norad_id}/track", response_model=Track, summary="Ground track")
def object_track(
    norad_id: int,
    start: datetime | None = Query(None, description="first instant (default: now)"),
    span_min: float = Query(None, gt=0, le=10080, description="length, minutes (default: one period)"),
    step_s: float = Query(60.0, ge=1.0, le=3600.0),
    audit: Audit = Depends(audit_for("viewer")),
):
    """Sub-satellite points (WGS-84) of the newest visible element set, SGP4."""
    from orbitwatch.propagation import propagate
    from orbitwatch.store.catalog import latest_element_sets
    from orbitwatch.timeutil import datetime_to_jd

    sets = latest_element_sets(audit.db, ids=[norad_id], visible_to=audit.principal.partner)
    if not sets:
        audit("read", "element_sets", [], count=0, status=404)
        raise not_found(f"object {norad_id}")
    es = sets[0]
    t0 = (start or datetime.now(UTC)).astimezone(UTC) if (start is None or start.tzinfo) else start.replace(tzinfo=UTC)
    if span_min is None:
        span_min = min(1440.0 / max(es.mean_motion_rev_day, 1e-3), 1440.0)
    n = int(min(2000, span_min * 60.0 / step_s)) + 1
    times = [t0 + timedelta(seconds=k * step_s) for k in range(n)]
    jd = np.empty(n)
    fr = np.empty(n)
    for k, t in enumerate(times):
        jd[k], fr[k] = datetime_to_jd(t)
    prop = propagate([es], jd, fr)
    geo = prop.geodetic()
    ok = prop.error[0] == 0
    data = [
        {
            "time": times[k],
            "lat_deg": float(geo.lat_deg[0, k]),
            "lon_deg": float(geo.lon_deg[0, k]),
            "alt_km": float(geo.alt_km[0, k]),
        }
        for k in range(n)
        if ok[k]
    ]
    audit("read", "element_sets", [norad_id])
    return {"norad_id": norad_id, "data": data, "count": len(data)}


@router.get("/{norad_id}/maneuvers", summary="Maneuvers detected in the visible element history")
def object_maneuvers(norad_id: int, audit: Audit = Depends(audit_for("viewer"))):
    """Runs :func:`orbitwatch.behavior.maneuvers.detect_maneuvers` on the element sets of
    the object the caller may see (so the result depends only on releasable data).
    Each item: ``gap_start``/``gap_end`` (epochs of the sets around the burn),
    ``epoch_estimate``, ``delta_v_m_s``, ``kind``, ``confidence``, ``evidence``."""
    from orbitwatch.store.catalog import history

    sets = history(audit.db, norad_id, visible_to=audit.principal.partner)
    if not sets:
        audit("read", "element_sets", [], count=0, status=404)
        raise not_found(f"object {norad_id}")
    from orbitwatch.behavior.maneuvers import detect_maneuvers

    found = detect_maneuvers([s.element_set for s in sets])
    audit("read", "element_sets", [s.id for s in sets])
    data = [m.to_json() for m in found]
    return {"data": data, "count": len(data)}
