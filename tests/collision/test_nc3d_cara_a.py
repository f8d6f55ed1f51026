"""Hall (2021) 3D-Nc and 2D-Nc against NASA CARA's Pc3D_Hall / Pc2D_Hall values on the real
CDMs (first half of the 20 reference conjunctions; the rest in test_nc3d_cara_b.py)."""

from __future__ import annotations

import pytest

from orbitwatch.collision.nc3d import nc_2d_hall, nc_3d_hall
from tests.collision.cara_cases import cara_conjunction, cara_rows

ROWS = list(range(0, 10))


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
