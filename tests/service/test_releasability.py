"""Every route, every partner: visibility, 404 vs 200, counts, pagination totals.

The oracle is :func:`tests.service.seeding.expected_visible`, the issue's rule
written out plainly, applied to what was seeded.
"""

from __future__ import annotations

import pytest

from tests.service.conftest import auth
from tests.service.seeding import PARTNERS, expected_visible

VIEWERS = list(PARTNERS)


def _all_pages(client, url, headers, limit=4):
    ids, counts, offset = [], set(), 0
    while True:
        sep = "&" if "?" in url else "?"
        r = client.get(f"{url}{sep}limit={limit}&offset={offset}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        counts.add(body["count"])
        ids += body["data"]
        if len(body["data"]) < limit:
            return ids, counts
        offset += limit


@pytest.mark.parametrize("viewer", VIEWERS)
def test_objects_list_count_and_paging(client, world, viewer):
    h = auth(world, viewer)
    want = world.visible_objects(viewer)
    r = client.get("/api/v1/objects?limit=1000", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert {o["norad_id"] for o in body["data"]} == want
    assert body["count"] == len(want)
    rows, counts = _all_pages(client, "/api/v1/objects", h)
    assert counts == {len(want)}
    assert [o["norad_id"] for o in rows] == sorted(want)
    # a page smaller than the total still reports the total
    r = client.get("/api/v1/objects?limit=2&offset=1", headers=h).json()
    assert len(r["data"]) == 2 and r["count"] == len(want)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_object_detail_404_same_as_nonexistent(client, world, viewer):
    h = auth(world, viewer)
    visible = world.visible_objects(viewer)
    missing = client.get("/api/v1/objects/99999", headers=h)
    assert missing.status_code == 404
    for nid in world.objects:
        r = client.get(f"/api/v1/objects/{nid}", headers=h)
        if nid in visible:
            assert r.status_code == 200 and r.json()["norad_id"] == nid
            assert r.json()["epoch"].endswith("Z")
        else:
            assert r.status_code == 404
            assert r.json()["detail"] == missing.json()["detail"].replace("99999", str(nid))
            assert set(r.headers) == set(missing.headers)
        e = client.get(f"/api/v1/objects/{nid}/elements", headers=h)
        assert e.status_code == (200 if nid in visible else 404)
    for nid in (min(visible), min(set(world.objects) - visible)):
        t = client.get(f"/api/v1/objects/{nid}/track?span_min=10", headers=h)
        assert t.status_code == (200 if nid in visible else 404)
        m = client.get(f"/api/v1/objects/{nid}/maneuvers", headers=h)
        assert m.status_code == (200 if nid in visible else 404)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_history_shows_only_visible_sets(client, world, viewer):
    """Object 90100 has a newer US-only set and an older JP set released to FR."""
    h = auth(world, viewer)
    sets = [(p, r) for p, r in world.objects[90100] if expected_visible(viewer, p, r)]
    r = client.get("/api/v1/objects/90100/elements", headers=h)
    if not sets:
        assert r.status_code == 404
        return
    body = r.json()
    assert body["count"] == len(sets)
    assert sorted((d["partner"], d["releasable_to"]) for d in body["data"]) == sorted(sets)
    # the object's epoch is that of the newest set the viewer may see
    obj = client.get("/api/v1/objects/90100", headers=h).json()
    assert obj["epoch"] == max(d["epoch"] for d in body["data"])


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_and_filters_respect_releasability(client, world, viewer):
    h = auth(world, viewer)
    visible = world.visible_objects(viewer)
    r = client.get("/api/v1/objects?q=seed&limit=1000", headers=h).json()
    want = {n for n in visible if world.names[n].startswith("SEED")}
    assert {o["norad_id"] for o in r["data"]} == want and r["count"] == len(want)
    for code in PARTNERS:
        r = client.get(f"/api/v1/objects?q=SEED {code}&limit=1000", headers=h).json()
        assert r["count"] == len({n for n in want if world.names[n].startswith(f"SEED {code}")})
    r = client.get("/api/v1/objects?owner=JPN&type=DEBRIS&limit=1000", headers=h).json()
    assert {o["norad_id"] for o in r["data"]} == {
        n for n in visible if n % 2 == 0 and n % 3 == 0
    }
    r = client.get("/api/v1/objects?regime=LEO&limit=1000", headers=h).json()
    assert r["count"] == len(visible)
    assert client.get("/api/v1/objects?regime=GEO", headers=h).json()["count"] == 0
    assert client.get("/api/v1/objects?regime=XYZ", headers=h).status_code == 422


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("kind,url", [
    ("conjunctions", "/api/v1/conjunctions"),
    ("events", "/api/v1/events"),
    ("sensors", "/api/v1/sensors"),
])
def test_shared_lists(client, world, viewer, kind, url):
    h = auth(world, viewer)
    want = world.visible(kind, viewer)
    body = client.get(f"{url}?limit=1000", headers=h).json()
    assert {d["id"] for d in body["data"]} == want
    assert body["count"] == len(want)
    for d in body["data"]:
        assert expected_visible(viewer, d["partner"], d["releasable_to"])
    rows, counts = _all_pages(client, url, h, limit=3)
    assert counts == {len(want)} and {d["id"] for d in rows} == want


@pytest.mark.parametrize("viewer", VIEWERS)
def test_conjunction_detail_and_cdm(client, world, viewer):
    from orbitwatch.ccsds.cdm import parse_cdm

    h = auth(world, viewer)
    want = world.visible("conjunctions", viewer)
    for cid, _, _ in world.conjunctions:
        r = client.get(f"/api/v1/conjunctions/{cid}", headers=h)
        c = client.get(f"/api/v1/conjunctions/{cid}/cdm", headers=h)
        if cid in want:
            assert r.status_code == 200 and c.status_code == 200
            cdm = parse_cdm(c.text)
            # independent check: the CDM holds the record's numbers in CDM units (m)
            assert cdm.miss_distance_m == pytest.approx(r.json()["miss_distance_km"] * 1000, abs=1e-3)
            from orbitwatch.timeutil import parse_iso

            assert cdm.tca == parse_iso(r.json()["tca"])
            assert {o.object_designator for o in cdm.objects} == {
                str(r.json()["object_1"]), str(r.json()["object_2"])}
        else:
            assert r.status_code == 404 and c.status_code == 404
    assert client.get("/api/v1/conjunctions/999999/cdm", headers=h).status_code == 404


@pytest.mark.parametrize("viewer", VIEWERS)
def test_conjunctions_sorted_by_risk_and_filtered(client, world, viewer):
    h = auth(world, viewer)
    rows = client.get("/api/v1/conjunctions?limit=1000", headers=h).json()["data"]
    with_pc = [r for r in rows if r["pc"] is not None]
    without = [r for r in rows if r["pc"] is None]
    assert rows == with_pc + without
    assert [r["pc"] for r in with_pc] == sorted((r["pc"] for r in with_pc), reverse=True)
    assert [r["miss_distance_km"] for r in without] == sorted(r["miss_distance_km"] for r in without)
    small = client.get("/api/v1/conjunctions?max_miss_km=1.0&limit=1000", headers=h).json()
    assert small["count"] == sum(r["miss_distance_km"] <= 1.0 for r in rows)
    by_tca = client.get("/api/v1/conjunctions?sort=tca&limit=1000", headers=h).json()["data"]
    assert [r["tca"] for r in by_tca] == sorted(r["tca"] for r in rows)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_stream_backlog_is_filtered(client, world, viewer):
    h = auth(world, viewer)
    got = {"conjunction": set(), "event": set()}
    with client.stream("GET", "/api/v1/stream?since=0:0&timeout_s=0.3", headers=h) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        import json

        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                got[kind].add(json.loads(line[6:])["id"])
    assert got["conjunction"] == world.visible("conjunctions", viewer)
    assert got["event"] == world.visible("events", viewer)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_positions_only_visible(client, world, viewer):
    h = auth(world, viewer)
    r = client.get("/api/v1/positions?time=2026-11-20T13:00:00Z", headers=h).json()
    assert {p["norad_id"] for p in r["data"]} == world.visible_objects(viewer)
    assert r["time"] == "2026-11-20T13:00:00.000000Z"


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("regime", [None, "LEO", "GEO"])
def test_paged_listing_matches_catalog_listing(client, world, viewer, regime):
    """The service's paged query gives the rows of the store's full partner listing."""
    from orbitwatch.store.catalog import list_objects
    from orbitwatch.store.shared import page_visible_objects

    with client.app.state.sessions() as db:
        full = list_objects(db, visible_to=viewer, regime=regime)
        for offset, limit in ((0, None), (0, 3), (2, 5), (len(full), 4)):
            page, total = page_visible_objects(db, visible_to=viewer, regime=regime,
                                               limit=limit, offset=offset)
            end = None if limit is None else offset + limit
            assert page == full[offset:end] and total == len(full)


def test_positions_agree_with_skyfield(client, world):
    """Sub-satellite points of /positions vs skyfield's EarthSatellite (independent SGP4
    wrapper and frame chain), for the element sets the caller sees."""
    from skyfield.api import EarthSatellite, load, wgs84

    h = auth(world, "US")
    when = "2026-11-21T03:17:00Z"
    pos = client.get(f"/api/v1/positions?time={when}", headers=h).json()["data"]
    ts = load.timescale(builtin=True)
    t = ts.utc(2026, 11, 21, 3, 17, 0)
    for p in pos[:6]:
        sets = client.get(f"/api/v1/objects/{p['norad_id']}/elements", headers=h).json()["data"]
        newest = max(sets, key=lambda s: s["epoch"])
        sat = EarthSatellite(newest["line1"], newest["line2"], ts=ts)
        sub = wgs84.subpoint_of(sat.at(t))
        assert p["lat_deg"] == pytest.approx(sub.latitude.degrees, abs=2e-3)
        dlon = (p["lon_deg"] - sub.longitude.degrees + 180.0) % 360.0 - 180.0
        assert abs(dlon) < 2e-3
        assert p["alt_km"] == pytest.approx(wgs84.height_of(sat.at(t)).km, abs=0.05)
