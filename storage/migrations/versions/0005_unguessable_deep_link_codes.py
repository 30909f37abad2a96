"""unguessable deep-link codes for groups and actions

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03 12:00:00

The deep links group-<code> and gname-<code> carried a group's chat id (base 36) and an
action's id: anyone could count through them. Each row gets a random token instead.
Links already out there (old buttons in groups) keep working for the people they are for:
bot/domain/groups.py still reads the old format, behind the same membership check.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("group_chat", "action")


def _token() -> str:
    return secrets.token_urlsafe(12)  # as storage.models.new_link_token, frozen here


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("link_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
            )
    connection = op.get_bind()
    for table in TABLES:
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("link_token", sa.String))
        ids = connection.execute(sa.select(rows.c.id)).scalars().all()
        for row_id in ids:
            connection.execute(rows.update().where(rows.c.id == row_id).values(link_token=_token()))
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "link_token",
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_link_token"), ["link_token"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_link_token"))
            batch_op.drop_column("link_token")
