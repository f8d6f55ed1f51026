"""Monte Carlo probability of collision from the two objects' 6x6 covariances.

Method ("simple-dynamics Monte Carlo", as in Hall et al., "High-fidelity collision
probabilities estimated using brute force Monte Carlo simulations", AAS 18-244, and NASA
CARA's Pc_SDMC): draw each object's TCA state from its Gaussian (by default in equinoctial
elements, the covariance mapped from the inertial 6x6 one), propagate every pair with two-body (Keplerian) motion, find the pair's
closest approach near TCA (Newton iterations on d/dt |dr|^2 = 0 starting from the
linear-motion estimate), and count a hit when the miss distance is below the combined HBR.

The estimate is hits/N with a two-sided 95% Clopper-Pearson interval.  Samples are drawn in
batches with a seeded ``numpy.random.Generator`` until the interval is tight enough, a
sample cap, or a wall-time budget is reached (all reported).

Limits: the closest approach found is the one nearest TCA (encounters that last a large
fraction of an orbit, e.g. co-orbiting objects, need the 3D-Nc instead).  Pc values far
below 1/N cannot be resolved: with no hits the interval is [0, 3.7/N]; a warning says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from orbitwatch.collision.nc3d import GM_M3_S2, cart_to_equinoctial, equinoctial_to_cart

__all__ = ["McResult", "pc_monte_carlo", "clopper_pearson"]


@dataclass
class McResult:
    value: float
    ci95_low: float
    ci95_high: float
    samples: int
    hits: int
    method: str = "monte_carlo_two_body"
    seed: int | None = None
    elapsed_s: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"value": self.value, "ci95_low": self.ci95_low, "ci95_high": self.ci95_high,
                "samples": self.samples, "hits": self.hits, "method": self.method}


def clopper_pearson(hits: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact binomial (Clopper & Pearson 1934) two-sided interval."""
    alpha = 1.0 - conf
    lo = 0.0 if hits == 0 else float(stats.beta.ppf(alpha / 2, hits, n - hits + 1))
    hi = 1.0 if hits == n else float(stats.beta.ppf(1 - alpha / 2, hits + 1, n - hits))
    return lo, hi


def _state(E, dt, gm):
    """Two-body state (N,6) at dt (N,) from equinoctial elements E (N,6) at t = 0."""
    Et = E.copy()
    Et[:, 5] = Et[:, 5] + Et[:, 0] * dt
    return equinoctial_to_cart(Et, gm)


def _closest_approach_window(E1, E2, gm, window, n_grid):
    """Global closest approach in ``window`` (s from TCA): separation on an n_grid scan, then
    Newton refinement from the best grid time (slow or long encounters)."""
    ts = np.linspace(window[0], window[1], n_grid)
    best_d = np.full(E1.shape[0], np.inf)
    best_t = np.zeros(E1.shape[0])
    for t in ts:
        tt = np.full(E1.shape[0], t)
        d = np.linalg.norm(_state(E2, tt, gm)[:, :3] - _state(E1, tt, gm)[:, :3], axis=1)
        better = d < best_d
        best_d[better] = d[better]
        best_t[better] = t
    h = (window[1] - window[0]) / max(n_grid - 1, 1)
    t = best_t.copy()
    for _ in range(8):
        y1 = _state(E1, t, gm)
        y2 = _state(E2, t, gm)
        dr = y2[:, :3] - y1[:, :3]
        dv = y2[:, 3:] - y1[:, 3:]
        a1 = -gm * y1[:, :3] / np.linalg.norm(y1[:, :3], axis=1, keepdims=True) ** 3
        a2 = -gm * y2[:, :3] / np.linalg.norm(y2[:, :3], axis=1, keepdims=True) ** 3
        f = np.sum(dr * dv, axis=1)
        dv2 = np.sum(dv * dv, axis=1)
        fp = dv2 + np.sum(dr * (a2 - a1), axis=1)
        step = np.where(fp > 0, f / np.where(fp > 0, fp, 1.0), 0.0)
        t = np.clip(t - step, best_t - h, best_t + h)
    y1 = _state(E1, t, gm)
    y2 = _state(E2, t, gm)
    return np.minimum(best_d, np.linalg.norm(y2[:, :3] - y1[:, :3], axis=1))


def _closest_approach(x1, x2, gm, iters=8, E1=None, E2=None):
    """Miss distance (N,) [m] at the two-body closest approach nearest t = 0 (Newton on
    d/dt |dr|^2 = 0 from the linear-motion estimate).  x: (N,6) states at t = 0; E: their
    equinoctial elements if already known."""
    if E1 is None:
        E1 = cart_to_equinoctial(x1[:, :3], x1[:, 3:], gm)
    if E2 is None:
        E2 = cart_to_equinoctial(x2[:, :3], x2[:, 3:], gm)
    dr = x2[:, :3] - x1[:, :3]
    dv = x2[:, 3:] - x1[:, 3:]
    t = -np.sum(dr * dv, axis=1) / np.sum(dv * dv, axis=1)
    active = np.ones(t.size, bool)
    miss = np.empty(t.size)
    for _ in range(iters):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        y1 = _state(E1[idx], t[idx], gm)
        y2 = _state(E2[idx], t[idx], gm)
        dr = y2[:, :3] - y1[:, :3]
        dv = y2[:, 3:] - y1[:, 3:]
        miss[idx] = np.linalg.norm(dr, axis=1)
        a1 = -gm * y1[:, :3] / np.linalg.norm(y1[:, :3], axis=1, keepdims=True) ** 3
        a2 = -gm * y2[:, :3] / np.linalg.norm(y2[:, :3], axis=1, keepdims=True) ** 3
        f = np.sum(dr * dv, axis=1)
        dv2 = np.sum(dv * dv, axis=1)
        fp = dv2 + np.sum(dr * (a2 - a1), axis=1)
        step = f / np.where(fp > 0, fp, dv2)
        t[idx] = t[idx] - step
        # converged when the step moves the objects by < 1 mm
        done = np.abs(step) * np.sqrt(dv2) < 1e-3
        active[idx[done]] = False
    idx = np.nonzero(active)[0]
    if idx.size:
        y1 = _state(E1[idx], t[idx], gm)
        y2 = _state(E2[idx], t[idx], gm)
        miss[idx] = np.linalg.norm(y2[:, :3] - y1[:, :3], axis=1)
    return miss


def _chol(C):
    if not np.all(np.isfinite(C)):
        raise ValueError("covariance has non-finite elements")
    w, V = np.linalg.eigh(0.5 * (C + C.T))
    repaired = bool(np.any(w < 0))
    return V * np.sqrt(np.clip(w, 0.0, None)), repaired


def pc_monte_carlo(r1, v1, C1, r2, v2, C2, hbr_m, *, seed: int = 0, max_samples: int = 2_000_000,
                   batch: int = 100_000, rel_halfwidth: float = 0.05, time_budget_s: float = 20.0,
                   min_samples: int = 100_000, gm: float = GM_M3_S2,
                   sampling: str = "equinoctial", window_s: tuple[float, float] | None = None,
                   n_grid: int = 200) -> McResult:
    """Monte Carlo Pc.  r, v: (3,) inertial [m, m/s] at TCA; C: (6,6) inertial covariances.

    ``sampling``: "equinoctial" (default) draws each object's state from the Gaussian in
    equinoctial elements with covariance K C K^T (K = dE/dX at the mean), so that along-track
    errors follow the curved orbit -- the PDF model of Hall (2021) and of CARA's SDMC; with
    along-track sigmas of tens of km a Cartesian Gaussian puts samples km off the orbit
    radially.  "cartesian" samples the Cartesian Gaussian directly.

    ``window_s`` (seconds from TCA): search each pair's closest approach over this window
    (``n_grid``-point scan + Newton) instead of only near TCA -- for slow or long encounters,
    where the collision-rate peak can lie far from the nominal TCA (use the 3D-Nc window).

    Stops when the 95% interval half-width is below ``rel_halfwidth`` x estimate (after at least
    ``min_samples``), or at ``max_samples``, or after ``time_budget_s`` seconds."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    x1m = np.concatenate([np.asarray(r1, float).reshape(3), np.asarray(v1, float).reshape(3)])
    x2m = np.concatenate([np.asarray(r2, float).reshape(3), np.asarray(v2, float).reshape(3)])
    warns = []
    C1 = np.asarray(C1, float)
    C2 = np.asarray(C2, float)
    if sampling == "equinoctial":
        from orbitwatch.collision.nc3d import _equinoctial_setup, _retrograde_reorient

        # the Pc is rotation invariant: rotate axes away from exactly retrograde orbits,
        # where equinoctial elements are singular
        a1, b1, C1r, a2, b2, C2r, _ = _retrograde_reorient(x1m[:3], x1m[3:], C1, x2m[:3],
                                                            x2m[3:], C2)
        with np.errstate(invalid="ignore", divide="ignore"):
            E1m, Q1 = _equinoctial_setup(a1, b1, C1r, gm)
            E2m, Q2 = _equinoctial_setup(a2, b2, C2r, gm)
        if all(np.all(np.isfinite(x)) for x in (E1m, Q1, E2m, Q2)):
            L1, rep1 = _chol(Q1)
            L2, rep2 = _chol(Q2)
        else:
            warns.append("equinoctial elements undefined; Cartesian sampling used")
            sampling = "cartesian"
    if sampling == "cartesian":
        L1, rep1 = _chol(C1)
        L2, rep2 = _chol(C2)
    elif sampling != "equinoctial":
        raise ValueError("sampling must be 'equinoctial' or 'cartesian'")
    if rep1 or rep2:
        warns.append("covariance not positive semi-definite: negative eigenvalues set to zero "
                      "for sampling")
    hits = 0
    n = 0
    while n < max_samples:
        m = min(batch, max_samples - n)
        with np.errstate(invalid="ignore", divide="ignore"):
            if sampling == "equinoctial":
                E1 = E1m + rng.standard_normal((m, 6)) @ L1.T
                E2 = E2m + rng.standard_normal((m, 6)) @ L2.T
                if window_s is not None:
                    miss = _closest_approach_window(E1, E2, gm, window_s, n_grid)
                else:
                    x1 = equinoctial_to_cart(E1, gm)
                    x2 = equinoctial_to_cart(E2, gm)
                    miss = _closest_approach(x1, x2, gm, E1=E1, E2=E2)
            else:
                x1 = x1m + rng.standard_normal((m, 6)) @ L1.T
                x2 = x2m + rng.standard_normal((m, 6)) @ L2.T
                miss = _closest_approach(x1, x2, gm)
        hits += int(np.sum(miss < hbr_m))
        n += m
        if n >= min_samples and hits > 0:
            lo, hi = clopper_pearson(hits, n)
            p = hits / n
            if 0.5 * (hi - lo) <= rel_halfwidth * p:
                break
        if time.perf_counter() - t0 > time_budget_s and n >= min(min_samples, max_samples):
            warns.append(f"time budget {time_budget_s:.0f} s reached after {n} samples")
            break
    lo, hi = clopper_pearson(hits, n)
    if hits == 0:
        warns.append(f"no hits in {n} samples: Pc below ~{hi:.1e} cannot be resolved by plain "
                     "Monte Carlo (use 3D-Nc)")
    return McResult(value=hits / n, ci95_low=lo, ci95_high=hi, samples=n, hits=hits, seed=seed,
                    elapsed_s=time.perf_counter() - t0, warnings=warns)
