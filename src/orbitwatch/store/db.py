"""Opening the store: database URL, engine, schema migrations, sessions.

* The default database is a SQLite file, ``orbitwatch.db`` in the user data
  directory (``platformdirs.user_data_dir("orbitwatch")``); ``--db URL`` or the
  environment variable ``ORBITWATCH_DB`` override it.  A bare path is taken as
  a SQLite file.  PostgreSQL is reached with ``postgresql+psycopg://…``.
* SQLite connections run in WAL mode with ``synchronous=NORMAL`` (durable
  across application crashes, fsync at checkpoints) and foreign keys on; new
  files get 8 KiB pages (:data:`SQLITE_PAGE_SIZE`).  The
  driver's implicit transaction handling is switched off and ``BEGIN`` is
  issued explicitly, so that a transaction covers reads as well as writes.
* The schema is owned by the Alembic migrations shipped inside the package
  (``orbitwatch/store/alembic``); :func:`open_engine` upgrades the database to
  the newest revision on first use, so an installed orbitwatch migrates its
  own database.  Processes that open a store needing migration at once take
  turns (see :func:`upgrade`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

ENV_DB = "ORBITWATCH_DB"
ALEMBIC_DIR = Path(__file__).resolve().parent / "alembic"


def default_db_path() -> Path:
    """``orbitwatch.db`` in the user data directory (created on first use)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("orbitwatch")) / "orbitwatch.db"


def resolve_db_url(db: str | None = None) -> str:
    """The database URL to use: ``db``, else ``$ORBITWATCH_DB``, else the default file.

    A value without ``://`` is a path to a SQLite file.
    """
    value = db or os.environ.get(ENV_DB) or ""
    value = value.strip()
    if not value:
        return f"sqlite:///{default_db_path()}"
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    return value


#: page size of new SQLite stores (bytes; SQLite's default is 4096).  An element
#: set row is about 300 bytes, so an 8 KiB page holds twice as many per b-tree
#: node.  It also halves the WAL frames a write produces: a 17,000-set catalog
#: (about 5 MB) then stays below the automatic checkpoint threshold of 1000
#: frames, so its commit does not also run a checkpoint (copy back + two
#: fsyncs, 60-90 ms here); that work happens at a later commit or when the
#: last connection closes.  Existing files keep the page size they were
#: created with (changing it needs a VACUUM outside WAL mode).
SQLITE_PAGE_SIZE = 8192


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # take transaction control away from the sqlite3 module; see _sqlite_begin
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # first: switching a new file to WAL takes a lock, which another process
    # opening the same new store may hold
    cur.execute("PRAGMA busy_timeout=30000")
    # only takes effect while the file is still empty (a new store): see SQLITE_PAGE_SIZE
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    _wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _wal(cur, timeout_s: float = 30.0) -> None:
    """Switch to WAL.  SQLite answers 'database is locked' at once, without
    the busy handler, while another connection switches the same new file (six
    processes opening one new store at once, under load: 1 failure in 80
    trials), so wait here as the busy timeout would."""
    import sqlite3
    import time

    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(0.2, pause * 2)


#: execution option naming the SQLite BEGIN mode of a connection's transactions
#: (``"IMMEDIATE"`` takes the write lock up front: writers that read first, like
#: ingest, then cannot fail half-way on a lock upgrade)
SQLITE_BEGIN_OPTION = "orbitwatch_sqlite_begin"


def _sqlite_begin(conn) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


def create_store_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (see :func:`resolve_db_url`) with our settings; no migration."""
    url = resolve_db_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:") or database.startswith("file::memory:")
        kwargs: dict = {}
        if memory:
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


@lru_cache(maxsize=1)
def _script_heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory(str(ALEMBIC_DIR)).get_heads()))


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def current_revision(engine: Engine) -> tuple[str, ...]:
    """The Alembic revision(s) the database is at (empty for a new database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


#: PostgreSQL advisory-lock key ("orbitwatch migrate") held while a store is migrated
MIGRATION_LOCK_KEY = 0x6F77_6D69_6772_0001


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (default: the newest).

    One transaction, serialized against other processes migrating the same
    store: on PostgreSQL under a transaction-level advisory lock
    (:data:`MIGRATION_LOCK_KEY`), on SQLite under the write lock taken by
    ``BEGIN IMMEDIATE`` (waiting up to the busy timeout).  Alembic reads the
    store's revision once the lock is held, so a process that waited finds
    the migrations done and runs none.
    """
    from alembic import command
    from sqlalchemy import func, select

    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)


#: PostgreSQL advisory-lock class ("owru", orbitwatch run) of the run lock; the
#: second key is the store's schema (``hashtext(current_schema())``), so that
#: stores in two schemas of one database do not wait for each other
RUN_LOCK_CLASS = 0x6F77_7275


@contextmanager
def run_lock(url: str | None = None, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the store's run lock: one ``orbitwatch run`` at a time on a store.

    A run reads the histories, derives records from them and supersedes what
    earlier runs derived from less (:func:`orbitwatch.store.events.supersede_events`).
    Two runs that overlap could commit in the other order than they read: the
    one that read before the other's sets were stored would commit last and
    make its stale records current again.  Holding this lock from the first
    read of the store to the commit of what was derived from it makes runs on
    one store take turns, and the later one reads what the earlier one stored.

    On PostgreSQL a session-level advisory lock (:data:`RUN_LOCK_CLASS`, the
    schema) on a connection of its own, in autocommit so that it holds no
    transaction open; on a SQLite file an exclusive ``flock`` on a lock file
    beside the database (``<name>.run-lock``, left in place); a ``:memory:``
    store has one process and needs none.  Either is released when the
    process ends, however it ends.  A caller that must wait is told once,
    through ``on_wait``, and then waits as long as the other run takes.
    """
    from sqlalchemy import text
    from sqlalchemy.pool import NullPool

    url = resolve_db_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            yield
            return
        import fcntl

        db_path = Path(database).expanduser()
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with open(db_path.with_name(db_path.name + ".run-lock"), "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            keys = f"{RUN_LOCK_CLASS}, hashtext(coalesce(current_schema(), ''))"
            if not conn.execute(text(f"SELECT pg_try_advisory_lock({keys})")).scalar():
                if on_wait is not None:
                    on_wait()
                conn.execute(text(f"SELECT pg_advisory_lock({keys})"))
            try:
                yield
            finally:
                conn.execute(text(f"SELECT pg_advisory_unlock({keys})"))
    finally:
        engine.dispose()


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration."""
    return current_revision(engine) == _script_heads()


def open_engine(url: str | None = None, *, migrate: bool = True, echo: bool = False) -> Engine:
    """Engine for the store at ``url``, migrated to the newest schema when ``migrate``
    (safe when several processes open a store that needs migrating at once:
    see :func:`upgrade`)."""
    engine = create_store_engine(url, echo=echo)
    if migrate and not is_current(engine):
        upgrade(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def open_session(url: str | None = None) -> Iterator[Session]:
    """``with open_session(url) as session:`` — migrated engine, one session, disposed after."""
    engine = open_engine(url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
