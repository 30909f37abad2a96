"""Migration 0011_materials adds the outcome table and the calendar sequence of each
action: every existing action stays as it was (sequence 0), and the downgrade keeps them
too; on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from storage.db import Database, alembic_config
from tests.test_poll_vote_migration import _to

REVISION = "0011_materials"


async def test_actions_are_kept_and_count_from_sequence_zero(database_url: str) -> None:
    db = Database(database_url)
    before = ScriptDirectory.from_config(alembic_config(db.url)).get_revision(REVISION)
    assert before is not None and isinstance(before.down_revision, str)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    try:
        await _to(db, before.down_revision)
        async with db.engine.begin() as connection:
            meta = sa.MetaData()
            await connection.run_sync(meta.reflect)
            await connection.execute(
                meta.tables["initiative"].insert(),
                {
                    "id": 1,
                    "title": "Groene Lindelaan",
                    "what": "Tegels eruit",
                    "why": "",
                    "level": "street",
                    "place": "Lindelaan",
                    "theme": "greener",
                    "phase": "grow",
                    "phase_changed_at": now,
                    "invite_token": "tok12345678",
                    "invite_active": True,
                    "households_reached": 0,
                    "households_interested": 0,
                    "households_committed": 0,
                    "wishes_gathered": False,
                    "group_chat_skipped": False,
                    "created_at": now,
                    "last_activity_at": now,
                },
            )
            await connection.execute(
                meta.tables["action"].insert(),
                {
                    "id": 7,
                    "initiative_id": 1,
                    "kind": "action",
                    "title": "Tegelwipdag",
                    "starts_at": now,
                    "place": "Lindelaan 1",
                    "status": "held",
                    "checklist": [],
                    "created_at": now,
                    "link_token": "linktoken1234567",
                    "attended": 23,
                },
            )
        await db.migrate()
        async with db.engine.begin() as connection:
            kept = (
                await connection.execute(
                    sa.text("SELECT id, title, attended, ics_sequence FROM action")
                )
            ).all()
            await connection.execute(
                sa.text(
                    "INSERT INTO outcome (initiative_id, action_id, key, value, source, "
                    "recorded_at) VALUES (1, 7, 'tiles_removed', 140, 'review', :now)"
                ),
                {"now": now},
            )
        assert [tuple(row) for row in kept] == [(7, "Tegelwipdag", 23, 0)]
        await _to(db, before.down_revision, down=True)
        async with db.engine.connect() as connection:
            still = (await connection.execute(sa.text("SELECT id, title FROM action"))).all()
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert [tuple(row) for row in still] == [(7, "Tegelwipdag")]
        assert "outcome" not in tables
    finally:
        await db.close()
