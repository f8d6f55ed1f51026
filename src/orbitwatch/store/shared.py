"""Store operations on the service's shared records, filtered by releasability.

Every query that returns shared records takes ``visible_to`` (a partner code)
and returns only records that partner may see: its own (``partner`` equals
the code), those whose ``releasable_to`` is ``ALL``, and those whose
``releasable_to`` lists the code -- the rule of
:func:`orbitwatch.store.catalog.visible_element_set_clause`, applied here to
the service tables.  Counts are computed with the same filter, so a record
that is not releasable is indistinguishable from one that does not exist.

All functions are keyword-only after the connection/session, take a
``Session`` or ``Connection`` and do not commit (the caller owns the
transaction) unless they say so.  Rows come back as plain ``dict`` objects
with aware UTC ``datetime`` values.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.orm import Session

from orbitwatch.store.catalog import (
    ensure_partner,
    normalize_partner,
    normalize_releasable_to,
    visible_element_set_clause,
)
from orbitwatch.store.models import element_sets_table, partners_table
from orbitwatch.store.releasability import is_visible
from orbitwatch.store.shared_models import (
    EVENT_KINDS,
    ROLES,
    audit_table,
    conjunctions_table,
    events_table,
    screening_jobs_table,
    sensors_table,
    tokens_table,
    uploads_table,
)

Db = Session | Connection

#: token text prefix (helps secret scanners recognise leaked tokens)
TOKEN_PREFIX = "ow_"
#: at most this many record ids are written into one audit entry
AUDIT_MAX_IDS = 500


def _now() -> datetime:
    return datetime.now(UTC)


def visible_clause(table, code: str):
    """SQL condition: rows of ``table`` (with ``partner``/``releasable_to``) visible to ``code``."""
    return visible_element_set_clause(code, table=table)


def _rows(db: Db, stmt) -> list[dict]:
    return [dict(r._mapping) for r in db.execute(stmt)]


def _count(db: Db, stmt) -> int:
    return int(db.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar())


def _page(db: Db, stmt, limit: int | None, offset: int) -> tuple[list[dict], int]:
    total = _count(db, stmt)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return _rows(db, stmt), total


# Advisory-lock key ("orbitwatch feed") that serializes writers of the streamed tables.
FEED_LOCK_KEY = 0x6F77_6665_6564_0001


def lock_feed(db: Db) -> None:
    """Serialize, until this transaction ends, the writers of conjunctions and events.

    The live stream (``GET /api/v1/stream``) sends records by increasing id and
    remembers the highest id sent.  On PostgreSQL a sequence hands out ids when
    rows are inserted, not when they commit: a transaction that inserted id 100
    and commits after another one that inserted 101 would be skipped by a
    stream that had already seen 101.  Taking this transaction-level advisory
    lock before inserting makes the ids of these two tables increase in commit
    order; on SQLite (one writer at a time) it takes the write lock up front.  It also makes the
    duplicate checks of :func:`orbitwatch.store.events.store_events` race-free.
    """
    conn = db if isinstance(db, Connection) else db.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(FEED_LOCK_KEY)))
    elif conn.dialect.name == "sqlite":
        # a write that changes nothing takes SQLite's write lock now (waiting up
        # to busy_timeout), so a writer that reads before it inserts does not
        # fail on a lock upgrade while another writer commits
        conn.exec_driver_sql("DELETE FROM events WHERE id < 0")


def _shared_values(partner: str | None, releasable_to) -> dict:
    return {
        "partner": normalize_partner(partner),
        "releasable_to": normalize_releasable_to(releasable_to),
    }


# ---------------------------------------------------------------------------
# partners and tokens


def add_partner(db: Db, *, code: str, name: str | None = None) -> dict:
    """Create partner ``code`` (or rename it when it exists); returns the row."""
    code = normalize_partner(code)
    if code is None or code == "ALL":
        raise ValueError("partner code must be non-empty and not 'ALL'")
    found = db.execute(select(partners_table).where(partners_table.c.code == code)).first()
    if found is None:
        db.execute(insert(partners_table).values(code=code, name=name))
    elif name is not None and found.name != name:
        db.execute(update(partners_table).where(partners_table.c.code == code).values(name=name))
    return {"code": code, "name": name if name is not None else (found.name if found else None)}


def list_partners(db: Db) -> list[dict]:
    """Every partner, by code."""
    return _rows(db, select(partners_table).order_by(partners_table.c.code))


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (what the ``tokens`` table stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """Who a bearer token speaks for."""

    id: int
    partner: str
    role: str
    label: str | None


def create_token(
    db: Db, *, partner: str, role: str, label: str | None = None, now: datetime | None = None
) -> tuple[str, TokenInfo]:
    """A new random token for ``partner`` with ``role``; returns (token text, info).

    The text is returned once and never stored: only its SHA-256 digest is.
    The partner must exist (``ValueError`` otherwise).
    """
    code = normalize_partner(partner)
    if role not in ROLES:
        raise ValueError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if db.execute(select(partners_table.c.code).where(partners_table.c.code == code)).first() is None:
        raise ValueError(f"unknown partner {code!r}: add it first with 'orbitwatch partner add'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    res = db.execute(
        insert(tokens_table).values(
            token_hash=hash_token(token), partner=code, role=role, label=label,
            created_at=now or _now(),
        )
    )
    return token, TokenInfo(int(res.inserted_primary_key[0]), code, role, label)


def lookup_token(db: Db, *, token: str) -> TokenInfo | None:
    """The live (not revoked) token with this text, or None."""
    t = tokens_table
    row = db.execute(
        select(t.c.id, t.c.partner, t.c.role, t.c.label).where(
            t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None)
        )
    ).first()
    return None if row is None else TokenInfo(*row)


def revoke_token(db: Db, *, token_id: int, now: datetime | None = None) -> bool:
    """Mark a token revoked; True when it existed and was live."""
    t = tokens_table
    res = db.execute(
        update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=now or _now())
    )
    return res.rowcount > 0


# ---------------------------------------------------------------------------
# audit


def record_audit(
    db: Db,
    *,
    partner: str | None,
    token_id: int | None,
    role: str | None,
    action: str,
    method: str,
    path: str,
    resource: str,
    record_ids: Iterable | None = None,
    count: int | None = None,
    status: int = 200,
    at: datetime | None = None,
) -> None:
    """Append one audit entry (``action`` ``read`` or ``write``; ids truncated to 500)."""
    ids = [str(i) for i in record_ids] if record_ids is not None else []
    text = ",".join(ids[:AUDIT_MAX_IDS])
    if len(ids) > AUDIT_MAX_IDS:
        text += f",...(+{len(ids) - AUDIT_MAX_IDS})"
    db.execute(
        insert(audit_table).values(
            at=at or _now(), partner=partner, token_id=token_id, role=role, action=action,
            method=method, path=path, resource=resource, record_ids=text or None,
            count=len(ids) if count is None else count, status=status,
        )
    )


def list_audit(
    db: Db,
    *,
    partner: str | None = None,
    resource: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Audit entries, newest first, with the total count of matches."""
    a = audit_table
    stmt = select(a).order_by(a.c.id.desc())
    if partner:
        stmt = stmt.where(a.c.partner == normalize_partner(partner))
    if resource:
        stmt = stmt.where(a.c.resource == resource)
    if action:
        stmt = stmt.where(a.c.action == action)
    if since is not None:
        stmt = stmt.where(a.c.at >= since)
    return _page(db, stmt, limit, offset)


def take_audit_before(db: Db, before: datetime, sink, *, batch: int = 5000) -> int:
    """Hand every audit entry older than ``before`` to ``sink`` and delete it.

    ``sink(rows)`` is called with batches of entries (dicts of columns), oldest
    first.  Each batch is deleted after ``sink`` returns, in the caller's
    transaction: nothing is gone before the caller commits, so the caller
    makes its archive durable first and commits after.  If ``sink`` raises,
    the caller rolls back and every entry stays.  Entries at or after
    ``before`` are never touched.  Returns how many were deleted.
    """
    a = audit_table
    last = 0
    gone = 0
    while True:
        rows = [
            dict(r._mapping)
            for r in db.execute(
                select(a).where(a.c.at < before, a.c.id > last).order_by(a.c.id).limit(batch)
            )
        ]
        if not rows:
            return gone
        sink(rows)
        ids = [r["id"] for r in rows]
        gone += db.execute(a.delete().where(a.c.id.in_(ids))).rowcount
        last = ids[-1]


# ---------------------------------------------------------------------------
# conjunctions

c_ = conjunctions_table


#: two stored conjunctions of the same pair, source and label whose TCAs lie
#: closer than this are one close approach (seconds).  A rerun over the same
#: input finds the same TCA to the refinement's precision (milliseconds);
#: distinct approaches of one pair are at least a fraction of an orbit apart
#: (co-orbiting pairs: one minimum per revolution, 85 minutes and more).
SAME_TCA_S = 1.0


def add_conjunctions(
    db: Db,
    *,
    conjunctions: Sequence,
    partner: str | None,
    releasable_to,
    screening_id: int | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Store conjunctions (``orbitwatch.screening.Conjunction`` objects or dicts of columns).

    Returns the ids in input order.  Storing is idempotent, as for element
    sets and events: a conjunction of the same object pair, from the same
    source (``screening_id``; None for ``orbitwatch run`` and contributed
    records), with the same ``partner`` and ``releasable_to``, whose TCA is
    within :data:`SAME_TCA_S` of one already stored is the same approach: its
    id is the stored one's, and when its miss distance or Pc differ (a rerun
    on fresher element sets) the stored row takes the new assessment, as a
    CDM update replaces the last.  (Another partner, another release or
    another screening job keeps its own copy.)
    """
    from datetime import timedelta

    shared = _shared_values(partner, releasable_to)
    now = now or _now()
    rows = []
    for c in conjunctions:
        values = dict(c) if isinstance(c, dict) else conjunction_values(c)
        values.update(shared, screening_id=screening_id, created_at=now)
        rows.append(values)
    if not rows:
        return []
    lock_feed(db)  # also makes the duplicate check race-free
    tol = timedelta(seconds=SAME_TCA_S)
    tcas = [_utc(r["tca"]) for r in rows]
    sid = c_.c.screening_id.is_(None) if screening_id is None else c_.c.screening_id == screening_id
    who = c_.c.partner.is_(None) if shared["partner"] is None else c_.c.partner == shared["partner"]
    stored: dict[tuple, list[tuple[datetime, int, float, float | None]]] = {}
    for cid, o1, o2, tca, miss, pc in db.execute(
        select(c_.c.id, c_.c.object_1, c_.c.object_2, c_.c.tca, c_.c.miss_distance_km,
               c_.c.pc).where(
            sid, who, c_.c.releasable_to == shared["releasable_to"],
            c_.c.tca >= min(tcas) - tol, c_.c.tca <= max(tcas) + tol)
    ):
        stored.setdefault((min(o1, o2), max(o1, o2)), []).append((_utc(tca), int(cid), miss, pc))
    # each new row, and each re-assessment in place, enters the feed next
    seq = int(db.execute(select(func.coalesce(func.max(c_.c.feed_seq), 0))).scalar())
    ids: list[int] = []
    for values, tca in zip(rows, tcas):
        pair = (min(values["object_1"], values["object_2"]), max(values["object_1"], values["object_2"]))
        same = [x for x in stored.get(pair, ()) if abs(x[0] - tca) <= tol]
        if same:
            _, cid, miss, pc = same[0]
            if not _same_assessment(miss, pc, values):
                seq += 1
                values["feed_seq"] = seq
                db.execute(update(c_).where(c_.c.id == cid).values(**values))
                stored[pair] = [x if x[1] != cid else (tca, cid, values["miss_distance_km"],
                                                        values.get("pc", pc))
                                for x in stored[pair]]
            ids.append(cid)
            continue
        seq += 1
        values["feed_seq"] = seq
        res = db.execute(insert(c_).values(**values))
        ids.append(int(res.inserted_primary_key[0]))
        stored.setdefault(pair, []).append((tca, ids[-1], values["miss_distance_km"], values.get("pc")))
    return ids


def _same_assessment(miss_km: float, pc: float | None, values: dict) -> bool:
    """The stored miss distance and Pc are the new ones (to a millimetre, and
    a part in a million)."""
    if abs(float(miss_km) - float(values["miss_distance_km"])) > 1e-6:
        return False
    if "pc" not in values:
        return True
    new = values["pc"]
    if pc is None or new is None:
        return pc is None and new is None
    return abs(float(pc) - float(new)) <= 1e-6 * max(abs(float(pc)), abs(float(new)), 1e-300)


def conjunction_values(c) -> dict:
    """The ``conjunctions`` columns of an ``orbitwatch.screening.Conjunction``
    (no label, source or Pc)."""
    rtn = tuple(getattr(c, "miss_rtn_km", (None, None, None)) or (None, None, None))
    return {
        "object_1": int(c.object_1),
        "object_2": int(c.object_2),
        "object_1_name": getattr(c, "object_1_name", None),
        "object_2_name": getattr(c, "object_2_name", None),
        "tca": c.tca,
        "miss_distance_km": float(c.miss_distance_km),
        "relative_speed_km_s": float(c.relative_speed_km_s),
        "miss_r_km": _f(rtn[0]),
        "miss_t_km": _f(rtn[1]),
        "miss_n_km": _f(rtn[2]),
        "state_1": _state(getattr(c, "r1_teme_km", None), getattr(c, "v1_teme_km_s", None)),
        "state_2": _state(getattr(c, "r2_teme_km", None), getattr(c, "v2_teme_km_s", None)),
    }


def _utc(t: datetime) -> datetime:
    return t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)


def _f(x) -> float | None:
    return None if x is None else float(x)


def _state(r, v) -> list[float] | None:
    if r is None or v is None:
        return None
    return [float(x) for x in (*r, *v)]


#: sort orders of conjunction lists
CONJUNCTION_SORTS = ("risk", "tca", "miss", "-tca")


def list_conjunctions(
    db: Db,
    *,
    visible_to: str,
    norad_id: int | None = None,
    max_miss_km: float | None = None,
    min_pc: float | None = None,
    tca_from: datetime | None = None,
    tca_to: datetime | None = None,
    screening_id: int | None = None,
    sort: str = "risk",
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Visible conjunctions matching the filters and their total count.

    ``sort``: ``risk`` (collision probability, highest first, then smallest
    miss distance; records without Pc after those with one), ``tca``/``-tca``
    (time of closest approach), ``miss`` (miss distance).
    """
    stmt, _ = _conjunction_query(
        visible_to=visible_to, norad_id=norad_id, max_miss_km=max_miss_km, min_pc=min_pc,
        tca_from=tca_from, tca_to=tca_to, screening_id=screening_id, sort=sort,
    )
    return _page(db, stmt, limit, offset)


def add_derived_conjunctions(
    db: Db,
    *,
    conjunctions: Sequence,
    partner: str | None,
    releasable_to,
    screening_id: int | None = None,
) -> tuple[list[tuple[int, object]], int]:
    """Store conjunctions screened from shared element sets, each releasable only
    to those who may see both objects' sets (and to whom ``releasable_to``
    releases it).  Returns ((id, conjunction) pairs stored, number withheld:
    those no partner may see, from a host run with no ``partner``); a
    conjunction stored before (see :func:`add_conjunctions`) is not stored
    again and pairs with the stored row's id."""
    from orbitwatch.store.releasability import derived_releasable_to, object_labels

    partner = normalize_partner(partner)
    ids = {int(c[k] if isinstance(c, dict) else getattr(c, k)) for c in conjunctions
           for k in ("object_1", "object_2")}
    # the sets the screening could use: those the partner may see
    labels = object_labels(db, ids=ids, visible_to=partner) if ids else {}
    by_release: dict[str, list] = {}
    withheld = 0
    for c in conjunctions:
        pair = (c["object_1"], c["object_2"]) if isinstance(c, dict) else (c.object_1, c.object_2)
        rel = derived_releasable_to([lab for i in pair for lab in labels.get(int(i), ())],
                                    partner=partner, releasable_to=releasable_to or "ALL")
        if rel is None:
            withheld += 1
        else:
            by_release.setdefault(rel, []).append(c)
    ensure_partner(db, partner)  # a partner's first records may be its screening's
    stored: list[tuple[int, object]] = []
    for rel, part in by_release.items():
        new_ids = add_conjunctions(db, conjunctions=part, partner=partner, releasable_to=rel,
                                   screening_id=screening_id)
        stored += zip(new_ids, part)
    return stored, withheld


def conjunction_facts(
    db: Db, *, max_miss_km: float | None = None, tca_from: datetime | None = None,
    tca_to: datetime | None = None, visible_to: str | None = None,
) -> list[dict]:
    """Every stored conjunction (host view; only those partner ``visible_to`` may
    see, when given) with a Pc or within ``max_miss_km``, as the dicts the norms
    take: ``object_1``, ``object_2``, ``tca``, ``miss_distance_km``, ``pc``,
    ``relative_speed_km_s``, and the conjunction's own ``partner`` and
    ``releasable_to`` (what is derived from it goes no wider)."""
    cols = (c_.c.object_1, c_.c.object_2, c_.c.tca, c_.c.miss_distance_km, c_.c.pc,
            c_.c.relative_speed_km_s, c_.c.partner, c_.c.releasable_to)
    stmt = select(*cols)
    if visible_to:
        stmt = stmt.where(visible_element_set_clause(visible_to, table=c_))
    if max_miss_km is not None:
        stmt = stmt.where(c_.c.pc.is_not(None) | (c_.c.miss_distance_km <= max_miss_km))
    if tca_from is not None:
        stmt = stmt.where(c_.c.tca >= tca_from)
    if tca_to is not None:
        stmt = stmt.where(c_.c.tca <= tca_to)
    return [
        {"object_1": int(a), "object_2": int(b), "tca": t, "miss_distance_km": float(m),
         "pc": None if pc is None else float(pc),
         "relative_speed_km_s": None if v is None else float(v),
         "partner": p, "releasable_to": r}
        for a, b, t, m, pc, v, p, r in db.execute(stmt.order_by(c_.c.tca, c_.c.id))
    ]


def _conjunction_query(
    *,
    visible_to: str,
    norad_id: int | None = None,
    max_miss_km: float | None = None,
    min_pc: float | None = None,
    tca_from: datetime | None = None,
    tca_to: datetime | None = None,
    screening_id: int | None = None,
    sort: str = "risk",
):
    stmt = select(c_).where(visible_clause(c_, visible_to))
    if norad_id is not None:
        stmt = stmt.where((c_.c.object_1 == norad_id) | (c_.c.object_2 == norad_id))
    if max_miss_km is not None:
        stmt = stmt.where(c_.c.miss_distance_km <= max_miss_km)
    if min_pc is not None:
        stmt = stmt.where(c_.c.pc >= min_pc)
    if tca_from is not None:
        stmt = stmt.where(c_.c.tca >= tca_from)
    if tca_to is not None:
        stmt = stmt.where(c_.c.tca <= tca_to)
    if screening_id is not None:
        stmt = stmt.where(c_.c.screening_id == screening_id)
    if sort == "risk":
        stmt = stmt.order_by(c_.c.pc.is_(None), c_.c.pc.desc(), c_.c.miss_distance_km, c_.c.id)
    elif sort == "tca":
        stmt = stmt.order_by(c_.c.tca, c_.c.id)
    elif sort == "-tca":
        stmt = stmt.order_by(c_.c.tca.desc(), c_.c.id.desc())
    elif sort == "miss":
        stmt = stmt.order_by(c_.c.miss_distance_km, c_.c.id)
    else:
        raise ValueError(f"sort {sort!r}: use one of {', '.join(CONJUNCTION_SORTS)}")
    return stmt, None


def conjunction_ids(db: Db, *, visible_to: str, sort: str = "risk", **filters) -> list[int]:
    """Ids of the visible conjunctions matching ``filters`` (see :func:`list_conjunctions`),
    in ``sort`` order."""
    stmt, _ = _conjunction_query(visible_to=visible_to, sort=sort, **filters)
    return [r[0] for r in db.execute(stmt.with_only_columns(c_.c.id))]


def conjunctions_by_ids(db: Db, *, ids: Sequence[int]) -> list[dict]:
    """Conjunction rows in the order of ``ids`` (the caller has checked visibility)."""
    if not ids:
        return []
    by_id = {r["id"]: r for r in _rows(db, select(c_).where(c_.c.id.in_(list(ids))))}
    return [by_id[i] for i in ids if i in by_id]


def get_conjunction(db: Db, *, conjunction_id: int, visible_to: str) -> dict | None:
    """One conjunction, or None when it does not exist or is not visible."""
    rows = _rows(
        db, select(c_).where(c_.c.id == conjunction_id, visible_clause(c_, visible_to))
    )
    return rows[0] if rows else None


# ---------------------------------------------------------------------------
# events (maneuvers, proximity, breakups, findings)

e_ = events_table


def add_event(
    db: Db,
    *,
    kind: str,
    time: datetime,
    partner: str | None,
    releasable_to,
    norad_id: int | None = None,
    title: str | None = None,
    payload: dict | None = None,
    now: datetime | None = None,
) -> int:
    """Store one event; returns its id.  ``kind`` one of :data:`EVENT_KINDS`."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"event kind {kind!r}: use one of {', '.join(EVENT_KINDS)}")
    lock_feed(db)
    res = db.execute(
        insert(e_).values(
            kind=kind, time=time, norad_id=norad_id, title=title, payload=payload,
            created_at=now or _now(), **_shared_values(partner, releasable_to),
        )
    )
    return int(res.inserted_primary_key[0])


def list_events(
    db: Db,
    *,
    visible_to: str,
    kind: str | None = None,
    norad_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 100,
    offset: int = 0,
    superseded: bool = False,
) -> tuple[list[dict], int]:
    """Visible events, newest first, with the total count of matches; the current
    ones only unless ``superseded``."""
    stmt = select(e_).where(visible_clause(e_, visible_to))
    if not superseded:
        stmt = stmt.where(e_.c.superseded_at.is_(None))
    if kind:
        stmt = stmt.where(e_.c.kind == kind)
    if norad_id is not None:
        stmt = stmt.where(e_.c.norad_id == norad_id)
    if since is not None:
        stmt = stmt.where(e_.c.time >= since)
    if until is not None:
        stmt = stmt.where(e_.c.time <= until)
    stmt = stmt.order_by(e_.c.time.desc(), e_.c.id.desc())
    rows, total = _page(db, stmt, limit, offset)
    return with_supersedes(db, rows, visible_to), total


def get_event(db: Db, *, event_id: int, visible_to: str) -> dict | None:
    rows = _rows(db, select(e_).where(e_.c.id == event_id, visible_clause(e_, visible_to)))
    return with_supersedes(db, rows, visible_to)[0] if rows else None


def id_chunks(ids, size: int = 500):
    """``ids`` in slices of ``size``, for ``IN`` lists of a bounded length."""
    ids = list(ids)
    for k in range(0, len(ids), size):
        yield ids[k:k + size]


def with_supersedes(db: Db, rows: list[dict], visible_to: str) -> list[dict]:
    """Each event row with ``supersedes``: the ids of the visible records it
    replaced (a revision arriving on the stream says what it revises); and
    :func:`mask_superseded_by`."""
    got: dict[int, list[int]] = {}
    for part in id_chunks(r["id"] for r in rows):
        for old, new in db.execute(
            select(e_.c.id, e_.c.superseded_by)
            .where(e_.c.superseded_by.in_(part), visible_clause(e_, visible_to))
        ):
            got.setdefault(int(new), []).append(int(old))
    for r in rows:
        r["supersedes"] = sorted(got.get(r["id"], []))
    return mask_superseded_by(db, rows, visible_to)


def mask_superseded_by(db: Db, rows: list[dict], visible_to: str) -> list[dict]:
    """A ``superseded_by`` that names a record the caller may not see is left out
    (to the caller the record was withdrawn: no id tells of what it may not see)."""
    seen: set[int] = set()
    for part in id_chunks(sorted({int(r["superseded_by"]) for r in rows if r.get("superseded_by") is not None})):
        seen.update(int(x) for (x,) in db.execute(
            select(e_.c.id).where(e_.c.id.in_(part), visible_clause(e_, visible_to))))
    for r in rows:
        if r.get("superseded_by") is not None and int(r["superseded_by"]) not in seen:
            r["superseded_by"] = None
    return rows


# ---------------------------------------------------------------------------
# sensors

s_ = sensors_table


def add_sensor(
    db: Db,
    *,
    code: str,
    latitude_deg: float,
    longitude_deg: float,
    partner: str | None,
    releasable_to,
    altitude_km: float = 0.0,
    name: str | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> int:
    """Store one sensor site; returns its id."""
    if not -90.0 <= latitude_deg <= 90.0:
        raise ValueError(f"latitude_deg {latitude_deg} outside [-90, 90]")
    if not -180.0 <= longitude_deg <= 360.0:
        raise ValueError(f"longitude_deg {longitude_deg} outside [-180, 360]")
    res = db.execute(
        insert(s_).values(
            code=code, name=name, kind=kind, latitude_deg=latitude_deg,
            longitude_deg=longitude_deg, altitude_km=altitude_km, created_at=now or _now(),
            **_shared_values(partner, releasable_to),
        )
    )
    return int(res.inserted_primary_key[0])


def list_sensors(
    db: Db, *, visible_to: str, limit: int | None = 100, offset: int = 0
) -> tuple[list[dict], int]:
    """Visible sensors by id, with the total count."""
    stmt = select(s_).where(visible_clause(s_, visible_to)).order_by(s_.c.id)
    return _page(db, stmt, limit, offset)


# ---------------------------------------------------------------------------
# uploads


def add_upload(
    db: Db,
    *,
    filename: str,
    data: bytes,
    outcome: str,
    partner: str | None,
    releasable_to,
    format: str | None = None,
    ingest_id: int | None = None,
    read: int = 0,
    new: int = 0,
    duplicate: int = 0,
    rejected: int = 0,
    now: datetime | None = None,
) -> int:
    """Record one uploaded file (its SHA-256, not its content); returns the id."""
    res = db.execute(
        insert(uploads_table).values(
            filename=filename, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
            format=format, outcome=outcome, ingest_id=ingest_id, read=read, new=new,
            duplicate=duplicate, rejected=rejected, created_at=now or _now(),
            **_shared_values(partner, releasable_to),
        )
    )
    return int(res.inserted_primary_key[0])


def list_uploads(
    db: Db, *, visible_to: str, limit: int | None = 100, offset: int = 0
) -> tuple[list[dict], int]:
    """Visible uploads, newest first, with the total count."""
    u = uploads_table
    stmt = select(u).where(visible_clause(u, visible_to)).order_by(u.c.id.desc())
    return _page(db, stmt, limit, offset)


# ---------------------------------------------------------------------------
# screening jobs

j_ = screening_jobs_table


def create_job(
    db: Db,
    *,
    params: dict,
    partner: str | None,
    releasable_to,
    token_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """A queued screening job; returns its id."""
    res = db.execute(
        insert(j_).values(
            status="queued", params=params, done=0, total=0, token_id=token_id,
            created_at=now or _now(), **_shared_values(partner, releasable_to),
        )
    )
    return int(res.inserted_primary_key[0])


def update_job(db: Db, *, job_id: int, **values) -> None:
    """Set columns of a job (status, done, total, message, n_objects, ...)."""
    db.execute(update(j_).where(j_.c.id == job_id).values(**values))


def get_job(db: Db, *, job_id: int, visible_to: str | None) -> dict | None:
    """One job (``visible_to=None``: no filter, for the worker itself)."""
    stmt = select(j_).where(j_.c.id == job_id)
    if visible_to is not None:
        stmt = stmt.where(visible_clause(j_, visible_to))
    rows = _rows(db, stmt)
    if visible_to is not None:
        _visible_counts(db, rows, visible_to)
    return rows[0] if rows else None


def list_jobs(
    db: Db, *, visible_to: str, limit: int | None = 100, offset: int = 0
) -> tuple[list[dict], int]:
    stmt = select(j_).where(visible_clause(j_, visible_to)).order_by(j_.c.id.desc())
    rows, total = _page(db, stmt, limit, offset)
    _visible_counts(db, rows, visible_to)
    return rows, total


def job_notes(failures: int, withheld: bool) -> str | None:
    """A finished job's message: how many objects failed to propagate and
    whether conjunctions were left unstored."""
    notes = ([f"{failures} object(s) failed to propagate"] if failures else []) + (
        ["conjunctions between objects whose sets no one partner may see were not "
         "stored"] if withheld else [])
    return "; ".join(notes) or None


def _visible_ids(db: Db, ids: set[int], visible_to: str) -> set[int]:
    """Those of ``ids`` of which ``visible_to`` may see at least one element set."""
    if not ids:
        return set()
    es = element_sets_table
    found = db.execute(
        select(es.c.norad_id).distinct()
        .where(es.c.norad_id.in_(sorted(ids)), visible_element_set_clause(visible_to, table=es))
    ).scalars()
    return {int(i) for i in found}


def _visible_counts(db: Db, jobs: list[dict], visible_to: str) -> None:
    """Jobs as ``visible_to`` may read them.  A job may be released wider
    than what it screened: its conjunctions each go only to those who may see
    both objects' sets, and its sets carry their own labels.  So a reader
    other than the job's partner is given ``n_conjunctions`` and
    ``n_objects`` of what it may see, a message counting only the failures
    among those sets (the note on unstored conjunctions and a failed job's
    error text stay with the job's partner), and progress as a percentage
    (a count of chunks tells the catalog's size).  A job finished before
    revision 0004 has no ``scope``: such a reader gets ``n_objects`` None
    (unknown) and no message.  The catalog numbers the job was asked for
    (``params.ids``, ``params.primaries``) are shown to such a reader only
    where it may see a set of the object: the others it may not know of."""
    asked = {
        int(i) for j in jobs if j.get("partner") != normalize_partner(visible_to)
        for key in ("ids", "primaries") for i in ((j.get("params") or {}).get(key) or [])
    }
    known = _visible_ids(db, asked, visible_to)
    for j in jobs:
        scope = j.pop("scope", None)
        if j.get("partner") == normalize_partner(visible_to):
            continue
        params = dict(j.get("params") or {})
        for key in ("ids", "primaries"):
            if params.get(key):
                params[key] = [i for i in params[key] if int(i) in known]
        j["params"] = params
        total = int(j.get("total") or 0)
        j["done"], j["total"] = (int(100 * int(j.get("done") or 0) / total), 100) if total else (0, 0)
        if j.get("status") == "failed":
            j["message"] = "the screening failed (its partner holds the error)"
        elif j.get("n_objects") is not None and scope is None:
            # a job finished before revision 0004 kept no labels of what it
            # screened: what this reader may see of it is unknown (not 0)
            j["n_objects"], j["message"] = None, None
        elif j.get("n_objects") is not None:
            seen = [n for p, r, n in (scope or {}).get("sets", []) if is_visible(p, r, visible_to)]
            failed = sum(n for p, r, n in (scope or {}).get("failed", [])
                         if is_visible(p, r, visible_to))
            j["n_objects"] = sum(seen)
            j["message"] = job_notes(failed, False)
    done = [j["id"] for j in jobs if j.get("n_conjunctions") is not None]
    if not done:
        return
    counts = dict(db.execute(
        select(c_.c.screening_id, func.count())
        .where(c_.c.screening_id.in_(done), visible_clause(c_, visible_to))
        .group_by(c_.c.screening_id)
    ).all())
    for j in jobs:
        if j["id"] in done:
            j["n_conjunctions"] = int(counts.get(j["id"], 0))


# ---------------------------------------------------------------------------
# live stream support


def stream_cursor(db: Db) -> tuple[int, int, int]:
    """The newest (conjunction feed number, event id, supersession number): a stream
    starting now sends what comes after."""
    c = db.execute(select(func.coalesce(func.max(c_.c.feed_seq), 0))).scalar()
    e = db.execute(select(func.coalesce(func.max(e_.c.id), 0))).scalar()
    s = db.execute(select(func.coalesce(func.max(e_.c.superseded_seq), 0))).scalar()
    return int(c), int(e), int(s)


def new_records(
    db: Db, *, visible_to: str, after_conjunction: int, after_event: int, limit: int = 500
) -> tuple[list[dict], list[dict]]:
    """Visible conjunctions stored or re-assessed after feed number
    ``after_conjunction`` (``feed_seq``), and events with ids above
    ``after_event``, oldest first.  A re-assessed conjunction comes again with
    its id and its new miss distance and Pc."""
    conj = _rows(
        db,
        select(c_)
        .where(and_(c_.c.feed_seq > after_conjunction, visible_clause(c_, visible_to)))
        .order_by(c_.c.feed_seq)
        .limit(limit),
    )
    ev = _rows(
        db,
        select(e_)
        .where(and_(e_.c.id > after_event, visible_clause(e_, visible_to)))
        .order_by(e_.c.id)
        .limit(limit),
    )
    return conj, with_supersedes(db, ev, visible_to)


def new_supersessions(db: Db, *, visible_to: str, after: int, limit: int = 500) -> list[dict]:
    """Visible records superseded after supersession number ``after``, in that order:
    ``id``, ``kind``, ``norad_id``, ``time``, ``superseded_at``, ``superseded_by`` (None
    when withdrawn, or when the replacement is one the caller may not see) and
    ``superseded_seq`` (the cursor)."""
    rows = _rows(
        db,
        select(e_.c.id, e_.c.kind, e_.c.norad_id, e_.c.time, e_.c.superseded_at,
               e_.c.superseded_by, e_.c.superseded_seq)
        .where(and_(e_.c.superseded_seq > after, visible_clause(e_, visible_to)))
        .order_by(e_.c.superseded_seq)
        .limit(limit),
    )
    return mask_superseded_by(db, rows, visible_to)


# ---------------------------------------------------------------------------
# objects: one page of the visible catalog with its total, without scanning it all


def visible_object_ids(
    db: Db,
    *,
    visible_to: str,
    regime: str | None = None,
    owner: str | None = None,
    object_type: str | None = None,
    search: str | None = None,
) -> list[int]:
    """Sorted catalog numbers of the objects ``visible_to`` may see that match the filters.

    Same selection as :func:`orbitwatch.store.catalog.list_objects` with
    ``visible_to``: the facts filtered on are those the partner may see, and
    the regime is that of the newest element set the partner may see.
    Selected in SQL; only objects with restricted facts the partner may see
    are filtered on their facts in Python, and only objects whose newest
    stored set is *not* visible to the partner (rare: partner-restricted
    newer data) have their regime recomputed from the newest visible set.
    """
    from sqlalchemy import exists

    from orbitwatch.orbit import orbit_summary
    from orbitwatch.store.catalog import (
        latest_element_sets,
        matching_visible_objects,
        visible_object_clause,
    )
    from orbitwatch.store.models import element_sets_table as es
    from orbitwatch.store.models import objects_table as ob

    ids, _ = matching_visible_objects(db, visible_to=visible_to, owner=owner,
                                      object_type=object_type, search=search)
    if not regime or not ids:
        return ids
    want = regime.strip().upper()
    matched = set(ids)
    visible = visible_object_clause(visible_to)
    newest_visible = exists().where(
        and_(es.c.norad_id == ob.c.norad_id, es.c.epoch == ob.c.latest_epoch,
             visible_clause(es, visible_to))
    )
    out = {r[0] for r in db.execute(
        select(ob.c.norad_id).where(visible, newest_visible, ob.c.regime == want))} & matched
    slow = [r[0] for r in db.execute(select(ob.c.norad_id).where(visible, ~newest_visible))
            if r[0] in matched]
    for s in latest_element_sets(db, ids=slow, visible_to=visible_to) if slow else []:
        if orbit_summary(s.mean_motion_rev_day, s.eccentricity, s.inclination_deg)["regime"] == want:
            out.add(s.norad_id)
    return sorted(out)


def objects_by_ids(db: Db, *, ids: Sequence[int], visible_to: str) -> list:
    """``ObjectRow`` of each id (in catalog-number order) with the facts ``visible_to``
    may see and the orbit of the newest element set it may see (the caller has
    checked visibility)."""
    from orbitwatch.orbit import orbit_summary
    from orbitwatch.store.catalog import ObjectRow, latest_element_sets, object_rows
    from orbitwatch.store.facts import visible_facts, with_facts

    if not ids:
        return []
    fields = tuple(ObjectRow.__dataclass_fields__)
    fx = visible_facts(db, visible_to=visible_to, ids=ids)
    rows = [with_facts(r, fx) for r in object_rows(db, ids)]
    latest = {s.norad_id: s for s in latest_element_sets(db, ids=ids, visible_to=visible_to)}
    out = []
    for r in rows:
        s = latest.get(r.norad_id)
        if s is not None and s.epoch != r.latest_epoch:
            d = {f: getattr(r, f) for f in fields}
            d.update(orbit_summary(s.mean_motion_rev_day, s.eccentricity, s.inclination_deg),
                     latest_epoch=s.epoch, eccentricity=s.eccentricity)
            r = ObjectRow(**d)
        out.append(r)
    return out


def page_visible_objects(
    db: Db,
    *,
    visible_to: str,
    regime: str | None = None,
    owner: str | None = None,
    object_type: str | None = None,
    search: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list, int]:
    """One page of the objects ``visible_to`` may see, and the total number of matches.

    Same rows and order as :func:`orbitwatch.store.catalog.list_objects` with
    ``visible_to``, but only the page's objects are loaded.  Returns
    ``(list of ObjectRow, total)``.
    """
    ids = visible_object_ids(db, visible_to=visible_to, regime=regime, owner=owner,
                             object_type=object_type, search=search)
    page = ids[offset: None if limit is None else offset + limit]
    return objects_by_ids(db, ids=page, visible_to=visible_to), len(ids)


def catalog_version(db: Db) -> tuple:
    """A value that changes whenever element sets or ingests are added (not
    conjunctions): the key under which derived catalogs, such as a screening
    index, stay valid."""
    from orbitwatch.store.models import element_sets_table as es
    from orbitwatch.store.models import ingests_table as ing

    row = db.execute(select(
        select(func.max(es.c.id)).scalar_subquery(),
        select(func.max(ing.c.id)).scalar_subquery(),
    )).first()
    return tuple(row)


def data_version(db: Db) -> tuple:
    """A value that changes whenever element sets, ingests or conjunctions are added,
    and whenever a stored conjunction is re-assessed in place.

    Element sets and ingests are append-only through orbitwatch (object rows
    change only by an ingest, which adds an ``ingests`` row); a conjunction
    stored or re-assessed in place takes the next ``feed_seq`` (and the count
    sees a row removed by hand), so caches of query results keyed by this
    value are never stale.
    """
    from orbitwatch.store.models import element_sets_table as es
    from orbitwatch.store.models import ingests_table as ing

    row = db.execute(select(
        select(func.max(es.c.id)).scalar_subquery(),
        select(func.max(ing.c.id)).scalar_subquery(),
        select(func.max(c_.c.id)).scalar_subquery(),
        select(func.max(c_.c.feed_seq)).scalar_subquery(),
        select(func.count()).select_from(c_).scalar_subquery(),
    )).first()
    return tuple(row)
