"""``/api/v1/passes`` and ``/api/v1/objects/{norad_id}/passes``: when a site sees an object.

Passes are computed on request by :func:`orbitwatch.tracking.passes.find_passes_multi`
(SGP4; rise, culmination and set refined to 1 ms; see docs/tracking.md) from
what the caller may see only:

* the sites: each asked-for site must be visible to the caller (404 otherwise,
  the same answer as for a site that does not exist);
* the orbits: for each object the newest element set the caller may see
  (:func:`orbitwatch.store.catalog.latest_element_sets` with ``visible_to``).
  An object none of whose element sets is releasable to the caller gets 404.

Each pass is the tracking module's record (``Pass.to_record``: ISO-8601 ``Z``
times, azimuth/elevation deg, range km, range rate km/s at rise, culmination
and set) plus ``site_id``, the site's ``code`` as ``site``, its ``partner`` and
``kind``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query

from orbitwatch.service.deps import Audit, Paging, audit_for, not_found, paging
from orbitwatch.service.routes.sites import row_to_site, site_kind, sites_or_404, visible_site_rows
from orbitwatch.service.schemas import PassPage
from orbitwatch.timeutil import iso_z

router = APIRouter(tags=["passes"])

#: longest window one request may ask for (hours)
MAX_HOURS = 168.0


def aware(t: datetime | None) -> datetime:
    """``t`` as aware UTC (naive means UTC); None means now."""
    if t is None:
        return datetime.now(UTC).replace(microsecond=0)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_ids(values: list[str] | None) -> list[int] | None:
    """Repeatable and/or comma-separated NORAD ids -> ints (422 naming the bad one)."""
    if not values:
        return None
    out: list[int] = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(int(part))
            except ValueError as exc:
                raise HTTPException(
                    422, detail=f"norad_id: {part!r} is not a catalog number") from exc
    return list(dict.fromkeys(out)) or None


def sites_of_rows(rows: list[dict], *, skip_bad: bool):
    """``Site`` objects of ``rows``; a stored site with inconsistent limits is skipped
    (``skip_bad``) or answered 422."""
    from orbitwatch.tracking.sites import SiteError

    sites = []
    for r in rows:
        try:
            sites.append(row_to_site(r))
        except SiteError as exc:
            if not skip_bad:
                raise HTTPException(422, detail=f"site {r['id']}: {exc}") from exc
    return sites


def pass_records(found: dict, rows: list[dict]) -> list[dict]:
    """Pass records from ``{site.name: [Pass]}`` (site names are row ids), by rise time."""
    by_id = {str(r["id"]): r for r in rows}
    out = []
    for name, passes in found.items():
        row = by_id[name]
        for p in passes:
            rec = p.to_record()
            rec["site_id"] = row["id"]
            rec["site"] = row["code"]
            rec["site_name"] = row["name"]
            rec["partner"] = row["partner"]
            rec["kind"] = site_kind(row["kind"])
            out.append(rec)
    out.sort(key=lambda r: (r["rise"], r["object"], r["site_id"]))
    return out


def element_sets_or_404(audit: Audit, ids: list[int] | None) -> list:
    """Newest element set the caller may see of each of ``ids`` (every visible object
    when None); 404 naming the first asked-for object the caller cannot see."""
    from orbitwatch.store.catalog import latest_element_sets

    sets = latest_element_sets(audit.db, ids=ids, visible_to=audit.principal.partner)
    if ids is not None:
        have = {int(s.norad_id) for s in sets}
        for i in ids:
            if i not in have:
                audit("read", "element_sets", [], count=0, status=404)
                raise not_found(f"object {i}")
    return sets


def _audit_reads(audit: Audit, site_ids, norad_ids) -> None:
    with audit.writing():
        audit("read", "sensors", site_ids, commit=False)
        audit("read", "element_sets", norad_ids, commit=False)


def compute(sets, rows, start: datetime, end: datetime, min_el: float | None,
            freq_mhz: float | None, *, skip_bad: bool) -> list[dict]:
    from orbitwatch.tracking.passes import find_passes_multi

    sites = sites_of_rows(rows, skip_bad=skip_bad)
    if not sets or not sites:
        return []
    found = find_passes_multi(sets, sites, start, end, min_el_deg=min_el, freq_mhz=freq_mhz)
    return pass_records(found, rows)


@router.get("/api/v1/passes", response_model=PassPage, summary="Passes of objects over sites")
def list_passes(
    site_id: list[int] = Query(..., description="site id (repeatable)"),
    norad_id: list[str] | None = Query(
        None, description="catalog numbers, repeatable or comma-separated "
        "(default: every visible object)"),
    start: datetime | None = Query(None, description="window start, ISO-8601 (default: now)"),
    hours: float = Query(24.0, gt=0.0, le=MAX_HOURS, description="window length (h)"),
    min_el: float | None = Query(None, ge=-5.0, le=90.0,
                                 description="overrides each site's minimum elevation (deg)"),
    freq_mhz: float | None = Query(None, gt=0.0, description="carrier for Doppler offsets (MHz)"),
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("viewer")),
):
    """Every pass in ``[start, start + hours]`` of the objects over the sites, by rise
    time; ``count`` is the total before paging.  Each site and each asked-for
    object must be visible to the caller (404 otherwise)."""
    ids = parse_ids(norad_id)
    rows = sites_or_404(audit, site_id)
    sets = element_sets_or_404(audit, ids)
    t0 = aware(start)
    t1 = t0 + timedelta(hours=hours)
    recs = compute(sets, rows, t0, t1, min_el, freq_mhz, skip_bad=False)
    _audit_reads(audit, [r["id"] for r in rows], [int(s.norad_id) for s in sets])
    return {"data": recs[page.offset : page.offset + page.limit], "count": len(recs),
            "start": iso_z(t0, 3), "end": iso_z(t1, 3), "sites": [r["id"] for r in rows]}


@router.get("/api/v1/objects/{norad_id}/passes", response_model=PassPage,
            summary="Next passes of one object over every visible site")
def object_passes(
    norad_id: int,
    start: datetime | None = Query(None, description="window start, ISO-8601 (default: now)"),
    hours: float = Query(24.0, gt=0.0, le=MAX_HOURS, description="window length (h)"),
    min_el: float | None = Query(None, ge=-5.0, le=90.0,
                                 description="overrides each site's minimum elevation (deg)"),
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("viewer")),
):
    """The object's passes over every site the caller may see, from the newest
    element set the caller may see; 404 when the object is not visible."""
    sets = element_sets_or_404(audit, [norad_id])
    rows = visible_site_rows(audit.db, audit.principal.partner)
    t0 = aware(start)
    t1 = t0 + timedelta(hours=hours)
    recs = compute(sets, rows, t0, t1, min_el, None, skip_bad=True)
    _audit_reads(audit, [r["id"] for r in rows], [norad_id])
    return {"data": recs[page.offset : page.offset + page.limit], "count": len(recs),
            "start": iso_z(t0, 3), "end": iso_z(t1, 3), "sites": [r["id"] for r in rows]}
