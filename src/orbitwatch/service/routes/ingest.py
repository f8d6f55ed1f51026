"""``POST /api/v1/ingest``: upload an element-set or SATCAT file (analyst or admin).

The file (multipart field ``file``; TLE/3LE, OMM KVN/XML/JSON/CSV, SATCAT CSV,
optionally gzip/xz/bzip2-compressed) is parsed by the same readers as
``orbitwatch ingest`` and stored with :func:`orbitwatch.store.catalog.ingest_parse_result`
in one transaction, contributed by the caller's partner and releasable as the
form field ``releasable_to`` says (``CODE,CODE`` or ``ALL``; default: the
caller's partner only).

Outcomes
--------
* 200: stored; counts read / new / duplicate / rejected.
* 400: not a supported format (or undecodable/corrupt compression): nothing stored.
* 422: at least one record was rejected and ``on_error=reject`` (the default):
  **nothing** is stored; ``messages`` lists every rejected record as
  ``FILE:LINE: FIELD: MESSAGE``, exactly as the CLI prints them.  With
  ``on_error=skip`` the valid records are stored (200) and the rejected ones
  are listed.
* 413: larger than the configured limit.
"""

from __future__ import annotations

import bz2
import gzip
import lzma

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from orbitwatch.service.deps import Audit, audit_for
from orbitwatch.service.schemas import IngestOut

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])


def _decompress(data: bytes, name: str) -> bytes:
    from orbitwatch.elements import FormatError

    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.decompress(data)
        if data[:6] == b"\xfd7zXZ\x00":
            return lzma.decompress(data)
        if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
            return bz2.decompress(data)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise FormatError(f"{name}: compressed data is corrupt or truncated ({exc}).") from exc
    return data


def _messages(errors) -> list[dict]:
    return [
        {"file": e.file, "line": e.line, "field": e.field, "message": e.message, "text": str(e)}
        for e in errors
    ]


def check_releasable(db, value: str | None, own: str) -> str:
    """Normalised ``releasable_to`` naming only known partners (422 otherwise)."""
    from orbitwatch.store.catalog import normalize_releasable_to
    from orbitwatch.store.shared import list_partners

    try:
        rel = normalize_releasable_to(value if value not in (None, "") else own)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from exc
    if rel != "ALL":
        known = {p["code"] for p in list_partners(db)}
        unknown = [c for c in rel.split(",") if c not in known]
        if unknown:
            raise HTTPException(422, detail=f"releasable_to names unknown partner(s): {', '.join(unknown)}")
    return rel


@router.post(
    "",
    response_model=IngestOut,
    summary="Upload an element-set or SATCAT file",
    responses={400: {"description": "unsupported format"}, 422: {"description": "rejected records"}},
)
def ingest(
    file: UploadFile = File(..., description="TLE/3LE, OMM (KVN/XML/JSON/CSV) or SATCAT CSV, optionally compressed"),
    releasable_to: str | None = Form(None, description="CODE,CODE or ALL (default: own partner only)"),
    on_error: str = Form("reject", description="reject: store nothing when a record is bad; skip: store the good ones"),
    source: str | None = Form(None, description="data source name (default: the partner code)"),
    audit: Audit = Depends(audit_for("analyst")),
):
    from orbitwatch.elements import FormatError, parse_text
    from orbitwatch.elements.reader import decode_text
    from orbitwatch.store.catalog import ingest_parse_result
    from orbitwatch.store.shared import add_upload

    if on_error not in ("reject", "skip"):
        raise HTTPException(422, detail="on_error must be 'reject' or 'skip'")
    db, who = audit.db, audit.principal
    rel = check_releasable(db, releasable_to, who.partner)
    name = (file.filename or "upload").replace("/", "_").replace("\\", "_")
    limit = audit.request.app.state.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, detail=f"{name}: larger than {limit} bytes")

    def rejected(status: int, detail: str, *, fmt=None, read=0, n_rejected=0, messages=()):
        with audit.writing():
            uid = add_upload(
                db, filename=name, data=data, outcome="rejected", partner=who.partner,
                releasable_to=rel, format=fmt, read=read, rejected=n_rejected,
            )
            audit("write", "uploads", [uid], status=status, commit=False)
        body = {
            "detail": detail, "upload_id": uid, "file": name, "format": fmt, "read": read,
            "new": 0, "duplicate": 0, "rejected": n_rejected, "stored": False,
            "partner": who.partner, "releasable_to": rel, "messages": list(messages),
        }
        return JSONResponse(status_code=status, content=body)

    try:
        result = parse_text(decode_text(_decompress(data, name)), name)
    except FormatError as exc:
        return rejected(400, str(exc))
    messages = _messages(result.errors)
    if result.errors and on_error == "reject":
        return rejected(
            422,
            f"{name}: {len(result.errors)} record(s) rejected; nothing stored "
            "(send on_error=skip to store the valid records)",
            fmt=result.format, read=result.read, n_rejected=len(result.errors), messages=messages,
        )
    try:
        with audit.writing():
            counts = ingest_parse_result(
                db.connection(), result, source=source, partner=who.partner, releasable_to=rel
            )
            uid = add_upload(
                db, filename=name, data=data, outcome="accepted", partner=who.partner,
                releasable_to=rel, format=counts.format, ingest_id=counts.ingest_id,
                read=counts.read, new=counts.new, duplicate=counts.duplicate,
                rejected=counts.rejected,
            )
            audit("write", "element_sets", [uid], count=counts.new, commit=False)
    except ValueError as exc:
        return rejected(422, f"{name}: {exc}", fmt=result.format, read=result.read)
    return {
        "upload_id": uid, "file": name, "format": counts.format, "read": counts.read,
        "new": counts.new, "duplicate": counts.duplicate, "rejected": counts.rejected,
        "stored": True, "partner": who.partner, "releasable_to": rel, "messages": messages,
    }
