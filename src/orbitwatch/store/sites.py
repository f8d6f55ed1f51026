"""Ground sites in the store (the ``sensors`` table), for the CLI and the service.

The CLI keeps sites in a JSON file by default (``orbitwatch sites``); with
``--db`` they go to the shared store, where the service serves them with
releasability like every other record.  A site is keyed by its code and its
contributing partner: importing the same file again replaces, never doubles.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, delete, select

from orbitwatch.store.catalog import ensure_partner, normalize_partner, normalize_releasable_to
from orbitwatch.store.shared_models import sensors_table as s_


def save_sites(conn: Connection, sites: Iterable) -> tuple[int, int]:
    """Store :class:`~orbitwatch.tracking.sites.Site` records; returns (added, replaced).

    Runs in the caller's transaction (use ``engine.begin()``).
    """
    added = replaced = 0
    now = datetime.now(UTC)
    for site in sites:
        partner = normalize_partner(site.partner if site.partner != "UNKNOWN" else None)
        if partner:
            ensure_partner(conn, partner)
        key = and_(s_.c.code == site.name,
                   s_.c.partner.is_(None) if partner is None else s_.c.partner == partner)
        gone = conn.execute(delete(s_).where(key)).rowcount
        replaced += 1 if gone else 0
        added += 0 if gone else 1
        conn.execute(
            s_.insert().values(
                code=site.name, name=site.label, kind=site.kind,
                latitude_deg=site.lat_deg, longitude_deg=site.lon_deg,
                altitude_km=site.alt_m / 1000.0,
                min_elevation_deg=site.min_elevation_deg,
                max_elevation_deg=site.max_elevation_deg,
                az_min_deg=site.az_min_deg, az_max_deg=site.az_max_deg,
                min_range_km=site.min_range_km, max_range_km=site.max_range_km,
                mask=[list(p) for p in site.mask] if site.mask else None,
                partner=partner,
                releasable_to=normalize_releasable_to(list(site.releasable_to)),
                created_at=now,
            )
        )
    return added, replaced


#: stored ``kind`` values of older records -> tracking kinds
_KIND_ALIASES = {"rf": "comms", "station": "comms", "laser": "optical", "telescope": "optical"}


def site_kind(kind: str | None) -> str:
    """The tracking kind (radar, optical, comms) of a stored ``kind`` (None -> radar)."""
    k = (kind or "radar").strip().lower()
    k = _KIND_ALIASES.get(k, k)
    return k if k in ("radar", "optical", "comms") else "radar"


def site_from_row(r) -> object:
    """The :class:`~orbitwatch.tracking.sites.Site` of a ``sensors`` row (a mapping).

    Named by its code, labelled by its name; NULL limit columns mean the
    ``Site`` defaults.  Raises ``SiteError`` for inconsistent stored limits.
    """
    from orbitwatch.tracking.sites import Site

    return Site(
        name=r["code"], label=r["name"], lat_deg=float(r["latitude_deg"]),
        lon_deg=float(r["longitude_deg"]), alt_m=float(r["altitude_km"]) * 1000.0,
        kind=site_kind(r["kind"]),
        min_elevation_deg=_or(r.get("min_elevation_deg"), 0.0),
        max_elevation_deg=_or(r.get("max_elevation_deg"), 90.0),
        az_min_deg=_or(r.get("az_min_deg"), 0.0), az_max_deg=_or(r.get("az_max_deg"), 360.0),
        min_range_km=_or(r.get("min_range_km"), 0.0),
        max_range_km=None if r.get("max_range_km") is None else float(r["max_range_km"]),
        mask=tuple((float(a), float(e)) for a, e in (r.get("mask") or [])),
        partner=r["partner"] or "UNKNOWN",
        releasable_to=tuple(x for x in r["releasable_to"].split(",") if x),
    )


def load_sites(conn: Connection, *, visible_to: str | None = None) -> list:
    """Stored sites as ``Site`` records named by their code (all, or those a partner may see)."""
    from orbitwatch.store.catalog import visible_element_set_clause

    stmt = select(s_).order_by(s_.c.id)
    if visible_to:
        stmt = stmt.where(visible_element_set_clause(visible_to, table=s_))
    return [site_from_row(r) for r in conn.execute(stmt).mappings()]


def _or(value, default: float) -> float:
    return default if value is None else float(value)
