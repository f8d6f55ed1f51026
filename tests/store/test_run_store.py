"""``orbitwatch run`` against the store: reruns add nothing, and what a run
derives (conjunctions, events, findings) is stored all together or not at all.

Input: the space stations' 2026-05 element-set history (CelesTrak mirror, 442
sets of a few dozen objects: the ISS, Tiangong and their visiting vehicles),
screened for 2 h at 20 km.  On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.conftest import shared_path

runner = CliRunner()

STATIONS = ("tle_history", "celestrak_mirror_2026-05", "stations_history.3le")


def _run(db_url: str, *extra: str):
    return runner.invoke(app, ["run", "--catalog", str(shared_path(*STATIONS)), "--db", db_url,
                               "--hours", "2", "--threshold-km", "20", "--format", "json",
                               "--quiet", *extra])


def _counts(db_url: str) -> dict[str, int]:
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.models import element_sets_table
    from orbitwatch.store.shared_models import conjunctions_table, events_table

    engine = open_engine(db_url)
    with engine.connect() as conn:
        n = {name: conn.execute(select(func.count()).select_from(t)).scalar()
             for name, t in (("sets", element_sets_table), ("conjunctions", conjunctions_table),
                             ("events", events_table))}
    engine.dispose()
    return n


def test_rerunning_run_stores_no_conjunction_twice(db_url):
    label = ["--partner", "US", "--releasable-to", "US,UK"]
    res = _run(db_url, *label)
    assert res.exit_code == 0, res.output
    first = _counts(db_url)
    screened = json.loads(res.stdout)["screening"]["conjunctions"]
    assert first["conjunctions"] == screened > 0 and first["events"] > 0
    res = _run(db_url, *label)
    assert res.exit_code == 0, res.output
    assert _counts(db_url) == first  # nothing added: sets, conjunctions, events
    # another release is another record: that run stores its own copy
    res = _run(db_url, "--partner", "US", "--releasable-to", "US")
    assert res.exit_code == 0, res.output
    assert _counts(db_url)["conjunctions"] == 2 * screened


def test_add_conjunctions_is_idempotent_on_pair_tca_source_and_label(engine):
    from orbitwatch.store.catalog import ensure_partner
    from orbitwatch.store.shared import add_conjunctions, add_derived_conjunctions
    from orbitwatch.store.shared_models import conjunctions_table

    tca = datetime(2026, 5, 20, 12, 0, 0, 123000, tzinfo=UTC)

    def conj(t, a=25544, b=48274):
        return {"object_1": a, "object_2": b, "tca": t, "miss_distance_km": 3.2,
                "relative_speed_km_s": 9.1}

    with engine.begin() as conn:
        ensure_partner(conn, "US")
        [first] = add_conjunctions(conn, conjunctions=[conj(tca)], partner="US", releasable_to="ALL")
        # the same approach again, its TCA refined 0.3 s apart: the stored one
        assert add_conjunctions(conn, conjunctions=[conj(tca + timedelta(seconds=0.3))],
                                partner="US", releasable_to="ALL") == [first]
        # the pair named the other way round is the same pair
        assert add_conjunctions(conn, conjunctions=[conj(tca, 48274, 25544)],
                                partner="US", releasable_to="ALL") == [first]
        # a later approach of the pair, another release, another job: each new
        others = [
            add_conjunctions(conn, conjunctions=[conj(tca + timedelta(seconds=5))],
                             partner="US", releasable_to="ALL"),
            add_conjunctions(conn, conjunctions=[conj(tca)], partner="US", releasable_to="US"),
            add_conjunctions(conn, conjunctions=[conj(tca)], partner="US", releasable_to="ALL",
                             screening_id=7),
        ]
        assert len({first, *(i for ids in others for i in ids)}) == 4
        # a job run again (the service's path) stores its conjunctions once
        stored, _ = add_derived_conjunctions(conn, conjunctions=[conj(tca)], partner="US",
                                             releasable_to="ALL", screening_id=7)
        assert [cid for cid, _ in stored] == others[2]
        n = conn.execute(select(func.count()).select_from(conjunctions_table)).scalar()
    assert n == 4


def _abort_event_inserts(db_url: str) -> None:
    """A trigger that fails every insert of a manoeuvre event, as a full disk or a
    lost connection would fail the run's last writes."""
    from orbitwatch.store.db import open_engine

    engine = open_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER boom BEFORE INSERT ON events "
                              "WHEN NEW.kind = 'maneuver' BEGIN SELECT RAISE(ABORT, 'boom'); END"))
        else:
            conn.execute(text("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER boom BEFORE INSERT ON events FOR EACH ROW "
                              "WHEN (NEW.kind = 'maneuver') EXECUTE FUNCTION boom()"))
    engine.dispose()


def test_run_that_fails_to_store_its_events_stores_none_of_its_derived_records(db_url):
    _abort_event_inserts(db_url)
    res = _run(db_url, "--partner", "US")
    assert res.exit_code == 1
    # one clear line: the cause, what stays stored; no traceback, SQL or parameters
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1, res.output
    assert lines[0].startswith("error: run stopped, database error (")
    assert "boom" in lines[0] and "stations_history.3le" in lines[0]
    assert "INSERT" not in res.output and "parameters" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    n = _counts(db_url)
    # the ingest committed (one transaction per file, as documented); nothing derived did
    assert n["sets"] > 400 and n["conjunctions"] == 0 and n["events"] == 0


def test_a_fresher_assessment_of_a_stored_approach_replaces_it(engine):
    # a rerun on fresher element sets finds the same approach (TCA 0.4 s later)
    # nearer and riskier: the store and the norms must see the new numbers, not
    # keep the stale ones under the old id
    from orbitwatch.store.catalog import ensure_partner
    from orbitwatch.store.shared import add_conjunctions
    from orbitwatch.store.shared_models import conjunctions_table as ct

    tca = datetime(2026, 5, 10, 12, 0, 0, tzinfo=UTC)

    def conj(t, miss, pc):
        return {"object_1": 25544, "object_2": 48274, "tca": t, "miss_distance_km": miss,
                "relative_speed_km_s": 10.0, "pc": pc, "pc_method": "foster-2d"}

    with engine.begin() as conn:
        ensure_partner(conn, "US")
        [first] = add_conjunctions(conn, conjunctions=[conj(tca, 4.8, 1e-7)], partner="US",
                                   releasable_to="ALL")
    with engine.begin() as conn:
        again = add_conjunctions(conn, conjunctions=[conj(tca + timedelta(seconds=0.4), 0.15, 3e-4)],
                                 partner="US", releasable_to="ALL")
    assert again == [first]
    with engine.connect() as conn:
        rows = conn.execute(select(ct.c.id, ct.c.miss_distance_km, ct.c.pc)).all()
    assert [tuple(r) for r in rows] == [(first, 0.15, 3e-4)]
