"""orbitwatch CLI commands (tracking): ``sites add|list|import``, ``passes``, ``tasking``.

Thin shells over :mod:`orbitwatch.tracking`.  Sites live in a JSON file
(``--sites-file``, default ``user_data_dir("orbitwatch")/sites.json`` or
``$ORBITWATCH_SITES``) until the store grows a sites table.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import typer

from orbitwatch.cli.app import DB_HELP, app, emit_json_line, err, fail, out, show_progress

sites_app = typer.Typer(
    help="Ground sensors and stations (radar, optical, comms).", no_args_is_help=True
)
app.add_typer(sites_app, name="sites")

SITES_FILE_HELP = (
    "Sites JSON file. Default: $ORBITWATCH_SITES, else sites.json in the user data directory."
)


def _site_file(path: Path | None):
    from orbitwatch.tracking.sites import SiteError, SiteFile

    try:
        return SiteFile.open(path)
    except SiteError as exc:
        fail(str(exc))


class _SitesView:
    """The sites file, plus the sites stored in ``--db`` when one is given (file first)."""

    def __init__(self, sites_file: Path | None, db: str | None):
        from orbitwatch.tracking.sites import find_site

        sf = _site_file(sites_file)
        self.sites = list(sf.sites)
        self.path = str(sf.path)
        if db is not None:
            from orbitwatch.cli.sources import open_store
            from orbitwatch.store.sites import load_sites

            # only read: a mistyped --db is an error, not a new empty store
            engine = open_store(db)
            with engine.connect() as conn:
                names = {x.name for x in self.sites}
                self.sites += [x for x in load_sites(conn) if x.name not in names]
            engine.dispose()
            self.path += " and the database"
        self._find = find_site

    def get(self, key: str):
        return self._find(self.sites, key)


def _parse_mask(text: str | None) -> tuple[tuple[float, float], ...]:
    if not text:
        return ()
    pts = []
    for item in re.split(r"[;, ]+", text.strip()):
        if not item:
            continue
        try:
            a, e = item.split(":")
            pts.append((float(a), float(e)))
        except ValueError:
            fail(f"--mask: expected AZ:EL pairs like '0:5,90:10', got {item!r}")
    return tuple(pts)


@sites_app.command("add")
def sites_add(
    name: str = typer.Argument(..., help="Unique site name (short code)."),
    lat: float = typer.Option(..., "--lat", help="Geodetic latitude, deg (WGS-84)."),
    lon: float = typer.Option(..., "--lon", help="Longitude, deg east."),
    alt_m: float = typer.Option(0.0, "--alt-m", help="Height above the WGS-84 ellipsoid, m."),
    kind: str = typer.Option("radar", "--kind", help="radar, optical or comms."),
    min_el: float = typer.Option(0.0, "--min-el", help="Minimum elevation, deg."),
    max_el: float = typer.Option(
        90.0, "--max-el", help="Maximum elevation, deg (>90: fan through zenith)."
    ),
    mask: str = typer.Option(
        None, "--mask", help="Terrain mask AZ:EL pairs, e.g. '0:5,90:12,180:3'."
    ),
    az_min: float = typer.Option(
        0.0, "--az-min", help="Field of regard: first azimuth (clockwise), deg."
    ),
    az_max: float = typer.Option(360.0, "--az-max", help="Field of regard: last azimuth, deg."),
    min_range_km: float = typer.Option(0.0, "--min-range-km"),
    max_range_km: float = typer.Option(None, "--max-range-km"),
    partner: str = typer.Option("UNKNOWN", "--partner", help="Contributing partner code."),
    releasable_to: str = typer.Option(
        "ALL", "--releasable-to", help="Partner codes, comma-separated, or ALL."
    ),
    label: str = typer.Option(None, "--label", help="Display name."),
    sites_file: Path = typer.Option(None, "--sites-file", help=SITES_FILE_HELP),
) -> None:
    """Add (or replace) one site."""
    from orbitwatch.tracking.sites import Site, SiteError

    try:
        site = Site(
            name=name,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt_m,
            kind=kind,
            min_elevation_deg=min_el,
            max_elevation_deg=max_el,
            mask=_parse_mask(mask),
            az_min_deg=az_min,
            az_max_deg=az_max,
            min_range_km=min_range_km,
            max_range_km=max_range_km,
            partner=partner.upper(),
            releasable_to=tuple(x.strip().upper() for x in releasable_to.split(",") if x.strip()),
            label=label,
            source="cli",
        )
    except SiteError as exc:
        fail(str(exc))
    sf = _site_file(sites_file)
    _added, replaced = sf.upsert([site])
    sf.save()
    err.print(f"{'replaced' if replaced else 'added'} site {name} in {sf.path}", highlight=False)


@sites_app.command("import")
def sites_import(
    file: Path = typer.Argument(
        ..., help="KeepTrack sensor CSV, a CSV with Site field names, or JSON."
    ),
    partner: str = typer.Option(
        None, "--partner", help="Override the partner of every imported site."
    ),
    releasable_to: str = typer.Option(
        None, "--releasable-to", help="Override releasability (codes or ALL)."
    ),
    sites_file: Path = typer.Option(None, "--sites-file", help=SITES_FILE_HELP),
    db: str = typer.Option(
        None, "--db", help="Store the sites in this database (shared with the service) "
        "instead of the sites file."),
) -> None:
    """Import sites from a file (adds new names, replaces existing ones)."""
    from dataclasses import replace

    from orbitwatch.tracking.sites import SiteError, read_sites_file

    try:
        new = read_sites_file(file)
    except SiteError as exc:
        fail(str(exc))
    if partner:
        new = [replace(s, partner=partner.upper()) for s in new]
    if releasable_to:
        rt = tuple(x.strip().upper() for x in releasable_to.split(",") if x.strip())
        new = [replace(s, releasable_to=rt) for s in new]
    if db is not None:
        from orbitwatch.store.db import open_engine
        from orbitwatch.store.sites import save_sites

        engine = open_engine(db)
        with engine.begin() as conn:
            added, replaced = save_sites(conn, new)
        engine.dispose()
        where = "the database"
    else:
        sf = _site_file(sites_file)
        added, replaced = sf.upsert(new)
        sf.save()
        where = str(sf.path)
    err.print(
        f"imported {len(new)} sites from {file}: {added} added, {replaced} replaced -> {where}",
        highlight=False,
    )


@sites_app.command("list")
def sites_list(
    partner: str = typer.Option(None, "--partner", help="Only this partner's sites."),
    kind: str = typer.Option(None, "--kind", help="Only radar, optical or comms."),
    fmt: str = typer.Option("table", "--format", help="table or jsonl."),
    sites_file: Path = typer.Option(None, "--sites-file", help=SITES_FILE_HELP),
    db: str = typer.Option(None, "--db", help="List the sites stored in this database."),
) -> None:
    """List the stored sites."""
    if db is not None:
        from orbitwatch.cli.sources import open_store
        from orbitwatch.store.sites import load_sites

        engine = open_store(db)
        with engine.connect() as conn:
            stored = load_sites(conn)
        engine.dispose()
        where = "database"
    else:
        sf = _site_file(sites_file)
        stored = sf.sites
        where = str(sf.path)
    sites = [
        s
        for s in stored
        if (partner is None or s.partner.upper() == partner.upper())
        and (kind is None or s.kind == kind)
    ]
    if fmt == "jsonl":
        for s in sites:
            emit_json_line(s.to_dict())
        return
    if fmt != "table":
        fail(f"--format: {fmt!r} is not jsonl or table")
    from rich.table import Table

    t = Table(title=f"{len(sites)} sites ({where})")
    for col in (
        "name",
        "label",
        "kind",
        "partner",
        "lat",
        "lon",
        "alt m",
        "el min-max",
        "az",
        "range km",
    ):
        t.add_column(col)
    for s in sites:
        az = "all" if s.full_azimuth else f"{s.az_min_deg:g}-{s.az_max_deg:g}"
        rng = f"{s.min_range_km:g}-{s.max_range_km:g}" if s.max_range_km else f">{s.min_range_km:g}"
        t.add_row(
            s.name,
            s.label or "",
            s.kind,
            s.partner,
            f"{s.lat_deg:.4f}",
            f"{s.lon_deg:.4f}",
            f"{s.alt_m:.0f}",
            f"{s.min_elevation_deg:g}-{s.max_elevation_deg:g}",
            az,
            rng,
        )
    out.print(t)


# -- element sets -------------------------------------------------------------


def _parse_ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in re.split(r"[,\s]+", text.strip()) if x]
    except ValueError:
        fail(f"--ids: expected comma-separated NORAD numbers, got {text!r}")


def _load_sets(catalog: list[Path] | None, db: str | None, ids: list[int] | None):
    """Element sets via orbitwatch.cli.sources when present, else the file readers."""
    try:
        from orbitwatch.cli.sources import load_element_sets  # type: ignore[import-not-found]
    except ImportError:
        load_element_sets = None
    if not catalog and not db:
        fail("give --catalog PATH (repeatable) or --db URL")
    if load_element_sets is not None:
        try:
            return load_element_sets(catalog or None, db, ids=ids)
        except (ValueError, OSError) as exc:
            fail(str(exc))
    if db:
        fail("--db needs orbitwatch.cli.sources, which is not available in this build")
    from orbitwatch.elements import FormatError, newest_per_object, read_file

    sets = []
    for p in catalog:
        try:
            res = read_file(p)
        except (FormatError, OSError) as exc:
            fail(f"{p}: {exc}")
        for e in res.errors[:5]:
            err.print(f"skipped: {e}", highlight=False)
        if len(res.errors) > 5:
            err.print(
                f"skipped {len(res.errors) - 5} more records with errors in {p}", highlight=False
            )
        sets.extend(res.element_sets)
    sets = newest_per_object(sets)
    if ids is not None:
        want = set(ids)
        sets = [s for s in sets if s.norad_id in want]
    return sets


def _progress_run(total: int, quiet: bool, label: str, fn):
    """Run ``fn(progress_callback)`` with a Rich progress bar when interactive."""
    if not show_progress(quiet):
        return fn(None)
    from rich.progress import Progress

    with Progress(console=err, transient=True) as prog:
        task = prog.add_task(label, total=total)
        return fn(lambda n: prog.advance(task, n))


# -- passes -----------------------------------------------------------------------


@app.command("passes")
def passes_cmd(
    site: str = typer.Option(None, "--site", help="Site name (see `orbitwatch sites list`)."),
    site_coords: str = typer.Option(
        None, "--site-coords", help="Ad-hoc site LAT,LON,ALT_M (deg, deg, m)."
    ),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element-set file(s) (TLE/3LE/OMM)."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    start: str = typer.Option(..., "--start", help="Window start, ISO-8601 UTC (or 'now')."),
    hours: float = typer.Option(24.0, "--hours", help="Window length, hours."),
    ids: str = typer.Option(None, "--ids", help="Only these NORAD numbers, comma-separated."),
    min_el: float = typer.Option(
        None, "--min-el", help="Minimum elevation, deg (overrides the site's)."
    ),
    freq_mhz: float = typer.Option(
        None, "--freq-mhz", help="Carrier frequency for Doppler offsets, MHz."
    ),
    kind: str = typer.Option(
        "radar", "--kind", help="Kind for --site-coords: radar, optical or comms."
    ),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or table."),
    sites_file: Path = typer.Option(None, "--sites-file", help=SITES_FILE_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Every pass over one site: rise, culmination, set with az/el/range/range-rate."""
    from orbitwatch.timeutil import parse_iso
    from orbitwatch.tracking.passes import find_passes
    from orbitwatch.tracking.sites import SiteError, site_from_coords

    if fmt not in ("jsonl", "table"):
        fail(f"--format: {fmt!r} is not jsonl or table")
    if (site is None) == (site_coords is None):
        fail("give exactly one of --site NAME or --site-coords LAT,LON,ALT_M")
    try:
        if site is not None:
            s = _SitesView(sites_file, db).get(site)
        else:
            s = site_from_coords(site_coords, kind=kind, min_elevation_deg=min_el or 0.0)
        t0 = parse_iso(start)
    except (SiteError, ValueError) as exc:
        fail(str(exc))
    if hours <= 0:
        fail("--hours must be positive")
    if freq_mhz is not None and s.kind != "comms":
        err.print(f"note: Doppler offsets reported for a {s.kind} site", highlight=False)
    sets = _load_sets(catalog, db, _parse_ids(ids))
    if not sets:
        fail("no element sets to propagate")
    t1 = t0 + timedelta(hours=hours)
    passes = _progress_run(
        len(sets),
        quiet,
        f"passes over {s.name}",
        lambda cb: find_passes(sets, s, t0, t1, min_el, freq_mhz=freq_mhz, progress=cb),
    )
    err.print(
        f"{len(passes)} passes of {len({p.norad_id for p in passes})} objects over {s.name} "
        f"({s.kind}) from {len(sets)} element sets",
        highlight=False,
    )
    if fmt == "jsonl":
        for p in passes:
            emit_json_line(p.to_record())
        return
    from rich.table import Table

    from orbitwatch.timeutil import iso_z

    t = Table()
    cols = [
        "object",
        "name",
        "rise",
        "az",
        "culmination",
        "max el",
        "az",
        "set",
        "az",
        "range km (culm)",
    ]
    if freq_mhz is not None:
        cols.append("doppler Hz rise/set")
    for c in cols:
        t.add_column(c)
    for p in passes:
        row = [
            str(p.norad_id),
            p.name or "",
            iso_z(p.rise.time, 0) + ("*" if p.rise_truncated else ""),
            f"{p.rise.az_deg:.1f}",
            iso_z(p.culmination.time, 0),
            f"{p.max_elevation_deg:.2f}",
            f"{p.culmination.az_deg:.1f}",
            iso_z(p.set.time, 0) + ("*" if p.set_truncated else ""),
            f"{p.set.az_deg:.1f}",
            f"{p.culmination.range_km:.0f}",
        ]
        if freq_mhz is not None:
            row.append(f"{p.rise.doppler_hz:+.0f}/{p.set.doppler_hz:+.0f}")
        t.add_row(*row)
    out.print(t)


# -- tasking ----------------------------------------------------------------------


def _read_priority(path: Path) -> list[int]:
    """NORAD ids, one per line (first integer on the line; '#' comments; CSV ok)."""
    ids: list[int] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"{path}: {exc}")
    for i, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        m = re.search(r"\d+", text)
        if m is None:
            if i == 1:
                continue  # header
            fail(f"{path}:{i}: norad_id: no number on the line")
        ids.append(int(m.group()))
    return ids


_EVENT_KEYS = (
    "object",
    "norad_id",
    "primary",
    "secondary",
    "object1",
    "object2",
    "primary_id",
    "secondary_id",
    "sat1",
    "sat2",
    "norad_cat_id",
)


def _read_events(path: Path) -> list[int]:
    """Object ids from a JSONL file of conjunctions/events (first-seen order)."""
    ids: list[int] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"{path}: {exc}")
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{path}:{i}: not JSON: {exc.msg}")
        for k in _EVENT_KEYS:
            v = rec.get(k)
            if isinstance(v, dict):
                v = v.get("norad_id") or v.get("object")
            if isinstance(v, (int, str)) and str(v).isdigit():
                ids.append(int(v))
    return ids


def _recent_event_ids_from_db(db: str | None, since, until) -> list[int]:
    """Objects in stored conjunctions (highest Pc, then smallest miss, first) and
    behaviour events (newest first) with times in ``[since, until]``; [] when the
    store has none or cannot be read."""
    if not db:
        return []
    from sqlalchemy.exc import SQLAlchemyError

    try:
        from sqlalchemy import select

        from orbitwatch.store.db import open_engine
        from orbitwatch.store.shared_models import ConjunctionRow, EventRow

        engine = open_engine(db)
        try:
            with engine.connect() as conn:
                ids: list[int] = []
                rows = conn.execute(
                    select(ConjunctionRow.object_1, ConjunctionRow.object_2)
                    .where(ConjunctionRow.tca >= since, ConjunctionRow.tca <= until)
                    .order_by(ConjunctionRow.pc.desc().nullslast(), ConjunctionRow.miss_distance_km)
                )
                for a, b in rows:
                    ids += [int(a), int(b)]
                rows = conn.execute(
                    select(EventRow.norad_id)
                    .where(
                        EventRow.time >= since,
                        EventRow.time <= until,
                        EventRow.norad_id.is_not(None),
                        EventRow.superseded_at.is_(None),
                    )
                    .order_by(EventRow.time.desc())
                )
                ids += [int(r[0]) for r in rows]
                return list(dict.fromkeys(ids))
        finally:
            engine.dispose()
    except (ImportError, OSError, SQLAlchemyError) as exc:  # optional here; say why skipped
        err.print(
            f"note: no conjunctions/events read from the database ({exc.__class__.__name__}); "
            "priority uses element-set age only",
            highlight=False,
        )
        return []


@app.command("tasking")
def tasking_cmd(
    sites: str = typer.Option(None, "--sites", help="Site names, comma-separated."),
    partner: str = typer.Option(
        None, "--partner", help="All sites of these partners, comma-separated."
    ),
    start: str = typer.Option(..., "--start", help="Window start, ISO-8601 UTC."),
    hours: float = typer.Option(24.0, "--hours", help="Window length, hours."),
    priority: Path = typer.Option(
        None, "--priority", help="Priority list: NORAD ids, most important first."
    ),
    events: Path = typer.Option(
        None, "--events", help="JSONL conjunctions/events whose objects go first."
    ),
    catalog: list[Path] = typer.Option(None, "--catalog", help="Element-set file(s)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    ids: str = typer.Option(None, "--ids", help="Restrict the catalog to these NORAD numbers."),
    track_s: float = typer.Option(120.0, "--track-s", help="Track length per task, s."),
    revisits: int = typer.Option(1, "--revisits", help="Tracks wanted per object."),
    stale_days: float = typer.Option(
        3.0, "--stale-days", help="Default priority: element sets older than this."
    ),
    recent_days: float = typer.Option(
        7.0, "--recent-days", help="Default priority: conjunctions/events this recent (from --db)."
    ),
    fmt: str = typer.Option("table", "--format", help="table or jsonl."),
    sites_file: Path = typer.Option(None, "--sites-file", help=SITES_FILE_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Greedy tasking plan over a site network and the gain over each partner's own sites."""
    from orbitwatch.timeutil import parse_iso
    from orbitwatch.tracking.sites import SiteError
    from orbitwatch.tracking.tasking import coverage, default_priority, network_gain

    if fmt not in ("jsonl", "table"):
        fail(f"--format: {fmt!r} is not jsonl or table")
    sf = _SitesView(sites_file, db)
    chosen = []
    try:
        if sites:
            chosen += [sf.get(n.strip()) for n in sites.split(",") if n.strip()]
        if partner:
            want = {p.strip().upper() for p in partner.split(",") if p.strip()}
            chosen += [s for s in sf.sites if s.partner.upper() in want]
        t0 = parse_iso(start)
    except (SiteError, ValueError) as exc:
        fail(str(exc))
    if not sites and not partner:
        chosen = list(sf.sites)
    chosen = list({s.name: s for s in chosen}.values())
    if not chosen:
        fail(
            f"no sites selected (sites file {sf.path}); import some with `orbitwatch sites import`"
        )
    sets = _load_sets(catalog, db, _parse_ids(ids))
    if not sets:
        fail("no element sets to propagate")
    if priority is not None:
        prio = _read_priority(priority)
    else:
        ev = _read_events(events) if events else []
        ev += _recent_event_ids_from_db(
            db, t0 - timedelta(days=recent_days), t0 + timedelta(hours=hours)
        )
        prio = default_priority(sets, t0, event_ids=ev, stale_days=stale_days)
        if not prio:
            err.print(
                f"note: no event objects and no element sets older than {stale_days:g} d; "
                "prioritising every object, oldest element set first",
                highlight=False,
            )
            prio = [es.norad_id for es in sorted(sets, key=lambda e: e.epoch)]
    t1 = t0 + timedelta(hours=hours)
    cov = _progress_run(
        len(sets),
        quiet,
        f"passes over {len(chosen)} sites",
        lambda cb: coverage(sets, chosen, t0, t1, progress=cb),
    )
    plan, figures = network_gain(cov, prio, track_s=track_s, revisits=revisits)
    if fmt == "jsonl":
        for task in plan.tasks:
            emit_json_line({"type": "task", **task.to_record()})
        for f in figures:
            emit_json_line({"type": "network", **f.to_record()})
        return
    from rich.table import Table

    from orbitwatch.timeutil import iso_z

    t = Table(
        title=f"tasking plan: {len(plan.tasks)} tracks, {len(plan.covered)}/{len(plan.priority)} "
        f"priority objects covered"
    )
    for c in ("start", "end", "site", "partner", "object", "rank", "pass max el"):
        t.add_column(c)
    for task in plan.tasks:
        t.add_row(
            iso_z(task.start, 0),
            iso_z(task.end, 0),
            task.site,
            task.partner,
            str(task.norad_id),
            str(task.priority_rank),
            f"{task.max_elevation_deg:.1f}",
        )
    out.print(t)
    g = Table(title="combined network vs each partner's own sites")
    for c in (
        "group",
        "sites",
        "objects observable",
        "priority observable",
        "longest revisit gap median h",
        "max h",
        "priority covered",
    ):
        g.add_column(c)
    for f in figures:
        g.add_row(
            f.group,
            str(len(f.sites)),
            str(f.objects_observable),
            str(f.priority_observable),
            "-" if f.longest_gap_median_s is None else f"{f.longest_gap_median_s / 3600:.2f}",
            "-" if f.longest_gap_max_s is None else f"{f.longest_gap_max_s / 3600:.2f}",
            f"{100 * f.priority_covered_fraction:.1f}%",
        )
    out.print(g)
