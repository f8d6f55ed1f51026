"""Maximum Pc bounds (Alfano 2005)."""

from __future__ import annotations

import numpy as np
import pytest

from orbitwatch.collision.pc2d import pc_circle
from orbitwatch.collision.pcmax import pc_max_covariance_scaling, pc_max_no_covariance
from tests.collision.cara_cases import cara_conjunction, cara_rows


def test_isotropic_bound_is_r2_over_e_d2_in_small_hbr_limit():
    # Alfano (2005): with a circular covariance the maximum is R^2/(e d^2) at sigma = d/sqrt(2)
    d, R = 1000.0, 5.0
    res = pc_max_no_covariance(d, R, aspect_ratio=1.0)
    assert res.value == pytest.approx(R * R / (np.e * d * d), rel=1e-4)
    assert res.flags["sigma_minor_m"] == pytest.approx(d / np.sqrt(2), rel=1e-3)


def test_no_covariance_bound_dominates_random_covariances():
    rng = np.random.default_rng(3)
    d, R = 300.0, 10.0
    bound = pc_max_no_covariance(d, R).value
    r1 = np.array([d, 0.0, 0.0])
    v = np.array([0.0, 1.0, 0.0])
    for _ in range(200):
        a = rng.normal(size=(2, 2)) * rng.uniform(1, 2000)
        c2 = a @ a.T
        C = np.array([[c2[0, 0], 0, c2[0, 1]], [0, 1.0, 0], [c2[0, 1], 0, c2[1, 1]]])
        pc = pc_circle(r1, v, C, np.zeros(3), np.zeros(3), np.zeros((3, 3)), R, adjust_tca=False).pc[0]
        assert pc <= bound * (1 + 1e-9)
    assert pc_max_no_covariance(5.0, 10.0).value == 1.0


def test_scaled_max_exceeds_nominal_on_cara_cdms():
    for row in cara_rows()[:5]:
        c = cara_conjunction(row)
        nominal = pc_circle(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m).pc[0]
        res = pc_max_covariance_scaling(c.r1, c.v1, c.cov1, c.r2, c.v2, c.cov2, c.hbr_m)
        assert res.value >= nominal
        k = res.flags["k_at_max"]
        at_k = pc_circle(c.r1, c.v1, c.cov1 * k * k, c.r2, c.v2, c.cov2 * k * k, c.hbr_m).pc[0]
        assert at_k == pytest.approx(res.value, rel=1e-9)
        assert res.value <= pc_max_no_covariance(float(row["MissDist_m"]), c.hbr_m).value * 1.01
