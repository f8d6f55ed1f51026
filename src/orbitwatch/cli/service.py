"""orbitwatch CLI commands of the combined-operations service: serve, partner add, token create."""

from __future__ import annotations

import typer

from orbitwatch.cli.app import DB_HELP, app, err, fail, out

partner_app = typer.Typer(help="Manage partners (who contributes and who may see records).",
                          no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(token_app, name="token")


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
