"""The transactional inbox: received updates wait here until a worker has handled them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("claimed_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dead_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id"),
    )
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_update_chat_key_update_id", ["chat_key", "update_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_update_chat_key_update_id")
    op.drop_table("inbox_update")
