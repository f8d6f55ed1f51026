"""The dashboard in headless Chromium (Debian's ``chromium``, driven by Playwright).

Starts the service with uvicorn on a free loopback port over a seeded SQLite
store, signs in by pasting a token, checks that the objects are plotted on
the map, opens a conjunction and its CDM, opens an object page with its
element-history plots, and checks that each partner sees only what is
releasable to it.  Every request the page makes must stay on the loopback
server (no CDN, no outside address).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from tests.service.conftest import seeded

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.timeout(180) if hasattr(pytest.mark, "timeout") else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from orbitwatch.service.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    world = seeded(url)
    app = create_app(url)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world, url
    srv.should_exit = True
    th.join(10)


@pytest.fixture(scope="module")
def browser():
    import os

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _page(browser, base, bypass_csp=True):
    # Playwright's wait_for_function evaluates strings, which the dashboard's CSP
    # forbids; test_dashboard_works_under_its_csp runs without the bypass.
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, bypass_csp=bypass_csp)
    outside: list[str] = []

    def guard(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, outside, errors


def _sign_in(page, base, token):
    page.goto(base + "/")
    page.fill("#token", token)
    page.click("#signin-btn")
    page.wait_for_selector("#app:not([hidden])", timeout=20000)
    page.wait_for_function("Number(document.getElementById('map').dataset.plotted) > 0", timeout=30000)


@pytest.mark.parametrize("partner", ["US", "FR"])
def test_dashboard_sign_in_globe_conjunction_object(server, browser, partner):
    base, world, _ = server
    page, outside, errors = _page(browser, base)
    _sign_in(page, base, world.tokens[(partner, "viewer")])
    assert page.inner_text("#who-text").startswith(partner)

    # every visible object is drawn, nothing else
    plotted = int(page.get_attribute("#map", "data-plotted"))
    assert plotted == len(world.visible_objects(partner))
    assert int(page.inner_text("#obj-count")) == len(world.visible_objects(partner))
    listed = {int(x) for x in page.eval_on_selector_all("#obj-list li", "els => els.map(e => e.dataset.id)")}
    assert listed == world.visible_objects(partner)
    # the globe shows the hemisphere facing the viewer: some, never more than all
    page.click("#view-toggle")
    assert page.get_attribute("#map", "data-view") == "globe"
    on_globe = int(page.get_attribute("#map", "data-plotted"))
    assert 0 <= on_globe <= plotted
    page.click("#view-toggle")
    assert page.get_attribute("#map", "data-view") == "map"
    assert int(page.get_attribute("#map", "data-plotted")) == plotted

    # conjunctions: only releasable ones, then open one and its CDM
    page.click("nav button[data-tab=conjunctions]")
    want = world.visible("conjunctions", partner)
    page.wait_for_function(f"document.querySelectorAll('#conj-table tbody tr').length === {len(want)}")
    rows = {int(x) for x in page.eval_on_selector_all("#conj-table tbody tr", "els => els.map(e => e.dataset.id)")}
    assert rows == want
    first = page.eval_on_selector("#conj-table tbody tr", "e => e.dataset.id")
    page.click("#conj-table tbody tr")
    page.wait_for_selector("#conj-detail:not([hidden])")
    assert f"Conjunction {first}" in page.inner_text("#cd-title")
    page.click("#cd-cdm")
    page.wait_for_selector("#cd-cdm-text:not([hidden])")
    assert "CCSDS_CDM_VERS" in page.inner_text("#cd-cdm-text")

    # events timeline: only releasable events
    page.click("nav button[data-tab=events]")
    ev = {int(x) for x in page.eval_on_selector_all("#event-list li", "els => els.map(e => e.dataset.id)")}
    assert ev == world.visible("events", partner)

    # object page: element history plotted, ground track drawn
    page.click("nav button[data-tab=picture]")
    nid = min(world.visible_objects(partner))
    page.click(f"#obj-list li[data-id='{nid}']")
    page.wait_for_selector("#object-page:not([hidden])")
    assert page.inner_text("#op-title").startswith(str(nid))
    assert int(page.get_attribute("#plot-a", "data-points")) >= 1
    assert int(page.get_attribute("#plot-i", "data-points")) >= 1

    assert outside == [], f"requests left the loopback server: {outside}"
    assert errors == [], errors
    page.close()


def test_dashboard_rejects_bad_token(server, browser):
    base, _, _ = server
    page, outside, _ = _page(browser, base)
    page.goto(base + "/")
    page.fill("#token", "not-a-token")
    page.click("#signin-btn")
    page.wait_for_function("document.getElementById('signin-error').textContent.length > 0")
    assert "not valid" in page.inner_text("#signin-error")
    assert page.is_hidden("#app")
    assert outside == []
    page.close()


def test_dashboard_live_events_follow_releasability(server, browser):
    """An event released to JP only appears live on JP's dashboard, never on FR's."""
    from orbitwatch.store import shared
    from orbitwatch.store.db import open_engine, session_factory
    from tests.service.seeding import EPOCH

    base, world, db_url = server
    pages = {}
    for partner in ("JP", "FR"):
        page, _, _ = _page(browser, base)
        _sign_in(page, base, world.tokens[(partner, "viewer")])
        page.wait_for_selector("#live.on", timeout=20000)
        pages[partner] = page
    time.sleep(1.5)  # both streams have taken their starting cursor
    engine = open_engine(db_url)
    with session_factory(engine)() as db:
        shared.add_event(db, kind="finding", time=EPOCH, title="LIVE-JP-ONLY", partner="US",
                         releasable_to="JP", payload={})
        db.commit()
    engine.dispose()
    pages["JP"].wait_for_function(
        "document.getElementById('event-list').innerText.includes('LIVE-JP-ONLY')", timeout=20000)
    time.sleep(2.5)
    assert "LIVE-JP-ONLY" not in pages["FR"].inner_text("#event-list")
    for p in pages.values():
        p.close()


def test_dashboard_drops_live_records_a_later_run_revised_or_withdrew(server, browser):
    """A run's manoeuvre listed live; the next run re-places one and withdraws the
    other: the list shows the replacement and neither old record."""
    from orbitwatch.store.db import open_engine, session_factory
    from orbitwatch.store.events import store_events, supersede_events

    base, world, db_url = server
    page, _, errors = _page(browser, base)
    _sign_in(page, base, world.tokens[("JP", "viewer")])
    page.wait_for_selector("#live.on", timeout=20000)
    time.sleep(1.5)  # the stream has taken its starting cursor
    rec = {"type": "maneuver", "object": 90021, "gap_start": "2026-11-20T00:00:00Z",
           "gap_end": "2026-11-21T00:00:00Z", "epoch_estimate": "2026-11-20T12:00:00Z",
           "kind": "in-plane along-track", "delta_v_m_s": 0.3, "confidence": 0.9}
    engine = open_engine(db_url)
    first: list[int] = []
    with session_factory(engine)() as db:
        store_events(db.connection(), [rec, dict(rec, object=90022)], partner="US",
                     releasable_to="JP", ids=first, origin="run", revise=True)
        db.commit()
    for i in first:
        page.wait_for_selector(f"#event-list li[data-id='{i}']", state="attached", timeout=20000)
    count = int(page.inner_text("#event-count"))
    second: list[int] = []
    with session_factory(engine)() as db:
        conn = db.connection()
        store_events(conn, [dict(rec, epoch_estimate="2026-11-20T20:00:00Z")], partner="US",
                     releasable_to="JP", ids=second, origin="run", revise=True)
        assert supersede_events(conn, partner="US", origins=("run",), current=second, derived_for="JP",
                                in_scope=lambda r: r["norad_id"] in (90021, 90022)) == {
            first[0]: second[0], first[1]: None}
        db.commit()
    engine.dispose()
    page.wait_for_selector(f"#event-list li[data-id='{second[0]}']", state="attached", timeout=20000)
    page.wait_for_function(
        f"!document.querySelector(\"#event-list li[data-id='{first[1]}']\")", timeout=20000)
    assert page.query_selector(f"#event-list li[data-id='{first[0]}']") is None
    assert int(page.inner_text("#event-count")) == count - 1
    assert errors == []
    page.close()


def test_object_page_geo_history_with_maneuvers(server, browser):
    """Fengyun-2D (GEO, Shorten benchmark): the object page plots the whole history,
    including GEO longitude, with one red line per maneuver the detector finds in it."""
    import httpx

    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.elements import read_file
    from tests.conftest import shared_path

    base, world, _ = server
    path = shared_path("maneuvers", "tle_benchmark_shorten", "processed_files", "Fengyun-2D.tle")
    r = httpx.post(f"{base}/api/v1/ingest", timeout=120, data={"releasable_to": "JP"},
                   headers={"Authorization": f"Bearer {world.tokens[('US', 'analyst')]}"},
                   files={"file": ("Fengyun-2D.tle", path.read_bytes())})
    assert r.status_code == 200, r.text
    n_sets = r.json()["new"]
    n_man = len(detect_maneuvers(read_file(path).element_sets))
    page, outside, errors = _page(browser, base)
    _sign_in(page, base, world.tokens[("JP", "viewer")])
    page.fill("#obj-q", "29640")
    page.click("#obj-search button")
    page.wait_for_selector("#obj-list li[data-id='29640']")
    page.click("#obj-list li[data-id='29640']")
    page.wait_for_selector("#object-page:not([hidden])")
    page.wait_for_function("document.getElementById('plot-lon').dataset.points !== undefined")
    for plot in ("#plot-a", "#plot-i", "#plot-lon"):
        assert int(page.get_attribute(plot, "data-points")) == n_sets
        assert int(page.get_attribute(plot, "data-marks")) == n_man > 0
    assert outside == [] and errors == []
    # FR is not a recipient: the object does not exist for it
    page2, _, _ = _page(browser, base)
    _sign_in(page2, base, world.tokens[("FR", "viewer")])
    page2.fill("#obj-q", "29640")
    page2.click("#obj-search button")
    page2.wait_for_function("document.getElementById('obj-count').textContent === '0'")
    page.close()
    page2.close()


def test_dashboard_works_under_its_csp(server, browser):
    """With the Content-Security-Policy enforced (self only, no eval, no inline code) the
    dashboard signs in and plots, and the browser reports no violation."""
    base, world, _ = server
    page, outside, errors = _page(browser, base, bypass_csp=False)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    resp = page.goto(base + "/")
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    page.fill("#token", world.tokens[("US", "viewer")])
    page.click("#signin-btn")
    page.wait_for_selector("#map:not([data-plotted='0'])", timeout=30000)
    page.wait_for_selector("#conj-table tbody tr", state="attached")
    assert not [c for c in console if "Content Security Policy" in c], console
    assert outside == [] and errors == []
    page.close()
