"""Hall 3D-Nc on Alfano (2009) GEO test cases 3, 4 and 9 (slow encounters, HBR much larger
than some position sigmas) against CARA's Pc3D_Hall unit-test values, with CARA's unit-test
settings (initial grid and limits +-TLimit, 1000 points); case 7 is in test_nc3d_cara_b.py
and all 12 in benchmarks/pc.py --alfano.

Case 3 is a ~3 s pass at 16 m/s relative speed on a 43 s initial grid: the collision rate
underflows to 0 at every initial point, and the refinement must follow the log of the rate
to find the encounter (it returned NaN before)."""

from __future__ import annotations

import pytest

from orbitwatch.collision.nc3d import nc_3d_hall
from tests.collision.cara_cases import alfano_case, unit_test_refs


@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 4, 9])
def test_alfano_pc3d(n):
    ref = unit_test_refs()["alfano_2009_cases"]
    r1, v1, C1, r2, v2, C2 = alfano_case(n)
    T = ref["TLimit_s"][n - 1]
    res = nc_3d_hall(r1, v1, C1, r2, v2, C2, ref["HBR_m"][n - 1], t_initial=(-T, T),
                     t_limits=(-T, T), neph=1000)
    assert res.converged
    assert res.value == pytest.approx(ref["expected_Pc3D_Hall"][n - 1], rel=1e-3)
