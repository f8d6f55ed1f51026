"""``orbitwatch propagate``: states of catalog objects over a time grid.

One output row per object per time (object-major): NORAD id, ISO-8601 UTC
time, position (km) and velocity (km/s) in the chosen frame — or WGS-84
latitude, longitude (deg) and height (km) for ``--frame geodetic`` — and the
SGP4 error code and message (0 and empty when fine; the state is then null in
JSONL and empty in CSV).  Output is streamed chunk by chunk, so a whole
catalog over days fits in bounded memory.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from contextlib import nullcontext
from enum import Enum
from pathlib import Path
from typing import IO

import numpy as np
import typer

from orbitwatch.cli.app import DB_HELP, app, err, fail, show_progress


class Frame(str, Enum):
    teme = "teme"
    itrs = "itrs"
    gcrs = "gcrs"
    geodetic = "geodetic"


class OutFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"


VECTOR_COLUMNS = ("x_km", "y_km", "z_km", "vx_km_s", "vy_km_s", "vz_km_s")
GEODETIC_COLUMNS = ("lat_deg", "lon_deg", "alt_km")
# decimals: 1e-6 km = 1 mm, 1e-9 km/s = 1 micrometre/s, 1e-8 deg ~ 1 mm
_VECTOR_DIGITS = (6, 6, 6, 9, 9, 9)
_GEODETIC_DIGITS = (8, 8, 6)


def parse_ids(text: str | None) -> list[int] | None:
    """``"25544,900,A0001"`` -> ``[25544, 900, 100001]`` (Alpha-5 accepted)."""
    if text is None or not text.strip():
        return None
    ids: list[int] = []
    for item in text.split(","):
        token = item.strip()
        if not token:
            continue
        if token.isdigit():
            ids.append(int(token))
            continue
        try:
            from orbitwatch.elements import alpha5_to_int

            ids.append(int(alpha5_to_int(token)))
        except Exception:  # noqa: BLE001 - any failure means not a catalog number
            raise ValueError(f"--ids: {token!r} is not a NORAD catalog number") from None
    return ids


def load_element_sets(catalog: list[Path] | None, db: str | None, ids: list[int] | None):
    """Newest element set per object from catalog files or the database.

    Uses ``orbitwatch.cli.sources.load_element_sets`` when present; otherwise
    reads the files with ``orbitwatch.elements.read_file`` and keeps the
    newest set per object.
    """
    try:
        from orbitwatch.cli.sources import load_element_sets as shared_loader
    except ImportError:
        shared_loader = None
    from orbitwatch.elements import FormatError, newest_per_object, read_file

    if shared_loader is not None:
        try:
            return shared_loader(catalog or None, db, ids=ids)
        except (FormatError, OSError) as exc:
            fail(str(exc))
    if not catalog:
        fail("reading from the database needs orbitwatch.cli.sources; give --catalog PATH instead")

    sets = []
    for path in catalog:
        try:
            result = read_file(path)
        except (FormatError, OSError) as exc:
            fail(str(exc))
        for e in result.errors[:5]:
            err.print(f"[yellow]rejected[/] {e}", highlight=False)
        if len(result.errors) > 5:
            err.print(f"[yellow]... and {len(result.errors) - 5} more rejected records in {path}[/]")
        sets.extend(result.element_sets)
    newest = newest_per_object(sets)
    if ids is not None:
        wanted = set(ids)
        newest = [es for es in newest if es.norad_id in wanted]
    return newest


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _states_for_frame(frame: Frame, res, eop):
    """Columns (n_obj, n_time, k) for the chunk in the requested frame.

    ``eop`` is the :class:`~orbitwatch.propagation.frames.EarthOrientation` of
    the chunk's times (chunks here always span the whole grid).
    """
    from orbitwatch.propagation import frames

    r, v = res.r_teme_km, res.v_teme_km_s
    if frame is Frame.teme:
        return np.concatenate([r, v], axis=-1)
    if frame is Frame.gcrs:
        rg, vg = frames.teme_to_gcrs(r, v, res.jd, res.fr, eop=eop)
        return np.concatenate([rg, vg], axis=-1)
    ri, vi = frames.teme_to_itrs(r, v, res.jd, res.fr, eop=eop)
    if frame is Frame.itrs:
        return np.concatenate([ri, vi], axis=-1)
    g = frames.itrs_to_geodetic(ri)
    return np.stack([g.lat_deg, g.lon_deg, g.alt_km], axis=-1)


def write_rows(
    stream: IO[str],
    fmt: OutFormat,
    frame: Frame,
    chunks,
    time_strings: list[str],
    eop,
) -> tuple[int, int]:
    """Stream rows for every chunk; returns (rows written, rows with SGP4 errors)."""
    from orbitwatch.propagation import error_message

    columns = GEODETIC_COLUMNS if frame is Frame.geodetic else VECTOR_COLUMNS
    digits = _GEODETIC_DIGITS if frame is Frame.geodetic else _VECTOR_DIGITS
    header = ("norad_id", "time", *columns, "error", "error_message")
    writer = csv.writer(stream, lineterminator="\n") if fmt is OutFormat.csv else None
    if writer is not None:
        writer.writerow(header)
    n_rows = n_bad = 0
    messages = {}
    for piece in chunks:
        res = piece.result
        values = _states_for_frame(frame, res, eop)
        times = time_strings[piece.times]
        errors = res.error
        for i, nid in enumerate(res.norad_ids.tolist()):
            vals_i = values[i].tolist()
            err_i = errors[i].tolist()
            for k, t in enumerate(times):
                code = err_i[k]
                if code:
                    n_bad += 1
                    msg = messages.get(code) or messages.setdefault(code, error_message(code))
                    cells = [None] * len(columns)
                else:
                    msg = ""
                    row = vals_i[k]
                    cells = [
                        None if math.isnan(x) else _fmt(x, d) for x, d in zip(row, digits, strict=True)
                    ]
                if writer is not None:
                    writer.writerow([nid, t, *("" if c is None else c for c in cells), code, msg])
                else:
                    body = ", ".join(
                        f'"{name}": {"null" if c is None else c}'
                        for name, c in zip(columns, cells, strict=True)
                    )
                    stream.write(
                        f'{{"norad_id": {nid}, "time": "{t}", {body}, "error": {code}, '
                        f'"error_message": {json.dumps(msg)}}}\n'
                    )
                n_rows += 1
    return n_rows, n_bad


@app.command("propagate")
def propagate_command(
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element-set file(s) (TLE/3LE/OMM, .gz/.xz); repeatable."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    start: str = typer.Option(..., "--start", help="Start time, ISO-8601 (UTC if no offset) or 'now'."),
    hours: float = typer.Option(24.0, "--hours", help="Span in hours (0 = just the start)."),
    step_s: float = typer.Option(60.0, "--step-s", help="Time step in seconds."),
    ids: str | None = typer.Option(None, "--ids", help="Comma-separated NORAD ids (default: all)."),
    frame: Frame = typer.Option(
        Frame.teme, "--frame", case_sensitive=False,
        help="teme (SGP4 native), itrs (Earth-fixed), gcrs, or geodetic (WGS-84 lat/lon/alt).",
    ),
    fmt: OutFormat = typer.Option(OutFormat.jsonl, "--format", case_sensitive=False),
    out_file: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
    xp_arcsec: float = typer.Option(0.0, "--xp-arcsec", help="Polar motion x (arcsec); default off."),
    yp_arcsec: float = typer.Option(0.0, "--yp-arcsec", help="Polar motion y (arcsec); default off."),
    chunk_size: int = typer.Option(
        500_000, "--chunk-size", help="Object x time states propagated per chunk (memory bound)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
) -> None:
    """Propagate objects with SGP4 and write one row per object per time (JSONL or CSV)."""
    from orbitwatch.propagation import CatalogArray, iter_propagate
    from orbitwatch.propagation.frames import EarthOrientation
    from orbitwatch.timeutil import iso_z, jd_to_datetime, parse_iso, time_grid

    if catalog and db:
        fail("give --catalog or --db, not both")
    if step_s <= 0 or not math.isfinite(step_s):
        fail(f"--step-s must be a positive number of seconds, got {step_s}")
    if hours < 0 or not math.isfinite(hours):
        fail(f"--hours must be zero or positive, got {hours}")
    if chunk_size < 1:
        fail(f"--chunk-size must be positive, got {chunk_size}")
    try:
        t0 = parse_iso(start)
    except ValueError as exc:
        fail(f"--start: {exc}")
    try:
        wanted = parse_ids(ids)
    except ValueError as exc:
        fail(str(exc))

    element_sets = load_element_sets(list(catalog) if catalog else None, db, wanted)
    if wanted is not None:
        missing = sorted(set(wanted) - {es.norad_id for es in element_sets})
        if missing:
            err.print(f"[yellow]no element set for:[/] {', '.join(map(str, missing))}", highlight=False)
    if not element_sets:
        fail("no element sets to propagate (check --catalog/--db and --ids)")

    cat = CatalogArray(
        tuple(es.to_satrec() for es in element_sets),
        np.array([es.norad_id for es in element_sets], dtype=np.int64),
    )
    jd, fr = time_grid(t0, hours * 3600.0, step_s)
    whole_seconds = float(step_s).is_integer() and t0.microsecond == 0
    time_strings = np.array(
        [iso_z(jd_to_datetime(j, f), digits=0 if whole_seconds else 6) for j, f in zip(jd, fr)],
        dtype=object,
    )
    eop = None
    if frame is not Frame.teme:
        eop = EarthOrientation(jd, fr, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec)
    # never split the time axis: frame conversions reuse the grid's orientation
    per_chunk = max(chunk_size, len(jd))

    progress_ctx = nullcontext()
    callback = None
    if show_progress(quiet):
        from rich.progress import Progress

        progress_ctx = Progress(console=err, transient=True)
    with progress_ctx as progress:
        if progress is not None:
            task = progress.add_task("propagating", total=len(cat) * len(jd))

            def callback(done: int, total: int) -> None:
                progress.update(task, completed=done)

        chunks = iter_propagate(cat, jd, fr, chunk_size=per_chunk, progress=callback)
        target = open(out_file, "w", encoding="utf-8", newline="") if out_file else None
        try:
            stream = target if target is not None else sys.stdout
            n_rows, n_bad = write_rows(stream, fmt, frame, chunks, time_strings, eop)
            stream.flush()
        except BrokenPipeError:  # e.g. piped into `head`
            sys.stderr.close()
            raise typer.Exit(0) from None
        finally:
            if target is not None:
                target.close()
    if not quiet:
        where = f" to {out_file}" if out_file else ""
        err.print(
            f"{len(cat)} objects x {len(jd)} times, frame {frame.value}: {n_rows} rows{where}"
            + (f", {n_bad} with SGP4 errors" if n_bad else ""),
            highlight=False,
        )

