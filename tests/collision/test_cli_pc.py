"""`orbitwatch pc` end to end on real CARA CDMs (KVN) and the CCSDS XML sample."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.collision.cara_cases import cara_rows
from tests.conftest import shared_path


def test_pc_json_output_in_file_order():
    d = shared_path("collision_probability", "cara_PcTestCaseCDMs")
    rows = cara_rows()[:2]
    xml = shared_path("ccsds_samples", "cdm", "CDMExample1.xml")
    files = [str(d / f"{rows[1]['Conjunction_ID']}.cdm"), str(xml), str(d / f"{rows[0]['Conjunction_ID']}.cdm")]
    res = CliRunner().invoke(app, ["pc", *files, "--methods", "pc2d,nc2d,mc,max", "--format", "json",
                                   "--mc-samples", "20000", "--seed", "3"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [o["file"] for o in out] == files
    a, x, b = out
    for o, row in ((a, rows[1]), (b, rows[0])):
        assert o["pc_2d"] == pytest.approx(float(row["Pc2D"]), rel=1e-6)
        assert o["nc_2d"] == pytest.approx(float(row["Nc2D"]), rel=1e-3)
        assert o["hbr_m"] == float(row["HBR_m"]) and o["hbr_source"] == "cdm"
        assert o["pc_mc"]["samples"] == 20000
        assert o["pc_mc"]["ci95_low"] <= o["pc_mc"]["value"] <= o["pc_mc"]["ci95_high"]
        assert o["pc_max"] >= o["pc_2d"]
        assert o["tier"] == "red"
        assert o["tca"].endswith("Z") and o["miss_distance_m"] > 0 and o["relative_speed_m_s"] > 0
        for k in ("object_1", "object_2", "warnings"):
            assert k in o
    assert x["hbr_source"] == "default" and any("HBR" in w for w in x["warnings"])
    assert x["object_1"]["designator"] == "12345"


def test_pc_hbr_override_and_bad_file(tmp_path):
    d = shared_path("collision_probability", "cara_PcTestCaseCDMs")
    f = d / f"{cara_rows()[0]['Conjunction_ID']}.cdm"
    bad = tmp_path / "bad.cdm"
    bad.write_text("CCSDS_CDM_VERS = 1.0\nCREATION_DATE = x\n")
    res = CliRunner().invoke(app, ["pc", str(f), str(bad), "--hbr-m", "5", "--methods", "pc2d",
                                   "--format", "json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out[0]["hbr_m"] == 5.0 and out[0]["hbr_source"] == "cli"
    assert "error" in out[1] and "bad.cdm" in out[1]["error"]
