"""poll votes as rows that refer to the resident, not an unsalted hash of their Telegram id

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00

The open polls' votes were kept in ``group_poll.votes["by"]`` under
blake2b(poll id + Telegram id): anyone with the database could tell who voted what,
and neither export nor forget could find them. Each becomes a ``poll_vote`` row;
the hashes are matched against the residents (the only way back), a vote nobody
matches stays counted without a person.
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _voter(poll_id: str, telegram_id: int) -> str:
    """The old pseudonym (bot/domain/groups.py before 0006)."""
    return hashlib.blake2b(f"{poll_id}:{telegram_id}".encode(), digest_size=8).hexdigest()


def _tables() -> tuple[sa.Table, sa.Table, sa.Table]:
    meta = sa.MetaData()
    poll = sa.Table(
        "group_poll",
        meta,
        sa.Column("id", sa.Integer),
        sa.Column("poll_id", sa.String),
        sa.Column("options", JSON),
        sa.Column("votes", JSON),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    vote = sa.Table(
        "poll_vote",
        meta,
        sa.Column("id", sa.Integer),
        sa.Column("poll_id", sa.Integer),
        sa.Column("resident_id", sa.Integer),
        sa.Column("options", JSON),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    resident = sa.Table(
        "resident", meta, sa.Column("id", sa.Integer), sa.Column("telegram_id", sa.BigInteger)
    )
    return poll, vote, resident


def upgrade() -> None:
    op.create_table(
        "poll_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("options", JSON, nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["group_poll.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "resident_id"),
    )
    with op.batch_alter_table("poll_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_vote_poll_id"), ["poll_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_vote_resident_id"), ["resident_id"], unique=False)

    poll, vote, resident = _tables()
    bind = op.get_bind()
    open_polls = [
        row
        for row in bind.execute(sa.select(poll).where(poll.c.closed_at.is_(None)))
        if (row.votes or {}).get("by")
    ]
    if not open_polls:
        return
    residents = bind.execute(sa.select(resident.c.id, resident.c.telegram_id)).all()
    now = datetime.now(UTC)
    for row in open_polls:
        by_hash = {_voter(row.poll_id, telegram_id): rid for rid, telegram_id in residents}
        rows = [
            {
                "poll_id": row.id,
                "resident_id": by_hash.get(key),
                "options": [int(i) for i in chosen],
                "at": now,
            }
            for key, chosen in row.votes["by"].items()
        ]
        bind.execute(vote.insert(), rows)
        rest = {k: v for k, v in row.votes.items() if k != "by"}
        bind.execute(poll.update().where(poll.c.id == row.id).values(votes=rest))


def downgrade() -> None:
    poll, vote, resident = _tables()
    bind = op.get_bind()
    found = bind.execute(
        sa.select(
            vote.c.poll_id, vote.c.options, resident.c.telegram_id, poll.c.poll_id.label("tg")
        )
        .join(poll, poll.c.id == vote.c.poll_id)
        .outerjoin(resident, resident.c.id == vote.c.resident_id)
        .order_by(vote.c.id)
    ).all()
    by: dict[int, dict[str, list[int]]] = {}
    for number, (poll_id, options, telegram_id, tg) in enumerate(found):
        key = _voter(tg, telegram_id) if telegram_id is not None else f"anonymous-{number}"
        by.setdefault(poll_id, {})[key] = list(options)
    for poll_id, votes in by.items():
        current = bind.execute(sa.select(poll.c.votes).where(poll.c.id == poll_id)).scalar_one()
        bind.execute(
            poll.update().where(poll.c.id == poll_id).values(votes={**(current or {}), "by": votes})
        )

    with op.batch_alter_table("poll_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_vote_resident_id"))
        batch_op.drop_index(batch_op.f("ix_poll_vote_poll_id"))

    op.drop_table("poll_vote")
