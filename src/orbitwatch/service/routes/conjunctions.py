"""``/api/v1/conjunctions``: close approaches the caller may see, and their CCSDS CDMs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from orbitwatch.service.deps import Audit, Paging, audit_for, not_found, paging
from orbitwatch.service.schemas import ConjunctionOut, Page
from orbitwatch.store import shared

router = APIRouter(prefix="/api/v1/conjunctions", tags=["conjunctions"])


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@router.get("", response_model=Page[ConjunctionOut], summary="List visible conjunctions")
def list_conjunctions(
    norad_id: int | None = Query(None, description="either object is this one"),
    max_miss_km: float | None = Query(None, ge=0),
    min_pc: float | None = Query(None, ge=0, le=1),
    tca_from: datetime | None = Query(None),
    tca_to: datetime | None = Query(None),
    screening_id: int | None = Query(None),
    sort: str = Query("risk", description="risk (Pc high first, then miss distance), tca, -tca, miss"),
    page: Paging = Depends(paging),
    audit: Audit = Depends(audit_for("viewer")),
):
    if sort not in shared.CONJUNCTION_SORTS:
        raise HTTPException(422, detail=f"sort {sort!r}: use one of {', '.join(shared.CONJUNCTION_SORTS)}")
    db, partner = audit.db, audit.principal.partner
    cache = audit.request.app.state.selections
    version = shared.data_version(db)
    filters = dict(norad_id=norad_id, max_miss_km=max_miss_km, min_pc=min_pc,
                   tca_from=_aware(tca_from), tca_to=_aware(tca_to), screening_id=screening_id)
    fkey = tuple(sorted(filters.items()))

    def build_page():
        ids = cache.get(
            ("conjunctions", partner, sort, fkey), version,
            lambda: shared.conjunction_ids(db, visible_to=partner, sort=sort, **filters),
        )
        rows = shared.conjunctions_by_ids(db, ids=ids[page.offset : page.offset + page.limit])
        body = Page[ConjunctionOut].model_validate(
            {"data": rows, "count": len(ids)}).model_dump(mode="json")
        return [r["id"] for r in rows], body

    page_ids, body = cache.get(
        ("conjunctions-page", partner, sort, fkey, page.offset, page.limit), version, build_page)
    audit("read", "conjunctions", page_ids)
    return JSONResponse(body)


@router.get("/{conjunction_id}", response_model=ConjunctionOut, summary="One conjunction")
def get_conjunction(conjunction_id: int, audit: Audit = Depends(audit_for("viewer"))):
    row = shared.get_conjunction(audit.db, conjunction_id=conjunction_id, visible_to=audit.principal.partner)
    if row is None:
        audit("read", "conjunctions", [], count=0, status=404)
        raise not_found(f"conjunction {conjunction_id}")
    audit("read", "conjunctions", [conjunction_id])
    return row


#: DEFAULT covariance written when none is known (SGP4 mean elements carry none):
#: 1-sigma RTN position (m) and velocity (m/s) of a typical public TLE near
#: epoch, order of magnitude only.  Flagged COVARIANCE_METHOD = DEFAULT and by a
#: COMMENT so that no one mistakes it for an orbit-determination product.
DEFAULT_SIGMA_RTN_M = (100.0, 1000.0, 100.0)
DEFAULT_SIGMA_RTN_M_S = (1.0, 0.1, 0.1)


def _default_covariance() -> dict[str, str]:
    from orbitwatch.ccsds.cdm import COVARIANCE_KEYS_6X6

    sig = (*DEFAULT_SIGMA_RTN_M, *DEFAULT_SIGMA_RTN_M_S)
    out = {}
    k = 0
    for i in range(6):
        for j in range(i + 1):
            out[COVARIANCE_KEYS_6X6[k]] = f"{sig[i] ** 2:.6e}" if i == j else "0.000000e+00"
            k += 1
    return out


def states_at_tca(db, row: dict, partner: str) -> tuple[list | None, list | None]:
    """TEME states [km, km/s] of both objects at TCA: stored ones, else SGP4 from the
    newest element sets the caller may see (None for an object it may not see)."""
    if row.get("state_1") and row.get("state_2"):
        return row["state_1"], row["state_2"]
    from orbitwatch.propagation import propagate
    from orbitwatch.store.catalog import latest_element_sets
    from orbitwatch.timeutil import datetime_to_jd

    ids = [row["object_1"], row["object_2"]]
    sets = {s.norad_id: s for s in latest_element_sets(db, ids=ids, visible_to=partner)}
    jd, fr = datetime_to_jd(row["tca"])
    out: list = []
    for nid in ids:
        s = sets.get(nid)
        if s is None:
            out.append(None)
            continue
        p = propagate([s], jd, fr)
        if p.error[0, 0]:
            out.append(None)
            continue
        out.append([float(x) for x in (*p.r_teme_km[0, 0], *p.v_teme_km_s[0, 0])])
    return out[0], out[1]


def _fmt(x: float) -> str:
    return f"{x:.6f}"


def conjunction_cdm(row: dict, originator: str, fmt: str = "kvn") -> str:
    """CCSDS CDM (508.0-B-1, version 1.0) text for one stored conjunction.

    Relative position/velocity are object 2 relative to object 1 in object 1's
    RTN frame (m, m/s).  States are converted from TEME (SGP4) to GCRF.
    SGP4 screening carries no covariance, so none is written (a COMMENT says so).
    """
    from orbitwatch.ccsds.cdm import Cdm, CdmObject, Section, write_cdm
    from orbitwatch.timeutil import iso_z

    now = datetime.now(UTC)
    header = Section(
        fields={
            "CREATION_DATE": iso_z(now)[:-1],
            "ORIGINATOR": originator,
            "MESSAGE_ID": f"ORBITWATCH-{row['id']}",
        }
    )
    rel = {
        "TCA": iso_z(row["tca"])[:-1],
        "MISS_DISTANCE": _fmt(row["miss_distance_km"] * 1000.0),
    }
    if row.get("relative_speed_km_s") is not None:
        rel["RELATIVE_SPEED"] = _fmt(row["relative_speed_km_s"] * 1000.0)
    s1, s2 = row.get("state_1"), row.get("state_2")
    if row.get("miss_r_km") is not None:
        rel["RELATIVE_POSITION_R"] = _fmt(row["miss_r_km"] * 1000.0)
        rel["RELATIVE_POSITION_T"] = _fmt(row["miss_t_km"] * 1000.0)
        rel["RELATIVE_POSITION_N"] = _fmt(row["miss_n_km"] * 1000.0)
    if s1 and s2:
        from orbitwatch.screening.rtn import to_rtn

        r1, v1 = np.array(s1[:3]), np.array(s1[3:])
        dv = np.array(s2[3:]) - v1
        dv_rtn = np.asarray(to_rtn(r1, v1, dv)).reshape(3)
        rel["RELATIVE_VELOCITY_R"] = _fmt(dv_rtn[0] * 1000.0)
        rel["RELATIVE_VELOCITY_T"] = _fmt(dv_rtn[1] * 1000.0)
        rel["RELATIVE_VELOCITY_N"] = _fmt(dv_rtn[2] * 1000.0)
    if row.get("pc") is not None:
        rel["COLLISION_PROBABILITY"] = f"{row['pc']:.6e}"
        if row.get("pc_method"):
            rel["COLLISION_PROBABILITY_METHOD"] = row["pc_method"]
    relative = Section(fields=rel)

    states = {}
    from orbitwatch.propagation.frames import teme_to_gcrs
    from orbitwatch.timeutil import datetime_to_jd

    jd, fr = datetime_to_jd(row["tca"])
    for k, st in enumerate((s1, s2)):
        if st:
            r = np.array([[st[:3]]], dtype=float)
            v = np.array([[st[3:]]], dtype=float)
            rg, vg = teme_to_gcrs(r, v, np.array([jd]), np.array([fr]))
            states[k] = (rg[0, 0], vg[0, 0])
    objects = []
    for k, (nid, name) in enumerate(
        ((row["object_1"], row.get("object_1_name")), (row["object_2"], row.get("object_2_name")))
    ):
        meta = Section(
            fields={
                "OBJECT": f"OBJECT{k + 1}",
                "OBJECT_DESIGNATOR": str(nid),
                "CATALOG_NAME": "SATCAT",
                "OBJECT_NAME": name or "UNKNOWN",
                "INTERNATIONAL_DESIGNATOR": "UNKNOWN",
                "EPHEMERIS_NAME": "NONE",
                "COVARIANCE_METHOD": "DEFAULT",
                "MANEUVERABLE": "N/A",
                "REF_FRAME": "GCRF",
            }
        )
        data = Section(comments=[
            "State from SGP4 (TEME converted to GCRF)",
            "DEFAULT covariance: nominal public-TLE uncertainty, not an orbit-determination product",
        ])
        if k in states:
            rr, vv = states[k]
            for key, val in zip(("X", "Y", "Z"), rr, strict=True):
                data.fields[key] = _fmt(float(val))
            for key, val in zip(("X_DOT", "Y_DOT", "Z_DOT"), vv, strict=True):
                data.fields[key] = f"{float(val):.9f}"
        else:
            data.comments.append("state unavailable: no element set of this object is releasable")
        data.fields.update(_default_covariance())
        objects.append(CdmObject(metadata=meta, data=data))
    cdm = Cdm(version="1.0", header=header, relative=relative, objects=objects)
    return write_cdm(cdm, fmt)


@router.get(
    "/{conjunction_id}/cdm",
    response_class=PlainTextResponse,
    summary="CCSDS CDM of a conjunction",
    responses={200: {"content": {"text/plain": {}, "application/xml": {}}}},
)
def get_cdm(
    conjunction_id: int,
    format: str = Query("kvn", description="kvn or xml"),
    audit: Audit = Depends(audit_for("viewer")),
):
    if format not in ("kvn", "xml"):
        raise HTTPException(422, detail="format must be kvn or xml")
    row = shared.get_conjunction(audit.db, conjunction_id=conjunction_id, visible_to=audit.principal.partner)
    if row is None:
        audit("read", "conjunctions", [], count=0, status=404)
        raise not_found(f"conjunction {conjunction_id}")
    row["state_1"], row["state_2"] = states_at_tca(audit.db, row, audit.principal.partner)
    text = conjunction_cdm(row, originator=f"ORBITWATCH/{row.get('partner') or 'PUBLIC'}", fmt=format)
    audit("read", "conjunctions", [conjunction_id])
    media = "application/xml" if format == "xml" else "text/plain"
    return PlainTextResponse(
        text, media_type=media,
        headers={"Content-Disposition": f'inline; filename="conjunction-{conjunction_id}.cdm"'},
    )
