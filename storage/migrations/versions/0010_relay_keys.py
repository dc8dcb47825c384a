"""The built-in relay's stream key per broadcast (encrypted, and its hash for look-ups)

Revision ID: 0010
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("livestreams") as batch:
        batch.add_column(sa.Column("relay_key_enc", sa.Text(), nullable=True))
        batch.add_column(sa.Column("relay_key_hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_livestreams_relay_key_hash", ["relay_key_hash"])


def downgrade() -> None:
    with op.batch_alter_table("livestreams") as batch:
        batch.drop_index("ix_livestreams_relay_key_hash")
        batch.drop_column("relay_key_hash")
        batch.drop_column("relay_key_enc")
