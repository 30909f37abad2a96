"""The database: an async engine, transactions, and migrations.

SQLite is the embedded default. It has one writer at a time, so every
transaction starts with BEGIN IMMEDIATE (taking the write lock up front; the
busy timeout then queues other processes) and, inside one process, writers
queue on an asyncio lock instead of spinning in SQLite's busy handler. Its
statements run on the event loop's thread, a wait for another process's lock
on aiosqlite's (`storage.sqlite_inline`).
PostgreSQL serialises per row (SELECT ... FOR UPDATE) and needs neither.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState
from sqlalchemy.util import await_only

from storage.direct import announce
from storage.sqlite_inline import InlineConnection, connect_inline

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL connections in the pool, and transactions at once in this process.
PG_POOL_SIZE, PG_MAX_OVERFLOW = 10, 10
# Sessions kept between transactions (`Database._kept_transaction`): SQLite has one
# transaction at a time; on PostgreSQL no more than the pool keeps connections.
KEPT_SESSIONS = PG_POOL_SIZE


class DatabaseUnavailable(Exception):
    """The database cannot be reached now; the caller answers kindly and retries later."""


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # No busy_timeout here: it is 0 on the event loop's thread, and a statement that meets
        # another process's lock waits for it on aiosqlite's (`storage.sqlite_inline`).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # On the driver itself (an `InlineConnection`): through `exec_driver_sql` this one
        # statement cost a tenth of an empty transaction's CPU.
        driver = connection.connection.driver_connection
        assert isinstance(driver, InlineConnection)  # every connection of ours (connect_inline)
        announce(connection, "BEGIN IMMEDIATE", ())
        try:
            await_only(driver.run("BEGIN IMMEDIATE", ()))
        except sqlite3.Error as error:
            raise OperationalError("BEGIN IMMEDIATE", None, error) from error


_ENDED = "buurbot_transaction_ended"


def _skip_needless_reset(engine: AsyncEngine) -> None:
    """Roll a returned connection back only when its last transaction did not end (an
    error, a cancelled task): with ``pool_reset_on_return=None`` the pool leaves it to
    this ``reset`` listener."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "begin")
    def _began(connection: Connection) -> None:
        connection.connection.info[_ENDED] = False

    @event.listens_for(sync_engine, "commit")
    @event.listens_for(sync_engine, "rollback")
    def _ended(connection: Connection) -> None:
        connection.connection.info[_ENDED] = True

    @event.listens_for(sync_engine.pool, "reset")
    def _reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        if not state.asyncio_safe or state.transaction_was_reset:
            return  # as the pool's own reset: nothing to do (or nothing it may do)
        if record.info.get(_ENDED, False):
            return  # committed or rolled back already
        dbapi_connection.rollback()


_RETURNED = "buurbot_returned_at"
# A PostgreSQL connection idle in the pool longer than this is pinged before it is used
# again (the server or a proxy may have dropped it meanwhile); one used a moment ago is not.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """``pool_pre_ping``, only for connections that sat idle: the pre-ping cost three round
    trips (a transaction, SELECT 1, a rollback) at every checkout, a tenth of an update's
    CPU in the profile, for a connection that had just come back from the previous update.
    A failed ping invalidates the connection and the pool takes a fresh one, as pre-ping
    did (`DisconnectionError` from a checkout listener)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine.pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED] = time.monotonic()

    @event.listens_for(sync_engine.pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or back from its last use a moment ago
        try:
            alive = sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"idle connection failed its ping: {error}") from error
        if not alive:
            raise DisconnectionError("idle connection failed its ping")


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # No parameter value (a person's typed text) in any log line or error message.
        # The pool's rollback when a connection comes back is done only when needed
        # (`_skip_needless_reset`): after a commit it is a round trip (on SQLite a hop
        # to aiosqlite's thread) for nothing, at every transaction.
        options: dict = {"echo": echo, "hide_parameters": True, "pool_reset_on_return": None}
        if not self.is_sqlite:
            options.update(pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW)
        self.engine = create_async_engine(url, **options)
        _skip_needless_reset(self.engine)
        if not self.is_sqlite:
            _ping_after_idle(self.engine)
        if self.is_sqlite:
            connect_inline(self.engine)
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Transactions wait their turn here, in order and without a time limit: SQLite's one
        # writer, or a free PostgreSQL connection. Without it, a burst of updates waits in
        # the pool instead, which gives up after 30 s (the update then fails).
        self._turn: asyncio.Lock | asyncio.Semaphore = (
            asyncio.Lock() if self.is_sqlite else asyncio.Semaphore(PG_POOL_SIZE + PG_MAX_OVERFLOW)
        )
        # Sessions kept between transactions, each on a connection of its own
        # (`_kept_transaction`): the most recently used last.
        self._kept: list[tuple[AsyncSession, float]] = []
        self._closed = False  # then none is kept: a transaction ending after `close` lets go

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on error."""
        try:
            async with self._turn, self._kept_transaction() as session:
                yield session
        except (OperationalError, DBAPIError, OSError, ConnectionError) as error:
            hide_values(error)
            if _is_connection_problem(error):
                raise DatabaseUnavailable(str(error).splitlines()[0]) from error
            raise
        except PendingRollbackError as error:
            # The connection died between two uses a moment apart (not pinged, see
            # `_ping_after_idle`): SQLAlchemy invalidated it; the next transaction reconnects.
            raise DatabaseUnavailable("the connection was lost") from error

    @asynccontextmanager
    async def _kept_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction on a session kept from an earlier one.

        A new session and a connection from the pool for each transaction cost SQLAlchemy
        about as much CPU as a typical update's statements together (docs/performance.md):
        taking the connection out of the pool and back, making and closing the session.
        Kept, a session is emptied after its commit as closing it would (no instance,
        nothing in `info`). After anything else (an error, a cancelled task) it is let go
        with its connection: the pool rolls back what did not end, and the next
        transaction starts on a fresh connection."""
        session = await self._take_kept()
        committed = False
        try:
            async with session.begin():
                yield session
            committed = True
        finally:
            if committed and not self._closed and len(self._kept) < KEPT_SESSIONS:
                session.expunge_all()
                session.info.clear()
                self._kept.append((session, time.monotonic()))
            else:  # or more at once than usual: back as the pool's overflow goes
                await _let_go(session, dispose=self._closed)

    async def _take_kept(self) -> AsyncSession:
        while self._kept:
            session, since = self._kept.pop()
            if self.is_sqlite or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
                return session
            # Idle a while: its connection back to the pool, which pings it before the
            # next use (`_ping_after_idle`: the server may have dropped it meanwhile).
            await _let_go(session)
        return AsyncSession(bind=await self.engine.connect(), expire_on_commit=False)

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (an empty database included)."""
        if await self._at_head():
            return  # the common start: nothing to do, and Alembic is not even imported
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head, self.url)

    async def _at_head(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
                current = {row[0] for row in result}
        except (OperationalError, DBAPIError):
            return False  # no version table yet: an empty database
        return current == {head_revision()}

    async def close(self) -> None:
        self._closed = True
        kept, self._kept = self._kept, []
        for session, _since in kept:
            await _let_go(session)
        await self.engine.dispose()


async def _let_go(session: AsyncSession, *, dispose: bool = False) -> None:
    """A kept session closed and its connection given back to the pool (which rolls back
    what did not end, or discards a connection that broke). `dispose`: the pool is gone
    (`Database.close` ran meanwhile), so the connection is closed instead of going back to
    a pool nobody closes."""
    connection = session.bind
    try:
        await session.close()
    finally:
        if isinstance(connection, AsyncConnection):
            if dispose:
                await connection.invalidate()
            await connection.close()


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision, read from the migration files without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    pattern = re.compile(r"^(down_revision|revision)\b[^=]*=\s*['\"]?([\w]+)?", re.MULTILINE)
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for kind, value in pattern.findall(path.read_text()):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()


def _upgrade_to_head(connection: Connection, url: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# Where a driver's message repeats a value: asyncpg's "invalid input for query argument $2:
# 'the typed text...' (reason)", and PostgreSQL's DETAIL ("Failing row contains (...)",
# "Key (col)=(value) already exists").
_ARGUMENT_VALUE = re.compile(r"(invalid input for query argument \$\d+): .*")
_DETAIL = re.compile(r"\n?DETAIL: .*?(?=\nHINT: |\n\[SQL: |\Z)", re.DOTALL)


def hide_values(error: BaseException) -> None:
    """Rewrite, in place, the messages of `error` and its causes that repeat a value."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "detail", None):
            current.detail = None  # type: ignore[attr-defined]
        if current.args and isinstance(current.args[0], str):
            text = _ARGUMENT_VALUE.sub(r"\1: (value hidden)", current.args[0])
            text = _DETAIL.sub("", text)
            if text != current.args[0]:
                current.args = (text, *current.args[1:])
        current = current.__cause__ or current.__context__


def _is_connection_problem(error: BaseException) -> bool:
    if isinstance(error, (OSError, ConnectionError)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    text = str(error).lower()
    return any(
        sign in text
        for sign in (
            "connection refused",
            "could not connect",
            "connection was closed",
            "unable to open database",
            "server closed the connection",
            "connection is closed",
            "cannot connect",
        )
    )
