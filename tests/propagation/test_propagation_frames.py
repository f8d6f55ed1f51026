"""Frame conversions against independent oracles.

- skyfield 1.55 (builtin timescale, no downloads): ``EarthSatellite.at(t)``
  gives GCRS (``.position``/``.velocity``), ``.frame_xyz_and_velocity(itrs)``
  ITRS, ``wgs84.latlon_of``/``height_of`` geodetic.  Issue 2 requires
  agreement within 1 m and 1 mm/s.
- ERFA ``eraGc2gd`` (Fukushima 2006) for ITRS -> WGS-84 geodetic, within 1 mm.

Objects are real: LEO, MEO, GEO and HEO members of the 2026 CelesTrak active
catalog on several dates, plus two of Vallado's verification TLEs (2000 and
2006 epochs) so that older UT1-UTC values are exercised too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import erfa
import numpy as np
import pytest
from conftest import shared_path
from sgp4.api import Satrec

from orbitwatch.propagation import propagate
from orbitwatch.propagation.frames import (
    EarthOrientation,
    gcrs_to_teme,
    itrs_to_geodetic,
    itrs_to_teme,
    teme_to_gcrs,
    teme_to_geodetic,
    teme_to_itrs,
)
from orbitwatch.timeutil import datetime_to_jd

skyfield_api = pytest.importorskip("skyfield.api")
from skyfield.framelib import itrs as sky_itrs  # noqa: E402

TS = skyfield_api.load.timescale(builtin=True)

# (NORAD id, regime) picked from celestrak_active_gp_2026-07-10.csv
CATALOG_PICKS = {
    25544: "LEO (ISS)",
    900: "LEO polar",
    19751: "MEO (Etalon 1)",
    20253: "GEO",
    21639: "GEO (TDRS 5)",
    23802: "HEO (POLAR, e=0.65)",
    25867: "HEO (CXO, e=0.78)",
}
VALLADO_PICKS = {5: "MEO-ish e=0.19 (2000)", 8195: "Molniya (2006)"}


def _catalog_satrecs() -> list[Satrec]:
    from sgp4 import omm

    path = shared_path("catalog", "celestrak_active_gp_2026-07-10.csv")
    sats = {}
    with open(path) as f:
        for fields in omm.parse_csv(f):
            nid = int(fields["NORAD_CAT_ID"])
            if nid in CATALOG_PICKS:
                sat = Satrec()
                omm.initialize(sat, fields)
                sats[nid] = sat
    assert set(sats) == set(CATALOG_PICKS)
    return [sats[n] for n in CATALOG_PICKS]


def _vallado_satrecs() -> list[Satrec]:
    lines = shared_path("sgp4_verification", "SGP4-VER.TLE").read_text().splitlines()
    out = {}
    for i, line in enumerate(lines):
        if line.startswith("1 ") and int(line[2:7]) in VALLADO_PICKS:
            out[int(line[2:7])] = Satrec.twoline2rv(line, lines[i + 1][:69])
    return [out[n] for n in VALLADO_PICKS]


def _times(start: datetime, hours: float, n: int) -> list[datetime]:
    step = timedelta(hours=hours) / max(n - 1, 1)
    return [start + k * step for k in range(n)]


def _split(times: list[datetime]) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array([datetime_to_jd(t) for t in times])
    return pairs[:, 0], pairs[:, 1]


def _case_data(name: str):
    base = datetime(2026, 7, 10, tzinfo=UTC)
    cat_times = (
        _times(base - timedelta(days=3), 24, 9)
        + _times(base + timedelta(hours=8, minutes=53, seconds=17.25), 6, 7)
        + _times(base + timedelta(days=5), 48, 9)
    )
    if name == "catalog-2026":
        return _catalog_satrecs(), cat_times
    old = _vallado_satrecs()
    if name == "vallado-2000":
        return old[:1], _times(datetime(2000, 6, 27, 18, tzinfo=UTC), 36, 13)
    return old[1:], _times(datetime(2006, 6, 25, 6, tzinfo=UTC), 24, 13)


@pytest.fixture(scope="module", params=["catalog-2026", "vallado-2000", "vallado-2006"])
def case(request):
    sats, times = _case_data(request.param)
    jd, fr = _split(times)
    res = propagate(sats, jd, fr)
    assert not res.error.any()
    t = TS.from_datetimes(times)
    sky = [skyfield_api.EarthSatellite.from_satrec(s, TS).at(t) for s in sats]
    return res, jd, fr, sky


def test_teme_matches_skyfield_sgp4(case):
    """Same instants: our TEME states equal skyfield's (both from the same Satrec)."""
    res, jd, fr, sky = case
    from skyfield.sgp4lib import TEME

    for i, pos in enumerate(sky):
        r, v = pos.frame_xyz_and_velocity(TEME)
        np.testing.assert_allclose(res.r_teme_km[i], r.km.T, rtol=0, atol=1e-6)
        np.testing.assert_allclose(res.v_teme_km_s[i], v.km_per_s.T, rtol=0, atol=1e-9)


def test_teme_to_itrs_matches_skyfield(case):
    res, jd, fr, sky = case
    r_itrs, v_itrs = teme_to_itrs(res.r_teme_km, res.v_teme_km_s, jd, fr)
    assert r_itrs.shape == res.r_teme_km.shape
    for i, pos in enumerate(sky):
        r, v = pos.frame_xyz_and_velocity(sky_itrs)
        np.testing.assert_allclose(r_itrs[i], r.km.T, rtol=0, atol=1e-3)  # 1 m
        np.testing.assert_allclose(v_itrs[i], v.km_per_s.T, rtol=0, atol=1e-6)  # 1 mm/s


def test_teme_to_gcrs_matches_skyfield(case):
    res, jd, fr, sky = case
    r_gcrs, v_gcrs = teme_to_gcrs(res.r_teme_km, res.v_teme_km_s, jd, fr)
    for i, pos in enumerate(sky):
        np.testing.assert_allclose(r_gcrs[i], pos.position.km.T, rtol=0, atol=1e-3)
        np.testing.assert_allclose(v_gcrs[i], pos.velocity.km_per_s.T, rtol=0, atol=1e-6)


def test_geodetic_matches_skyfield(case):
    res, jd, fr, sky = case
    geo = teme_to_geodetic(res.r_teme_km, jd, fr)
    assert geo.lat_deg.shape == res.error.shape
    for i, pos in enumerate(sky):
        lat, lon = skyfield_api.wgs84.latlon_of(pos)
        h_km = skyfield_api.wgs84.height_of(pos).km
        radius_m = (6378.137 + h_km) * 1e3
        dlat_m = np.radians(geo.lat_deg[i] - lat.degrees) * radius_m
        dlon = (geo.lon_deg[i] - lon.degrees + 180.0) % 360.0 - 180.0
        dlon_m = np.radians(dlon) * radius_m * np.cos(np.radians(lat.degrees))
        assert np.abs(dlat_m).max() < 1.0
        assert np.abs(dlon_m).max() < 1.0
        assert np.abs(geo.alt_km[i] - h_km).max() < 1e-3


def test_itrs_to_geodetic_matches_erfa_to_a_millimetre():
    """Points made by ERFA's forward map (eraGd2gc) come back to < 1 micrometre;
    ERFA's own inverse (eraGc2gd, Fukushima 2006) agrees to < 1 mm up to 40,000 km
    (beyond that its latitude drifts by ~1 mm at 400,000 km; ours does not)."""
    rng = np.random.default_rng(20260710)
    n = 20_000
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lat[:4] = [90.0, -90.0, 0.0, 89.9999]
    lon = rng.uniform(-180, 180, n)
    h_km = np.concatenate([rng.uniform(-5.0, 2000.0, n // 2), rng.uniform(2000.0, 400_000.0, n - n // 2)])
    xyz_m = erfa.gd2gc(1, np.radians(lon), np.radians(lat), h_km * 1e3)  # independent forward map
    radius_m = np.linalg.norm(xyz_m, axis=-1)
    geo = itrs_to_geodetic(xyz_m / 1e3)

    def dlon_rad(a_deg, b_rad):
        return (np.radians(a_deg) - b_rad + np.pi) % (2 * np.pi) - np.pi

    coslat = np.cos(np.radians(lat))
    assert np.abs(geo.alt_km - h_km).max() < 1e-9
    assert (np.abs(np.radians(geo.lat_deg - lat)) * radius_m).max() < 1e-6
    assert (np.abs(dlon_rad(geo.lon_deg, np.radians(lon))) * radius_m * coslat).max() < 1e-6

    elong, phi, height = erfa.gc2gd(1, xyz_m)
    near = h_km < 40_000.0
    assert np.abs(geo.alt_km * 1e3 - height).max() < 1e-3
    assert (np.abs(np.radians(geo.lat_deg) - phi) * radius_m)[near].max() < 1e-3
    assert (np.abs(dlon_rad(geo.lon_deg, elong)) * radius_m * np.cos(phi)).max() < 1e-3


def test_nan_rows_pass_through_and_shapes():
    jd = np.full(4, 2461231.5)
    fr = np.linspace(0, 0.5, 4)
    r = np.full((2, 4, 3), 7000.0)
    r[1, 2] = np.nan
    v = np.ones((2, 4, 3))
    for fn in (teme_to_itrs, teme_to_gcrs):
        rr, vv = fn(r, v, jd, fr)
        assert rr.shape == vv.shape == (2, 4, 3)
        assert np.isnan(rr[1, 2]).all() and np.isfinite(rr[0]).all()
    geo = teme_to_geodetic(r, jd, fr)
    assert geo.lat_deg.shape == (2, 4) and np.isnan(geo.alt_km[1, 2])
    # a single object shaped (n_times, 3) and a scalar time
    rr, vv = teme_to_itrs(r[0, :1], None, 2461231.5, 0.25)
    assert rr.shape == (1, 3) and vv is None
    with pytest.raises(ValueError, match="n_times=4"):
        teme_to_itrs(np.zeros((2, 3, 3)), None, jd, fr)


def test_round_trips_are_exact_to_micrometres():
    rng = np.random.default_rng(1)
    jd = np.full(5, 2461231.5)
    fr = np.linspace(0.0, 3.0, 5)
    r = rng.normal(0, 20_000, (3, 5, 3))
    v = rng.normal(0, 5, (3, 5, 3))
    eop = EarthOrientation(jd, fr, xp_arcsec=0.2, yp_arcsec=0.35)
    r2, v2 = itrs_to_teme(*teme_to_itrs(r, v, jd, fr, eop=eop), jd, fr, eop=eop)
    np.testing.assert_allclose(r2, r, atol=1e-9)
    np.testing.assert_allclose(v2, v, atol=1e-12)
    r3, v3 = gcrs_to_teme(*teme_to_gcrs(r, v, jd, fr), jd, fr)
    np.testing.assert_allclose(r3, r, atol=1e-9)
    np.testing.assert_allclose(v3, v, atol=1e-12)


def test_polar_motion_matches_skyfield_with_a_polar_motion_table():
    """With xp, yp given, ITRS positions match skyfield's ITRS with the same table."""
    from skyfield.api import load

    ts = load.timescale(builtin=True)
    xp, yp = 0.123, 0.387  # arcsec, typical magnitudes
    ts.polar_motion_table = (np.array([2400000.5, 2500000.5]), np.array([xp, xp]), np.array([yp, yp]))
    sats = _catalog_satrecs()
    times = _times(datetime(2026, 7, 11, 3, tzinfo=UTC), 12, 7)
    jd, fr = _split(times)
    res = propagate(sats, jd, fr)
    r_itrs, v_itrs = teme_to_itrs(res.r_teme_km, res.v_teme_km_s, jd, fr, xp_arcsec=xp, yp_arcsec=yp)
    r_off, _ = teme_to_itrs(res.r_teme_km, res.v_teme_km_s, jd, fr)
    t = ts.from_datetimes(times)
    for i, sat in enumerate(sats):
        r, v = skyfield_api.EarthSatellite.from_satrec(sat, ts).at(t).frame_xyz_and_velocity(sky_itrs)
        np.testing.assert_allclose(r_itrs[i], r.km.T, rtol=0, atol=1e-3)
        # skyfield adds omega x r about the ITRS z axis; we (Vallado's teme2ecef)
        # about the rotation pole (TIRS z), as is physically right.  The two differ
        # by at most |pole offset| * omega * |r|: ~1 mm/s at LEO, ~20 mm/s at HEO apogee.
        bound = np.hypot(xp, yp) * np.pi / 648000.0 * 7.2921e-5 * np.linalg.norm(r_itrs[i], axis=-1)
        dv = np.linalg.norm(v_itrs[i] - v.km_per_s.T, axis=-1)
        assert (dv <= 1.01 * bound + 1e-6).all()
    # polar motion is a real effect of metres to tens of metres
    shift_m = np.linalg.norm(r_itrs - r_off, axis=-1) * 1e3
    eps_rad = np.hypot(xp, yp) * np.pi / 648000.0
    assert 5.0 < shift_m.max()
    assert (shift_m <= 1.01 * eps_rad * np.linalg.norm(r_off, axis=-1) * 1e3).all()


def test_dut1_comes_from_skyfield_builtin_data():
    times = _times(datetime(2026, 7, 10, tzinfo=UTC), 24, 3) + _times(datetime(2006, 6, 25, tzinfo=UTC), 1, 2)
    jd, fr = _split(times)
    eo = EarthOrientation(jd, fr)
    t = TS.from_datetimes(times)
    np.testing.assert_allclose(eo.dut1_s, t.dut1, atol=1e-6)
    assert np.abs(eo.dut1_s).max() < 0.9  # UT1-UTC is kept within 0.9 s by leap seconds


def test_propagation_convenience_methods_equal_the_functions(case):
    res, jd, fr, _ = case
    r1, v1 = res.itrs()
    r2, v2 = teme_to_itrs(res.r_teme_km, res.v_teme_km_s, jd, fr)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(res.gcrs()[0], teme_to_gcrs(res.r_teme_km, None, jd, fr)[0])
    np.testing.assert_array_equal(res.geodetic().alt_km, teme_to_geodetic(res.r_teme_km, jd, fr).alt_km)
