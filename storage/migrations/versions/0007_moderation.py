"""Auto-moderation rules per workspace and the moderation history

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace"),
    )
    op.create_table(
        "moderation_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("broadcast_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("line_id", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moderation_history_workspace", "moderation_history", ["workspace"])
    op.create_index("ix_moderation_history_broadcast_id", "moderation_history", ["broadcast_id"])


def downgrade() -> None:
    op.drop_index("ix_moderation_history_broadcast_id", table_name="moderation_history")
    op.drop_index("ix_moderation_history_workspace", table_name="moderation_history")
    op.drop_table("moderation_history")
    op.drop_table("moderation_rules")
