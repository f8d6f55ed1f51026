"""Encounter geometry shared by the Pc methods: RTN frames, covariance rotation, the
linear-motion close-approach adjustment, and conjunction inputs from a CDM.

Conventions (as used by NASA CARA's Pc tools and described in their documentation):

* RTN (a.k.a. RIC): R = r/|r|, N = (r x v)/|r x v|, T = N x R, built from the object's own
  inertial state.  A 6x6 RTN covariance is rotated to inertial axes with the block-diagonal
  rotation diag(M, M), M = [R T N] (no rotating-frame velocity term), which is what the CDM
  standard's covariance rotation and CARA's tools do.
* States are in metres and m/s inside the Pc code (CDMs give km, km/s).
* "Nearby CA" adjustment: a CDM TCA is rounded to the millisecond, so the relative position at
  the CDM epoch is not exactly perpendicular to the relative velocity.  Both objects are moved
  along straight lines by dt = -(dr . dv)/|dv|^2 (dr = r2-r1, dv = v2-v1); velocities and
  covariances are unchanged.  This is the adjustment CARA documents for its CDM test cases
  (DataFiles/PcTestCaseCDMs/README.md, "FindNearbyCA").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "rtn_basis",
    "cov_rtn_to_inertial",
    "cov_inertial_to_rtn",
    "nearby_ca_linear",
    "Conjunction",
    "conjunction_from_cdm",
]


def rtn_basis(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotation matrix M (..., 3, 3) whose columns are the R, T, N unit vectors in the inertial
    frame of ``r``, ``v`` (shape (..., 3)); x_inertial = M @ x_rtn."""
    r = np.asarray(r, dtype=float)
    v = np.asarray(v, dtype=float)
    h = np.cross(r, v)
    rhat = r / np.linalg.norm(r, axis=-1, keepdims=True)
    nhat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    that = np.cross(nhat, rhat)
    return np.stack([rhat, that, nhat], axis=-1)


def _block(m: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(m.shape[:-2] + (n, n))
    out[..., :3, :3] = m
    if n >= 6:
        out[..., 3:6, 3:6] = m
    for k in range(6, n):
        out[..., k, k] = 1.0
    return out


def cov_rtn_to_inertial(cov_rtn: np.ndarray, r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate an RTN covariance (..., n, n), n = 3, 6 (or more: extra rows kept) to inertial
    axes defined by the object's inertial state r, v.  Output symmetrised."""
    cov_rtn = np.asarray(cov_rtn, dtype=float)
    n = cov_rtn.shape[-1]
    m = _block(rtn_basis(r, v), n) if n > 3 else rtn_basis(r, v)
    out = m @ cov_rtn @ np.swapaxes(m, -1, -2)
    return 0.5 * (out + np.swapaxes(out, -1, -2))


def cov_inertial_to_rtn(cov_inertial: np.ndarray, r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inverse of :func:`cov_rtn_to_inertial`."""
    cov = np.asarray(cov_inertial, dtype=float)
    n = cov.shape[-1]
    m = _block(rtn_basis(r, v), n) if n > 3 else rtn_basis(r, v)
    out = np.swapaxes(m, -1, -2) @ cov @ m
    return 0.5 * (out + np.swapaxes(out, -1, -2))


def nearby_ca_linear(r1, v1, r2, v2):
    """Linear-motion close approach near the given epoch.

    Returns (dt_s, r1_ca, r2_ca): dt = -((r2-r1).(v2-v1))/|v2-v1|^2 (NaN for zero relative
    velocity, positions then unchanged), r_ca = r + dt v.  Shapes (..., 3)."""
    r1 = np.asarray(r1, float)
    r2 = np.asarray(r2, float)
    v1 = np.asarray(v1, float)
    v2 = np.asarray(v2, float)
    dv = v2 - v1
    dv2 = np.sum(dv * dv, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dt = -np.sum((r2 - r1) * dv, axis=-1) / dv2
    dt_use = np.where(dv2 > 0, dt, 0.0)
    dt = np.where(dv2 > 0, dt, np.nan)
    return dt, r1 + dt_use[..., None] * v1, r2 + dt_use[..., None] * v2


@dataclass
class Conjunction:
    """A conjunction in inertial coordinates at (or near) TCA, in metres and m/s.

    r1, v1, r2, v2: (3,) inertial states; cov1, cov2: (6, 6) inertial covariances
    (m**2, m**2/s, m**2/s**2); hbr_m: combined hard-body radius; tca: aware UTC datetime or None.
    """

    r1: np.ndarray
    v1: np.ndarray
    cov1: np.ndarray
    r2: np.ndarray
    v2: np.ndarray
    cov2: np.ndarray
    hbr_m: float
    tca: object = None
    frame: str = "EME2000"
    warnings: list[str] = field(default_factory=list)


def _state_inertial_m(cdm, obj, idx: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    frame = (obj.ref_frame or "").upper()
    r = obj.r_km * 1000.0
    v = obj.v_km_s * 1000.0
    warns: list[str] = []
    if frame in ("EME2000", "J2000"):
        return r, v, warns
    if frame in ("GCRF", "ICRF"):
        warns.append(f"object {idx + 1} REF_FRAME {frame} used as EME2000 (differs by ~20 mas)")
        return r, v, warns
    if frame in ("ITRF", "ITRF2000", "ITRF-93", "ITRF-97", "TEME"):
        from orbitwatch.collision._frames import to_gcrs

        rg, vg = to_gcrs(r, v, cdm.tca, frame)
        warns.append(f"object {idx + 1} REF_FRAME {frame} converted to GCRS (used as EME2000), "
                     "UT1=UTC and no polar motion")
        return rg, vg, warns
    from orbitwatch.ccsds.cdm import CdmError

    raise CdmError(cdm.source, None, "REF_FRAME", f"unsupported reference frame {obj.ref_frame!r}")


def conjunction_from_cdm(cdm, hbr_m: float | None = None) -> Conjunction:
    """Inertial states and covariances from a parsed CDM (each object's RTN covariance rotated
    with its own CDM state).  ``hbr_m`` overrides the CDM's HBR; NaN when neither is present."""
    rs, vs, covs, warns = [], [], [], list(cdm.warnings)
    for i, obj in enumerate(cdm.objects):
        r, v, w = _state_inertial_m(cdm, obj, i)
        warns += w
        c_rtn = obj.cov_rtn
        if np.isnan(c_rtn[3:, :]).any():
            # velocity rows missing: keep position block only
            nan_mask = np.isnan(c_rtn)
            c_rtn = np.where(nan_mask, 0.0, c_rtn)
            warns.append(f"object {i + 1} covariance has no velocity rows; zeros used")
        rs.append(r)
        vs.append(v)
        covs.append(cov_rtn_to_inertial(c_rtn, r, v))
    if hbr_m is None:
        hbr_m = cdm.hbr_m
    return Conjunction(rs[0], vs[0], covs[0], rs[1], vs[1], covs[1],
                       float("nan") if hbr_m is None else float(hbr_m), cdm.tca,
                       warnings=warns)
