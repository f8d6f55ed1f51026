"""event revisions: which process derived a record, for whom, and what replaced it

Adds to ``events``:

- ``origin``: ``run`` for what ``orbitwatch run`` derived (its detectors'
  records and its findings), ``norms`` for findings stored by
  ``orbitwatch norms --store``, NULL for records given by people (the
  service's ``POST /events``, notices).
- ``derived_for``: the release the deriving process was asked for (its
  ``--releasable-to``, normalised; each record's own ``releasable_to`` may be
  narrower, never wider); a derivation for another release keeps its own
  copies.  NULL on rows stored before this revision: any later derivation of
  the same partner may revise them.
- ``superseded_at`` and ``superseded_by``: set when a later derivation by the
  same partner, for the same release, re-derived the record's stretch of
  history and did not find it again; ``superseded_by`` is the record that took
  its place (NULL when it was withdrawn).  Listings show current records
  unless asked for the superseded ones too.

Rows stored before this revision get ``origin`` ``run`` unless they are
notices or were posted through the service (the audit log's writes of
events), so that the first run after the upgrade revises them instead of
storing its records beside them.

Revision ID: 0005_event_revisions
Revises: 0004_job_scope
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orbitwatch.store.types import UTCDateTime

revision = "0005_event_revisions"
down_revision = "0004_job_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=True))
        batch.add_column(sa.Column("derived_for", sa.Text(), nullable=True))
        batch.add_column(sa.Column("superseded_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
    op.create_index("ix_events_superseded_by", "events", ["superseded_by"])
    conn = op.get_bind()
    posted: set[int] = set()
    for (ids,) in conn.execute(sa.text(
            "SELECT record_ids FROM audit_log WHERE action = 'write' AND resource = 'events'")):
        posted.update(int(x) for x in (ids or "").split(",") if x.strip().isdigit())
    derived = [i for (i,) in conn.execute(sa.text("SELECT id FROM events WHERE kind <> 'notice'"))
               if i not in posted]
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("origin", sa.String))
    for k in range(0, len(derived), 500):
        conn.execute(sa.update(events).where(events.c.id.in_(derived[k:k + 500])).values(origin="run"))


def downgrade() -> None:
    op.drop_index("ix_events_superseded_by", "events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("superseded_by")
        batch.drop_column("superseded_at")
        batch.drop_column("derived_for")
        batch.drop_column("origin")
