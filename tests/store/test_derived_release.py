"""Records derived from shared element sets (events, findings, conjunctions) go
only to those who may see every set they came from, and each partner's own
results are stored for it even when another partner stored the same ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.cli import app
from orbitwatch.store.releasability import derived_releasable_to, is_visible

runner = CliRunner()


@pytest.mark.parametrize(
    ("inputs", "partner", "release", "expected"),
    [
        ([(None, "ALL")], None, "ALL", "ALL"),  # public data, public result
        ([(None, "ALL")], "FR", "US", "US"),  # the author's own choice when the inputs allow it
        ([("IN", "IN,FR")], "FR", "ALL", "IN"),  # FR's result from IN's sets: FR (author) and IN
        ([("IN", "IN,FR")], None, "ALL", "FR,IN"),  # a host run: who may see IN's sets
        ([("IN", "IN,FR"), ("JP", "ALL")], "FR", "US,IN", "IN"),
        ([("IN", "IN")], None, "ALL", "IN"),  # a host run over IN's own sets: IN only
        ([("IN", "IN"), ("JP", "JP")], None, "ALL", None),  # nobody may see both: not stored
        ([("IN", "FR"), ("JP", "FR")], "FR", "ALL", "FR"),  # only the author
    ],
)
def test_derived_release_is_the_most_restrictive_input(inputs, partner, release, expected):
    assert derived_releasable_to(inputs, partner=partner, releasable_to=release) == expected
    if expected is None:
        return
    # nobody outside every input's audience may see the result
    for code in ("US", "JP", "IN", "FR", "DE"):
        if is_visible(partner, expected, code) and code != partner:
            assert all(is_visible(p, r, code) for p, r in inputs), (code, expected)


def _events(db: str, partner: str, kind: str | None = None) -> list[dict]:
    args = ["events", "--db", db, "--partner", partner, "--format", "jsonl"]
    if kind:
        args += ["--type", kind]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def test_run_keeps_derived_events_within_the_sets_release(tmp_path):
    # IN contributes the GEO histories of three objects that relocate in May 2026
    # (MTG-I1, SJ-29A/B), releasable to IN and FR only; one more object is public.
    from orbitwatch.elements import read_file, write_3le

    src = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    sets = read_file(src).element_sets
    restricted = {54743, 67302, 67403}
    path_in = tmp_path / "in.3le"
    write_3le([s for s in sets if s.norad_id in restricted], path_in)
    path_pub = tmp_path / "pub.3le"
    write_3le([s for s in sets if s.norad_id == 38740], path_pub)
    db = str(tmp_path / "o.db")
    res = runner.invoke(app, ["ingest", "--db", db, str(path_in), "--partner", "IN",
                              "--releasable-to", "IN,FR", "--quiet"])
    assert res.exit_code == 0, res.output

    # FR runs the detectors and releases what it stores to ALL
    args = ["run", "--catalog", str(path_pub), "--db", db, "--no-screen", "--format", "json",
            "--quiet", "--partner", "FR", "--releasable-to", "ALL"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    fr = _events(db, "FR")
    derived = [r for r in fr if r["object"] in restricted]
    assert {r["type"] for r in derived} >= {"geo_relocation", "maneuver"}
    for r in derived:  # narrowed to who may see IN's sets: FR (the author) and IN
        assert r["partner"] == "FR" and r["releasable_to"] == "IN", r
    assert {r["object"] for r in _events(db, "IN")} >= restricted
    # US may see none of what came from IN's sets
    assert not [r for r in _events(db, "US") if r["object"] in restricted]

    # US runs the same detectors: it cannot read IN's sets, so it finds nothing there,
    # and it cannot see FR's results either
    res = runner.invoke(app, args[:-4] + ["--partner", "US", "--releasable-to", "US"])
    assert res.exit_code == 0, res.output
    assert not [r for r in _events(db, "US") if r["object"] in restricted]

    # IN's own run stores its own copies (FR's copies do not hide them from IN's store)
    res = runner.invoke(app, args[:-4] + ["--partner", "IN", "--releasable-to", "IN"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events"]["new"] > 0
    mine = [r for r in _events(db, "IN") if r["partner"] == "IN"]
    assert {r["object"] for r in mine} >= restricted
    # and running again adds nothing
    res = runner.invoke(app, args[:-4] + ["--partner", "IN", "--releasable-to", "IN"])
    assert json.loads(res.stdout)["events"]["new"] == 0


def test_findings_against_two_assets_are_both_stored(tmp_path):
    # one approach by the same object at the same time to two assets: two findings
    from orbitwatch.store.db import open_engine, upgrade
    from orbitwatch.store.events import store_events

    engine = open_engine(f"sqlite:///{tmp_path / 'o.db'}")
    upgrade(engine)
    t = datetime(2026, 5, 29, 20, 56, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    base = {"type": "finding", "rule": "unsafe-approach", "severity": "medium", "responsible": 67403,
            "time": t, "summary": "s", "source": "x"}
    new, old = store_events(engine, [dict(base, affected=41793), dict(base, affected=43824)])
    assert (new, old) == (2, 0)
    assert store_events(engine, [dict(base, affected=41793)]) == (0, 1)


def test_conjunctions_screened_from_restricted_sets_stay_within_their_release(tmp_path):
    # what a screening (the run's or the service's job) stores about an object whose
    # only sets are IN's (releasable to IN and FR) is not releasable to US
    from orbitwatch.elements import read_file, write_3le
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.shared import add_derived_conjunctions, conjunction_facts

    src = shared_path("tle_history", "celestrak_mirror_2026-05", "geo_history.3le")
    sets = read_file(src).element_sets
    write_3le([s for s in sets if s.norad_id == 67302], tmp_path / "in.3le")
    write_3le([s for s in sets if s.norad_id in (67403, 38740)], tmp_path / "pub.3le")
    db = str(tmp_path / "o.db")
    for path, extra in (("in.3le", ["--partner", "IN", "--releasable-to", "IN,FR"]), ("pub.3le", [])):
        res = runner.invoke(app, ["ingest", "--db", db, str(tmp_path / path), "--quiet", *extra])
        assert res.exit_code == 0, res.output
    t = datetime(2026, 5, 29, 12, tzinfo=UTC)
    conj = [
        {"object_1": 67302, "object_2": 67403, "tca": t, "miss_distance_km": 3.0,
         "relative_speed_km_s": 0.001},
        {"object_1": 38740, "object_2": 67403, "tca": t, "miss_distance_km": 4.0,
         "relative_speed_km_s": 0.002},
    ]
    engine = open_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        stored, withheld = add_derived_conjunctions(conn, conjunctions=conj, partner="FR",
                                                    releasable_to="ALL")
    assert withheld == 0 and len(stored) == 2
    with engine.connect() as conn:
        us = conjunction_facts(conn, visible_to="US")
        in_ = conjunction_facts(conn, visible_to="IN")
    assert [(c["object_1"], c["object_2"]) for c in us] == [(38740, 67403)]
    assert {(c["object_1"], c["object_2"]) for c in in_} == {(67302, 67403), (38740, 67403)}


def _finding_rows(db: str, partner: str) -> list[dict]:
    return _events(db, partner, "finding")


def test_destructive_test_finding_goes_no_wider_than_its_breakup(tmp_path):
    # Cosmos 1408's last sets before the test are public; the fragment cloud is IN's,
    # releasable to IN and FR.  FR's run (releasing ALL) stores the breakup for IN
    # only, and the finding judged from it too: the fragments are its evidence.
    from orbitwatch.elements import read_file, write_3le

    db = str(tmp_path / "o.db")
    pre = shared_path("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
    cloud = read_file(shared_path("events", "cosmos1408_asat",
                                  "tles_1982-092_2021-11-30_bismurphy.txt")).element_sets
    frags = tmp_path / "fragments.3le"  # the parent's own sets stay public
    write_3le([s for s in cloud if s.norad_id != 13552], frags)
    res = runner.invoke(app, ["ingest", "--db", db, str(frags), "--partner", "IN",
                              "--releasable-to", "IN,FR", "--quiet"])
    assert res.exit_code == 0, res.output
    # the owner from the real SATCAT (2017): the norms accuse no unknown party
    import lzma

    satcat_rows = lzma.open(shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz"),
                            "rt").read().splitlines()
    satcat = tmp_path / "satcat.csv"
    satcat.write_text("\n".join([satcat_rows[0], *(r for r in satcat_rows if ",13552," in r)]) + "\n")
    res = runner.invoke(app, ["run", "--catalog", str(pre), "--catalog", str(satcat), "--db", db,
                              "--no-screen", "--format", "json", "--quiet", "--partner", "FR",
                              "--releasable-to", "ALL"])
    assert res.exit_code == 0, res.output
    fr = _events(db, "FR")
    [breakup] = [r for r in fr if r["type"] == "breakup" and r["parent"] == 13552]
    assert breakup["owner"] == "CIS"
    [finding] = [r for r in fr if r["type"] == "finding" and r["rule"] == "destructive-asat-test"]
    assert breakup["releasable_to"] == "IN" and finding["releasable_to"] == "IN"
    assert not [r for r in _events(db, "US") if r["type"] in ("breakup", "finding")]


def _store_conjunction(db: str, pair, pc, *, partner, releasable_to, miss_km=3.0,
                       tca=datetime(2026, 5, 28, 10, tzinfo=UTC)):
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.catalog import ensure_partner
    from orbitwatch.store.shared import add_conjunctions

    engine = open_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        ensure_partner(conn, partner)
        add_conjunctions(conn, conjunctions=[{
            "object_1": pair[0], "object_2": pair[1], "tca": tca,
            "miss_distance_km": miss_km, "relative_speed_km_s": 10.0, "pc": pc}],
            partner=partner, releasable_to=releasable_to)
    engine.dispose()


def _store_public(db: str, records: list[dict], partner=None, releasable_to="ALL"):
    from orbitwatch.store.db import open_engine, upgrade
    from orbitwatch.store.events import store_events

    engine = open_engine(f"sqlite:///{db}")
    upgrade(engine)
    store_events(engine, records, partner=partner, releasable_to=releasable_to)
    engine.dispose()


_APPROACH = {"type": "proximity", "asset": 1, "asset_owner": "US", "object": 2,
             "object_owner": "PRC", "kind": "approach", "range_km": 25.0, "closest_km": 3.0,
             "closest_time": "2026-05-30T12:00:00Z", "first_time": "2026-05-30T12:00:00Z",
             "last_time": "2026-06-01T12:00:00Z", "after_maneuver": True}
_MANOEUVRE = {"type": "maneuver", "object": 2, "gap_start": "2026-05-28T00:00:00Z",
              "gap_end": "2026-05-29T00:00:00Z", "epoch_estimate": "2026-05-28T12:00:00Z",
              "kind": "in-plane along-track", "delta_v_m_s": 0.3, "confidence": 0.9}


def test_findings_go_no_wider_than_the_conjunctions_they_cite(tmp_path):
    # public events; IN's conjunctions (releasable to IN and FR) give the unsafe
    # approach its Pc and the manoeuvre its collision-avoidance explanation (a red
    # conjunction with a third object): FR's findings from them go to IN only
    db = str(tmp_path / "o.db")
    _store_public(db, [_APPROACH, _MANOEUVRE])
    _store_conjunction(db, (1, 2), 1e-3, partner="IN", releasable_to="IN,FR",
                       tca=datetime(2026, 6, 2, tzinfo=UTC))  # in the approach, not near the burn
    _store_conjunction(db, (2, 3), 1e-3, partner="IN", releasable_to="IN,FR", miss_km=0.1)
    res = runner.invoke(app, ["norms", "--db", db, "--partner", "FR", "--releasable-to", "ALL",
                              "--store", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    found = {r["rule"]: r for r in _finding_rows(db, "FR")}
    unsafe = found["unsafe-approach"]
    assert "Pc 1.00e-03" in unsafe["summary"] and unsafe["evidence"]["conjunctions"][0]["pc"] == 1e-3
    avoid = found["unannounced-maneuver-near-foreign-asset"]
    assert avoid["benign_explanation"].startswith("collision avoidance")
    assert avoid["evidence"]["conjunction"]["object_2"] == 3
    assert unsafe["releasable_to"] == "IN" and avoid["releasable_to"] == "IN"
    assert not _finding_rows(db, "US")
    # judged by US, who cannot see IN's conjunctions: no Pc, no explanation, and released
    res = runner.invoke(app, ["norms", "--db", db, "--partner", "US", "--releasable-to", "ALL",
                              "--store", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    us = {r["rule"]: r for r in _finding_rows(db, "US") if r["partner"] == "US"}
    assert "unsafe-approach" not in us  # 3 km in LEO and no Pc it may see
    assert us["unannounced-maneuver-near-foreign-asset"]["benign_explanation"] is None
    assert us["unannounced-maneuver-near-foreign-asset"]["releasable_to"] == "ALL"


def test_findings_take_the_label_of_the_stored_events_they_judge(tmp_path):
    # IN's approach (releasable to IN and FR), stored with no catalog number (as a
    # service client may post it): FR's finding from it goes to IN only.  A public
    # approach elsewhere is not narrowed by an IN notice on its object that
    # announces nothing it judges.
    from sqlalchemy import update

    from orbitwatch.store.db import open_engine
    from orbitwatch.store.shared_models import events_table

    db = str(tmp_path / "o.db")
    _store_public(db, [dict(_APPROACH, closest_km=0.5, after_maneuver=False)],
                  partner="IN", releasable_to="IN,FR")
    engine = open_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(update(events_table).values(norad_id=None))
    engine.dispose()
    other = dict(_APPROACH, asset=5, object=6, closest_km=0.5, after_maneuver=False)
    _store_public(db, [other])
    _store_public(db, [{"type": "notice", "object": 6, "time": "2026-01-01T00:00:00Z"}],
                  partner="IN", releasable_to="IN,FR")
    res = runner.invoke(app, ["norms", "--db", db, "--partner", "FR", "--releasable-to", "ALL",
                              "--store", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    by_object = {r["responsible"]: r for r in _finding_rows(db, "FR")}
    assert by_object[2]["releasable_to"] == "IN"
    assert by_object[6]["releasable_to"] == "ALL"


def _ingest_text(db: str, tmp_path, name: str, text: str, *extra: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    res = runner.invoke(app, ["ingest", "--db", db, str(p), "--quiet", *extra])
    assert res.exit_code == 0, res.output


def _host_findings_with_debris(db: str, debris: int) -> dict[str, dict]:
    """Mark ``debris`` as DEBRIS (as a SATCAT ingest would), store the findings of
    a host ``norms --db`` run, and return those US may see, by rule."""
    from sqlalchemy import update

    from orbitwatch.store.db import open_engine
    from orbitwatch.store.models import objects_table

    engine = open_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(update(objects_table).where(objects_table.c.norad_id == debris)
                     .values(object_type="DEBRIS"))
    engine.dispose()
    res = runner.invoke(app, ["norms", "--db", db, "--store", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    return {f["rule"]: f for f in _finding_rows(db, "US")}


def test_a_finding_is_narrowed_only_by_what_it_was_judged_from(tmp_path):
    # A public approach between objects 1 and 2 is judged; IN and JP later hold
    # restricted sets of those objects, which the finding was not judged from:
    # it stays public.  A long-lived-debris finding judged from a public newest
    # set is not narrowed by an older IN set of the same object.
    from tests.service.seeding import EPOCH, make_tle

    db = str(tmp_path / "o.db")
    _store_public(db, [dict(_APPROACH, closest_km=0.5, after_maneuver=False)])
    _ingest_text(db, tmp_path, "in.tle", make_tle(2, "OBJ 2"), "--partner", "IN", "--releasable-to", "IN")
    _ingest_text(db, tmp_path, "jp.tle", make_tle(1, "ASSET 1"), "--partner", "JP", "--releasable-to", "JP")
    _ingest_text(db, tmp_path, "old.tle", make_tle(3, "DEB", mean_motion=14.5,
                                                   epoch=EPOCH - timedelta(days=30)),
                 "--partner", "IN", "--releasable-to", "IN")
    _ingest_text(db, tmp_path, "new.tle", make_tle(3, "DEB", mean_motion=14.5, set_no=2))
    us = _host_findings_with_debris(db, 3)
    assert us["unsafe-approach"]["releasable_to"] == "ALL"
    assert us["long-lived-leo-debris"]["releasable_to"] == "ALL"


def test_of_identical_copies_the_finding_is_judged_from_the_widest(tmp_path):
    # The same manoeuvre stored public and, later, by JP for JP only; the same
    # newest set of a debris object ingested public and, later, by IN for IN
    # only.  The findings judged from them rest on the public copies.
    from tests.service.seeding import make_tle

    db = str(tmp_path / "o.db")
    _store_public(db, [dict(_APPROACH, closest_km=0.5), _MANOEUVRE])
    _store_public(db, [_MANOEUVRE], partner="JP", releasable_to="JP")
    deb = make_tle(3, "DEB", mean_motion=14.5)
    _ingest_text(db, tmp_path, "pub.tle", deb)
    _ingest_text(db, tmp_path, "in.tle", deb, "--partner", "IN", "--releasable-to", "IN")
    us = _host_findings_with_debris(db, 3)
    assert us["unannounced-maneuver-near-foreign-asset"]["releasable_to"] == "ALL"
    assert us["long-lived-leo-debris"]["releasable_to"] == "ALL"


def test_findings_from_files_follow_the_sets_the_acting_partner_may_see(tmp_path):
    # A proximity record in a file about objects 1 and 2.  Their only sets are
    # IN's, for IN alone.  A host run (no --partner) sees them: the finding goes
    # to IN only.  FR may not see them: its finding stays with FR, and nothing
    # stored tells FR that IN holds those sets (no IN in its label).  Once a
    # public set of object 2 and an FR set of object 1 are in, FR's finding goes
    # where FR releases it, still without a word of IN's sets.
    from tests.service.seeding import make_tle

    db = str(tmp_path / "o.db")
    _ingest_text(db, tmp_path, "in.tle", make_tle(1, "ASSET 1") + make_tle(2, "OBJ 2"),
                 "--partner", "IN", "--releasable-to", "IN")
    ev = tmp_path / "ev.jsonl"
    ev.write_text(json.dumps(dict(_APPROACH, closest_km=0.5, after_maneuver=False)) + "\n")

    def store(*partner: str) -> None:
        res = runner.invoke(app, ["norms", "--events", str(ev), "--db", db, *partner,
                                  "--releasable-to", "ALL", "--store", "--format", "jsonl"])
        assert res.exit_code == 0, res.output

    store()
    assert [(f["partner"], f["releasable_to"]) for f in _finding_rows(db, "IN")] == [(None, "IN")]
    store("--partner", "FR")
    assert [(f["partner"], f["releasable_to"]) for f in _finding_rows(db, "FR")] == [("FR", "FR")]
    assert not _finding_rows(db, "US")
    _ingest_text(db, tmp_path, "pub.tle", make_tle(2, "OBJ 2"), "--releasable-to", "ALL")
    _ingest_text(db, tmp_path, "fr.tle", make_tle(1, "ASSET 1"), "--partner", "FR",
                 "--releasable-to", "JP")
    ev.write_text(json.dumps(dict(_APPROACH, closest_km=0.4, after_maneuver=False)) + "\n")
    store("--partner", "FR")
    assert [(f["partner"], f["releasable_to"]) for f in _finding_rows(db, "JP")] == [("FR", "JP")]


def test_of_two_copies_of_a_conjunction_the_finding_cites_the_wider(tmp_path):
    # US stored a conjunction releasable to ALL, JP its own copy for JP only;
    # the unsafe approach resting on that Pc cites the public copy
    db = str(tmp_path / "o.db")
    _store_public(db, [dict(_APPROACH, closest_km=3.0)])
    for partner, rel in (("JP", "JP"), ("US", "ALL")):
        _store_conjunction(db, (1, 2), 1e-3, partner=partner, releasable_to=rel,
                           tca=datetime(2026, 5, 30, 12, tzinfo=UTC))
    res = runner.invoke(app, ["norms", "--db", db, "--store", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    [f] = [f for f in _finding_rows(db, "US") if f["rule"] == "unsafe-approach"]
    assert f["releasable_to"] == "ALL" and len(f["evidence"]["conjunctions"]) == 1


def test_a_stored_event_the_rules_cannot_judge_is_named_and_left_out(tmp_path):
    db = str(tmp_path / "o.db")
    good = dict(_APPROACH, closest_km=0.5, after_maneuver=False)
    bad = dict(_APPROACH, asset=5, closest_km="0.5")  # stored before the service checked posts
    _store_public(db, [good, bad])
    res = runner.invoke(app, ["norms", "--db", db, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert "left out: field 'closest_km': '0.5' is not a number" in " ".join(res.output.split())
    assert [json.loads(x)["affected"] for x in res.stdout.splitlines() if x.startswith("{")] == [1]


def test_a_breakup_naming_a_candidate_known_from_a_restricted_fact_goes_no_wider():
    """A breakup record shows the other parent candidates and the objects its
    alternatives name (number and name); when one of them is known only from a
    partner's restricted SATCAT row, the record goes no wider than that row (a
    review found FR reading JP's 'DMSP 5D-2 F13 (JP SECRET PROBE)' in a breakup
    released to ALL)."""
    from orbitwatch.store.events import release_for

    rec = {"type": "breakup", "parent": 23533, "collision_partner": None,
           "fragment_ids": [24000, 24001, 24002],
           "benign_alternatives": ["the parent may be 23599 DMSP 5D-2 F13 (JP SECRET PROBE)"],
           "evidence": {"parent_candidates": [23533, 23599], "alternative_objects": [23599]}}
    public = {i: {(None, "ALL")} for i in (23533, 24000, 24001, 24002)}
    facts = {23599: {("JP", "JP")}}
    assert release_for(rec, public, partner="JP", releasable_to="ALL", facts=facts) == "JP"
    plain = dict(rec, benign_alternatives=[], evidence={"parent_candidates": [23533],
                                                        "alternative_objects": []})
    assert release_for(plain, public, partner="JP", releasable_to="ALL", facts=facts) == "ALL"
