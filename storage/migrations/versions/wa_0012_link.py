"""linking networks: one-time link codes and wrong tries; WhatsApp list pages

Revision ID: wa_0012_link
Revises: 0007_waruntime
Create Date: 2026-12-03 17:30:00

A person who uses Buurbot on Telegram and WhatsApp links the two with a one-time code
(bot/flows/link.py): ``link_code`` keeps the code's hash, where it was given and until
when it works; ``link_attempt`` counts the wrong codes someone typed (a few an hour).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "wa_0012_link"
down_revision: str | None = "0007_waruntime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("link_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_code_code_hash"), ["code_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_link_code_resident_id"), ["resident_id"], unique=False
        )
    op.create_table(
        "link_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("link_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_attempt_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("link_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_attempt_resident_id"))
    op.drop_table("link_attempt")
    with op.batch_alter_table("link_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_code_resident_id"))
        batch_op.drop_index(batch_op.f("ix_link_code_code_hash"))
    op.drop_table("link_code")
