"""the pacer's buckets, shared by every process that sends with one bot token

Revision ID: perf_0007
Revises: 0006
Create Date: 2026-12-03 14:40:00

Telegram's limits are per bot token, whatever the number of processes. With PostgreSQL
and no Redis, the processes share their pacer's buckets as rows of ``pacer_bucket``
(scheduler/shared_limits.py). On PostgreSQL the table is UNLOGGED: it is rewritten many
times a second and nothing in it needs to survive a crash. SQLite gets the table too (the
schema is one), unused: there one process sends.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "perf_0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "pacer_bucket",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
        prefixes=["UNLOGGED"] if postgres else [],
    )


def downgrade() -> None:
    op.drop_table("pacer_bucket")
