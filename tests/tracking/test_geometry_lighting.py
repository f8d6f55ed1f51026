"""Frames, Sun and shadow against independent references (skyfield, ERFA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import erfa
import numpy as np
from sgp4.api import WGS72, Satrec

from orbitwatch.timeutil import datetime_to_jd
from orbitwatch.tracking import geometry as geo
from orbitwatch.tracking import lighting

# ISS element set (2018-08-20), used only as a realistic LEO trajectory
L1 = "1 25544U 98067A   18232.54148171  .00001527  00000-0  30909-4 0  9990"
L2 = "2 25544  51.6413 246.9585 0005762 271.7048 212.1609 15.53960223127814"


def test_gmst82_matches_skyfield():
    from skyfield.sgp4lib import theta_GMST1982

    jd = np.full(5, 2461231.5)
    fr = np.array([0.0, 0.1, 0.33, 0.5, 0.99])
    ours = geo.gmst82_rad(jd, fr)
    ref, _ = theta_GMST1982(jd, fr)
    assert np.max(np.abs(np.angle(np.exp(1j * (ours - ref))))) < 1e-12


def test_topocentric_matches_skyfield_altaz():
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = Satrec.twoline2rv(L1, L2, WGS72)
    start = datetime(2018, 8, 21, tzinfo=UTC)
    t_s = np.arange(0.0, 6 * 3600.0, 97.0)
    tb = geo.TimeBase.create(start, t_s[-1])
    jd, fr = tb.jd_fr(t_s)
    _err, r, v = sat.sgp4_array(jd, fr)
    lat, lon, alt = 40.0, -105.0, 1600.0
    topo = geo.topocentric(
        r, v, tb.gmst_rad(t_s), geo.geodetic_to_itrs_km(lat, lon, alt), geo.enu_matrix(lat, lon)
    )
    es = EarthSatellite(L1, L2, "ISS", ts)
    place = wgs84.latlon(lat, lon, elevation_m=alt)
    t = ts.from_datetimes([start + timedelta(seconds=float(x)) for x in t_s])
    rel = (es - place).at(t)
    alt_r, az_r, dist_r = rel.altaz()
    assert np.max(np.abs(topo.el_deg - alt_r.degrees)) < 2e-4
    daz = np.angle(np.exp(1j * np.radians(topo.az_deg - az_r.degrees)))
    vis = alt_r.degrees > -80
    assert np.max(np.abs(np.degrees(daz[vis]) * np.cos(np.radians(alt_r.degrees[vis])))) < 2e-4
    assert np.max(np.abs(topo.range_km - dist_r.km)) < 0.01
    # range rate: skyfield's frame_latlon_and_rates in the ITRS
    from skyfield.framelib import itrs

    *_, rr = rel.frame_latlon_and_rates(itrs)
    assert np.max(np.abs(topo.range_rate_km_s - rr.km_per_s)) < 1e-4


def test_rates_are_derivatives():
    """Elevation and range rates against central differences of the same positions (LEO)."""
    sat = Satrec.twoline2rv(L1, L2, WGS72)
    start = datetime(2018, 8, 21, tzinfo=UTC)
    tb = geo.TimeBase.create(start, 7200.0)
    t = np.arange(0.0, 7200.0, 60.0)
    site = geo.geodetic_to_itrs_km(52.0, 5.0, 0.0)
    enu = geo.enu_matrix(52.0, 5.0)

    def look(tt):
        jd, fr = tb.jd_fr(tt)
        _, r, v = sat.sgp4_array(jd, fr)
        return geo.topocentric(r, v, tb.gmst_rad(tt), site, enu)

    h = 0.01
    a, b, c = look(t - h), look(t), look(t + h)
    assert np.max(np.abs((c.el_deg - a.el_deg) / (2 * h) - b.el_rate_deg_s)) < 1e-4
    assert np.max(np.abs((c.range_km - a.range_km) / (2 * h) - b.range_rate_km_s)) < 1e-4


def test_sun_matches_erfa_within_almanac_accuracy():
    """AA low-precision (apparent) Sun vs ERFA epv00 + aberration over 2000-2040: < 0.01 deg."""
    days = np.linspace(0, 40 * 365.25, 400)
    jd = np.full(days.shape, 2451545.0)
    ours = lighting.sun_teme_km(jd, days)
    worst = 0.0
    for k in range(days.size):
        pvh, _pvb = erfa.epv00(2451545.0, days[k])  # TDB ~ UTC here (1 min -> 0.0007 deg)
        # apparent direction: geometric -p/|p| plus annual aberration v/c
        p_au, v_au_d = pvh["p"], pvh["v"]
        sun_gcrs = -p_au / np.linalg.norm(p_au) + v_au_d / 173.1446327
        sun_gcrs *= np.linalg.norm(p_au)
        # GCRS -> true of date (precession-nutation), then TEME = rot_z(eqeq) of that
        rnpb = erfa.pnm80(2451545.0, days[k])
        tod = rnpb @ sun_gcrs
        ee = erfa.eqeq94(2451545.0, days[k])
        c, s = np.cos(ee), np.sin(ee)
        teme = np.array([c * tod[0] + s * tod[1], -s * tod[0] + c * tod[1], tod[2]])
        u = ours[k] / np.linalg.norm(ours[k])
        w = teme / np.linalg.norm(teme)
        worst = max(worst, np.degrees(np.arccos(np.clip(u @ w, -1, 1))))
        assert abs(np.linalg.norm(ours[k]) / lighting.AU_KM - np.linalg.norm(teme)) < 1e-4
    assert (
        worst < 0.012
    )  # measured 0.0106 deg worst case; the Almanac quotes 0.01 deg per coordinate


def test_sun_elevation_at_solstice_noon():
    """At local solar noon on the June solstice the Sun stands at 90 - |lat - 23.44| deg."""
    when = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
    tb = geo.TimeBase.create(when, 0.0)
    t = np.arange(-1800.0, 1800.0, 10.0)
    jd, fr = tb.jd_fr(t)
    sun = lighting.sun_teme_km(jd, fr)
    lat = 45.0
    el = lighting.sun_elevation_deg(
        sun, tb.gmst_rad(t), geo.geodetic_to_itrs_km(lat, 0.0, 0.0), geo.enu_matrix(lat, 0.0)
    )
    assert abs(el.max() - (90.0 - (lat - 23.44))) < 0.05


def test_shadow_models_agree_and_fraction_is_physical():
    sat = Satrec.twoline2rv(L1, L2, WGS72)
    start = datetime(2018, 8, 21, tzinfo=UTC)
    jd0, fr0 = datetime_to_jd(start)
    t = np.arange(0.0, 2 * 5560.0, 5.0)
    jd = np.full(t.shape, jd0)
    fr = fr0 + t / 86400.0
    _, r, _ = sat.sgp4_array(jd, fr)
    sun = lighting.sun_teme_km(jd, fr)
    lit = lighting.shadow_margin_deg(r, sun) >= 0
    cyl = ~lighting.in_cylindrical_shadow(r, sun)
    state = lighting.shadow_state(r, sun)
    # the two models disagree only near the shadow boundaries (< 2 % of samples)
    assert np.mean(lit != cyl) < 0.02
    # eclipse fraction of a circular orbit from the beta angle (cylindrical shadow):
    # f = acos(sqrt(h^2 + 2 R h) / ((R + h) cos beta)) / pi
    h_vec = np.cross(r[0], r[1])
    beta = np.arcsin(h_vec @ sun[0] / np.linalg.norm(h_vec) / np.linalg.norm(sun[0]))
    alt = np.linalg.norm(r, axis=1).mean() - 6378.137
    x = np.sqrt(alt**2 + 2 * 6378.137 * alt) / ((6378.137 + alt) * np.cos(beta))
    f_expected = np.arccos(x) / np.pi if x < 1 else 0.0
    assert abs((1 - cyl.mean()) - f_expected) < 0.02
    assert abs((1 - lit.mean()) - f_expected) < 0.03
    assert np.all(state[~lit] <= 1) and np.all(state[state == 2] == 2)
    assert np.all(lit[state == 2]) and not np.any(lit[state == 0])


def test_agrees_with_shared_frames_module():
    """The tracking geometry's TEME->ITRS equals orbitwatch.propagation.frames (same model)."""
    import pytest

    frames = pytest.importorskip("orbitwatch.propagation.frames")
    sat = Satrec.twoline2rv(L1, L2, WGS72)
    start = datetime(2018, 8, 21, tzinfo=UTC)
    t_s = np.arange(0.0, 86400.0, 600.0)
    tb = geo.TimeBase.create(start, t_s[-1])
    jd, fr = tb.jd_fr(t_s)
    _, r, v = sat.sgp4_array(jd, fr)
    ours_r, ours_v = geo.teme_to_itrs(r, v, tb.gmst_rad(t_s))
    ref_r, ref_v = frames.teme_to_itrs(r, v, jd, fr)
    assert np.max(np.linalg.norm(ours_r - ref_r, axis=-1)) < 1e-3  # km
    assert np.max(np.linalg.norm(ours_v - ref_v, axis=-1)) < 1e-6  # km/s
