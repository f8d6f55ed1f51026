"""The FastAPI application of the combined-operations service.

:func:`create_app` builds the app for one database: it opens (and migrates)
the store, mounts one router per resource under ``/api/v1``, the dashboard at
``/`` (static files from :mod:`orbitwatch.web`), ``/healthz``, and the OpenAPI
document at ``/openapi.json`` with Swagger UI at ``/docs`` served from the
locally installed ``swagger-ui-py`` package (no CDN: partners run
air-gapped).  Without that package ``/docs`` is a plain page pointing at
``/openapi.json``.

``orbitwatch serve`` runs it under uvicorn.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from orbitwatch.service.settings import ServiceSettings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

API_DESCRIPTION = """
Combined space-domain awareness: a shared catalog where every record is seen
only by the partners it is releasable to.

* Authenticate every request with `Authorization: Bearer TOKEN`
  (`orbitwatch token create --partner CODE --role viewer|analyst|admin`).
* A record you may not see is answered exactly as one that does not exist.
* Lists are `{"data": [...], "count": N}`; `count` is the total you may see.
* Times are ISO-8601 UTC with `Z`; distances km, speeds km/s, angles degrees.
"""


def _swagger_dir() -> Path | None:
    """Local Swagger UI files: ``swagger-ui-py`` (Swagger UI 5, reads OpenAPI 3.1), else
    ``swagger-ui-bundle`` (Swagger UI 4), else None."""
    candidates = []
    try:
        import swagger_ui

        candidates.append(Path(swagger_ui.__file__).resolve().parent / "static")
    except ImportError:
        pass
    try:
        import swagger_ui_bundle

        candidates.append(Path(swagger_ui_bundle.swagger_ui_path))
    except ImportError:
        pass
    for p in candidates:
        if (p / "swagger-ui-bundle.js").is_file() and (p / "swagger-ui.css").is_file():
            return p
    return None


def create_app(db: str | None = None, settings: ServiceSettings | None = None) -> FastAPI:
    """The service app for database ``db`` (URL or SQLite path; default: settings / CLI default)."""
    from orbitwatch.store import shared_models  # noqa: F401  (registers the service tables)
    from orbitwatch.store.db import open_engine, session_factory

    settings = settings or ServiceSettings()
    if db is not None:
        settings = settings.model_copy(update={"db": db})
    engine = open_engine(settings.db)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _fail_interrupted_jobs(app)
        try:
            yield
        finally:
            app.state.executor.shutdown(wait=False, cancel_futures=True)
            engine.dispose()

    app = FastAPI(
        title="orbitwatch",
        version=_version(),
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    # SQLite has one writer at a time; serialising this process's writes means a
    # write transaction always starts after the previous one committed.
    app.state.write_lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
    from orbitwatch.service.cache import SelectionCache

    app.state.selections = SelectionCache()
    # catalog indexes of primaries screening jobs (service/jobs.py), ~25 MB a day of a
    # full catalog each
    app.state.indexes = SelectionCache(maxsize=4)
    app.state.executor = ThreadPoolExecutor(
        max_workers=max(1, settings.screening_threads), thread_name_prefix="screening"
    )

    from orbitwatch.service.routes import (
        audit,
        conjunctions,
        events,
        ingest,
        objects,
        partners,
        positions,
        screenings,
        sensors,
        stream,
        uploads,
    )
    from orbitwatch.service.routes import passes, sites, tasking

    for module in (objects, positions, ingest, uploads, conjunctions, events, sensors,
                   screenings, partners, audit, stream, sites, passes, tasking):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"], summary="Liveness and database check")
    def healthz():
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": engine.dialect.name,
                "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    _mount_docs(app)
    _mount_web(app)
    return app


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("orbitwatch")
    except Exception:  # noqa: BLE001
        return "0"


def _mount_docs(app: FastAPI) -> None:
    swagger = _swagger_dir()
    if swagger is not None:
        from fastapi.openapi.docs import get_swagger_ui_html

        app.mount("/docs-static", StaticFiles(directory=swagger), name="docs-static")

        @app.get("/docs", include_in_schema=False)
        def docs():
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="orbitwatch API",
                swagger_js_url="/docs-static/swagger-ui-bundle.js",
                swagger_css_url="/docs-static/swagger-ui.css",
                swagger_favicon_url="/docs-static/favicon-32x32.png",
                swagger_ui_parameters={"persistAuthorization": True},
            )
    else:

        @app.get("/docs", include_in_schema=False)
        def docs_plain():
            return HTMLResponse(
                "<!doctype html><title>orbitwatch API</title><h1>orbitwatch API</h1>"
                "<p>The OpenAPI document is at <a href='/openapi.json'>/openapi.json</a>. "
                "Install the <code>swagger-ui-py</code> package for the interactive page "
                "(served locally, no CDN).</p>"
            )


#: the dashboard may load and contact nothing but this server (partners run air-gapped)
DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _mount_web(app: FastAPI) -> None:
    if not (WEB_DIR / "index.html").is_file():
        return
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="web")

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(
            WEB_DIR / "index.html",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": DASHBOARD_CSP,
                     "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"},
        )


def _fail_interrupted_jobs(app: FastAPI) -> None:
    """Jobs left queued/running by a previous process will never finish: mark them failed."""
    from sqlalchemy import update

    from orbitwatch.store.shared_models import screening_jobs_table as j

    with app.state.write_lock, app.state.sessions() as db:
        db.execute(
            update(j)
            .where(j.c.status.in_(("queued", "running")))
            .values(status="failed", message="interrupted: the service restarted",
                    finished_at=datetime.now(UTC))
        )
        db.commit()
