"""Norms of behaviour: rules over real detected events and the 2018 catalog."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import shared_path
from orbitwatch.behavior.breakups import find_breakups
from orbitwatch.cli import app
from orbitwatch.elements import read_file
from orbitwatch.norms.rules import RulesError, evaluate, load_rules


def test_default_rules_cite_their_sources():
    rules = load_rules()
    assert {r.id for r in rules} >= {
        "destructive-asat-test", "unsafe-approach", "unannounced-maneuver-near-foreign-asset",
        "long-lived-leo-debris"}
    for r in rules:
        assert len(r.source) > 40


def test_cosmos_1408_is_a_destructive_asat_finding_attributed_to_its_owner():
    sets = read_file(shared_path("events", "cosmos1408_asat", "cosmos1408_pre_event_tles.txt")
                     ).element_sets + read_file(shared_path(
                         "events", "cosmos1408_asat", "tles_1982-092_2021-11-30_bismurphy.txt")
                     ).element_sets
    # owner from the 2018 full catalog (CIS), not from the test
    owners = {s.norad_id: s.owner for s in read_file(
        shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")).element_sets}
    events = [b.to_dict() for b in find_breakups(sets, owners=owners)]
    found = evaluate(events)
    asat = [f for f in found if f.rule == "destructive-asat-test"]
    assert len(asat) == 1
    assert asat[0].responsible == 13552 and asat[0].responsible_owner == "CIS"
    assert asat[0].severity == "high"
    # the alternative the element sets cannot exclude is named, not credited
    assert "anomalous payload breakup" in asat[0].benign_explanation
    # the test of 2021-11-15 came before the moratorium the rule cites (2022-04-18): said so
    assert asat[0].evidence["predates_commitment"] == "2022-04-18"
    assert "before 2022-04-18, when the commitment cited came into force" in asat[0].summary
    # the same cloud a year later in time is judged without that note
    later = [dict(e, epoch_estimate="2022-11-15T02:45:00Z") for e in events]
    [f] = [f for f in evaluate(later) if f.rule == "destructive-asat-test"]
    assert "predates_commitment" not in f.evidence and "before 2022" not in f.summary
    # with no owner known (no SATCAT, no owner on the sets) nobody is accused
    unowned = [dict(e, owner=None) for e in events]
    assert not [f for f in evaluate(unowned) if f.rule == "destructive-asat-test"]


def test_a_breakup_with_no_owner_is_not_judged_and_the_cli_says_so(tmp_path):
    """`norms --events` over a destructive-test record naming no owner: no finding,
    and a warning naming the parent, instead of an accusation of 'owner unknown'."""
    p = tmp_path / "b.jsonl"
    rec = {"type": "breakup", "parent": 13552, "parent_name": "COSMOS 1408", "owner": None,
           "classification": "destructive test", "fragments": 103,
           "epoch_estimate": "2021-11-15T02:45:32Z"}
    p.write_text(json.dumps(rec) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p), "--format", "jsonl"])
    assert res.exit_code == 0 and res.stdout.strip() == ""
    assert "1 breakup(s) judged by the rules name no owner (13552)" in " ".join(res.stderr.split())
    p.write_text(json.dumps(dict(rec, owner="CIS")) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p), "--format", "jsonl"])
    [f] = [json.loads(x) for x in res.stdout.splitlines()]
    assert f["rule"] == "destructive-asat-test" and f["responsible_owner"] == "CIS"


def _prox(asset_owner, object_owner, closest_km, after_maneuver=False, **kw):
    ev = {"type": "proximity", "asset": 1, "asset_owner": asset_owner, "object": 2,
          "object_owner": object_owner, "kind": "approach", "range_km": 25.0,
          "closest_km": closest_km, "closest_time": "2026-05-30T12:00:00Z",
          "first_time": "2026-05-30T12:00:00Z", "after_maneuver": after_maneuver}
    ev.update(kw)
    return ev


def _mnvr():
    """A manoeuvre of object 2 between 28 and 29 May 2026."""
    return {"type": "maneuver", "object": 2, "gap_start": "2026-05-28T00:00:00Z",
            "gap_end": "2026-05-29T00:00:00Z", "epoch_estimate": "2026-05-28T12:00:00Z",
            "kind": "in-plane along-track", "delta_v_m_s": 0.3, "confidence": 0.9}


def _stored_approach(tmp_path, closest_km):
    """A store holding that manoeuvre and, after it, object 2 (CIS) passing
    ``closest_km`` from object 1 (JPN); returns (db URL, engine)."""
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.events import store_events

    db = f"sqlite:///{tmp_path / 'n.db'}"
    engine = open_engine(db)
    prox = _prox("JPN", "CIS", closest_km, after_maneuver=True, asset_name="A", object_name="B",
                 last_time="2026-05-30T12:00:00Z", trend="closing")
    store_events(engine, [_mnvr(), prox])
    return db, engine


def _judged_from_store(db):
    """`orbitwatch norms --db`: the findings by rule."""
    res = CliRunner().invoke(app, ["norms", "--db", db, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    return {f["rule"]: f for f in rows}


def test_safe_separation_between_nations_only():
    rules = [r for r in load_rules() if r.id == "unsafe-approach"]
    assert evaluate([_prox("US", "PRC", 0.5)], rules)  # foreign, inside 1 km
    assert not evaluate([_prox("US", "US", 0.5)], rules)  # same owner: formation, docking
    assert not evaluate([_prox("US", "PRC", 3.0)], rules)  # LEO, outside 1 km, no Pc
    conj = [{"object_1": 1, "object_2": 2, "tca": "2026-05-30T12:00:00Z",
             "miss_distance_km": 3.0, "pc": 2e-4}]
    assert evaluate([_prox("US", "PRC", 3.0)], rules, conjunctions=conj)  # red Pc
    # a red Pc of the same pair a month before is not this approach's
    old = [dict(conj[0], tca="2026-04-30T12:00:00Z")]
    assert not evaluate([_prox("US", "PRC", 3.0)], rules, conjunctions=old)


def test_collision_avoidance_and_station_keeping_are_benign():
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    mnvr = _mnvr()
    prox = _prox("JPN", "CIS", 10.0, after_maneuver=True)
    [f] = evaluate([mnvr, prox], rules)
    assert f.severity == "medium" and f.benign_explanation is None
    red = [{"object_1": 2, "object_2": 9, "tca": "2026-05-29T06:00:00Z",
            "miss_distance_km": 0.2}]
    [f] = evaluate([mnvr, prox], rules, conjunctions=red)
    assert f.severity == "info" and "collision avoidance" in f.benign_explanation
    # a docked or formation partner 50 m away at walking pace is no threat to avoid
    partner = [dict(red[0], miss_distance_km=0.05, relative_speed_km_s=0.001)]
    [f] = evaluate([mnvr, prox], rules, conjunctions=partner)
    assert f.severity == "medium" and f.benign_explanation is None
    sk = dict(mnvr, kind="east-west station-keeping")
    [f] = evaluate([sk, prox], rules)
    assert f.severity == "info" and "station-keeping" in f.benign_explanation
    notice = [{"object": 2, "time": "2026-05-27T00:00:00Z"}]
    assert evaluate([mnvr, prox], rules, notices=notice) == []


def test_long_lived_debris_on_the_2018_catalog(tmp_path):
    res = CliRunner().invoke(app, [
        "norms", "--events", str(_empty(tmp_path)), "--catalog",
        str(shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")),
        "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    debris = [r for r in rows if r["rule"] == "long-lived-leo-debris"]
    assert len(debris) > 1000
    ids = {r["responsible"] for r in debris}
    # Fengyun-1C debris (1999-025, ~850 km) stays up for decades: nearly every
    # piece whose perigee is above 750 km is flagged
    sets = read_file(shared_path("catalog", "keeptrack", "TLE_2018-08-20_keeptrack.json")
                     ).element_sets
    fy = [s for s in sets if (s.name or "").startswith("FENGYUN 1C DEB")
          and 14.0 < s.mean_motion_rev_day < 14.35 and s.eccentricity < 0.01]
    assert len(fy) > 500
    assert sum(s.norad_id in ids for s in fy) > 0.95 * len(fy)
    assert 25730 not in ids  # the payload itself is not debris under this rule
    for r in debris:
        assert 400 <= r["evidence"]["perigee_km"] <= 2000
    # Independent lifetime bound, from the TLE fields alone: the first-derivative
    # field is ndot/2 (rev/day^2), so at today's rate the mean motion climbs from n
    # to that of a circular orbit 200 km up (Kepler's third law, WGS-84 radius and
    # mu: 16.29 rev/day) in (n_200 - n) / (2 * field) days.  Debris and rocket
    # bodies clearly inside 400-2000 km are flagged exactly when that bound is over
    # the rule's 5 years (a band of 4-6.5 years is left out: the rule rounds n_200
    # to 16.2 and may place the perigee slightly differently).
    mu, r_e = 398600.4418, 6378.137
    n_200 = 86400.0 / (2 * np.pi) * np.sqrt(mu / (r_e + 200.0) ** 3)
    long_, short = set(), set()
    for s in sets:
        if s.object_type not in ("DEBRIS", "ROCKET BODY"):
            continue
        a_km = (mu / (2 * np.pi * s.mean_motion_rev_day / 86400.0) ** 2) ** (1 / 3)
        if not 450.0 <= a_km * (1 - s.eccentricity) - r_e <= 1950.0:
            continue
        ndot = s.mean_motion_dot
        years = np.inf if ndot <= 0 else (n_200 - s.mean_motion_rev_day) / (2 * ndot) / 365.25
        if years > 6.5:
            long_.add(s.norad_id)
        elif years < 4.0:
            short.add(s.norad_id)
    assert len(long_) > 1000 and len(short) >= 5, (len(long_), len(short))
    assert long_ <= ids, sorted(long_ - ids)[:10]
    assert not short & ids, sorted(short & ids)[:10]


def _empty(tmp_path):
    p = tmp_path / "none.jsonl"
    p.write_text("")
    return p


def test_bad_rules_file_names_file_rule_and_field(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text("rules:\n  - id: x\n    check: nope\n    severity: high\n    source: s\n")
    with pytest.raises(RulesError, match=r"rules.yaml:3: rule x: field 'check'"):
        load_rules(p)
    res = CliRunner().invoke(app, ["norms", "--events", str(_empty(tmp_path)), "--rules", str(p)])
    assert res.exit_code == 1 and "field 'check'" in res.output


def test_norms_from_the_store_use_its_conjunctions(tmp_path):
    """`orbitwatch norms --db`: the stored conjunctions reach the rules (a stored red
    conjunction turns a manoeuvre into collision avoidance; a stored Pc >= 1e-4 makes
    an approach outside 1 km unsafe)."""
    from datetime import UTC, datetime

    from orbitwatch.store.shared import add_conjunctions

    db, engine = _stored_approach(tmp_path, 3.0)
    before = _judged_from_store(db)
    assert "unsafe-approach" not in before  # 3 km in LEO, no Pc on record
    assert before["unannounced-maneuver-near-foreign-asset"]["severity"] == "medium"
    with engine.begin() as conn:
        add_conjunctions(conn, partner=None, releasable_to="ALL", conjunctions=[
            {"object_1": 1, "object_2": 2, "tca": datetime(2026, 5, 30, 12, tzinfo=UTC),
             "miss_distance_km": 3.0, "relative_speed_km_s": 10.0, "pc": 3e-4},
            {"object_1": 2, "object_2": 9, "tca": datetime(2026, 5, 29, 6, tzinfo=UTC),
             "miss_distance_km": 0.2, "relative_speed_km_s": 10.0}])
    engine.dispose()
    after = _judged_from_store(db)
    assert "Pc 3.00e-04" in after["unsafe-approach"]["summary"]
    ca = after["unannounced-maneuver-near-foreign-asset"]
    assert ca["severity"] == "info" and "collision avoidance" in ca["benign_explanation"]


def test_a_notified_manoeuvre_is_announced_only_near_its_time(tmp_path):
    """Notices from a file (JSON lines or CSV): a notice counts when its planned time is
    within a day of the manoeuvre's gap and it was issued before the manoeuvre."""
    from orbitwatch.norms.rules import read_notices

    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    mnvr = _mnvr()
    prox = _prox("JPN", "CIS", 10.0, after_maneuver=True)
    csv_file = tmp_path / "notices.csv"
    csv_file.write_text("object,time,issued,note\n"
                        "2,2026-05-28T10:00:00Z,2026-05-26T00:00:00Z,planned raise\n"
                        "2,2026-04-01T00:00:00Z,,old\n")
    jsonl = tmp_path / "notices.jsonl"
    jsonl.write_text('{"norad_id": 2, "time": "2026-05-28T10:00:00Z", "issued": "2026-05-29T00:00:00Z"}\n')
    on_time, stale = read_notices(csv_file)
    assert on_time == {"type": "notice", "object": 2, "time": "2026-05-28T10:00:00Z",
                       "issued": "2026-05-26T00:00:00Z", "note": "planned raise"}
    assert evaluate([mnvr, prox], rules, notices=[on_time]) == []
    assert evaluate([mnvr, prox, on_time], rules) == []  # a stored notice event counts too
    assert len(evaluate([mnvr, prox], rules, notices=[stale])) == 1  # a month off: not this one
    late = read_notices(jsonl)  # issued after the manoeuvre: not prior notice
    assert len(evaluate([mnvr, prox], rules, notices=late)) == 1
    other = dict(on_time, object=3)
    assert len(evaluate([mnvr, prox], rules, notices=[other])) == 1


def test_bad_notices_file_names_file_line_and_field(tmp_path):
    from orbitwatch.norms.rules import NoticesError, read_notices

    p = tmp_path / "n.csv"
    p.write_text("object,time\n2,2026-05-28T10:00:00Z\nZARYA,2026-05-28T10:00:00Z\n")
    with pytest.raises(NoticesError, match=r"n\.csv:3: object: not a catalog number"):
        read_notices(p)
    p.write_text("object,time\n2,yesterday\n")
    with pytest.raises(NoticesError, match=r"n\.csv:2: time: not an ISO-8601 time"):
        read_notices(p)
    res = CliRunner().invoke(app, ["norms", "--events", str(_empty(tmp_path)), "--notices", str(p)])
    assert res.exit_code == 1 and "n.csv:2: time" in res.output


def test_notices_contributed_to_the_store_count_for_the_norms(tmp_path):
    """A partner's notice, stored like any event (here through the store; the API's
    POST /events takes kind=notice the same way), makes `norms --db` treat the
    manoeuvre as announced."""
    from datetime import UTC, datetime

    db, engine = _stored_approach(tmp_path, 10.0)
    assert "unannounced-maneuver-near-foreign-asset" in _judged_from_store(db)
    assert CliRunner().invoke(app, ["partner", "add", "JP", "Japan", "--db", db]).exit_code == 0
    # as the service stores a POST /events notice: catalog number and time on the row only
    from orbitwatch.store.shared import add_event

    with engine.begin() as conn:
        add_event(conn, kind="notice", time=datetime(2026, 5, 28, 9, tzinfo=UTC), norad_id=2,
                  title="planned raise", payload=None, partner="JP", releasable_to="ALL")
    engine.dispose()
    assert "unannounced-maneuver-near-foreign-asset" not in _judged_from_store(db)


def test_a_chance_conjunction_stays_a_finding_at_low_severity():
    rules = [r for r in load_rules() if r.id == "unsafe-approach"]
    [f] = evaluate([_prox("US", "PRC", 0.5)], rules)
    assert f.severity == "low" and "chance conjunction" in f.benign_explanation
    [f] = evaluate([_prox("US", "PRC", 0.5, after_maneuver=True)], rules)
    assert f.severity == "medium" and f.benign_explanation is None


def test_a_station_keeping_burn_that_starts_a_drift_is_no_routine_station_keeping():
    # SJ-29A (PRC) burned on 28/29 May 2026 and started drifting along the GEO belt
    # (the real history); the detector calls the burn east-west station-keeping,
    # and only the relocation shows it was not routine
    from orbitwatch.behavior.geo import find_relocations
    from orbitwatch.behavior.maneuvers import detect_maneuvers

    sets = [s for s in read_file(shared_path(
        "tle_history", "celestrak_mirror_2026-05", "geo_history.3le")).element_sets
        if s.norad_id == 67302]
    mnvrs = [dict(m.to_json(), type="maneuver") for m in detect_maneuvers(sets)]
    relocations, _ = find_relocations(sets)
    starts = [r.to_dict() for r in relocations if r.kind == "drift start"]
    assert starts, "the history holds SJ-29A's drift start"
    burn = [m for m in mnvrs if m["gap_end"] <= starts[0]["gap_end"]][-1]
    assert "station-keeping" in burn["kind"]
    prox = {"type": "proximity", "asset": 41793, "asset_owner": "IND", "object": 67302,
            "object_owner": "PRC", "kind": "approach", "range_km": 50.0, "closest_km": 28.0,
            "closest_time": "2026-05-29T20:56:00Z", "first_time": "2026-05-29T18:00:00Z",
            "last_time": "2026-05-30T00:00:00Z", "after_maneuver": True, "trend": "holding near"}
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    [f] = evaluate([burn, prox], rules)  # without the relocation: routine
    assert f.severity == "info"
    [f] = evaluate([burn, prox, *starts], rules)
    assert f.severity == "medium" and f.benign_explanation is None
    assert "started a drift" in f.summary and f.evidence["geo_relocation"]["object"] == 67302
    [f] = evaluate([burn, dict(prox, trend="closing")], rules)  # or a closing trend
    assert f.severity == "medium"


@pytest.mark.parametrize(("params", "message"), [
    ("miss_km_leo: one", r"field 'miss_km_leo': 'one' is not a number"),
    ("miss_km_leo: -1", r"field 'miss_km_leo': -1.0 must be a finite number >= 0"),
    ("mis_km_leo: 1", r"field 'mis_km_leo' is not a parameter of unsafe_approach"),
])
def test_bad_rule_parameters_name_the_rule_and_field(tmp_path, params, message):
    p = tmp_path / "rules.yaml"
    p.write_text("rules:\n  - id: x\n    check: unsafe_approach\n    severity: high\n"
                 f"    source: s\n    params:\n      {params}\n")
    with pytest.raises(RulesError, match=r"rules.yaml:7: rule x: params: " + message):
        load_rules(p)


UNSAFE = ("  - id: unsafe-approach\n    check: unsafe_approach\n    severity: high\n"
          "    source: s\n")


@pytest.mark.parametrize(("text", "message"), [
    # a misspelt params: the defaults would be used without a word
    ("rules:\n" + UNSAFE + "    parms:\n      miss_km_leo: 3\n",
     r"rules.yaml:6: rule unsafe-approach: field 'parms' is not a rule field \(use id, title"),
    # the same id twice: which of the two a finding names would be ambiguous
    ("rules:\n" + UNSAFE + UNSAFE.replace("high", "low"),
     r"rules.yaml:6: rule unsafe-approach: field 'id': 'unsafe-approach' is already the id "
     r"of the rule at line 2"),
    # a field given twice (YAML keeps the last one silently)
    ("rules:\n" + UNSAFE + "    severity: low\n",
     r"rules.yaml:6: rule unsafe-approach: field 'severity' is given twice"),
    ("rules:\n" + UNSAFE + "    params:\n      miss_km_leo: 3\n      miss_km_leo: 4\n",
     r"rules.yaml:8: rule unsafe-approach: params: field 'miss_km_leo' is given twice"),
    ("rules:\n" + UNSAFE.replace("high", "severe"),
     r"rules.yaml:4: rule unsafe-approach: field 'severity': 'severe' is not one of"),
    ("rules:\n  - id: x\n    check: unsafe_approach\n    source: s\n",
     r"rules.yaml:2: rule x: field 'severity' is missing"),
    ("rulez: []\nrules:\n" + UNSAFE, r"rules.yaml:1: field 'rulez' is not known"),
    # a misspelt class: the rule would never fire
    ("rules:\n  - id: asat\n    check: destructive_breakup\n    severity: high\n    source: s\n"
     "    params:\n      classifications: [\"destructive tset\"]\n",
     r"rules.yaml:7: rule asat: params: field 'classifications': 'destructive tset' is not a "
     r"breakup class"),
    ("rules:\n" + UNSAFE + "    in_force_from: last year\n",
     r"rules.yaml:6: rule unsafe-approach: field 'in_force_from': 'last year' is not a date"),
])
def test_rules_file_errors_name_file_line_rule_and_field(tmp_path, text, message):
    p = tmp_path / "rules.yaml"
    p.write_text(text)
    with pytest.raises(RulesError, match=message):
        load_rules(p)
    res = CliRunner().invoke(app, ["norms", "--events", str(_empty(tmp_path)), "--rules", str(p)])
    assert res.exit_code == 1 and re.search(message, " ".join(res.output.split()))


def test_default_rules_load_with_their_parameters():
    rules = {r.id: r for r in load_rules()}
    assert len(rules) == 4
    assert rules["unsafe-approach"].params == {"miss_km_leo": 1.0, "miss_km_deep": 5.0,
                                               "pc_threshold": 1.0e-4}


def test_an_event_record_missing_a_field_names_file_line_and_field(tmp_path):
    p = tmp_path / "ev.jsonl"
    bad = _prox("US", "PRC", 0.5)
    del bad["closest_time"]
    p.write_text(json.dumps(_mnvr()) + "\n" + json.dumps(bad) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p)])
    assert res.exit_code == 1
    assert "ev.jsonl:2: field 'closest_time': missing" in " ".join(res.output.split())


@pytest.mark.parametrize(("field", "value", "message"), [
    ("closest_km", "0.5", "field 'closest_km': '0.5' is not a number"),
    ("asset", "41793", "field 'asset': '41793' is not a catalog number"),
    ("closest_rtn_km", [0.1, 2.0], "field 'closest_rtn_km': [0.1, 2.0] is not three numbers"),
    ("asset_period_min", None, None),
    ("asset_owner", 42, "field 'asset_owner': 42 is not an owner code"),
])
def test_an_event_record_with_a_field_the_rules_cannot_compute_with(tmp_path, field, value, message):
    p = tmp_path / "ev.jsonl"
    p.write_text(json.dumps(dict(_prox("US", "PRC", 0.5), **{field: value})) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p), "--format", "jsonl"])
    if message is None:  # an optional field left empty is fine
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 1
    assert f"ev.jsonl:1: {message}" in " ".join(res.output.split())


def test_an_events_file_that_cannot_be_read_is_one_clear_error(tmp_path):
    """A missing, unreadable or binary --events file stops the command with one
    line naming it, not a traceback."""
    missing = tmp_path / "nope.jsonl"
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00junk")
    for path, why in ((missing, "No such file or directory"), (tmp_path, "Is a directory"),
                      (binary, "can't decode")):
        res = CliRunner().invoke(app, ["norms", "--events", str(path)])
        assert res.exit_code == 1, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        text = " ".join(res.output.split())
        assert f"error: {path}: cannot read events file" in text and why in text, text


def test_events_options_are_checked(tmp_path):
    db = str(tmp_path / "o.db")
    bad_type = CliRunner().invoke(app, ["events", "--db", db, "--type", "maneuvers"])
    assert bad_type.exit_code == 2 and "use one of maneuver," in " ".join(bad_type.output.split())
    bad_since = CliRunner().invoke(app, ["events", "--db", db, "--since", "yesterday"])
    assert bad_since.exit_code == 2 and "--since: 'yesterday' is not an ISO-8601 time" in bad_since.output


def test_an_approach_inside_the_handbooks_screening_volume_is_unsafe():
    rules = [r for r in load_rules() if r.id == "unsafe-approach"]
    leo = {"asset_regime": "LEO", "asset_period_min": 97.0, "asset_perigee_km": 600.0}
    # 600 km perigee: 0.4 x 25 x 25 km
    assert evaluate([_prox("US", "PRC", 20.0, closest_rtn_km=[0.1, 20.0, 0.0], **leo)], rules)
    assert not evaluate([_prox("US", "PRC", 1.2, closest_rtn_km=[0.5, 1.0, 0.4], **leo)], rules)
    # 1,500 km perigee: 0.4 x 2 x 2 km
    high = dict(leo, asset_perigee_km=1500.0)
    assert not evaluate([_prox("US", "PRC", 20.0, closest_rtn_km=[0.1, 20.0, 0.0], **high)], rules)
    # deep space (a day's period): a 10 km sphere, and 5 km for the miss rule
    geo = {"asset_regime": "GEO", "asset_period_min": 1436.0, "asset_perigee_km": 35780.0}
    [f] = evaluate([_prox("US", "PRC", 8.0, closest_rtn_km=[8.0, 0.0, 0.0], **geo)], rules)
    assert "inside its screening volume 10x10x10 km" in f.summary
    assert evaluate([_prox("US", "PRC", 4.0, **geo)], rules)  # no offset given: the 5 km rule
    assert not evaluate([_prox("US", "PRC", 12.0, closest_rtn_km=[0.0, 12.0, 0.0], **geo)], rules)
    # The Handbook's near-Earth table (18/19 SDS Spaceflight Safety Handbook for
    # Satellite Operators, screening volumes by perigee), not the rule's constants:
    # perigee <= 500 km: 0.4 (radial) x 44 (in-track) x 51 (cross-track) km.
    low = dict(leo, asset_perigee_km=400.0)
    # (0.1/0.4)^2 + (40/44)^2 = 0.89 and (0.1/0.4)^2 + (48/51)^2 = 0.95: inside
    assert evaluate([_prox("US", "PRC", 40.0, closest_rtn_km=[0.1, 40.0, 0.0], **low)], rules)
    assert evaluate([_prox("US", "PRC", 48.0, closest_rtn_km=[0.1, 0.0, 48.0], **low)], rules)
    # 0.5 km radial is outside the 0.4 km radial semi-axis whatever the other two
    assert not evaluate([_prox("US", "PRC", 1.1, closest_rtn_km=[0.5, 1.0, 0.0], **low)], rules)
    # the axes are in radial, in-track, cross-track order: 20 km cross-track at a
    # 600 km perigee is inside 0.4 x 25 x 25 ((20/25)^2 = 0.64), 0.6 km radial is not
    assert evaluate([_prox("US", "PRC", 20.0, closest_rtn_km=[0.0, 0.0, 20.0], **leo)], rules)
    assert not evaluate([_prox("US", "PRC", 1.1, closest_rtn_km=[0.6, 0.0, 0.0], **leo)], rules)


def _labelled_store(tmp_path, asset_name="A", object_name="B"):
    """The manoeuvre-then-approach store, its records contributed by JP and
    released to US: the findings judged from them go no wider."""
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.events import store_events

    db = f"sqlite:///{tmp_path / 'n.db'}"
    engine = open_engine(db)
    prox = _prox("JPN", "CIS", 0.4, after_maneuver=True, asset_name=asset_name,
                 object_name=object_name, last_time="2026-05-30T12:00:00Z", trend="closing")
    store_events(engine, [_mnvr(), prox], partner="JP", releasable_to="US")
    engine.dispose()
    return db


def _jsonl(res) -> list[dict]:
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def test_norms_jsonl_findings_carry_their_label_and_stored_id(tmp_path):
    db = _labelled_store(tmp_path)
    args = ["norms", "--db", db, "--partner", "US", "--releasable-to", "ALL", "--format", "jsonl"]
    # not stored: the label each finding would be stored with (US's, released no
    # wider than its JP-to-US inputs: to nobody but US and JP), and no id
    judged = _jsonl(CliRunner().invoke(app, args))
    assert {f["rule"] for f in judged} >= {"unsafe-approach"}
    for f in judged:
        assert f["partner"] == "US" and f["releasable_to"] == "JP" and "id" not in f
    # stored: the stored label and id, as `events` gives them
    stored = _jsonl(CliRunner().invoke(app, [*args, "--store"]))
    listed = {r["id"]: r for r in _jsonl(CliRunner().invoke(
        app, ["events", "--db", db, "--type", "finding", "--format", "jsonl"]))}
    assert len(stored) == len(judged) == len(listed)
    for f in stored:
        row = listed[f["id"]]
        assert (f["partner"], f["releasable_to"]) == (row["partner"], row["releasable_to"])
        assert f["rule"] == row["rule"] and f["summary"] == row["summary"]
    # stored again: the same ids
    again = _jsonl(CliRunner().invoke(app, [*args, "--store"]))
    assert [f["id"] for f in again] == [f["id"] for f in stored]


def test_jsonl_output_is_the_records_byte_for_byte(tmp_path):
    # names with what rich would take for markup ([...]) and emoji codes (:name:)
    asset, obj = "SAT [bold]A[/bold] :rocket:", "DEB :smile: [red]"
    db = _labelled_store(tmp_path, asset_name=asset, object_name=obj)
    res = CliRunner().invoke(app, ["events", "--db", db, "--type", "proximity", "--format", "jsonl"])
    [rec] = _jsonl(res)
    assert (rec["asset_name"], rec["object_name"]) == (asset, obj)
    assert res.stdout == json.dumps(rec) + "\n"
    res = CliRunner().invoke(app, ["norms", "--db", db, "--partner", "US", "--format", "jsonl"])
    found = _jsonl(res)
    assert res.stdout == "".join(json.dumps(f) + "\n" for f in found)
    assert any(asset in f["summary"] or obj in f["summary"] for f in found)


def test_judging_event_files_with_no_store_named_opens_no_database(tmp_path, monkeypatch):
    # partners judge exported event files on a laptop: nothing may be created
    # behind their back (the default store lives in the user data directory)
    monkeypatch.delenv("ORBITWATCH_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from orbitwatch.store.db import default_db_path
    assert str(default_db_path()).startswith(str(tmp_path))
    p = tmp_path / "ev.jsonl"
    p.write_text(json.dumps(_mnvr()) + "\n" + json.dumps(_prox("US", "PRC", 0.5)) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p), "--partner", "US",
                                   "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    found = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert found and all(f["partner"] == "US" for f in found)
    # nothing in a store vouches for the file's objects: the findings stay with US
    assert all(f["releasable_to"] == "US" for f in found)
    assert not default_db_path().exists()


def test_an_approach_under_sustained_thrust_is_a_manoeuvre_near_a_foreign_asset():
    """A low-thrust approach thrusts as it closes in: a sustained-thrust arc
    (detect maneuvers' evidence.sustained_thrust) that began before the
    approach and still runs through it is the approaching manoeuvre; an
    impulsive event whose gap straddles the approach is not (it may have come
    after it)."""
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    prox = _prox("JPN", "CIS", 10.0)
    arc = dict(_mnvr(), gap_start="2026-05-29T00:00:00Z", gap_end="2026-05-31T00:00:00Z",
               epoch_estimate="2026-05-29T04:00:00Z",
               evidence={"sustained_thrust": {"direction": "raising", "rate_km_day": 12.0}})
    [f] = evaluate([arc, prox], rules)
    assert f.severity == "medium" and f.time.isoformat().startswith("2026-05-29T04:00")
    straddling = {k: v for k, v in arc.items() if k != "evidence"}
    assert evaluate([straddling, prox], rules) == []
    notice = [{"object": 2, "time": "2026-05-29T00:00:00Z", "issued": "2026-05-20T00:00:00Z"}]
    assert evaluate([arc, prox], rules, notices=notice) == []


def test_a_pending_manoeuvre_before_an_approach_says_it_is_unconfirmed():
    """A step in an object's newest element sets is reported as pending
    (detect maneuvers' evidence.pending) until later sets confirm it.  Before an
    approach to another nation's asset it still counts as the manoeuvre, and
    the finding says it is unconfirmed and on how many sets it rests."""
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    prox = _prox("JPN", "CIS", 10.0)
    pending = dict(_mnvr(), evidence={"pending": {"sets_after": 1, "note": "newest sets"}})
    [f] = evaluate([pending, prox], rules)
    assert "pending: 1 element set(s) after it, unconfirmed" in f.summary
    [g] = evaluate([_mnvr(), prox], rules)
    assert "pending" not in g.summary


def test_stored_findings_follow_the_records_they_were_judged_from(tmp_path):
    """A finding stored by ``norms --store`` names the stored records it was
    judged from; when a later run replaces one of them (the approach re-derived
    40 km out, outside every volume), judging the store again supersedes the
    finding instead of leaving it beside the new judgement.  A finding a person
    posted is never superseded."""
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.events import store_events, supersede_events
    from orbitwatch.store.shared import add_event

    db = f"sqlite:///{tmp_path / 'n.db'}"
    engine = open_engine(db)
    near = _prox("JPN", "CIS", 0.4, after_maneuver=True, asset_name="A", object_name="B",
                 last_time="2026-05-30T12:00:00Z", trend="closing")
    ids: list[int] = []
    store_events(engine, [_mnvr(), near], ids=ids, origin="run", revise=True)
    with engine.begin() as conn:
        posted = add_event(conn, kind="finding", time=datetime(2026, 5, 29, tzinfo=UTC), partner=None,
                           releasable_to="ALL", norad_id=2,
                           payload={"rule": "unsafe-approach", "inputs": [f"event:{ids[1]}"]})
    args = ["norms", "--db", db, "--format", "jsonl", "--store"]
    first = _jsonl(CliRunner().invoke(app, args))
    (unsafe,) = [f for f in first if f["rule"] == "unsafe-approach"]
    assert f"event:{ids[1]}" in unsafe["inputs"]

    far = dict(near, closest_km=40.0, closest_rtn_km=[0.0, 40.0, 0.0])
    ids2: list[int] = []
    with engine.begin() as conn:
        store_events(conn, [_mnvr(), far], ids=ids2, origin="run", revise=True)
        assert ids2[0] == ids[0] and ids2[1] != ids[1]  # the manoeuvre unchanged, the approach revised
        gone = supersede_events(conn, partner=None, origins=("run",), current=ids2,
                                in_scope=lambda r: r["kind"] in ("maneuver", "proximity"))
    assert gone == {ids[1]: ids2[1]}
    second = _jsonl(CliRunner().invoke(app, args))
    assert not [f for f in second if f["rule"] == "unsafe-approach"]
    listed = _jsonl(CliRunner().invoke(app, ["events", "--db", db, "--type", "finding", "--format", "jsonl"]))
    assert unsafe["id"] not in {r["id"] for r in listed} and posted in {r["id"] for r in listed}
    every = {r["id"]: r for r in _jsonl(CliRunner().invoke(
        app, ["events", "--db", db, "--type", "finding", "--format", "jsonl", "--superseded"]))}
    assert every[unsafe["id"]]["superseded_at"] and "superseded_at" not in every[posted]
    # judged again: nothing new, nothing more superseded
    again = _jsonl(CliRunner().invoke(app, args))
    assert sorted(f["id"] for f in again) == sorted(f["id"] for f in second)
    engine.dispose()


def _while_judging(monkeypatch, write) -> list[int]:
    """Make the norms' first judgement call ``write()`` (another process
    committing) after it read the store; returns the list of calls made."""
    import orbitwatch.norms.rules as rules_mod

    real_evaluate = rules_mod.evaluate
    calls: list[int] = []

    def evaluate_then_write(*a, **k):
        calls.append(1)
        found = real_evaluate(*a, **k)
        if len(calls) == 1:
            write()
        return found

    monkeypatch.setattr(rules_mod, "evaluate", evaluate_then_write)
    return calls


def test_norms_judge_again_when_a_run_revises_what_they_read(tmp_path, monkeypatch):
    """A run that revises the approach after ``norms --store`` read the store and
    before it stored: the norms see the store changed, store nothing of that
    judgement and judge again, so the unsafe-approach finding judged from the
    withdrawn approach is never stored beside the new judgement."""
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.events import store_events, supersede_events

    db = f"sqlite:///{tmp_path / 'n.db'}"
    engine = open_engine(db)
    near = _prox("JPN", "CIS", 0.4, after_maneuver=True, asset_name="A", object_name="B",
                 last_time="2026-05-30T12:00:00Z", trend="closing")
    ids: list[int] = []
    store_events(engine, [_mnvr(), near], ids=ids, origin="run", revise=True)

    def a_run_commits():  # the run: the approach re-derived 40 km out
        far = dict(near, closest_km=40.0, closest_rtn_km=[0.0, 40.0, 0.0])
        ids2: list[int] = []
        with engine.begin() as conn:
            store_events(conn, [_mnvr(), far], ids=ids2, origin="run", revise=True)
            supersede_events(conn, partner=None, origins=("run",), current=ids2,
                             in_scope=lambda r: r["kind"] in ("maneuver", "proximity"))

    calls = _while_judging(monkeypatch, a_run_commits)
    res = CliRunner().invoke(app, ["norms", "--db", db, "--format", "jsonl", "--store"])
    assert res.exit_code == 0, res.output
    assert len(calls) == 2 and "judging again" in res.stderr
    listed = _jsonl(CliRunner().invoke(
        app, ["events", "--db", db, "--type", "finding", "--format", "jsonl", "--superseded"]))
    assert listed and not [f for f in listed if f["rule"] == "unsafe-approach"]
    engine.dispose()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("classification", "Destructive Test", "field 'classification': 'Destructive Test' is not one of"),
    ("fragments", "many", "field 'fragments': 'many' is not a count of fragments"),
    ("owner", 42, "field 'owner': 42 is not an owner code"),
])
def test_a_breakup_record_the_rules_cannot_judge_names_file_line_and_field(tmp_path, field, value, message):
    """A class in another spelling would never meet the rule; a count in words would
    be printed into the finding: both are refused, naming the file, line and field."""
    p = tmp_path / "b.jsonl"
    rec = {"type": "breakup", "parent": 13552, "owner": "CIS", "classification": "destructive test",
           "fragments": 103, "epoch_estimate": "2021-11-15T02:45:32Z"}
    p.write_text(json.dumps(_mnvr()) + "\n" + json.dumps(dict(rec, **{field: value})) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p)])
    assert res.exit_code == 1
    assert f"b.jsonl:2: {message}" in " ".join(res.output.split())


def test_fragments_with_no_satcat_entry_are_debris_of_their_parents_owner():
    """The Fengyun-1C cloud as a 2021 element-set file gives it (no SATCAT type or
    owner on any set): the pieces are debris by their catalog names ("FENGYUN 1C
    DEB"), owned by the parent's owner through the breakup record, and each finding
    names the element set it rests on (file and line)."""
    from orbitwatch.norms.rules import catalog_rows

    path = shared_path("events", "fengyun1c_asat", "1999-025_2021-10-02_marcovivar.txt")
    sets = read_file(path).element_sets
    assert not any(s.object_type or s.owner for s in sets)
    [cloud] = [b.to_dict() for b in find_breakups(sets, owners={25730: "PRC"})]
    assert cloud["parent"] == 25730 and cloud["owner"] == "PRC"
    newest: dict[int, object] = {}
    for s in sets:
        if s.norad_id not in newest or s.epoch > newest[s.norad_id].epoch:
            newest[s.norad_id] = s
    rules = [r for r in load_rules() if r.id == "long-lived-leo-debris"]
    found = evaluate([cloud], rules, catalog=catalog_rows(newest.values()))
    # most of the cloud (perigees 400-2000 km, slow decay); not the parent payload
    assert len(found) > 0.9 * len(cloud["fragment_ids"]) and 25730 not in {f.responsible for f in found}
    assert {f.responsible_owner for f in found} == {"PRC"}
    f = found[0]
    assert f.evidence["owner_from_breakup_of"] == 25730
    assert f.evidence["object_type"] == "DEBRIS (from the name)"
    ref = f.evidence["element_set"]
    assert ref["source"] == path.name and ref["source_line"] > 0
    record = path.read_text().splitlines()[ref["source_line"] - 1:ref["source_line"] + 2]
    assert record[0].startswith("FENGYUN 1C DEB") and record[1].startswith(f"1 {f.responsible}")
    # without the breakup record the pieces are still debris, owner unknown
    assert {g.responsible_owner for g in evaluate([], rules, catalog=catalog_rows(newest.values()))} == {None}


def test_an_approachs_own_manoeuvre_flag_yields_to_the_manoeuvres_judged():
    """A stored approach keeps ``after_maneuver`` from the run that found it; when a
    later run withdrew that manoeuvre, the manoeuvres judged (the store's current
    ones) decide, not the flag.  With no manoeuvre records judged at all (an
    approach file alone), the flag is all there is.  A burn during the approach,
    before its closest point, counts as one before it."""
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    prox = _prox("JPN", "CIS", 10.0, after_maneuver=True, first_time="2026-05-30T00:00:00Z",
                 closest_time="2026-05-30T12:00:00Z")
    assert len(evaluate([prox], rules)) == 1  # the flag alone
    long_before = dict(_mnvr(), gap_start="2026-04-01T00:00:00Z", gap_end="2026-04-02T00:00:00Z",
                       epoch_estimate="2026-04-01T12:00:00Z")
    assert evaluate([long_before, prox], rules) == []  # the object's burns are known: none near
    # manoeuvres were searched (another object's found), none of this object's: no flag either
    assert evaluate([dict(long_before, object=99), prox], rules) == []
    during = dict(_mnvr(), gap_start="2026-05-30T02:00:00Z", gap_end="2026-05-30T06:00:00Z",
                  epoch_estimate="2026-05-30T04:00:00Z")
    [f] = evaluate([long_before, during, prox], rules)
    assert f.evidence["maneuver"] is during


def test_the_norms_judge_by_the_owners_the_acting_partner_may_see(tmp_path):
    # A public destructive-test breakup naming no owner; only JP's SATCAT row,
    # released to JP alone, says who owns the parent.  US's judgement (and a
    # host's) cannot accuse anyone; JP's can, and its finding goes to JP alone.
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.events import store_events
    from tests.store.test_object_facts import satcat

    db = f"sqlite:///{tmp_path / 'n.db'}"
    engine = open_engine(db)
    store_events(engine, [{"type": "breakup", "parent": 13552, "owner": None,
                           "classification": "destructive test", "fragments": 103,
                           "epoch_estimate": "2022-11-15T02:45:32Z"}])
    engine.dispose()
    sat = tmp_path / "jp_satcat.csv"
    sat.write_text(satcat("COSMOS 1408", norad_id=13552, owner="CIS", intl="1982-092A"))
    res = CliRunner().invoke(app, ["ingest", "--db", db, str(sat), "--quiet", "--partner", "JP",
                                   "--releasable-to", "JP"])
    assert res.exit_code == 0, res.output

    def judged(*partner: str) -> list[dict]:
        res = CliRunner().invoke(app, ["norms", "--db", db, *partner, "--releasable-to", "ALL",
                                       "--format", "jsonl"])
        return [f for f in _jsonl(res) if f["rule"] == "destructive-asat-test"]

    assert judged("--partner", "US") == [] and judged() == []
    [f] = judged("--partner", "JP")
    assert f["responsible_owner"] == "CIS"
    assert (f["partner"], f["releasable_to"]) == ("JP", "JP")


def test_one_manoeuvre_and_one_asset_make_one_finding_however_many_windows():
    """A pair that passes each day after one manoeuvre has one approach record per
    day's window: that is one act, one finding (the closest approach, all of them
    named in ``approaches`` and its inputs), not one a day.  A second manoeuvre
    before a later approach is a second finding."""
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    days = [_prox("JPN", "CIS", km, after_maneuver=True, first_time=f"2026-05-{d}T00:00:00Z",
                  closest_time=f"2026-05-{d}T12:00:00Z", last_time=f"2026-05-{d}T23:00:00Z")
            for d, km in ((29, 30.0), (30, 12.0), (31, 20.0))]
    [f] = evaluate([_mnvr(), *days], rules)
    assert f.evidence["proximity"] is days[1] and "12.0 km" in f.summary
    assert [a["closest_km"] for a in f.evidence["approaches"]] == [30.0, 12.0, 20.0]
    assert all(any(x is d for x in f.inputs) for d in days)
    second = dict(_mnvr(), gap_start="2026-05-30T13:00:00Z", gap_end="2026-05-30T20:00:00Z",
                  epoch_estimate="2026-05-30T16:00:00Z")
    found = evaluate([_mnvr(), second, *days], rules)
    assert sorted(f.evidence["maneuver"]["gap_end"] for f in found) == [
        "2026-05-29T00:00:00Z", "2026-05-30T20:00:00Z"]


def test_copies_of_one_approach_are_one_and_the_widest_released_is_cited():
    """The same approach stored by US (releasable to ALL) and by JP (to JP only),
    both judged again by a run: one finding, citing the copy that narrows it least,
    not both (which would release it to JP only)."""
    rules = [r for r in load_rules() if r.id == "unannounced-maneuver-near-foreign-asset"]
    base = _prox("JPN", "CIS", 10.0, after_maneuver=True, first_time="2026-05-30T00:00:00Z",
                 closest_time="2026-05-30T12:00:00Z")
    jp = dict(base, partner="JP", releasable_to="JP")
    us = dict(base, partner="US", releasable_to="ALL")
    [f] = evaluate([_mnvr(), jp, us], rules)
    cited = [x for x in f.inputs if x.get("type") == "proximity"]
    assert len(cited) == 1 and cited[0] is us


def test_a_fragment_with_its_own_owner_does_not_cite_the_breakup():
    """The breakup is an input of a debris finding only when the owner came from it:
    a piece the SATCAT attributes is judged from its own row alone (a breakup
    released more narrowly would otherwise narrow, or withdraw, the finding)."""
    rules = [r for r in load_rules() if r.id == "long-lived-leo-debris"]
    row = {"norad_id": 31000, "name": "FENGYUN 1C DEB", "object_type": None, "owner": None,
           "perigee_km": 800.0, "apogee_km": 900.0, "mean_motion_rev_day": 14.2,
           "mean_motion_dot": 1e-6, "epoch": "2021-09-01T00:00:00Z"}
    cloud = {"type": "breakup", "parent": 25730, "owner": "PRC", "classification": "undetermined",
             "fragment_ids": [31000]}
    [inherited] = evaluate([cloud], rules, catalog=[row])
    assert inherited.responsible_owner == "PRC" and cloud in inherited.inputs
    [own] = evaluate([cloud], rules, catalog=[dict(row, owner="PRC")])
    assert own.inputs == (dict(row, owner="PRC"),) and "owner_from_breakup_of" not in own.evidence


def test_norms_judge_again_when_a_conjunction_is_restored_with_another_pc(tmp_path, monkeypatch):
    """A conjunction re-stored with a new Pc while ``norms --store`` judged (a rerun's
    screening updates the stored row in place: no new id): the judgement read Pc
    3e-4, the store now holds 1e-7; the norms judge again and store no unsafe
    approach resting on the old Pc."""
    from datetime import UTC, datetime

    from orbitwatch.store.shared import add_conjunctions

    db, engine = _stored_approach(tmp_path, 3.0)
    conj = {"object_1": 1, "object_2": 2, "tca": datetime(2026, 5, 30, 12, tzinfo=UTC),
            "miss_distance_km": 3.0, "relative_speed_km_s": 10.0, "pc": 3e-4}
    with engine.begin() as conn:
        add_conjunctions(conn, partner=None, releasable_to="ALL", conjunctions=[conj])

    def the_pc_changes():
        with engine.begin() as conn:
            add_conjunctions(conn, partner=None, releasable_to="ALL",
                             conjunctions=[dict(conj, pc=1e-7)])

    calls = _while_judging(monkeypatch, the_pc_changes)
    res = CliRunner().invoke(app, ["norms", "--db", db, "--format", "jsonl", "--store"])
    assert res.exit_code == 0, res.output
    assert len(calls) == 2 and "judging again" in res.stderr
    stored = _jsonl(CliRunner().invoke(app, ["events", "--db", db, "--type", "finding", "--format", "jsonl"]))
    assert stored and not [f for f in stored if f["rule"] == "unsafe-approach"]
    engine.dispose()


def test_several_files_after_one_norms_option(tmp_path):
    """`norms --catalog A B` reads both (as `detect breakups --catalog A B` does); with
    two file options given, a bare word could follow either: a clear error, exit 2."""
    p1, p2 = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    p1.write_text(json.dumps(_prox("US", "PRC", 0.5)) + "\n")
    p2.write_text(json.dumps(_prox("JPN", "CIS", 0.4, asset=3, object=4)) + "\n")
    res = CliRunner().invoke(app, ["norms", "--events", str(p1), str(p2), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert {json.loads(x)["affected"] for x in res.stdout.splitlines()} == {1, 3}
    bad = CliRunner().invoke(app, ["norms", "--events", str(p1), "--notices", str(p1), str(p2)])
    assert bad.exit_code == 2 and "name each file with its option" in " ".join(bad.output.split())
