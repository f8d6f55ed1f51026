"""``GET /api/v1/stream``: server-sent events of new conjunctions and events, per caller.

Each new record the caller may see is sent once, as ``event: conjunction`` or
``event: event`` with the record as JSON ``data``; a stored conjunction that a
rerun re-assessed (a new miss distance or Pc under the same id) is sent again
with its new values.  When a later derivation
revises or withdraws a record the caller may see (``orbitwatch run`` over a
grown history, see docs/norms.md "Revisions"), ``event: superseded`` says so:
``id``, ``kind``, ``norad_id``, ``time``, ``superseded_at`` and
``superseded_by`` (the replacing record, which also arrives as an ``event``
naming it in ``supersedes``; null when the record was withdrawn or its
replacement is one the caller may not see).  Every message has an ``id`` of
the form ``C:E:S`` (the newest conjunction feed number -- its id unless it
was re-assessed --, event id and supersession number sent so far).  A client that reconnects with ``Last-Event-ID`` (or
``?since=C:E:S``) gets what it missed; a cursor of two parts (``C:E``, from
before supersessions were streamed) resumes the records and starts the
supersessions at the newest.  Without either, the stream starts at the newest
records (sends only new ones).
Comment lines (``: keep-alive``) are sent every 15 s.  ``timeout_s`` closes
the stream after that many seconds (for scripts and tests).

Writers of these tables take a lock (``store.shared.lock_feed``) so that ids
and feed numbers increase in commit order and the cursor skips nothing.  The stream polls the
database (``ORBITWATCH_STREAM_POLL_S``, default 1 s), so
records written by any process -- the CLI, another service instance, a
screening job -- reach every subscriber the releasability rules allow.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from orbitwatch.service.auth import Principal
from orbitwatch.service.deps import principal_now
from orbitwatch.service.schemas import ConjunctionOut, EventOut, SupersededOut
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1/stream", tags=["stream"])


def _parse_cursor(text: str | None) -> tuple[int, int, int | None] | None:
    if not text:
        return None
    try:
        parts = [max(0, int(x or 0)) for x in text.split(":")]
    except ValueError as exc:
        raise HTTPException(
            422, detail=f"cursor {text!r}: expected C:E:S (three integers)") from exc
    if not 1 <= len(parts) <= 3:
        raise HTTPException(422, detail=f"cursor {text!r}: expected C:E:S (three integers)")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return parts[0], (parts[1] if len(parts) == 2 else 0), None


def _poll(state, principal: Principal, cursor: tuple[int, int, int | None] | None):
    """(new conjunctions, new events, supersessions, cursor) for the caller; audited
    when anything is sent."""
    with state.sessions() as db:
        if cursor is None:
            return [], [], [], shared.stream_cursor(db)
        if cursor[2] is None:  # a cursor from before supersessions were streamed
            cursor = (cursor[0], cursor[1], shared.stream_cursor(db)[2])
        conj, ev = shared.new_records(
            db, visible_to=principal.partner, after_conjunction=cursor[0], after_event=cursor[1]
        )
        sup = shared.new_supersessions(db, visible_to=principal.partner, after=cursor[2])
    if conj or ev or sup:
        with state.write_lock, state.sessions() as db:
            for resource, rows in (("conjunctions", conj), ("events", ev + sup)):
                if rows:
                    shared.record_audit(
                        db, partner=principal.partner, token_id=principal.token_id,
                        role=principal.role, action="read", method="GET", path="/api/v1/stream",
                        resource=resource, record_ids=sorted({r["id"] for r in rows}),
                    )
            db.commit()
    c = max([cursor[0], *(r["feed_seq"] for r in conj)])
    e = max([cursor[1], *(r["id"] for r in ev)])
    s_ = max([cursor[2], *(r["superseded_seq"] for r in sup)])
    return conj, ev, sup, (c, e, s_)


@router.get(
    "",
    summary="Live stream (server-sent events) of new conjunctions and events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    since: str | None = Query(
        None, description="resume after cursor C:E:S (0:0:0 = everything visible)"),
    timeout_s: float | None = Query(None, gt=0, description="close the stream after this long"),
    last_event_id: str | None = Header(None),
    authorization: str | None = Header(None, description="Bearer TOKEN"),
):
    principal = principal_now(request, authorization)
    state = request.app.state
    cursor = _parse_cursor(since) or _parse_cursor(last_event_id)
    poll_s = state.settings.stream_poll_s
    keepalive_s = state.settings.stream_keepalive_s

    async def gen():
        nonlocal cursor
        t0 = last_sent = time.monotonic()
        if cursor is None:  # start from now, before the client is told the stream is open
            _, _, _, cursor = await run_in_threadpool(_poll, state, principal, None)
        start = "newest" if cursor[2] is None else cursor[2]
        yield f": orbitwatch stream from {cursor[0]}:{cursor[1]}:{start}\n\n"
        while True:
            conj, ev, sup, cursor = await run_in_threadpool(_poll, state, principal, cursor)
            tag = f"{cursor[0]}:{cursor[1]}:{cursor[2]}"
            for kind, rows, model in (("conjunction", conj, ConjunctionOut), ("event", ev, EventOut),
                                      ("superseded", sup, SupersededOut)):
                for r in rows:
                    data = model.model_validate(r).model_dump_json()
                    yield f"id: {tag}\nevent: {kind}\ndata: {data}\n\n"
                    last_sent = time.monotonic()
            now = time.monotonic()
            if timeout_s is not None and now - t0 >= timeout_s:
                return
            if now - last_sent >= keepalive_s:
                yield ": keep-alive\n\n"
                last_sent = now
            if await request.is_disconnected():
                return
            await asyncio.sleep(poll_s if timeout_s is None else min(poll_s, max(0.01, timeout_s - (now - t0))))

    return StreamingResponse(
        gen(), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


