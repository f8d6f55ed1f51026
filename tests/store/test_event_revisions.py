"""Derived records are revised, not piled up, as a partner's feed grows.

``orbitwatch run`` re-derives every object's manoeuvres from its whole stored
history each time it runs.  A manoeuvre seen in the newest sets moves, is
confirmed or is withdrawn as later sets arrive; each run's records replace
those of the run before over the same stretch (``superseded_by``), so the
store's current records are what an analysis of the whole history finds now,
and the replaced ones stay for the record.

Input: three GEO objects of the 2026-05 CelesTrak-mirror history (Badr-4,
whose +3.5 km step of 28/29 May is pending when the feed stops one set after
it; AsiaSat 8; and 28702, whose newest set on 26 May is a 4.5 km dip that the
next set takes back), fed in two parts.  On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.conftest import shared_path

runner = CliRunner()

GEO = ("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
IDS = {29526, 40107, 28702}


def _epoch(line1: str) -> datetime:
    return datetime(2000 + int(line1[18:20]), 1, 1, tzinfo=UTC) + timedelta(days=float(line1[20:32]) - 1)


def _records() -> list[list[str]]:
    lines = shared_path(*GEO).read_text().splitlines()
    recs = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    return [r for r in recs if int(r[1][2:7]) in IDS]


def _write(path, recs) -> str:
    path.write_text("".join("\n".join(r) + "\n" for r in recs))
    return str(path)


def _run(db_url: str, path: str):
    res = runner.invoke(app, ["run", "--catalog", path, "--db", db_url, "--no-screen",
                              "--format", "json", "--quiet"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _events(db_url: str, *extra: str) -> list[dict]:
    res = runner.invoke(app, ["events", "--db", db_url, "--type", "maneuver", "--format", "jsonl", *extra])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def _fresh(recs) -> set[tuple]:
    """What the detector finds in each object's whole history, as stored keys."""
    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.elements import parse_text

    sets = parse_text("".join("\n".join(r) + "\n" for r in recs)).element_sets
    out = set()
    for nid in IDS:
        for m in detect_maneuvers([s for s in sets if s.norad_id == nid]):
            d = m.to_json()
            out.add((d["object"], d["gap_start"], d["gap_end"], d["epoch_estimate"]))
    return out


def _key(e: dict) -> tuple:
    return (e["object"], e["gap_start"], e["gap_end"], e["epoch_estimate"])


@pytest.mark.skipif(not shared_path(*GEO).exists(), reason=f"shared data absent: {'/'.join(GEO)}")
def test_a_growing_feed_revises_its_manoeuvres(db_url, tmp_path):
    recs = _records()
    badr = sorted({_epoch(r[1]) for r in recs if int(r[1][2:7]) == 29526})
    # the first Badr-4 set after its step (the largest jump in mean motion)
    from sgp4.api import Satrec

    by_ep = {_epoch(r[1]): Satrec.twoline2rv(r[1], r[2]).no_kozai for r in recs if int(r[1][2:7]) == 29526}
    n = [by_ep[t] for t in badr]
    k = max(range(len(n) - 1), key=lambda i: abs(n[i + 1] - n[i]))
    cut = [r for r in recs if _epoch(r[1]) <= badr[k + 1]]

    first = _run(db_url, _write(tmp_path / "part1.3le", cut))
    stored = _events(db_url)
    assert {_key(e) for e in stored} == _fresh(cut)
    (pending,) = [e for e in stored if e["object"] == 29526 and "pending" in e["evidence"]]
    assert first["events_superseded"]["records"] == 0

    second = _run(db_url, _write(tmp_path / "all.3le", recs))
    now = _events(db_url)
    # the current records are what the whole history shows now, each once
    assert {_key(e) for e in now} == _fresh(recs) and len(now) == len({_key(e) for e in now})
    every = {e["id"]: e for e in _events(db_url, "--superseded")}
    gone = [e for e in every.values() if "superseded_at" in e]
    assert len(every) == len(now) + len(gone) and second["events_superseded"]["records"] == len(gone) > 0
    # Badr-4's pending step is replaced by the confirmed one in the same gap
    rep = every[pending["id"]]["superseded_by"]
    assert rep is not None and every[rep]["object"] == 29526 and "pending" not in every[rep]["evidence"]
    assert every[rep]["gap_start"] == pending["gap_start"]
    for e in gone:  # a replacement is a current record of the same object
        if e["superseded_by"] is not None:
            assert e["superseded_by"] in {x["id"] for x in now}
            assert every[e["superseded_by"]]["object"] == e["object"]

    # running again on the same store changes nothing
    third = _run(db_url, _write(tmp_path / "all.3le", recs))
    assert third["events"]["new"] == 0 and third["events_superseded"]["records"] == 0
    assert {e["id"] for e in _events(db_url)} == {e["id"] for e in now}


def _mnvr(obj=7, t="2026-05-28T12:00:00Z", dv=0.30, **extra):
    """A manoeuvre at ``t`` in a gap of a day around it (sets at the midnights)."""
    from orbitwatch.timeutil import iso_z, parse_iso

    mid = parse_iso(t)
    return {"type": "maneuver", "object": obj, "gap_start": iso_z(mid - timedelta(hours=12), 0),
            "gap_end": iso_z(mid + timedelta(hours=12), 0), "epoch_estimate": t,
            "kind": "east-west station-keeping", "delta_v_m_s": dv, "confidence": 0.9,
            "evidence": {"robust_z": 12.0}, **extra}


def test_what_counts_as_a_revision(engine):
    """A re-derived record is the stored one when it says the same (its evidence
    and confidence aside, numbers within 20 %), and a revision when it does not."""
    from orbitwatch.store.events import store_events

    ids: list[int] = []
    store_events(engine, [_mnvr()], ids=ids, origin="run", revise=True)
    got: list[int] = []
    # evidence and confidence re-estimated, Δv 10 % up: the same record
    new, old = store_events(engine, [_mnvr(dv=0.33, confidence=0.7, evidence={"robust_z": 9.0})],
                            ids=got, origin="run", revise=True)
    assert (new, old, got) == (0, 1, ids)
    # Δv 50 % up, or pending where it was confirmed: a revision
    for rec in (_mnvr(dv=0.45), _mnvr(evidence={"pending": {"sets_after": 1}})):
        store_events(engine, [rec], ids=got, origin="run", revise=True)
        assert got[0] not in ids
        ids.append(got[0])
    # without revise (a file of records judged again), only kind, object, time and title count
    store_events(engine, [_mnvr(dv=9.0)], ids=got, origin="norms")
    assert got[0] in ids


def test_supersession_keeps_to_its_partner_scope_and_kind(engine):
    """Only the partner's own derived records inside the re-derived scope are
    superseded; a manoeuvre's replacement is the current one of the same object
    whose gap lies within a day of its gap (a burn found one gap over), a
    separate burn days away is no replacement (the stale one is withdrawn); a
    finding judged from an object's newest set alone is replaced by the one
    judged from its next newest however far its epoch moved, and records
    posted by people stay.

    (Before the review the replacement was the nearest record of the object
    within 7 days, so object 10's burn of 26 May was superseded by its separate
    burn of 30 May, as 38332's was on the real feed.)"""
    from orbitwatch.store.events import all_events, store_events, supersede_events
    from orbitwatch.store.shared import add_event

    a: list[int] = []
    store_events(engine, [_mnvr(), _mnvr(obj=8), _mnvr(obj=9), _mnvr(obj=10, t="2026-05-26T12:00:00Z")],
                 ids=a, origin="run", revise=True)
    b: list[int] = []
    store_events(engine, [_mnvr()], ids=b, origin="run", revise=True, partner="JP")
    debris = {"type": "finding", "rule": "long-lived-debris", "responsible": 5, "affected": None,
              "time": "2026-05-01T00:00:00Z", "inputs": ["catalog:5"]}
    f: list[int] = []
    store_events(engine, [debris], ids=f, origin="run", revise=True)
    with engine.begin() as conn:
        posted = add_event(conn, kind="maneuver", time=datetime(2026, 5, 28, 12, tzinfo=UTC),
                           partner=None, releasable_to="ALL", norad_id=7, payload=_mnvr())
    with engine.begin() as conn:
        c: list[int] = []
        # object 7's burn re-placed one gap later; 8 and 10 burn again 10 and 4 days
        # later and their first burns are not found again; 9 not searched
        store_events(conn, [_mnvr(t="2026-05-29T12:00:00Z"), _mnvr(obj=8, t="2026-06-07T12:00:00Z"),
                            _mnvr(obj=10, t="2026-05-30T12:00:00Z")],
                     ids=c, origin="run", revise=True)
        gone = supersede_events(conn, partner=None, origins=("run",), current=c,
                                in_scope=lambda r: r["kind"] == "maneuver" and r["norad_id"] in (7, 8, 10))
        assert gone == {a[0]: c[0], a[1]: None, a[3]: None}
        g: list[int] = []
        store_events(conn, [dict(debris, time="2026-07-15T00:00:00Z")], ids=g, origin="run", revise=True)
        gone = supersede_events(conn, partner=None, origins=("run",), current=g,
                                in_scope=lambda r: r["kind"] == "finding")
        assert gone == {f[0]: g[0]}
        current = {r["id"] for r in all_events(conn)}
    assert current == {c[0], c[1], c[2], a[2], b[0], posted, g[0]}


# -- what a revision must not do (found by review) ---------------------------------

KEEPTRACK = ("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")


def _debris(path, n=40) -> str:
    """``n`` debris objects of the 2018 catalog (the long-lived-debris rule flags most)."""
    d = json.loads(shared_path(*KEEPTRACK).read_text())
    path.write_text(json.dumps([x for x in d if x.get("OT") == 3][:n]))
    return str(path)


def _ok(*args: str):
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def _current(db_url: str, kind: str, *extra: str) -> list[dict]:
    res = _ok("events", "--db", db_url, "--type", kind, "--format", "jsonl", *extra)
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def _subset(path, ids, last=None) -> str:
    recs = [r for r in _records() if int(r[1][2:7]) in ids]
    return _write(path, recs if last is None else recs[-last:])


@pytest.mark.skipif(not shared_path(*KEEPTRACK).exists(), reason=f"shared data absent: {'/'.join(KEEPTRACK)}")
def test_run_and_norms_judging_in_turn_keep_the_same_findings(db_url, tmp_path):
    """``norms --store`` labels its findings in their records and ``run`` does
    not; neither the label nor the inputs named (none when judged from files)
    make a finding a new one."""
    p = _debris(tmp_path / "deb.json")
    _ok("ingest", p, "--db", db_url, "--quiet")
    (tmp_path / "none.jsonl").write_text("")
    _ok("norms", "--events", str(tmp_path / "none.jsonl"), "--catalog", p, "--db", db_url, "--store")
    first = {e["id"] for e in _current(db_url, "finding")}
    assert len(first) > 20
    _run(db_url, p)
    _ok("norms", "--db", db_url, "--store")
    _run(db_url, p)
    assert {e["id"] for e in _current(db_url, "finding")} == first


@pytest.mark.skipif(not shared_path(*GEO).exists(), reason=f"shared data absent: {'/'.join(GEO)}")
def test_partner_codes_in_any_case_and_releases_keep_their_own_copies(db_url, tmp_path):
    """``--partner jp`` revises what ``--partner JP`` stored; a run for another
    release keeps its own copies and leaves the first audience's current."""
    recs = [r for r in _records() if int(r[1][2:7]) == 29526]
    ep = sorted({_epoch(r[1]) for r in recs})
    from sgp4.api import Satrec

    n = {_epoch(r[1]): Satrec.twoline2rv(r[1], r[2]).no_kozai for r in recs}
    k = max(range(len(ep) - 1), key=lambda i: abs(n[ep[i + 1]] - n[ep[i]]))
    cut = _write(tmp_path / "cut.3le", [r for r in recs if _epoch(r[1]) <= ep[k + 1]])
    full = _write(tmp_path / "full.3le", recs)
    res = runner.invoke(app, ["run", "--catalog", cut, "--db", db_url, "--no-screen", "--format", "json",
                              "--quiet", "--partner", "JP", "--releasable-to", "US"])
    assert res.exit_code == 0, res.output
    us = _current(db_url, "maneuver", "--partner", "US")
    assert any("pending" in e["evidence"] for e in us)
    res = runner.invoke(app, ["run", "--catalog", full, "--db", db_url, "--no-screen", "--format", "json",
                              "--quiet", "--partner", "jp", "--releasable-to", "us"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events_superseded"]["records"] >= 1
    us = _current(db_url, "maneuver", "--partner", "US")
    assert us and not any("pending" in e["evidence"] for e in us)
    res = runner.invoke(app, ["run", "--catalog", full, "--db", db_url, "--no-screen", "--format", "json",
                              "--quiet", "--partner", "JP", "--releasable-to", "FR"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events"]["new"] >= len(us)  # its own copies
    assert _current(db_url, "maneuver", "--partner", "US") == us


@pytest.mark.skipif(not shared_path(*GEO).exists(), reason=f"shared data absent: {'/'.join(GEO)}")
def test_a_record_found_again_but_withheld_is_not_withdrawn(db_url, tmp_path):
    """When Badr-4's newest set comes in two copies released to two partners
    who cannot see each other's, a host run still finds its manoeuvre but may
    store it for no one: the stored one stays current."""
    p = _subset(tmp_path / "all.3le", IDS)
    _run(db_url, p)
    before = {e["id"] for e in _current(db_url, "maneuver")}
    one = _subset(tmp_path / "one.3le", {29526}, last=1)
    for code in ("AA", "BB"):
        _ok("ingest", one, "--db", db_url, "--partner", code, "--releasable-to", code, "--quiet")
    again = _run(db_url, p)
    assert again["events_superseded"]["withdrawn"] == 0
    assert {e["id"] for e in _current(db_url, "maneuver")} >= before - {
        e["id"] for e in _current(db_url, "maneuver", "--superseded") if e.get("superseded_by")}


def test_an_upgraded_store_revises_what_runs_stored_before(db_url):
    """Migration 0005 marks the rows stored before it as derived by a run,
    except notices and what was posted through the service (the audit log's
    writes), which stay people's records."""
    from sqlalchemy import text

    from orbitwatch.store.db import create_store_engine, upgrade

    engine = create_store_engine(db_url)
    upgrade(engine, "0004_job_scope")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for i, kind in ((1, "maneuver"), (2, "finding"), (3, "notice"), (4, "finding")):
            conn.execute(text("INSERT INTO events (id, kind, norad_id, time, payload, releasable_to, "
                              "created_at) VALUES (:i, :k, 7, :t, '{}', 'ALL', :t)"),
                         {"i": i, "k": kind, "t": now})
        conn.execute(text("INSERT INTO audit_log (at, action, method, path, resource, record_ids, count, status) "
                          "VALUES (:t, 'write', 'POST', '/api/v1/events', 'events', '4', 1, 201)"), {"t": now})
    upgrade(engine)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT id, origin FROM events")).all())
    engine.dispose()
    assert got == {1: "run", 2: "run", 3: None, 4: None}


def test_an_upgraded_store_numbers_its_past_supersessions_in_order(db_url):
    """Migration 0006 numbers the records superseded before it by when they were
    superseded, and a later supersession continues after them (the stream's cursor)."""
    from sqlalchemy import bindparam, text

    from orbitwatch.store.db import create_store_engine, upgrade
    from orbitwatch.store.events import supersede_events
    from orbitwatch.store.types import UTCDateTime

    engine = create_store_engine(db_url)
    upgrade(engine, "0005_event_revisions")
    t = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for i, at in ((1, t + timedelta(days=2)), (2, t + timedelta(days=1)), (3, None), (4, None)):
            conn.execute(text("INSERT INTO events (id, kind, norad_id, time, payload, releasable_to, "
                              "created_at, origin, superseded_at) VALUES "
                              "(:i, 'maneuver', :i, :t, '{}', 'ALL', :t, 'run', :at)").bindparams(
                             bindparam("t", type_=UTCDateTime()), bindparam("at", type_=UTCDateTime())),
                         {"i": i, "t": t, "at": at})
    upgrade(engine)
    with engine.begin() as conn:
        assert dict(conn.execute(text("SELECT id, superseded_seq FROM events")).all()) == {
            1: 2, 2: 1, 3: None, 4: None}
        assert supersede_events(conn, partner=None, origins=("run",), current=[3],
                                in_scope=lambda r: True) == {4: None}
        assert conn.execute(text("SELECT superseded_seq FROM events WHERE id = 4")).scalar() == 3
    engine.dispose()


def test_an_upgraded_store_feeds_its_conjunctions_in_id_order_and_reassessments_after(db_url):
    """Migration 0008 gives the conjunctions stored before it their ids as feed
    numbers (a stream cursor made of ids resumes where it was); a new row and a
    re-assessment in place (a new Pc under the same id) take the next numbers."""
    from sqlalchemy import bindparam, text

    from orbitwatch.store.db import create_store_engine, upgrade
    from orbitwatch.store.shared import add_conjunctions, stream_cursor
    from orbitwatch.store.types import UTCDateTime

    engine = create_store_engine(db_url)
    upgrade(engine, "0007_object_facts")
    tca = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        for i, o2 in ((5, 90002), (9, 90003)):
            conn.execute(text("INSERT INTO conjunctions (id, object_1, object_2, tca, miss_distance_km, "
                              "pc, releasable_to, created_at) VALUES "
                              "(:i, 90001, :o2, :t, 2.0, 1e-7, 'ALL', :t)").bindparams(
                             bindparam("t", type_=UTCDateTime())), {"i": i, "o2": o2, "t": tca})
    upgrade(engine)
    row = {"object_1": 90001, "object_2": 90002, "tca": tca, "miss_distance_km": 0.3, "pc": 2e-4}
    with engine.begin() as conn:
        assert dict(conn.execute(text("SELECT id, feed_seq FROM conjunctions")).all()) == {5: 5, 9: 9}
        assert stream_cursor(conn)[0] == 9
        ids = add_conjunctions(conn, conjunctions=[dict(row, object_2=90004), row], partner=None,
                               releasable_to="ALL")
        assert ids[1] == 5  # the same approach, re-assessed
        got = dict(conn.execute(text("SELECT id, feed_seq FROM conjunctions")).all())
        assert got == {5: 11, 9: 9, ids[0]: 10}
        assert stream_cursor(conn)[0] == 11
    engine.dispose()


@pytest.mark.skipif(not shared_path(*GEO).exists(), reason=f"shared data absent: {'/'.join(GEO)}")
def test_a_separate_burn_does_not_replace_a_withdrawn_one(db_url, tmp_path):
    """Regression (review): 38332 keeps station with burns a few days apart.  On
    its sets of 24-28 May the detector reports a burn on 26 May (gap 26 May
    18:00 to 27 May 11:07); with the sets of 29-30 May it no longer finds that
    one and reports another on 30 May.  The 26 May record is withdrawn
    (``superseded_by`` null); it was superseded by the 30 May burn while the
    replacement was the object's nearest record within 7 days."""
    lines = shared_path(*GEO).read_text().splitlines()
    recs = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    recs = [r for r in recs if int(r[1][2:7]) == 38332 and _epoch(r[1]) >= datetime(2026, 5, 24, tzinfo=UTC)]
    cut = [r for r in recs if _epoch(r[1]) < datetime(2026, 5, 29, tzinfo=UTC)]
    _run(db_url, _write(tmp_path / "24_28.3le", cut))
    (burn,) = _events(db_url)
    assert burn["gap_start"].startswith("2026-05-26") and burn["gap_end"].startswith("2026-05-27")
    later = _run(db_url, _write(tmp_path / "24_30.3le", recs))
    assert later["events_superseded"] == {"records": 1, "withdrawn": 1, "findings": 0,
                                          "findings_withdrawn": 0}
    every = {e["id"]: e for e in _events(db_url, "--superseded")}
    assert every[burn["id"]]["superseded_at"] and every[burn["id"]].get("superseded_by") is None
    (now,) = _events(db_url)
    assert now["gap_start"].startswith("2026-05-29") and now["id"] != burn["id"]


def test_what_replaces_a_relocation_a_breakup_and_a_finding(engine):
    """The replacement rules of the other kinds: a GEO drift start by a drift start
    whose gap lies within a day (never by a drift stop); a breakup by the
    parent's breakup naming one of its fragments, however far its epoch moved
    (re-estimated from more fragments), never by a cloud of other fragments;
    a finding by the one of its rule and objects judged from one of the same
    records or their replacements, and withdrawn when a record it was judged
    from was withdrawn (a finding about 10's burn of 26 May is not replaced by
    one about its burn of 30 May)."""
    from orbitwatch.store.events import store_events, supersede_events

    def drift(kind, t):
        return {"type": "geo_relocation", "object": 20, "kind": kind, "gap_start": t,
                "gap_end": t.replace("T00", "T12"), "direction": "east"}

    def breakup(t, frags):
        return {"type": "breakup", "parent": 30, "classification": "explosion", "epoch_estimate": t,
                "fragments": len(frags), "fragment_ids": frags}

    def finding(t, inputs):
        return {"type": "finding", "rule": "maneuver-near-foreign-asset", "severity": "medium",
                "responsible": 10, "affected": 99, "time": t, "inputs": inputs}

    old: list[int] = []
    store_events(engine, [drift("drift start", "2026-05-20T00:00:00Z"), breakup("2026-05-01T00:00:00Z", [31, 32]),
                          breakup("2026-03-01T00:00:00Z", [41, 42]), _mnvr(obj=10, t="2026-05-26T12:00:00Z"),
                          _mnvr(obj=11, t="2026-05-26T12:00:00Z")], ids=old, origin="run", revise=True)
    d0, b0, b1, m10, m11 = old
    f_old: list[int] = []
    store_events(engine, [finding("2026-05-26T12:00:00Z", [f"event:{m10}"]),
                          dict(finding("2026-05-26T12:00:00Z", [f"event:{m11}"]), responsible=11)],
                 ids=f_old, origin="run", revise=True)
    with engine.begin() as conn:
        new: list[int] = []
        # the start found a gap later and a stop 3 days on; the first cloud re-estimated
        # 20 days later with more fragments, the second not found again but a new cloud;
        # 10's burn of 26 May withdrawn for one on 30 May, 11's re-placed a gap later
        store_events(conn, [drift("drift start", "2026-05-21T00:00:00Z"), drift("drift stop", "2026-05-23T00:00:00Z"),
                            breakup("2026-05-21T00:00:00Z", [31, 32, 33]), breakup("2026-03-02T00:00:00Z", [51]),
                            _mnvr(obj=10, t="2026-05-30T12:00:00Z"), _mnvr(obj=11, t="2026-05-27T12:00:00Z")],
                     ids=new, origin="run", revise=True)
        d1, _, b2, b3, m10b, m11b = new
        gone = supersede_events(conn, partner=None, origins=("run",), current=new,
                                in_scope=lambda r: r["kind"] != "finding")
        assert gone == {d0: d1, b0: b2, b1: None, m10: None, m11: m11b}
        f_new: list[int] = []
        store_events(conn, [finding("2026-05-30T12:00:00Z", [f"event:{m10b}"]),
                            dict(finding("2026-05-27T12:00:00Z", [f"event:{m11b}"]), responsible=11)],
                     ids=f_new, origin="run", revise=True)
        gone = supersede_events(conn, partner=None, origins=("run",), current=f_new,
                                in_scope=lambda r: r["kind"] == "finding")
        assert gone == {f_old[0]: None, f_old[1]: f_new[1]}


# -- two runs at once on one store (found by review) -------------------------------


def _run_direct(db_url: str, path, results: dict, key: str) -> None:
    """``orbitwatch run --catalog PATH --partner US --releasable-to ALL --no-screen``
    called in this thread (the CLI runner swaps process-wide streams)."""
    import typer

    from orbitwatch.cli.run import run_command

    try:
        run_command(catalog=[path], db=db_url, gp_url=None, satcat_url=None, screen=False, detect=True,
                    start=None, hours=24.0, threshold_km=5.0, top=10, partner="US", releasable_to="ALL",
                    notices=None, assets=None, fmt="json", quiet=True)
        results[key] = 0
    except typer.Exit as exc:
        results[key] = exc.exit_code
    except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
        results[key] = exc


@pytest.mark.skipif(not shared_path(*GEO).exists(), reason=f"shared data absent: {'/'.join(GEO)}")
def test_two_runs_at_once_end_as_if_one_ran_after_the_other(db_url, tmp_path, monkeypatch, capsys):
    """Regression (review): a store holds 24-28 May of four GEO objects; run A
    (a small file) reads the store, then run B ingests 29-30 May and stores
    what the whole history shows; A, which read before B's sets were there,
    committed last and made its stale records current again (38332's burn of
    26 May back, its burn of 30 May and Badr-4's and AsiaSat 8's new burns
    superseded).  Runs on one store now take turns from their first read to
    their commit: B says it waits, then reads what A stored and B's own sets,
    and the current records are those of a fresh analysis of the whole input.

    The interleaving is forced: A, having read, holds on until B has either
    finished (no lock: the defect) or is waiting for the lock."""
    import threading

    import orbitwatch.cli.run as run_mod
    import orbitwatch.store.db as db_mod

    ids = IDS | {38332}
    lines = shared_path(*GEO).read_text().splitlines()
    recs = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    recs = [r for r in recs if int(r[1][2:7]) in ids and _epoch(r[1]) >= datetime(2026, 5, 24, tzinfo=UTC)]
    split = datetime(2026, 5, 29, tzinfo=UTC)
    early = [r for r in recs if _epoch(r[1]) < split]
    first: dict = {}
    _write(tmp_path / "days_24_28.3le", early)
    _run_direct(db_url, tmp_path / "days_24_28.3le", first, "first")  # as US, as A and B
    assert first == {"first": 0}, first
    small = tmp_path / "small.3le"
    _write(small, [r for r in early if int(r[1][2:7]) == 38332][-3:])
    late = tmp_path / "days_29_30.3le"
    _write(late, [r for r in recs if _epoch(r[1]) >= split])

    a_read, b_done, b_waits = threading.Event(), threading.Event(), threading.Event()
    detect = run_mod._step_detect

    def detect_then_hold(ctx):
        detect(ctx)
        if ctx.files == [small]:
            a_read.set()
            deadline = datetime.now(UTC) + timedelta(seconds=120)
            while not (b_done.is_set() or b_waits.is_set()) and datetime.now(UTC) < deadline:
                b_done.wait(0.05)

    monkeypatch.setattr(run_mod, "_step_detect", detect_then_hold)
    lock = getattr(db_mod, "run_lock", None)
    if lock is not None:  # see B wait (the lock itself unchanged)
        def observed(url, *, on_wait=None):
            def waiting():
                b_waits.set()
                if on_wait is not None:
                    on_wait()
            return lock(url, on_wait=waiting)

        monkeypatch.setattr(db_mod, "run_lock", observed)

    results: dict = {}
    a = threading.Thread(target=_run_direct, args=(db_url, small, results, "A"))
    b = threading.Thread(target=lambda: (_run_direct(db_url, late, results, "B"), b_done.set()))
    a.start()
    assert a_read.wait(120), results
    b.start()
    a.join(240)
    b.join(240)
    assert results == {"A": 0, "B": 0}, results

    now = _events(db_url)
    fresh = set()
    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.elements import parse_text

    sets = parse_text("".join("\n".join(r) + "\n" for r in recs)).element_sets
    for nid in ids:
        fresh |= {_key(m.to_json()) for m in detect_maneuvers([s for s in sets if s.norad_id == nid])}
    assert {_key(e) for e in now} == fresh and len(now) == len(fresh)
    assert {e["object"] for e in now} >= {38332, 29526, 40107}
    # B waited, and said so once
    assert b_waits.is_set()
    assert capsys.readouterr().err.count("waiting for another orbitwatch run on this store") == 1


def test_a_finding_of_an_earlier_window_follows_its_manoeuvre(tmp_path, db_url):
    """THOR 7 (40613, NOR) keeps station beside Intelsat 10-02 (28358, ITSO) at 1 W.
    The run of 27 May (window: that day) found a manoeuvre of THOR 7 on 26 May and,
    after it, an approach: a finding.  Three days of sets later that step is no
    manoeuvre any more (withdrawn), and the run of 30 May searches only 30 May.
    The finding of 27 May rested on the withdrawn manoeuvre: the 30 May run judges
    the stored approaches of earlier windows again, so no current finding cites a
    superseded record (before, it stayed current beside the new judgements)."""
    import lzma

    ids = {40613, 28358}
    lines = shared_path(*GEO).read_text().splitlines()
    recs = [r for r in (lines[i:i + 3] for i in range(0, len(lines), 3)) if int(r[1][2:7]) in ids]
    rows = lzma.open(shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz"), "rt").read().splitlines()
    satcat = tmp_path / "satcat.csv"
    satcat.write_text("\n".join([rows[0], *(r for r in rows if r.split(",")[1].lstrip("0") in
                                           {str(i) for i in ids})]) + "\n")
    assert runner.invoke(app, ["ingest", str(satcat), "--db", db_url, "--quiet"]).exit_code == 0
    assets = tmp_path / "assets.txt"
    assets.write_text("28358\n")

    def run_day(day: int) -> None:
        end = datetime(2026, 5, day + 1, tzinfo=UTC)
        path = _write(tmp_path / f"d{day}.3le", [r for r in recs if _epoch(r[1]) < end])
        res = runner.invoke(app, ["run", "--catalog", path, "--db", db_url, "--no-screen",
                                  "--assets", str(assets), "--start", f"2026-05-{day}T00:00:00Z",
                                  "--hours", "24", "--format", "json", "--quiet"])
        assert res.exit_code == 0, res.output

    def rows_now() -> dict[int, dict]:
        res = runner.invoke(app, ["events", "--db", db_url, "--format", "jsonl", "--superseded"])
        return {e["id"]: e for e in map(json.loads, res.stdout.splitlines())}

    run_day(27)
    first = rows_now()
    found = [e for e in first.values() if e["type"] == "finding" and e["responsible"] == 40613
             and e["rule"] == "unannounced-maneuver-near-foreign-asset"]
    assert found, "the 27 May run finds THOR 7's manoeuvre before its approach"
    run_day(30)
    now = rows_now()
    superseded = {i for i, e in now.items() if e.get("superseded_at")}
    current = [e for e in now.values() if e["type"] == "finding" and not e.get("superseded_at")]
    for f in current:
        cited = {int(x[6:]) for x in f.get("inputs", []) if x.startswith("event:")}
        assert not cited & superseded, (f["summary"], cited & superseded)
    # the 27 May finding went with its manoeuvre when that was withdrawn
    for f in found:
        burn = [int(x[6:]) for x in f["inputs"] if x.startswith("event:")
                and first[int(x[6:])]["type"] == "maneuver"]
        if any(now[b].get("superseded_at") for b in burn):
            assert now[f["id"]].get("superseded_at")
