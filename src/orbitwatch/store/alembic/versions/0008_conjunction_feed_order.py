"""conjunction feed order: a conjunction re-assessed in place enters the feed again

Adds ``conjunctions.feed_seq``: the order in which each conjunction's current
assessment was stored, handed out under the feed lock like the ids of new
records.  A rerun on fresher element sets rewrites a stored conjunction's miss
distance and Pc under its id (as a CDM update replaces the last); it now also
takes the next number, so the live stream sends it again and the service's
list caches, keyed on the store's data version, see the change.  Rows stored
before this revision take their id, so a stream cursor made from ids resumes
where it was.

Revision ID: 0008_conjunction_feed_order
Revises: 0007_object_facts
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_conjunction_feed_order"
down_revision = "0007_object_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conjunctions") as batch:
        batch.add_column(sa.Column("feed_seq", sa.Integer(), nullable=True))
    op.execute("UPDATE conjunctions SET feed_seq = id")
    op.create_index("ix_conjunctions_feed_seq", "conjunctions", ["feed_seq"])


def downgrade() -> None:
    op.drop_index("ix_conjunctions_feed_seq", "conjunctions")
    with op.batch_alter_table("conjunctions") as batch:
        batch.drop_column("feed_seq")
