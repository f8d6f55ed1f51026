"""supersession order: the stream can tell subscribers what was revised or withdrawn

Adds ``events.superseded_seq``: the order in which records were superseded,
one number per record, increasing in commit order (it is handed out under the
feed lock, like the ids of new records).  The live stream keeps a third cursor
on it and sends ``event: superseded`` for each record a later derivation
replaced or withdrew, so a subscriber can take a withdrawn manoeuvre off its
screen without listing the whole store again.  Rows superseded before this
revision get numbers in the order of their ``superseded_at`` (then id); a
stream resuming from a cursor of two parts starts after them.

Revision ID: 0006_supersession_order
Revises: 0005_event_revisions
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_supersession_order"
down_revision = "0005_event_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("superseded_seq", sa.Integer(), nullable=True))
    op.create_index("ix_events_superseded_seq", "events", ["superseded_seq"])
    conn = op.get_bind()
    old = [i for (i,) in conn.execute(sa.text(
        "SELECT id FROM events WHERE superseded_at IS NOT NULL ORDER BY superseded_at, id"))]
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("superseded_seq", sa.Integer))
    for k in range(0, len(old), 500):
        conn.execute(
            sa.update(events).where(events.c.id == sa.bindparam("old")).values(superseded_seq=sa.bindparam("seq")),
            [{"old": i, "seq": k + j + 1} for j, i in enumerate(old[k:k + 500])],
        )


def downgrade() -> None:
    op.drop_index("ix_events_superseded_seq", "events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("superseded_seq")
