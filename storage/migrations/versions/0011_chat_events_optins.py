"""Chat servers' events of scheduled items (Discord guild scheduled events) and reminder opt-ins

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", "chat", "scope", name="uq_chat_event"),
    )
    op.create_index("ix_chat_events_item_id", "chat_events", ["item_id"])
    op.create_table(
        "reminder_optins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", "chat", "user_id", name="uq_reminder_optin"),
    )
    op.create_index("ix_reminder_optins_item_id", "reminder_optins", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_reminder_optins_item_id", table_name="reminder_optins")
    op.drop_table("reminder_optins")
    op.drop_index("ix_chat_events_item_id", table_name="chat_events")
    op.drop_table("chat_events")
