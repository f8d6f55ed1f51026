"""CCSDS Orbit Mean-elements Messages (OMM): KVN and XML readers, KVN writer.

Keywords follow CCSDS 502.0-B-3 (ODM) section 4 / NDM XML 505.0: ``EPOCH``,
``MEAN_MOTION`` [rev/day], ``ECCENTRICITY``, ``INCLINATION``,
``RA_OF_ASC_NODE``, ``ARG_OF_PERICENTER``, ``MEAN_ANOMALY`` [deg] and the TLE
parameters ``NORAD_CAT_ID``, ``BSTAR`` [1/ER], ``MEAN_MOTION_DOT`` [rev/day^2],
``MEAN_MOTION_DDOT`` [rev/day^3], ``ELEMENT_SET_NO``, ``REV_AT_EPOCH``,
``EPHEMERIS_TYPE``, ``CLASSIFICATION_TYPE``.  The same dictionary form is
used by the JSON and CSV readers (CelesTrak and Space-Track spellings), so
``omm_to_element_set`` is the one place where an OMM record becomes an
``ElementSet``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import repeat
from xml.parsers import expat

import numpy as np

from orbitwatch.elements.model import ElementSet, FormatError, ParseResult, RecordError
from orbitwatch.elements.tle import check_ranges

_DOY = re.compile(r"^(\d{4})-(\d{3})T(\d{2}):(\d{2}):(\d{2}(?:\.\d*)?)$")
_EPOCH_MIN = datetime(1957, 10, 1, tzinfo=UTC)
_EPOCH_MAX = datetime(2100, 1, 1, tzinfo=UTC)

_REQUIRED = (
    ("EPOCH", "epoch"),
    ("MEAN_MOTION", "mean_motion"),
    ("ECCENTRICITY", "eccentricity"),
    ("INCLINATION", "inclination"),
    ("RA_OF_ASC_NODE", "raan"),
    ("ARG_OF_PERICENTER", "arg_perigee"),
    ("MEAN_ANOMALY", "mean_anomaly"),
    ("NORAD_CAT_ID", "norad_id"),
)

# accepted integer ranges (catalog numbers: Space-Track's planned 9-digit space)
_INT_LIMITS = (
    ("NORAD_CAT_ID", "norad_id", (0, 999_999_999)),
    ("ELEMENT_SET_NO", "element_set_no", (0, 2**31 - 1)),
    ("REV_AT_EPOCH", "rev_at_epoch", (0, 2**31 - 1)),
    ("EPHEMERIS_TYPE", "ephemeris_type", (0, 9)),
)

_OBJECT_TYPES = {
    "PAY": "PAYLOAD",
    "PAYLOAD": "PAYLOAD",
    "R/B": "ROCKET BODY",
    "ROCKET BODY": "ROCKET BODY",
    "RB": "ROCKET BODY",
    "DEB": "DEBRIS",
    "DEBRIS": "DEBRIS",
    "UNK": "UNKNOWN",
    "UNKNOWN": "UNKNOWN",
    "TBA": "UNKNOWN",
    "": "UNKNOWN",
}


def normalise_object_type(value: object) -> str:
    """``PAYLOAD``, ``ROCKET BODY``, ``DEBRIS`` or ``UNKNOWN`` for CelesTrak/Space-Track spellings."""
    return _OBJECT_TYPES.get(str(value or "").strip().upper(), "UNKNOWN")


def parse_omm_epoch(text: str) -> datetime:
    """Aware UTC datetime of an OMM epoch (ISO calendar or ``YYYY-DDDThh:mm:ss`` day-of-year).

    A trailing ``Z`` is accepted; fractions beyond microseconds are rounded.
    Raises ``ValueError`` naming the text.
    """
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1]
    m = _DOY.match(s)
    if m:
        year, doy, hh, mi, ss = m.groups()
        base = datetime(int(year), 1, 1, tzinfo=UTC)
        if not 1 <= int(doy) <= 366:
            raise ValueError(f"day of year {doy} out of range in {text!r}")
        return base + timedelta(
            days=int(doy) - 1, hours=int(hh), minutes=int(mi), seconds=float(ss)
        )
    head, dot, frac = s.partition(".")
    try:
        dt = datetime.fromisoformat(head)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 or day-of-year epoch") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    if dot:
        if not frac.isdigit():
            raise ValueError(f"{text!r} has a malformed fraction of a second")
        dt += timedelta(microseconds=round(float("0." + frac) * 1e6))
    return dt.replace(tzinfo=UTC)


def _num(value: object) -> float:
    """A finite float from a number or numeric text (KVN ``[unit]`` suffix allowed)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    v = _num_any(value)
    if not math.isfinite(v):
        raise ValueError("not finite")
    return v


def _num_any(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    s = str(value).strip()
    if s.endswith("]") and "[" in s:  # KVN units, e.g. "1.0027 [rev/day]"
        s = s[: s.index("[")].strip()
    return float(s)


def omm_to_element_set(
    rec: Mapping[str, object],
    *,
    file: str,
    line: int,
    label: str = "",
    key_lines: Mapping[str, int] | None = None,
) -> ElementSet | RecordError:
    """Convert one OMM record (keys upper-case CCSDS names, values text or numbers).

    ``line`` is the record's 1-based line; ``key_lines`` (optional) the line of
    each keyword, used to point errors at the offending keyword; ``label``
    (e.g. ``"record 3: "``) prefixes error messages where lines are coarse.
    """

    def err(key: str, field: str, message: str) -> RecordError:
        at = key_lines.get(key, line) if key_lines else line
        return RecordError(file, at, field, label + message)

    clean = {k: v for k, v in rec.items() if v is not None and v != ""}
    get = clean.get

    theory = str(get("MEAN_ELEMENT_THEORY") or "SGP4").upper()
    if theory != "SGP4" and "SGP" not in theory:
        return err(
            "MEAN_ELEMENT_THEORY",
            "mean_element_theory",
            f"{theory!r} mean elements cannot be propagated with SGP4",
        )
    for key, field in _REQUIRED:
        if get(key) is None:
            if key == "MEAN_MOTION" and get("SEMI_MAJOR_AXIS") is not None:
                return err(key, field, "OMM gives SEMI_MAJOR_AXIS; SGP4 OMMs need MEAN_MOTION")
            return err(key, field, f"{key} is missing")
    try:
        epoch = parse_omm_epoch(str(get("EPOCH")))
    except ValueError as exc:
        return err("EPOCH", "epoch", str(exc))
    if not _EPOCH_MIN <= epoch < _EPOCH_MAX:
        return err("EPOCH", "epoch", f"{epoch.isoformat()} is outside 1957-10..2100")
    vals: dict[str, float] = {}
    for key, field in (
        ("MEAN_MOTION", "mean_motion"),
        ("ECCENTRICITY", "eccentricity"),
        ("INCLINATION", "inclination"),
        ("RA_OF_ASC_NODE", "raan"),
        ("ARG_OF_PERICENTER", "arg_perigee"),
        ("MEAN_ANOMALY", "mean_anomaly"),
        ("BSTAR", "bstar"),
        ("MEAN_MOTION_DOT", "mean_motion_dot"),
        ("MEAN_MOTION_DDOT", "mean_motion_ddot"),
    ):
        v = get(key)
        if v is None:
            vals[field] = 0.0
            continue
        try:
            vals[field] = _num(v)
        except ValueError:
            return err(key, field, f"{key} {v!r} is not a finite number")
    ints: dict[str, int] = {}
    for key, field, default in (
        ("NORAD_CAT_ID", "norad_id", 0),
        ("ELEMENT_SET_NO", "element_set_no", 999),
        ("REV_AT_EPOCH", "rev_at_epoch", 0),
        ("EPHEMERIS_TYPE", "ephemeris_type", 0),
    ):
        v = get(key)
        if v is None:
            ints[field] = default
            continue
        try:
            f = _num(v)
            if f != int(f):
                raise ValueError
            ints[field] = int(f)
        except (ValueError, OverflowError):
            return err(key, field, f"{key} {v!r} is not an integer")
    for key, field, (lo, hi) in _INT_LIMITS:
        if not lo <= ints[field] <= hi:
            return err(key, field, f"{key} {ints[field]} is outside {lo}..{hi}")
    bad = check_ranges(
        eccentricity=vals["eccentricity"],
        inclination_deg=vals["inclination"],
        raan_deg=vals["raan"],
        arg_perigee_deg=vals["arg_perigee"],
        mean_anomaly_deg=vals["mean_anomaly"],
        mean_motion_rev_day=vals["mean_motion"],
    )
    if bad:
        key = {
            "eccentricity": "ECCENTRICITY",
            "inclination": "INCLINATION",
            "raan": "RA_OF_ASC_NODE",
            "arg_perigee": "ARG_OF_PERICENTER",
            "mean_anomaly": "MEAN_ANOMALY",
            "mean_motion": "MEAN_MOTION",
        }[bad[0]]
        return err(key, bad[0], bad[1])
    l1 = get("TLE_LINE1")
    l2 = get("TLE_LINE2")
    line1 = str(l1).rstrip() if l1 is not None else None
    line2 = str(l2).rstrip() if l2 is not None else None
    if not (line1 and line2 and line1[:2] == "1 " and line2[:2] == "2 "):
        line1 = line2 = None
    name = get("OBJECT_NAME")
    name = (str(name).strip() or None) if name is not None else None
    if name is None and get("TLE_LINE0") is not None:
        name = str(get("TLE_LINE0"))
        name = (name[2:] if name.startswith("0 ") else name).strip() or None
    otype = get("OBJECT_TYPE")
    owner = None
    for key in ("COUNTRY_CODE", "OWNER"):
        if get(key) is not None and str(get(key)).strip():
            owner = str(get(key)).strip()
            break
    intl = get("OBJECT_ID")
    intl = (str(intl).strip() or None) if intl is not None else None
    return ElementSet(
        norad_id=ints["norad_id"],
        epoch=epoch,
        mean_motion_rev_day=vals["mean_motion"],
        eccentricity=vals["eccentricity"],
        inclination_deg=vals["inclination"],
        raan_deg=vals["raan"],
        arg_perigee_deg=vals["arg_perigee"],
        mean_anomaly_deg=vals["mean_anomaly"],
        bstar=vals["bstar"],
        mean_motion_dot=vals["mean_motion_dot"],
        mean_motion_ddot=vals["mean_motion_ddot"],
        name=name,
        intl_designator=intl,
        classification=str(get("CLASSIFICATION_TYPE") or "U").strip()[:1] or "U",
        element_set_no=ints["element_set_no"],
        rev_at_epoch=ints["rev_at_epoch"],
        ephemeris_type=ints["ephemeris_type"],
        line1=line1,
        line2=line2,
        source_line=line,
        owner=owner,
        object_type=normalise_object_type(otype) if otype is not None else None,
    )


# --------------------------------------------------------------------------- tables (CSV)
_FLOAT_COLS = (
    ("MEAN_MOTION", "mean_motion"),
    ("ECCENTRICITY", "eccentricity"),
    ("INCLINATION", "inclination"),
    ("RA_OF_ASC_NODE", "raan"),
    ("ARG_OF_PERICENTER", "arg_perigee"),
    ("MEAN_ANOMALY", "mean_anomaly"),
    ("BSTAR", "bstar"),
    ("MEAN_MOTION_DOT", "mean_motion_dot"),
    ("MEAN_MOTION_DDOT", "mean_motion_ddot"),
    ("NORAD_CAT_ID", "norad_id"),
    ("ELEMENT_SET_NO", "element_set_no"),
    ("REV_AT_EPOCH", "rev_at_epoch"),
    ("EPHEMERIS_TYPE", "ephemeris_type"),
)
_EPOCH_MIN_US = int((_EPOCH_MIN - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000
_EPOCH_MAX_US = int((_EPOCH_MAX - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000


def _float_column(values: list[str]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except ValueError:
        out = np.full(len(values), np.nan)
        for i, v in enumerate(values):
            try:
                out[i] = float(v)
            except ValueError:
                pass
        return out


def _calendar_epoch(s: str) -> bool:
    """``YYYY-MM-DDThh:mm:ss[.ffffff]`` with no zone and at most microseconds."""
    n = len(s)
    return (
        (n == 19 or (20 < n <= 26 and s[19] == "." and s[20:].isdigit()))
        and s[4] == "-"
        and s[7] == "-"
        and s[10] == "T"
        and s[13] == ":"
        and s[16] == ":"
    )


def omm_rows_to_element_sets(
    cols: list[str], rows: list[list[str]], lines: list[int], file: str
) -> list[ElementSet | RecordError]:
    """Convert table rows (CSV) with OMM column names, in order.

    Rows whose values are all present, numeric, calendar-dated and in range
    are converted column-wise with numpy; every other row goes through
    ``omm_to_element_set``, which defines the semantics and names the faulty
    field.  Both paths give identical ``ElementSet`` values.
    """
    n = len(rows)
    if n == 0:
        return []
    pos = {c: i for i, c in enumerate(cols)}
    if not all(key in pos for key, _ in _FLOAT_COLS) or "EPOCH" not in pos:
        return [
            omm_to_element_set(dict(zip(cols, r, strict=True)), file=file, line=ln)
            for r, ln in zip(rows, lines, strict=True)
        ]
    columns = list(zip(*rows, strict=True))

    def col(key: str) -> tuple[str, ...] | None:
        i = pos.get(key)
        return columns[i] if i is not None else None

    v = {field: _float_column(list(col(key))) for key, field in _FLOAT_COLS}  # type: ignore[arg-type]
    ok = np.ones(n, dtype=bool)
    for arr in v.values():
        ok &= np.isfinite(arr)
    for field in ("norad_id", "element_set_no", "rev_at_epoch", "ephemeris_type"):
        ok &= v[field] == np.round(v[field])
    for _key, field, (lo, hi) in _INT_LIMITS:
        ok &= (v[field] >= lo) & (v[field] <= hi)
    ok &= (v["eccentricity"] >= 0.0) & (v["eccentricity"] < 1.0)
    ok &= (v["inclination"] >= 0.0) & (v["inclination"] <= 180.0)
    for field in ("raan", "arg_perigee", "mean_anomaly"):
        ok &= (v[field] >= 0.0) & (v[field] < 360.0)
    ok &= v["mean_motion"] > 0.0
    theory = col("MEAN_ELEMENT_THEORY")
    if theory is not None:
        ok &= np.array([t in ("SGP4", "") or "SGP" in t.upper() for t in theory])
    epoch_txt = col("EPOCH")
    cal = np.array([_calendar_epoch(e) for e in epoch_txt])  # type: ignore[union-attr]
    ok &= cal
    us = np.zeros(n, dtype=np.int64)
    if cal.any():
        try:
            good = np.flatnonzero(cal)
            us[good] = (
                np.array([epoch_txt[i] for i in good.tolist()], dtype="datetime64[us]")  # type: ignore[index]
                .astype(np.int64)
            )
        except ValueError:
            ok[:] = False
    ok &= (us >= _EPOCH_MIN_US) & (us < _EPOCH_MAX_US)
    out: list[ElementSet | RecordError | None] = [None] * n
    sel = np.flatnonzero(ok)
    if sel.size:
        rows_ok = sel.tolist()

        def strs(key: str) -> list[str] | None:
            c = col(key)
            return None if c is None else [c[i] for i in rows_ok]

        def text_or_none(values: list[str] | None) -> list[str | None]:
            if values is None:
                return [None] * len(rows_ok)
            return [x.strip() or None for x in values]

        names = text_or_none(strs("OBJECT_NAME"))
        line0 = strs("TLE_LINE0")
        if line0 is not None:
            names = [
                nm if nm is not None else ((z[2:] if z.startswith("0 ") else z).strip() or None)
                for nm, z in zip(names, line0, strict=True)
            ]
        intl = text_or_none(strs("OBJECT_ID"))
        cls_col = strs("CLASSIFICATION_TYPE")
        classes = (
            ["U"] * len(rows_ok) if cls_col is None else [c.strip()[:1] or "U" for c in cls_col]
        )
        l1c, l2c = strs("TLE_LINE1"), strs("TLE_LINE2")
        if l1c is not None and l2c is not None:
            pairs = [
                (a.rstrip(), b.rstrip()) if a[:2] == "1 " and b[:2] == "2 " else (None, None)
                for a, b in zip(l1c, l2c, strict=True)
            ]
            line1 = [p[0] for p in pairs]
            line2 = [p[1] for p in pairs]
        else:
            line1 = line2 = [None] * len(rows_ok)
        otype = strs("OBJECT_TYPE")
        otypes = (
            [None] * len(rows_ok)
            if otype is None
            else [normalise_object_type(t) if t != "" else None for t in otype]
        )
        owners: list[str | None] = [None] * len(rows_ok)
        for src in (strs("OWNER"), strs("COUNTRY_CODE")):  # COUNTRY_CODE wins, as in
            if src is not None:  # omm_to_element_set
                owners = [x.strip() or o for x, o in zip(src, owners, strict=True)]
        epochs = list(map(datetime.fromtimestamp, (us[sel] / 1e6).tolist(), repeat(UTC)))

        def fl(field: str) -> list:
            return v[field][sel].tolist()

        def it(field: str) -> list:
            return v[field][sel].astype(np.int64).tolist()

        from orbitwatch.elements._build import make_element_set
        from orbitwatch.elements.tle import bulk_allocation

        with bulk_allocation():
            built = list(
                map(
                    make_element_set,
                    it("norad_id"),
                    epochs,
                    fl("mean_motion"),
                    fl("eccentricity"),
                    fl("inclination"),
                    fl("raan"),
                    fl("arg_perigee"),
                    fl("mean_anomaly"),
                    fl("bstar"),
                    fl("mean_motion_dot"),
                    fl("mean_motion_ddot"),
                    names,
                    intl,
                    classes,
                    it("element_set_no"),
                    it("rev_at_epoch"),
                    it("ephemeris_type"),
                    line1,
                    line2,
                    [lines[i] for i in rows_ok],
                    owners,
                    otypes,
                )
            )
        for i, es in zip(rows_ok, built, strict=True):
            out[i] = es
    if sel.size != n:
        for i in np.flatnonzero(~ok).tolist():
            out[i] = omm_to_element_set(
                dict(zip(cols, rows[i], strict=True)), file=file, line=lines[i]
            )
    return out  # type: ignore[return-value]


# --------------------------------------------------------------------------- KVN
def parse_omm_kvn(text: str, filename: str) -> ParseResult:
    """Read one or more OMMs in KVN (``KEY = value [unit]``); a new message starts at
    each ``CCSDS_OMM_VERS`` line.  Errors point at the offending keyword's line."""
    messages: list[tuple[int, dict[str, str], dict[str, int]]] = []
    cur: dict[str, str] | None = None
    cur_lines: dict[str, int] = {}
    for no, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s.startswith("COMMENT"):
            continue
        key, eq, value = s.partition("=")
        if not eq:
            continue  # e.g. META_START / DATA_START / COVARIANCE_START markers
        key = key.strip().upper()
        if key == "CCSDS_OMM_VERS" or cur is None:
            cur = {}
            cur_lines = {}
            messages.append((no, cur, cur_lines))
        if key not in cur:
            cur[key] = value.strip()
            cur_lines[key] = no
    if not messages or not any("EPOCH" in m[1] for m in messages):
        raise FormatError(f"{filename}: no OMM with an EPOCH keyword found in KVN text.")
    result = ParseResult(file=filename, format="omm-kvn")
    for no, rec, key_lines in messages:
        r = omm_to_element_set(rec, file=filename, line=no, key_lines=key_lines)
        (result.errors if isinstance(r, RecordError) else result.element_sets).append(r)
    return result


# --------------------------------------------------------------------------- XML
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def parse_omm_xml(text: str, filename: str) -> ParseResult:
    """Read CCSDS OMM XML: a bare ``<omm>`` or ``<ndm>`` holding many ``<omm>`` elements.

    Each leaf element's text becomes a keyword; errors name the line of the
    offending element (expat's line numbers).
    """
    parser = expat.ParserCreate()
    records: list[tuple[int, dict[str, str], dict[str, int]]] = []
    state: dict[str, object] = {"rec": None, "buf": [], "tag": None, "line": 0}
    root: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name).lower()
        if not root:
            root.append(tag)
        if tag == "omm":
            state["rec"] = ({}, {}, parser.CurrentLineNumber)
        state["tag"] = _local(name)
        state["buf"] = []
        state["line"] = parser.CurrentLineNumber

    def end(name: str) -> None:
        tag = _local(name)
        rec = state["rec"]
        if tag.lower() == "omm" and rec is not None:
            values, lines, at = rec  # type: ignore[misc]
            records.append((at, values, lines))
            state["rec"] = None
        elif rec is not None and state["tag"] == tag:
            values, lines, _ = rec  # type: ignore[misc]
            key = tag.upper()
            if key not in values:
                values[key] = "".join(state["buf"]).strip()  # type: ignore[arg-type]
                lines[key] = state["line"]  # type: ignore[assignment]
        state["tag"] = None

    def chars(data: str) -> None:
        if state["tag"] is not None:
            state["buf"].append(data)  # type: ignore[union-attr]

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        if not records:
            raise FormatError(f"{filename}: malformed XML ({exc}); expected CCSDS OMM XML.") from exc
        result = ParseResult(file=filename, format="omm-xml")
        result.errors.append(RecordError(filename, exc.lineno, "xml", f"malformed XML: {exc}"))
    else:
        result = ParseResult(file=filename, format="omm-xml")
    if not records:
        raise FormatError(
            f"{filename}: XML root <{root[0] if root else '?'}> holds no <omm> element."
        )
    for at, values, lines in records:
        r = omm_to_element_set(values, file=filename, line=at, key_lines=lines)
        (result.errors if isinstance(r, RecordError) else result.element_sets).append(r)
    return result


# --------------------------------------------------------------------------- writer
def to_omm_kvn(es: ElementSet, *, originator: str = "orbitwatch") -> str:
    """One CCSDS OMM 2.0 KVN message (TEME, UTC, SGP4) for an element set."""
    ep = es.epoch.astimezone(UTC)
    lines = [
        "CCSDS_OMM_VERS = 2.0",
        f"CREATION_DATE = {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S')}",
        f"ORIGINATOR = {originator}",
        "",
        f"OBJECT_NAME = {es.name or es.norad_id}",
        f"OBJECT_ID = {es.intl_designator or 'UNKNOWN'}",
        "CENTER_NAME = EARTH",
        "REF_FRAME = TEME",
        "TIME_SYSTEM = UTC",
        "MEAN_ELEMENT_THEORY = SGP4",
        "",
        f"EPOCH = {ep.strftime('%Y-%m-%dT%H:%M:%S')}.{ep.microsecond:06d}",
        f"MEAN_MOTION = {es.mean_motion_rev_day!r}",
        f"ECCENTRICITY = {es.eccentricity!r}",
        f"INCLINATION = {es.inclination_deg!r}",
        f"RA_OF_ASC_NODE = {es.raan_deg!r}",
        f"ARG_OF_PERICENTER = {es.arg_perigee_deg!r}",
        f"MEAN_ANOMALY = {es.mean_anomaly_deg!r}",
        "",
        f"EPHEMERIS_TYPE = {es.ephemeris_type}",
        f"CLASSIFICATION_TYPE = {es.classification}",
        f"NORAD_CAT_ID = {es.norad_id}",
        f"ELEMENT_SET_NO = {es.element_set_no}",
        f"REV_AT_EPOCH = {es.rev_at_epoch}",
        f"BSTAR = {es.bstar!r}",
        f"MEAN_MOTION_DOT = {es.mean_motion_dot!r}",
        f"MEAN_MOTION_DDOT = {es.mean_motion_ddot!r}",
    ]
    return "\n".join(lines) + "\n"
