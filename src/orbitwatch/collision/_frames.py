"""Frame conversions used only when a CDM gives states in ITRF or TEME.

Uses :mod:`orbitwatch.propagation.frames` (ITRS -> TEME -> GCRS; UT1 = UTC and no polar
motion unless EOP are supplied there), good to metres in position at LEO, which the CDM
reader states as a warning wherever it is used.  CARA converts ITRF CDM states to J2000 with
its own EOP tables; GCRS and EME2000 differ by ~20 mas."""

from __future__ import annotations

from datetime import datetime

import numpy as np


def to_gcrs(r_m: np.ndarray, v_m_s: np.ndarray, when: datetime, frame: str):
    """ITRF or TEME state (m, m/s) -> GCRS (m, m/s) at ``when`` (aware UTC)."""
    from orbitwatch.propagation import frames
    from orbitwatch.timeutil import datetime_to_jd

    jd, fr = datetime_to_jd(when)
    jd = np.array([jd])
    fr = np.array([fr])
    r = np.asarray(r_m, float)[None, :] / 1000.0
    v = np.asarray(v_m_s, float)[None, :] / 1000.0
    if frame.upper().startswith("ITRF"):
        r, v = frames.itrs_to_teme(r, v, jd, fr)
    rg, vg = frames.teme_to_gcrs(r, v, jd, fr)
    return rg[0] * 1000.0, vg[0] * 1000.0
