"""``orbitwatch ingest``, ``objects`` and ``history`` on real subsets of the shared data.

Run through Typer's ``CliRunner`` against a SQLite file in the test's temporary
directory.  Expected values are read from the input files directly (text
scans), not from our own store.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import lzma

import pytest
from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.conftest import shared_path
from tests.store.conftest import write_keeptrack_subset

runner = CliRunner()


def _run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def kt_3le(tmp_path):
    path = tmp_path / "keeptrack_300.3le"
    records = write_keeptrack_subset(path, n=300)
    return path, records


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_ingest_prints_counts_then_nothing_new(kt_3le, db):
    path, records = kt_3le
    r = _run("ingest", path, "--db", db)
    assert r.exit_code == 0, r.output
    assert f"{path}: 3le: read 300, new 300, duplicate 0, rejected 0" in r.stdout
    r = _run("ingest", path, "--db", db)
    assert r.exit_code == 0
    assert "read 300, new 0, duplicate 300, rejected 0" in r.stdout
    assert "nothing new" in r.stdout


def test_objects_json_and_csv(kt_3le, db, tmp_path):
    path, records = kt_3le
    # the keeptrack JSON subset carries owners
    js = tmp_path / "keeptrack_300.json"
    write_keeptrack_subset(js, n=300, fmt="json")
    assert _run("ingest", js, "--db", db).exit_code == 0
    r = _run("objects", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert len(rows) == len({int(x["TLE1"][2:7]) for x in records})
    for key in ("norad_id", "name", "owner", "epoch", "intl_designator", "object_type",
                "regime", "perigee_km", "apogee_km"):
        assert key in rows[0]
    by_id = {int(x["TLE1"][2:7]): x for x in records}
    for row in rows:
        rec = by_id[row["norad_id"]]
        assert row["name"] == rec["ON"]
        assert row["owner"] == rec["C"]
        assert row["epoch"].endswith("Z")
        # epoch day-of-year matches the TLE text
        yy, doy = int(rec["TLE1"][18:20]), float(rec["TLE1"][20:32])
        assert row["epoch"].startswith(str(2000 + yy if yy < 57 else 1900 + yy))
        assert row["regime"] in {"LEO", "MEO", "GEO", "HEO"}
        assert row["perigee_km"] <= row["apogee_km"]
        assert doy > 0
    r = _run("objects", "--db", db, "--format", "csv", "--regime", "GEO", "--limit", "5")
    assert r.exit_code == 0
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert 0 < len(table) <= 5
    assert list(table[0]) == ["norad_id", "name", "intl_designator", "owner", "object_type",
                              "epoch", "regime", "perigee_km", "apogee_km"]
    assert all(t["regime"] == "GEO" and 35000 < float(t["apogee_km"]) < 37000 for t in table)
    r = _run("objects", "--db", db, "--owner", "US", "--limit", "3")
    assert r.exit_code == 0
    lines = r.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["norad_id", "name", "intl_designator"]
    assert len(lines) == 4
    r = _run("objects", "--db", db, "--regime", "XEO")
    assert r.exit_code == 2 and "--regime" in r.stderr


def test_bad_line_is_reported_and_exits_2(kt_3le, db, tmp_path):
    path, _ = kt_3le
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:-1] + str((int(lines[2][-1]) + 1) % 10)  # bad checksum, record 1
    bad = tmp_path / "bad.3le"
    bad.write_text("\n".join(lines) + "\n")
    r = _run("ingest", bad, "--db", db)
    assert r.exit_code == 2
    assert "read 300, new 299, duplicate 0, rejected 1" in r.stdout
    msg = [ln for ln in r.stderr.splitlines() if "rejected" in ln]
    assert len(msg) == 1 and f"{bad}:" in msg[0] and "checksum" in msg[0]


def test_non_format_file_one_error_and_others_ingested(kt_3le, db, tmp_path):
    path, _ = kt_3le
    junk = tmp_path / "notes.txt"
    junk.write_text("these are not element sets\njust prose\n")
    r = _run("ingest", junk, path, "--db", db)
    assert r.exit_code == 2
    errors = [ln for ln in r.stderr.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1 and "notes.txt" in errors[0]
    assert "new 300" in r.stdout


def test_satcat_2017_subset_and_env_database(tmp_path):
    src = shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz")
    with lzma.open(src, "rt") as f:
        head = list(itertools.islice(f, 201))
    sub = tmp_path / "satcat_200.csv.xz"
    sub.write_bytes(lzma.compress("".join(head).encode()))
    env = {"ORBITWATCH_DB": str(tmp_path / "env.db")}  # a bare path is a SQLite file
    r = _run("ingest", sub, env=env)
    assert r.exit_code == 0, r.output
    assert "satcat" in r.stdout and "read 200, new 200" in r.stdout
    assert (tmp_path / "env.db").exists()
    r = _run("objects", "--format", "json", "--search", "SPUTNIK 1", env=env)
    rows = json.loads(r.stdout)
    row = next(x for x in rows if x["norad_id"] == 2)
    want = next(ln for ln in head if ln.split(",")[1] == "00002").split(",")
    assert row["name"] == want[5] and row["owner"] == want[6]
    assert row["decay_date"] == want[9]


def test_history_lists_every_set(tmp_path, db):
    src = shared_path("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")
    lines = src.read_text().splitlines()
    epochs = set()
    for i, line in enumerate(lines):
        if line.startswith("1 25544U"):
            epochs.add(line[18:32])
    r = _run("ingest", src, "--db", db, "--source", "celestrak-mirror")
    assert r.exit_code in (0, 2), r.output
    r = _run("history", "25544", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert len(rows) == len(epochs)
    assert {row["line1"][18:32] for row in rows} == epochs
    assert [row["epoch"] for row in rows] == sorted(row["epoch"] for row in rows)
    assert all(row["source"] == "celestrak-mirror" for row in rows)
    r = _run("history", "25544", "--db", db)
    assert r.exit_code == 0
    assert len(r.stdout.strip().splitlines()) == len(epochs) + 1
    r = _run("history", "99999", "--db", db)
    assert r.exit_code == 1 and "no element sets" in r.stderr


def test_partner_releasability_options(kt_3le, db):
    path, _ = kt_3le
    r = _run("ingest", path, "--db", db, "--partner", "fr", "--releasable-to", "FR,DE")
    assert r.exit_code == 0, r.output
    vis = json.loads(_run("objects", "--db", db, "--format", "json", "--visible-to", "DE").stdout)
    assert len(vis) > 0
    r = _run("objects", "--db", db, "--format", "json", "--visible-to", "US")
    hidden = json.loads(r.stdout)
    assert hidden == []
    r = _run("ingest", path, "--db", db, "--partner", "F R")
    assert r.exit_code == 2 and "partner code" in r.stderr
