"""``/api/v1/sites``: ground sensors and stations, with their limits.

A site is a record of the ``sensors`` table (the same records as
``/api/v1/sensors``), shown with the fields of
:class:`orbitwatch.tracking.sites.Site`: WGS-84 ``lat_deg``/``lon_deg``,
``alt_m`` (metres; the table keeps km), ``kind`` (radar, optical, comms) and
the limits that decide visibility.  Releasability as for every shared record:
a site the caller may not see is answered exactly as one that does not exist.

:func:`visible_site_rows` and :func:`row_to_site` are what the passes and
tasking routes use to turn the caller's sites into ``Site`` objects.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import insert, select

from orbitwatch.service.deps import Audit, Paging, audit_for, not_found, paging
from orbitwatch.service.routes.ingest import check_releasable
from orbitwatch.service.schemas import Page, SiteIn, SiteOut
from orbitwatch.store.shared import visible_clause
from orbitwatch.store.sites import site_from_row, site_kind
from orbitwatch.store.shared_models import sensors_table as s_

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])

def _or(value, default):
    return default if value is None else value


def site_fields(row: dict) -> dict:
    """A ``sensors`` row as the Site-shaped JSON record (defaults filled in)."""
    return {
        "id": row["id"],
        "code": row["code"],
        "name": row["name"],
        "kind": site_kind(row["kind"]),
        "lat_deg": row["latitude_deg"],
        "lon_deg": row["longitude_deg"],
        "alt_m": row["altitude_km"] * 1000.0,
        "min_elevation_deg": _or(row.get("min_elevation_deg"), 0.0),
        "max_elevation_deg": _or(row.get("max_elevation_deg"), 90.0),
        "az_min_deg": _or(row.get("az_min_deg"), 0.0),
        "az_max_deg": _or(row.get("az_max_deg"), 360.0),
        "min_range_km": _or(row.get("min_range_km"), 0.0),
        "max_range_km": row.get("max_range_km"),
        "mask": [tuple(p) for p in (row.get("mask") or [])],
        "partner": row["partner"],
        "releasable_to": row["releasable_to"],
        "created_at": row["created_at"],
    }


def row_to_site(row: dict):
    """The :class:`~orbitwatch.tracking.sites.Site` of a ``sensors`` row.

    Its ``name`` is the row id as text, so that two partners' sites with the
    same code never collide in the pass finder's ``{site.name: passes}``;
    ``label`` is the code.  Raises ``SiteError`` for a stored site whose
    limits are inconsistent.
    """
    return replace(site_from_row(row), name=str(row["id"]), label=row["code"])


def visible_site_rows(db, partner: str, ids=None) -> list[dict]:
    """Rows of the sites ``partner`` may see (all, or those of ``ids``), by id."""
    stmt = select(s_).where(visible_clause(s_, partner)).order_by(s_.c.id)
    if ids is not None:
        stmt = stmt.where(s_.c.id.in_([int(i) for i in ids]))
    return [dict(r._mapping) for r in db.execute(stmt)]


def sites_or_404(audit: Audit, ids) -> list[dict]:
    """The caller's sites ``ids`` (rows, in the order asked); 404 naming the first one
    that does not exist or is not releasable to the caller (audited)."""
    want = list(dict.fromkeys(int(i) for i in ids))
    rows = {r["id"]: r for r in visible_site_rows(audit.db, audit.principal.partner, want)}
    for i in want:
        if i not in rows:
            audit("read", "sensors", [], count=0, status=404)
            raise not_found(f"site {i}")
    return [rows[i] for i in want]


@router.get("", response_model=Page[SiteOut], summary="List visible sites")
def list_sites(page: Paging = Depends(paging), audit: Audit = Depends(audit_for("viewer"))):
    """Every site the caller may see, by id, with its limits."""
    rows = visible_site_rows(audit.db, audit.principal.partner)
    part = rows[page.offset : page.offset + page.limit]
    audit("read", "sensors", [r["id"] for r in part])
    return {"data": [site_fields(r) for r in part], "count": len(rows)}


@router.get("/{site_id}", response_model=SiteOut, summary="One site")
def get_site(site_id: int, audit: Audit = Depends(audit_for("viewer"))):
    [row] = sites_or_404(audit, [site_id])
    audit("read", "sensors", [site_id])
    return site_fields(row)


@router.post("", response_model=SiteOut, status_code=201, summary="Contribute a site (analyst)")
def post_site(body: SiteIn, audit: Audit = Depends(audit_for("analyst"))):
    """Store a site contributed by the caller's partner, releasable as ``releasable_to``
    says (default: own partner only).  Inconsistent limits get 422 naming the field."""
    from orbitwatch.tracking.sites import Site, SiteError

    partner = audit.principal.partner
    rel = check_releasable(audit.db, body.releasable_to, partner)
    try:
        Site(  # the tracking module's validation, field by field
            name=body.name, label=body.label, lat_deg=body.lat_deg, lon_deg=body.lon_deg,
            alt_m=body.alt_m, kind=body.kind, min_elevation_deg=body.min_elevation_deg,
            max_elevation_deg=body.max_elevation_deg, az_min_deg=body.az_min_deg,
            az_max_deg=body.az_max_deg, min_range_km=body.min_range_km,
            max_range_km=body.max_range_km, mask=tuple(body.mask or ()),
            partner=partner, releasable_to=tuple(rel.split(",")),
        )
    except SiteError as exc:
        raise HTTPException(422, detail=str(exc)) from exc
    with audit.writing() as db:
        res = db.execute(
            insert(s_).values(
                code=body.name, name=body.label, kind=body.kind, latitude_deg=body.lat_deg,
                longitude_deg=body.lon_deg, altitude_km=body.alt_m / 1000.0,
                min_elevation_deg=body.min_elevation_deg, max_elevation_deg=body.max_elevation_deg,
                az_min_deg=body.az_min_deg, az_max_deg=body.az_max_deg,
                min_range_km=body.min_range_km, max_range_km=body.max_range_km,
                mask=[list(p) for p in body.mask] if body.mask else None,
                partner=partner, releasable_to=rel, created_at=datetime.now(UTC),
            )
        )
        sid = int(res.inserted_primary_key[0])
        audit("write", "sensors", [sid], commit=False)
    [row] = visible_site_rows(audit.db, partner, [sid])
    return site_fields(row)
