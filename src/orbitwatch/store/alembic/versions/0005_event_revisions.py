"""event revisions: which process stored a record, and what replaced it

Adds to ``events``:

- ``origin``: ``run`` for what ``orbitwatch run`` derived (its detectors'
  records and its findings), ``norms`` for findings stored by
  ``orbitwatch norms --store``, NULL for records posted by people (the
  service's ``POST /events``) and for rows stored before this revision.
- ``superseded_at`` and ``superseded_by``: set when a later run of the same
  process, for the same partner, re-derived the record's stretch of history and
  did not find it again; ``superseded_by`` is the record that took its place
  (NULL when it was withdrawn).  Listings show current records unless asked
  for the superseded ones too.

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
        batch.add_column(sa.Column("superseded_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("superseded_by")
        batch.drop_column("superseded_at")
        batch.drop_column("origin")
