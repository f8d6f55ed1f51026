"""Behaviour events and findings in the store, for the CLI and ``run``.

Events are kept in the ``events`` table (see :mod:`.shared_models`) with the
detector's JSON record as ``payload`` and, like every shared record, the
contributing ``partner`` and ``releasable_to``.  Storing is idempotent: an
event with the same kind, object, time and title, from the same partner with
the same release, as one already stored is not stored again, so re-running
the detectors over the same history adds nothing (while another partner's run,
or another release, stores its own copy, which its readers can see).

A record derived from shared element sets is releasable only to those who may
see all of them (:func:`release_for`, over :func:`involved_objects`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from orbitwatch.store.catalog import ensure_partner, normalize_partner, normalize_releasable_to
from orbitwatch.store.shared import id_chunks, lock_feed
from orbitwatch.store.shared_models import events_table as ev
from orbitwatch.timeutil import parse_iso

#: which field of each record type is its time and which its object
_TIME_KEY = {
    "maneuver": "epoch_estimate",
    "proximity": "closest_time",
    "breakup": "epoch_estimate",
    "geo_relocation": "gap_end",
    "finding": "time",
    "notice": "time",
}
_OBJECT_KEY = {
    "maneuver": "object",
    "proximity": "object",
    "breakup": "parent",
    "geo_relocation": "object",
    "finding": "responsible",
    "notice": "object",
}


def _kind_of(rec: Mapping) -> str | None:
    """A record's type (a manoeuvre record from ``detect maneuvers`` may carry none)."""
    return rec.get("type") or ("maneuver" if "delta_v_m_s" in rec else None)


def _title(kind: str, rec: dict) -> str:
    if kind == "maneuver":
        return f"manoeuvre ({rec.get('kind')})"
    if kind == "proximity":
        return f"{rec.get('kind')} near {rec.get('asset')}"
    if kind == "breakup":
        return f"breakup ({rec.get('classification')})"
    if kind == "geo_relocation":
        return f"GEO {rec.get('kind')}"
    if kind == "notice":
        return "manoeuvre notice"
    affected = f" near {rec['affected']}" if rec.get("affected") is not None else ""
    return f"{rec.get('rule')}: {rec.get('severity')}{affected}"


def involved_objects(rec: dict) -> set[int]:
    """Catalog numbers whose element sets (and catalogue facts) a detector record
    was derived from or shows (a breakup's: its parent, its collision partner,
    every fragment, and the other parent candidates and objects its alternatives
    name)."""
    kind = rec.get("type") or ("maneuver" if "delta_v_m_s" in rec else None)
    keys = {
        "maneuver": ("object",),
        "geo_relocation": ("object",),
        "notice": ("object",),
        "proximity": ("asset", "object"),
        "breakup": ("parent", "collision_partner"),
        "finding": ("responsible", "affected"),
    }.get(kind, ())
    ids = {int(rec[k]) for k in keys if rec.get(k) is not None}
    if kind == "breakup":
        ids |= {int(i) for i in rec.get("fragment_ids") or ()}
        evidence = rec.get("evidence") or {}
        # records stored before the full list was kept name a sample in their evidence
        ids |= {int(i) for i in evidence.get("fragment_ids_sample", [])}
        for key in ("parent_candidates", "alternative_objects"):
            ids |= {int(i) for i in evidence.get(key) or () if isinstance(i, int)}
    return ids


def release_for(
    rec: dict,
    labels: Mapping[int, set[tuple[str | None, str]]],
    *,
    partner: str | None,
    releasable_to: str | None,
    extra: Iterable[int] = (),
    inputs: Iterable[tuple[str | None, str]] = (),
    facts: Mapping[int, set[tuple[str | None, str]]] | None = None,
) -> str | None:
    """``releasable_to`` for a derived record: the caller's release narrowed to
    those who may see every element set (``labels``, per object) it came from,
    every restricted catalogue fact of its objects it may show (``facts``:
    labels per object, :func:`~orbitwatch.store.facts.fact_labels`) and every
    further input label (``inputs``: (partner, releasable_to)); None when no
    partner may (see :func:`~orbitwatch.store.releasability.derived_releasable_to`)."""
    from orbitwatch.store.releasability import derived_releasable_to

    ids = involved_objects(rec) | {int(i) for i in extra}
    inputs = [lab for i in ids for lab in labels.get(i, ())] + list(inputs)
    if facts:
        inputs += [lab for i in ids for lab in facts.get(i, ())]
    return derived_releasable_to(inputs, partner=normalize_partner(partner),
                                 releasable_to=normalize_releasable_to(releasable_to))


#: the label of an input nobody may see (a record a host run could not store)
NOBODY: tuple[str | None, str] = (None, "")


def finding_release(
    finding,
    labels: Mapping[int, set[tuple[str | None, str]]],
    own: Mapping[int, tuple[str | None, str]] | None = None,
    *,
    partner: str | None,
    releasable_to: str | None,
    unseen: tuple[str | None, str] | None = None,
    facts: Mapping[int, set[tuple[str | None, str]]] | None = None,
) -> str | None:
    """``releasable_to`` for a :class:`~orbitwatch.norms.rules.Finding`: the
    caller's release narrowed to those who may see every record it was judged
    from (its ``inputs``).

    An input's label is ``own[id(input)]`` when given (a stored event's own
    label, or the release the caller just gave a record it derived), else its
    own ``partner``/``releasable_to`` (a stored conjunction, a catalog row from
    a stored set), else every label (``labels``, per object) of the objects it
    names: a record of unknown origin (a file) goes no wider than any set of
    its objects (give ``labels`` of the sets the acting partner may see), and
    an object with none there counts as ``unseen`` when given.  A finding with
    no recorded inputs takes the labels of the objects it names.  ``facts``
    (labels per object) are those of the restricted catalogue facts the
    judgement was shown: the finding goes no wider than those of the objects
    it names (their owners).
    """
    from orbitwatch.store.releasability import derived_releasable_to

    own = own or {}
    inputs: list[tuple[str | None, str]] = []
    for rec in finding.inputs:
        if id(rec) in own:
            inputs.append(own[id(rec)])
        elif rec.get("releasable_to"):
            inputs.append((rec.get("partner"), rec["releasable_to"]))
        else:
            ids = involved_objects(rec) | {int(rec[k]) for k in ("object_1", "object_2", "norad_id")
                                           if rec.get(k) is not None}
            for i in ids:
                inputs += labels.get(i) or ([unseen] if unseen else [])
    if not finding.inputs:
        return release_for(finding.to_dict(), labels, partner=partner, releasable_to=releasable_to,
                           facts=facts)
    if facts:
        inputs += [lab for i in involved_objects(finding.to_dict()) for lab in facts.get(i, ())]
    return derived_releasable_to(inputs, partner=normalize_partner(partner),
                                 releasable_to=normalize_releasable_to(releasable_to))


def store_events(
    engine: Engine | Connection,
    records: Iterable[dict],
    *,
    partner: str | None = None,
    releasable_to: str | Iterable[str] | None = None,
    per_record: Sequence[str] | None = None,
    ids: list | None = None,
    origin: str | None = None,
    revise: bool = False,
) -> tuple[int, int]:
    """Store detector records (dicts with ``type``); returns (new, already stored).

    ``origin`` names the process that derived them (``run``, ``norms``; see
    :func:`supersede_events`); None for records posted by people.  A record
    counts as already stored only when an equal one is current (not
    superseded): a record found again after a revision withdrew it is stored
    anew.  With ``revise`` (a process that then calls :func:`supersede_events`)
    what the record says counts too (:func:`_material`): a record whose
    findings changed (a pending manoeuvre confirmed in the same gap, its Δv
    re-estimated by more than :data:`SAME_WITHIN`, a breakup with more
    fragments) is stored as a new record, which replaces the old one; one
    whose evidence alone moved (robust z-scores, noise levels re-estimated
    from more sets) is not.

    ``per_record``, when given, is each record's own ``releasable_to`` (see
    :func:`release_for`) in place of ``releasable_to``.  ``ids``, when given,
    is filled with each record's id in the store, in input order (the stored
    one's for a record already stored).
    Records with no time (a breakup whose epoch could not be fixed) are
    stamped with their evidence's earliest fragment epoch, else now.
    One transaction for the whole batch.
    """
    partner = normalize_partner(partner)
    releasable = normalize_releasable_to(releasable_to)
    records = list(records)
    if per_record is not None and len(per_record) != len(records):
        raise ValueError("per_record must give one releasable_to per record")
    now = datetime.now(UTC)
    rows = []
    for i, rec in enumerate(records):
        kind = _kind_of(rec)
        if kind not in _TIME_KEY:
            raise ValueError(f"unknown event record type: {kind!r}")
        t = rec.get(_TIME_KEY[kind]) or rec.get("evidence", {}).get("earliest_fragment_epoch")
        when = parse_iso(t) if t else now
        payload = dict(rec)
        payload["type"] = kind
        rows.append(
            {
                "kind": kind,
                "norad_id": rec.get(_OBJECT_KEY[kind]),
                "time": when,
                "title": _title(kind, rec),
                "payload": payload,
                "partner": partner,
                "releasable_to": releasable if per_record is None else normalize_releasable_to(per_record[i]),
                "created_at": now,
                "origin": origin,
                "derived_for": releasable if origin is not None else None,
            }
        )
    if not rows:
        if ids is not None:
            ids[:] = []
        return 0, 0

    def run(conn: Connection) -> tuple[int, int]:
        lock_feed(conn)  # ids in commit order for the stream; the duplicate check race-free
        ensure_partner(conn, partner)  # a partner's first records may be its findings
        existing: dict[tuple, list[int]] = {}  # current rows by key
        for i, k, n, t, ti, p, rt in conn.execute(
            select(ev.c.id, ev.c.kind, ev.c.norad_id, ev.c.time, ev.c.title, ev.c.partner,
                   ev.c.releasable_to).where(ev.c.superseded_at.is_(None))
        ):
            key = (k, n, t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC), ti, p, rt)
            existing.setdefault(key, []).append(i)
        said: dict[int, object] = {}  # what the rows that may match say (revise)
        if revise:
            for part in id_chunks(sorted({i for r in rows for i in existing.get(_base_key(r), ())})):
                for i, pl in conn.execute(select(ev.c.id, ev.c.payload).where(ev.c.id.in_(part))):
                    said[i] = _material(pl)
        new_rows: list[dict] = []
        batch: dict[tuple, list[tuple[object, int]]] = {}  # this call's new rows by key
        slots: list[tuple[bool, int]] = []  # (new?, row id or index into new_rows)
        for r in rows:
            key = _base_key(r)
            mat = _material(r["payload"]) if revise else None
            hit = next(((False, i) for i in existing.get(key, ()) if not revise or _same(said[i], mat)),
                       None)
            hit = hit or next(((True, j) for m, j in batch.get(key, ()) if not revise or _same(m, mat)),
                              None)
            if hit is None:
                hit = (True, len(new_rows))
                batch.setdefault(key, []).append((mat, len(new_rows)))
                new_rows.append(r)
            slots.append(hit)
        new_ids: list[int] = []
        if new_rows and ids is None:
            conn.execute(ev.insert(), new_rows)
        elif new_rows:
            got = conn.execute(ev.insert().returning(ev.c.id, sort_by_parameter_order=True), new_rows)
            new_ids = [i for (i,) in got]
        if ids is not None:
            ids[:] = [new_ids[x] if is_new else x for is_new, x in slots]
        return len(new_rows), len(rows) - len(new_rows)

    if isinstance(engine, Engine):
        with engine.begin() as conn:
            return run(conn)
    return run(engine)


def _base_key(row: dict) -> tuple:
    return (row["kind"], row["norad_id"], row["time"], row["title"], row["partner"], row["releasable_to"])


#: fields that are not what a record says: how sure, the evidence, its label
#: and id in the store (``norms`` writes them into its findings), and names
_NOT_MATERIAL = ("evidence", "confidence", "partner", "releasable_to", "id")


def _material(payload) -> object:
    """What a record says, for telling a revision from a re-derivation of the
    same record: its fields less :data:`_NOT_MATERIAL` and names (``name``,
    ``asset_name``…: they follow the newest set of a source) and, for a
    manoeuvre, whether it is pending and on how many sets after it."""
    if not isinstance(payload, dict):
        return payload
    d = {k: v for k, v in payload.items() if k not in _NOT_MATERIAL and not k.endswith("name")}
    ev = payload.get("evidence")
    if isinstance(ev, dict) and ev.get("pending") is not None:
        d["pending_sets_after"] = (ev["pending"] or {}).get("sets_after")
    return d


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
#: fields of prose with numbers in it (a finding's summary)
_PROSE = ("summary", "benign_explanation")

#: how much a number a record states (a Δv, a distance) may move between two
#: derivations before the record counts as revised
SAME_WITHIN = 0.2


def _same(a, b) -> bool:
    """Whether two records say the same (:func:`_material`): equal but for
    numbers within :data:`SAME_WITHIN` of each other, relatively."""
    if isinstance(a, dict) and isinstance(b, dict):
        if ("inputs" in a) != ("inputs" in b):  # judged from files: no inputs named
            a, b = ({k: v for k, v in x.items() if k != "inputs"} for x in (a, b))
        return a.keys() == b.keys() and all(
            (_same_prose if k in _PROSE else _same)(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return abs(a - b) <= SAME_WITHIN * max(abs(a), abs(b)) or a == b
    if isinstance(b, float) and isinstance(a, int) and not isinstance(a, bool):
        return _same(b, a)
    return a == b


def _same_prose(a, b) -> bool:
    """Two texts are the same when their words are and their numbers are
    within :data:`SAME_WITHIN` (a summary quoting a Δv re-estimated by 5 %)."""
    if not (isinstance(a, str) and isinstance(b, str)) or a == b:
        return a == b
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    return (_NUMBER.split(a) == _NUMBER.split(b) and len(na) == len(nb)
            and all(_same(float(x), float(y)) for x, y in zip(na, nb, strict=True)))


def all_events(
    conn: Connection, *, since: datetime | None = None, kind: str | None = None,
    visible_to: str | None = None, limit: int | None = None, superseded: bool = False,
) -> list[dict]:
    """Stored events (oldest first), optionally since a time, of one kind, visible
    to a partner; only the current ones unless ``superseded``."""
    stmt = select(ev)
    if not superseded:
        stmt = stmt.where(ev.c.superseded_at.is_(None))
    if since is not None:
        stmt = stmt.where(ev.c.time >= since)
    if kind:
        stmt = stmt.where(ev.c.kind == kind)
    if visible_to:
        from orbitwatch.store.catalog import visible_element_set_clause

        stmt = stmt.where(visible_element_set_clause(visible_to, table=ev))
    stmt = stmt.order_by(ev.c.time, ev.c.id)
    if limit:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def as_record(row: dict) -> dict:
    """A stored event back as the detector-style record the norms take: its payload
    with ``type``; a notice posted with only its catalog number and time (the
    service's ``POST /events``) gets ``object`` and ``time`` from the row."""
    rec = dict(row.get("payload") or {}, type=row["kind"])
    if row["kind"] == "notice":
        if rec.get("object") is None and row.get("norad_id") is not None:
            rec["object"] = int(row["norad_id"])
        if not rec.get("time") and row.get("time") is not None:
            from orbitwatch.timeutil import iso_z

            rec["time"] = iso_z(row["time"], 0)
    return rec


#: how far apart in time a record and the one that replaces it may lie when
#: nothing it says ties them closer (a proximity record of the same pair, the
#: window re-searched holding one per pair; a breakup or a finding that names
#: no fragments or inputs; see :func:`_same_event`)
REPLACE_WITHIN_DAYS = 7.0

#: how far a manoeuvre or a GEO relocation may move between two derivations and
#: still be the same change (days): it is replaced only by one whose gap (the
#: last set before the change to the first after it) overlaps its own gap
#: widened by this on each side.  The benchmark takes a detection for a
#: manoeuvre within the detection's gap or the gap on either side: with a set a
#: day that is this window; the GEO feeds hold two to four sets a day, so here
#: it spans a few gaps, and sparser histories still reach the adjacent gaps
#: (which share an epoch with the gap).  Station-keeping burns a few days apart
#: stay separate manoeuvres: 38332's burn of 26 May, not found again once the
#: sets of 29-30 May came, is withdrawn, not replaced by its burn of 30 May.
GAP_MARGIN_DAYS = 1.0


def _match_key(kind: str, payload: Mapping | None) -> tuple:
    """What besides kind and object a replacement must share with the record it
    replaces (a drift start is not replaced by a drift stop)."""
    p = payload or {}
    if kind == "proximity":
        return (p.get("asset"),)
    if kind == "finding":
        return (p.get("rule"), p.get("affected"))
    if kind == "geo_relocation":
        return (p.get("kind"),)
    return ()


def _gap(row: Mapping) -> tuple[datetime, datetime]:
    """A manoeuvre's or relocation's gap (``gap_start``..``gap_end`` of its
    payload), else the instant of its time."""
    p = row.get("payload") or {}
    try:
        a, b = parse_iso(str(p["gap_start"])), parse_iso(str(p["gap_end"]))
    except (KeyError, ValueError):
        return row["time"], row["time"]
    return min(a, b), max(a, b)


def _fragments(payload: Mapping | None) -> set[int]:
    """The fragments a breakup record names (older records: a sample in its evidence)."""
    p = payload or {}
    ev_ = p.get("evidence") if isinstance(p.get("evidence"), dict) else {}
    return {int(i) for i in (*(p.get("fragment_ids") or ()), *(ev_.get("fragment_ids_sample") or ()))}


def _inputs(payload: Mapping | None) -> set[str]:
    return {str(x) for x in (payload or {}).get("inputs") or ()}


def _same_event(old: Mapping, new: Mapping, names: set[str] | None = None) -> bool:
    """Whether ``new`` (a row or record view: ``kind``, ``time``, ``payload``) can
    replace ``old``, of the same kind and object (and :func:`_match_key`):

    * a manoeuvre or GEO relocation: its gap overlaps ``old``'s widened by
      :data:`GAP_MARGIN_DAYS` each side;
    * a breakup: it names one of ``old``'s fragments (a cloud re-estimated
      from more fragments, however far its epoch moved);
    * a finding: it was judged from one of ``old``'s inputs or their
      replacements (``names``, see :func:`_followed_inputs`);
    * otherwise (a proximity record of the same pair; a breakup or finding
      naming no fragments or inputs): within :data:`REPLACE_WITHIN_DAYS`.
    """
    kind = old["kind"]
    if kind in ("maneuver", "geo_relocation"):
        (a0, a1), (b0, b1) = _gap(old), _gap(new)
        margin = timedelta(days=GAP_MARGIN_DAYS)
        return b0 <= a1 + margin and b1 >= a0 - margin
    if kind == "breakup":
        fa, fb = _fragments(old.get("payload")), _fragments(new.get("payload"))
        if fa and fb:
            return bool(fa & fb)
    if kind == "finding" and names:
        return bool(names & _inputs(new.get("payload")))
    return abs((new["time"] - old["time"]).total_seconds()) <= REPLACE_WITHIN_DAYS * 86400.0


def _followed_inputs(conn: Connection, rows: Iterable[Mapping]) -> dict[int, set[str] | None]:
    """For each finding row, the names of the records it was judged from
    (:func:`input_ref`) and of every record that has replaced one of them since
    (``superseded_by``, followed to the current one); None when one of them
    was withdrawn (superseded with no replacement): the finding goes with it."""
    rows = list(rows)
    succ: dict[int, int | None] = {}  # superseded event -> its replacement (None: withdrawn)
    asked: set[int] = set()
    todo = {int(x[6:]) for r in rows for x in _inputs(r.get("payload"))
            if x.startswith("event:") and x[6:].isdigit()}
    while todo:
        asked |= todo
        for part in id_chunks(sorted(todo)):
            for i, at, by in conn.execute(select(ev.c.id, ev.c.superseded_at, ev.c.superseded_by)
                                          .where(ev.c.id.in_(part))):
                if at is not None:
                    succ[i] = by
        todo = {b for b in succ.values() if b is not None and b not in asked}
    out: dict[int, set[str] | None] = {}
    for r in rows:
        names = _inputs(r.get("payload"))
        for x in sorted(names):
            if not (x.startswith("event:") and x[6:].isdigit()):
                continue
            j: int | None = int(x[6:])
            seen: set[int] = set()
            while j in succ and j not in seen:
                seen.add(j)
                j = succ[j]
                if j is None:
                    break
                names.add(f"event:{j}")
            if j is None:
                names = None
                break
        out[r["id"]] = names
    return out


def input_ref(obj: Mapping, event_ids: Mapping[int, int]) -> str | None:
    """A stable name for one thing a finding was judged from: ``event:ID`` (a
    stored event; ``event_ids`` maps ``id(record)`` to its row id),
    ``conjunction:A-B@TCA`` or ``catalog:NORAD`` (an object's newest element
    set); None for a record that was not stored."""
    if id(obj) in event_ids:
        return f"event:{event_ids[id(obj)]}"
    if "object_1" in obj and "object_2" in obj and obj.get("tca") is not None:
        a, b = sorted((int(obj["object_1"]), int(obj["object_2"])))
        tca = obj["tca"]
        if isinstance(tca, datetime):
            from orbitwatch.timeutil import iso_z

            tca = iso_z(tca, 0)
        return f"conjunction:{a}-{b}@{str(tca)[:19]}"
    if "type" not in obj and obj.get("norad_id") is not None:
        return f"catalog:{int(obj['norad_id'])}"
    return None


def supersede_events(
    conn: Connection,
    *,
    partner: str | None,
    origins: Sequence[str],
    current: Iterable[int],
    in_scope: Callable[[dict], bool],
    derived_for: str | Iterable[str] | None = None,
    kinds: Sequence[str] | None = None,
    now: datetime | None = None,
) -> dict[int, int | None]:
    """Mark stale derived records as superseded; returns ``{old id: new id or None}``.

    A process that re-derives records over a stretch of the store (``orbitwatch
    run`` over every object's whole history, the norms over every record they
    judge) stores what it finds with :func:`store_events` and then calls this
    with the ids of those records (``current``, the already-stored ones too) and
    a test of which stored rows lie inside what it re-derived (``in_scope``,
    given each row as a dict).  Every current row of ``partner`` stored by one
    of ``origins`` for the release ``derived_for`` (the one the process was
    asked for; rows stored before revisions match any), of ``kinds`` when
    given, that is in scope and not in ``current`` is stale: it gets
    ``superseded_at`` and, as ``superseded_by``, the record of ``current`` of
    the same kind and object (and asset, relocation kind, or rule and affected
    object) that is the same event (:func:`_same_event`: a manoeuvre's gap
    within a day of the stale one's, a breakup sharing a fragment, a finding
    judged from one of the same records or their replacements), the nearest
    in time of those; with none it is withdrawn (``superseded_by`` NULL), as
    is a finding judged from a record withdrawn since.  Rows given by people
    (no origin) are never superseded.  Runs in the caller's transaction.
    """
    from sqlalchemy import bindparam, or_, update

    now = now or datetime.now(UTC)
    partner = normalize_partner(partner)
    release = normalize_releasable_to(derived_for)
    keep = set(current)
    who = ev.c.partner.is_(None) if partner is None else ev.c.partner == partner
    cols = (ev.c.id, ev.c.kind, ev.c.norad_id, ev.c.time, ev.c.payload)
    stmt = select(*cols).where(who, ev.c.origin.in_(list(origins)), ev.c.superseded_at.is_(None),
                               or_(ev.c.derived_for == release, ev.c.derived_for.is_(None)))
    if kinds is not None:
        stmt = stmt.where(ev.c.kind.in_(list(kinds)))
    rows = [dict(r._mapping) for r in conn.execute(stmt)]
    # the replacements: this derivation's records, whoever stored them first
    fresh_rows = [dict(r._mapping) for part in id_chunks(sorted(keep))
                  for r in conn.execute(select(*cols).where(ev.c.id.in_(part)))]
    for r in (*rows, *fresh_rows):
        t = r["time"]
        r["time"] = t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)
    fresh: dict[tuple, list[dict]] = {}
    for r in fresh_rows:
        fresh.setdefault((r["kind"], r["norad_id"], *_match_key(r["kind"], r["payload"])), []).append(r)
    stale = [r for r in rows if r["id"] not in keep and in_scope(r)]
    followed = _followed_inputs(conn, (r for r in stale if r["kind"] == "finding"))
    out: dict[int, int | None] = {}
    for r in stale:
        names = followed.get(r["id"], set())
        cands = fresh.get((r["kind"], r["norad_id"], *_match_key(r["kind"], r["payload"])), [])
        near = [(abs((c["time"] - r["time"]).total_seconds()), c["id"]) for c in cands
                if names is not None and _same_event(r, c, names)]
        out[r["id"]] = min(near)[1] if near else None
    if out:
        lock_feed(conn)  # the stream's supersession cursor increases in commit order
        seq = conn.execute(select(func.coalesce(func.max(ev.c.superseded_seq), 0))).scalar()
        conn.execute(
            update(ev).where(ev.c.id == bindparam("old"))
            .values(superseded_at=now, superseded_by=bindparam("new"), superseded_seq=bindparam("seq")),
            [{"old": o, "new": out[o], "seq": int(seq) + k} for k, o in enumerate(sorted(out), 1)],
        )
    return out


def near_any(records: Iterable[dict]) -> Callable[[dict], bool]:
    """Whether a stored row is the same event (:func:`_same_event`; a finding:
    within :data:`REPLACE_WITHIN_DAYS`) as one of ``records`` of its kind and
    object (and :func:`_match_key`): for a process that found a record again
    but could not store it (no partner may see all its inputs), so that the
    stored one is not taken as withdrawn."""
    at: dict[tuple, list[dict]] = {}
    for rec in records:
        kind = _kind_of(rec)
        if kind not in _TIME_KEY or not rec.get(_TIME_KEY[kind]):
            continue
        view = {"kind": kind, "time": parse_iso(rec[_TIME_KEY[kind]]), "payload": rec}
        at.setdefault((kind, rec.get(_OBJECT_KEY[kind]), *_match_key(kind, rec)), []).append(view)

    def check(row: dict) -> bool:
        views = at.get((row["kind"], row["norad_id"], *_match_key(row["kind"], row["payload"])), ())
        return any(_same_event(row, v) for v in views)

    return check


def superseded_ids(conn: Connection, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` whose rows are superseded."""
    return {r[0] for part in id_chunks(sorted(set(ids)))
            for r in conn.execute(select(ev.c.id).where(ev.c.id.in_(part), ev.c.superseded_at.is_not(None)))}


def findings_in_scope(conn: Connection, judged: set[str]) -> Callable[[dict], bool]:
    """The test of :func:`supersede_events` for findings, after an evaluation of
    the norms over the inputs named ``judged`` (:func:`input_ref`): a stored
    finding lies inside it when every input it names was judged again or has
    been superseded since.  A finding stored with no inputs named lies outside."""
    named = {}

    def refs(row: dict) -> list[str]:
        return list((row.get("payload") or {}).get("inputs") or [])

    def check(row: dict) -> bool:
        if row["kind"] != "finding":
            return False
        rs = refs(row)
        if not rs:
            return False
        events = [int(x[6:]) for x in rs if x.startswith("event:") and x not in judged]
        if any(not x.startswith("event:") and x not in judged for x in rs):
            return False
        if events:
            key = tuple(sorted(events))
            if key not in named:
                named[key] = superseded_ids(conn, events) == set(events)
            return named[key]
        return True

    return check
