"""Migration 0006 turns the open polls' hashed votes into rows that refer to the
resident, keeping every vote (one nobody matches stays counted without a person),
and its downgrade brings the hashes back; on both databases."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from storage.db import Database, alembic_config


def _old_key(poll_id: str, telegram_id: int) -> str:
    return hashlib.blake2b(f"{poll_id}:{telegram_id}".encode(), digest_size=8).hexdigest()


def _json(value: Any) -> Any:
    """JSON as PostgreSQL gives it (decoded) or SQLite through plain SQL (text)."""
    return json.loads(value) if isinstance(value, str) else value


async def _to(db: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: sa.Connection) -> None:
        from alembic import command

        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(run)


async def test_hashed_votes_become_rows_and_come_back(database_url: str) -> None:
    db = Database(database_url)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    open_votes = {"by": {_old_key("poll-7", 901): [0, 1], "0123456789abcdef": [1]}}
    closed_votes = {"counts": [2, 0], "voters": 2}
    try:
        await _to(db, "0002")
        async with db.engine.begin() as connection:
            meta = sa.MetaData()
            await connection.run_sync(meta.reflect)
            resident, poll = meta.tables["resident"], meta.tables["group_poll"]
            base = {"language": "nl", "language_chosen": False, "timezone": "Europe/Amsterdam"}
            person = {"announcements_opt_in": False, "reminders": "on", "reachable": True}
            await connection.execute(
                resident.insert(),
                [
                    {
                        "id": 5,
                        "telegram_id": 901,
                        "first_name": "Bert",
                        **base,
                        **person,
                        "role": "resident",
                        "created_at": now,
                        "last_seen_at": now,
                    },
                    {
                        "id": 6,
                        "telegram_id": 902,
                        "first_name": "Dirk",
                        **base,
                        **person,
                        "role": "resident",
                        "created_at": now,
                        "last_seen_at": now,
                    },
                ],
            )
            common = {"chat_id": -1001, "options": ["za", "zo"], "closes_at": now}
            await connection.execute(
                poll.insert(),
                [
                    {
                        "id": 1,
                        "poll_id": "poll-7",
                        "message_id": 7,
                        "question": "Welke dag?",
                        "votes": open_votes,
                        **common,
                    },
                    {
                        "id": 2,
                        "poll_id": "poll-8",
                        "message_id": 8,
                        "question": "Hoe laat?",
                        "votes": closed_votes,
                        "closed_at": now,
                        **common,
                    },
                ],
            )

        await db.migrate()
        async with db.engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT poll_id, resident_id, options FROM poll_vote ORDER BY id")
                )
            ).all()
            votes = dict(
                (await connection.execute(sa.text("SELECT id, votes FROM group_poll"))).all()
            )
        assert sorted((poll_id, str(who), _json(options)) for poll_id, who, options in rows) == [
            (1, "5", [0, 1]),
            (1, "None", [1]),
        ]
        assert {ident: _json(value) for ident, value in votes.items()} == {1: {}, 2: closed_votes}

        await _to(db, "0002", down=True)
        async with db.engine.connect() as connection:
            back = dict(
                (await connection.execute(sa.text("SELECT id, votes FROM group_poll"))).all()
            )
        assert _json(back[2]) == closed_votes
        by = _json(back[1])["by"]
        assert by[_old_key("poll-7", 901)] == [0, 1]
        assert sorted(by.values()) == [[0, 1], [1]]
    finally:
        await db.close()
