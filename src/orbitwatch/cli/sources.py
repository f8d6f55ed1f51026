"""Where commands get their element sets: catalog files or the store.

Used by ``propagate``, ``screen``, ``detect`` and ``run``:

* ``--catalog PATH...`` — files of any supported format (``read_file``);
  rejected records are reported on stderr and skipped;
* otherwise the database (``--db URL``, ``$ORBITWATCH_DB`` or the default file),
  which must exist (:func:`existing_store`).

By default the newest set per object is returned (at or before ``as_of``
when given); with ``history=True`` every set, ordered by object then epoch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from orbitwatch.cli.app import err, fail
from orbitwatch.elements.model import ElementSet
from orbitwatch.store.db import resolve_db_url as _resolve_db_url

#: rejected records printed per file before summarising the rest
MAX_REJECTIONS_SHOWN = 5


def resolve_db_url(db: str | None) -> str:
    """The database URL: ``db``, else ``$ORBITWATCH_DB``, else the user data directory file."""
    return _resolve_db_url(db)


def existing_store(db: str | None) -> str:
    """The database URL (:func:`resolve_db_url`) for a command that only reads
    the store.  A SQLite file that does not exist is one clear error (exit
    status 2): opening it would create an empty store (and its folder) where a
    path was mistyped, and the command would report nothing found."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = resolve_db_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # opening it says what is wrong with it
    database = parsed.database or ""
    if (parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and not database.startswith("file:") and not Path(database).expanduser().exists()):
        fail(f"no store at {database}: create one with orbitwatch ingest FILE or orbitwatch run, "
             "or name another with --db or $ORBITWATCH_DB", 2)
    return url


def open_store(db: str | None, *, create: bool = False):
    """The store's engine.  A command that only reads the store opens one that
    exists (:func:`existing_store`); ``create=True`` for those that write to it
    (a new store is made and migrated).  A database that cannot be opened is one
    error line naming it (password hidden)."""
    from sqlalchemy.exc import SQLAlchemyError

    from orbitwatch.store.db import open_engine

    url = resolve_db_url(db) if create else existing_store(db)
    try:
        return open_engine(url)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(f"cannot open the database {_safe(url)}: {exc.__class__.__name__}: {reason}")
    except OSError as exc:
        fail(f"cannot open the database {_safe(url)}: {exc}")


def read_catalog_files(paths: Iterable[Path], *, quiet: bool = False) -> list[ElementSet]:
    """Every element set of the files (in file order); exits with a clear error on a bad file."""
    from orbitwatch.elements import FormatError, read_file

    sets: list[ElementSet] = []
    for path in paths:
        try:
            result = read_file(path)
        except FormatError as exc:
            fail(str(exc), 2)
        except OSError as exc:
            fail(f"{path}: {exc.strerror or exc}", 2)
        if result.errors and not quiet:
            for e in result.errors[:MAX_REJECTIONS_SHOWN]:
                err.print(f"[yellow]rejected[/] {e}", highlight=False)
            extra = len(result.errors) - MAX_REJECTIONS_SHOWN
            if extra > 0:
                err.print(f"[yellow]… and {extra} more rejected records in {path}[/]")
        sets.extend(result.element_sets)
    return sets


def load_element_sets(
    catalog: list[Path] | None,
    db: str | None,
    *,
    as_of: datetime | None = None,
    ids: Iterable[int] | None = None,
    history: bool = False,
    visible_to: str | None = None,
) -> list[ElementSet]:
    """Element sets from ``catalog`` files when given, else from the database ``db``.

    Newest per object (epoch at or before ``as_of`` when given) unless
    ``history``, which returns every set (epoch at or before ``as_of``),
    ordered by catalog number then epoch.  ``ids`` keeps only those objects;
    ``visible_to`` (database only) keeps only what that partner may see.
    """
    wanted = None if ids is None else {int(i) for i in ids}
    if catalog:
        sets = read_catalog_files(catalog)
        if wanted is not None:
            sets = [s for s in sets if s.norad_id in wanted]
        if history:
            if as_of is not None:
                sets = [s for s in sets if s.epoch <= as_of]
            return sorted(sets, key=lambda s: (s.norad_id, s.epoch))
        from orbitwatch.elements import newest_per_object

        return newest_per_object(sets, as_of)

    from orbitwatch.store import catalog as store

    engine = open_store(db)
    try:
        with engine.connect() as conn:
            if history:
                return store.all_element_sets(
                    conn, ids=wanted, until=as_of, visible_to=visible_to
                )
            return store.latest_element_sets(conn, as_of=as_of, ids=wanted, visible_to=visible_to)
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    """The URL with any password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for messages
        return url
