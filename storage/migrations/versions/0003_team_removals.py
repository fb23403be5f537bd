"""Removals from teams, so an old invite cannot bring a removed person back

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_removal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["removed_by"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "person_id", name="uq_team_removal_person"),
    )
    with op.batch_alter_table("team_removal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_removal_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_team_removal_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_removal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_removal_team_id"))
        batch_op.drop_index(batch_op.f("ix_team_removal_person_id"))
    op.drop_table("team_removal")
