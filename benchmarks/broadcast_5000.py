"""A coach's announcement to 5,000 residents, in simulated time: how long, how fast?

The whole path of a broadcast from the chat: ``bot.domain.broadcasts.start`` selects the 5,000
opted-in residents of the coach's area and writes their outbox rows in one bulk insert,
then the scheduler's ``Dispatcher`` claims, renders (in each reader's language, checking
the opt-in again), paces and records them — with the progress message edited in place
every few seconds and the final report — through ``bot.core.delivery.Delivery`` and a
``Pacer`` at the **default limits** (``scheduler.pacing.Limits()``: 30 messages a second
overall, burst 30; 1 a second per chat).

Time is simulated: one fake clock drives the services (due times) and the pacer (its
``monotonic`` and ``sleep``), so the run takes seconds while the figures are those of
the real 30/s. The sender is instant and records each send with the simulated moment.
Expected: 5,000 messages at ≈ 30/s, ≈ 167 s.

    .venv/bin/python -m benchmarks.broadcast_5000 [--recipients 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import select

from bot.app import bootstrap
from bot.core.config import Settings
from bot.core.delivery import Delivery
from bot.core.seam import EditText, Outgoing, SendText, Sent
from bot.core.services import Services
from bot.domain.broadcasts import Audience, report_of, start
from scheduler.dispatch import Dispatcher
from scheduler.pacing import Limits, Pacer
from scheduler.timing import FakeClock
from storage.models import Broadcast, CoachArea, PersonRole, Resident, SentMessage

# A Monday, 11:00 in Amsterdam: nobody's quiet hours.
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
COACH_TELEGRAM_ID = 1


class SimulatedTime:
    """One clock for everything: the services' FakeClock, seen by the pacer in seconds."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.origin = clock.now()

    def monotonic(self) -> float:
        return (self.clock.now() - self.origin).total_seconds()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


@dataclass
class InstantSender:
    """Sends nothing, at once; notes what went where, and when (simulated seconds)."""

    time: SimulatedTime
    announcements: list[float] = field(default_factory=list)
    recipients: set[int] = field(default_factory=set)
    edits: int = 0
    other: int = 0
    all_sends: list[float] = field(default_factory=list)

    async def send(self, action: Outgoing) -> Sent:
        now = self.time.monotonic()
        self.all_sends.append(now)
        if isinstance(action, SendText) and action.chat_id != COACH_TELEGRAM_ID:
            self.announcements.append(now)
            self.recipients.add(action.chat_id)
        elif isinstance(action, EditText):
            self.edits += 1
        else:
            self.other += 1
        return Sent(len(self.all_sends))


def max_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(bisect_right(ordered, t + window - 1e-9) - i for i, t in enumerate(ordered))


async def seed(services: Services, recipients: int) -> Resident:
    now = services.clock.now()
    async with services.db.transaction() as session:
        coach = Resident(
            telegram_id=COACH_TELEGRAM_ID,
            first_name="Carla",
            name="Carla",
            role=PersonRole.COACH,
            consented_at=now,
            onboarded_at=now,
            created_at=now,
            last_seen_at=now,
        )
        session.add(coach)
        await session.flush()
        session.add(CoachArea(coach_id=coach.id or 0, postcode_from=3500, postcode_to=3599))
        await session.execute(
            insert(Resident),
            [
                {
                    "telegram_id": 10_000_000 + n,
                    "first_name": f"Buur {n}",
                    "language": "nl" if n % 3 else "en",
                    "language_chosen": True,
                    "timezone": "Europe/Amsterdam",
                    "postcode": f"35{n % 100:02d}",
                    "consented_at": now,
                    "onboarded_at": now,
                    "announcements_opt_in": True,
                    "reachable": True,
                    "reminders": "on",
                    "role": "resident",
                    "created_at": now,
                    "last_seen_at": now,
                }
                for n in range(recipients)
            ],
        )
    return coach


async def run(recipients: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'broadcast.db'}"
        clock = FakeClock(START)
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        services = bootstrap(settings, clock=clock)
        try:
            await services.db.migrate()
            coach = await seed(services, recipients)
            simulated = SimulatedTime(clock)
            sender = InstantSender(simulated)
            limits = Limits()
            pacer = Pacer(limits, monotonic=simulated.monotonic, sleep=simulated.sleep)
            dispatcher = Dispatcher(services, Delivery(services, sender, pacer=pacer))
            wall = time.perf_counter()
            async with services.db.transaction() as session:
                broadcast, chosen = await start(
                    session,
                    author=coach,
                    text="Infoavond collectieve inkoop zonnepanelen: donderdag 20:00, buurthuis.",
                    link_url="https://example.nl/zon",
                    link_label="Aanmelden",
                    audience=Audience(coach_id=coach.id),
                    now=clock.now(),
                    progress_chat_id=COACH_TELEGRAM_ID,
                    via="benchmark",
                )
                # The progress message the coach saw when confirming (the chat remembers it).
                session.add(
                    SentMessage(
                        chat_id=COACH_TELEGRAM_ID,
                        key=f"broadcast:{broadcast.id}",
                        message_id=1,
                        created_at=clock.now(),
                    )
                )
            inserted = time.perf_counter() - wall
            for _ in range(100):  # sweeps until the report is out
                await dispatcher.sweep()
                async with services.db.transaction() as session:
                    done = await session.get(Broadcast, broadcast.id)
                    if done is not None and done.finished_at is not None:
                        report = await report_of(session, broadcast.id or 0)
                        break
                due = await dispatcher.next_due()
                if due is not None and due > clock.now():
                    clock.set(due)
            else:
                raise RuntimeError("the broadcast did not finish")
            wall = time.perf_counter() - wall
            async with services.db.transaction() as session:
                stored = (await session.execute(select(Broadcast))).scalar_one()
        finally:
            await services.db.close()
    first, last = min(sender.announcements), max(sender.announcements)
    duration = last - first
    return {
        "recipients": chosen.count,
        "announcements_sent": len(sender.announcements),
        "distinct_recipients": len(sender.recipients),
        "progress_edits": sender.edits,
        "other_messages": sender.other,
        "simulated_seconds": duration,
        "rate_per_second": (len(sender.announcements) - 1) / duration if duration else 0.0,
        "max_sends_in_any_1s": max_in_window(sender.all_sends, 1.0),
        "limit": f"{limits.global_per_second:g}/s, burst {limits.global_burst}",
        "report": (report.delivered, report.unreachable, report.opted_out, report.failed),
        "status": str(stored.status),
        "wall_seconds_insert": inserted,
        "wall_seconds_total": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=5000)
    figures = asyncio.run(run(parser.parse_args().recipients))
    delivered, unreachable, opted_out, failed = figures["report"]
    print(f"recipients selected:     {figures['recipients']:,}")
    print(
        f"announcements sent:      {figures['announcements_sent']:,} "
        f"to {figures['distinct_recipients']:,} distinct chats "
        f"(+ {figures['progress_edits']} progress edits, {figures['other_messages']} report)"
    )
    print(f"limits:                  {figures['limit']} (scheduler.pacing.Limits defaults)")
    print(f"simulated duration:      {figures['simulated_seconds']:.1f} s")
    print(f"rate:                    {figures['rate_per_second']:.2f} messages/s")
    print(f"most sends in any 1 s:   {figures['max_sends_in_any_1s']}")
    print(
        f"report (from the rows):  delivered {delivered:,}, unreachable {unreachable}, "
        f"opted out {opted_out}, failed {failed}; status {figures['status']}"
    )
    print(
        f"wall clock:              {figures['wall_seconds_total']:.1f} s "
        f"(selecting + bulk insert {figures['wall_seconds_insert']:.2f} s)"
    )


if __name__ == "__main__":
    main()
