"""update inbox: polled updates stored before their offset is confirmed

Revision ID: inbox_0013
Revises: wa_0012_link
Create Date: 2026-12-04 14:30:00

Polling stores each getUpdates batch in ``update_inbox`` in one transaction, confirms it to
Telegram at the next getUpdates, and deletes a row once its update was handled; a crash
leaves the rest for the next start (bot/runtimes/polling.py). A new table: no row changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "inbox_0013"
down_revision: str | None = "wa_0012_link"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )


def downgrade() -> None:
    op.drop_table("update_inbox")
