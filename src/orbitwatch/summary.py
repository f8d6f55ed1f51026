"""Catalog summary: objects by regime, owner and type, and element-set age.

Pure computation over per-object rows; the ``run`` command and the service
both print or return it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

import numpy as np


@dataclass(frozen=True, slots=True)
class ObjectRow:
    """What the summary needs of one object (``epoch`` = its newest element set)."""

    norad_id: int
    regime: str | None
    owner: str | None
    object_type: str | None
    epoch: datetime | None


@dataclass(slots=True)
class CatalogSummary:
    """Counts by regime/owner/type and the age of the newest element sets (days)."""

    as_of: datetime
    objects: int
    by_regime: dict[str, int] = field(default_factory=dict)
    by_owner: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    age_median_days: float | None = None
    age_p90_days: float | None = None
    age_max_days: float | None = None
    older_than_3_days: int = 0
    without_elements: int = 0

    def to_dict(self) -> dict:
        from orbitwatch.timeutil import iso_z

        return {
            "as_of": iso_z(self.as_of, 0),
            "objects": self.objects,
            "by_regime": self.by_regime,
            "by_owner": self.by_owner,
            "by_type": self.by_type,
            "element_set_age_days": {
                "median": self.age_median_days,
                "p90": self.age_p90_days,
                "max": self.age_max_days,
                "older_than_3_days": self.older_than_3_days,
            },
            "objects_without_element_sets": self.without_elements,
        }


def summarize(rows: Iterable[ObjectRow], as_of: datetime) -> CatalogSummary:
    """Summarise a catalog as seen at ``as_of`` (aware UTC).

    Ages are ``as_of - epoch`` in days; negative ages (epochs after
    ``as_of``, e.g. when replaying an old catalog) count as zero.
    """
    rows = list(rows)
    regimes = Counter((r.regime or "UNKNOWN") for r in rows if r.epoch is not None)
    owners = Counter((r.owner or "UNKNOWN") for r in rows)
    types = Counter((r.object_type or "UNKNOWN") for r in rows)
    ages = np.array(
        [max((as_of - r.epoch).total_seconds(), 0.0) / 86400.0 for r in rows if r.epoch],
        dtype=float,
    )
    s = CatalogSummary(
        as_of=as_of,
        objects=len(rows),
        by_regime=dict(regimes.most_common()),
        by_owner=dict(owners.most_common()),
        by_type=dict(types.most_common()),
        without_elements=sum(1 for r in rows if r.epoch is None),
    )
    if ages.size:
        s.age_median_days = round(float(np.median(ages)), 3)
        s.age_p90_days = round(float(np.percentile(ages, 90)), 3)
        s.age_max_days = round(float(ages.max()), 3)
        s.older_than_3_days = int((ages > 3.0).sum())
    return s
