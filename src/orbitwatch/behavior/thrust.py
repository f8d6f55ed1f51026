"""Sustained thrust: orbit raising and lowering spread over days.

Electric propulsion (Starlink's Hall thrusters, all-electric buses) and
long chemical campaigns change the semi-major axis a little in every gap
between element sets, for days: STARLINK-37081 (68229) rose from 365 to
419 km between 2026-05-23 and 05-28 at about 12 km/day, with sets every
2-18 h.  The step detector of :mod:`orbitwatch.behavior.maneuvers` measures
jumps against the history's own typical jump, which during such an arc is
the thrust itself, so it reports it in pieces or not at all.

An *arc* here is a run of consecutive gaps in which the mean semi-major
axis moves the same way, faster than anything but thrust moves it (one
gap that does not keep up, but moves against the arc by no more than the
set-to-set noise, may bridge two that do; the arc as a whole must stand
out of the noise and keep the rate):

- rising faster than :data:`MIN_RATE_KM_DAY` (drag only lowers ``a``; the
  long-period terms left in mean elements move it by metres a day), or
- sinking that fast with the perigee above :data:`LOWERING_MIN_PERIGEE_KM`
  (below it drag alone sinks a Starlink by 0.3 to 20 km/day: in the
  2026-05 feed the median rate is -1.3 km/day at 300-325 km and -0.01 at
  350-375 km, where most are station-kept), and starting or stopping more
  abruptly than drag can (Odin, 26702, decays naturally at 0.6-1.0 km/day
  at 361 km in that feed, its rate growing smoothly as it sinks);

and that lasts at least :data:`MIN_GAPS` gaps and :data:`MIN_DAYS` days,
which an impulsive burn, seen by the sets as one step or a fit-span
smear that converges, does not give at these rates.

The noise is the robust scatter of each set's ``a`` about the line
through its neighbours (steady thrust leaves none), so a history that is one long raise still has
a yardstick.  The delta-v of a slow spiral between circular orbits is the
difference of their circular speeds, ``|sqrt(mu/a1) - sqrt(mu/a2)|``.
"""

from __future__ import annotations

from math import sqrt

import numpy as np

from orbitwatch.behavior.history import MU_KM3_S2, History, off_line
from orbitwatch.elements.model import set_ref
from orbitwatch.propagation.frames import WGS84_A_KM
from orbitwatch.timeutil import jd_to_datetime

#: slowest change of ``a`` (km/day) counted as thrust; about ten times the
#: largest natural rise (maneuvers.NATURAL_RISE_KM_DAY)
MIN_RATE_KM_DAY = 0.5
#: an arc has at least this many consecutive gaps moving ``a`` the same way
MIN_GAPS = 4
#: and lasts at least this long (days)
MIN_DAYS = 1.0
#: a bridging gap may move ``a`` against the arc by at most this many
#: sigmas of the difference of two sets
GAP_SIGMA = 3.0
#: and last at most this long (days)
BRIDGE_MAX_DAYS = 0.5
#: the arc's change of ``a`` must exceed this many times the step
#: detector's threshold in units of the two-set noise: an arc has none of
#: the step events' further checks, so it must stand out twice as far
ARC_Z_FACTOR = 2.0
#: below this perigee (km) a fast descent may be drag: only rises count
LOWERING_MIN_PERIGEE_KM = 350.0
#: a descent is thrust when it sinks at least this many times faster than
#: the orbit does on one side of it (after drag's growth, see _abrupt)
ABRUPT_FACTOR = 3.0
#: the least span (days) over which that side's rate is measured
SIDE_DAYS = 0.5
#: the least density scale height of the thermosphere below 500 km (km; about
#: 25-50 km between 150 and 300 km, US Standard Atmosphere 1976): drag's
#: decay rate grows at most e-fold per this many km sunk
DRAG_SCALE_HEIGHT_KM = 20.0


def set_noise_km(t_days: np.ndarray, a_km: np.ndarray) -> float:
    """Robust scatter (km) of one set's ``a`` about a locally linear trend:
    each inner set's distance from the line through its two neighbours (zero
    for any steady rate, however uneven the sampling), 1.4826 times their
    median over sqrt(1.5) (that distance's scatter for equal gaps and
    independent sets)."""
    if a_km.size < 4:
        return 0.0
    k = np.arange(1, a_km.size - 1)
    return float(1.4826 * np.median(off_line(a_km, t_days, k, k - 1, k + 1)) / sqrt(1.5))


def _side_rate(t: np.ndarray, a: np.ndarray, i0: int, i1: int, step: int) -> float | None:
    """Mean rate of ``a`` from set ``i0`` outward (``step`` -1: before it,
    +1: after it) over at least :data:`SIDE_DAYS`, or None when the history
    is too short there."""
    i = i0
    while 0 <= i + step < len(t) and abs(t[i] - t[i0]) < SIDE_DAYS:
        i += step
    if i == i0 or abs(t[i] - t[i0]) < SIDE_DAYS:
        return None
    return float((a[i] - a[i0]) / (t[i] - t[i0]))


def _abrupt(t: np.ndarray, a: np.ndarray, k: int, j: int, rate: float) -> bool:
    """Whether a descent starts or stops more abruptly than drag can.  Drag's
    decay rate grows smoothly, about e-fold per density scale height sunk
    (:data:`DRAG_SCALE_HEIGHT_KM`); so if the rate on one side of the arc,
    grown by that for the arc's whole descent, is under a third of the arc's,
    something else lowered the orbit.  A descent that fills the history has
    no side to compare with and is not claimed."""
    grow = np.exp(abs(float(a[j + 1] - a[k])) / DRAG_SCALE_HEIGHT_KM)
    for side in (_side_rate(t, a, k, k, -1), _side_rate(t, a, j + 1, j + 1, +1)):
        if side is not None and abs(rate) > ABRUPT_FACTOR * max(-side, 0.0) * grow:
            return True
    return False


def thrust_arcs(hist: History, *, threshold: float = 5.0) -> list[dict]:
    """The sustained-thrust arcs of one cleaned LEO history.

    Each arc is a dict: ``first`` and ``last`` (indices of the first and the
    last gap), ``delta_a_km``, ``rate_km_day``, ``z`` (the arc's change of
    ``a`` over its noise), ``noise_km``."""
    n = len(hist)
    if n < MIN_GAPS + 1 or hist.regime != "LEO":
        return []
    t, a = hist.t_days, hist.a_km
    sigma = max(set_noise_km(t, a), 1e-3)  # a metre: the resolution of mean a
    da, dt = np.diff(a), np.diff(t)
    rate = np.where(dt > 0, da / np.where(dt > 0, dt, 1.0), 0.0)
    perigee = a * (1.0 - hist.ecc) - WGS84_A_KM
    low_ok = np.minimum(perigee[:-1], perigee[1:]) >= LOWERING_MIN_PERIGEE_KM
    against_ok = GAP_SIGMA * sqrt(2.0) * sigma  # a move against the arc within the noise
    arcs = []
    for sign in (1, -1):
        core = (sign * rate >= MIN_RATE_KM_DAY) & (sign * da > 0)
        if sign < 0:
            core &= low_ok
        k = 0
        while k < n - 1:
            if not core[k]:
                k += 1
                continue
            j = k
            # one short gap that does not keep up (a set fitted a little
            # off) bridges two that do; a longer one is a coast, and steps
            # with a plateau between them are impulsive burns
            while True:
                if j + 1 < n - 1 and core[j + 1]:
                    j += 1
                elif (
                    j + 2 < n - 1 and core[j + 2] and sign * da[j + 1] > -against_ok
                    and dt[j + 1] <= BRIDGE_MAX_DAYS
                ):
                    j += 2
                else:
                    break
            gaps, days = j - k + 1, float(t[j + 1] - t[k])
            d_a = float(a[j + 1] - a[k])
            z = abs(d_a) / (sqrt(2.0) * sigma)
            if (
                gaps >= MIN_GAPS and days >= MIN_DAYS and z > ARC_Z_FACTOR * threshold
                and sign * d_a / days >= MIN_RATE_KM_DAY
                and (sign > 0 or _abrupt(t, a, k, j, d_a / days))
            ):
                arcs.append({
                    "first": k, "last": j, "sign": sign, "delta_a_km": d_a,
                    "rate_km_day": d_a / days, "z": z, "noise_km": sigma,
                })
            k = j + 1
    arcs.sort(key=lambda r: r["first"])
    return arcs


def arc_record(hist: History, arc: dict, threshold: float) -> dict:
    """The manoeuvre fields of one arc: gap, epoch estimate (the start of
    the thrust: the middle of the arc's first gap), delta-v, confidence and
    evidence (the sets that bound it and those at its ends)."""
    k, j = arc["first"], arc["last"]
    es0, es1 = hist.element_sets[k], hist.element_sets[j + 1]
    a0, a1 = float(hist.a_km[k]), float(hist.a_km[j + 1])
    dv = abs(sqrt(MU_KM3_S2 / a0) - sqrt(MU_KM3_S2 / a1)) * 1000.0
    z = min(arc["z"], 1e6)
    t = hist.t_days
    first_end = hist.element_sets[k + 1]
    last_start = hist.element_sets[j]
    evidence = {
        "before": set_ref(es0),
        "after": set_ref(es1),
        "regime": hist.regime,
        "trigger": {"channel": "a", "sustained": True, "robust_z": round(z, 2)},
        "delta_a_m": round((a1 - a0) * 1000.0, 1),
        "sustained_thrust": {
            "direction": "raising" if arc["sign"] > 0 else "lowering",
            "gaps": j - k + 1,
            "duration_days": round(float(t[j + 1] - t[k]), 3),
            "rate_km_day": round(arc["rate_km_day"], 3),
            "started_after": set_ref(es0)["epoch"],
            "started_before": set_ref(first_end)["epoch"],
            "still_thrusting_at": set_ref(last_start)["epoch"],
            "ended_before": set_ref(es1)["epoch"],
            "ongoing_at_history_end": j + 1 == len(hist) - 1,
            "under_way_at_history_start": k == 0,
            "noise_m": round(arc["noise_km"] * 1000.0, 1),
        },
        "delta_v_components_m_s": {"along_track": round(dv, 5), "eccentricity": 0.0,
                                   "out_of_plane": 0.0},
    }
    return {
        "gap_start": es0.epoch,
        "gap_end": es1.epoch,
        "epoch_estimate": jd_to_datetime(0.5 * (t[k] + t[k + 1])),
        "delta_v_m_s": dv,
        "confidence": z * z / (z * z + threshold**2),
        "evidence": evidence,
        "owner": next((es.owner for es in (es1, es0) if es.owner), None),
        "name": next((es.name for es in (es1, es0) if es.name), None),
    }
