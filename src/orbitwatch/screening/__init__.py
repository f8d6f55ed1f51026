"""Conjunction screening: every close approach below a threshold, all-vs-all or primaries-vs-catalog.

Guarantee
---------
For the SGP4 trajectories of the given element sets, ``screen`` reports every
local minimum of the distance between two objects that lies below
``threshold_km`` inside ``[start, start + span_s]`` (a minimum exactly at the
start instant excepted), with TCA converged to 1e-6 s (for slow encounters
whose d.d' is flat to SGP4's rounding noise, to a bracket of at most 1 ms
around a sign change: :mod:`orbitwatch.screening.refine`) and the miss distance
taken from SGP4 at that TCA.  Nothing is missed because no pair-interval is
ever discarded on a sampled value: objects are sampled every h <= 60 s and an
interval is skipped only when a *proven lower bound* on the pair's distance
over the whole interval exceeds the threshold (chord of the sampled relative
positions minus the largest possible deviation from it, bounded through the
Lipschitz constant of Kepler's acceleration and a cap on SGP4's
non-Keplerian acceleration; see :mod:`orbitwatch.screening.filters`).  The
spatial index only returns pairs the same bound cannot exclude
(:mod:`orbitwatch.screening.candidates`), and the minima inside a kept
interval are found with a convexity proof or exact sub-sampling
(:mod:`orbitwatch.screening.refine`).  ``docs/screening.md`` has the full
argument.

Window edges: a minimum is reported only if it is a true local minimum in the
window (``d . d'`` changes sign from negative to non-negative at ``t`` with
``start < t <= end``).  A pair still approaching at the end, or already
receding at the start, has no event.  Objects that fail to propagate are
reported once in ``failures`` (with the first failing instant) and are
screened up to that instant.  Duplicate catalog entries: the newest element
set per catalog number is used; different catalog numbers carrying identical
elements are not screened against each other (their distance is identically
zero) and are listed in ``stats.identical_element_pairs``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from sgp4.api import SGP4_ERRORS

from orbitwatch.screening.backends import run_dask, run_local
from orbitwatch.screening.engine import PRIMARY_CHUNK_MULTIPLE, Job, satrec_recipe, use_satrecs
from orbitwatch.screening.filters import apogee_perigee_keep, interpolable_mask
from orbitwatch.screening.model import (
    CO_ORBITING_SPEED_KM_S,
    Conjunction,
    CoOrbitingPair,
    PropagationFailure,
    ScreenResult,
    ScreenStats,
    co_orbiting_pairs,
)
from orbitwatch.screening.rtn import to_rtn
from orbitwatch.screening.sieve import element_key, index_from_satrecs, newest_per_id, screen_primaries
from orbitwatch.timeutil import datetime_to_jd

__all__ = ["screen", "Conjunction", "PropagationFailure", "ScreenResult", "ScreenStats",
           "CoOrbitingPair", "co_orbiting_pairs", "CO_ORBITING_SPEED_KM_S", "MAX_STEP_S", "CHUNK_STEPS"]

MAX_STEP_S = 60.0
CHUNK_STEPS = 60


def n_steps_for(span_s: float) -> int:
    """Number of sampling intervals (each <= ``MAX_STEP_S``) of a window."""
    return max(1, math.ceil(span_s / MAX_STEP_S - 1e-9))


def screen(
    element_sets_or_satrecs: Iterable,
    start: datetime,
    span_s: float,
    threshold_km: float,
    *,
    primaries: Sequence[int] | None = None,
    backend: str = "local",
    workers: int | None = None,
    scheduler=None,
    progress: Callable[[int, int], None] | None = None,
    chunk_steps: int = CHUNK_STEPS,
    names: dict[int, str] | None = None,
    method: str = "auto",
) -> ScreenResult:
    """Screen the objects for close approaches in ``[start, start + span_s]``.

    ``element_sets_or_satrecs``: ``ElementSet`` records or sgp4 ``Satrec``
    objects (mixed is fine).  ``threshold_km``: report minima below this
    distance.  ``primaries``: catalog numbers to screen against everything
    else (``None``: all-vs-all).  ``backend``: ``"local"`` (``workers`` > 1 uses
    a process pool) or ``"dask"`` (``scheduler``: a ``distributed.Client`` or
    address; ``None`` starts a LocalCluster of ``workers`` processes).
    ``progress(done_chunks, total_chunks)`` is called as chunks finish.
    ``method``: how primaries are screened: ``"sieve"`` (a catalog index and
    a filter chain, :mod:`orbitwatch.screening.sieve`), ``"general"`` (the
    chunked engine, which the Dask backend and process pools always use) or
    ``"auto"`` (the sieve on the local backend with one worker).  Both return
    the same events (``tests/screening/test_sieve.py``).
    Pure computation: no storage, no network (except the Dask scheduler).
    """
    t_wall = time.perf_counter()
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    start = start.astimezone(UTC)
    if not span_s > 0:
        raise ValueError(f"span_s must be positive, got {span_s}")
    if not threshold_km > 0:
        raise ValueError(f"threshold_km must be positive, got {threshold_km}")
    stats = ScreenStats()

    # newest element set per catalog number
    ids, objs, sats, stats.duplicate_ids_dropped = newest_per_id(element_sets_or_satrecs)
    best = set(ids.tolist())
    name_of = {int(i): (names or {}).get(int(i), getattr(o, "name", None)) for i, o in zip(ids, objs)}

    if method not in ("auto", "sieve", "general"):
        raise ValueError(f"unknown method {method!r} (expected 'auto', 'sieve' or 'general')")
    primary_mask = None
    if primaries is not None:
        prim = sorted({int(p) for p in primaries})
        missing = [p for p in prim if p not in best]
        if missing:
            raise ValueError(f"primary object(s) not in the catalog: {missing}")
        if method == "sieve" or (method == "auto" and backend == "local" and (workers or 1) <= 1):
            index = index_from_satrecs(ids, objs, sats, stats.duplicate_ids_dropped, start, span_s, names)
            res = screen_primaries(index, prim, threshold_km)
            if progress is not None:
                progress(1, 1)
            res.stats.wall_s = time.perf_counter() - t_wall
            return res
        pidx = np.searchsorted(ids, prim)
        jd0_, fr0_ = datetime_to_jd(start)
        keep = apogee_perigee_keep(sats, pidx, threshold_km, jd0_, fr0_, span_s)
        stats.excluded_by_band = int((~keep).sum())
        kidx = np.flatnonzero(keep)
        ids = ids[kidx]
        objs = [objs[k] for k in kidx]
        sats = [sats[k] for k in kidx]
        primary_mask = np.isin(ids, prim)
    return screen_selected(
        ids, objs, sats, name_of, start, span_s, threshold_km, primary_mask, stats,
        backend=backend, workers=workers, scheduler=scheduler, progress=progress,
        chunk_steps=chunk_steps, t_wall=t_wall,
    )


def screen_selected(
    ids: np.ndarray,
    objs: list,
    sats: list,
    name_of: dict,
    start: datetime,
    span_s: float,
    threshold_km: float,
    primary_mask: np.ndarray | None,
    stats: ScreenStats,
    *,
    backend: str = "local",
    workers: int | None = None,
    scheduler=None,
    progress: Callable[[int, int], None] | None = None,
    chunk_steps: int = CHUNK_STEPS,
    t_wall: float | None = None,
    reuse_satrecs: bool = False,
) -> ScreenResult:
    """The general engine on objects already chosen: one per catalog number
    (``ids`` sorted, with their objects and ``Satrec``), the band filter of
    primaries mode already applied.  ``reuse_satrecs`` (in-process runs only)
    lets the chunks use these ``Satrec`` instead of rebuilding them from their
    recipes (the sieve's general path)."""
    t_wall = time.perf_counter() if t_wall is None else t_wall
    n_interp = 0
    if primary_mask is None and n_steps_for(span_s) >= 2:
        # quiet near-Earth objects first: they are sampled every second step
        # and interpolated between (engine.propagate_chunk; filters docstring)
        jd_s, fr_s = datetime_to_jd(start)
        quiet = interpolable_mask(sats, window_jd=(jd_s + fr_s, jd_s + fr_s + span_s / 86400.0))
        order = np.argsort(~quiet, kind="stable")
        ids = ids[order]
        objs = [objs[k] for k in order]
        sats = [sats[k] for k in order]
        n_interp = int(quiet.sum())

    n = len(ids)
    stats.objects = n
    # identical elements under different numbers
    groups: dict[tuple, list[int]] = {}
    for k, s in enumerate(sats):
        groups.setdefault(element_key(s), []).append(k)
    skip = []
    for members in groups.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                skip.append(a * n + b)
                stats.identical_element_pairs.append(tuple(sorted((int(ids[a]), int(ids[b])))))
    stats.identical_element_pairs.sort()
    skip_pairs = np.array(sorted(skip), dtype=np.int64)

    n_steps = n_steps_for(span_s)
    step_s = span_s / n_steps
    stats.steps = n_steps
    stats.step_s = step_s
    jd0, fr0 = datetime_to_jd(start)
    job = Job(
        recipes=[satrec_recipe(o) for o in objs], jd0=jd0, fr0=fr0, step_s=step_s,
        n_steps=n_steps, threshold_km=float(threshold_km),
        chunk_steps=max(1, int(chunk_steps)) * (PRIMARY_CHUNK_MULTIPLE if primary_mask is not None else 1),
        primary_mask=primary_mask, skip_pairs=skip_pairs, n_interp=n_interp,
    )
    if reuse_satrecs:
        if backend != "local" or (workers or 1) > 1:
            raise ValueError("reuse_satrecs needs the in-process local backend")
        use_satrecs(job, sats)
    if n < 2:
        results = []
    elif backend == "local":
        results = run_local(job, workers=workers, progress=progress)
    elif backend == "dask":
        results = run_dask(job, scheduler=scheduler, workers=workers, progress=progress)
    else:
        raise ValueError(f"unknown backend {backend!r} (expected 'local' or 'dask')")

    # failures: earliest per object
    first_fail: dict[int, tuple[float, int]] = {}
    for res in results:
        stats.broad_pairs += res.broad_pairs
        stats.candidate_intervals += res.candidate_intervals
        stats.brackets += res.brackets
        stats.sgp4_refine_evals += res.evals
        for o, t_s, code in res.failures:
            if o not in first_fail or t_s < first_fail[o][0]:
                first_fail[o] = (t_s, code)
    fail_t = np.full(n, np.inf)
    for o, (t_s, _) in first_fail.items():
        fail_t[o] = t_s
    failures = [
        PropagationFailure(int(ids[o]), name_of[int(ids[o])], start + timedelta(seconds=t_s), code,
                           SGP4_ERRORS.get(code, "non-finite state"))
        for o, (t_s, code) in sorted(first_fail.items(), key=lambda kv: ids[kv[0]])
    ]

    conj: list[Conjunction] = []
    for res in results:
        if res.i.size == 0:
            continue
        # vectorized per chunk: orientation, RTN miss vector, norms (events can number 1e5)
        alive = np.flatnonzero((res.t_s < fail_t[res.i]) & (res.t_s < fail_t[res.j]))
        if alive.size == 0:
            continue
        ia, ib = res.i[alive], res.j[alive]
        if primary_mask is not None:
            swap = np.where(primary_mask[ia] != primary_mask[ib], primary_mask[ib], ids[ia] > ids[ib])
        else:
            swap = ids[ia] > ids[ib]
        sw = swap[:, None]
        ra = np.where(sw, res.rj[alive], res.ri[alive])
        va = np.where(sw, res.vj[alive], res.vi[alive])
        rb = np.where(sw, res.ri[alive], res.rj[alive])
        vb = np.where(sw, res.vi[alive], res.vj[alive])
        oa = ids[np.where(swap, ib, ia)].tolist()
        ob = ids[np.where(swap, ia, ib)].tolist()
        dr = rb - ra
        miss = np.sqrt(np.einsum("ij,ij->i", dr, dr)).tolist()
        dv = vb - va
        rel = np.sqrt(np.einsum("ij,ij->i", dv, dv)).tolist()
        rtn = to_rtn(ra, va, dr).tolist()
        ts = res.t_s[alive].tolist()
        ra_l, va_l, rb_l, vb_l = ra.tolist(), va.tolist(), rb.tolist(), vb.tolist()
        for m in range(alive.size):
            conj.append(Conjunction(
                object_1=oa[m], object_2=ob[m],
                tca=start + timedelta(seconds=ts[m]),
                miss_distance_km=miss[m],
                relative_speed_km_s=rel[m],
                miss_rtn_km=tuple(rtn[m]),
                object_1_name=name_of[oa[m]], object_2_name=name_of[ob[m]],
                r1_teme_km=tuple(ra_l[m]), v1_teme_km_s=tuple(va_l[m]),
                r2_teme_km=tuple(rb_l[m]), v2_teme_km_s=tuple(vb_l[m]),
            ))
    conj.sort(key=lambda c: (c.tca, c.object_1, c.object_2))
    stats.wall_s = time.perf_counter() - t_wall
    return ScreenResult(conj, failures, stats)
