"""Store fixtures: one database per test, on SQLite and on PostgreSQL.

PostgreSQL tests run in a schema of their own (``ow_test_<random>``), created
before and dropped after each test, so runs are isolated and repeatable on the
machine's persistent server (CI shares it).  They skip, naming the URL and the
reason, only when no server answers.
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, shared_path


@lru_cache(maxsize=1)
def _postgres_problem() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


def _admin_conninfo() -> str:
    from sqlalchemy.engine import make_url

    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(
        hide_password=False
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, empty database URL (not yet migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    problem = _postgres_problem()
    if problem:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})")
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"ow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def engine(db_url):
    from orbitwatch.store.db import open_engine

    eng = open_engine(db_url)
    yield eng
    eng.dispose()


KEEPTRACK_2018 = ("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")


def write_keeptrack_subset(dest: Path, n: int = 300, fmt: str = "3le") -> list[dict]:
    """The first ``n`` objects of keeptrack's 2018-08-20 catalog as 3LE text or JSON."""
    records = json.loads(shared_path(*KEEPTRACK_2018).read_text())[:n]
    if fmt == "json":
        dest.write_text(json.dumps(records))
    else:
        dest.write_text("".join(f"{r['ON']}\n{r['TLE1']}\n{r['TLE2']}\n" for r in records))
    return records


@pytest.fixture
def keeptrack_3le(tmp_path) -> Path:
    path = tmp_path / "keeptrack_subset.3le"
    write_keeptrack_subset(path)
    return path
