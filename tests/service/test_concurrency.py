"""Twenty concurrent readers, an ingest and a screening job together, on SQLite (WAL)
and PostgreSQL, through a real uvicorn server on loopback: no errors, and the
writes are all there afterwards."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.service.conftest import fresh_db, seeded
from tests.service.seeding import make_tle

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request, tmp_path_factory):
    import uvicorn

    from orbitwatch.service.app import create_app

    gen = fresh_db(request.param, tmp_path_factory)
    url = next(gen)
    world = seeded(url)
    app = create_app(url)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    srv.should_exit = True
    th.join(10)
    for _ in gen:
        pass


def test_twenty_readers_an_ingest_and_a_screening(live):
    base, world = live
    errors: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Event()

    def reader(k: int):
        partner = ("US", "JP", "FR")[k % 3]
        h = {"Authorization": f"Bearer {world.tokens[(partner, 'viewer')]}"}
        urls = ["/api/v1/objects?limit=50", "/api/v1/conjunctions", "/api/v1/events",
                "/api/v1/sensors", "/api/v1/objects/90005", "/api/v1/objects/90005/elements"]
        with httpx.Client(base_url=base, headers=h, timeout=60) as c:
            start.wait()
            for i in range(12):
                try:
                    r = c.get(urls[(i + k) % len(urls)])
                    with lock:
                        statuses.append(r.status_code)
                    if r.status_code != 200:
                        errors.append(f"{r.request.url}: {r.status_code} {r.text[:200]}")
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"reader {k}: {type(exc).__name__}: {exc}")

    ingest_result: dict = {}

    def ingester():
        text = "".join(make_tle(93000 + i, f"LOAD {i}", raan_deg=i * 1.7, mean_anomaly_deg=i * 11.0)
                       for i in range(300))
        h = {"Authorization": f"Bearer {world.tokens[('FR', 'analyst')]}"}
        start.wait()
        try:
            r = httpx.post(f"{base}/api/v1/ingest", headers=h, data={"releasable_to": "ALL"},
                           files={"file": ("load.tle", text.encode())}, timeout=120)
            ingest_result["status"] = r.status_code
            ingest_result["body"] = r.json()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"ingest: {type(exc).__name__}: {exc}")

    job: dict = {}

    def screener():
        h = {"Authorization": f"Bearer {world.tokens[('US', 'analyst')]}"}
        start.wait()
        try:
            r = httpx.post(f"{base}/api/v1/screenings", headers=h, timeout=60,
                           json={"start": "2026-11-20T12:00:00Z", "span_s": 3600,
                                 "threshold_km": 50.0, "releasable_to": "ALL"})
            job.update(r.json())
            job["post_status"] = r.status_code
        except Exception as exc:  # noqa: BLE001
            errors.append(f"screening: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(20)]
    threads += [threading.Thread(target=ingester), threading.Thread(target=screener)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(180)
    assert errors == []
    assert len(statuses) == 20 * 12 and set(statuses) == {200}
    assert ingest_result["status"] == 200 and ingest_result["body"]["new"] == 300
    assert job["post_status"] == 202
    h = {"Authorization": f"Bearer {world.tokens[('US', 'viewer')]}"}
    deadline = time.monotonic() + 120
    while True:
        state = httpx.get(f"{base}/api/v1/screenings/{job['id']}", headers=h, timeout=30).json()
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert state["status"] == "done", state
    # the ingested objects are all there, visible to everyone
    r = httpx.get(f"{base}/api/v1/objects?q=LOAD&limit=1", headers=h, timeout=30).json()
    assert r["count"] == 300
    # every request was audited
    ha = {"Authorization": f"Bearer {world.tokens[('JP', 'admin')]}"}
    log = httpx.get(f"{base}/api/v1/audit?resource=conjunctions&limit=1000", headers=ha, timeout=30).json()
    assert log["count"] >= 1
