"""One screening job and the work on one chunk of time steps.

A :class:`Job` is picklable (element-set recipes, not ``Satrec`` objects, which
cannot be pickled) so that the same chunk function runs in-process, in a
process pool or on Dask workers and produces bit-identical events.
Memory per chunk is ``n_objects x (chunk_steps + 1)`` states, independent of
the span.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from orbitwatch.screening.candidates import chunk_candidates
from orbitwatch.screening.filters import perturbation_bounds_km_s2
from orbitwatch.screening.refine import ExactStates, find_brackets, solve_minima

DAY_S = 86400.0
_JOB_IDS = itertools.count(1)


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
    job_id: int = field(default_factory=lambda: next(_JOB_IDS))

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


_CACHE: dict[int, tuple[list, SatrecArray, np.ndarray]] = {}


def _satrecs(job: Job) -> tuple[list, SatrecArray, np.ndarray]:
    hit = _CACHE.get(job.job_id)
    if hit is None:
        sats = [build_satrec(rc) for rc in job.recipes]
        hit = (sats, SatrecArray(sats), perturbation_bounds_km_s2(sats))
        _CACHE.clear()
        _CACHE[job.job_id] = hit
    return hit


def run_chunk(job: Job, k0: int, k1: int) -> ChunkResult:
    """Screen intervals k0..k1-1 (samples k0..k1) of the job."""
    if job.primary_mask is not None:
        return run_chunk_primaries(job, k0, k1)
    sats, arr, p_obj = _satrecs(job)
    h = job.step_s
    ks = np.arange(k0, k1 + 1)
    t = ks * h
    fr = job.fr0 + t / DAY_S
    e, r, v = arr.sgp4(np.full(ks.size, job.jd0), fr)
    valid = (e == 0) & np.isfinite(r).all(axis=2) & np.isfinite(v).all(axis=2)
    failures = []
    bad_any = ~valid.all(axis=1)
    if bad_any.any():
        for o in np.flatnonzero(bad_any):
            first = int(np.argmin(valid[o]))
            code = int(e[o, first]) or 99
            failures.append((int(o), float(t[first]), code))
            valid[o, first:] = False
    cand = chunk_candidates(r, valid, h, job.threshold_km,
                            primary_mask=job.primary_mask, skip_pairs=job.skip_pairs, p_obj=p_obj)
    exact = ExactStates(sats, job.jd0, job.fr0)
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


# Primaries mode samples every object only every COARSE_FACTOR steps (300 s):
# the chord bound still closes there (L H^2/8 < 0.04 in LEO) and rejects all
# but a few per cent of the primary-object intervals; only those are sampled
# at the fine step, exactly as in all-vs-all mode.
COARSE_FACTOR = 5


def run_chunk_primaries(job: Job, k0: int, k1: int) -> ChunkResult:
    """Primaries-vs-catalog screen of intervals k0..k1-1 with coarse-then-fine sampling."""
    from orbitwatch.screening.filters import chord_error_km, segment_distance_km

    sats, arr, p_obj = _satrecs(job)
    h = job.step_s
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
    skip = set(job.skip_pairs.tolist()) if job.skip_pairs is not None else set()
    # coarse pass: primary p vs every object j, every coarse interval c
    fp, fj, fc = [], [], []
    hc = np.diff(t)
    for p in prim:
        others = np.flatnonzero(~job.primary_mask | (np.arange(n) > p))
        others = others[others != p]
        if skip:
            keys = np.minimum(p, others) * n + np.maximum(p, others)
            others = others[~np.isin(keys, job.skip_pairs)]
        if others.size == 0:
            continue
        d = r[others] - r[p][None, :, :]  # (m, nc, 3)
        d0 = d[:, :-1].reshape(-1, 3)
        d1 = d[:, 1:].reshape(-1, 3)
        ok = (valid[others][:, :-1] & valid[others][:, 1:] & valid[p][None, :-1] & valid[p][None, 1:]).ravel()
        dmax = np.sqrt(np.maximum(np.einsum("ij,ij->i", d0, d0), np.einsum("ij,ij->i", d1, d1)))
        hh = np.tile(hc, others.size)
        psum = np.repeat(p_obj[others] + p_obj[p], hc.size)
        lower = np.full(d0.shape[0], np.inf)
        for hv in np.unique(hc):
            sel = ok & (hh == hv)
            lower[sel] = segment_distance_km(d0[sel], d1[sel]) - chord_error_km(dmax[sel], float(hv), psum[sel])
        hit = np.flatnonzero(lower <= job.threshold_km)
        fj.append(others[hit // hc.size])
        fc.append(hit % hc.size)
        fp.append(np.full(hit.size, p))
    broad = 0
    ci = cj = ck = np.empty(0, np.int64)
    exact = ExactStates(sats, job.jd0, job.fr0)
    if fp:
        fp_, fj_, fc_ = np.concatenate(fp), np.concatenate(fj), np.concatenate(fc)
        broad = int(fp_.size)
        # fine pass: exact states at every fine sample of the flagged coarse intervals
        starts = ks[fc_]
        lens = ks[fc_ + 1] - starts
        rep = np.repeat(np.arange(fp_.size), lens + 1)
        kf = starts[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(lens + 1) - (lens + 1), lens + 1))
        tf = kf * h
        ea, ra, _ = exact(fp_[rep], tf)
        eb, rb, _ = exact(fj_[rep], tf)
        okf = (ea == 0) & (eb == 0)
        for m in np.flatnonzero(~okf):
            o = fp_[rep[m]] if ea[m] != 0 else fj_[rep[m]]
            failures.append((int(o), float(tf[m]), int(ea[m] or eb[m])))
        d = rb - ra
        # consecutive fine samples of the same flagged interval
        same = rep[:-1] == rep[1:]
        a_idx = np.flatnonzero(same)
        d0, d1 = d[a_idx], d[a_idx + 1]
        okp = okf[a_idx] & okf[a_idx + 1]
        dmax = np.sqrt(np.maximum(np.einsum("ij,ij->i", d0, d0), np.einsum("ij,ij->i", d1, d1)))
        psum = p_obj[fp_[rep[a_idx]]] + p_obj[fj_[rep[a_idx]]]
        lower = segment_distance_km(d0, d1) - chord_error_km(dmax, h, psum)
        keep = okp & (lower <= job.threshold_km)
        sel = a_idx[keep]
        ci = fp_[rep[sel]]
        cj = fj_[rep[sel]]
        ck = kf[sel]
        # beyond an object's first coarse failure nothing is screened
        alive = (ck + 1 <= fail_k[ci]) & (ck + 1 <= fail_k[cj])
        ci, cj, ck = ci[alive], cj[alive], ck[alive]
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
