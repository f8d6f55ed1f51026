"""service: tokens, audit_log, conjunctions, events, sensors, uploads, screening_jobs

Revision ID: 0002_service
Revises: 0001_catalog
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orbitwatch.store.types import UTCDateTime

revision = "0002_service"
down_revision = "0001_catalog"
branch_labels = None
depends_on = None


def _shared(table: str) -> list:
    """``partner`` / ``releasable_to`` / ``created_at`` columns and the partner foreign key."""
    return [
        sa.Column("partner", sa.String(32)),
        sa.Column("releasable_to", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner"], ["partners.code"], name=f"fk_{table}_partner_partners"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
        sa.ForeignKeyConstraint(["partner"], ["partners.code"], name="fk_tokens_partner_partners"),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("partner", sa.String(32)),
        sa.Column("token_id", sa.Integer()),
        sa.Column("role", sa.String(16)),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("record_ids", sa.Text()),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "conjunctions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("object_1", sa.Integer(), nullable=False),
        sa.Column("object_2", sa.Integer(), nullable=False),
        sa.Column("object_1_name", sa.String(100)),
        sa.Column("object_2_name", sa.String(100)),
        sa.Column("tca", UTCDateTime(), nullable=False),
        sa.Column("miss_distance_km", sa.Float(), nullable=False),
        sa.Column("relative_speed_km_s", sa.Float()),
        sa.Column("miss_r_km", sa.Float()),
        sa.Column("miss_t_km", sa.Float()),
        sa.Column("miss_n_km", sa.Float()),
        sa.Column("pc", sa.Float()),
        sa.Column("pc_method", sa.String(32)),
        sa.Column("state_1", sa.JSON()),
        sa.Column("state_2", sa.JSON()),
        sa.Column("screening_id", sa.Integer()),
        *_shared("conjunctions"),
        sa.PrimaryKeyConstraint("id", name="pk_conjunctions"),
    )
    op.create_index("ix_conjunctions_tca", "conjunctions", ["tca"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("norad_id", sa.Integer()),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("payload", sa.JSON()),
        *_shared("events"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_time", "events", ["time"])
    op.create_index("ix_events_norad_id", "events", ["norad_id"])
    op.create_table(
        "sensors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("kind", sa.String(32)),
        sa.Column("latitude_deg", sa.Float(), nullable=False),
        sa.Column("longitude_deg", sa.Float(), nullable=False),
        sa.Column("altitude_km", sa.Float(), nullable=False),
        *_shared("sensors"),
        sa.PrimaryKeyConstraint("id", name="pk_sensors"),
    )
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(32)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("ingest_id", sa.Integer()),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        *_shared("uploads"),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
    )
    op.create_table(
        "screening_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("n_objects", sa.Integer()),
        sa.Column("n_conjunctions", sa.Integer()),
        sa.Column("token_id", sa.Integer()),
        *_shared("screening_jobs"),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_screening_jobs"),
    )


def downgrade() -> None:
    for table in ("screening_jobs", "uploads", "sensors", "events", "conjunctions"):
        op.drop_table(table)
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("tokens")
