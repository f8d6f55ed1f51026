"""CCSDS Conjunction Data Message (CDM) reader and writer, KVN and XML, versions 1.0 and 2.0.

Reference: CCSDS 508.0-B-1 "Conjunction Data Message" (Blue Book, 2013; CDM version 1.0)
and its revision (CDM version 2.0), plus the NDM/XML schema (CCSDS 505.0-B).

Model
-----
A :class:`Cdm` holds four kinds of sections, each a :class:`Section` with an ordered
``fields`` mapping (keyword -> value text, exactly as read, units stripped) and a list of
``comments``:

* ``header``   CCSDS_CDM_VERS is kept in ``version``; CREATION_DATE, ORIGINATOR, MESSAGE_FOR, MESSAGE_ID ...
* ``relative`` TCA, MISS_DISTANCE, RELATIVE_SPEED, RELATIVE_POSITION_R/T/N, ... COLLISION_PROBABILITY
* ``objects[i].metadata`` OBJECT, OBJECT_DESIGNATOR, OBJECT_NAME, ..., REF_FRAME, ...
* ``objects[i].data`` OD parameters, additional parameters, state vector (km, km/s) and the
  RTN covariance (CR_R ... CNDOT_NDOT in m**2, m**2/s, m**2/s**2; further rows CDRG_*, CSRP_*,
  CTHR_* are kept as fields and ignored by :attr:`CdmObject.cov_rtn`).

Comments are kept per section (their position inside a section is not kept: CCSDS XML only
allows comments at the start of a block, so this is the one representation that survives a
KVN -> XML -> KVN trip unchanged).  Values are kept as the text that was read, so writing and
reading back gives an identical :class:`Cdm` (``==``) in either format.

Units in square brackets are checked against the standard unit of the keyword where the
standard fixes one (a km/m mix-up is an error, naming file, line and keyword).

The CARA convention ``COMMENT HBR = 20 [m]`` (in any section) is exposed as :attr:`Cdm.hbr_m`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from orbitwatch.elements.model import FormatError

__all__ = [
    "Cdm",
    "CdmObject",
    "CdmError",
    "Section",
    "read_cdm",
    "parse_cdm",
    "write_cdm",
    "COVARIANCE_KEYS_6X6",
]


class CdmError(FormatError):
    """Bad CDM input: names the file, line and keyword."""

    def __init__(self, file: str, line: int | None, field_name: str | None, message: str):
        self.file = file
        self.line = line
        self.field = field_name
        self.message = message
        where = f"{file}"
        if line is not None:
            where += f":{line}"
        if field_name:
            where += f" [{field_name}]"
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------------------
# Keyword tables (CCSDS 508.0-B-1 tables 3-2 .. 3-5, plus v2.0 additions)
# --------------------------------------------------------------------------------------

HEADER_KEYS = ("CLASSIFICATION", "CREATION_DATE", "ORIGINATOR", "MESSAGE_FOR", "MESSAGE_ID")

RELATIVE_STATE_KEYS = (
    "RELATIVE_POSITION_R", "RELATIVE_POSITION_T", "RELATIVE_POSITION_N",
    "RELATIVE_VELOCITY_R", "RELATIVE_VELOCITY_T", "RELATIVE_VELOCITY_N",
)
RELATIVE_KEYS = (
    "CONJUNCTION_ID", "TCA", "MISS_DISTANCE", "MAHALANOBIS_DISTANCE", "RELATIVE_SPEED",
    *RELATIVE_STATE_KEYS,
    "APPROACH_ANGLE", "START_SCREEN_PERIOD", "STOP_SCREEN_PERIOD", "SCREEN_TYPE",
    "SCREEN_VOLUME_FRAME", "SCREEN_VOLUME_SHAPE", "SCREEN_VOLUME_RADIUS",
    "SCREEN_VOLUME_X", "SCREEN_VOLUME_Y", "SCREEN_VOLUME_Z",
    "SCREEN_ENTRY_TIME", "SCREEN_EXIT_TIME", "SCREEN_PC_THRESHOLD",
    "COLLISION_PERCENTILE", "COLLISION_PROBABILITY", "COLLISION_PROBABILITY_METHOD",
    "COLLISION_MAX_PROBABILITY", "COLLISION_MAX_PC_METHOD", "SEFI_COLLISION_PROBABILITY",
    "SEFI_COLLISION_PROBABILITY_METHOD", "SEFI_FRAGMENTATION_MODEL", "PREVIOUS_MESSAGE_ID",
    "PREVIOUS_MESSAGE_EPOCH", "NEXT_MESSAGE_EPOCH",
)
METADATA_KEYS = (
    "OBJECT", "OBJECT_DESIGNATOR", "CATALOG_NAME", "OBJECT_NAME", "INTERNATIONAL_DESIGNATOR",
    "OBJECT_TYPE", "OPS_STATUS", "OPERATOR_CONTACT_POSITION", "OPERATOR_ORGANIZATION",
    "OPERATOR_PHONE", "OPERATOR_EMAIL", "ODM_MSG_LINK", "ADM_MSG_LINK", "EPHEMERIS_NAME",
    "OBS_BEFORE_NEXT_MESSAGE", "COVARIANCE_METHOD", "COVARIANCE_SOURCE", "MANEUVERABLE",
    "ORBIT_CENTER", "REF_FRAME", "ALT_COV_TYPE", "ALT_COV_REF_FRAME", "GRAVITY_MODEL",
    "ATMOSPHERIC_MODEL", "N_BODY_PERTURBATIONS", "SOLAR_RAD_PRESSURE", "EARTH_TIDES",
    "INTRACK_THRUST",
)
OD_KEYS = (
    "TIME_LASTOB_START", "TIME_LASTOB_END", "RECOMMENDED_OD_SPAN", "ACTUAL_OD_SPAN",
    "OBS_AVAILABLE", "OBS_USED", "TRACKS_AVAILABLE", "TRACKS_USED", "RESIDUALS_ACCEPTED",
    "WEIGHTED_RMS", "OD_EPOCH",
)
ADDITIONAL_KEYS = (
    "AREA_PC", "AREA_PC_MIN", "AREA_PC_MAX", "AREA_DRG", "AREA_SRP", "OEB_PARENT_FRAME",
    "OEB_PARENT_FRAME_EPOCH", "OEB_Q1", "OEB_Q2", "OEB_Q3", "OEB_QC", "OEB_MAX",
    "OEB_INT", "OEB_MIN", "AREA_ALONG_OEB_MAX", "AREA_ALONG_OEB_INT", "AREA_ALONG_OEB_MIN",
    "RCS", "RCS_MIN", "RCS_MAX", "VM_ABSOLUTE", "VM_APPARENT_MIN", "VM_APPARENT",
    "VM_APPARENT_MAX", "REFLECTANCE", "MASS", "HBR", "CD_AREA_OVER_MASS",
    "CR_AREA_OVER_MASS", "THRUST_ACCELERATION", "SEDR", "MIN_DV", "MAX_DV",
    "LEAD_TIME_REQD_BEFORE_TCA", "APOAPSIS_ALTITUDE", "PERIAPSIS_ALTITUDE", "INCLINATION",
    "COV_CONFIDENCE", "COV_CONFIDENCE_METHOD",
)
STATE_KEYS = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
_RTN_NAMES = ("R", "T", "N", "RDOT", "TDOT", "NDOT", "DRG", "SRP", "THR")
# Lower-triangle covariance keywords, row by row: CR_R; CT_R CT_T; ...; CTHR_THR.
COVARIANCE_KEYS = tuple(
    f"C{_RTN_NAMES[i]}_{_RTN_NAMES[j]}" for i in range(9) for j in range(i + 1)
)
COVARIANCE_KEYS_6X6 = COVARIANCE_KEYS[:21]
DATA_KEYS = (*OD_KEYS, *ADDITIONAL_KEYS, *STATE_KEYS, *COVARIANCE_KEYS)

_XML_DATA_GROUPS = (
    ("odParameters", OD_KEYS),
    ("additionalParameters", ADDITIONAL_KEYS),
    ("stateVector", STATE_KEYS),
    ("covarianceMatrix", COVARIANCE_KEYS),
)

# Standard units (508.0-B-1 and B-2).  Only used to check what a file states and to write it.
_UNITS: dict[str, str] = {
    "MISS_DISTANCE": "m", "RELATIVE_SPEED": "m/s", "APPROACH_ANGLE": "deg",
    "SCREEN_VOLUME_RADIUS": "m", "SCREEN_VOLUME_X": "m", "SCREEN_VOLUME_Y": "m",
    "SCREEN_VOLUME_Z": "m",
    "RECOMMENDED_OD_SPAN": "d", "ACTUAL_OD_SPAN": "d", "RESIDUALS_ACCEPTED": "%",
    "AREA_PC": "m**2", "AREA_PC_MIN": "m**2", "AREA_PC_MAX": "m**2", "AREA_DRG": "m**2",
    "AREA_SRP": "m**2", "MASS": "kg", "HBR": "m", "CD_AREA_OVER_MASS": "m**2/kg",
    "CR_AREA_OVER_MASS": "m**2/kg", "THRUST_ACCELERATION": "m/s**2", "SEDR": "W/kg",
    "MIN_DV": "m/s", "MAX_DV": "m/s", "LEAD_TIME_REQD_BEFORE_TCA": "h",
    "APOAPSIS_ALTITUDE": "km", "PERIAPSIS_ALTITUDE": "km", "INCLINATION": "deg",
}
for _k in RELATIVE_STATE_KEYS:
    _UNITS[_k] = "m" if "POSITION" in _k else "m/s"
for _k in STATE_KEYS:
    _UNITS[_k] = "km/s" if _k.endswith("_DOT") else "km"


def _cov_unit(key: str) -> str:
    a, b = key[1:].split("_", 1)
    pos = {"R", "T", "N"}
    vel = {"RDOT", "TDOT", "NDOT"}
    if a in pos | vel and b in pos | vel:
        n_vel = (a in vel) + (b in vel)
        return ("m**2", "m**2/s", "m**2/s**2")[n_vel]
    if a == "DRG" and b in pos:
        return "m**3/kg"
    if a == "DRG" and b in vel:
        return "m**3/(kg*s)"
    if a == "DRG" and b == "DRG":
        return "m**4/kg**2"
    if a == "SRP" and b in pos:
        return "m**3/kg"
    if a == "SRP" and b in vel:
        return "m**3/(kg*s)"
    if a == "SRP" and b in ("DRG", "SRP"):
        return "m**4/kg**2"
    if a == "THR" and b in pos:
        return "m**2/s**2"
    if a == "THR" and b in vel:
        return "m**2/s**3"
    if a == "THR" and b in ("DRG", "SRP"):
        return "m**3/(kg*s**2)"
    return "m**2/s**4"


for _k in COVARIANCE_KEYS:
    _UNITS[_k] = _cov_unit(_k)

# Units that must match (a different length/time unit would silently scale values).
_STRICT_UNIT_KEYS = set(STATE_KEYS) | set(COVARIANCE_KEYS_6X6) | {"MISS_DISTANCE", "RELATIVE_SPEED"}


def _norm_unit(u: str) -> str:
    u = u.strip().lower().replace(" ", "")
    return {"m**2/s": "m**2/s", "m/sec": "m/s", "km/sec": "km/s"}.get(u, u)


_HBR_COMMENT = re.compile(r"^\s*HBR\s*=\s*([-+0-9.eEdD]+)\s*(?:\[\s*(\w+)\s*\])?", re.I)


# --------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------


@dataclass
class Section:
    """One CDM block: ordered keyword -> value text (units stripped), and its comments."""

    fields: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.fields.get(key, default)

    def float(self, key: str) -> float | None:
        v = self.fields.get(key)
        if v is None or v.strip() == "":
            return None
        return float(v)


@dataclass
class CdmObject:
    """Metadata and data of OBJECT1 or OBJECT2."""

    metadata: Section = field(default_factory=Section)
    data: Section = field(default_factory=Section)

    @property
    def object(self) -> str | None:
        return self.metadata.get("OBJECT")

    @property
    def object_designator(self) -> str | None:
        return self.metadata.get("OBJECT_DESIGNATOR")

    @property
    def object_name(self) -> str | None:
        return self.metadata.get("OBJECT_NAME")

    @property
    def ref_frame(self) -> str | None:
        return self.metadata.get("REF_FRAME")

    @property
    def r_km(self) -> np.ndarray:
        """Position (3,) in km, in :attr:`ref_frame`."""
        return np.array([self.data.float(k) for k in STATE_KEYS[:3]], dtype=float)

    @property
    def v_km_s(self) -> np.ndarray:
        """Velocity (3,) in km/s, in :attr:`ref_frame`."""
        return np.array([self.data.float(k) for k in STATE_KEYS[3:]], dtype=float)

    def cov_rtn_n(self, n: int = 6) -> np.ndarray:
        """Symmetric (n, n) RTN covariance in m and m/s units (n = 3, 6 or up to 9);
        missing elements are NaN."""
        out = np.full((n, n), np.nan)
        for i in range(n):
            for j in range(i + 1):
                v = self.data.float(f"C{_RTN_NAMES[i]}_{_RTN_NAMES[j]}")
                if v is not None:
                    out[i, j] = out[j, i] = v
        return out

    @property
    def cov_rtn(self) -> np.ndarray:
        """Symmetric 6x6 position/velocity covariance in the object's RTN frame
        (m**2, m**2/s, m**2/s**2)."""
        return self.cov_rtn_n(6)


@dataclass
class Cdm:
    """A parsed CDM.  ``source`` / ``fmt`` record where it came from and are not compared."""

    version: str = "1.0"
    header: Section = field(default_factory=Section)
    relative: Section = field(default_factory=Section)
    objects: list[CdmObject] = field(default_factory=lambda: [CdmObject(), CdmObject()])
    source: str = field(default="<string>", compare=False)
    fmt: str = field(default="kvn", compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)

    # Convenience accessors ------------------------------------------------------------
    @property
    def message_id(self) -> str | None:
        return self.header.get("MESSAGE_ID")

    @property
    def tca(self) -> datetime:
        """TCA as an aware UTC datetime (microsecond resolution)."""
        return parse_cdm_epoch(self.relative.fields["TCA"])

    @property
    def tca_text(self) -> str:
        return self.relative.fields["TCA"]

    @property
    def miss_distance_m(self) -> float | None:
        return self.relative.float("MISS_DISTANCE")

    @property
    def relative_speed_m_s(self) -> float | None:
        return self.relative.float("RELATIVE_SPEED")

    @property
    def relative_position_rtn_m(self) -> np.ndarray:
        return np.array([self.relative.float(k) or np.nan for k in RELATIVE_STATE_KEYS[:3]])

    @property
    def relative_velocity_rtn_m_s(self) -> np.ndarray:
        return np.array([self.relative.float(k) or np.nan for k in RELATIVE_STATE_KEYS[3:]])

    @property
    def collision_probability(self) -> float | None:
        return self.relative.float("COLLISION_PROBABILITY")

    def all_comments(self) -> list[str]:
        out = list(self.header.comments) + list(self.relative.comments)
        for o in self.objects:
            out += o.metadata.comments + o.data.comments
        return out

    @property
    def hbr_m(self) -> float | None:
        """Combined hard-body radius in m from a ``COMMENT HBR = R [m]`` line (CARA), or the
        sum of the objects' HBR keywords (CDM 2.0), else None."""
        for c in self.all_comments():
            m = _HBR_COMMENT.match(c)
            if m:
                val = float(m.group(1).replace("d", "e").replace("D", "e"))
                unit = (m.group(2) or "m").lower()
                return val * 1000.0 if unit == "km" else val
        vals = [o.data.float("HBR") for o in self.objects]
        if all(v is not None for v in vals):
            return float(sum(vals))
        return None


def parse_cdm_epoch(text: str) -> datetime:
    """CCSDS epoch ``YYYY-MM-DDThh:mm:ss[.d...]`` or ``YYYY-DDDThh:mm:ss`` (UTC) -> aware datetime.
    Fractions beyond microseconds are rounded."""
    s = text.strip().rstrip("Z").replace(" ", "T")
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d*)?", s)
    if m:
        y, mo, d, hh, mm, ss = (int(g) for g in m.groups()[:6])
        base = datetime(y, mo, d, hh, mm, ss, tzinfo=timezone.utc)
    else:
        m = re.fullmatch(r"(\d{4})-(\d{3})T(\d{2}):(\d{2}):(\d{2})(\.\d*)?", s)
        if not m:
            raise ValueError(f"not a CCSDS epoch: {text!r}")
        y, doy, hh, mm, ss = (int(g) for g in m.groups()[:5])
        from datetime import timedelta

        base = datetime(y, 1, 1, hh, mm, ss, tzinfo=timezone.utc) + timedelta(days=doy - 1)
    frac = m.groups()[-1]
    if frac and len(frac) > 1:
        from datetime import timedelta

        base = base + timedelta(microseconds=round(float(frac) * 1e6))
    return base


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------

_KVN_LINE = re.compile(r"^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$")
_UNIT_TAIL = re.compile(r"^(.*?)\s*\[\s*([^\]]*?)\s*\]?\s*$")


def _clean_text(text: str) -> str:
    # Some published samples use the Unicode minus sign and a byte-order mark.
    return text.replace("\u2212", "-").replace("\ufeff", "")


def read_cdm(path: str | Path) -> Cdm:
    """Read one CDM file (KVN or XML, detected from content).  Raises :class:`CdmError`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CdmError(str(p), None, None, f"cannot read file: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_cdm(text, source=str(p))


def parse_cdm(text: str, source: str = "<string>") -> Cdm:
    """Parse CDM text (KVN or XML)."""
    text = _clean_text(text)
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return _parse_xml(text, source)
    return _parse_kvn(text, source)


def _check_unit(cdm: "Cdm", lineno: int | None, key: str, unit: str | None) -> None:
    """A wrong unit on the state vector, covariance, miss distance or relative speed is an
    error (it would silently scale values); elsewhere it is recorded in ``cdm.warnings``
    (CARA's sample CDMs label RELATIVE_VELOCITY_* as [m])."""
    if unit is None or key not in _UNITS:
        return
    if _norm_unit(unit) != _norm_unit(_UNITS[key]):
        msg = f"unit [{unit}] where [{_UNITS[key]}] is required"
        if key in _STRICT_UNIT_KEYS:
            raise CdmError(cdm.source, lineno, key, msg)
        where = f"line {lineno}: " if lineno else ""
        cdm.warnings.append(f"{where}{key}: {msg}; value used as if in [{_UNITS[key]}]")


def _section_for_key(key: str, where: str) -> str:
    """Which section a keyword belongs to, given the current position ``where``
    (header / relative / meta / data)."""
    if key in HEADER_KEYS and where == "header":
        return "header"
    if key in RELATIVE_KEYS and where in ("header", "relative"):
        return "relative"
    if key in METADATA_KEYS and where in ("meta", "relative", "header", "data") :
        return "meta"
    if key in DATA_KEYS:
        return "data"
    return where


def _parse_kvn(text: str, source: str) -> Cdm:
    cdm = Cdm(source=source, fmt="kvn", objects=[])
    where = "header"
    current: CdmObject | None = None
    seen_version = False
    pending: list[str] = []  # comments attach to the block of the next keyword
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("COMMENT"):
            pending.append(line[7:].strip())
            continue
        m = _KVN_LINE.match(line)
        if not m:
            raise CdmError(source, lineno, None, f"not a KEYWORD = value line: {line[:60]!r}")
        key, value = m.group(1), m.group(2)
        unit = None
        um = _UNIT_TAIL.match(value)
        if um:
            value, unit = um.group(1).strip(), (um.group(2).strip() or None)
        if key == "CCSDS_CDM_VERS":
            if seen_version:
                raise CdmError(source, lineno, key, "second CCSDS_CDM_VERS in one file")
            if value not in ("1.0", "2.0"):
                raise CdmError(source, lineno, key, f"unsupported CDM version {value!r} (1.0, 2.0)")
            cdm.version = value
            seen_version = True
            continue
        if not seen_version:
            raise CdmError(source, lineno, key, "CCSDS_CDM_VERS must be the first keyword")
        _check_unit(cdm, lineno, key, unit)
        if key == "OBJECT":
            if value not in ("OBJECT1", "OBJECT2"):
                raise CdmError(source, lineno, key, f"OBJECT must be OBJECT1 or OBJECT2, got {value!r}")
            current = CdmObject()
            cdm.objects.append(current)
            where = "meta"
            current.metadata.fields[key] = value
            current.metadata.comments.extend(pending)
            pending = []
            continue
        sec = _section_for_key(key, where)
        if sec in ("meta", "data") and current is None:
            raise CdmError(source, lineno, key, "object keyword before OBJECT = OBJECT1")
        if sec == "header" and where != "header":
            sec = where
        where = sec
        target = {
            "header": cdm.header,
            "relative": cdm.relative,
            "meta": current.metadata if current else None,
            "data": current.data if current else None,
        }[sec]
        if key in target.fields:
            raise CdmError(source, lineno, key, "keyword repeated in one section")
        _check_value(source, lineno, key, value)
        target.fields[key] = value
        target.comments.extend(pending)
        pending = []
    if pending:
        last = {"header": cdm.header, "relative": cdm.relative,
                "meta": current.metadata if current else cdm.header,
                "data": current.data if current else cdm.header}[where]
        last.comments.extend(pending)
    _validate(cdm, source)
    return cdm


def _check_value(source: str, lineno: int | None, key: str, value: str) -> None:
    if key in STATE_KEYS or key in COVARIANCE_KEYS or key in RELATIVE_STATE_KEYS or key in (
        "MISS_DISTANCE", "RELATIVE_SPEED", "COLLISION_PROBABILITY"):
        try:
            float(value)
        except ValueError:
            raise CdmError(source, lineno, key, f"not a number: {value!r}") from None
    if key in ("TCA", "CREATION_DATE"):
        try:
            parse_cdm_epoch(value)
        except ValueError as exc:
            raise CdmError(source, lineno, key, str(exc)) from None


def _validate(cdm: Cdm, source: str) -> None:
    for key in ("CREATION_DATE", "ORIGINATOR", "MESSAGE_ID"):
        if key not in cdm.header.fields:
            raise CdmError(source, None, key, "mandatory header keyword missing")
    for key in ("TCA", "MISS_DISTANCE"):
        if key not in cdm.relative.fields:
            raise CdmError(source, None, key, "mandatory relative metadata keyword missing")
    if len(cdm.objects) != 2:
        raise CdmError(source, None, "OBJECT", f"expected OBJECT1 and OBJECT2, found {len(cdm.objects)} object(s)")
    for i, o in enumerate(cdm.objects):
        if o.object != f"OBJECT{i + 1}":
            raise CdmError(source, None, "OBJECT", f"object {i + 1} is {o.object!r}")
        for key in ("OBJECT_DESIGNATOR", "REF_FRAME"):
            if key not in o.metadata.fields:
                raise CdmError(source, None, key, f"mandatory keyword missing for {o.object}")
        for key in STATE_KEYS + COVARIANCE_KEYS_6X6[:6]:
            if key not in o.data.fields:
                raise CdmError(source, None, key, f"mandatory keyword missing for {o.object}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(text: str, source: str) -> Cdm:
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise CdmError(source, line, None, f"XML not well formed: {exc}") from None
    if _local(root.tag) == "ndm":
        cdms = [c for c in root if _local(c.tag) == "cdm"]
        if not cdms:
            raise CdmError(source, None, "cdm", "NDM container holds no <cdm>")
        root = cdms[0]
    if _local(root.tag) != "cdm":
        raise CdmError(source, None, _local(root.tag), "root element is not <cdm>")
    version = root.get("version", "1.0")
    if version not in ("1.0", "2.0"):
        raise CdmError(source, None, "version", f"unsupported CDM version {version!r}")
    cdm = Cdm(version=version, source=source, fmt="xml", objects=[])

    def fill(sec: Section, elem: ET.Element) -> None:
        for child in elem:
            name = _local(child.tag)
            if len(child):
                fill(sec, child)  # nested group (relativeStateVector, odParameters, ...)
                continue
            val = (child.text or "").strip()
            if name == "COMMENT":
                sec.comments.append(val)
                continue
            _check_unit(cdm, None, name, child.get("units"))
            _check_value(source, None, name, val)
            sec.fields[name] = val

    for part in root:
        name = _local(part.tag)
        if name == "header":
            fill(cdm.header, part)
        elif name == "body":
            for blk in part:
                bname = _local(blk.tag)
                if bname == "relativeMetadataData":
                    fill(cdm.relative, blk)
                elif bname == "segment":
                    obj = CdmObject()
                    for sub in blk:
                        sname = _local(sub.tag)
                        if sname == "metadata":
                            fill(obj.metadata, sub)
                        elif sname == "data":
                            fill(obj.data, sub)
                    cdm.objects.append(obj)
    _validate(cdm, source)
    return cdm


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _kvn_line(key: str, value: str) -> str:
    unit = _UNITS.get(key)
    s = f"{key:<36}= {value}"
    if unit:
        s += f" [{unit}]"
    return s


def _write_kvn(cdm: Cdm) -> str:
    lines = [f"{'CCSDS_CDM_VERS':<36}= {cdm.version}"]

    def section(sec: Section, first_key: str | None = None) -> None:
        items = list(sec.fields.items())
        if first_key is not None and items and items[0][0] == first_key:
            # OBJECT opens a segment; the reader attaches comments to the block of the
            # keyword that follows them, so metadata comments may come after it.
            lines.append(_kvn_line(*items[0]))
            items = items[1:]
        for c in sec.comments:
            lines.append(f"COMMENT {c}".rstrip())
        for k, v in items:
            lines.append(_kvn_line(k, v))

    section(cdm.header)
    section(cdm.relative)
    for obj in cdm.objects:
        section(obj.metadata, "OBJECT")
        section(obj.data)
    return "\n".join(lines) + "\n"


def _xml_leaf(parent: ET.Element, key: str, value: str) -> None:
    e = ET.SubElement(parent, key)
    unit = _UNITS.get(key)
    if unit:
        e.set("units", unit)
    e.text = value


def _xml_comments(parent: ET.Element, comments: list[str]) -> None:
    for c in comments:
        ET.SubElement(parent, "COMMENT").text = c


def _write_xml(cdm: Cdm) -> str:
    root = ET.Element("cdm")
    root.set("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
    root.set(
        "xsi:noNamespaceSchemaLocation",
        "https://sanaregistry.org/r/ndmxml_unqualified/ndmxml-3.0.0-master-3.0.xsd",
    )
    root.set("id", "CCSDS_CDM_VERS")
    root.set("version", cdm.version)
    header = ET.SubElement(root, "header")
    _xml_comments(header, cdm.header.comments)
    for k, v in cdm.header.fields.items():
        _xml_leaf(header, k, v)
    body = ET.SubElement(root, "body")
    rel = ET.SubElement(body, "relativeMetadataData")
    _xml_comments(rel, cdm.relative.comments)
    rsv = None
    for k, v in cdm.relative.fields.items():
        if k in RELATIVE_STATE_KEYS:
            if rsv is None:
                rsv = ET.SubElement(rel, "relativeStateVector")
            _xml_leaf(rsv, k, v)
        else:
            _xml_leaf(rel, k, v)
    for obj in cdm.objects:
        seg = ET.SubElement(body, "segment")
        meta = ET.SubElement(seg, "metadata")
        _xml_comments(meta, obj.metadata.comments)
        for k, v in obj.metadata.fields.items():
            _xml_leaf(meta, k, v)
        data = ET.SubElement(seg, "data")
        _xml_comments(data, obj.data.comments)
        placed = set()
        for gname, keys in _XML_DATA_GROUPS:
            present = [k for k in obj.data.fields if k in keys]
            if gname == "additionalParameters":
                # keywords we do not know go with the additional parameters
                present += [k for k in obj.data.fields if k not in DATA_KEYS]
            if not present:
                continue
            grp = ET.SubElement(data, gname)
            for k in present:
                _xml_leaf(grp, k, obj.data.fields[k])
                placed.add(k)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_cdm(cdm: Cdm, fmt: str = "kvn") -> str:
    """Serialise ``cdm`` as CCSDS CDM text, ``fmt`` = ``'kvn'`` or ``'xml'``.

    Keywords are written in the order held by each section (build new CDMs with
    :func:`orbitwatch.collision.risk.conjunction_to_cdm` or in standard order); comments
    are written at the start of their section (after ``OBJECT`` in a segment)."""
    if fmt == "kvn":
        return _write_kvn(cdm)
    if fmt == "xml":
        return _write_xml(cdm)
    raise ValueError(f"fmt must be 'kvn' or 'xml', not {fmt!r}")
