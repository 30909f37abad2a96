"""The dispatcher and the paced Delivery: each due row is claimed by one sweeper and sent
once; errors from the Sender end where they should (retry with backoff, failed with the
reason, the recipient marked unreachable with all their rows cancelled); the pacer keeps
every send inside Telegram's limits and a flood-control answer pauses everyone.

Fake clocks only: the services' FakeClock for due times, and a fake monotonic clock
whose ``sleep`` moves time for the pacer.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from bot.core.delivery import TELEGRAM_LIMITS, Delivery, Outcome
from bot.core.registry import KindInfo
from bot.core.seam import (
    ChatMoved,
    OutcomeUnknown,
    Outgoing,
    RateLimited,
    RecipientGone,
    Rejected,
    SendText,
    Sent,
    Transient,
)
from bot.core.services import Services
from bot.runtimes.recording import RecordingSender
from scheduler.dispatch import Dispatcher, sqlite_has_returning
from scheduler.messages import Skip
from scheduler.pacing import Pacer, Priority
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    PersonRole,
    Reminders,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
)
from tests.conftest import START, make_services
from tests.support.kinds import add_kind

_ids = itertools.count(1)


async def _no_sleep(_seconds: float) -> None:
    return None


# --- a kind for the dispatcher's own mechanics: it says what its row carries ------------------


async def render_echo(_session, row: ScheduledMessage, _now: datetime) -> list[Outgoing]:  # type: ignore[no-untyped-def]
    if row.payload.get("skip"):
        raise Skip("told to skip")
    if row.payload.get("explode"):
        raise RuntimeError("a bug in a renderer")
    return [SendText(row.chat_id or 0, row.payload.get("text", row.dedupe_key))]


@pytest.fixture(autouse=True)
def echo_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    add_kind(monkeypatch, KindInfo("echo", render_echo))


async def add_rows(
    services: Services, count: int, *, chat_id: int | None = None, **extra: object
) -> list[str]:
    now = services.clock.now()
    keys = [f"echo:{next(_ids)}" for _ in range(count)]
    rows = [
        {
            "kind": "echo",
            "dedupe_key": key,
            "chat_id": chat_id if chat_id is not None else 7_000_000 + number,
            "due_at": now - timedelta(seconds=count - number),
            "priority": Priority.SCHEDULED,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "payload": dict(extra),
            "created_at": now,
        }
        for number, key in enumerate(keys)
    ]
    async with services.db.transaction() as session:
        await session.execute(insert(ScheduledMessage), rows)
    return keys


async def rows_by_key(services: Services) -> dict[str, ScheduledMessage]:
    async with services.db.transaction() as session:
        result = await session.execute(select(ScheduledMessage))
        return {row.dedupe_key: row for row in result.scalars().all()}


def dispatcher(
    services: Services, sender: RecordingSender | None = None, **options: object
) -> Dispatcher:
    delivery = Delivery(services, sender or RecordingSender(), sleep=_no_sleep)
    return Dispatcher(services, delivery, **options)  # type: ignore[arg-type]


# --- claiming ---------------------------------------------------------------------------------


def test_this_sqlite_can_claim_with_update_returning() -> None:
    assert sqlite_has_returning()


async def test_two_sweepers_on_one_database_send_each_row_once(
    services: Services, clock: FakeClock
) -> None:
    keys = await add_rows(services, 500)
    sender = RecordingSender()
    other = make_services(services.db.url, clock)  # a second process: its own engine
    try:
        reports = await asyncio.gather(
            dispatcher(services, sender, batch_size=50).sweep(),
            dispatcher(other, sender, batch_size=50).sweep(),
        )
    finally:
        await other.db.close()
    assert sum(report.sent for report in reports) == 500
    texts = Counter(action.text for action in sender.sent)  # type: ignore[union-attr]
    assert set(texts) == set(keys) and set(texts.values()) == {1}
    rows = await rows_by_key(services)
    assert {row.status for row in rows.values()} == {OutboxStatus.SENT}


async def test_a_claimed_row_is_leased_and_nobody_else_takes_it(services: Services) -> None:
    await add_rows(services, 3)
    first = dispatcher(services)
    claimed = await first.claim(10)
    assert len(claimed) == 3
    assert {row.status for row in claimed} == {OutboxStatus.SENDING}
    assert {row.lease_until for row in claimed} == {START + timedelta(minutes=10)}
    assert {row.attempts for row in claimed} == {1}
    assert await dispatcher(services).claim(10) == []


async def test_a_claim_takes_the_oldest_due_rows_up_to_its_limit_with_aware_times(
    services: Services,
) -> None:
    keys = await add_rows(services, 5)  # due one second apart, oldest first
    stored = await rows_by_key(services)
    first = await dispatcher(services).claim(2)
    assert [row.dedupe_key for row in first] == keys[:2]
    for row in first:
        # Read as asyncpg gives it on PostgreSQL (no decorator), the same aware UTC moment.
        assert row.due_at == stored[row.dedupe_key].due_at
        assert row.due_at.utcoffset() == timedelta(0) and row.created_at.utcoffset() == timedelta(0)
        assert row.lease_until == START + timedelta(minutes=10) and row.sent_at is None
    rest = await dispatcher(services).claim(10)
    assert [row.dedupe_key for row in rest] == keys[2:]


async def test_the_budget_reads_what_was_sent_but_not_the_batch_being_decided(
    services: Services,
) -> None:
    """`_Budget.load` leaves out the batch's own rows by id (``<> ALL`` on PostgreSQL,
    ``NOT IN json_each`` on SQLite): here a sent row passed as the batch is not counted,
    the other one is."""
    from scheduler.dispatch import _Budget, _Zones

    now = services.clock.now()
    async with services.db.transaction() as session:
        await session.execute(
            insert(Resident),
            [
                {
                    "telegram_id": 6_100_001,
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
        person = (
            await session.execute(select(Resident.id).where(Resident.telegram_id == 6_100_001))
        ).scalar_one()
        await session.execute(
            insert(ScheduledMessage),
            [
                {
                    "kind": "echo",
                    "dedupe_key": f"budget:{number}",
                    "resident_id": person,
                    "due_at": now - timedelta(minutes=30 - number),
                    "sent_at": now - timedelta(minutes=20 - number),
                    "priority": Priority.SCHEDULED,
                    "status": OutboxStatus.SENT,
                    "attempts": 1,
                    "payload": {},
                    "created_at": now,
                }
                for number in range(2)
            ],
        )
    rows = await rows_by_key(services)
    batch, other = rows["budget:0"], rows["budget:1"]
    timings = services.policy.timings
    sqlite = services.db.is_sqlite
    for given, counted in (([batch.id], [other.sent_at]), ([], [batch.sent_at, other.sent_at])):
        budget = _Budget(timings.daily_budget, _Zones(now, timings.quiet_hours))
        async with services.db.transaction() as session:
            await budget.load(session, {person}, now, set(), batch=given, sqlite=sqlite)
        assert sorted(budget.sent[person]) == counted


async def test_rows_not_yet_due_wait(services: Services, clock: FakeClock) -> None:
    await add_rows(services, 2)
    async with services.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="echo",
                dedupe_key="later",
                chat_id=1,
                due_at=START + timedelta(hours=1),
                created_at=START,
            )
        )
    report = await dispatcher(services).sweep()
    assert (report.claimed, report.sent) == (2, 2)
    clock.advance(timedelta(hours=1))
    assert (await dispatcher(services).sweep()).sent == 1


@pytest.mark.postgres
@pytest.mark.parametrize("rows", [10_000])
async def test_three_sweepers_on_postgres_send_10000_rows_exactly_once(
    services: Services, clock: FakeClock, rows: int
) -> None:
    """Three sweepers, each with its own engine, race over 10,000 due reminders."""
    if services.db.is_sqlite:
        pytest.skip("the three-sweeper race is a PostgreSQL test")
    keys = await add_reminders(services, rows)
    sender = RecordingSender()
    others = [make_services(services.db.url, clock) for _ in range(2)]
    try:  # how fast is benchmarks/scheduler_dispatch.py's question, not this test's
        reports = await asyncio.gather(
            *(dispatcher(each, sender, batch_size=200).sweep() for each in (services, *others))
        )
    finally:
        for each in others:
            await each.db.close()
    assert sum(report.sent for report in reports) == rows
    assert all(report.sent > 0 for report in reports), "every sweeper took a share"
    per_chat = Counter(action.chat_id for action in sender.sent)  # type: ignore[union-attr]
    per_key = Counter(keys[chat] for chat in per_chat.elements())
    assert len(per_key) == rows and set(per_key.values()) == {1}
    stored = await rows_by_key(services)
    assert Counter(row.status for row in stored.values()) == {OutboxStatus.SENT: rows}


async def add_reminders(services: Services, count: int) -> dict[int, str]:
    """``count`` people who said they are coming to one action, each with a due reminder.
    Returns chat id -> dedupe key."""
    now = services.clock.now()
    starts = now + timedelta(hours=20)
    async with services.db.transaction() as session:
        initiative = Initiative(
            title="Straatfeest", what="Feest", invite_token=f"bench{next(_ids)}"
        )
        session.add(initiative)
        await session.flush()
        action = Action(
            initiative_id=initiative.id or 0, title="Straatfeest", starts_at=starts, place="Plein"
        )
        session.add(action)
        await session.flush()
        base = 8_000_000 + next(_ids) * 1_000_000
        await session.execute(
            insert(Resident),
            [
                {
                    "telegram_id": base + n,
                    "first_name": f"Buur {n}",
                    "language": "nl" if n % 2 else "en",
                    "timezone": "Europe/Amsterdam",
                    "reminders": "on",
                    "reachable": True,
                    "role": PersonRole.RESIDENT,
                    "language_chosen": False,
                    "announcements_opt_in": False,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for n in range(count)
            ],
        )
        people = (
            await session.execute(
                select(Resident.id, Resident.telegram_id).where(Resident.telegram_id >= base)
            )
        ).all()
        await session.execute(
            insert(Membership),
            [
                {
                    "initiative_id": initiative.id,
                    "resident_id": pid,
                    "role": MemberRole.FOLLOWER,
                    "joined_at": now,
                }
                for pid, _ in people
            ],
        )
        await session.execute(
            insert(Rsvp),
            [
                {
                    "action_id": action.id,
                    "resident_id": pid,
                    "answer": RsvpAnswer.COMING,
                    "waitlisted": False,
                    "show_name": False,
                    "answered_at": now,
                }
                for pid, _ in people
            ],
        )
        keys = {tid: f"reminder:{action.id}:24h:{pid}" for pid, tid in people}
        await session.execute(
            insert(ScheduledMessage),
            [
                {
                    "kind": "reminder",
                    "dedupe_key": keys[tid],
                    "resident_id": pid,
                    "action_id": action.id,
                    "initiative_id": initiative.id,
                    "due_at": now - timedelta(minutes=1),
                    "priority": Priority.SCHEDULED,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "payload": {"lead": "24h", "starts_at": starts.isoformat()},
                    "created_at": now,
                }
                for pid, tid in people
            ],
        )
    return keys


async def test_a_batch_of_reminders_is_rendered_with_a_handful_of_queries(
    sqlite_services: Services,
) -> None:
    keys = await add_reminders(sqlite_services, 400)
    sender = RecordingSender()
    statements: list[str] = []
    from sqlalchemy import event

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(sqlite_services.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        report = await dispatcher(sqlite_services, sender, batch_size=200).sweep()
    finally:
        event.remove(sqlite_services.db.engine.sync_engine, "before_cursor_execute", count)
    assert report.sent == 400 and len(sender.sent) == 400
    assert len(statements) < 60, len(statements)  # not one query per row
    text = {action.chat_id: action.text for action in sender.sent}  # type: ignore[union-attr]
    nl, en = (text[tid] for tid in sorted(keys)[1:3])
    assert "Herinnering" in nl and "Reminder" in en


async def test_one_batch_of_reminders_tells_each_answer_its_own_words(services: Services) -> None:
    """The renderer decides once per action, lead, language, zone and answer in a batch:
    each reader still gets what their own answer calls for."""
    keys = await add_reminders(services, 8)
    chats = sorted(keys)  # even: English, odd: Dutch
    answers = {
        chats[2]: (RsvpAnswer.MAYBE, False),
        chats[4]: (RsvpAnswer.NO, False),
        chats[6]: (RsvpAnswer.COMING, True),
        chats[3]: (RsvpAnswer.MAYBE, False),
    }
    async with services.db.transaction() as session:
        people = {p.id: p.telegram_id for p in (await session.execute(select(Resident))).scalars()}
        for rsvp in (await session.execute(select(Rsvp))).scalars():
            answer = answers.get(people[rsvp.resident_id])
            if answer is not None:
                rsvp.answer, rsvp.waitlisted = answer
    sender = RecordingSender()
    report = await dispatcher(services, sender).sweep()
    assert (report.sent, report.skipped) == (6, 2)
    assert report.reasons["already answered: not coming"] == 1
    assert report.reasons["on the waiting list"] == 1
    text = {action.chat_id: action.text for action in sender.sent}  # type: ignore[union-attr]
    assert set(text) == {chats[n] for n in (0, 1, 2, 3, 5, 7)}
    assert "You said you're coming" in text[chats[0]] and "maybe" in text[chats[2]]
    assert text[chats[1]] == text[chats[5]] == text[chats[7]] != text[chats[3]]
    assert "Reminder" not in text[chats[1]] and "Reminder" in text[chats[0]]


async def test_a_pause_that_is_over_sends_and_turns_reminders_back_on(
    services: Services,
) -> None:
    """The batch reads residents as plain rows; the one change a sweep makes to a person
    (their pause of reminders is over: back to "on") is still written, once."""
    keys = await add_reminders(services, 3)
    now = services.clock.now()
    paused, other = sorted(keys)[:2]
    async with services.db.transaction() as session:
        for person in (await session.execute(select(Resident))).scalars():
            if person.telegram_id == paused:
                person.reminders = Reminders.PAUSED
                person.reminders_paused_until = now - timedelta(hours=1)
    sender = RecordingSender()
    report = await dispatcher(services, sender).sweep()
    assert report.sent == 3 and {action.chat_id for action in sender.sent} == set(keys)  # type: ignore[union-attr]
    async with services.db.transaction() as session:
        people = {p.telegram_id: p for p in (await session.execute(select(Resident))).scalars()}
    assert people[paused].reminders is Reminders.ON
    assert people[paused].reminders_paused_until is None
    assert people[other].reminders is Reminders.ON


# --- what the Sender says ---------------------------------------------------------------------


async def test_transient_errors_back_off_then_fail_with_the_reason(
    services: Services, clock: FakeClock
) -> None:
    sender = RecordingSender()
    [key] = await add_rows(services, 1, chat_id=4242)
    for _ in range(5):
        sender.fail_next(4242, Transient("502 Bad Gateway"))
    worker = dispatcher(services, sender, max_attempts=5)
    due_times = []
    for attempt in range(1, 6):
        report = await worker.sweep()
        assert report.claimed == 1
        row = (await rows_by_key(services))[key]
        if attempt < 5:
            assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempt)
            due_times.append(row.due_at - clock.now())
            clock.set(row.due_at)
    assert due_times == [timedelta(seconds=30 * 2**n) for n in range(4)]
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "gave up after 5 attempts; transient: 502 Bad Gateway"
    assert sender.sent == []


async def test_a_transient_error_once_then_it_arrives(services: Services, clock: FakeClock) -> None:
    sender = RecordingSender()
    [key] = await add_rows(services, 1, chat_id=4243)
    sender.fail_next(4243, Transient("timeout"))
    worker = dispatcher(services, sender)
    assert (await worker.sweep()).retried == 1
    clock.advance(timedelta(seconds=30))
    assert (await worker.sweep()).sent == 1
    row = (await rows_by_key(services))[key]
    assert (row.status, row.sent_at, row.attempts) == (OutboxStatus.SENT, clock.now(), 2)


async def test_a_send_with_no_answer_is_recorded_sent_and_not_repeated(
    services: Services, clock: FakeClock
) -> None:
    sender = RecordingSender()
    [key] = await add_rows(services, 1, chat_id=4244)
    sender.fail_next(4244, OutcomeUnknown("read timed out"))  # it may have arrived
    worker = dispatcher(services, sender)
    assert (await worker.sweep()).sent == 1
    row = (await rows_by_key(services))[key]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert row.last_error == "unknown: read timed out"
    clock.advance(timedelta(hours=1))
    assert (await worker.sweep()).claimed == 0
    assert sender.sent == []  # the one try was the timed-out one


async def test_a_blocked_person_is_unreachable_and_all_their_rows_are_cancelled(
    services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    async with services.db.transaction() as session:
        person = Resident(telegram_id=31337, first_name="Gerrit", created_at=now, last_seen_at=now)
        session.add(person)
        await session.flush()
        for number, due in enumerate((now, now + timedelta(days=1), now + timedelta(days=2))):
            session.add(
                ScheduledMessage(
                    kind="echo",
                    dedupe_key=f"gone:{number}",
                    resident_id=person.id,
                    chat_id=31337,
                    due_at=due,
                    created_at=now,
                )
            )
    sender = RecordingSender()
    sender.fail_next(31337, RecipientGone("Forbidden: bot was blocked by the user"))
    report = await dispatcher(services, sender).sweep()
    assert report.gone == 1
    rows = await rows_by_key(services)
    assert [rows[f"gone:{n}"].status for n in range(3)] == [OutboxStatus.CANCELLED] * 3
    assert rows["gone:0"].last_error == "gone: Forbidden: bot was blocked by the user"
    assert rows["gone:1"].last_error == "recipient unreachable"
    async with services.db.transaction() as session:
        gerrit = (
            await session.execute(select(Resident).where(Resident.telegram_id == 31337))
        ).scalar_one()
        assert gerrit.reachable is False


async def test_a_rejected_message_fails_at_once(services: Services) -> None:
    sender = RecordingSender()
    [key] = await add_rows(services, 1, chat_id=5151)
    sender.fail_next(5151, Rejected("Bad Request: can't parse entities"))
    report = await dispatcher(services, sender).sweep()
    assert report.failed == 1
    row = (await rows_by_key(services))[key]
    assert (row.status, row.last_error) == (
        OutboxStatus.FAILED,
        "rejected: Bad Request: can't parse entities",
    )


async def test_a_moved_group_gets_the_message_and_keeps_its_rows(
    services: Services, clock: FakeClock
) -> None:
    sender = RecordingSender()
    keys = await add_rows(services, 1, chat_id=-100)
    async with services.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="echo",
                dedupe_key="later",
                chat_id=-100,
                due_at=START + timedelta(days=1),
                created_at=START,
            )
        )
    sender.fail_next(-100, ChatMoved(-1001234))
    assert (await dispatcher(services, sender).sweep()).sent == 1
    assert [shown.text for shown in sender.chats[-1001234]] == keys
    assert (await rows_by_key(services))["later"].chat_id == -1001234


async def test_a_broken_renderer_fails_its_row_and_the_rest_goes_on(services: Services) -> None:
    sender = RecordingSender()
    good = await add_rows(services, 3)
    [bad] = await add_rows(services, 1, explode=True)
    [skipped] = await add_rows(services, 1, skip=True)
    async with services.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="nonsense", dedupe_key="what", chat_id=1, due_at=START, created_at=START
            )
        )
    report = await dispatcher(services, sender).sweep()
    assert (report.sent, report.failed, report.skipped) == (3, 2, 1)
    rows = await rows_by_key(services)
    assert rows[bad].last_error == "render error: RuntimeError('a bug in a renderer')"
    assert rows["what"].last_error == "unknown kind 'nonsense'"
    assert (rows[skipped].status, rows[skipped].last_error) == (
        OutboxStatus.CANCELLED,
        "told to skip",
    )
    assert {rows[key].status for key in good} == {OutboxStatus.SENT}


# --- pacing -----------------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class TimedSender(RecordingSender):
    """Records the fake time of each send; flood control armed per call number."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.time = time
        self.times: list[tuple[float, int]] = []
        self.flood_at: dict[int, float] = {}
        self.calls = 0

    async def send(self, action: Outgoing) -> Sent:
        call, self.calls = self.calls, self.calls + 1
        if call in self.flood_at:
            retry_after = self.flood_at.pop(call)
            raise RateLimited(retry_after)
        self.times.append((self.time.now, action.chat_id))  # type: ignore[union-attr]
        return await super().send(action)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def paced(services: Services, time: FakeTime) -> tuple[Delivery, TimedSender, Pacer]:
    pacer = Pacer(TELEGRAM_LIMITS, monotonic=time.monotonic, sleep=time.sleep)
    sender = TimedSender(time)
    return Delivery(services, sender, sleep=time.sleep, pacer=pacer), sender, pacer


def most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_a_group_never_gets_more_than_20_in_any_minute(
    sqlite_services: Services, fake_time: FakeTime
) -> None:
    delivery, sender, _pacer = paced(sqlite_services, fake_time)
    await asyncio.gather(
        *(
            delivery.deliver_one(SendText(-42, f"bericht {n}"), priority=Priority.SCHEDULED)
            for n in range(60)
        )
    )
    times = [at for at, _chat in sender.times]
    assert len(times) == 60
    # Closed windows too: [t, t+60] holds at most 20 (the bucket bound b + r*W = 1 + 19).
    assert max(sum(1 for t in times if start <= t <= start + 60 + 1e-9) for start in times) <= 20
    assert times[-1] == pytest.approx(59 * 60 / 19)  # 19 a minute, steadily


async def test_overall_and_per_chat_limits_hold(
    sqlite_services: Services, fake_time: FakeTime
) -> None:
    delivery, sender, _pacer = paced(sqlite_services, fake_time)
    await asyncio.gather(
        *(
            delivery.deliver_one(SendText(1000 + n % 40, "hoi"), priority=Priority.BROADCAST)
            for n in range(200)
        )
    )
    times = [at for at, _chat in sender.times]
    assert most_in_window(times, 1.0) <= 30
    per_chat: dict[int, list[float]] = {}
    for at, chat in sender.times:
        per_chat.setdefault(chat, []).append(at)
    for chat_times in per_chat.values():
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(chat_times))


async def test_one_chats_flood_control_pauses_that_chat_and_retries_the_same_message(
    sqlite_services: Services, fake_time: FakeTime
) -> None:
    delivery, sender, pacer = paced(sqlite_services, fake_time)
    sender.flood_at[0] = 7.0
    results = await asyncio.gather(
        delivery.attempt(SendText(1, "eerste"), priority=Priority.REPLY),
        delivery.attempt(SendText(2, "tweede"), priority=Priority.SCHEDULED),
    )
    assert [result.outcome for result in results] == [Outcome.SENT, Outcome.SENT]
    assert [shown.text for shown in sender.chats[1]] == ["eerste"]  # retried, sent once
    sent_at = dict((chat, at) for at, chat in sender.times)
    assert sent_at[1] >= 7.0  # chat 1 waited its pause
    assert sent_at[2] < 1.0  # chat 2 did not
    assert pacer.paused_until < 0  # nobody else paused


async def test_flood_control_in_two_chats_at_once_pauses_everyone(
    sqlite_services: Services, fake_time: FakeTime
) -> None:
    delivery, sender, pacer = paced(sqlite_services, fake_time)
    sender.flood_at[0] = 7.0
    sender.flood_at[1] = 7.0  # the second chat refused while the first is paused: overall
    results = await asyncio.gather(
        delivery.attempt(SendText(1, "eerste"), priority=Priority.REPLY),
        delivery.attempt(SendText(2, "tweede"), priority=Priority.REPLY),
        delivery.attempt(SendText(3, "derde"), priority=Priority.SCHEDULED),
    )
    assert [result.outcome for result in results] == [Outcome.SENT] * 3
    assert [shown.text for shown in sender.chats[2]] == ["tweede"]
    assert min(at for at, _ in sender.times) >= 7.0  # nobody sent during the pause
    assert pacer.paused_until == pytest.approx(7.0, abs=0.1)


async def test_replies_go_before_scheduled_before_broadcasts(
    sqlite_services: Services, fake_time: FakeTime
) -> None:
    delivery, sender, _pacer = paced(sqlite_services, fake_time)
    order = [
        (Priority.BROADCAST, 300),
        (Priority.SCHEDULED, 200),
        (Priority.REPLY, 100),
    ]
    await delivery.deliver_one(SendText(1, "warm up"))  # the bucket is now empty
    await asyncio.gather(
        *(
            delivery.deliver_one(SendText(chat + n, "x"), priority=priority)
            for priority, chat in order
            for n in range(3)
        )
    )
    chats = [chat for _, chat in sender.times[1:]]
    assert chats[:3] == [100, 101, 102] and chats[3:6] == [200, 201, 202]


async def test_delivery_takes_the_shared_pacer_from_services(sqlite_services: Services) -> None:
    assert Delivery(sqlite_services, RecordingSender()).pacer is None
    pacer = Pacer(TELEGRAM_LIMITS)
    sqlite_services.pacer = pacer  # type: ignore[attr-defined]
    try:
        assert Delivery(sqlite_services, RecordingSender()).pacer is pacer
    finally:
        del sqlite_services.pacer  # type: ignore[attr-defined]


async def test_the_dispatcher_sends_through_the_paced_delivery(
    sqlite_services: Services, fake_time: FakeTime
) -> None:
    delivery, sender, _pacer = paced(sqlite_services, fake_time)
    await add_rows(sqlite_services, 5, chat_id=-77)  # five to one group
    report = await Dispatcher(sqlite_services, delivery).sweep()
    assert report.sent == 5
    times = [at for at, _ in sender.times]
    assert times == pytest.approx([n * 60 / 19 for n in range(5)])
