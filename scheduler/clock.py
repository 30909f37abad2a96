"""The clock: APScheduler 3.x runs the sweep, the lease reaper and two cron jobs.

APScheduler is the clock, not the store (DESIGN.md): an in-memory job store, and
jobs that only sweep the outbox or insert rows with dedupe keys — so N processes
firing the same cron job leave one row, and a restart loses nothing (the rows wait).

* every ``sweep_seconds`` (5 s): the dispatcher sends what is due;
* every ``reap_seconds`` (60 s), and at start: the lease reaper hands back rows stuck in
  SENDING, and delivers the replies a dead process left in the reply outbox;
* daily at 09:30 local: the stall scan inserts nudges (and tells coaches);
* Mondays at 08:30 local: one digest row per coach;
* daily at 04:30 local: handled update ids older than their window are forgotten.

Cron times are validated with ``check_cron_time`` (never 02:00–03:00 local) and the
time zone is passed explicitly. ``AsyncIOScheduler.start()`` runs inside the loop.

``run_until`` fast-forwards a settable clock (tests, and the console's ``/tijd +1d``):
it steps from one due moment to the next — the next due row or the next cron fire
time — running what would have run then, so messages arrive in the order and at the
local times they would in real life.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.core.delivery import Delivery
from bot.core.replies import REPLY_LEASE
from bot.core.services import Services
from scheduler import rules
from scheduler.dispatch import Dispatcher, SweepReport
from scheduler.timing import Clock, SystemClock, check_cron_time
from storage.queries import prune_processed_updates

if TYPE_CHECKING:  # imported where used: a console start does not need APScheduler
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

T = TypeVar("T")

log = logging.getLogger(__name__)

__all__ = ["OffsetClock", "Scheduler", "SettableClock", "start_scheduler"]

MAX_STEPS = 2_000  # fast-forward safety net
PRUNE_UPDATE_IDS_AT = time(4, 30)  # local; a quiet hour, outside the 02:00–03:00 DST gap


class SettableClock(Protocol):
    def now(self) -> datetime: ...

    def set(self, moment: datetime) -> datetime: ...


class OffsetClock:
    """The system clock shifted by an offset that only grows: the console's fast-forward."""

    def __init__(self, base: Clock | None = None, offset: timedelta = timedelta(0)) -> None:
        self.base = base or SystemClock()
        self.offset = offset

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError(f"a clock does not go backwards: {delta!r}")
        self.offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError(f"{moment!r} must be timezone-aware")
        self.offset = moment - self.base.now()
        return self.now()


@dataclass(frozen=True, slots=True)
class CronJob:
    name: str
    trigger: CronTrigger
    run: Callable[[datetime], Awaitable[int]]


class Scheduler:
    def __init__(
        self,
        services: Services,
        delivery: Delivery,
        *,
        dispatcher: Dispatcher | None = None,
        sweep_seconds: float | None = None,
        reap_seconds: float | None = None,
    ) -> None:
        """Timings and intervals from the services' policy; a test may sweep faster."""
        self.services = services
        policy = services.policy
        self.timings = policy.timings
        self.dispatcher = dispatcher or Dispatcher(services, delivery)
        self.sweep_seconds = sweep_seconds or policy.scheduler.sweep_seconds
        self.reap_seconds = reap_seconds or policy.scheduler.reap_seconds
        # A reply is left to its process as long as a scheduled message, a minute at most.
        self.reply_lease = min(self.dispatcher.lease, REPLY_LEASE)
        self.tz = ZoneInfo(services.settings.timezone)
        # Checked now (a bad setting fails at start); the triggers are made at first use,
        # with APScheduler imported then: a console that never fast-forwards or starts the
        # scheduler does not pay for it (about a tenth of its start).
        self._cron_times = (
            check_cron_time(self.timings.stall_scan_at),
            check_cron_time(self.timings.digest_at),
            check_cron_time(PRUNE_UPDATE_IDS_AT),
        )
        self._aps: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[object]] = set()
        self._busy: set[str] = set()

    @cached_property
    def crons(self) -> tuple[CronJob, ...]:
        from apscheduler.triggers.cron import CronTrigger

        stall_at, digest_at, prune_at = self._cron_times
        return (
            CronJob(
                "stall-scan",
                CronTrigger(hour=stall_at.hour, minute=stall_at.minute, timezone=self.tz),
                self.stall_scan,
            ),
            CronJob(
                "coach-digest",
                CronTrigger(
                    day_of_week=self.timings.digest_weekday,
                    hour=digest_at.hour,
                    minute=digest_at.minute,
                    timezone=self.tz,
                ),
                self.coach_digest,
            ),
            CronJob(
                "prune-update-ids",
                CronTrigger(hour=prune_at.hour, minute=prune_at.minute, timezone=self.tz),
                self.prune_update_ids,
            ),
        )

    # ------------------------------------------------------------------ the jobs

    async def sweep(self) -> SweepReport:
        return await self._tracked(self.dispatcher.sweep())

    async def reap(self) -> tuple[int, int]:
        reaped = await self._tracked(self.dispatcher.reap())
        replies = getattr(self.dispatcher.delivery, "replies", None)
        if replies is not None:  # replies a dead process left (bot/core/replies.py)
            await self._tracked(replies.recover(self.reply_lease))
        return reaped

    async def stall_scan(self, now: datetime | None = None) -> int:
        """Insert nudges for quiet initiatives (and tell coaches about stalled ones)."""
        policy = self.services.policy
        moment = now or self.services.clock.now()
        async with self.services.db.transaction() as session:
            return await rules.stall_scan(
                session,
                moment,
                self.timings,
                stall_days=policy.stall_days,
                tz=self.tz,
            )

    async def coach_digest(self, now: datetime | None = None) -> int:
        """Insert this week's digest row for every coach."""
        moment = now or self.services.clock.now()
        async with self.services.db.transaction() as session:
            return await rules.coach_digest(session, moment, self.timings, tz=self.tz)

    async def prune_update_ids(self, now: datetime | None = None) -> int:
        """Forget handled update ids past their window, so the table stays small."""
        moment = now or self.services.clock.now()
        async with self.services.db.transaction() as session:
            pruned = await prune_processed_updates(session, moment)
        log.info("forgot %d handled update ids", pruned)
        return pruned

    async def _tracked(self, work: Awaitable[T]) -> T:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            return await work
        finally:
            if task is not None:
                self._running.discard(task)

    async def _job(self, name: str, work: Callable[[], Awaitable[object]]) -> None:
        """A job never raises into APScheduler: it logs, and the next run tries again.
        A run that finds the previous one still busy (a long backlog) lets it be."""
        if name in self._busy:
            log.debug("scheduler job %s still running; this run skipped", name)
            return
        self._busy.add(name)
        try:
            await self._tracked(work())
        except Exception:
            log.exception("scheduler job %s failed", name)
        finally:
            self._busy.discard(name)

    # ------------------------------------------------------------------ start and stop

    async def start(self) -> None:
        """Start inside the running event loop (APScheduler 3.x needs that)."""
        if self._aps is not None:
            return
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        aps = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            timezone=self.tz,
            # Overlapping runs are skipped quietly in _job (APScheduler would warn each time).
            job_defaults={"coalesce": True, "max_instances": 2, "misfire_grace_time": 3600},
        )
        aps.add_job(
            self._job,
            "interval",
            args=("sweep", self.sweep),
            seconds=self.sweep_seconds,
            id="sweep",
            next_run_time=datetime.now(self.tz),
        )
        aps.add_job(
            self._job,
            "interval",
            args=("reap", self.reap),
            seconds=self.reap_seconds,
            id="reap",
            next_run_time=datetime.now(self.tz),
        )
        for cron in self.crons:
            aps.add_job(self._job, cron.trigger, args=(cron.name, cron.run), id=cron.name)
        aps.start()
        self._aps = aps
        log.info("scheduler started (%s; sweep every %.0f s)", self.tz.key, self.sweep_seconds)

    async def stop(self, *, grace: float = 10.0) -> None:
        """No new jobs; let a running sweep finish (rows it leaves SENDING come back
        through the reaper after their lease), then stop."""
        aps, self._aps = self._aps, None
        if aps is None:
            return
        aps.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
        aps.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down through call_soon

    @property
    def running(self) -> bool:
        return self._aps is not None

    # ------------------------------------------------------------------ fast-forward

    def next_cron(self, after: datetime) -> tuple[datetime, CronJob] | None:
        found: tuple[datetime, CronJob] | None = None
        for cron in self.crons:
            # APScheduler gives the first fire time at or after `now`; strictly after here.
            fire = cron.trigger.get_next_fire_time(None, after + timedelta(seconds=1))
            if fire is not None and (found is None or fire < found[0]):
                found = (fire, cron)
        return found

    async def run_until(self, target: datetime, clock: SettableClock) -> SweepReport:
        """Move ``clock`` to ``target`` step by step, running what falls due on the way."""
        report = SweepReport()
        report.add(await self.dispatcher.sweep())
        for _ in range(MAX_STEPS):
            now = clock.now()
            due = await self.dispatcher.next_due()
            cron = self.next_cron(now)
            moments = [m for m in (due, cron[0] if cron else None) if m is not None and m <= target]
            if not moments:
                break
            step = max(min(moments), now)
            clock.set(step)
            ran_cron = cron is not None and cron[0] <= step
            if cron is not None and ran_cron:
                await cron[1].run(cron[0])
            await self.dispatcher.reap()
            swept = await self.dispatcher.sweep()
            report.add(swept)
            if step == now and not ran_cron and not swept.claimed:
                break  # something is due that nobody can take (claimed elsewhere)
        else:
            log.warning("fast-forward stopped after %d steps", MAX_STEPS)
        if clock.now() < target:
            clock.set(target)
            report.add(await self.dispatcher.sweep())
        return report


async def start_scheduler(services: Services, delivery: Delivery) -> Scheduler:
    """Build and start the scheduler for this process; ``await scheduler.stop()`` at the end."""
    scheduler = Scheduler(services, delivery)
    await scheduler.start()
    return scheduler
