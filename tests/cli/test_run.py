"""``orbitwatch run``: download from a local HTTP server, offline failure, --catalog.

Downloads are served from 127.0.0.1 only; nothing reaches past loopback.
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import lzma
import re
import socket
import threading

import pytest
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.cli import app

runner = CliRunner()


def _subset_gp_csv(n: int) -> tuple[str, list[dict]]:
    src = shared_path("catalog", "celestrak_active_gp_2026-07-10.csv")
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))[:n]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue(), rows


def _subset_satcat(ids: set[int]) -> str:
    src = shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz")
    with lzma.open(src, "rt", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if int(r["norad_cat_num"]) in ids]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=reader.fieldnames)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


@pytest.fixture
def http_dir(tmp_path):
    """Serve ``tmp_path/www`` on a free loopback port; yields (dir, base_url)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))

    class Quiet(handler.func):  # type: ignore[misc,name-defined]
        def log_message(self, *args):  # keep test output clean
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(www))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_run_downloads_ingests_and_summarises(http_dir, tmp_path):
    www, base = http_dir
    text, rows = _subset_gp_csv(200)
    (www / "gp.csv").write_text(text)
    ids = {int(r["NORAD_CAT_ID"]) for r in rows}
    (www / "satcat.csv").write_text(_subset_satcat(ids))
    db = tmp_path / "o.db"
    res = runner.invoke(
        app,
        ["run", "--db", str(db), "--gp-url", f"{base}/gp.csv", "--satcat-url",
         f"{base}/satcat.csv", "--no-screen", "--format", "json", "--quiet"],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    gp = [r for r in report["ingest"] if r["format"].startswith("omm")]
    assert len(gp) == 1 and gp[0]["new"] == len(rows) and gp[0]["rejected"] == 0
    assert report["summary"]["objects"] >= len(ids)
    # every object in the file counted once across regimes
    assert sum(report["summary"]["by_regime"].values()) == len(ids)

    # a second run over the same data adds nothing
    res2 = runner.invoke(
        app,
        ["run", "--db", str(db), "--gp-url", f"{base}/gp.csv", "--satcat-url", "",
         "--no-screen", "--format", "json", "--quiet"],
    )
    assert res2.exit_code == 0, res2.output
    again = json.loads(res2.stdout)["ingest"][0]
    assert again["new"] == 0 and again["duplicate"] == len(rows)


def test_run_without_network_says_how_to_run_offline(tmp_path):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = runner.invoke(
        app,
        ["run", "--db", str(tmp_path / "o.db"), "--gp-url", f"http://127.0.0.1:{port}/gp.csv",
         "--satcat-url", "", "--quiet"],
    )
    assert res.exit_code == 1
    assert "--catalog" in res.output and "offline" in res.output


def test_run_offline_catalog_screens(tmp_path):
    # ISS and what flies near it: the 2026 catalog's stations with a one-hour screen
    text, rows = _subset_gp_csv(15985)
    keep = [r for r in rows if 51.0 < float(r["INCLINATION"]) < 52.0
            and 15.4 < float(r["MEAN_MOTION"]) < 15.6][:60]
    path = tmp_path / "near_iss.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(keep[0]))
        w.writeheader()
        w.writerows(keep)
    res = runner.invoke(
        app,
        ["run", "--catalog", str(path), "--db", str(tmp_path / "o.db"), "--hours", "2",
         "--threshold-km", "50", "--format", "json", "--quiet"],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    scr = report["screening"]
    assert scr["objects"] == len({r["NORAD_CAT_ID"] for r in keep})
    assert scr["conjunctions"] >= len(scr["closest"])
    for c in scr["closest"]:
        assert c["object_1"] < c["object_2"] and c["miss_distance_km"] < 50
        assert c["tca"].endswith("Z")
        assert c["risk"] in ("red", "yellow", "green", "unknown") and c["pc_max"] >= 0
    # co-orbiting pairs (near the ISS: its visiting vehicles, ISS-deployed cubesats
    # drifting apart) are listed apart, never among the closest approaches
    co = {(p["object_1"], p["object_2"]) for p in scr["co_orbiting"]}
    assert all(p["max_speed_m_s"] < 1000 * scr["co_orbiting_speed_km_s"] for p in scr["co_orbiting"])
    assert not co & {(c["object_1"], c["object_2"]) for c in scr["closest"]}
    # every conjunction is stored for the service and the dashboard
    from sqlalchemy import func, select

    from orbitwatch.store.db import open_engine
    from orbitwatch.store.shared_models import conjunctions_table

    engine = open_engine(str(tmp_path / "o.db"))
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(conjunctions_table)).scalar()
    engine.dispose()
    assert stored == scr["conjunctions"]


def test_run_missing_catalog_file(tmp_path):
    res = runner.invoke(app, ["run", "--catalog", str(tmp_path / "nope.tle"), "--db",
                              str(tmp_path / "o.db")])
    assert res.exit_code == 1
    assert "not found" in res.output


def test_run_takes_several_files_after_one_catalog_option(tmp_path):
    """``run --catalog A B`` (a shell glob), as README's ``[--catalog PATH...]``
    and the detect and norms commands take it, ingests both files; it stopped on
    Typer's 'Got unexpected extra argument'."""
    a = shared_path("events", "iridium33_cosmos2251", "pre_collision_tles_2009-02-09.txt")
    b = shared_path("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    db = str(tmp_path / "o.db")
    res = runner.invoke(app, ["run", "--catalog", str(a), str(b), "--db", db, "--no-screen",
                              "--no-detect", "--format", "json", "--quiet"])
    assert res.exit_code == 0, res.output
    ingest = json.loads(res.stdout)["ingest"]
    assert [(r["file"], r["new"]) for r in ingest] == [(str(a), 2), (str(b), 2)]
    # with both file options, which one a bare word belongs to is unknown
    notices = tmp_path / "n.csv"
    notices.write_text("object,time\n24946,2009-02-01T00:00:00Z\n")
    res = runner.invoke(app, ["run", "--catalog", str(a), "--notices", str(notices), str(b),
                              "--db", db, "--no-screen", "--quiet"])
    assert res.exit_code == 2
    assert f"unexpected argument {str(b)!r}: name each file with its option" in " ".join(
        res.output.split())


def test_run_detects_and_stores_events_once(tmp_path):
    # GEO objects that relocate in the 2026-05 history (MTG-I1, SJ-29A/B) and two that
    # hold station (Intelsat 20 despite one bad fit, see test_geo); the run stores their
    # events, attributed and idempotent.
    from orbitwatch.elements import read_file, write_3le

    src = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    keep = {38740, 54743, 67302, 67403, 28884}
    sets = [s for s in read_file(src).element_sets if s.norad_id in keep]
    path = tmp_path / "geo.3le"
    write_3le(sets, path)
    db = str(tmp_path / "o.db")
    args = ["run", "--catalog", str(path), "--db", db, "--no-screen", "--format", "json",
            "--quiet", "--partner", "JP", "--releasable-to", "US"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    first = json.loads(res.stdout)["events"]
    assert first["by_type"].get("geo_relocation", 0) >= 2 and first["new"] > 0
    again = json.loads(runner.invoke(app, args).stdout)["events"]
    assert again["new"] == 0 and again["already_stored"] == first["new"]

    res = runner.invoke(app, ["events", "--db", db, "--type", "geo_relocation",
                              "--format", "jsonl"])
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert {r["object"] for r in rows} >= {54743, 67302, 67403}
    assert 38740 not in {r["object"] for r in rows}
    for r in rows:
        assert r["partner"] == "JP" and r["releasable_to"] == "US"
        assert r["time"].endswith("Z")
    # a partner the records are not releasable to sees none of them
    res = runner.invoke(app, ["events", "--db", db, "--partner", "FR", "--format", "jsonl"])
    assert res.stdout.strip() == ""


def test_run_judges_approaches_to_assets_and_the_catalog_by_the_norms(tmp_path):
    """The main job with protected assets: proximity around them, and the norms over
    every detector's events, the catalog (long-lived debris) and the conjunctions.
    2018 catalog (SATCAT owners): NOAA 6 (US) and a Japanese payload (43067) each
    meet foreign debris inside 1 km in the 6 h from the catalog's median epoch.
    Oracle: a dense 2-s SGP4 sampling of each pair, written here."""
    import numpy as np
    from sgp4.api import SatrecArray

    from orbitwatch.elements import newest_per_object, read_file
    from orbitwatch.timeutil import datetime_to_jd

    src = shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
    db = str(tmp_path / "o.db")
    res = runner.invoke(app, ["run", "--catalog", str(src), "--db", db, "--no-screen",
                              "--assets", "11416,43067", "--hours", "6", "--format", "json",
                              "--quiet"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)["events"]
    assert report["by_type"]["proximity"] > 0
    assert report["findings_by_rule"]["long-lived-leo-debris (low)"] > 1000
    found = runner.invoke(app, ["events", "--db", db, "--type", "finding", "--format", "jsonl"])
    findings = [json.loads(x) for x in found.stdout.splitlines() if x.strip()]
    unsafe = [f for f in findings if f["rule"] == "unsafe-approach"]
    assert {(f["affected"], f["affected_owner"]) for f in unsafe} == {(11416, "US"), (43067, "JPN")}
    sets = newest_per_object(read_file(src).element_sets)
    by_id = {s.norad_id: s for s in sets}
    epochs = sorted(s.epoch for s in sets)
    jd0, fr0 = datetime_to_jd(epochs[len(epochs) // 2].replace(microsecond=0))
    ts = np.arange(0.0, 6 * 3600.0 + 2.0, 2.0)
    for f in unsafe:
        a, o = by_id[f["affected"]], by_id[f["responsible"]]
        assert f["responsible_owner"] == o.owner != a.owner  # attribution: SATCAT owners
        pair = SatrecArray([a.to_satrec(), o.to_satrec()])
        _, r, _ = pair.sgp4(np.full(ts.shape, jd0), fr0 + ts / 86400.0)
        k = int(np.argmin(np.linalg.norm(r[0] - r[1], axis=1)))  # 2-s grid, then 1 ms around it
        fine = ts[k] + np.arange(-2.0, 2.0, 0.001)
        _, r, v = pair.sgp4(np.full(fine.shape, jd0), fr0 + fine / 86400.0)
        j = int(np.argmin(np.linalg.norm(r[0] - r[1], axis=1)))
        dmin = np.linalg.norm(r[0][j] - r[1][j])
        # unsafe: inside 1 km, or inside the Handbook's screening ellipsoid for the
        # asset's perigee (v1.7: <= 500 km 0.4 x 44 x 51, 500-750 km 0.4 x 25 x 25,
        # 750-1200 km 0.4 x 12 x 12, 1200-2000 km 0.4 x 2 x 2), in the asset's RTN frame
        u_r = r[0][j] / np.linalg.norm(r[0][j])
        u_n = np.cross(r[0][j], v[0][j])
        u_n /= np.linalg.norm(u_n)
        d = r[1][j] - r[0][j]
        rtn = np.array([d @ u_r, d @ np.cross(u_n, u_r), d @ u_n])
        n = a.mean_motion_rev_day * 2 * np.pi / 86400.0
        perigee = (398600.8 / n**2) ** (1 / 3) * (1 - a.eccentricity) - 6378.135
        axes = next(ax for top, ax in ((500, (0.4, 44, 51)), (750, (0.4, 25, 25)),
                                       (1200, (0.4, 12, 12)), (2000, (0.4, 2, 2))) if perigee <= top)
        inside = float(np.sum((rtn / np.array(axes)) ** 2)) <= 1.0
        assert dmin < 1.0 or inside
        assert inside == ("inside its screening volume" in f["summary"])
        claimed = float(re.search(r"passed ([0-9.]+) km", f["summary"]).group(1))
        assert abs(claimed - dmin) < 0.002
        # no manoeuvre before the approach: a chance conjunction, said so
        assert f["benign_explanation"] and "chance conjunction" in f["benign_explanation"]


def test_run_takes_a_breakup_parent_without_element_sets_from_the_satcat(tmp_path):
    # KeepTrack's 2018 sets of launch 1995-015: 219 pieces of DMSP 5D-2 F13
    # (23533, US; broke up 2004-02-06, NASA ODQN 8(2)) and no set of the
    # satellite.  With the SATCAT rows of the launch ingested too, the run
    # stores the cloud with its parent; without them it warns that it left the
    # cloud out.
    records = [r for r in json.loads(shared_path(
        "catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json").read_text())
        if r["TLE1"][9:14] == "95015"]
    sets_path = tmp_path / "dmsp_f13.json"
    sets_path.write_text(json.dumps(records))
    src = shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz")
    with lzma.open(src, "rt", newline="") as f:
        ids = {int(r["norad_cat_num"]) for r in csv.DictReader(f)
               if r["designator"].startswith("1995-015")}
    satcat_path = tmp_path / "satcat_1995-015.csv"
    satcat_path.write_text(_subset_satcat(ids))

    bare = str(tmp_path / "bare.db")
    res = runner.invoke(app, ["run", "--catalog", str(sets_path), "--db", bare, "--no-screen",
                              "--format", "json", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "breakup" not in json.loads(res.stdout)["events"]["by_type"]
    assert "1 fragment cloud(s) left out: no parent known" in res.output

    db = str(tmp_path / "o.db")
    res = runner.invoke(app, ["run", "--catalog", str(sets_path), "--catalog", str(satcat_path),
                              "--db", db, "--no-screen", "--format", "json", "--quiet"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events"]["by_type"]["breakup"] == 1
    res = runner.invoke(app, ["events", "--db", db, "--type", "breakup", "--format", "jsonl"])
    [r] = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert (r["parent"], r["owner"], r["fragments"]) == (23533, "US", 219)
    assert r["classification"] == "undetermined"
    assert r["evidence"]["parent_from"] == "satcat"


def test_run_takes_a_long_list_of_assets(tmp_path):
    """Regression (review): ``run --assets`` with 331 catalog numbers stopped on
    ``OSError: File name too long`` (the list was looked up as a file first).
    The run takes the list, leaves out (and names) the assets not in its
    catalog and searches around the others; a bad list is an error naming
    ``--assets`` (exit 2) before anything is ingested."""
    from orbitwatch.elements import read_file, write_3le

    src = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    sets = read_file(src).element_sets
    keep = {41793, 43824, 39498, 67302, 67403}  # GSAT-18 and its neighbours at 74 E, SJ-29A/B
    path = tmp_path / "geo.3le"
    write_3le([s for s in sets if s.norad_id in keep], path)
    ids = sorted({s.norad_id for s in sets} - keep)[:330] + [41793]
    assets = ",".join(map(str, ids))
    db = str(tmp_path / "o.db")
    res = runner.invoke(app, ["run", "--catalog", str(path), "--db", db, "--no-screen", "--assets", assets,
                              "--start", "2026-05-29T00:00:00Z", "--hours", "6", "--format", "json",
                              "--quiet"])
    assert res.exit_code == 0, res.output
    assert "assets not in the catalog, left out" in res.stderr
    assert json.loads(res.stdout)["events"]["by_type"].get("proximity", 0) > 0
    bad = runner.invoke(app, ["run", "--catalog", str(path), "--db", str(tmp_path / "bad.db"),
                              "--no-screen", "--assets", assets + ",GSAT-18", "--quiet"])
    assert bad.exit_code == 2 and "--assets" in bad.output and "'GSAT-18'" in bad.output, bad.output
    assert not (tmp_path / "bad.db").exists()


def test_a_run_uses_only_the_catalogue_facts_its_partner_may_see(tmp_path):
    # GEO objects that relocate (SJ-29A/B, MTG-I1), public; JP's SATCAT row for
    # 67403 (SJ-29B) names it "SECRET SAT", owner PRC, for JP alone.  A run for US
    # (or for no partner) stores events with no word of it; JP's run uses it, and
    # what it stores from it is releasable to JP alone.
    from orbitwatch.elements import read_file, write_3le
    from tests.store.test_object_facts import satcat

    src = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    sets = [s for s in read_file(src).element_sets if s.norad_id in {54743, 67302, 67403}]
    pub = tmp_path / "geo.3le"
    write_3le(sets, pub)
    (tmp_path / "jp_satcat.csv").write_text(satcat("SECRET SAT"))
    db = str(tmp_path / "o.db")
    for args in ([str(pub)], [str(tmp_path / "jp_satcat.csv"), "--partner", "JP",
                             "--releasable-to", "JP"]):
        res = runner.invoke(app, ["ingest", "--db", db, "--quiet", *args])
        assert res.exit_code == 0, res.output

    def run(*partner: str) -> dict:
        res = runner.invoke(app, ["run", "--catalog", str(pub), "--db", db, "--no-screen",
                                  "--format", "json", "--quiet", *partner,
                                  "--releasable-to", "ALL"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    def events(partner: str) -> list[dict]:
        res = runner.invoke(app, ["events", "--db", db, "--partner", partner, "--format", "jsonl"])
        return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]

    for partner in (["--partner", "US"], []):
        report = run(*partner)
        assert "PRC" not in json.dumps(report["summary"])
        assert report["events"]["by_type"].get("geo_relocation", 0) >= 3
        for viewer in ("US", "FR", "JP"):
            rows = events(viewer)
            assert 67403 in {r["object"] for r in rows}
            assert "SECRET SAT" not in json.dumps(rows) and "PRC" not in json.dumps(rows)
    assert "PRC" in json.dumps(run("--partner", "JP")["summary"])
    jp = [r for r in events("JP") if r["partner"] == "JP" and r["object"] == 67403]
    assert jp and all(r["owner"] == "PRC" and r["name"] == "SECRET SAT" for r in jp)
    assert {r["releasable_to"] for r in jp} == {"JP"}
    for viewer in ("US", "FR"):
        assert "SECRET SAT" not in json.dumps(events(viewer))


def test_run_help_says_it_runs_the_detectors_and_the_norms():
    """--detect is on by default: the summary line of the help says so (it said
    only 'ingest it, summarise it and screen it')."""
    res = runner.invoke(app, ["--help"])
    line = " ".join(res.output.replace("│", " ").split())
    assert "summarise it, screen it, run the detectors and norms." in line
