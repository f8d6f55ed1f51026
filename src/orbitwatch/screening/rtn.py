"""Radial / transverse / normal (RTN, a.k.a. RSW or RIC) frame of an orbiting object.

R = r/|r|, N = (r x v)/|r x v|, T = N x R (Vallado, *Fundamentals of
Astrodynamics and Applications*, 4th ed., sec. 3.3, the RSW frame).
"""

from __future__ import annotations

import numpy as np


def rtn_basis(r_km: np.ndarray, v_km_s: np.ndarray) -> np.ndarray:
    """Rows R, T, N of the RTN frame; ``r``/``v`` shape (..., 3) -> (..., 3, 3)."""
    r = np.asarray(r_km, dtype=float)
    v = np.asarray(v_km_s, dtype=float)
    rhat = r / np.linalg.norm(r, axis=-1, keepdims=True)
    h = np.cross(r, v)
    nhat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    that = np.cross(nhat, rhat)
    return np.stack([rhat, that, nhat], axis=-2)


def to_rtn(r_ref_km: np.ndarray, v_ref_km_s: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Components [R, T, N] of ``vec`` in the RTN frame of the reference state (..., 3)."""
    basis = rtn_basis(r_ref_km, v_ref_km_s)
    return np.einsum("...ij,...j->...i", basis, np.asarray(vec, dtype=float))
