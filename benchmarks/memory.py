"""P4 and P5: bot process memory, idle and after a load, and the time to its first poll.

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
``--idle`` seconds of doing nothing but the scheduler's sweeps, and its peak (VmHWM). On the
seeded database, ``--load`` new residents (default 50) then each hold the throughput
benchmark's six-update conversation at once (onboarding, /menu, a button; Telegram's pacing
on, as in production), and the memory is read again.
Runs on aiogram (the default runtime) and on python-telegram-bot, and, for reference, the
bare aiogram echo bot of the throughput benchmark (``benchmarks.echo_bot``: no database;
its load is the echo conversation). The console's start is ``benchmarks/startup.py``.

Python's bytecode cache is on, as where the bot is installed (as in ``benchmarks/startup.py``):
an untimed start of each runtime fills it first, in a folder of its own
(PYTHONPYCACHEPREFIX, with the compiled catalogs' XDG_CACHE_HOME beside it). That matters
here: ``buurbot run`` re-executes itself under ``-OO`` only where that costs no compiling
(``bot/lean_start.py``), and this sandbox's PYTHONDONTWRITEBYTECODE=1 with an install that
has no ``-OO`` cache would measure the bot without it. ``--as-is`` keeps the environment as
it is. The interpreter's command line each bot ran with is in the results.

    .venv/bin/python -m benchmarks.memory [--runs 3] [--residents 100000] [--idle 10]
        [--load 50] [--runtimes aiogram ptb echo] [--as-is]

Writes benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
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
from benchmarks.throughput import Replies, buurbot_conversation, echo_conversation
from local_bot_api import LocalBotApi
from storage.db import Database
from storage.models import Initiative, Resident, ScheduledMessage, utcnow

CHUNK = 10_000
GOAL_RSS_MB = 100.0  # issue 19, item 6: idle, on the seeded database
LOAD_SECONDS = 300.0  # at most, for the whole load (paced: about 30 messages a second)
ECHO = "echo"  # the bare aiogram echo bot, for reference


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
# The bot processes' environment besides bot_env's (the bytecode cache: see the docstring),
# and the command line each runtime's bot last ran with (after its re-exec, if any).
_BYTECODE_ENV: dict[str, str | None] = {}
_COMMAND_LINES: dict[str, str] = {}


def _environment(env: dict[str, str]) -> dict[str, str]:
    for key, value in _BYTECODE_ENV.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _command_line(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        words = cmdline.read().decode(errors="replace").split("\0")
    return " ".join(["python", *words[1:]]).strip()


async def one_start(
    runtime: str, url: str, idle: float, log: Path, load: int = 0
) -> dict[str, float]:
    async with LocalBotApi(token=TOKEN, username=USERNAME) as server:
        # Each server numbers updates from 1, and the bot skips an update id it has handled
        # before (a warm start on the same database): start this one's numbers further on.
        for _ in range(1000 * next(_STARTS)):
            server.world.queue.next_id()
        replies = Replies(server)
        anna = server.person("Anna")
        await anna.command("start")  # waiting when the bot starts: its first poll returns at once
        started = server.clock()
        if runtime == ECHO:  # aiogram as shipped: no database, nothing of ours
            command, env = ["-m", "benchmarks.echo_bot"], bot_env(server.base_url, url)
        else:
            command, env = ["-m", "bot", "run"], bot_env(server.base_url, url, runtime=runtime)
        process = spawn(command, _environment(env), log)
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
            _COMMAND_LINES[runtime] = _command_line(process.pid)
            await asyncio.sleep(idle)
            memory = rss_mb(process.pid)
            if load:
                memory |= await after_load(server, replies, process.pid, runtime, load, log)
        finally:
            code = await stop_process(process)
    if code != 0:
        raise RuntimeError(f"the bot stopped with exit code {code}; see {log}")
    return {
        "to_first_getupdates_s": round(poll.timestamp - started, 3),
        "to_first_reply_s": round(reply.timestamp - started, 3),
        **memory,
    }


async def after_load(
    server: LocalBotApi, replies: Replies, pid: int, runtime: str, people: int, log: Path
) -> dict[str, float]:
    """`people` new residents converse at once; then the memory, as `rss_mb` names it,
    with an `_after_load` suffix."""
    converse = echo_conversation if runtime == ECHO else buurbot_conversation
    residents = [server.person(f"Buur{n}", language_code="nl") for n in range(people)]
    deadline = time.monotonic() + LOAD_SECONDS
    talks = await asyncio.gather(
        *(converse(server, replies, person, deadline) for person in residents)
    )
    failed = [talk.error for talk in talks if not talk.finished]
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {people} conversations failed ({failed[0]}); see {log}"
        )
    await asyncio.sleep(1.0)  # let the last updates' tasks finish
    return {f"{key}_after_load": value for key, value in rss_mb(pid).items()}


def median_of(results: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in results), 3) for key in results[0]}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "benchmark": "P4/P5: bot process memory, idle and after a load, and start to first poll",
        "machine": machine(),
        "command": (
            "python -m bot run (aiogram or ptb; echo: python -m benchmarks.echo_bot), "
            "polling the local Bot API server, SQLite"
        ),
        "idle_seconds_before_rss": args.idle,
        "goal_rss_mb": GOAL_RSS_MB,
        "data_set": {
            "residents": args.residents,
            "initiatives": args.initiatives,
            "pending_outbox_rows": args.rows,
        },
        "conversations_before_rss_after_load": args.load,
        "runs": args.runs,
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="buurbot-memory-") as name:
        folder = Path(name)
        if args.as_is:
            _BYTECODE_ENV.clear()
            figures["bytecode"] = "as the environment has it: " + (
                "compiled at every start (PYTHONDONTWRITEBYTECODE)"
                if os.environ.get("PYTHONDONTWRITEBYTECODE")
                else "cached"
            )
        else:
            _BYTECODE_ENV.update(
                PYTHONDONTWRITEBYTECODE=None,
                PYTHONPYCACHEPREFIX=str(folder / "pycache"),
                XDG_CACHE_HOME=str(folder / "cache"),
            )
            figures["bytecode"] = "cached (filled by an untimed start of each runtime)"
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
            log = folder / f"{runtime}.log"
            if not args.as_is:  # untimed: fills the bytecode cache
                await one_start(runtime, f"sqlite+aiosqlite:///{folder / 'fill.db'}", 0.0, log)
            cases: dict[str, list[dict[str, float]]] = {}
            for run_number in range(args.runs):
                if runtime == ECHO:
                    label = "bare aiogram echo bot (no database)"
                    cases.setdefault(label, []).append(
                        await one_start(runtime, seeded, args.idle, log, args.load)
                    )
                    continue
                empty = f"sqlite+aiosqlite:///{folder / f'empty-{runtime}-{run_number}.db'}"
                for label, url, load in (
                    ("empty database, first start (migrations)", empty, 0),
                    ("empty database, warm start", empty, 0),
                    (
                        f"seeded ({args.residents:,} residents, {args.initiatives:,} "
                        f"initiatives, {args.rows:,} rows)",
                        seeded,
                        args.load,
                    ),
                ):
                    cases.setdefault(label, []).append(
                        await one_start(runtime, url, args.idle, log, load)
                    )
            for label, results in cases.items():
                row = {"runtime": runtime, "case": label, **median_of(results)}
                row["rss_max_mb"] = max(r["rss_mb"] for r in results)
                figures["results"].append(row)
                loaded = (
                    f", after {args.load} conversations {row['rss_mb_after_load']:.0f} MB "
                    f"(peak {row['peak_rss_mb_after_load']:.0f} MB)"
                    if "rss_mb_after_load" in row
                    else ""
                )
                print(
                    f"{runtime:8} {label:58} first getUpdates "
                    f"{row['to_first_getupdates_s']:.2f} s, first reply "
                    f"{row['to_first_reply_s']:.2f} s, RSS idle {row['rss_mb']:.0f} MB "
                    f"(peak {row['peak_rss_mb']:.0f} MB){loaded}; goal <= {GOAL_RSS_MB:.0f} MB",
                    flush=True,
                )
    figures["command_lines"] = dict(_COMMAND_LINES)
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
        "--load", type=int, default=50, help="conversations before the second RSS (0: none)"
    )
    parser.add_argument(
        "--runtimes",
        nargs="+",
        choices=("aiogram", "ptb", ECHO),
        default=["aiogram", "ptb", ECHO],
    )
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE and the bytecode cache as they are",
    )
    args = parser.parse_args()
    if not 1 <= args.runs <= 20 or max(args.residents, args.initiatives, args.rows) > 1_000_000:
        parser.error("--runs 1..20; at most 1,000,000 rows of each")
    if not 0 <= args.load <= 1_000:
        parser.error("--load 0..1000")
    figures = asyncio.run(run(args))
    print(f"written to {write_results('memory', figures)}")


if __name__ == "__main__":
    main()
