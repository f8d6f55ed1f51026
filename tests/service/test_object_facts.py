"""``/api/v1/objects``: an object's name, owner, designator and dates come only
from records the caller may see.

The reviewer's case, on SQLite and PostgreSQL: JP ingests a one-row SATCAT for
object 67403 (owner PRC, "SECRET SAT") releasable to JP only, with the CLI;
the object also has a public element set.  And JP uploads through the API a
3LE, for JP only, whose name line renames object 28117.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from tests.service.conftest import auth, fresh_db
from tests.service.seeding import EPOCH, PARTNERS, make_tle
from tests.store.test_object_facts import satcat, two_line

runner = CliRunner()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def env(request, tmp_path_factory):
    from fastapi.testclient import TestClient

    from orbitwatch.cli import app as cli
    from orbitwatch.service.app import create_app
    from orbitwatch.service.settings import ServiceSettings
    from orbitwatch.store import shared
    from orbitwatch.store.db import open_engine, session_factory

    gen = fresh_db(request.param, tmp_path_factory)
    url = next(gen)
    engine = open_engine(url)
    tokens = {}
    with session_factory(engine)() as db:
        for code, name in PARTNERS.items():
            shared.add_partner(db, code=code, name=name)
            for role in ("viewer", "analyst"):
                tokens[(code, role)] = shared.create_token(db, partner=code, role=role)[0]
        db.commit()
    engine.dispose()
    files = tmp_path_factory.mktemp("facts")
    for name, body, extra in (
        ("pub.tle", two_line(67403), []),
        ("jp_satcat.csv", satcat("SECRET SAT"), ["--partner", "JP", "--releasable-to", "JP"]),
        ("pub.3le", make_tle(28117, "PUBLIC NAME"), []),
    ):
        (files / name).write_text(body)
        res = runner.invoke(cli, ["ingest", str(files / name), "--db", url, "--quiet", *extra])
        assert res.exit_code == 0, res.output
    app = create_app(url, settings=ServiceSettings(stream_poll_s=0.05))

    class World:
        pass

    world = World()
    world.tokens = tokens
    with TestClient(app) as c:
        yield c, world
    for _ in gen:
        pass


def test_restricted_satcat_facts_only_for_those_they_are_released_to(env):
    client, world = env
    for viewer in ("FR", "US"):
        h = auth(world, viewer)
        body = client.get("/api/v1/objects/67403", headers=h).json()
        assert (body["name"], body["owner"], body["intl_designator"], body["launch_date"]) == (
            None, None, "2026-001A", None), body
        assert "SECRET" not in client.get("/api/v1/objects?limit=100", headers=h).text
        for q in ("q=SECRET", "owner=PRC", "q=2025-999"):
            assert client.get(f"/api/v1/objects?{q}", headers=h).json()["count"] == 0
    h = auth(world, "JP")
    body = client.get("/api/v1/objects/67403", headers=h).json()
    assert (body["name"], body["owner"], body["intl_designator"], body["launch_date"]) == (
        "SECRET SAT", "PRC", "2025-999A", "2025-01-02")
    for q in ("q=SECRET", "owner=PRC", "q=2025-999", "type=PAYLOAD"):
        r = client.get(f"/api/v1/objects?{q}", headers=h).json()
        assert [o["norad_id"] for o in r["data"]] == [67403] and r["count"] == 1


def test_a_restricted_upload_renames_an_object_for_its_readers_only(env):
    client, world = env
    text = make_tle(28117, "JP NAME", epoch=EPOCH + timedelta(days=1), set_no=2)
    r = client.post("/api/v1/ingest", headers=auth(world, "JP", "analyst"),
                    files={"file": ("jp.3le", text.encode())}, data={"releasable_to": "JP"})
    assert r.status_code == 200, r.text
    for viewer, name in (("US", "PUBLIC NAME"), ("FR", "PUBLIC NAME"), ("JP", "JP NAME")):
        h = auth(world, viewer)
        assert client.get("/api/v1/objects/28117", headers=h).json()["name"] == name
        found = client.get("/api/v1/objects?q=JP%20NAME", headers=h).json()["count"]
        assert found == (viewer == "JP")
