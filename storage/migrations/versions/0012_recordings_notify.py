"""Recording links of ended broadcasts and meetings, and admins' notification preferences

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("passcode_required", sa.Boolean(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", "platform", "url", name="uq_recording_link"),
    )
    op.create_index("ix_recording_links_workspace", "recording_links", ["workspace"])
    op.create_index("ix_recording_links_item_id", "recording_links", ["item_id"])
    op.create_table(
        "notify_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("chat", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kinds", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace", "chat", "user_id", name="uq_notify_preference"),
    )
    op.create_index("ix_notify_preferences_workspace", "notify_preferences", ["workspace"])


def downgrade() -> None:
    op.drop_index("ix_notify_preferences_workspace", table_name="notify_preferences")
    op.drop_table("notify_preferences")
    op.drop_index("ix_recording_links_item_id", table_name="recording_links")
    op.drop_index("ix_recording_links_workspace", table_name="recording_links")
    op.drop_table("recording_links")
