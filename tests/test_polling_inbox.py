"""The poller's update inbox (bot/runtimes/polling.py): each update fetched once however long
it is handled, what a crash left handled first and once, the old way while the database is
down, and a person's inbox rows forgotten with them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from bot.runtimes import polling
from bot.runtimes.common import BotIdentity
from bot.runtimes.polling import Poller, Receiver, UpdateInbox, sender_of
from scheduler.timing import FakeClock
from storage.db import Database, DatabaseUnavailable
from storage.models import UpdateInbox as Row
from tests.conftest import START
from tests.support.driver import Driver
from tests.test_privacy import onboarded

BOT = BotIdentity(id=999, username="buurbot_test_bot", first_name="Buurbot")


def message(update_id: int, person: int, text: str = "hallo") -> dict[str, Any]:
    who = {"id": person, "is_bot": False, "first_name": f"P{person}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": person, "type": "private", "first_name": who["first_name"]},
            "from": who,
            "text": text,
        },
    }


class Telegram:
    """getUpdates as Telegram answers it: everything from the offset on is returned again
    until an offset past it confirms it; a long poll ends when an update comes."""

    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.returned: Counter[int] = Counter()  # update id: times getUpdates returned it
        self.offsets: list[int | None] = []
        self._arrived = asyncio.Event()

    def add(self, *updates: dict[str, Any]) -> None:
        self.queue.extend(updates)
        self._arrived.set()

    async def fetch(self, offset: int | None, wait: int, limit: int) -> list[Any]:
        self.offsets.append(offset)
        if offset is not None:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        if not self.queue and wait:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(wait, 0.2))
            except TimeoutError:
                pass
        batch = self.queue[:limit]
        self.returned.update(u["update_id"] for u in batch)
        return [json.loads(json.dumps(u)) for u in batch]  # a fresh copy, as over HTTP


class SlowCore:
    """Records what it is handed; each update takes `seconds`, one chat at a time."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.handed: list[int] = []
        self.done: list[int] = []
        self._chats: dict[int, asyncio.Lock] = {}

    async def handle(self, incoming: Any) -> None:
        self.handed.append(incoming.update_id)
        async with self._chats.setdefault(incoming.chat.id, asyncio.Lock()):
            await asyncio.sleep(self.seconds)
        self.done.append(incoming.update_id)


class Switch:
    """A database that can be taken away: every transaction raises while it is down."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.is_sqlite = db.is_sqlite
        self.down = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        if self.down:
            raise DatabaseUnavailable("connection refused")
        async with self.db.transaction() as session:
            yield session


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(polling, "IDLE", 0.02)
    yield


def poller_for(telegram: Telegram, core: SlowCore, inbox: UpdateInbox | None) -> Poller:
    receiver = Receiver(lambda raw: raw, core, BOT, "test")  # type: ignore[arg-type]
    return Poller(telegram.fetch, receiver, lambda _e: None, repr, inbox, timeout=25)


async def rows(db: Database) -> list[tuple[int, int | None]]:
    async with db.transaction() as session:
        query = sa.select(sa.column("update_id"), sa.column("person_id")).select_from(
            sa.table("update_inbox")
        )
        return sorted(tuple(row) for row in (await session.execute(query)).all())


async def until(predicate: Any, what: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_in_a_burst_each_update_is_fetched_once(db: Database, fast: None) -> None:
    """200 people write at once, each update taking a while: without the inbox every update
    still in flight came back (and was parsed again) at every getUpdates."""
    telegram, core = Telegram(), SlowCore(seconds=0.05)
    telegram.add(*(message(100 + n, person=5000 + n % 40) for n in range(200)))
    poller = poller_for(telegram, core, UpdateInbox(db, FakeClock(START), delete_within=0.05))
    await poller.recover()
    poller.start()
    await until(lambda: len(core.done) == 200, "every update handled")
    await poller.stop()
    assert max(telegram.returned.values()) == 1, telegram.returned.most_common(3)
    assert sorted(core.handed) == list(range(100, 300))  # each handed to the core once
    assert await rows(db) == []  # deleted once handled
    assert telegram.queue == []  # and confirmed
    # Each person's updates were handed over in the order they came.
    for person in range(40):
        theirs = [u for u in core.handed if (u - 100) % 40 == person]
        assert theirs == sorted(theirs)


async def test_the_old_way_fetches_an_update_in_flight_again(fast: None) -> None:
    """Without the inbox (the database down) an update is confirmed only once handled: the
    premise of the test above, which must be able to fail."""
    telegram, core = Telegram(), SlowCore(seconds=0.05)
    telegram.add(*(message(100 + n, person=5000 + n % 40) for n in range(200)))
    poller = poller_for(telegram, core, None)
    poller.start()
    await until(lambda: len(core.done) == 200, "every update handled")
    await poller.stop()
    assert max(telegram.returned.values()) > 1
    assert sorted(core.handed) == list(range(100, 300))


async def test_what_a_crash_left_in_the_inbox_is_handled_first_and_once(
    db: Database, fast: None
) -> None:
    clock = FakeClock(START)
    # Killed with 10, 11 and 13 stored, not handled; 11 and 13 never confirmed either.
    await UpdateInbox(db, clock).store([(u, message(u, person=7)) for u in (10, 11)])
    await UpdateInbox(db, clock).store([(13, message(13, person=8))])
    async with db.transaction() as session:  # a row nobody can read: skipped, deleted
        await session.execute(
            sa.insert(Row.__table__), {"update_id": 12, "raw": "{not json", "received_at": START}
        )
    telegram, core = Telegram(), SlowCore(seconds=0.02)
    telegram.add(message(13, person=8), message(14, person=7), message(15, person=8))
    poller = poller_for(telegram, core, UpdateInbox(db, clock, delete_within=0.05))
    await poller.recover()
    poller.start()
    await until(lambda: len(core.done) == 5, "the left and the new updates handled")
    await poller.stop()
    # The left ones first, in update_id order; the new ones after: per chat in order too.
    assert core.handed == [10, 11, 13, 14, 15]
    # Stored, hence confirmable at once: Telegram's copy of 13 is never asked for.
    assert telegram.offsets[0] == 14
    assert telegram.returned[13] == 0
    assert await rows(db) == []


async def test_stopped_while_handling_the_update_stays_for_the_next_start(
    db: Database, fast: None
) -> None:
    telegram, core = Telegram(), SlowCore(seconds=30)
    burst = list(range(20, 21 + polling.SMALL_BATCH))  # too many to wait for: stored
    telegram.add(*(message(u, person=7) for u in burst))
    inbox = UpdateInbox(db, FakeClock(START), delete_within=0.05)
    poller = poller_for(telegram, core, inbox)
    poller.start()
    await until(lambda: core.handed == burst, "the burst handed over")
    await until(lambda: telegram.offsets[-1:] == [burst[-1] + 1], "the burst confirmed")
    poller._task.cancel()  # type: ignore[union-attr]  # as a kill would
    assert await rows(db) == [(u, 7) for u in burst]
    assert telegram.queue == []  # Telegram forgot them: only the inbox has them now

    again = SlowCore()
    restarted = poller_for(Telegram(), again, UpdateInbox(db, FakeClock(START)))
    await restarted.recover()
    await until(lambda: again.done == burst, "handled after the restart, in order")
    await restarted.stop()
    assert await rows(db) == []


async def test_with_the_database_down_updates_wait_with_telegram(
    db: Database, fast: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.runtimes.polling")
    switch = Switch(db)
    switch.down = True
    telegram, core = Telegram(), SlowCore(seconds=0.3)
    poller = poller_for(telegram, core, UpdateInbox(switch, FakeClock(START)))  # type: ignore[arg-type]
    await poller.recover()  # cannot read it: logged, polling starts all the same
    poller.start()
    size = polling.SMALL_BATCH + 1  # batches the poller stores (a smaller one it never does)

    def burst(first: int) -> list[int]:
        ids = list(range(first, first + size))
        telegram.add(*(message(u, person=7000 + u) for u in ids))
        return ids

    first = burst(30)
    await until(lambda: core.handed == first, "handled without the inbox")
    second = burst(40)
    await until(lambda: set(second) <= set(core.handed), "the next ones too")
    # Not confirmed while in flight: Telegram keeps them, so a crash would not lose them.
    assert 30 not in core.done and 30 in [u["update_id"] for u in telegram.queue]
    await until(lambda: len(core.done) == 2 * size, "all handled")
    await until(lambda: telegram.queue == [], "confirmed once handled")
    assert telegram.returned[30] >= 2  # the old way: fetched again while it was handled
    down = [r for r in caplog.records if "could not store updates" in r.getMessage()]
    assert len(down) == 1  # logged once, however many batches

    switch.down = False
    third = burst(50)
    await until(lambda: set(third) <= set(core.done), "handled with the inbox back")
    await poller.stop()
    assert all(telegram.returned[u] == 1 for u in third)
    assert any("storing updates in the inbox again" in r.getMessage() for r in caplog.records)
    assert await rows(db) == []


def test_the_sender_is_the_person_the_row_belongs_to() -> None:
    assert sender_of(message(1, person=42)) == 42
    press = {"update_id": 2, "callback_query": {"id": "q", "from": {"id": 43}, "data": "x"}}
    assert sender_of(press) == 43
    assert sender_of({"update_id": 3, "poll_answer": {"poll_id": "p", "user": {"id": 44}}}) == 44
    assert sender_of({"update_id": 4, "poll_answer": {"poll_id": "p", "voter_chat": {}}}) is None


async def test_forgetting_a_person_takes_their_inbox_rows(driver: Driver) -> None:
    lies = await onboarded(driver, "Lies", person_id=7001)
    other = await onboarded(driver, "Kees", person_id=7002)
    db = driver.services.db
    inbox = UpdateInbox(db, FakeClock(START))
    await inbox.store([(50, message(50, lies.who.id)), (51, message(51, other.who.id))])
    assert await rows(db) == [(50, 7001), (51, 7002)]
    await lies.command("vergeetmij")
    await lies.press("Ja, wis alles")
    assert "ik heb alles over je gewist" in lies.last
    assert await rows(db) == [(51, 7002)]


async def test_an_update_that_came_alone_has_its_row_taken_by_its_own_transaction(
    db: Database, fast: None
) -> None:
    """At a human pace the engine deletes an update's row in the update's transaction (one
    transaction less an update); in a burst, and for updates that never got that far, the
    rows go in groups."""
    inbox = UpdateInbox(db, FakeClock(START), delete_within=0.01)
    deleted: list[list[int]] = []  # the ids of each DELETE

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.startswith("DELETE FROM update_inbox"):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            deleted.append(sorted(v for v in values if isinstance(v, int)))

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    await inbox.store([(60, message(60, 7100))])  # alone
    async with db.transaction() as session:
        assert await inbox.take(session, 60)
        assert not await inbox.take(session, 99)  # never stored: the inbox was down then
    inbox.committed(60, took=True)
    inbox.handled(60)  # taken already: nothing left to delete
    assert await rows(db) == []

    await inbox.store([(62, message(62, 7102))])
    with pytest.raises(RuntimeError):  # a transaction that fails takes nothing
        async with db.transaction() as session:
            assert await inbox.take(session, 62)
            raise RuntimeError("the update's handling failed")
    assert await rows(db) == [(62, 7102)]
    inbox.handled(62)  # skipped after its attempts: its row goes with a group

    await inbox.store([(70, message(70, 7103)), (71, message(71, 7104))])  # a burst
    async with db.transaction() as session:
        assert not await inbox.take(session, 70)  # 71 is still open: a group is cheaper
    inbox.handled(70)
    inbox.handled(71)
    await inbox.close()
    assert await rows(db) == []
    assert deleted[:2] == [[60], [62]]  # each alone, in its own transaction
    assert sorted(i for ids in deleted[2:] for i in ids) == [62, 70, 71]  # groups; never 60


class CommittingCore:
    """As the engine: each update in a transaction that takes its inbox row when it can and
    tells the inbox it committed; then `delivery` s of sending its replies."""

    def __init__(self, db: Database, inbox: UpdateInbox, delivery: float) -> None:
        self.db, self.inbox, self.delivery = db, inbox, delivery
        self.committed: list[int] = []
        self.done: list[int] = []

    async def handle(self, incoming: Any) -> None:
        update_id = incoming.update_id
        async with self.db.transaction() as session:
            took = await self.inbox.take(session, update_id)
        self.inbox.committed(update_id, took)
        self.committed.append(update_id)
        await asyncio.sleep(self.delivery)
        self.done.append(update_id)


async def test_a_small_batch_is_confirmed_once_committed_without_an_inbox_row(
    db: Database, fast: None
) -> None:
    """At a human pace an update is handed over before it is stored; committed, it is
    confirmed by the next getUpdates with no row written (while its replies still go out);
    what has not committed within KEEP_WAIT is stored, and a burst is stored at once."""
    stored: list[list[int]] = []  # the update ids of each INSERT into the inbox

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.startswith("INSERT INTO update_inbox"):
            # One executemany straight on the driver: a list of rows, as the columns go.
            columns = [c.strip() for c in statement.split("(", 1)[1].split(")", 1)[0].split(",")]
            at = columns.index("update_id")
            stored.append(sorted(row[at] for row in parameters))

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    inbox = UpdateInbox(db, FakeClock(START), delete_within=0.01)
    telegram = Telegram()
    core = CommittingCore(db, inbox, delivery=1.0)
    poller = poller_for(telegram, core, inbox)  # type: ignore[arg-type]
    poller.start()
    telegram.add(message(80, person=7200))
    await until(lambda: telegram.offsets[-1:] == [81], "80 confirmed")
    assert core.committed == [80] and core.done == []  # confirmed while its replies go out
    assert stored == []  # and never written to the inbox

    # A batch too big to wait for: stored in one statement before it is handed over.
    telegram.add(*(message(90 + n, person=7300 + n) for n in range(polling.SMALL_BATCH + 1)))
    await until(lambda: telegram.offsets[-1:] == [95], "the burst confirmed")
    assert stored == [list(range(90, 95))]
    await until(lambda: len(core.done) == 6, "every update handled")
    await poller.stop()
    assert await rows(db) == []


async def test_a_small_batch_not_committed_in_time_stays_with_telegram(
    db: Database, fast: None
) -> None:
    """Slower than KEEP_WAIT: not stored (on SQLite the store would wait for the update's
    own transaction), so Telegram keeps it until it is handled; polling goes on."""
    telegram, core = Telegram(), SlowCore(seconds=1.0)  # never commits within KEEP_WAIT
    inbox = UpdateInbox(db, FakeClock(START))
    poller = poller_for(telegram, core, inbox)
    poller.start()
    telegram.add(message(85, person=7400))
    await until(lambda: telegram.offsets.count(85) >= 2, "polled again, 85 unconfirmed")
    assert core.done == [] and telegram.queue  # still Telegram's: a crash would not lose it
    telegram.add(message(86, person=7401))
    await until(lambda: 86 in core.handed, "a later update handled meanwhile")
    await until(lambda: core.done == [85, 86], "both handled")
    await until(lambda: telegram.offsets[-1:] == [87], "confirmed once handled")
    await poller.stop()
    assert core.handed == [85, 86]  # each handed over once, however often it was fetched
    assert await rows(db) == []  # never stored
