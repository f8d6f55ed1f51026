"""Coverage of a site network and greedy sensor tasking.

Coverage
    :func:`coverage` runs the pass finder for every site (one SGP4 sweep for
    all of them) and answers, per site, which objects are observable and
    when, and per object the union of visibility over any subset of sites.

Tasking
    :func:`plan_tasking` is a greedy scheduler in the spirit of the
    priority-list dispatching used for sensor networks: objects are taken in
    priority order; each gets the earliest feasible track of ``track_s``
    seconds (shorter passes are used whole if at least ``min_track_s``)
    inside one of its passes, on a site that is free then (one object at a
    time per site, ``setup_s`` between tracks for slew and settle).  Site
    limits - minimum elevation and mask, field of regard, range window,
    optical darkness and illumination - are already enforced by the passes
    themselves.  With ``revisits`` > 1 further rounds add tracks at least
    ``min_revisit_s`` after the object's previous one, priority order again.

Network gain
    :func:`network_gain` compares the combined network with each partner's
    own sites: objects observable, the longest revisit gap (largest time
    without any site seeing the object, window edges included; reported as
    median and maximum over the priority objects the combined network can
    see), and the fraction of the priority list the tasking plan covers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from orbitwatch.timeutil import iso_z
from orbitwatch.tracking.passes import Pass, find_passes_multi
from orbitwatch.tracking.sites import Site


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


@dataclass
class Coverage:
    """Passes of every object over every site of a network in ``[start, end]``."""

    start: datetime
    end: datetime
    sites: list[Site]
    passes: dict[str, list[Pass]]

    def site_names(self, partner: str | None = None) -> list[str]:
        return [s.name for s in self.sites if partner is None or s.partner == partner]

    def observable(self, site_names: Iterable[str] | None = None) -> set[int]:
        """Objects with at least one pass over any of ``site_names`` (default: all)."""
        names = self.site_names() if site_names is None else list(site_names)
        return {p.norad_id for n in names for p in self.passes.get(n, [])}

    def by_site(self) -> dict[str, dict[int, list[tuple[datetime, datetime]]]]:
        """``{site: {object: [(rise, set), ...]}}``."""
        out: dict[str, dict[int, list]] = {}
        for name, ps in self.passes.items():
            d: dict[int, list] = {}
            for p in ps:
                d.setdefault(p.norad_id, []).append((p.rise.time, p.set.time))
            out[name] = d
        return out

    def intervals(self, norad_id: int, site_names: Iterable[str] | None = None):
        """Merged visibility intervals of one object over a set of sites."""
        names = self.site_names() if site_names is None else list(site_names)
        return _merge(
            (p.rise.time, p.set.time)
            for n in names
            for p in self.passes.get(n, [])
            if p.norad_id == norad_id
        )

    def longest_gaps_s(
        self, ids: Iterable[int], site_names: Iterable[str] | None = None
    ) -> dict[int, float]:
        """Longest time (s) without coverage per object (window edges count)."""
        names = self.site_names() if site_names is None else list(site_names)
        per_obj: dict[int, list] = {}
        for n in names:
            for p in self.passes.get(n, []):
                per_obj.setdefault(p.norad_id, []).append((p.rise.time, p.set.time))
        out = {}
        for i in ids:
            iv = _merge(per_obj.get(i, []))
            edges = [self.start] + [t for ab in iv for t in ab] + [self.end]
            gaps = [(edges[k + 1] - edges[k]).total_seconds() for k in range(0, len(edges), 2)]
            out[i] = max(gaps) if gaps else (self.end - self.start).total_seconds()
        return out


def coverage(
    element_sets: Sequence, sites: Sequence[Site], start: datetime, end: datetime, **kw
) -> Coverage:
    """Which objects each site can observe and when (see :func:`find_passes_multi` for ``kw``)."""
    passes = find_passes_multi(element_sets, list(sites), start, end, **kw)
    return Coverage(start, end, list(sites), passes)


@dataclass(frozen=True)
class Task:
    """One planned track: ``site`` observes ``norad_id`` from ``start`` to ``end``."""

    site: str
    norad_id: int
    start: datetime
    end: datetime
    priority_rank: int
    max_elevation_deg: float
    partner: str

    def to_record(self) -> dict:
        return {
            "site": self.site,
            "partner": self.partner,
            "object": self.norad_id,
            "start": iso_z(self.start, 0),
            "end": iso_z(self.end, 0),
            "duration_s": round((self.end - self.start).total_seconds(), 1),
            "priority_rank": self.priority_rank,
            "pass_max_elevation_deg": round(self.max_elevation_deg, 2),
        }


@dataclass
class TaskingPlan:
    """Tasks in time order; ``covered``/``uncovered`` refer to the priority list."""

    tasks: list[Task]
    priority: list[int]
    covered: list[int]
    uncovered: list[int]
    sites: list[str] = field(default_factory=list)

    @property
    def covered_fraction(self) -> float:
        return len(self.covered) / len(self.priority) if self.priority else 0.0


class _Timeline:
    """Busy intervals of one site (sorted, non-overlapping)."""

    def __init__(self) -> None:
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []

    def free_slot(
        self,
        lo: datetime,
        hi: datetime,
        dur: timedelta,
        setup: timedelta,
        prefer: datetime | None = None,
    ) -> datetime | None:
        """Start of a free slot of ``dur`` inside ``[lo, hi]`` (prefer centred on ``prefer``)."""
        if hi - lo < dur:
            return None
        if prefer is not None:
            s0 = min(max(prefer - dur / 2, lo), hi - dur)
            if self._free(s0, s0 + dur, setup):
                return s0
        cand = lo
        i = bisect.bisect_left(self.ends, lo - setup)
        while cand + dur <= hi:
            while i < len(self.starts) and self.ends[i] + setup <= cand:
                i += 1
            if i >= len(self.starts) or self.starts[i] - setup >= cand + dur:
                return cand
            cand = self.ends[i] + setup
            i += 1
        return None

    def _free(self, a: datetime, b: datetime, setup: timedelta) -> bool:
        i = bisect.bisect_left(self.ends, a - setup)
        return not (i < len(self.starts) and self.starts[i] < b + setup)

    def add(self, a: datetime, b: datetime) -> None:
        i = bisect.bisect_left(self.starts, a)
        self.starts.insert(i, a)
        self.ends.insert(i, b)


def plan_tasking(
    priority: Sequence[int],
    sites: Sequence[Site],
    passes: dict[str, list[Pass]],
    *,
    track_s: float = 120.0,
    min_track_s: float = 30.0,
    setup_s: float = 30.0,
    revisits: int = 1,
    min_revisit_s: float = 3600.0,
) -> TaskingPlan:
    """Greedy plan covering ``priority`` (NORAD ids, most important first) with ``sites``.

    ``passes`` is ``{site.name: [Pass]}`` (from :func:`find_passes_multi` or
    :class:`Coverage`); only the given sites are used.  See the module
    docstring for the rules.
    """
    names = [s.name for s in sites]
    partner_of = {s.name: s.partner for s in sites}
    by_obj: dict[int, list[tuple[Pass, str]]] = {}
    wanted = set(priority)
    for n in names:
        for p in passes.get(n, []):
            if p.norad_id in wanted:
                by_obj.setdefault(p.norad_id, []).append((p, n))
    for lst in by_obj.values():
        lst.sort(key=lambda x: x[0].rise.time)
    timelines = {n: _Timeline() for n in names}
    dur = timedelta(seconds=track_s)
    min_dur = timedelta(seconds=min_track_s)
    setup = timedelta(seconds=setup_s)
    last: dict[int, datetime] = {}
    tasks: list[Task] = []
    seen: set[int] = set()
    order = list(dict.fromkeys(priority))
    for rnd in range(max(1, revisits)):
        for rank, obj in enumerate(order):
            if rnd > 0 and obj not in last:
                continue
            not_before = last[obj] + timedelta(seconds=min_revisit_s) if obj in last else None
            best = None
            for p, n in by_obj.get(obj, []):
                lo, hi = p.rise.time, p.set.time
                if not_before is not None:
                    if hi <= not_before:
                        continue
                    lo = max(lo, not_before)
                length = min(dur, hi - lo)
                if length < min_dur:
                    continue
                s0 = timelines[n].free_slot(lo, hi, length, setup, prefer=p.culmination.time)
                if s0 is None:
                    continue
                if best is None or s0 < best[0]:
                    best = (s0, length, p, n)
                if best is not None and best[0] <= p.rise.time:
                    break
            if best is None:
                continue
            s0, length, p, n = best
            timelines[n].add(s0, s0 + length)
            tasks.append(Task(n, obj, s0, s0 + length, rank, p.max_elevation_deg, partner_of[n]))
            last[obj] = s0 + length
            seen.add(obj)
    tasks.sort(key=lambda t: (t.start, t.site))
    covered = [o for o in order if o in seen]
    uncovered = [o for o in order if o not in seen]
    return TaskingPlan(tasks, order, covered, uncovered, names)


@dataclass(frozen=True)
class NetworkFigures:
    """Coverage and tasking figures for one group of sites."""

    group: str
    sites: tuple[str, ...]
    objects_observable: int
    priority_observable: int
    longest_gap_median_s: float | None
    longest_gap_max_s: float | None
    priority_covered_fraction: float
    tasks: int

    def to_record(self) -> dict:
        return {
            "group": self.group,
            "sites": list(self.sites),
            "objects_observable": self.objects_observable,
            "priority_observable": self.priority_observable,
            "longest_revisit_gap_median_s": None
            if self.longest_gap_median_s is None
            else round(self.longest_gap_median_s, 1),
            "longest_revisit_gap_max_s": None
            if self.longest_gap_max_s is None
            else round(self.longest_gap_max_s, 1),
            "priority_covered_fraction": round(self.priority_covered_fraction, 4),
            "tasks": self.tasks,
        }


def network_gain(
    cov: Coverage, priority: Sequence[int], **plan_kw
) -> tuple[TaskingPlan, list[NetworkFigures]]:
    """Plan for the combined network and figures for it and each partner's own sites.

    Revisit gaps are taken over the priority objects the combined network
    can observe at all (so that groups are compared on the same objects).
    Returns ``(combined_plan, [combined, partner A, partner B, ...])``.
    """
    groups: list[tuple[str, list[Site]]] = [("combined", list(cov.sites))]
    for partner in sorted({s.partner for s in cov.sites}):
        groups.append((partner, [s for s in cov.sites if s.partner == partner]))
    all_obs = cov.observable()
    ref_ids = [i for i in dict.fromkeys(priority) if i in all_obs]
    figures = []
    combined_plan = None
    for gname, gsites in groups:
        names = [s.name for s in gsites]
        plan = plan_tasking(priority, gsites, cov.passes, **plan_kw)
        if combined_plan is None:
            combined_plan = plan
        gaps = cov.longest_gaps_s(ref_ids, names)
        g = np.array(list(gaps.values())) if gaps else np.array([])
        obs = cov.observable(names)
        figures.append(
            NetworkFigures(
                group=gname,
                sites=tuple(names),
                objects_observable=len(obs),
                priority_observable=len(set(priority) & obs),
                longest_gap_median_s=float(np.median(g)) if g.size else None,
                longest_gap_max_s=float(np.max(g)) if g.size else None,
                priority_covered_fraction=plan.covered_fraction,
                tasks=len(plan.tasks),
            )
        )
    return combined_plan, figures


def default_priority(
    element_sets: Sequence,
    as_of: datetime,
    *,
    event_ids: Sequence[int] = (),
    stale_days: float = 3.0,
) -> list[int]:
    """Objects in recent conjunctions/events first, then element sets older than ``stale_days``.

    Stale objects are ordered oldest epoch first.  ``element_sets`` are
    ``ElementSet`` records (``norad_id``, ``epoch``).
    """
    out = list(dict.fromkeys(int(i) for i in event_ids))
    seen = set(out)
    cutoff = as_of - timedelta(days=stale_days)
    stale = sorted(
        (es.epoch, int(es.norad_id))
        for es in element_sets
        if es.epoch < cutoff and int(es.norad_id) not in seen
    )
    for _, i in stale:
        if i not in seen:
            out.append(i)
            seen.add(i)
    return out
