"""``orbitwatch propagate`` on a small real subset, checked against independent oracles.

TEME rows are compared with sgp4's own scalar ``Satrec.sgp4`` on the newest
TLE of each object (picked here by scanning the file, not through our code);
geodetic and GCRS rows with skyfield.  A decaying object (Vallado's 28872)
gives error rows with null states.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from conftest import shared_path
from sgp4.api import Satrec
from typer.testing import CliRunner

from orbitwatch.cli import app

IDS = [25544, 48274, 49044]  # ISS (ZARYA), CSS (TIANHE), ISS (NAUKA)
START = "2026-05-24T06:30:00Z"
START_DT = datetime(2026, 5, 24, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def stations_file():
    return shared_path("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")


def _newest_tles(path) -> dict[int, tuple[str, str]]:
    """The latest-epoch TLE per catalog number, by plain text scanning."""
    lines = path.read_text().splitlines()
    best: dict[int, tuple[float, str, str]] = {}
    for i, line in enumerate(lines):
        if line.startswith("1 ") and i + 1 < len(lines) and lines[i + 1].startswith("2 "):
            nid = int(line[2:7])
            yy, doy = int(line[18:20]), float(line[20:32])
            key = (2000 + yy if yy < 57 else 1900 + yy) * 1000 + doy
            if nid not in best or key >= best[nid][0]:
                best[nid] = (key, line, lines[i + 1])
    return {n: (l1, l2) for n, (_, l1, l2) in best.items()}


def _run(args):
    result = CliRunner().invoke(app, ["propagate", *args])
    return result


def _times(n, step_s):
    return [START_DT + timedelta(seconds=k * step_s) for k in range(n)]


def test_teme_jsonl_matches_sgp4(stations_file):
    res = _run(["--catalog", str(stations_file), "--start", START, "--hours", "1.5",
                "--step-s", "600", "--ids", ",".join(map(str, IDS)), "-q"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    times = _times(10, 600)
    assert len(rows) == len(IDS) * len(times)
    assert [r["norad_id"] for r in rows[:: len(times)]] == sorted(IDS)
    assert rows[1]["time"] == "2026-05-24T06:40:00Z"
    tles = _newest_tles(stations_file)
    for row in rows:
        sat = Satrec.twoline2rv(*tles[row["norad_id"]])
        t = datetime.fromisoformat(row["time"].replace("Z", "+00:00"))
        jd = 2440587.5 + (t - datetime(1970, 1, 1, tzinfo=UTC)).days
        fr = (t - t.replace(hour=0, minute=0, second=0)).total_seconds() / 86400.0
        e, r, v = sat.sgp4(jd, fr)
        assert e == row["error"] == 0 and row["error_message"] == ""
        np.testing.assert_allclose([row["x_km"], row["y_km"], row["z_km"]], r, atol=1e-6)
        np.testing.assert_allclose([row["vx_km_s"], row["vy_km_s"], row["vz_km_s"]], v, atol=1e-9)


def test_geodetic_csv_and_gcrs_match_skyfield(stations_file, tmp_path):
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    tles = _newest_tles(stations_file)
    times = _times(7, 450)
    t = ts.from_datetimes(times)
    out = tmp_path / "geo.csv"
    res = _run(["--catalog", str(stations_file), "--start", START, "--hours", "0.75",
                "--step-s", "450", "--ids", "25544,48274", "--frame", "geodetic",
                "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert "14 rows" in res.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["norad_id", "time", "lat_deg", "lon_deg", "alt_km", "error", "error_message"]
    assert len(rows) == 14
    for nid in (25544, 48274):
        got = [r for r in rows if int(r["norad_id"]) == nid]
        pos = EarthSatellite(*tles[nid], ts=ts).at(t)
        lat, lon = wgs84.latlon_of(pos)
        h = wgs84.height_of(pos).km
        lat_got = np.array([float(r["lat_deg"]) for r in got])
        lon_got = np.array([float(r["lon_deg"]) for r in got])
        alt_got = np.array([float(r["alt_km"]) for r in got])
        assert (np.abs(np.radians(lat_got - lat.degrees)) * 6800e3).max() < 1.0
        assert (np.abs(np.radians(lon_got - lon.degrees)) * 6800e3).max() < 1.0
        assert np.abs(alt_got - h).max() < 1e-3

    res = _run(["--catalog", str(stations_file), "--start", START, "--hours", "0.75",
                "--step-s", "450", "--ids", "25544", "--frame", "gcrs", "-q"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    pos = EarthSatellite(*tles[25544], ts=ts).at(t)
    r = np.array([[row["x_km"], row["y_km"], row["z_km"]] for row in rows])
    v = np.array([[row["vx_km_s"], row["vy_km_s"], row["vz_km_s"]] for row in rows])
    np.testing.assert_allclose(r, pos.position.km.T, atol=1e-3)
    np.testing.assert_allclose(v, pos.velocity.km_per_s.T, atol=1e-6)


def test_decaying_object_gives_error_rows(tmp_path):
    lines = shared_path("sgp4_verification", "SGP4-VER.TLE").read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("1 28872"))
    path = tmp_path / "decay.tle"
    path.write_text(f"{lines[i]}\n{lines[i + 1][:69]}\n")
    # epoch 2005-11-29T00:28:58.939 UTC; Vallado: code 6 (decayed) from ~55 min on
    res = _run(["--catalog", str(path), "--start", "2005-11-29T00:30:00Z", "--hours", "1.5",
                "--step-s", "300", "--format", "csv", "-q"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 19
    bad = [r for r in rows if r["error"] != "0"]
    good = [r for r in rows if r["error"] == "0"]
    assert bad and good and rows[0]["error"] == "0"
    assert {r["error"] for r in bad} == {"6"}
    assert all(r["x_km"] == "" and "decayed" in r["error_message"] for r in bad)
    assert all(r["x_km"] != "" and r["error_message"] == "" for r in good)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--start", "yesterday-ish"], "not an ISO-8601 time"),
        (["--start", START, "--ids", "25544,ISS"], "'ISS' is not a NORAD catalog number"),
        (["--start", START, "--step-s", "0"], "--step-s must be a positive"),
        (["--start", START, "--db", "sqlite:///x.db"], "not both"),
    ],
)
def test_bad_arguments_fail_clearly(stations_file, args, needle):
    res = _run(["--catalog", str(stations_file), *args])
    assert res.exit_code != 0
    assert needle in " ".join(res.stderr.split())


def test_missing_catalog_file_fails(tmp_path):
    res = _run(["--catalog", str(tmp_path / "nope.tle"), "--start", START])
    assert res.exit_code != 0
    assert "nope.tle" in res.stderr
