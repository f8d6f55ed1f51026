"""2D probability of collision: Foster (1992) circle integration in the encounter plane,
computed the way NASA CARA's PcCircle does it.

Method (Foster & Estes 1992, NASA JSC-25898; Alfano 2005, "A numerical implementation of
spherical object collision probability", J. Astronaut. Sci. 53(1); Chan 1997 for the
short-encounter assumptions):

1. Combined position covariance A = C1 + C2 (3x3, inertial, m**2).
2. Relative position r = r1 - r2 and velocity v = v1 - v2 (optionally first moved to the
   linear-motion close approach, :func:`orbitwatch.collision.encounter.nearby_ca_linear`).
3. Encounter frame: y along v, z along r x v, x = y x z; A projected onto the (x, z) plane.
4. Principal axes of the 2x2 projected covariance: eigenvalues L1 >= L2, sigma_x = sqrt(L1),
   sigma_z = sqrt(L2).  Eigenvalues below (1e-4 HBR)^2 are clipped to that value (CARA's
   remediation of a non-positive-definite projected covariance; flagged).
5. Miss vector in principal coordinates (xm, zm) = |r| (|V1_x|, |V1_z|).
6. Pc = integral over x in [xm - R, xm + R] of
       N(x; 0, sigma_x) * 1/2 [erf((zm + Rx)/(sqrt2 sigma_z)) - erf((zm - Rx)/(sqrt2 sigma_z))] dx,
   with Rx = sqrt(R^2 - (x - xm)^2): the z-integral over each chord is analytic, the x-integral
   is done numerically (here: Gauss-Legendre in x = xm + R sin(theta), which removes the
   square-root end-point singularity; an adaptive integration with break points when the
   Gaussian is narrow compared with the circle).

Everything is vectorised over n conjunctions: positions (n, 3) m, velocities (n, 3) m/s,
covariances (n, 3, 3) or (n, 6, 6) inertial (m**2), HBR (n,) or scalar m.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, special

from orbitwatch.collision.encounter import nearby_ca_linear

__all__ = ["Pc2DResult", "PcResult", "pc_circle", "pc_circle_foster", "erf_diff",
           "encounter_plane", "pc_equal_area_square"]

_GL_N = 64
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_GL_N)
_SQRT2 = np.sqrt(2.0)


@dataclass
class PcResult:
    """A single probability with how it was obtained."""

    value: float
    method: str
    flags: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __float__(self) -> float:
        return float(self.value)


@dataclass
class Pc2DResult:
    """Vectorised 2D-Pc output, arrays shaped (n,)."""

    pc: np.ndarray
    method: str
    remediated: np.ndarray
    positive_definite: np.ndarray
    xm_m: np.ndarray
    zm_m: np.ndarray
    sigma_x_m: np.ndarray
    sigma_z_m: np.ndarray
    dtca_s: np.ndarray


def erf_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """erf(a) - erf(b) without cancellation in the tails (uses erfc when a, b share a sign)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    out = special.erf(a) - special.erf(b)
    pos = (a >= 0) & (b >= 0)
    neg = (a <= 0) & (b <= 0)
    out = np.where(pos, special.erfc(b) - special.erfc(a), out)
    out = np.where(neg, special.erfc(-a) - special.erfc(-b), out)
    return out


def _as_n3(x, n=None):
    x = np.asarray(x, float)
    if x.ndim == 1:
        x = x[None, :]
    if n is not None and x.shape[0] == 1 and n > 1:
        x = np.repeat(x, n, axis=0)
    return x


def _as_cov3(c, n):
    c = np.asarray(c, float)
    if c.ndim == 2:
        c = c[None]
    c = c[:, :3, :3]
    if c.shape[0] == 1 and n > 1:
        c = np.repeat(c, n, axis=0)
    return c


def encounter_plane(r, v, A):
    """Project covariance A (n,3,3) onto the encounter plane of relative state r, v (n,3).

    Returns (a, b, c): the 2x2 covariance [[a, b], [b, c]] in (x, z) axes, with y along v,
    z along r x v and x = y x z."""
    y = v / np.linalg.norm(v, axis=1, keepdims=True)
    h = np.cross(r, v)
    z = h / np.linalg.norm(h, axis=1, keepdims=True)
    x = np.cross(y, z)
    a = np.einsum("ni,nij,nj->n", x, A, x)
    b = np.einsum("ni,nij,nj->n", x, A, z)
    c = np.einsum("ni,nij,nj->n", z, A, z)
    return a, b, c


def _eig2x2(a, b, c):
    """Eigen-decomposition of symmetric [[a,b],[b,c]]: (L1 >= L2, V1 unit vector for L1)."""
    tr2 = 0.5 * (a + c)
    d = np.sqrt((0.5 * (a - c)) ** 2 + b * b)
    L1 = tr2 + d
    det = a * c - b * b
    with np.errstate(invalid="ignore", divide="ignore"):
        L2 = np.where(L1 != 0, det / L1, tr2 - d)
    use_first = a >= c
    vx = np.where(use_first, L1 - c, b)
    vz = np.where(use_first, b, L1 - a)
    nrm = np.hypot(vx, vz)
    zero = nrm == 0
    vx = np.where(zero, 1.0, vx / np.where(zero, 1.0, nrm))
    vz = np.where(zero, 0.0, vz / np.where(zero, 1.0, nrm))
    return L1, L2, vx, vz


def _circle_integral_gl(xm, zm, sx, sz, R):
    """Vectorised 1D integral (Gauss-Legendre in theta); smooth-integrand regime."""
    # Restrict theta to where the x-Gaussian is not negligible (|x - x*| < 13 sigma_x,
    # x* = point of the chord interval closest to the Gaussian centre).
    xlo, xhi = xm - R, xm + R
    xstar = np.clip(0.0, xlo, xhi)
    lo = np.maximum(xlo, xstar - 13.0 * sx)
    hi = np.minimum(xhi, xstar + 13.0 * sx)
    tlo = np.arcsin(np.clip((lo - xm) / R, -1.0, 1.0))
    thi = np.arcsin(np.clip((hi - xm) / R, -1.0, 1.0))
    half = 0.5 * (thi - tlo)
    mid = 0.5 * (thi + tlo)
    th = mid[:, None] + half[:, None] * _GL_X[None, :]
    cos_t = np.cos(th)
    x = xm[:, None] + R[:, None] * np.sin(th)
    rx = R[:, None] * cos_t
    dz = _SQRT2 * sz[:, None]
    a = (zm[:, None] + rx) / dz  # >= 0
    b = (zm[:, None] - rx) / dz
    # erf(a) - erf(b) with one special-function pair per node: erfc form when b >= 0
    # (both in the upper tail), erf(a) + erf(-b) otherwise (no cancellation either way)
    pos = b >= 0
    ed = np.empty_like(a)
    ed[pos] = special.erfc(b[pos]) - special.erfc(a[pos])
    neg = ~pos
    ed[neg] = special.erf(a[neg]) + special.erf(-b[neg])
    f = np.exp(-0.5 * (x / sx[:, None]) ** 2) * ed * rx  # dx = R cos(theta) dtheta
    s = np.sum(f * _GL_W[None, :], axis=1) * half
    return s / (2.0 * np.sqrt(2.0 * np.pi) * sx)


def _circle_integral_adaptive(xm, zm, sx, sz, R):
    """Scalar adaptive integration with break points (narrow-Gaussian regime)."""
    dz = _SQRT2 * sz

    def fx(t):
        rx = R * np.cos(t)
        x = xm + R * np.sin(t)
        return np.exp(-0.5 * (x / sx) ** 2) * erf_diff((zm + rx) / dz, (zm - rx) / dz) * rx

    xlo, xhi = xm - R, xm + R
    xstar = min(max(0.0, xlo), xhi)
    lo = max(xlo, xstar - 13.0 * sx)
    hi = min(xhi, xstar + 13.0 * sx)
    if hi <= lo:
        return 0.0
    tlo = np.arcsin(np.clip((lo - xm) / R, -1, 1))
    thi = np.arcsin(np.clip((hi - xm) / R, -1, 1))
    pts = []
    # where the chord half-length crosses zm (edge of the z-Gaussian), and x = 0 (peak)
    if zm < R:
        c = np.arccos(zm / R)
        pts += [-c, c]
    if xlo < 0 < xhi:
        pts.append(np.arcsin(-xm / R))
    for k in (-3, -1, 1, 3):
        for base in (0.0,):
            xx = base + k * sx
            if xlo < xx < xhi:
                pts.append(np.arcsin((xx - xm) / R))
    pts = sorted(p for p in set(pts) if tlo < p < thi)
    edges = [tlo, *pts, thi]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        val, _ = integrate.quad(fx, a, b, epsabs=0.0, epsrel=1e-11, limit=400)
        total += val
    return total / (2.0 * np.sqrt(2.0 * np.pi) * sx)


def pc_circle(r1, v1, cov1, r2, v2, cov2, hbr_m, *, adjust_tca: bool = True) -> Pc2DResult:
    """Vectorised Foster 2D-Pc over the hard-body circle (CARA PcCircle conventions).

    r1, v1, r2, v2: (n, 3) or (3,) inertial, m and m/s; cov1, cov2: (n, 3|6, 3|6) or single
    matrices, inertial, m**2; hbr_m: scalar or (n,).  With ``adjust_tca`` the states are first
    moved to the linear-motion close approach (for millisecond-rounded CDM TCAs).
    """
    r1 = _as_n3(r1)
    n = r1.shape[0]
    r1 = _as_n3(r1, n)
    v1 = _as_n3(v1, n)
    r2 = _as_n3(r2, n)
    v2 = _as_n3(v2, n)
    n = max(r1.shape[0], r2.shape[0])
    r1, v1, r2, v2 = (_as_n3(a, n) for a in (r1, v1, r2, v2))
    A = _as_cov3(cov1, n) + _as_cov3(cov2, n)
    R = np.broadcast_to(np.asarray(hbr_m, float), (n,)).astype(float)
    R = np.where(R < 0, 0.0, R)
    if adjust_tca:
        dtca, r1, r2 = nearby_ca_linear(r1, v1, r2, v2)
    else:
        dtca = np.zeros(n)
    r = r1 - r2
    v = v1 - v2
    rmag = np.linalg.norm(r, axis=1)
    vmag = np.linalg.norm(v, axis=1)
    # Zero miss distance (Alfano 2009 cases): nudge perpendicular to v so a frame exists.
    reps = np.maximum(10 * np.spacing(rmag), 1e-6 * np.where(np.isfinite(R), R, 0.0))
    small = rmag < reps
    if small.any():
        rsum = r1[small] + r2[small]
        nudge = np.cross(rsum, v[small])
        nudge /= (np.linalg.norm(rsum, axis=1) * vmag[small])[:, None]
        r[small] = r[small] + reps[small, None] * nudge
        rmag = np.linalg.norm(r, axis=1)
    zero_v = vmag == 0
    vv = np.where(zero_v[:, None], np.array([1.0, 0.0, 0.0]), v)
    a, b, c = encounter_plane(r, vv, A)
    L1, L2, vx, vz = _eig2x2(a, b, c)
    bad = ~(L1 > 0)
    finite = np.isfinite(R)
    clip = (1e-4 * R) ** 2
    rem1 = (L1 < clip) & finite
    rem2 = (L2 < clip) & finite
    L1 = np.where(rem1, clip, L1)
    L2 = np.where(rem2, clip, L2)
    sx = np.sqrt(np.where(L1 > 0, L1, np.nan))
    sz = np.sqrt(np.where(L2 > 0, L2, np.nan))
    xm = rmag * np.abs(vx)
    zm = rmag * np.abs(vz)
    pc = np.full(n, np.nan)
    ok = ~bad & finite & (R > 0) & ~zero_v & np.isfinite(sx) & np.isfinite(sz)
    smooth = ok & (sx >= 0.25 * R) & (sz >= 0.25 * R)
    if smooth.any():
        pc[smooth] = _circle_integral_gl(xm[smooth], zm[smooth], sx[smooth], sz[smooth], R[smooth])
    for k in np.nonzero(ok & ~smooth)[0]:
        pc[k] = _circle_integral_adaptive(xm[k], zm[k], sx[k], sz[k], R[k])
    pc = np.where(~finite, 1.0, pc)
    pc = np.where(R == 0, 0.0, pc)
    pc = np.where(zero_v, np.nan, pc)
    pc = np.where(bad & finite, np.nan, pc)
    pc = np.clip(pc, 0.0, 1.0)
    return Pc2DResult(pc=pc, method="foster_1992_circle", remediated=rem1 | rem2,
                      positive_definite=L2 > 0, xm_m=xm, zm_m=zm, sigma_x_m=sx,
                      sigma_z_m=sz, dtca_s=dtca)


def pc_circle_foster(r1, v1, cov1, r2, v2, cov2, hbr_m, *, adjust_tca: bool = True) -> PcResult:
    """Single-conjunction Foster 2D-Pc (see :func:`pc_circle`), as a :class:`PcResult`."""
    res = pc_circle(r1, v1, cov1, r2, v2, cov2, hbr_m, adjust_tca=adjust_tca)
    warns = []
    if res.remediated[0]:
        warns.append("projected 2x2 covariance eigenvalue(s) below (1e-4 HBR)^2 clipped to that "
                     "value (CARA eigenvalue-clipping remediation)")
    if not np.isfinite(res.pc[0]):
        warns.append("2D-Pc undefined (zero relative velocity or no positive covariance eigenvalue)")
    return PcResult(
        value=float(res.pc[0]),
        method="foster_1992_circle" + ("_tca_adjusted" if adjust_tca else ""),
        flags={"remediated": bool(res.remediated[0]), "dtca_s": float(res.dtca_s[0]),
               "sigma_x_m": float(res.sigma_x_m[0]), "sigma_z_m": float(res.sigma_z_m[0]),
               "xm_m": float(res.xm_m[0]), "zm_m": float(res.zm_m[0])},
        warnings=warns,
    )


def pc_equal_area_square(xm, zm, sx, sz, R):
    """Analytic Pc over the square of equal area to the HBR circle (Alfano 2005 / Chan);
    a fast approximation used as a cross-check."""
    h = np.sqrt(np.pi / 4.0) * np.asarray(R, float)
    dx = _SQRT2 * sx
    dz = _SQRT2 * sz
    return 0.25 * erf_diff((xm + h) / dx, (xm - h) / dx) * erf_diff((zm + h) / dz, (zm - h) / dz)
