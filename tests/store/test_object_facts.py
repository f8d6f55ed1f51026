"""Catalogue facts (names, SATCAT metadata) reach a reader only from records it may see.

Each test runs on SQLite and PostgreSQL (``engine`` fixture).  The records are
small synthetic files, written here: a CelesTrak SATCAT CSV row and 3LE/TLE
element sets (checksums from the shared TLE writer), so that every expected
value is stated in the test.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from orbitwatch.elements import parse_text
from orbitwatch.store import catalog
from orbitwatch.store.shared import page_visible_objects
from tests.service.seeding import EPOCH, make_tle

SATCAT_HEADER = (
    "OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,"
    "LAUNCH_SITE,DECAY_DATE,PERIOD,INCLINATION,APOGEE,PERIGEE,RCS,DATA_STATUS_CODE,"
    "ORBIT_CENTER,ORBIT_TYPE\n"
)


def satcat(name: str, norad_id: int = 67403, *, owner: str = "PRC", intl: str = "2025-999A",
           launch: str = "2025-01-02") -> str:
    """A one-row CelesTrak SATCAT CSV."""
    return SATCAT_HEADER + (f"{name},{intl},{norad_id},PAY,+,{owner},{launch},XSC,,"
                            "1436.1,0.1,35790,35780,,,EA,ORB\n")


def two_line(norad_id: int, **kw) -> str:
    """A TLE without its name line (the designator 2026-001A is in line 1)."""
    return "".join(make_tle(norad_id, "X", **kw).splitlines(keepends=True)[1:])


def ingest(engine, body: str, filename: str, partner=None, releasable_to="ALL"):
    return catalog.ingest_parse_result(engine, parse_text(body, filename),
                                       partner=partner, releasable_to=releasable_to)


def visible_facts(conn, **kw):
    from orbitwatch.store.facts import visible_facts

    return visible_facts(conn, **kw)


def one(conn, norad_id: int, visible_to: str | None):
    rows = [r for r in catalog.list_objects(conn, visible_to=visible_to) if r.norad_id == norad_id]
    assert len(rows) == 1
    return rows[0]


def test_restricted_satcat_facts_reach_only_their_readers(engine):
    # The reviewer's case: JP's SATCAT row for 67403 (owner PRC, "SECRET SAT"),
    # releasable to JP only; the object also has a public element set.
    ingest(engine, two_line(67403), "pub.tle")
    counts = ingest(engine, satcat("SECRET SAT"), "jp_satcat.csv", "JP", "JP")
    assert (counts.read, counts.new, counts.duplicate) == (1, 1, 0)
    again = ingest(engine, satcat("SECRET SAT"), "jp_satcat.csv", "JP", "JP")
    assert (again.new, again.duplicate) == (0, 1)

    public = (None, "2026-001A", None, None, None)
    with engine.connect() as conn:
        for reader in (None, "FR", "US"):  # the host's list shows public facts only
            r = one(conn, 67403, reader)
            assert (r.name, r.intl_designator, r.owner, r.object_type, r.launch_date) == public
            assert catalog.list_objects(conn, visible_to=reader, search="secret") == []
            assert catalog.list_objects(conn, visible_to=reader, owner="PRC") == []
            assert catalog.list_objects(conn, visible_to=reader, search="2025-999") == []
        r = one(conn, 67403, "JP")
        assert (r.name, r.intl_designator, r.owner, r.object_type, r.launch_date) == (
            "SECRET SAT", "2025-999A", "PRC", "PAYLOAD", date(2025, 1, 2))
        for kw in ({"search": "secret"}, {"owner": "prc"}, {"object_type": "payload"},
                   {"search": "67403"}, {"search": "2025-999"}):
            assert [r.norad_id for r in catalog.list_objects(conn, visible_to="JP", **kw)] == [67403]
        # the service's paged listing agrees
        for reader, want in (("FR", []), ("JP", [67403])):
            rows, total = page_visible_objects(conn, visible_to=reader, search="SECRET")
            assert [r.norad_id for r in rows] == want and total == len(want)
        rows, _ = page_visible_objects(conn, visible_to="JP", search="67403")
        assert rows[0].owner == "PRC" and rows[0].name == "SECRET SAT"
        rows, _ = page_visible_objects(conn, visible_to="FR", search="67403")
        assert rows[0].owner is None and rows[0].name is None
        # element sets read by anyone carry the public facts
        for reader in (None, "FR", "JP"):
            [s] = catalog.latest_element_sets(conn, visible_to=reader)
            assert (s.name, s.owner, s.intl_designator) == (None, None, "2026-001A")
        # the merged facts name the label they came from
        assert visible_facts(conn, visible_to="FR") == {}
        f = visible_facts(conn, visible_to="JP")[67403]
        assert f.labels == {("JP", "JP")} and f.values["owner"] == "PRC"


def test_a_restricted_name_line_renames_nothing_for_others(engine):
    # A public 3LE names 28117; JP's newer 3LE, for JP alone, names it otherwise
    ingest(engine, make_tle(28117, "PUBLIC NAME"), "pub.3le")
    ingest(engine, make_tle(28117, "JP NAME", epoch=EPOCH + timedelta(days=1), set_no=2),
           "jp.3le", "JP", "JP")
    with engine.connect() as conn:
        assert one(conn, 28117, None).name == "PUBLIC NAME"
        assert one(conn, 28117, "US").name == "PUBLIC NAME"
        assert one(conn, 28117, "JP").name == "JP NAME"
        assert catalog.list_objects(conn, visible_to="US", search="JP NAME") == []
        [s] = catalog.latest_element_sets(conn, visible_to="US")
        assert s.name == "PUBLIC NAME"
        # the host reads JP's newer set, with the public name
        [s] = catalog.latest_element_sets(conn)
        assert s.epoch == EPOCH + timedelta(days=1) and s.name == "PUBLIC NAME"
    # a newer public name renames it for everyone else; JP's own name stands for JP
    ingest(engine, make_tle(28117, "RENAMED", epoch=EPOCH + timedelta(days=2), set_no=3),
           "pub2.3le")
    with engine.connect() as conn:
        assert one(conn, 28117, "US").name == "RENAMED"
        assert one(conn, 28117, "JP").name == "JP NAME"
        assert visible_facts(conn, visible_to="JP")[28117].labels == {("JP", "JP")}


def test_a_restricted_fact_takes_precedence_over_the_public_one(engine):
    ingest(engine, two_line(67403), "pub.tle")
    ingest(engine, satcat("SECRET SAT"), "jp.csv", "JP", "JP,FR")
    ingest(engine, satcat("PUBLIC SAT", owner="CIS", intl="2025-998A"), "pub.csv")
    with engine.connect() as conn:
        # a later public record restates every fact: for US; JP's readers keep JP's
        r = one(conn, 67403, "US")
        assert (r.name, r.owner, r.intl_designator) == ("PUBLIC SAT", "CIS", "2025-998A")
        for reader in ("JP", "FR"):
            r = one(conn, 67403, reader)
            assert (r.name, r.owner, r.intl_designator) == ("SECRET SAT", "PRC", "2025-999A")
    ingest(engine, satcat("SECRET 2", owner="PRC"), "jp2.csv", "JP", "JP,FR")
    with engine.connect() as conn:
        for reader in ("JP", "FR"):
            r = one(conn, 67403, reader)
            assert (r.name, r.owner) == ("SECRET 2", "PRC")
        r = one(conn, 67403, "US")
        assert (r.name, r.owner) == ("PUBLIC SAT", "CIS")
        # the public facts the restricted record restates add no label
        f = visible_facts(conn, visible_to="FR")[67403]
        assert f.labels == {("JP", "JP,FR")}
        assert f.values["intl_designator"] == "2025-999A"


def test_unknown_values_never_hide_known_ones(engine):
    # JP's 3LE carries a name only; its SATCAT facts stay, and the public owner
    # shows through where JP's records say nothing
    ingest(engine, two_line(67403), "pub.tle")
    ingest(engine, satcat("PUBLIC SAT", owner="CIS"), "pub.csv")
    ingest(engine, make_tle(67403, "JP NAME", epoch=EPOCH + timedelta(days=1), set_no=2),
           "jp.3le", "JP", "JP")
    with engine.connect() as conn:
        r = one(conn, 67403, "JP")
        assert (r.name, r.owner, r.launch_date) == ("JP NAME", "CIS", date(2025, 1, 2))


def test_a_restricted_satcat_of_an_object_without_sets_lists_nothing(engine):
    # no objects row for anyone to list; JP's reader finds the facts
    ingest(engine, satcat("LONE", norad_id=12345), "jp.csv", "JP", "JP")
    with engine.connect() as conn:
        assert catalog.list_objects(conn) == []
        assert catalog.list_objects(conn, visible_to="JP") == []  # no set to see
        assert visible_facts(conn, visible_to="JP")[12345].values["name"] == "LONE"
        assert visible_facts(conn, visible_to="US") == {}


def test_a_store_upgraded_from_0006_keeps_its_facts_as_public(db_url):
    """Rows stored before revision 0007 carry no label: they stay public."""
    from orbitwatch.store.db import create_store_engine, upgrade

    engine = create_store_engine(db_url)
    upgrade(engine, "0006_supersession_order")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO objects (norad_id, name, owner) "
                          "VALUES (67403, 'OLD NAME', 'PRC')"))
    upgrade(engine)
    try:
        with engine.connect() as conn:
            r = one(conn, 67403, None)
            assert (r.name, r.owner) == ("OLD NAME", "PRC")
            assert conn.execute(text(
                "SELECT facts_ingest_id FROM objects WHERE norad_id = 67403")).scalar() is None
        ingest(engine, two_line(67403), "pub.tle")
        ingest(engine, satcat("SECRET SAT"), "jp.csv", "JP", "JP")
        with engine.connect() as conn:
            assert (one(conn, 67403, "FR").name, one(conn, 67403, "FR").owner) == (
                "OLD NAME", "PRC")
            assert one(conn, 67403, "JP").name == "SECRET SAT"
    finally:
        engine.dispose()


@pytest.mark.parametrize("partner,releasable_to,readers", [
    ("JP", "FR", {"JP", "FR"}),
    (None, "JP", {"JP"}),
    ("JP", "US,FR", {"JP", "US", "FR"}),
])
def test_who_reads_a_restricted_fact(engine, partner, releasable_to, readers):
    ingest(engine, two_line(67403), "pub.tle")
    ingest(engine, satcat("SECRET SAT"), "r.csv", partner, releasable_to)
    with engine.connect() as conn:
        for reader in ("US", "JP", "FR", "IN"):
            assert (one(conn, 67403, reader).name == "SECRET SAT") == (reader in readers)


def test_a_public_rename_does_not_bring_back_the_public_owner(engine):
    """A review: the public SATCAT says CIS, JP's (for JP) says PRC; a public 3LE
    that only renames the object re-dated every public fact and JP read CIS again.
    The other way round, a JP 3LE with a name only brought back PRC over a later
    public SATCAT.  JP's statements now take precedence for JP, whatever the order
    of unrelated changes."""
    ingest(engine, two_line(67403), "pub.tle")
    ingest(engine, satcat("PUBLIC SAT", owner="CIS"), "pub.csv")
    ingest(engine, satcat("JP SAT", owner="PRC"), "jp.csv", "JP", "JP")
    ingest(engine, make_tle(67403, "RENAMED", epoch=EPOCH + timedelta(days=1), set_no=2), "pub.3le")
    with engine.connect() as conn:
        assert one(conn, 67403, "JP").owner == "PRC"
        assert (one(conn, 67403, "US").owner, one(conn, 67403, "US").name) == ("CIS", "RENAMED")
    ingest(engine, satcat("PUBLIC SAT 2", owner="CIS"), "pub2.csv")
    ingest(engine, make_tle(67403, "JP NAME", epoch=EPOCH + timedelta(days=2), set_no=3),
           "jp.3le", "JP", "JP")
    with engine.connect() as conn:
        assert (one(conn, 67403, "JP").owner, one(conn, 67403, "JP").name) == ("PRC", "JP NAME")
        assert one(conn, 67403, "US").owner == "CIS"
