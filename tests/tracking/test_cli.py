"""CLI: sites add/list/import, passes, tasking (Typer CliRunner, temp files only)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.conftest import shared_path

runner = CliRunner()

# three real 2018 element sets (Molniya 862, LEO 399, GTO 1863), written to a temp file
IDS = (862, 399, 1863)


def _tle_file(tmp_path):
    src = shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
    lines = []
    for d in json.loads(src.read_text()):
        if int(d["TLE1"][2:7]) in IDS:
            lines += [d["ON"], d["TLE1"], d["TLE2"]]
    p = tmp_path / "few.3le"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_sites_import_add_list(tmp_path):
    sf = tmp_path / "sites.json"
    r = runner.invoke(
        app,
        [
            "sites",
            "import",
            str(shared_path("sensors", "keeptrack_sensors.csv")),
            "--sites-file",
            str(sf),
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "sites",
            "add",
            "HOME",
            "--lat",
            "52",
            "--lon",
            "5",
            "--alt-m",
            "10",
            "--kind",
            "comms",
            "--min-el",
            "5",
            "--mask",
            "0:10,180:20",
            "--partner",
            "nl",
            "--sites-file",
            str(sf),
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sites", "list", "--format", "jsonl", "--sites-file", str(sf)])
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert len(recs) == 102
    home = next(x for x in recs if x["name"] == "HOME")
    assert home["partner"] == "NL" and home["mask"] == [[0.0, 10.0], [180.0, 20.0]]
    r = runner.invoke(
        app, ["sites", "add", "BAD", "--lat", "99", "--lon", "5", "--sites-file", str(sf)]
    )
    assert r.exit_code != 0 and "lat_deg" in r.output


def test_passes_jsonl_and_table(tmp_path):
    cat = _tle_file(tmp_path)
    r = runner.invoke(
        app,
        [
            "passes",
            "--site-coords",
            "52,5,100",
            "--catalog",
            str(cat),
            "--start",
            "2018-08-21T00:00:00Z",
            "--hours",
            "36",
            "--min-el",
            "10",
            "--freq-mhz",
            "437",
            "--format",
            "jsonl",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert recs and {x["object"] for x in recs} <= set(IDS)
    for x in recs:
        assert x["rise"].endswith("Z") and x["rise"] <= x["culmination"] <= x["set"]
        assert x["max_elevation_deg"] >= 10.0 - 1e-6
        assert "rise_doppler_hz" in x and "set_range_rate_km_s" in x
    r = runner.invoke(
        app,
        [
            "passes",
            "--site-coords",
            "52,5,100",
            "--catalog",
            str(cat),
            "--start",
            "2018-08-21T00:00:00Z",
            "--hours",
            "12",
            "--ids",
            "399",
            "--format",
            "table",
            "--quiet",
        ],
    )
    assert r.exit_code == 0 and "399" in r.stdout
    r = runner.invoke(app, ["passes", "--catalog", str(cat), "--start", "2018-08-21T00:00:00Z"])
    assert r.exit_code != 0 and "--site" in r.output


def test_tasking_cli(tmp_path):
    cat = _tle_file(tmp_path)
    sf = tmp_path / "sites.json"
    for name, lat, lon, partner in (
        ("A1", 52, 5, "NL"),
        ("A2", 40, -3, "ES"),
        ("B1", 35, 139, "JP"),
    ):
        r = runner.invoke(
            app,
            [
                "sites",
                "add",
                name,
                "--lat",
                str(lat),
                "--lon",
                str(lon),
                "--min-el",
                "10",
                "--partner",
                partner,
                "--sites-file",
                str(sf),
            ],
        )
        assert r.exit_code == 0, r.output
    prio = tmp_path / "prio.txt"
    prio.write_text("# most important first\n399\n1863\n862\n")
    r = runner.invoke(
        app,
        [
            "tasking",
            "--start",
            "2018-08-21T00:00:00Z",
            "--hours",
            "24",
            "--priority",
            str(prio),
            "--catalog",
            str(cat),
            "--sites-file",
            str(sf),
            "--format",
            "jsonl",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    nets = {x["group"]: x for x in recs if x["type"] == "network"}
    assert set(nets) == {"combined", "NL", "ES", "JP"}
    assert nets["combined"]["priority_covered_fraction"] >= max(
        v["priority_covered_fraction"] for v in nets.values()
    )
    tasks = [x for x in recs if x["type"] == "task"]
    assert tasks and {t["object"] for t in tasks} <= set(IDS)
    r = runner.invoke(
        app,
        [
            "tasking",
            "--start",
            "2018-08-21T00:00:00Z",
            "--hours",
            "6",
            "--sites",
            "A1,A2",
            "--catalog",
            str(cat),
            "--sites-file",
            str(sf),
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "combined" in r.stdout


def test_passes_and_tasking_from_database(tmp_path):
    """--db: element sets from the store; stored conjunctions put their objects first."""
    from datetime import UTC, datetime

    cat = _tle_file(tmp_path)
    url = f"sqlite:///{tmp_path / 'ow.db'}"
    r = runner.invoke(app, ["ingest", str(cat), "--db", url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "passes",
            "--site-coords",
            "52,5,100",
            "--db",
            url,
            "--start",
            "2018-08-21T00:00:00Z",
            "--hours",
            "36",
            "--min-el",
            "10",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    assert {json.loads(x)["object"] for x in r.stdout.splitlines() if x.startswith("{")} <= set(IDS)

    from orbitwatch.store.db import open_engine
    from orbitwatch.store.shared_models import ConjunctionRow

    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(
            ConjunctionRow.__table__.insert().values(
                object_1=1863,
                object_2=862,
                tca=datetime(2018, 8, 20, 12, tzinfo=UTC),
                miss_distance_km=0.5,
                releasable_to="ALL",
                created_at=datetime(2018, 8, 20, 13, tzinfo=UTC),
            )
        )
    engine.dispose()
    sf = tmp_path / "sites.json"
    runner.invoke(
        app,
        [
            "sites",
            "add",
            "A1",
            "--lat",
            "52",
            "--lon",
            "5",
            "--partner",
            "NL",
            "--sites-file",
            str(sf),
        ],
    )
    r = runner.invoke(
        app,
        [
            "tasking",
            "--start",
            "2018-08-21T00:00:00Z",
            "--hours",
            "24",
            "--db",
            url,
            "--sites-file",
            str(sf),
            "--format",
            "jsonl",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    tasks = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{") and '"task"' in x]
    ranks = {t["object"]: t["priority_rank"] for t in tasks}
    assert (
        ranks.get(1863) == 0 and ranks.get(862) == 1
    )  # conjunction objects lead the priority list


def test_sites_jsonl_keeps_names_byte_for_byte(tmp_path):
    sf = tmp_path / "sites.json"
    name = "RADAR [A] :satellite:"
    r = runner.invoke(app, ["sites", "add", name, "--lat", "52", "--lon", "5", "--sites-file", str(sf)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sites", "list", "--format", "jsonl", "--sites-file", str(sf)])
    [rec] = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert rec["name"] == name and r.stdout == json.dumps(rec) + "\n"
