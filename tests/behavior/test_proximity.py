"""Proximity around protected assets, on the real station and GEO histories.

Oracles: a brute-force dense sampling of SGP4 distances written here (every
object of the file against the asset at 10 s steps), and skyfield sub-points
for GEO co-location.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
from sgp4.api import SatrecArray
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.behavior.proximity import find_proximity
from orbitwatch.cli import app
from orbitwatch.elements import newest_per_object, read_file
from orbitwatch.timeutil import datetime_to_jd

STATIONS = ("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")
START = datetime(2026, 5, 30, tzinfo=UTC)


def _brute_min_km(asset, others, start, span_s, step_s=10.0):
    jd0, fr0 = datetime_to_jd(start)
    ts = np.arange(0.0, span_s + step_s, step_s)
    jd, fr = np.full(ts.shape, jd0), fr0 + ts / 86400.0
    e, r, _ = SatrecArray([asset.to_satrec()] + [o.to_satrec() for o in others]).sgp4(jd, fr)
    r[e != 0] = np.nan
    return np.nanmin(np.linalg.norm(r[1:] - r[0][None], axis=2), axis=1)


def test_station_neighbourhood_complete_against_brute_force():
    hist = read_file(shared_path(*STATIONS)).element_sets
    newest = newest_per_object(hist)
    span = 6 * 3600.0
    found = find_proximity([48274], newest, START, span, range_km=25.0, history=hist)
    reported = {e.object for e in found}
    asset = next(s for s in newest if s.norad_id == 48274)
    others = [s for s in newest if s.norad_id != 48274]
    dmin = _brute_min_km(asset, others, START, span)
    # anything the dense sampling sees inside 24 km (1 km margin for sampling) is reported
    must = {o.norad_id for o, d in zip(others, dmin) if d < 24.0}
    assert must and must <= reported
    for e in found:
        k = [o.norad_id for o in others].index(e.object)
        assert e.closest_km <= 25.0
        assert e.closest_km <= dmin[k] + 1e-3  # refined minimum never above the sampled one
        assert e.trend in ("closing", "holding near", "departing", "unknown")


def test_docked_vehicles_with_station_elements_are_reported():
    hist = read_file(shared_path(*STATIONS)).element_sets
    newest = newest_per_object(hist)
    found = find_proximity([25544], newest, START, 3600.0, history=hist)
    iss = next(s for s in newest if s.norad_id == 25544)
    # same epoch and same element columns of line 2 (inclination .. mean motion)
    same = {s.norad_id for s in newest if s.norad_id != 25544
            and s.line1[18:32] == iss.line1[18:32] and s.line2[8:63] == iss.line2[8:63]}
    docked = {e.object for e in found if e.kind.startswith("docked")}
    assert same and same <= docked


def test_geo_colocation_checked_with_skyfield_subpoints():
    from skyfield.api import EarthSatellite, load, wgs84

    path = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    hist = read_file(path).element_sets
    newest = newest_per_object(hist)
    found = find_proximity([67302], newest, datetime(2026, 5, 29, tzinfo=UTC), 86400.0,
                           history=hist)
    colo = [e for e in found if e.kind == "co-location"]
    assert any(e.object == 67403 for e in colo)  # SJ-29B beside SJ-29A
    ts = load.timescale(builtin=True)
    by_id = {s.norad_id: s for s in newest}
    a = by_id[67302]
    sat_a = EarthSatellite(a.line1, a.line2, ts=ts)
    for e in colo[:5]:
        b = by_id[e.object]
        sat_b = EarthSatellite(b.line1, b.line2, ts=ts)
        t = ts.from_datetime(e.first_time)
        pa, pb = wgs84.subpoint_of(sat_a.at(t)), wgs84.subpoint_of(sat_b.at(t))
        dlon = abs((pa.longitude.degrees - pb.longitude.degrees + 180) % 360 - 180)
        assert dlon <= 0.5 + 1e-6 and abs(pa.latitude.degrees - pb.latitude.degrees) <= 0.5 + 1e-6


def test_cli_proximity_jsonl(tmp_path):
    assets = tmp_path / "assets.txt"
    assets.write_text("# protected\n48274\n")
    res = CliRunner().invoke(app, [
        "detect", "proximity", "--assets", str(assets), "--catalog", str(shared_path(*STATIONS)),
        "--start", "2026-05-30T00:00:00Z", "--days", "0.25", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert rows and all(r["asset"] == 48274 and isinstance(r["object"], int) for r in rows)
    assert all(r["closest_time"].endswith("Z") for r in rows)
    bad = CliRunner().invoke(app, [
        "detect", "proximity", "--assets", "99999999", "--catalog", str(shared_path(*STATIONS)),
        "--start", "2026-05-30T00:00:00Z"])
    assert bad.exit_code == 1 and "not in the catalog" in bad.output


def test_docked_vehicles_hold_near_despite_fits_that_scatter():
    """Every vehicle docked at the ISS or the Chinese station in the 2026-05 history holds
    near its station.  Tianzhou-10 and Shenzhou-23 have sets fitted apart from the
    station's (up to 2.5 km off at their epochs), which a plain least-squares line read
    as 'departing'."""
    hist = read_file(shared_path(*STATIONS)).element_sets
    newest = newest_per_object(hist)
    found = find_proximity([25544, 48274], newest, datetime(2026, 5, 25, tzinfo=UTC), 5 * 86400.0,
                           range_km=25.0, history=hist)
    # modules and visiting vehicles (published with the station's elements, or with
    # their own fits a few tens of metres off)
    docked = {25544: {36086, 49044, 66664, 67796, 68319, 68689, 68837, 69103},
              48274: {53239, 54216, 66645, 69049, 69180}}
    near = [e for e in found if e.object in docked[e.asset]]
    assert {(e.asset, e.object) for e in near} == {(a, o) for a, os in docked.items() for o in os}
    noisy = [e for e in near if e.object in (69049, 69180)]
    assert max(max(e.trend_distances_km) for e in noisy) > 1.0
    for e in near:
        assert e.closest_km < 1.0
        assert e.trend == "holding near", (e.asset, e.object, e.trend_distances_km)


def test_drift_through_the_geo_belt_departs_after_each_pass_skyfield():
    """Shijian-23 drifts along the GEO belt in May 2026 and passes satellite after
    satellite.  The trend says where each pair's distance is going at the end of the
    history; the oracle is skyfield's sub-satellite longitudes of the newest sets: the
    longitude gap between the two objects at the epoch of the object's newest set and
    half a day before it.  No pair may get the wrong direction; most must get one."""
    from skyfield.api import EarthSatellite, load, wgs84

    path = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    hist = read_file(path).element_sets
    newest = newest_per_object(hist)
    start, days = datetime(2026, 5, 20, tzinfo=UTC), 10
    found = find_proximity([55131], newest, start, days * 86400.0, history=hist)
    ts = load.timescale(builtin=True)
    by_id = {s.norad_id: s for s in newest}
    sj23 = EarthSatellite(by_id[55131].line1, by_id[55131].line2, ts=ts)

    def gap(sat, t):
        la, lb = wgs84.subpoint_of(sj23.at(t)), wgs84.subpoint_of(sat.at(t))
        return abs((la.longitude.degrees - lb.longitude.degrees + 180) % 360 - 180)

    judged = right = 0
    for e in found:
        b = by_id[e.object]
        sat = EarthSatellite(b.line1, b.line2, ts=ts)
        t1 = ts.from_datetime(e.trend_epochs[-1])
        g0, g1 = gap(sat, t1 - 0.5), gap(sat, t1)
        if abs(g1 - g0) < 0.05:  # under ~37 km of longitude change: no clear answer
            continue
        judged += 1
        # never the wrong direction; "holding near" is an abstention where the fits
        # scatter as much as the change (Shijian-23's sets are few and old, so the
        # distances step when its set in force changes)
        assert e.trend in ("closing" if g1 < g0 else "departing", "holding near"), (
            e.object, g0, g1, e.trend)
        right += e.trend != "holding near"
    print(f"{right} of {judged} pairs called, all in the right direction")
    assert judged >= 8 and right >= judged // 2
