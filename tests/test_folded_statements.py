"""An update's fixed statements folded on PostgreSQL (storage/queries.py), where each is a
round trip: the id's claim with the locked read of the resident and the conversation
(`ClaimThenRead`), and the transaction's last writes in one statement (`write_together`).
The same outcomes on SQLite, statement by statement."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import bindparam, delete, event, select, update
from sqlalchemy.exc import DBAPIError

from bot.core.engine import _CLAIM_THEN_RESIDENT_AND_CONVERSATION as CLAIM_THEN_READ
from bot.core.engine import _SAVE_CONVERSATION
from bot.core.replies import _INSERT as WRITE_ROW
from bot.core.seam import Incoming, Text
from bot.core.services import Services
from storage.db import Database
from storage.direct import Direct
from storage.models import Conversation, ProcessedUpdate, ReplyOutbox, Resident
from storage.queries import (
    UPDATE_ID_WINDOW,
    ClaimThenRead,
    _insert_ignore_direct,
    insert_ignore,
    table_of,
    write_together,
)
from tests.test_reply_outbox import CoreDriver, rows

OUTBOX = table_of(ReplyOutbox)
NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
FORGET_ROW = Direct(delete(OUTBOX).where(OUTBOX.c.update_id == bindparam("forget")))


async def anna(db: Database) -> tuple[int, int]:
    """Anna (telegram id 1) and her conversation in chat 1: their row ids."""
    async with db.transaction() as session:
        person = Resident(telegram_id=1, first_name="Anna")
        session.add(person)
        await session.flush()
        conversation = Conversation(chat_id=1, resident_id=person.id or 0, data={})
        session.add(conversation)
        await session.flush()
        return person.id or 0, conversation.id or 0


def keys(telegram_id: int = 1, chat_id: int = 1) -> dict[str, int]:
    return {"telegram_id": telegram_id, "chat_id": chat_id}


@contextmanager
def sent(db: Database) -> Iterator[list[str]]:
    """The statements sent inside the block, but a transaction's own (BEGIN, COMMIT)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT")):
            seen.append(" ".join(statement.split()).upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_a_claimed_update_reads_its_row_and_a_redelivery_neither_reads_nor_writes(
    db: Database,
) -> None:
    person_id, conversation_id = await anna(db)
    async with db.transaction() as session:
        claimed, found = await CLAIM_THEN_READ.first(session, 501, NOW, keys())
    assert claimed and found is not None
    assert (found[0], found[1], found[17]) == (person_id, 1, conversation_id)
    assert found[22] == {}  # the conversation's data, as SQLAlchemy reads it
    with sent(db) as seen:
        async with db.transaction() as session:
            again = await CLAIM_THEN_READ.first(session, 501, NOW + timedelta(hours=1), keys())
    assert again == (False, None)
    # One statement on PostgreSQL (the claim and the guarded read), the claim on SQLite.
    (decided,) = seen
    assert decided.count("INSERT INTO PROCESSED_UPDATE") == 1
    async with db.transaction() as session:
        (seen_at,) = (await session.execute(select(ProcessedUpdate.processed_at))).scalars()
    assert seen_at.replace(tzinfo=UTC) == NOW  # the redelivery wrote nothing
    async with db.transaction() as session:
        stranger = await CLAIM_THEN_READ.first(session, 502, NOW, keys(telegram_id=2))
        elsewhere = await CLAIM_THEN_READ.first(session, 503, NOW, keys(chat_id=2))
    assert stranger == elsewhere == (True, None)  # claimed: the slow path finds or creates
    # An id seen only before the window is a new update (Telegram restarted its ids).
    later = NOW + UPDATE_ID_WINDOW + timedelta(minutes=1)
    async with db.transaction() as session:
        claimed, found = await CLAIM_THEN_READ.first(session, 501, later, keys())
    assert claimed and found is not None and found[0] == person_id


@pytest.mark.postgres
async def test_the_claimed_read_locks_both_rows_and_a_redelivery_locks_neither(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("row locks are PostgreSQL's")
    person_id, conversation_id = await anna(db)
    other = await asyncpg.connect(db.url.replace("+asyncpg", ""))

    async def locked(table: str, row_id: int) -> bool:
        try:
            async with other.transaction():
                await other.execute(
                    f"SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE NOWAIT", row_id
                )
        except asyncpg.LockNotAvailableError:
            return True
        return False

    try:
        async with db.transaction() as session:
            claimed, _found = await CLAIM_THEN_READ.first(session, 601, NOW, keys())
            assert claimed
            assert await locked("resident", person_id)
            assert await locked("conversation", conversation_id)
        async with db.transaction() as session:
            assert await CLAIM_THEN_READ.first(session, 601, NOW, keys()) == (False, None)
            assert not await locked("resident", person_id)
            assert not await locked("conversation", conversation_id)
    finally:
        await other.close()


async def test_the_claim_rolls_back_with_its_transaction(db: Database) -> None:
    await anna(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            assert (await CLAIM_THEN_READ.first(session, 701, NOW, keys()))[0]
            raise RuntimeError("the update failed")
    async with db.transaction() as session:
        assert (await CLAIM_THEN_READ.first(session, 701, NOW, keys()))[0]


def test_a_read_may_not_name_a_parameter_as_the_claim_does() -> None:
    read = select(OUTBOX.c.id).where(OUTBOX.c.update_id == bindparam("update_id"))
    with pytest.raises(ValueError, match="update_id"):
        ClaimThenRead(read)


def outbox_row(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "chat_id": 1,
        "person_id": 1,
        "actions": [{"send": "hallo"}],
        "claimed_at": NOW,
    }


async def outbox_ids(db: Database) -> list[int]:
    async with db.transaction() as session:
        return sorted((await session.execute(select(OUTBOX.c.update_id))).scalars())


async def test_writes_together_are_one_statement_on_postgresql(db: Database) -> None:
    _person_id, conversation_id = await anna(db)
    async with db.transaction() as session:
        await write_together(session, [(WRITE_ROW, outbox_row(1))])
    save = {
        "conversation_id": conversation_id,
        "new_flow": "idea",
        "new_step": "title",
        "new_data": {"draft": "Bankjes"},
        "new_updated_at": NOW,
    }
    writes = [(_SAVE_CONVERSATION, save), (FORGET_ROW, {"forget": 1}), (WRITE_ROW, outbox_row(2))]
    with sent(db) as seen:
        async with db.transaction() as session:
            await write_together(session, writes)
    assert len(seen) == (3 if db.is_sqlite else 1)
    assert await outbox_ids(db) == [2]
    async with db.transaction() as session:
        saved = (await session.execute(select(Conversation))).scalar_one()
    assert (saved.flow, saved.step, saved.data) == ("idea", "title", {"draft": "Bankjes"})
    # Rolled back together with their transaction.
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await write_together(session, [(FORGET_ROW, {"forget": 2}), (WRITE_ROW, outbox_row(3))])
            raise RuntimeError("the update failed")
    assert await outbox_ids(db) == [2]
    # A refused write (update_id is unique) refuses them all.
    with pytest.raises(DBAPIError):
        async with db.transaction() as session:
            moved = {**save, "new_step": "summary"}
            await write_together(session, [(_SAVE_CONVERSATION, moved), (WRITE_ROW, outbox_row(2))])
    async with db.transaction() as session:
        assert (await session.execute(select(Conversation.step))).scalar_one() == "title"


async def test_writes_together_must_name_their_parameters_apart(db: Database) -> None:
    """Refused on SQLite too, where they are not folded: a clash shows in any test run."""
    clash = Direct(
        update(OUTBOX).where(OUTBOX.c.update_id == bindparam("update_id")).values(attempts=1)
    )
    with pytest.raises(ValueError, match="apart"):
        async with db.transaction() as session:
            await write_together(session, [(clash, {"update_id": 1}), (WRITE_ROW, outbox_row(1))])


async def test_a_known_persons_update_is_two_statements_on_postgresql(
    services: Services,
) -> None:
    """BEGIN, the claim with the read, the writes (the conversation, the reply row, the
    delete of the reply delivered before it), COMMIT: four round trips, from seven."""
    driver = CoreDriver(services)
    driver.core.replies._done.within = 3600  # the delete waits for the next update
    bram = driver.person("Bram", "nl")
    await bram.command("start")
    with sent(services.db) as seen:
        await bram.send("Bram", update_id=9101)  # his name: the conversation moves on
    fixed = [
        sql
        for sql in seen
        if any(
            part in sql
            for part in ("PROCESSED_UPDATE", "RESIDENT JOIN", "CONVERSATION SET", "REPLY_OUTBOX")
        )
    ]  # not the flow's own (her name is the resident's)
    if services.db.is_sqlite:
        # The claim, the read, the delete, the save and the reply row, one by one.
        assert len(fixed) == 5, fixed
    else:
        assert len(fixed) == 2, fixed
        claim, written = fixed
        assert "INSERT INTO PROCESSED_UPDATE" in claim and "FOR UPDATE" in claim
        assert "UPDATE CONVERSATION SET" in written and "DELETE FROM REPLY_OUTBOX" in written
    assert [row.update_id for row in await rows(services)] == [9101]
    await driver.core.drain()


async def test_a_redelivered_update_writes_nothing_but_carries_the_delivered_deletes(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """A skipped update writes no reply row, but the deletes its transaction took along
    (of replies delivered before it) are not lost: they run at its end."""
    driver = CoreDriver(services)
    replies = driver.core.replies
    replies._done.within = 3600
    bram = driver.person("Bram", "nl")
    await bram.send("hallo", update_id=9201)
    await bram.send("Bram", update_id=9202)
    assert [row.update_id for row in await rows(services)] == [9202]  # 9201's went along
    assert replies._done.waiting == 1
    async with services.db.transaction() as session:
        before = (await session.execute(select(Conversation))).scalar_one()
    with caplog.at_level(logging.WARNING, logger="bot.core.engine"):
        redelivered = Incoming(bram.chat, bram.who, Text("Bram"), 9202)
        assert await driver.core.engine.handle(redelivered) == []
    assert "update 9202 was handled before; skipped" in caplog.text
    assert await rows(services) == []  # 9202's delivered row went with it; nothing new
    assert replies._done.waiting == 0 and not replies.in_flight
    async with services.db.transaction() as session:
        after = (await session.execute(select(Conversation))).scalar_one()
    assert (after.step, after.updated_at) == (before.step, before.updated_at)


async def test_insert_ignore_runs_straight_on_the_driver_with_the_columns_defaults(
    db: Database,
) -> None:
    """A first visit's inserts skip SQLAlchemy's execution: one statement each, no primary
    key fetched back, the columns' own defaults (language, reachable, not opted in, ...)
    filled in as SQLAlchemy's execution would (a function's default keeps it there)."""
    bea = {"telegram_id": 5, "first_name": "Bea", "created_at": NOW, "last_seen_at": NOW}
    with sent(db) as statements:
        async with db.transaction() as session:
            new = await insert_ignore(session, Resident, **bea)
            again = await insert_ignore(session, Resident, **bea)
    assert (new, again) == (True, False)
    assert len(statements) == 2, statements
    assert all(s.startswith("INSERT INTO RESIDENT") and "RETURNING" not in s for s in statements), (
        statements
    )
    async with db.transaction() as session:
        bea = (
            await session.execute(select(Resident).where(Resident.telegram_id == 5))
        ).scalar_one()
    assert (bea.reachable, bea.announcements_opt_in, bea.language_chosen) == (True, False, False)
    assert (bea.first_name, bea.language, bea.reminders) == ("Bea", "nl", "on")


def test_a_default_only_sqlalchemy_can_compute_keeps_the_insert_in_sqlalchemy() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=len)
    )
    assert _insert_ignore_direct("sqlite", table, ("id",)) is None
    assert _insert_ignore_direct("sqlite", table, ("id", "n")) is not None
