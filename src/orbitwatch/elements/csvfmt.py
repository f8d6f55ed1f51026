"""CSV files: OMM CSV (CelesTrak 17 columns, Space-Track ``gp``) and SATCAT tables.

The header decides the format:

* ``EPOCH`` + ``MEAN_MOTION`` columns — OMM CSV (CelesTrak or Space-Track;
  Space-Track adds ``OBJECT_TYPE``, ``COUNTRY_CODE``, ``TLE_LINE1/2`` … which
  are carried into the ``ElementSet``).
* ``NORAD_CAT_ID`` + ``OBJECT_TYPE``/``OWNER``/``OPS_STATUS_CODE`` — CelesTrak
  SATCAT (``satcat.csv``).
* ``NORAD_CAT_ID`` + ``SATNAME``/``COUNTRY`` — Space-Track SATCAT.
* ``norad_cat_num`` + ``payload`` — the 2017 SATCAT export
  (designator, norad_cat_num, payload flag, source = owner, …).

Line numbers are the CSV reader's physical line numbers (header = line 1).
"""

from __future__ import annotations

import csv
import io

from orbitwatch.elements.model import FormatError, ParseResult, RecordError, SatcatRecord
from orbitwatch.elements.omm import normalise_object_type


def parse_csv(text: str, filename: str) -> ParseResult:
    """Read an OMM CSV or SATCAT CSV file (see module docstring for the headers)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FormatError(f"{filename}: no CSV header found.") from exc
    cols = [h.strip().strip('"').upper() for h in header]
    cset = set(cols)
    if {"EPOCH", "MEAN_MOTION"} <= cset or {"EPOCH", "NORAD_CAT_ID", "ECCENTRICITY"} <= cset:
        return _parse_omm_csv(reader, cols, filename)
    if "NORAD_CAT_NUM" in cset and "PAYLOAD" in cset:
        return _parse_satcat(reader, cols, filename, _SATCAT_2017)
    if "NORAD_CAT_ID" in cset and ({"SATNAME", "COUNTRY"} & cset) and "OPS_STATUS_CODE" not in cset:
        return _parse_satcat(reader, cols, filename, _SATCAT_SPACETRACK)
    if "NORAD_CAT_ID" in cset and ({"OBJECT_TYPE", "OWNER", "OPS_STATUS_CODE"} & cset):
        return _parse_satcat(reader, cols, filename, _SATCAT_CELESTRAK)
    raise FormatError(
        f"{filename}: CSV header ({', '.join(cols[:6])}…) is neither OMM (EPOCH, MEAN_MOTION) "
        "nor SATCAT (NORAD_CAT_ID / norad_cat_num)."
    )


def _parse_omm_csv(reader, cols: list[str], filename: str) -> ParseResult:
    from orbitwatch.elements.omm import omm_rows_to_element_sets

    result = ParseResult(file=filename, format="omm-csv")
    ncol = len(cols)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            line = reader.line_num
            if len(row) != ncol:
                if not row or all(not c.strip() for c in row):
                    continue
                result.errors.append(
                    RecordError(filename, line, "columns", f"{len(row)} columns, header has {ncol}")
                )
                continue
            rows.append(row)
            lines.append(line)
    except csv.Error as exc:
        result.errors.append(RecordError(filename, reader.line_num, "csv", str(exc)))
    for r in omm_rows_to_element_sets(cols, rows, lines, filename):
        (result.errors if type(r) is RecordError else result.element_sets).append(r)
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
    return result


# column map: SatcatRecord field -> source column (upper case)
_SATCAT_CELESTRAK = {
    "norad_id": "NORAD_CAT_ID",
    "name": "OBJECT_NAME",
    "intl_designator": "OBJECT_ID",
    "owner": "OWNER",
    "object_type": "OBJECT_TYPE",
    "launch_date": "LAUNCH_DATE",
    "launch_site": "LAUNCH_SITE",
    "decay_date": "DECAY_DATE",
    "period_min": "PERIOD",
    "inclination_deg": "INCLINATION",
    "apogee_km": "APOGEE",
    "perigee_km": "PERIGEE",
    "rcs_m2": "RCS",
    "ops_status": "OPS_STATUS_CODE",
}
_SATCAT_SPACETRACK = {
    "norad_id": "NORAD_CAT_ID",
    "name": "SATNAME",
    "intl_designator": "INTLDES",
    "owner": "COUNTRY",
    "object_type": "OBJECT_TYPE",
    "launch_date": "LAUNCH",
    "launch_site": "SITE",
    "decay_date": "DECAY",
    "period_min": "PERIOD",
    "inclination_deg": "INCLINATION",
    "apogee_km": "APOGEE",
    "perigee_km": "PERIGEE",
    "rcs_m2": "RCSVALUE",
    "ops_status": None,
}
_SATCAT_2017 = {
    "norad_id": "NORAD_CAT_NUM",
    "name": "SATELLITE_NAME",
    "intl_designator": "DESIGNATOR",
    "owner": "SOURCE",
    "object_type": None,  # derived from PAYLOAD flag and the name
    "launch_date": "LAUNCH_DATE",
    "launch_site": "LAUNCH_SITE",
    "decay_date": "DECAY_DATE",
    "period_min": "ORBITAL_PERIOD",
    "inclination_deg": "INCLINATION",
    "apogee_km": "APOGEE",
    "perigee_km": "PERIGEE",
    "rcs_m2": "RADAR_CROSS_SECTION",
    "ops_status": "OP_STATUS_CODE",
}
_FLOATS = ("period_min", "inclination_deg", "apogee_km", "perigee_km", "rcs_m2")
_TEXTS = ("name", "intl_designator", "owner", "launch_date", "launch_site", "decay_date", "ops_status")
_NA = {"", "NA", "N/A", "NAN", "NONE", "NULL"}


def _type_2017(payload: str, name: str | None) -> str:
    if payload.strip().upper() in ("TRUE", "T", "1", "YES", "Y"):
        return "PAYLOAD"
    n = (name or "").upper()
    if "R/B" in n:
        return "ROCKET BODY"
    if "DEB" in n:
        return "DEBRIS"
    return "UNKNOWN"


def _parse_satcat(reader, cols: list[str], filename: str, colmap: dict) -> ParseResult:
    result = ParseResult(file=filename, format="satcat-csv")
    pos = {c: i for i, c in enumerate(cols)}
    idx = {f: pos.get(c) if c else None for f, c in colmap.items()}
    i_payload = pos.get("PAYLOAD") if colmap is _SATCAT_2017 else None
    i_type = idx["object_type"]
    ncol = len(cols)
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != ncol:
                result.errors.append(
                    RecordError(filename, line, "columns", f"{len(row)} columns, header has {ncol}")
                )
                continue
            raw_id = row[idx["norad_id"]].strip()
            try:
                norad = int(raw_id)
                if not 0 <= norad <= 999_999_999:
                    raise ValueError
            except ValueError:
                result.errors.append(
                    RecordError(
                        filename, line, "norad_id", f"{raw_id!r} is not a catalog number"
                    )
                )
                continue
            vals: dict[str, object] = {"norad_id": norad, "source_line": line}
            bad = None
            for f in _FLOATS:
                i = idx[f]
                if i is None:
                    continue
                s = row[i].strip()
                if s.upper() in _NA:
                    continue
                try:
                    vals[f] = float(s)
                except ValueError:
                    bad = RecordError(filename, line, f, f"{s!r} is not a number")
                    break
            if bad:
                result.errors.append(bad)
                continue
            for f in _TEXTS:
                i = idx[f]
                if i is not None:
                    s = row[i].strip()
                    vals[f] = s if s.upper() not in _NA else None
            if i_payload is not None:
                vals["object_type"] = _type_2017(row[i_payload], vals.get("name"))  # type: ignore[arg-type]
            elif i_type is not None:
                vals["object_type"] = normalise_object_type(row[i_type])
            result.satcat.append(SatcatRecord(**vals))  # type: ignore[arg-type]
    except csv.Error as exc:
        result.errors.append(RecordError(filename, reader.line_num, "csv", str(exc)))
    return result
