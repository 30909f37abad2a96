"""A restart loses nothing: the process dies while rows are due and while some are being
sent; a new process (new Services, new engine, same database) sends every due row, and
the lease reaper brings back the rows that were stuck in SENDING — once each. Soft
messages stuck mid-send are not repeated (at most once).

Also: the APScheduler clock starts inside the running loop with its jobs, cron times in
local time that survive DST, and stops cleanly.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.core.delivery import Delivery
from bot.core.policy import RuleTimings
from bot.core.seam import Outgoing, Sent
from bot.core.services import Services
from bot.runtimes.recording import RecordingSender
from scheduler.clock import Scheduler, start_scheduler
from scheduler.dispatch import Dispatcher
from scheduler.timing import FakeClock
from storage.models import OutboxStatus, ScheduledMessage
from tests.conftest import make_services
from tests.test_scheduler_rules import build_world, local, outbox_rows

AMS = ZoneInfo("Europe/Amsterdam")


async def _no_sleep(_seconds: float) -> None:
    return None


def new_process(url: str, clock: FakeClock, sender: RecordingSender) -> tuple[Services, Dispatcher]:
    services = make_services(url, clock)
    return services, Dispatcher(services, Delivery(services, sender, sleep=_no_sleep))


async def test_a_killed_process_loses_nothing_and_repeats_nothing(
    services: Services, clock: FakeClock
) -> None:
    # Monday 30 Nov 19:30: the 24 h reminders for Tuesday's action are due.
    world = await build_world(services, clock, local(2026, 12, 1, 19, 30))
    await world.run_until(local(2026, 11, 30, 19, 29))
    clock.set(local(2026, 11, 30, 19, 30))
    ids = {name: person.id for name, person in world.people.items()}
    aid = world.action_id
    # The first process claims the three reminders, sends Bert's, records it, and dies
    # before it sends Carla's and Eva's. A row for Anna is due and not claimed at all.
    first = world.scheduler.dispatcher
    claimed = await first.claim(10)
    assert sorted(row.dedupe_key for row in claimed) == sorted(
        f"reminder:{aid}:24h:{ids[name]}" for name in ("Bert", "Carla", "Eva")
    )
    async with services.db.transaction() as session:
        await session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.dedupe_key == f"reminder:{aid}:24h:{ids['Bert']}")
            .values(status=OutboxStatus.SENT, sent_at=clock.now(), lease_until=None)
        )
        session.add(
            ScheduledMessage(
                kind="joined",
                dedupe_key="joined:waiting",
                resident_id=ids["Anna"],
                initiative_id=world.initiative_id,
                due_at=local(2026, 11, 30, 19, 0),
                payload={"member_id": ids["Bert"]},
                created_at=clock.now(),
            )
        )
    await services.db.close()  # the process is gone

    # A new process, five minutes later: the leases (10 minutes) still hold.
    clock.set(local(2026, 11, 30, 19, 35))
    sender = RecordingSender()
    again, dispatcher = new_process(world.services.db.url, clock, sender)
    try:
        assert await dispatcher.reap() == (0, 0)
        report = await dispatcher.sweep()
        assert report.sent == 1  # the row nobody had claimed
        assert sender.sent[0].chat_id == world.tid("Anna")  # type: ignore[union-attr]
        # Past the lease the reaper hands the stuck rows back, and they go out once.
        clock.set(local(2026, 11, 30, 19, 41))
        assert await dispatcher.reap() == (2, 0)
        assert (await dispatcher.sweep()).sent == 2
        assert (await dispatcher.sweep()).claimed == 0
        per_chat = Counter(action.chat_id for action in sender.sent)  # type: ignore[union-attr]
        assert per_chat == {world.tid(name): 1 for name in ("Anna", "Carla", "Eva")}
        rows = await outbox_rows(again)
        for name in ("Bert", "Carla", "Eva"):
            row = rows[f"reminder:{aid}:24h:{ids[name]}"]
            assert row.status is OutboxStatus.SENT
        assert rows[f"reminder:{aid}:24h:{ids['Carla']}"].attempts == 2
    finally:
        await again.db.close()


async def test_soft_messages_stuck_mid_send_are_not_repeated(
    services: Services, clock: FakeClock
) -> None:
    world = await build_world(services, clock, local(2026, 12, 1, 19, 30))
    await world.run_until(local(2026, 12, 2, 9, 59))
    clock.set(local(2026, 12, 2, 10, 0))
    claimed = await world.scheduler.dispatcher.claim(10)  # follow-ups and thank-yous
    assert Counter(row.kind for row in claimed) == {"followup": 2, "thanks": 2}
    await services.db.close()

    clock.set(local(2026, 12, 2, 10, 30))
    sender = RecordingSender()
    again, dispatcher = new_process(world.services.db.url, clock, sender)
    try:
        assert await dispatcher.reap() == (2, 2)
        assert (await dispatcher.sweep()).sent == 2
        assert sorted(action.chat_id for action in sender.sent) == sorted(  # type: ignore[union-attr]
            world.tid(name) for name in ("Anna", "Ben")
        )
        rows = await outbox_rows(again)
        thanks = [row for row in rows.values() if row.kind == "thanks"]
        assert {row.status for row in thanks} == {OutboxStatus.FAILED}
        assert {row.last_error for row in thanks} == {
            "lease expired: it may have been sent; not repeated (at most once)"
        }
    finally:
        await again.db.close()


async def test_a_row_that_keeps_killing_its_process_is_failed_in_the_end(
    services: Services, clock: FakeClock
) -> None:
    async with services.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="reminder",
                dedupe_key="poison",
                chat_id=1,
                due_at=clock.now(),
                created_at=clock.now(),
            )
        )
    dispatcher = Dispatcher(services, Delivery(services, RecordingSender()), max_attempts=3)
    for _ in range(3):
        assert len(await dispatcher.claim(5)) == 1  # ... and the process dies
        clock.advance(timedelta(minutes=11))
        await dispatcher.reap()
    row = (await outbox_rows(services))["poison"]
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "lease expired after 3 attempts")


async def test_everything_due_while_the_bot_was_down_is_sent_after_restart(
    sqlite_url: str, clock: FakeClock
) -> None:
    first = make_services(sqlite_url, clock)
    await first.db.migrate()
    world = await build_world(first, clock, local(2026, 12, 1, 19, 30))
    await first.db.close()  # down from Saturday to Monday evening
    clock.set(local(2026, 11, 30, 20, 0))
    sender = RecordingSender()
    second, dispatcher = new_process(sqlite_url, clock, sender)
    try:
        report = await dispatcher.sweep()
        assert report.sent == 3  # the three 24 h reminders, 30 minutes late
        assert {action.chat_id for action in sender.sent} == {  # type: ignore[union-attr]
            world.tid(name) for name in ("Bert", "Carla", "Eva")
        }
    finally:
        await second.db.close()


# --- the APScheduler clock --------------------------------------------------------------------


class SignallingSender(RecordingSender):
    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    async def send(self, action: Outgoing) -> Sent:
        sent = await super().send(action)
        self.arrived.set()
        return sent


async def test_the_scheduler_starts_in_the_loop_sweeps_and_stops(sqlite_services: Services) -> None:
    sender = SignallingSender()
    world = await build_world(sqlite_services, sqlite_services.clock, local(2026, 11, 29, 12, 0))  # type: ignore[arg-type]
    sqlite_services.clock.set(local(2026, 11, 28, 12, 0))  # type: ignore[attr-defined]
    scheduler = await start_scheduler(sqlite_services, Delivery(sqlite_services, sender))
    try:
        assert scheduler.running
        jobs = {job.id: job for job in scheduler._aps.get_jobs()}  # type: ignore[union-attr]
        assert set(jobs) == {"sweep", "reap", "stall-scan", "coach-digest", "prune-update-ids"}
        assert jobs["sweep"].trigger.interval == timedelta(seconds=5)
        # The first sweep runs at once: the 24 h reminders due now arrive.
        await asyncio.wait_for(sender.arrived.wait(), timeout=10)
    finally:
        await scheduler.stop()
    assert not scheduler.running
    assert world.tid("Bert") in sender.chats


def test_cron_jobs_fire_at_local_time_across_dst(sqlite_services: Services) -> None:
    scheduler = Scheduler(sqlite_services, Delivery(sqlite_services, RecordingSender()))
    stall, digest, _prune = scheduler.crons
    # The stall scan: 09:30 local before and after both changes.
    for day in (datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 10, 23, 12, tzinfo=UTC)):
        first = stall.trigger.get_next_fire_time(None, day)
        second = stall.trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        assert [(t.astimezone(AMS).hour, t.astimezone(AMS).minute) for t in (first, second)] == [
            (9, 30),
            (9, 30),
        ]
        elapsed = second.astimezone(UTC) - first.astimezone(UTC)
        assert elapsed in (timedelta(hours=23), timedelta(hours=25))  # wall-clock time
    # The digest: Mondays 08:30 local.
    fire = digest.trigger.get_next_fire_time(None, datetime(2026, 3, 25, tzinfo=UTC))
    assert fire.astimezone(AMS) == datetime(2026, 3, 30, 8, 30, tzinfo=AMS)


def test_cron_times_in_the_dst_hour_are_refused() -> None:
    with pytest.raises(ValueError, match="DST"):
        RuleTimings(stall_scan_at=time(2, 30))
    with pytest.raises(ValueError, match="DST"):
        RuleTimings(digest_at=time(2, 0))
