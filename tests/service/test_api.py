"""Tokens, roles, ingest uploads, audit, screening jobs and the live stream.

These tests write, so they run on their own freshly seeded database per backend.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.service.conftest import auth, fresh_db, seeded
from tests.service.seeding import EPOCH, expected_visible, make_tle


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def env(request, tmp_path_factory):
    from fastapi.testclient import TestClient

    from orbitwatch.service.app import create_app
    from orbitwatch.service.settings import ServiceSettings

    gen = fresh_db(request.param, tmp_path_factory)
    url = next(gen)
    world = seeded(url)
    app = create_app(url, settings=ServiceSettings(stream_poll_s=0.05))
    with TestClient(app) as c:
        yield c, world, app
    for _ in gen:
        pass


def _count(app, table) -> int:
    with app.state.sessions() as db:
        return int(db.execute(select(func.count()).select_from(table)).scalar())


# -- tokens and roles ---------------------------------------------------------


def test_missing_bad_and_revoked_tokens_get_401(env):
    client, world, app = env
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer"}):
        for url in ("/api/v1/objects", "/api/v1/conjunctions", "/api/v1/events",
                    "/api/v1/sensors", "/api/v1/audit", "/api/v1/partners", "/api/v1/stream",
                    "/api/v1/objects/90001", "/api/v1/screenings/1", "/api/v1/positions"):
            r = client.get(url, headers=headers)
            assert r.status_code == 401, (url, headers)
            assert r.headers["www-authenticate"].startswith("Bearer")
        assert client.post("/api/v1/ingest", headers=headers,
                           files={"file": ("x.tle", b"")}).status_code == 401
    # a revoked token stops working
    from orbitwatch.store import shared

    with app.state.sessions() as db:
        token, info = shared.create_token(db, partner="FR", role="viewer")
        db.commit()
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/objects", headers=h).status_code == 200
    with app.state.sessions() as db:
        assert shared.revoke_token(db, token_id=info.id)
        db.commit()
    assert client.get("/api/v1/objects", headers=h).status_code == 401


def test_only_hash_of_token_is_stored(env):
    import hashlib

    from orbitwatch.store.shared_models import tokens_table

    client, world, app = env
    with app.state.sessions() as db:
        stored = {r[0] for r in db.execute(select(tokens_table.c.token_hash))}
    for token in world.tokens.values():
        assert token not in stored
        assert hashlib.sha256(token.encode()).hexdigest() in stored


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_admin_routes_forbid_non_admins(env, role):
    client, world, _ = env
    h = auth(world, "JP", role)
    assert client.get("/api/v1/partners", headers=h).status_code == 403
    assert client.get("/api/v1/audit", headers=h).status_code == 403
    assert client.get("/api/v1/objects", headers=h).status_code == 200


def test_viewers_cannot_write(env):
    client, world, _ = env
    h = auth(world, "US", "viewer")
    r = client.post("/api/v1/ingest", headers=h, files={"file": ("a.tle", make_tle(91000, "X"))})
    assert r.status_code == 403
    assert client.post("/api/v1/screenings", headers=h, json={}).status_code == 403
    assert client.post("/api/v1/events", headers=h,
                       json={"time": "2026-11-20T00:00:00Z"}).status_code == 403


def test_partners_and_me(env):
    client, world, _ = env
    r = client.get("/api/v1/partners", headers=auth(world, "FR", "admin")).json()
    assert {p["code"] for p in r["data"]} >= {"US", "JP", "FR"} and r["count"] == len(r["data"])
    me = client.get("/api/v1/me", headers=auth(world, "JP", "analyst")).json()
    assert me["partner"] == "JP" and me["role"] == "analyst"


# -- ingest -------------------------------------------------------------------


def test_ingest_good_file_counts_and_releasability(env):
    client, world, _ = env
    text = make_tle(91001, "UPLOAD ONE") + make_tle(91002, "UPLOAD TWO")
    h = auth(world, "JP", "analyst")
    # listings are cached per partner and query; a new ingest must show at once
    before = {v: client.get("/api/v1/objects", headers=auth(world, v)).json()["count"]
              for v in ("US", "JP", "FR")}
    r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": "FR"},
                    files={"file": ("jp.tle", text.encode())})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["read"], body["new"], body["duplicate"], body["rejected"]) == (2, 2, 0, 0)
    assert body["partner"] == "JP" and body["releasable_to"] == "FR" and body["stored"]
    # the same file again: all duplicates
    r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": "FR"},
                    files={"file": ("jp.tle", text.encode())})
    assert (r.json()["new"], r.json()["duplicate"]) == (0, 2)
    for viewer, code in (("JP", 200), ("FR", 200), ("US", 404)):
        assert client.get("/api/v1/objects/91001", headers=auth(world, viewer)).status_code == code
        after = client.get("/api/v1/objects", headers=auth(world, viewer)).json()["count"]
        assert after == before[viewer] + (2 if code == 200 else 0)
    # the upload record itself carries the same releasability
    for viewer, n in (("JP", 2), ("FR", 2), ("US", 0)):
        ups = client.get("/api/v1/uploads", headers=auth(world, viewer)).json()["data"]
        assert sum(u["filename"] == "jp.tle" for u in ups) == n
    sets = client.get("/api/v1/objects/91001/elements", headers=auth(world, "FR")).json()
    assert sets["data"][0]["partner"] == "JP" and sets["data"][0]["releasable_to"] == "FR"


def test_ingest_gzip_upload(env):
    import gzip

    client, world, _ = env
    text = make_tle(91003, "UPLOAD GZ")
    r = client.post("/api/v1/ingest", headers=auth(world, "US", "admin"),
                    data={"releasable_to": "ALL"},
                    files={"file": ("us.tle.gz", gzip.compress(text.encode()))})
    assert r.status_code == 200 and r.json()["new"] == 1
    assert client.get("/api/v1/objects/91003", headers=auth(world, "FR")).status_code == 200


def test_malformed_upload_rejected_with_cli_messages_and_nothing_stored(env, tmp_path):
    from orbitwatch.elements import read_file
    from orbitwatch.store.models import element_sets_table, objects_table

    client, world, app = env
    good = make_tle(91010, "GOOD ONE")
    bad = make_tle(91011, "BAD ONE")
    lines = bad.splitlines()
    # break the checksum of line 1
    last = lines[1][-1]
    lines[1] = lines[1][:-1] + str((int(last) + 1) % 10)
    text = good + "\n".join(lines) + "\n"
    before = (_count(app, element_sets_table), _count(app, objects_table))
    r = client.post("/api/v1/ingest", headers=auth(world, "FR", "analyst"),
                    files={"file": ("mixed.tle", text.encode())})
    assert r.status_code == 422
    body = r.json()
    assert body["stored"] is False and body["rejected"] == 1 and body["new"] == 0
    # the CLI prints str(RecordError) for each rejected record of the same file
    path = tmp_path / "mixed.tle"
    path.write_text(text)
    cli = [str(e).replace(str(path), "mixed.tle") for e in read_file(path).errors]
    assert [m["text"] for m in body["messages"]] == cli
    assert body["messages"][0]["line"] == 5  # the corrupted line 1 of the second set
    assert (_count(app, element_sets_table), _count(app, objects_table)) == before
    assert client.get("/api/v1/objects/91010", headers=auth(world, "FR")).status_code == 404
    # on_error=skip stores the good record and still lists the bad one
    r = client.post("/api/v1/ingest", headers=auth(world, "FR", "analyst"),
                    data={"on_error": "skip"}, files={"file": ("mixed.tle", text.encode())})
    assert r.status_code == 200 and (r.json()["new"], r.json()["rejected"]) == (1, 1)
    assert client.get("/api/v1/objects/91010", headers=auth(world, "FR")).status_code == 200


def test_unsupported_format_is_400_and_bad_releasability_422(env):
    client, world, _ = env
    h = auth(world, "US", "analyst")
    r = client.post("/api/v1/ingest", headers=h, files={"file": ("x.txt", b"hello world\n")})
    assert r.status_code == 400 and "x.txt" in r.json()["detail"]
    r = client.post("/api/v1/ingest", headers=h, files={"file": ("e.tle", b"")})
    assert r.status_code == 400
    r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": "ZZ"},
                    files={"file": ("a.tle", make_tle(91020, "A").encode())})
    assert r.status_code == 422 and "ZZ" in r.json()["detail"]


# -- audit --------------------------------------------------------------------


def test_audit_records_reads_and_writes(env):
    client, world, _ = env
    h = auth(world, "JP", "viewer")
    client.get("/api/v1/conjunctions?limit=1000", headers=h)
    client.get("/api/v1/objects/90001", headers=h)
    client.get("/api/v1/objects/99999", headers=h)
    client.post("/api/v1/events", headers=auth(world, "JP", "analyst"),
                json={"time": "2026-11-21T00:00:00Z", "title": "finding", "releasable_to": "US"})
    log = client.get("/api/v1/audit?limit=1000", headers=auth(world, "JP", "admin")).json()
    entries = log["data"]
    assert log["count"] >= 4 and all(e["partner"] == "JP" for e in entries)
    conj = [e for e in entries if e["resource"] == "conjunctions" and e["action"] == "read"]
    assert conj and conj[0]["at"].endswith("Z")
    want = world.visible("conjunctions", "JP")
    assert {int(i) for i in conj[0]["record_ids"].split(",")} == want
    assert any(e["path"] == "/api/v1/objects/99999" and e["status"] == 404 for e in entries)
    writes = [e for e in entries if e["action"] == "write" and e["resource"] == "events"]
    assert writes and writes[0]["method"] == "POST" and writes[0]["role"] == "analyst"
    # entries of other partners are not shown to JP's admin
    us = client.get("/api/v1/audit?limit=1000", headers=auth(world, "US", "admin")).json()
    assert all(e["partner"] == "US" for e in us["data"])


# -- findings -----------------------------------------------------------------


def test_post_finding_releasability(env):
    client, world, _ = env
    r = client.post("/api/v1/events", headers=auth(world, "FR", "analyst"),
                    json={"kind": "finding", "time": "2026-11-21T01:00:00Z", "norad_id": 90001,
                          "title": "unusual RPO", "payload": {"note": "x"}, "releasable_to": "JP"})
    assert r.status_code == 201
    eid = r.json()["id"]
    for viewer, code in (("FR", 200), ("JP", 200), ("US", 404)):
        assert client.get(f"/api/v1/events/{eid}", headers=auth(world, viewer)).status_code == code


def test_a_partner_shares_a_manoeuvre_notice(env):
    """JP notifies a planned manoeuvre to US (kind=notice); US sees it among the notices,
    FR does not; the norms read it as {object, time} from the payload or the record."""
    client, world, _ = env
    r = client.post("/api/v1/events", headers=auth(world, "JP", "analyst"),
                    json={"kind": "notice", "time": "2026-11-22T03:00:00Z", "norad_id": 90001,
                          "payload": {"object": 90001, "time": "2026-11-22T03:00:00Z"},
                          "releasable_to": "US"})
    assert r.status_code == 201 and r.json()["kind"] == "notice"
    seen = client.get("/api/v1/events?kind=notice", headers=auth(world, "US")).json()["data"]
    assert [e["norad_id"] for e in seen] == [90001]
    assert client.get("/api/v1/events?kind=notice", headers=auth(world, "FR")).json()["data"] == []


def test_superseded_events_are_listed_only_when_asked(env):
    """A run's manoeuvre replaced by a later run's: the timeline lists the
    current one; with ``superseded=true`` the old one too, naming its
    replacement; by id it is still there."""
    from orbitwatch.store.events import store_events, supersede_events

    client, world, app = env
    rec = {"type": "maneuver", "object": 90001, "gap_start": "2026-11-20T00:00:00Z",
           "gap_end": "2026-11-21T00:00:00Z", "epoch_estimate": "2026-11-20T12:00:00Z",
           "kind": "in-plane along-track", "delta_v_m_s": 0.3, "confidence": 0.9}
    with app.state.sessions() as db:
        conn = db.connection()
        old: list[int] = []
        store_events(conn, [rec], partner="JP", releasable_to="US", ids=old, origin="run", revise=True)
        new: list[int] = []
        store_events(conn, [dict(rec, epoch_estimate="2026-11-20T18:00:00Z")], partner="JP",
                     releasable_to="US", ids=new, origin="run", revise=True)
        supersede_events(conn, partner="JP", origins=("run",), current=new, derived_for="US",
                         in_scope=lambda r: r["norad_id"] == 90001)
        db.commit()
    h = auth(world, "US")
    now = {e["id"]: e for e in client.get("/api/v1/events?kind=maneuver&limit=1000", headers=h).json()["data"]}
    assert new[0] in now and old[0] not in now and now[new[0]]["origin"] == "run"
    assert now[new[0]]["supersedes"] == [old[0]]
    every = {e["id"]: e for e in client.get("/api/v1/events?kind=maneuver&superseded=true&limit=1000",
                                             headers=h).json()["data"]}
    assert every[old[0]]["superseded_by"] == new[0] and every[old[0]]["superseded_at"].endswith("Z")
    assert client.get(f"/api/v1/events/{old[0]}", headers=h).json()["superseded_by"] == new[0]
    # on the stream, the revision says what it revises
    sent = {}
    with client.stream("GET", f"/api/v1/stream?since=0:{old[0]}&timeout_s=0.3", headers=h) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                d = json.loads(line[6:])
                sent[d["id"]] = d
    assert sent[new[0]]["supersedes"] == [old[0]]
    # replaced by a record released more narrowly (its sets were, since): to a
    # reader of the old one that may not see the new, the old one was withdrawn
    # (no id of the new)
    wide = dict(rec, object=90002, epoch_estimate="2026-11-20T06:00:00Z")
    with app.state.sessions() as db:
        conn = db.connection()
        w: list[int] = []
        store_events(conn, [wide], partner="JP", releasable_to="ALL", ids=w, origin="run", revise=True)
        n: list[int] = []
        store_events(conn, [dict(wide, delta_v_m_s=0.9)], partner="JP", releasable_to="ALL",
                     per_record=["JP"], ids=n, origin="run", revise=True)
        assert supersede_events(conn, partner="JP", origins=("run",), current=n,
                                in_scope=lambda r: r["norad_id"] == 90002) == {w[0]: n[0]}
        db.commit()
    us = client.get(f"/api/v1/events/{w[0]}", headers=h).json()
    assert us["superseded_at"] and us["superseded_by"] is None
    assert client.get(f"/api/v1/events/{w[0]}", headers=auth(world, "JP")).json()["superseded_by"] == n[0]


def _listen(client, url, headers) -> list[tuple[str, str, dict]]:
    """(SSE id, event type, data) of each message of a stream that closes itself."""
    got, tag, kind = [], None, None
    with client.stream("GET", url, headers=headers) as r:
        for line in r.iter_lines():
            if line.startswith("id: "):
                tag = line[4:]
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                got.append((tag, kind, json.loads(line[6:])))
    return got


def test_stream_announces_revisions_and_withdrawals(env):
    """A subscriber hears when a record it may see is revised (``superseded`` naming
    the replacement, which arrives naming what it supersedes) or withdrawn
    (``superseded_by`` null); one that may not see the record hears nothing of
    it; the cursor's third part resumes after the supersessions already sent."""
    from orbitwatch.store.events import store_events, supersede_events

    client, world, app = env
    rec = {"type": "maneuver", "object": 90011, "gap_start": "2026-11-20T00:00:00Z",
           "gap_end": "2026-11-21T00:00:00Z", "epoch_estimate": "2026-11-20T12:00:00Z",
           "kind": "in-plane along-track", "delta_v_m_s": 0.3, "confidence": 0.9}
    gone = dict(rec, object=90012)
    with app.state.sessions() as db:
        first: list[int] = []
        store_events(db.connection(), [rec, gone], partner="JP", releasable_to="US", ids=first,
                     origin="run", revise=True)
        db.commit()
    results: dict[str, list] = {}

    def listen(viewer):
        results[viewer] = _listen(client, "/api/v1/stream?timeout_s=2.5", auth(world, viewer))

    threads = [threading.Thread(target=listen, args=(v,)) for v in ("US", "FR")]
    for t in threads:
        t.start()
    time.sleep(0.8)
    with app.state.sessions() as db:  # the next run: 90011's burn re-placed, 90012's gone
        conn = db.connection()
        second: list[int] = []
        store_events(conn, [dict(rec, epoch_estimate="2026-11-20T20:00:00Z")], partner="JP",
                     releasable_to="US", ids=second, origin="run", revise=True)
        assert supersede_events(conn, partner="JP", origins=("run",), current=second,
                                derived_for="US",
                                in_scope=lambda r: r["norad_id"] in (90011, 90012)) == {
            first[0]: second[0], first[1]: None}
        db.commit()
    for t in threads:
        t.join(10)
    assert results["FR"] == []
    us = results["US"]
    sup = {d["id"]: d for _, kind, d in us if kind == "superseded"}
    assert sup[first[0]]["superseded_by"] == second[0] and sup[first[0]]["norad_id"] == 90011
    assert sup[first[1]]["superseded_by"] is None and sup[first[1]]["superseded_at"].endswith("Z")
    assert [d["supersedes"] for _, kind, d in us if kind == "event"] == [[first[0]]]
    last = us[-1][0]
    c, e, s = (int(x) for x in last.split(":"))
    assert e == second[0] and s >= 2
    # resuming from the last cursor sends nothing again; from one supersession
    # earlier, the last one again; a two-part cursor from before starts them at the newest
    h = auth(world, "US")
    assert _listen(client, f"/api/v1/stream?since={last}&timeout_s=0.3", h) == []
    again = _listen(client, f"/api/v1/stream?since={c}:{e}:{s - 1}&timeout_s=0.3", h)
    assert [(kind, d["id"]) for _, kind, d in again] == [("superseded", max(first))]
    assert _listen(client, f"/api/v1/stream?since={c}:{e}&timeout_s=0.3", h) == []
    assert client.get("/api/v1/stream?since=1:2:3:4", headers=h).status_code == 422


def test_a_conjunction_reassessed_in_place_reaches_lists_filters_and_the_stream(env):
    """A rerun on fresher sets rewrites a stored conjunction's miss distance and
    Pc under its id (store.shared.add_conjunctions).  The cached list, its
    ``min_pc`` filter and the live stream must show the new assessment: a
    conjunction that turned red (Pc 2e-4 >= 1e-4, 0.3 km) is not left hidden
    behind the first one (Pc 1e-7, 2 km) until some other record is added."""
    from datetime import UTC, datetime

    from orbitwatch.store import shared

    client, world, app = env
    h = auth(world, "US")

    def conj(pc, miss):
        return {"object_1": 90001, "object_2": 90002, "object_1_name": "A", "object_2_name": "B",
                "tca": datetime(2026, 12, 1, 12, tzinfo=UTC), "miss_distance_km": miss,
                "relative_speed_km_s": 10.0, "miss_r_km": 0.1, "miss_t_km": 0.1, "miss_n_km": miss,
                "pc": pc}

    def listed():
        rows = client.get("/api/v1/conjunctions?norad_id=90001&limit=1000", headers=h).json()["data"]
        red = client.get("/api/v1/conjunctions?min_pc=1e-4&limit=1000", headers=h).json()["data"]
        return ({r["id"]: (r["pc"], r["miss_distance_km"]) for r in rows}, {r["id"] for r in red})

    with app.state.sessions() as db:
        [cid] = shared.add_conjunctions(db, conjunctions=[conj(1e-7, 2.0)], partner="US",
                                        releasable_to="ALL")
        db.commit()
    rows, red = listed()  # now cached
    assert rows[cid] == (1e-7, 2.0) and cid not in red
    (c0, e0, s0) = (int(x) for x in _listen(client, "/api/v1/stream?since=0:0:0&timeout_s=0.3", h)[-1][0]
                    .split(":"))
    with app.state.sessions() as db:
        assert shared.add_conjunctions(db, conjunctions=[conj(2e-4, 0.3)], partner="US",
                                       releasable_to="ALL") == [cid]
        db.commit()
    rows, red = listed()
    assert rows[cid] == (2e-4, 0.3) and cid in red
    assert client.get(f"/api/v1/conjunctions/{cid}", headers=h).json()["pc"] == 2e-4
    again = _listen(client, f"/api/v1/stream?since={c0}:{e0}:{s0}&timeout_s=0.3", h)
    assert [(k, d["id"], d["pc"]) for _, k, d in again] == [("conjunction", cid, 2e-4)]
    # the cursor moved past it: resuming from there sends nothing more
    assert _listen(client, f"/api/v1/stream?since={again[-1][0]}&timeout_s=0.3", h) == []
    # the same assessment once more changes nothing, and is not sent again
    with app.state.sessions() as db:
        shared.add_conjunctions(db, conjunctions=[conj(2e-4, 0.3)], partner="US", releasable_to="ALL")
        db.commit()
    assert _listen(client, f"/api/v1/stream?since={again[-1][0]}&timeout_s=0.3", h) == []


# -- screening jobs -----------------------------------------------------------


def test_posted_events_the_norms_judge_must_hold_what_they_read(env):
    """A posted proximity event with a distance the rules cannot compute with is
    refused, naming the field; a well-formed one is stored."""
    client, world, _ = env
    h = auth(world, "JP", "analyst")
    payload = {"type": "proximity", "asset": 90001, "object": 90002, "kind": "approach",
               "closest_km": "0.5", "closest_time": "2026-11-20T12:00:00Z",
               "first_time": "2026-11-20T12:00:00Z"}
    body = {"kind": "proximity", "time": "2026-11-20T12:00:00Z", "norad_id": 90002,
            "payload": payload, "releasable_to": "ALL"}
    r = client.post("/api/v1/events", headers=h, json=body)
    assert r.status_code == 422 and "field 'closest_km': '0.5' is not a number" in r.text
    r = client.post("/api/v1/events", headers=h, json=dict(body, payload=dict(payload, closest_km=0.5)))
    assert r.status_code == 201, r.text


def _wait_job(client, h, job_id, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/api/v1/screenings/{job_id}", headers=h).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_screening_job_stores_conjunctions_with_creator_releasability(env):
    """Two objects in planes 0.02 deg apart cross twice per revolution; the job must
    find exactly what orbitwatch.screening.screen finds on the same element sets."""
    from orbitwatch.elements import parse_text
    from orbitwatch.screening import screen

    client, world, _ = env
    text = (make_tle(92001, "PLANE A", raan_deg=100.0, mean_anomaly_deg=0.0)
            + make_tle(92002, "PLANE B", raan_deg=100.02, mean_anomaly_deg=0.0))
    h = auth(world, "US", "analyst")
    r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": "ALL"},
                    files={"file": ("pair.tle", text.encode())})
    assert r.status_code == 200
    params = {"start": "2026-11-20T12:00:00Z", "span_s": 7200, "threshold_km": 10.0,
              "ids": [92001, 92002], "releasable_to": "JP"}
    r = client.post("/api/v1/screenings", headers=h, json=params)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    job = _wait_job(client, h, job_id)
    assert job["status"] == "done", job
    ref = screen(parse_text(text).element_sets, EPOCH, 7200.0, 10.0)
    assert job["n_conjunctions"] == len(ref.conjunctions) > 0
    assert sorted(c["tca"][:19] for c in job["conjunctions"]) == sorted(
        c.tca.strftime("%Y-%m-%dT%H:%M:%S") for c in ref.conjunctions)
    assert all(c["partner"] == "US" and c["releasable_to"] == "JP" for c in job["conjunctions"])
    for viewer, code in (("US", 200), ("JP", 200), ("FR", 404)):
        assert client.get(f"/api/v1/screenings/{job_id}", headers=auth(world, viewer)).status_code == code
        n = client.get(f"/api/v1/conjunctions?screening_id={job_id}",
                       headers=auth(world, viewer)).json()["count"]
        assert n == (len(ref.conjunctions) if code == 200 else 0)
    # a job released wider than what it screened tells each reader only of the
    # sets and conjunctions that reader may see: counts, failures, notes
    text = (make_tle(92011, "PUBLIC A", raan_deg=100.0) + make_tle(92012, "US ONLY B", raan_deg=100.02)
            + make_tle(92014, "US ONLY DECAYED", mean_motion=17.5))  # below the surface
    for one, rel in ((text.splitlines(True)[:3], "ALL"), (text.splitlines(True)[3:], "US")):
        r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": rel},
                        files={"file": ("x.tle", "".join(one).encode())})
        assert r.status_code == 200, r.text
    r = client.post("/api/v1/screenings", headers=h, json=dict(params, ids=[92011, 92012, 92014],
                                                               releasable_to="ALL"))
    wide = _wait_job(client, h, r.json()["id"])
    assert wide["status"] == "done" and wide["n_conjunctions"] == len(wide["conjunctions"]) > 0
    assert wide["n_objects"] == 3 and wide["message"] == "1 object(s) failed to propagate"
    assert wide["total"] > 0 and "scope" not in wide
    jp = client.get(f"/api/v1/screenings/{wide['id']}", headers=auth(world, "JP")).json()
    assert jp["n_conjunctions"] == len(jp["conjunctions"]) == 0
    assert (jp["n_objects"], jp["message"], jp["done"], jp["total"]) == (1, None, 100, 100)
    # the objects it was asked for: JP is told only of the one it may see
    assert wide["params"]["ids"] == [92011, 92012, 92014] and jp["params"]["ids"] == [92011]
    listed = client.get("/api/v1/screenings", headers=auth(world, "JP")).json()["data"]
    assert [(j["n_conjunctions"], j["n_objects"], j["message"])
            for j in listed if j["id"] == wide["id"]] == [(0, 1, None)]
    assert [j["params"]["ids"] for j in listed if j["id"] == wide["id"]] == [[92011]]
    # the screening's CDM has states from the screening and parses back
    from orbitwatch.ccsds.cdm import parse_cdm

    cid = job["conjunctions"][0]["id"]
    cdm = parse_cdm(client.get(f"/api/v1/conjunctions/{cid}/cdm", headers=h).text)
    assert cdm.miss_distance_m == pytest.approx(job["conjunctions"][0]["miss_distance_km"] * 1e3, abs=1e-3)


def test_primary_jobs_reuse_the_catalog_index_until_the_data_change(env):
    """Jobs with primaries run on a catalog index the app keeps per partner,
    selection and UTC days: the second primary of the same snapshot reuses it
    (the events still those of orbitwatch.screening.screen), and an ingest
    (a new data version) makes the next job build a new one."""
    from orbitwatch.elements import parse_text
    from orbitwatch.screening import screen

    client, world, app = env
    text = (make_tle(92011, "PRIMARY A", raan_deg=200.0, mean_anomaly_deg=0.0)
            + make_tle(92012, "PRIMARY B", raan_deg=200.02, mean_anomaly_deg=0.0))
    h = auth(world, "US", "analyst")
    r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": "ALL"},
                    files={"file": ("pair.tle", text.encode())})
    assert r.status_code == 200
    sets = parse_text(text).element_sets
    cache = app.state.indexes
    for n, prim in enumerate((92011, 92012)):
        hits, misses = cache.hits, cache.misses
        params = {"start": "2026-11-20T13:00:00Z", "span_s": 5400, "threshold_km": 10.0,
                  "ids": [92011, 92012], "primaries": [prim]}
        job = _wait_job(client, h, client.post("/api/v1/screenings", headers=h, json=params).json()["id"])
        assert job["status"] == "done", job
        ref = screen(sets, EPOCH.replace(hour=13), 5400.0, 10.0, primaries=[prim], method="general")
        assert len(ref.conjunctions) > 0
        assert sorted((c["object_1"], c["tca"][:23]) for c in job["conjunctions"]) == sorted(
            (c.object_1, c.tca.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]) for c in ref.conjunctions)
        assert (cache.hits - hits, cache.misses - misses) == ((0, 1) if n == 0 else (1, 0))
    # new data: the kept index is stale
    r = client.post("/api/v1/ingest", headers=h, data={"releasable_to": "ALL"},
                    files={"file": ("c.tle", make_tle(92013, "OTHER", raan_deg=20.0).encode())})
    assert r.status_code == 200
    misses = cache.misses
    job = _wait_job(client, h, client.post("/api/v1/screenings", headers=h, json=params).json()["id"])
    assert job["status"] == "done" and cache.misses == misses + 1


def test_screening_rejects_invisible_primary(env):
    client, world, _ = env
    # 90001 is US-only: for FR it does not exist
    r = client.post("/api/v1/screenings", headers=auth(world, "FR", "analyst"),
                    json={"primaries": [90001], "span_s": 600})
    assert r.status_code == 422 and "not found" in r.json()["detail"]


# -- live stream --------------------------------------------------------------


def test_stream_pushes_new_records_only_to_partners_allowed(env):
    from orbitwatch.store import shared

    client, world, app = env
    results: dict[str, list] = {}

    def listen(viewer):
        got = []
        with client.stream("GET", "/api/v1/stream?timeout_s=2.5", headers=auth(world, viewer)) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:])["title"] if "title" in line else "conj")
        results[viewer] = got

    threads = [threading.Thread(target=listen, args=(v,)) for v in ("US", "JP", "FR")]
    for t in threads:
        t.start()
    time.sleep(0.8)
    with app.state.sessions() as db:
        shared.add_event(db, kind="breakup", time=EPOCH, title="live US->FR", partner="US",
                         releasable_to="FR", payload={})
        shared.add_event(db, kind="proximity", time=EPOCH, title="live JP only", partner="JP",
                         releasable_to="JP", payload={})
        db.commit()
    for t in threads:
        t.join(10)
    assert results["US"] == ["live US->FR"]
    assert results["FR"] == ["live US->FR"]
    assert results["JP"] == ["live JP only"]
    assert all(expected_visible(v, "US", "FR") == ("live US->FR" in results[v]) for v in results)


# -- health and docs ------------------------------------------------------------


def test_healthz_and_offline_docs(env):
    client, _, _ = env
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["time"].endswith("Z")
    spec = client.get("/openapi.json").json()
    assert "/api/v1/objects" in spec["paths"] and "/api/v1/stream" in spec["paths"]
    html = client.get("/docs").text
    # every script and stylesheet of the docs page comes from this server
    import re

    assert not re.search(r"""(src|href)=["']https?://""", html), html
    if "/docs-static/" in html:
        assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "http://" not in page.text and "https://" not in page.text
    js = client.get("/static/app.js").text
    assert "http://" not in js and "https://" not in js


# -- element history: GEO longitude and maneuvers on real data -----------------


def test_geo_history_longitude_and_maneuvers_real_data(env):
    """Fengyun-2D (GEO) history from the Shorten benchmark: the longitude at epoch
    agrees with skyfield's sub-satellite point, and the maneuvers route gives what
    the detector gives on the same (visible) sets; FR, not a recipient, gets 404."""
    from skyfield.api import EarthSatellite, load, wgs84

    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.elements import read_file
    from tests.conftest import shared_path

    client, world, _ = env
    path = shared_path("maneuvers", "tle_benchmark_shorten", "processed_files", "Fengyun-2D.tle")
    r = client.post("/api/v1/ingest", headers=auth(world, "US", "analyst"),
                    data={"releasable_to": "JP"},
                    files={"file": ("Fengyun-2D.tle", path.read_bytes())})
    assert r.status_code == 200, r.text
    h = auth(world, "JP")
    els = client.get("/api/v1/objects/29640/elements?limit=1000", headers=h).json()
    assert els["count"] == r.json()["new"]
    ts = load.timescale(builtin=True)
    for row in els["data"][:: max(1, len(els["data"]) // 8)]:
        sat = EarthSatellite(row["line1"], row["line2"], ts=ts)
        lon = wgs84.subpoint_of(sat.at(sat.epoch)).longitude.degrees
        assert row["geo_longitude_deg"] == pytest.approx(lon, abs=0.01)
    got = client.get("/api/v1/objects/29640/maneuvers", headers=h).json()
    want = [m.to_json() for m in detect_maneuvers(read_file(path).element_sets)]
    # provenance in the evidence (source lines, names) differs between a file and the
    # store; the detections themselves must be the same
    def key(m):
        return (m["gap_start"], m["gap_end"], m["epoch_estimate"], m["kind"],
                round(m["delta_v_m_s"], 4))

    assert [key(m) for m in got["data"]] == [key(m) for m in want]
    assert got["count"] == len(want) > 0
    assert client.get("/api/v1/objects/29640/maneuvers", headers=auth(world, "FR")).status_code == 404
