"""Turn ``ElementSet`` records into sgp4 ``Satrec`` objects.

A set that carries TLE text goes through ``Satrec.twoline2rv`` (bit-for-bit
what Vallado's reference code does); an OMM-only set goes through
``Satrec.sgp4init`` with the same unit conversions ``twoline2rv`` applies.
Both use WGS-72, the constants the element sets were fitted with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from math import pi

from sgp4.api import WGS72, Satrec

from orbitwatch.elements.model import ElementSet

_DEG2RAD = pi / 180.0
_XPDOTP = 1440.0 / (2.0 * pi)  # rev/day per rad/min
# sgp4init takes its epoch as days since 1949-12-31 00:00 UTC
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
# sgp4 stores the catalog number as 5 Alpha-5 characters, so Z9999 = 339999 is its largest
_MAX_SATNUM = 339999


def element_set_to_satrec(es: ElementSet) -> Satrec:
    """Initialise a ``Satrec`` (WGS-72, improved mode 'i') from one element set.

    Catalog numbers above 339999 (OMM-only objects; no TLE or Alpha-5 form)
    are passed to sgp4 as 0 — sgp4 rejects them and the number does not enter
    the propagation.
    """
    if es.line1 and es.line2:
        return Satrec.twoline2rv(es.line1, es.line2, WGS72)
    sat = Satrec()
    epoch_days = (es.epoch - _SGP4_EPOCH0).total_seconds() / 86400.0
    sat.sgp4init(
        WGS72,
        "i",
        es.norad_id if 0 <= es.norad_id <= _MAX_SATNUM else 0,
        epoch_days,
        es.bstar,  # 1/earth radii
        es.mean_motion_dot / (_XPDOTP * 1440.0),  # rev/day^2 -> rad/min^2
        es.mean_motion_ddot / (_XPDOTP * 1440.0 * 1440.0),  # rev/day^3 -> rad/min^3
        es.eccentricity,
        es.arg_perigee_deg * _DEG2RAD,
        es.inclination_deg * _DEG2RAD,
        es.mean_anomaly_deg * _DEG2RAD,
        es.mean_motion_rev_day / _XPDOTP,  # rev/day -> rad/min
        es.raan_deg * _DEG2RAD,
    )
    return sat
