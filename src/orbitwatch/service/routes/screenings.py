"""``/api/v1/screenings``: start a conjunction screening job and follow it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException

from orbitwatch.service.deps import Audit, Paging, audit_for, not_found, paging
from orbitwatch.service.routes.ingest import check_releasable
from orbitwatch.service.schemas import Page, ScreeningIn, ScreeningOut
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1/screenings", tags=["screenings"])


@router.post("", response_model=ScreeningOut, status_code=202, summary="Start a screening job")
def start_screening(body: ScreeningIn, audit: Audit = Depends(audit_for("analyst"))):
    """Queue a screening of the newest element sets the caller may see.

    Results are stored as conjunctions contributed by the caller's partner,
    releasable as ``releasable_to`` says (default: own partner only).
    Follow it with ``GET /api/v1/screenings/{id}``."""
    from orbitwatch.store.catalog import latest_element_sets
    from orbitwatch.timeutil import iso_z

    app = audit.request.app
    s = app.state.settings
    who = audit.principal
    if body.span_s > s.max_screening_span_s:
        raise HTTPException(422, detail=f"span_s above the limit of {s.max_screening_span_s:g} s")
    rel = check_releasable(audit.db, body.releasable_to, who.partner)
    ids = sorted(set(body.ids)) if body.ids else None
    prim = sorted(set(body.primaries)) if body.primaries else None
    if ids is not None and prim:
        ids = sorted(set(ids) | set(prim))
    if prim:
        seen = {e.norad_id for e in latest_element_sets(audit.db, ids=prim, visible_to=who.partner)}
        missing = [i for i in prim if i not in seen]
        if missing:
            raise HTTPException(422, detail=f"primary object(s) not found: {missing}")
    start = body.start or datetime.now(UTC)
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    params = {
        "start": iso_z(start), "span_s": body.span_s, "threshold_km": body.threshold_km,
        "primaries": prim, "ids": ids,
    }
    with audit.writing() as db:
        job_id = shared.create_job(
            db, params=params, partner=who.partner, releasable_to=rel, token_id=who.token_id
        )
        audit("write", "screenings", [job_id], commit=False)
    from orbitwatch.service.jobs import run_screening_job

    app.state.executor.submit(run_screening_job, app.state, job_id)
    return shared.get_job(audit.db, job_id=job_id, visible_to=who.partner)


@router.get("", response_model=Page[ScreeningOut], summary="List visible screening jobs")
def list_screenings(page: Paging = Depends(paging), audit: Audit = Depends(audit_for("viewer"))):
    rows, total = shared.list_jobs(
        audit.db, visible_to=audit.principal.partner, limit=page.limit, offset=page.offset
    )
    audit("read", "screenings", [r["id"] for r in rows])
    return {"data": rows, "count": total}


@router.get("/{job_id}", response_model=ScreeningOut, summary="Progress and results of a job")
def get_screening(job_id: int, audit: Audit = Depends(audit_for("viewer"))):
    who = audit.principal
    job = shared.get_job(audit.db, job_id=job_id, visible_to=who.partner)
    if job is None:
        audit("read", "screenings", [], count=0, status=404)
        raise not_found(f"screening {job_id}")
    conj, _ = shared.list_conjunctions(
        audit.db, visible_to=who.partner, screening_id=job_id, limit=1000, sort="risk"
    )
    job["conjunctions"] = conj
    audit("read", "screenings", [job_id])
    return job
