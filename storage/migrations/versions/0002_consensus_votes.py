"""Consensus votes by team members, and the prompt for opportunities for improvement

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consensus", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("improvements_prompt_message_id", sa.Integer(), nullable=True)
        )
    op.create_table(
        "consensus_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consensus_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("voted_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consensus_id"], ["consensus.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consensus_id", "person_id", name="uq_consensus_vote_person"),
    )
    with op.batch_alter_table("consensus_vote", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consensus_vote_consensus_id"), ["consensus_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consensus_vote_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consensus_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consensus_vote_person_id"))
        batch_op.drop_index(batch_op.f("ix_consensus_vote_consensus_id"))
    op.drop_table("consensus_vote")
    with op.batch_alter_table("consensus", schema=None) as batch_op:
        batch_op.drop_column("improvements_prompt_message_id")
