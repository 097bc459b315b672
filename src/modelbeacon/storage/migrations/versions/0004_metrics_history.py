"""metrics_history: one point per step per deployed model, so charts survive a restart

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metrics_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("predictions_per_minute", sa.Integer(), nullable=False),
        sa.Column("current_accuracy", sa.Float(), nullable=True),
        sa.Column("accuracy_low", sa.Float(), nullable=True),
        sa.Column("accuracy_high", sa.Float(), nullable=True),
        sa.Column("estimated_accuracy", sa.Float(), nullable=True),
        sa.Column("latency_p95_ms", sa.Float(), nullable=True),
        sa.Column("error_rate", sa.Float(), nullable=True),
        sa.Column("drift_score", sa.Float(), nullable=True),
        sa.Column("model_health", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name=op.f("fk_metrics_history_model_id_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_history")),
    )
    with op.batch_alter_table("metrics_history", schema=None) as batch_op:
        batch_op.create_index("uq_metrics_history_model_ts", ["model_id", "ts"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("metrics_history", schema=None) as batch_op:
        batch_op.drop_index("uq_metrics_history_model_ts")

    op.drop_table("metrics_history")
