"""Vectorized SGP4 propagation and frame conversions.

- :func:`propagate` / :func:`iter_propagate`: a catalog over an array of UTC
  times -> TEME states ``(n_objects, n_times, 3)`` (km, km/s) and SGP4 error
  codes ``(n_objects, n_times)`` (see :mod:`.sgp4_array`).
- :mod:`.frames`: TEME -> ITRS -> WGS-84 geodetic, TEME -> GCRS.
"""

from orbitwatch.propagation.sgp4_array import (
    DEFAULT_CHUNK_STATES,
    SGP4_ERROR_MESSAGES,
    CatalogArray,
    Propagation,
    PropagationChunk,
    as_time_arrays,
    error_message,
    iter_propagate,
    propagate,
)

__all__ = [
    "DEFAULT_CHUNK_STATES",
    "SGP4_ERROR_MESSAGES",
    "CatalogArray",
    "Propagation",
    "PropagationChunk",
    "as_time_arrays",
    "error_message",
    "iter_propagate",
    "propagate",
]
