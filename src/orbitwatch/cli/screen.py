"""``orbitwatch screen``: every close approach below a threshold in a time window.

Thin shell over :func:`orbitwatch.screening.screen`.  Output records are
built by :func:`conjunction_record`; extra per-event fields (collision
probability, CDM files, ...) can be added by passing ``post`` hooks to
:func:`write_conjunctions` or by extending :data:`RECORD_HOOKS`.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from enum import Enum
from pathlib import Path
from typing import IO

import typer

from orbitwatch.cli.app import DB_HELP, app, err, fail, load_hbr_table, out, show_progress

FIELDS = (
    "object_1", "object_2", "tca", "miss_distance_km", "relative_speed_km_s",
    "miss_rtn_km", "object_1_name", "object_2_name",
)

#: Functions ``hook(conjunction, record) -> None`` that add fields to each output record.
RECORD_HOOKS: list[Callable] = []


class ScreenFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    table = "table"


def conjunction_record(c) -> dict:
    """One output record (JSON-ready dict) for a :class:`~orbitwatch.screening.Conjunction`.

    ``tca`` is ISO-8601 UTC with microseconds and ``Z``; distances km (mm
    resolution), speeds km/s.
    """
    from orbitwatch.timeutil import iso_z

    return {
        "object_1": c.object_1,
        "object_2": c.object_2,
        "tca": iso_z(c.tca, 6),
        "miss_distance_km": round(c.miss_distance_km, 6),
        "relative_speed_km_s": round(c.relative_speed_km_s, 6),
        "miss_rtn_km": [round(x, 6) for x in c.miss_rtn_km],
        "object_1_name": c.object_1_name,
        "object_2_name": c.object_2_name,
    }


def write_conjunctions(conjunctions, fmt: ScreenFormat, stream: IO[str] | None, post=()) -> None:
    """Write records in ``fmt`` to ``stream`` (``None``: the stdout console)."""
    from orbitwatch.screening import co_orbiting_pairs

    hooks = list(RECORD_HOOKS) + list(post)
    co = co_orbiting_pairs(list(conjunctions))
    records = []
    for c in conjunctions:
        rec = conjunction_record(c)
        rec["co_orbiting"] = (c.object_1, c.object_2) in co
        for hook in hooks:
            hook(c, rec)
        records.append(rec)
    target = stream if stream is not None else sys.stdout
    if fmt is ScreenFormat.jsonl:
        for rec in records:
            target.write(json.dumps(rec) + "\n")
    elif fmt is ScreenFormat.csv:
        keys = list(records[0]) if records else list(FIELDS)
        w = csv.writer(target, lineterminator="\n")
        header = []
        for k in keys:
            header += ["miss_r_km", "miss_t_km", "miss_n_km"] if k == "miss_rtn_km" else [k]
        w.writerow(header)
        for rec in records:
            row = []
            for k in keys:
                v = rec[k]
                if k == "miss_rtn_km":
                    row += [f"{x:.6f}" for x in v]
                else:
                    row.append("" if v is None else v)
            w.writerow(row)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{len(records)} close approaches", show_lines=False)
        for col in ("TCA (UTC)", "object 1", "object 2", "miss km", "R km", "T km", "N km", "rel. speed km/s"):
            left = col in ("TCA (UTC)", "object 1", "object 2")
            table.add_column(col, justify="left" if left else "right", no_wrap=True,
                             overflow="ellipsis", max_width=28 if col.startswith("object") else None)
        with_risk = bool(records) and "risk" in records[0]
        if with_risk:
            table.add_column("Pc", justify="right", no_wrap=True)
            table.add_column("max Pc", justify="right", no_wrap=True)
            table.add_column("risk", no_wrap=True)
        for rec in records:
            r, t, n = rec["miss_rtn_km"]
            extra = []
            if with_risk:
                extra = ["-" if rec["pc"] is None else f"{rec['pc']:.2e}",
                         f"{rec['pc_max']:.2e}", rec["risk"]]
            table.add_row(
                rec["tca"][:23] + "Z",
                f"{rec['object_1']} {rec['object_1_name'] or ''}".strip(),
                f"{rec['object_2']} {rec['object_2_name'] or ''}".strip(),
                f"{rec['miss_distance_km']:.3f}", f"{r:.3f}", f"{t:.3f}", f"{n:.3f}",
                f"{rec['relative_speed_km_s']:.3f}",
                *extra,
            )
        if stream is None and out.is_terminal:
            console = out
        else:
            console = Console(file=stream or sys.stdout, width=160)
        console.print(table)


def _parse_ids(values: list[str] | None) -> list[int] | None:
    if not values:
        return None
    ids = []
    for v in values:
        for tok in str(v).split(","):
            tok = tok.strip()
            if not tok:
                continue
            if not tok.isdigit():
                fail(f"--primary: {tok!r} is not a NORAD catalog number", 2)
            ids.append(int(tok))
    return ids


def _load(catalog, db, as_of, ids=None):
    try:
        from orbitwatch.cli.sources import load_element_sets
    except ImportError:
        load_element_sets = None
    if load_element_sets is not None:
        return load_element_sets(catalog or None, db, as_of=as_of, ids=ids)
    from orbitwatch.elements import FormatError, newest_per_object, read_file

    sets = []
    for p in catalog or []:
        try:
            sets.extend(read_file(p).element_sets)
        except FormatError as exc:
            fail(str(exc), 2)
    return newest_per_object(sets, as_of)


@app.command("screen")
def screen_command(
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element-set file(s) (TLE, OMM XML/JSON/CSV, keeptrack JSON; .gz/.xz)."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    start: str = typer.Option(..., "--start", help="Window start, ISO-8601 (UTC if no offset) or 'now'."),
    hours: float | None = typer.Option(None, "--hours", help="Window length in hours."),
    days: float | None = typer.Option(None, "--days", help="Window length in days."),
    threshold_km: float = typer.Option(..., "--threshold-km", help="Report minima closer than this (km)."),
    as_of: str | None = typer.Option(
        None, "--as-of",
        help="Replay history: use for each object the newest element set with epoch at or before this instant.",
    ),
    primary: list[str] = typer.Option(
        None, "--primary", help="Screen only these catalog numbers against the catalog (repeatable or comma list)."
    ),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (local) or LocalCluster size (dask)."),
    backend: str = typer.Option("local", "--backend", help="local or dask."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --backend dask)."
    ),
    fmt: ScreenFormat = typer.Option(ScreenFormat.jsonl, "--format", case_sensitive=False),
    out_file: Path | None = typer.Option(None, "--out", help="Write results here instead of stdout."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or summary (failures still go to stderr)."),
    pc: bool = typer.Option(
        False, "--pc", help="Add pc, pc_method, pc_max and a risk tier to each record (covariance "
        "estimated from each object's element-set history; max Pc always)."),
    hbr_m: float | None = typer.Option(
        None, "--hbr-m", help="Combined hard-body radius, m (default: --hbr-table, else 20 m)."),
    hbr_table: Path | None = typer.Option(
        None, "--hbr-table", help="Per-object HBR table (NASA CARA's HBR/mass CSV)."),
    cdm_dir: Path | None = typer.Option(
        None, "--cdm-dir", help="Write one CCSDS CDM per conjunction into this directory."),
    cdm_format: str = typer.Option("kvn", "--cdm-format", help="kvn or xml."),
    red: float = typer.Option(1e-4, "--red", help="Pc at or above which the risk is red."),
    yellow: float = typer.Option(1e-7, "--yellow", help="Pc at or above which the risk is yellow."),
) -> None:
    """Find every close approach (local minimum of SGP4 distance below --threshold-km) in the window.

    Element-set selection: for each object the newest element set available is
    used; with --as-of, the newest one whose epoch is at or before that instant.
    All-vs-all by default (lower catalog number first); with --primary, each
    primary against the whole catalog (primary first), through a catalog index
    and filter chain on the local backend (the chunked engine with --workers > 1
    or Dask; both give the same events).  The screen is complete: see
    docs/screening.md for the guarantee.  One record per approach: object_1,
    object_2, tca (ISO-8601 UTC, Z), miss_distance_km, relative_speed_km_s,
    miss_rtn_km ([R, T, N] of object 2 in object 1's RTN frame), names, and
    co_orbiting (true when the pair has two or more approaches in the window,
    every one slower than 10 m/s: formations, co-located or docked objects).
    """
    from orbitwatch.screening import screen
    from orbitwatch.timeutil import iso_z, parse_iso

    if not catalog and db is None:
        pass  # the shared loader falls back to $ORBITWATCH_DB / the default database
    if (hours is None) == (days is None):
        fail("give exactly one of --hours or --days", 2)
    span_s = (hours * 3600.0) if hours is not None else (days * 86400.0)
    if not span_s > 0:
        fail("the window length must be positive", 2)
    if not threshold_km > 0:
        fail("--threshold-km must be positive", 2)
    if backend not in ("local", "dask"):
        fail(f"--backend must be 'local' or 'dask', not {backend!r}", 2)
    try:
        t0 = parse_iso(start)
        as_of_dt = parse_iso(as_of) if as_of else None
    except ValueError as exc:
        fail(str(exc), 2)
    primaries = _parse_ids(primary)

    sets = _load(catalog, db, as_of_dt)
    if not sets:
        fail("no element sets to screen (empty catalog or nothing at or before --as-of)")
    if primaries:
        have = {s.norad_id for s in sets}
        missing = [p for p in primaries if p not in have]
        if missing:
            fail(f"--primary: not in the catalog: {', '.join(map(str, missing))}", 2)

    progress_cm = nullcontext(None)
    if show_progress(quiet):
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        progress_cm = Progress(
            TextColumn("screening"), BarColumn(), TextColumn("{task.completed}/{task.total} h"),
            TimeRemainingColumn(), console=err, transient=True,
        )
    t_wall = time.perf_counter()
    with progress_cm as bar:
        task = None
        cb = None
        if bar is not None:
            task = bar.add_task("screen", total=None)

            def cb(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

        try:
            res = screen(sets, t0, span_s, threshold_km, primaries=primaries, backend=backend,
                         workers=workers, scheduler=scheduler, progress=cb)
        except ValueError as exc:
            fail(str(exc), 2)
    for f in res.failures:
        err.print(
            f"[yellow]propagation failed[/] {f.object_id} {f.name or ''} from {iso_z(f.time, 3)}: "
            f"{f.message} (sgp4 error {f.code}); screened up to then",
            highlight=False,
        )
    post = ()
    if pc or cdm_dir is not None:
        post = (_risk_hook(res.conjunctions, sets, catalog, db, as_of_dt, hbr_m, hbr_table,
                           cdm_dir, cdm_format, red, yellow, quiet),)
    if out_file is not None:
        with open(out_file, "w", newline="") as fh:
            write_conjunctions(res.conjunctions, fmt, fh, post=post)
    else:
        write_conjunctions(res.conjunctions, fmt, None, post=post)
    if not quiet:
        st = res.stats
        err.print(
            f"{st.objects} objects, {iso_z(t0, 0)} + {span_s / 3600:g} h, threshold {threshold_km:g} km: "
            f"{len(res.conjunctions)} close approaches, {len(res.failures)} propagation failures "
            f"({time.perf_counter() - t_wall:.1f} s)",
            highlight=False,
        )


def _risk_hook(conjunctions, sets, catalog, db, as_of, hbr_m, hbr_table, cdm_dir, cdm_format,
               red, yellow, quiet):
    """Assess every conjunction (Pc, max Pc, tier; CDMs) and return the record hook."""
    from orbitwatch.collision.risk import RiskThresholds
    from orbitwatch.collision.screening_risk import (
        assess_screening, covariance_source, public_fields, write_cdms)

    if cdm_format not in ("kvn", "xml"):
        fail(f"--cdm-format must be kvn or xml, not {cdm_format!r}", 2)
    table = load_hbr_table(hbr_table)
    newest = {s.norad_id: s for s in sets}
    ids = {c.object_1 for c in conjunctions} | {c.object_2 for c in conjunctions}
    history = []
    if ids:
        from orbitwatch.cli.sources import load_element_sets

        history = load_element_sets(catalog, db, as_of=as_of, history=True)
    covs = covariance_source(history, ids) if history else None
    rows = assess_screening(conjunctions, newest, covs, hbr_m=hbr_m, hbr_table=table,
                            thresholds=RiskThresholds(red=red, yellow=yellow))
    if cdm_dir is not None:
        paths = write_cdms(conjunctions, rows, newest, cdm_dir, fmt=cdm_format)
        if not quiet:
            err.print(f"wrote {len(paths)} CDM(s) to {cdm_dir}", highlight=False)
    by_key = {(c.object_1, c.object_2, c.tca): r for c, r in zip(conjunctions, rows)}

    def hook(c, rec) -> None:
        rec.update(public_fields(by_key[(c.object_1, c.object_2, c.tca)]))

    return hook
