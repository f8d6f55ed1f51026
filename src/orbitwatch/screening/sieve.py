"""Primary-vs-catalog screening through a prepared catalog index.

A partner screens its own assets against the whole catalog many times a day.
:func:`build_index` prepares the catalog once for a span (SGP4's own mean
elements of every object at node instants, and its radius band);
:func:`screen_primaries` then screens any primary inside that span without
propagating most of the catalog.  It is a filter chain in the spirit of
Hoots, Crawford & Roehrich (1984), "An analytical method to determine future
close approaches between satellites" (apogee/perigee, orbit path, time),
made sound by bounds, and it returns the events of the general engine
(:func:`orbitwatch.screening.screen` with ``method="general"``); the tests
compare the two on real catalogs and both with a brute-force search.

For a primary ``p``, each other object ``s`` and threshold ``D``:

1. *Band*: the radius bands of the span must come within ``D``.
2. *Plane*: SGP4 keeps ``s`` within ``eps_s`` of its mean plane (interpolated
   mean inclination and node), so an approach needs ``p`` within
   ``D + eps_s`` of that plane: ``rho_p A |sin(u_p - nu)| <= D + eps_s + eps_p``
   (``u_p`` p's argument of latitude in its mean plane from its exact samples,
   ``A`` the sine of the angle between the planes, ``nu`` their mutual node,
   ``eps_p`` p's own distance from its mean plane).  That is one window of a
   few seconds per half revolution of ``p``.
3. *Orbit path*: in such a window ``s`` is within a known angle of the mutual
   node, so its mean radius there (over the span's drift of the node and the
   perigee) must come within ``D + c_rad`` of p's radii.
4. Pairs of nearly the same plane get windows from s's own radius instead
   (times its mean Kepler radius is within ``D + kappa`` of p's radii);
   near-circular ones among them (co-orbiting) go to the general engine.
5. *Phase*: at a window's centre s's mean Kepler position is within ``kappa``
   of SGP4's; the distance to p minus ``kappa`` minus the largest relative
   speed times the half window must exceed ``D`` for the window to be dropped.
6. *Exact*: SGP4 of both at the centre bounds the linear relative motion over
   the window (and again over each piece of a long window); what is left is
   searched on the exact trajectories with
   :func:`orbitwatch.screening.refine.find_brackets` and
   :func:`~orbitwatch.screening.refine.solve_minima` (the general engine's
   proofs).
7. Element sets older than the measured ages (``MAX_AGE_DAYS``,
   ``MAX_AGE_DEEP_DAYS``) keep their plane and radial caps (drag breaks only
   the position cap with age): they go through steps 2-4 and skip step 5
   (``plane_ok`` without ``fast``).
8. Everything else goes to the general engine: objects failing at an index
   node (decaying), near-Earth ``|B*| >= NEAR_BSTAR_MAX``, deep space of the
   deep and resonant groups whose apogee reaches ``DEEP_APOGEE_MAX_KM`` (the
   high-apogee group takes those beyond it up to ``DEEP_A_MAX_KM``), high-apogee
   element sets older than ``MAX_AGE_HIGH_DAYS``, perigees below the Earth's
   surface, co-orbiting objects, near-coplanar element sets past their age
   limit, objects failing inside a window, and a primary outside the quiet
   class whose Hermite bound its own samples rely on.

``eps``, ``kappa`` and ``c_rad`` are caps measured per node group (``GROUPS``)
like the other caps of the screen (non-Keplerian acceleration, interpolation
velocity gap): ``tests/screening/test_sieve.py`` re-measures them on the 2018
and 2026 catalogs and on JSC Vimpel's 2025 catalogue (fitted outside the US,
rich in HEO debris), up to the age limits (the plane and radial caps also
past them, on the 2018, 2020 debris and 2026 catalogs), and asserts a factor
of two of headroom.  Values, their
measurement and the figures are in ``docs/screening.md``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from sgp4.api import Satrec

from orbitwatch.screening.engine import build_satrec, satrec_recipe
from orbitwatch.screening.filters import (
    MU_KM3_S2,
    P_BOUND_KM_S2,
    RE_KM,
    apogee_perigee_keep,
    band_margin_km,
    interpolable_mask,
    perturbation_bounds_km_s2,
)
from orbitwatch.screening.model import Conjunction, ScreenResult, ScreenStats
from orbitwatch.screening.refine import ExactStates, find_brackets, solve_minima
from orbitwatch.screening.rtn import to_rtn
from orbitwatch.timeutil import datetime_to_jd
from orbitwatch.tracking.geometry import hermite as hermite_states

DAY_S = 86400.0
# primary samples (exact SGP4) used to build its argument-of-latitude table
PRIMARY_STEP_S = 60.0
# exact-search pieces
PIECE_S = 60.0
# records of one pair closer than this are one minimum solved twice (s)
DUPLICATE_S = 1.0

# Node groups: (name, node spacing s, mean anomaly cubic-Hermite with SGP4's
# rates, out-of-plane cap km, position cap (fraction of a, km), radial cap
# (fraction of a, km)).  The caps are measured (docs/screening.md) with the
# factor-of-two headroom the tests assert.
GROUPS = (
    ("near", 43200.0, True, 8.0, (0.004, 80.0), (0.002, 30.0)),
    ("near, drag", 1200.0, True, 8.0, (0.004, 130.0), (0.002, 30.0)),
    ("deep", 10800.0, False, 200.0, (0.03, 100.0), (0.01, 60.0)),
    ("deep, resonant", 3600.0, False, 200.0, (0.05, 100.0), (0.01, 60.0)),
    ("deep, high apogee", 3600.0, False, 700.0, (0.09, 100.0), (0.03, 60.0)),
)
# near-Earth objects with |B*| at or above this, or eccentric ones (the drag
# class of filters.perturbation_bounds_km_s2), get 20-min nodes
DRAG_BSTAR = 1e-3
# ... and so do those with perigee below this altitude (km)
LOW_PERIGEE_KM = 300.0
# near-Earth objects with |B*| above this go to the general screen (new launches
# with large negative B* leave the mean elements by hundreds of km)
NEAR_BSTAR_MAX = 0.01
# deep-space objects eccentric (e >= 0.5) in SDP4's 12-h and 24-h resonance
# bands get hourly nodes and their own, larger caps
# Deep space with the apogee radius at or beyond this: the Moon and the Sun move
# these orbits off their mean elements most.  They have their own group (hourly
# nodes, larger caps); within the deep and resonant groups an object whose
# node-mean apogee reaches it goes to the general screen.  On the independent
# JSC Vimpel catalogue (mostly HEO debris), orbits of a 28,600-50,000 km and
# e 0.65-0.94 used 0.80 of the deep group's position cap within 30 days of
# epoch; below this apogee the four catalogs measured (2018, 2020 debris,
# Vimpel 2025, 2026) use at most 0.46 of any cap up to 450 days.
DEEP_APOGEE_MAX_KM = 50000.0
# high-apogee objects beyond this semi-major axis go to the general screen
# (not measured: hyperbolic-looking and lunar-distance orbits)
DEEP_A_MAX_KM = 50000.0
# the caps are measured for spans within this many days of the element set's
# epoch (the tests measure at the catalog dates and 29 days later, the deep
# and resonant groups 420 days later and the high-apogee group 149 days
# later); older element sets go to the general engine.  Near Earth, drag makes
# the position deviation grow with age: 0.51 of the cap for a 2026 object 59
# days on, 0.90 at 149 days, and decaying drag-group objects leave their mean
# elements by hundreds of times the cap.
MAX_AGE_DAYS = 30.0
MAX_AGE_DEEP_DAYS = 450.0
MAX_AGE_HIGH_DAYS = 150.0
# windows wider than this (in the primary's argument of latitude) are not short
MAX_WINDOW_ANGLE_RAD = 0.35
# near-coplanar objects: pieces of their radius windows (s)
RADIUS_PIECE_S = 30.0
# below this eccentricity the angle pre-check of the phase stage takes the
# true anomaly as M + 2 e sin M (within 1.5 e^2)
PRECHECK_ECC_MAX = 0.05
# bound on |SGP4's velocity output - the derivative of its positions| (km/s):
# measured up to 3.8 m/s over the quiet 2018 objects (tests/screening/test_sieve.py);
# taken 25 times larger, for any object
VELOCITY_GAP_KM_S = 0.1


@dataclass
class _Group:
    """Objects sharing one node grid: ``idx`` into the index, ``el`` (n, K, 7)
    holding a (km), e, i, node, arg. of perigee, mean anomaly (all unwrapped
    along the nodes), rate of the mean anomaly (rad/s)."""

    idx: np.ndarray
    node_t: np.ndarray
    el: np.ndarray
    hermite: bool


@dataclass
class CatalogIndex:
    """A catalog prepared for repeated primary screens over ``[start, start + span_s]``."""

    ids: np.ndarray
    sats: list
    objs: list
    names: dict
    start: datetime
    jd0: float
    fr0: float
    span_s: float
    lo: np.ndarray
    hi: np.ndarray
    fast: np.ndarray  # mean-element model usable (inside the measured-cap classes)
    plane_ok: np.ndarray  # the plane and radial caps apply (fast, or past the age limits only)
    plane_cap: np.ndarray
    pos_cap: np.ndarray
    rad_cap: np.ndarray
    group_of: np.ndarray  # index into GROUPS
    row_of: np.ndarray  # row inside its group
    groups: list
    elem_group: np.ndarray  # objects with identical elements share the number
    span_a: np.ndarray  # (n, 2): least and greatest mean a over the nodes (km)
    span_e: np.ndarray  # (n, 2): least and greatest mean e over the nodes
    mdot_max: np.ndarray  # (n,): bound on |dM/dt| of the interpolated mean anomaly (rad/s)
    edot_max: np.ndarray  # (n,): bound on |de/dt| of the interpolated eccentricity (1/s)
    planes: _Planes | None = None  # every object's mean plane at _plane_instants(0, span_s)
    # every group's node table in one array (the groups' ``el`` are views of
    # it): object k's nodes are rows node_off[k] .. node_off[k] + node_n[k] - 1,
    # node_dt[k] apart from the index start
    el_flat: np.ndarray | None = None
    node_off: np.ndarray | None = None
    node_n: np.ndarray | None = None
    node_dt: np.ndarray | None = None
    node_hermite: np.ndarray | None = None
    duplicate_ids_dropped: list = field(default_factory=list)
    build_s: float = 0.0

    def position(self, oid: int) -> int:
        k = int(np.searchsorted(self.ids, oid))
        if k >= self.ids.size or self.ids[k] != oid:
            raise ValueError(f"primary object not in the catalog: {oid}")
        return k


def element_key(s: Satrec) -> tuple:
    """What makes two element sets propagate identically."""
    return (
        s.jdsatepoch,
        s.jdsatepochF,
        s.no_kozai,
        s.ecco,
        s.inclo,
        s.nodeo,
        s.argpo,
        s.mo,
        s.bstar,
    )


def newest_per_id(objects) -> tuple[np.ndarray, list, list, list[int]]:
    """Newest element set per catalog number: (sorted ids, objects, satrecs, duplicate ids)."""
    best: dict[int, tuple[float, object, Satrec]] = {}
    dropped: list[int] = []
    for obj in objects:
        sat = obj if isinstance(obj, Satrec) else build_satrec(satrec_recipe(obj))
        oid = int(obj.norad_id) if hasattr(obj, "norad_id") else int(obj.satnum)
        key = sat.jdsatepoch + sat.jdsatepochF
        if oid in best:
            dropped.append(oid)
            if key <= best[oid][0]:
                continue
        best[oid] = (key, obj, sat)
    ids = np.array(sorted(best), dtype=np.int64)
    return ids, [best[int(i)][1] for i in ids], [best[int(i)][2] for i in ids], sorted(set(dropped))


def _node_times(span_s: float, step_s: float) -> np.ndarray:
    k = max(1, math.ceil(span_s / step_s - 1e-9))
    return np.linspace(0.0, span_s, k + 1)


def build_index(
    objects, start: datetime, span_s: float, names: dict[int, str] | None = None
) -> CatalogIndex:
    """Prepare ``objects`` (``ElementSet`` records or ``Satrec``) for primary
    screens in the span."""
    t_wall = time.perf_counter()
    ids, objs, sats, dropped = newest_per_id(objects)
    index = index_from_satrecs(ids, objs, sats, dropped, start, span_s, names)
    index.build_s = time.perf_counter() - t_wall
    return index


def index_from_satrecs(
    ids: np.ndarray,
    objs: list,
    sats: list,
    dropped: list,
    start: datetime,
    span_s: float,
    names: dict[int, str] | None = None,
) -> CatalogIndex:
    """:func:`build_index` for objects already reduced to the newest per catalog
    number (sorted ``ids`` with their objects and ``Satrec``)."""
    t_wall = time.perf_counter()
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    start = start.astimezone(UTC)
    n = ids.size
    jd0, fr0 = datetime_to_jd(start)
    deep = np.array([s.method == "d" for s in sats], dtype=bool)
    ecc0 = np.array([s.ecco for s in sats])
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    a_ref = np.zeros(n)
    failed = np.zeros(n, dtype=bool)
    bstar = np.abs(np.array([s.bstar for s in sats]))
    rev_day = np.array([s.no_kozai for s in sats]) * 1440.0 / (2.0 * np.pi)
    resonant = (ecc0 >= 0.5) & (
        ((rev_day > 0.8) & (rev_day < 1.2)) | ((rev_day > 1.89) & (rev_day < 2.12))
    )
    low = np.array([s.altp for s in sats]) * RE_KM < LOW_PERIGEE_KM
    high = (np.array([s.alta for s in sats]) + 1.0) * RE_KM >= DEEP_APOGEE_MAX_KM
    drag = (bstar >= DRAG_BSTAR) | low | (perturbation_bounds_km_s2(sats) > P_BOUND_KM_S2)
    group_of = np.where(
        deep, np.where(high, 4, np.where(resonant, 3, 2)), np.where(drag, 1, 0)
    ).astype(np.int64)
    groups = []
    row_of = np.full(n, -1, dtype=np.int64)
    span_a = np.full((n, 2), np.nan)
    span_e = np.full((n, 2), np.nan)
    mdot_max = np.full(n, np.inf)
    edot_max = np.full(n, np.inf)
    for g, (_, step, hermite, *_caps) in enumerate(GROUPS):
        idx = np.flatnonzero(group_of == g)
        node_t = _node_times(span_s, step)
        frs = (fr0 + node_t / DAY_S).tolist()
        el = np.full((idx.size, node_t.size, 7), np.nan)
        for r, k in enumerate(idx.tolist()):
            s = sats[k]
            row = el[r]
            for j, fr in enumerate(frs):
                if s.sgp4(jd0, fr)[0] != 0:
                    failed[k] = True
                    continue
                # last column: the rate of SGP4's mean anomaly.  Near Earth its
                # secular rate plus the drag term (d/dt of no * (t2cof t^2 + ...)
                # is nm - no to first order; no, the un-Kozai mean motion at
                # epoch, is xke a^-1.5); deep space (linear interpolation, used
                # only to count revolutions) the mean motion
                # |im|: near the equator SDP4's mean inclination can turn negative;
                # SGP4 flips the sign back after its periodic terms, so the
                # trajectory lies in the plane (|im|, Om)
                row[j] = (
                    s.am * RE_KM,
                    s.em,
                    abs(s.im),
                    s.Om,
                    s.om,
                    s.mm,
                    (s.mdot + s.nm - s.xke * s.a**-1.5 if hermite else s.nm) / 60.0,
                )
        am, em = el[:, :, 0], el[:, :, 1]
        with np.errstate(invalid="ignore"):
            lo[idx] = np.nanmin(am * (1.0 - em), axis=1, initial=np.inf)
            hi[idx] = np.nanmax(am * (1.0 + em), axis=1, initial=-np.inf)
            a_ref[idx] = np.nanmax(am, axis=1, initial=0.0)
        # unwrap the angles along the nodes; the mean anomaly with its revolution count
        el[:, :, 3] = np.unwrap(el[:, :, 3], axis=1)
        el[:, :, 4] = np.unwrap(el[:, :, 4], axis=1)
        dt = np.diff(node_t)
        m = el[:, :, 5]
        for j in range(1, node_t.size):
            pred = m[:, j - 1] + el[:, j - 1, 6] * dt[j - 1]
            m[:, j] = pred + (np.mod(m[:, j] - pred + np.pi, 2.0 * np.pi) - np.pi)
        groups.append(_Group(idx, node_t, el, hermite))
        span_a[idx, 0], span_a[idx, 1] = am.min(axis=1), am.max(axis=1)
        span_e[idx, 0], span_e[idx, 1] = em.min(axis=1), em.max(axis=1)
        mdot_max[idx], edot_max[idx] = _model_rates(el, dt, hermite)
        row_of[idx] = np.arange(idx.size)
    # band: the radius band of filters.window_radius_band_km, over all nodes
    never = a_ref == 0.0
    apogee = hi.copy()  # largest node-mean apogee radius
    # a perigee below the Earth's surface (JSC Vimpel publishes such element
    # sets) fails between the nodes: the general screen reports it
    inside = lo < RE_KM
    lo[failed] = 0.0
    margin = band_margin_km(a_ref, deep)
    lo = np.where(never, np.inf, lo - margin)
    hi = np.where(never, -np.inf, hi + margin)
    epoch = np.array([s.jdsatepoch + s.jdsatepochF for s in sats])
    t0_jd = jd0 + fr0
    age = np.maximum(np.abs(t0_jd - epoch), np.abs(t0_jd + span_s / DAY_S - epoch))
    max_age = np.choose(
        group_of, (MAX_AGE_DAYS, MAX_AGE_DAYS, MAX_AGE_DEEP_DAYS, MAX_AGE_DEEP_DAYS, MAX_AGE_HIGH_DAYS)
    )
    modelled = (
        ~failed
        & ~inside
        & np.where(
            deep,
            np.where(group_of == 4, a_ref < DEEP_A_MAX_KM, apogee < DEEP_APOGEE_MAX_KM),
            bstar < NEAR_BSTAR_MAX,
        )
    )
    fast = modelled & (age <= max_age)
    # past the age limits only the position cap grows (drag moves SGP4 along
    # its orbit away from the interpolated mean anomaly); the plane and radial
    # caps hold at any age (docs/screening.md), except in the high-apogee group
    plane_ok = fast | (modelled & (group_of != 4))
    caps = np.array([[c[3], *c[4], *c[5]] for c in GROUPS])[group_of]
    plane_cap = caps[:, 0]
    pos_cap = caps[:, 1] * a_ref + caps[:, 2]
    rad_cap = caps[:, 3] * a_ref + caps[:, 4]
    name_of = {
        int(i): (names or {}).get(int(i), getattr(o, "name", None)) for i, o in zip(ids, objs)
    }
    keys = [element_key(s) for s in sats]
    first: dict[tuple, int] = {}
    elem_group = np.array([first.setdefault(k, i) for i, k in enumerate(keys)], dtype=np.int64)
    index = CatalogIndex(
        ids=ids,
        sats=sats,
        objs=objs,
        names=name_of,
        start=start,
        jd0=jd0,
        fr0=fr0,
        span_s=float(span_s),
        lo=lo,
        hi=hi,
        fast=fast,
        plane_ok=plane_ok,
        plane_cap=plane_cap,
        pos_cap=pos_cap,
        rad_cap=rad_cap,
        group_of=group_of,
        row_of=row_of,
        groups=groups,
        elem_group=elem_group,
        span_a=span_a,
        span_e=span_e,
        mdot_max=mdot_max,
        edot_max=edot_max,
        duplicate_ids_dropped=dropped,
    )
    _flatten_nodes(index)
    index.planes = _planes(index, np.arange(n), _plane_instants(0.0, float(span_s)))
    index.build_s = time.perf_counter() - t_wall
    return index


def _model_rates(el: np.ndarray, dt: np.ndarray, hermite: bool):
    """Bounds over the span on the rates of the interpolated mean anomaly and
    eccentricity of each row of ``el`` (n, K, 7) on nodes spaced ``dt`` (K-1,):
    ``(mdot_max, edot_max)``, infinite where a node is missing.

    e is linear between nodes.  M is linear (slope ``sigma``) or the cubic
    Hermite with rates ``n0, n1``, whose derivative is
    ``sigma + (1 - 4s + 3s^2)(n0 - sigma) + (3s^2 - 2s)(n1 - sigma)``; both
    polynomials in ``s`` stay within [-1, 1] on [0, 1]."""
    m, e = el[:, :, 5], el[:, :, 1]
    sigma = np.diff(m, axis=1) / dt
    edot = np.abs(np.diff(e, axis=1)) / dt
    if hermite:
        n0, n1 = el[:, :-1, 6], el[:, 1:, 6]
        mdot = np.abs(sigma) + np.abs(n0 - sigma) + np.abs(n1 - sigma)
    else:
        mdot = np.abs(sigma)
    with np.errstate(invalid="ignore"):
        mdot_max = np.where(np.isfinite(mdot).all(axis=1), mdot.max(axis=1, initial=0.0), np.inf)
        edot_max = np.where(np.isfinite(edot).all(axis=1), edot.max(axis=1, initial=0.0), np.inf)
    return mdot_max, edot_max


def _flatten_nodes(index: CatalogIndex) -> None:
    """Put every group's node table into one array (``index.el_flat``), the
    groups keeping views of it, with each object's offset, node count and
    spacing: :func:`mean_elements` then serves any mix of groups in one pass."""
    n = index.ids.size
    sizes = [g.el.shape[0] * g.el.shape[1] for g in index.groups]
    flat = np.concatenate([g.el.reshape(-1, 7) for g in index.groups])
    index.node_off = np.zeros(n, dtype=np.int64)
    index.node_n = np.full(n, 2, dtype=np.int64)
    index.node_dt = np.ones(n)
    index.node_hermite = np.zeros(n, dtype=bool)
    base = 0
    for g, size in zip(index.groups, sizes):
        k = g.node_t.size
        index.node_off[g.idx] = base + np.arange(g.idx.size) * k
        index.node_n[g.idx] = k
        index.node_dt[g.idx] = g.node_t[1] - g.node_t[0]  # _node_times: uniform from 0
        index.node_hermite[g.idx] = g.hermite
        g.el = flat[base : base + size].reshape(g.el.shape)
        base += size
    index.el_flat = flat


def _hermite_m(m0, m1, n0, n1, f, dt):
    """The mean anomaly between two nodes: cubic Hermite with its rates at both
    (exact for SGP4's drag terms up to t^3)."""
    h00 = (1.0 + 2.0 * f) * (1.0 - f) ** 2
    h10 = f * (1.0 - f) ** 2
    h01 = f * f * (3.0 - 2.0 * f)
    h11 = f * f * (f - 1.0)
    return h00 * m0 + h10 * dt * n0 + h01 * m1 + h11 * dt * n1


def _interp_group(grp: _Group, rows, j, f, dt, hermite_m: bool, grid: bool = False) -> np.ndarray:
    """Mean elements of rows ``rows`` of group ``grp`` between nodes ``j`` and
    ``j + 1`` at fraction ``f`` (``dt`` the node spacing there): one time per
    row, array (m, 7); or, with ``grid``, the times (K,) for every row, array
    (n, K, 7).  ``hermite_m``: the mean anomaly's Hermite step is wanted."""
    if grid:
        e = grp.el[rows]  # (n, nodes, 7): a few nodes per row
        e0, e1 = e[:, j], e[:, j + 1]
        f = f[None, :]
    else:
        e0, e1 = grp.el[rows, j], grp.el[rows, j + 1]
    out = e0 + (e1 - e0) * f[..., None]
    if grp.hermite and hermite_m:
        # near Earth, the mean anomaly: cubic Hermite with its rates at both nodes
        # (exact for SGP4's drag terms up to t^3); deep space: linear (3-h nodes)
        out[..., 5] = _hermite_m(e0[..., 5], e1[..., 5], e0[..., 6], e1[..., 6], f, dt)
    return out


def _node_interval(grp: _Group, t_s: np.ndarray):
    """Node interval ``j``, fraction ``f`` and spacing ``dt`` of times ``t_s``
    (clipped to the group's nodes)."""
    nt = grp.node_t
    tt = np.clip(t_s, nt[0], nt[-1])
    j = np.clip(np.searchsorted(nt, tt, side="right") - 1, 0, nt.size - 2)
    dt = nt[j + 1] - nt[j]
    return j, (tt - nt[j]) / dt, dt


def mean_elements(
    index: CatalogIndex, obj: np.ndarray, t_s: np.ndarray, cols=None, grid: bool = False
) -> np.ndarray:
    """Interpolated mean elements of objects ``obj`` at ``t_s`` (s after the
    index start): one time per object, array (m, 7); with ``grid``, the common
    times ``t_s`` (K,) for every object, array (n, K, 7).  ``cols``: the columns
    needed (the mean anomaly's Hermite step is skipped when 5 is not among them)."""
    obj = np.asarray(obj, dtype=np.int64)
    t_s = np.asarray(t_s, dtype=float)
    hermite_m = cols is None or 5 in cols
    if not grid and index.el_flat is not None:
        # one time per object: every group in one pass over the flat node table
        dt = index.node_dt[obj]
        tt = np.clip(t_s, 0.0, index.span_s)
        j = np.minimum((tt / dt).astype(np.int64), index.node_n[obj] - 2)
        f = (tt - j * dt) / dt
        row = index.node_off[obj] + j
        # np.take: several times faster than fancy indexing for rows of 7
        e0, e1 = np.take(index.el_flat, row, axis=0), np.take(index.el_flat, row + 1, axis=0)
        out = e0 + (e1 - e0) * f[:, None]
        if hermite_m:
            h = index.node_hermite[obj]
            sel = slice(None) if h.all() else np.flatnonzero(h)
            out[sel, 5] = _hermite_m(
                e0[sel, 5], e1[sel, 5], e0[sel, 6], e1[sel, 6], f[sel], dt[sel]
            )
        return out
    out = np.empty((obj.size, t_s.size, 7) if grid else (obj.size, 7))
    gof = index.group_of[obj]
    for g, grp in enumerate(index.groups):
        sel = np.flatnonzero(gof == g)
        if sel.size == 0:
            continue
        tg = t_s if grid else t_s[sel]
        j, f, dt = _node_interval(grp, tg)
        vals = _interp_group(grp, index.row_of[obj[sel]], j, f, dt, hermite_m, grid)
        if sel.size == obj.size:  # one group: no scatter
            return vals
        out[sel] = vals
    return out


def _wrap(x: np.ndarray) -> np.ndarray:
    """Angles ``x`` reduced to [-pi, pi] (a multiple of 2 pi removed; several
    times faster than ``np.mod``)."""
    return x - (2.0 * np.pi) * np.rint(x * (0.5 / np.pi))


def _cos_sin(x: np.ndarray):
    """``(cos x, sin x)`` from the tangent of the half angle: numpy's tan is
    vectorized where its sin and cos are not (about three times faster for
    both, within 2e-16)."""
    h = np.tan(0.5 * x)
    h2 = h * h
    d = 1.0 / (1.0 + h2)
    return (1.0 - h2) * d, 2.0 * h * d


def _mean_anomaly(f: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Mean anomaly of true anomaly ``f`` (any real; the revolutions carry over)
    on an ellipse of eccentricity ``e`` < 1: increasing in ``f``."""
    w = _wrap(f)
    ea = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(0.5 * w))
    return ea - e * _cos_sin(ea)[1] + (f - w)


def _mean_anomaly_grid(index: CatalogIndex, obj: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Column 5 of ``mean_elements(index, obj, t_s, grid=True)`` (the mean
    anomaly, (n, K)) without the other six."""
    out = np.empty((obj.size, t_s.size))
    gof = index.group_of[obj]
    for grp_k, grp in enumerate(index.groups):
        sel = np.flatnonzero(gof == grp_k)
        if sel.size == 0:
            continue
        j, f, dt = _node_interval(grp, t_s)
        rows = grp.el[index.row_of[obj[sel]]]
        m, nm = rows[:, :, 5], rows[:, :, 6]
        m0, m1 = np.take(m, j, axis=1), np.take(m, j + 1, axis=1)
        if grp.hermite:
            out[sel] = _hermite_m(m0, m1, np.take(nm, j, axis=1), np.take(nm, j + 1, axis=1), f, dt)
        else:
            out[sel] = m0 + (m1 - m0) * f
    return out


def _plane_frames(inc: np.ndarray, node: np.ndarray):
    """Unit vectors: node direction P, in-plane Q (90 deg ahead), normal W."""
    ci, si, co, so = np.cos(inc), np.sin(inc), np.cos(node), np.sin(node)
    z = np.zeros_like(inc)
    P = np.stack([co, so, z], axis=-1)
    Q = np.stack([-ci * so, ci * co, si], axis=-1)
    W = np.stack([si * so, -si * co, ci], axis=-1)
    return P, Q, W


def kepler_states(el: np.ndarray, velocity: bool = True):
    """Two-body position and velocity (km, km/s) of mean elements ``el`` (m, 7)
    (velocity ``None`` when not asked for); NaN where Kepler's equation did
    not converge."""
    a, e, inc, node, argp, mm = np.ascontiguousarray(el[:, :6].T)
    m = _wrap(mm)
    ea = m + e * _cos_sin(m)[1]
    # Newton on Kepler's equation: two full passes (enough below e ~ 0.1), then
    # the elements not yet converged; cos E and sin E follow the last small step
    # to first order (its square, < 1e-20, is far below anything that matters)
    for _ in range(2):
        ce, se = _cos_sin(ea)
        step = (ea - e * se - m) / (1.0 - e * ce)
        ea -= step
    act = np.flatnonzero(np.abs(step) > 1e-10)
    for _ in range(60):
        if act.size == 0:
            break
        ee, ea_e = ea[act], e[act]
        c_, s_ = _cos_sin(ee)
        st = (ee - ea_e * s_ - m[act]) / (1.0 - ea_e * c_)
        ea[act] = ee - st
        ce[act], se[act], step[act] = c_, s_, st
        act = act[np.abs(st) > 1e-10]
    # not converged (only near e = 1, which the index never holds): no position
    bad = act
    ce, se = ce + se * step, se - ce * step
    b = np.sqrt(np.maximum(1.0 - e * e, 0.0))
    den = 1.0 - e * ce
    rho = a * den
    cf = (ce - e) / den
    sf = b * se / den
    cw, sw = _cos_sin(argp)
    cu = cw * cf - sw * sf  # argument of latitude u = argp + f
    su = sw * cf + cw * sf
    (co, so), (ci, si) = _cos_sin(node), _cos_sin(inc)
    r = np.empty((a.size, 3))
    r[:, 0] = rho * (cu * co - su * ci * so)
    r[:, 1] = rho * (cu * so + su * ci * co)
    r[:, 2] = rho * su * si
    r[bad] = np.nan
    if not velocity:
        return r, None
    # velocity: radial and transverse components,
    # vr = sqrt(mu/p) e sin f, vt = sqrt(mu/p) (1 + e cos f)
    k = np.sqrt(MU_KM3_S2 / (a * b * b))
    vr = k * e * sf
    vt = k * (1.0 + e * cf)
    v = np.empty((a.size, 3))
    # unit vectors: radial (cu, su) and transverse (-su, cu) in the node frame
    v[:, 0] = vr * (cu * co - su * ci * so) + vt * (-su * co - cu * ci * so)
    v[:, 1] = vr * (cu * so + su * ci * co) + vt * (-su * so + cu * ci * co)
    v[:, 2] = vr * su * si + vt * cu * si
    v[bad] = np.nan
    return r, v


def _hermite(t: np.ndarray, tab_t: np.ndarray, r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cubic Hermite interpolation of sampled states at times ``t`` (inside the table)."""
    h = tab_t[1] - tab_t[0]
    j = np.clip(((t - tab_t[0]) // h).astype(np.int64), 0, tab_t.size - 2)
    r0, r1 = np.take(r, j, axis=0), np.take(r, j + 1, axis=0)
    v0, v1 = np.take(v, j, axis=0), np.take(v, j + 1, axis=0)
    return hermite_states(r0, v0, r1, v1, h, (t - np.take(tab_t, j)) / h, derivative=False)[0]


@dataclass
class _Planes:
    """Mean planes of objects at common instants ``tk`` (K,): cosine and sine of
    the inclination and of the node, the unwrapped argument of perigee, all
    time-major (K, n) (reductions over a few instants run along contiguous
    rows), and the largest rate of the argument of perigee (rad/s) with the
    interpolation pad (n,)."""

    tk: np.ndarray
    ci: np.ndarray
    si: np.ndarray
    co: np.ndarray
    so: np.ndarray
    argp: np.ndarray
    argpdot: np.ndarray

    def objects(self, k: np.ndarray) -> _Planes:
        return _Planes(
            self.tk, *(np.take(getattr(self, f), k, axis=1) for f in ("ci", "si", "co", "so", "argp")),
            self.argpdot[k],
        )


def _plane_instants(ta: float, tb: float) -> np.ndarray:
    """The instants at which the sieve samples mean planes in ``[ta, tb]`` (6 h apart or less)."""
    return np.linspace(ta, tb, max(3, math.ceil((tb - ta) / 21600.0) + 1))


def _planes(index: CatalogIndex, obj: np.ndarray, tk: np.ndarray) -> _Planes:
    """:class:`_Planes` of objects ``obj`` at ``tk``: precomputed by the index
    for its whole span, computed here for other windows."""
    pre = index.planes
    if pre is not None and pre.tk.shape == tk.shape and np.array_equal(pre.tk, tk):
        return pre.objects(obj)
    es = np.ascontiguousarray(
        mean_elements(index, obj, tk, cols=(2, 3, 4), grid=True)[:, :, 2:5].transpose(2, 1, 0)
    )
    inc, node, argp = es[0], es[1], _unwrap(es[2])
    argpdot = (np.abs(np.diff(argp, axis=0)).max(axis=0) + _interp_pad(argp)) / (tk[1] - tk[0])
    return _Planes(tk, np.cos(inc), np.sin(inc), np.cos(node), np.sin(node), argp, argpdot)


def _mutual(index: CatalogIndex, p: int, pl: _Planes):
    """At the instants ``pl.tk`` (K,), for the objects of ``pl`` (n,), arrays
    (K, n): the sine ``A`` of the angle between the mean planes of p and s, the
    argument of latitude ``nu`` of their mutual node ``m = W_p x W_s`` in p's
    plane and ``lam`` in s's plane."""
    g = index.groups[index.group_of[p]]
    row = g.el[index.row_of[p]]
    ip = np.interp(pl.tk, g.node_t, row[:, 2])
    op = np.interp(pl.tk, g.node_t, row[:, 3])
    cip, sip, cop, sop = (x[:, None] for x in (np.cos(ip), np.sin(ip), np.cos(op), np.sin(op)))
    cis, sis, cos_, sos = pl.ci, pl.si, pl.co, pl.so
    # normals W = (si so, -si co, ci); m = Wp x Ws
    wpx, wpy, wpz = sip * sop, -sip * cop, cip
    wsx, wsy, wsz = sis * sos, -sis * cos_, cis
    mx = wpy * wsz - wpz * wsy
    my = wpz * wsx - wpx * wsz
    mz = wpx * wsy - wpy * wsx
    amp = np.sqrt(mx * mx + my * my + mz * mz)
    # node directions P = (co, so, 0) and in-plane Q = (-ci so, ci co, si)
    nu = np.arctan2(-mx * cip * sop + my * cip * cop + mz * sip, mx * cop + my * sop)
    lam = np.arctan2(-mx * cis * sos + my * cis * cos_ + mz * sis, mx * cos_ + my * sos)
    return amp, nu, lam


def _time_at(x: np.ndarray, u: np.ndarray, tab: np.ndarray) -> np.ndarray:
    """``np.interp(x, u, tab)`` for an increasing table ``u`` that is nearly
    uniform (the primary's argument of latitude): each interval is guessed
    from the mean slope and moved by one where the guess is off; any value
    still outside its interval sends the whole call to ``np.interp``."""
    n = u.size
    j = np.clip(((x - u[0]) * ((n - 1) / (u[-1] - u[0]))).astype(np.int64), 0, n - 2)
    j -= (x < np.take(u, j)) & (j > 0)
    j += (x > np.take(u, j + 1)) & (j < n - 2)
    u0, u1 = np.take(u, j), np.take(u, j + 1)
    if (((x < u0) & (j > 0)) | ((x > u1) & (j < n - 2))).any():
        return np.interp(x, u, tab)
    t0 = np.take(tab, j)
    return np.clip(t0 + (x - u0) * ((np.take(tab, j + 1) - t0) / (u1 - u0)), tab[0], tab[-1])


def _piecewise(tk: np.ndarray, y: np.ndarray, col: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-object piecewise-linear interpolation: samples ``y`` (K, n) at the
    common times ``tk`` (K,), object ``col`` of each query time ``t``."""
    j = np.clip(np.searchsorted(tk, t, side="right") - 1, 0, tk.size - 2)
    f = (t - tk[j]) / (tk[j + 1] - tk[j])
    flat = j * y.shape[1] + col
    y0 = np.take(y, flat)
    return y0 + (np.take(y, flat + y.shape[1]) - y0) * f


def _interp_pad(y: np.ndarray) -> np.ndarray:
    """Estimated bound on the piecewise-linear interpolation error of smooth
    per-object samples ``y`` (K, n): max |second difference| / 8, doubled."""
    if y.shape[0] < 3:
        return np.zeros(y.shape[1])
    sd = np.abs(y[:-2] - 2.0 * y[1:-1] + y[2:])
    return sd.max(axis=0) / 4.0


def _unwrap(y: np.ndarray) -> np.ndarray:
    """Angles ``y`` (K, n) unwrapped along the first axis (steps taken modulo 2 pi)."""
    out = y.copy()
    d = np.diff(y, axis=0)
    out[1:] -= np.cumsum(np.round(d * (0.5 / np.pi)), axis=0) * (2.0 * np.pi)
    return out


def _radius_ranges(e: np.ndarray, f0: np.ndarray, f1: np.ndarray):
    """Least and greatest radius, in units of a, of ellipses of eccentricity
    ``e`` for true anomaly in [f0, f1] and in [f0 + pi, f1 + pi]: two
    ``(lo, hi)`` pairs from two cosines (cos(f + pi) = -cos f, and the second
    range holds the perigee where the first holds the apogee)."""
    two_pi = 2.0 * np.pi
    p_ = 1.0 - e * e
    c0, c1 = np.cos(f0), np.cos(f1)
    full = f1 - f0 >= two_pi
    has_peri = full | (np.floor(f1 / two_pi) >= np.ceil(f0 / two_pi))
    has_apo = full | (np.floor((f1 - np.pi) / two_pi) >= np.ceil((f0 - np.pi) / two_pi))
    out = []
    for sign, peri, apo in ((1.0, has_peri, has_apo), (-1.0, has_apo, has_peri)):
        r0 = p_ / (1.0 + sign * e * c0)
        r1 = p_ / (1.0 + sign * e * c1)
        lo = np.where(peri, 1.0 - e, np.minimum(r0, r1))
        hi = np.where(apo, 1.0 + e, np.maximum(r0, r1))
        out.append((lo, hi))
    return out


@dataclass
class SieveStats:
    """Work of one primary screen through the index."""

    band: int = 0
    orbit_path: int = 0
    windows: int = 0
    windows_after_angle: int = 0
    windows_after_phase: int = 0
    windows_exact: int = 0
    general: int = 0
    query_s: float = 0.0


def screen_primaries(
    index: CatalogIndex,
    primaries,
    threshold_km: float,
    start: datetime | None = None,
    span_s: float | None = None,
) -> ScreenResult:
    """Every close approach below ``threshold_km`` of each primary with the rest
    of the indexed catalog, in ``[start, start + span_s]`` (default: the index span).

    Same records, guarantee and conventions as :func:`orbitwatch.screening.screen`
    with ``primaries=`` (primary first).  ``result.stats`` also carries a
    :class:`SieveStats` as ``result.stats.sieve``.
    """
    from orbitwatch.screening import screen_selected

    t_wall = time.perf_counter()
    if not threshold_km > 0:
        raise ValueError(f"threshold_km must be positive, got {threshold_km}")
    start = index.start if start is None else (start if start.tzinfo else start.replace(tzinfo=UTC))
    off0 = (start - index.start).total_seconds()
    span_s = index.span_s - off0 if span_s is None else float(span_s)
    if off0 < -1e-6 or off0 + span_s > index.span_s + 1e-6 or not span_s > 0:
        raise ValueError(
            "the window must lie inside the index span "
            f"[{index.start:%Y-%m-%dT%H:%M:%SZ}, +{index.span_s:.0f} s]"
        )
    prim = sorted({int(x) for x in primaries})
    pidx = [index.position(x) for x in prim]
    conj: list[Conjunction] = []
    failures = []
    stats = ScreenStats(duplicate_ids_dropped=list(index.duplicate_ids_dropped))
    sv = SieveStats()
    primary_set = set(pidx)
    for p in pidx:
        twins: dict[int, list[int]] = {}
        events, general = _one_primary(
            index, p, primary_set, float(threshold_km), off0, span_s, stats, sv, twins
        )
        conj.extend(events)
        if general:
            sv.general += len(general)
            # the general engine on these objects as they are (index order is
            # catalog-number order), after its own band filter, so that its
            # failures are those screen(method="general") reports
            sub = sorted({p, *general})
            jd_w, fr_w = datetime_to_jd(start)
            keep = apogee_perigee_keep(
                [index.sats[k] for k in sub], [sub.index(p)], threshold_km, jd_w, fr_w, span_s
            )
            sub = [k for k, kept in zip(sub, keep.tolist()) if kept]
            res = screen_selected(
                index.ids[sub],
                [index.objs[k] for k in sub],
                [index.sats[k] for k in sub],
                {int(index.ids[k]): index.names.get(int(index.ids[k])) for k in sub},
                start,
                span_s,
                threshold_km,
                np.array([k == p for k in sub]),
                ScreenStats(),
                reuse_satrecs=True,
            )
            events = events + res.conjunctions
            conj.extend(res.conjunctions)
            failures.extend(res.failures)
            stats.sgp4_refine_evals += res.stats.sgp4_refine_evals
            stats.brackets += res.stats.brackets
        conj.extend(_twin_events(index, events, twins))
        twin_ids = {int(index.ids[r]): [int(index.ids[k]) for k in ks] for r, ks in twins.items()}
        failures.extend(
            replace(f, object_id=oid, name=index.names.get(oid))
            for f in list(failures)
            for oid in twin_ids.get(f.object_id, ())
        )
    # one record per pair and minimum: overlapping pieces can bracket a minimum
    # twice, and where SGP4's rounding noise decides the sign of d.d' (slow
    # encounters: a band of milliseconds in LEO, up to about a second in GEO)
    # the two solves can end at different sign changes of that band; keep the
    # first of a pair's records within DUPLICATE_S (the screen resolves minima
    # of slow motion only to h/8 = 7.5 s anyway: refine.py)
    last: dict[tuple[int, int], float] = {}
    out = []
    for c in sorted(
        conj, key=lambda c: (min(c.object_1, c.object_2), max(c.object_1, c.object_2), c.tca)
    ):
        key = (min(c.object_1, c.object_2), max(c.object_1, c.object_2))
        ts_ = c.tca.timestamp()
        if key in last and ts_ - last[key] < DUPLICATE_S:
            continue
        last[key] = ts_
        out.append(c)
    out.sort(key=lambda c: (c.tca, c.object_1, c.object_2))
    uniq_fail = {}
    for f in failures:
        if f.object_id not in uniq_fail or f.time < uniq_fail[f.object_id].time:
            uniq_fail[f.object_id] = f
    stats.objects = int(sv.band + len(pidx))
    stats.step_s = PRIMARY_STEP_S
    sv.query_s = time.perf_counter() - t_wall
    stats.wall_s = sv.query_s
    stats.sieve = sv
    return ScreenResult(out, sorted(uniq_fail.values(), key=lambda f: f.object_id), stats)


def _one_primary(
    index: CatalogIndex,
    p: int,
    primary_set: set,
    D: float,
    off0: float,
    span_s: float,
    stats: ScreenStats,
    sv: SieveStats,
    twins: dict,
):
    """Events of primary ``p`` (index position) from the sieve, and the objects
    left to the general screen.  ``twins`` is filled with representative ->
    objects with identical elements (screened through the representative)."""
    n = index.ids.size
    ta, tb = off0, off0 + span_s
    # 1. band
    keep = (index.lo <= index.hi[p] + D) & (index.lo[p] <= index.hi + D)
    keep[p] = False
    for q in primary_set:  # a pair of primaries is screened once, from the lower index
        if q < p:
            keep[q] = False
    same = np.flatnonzero(keep & (index.elem_group == index.elem_group[p]))
    for k in same.tolist():
        keep[k] = False
        stats.identical_element_pairs.append(tuple(sorted((int(index.ids[p]), int(index.ids[k])))))
    stats.excluded_by_band += int(n - 1 - keep.sum())
    cand = np.flatnonzero(keep)
    sv.band += cand.size
    # objects with identical elements have identical events: screen one of each
    _, first_pos, inverse = np.unique(
        index.elem_group[cand], return_index=True, return_inverse=True
    )
    if first_pos.size < cand.size:
        rep_of = cand[first_pos][inverse]  # the first object of each group in cand
        twin = np.flatnonzero(rep_of != cand)
        for r, k in zip(rep_of[twin].tolist(), cand[twin].tolist()):
            twins.setdefault(r, []).append(k)
        cand = cand[np.sort(first_pos)]
    # the primary is Hermite-interpolated between its samples, with the bound
    # of the quiet class (filters.interpolable_mask): otherwise the general
    # engine.  Its own caps are never used (its distance from its mean plane and
    # its radii are measured on its samples; the mean plane is only a frame):
    # past its age limit it stays a primary while it is in the quiet class.
    window_jd = (index.jd0 + index.fr0 + ta / DAY_S, index.jd0 + index.fr0 + tb / DAY_S)
    if not index.plane_ok[p] or not interpolable_mask([index.sats[p]], window_jd=window_jd)[0]:
        return [], cand.tolist()
    # objects past the age limits (plane_ok, not fast) go through the plane and
    # orbit-path stages, then straight to the exact stage: the phase stage needs
    # the position cap
    general = cand[~index.plane_ok[cand]].tolist()
    cand = cand[index.plane_ok[cand]]

    # the primary: exact samples, its argument of latitude in its mean plane
    sat_p = index.sats[p]
    m_s = max(2, math.ceil(span_s / PRIMARY_STEP_S - 1e-9))
    tab = ta + np.arange(m_s + 1) * (span_s / m_s)
    hstep = tab[1] - tab[0]
    e_p, r_p, v_p = sat_p.sgp4_array(np.full(tab.size, index.jd0), index.fr0 + tab / DAY_S)
    if (e_p != 0).any() or not (np.isfinite(r_p).all() and np.isfinite(v_p).all()):
        return [], general + cand.tolist()  # the general screen reports the failure
    g = index.groups[index.group_of[p]]
    row = g.el[index.row_of[p]]
    Pp, Qp, Wp = _plane_frames(
        np.interp(tab, g.node_t, row[:, 2]), np.interp(tab, g.node_t, row[:, 3])
    )
    u = np.unwrap(np.arctan2(np.einsum("ij,ij->i", r_p, Qp), np.einsum("ij,ij->i", r_p, Pp)))
    rho = np.linalg.norm(r_p, axis=1)
    speed = np.linalg.norm(v_p, axis=1)
    du = np.diff(u)
    if not (du > 0).all() or cand.size == 0:
        return [], general + cand.tolist()
    # |u''| <= 2 (v / rho)^2: linear interpolation of u is off by at most that * h^2 / 8
    udd = 2.0 * float(np.max(speed / rho)) ** 2
    e_u = udd * hstep * hstep / 8.0
    udot_min = float(du.min()) / hstep - udd * hstep / 2.0
    if not udot_min > 0:
        return [], general + cand.tolist()
    # Hermite interpolation of p between samples: the fourth-derivative bound
    # 14 mu^2/rho^5 h^4/384 (filters docstring) plus what SGP4's velocity gap G
    # does at any point s of an interval: h (h10 G0 + h11 G1), |h10| + |h11| = s (1 - s) <= 1/4
    rho_min = float(rho.min())
    pad_p = (14.0 * MU_KM3_S2**2 / rho_min**5 + 1e-7) * hstep**4 / 384.0 + hstep * VELOCITY_GAP_KM_S / 4.0
    eps_p = float(np.max(np.abs(np.einsum("ij,ij->i", r_p, Wp)))) + pad_p
    # radius of p between samples: |rho''| <= v^2/rho + mu/rho^2
    rho_pad = (
        float(speed.max()) ** 2 / rho_min + MU_KM3_S2 / rho_min**2 + P_BOUND_KM_S2
    ) * hstep * hstep / 8.0 + pad_p
    rho_lo, rho_hi = rho_min - rho_pad, float(rho.max()) + rho_pad

    # 2a. plane geometry per object at K instants (piecewise linear between them)
    ns = cand.size
    tk = _plane_instants(ta, tb)
    kt = tk.size
    planes = _planes(index, cand, tk)
    argp = planes.argp
    amp, nu, lam = _mutual(index, p, planes)
    # (K, n) arrays: instants along the first axis
    nu = _unwrap(nu)
    fnode = _unwrap(lam - argp)  # true anomaly of the mutual node on s's mean orbit
    lam = _unwrap(lam)
    seg = tk[1] - tk[0]
    pad_lam = _interp_pad(lam) + 1e-5
    # largest rates of the node's and the perigee's arguments on s's orbit (rad/s)
    lamdot = (np.abs(np.diff(lam, axis=0)).max(axis=0) + pad_lam) / seg
    argpdot = planes.argpdot
    pad_nu = _interp_pad(nu) + 1e-5
    amp_min = amp.min(axis=0) - _interp_pad(amp) - 1e-5
    nudot = (np.abs(np.diff(nu, axis=0)).max(axis=0) + pad_nu) / seg
    x = D + index.plane_cap[cand] + eps_p
    with np.errstate(divide="ignore", invalid="ignore"):
        # rho_min - eps_p: the length of p's position projected into its mean plane
        ratio = np.where(amp_min > 0, x / ((rho_lo - eps_p) * amp_min), np.inf)
        slow = nudot / udot_min
        # half-width of the window in p's argument of latitude (nu's drift inside it included)
        half = (np.arcsin(np.minimum(ratio, 1.0)) + e_u + pad_nu) / (1.0 - slow)
    wide = (ratio >= 1.0) | (slow >= 0.5) | ~(half <= MAX_WINDOW_ANGLE_RAD)
    # near-coplanar objects: windows by the object's own radius instead (eccentric
    # orbits pass through p's radii briefly); near-circular ones (co-orbiting
    # with p) go to the general screen
    # (radius windows need the position cap: aged near-coplanar objects go to
    # the general screen)
    wide_aged = wide & ~index.fast[cand]
    general.extend(cand[wide_aged].tolist())
    rw_o, rw_lo, rw_hi, too_long = _radius_windows(
        index, cand[wide & ~wide_aged], ta, tb, rho_lo, rho_hi, D, RADIUS_PIECE_S
    )
    general.extend(too_long.tolist())

    # 2b. orbit path: the object's mean radius near one of the mutual nodes must reach p's radii
    beta = half + (eps_p + 1.01 * D + 1.0 + index.plane_cap[cand]) / rho_lo
    fpad = _interp_pad(fnode)
    f_lo = fnode.min(axis=0) - fpad - beta
    f_hi = fnode.max(axis=0) + fpad + beta
    a_lo, a_hi, e_lo, e_hi = _span_range(index, cand)
    e_mid = np.clip(0.5 * (e_lo + e_hi), 0.0, 0.999)
    grow = index.rad_cap[cand] + D + _e_pad(a_hi, e_lo, e_hi)
    path = np.zeros((ns, 2), dtype=bool)
    # the radius is a times a function of (e, f): least with a_lo, greatest with a_hi
    for q, (lo_u, hi_u) in enumerate(_radius_ranges(e_mid, f_lo, f_hi)):
        path[:, q] = (a_lo * lo_u - grow <= rho_hi) & (a_hi * hi_u + grow >= rho_lo)
    path[wide] = False
    sv.orbit_path += int(path.any(axis=1).sum())

    # 2c. windows: crossing k (p at u = nu + k pi, i.e. at (-1)^k m) for the kept parities
    rows = np.flatnonzero(path.any(axis=1))
    nu_r = nu[:, rows]
    nu_m = nu_r[kt // 2]
    k_lo = (
        np.floor((u[0] - nu_r.max(axis=0) - MAX_WINDOW_ANGLE_RAD) / np.pi).astype(np.int64) - 1
    )
    k_hi = (
        np.ceil((u[-1] - nu_r.min(axis=0) + MAX_WINDOW_ANGLE_RAD) / np.pi).astype(np.int64) + 1
    )
    nk = int((k_hi - k_lo).max()) + 1 if rows.size else 0
    kk = k_lo[:, None] + np.arange(nk)[None, :]
    path_r = path[rows]
    ok = (kk <= k_hi[:, None]) & np.where(np.mod(kk, 2) == 1, path_r[:, 1:], path_r[:, :1])
    flat = np.flatnonzero(ok)
    r_loc = flat // max(nk, 1)
    srow = np.take(rows, r_loc)
    kk = np.take(kk, flat)
    base = kk * np.pi
    theta = base + np.take(nu_m, r_loc)
    for _ in range(2):
        tc = _time_at(theta, u, tab)
        theta_prev = theta
        theta = base + _piecewise(tk, nu, srow, tc)
    # the fixed point theta = k pi + nu(t(theta)) contracts by slow < 1/2 per step:
    # what is left after the last step is at most slow / (1 - slow) <= 1 times its
    # size (slow is ~1e-3: the two steps leave ~1e-4 rad of a ~0.003 rad window)
    hw = np.take(half, srow) + np.abs(theta - theta_prev)
    inside = (theta + hw >= u[0]) & (theta - hw <= u[-1])
    srow, theta, hw, kk = (np.compress(inside, x) for x in (srow, theta, hw, kk))
    w_lo = np.clip(_time_at(theta - hw, u, tab), ta, tb)
    w_hi = np.clip(_time_at(theta + hw, u, tab), ta, tb)
    sobj = np.concatenate([cand[srow], rw_o])
    w_lo = np.concatenate([w_lo, rw_lo])
    w_hi = np.concatenate([w_hi, rw_hi])
    sv.windows += sobj.size

    # 3. phase: mean Kepler position at the window centre against the primary there
    tc = 0.5 * (w_lo + w_hi)
    hwt = 0.5 * (w_hi - w_lo)
    es = mean_elements(index, sobj, tc)
    # 3a. angle pre-check (plane windows): at some t in the window s is within
    # D of p, which is within 2 half (+ eps_p) of the mutual node (-1)^k m, and
    # s's mean Kepler position, in s's mean plane, is within kappa of s: its
    # true anomaly f must be within gamma of F = lam + k pi - argp at that t.
    # F moves from t_c by at most (lam' + argp') w, f at a fixed mean anomaly
    # by at most (2 + e)/(1 - e^2) e' w, and the mean anomaly by mdot_max w:
    # the window is dropped when M(t_c) +- mdot_max w misses the mean
    # anomalies of [F - gamma, F + gamma] (Kepler's equation, exact).
    keep = np.ones(sobj.size, dtype=bool)
    npl = srow.size
    if npl:
        # per object first, then gathered per window
        e_top = np.clip(index.span_e[cand, 1], 0.0, 0.999)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = argpdot + lamdot + (2.0 + e_top) / (1.0 - e_top * e_top) * index.edot_max[cand]
        ec = es[:npl]
        e_c, m_c = ec[:, 1], ec[:, 5]
        kap = np.take(index.pos_cap[cand], srow)
        hw_c = hwt[:npl]
        rho_small = np.minimum(rho_lo, ec[:, 0] * (1.0 - e_c) - kap)
        delta = eps_p + 1.01 * D + kap + 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = (
                np.take(2.0 * half + pad_lam, srow)
                + 1.05 * delta / rho_small
                + np.take(rate, srow) * hw_c
            )
            f_c = _piecewise(tk, lam, srow, tc[:npl]) + np.pi * np.mod(kk, 2) - ec[:, 4]
            m_half = np.take(index.mdot_max[cand], srow) * hw_c
            # near-circular: f = M + 2 e sin M within 1.5 e^2 (one sine, no mapping)
            dev = np.abs(_wrap(m_c + 2.0 * e_c * _cos_sin(m_c)[1] - f_c))
            bound = (m_half + 1.5 * e_c * e_c) * (1.0 + 2.0 * e_c) + gamma
            x = np.flatnonzero(e_c >= PRECHECK_ECC_MAX)
            if x.size:
                gx, ex = np.take(gamma, x), np.take(e_c, x)
                f0 = _wrap(np.take(f_c, x) - gx)
                m0 = _mean_anomaly(f0, ex)
                m1 = _mean_anomaly(f0 + 2.0 * gx, ex)
                bound[x] = np.take(m_half, x) + 0.5 * (m1 - m0)
                dev[x] = np.abs(_wrap(np.take(m_c, x) - 0.5 * (m0 + m1)))
            # gamma >= pi, a non-finite bound or no room for the angle: kept;
            # aged objects (no position cap): kept
            keep[:npl] = ~(
                (gamma < np.pi)
                & (delta < 0.5 * rho_small)
                & (e_c < 1.0)
                & (dev > bound)
                & np.take(index.fast[cand], srow)
            )
    sobj, w_lo, w_hi, tc, hwt = (np.compress(keep, x) for x in (sobj, w_lo, w_hi, tc, hwt))
    es = np.compress(keep, es, axis=0)
    sv.windows_after_angle += sobj.size
    rs, _ = kepler_states(es, velocity=False)
    rp = _hermite(tc, tab, r_p, v_p)
    dist = np.linalg.norm(rs - rp, axis=1)
    a_s, e_s = es[:, 0], es[:, 1]
    q_s = np.maximum(a_s * (1.0 - e_s) - index.pos_cap[sobj], RE_KM - 100.0)
    v_s_max = np.sqrt(MU_KM3_S2 * (2.0 / q_s - 1.0 / (a_s + index.pos_cap[sobj]))) + 0.05
    lower = dist - index.pos_cap[sobj] - pad_p - (v_s_max + float(speed.max()) + 0.01) * hwt
    # NaN (no Kepler position) keeps the window
    near = ~(lower > D) | ~index.fast[sobj]
    sobj, w_lo, w_hi, tc, hwt = sobj[near], w_lo[near], w_hi[near], tc[near], hwt[near]
    sv.windows_after_phase += sobj.size

    # 4. exact states at the centres, then exact search of what is left
    local = np.concatenate([[p], np.unique(sobj)])
    loc_j = np.searchsorted(local[1:], sobj) + 1
    sats_l = [index.sats[int(o)] for o in local.tolist()]
    p_obj = perturbation_bounds_km_s2(sats_l)
    exact = ExactStates(sats_l, index.jd0, index.fr0)
    failed: set[int] = set()
    if sobj.size:
        lower, bad = _linear_lower_km(exact, p_obj, loc_j, tc, hwt)
        failed.update(int(local[o]) for o in loc_j[bad].tolist())
        near = ~bad & (lower <= D)
        loc_j, w_lo, w_hi = loc_j[near], w_lo[near], w_hi[near]
    sv.windows_exact += loc_j.size
    # one piece length for all (find_brackets takes one): the longest window's
    # share, at most PIECE_S; windows are lengthened to whole pieces (sound:
    # windows only grow, and windows of one pair are half a revolution apart)
    wlen = w_hi - w_lo
    h = float(min(PIECE_S, wlen.max())) if wlen.size else PIECE_S
    h = max(h, 1e-3)
    npieces = np.maximum(1, np.ceil(wlen / h - 1e-9)).astype(np.int64)
    pj = np.repeat(loc_j, npieces)
    within = np.arange(pj.size) - np.repeat(np.cumsum(npieces) - npieces, npieces)
    # lengthened windows are shifted back inside [ta, tb] where they would overrun it
    start = np.maximum(np.minimum(w_lo, tb - npieces * h), ta)
    p0 = np.repeat(start, npieces) + within * h
    # the pieces of long windows (minutes: near-coplanar objects) get the same
    # bound again over their own length
    multi = np.flatnonzero(np.repeat(npieces > 1, npieces))
    if multi.size:
        hw_p = np.full(multi.size, 0.5 * h)
        lower, bad = _linear_lower_km(exact, p_obj, pj[multi], p0[multi] + 0.5 * h, hw_p)
        failed.update(int(local[o]) for o in pj[multi][bad].tolist())
        drop = multi[~bad & (lower > D)]
        if drop.size:
            keep_p = np.ones(pj.size, dtype=bool)
            keep_p[drop] = False
            pj, p0 = pj[keep_p], p0[keep_p]
    ci = np.zeros(pj.size, dtype=np.int64)
    bi, bj, ba, bb = find_brackets(ci, pj, p0, h, exact, p_obj[ci] + p_obj[pj])
    ok, ts, ri, vi, rj, vj, err_obj = solve_minima(bi, bj, ba, bb, exact)
    stats.brackets += int(bi.size)
    stats.candidate_intervals += int(pj.size)
    stats.sgp4_refine_evals += exact.evals
    failed.update(int(local[o]) for o in err_obj[err_obj[:, 0] > 0, 0].tolist())
    # a secondary that fails inside a window: the general screen handles it whole
    general.extend(sorted(failed))
    d = np.linalg.norm(rj - ri, axis=1)
    keepm = ok & (d < D) & (ts > ta) & (ts <= tb)
    if failed:
        keepm &= ~np.isin(local[bj], list(failed))
    events = _records(
        index, p, local[bj[keepm]], ts[keepm], ri[keepm], vi[keepm], rj[keepm], vj[keepm]
    )
    return events, sorted(set(general))


def _linear_lower_km(exact: ExactStates, p_obj: np.ndarray, obj: np.ndarray, tc: np.ndarray, hw: np.ndarray):
    """Lower bound on the distance between object 0 of ``exact`` (the primary)
    and objects ``obj`` over ``[tc - hw, tc + hw]``, from SGP4's states at
    ``tc``: ``d(t) = d(tc) + d'(tc) s + R``, ``|R| <= A s^2 / 2`` with
    ``A >= |d''| = 2 mu / rho^2 + P_1 + P_2``, and each object's SGP4 velocity
    output within ``VELOCITY_GAP_KM_S`` of the derivative of its positions
    (so the relative one within twice that of ``d'``), so over ``|s| <= hw``
    ``|d(t)| >= min_s |d(tc) + v s| - 2 VELOCITY_GAP_KM_S hw - A hw^2 / 2``.
    Returns ``(lower, bad)``; ``bad`` flags a propagation failure at ``tc``."""
    ej, rj, vj = exact(obj, tc)
    ei, ri, vi = exact(np.zeros(tc.size, dtype=np.int64), tc)
    bad = (ej != 0) | (ei != 0)
    acc = 2.0 * MU_KM3_S2 / (RE_KM - 100.0) ** 2 + p_obj[0] + p_obj[obj]
    dd = rj - ri
    vv = vj - vi
    v2 = np.einsum("ij,ij->i", vv, vv)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_min = np.where(v2 > 0, -np.einsum("ij,ij->i", dd, vv) / v2, 0.0)
    s_min = np.clip(s_min, -hw, hw)
    lower = (
        np.linalg.norm(dd + vv * s_min[:, None], axis=1)
        - 2.0 * VELOCITY_GAP_KM_S * hw
        - 0.5 * acc * hw * hw
    )
    return lower, bad


def _radius_windows(
    index: CatalogIndex,
    objs: np.ndarray,
    ta: float,
    tb: float,
    r_lo: float,
    r_hi: float,
    D: float,
    sub_s: float,
):
    """Time windows in which an object can be at a radius within D of [r_lo, r_hi].

    SGP4's position is within ``kappa`` (the position cap) of the mean Kepler
    position at the same instant, so outside the times at which the mean
    Kepler radius lies in ``[r_lo - D - kappa, r_hi + D + kappa]`` the object
    is farther than D from anything in that radius range.  The times come from
    the true-anomaly arcs where the mean ellipse (a over its span range, e
    padded by its drift) reaches that range, turned into mean anomalies and
    then into times through the interpolated mean anomaly (sampled every 60 s
    and inverted; it is monotone).  Each window is cut into pieces of at most
    ``sub_s``.  Returns ``(obj, w_lo, w_hi, too_long)``: ``too_long`` lists the
    objects that spend more than 30 % of their orbit in range (near-circular
    orbits: the general screen takes them)."""
    a_lo, a_hi, e_lo, e_hi = _span_range(index, objs)
    kappa = index.pos_cap[objs]
    e = np.clip(0.5 * (e_lo + e_hi), 1e-9, 0.999)
    pad = _e_pad(a_hi, e_lo, e_hi)
    lo_r = r_lo - D - kappa - pad
    hi_r = r_hi + D + kappa + pad
    c_hi = (a_lo * (1.0 - e * e) / hi_r - 1.0) / e  # r <= hi_r  <=>  cos f >= c_hi
    c_lo = (a_hi * (1.0 - e * e) / np.maximum(lo_r, 1.0) - 1.0) / e  # r >= lo_r  <=>  cos f <= c_lo
    never = (c_hi > 1.0) | (c_lo < -1.0)
    f_b = np.arccos(np.clip(c_hi, -1.0, 1.0))
    f_a = np.arccos(np.clip(c_lo, -1.0, 1.0))
    never |= f_a > f_b

    def mean_anom(f, ecc):
        E = 2.0 * np.arctan(np.sqrt((1.0 - ecc) / (1.0 + ecc)) * np.tan(0.5 * f))
        E = np.where(f >= np.pi - 1e-12, np.pi, E)
        return E - ecc * np.sin(E)

    # e moves over the span: the arc's mean anomalies at both ends of its range
    # (M is monotone in e at a fixed true anomaly in [0, pi])
    e0, e1 = np.clip(e_lo, 0.0, 0.999), np.clip(e_hi, 0.0, 0.999)
    m_a = np.minimum(mean_anom(f_a, e0), mean_anom(f_a, e1))
    m_b = np.maximum(mean_anom(f_b, e0), mean_anom(f_b, e1))
    frac = (m_b - m_a) / np.pi
    too_long = objs[~never & (frac > 0.3)]
    use = np.flatnonzero(~never & (frac <= 0.3))
    out_o, out_lo, out_hi = [], [], []
    tg = np.arange(ta, tb + 60.0, 60.0)
    tg[-1] = min(tg[-1], tb)
    tg = np.unique(np.clip(tg, ta, tb))
    mg_all = _mean_anomaly_grid(index, objs[use], tg)
    for row_k, k in enumerate(use.tolist()):
        o = int(objs[k])
        mg = mg_all[row_k]
        if not (np.diff(mg) > 0).all():
            too_long = np.append(too_long, o)
            continue
        j0 = int(np.floor(mg[0] / (2.0 * np.pi))) - 1
        j1 = int(np.ceil(mg[-1] / (2.0 * np.pi))) + 1
        js = np.arange(j0, j1 + 1) * 2.0 * np.pi
        lo_m = np.concatenate([js + m_a[k], js - m_b[k]])
        hi_m = np.concatenate([js + m_b[k], js - m_a[k]])
        sel = (hi_m >= mg[0]) & (lo_m <= mg[-1])
        out_lo.append(np.interp(lo_m[sel], mg, tg))
        out_hi.append(np.interp(hi_m[sel], mg, tg))
        out_o.append(np.full(out_lo[-1].size, o))
    if not out_o:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), too_long
    o_w, t_lo, t_hi = (
        np.concatenate(out_o).astype(np.int64),
        np.concatenate(out_lo),
        np.concatenate(out_hi),
    )
    # cut each window into equal pieces of at most sub_s
    npc = np.maximum(1, np.ceil((t_hi - t_lo) / sub_s - 1e-9)).astype(np.int64)
    step = (t_hi - t_lo) / npc
    within = np.arange(int(npc.sum())) - np.repeat(np.cumsum(npc) - npc, npc)
    p_lo = np.repeat(t_lo, npc) + within * np.repeat(step, npc)
    return np.repeat(o_w, npc), p_lo, p_lo + np.repeat(step, npc), too_long


def _e_pad(a_hi: np.ndarray, e_lo: np.ndarray, e_hi: np.ndarray) -> np.ndarray:
    """How far the radius at a fixed true anomaly can move when e ranges over
    [e_lo, e_hi]: |dr/de| = a |2e + (1 + e^2) cos f| / (1 + e cos f)^2
    <= a (1 + e)^2 / (1 - e)^2."""
    e = np.clip(e_hi, 0.0, 0.999)
    return a_hi * (e_hi - e_lo) * (1.0 + e) ** 2 / (1.0 - e) ** 2


def _span_range(index: CatalogIndex, obj: np.ndarray):
    """Least and greatest mean a and e of each object over all its index nodes."""
    return index.span_a[obj, 0], index.span_a[obj, 1], index.span_e[obj, 0], index.span_e[obj, 1]


def _twin_events(index: CatalogIndex, events: list, twins: dict) -> list:
    """The events of objects screened through a twin with identical elements."""
    if not twins:
        return []
    by_id = {int(index.ids[r]): [int(index.ids[k]) for k in ks] for r, ks in twins.items()}
    out = []
    for c in events:
        for oid in by_id.get(c.object_2, ()):
            out.append(replace(c, object_2=oid, object_2_name=index.names.get(oid)))
    return out


def _records(
    index: CatalogIndex,
    p: int,
    others: np.ndarray,
    ts: np.ndarray,
    ri: np.ndarray,
    vi: np.ndarray,
    rj: np.ndarray,
    vj: np.ndarray,
) -> list[Conjunction]:
    if ts.size == 0:
        return []
    dr = rj - ri
    miss = np.linalg.norm(dr, axis=1).tolist()
    rel = np.linalg.norm(vj - vi, axis=1).tolist()
    rtn = to_rtn(ri, vi, dr).tolist()
    pid = int(index.ids[p])
    out = []
    for m in range(ts.size):
        oid = int(index.ids[int(others[m])])
        out.append(
            Conjunction(
                object_1=pid,
                object_2=oid,
                tca=index.start + timedelta(seconds=float(ts[m])),
                miss_distance_km=miss[m],
                relative_speed_km_s=rel[m],
                miss_rtn_km=tuple(rtn[m]),
                object_1_name=index.names.get(pid),
                object_2_name=index.names.get(oid),
                r1_teme_km=tuple(ri[m].tolist()),
                v1_teme_km_s=tuple(vi[m].tolist()),
                r2_teme_km=tuple(rj[m].tolist()),
                v2_teme_km_s=tuple(vj[m].tolist()),
            )
        )
    return out


def cap_usage(
    index: CatalogIndex, step_s: float = 60.0, objects: np.ndarray | None = None, block: int = 120
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Measure the caps: for each object (default: every ``fast`` one), over
    the index span sampled every ``step_s``, the largest out-of-plane distance
    of SGP4 from its interpolated mean plane, the largest distance of SGP4 from
    its mean Kepler position, and the largest difference between SGP4's radius
    and the mean ellipse's radius in the same direction.  Returns
    ``(objects, plane_km, position_km, radial_km)``; samples where SGP4 fails
    are skipped."""
    from sgp4.api import SatrecArray

    obj = np.flatnonzero(index.fast) if objects is None else np.asarray(objects, dtype=np.int64)
    arr = SatrecArray([index.sats[int(k)] for k in obj.tolist()])
    t_all = np.arange(0.0, index.span_s + 1e-9, step_s)
    plane = np.zeros(obj.size)
    posd = np.zeros(obj.size)
    radd = np.zeros(obj.size)
    for b0 in range(0, t_all.size, block):
        t = t_all[b0 : b0 + block]
        e, r, _ = arr.sgp4(np.full(t.size, index.jd0), index.fr0 + t / DAY_S)
        oo = np.repeat(obj, t.size)
        tt = np.tile(t, obj.size)
        el = mean_elements(index, oo, tt)
        rk, _ = kepler_states(el, velocity=False)
        P, Q, W = _plane_frames(el[:, 2], el[:, 3])
        rr = r.reshape(-1, 3)
        good = (e.ravel() == 0) & np.isfinite(rr).all(axis=1)
        w = np.where(good, np.abs(np.einsum("ij,ij->i", rr, W)), 0.0).reshape(obj.size, t.size)
        dp = np.where(good, np.linalg.norm(rr - rk, axis=1), 0.0).reshape(obj.size, t.size)
        f = np.arctan2(np.einsum("ij,ij->i", rr, Q), np.einsum("ij,ij->i", rr, P)) - el[:, 4]
        ecc = el[:, 1]
        rm = el[:, 0] * (1.0 - ecc * ecc) / (1.0 + ecc * np.cos(f))
        dr = np.where(good, np.abs(np.linalg.norm(rr, axis=1) - rm), 0.0).reshape(obj.size, t.size)
        plane = np.maximum(plane, np.nan_to_num(w).max(axis=1))
        posd = np.maximum(posd, np.nan_to_num(dp, nan=np.inf).max(axis=1))
        radd = np.maximum(radd, np.nan_to_num(dr, nan=np.inf).max(axis=1))
    return obj, plane, posd, radd
