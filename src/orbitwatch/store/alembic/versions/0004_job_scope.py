"""job scope: the labels of the element sets a screening job screened

Adds ``screening_jobs.scope`` (JSON, NULL until the job is done):
``{"sets": [[partner, releasable_to, n_objects], ...],
"failed": [[partner, releasable_to, n_failed], ...], "withheld": bool}``.
A job is often released wider than some of the sets it screened; its counts
and notes are then given to each reader from the sets that reader may see
(see :func:`orbitwatch.store.shared.get_job`), so that no count tells of
records the reader may not see.

Revision ID: 0004_job_scope
Revises: 0003_sites
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_job_scope"
down_revision = "0003_sites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screening_jobs") as batch:
        batch.add_column(sa.Column("scope", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("screening_jobs") as batch:
        batch.drop_column("scope")
