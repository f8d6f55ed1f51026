"""Several processes opening a store that needs migrating at once: one migrates,
the others wait for it and find the schema current; none fails.  On SQLite and
on PostgreSQL, from an empty database and from one a revision behind."""

from __future__ import annotations

import multiprocessing

import pytest

PROCESSES = 6


def _open(url: str, barrier, results) -> None:
    from orbitwatch.store.db import is_current, open_engine

    barrier.wait()
    try:
        engine = open_engine(url)
        results.put(("ok", is_current(engine)))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"))


@pytest.mark.parametrize("start", [None, "0003_sites"])
def test_processes_migrating_one_store_at_once_all_succeed(db_url, start):
    from orbitwatch.store.db import create_store_engine, current_revision, upgrade

    if start is not None:
        engine = create_store_engine(db_url)
        upgrade(engine, start)
        assert current_revision(engine) == (start,)
        engine.dispose()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_open, args=(db_url, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert got == [("ok", True)] * PROCESSES
