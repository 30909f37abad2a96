"""SQLite statements run on the event loop's own thread; only a wait for a lock goes to
aiosqlite's thread.

aiosqlite runs every call (execute, fetch, commit) on a thread of its own and hands the
result back through the event loop: two thread switches, a future and a wake-up of the
loop per call, about twenty calls an update. On a local file a statement takes micro- to
milliseconds, far less than the hand-offs: through the engine alone an update cost 4.3 ms
of CPU with them and 2.5 ms without (`benchmarks/engine_updates.py`, SQLite).

What the thread is for is waiting: a statement that must wait for another process's write
lock (another `buurbot` process, a coach's `buurbot broadcast`) would hold up the event
loop for as long as SQLite's busy timeout. So the connection's own busy timeout is 0: a
statement that meets a lock fails at once with SQLITE_BUSY, having done nothing, and is run
again on aiosqlite's thread with the real busy timeout (`WAIT_FOR_LOCK_MS`), off the loop.
Every transaction starts with BEGIN IMMEDIATE (`storage/db.py`), so that statement is the
one that waits; once it holds the write lock nothing else in the transaction meets one.

The price: a statement that is slow by itself (a report over many rows in the web console)
holds up its process's event loop while it runs. The bot's own statements are short; the
web console is a process of its own.

Installed by `connect_inline` for every SQLite engine `storage.db.Database` makes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# How long a statement waits for another process's write lock (on aiosqlite's thread).
WAIT_FOR_LOCK_MS = 10_000


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, its calls run where they are awaited; see the module."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        # Another process holds the lock: wait for it on the thread, off the event loop.
        return await super()._execute(self._waiting_for_lock, fn, args, kwargs)

    async def run(self, sql: str, values: Sequence[Any]) -> sqlite3.Cursor:
        """One statement on the sqlite3 connection itself (`storage.direct`)."""
        return await self._execute(self._conn.execute, sql, values)

    async def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        return await self._execute(self._conn.executemany, sql, rows)

    def _waiting_for_lock(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        self._conn.execute(f"PRAGMA busy_timeout={WAIT_FOR_LOCK_MS}")
        try:
            return fn(*args, **kwargs)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")


def _inline_connection(
    database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any
) -> InlineConnection:
    """`aiosqlite.connect`'s connection, inline; the file opened on aiosqlite's thread."""
    kwargs["check_same_thread"] = False  # used from the loop's thread and, to wait, its own
    kwargs["timeout"] = 0  # the busy timeout: a lock is waited for on the thread

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(str(database), **kwargs)

    connection = InlineConnection(connector, iter_chunk_size)
    connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
    return connection


def connect_inline(engine: AsyncEngine) -> None:
    """Every new connection of this SQLite engine an `InlineConnection`, opened with the
    arguments SQLAlchemy read from the URL."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=_inline_connection, **cparams)
