"""Background screening jobs.

``POST /api/v1/screenings`` stores a queued job and hands its id to a thread
pool (``app.state.executor``); :func:`run_screening_job` then

1. loads the newest element set of each object **visible to the job's
   partner** (so a job can only use what its creator may see),
2. calls :func:`orbitwatch.screening.screen`, writing progress
   (chunks done / total) into the job row as it goes,
3. stores the conjunctions with the job's partner and releasability, in one
   transaction, and marks the job ``done`` (or ``failed`` with the error).

Every write takes the app's write lock (see :meth:`orbitwatch.service.deps.Audit.writing`).
"""

from __future__ import annotations

import logging
import time
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
    with state.sessions() as db:
        sets = latest_element_sets(db, visible_to=partner, ids=p.get("ids"))
    start = parse_iso(p["start"])
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.5:
            return
        last[0] = now
        _write(state, lambda db: shared.update_job(db, job_id=job_id, done=done, total=total))

    result = screen(
        sets, start, float(p["span_s"]), float(p["threshold_km"]),
        primaries=p.get("primaries"), backend="local",
        workers=state.settings.screening_workers, progress=progress,
    )

    def finish(db) -> None:
        shared.add_conjunctions(
            db, conjunctions=result.conjunctions, partner=partner,
            releasable_to=job["releasable_to"], screening_id=job_id,
        )
        failures = len(result.failures)
        shared.update_job(
            db, job_id=job_id, status="done", n_objects=result.stats.objects,
            n_conjunctions=len(result.conjunctions), finished_at=datetime.now(UTC),
            message=(f"{failures} object(s) failed to propagate" if failures else None),
        )

    _write(state, finish)
