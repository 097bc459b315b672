"""describe each model's inputs (numeric or categorical features, whether it takes missing
values), say where it came from (trained or imported) and what runs it, keep an imported
model's parity outputs, and store uploaded datasets

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Models stored before this revision were trained on built-in datasets: all-numeric
    # inputs (read from feature_names while features is NULL), no missing values, scikit-learn.
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("features", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("accepts_missing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("source", sa.String(20), nullable=False, server_default="trained")
        )
        batch_op.add_column(
            sa.Column("runtime", sa.String(20), nullable=False, server_default="sklearn")
        )
        batch_op.add_column(sa.Column("parity", sa.JSON(), nullable=True))
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("dropped_rows", sa.Integer(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("artifact_path", sa.String(255), nullable=False),
        sa.Column("artifact_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
    )


def downgrade() -> None:
    op.drop_table("datasets")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_column("parity")
        batch_op.drop_column("runtime")
        batch_op.drop_column("source")
        batch_op.drop_column("accepts_missing")
        batch_op.drop_column("features")
