"""store each model's drift reference (PSI bins) and confidence calibration, drop the z-score
drift statistics they replace

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable without a default: models trained before this revision have neither.
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drift_reference", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("calibration", sa.JSON(), nullable=True))
        batch_op.drop_column("feature_means")
        batch_op.drop_column("feature_stds")


def downgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feature_stds", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("feature_means", sa.JSON(), nullable=True))
        batch_op.drop_column("calibration")
        batch_op.drop_column("drift_reference")
