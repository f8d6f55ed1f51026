"""``/api/v1/sensors``: sensor sites the caller may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orbitwatch.service.deps import Audit, Paging, audit_for, paging
from orbitwatch.service.schemas import Page, SensorOut
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1/sensors", tags=["sensors"])


@router.get("", response_model=Page[SensorOut], summary="List visible sensors")
def list_sensors(page: Paging = Depends(paging), audit: Audit = Depends(audit_for("viewer"))):
    rows, total = shared.list_sensors(
        audit.db, visible_to=audit.principal.partner, limit=page.limit, offset=page.offset
    )
    audit("read", "sensors", [r["id"] for r in rows])
    return {"data": rows, "count": total}
