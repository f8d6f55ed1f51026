"""Broad and narrow phase: which pair-intervals can contain an approach below the threshold.

For every sampling interval ``[t_k, t_k+1]`` (h <= 60 s) and every pair of
objects valid at both ends:

1. *Broad phase* (spatial index).  If the pair's distance drops to the
   threshold ``T`` somewhere in the interval, the chord bound of
   :mod:`orbitwatch.screening.filters` gives
   ``|m_i - m_j| <= T + E + (c_i + c_j)/2`` where ``m`` is an object's chord
   midpoint ``(r(t_k) + r(t_k+1))/2``, ``c`` its chord length and ``E`` the
   chord-error bound.  A k-d tree over the midpoints (scipy ``cKDTree``)
   returns every pair within ``T + E + c_cap`` (``c_cap`` the chord of the
   fastest "ordinary" object, ``E`` for the largest perturbation caps
   present); the few faster objects (eccentric orbits near perigee) are
   queried individually with their own, larger radius.  Candidate pairs are
   then cut by the radial prefilter on indices alone, before any per-pair
   vector is gathered.
2. *Narrow phase* (exact lower bound).  For each returned pair,
   ``dist(0, chord of d) - chord_error_km(D, h) <= T`` keeps the interval.

No pair-interval that can reach the threshold is dropped; the kept ones go to
:mod:`orbitwatch.screening.refine`.

Uncertain samples.  When sampled positions are only known to within ``u``
(``sample_err_km``: interpolated samples, see
:mod:`orbitwatch.screening.filters`), the true chord of a pair lies within
``2u`` of the sampled one and each object's true chord within ``u`` of its
sampled chord, so every test above is made with the threshold ``T + 2u``, the
separation ``D + 2u`` and each object's radial pad grown by ``u``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from orbitwatch.screening.filters import (
    MU_KM3_S2,
    P_BOUND_KM_S2,
    RHO_MIN_KM,
    chord_error_km,
    pair_perturbation_km_s2,
    segment_distance_km,
)

# Objects whose chord over one step exceeds this speed times h are "fast"
# (eccentric orbits near perigee) and get individual queries.
ORDINARY_SPEED_KM_S = 8.0


@dataclass(slots=True)
class Candidates:
    """Pair-intervals to refine: object indices i < j (local), interval index k."""

    i: np.ndarray
    j: np.ndarray
    k: np.ndarray
    broad_pairs: int


def _radius_fixed_point(threshold_km, c_cap, h_s: float, p_sum=2.0 * P_BOUND_KM_S2):
    """Query radius R and its chord-error pad E with R = T + c_cap + E(D = R + c_cap).

    Vectorized over ``c_cap``/``p_sum``; iterates the (contracting) map upwards,
    so the returned pad is never below the true fixed point.
    """
    c_cap = np.asarray(c_cap, dtype=float)
    e = np.zeros(np.broadcast(c_cap, np.asarray(p_sum)).shape)
    for _ in range(60):
        r = threshold_km + c_cap + e
        e_new = chord_error_km(r + c_cap, h_s, p_sum)
        if not np.all(np.isfinite(e_new)):
            raise ValueError(f"step {h_s} s too long for the chord bound")
        if np.all(e_new <= e + 1e-9):
            break
        e = np.maximum(e, e_new * 1.0000001)
    return threshold_km + c_cap + e, e


_RADIUS_CACHE: dict[tuple[float, float, float, float], float] = {}


def _common_radius(threshold_km: float, c_cap: float, h_s: float, p_sum: float) -> float:
    """``_radius_fixed_point`` for the common k-d query, memoized (c_cap is almost always 8 h)."""
    key = (threshold_km, c_cap, h_s, p_sum)
    hit = _RADIUS_CACHE.get(key)
    if hit is None:
        if len(_RADIUS_CACHE) > 4096:
            _RADIUS_CACHE.clear()
        hit = _RADIUS_CACHE[key] = float(_radius_fixed_point(threshold_km, c_cap, h_s, p_sum)[0])
    return hit


def interval_candidates(
    r0: np.ndarray,
    r1: np.ndarray,
    ok: np.ndarray,
    h_s: float,
    threshold_km: float,
    *,
    primary_mask: np.ndarray | None = None,
    skip_pairs: np.ndarray | None = None,
    p_obj: np.ndarray | None = None,
    rho0_km: np.ndarray | None = None,
    rho1_km: np.ndarray | None = None,
    sample_err_km: float = 0.0,
    slow_ok: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Candidate pairs (i < j) for one interval.

    ``r0``, ``r1``: positions (n, 3) km at both ends; ``ok``: (n,) both ends valid.
    ``primary_mask``: if given, only pairs with at least one primary.
    ``skip_pairs``: sorted int64 keys ``i * n + j`` never to pair (identical elements).
    ``p_obj``: (n,) caps on each object's non-Keplerian acceleration (km/s^2);
    the common radius uses ``E`` for the largest cap pair (``2 max p``), so
    only objects with a chord above ``c_cap`` are queried individually.
    ``rho0_km``, ``rho1_km``: optional precomputed ``|r0|``, ``|r1|`` (n,).
    ``sample_err_km``: how far a sampled position may be from the true one
    (0 for exact SGP4 samples).  ``slow_ok``: (n,) objects the slow-pair cap
    applies to (:func:`orbitwatch.screening.filters.slow_pair_eligible`).
    Returns ``(i, j, n_broad)``.
    """
    n = r0.shape[0]
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    if rho0_km is None:
        rho0_km = np.sqrt(np.einsum("ij,ij->i", r0, r0))
    if rho1_km is None:
        rho1_km = np.sqrt(np.einsum("ij,ij->i", r1, r1))
    if p_obj is None:
        p_obj = np.full(n, P_BOUND_KM_S2)
    # Objects stay in place (no gathers); an invalid object's midpoint is
    # parked far away (1e9 km out, 1e5 km from the next parked one), so no
    # query returns it, and its radial band is empty.
    bad = None if idx.size == n else np.flatnonzero(~ok)
    a0, a1, pl, rho0, rho1 = r0, r1, p_obj, rho0_km, rho1_km
    pmax = float(pl[idx].max()) if bad is not None else float(pl.max())
    u = float(sample_err_km)
    t_eff = float(threshold_km) + 2.0 * u  # threshold on the sampled chords
    with np.errstate(invalid="ignore"):
        mid = 0.5 * (a0 + a1)
        dc = a1 - a0
        chord = np.sqrt(np.einsum("ij,ij->i", dc, dc))
    if bad is not None:
        mid[bad] = 0.0
        mid[bad, 0] = 1e9 + 1e5 * np.arange(bad.size)
        chord[bad] = 0.0
    cmax = float(chord.max())
    c_cap = min(cmax, ORDINARY_SPEED_KM_S * h_s)
    # the common radius covers every pair of ordinary-speed objects, whatever
    # their perturbation caps (p_sum <= 2 pmax): with the high-drag eccentric
    # objects' cap it is ~4 % larger, cheaper than ~1,800 individual queries
    # (the chord-error pad is taken at a separation grown by 2u: c_cap + 2u)
    radius = _common_radius(t_eff, float(c_cap) + 2.0 * u, float(h_s), max(2.0 * pmax, 2.0 * P_BOUND_KM_S2))
    tree = cKDTree(mid, leafsize=16, balanced_tree=False, compact_nodes=False)
    parts = []
    fast = np.flatnonzero(chord > c_cap)
    if primary_mask is None:
        parts.append(tree.query_pairs(radius, output_type="ndarray"))
        queries = fast
    else:
        queries = np.flatnonzero(primary_mask & ok)
    if queries.size:
        # radius for a pair with a queried object q: T + E + (c_q + cmax)/2
        rq, _ = _radius_fixed_point(
            t_eff, 0.5 * (chord[queries] + cmax) + 2.0 * u, h_s, pl[queries] + pmax
        )
        # each queried object against the tree, with its own radius
        hits = tree.query_ball_point(mid[queries], rq, return_sorted=False)
        lens = np.fromiter(map(len, hits), np.int64, count=len(hits))
        qj = np.fromiter(itertools.chain.from_iterable(hits), np.int64, count=int(lens.sum()))
        qi = np.repeat(queries, lens)
        if primary_mask is None:
            # pairs already inside the common radius are in parts[0]
            dm = np.linalg.norm(mid[qi] - mid[qj], axis=1)
            qi, qj = qi[dm >= radius], qj[dm >= radius]
        qa, qb = np.minimum(qi, qj), np.maximum(qi, qj)
        keep = qa != qb
        parts.append(np.stack([qa[keep], qb[keep]], axis=1))
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    pr = np.concatenate(parts) if len(parts) > 1 else parts[0]  # i < j in every row
    pa, pb = pr[:, 0], pr[:, 1]
    if primary_mask is not None:
        sel = primary_mask[pa] | primary_mask[pb]
        pa, pb = pa[sel], pb[sel]
    n_broad = int(pa.size)
    # radial prefilter: |r_i(t)| lies in [lo_i, hi_i] on the interval (own chord
    # plus the single-trajectory chord error (mu/rho_min^2 + P_i) h^2/8); two
    # objects within T at some instant have radii within T at that instant.
    # The chord (length c, endpoints at radii >= rho_lo) stays at least
    # sqrt(rho_lo^2 - c^2/4) from the origin: its closest interior point p is
    # perpendicular to it, so c = sum_i sqrt(|a_i|^2 - |p|^2) >= 2 sqrt(rho_lo^2 - |p|^2).
    e_own = (MU_KM3_S2 / RHO_MIN_KM**2 + pl) * h_s * h_s / 8.0 + u
    rlo = np.minimum(rho0, rho1)
    lo = np.sqrt(np.maximum(rlo * rlo - 0.25 * chord * chord, 0.0)) - e_own
    hi = np.maximum(rho0, rho1) + e_own + threshold_km
    if bad is not None:
        lo[bad], hi[bad] = np.inf, -np.inf
    sel = (lo[pa] <= hi[pb]) & (lo[pb] <= hi[pa])
    pa, pb = pa[sel], pb[sel]
    gi, gj = pa, pb
    d0 = a0[pb] - a0[pa]
    d1 = a1[pb] - a1[pa]
    dmax = np.sqrt(np.maximum(np.einsum("ij,ij->i", d0, d0), np.einsum("ij,ij->i", d1, d1)))
    if u:
        dmax += 2.0 * u
    el = None if slow_ok is None else slow_ok[pa] & slow_ok[pb]
    p_pair = pair_perturbation_km_s2(d0, d1, h_s, pl[pa] + pl[pb], el, pad_km=2.0 * u)
    lower = segment_distance_km(d0, d1) - chord_error_km(dmax, h_s, p_pair)
    sel = lower <= t_eff
    gi, gj = gi[sel], gj[sel]
    if gi.size > 1:
        # a pair found by two individual queries (both objects fast) appears twice
        key = np.sort(gi * n + gj)
        if (np.diff(key) == 0).any():
            key = key[np.concatenate(([True], np.diff(key) != 0))]
            gi, gj = key // n, key % n
    if skip_pairs is not None and skip_pairs.size and gi.size:
        sel = ~np.isin(gi * n + gj, skip_pairs)
        gi, gj = gi[sel], gj[sel]
    return gi, gj, n_broad


def chunk_candidates(
    rt: np.ndarray,
    valid: np.ndarray,
    h_s: float,
    threshold_km: float,
    *,
    primary_mask: np.ndarray | None = None,
    skip_pairs: np.ndarray | None = None,
    p_obj: np.ndarray | None = None,
    sample_err_km: float = 0.0,
    slow_ok: np.ndarray | None = None,
) -> Candidates:
    """Candidates for all intervals of a chunk: ``rt`` positions laid out per
    sample, (m+1, n, 3) contiguous; ``valid`` (n, m+1)."""
    ii, jj, kk = [], [], []
    broad = 0
    with np.errstate(invalid="ignore"):
        rho = np.sqrt(np.einsum("kij,kij->ki", rt, rt))  # (m+1, n)
    for k in range(rt.shape[0] - 1):
        ok = valid[:, k] & valid[:, k + 1]
        gi, gj, nb = interval_candidates(
            rt[k], rt[k + 1], ok, h_s, threshold_km,
            primary_mask=primary_mask, skip_pairs=skip_pairs, p_obj=p_obj,
            rho0_km=rho[k], rho1_km=rho[k + 1], sample_err_km=sample_err_km, slow_ok=slow_ok,
        )
        broad += nb
        if gi.size:
            ii.append(gi)
            jj.append(gj)
            kk.append(np.full(gi.size, k, dtype=np.int64))
    if not ii:
        e = np.empty(0, np.int64)
        return Candidates(e, e, e, broad)
    return Candidates(np.concatenate(ii), np.concatenate(jj), np.concatenate(kk), broad)
