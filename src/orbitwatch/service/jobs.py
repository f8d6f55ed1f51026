"""Background screening jobs.

``POST /api/v1/screenings`` stores a queued job and hands its id to a thread
pool (``app.state.executor``); :func:`run_screening_job` then

1. loads the newest element set of each object **visible to the job's
   partner** (so a job can only use what its creator may see),
2. calls :func:`orbitwatch.screening.screen`, writing progress
   (chunks done / total) into the job row as it goes; a job with primaries
   (one worker) runs :func:`orbitwatch.screening.sieve.screen_primaries` on a
   catalog index the app keeps (``app.state.indexes``) for the partner's
   catalog, the selected ids and the UTC days the window covers, rebuilt when
   element sets are added, so that every further primary of the same snapshot
   and days costs only the query,
3. stores the conjunctions with the job's partner and releasability, in one
   transaction, and marks the job ``done`` (or ``failed`` with the error),
   with the labels of the sets it screened (``scope``): a reader other than
   the job's partner is given counts and notes only of the sets and
   conjunctions it may see, so that a job released wide tells nothing of
   restricted sets (:func:`orbitwatch.store.shared.get_job`).

Every write takes the app's write lock (see :meth:`orbitwatch.service.deps.Audit.writing`).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from datetime import UTC, datetime

from orbitwatch.store import shared

log = logging.getLogger("orbitwatch.service.jobs")


def _write(state, fn) -> None:
    with state.write_lock, state.sessions() as db:
        fn(db)
        db.commit()


def run_screening_job(state, job_id: int) -> None:
    """Run one queued job to completion (never raises: failures are written to the job)."""
    try:
        _run(state, job_id)
    except Exception as exc:  # noqa: BLE001 - the job row carries the error
        log.exception("screening job %s failed", job_id)
        message = f"{type(exc).__name__}: {exc}"
        _write(
            state,
            lambda db: shared.update_job(
                db, job_id=job_id, status="failed", message=message,
                finished_at=datetime.now(UTC),
            ),
        )


DAY_S = 86400.0


def index_days(start: datetime, span_s: float) -> tuple[datetime, int]:
    """The UTC midnight at or before ``start`` and the whole number of days from
    it that covers ``[start, start + span_s]``: the span of a kept catalog index."""
    day0 = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end_s = (start - day0).total_seconds() + span_s
    return day0, max(1, math.ceil(end_s / DAY_S - 1e-9))


def _primaries_result(state, p: dict, partner: str, start: datetime, progress):
    """A primaries job through the kept catalog index (built on a miss)."""
    from orbitwatch.screening.sieve import build_index, screen_primaries
    from orbitwatch.store.catalog import latest_element_sets

    day0, days = index_days(start, float(p["span_s"]))
    ids = tuple(p.get("ids") or ())
    with state.sessions() as db:
        version = shared.catalog_version(db)

    def build():
        with state.sessions() as db:
            sets = latest_element_sets(db, visible_to=partner, ids=p.get("ids"))
        return build_index(sets, day0, days * DAY_S), _labels(sets)

    index, labels = state.indexes.get(
        ("screening index", partner, ids, day0, days), version, build)
    result = screen_primaries(
        index, p["primaries"], float(p["threshold_km"]), start=start, span_s=float(p["span_s"])
    )
    progress(1, 1)
    return result, labels


def _labels(sets) -> dict[int, tuple[str | None, str]]:
    """Object -> (partner, releasable_to) of the set screened for it."""
    return {s.norad_id: (s.partner, s.releasable_to or "ALL") for s in sets}


def job_scope(labels: dict[int, tuple[str | None, str]], failures, withheld: bool) -> dict:
    """What a job screened, by label: the ``scope`` column from which each
    reader's counts are given (:func:`orbitwatch.store.shared.get_job`)."""
    sets = Counter(labels.values())
    failed = Counter(labels[f.object_id] for f in failures if f.object_id in labels)
    return {
        "sets": [[p, r, n] for (p, r), n in sorted(sets.items(), key=str)],
        "failed": [[p, r, n] for (p, r), n in sorted(failed.items(), key=str)],
        "withheld": bool(withheld),
    }


def _run(state, job_id: int) -> None:
    from orbitwatch.screening import screen
    from orbitwatch.store.catalog import latest_element_sets
    from orbitwatch.timeutil import parse_iso

    with state.sessions() as db:
        job = shared.get_job(db, job_id=job_id, visible_to=None)
    if job is None:
        return
    p = job["params"]
    partner = job["partner"]
    _write(state, lambda db: shared.update_job(
        db, job_id=job_id, status="running", started_at=datetime.now(UTC)))
    start = parse_iso(p["start"])
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.5:
            return
        last[0] = now
        _write(state, lambda db: shared.update_job(db, job_id=job_id, done=done, total=total))

    if p.get("primaries") and (state.settings.screening_workers or 1) <= 1:
        result, labels = _primaries_result(state, p, partner, start, progress)
    else:
        with state.sessions() as db:
            sets = latest_element_sets(db, visible_to=partner, ids=p.get("ids"))
        labels = _labels(sets)
        result = screen(
            sets, start, float(p["span_s"]), float(p["threshold_km"]),
            primaries=p.get("primaries"), backend="local",
            workers=state.settings.screening_workers, progress=progress,
        )

    def finish(db) -> None:
        # each conjunction releasable only to those who may see both objects' sets
        stored, withheld = shared.add_derived_conjunctions(
            db, conjunctions=result.conjunctions, partner=partner,
            releasable_to=job["releasable_to"], screening_id=job_id,
        )
        # the job's own partner reads these; any other reader gets counts and
        # notes from ``scope`` for the sets it may see (shared.get_job)
        scope = job_scope(labels, result.failures, bool(withheld))
        shared.update_job(
            db, job_id=job_id, status="done", n_objects=len(labels),
            n_conjunctions=len(stored), finished_at=datetime.now(UTC),
            message=shared.job_notes(len(result.failures), bool(withheld)), scope=scope,
        )

    _write(state, finish)
