"""Scores on the process scoring bands: each person's current score per area and dimension, the
earlier versions, and the score a team agreed on

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("as_manager", sa.Boolean(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "value >= 0 AND value <= 100 AND value % 5 = 0", name="ck_score_on_scale"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["assessment_round.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "round_id", "person_id", "area_id", "dimension", name="uq_score_round_person_area_dim"
        ),
    )
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_round_id"), ["round_id"], unique=False)
    op.create_table(
        "score_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("replaced_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["score_id"], ["score.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("score_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_revision_score_id"), ["score_id"], unique=False)
    op.create_table(
        "agreed_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("median_then", sa.Float(), nullable=True),
        sa.Column("spread_then", sa.Integer(), nullable=True),
        sa.Column("scorers_then", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "value >= 0 AND value <= 100 AND value % 5 = 0", name="ck_agreed_score_on_scale"
        ),
        sa.ForeignKeyConstraint(["round_id"], ["assessment_round.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "area_id", name="uq_agreed_score_round_area"),
    )
    with op.batch_alter_table("agreed_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreed_score_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agreed_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreed_score_round_id"))
    op.drop_table("agreed_score")
    with op.batch_alter_table("score_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_revision_score_id"))
    op.drop_table("score_revision")
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_round_id"))
        batch_op.drop_index(batch_op.f("ix_score_person_id"))
    op.drop_table("score")
