"""SQLite's transactions run one at a time on one session and connection kept between them
(`Database._held_transaction`): each starts as empty as a new session, each commit is
real, and anything but a commit lets both go so the next starts fresh."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Resident

INSERT = "INSERT INTO processed_update (update_id, processed_at) VALUES (:id, CURRENT_TIMESTAMP)"


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'held.db'}")
    await database.migrate()
    yield database
    await database.close()


def checkouts(database: Database) -> list[int]:
    seen: list[int] = []
    event.listen(database.engine.sync_engine.pool, "checkout", lambda *_: seen.append(1))
    return seen


def update_ids(path: str) -> list[int]:
    """What another connection (another process) sees: only what was committed."""
    with sqlite3.connect(path) as other:
        return [row[0] for row in other.execute("SELECT update_id FROM processed_update")]


def file_of(database: Database) -> str:
    return database.engine.url.database or ""


async def test_one_connection_serves_transaction_after_transaction_and_each_commits(
    db: Database,
) -> None:
    seen = checkouts(db)
    for n in range(5):
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": n})
        assert update_ids(file_of(db)) == list(range(n + 1))  # committed, not just flushed
    assert len(seen) == 1  # taken from the pool once, kept


async def test_each_transaction_starts_as_empty_as_a_new_session(db: Database) -> None:
    async with db.transaction() as session:
        anna = Resident(telegram_id=7, first_name="Anna")
        session.add(anna)
        session.info["render"] = "for this transaction only"
    async with db.transaction() as session:
        assert session.info == {}
        assert list(session.identity_map.values()) == []
        assert anna not in session
        loaded = (await session.execute(select(Resident))).scalar_one()
        assert loaded is not anna and loaded.first_name == "Anna"
    assert anna.first_name == "Anna"  # detached as after a closed session, still readable


async def test_an_error_rolls_back_and_the_next_transaction_starts_on_a_fresh_connection(
    db: Database,
) -> None:
    seen = checkouts(db)
    async with db.transaction() as session:
        await session.execute(text(INSERT), {"id": 1})
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": 2})
            await session.execute(text(INSERT), {"id": 1})  # already there
    assert update_ids(file_of(db)) == [1]  # nothing of the failed one
    async with db.transaction() as session:
        await session.execute(text(INSERT), {"id": 3})
    assert update_ids(file_of(db)) == [1, 3]
    assert len(seen) == 2  # let go after the error, a fresh one taken


async def test_a_cancelled_transaction_leaves_nothing_and_the_next_one_works(
    db: Database,
) -> None:
    began = asyncio.Event()

    async def interrupted() -> None:
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": 5})
            began.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(interrupted())
    await began.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction() as session:
        await session.execute(text(INSERT), {"id": 6})
    assert update_ids(file_of(db)) == [6]


async def test_transactions_at_once_take_turns_on_the_kept_session(db: Database) -> None:
    inside = 0
    most = 0

    async def one(n: int) -> None:
        nonlocal inside, most
        async with db.transaction() as session:
            inside += 1
            most = max(most, inside)
            await session.execute(text(INSERT), {"id": n})
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(one(n) for n in range(20)))
    assert most == 1
    assert sorted(update_ids(file_of(db))) == list(range(20))
