"""Opening the store: URL resolution, SQLite settings, idempotent migration."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from orbitwatch.store import db


def test_resolve_db_url(monkeypatch, tmp_path):
    monkeypatch.delenv(db.ENV_DB, raising=False)
    monkeypatch.setattr(db, "default_db_path", lambda: tmp_path / "data" / "orbitwatch.db")
    assert db.resolve_db_url(None) == f"sqlite:///{tmp_path / 'data' / 'orbitwatch.db'}"
    monkeypatch.setenv(db.ENV_DB, "postgresql+psycopg://u@h/d")
    assert db.resolve_db_url(None) == "postgresql+psycopg://u@h/d"
    assert db.resolve_db_url("sqlite:///x.db") == "sqlite:///x.db"  # --db wins over the env
    rel = db.resolve_db_url("some/file.db")  # a bare path is a SQLite file, made absolute
    assert rel == f"sqlite:///{Path('some/file.db').resolve()}"


def test_default_path_is_in_user_data_dir(monkeypatch):
    from platformdirs import user_data_dir

    monkeypatch.delenv(db.ENV_DB, raising=False)
    assert db.default_db_path() == Path(user_data_dir("orbitwatch")) / "orbitwatch.db"


def test_sqlite_wal_foreign_keys_and_migration_once(tmp_path):
    path = tmp_path / "deep" / "dir" / "o.db"  # parent directories are created
    engine = db.open_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert db.is_current(engine)
    finally:
        engine.dispose()
    assert path.exists()
    # a second open does not migrate again (no-op) and sees the same revision
    calls = []
    real = db.upgrade
    try:
        db.upgrade = lambda *a, **k: calls.append(a)
        db.open_engine(f"sqlite:///{path}").dispose()
    finally:
        db.upgrade = real
    assert calls == []


def test_sqlite_transactions_include_reads(tmp_path):
    """BEGIN is explicit, so a transaction that reads first sees a stable snapshot."""
    engine = db.open_engine(f"sqlite:///{tmp_path / 't.db'}")
    try:
        with engine.connect() as a, engine.connect() as b:
            with a.begin():
                before = a.execute(text("SELECT count(*) FROM partners")).scalar()
                # another connection commits meanwhile (thread: separate sqlite connection)
                def write():
                    with b.begin():
                        b.execute(text("INSERT INTO partners (code, name) VALUES ('XX', 'x')"))

                t = threading.Thread(target=write)
                t.start()
                t.join()
                again = a.execute(text("SELECT count(*) FROM partners")).scalar()
            assert before == again == 0
            assert a.execute(text("SELECT count(*) FROM partners")).scalar() == 1
    finally:
        engine.dispose()
