"""``/api/v1/events``: maneuvers, proximity events, breakups and analysts' findings."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Query

from orbitwatch.service.deps import Audit, Paging, audit_for, not_found, paging
from orbitwatch.service.routes.ingest import check_releasable
from orbitwatch.service.schemas import EventIn, EventOut, Page
from orbitwatch.store import shared
from orbitwatch.store.shared_models import EVENT_KINDS

router = APIRouter(prefix="/api/v1/events", tags=["events"])


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@router.get("", response_model=Page[EventOut], summary="Event and finding timeline")
def list_events(
    kind: str | None = Query(None, description="maneuver, proximity, breakup, geo_relocation, finding or notice"),
    norad_id: int | None = Query(None),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    superseded: bool = Query(False, description="also the records a later run replaced or withdrew"),
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("viewer")),
):
    """Visible events, newest first: the current ones (what the newest run derived,
    and what people posted) unless ``superseded``."""
    if kind and kind not in EVENT_KINDS:
        raise HTTPException(422, detail=f"kind {kind!r}: use one of {', '.join(EVENT_KINDS)}")
    rows, total = shared.list_events(
        audit.db, visible_to=audit.principal.partner, kind=kind, norad_id=norad_id,
        since=_aware(since), until=_aware(until), limit=page.limit, offset=page.offset,
        superseded=superseded,
    )
    audit("read", "events", [r["id"] for r in rows])
    return {"data": rows, "count": total}


@router.get("/{event_id}", response_model=EventOut, summary="One event")
def get_event(event_id: int, audit: Audit = Depends(audit_for("viewer"))):
    row = shared.get_event(audit.db, event_id=event_id, visible_to=audit.principal.partner)
    if row is None:
        audit("read", "events", [], count=0, status=404)
        raise not_found(f"event {event_id}")
    audit("read", "events", [event_id])
    return row


@router.post("", response_model=EventOut, status_code=201, summary="Contribute a finding or event")
def post_event(body: EventIn, audit: Audit = Depends(audit_for("analyst"))):
    """An event of a kind the norms judge must hold what they read (the fields of
    ``orbitwatch.norms.rules.RECORD_FIELDS`` in ``payload``; a notice may take its
    object and time from ``norad_id`` and ``time``), else 422 naming the field."""
    if body.kind != "finding":
        from orbitwatch.norms.rules import record_problem
        from orbitwatch.store.events import as_record

        problem = record_problem(as_record({"kind": body.kind, "payload": body.payload,
                                            "norad_id": body.norad_id, "time": _aware(body.time)}))
        if problem:
            raise HTTPException(422, detail=f"payload: {problem}")
    rel = check_releasable(audit.db, body.releasable_to, audit.principal.partner)
    with audit.writing() as db:
        eid = shared.add_event(
            db, kind=body.kind, time=_aware(body.time), norad_id=body.norad_id, title=body.title,
            payload=body.payload, partner=audit.principal.partner, releasable_to=rel,
        )
        audit("write", "events", [eid], commit=False)
    return shared.get_event(audit.db, event_id=eid, visible_to=audit.principal.partner)
