"""Live chat messages (unique per platform message per broadcast) and collector cursors

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("line_id", sa.String(length=16), nullable=False),
        sa.Column("broadcast_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.String(length=200), nullable=False),
        sa.Column("badges", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("broadcast_id", "platform", "message_id", name="uq_chat_message"),
    )
    op.create_index("ix_chat_messages_line_id", "chat_messages", ["line_id"])
    op.create_index("ix_chat_messages_broadcast_id", "chat_messages", ["broadcast_id"])
    op.create_table(
        "chat_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "platform", name="uq_chat_cursor"),
    )


def downgrade() -> None:
    op.drop_table("chat_cursors")
    op.drop_index("ix_chat_messages_broadcast_id", table_name="chat_messages")
    op.drop_index("ix_chat_messages_line_id", table_name="chat_messages")
    op.drop_table("chat_messages")
