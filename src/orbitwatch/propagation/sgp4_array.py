"""Vectorized SGP4/SDP4 propagation of a catalog over an array of times.

This is a thin layer over python-sgp4's ``SatrecArray`` (Vallado's C++ code,
AIAA 2006-6753, WGS-72 constants as the element sets were fitted with): it
adds object identity (NORAD ids), input checking, a stable result object,
error rows set to NaN, and chunking so that a whole catalog over a long time
grid can be streamed in bounded memory.  SGP4 itself is never re-implemented.

Frames and units: positions ``r_teme_km`` in km and velocities
``v_teme_km_s`` in km/s, both in the True Equator Mean Equinox (TEME) frame of
SGP4 (see :mod:`orbitwatch.propagation.frames` for ITRS, geodetic and GCRS).
Arrays are shaped ``(n_objects, n_times, 3)``.  Times are split UTC Julian
dates ``(jd, fr)`` shaped ``(n_times,)``; ``fr`` may exceed 1 (SGP4 only uses
the sum), which keeps a regular grid exact.

Speed: :func:`propagate` writes straight into its preallocated result arrays
through the same C++ entry point that ``SatrecArray.sgp4`` uses, so it runs at
the bare call's speed (``benchmarks/propagate.py`` measures the ratio).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import numpy as np
from sgp4.api import Satrec, SatrecArray

from orbitwatch.timeutil import DAY_S, jd_to_datetime

#: SGP4 error codes (Vallado's ``satrec.error``) and what they mean.  Code 0
#: is success.  Rows with any non-zero code are NaN in our results, including
#: code 6 (decayed), for which the C++ code itself still returns numbers.
SGP4_ERROR_MESSAGES: dict[int, str] = {
    0: "",
    1: "mean eccentricity outside 0 <= e < 1, or mean semi-major axis below 0.95 earth radii",
    2: "mean motion is negative",
    3: "perturbed eccentricity outside 0 <= e <= 1",
    4: "semi-latus rectum is negative",
    5: "epoch elements are sub-orbital (code no longer used by SGP4)",
    6: "satellite has decayed (orbit radius below one earth radius)",
}

#: Default number of object x time states per SGP4 call when chunking.
DEFAULT_CHUNK_STATES = 2_000_000


def error_message(code: int) -> str:
    """Human-readable meaning of an SGP4 error code (empty string for 0)."""
    return SGP4_ERROR_MESSAGES.get(int(code), f"unknown SGP4 error code {int(code)}")


@dataclass(frozen=True, eq=False)
class CatalogArray:
    """A catalog ready for vectorized propagation: Satrecs plus NORAD ids.

    Build it once with :meth:`from_objects` and reuse it across calls to
    :func:`propagate`; the underlying ``SatrecArray`` (and the per-chunk
    arrays used when chunking) are built on first use and cached.

    ``satrecs`` holds one ``sgp4.api.Satrec`` per object; ``norad_ids`` is an
    int64 array shaped ``(n_objects,)`` in the same order.
    """

    satrecs: tuple[Satrec, ...]
    norad_ids: np.ndarray
    _arrays: dict[tuple[int, int], SatrecArray] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        ids = np.asarray(self.norad_ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] != len(self.satrecs):
            raise ValueError(
                f"norad_ids has {ids.shape[0]} entries but there are {len(self.satrecs)} satrecs"
            )
        object.__setattr__(self, "norad_ids", ids)

    @classmethod
    def from_objects(cls, objects: Sequence[object] | CatalogArray) -> CatalogArray:
        """Build from ``ElementSet`` records and/or ``Satrec`` objects (in order).

        An ``ElementSet`` contributes ``es.to_satrec()`` and ``es.norad_id``; a
        ``Satrec`` contributes itself and ``satrec.satnum``.  Raises
        ``TypeError`` naming the index of anything else.
        """
        if isinstance(objects, CatalogArray):
            return objects
        satrecs: list[Satrec] = []
        ids: list[int] = []
        for i, obj in enumerate(objects):
            if isinstance(obj, Satrec):
                satrecs.append(obj)
                ids.append(int(obj.satnum))
            elif hasattr(obj, "to_satrec") and hasattr(obj, "norad_id"):
                satrecs.append(obj.to_satrec())
                ids.append(int(obj.norad_id))
            else:
                raise TypeError(
                    f"objects[{i}]: expected ElementSet or sgp4 Satrec, got {type(obj).__name__}"
                )
        return cls(tuple(satrecs), np.asarray(ids, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.satrecs)

    def subset(self, index: Sequence[int] | np.ndarray | slice) -> CatalogArray:
        """A new catalog with the objects at ``index`` (positions, not NORAD ids)."""
        if isinstance(index, slice):
            positions = range(len(self))[index]
        else:
            positions = np.asarray(index, dtype=np.int64).reshape(-1)
        return CatalogArray(
            tuple(self.satrecs[int(i)] for i in positions),
            self.norad_ids[np.asarray(positions, dtype=np.int64)],
        )

    def satrec_array(self, start: int = 0, stop: int | None = None) -> SatrecArray:
        """The cached ``SatrecArray`` for objects ``start:stop``."""
        stop = len(self) if stop is None else stop
        key = (start, stop)
        arr = self._arrays.get(key)
        if arr is None:
            arr = SatrecArray(list(self.satrecs[start:stop]))
            self._arrays[key] = arr
        return arr


@dataclass(frozen=True, eq=False)
class Propagation:
    """TEME states of ``n_objects`` objects at ``n_times`` instants.

    - ``norad_ids``: int64 ``(n_objects,)``
    - ``jd``, ``fr``: float64 ``(n_times,)``, split UTC Julian dates
    - ``r_teme_km``: float64 ``(n_objects, n_times, 3)``, TEME position, km
    - ``v_teme_km_s``: float64 ``(n_objects, n_times, 3)``, TEME velocity, km/s
    - ``error``: uint8 ``(n_objects, n_times)``, SGP4 error code, 0 = ok
      (see :data:`SGP4_ERROR_MESSAGES`); rows with a non-zero code are NaN.
    """

    norad_ids: np.ndarray
    jd: np.ndarray
    fr: np.ndarray
    r_teme_km: np.ndarray
    v_teme_km_s: np.ndarray
    error: np.ndarray

    @property
    def n_objects(self) -> int:
        return int(self.r_teme_km.shape[0])

    @property
    def n_times(self) -> int:
        return int(self.r_teme_km.shape[1])

    @property
    def ok(self) -> np.ndarray:
        """Boolean ``(n_objects, n_times)``: True where SGP4 succeeded."""
        return self.error == 0

    def error_messages(self) -> dict[int, str]:
        """The codes present in ``error`` (non-zero only) mapped to their meaning."""
        codes = np.unique(self.error)
        return {int(c): error_message(c) for c in codes if c != 0}

    def times(self) -> list[datetime]:
        """The instants as aware UTC datetimes (microsecond resolution)."""
        return [jd_to_datetime(j, f) for j, f in zip(self.jd, self.fr, strict=True)]

    def seconds_since(self, jd0: float, fr0: float = 0.0) -> np.ndarray:
        """Seconds of each instant after the split Julian date ``(jd0, fr0)``, ``(n_times,)``."""
        return ((self.jd - jd0) + (self.fr - fr0)) * DAY_S

    def itrs(self, *, xp_arcsec: float = 0.0, yp_arcsec: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """``(r_itrs_km, v_itrs_km_s)``, see :func:`orbitwatch.propagation.frames.teme_to_itrs`."""
        from orbitwatch.propagation.frames import teme_to_itrs

        return teme_to_itrs(
            self.r_teme_km, self.v_teme_km_s, self.jd, self.fr, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec
        )

    def gcrs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(r_gcrs_km, v_gcrs_km_s)``, see :func:`orbitwatch.propagation.frames.teme_to_gcrs`."""
        from orbitwatch.propagation.frames import teme_to_gcrs

        return teme_to_gcrs(self.r_teme_km, self.v_teme_km_s, self.jd, self.fr)

    def geodetic(self, *, xp_arcsec: float = 0.0, yp_arcsec: float = 0.0):
        """WGS-84 :class:`~orbitwatch.propagation.frames.Geodetic` of every state, ``(n_objects, n_times)``."""
        from orbitwatch.propagation.frames import teme_to_geodetic

        return teme_to_geodetic(self.r_teme_km, self.jd, self.fr, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec)


class PropagationChunk(NamedTuple):
    """One piece of a chunked propagation: where it sits in the full grid.

    ``objects`` and ``times`` are slices into the full object list and time
    arrays; ``result`` holds the states for exactly those.
    """

    objects: slice
    times: slice
    result: Propagation


def as_time_arrays(jd: float | np.ndarray, fr: float | np.ndarray | None = None) -> tuple[
    np.ndarray, np.ndarray
]:
    """Normalise split Julian dates to contiguous float64 arrays shaped ``(n_times,)``.

    A scalar becomes a length-1 array; ``fr`` defaults to 0 and is
    broadcast against ``jd``.  Raises ``ValueError`` for more than one
    dimension or non-finite values.
    """
    jd_a = np.asarray(jd, dtype=np.float64)
    fr_a = np.zeros_like(jd_a) if fr is None else np.asarray(fr, dtype=np.float64)
    if jd_a.ndim > 1 or fr_a.ndim > 1:
        raise ValueError(f"jd/fr must be scalars or 1-D arrays, got shapes {jd_a.shape}, {fr_a.shape}")
    jd_a, fr_a = np.broadcast_arrays(np.atleast_1d(jd_a), np.atleast_1d(fr_a))
    jd_a = np.ascontiguousarray(jd_a, dtype=np.float64)
    fr_a = np.ascontiguousarray(fr_a, dtype=np.float64)
    if not (np.isfinite(jd_a).all() and np.isfinite(fr_a).all()):
        raise ValueError("jd/fr contain non-finite values")
    return jd_a, fr_a


def _blank_errors(e: np.ndarray, r: np.ndarray, v: np.ndarray) -> None:
    """Set position and velocity to NaN wherever the error code is non-zero (in place)."""
    if not e.any():
        return
    rows = np.flatnonzero(e.any(axis=1))
    bad = e[rows] != 0
    r_rows = r[rows]
    v_rows = v[rows]
    r_rows[bad] = np.nan
    v_rows[bad] = np.nan
    r[rows] = r_rows
    v[rows] = v_rows


def _sgp4_into(arr: SatrecArray, jd: np.ndarray, fr: np.ndarray, e, r, v) -> None:
    """Run ``arr`` over ``(jd, fr)`` writing into contiguous ``e``, ``r``, ``v``."""
    inner = getattr(arr, "_sgp4", None)
    if inner is not None:
        inner(jd, fr, e, r, v)  # the call SatrecArray.sgp4 makes, minus its allocation
    else:  # pragma: no cover - other sgp4 builds
        e[...], r[...], v[...] = arr.sgp4(jd, fr)


def _objects_per_chunk(n_objects: int, n_times: int, chunk_size: int | None) -> int:
    if chunk_size is None:
        return max(n_objects, 1)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    return max(1, chunk_size // max(n_times, 1))


def propagate(
    objects: Sequence[object] | CatalogArray,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    chunk_size: int | None = None,
) -> Propagation:
    """Propagate every object to every instant with SGP4 (vectorized).

    ``objects``: a :class:`CatalogArray` (reusable, fastest) or a sequence of
    ``ElementSet`` / ``sgp4.api.Satrec``.  ``jd``, ``fr``: split UTC Julian
    dates, scalars or arrays shaped ``(n_times,)`` (a scalar gives
    ``n_times == 1``).  ``chunk_size``: at most this many object x time states
    per SGP4 call (objects are split; the result is still the full array, so
    use :func:`iter_propagate` to bound memory).

    Returns a :class:`Propagation` with TEME states ``(n_objects, n_times, 3)``
    in km and km/s and SGP4 error codes ``(n_objects, n_times)``.
    """
    catalog = CatalogArray.from_objects(objects)
    jd_a, fr_a = as_time_arrays(jd, fr)
    n_obj, n_time = len(catalog), jd_a.shape[0]
    e = np.empty((n_obj, n_time), dtype=np.uint8)
    r = np.empty((n_obj, n_time, 3), dtype=np.float64)
    v = np.empty((n_obj, n_time, 3), dtype=np.float64)
    if n_obj and n_time:
        step = _objects_per_chunk(n_obj, n_time, chunk_size)
        for i0 in range(0, n_obj, step):
            i1 = min(i0 + step, n_obj)
            arr = catalog.satrec_array(i0, i1)
            _sgp4_into(arr, jd_a, fr_a, e[i0:i1], r[i0:i1], v[i0:i1])
        _blank_errors(e, r, v)
    return Propagation(catalog.norad_ids, jd_a, fr_a, r, v, e)


def iter_propagate(
    objects: Sequence[object] | CatalogArray,
    jd: float | np.ndarray,
    fr: float | np.ndarray | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_STATES,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[PropagationChunk]:
    """Propagate in pieces of at most ``chunk_size`` object x time states.

    Yields :class:`PropagationChunk` in object-major order (all times of the
    first objects, then the next objects); each piece's arrays are fresh, so
    memory stays near ``chunk_size * 56`` bytes per piece.  When one object
    over all times exceeds ``chunk_size`` the times are split too.
    ``progress(done_states, total_states)`` is called after each piece.
    """
    catalog = CatalogArray.from_objects(objects)
    jd_a, fr_a = as_time_arrays(jd, fr)
    n_obj, n_time = len(catalog), jd_a.shape[0]
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    obj_step = _objects_per_chunk(n_obj, n_time, chunk_size)
    time_step = n_time if n_time <= chunk_size else chunk_size
    total = n_obj * n_time
    done = 0
    for i0 in range(0, n_obj, obj_step):
        i1 = min(i0 + obj_step, n_obj)
        arr = catalog.satrec_array(i0, i1)
        for t0 in range(0, n_time, max(time_step, 1)):
            t1 = min(t0 + time_step, n_time)
            jd_c = jd_a[t0:t1]
            fr_c = fr_a[t0:t1]
            e = np.empty((i1 - i0, t1 - t0), dtype=np.uint8)
            r = np.empty((i1 - i0, t1 - t0, 3), dtype=np.float64)
            v = np.empty((i1 - i0, t1 - t0, 3), dtype=np.float64)
            _sgp4_into(arr, jd_c, fr_c, e, r, v)
            _blank_errors(e, r, v)
            done += e.size
            yield PropagationChunk(
                slice(i0, i1),
                slice(t0, t1),
                Propagation(catalog.norad_ids[i0:i1], jd_c, fr_c, r, v, e),
            )
            if progress is not None:
                progress(done, total)


def positions_in_force(
    sets: Sequence, start: datetime, times_s: np.ndarray, satrecs: Sequence[Satrec] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """TEME positions (km, shape ``(n, 3)``) of ONE object at ``start + times_s``
    seconds, each from its element set in force then: the newest of ``sets``
    (sorted by epoch) with an epoch at or before that instant, the oldest
    before all of them.  Also returns the index of the set used at each
    instant.  Rows where SGP4 fails are NaN.  ``satrecs``: the sets' Satrecs,
    when the caller keeps them."""
    from orbitwatch.timeutil import datetime_to_jd

    times_s = np.asarray(times_s, dtype=float)
    jd0, fr0 = datetime_to_jd(start)
    epochs_s = np.array([(s.epoch - start).total_seconds() for s in sets])
    k = np.clip(np.searchsorted(epochs_s, times_s, side="right") - 1, 0, len(sets) - 1)
    r = np.full((times_s.size, 3), np.nan)
    for kk in np.unique(k):
        m = k == kk
        sat = satrecs[kk] if satrecs is not None else sets[kk].to_satrec()
        e, rr, _ = sat.sgp4_array(np.full(int(m.sum()), jd0), fr0 + times_s[m] / DAY_S)
        rr[e != 0] = np.nan
        r[m] = rr
    return r, k
