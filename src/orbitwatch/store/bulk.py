"""Fast bulk writes for SQLite and PostgreSQL, below SQLAlchemy's per-row processing.

SQLAlchemy's ``executemany`` processes every parameter of every row in Python
(about 1 µs each), which for a 17,000-set catalog costs more than SGP4
initialisation of the whole catalog.  These helpers take rows that are already
in *driver form* (epochs as integer microseconds on SQLite, aware datetimes on
PostgreSQL — exactly what :class:`~orbitwatch.store.types.UTCDateTime` would
bind) and hand them to the driver:

* SQLite: the DBAPI ``executemany`` through ``exec_driver_sql``;
* PostgreSQL: ``COPY`` into a temporary table and one ``INSERT … SELECT`` /
  ``UPDATE … FROM`` (a statement per row would cost a round trip each).

Values that are the same for every row (source, partner, releasability, ingest
id and time) are written into the statement as SQL literals, not parameters.
They run inside the caller's transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection

from orbitwatch.store.types import ONE_US, UNIX_EPOCH

#: objects per range look-up and rows per SQLite executemany batch
CHUNK = 5000

#: bound parameters per statement of a multi-row SQLite INSERT (999 is the
#: smallest SQLITE_MAX_VARIABLE_NUMBER of any SQLite build, before 3.32)
MAX_PARAMS = 999


def chunks(seq: Sequence, n: int):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def id_ranges(ids: list[int]):
    """Sorted ids in chunks of at most ``CHUNK``, as (first, last, set of ids)."""
    for chunk in chunks(sorted(ids), CHUNK):
        yield chunk[0], chunk[-1], set(chunk)


def placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def instant_converter(dialect_name: str) -> Callable[[datetime | None], object]:
    """Aware datetime -> the value :class:`UTCDateTime` binds on this backend."""
    if dialect_name == "sqlite":
        return lambda dt: None if dt is None else (dt - UNIX_EPOCH) // ONE_US
    return lambda dt: dt


def date_converter(dialect_name: str):
    if dialect_name == "sqlite":
        return lambda d: None if d is None else d.isoformat()
    return lambda d: d


def sql_literal(value, dialect_name: str, paramstyle: str) -> str:
    """A constant as SQL literal text (strings quoted, ``%`` doubled for format styles)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        value = instant_converter(dialect_name)(value)
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
    if isinstance(value, int | float):
        return repr(value)
    text = "'" + str(value).replace("'", "''") + "'"
    if paramstyle in ("format", "pyformat"):
        text = text.replace("%", "%%")
    return text


_pg_load_seq = itertools.count()


def pg_copy_to_temp(conn: Connection, table, columns: Sequence[str], rows, progress=None) -> str:
    """COPY rows into a new temporary table shaped like ``table``'s ``columns``; its name."""
    prep = conn.dialect.identifier_preparer
    tmp = f"_ow_load_{table.name}_{next(_pg_load_seq)}"
    cols = ", ".join(prep.quote(c) for c in columns)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE {tmp} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {prep.format_table(table)} WITH NO DATA"
        )
        with cur.copy(f"COPY {tmp} ({cols}) FROM STDIN") as copy:
            for i, row in enumerate(rows, 1):
                copy.write_row(row)
                if progress is not None and i % CHUNK == 0:
                    progress(i)
    return tmp


def pg_copy_direct(conn: Connection, table, columns, rows, constants: dict, progress=None) -> None:
    """COPY rows (plus the per-file ``constants``) straight into ``table``."""
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c) for c in [*columns, *constants])
    extra = tuple(constants.values())
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(
        f"COPY {prep.format_table(table)} ({cols}) FROM STDIN"
    ) as copy:
        for i, row in enumerate(rows, 1):
            copy.write_row(row + extra if extra else row)
            if progress is not None and i % CHUNK == 0:
                progress(i)


def lock_for_ingest(conn: Connection) -> None:
    """Serialise writers that check keys before inserting (PostgreSQL advisory lock).

    Held until the transaction ends.  SQLite needs nothing here: ingest opens
    its transaction with ``BEGIN IMMEDIATE``, which already excludes other writers.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('orbitwatch.ingest'))")


def bulk_insert(
    conn: Connection,
    table,
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    constants: dict | None = None,
    conflict: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
    keys_checked: bool = False,
) -> None:
    """Insert driver-ready tuples (one per row, in ``columns`` order).

    SQLite: ``executemany``.  PostgreSQL: ``COPY`` (per-row statements cost a
    round trip each there) — straight into the table when ``keys_checked``
    (the caller holds a lock under which it checked that no row conflicts),
    else into a temporary table followed by one ``INSERT … SELECT … ON
    CONFLICT DO NOTHING``.  ``constants`` are the same for every row (SQL
    literals; with a direct COPY appended to each row).  Rows whose
    ``conflict`` key exists are skipped.
    """
    if not rows:
        return
    dialect = conn.dialect
    constants = constants or {}
    prep = dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in list(columns) + list(constants))
    on_conflict = ""
    if conflict and dialect.name in ("sqlite", "postgresql"):
        on_conflict = f" ON CONFLICT ({', '.join(prep.quote(c) for c in conflict)}) DO NOTHING"
    if dialect.name == "postgresql" and keys_checked:
        pg_copy_direct(conn, table, columns, rows, constants, progress)
        return
    if dialect.name == "postgresql":
        tmp = pg_copy_to_temp(conn, table, columns, rows, progress)
        consts = [sql_literal(v, dialect.name, "qmark") for v in constants.values()]
        select_list = ", ".join([prep.quote(c) for c in columns] + consts)
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {prep.format_table(table)} ({names}) "
                f"SELECT {select_list} FROM {tmp}{on_conflict}"
            )
            cur.execute(f"DROP TABLE {tmp}")
        return
    ph = placeholder(conn)
    values = [ph] * len(columns) + [
        sql_literal(v, dialect.name, dialect.paramstyle) for v in constants.values()
    ]
    head = f"INSERT INTO {prep.format_table(table)} ({names}) VALUES "
    one = f"({', '.join(values)})"
    # several rows per statement: one step of the statement per group instead of
    # per row (a third less time per row on SQLite); the rest one by one
    per = max(1, MAX_PARAMS // len(columns)) if dialect.name == "sqlite" else 1
    full = len(rows) - len(rows) % per if per > 1 else 0
    if full:
        flat = itertools.chain.from_iterable
        groups = [tuple(flat(rows[i : i + per])) for i in range(0, full, per)]
        conn.exec_driver_sql(head + ", ".join([one] * per) + on_conflict, groups)
    if full < len(rows):
        conn.exec_driver_sql(head + one + on_conflict, list(rows[full:]))
    if progress is not None:
        progress(len(rows))


def bulk_update(conn: Connection, table, key: str, columns: Sequence[str], rows: Sequence[tuple]):
    """Bulk UPDATE; each row is (values in ``columns`` order…, key value)."""
    if not rows:
        return
    dialect = conn.dialect
    prep = dialect.identifier_preparer
    if dialect.name == "postgresql":
        tmp = pg_copy_to_temp(conn, table, [*columns, key], rows)
        sets = ", ".join(f"{prep.quote(c)} = t.{prep.quote(c)}" for c in columns)
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.execute(
                f"UPDATE {prep.format_table(table)} AS o SET {sets} FROM {tmp} AS t "
                f"WHERE o.{prep.quote(key)} = t.{prep.quote(key)}"
            )
            cur.execute(f"DROP TABLE {tmp}")
        return
    ph = placeholder(conn)
    sets = ", ".join(f"{prep.quote(c)} = {ph}" for c in columns)
    sql = f"UPDATE {prep.format_table(table)} SET {sets} WHERE {prep.quote(key)} = {ph}"
    conn.exec_driver_sql(sql, list(rows))
