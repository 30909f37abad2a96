"""Replies at least once: written with the conversation change, sent after the commit, and
what a dead process left sent by the next one (bot/core/replies.py), on SQLite and PostgreSQL.

A "dead process" here is an engine that wrote its replies and never delivered them; the
kill -9 over the local Bot API server is tests/faults/test_reply_durability.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from bot.assembly import assemble
from bot.core.delivery import Delivery
from bot.core.engine import Engine
from bot.core.replies import REPLY_LEASE, ReplyOutbox
from bot.core.seam import Command, Incoming, Sender, Text, Transient
from bot.core.services import Network, Services
from bot.runtimes.common import Core
from scheduler.clock import Scheduler
from scheduler.timing import FakeClock
from storage.models import ReplyOutbox as Row
from tests.support.driver import Driver, Talker
from tests.test_engine_queries import statements


async def _no_sleep(_seconds: float) -> None:
    return None


def core_of(services: Services, sender: Sender) -> Core:
    """A runtime's core (durable replies) around this sender."""
    return Core(assemble(services, Network(sender), durable_replies=True, sleep=_no_sleep))


class CoreDriver(Driver):
    """The driver through `Core`, as the Telegram runtimes handle updates."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.core = core_of(services, self.sender)

    async def deliver(self, incoming: Incoming) -> list:  # type: ignore[type-arg]
        await self.core.handle(incoming)
        return []


class DyingProcess:
    """An engine that commits its replies to the outbox and dies before sending them."""

    def __init__(self, services: Services) -> None:
        outbox = ReplyOutbox(services, Delivery(services, CoreDriver(services).sender))
        self.engine = Engine(services, replies=outbox)

    async def handle(self, talker: Talker, event, update_id: int) -> list:  # type: ignore[no-untyped-def,type-arg]
        return await self.engine.handle(Incoming(talker.chat, talker.who, event, update_id))


async def rows(services: Services) -> list[Row]:
    async with services.db.transaction() as session:
        return list((await session.execute(select(Row).order_by(Row.id))).scalars().all())  # type: ignore[arg-type]


async def count_rows(services: Services) -> int:
    async with services.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Row))).scalar_one()


async def test_replies_committed_but_never_sent_arrive_after_the_restart_in_order(
    services: Services, clock: FakeClock
) -> None:
    first = CoreDriver(services)
    anna = first.person("Anna", "nl")
    await anna.command("start")
    await first.core.drain()
    seen = len(anna.messages)
    dying = DyingProcess(services)
    answered = await dying.handle(anna, Text("Anna"), 9001)  # the conversation moves on...
    again = await dying.handle(anna, Command("menu"), 9002)
    assert answered and again
    assert len(anna.messages) == seen  # ... and the process dies before sending
    assert [row.update_id for row in await rows(services)] == [9001, 9002]

    restarted = CoreDriver(services)
    restarted.sender = first.sender  # the same chats
    restarted.core = core_of(services, first.sender)
    assert await restarted.core.replies.recover(REPLY_LEASE) == 0  # still leased
    clock.advance(REPLY_LEASE)
    assert await restarted.core.replies.recover(REPLY_LEASE) == 2
    await restarted.core.drain()
    arrived = [shown.text for shown in anna.messages[seen:]]
    assert arrived == [a.text for a in [*answered, *again] if hasattr(a, "text")]
    assert await count_rows(services) == 0


async def test_delivered_replies_leave_no_row_and_are_marked_in_groups(
    services: Services,
) -> None:
    driver = CoreDriver(services)
    people = [driver.person(f"Buur{n}", "nl") for n in range(5)]
    transactions: list[object] = []
    engine = services.db.engine.sync_engine

    def began(connection: object) -> None:
        transactions.append(connection)

    event.listen(engine, "begin", began)
    with statements(driver) as seen:
        await asyncio.gather(*(person.command("start") for person in people))
        await driver.core.drain()
    event.remove(engine, "begin", began)
    assert all(person.messages for person in people)
    # Counted also inside a statement of several (PostgreSQL writes an update's at once).
    assert sum(sql.count("INSERT INTO REPLY_OUTBOX") for sql in seen) == 5
    # A delivered reply's DELETE rides along the next update's transaction, or goes with
    # the others delivered within 50 ms of it in one transaction: none has its own.
    assert 1 <= sum(sql.count("DELETE FROM REPLY_OUTBOX") for sql in seen) <= 5
    assert len(transactions) <= 5 + 1
    assert await count_rows(services) == 0


async def test_a_conversations_delivered_replies_are_marked_before_its_next_update(
    services: Services,
) -> None:
    """Killed while her postcode was being handled, the restart sent her the greeting again
    (already answered): its mark was still waiting for its group, held up by the busy
    database. Her next update's transaction now deletes the rows of her earlier ones (and
    whatever else was delivered meanwhile)."""
    driver = CoreDriver(services)
    driver.core.replies._done.within = 3600  # a group that would commit only much later
    other = driver.person("Bram", "nl")
    anna = driver.person("Anna", "nl")
    await other.send("hallo", update_id=8201)
    assert [row.update_id for row in await rows(services)] == [8201]  # its mark waiting
    await anna.send("hallo", update_id=8202)
    assert [row.update_id for row in await rows(services)] == [8202]  # Bram's went along
    await anna.send("Anna", update_id=8203)  # her next update
    assert [row.update_id for row in await rows(services)] == [8203]  # only her latest
    await driver.core.drain()
    assert await count_rows(services) == 0


async def test_an_update_costs_two_statements_more_inside_its_transaction(
    services: Services,
) -> None:
    """Durable replies cost an update the INSERT of its replies and the DELETE of those
    delivered before it, both inside its own transaction: no transaction more. On
    PostgreSQL both go with the conversation's save, in one statement: none more."""
    plain, durable = Driver(services), CoreDriver(services)
    durable.core.replies._done.within = 3600  # the delete waits for the next update
    # Two drivers count their people from the same number: Bram gets an id of his own.
    anna, bram = plain.person("Anna", "nl"), durable.person("Bram", "nl", person_id=4242)
    await anna.command("start")
    await bram.command("start")
    with statements(plain) as before:
        await anna.send("Anna", update_id=8101)
    with statements(durable) as after, transactions(durable) as committed:
        await bram.send("Bram", update_id=8102)
    assert len(committed) == 1
    mine = [sql for sql in after if "REPLY_OUTBOX" in sql]
    if services.db.is_sqlite:
        others = [sql for sql in after if "REPLY_OUTBOX" not in sql and sql != "BEGIN IMMEDIATE"]
        assert len(others) == len([sql for sql in before if sql != "BEGIN IMMEDIATE"])
        assert [sql.split(" ")[0] for sql in mine] == ["DELETE", "INSERT"]
    else:
        assert len(after) == len(before)
        (written,) = mine
        assert written.count("DELETE FROM REPLY_OUTBOX") == written.count("INSERT INTO") == 1
        assert written.count("UPDATE CONVERSATION SET") == 1
    await durable.core.drain()
    assert await count_rows(services) == 0


@contextmanager
def transactions(driver: Driver) -> Iterator[list[list[str]]]:
    """The statements sent inside the block, one list per transaction that committed."""
    done: list[list[str]] = []
    current: list[str] = []
    engine = driver.services.db.engine.sync_engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sql = " ".join(statement.split()).upper()
        if not sql.startswith("BEGIN"):
            current.append(sql.split(" (")[0].split(" WHERE")[0])

    def committed(_conn) -> None:  # type: ignore[no-untyped-def]
        done.append(current[:])
        current.clear()

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", committed)
    try:
        yield done
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", committed)


async def test_delivered_rows_are_deleted_in_the_next_updates_transaction(
    services: Services,
) -> None:
    driver = CoreDriver(services)
    driver.core.replies._done.within = 3600  # no group of their own during the test
    anna, bram = driver.person("Anna", "nl"), driver.person("Bram", "nl")
    await anna.command("start")
    await bram.command("start")
    assert await count_rows(services) == 1  # Anna's went with Bram's; his is waiting
    with transactions(driver) as committed, statements(driver) as seen:
        await anna.send("Anna", update_id=8301)
    # One transaction: the claim, the read, the flow's own, the delete of Bram's delivered
    # row and the insert of this reply's: no transaction of its own for the delete.
    assert len(committed) == 1
    outbox = [sql for sql in committed[0] if "REPLY_OUTBOX" in sql]
    if services.db.is_sqlite:
        assert outbox == ["DELETE FROM REPLY_OUTBOX", "INSERT INTO REPLY_OUTBOX"]
    else:  # one statement, with the conversation's save
        (written,) = [sql for sql in seen if "REPLY_OUTBOX" in sql]
        assert written.count("DELETE FROM REPLY_OUTBOX") == written.count("INSERT INTO") == 1
    assert [row.update_id for row in await rows(services)] == [8301]


async def test_a_rolled_back_update_keeps_the_deletes_it_carried(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = CoreDriver(services)
    replies = driver.core.replies
    replies._done.within = 3600
    anna, bram = driver.person("Anna", "nl"), driver.person("Bram", "en")
    await anna.send("hallo", update_id=8401)
    (delivered,) = await rows(services)
    assert replies._done.waiting == 1

    async def broken(_ctx) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in a flow")

    with monkeypatch.context() as patch:
        patch.setattr(driver.core.engine, "_dispatch", broken)
        await bram.send("hello", update_id=8402)  # carries Anna's delete, rolls back
    assert "Something went wrong on my side" in bram.last
    assert [row.update_id for row in await rows(services)] == [delivered.update_id]
    assert replies._done.waiting == 1  # handed back, not lost
    assert delivered.update_id in replies.in_flight  # and no recovery here takes it
    await bram.send("hello", update_id=8403)  # the next transaction takes it along
    assert [row.update_id for row in await rows(services)] == [8403]
    await driver.core.drain()
    assert await count_rows(services) == 0
    assert not replies.in_flight


async def test_delivered_rows_with_no_update_after_them_go_within_the_bound(
    sqlite_services: Services,
) -> None:
    driver = CoreDriver(sqlite_services)
    driver.core.replies._done.within = 0.05
    anna = driver.person("Anna", "nl")
    await anna.send("hallo", update_id=8501)
    assert anna.messages
    for _ in range(100):  # the group's own transaction, 50 ms after the delivery
        if await count_rows(sqlite_services) == 0:
            break
        await asyncio.sleep(0.05)
    assert await count_rows(sqlite_services) == 0  # without drain or another update


async def test_a_buttons_answer_is_not_kept(sqlite_services: Services) -> None:
    driver = CoreDriver(sqlite_services)
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    await driver.core.drain()
    label = anna.buttons[0]
    payload = next(
        button.payload
        for shown in reversed(anna.messages)
        for row in shown.buttons
        for button in row
        if button.label == label
    )
    from bot.core.seam import ButtonPress

    out = await DyingProcess(sqlite_services).handle(anna, ButtonPress(payload, "q-1", 1), 9101)
    assert any(type(action).__name__ == "AnswerButton" for action in out)
    (row,) = await rows(sqlite_services)
    assert row.actions and all(data["kind"] != "answer" for data in row.actions)


async def test_a_reply_telegram_keeps_refusing_waits_for_the_next_recovery(
    sqlite_services: Services, clock: FakeClock
) -> None:
    driver = CoreDriver(sqlite_services)
    anna = driver.person("Anna", "nl")
    for _ in range(4):  # Delivery's own tries, all certainly not delivered
        driver.sender.fail_next(anna.who.id, Transient("502 Bad Gateway"))
    await anna.command("start")
    await driver.core.drain()
    assert anna.messages == []
    (row,) = await rows(sqlite_services)
    assert row.attempts == 0 and len(row.actions) == 1  # kept, for the next recovery
    clock.advance(REPLY_LEASE)
    assert await driver.core.replies.recover(REPLY_LEASE) == 1
    await driver.core.drain()
    assert anna.messages  # the greeting, at last
    assert await count_rows(sqlite_services) == 0


async def test_the_apology_is_sent_and_nothing_is_kept(
    sqlite_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = CoreDriver(sqlite_services)

    async def broken(_ctx) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in a flow")

    monkeypatch.setattr(driver.core.engine, "_dispatch", broken)
    anna = driver.person("Anna", "en")
    await anna.send("hello", update_id=9201)
    await driver.core.drain()
    assert "Something went wrong on my side" in anna.last
    assert await count_rows(sqlite_services) == 0


async def test_the_schedulers_reaper_delivers_what_a_dead_process_left(
    sqlite_services: Services, clock: FakeClock
) -> None:
    driver = CoreDriver(sqlite_services)
    anna = driver.person("Anna", "nl")
    await DyingProcess(sqlite_services).handle(anna, Command("start"), 9301)
    scheduler = Scheduler(sqlite_services, driver.core.delivery)
    assert scheduler.reply_lease == REPLY_LEASE  # the dispatcher's 10 minutes, capped
    clock.advance(REPLY_LEASE)
    await scheduler.reap()
    await driver.core.drain()
    assert anna.messages
    assert await count_rows(sqlite_services) == 0


async def test_two_processes_recovering_at_once_send_each_reply_once(
    services: Services, clock: FakeClock
) -> None:
    driver = CoreDriver(services)
    people = [driver.person(f"Buur{n}", "nl") for n in range(6)]
    dying = DyingProcess(services)
    for number, person in enumerate(people):
        await dying.handle(person, Command("start"), 9400 + number)
    clock.advance(REPLY_LEASE)
    one = core_of(services, driver.sender)
    two = core_of(services, driver.sender)
    taken = await asyncio.gather(one.replies.recover(REPLY_LEASE), two.replies.recover(REPLY_LEASE))
    await asyncio.gather(one.drain(), two.drain())
    assert sum(taken) == len(people)
    assert [len(person.messages) for person in people] == [1] * len(people)
    assert await count_rows(services) == 0
