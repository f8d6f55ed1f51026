"""Sites in the shared store: `orbitwatch sites import/list --db` and passes from stored sites."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.cli import app
from orbitwatch.tracking.sites import read_sites_file

runner = CliRunner()


def test_import_list_and_pass_from_stored_sites(tmp_path):
    csv_path = shared_path("sensors", "keeptrack_sensors.csv")
    db = str(tmp_path / "o.db")
    first = runner.invoke(app, ["sites", "import", str(csv_path), "--db", db])
    assert first.exit_code == 0, first.output
    assert "101 added, 0 replaced" in first.output
    again = runner.invoke(app, ["sites", "import", str(csv_path), "--db", db])
    assert "0 added, 101 replaced" in again.output

    res = runner.invoke(app, ["sites", "list", "--db", db, "--format", "jsonl"])
    stored = {d["name"]: d for d in map(json.loads, res.stdout.splitlines())}
    direct = {s.name: s for s in read_sites_file(csv_path)}
    assert set(stored) == set(direct)
    for name, s in direct.items():
        d = stored[name]
        assert abs(d["lat_deg"] - s.lat_deg) < 1e-9 and abs(d["alt_m"] - s.alt_m) < 1e-6
        assert d["kind"] == s.kind and d["partner"] == s.partner
        assert d["min_elevation_deg"] == s.min_elevation_deg
        assert d["max_range_km"] == s.max_range_km

    # the same passes from the stored site as from a sites file holding it
    stations = shared_path("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")
    sites_file = tmp_path / "sites.json"
    runner.invoke(app, ["sites", "import", str(csv_path), "--sites-file", str(sites_file)])
    common = ["passes", "--site", "CODSFS", "--catalog", str(stations), "--start",
              "2026-05-30T00:00:00Z", "--hours", "12", "--ids", "25544", "--format", "jsonl",
              "--quiet"]
    from_db = runner.invoke(app, common + ["--db", db, "--sites-file",
                                           str(tmp_path / "none.json")])
    from_file = runner.invoke(app, common + ["--sites-file", str(sites_file)])
    assert from_db.exit_code == 0, from_db.output
    assert from_db.stdout == from_file.stdout and from_db.stdout.strip()


def test_a_store_that_does_not_exist_is_not_created_by_passes_tasking_or_sites_list(tmp_path):
    """passes and tasking read their element sets through cli.sources, which
    refuses a missing SQLite store (exit 2), but they looked their sites up in
    --db first, which created the mistyped store (folder and all); they then
    said 'no element sets to propagate' or 'no sites selected ... and the
    database'.  ``sites list --db`` only reads, too."""
    csv_path = shared_path("sensors", "keeptrack_sensors.csv")
    sites_file = tmp_path / "sites.json"
    assert runner.invoke(app, ["sites", "import", str(csv_path), "--sites-file",
                               str(sites_file)]).exit_code == 0
    path = tmp_path / "typo" / "store.db"
    for args in (["passes", "--site", "CODSFS", "--start", "2026-05-30T00:00:00Z"],
                 ["tasking", "--start", "2026-05-30T00:00:00Z"],
                 ["sites", "list"]):
        res = runner.invoke(app, [*args, "--db", f"sqlite:///{path}", "--sites-file", str(sites_file)])
        assert res.exit_code == 2, (args, res.output)
        assert f"no store at {path}" in " ".join(res.output.split()), (args, res.output)
        assert not path.parent.exists(), args
