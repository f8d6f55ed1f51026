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

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from orbitwatch.store.catalog import ensure_partner, normalize_partner, normalize_releasable_to
from orbitwatch.store.shared import lock_feed
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
    """Catalog numbers whose element sets a detector record was derived from
    (a breakup's: its parent, its collision partner and every fragment)."""
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
        # records stored before the full list was kept name a sample in their evidence
        ids |= {int(i) for i in (rec.get("evidence") or {}).get("fragment_ids_sample", [])}
    return ids


def release_for(
    rec: dict,
    labels: Mapping[int, set[tuple[str | None, str]]],
    *,
    partner: str | None,
    releasable_to: str | None,
    extra: Iterable[int] = (),
    inputs: Iterable[tuple[str | None, str]] = (),
) -> str | None:
    """``releasable_to`` for a derived record: the caller's release narrowed to
    those who may see every element set (``labels``, per object) it came from
    and every further input label (``inputs``: (partner, releasable_to));
    None when no partner may (see :func:`~orbitwatch.store.releasability.derived_releasable_to`)."""
    from orbitwatch.store.releasability import derived_releasable_to

    ids = involved_objects(rec) | {int(i) for i in extra}
    inputs = [lab for i in ids for lab in labels.get(i, ())] + list(inputs)
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
    no recorded inputs takes the labels of the objects it names.
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
        return release_for(finding.to_dict(), labels, partner=partner, releasable_to=releasable_to)
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
) -> tuple[int, int]:
    """Store detector records (dicts with ``type``); returns (new, already stored).

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
        kind = rec.get("type") or ("maneuver" if "delta_v_m_s" in rec else None)
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
            }
        )
    if not rows:
        if ids is not None:
            ids[:] = []
        return 0, 0

    def run(conn: Connection) -> tuple[int, int]:
        lock_feed(conn)  # ids in commit order for the stream; the duplicate check race-free
        ensure_partner(conn, partner)  # a partner's first records may be its findings
        existing = {
            (k, n, t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC), ti, p, rt): i
            for i, k, n, t, ti, p, rt in conn.execute(
                select(ev.c.id, ev.c.kind, ev.c.norad_id, ev.c.time, ev.c.title, ev.c.partner,
                       ev.c.releasable_to)
            )
        }
        new_rows, keys = [], []
        for r in rows:
            key = (r["kind"], r["norad_id"], r["time"], r["title"], r["partner"], r["releasable_to"])
            keys.append(key)
            if key in existing:
                continue
            existing[key] = None  # id known once inserted
            new_rows.append(r)
        if new_rows and ids is None:
            conn.execute(ev.insert(), new_rows)
        elif new_rows:
            got = conn.execute(ev.insert().returning(ev.c.id, sort_by_parameter_order=True), new_rows)
            for r, (i,) in zip(new_rows, got, strict=True):
                existing[(r["kind"], r["norad_id"], r["time"], r["title"], r["partner"],
                          r["releasable_to"])] = i
        if ids is not None:
            ids[:] = [existing[k] for k in keys]
        return len(new_rows), len(rows) - len(new_rows)

    if isinstance(engine, Engine):
        with engine.begin() as conn:
            return run(conn)
    return run(engine)


def all_events(
    conn: Connection, *, since: datetime | None = None, kind: str | None = None,
    visible_to: str | None = None, limit: int | None = None,
) -> list[dict]:
    """Stored events (oldest first), optionally since a time, of one kind, visible to a partner."""
    stmt = select(ev)
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
