"""The engine's statements per update: a known person's update inserts only its update id,
a first visit still creates the resident and the conversation, and a redelivered update
stays handled once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import func, select

from storage.models import Conversation, Resident
from tests.support.driver import Driver


@contextmanager
def statements(driver: Driver) -> Iterator[list[str]]:
    """The SQL the database is sent inside the block."""
    seen: list[str] = []
    engine = driver.services.db.engine.sync_engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def inserts_into(seen: list[str], table: str) -> int:
    """Inserts into `table`, also inside a statement of several (PostgreSQL's CTEs)."""
    return sum(sql.count(f"INSERT INTO {table.upper()} ") for sql in seen)


async def test_a_known_person_inserts_only_the_update_id(db_driver: Driver) -> None:
    anna = db_driver.person("Anna", "nl")
    await anna.command("start")
    with statements(db_driver) as seen:
        await anna.send("Anna", update_id=5001)
    assert inserts_into(seen, "processed_update") == 1
    assert not any(sql.startswith("DELETE") for sql in seen)  # pruning is the daily job's
    assert inserts_into(seen, "resident") == 0
    assert inserts_into(seen, "conversation") == 0
    assert "Anna" in anna.last  # and the answer was taken


async def test_a_first_visit_creates_the_resident_and_the_conversation(db_driver: Driver) -> None:
    bram = db_driver.person("Bram", "nl")
    with statements(db_driver) as seen:
        await bram.send("hallo", update_id=6001)
    assert inserts_into(seen, "resident") == 1
    assert inserts_into(seen, "conversation") == 1
    async with db_driver.services.db.transaction() as session:
        residents = (await session.execute(select(func.count()).select_from(Resident))).scalar()
        talks = (await session.execute(select(func.count()).select_from(Conversation))).scalar()
    assert (residents, talks) == (1, 1)
    assert bram.messages  # onboarding started


async def test_a_redelivered_update_of_a_known_person_is_skipped(db_driver: Driver) -> None:
    anna = db_driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna", update_id=7001)
    before = len(anna.messages)
    with statements(db_driver) as seen:
        await anna.send("Anna", update_id=7001)
    assert len(anna.messages) == before
    assert updates_of(seen, "resident") == updates_of(seen, "conversation") == 0
    # One statement decides it: the id is claimed, or it was seen within the window (on
    # PostgreSQL the same statement reads the person, only for a claimed update).
    (decided,) = sent(seen)
    assert inserts_into([decided], "processed_update") == 1


def updates_of(seen: list[str], table: str) -> int:
    """Updates of `table`, also inside a statement of several (PostgreSQL's CTEs)."""
    return sum(sql.count(f"UPDATE {table.upper()} SET ") for sql in seen)


async def test_the_conversation_row_is_written_only_when_it_changed(db_driver: Driver) -> None:
    anna = db_driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna")
    await anna.command("menu")
    with statements(db_driver) as seen:
        await anna.command("menu")  # the menu again: where she is stays the same
    assert updates_of(seen, "conversation") == 0
    assert "Deel een idee" in anna.buttons
    with statements(db_driver) as seen:
        await anna.press("Deel een idee")  # a flow starts: the row changes
    assert updates_of(seen, "conversation") == 1
    async with db_driver.services.db.transaction() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.flow is not None


def sent(seen: list[str]) -> list[str]:
    """The statements, without the transaction's own (BEGIN, COMMIT)."""
    return [sql for sql in seen if not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


async def test_a_known_persons_update_reads_the_resident_and_the_conversation_at_once(
    db_driver: Driver,
) -> None:
    """The resident and the conversation come in one statement (a join, locked on
    PostgreSQL, there in the same statement as the id's claim); the update costs its id's
    claim, that read, and the flow's own."""
    anna = db_driver.person("Anna", "nl")
    await anna.command("start")
    await anna.send("Anna")
    await anna.command("menu")
    with statements(db_driver) as seen:
        await anna.command("menu")  # the menu again: nothing of hers changes
    assert "Deel een idee" in anna.buttons
    reads = [sql for sql in sent(seen) if "FROM RESIDENT" in sql or "FROM CONVERSATION" in sql]
    assert len(reads) == 1  # no other read of either table
    assert "FROM RESIDENT JOIN CONVERSATION" in reads[0]
    if db_driver.services.db.is_sqlite:
        assert "FOR UPDATE" not in reads[0]
        # The whole update: the claim of its id and the join (the menu reads nothing
        # else). Goes up only with a statement more per update: look at the profile first.
        assert len(sent(seen)) == 2, sent(seen)
    else:
        assert "FOR UPDATE)" in reads[0]  # both rows: no other process races her
        # PostgreSQL: the claim and the join are one statement (a round trip each).
        assert inserts_into(reads, "processed_update") == 1
        assert len(sent(seen)) == 1, sent(seen)
