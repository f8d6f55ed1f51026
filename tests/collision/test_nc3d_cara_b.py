"""Hall (2021) 3D-Nc and 2D-Nc against NASA CARA's Pc3D_Hall / Pc2D_Hall values on the real
CDMs (second half of the 20 reference conjunctions, where Nc3D exceeds Pc2D by up to 6e4x)."""

from __future__ import annotations

import pytest

from orbitwatch.collision.nc3d import nc_2d_hall, nc_3d_hall
from tests.collision.cara_cases import cara_conjunction, cara_rows

ROWS = list(range(10, 20))


@pytest.mark.parametrize("i", ROWS)
def test_nc3d_within_1e3_of_cara(i):
    row = cara_rows()[i]
    c = cara_conjunction(row)
    res = nc_3d_hall(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m)
    assert res.converged
    assert res.value == pytest.approx(float(row["Nc3D"]), rel=1e-3), row["Conjunction_ID"]


@pytest.mark.parametrize("i", ROWS[::3])
def test_nc2d_within_1e3_of_cara(i):
    row = cara_rows()[i]
    c = cara_conjunction(row)
    res = nc_2d_hall(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m)
    assert res.value == pytest.approx(float(row["Nc2D"]), rel=1e-3), row["Conjunction_ID"]


@pytest.mark.slow
def test_alfano_2009_case_7_pc3d():
    """Alfano (2009) case 7 (GEO, slow encounter) with CARA's unit-test time limits."""
    from tests.collision.cara_cases import alfano_case, unit_test_refs

    ref = unit_test_refs()["alfano_2009_cases"]
    r1, v1, C1, r2, v2, C2 = alfano_case(7)
    T = ref["TLimit_s"][6]
    res = nc_3d_hall(r1, v1, C1, r2, v2, C2, ref["HBR_m"][6], t_initial=(-T, T), t_limits=(-T, T),
                     neph=1000)
    assert res.value == pytest.approx(ref["expected_Pc3D_Hall"][6], rel=1e-3)
