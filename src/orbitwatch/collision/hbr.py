"""Hard-body radius (HBR) table: NASA CARA's per-object HBR and mass estimates.

File: ``HBR_Mass_Estimates_<date>_ForDistribution.csv`` with columns ObjectID, HBR [m],
HBRSigma [m], HBRSource, Mass [kg], MassSigma, MassSource (source priority CARA protected
primary > DISCOS > Space Fence RCS estimate > default).  Rows whose HBR is blank (DISCOS
values CARA may not redistribute) are treated as unknown.

The combined HBR of a conjunction is the sum of the two objects' radii; when either is
unknown, ``default_combined_m`` is used (20 m, a common operational default) and the source
says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from orbitwatch.elements.model import FormatError

__all__ = ["HbrEntry", "HbrTable", "read_hbr_table", "DEFAULT_COMBINED_HBR_M"]

DEFAULT_COMBINED_HBR_M = 20.0


@dataclass(frozen=True)
class HbrEntry:
    norad_id: int
    hbr_m: float | None
    hbr_sigma_m: float | None
    hbr_source: str
    mass_kg: float | None
    mass_source: str


def _f(x: str) -> float | None:
    x = x.strip()
    if not x or x.lower() == "nan":
        return None
    return float(x)


class HbrTable:
    """Lookup of per-object HBR (m) by NORAD catalog number."""

    def __init__(self, entries: dict[int, HbrEntry], source: str = ""):
        self.entries = entries
        self.source = source

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, norad_id: int) -> HbrEntry | None:
        return self.entries.get(int(norad_id))

    def hbr_m(self, norad_id: int) -> float | None:
        e = self.entries.get(int(norad_id))
        return None if e is None else e.hbr_m

    def combined_hbr_m(self, id1: int, id2: int,
                       default_combined_m: float = DEFAULT_COMBINED_HBR_M) -> tuple[float, str]:
        """(combined HBR in m, source description)."""
        h1, h2 = self.hbr_m(id1), self.hbr_m(id2)
        if h1 is not None and h2 is not None:
            return h1 + h2, "table"
        return default_combined_m, "default"


def read_hbr_table(path: str | Path) -> HbrTable:
    """Read CARA's HBR/mass CSV.  Raises FormatError naming file, line and field."""
    p = Path(path)
    entries: dict[int, HbrEntry] = {}
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        need = {"ObjectID", "HBR", "HBRSigma", "HBRSource", "Mass", "MassSource"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise FormatError(f"{p}:1: missing column(s) {sorted(missing)}")
        for lineno, row in enumerate(reader, start=2):
            try:
                oid = int(row["ObjectID"])
            except (TypeError, ValueError):
                raise FormatError(f"{p}:{lineno} [ObjectID]: not an integer: {row['ObjectID']!r}") from None
            try:
                hbr = _f(row["HBR"])
                sig = _f(row["HBRSigma"])
                mass = _f(row["Mass"])
            except ValueError as exc:
                raise FormatError(f"{p}:{lineno} [HBR/HBRSigma/Mass]: {exc}") from None
            entries[oid] = HbrEntry(oid, hbr, sig, row["HBRSource"], mass, row["MassSource"])
    return HbrTable(entries, str(p))
