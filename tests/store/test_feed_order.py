"""Ids of streamed records follow commit order, so the live stream misses nothing.

The stream (``GET /api/v1/stream``) sends records with ids above the highest
id it has sent.  Two writers whose transactions overlap must therefore not
commit ids out of order.  This test holds one writer's transaction open,
starts a second writer, polls like the stream does, then lets both commit:
every record must reach the poller.  Without ``store.shared.lock_feed`` the
second writer's higher id commits first on PostgreSQL and the first writer's
record is never delivered.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from orbitwatch.store import shared
from orbitwatch.store.db import upgrade
from orbitwatch.store.events import store_events


def _poll_all(engine, cursor):
    with engine.connect() as conn:
        conj, ev = shared.new_records(conn, visible_to="US", after_conjunction=cursor[0],
                                      after_event=cursor[1])
    c = max([cursor[0], *(r["feed_seq"] for r in conj)])  # as routes/stream._poll
    e = max([cursor[1], *(r["id"] for r in ev)])
    return conj, ev, (c, e)


def test_overlapping_writers_commit_ids_in_order(engine):
    upgrade(engine)
    with engine.begin() as conn:
        shared.add_partner(conn, code="US")
        cursor = shared.stream_cursor(conn)
    t = datetime(2026, 7, 10, tzinfo=UTC)

    seen_events: list[int] = []
    seen_conj: list[int] = []
    first = engine.connect()
    tx = first.begin()
    shared.add_event(first, kind="finding", time=t, partner="US", releasable_to="ALL", title="first")

    done = threading.Event()

    def second_writer():
        store_events(engine, [{"type": "maneuver", "object": 25544, "epoch_estimate": "2026-07-10T01:00:00Z",
                               "gap_start": "2026-07-10T00:00:00Z", "gap_end": "2026-07-10T02:00:00Z",
                               "delta_v_m_s": 0.5, "kind": "in-plane along-track", "confidence": 0.9}],
                     partner="US", releasable_to="ALL")
        with engine.begin() as conn:
            shared.add_conjunctions(conn, conjunctions=[{
                "object_1": 25544, "object_2": 43211, "tca": t, "miss_distance_km": 1.0,
                "relative_speed_km_s": 0.01}], partner="US", releasable_to="ALL")
        done.set()

    worker = threading.Thread(target=second_writer)
    worker.start()
    time.sleep(0.5)
    conj, ev, cursor = _poll_all(engine, cursor)  # the stream polls while the first writer is open
    seen_conj += [r["id"] for r in conj]
    seen_events += [r["id"] for r in ev]
    blocked = not done.is_set()
    tx.commit()
    first.close()
    worker.join(timeout=30)
    assert done.is_set()
    conj, ev, cursor = _poll_all(engine, cursor)
    seen_conj += [r["id"] for r in conj]
    seen_events += [r["id"] for r in ev]

    with engine.connect() as conn:
        all_conj, all_ev = shared.new_records(conn, visible_to="US", after_conjunction=0, after_event=0)
    assert sorted(seen_events) == sorted(r["id"] for r in all_ev) and len(all_ev) == 2
    assert sorted(seen_conj) == sorted(r["id"] for r in all_conj) and len(all_conj) == 1
    assert blocked  # the second writer waited for the first to commit
    titles = [r["title"] for r in sorted(all_ev, key=lambda r: r["id"])]
    assert titles[0] == "first"  # ids follow commit order


def test_overlapping_writers_hand_out_conjunction_feed_numbers_in_commit_order(engine):
    """The stream's conjunction cursor is ``feed_seq`` (migration 0008), not the
    id: a new conjunction and a re-assessment in place each take the next
    number.  One writer holds a new conjunction uncommitted while a second
    re-assesses an older one; the poller (by feed number, as
    ``routes/stream._poll``) must get both, numbered in commit order, with no
    number handed out twice.  Reading the newest number before taking the feed
    lock gave both writers the same number (PostgreSQL) or failed the second
    writer's lock upgrade (SQLite)."""
    upgrade(engine)
    t = datetime(2026, 7, 10, tzinfo=UTC)

    def conj(o2, pc):
        return {"object_1": 25544, "object_2": o2, "tca": t, "miss_distance_km": 1.0,
                "relative_speed_km_s": 0.01, "pc": pc}

    with engine.begin() as conn:
        shared.add_partner(conn, code="US")
        [old] = shared.add_conjunctions(conn, conjunctions=[conj(43211, 1e-7)], partner="US",
                                        releasable_to="ALL")
        cursor = shared.stream_cursor(conn)[0]

    def poll(cursor):
        with engine.connect() as conn:
            rows, _ = shared.new_records(conn, visible_to="US", after_conjunction=cursor,
                                         after_event=10**9)
        return rows, max([cursor, *(r["feed_seq"] for r in rows)])

    first = engine.connect()
    tx = first.begin()
    [new] = shared.add_conjunctions(first, conjunctions=[conj(43212, 1e-6)], partner="US",
                                    releasable_to="ALL")
    done = threading.Event()

    def second_writer():
        with engine.begin() as conn:
            assert shared.add_conjunctions(conn, conjunctions=[conj(43211, 2e-4)], partner="US",
                                           releasable_to="ALL") == [old]
        done.set()

    worker = threading.Thread(target=second_writer)
    worker.start()
    time.sleep(0.5)
    seen, cursor = poll(cursor)
    blocked = not done.is_set()
    tx.commit()
    first.close()
    worker.join(timeout=30)
    assert done.is_set()
    more, cursor = poll(cursor)
    seen += more
    assert blocked
    assert [(r["id"], r["pc"]) for r in seen] == [(new, 1e-6), (old, 2e-4)]
    assert seen[0]["feed_seq"] < seen[1]["feed_seq"] == cursor
