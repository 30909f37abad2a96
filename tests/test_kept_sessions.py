"""Transactions run on sessions kept between them, each on a connection of its own
(`Database._kept_transaction`): each starts as empty as a new session, each commit is
real, anything but a commit lets the session and its connection go so the next starts
fresh; on PostgreSQL no more are kept than the pool keeps, and one idle a while goes back
to the pool, which pings it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Resident

INSERT = "INSERT INTO processed_update (update_id, processed_at) VALUES (:id, CURRENT_TIMESTAMP)"


def checkouts(database: Database) -> list[int]:
    seen: list[int] = []
    event.listen(database.engine.sync_engine.pool, "checkout", lambda *_: seen.append(1))
    return seen


async def committed(database: Database) -> list[int]:
    """What another process sees: only what was committed."""
    other = Database(database.url)
    try:
        async with other.transaction() as session:
            found = await session.execute(text("SELECT update_id FROM processed_update"))
            return sorted(row[0] for row in found)
    finally:
        await other.close()


async def test_one_connection_serves_transaction_after_transaction_and_each_commits(
    db: Database,
) -> None:
    seen = checkouts(db)
    for n in range(5):
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": n})
        assert await committed(db) == list(range(n + 1))  # committed, not just flushed
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
    assert await committed(db) == [1]  # nothing of the failed one
    async with db.transaction() as session:
        await session.execute(text(INSERT), {"id": 3})
    assert await committed(db) == [1, 3]
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
    assert await committed(db) == [6]


async def test_sqlite_transactions_at_once_take_turns_on_the_kept_session(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL runs transactions at once, each on a session of its own")
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
    assert await committed(db) == list(range(20))


async def test_postgres_keeps_no_more_than_the_pool_keeps(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one transaction at a time: one session is kept")
    from storage.db import KEPT_SESSIONS, PG_MAX_OVERFLOW

    many = KEPT_SESSIONS + PG_MAX_OVERFLOW  # every connection the pool may give at once
    release, all_inside = asyncio.Event(), asyncio.Event()
    inside: list[int] = []

    async def one(n: int) -> None:
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": n})
            inside.append(n)
            if len(inside) == many:
                all_inside.set()
            await release.wait()

    tasks = [asyncio.create_task(one(n)) for n in range(many)]
    await asyncio.wait_for(all_inside.wait(), 30)
    release.set()
    await asyncio.gather(*tasks)
    assert len(db._kept) == KEPT_SESSIONS
    assert db.engine.sync_engine.pool.checkedout() == KEPT_SESSIONS  # the rest went back
    assert await committed(db) == list(range(many))


async def test_postgres_gives_a_session_idle_a_while_back_to_the_pool(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite's connection is a file: nothing to ping")
    import storage.db as storage_db

    async with db.transaction() as session:
        await session.execute(text(INSERT), {"id": 1})
    seen = checkouts(db)
    async with db.transaction() as session:  # used a moment ago: kept
        await session.execute(text(INSERT), {"id": 2})
    assert seen == []
    monkeypatch.setattr(storage_db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle
    async with db.transaction() as session:  # back to the pool, taken again (and pinged)
        await session.execute(text(INSERT), {"id": 3})
    assert len(seen) == 1
    assert await committed(db) == [1, 2, 3]


async def test_a_transaction_ending_after_close_lets_its_session_go(db: Database) -> None:
    """Shutting down while a transaction runs: its session is not kept after `close`, so no
    connection is left open for the garbage collector to find."""
    began, release = asyncio.Event(), asyncio.Event()

    drivers: list[Any] = []

    async def late() -> None:
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": 9})
            drivers.append(
                (await (await session.connection()).get_raw_connection()).driver_connection
            )
            began.set()
            await release.wait()

    task = asyncio.create_task(late())
    await began.wait()
    await db.close()
    release.set()
    await task
    assert db._kept == []
    # Closed, not left open in the pool that `close` disposed of.
    (driver,) = drivers
    assert driver.is_closed() if hasattr(driver, "is_closed") else driver._connection is None
    assert await committed(db) == [9]
