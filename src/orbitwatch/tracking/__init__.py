"""Ground segment: sites, pass prediction, lighting, coverage and sensor tasking.

See docs/tracking.md.  The core is pure computation over ``ElementSet`` (or
sgp4 ``Satrec``) lists and :class:`Site` records.
"""

from orbitwatch.tracking.passes import Pass, PassPoint, find_passes, find_passes_multi
from orbitwatch.tracking.sites import Site, SiteError, SiteFile, read_sites_file, visible_sites
from orbitwatch.tracking.tasking import (
    Coverage,
    TaskingPlan,
    coverage,
    default_priority,
    network_gain,
    plan_tasking,
)

__all__ = [
    "Coverage",
    "Pass",
    "PassPoint",
    "Site",
    "SiteError",
    "SiteFile",
    "TaskingPlan",
    "coverage",
    "default_priority",
    "find_passes",
    "find_passes_multi",
    "network_gain",
    "plan_tasking",
    "read_sites_file",
    "visible_sites",
]
