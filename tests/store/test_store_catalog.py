"""The catalog store on SQLite and PostgreSQL: schema, ingest, queries, releasability.

Each test runs once per backend (``db_url`` fixture).  Element sets come from
real public data (keeptrack's 2018-08-20 catalog, the CelesTrak 2017 SATCAT,
the Starlink TLE history) read by ``orbitwatch.elements.read_file``; expected
values are computed independently in the tests (plain-Python newest-per-object
scans, sgp4's own ``Satrec`` perigee/apogee).
"""

from __future__ import annotations

import dataclasses
import itertools
import lzma
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sgp4.api import WGS72, Satrec
from sqlalchemy import func, inspect, select, text

from orbitwatch.elements import ParseResult, RecordError, read_file
from orbitwatch.store import catalog
from orbitwatch.store.db import current_revision, open_engine
from orbitwatch.store.models import (
    Base,
    element_sets_table,
    ingests_table,
    objects_table,
    partners_table,
)
from tests.conftest import shared_path
from tests.store.conftest import write_keeptrack_subset

R_WGS72_KM = 6378.135  # sgp4's radiusearthkm for WGS-72


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _es_from_tle(name: str, line1: str, line2: str, **meta):
    """An ElementSet built from sgp4's own parse of a TLE (independent of our reader)."""
    from orbitwatch.elements import ElementSet

    sat = Satrec.twoline2rv(line1, line2, WGS72)
    jd = sat.jdsatepoch + sat.jdsatepochF
    epoch = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=round((sat.jdsatepoch - 2440587.5) * 86400e6 + sat.jdsatepochF * 86400e6)
    )
    assert abs(jd) > 0
    xpdotp = 1440.0 / (2.0 * math.pi)
    return ElementSet(
        norad_id=sat.satnum,
        epoch=epoch,
        mean_motion_rev_day=sat.no_kozai * xpdotp,
        eccentricity=sat.ecco,
        inclination_deg=math.degrees(sat.inclo),
        raan_deg=math.degrees(sat.nodeo),
        arg_perigee_deg=math.degrees(sat.argpo),
        mean_anomaly_deg=math.degrees(sat.mo),
        bstar=sat.bstar,
        name=name,
        line1=line1,
        line2=line2,
        **meta,
    )


ISS_1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


# ---------------------------------------------------------------------------
# schema


def test_migrations_create_schema_matching_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from orbitwatch.store.db import ALEMBIC_DIR

    engine = open_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"partners", "objects", "element_sets", "ingests", "alembic_version"} <= tables
        heads = tuple(sorted(ScriptDirectory(str(ALEMBIC_DIR)).get_heads()))
        assert current_revision(engine) == heads
        # the migrations and the models describe the same schema (for the catalog
        # tables; other areas' tables are checked by their own tests)
        _import_all_model_modules()
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        mine = {"partners", "objects", "element_sets", "ingests", "object_facts"}
        assert [d for d in diffs if _diff_table(d) in mine] == []
        uniques = inspect(engine).get_unique_constraints("element_sets")
        assert any(set(u["column_names"]) == {"norad_id", "epoch", "source"} for u in uniques)
    finally:
        engine.dispose()
    # opening again is a no-op (already at head)
    engine = open_engine(db_url)
    assert current_revision(engine) == heads
    engine.dispose()


def _import_all_model_modules() -> None:
    import importlib
    import pkgutil

    import orbitwatch.store as store_pkg

    for mod in pkgutil.iter_modules(store_pkg.__path__):
        if "models" in mod.name:
            importlib.import_module(f"orbitwatch.store.{mod.name}")


def _diff_table(diff) -> str | None:
    """The table a compare_metadata diff entry is about."""
    if isinstance(diff, list):  # column modifications come as lists of tuples
        return diff[0][2]
    obj = diff[1]
    if hasattr(obj, "table") and obj.table is not None:
        return obj.table.name
    if hasattr(obj, "name") and diff[0] in ("add_table", "remove_table"):
        return obj.name
    return diff[2] if len(diff) > 2 and isinstance(diff[2], str) else None


# ---------------------------------------------------------------------------
# ingest


def test_ingest_counts_and_reingest_adds_nothing(engine, keeptrack_3le):
    result = read_file(keeptrack_3le)
    assert len(result.element_sets) == 300 and not result.errors
    counts = catalog.ingest_parse_result(engine, result)
    assert (counts.read, counts.new, counts.duplicate, counts.rejected) == (300, 300, 0, 0)
    assert _count(engine, element_sets_table) == 300
    assert _count(engine, objects_table) == len({s.norad_id for s in result.element_sets})

    again = catalog.ingest_parse_result(engine, read_file(keeptrack_3le))
    assert (again.read, again.new, again.duplicate, again.rejected) == (300, 0, 300, 0)
    assert again.nothing_new
    assert _count(engine, element_sets_table) == 300
    with engine.connect() as conn:
        log = catalog.ingest_log(conn)
    assert [(r["new"], r["duplicate"]) for r in log] == [(0, 300), (300, 0)]

    # another source keeps its own copy of the same epochs (key is object, epoch, source)
    other = catalog.ingest_parse_result(engine, result, source="spacetrack")
    assert other.new == 300
    assert _count(engine, element_sets_table) == 600


def test_duplicates_within_one_file(engine, keeptrack_3le):
    sets = read_file(keeptrack_3le).element_sets[:5]
    result = ParseResult(file="dups.3le", format="3le", element_sets=[*sets, sets[0], sets[3]])
    counts = catalog.ingest_parse_result(engine, result)
    assert (counts.read, counts.new, counts.duplicate) == (7, 5, 2)
    assert _count(engine, element_sets_table) == 5


def test_same_epoch_fits_in_one_file_keep_the_one_readers_take(engine):
    """The 2026-05 GEO mirror publishes two different fits of one object at one
    epoch (Telkom 1, 19548, on 28 May: lines 37 and 40).  Reading the file, the
    later is in force (newest_per_object: equal set numbers, the later read);
    the ingest kept the first, so proximity from the file and from the store
    differed.  The store now keeps the one the readers take."""
    from orbitwatch.elements import newest_per_object

    sets = [s for s in read_file(shared_path("tle_history", "celestrak_mirror_2026-05",
                                             "geo_history.3le")).element_sets
            if s.norad_id in (19548, 20253)]
    twins = {}
    for s in sets:
        twins.setdefault((s.norad_id, s.epoch), []).append(s)
    differ = [v for v in twins.values() if len(v) > 1
              and len({(x.mean_motion_rev_day, x.eccentricity, x.raan_deg) for x in v}) > 1]
    assert len(differ) >= 3
    catalog.ingest_parse_result(engine, ParseResult(file="geo.3le", format="3le", element_sets=sets))
    with engine.connect() as conn:
        stored = {(nid, s.element_set.epoch): s.element_set
                  for nid in (19548, 20253) for s in catalog.history(conn, nid)}
    for v in differ:
        (want,) = newest_per_object(v)
        got = stored[(want.norad_id, want.epoch)]
        assert (got.mean_motion_rev_day, got.eccentricity, got.raan_deg, got.mean_anomaly_deg) == (
            want.mean_motion_rev_day, want.eccentricity, want.raan_deg, want.mean_anomaly_deg)
        assert want is v[-1]


def test_bad_records_rejected_others_kept(engine, tmp_path, keeptrack_3le):
    lines = keeptrack_3le.read_text().splitlines()
    # corrupt the checksum of the 2nd record's line 2 (file line 6)
    bad = lines[5][:-1] + str((int(lines[5][-1]) + 1) % 10)
    lines[5] = bad
    # truncate the 4th record's line 1 (file line 11)
    lines[10] = lines[10][:40]
    path = tmp_path / "bad.3le"
    path.write_text("\n".join(lines) + "\n")

    result = read_file(path)
    counts = catalog.ingest_parse_result(engine, result)
    assert counts.rejected == 2
    assert counts.new == 298
    assert _count(engine, element_sets_table) == 298
    # each message names the file and a line of the offending record (lines 4-6, 10-12)
    where = sorted(e.line for e in counts.errors)
    assert 4 <= where[0] <= 6 and 10 <= where[1] <= 12, counts.errors
    assert all(str(e).startswith(f"{path}:") and e.field for e in counts.errors)
    bad_ids = {int(lines[4][2:7]), int(lines[10][2:7])}
    with engine.connect() as conn:
        stored = set(conn.execute(select(element_sets_table.c.norad_id)).scalars())
    assert not (stored & bad_ids)


def test_failure_mid_ingest_writes_nothing(engine, keeptrack_3le, monkeypatch):
    result = read_file(keeptrack_3le)
    calls = []
    real_insert = catalog._insert_element_sets

    def insert_then_fail(*args, **kwargs):
        real_insert(*args, **kwargs)  # objects and element sets are written …
        calls.append(1)
        raise RuntimeError("injected failure after the element sets were written")

    monkeypatch.setattr(catalog, "_insert_element_sets", insert_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        catalog.ingest_parse_result(engine, result, partner="FR", releasable_to="FR,DE")
    assert calls == [1]
    # … and rolled back together with the partner, the objects and the ingest record
    for table in (element_sets_table, objects_table, ingests_table, partners_table):
        assert _count(engine, table) == 0

    # the same through a Session
    from orbitwatch.store.db import session_factory

    with session_factory(engine)() as session, pytest.raises(RuntimeError):
        catalog.ingest_parse_result(session, result)
    assert _count(engine, element_sets_table) == 0
    monkeypatch.undo()
    assert catalog.ingest_parse_result(engine, result).new == 300


def test_epoch_round_trip_exact_to_the_microsecond(engine):
    base = _es_from_tle("ISS (ZARYA)", ISS_1, ISS_2)
    epochs = [
        datetime(1957, 10, 4, 19, 28, 34, 1, tzinfo=UTC),
        datetime(2000, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2008, 9, 20, 12, 25, 40, 104192, tzinfo=UTC),
        datetime(2026, 7, 10, 2, 0, 0, 0, tzinfo=UTC),
        # non-UTC input is the same instant
        datetime(2030, 1, 1, 5, 30, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2056, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    sets = [dataclasses.replace(base, epoch=e) for e in epochs]
    counts = catalog.ingest_parse_result(
        engine, ParseResult(file="epochs", format="test", element_sets=sets)
    )
    assert counts.new == len(epochs)
    with engine.connect() as conn:
        got = [s.element_set.epoch for s in catalog.history(conn, 25544)]
        assert got == sorted(epochs)
        assert all(g.tzinfo is not None and g.utcoffset() == timedelta(0) for g in got)
        assert [(g.microsecond, g.second) for g in got] == [
            (e.astimezone(UTC).microsecond, e.astimezone(UTC).second) for e in sorted(epochs)
        ]
        # querying by an exact instant finds exactly that set
        as_of = epochs[2]
        latest = catalog.latest_element_sets(conn, as_of=as_of)
        assert [s.epoch for s in latest] == [as_of]
        latest = catalog.latest_element_sets(conn, as_of=as_of - timedelta(microseconds=1))
        assert [s.epoch for s in latest] == [epochs[1]]
        if engine.dialect.name == "postgresql":
            # stored as timestamptz with the microsecond
            us = conn.execute(
                text("SELECT extract(microseconds FROM max(epoch)) FROM element_sets")
            ).scalar_one()
            assert int(us) == 59 * 1_000_000 + 999999
    # re-ingest of the same epochs is recognised as duplicate
    again = catalog.ingest_parse_result(
        engine, ParseResult(file="epochs", format="test", element_sets=sets)
    )
    assert (again.new, again.duplicate) == (0, len(epochs))


def test_element_values_round_trip(engine, keeptrack_3le):
    result = read_file(keeptrack_3le)
    catalog.ingest_parse_result(engine, result)
    with engine.connect() as conn:
        stored = {s.norad_id: s for s in catalog.all_element_sets(conn)}
    for s in result.element_sets:
        got = stored[s.norad_id]
        for f in catalog._ES_FIELDS:
            assert getattr(got, f) == getattr(s, f), f
        # and the stored TLE initialises sgp4 to the same state
        a = Satrec.twoline2rv(got.line1, got.line2, WGS72)
        assert a.no_kozai == Satrec.twoline2rv(s.line1, s.line2, WGS72).no_kozai


# ---------------------------------------------------------------------------
# queries


def _starlink_subset(tmp_path, n_objects=6, max_sets=400):
    """The Starlink history's first objects (up to ``max_sets`` sets) as a 3LE file."""
    src = shared_path("tle_history", "celestrak_mirror_2026-05", "starlink_history.3le.xz")
    out, seen = [], []
    with lzma.open(src, "rt") as f:
        for name, l1, l2 in itertools.zip_longest(*[f] * 3):
            nid = int(l1[2:7])
            if nid not in seen:
                if len(seen) == n_objects:
                    break
                seen.append(nid)
            out.append(name + l1 + l2)
            if len(out) >= max_sets:
                break
    path = tmp_path / "starlink_subset.3le"
    path.write_text("".join(out))
    return path


def _newest_by_hand(sets, as_of=None):
    """Independent reference: newest epoch per object by a plain scan (of two
    fits at one epoch, the higher set number, then the later: the readers' rule)."""
    best = {}
    for s in sets:
        if as_of is not None and s.epoch > as_of:
            continue
        b = best.get(s.norad_id)
        if b is None or (s.epoch, s.element_set_no) >= (b.epoch, b.element_set_no):
            best[s.norad_id] = s
    return best


def test_latest_and_as_of_match_independent_scan(engine, tmp_path, keeptrack_3le):
    history = read_file(_starlink_subset(tmp_path))
    snapshot = read_file(keeptrack_3le)
    catalog.ingest_parse_result(engine, history)
    catalog.ingest_parse_result(engine, snapshot)
    every = history.element_sets + snapshot.element_sets
    hist_epochs = sorted({s.epoch for s in history.element_sets})
    with engine.connect() as conn:
        for as_of in (None, hist_epochs[len(hist_epochs) // 2], hist_epochs[0]):
            want = _newest_by_hand(every, as_of)
            got = catalog.latest_element_sets(conn, as_of=as_of)
            assert [s.norad_id for s in got] == sorted(want)
            assert all(s.epoch == want[s.norad_id].epoch for s in got)
            assert all(s.line2 == want[s.norad_id].line2 for s in got)
        ids = sorted({s.norad_id for s in history.element_sets})[:3]
        got = catalog.latest_element_sets(conn, ids=ids)
        assert [s.norad_id for s in got] == ids
        # histories: every set of one object, oldest first
        nid = ids[0]
        # (a set of epochs: the mirror repeats some sets)
        mine = sorted({s.epoch for s in history.element_sets if s.norad_id == nid})
        assert [h.element_set.epoch for h in catalog.history(conn, nid)] == mine
        since = mine[len(mine) // 2]
        got = catalog.all_element_sets(conn, ids=[nid], since=since)
        assert [s.epoch for s in got] == [e for e in mine if e >= since]


def test_objects_orbit_fields_match_sgp4(engine, keeptrack_3le):
    catalog.ingest_parse_result(engine, read_file(keeptrack_3le))
    with engine.connect() as conn:
        rows = catalog.list_objects(conn)
        latest = {s.norad_id: s for s in catalog.latest_element_sets(conn)}
    assert len(rows) == 300
    regimes = set()
    for r in rows:
        sat = Satrec.twoline2rv(latest[r.norad_id].line1, latest[r.norad_id].line2, WGS72)
        # sgp4's own mean semi-major axis (earth radii) gives perigee/apogee altitude
        assert r.perigee_km == pytest.approx(sat.altp * R_WGS72_KM, abs=1e-6)
        assert r.apogee_km == pytest.approx(sat.alta * R_WGS72_KM, abs=1e-6)
        period = 2 * math.pi / sat.no_kozai  # minutes
        assert r.period_min == pytest.approx(period, rel=1e-9)
        # regime from the stated thresholds applied to sgp4's fields
        if sat.ecco >= 0.25:
            want = "HEO"
        elif 1300 <= period <= 1800:
            want = "GEO"
        elif sat.alta * R_WGS72_KM <= 2000:
            want = "LEO"
        elif period > 1800:
            want = "HEO"
        else:
            want = "MEO"
        assert r.regime == want, r
        regimes.add(r.regime)
    assert regimes == {"LEO", "MEO", "GEO", "HEO"}  # the subset covers every regime
    with engine.connect() as conn:
        geo = catalog.list_objects(conn, regime="geo")
        assert geo and all(r.regime == "GEO" for r in geo)
        assert len(catalog.list_objects(conn, limit=7, offset=3)) == 7
        assert catalog.list_objects(conn, limit=2, offset=3)[0].norad_id == rows[3].norad_id
        found = catalog.list_objects(conn, search="vanguard")
        assert found and all("VANGUARD" in r.name for r in found)
        assert [r.norad_id for r in catalog.list_objects(conn, search="5")][0] == 5


def test_satcat_metadata_upsert_without_clobbering(engine, tmp_path):
    src = shared_path("catalog", "satcat_2017", "satcat_2017-02.csv.xz")
    with lzma.open(src, "rt") as f:
        head = list(itertools.islice(f, 301))  # header + NORAD 1..300
    satcat_path = tmp_path / "satcat_head.csv"
    satcat_path.write_text("".join(head))
    satcat = read_file(satcat_path)
    assert len(satcat.satcat) == 300
    c = catalog.ingest_parse_result(engine, satcat)
    assert (c.new, c.duplicate, c.rejected) == (300, 0, 0)
    assert catalog.ingest_parse_result(engine, read_file(satcat_path)).new == 0

    # element sets from a 3LE without owners: owners and types stay, orbit arrives
    kt = tmp_path / "kt.3le"
    records = write_keeptrack_subset(kt, n=40)
    catalog.ingest_parse_result(engine, read_file(kt))
    by_id = {r.norad_id: r for r in satcat.satcat}
    with engine.connect() as conn:
        rows = {r.norad_id: r for r in catalog.list_objects(conn)}
    for rec in records:
        nid = int(rec["TLE1"][2:7])
        if nid not in by_id:
            continue
        row = rows[nid]
        assert row.owner == by_id[nid].owner
        assert row.object_type == by_id[nid].object_type
        assert row.intl_designator == by_id[nid].intl_designator  # 1958-002B, not 58002B
        assert row.latest_epoch is not None
    # an object only SATCAT knows keeps SATCAT's own orbit figures
    decayed = rows[1]
    assert decayed.latest_epoch is None
    assert decayed.perigee_km == 214.0 and decayed.apogee_km == 938.0
    assert str(decayed.decay_date) == "1957-12-01"


def test_releasability_filters(engine, tmp_path):
    base = _es_from_tle("ISS (ZARYA)", ISS_1, ISS_2)
    t0 = base.epoch

    def sets(nid, *hours):
        return [
            dataclasses.replace(base, norad_id=nid, epoch=t0 + timedelta(hours=h), line1=None,
                                line2=None)
            for h in hours
        ]

    def put(es, **kw):
        catalog.ingest_parse_result(engine, ParseResult("f", "test", element_sets=es), **kw)

    put(sets(90001, 0, 1))  # public
    put(sets(90001, 2), partner="FR", releasable_to="FR")  # FR only, newer
    put(sets(90002, 0), partner="FR", releasable_to="DE, fr")  # FR and DE
    put(sets(90003, 0), partner="US", releasable_to="US")  # US only
    combos = [(p, r) for p in (None, "FR", "US") for r in ("ALL", "FR", "DE,FR", "US")]
    with engine.connect() as conn:
        def visible_ids(code):
            return [r.norad_id for r in catalog.list_objects(conn, visible_to=code)]

        assert visible_ids("DE") == [90001, 90002]
        assert visible_ids("FR") == [90001, 90002]
        assert visible_ids("US") == [90001, 90003]
        assert visible_ids("JP") == [90001]
        # FR sees its own newer set; DE sees the public one
        fr = {s.norad_id: s for s in catalog.latest_element_sets(conn, visible_to="FR")}
        de = {s.norad_id: s for s in catalog.latest_element_sets(conn, visible_to="DE")}
        assert fr[90001].epoch == t0 + timedelta(hours=2)
        assert de[90001].epoch == t0 + timedelta(hours=1)
        row_de = catalog.list_objects(conn, visible_to="DE", search="90001")[0]
        assert row_de.latest_epoch == t0 + timedelta(hours=1)
        assert len(catalog.history(conn, 90001, visible_to="DE")) == 2
        assert len(catalog.history(conn, 90001, visible_to="FR")) == 3
        # the SQL condition and its Python twin agree on every combination
        stored = conn.execute(
            select(element_sets_table.c.partner, element_sets_table.c.releasable_to)
        ).all()
        assert ("FR", "DE,FR") in [tuple(r) for r in stored]
        for code in ("FR", "DE", "US", "JP", "F_"):
            for partner, rel in combos:
                # evaluate the SQL clause on a one-row literal subquery
                stmt = select(
                    catalog.visible_element_set_clause(code, _literal_row(partner, rel))
                )
                got = bool(conn.execute(stmt).scalar_one())
                assert got == catalog.is_visible(partner, rel, code), (code, partner, rel)


def _literal_row(partner, rel):
    """A one-row subquery with ``partner`` and ``releasable_to`` columns."""
    from sqlalchemy import String, cast, literal

    return select(
        cast(literal(partner), String).label("partner"),
        literal(rel).label("releasable_to"),
    ).subquery()


def test_normalize_releasable_to_and_partner():
    assert catalog.normalize_releasable_to(None) == "ALL"
    assert catalog.normalize_releasable_to("fr, de,FR") == "FR,DE"
    assert catalog.normalize_releasable_to("FR,all") == "ALL"
    assert catalog.normalize_releasable_to(["us"]) == "US"
    with pytest.raises(ValueError, match="partner code"):
        catalog.normalize_partner("F R")
    with pytest.raises(ValueError, match="releasable"):
        catalog.normalize_releasable_to(" , ")
    assert catalog.normalize_intl_designator("98067A") == "1998-067A"
    assert catalog.normalize_intl_designator("58002B") == "1958-002B"
    assert catalog.normalize_intl_designator("1998-067A") == "1998-067A"


def test_normalize_intl_designators_agrees_with_one_by_one(keeptrack_3le):
    # the whole-file form used by ingest must give exactly the per-record results
    texts = [s.intl_designator for s in read_file(keeptrack_3le).element_sets]
    texts += ["98067A", " 98067a ", "1998-067A", "", None, "57001B", "56001A", "98067ABCD",
              "9806A", "98067A\x00", "98067", "98067a", "98067AB1", "00001A", "56999ZZZ",
              "5700 A", "98067ABCDEFG"]
    one_by_one = [catalog.normalize_intl_designator(t) for t in texts]
    assert catalog.normalize_intl_designators(texts) == one_by_one
    # non-ASCII text anywhere (a full-width digit, an accented letter)
    odd = [*texts, "\uff112345A", "98067\u00c9"]
    assert catalog.normalize_intl_designators(odd) == [
        catalog.normalize_intl_designator(t) for t in odd
    ]
    assert catalog.normalize_intl_designators([]) == []
    # ISS and Sputnik's rocket body, by their published COSPAR designators
    assert catalog.normalize_intl_designators(["98067A", "57001B"]) == ["1998-067A", "1957-001B"]


def test_record_error_is_reported_not_stored(engine):
    err = RecordError("x.tle", 7, "eccentricity", "out of range")
    counts = catalog.ingest_parse_result(
        engine, ParseResult("x.tle", "tle", element_sets=[], errors=[err])
    )
    assert (counts.read, counts.new, counts.rejected) == (1, 0, 1)
    assert str(counts.errors[0]) == "x.tle:7: eccentricity: out of range"


def test_duplicate_sets_still_fill_missing_metadata(engine, tmp_path, keeptrack_3le):
    """The same TLEs again, now with owners (keeptrack JSON): no new sets, owners filled."""
    catalog.ingest_parse_result(engine, read_file(keeptrack_3le))
    with engine.connect() as conn:
        assert all(r.owner is None for r in catalog.list_objects(conn))
    js = tmp_path / "kt.json"
    records = write_keeptrack_subset(js, n=300, fmt="json")
    counts = catalog.ingest_parse_result(engine, read_file(js))
    assert (counts.new, counts.duplicate) == (0, 300)
    assert counts.objects_updated == len({r["TLE1"][2:7] for r in records})
    want = {int(r["TLE1"][2:7]): r["C"] for r in records}
    with engine.connect() as conn:
        assert {r.norad_id: r.owner for r in catalog.list_objects(conn)} == want
    # and once more: nothing at all changes
    again = catalog.ingest_parse_result(engine, read_file(js))
    assert (again.new, again.objects_updated, again.objects_new) == (0, 0, 0)


def test_odd_source_names_and_large_catalog_numbers(engine):
    """Per-file constants are written as SQL literals: quotes and % must survive."""
    base = _es_from_tle("ISS (ZARYA)", ISS_1, ISS_2)
    sets = [dataclasses.replace(base, norad_id=n, line1=None, line2=None)
            for n in (5, 99999, 100000, 339999)]  # Alpha-5 range and OMM-only numbers
    source = "o'hara 100% %s ?"
    counts = catalog.ingest_parse_result(
        engine, ParseResult("odd", "omm-json", element_sets=sets), source=source
    )
    assert counts.new == 4
    with engine.connect() as conn:
        got = catalog.history(conn, 339999)
        assert [h.source for h in got] == [source]
        assert [s.norad_id for s in catalog.latest_element_sets(conn)] == [5, 99999, 100000, 339999]
    again = catalog.ingest_parse_result(
        engine, ParseResult("odd", "omm-json", element_sets=sets), source=source
    )
    assert again.new == 0


def test_same_epoch_from_two_sources_last_ingested_wins(engine):
    base = _es_from_tle("ISS (ZARYA)", ISS_1, ISS_2)
    older = dataclasses.replace(base, epoch=base.epoch - timedelta(days=1))
    a = dataclasses.replace(base, mean_anomaly_deg=10.0, line1=None, line2=None)
    b = dataclasses.replace(base, mean_anomaly_deg=20.0, line1=None, line2=None)
    catalog.ingest_parse_result(engine, ParseResult("a", "t", element_sets=[older, a]), source="a")
    catalog.ingest_parse_result(engine, ParseResult("b", "t", element_sets=[b]), source="b")
    with engine.connect() as conn:
        latest = catalog.latest_element_sets(conn)
        assert [(s.epoch, s.mean_anomaly_deg) for s in latest] == [(base.epoch, 20.0)]
        hist = catalog.history(conn, 25544)
        assert [(h.source, h.element_set.epoch) for h in hist] == [
            ("a", older.epoch), ("a", base.epoch), ("b", base.epoch)
        ]
        # the objects row follows the first set seen at the newest epoch
        row = catalog.list_objects(conn)[0]
        assert row.latest_epoch == base.epoch
