"""``orbitwatch run``: the main job.

Acquire the catalog (download the public CelesTrak GP data and SATCAT, or read
``--catalog`` files offline), ingest it into the store, summarise it, screen
it for close approaches, run the behaviour detectors and norms over the stored
history, and print what an operator needs to see first.

The job is a list of steps that share one :class:`RunContext`; later
capabilities (behaviour detection, reports) add steps without touching the
others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.table import Table

from orbitwatch.cli.app import (
    DB_HELP, MANY_PATHS, app, err, fail, out, show_progress, time_option, with_extra_paths_of_one)


@dataclass
class RunContext:
    """What the steps of one run share."""

    db_url: str
    files: list[Path] = field(default_factory=list)
    quiet: bool = False
    as_json: bool = False
    screen: bool = True
    detect: bool = True
    start: datetime | None = None
    hours: float = 24.0
    threshold_km: float = 5.0
    top: int = 10
    partner: str | None = None
    releasable_to: str | None = None
    report: dict = field(default_factory=dict)
    rejected: int = 0
    assets: list[int] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)  # manoeuvre notifications (--notices)
    # what the screening step found, as the norms take it (object_1, object_2, tca,
    # miss_distance_km, pc where assessed); None when this run did not screen
    conjunctions: list[dict] | None = None
    # what the run derived, stored together by _step_store (one transaction):
    # the screening's conjunctions (column dicts, Pc where assessed), and the
    # detectors' records and findings with each one's releasable_to
    to_store_conjunctions: list[dict] = field(default_factory=list)
    to_store_events: list[dict] = field(default_factory=list)
    to_store_release: list[str] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    # what the detectors and the norms re-derived (see _store_derived): the objects
    # whose histories were searched for manoeuvres and GEO relocations, the
    # proximity window (assets, start, end), everything the norms judged, and
    # each finding's inputs (by id() of its dict); None: the detectors did not run
    rederived: dict | None = None
    finding_inputs: dict[int, tuple] = field(default_factory=dict)


Step = Callable[[RunContext], None]


def _step_acquire(ctx: RunContext, catalog: list[Path] | None, gp_urls, satcat_url) -> None:
    if catalog:
        for p in catalog:
            if not p.exists():
                fail(f"catalog file not found: {p}")
        ctx.files = list(catalog)
        return
    from orbitwatch.fetch import FetchError, default_gp_urls, default_satcat_url, download
    from platformdirs import user_cache_dir

    urls = list(gp_urls) if gp_urls else default_gp_urls()
    satcat = satcat_url if satcat_url is not None else default_satcat_url()
    if satcat:
        urls = urls + [satcat]
    dest = Path(user_cache_dir("orbitwatch")) / "downloads"
    if not ctx.quiet:
        err.print(f"downloading {len(urls)} file(s) to {dest} ...")
    try:
        got = download(urls, dest)
    except FetchError as exc:
        fail(str(exc))
    ctx.files = [d.path for d in got]
    ctx.report["downloaded"] = [{"url": d.url, "bytes": d.size_bytes} for d in got]


def _step_ingest(ctx: RunContext) -> None:
    from orbitwatch.elements import read_file
    from orbitwatch.elements.model import FormatError
    from orbitwatch.store.catalog import ingest_parse_result
    from orbitwatch.store.db import open_engine

    engine = open_engine(ctx.db_url)
    rows: list[dict] = []
    ctx.report["ingest"] = rows  # filled as each file commits (what a failure leaves stored)
    for path in ctx.files:
        try:
            result = read_file(path)
        except FormatError as exc:
            err.print(str(exc), style="red", highlight=False, markup=False, emoji=False)
            ctx.rejected += 1
            continue
        counts = ingest_parse_result(
            engine, result, partner=ctx.partner, releasable_to=ctx.releasable_to
        )
        for e in result.errors[:20]:
            err.print(f"  {e}", highlight=False, markup=False, emoji=False)
        if len(result.errors) > 20:
            err.print(f"  ... and {len(result.errors) - 20} more rejected records")
        ctx.rejected += counts.rejected
        rows.append(
            {
                "file": str(path),
                "format": result.format,
                "read": counts.read,
                "new": counts.new,
                "duplicate": counts.duplicate,
                "rejected": counts.rejected,
            }
        )
        if not ctx.quiet:
            err.print(
                f"ingested {path.name} ({result.format}): read {counts.read}, new {counts.new}, "
                f"duplicate {counts.duplicate}, rejected {counts.rejected}",
                highlight=False,
            )
    engine.dispose()


def _step_summary(ctx: RunContext) -> None:
    from orbitwatch.store.catalog import list_objects
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.facts import visible_facts, with_facts
    from orbitwatch.summary import ObjectRow, summarize

    engine = open_engine(ctx.db_url)
    with engine.connect() as conn:
        objs = list_objects(conn)  # public facts; those --partner may see laid over
        fx = visible_facts(conn, visible_to=ctx.partner)
    engine.dispose()
    objs = [with_facts(o, fx) for o in objs]
    now = datetime.now(UTC)
    epochs = sorted(o.latest_epoch for o in objs if o.latest_epoch)
    archived = bool(epochs) and now - epochs[len(epochs) // 2] > timedelta(days=30)
    # An archived catalog (median epoch more than 30 days old) is described as
    # of its newest epoch and screened from its median epoch: ages of years
    # and propagation years past the elements would mean nothing.
    # (the 99th-percentile epoch: a handful of far newer sets must not set the clock)
    as_of = epochs[min(len(epochs) - 1, int(0.99 * len(epochs)))] if archived else now
    summary = summarize(
        (ObjectRow(o.norad_id, o.regime, o.owner, o.object_type, o.latest_epoch) for o in objs),
        as_of=as_of,
    )
    ctx.report["summary"] = summary.to_dict()
    if archived:
        ctx.report["archived_catalog"] = True
        if ctx.start is None:
            ctx.start = epochs[len(epochs) // 2].replace(microsecond=0)
    if ctx.as_json:
        return
    t = Table(title=f"Catalog: {summary.objects} objects", show_edge=False)
    t.add_column("regime")
    t.add_column("objects", justify="right")
    for k, v in summary.by_regime.items():
        t.add_row(k, str(v))
    out.print(t)
    t = Table(title="By owner (top 10)", show_edge=False)
    t.add_column("owner")
    t.add_column("objects", justify="right")
    for k, v in list(summary.by_owner.items())[:10]:
        t.add_row(k, str(v))
    out.print(t)
    t = Table(title="By type", show_edge=False)
    t.add_column("type")
    t.add_column("objects", justify="right")
    for k, v in summary.by_type.items():
        t.add_row(k, str(v))
    out.print(t)
    if archived:
        out.print(
            "Archived catalog (median epoch over 30 days old): ages are counted from its "
            f"99th-percentile epoch, {summary.as_of:%Y-%m-%d %H:%M}Z, and it is screened from its "
            "median epoch.",
            highlight=False,
        )
    out.print(
        f"Element-set age (days): median {summary.age_median_days}, "
        f"90th percentile {summary.age_p90_days}, max {summary.age_max_days}; "
        f"{summary.older_than_3_days} objects older than 3 days",
        highlight=False,
    )


def _step_screen(ctx: RunContext) -> None:
    if not ctx.screen:
        return
    try:
        from orbitwatch.screening import screen
    except ImportError:  # screening not installed in this build
        return
    from orbitwatch.cli.sources import load_element_sets
    from orbitwatch.timeutil import iso_z

    sets = load_element_sets(None, ctx.db_url, visible_to=ctx.partner)  # what --partner may see
    if not sets:
        return
    start = ctx.start or datetime.now(UTC).replace(microsecond=0)
    ctx.start = start  # the window of this run, for the proximity step too
    progress = None
    bar = None
    if show_progress(ctx.quiet):
        from rich.progress import Progress

        bar = Progress(transient=True, console=err)
        bar.start()
        task = bar.add_task(f"screening {len(sets)} objects", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

    try:
        res = screen(sets, start, ctx.hours * 3600.0, ctx.threshold_km, progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    from orbitwatch.screening import CO_ORBITING_SPEED_KM_S, co_orbiting_pairs

    # formations, co-located and docked objects with their own element sets meet
    # every orbit at walking pace: listed apart from the approaches (all are stored)
    co = co_orbiting_pairs(res.conjunctions)
    approaches = [c for c in res.conjunctions if (c.object_1, c.object_2) not in co]
    closest = sorted(approaches, key=lambda c: c.miss_distance_km)[: ctx.top]
    risk = _assess_and_store(ctx, res.conjunctions, closest, sets)
    pcs = {(c.object_1, c.object_2, c.tca): r["pc"] for c, r in zip(closest, risk)}
    # the norms see the approaches, not the co-orbiting pairs: a docked or formation
    # partner within metres at every orbit is no red conjunction to avoid
    ctx.conjunctions = [
        {"object_1": c.object_1, "object_2": c.object_2, "tca": c.tca,
         "miss_distance_km": c.miss_distance_km, "pc": pcs.get((c.object_1, c.object_2, c.tca)),
         "relative_speed_km_s": c.relative_speed_km_s}
        for c in approaches
    ]
    co_rows = sorted(co.values(), key=lambda p: p.closest_km)
    ctx.report["screening"] = {
        "start": iso_z(start, 3),
        "hours": ctx.hours,
        "threshold_km": ctx.threshold_km,
        "objects": len(sets),
        "conjunctions": len(res.conjunctions),
        "propagation_failures": len(res.failures),
        "wall_s": round(res.stats.wall_s, 2),
        "closest": [
            {
                "object_1": c.object_1,
                "object_2": c.object_2,
                "object_1_name": c.object_1_name,
                "object_2_name": c.object_2_name,
                "tca": iso_z(c.tca, 3),
                "miss_distance_km": round(c.miss_distance_km, 4),
                "relative_speed_km_s": round(c.relative_speed_km_s, 4),
                **risk[k],
            }
            for k, c in enumerate(closest)
        ],
        "co_orbiting_speed_km_s": CO_ORBITING_SPEED_KM_S,
        "co_orbiting": [
            {
                "object_1": p.object_1,
                "object_2": p.object_2,
                "object_1_name": p.object_1_name,
                "object_2_name": p.object_2_name,
                "minima": p.minima,
                "closest_km": round(p.closest_km, 4),
                "widest_minimum_km": round(p.widest_minimum_km, 4),
                "max_speed_m_s": round(p.max_speed_km_s * 1000.0, 3),
            }
            for p in co_rows
        ],
    }
    if ctx.as_json:
        return
    t = Table(
        title=(
            f"Closest approaches, {iso_z(start, 0)} + {ctx.hours:g} h, "
            f"< {ctx.threshold_km:g} km ({len(approaches)} in all"
            + (f"; {len(res.conjunctions) - len(approaches)} more between the co-orbiting pairs below)"
               if co else ")")
        ),
        show_edge=False,
    )
    t.add_column("TCA (UTC)", no_wrap=True)
    for col in ("object 1", "object 2", "miss km", "speed km/s", "Pc", "max Pc", "risk"):
        t.add_column(col, no_wrap=col != "object 1" and col != "object 2")
    for k, c in enumerate(closest):
        r = risk[k]
        t.add_row(
            iso_z(c.tca, 3),
            f"{c.object_1} {c.object_1_name or ''}",
            f"{c.object_2} {c.object_2_name or ''}",
            f"{c.miss_distance_km:.3f}",
            f"{c.relative_speed_km_s:.3f}",
            "-" if r["pc"] is None else f"{r['pc']:.1e}",
            f"{r['pc_max']:.1e}",
            r["risk"],
        )
    out.print(t)
    if co_rows:
        tc = Table(
            title=(f"Co-orbiting pairs: 2+ minima, each slower than {CO_ORBITING_SPEED_KM_S * 1000:g} m/s "
                   f"(formations, co-located or docked objects, slow drifts; {len(co_rows)} pairs)"),
            show_edge=False,
        )
        for col in ("object 1", "object 2", "minima", "closest km", "widest min km", "max speed m/s"):
            tc.add_column(col, no_wrap=not col.startswith("object"))
        for p in co_rows[: ctx.top]:
            tc.add_row(f"{p.object_1} {p.object_1_name or ''}", f"{p.object_2} {p.object_2_name or ''}",
                       str(p.minima), f"{p.closest_km:.3f}", f"{p.widest_minimum_km:.3f}",
                       f"{p.max_speed_km_s * 1000:.2f}")
        out.print(tc)
    if res.failures:
        out.print(f"{len(res.failures)} objects could not be propagated over the whole window.")


def _assess_and_store(ctx: RunContext, conjunctions, closest, sets) -> list[dict]:
    """Pc, max Pc and tier for the closest approaches (covariance from each object's
    stored history); every conjunction queued for storing (:func:`_step_store`),
    with its Pc where assessed."""
    from orbitwatch.cli.sources import load_element_sets
    from orbitwatch.collision.screening_risk import (
        assess_screening, covariance_source, public_fields)
    from orbitwatch.store.shared import conjunction_values

    ids = {c.object_1 for c in closest} | {c.object_2 for c in closest}
    history = load_element_sets(None, ctx.db_url, ids=ids, history=True, visible_to=ctx.partner) if ids else []
    covs = covariance_source(history, ids) if history else None
    newest = {s.norad_id: s for s in sets}
    rows = [public_fields(r) for r in assess_screening(closest, newest, covs)]
    assessed = {(c.object_1, c.object_2, c.tca): r for c, r in zip(closest, rows)}
    for c in conjunctions:
        values = conjunction_values(c)
        r = assessed.get((c.object_1, c.object_2, c.tca))
        if r is not None and r["pc"] is not None:
            values.update(pc=r["pc"], pc_method=r["pc_method"][:32])
        ctx.to_store_conjunctions.append(values)
    return [
        {k: r[k] for k in ("pc", "pc_method", "pc_max", "risk", "hbr_m")} for r in rows
    ]


def _step_detect(ctx: RunContext) -> None:
    """Behaviour detectors over the stored history, norms over their events; all stored."""
    if not ctx.detect:
        return
    from collections import Counter, defaultdict

    from orbitwatch.behavior.breakups import find_breakups
    from orbitwatch.behavior.geo import find_relocations, is_geo
    from orbitwatch.behavior.maneuvers import detect_maneuvers
    from orbitwatch.cli.sources import load_element_sets
    from orbitwatch.elements import newest_per_object
    from orbitwatch.norms.rules import catalog_rows, evaluate
    from orbitwatch.store.db import open_engine
    from orbitwatch.store.events import NOBODY, all_events, finding_release, release_for
    from orbitwatch.store.facts import fact_labels, sets_with_facts
    from orbitwatch.store.releasability import breadth, narrow_rows, object_labels
    from orbitwatch.cli.events import (
        _judgeable, _stored_conjunctions, satcat_records, stored_objects, warn_unparented)

    # the run acts for --partner: it reads only what that partner may see (the
    # element sets, and the catalogue facts: names, owners, types; a run for
    # no partner, the public facts only), and each record it stores is
    # releasable only to those who may see its inputs, restricted facts included
    objs, fx = stored_objects(ctx.db_url, ctx.partner)
    facts = fact_labels(fx)
    hist = sets_with_facts(
        load_element_sets(None, ctx.db_url, history=True, visible_to=ctx.partner), fx)
    engine = open_engine(ctx.db_url)
    with engine.connect() as conn:
        labels = object_labels(conn, visible_to=ctx.partner)
    owners = {o.norad_id: o.owner for o in objs if o.owner}
    types = {o.norad_id: o.object_type for o in objs if o.object_type}
    by_id: dict[int, list] = defaultdict(list)
    for s in hist:
        by_id[s.norad_id].append(s)
    records: list[dict] = []
    searched: set[int] = set()
    for nid, sets in by_id.items():
        if len(sets) >= 8:
            try:
                ms = detect_maneuvers(sets)
            except ValueError:
                continue
            searched.add(nid)
            for m in ms:
                d = m.to_json()
                d["type"] = "maneuver"
                d["owner"] = owners.get(nid)
                records.append(d)
    # the SATCAT's records name the parents of clouds whose launch has no
    # payload or stage with element sets (an old cloud of a decayed satellite)
    unparented: list[tuple[str, int]] = []
    breakups = find_breakups(hist, owners=owners, object_types=types,
                             satcat=satcat_records(objs), unparented=unparented)
    warn_unparented(unparented, "the store's objects" if objs else None)
    records += [b.to_dict() for b in breakups]  # each names all its fragments
    geo_sets = [s for s in hist if is_geo(s)]
    geo_events, _ = find_relocations(geo_sets, owners=owners)
    records += [e.to_dict() for e in geo_events]
    # of same-epoch copies of a set the widest released (ties go to the later)
    newest = newest_per_object(sorted(hist, key=lambda s: breadth(s.partner, s.releasable_to)))
    window = None
    if ctx.assets:
        searched_assets: set[int] = set()
        records += _proximity_records(ctx, hist, owners, searched_assets)
        t0 = ctx.start or datetime.now(UTC).replace(microsecond=0)
        window = (searched_assets, t0, t0 + timedelta(hours=ctx.hours))
    # notices: those given now are stored with the events; the stored ones count too
    records += ctx.notices
    with engine.connect() as conn:
        stored = all_events(conn, kind="notice", visible_to=ctx.partner)
        # the stored approaches this run does not re-derive (earlier windows,
        # other assets, posted ones) are judged again with the manoeuvres and
        # notices as they stand now: a finding resting on a manoeuvre since
        # withdrawn, or answered by a notice since posted, is revised with them
        stored += [r for r in all_events(conn, kind="proximity", visible_to=ctx.partner)
                   if not _in_window(r, window)]
    stored, stored_recs = _judgeable(stored)
    # the norms see the screening's conjunctions (safe separation, collision-avoidance
    # explanations; else the stored ones) and every object's newest set (debris rule)
    conj = (ctx.conjunctions if ctx.conjunctions is not None
            else _stored_conjunctions(ctx.db_url, visible_to=ctx.partner))
    cat = narrow_rows(catalog_rows(newest, owners, types), facts)
    found = evaluate(records + stored_recs, owners=owners, conjunctions=conj, catalog=cat)
    # each record goes to those who may see the sets it came from (a breakup's
    # fragments too); a finding, no wider than the records it was judged from
    to_store, release = [], []
    own: dict[int, tuple] = {}
    for r in records:
        rel = release_for(r, labels, partner=ctx.partner, releasable_to=ctx.releasable_to,
                          facts=facts)
        own[id(r)] = NOBODY if rel is None else (ctx.partner, rel)
        if rel is not None:
            to_store.append(r)
            release.append(rel)
    for row, r in zip(stored, stored_recs, strict=True):  # a stored record keeps its own label
        own[id(r)] = (row["partner"], row["releasable_to"])
    findings = []
    ctx.finding_inputs = {}
    for f in found:
        d = f.to_dict()
        findings.append(d)
        ctx.finding_inputs[id(d)] = f.inputs
        rel = finding_release(f, labels, own, partner=ctx.partner, releasable_to=ctx.releasable_to,
                              facts=facts)
        if rel is not None:
            to_store.append(d)
            release.append(rel)
    withheld = len(records) + len(findings) - len(to_store)
    if withheld:
        err.print(f"note: {withheld} record(s) not stored: their element sets are releasable "
                  "to no common partner (run with --partner)", highlight=False)
    engine.dispose()
    ctx.to_store_events, ctx.to_store_release, ctx.findings = to_store, release, findings
    kept = {id(d) for d in to_store}
    ctx.rederived = {
        "maneuver": searched, "geo_relocation": {s.norad_id for s in geo_sets},
        "proximity": window, "judged": [*records, *stored_recs, *conj, *cat],
        "stored_recs": {id(r): row["id"] for row, r in zip(stored, stored_recs, strict=True)},
        "withheld": [r for r in (*records, *findings) if id(r) not in kept],
    }
    counts = Counter(r.get("type", "maneuver") for r in records + findings)
    by_rule = Counter(f"{f['rule']} ({f['severity']})" for f in findings)
    ctx.report["events"] = {"by_type": dict(counts), "new": 0, "already_stored": 0,
                            "findings_by_rule": dict(by_rule)}


def _in_window(row: dict, window) -> bool:
    """Whether a stored proximity row lies in what this run re-derives: one of
    the assets it searched, within its window."""
    if window is None:
        return False
    assets, t0, t1 = window
    t = row["time"]
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    return (row["payload"] or {}).get("asset") in assets and t0 <= t <= t1


def _store_derived(conn, ctx: RunContext) -> tuple[int, int]:
    """Store the detectors' records, then the findings naming the stored records
    they were judged from (``inputs``), then supersede what this run re-derived
    and did not find again (:func:`orbitwatch.store.events.supersede_events`):
    a manoeuvre re-placed or withdrawn as a history grew, a pending one
    confirmed, a breakup re-estimated from more fragments, a finding whose
    events changed.  A record found again but not stored (no partner may see
    all its inputs) keeps the stored one current.  Notices given with
    ``--notices`` are people's word, stored as given and never superseded.
    Returns (new, already stored)."""
    from orbitwatch.store.events import (
        findings_in_scope, input_ref, near_any, store_events, supersede_events)

    pairs = list(zip(ctx.to_store_events, ctx.to_store_release, strict=True))
    event_ids: dict[int, int] = {}
    counts = [0, 0]

    def store(kind_test, origin: str | None) -> list[int]:
        group = [(r, rel) for r, rel in pairs if kind_test(r.get("type"))]
        got: list[int] = []
        n, o = store_events(conn, [r for r, _ in group], partner=ctx.partner,
                            releasable_to=ctx.releasable_to, per_record=[x for _, x in group],
                            ids=got, origin=origin, revise=origin is not None)
        counts[0], counts[1] = counts[0] + n, counts[1] + o
        event_ids.update({id(r): i for (r, _), i in zip(group, got, strict=True)})
        return got

    ids = store(lambda t: t not in ("finding", "notice"), "run")
    store(lambda t: t == "notice", None)
    re_ = ctx.rederived or {}
    # the stored records judged again (notices, approaches of earlier windows)
    # are named by their own ids
    event_ids.update(re_.get("stored_recs", {}))
    for r, _ in pairs:  # a finding names the stored records it was judged from
        if r.get("type") == "finding":
            refs = (input_ref(x, event_ids) for x in ctx.finding_inputs.get(id(r), ()))
            r["inputs"] = sorted({x for x in refs if x})
    fids = store(lambda t: t == "finding", "run")
    window = re_.get("proximity")
    kept = near_any(re_.get("withheld", ()))

    def in_scope(row: dict) -> bool:
        kind = row["kind"]
        if kept(row):
            return False
        if kind in ("maneuver", "geo_relocation"):
            return row["norad_id"] in re_.get(kind, ())
        if kind == "breakup":
            return True  # the whole store's history is searched each run
        if kind == "proximity":
            return _in_window(row, window)
        return False

    gone = supersede_events(conn, partner=ctx.partner, origins=("run",), current=ids,
                            in_scope=in_scope, derived_for=ctx.releasable_to,
                            kinds=("maneuver", "geo_relocation", "breakup", "proximity"))
    judged = {x for x in (input_ref(r, event_ids) for r in re_.get("judged", ())) if x}
    in_f = findings_in_scope(conn, judged)
    gone_f = supersede_events(conn, partner=ctx.partner, origins=("run", "norms"), current=fids,
                              in_scope=lambda row: in_f(row) and not kept(row),
                              derived_for=ctx.releasable_to, kinds=("finding",))
    ctx.report["events_superseded"] = {
        "records": len(gone), "withdrawn": sum(v is None for v in gone.values()),
        "findings": len(gone_f), "findings_withdrawn": sum(v is None for v in gone_f.values()),
    }
    return counts[0], counts[1]


class StoreFailed(Exception):
    """Storing what the run derived failed; nothing of it was stored."""


def _step_store(ctx: RunContext) -> None:
    """Store what the run derived (conjunctions, behaviour events, findings) in one
    transaction: all of it or, when any write fails, none of it."""
    from collections import Counter

    from sqlalchemy.exc import SQLAlchemyError

    from orbitwatch.store.db import open_engine
    from orbitwatch.store.shared import add_derived_conjunctions

    stored, withheld, new, old = [], 0, 0, 0
    if ctx.to_store_conjunctions or ctx.to_store_events or ctx.rederived is not None:
        engine = open_engine(ctx.db_url)
        try:
            with engine.begin() as conn:
                if ctx.to_store_conjunctions:
                    # each conjunction releasable only to those who may see both objects' sets
                    stored, withheld = add_derived_conjunctions(
                        conn, conjunctions=ctx.to_store_conjunctions, partner=ctx.partner,
                        releasable_to=ctx.releasable_to)
                if ctx.to_store_events or ctx.rederived is not None:
                    new, old = _store_derived(conn, ctx)
        except SQLAlchemyError as exc:
            raise StoreFailed(_db_error(exc)) from exc
        finally:
            engine.dispose()
    if withheld:
        err.print(f"note: {withheld} conjunction(s) not stored: their element sets are "
                  "releasable to no common partner (run with --partner)", highlight=False)
    if "events" not in ctx.report:
        return
    ctx.report["events"].update(new=new, already_stored=old)
    if ctx.as_json:
        return
    counts = ctx.report["events"]["by_type"]
    sup = ctx.report.get("events_superseded", {})
    by_rule = Counter(ctx.report["events"]["findings_by_rule"])
    out.print(
        "Behaviour: "
        + (", ".join(f"{v} {k}" for k, v in counts.items()) or "no events")
        + f" ({new} new"
        + ("".join(f", {v} {k}" for k, v in (
            ("superseded", sup.get("records", 0) + sup.get("findings", 0)),) if v))
        + ")",
        highlight=False,
    )
    if by_rule:
        out.print("Findings by rule: " + ", ".join(f"{v} {k}" for k, v in by_rule.most_common()),
                  highlight=False, markup=False)
    for f in ctx.findings[:10]:
        out.print(f"  [{f['severity']}] {f['rule']}: {f['summary']}", highlight=False, markup=False)


def _kept(ctx: RunContext) -> str:
    """What a run that stopped on a database error left stored: the files it
    ingested (each its own transaction), none of its conjunctions or events."""
    files = [Path(r["file"]).name for r in ctx.report.get("ingest", [])]
    if not files:
        return "nothing of this run was stored"
    return (f"the element sets of {len(files)} file(s) ingested before it stay stored "
            f"({', '.join(files)}); none of this run's conjunctions, events or findings were")


def _db_error(exc) -> str:
    """One line for a database error: the driver's message, no SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{orig.__class__.__name__}: {text}" if text else orig.__class__.__name__


def _proximity_records(ctx: RunContext, hist, owners: dict[int, str], searched: set[int]) -> list[dict]:
    """Proximity events around ``--assets`` over the screening window (as
    ``orbitwatch detect proximity``: the objects of the catalog as of the window
    start, each followed with its set in force at each instant of the window);
    ``searched`` gets the assets searched (those in the catalog)."""
    from orbitwatch.behavior.proximity import find_proximity
    from orbitwatch.cli.events import _catalog_at

    t0 = ctx.start or datetime.now(UTC).replace(microsecond=0)
    newest = _catalog_at(hist, t0)
    missing = sorted(set(ctx.assets) - {s.norad_id for s in newest})
    if missing:
        err.print(f"note: assets not in the catalog, left out: {', '.join(map(str, missing))}",
                  highlight=False)
    assets = [a for a in ctx.assets if a not in missing]
    searched.update(assets)
    if not assets:
        return []
    found = find_proximity(assets, newest, t0, ctx.hours * 3600.0, history=hist, owners=owners)
    return [e.to_dict() for e in found]


@app.command("run", context_settings=MANY_PATHS)
def run_command(
    cli_ctx: typer.Context = None,  # None when called as a function (tests, other commands)
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element-set/SATCAT files to use instead of downloading (offline)."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    gp_url: list[str] = typer.Option(
        None, "--gp-url", help="GP data URL(s) to download (default: CelesTrak groups)."
    ),
    satcat_url: str = typer.Option(
        None, "--satcat-url", help="SATCAT CSV URL (default: CelesTrak); '' to skip."
    ),
    screen: bool = typer.Option(True, "--screen/--no-screen", help="Screen the catalog."),
    detect: bool = typer.Option(
        True, "--detect/--no-detect", help="Run the behaviour detectors and norms."
    ),
    start: str = typer.Option(
        None,
        "--start",
        help="Screening start (ISO-8601 UTC). Default: now, or the catalog's median epoch "
        "when that is more than 30 days old.",
    ),
    hours: float = typer.Option(24.0, "--hours", help="Screening span in hours."),
    threshold_km: float = typer.Option(5.0, "--threshold-km", help="Screening threshold, km."),
    top: int = typer.Option(10, "--top", help="How many closest approaches to print."),
    partner: str = typer.Option(
        None, "--partner", help="Partner code recorded on what this run stores."
    ),
    releasable_to: str = typer.Option(
        None, "--releasable-to", help="Who may see what this run stores: CODE,CODE or ALL."
    ),
    notices: list[Path] = typer.Option(
        None, "--notices",
        help="Manoeuvre notifications to store and to judge by (JSON lines or CSV: object, "
             "time[, issued, note]).",
    ),
    assets: str = typer.Option(
        None, "--assets",
        help="Protected assets (ID,ID,... or a file): proximity events around them over the "
             "screening window, judged by the norms.",
    ),
    fmt: str = typer.Option("table", "--format", help="table or json (one JSON report)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Fetch (or read) the catalog, ingest it, summarise it, screen it, run the detectors and norms.

    The behaviour detectors and the norms run over the whole store (--no-detect
    skips them); conjunctions, events and findings are stored.

    Without --catalog it downloads the public CelesTrak GP data (as OMM) and
    SATCAT; with no network it stops and says how to run offline.
    """
    from orbitwatch.store.db import resolve_db_url

    # several files after one option (--catalog A B, a shell glob), as detect and
    # norms take them, when only one of the file options is given
    files = with_extra_paths_of_one(cli_ctx, {"--catalog": catalog, "--notices": notices})
    catalog, notices = files["--catalog"], files["--notices"]
    if fmt not in ("table", "json"):
        fail(f"--format must be table or json, not {fmt!r}", 2)
    ctx = RunContext(
        db_url=resolve_db_url(db),
        quiet=quiet,
        as_json=fmt == "json",
        screen=screen,
        detect=detect,
        start=time_option(start, "--start"),
        hours=hours,
        threshold_km=threshold_km,
        top=top,
        partner=partner,
        releasable_to=releasable_to,
    )
    if assets:
        from orbitwatch.cli.events import _asset_ids

        ctx.assets = _asset_ids(assets)
    if notices:
        from orbitwatch.norms.rules import NoticesError, read_notices

        try:
            ctx.notices = [n for path in notices for n in read_notices(path)]
        except NoticesError as exc:
            fail(str(exc), 2)
    _step_acquire(ctx, catalog, gp_url, satcat_url)
    steps: list[Step] = [_step_ingest, _step_summary, _step_screen, _step_detect, _step_store]
    from sqlalchemy.exc import SQLAlchemyError

    from orbitwatch.store.db import run_lock

    # runs on one store take turns from their first read of it (the summary) to
    # the commit of what they derived, so that the later one reads what the
    # earlier one stored (see run_lock); the ingests do not wait
    serial = steps.index(_step_summary)
    try:
        for step in steps[:serial]:
            step(ctx)
        with run_lock(ctx.db_url, on_wait=lambda: err.print(
                "waiting for another orbitwatch run on this store to finish ...", highlight=False)):
            for step in steps[serial:]:
                step(ctx)
    except (StoreFailed, SQLAlchemyError) as exc:
        why = str(exc) if isinstance(exc, StoreFailed) else _db_error(exc)
        fail(f"run stopped, database error ({why}); {_kept(ctx)}")
    if ctx.as_json:
        out.print_json(json.dumps(ctx.report, default=str))
    if ctx.rejected:
        raise typer.Exit(2)
