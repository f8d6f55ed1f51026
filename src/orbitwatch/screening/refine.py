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
converged to 1e-6 s, so TCA is exact to well under a millisecond.
"""

from __future__ import annotations

import numpy as np

from orbitwatch.screening.filters import MU_KM3_S2, chord_error_km, lipschitz_s2

DAY_S = 86400.0
SUBDIVISIONS = 8
TOL_S = 1e-6
MAX_ITER = 60


class ExactStates:
    """Exact SGP4 states of (object, time) requests, grouped per object.

    ``satrecs``: list of sgp4 ``Satrec``; times are seconds after the split
    Julian date ``(jd0, fr0)`` of the window start.
    """

    def __init__(self, satrecs: list, jd0: float, fr0: float) -> None:
        self.satrecs = satrecs
        self.jd0 = jd0
        self.fr0 = fr0
        self.evals = 0

    def __call__(self, obj: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        obj = np.asarray(obj, dtype=np.int64)
        t_s = np.asarray(t_s, dtype=float)
        m = obj.size
        err = np.zeros(m, dtype=np.int64)
        r = np.empty((m, 3))
        v = np.empty((m, 3))
        if m == 0:
            return err, r, v
        self.evals += m
        order = np.argsort(obj, kind="stable")
        so = obj[order]
        cuts = np.flatnonzero(np.diff(so)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [m]))
        fr = self.fr0 + t_s / DAY_S
        jd = np.full(m, self.jd0)
        for s, e in zip(starts.tolist(), ends.tolist()):
            sel = order[s:e]
            ee, rr, vv = self.satrecs[so[s]].sgp4_array(jd[sel], fr[sel])
            err[sel] = ee
            r[sel] = rr
            v[sel] = vv
        bad = ~np.isfinite(r).all(axis=1) | ~np.isfinite(v).all(axis=1)
        err[bad & (err == 0)] = 99
        return err, r, v


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def find_brackets(
    cand_i: np.ndarray,
    cand_j: np.ndarray,
    t0_s: np.ndarray,
    h_s: float,
    r0i: np.ndarray, v0i: np.ndarray, r0j: np.ndarray, v0j: np.ndarray,
    r1i: np.ndarray, v1i: np.ndarray, r1j: np.ndarray, v1j: np.ndarray,
    exact: ExactStates,
    p_sum: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Brackets ``[a, b]`` (s) with ``f(a) < 0 <= f(b)``; returns (i, j, a, b)."""
    d0 = r0j - r0i
    d1 = r1j - r1i
    w0 = v0j - v0i
    w1 = v1j - v1i
    f0 = _dot(d0, w0)
    f1 = _dot(d1, w1)
    dmax = np.sqrt(np.maximum(_dot(d0, d0), _dot(d1, d1)))
    dbig = dmax + chord_error_km(dmax, h_s, p_sum)
    acc = lipschitz_s2(dbig) * dbig + p_sum
    vmin = np.minimum(np.sqrt(_dot(w0, w0)), np.sqrt(_dot(w1, w1))) - acc * h_s / 2.0
    convex = (vmin > 0.0) & (vmin * vmin > dbig * acc)

    out_i, out_j, out_a, out_b = [], [], [], []
    sel = convex & (f0 < 0.0) & (f1 >= 0.0)
    out_i.append(cand_i[sel])
    out_j.append(cand_j[sel])
    out_a.append(t0_s[sel])
    out_b.append(t0_s[sel] + h_s)

    slow = np.flatnonzero(~convex)
    if slow.size:
        ns = SUBDIVISIONS
        frac = np.arange(1, ns) / ns
        ts = (t0_s[slow][:, None] + frac[None, :] * h_s).ravel()
        si = np.repeat(cand_i[slow], ns - 1)
        sj = np.repeat(cand_j[slow], ns - 1)
        ei, ri, vi = exact(si, ts)
        ej, rj, vj = exact(sj, ts)
        fm = _dot(rj - ri, vj - vi).reshape(slow.size, ns - 1)
        bad = ((ei != 0) | (ej != 0)).reshape(slow.size, ns - 1)
        fm[bad] = np.nan
        fall = np.concatenate([f0[slow][:, None], fm, f1[slow][:, None]], axis=1)
        tall = t0_s[slow][:, None] + (np.arange(ns + 1) / ns)[None, :] * h_s
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
    code) pairs of propagation errors met on the way (``-1`` where none).
    """
    n = a.size
    a = a.astype(float).copy()
    b = b.astype(float).copy()
    x = 0.5 * (a + b)
    t = x.copy()
    ok = np.zeros(n, dtype=bool)
    ri = np.zeros((n, 3)); vi = np.zeros((n, 3)); rj = np.zeros((n, 3)); vj = np.zeros((n, 3))
    err_obj = np.full((n, 2), -1, dtype=np.int64)
    active = np.arange(n)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        xa = x[active]
        ei, pi, qi = exact(bi[active], xa)
        ej, pj, qj = exact(bj[active], xa)
        bad = (ei != 0) | (ej != 0)
        if bad.any():
            w = active[bad]
            err_obj[w, 0] = np.where(ei[bad] != 0, bi[w], bj[w])
            err_obj[w, 1] = np.where(ei[bad] != 0, ei[bad], ej[bad])
            keep = ~bad
            active, xa = active[keep], xa[keep]
            pi, qi, pj, qj = pi[keep], qi[keep], pj[keep], qj[keep]
        d = pj - pi
        w_ = qj - qi
        f = _dot(d, w_)
        ni = np.linalg.norm(pi, axis=1)
        nj = np.linalg.norm(pj, axis=1)
        dacc = -MU_KM3_S2 * (pj / nj[:, None] ** 3 - pi / ni[:, None] ** 3)
        fp = _dot(w_, w_) + _dot(d, dacc)
        neg = f < 0.0
        a[active[neg]] = xa[neg]
        b[active[~neg]] = xa[~neg]
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = xa - f / fp
        aa, bb = a[active], b[active]
        inside = (fp > 0.0) & (xn > aa) & (xn < bb) & np.isfinite(xn)
        xn = np.where(inside, xn, 0.5 * (aa + bb))
        step = np.abs(xn - xa)
        done = (step < TOL_S) | (bb - aa < TOL_S)
        # record the state at the evaluated point for finished entries
        fin = active[done]
        t[fin] = xa[done]
        ri[fin], vi[fin], rj[fin], vj[fin] = pi[done], qi[done], pj[done], qj[done]
        ok[fin] = True
        x[active] = xn
        active = active[~done]
    return ok, t, ri, vi, rj, vj, err_obj
