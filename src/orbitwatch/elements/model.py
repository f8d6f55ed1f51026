"""Records produced by the element-set and SATCAT readers.

These are the shared currency between ``elements`` (parsing), ``store``
(persistence) and ``propagation``.  They are small frozen dataclasses with
SI-adjacent units named in the fields: angles in degrees, mean motion in
revolutions per day (as published), epochs as aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sgp4.api import Satrec

from orbitwatch.timeutil import iso_z


@dataclass(frozen=True, slots=True)
class RecordError:
    """One rejected record: where it was and what was wrong with it.

    ``line`` is the 1-based line number in the (decompressed) file where the
    record starts; ``field`` names the offending field (``checksum``,
    ``eccentricity``, ``line 2``…).
    """

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ElementSet:
    """One mean-element set (TLE or OMM) for one object at one epoch.

    Angles are degrees, mean motion revolutions/day, ``bstar`` 1/earth-radii,
    ``mean_motion_dot`` rev/day^2 (the TLE's first derivative / 2 field, as
    published), ``mean_motion_ddot`` rev/day^3 (second derivative / 6).
    ``epoch`` is an aware UTC datetime.  ``line1``/``line2`` hold TLE text
    when the set came from (or is representable as) a TLE, else ``None``.
    """

    norad_id: int
    epoch: datetime
    mean_motion_rev_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar: float
    mean_motion_dot: float = 0.0
    mean_motion_ddot: float = 0.0
    name: str | None = None
    intl_designator: str | None = None
    classification: str = "U"
    element_set_no: int = 999
    rev_at_epoch: int = 0
    ephemeris_type: int = 0
    line1: str | None = None
    line2: str | None = None
    # where the record came from (1-based line number of its first line)
    source_line: int = 0
    # extra metadata some formats carry (e.g. keeptrack owner "C", type "OT")
    owner: str | None = None
    object_type: str | None = None
    # provenance for evidence (not part of equality): the file name the set was
    # read from, or the store's source label, the partner who contributed it and
    # to whom it is releasable (store only)
    source: str | None = field(default=None, compare=False)
    partner: str | None = field(default=None, compare=False)
    releasable_to: str | None = field(default=None, compare=False)

    def to_satrec(self) -> Satrec:
        """Initialise an sgp4 ``Satrec`` (WGS-72, improved mode) from these elements."""
        from orbitwatch.elements.convert import element_set_to_satrec

        return element_set_to_satrec(self)


@dataclass(frozen=True, slots=True)
class SatcatRecord:
    """One SATCAT entry: who owns an object, what it is, when it launched/decayed.

    ``object_type`` is one of ``PAYLOAD``, ``ROCKET BODY``, ``DEBRIS``,
    ``UNKNOWN``.  Altitudes in km, period in minutes, inclination degrees.
    """

    norad_id: int
    name: str | None = None
    intl_designator: str | None = None
    owner: str | None = None
    object_type: str | None = None
    launch_date: str | None = None
    launch_site: str | None = None
    decay_date: str | None = None
    period_min: float | None = None
    inclination_deg: float | None = None
    apogee_km: float | None = None
    perigee_km: float | None = None
    rcs_m2: float | None = None
    ops_status: str | None = None
    source_line: int = 0


@dataclass(slots=True)
class ParseResult:
    """What a reader got out of one file.

    ``format`` names the detected format (``tle``, ``3le``, ``omm-kvn``,
    ``omm-xml``, ``omm-json``, ``omm-csv``, ``keeptrack-json``,
    ``satcat-csv``…); ``read`` counts the records seen (accepted + rejected).
    """

    file: str
    format: str
    element_sets: list[ElementSet] = field(default_factory=list)
    satcat: list[SatcatRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.element_sets) + len(self.satcat) + len(self.errors)


def set_ref(es: ElementSet) -> dict:
    """Evidence reference to one element set: epoch (ISO-8601 Z), element-set
    number, and where it came from when known (``source``: the file name or the
    store's source label; ``source_line``; ``partner``)."""
    ref: dict = {
        "epoch": iso_z(es.epoch, 3),
        "element_set_no": int(es.element_set_no),
    }
    if es.source:
        ref["source"] = es.source
    if es.source_line:
        ref["source_line"] = int(es.source_line)
    if es.partner:
        ref["partner"] = es.partner
    return ref


def type_from_name(name: str | None) -> str | None:
    """``DEBRIS`` or ``ROCKET BODY`` as the catalog name says (a word starting
    ``DEB``: ``FENGYUN 1C DEB``, ``... DEBRIS``; ``R/B``), else None: the type of
    an object no SATCAT record types (a fragment catalogued after the file)."""
    n = (name or "").upper()
    if " DEB" in f" {n}":
        return "DEBRIS"
    if "R/B" in n:
        return "ROCKET BODY"
    return None


def cospar_designator(text: str | None) -> str | None:
    """COSPAR designator in SATCAT/CCSDS form ``1998-067A``; TLE form ``98067A`` is converted.

    Years 57-99 are 19xx, 00-56 are 20xx.  Anything else is returned stripped and
    upper-cased; empty input gives ``None``.
    """
    if not text:
        return None
    t = text.strip().upper()
    # TLE form: 2-digit year, 3-digit launch number, 1-3 letter piece (plain string
    # tests: this runs once per object of every ingest)
    if 6 <= len(t) <= 8 and t[:5].isdigit() and t[5:].isalpha():
        yy = int(t[:2])
        return f"{1900 + yy if yy >= 57 else 2000 + yy}-{t[2:5]}{t[5:]}"
    return t or None


class FormatError(ValueError):
    """The file is not any element-set or SATCAT format we know."""
