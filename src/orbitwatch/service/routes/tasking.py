"""``/api/v1/tasking``: a sensor tasking plan over the caller's sites and objects.

The plan is :func:`orbitwatch.tracking.tasking.network_gain` (greedy
priority-list scheduler, see docs/tracking.md) run on the coverage
(:func:`orbitwatch.tracking.tasking.coverage`) of the asked-for sites, which
must all be visible to the caller (404 otherwise), and of the newest element
sets the caller may see.  The default priority list is
:func:`orbitwatch.tracking.tasking.default_priority` fed with the objects of
the visible conjunctions (TCA in the last 7 days up to the window end) and
visible events (last 7 days up to the window start): those first, then
objects whose newest visible element set is older than 3 days.

Asked-for objects that the caller cannot see are ignored and listed in
``not_found``, exactly as catalog numbers that do not exist.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends

from orbitwatch.service.deps import Audit, audit_for
from orbitwatch.service.routes.passes import aware, sites_of_rows
from orbitwatch.service.routes.sites import site_kind, sites_or_404
from orbitwatch.service.schemas import TaskingIn
from orbitwatch.timeutil import iso_z

router = APIRouter(prefix="/api/v1/tasking", tags=["tasking"])

#: how far back conjunctions and events make an object a priority (days)
RECENT_DAYS = 7.0


def _recent_ids(audit: Audit, start, end) -> list[int]:
    """Objects of the caller's visible conjunctions and events near the window, most
    recent first."""
    from orbitwatch.store import shared

    partner = audit.principal.partner
    since = start - timedelta(days=RECENT_DAYS)
    conj, _ = shared.list_conjunctions(audit.db, visible_to=partner, tca_from=since, tca_to=end,
                                       sort="-tca", limit=None)
    events, _ = shared.list_events(audit.db, visible_to=partner, since=since, until=start, limit=None)
    out: list[int] = []
    for c in conj:
        out += [int(c["object_1"]), int(c["object_2"])]
    out += [int(e["norad_id"]) for e in events if e.get("norad_id") is not None]
    return list(dict.fromkeys(out))


@router.post("", summary="Plan sensor tasking over visible sites (analyst)")
def post_tasking(body: TaskingIn, audit: Audit = Depends(audit_for("analyst"))):
    """Answer: ``tasks`` (site, object, start/end of each track, priority rank),
    ``covered``/``uncovered`` priority objects, ``covered_fraction``, and ``gain``:
    per group of sites (``combined``, then each partner's own visible sites)
    the objects observable, the longest revisit gap over the priority objects
    the combined network can see (median and maximum, s), and the fraction of
    the priority list its own plan covers."""
    from orbitwatch.store.catalog import latest_element_sets
    from orbitwatch.tracking.tasking import coverage, default_priority, network_gain

    partner = audit.principal.partner
    rows = sites_or_404(audit, body.sites)
    t0 = aware(body.start)
    t1 = t0 + timedelta(hours=body.hours)

    asked = list(dict.fromkeys((body.priority or []) + (body.ids or [])))
    consider = None
    if body.ids is not None:
        consider = list(dict.fromkeys(body.ids + (body.priority or [])))
    elif body.priority is not None:
        consider = list(dict.fromkeys(body.priority))
    sets = latest_element_sets(audit.db, ids=consider, visible_to=partner)
    visible = {int(s.norad_id) for s in sets}
    not_found = [i for i in asked if i not in visible]
    if body.priority is not None:
        priority = [i for i in dict.fromkeys(body.priority) if i in visible]
    else:
        priority = [i for i in default_priority(sets, t0, event_ids=_recent_ids(audit, t0, t1))
                    if i in visible]

    sites = sites_of_rows(rows, skip_bad=False)
    cov = coverage(sets, sites, t0, t1, min_el_deg=body.min_el_deg)
    plan, figures = network_gain(
        cov, priority, track_s=body.track_s, min_track_s=body.min_track_s, setup_s=body.setup_s,
        revisits=body.revisits, min_revisit_s=body.min_revisit_s,
    )
    by_name = {str(r["id"]): r for r in rows}

    def task_record(t) -> dict:
        rec = t.to_record()
        row = by_name[t.site]
        rec.update(site_id=row["id"], site=row["code"], site_name=row["name"],
                   kind=site_kind(row["kind"]))
        return rec

    def figure_record(f) -> dict:
        rec = f.to_record()
        rec["site_ids"] = [by_name[n]["id"] for n in f.sites]
        rec["sites"] = [by_name[n]["code"] for n in f.sites]
        return rec

    per_site = {
        str(by_name[name]["id"]): len({p.norad_id for p in ps}) for name, ps in cov.passes.items()
    }
    with audit.writing():
        audit("read", "sensors", [r["id"] for r in rows], commit=False)
        audit("read", "element_sets", sorted(visible), commit=False)
    return {
        "start": iso_z(t0, 3),
        "end": iso_z(t1, 3),
        "sites": [{"id": r["id"], "code": r["code"], "partner": r["partner"],
                   "kind": site_kind(r["kind"])} for r in rows],
        "objects_considered": len(sets),
        "objects_observable_per_site": per_site,
        "priority": plan.priority,
        "tasks": [task_record(t) for t in plan.tasks],
        "covered": plan.covered,
        "uncovered": plan.uncovered,
        "covered_fraction": round(plan.covered_fraction, 4),
        "gain": [figure_record(f) for f in figures],
        "not_found": not_found,
    }
