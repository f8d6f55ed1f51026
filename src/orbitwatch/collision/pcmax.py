"""Maximum probability of collision when the covariance is missing or not trusted.

* :func:`pc_max_covariance_scaling` -- Alfano (2005), "Relating Position Uncertainty to
  Maximum Conjunction Probability", J. Astronaut. Sci. 53(2): the combined covariance is
  scaled by k^2 (its shape kept) and the 2D Pc maximised over k.  This is the "max Pc" used
  when the covariance size is doubtful but its shape is believed.
* :func:`pc_max_no_covariance` -- only miss distance d and HBR R known: the largest Pc any
  Gaussian encounter-plane covariance can give (Alfano 2005; also Frisbee's "worst-case"
  bound).  The supremum is approached by a degenerate (1D) covariance whose major axis lies
  along the miss vector, with sigma chosen to maximise the mass inside the chord [d-R, d+R]:
      Pc_max = max_sigma 1/2 [erf((d+R)/(sqrt2 sigma)) - erf((d-R)/(sqrt2 sigma))],
  attained at sigma^2 = 2 d R / ln((d+R)/(d-R)) for d > R (and Pc_max -> 1 for d <= R).
  With an isotropic covariance (aspect ratio 1) the corresponding bound is
  Pc_max ~ R^2 / (e d^2) (small-HBR form, sigma = d/sqrt2), computed here exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from orbitwatch.collision.pc2d import PcResult, pc_circle

__all__ = ["pc_max_covariance_scaling", "pc_max_no_covariance"]


def pc_max_covariance_scaling(r1, v1, cov1, r2, v2, cov2, hbr_m, *, k_min: float = 1e-3,
                              k_max: float = 1e3) -> PcResult:
    """Alfano (2005) maximum of the Foster 2D-Pc over a common scale factor k on both
    covariances (cov -> k^2 cov), k in [k_min, k_max].  Inputs as :func:`pc_circle`."""
    c1 = np.asarray(cov1, float)[:3, :3]
    c2 = np.asarray(cov2, float)[:3, :3]

    def pc_of(logk):
        k2 = np.exp(2 * logk)
        return pc_circle(r1, v1, c1 * k2, r2, v2, c2 * k2, hbr_m).pc[0]

    grid = np.linspace(np.log(k_min), np.log(k_max), 121)
    k2 = np.exp(2 * grid)[:, None, None]
    n = grid.size
    vals = pc_circle(np.broadcast_to(np.asarray(r1, float), (n, 3)),
                     np.broadcast_to(np.asarray(v1, float), (n, 3)), c1[None] * k2,
                     np.broadcast_to(np.asarray(r2, float), (n, 3)),
                     np.broadcast_to(np.asarray(v2, float), (n, 3)), c2[None] * k2, hbr_m).pc
    vals = np.where(np.isfinite(vals), vals, -1.0)
    i = int(np.argmax(vals))
    lo = grid[max(i - 1, 0)]
    hi = grid[min(i + 1, grid.size - 1)]
    if hi > lo:
        res = optimize.minimize_scalar(lambda g: -pc_of(g), bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-6})
        best_g, best = (res.x, -res.fun) if -res.fun >= vals[i] else (grid[i], vals[i])
    else:
        best_g, best = grid[i], vals[i]
    flags = {"k_at_max": float(np.exp(best_g)), "k_range": (k_min, k_max)}
    warns = []
    if i in (0, grid.size - 1):
        warns.append("maximum at the edge of the scale-factor range")
    return PcResult(float(best), "alfano_2005_max_scaled_covariance", flags, warns)


def pc_max_no_covariance(miss_m: float, hbr_m: float, aspect_ratio: float | None = None) -> PcResult:
    """Upper bound on Pc from miss distance and HBR only (see module docstring).

    ``aspect_ratio`` None: worst case over all covariance shapes (degenerate 1D limit);
    a number AR >= 1: worst case over size and orientation for that encounter-plane aspect
    ratio, major axis along the miss vector (numerical maximisation of the circle integral).
    """
    d = float(abs(miss_m))
    R = float(hbr_m)
    if R <= 0:
        return PcResult(0.0, "alfano_2005_max_no_covariance", {})
    if d <= R:
        return PcResult(1.0, "alfano_2005_max_no_covariance", {"sigma_m": 0.0},
                        ["miss distance inside the hard-body radius"])
    if aspect_ratio is None:
        s2 = 2 * d * R / np.log((d + R) / (d - R))
        s = np.sqrt(s2)
        p = 0.5 * (special.erfc((d - R) / (np.sqrt(2) * s)) - special.erfc((d + R) / (np.sqrt(2) * s)))
        return PcResult(float(p), "alfano_2005_max_no_covariance",
                        {"sigma_m": float(s), "aspect_ratio": "inf"})
    ar = float(aspect_ratio)
    r1 = np.array([d, 0.0, 0.0])
    v = np.array([0.0, 1.0, 0.0])

    def pc_sig(logs):
        sz = np.exp(logs)
        sx = ar * sz
        C = np.diag([sx * sx, 1.0, sz * sz])
        return pc_circle(r1, v, C, np.zeros(3), np.zeros(3), np.zeros((3, 3)), R,
                         adjust_tca=False).pc[0]

    g = np.linspace(np.log(R * 1e-3), np.log(d * 10), 200)
    vals = np.array([pc_sig(x) for x in g])
    i = int(np.argmax(vals))
    res = optimize.minimize_scalar(lambda x: -pc_sig(x), bounds=(g[max(i - 1, 0)], g[min(i + 1, 199)]),
                                   method="bounded")
    best = max(-res.fun, vals[i])
    return PcResult(float(best), "alfano_2005_max_no_covariance",
                    {"sigma_minor_m": float(np.exp(res.x)), "aspect_ratio": ar})
