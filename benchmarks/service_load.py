"""Service under load: requests per second and p50/p99 latency on loopback.

A fresh SQLite store (or ``--db URL``) is filled with the CelesTrak active
catalog (``catalog/celestrak_active_gp_2026-07-10.csv``, ~12,000 objects;
``--objects N`` synthetic LEO sets when the shared data is absent), three
partners with tokens, and ``--conjunctions`` conjunction records with mixed
releasability.  ``orbitwatch serve`` runs in its own process (uvicorn, one
worker); ``--clients`` threads each hold one keep-alive connection and send
requests back to back for ``--seconds`` per route.

Routes timed: ``GET /api/v1/objects?limit=100`` (visible-object listing with
the total count), ``GET /api/v1/conjunctions?limit=100`` (risk-sorted page with
the total count).  Baseline, measured in the same run against the same server:
``GET /healthz`` (no token, one ``SELECT 1``), i.e. the cost of the HTTP stack
and the client itself; the figures are also printed as ratios to it.

    .venv/bin/python benchmarks/service_load.py [--clients 20] [--seconds 10] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ORBITWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
CATALOG = SHARED / "catalog" / "celestrak_active_gp_2026-07-10.csv"
sys.path.insert(0, str(REPO))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(url: str, n_objects: int, n_conj: int) -> dict[str, str]:
    """Store the catalog and conjunctions; returns a viewer token per partner."""
    from orbitwatch.elements import parse_text, read_file
    from orbitwatch.store import shared
    from orbitwatch.store.catalog import ingest_parse_result
    from orbitwatch.store.db import open_engine, session_factory

    engine = open_engine(url)
    sessions = session_factory(engine)
    tokens = {}
    with sessions() as db:
        for code in ("US", "JP", "FR"):
            shared.add_partner(db, code=code, name=code)
            tokens[code], _ = shared.create_token(db, partner=code, role="viewer")
        db.commit()
        if CATALOG.exists():
            result = read_file(CATALOG)
            source = CATALOG.name
        else:
            from tests.service.seeding import make_tle

            text = "".join(make_tle(80000 + i, f"SYN {i}", raan_deg=i * 0.37 % 360,
                                    mean_anomaly_deg=i * 7.1 % 360) for i in range(n_objects))
            result = parse_text(text, "synthetic.3le")
            source = f"{n_objects} synthetic sets"
        # public catalog for all, plus a US-only copy of a tenth (the releasability filter works)
        ingest_parse_result(db.connection(), result, partner="US", releasable_to="ALL")
        db.commit()
        ids = sorted({s.norad_id for s in result.element_sets})
        rels = ["US", "JP", "US,JP", "ALL", "FR"]
        t0 = datetime(2026, 7, 10, tzinfo=UTC)
        rows = [{
            "object_1": ids[k % len(ids)], "object_2": ids[(k * 7 + 1) % len(ids)],
            "tca": t0 + timedelta(seconds=37 * k), "miss_distance_km": (k % 500) / 100.0,
            "relative_speed_km_s": 10.0, "pc": 10.0 ** -(k % 9) if k % 3 else None,
        } for k in range(n_conj)]
        for j, rel in enumerate(rels):
            shared.add_conjunctions(db, conjunctions=rows[j::len(rels)], partner=("US", "JP", "FR")[j % 3],
                                    releasable_to=rel)
        db.commit()
    engine.dispose()
    from sqlalchemy.engine import make_url

    print(f"store: {make_url(url).render_as_string(hide_password=True)}\ncatalog: {source}: {len(result.element_sets)} element sets; "
          f"{n_conj} conjunctions")
    return tokens


def load(base: str, path: str, headers: dict, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    window = {}

    def begin():
        window["start"] = time.monotonic()
        window["stop"] = window["start"] + seconds

    barrier = threading.Barrier(clients, action=begin)

    def worker():
        mine = []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            c.get(path)  # connect + warm
            barrier.wait()
            stop = window["stop"]
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.get(path)
                mine.append(time.perf_counter() - t)
                if r.status_code != 200:
                    with lock:
                        errors[0] += 1
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - window["start"]
    lat.sort()
    if len(lat) < 2:
        raise SystemExit(f"{path}: fewer than 2 requests finished in {seconds} s")
    q = statistics.quantiles(lat, n=100)
    return {"n": len(lat), "rps": len(lat) / wall, "p50_ms": q[49] * 1e3,
            "p99_ms": q[98] * 1e3, "errors": errors[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--objects", type=int, default=5000, help="synthetic objects without shared data")
    ap.add_argument("--conjunctions", type=int, default=20000)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/load.db"
        tokens = fill(url, args.objects, args.conjunctions)
        port = _free_port()
        env = dict(os.environ, ORBITWATCH_DB=url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "orbitwatch", "serve", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise SystemExit("server did not start: " + proc.stderr.read().decode()[-2000:])
            h = {"Authorization": f"Bearer {tokens['JP']}"}
            print(f"{args.clients} clients x {args.seconds:g} s per route, partner JP, loopback\n")
            base_res = load(base, "/healthz", {}, args.clients, args.seconds)
            rows = [("GET /healthz (baseline)", base_res)]
            for path in ("/api/v1/objects?limit=100", "/api/v1/conjunctions?limit=100"):
                rows.append((f"GET {path}", load(base, path, h, args.clients, args.seconds)))
            print(f"{'route':<42}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'rps/baseline':>14}")
            for name, r in rows:
                print(f"{name:<42}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
                      f"{r['errors']:>8d}{r['rps'] / base_res['rps']:>14.3f}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
