"""``/api/v1/partners`` (admin) and ``/api/v1/me`` (who the token speaks for)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orbitwatch.service.auth import Principal
from orbitwatch.service.deps import Audit, audit_for, get_principal
from orbitwatch.service.schemas import Page, PartnerOut, WhoAmI
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1", tags=["partners"])


@router.get("/partners", response_model=Page[PartnerOut], summary="Partners (admin)")
def list_partners(audit: Audit = Depends(audit_for("admin"))):
    rows = shared.list_partners(audit.db)
    audit("read", "partners", [r["code"] for r in rows])
    return {"data": rows, "count": len(rows)}


@router.get("/me", response_model=WhoAmI, summary="The caller's partner and role")
def whoami(principal: Principal = Depends(get_principal)):
    return {"partner": principal.partner, "role": principal.role, "token_id": principal.token_id}
