"""Statements straight on the driver (storage/direct.py): the same values as SQLAlchemy
would write, in the session's transaction (rolled back with it, on PostgreSQL even when a
direct statement opened it), seen by statement listeners, and a driver's error as
SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, event, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.direct import Direct
from storage.models import Conversation, ReplyOutbox, Resident
from storage.queries import table_of

OUTBOX = table_of(ReplyOutbox)
WRITE = Direct(
    insert(OUTBOX)
    .values(
        {
            "update_id": bindparam("update_id"),
            "chat_id": bindparam("chat_id"),
            "person_id": bindparam("chat_id"),
            "actions": bindparam("actions"),
            "claimed_at": bindparam("claimed_at"),
            "attempts": 3,  # the statement's own value
        }
    )
    .inline()
)
FORGET = Direct(delete(OUTBOX).where(OUTBOX.c.update_id == bindparam("uid")))
MOMENT = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)


def row(update_id: int, actions: Any = None) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "chat_id": 10 + update_id,
        "actions": actions if actions is not None else [{"send": "hallo 'buur' \u00e9"}],
        "claimed_at": MOMENT,
    }


async def outbox(db: Database) -> list[ReplyOutbox]:
    async with db.transaction() as session:
        found = (await session.execute(select(ReplyOutbox).order_by(OUTBOX.c.update_id))).all()
        return [r[0] for r in found]


async def test_values_are_written_as_sqlalchemy_writes_them(db: Database) -> None:
    async with db.transaction() as session:
        assert await WRITE.rowcount(session, row(1)) == 1
        # The ORM's own statement beside it, in the same transaction.
        session.add(ReplyOutbox(**{**row(2), "person_id": 12, "attempts": 3}))
    direct, orm = await outbox(db)
    assert (direct.update_id, direct.chat_id, direct.person_id) == (1, 11, 11)
    assert direct.actions == orm.actions == [{"send": "hallo 'buur' \u00e9"}]
    assert direct.attempts == 3
    assert direct.claimed_at == orm.claimed_at
    assert direct.claimed_at.replace(tzinfo=UTC) == MOMENT
    # Compared in SQL as SQLAlchemy compares them: a date stored directly is found by one.
    async with db.transaction() as session:
        later = select(OUTBOX.c.update_id).where(OUTBOX.c.claimed_at < MOMENT + timedelta(1))
        assert sorted((await session.execute(later)).scalars()) == [1, 2]


async def test_a_direct_statement_rolls_back_with_its_transaction(db: Database) -> None:
    """The first statement of the transaction is direct (on PostgreSQL it opens it)."""
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await WRITE.rowcount(session, row(5))
            await FORGET.many(session, [{"uid": 5}, {"uid": 6}])
            await WRITE.many(session, [row(6), row(7)])
            raise RuntimeError("the update failed")
    assert await outbox(db) == []
    async with db.transaction() as session:
        await WRITE.many(session, [row(6), row(7), row(8)])
        assert await FORGET.rowcount(session, {"uid": 7}) == 1
        assert await FORGET.rowcount(session, {"uid": 99}) == 0
    assert [r.update_id for r in await outbox(db)] == [6, 8]


async def test_listeners_see_direct_statements(db: Database) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(" ")[0])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    async with db.transaction() as session:
        await WRITE.rowcount(session, row(1))
        await FORGET.many(session, [{"uid": 1}])
        await WRITE.rowcount(session, row(2))
    assert [s for s in seen if s not in ("BEGIN", "COMMIT")] == ["INSERT", "DELETE", "INSERT"]


async def test_a_refused_statement_is_sqlalchemys_error_without_its_values(
    db: Database,
) -> None:
    secret = "my address is Dorpsstraat 1"
    with pytest.raises(DBAPIError) as raised:
        async with db.transaction() as session:
            await WRITE.rowcount(session, row(1))
            await WRITE.rowcount(session, row(1, actions=[secret]))  # update_id is unique
    assert secret not in str(raised.value)
    assert not raised.value.connection_invalidated
    assert await outbox(db) == []


async def test_the_conversation_is_written_once_by_its_save_and_never_flushed(
    db: Database,
) -> None:
    """The engine's conversation is in no session (`detached`): `_saved` writes it, and the
    commit has no unit of work to flush for it (which cost a tenth of an update)."""
    from bot.core.engine import _CONVERSATION_OF, Engine, _saved
    from storage.direct import detached
    from storage.queries import write_together

    async with db.transaction() as session:
        person = Resident(telegram_id=1, first_name="Anna")
        session.add(person)
        await session.flush()
        session.add(Conversation(chat_id=1, resident_id=person.id or 0, data={}))
    updates: list[str] = []
    flushes: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE"):
            updates.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    async with db.transaction() as session:
        event.listen(session.sync_session, "before_flush", lambda *_: flushes.append(1))
        row = await Engine._row(session, _CONVERSATION_OF, chat_id=1, resident_id=person.id or 0)
        assert row is not None
        conversation = detached(Conversation, row)
        assert sa_inspect(conversation).session is None
        conversation.flow, conversation.step = "idea", "title"
        conversation.data["draft"] = "Bankjes"  # in place: still written
        await write_together(session, [_saved(conversation)])
    assert len(updates) == 1
    assert flushes == []  # nothing for the ORM to do at the commit
    async with db.transaction() as session:
        saved = (await session.execute(select(Conversation))).scalar_one()
    assert (saved.flow, saved.step, saved.data) == ("idea", "title", {"draft": "Bankjes"})
    assert saved.updated_at is not None


async def test_an_attached_row_is_the_orms_instance(db: Database) -> None:
    from storage.direct import attach

    async with db.transaction() as session:
        session.add(Resident(telegram_id=7, first_name="Kees", role="coach"))
    columns = table_of(Resident).columns
    async with db.transaction() as session:
        values = (await session.execute(select(*columns))).one()
        session.expunge_all()
        kees = attach(session, Resident, tuple(values))
        assert await session.get(Resident, kees.id) is kees  # found, not loaded again
        assert attach(session, Resident, tuple(values)) is kees  # held already: that one
        assert not session.is_modified(kees)
        kees.first_name = "Kees Jan"  # changed: flushed as any other
    async with db.transaction() as session:
        again = (await session.execute(select(Resident))).scalar_one()
    assert (again.first_name, again.role) == ("Kees Jan", "coach")


ATTACH_FIRST = """
import asyncio, sys
from datetime import UTC, datetime
from storage.db import Database
from storage.direct import attach
from storage.models import Resident

async def main():
    db = Database(sys.argv[1])
    await db.migrate()
    now = datetime.now(UTC)
    row = (1, 7, "Kees", None, "nl", False, "Europe/Amsterdam", None, None, False, "on",
           None, True, "resident", None, now, now)
    async with db.transaction() as session:
        kees = attach(session, Resident, row)
        print(kees.first_name, kees.id)
    await db.close()

asyncio.run(main())
"""


def test_an_instance_can_be_attached_before_any_orm_query(tmp_path: Any) -> None:
    """The ORM configures its mappers at its first query; a process whose first use of a
    model is `attach` (the engine's first update) must not meet them unconfigured."""
    import subprocess
    import sys

    from storage.models import Resident

    assert len(table_of(Resident).columns) == 17  # the row below has them all
    done = subprocess.run(
        [sys.executable, "-c", ATTACH_FIRST, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["Kees", "1"]
