"""Dispatcher throughput and sweep lag, on SQLite and PostgreSQL.

Seeds N people who said they are coming to one action, each with a due 24 h reminder
(the real kind: the dispatcher prefetches, checks quiet hours, budget and the answer,
renders in the person's language), then:

1. **backlog**: all N rows due at once, drained by 1 sweeper — or by several sweeper
   *processes* (``--processes 1 3``) racing with SKIP LOCKED / BEGIN IMMEDIATE; prints
   rows/s and checks each row was sent exactly once;
2. **steady**: rows fall due at a steady rate while a sweeper runs every
   ``--interval`` seconds (as the APScheduler job does); prints the sweep lag, the time
   from a row falling due to it being sent (p50 / p95 / max).

The sender is instant (it counts; no network, no pacing): this measures the outbox, the
rules and the database. Writes benchmarks/results/scheduler_dispatch.json; with
``--profile``, a pyinstrument profile of each backend's one-process backlog too
(benchmarks/results/scheduler_dispatch-profile-<backend>.txt, .html, .pyisession).

    .venv/bin/python -m benchmarks.scheduler_dispatch [--rows 100000] [--backends sqlite postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time as clock
import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from bot.app import bootstrap
from bot.core.config import Settings
from bot.core.delivery import Delivery
from bot.core.policy import Policy, RuleTimings
from bot.core.seam import Outgoing, Sent
from bot.core.services import Services
from scheduler.dispatch import Dispatcher
from scheduler.pacing import Priority
from scheduler.timing import QuietHours
from storage.models import (
    Action,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    PersonRole,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432"
CHUNK = 5_000
# A benchmark runs at any hour: no quiet hours, or at night every row would wait till 09:00.
TIMINGS = RuleTimings(quiet_hours=QuietHours(time(0), time(0)))


class CountingSender:
    """The instant sender: counts what each chat would get."""

    def __init__(self) -> None:
        self.per_chat: Counter[int] = Counter()
        self.next_id = 0

    async def send(self, action: Outgoing) -> Sent:
        self.per_chat[action.chat_id] += 1  # type: ignore[union-attr]
        self.next_id += 1
        return Sent(self.next_id)


def services_for(url: str) -> Services:
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    # No quiet hours: the benchmark sends whatever the hour it runs at.
    return bootstrap(settings, policy=Policy(timings=TIMINGS))


# --- databases ---------------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def new_database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    name = f"buurbot_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


async def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        await _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# --- seeding -----------------------------------------------------------------------------------


async def seed(
    services: Services,
    count: int,
    *,
    due: list[datetime] | None = None,
    first_telegram_id: int = 10_000_000,
    starts_in: timedelta = timedelta(hours=23, minutes=59),
) -> dict[str, int]:
    """``count`` people coming to one action, each with a 24 h reminder row.

    ``due`` gives each row's due time (default: all due a minute ago). The action starts
    ``starts_in`` from now, so the reminders are not "late". Returns key -> chat id.
    """
    now = datetime.now(UTC)
    due = due or [now - timedelta(minutes=1)] * count
    keys: dict[str, int] = {}
    async with services.db.transaction() as session:
        initiative = Initiative(
            title="Straatfeest", what="Een feest", invite_token=uuid.uuid4().hex[:16]
        )
        session.add(initiative)
        await session.flush()
        action = Action(
            initiative_id=initiative.id or 0,
            title="Straatfeest",
            starts_at=now + starts_in,
            place="Het plein",
        )
        session.add(action)
        await session.flush()
        initiative_id, action_id = initiative.id, action.id
        starts = action.starts_at.astimezone(UTC).isoformat()
    for offset in range(0, count, CHUNK):
        size = min(CHUNK, count - offset)
        tids = range(first_telegram_id + offset, first_telegram_id + offset + size)
        async with services.db.transaction() as session:
            await session.execute(
                insert(Resident),
                [
                    {
                        "telegram_id": tid,
                        "first_name": f"Buur {tid}",
                        "language": "nl" if tid % 3 else "en",
                        "language_chosen": False,
                        "timezone": "Europe/Amsterdam",
                        "announcements_opt_in": False,
                        "reminders": "on",
                        "reachable": True,
                        "role": PersonRole.RESIDENT,
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for tid in tids
                ],
            )
            people = (
                await session.execute(
                    select(Resident.id, Resident.telegram_id).where(
                        Resident.telegram_id.between(tids.start, tids.stop - 1)  # type: ignore[attr-defined]
                    )
                )
            ).all()
            await session.execute(
                insert(Membership),
                [
                    {
                        "initiative_id": initiative_id,
                        "resident_id": pid,
                        "role": MemberRole.FOLLOWER,
                        "joined_at": now,
                        "is_expert": False,
                        "is_connector": False,
                        "is_organiser": False,
                        "roles_checked": False,
                    }
                    for pid, _ in people
                ],
            )
            await session.execute(
                insert(Rsvp),
                [
                    {
                        "action_id": action_id,
                        "resident_id": pid,
                        "answer": RsvpAnswer.COMING,
                        "waitlisted": False,
                        "show_name": False,
                        "answered_at": now,
                    }
                    for pid, _ in people
                ],
            )
            rows = []
            for pid, tid in people:
                key = f"reminder:{action_id}:24h:{pid}"
                keys[key] = tid
                rows.append(
                    {
                        "kind": "reminder",
                        "dedupe_key": key,
                        "resident_id": pid,
                        "action_id": action_id,
                        "initiative_id": initiative_id,
                        "due_at": due[tid - first_telegram_id],
                        "priority": Priority.SCHEDULED,
                        "status": OutboxStatus.PENDING,
                        "attempts": 0,
                        "payload": {"lead": "24h", "starts_at": starts},
                        "created_at": now,
                    }
                )
            await session.execute(insert(ScheduledMessage), rows)
    async with services.db.engine.connect() as connection:
        # A live database has statistics; fresh bulk inserts do not until ANALYZE.
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    return keys


# --- phase 1: the backlog ------------------------------------------------------------------------


async def sweep_all(url: str, batch: int, profile: Path | None = None) -> dict:
    """Sweep until nothing is due; what was sent, and when the sweeping began and ended."""
    services = services_for(url)
    sender = CountingSender()
    profiler = None
    try:
        dispatcher = Dispatcher(services, Delivery(services, sender), batch_size=batch)
        if profile is not None:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
        began, cpu = clock.time(), clock.process_time()
        report = await dispatcher.sweep()
        if profiler is not None and profile is not None:
            profiler.stop()
            write_profile(profiler, profile)
        return {
            "sent": report.sent,
            "per_chat": sender.per_chat,
            "began": began,
            "ended": clock.time(),
            # This process's CPU (the database server's not included): what a loaded
            # machine changes least.
            "cpu_seconds": clock.process_time() - cpu,
        }
    finally:
        await services.db.close()


def write_profile(profiler: Any, path: Path) -> None:
    """Text, HTML, and the session (for ``pyinstrument --load=…``)."""
    path.write_text(profiler.output_text(unicode=True, color=False))
    path.with_suffix(".html").write_text(profiler.output_html())
    if profiler.last_session is not None:
        profiler.last_session.save(str(path.with_suffix(".pyisession")))


def worker_main(url: str, batch: int, out: str) -> None:
    """One sweeper process (``--worker``): sweep until nothing is due; write what it sent."""
    Path(out).write_text(json.dumps(asyncio.run(sweep_all(url, batch))))


async def backlog(
    backend: str, rows: int, processes: int, batch: int, folder: Path, profile: Path | None = None
) -> dict:
    url = await new_database(backend, folder)
    services = services_for(url)
    try:
        await services.db.migrate()
        started = clock.perf_counter()
        keys = await seed(services, rows)
        seeded = clock.perf_counter() - started
        started = clock.time()
        if processes == 1:
            results = [await sweep_all(url, batch, profile)]
        else:
            outputs = [folder / f"worker-{uuid.uuid4().hex[:6]}.json" for _ in range(processes)]
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "benchmarks.scheduler_dispatch",
                    "--worker",
                    url,
                    "--batch",
                    str(batch),
                    "--out",
                    str(out),
                    cwd=ROOT,
                )
                for out in outputs
            ]
            for worker in workers:
                if await worker.wait() != 0:
                    raise RuntimeError("a sweeper process failed")
            results = [json.loads(out.read_text()) for out in outputs]
        with_start = clock.time() - started
        per_chat: Counter[int] = Counter()
        for result in results:
            per_chat.update({int(chat): n for chat, n in result["per_chat"].items()})
        shares = [result["sent"] for result in results]
        sent = sum(shares)
        # From the first sweeper starting to sweep to the last one finishing.
        elapsed = max(r["ended"] for r in results) - min(r["began"] for r in results)
        async with services.db.transaction() as session:
            statuses = Counter(
                status
                for (status,) in (await session.execute(select(ScheduledMessage.status))).all()
            )
        exactly_once = len(per_chat) == len(keys) and set(per_chat.values()) == {1}
        return {
            "backend": backend,
            "rows": rows,
            "sweeper_processes": processes,
            "batch_size": batch,
            "seed_seconds": round(seeded, 1),
            "drain_seconds": round(elapsed, 2),
            "drain_seconds_with_process_start": round(with_start, 2),
            "rows_per_second": round(sent / elapsed),
            "sweeper_cpu_ms_per_row": round(
                1000 * sum(r["cpu_seconds"] for r in results) / max(1, sent), 3
            ),
            "sent": sent,
            "shares": shares,
            "each_row_sent_exactly_once": exactly_once,
            "statuses": {str(status): n for status, n in statuses.items()},
        }
    finally:
        await services.db.close()
        await drop_database(url)


# --- phase 2: steady state ----------------------------------------------------------------------


async def steady(backend: str, rate: int, seconds: float, interval: float, folder: Path) -> dict:
    """Rows fall due at ``rate``/s for ``seconds``; a sweeper runs every ``interval`` s."""
    url = await new_database(backend, folder)
    services = services_for(url)
    try:
        await services.db.migrate()
        count = int(rate * seconds)
        lead = 3.0  # seeding takes a moment: the first row falls due this long after it
        start = datetime.now(UTC) + timedelta(seconds=lead + count / 20_000)
        due = [start + timedelta(seconds=n / rate) for n in range(count)]
        await seed(services, count, due=due)
        dispatcher = Dispatcher(services, Delivery(services, CountingSender()), batch_size=200)
        stop_at = due[-1] + timedelta(seconds=interval * 2)
        sweeps = []
        while datetime.now(UTC) < stop_at:
            began = clock.perf_counter()
            await dispatcher.sweep()
            sweeps.append(clock.perf_counter() - began)
            await asyncio.sleep(max(0.0, interval - (clock.perf_counter() - began)))
        await dispatcher.sweep()
        async with services.db.transaction() as session:
            result = await session.execute(
                select(ScheduledMessage.due_at, ScheduledMessage.sent_at).where(
                    ScheduledMessage.status == OutboxStatus.SENT
                )
            )
            lags = sorted((sent - due_at).total_seconds() for due_at, sent in result.all())
        return {
            "backend": backend,
            "rows": count,
            "rate_per_second": rate,
            "sweep_interval_seconds": interval,
            "sent": len(lags),
            "lag_p50_seconds": round(statistics.median(lags), 3),
            "lag_p95_seconds": round(lags[int(len(lags) * 0.95) - 1], 3),
            "lag_max_seconds": round(lags[-1], 3),
            "sweep_seconds_p50": round(statistics.median(sweeps), 4),
        }
    finally:
        await services.db.close()
        await drop_database(url)


# --- main -----------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict:
    figures: dict = {
        "benchmark": "outbox dispatch: backlog throughput and steady-state sweep lag",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        # Other work on the machine slows every figure here; this says how much there was.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "sender": "instant (counting), no pacing",
        "backlog": [],
        "steady": [],
    }
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for backend in args.backends:
            for processes in args.processes:
                profile = (
                    RESULTS / f"scheduler_dispatch-profile-{backend}.txt"
                    if args.profile and processes == 1
                    else None
                )
                if profile is not None:
                    RESULTS.mkdir(parents=True, exist_ok=True)
                result = await backlog(backend, args.rows, processes, args.batch, folder, profile)
                figures["backlog"].append(result)
                print(
                    f"{backend:8} backlog {result['rows']:>7} rows, {processes} sweeper(s): "
                    f"{result['drain_seconds']:7.1f} s = {result['rows_per_second']:>6} rows/s "
                    f"({result['sweeper_cpu_ms_per_row']} ms sweeper CPU a row); "
                    f"shares {result['shares']}; exactly once: "
                    f"{result['each_row_sent_exactly_once']}",
                    flush=True,
                )
            result = await steady(backend, args.rate, args.seconds, args.interval, folder)
            figures["steady"].append(result)
            print(
                f"{backend:8} steady  {result['rate_per_second']} rows/s due, sweep every "
                f"{result['sweep_interval_seconds']} s: lag p50 {result['lag_p50_seconds']} s, "
                f"p95 {result['lag_p95_seconds']} s, max {result['lag_max_seconds']} s",
                flush=True,
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 3])
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--rate", type=int, default=200, help="steady phase: rows due per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="steady phase: how long")
    parser.add_argument("--interval", type=float, default=1.0, help="steady phase: sweep interval")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="pyinstrument the one-process backlog (its figures are then slower)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.batch, args.out)
        return
    figures = asyncio.run(run(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "scheduler_dispatch.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
