"""Covariance estimated from an object's own element-set history (ISS, real 3LE history)."""

from __future__ import annotations

import numpy as np
import pytest

from orbitwatch.collision.covariance import estimate_tle_covariance, tle_differences
from orbitwatch.collision.encounter import cov_inertial_to_rtn, cov_rtn_to_inertial
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def iss_history():
    from orbitwatch.elements import read_file

    p = shared_path("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")
    sets = [e for e in read_file(p).element_sets if e.norad_id == 25544]
    assert len(sets) >= 15
    return sets


def test_differences_are_zero_at_zero_age_and_grow(iss_history):
    age, diff = tle_differences(iss_history, max_age_days=7)
    assert age.size > 100 and np.all(age > 0)
    young = np.abs(diff[age < 0.6, 1])
    old = np.abs(diff[age > 3, 1])
    assert np.median(old) > 5 * np.median(young)


def test_model_along_track_grows_and_is_km_scale(iss_history):
    m = estimate_tle_covariance(iss_history, max_age_days=7)
    s = m.sigma(np.array([0.25, 1.0, 2.0, 4.0]))
    assert np.all(np.diff(s[:, 1]) > 0)  # along-track grows with age
    assert 100 < s[1, 1] < 10_000  # ~km after one day for a TLE
    assert s[3, 1] > s[3, 0] and s[3, 1] > s[3, 2]  # along-track dominates
    C = m.cov_rtn(2.0)
    assert C.shape == (6, 6) and np.allclose(C, C.T)
    assert np.linalg.eigvalsh(C)[0] > -1e-6 * np.abs(C).max()
    assert np.sqrt(C[1, 1]) == pytest.approx(s[2, 1])


def test_rtn_inertial_rotation_round_trip():
    rng = np.random.default_rng(0)
    r = np.array([7000e3, 100e3, -20e3])
    v = np.array([10.0, 7.4e3, 1.0e3])
    a = rng.normal(size=(6, 6))
    C = a @ a.T
    back = cov_inertial_to_rtn(cov_rtn_to_inertial(C, r, v), r, v)
    np.testing.assert_allclose(back, C, rtol=1e-12, atol=1e-12)
    # radial variance maps onto the position direction
    Crtn = np.diag([4.0, 0, 0, 0, 0, 0])
    Ci = cov_rtn_to_inertial(Crtn, r, v)
    u = r / np.linalg.norm(r)
    assert u @ Ci[:3, :3] @ u == pytest.approx(4.0)
