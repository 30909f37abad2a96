"""The pool rolls a returned connection back only when its transaction did not end:
after a commit nothing more is sent; a failed transaction leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection

from storage.db import Database

INSERT = "INSERT INTO processed_update (update_id, processed_at) VALUES (:id, CURRENT_TIMESTAMP)"


def rollbacks(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What rolls back: "connection" (SQLAlchemy's Connection), "driver" (any rollback
    the driver is asked for, the pool's included)."""
    seen: list[str] = []
    engine = database.engine.sync_engine
    event.listen(engine, "rollback", lambda _connection: seen.append("connection"))
    for adapter in (AsyncAdapt_aiosqlite_connection, AsyncAdapt_asyncpg_connection):
        original = adapter.rollback

        def counted(self: Any, original: Any = original) -> None:
            seen.append("driver")
            original(self)

        monkeypatch.setattr(adapter, "rollback", counted)
    return seen


async def test_a_committed_transaction_is_not_rolled_back_on_return(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as session:  # the pool's connection is made
        await session.execute(text("SELECT 1"))
    seen = rollbacks(db, monkeypatch)
    for _ in range(3):
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": 414141 + _})
    assert seen == []  # committed: the pool sent no rollback after it


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_works(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = rollbacks(db, monkeypatch)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(text(INSERT), {"id": 424242})
            raise RuntimeError("a bug halfway")
    assert "connection" in seen  # rolled back by the session
    async with db.transaction() as session:
        found = await session.execute(
            text("SELECT count(*) FROM processed_update WHERE update_id = 424242")
        )
        assert found.scalar() == 0


async def test_a_connection_closed_inside_a_transaction_is_rolled_back(db: Database) -> None:
    connection = await db.engine.connect()
    await connection.execute(text(INSERT), {"id": 434343})
    await connection.close()  # never committed
    async with db.transaction() as session:
        found = await session.execute(
            text("SELECT count(*) FROM processed_update WHERE update_id = 434343")
        )
        assert found.scalar() == 0


async def test_postgres_pings_only_an_idle_connection_and_replaces_a_dead_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite's connections are files: nothing to ping")
    import storage.db as storage_db

    pings: list[bool] = []
    dialect = db.engine.sync_engine.dialect
    original = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(True)
        return bool(original(dbapi_connection))

    monkeypatch.setattr(dialect, "do_ping", counted)
    async with db.transaction() as session:  # a new connection: not pinged
        backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with db.transaction() as session:  # back a moment ago: not pinged
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() == backend
    assert pings == []
    # The server drops the pooled connection while it sits idle.
    admin = Database(db.url)
    try:
        async with admin.transaction() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        await admin.close()
    monkeypatch.setattr(storage_db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle
    async with db.transaction() as session:  # pinged, found dead, replaced: no error
        fresh = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    assert pings and fresh != backend


async def test_a_connection_dropped_right_after_use_is_unavailable_then_replaced(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite's connections are files: nothing to drop")
    from storage.db import DatabaseUnavailable

    async with db.transaction() as session:
        backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    admin = Database(db.url)
    try:
        async with admin.transaction() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        await admin.close()
    # Back a moment ago, so not pinged: the loss is the kind answer's error, not a crash...
    with pytest.raises(DatabaseUnavailable):
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
    # ...and the next transaction has a fresh connection.
    async with db.transaction() as session:
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() != backend
