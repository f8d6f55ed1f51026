"""Read any supported element-set or SATCAT file: detect compression and format.

Compression is detected from magic bytes (gzip ``1f 8b``, xz ``fd 37 7a 58
5a 00``), not from the suffix.  The format is detected from the content:

* ``tle`` / ``3le``   — two-line sets, optionally with name lines (``0 `` prefix allowed)
* ``omm-kvn``         — CCSDS OMM key = value text (one or many messages)
* ``omm-xml``         — CCSDS OMM XML (``<ndm><omm>…`` or a bare ``<omm>``)
* ``omm-json``        — CelesTrak / Space-Track OMM JSON arrays
* ``omm-csv``         — CelesTrak 17-column or Space-Track ``gp`` CSV
* ``keeptrack-json``  — keeptrack.space catalogs (``TLE1``/``TLE2`` + owner/type keys)
* ``satcat-csv``      — CelesTrak SATCAT CSV, Space-Track SATCAT CSV, the 2017 SATCAT export
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from orbitwatch.elements.model import ElementSet, FormatError, ParseResult

_KVN_HEAD = re.compile(r"^\s*CCSDS_OMM_VERS\s*=", re.MULTILINE)
_GZIP = b"\x1f\x8b"
_XZ = b"\xfd7zXZ\x00"
_BZ2 = b"BZh"


def read_bytes(path: str | Path) -> bytes:
    """File content, transparently decompressed when it is gzip, xz or bzip2."""
    return decompress(Path(path).read_bytes(), str(path))


def decompress(data: bytes, name: str = "<bytes>") -> bytes:
    """``data`` decompressed when its magic bytes say gzip, xz or bzip2; else unchanged.

    Raises ``FormatError`` naming ``name`` when compressed data is corrupt.
    """
    path = name
    try:
        if data[:2] == _GZIP:
            return gzip.decompress(data)
        if data[:6] == _XZ:
            return lzma.decompress(data)
        if data[:3] == _BZ2 and len(data) > 10 and data[4:10] == b"1AY&SY":
            return bz2.decompress(data)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise FormatError(f"{path}: compressed data is corrupt or truncated ({exc}).") from exc
    return data


def decode_text(data: bytes) -> str:
    """UTF-8 text (BOM removed); undecodable bytes become U+FFFD rather than failing."""
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def read_file(path: str | Path) -> ParseResult:
    """Parse one element-set or SATCAT file of any supported format.

    Raises ``FormatError`` when the file holds no supported format; bad records
    inside a recognised file become ``RecordError`` entries in the result.
    """
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p}: no such file.")
    return _with_source(parse_text(decode_text(read_bytes(p)), str(p)), p.name)


def _with_source(result: ParseResult, name: str) -> ParseResult:
    """Stamp each set with the name of the file it came from (evidence; not part of
    equality, so duplicates across files stay duplicates)."""
    set_source = object.__setattr__  # frozen dataclass: provenance is filled in once here
    for es in result.element_sets:
        set_source(es, "source", name)
    return result


def parse_bytes(data: bytes, filename: str = "<bytes>") -> ParseResult:
    """Parse raw (possibly gzip/xz/bzip2-compressed) file content, e.g. an upload."""
    return _with_source(parse_text(decode_text(decompress(data, filename)), filename),
                        Path(filename).name)


def parse_text(text: str, filename: str = "<text>") -> ParseResult:
    """Parse element-set or SATCAT text whose format is detected from the content."""
    from orbitwatch.elements import tle

    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise FormatError(f"{filename}: file is empty; expected TLE, OMM or SATCAT data.")
    head = stripped[:1]
    if head == "<":
        from orbitwatch.elements.omm import parse_omm_xml

        return parse_omm_xml(stripped, filename)
    if head in "[{":
        from orbitwatch.elements.jsonfmt import parse_json

        return parse_json(stripped, filename)
    lines = text.splitlines()
    is_tle = tle.looks_like_tle(lines)
    if _KVN_HEAD.search(text) and (is_tle or _has_tle_pair(lines)):
        return _parse_mixed(lines, filename)
    if is_tle:
        return _parse_tle_text(lines, filename)
    first = stripped.split("\n", 1)[0]
    if _KVN_HEAD.search(stripped[:4000]) or _looks_like_kvn(stripped):
        from orbitwatch.elements.omm import parse_omm_kvn

        return parse_omm_kvn(text, filename)
    if "," in first:
        from orbitwatch.elements.csvfmt import parse_csv

        return parse_csv(text, filename)
    if any(s[:2] == "1 " for s in lines) and any(s[:2] == "2 " for s in lines):
        return _parse_tle_text(lines, filename)
    raise FormatError(
        f"{filename}: not an element-set file (no TLE line pairs, OMM keys or known CSV header)."
    )


def _has_tle_pair(lines: list[str]) -> bool:
    return any(a[:2] == "1 " and b[:2] == "2 " for a, b in zip(lines, lines[1:], strict=False))


def _kvn_lines(lines: list[str]) -> list[bool]:
    """Which lines belong to an OMM KVN message: from each ``CCSDS_OMM_VERS``
    line on, every blank, ``COMMENT``, marker (``META_START``...) or
    ``KEY = value`` line, up to the first line that is none of these."""
    inside = False
    mask = []
    for raw in lines:
        s = raw.strip()
        if _KVN_HEAD.match(raw):
            inside = True
        elif inside and s and not (
            "=" in s or s.startswith("COMMENT") or s.upper().endswith(("_START", "_STOP"))
        ):
            inside = False
        mask.append(inside)
    return mask


def _parse_mixed(lines: list[str], filename: str) -> ParseResult:
    """A file holding TLEs and OMM KVN messages: each part is read by its own
    reader with the other part's lines blanked, so every record and error
    keeps its line number in the file."""
    from orbitwatch.elements.omm import parse_omm_kvn

    mask = _kvn_lines(lines)
    tle_part = [("" if m else s) for s, m in zip(lines, mask, strict=True)]
    kvn_part = "\n".join((s if m else "") for s, m in zip(lines, mask, strict=True))
    result = _parse_tle_text(tle_part, filename)
    kvn = parse_omm_kvn(kvn_part, filename)
    result.format = f"{result.format}+omm-kvn"
    result.element_sets += kvn.element_sets
    result.errors = sorted(result.errors + kvn.errors, key=lambda e: e.line)
    return result


def _looks_like_kvn(text: str) -> bool:
    keys = set()
    for line in text.splitlines()[:60]:
        k, eq, _ = line.partition("=")
        if eq:
            keys.add(k.strip().upper())
    return {"EPOCH", "MEAN_MOTION"} <= keys or {"EPOCH", "SEMI_MAJOR_AXIS"} <= keys


def _parse_tle_text(lines: list[str], filename: str) -> ParseResult:
    from orbitwatch.elements import tle

    columns, errors, named = tle.split_tle_text(lines, filename)
    if not columns[0] and not errors:
        raise FormatError(f"{filename}: no TLE records found.")
    result = ParseResult(file=filename, format="3le" if named else "tle")
    sets, errs = tle.parse_tle_columns(*columns, filename)
    result.element_sets = sets
    if errors:
        errs = sorted(errs + errors, key=lambda e: e.line)
    result.errors = errs
    return result


def newest_per_object(
    element_sets: Iterable[ElementSet], as_of: datetime | None = None
) -> list[ElementSet]:
    """The newest set per ``norad_id`` (only epochs <= ``as_of`` when given).

    Ties on epoch go to the higher ``element_set_no``, then to the one later in
    the input.  The result is ordered by ``norad_id``.
    """
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)  # naive instants are UTC throughout orbitwatch
    best: dict[int, tuple[datetime, int, int, ElementSet]] = {}
    for i, es in enumerate(element_sets):
        if as_of is not None and es.epoch > as_of:
            continue
        key = (es.epoch, es.element_set_no, i)
        cur = best.get(es.norad_id)
        if cur is None or key >= cur[:3]:
            best[es.norad_id] = (*key, es)
    return [best[k][3] for k in sorted(best)]
