"""Monte Carlo probability of collision from the two objects' 6x6 covariances.

Method ("simple-dynamics Monte Carlo", as in Hall et al., "High-fidelity collision
probabilities estimated using brute force Monte Carlo simulations", AAS 18-244, and NASA
CARA's Pc_SDMC): draw each object's TCA state from its Gaussian (by default in equinoctial
elements, the covariance mapped from the inertial 6x6 one), propagate every pair with two-body (Keplerian) motion, find the pair's
closest approach near TCA (Newton iterations on d/dt |dr|^2 = 0 starting from the
linear-motion estimate), and count a hit when the miss distance is below the combined HBR.

Plain sampling: the estimate is hits/N with a two-sided 95% Clopper-Pearson interval.
Importance sampling (default below a linearised Pc of 1e-3): the two objects' draws are
moved towards the design point of the hit region (first-order reliability method) with a
defensive mixture proposal, each sample is weighted by its likelihood ratio, and the 95%
interval is the normal-theory one from the weighted sample's standard error (see
``_DesignPointIS``).  This resolves Pc of 1e-7 with 1e4..1e5 samples.  Samples are drawn
in batches with a seeded ``numpy.random.Generator`` until the interval is tight enough, a
sample cap, or a wall-time budget is reached (all reported).

Limits: the closest approach found is the one nearest TCA (encounters that last a large
fraction of an orbit, e.g. co-orbiting objects, need the 3D-Nc instead; with ``window_s``
the default is plain sampling, since the encounter plane is then not meaningful).  Plain
sampling cannot resolve Pc far below 1/N: with no hits the interval is [0, 3.7/N]; a
warning says so.
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
    std_error: float | None = None
    effective_samples: float | None = None

    def as_dict(self) -> dict:
        return {"value": self.value, "ci95_low": self.ci95_low, "ci95_high": self.ci95_high,
                "samples": self.samples, "hits": self.hits, "method": self.method,
                "std_error": self.std_error}


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


def _closest_approach(x1, x2, gm, iters=8, E1=None, E2=None, return_dr=False):
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
    if return_dr:
        y1 = _state(E1, t, gm)
        y2 = _state(E2, t, gm)
        return y2[:, :3] - y1[:, :3]
    return miss


class _DesignPointIS:
    """Defensive importance sampling about the design point of the hit region.

    z (12,) are the two objects' standard-normal draws (x_k = mean_k + L_k z_k, in equinoctial
    elements or Cartesian).  y(z) (2,) is the relative position at the pair's two-body closest
    approach, in the plane normal to the nominal relative velocity; a hit is |y| < R.  The
    design point z* is the most probable z with y(z) = 0, found by the Hasofer-Lind /
    Rackwitz-Fiessler iteration of the first-order reliability method (Rackwitz & Fiessler
    1978), with central-difference Jacobians of the full two-body map, so that along-track
    errors of hundreds of km (which move the encounter along the curved orbit) are followed.

    With B = dy/dz at z* = U s V^T, only a = V^T z (2,) moves y to first order
    (y ~ U s (a - a*), a* = V^T z*); the other 10 components of z are always drawn from their
    exact nominal law N(0, I).  a is drawn from a mixture: with probability alpha from the
    nominal N(0, I) (defensive mixture, Hesterberg 1995), otherwise from one of three
    Gaussians that cover the hit disk in a (see __init__).  Each sample's weight is the
    likelihood ratio of a alone,
        w = N(a; 0, I) / (alpha N(a; 0, I) + (1 - alpha)/3 sum_k q_k(a)) <= 1/alpha,
    so mean(w * hit) is an unbiased estimate of Pc whatever the hit test and however poor
    the linearisation (which only decides the efficiency), and its standard error is
    std(w * hit)/sqrt(N).  Validity needs only that the proposal is positive wherever the
    nominal density is, which the defensive component guarantees."""

    def __init__(self, ymap, R, alpha=0.2, h=1e-4, iters=30, window=4.0):
        self.alpha = alpha
        z = np.zeros(12)
        B = None
        for _ in range(iters):
            Z = np.vstack([z, z + h * np.eye(12), z - h * np.eye(12)])
            Y = ymap(Z)
            B = (Y[1:13] - Y[13:]).T / (2 * h)  # (2,12)
            S = B @ B.T
            zn = B.T @ np.linalg.solve(S, B @ z - Y[0])
            step = np.linalg.norm(zn - z)
            z = zn
            if step < 1e-6 * max(1.0, np.linalg.norm(z)):
                break
        if not np.all(np.isfinite(z)) or B is None or not np.all(np.isfinite(B)):
            raise np.linalg.LinAlgError("design point not found")
        U, sv, Vt = np.linalg.svd(B, full_matrices=False)
        if not sv[-1] > 0:
            raise np.linalg.LinAlgError("encounter-plane map is singular")
        self.zstar = z
        self.V = Vt.T  # (12,2)
        self.Us = U * sv  # y = Us (a - a*)
        self.Usinv = np.linalg.inv(self.Us)
        self.astar = Vt @ z
        lam, W = np.linalg.eigh(B @ B.T)
        self.D = (W * np.minimum(lam, R * R)) @ W.T
        self.LD = np.linalg.cholesky(self.D)
        # Three proposal components in a (balance-heuristic mixture, each drawn with
        # probability (1 - alpha)/3):
        #  1. the disk seen in a: N(a*, Cd), Cd = Usinv D Usinv^T;
        #  2. the Gaussian product of a narrower window N(a*, Cd/window) and the nominal
        #     N(0, I): covariance (I + window Cd^-1)^-1, mean shifted towards the nominal mean.
        #     Where the nominal density falls steeply across the disk, this follows the
        #     target density; where it is flat it is the window itself.
        Cd = self.Usinv @ self.D @ self.Usinv.T
        Cd = 0.5 * (Cd + Cd.T)
        Cwinv = np.linalg.inv(Cd / window)
        Cp = np.linalg.inv(np.eye(2) + Cwinv)
        Cp = 0.5 * (Cp + Cp.T)
        #  3. the product covariance about the most probable point of the disk (its edge
        #     nearest the nominal mean when the nominal sigma across the disk is below R).
        ring = np.linspace(0.0, 2 * np.pi, 3601)
        edge = self.astar + (R * np.stack([np.cos(ring), np.sin(ring)], axis=1)) @ self.Usinv.T
        a_mp = edge[np.argmin(np.sum(edge * edge, axis=1))]
        if np.sum((self.Us @ self.astar) ** 2) <= R * R:  # nominal mean inside the disk
            a_mp = np.zeros(2)
        self.comp = []
        for mean, cov in ((self.astar, Cd), (Cp @ Cwinv @ self.astar, Cp), (a_mp, Cp)):
            self.comp.append((mean, np.linalg.cholesky(cov), np.linalg.inv(cov),
                              np.linalg.slogdet(cov)[1]))
        self.design_beta = float(np.linalg.norm(z))

    def linear_pc(self, rng, R, m=100_000):
        """Pc of the problem linearised at the design point, P(|Us (a - a*)| < R)."""
        _, w, a = self.draw(rng, m, return_a=True)
        y = (a - self.astar) @ self.Us.T
        return float(np.mean(w * (np.sum(y * y, axis=1) < R * R)))

    def draw(self, rng, m, return_a=False):
        """z (m,12) and weights w (m,)."""
        g = rng.standard_normal((m, 12))
        u = rng.random(m)
        nc = len(self.comp)
        which = np.where(u < self.alpha, -1,
                         np.minimum(((u - self.alpha) / (1 - self.alpha) * nc).astype(int), nc - 1))
        a_nom = g @ self.V
        a = a_nom.copy()
        e = rng.standard_normal((m, 2))
        for k, (mean, L, _, _) in enumerate(self.comp):
            sel = which == k
            a[sel] = mean + e[sel] @ L.T
        z = g + (a - a_nom) @ self.V.T
        lp = -0.5 * np.sum(a * a, axis=1)
        ratio = np.zeros(m)  # sum_k q_k(a) / p(a)
        for mean, _, Cinv, logdet in self.comp:
            d = a - mean
            lq = -0.5 * (np.einsum("mi,ij,mj->m", d, Cinv, d) + logdet)
            ratio += np.exp(np.minimum(lq - lp, 700.0))
        w = 1.0 / (self.alpha + (1.0 - self.alpha) / nc * ratio)
        return (z, w, a) if return_a else (z, w)


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
                   n_grid: int = 200, estimator: str = "auto",
                   is_below_pc: float = 1e-3) -> McResult:
    """Monte Carlo Pc.  r, v: (3,) inertial [m, m/s] at TCA; C: (6,6) inertial covariances.

    ``sampling``: "equinoctial" (default) draws each object's state from the Gaussian in
    equinoctial elements with covariance K C K^T (K = dE/dX at the mean), so that along-track
    errors follow the curved orbit -- the PDF model of Hall (2021) and of CARA's SDMC; with
    along-track sigmas of tens of km a Cartesian Gaussian puts samples km off the orbit
    radially.  "cartesian" samples the Cartesian Gaussian directly.

    ``window_s`` (seconds from TCA): search each pair's closest approach over this window
    (``n_grid``-point scan + Newton) instead of only near TCA -- for slow or long encounters,
    where the collision-rate peak can lie far from the nominal TCA (use the 3D-Nc window).

    ``estimator``: "plain" counts hits (Clopper-Pearson interval); "importance" draws the
    encounter-plane component of the samples from a defensive mixture centred on the
    hard-body disk and weights each sample by its likelihood ratio (see
    ``_EncounterPlaneIS``; normal-theory 95% interval from the weighted-sample standard
    error; method "monte_carlo_two_body_importance"); "auto" (default) uses importance
    sampling when the linearised Pc is below ``is_below_pc`` and no ``window_s`` is given
    (for slow, long encounters the encounter plane is not meaningful).

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
    if estimator not in ("auto", "plain", "importance"):
        raise ValueError("estimator must be 'auto', 'plain' or 'importance'")
    isamp = None
    if estimator != "plain" and not (estimator == "auto" and window_s is not None):
        dv = x2m[3:] - x1m[3:]
        xh = dv / np.linalg.norm(dv)
        ax = np.array([1.0, 0, 0]) if abs(xh[0]) < 0.9 else np.array([0, 1.0, 0])
        e1 = np.cross(xh, ax)
        e1 /= np.linalg.norm(e1)
        Pm = np.stack([e1, np.cross(xh, e1)])

        def ymap(Z):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                if sampling == "equinoctial":
                    Ea = E1m + Z[:, :6] @ L1.T
                    Eb = E2m + Z[:, 6:] @ L2.T
                    dr = _closest_approach(equinoctial_to_cart(Ea, gm), equinoctial_to_cart(Eb, gm),
                                           gm, E1=Ea, E2=Eb, return_dr=True)
                else:
                    dr = _closest_approach(x1m + Z[:, :6] @ L1.T, x2m + Z[:, 6:] @ L2.T, gm,
                                           return_dr=True)
            return dr @ Pm.T

        try:
            isamp = _DesignPointIS(ymap, float(hbr_m))
            if estimator == "auto":
                # plain sampling where it resolves Pc in reasonable time: judge from the
                # Pc of the problem linearised at the design point
                if isamp.linear_pc(np.random.default_rng([seed, 1]), float(hbr_m)) >= is_below_pc:
                    isamp = None
        except (np.linalg.LinAlgError, ValueError):
            warns.append("importance sampling: design point not found; plain sampling used")
            isamp = None
    hits = 0
    n = 0
    sw = 0.0
    sw2 = 0.0
    while n < max_samples:
        m = min(batch, max_samples - n)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if isamp is not None:
                z, w = isamp.draw(rng, m)
                z1, z2 = z[:, :6], z[:, 6:]
            else:
                z1 = rng.standard_normal((m, 6))
                z2 = rng.standard_normal((m, 6))
                w = None
            if sampling == "equinoctial":
                E1 = E1m + z1 @ L1.T
                E2 = E2m + z2 @ L2.T
                if window_s is not None:
                    miss = _closest_approach_window(E1, E2, gm, window_s, n_grid)
                else:
                    x1 = equinoctial_to_cart(E1, gm)
                    x2 = equinoctial_to_cart(E2, gm)
                    miss = _closest_approach(x1, x2, gm, E1=E1, E2=E2)
            else:
                x1 = x1m + z1 @ L1.T
                x2 = x2m + z2 @ L2.T
                miss = _closest_approach(x1, x2, gm)
        hit = miss < hbr_m
        hits += int(np.sum(hit))
        n += m
        if isamp is not None:
            wh = np.where(hit, w, 0.0)
            sw += float(np.sum(wh))
            sw2 += float(np.sum(wh * wh))
        if n >= min_samples and hits > 0:
            if isamp is not None:
                p = sw / n
                half = 1.96 * np.sqrt(max(sw2 / n - p * p, 0.0) / (n - 1))
            else:
                lo, hi = clopper_pearson(hits, n)
                p = hits / n
                half = 0.5 * (hi - lo)
            if half <= rel_halfwidth * p:
                break
        if time.perf_counter() - t0 > time_budget_s and n >= min(min_samples, max_samples):
            warns.append(f"time budget {time_budget_s:.0f} s reached after {n} samples")
            break
    if isamp is not None:
        p = sw / n
        se = np.sqrt(max(sw2 / n - p * p, 0.0) / (n - 1))
        ess = sw * sw / sw2 if sw2 > 0 else 0.0
        if hits < 30:
            warns.append(f"importance sampling: only {hits} hits; the normal-theory interval "
                         "is unreliable")
        return McResult(value=p, ci95_low=max(0.0, p - 1.96 * se), ci95_high=p + 1.96 * se,
                        samples=n, hits=hits, method="monte_carlo_two_body_importance",
                        seed=seed, elapsed_s=time.perf_counter() - t0, warnings=warns,
                        std_error=float(se), effective_samples=float(ess))
    lo, hi = clopper_pearson(hits, n)
    if hits == 0:
        warns.append(f"no hits in {n} samples: Pc below ~{hi:.1e} cannot be resolved by plain "
                     "Monte Carlo (use 3D-Nc)")
    return McResult(value=hits / n, ci95_low=lo, ci95_high=hi, samples=n, hits=hits, seed=seed,
                    elapsed_s=time.perf_counter() - t0, warnings=warns,
                    std_error=float(np.sqrt(hits / n * (1 - hits / n) / n)))
