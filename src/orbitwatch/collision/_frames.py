"""Frame conversions used only when a CDM gives states in ITRF or TEME.

Uses skyfield's built-in IERS-free rotations (no downloads; UT1 = UTC assumed, no polar motion),
which is accurate to a few tens of metres at LEO speed-of-rotation level — stated as a warning
wherever it is used."""

from __future__ import annotations

from datetime import datetime

import numpy as np


def to_gcrs(r_m: np.ndarray, v_m_s: np.ndarray, when: datetime, frame: str):
    """ITRF or TEME (m, m/s) -> GCRS (m, m/s) at ``when`` (aware UTC)."""
    from skyfield.api import load
    from skyfield.framelib import itrs
    from skyfield.sgp4lib import TEME

    ts = load.timescale(builtin=True)
    t = ts.from_datetime(when)
    r_km = np.asarray(r_m, float) / 1000.0
    v_km_s = np.asarray(v_m_s, float) / 1000.0
    f = TEME if frame.upper() == "TEME" else itrs
    # rotation_at gives frame<-GCRS; the velocity needs the frame's rotation rate too.
    R = f.rotation_at(t)
    r_g = R.T @ r_km
    if hasattr(f, "_dRdt_times_RT_at"):
        # skyfield: v_frame = R v_gcrs + dR/dt r_gcrs
        dRdt_RT = f._dRdt_times_RT_at(t)
        v_g = R.T @ (v_km_s - dRdt_RT @ r_km)
    else:
        v_g = R.T @ v_km_s
    return r_g * 1000.0, v_g * 1000.0
