"""catalog: partners, objects, element_sets, ingests

Revision ID: 0001_catalog
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orbitwatch.store.types import UTCDateTime

revision = "0001_catalog"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.PrimaryKeyConstraint("code", name="pk_partners"),
    )
    op.create_table(
        "objects",
        sa.Column("norad_id", sa.Integer(), autoincrement=False, nullable=False),
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
        sa.Column("regime", sa.String(4)),
        sa.Column("perigee_km", sa.Float()),
        sa.Column("apogee_km", sa.Float()),
        sa.Column("inclination_deg", sa.Float()),
        sa.Column("period_min", sa.Float()),
        sa.Column("eccentricity", sa.Float()),
        sa.PrimaryKeyConstraint("norad_id", name="pk_objects"),
    )
    op.create_table(
        "ingests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("format", sa.String(32)),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(32)),
        sa.Column("releasable_to", sa.Text(), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner"], ["partners.code"], name="fk_ingests_partner_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ingests"),
    )
    op.create_table(
        "element_sets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("norad_id", sa.Integer(), nullable=False),
        sa.Column("epoch", UTCDateTime(), nullable=False),
        sa.Column("mean_motion_rev_day", sa.Float(), nullable=False),
        sa.Column("eccentricity", sa.Float(), nullable=False),
        sa.Column("inclination_deg", sa.Float(), nullable=False),
        sa.Column("raan_deg", sa.Float(), nullable=False),
        sa.Column("arg_perigee_deg", sa.Float(), nullable=False),
        sa.Column("mean_anomaly_deg", sa.Float(), nullable=False),
        sa.Column("bstar", sa.Float(), nullable=False),
        sa.Column("mean_motion_dot", sa.Float(), nullable=False),
        sa.Column("mean_motion_ddot", sa.Float(), nullable=False),
        sa.Column("classification", sa.String(1), nullable=False),
        sa.Column("element_set_no", sa.Integer(), nullable=False),
        sa.Column("rev_at_epoch", sa.Integer(), nullable=False),
        sa.Column("ephemeris_type", sa.Integer(), nullable=False),
        sa.Column("line1", sa.String(80)),
        sa.Column("line2", sa.String(80)),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(32)),
        sa.Column("releasable_to", sa.Text(), nullable=False),
        sa.Column("ingest_id", sa.Integer()),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["norad_id"],
            ["objects.norad_id"],
            name="fk_element_sets_norad_id_objects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner"], ["partners.code"], name="fk_element_sets_partner_partners"
        ),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingests.id"], name="fk_element_sets_ingest_id_ingests"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_element_sets"),
        sa.UniqueConstraint("norad_id", "epoch", "source", name="uq_element_sets_key"),
    )


def downgrade() -> None:
    op.drop_table("element_sets")
    op.drop_table("ingests")
    op.drop_table("objects")
    op.drop_table("partners")
