"""``/api/v1/uploads``: files uploaded to ``POST /api/v1/ingest`` that the caller may see
(name, size, SHA-256, format, counts, outcome; the content itself is not kept)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orbitwatch.service.deps import Audit, Paging, audit_for, paging
from orbitwatch.service.schemas import Page, UploadOut
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1/uploads", tags=["ingest"])


@router.get("", response_model=Page[UploadOut], summary="List visible uploads")
def list_uploads(page: Paging = Depends(paging), audit: Audit = Depends(audit_for("viewer"))):
    rows, total = shared.list_uploads(
        audit.db, visible_to=audit.principal.partner, limit=page.limit, offset=page.offset
    )
    audit("read", "uploads", [r["id"] for r in rows])
    return {"data": rows, "count": total}
