"""``orbitwatch screen`` end to end on a small real-catalog subset."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sgp4.api import WGS72, Satrec
from typer.testing import CliRunner

from orbitwatch.cli import app
from orbitwatch.screening import screen
from tests.conftest import shared_path

IDS = {2432, 4706, 5174, 5705, 141, 4718, 25544, 43211, 24872}
START = datetime(2018, 8, 20, tzinfo=UTC)


def _checksum(line: str) -> str:
    s = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68])
    return line[:68] + str(s % 10)


@pytest.fixture(scope="module")
def subset():
    rows = json.loads(shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json").read_text())
    return [r for r in rows if int(r["TLE1"][2:7]) in IDS]


def _write(path, rows, extra=()):
    with open(path, "w") as fh:
        for r in rows:
            fh.write(f"{r['ON']}\n{r['TLE1']}\n{r['TLE2']}\n")
        for name, l1, l2 in extra:
            fh.write(f"{name}\n{l1}\n{l2}\n")


def test_screen_jsonl_matches_library(tmp_path, subset):
    cat = tmp_path / "sub.tle"
    _write(cat, subset)
    runner = CliRunner()
    res = runner.invoke(app, ["screen", "--catalog", str(cat), "--start", "2018-08-20T00:00:00Z",
                              "--hours", "30", "--threshold-km", "5", "--format", "jsonl",
                              "--out", str(tmp_path / "ev.jsonl")])
    assert res.exit_code == 0, res.output
    recs = [json.loads(x) for x in (tmp_path / "ev.jsonl").read_text().splitlines()]
    sats = [Satrec.twoline2rv(r["TLE1"], r["TLE2"], WGS72) for r in subset]
    lib = screen(sats, START, 30 * 3600, 5.0)
    assert len(recs) == len(lib.conjunctions) > 0
    for rec, c in zip(recs, lib.conjunctions):
        assert set(rec) >= {"object_1", "object_2", "tca", "miss_distance_km", "relative_speed_km_s",
                            "miss_rtn_km", "object_1_name", "object_2_name"}
        assert (rec["object_1"], rec["object_2"]) == (c.object_1, c.object_2)
        assert rec["object_1"] < rec["object_2"]
        assert rec["tca"].endswith("Z") and len(rec["tca"].split(".")[1]) >= 4
        tca = datetime.fromisoformat(rec["tca"].replace("Z", "+00:00"))
        assert abs((tca - c.tca).total_seconds()) < 1e-6
        assert rec["miss_distance_km"] == pytest.approx(c.miss_distance_km, abs=1e-6)
    # the decaying object is reported once on stderr
    assert res.output.count("propagation failed") == 1
    assert "24872" in res.output


def test_screen_primary_csv_and_as_of(tmp_path, subset):
    # an older element set of 4706 (epoch shifted back one day): --as-of must pick it
    r4706 = next(r for r in subset if int(r["TLE1"][2:7]) == 4706)
    l1 = r4706["TLE1"]
    epoch_day = float(l1[20:32])
    old_l1 = _checksum(l1[:20] + f"{epoch_day - 1.0:012.8f}" + l1[32:])
    cat = tmp_path / "sub.tle"
    _write(cat, subset, extra=[("OLD 4706", old_l1, r4706["TLE2"])])
    newest_epoch = START - timedelta(days=30)  # placeholder, replaced below
    sat_new = Satrec.twoline2rv(l1, r4706["TLE2"], WGS72)
    newest_epoch = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=sat_new.jdsatepoch + sat_new.jdsatepochF - 2451544.5)
    as_of = (newest_epoch - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    runner = CliRunner()
    res = runner.invoke(app, ["screen", "--catalog", str(cat), "--start", "2018-08-20T00:00:00Z",
                              "--hours", "6", "--threshold-km", "5", "--primary", "4706",
                              "--as-of", as_of, "--format", "csv", "--quiet"])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x and not x.startswith("propagation")]
    assert lines[0].startswith("object_1,object_2,tca,miss_distance_km")
    old_sat = Satrec.twoline2rv(old_l1, r4706["TLE2"], WGS72)
    others = [Satrec.twoline2rv(r["TLE1"], r["TLE2"], WGS72) for r in subset if int(r["TLE1"][2:7]) != 4706]
    lib = screen(others + [old_sat], START, 6 * 3600, 5.0, primaries=[4706])
    assert len(lines) - 1 == len(lib.conjunctions)
    for line, c in zip(lines[1:], lib.conjunctions):
        fields = line.split(",")
        assert int(fields[0]) == 4706 and int(fields[1]) == c.object_2


def test_screen_rejects_bad_arguments(tmp_path, subset):
    cat = tmp_path / "sub.tle"
    _write(cat, subset)
    runner = CliRunner()
    res = runner.invoke(app, ["screen", "--catalog", str(cat), "--start", "2018-08-20", "--hours", "1",
                              "--days", "1", "--threshold-km", "5"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["screen", "--catalog", str(cat), "--start", "2018-08-20", "--hours", "1",
                              "--threshold-km", "5", "--primary", "99999"])
    assert res.exit_code == 2 and "99999" in res.output
