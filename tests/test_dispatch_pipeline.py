"""The dispatcher's pipeline: the next batch is claimed and decided while the one before
is being sent, and outcomes are committed in groups — without weakening what a sweep
promises: the daily budget counts the sends still in flight, every outcome is
recorded, and a sweep cancelled mid-send leaves only unrecorded rows in SENDING.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from bot.core.delivery import Delivery
from bot.core.registry import KindInfo
from bot.core.seam import Outgoing, SendText, Sent
from bot.core.services import Services
from bot.runtimes.recording import RecordingSender
from scheduler.dispatch import Dispatcher
from scheduler.pacing import Priority
from storage.models import OutboxStatus, PersonRole, Resident, ScheduledMessage
from tests.support.kinds import add_kind

_ids = itertools.count(1)


async def render_note(_session, row: ScheduledMessage, _now: datetime) -> list[Outgoing]:  # type: ignore[no-untyped-def]
    return [SendText(row.chat_id or 0, row.dedupe_key)]


@pytest.fixture(autouse=True)
def note_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    # A deferrable kind under the daily budget, like a nudge, that needs no domain rows.
    add_kind(monkeypatch, KindInfo("note", render_note))


class SlowSender(RecordingSender):
    """Takes a moment per message, so a batch is still in flight when the next is decided."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def send(self, action: Outgoing) -> Sent:
        await asyncio.sleep(self.seconds)
        return await super().send(action)


class StaggeredSender(RecordingSender):
    """The n-th message takes n times ``step`` seconds: outcomes come in one by one."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = step
        self.started = 0

    async def send(self, action: Outgoing) -> Sent:
        delay = self.step * self.started
        self.started += 1
        await asyncio.sleep(delay)
        return await super().send(action)


class StuckSender(RecordingSender):
    """Sends ``count`` messages, then hangs (a process about to be killed)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    async def send(self, action: Outgoing) -> Sent:
        if len(self.sent) >= self.count:
            await asyncio.Event().wait()
        return await super().send(action)


async def add_person(services: Services) -> tuple[int, int]:
    now = services.clock.now()
    telegram_id = 8_000_000 + next(_ids)
    async with services.db.transaction() as session:
        await session.execute(
            insert(Resident),
            [
                {
                    "telegram_id": telegram_id,
                    "first_name": "Anna",
                    "language": "nl",
                    "timezone": "Europe/Amsterdam",
                    "reminders": "on",
                    "reachable": True,
                    "role": PersonRole.RESIDENT,
                    "language_chosen": False,
                    "announcements_opt_in": False,
                    "created_at": now,
                    "last_seen_at": now,
                }
            ],
        )
        person = await session.execute(
            select(Resident.id).where(Resident.telegram_id == telegram_id)
        )
        return person.scalar_one(), telegram_id


async def add_notes(
    services: Services, count: int, *, resident: tuple[int, int] | None = None
) -> None:
    now = services.clock.now()
    rows = [
        {
            "kind": "note",
            "dedupe_key": f"note:{next(_ids)}",
            "resident_id": resident[0] if resident else None,
            "chat_id": resident[1] if resident else 7_500_000 + number,
            "due_at": now - timedelta(seconds=count - number),
            "priority": Priority.SCHEDULED,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "payload": {},
            "created_at": now,
        }
        for number in range(count)
    ]
    async with services.db.transaction() as session:
        await session.execute(insert(ScheduledMessage), rows)


async def statuses(services: Services) -> dict[str, OutboxStatus]:
    async with services.db.transaction() as session:
        rows = (await session.execute(select(ScheduledMessage))).scalars().all()
        return {row.dedupe_key: row.status for row in rows}


async def test_the_budget_counts_the_batch_still_being_sent(sqlite_services: Services) -> None:
    # One message per batch: each is decided while the one before is still being sent.
    anna = await add_person(sqlite_services)
    await add_notes(sqlite_services, 5, resident=anna)
    sender = SlowSender(0.05)
    dispatcher = Dispatcher(sqlite_services, Delivery(sqlite_services, sender), batch_size=1)
    report = await dispatcher.sweep()
    assert len(sender.sent) == 3  # the budget of three, not one more per batch in flight
    assert (report.sent, report.postponed) == (3, 2)
    assert report.reasons["daily budget used"] == 2


async def test_outcomes_are_committed_in_groups(sqlite_services: Services) -> None:
    await add_notes(sqlite_services, 400)
    sender = RecordingSender()
    dispatcher = Dispatcher(sqlite_services, Delivery(sqlite_services, sender), batch_size=200)
    groups: list[int] = []
    record = dispatcher._record

    async def spy(results, report) -> None:  # type: ignore[no-untyped-def]
        groups.append(len(results))
        await record(results, report)

    dispatcher._record = spy  # type: ignore[method-assign]
    report = await dispatcher.sweep()
    assert report.sent == 400 and len(sender.sent) == 400
    assert sum(groups) == 400
    assert len(groups) <= 4, groups  # instant sends: a batch in one or two commits
    assert set((await statuses(sqlite_services)).values()) == {OutboxStatus.SENT}


async def test_slow_sends_are_committed_as_they_finish(sqlite_services: Services) -> None:
    await add_notes(sqlite_services, 6)
    sender = StaggeredSender(0.5)  # sent after 0, 0.5, 1.0 ... 2.5 s
    dispatcher = Dispatcher(sqlite_services, Delivery(sqlite_services, sender), record_within=0.01)
    sweeping = asyncio.create_task(dispatcher.sweep())
    recorded = 0
    while recorded < 2 and len(sender.sent) < 6:  # the first two are sent by 0.5 s
        await asyncio.sleep(0.01)
        recorded = list((await statuses(sqlite_services)).values()).count(OutboxStatus.SENT)
    assert recorded >= 2 and len(sender.sent) < 6  # not held back until the batch is done
    assert (await sweeping).sent == 6


async def test_a_cancelled_sweep_leaves_only_the_unrecorded_rows_in_sending(
    sqlite_services: Services,
) -> None:
    await add_notes(sqlite_services, 10)
    sender = StuckSender(4)
    dispatcher = Dispatcher(
        sqlite_services, Delivery(sqlite_services, sender), batch_size=5, record_within=0.01
    )
    sweeping = asyncio.create_task(dispatcher.sweep())
    # Wait until four are sent and recorded, the fifth hangs and the next batch is claimed.
    settled = [*[OutboxStatus.SENDING] * 6, *[OutboxStatus.SENT] * 4]
    for _ in range(1000):
        if sorted((await statuses(sqlite_services)).values()) == settled:
            break
        await asyncio.sleep(0.01)
    sweeping.cancel()
    with pytest.raises(asyncio.CancelledError, match=r"^$"):  # cancelled, no other error
        await sweeping
    counts: dict[OutboxStatus, int] = {}
    for status in (await statuses(sqlite_services)).values():
        counts[status] = counts.get(status, 0) + 1
    assert len(sender.sent) == 4
    # Claimed rows not recorded stay SENDING for the reaper: the hung one and the next batch.
    assert counts == {OutboxStatus.SENT: 4, OutboxStatus.SENDING: 6}
    assert dispatcher._in_flight == set()


async def test_the_claim_after_next_runs_while_a_batch_is_decided(services: Services) -> None:
    """Once the batch being sent is recorded, the following claim starts at once, while
    the next batch is still being decided (on PostgreSQL the server works meanwhile)."""
    await add_notes(services, 20)
    dispatcher = Dispatcher(services, Delivery(services, RecordingSender()), batch_size=5)
    events: list[str] = []
    claim, decide = dispatcher._claim_in, dispatcher._decide_batch

    async def claiming(session, limit: int) -> list[ScheduledMessage]:  # type: ignore[no-untyped-def]
        events.append("claim")
        return await claim(session, limit)

    async def deciding(rows, report):  # type: ignore[no-untyped-def]
        sends = await decide(rows, report)
        await asyncio.sleep(0.2)  # a slow decision: the batch before is recorded meanwhile
        events.append("decided")
        return sends

    dispatcher._claim_in = claiming  # type: ignore[method-assign]
    dispatcher._decide_batch = deciding  # type: ignore[method-assign]
    report = await dispatcher.sweep()
    assert report.sent == 20 and set((await statuses(services)).values()) == {OutboxStatus.SENT}
    # Claims 1 and 2 before batch 1 is decided; claim 3 once batch 1 (sent during the
    # decision of batch 2) is recorded, before batch 2 is decided; and so on.
    assert events[:6] == ["claim", "claim", "decided", "claim", "decided", "claim"], events


async def test_a_batch_is_never_claimed_before_the_one_two_ahead_is_recorded(
    services: Services,
) -> None:
    await add_notes(services, 30)
    sender = SlowSender(0.05)
    dispatcher = Dispatcher(services, Delivery(services, sender), batch_size=5)
    sweeping = asyncio.create_task(dispatcher.sweep())
    most = 0
    while not sweeping.done():
        found = list((await statuses(services)).values())
        most = max(most, found.count(OutboxStatus.SENDING))
        await asyncio.sleep(0.005)
    assert (await sweeping).sent == 30
    assert 5 < most <= 10  # two batches at most: one being sent, the next one claimed


async def test_a_failing_sweep_hands_the_batch_it_claimed_ahead_back(services: Services) -> None:
    await add_notes(services, 20)
    dispatcher = Dispatcher(services, Delivery(services, RecordingSender()), batch_size=5)
    claims: list[int] = []
    claim, decide = dispatcher._claim_in, dispatcher._decide_batch

    async def claiming(session, limit: int) -> list[ScheduledMessage]:  # type: ignore[no-untyped-def]
        rows = await claim(session, limit)
        claims.append(len(rows))
        return rows

    async def deciding(rows, report):  # type: ignore[no-untyped-def]
        if len(claims) < 2:
            return await decide(rows, report)
        await asyncio.sleep(0.2)  # batch 1 is sent and recorded; batch 3 is claimed
        raise RuntimeError("the database went away")

    dispatcher._claim_in = claiming  # type: ignore[method-assign]
    dispatcher._decide_batch = deciding  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="went away"):
        await dispatcher.sweep()
    assert claims == [5, 5, 5]
    async with services.db.transaction() as session:
        rows = (await session.execute(select(ScheduledMessage))).scalars().all()
    found = sorted((row.status, row.attempts) for row in rows)
    # Batch 1 sent; batch 2 (its decision failed) for the reaper; batch 3 pending again,
    # its attempt given back; batch 4 never claimed.
    assert found == sorted(
        [(OutboxStatus.SENT, 1)] * 5
        + [(OutboxStatus.SENDING, 1)] * 5
        + [(OutboxStatus.PENDING, 0)] * 10
    )


async def test_on_postgres_the_claim_runs_alongside_the_last_record_and_commits_after_it(
    services: Services,
) -> None:
    await add_notes(services, 15)
    dispatcher = Dispatcher(services, Delivery(services, RecordingSender()), batch_size=5)
    events: list[str] = []
    committed_sending: list[int] = []
    claim, record = dispatcher._claim_in, dispatcher._record

    async def claiming(session, limit: int) -> list[ScheduledMessage]:  # type: ignore[no-untyped-def]
        events.append("claim")
        return await claim(session, limit)

    async def recording(results, report) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.2)  # a slow commit of the marks
        found = list((await statuses(services)).values())  # what other connections see
        committed_sending.append(found.count(OutboxStatus.SENDING))
        await record(results, report)
        events.append("recorded")

    dispatcher._claim_in = claiming  # type: ignore[method-assign]
    dispatcher._record = recording  # type: ignore[method-assign]
    assert (await dispatcher.sweep()).sent == 15
    if services.db.is_sqlite:  # its transactions take turns: the claim waits
        assert events[:4] == ["claim", "claim", "recorded", "claim"], events
    else:  # claim 3 is made while batch 1's marks are written, and committed after them
        assert events[:4] == ["claim", "claim", "claim", "recorded"], events
    assert max(committed_sending) <= 10, committed_sending


async def test_a_claim_made_alongside_is_rolled_back_when_the_sweep_fails(
    services: Services,
) -> None:
    await add_notes(services, 15)
    dispatcher = Dispatcher(services, Delivery(services, RecordingSender()), batch_size=5)
    record, decide, claim = dispatcher._record, dispatcher._decide_batch, dispatcher._claim_in
    released: list[int] = []
    claims: list[int] = []
    decided = 0

    async def claiming(session, limit: int) -> list[ScheduledMessage]:  # type: ignore[no-untyped-def]
        rows = await claim(session, limit)
        claims.append(len(rows))
        return rows

    async def recording(results, report) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.5)
        await record(results, report)

    async def deciding(rows, report):  # type: ignore[no-untyped-def]
        nonlocal decided
        decided += 1
        if decided == 1:
            return await decide(rows, report)
        await asyncio.sleep(0.1)  # batch 1's marks are still being written
        raise RuntimeError("the database went away")

    async def releasing(rows) -> None:  # type: ignore[no-untyped-def]
        released.append(len(rows))

    dispatcher._record = recording  # type: ignore[method-assign]
    dispatcher._decide_batch = deciding  # type: ignore[method-assign]
    dispatcher._release = releasing  # type: ignore[method-assign]
    dispatcher._claim_in = claiming  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="went away"):
        await dispatcher.sweep()
    found = sorted((await statuses(services)).values())
    assert found == sorted(
        [OutboxStatus.SENT] * 5 + [OutboxStatus.SENDING] * 5 + [OutboxStatus.PENDING] * 5
    )
    # PostgreSQL: claim 3 waited in its transaction and was rolled back; SQLite: it never
    # began (it waits for batch 1 to be recorded, and the sweep was stopping by then).
    assert claims == ([5, 5] if services.db.is_sqlite else [5, 5, 5]) and released == []
    async with services.db.transaction() as session:
        rows = (await session.execute(select(ScheduledMessage))).scalars().all()
    assert {row.attempts for row in rows if row.status is OutboxStatus.PENDING} == {0}
