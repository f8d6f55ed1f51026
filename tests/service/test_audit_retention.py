"""Audit-log retention: `orbitwatch audit prune` archives old entries, then removes them,
in one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from orbitwatch.cli import app
from tests.service.conftest import fresh_db

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def audited(request, tmp_path_factory):
    """A fresh store with 12 audit entries, one every 10 days from 2026-01-01."""
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared import record_audit

    for url in fresh_db(request.param, tmp_path_factory):
        with open_session(url) as s:
            for k in range(12):
                record_audit(s, partner="US", token_id=k, role="viewer", action="read", method="GET",
                             path=f"/api/v1/objects?page={k}", resource="objects",
                             record_ids=range(k), at=T0 + timedelta(days=10 * k))
            s.commit()
        yield url


def _entries(url):
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared_models import audit_table

    with open_session(url) as s:
        return [dict(r._mapping) for r in s.execute(select(audit_table).order_by(audit_table.c.id))]


def test_prune_archives_exactly_the_old_entries_then_removes_them(audited, tmp_path):
    before = _entries(audited)
    cutoff = T0 + timedelta(days=45)  # entries of days 0..40 are older
    arch = tmp_path / "audit-2026.jsonl.gz"
    r = CliRunner().invoke(app, ["audit", "prune", "--before", "2026-02-15T00:00:00Z",
                                 "--archive", str(arch), "--db", audited])
    assert r.exit_code == 0, r.output
    assert "5 audit entries" in r.stdout
    with gzip.open(arch, "rt") as fh:
        archived = [json.loads(line) for line in fh]
    old = [e for e in before if e["at"] < cutoff]
    assert [a["id"] for a in archived] == [e["id"] for e in old]
    assert [a["path"] for a in archived] == [e["path"] for e in old]
    assert archived[3]["record_ids"] == "0,1,2" and archived[3]["at"] == "2026-01-31T00:00:00.000000Z"
    after = _entries(audited)
    kept = [e for e in after if e["resource"] != "audit"]
    assert [e["id"] for e in kept] == [e["id"] for e in before if e["at"] >= cutoff]
    (prune,) = [e for e in after if e["resource"] == "audit"]
    assert prune["count"] == 5 and prune["method"] == "CLI" and "--before 2026-02-15T00:00:00Z" in prune["path"]
    assert not list(tmp_path.glob("*.part"))


def test_prune_refuses_what_would_lose_or_overwrite(audited, tmp_path):
    n = len(_entries(audited))
    existing = tmp_path / "old.jsonl"
    existing.write_text("keep me\n")
    for args in (
        ["--before", "2026-02-15T00:00:00Z"],  # neither --archive nor --no-archive
        ["--before", "2026-02-15T00:00:00Z", "--older-than-days", "30", "--no-archive"],
        ["--before", "2999-01-01T00:00:00Z", "--no-archive"],  # the future
        ["--before", "2026-02-15T00:00:00Z", "--archive", str(existing)],
        ["--before", "not-a-time", "--no-archive"],
    ):
        r = CliRunner().invoke(app, ["audit", "prune", *args, "--db", audited])
        assert r.exit_code == 2, (args, r.output)
    assert existing.read_text() == "keep me\n"
    # an archive that cannot be written: nothing removed
    r = CliRunner().invoke(app, ["audit", "prune", "--before", "2026-02-15T00:00:00Z",
                                 "--archive", str(tmp_path / "no" / "such" / "dir.jsonl"), "--db", audited])
    assert r.exit_code != 0
    assert len(_entries(audited)) == n


def test_a_failing_archive_midway_removes_nothing(audited):
    from orbitwatch.store.db import open_session
    from orbitwatch.store.shared import take_audit_before

    seen = []

    def sink(rows):
        seen.extend(rows)
        if len(seen) > 4:
            raise OSError("disk full")

    with open_session(audited) as s, pytest.raises(OSError):
        take_audit_before(s, T0 + timedelta(days=200), sink, batch=3)
    assert len(seen) == 6  # two batches handed over before the failure
    assert len(_entries(audited)) == 12
    # the same call with a working sink takes them all, in order, and leaves the rest
    got = []
    with open_session(audited) as s:
        assert take_audit_before(s, T0 + timedelta(days=60), got.extend, batch=4) == 6
        s.commit()
    assert [e["at"] for e in got] == [T0 + timedelta(days=10 * k) for k in range(6)]
    assert len(_entries(audited)) == 6
