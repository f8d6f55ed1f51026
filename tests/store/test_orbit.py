"""Orbit-shape helpers against sgp4's own initialisation (``Satrec.a``, ``altp``, ``alta``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec

from orbitwatch import orbit
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def satrecs():
    path = shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
    records = json.loads(path.read_text())[::7]  # ~2,500 objects of every regime
    return [Satrec.twoline2rv(r["TLE1"], r["TLE2"], WGS72) for r in records]


def test_semi_major_axis_perigee_apogee_match_sgp4(satrecs):
    n = np.array([s.no_kozai for s in satrecs]) * 1440.0 / (2 * math.pi)
    e = np.array([s.ecco for s in satrecs])
    i = np.degrees([s.inclo for s in satrecs])
    r_km = 6378.135
    a = orbit.semi_major_axis_km(n, e, i)
    perigee, apogee = orbit.perigee_apogee_km(n, e, i)
    assert np.abs(a - np.array([s.a for s in satrecs]) * r_km).max() < 1e-6
    assert np.abs(perigee - np.array([s.altp for s in satrecs]) * r_km).max() < 1e-6
    assert np.abs(apogee - np.array([s.alta for s in satrecs]) * r_km).max() < 1e-6
    # the scalar path agrees with the array path
    for k in range(0, len(satrecs), 97):
        s = orbit.orbit_summary(float(n[k]), float(e[k]), float(i[k]))
        assert s["perigee_km"] == pytest.approx(perigee[k], abs=1e-9)
        assert s["apogee_km"] == pytest.approx(apogee[k], abs=1e-9)
        assert s["regime"] == orbit.classify_regimes(
            orbit.period_min(n[k]), e[k], apogee[k]
        )[0]


@pytest.mark.parametrize(
    ("period", "ecc", "apogee", "regime"),
    [
        (92.7, 0.0005, 420.0, "LEO"),  # ISS
        (127.0, 0.001, 2000.0, "LEO"),  # the LEO protected-region edge is inclusive
        (127.1, 0.001, 2000.1, "MEO"),
        (717.9, 0.01, 20400.0, "MEO"),  # GPS
        (1436.1, 0.0002, 35800.0, "GEO"),
        (1300.0, 0.24, 40000.0, "GEO"),
        (717.7, 0.74, 39700.0, "HEO"),  # Molniya
        (630.0, 0.73, 35800.0, "HEO"),  # GTO
        (1436.1, 0.25, 44000.0, "HEO"),
        (1900.0, 0.01, 45000.0, "HEO"),  # beyond geosynchronous
        (float("nan"), 0.0, 400.0, None),
    ],
)
def test_regime_thresholds(period, ecc, apogee, regime):
    assert orbit.classify_regime(period, ecc, apogee) == regime
    assert orbit.classify_regimes([period], [ecc], [apogee])[0] == regime


def test_degenerate_elements_give_none():
    s = orbit.orbit_summary(0.0, 0.1, 50.0)
    assert s["perigee_km"] is None and s["regime"] is None
    assert math.isnan(float(orbit.semi_major_axis_km(15.0, 1.2, 50.0)))
