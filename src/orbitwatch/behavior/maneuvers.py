"""Manoeuvre detection from element-set (TLE/OMM) histories.

Method: robust step detection on mean elements, in the family of the
"robust statistics" TLE detectors of Lemmens & Krag (2014, JGCD 37(3):860,
"Two-Line-Elements-Based Maneuver Detection Methods for Satellites in Low
Earth Orbit") and Kelecy et al. (AMOS 2007), adapted to the pitfalls that
Shorten et al. (2023) document for element-set histories.

For ONE object's cleaned history (:func:`orbitwatch.behavior.history.clean_history`)
and each orbital channel —

==========  =======================================  =========================
channel     series                                   what moves it
==========  =======================================  =========================
``a``       Brouwer mean semi-major axis (km)        along-track burns
``e``       eccentricity vector (e cos w, e sin w)   radial / tangential burns
``i``       inclination (deg)              [LEO]     out-of-plane burns
``raan``    right ascension of the node (deg) [LEO]  out-of-plane burns
``ivec``    inclination vector (deg)       [GEO]     north-south station-keeping
``u``       along-track drift kink (km/day) from     along-track burns
            TLE-pair SGP4 consistency (evidence)
==========  =======================================  =========================

1. *Natural drift is removed locally*: the background rate of each series
   is the running median of the per-gap rates ``dx/dt`` over +-``trend_half``
   gaps (drag decay, J2 nodal regression, apsidal rotation, GEO
   inclination-vector drift are all slow and near-linear over a few weeks;
   manoeuvres are sparse so the median ignores them).  Subtracting the
   integrated background leaves a level series ``c``.
2. *Steps are measured at several scales*: the jump across gap ``k`` is
   ``median(c[k+1+g : k+1+g+h]) - median(c[k-g-h+1 : k-g+1])`` for a window of
   ``h`` sets each side and guard ``g`` (sets skipped next to the gap).  ``h=1,
   g=0`` is the plain set-to-set difference; larger ``h`` averages TLE noise
   and resists single outliers; ``g=1`` catches steps that the element-set
   fits smear over two or three gaps (fits that straddle a burn).
3. *Robust normalisation*: each jump series is turned into a robust score
   ``z = (J - median) / (1.4826 MAD)`` over a running window of
   +-``scale_half`` gaps (never below the resolution of the published
   elements), so the local TLE noise, B* re-estimation scatter and
   decay-phase scatter set the yardstick (element differences have kurtosis
   in the hundreds, so plain z-scores fail).
4. *Flags and events*: a gap is flagged when the best score over the
   regime's trigger channels and scales (``triggers_leo`` / ``triggers_geo``,
   some channels held to ``channel_factors`` x threshold) exceeds
   ``threshold`` (times ``geo_threshold_factor`` in GEO); flagged gaps within
   ``merge_gaps`` form one event, placed where the burn happened according to
   a fit-span response model of the triggering channel (:func:`_ramp_fit`:
   element sets fitted over a span that straddles the burn show a
   smoothstep, not a step; only responses that some set shows at 85% or
   more count, so the model never extrapolates a step the sets do not show;
   fallback :func:`_step_start` and the measured jump).  Long flagged runs
   with several strong single-gap steps are burn campaigns, one event per
   burn (:func:`_campaign_split`), unless one fit-span response explains the
   whole run; in a shorter run, two such gaps with a plateau of sets
   between them are two burns (:func:`_plateau_between`).  An event whose
   step model spreads the step over ``step_min_span_days`` or more must have
   a modelled step that stands out of the multi-day level noise (two-scale
   check, ``step_min_z_factor``).
   GEO events under ``geo_min_delta_v_m_s`` are dropped as fit scatter.
5. *Size and kind*: the jump sizes give the Gauss-equation estimates
   ``dv_t = n da / 2`` (along-track), ``dv_n = v dtheta`` (out-of-plane, with
   ``dtheta`` the angle the orbit normal turned), ``dv_e = v |de| / 2``
   (in-plane, from the eccentricity vector), summed over the channels that
   stand out of the noise.  In-plane: ``max(dv_t, dv_e)`` when the e jump
   itself stands out of the e channel's noise (robust z over the threshold
   in GEO, 4x the threshold elsewhere), else ``dv_t``.  The kind follows
   the significant components; in GEO it is east-west (in-plane) or
   north-south (out-of-plane) station-keeping.

6. *Sustained thrust*: orbit raising or lowering spread over days
   (electric propulsion) is one event per arc, from
   :mod:`orbitwatch.behavior.thrust`; step events inside an arc are its pieces.

The defaults and the benchmark behind them: docs/maneuvers.md.

Confidence is ``z^2 / (z^2 + threshold^2)`` for the event's best score ``z``:
0.5 at the threshold, approaching 1 for steps far above the noise.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from math import pi, sqrt

import numpy as np

from orbitwatch.behavior.history import MU_KM3_S2, History, clean_history, rolling_median
from orbitwatch.behavior.thrust import DRAG_SCALE_HEIGHT_KM, arc_record, thrust_arcs
from orbitwatch.elements.model import ElementSet, set_ref
from orbitwatch.propagation.frames import WGS84_A_KM
from orbitwatch.timeutil import iso_z, jd_to_datetime

KIND_ALONG_TRACK = "in-plane along-track"
KIND_RADIAL = "in-plane radial"
KIND_OUT_OF_PLANE = "out-of-plane"
KIND_COMBINED = "combined"
KIND_GEO_EW = "east-west station-keeping"
KIND_GEO_NS = "north-south station-keeping"


@dataclass(frozen=True, slots=True)
class ManeuverConfig:
    """Tuning of :func:`detect_maneuvers` (see the module docstring).

    Defaults were chosen by reasoning about TLE noise and checked on the
    pooled Shorten et al. benchmark (docs/maneuvers.md); none is per object.
    """

    threshold: float = 5.0  # robust z-score a step must exceed (LEO, MEO, HEO)
    trend_half: int = 20  # gaps each side for the background-rate median
    scale_half: int = 40  # gaps each side for the running MAD
    scales: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (3, 1))  # (h, guard)
    # channels that may trigger a detection, and at which scales (h, guard)
    # (the others still size and classify the event).  Single-gap angle
    # differences are dominated by the 1e-4 deg quantisation of TLE angles
    # and by single bad fits, so the angle channels only trigger through the
    # window medians; the LEO eccentricity vector wanders with the apsidal
    # rotation and its single-set noise and is not a trigger at all.
    triggers_leo: tuple[tuple[str, tuple[int, int]], ...] = (
        ("a", (1, 0)), ("a", (2, 0)), ("a", (3, 1)),
        ("i", (2, 0)), ("i", (3, 1)), ("raan", (2, 0)), ("raan", (3, 1)),
    )
    # channels whose score must exceed factor * threshold: LEO inclination and
    # node carry unmodelled lunisolar/resonance signatures from fit to fit,
    # while real out-of-plane burns (inclination campaigns) are large
    channel_factors: tuple[tuple[str, float], ...] = (("i", 3.2), ("raan", 3.2))
    # GEO element sets scatter by hundreds of metres in a from one fit to the
    # next (heavy tails), while station-keeping steps are kilometres: only
    # the 3-set medians with a guard set trigger there.
    triggers_geo: tuple[tuple[str, tuple[int, int]], ...] = (
        ("a", (3, 1)), ("e", (3, 1)), ("ivec", (3, 1)),
    )
    merge_gaps: int = 2  # flagged gaps this close form one event
    min_sets: int = 8  # histories shorter than this are not scored
    # relative floor on the MAD, as a fraction of the series' median MAD
    # (guards against quantised elements whose MAD is 0 in quiet stretches)
    mad_floor_fraction: float = 0.25
    reject_outliers: bool = True
    # GEO: steps below this delta-v are not reported.  GEO element sets carry
    # semi-major-axis scatter and unmodelled drift of several hundred metres
    # (~0.01-0.02 m/s); chemical station-keeping burns are 0.05-0.5 m/s
    # east-west and metres per second north-south.
    geo_min_delta_v_m_s: float = 0.05
    # ... unless the object's own sets are quieter and the step stands out at
    # this many times the threshold: the floor is then the Δv of a step of
    # geo_min_dv_scatters single-set scatters of its semi-major axis, not under
    # geo_min_delta_v_floor_m_s (see _geo_min_dv)
    geo_small_dv_z_factor: float = 2.0
    geo_min_dv_scatters: float = 10.0
    geo_min_delta_v_floor_m_s: float = 0.01
    # GEO scores must exceed threshold * this (z = 8 by default): GEO fits
    # scatter with heavier tails than LEO ones (see the GEO triggers above)
    geo_threshold_factor: float = 1.6
    # burn campaigns: see _campaign_split (0 disables)
    campaign_min_gaps: int = 8
    campaign_min_separation: int = 1
    # a burn inside a campaign needs a single-gap score over threshold * this
    # (z = 8 by default): a step smeared over a week by long fit spans gives
    # many consecutive single-gap scores of 5-8 that are not separate burns
    campaign_factor: float = 1.6
    campaign_max_misfit: float = 3.0
    # two strong single-gap steps in a shorter run are two burns when the sets
    # between them hold still: at least plateau_min_sets sets whose spread,
    # and whose rate over their own time span, are at most plateau_fraction
    # of either step's (see _plateau_between; 0 disables)
    plateau_fraction: float = 0.1
    plateau_min_sets: int = 2
    outlier_sigma: float = 12.0  # see clean_history
    # where a smeared step starts: first set off the pre-event level by more
    # than max(start_sigma * noise, start_fraction * step)
    start_sigma: float = 2.0
    start_fraction: float = 0.1
    # a smeared step is reported as one gap spanning its intermediate sets,
    # up to this many gaps (1 = always a single gap)
    max_ramp_gaps: int = 3
    ramp_backfit: bool = True
    # fit-span response model (see _ramp_fit): where the burn happened
    ramp_model: bool = True
    ramp_back_gaps: int = 4
    ramp_pre_days: float = 4.0
    ramp_spans_days: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
    # the same burn also bends the along-track positions of the sets (see
    # _position_misfit): the step model of the semi-major axis is fitted
    # jointly with them, for orbits this close to circular (along-track
    # distance proportional to the mean-anomaly shift within ~2e)
    ramp_positions: bool = True
    ramp_positions_max_e: float = 0.05
    # two-scale consistency of smeared steps: when the step model spreads
    # the step over at least step_min_span_days (so over 3 or more daily
    # sets), the single-gap trigger cannot have been the step itself; the
    # model's full step must then stand out of the multi-day level noise
    # (the robust scale of the widest jump scale, (3, 1)) by at least
    # step_min_z_factor * threshold (2 sigma by default), else the event is
    # one set's excursion, not a level change (0 disables)
    step_min_z_factor: float = 0.4
    step_min_span_days: float = 3.0
    # orbit raising or lowering spread over days (electric propulsion) is
    # reported as one event per arc (orbitwatch.behavior.thrust)
    sustained_thrust: bool = True
    # the newest gaps of a history that no trigger scale reaches (in GEO the
    # last three: the 3-set median needs a guard set and three sets after):
    # a single-gap step there over pending_factor * threshold (z 40 in GEO)
    # in a, e or the inclination vector, with the sets after it (if more than
    # one) agreeing, is reported as a pending manoeuvre (0 disables)
    pending_factor: float = 5.0


@dataclass(frozen=True, slots=True)
class Maneuver:
    """One detected manoeuvre of one object.

    ``gap_start`` / ``gap_end`` are the epochs (aware UTC) of the element sets
    just before and just after the manoeuvre; ``epoch_estimate`` lies between
    them.  ``delta_v_m_s`` is a Gauss-equation estimate of the impulsive
    delta-v (m/s) — a lower bound for split or non-optimal burns.  ``kind`` is
    one of the ``KIND_*`` strings.  ``confidence`` is in [0, 1].  ``evidence``
    names the element sets (epoch, element-set number) and the statistics
    (channel, robust score, jump size) that triggered the detection.
    """

    object: int
    gap_start: datetime
    gap_end: datetime
    epoch_estimate: datetime
    delta_v_m_s: float
    kind: str
    confidence: float
    evidence: dict = field(default_factory=dict)
    # responsible owner when the element sets carry it (SATCAT owner code);
    # the store's SATCAT join fills it for catalog objects
    owner: str | None = None
    name: str | None = None

    def to_json(self) -> dict:
        """JSON-ready dict: ISO-8601 UTC times ending in Z, ``object`` an int."""
        return {
            "object": int(self.object),
            "gap_start": iso_z(self.gap_start, 3),
            "gap_end": iso_z(self.gap_end, 3),
            "epoch_estimate": iso_z(self.epoch_estimate, 0),
            "delta_v_m_s": round(float(self.delta_v_m_s), 5),
            "kind": self.kind,
            "confidence": round(float(self.confidence), 3),
            "owner": self.owner,
            "name": self.name,
            "evidence": self.evidence,
        }


# ---------------------------------------------------------------------------
# robust running statistics


#: fewer valid jumps than this at a scale: their running median is no location
SHORT_SERIES_JUMPS = 12
#: the fastest rise of a LEO object's mean semi-major axis that is not thrust
#: (km/day): drag only lowers it, and the long-period terms left in Brouwer mean
#: elements move it by metres a day; Starlink's electric orbit raising is
#: about 13 km/day
NATURAL_RISE_KM_DAY = 0.05


def _detrend(t: np.ndarray, x: np.ndarray, half: int, max_rate: float | None = None) -> np.ndarray:
    """Level series ``c`` = x minus the integrated running-median rate.

    Each gap's background leaves the gap itself out (a median of rates
    that trend faster than the noise would otherwise return the gap's own
    rate and hide both noise and steps).  Within ``half`` gaps of either end
    a one-sided window would lag a rate that itself trends (accelerating
    decay), so there the window stays centred and shrinks: gap ``i`` uses
    gaps ``0 .. 2i`` (at least ``0 .. 3``: three rates, whose median one
    manoeuvre's rate cannot move; of two it is their mean) without ``i``,
    and symmetrically at the far end.
    """
    dt = np.diff(t)
    dx = np.diff(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(dt > 1e-3, dx / dt, np.nan)  # sets < 1.5 min apart carry no rate
    bg = rolling_median(rate, half, exclude_center=True)
    m = len(bg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(min(half, m)):
            for k, lo, hi in ((i, 0, max(2 * i + 1, 4)), (m - 1 - i, min(2 * (m - 1 - i) - m + 1, m - 4), m)):
                idx = np.arange(max(lo, 0), min(hi, m))
                idx = idx[idx != k]
                if idx.size:
                    bg[k] = np.nanmedian(rate[idx])
    bg = np.where(np.isfinite(bg), bg, 0.0)
    if max_rate is not None:
        # no natural force raises the orbit: a background rate above it is
        # thrust that fills the window (a week of continuous orbit raising)
        bg = np.minimum(bg, max_rate)
    drift = np.concatenate([[0.0], np.cumsum(bg * dt)])
    return x - drift


def _jumps(c: np.ndarray, h: int, g: int) -> np.ndarray:
    """Jump across each gap k (between sets k and k+1), shape (n-1,), NaN where
    the windows do not fit."""
    n = len(c)
    out = np.full(n - 1, np.nan)
    if n < 2 * (h + g):
        return out
    win = np.lib.stride_tricks.sliding_window_view(c, h)  # win[j] = c[j:j+h]
    med = np.median(win, axis=1) if h > 1 else c.copy()
    k = np.arange(n - 1)
    after = k + 1 + g
    before = k - g - h + 1
    ok = (before >= 0) & (after + h <= n)
    out[ok] = med[after[ok]] - med[before[ok]]
    return out


# Resolution of each channel: the smallest step the published elements can
# express (TLE angles carry 4 decimals of a degree, eccentricity 7 digits).
# The robust scale never drops below it.
_RESOLUTION = {"a": 1e-4, "e": 1e-6, "i": 1e-4, "raan": 1e-4, "ivec": 1e-4, "u": 1e-3}


def _single_set_scatter(x: np.ndarray) -> float:
    """Robust scatter of one set about its neighbours: 1.4826 times the MAD of
    the set-to-set differences, over sqrt 2 (0 for fewer than two sets)."""
    d = np.diff(np.asarray(x, float))
    return 1.4826 * float(np.median(np.abs(d - np.median(d)))) / sqrt(2) if d.size else 0.0


def _robust_loc_scale(
    j: np.ndarray, half: int, floor_fraction: float, resolution: float
) -> tuple[np.ndarray, np.ndarray]:
    """Running median and robust scale (1.4826 MAD, floored) of a jump series."""
    loc = rolling_median(j, half)
    mad = rolling_median(np.abs(j - loc), half)
    positive = mad[np.isfinite(mad) & (mad > 0)]
    floor = floor_fraction * float(np.median(positive)) if positive.size else 0.0
    floor = max(floor, resolution)
    return loc, 1.4826 * np.maximum(np.nan_to_num(mad, nan=floor), floor)


def _robust_z(j: np.ndarray, half: int, floor_fraction: float, resolution: float) -> np.ndarray:
    """Robust score of each jump against the running median and MAD."""
    loc, scale = _robust_loc_scale(j, half, floor_fraction, resolution)
    return (j - loc) / scale


def along_track_residuals_km(hist: History, half: int) -> np.ndarray:
    """Along-track residuals between neighbouring element sets (TLE-pair
    consistency, Lemmens & Krag 2014; Kelecy et al. 2007).

    ``P[k, half + m]`` is the along-track component (km, along set ``k+m``'s
    own velocity) of the position of set ``k+m`` at its epoch minus set
    ``k``'s SGP4 prediction for that epoch, for ``m`` in ``-half..half``;
    NaN outside the history or where SGP4 failed.  Shape ``(n, 2*half+1)``.
    """
    n = len(hist)
    out = np.full((n, 2 * half + 1), np.nan)
    if n == 0:
        return out
    vhat = hist.v_teme_km_s / np.linalg.norm(hist.v_teme_km_s, axis=1, keepdims=True)
    for k, sat in enumerate(hist.satrecs):
        lo, hi = max(0, k - half), min(n, k + half + 1)
        e, r, _v = sat.sgp4_array(hist.jd_whole[lo:hi], hist.jd_frac[lo:hi])
        d = np.einsum("ij,ij->i", hist.r_teme_km[lo:hi] - r, vhat[lo:hi])
        d[e != 0] = np.nan
        out[k, lo - k + half : hi - k + half] = d
    return out


def _drift_kink(hist: History, P: np.ndarray, h: int, min_dt_days: float = 0.05) -> np.ndarray:
    """Change in along-track drift rate (km/day) across each gap, shape (n-1,).

    Forward: sets ``k+1..k+h`` against set ``k``'s prediction, each residual
    divided by its time from set ``k``; backward: sets ``k+1-h..k`` against set
    ``k+1``'s prediction.  A manoeuvre in gap ``k`` that changes the mean
    motion makes both medians equal to the relative drift rate (with opposite
    signs); the estimate is their half-difference.  Residuals over less than
    ``min_dt_days`` carry no rate.
    """
    half = (P.shape[1] - 1) // 2
    t = hist.t_days
    n = len(t)
    out = np.full(n - 1, np.nan)
    if n < 2:
        return out
    k = np.arange(n - 1)
    fwd = np.full((n - 1, h), np.nan)
    bwd = np.full((n - 1, h), np.nan)
    for m in range(1, h + 1):
        j = k + m
        ok = j < n
        tau = np.where(ok, t[np.minimum(j, n - 1)] - t[k], np.nan)
        val = P[k, half + m]
        fwd[:, m - 1] = np.where(ok & (np.abs(tau) > min_dt_days), val / tau, np.nan)
        j = k + 1 - m
        ok = j >= 0
        tau = np.where(ok, t[np.maximum(j, 0)] - t[k + 1], np.nan)
        val = P[k + 1, half - m]
        bwd[:, m - 1] = np.where(ok & (np.abs(tau) > min_dt_days), val / tau, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = 0.5 * (np.nanmedian(fwd, axis=1) - np.nanmedian(bwd, axis=1))
    return out


@dataclass(slots=True)
class _Channel:
    name: str
    components: list[np.ndarray]  # level series per component
    z: dict[tuple[int, int], np.ndarray]  # best |z| over components, per scale
    jump: dict[tuple[int, int], list[np.ndarray]]  # jump per component, per scale
    # robust scale of the jumps per component, per scale (channel units)
    scale: dict[tuple[int, int], list[np.ndarray]] = field(default_factory=dict)


def _raw_series(hist: History) -> dict[str, list[np.ndarray]]:
    """The element series behind each channel of the history's regime, by
    channel name (components of a vector channel in a list)."""
    series: dict[str, list[np.ndarray]] = {
        "a": [hist.a_km],
        "e": [hist.ex, hist.ey],
    }
    if hist.regime == "GEO":
        series["ivec"] = [hist.ix_deg, hist.iy_deg]
    else:
        series["i"] = [hist.inc_deg]
        series["raan"] = [hist.raan_deg]
    return series


def _channels(hist: History, cfg: ManeuverConfig) -> list[_Channel]:
    t = hist.t_days
    regime = hist.regime
    chans = []
    for name, comps in _raw_series(hist).items():
        # LEO semi-major axis: drag only lowers it, so neither the background
        # rate nor the typical jump may be a rise (when thrust fills most of a
        # short history, a median takes the thrust for the background and the
        # quiet sets for a descent)
        decays_only = name == "a" and regime == "LEO"
        levels = [_detrend(t, x, cfg.trend_half, NATURAL_RISE_KM_DAY if decays_only else None)
                  for x in comps]
        gap_days = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
        zs: dict[tuple[int, int], np.ndarray] = {}
        jumps: dict[tuple[int, int], list[np.ndarray]] = {}
        scales: dict[tuple[int, int], list[np.ndarray]] = {}
        for sc in cfg.scales:
            js = [_jumps(c, *sc) for c in levels]
            ls = [_robust_loc_scale(j, cfg.scale_half, cfg.mad_floor_fraction, _RESOLUTION[name]) for j in js]
            if decays_only:
                rise = NATURAL_RISE_KM_DAY * gap_days * sc[0]
                ls = [(np.minimum(loc, rise), sd) for loc, sd in ls]
            # GEO, a short series: every 3-set jump may straddle the one step
            # there is, and their median is that step; a detrended level has
            # no typical jump but zero (GEO triggers on that scale alone; in
            # LEO the single-gap scales trigger and this is not measured)
            if regime == "GEO":
                ls = [(np.zeros_like(loc) if np.isfinite(j).sum() < SHORT_SERIES_JUMPS else loc, sd)
                      for j, (loc, sd) in zip(js, ls, strict=True)]
            z = [np.abs((j - loc) / sd) for j, (loc, sd) in zip(js, ls, strict=True)]
            zs[sc] = np.nan_to_num(np.max(np.vstack(z), axis=0), nan=0.0)
            jumps[sc] = js
            scales[sc] = [sd for _, sd in ls]
        chans.append(_Channel(name, levels, zs, jumps, scales))
    # along-track drift kink from TLE-pair consistency (SGP4 predictions)
    hmax = max(h for h, _ in cfg.scales)
    P = along_track_residuals_km(hist, hmax)
    zs, jumps = {}, {}
    for sc in cfg.scales:
        j = _drift_kink(hist, P, sc[0])
        zs[sc] = np.nan_to_num(np.abs(_robust_z(j, cfg.scale_half, cfg.mad_floor_fraction, _RESOLUTION["u"])), nan=0.0)
        jumps[sc] = [j]
    chans.append(_Channel("u", [], zs, jumps))
    return chans


def _step_start(
    levels: list[np.ndarray], t: np.ndarray, lo: int, hi: int, cfg: ManeuverConfig
) -> tuple[int, int]:
    """Gaps where a step between gaps ``lo`` and ``hi`` begins and ends.

    Pre-event level ``L0``: median of the 3 sets up to set ``lo``; post-event
    level ``L1``: median of the 3 sets after set ``hi + 1``.  The step starts
    at the first set ``j`` in ``lo+1 .. hi+1`` whose deviation from ``L0``
    along the step direction exceeds ``max(start_sigma sigma, start_fraction |L1 - L0|)``, with
    ``sigma`` the robust single-set noise (MAD of set-to-set differences over
    +-``scale_half`` sets, / sqrt 2).  It ends at the gap into the first set
    from ``j`` on that is within that same bar of ``L1`` (at most
    ``max_ramp_gaps`` gaps later): sets in between sit half-way, fits that
    straddle the burn.  Vector channels use the component with the largest
    step relative to its noise.  Returns ``(first_gap, last_gap)``.

    Slow ramps: when a fit span slides over a burn, the fitted level moves
    roughly in proportion to the share of post-burn data in the span, i.e.
    linearly in time from the burn on.  With ``ramp_backfit`` and at least two
    sets between 15% and 85% of the step, a straight line through them (level
    fraction against time) is extrapolated back to the pre-event level; the
    gap holding that time becomes the first gap when it is earlier (by at
    most ``max_ramp_gaps`` gaps).
    """
    best = None
    for c in levels:
        n = len(c)
        l0 = float(np.median(c[max(0, lo - 2) : lo + 1]))
        l1 = float(np.median(c[min(n - 1, hi + 1) : hi + 4]))
        sigma = _single_set_scatter(c[max(0, lo - cfg.scale_half) : min(n, hi + cfg.scale_half)])
        step = l1 - l0
        snr = abs(step) / sigma if sigma > 0 else np.inf
        if best is None or snr > best[0]:
            best = (snr, c, l0, step, sigma)
    _, c, l0, step, sigma = best
    bar = max(cfg.start_sigma * sigma, cfg.start_fraction * abs(step))
    sign = 1.0 if step >= 0 else -1.0
    l1 = l0 + step
    first, last = lo, lo
    for j in range(lo + 1, hi + 2):
        if sign * (c[j] - l0) > bar:
            end = j
            while end < min(j + cfg.max_ramp_gaps - 1, len(c) - 1) and abs(c[end] - l1) > bar:
                end += 1
            first, last = j - 1, end - 1
            break
    if cfg.ramp_backfit and step != 0:
        n = len(c)
        idx = np.arange(max(0, lo - 3), min(n, hi + 8))
        frac = (c[idx] - l0) / step
        mid = idx[(frac > 0.15) & (frac < 0.85)]
        if mid.size >= 2 and np.ptp(t[mid]) > 0:
            tref = float(t[mid[0]])  # fit in days from a set: well conditioned
            slope, icpt = np.polyfit(t[mid] - tref, (c[mid] - l0) / step, 1)
            if slope > 0:
                t0 = tref - icpt / slope
                g = int(np.searchsorted(t, t0)) - 1
                if first - cfg.max_ramp_gaps <= g < first:
                    first = max(g, 0)
                    last = max(first, min(last, first + cfg.max_ramp_gaps - 1))
    return first, last


def _fit_span_response(x: np.ndarray) -> np.ndarray:
    """Share of a step that an element-set fit shows when a fraction ``x`` of
    its (uniformly weighted) fit span lies after the burn.

    A burn that changes the mean motion by ``dn`` bends the along-track
    history into a hinge: flat before the burn, growing as ``dn (t - t_b)``
    after it.  A fit of a linear along-track model (the mean motion) by least
    squares over a span ``[0, 1]`` with the hinge at ``u = 1 - x`` returns the
    slope ``cov(t, h) / var(t) = 12 (x^2/4 - x^3/6) = 3x^2 - 2x^3`` times
    ``dn``: the smoothstep, 0 at ``x = 0`` and 1 once the whole span is after
    the burn.  It starts slowly (a fit with 20% of its span after the burn
    shows only 10% of the step), which is why such sets lag the burn by a
    third of their span before they visibly move.
    """
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _fit_span_position_response(x: np.ndarray) -> np.ndarray:
    """Along-track position at the epoch of an element set, in units of
    ``dn S`` (``S`` its fit span), when a fraction ``x`` of the span lies after a
    burn that changed the mean motion by ``dn``.

    The true along-track history is the hinge ``dn (t - t_b)`` after the burn.
    A uniformly weighted least-squares line over the span ``[0, 1]`` with the
    hinge at ``u = 1 - x`` has mean ``x^2 / 2`` and slope ``3x^2 - 2x^3``
    (:func:`_fit_span_response`), so its value at the epoch (``u = 1``) is
    ``x^2/2 + (3x^2 - 2x^3)/2 = 2x^2 - x^3``, against the true ``x``.  Once
    the span lies wholly after the burn (``x >= 1``) the set shows the true
    displacement ``x``; value and slope are continuous there.
    """
    x = np.clip(x, 0.0, None)
    return np.where(x < 1.0, x * x * (2.0 - x), x)


def _position_misfit(
    hist: History, j0: int, j1: int, tb: np.ndarray, spans: np.ndarray
) -> np.ndarray | None:
    """Residual sum of squares of the along-track positions of sets
    ``j0 .. j1-1`` under the fit-span model, for every ``(t_b, S)`` of the
    grid, in units of the robust set-to-set noise squared (of the positions
    less the background); shape ``(tb.size, spans.size)``.  ``None`` when SGP4
    fails in the window or the noise is 0.

    The positions are the sets' own TEME positions at their epochs, along
    their velocity, minus the SGP4 prediction of set ``j0``.  The reference
    set's errors in mean anomaly, mean motion and decay rate leave a
    quadratic in time (the background, fitted freely); a burn adds
    ``D S G((t - t_b)/S)`` with ``G`` :func:`_fit_span_position_response`
    (``S = 0``: the hinge ``D max(t - t_b, 0)``).  Positions at the epoch lag
    a burn less than the fitted mean motion does (a set whose span is a
    fraction ``x`` past the burn shows ``2x - x^2`` of the true displacement
    but ``3x^2 - 2x^3`` of the rate change), and the two are measured
    independently, so fitting both locates the burn better than the
    semi-major axis alone.
    """
    e, r, _v = hist.satrecs[j0].sgp4_array(hist.jd_whole[j0:j1], hist.jd_frac[j0:j1])
    if np.any(e != 0):
        return None
    v = hist.v_teme_km_s[j0:j1]
    along = v / np.linalg.norm(v, axis=1, keepdims=True)
    y = np.einsum("ij,ij->i", hist.r_teme_km[j0:j1] - r, along)
    tt = hist.t_days[j0:j1]
    tc = tt - tt.mean()
    q, _ = np.linalg.qr(np.vstack([np.ones_like(tc), tc, tc * tc]).T)
    yr = y - q @ (q.T @ y)
    sigma = _single_set_scatter(yr)
    if not sigma > 0:
        return None
    d = tt[None, :] - tb[:, None]
    out = np.empty((tb.size, spans.size))
    for si, span in enumerate(spans):
        h = span * _fit_span_position_response(d / span) if span > 0 else np.clip(d, 0.0, None)
        hr = h - (h @ q) @ q.T
        hh = np.sum(hr * hr, axis=1)
        hy = hr @ yr
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, si] = np.sum(yr * yr) - np.where(hh > 0, hy * hy / hh, 0.0)
    return out / sigma**2


def _ramp_fit(
    levels: list[np.ndarray],
    t: np.ndarray,
    lo: int,
    hi: int,
    lim: tuple[int, int],
    cfg: ManeuverConfig,
    positions: History | None = None,
) -> tuple[int, int, float, float, float, float, float] | None:
    """Burn time from a fit-span response model of the level series.

    Model for each set ``j`` near the event: ``c_j = L0 + D F((t_j - t_b)/S)``
    with ``F`` :func:`_fit_span_response`, ``t_b`` the burn time and ``S`` the
    effective fit span of the element sets (``S = 0``: a sharp step, as for
    element sets fitted over short spans after the burn).  ``L0`` and ``D`` are
    linear and solved in closed form for every ``(t_b, S)`` on a grid: ``t_b``
    at fractions of every gap from ``ramp_back_gaps`` gaps before ``lo`` to
    gap ``hi``, ``S`` in ``ramp_spans_days``.  The sets used run from
    ``ramp_pre_days`` before the earliest candidate to ``max(S) + 2`` days after
    set ``hi + 1``, inside ``lim`` (the neighbouring events' sets).  Vector
    channels use the component with the largest ``|D|`` relative to its noise.
    Returns ``(first_gap, last_gap, t_b, S, misfit, D, snr)``: the gap holding
    ``t_b``, the gap into the first set at 85% of the step (at most
    ``max_ramp_gaps`` gaps on), the burn time (JD), the span (days), the rms
    residual over the robust set-to-set noise, the step (channel units) and
    ``|D|`` over that noise; ``None`` when the window holds too few sets or
    no ``(t_b, S)`` is supported (below).

    Only a step the sets show is fitted: a ``(t_b, S)`` counts only when at
    least one set of the window lies at 85% of the response or more: the
    level after the burn is observed (the level before it always is: the
    window starts at or before the earliest candidate gap).  Without that
    bound, a burn in the last gaps of a history, seen by one or two sets, is
    fitted as well by a long span whose response has barely begun at those
    sets as by a sharp step, and ``D = jump / F`` extrapolates it by the
    inverse of a small ``F``: on the 2026-05 Starlink histories, steps of
    hundreds of thousands of kilometres (STARLINK-35093: one set 1.5 h after
    its burn, 7 km lower, fitted with ``S = 3`` days as a 482 000 km step).

    With ``positions`` (the history, for the ``a`` channel) the same burn is
    also fitted to the sets' along-track positions (:func:`_position_misfit`):
    ``(t_b, S)`` minimise the sum of both residual sums of squares, each in
    units of its own set-to-set noise.  ``L0``, ``D`` and the misfit stay
    those of the level series.
    """
    n = len(t)
    g0 = max(0, lo - cfg.ramp_back_gaps, lim[0])
    # a burn starts near the front of its flags: 40 candidate gaps bound the
    # work (a long GEO drift or decay run can flag hundreds)
    g1 = min(hi, n - 2, g0 + 40)
    if g1 < g0:
        return None
    spans = np.asarray(cfg.ramp_spans_days, float)
    j0 = int(np.searchsorted(t, t[g0] - cfg.ramp_pre_days))
    j1 = int(np.searchsorted(t, t[g1 + 1] + spans.max() + 2.0, side="right"))
    j0, j1 = max(j0, lim[0]), min(j1, lim[1] + 1, n)
    if j1 - j0 < 6:
        return None
    tt = t[j0:j1]
    gaps = np.arange(g0, g1 + 1)
    fr = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    tb = (t[gaps, None] + fr[None, :] * (t[gaps + 1] - t[gaps])[:, None]).ravel()
    tbg = np.repeat(gaps, fr.size)
    # basis F for every (t_b, S) pair: shape (n_tb, n_S, n_pts)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (tt[None, None, :] - tb[:, None, None]) / spans[None, :, None]
    x = np.where(spans[None, :, None] > 0, x, np.where(tt[None, None, :] > tb[:, None, None], 1.0, 0.0))
    f = _fit_span_response(x)
    supported = np.max(f, axis=2) >= 0.85
    if not supported.any():
        return None
    m = tt.size
    fm = f.mean(axis=2, keepdims=True)
    fc = f - fm
    sff = np.sum(fc * fc, axis=2)
    pos_rss = None
    if positions is not None and m >= 8:
        pos_rss = _position_misfit(positions, j0, j1, tb, spans)
    best = None
    for c in levels:
        y = c[j0:j1]
        yc = y - y.mean()
        sfy = np.sum(fc * yc[None, None, :], axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(sff > 0, sfy / sff, 0.0)
        rss = np.sum(yc * yc) - d * sfy
        sigma = _single_set_scatter(y)
        objective = rss
        if pos_rss is not None and sigma > 0:
            objective = rss / sigma**2 + pos_rss
        objective = np.where(supported, objective, np.nan)
        i = int(np.nanargmin(objective))  # ties: earliest t_b, then shortest span
        ib, is_ = divmod(i, spans.size)
        dd = float(d[ib, is_])
        snr = abs(dd) / sigma if sigma > 0 else np.inf
        if best is None or snr > best[0]:
            rms = sqrt(max(float(rss[ib, is_]), 0.0) / max(m - 2, 1))
            best = (snr, ib, is_, f[ib, is_], rms / sigma if sigma > 0 else np.inf, dd)
    snr, ib, is_, fb, misfit, step = best
    first = int(tbg[ib])
    reach = np.flatnonzero(fb >= 0.85) + j0
    end = int(reach[0]) - 1 if reach.size else first
    last = min(max(end, first), first + cfg.max_ramp_gaps - 1)
    return first, last, float(tb[ib]), float(spans[is_]), misfit, step, float(snr)


def _positions(hist: History, cfg: ManeuverConfig) -> History | None:
    """The history, when its along-track positions may join the step model
    of the semi-major axis (near-circular orbits), else None."""
    if cfg.ramp_positions and float(np.median(hist.ecc)) <= cfg.ramp_positions_max_e:
        return hist
    return None


# ---------------------------------------------------------------------------
# public API


def detect_maneuvers(
    element_sets: Iterable[ElementSet],
    config: ManeuverConfig | None = None,
    *,
    history: History | None = None,
) -> list[Maneuver]:
    """Detect manoeuvres in ONE object's element-set history.

    ``element_sets`` may be unsorted and contain duplicates, reissues and
    outliers (cleaned by :func:`clean_history`; pass ``history`` to reuse one
    already cleaned).  Returns manoeuvres sorted by ``gap_start``.  Raises
    ``ValueError`` when the sets belong to more than one object (use
    :func:`detect_maneuvers_many`).
    """
    cfg = config or ManeuverConfig()
    hist = (
        history
        if history is not None
        else clean_history(element_sets, reject_outliers=cfg.reject_outliers, outlier_sigma=cfg.outlier_sigma)
    )
    steps = _step_events(hist, cfg)
    return _with_sustained_thrust(steps, hist, cfg) if cfg.sustained_thrust else steps


def _with_sustained_thrust(steps: list[Maneuver], hist: History, cfg: ManeuverConfig) -> list[Maneuver]:
    """The step events plus one event per sustained-thrust arc
    (:mod:`orbitwatch.behavior.thrust`).  A step event whose gaps overlap an
    arc's is a piece of it and is folded into it (counted in
    ``evidence.sustained_thrust.step_events``), so that no two events claim
    one stretch of the history; when that piece turned the orbit plane (kind
    combined or out-of-plane), the arc takes the largest such out-of-plane
    delta-v and becomes combined."""
    arcs = [arc_record(hist, arc, cfg.threshold) for arc in thrust_arcs(hist, threshold=cfg.threshold)]
    if not arcs:
        return steps
    kept = []
    for m in steps:
        arc = next((r for r in arcs if m.gap_start < r["gap_end"] and m.gap_end > r["gap_start"]), None)
        if arc is None:
            kept.append(m)
            continue
        st = arc["evidence"]["sustained_thrust"]
        st["step_events"] = st.get("step_events", 0) + 1
        comp = arc["evidence"]["delta_v_components_m_s"]
        dv_n = m.evidence["delta_v_components_m_s"]["out_of_plane"]
        if m.kind in (KIND_COMBINED, KIND_OUT_OF_PLANE) and dv_n > comp["out_of_plane"]:
            comp["out_of_plane"] = dv_n
            arc["evidence"]["delta_plane_deg"] = m.evidence.get("delta_plane_deg")
    for arc in arcs:
        comp = arc["evidence"]["delta_v_components_m_s"]
        combined = comp["out_of_plane"] > 0
        if combined:
            arc["delta_v_m_s"] = sqrt(comp["along_track"] ** 2 + comp["out_of_plane"] ** 2)
        kept.append(Maneuver(object=hist.norad_id, kind=KIND_COMBINED if combined else KIND_ALONG_TRACK, **arc))
    return sorted(kept, key=lambda m: (m.gap_start, m.gap_end))


def regime_config(hist: History, cfg: ManeuverConfig) -> ManeuverConfig:
    """The configuration for the history's regime: in GEO the bar is
    ``threshold`` times ``geo_threshold_factor``."""
    if hist.regime == "GEO" and cfg.geo_threshold_factor != 1.0:
        return replace(cfg, threshold=cfg.threshold * cfg.geo_threshold_factor)
    return cfg


def trigger_scores(
    hist: History, chans: list[_Channel], cfg: ManeuverConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per gap, the best score over the regime's triggering channels and scales
    (each channel's z over its factor), and the indices into ``chans`` and
    ``cfg.scales`` of who gave it.  A gap is flagged when its score exceeds
    the regime's bar (:func:`regime_config`)."""
    n_gap = len(hist) - 1
    best = np.zeros(n_gap)
    best_ch = np.zeros(n_gap, int)
    best_sc = np.zeros(n_gap, int)
    triggers = cfg.triggers_geo if hist.regime == "GEO" else cfg.triggers_leo
    factors = dict(cfg.channel_factors)
    for ci, ch in enumerate(chans):
        for si, sc in enumerate(cfg.scales):
            if (ch.name, sc) not in triggers:
                continue
            z = ch.z[sc] / factors.get(ch.name, 1.0)
            better = z > best
            best[better] = z[better]
            best_ch[better] = ci
            best_sc[better] = si
    return best, best_ch, best_sc


def _step_events(hist: History, cfg: ManeuverConfig) -> list[Maneuver]:
    """The impulsive manoeuvres of one cleaned history: steps (module docstring)."""
    n = len(hist)
    if n < cfg.min_sets:
        return []
    cfg = regime_config(hist, cfg)
    chans = _channels(hist, cfg)
    n_gap = n - 1
    geo_min_dv = _geo_min_dv(hist, cfg) if hist.regime == "GEO" else 0.0
    triggers = cfg.triggers_geo if hist.regime == "GEO" else cfg.triggers_leo
    best, best_ch, best_sc = trigger_scores(hist, chans, cfg)
    flagged = np.flatnonzero(best > cfg.threshold)
    pending = _pending_gap(hist, chans, cfg, triggers, flagged)
    if flagged.size == 0 and pending is None:
        return []
    groups: list[list[int]] = [[int(flagged[0])]] if flagged.size else []
    for k in flagged[1:]:
        if k - groups[-1][-1] <= cfg.merge_gaps:
            groups[-1].append(int(k))
        else:
            groups.append([int(k)])

    # single-gap score of the triggers that work at the (1, 0) scale
    single = np.zeros(n_gap)
    single_ch = np.zeros(n_gap, int)
    for ci, ch in enumerate(chans):
        if (ch.name, (1, 0)) in triggers:
            z = ch.z[(1, 0)] / dict(cfg.channel_factors).get(ch.name, 1.0)
            better = z > single
            single[better] = z[better]
            single_ch[better] = ci

    out = []
    for gi, grp in enumerate(groups):
        # sets a step model may use: between the neighbouring events' flags
        lim = (groups[gi - 1][-1] + 1 if gi else 0, groups[gi + 1][0] - 1 if gi + 1 < len(groups) else n_gap)
        level = chans[0].components[0] if chans[0].name == "a" else None
        parts = _campaign_split(grp, single, cfg, level, hist.t_days, raw=hist.a_km if level is not None else None)
        if len(parts) > 1 and cfg.ramp_model and cfg.campaign_max_misfit > 0 and chans[0].name == "a":
            # one burn seen through long fit spans also flags a long run with
            # several strong single-gap steps: when one fit-span response
            # explains the whole run within the noise, it is one burn
            t = hist.t_days
            short = t[grp[-1] + 1] - t[grp[0]] <= max(cfg.ramp_spans_days) + 4.0
            fit = (
                _ramp_fit(chans[0].components, t, grp[0], grp[-1], lim, cfg, _positions(hist, cfg))
                if short
                else None
            )
            if fit is not None and fit[3] > 0 and fit[4] < cfg.campaign_max_misfit:
                parts = [grp[0]]
        campaign = grp[-1] - grp[0] + 1 >= cfg.campaign_min_gaps
        strong = [k for k in grp if single[k] > cfg.threshold * cfg.campaign_factor]
        if len(parts) > 1 and not campaign and len(strong) > len(parts):
            # burns with plateaus between them, and strong gaps beside them:
            # each burn is the step of its own stretch of the run (cut in
            # the plateaus), sized and placed by the step model like any
            # other event, so that a strong gap beside a burn's own stays in
            # its event (STARLINK 66027: the first -4 km of a lowering)
            cuts = [(a + b) // 2 for a, b in zip(parts, parts[1:])]
            bounds = [grp[0] - 1, *cuts, grp[-1]]
            evs = []
            for b0, b1 in zip(bounds, bounds[1:]):
                sub = [k for k in grp if b0 < k <= b1]
                own = (b0 + 1 if b0 >= grp[0] else lim[0], b1 if b1 < grp[-1] else lim[1])
                evs.append(_event(hist, chans, cfg, sub, best, best_ch, best_sc, lim=own, bounds=own))
        elif len(parts) > 1:
            evs = [
                _event(hist, chans, cfg, [k], single, single_ch, np.full(n_gap, cfg.scales.index((1, 0))), fixed_gap=k)
                for k in parts
            ]
        else:
            evs = [_event(hist, chans, cfg, grp, best, best_ch, best_sc, lim=lim)]
        for ev in evs:
            if hist.regime == "GEO" and _geo_too_small(ev, geo_min_dv, cfg):
                continue
            sm = ev.evidence.get("step_model")
            if (
                cfg.step_min_z_factor > 0
                and sm is not None
                and sm["fit_span_days"] >= cfg.step_min_span_days
                and sm["robust_z"] is not None
                and sm["robust_z"] < cfg.step_min_z_factor * cfg.threshold
            ):
                continue
            out.append(ev)
    if pending is not None:
        k, ci, zk = pending
        ev = _event(hist, chans, cfg, [k], zk, np.full(n_gap, ci), np.full(n_gap, cfg.scales.index((1, 0))),
                    fixed_gap=k, single_gap=True)
        after = n - 1 - k
        # one set after the step could still be a bad fit; each later set
        # that agrees adds to the confidence, up to what a confirmed step has
        conf = ev.confidence * min(1.0, after / max(sc[0] + sc[1] for _, sc in triggers))
        evidence = {**ev.evidence, "pending": {
            "sets_after": after,
            "note": "newest sets: too few after the step for the history's trigger scales; "
                    "confirmed or withdrawn as later sets arrive"}}
        ev = replace(ev, confidence=conf, evidence=evidence)
        if not (hist.regime == "GEO" and _geo_too_small(ev, geo_min_dv, cfg)):
            out.append(ev)
    # placing each event at the start of its step can move it before the
    # previous one's flags: keep time order and one event per stretch of the
    # history (of two events whose gaps overlap, the more confident)
    out.sort(key=lambda m: (m.gap_start, -m.confidence))
    unique: list[Maneuver] = []
    for m in out:
        if unique and m.gap_start < unique[-1].gap_end:
            if m.confidence > unique[-1].confidence:
                unique[-1] = m
            continue
        unique.append(m)
    if hist.regime == "LEO":
        unique = [m for m in unique if not _drag_explains(m, hist)]
    if hist.regime == "GEO":
        unique = _out_and_back(unique, hist, cfg)
    return unique


def _geo_min_dv(hist: History, cfg: ManeuverConfig) -> float:
    """The smallest Δv (m/s) a GEO event must have: ``geo_min_delta_v_m_s``,
    or, for an object whose sets scatter less, the along-track Δv
    (``n Δa / 2``) of a step of ``geo_min_dv_scatters`` times its robust
    single-set scatter in ``a`` (MAD of the set-to-set differences over the
    whole history, / sqrt 2), not under ``geo_min_delta_v_floor_m_s``.

    The fixed floor was set on the Fengyun histories, whose sets scatter by
    20-50 m from set to set and whose unlisted sub-floor events were 300 m
    steps (6 scatters).  Station-keeping of well-tracked commercial GEO
    satellites is often east-west burns of 0.02-0.05 m/s (0.5-1.4 km in
    ``a``), one or two a week; their sets scatter by 5-30 m, and such steps
    stand 30-80 scatters clear.  Under the fixed floor they were dropped, or
    reported only while eccentricity noise of a short history lifted the Δv
    estimate over it and withdrawn as more sets came in.
    """
    # the z bar behind this floor needs a scale of the 3-set jumps from
    # enough of them (under SHORT_SERIES_JUMPS their scale sits at the
    # resolution and every step clears it: 8-set histories scored z 373 on a
    # smooth drift)
    if len(hist) - 7 < SHORT_SERIES_JUMPS:
        return cfg.geo_min_delta_v_m_s
    n_rad_s = sqrt(MU_KM3_S2 / float(np.median(hist.a_km)) ** 3)  # as _event sizes dv_t
    dv = 0.5 * n_rad_s * cfg.geo_min_dv_scatters * _single_set_scatter(hist.a_km) * 1000.0
    return float(min(cfg.geo_min_delta_v_m_s, max(cfg.geo_min_delta_v_floor_m_s, dv)))


def _geo_too_small(ev: Maneuver, quiet_floor: float, cfg: ManeuverConfig) -> bool:
    """Whether a GEO event is under its Δv floor: ``geo_min_delta_v_m_s``, or,
    for a step that stands out at ``geo_small_dv_z_factor`` times the
    threshold, the object's own floor (:func:`_geo_min_dv`) on the
    along-track Δv of its step in ``a`` (the floor comes from the scatter of
    ``a``: an eccentricity term from fits that alternate does not lift a step
    over it)."""
    if ev.delta_v_m_s >= cfg.geo_min_delta_v_m_s:
        return False
    z = (ev.evidence.get("trigger") or {}).get("robust_z") or 0.0
    along = (ev.evidence.get("delta_v_components_m_s") or {}).get("along_track", 0.0)
    return not (z >= cfg.geo_small_dv_z_factor * cfg.threshold and along >= quiet_floor)


def _out_and_back(events: list[Maneuver], hist: History, cfg: ManeuverConfig) -> list[Maneuver]:
    """GEO events less two that are one excursion: consecutive steps under
    ``geo_min_delta_v_m_s`` of opposite sign and sizes within 30 % of each
    other, at most 3 sets apart (the sets between them are off the level on
    both sides).  A two- or three-set excursion of a quiet object's ``a``,
    with its eccentricity and inclination vector off too, is fits from
    another source (THOR 7, 28 May 2026: three sets 380 m up, their
    inclination vector 40 mdeg away, then back), not an east-west burn and
    its reversal a day later."""
    if len(events) < 2:
        return events
    epochs = [s.epoch for s in hist.element_sets]
    drop: set[int] = set()
    for i in range(len(events) - 1):
        m1, m2 = events[i], events[i + 1]
        if i in drop or m1.delta_v_m_s >= cfg.geo_min_delta_v_m_s or m2.delta_v_m_s >= cfg.geo_min_delta_v_m_s:
            continue
        d1, d2 = m1.evidence.get("delta_a_m", 0.0), m2.evidence.get("delta_a_m", 0.0)
        if d1 * d2 >= 0 or not 0.7 <= abs(d2 / d1) <= 1 / 0.7:
            continue
        try:
            between = epochs.index(m2.gap_start) - epochs.index(m1.gap_end) + 1
        except ValueError:
            continue
        if between <= 3:
            drop.update((i, i + 1))
    return [m for i, m in enumerate(events) if i not in drop]


def _pending_gap(
    hist: History, chans: list[_Channel], cfg: ManeuverConfig, triggers, flagged: np.ndarray,
) -> tuple[int, int, np.ndarray] | None:
    """The newest gap no trigger scale reaches that holds a step (see
    ``ManeuverConfig.pending_factor``): ``(gap, channel index, that channel's
    single-gap scores)`` or None.

    A gap ``k`` is reached by a scale ``(h, g)`` when ``h + g`` sets follow
    it.  Past the last reached gap, the single-gap scores ((1, 0), with its
    running robust scale) of the channels that trigger in this regime are
    looked at; the highest over ``pending_factor`` times the threshold is
    the step when the sets after it agree (the newest set lies within a
    third of the step of the first set after it, in that channel's vector), the raw
    elements show it (their change across the gap is at least half the
    level's, the same way: near the end the background rate comes from few
    gaps, and GEO sets a few hours apart give rates of kilometres a day from
    fit scatter alone, Himawari-8 on 29 May 2026), and no flagged gap lies
    within ``merge_gaps`` before it (an event in the making that the scales
    already see)."""
    if cfg.pending_factor <= 0 or (1, 0) not in cfg.scales:
        return None
    n = len(hist)
    reach = max(h + g for _, (h, g) in triggers)
    first = max(n - 1 - reach + 1, 0)  # first gap with fewer than `reach` sets after it
    if first > n - 2:
        return None
    names = {name for name, _ in triggers}
    best = None
    for ci, ch in enumerate(chans):
        if ch.name not in names or not ch.components:
            continue
        z = ch.z[(1, 0)] / dict(cfg.channel_factors).get(ch.name, 1.0)
        for k in range(first, n - 1):
            if z[k] > cfg.pending_factor * cfg.threshold and (best is None or z[k] > best[2][best[0]]):
                best = (k, ci, z)
    if best is None:
        return None
    k, ci, z = best
    if flagged.size and np.any((flagged >= k - cfg.merge_gaps) & (flagged <= k)):
        return None
    raw = _raw_series(hist)[chans[ci].name]
    level = np.array([c[k + 1] - c[k] for c in chans[ci].components])
    seen = np.array([x[k + 1] - x[k] for x in raw])
    if float(np.dot(seen, level)) < 0.5 * float(np.dot(level, level)):
        return None
    since = np.array([c[n - 1] - c[k + 1] for c in chans[ci].components])
    if np.linalg.norm(since) > np.linalg.norm(level) / 3.0:
        return None
    return k, ci, z


#: terminal decay: below this perigee (km) drag can accelerate the decay of a
#: from one set to the next by as much as a lowering burn moves it
DRAG_PERIGEE_KM = 300.0


def _drag_explains(m: Maneuver, hist: History) -> bool:
    """A lowering in the last days of a decay that drag alone accounts for.

    Drag lowers ``a`` at a rate proportional to the air density, which grows
    about e-fold every scale height ``H`` as the orbit sinks.  So from the gap
    before the event to the gap after it, the decay rate may grow by at most
    ``exp(|da| / H)`` for the ``da`` sunk in between.  A lowering whose
    surrounding rates stay within that (and whose own rate lies between them)
    is the decay accelerating, not a burn: STARLINK-1686 (46328) at a 144 km
    perigee decays at -16, -20, -22, -31, -44 and -81 km/day, and the gap of
    05-29/30 was called a 27.5 m/s along-track burn.  A jump of the rate by
    more than the density can give (62412: -8 to -27 km/day over 8 km) stays
    an event.
    """
    if m.kind != KIND_ALONG_TRACK or m.evidence.get("delta_a_m", 0.0) >= 0.0:
        return False
    epochs = [s.epoch for s in hist.element_sets]
    try:
        k0, k1 = epochs.index(m.gap_start), epochs.index(m.gap_end)
    except ValueError:
        return False
    last = hist.element_sets[min(k1, len(epochs) - 1)]
    perigee = float(hist.a_km[k1]) * (1.0 - last.eccentricity) - WGS84_A_KM
    if perigee > DRAG_PERIGEE_KM or k0 < 1 or k1 + 1 >= len(epochs):
        return False
    t, a = hist.t_days, hist.a_km
    with np.errstate(divide="ignore", invalid="ignore"):
        before = (a[k0] - a[k0 - 1]) / (t[k0] - t[k0 - 1])
        inside = (a[k1] - a[k0]) / (t[k1] - t[k0])
        after = (a[k1 + 1] - a[k1]) / (t[k1 + 1] - t[k1])
    if not (np.isfinite(before) and np.isfinite(inside) and np.isfinite(after)):
        return False
    if not (before < 0.0 and after <= inside <= before):
        return False  # not a monotonic acceleration of a decay
    sunk = abs(0.5 * (a[k1 + 1] + a[k1]) - 0.5 * (a[k0] + a[k0 - 1]))
    return after / before <= np.exp(sunk / DRAG_SCALE_HEIGHT_KM)


def _campaign_split(
    grp: list[int],
    single: np.ndarray,
    cfg: ManeuverConfig,
    level: np.ndarray | None = None,
    t: np.ndarray | None = None,
    raw: np.ndarray | None = None,
) -> list[int]:
    """Gaps of the separate burns inside one flagged stretch.

    A burn campaign (daily burns of an orbit change, a decommissioning)
    flags a long run of consecutive gaps, each with its own step.  When the
    run spans at least ``campaign_min_gaps`` gaps and at least two of its gaps
    have a single-gap score above the threshold on their own, each such gap
    (at least ``campaign_min_separation`` gaps apart, strongest first) is
    reported as a burn.

    A shorter run is one smeared burn, unless the sets between two such gaps
    hold still (:func:`_plateau_between`, on the ``level`` series of the
    semi-major axis): then the orbit changed, stayed, and changed again, and
    each of the two gaps is a burn (the windowed scales merge burns a few
    sets apart into one run: Jason-2's out-and-back of 2018-07-16/18,
    -252 m then +251 m, two sets apart).  The plateau and both steps must
    also be there, with the same signs, in the semi-major axis itself
    (``raw``): near a history's ends the background rate is taken from the
    burn, and the level series can show a step where the sets show none
    (STARLINK-31843: +2.0 km in the level, -20 m in the sets).  And every
    strong gap of the run must be one of the burns, else the split would
    leave a strong step in no event.
    """
    if (1, 0) not in cfg.scales or cfg.campaign_min_gaps <= 0:
        return [grp[0]]
    campaign = max(grp) - min(grp) + 1 >= cfg.campaign_min_gaps
    if not campaign and (level is None or t is None or cfg.plateau_fraction <= 0):
        return [grp[0]]
    span = np.arange(min(grp), max(grp) + 1)
    cand = [int(k) for k in span if single[k] > cfg.threshold * cfg.campaign_factor]
    picked: list[int] = []
    for k in sorted(cand, key=lambda k: -single[k]):
        if campaign:
            ok = all(abs(k - p) >= cfg.campaign_min_separation for p in picked)
        else:
            ok = all(_plateau_pair(level, raw, t, min(k, p), max(k, p), cfg) for p in picked)
        if ok:
            picked.append(k)
    return sorted(picked) if len(picked) >= 2 else [grp[0]]


def _plateau_pair(
    level: np.ndarray, raw: np.ndarray | None, t: np.ndarray, k1: int, k2: int, cfg: ManeuverConfig
) -> bool:
    """:func:`_plateau_between` in the level series and, when given, in the
    raw series too, with the steps into and out of the plateau of the same
    signs in both."""
    if not _plateau_between(level, t, k1, k2, cfg):
        return False
    if raw is None:
        return True
    if not _plateau_between(raw, t, k1, k2, cfg):
        return False

    def steps(c: np.ndarray) -> tuple[float, float]:
        mid = float(np.median(c[k1 + 1 : k2 + 1]))
        return np.sign(mid - c[k1]), np.sign(c[k2 + 1] - mid)

    return steps(level) == steps(raw)


def _plateau_between(c: np.ndarray, t: np.ndarray, k1: int, k2: int, cfg: ManeuverConfig) -> bool:
    """Whether the sets between gaps ``k1 < k2`` of the level series ``c``
    (sets ``k1+1 .. k2``, epochs ``t``) form a plateau: at least
    ``plateau_min_sets`` of them, spread (max - min) by at most
    ``plateau_fraction`` of the smaller of the two steps, into the plateau
    (from set ``k1``) and out of it (to set ``k2+1``), and moving over their
    own time span at most that fraction of the rate of either step.  Sets
    that agree with one another on a level apart from both neighbours are
    the orbit observed between two burns; a fit that straddles one burn lies
    somewhere on its ramp, one set alone cannot tell the two apart, and
    sets a short time apart inside a continuous thrust arc agree by as much
    as its rate gives them.
    """
    if k2 - k1 < cfg.plateau_min_sets:
        return False
    plateau = c[k1 + 1 : k2 + 1]
    mid = float(np.median(plateau))
    into, out_of = abs(mid - c[k1]), abs(c[k2 + 1] - mid)
    spread = float(np.ptp(plateau))
    f = cfg.plateau_fraction
    if spread > f * min(into, out_of):
        return False
    dt_in, dt_plateau, dt_out = t[k1 + 1] - t[k1], t[k2] - t[k1 + 1], t[k2 + 1] - t[k2]
    rate = min(into / max(dt_in, 1e-9), out_of / max(dt_out, 1e-9))
    return bool(spread <= f * rate * dt_plateau)


def detect_maneuvers_many(
    element_sets: Iterable[ElementSet], config: ManeuverConfig | None = None
) -> list[Maneuver]:
    """:func:`detect_maneuvers` over many objects' sets (grouped by ``norad_id``);
    results sorted by object, then time."""
    by_obj: dict[int, list[ElementSet]] = defaultdict(list)
    for es in element_sets:
        by_obj[es.norad_id].append(es)
    out: list[Maneuver] = []
    for norad_id in sorted(by_obj):
        out.extend(detect_maneuvers(by_obj[norad_id], config))
    return out


# ---------------------------------------------------------------------------
# one event: locate, size, classify


def _event(
    hist: History,
    chans: list[_Channel],
    cfg: ManeuverConfig,
    grp: list[int],
    best: np.ndarray,
    best_ch: np.ndarray,
    best_sc: np.ndarray,
    fixed_gap: int | None = None,
    lim: tuple[int, int] | None = None,
    bounds: tuple[int, int] | None = None,
    single_gap: bool = False,
) -> Maneuver:
    peak = max(grp, key=lambda k: best[k])
    ch = chans[best_ch[peak]]
    sc = cfg.scales[best_sc[peak]]
    n_gap = len(best)
    t_burn = span_days = model_step = None
    # locate the START of the step in the triggering channel.  Element-set
    # fits straddling a burn smear it over several sets (and, for some
    # objects and years, the level only ramps to its new value over days),
    # so the first set that leaves the pre-event level is the best marker.
    lo = max(0, min(grp) - sc[0] - sc[1])
    hi = min(n_gap - 1, max(grp) + sc[1])
    if bounds is not None:  # one burn of several in a run: its own stretch
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    if fixed_gap is not None:  # one burn of a campaign: its own gap
        k = k_end = lo = hi = fixed_gap
    elif ch.components:
        k, k_end = _step_start(ch.components, hist.t_days, lo, hi, cfg)
        if cfg.ramp_model:
            pos = _positions(hist, cfg) if ch.name == "a" else None
            fit = _ramp_fit(ch.components, hist.t_days, lo, hi, lim or (0, n_gap), cfg, pos)
            if fit is not None:
                k, k_end, t_burn, span_days, model_misfit, model_step, model_snr = fit
    else:  # the drift-kink statistic peaks at the gap itself
        k = k_end = lo + int(np.argmax(ch.z[sc][lo : hi + 1]))
    es0, es1 = hist.element_sets[k], hist.element_sets[k_end + 1]
    t0, t1 = hist.t_days[k], hist.t_days[k_end + 1]

    # sizes: jumps at the peak's scale, measured at the peak gap
    def jump(name: str, comp: int = 0) -> float:
        for c in chans:
            if c.name == name:
                v = c.jump[sc][comp][peak]
                if not np.isfinite(v):
                    v = c.jump[(1, 0)][comp][k] if (1, 0) in c.jump else 0.0
                return float(np.nan_to_num(v))
        return 0.0

    def e_jump_z() -> float:
        """Robust score of the eccentricity-vector jump that ``jump("e", .)``
        measures (the larger of its two components)."""
        for c in chans:
            if c.name == "e":
                if all(np.isfinite(c.jump[sc][q][peak]) for q in (0, 1)):
                    return float(c.z[sc][peak])
                return float(c.z[(1, 0)][k]) if (1, 0) in c.z else 0.0
        return 0.0

    a_km = float(hist.a_km[k])
    n_rad_s = sqrt(MU_KM3_S2 / a_km**3)
    v_m_s = sqrt(MU_KM3_S2 / a_km) * 1000.0
    da_m = jump("a") * 1000.0
    if ch.name == "a" and span_days:
        # a step smeared over days: the jump at one scale sees only part of
        # it; the step model's full step is the size
        da_m = float(model_step) * 1000.0
    dv_t = 0.5 * n_rad_s * abs(da_m)
    de = sqrt(jump("e", 0) ** 2 + jump("e", 1) ** 2)
    dv_e = 0.5 * v_m_s * de
    regime = hist.regime
    if regime == "GEO":
        dtheta_deg = sqrt(jump("ivec", 0) ** 2 + jump("ivec", 1) ** 2)
    else:
        di = jump("i")
        draan = jump("raan") * np.sin(np.radians(hist.inc_deg[k]))
        dtheta_deg = sqrt(di**2 + draan**2)
    dv_n = v_m_s * dtheta_deg * pi / 180.0

    # which channels are significant at this event?  Only the scales that may
    # trigger in this regime count (single-gap GEO differences are noise).
    triggers = cfg.triggers_geo if regime == "GEO" else cfg.triggers_leo

    def zmax(name: str, trigger_scales_only: bool = True) -> float:
        for c in chans:
            if c.name == name:
                vals = [
                    float(np.max(c.z[s][lo : hi + 1]))
                    for s in cfg.scales
                    if (name, s) in triggers or not trigger_scales_only
                    or (single_gap and s == (1, 0))  # a pending step: no other scale reaches it
                ]
                return max(vals) if vals else 0.0
        return 0.0

    sig = cfg.threshold
    z_a, z_e = zmax("a"), zmax("e")
    z_n = zmax("ivec") if regime == "GEO" else max(zmax("i"), zmax("raan"))
    # the eccentricity's delta-v counts only when the e jump that sizes it
    # stands out of the e channel's own noise: its robust score at the scale
    # and gap where it was measured must pass the bar of the regime's e
    # channel (the threshold in GEO, where e triggers; 4x the threshold
    # elsewhere, the bar of the radial kind below: the LEO e vector wanders
    # with the apsidal rotation and its single-set noise and is no trigger,
    # and across burns that CNES lists as purely along-track, CryoSat-2's e
    # jumps reach robust z 6-31).  Otherwise |de| is fit-to-fit scatter,
    # often worth several times the along-track delta-v of a small burn
    # (Sentinel-3A 2021-01-27: the operator's along-track 2.8 mm/s, dv_t
    # 3.0 mm/s, dv_e 9.3 mm/s at robust z 2.1), and the in-plane estimate
    # is dv_t.
    z_de = e_jump_z()
    e_counts = z_de > (sig if regime == "GEO" else 4.0 * sig)
    dv_in = max(dv_t, dv_e) if e_counts else dv_t
    inplane = max(z_a, z_e) > sig
    outplane = z_n > sig
    if regime == "GEO":
        # a north-south burn turns the orbit plane far more than it moves the
        # along-track channels relative to their noise, and vice versa
        ns = outplane and z_n > max(z_a, z_e)
        kind = KIND_GEO_NS if ns else KIND_GEO_EW
        inplane, outplane = (not ns) or inplane, ns
    else:
        if inplane and outplane:
            # both stand out: the delta-v split decides (a burn is "combined"
            # only when neither part is under a third of the other)
            if dv_n > 3.0 * dv_in:
                inplane = False
            elif dv_in > 3.0 * dv_n:
                outplane = False
        if inplane and outplane:
            kind = KIND_COMBINED
        elif outplane:
            kind = KIND_OUT_OF_PLANE
        elif e_counts and dv_e > 4.0 * dv_t:
            # a tangential burn moves e by about as much delta-v as it moves
            # a (|de| = 2 dv/v); an e change needing four times the delta-v of
            # the a change, far out of its noise (e_counts: 4x threshold), is
            # mostly radial
            kind = KIND_RADIAL
        else:
            kind = KIND_ALONG_TRACK
    # the estimate adds only the components whose channels stand out of the noise
    dv = sqrt((dv_in**2 if inplane else 0.0) + (dv_n**2 if outplane else 0.0))

    # epoch estimate: the step model's burn time when it found a ramp (a
    # sharp step gives no timing inside its gap), else the middle of the gap
    t_est = 0.5 * (t0 + t1) if not span_days else min(max(t_burn, t0), t1)
    z = float(best[peak])
    conf = z * z / (z * z + cfg.threshold**2)
    rejected_near = [
        {**set_ref(r.element_set), "reason": r.reason}
        for r in hist.rejected
        if es0.epoch <= r.element_set.epoch <= es1.epoch
    ]
    evidence = {
        "before": set_ref(es0),
        "after": set_ref(es1),
        "regime": regime,
        "trigger": {"channel": ch.name, "window_sets": sc[0], "guard_sets": sc[1], "robust_z": round(z, 2)},
        # best robust score of each channel over all scales near the event
        "robust_z": {c.name: round(zmax(c.name, False), 2) for c in chans},
        "delta_a_m": round(da_m, 2),
        "delta_e": float(f"{de:.3g}"),
        "delta_plane_deg": float(f"{dtheta_deg:.3g}"),
        "delta_v_components_m_s": {
            "along_track": round(dv_t, 5),
            "eccentricity": round(dv_e, 5),
            "out_of_plane": round(dv_n, 5),
        },
        "flagged_gaps": len(grp),
    }
    if span_days is not None:
        wide = cfg.scales[-1]
        sd = min(float(x[peak]) for x in ch.scale[wide]) if ch.scale.get(wide) else 0.0
        model_z = abs(float(model_step)) / sd if sd > 0 else np.inf
        def finite(v: float) -> float | None:  # JSON has no infinities
            return round(float(v), 2) if np.isfinite(v) else None

        # the step model's full step against the multi-day level noise (the
        # robust scale of the widest jump scale) and against the set-to-set
        # noise, and its rms residual over that noise
        evidence["step_model"] = {
            "burn_epoch": iso_z(jd_to_datetime(t_burn), 0),
            "fit_span_days": span_days,
            "robust_z": finite(model_z),
            "snr": finite(model_snr),
            "misfit": finite(model_misfit),
        }
    if rejected_near:
        evidence["rejected_sets"] = rejected_near
    return Maneuver(
        object=hist.norad_id,
        gap_start=es0.epoch,
        gap_end=es1.epoch,
        epoch_estimate=jd_to_datetime(t_est),
        delta_v_m_s=dv,
        kind=kind,
        confidence=conf,
        evidence=evidence,
        owner=next((es.owner for es in (es1, es0) if es.owner), None),
        name=next((es.name for es in (es1, es0) if es.name), None),
    )
