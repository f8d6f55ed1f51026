"""Breakup detection on real fragmentation events.

References (independent of our code):
- Iridium 33 / Cosmos 2251 collided on 2009-02-10 at about 16:56 UTC, 789 km
  above northern Siberia (72.5 N, 97.9 E) (Kelso, "Analysis of the Iridium 33 -
  Cosmos 2251 collision", AMOS 2009).
- Cosmos 1408 (1982-092A, owner CIS) was destroyed by a Russian direct-ascent
  ASAT test on 2021-11-15 at about 02:47 UTC (US Space Command statement,
  2021-11-15; LeoLabs analysis).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.behavior.breakups import INCLINATION_MATCH_DEG, find_breakups, launch_of
from orbitwatch.cli import app
from orbitwatch.elements import read_file


def test_launch_designator_forms():
    assert launch_of("82092A") == "1982-092"
    assert launch_of("1999-025ABC") == "1999-025"
    assert launch_of("05001A") == "2005-001"
    assert launch_of(None) is None


def _sets(*parts):
    return read_file(shared_path(*parts)).element_sets


def test_cosmos_1408_destructive_test_dated_by_dispersion():
    sets = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt") + _sets(
        "events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt"
    )
    found = find_breakups(sets, owners={13552: "CIS"})
    assert len(found) == 1
    b = found[0]
    assert b.parent == 13552 and b.owner == "CIS"
    assert b.classification == "destructive test"
    assert b.fragments == 103  # 105 objects of 1982-092 minus the parent and its rocket body
    assert b.collision_partner is None
    event = datetime(2021, 11, 15, 2, 47, tzinfo=UTC)
    assert b.epoch_estimate is not None
    assert abs((b.epoch_estimate - event).total_seconds()) < 10 * 60
    # the intercept happened over northern Russia, near 480 km (Cosmos 1408's altitude)
    assert 50 < b.latitude_deg < 75 and 20 < b.longitude_deg < 60
    assert 440 < b.altitude_km < 500
    # the place is uncertain by the distance the parent flies in the epoch's
    # uncertainty: vis-viva for its near-circular orbit (e ~ 0.002),
    # v = sqrt(mu / r), r = 6378.137 km + the altitude reported (about 7.6 km/s)
    v_km_s = (398600.4418 / (6378.137 + b.altitude_km)) ** 0.5
    assert b.epoch_uncertainty_s is not None and b.epoch_uncertainty_s > 0
    assert b.place_uncertainty_km == pytest.approx(v_km_s * b.epoch_uncertainty_s, rel=0.01)
    # evidence: the parent's set before the event, and the file it came from
    ref = b.evidence["parent_element_set"]
    assert ref["source"] == "cosmos1408_pre_event_tles.txt"
    assert ref["epoch"].startswith("2021-11-15T00:55:06")  # 21319.03826954, 1.9 h before


def test_iridium_cosmos_collision_found_from_pre_event_pair():
    # the pre-event pair and both clouds as catalogued in 2021: a collision
    # makes two clouds, each parent's partner is the other
    pre = _sets("events", "iridium33_cosmos2251", "pre_collision_tles_2009-02-09.txt")
    sets = pre + _sets(
        "events", "iridium33_cosmos2251", "iridium-33-debris_2021-10-02_marcovivar.txt"
    ) + _sets("events", "iridium33_cosmos2251", "cosmos-2251-debris_2021-10-02_marcovivar.txt")
    found = find_breakups(sets, owners={24946: "US", 22675: "CIS"}, min_fragments=5)
    by_parent = {b.parent: b for b in found}
    assert set(by_parent) == {24946, 22675}
    for parent, other, owner in ((24946, 22675, "US"), (22675, 24946, "CIS")):
        b = by_parent[parent]
        assert b.classification == "collision" and b.collision_partner == other
        assert b.owner == owner
        assert b.collision_miss_km < 2.0
        assert abs((b.epoch_estimate - datetime(2009, 2, 10, 16, 56, tzinfo=UTC)).total_seconds()) < 60
        assert abs(b.latitude_deg - 72.5) < 1.0 and abs(b.longitude_deg - 97.9) < 1.5
        assert abs(b.altitude_km - 789) < 10
        # evidence: both parents' pre-event sets, from the file they came from
        assert b.evidence["collision_partner_element_set"]["source"] == "pre_collision_tles_2009-02-09.txt"
        assert b.evidence["collision_partner_fragments_after"] >= 5
        assert b.epoch_uncertainty_s is not None and b.epoch_uncertainty_s < 60


def test_one_cloud_and_an_approach_years_before_it_is_no_collision():
    # with only Iridium 33's cloud, the approach after its last pre-event set is
    # named as a possible cause, not asserted: nothing shows Cosmos 2251 broke up
    sets = _sets("events", "iridium33_cosmos2251", "pre_collision_tles_2009-02-09.txt") + _sets(
        "events", "iridium33_cosmos2251", "iridium-33-debris_2021-10-02_marcovivar.txt"
    )
    found = find_breakups(sets, owners={24946: "US", 22675: "CIS"}, min_fragments=5)
    [b] = [b for b in found if b.parent == 24946]
    assert b.classification == "undetermined" and b.collision_partner is None
    assert any(a.startswith("collision with 22675") for a in b.benign_alternatives)


def test_no_breakup_in_an_intact_constellation_snapshot():
    # Iridium's 2021 cloud without its pre-event parent set and no other fragments:
    # a launch group of intact payloads (all launch-era) is never a breakup.
    sets = [s for s in _sets("events", "iridium33_cosmos2251",
                             "pre_collision_tles_2009-02-09.txt")]
    assert find_breakups(sets) == []


def test_cli_jsonl(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["detect", "breakups", "--catalog",
         str(shared_path("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")),
         "--catalog",
         str(shared_path("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")),
         "--format", "jsonl"],
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert len(rows) == 1
    r = rows[0]
    for key in ("parent", "owner", "epoch_estimate", "fragments", "classification"):
        assert key in r
    assert r["parent"] == 13552 and isinstance(r["fragments"], int)
    assert r["epoch_estimate"].endswith("Z")


# -- old clouds and snapshots ---------------------------------------------------
# Fengyun-1C (1999-025A, PRC) was destroyed by a Chinese ASAT test on 2007-01-11
# (NASA Orbital Debris Quarterly News 11(2), April 2007); NOAA 16 (2000-055A)
# broke up in 2015 (ODQN 19(1), 2015), a battery failure, not a test.


def test_fengyun_1c_cloud_years_later_is_found_and_not_dated():
    sets = _sets("events", "fengyun1c_asat", "1999-025_2021-10-02_marcovivar.txt")
    found = find_breakups(sets, owners={25730: "PRC"})
    assert len(found) == 1
    b = found[0]
    assert b.parent == 25730 and b.owner == "PRC"
    assert b.fragments > 2600
    # 14 years on, with no element set of the intact satellite, nothing in the
    # sets can date the event or tell a test from an explosion or a collision
    assert b.epoch_estimate is None and b.classification == "undetermined"
    assert b.evidence["parent_chosen_by"] == "fragment names"


def test_collision_clouds_without_pre_event_sets_are_not_called_tests():
    for name, parent in (("iridium-33-debris_2021-10-02_marcovivar.txt", 24946),
                         ("cosmos-2251-debris_2021-10-02_marcovivar.txt", 22675)):
        found = find_breakups(_sets("events", "iridium33_cosmos2251", name))
        assert [b.parent for b in found] == [parent]
        assert found[0].classification == "undetermined"
        assert "destructive test" in found[0].benign_alternatives  # listed, not asserted


def test_full_2018_snapshot_accuses_no_one_and_finds_the_known_clouds():
    sets = _sets("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
    found = find_breakups(sets)
    by_launch = {b.launch: b for b in found}
    # a single snapshot has no element set from before any cloud: no class is asserted
    assert {b.classification for b in found} == {"undetermined"}
    assert by_launch["1999-025"].parent == 25730  # Fengyun 1C, not its CZ-4B stage
    assert by_launch["1993-036"].parent == 22675  # Cosmos 2251, not its SL-8 stage
    assert by_launch["1997-051"].parent == 24946  # Iridium 33
    assert by_launch["2000-055"].parent == 26536  # NOAA 16
    assert "1998-067" not in by_launch  # cubesats deployed from the ISS are not fragments
    assert all(b.fragments >= 50 for b in found)


def test_young_cloud_dated_by_node_convergence():
    event = datetime(2021, 11, 15, 2, 47, tzinfo=UTC)
    for name, max_err_days in (("Cosmos1408_1982-092_2022-01-11_duela.txt", 1.0),
                               ("tles_1982-092_2021-11-30_bismurphy.txt", 7.0)):
        found = find_breakups(_sets("events", "cosmos1408_asat", name), owners={13552: "CIS"})
        assert len(found) == 1
        b = found[0]
        assert b.parent == 13552
        err_days = abs((b.epoch_estimate - event).total_seconds()) / 86400.0
        assert err_days < max_err_days, (name, b.epoch_estimate)
        half = float(b.epoch_method.split("+-")[1].split(" days")[0])
        assert err_days <= half  # the stated uncertainty covers the truth
        # without the intact satellite's element sets no partner can be searched: no class asserted
        assert b.classification == "undetermined"
        assert b.latitude_deg is None


def test_no_class_asserted_when_the_dispersion_minimum_is_rejected():
    # with an impossible dispersion tolerance the pre-event set cannot date the
    # event: a node-convergence epoch (days uncertain) must not make it a "test"
    sets = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt") + _sets(
        "events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt"
    )
    found = find_breakups(sets, owners={13552: "CIS"}, dispersion_ok_km=0.001)
    assert len(found) == 1
    b = found[0]
    assert b.classification == "undetermined"
    assert b.latitude_deg is None and b.altitude_km is None


def test_cloud_that_cannot_be_propagated_is_skipped_without_nan(monkeypatch):
    import numpy as np

    import orbitwatch.behavior.breakups as bk

    real = bk._plane_normals

    def nan_for_fragments(sets, when):
        out = real(sets, when)
        if len(sets) > 1:
            out[:] = np.nan
        return out

    monkeypatch.setattr(bk, "_plane_normals", nan_for_fragments)
    sets = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt") + _sets(
        "events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt"
    )
    assert find_breakups(sets) == []


# -- histories, several snapshots, parents that are stages ----------------------


def test_later_catalogued_pieces_do_not_move_the_dating():
    # the January 2022 catalog adds ~830 pieces first seen weeks after the
    # November ones: the event is still dated from the pieces first seen
    # nearest it, against the parent's set before the event
    sets = (_sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
            + _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
            + _sets("events", "cosmos1408_asat", "Cosmos1408_1982-092_2022-01-11_duela.txt"))
    [b] = find_breakups(sets, owners={13552: "CIS"})
    event = datetime(2021, 11, 15, 2, 47, tzinfo=UTC)
    assert b.classification == "destructive test"
    err_s = abs((b.epoch_estimate - event).total_seconds())
    assert err_s < 10 * 60
    assert err_s <= b.epoch_uncertainty_s  # the stated uncertainty covers the truth
    assert b.evidence["parent_element_set"]["source"] == "cosmos1408_pre_event_tles.txt"
    assert b.evidence["event_before"].startswith("2021-11-17")  # first piece seen, not 2022
    assert b.fragments > 900


def test_a_parent_set_from_after_the_event_does_not_hide_it():
    # Cosmos 1408's own set of 2021-11-29 16:15 (a fit after the test) comes
    # before every piece but one; without that piece it is the parent's newest
    # set before the cloud, and the search must still reach back past it to
    # the set in force at the event
    cloud = [s for s in _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
             if s.epoch > datetime(2021, 11, 20, tzinfo=UTC)]
    sets = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt") + cloud
    post = [s for s in cloud if s.norad_id == 13552]
    assert post and min(s.epoch for s in cloud if s.norad_id not in (13552, 13553)) > post[0].epoch
    [b] = find_breakups(sets, owners={13552: "CIS"})
    event = datetime(2021, 11, 15, 2, 47, tzinfo=UTC)
    assert abs((b.epoch_estimate - event).total_seconds()) < 10 * 60
    assert b.evidence["parent_element_set"]["epoch"].startswith("2021-11-15T00:55")


def _renamed(sets, names):
    from dataclasses import replace
    return [replace(s, name=names.get(s.norad_id, s.name)) for s in sets]


def test_stage_breakup_is_not_blamed_on_the_payload():
    # the same real sets with the names of Cosmos 1408 and its SL-14 stage
    # swapped: the object whose plane the cloud shares is now called a rocket
    # body, so the breakup is an explosion or anomaly, not a destructive test
    # (the old code left stages out whenever a payload existed and found nothing)
    pre = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    cloud = _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
    names = {13552: "SL-14 R/B", 13553: "COSMOS 1408"}
    [b] = find_breakups(_renamed(pre + cloud, names))
    assert b.parent == 13552 and b.classification == "explosion or anomaly"
    assert b.evidence["parent_type"] == "ROCKET BODY"


def test_a_payload_sharing_the_parents_orbit_is_named_not_silently_chosen():
    # a twin in the parent's orbit (a copy of its sets as a payload of the same
    # launch): the sets cannot tell which one broke up, and the record says so
    from dataclasses import replace
    pre = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    cloud = _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
    twin = [replace(s, norad_id=13554, name="PAYLOAD X") for s in pre]
    [b] = find_breakups(_renamed(pre, {13552: "SL-14 R/B"}) + twin + cloud)
    assert {13552, 13554} <= set(b.evidence["parent_candidates"])
    other = 13554 if b.parent == 13552 else 13552
    assert any(a.startswith(f"the parent may be {other}") for a in b.benign_alternatives)


def test_a_parent_of_unknown_type_is_not_accused_of_a_test():
    pre = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    cloud = _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
    [b] = find_breakups(_renamed(pre + cloud, {13552: "OBJECT A"}))
    assert b.classification == "explosion or anomaly" and b.evidence["parent_type"] == "UNKNOWN"
    assert any(a.startswith("destructive test") for a in b.benign_alternatives)
    # the catalog's type settles it
    [b] = find_breakups(_renamed(pre + cloud, {13552: "OBJECT A"}),
                        object_types={13552: "PAYLOAD"})
    assert b.classification == "destructive test"


def test_two_snapshots_years_apart_accuse_no_one():
    # KeepTrack's 2018 catalog and its 2020 debris catalog: old clouds seen
    # twice, and pieces catalogued between the two. Any satellite passes within
    # 5 km of something every few days; the old code called 148 such passes
    # after a parent's 2018 set "collisions" (NOAA 16, which exploded in 2015,
    # "collided with" a Meteor 2-5 fragment).
    first = _sets("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
    sets = first + _sets("catalog", "keeptrack", "TLEdebris_2020-05-23_keeptrack.json")
    found = find_breakups(sets)
    assert found
    assert {b.classification for b in found} == {"undetermined"}
    by_launch = {b.launch: b for b in found}
    # a later snapshot never loses a cloud or a piece: an old cloud's stale
    # sets of 2017, still tracked in 2020, are no separate event (Meteor 2-8's
    # 1982-025 was split 3 + 46 and lost)
    # (a piece the 2020 catalog re-designated, 38399 from 1965-027 to 2012-025,
    # moves with its designator)
    newest = {s.norad_id: s for s in sorted(sets, key=lambda s: s.epoch)}
    for b in find_breakups(first):
        kept = {f for f in b.fragment_ids if launch_of(newest[f].intl_designator) == b.launch}
        assert b.launch in by_launch and kept <= set(by_launch[b.launch].fragment_ids), b.launch
    # stage breakups, with the parent the catalog's debris names point to
    # (NASA ODQN: the CBERS-1 CZ-4 stage in 2000, the PSLV-C3 stage in 2001,
    # the Pegasus HAPS stage of STEP 2 in 1996)
    assert by_launch["1999-057"].parent_name == "CZ-4 R/B"
    assert by_launch["2001-049"].parent_name == "PSLV R/B"
    assert by_launch["1994-029"].parent_name == "PEGASUS R/B"
    assert by_launch["2000-055"].parent == 26536  # NOAA 16 itself


def test_cli_rejects_impossible_options():
    runner = CliRunner()
    path = str(shared_path("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt"))
    for opt, val in (("--min-fragments", "0"), ("--max-back-days", "nan"),
                     ("--max-back-days", "-3"), ("--max-back-days", "inf")):
        res = runner.invoke(app, ["detect", "breakups", "--catalog", path, opt, val])
        assert res.exit_code != 0 and opt in res.output, (opt, val, res.output)
        assert "Traceback" not in res.output


def test_pieces_without_a_designator_join_the_parent_whose_orbit_they_intersect():
    # Cosmos 1408's pieces as a feed of analyst objects (no international
    # designator): grouped by orbit with the parent, the event is still found
    # and dated against the parent's pre-event set
    from dataclasses import replace
    pre = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    cloud = [replace(s, intl_designator=None) if s.norad_id not in (13552, 13553) else s
             for s in _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")]
    [b] = find_breakups(pre + cloud, owners={13552: "CIS"})
    assert b.parent == 13552 and b.classification == "destructive test"
    assert b.evidence["fragments_by_orbit"] >= 80 and b.fragments == b.evidence["fragments_by_orbit"]
    event = datetime(2021, 11, 15, 2, 47, tzinfo=UTC)
    assert abs((b.epoch_estimate - event).total_seconds()) < 10 * 60
    # an old analyst object elsewhere in the input (a 2018 piece of debris with
    # no designator) leaves the fresh cloud its parent
    old = next(s for s in _sets("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
               if (s.name or "").startswith("ECHO 1 DEB"))
    [b2] = find_breakups(pre + cloud + [replace(old, intl_designator=None)], owners={13552: "CIS"})
    assert (b2.parent, b2.classification, b2.fragments) == (13552, "destructive test", b.fragments)


def test_undesignated_old_debris_joins_no_one():
    # 1,500 pieces of old debris in the 2018 catalog stripped of their
    # designators: their orbits cross many parents', but none converges on one
    import random
    from dataclasses import replace

    from orbitwatch.behavior.breakups import _is_debris
    sets = _sets("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
    recent = datetime(2018, 8, 19, tzinfo=UTC)  # sets of the snapshot's last day: parents before them
    deb = sorted(s.norad_id for s in sets if _is_debris(s) and s.epoch >= recent)
    strip = set(random.Random(1).sample(deb, 1500))
    found = find_breakups([replace(s, intl_designator=None) if s.norad_id in strip else s
                           for s in sets])
    assert found and all(b.evidence["fragments_by_orbit"] == 0 for b in found)
    assert {b.classification for b in found} == {"undetermined"}


# -- parents known only from the SATCAT; evidence that names what it rests on ----
# DMSP 5D-2 F13 (1995-015A, 23533) broke up on 2004-02-06 and DMSP 5D-2 F11
# (1991-082A, 21798) on 2004-04-15 (NASA Orbital Debris Quarterly News 8(2)
# and 8(3), 2004).  KeepTrack's 2018 catalog holds 219 and 62 of their pieces
# but no element set of either satellite; the 2017 SATCAT has both.

KEEPTRACK_2018 = ("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
SATCAT_2017 = ("catalog", "satcat_2017", "satcat_2017-02.csv.xz")


def test_a_parent_without_element_sets_comes_from_the_satcat():
    sets = _sets(*KEEPTRACK_2018)
    satcat = read_file(shared_path(*SATCAT_2017)).satcat
    left: list = []
    plain = find_breakups(sets, unparented=left)
    # without the SATCAT the two clouds are named as left out, not dropped silently
    assert left == [("1991-082", 62), ("1995-015", 219)]
    assert {b.launch for b in plain}.isdisjoint({"1991-082", "1995-015"})
    left = []
    found = find_breakups(sets, satcat=satcat, unparented=left)
    assert left == []
    by_launch = {b.launch: b for b in found}
    assert set(by_launch) == {b.launch for b in plain} | {"1991-082", "1995-015"}
    # every cloud whose parent has element sets is as it was
    for b in plain:
        a = by_launch[b.launch]
        assert (a.parent, a.fragment_ids, a.classification) == (b.parent, b.fragment_ids,
                                                               b.classification)
        assert a.evidence["parent_from"] == "element sets"
    for launch, parent, name, n in (("1995-015", 23533, "DMSP 5D-2 F13 (USA 109)", 219),
                                    ("1991-082", 21798, "DMSP 5D-2 F11 (USA 73)", 62)):
        b = by_launch[launch]
        assert (b.parent, b.parent_name, b.owner, b.fragments) == (parent, name, "US", n)
        # no parent set: nothing to screen, nothing to date against
        assert b.classification == "undetermined" and b.epoch_estimate is None
        assert "destructive test" in b.benign_alternatives  # listed, not asserted
        ev = b.evidence
        assert ev["parent_element_set"] is None and ev["parent_from"] == "satcat"
        assert ev["parent_satcat"]["intl_designator"] == f"{launch}A"
        assert ev["parent_type"] == "PAYLOAD" and ev["collision_objects_screened"] is None
        assert ev["parent_inclination_match_deg"] < INCLINATION_MATCH_DEG


def _dmsp_f13(tmp_path):
    """KeepTrack's 2018 sets of launch 1995-015 (JSON) and the SATCAT rows of
    that launch (CSV), as files."""
    import csv
    import io
    import lzma

    records = [r for r in json.loads(shared_path(*KEEPTRACK_2018).read_text())
               if r["TLE1"][9:14] == "95015"]
    sets_path = tmp_path / "dmsp_f13_2018.json"
    sets_path.write_text(json.dumps(records))
    with lzma.open(shared_path(*SATCAT_2017), "rt", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["designator"].startswith("1995-015")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=reader.fieldnames)
    w.writeheader()
    w.writerows(rows)
    satcat_path = tmp_path / "satcat_1995-015.csv"
    satcat_path.write_text(buf.getvalue())
    return sets_path, satcat_path


def test_fragment_names_choose_among_satcat_parents(tmp_path):
    from dataclasses import replace

    from orbitwatch.elements.model import SatcatRecord
    sets_path, satcat_path = _dmsp_f13(tmp_path)
    sets = read_file(sets_path).element_sets
    satcat = read_file(satcat_path).satcat
    # a stage of the launch beside the payload (not in this SATCAT: added here)
    stage = SatcatRecord(norad_id=23534, name="TITAN 2 R/B", intl_designator="1995-015B",
                         owner="US", object_type="ROCKET BODY")
    [b] = find_breakups(sets, satcat=[*satcat, stage])
    assert b.parent == 23533 and b.evidence["parent_chosen_by"] == "fragment names"
    assert b.evidence["parent_candidates"] == [23533, 23534]
    # the same pieces named after the stage point to the stage
    [b] = find_breakups([replace(s, name="TITAN 2 DEB") for s in sets], satcat=[*satcat, stage])
    assert b.parent == 23534 and b.evidence["parent_type"] == "ROCKET BODY"


def test_cli_parent_from_satcat_file_or_store_and_warning_without(tmp_path):
    sets_path, satcat_path = _dmsp_f13(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["detect", "breakups", "--catalog", str(sets_path), "--format",
                              "jsonl"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == ""
    assert "1 fragment cloud(s) left out: no parent known" in res.output
    assert "1995-015 (219 pieces)" in res.output and "add a SATCAT file" in res.output
    # from SATCAT files: table and jsonl
    res = runner.invoke(app, ["detect", "breakups", "--catalog", str(sets_path), "--catalog",
                              str(satcat_path)])
    assert res.exit_code == 0, res.output
    assert "23533 DMSP 5D-2 F13 (USA 109)" in res.stdout and "undetermined" in res.stdout
    assert "left out" not in res.output
    res = runner.invoke(app, ["detect", "breakups", "--catalog", str(sets_path), "--catalog",
                              str(satcat_path), "--format", "jsonl"])
    [r] = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert (r["parent"], r["owner"], r["fragments"]) == (23533, "US", 219)
    assert r["evidence"]["parent_from"] == "satcat" and r["evidence"]["parent_element_set"] is None
    assert r["evidence"]["event_before"].endswith("Z")
    assert all(isinstance(e["norad_id"], int) and e["epoch"].endswith("Z")
               for e in r["evidence"]["fragment_element_sets"])
    # from the store, once both files are ingested
    db = f"sqlite:///{tmp_path / 'b.db'}"
    for path in (sets_path, satcat_path):
        assert runner.invoke(app, ["ingest", str(path), "--db", db]).exit_code == 0
    res = runner.invoke(app, ["detect", "breakups", "--db", db, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    [r] = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert (r["parent"], r["parent_name"], r["owner"]) == (23533, "DMSP 5D-2 F13 (USA 109)", "US")


def test_fragment_sets_in_the_evidence_name_their_objects():
    sets = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt") + _sets(
        "events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt"
    )
    [b] = find_breakups(sets, owners={13552: "CIS"})
    cited = b.evidence["fragment_element_sets"]
    assert 0 < len(cited) <= 5 <= b.evidence["fragments_used"]
    first = sorted((s for s in sets if s.norad_id in b.fragment_ids), key=lambda s: s.epoch)
    assert [c["norad_id"] for c in cited] == [s.norad_id for s in first[:len(cited)]]
    assert cited[0]["epoch"] == b.evidence["earliest_fragment_epoch"]


def test_a_collision_partner_is_named_with_its_owner():
    pre = _sets("events", "iridium33_cosmos2251", "pre_collision_tles_2009-02-09.txt")
    sets = pre + _sets(
        "events", "iridium33_cosmos2251", "iridium-33-debris_2021-10-02_marcovivar.txt"
    ) + _sets("events", "iridium33_cosmos2251", "cosmos-2251-debris_2021-10-02_marcovivar.txt")
    found = find_breakups(sets, owners={24946: "US", 22675: "CIS"}, min_fragments=5)
    partner_owner = {b.parent: b.collision_partner_owner for b in found}
    assert partner_owner == {24946: "CIS", 22675: "US"}
    assert all(b.to_dict()["collision_partner_owner"] == partner_owner[b.parent] for b in found)
    # each parent was screened against the other (the only object of another launch)
    assert all(b.evidence["collision_objects_screened"] == 1 for b in found)


def test_no_collision_partner_says_how_many_objects_were_searched():
    # the Cosmos 1408 files hold only the launch's own objects: "no collision
    # partner" rests on no one, and the record says so
    pre = _sets("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    cloud = _sets("events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
    [b] = find_breakups(pre + cloud, owners={13552: "CIS"})
    assert b.classification == "destructive test"
    assert b.evidence["collision_objects_screened"] == 0
    thin = [a for a in b.benign_alternatives if "too few to rule a collision out" in a]
    assert thin and "only 0 other object(s)" in thin[0]
    # with 150 more objects in force at the event (geostationary ones of the 2018
    # catalog, their sets moved to the parent's pre-event epoch: none can come
    # near a 480 km orbit) the screen is no longer thin
    from dataclasses import replace
    geo = [s for s in _sets(*KEEPTRACK_2018)
           if 0.9 < s.mean_motion_rev_day < 1.1 and s.eccentricity < 0.01][:150]
    assert len(geo) == 150
    at = pre[-1].epoch
    [b] = find_breakups(pre + cloud + [replace(s, epoch=at) for s in geo], owners={13552: "CIS"})
    assert b.classification == "destructive test" and b.collision_partner is None
    assert b.evidence["collision_objects_screened"] == 150
    assert not any("too few" in a for a in b.benign_alternatives)
