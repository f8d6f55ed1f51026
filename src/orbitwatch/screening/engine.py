"""One screening job and the work on one chunk of time steps.

A :class:`Job` is picklable (element-set recipes, not ``Satrec`` objects, which
cannot be pickled) so that the same chunk function runs in-process, in a
process pool or on Dask workers and produces bit-identical events.
Memory per chunk is ``n_objects x (chunk_steps + 1)`` states, independent of
the span.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from orbitwatch.screening.candidates import chunk_candidates
from orbitwatch.screening.filters import (
    hermite_midpoint,
    interpolation_error_km,
    perturbation_bounds_km_s2,
    slow_pair_eligible,
)
from orbitwatch.screening.refine import ExactStates, find_brackets, solve_minima

DAY_S = 86400.0
def _new_job_id() -> str:
    # unique across client processes: workers of a shared Dask cluster cache by it
    return uuid.uuid4().hex


def satrec_recipe(obj) -> tuple:
    """Picklable description from which :func:`build_satrec` rebuilds the same Satrec."""
    line1 = getattr(obj, "line1", None)
    line2 = getattr(obj, "line2", None)
    if line1 and line2:
        return ("tle", line1, line2)
    if isinstance(obj, Satrec):
        epoch = (obj.jdsatepoch - 2433281.5) + obj.jdsatepochF
        return ("init", obj.satnum, epoch, obj.bstar, obj.ndot, obj.nddot, obj.ecco,
                obj.argpo, obj.inclo, obj.mo, obj.no_kozai, obj.nodeo)
    return ("es", obj)


def build_satrec(recipe: tuple) -> Satrec:
    kind = recipe[0]
    if kind == "tle":
        return Satrec.twoline2rv(recipe[1], recipe[2], WGS72)
    if kind == "init":
        sat = Satrec()
        sat.sgp4init(WGS72, "i", *recipe[1:])
        return sat
    from orbitwatch.elements.convert import element_set_to_satrec

    return element_set_to_satrec(recipe[1])


@dataclass
class Job:
    """Everything a worker needs to screen any chunk of the window."""

    recipes: list
    jd0: float
    fr0: float
    step_s: float
    n_steps: int  # number of intervals; samples are 0..n_steps
    threshold_km: float
    chunk_steps: int
    primary_mask: np.ndarray | None = None
    skip_pairs: np.ndarray | None = None
    # all-vs-all: objects 0..n_interp-1 are "quiet" (filters.interpolable_mask):
    # propagated every second sample and Hermite-interpolated in between
    n_interp: int = 0
    job_id: str = field(default_factory=_new_job_id)

    def chunks(self) -> list[tuple[int, int]]:
        return [(k, min(k + self.chunk_steps, self.n_steps))
                for k in range(0, self.n_steps, self.chunk_steps)]


@dataclass
class ChunkResult:
    """Events and failures of one chunk (arrays indexed by object position)."""

    i: np.ndarray
    j: np.ndarray
    t_s: np.ndarray
    ri: np.ndarray
    vi: np.ndarray
    rj: np.ndarray
    vj: np.ndarray
    failures: list  # (object index, t_s, code)
    broad_pairs: int
    candidate_intervals: int
    brackets: int
    evals: int


_CACHE: dict[str, tuple] = {}


def _satrecs(job: Job) -> tuple[list, np.ndarray, SatrecArray | None, SatrecArray | None, np.ndarray]:
    """Satrecs, perturbation caps, the SatrecArrays of the quiet (first
    ``n_interp``) and of the other objects (``None`` when there are none), and
    the objects the slow-pair cap applies to (``filters.slow_pair_eligible``)."""
    hit = _CACHE.get(job.job_id)
    if hit is None:
        hit = _prepare(job, [build_satrec(rc) for rc in job.recipes])
        _CACHE.clear()
        _CACHE[job.job_id] = hit
    return hit


def use_satrecs(job: Job, sats: list) -> None:
    """Let this process's chunks of ``job`` use ``sats`` (the objects its recipes
    describe, in the same order) instead of rebuilding them."""
    if len(sats) != len(job.recipes):
        raise ValueError(f"{len(sats)} Satrec for a job of {len(job.recipes)} objects")
    _CACHE.clear()
    _CACHE[job.job_id] = _prepare(job, list(sats))


def _prepare(job: Job, sats: list) -> tuple:
    nq = job.n_interp
    return (sats, perturbation_bounds_km_s2(sats),
            SatrecArray(sats[:nq]) if nq else None,
            SatrecArray(sats[nq:]) if nq < len(sats) else None,
            slow_pair_eligible(sats))


def propagate_chunk(job: Job, k0: int, k1: int):
    """SGP4 positions of every object at samples k0..k1, laid out per sample.

    Returns ``(rt, err, valid, sample_err_km)``: ``rt`` (m+1, n, 3),
    ``err`` (n, m+1) SGP4 error codes, ``valid`` (n, m+1) and the bound on
    how far a returned position may be from SGP4's.  The quiet objects
    (``job.n_interp``) are propagated at every second sample (and the last)
    and Hermite-interpolated at the samples between
    (:func:`orbitwatch.screening.filters.hermite_midpoint`); one of them that
    fails anywhere in the chunk is propagated at every sample instead.  The
    other objects are propagated at every sample.
    """
    sats, _, arr_q, arr_o, _ = _satrecs(job)
    ks = np.arange(k0, k1 + 1)
    m1 = ks.size
    fr = job.fr0 + ks * job.step_s / DAY_S
    n = len(sats)
    nq = job.n_interp
    rt = np.empty((m1, n, 3))
    err = np.zeros((n, m1), dtype=np.uint8)
    valid = np.ones((n, m1), dtype=bool)
    interpolated = False
    if nq:
        ev = np.arange(0, m1, 2)
        if ev[-1] != m1 - 1:
            ev = np.append(ev, m1 - 1)
        od = np.arange(1, m1 - 1, 2)  # sample od[k] lies between exact samples ev[k] and ev[k + 1]
        eq, rq, vq = arr_q.sgp4(np.full(ev.size, job.jd0), fr[ev])
        rt[ev, :nq] = rq.transpose(1, 0, 2)
        no = od.size
        if no:
            rt[od, :nq] = hermite_midpoint(rq[:, :no], vq[:, :no], rq[:, 1:no + 1], vq[:, 1:no + 1],
                                           2.0 * job.step_s).transpose(1, 0, 2)
            interpolated = True
        err[:nq, ev] = eq
        bad_q = np.flatnonzero((eq != 0).any(axis=1) | ~np.isfinite(rq).all(axis=(1, 2))
                               | ~np.isfinite(vq).all(axis=(1, 2)))
        for o in bad_q.tolist():
            eo, ro, vo = sats[o].sgp4_array(np.full(m1, job.jd0), fr)
            rt[:, o] = ro
            err[o] = eo
            valid[o] = (eo == 0) & np.isfinite(ro).all(axis=1) & np.isfinite(vo).all(axis=1)
        # (interpolated samples of a quiet object without failures are finite)
    if nq < n:
        eo, ro, vo = arr_o.sgp4(np.full(m1, job.jd0), fr)
        rt[:, nq:] = ro.transpose(1, 0, 2)
        err[nq:] = eo
        valid[nq:] = (eo == 0) & np.isfinite(ro).all(axis=2) & np.isfinite(vo).all(axis=2)
    return rt, err, valid, (interpolation_error_km(2.0 * job.step_s) if interpolated else 0.0)


def run_chunk(job: Job, k0: int, k1: int) -> ChunkResult:
    """Screen intervals k0..k1-1 (samples k0..k1) of the job."""
    if job.primary_mask is not None:
        return run_chunk_primaries(job, k0, k1)
    sats, p_obj, _, _, slow_ok = _satrecs(job)
    h = job.step_s
    t = np.arange(k0, k1 + 1) * h
    rt, e, valid, sample_err = propagate_chunk(job, k0, k1)
    failures = []
    bad_any = ~valid.all(axis=1)
    if bad_any.any():
        for o in np.flatnonzero(bad_any):
            first = int(np.argmin(valid[o]))
            code = int(e[o, first]) or 99
            failures.append((int(o), float(t[first]), code))
            valid[o, first:] = False
    cand = chunk_candidates(rt, valid, h, job.threshold_km,
                            primary_mask=job.primary_mask, skip_pairs=job.skip_pairs, p_obj=p_obj,
                            sample_err_km=sample_err, slow_ok=slow_ok)
    exact = ExactStates(sats, job.jd0, job.fr0, slow_ok=slow_ok)
    ci, cj, ck = cand.i, cand.j, cand.k
    bi, bj, ba, bb = find_brackets(ci, cj, t[ck], h, exact, p_obj[ci] + p_obj[cj])
    ok, ts, ri, vi, rj, vj, err_obj = solve_minima(bi, bj, ba, bb, exact)
    for n in np.flatnonzero(err_obj[:, 0] >= 0):
        # SGP4 failed inside this bracket: the object is not screened from its start on
        failures.append((int(err_obj[n, 0]), float(ba[n]), int(err_obj[n, 1])))
    d = np.linalg.norm(rj - ri, axis=1)
    keep = ok & (d < job.threshold_km)
    return ChunkResult(
        bi[keep], bj[keep], ts[keep], ri[keep], vi[keep], rj[keep], vj[keep],
        failures, cand.broad_pairs, int(ci.size), int(bi.size), exact.evals,
    )


# Primaries mode samples every object only every COARSE_FACTOR steps (960 s at
# h = 60 s) and then bisects, level by level, only the primary-object intervals
# that the proven lower bound cannot reject, down to single fine steps; see
# ``run_chunk_primaries``.
COARSE_FACTOR = 16
# Primaries-mode chunks are this many times longer than all-vs-all chunks
# (memory n x samples is small: only every COARSE_FACTOR-th sample is stored).
PRIMARY_CHUNK_MULTIPLE = 24


def primary_interval_lower_km(
    d0: np.ndarray, d1: np.ndarray, h_s: np.ndarray, p_sum: np.ndarray, slow_ok=None
) -> np.ndarray:
    """Proven lower bound (km) on ``|d|`` over intervals of (varying) length ``h_s``.

    ``d0``, ``d1``: relative positions (m, 3) at both ends.  The pad is the
    smaller of two sound bounds on the distance between ``d`` and its chord:
    the relative (Lipschitz) bound ``chord_error_km`` (tight for close pairs,
    infinite where it does not close) and the absolute bound
    ``(2 mu / rho_min^2 + P_1 + P_2) h^2 / 8`` (each object's own trajectory
    stays within ``(mu/rho_min^2 + P_i) h^2/8`` of its own chord, since
    ``|r_i''| <= mu/|r_i|^2 + P_i``; the chord of ``d`` is the difference of
    the two chords), which does not grow with the separation.
    """
    from orbitwatch.screening.filters import (
        MU_KM3_S2,
        RHO_MIN_KM,
        chord_error_km,
        pair_perturbation_km_s2,
        segment_distance_km,
    )

    dmax = np.sqrt(np.maximum(np.einsum("ij,ij->i", d0, d0), np.einsum("ij,ij->i", d1, d1)))
    rel = chord_error_km(dmax, h_s, pair_perturbation_km_s2(d0, d1, h_s, p_sum, slow_ok))
    absolute = (2.0 * MU_KM3_S2 / RHO_MIN_KM**2 + p_sum) * h_s * h_s / 8.0
    return segment_distance_km(d0, d1) - np.minimum(rel, absolute)


def run_chunk_primaries(job: Job, k0: int, k1: int) -> ChunkResult:
    """Primaries-vs-catalog screen of intervals k0..k1-1: coarse sampling, then bisection.

    Every object is propagated (``SatrecArray``) only at every
    ``COARSE_FACTOR``-th sample.  Each (primary, object, interval) is kept
    only if :func:`primary_interval_lower_km` cannot prove it stays above the
    threshold; kept intervals longer than one fine step are split at their
    middle fine sample (exact SGP4 of just those two objects there) and both
    halves are tested again, until single fine steps remain.  A discarded
    interval is one whose every sub-interval would be discarded too (the bound
    is proven for the whole interval), so the surviving fine steps include
    every fine step an all-vs-all screen would keep for these pairs; they go
    through the same refinement (steps 2-4 of docs/screening.md).
    """
    # primaries: n_interp is 0, every object is "other"
    sats, p_obj, _, arr, slow_ok = _satrecs(job)
    h = job.step_s
    thr = job.threshold_km
    ks = np.arange(k0, k1 + 1, COARSE_FACTOR)
    if ks[-1] != k1:
        ks = np.append(ks, k1)
    t = ks * h
    e, r, _ = arr.sgp4(np.full(ks.size, job.jd0), job.fr0 + t / DAY_S)
    valid = (e == 0) & np.isfinite(r).all(axis=2)
    failures = []
    fail_k = np.full(len(sats), np.iinfo(np.int64).max)
    bad_any = ~valid.all(axis=1)
    for o in np.flatnonzero(bad_any):
        first = int(np.argmin(valid[o]))
        failures.append((int(o), float(t[first]), int(e[o, first]) or 99))
        valid[o, first:] = False
        fail_k[o] = ks[first]
    prim = np.flatnonzero(job.primary_mask)
    n = len(sats)
    pp, jj = [], []
    for p in prim:
        others = np.flatnonzero(~job.primary_mask | (np.arange(n) > p))
        others = others[others != p]
        if job.skip_pairs is not None and job.skip_pairs.size:
            keys = np.minimum(p, others) * n + np.maximum(p, others)
            others = others[~np.isin(keys, job.skip_pairs)]
        pp.append(np.full(others.size, p, dtype=np.int64))
        jj.append(others.astype(np.int64))
    P = np.concatenate(pp) if pp else np.empty(0, np.int64)
    J = np.concatenate(jj) if jj else np.empty(0, np.int64)
    nc = ks.size - 1
    # level 0: every pair x every coarse interval
    ci_pair = np.repeat(np.arange(P.size), nc)
    cc = np.tile(np.arange(nc), P.size)
    ip, ij = P[ci_pair], J[ci_pair]
    ka, kb = ks[cc], ks[cc + 1]
    # np.take on flattened rows: several times faster than r[ij, cc]
    rf = r.reshape(-1, 3)
    nk = ks.size
    d0 = np.take(rf, ij * nk + cc, axis=0) - np.take(rf, ip * nk + cc, axis=0)
    d1 = np.take(rf, ij * nk + cc + 1, axis=0) - np.take(rf, ip * nk + cc + 1, axis=0)
    # an interval whose start is valid but whose end is not (an object fails
    # inside it) is kept "open": it is bisected without a bound, so the fine
    # steps before the first failing sample are screened as in all-vs-all mode
    start_ok = valid[ij, cc] & valid[ip, cc]
    open_end = ~(valid[ij, cc + 1] & valid[ip, cc + 1])
    ip, ij, ka, kb, d0, d1, open_end = (
        np.compress(start_ok, x, axis=0) for x in (ip, ij, ka, kb, d0, d1, open_end)
    )
    broad = 0
    exact = ExactStates(sats, job.jd0, job.fr0, slow_ok=slow_ok)
    out_i, out_j, out_k = [], [], []
    while ip.size:
        with np.errstate(invalid="ignore"):
            lower = primary_interval_lower_km(
                d0, d1, (kb - ka) * h, p_obj[ip] + p_obj[ij], slow_ok[ip] & slow_ok[ij]
            )
        keep = ~open_end & (lower <= thr)
        keep |= open_end & ((kb - ka) > 1)  # an open single step is dropped, as in all-vs-all
        ip, ij, ka, kb, d0, d1, open_end = (
            np.compress(keep, x, axis=0) for x in (ip, ij, ka, kb, d0, d1, open_end)
        )
        broad += int(ip.size)
        fine = (kb - ka) == 1
        out_i.append(ip[fine])
        out_j.append(ij[fine])
        out_k.append(ka[fine])
        split = ~fine
        ip, ij, ka, kb, d0, d1, open_end = (
            np.compress(split, x, axis=0) for x in (ip, ij, ka, kb, d0, d1, open_end)
        )
        if not ip.size:
            break
        km = (ka + kb) // 2
        tm = km * h
        ea, ra, _ = exact(ip, tm)
        eb, rb, _ = exact(ij, tm)
        okm = (ea == 0) & (eb == 0)
        for m in np.flatnonzero(~okm):
            o = ip[m] if ea[m] != 0 else ij[m]
            failures.append((int(o), float(tm[m]), int(ea[m] or eb[m])))
        dm = np.where(okm[:, None], rb - ra, np.nan)
        # left half: always (open if the middle failed); right half: only if the middle is valid
        ip = np.concatenate([ip, ip[okm]])
        ij = np.concatenate([ij, ij[okm]])
        ka, kb = np.concatenate([ka, km[okm]]), np.concatenate([km, kb[okm]])
        d0, d1 = np.concatenate([d0, dm[okm]]), np.concatenate([dm, d1[okm]])
        open_end = np.concatenate([~okm, open_end[okm]])
    ci = np.concatenate(out_i) if out_i else np.empty(0, np.int64)
    cj = np.concatenate(out_j) if out_j else np.empty(0, np.int64)
    ck = np.concatenate(out_k) if out_k else np.empty(0, np.int64)
    # beyond an object's first coarse failure nothing is screened
    alive = (ck + 1 <= fail_k[ci]) & (ck + 1 <= fail_k[cj])
    ci, cj, ck = ci[alive], cj[alive], ck[alive]
    order = np.lexsort((cj, ci, ck))
    ci, cj, ck = ci[order], cj[order], ck[order]
    bi, bj, ba, bb = find_brackets(ci, cj, ck * h, h, exact, p_obj[ci] + p_obj[cj])
    ok, ts, ri, vi, rj, vj, err_obj = solve_minima(bi, bj, ba, bb, exact)
    for m in np.flatnonzero(err_obj[:, 0] >= 0):
        failures.append((int(err_obj[m, 0]), float(ba[m]), int(err_obj[m, 1])))
    dist = np.linalg.norm(rj - ri, axis=1)
    keep = ok & (dist < job.threshold_km)
    return ChunkResult(
        bi[keep], bj[keep], ts[keep], ri[keep], vi[keep], rj[keep], vj[keep],
        failures, broad, int(ci.size), int(bi.size), exact.evals,
    )
