"""Catalogue facts by releasability: who may read an object's name, owner, type...

The facts about an object (name, international designator, owner, object
type, launch and decay dates, launch site, RCS, operational status) come from
SATCAT records and from what element sets carry (a 3LE name line, an OMM
``OBJECT_NAME``/``OBJECT_ID``, a KeepTrack owner).  Like every shared record
they carry ``partner`` and ``releasable_to``, and reach a reader only from
records that reader may see:

* facts of records releasable to ``ALL`` are merged into the ``objects`` row
  (:mod:`orbitwatch.store.catalog`), which every reader and every run with no
  partner reads;
* facts of restricted records are merged, with the same rules, into one
  ``object_facts`` row per object and label (:func:`merge_labelled_facts`).

A reader acting for partner ``P`` (:func:`visible_facts`) starts from the
public facts and lays over them, oldest change first, the labelled rows ``P``
may see (:func:`~orbitwatch.store.releasability.visible_element_set_clause`):
for each fact a restricted statement ``P`` may see takes precedence over the
public one, the newest of them winning, and an unknown value never hides a
known one.  (A partner's own catalogue is deliberate; ordering it against the
public facts by date would let any public change re-date every public fact of
the object: a public 3LE that only renames an object brought back the public
owner over a partner's newer one.)  Each merged result names the labels whose facts
it shows, so that what is derived from it (an event naming the owner) goes no
wider than they do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from orbitwatch.elements.model import ElementSet, SatcatRecord
from orbitwatch.elements.model import cospar_designator as normalize_intl_designator
from orbitwatch.store.bulk import (
    bulk_insert,
    date_converter,
    id_ranges,
    pg_copy_to_temp,
    placeholder,
)
from orbitwatch.store.models import object_facts_table, objects_table
from orbitwatch.store.releasability import visible_element_set_clause

fa = object_facts_table
ob = objects_table

#: the catalogue facts, in the column order of both ``objects`` and ``object_facts``
FACT_COLUMNS = (
    "name",
    "intl_designator",
    "owner",
    "object_type",
    "launch_date",
    "launch_site",
    "decay_date",
    "rcs_m2",
    "ops_status",
)

#: facts an element set carries, as (ElementSet attribute = fact column)
SET_FACTS = ("name", "intl_designator", "owner", "object_type")

Label = tuple[str | None, str]


def parse_date(text: str | None) -> date | None:
    """The date at the start of an ISO text (``2024-03-05``, ``2024-03-05T...``), or None."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def satcat_values(rec: SatcatRecord, day) -> dict:
    """The facts one SATCAT record states (unknown ones None); ``day`` converts dates."""
    return {
        "name": rec.name,
        "intl_designator": normalize_intl_designator(rec.intl_designator),
        "owner": rec.owner,
        "object_type": rec.object_type,
        "launch_date": day(parse_date(rec.launch_date)),
        "launch_site": rec.launch_site,
        "decay_date": day(parse_date(rec.decay_date)),
        "rcs_m2": rec.rcs_m2,
        "ops_status": rec.ops_status,
    }


# ---------------------------------------------------------------------------
# ingest: facts of a restricted file


_ROW_COLUMNS = (*FACT_COLUMNS, "latest_epoch", "ingest_id")


def _stored_rows(conn: Connection, ids: list[int], partner: str | None, releasable_to: str):
    """``norad_id -> row dict`` (driver form) of the label's stored fact rows among ``ids``."""
    ph = placeholder(conn)
    who = "partner IS NULL" if partner is None else f"partner = {ph}"
    sql = (
        f"SELECT norad_id, {', '.join(_ROW_COLUMNS)} FROM object_facts "
        f"WHERE norad_id BETWEEN {ph} AND {ph} AND {who} AND releasable_to = {ph}"
    )
    label = (releasable_to,) if partner is None else (partner, releasable_to)
    found: dict[int, dict] = {}
    for first, last, wanted in id_ranges(ids):
        for row in conn.exec_driver_sql(sql, (first, last, *label)):
            if row[0] in wanted:
                found[row[0]] = dict(zip(_ROW_COLUMNS, row[1:], strict=True))
    return found


def merge_labelled_facts(
    conn: Connection,
    *,
    partner: str | None,
    releasable_to: str,
    ingest_id: int,
    satcat: Mapping[int, SatcatRecord],
    newest: Mapping[int, tuple[object, ElementSet]],
) -> tuple[int, int]:
    """Merge the facts of one restricted file into its label's ``object_facts`` rows.

    ``satcat``: the file's SATCAT records by catalog number (the last of each);
    ``newest``: each object's newest element set of the file as
    (driver-form epoch, set).  The rules are those of the public ``objects``
    row: a SATCAT record's known values win and unknown ones clobber nothing;
    the name follows the label's newest element set, whose designator, owner
    and type only fill facts still unknown.  Rows that change are stamped with
    ``ingest_id``.  Returns (SATCAT records that changed a row, those that did not).
    """
    ids = sorted(satcat.keys() | {k for k, (_, s) in newest.items() if _carries_facts(s)})
    if not ids:
        return 0, 0
    before = _stored_rows(conn, ids, partner, releasable_to)
    day = date_converter(conn.dialect.name)
    rows: dict[int, dict] = {}

    def edit(nid: int) -> dict:
        row = rows.get(nid)
        if row is None:
            old = before.get(nid)
            row = rows[nid] = dict(old) if old else dict.fromkeys(_ROW_COLUMNS)
        return row

    changed_by_satcat = 0
    for nid, rec in satcat.items():
        row = edit(nid)
        snapshot = dict(row)
        for k, v in satcat_values(rec, day).items():
            if v is not None and v != "":
                row[k] = v
        if row != snapshot:
            changed_by_satcat += 1
    for nid, (ep, s) in newest.items():
        if not _carries_facts(s):
            continue
        row = edit(nid)
        newer = row["latest_epoch"] is None or ep > row["latest_epoch"]
        if newer:
            row["latest_epoch"] = ep
        if s.name and (newer or row["name"] is None):
            row["name"] = s.name
        for k, v in (
            ("intl_designator", normalize_intl_designator(s.intl_designator)),
            ("owner", s.owner),
            ("object_type", s.object_type),
        ):
            if v and row[k] is None:
                row[k] = v

    new_rows, changed = [], []
    for nid, row in rows.items():
        old = before.get(nid)
        if row == old or (old is None and all(row[c] is None for c in FACT_COLUMNS)):
            continue
        row["ingest_id"] = ingest_id
        values = tuple(row[c] for c in _ROW_COLUMNS)
        if old is None:
            new_rows.append((nid, *values))
        else:
            changed.append((*values, nid))
    bulk_insert(
        conn, fa, ("norad_id", *_ROW_COLUMNS), new_rows,
        constants={"partner": partner, "releasable_to": releasable_to}, keys_checked=True,
    )
    _update_rows(conn, partner, releasable_to, changed)
    return changed_by_satcat, len(satcat) - changed_by_satcat


def _carries_facts(s: ElementSet) -> bool:
    return bool(s.name or s.intl_designator or s.owner or s.object_type)


def _update_rows(conn: Connection, partner: str | None, releasable_to: str, rows: list[tuple]):
    """UPDATE the label's rows; each row is (``_ROW_COLUMNS`` values..., norad_id)."""
    if not rows:
        return
    label = (releasable_to,) if partner is None else (partner, releasable_to)
    if conn.dialect.name == "postgresql":
        # one UPDATE ... FROM a COPY-loaded table, as bulk_update (whose key is one column)
        tmp = pg_copy_to_temp(conn, fa, [*_ROW_COLUMNS, "norad_id"], rows)
        sets = ", ".join(f"{c} = t.{c}" for c in _ROW_COLUMNS)
        who = "o.partner IS NULL" if partner is None else "o.partner = %s"
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.execute(
                f"UPDATE object_facts AS o SET {sets} FROM {tmp} AS t "
                f"WHERE o.norad_id = t.norad_id AND {who} AND o.releasable_to = %s",
                label,
            )
            cur.execute(f"DROP TABLE {tmp}")
        return
    ph = placeholder(conn)
    sets = ", ".join(f"{c} = {ph}" for c in _ROW_COLUMNS)
    who = "partner IS NULL" if partner is None else f"partner = {ph}"
    conn.exec_driver_sql(
        f"UPDATE object_facts SET {sets} WHERE norad_id = {ph} AND {who} AND releasable_to = {ph}",
        [(*r, *label) for r in rows],
    )


# ---------------------------------------------------------------------------
# readers


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """One object's facts as one reader may see them.

    ``values``: every :data:`FACT_COLUMNS` fact (None when unknown to the
    reader); ``labels``: the (partner, releasable_to) labels of the restricted
    rows whose facts ``values`` shows where the public facts say otherwise
    (empty when it shows only public facts).
    """

    norad_id: int
    values: dict
    labels: frozenset[Label]


def visible_facts(
    conn, *, visible_to: str | None, ids: Iterable[int] | None = None
) -> dict[int, ObjectFacts]:
    """The merged facts of each object with restricted facts partner ``visible_to`` may see.

    Objects absent from the result show their public facts (the ``objects``
    row) to that reader; with ``visible_to`` None (a host or a run acting for
    no partner) that is every object.  ``ids`` keeps only those objects.
    Objects here may lack an ``objects`` row (a restricted SATCAT record of an
    object without element sets); their public facts are all unknown.
    """
    if visible_to is None:
        return {}
    wanted = None if ids is None else {int(i) for i in ids}
    if wanted is not None and not wanted:
        return {}
    stmt = select(fa.c.norad_id, fa.c.partner, fa.c.releasable_to, fa.c.ingest_id,
                  *[fa.c[c] for c in FACT_COLUMNS]).where(visible_element_set_clause(visible_to, fa))
    if wanted is not None and len(wanted) <= 500:  # else filtered here, not in a huge IN list
        stmt = stmt.where(fa.c.norad_id.in_(sorted(wanted)))
    layers: dict[int, list[tuple]] = {}
    for nid, p, r, seq, *values in conn.execute(stmt):
        if wanted is None or nid in wanted:
            layers.setdefault(nid, []).append((seq, (p, r), values))
    if not layers:
        return {}
    public = _public_facts(conn, list(layers))
    out: dict[int, ObjectFacts] = {}
    for nid, labelled in layers.items():
        seq0, pub = public.get(nid, (0, (None,) * len(FACT_COLUMNS)))
        # the public facts first, then the restricted rows oldest change first
        merged = list(pub)
        source: list[Label | None] = [None] * len(FACT_COLUMNS)
        for _seq, label, values in [(seq0, None, pub), *sorted(labelled, key=lambda x: x[0])]:
            for k, v in enumerate(values):
                if v is not None and v != "":
                    merged[k] = v
                    source[k] = label
        shown = frozenset(lab for k, lab in enumerate(source)
                          if lab is not None and merged[k] != pub[k])
        out[nid] = ObjectFacts(nid, dict(zip(FACT_COLUMNS, merged, strict=True)), shown)
    return out


def _public_facts(conn, ids: list[int]) -> dict[int, tuple[int, tuple]]:
    """``norad_id -> (facts_ingest_id or 0, fact values)`` of the ``objects`` rows among ``ids``."""
    out: dict[int, tuple[int, tuple]] = {}
    cols = [ob.c.norad_id, func.coalesce(ob.c.facts_ingest_id, 0), *[ob.c[c] for c in FACT_COLUMNS]]
    for first, last, wanted in id_ranges(ids):
        stmt = select(*cols).where(ob.c.norad_id.between(first, last))
        for nid, seq, *values in conn.execute(stmt):
            if nid in wanted:
                out[nid] = (seq, tuple(values))
    return out


def fact_labels(facts: Mapping[int, ObjectFacts]) -> dict[int, set[Label]]:
    """Per object, the labels of the restricted facts a reader was shown (for
    narrowing what is derived from them; objects showing only public facts are left out)."""
    return {nid: set(f.labels) for nid, f in facts.items() if f.labels}


def with_facts(row, facts: Mapping[int, ObjectFacts]):
    """A dataclass record (an ``ObjectRow``, a ``SatcatRecord``) with the facts
    of ``facts`` for its object in place of its own, where it has those fields."""
    f = facts.get(row.norad_id)
    if f is None:
        return row
    names = row.__dataclass_fields__
    return dataclasses.replace(row, **{k: v for k, v in f.values.items() if k in names})


def sets_with_facts(sets: list[ElementSet], facts: Mapping[int, ObjectFacts]) -> list[ElementSet]:
    """Element sets with the name, designator, owner and type of ``facts`` for
    their objects (those without an entry are returned as they are)."""
    if not facts:
        return sets
    out = []
    for s in sets:
        f = facts.get(s.norad_id)
        if f is not None:
            s = dataclasses.replace(s, **{k: f.values[k] for k in SET_FACTS})
        out.append(s)
    return out


def matches(
    facts: Mapping, norad_id: int, *, owner: str | None = None,
    object_type: str | None = None, search: str | None = None,
) -> bool:
    """Python twin of :func:`orbitwatch.store.catalog.object_filter_conditions`
    for one object's merged ``facts``."""
    if owner and (facts.get("owner") or "").upper() != owner.strip().upper():
        return False
    if object_type and (facts.get("object_type") or "").upper() != object_type.strip().upper():
        return False
    if search:
        text = search.strip()
        low = text.lower()
        hit = any(v is not None and low in v.lower()
                  for v in (facts.get("name"), facts.get("intl_designator")))
        if not (hit or (text.isdigit() and norad_id == int(text))):
            return False
    return True
