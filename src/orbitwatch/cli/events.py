"""``orbitwatch detect breakups``: fragmentation events, attributed and classified."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import NamedTuple

import typer
from rich.table import Table

from orbitwatch.cli.app import (
    DB_HELP, MANY_PATHS, app, detect_app, emit_json_line, err, fail, out, with_extra_paths,
    with_extra_paths_of_one)


class SatcatFacts(NamedTuple):
    """What the SATCAT says: ``owners`` and ``types`` by catalog number, and
    its ``records`` (name, international designator, type, owner; objects
    without element sets too: the parents of old clouds).  ``restricted``
    (from the store only): the merged facts of the objects whose facts here
    come in part from restricted records
    (:class:`~orbitwatch.store.facts.ObjectFacts`, with their labels: what
    is derived from them may go no wider)."""

    owners: dict[int, str]
    types: dict[int, str]
    records: list
    restricted: dict


def _satcat_facts(catalog: list[Path] | None, db: str | None,
                  visible_to: str | None = None) -> SatcatFacts:
    """Owners, object types and SATCAT records, from SATCAT files or the store.

    From the store: the facts partner ``visible_to`` may see (public facts
    and those of restricted records released to it); with no partner, only
    the public facts (records releasable to ALL).
    """
    owners: dict[int, str] = {}
    types: dict[int, str] = {}
    records: list = []
    if catalog:
        from orbitwatch.elements import read_file
        from orbitwatch.elements.model import FormatError

        for path in catalog:
            try:
                res = read_file(path)
            except FormatError:
                continue
            records.extend(res.satcat)
            for rec in res.satcat:
                if rec.owner:
                    owners[rec.norad_id] = rec.owner
                if rec.object_type:
                    types[rec.norad_id] = rec.object_type
            # element sets that carry their owner (KeepTrack JSON, OMM with OWNER)
            for es in res.element_sets:
                if es.owner and es.norad_id not in owners:
                    owners[es.norad_id] = es.owner
        return SatcatFacts(owners, types, records, {})
    objs, fx = stored_objects(db, visible_to)
    for o in objs:
        if o.owner:
            owners[o.norad_id] = o.owner
        if o.object_type:
            types[o.norad_id] = o.object_type
    return SatcatFacts(owners, types, satcat_records(objs), fx)


def stored_objects(db: str | None, visible_to: str | None) -> tuple[list, dict]:
    """Every object of the store (:class:`~orbitwatch.store.catalog.ObjectRow`,
    by catalog number) with the facts partner ``visible_to`` may see (public
    ones only with no partner), and the merged facts of the objects with
    restricted facts it may see (:func:`~orbitwatch.store.facts.visible_facts`).
    Objects known only from restricted SATCAT records it may see are included."""
    from orbitwatch.store.catalog import ObjectRow, list_objects
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.facts import visible_facts, with_facts

    engine = open_engine(db)
    with engine.connect() as conn:
        objs = list_objects(conn)
        fx = visible_facts(conn, visible_to=visible_to)
    engine.dispose()
    if not fx:
        return objs, fx
    objs = [with_facts(o, fx) for o in objs]
    have = {o.norad_id for o in objs}
    bare = dict.fromkeys(ObjectRow.__dataclass_fields__)
    objs += [with_facts(ObjectRow(**dict(bare, norad_id=n)), fx) for n in fx if n not in have]
    objs.sort(key=lambda o: o.norad_id)
    return objs, fx


def satcat_records(objs) -> list:
    """The store's objects (:class:`~orbitwatch.store.catalog.ObjectRow`) as
    SATCAT records: catalog number, name, designator, owner, type."""
    from orbitwatch.elements.model import SatcatRecord

    return [SatcatRecord(norad_id=o.norad_id, name=o.name, intl_designator=o.intl_designator,
                         owner=o.owner, object_type=o.object_type) for o in objs]


@detect_app.command("breakups", context_settings=MANY_PATHS)
def breakups_command(
    ctx: typer.Context,
    catalog: list[Path] = typer.Option(
        None, "--catalog",
        help="Element-set files (snapshots and histories); SATCAT files add owners, types, and "
             "the parents of clouds whose parent has no element set.",
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    min_fragments: int = typer.Option(3, "--min-fragments", help="Smallest cloud reported."),
    max_back_days: float = typer.Option(
        45.0, "--max-back-days", help="Longest back-propagation used to date an event, days."
    ),
    fmt: str = typer.Option("table", "--format", help="jsonl or table."),
) -> None:
    """Find fragmentation events: parent, owner, fragment count, epoch, place and class.

    Fragments are the debris of a launch (international designator YYYY-NNN)
    catalogued after it (later payloads and stages are deployments, not
    fragments); the epoch comes from the minimum dispersion of the fragments
    about the parent's pre-event element set (SGP4 back-propagation), from the
    closest approach with a collision partner, or, for a cloud under a year
    old, from the convergence of the fragments' nodes.  Classes: collision,
    destructive test (a payload that fragmented with no collision partner),
    explosion or anomaly -- each needs a parent element set from before the
    event; a cloud without one is "undetermined" (reported from 50 fragments
    on when it cannot be dated), with the possible causes listed.  A cloud
    whose launch has no payload or stage with element sets takes its parent
    from the SATCAT (files given, or the store's objects); clouds left out for
    want of any parent are named in a warning.
    """
    from orbitwatch.behavior.breakups import find_breakups
    from orbitwatch.cli.sources import load_element_sets
    from orbitwatch.timeutil import iso_z

    if fmt not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {fmt!r}", 2)
    if min_fragments < 1:
        fail(f"--min-fragments must be at least 1, not {min_fragments}", 2)
    if not (math.isfinite(max_back_days) and 0 < max_back_days <= 366):
        fail(f"--max-back-days must be a number of days in (0, 366], not {max_back_days}", 2)
    catalog = with_extra_paths(catalog, ctx, "--catalog")
    sets = load_element_sets(catalog, db, history=True)
    if not sets:
        fail("no element sets to examine")
    facts = _satcat_facts(catalog, db)
    unparented: list[tuple[str, int]] = []
    found = find_breakups(
        sets, owners=facts.owners, object_types=facts.types, min_fragments=min_fragments,
        max_back_days=max_back_days, satcat=facts.records, unparented=unparented,
    )
    looked_in = (None if not facts.records
                 else "the SATCAT files given" if catalog else "the store's objects")
    if fmt == "jsonl":
        for b in found:
            emit_json_line(b.to_dict())
        _warn_unknown_owners(found)
        warn_unparented(unparented, looked_in)
        return
    t = Table(title=f"{len(found)} fragmentation event(s)", show_edge=False)
    for col in ("parent", "owner", "fragments", "class", "epoch (UTC)", "place", "collided with"):
        t.add_column(col)
    for b in found:
        d = b.to_dict()
        place = (
            f"{b.latitude_deg:.1f}, {b.longitude_deg:.1f}, {b.altitude_km:.0f} km"
            if b.latitude_deg is not None else "-"
        )
        if place != "-" and b.place_uncertainty_km is not None:
            place += f" (±{b.place_uncertainty_km:.0f} km along track)"
        when = d["epoch_estimate"] or "unknown"
        if b.epoch_estimate is not None and b.epoch_uncertainty_s is not None:
            when = f"{iso_z(b.epoch_estimate, 0)} ±{_duration(b.epoch_uncertainty_s)}"
        t.add_row(
            f"{b.parent} {b.parent_name or ''}", b.owner or "?", str(b.fragments),
            b.classification, when, place,
            (f"{b.collision_partner} {b.collision_partner_owner or '?'} ({b.collision_miss_km} km)"
             if b.collision_partner else "-"),
        )
    out.print(t)
    for b in found:
        if b.epoch_estimate is None:
            err.print(f"{b.parent}: epoch unknown: {b.epoch_method}", highlight=False, markup=False)
    _warn_unknown_owners(found)
    warn_unparented(unparented, looked_in)


def _warn_unknown_owners(found) -> None:
    unknown = [b.parent for b in found if not b.owner]
    if unknown:
        err.print(
            f"warning: owner unknown for {len(unknown)} parent(s) ({', '.join(map(str, unknown[:5]))}"
            f"{', ...' if len(unknown) > 5 else ''}): add a SATCAT file to --catalog, or ingest one",
            highlight=False, markup=False,
        )


def warn_unparented(unparented: list[tuple[str, int]], looked_in: str | None) -> None:
    """Say which fragment clouds were left out for want of a known parent
    (``looked_in``: where SATCAT records were searched too, if anywhere)."""
    if not unparented:
        return
    shown = ", ".join(f"{launch} ({n} pieces)" for launch, n in unparented[:5])
    shown += ", ..." if len(unparented) > 5 else ""
    hint = (f"none of those launches' payloads or stages is in {looked_in} either" if looked_in
            else "add a SATCAT file to --catalog, or ingest one, to name the parents")
    err.print(
        f"warning: {len(unparented)} fragment cloud(s) left out: no parent known (no payload or "
        f"stage of the launch has an element set here): {shown}; {hint}",
        highlight=False, markup=False,
    )


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


@detect_app.command("geo", context_settings=MANY_PATHS)
def geo_command(
    ctx: typer.Context,
    history: list[Path] = typer.Option(
        None, "--history", help="Element-set history files (a SATCAT file among them adds owners)."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    ids: str = typer.Option(None, "--ids", help="Catalog numbers, comma-separated."),
    drift_threshold: float = typer.Option(
        0.05, "--drift-threshold", help="Drift rate that counts as drifting, deg/day."
    ),
    states: bool = typer.Option(False, "--states", help="Also print every element set's state."),
    fmt: str = typer.Option("table", "--format", help="jsonl or table."),
) -> None:
    """GEO belt: longitude, drift rate and inclination over time; relocations as events."""
    from orbitwatch.behavior.geo import find_relocations, geo_track, is_geo
    from orbitwatch.cli.sources import load_element_sets

    history = with_extra_paths(history, ctx, "--history")
    if fmt not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {fmt!r}", 2)
    if not drift_threshold > 0:
        fail(f"--drift-threshold must be a positive rate in deg/day, not {drift_threshold:g}", 2)
    if states and fmt != "jsonl":
        fail("--states needs --format jsonl", 2)
    from orbitwatch.cli.detect import _parse_ids

    id_list = _parse_ids(ids)
    sets = [s for s in load_element_sets(history, db, ids=id_list, history=True) if is_geo(s)]
    owners = _satcat_facts(history, db).owners
    events, status = find_relocations(sets, drift_threshold_deg_day=drift_threshold, owners=owners)
    if fmt == "jsonl":
        if states:
            for st in geo_track(sets):
                d = st.to_dict()
                d["type"] = "geo_state"
                emit_json_line(d)
        for e in events:
            emit_json_line(e.to_dict())
        return
    latest: dict[int, object] = {}
    for st in geo_track(sets):
        latest[st.norad_id] = st
    t = Table(title=f"{len(latest)} GEO objects", show_edge=False)
    for col in ("object", "epoch", "lon deg", "drift deg/d", "incl deg", "status"):
        t.add_column(col)
    for nid, st in sorted(latest.items()):
        d = st.to_dict()
        t.add_row(str(nid), d["epoch"], f"{st.longitude_deg:.3f}", f"{st.drift_deg_day:+.4f}",
                  f"{st.inclination_deg:.3f}", status.get(nid, "?"))
    out.print(t)
    t = Table(title=f"{len(events)} relocation event(s)", show_edge=False)
    for col in ("object", "owner", "kind", "between", "lon before", "lon after", "drift after"):
        t.add_column(col)
    for e in events:
        d = e.to_dict()
        t.add_row(f"{e.object} {e.name or ''}", e.owner or "?", e.kind, f"{d['gap_start']} .. {d['gap_end']}",
                  f"{e.longitude_before_deg:.3f}", f"{e.longitude_after_deg:.3f}",
                  f"{e.drift_after_deg_day:+.4f}")
    out.print(t)


def _asset_ids(assets: str, option: str = "--assets") -> list[int]:
    """``ID,ID,...`` or a file with one catalog number per line (``#`` comments).

    A value of digits, commas and blanks is a list of catalog numbers and is
    never looked up as a file (a list of hundreds of numbers is longer than a
    file name may be); anything else is a file.  A file that cannot be read or
    holds a line that is no catalog number stops the command (exit 2) naming
    ``option``.
    """
    parts = [x.strip() for x in assets.split(",")]
    if all((x.isdigit() and x.isascii()) or not x for x in parts):
        return [int(x) for x in parts if x]
    shown = assets if len(assets) <= 80 else assets[:77] + "..."
    p = Path(assets)
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc.__class__.__name__
        bad = next(x for x in parts if x and not (x.isdigit() and x.isascii()))
        fail(f"{option} must be catalog numbers separated by commas, or a file of them: "
             f"{shown!r} is neither ({bad!r} is no catalog number; as a file: {why})", 2)
    ids = []
    for n, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            ids.append(int(entry.split(",")[0]))
        except ValueError:
            fail(f"{p}:{n}: {option}: not a catalog number: {entry!r}", 2)
    return ids


def _catalog_at(hist: list, t0) -> list:
    """The catalog as of ``t0``: each object's newest set at or before it, else its oldest.

    For proximity this only names the objects looked at: ``find_proximity``
    follows each with its set in force at each instant of the window, from
    the history given with it."""
    from orbitwatch.elements import newest_per_object

    newest = newest_per_object(hist, t0)
    have = {s.norad_id for s in newest}
    return newest + [s for s in newest_per_object(hist) if s.norad_id not in have]


@detect_app.command("proximity", context_settings=MANY_PATHS)
def proximity_command(
    ctx: typer.Context,
    assets: str = typer.Option(..., "--assets", help="Protected assets: ID,ID,... or a file."),
    catalog: list[Path] = typer.Option(None, "--catalog", help="Element-set files (with history)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    start: str = typer.Option(..., "--start", help="Window start, ISO-8601 UTC."),
    days: float = typer.Option(1.0, "--days", help="Window length, days."),
    range_km: float = typer.Option(
        None, "--range-km", help="Range that counts as near (default 25 km LEO, 50 km otherwise)."
    ),
    fmt: str = typer.Option("table", "--format", help="jsonl or table."),
) -> None:
    """Objects near each protected asset: approaches within range, GEO co-location
    (0.5 deg box), the trend over the element-set history, a manoeuvre before
    the approach, and the owner of each object."""
    import math

    from orbitwatch.behavior.proximity import find_proximity
    from orbitwatch.cli.app import time_option
    from orbitwatch.cli.sources import load_element_sets

    if fmt not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {fmt!r}", 2)
    t0 = time_option(start, "--start")
    if not (math.isfinite(days) and days > 0):
        fail(f"--days must be a positive number of days, not {days:g}", 2)
    if range_km is not None and not (math.isfinite(range_km) and range_km > 0):
        fail(f"--range-km must be a positive distance in km, not {range_km:g}", 2)
    catalog = with_extra_paths(catalog, ctx, "--catalog")
    ids = _asset_ids(assets)
    if not ids:
        fail(f"--assets names no catalog number: {assets!r}", 2)
    hist = load_element_sets(catalog, db, history=True)
    newest = _catalog_at(hist, t0)
    owners = _satcat_facts(catalog, db).owners
    try:
        found = find_proximity(ids, newest, t0, days * 86400.0, range_km=range_km,
                               history=hist, owners=owners)
    except ValueError as exc:
        fail(str(exc))
    _warn_far_from_sets(found, ids, hist, t0, days)
    if fmt == "jsonl":
        for e in found:
            emit_json_line(e.to_dict())
        return
    t = Table(title=f"{len(found)} object(s) near {len(ids)} asset(s)", show_edge=False)
    for col in ("asset", "asset owner", "object", "object owner", "kind", "closest km", "when",
                "trend", "after mnvr"):
        t.add_column(col)
    for e in found:
        d = e.to_dict()
        t.add_row(f"{e.asset} {e.asset_name or ''}", e.asset_owner or "?",
                  f"{e.object} {e.object_name or ''}", e.object_owner or "?", e.kind, f"{e.closest_km:.3f}", d["closest_time"],
                  e.trend, "yes" if e.after_maneuver else "no")
    out.print(t)


#: element sets propagated further than this (days) from the window are warned of
FAR_FROM_SETS_DAYS = 30.0


def _warn_far_from_sets(found, ids, hist, t0, days) -> None:
    """Say so when the window lies far from the element sets: SGP4 propagated
    for months or years is not a position, and an object catalogued long after
    the window may not have been in orbit then (a 2020 window over 2026 sets
    put SJ-21, launched in 2021, beside Eutelsat 16A)."""
    from datetime import timedelta

    end = t0 + timedelta(days=days)
    for a in ids:
        epochs = [s.epoch for s in hist if s.norad_id == a]
        if not epochs:
            continue
        before = (min(epochs) - end).total_seconds() / 86400.0
        after = (t0 - max(epochs)).total_seconds() / 86400.0
        if max(before, after) > FAR_FROM_SETS_DAYS:
            where = (f"ends {before:.0f} days before its first" if before > 0
                     else f"starts {after:.0f} days after its last")
            err.print(f"warning: asset {a}: the window {where} element set; positions are "
                      "SGP4 extrapolations", highlight=False, markup=False)
    far = [e for e in found
           if max(abs(v) for v in e.evidence["set_age_days"].values()) > FAR_FROM_SETS_DAYS]
    if far:
        err.print(f"warning: {len(far)} record(s) rest on element sets more than "
                  f"{FAR_FROM_SETS_DAYS:g} days from their closest approach "
                  "(evidence.set_age_days); an object catalogued after the window may not "
                  "have been in orbit then", highlight=False, markup=False)


@app.command("events")
def events_command(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    since: str = typer.Option(None, "--since", help="Only events at or after this time (ISO-8601)."),
    kind: str = typer.Option(
        None, "--type", help="maneuver, proximity, breakup, geo_relocation, notice or finding."
    ),
    partner: str = typer.Option(None, "--partner", help="Only what this partner may see."),
    superseded: bool = typer.Option(
        False, "--superseded",
        help="Also the records a later run replaced or withdrew (marked with what replaced them).",
    ),
    fmt: str = typer.Option("table", "--format", help="jsonl or table."),
) -> None:
    """List stored behaviour events and norm findings: the current ones (what the
    newest run derived, and what people posted) unless --superseded."""
    from orbitwatch.cli.app import time_option
    from orbitwatch.store.events import all_events
    from orbitwatch.store.shared_models import EVENT_KINDS
    from orbitwatch.timeutil import iso_z

    if fmt not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {fmt!r}", 2)
    if kind and kind not in EVENT_KINDS:
        fail(f"--type {kind!r}: use one of {', '.join(EVENT_KINDS)}", 2)
    since_dt = time_option(since, "--since")
    from orbitwatch.cli.sources import open_store

    engine = open_store(db)
    with engine.connect() as conn:
        rows = all_events(conn, since=since_dt, kind=kind, visible_to=partner, superseded=superseded)
        if superseded and partner:  # a replacement the partner may not see is not named
            from orbitwatch.store.shared import with_supersedes

            with_supersedes(conn, rows, partner)
    engine.dispose()
    if fmt == "jsonl":
        for r in rows:
            rec = dict(r["payload"] or {})
            rec.update({"id": r["id"], "type": r["kind"], "time": iso_z(r["time"], 3),
                        "partner": r["partner"], "releasable_to": r["releasable_to"]})
            if r.get("origin"):
                rec["origin"] = r["origin"]
            if r.get("superseded_at") is not None:
                rec.update(superseded_at=iso_z(r["superseded_at"], 3), superseded_by=r["superseded_by"])
            emit_json_line(rec)
        return
    t = Table(title=f"{len(rows)} event(s)", show_edge=False)
    for col in ("id", "time (UTC)", "type", "object", "what") + (("superseded by",) if superseded else ()):
        t.add_column(col)
    for r in rows:
        gone = ()
        if superseded:
            gone = ("-" if r.get("superseded_at") is None
                    else (f"#{r['superseded_by']}" if r["superseded_by"] is not None else "withdrawn"),)
        t.add_row(str(r["id"]), iso_z(r["time"], 0), r["kind"], str(r["norad_id"] or "-"),
                  r["title"] or "", *gone)
    out.print(t)


@app.command("norms", context_settings=MANY_PATHS)
def norms_command(
    ctx: typer.Context,
    events: list[Path] = typer.Option(
        None, "--events", help="JSONL files written by the detect commands (default: the store)."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    rules: Path = typer.Option(None, "--rules", help="Rules file (YAML); default: shipped rules."),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element-set/SATCAT files: owners and the long-lived-debris rule."
    ),
    notices: list[Path] = typer.Option(
        None, "--notices",
        help="Manoeuvre notifications (JSON lines or CSV: object, time[, issued, note]); "
             "stored notices are used too.",
    ),
    store: bool = typer.Option(False, "--store", help="Store the findings in the database."),
    partner: str = typer.Option(
        None, "--partner",
        help="Act for this partner: judge only the stored records it may see; store findings as its own.",
    ),
    releasable_to: str = typer.Option(
        None, "--releasable-to",
        help="Who may see the stored findings: CODE,CODE or ALL (narrowed to who may see their inputs).",
    ),
    fmt: str = typer.Option("table", "--format", help="jsonl or table."),
) -> None:
    """Judge events against norms of behaviour; findings carry rule, severity,
    attribution and a benign explanation where one fits."""
    # several files after one option (--catalog A B) when only one of the file
    # options is given; with more, which one a bare word follows is unknown
    files = with_extra_paths_of_one(ctx, {"--events": events, "--catalog": catalog, "--notices": notices})
    events, catalog, notices = files["--events"], files["--catalog"], files["--notices"]
    for attempt in range(1, JUDGE_ATTEMPTS + 1):
        try:
            return _norms(events, db, rules, catalog, notices, store, partner, releasable_to, fmt,
                          check_unchanged=attempt < JUDGE_ATTEMPTS)
        except _StoreChanged:
            err.print("note: the store's events or conjunctions changed while the norms judged "
                      "them; judging again", highlight=False)


#: how many times ``norms --store`` judges the store before it stores what it
#: found even though events were written meanwhile (a busy store)
JUDGE_ATTEMPTS = 3


class _StoreChanged(Exception):
    """Events or conjunctions were written (or superseded) between the norms'
    reading of the store and their storing of findings."""


def _norms(events, db, rules, catalog, notices, store, partner, releasable_to, fmt, *,
           check_unchanged: bool) -> None:
    """``orbitwatch norms``; with ``--store`` over the store, raises
    :class:`_StoreChanged` (nothing stored) when ``check_unchanged`` and a writer
    committed events or conjunctions after they were read: findings judged from
    records since revised would stand beside the findings judged from their
    replacements."""
    from orbitwatch.norms.rules import (
        NoticesError, RulesError, evaluate, load_rules, read_notices, record_problem)

    if fmt not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {fmt!r}", 2)
    from orbitwatch.store.releasability import normalize_partner, normalize_releasable_to

    try:
        partner = normalize_partner(partner)
        releasable_to = normalize_releasable_to(releasable_to)
    except ValueError as exc:
        fail(f"--partner/--releasable-to: {exc}")
    try:
        rule_list = load_rules(rules)
        notice_list = [n for path in notices or [] for n in read_notices(path)]
    except (RulesError, NoticesError) as exc:
        fail(str(exc))
    records: list[dict] = []
    if events:
        for path in events:
            try:
                text = path.read_text()
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"{path}: cannot read events file ({getattr(exc, 'strerror', None) or exc})")
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    fail(f"{path}:{n}: not a JSON object ({exc.msg})")
                if isinstance(rec, dict) and rec.get("type") == "geo_state":
                    continue  # `detect geo --states`: one set's state, not an event
                problem = record_problem(rec)
                if problem:
                    fail(f"{path}:{n}: {problem}")
                records.append(rec)
    else:
        from orbitwatch.cli.sources import open_store
        from orbitwatch.store.events import all_events
        from orbitwatch.store.shared import stream_cursor

        engine = open_store(db)
        with engine.connect() as conn:
            # the newest ids and supersession before anything is read: a writer
            # committing after this is seen when the findings are stored
            seen = stream_cursor(conn)
            rows = [r for r in all_events(conn, visible_to=partner) if r["kind"] != "finding"]
        engine.dispose()
        rows, records = _judgeable(rows)
    # owners and types: what the acting partner may see (public facts only
    # for a host run); the restricted facts used narrow what is stored
    facts = (_satcat_facts(catalog, db, visible_to=partner) if (catalog or not events)
             else SatcatFacts({}, {}, [], {}))
    owners = facts.owners
    # catalog-wide rules: from the files given, else from the store the events came from
    cat_rows = (_catalog_rows(catalog, None) if catalog
                else ([] if events else _catalog_rows(None, db, visible_to=partner, facts=facts)))
    conj = [] if events else _stored_conjunctions(db, visible_to=partner)
    found = evaluate(records, rule_list, owners=owners, catalog=cat_rows, conjunctions=conj,
                     notices=notice_list)
    _warn_unowned_breakups(records, rule_list, owners)
    # each finding's label: what it is stored with (--store), else what it would
    # be stored with (the acting partner; a release no wider than its inputs)
    recs = [f.to_dict() for f in found]
    judged: set[str] | None = None
    if not events:
        # judged from the store: each finding names the stored records it was
        # judged from, and what this judgement covers is known (for --store)
        from orbitwatch.store.events import input_ref

        event_ids = {id(rec): r["id"] for r, rec in zip(rows, records, strict=True)}
        for f, d in zip(found, recs, strict=True):
            d["inputs"] = sorted({x for x in (input_ref(i, event_ids) for i in f.inputs) if x})
        judged = {x for x in (input_ref(i, event_ids) for i in [*records, *conj, *cat_rows]) if x}
    if store or fmt == "jsonl":
        from orbitwatch.store.events import finding_release, store_events
        from orbitwatch.store.releasability import object_labels

        # files judged with no store named and nothing to store: no database is
        # opened (or created); every object is one the store cannot vouch for
        from orbitwatch.store.db import ENV_DB

        named = db or os.environ.get(ENV_DB)
        from orbitwatch.cli.sources import open_store

        # only --store may create the store; the labels are read from one that exists
        engine = open_store(db, create=store) if (store or named or not events) else None
        labels = {}
        if engine is not None:
            with engine.connect() as conn:
                # records from files carry no label: they go no wider than any set of
                # their objects that the acting partner may see; the sets it may not
                # see are not consulted (what is stored must not tell of them)
                labels = object_labels(conn, visible_to=partner)
        # a stored event keeps its own label: a finding judged from it goes no wider
        own = {} if events else {id(rec): (r["partner"], r["releasable_to"])
                                 for r, rec in zip(rows, records, strict=True)}
        # an object the partner may see no set of: the store cannot vouch for
        # the file's record, which stays with the partner
        unseen = (partner, partner) if partner and events else None
        from orbitwatch.store.facts import fact_labels

        restricted = fact_labels(facts.restricted)
        release = [finding_release(f, labels, own, partner=partner, releasable_to=releasable_to,
                                   unseen=unseen, facts=restricted)
                   for f in found]
        for d, rel in zip(recs, release, strict=True):
            # None: no partner may see all its inputs (a host run); it is not stored
            d.update(partner=partner, releasable_to=rel)
        keep = [k for k, rel in enumerate(release) if rel is not None]
        if store:
            from orbitwatch.store.events import findings_in_scope, near_any, supersede_events

            ids: list[int] = []
            with engine.begin() as conn:
                if judged is not None and check_unchanged:
                    from orbitwatch.store.shared import conjunction_facts, lock_feed, stream_cursor

                    lock_feed(conn)  # held to the commit: no writer comes between
                    # new or superseded records move the cursor; a conjunction
                    # re-stored with a new miss distance or Pc changes in place
                    if stream_cursor(conn) != seen or conj != conjunction_facts(
                            conn, max_miss_km=5.0, visible_to=partner):
                        raise _StoreChanged
                new, old = store_events(conn, [recs[k] for k in keep], partner=partner,
                                        releasable_to=releasable_to,
                                        per_record=[release[k] for k in keep], ids=ids,
                                        origin="norms", revise=judged is not None)
                # judged from the store: the derived findings this judgement covers
                # and did not find again are superseded (see supersede_events)
                # (a finding judged again but not stored keeps the stored one)
                kept_back = near_any([recs[k] for k in range(len(recs)) if k not in set(keep)])
                in_f = findings_in_scope(conn, judged) if judged is not None else None
                gone = ({} if in_f is None else supersede_events(
                    conn, partner=partner, origins=("run", "norms"), current=ids,
                    in_scope=lambda row: in_f(row) and not kept_back(row),
                    derived_for=releasable_to, kinds=("finding",)))
            for k, i in zip(keep, ids, strict=True):
                recs[k]["id"] = i
            err.print(f"stored {new} new finding(s), {old} already stored"
                      + (f", {len(gone)} superseded" if gone else "")
                      + (f"; {len(recs) - len(keep)} not stored: their inputs are releasable to no "
                         "common partner (use --partner)" if len(keep) < len(recs) else ""),
                      highlight=False, markup=False)
        if engine is not None:
            engine.dispose()
    if fmt == "jsonl":
        for d in recs:
            emit_json_line(d)
        return
    t = Table(title=f"{len(found)} finding(s)", show_edge=False)
    for col in ("severity", "rule", "responsible", "time", "summary", "benign explanation"):
        t.add_column(col)
    for f in found:
        d = f.to_dict()
        t.add_row(f.severity, f.rule, f"{f.responsible} ({f.responsible_owner or '?'})",
                  d["time"], f.summary, f.benign_explanation or "-")
    out.print(t)


def _warn_unowned_breakups(records: list[dict], rule_list, owners: dict[int, str]) -> None:
    """Breakups of a class a rule judges whose parent has no known owner get no
    finding (the norms accuse no unknown party); say so, not nothing."""
    classes = {c for r in rule_list if r.check == "destructive_breakup"
               for c in r.params.get("classifications", ["destructive test"])}
    unowned = [r.get("parent") for r in records
               if r.get("type") == "breakup" and r.get("classification") in classes
               and not (r.get("owner") or owners.get(r.get("parent")))]
    if unowned:
        err.print(f"warning: {len(unowned)} breakup(s) judged by the rules name no owner "
                  f"({', '.join(map(str, unowned[:5]))}{', ...' if len(unowned) > 5 else ''}): "
                  "no finding accuses an unknown party; add a SATCAT file to --catalog",
                  highlight=False, markup=False)


def _judgeable(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Stored events the norms can judge, and their records; each one they
    cannot (a record posted before the service checked them) is named on
    standard error and left out, so that one bad record stops no one's run.

    Those released widest come first, and of identical copies (one record
    stored by several partners, or under several labels) only the widest is
    kept: where the rules pick one of several records that say the same (the
    manoeuvre before an approach, the drift it started), they take the first,
    and a finding is then narrowed least."""
    from orbitwatch.norms.rules import record_problem
    from orbitwatch.store.events import as_record
    from orbitwatch.store.releasability import breadth

    keep, records, seen = [], [], set()
    for r in sorted(rows, key=lambda r: -breadth(r["partner"], r["releasable_to"])):
        rec = as_record(r)
        problem = record_problem(rec)
        if problem:
            err.print(f"note: stored event {r['id']} ({r['kind']}) left out: {problem}",
                      highlight=False, markup=False)
            continue
        key = json.dumps(rec, sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        keep.append(r)
        records.append(rec)
    return keep, records


def _stored_conjunctions(db: str | None, visible_to: str | None = None) -> list[dict]:
    """The stored conjunctions the norms use (safe separation, collision-avoidance
    explanations): every one with a Pc, and every one within 5 km (of those
    partner ``visible_to`` may see, when given)."""
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.shared import conjunction_facts

    engine = open_engine(db)
    with engine.connect() as conn:
        rows = conjunction_facts(conn, max_miss_km=5.0, visible_to=visible_to)
    engine.dispose()
    return rows


def _catalog_rows(catalog: list[Path] | None, db: str | None, visible_to: str | None = None,
                  facts: SatcatFacts | None = None) -> list[dict]:
    """Per-object rows (newest set + SATCAT type/owner) for catalog-wide rules,
    from ``catalog`` files when given, else from the store ``db`` (the sets
    and facts partner ``visible_to`` may see, when given; ``facts`` when
    already read).  A stored row showing restricted facts carries a label no
    wider than theirs."""
    from orbitwatch.cli.sources import load_element_sets
    from orbitwatch.norms.rules import catalog_rows
    from orbitwatch.store.facts import fact_labels, sets_with_facts
    from orbitwatch.store.releasability import narrow_rows

    facts = facts or _satcat_facts(catalog, db, visible_to)
    sets = sets_with_facts(load_element_sets(catalog, db, visible_to=visible_to), facts.restricted)
    rows = catalog_rows(sets, facts.owners, facts.types)
    return narrow_rows(rows, fact_labels(facts.restricted))
