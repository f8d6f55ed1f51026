"""Screening -> risk: Pc from history covariances, max Pc without them, CDMs out.

Independent checks: the CDMs we write are read back by the ``ccsds-ndm``
package; the covariance-free case must equal Alfano's maximum for the miss
distance; Pc values must lie under their own maximum.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import shared_path
from orbitwatch.collision.pcmax import pc_max_no_covariance
from orbitwatch.collision.screening_risk import (
    assess_screening, covariance_source, public_fields, write_cdms)
from orbitwatch.elements import newest_per_object, read_file
from orbitwatch.screening import screen

START = datetime(2026, 5, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def stations():
    hist = read_file(shared_path("tle_history", "celestrak_mirror_2026-05",
                                 "stations_history.3le")).element_sets
    newest = newest_per_object(hist)
    res = screen(newest, START, 6 * 3600.0, 5.0)
    assert res.conjunctions
    return hist, {s.norad_id: s for s in newest}, res.conjunctions


def test_pc_from_history_covariance_below_its_maximum(stations):
    hist, newest, conj = stations
    cs = covariance_source(hist)
    rows = assess_screening(conj, newest, cs)
    assert len(rows) == len(conj)
    for c, r in zip(conj, rows):
        assert r["covariance_source"][0] == "own element-set history"
        assert r["pc"] is not None and 0.0 <= r["pc"] <= 1.0
        assert r["pc"] <= r["pc_max"] * (1 + 1e-9)
        assert r["risk"] in ("red", "yellow", "green")
        assert r["hbr_source"] == "default"


def test_without_history_pc_is_none_and_tier_from_max(stations):
    _, newest, conj = stations
    rows = assess_screening(conj, newest, None, hbr_m=10.0)
    for c, r in zip(conj, rows):
        assert r["pc"] is None and r["hbr_m"] == 10.0 and r["hbr_source"] == "cli"
        miss_m = c.miss_distance_km * 1e3
        expected = pc_max_no_covariance(miss_m, 10.0).value
        assert r["pc_max"] == pytest.approx(expected, rel=1e-3)
        assert "_cov1" not in public_fields(r)


def test_cdms_read_back_by_ours_and_by_ccsds_ndm(stations, tmp_path):
    from ccsds_ndm.ndm_io import NdmIo

    from orbitwatch.ccsds.cdm import read_cdm

    hist, newest, conj = stations
    rows = assess_screening(conj[:3], newest, covariance_source(hist))
    for fmt in ("kvn", "xml"):
        paths = write_cdms(conj[:3], rows, newest, tmp_path / fmt, fmt=fmt)
        assert len(paths) == 3
        for c, p in zip(conj[:3], paths):
            ours = read_cdm(p)
            assert float(ours.relative.fields["MISS_DISTANCE"]) == pytest.approx(
                c.miss_distance_km * 1e3, abs=1e-3)
            if fmt == "xml":
                other = NdmIo().from_path(p)
                assert other is not None


def test_screen_cli_pc_and_cdm_dir(tmp_path):
    import json

    from typer.testing import CliRunner

    from orbitwatch.ccsds.cdm import read_cdm
    from orbitwatch.cli import app

    path = shared_path("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")
    res = CliRunner().invoke(app, [
        "screen", "--catalog", str(path), "--start", "2026-05-30T00:00:00Z", "--hours", "3",
        "--threshold-km", "5", "--pc", "--hbr-m", "15", "--cdm-dir", str(tmp_path / "cdm"),
        "--format", "jsonl", "--quiet", "--red", "1e-3"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert rows
    for r in rows:
        for key in ("pc", "pc_method", "pc_max", "risk"):
            assert key in r
        assert r["hbr_m"] == 15.0 and r["hbr_source"] == "cli"
        if r["pc"] is not None:
            expect = "red" if r["pc"] >= 1e-3 else "yellow" if r["pc"] >= 1e-7 else "green"
            assert r["risk"] == expect
    cdms = sorted((tmp_path / "cdm").iterdir())
    assert len(cdms) == len(rows)
    tcas = sorted(read_cdm(p).relative.fields["TCA"] for p in cdms)
    assert tcas == sorted(r["tca"][:23] for r in rows)
