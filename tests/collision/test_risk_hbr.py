"""Risk tiers, CARA HBR table, assess_conjunction and CDMs built from screening output."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from orbitwatch.ccsds.cdm import parse_cdm, write_cdm
from orbitwatch.collision.encounter import cov_inertial_to_rtn
from orbitwatch.collision.hbr import read_hbr_table
from orbitwatch.collision.pc2d import pc_circle
from orbitwatch.collision.risk import (RiskThresholds, assess_conjunction, conjunction_to_cdm,
                                       risk_tier)
from tests.collision.cara_cases import cara_conjunction, cara_rows
from tests.conftest import shared_path


def test_tiers():
    assert risk_tier(2e-4) == "red" and risk_tier(1e-4) == "red"
    assert risk_tier(5e-6) == "yellow" and risk_tier(1e-7) == "yellow"
    assert risk_tier(9e-8) == "green"
    assert risk_tier(float("nan")) == "unknown"
    assert risk_tier(5e-6, RiskThresholds(red=1e-6, yellow=1e-9)) == "red"


def test_hbr_table():
    t = read_hbr_table(shared_path("catalog", "cara_hbr_mass",
                                   "HBR_Mass_Estimates_20260601_ForDistribution.csv"))
    assert len(t) == 58609
    iss = t.get(25544)
    assert iss.hbr_m == pytest.approx(66.1) and iss.hbr_source == "CARA Protected Primary"
    assert t.hbr_m(1) is None  # DISCOS row without a redistributable value
    h, src = t.combined_hbr_m(25544, 51)
    assert src == "table" and h == pytest.approx(66.1 + t.hbr_m(51))
    assert t.combined_hbr_m(25544, 1) == (20.0, "default")


def _teme_like(c):
    """The 2D-Pc is rotation invariant: use the EME2000 CDM states as an inertial input."""
    return c.r1 / 1e3, c.v1 / 1e3, c.r2 / 1e3, c.v2 / 1e3


def test_assess_conjunction_matches_pc_circle():
    row = cara_rows()[0]
    c = cara_conjunction(row)
    r1, v1, r2, v2 = _teme_like(c)
    cov1 = cov_inertial_to_rtn(c.cov1, c.r1, c.v1)
    cov2 = cov_inertial_to_rtn(c.cov2, c.r2, c.v2)
    a = assess_conjunction(r1, v1, r2, v2, cov1, cov2, c.hbr_m)
    assert a.pc == pytest.approx(float(row["Pc2D"]), rel=1e-6)
    assert a.tier == "red" and a.pc_max >= a.pc
    assert a.miss_distance_m == pytest.approx(float(row["MissDist_m"]), rel=1e-4)
    b = assess_conjunction(r1, v1, r2, v2, None, None, c.hbr_m)
    assert b.pc is None and b.pc_max > 0 and b.warnings


def test_conjunction_to_cdm_round_trip_and_independent_reader():
    from ccsds_ndm.ndm_io import NdmIo

    c = cara_conjunction(cara_rows()[1])
    r1, v1, r2, v2 = _teme_like(c)
    cov1 = cov_inertial_to_rtn(c.cov1, c.r1, c.v1)
    cov2 = cov_inertial_to_rtn(c.cov2, c.r2, c.v2)
    tca = datetime(2020, 12, 16, 18, 21, 31, 500000, tzinfo=timezone.utc)
    pc = pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m).pc[0]
    cdm = conjunction_to_cdm(tca=tca, r1_teme_km=r1, v1_teme_km_s=v1, r2_teme_km=r2,
                             v2_teme_km_s=v2, cov1_rtn=cov1, cov2_rtn=cov2,
                             object1={"OBJECT_DESIGNATOR": "38771", "OBJECT_NAME": "METOP-B"},
                             object2={"OBJECT_DESIGNATOR": "30802"}, pc=pc, hbr_m=c.hbr_m,
                             creation_date=datetime(2020, 12, 15, tzinfo=timezone.utc))
    assert cdm.objects[0].ref_frame == "GCRF"
    for fmt in ("kvn", "xml"):
        text = write_cdm(cdm, fmt)
        back = parse_cdm(text)
        assert back == cdm
        obj = NdmIo().from_string(text)
        assert obj.body.segment[0].metadata.object_designator == "38771"
        assert float(obj.body.relative_metadata_data.collision_probability) == pytest.approx(pc, rel=1e-6)
    # the covariance we wrote is the one we were given
    np.testing.assert_allclose(back.objects[0].cov_rtn, cov1, rtol=1e-12)
    # miss distance is preserved by the TEME->GCRF rotation
    assert back.miss_distance_m == pytest.approx(np.linalg.norm(c.r2 - c.r1), abs=1e-3)
    assert back.hbr_m == c.hbr_m
