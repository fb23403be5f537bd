"""Several attachments per answer: a table of them instead of one set of columns on the answer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("answer_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_attachment_answer_id"), ["answer_id"], unique=False
        )
    # Each answer's one attachment so far becomes its first row.
    op.execute(
        "INSERT INTO answer_attachment (answer_id, kind, file_id, name, added_at) "
        "SELECT id, COALESCE(attachment_kind, 'document'), attachment_file_id, attachment_name, "
        "updated_at FROM answer WHERE attachment_file_id IS NOT NULL"
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("attachment_name")
        batch_op.drop_column("attachment_file_id")
        batch_op.drop_column("attachment_kind")


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attachment_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "attachment_file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "attachment_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
            )
        )
    # The columns hold one file: the latest of each answer goes back there.
    op.execute(
        "UPDATE answer SET attachment_kind = a.kind, attachment_file_id = a.file_id, "
        "attachment_name = a.name FROM answer_attachment a WHERE a.id = ("
        "SELECT MAX(b.id) FROM answer_attachment b WHERE b.answer_id = answer.id)"
    )
    with op.batch_alter_table("answer_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_attachment_answer_id"))
    op.drop_table("answer_attachment")
