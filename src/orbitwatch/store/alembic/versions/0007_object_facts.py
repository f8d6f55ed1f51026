"""object facts: catalogue facts of restricted records are labelled, not public

Until now every ingest wrote the SATCAT facts of its records (name, owner,
type, international designator, launch and decay dates, ...) and the names
its element sets carried into the one ``objects`` row, whatever the records'
``releasable_to``: a partner's restricted SATCAT could rename an object for
everyone.  From this revision ``objects`` keeps only facts from records
releasable to ``ALL``; the facts of restricted records go to the new
``object_facts`` table, one row per object and label (partner,
releasable_to), and readers see them only where the label lets them.

``objects.facts_ingest_id`` records the ingest that last changed an object's
public facts, so that a reader who may see public and restricted facts of one
object takes the newest.

Existing stores: the facts already in ``objects`` were stored without a label
and cannot be told apart; they are kept as they were, that is as public facts
(``facts_ingest_id`` NULL, older than any labelled fact).  A store that took
restricted SATCAT files before this revision should re-ingest the public
SATCAT (which overwrites what it states) or correct those rows by hand.

Revision ID: 0007_object_facts
Revises: 0006_supersession_order
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orbitwatch.store.types import UTCDateTime

revision = "0007_object_facts"
down_revision = "0006_supersession_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objects") as batch:
        batch.add_column(sa.Column("facts_ingest_id", sa.Integer(), nullable=True))
    op.create_table(
        "object_facts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("norad_id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(32)),
        sa.Column("releasable_to", sa.Text(), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("intl_designator", sa.String(16)),
        sa.Column("owner", sa.String(16)),
        sa.Column("object_type", sa.String(16)),
        sa.Column("launch_date", sa.Date()),
        sa.Column("launch_site", sa.String(16)),
        sa.Column("decay_date", sa.Date()),
        sa.Column("rcs_m2", sa.Float()),
        sa.Column("ops_status", sa.String(8)),
        sa.Column("latest_epoch", UTCDateTime()),
        sa.Column("ingest_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner"], ["partners.code"], name="fk_object_facts_partner_partners"
        ),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingests.id"], name="fk_object_facts_ingest_id_ingests"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_object_facts"),
        sa.UniqueConstraint("norad_id", "partner", "releasable_to", name="uq_object_facts_label"),
    )


def downgrade() -> None:
    op.drop_table("object_facts")
    with op.batch_alter_table("objects") as batch:
        batch.drop_column("facts_ingest_id")
