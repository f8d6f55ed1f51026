"""From a conjunction to a risk decision: tiers, a one-call assessment for the screening
command, and building CCSDS CDMs from screening output.

Risk tiers (NASA CARA and 18th/19th SDS practice, see ANCHORS C3): Pc >= 1e-4 red
(mitigate), Pc >= 1e-7 yellow (watch), else green; thresholds configurable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from orbitwatch.collision.encounter import cov_rtn_to_inertial, nearby_ca_linear, rtn_basis
from orbitwatch.collision.pc2d import pc_circle
from orbitwatch.collision.pcmax import pc_max_covariance_scaling, pc_max_no_covariance

__all__ = ["RiskThresholds", "risk_tier", "PcAssessment", "assess_conjunction",
           "conjunction_to_cdm"]


@dataclass(frozen=True)
class RiskThresholds:
    red: float = 1e-4
    yellow: float = 1e-7


def risk_tier(pc: float | None, thresholds: RiskThresholds = RiskThresholds()) -> str:
    """'red' | 'yellow' | 'green' ('unknown' for None/NaN)."""
    if pc is None or not np.isfinite(pc):
        return "unknown"
    if pc >= thresholds.red:
        return "red"
    if pc >= thresholds.yellow:
        return "yellow"
    return "green"


@dataclass
class PcAssessment:
    """What screening attaches to a conjunction record."""

    pc: float | None
    method: str
    pc_max: float
    pc_max_method: str
    tier: str
    miss_distance_m: float
    relative_speed_m_s: float
    hbr_m: float
    warnings: list[str] = field(default_factory=list)


def _teme_to_gcrs(r_km, v_km_s, when: datetime | None):
    if when is None:
        return np.asarray(r_km, float), np.asarray(v_km_s, float), "TEME"
    from orbitwatch.propagation import frames
    from orbitwatch.timeutil import datetime_to_jd

    jd, fr = datetime_to_jd(when)
    r, v = frames.teme_to_gcrs(np.asarray(r_km, float)[None, :], np.asarray(v_km_s, float)[None, :],
                               np.array([jd]), np.array([fr]))
    return r[0], v[0], "GCRF"


def assess_conjunction(r1_teme_km, v1_teme_km_s, r2_teme_km, v2_teme_km_s, cov1_rtn, cov2_rtn,
                       hbr_m: float, *, thresholds: RiskThresholds = RiskThresholds()
                       ) -> PcAssessment:
    """Pc assessment from TEME states at TCA and per-object RTN covariances.

    cov*_rtn: (3,3) or (6,6) in m units (m**2, m**2/s, m**2/s**2), or None when unknown.
    The 2D-Pc is rotation invariant, so TEME serves as the inertial frame here (no frame
    conversion needed).  With both covariances: Foster 2D-Pc (CARA PcCircle conventions, TCA
    adjusted) and the Alfano (2005) max over covariance scaling; without: Pc = None and the
    covariance-free maximum (miss distance and HBR only)."""
    r1 = np.asarray(r1_teme_km, float) * 1e3
    v1 = np.asarray(v1_teme_km_s, float) * 1e3
    r2 = np.asarray(r2_teme_km, float) * 1e3
    v2 = np.asarray(v2_teme_km_s, float) * 1e3
    _, r1a, r2a = nearby_ca_linear(r1, v1, r2, v2)
    miss = float(np.linalg.norm(r2a - r1a))
    vrel = float(np.linalg.norm(v2 - v1))
    warns: list[str] = []
    if cov1_rtn is None or cov2_rtn is None:
        pm = pc_max_no_covariance(miss, hbr_m)
        return PcAssessment(None, "none (no covariance)", pm.value, pm.method,
                            risk_tier(pm.value, thresholds), miss, vrel, hbr_m,
                            ["no covariance: tier from the covariance-free maximum Pc"])
    c1 = cov_rtn_to_inertial(np.asarray(cov1_rtn, float), r1, v1)
    c2 = cov_rtn_to_inertial(np.asarray(cov2_rtn, float), r2, v2)
    res = pc_circle(r1, v1, c1, r2, v2, c2, hbr_m)
    pc = float(res.pc[0])
    if res.remediated[0]:
        warns.append("projected covariance eigenvalue clipped (non-positive-definite repair)")
    pm = pc_max_covariance_scaling(r1, v1, c1, r2, v2, c2, hbr_m)
    if vrel < 100.0:
        warns.append(f"low relative speed {vrel:.1f} m/s: 2D-Pc assumptions doubtful (use 3D-Nc)")
    return PcAssessment(pc, "foster_1992_circle", pm.value, pm.method,
                        risk_tier(pc, thresholds), miss, vrel, hbr_m, warns)


def _fmt(x: float) -> str:
    return f"{x:.12e}" if x != 0 else "0.0"


def _epoch(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def conjunction_to_cdm(*, tca: datetime, r1_teme_km, v1_teme_km_s, r2_teme_km, v2_teme_km_s,
                       cov1_rtn=None, cov2_rtn=None, object1: dict | None = None,
                       object2: dict | None = None, pc: float | None = None,
                       pc_method: str | None = None, hbr_m: float | None = None,
                       originator: str = "ORBITWATCH", message_id: str | None = None,
                       creation_date: datetime | None = None, version: str = "1.0",
                       comments: list[str] | None = None, convert_to_gcrf: bool = True):
    """Build a CCSDS CDM (:class:`orbitwatch.ccsds.cdm.Cdm`) for a screened conjunction.

    States are TEME at TCA (km, km/s).  With ``convert_to_gcrf`` they are rotated to GCRS
    with :mod:`orbitwatch.propagation.frames` and written with REF_FRAME = GCRF (the CDM
    keyword for the GCRS-aligned inertial frame; EME2000 differs by ~20 mas); otherwise they
    are written as they are and the frame is stated in a comment (TEME is not a CDM 1.0
    REF_FRAME value).  Covariances are 6x6 (or 3x3) RTN in m units; missing -> zeros with a
    comment.  The relative state (RTN of object 1) and miss distance are computed from the
    states.  ``object1``/``object2`` may give OBJECT_DESIGNATOR, OBJECT_NAME,
    INTERNATIONAL_DESIGNATOR, OBJECT_TYPE, CATALOG_NAME, ...
    """
    from orbitwatch.ccsds.cdm import COVARIANCE_KEYS_6X6, Cdm, CdmObject, Section

    creation_date = creation_date or datetime.now(timezone.utc)
    states = []
    for r, v in ((r1_teme_km, v1_teme_km_s), (r2_teme_km, v2_teme_km_s)):
        if convert_to_gcrf:
            rr, vv, frame = _teme_to_gcrs(r, v, tca)
        else:
            rr, vv, frame = np.asarray(r, float), np.asarray(v, float), "TEME"
        states.append((rr, vv))
    (r1, v1), (r2, v2) = states
    dr_m = (r2 - r1) * 1e3
    dv_m_s = (v2 - v1) * 1e3
    M = rtn_basis(r1, v1)
    rel_r = M.T @ dr_m
    rel_v = M.T @ dv_m_s
    o1 = dict(object1 or {})
    o2 = dict(object2 or {})
    if message_id is None:
        message_id = (f"{o1.get('OBJECT_DESIGNATOR', 'OBJ1')}_conj_{o2.get('OBJECT_DESIGNATOR', 'OBJ2')}_"
                      f"{tca.astimezone(timezone.utc):%Y%m%d_%H%M%S}_{creation_date:%Y%m%d_%H%M%S}")
    header = Section({"CREATION_DATE": _epoch(creation_date), "ORIGINATOR": originator,
                      "MESSAGE_ID": message_id})
    rel = Section({
        "TCA": _epoch(tca),
        "MISS_DISTANCE": f"{np.linalg.norm(dr_m):.3f}",
        "RELATIVE_SPEED": f"{np.linalg.norm(dv_m_s):.3f}",
        "RELATIVE_POSITION_R": f"{rel_r[0]:.3f}", "RELATIVE_POSITION_T": f"{rel_r[1]:.3f}",
        "RELATIVE_POSITION_N": f"{rel_r[2]:.3f}",
        "RELATIVE_VELOCITY_R": f"{rel_v[0]:.4f}", "RELATIVE_VELOCITY_T": f"{rel_v[1]:.4f}",
        "RELATIVE_VELOCITY_N": f"{rel_v[2]:.4f}",
    })
    if pc is not None and np.isfinite(pc):
        rel.fields["COLLISION_PROBABILITY"] = f"{pc:.6e}"
        rel.fields["COLLISION_PROBABILITY_METHOD"] = (pc_method or "FOSTER-1992")
    if hbr_m is not None:
        rel.comments.append(f"HBR = {hbr_m:g} [m]")
    rel.comments.extend(comments or [])
    objs = []
    for i, (od, (r, v), cov) in enumerate(((o1, states[0], cov1_rtn), (o2, states[1], cov2_rtn))):
        meta = Section({"OBJECT": f"OBJECT{i + 1}",
                        "OBJECT_DESIGNATOR": str(od.pop("OBJECT_DESIGNATOR", f"{i + 1:05d}")),
                        "CATALOG_NAME": str(od.pop("CATALOG_NAME", "SATCAT")),
                        "OBJECT_NAME": str(od.pop("OBJECT_NAME", "UNKNOWN")),
                        "INTERNATIONAL_DESIGNATOR": str(od.pop("INTERNATIONAL_DESIGNATOR", "UNKNOWN")),
                        })
        if "OBJECT_TYPE" in od:
            meta.fields["OBJECT_TYPE"] = str(od.pop("OBJECT_TYPE"))
        meta.fields.update({"EPHEMERIS_NAME": "NONE",
                            "COVARIANCE_METHOD": str(od.pop("COVARIANCE_METHOD", "CALCULATED")),
                            "MANEUVERABLE": str(od.pop("MANEUVERABLE", "N/A")),
                            "REF_FRAME": "GCRF" if frame == "GCRF" else "EME2000"})
        if frame != "GCRF":
            meta.comments.append("state vector is TEME (SGP4 output), not EME2000")
        for k, val in od.items():
            meta.fields[str(k)] = str(val)
        data = Section({"X": _fmt(r[0]), "Y": _fmt(r[1]), "Z": _fmt(r[2]),
                        "X_DOT": _fmt(v[0]), "Y_DOT": _fmt(v[1]), "Z_DOT": _fmt(v[2])})
        if cov is None:
            c = np.zeros((6, 6))
            data.comments.append("covariance unknown: zeros written")
        else:
            c = np.zeros((6, 6))
            cc = np.asarray(cov, float)
            n = min(cc.shape[0], 6)
            c[:n, :n] = cc[:n, :n]
        names = COVARIANCE_KEYS_6X6
        k = 0
        for a in range(6):
            for b in range(a + 1):
                data.fields[names[k]] = _fmt(c[a, b])
                k += 1
        objs.append(CdmObject(meta, data))
    return Cdm(version=version, header=header, relative=rel, objects=objs)
