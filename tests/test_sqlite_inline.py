"""SQLite's statements on the event loop's thread, a wait for another process's lock on
aiosqlite's (storage/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.sqlite_inline import InlineConnection

HELD_FOR = 0.6  # seconds another process keeps the write lock


async def _statement_threads(db: Database) -> tuple[set[int], list[str]]:
    """Trace every statement of the connection transactions run on (SQLite's one, kept
    between them): on which thread it ran."""
    threads: set[int] = set()
    statements: list[str] = []

    def trace(statement: str) -> None:
        threads.add(threading.get_ident())
        statements.append(statement)

    async with db.transaction() as session:
        raw = await (await session.connection()).get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, InlineConnection)
        driver._conn.set_trace_callback(trace)
    return threads, statements


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    await database.migrate()
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, words TEXT)"))
    yield database
    await database.close()


async def test_a_transaction_runs_on_the_event_loops_thread(db: Database) -> None:
    threads, statements = await _statement_threads(db)
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO note (words) VALUES ('hallo')"))
        rows = (await session.execute(text("SELECT words FROM note"))).scalars().all()
    assert rows == ["hallo"]
    assert any(s.startswith("BEGIN IMMEDIATE") for s in statements), statements
    assert threads == {threading.get_ident()}


async def test_another_process_lock_is_waited_for_off_the_event_loop(
    db: Database, tmp_path: Path
) -> None:
    threads, statements = await _statement_threads(db)
    locked, release = threading.Event(), threading.Event()

    def other_process() -> None:  # another writer on the same file: its own connection
        other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO note (words) VALUES ('eerst')")
        locked.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=other_process)
    holder.start()
    assert await asyncio.to_thread(locked.wait, 10)
    asyncio.get_running_loop().call_later(HELD_FOR, release.set)

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO note (words) VALUES ('daarna')"))
    finally:
        ticking.cancel()
    await asyncio.to_thread(holder.join, 10)

    # The loop kept running while the transaction waited for the lock ...
    assert ticks >= HELD_FOR / 0.01 / 3, ticks
    # ... which was waited for on aiosqlite's thread, the rest on the loop's.
    assert len(threads) == 2 and threading.get_ident() in threads
    async with db.transaction() as session:
        words = (await session.execute(text("SELECT words FROM note ORDER BY id"))).scalars()
        assert list(words) == ["eerst", "daarna"]
    # Back on the loop with no busy timeout: the next lock is again waited for on the thread.
    async with db.engine.connect() as connection:
        busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert busy == 0
    assert statements.count("BEGIN IMMEDIATE") >= 2  # once refused at once, once waited
