"""linking networks: one-time link codes and wrong tries; WhatsApp list pages

Revision ID: wa_0012_link
Revises: 0007_waruntime
Create Date: 2026-12-03 17:30:00

A person who uses Buurbot on Telegram and WhatsApp links the two with a one-time code
(bot/flows/link.py): ``link_code`` keeps the code's hash, where it was given and until
when it works; ``link_attempt`` counts the wrong codes someone typed (a few an hour).
``list_page`` keeps a long WhatsApp list's pages, so that "More…" works after a restart.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

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
    op.create_table(
        "list_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.BigInteger(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("list_button", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "pages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "key"),
    )
    with op.batch_alter_table("list_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_page_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_list_page_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("list_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_page_created_at"))
        batch_op.drop_index(batch_op.f("ix_list_page_address"))
    op.drop_table("list_page")
    with op.batch_alter_table("link_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_attempt_resident_id"))
    op.drop_table("link_attempt")
    with op.batch_alter_table("link_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_code_resident_id"))
        batch_op.drop_index(batch_op.f("ix_link_code_code_hash"))
    op.drop_table("link_code")
