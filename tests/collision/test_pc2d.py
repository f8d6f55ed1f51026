"""Foster 2D-Pc against NASA CARA: the 20 real CDMs with expected PcCircle values, the
Omitron unit-test cases and Alfano (2009) cases."""

from __future__ import annotations

import numpy as np
import pytest

from orbitwatch.collision.pc2d import pc_circle, pc_circle_foster, pc_equal_area_square
from tests.collision.cara_cases import alfano_case, cara_conjunction, cara_rows, unit_test_refs


def test_cara_20_cdms_pc2d_within_1e6_relative():
    rows = cara_rows()
    assert len(rows) == 20
    checked = 0
    for row in rows:
        c = cara_conjunction(row)
        adj = pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m).pc[0]
        noadj = pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m, adjust_tca=False).pc[0]
        exp, exp0 = float(row["Pc2D"]), float(row["Pc2D_NoAdj"])
        if exp > 1e-12:
            assert adj == pytest.approx(exp, rel=1e-6), row["Conjunction_ID"]
            assert noadj == pytest.approx(exp0, rel=1e-6), row["Conjunction_ID"]
            checked += 1
        else:
            assert adj == pytest.approx(exp, rel=1e-3)
    assert checked == 20


def test_cdm_hbr_comment_matches_cara_table():
    for row in cara_rows():
        assert cara_conjunction(row).hbr_m == float(row["HBR_m"])


def test_vectorised_equals_single():
    rows = cara_rows()[:6]
    cs = [cara_conjunction(r) for r in rows]
    batch = pc_circle(np.array([c.r1 for c in cs]), np.array([c.v1 for c in cs]),
                      np.array([c.cov1 for c in cs]), np.array([c.r2 for c in cs]),
                      np.array([c.v2 for c in cs]), np.array([c.cov2 for c in cs]),
                      np.array([c.hbr_m for c in cs])).pc
    single = [pc_circle_foster(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m).value for c in cs]
    np.testing.assert_allclose(batch, single, rtol=1e-13)


@pytest.mark.parametrize("case", ["omitron_case_1", "omitron_case_2"])
def test_omitron_unit_cases(case):
    ref = unit_test_refs()[case]
    scale = 1e-3 if "cov1_times_1e-3" in ref else 1.0
    cov1 = np.array(ref.get("cov1", ref.get("cov1_times_1e-3"))) * scale
    cov2 = np.array(ref["cov2"])
    res = pc_circle_foster(ref["r1"], ref["v1"], cov1, ref["r2"], ref["v2"], cov2, ref["HBR"],
                           adjust_tca=False)
    exp = ref["expected"].get("PcCircle_default_and_highest_accuracy",
                              ref["expected"].get("PcCircle_highest_accuracy"))
    assert res.value == pytest.approx(exp, rel=1e-8)


def test_omitron_equal_area_square():
    ref = unit_test_refs()["omitron_case_1"]
    res = pc_circle_foster(ref["r1"], ref["v1"], ref["cov1"], ref["r2"], ref["v2"], ref["cov2"],
                           ref["HBR"], adjust_tca=False)
    f = res.flags
    sq = pc_equal_area_square(f["xm_m"], f["zm_m"], f["sigma_x_m"], f["sigma_z_m"], ref["HBR"])
    assert sq == pytest.approx(ref["expected"]["Pc2D_Foster_squareEquArea"], rel=1e-6)


@pytest.mark.parametrize("n", list(range(1, 12)))
def test_alfano_2009_cases_pc2d(n):
    ref = unit_test_refs()["alfano_2009_cases"]
    r1, v1, C1, r2, v2, C2 = alfano_case(n)
    pc = pc_circle(r1, v1, C1, r2, v2, C2, ref["HBR_m"][n - 1]).pc[0]
    assert pc == pytest.approx(ref["expected_Pc2D_PcCircle_Foster_Elrod"][n - 1], rel=1e-3)


def test_non_positive_definite_projected_covariance_is_remediated():
    r1 = np.array([7000e3, 0, 0])
    v1 = np.array([0, 7.5e3, 0])
    r2 = r1 + np.array([30.0, 0, 0])
    v2 = np.array([0, 0, 7.5e3])
    cov = np.diag([1e4, 0.0, 0.0])  # zero variance along one encounter-plane axis
    res = pc_circle_foster(r1, v1, cov, r2, v2, np.zeros((3, 3)), 10.0)
    assert res.flags["remediated"] and res.warnings
    assert np.isfinite(res.value)


def test_zero_hbr_and_infinite_hbr():
    c = cara_conjunction(cara_rows()[0])
    assert pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, 0.0).pc[0] == 0.0
    assert pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, np.inf).pc[0] == 1.0


def test_itrf_cdm_states_are_converted():
    """A CDM whose states are given in ITRF (converted here with the project's frames module)
    gives the same 2D-Pc as the EME2000 original."""
    import copy

    from orbitwatch.ccsds.cdm import read_cdm
    from orbitwatch.collision.encounter import conjunction_from_cdm
    from orbitwatch.propagation import frames
    from orbitwatch.timeutil import datetime_to_jd
    from tests.conftest import shared_path

    row = cara_rows()[0]
    cdm = read_cdm(shared_path("collision_probability", "cara_PcTestCaseCDMs",
                               f"{row['Conjunction_ID']}.cdm"))
    itrf = copy.deepcopy(cdm)
    jd, fr = datetime_to_jd(cdm.tca)
    for o in itrf.objects:
        rt, vt = frames.gcrs_to_teme(o.r_km[None], o.v_km_s[None], np.array([jd]), np.array([fr]))
        ri, vi = frames.teme_to_itrs(rt, vt, np.array([jd]), np.array([fr]))
        for k, val in zip(("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT"), [*ri[0], *vi[0]]):
            o.data.fields[k] = repr(float(val))
        o.metadata.fields["REF_FRAME"] = "ITRF"
    c0 = conjunction_from_cdm(cdm)
    c1 = conjunction_from_cdm(itrf)
    assert any("ITRF" in w for w in c1.warnings)
    p0 = pc_circle(c0.r1, c0.v1, c0.cov1, c0.r2, c0.v2, c0.cov2, c0.hbr_m).pc[0]
    p1 = pc_circle(c1.r1, c1.v1, c1.cov1, c1.r2, c1.v2, c1.cov2, c1.hbr_m).pc[0]
    assert p1 == pytest.approx(p0, rel=1e-9)
