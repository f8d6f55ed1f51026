"""Result records of conjunction screening.

Frames and units: positions in km and velocities in km/s in TEME (the frame
SGP4 produces), times as aware UTC ``datetime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np


@dataclass(frozen=True, slots=True)
class Conjunction:
    """One close approach: a local minimum of the SGP4 distance below the threshold.

    ``object_1`` is the lower catalog number in all-vs-all screening and the
    primary when primaries were given.  ``miss_rtn_km`` is [R, T, N] of object 2
    relative to object 1 in object 1's radial / transverse / normal frame.
    ``r1_teme_km``/``v1_teme_km_s`` and ``r2_...`` are the TEME states of both
    objects at TCA (what a CDM or a collision-probability computation needs).
    """

    object_1: int
    object_2: int
    tca: datetime
    miss_distance_km: float
    relative_speed_km_s: float
    miss_rtn_km: tuple[float, float, float]
    object_1_name: str | None
    object_2_name: str | None
    r1_teme_km: tuple[float, float, float]
    v1_teme_km_s: tuple[float, float, float]
    r2_teme_km: tuple[float, float, float]
    v2_teme_km_s: tuple[float, float, float]

    @property
    def relative_position_km(self) -> np.ndarray:
        """r2 - r1 in TEME, km, shape (3,)."""
        return np.subtract(self.r2_teme_km, self.r1_teme_km)

    @property
    def relative_velocity_km_s(self) -> np.ndarray:
        """v2 - v1 in TEME, km/s, shape (3,)."""
        return np.subtract(self.v2_teme_km_s, self.v1_teme_km_s)


@dataclass(frozen=True, slots=True)
class PropagationFailure:
    """An object SGP4 could not propagate over (part of) the window.

    ``time`` is the first sampled instant at which SGP4 reported an error
    (the object is not screened from then on); ``code`` is the sgp4 error code
    (1 mean elements out of range, 2 mean motion < 0, 3 perturbed elements out
    of range, 4 semi-latus rectum < 0, 6 decayed), ``message`` its meaning.
    """

    object_id: int
    name: str | None
    time: datetime
    code: int
    message: str


@dataclass(slots=True)
class ScreenStats:
    """Work counters of one screen (summed over chunks/workers)."""

    objects: int = 0
    steps: int = 0
    step_s: float = 0.0
    broad_pairs: int = 0  # pair-intervals returned by the spatial index
    candidate_intervals: int = 0  # pair-intervals whose proven lower bound <= threshold
    brackets: int = 0  # minima bracketed and refined on the exact trajectories
    sgp4_refine_evals: int = 0
    excluded_by_band: int = 0  # primaries mode: objects dropped by the apogee/perigee filter
    duplicate_ids_dropped: list[int] = field(default_factory=list)
    identical_element_pairs: list[tuple[int, int]] = field(default_factory=list)
    wall_s: float = 0.0
    sieve: object | None = None  # primaries through a catalog index: screening.sieve.SieveStats

    def merge(self, other: ScreenStats) -> None:
        self.broad_pairs += other.broad_pairs
        self.candidate_intervals += other.candidate_intervals
        self.brackets += other.brackets
        self.sgp4_refine_evals += other.sgp4_refine_evals


@dataclass(slots=True)
class ScreenResult:
    """Everything one screen produced: events sorted by TCA, failures, counters."""

    conjunctions: list[Conjunction]
    failures: list[PropagationFailure]
    stats: ScreenStats


#: relative speed (km/s) below which every minimum of a pair must lie for the
#: pair to count as co-orbiting: formations (TerraSAR-X/TanDEM-X fly a few
#: hundred metres apart at under 1 m/s), co-located or docked objects with
#: their own element sets, and slow drifts
CO_ORBITING_SPEED_KM_S = 0.01


@dataclass(frozen=True, slots=True)
class CoOrbitingPair:
    """A pair whose every close approach in the window is slower than the limit."""

    object_1: int
    object_2: int
    object_1_name: str | None
    object_2_name: str | None
    minima: int
    closest_km: float
    widest_minimum_km: float
    max_speed_km_s: float
    first_tca: datetime
    last_tca: datetime


def co_orbiting_pairs(
    conjunctions: list[Conjunction], max_speed_km_s: float = CO_ORBITING_SPEED_KM_S
) -> dict[tuple[int, int], CoOrbitingPair]:
    """Pairs (``(object_1, object_2)`` as in the records) with at least two
    minima in ``conjunctions``, every one slower than ``max_speed_km_s``.

    Such pairs are not encounters in the sense of the short-encounter Pc
    models: they stay close for hours (their minimum recurs every orbit).
    Nothing is dropped; this only names them, so that reports can list them
    apart from the fast approaches.  A slow *approach* (a rendezvous) is
    co-orbiting too while it lasts: ``orbitwatch detect proximity`` follows
    its trend.
    """
    groups: dict[tuple[int, int], list[Conjunction]] = {}
    for c in conjunctions:
        groups.setdefault((c.object_1, c.object_2), []).append(c)
    out = {}
    for key, cs in groups.items():
        speeds = [c.relative_speed_km_s for c in cs]
        # one slow minimum alone (a GEO drifter passing through a slot) is an
        # encounter to assess, not a formation: co-orbiting pairs recur
        if len(cs) < 2 or max(speeds) >= max_speed_km_s:
            continue
        miss = [c.miss_distance_km for c in cs]
        tcas = [c.tca for c in cs]
        out[key] = CoOrbitingPair(
            object_1=key[0], object_2=key[1], object_1_name=cs[0].object_1_name,
            object_2_name=cs[0].object_2_name, minima=len(cs), closest_km=min(miss),
            widest_minimum_km=max(miss), max_speed_km_s=max(speeds),
            first_tca=min(tcas), last_tca=max(tcas),
        )
    return out
