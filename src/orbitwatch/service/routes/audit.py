"""``/api/v1/audit`` (admin): every read and write of shared records through the API.

An admin sees the entries of its own partner's users (who, when, method,
path, resource, record ids, status): the ids another partner read may
themselves not be releasable to the admin's partner.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query

from orbitwatch.service.deps import Audit, Paging, audit_for, paging
from orbitwatch.service.schemas import AuditOut, Page
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=Page[AuditOut], summary="Audit log (admin)")
def list_audit(
    resource: str | None = Query(None),
    action: str | None = Query(None, description="read or write"),
    since: datetime | None = Query(None),
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("admin")),
):
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows, total = shared.list_audit(
        audit.db, partner=audit.principal.partner, resource=resource, action=action,
        since=since, limit=page.limit, offset=page.offset,
    )
    audit("read", "audit", [r["id"] for r in rows])
    return {"data": rows, "count": total}
