"""Who may see a shared record: partner codes and ``releasable_to``.

Every record that partners share carries ``partner`` (who contributed it;
``None`` for public data) and ``releasable_to`` (``ALL`` or a comma-separated
list of partner codes).  A record is visible to partner ``P`` when its partner
is ``P``, or ``releasable_to`` is ``ALL`` or lists ``P``.  An object is visible
when at least one of its element sets is.  The SQL conditions here and their
Python twin :func:`is_visible` are the one definition of that rule; the service
applies them to its own tables too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import and_, exists, literal, or_

from orbitwatch.store.models import RELEASABLE_ALL, element_sets_table, objects_table

_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.\-]{0,31}$")

es = element_sets_table
ob = objects_table


def normalize_partner(code: str | None) -> str | None:
    """Upper-case partner code, or None; ValueError for a malformed code."""
    if code is None or not code.strip():
        return None
    c = code.strip().upper()
    if not _CODE_RE.match(c):
        raise ValueError(f"partner code {code!r}: use letters, digits, '_', '-', '.' (max 32)")
    return c


def normalize_releasable_to(value: str | Iterable[str] | None) -> str:
    """``ALL`` or a comma-separated list of unique upper-case partner codes."""
    if value is None:
        return RELEASABLE_ALL
    parts = value.split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for part in parts:
        c = normalize_partner(part)
        if c is None:
            continue
        if c == RELEASABLE_ALL:
            return RELEASABLE_ALL
        if c not in codes:
            codes.append(c)
    if not codes:
        raise ValueError(f"releasable-to {value!r}: name partner codes or ALL")
    return ",".join(codes)


def visible_element_set_clause(code: str, table=es):
    """SQL condition: element sets of ``table`` that partner ``code`` may see."""
    code = normalize_partner(code) or ""
    padded = literal(",") + table.c.releasable_to + literal(",")
    return or_(
        table.c.partner == code,
        table.c.releasable_to == RELEASABLE_ALL,
        padded.contains(f",{code},", autoescape=True),
    )


def visible_object_clause(code: str, objects=ob):
    """SQL condition: objects with at least one element set partner ``code`` may see."""
    return exists().where(
        and_(es.c.norad_id == objects.c.norad_id, visible_element_set_clause(code))
    )


def is_visible(partner: str | None, releasable_to: str, code: str) -> bool:
    """Python twin of :func:`visible_element_set_clause` for one record."""
    code = normalize_partner(code) or ""
    if partner == code or releasable_to == RELEASABLE_ALL:
        return True
    return code in releasable_to.split(",")


# ---------------------------------------------------------------------------
# records derived from shared records (detector events, findings, conjunctions)


def reach(partner: str | None, releasable_to: str) -> frozenset[str] | None:
    """Who may see a record with this label: a set of partner codes, or None for everyone."""
    if releasable_to == RELEASABLE_ALL:
        return None
    codes = {c for c in releasable_to.split(",") if c}
    if partner:
        codes.add(partner)
    return frozenset(codes)


def breadth(partner: str | None, releasable_to: str | None) -> int:
    """How many may see a record with this label, for ranking copies of one
    record: ``ALL`` above any list, a longer list above a shorter one."""
    seen_by = reach(partner, releasable_to or RELEASABLE_ALL)
    return 1 << 30 if seen_by is None else len(seen_by)


def derived_releasable_to(
    inputs: Iterable[tuple[str | None, str]],
    *,
    partner: str | None,
    releasable_to: str,
) -> str | None:
    """``releasable_to`` for a record that ``partner`` derives from records labelled ``inputs``
    ((partner, releasable_to) pairs) and releases to ``releasable_to``.

    A derived record may go only to those who may see every one of its inputs
    (the most restrictive input governs, as for classified derivative
    material) and to whom its author releases it.  Returns ``ALL``, a
    comma-separated list, or None when nobody but the author may see it and
    the author is no partner (a host run over restricted inputs).
    """
    allowed = reach(partner, normalize_releasable_to(releasable_to))
    for p, r in inputs:
        seen_by = reach(p, r)
        if seen_by is None:
            continue
        allowed = seen_by if allowed is None else allowed & seen_by
    if allowed is None:
        return RELEASABLE_ALL
    if partner:
        allowed = allowed - {partner}
        return ",".join(sorted(allowed)) if allowed else partner
    return ",".join(sorted(allowed)) if allowed else None


def narrowed_label(labels: Iterable[tuple[str | None, str]]) -> tuple[str | None, str]:
    """One (partner, releasable_to) label for a record that may go only to those
    who may see every one of ``labels``: ``(None, "ALL")``, ``(None, "A,B")``,
    or ``(None, "")`` when no partner may see them all."""
    allowed: frozenset[str] | None = None
    for p, r in labels:
        seen_by = reach(p, r)
        if seen_by is not None:
            allowed = seen_by if allowed is None else allowed & seen_by
    return (None, RELEASABLE_ALL) if allowed is None else (None, ",".join(sorted(allowed)))


def narrow_rows(rows: list[dict], facts: dict[int, set[tuple[str | None, str]]]) -> list[dict]:
    """Labelled per-object rows (``norad_id``, ``partner``, ``releasable_to``; the
    catalog rows of the norms) whose object shows restricted facts (``facts``:
    their labels per object), relabelled no wider than those facts."""
    if not facts:
        return rows
    for row in rows:
        extra = facts.get(row.get("norad_id"))
        if extra and row.get("releasable_to"):
            row["partner"], row["releasable_to"] = narrowed_label(
                [(row.get("partner"), row["releasable_to"]), *extra])
    return rows


def object_labels(conn, *, visible_to: str | None = None, ids=None) -> dict[int, set[tuple[str | None, str]]]:
    """Per object, the distinct (partner, releasable_to) labels of its element sets
    (those partner ``visible_to`` may see, when given)."""
    from sqlalchemy import select

    stmt = select(es.c.norad_id, es.c.partner, es.c.releasable_to).distinct()
    if visible_to:
        stmt = stmt.where(visible_element_set_clause(visible_to))
    wanted = None if ids is None else {int(i) for i in ids}
    if wanted is not None and len(wanted) <= 500:  # else filter here, not in a huge IN list
        stmt = stmt.where(es.c.norad_id.in_(sorted(wanted)))
    out: dict[int, set[tuple[str | None, str]]] = {}
    for nid, p, r in conn.execute(stmt):
        if wanted is None or int(nid) in wanted:
            out.setdefault(int(nid), set()).add((p, r))
    return out
