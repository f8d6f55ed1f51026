"""orbitwatch CLI commands of the combined-operations service: serve, partner, token, audit."""

from __future__ import annotations

import typer

from orbitwatch.cli.app import DB_HELP, app, err, fail, out

partner_app = typer.Typer(help="Manage partners (who contributes and who may see records).",
                          no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The service's audit log (retention).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@app.command("serve")
def serve(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Run the API and dashboard (FastAPI under uvicorn); Ctrl-C stops it.

    Open http://HOST:PORT/ for the dashboard, /docs for the API reference.
    Every API call needs a token: see 'orbitwatch token create'.
    """
    import uvicorn

    from orbitwatch.service.app import create_app

    try:
        application = create_app(db)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot open the database: {exc}")
    err.print(f"orbitwatch service on http://{host}:{port}/ (database: "
              f"{application.state.engine.url.render_as_string(hide_password=True)})",
              highlight=False)
    uvicorn.run(application, host=host, port=port, log_level=log_level)


@partner_app.command("add")
def partner_add(
    code: str = typer.Argument(..., help="Short partner code, e.g. US, FR, JP."),
    name: str = typer.Argument(..., help="Full name."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Add a partner (or rename an existing one)."""
    from orbitwatch.store import shared_models  # noqa: F401
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared import add_partner

    try:
        with open_session(db) as session:
            row = add_partner(session, code=code, name=name)
            session.commit()
    except ValueError as exc:
        fail(str(exc), 2)
    out.print(f"partner {row['code']}: {row['name']}", highlight=False, markup=False)


@partner_app.command("list")
def partner_list(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List partners."""
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared import list_partners

    with open_session(db) as session:
        for row in list_partners(session):
            out.print(f"{row['code']}\t{row['name'] or ''}", highlight=False, markup=False)


@token_app.command("create")
def token_create(
    partner: str = typer.Option(..., "--partner", help="Partner code the token speaks for."),
    role: str = typer.Option(..., "--role", help="viewer, analyst or admin."),
    label: str | None = typer.Option(None, "--label", help="Who or what the token is for."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Create an API token and print it once (only its SHA-256 digest is stored)."""
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared import create_token

    try:
        with open_session(db) as session:
            token, info = create_token(session, partner=partner, role=role, label=label)
            session.commit()
    except ValueError as exc:
        fail(str(exc), 2)
    err.print(f"token {info.id} for partner {info.partner}, role {info.role} "
              "(shown once; store it safely):", highlight=False)
    out.print(token, highlight=False, markup=False)


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="Token id (printed by 'token create')."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Revoke a token: it gets 401 from then on."""
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared import revoke_token

    with open_session(db) as session:
        ok = revoke_token(session, token_id=token_id)
        session.commit()
    if not ok:
        fail(f"no live token with id {token_id}", 2)
    out.print(f"token {token_id} revoked", highlight=False)


@audit_app.command("prune")
def audit_prune(
    before: str | None = typer.Option(None, "--before", help="Remove entries older than this instant (ISO-8601 UTC)."),
    older_than_days: float | None = typer.Option(
        None, "--older-than-days", help="Remove entries older than this many days."
    ),
    archive: str | None = typer.Option(
        None, "--archive",
        help="Write the removed entries here first, one JSON object per line (.gz: compressed). "
             "The file must not exist.",
    ),
    no_archive: bool = typer.Option(False, "--no-archive", help="Remove without keeping a copy."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Apply a retention period to the audit log: archive old entries, then remove them.

    The archive is written and synced to disk before the removal is committed:
    an interrupted run leaves every entry in the database (and at worst also in
    the archive).  The prune itself is recorded in the audit log.
    """
    import gzip
    import json
    import math
    import os
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from orbitwatch.store.db import SQLITE_BEGIN_OPTION, open_engine
    from orbitwatch.store.shared import record_audit, take_audit_before
    from orbitwatch.timeutil import iso_z, parse_iso

    if (before is None) == (older_than_days is None):
        fail("give exactly one of --before and --older-than-days", 2)
    if (archive is None) == (not no_archive):
        fail("give --archive FILE, or --no-archive to remove entries without a copy", 2)
    now = datetime.now(UTC)
    if older_than_days is not None and not math.isfinite(older_than_days):
        fail("--older-than-days: must be a finite number of days", 2)
    try:
        cutoff = parse_iso(before) if before is not None else now - timedelta(days=float(older_than_days))
    except ValueError as exc:
        fail(f"--before: {exc}", 2)
    if older_than_days is not None and older_than_days < 0:
        fail("--older-than-days: must not be negative", 2)
    if cutoff > now:
        fail(f"--before: {iso_z(cutoff, 0)} is in the future; only past entries can be pruned", 2)
    path = Path(archive) if archive else None
    if path is not None and path.exists():
        fail(f"{path}: exists; the archive is never overwritten", 2)
    part = path.with_name(path.name + ".part") if path is not None else None
    fh = None
    archived = False  # the archive is in place (before the commit)
    if part is not None:
        fh = gzip.open(part, "wt", encoding="utf-8") if path.suffix == ".gz" else open(part, "w", encoding="utf-8")

    def sink(rows: list[dict]) -> None:
        if fh is None:
            return
        for r in rows:
            fh.write(json.dumps({**r, "at": iso_z(r["at"])}, separators=(",", ":")) + "\n")

    engine = None
    try:
        engine = open_engine(db)
        # a write transaction from the start (SQLite: BEGIN IMMEDIATE): the service's
        # own audit writes wait for it instead of failing it half-way
        with engine.connect() as conn0:
            session = conn0.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            session.begin()
            n = take_audit_before(session, cutoff, sink)
            if fh is not None:
                fh.flush()
                fh.close()
                with open(part, "rb+") as raw:  # the archive reaches the disk before the commit
                    os.fsync(raw.fileno())
                part.replace(path)
                fh, archived = None, True
            record_audit(
                session, partner=None, token_id=None, role=None, action="write", method="CLI",
                path=f"orbitwatch audit prune --before {iso_z(cutoff, 0)}"
                     + (f" --archive {path}" if path else " --no-archive"),
                resource="audit", count=n,
            )
            session.commit()
    except Exception as exc:  # noqa: BLE001
        if fh is not None:
            fh.close()
        if part is not None and part.exists():
            part.unlink()
        kept = f"; {path} holds copies of entries that are still in the database" if archived else ""
        fail(f"audit prune failed, nothing removed: {exc}{kept}")
    finally:
        if engine is not None:
            engine.dispose()
    where = f", archived to {path}" if path else ""
    out.print(f"{n} audit entries before {iso_z(cutoff, 0)} removed{where}", highlight=False)
