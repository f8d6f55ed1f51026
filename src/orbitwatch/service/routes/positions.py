"""``/api/v1/positions``: where every visible object is at one instant (for the globe)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from fastapi import APIRouter, Depends, Query

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
    from orbitwatch.orbit import classify_regimes, perigee_apogee_km, period_min
    from orbitwatch.propagation import propagate
    from orbitwatch.store.catalog import latest_element_sets
    from orbitwatch.timeutil import datetime_to_jd

    t = time or datetime.now(UTC)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    sets = latest_element_sets(audit.db, visible_to=audit.principal.partner)
    data: list[dict] = []
    if sets:
        n = np.array([s.mean_motion_rev_day for s in sets])
        e = np.array([s.eccentricity for s in sets])
        inc = np.array([s.inclination_deg for s in sets])
        _, apo = perigee_apogee_km(n, e, inc)
        regimes = classify_regimes(period_min(n), e, apo)
        keep = np.ones(len(sets), bool)
        if regime:
            keep = np.array([r == regime.strip().upper() for r in regimes])
        idx = np.flatnonzero(keep)[:limit]
        chosen = [sets[i] for i in idx]
        jd, fr = datetime_to_jd(t)
        prop = propagate(chosen, jd, fr)
        geo = prop.geodetic()
        ok = (prop.error[:, 0] == 0) & np.isfinite(geo.lat_deg[:, 0])
        for k in np.flatnonzero(ok):
            data.append(
                {
                    "norad_id": chosen[k].norad_id,
                    "lat_deg": round(float(geo.lat_deg[k, 0]), 4),
                    "lon_deg": round(float(geo.lon_deg[k, 0]), 4),
                    "alt_km": round(float(geo.alt_km[k, 0]), 2),
                    "regime": regimes[idx[k]],
                }
            )
    audit("read", "element_sets", [d["norad_id"] for d in data])
    return {"time": t, "data": data, "count": len(data)}
