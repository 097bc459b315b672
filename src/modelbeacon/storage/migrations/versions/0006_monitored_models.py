"""models served elsewhere: prediction ids chosen by callers (up to 128 characters) and
predictions logged without a measured latency

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.alter_column(
            "prediction_id", existing_type=sa.String(32), type_=sa.String(128), nullable=False
        )
        batch_op.alter_column("latency_ms", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.alter_column("latency_ms", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column(
            "prediction_id", existing_type=sa.String(128), type_=sa.String(32), nullable=False
        )
