"""sites: the limits of a sensor site (elevation, field of regard, range, terrain mask)

Adds nullable columns to ``sensors`` so a stored sensor maps onto
:class:`orbitwatch.tracking.sites.Site`.  NULL means the site default:
minimum elevation 0 deg, maximum elevation 90 deg, azimuth 0..360 deg,
range 0..unlimited, no mask.  ``mask`` is a JSON list of ``[az_deg,
min_el_deg]`` points.

Revision ID: 0003_sites
Revises: 0002_service
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sites"
down_revision = "0002_service"
branch_labels = None
depends_on = None

_FLOATS = (
    "min_elevation_deg",
    "max_elevation_deg",
    "az_min_deg",
    "az_max_deg",
    "min_range_km",
    "max_range_km",
)


def upgrade() -> None:
    with op.batch_alter_table("sensors") as batch:
        for name in _FLOATS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch.add_column(sa.Column("mask", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sensors") as batch:
        batch.drop_column("mask")
        for name in reversed(_FLOATS):
            batch.drop_column(name)
