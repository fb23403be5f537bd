"""Criteria packs sent in the chat: their YAML, who sent them, which teams may use them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uploaded_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uploaded_by", "pack_id", "version", name="uq_uploaded_pack_version"),
    )
    with op.batch_alter_table("uploaded_pack", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_uploaded_pack_uploaded_by"), ["uploaded_by"], unique=False
        )
    op.create_table(
        "uploaded_pack_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_row_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pack_row_id"], ["uploaded_pack.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_row_id", "team_id", name="uq_uploaded_pack_team"),
    )
    with op.batch_alter_table("uploaded_pack_team", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_uploaded_pack_team_pack_row_id"), ["pack_row_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_uploaded_pack_team_team_id"), ["team_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("uploaded_pack_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploaded_pack_team_team_id"))
        batch_op.drop_index(batch_op.f("ix_uploaded_pack_team_pack_row_id"))
    op.drop_table("uploaded_pack_team")
    with op.batch_alter_table("uploaded_pack", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploaded_pack_uploaded_by"))
    op.drop_table("uploaded_pack")
