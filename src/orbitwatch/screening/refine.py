"""Refinement: every local minimum of the exact SGP4 distance in a candidate interval.

The distance ``|d(t)|`` (``d = r_2 - r_1``) has a local minimum where
``f(t) = d . d'`` changes sign from negative to non-negative.  For a
candidate interval ``[t_k, t_k+1]``:

* *Convex case.*  ``g = |d|^2/2`` has ``g'' = |d'|^2 + d . d''``.  With the
  bounds of :mod:`orbitwatch.screening.filters` (``|d| <= D``,
  ``|d''| <= A = L D + 2P``, ``|d'| >= v_min = min(|d'(t_k)|, |d'(t_k+1)|) - A h/2``)
  ``g'' > 0`` on the whole interval when ``v_min^2 > D A``.  Then there is at
  most one minimum and it exists iff ``f(t_k) < 0 <= f(t_k+1)``.  This covers
  every ordinary (fast) encounter.
* *Slow case* (co-orbiting objects, formations, docked vehicles).  The
  interval is cut into 8 sub-intervals, ``f`` is evaluated exactly at the cut
  points and every ``- -> +`` sign change becomes a bracket.  Two minima
  closer together than h/8 (7.5 s) inside one candidate interval would be
  reported as one; that is the resolution of the screen for slow motion.

Each bracket is then solved on the exact trajectories (``Satrec.sgp4_array``)
by a vectorized safeguarded Newton iteration (Newton step with the two-body
approximation of ``f'``, bisection whenever the step leaves the bracket),
converged to 1e-6 s, so TCA is exact to well under a millisecond.  A slow
encounter's ``f`` can be flat enough for SGP4's rounding noise to decide its
sign over milliseconds (the ISS and an object 4.9 km from it at 5.6 m/s: ``f``
changes sign about a hundred times within 4 ms of its minimum): there the
iteration stops once the bracket around a sign change is narrower than that
noise band, and never wider than ``NOISE_BRACKET_MAX_S`` (1 ms).
"""

from __future__ import annotations

import numpy as np
from sgp4 import api as sgp4_api

from orbitwatch.screening.filters import (
    MU_KM3_S2,
    chord_error_km,
    lipschitz_s2,
    pair_perturbation_km_s2,
    slow_pair_eligible,
)

DAY_S = 86400.0
SUBDIVISIONS = 8
TOL_S = 1e-6
MAX_ITER = 60
FD_STEP_S = 0.5
# SGP4's position noise (km): its Kepler-equation iteration stops at 1e-12 rad;
# the noise measured on the ISS's slow neighbour is 4e-10 km
SGP4_NOISE_KM = 1e-8
# a bracket narrower than this, and than the time over which f's noise can
# change its sign, is converged (slow encounters only: elsewhere that time is
# far below TOL_S)
NOISE_BRACKET_MAX_S = 1e-3
# the compiled sgp4 extension (Satrec._sgp4 writes into given arrays)
_ACCELERATED = bool(getattr(sgp4_api, "accelerated", False))
_ONES3 = np.ones(3)


class ExactStates:
    """Exact SGP4 states of (object, time) requests, grouped per object.

    ``satrecs``: list of sgp4 ``Satrec``; times are seconds after the split
    Julian date ``(jd0, fr0)`` of the window start.
    """

    def __init__(self, satrecs: list, jd0: float, fr0: float, slow_ok=None) -> None:
        self.satrecs = satrecs
        self.jd0 = jd0
        self.fr0 = fr0
        self.evals = 0
        self._slow_ok = slow_ok

    @property
    def slow_ok(self) -> np.ndarray:
        """(n,) objects the slow-pair perturbation cap applies to."""
        if self._slow_ok is None:
            self._slow_ok = slow_pair_eligible(self.satrecs)
        return self._slow_ok

    def __call__(self, obj: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        obj = np.asarray(obj, dtype=np.int64)
        t_s = np.asarray(t_s, dtype=float)
        m = obj.size
        if m == 0:
            return np.zeros(0, dtype=np.int64), np.empty((0, 3)), np.empty((0, 3))
        self.evals += m
        order = np.argsort(obj, kind="stable")
        so = np.take(obj, order)
        cuts = np.flatnonzero(so[1:] != so[:-1]) + 1
        starts = [0, *cuts.tolist()]
        ends = [*cuts.tolist(), m]
        # each object's requests are contiguous after sorting: SGP4 writes its
        # states straight into slices of the sorted buffers (no per-object copies)
        fr_s = self.fr0 + np.take(t_s, order) / DAY_S
        jd_s = np.full(m, self.jd0)
        e_s = np.empty(m, dtype=np.uint8)
        r_s = np.empty((m, 3))
        v_s = np.empty((m, 3))
        sats = self.satrecs
        for s, e, k in zip(starts, ends, np.take(so, starts).tolist()):
            sat = sats[k]
            if _ACCELERATED:
                sat._sgp4(jd_s[s:e], fr_s[s:e], e_s[s:e], r_s[s:e], v_s[s:e])
            else:  # sgp4's pure-Python fallback has no in-place entry point
                e_s[s:e], r_s[s:e], v_s[s:e] = sat.sgp4_array(jd_s[s:e], fr_s[s:e])
        # back to request order (np.take: faster than scattering rows)
        inv = np.empty(m, dtype=np.int64)
        inv[order] = np.arange(m)
        err = np.take(e_s, inv).astype(np.int64)
        r = np.take(r_s, inv, axis=0)
        v = np.take(v_s, inv, axis=0)
        # a non-finite component makes the row sum non-finite
        bad = ~np.isfinite(r @ _ONES3 + v @ _ONES3)
        err[bad & (err == 0)] = 99
        return err, r, v


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def relative_motion(exact: ExactStates, i: np.ndarray, j: np.ndarray, t_s: np.ndarray):
    """Relative position d = r_j - r_i (km) and its time derivative (km/s) at ``t_s``.

    The derivative is the central difference of SGP4 *positions* over
    +-``FD_STEP_S``, not SGP4's velocity output: SGP4/SDP4 velocities are not
    exactly the derivative of its positions (about 1 cm/s in deep space),
    which would move a slow encounter's minimum by minutes.  Returns
    ``(ok, d, dd, r_i, v_i, r_j, v_j)`` with SGP4's own states at ``t_s``.
    """
    n = t_s.size
    tt = np.concatenate([t_s, t_s - FD_STEP_S, t_s + FD_STEP_S])
    e, r, v = exact(np.concatenate([np.tile(i, 3), np.tile(j, 3)]), np.concatenate([tt, tt]))
    ei, ej, ri, rj, vi, vj = e[: 3 * n], e[3 * n :], r[: 3 * n], r[3 * n :], v[: 3 * n], v[3 * n :]
    ok = ((ei == 0) & (ej == 0)).reshape(3, n).all(axis=0)
    d = rj - ri
    dd = (d[2 * n:] - d[n:2 * n]) / (2.0 * FD_STEP_S)
    return ok, d[:n], dd, ri[:n], vi[:n], rj[:n], vj[:n], np.where(ei[:n] != 0, ei[:n], ej[:n])


def find_brackets(
    cand_i: np.ndarray,
    cand_j: np.ndarray,
    t0_s: np.ndarray,
    h_s: float,
    exact: ExactStates,
    p_sum: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Brackets ``[a, b]`` (s) with ``f(a) < 0 <= f(b)``, ``f = d . d'``; returns (i, j, a, b)."""
    m = cand_i.size
    ok, d, w, *_ = relative_motion(exact, np.tile(cand_i, 2), np.tile(cand_j, 2),
                                   np.concatenate([t0_s, t0_s + h_s]))
    ok0, ok1 = ok[:m], ok[m:]
    ok = ok0 & ok1
    d0, d1 = d[:m], d[m:]
    w0, w1 = w[:m], w[m:]
    f0 = _dot(d0, w0)
    f1 = _dot(d1, w1)
    dmax = np.sqrt(np.maximum(_dot(d0, d0), _dot(d1, d1)))
    slow_ok = exact.slow_ok
    p_pair = pair_perturbation_km_s2(d0, d1, h_s, p_sum, slow_ok[cand_i] & slow_ok[cand_j])
    dbig = dmax + chord_error_km(dmax, h_s, p_pair)
    acc = lipschitz_s2(dbig) * dbig + p_pair
    vmin = np.minimum(np.sqrt(_dot(w0, w0)), np.sqrt(_dot(w1, w1))) - acc * h_s / 2.0
    convex = ok & (vmin > 0.0) & (vmin * vmin > dbig * acc)

    out_i, out_j, out_a, out_b = [], [], [], []
    sel = convex & (f0 < 0.0) & (f1 >= 0.0)
    out_i.append(cand_i[sel])
    out_j.append(cand_j[sel])
    out_a.append(t0_s[sel])
    out_b.append(t0_s[sel] + h_s)

    slow = np.flatnonzero(~convex)
    if slow.size:
        ns = SUBDIVISIONS
        frac = np.arange(ns + 1) / ns
        tall = t0_s[slow][:, None] + frac[None, :] * h_s
        # the end points are known: only the ns - 1 cut points inside are new
        si = np.repeat(cand_i[slow], ns - 1)
        sj = np.repeat(cand_j[slow], ns - 1)
        okm, dm, wm, *_ = relative_motion(exact, si, sj, tall[:, 1:-1].ravel())
        f_in = _dot(dm, wm)
        f_in[~okm] = np.nan
        fall = np.empty((slow.size, ns + 1))
        fall[:, 1:-1] = f_in.reshape(slow.size, ns - 1)
        fall[:, 0] = np.where(ok0[slow], f0[slow], np.nan)
        fall[:, -1] = np.where(ok1[slow], f1[slow], np.nan)
        with np.errstate(invalid="ignore"):
            change = (fall[:, :-1] < 0.0) & (fall[:, 1:] >= 0.0)
        rows, cols = np.nonzero(change)
        out_i.append(cand_i[slow][rows])
        out_j.append(cand_j[slow][rows])
        out_a.append(tall[rows, cols])
        out_b.append(tall[rows, cols + 1])
    return (np.concatenate(out_i), np.concatenate(out_j),
            np.concatenate(out_a), np.concatenate(out_b))


def solve_minima(
    bi: np.ndarray, bj: np.ndarray, a: np.ndarray, b: np.ndarray, exact: ExactStates
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Root of ``f = d . d'`` in each bracket, to ``TOL_S``.

    Returns ``(ok, t, r_i, v_i, r_j, v_j, err_obj)`` where ``ok`` flags
    converged brackets with valid states; ``err_obj`` holds (object index,
    code) of a propagation error met on the way (``-1`` where none).
    """
    n = a.size
    a = a.astype(float).copy()
    b = b.astype(float).copy()
    x = 0.5 * (a + b)
    t = x.copy()
    ok = np.zeros(n, dtype=bool)
    ri, vi, rj, vj = (np.zeros((n, 3)) for _ in range(4))
    err_obj = np.full((n, 2), -1, dtype=np.int64)
    active = np.arange(n)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        xa = x[active]
        good, d, w_, pi, qi, pj, qj, code = relative_motion(exact, bi[active], bj[active], xa)
        if not good.all():
            w = active[~good]
            err_obj[w, 0] = np.where(code[~good] != 0, bi[w], bj[w])
            err_obj[w, 1] = np.where(code[~good] != 0, code[~good], 99)
            active, xa = active[good], xa[good]
            d, w_, pi, qi, pj, qj = d[good], w_[good], pi[good], qi[good], pj[good], qj[good]
        f = _dot(d, w_)
        ni = np.sqrt(_dot(pi, pi))
        nj = np.sqrt(_dot(pj, pj))
        dacc = -MU_KM3_S2 * (pj / nj[:, None] ** 3 - pi / ni[:, None] ** 3)
        w2 = _dot(w_, w_)
        fp = w2 + _dot(d, dacc)
        neg = f < 0.0
        a[active[neg]] = xa[neg]
        b[active[~neg]] = xa[~neg]
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = xa - f / fp
        aa, bb = a[active], b[active]
        inside = (fp > 0.0) & (xn > aa) & (xn < bb) & np.isfinite(xn)
        xn = np.where(inside, xn, 0.5 * (aa + bb))
        step = np.abs(xn - xa)
        # the time over which f's noise (SGP4_NOISE_KM in d and, through the
        # central difference, in d') can change its sign
        with np.errstate(divide="ignore", invalid="ignore"):
            t_noise = SGP4_NOISE_KM * (np.sqrt(w2) + np.sqrt(_dot(d, d)) / FD_STEP_S) / np.abs(fp)
        tol = np.fmin(np.fmax(t_noise, TOL_S), NOISE_BRACKET_MAX_S)  # NaN: TOL_S
        done = (step < TOL_S) | (bb - aa < tol)
        fin = active[done]
        t[fin] = xa[done]
        ri[fin], vi[fin], rj[fin], vj[fin] = pi[done], qi[done], pj[done], qj[done]
        ok[fin] = True
        x[active] = xn
        active = active[~done]
    return ok, t, ri, vi, rj, vj, err_obj
