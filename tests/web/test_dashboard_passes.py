"""Dashboard: sites on the map (one marker per kind) and an object's next passes.

Same harness as tests/web/test_dashboard.py (uvicorn on loopback over a
seeded SQLite store, Debian's chromium through Playwright).  Checks, for two
partners, that exactly the sites releasable to the partner are plotted, and
that selecting an object fills the "Next passes" table from
``/api/v1/objects/{id}/passes`` with passes over visible sites only, in
agreement with the API.
"""

from __future__ import annotations

import httpx
import pytest

from tests.web.test_dashboard import _page, _sign_in, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(180) if hasattr(pytest.mark, "timeout") else []


@pytest.fixture(scope="module")
def extra_sites(server):  # noqa: F811
    """An optical site releasable to ALL and a comms site of JP's own, added through the API."""
    base, world, _ = server
    added = {}
    for partner, body in (
        ("US", {"name": "US-OPT", "lat_deg": 33.0, "lon_deg": -106.0, "kind": "optical",
                "min_elevation_deg": 20.0, "releasable_to": "ALL"}),
        ("JP", {"name": "JP-COM", "lat_deg": 36.0, "lon_deg": 140.0, "kind": "comms"}),
    ):
        r = httpx.post(f"{base}/api/v1/sites", json=body, timeout=30,
                       headers={"Authorization": f"Bearer {world.tokens[(partner, 'analyst')]}"})
        assert r.status_code == 201, r.text
        added[body["name"]] = r.json()
    return added


@pytest.mark.parametrize("partner", ["US", "JP"])
def test_sites_plotted_and_next_passes(server, browser, extra_sites, partner):  # noqa: F811
    base, world, _ = server
    page, outside, errors = _page(browser, base)
    _sign_in(page, base, world.tokens[(partner, "viewer")])
    page.wait_for_function("document.getElementById('map').dataset.sites !== undefined")

    want = set(world.visible("sensors", partner)) | {extra_sites["US-OPT"]["id"]}
    if partner == "JP":
        want.add(extra_sites["JP-COM"]["id"])
    # the map view shows every visible site, and only those
    assert int(page.get_attribute("#map", "data-sites")) == len(want)
    assert int(page.inner_text("#site-count")) == len(want)
    listed = {int(x) for x in page.eval_on_selector_all("#site-list li", "els => els.map(e => e.dataset.site)")}
    assert listed == want
    kinds = dict(kv.split(":") for kv in page.get_attribute("#map", "data-site-kinds").split(","))
    assert int(kinds["optical"]) == 1
    assert int(kinds.get("comms", 0)) == (1 if partner == "JP" else 0)
    assert int(kinds["radar"]) == len(want) - 1 - int(kinds.get("comms", 0))

    # select an object: the next-passes table fills from the API
    nid = min(world.visible_objects(partner))
    page.click(f"#obj-list li[data-id='{nid}']")
    page.wait_for_selector("#object-page:not([hidden])")
    page.wait_for_selector("#op-passes[data-loaded='1']", timeout=60000)
    rows = int(page.get_attribute("#op-passes", "data-rows"))
    assert rows > 0
    sites_in_table = {int(x) for x in page.eval_on_selector_all(
        "#op-passes tbody tr[data-site]", "els => els.map(e => e.dataset.site)")}
    assert len(page.query_selector_all("#op-passes tbody tr[data-site]")) == rows
    assert sites_in_table <= want
    api = httpx.get(f"{base}/api/v1/objects/{nid}/passes", params={"hours": 24, "limit": 200}, timeout=60,
                    headers={"Authorization": f"Bearer {world.tokens[(partner, 'viewer')]}"}).json()
    # computed a moment apart from "now": the same passes, give or take one at the edges
    assert abs(api["count"] - rows) <= 2
    assert {x["site_id"] for x in api["data"]} <= want
    assert outside == [], f"requests left the loopback server: {outside}"
    assert errors == [], errors
    page.close()
