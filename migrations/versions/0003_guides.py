"""Walkthrough progress and ratings of the help.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guide_progress",
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("guide", sa.String(length=40), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("trouble", sa.String(length=40), nullable=True),
        sa.Column("trouble_step", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.String(length=80), nullable=True),
        sa.Column("have", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guide", sa.String(length=40), nullable=False),
        sa.Column("procedure_id", sa.String(length=80), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_ratings_procedure_id"), ["procedure_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_procedure_id"))
        batch_op.drop_index(batch_op.f("ix_ratings_channel"))

    op.drop_table("ratings")
    op.drop_table("guide_progress")
