"""Migration 0007 gives every existing resident a Telegram identity (their id as both the
external id and the address, their consent and announcements choice kept) and its
downgrade drops the table without touching a resident; on both databases. A resident made
after it gets one from the engine on their first visit."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.core.seam import Chat, Incoming, Person, Text
from storage.db import Database
from tests.support.driver import Driver
from tests.test_poll_vote_migration import _to


async def test_every_resident_keeps_a_telegram_identity(database_url: str) -> None:
    db = Database(database_url)
    consented = datetime(2026, 11, 1, 10, tzinfo=UTC)
    try:
        await _to(db, "0006")
        async with db.engine.begin() as connection:
            meta = sa.MetaData()
            await connection.run_sync(meta.reflect)
            resident = meta.tables["resident"]
            common = {
                "language": "nl", "language_chosen": False, "timezone": "Europe/Amsterdam",
                "reminders": "on", "reachable": True, "role": "resident",
                "created_at": consented, "last_seen_at": consented,
            }  # fmt: skip
            await connection.execute(
                resident.insert(),
                [
                    {"id": 5, "telegram_id": 901, "first_name": "Bert", "consented_at": consented,
                     "announcements_opt_in": True, **common},
                    {"id": 6, "telegram_id": 2**40, "first_name": "Cas", "consented_at": None,
                     "announcements_opt_in": False, **common},
                ],
            )  # fmt: skip
        await _to(db, "head")
        async with db.engine.begin() as connection:
            rows = (
                await connection.execute(
                    sa.text(
                        "SELECT resident_id, network, external_id, address, consented_at,"
                        " announcements_opt_in FROM network_identity ORDER BY resident_id"
                    )
                )
            ).all()
        assert [(r[0], r[1], r[2], r[3], bool(r[5])) for r in rows] == [
            (5, "telegram", "901", 901, True),
            (6, "telegram", str(2**40), 2**40, False),
        ]
        assert rows[0][4] is not None and rows[1][4] is None
        await _to(db, "0006", down=True)
        async with db.engine.begin() as connection:
            names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
            count = (await connection.execute(sa.text("SELECT count(*) FROM resident"))).scalar()
        assert "network_identity" not in names and count == 2
    finally:
        await db.engine.dispose()


async def test_a_new_resident_gets_the_identity_of_their_network(driver: Driver) -> None:
    await driver.engine.handle(Incoming(Chat(777), Person(777, "Dirk"), Text("hoi"), 1))
    async with driver.services.db.engine.begin() as connection:
        rows = (
            await connection.execute(
                sa.text(
                    "SELECT r.telegram_id, n.network, n.external_id, n.address"
                    " FROM network_identity n JOIN resident r ON r.id = n.resident_id"
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [(777, "telegram", "777", 777)]
