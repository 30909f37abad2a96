"""P4 and P5: the memory of an idle bot process, and the time from start to its first poll.

The bot is ``buurbot run`` itself (``python -m bot run``, a fresh process each time, the
Telegram runtime with its scheduler wired in), polling the local Bot API server on
127.0.0.1, on SQLite:

* **empty**: a new database (the first start runs the migrations), then a second start on
  it (warm);
* **seeded**: 100,000 residents, 10,000 initiatives and 100,000 pending outbox rows (due
  tomorrow, so the dispatcher has nothing to send: idle), bulk-inserted before the start.

For each start: the time from ``Popen`` to the first getUpdates arriving at the server (a
resident's /start is already waiting, so that poll is answered at once and logged with its
arrival time), to the answer's sendMessage, and the resident memory (VmRSS) after
``--idle`` seconds of doing nothing but the scheduler's sweeps, and its peak (VmHWM).
Runs on aiogram (the default runtime) and on python-telegram-bot. The console's start is
``benchmarks/startup.py``.

    .venv/bin/python -m benchmarks.memory [--runs 3] [--residents 100000] [--idle 10]

Writes benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.common import (
    TOKEN,
    USERNAME,
    bot_env,
    load_average,
    machine,
    rss_mb,
    spawn,
    stop_process,
    write_results,
)
from local_bot_api import LocalBotApi
from storage.db import Database
from storage.models import Initiative, Resident, ScheduledMessage, utcnow

CHUNK = 10_000
GOAL_RSS_MB = 150.0


# --- seeding -----------------------------------------------------------------------------------


async def seed(url: str, residents: int, initiatives: int, rows: int) -> float:
    """Bulk-insert the data set (the schema first); seconds taken."""
    started = time.perf_counter()
    db = Database(url)
    try:
        await db.migrate()
        now = utcnow()
        tomorrow = now + timedelta(days=1)
        themes = ("green", "social", "safe", "energy", "other")
        async with db.transaction() as session:
            for first in range(0, residents, CHUNK):
                await session.execute(
                    insert(Resident.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "telegram_id": 20_000_000 + n,
                            "first_name": f"Buur {n}",
                            "name": f"Buur {n}",
                            "language": "nl" if n % 4 else "en",
                            "language_chosen": False,
                            "timezone": "Europe/Amsterdam",
                            "postcode": f"{1000 + n % 9000} AB",
                            "consented_at": now,
                            "announcements_opt_in": bool(n % 2),
                            "reminders": "on",
                            "reachable": True,
                            "role": "resident",
                            "onboarded_at": now,
                            "created_at": now,
                            "last_seen_at": now,
                        }
                        for n in range(first, min(first + CHUNK, residents))
                    ],
                )
            await session.execute(
                insert(Initiative.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "title": f"Initiatief {n}",
                        "what": "Samen de straat vergroenen met geveltuintjes.",
                        "why": "Meer groen, minder hitte.",
                        "level": "street",
                        "place": f"Straat {n}",
                        "postcode_area": f"{1000 + n % 9000}",
                        "theme": themes[n % len(themes)],
                        "phase": "initiate",
                        "phase_changed_at": now,
                        "invite_token": f"inv{n:010d}",
                        "invite_active": True,
                        "households_reached": 0,
                        "households_interested": 0,
                        "households_committed": 0,
                        "wishes_gathered": False,
                        "group_chat_skipped": False,
                        "created_at": now,
                        "last_activity_at": now,
                    }
                    for n in range(initiatives)
                ],
            )
            for first in range(0, rows, CHUNK):
                await session.execute(
                    insert(ScheduledMessage.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "kind": "nudge",
                            "dedupe_key": f"memory-bench:{n}",
                            "resident_id": 1 + n % max(1, residents),
                            "initiative_id": 1 + n % max(1, initiatives),
                            "due_at": tomorrow,
                            "priority": 1,
                            "status": "pending",
                            "attempts": 0,
                            "payload": {},
                            "created_at": now,
                        }
                        for n in range(first, min(first + CHUNK, rows))
                    ],
                )
    finally:
        await db.close()
    return time.perf_counter() - started


# --- one start -----------------------------------------------------------------------------------


_STARTS = itertools.count()


async def one_start(runtime: str, url: str, idle: float, log: Path) -> dict[str, float]:
    async with LocalBotApi(token=TOKEN, username=USERNAME) as server:
        # Each server numbers updates from 1, and the bot skips an update id it has handled
        # before (a warm start on the same database): start this one's numbers further on.
        for _ in range(1000 * next(_STARTS)):
            server.world.queue.next_id()
        anna = server.person("Anna")
        await anna.command("start")  # waiting when the bot starts: its first poll returns at once
        started = server.clock()
        process = spawn(["-m", "bot", "run"], bot_env(server.base_url, url, runtime=runtime), log)
        try:

            def first(method: str) -> Any:
                return next((c for c in server.calls if c.method == method and c.ok), None)

            await server.wait_until(
                lambda: first("sendMessage") or process.poll() is not None,
                120,
                "the bot's first answer",
                recheck=0.01,
            )
            if process.poll() is not None:
                raise RuntimeError(f"the bot exited with {process.returncode}; see {log}")
            poll, reply = first("getUpdates"), first("sendMessage")
            await asyncio.sleep(idle)
            memory = rss_mb(process.pid)
        finally:
            code = await stop_process(process)
    if code != 0:
        raise RuntimeError(f"the bot stopped with exit code {code}; see {log}")
    return {
        "to_first_getupdates_s": round(poll.timestamp - started, 3),
        "to_first_reply_s": round(reply.timestamp - started, 3),
        **memory,
    }


def median_of(results: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in results), 3) for key in results[0]}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "benchmark": "P4/P5: idle bot process memory and start to first poll",
        "machine": machine(),
        "command": "python -m bot run (aiogram or ptb), polling the local Bot API server, SQLite",
        "idle_seconds_before_rss": args.idle,
        "goal_rss_mb": GOAL_RSS_MB,
        "data_set": {
            "residents": args.residents,
            "initiatives": args.initiatives,
            "pending_outbox_rows": args.rows,
        },
        "runs": args.runs,
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="buurbot-memory-") as name:
        folder = Path(name)
        seeded = f"sqlite+aiosqlite:///{folder / 'seeded.db'}"
        figures["seed_seconds"] = round(
            await seed(seeded, args.residents, args.initiatives, args.rows), 1
        )
        print(
            f"seeded {args.residents:,} residents, {args.initiatives:,} initiatives, "
            f"{args.rows:,} pending rows in {figures['seed_seconds']} s",
            flush=True,
        )
        for runtime in args.runtimes:
            first_starts, warm_starts, seeded_starts = [], [], []
            for run_number in range(args.runs):
                empty = f"sqlite+aiosqlite:///{folder / f'empty-{runtime}-{run_number}.db'}"
                log = folder / f"{runtime}.log"
                first_starts.append(await one_start(runtime, empty, args.idle, log))
                warm_starts.append(await one_start(runtime, empty, args.idle, log))
                seeded_starts.append(await one_start(runtime, seeded, args.idle, log))
            for label, results in (
                ("empty database, first start (migrations)", first_starts),
                ("empty database, warm start", warm_starts),
                (
                    f"seeded ({args.residents:,} residents, {args.initiatives:,} initiatives, "
                    f"{args.rows:,} rows)",
                    seeded_starts,
                ),
            ):
                row = {"runtime": runtime, "case": label, **median_of(results)}
                row["rss_max_mb"] = max(r["rss_mb"] for r in results)
                figures["results"].append(row)
                print(
                    f"{runtime:8} {label:58} first getUpdates "
                    f"{row['to_first_getupdates_s']:.2f} s, first reply "
                    f"{row['to_first_reply_s']:.2f} s, RSS idle {row['rss_mb']:.0f} MB "
                    f"(peak {row['peak_rss_mb']:.0f} MB; goal <= {GOAL_RSS_MB:.0f} MB)",
                    flush=True,
                )
    figures["load_average_1_5_15_at_end"] = load_average()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before RSS")
    parser.add_argument(
        "--runtimes", nargs="+", choices=("aiogram", "ptb"), default=["aiogram", "ptb"]
    )
    args = parser.parse_args()
    if not 1 <= args.runs <= 20 or max(args.residents, args.initiatives, args.rows) > 1_000_000:
        parser.error("--runs 1..20; at most 1,000,000 rows of each")
    figures = asyncio.run(run(args))
    print(f"written to {write_results('memory', figures)}")


if __name__ == "__main__":
    main()
