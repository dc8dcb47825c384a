"""Viewer samples (time series while live) and connection problems admins were told about

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "viewer_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("livestream_id", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["livestream_id"], ["livestreams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_viewer_samples_livestream_id", "viewer_samples", ["livestream_id"])
    op.create_table(
        "connection_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_connection_notices_workspace", "connection_notices", ["workspace"])


def downgrade() -> None:
    op.drop_index("ix_connection_notices_workspace", table_name="connection_notices")
    op.drop_table("connection_notices")
    op.drop_index("ix_viewer_samples_livestream_id", table_name="viewer_samples")
    op.drop_table("viewer_samples")
