"""Records derived from shared element sets (events, findings, conjunctions) go
only to those who may see every set they came from, and each partner's own
results are stored for it even when another partner stored the same ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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
