"""A typed key theme waits in action_event too: its action_id may be empty; waits by person

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_event", schema=None) as batch_op:
        batch_op.alter_column("action_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_action_event_person_kind", ["person_id", "kind"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM action_event WHERE action_id IS NULL")
    with op.batch_alter_table("action_event", schema=None) as batch_op:
        batch_op.drop_index("ix_action_event_person_kind")
        batch_op.alter_column("action_id", existing_type=sa.Integer(), nullable=False)
