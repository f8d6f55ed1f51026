"""``/api/v1/positions``: where every visible object is at one instant (for the globe)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from orbitwatch.service.deps import Audit, audit_for
from orbitwatch.service.schemas import Positions

router = APIRouter(prefix="/api/v1/positions", tags=["objects"])


@router.get("", response_model=Positions, summary="Current positions of visible objects")
def positions(
    time: datetime | None = Query(None, description="instant (default: now)"),
    regime: str | None = Query(None),
    limit: int = Query(20000, ge=1, le=100000),
    audit: Audit = Depends(audit_for("viewer")),
):
    """WGS-84 sub-satellite latitude/longitude (deg) and height (km) of the newest
    element set the caller may see of each object, propagated with SGP4 to ``time``.
    Objects SGP4 cannot propagate to ``time`` (decayed, diverged) are left out."""
    from orbitwatch.propagation import propagate
    from orbitwatch.store.shared import data_version
    from orbitwatch.timeutil import datetime_to_jd, iso_z

    t = time or datetime.now(UTC)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    partner = audit.principal.partner
    ids, regimes, catalog, lock = audit.request.app.state.selections.get(
        ("positions", partner), data_version(audit.db), lambda: _visible_catalog(audit.db, partner)
    )
    data: list[dict] = []
    if len(ids):
        idx = np.arange(len(ids))
        if regime:
            idx = np.flatnonzero(regimes == regime.strip().upper())
        idx = idx[:limit]
        jd, fr = datetime_to_jd(t)
        # the cached Satrec objects are shared between requests; SGP4 keeps
        # integrator state in them (deep-space resonance), so one at a time
        with lock:
            prop = propagate(catalog.subset(idx) if len(idx) < len(ids) else catalog, jd, fr)
        geo = prop.geodetic()
        lat = np.round(geo.lat_deg[:, 0], 4)
        lon = np.round(geo.lon_deg[:, 0], 4)
        alt = np.round(geo.alt_km[:, 0], 2)
        ok = (prop.error[:, 0] == 0) & np.isfinite(lat)
        for k in np.flatnonzero(ok).tolist():
            data.append({"norad_id": int(ids[idx[k]]), "lat_deg": float(lat[k]),
                         "lon_deg": float(lon[k]), "alt_km": float(alt[k]),
                         "regime": regimes[idx[k]]})
    audit("read", "element_sets", [d["norad_id"] for d in data])
    # built directly (no per-row model validation): this is the dashboard's largest answer
    return JSONResponse({"time": iso_z(t), "data": data, "count": len(data)})


def _visible_catalog(db, partner: str):
    """(norad ids, regimes, CatalogArray, lock) of the newest element set ``partner`` may see
    of each object; cached per partner and data version."""
    from orbitwatch.orbit import classify_regimes, perigee_apogee_km, period_min
    from orbitwatch.propagation import CatalogArray
    from orbitwatch.store.catalog import latest_element_sets

    sets = latest_element_sets(db, visible_to=partner)
    if not sets:
        return np.array([], dtype=np.int64), np.array([], dtype=object), None, threading.Lock()
    n = np.array([s.mean_motion_rev_day for s in sets])
    e = np.array([s.eccentricity for s in sets])
    inc = np.array([s.inclination_deg for s in sets])
    _, apo = perigee_apogee_km(n, e, inc)
    regimes = np.asarray(classify_regimes(period_min(n), e, apo), dtype=object)
    ids = np.array([s.norad_id for s in sets], dtype=np.int64)
    return ids, regimes, CatalogArray.from_objects(sets), threading.Lock()
