"""Element sets (TLE / OMM) and SATCAT records: model, readers, writers, conversion.

``read_file(path)`` / ``parse_text(text, filename)`` detect compression and
format from the content and return a ``ParseResult``; ``newest_per_object``
picks the latest set per catalog number.
"""

from orbitwatch.elements.model import (
    ElementSet,
    FormatError,
    ParseResult,
    RecordError,
    SatcatRecord,
)
from orbitwatch.elements.omm import to_omm_kvn
from orbitwatch.elements.reader import newest_per_object, parse_bytes, parse_text, read_file
from orbitwatch.elements.tle import (
    alpha5_to_int,
    format_tle,
    int_to_alpha5,
    tle_checksum,
    write_3le,
)

__all__ = [
    "ElementSet",
    "FormatError",
    "ParseResult",
    "RecordError",
    "SatcatRecord",
    "alpha5_to_int",
    "format_tle",
    "int_to_alpha5",
    "newest_per_object",
    "parse_bytes",
    "parse_text",
    "read_file",
    "tle_checksum",
    "to_omm_kvn",
    "write_3le",
]
