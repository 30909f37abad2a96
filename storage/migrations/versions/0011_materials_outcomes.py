"""outcomes counted where they happen, and the calendar file's sequence per action

Revision ID: 0011_materials
Revises: 0010_web_programmes
Create Date: 2026-12-03 14:30:00

A new table (``outcome``) and a new column with a default (``action.ics_sequence``,
0 for every existing action): no existing row changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_materials"
down_revision: str | None = "0010_web_programmes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("review", "door", name="outcomesource", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["resident.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_action_id"), ["action_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outcome_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outcome_recorded_by_id"), ["recorded_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outcome_recorded_at"), ["recorded_at"], unique=False)
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ics_sequence", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("ics_sequence")
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_outcome_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_initiative_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_action_id"))
    op.drop_table("outcome")
