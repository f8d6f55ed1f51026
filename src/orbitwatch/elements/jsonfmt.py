"""JSON element-set files: OMM JSON (CelesTrak, Space-Track) and keeptrack catalogs.

* OMM JSON — an array of objects with CCSDS keywords (``EPOCH``,
  ``MEAN_MOTION`` …).  CelesTrak writes numbers; Space-Track writes every value
  as a string and adds keys such as ``TLE_LINE0..2``, ``OBJECT_TYPE``,
  ``COUNTRY_CODE``, ``GP_ID``.
* keeptrack.space catalogs — arrays of objects with ``TLE1``/``TLE2`` and
  ``C`` (owner code), ``OT`` (1 payload, 2 rocket body, 3 debris), ``ON``
  (name).  The JSC Vimpel variants carry non-standard TLE text; records
  without a usable catalog number are rejected one by one.

Record positions: the array is decoded object by object so each record's
starting line is known; messages also say ``record N`` (1-based index) since
compact JSON puts everything on one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from orbitwatch.elements.model import FormatError, ParseResult, RecordError
from orbitwatch.elements.omm import omm_to_element_set

_WS = " \t\r\n"
_KEEPTRACK_TYPES = {1: "PAYLOAD", 2: "ROCKET BODY", 3: "DEBRIS", 4: "UNKNOWN"}


def _iter_array(text: str, filename: str) -> Iterator[tuple[int, object]]:
    """Yield ``(line, value)`` for each element of a top-level JSON array (or one object)."""
    dec = json.JSONDecoder()
    n = len(text)
    i = 0
    while i < n and text[i] in _WS:
        i += 1
    try:
        if text[i] == "{":
            yield text.count("\n", 0, i) + 1, dec.raw_decode(text, i)[0]
            return
        i += 1  # '['
        line = 1 + text.count("\n", 0, i)
        pos = i
        while True:
            while i < n and text[i] in _WS:
                i += 1
            if i >= n:
                raise ValueError("unterminated array")
            if text[i] == "]":
                return
            line += text.count("\n", pos, i)
            value, end = dec.raw_decode(text, i)
            yield line, value
            pos = i
            i = end
            while i < n and text[i] in _WS:
                i += 1
            if i < n and text[i] == ",":
                i += 1
    except ValueError as exc:
        raise FormatError(f"{filename}: not valid JSON ({exc}).") from exc


def parse_json(text: str, filename: str) -> ParseResult:
    """Read an OMM JSON or keeptrack JSON file (format chosen from the first object's keys)."""
    items = list(_iter_array(text, filename))
    first = next((v for _, v in items if isinstance(v, dict)), None)
    if first is None:
        raise FormatError(f"{filename}: JSON holds no objects; expected OMM or keeptrack records.")
    keys = {str(k).upper() for k in first}
    if "TLE1" in keys and "TLE2" in keys:
        return _parse_keeptrack(items, filename)
    if "EPOCH" in keys and ("MEAN_MOTION" in keys or "NORAD_CAT_ID" in keys):
        return _parse_omm_json(items, filename)
    raise FormatError(
        f"{filename}: JSON objects have neither OMM keys (EPOCH, MEAN_MOTION) nor TLE1/TLE2."
    )


def _parse_omm_json(items: list[tuple[int, object]], filename: str) -> ParseResult:
    result = ParseResult(file=filename, format="omm-json")
    for k, (line, obj) in enumerate(items, start=1):
        if not isinstance(obj, dict):
            result.errors.append(RecordError(filename, line, "record", f"record {k}: not an object"))
            continue
        rec = {str(key).upper(): v for key, v in obj.items()}
        r = omm_to_element_set(rec, file=filename, line=line, label=f"record {k}: ")
        (result.errors if isinstance(r, RecordError) else result.element_sets).append(r)
    return result


def _parse_keeptrack(items: list[tuple[int, object]], filename: str) -> ParseResult:
    from orbitwatch.elements.tle import parse_tle_records

    result = ParseResult(file=filename, format="keeptrack-json")
    first_source = next(
        (o.get("source") for _, o in items if isinstance(o, dict) and o.get("source")), ""
    )
    names, l1s, l2s, nos, owners, types, index = [], [], [], [], [], [], []
    for k, (line, obj) in enumerate(items, start=1):
        if not isinstance(obj, dict) or not isinstance(obj.get("TLE1"), str) or not isinstance(
            obj.get("TLE2"), str
        ):
            result.errors.append(
                RecordError(filename, line, "record", f"record {k}: no TLE1/TLE2 text")
            )
            continue
        names.append((obj.get("ON") or None) and str(obj["ON"]).strip())
        l1s.append(obj["TLE1"].rstrip())
        l2s.append(obj["TLE2"].rstrip())
        nos.append(line)
        c = obj.get("C")
        owners.append(str(c).strip() if c not in (None, "") else None)
        ot = obj.get("OT")
        types.append(_KEEPTRACK_TYPES.get(ot, "UNKNOWN") if ot is not None else None)
        index.append(k)
    # JSC Vimpel TLE text carries no modulo-10 checksums (the digit is always 0)
    vimpel = "VIMPEL" in str(first_source).upper() or all(
        a[68:69] == "0" and b[68:69] == "0" for a, b in zip(l1s, l2s, strict=True)
    )
    out = parse_tle_records(
        names, l1s, l2s, nos, nos, filename, owners, types, checksums=not vimpel
    )
    if getattr(out, "all_ok", False):
        result.element_sets = list(out)
        return result
    for k, line, r in zip(index, nos, out, strict=True):
        if isinstance(r, RecordError):
            # the object's first line; compact JSON puts every record on line 1,
            # so the message names the record index too
            result.errors.append(RecordError(r.file, line, r.field, f"record {k}: {r.message}"))
        else:
            result.element_sets.append(r)
    result.errors.sort(key=lambda e: e.line)
    return result
