"""orbitwatch CLI commands (detect): ``orbitwatch detect maneuvers``."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import typer

from orbitwatch.cli.app import (  # noqa: F401
    DB_HELP, MANY_PATHS, app, detect_app, err, fail, out, with_extra_paths)


def _parse_ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        # digits only: int() would also take '-5', '+5' and '1_000'
        if not (part.isdigit() and part.isascii()):
            fail(f"--ids: {part!r} is not a catalog number", 2)
        ids.append(int(part))
    return ids


def _load_history(paths: list[Path] | None, db: str | None, ids: list[int] | None):
    """Every element set (history) from files or the store, optionally only ``ids``."""
    try:
        from orbitwatch.cli.sources import load_element_sets
    except ImportError:
        load_element_sets = None
    if load_element_sets is not None:
        return load_element_sets(paths, db, ids=ids, history=True)
    if db:
        fail("--db needs the store module, which is not available in this build", 2)
    from orbitwatch.elements import FormatError, read_file

    sets = []
    for p in paths or []:
        if not p.exists():
            fail(f"{p}: no such file", 2)
        try:
            result = read_file(p)
        except FormatError as exc:
            fail(f"{p}: {exc}", 2)
        for e in result.errors:
            err.print(f"warning: {e}", highlight=False, markup=False)
        sets.extend(result.element_sets)
    if ids is not None:
        wanted = set(ids)
        sets = [s for s in sets if s.norad_id in wanted]
    return sets


@detect_app.command("maneuvers", context_settings=MANY_PATHS)
def maneuvers(
    ctx: typer.Context,
    history: list[Path] = typer.Option(
        None, "--history", help="Element-set history file(s): TLE/3LE/OMM, any mix of objects."
    ),
    db: str = typer.Option(
        None, "--db",
        help="Database URL (sqlite:///PATH or postgresql+psycopg://...). Default: $ORBITWATCH_DB; "
             "with neither it nor --history the command asks for one (no default file).",
    ),
    ids: str = typer.Option(None, "--ids", help="Only these catalog numbers (comma-separated)."),
    since: str = typer.Option(
        None, "--since", help="Only manoeuvres whose gap ends at or after this ISO-8601 time."
    ),
    fmt: str = typer.Option("table", "--format", help="jsonl or table."),
    threshold: float = typer.Option(
        None, "--threshold",
        help="Robust z-score threshold (default 5 in LEO/MEO/HEO; GEO uses 1.6x, i.e. 8).",
    ),
) -> None:
    """Detect manoeuvres in element-set histories (one record per manoeuvre).

    Each record: object, gap_start / gap_end (epochs of the sets before and
    after), epoch_estimate, delta_v_m_s, kind, confidence, evidence.
    """
    from orbitwatch.behavior.maneuvers import ManeuverConfig, detect_maneuvers_many
    from orbitwatch.timeutil import parse_iso

    history = with_extra_paths(history, ctx, "--history")

    if fmt not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {fmt!r}", 2)
    if not history and not db:
        from orbitwatch.store.db import ENV_DB

        db = os.environ.get(ENV_DB, "").strip() or None
    if not history and not db:
        fail("give --history PATH (one or more) or --db URL (or set $ORBITWATCH_DB)", 2)
    if threshold is not None and not (math.isfinite(threshold) and threshold > 0):
        fail(f"--threshold must be a positive robust z-score, not {threshold:g}", 2)
    since_dt = None
    if since:
        try:
            since_dt = parse_iso(since)
        except ValueError as exc:
            fail(f"--since: {exc}", 2)
    id_list = _parse_ids(ids)
    sets = _load_history(history, db, id_list)
    if not sets:
        fail("no element sets found for the given inputs", 1)
    cfg = ManeuverConfig() if threshold is None else ManeuverConfig(threshold=threshold)
    found = detect_maneuvers_many(sets, cfg)
    if since_dt is not None:
        found = [m for m in found if m.gap_end >= since_dt]
    n_obj = len({s.norad_id for s in sets})
    err.print(f"{len(sets)} element sets, {n_obj} objects: {len(found)} manoeuvres", highlight=False)
    if fmt == "jsonl":
        for m in found:
            sys.stdout.write(json.dumps({"type": "maneuver", **m.to_json()}, separators=(",", ":")) + "\n")
        return
    from rich.table import Table

    def hm(dt) -> str:
        return dt.strftime("%Y-%m-%d %H:%M")

    table = Table(box=None, pad_edge=False)
    for name, kw in (
        ("object", {"justify": "right"}),
        ("gap start (UTC)", {"no_wrap": True}),
        ("gap end (UTC)", {"no_wrap": True}),
        ("dv m/s", {"justify": "right", "no_wrap": True}),
        ("conf", {"justify": "right", "no_wrap": True}),
        ("kind", {}),
    ):
        table.add_column(name, **kw)
    for m in found:
        table.add_row(
            str(m.object), hm(m.gap_start), hm(m.gap_end), f"{m.delta_v_m_s:.4f}", f"{m.confidence:.2f}",
            m.kind + (f", sustained {st['direction']} {st['rate_km_day']:+.2f} km/day"
                      if (st := m.evidence.get("sustained_thrust")) else "")
            + (f", pending ({p['sets_after']} set{'s' if p['sets_after'] > 1 else ''} after)"
               if (p := m.evidence.get("pending")) else ""),
        )
    out.print(table)
