"""GEO longitude, drift and relocations on the real GEO history (2026-04/05).

Oracle: skyfield (EarthSatellite + ITRS sub-point, builtin timescale) for the
longitudes; the element sets that follow a set for the drift rates.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.behavior.geo import find_relocations, geo_track, is_geo
from orbitwatch.cli import app
from orbitwatch.elements import read_file


@pytest.fixture(scope="module")
def geo_sets():
    path = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    return [s for s in read_file(path).element_sets if is_geo(s)]


def test_mean_longitude_matches_skyfield(geo_sets):
    from skyfield.api import EarthSatellite, load, wgs84

    from skyfield.framelib import itrs

    ts = load.timescale(builtin=True)
    sample = geo_sets[:: max(1, len(geo_sets) // 25)][:25]
    ours = geo_track(sample)
    assert len(ours) == len(sample)
    checked_incl = 0
    for es, st in zip(sample, ours):
        sat = EarthSatellite(es.line1, es.line2, ts=ts)
        offs = np.arange(48) * (86400.0 / es.mean_motion_rev_day) / 48  # one orbit
        t = ts.from_datetimes([es.epoch + timedelta(seconds=float(o)) for o in offs])
        lon = wgs84.subpoint_of(sat.at(t)).longitude.degrees
        lon_mean = np.degrees(np.unwrap(np.radians(lon))).mean()
        diff = (st.longitude_deg - lon_mean + 180) % 360 - 180
        assert abs(diff) < 1e-4, (es.norad_id, st.longitude_deg, lon_mean)
        # latitude amplitude: the largest geocentric latitude of the ITRS position
        # over the same orbit (for any orbit its true maximum is the inclination)
        x, y, z = sat.at(t).frame_xyz(itrs).km
        lat_amp = np.degrees(np.max(np.abs(np.arctan2(z, np.hypot(x, y)))))
        assert abs(st.latitude_amplitude_deg - lat_amp) < 1e-4, (es.norad_id, st.latitude_amplitude_deg, lat_amp)
        checked_incl += es.inclination_deg > 1.0
    assert checked_incl >= 5  # the sample holds inclined orbits, not only ~0 deg ones


def test_drift_rate_predicts_next_longitudes(geo_sets):
    # For drifting objects, the drift rate of one set predicts where the next
    # independent element set (a day or more later) puts the object.
    track = geo_track(geo_sets)
    by_id: dict[int, list] = {}
    for st in track:
        by_id.setdefault(st.norad_id, []).append(st)
    checked = 0
    for sts in by_id.values():
        sts.sort(key=lambda s: s.epoch)
        for a, b in zip(sts, sts[1:]):
            dt_days = (b.epoch - a.epoch).total_seconds() / 86400
            if abs(a.drift_deg_day) > 0.3 and 0.5 < dt_days < 3 and abs(
                b.drift_deg_day - a.drift_deg_day) < 0.01:
                predicted = a.longitude_deg + a.drift_deg_day * dt_days
                err = (b.longitude_deg - predicted + 180) % 360 - 180
                assert abs(err) < 0.02 * max(1.0, dt_days), (a.norad_id, err)
                checked += 1
    assert checked >= 5


def test_relocations_and_status(geo_sets):
    events, status = find_relocations(geo_sets)
    assert sum(v == "station-kept" for v in status.values()) > 0.8 * len(status)
    for e in events:
        assert e.gap_start < e.gap_end
        if e.kind == "drift start":
            assert abs(e.drift_after_deg_day) > 0.05 >= abs(e.drift_before_deg_day)
        elif e.kind == "drift stop":
            assert abs(e.drift_before_deg_day) > 0.05 >= abs(e.drift_after_deg_day)
        else:
            assert e.kind == "relocation between sets"
            assert abs(e.evidence["unexplained_longitude_deg"]) > 0.25
    # a station-kept object whose history is duplicated (reissued sets) stays quiet
    quiet = [nid for nid, s in status.items() if s == "station-kept"][0]
    sets = [s for s in geo_sets if s.norad_id == quiet]
    ev2, st2 = find_relocations(sets + sets)
    assert ev2 == [] and st2[quiet] == "station-kept"


def test_cli_geo_jsonl():
    path = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    res = CliRunner().invoke(app, ["detect", "geo", "--history", str(path), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert rows  # (an empty output passed this test before)
    for r in rows:
        assert r["type"] == "geo_relocation" and isinstance(r["object"], int)
        assert r["gap_start"].endswith("Z")
    # Meteosat-12's drift start (26 May 2026) is among them, heading west.
    # Oracle (skyfield): the set that shows the drift puts the orbit-mean
    # longitude a day after its epoch west of where it is at the epoch.
    [start] = [r for r in rows if r["object"] == 54743 and r["kind"] == "drift start"]
    assert start["direction"] == "west" and start["gap_end"].startswith("2026-05-26")
    end = datetime.fromisoformat(start["gap_end"].replace("Z", "+00:00"))
    [es] = [s for s in read_file(path).element_sets
            if s.norad_id == 54743 and abs((s.epoch - end).total_seconds()) < 1e-3]
    moved = (_skyfield_lon(es, es.epoch + timedelta(days=1)) - _skyfield_lon(es, es.epoch) + 180) % 360 - 180
    assert moved < -0.05, moved


def test_one_bad_fit_and_its_reissue_are_not_a_relocation(geo_sets):
    """Intelsat 20 keeps its box at 68.5 deg E all May 2026.  One fit (2026-05-24 21:13,
    published twice, 1 ms apart) says it drifts at -0.14 deg/day; counted twice it looked
    like a drift start and a drift stop.  Oracle (skyfield): the sets on either side of it
    predict each other's sub-satellite longitude to 0.02 deg over the 31 hours between."""
    from skyfield.api import EarthSatellite, load, wgs84

    sets = sorted((s for s in geo_sets if s.norad_id == 38740), key=lambda s: s.epoch)
    raw = geo_track(sets)
    assert sum(abs(t.drift_deg_day) > 0.05 for t in raw) == 2  # the bad fit and its reissue
    bad = next(t.epoch for t in raw if abs(t.drift_deg_day) > 0.05)
    before = max((s for s in sets if s.epoch < bad), key=lambda s: s.epoch)
    after = min((s for s in sets if (s.epoch - bad).total_seconds() > 1.0), key=lambda s: s.epoch)
    ts = load.timescale(builtin=True)
    t = ts.from_datetime(after.epoch)
    lon = [wgs84.subpoint_of(EarthSatellite(s.line1, s.line2, ts=ts).at(t)).longitude.degrees
           for s in (before, after)]
    assert abs(lon[0] - lon[1]) < 0.02 and (after.epoch - before.epoch).total_seconds() > 86400
    events, status = find_relocations(sets)
    assert events == [] and status[38740] == "station-kept"
    # a real relocation in the same file is still found: Meteosat-12 starts drifting
    # west on 26 May and stops on 28/29 May
    ev, st = find_relocations([s for s in geo_sets if s.norad_id == 54743])
    assert [e.kind for e in ev] == ["drift start", "drift stop"]
    assert ev[0].direction == "west" and ev[1].longitude_after_deg < ev[0].longitude_before_deg - 0.1
    # its status is where it is now: held at the new place since the stop (skyfield's
    # orbit-mean longitudes of the sets after the one that showed the stop agree
    # within the 0.25 deg of station-keeping), not "relocating" for ever after
    after = [s for s in geo_sets if s.norad_id == 54743 and s.epoch > ev[1].gap_end]
    lons = [_skyfield_lon(s, s.epoch) for s in after]
    assert len(after) >= 3 and max(lons) - min(lons) < 0.25
    assert st[54743] == "station-kept"


def _satcat(tmp_path, *rows):
    """A SATCAT CSV with the given rows (CelesTrak columns)."""
    p = tmp_path / "satcat.csv"
    p.write_text("designator,norad_cat_num,multiple,payload,op_status_code,satellite_name,source\n"
                 + "".join(r + "\n" for r in rows))
    return p


def test_relocations_name_their_owner(tmp_path):
    # SJ-29A/B's drift starts carry the SATCAT owner given beside the history
    path = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    satcat = _satcat(tmp_path, "2025-999A,67302,False,True,+,SJ-29A,PRC",
                     "2025-999B,67403,False,True,+,SJ-29B,PRC")
    res = CliRunner().invoke(app, ["detect", "geo", "--history", str(path), str(satcat),
                                   "--ids", "67302,67403,54743", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert {r["object"] for r in rows if r["owner"] == "PRC"} == {67302, 67403}
    assert all(r["owner"] is None for r in rows if r["object"] == 54743)  # not in that SATCAT
    bad = CliRunner().invoke(app, ["detect", "geo", "--history", str(path), "--ids", "67302,abc"])
    assert bad.exit_code == 2 and "--ids: 'abc' is not a catalog number" in bad.output


def test_cli_geo_rejects_bad_options():
    path = str(shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le"))
    for args, text in ((["--drift-threshold", "-1"], "--drift-threshold"),
                       (["--drift-threshold", "0"], "--drift-threshold"),
                       (["--states"], "--states")):
        res = CliRunner().invoke(app, ["detect", "geo", "--history", path, "--ids", "50002"] + args)
        assert res.exit_code == 2 and text in res.output, (args, res.output)


def test_cli_geo_table_names_the_owner(tmp_path):
    path = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    satcat = _satcat(tmp_path, "2025-999A,67302,False,True,+,SJ-29A,PRC")
    res = CliRunner().invoke(app, ["detect", "geo", "--history", str(path), str(satcat),
                                   "--ids", "67302", "--format", "table"], terminal_width=200)
    assert res.exit_code == 0, res.output
    events = res.stdout.split("relocation event(s)", 1)[1]
    assert "owner" in events and "PRC" in events


def _skyfield_lon(es, when):
    """Sub-satellite longitude of set ``es`` averaged over the orbit from ``when``
    (the libration of an eccentric orbit, +-2e rad, averages out)."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    offs = np.arange(96) * (86400.0 / es.mean_motion_rev_day) / 96
    t = ts.from_datetimes([when + timedelta(seconds=float(o)) for o in offs])
    lon = wgs84.subpoint_of(EarthSatellite(es.line1, es.line2, ts=ts).at(t)).longitude.degrees
    return float(np.degrees(np.unwrap(np.radians(lon))).mean())


def test_a_relocation_between_two_daily_sets_is_an_event(geo_sets):
    """Express AMU-3 (50002) moved 1.7 deg east between its daily sets of 27 and
    28 May 2026, each of which drifts at -0.03 deg/day: no set shows the drift,
    so the drift threshold never fired.  Oracle (skyfield): the set of 27 May
    propagated to the epoch of the set of 28 May puts it (orbit-mean longitude)
    1.7 deg west of where that set does."""
    sets = sorted((s for s in geo_sets if s.norad_id == 50002), key=lambda s: s.epoch)
    events, status = find_relocations(sets)
    moves = [e for e in events if e.kind == "relocation between sets"]
    # its departure (-0.37 deg, 25/26 May), the jump (+1.7 deg, 27/28) and its
    # arrival (+0.27 deg, 28/29): in 7 moves the relocation's own three had
    # lifted the object's 8-sigma bar to 0.85 deg, over the first and the last
    assert [e.gap_end.day for e in moves] == [26, 28, 29]
    for e in moves:
        a = next(s for s in sets if s.epoch == e.gap_start)
        b = next(s for s in sets if s.epoch == e.gap_end)
        gap = (_skyfield_lon(b, b.epoch) - _skyfield_lon(a, b.epoch) + 180) % 360 - 180
        assert abs(gap) > 0.25 and e.direction == ("east" if gap > 0 else "west")
        assert abs(e.evidence["unexplained_longitude_deg"] - gap) < 0.1
    assert max(abs(e.evidence["unexplained_longitude_deg"]) for e in moves) > 1.0
    # one set since its arrival: not yet settled
    assert status[50002] == "relocating"


def test_station_kept_means_the_longitude_was_held(geo_sets):
    """``station-kept`` is given only to a history whose longitude stays in a
    0.25 deg box; an object under the drift threshold that leaves it is a slow
    drift.  Oracle (skyfield): the orbit-mean longitudes of each object's first
    and last sets.  TDRS-3 (19548, inclined 12.6 deg), which reverses its
    drift at 49.1 W, is station-kept."""
    _, status = find_relocations(geo_sets)
    by_id: dict[int, list] = {}
    for s in geo_sets:
        by_id.setdefault(s.norad_id, []).append(s)
    checked = {"station-kept": 0, "slow drift": 0}
    for nid, sets in sorted(by_id.items()):
        if status.get(nid) not in checked or checked[status[nid]] >= 8:
            continue
        sets.sort(key=lambda s: s.epoch)
        d = abs((_skyfield_lon(sets[-1], sets[-1].epoch)
                 - _skyfield_lon(sets[0], sets[0].epoch) + 180) % 360 - 180)
        if status[nid] == "station-kept":
            assert d <= 0.25 + 0.01, (nid, d)
        else:
            assert d > 0.1, (nid, d)  # the range is over every set, not the ends alone
        checked[status[nid]] += 1
    assert checked["station-kept"] == 8 and checked["slow drift"] >= 1
    assert status[19548] == "station-kept"
