"""What a reader other than a screening job's partner is told of the job's size."""

from __future__ import annotations

from datetime import UTC, datetime


def _done_job(conn, scope):
    from orbitwatch.store import shared
    from orbitwatch.store.catalog import ensure_partner

    ensure_partner(conn, "US")
    job_id = shared.create_job(conn, params={}, partner="US", releasable_to="ALL")
    shared.update_job(conn, job_id=job_id, status="done", done=4, total=4, n_objects=3,
                      n_conjunctions=0, message="1 object(s) failed to propagate",
                      finished_at=datetime(2026, 5, 1, tzinfo=UTC), scope=scope)
    return job_id


def test_a_job_from_before_scope_was_kept_has_unknown_counts_for_other_readers(engine):
    from orbitwatch.store import shared

    with engine.begin() as conn:
        old = _done_job(conn, None)  # finished before migration 0004: scope NULL
        new = _done_job(conn, {"sets": [[None, "ALL", 2], ["US", "US", 1]],
                               "failed": [["US", "US", 1]], "withheld": False})
        jp_old = shared.get_job(conn, job_id=old, visible_to="JP")
        jp_new = shared.get_job(conn, job_id=new, visible_to="JP")
        us_old = shared.get_job(conn, job_id=old, visible_to="US")
        listed = {j["id"]: j for j in shared.list_jobs(conn, visible_to="JP")[0]}
    # unknown, not "none of it": a count of 0 would be false
    assert (jp_old["n_objects"], jp_old["message"]) == (None, None)
    assert (listed[old]["n_objects"], listed[old]["message"]) == (None, None)
    # a job with its scope: what JP may see of it (the public sets, no failure among them)
    assert (jp_new["n_objects"], jp_new["message"]) == (2, None)
    # its partner reads the job as it was written
    assert (us_old["n_objects"], us_old["message"]) == (3, "1 object(s) failed to propagate")
