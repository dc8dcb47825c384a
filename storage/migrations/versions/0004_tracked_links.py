"""tracked links, their clicks and watch pages

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracked_links",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", "platform", name="uq_tracked_link_platform"),
    )
    op.create_index("ix_tracked_links_item_id", "tracked_links", ["item_id"])
    op.create_table(
        "link_clicks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.String(length=43), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["tracked_links.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_clicks_item_id", "link_clicks", ["item_id"])
    op.create_table(
        "watch_pages",
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
        sa.UniqueConstraint("item_kind", "item_id", name="uq_watch_page_item"),
    )


def downgrade() -> None:
    op.drop_table("watch_pages")
    op.drop_index("ix_link_clicks_item_id", table_name="link_clicks")
    op.drop_table("link_clicks")
    op.drop_index("ix_tracked_links_item_id", table_name="tracked_links")
    op.drop_table("tracked_links")
