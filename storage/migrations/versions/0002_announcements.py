"""announce targets and posted copies of announcements

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announce_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("chat", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace", "chat", "channel", name="uq_announce_target"),
    )
    op.create_index("ix_announce_targets_workspace", "announce_targets", ["workspace"])
    op.create_table(
        "posted_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat", "channel", "message_id", name="uq_posted_message"),
    )
    op.create_index("ix_posted_messages_item_id", "posted_messages", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_posted_messages_item_id", table_name="posted_messages")
    op.drop_table("posted_messages")
    op.drop_index("ix_announce_targets_workspace", table_name="announce_targets")
    op.drop_table("announce_targets")
