"""Service test fixtures: a seeded store on SQLite and on PostgreSQL, and an API client.

PostgreSQL runs in a fresh schema per test session (dropped afterwards) so that
other tests sharing the ``test`` database are not disturbed; the PostgreSQL
variants are skipped with the reason when the server is unreachable.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import POSTGRES_URL
from tests.service.seeding import seed


def _pg_schema_url() -> tuple[str, str]:
    import sqlalchemy as sa

    schema = f"ow_svc_{uuid.uuid4().hex[:10]}"
    try:
        eng = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with eng.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}: {exc}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(POSTGRES_URL)
    with eng.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()


def fresh_db(kind: str, tmp_path_factory):
    """Generator: a fresh, empty database URL of ``kind`` (sqlite/postgres), removed after."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('svc') / 'service.db'}"
        return
    url, schema = _pg_schema_url()
    yield url
    _drop_schema(schema)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def db_url(request, tmp_path_factory):
    """A fresh, empty database URL per backend (migrated on first open)."""
    yield from fresh_db(request.param, tmp_path_factory)


def seeded(url: str):
    from orbitwatch.store import shared_models  # noqa: F401
    from orbitwatch.store.db import open_engine

    engine = open_engine(url)
    try:
        return seed(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def world(db_url):
    """The seeded three-partner world (see tests/service/seeding.py); read-only tests."""
    return seeded(db_url)


@pytest.fixture(scope="session")
def client(db_url, world):
    from fastapi.testclient import TestClient

    from orbitwatch.service.app import create_app
    from orbitwatch.service.settings import ServiceSettings

    app = create_app(db_url, settings=ServiceSettings(stream_poll_s=0.05))
    with TestClient(app) as c:
        yield c


def auth(world, partner: str, role: str = "viewer") -> dict:
    return {"Authorization": f"Bearer {world.tokens[(partner, role)]}"}
