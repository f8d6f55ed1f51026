"""Catalog store operations: ingest parsed files, list objects, read histories.

Ingest (:func:`ingest_parse_result`) writes one file in **one transaction**
with bulk statements (:mod:`orbitwatch.store.bulk`), not ORM objects: existing
keys are read with one range query per chunk of objects, new element sets are
inserted in batches, object metadata is merged in Python and written back in
bulk.

Queries return small dataclasses (:class:`ObjectRow`, :class:`StoredElementSet`)
or the shared :class:`~orbitwatch.elements.model.ElementSet` records.

Releasability: every element set carries ``partner`` (who contributed it,
``None`` for public data) and ``releasable_to`` (``ALL`` or a comma-separated
list of partner codes).  A set is visible to partner ``P`` when its partner is
``P``, or ``releasable_to`` is ``ALL`` or lists ``P``; an object is visible when
at least one of its element sets is (:mod:`orbitwatch.store.releasability`,
whose helpers are re-exported here).  Catalogue facts (names, SATCAT
metadata) follow the same rule: the ``objects`` row keeps those of records
releasable to ``ALL``, and a restricted file's are kept under its label
(:mod:`orbitwatch.store.facts`); element sets read here carry the public
facts only.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from operator import add, attrgetter, itemgetter

import numpy as np
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    literal_column,
    type_coerce,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from orbitwatch.elements.model import ElementSet, ParseResult, RecordError, SatcatRecord
from orbitwatch.elements.model import cospar_designator as normalize_intl_designator
from orbitwatch.orbit import (
    classify_regimes,
    orbit_summary,
    perigee_apogee_km,
    period_min,
)
from orbitwatch.store.bulk import (
    CHUNK,
    bulk_insert,
    bulk_update,
    chunks,
    lock_for_ingest,
    date_converter,
    id_ranges,
    placeholder,
)
from orbitwatch.store.facts import (
    FACT_COLUMNS,
    ObjectFacts,
    matches,
    merge_labelled_facts,
    satcat_values,
    visible_facts,
    with_facts,
)
from orbitwatch.store.models import (
    RELEASABLE_ALL,
    element_sets_table,
    ingests_table,
    objects_table,
    partners_table,
)
from orbitwatch.store.releasability import (  # noqa: F401 - re-exported
    breadth,
    is_visible,
    normalize_partner,
    normalize_releasable_to,
    visible_element_set_clause,
    visible_object_clause,
)
from orbitwatch.store.types import ONE_US, UNIX_EPOCH

#: source name used when none is given and no partner is named: the public
#: 18 SDS catalog however it was obtained (CelesTrak, Space-Track, a mirror),
#: so re-downloads of the same element sets deduplicate.
DEFAULT_SOURCE = "public"


es = element_sets_table
ob = objects_table

# ---------------------------------------------------------------------------
# partners

def ensure_partner(conn: Connection, code: str | None, name: str | None = None) -> None:
    """Insert partner ``code`` when it is not known yet."""
    if code is None:
        return
    found = conn.execute(
        select(partners_table.c.code).where(partners_table.c.code == code)
    ).first()
    if found is None:
        conn.execute(insert(partners_table).values(code=code, name=name))


# ---------------------------------------------------------------------------
# ingest


@dataclass(slots=True)
class IngestCounts:
    """What one ingested file added.

    ``read`` = records seen (accepted + rejected); ``new`` = element sets
    inserted plus SATCAT records that created or changed an object;
    ``duplicate`` = element sets already stored (or repeated within the file)
    plus SATCAT records that changed nothing; ``rejected`` = records the parser
    refused (``errors`` says where and why).
    """

    file: str
    format: str
    read: int
    new: int
    duplicate: int
    rejected: int
    errors: list[RecordError] = field(default_factory=list)
    element_sets_new: int = 0
    objects_new: int = 0
    objects_updated: int = 0
    ingest_id: int | None = None

    @property
    def nothing_new(self) -> bool:
        return self.new == 0


def normalize_intl_designators(texts: Iterable[str | None]) -> list[str | None]:
    """:func:`normalize_intl_designator` of each text (same results, for a whole file).

    Clean TLE-form designators (five ASCII digits and one to three capitals,
    ``98067A``) are converted as one fixed-width byte array with numpy
    (``98067A`` -> ``1998-067A``: two-digit years 57-99 are 19xx, 00-56 20xx);
    anything else goes through :func:`normalize_intl_designator`.
    """
    texts = list(texts)
    m = len(texts)
    clean = [t or "" for t in texts]
    try:
        raw = np.array(clean, dtype="S9")  # 9 bytes: anything longer than 8 is not TLE form
    except UnicodeEncodeError:
        return [normalize_intl_designator(t) for t in texts]
    b = raw.reshape(m).view(np.uint8).reshape(m, 9)
    digit = (b >= 48) & (b <= 57)
    upper = (b >= 65) & (b <= 90)
    empty = b == 0
    n_letters = upper[:, 5:8].sum(axis=1)
    ok = (
        digit[:, :5].all(axis=1)
        & upper[:, 5]
        & (upper[:, 6] | (empty[:, 6] & empty[:, 7]))
        & (upper[:, 7] | empty[:, 7])
        & empty[:, 8]
        # no NUL characters of its own (the fixed-width array drops trailing ones)
        & (np.fromiter(map(len, clean), np.intp, m) == 5 + n_letters)
    )
    out = np.zeros((m, 12), np.uint8)
    yy = (b[:, 0].astype(np.int16) - 48) * 10 + (b[:, 1] - 48)
    out[:, 0] = ord("1") + (yy < 57)
    out[:, 1] = np.where(yy < 57, ord("0"), ord("9"))
    out[:, 2:4] = b[:, 0:2]
    out[:, 4] = ord("-")
    out[:, 5:8] = b[:, 2:5]
    out[:, 8:11] = b[:, 5:8]
    result = out.view("S12").reshape(m).astype("U12").tolist()
    for i in np.flatnonzero(~ok).tolist():
        result[i] = normalize_intl_designator(texts[i])
    return result


_OBJECT_COLUMNS = (
    *FACT_COLUMNS,
    "facts_ingest_id",
    "latest_epoch",
    "regime",
    "perigee_km",
    "apogee_km",
    "inclination_deg",
    "period_min",
    "eccentricity",
)


# Existing rows are looked up by catalog-number *range* (two parameters, one
# index range scan) rather than ``IN (…5000 ids…)``, whose compilation alone
# costs more than the scan; rows outside the file's ids are dropped in Python.


def _existing_keys(conn: Connection, source: str, ids: list[int], lo, hi) -> set[tuple]:
    """(norad_id, epoch) keys already stored for ``source`` among ``ids`` within [lo, hi].

    ``lo``/``hi`` and the returned epochs are in driver form (see
    :func:`orbitwatch.store.bulk.instant_converter`): raw rows, no type processing.
    """
    ph = placeholder(conn)
    sql = (
        "SELECT norad_id, epoch FROM element_sets "
        f"WHERE norad_id BETWEEN {ph} AND {ph} AND epoch BETWEEN {ph} AND {ph} AND source = {ph}"
    )
    keys: set[tuple] = set()
    for first, last, wanted in id_ranges(ids):
        rows = conn.exec_driver_sql(sql, (first, last, lo, hi, source))
        keys.update(r for r in map(tuple, rows) if r[0] in wanted)
    return keys


_LIGHT_COLUMNS = ("latest_epoch", "name", "intl_designator", "owner", "object_type")


def _existing_light(conn: Connection, ids: list[int]) -> dict[int, tuple]:
    """``norad_id -> (latest_epoch, name, intl_designator, owner, object_type)`` (driver form)."""
    ph = placeholder(conn)
    sql = (
        f"SELECT norad_id, {', '.join(_LIGHT_COLUMNS)} FROM objects "
        f"WHERE norad_id BETWEEN {ph} AND {ph}"
    )
    found: dict[int, tuple] = {}
    for first, last, wanted in id_ranges(ids):
        for row in conn.exec_driver_sql(sql, (first, last)):
            if row[0] in wanted:
                found[row[0]] = tuple(row[1:])
    return found


def _may_change(light: tuple, ep, s: ElementSet, public: bool) -> bool:
    """Whether the newest set ``s`` (epoch ``ep``) of a stored object could change its row.

    Mirrors the rules of :func:`_merge_newest`: a newer epoch, a new name, or
    metadata the stored row lacks (the last two only for a ``public`` set).
    """
    latest, name, intl, owner, otype = light
    if latest is None or ep > latest:
        return True
    if not public:
        return False
    if s.name and name is None:
        return True
    return bool(
        (s.intl_designator and intl is None)
        or (s.owner and owner is None)
        or (s.object_type and otype is None)
    )


def _existing_objects(conn: Connection, ids: list[int]) -> dict[int, dict]:
    """Stored object rows among ``ids`` as dicts of driver-form values.

    Object rows are merged in the form the driver reads and writes them
    (SQLite: epoch as integer microseconds, dates as ISO text) so that neither
    reading nor writing converts them.
    """
    ph = placeholder(conn)
    sql = (
        f"SELECT norad_id, {', '.join(_OBJECT_COLUMNS)} FROM objects "
        f"WHERE norad_id BETWEEN {ph} AND {ph}"
    )
    found: dict[int, dict] = {}
    for first, last, wanted in id_ranges(ids):
        for row in conn.exec_driver_sql(sql, (first, last)):
            if row[0] not in wanted:
                continue
            d = dict(zip(_OBJECT_COLUMNS, row[1:], strict=True))
            found[row[0]] = d
    return found


def _empty_object() -> dict:
    return dict.fromkeys(_OBJECT_COLUMNS)


_EMPTY_OBJECT = _empty_object()


def _merge_satcat(obj: dict, rec: SatcatRecord, day) -> None:
    """Apply one public SATCAT record: known values win, None never clobbers.

    ``day`` converts dates to driver form.
    """
    for k, v in satcat_values(rec, day).items():
        if v is not None and v != "":
            obj[k] = v
    # SATCAT's own orbit stands in until an element set arrives
    if obj["latest_epoch"] is None and rec.period_min and rec.apogee_km is not None:
        from orbitwatch.orbit import classify_regime

        ecc = None
        if rec.perigee_km is not None:
            from orbitwatch.orbit import RADIUS_WGS72_KM

            ra = rec.apogee_km + RADIUS_WGS72_KM
            rp = rec.perigee_km + RADIUS_WGS72_KM
            ecc = (ra - rp) / (ra + rp)
        obj["perigee_km"] = rec.perigee_km
        obj["apogee_km"] = rec.apogee_km
        obj["period_min"] = rec.period_min
        obj["inclination_deg"] = rec.inclination_deg
        obj["eccentricity"] = ecc
        obj["regime"] = (
            classify_regime(rec.period_min, ecc, rec.apogee_km) if ecc is not None else None
        )


class _Objects:
    """Object rows being merged: stored values, copied on first change."""

    def __init__(self, before: dict[int, dict]):
        self.before = before
        self.merged: dict[int, dict] = {}

    def get(self, nid: int) -> dict:
        """The row to read (merged if touched, else stored, else empty)."""
        obj = self.merged.get(nid)
        if obj is None:
            obj = self.before.get(nid)
        return obj if obj is not None else _EMPTY_OBJECT

    def edit(self, nid: int) -> dict:
        """The row to change (copied from the stored one on first use)."""
        obj = self.merged.get(nid)
        if obj is None:
            old = self.before.get(nid)
            obj = self.merged[nid] = dict(old) if old is not None else _empty_object()
        return obj


def _merge_newest(objects: _Objects, newest: dict[int, tuple], public: bool = True) -> None:
    """Make each object's newest set of the file its orbit when it is newer than the stored one.

    The object's name follows its newest set; designator, owner and type from
    element sets only fill fields that are still empty (SATCAT wins).  Sets
    of a restricted file (not ``public``) change only the orbit: their facts
    are kept by :func:`orbitwatch.store.facts.merge_labelled_facts`.
    Orbit fields are computed for all updated objects at once (numpy).
    """
    take: list[tuple] = []
    for nid, (ep, s) in newest.items():
        cur = objects.get(nid)
        newer = cur["latest_epoch"] is None or ep > cur["latest_epoch"]
        if newer:
            take.append((ep, s))
        # the name follows the newest set; SATCAT is authoritative for the rest,
        # which element sets only fill in when still unknown
        changes = []
        if public and s.name and (newer or cur["name"] is None) and cur["name"] != s.name:
            changes.append(("name", s.name))
        if public:
            for k, v in (
                ("intl_designator", normalize_intl_designator(s.intl_designator)),
                ("owner", s.owner),
                ("object_type", s.object_type),
            ):
                if v and cur[k] is None:
                    changes.append((k, v))
        if changes or newer:
            obj = objects.edit(nid)
            for k, v in changes:
                obj[k] = v
    if not take:
        return
    n = np.fromiter((s.mean_motion_rev_day for _, s in take), float, len(take))
    e = np.fromiter((s.eccentricity for _, s in take), float, len(take))
    inc = np.fromiter((s.inclination_deg for _, s in take), float, len(take))
    perigee, apogee = perigee_apogee_km(n, e, inc)
    period = period_min(n)
    regime = classify_regimes(period, e, apogee)
    for j, (ep, s) in enumerate(take):
        obj = objects.edit(s.norad_id)
        obj["latest_epoch"] = ep
        obj["eccentricity"] = s.eccentricity
        obj["inclination_deg"] = s.inclination_deg
        p, a, t = float(perigee[j]), float(apogee[j]), float(period[j])
        obj["perigee_km"] = p if math.isfinite(p) else None
        obj["apogee_km"] = a if math.isfinite(a) else None
        obj["period_min"] = t if math.isfinite(t) else None
        obj["regime"] = regime[j]


_ES_VALUE_FIELDS = (
    "mean_motion_rev_day",
    "eccentricity",
    "inclination_deg",
    "raan_deg",
    "arg_perigee_deg",
    "mean_anomaly_deg",
    "bstar",
    "mean_motion_dot",
    "mean_motion_ddot",
    "classification",
    "element_set_no",
    "rev_at_epoch",
    "ephemeris_type",
    "line1",
    "line2",
)
_es_values = attrgetter(*_ES_VALUE_FIELDS)


_object_values = itemgetter(*_OBJECT_COLUMNS)




#: columns an object first seen in an element-set file has (SATCAT fields stay NULL;
#: binding only these is twice as fast as binding every column with NULLs)
_FIRST_SEEN_COLUMNS = (
    "norad_id",
    "name",
    "intl_designator",
    "owner",
    "object_type",
    "latest_epoch",
    "regime",
    "perigee_km",
    "apogee_km",
    "inclination_deg",
    "period_min",
    "eccentricity",
)


def _first_seen_rows(first_seen: dict[int, tuple], public: bool = True) -> list[tuple]:
    """Object rows (``_FIRST_SEEN_COLUMNS``) for objects new to the store.

    ``first_seen`` maps norad_id -> (driver-form epoch, newest ElementSet);
    orbit fields are computed for all of them at once, and the rows are built
    column-wise (one ``zip``, no per-row indexing).  The sets' names and
    metadata are kept only from a ``public`` file.
    """
    if not first_seen:
        return []
    m = len(first_seen)
    ids = list(first_seen)
    epochs, sets = zip(*first_seen.values(), strict=True)
    n, e, inc = (np.fromiter(map(get, sets), float, m) for get in _ORBIT_GETTERS)
    perigee, apogee = perigee_apogee_km(n, e, inc)
    period = period_min(n)
    regime = classify_regimes(period, e, apogee).tolist()
    finite = np.isfinite(perigee) & np.isfinite(apogee) & np.isfinite(period)
    if finite.all():
        perigee, apogee, period = perigee.tolist(), apogee.tolist(), period.tolist()
    else:  # NULL where the orbit is not defined (all three, as before)
        perigee, apogee, period = (
            [v if ok else None for v, ok in zip(x.tolist(), finite.tolist(), strict=True)]
            for x in (perigee, apogee, period)
        )
    if public:
        names, intls, owners, types = zip(*map(_meta_values, sets), strict=True)
        intls = normalize_intl_designators(intls)
    else:
        names = intls = owners = types = (None,) * m
    return list(
        zip(
            ids,
            [x or None for x in names],
            intls,
            [x or None for x in owners],
            [x or None for x in types],
            epochs,
            regime,
            perigee,
            apogee,
            inc.tolist(),
            period,
            e.tolist(),
            strict=True,
        )
    )


_ORBIT_GETTERS = tuple(
    attrgetter(f) for f in ("mean_motion_rev_day", "eccentricity", "inclination_deg")
)
_meta_values = attrgetter("name", "intl_designator", "owner", "object_type")


_object_facts = itemgetter(*FACT_COLUMNS)


def _write_objects(
    conn: Connection,
    objects: _Objects,
    first_seen_rows: list[tuple] = (),
    *,
    ingest_id: int,
    public: bool = True,
):
    """Insert new objects and update changed ones; returns (inserted, updated) ids.

    Rows whose public facts change are stamped with ``ingest_id``
    (``facts_ingest_id``, which orders them against restricted facts); so
    are the ``first_seen_rows`` of a ``public`` file, which name theirs.
    """
    before = objects.before
    for k, v in objects.merged.items():
        old = before.get(k, _EMPTY_OBJECT)
        if _object_facts(v) != _object_facts(old):
            v["facts_ingest_id"] = ingest_id
    new_ids = [k for k in objects.merged if k not in before]
    changed_ids = [k for k, v in objects.merged.items() if k in before and v != before[k]]
    new_rows = [(k, *_object_values(objects.merged[k])) for k in new_ids]
    bulk_insert(conn, ob, ("norad_id", *_OBJECT_COLUMNS), new_rows, conflict=("norad_id",))
    bulk_insert(
        conn, ob, _FIRST_SEEN_COLUMNS, first_seen_rows, conflict=("norad_id",), keys_checked=True,
        constants={"facts_ingest_id": ingest_id} if public else None,
    )
    new_ids.extend(r[0] for r in first_seen_rows)
    bulk_update(
        conn,
        ob,
        "norad_id",
        _OBJECT_COLUMNS,
        [(*_object_values(objects.merged[k]), k) for k in changed_ids],
    )
    return set(new_ids), set(changed_ids)


def _insert_element_sets(
    conn: Connection,
    rows: Sequence[tuple],
    constants: dict,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Insert driver-form rows (norad_id, epoch, ``_ES_VALUE_FIELDS``…) plus ``constants``."""
    columns = ("norad_id", "epoch", *_ES_VALUE_FIELDS)
    total = len(rows)
    done = 0
    step = None if progress is None else (lambda n: progress(done + n, total))
    batch_size = CHUNK if conn.dialect.name == "sqlite" else max(total, 1)
    for batch in chunks(rows, batch_size):
        bulk_insert(
            conn,
            es,
            columns,
            batch,
            constants=constants,
            conflict=("norad_id", "epoch", "source"),
            progress=step,
            keys_checked=True,
        )
        done += len(batch)


def _finish_ingest(conn: Connection, ingest_id: int, counts: IngestCounts) -> None:
    conn.execute(
        update(ingests_table)
        .where(ingests_table.c.id == ingest_id)
        .values(
            read=counts.read,
            new=counts.new,
            duplicate=counts.duplicate,
            rejected=counts.rejected,
        )
    )


def _unique_and_newest(sets: Sequence[ElementSet], dialect_name: str):
    """``{(norad_id, epoch): set}`` and ``{norad_id: (epoch, set)}``.

    Of two sets of one object at one epoch in a file (two fits published with
    the same epoch) the one kept is the one the readers take as in force,
    :func:`orbitwatch.elements.newest_per_object`'s: the higher element-set
    number, then the later in the file; so a file read directly and the same
    file ingested give the same history.

    Epochs in driver form (integer microseconds on SQLite).  This runs over
    every set of every file: keys are built column-wise, and in the common case
    of one set per object (a catalog snapshot: no key can repeat) both dicts
    are built straight from them; otherwise one pass decides.
    """
    ids = list(map(_get_norad_id, sets))
    if dialect_name == "sqlite":
        e0, us = UNIX_EPOCH, ONE_US
        epochs = [(s.epoch - e0) // us for s in sets]
    else:
        epochs = list(map(_get_epoch, sets))
    keys = list(zip(ids, epochs, strict=True))
    if len(set(ids)) == len(ids):  # one set per object, so no key repeats either
        unique = dict(zip(keys, sets, strict=True))
        return unique, dict(zip(ids, zip(epochs, sets, strict=True), strict=True))
    unique = {}
    newest: dict[int, tuple] = {}
    for key, s in zip(keys, sets, strict=True):
        had = unique.get(key)
        if had is not None and s.element_set_no < had.element_set_no:
            continue
        unique[key] = s
        nid, ep = key
        cur = newest.get(nid)
        if cur is None or ep >= cur[0]:
            newest[nid] = (ep, s)
    return unique, newest


_get_norad_id = attrgetter("norad_id")
_get_epoch = attrgetter("epoch")


def _ingest(
    conn: Connection,
    result: ParseResult,
    source: str,
    partner: str | None,
    releasable_to: str,
    progress: Callable[[int, int], None] | None,
    now: datetime,
) -> IngestCounts:
    lock_for_ingest(conn)  # from here on no other ingest can add the keys we check
    ensure_partner(conn, partner)
    ingest_id = conn.execute(
        insert(ingests_table)
        .values(
            file=str(result.file),
            format=result.format,
            source=source,
            partner=partner,
            releasable_to=releasable_to,
            read=result.read,
            new=0,
            duplicate=0,
            rejected=len(result.errors),
            ingested_at=now,
        )
        .returning(ingests_table.c.id)
    ).scalar_one()

    # 1. element sets: unique within the file (of same-epoch copies the one the
    #    readers take), and the newest per object, in one pass; keys in driver
    #    form (see bulk.py)
    unique, newest = _unique_and_newest(result.element_sets, conn.dialect.name)
    dup_in_file = len(result.element_sets) - len(unique)
    # … and not already stored for this source
    if unique:
        epochs = [k[1] for k in unique]
        stored = _existing_keys(conn, source, list(newest), min(epochs), max(epochs))
    else:
        stored = set()
    # driver-form rows: the key tuple + the values (tuple concatenation in C)
    if stored:
        fresh = [k + _es_values(s) for k, s in unique.items() if k not in stored]
    else:
        fresh = list(map(add, unique.keys(), map(_es_values, unique.values())))

    # 2. objects: merge SATCAT metadata and the newest orbit (driver-form values).
    #    A light look-up (epoch and element-set metadata) decides which stored
    #    objects can change at all; only those are read in full.
    #    Facts (SATCAT metadata, names) of a file releasable to ALL go to the
    #    object rows; those of a restricted file to its label's rows in
    #    object_facts (orbitwatch.store.facts), read only by those it may reach.
    day = date_converter(conn.dialect.name)
    public = releasable_to == RELEASABLE_ALL
    satcat_by_id: dict[int, SatcatRecord] = {}
    satcat_new = satcat_dup = 0
    for rec in result.satcat:
        if rec.norad_id in satcat_by_id:
            satcat_dup += 1
        satcat_by_id[rec.norad_id] = rec
    if not public:
        n, d = merge_labelled_facts(conn, partner=partner, releasable_to=releasable_to,
                                    ingest_id=ingest_id, satcat=satcat_by_id, newest=newest)
        satcat_new, satcat_dup = n, satcat_dup + d
    object_satcat = satcat_by_id if public else {}
    known = _existing_light(
        conn, list(newest.keys() | object_satcat.keys()) if object_satcat else list(newest)
    )
    candidates = set(object_satcat)
    if known:
        for nid, (ep, s) in newest.items():
            light = known.get(nid)
            if light is not None and _may_change(light, ep, s, public):
                candidates.add(nid)
    objects = _Objects(_existing_objects(conn, [n for n in candidates if n in known]))
    for nid, rec in object_satcat.items():
        snapshot = dict(objects.get(nid)) if nid in objects.before else None
        obj = objects.edit(nid)
        _merge_satcat(obj, rec, day)
        if snapshot is None or obj != snapshot:
            satcat_new += 1
        else:
            satcat_dup += 1
    # objects seen for the first time (the bulk of a first catalog load) become
    # rows directly; known or SATCAT-touched ones are merged field by field
    if known or objects.merged:
        first_seen = {
            nid: v for nid, v in newest.items() if nid not in known and nid not in objects.merged
        }
    else:  # a first load: every object is new
        first_seen = newest
    _merge_newest(objects, {k: newest[k] for k in candidates if k in newest}, public)
    inserted, updated = _write_objects(
        conn, objects, _first_seen_rows(first_seen, public), ingest_id=ingest_id, public=public
    )

    # 3. the new element sets
    constants = {
        "source": source,
        "partner": partner,
        "releasable_to": releasable_to,
        "ingest_id": ingest_id,
        "ingested_at": now,
    }
    _insert_element_sets(conn, fresh, constants, progress)
    n_new = len(fresh)

    counts = IngestCounts(
        file=str(result.file),
        format=result.format,
        read=result.read,
        new=n_new + satcat_new,
        duplicate=dup_in_file + len(unique) - len(fresh) + satcat_dup,
        rejected=len(result.errors),
        errors=list(result.errors),
        element_sets_new=n_new,
        objects_new=len(inserted),
        objects_updated=len(updated),
        ingest_id=ingest_id,
    )
    _finish_ingest(conn, ingest_id, counts)
    return counts


def ingest_parse_result(
    target: Session | Engine | Connection,
    result: ParseResult,
    *,
    source: str | None = None,
    partner: str | None = None,
    releasable_to: str | Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> IngestCounts:
    """Store one parsed file in one transaction; returns what it added.

    ``source`` names where the element sets come from and is part of their key
    (norad_id, epoch, source); default: the partner code when a partner is
    named, else :data:`DEFAULT_SOURCE`.  ``partner`` (code, created when new)
    contributed the records; ``releasable_to`` is ``ALL`` (default) or partner
    codes.  ``progress(done, total)`` is called while element sets are written.

    With an ``Engine`` a transaction is opened and committed here; with a
    ``Session`` the work joins its transaction and is committed (rolled back
    on error); with a ``Connection`` already in a transaction the caller
    commits.  Any exception leaves nothing of the file written.
    """
    partner = normalize_partner(partner)
    releasable = normalize_releasable_to(releasable_to)
    if source is None or not source.strip():
        source = partner.lower() if partner else DEFAULT_SOURCE
    source = source.strip()
    now = now or datetime.now(UTC)
    args = (result, source, partner, releasable, progress, now)
    # The bulk paths allocate hundreds of thousands of short-lived tuples and
    # dicts; the cyclic collector would repeatedly traverse every live record
    # of the file (a third of the ingest time on a 17,000-set catalog).  Nothing
    # here forms reference cycles, so collection is paused for the call.
    with _gc_paused():
        return _ingest_in_transaction(target, args)


@contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ingest_in_transaction(target, args) -> IngestCounts:
    if isinstance(target, Engine):
        from orbitwatch.store.db import SQLITE_BEGIN_OPTION

        with target.connect() as conn:
            # SQLite: the ingest creates every partner, object and ingest row its
            # element sets refer to, inside this one write-locked transaction, so
            # per-row foreign-key checks are redundant work here; they are off for
            # this transaction only (the pragma must be set outside a transaction)
            # and back on before the connection returns to the pool.
            raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                conn = conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
                with conn.begin():
                    return _ingest(conn, *args)
            finally:
                if raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")
    if isinstance(target, Session):
        try:
            counts = _ingest(target.connection(), *args)
            target.commit()
        except BaseException:
            target.rollback()
            raise
        return counts
    if isinstance(target, Connection):
        if target.in_transaction():
            return _ingest(target, *args)
        with target.begin():
            return _ingest(target, *args)
    raise TypeError(f"ingest target must be a Session, Engine or Connection, not {type(target)}")


# ---------------------------------------------------------------------------
# queries


@dataclass(frozen=True, slots=True)
class ObjectRow:
    """One object as listed by ``orbitwatch objects`` (altitudes km, period min)."""

    norad_id: int
    name: str | None
    intl_designator: str | None
    owner: str | None
    object_type: str | None
    launch_date: date | None
    decay_date: date | None
    rcs_m2: float | None
    latest_epoch: datetime | None
    regime: str | None
    perigee_km: float | None
    apogee_km: float | None
    inclination_deg: float | None
    period_min: float | None
    eccentricity: float | None

    def to_dict(self) -> dict:
        """JSON-ready dict; ``epoch`` is the latest epoch in ISO-8601 ``Z``."""
        from orbitwatch.timeutil import iso_z

        return {
            "norad_id": self.norad_id,
            "name": self.name,
            "intl_designator": self.intl_designator,
            "owner": self.owner,
            "object_type": self.object_type,
            "epoch": iso_z(self.latest_epoch) if self.latest_epoch else None,
            "regime": self.regime,
            "perigee_km": _round(self.perigee_km, 3),
            "apogee_km": _round(self.apogee_km, 3),
            "inclination_deg": _round(self.inclination_deg, 4),
            "period_min": _round(self.period_min, 4),
            "launch_date": self.launch_date.isoformat() if self.launch_date else None,
            "decay_date": self.decay_date.isoformat() if self.decay_date else None,
        }


def _round(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)


_OBJECT_ROW_FIELDS = tuple(ObjectRow.__dataclass_fields__)


def object_filter_conditions(
    *, owner: str | None = None, object_type: str | None = None, search: str | None = None
) -> list:
    """SQL conditions on the objects table: ``owner`` and ``object_type`` exact codes
    (case-insensitive); ``search`` a case-insensitive substring of the name or
    international designator, or a catalog number."""
    conds = []
    if owner:
        conds.append(func.upper(ob.c.owner) == owner.strip().upper())
    if object_type:
        conds.append(func.upper(ob.c.object_type) == object_type.strip().upper())
    if search:
        text = search.strip()
        cond = or_(
            func.lower(ob.c.name).contains(text.lower(), autoescape=True),
            func.lower(ob.c.intl_designator).contains(text.lower(), autoescape=True),
        )
        if text.isdigit():
            cond = or_(cond, ob.c.norad_id == int(text))
        conds.append(cond)
    return conds


def matching_visible_objects(
    session: Session | Connection,
    *,
    visible_to: str,
    owner: str | None = None,
    object_type: str | None = None,
    search: str | None = None,
) -> tuple[list[int], dict[int, ObjectFacts]]:
    """Sorted catalog numbers of the objects partner ``visible_to`` may see whose
    facts, as that partner sees them, match the filters (see
    :func:`object_filter_conditions`); and those facts, for the objects with
    restricted facts the partner may see (:func:`~orbitwatch.store.facts.visible_facts`).

    Objects showing only public facts are filtered in SQL; the (few) with
    restricted facts the partner may see, on their merged facts in Python.
    """
    fx = visible_facts(session, visible_to=visible_to)
    conds = [visible_object_clause(visible_to),
             *object_filter_conditions(owner=owner, object_type=object_type, search=search)]
    ids = {r[0] for r in session.execute(select(ob.c.norad_id).where(*conds))
           if r[0] not in fx}
    pick = [n for n, f in fx.items()
            if matches(f.values, n, owner=owner, object_type=object_type, search=search)]
    for first, last, wanted in id_ranges(pick):
        stmt = select(ob.c.norad_id).where(
            visible_object_clause(visible_to), ob.c.norad_id.between(first, last))
        ids.update(r[0] for r in session.execute(stmt) if r[0] in wanted)
    return sorted(ids), fx


def object_rows(session: Session | Connection, ids: Sequence[int]) -> list[ObjectRow]:
    """The ``objects`` rows (public facts, newest orbit) of ``ids``, by catalog number."""
    out: list[ObjectRow] = []
    cols = [ob.c[f] for f in _OBJECT_ROW_FIELDS]
    for first, last, wanted in id_ranges(list(ids)):
        stmt = select(*cols).where(ob.c.norad_id.between(first, last)).order_by(ob.c.norad_id)
        out.extend(ObjectRow(*r) for r in session.execute(stmt) if r[0] in wanted)
    return out


def list_objects(
    session: Session | Connection,
    *,
    regime: str | None = None,
    owner: str | None = None,
    object_type: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    visible_to: str | None = None,
) -> list[ObjectRow]:
    """Objects ordered by catalog number, filtered.

    ``regime`` LEO/MEO/GEO/HEO; ``owner`` and ``object_type`` exact codes
    (case-insensitive); ``search`` a case-insensitive substring of the name or
    international designator, or a catalog number.  Without ``visible_to``:
    every object, with its public facts (from records releasable to ALL).
    With ``visible_to`` only objects with an element set that partner may see
    are listed, their facts are those the partner may see (filters apply to
    them) and their orbit fields come from the newest set it may see.
    """
    if visible_to is None:
        stmt = select(*[ob.c[f] for f in _OBJECT_ROW_FIELDS])
        conds = object_filter_conditions(owner=owner, object_type=object_type, search=search)
        if conds:
            stmt = stmt.where(*conds)
        stmt = stmt.order_by(ob.c.norad_id)
        if regime:
            stmt = stmt.where(ob.c.regime == regime.strip().upper())
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [ObjectRow(*row) for row in session.execute(stmt)]

    # partner view: its facts; orbit fields from the newest set the partner may see
    ids, fx = matching_visible_objects(
        session, visible_to=visible_to, owner=owner, object_type=object_type, search=search)
    rows = [with_facts(r, fx) for r in object_rows(session, ids)]
    latest = {
        s.norad_id: s
        for s in latest_element_sets(session, ids=[r.norad_id for r in rows], visible_to=visible_to)
    }
    out: list[ObjectRow] = []
    for r in rows:
        s = latest.get(r.norad_id)
        if s is not None and s.epoch != r.latest_epoch:
            orbit = orbit_summary(s.mean_motion_rev_day, s.eccentricity, s.inclination_deg)
            d = {f: getattr(r, f) for f in _OBJECT_ROW_FIELDS}
            d.update(orbit, latest_epoch=s.epoch, eccentricity=s.eccentricity)
            r = ObjectRow(**d)
        if regime and r.regime != regime.strip().upper():
            continue
        out.append(r)
    end = None if limit is None else offset + limit
    return out[offset:end]


@dataclass(frozen=True, slots=True)
class StoredElementSet:
    """An element set as stored: the elements plus provenance."""

    id: int
    element_set: ElementSet
    source: str
    partner: str | None
    releasable_to: str
    ingested_at: datetime


_ES_FIELDS = (
    "norad_id",
    "epoch",
    "mean_motion_rev_day",
    "eccentricity",
    "inclination_deg",
    "raan_deg",
    "arg_perigee_deg",
    "mean_anomaly_deg",
    "bstar",
    "mean_motion_dot",
    "mean_motion_ddot",
    "classification",
    "element_set_no",
    "rev_at_epoch",
    "ephemeris_type",
    "line1",
    "line2",
)

try:  # the readers' fast constructor (plain slot stores), same result as ElementSet(...)
    from orbitwatch.elements._build import make_element_set as _make_element_set
except ImportError:  # pragma: no cover - fall back to the dataclass constructor
    _make_element_set = ElementSet


def _element_set_columns(table=es) -> list:
    """Columns in ``ElementSet`` field order; the epoch is read raw (see :func:`_read_sets`)."""
    raw = type_coerce(table.c.epoch, NullType()).label("epoch")
    c = table.c
    return [
        c.norad_id,
        raw,
        c.mean_motion_rev_day,
        c.eccentricity,
        c.inclination_deg,
        c.raan_deg,
        c.arg_perigee_deg,
        c.mean_anomaly_deg,
        c.bstar,
        c.mean_motion_dot,
        c.mean_motion_ddot,
        ob.c.name,
        ob.c.intl_designator,
        c.classification,
        c.element_set_no,
        c.rev_at_epoch,
        c.ephemeris_type,
        c.line1,
        c.line2,
        literal_column("0").label("source_line"),
        ob.c.owner,
        ob.c.object_type,
        c.source,
        c.partner,
        c.releasable_to,
    ]


_N_ES_COLUMNS = 25


def _epoch_reader(dialect_name: str):
    """Raw epoch value -> aware UTC datetime (what :class:`UTCDateTime` returns)."""
    if dialect_name == "sqlite":
        return lambda v: UNIX_EPOCH + timedelta(microseconds=v)
    return lambda v: v.astimezone(UTC)


def _read_sets(session, stmt) -> tuple[list[ElementSet], list]:
    """Run ``stmt`` (first columns from :func:`_element_set_columns`); sets and raw rows.

    Rows are fetched in one ``fetchall`` and turned into records without
    SQLAlchemy's per-value processing: reading a 183,000-set history this way
    is several times faster than through typed result rows.
    """
    with _gc_paused():  # hundreds of thousands of new records, no cycles
        return _read_sets_unpaused(session, stmt)


def _read_sets_unpaused(session, stmt) -> tuple[list[ElementSet], list]:
    rows = session.execute(stmt).fetchall()
    if not rows:
        return [], rows
    dialect = session.get_bind().dialect.name if isinstance(session, Session) else (
        session.dialect.name
    )
    to_dt = _epoch_reader(dialect)
    make = _make_element_set
    n = _N_ES_COLUMNS
    sets = [make(r[0], to_dt(r[1]), *r[2:n]) for r in rows]
    # an object with no public designator: the set's own (TLE line 1), which
    # whoever reads the set may see; never another record's
    for k in [k for k, r in enumerate(rows) if r[_INTL] is None and r[_LINE1]]:
        intl = normalize_intl_designator(rows[k][_LINE1][9:17])
        if intl:
            sets[k] = replace(sets[k], intl_designator=intl)
    return sets, rows


#: positions in rows of :func:`_element_set_columns`
_INTL, _LINE1 = 12, 17


def history(
    session: Session | Connection,
    norad_id: int,
    *,
    visible_to: str | None = None,
    source: str | None = None,
) -> list[StoredElementSet]:
    """Every stored element set of one object, oldest first (then by source)."""
    stmt = (
        select(
            *_element_set_columns(),
            es.c.id,
            es.c.source,
            es.c.partner,
            es.c.releasable_to,
            es.c.ingested_at,
        )
        .join(ob, ob.c.norad_id == es.c.norad_id)
        .where(es.c.norad_id == int(norad_id))
        .order_by(es.c.epoch, es.c.source)
    )
    if source:
        stmt = stmt.where(es.c.source == source)
    if visible_to is not None:
        stmt = stmt.where(visible_element_set_clause(visible_to))
    sets, rows = _read_sets(session, stmt)
    n = _N_ES_COLUMNS
    return [
        StoredElementSet(
            id=row[n],
            element_set=s,
            source=row[n + 1],
            partner=row[n + 2],
            releasable_to=row[n + 3],
            ingested_at=row[n + 4],
        )
        for s, row in zip(sets, rows, strict=True)
    ]


def _id_batches(ids: Iterable[int] | None):
    if ids is None:
        yield None
        return
    unique = sorted({int(i) for i in ids})
    if not unique:
        return
    yield from chunks(unique, 10000)


def latest_element_sets(
    session: Session | Connection,
    *,
    as_of: datetime | None = None,
    ids: Iterable[int] | None = None,
    visible_to: str | None = None,
) -> list[ElementSet]:
    """The newest element set of each object (at or before ``as_of`` when given).

    One SQL query (per 10,000 ids): the newest epoch per object from the
    (norad_id, epoch, source) index (``GROUP BY norad_id``), joined back to
    its element set — on a 183,000-set SQLite history about ten times faster
    than ``ROW_NUMBER() OVER (PARTITION BY …)``.  Among sets of equal epoch
    from several sources the one released widest wins (what is derived from
    it is then narrowed least), then the last ingested.  Ordered by catalog
    number.
    """
    out: list[ElementSet] = []
    for batch in _id_batches(ids):
        newest = select(es.c.norad_id.label("nid"), func.max(es.c.epoch).label("newest"))
        if as_of is not None:
            newest = newest.where(es.c.epoch <= as_of)
        if batch is not None:
            newest = newest.where(es.c.norad_id.in_(batch))
        if visible_to is not None:
            newest = newest.where(visible_element_set_clause(visible_to))
        m = newest.group_by(es.c.norad_id).subquery("newest")
        stmt = (
            select(*_element_set_columns(), es.c.id)
            .select_from(m)
            .join(es, and_(es.c.norad_id == m.c.nid, es.c.epoch == m.c.newest))
            .join(ob, ob.c.norad_id == es.c.norad_id)
        )
        if visible_to is not None:
            stmt = stmt.where(visible_element_set_clause(visible_to))
        sets, rows = _read_sets(session, stmt)
        best: dict[int, tuple[tuple[int, int], ElementSet]] = {}
        for s, row in zip(sets, rows, strict=True):
            rank = (breadth(s.partner, s.releasable_to), row[_N_ES_COLUMNS])
            cur = best.get(s.norad_id)
            if cur is None or rank > cur[0]:
                best[s.norad_id] = (rank, s)
        out.extend(best[k][1] for k in sorted(best))
    return out


def all_element_sets(
    session: Session | Connection,
    ids: Iterable[int] | None = None,
    since: datetime | None = None,
    *,
    until: datetime | None = None,
    visible_to: str | None = None,
) -> list[ElementSet]:
    """Every stored element set (epoch in [since, until]), by catalog number, epoch, source."""
    out: list[ElementSet] = []
    for batch in _id_batches(ids):
        stmt = select(*_element_set_columns()).join(ob, ob.c.norad_id == es.c.norad_id)
        if batch is not None:
            stmt = stmt.where(es.c.norad_id.in_(batch))
        if since is not None:
            stmt = stmt.where(es.c.epoch >= since)
        if until is not None:
            stmt = stmt.where(es.c.epoch <= until)
        if visible_to is not None:
            stmt = stmt.where(visible_element_set_clause(visible_to))
        # the unique key's order: no sort step
        stmt = stmt.order_by(es.c.norad_id, es.c.epoch, es.c.source)
        out.extend(_read_sets(session, stmt)[0])
    return out


def ingest_log(session: Session | Connection, limit: int = 50) -> list[dict]:
    """The most recent ingests, newest first, as dicts."""
    stmt = select(ingests_table).order_by(ingests_table.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in session.execute(stmt)]
