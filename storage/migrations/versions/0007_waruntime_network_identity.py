"""network identities: who a person is on each network (Telegram, WhatsApp)

Revision ID: 0007_waruntime
Revises: 0006
Create Date: 2026-12-03 14:30:00

Every resident so far came through Telegram (or the console, which uses the same ids):
each gets a ``telegram`` identity whose external id and address are their Telegram id,
with their consent and announcements choice, so nothing about anyone is lost. WhatsApp
identities are added by the WhatsApp runtime as people write.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_waruntime"
down_revision: str | None = "perf_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("address", sa.BigInteger(), nullable=False),
        sa.Column("consented_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("announcements_opt_in", sa.Boolean(), nullable=False),
        sa.Column("last_inbound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network", "external_id"),
    )
    with op.batch_alter_table("network_identity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_identity_address"), ["address"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_network_identity_resident_id"), ["resident_id"], unique=False
        )
    op.execute(
        "INSERT INTO network_identity (resident_id, network, external_id, address,"
        " consented_at, announcements_opt_in, last_inbound_at, created_at)"
        " SELECT id, 'telegram', CAST(telegram_id AS VARCHAR(64)), telegram_id,"
        " consented_at, announcements_opt_in, last_seen_at, created_at FROM resident"
    )


def downgrade() -> None:
    with op.batch_alter_table("network_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_identity_resident_id"))
        batch_op.drop_index(batch_op.f("ix_network_identity_address"))
    op.drop_table("network_identity")
