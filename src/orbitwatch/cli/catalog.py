"""Catalog commands: ``ingest``, ``objects``, ``history``.

Thin shells over :mod:`orbitwatch.store.catalog`.  Results go to stdout;
progress, rejections and errors to stderr.

Exit status: 0 all good; 1 the database could not be used or nothing was
found; 2 bad input — a record was rejected, or a file is not in any supported
format (the other files are still ingested).
"""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from enum import Enum
from pathlib import Path

import typer

from orbitwatch.cli.app import DB_HELP, app, err, fail, out, show_progress
from orbitwatch.cli.sources import open_store

#: sets above which ingest shows a progress bar (when stderr is a terminal)
PROGRESS_MIN_SETS = 5000


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _print_rows(columns: list[str], rows: list[list], fmt: OutputFormat) -> None:
    """Rows as an aligned text table, a JSON array of objects, or CSV with a header."""
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], indent=1))
        sys.stdout.write("\n")
        return
    if fmt is OutputFormat.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows([["" if v is None else v for v in r] for r in rows])
        return
    # plain aligned text: fast for tens of thousands of rows, and pipe-friendly
    text = [[("" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)) for v in r]
            for r in rows]
    widths = [max([len(c)] + [len(t[i]) for t in text]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(r[i], int | float) or r[i] is None for r in rows) and bool(rows)
        for i in range(len(columns))
    ]

    def line(cells):
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    sys.stdout.write(line(columns) + "\n")
    for t in text:
        sys.stdout.write(line(t) + "\n")


# ---------------------------------------------------------------------------
# ingest


@app.command("ingest")
def ingest(
    paths: list[Path] = typer.Argument(
        ...,
        help="Element-set or SATCAT files: TLE/3LE, OMM KVN/XML/JSON/CSV, SATCAT CSV "
        "(optionally .gz/.xz); the format is detected from the content.",
        show_default=False,
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    source: str | None = typer.Option(
        None,
        "--source",
        help="Name of the data source; part of each element set's key (object, epoch, "
        "source). Default: the partner code with --partner, else 'public' (the 18 SDS "
        "catalog however obtained, so re-downloads deduplicate).",
    ),
    partner: str | None = typer.Option(
        None, "--partner", help="Code of the partner contributing these records (e.g. FR)."
    ),
    releasable_to: str = typer.Option(
        "ALL",
        "--releasable-to",
        help="Who may see these records: ALL, or partner codes separated by commas.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Store element sets and SATCAT records; every set ever seen is kept (the history).

    Prints per file: records read, new, duplicate (already stored) and
    rejected; each rejected record goes to stderr as FILE:LINE: FIELD: MESSAGE.
    Exits 2 when anything was rejected or a file is in no supported format.
    """
    from orbitwatch.elements import FormatError, read_file
    from orbitwatch.store.catalog import (
        ingest_parse_result,
        normalize_partner,
        normalize_releasable_to,
    )

    try:
        partner_code = normalize_partner(partner)
        releasable = normalize_releasable_to(releasable_to)
    except ValueError as exc:
        fail(str(exc), 2)
    engine = open_store(db, create=True)
    bad_input = False
    try:
        for path in paths:
            try:
                spinner = err.status(f"reading {path}", spinner="dots")
                with spinner if show_progress(quiet) else nullcontext():
                    result = read_file(path)
            except FormatError as exc:
                err.print(f"[bold red]error:[/] {exc}", highlight=False)
                bad_input = True
                continue
            except OSError as exc:
                err.print(f"[bold red]error:[/] {path}: {exc.strerror or exc}", highlight=False)
                bad_input = True
                continue
            for e in result.errors:
                err.print(f"rejected {e}", highlight=False, markup=False)
            counts = _ingest_with_progress(
                engine, result, source, partner_code, releasable, quiet, ingest_parse_result
            )
            summary = (
                f"{path}: {result.format}: read {counts.read}, new {counts.new}, "
                f"duplicate {counts.duplicate}, rejected {counts.rejected}"
            )
            if counts.new == 0:
                summary += " — nothing new"
            out.print(summary, highlight=False, markup=False)
            if counts.rejected:
                bad_input = True
    finally:
        engine.dispose()
    if bad_input:
        raise typer.Exit(2)


def _ingest_with_progress(engine, result, source, partner, releasable, quiet, ingest_fn):
    n = len(result.element_sets)
    if not show_progress(quiet) or n < PROGRESS_MIN_SETS:
        return ingest_fn(
            engine, result, source=source, partner=partner, releasable_to=releasable
        )
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("storing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(Path(result.file).name, total=n)
        return ingest_fn(
            engine,
            result,
            source=source,
            partner=partner,
            releasable_to=releasable,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


# ---------------------------------------------------------------------------
# objects

OBJECT_COLUMNS = [
    "norad_id",
    "name",
    "intl_designator",
    "owner",
    "object_type",
    "epoch",
    "regime",
    "perigee_km",
    "apogee_km",
]


@app.command("objects")
def objects(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    regime: str | None = typer.Option(
        None,
        "--regime",
        help="LEO (apogee <= 2000 km), MEO, GEO (period 1300-1800 min, e < 0.25) or HEO "
        "(e >= 0.25 or period > 1800 min).",
    ),
    owner: str | None = typer.Option(None, "--owner", help="Owner code (SATCAT style: US, PRC…)."),
    object_type: str | None = typer.Option(
        None, "--type", help="PAYLOAD, ROCKET BODY, DEBRIS or UNKNOWN."
    ),
    search: str | None = typer.Option(
        None, "--search", help="Part of the name or international designator, or a catalog number."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N objects."),
    visible_to: str | None = typer.Option(
        None, "--visible-to", help="Only what this partner may see (partner code)."
    ),
) -> None:
    """List catalog objects with their newest orbit (altitudes km above 6378.135 km)."""
    from orbitwatch.orbit import REGIMES
    from orbitwatch.store.catalog import list_objects

    if regime and regime.strip().upper() not in REGIMES:
        fail(f"--regime {regime!r}: choose one of {', '.join(REGIMES)}", 2)
    engine = open_store(db)
    try:
        with engine.connect() as conn:
            rows = list_objects(
                conn,
                regime=regime,
                owner=owner,
                object_type=object_type,
                search=search,
                limit=limit,
                visible_to=visible_to,
            )
    finally:
        engine.dispose()
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps([r.to_dict() for r in rows], indent=1) + "\n")
        return
    table = []
    for r in rows:
        d = r.to_dict()
        table.append([d[c] for c in OBJECT_COLUMNS])
    if fmt is OutputFormat.table and not rows:
        err.print("no objects (ingest a catalog first: orbitwatch ingest FILE)")
        return
    _print_rows(OBJECT_COLUMNS, table, fmt)


# ---------------------------------------------------------------------------
# history

HISTORY_COLUMNS = [
    "epoch",
    "source",
    "partner",
    "releasable_to",
    "mean_motion_rev_day",
    "eccentricity",
    "inclination_deg",
    "raan_deg",
    "arg_perigee_deg",
    "mean_anomaly_deg",
    "bstar",
    "perigee_km",
    "apogee_km",
]


def _round3(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _catalog_number(text: str) -> int:
    t = text.strip()
    if t.isdigit():
        return int(t)
    from orbitwatch.elements import alpha5_to_int

    try:
        return int(alpha5_to_int(t))
    except Exception:  # noqa: BLE001 - any failure means not a catalog number
        fail(f"{text!r} is not a NORAD catalog number", 2)


@app.command("history")
def history(
    norad_id: str = typer.Argument(..., help="NORAD catalog number (or Alpha-5)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    source: str | None = typer.Option(None, "--source", help="Only sets from this source."),
    visible_to: str | None = typer.Option(
        None, "--visible-to", help="Only what this partner may see (partner code)."
    ),
) -> None:
    """List an object's stored element sets, oldest first."""
    from orbitwatch.orbit import orbit_summary
    from orbitwatch.store.catalog import history as store_history
    from orbitwatch.timeutil import iso_z

    nid = _catalog_number(norad_id)
    engine = open_store(db)
    try:
        with engine.connect() as conn:
            entries = store_history(conn, nid, source=source, visible_to=visible_to)
    finally:
        engine.dispose()
    if not entries:
        fail(f"no element sets stored for object {nid}", 1)
    rows = []
    for h in entries:
        s = h.element_set
        orbit = orbit_summary(s.mean_motion_rev_day, s.eccentricity, s.inclination_deg)
        rows.append(
            {
                "norad_id": s.norad_id,
                "name": s.name,
                "epoch": iso_z(s.epoch),
                "source": h.source,
                "partner": h.partner,
                "releasable_to": h.releasable_to,
                "mean_motion_rev_day": s.mean_motion_rev_day,
                "eccentricity": s.eccentricity,
                "inclination_deg": s.inclination_deg,
                "raan_deg": s.raan_deg,
                "arg_perigee_deg": s.arg_perigee_deg,
                "mean_anomaly_deg": s.mean_anomaly_deg,
                "bstar": s.bstar,
                "mean_motion_dot": s.mean_motion_dot,
                "mean_motion_ddot": s.mean_motion_ddot,
                "element_set_no": s.element_set_no,
                "rev_at_epoch": s.rev_at_epoch,
                "perigee_km": _round3(orbit["perigee_km"]),
                "apogee_km": _round3(orbit["apogee_km"]),
                "line1": s.line1,
                "line2": s.line2,
                "ingested_at": iso_z(h.ingested_at),
            }
        )
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    if fmt is OutputFormat.csv:
        cols = list(rows[0])
        _print_rows(cols, [[r[c] for c in cols] for r in rows], fmt)
        return
    name = entries[-1].element_set.name or ""
    err.print(f"{nid} {name}: {len(rows)} element sets", highlight=False)
    text_rows = []
    for r in rows:
        text_rows.append(
            [
                r["epoch"],
                r["source"],
                r["partner"],
                r["releasable_to"],
                f"{r['mean_motion_rev_day']:.8f}",
                f"{r['eccentricity']:.7f}",
                f"{r['inclination_deg']:.4f}",
                f"{r['raan_deg']:.4f}",
                f"{r['arg_perigee_deg']:.4f}",
                f"{r['mean_anomaly_deg']:.4f}",
                f"{r['bstar']:.4e}",
                r["perigee_km"],
                r["apogee_km"],
            ]
        )
    _print_rows(HISTORY_COLUMNS, text_rows, fmt)
