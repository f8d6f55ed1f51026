"""Sites, passes and tasking routes (issue 7 item 4), for every partner of the seeded world.

The three-partner world of tests/service/seeding.py (every releasability
combination of element sets and sensors) is seeded into a database of this
module's own (sites are added here, so the shared session world stays as the
other modules expect it).  Checked for US, JP and FR:

* sites: list/get visible exactly by the releasability rule, 404 identical to
  a missing id; POST by analysts only, with its own releasability;
* passes: only from visible sites (404 otherwise) and from the newest element
  set the caller may see (an object with no set releasable to the caller is
  404); the route agrees with ``find_passes`` called directly and with
  skyfield's ``find_events`` (independent oracle) within 1 s / 0.01 deg;
* tasking: the plan uses only the asked-for visible sites and visible objects;
* audit entries for the reads and writes.

Runs on SQLite and on PostgreSQL (skipped with the reason when unreachable).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.service.conftest import fresh_db, seeded
from tests.service.seeding import EPOCH, PARTNERS, expected_visible

START = EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
HOURS = 3.0


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def env(request, tmp_path_factory):
    from fastapi.testclient import TestClient

    from orbitwatch.service.app import create_app

    gen = fresh_db(request.param, tmp_path_factory)
    url = next(gen)
    world = seeded(url)
    app = create_app(url)
    with TestClient(app) as c:
        yield c, world, app
    try:
        next(gen)
    except StopIteration:
        pass


def H(world, partner: str, role: str = "viewer") -> dict:
    return {"Authorization": f"Bearer {world.tokens[(partner, role)]}"}


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- schema ---------------------------------------------------------------------


def test_sites_migration_matches_model(env):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from orbitwatch.store.models import Base

    _, _, app = env
    with app.state.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "sensors" in repr(d)] == []


# -- sites ----------------------------------------------------------------------


def test_sites_visible_by_releasability(env):
    client, world, _ = env
    missing = client.get("/api/v1/sites/999999", headers=H(world, "US"))
    assert missing.status_code == 404
    for p in PARTNERS:
        want = world.visible("sensors", p)
        r = client.get("/api/v1/sites", headers=H(world, p))
        assert r.status_code == 200
        body = r.json()
        assert {s["id"] for s in body["data"]} == want and body["count"] == len(want)
        for s in body["data"]:
            assert expected_visible(p, s["partner"], s["releasable_to"])
            assert s["kind"] in ("radar", "optical", "comms")
        # the sensors listing shows the same records
        sens = client.get("/api/v1/sensors", headers=H(world, p)).json()
        assert {s["id"] for s in sens["data"]} == want
        # paging total is the visible count
        r2 = client.get("/api/v1/sites?limit=2&offset=1", headers=H(world, p)).json()
        assert r2["count"] == len(want) and len(r2["data"]) == min(2, len(want) - 1)
        for sid, _, _ in world.sensors:
            g = client.get(f"/api/v1/sites/{sid}", headers=H(world, p))
            if sid in want:
                assert g.status_code == 200 and g.json()["id"] == sid
            else:
                assert g.status_code == 404
                assert g.json() == {"detail": f"site {sid} not found"}
    assert missing.json() == {"detail": "site 999999 not found"}


def test_post_site_roles_releasability_and_validation(env):
    client, world, _ = env
    body = {"name": "FR-OPT", "label": "Haute-Provence", "lat_deg": 43.93, "lon_deg": 5.71,
            "alt_m": 650.0, "kind": "optical", "min_elevation_deg": 15.0,
            "mask": [[0, 20], [180, 15]], "max_range_km": 40000.0, "releasable_to": "JP"}
    assert client.post("/api/v1/sites", json=body, headers=H(world, "FR")).status_code == 403
    r = client.post("/api/v1/sites", json=body, headers=H(world, "FR", "analyst"))
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["partner"] == "FR" and site["releasable_to"] == "JP"
    assert site["alt_m"] == pytest.approx(650.0) and site["mask"] == [[0.0, 20.0], [180.0, 15.0]]
    world.sensors.append((site["id"], "FR", "JP"))  # keep the oracle whole
    for p in PARTNERS:
        g = client.get(f"/api/v1/sites/{site['id']}", headers=H(world, p))
        assert g.status_code == (200 if p in ("FR", "JP") else 404)
        listed = {s["id"] for s in client.get("/api/v1/sites", headers=H(world, p)).json()["data"]}
        assert (site["id"] in listed) == (p in ("FR", "JP"))
    # default releasability: own partner only
    r = client.post("/api/v1/sites", json={"name": "US-RDR", "lat_deg": 30.0, "lon_deg": -100.0},
                    headers=H(world, "US", "analyst"))
    assert r.status_code == 201 and r.json()["releasable_to"] == "US" and r.json()["kind"] == "radar"
    world.sensors.append((r.json()["id"], "US", "US"))
    # bad input: 422 naming the field, nothing stored
    n_before = client.get("/api/v1/sites", headers=H(world, "US")).json()["count"]
    bad = [
        ({"kind": "sonar"}, "kind"),
        ({"lat_deg": 91.0}, "lat_deg"),
        ({"min_range_km": 100.0, "max_range_km": 50.0}, "max_range_km"),
        ({"min_elevation_deg": 30.0, "max_elevation_deg": 20.0}, "max_elevation_deg"),
        ({"releasable_to": "XX"}, "XX"),
    ]
    for extra, word in bad:
        r = client.post("/api/v1/sites", json={"name": "BAD", "lat_deg": 0.0, "lon_deg": 0.0, **extra},
                        headers=H(world, "US", "analyst"))
        assert r.status_code == 422, (extra, r.text)
        assert word in r.text
    assert client.get("/api/v1/sites", headers=H(world, "US")).json()["count"] == n_before


# -- passes ---------------------------------------------------------------------


def _sensor_site(world, sid):
    """The seeded sensor ``sid`` as a tracking Site (its stored geodetic position)."""
    from orbitwatch.tracking.sites import Site

    k = [i for i, _, _ in world.sensors].index(sid)
    return Site(name=str(sid), lat_deg=10.0 + k, lon_deg=-50.0 + 7 * k, alt_m=100.0)


def test_passes_only_from_visible_sites_and_objects(env):
    client, world, _ = env
    seeded_sites = [i for i, _, _ in world.sensors[:15]]
    for p in PARTNERS:
        vis_sites = world.visible("sensors", p)
        vis_objs = world.visible_objects(p)
        obj = min(vis_objs)
        for sid in seeded_sites:
            r = client.get("/api/v1/passes", headers=H(world, p),
                           params={"site_id": sid, "norad_id": obj, "start": START, "hours": HOURS})
            if sid in vis_sites:
                assert r.status_code == 200, r.text
                assert all(x["site_id"] == sid and x["object"] == obj for x in r.json()["data"])
            else:
                assert r.status_code == 404 and r.json() == {"detail": f"site {sid} not found"}
        one_site = min(vis_sites)
        for nid in world.objects:
            r = client.get("/api/v1/passes", headers=H(world, p),
                           params={"site_id": one_site, "norad_id": f"{obj},{nid}", "start": START,
                                   "hours": 1})
            assert r.status_code == (200 if nid in vis_objs else 404), (p, nid)
            if r.status_code == 404:
                assert r.json() == {"detail": f"object {nid} not found"}
        # every visible object's next passes come from visible sites only
        for nid in sorted(world.objects):
            r = client.get(f"/api/v1/objects/{nid}/passes", headers=H(world, p),
                           params={"start": START, "hours": 2})
            if nid not in vis_objs:
                assert r.status_code == 404 and r.json() == {"detail": f"object {nid} not found"}
                continue
            body = r.json()
            assert set(body["sites"]) == vis_sites
            assert {x["site_id"] for x in body["data"]} <= vis_sites
            assert all(x["object"] == nid for x in body["data"])
            assert [x["rise"] for x in body["data"]] == sorted(x["rise"] for x in body["data"])
    # US's own-only object does not exist for FR, with passes as with everything else
    assert client.get("/api/v1/objects/90001/passes", headers=H(world, "FR")).status_code == 404


def test_passes_use_the_newest_visible_element_set(env):
    """90100 has a newer US-only set and an older JP-to-FR set: FR's passes come from
    the older set, US's from the newer one (checked against find_passes directly)."""
    from orbitwatch.elements import parse_text
    from orbitwatch.tracking.passes import find_passes
    from tests.service.seeding import make_tle

    client, world, _ = env
    sets = {
        "US": parse_text(make_tle(90100, "SHARED TWO SETS", epoch=EPOCH + timedelta(days=1),
                                  raan_deg=5.0), "us.tle").element_sets[0],
        "FR": parse_text(make_tle(90100, "SHARED TWO SETS", epoch=EPOCH, raan_deg=5.0),
                         "jp.tle").element_sets[0],
    }
    got = {}
    start = EPOCH + timedelta(days=1)
    for p in ("US", "FR"):
        r = client.get("/api/v1/objects/90100/passes", headers=H(world, p),
                       params={"start": start.isoformat(), "hours": 12})
        assert r.status_code == 200
        got[p] = r.json()["data"]
        by_site = {}
        for x in got[p]:
            by_site.setdefault(x["site_id"], []).append(x)
        assert got[p], p
        seeded_ids = {i for i, _, _ in world.sensors[:15]}
        for sid, recs in by_site.items():
            if sid not in seeded_ids:  # sites added by other tests of this module
                continue
            ref = find_passes([sets[p]], _sensor_site(world, sid), start, start + timedelta(hours=12))
            assert len(ref) == len(recs)
            for a, b in zip(recs, ref, strict=True):
                assert abs((_dt(a["rise"]) - b.rise.time).total_seconds()) < 0.01
                assert abs((_dt(a["set"]) - b.set.time).total_seconds()) < 0.01
    assert [x["rise"] for x in got["US"]] != [x["rise"] for x in got["FR"]]
    # JP contributed the older set and sees it; the route is 404 for nobody who can see a set
    assert client.get("/api/v1/objects/90100/passes", headers=H(world, "JP"),
                      params={"start": START, "hours": 1}).status_code == 200


def test_route_agrees_with_find_passes_and_skyfield(env):
    """One LEO object over one site for 12 h: rise, culmination and set within 1 s and
    maximum elevation within 0.01 deg of skyfield's find_events on the element set the
    route reports through the elements route; identical to find_passes called directly."""
    from skyfield.api import EarthSatellite, load, wgs84

    from orbitwatch.elements import parse_text
    from orbitwatch.tracking.passes import find_passes

    client, world, _ = env
    nid, sid = 90003, world.sensors[0][0]  # both US, visible to US
    hours = 12.0
    r = client.get("/api/v1/passes", headers=H(world, "US"),
                   params={"site_id": sid, "norad_id": nid, "start": START, "hours": hours})
    assert r.status_code == 200
    recs = r.json()["data"]
    assert r.json()["count"] == len(recs) >= 3
    els = client.get(f"/api/v1/objects/{nid}/elements", headers=H(world, "US")).json()["data"]
    l1, l2 = els[-1]["line1"], els[-1]["line2"]
    # direct call
    es = parse_text(f"X\n{l1}\n{l2}\n", "x.tle").element_sets[0]
    site = _sensor_site(world, sid)
    direct = find_passes([es], site, EPOCH, EPOCH + timedelta(hours=hours))
    assert [p.to_record()["rise"] for p in direct] == [x["rise"] for x in recs]
    assert [p.to_record()["set"] for p in direct] == [x["set"] for x in recs]
    # skyfield (independent oracle)
    ts = load.timescale(builtin=True)
    sat = EarthSatellite(l1, l2, "X", ts)
    topo = wgs84.latlon(site.lat_deg, site.lon_deg, elevation_m=site.alt_m)
    t, ev = sat.find_events(topo, ts.from_datetime(EPOCH),
                            ts.from_datetime(EPOCH + timedelta(hours=hours)), altitude_degrees=0.0)
    times = [ti.utc_datetime() for ti in t]
    by_kind = {k: [times[i] for i in range(len(ev)) if ev[i] == k] for k in (0, 1, 2)}
    checked = 0
    for x in recs:
        if x["rise_truncated"] or x["set_truncated"]:
            continue
        for key, k in (("rise", 0), ("culmination", 1), ("set", 2)):
            dt = min(abs((_dt(x[key]) - c).total_seconds()) for c in by_kind[k])
            assert dt <= 1.0, (key, x[key], dt)
        culm = min(by_kind[1], key=lambda c: abs((_dt(x["culmination"]) - c).total_seconds()))
        alt, _, _ = (sat - topo).at(ts.from_datetime(culm)).altaz()
        assert abs(alt.degrees - x["max_elevation_deg"]) <= 0.01
        checked += 1
    assert checked >= 3
    assert len(by_kind[0]) == checked + sum(1 for x in recs if x["set_truncated"] and not x["rise_truncated"])


# -- tasking --------------------------------------------------------------------


def test_tasking_uses_only_visible_sites_and_objects(env):
    client, world, _ = env
    seeded_sites = [i for i, _, _ in world.sensors[:15]]
    for p in PARTNERS:
        vis_sites = sorted(world.visible("sensors", p) & set(seeded_sites))
        vis_objs = world.visible_objects(p)
        hidden_obj = min(set(world.objects) - vis_objs)
        body = {"sites": vis_sites, "start": START, "hours": HOURS,
                "priority": sorted(vis_objs)[:6] + [hidden_obj]}
        assert client.post("/api/v1/tasking", json=body, headers=H(world, p)).status_code == 403
        r = client.post("/api/v1/tasking", json=body, headers=H(world, p, "analyst"))
        assert r.status_code == 200, r.text
        plan = r.json()
        assert plan["tasks"], p
        assert {t["site_id"] for t in plan["tasks"]} <= set(vis_sites)
        assert {t["object"] for t in plan["tasks"]} <= vis_objs
        assert hidden_obj not in plan["priority"] and plan["not_found"] == [hidden_obj]
        assert set(plan["covered"]) | set(plan["uncovered"]) == set(sorted(vis_objs)[:6])
        groups = {g["group"]: g for g in plan["gain"]}
        site_partners = {s["partner"] for s in plan["sites"]}
        assert set(groups) == {"combined"} | site_partners
        assert set(groups["combined"]["site_ids"]) == set(vis_sites)
        for g in plan["gain"]:
            assert g["objects_observable"] <= groups["combined"]["objects_observable"]
            assert g["priority_covered_fraction"] <= groups["combined"]["priority_covered_fraction"] + 1e-9
        # each task lies inside a pass of that object over that site
        for t in plan["tasks"][:4]:
            ps = client.get("/api/v1/passes", headers=H(world, p), params={
                "site_id": t["site_id"], "norad_id": t["object"], "start": START, "hours": HOURS}).json()
            assert any(_dt(x["rise"]) - timedelta(seconds=1) <= _dt(t["start"])
                       and _dt(t["end"]) <= _dt(x["set"]) + timedelta(seconds=1) for x in ps["data"])
        # a site not releasable to the caller is answered as a missing one
        hidden_site = min(set(seeded_sites) - set(vis_sites))
        r = client.post("/api/v1/tasking", json={**body, "sites": [vis_sites[0], hidden_site]},
                        headers=H(world, p, "analyst"))
        assert r.status_code == 404 and r.json() == {"detail": f"site {hidden_site} not found"}


def test_default_priority_from_visible_records(env):
    client, world, _ = env
    sites = sorted(world.visible("sensors", "JP"))[:3]
    r = client.post("/api/v1/tasking", headers=H(world, "JP", "analyst"),
                    json={"sites": sites, "start": START, "hours": 2})
    assert r.status_code == 200
    assert set(r.json()["priority"]) <= world.visible_objects("JP")
    assert r.json()["priority"], "recent visible conjunctions/events make a priority list"


# -- audit ----------------------------------------------------------------------


def test_reads_and_writes_are_audited(env):
    client, world, _ = env
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sid = min(world.visible("sensors", "JP"))
    client.get("/api/v1/passes", headers=H(world, "JP"),
               params={"site_id": sid, "norad_id": min(world.visible_objects("JP")), "start": START,
                       "hours": 1})
    client.get("/api/v1/sites/999999", headers=H(world, "JP"))
    client.post("/api/v1/sites", json={"name": "JP-COM", "lat_deg": 35.0, "lon_deg": 139.0,
                                       "kind": "comms"}, headers=H(world, "JP", "analyst"))
    entries = client.get("/api/v1/audit", headers=H(world, "JP", "admin"),
                         params={"since": since, "limit": 100}).json()["data"]
    paths = [(e["action"], e["resource"], e["path"].split("?")[0], e["status"]) for e in entries]
    assert ("read", "sensors", "/api/v1/passes", 200) in paths
    assert ("read", "element_sets", "/api/v1/passes", 200) in paths
    assert ("read", "sensors", "/api/v1/sites/999999", 404) in paths
    assert ("write", "sensors", "/api/v1/sites", 200) in paths or \
        ("write", "sensors", "/api/v1/sites", 201) in paths


def test_tokens_and_bad_parameters(env):
    client, world, _ = env
    for headers in ({}, {"Authorization": "Bearer nope"}):
        for url in ("/api/v1/sites", "/api/v1/sites/1", "/api/v1/passes?site_id=1",
                    "/api/v1/objects/90001/passes"):
            assert client.get(url, headers=headers).status_code == 401, url
        assert client.post("/api/v1/tasking", json={"sites": [1]}, headers=headers).status_code == 401
        assert client.post("/api/v1/sites", json={}, headers=headers).status_code == 401
    sid = min(world.visible("sensors", "US"))
    h = H(world, "US")
    for params in ({"site_id": sid, "norad_id": "90001,abc"},  # not a catalog number
                   {"site_id": sid, "norad_id": 90001, "hours": 1000},  # window too long
                   {"site_id": sid, "norad_id": 90001, "min_el": 95},
                   {"norad_id": 90001}):  # no site
        assert client.get("/api/v1/passes", params=params, headers=h).status_code == 422, params
    ha = H(world, "US", "analyst")
    assert client.post("/api/v1/tasking", json={"sites": []}, headers=ha).status_code == 422
    assert client.post("/api/v1/tasking", json={"sites": [sid], "hours": 100}, headers=ha).status_code == 422
