"""Broadcast pacing, live: a real broadcast end to end, the server enforcing the limits.

N residents (``--recipients``, default 10,000), each opted in to announcements, reachable
and a private chat the local Bot API server knows, in a fresh database (SQLite, or
``--db postgres``). The local server enforces Telegram's flood control
(``LocalBotApi.enforce_limits``: 1 a second per chat, ``--rate`` a second overall, 20 a
minute per group; an excess is answered 429 with retry_after). The bot runs as its own
process, polling, with pacing on, exactly as ``buurbot run`` but with its pacer scaled to
the server's limit (``python -m benchmarks.common buurbot --pacing on --rate R``:
``TELEGRAM_LIMITS``' shape for R, ``bot.core.delivery.scaled_limits``: at most R in any
1.02 s, a bucket of 0.98 R a second).

Once the bot polls, the benchmark confirms an operator's broadcast to everyone
(``bot.domain.broadcasts.start``, as ``buurbot broadcast --yes`` does, in this process against
the same database: the broadcast row and one outbox row per recipient, one bulk insert);
the running bot's scheduler (a sweep every 5 s) claims, renders, paces and sends them
through its one paced ``Delivery``. Not ``buurbot broadcast`` itself: that command sends
from its own process with its own pacer, so with the bot running two pacers would share
one limit. Measured at the server (its call log, on this process's clock):

* the achieved rate, from the first to the last announcement, ÷ the server's limit
  (the pacer's own ceiling is 0.98);
* the most sends in any 1 s window (the server allows R);
* 429s (``server.limits.refused``), lost (recipients without the announcement) and
  duplicated (recipients with it more than once), and the outbox rows' final states;
* the time from the commit of the outbox rows to the first announcement;
* to explain a shortfall: the bot's CPU per message, stalls (gaps of more than 3 pacer
  intervals; the dispatcher works in batches of 200) and how late the first announcement
  reached the server against the pacer's grid of the next ten (a late first request puts
  31 in a second at 30/s).

Two runs by default: 10,000 recipients at a scaled-up 300/s (about 34 s of sending, if
the bot keeps up), and 900 at the real 30/s (``--real-rate-recipients``, 0 skips it;
about 31 s). Goal: >= 97 % of the limit, zero 429s, none lost or duplicated.
``--warm-up``: the bot answers one /start before the broadcast (its send path has run
once). ``--operator-command``: enqueue with ``python -m bot broadcast --yes`` instead,
which then sends from its own process beside the running bot (pick ``--rate 30``: the
command paces at Telegram's limits); the two share one limit in Redis (``--redis URL``) or
in PostgreSQL (``--db postgres``), with SQLite each paces alone. ``--profile``:
pyinstrument the bot in the first run (benchmarks/results/broadcast_live-profile.*).
``--stalls``: while the broadcast runs, stop a sending process (the bot, or the command)
with SIGSTOP for 0.1-0.3 s every 0.5-2.5 s (seeded), as a loaded machine deschedules
one: a request granted before the stop reaches the server after it (the case the
pacer's overall window counts by the send's answer).

    .venv/bin/python -m benchmarks.broadcast_live [--recipients 10000] [--rate 300]
        [--real-rate-recipients 900] [--db sqlite|postgres] [--warm-up]
        [--operator-command] [--redis redis://127.0.0.1:6379/0] [--profile] [--stalls]

Writes benchmarks/results/broadcast_live.json (and, for a run with 429s, lost or
duplicated messages, the bot's log beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import select

from benchmarks.common import (
    RESULTS,
    TOKEN,
    USERNAME,
    bot_env,
    cpu_seconds,
    drop_database,
    load_average,
    machine,
    new_database,
    rss_mb,
    spawn,
    stop_process,
    wait_for_polling,
    write_results,
)
from bot.core.delivery import scaled_limits
from local_bot_api import LocalBotApi

START_TIMEOUT = 180.0  # aiogram's import alone takes 8-30 s on a busy 2-core machine
FIRST_ID = 30_000_000  # the residents' Telegram ids (and private chat ids)
CHUNK = 2_000
TEXT = "Infoavond collectieve inkoop zonnepanelen: donderdag 20:00 in het buurthuis."
STALL_SECONDS = 30.0  # no new announcement for this long: the run is over
SETTLE_SECONDS = 6.0  # after the last recipient: one more sweep, to see any duplicate


# The residents' zone: the first of these where it is day now and for the next hours, so
# that their quiet hours (21:00-09:00 local) never hold the broadcast back, whenever it runs.
DAYTIME_ZONES = ("Europe/Amsterdam", "America/New_York", "America/Los_Angeles", "Asia/Tokyo")


def daytime_zone(hours: float = 2.0) -> str:
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC)
    for name in DAYTIME_ZONES:
        local = now.astimezone(ZoneInfo(name))
        if 9 <= local.hour and local.hour + local.minute / 60 + hours < 21:
            return name
    return DAYTIME_ZONES[0]


async def seed(url: str, recipients: int) -> float:
    """The schema and the residents (all opted in, reachable, onboarded, in a zone where it
    is day: ``daytime_zone``); seconds taken."""
    from storage.db import Database
    from storage.models import Resident

    started = time.perf_counter()
    db = Database(url)
    zone = daytime_zone()
    try:
        await db.migrate()
        now = datetime.now(UTC)
        async with db.transaction() as session:
            for first in range(0, recipients, CHUNK):
                await session.execute(
                    insert(Resident.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "telegram_id": FIRST_ID + n,
                            "first_name": f"Buur {n}",
                            "name": f"Buur {n}",
                            "language": "nl" if n % 4 else "en",
                            "language_chosen": True,
                            "timezone": zone,
                            "postcode": f"{1000 + n % 9000} AB",
                            "consented_at": now,
                            "announcements_opt_in": True,
                            "reminders": "on",
                            "reachable": True,
                            "role": "resident",
                            "onboarded_at": now,
                            "created_at": now,
                            "last_seen_at": now,
                        }
                        for n in range(first, min(first + CHUNK, recipients))
                    ],
                )
    finally:
        await db.close()
    return time.perf_counter() - started


async def enqueue(url: str) -> tuple[int, int, float]:
    """Confirm an operator's broadcast to everyone: (broadcast id, recipients, seconds)."""
    from bot.domain.broadcasts import Audience, start
    from storage.db import Database

    started = time.perf_counter()
    db = Database(url)
    try:
        async with db.transaction() as session:
            broadcast, recipients = await start(
                session,
                author=None,
                text=TEXT,
                link_url="https://example.nl/zon",
                link_label="Aanmelden",
                audience=Audience(),
                now=datetime.now(UTC),
                via="benchmark",
            )
    finally:
        await db.close()
    return broadcast.id or 0, recipients.count, time.perf_counter() - started


async def outbox_states(url: str) -> dict[str, int]:
    from storage.db import Database
    from storage.models import ScheduledMessage

    db = Database(url)
    try:
        async with db.transaction() as session:
            result = await session.execute(
                select(ScheduledMessage.status, func.count()).group_by(ScheduledMessage.status)
            )
            return {str(status): int(count) for status, count in result.all()}
    finally:
        await db.close()


async def stall_now_and_then(processes: list[subprocess.Popen[bytes]], done: list[int]) -> None:
    """Stop one of ``processes`` for 0.1-0.3 s every 0.5-2.5 s (seeded), for ever; each
    stop counted in ``done``. A stopped process always gets its SIGCONT."""
    rng = random.Random(19)
    while True:
        await asyncio.sleep(rng.uniform(0.5, 2.5))
        running = [process for process in processes if process.poll() is None]
        if not running:
            continue
        victim = rng.choice(running)
        os.kill(victim.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(rng.uniform(0.1, 0.3))
        finally:
            if victim.poll() is None:
                os.kill(victim.pid, signal.SIGCONT)
        done[0] += 1


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most sends in any half-open window (t - window, t] ending at a send, as the
    server counts them."""
    ordered = sorted(times)
    return max(
        (i + 1 - bisect_left(ordered, t - window, 0, i + 1) for i, t in enumerate(ordered)),
        default=0,
    )


async def warm_up(server: LocalBotApi, limit: float = 60.0) -> float:
    """Someone (not a recipient) sends /start and gets the bot's answer: the bot's send
    path has run once before the broadcast. Seconds until that answer."""
    person = server.person("Warm", user_id=FIRST_ID - 1)
    started = time.monotonic()
    await person.send("/start")
    while not server.calls_to("sendMessage", person.id, ok=True):
        if time.monotonic() - started > limit:
            raise RuntimeError("the bot did not answer /start")
        await asyncio.sleep(0.05)
    answered = time.monotonic() - started
    await asyncio.sleep(2.0)  # its follow-ups, if any, out of the way
    return answered


async def run_one(
    recipients: int,
    rate: float,
    db: str,
    folder: Path,
    max_seconds: float,
    warm: bool,
    profile: Path | None = None,
    via_operator: bool = False,
    redis_url: str | None = None,
    stalls: bool = False,
) -> dict[str, Any]:
    url = await new_database(db, folder)
    stopped = [0]
    env_of = bot_env
    if redis_url:

        def env_of(api_base: str, database_url: str) -> dict[str, str]:
            return {**bot_env(api_base, database_url), "BUURBOT_REDIS_URL": redis_url}

    log = folder / f"bot-{recipients}-{rate:g}.log"
    try:
        seeded = await seed(url, recipients)
        async with LocalBotApi(token=TOKEN, username=USERNAME) as server:
            limits = server.enforce_limits(overall_per_s=rate)
            wanted = {FIRST_ID + n for n in range(recipients)}
            for n in range(recipients):
                server.person(f"Buur {n}", user_id=FIRST_ID + n)
            command = ["-m", "benchmarks.common", "buurbot", "--pacing", "on"]
            command += ["--rate", f"{rate:g}"]
            if profile is not None:
                command += ["--profile", str(profile)]
            process = spawn(command, env_of(server.base_url, url), log)
            operator = None
            staller: asyncio.Task[None] | None = None
            try:
                await wait_for_polling(server, process, 0, START_TIMEOUT, log)
                if warm:
                    await warm_up(server)
                cpu_before = cpu_seconds(process.pid)
                harness_before = time.process_time()
                if via_operator:
                    # `buurbot broadcast --yes` while the bot runs: it sends from its own
                    # process, with its own pacer (Telegram's limits, whatever --rate says).
                    enqueued = time.monotonic()
                    operator = spawn(
                        ["-m", "bot", "broadcast", "--text", TEXT, "--yes"],
                        env_of(server.base_url, url),
                        folder / f"operator-{recipients}-{rate:g}.log",
                    )
                    broadcast_id, chosen, insert_seconds = 0, recipients, 0.0
                else:
                    broadcast_id, chosen, insert_seconds = await enqueue(url)
                    enqueued = time.monotonic()
                if stalls:
                    senders = [process] if operator is None else [process, operator]
                    staller = asyncio.create_task(stall_now_and_then(senders, stopped))
                deadline = enqueued + max_seconds
                seen = 0
                got: Counter[int] = Counter()
                stamps: list[float] = []
                refused_by_status: Counter[str] = Counter()
                refused_at: list[float] = []
                last_progress = time.monotonic()
                done_at: float | None = None
                while True:
                    calls = server.calls
                    for call in calls[seen:]:
                        if call.method != "sendMessage":
                            continue
                        if not call.ok:
                            refused_by_status[f"{call.status} {call.description}"] += 1
                            refused_at.append(call.timestamp)
                        elif call.chat_id in wanted:
                            got[call.chat_id] += 1
                            stamps.append(call.timestamp)
                            last_progress = time.monotonic()
                    seen = len(calls)
                    now = time.monotonic()
                    if done_at is None and len(got) == recipients:
                        done_at = now
                    if done_at is not None and now - done_at >= SETTLE_SECONDS:
                        break
                    if now - last_progress > STALL_SECONDS + 5 or now > deadline:
                        break
                    if process.poll() is not None:
                        raise RuntimeError(f"the bot exited with {process.returncode}; see {log}")
                    await asyncio.sleep(0.2)
                bot_cpu = cpu_seconds(process.pid) - cpu_before
                harness_cpu = time.process_time() - harness_before
                memory = rss_mb(process.pid)
            finally:
                if staller is not None:
                    staller.cancel()
                    await asyncio.gather(staller, return_exceptions=True)
                if operator is not None:
                    await stop_process(operator)
                code = await stop_process(process, 300.0 if profile else 30.0)
            refused = limits.refused
            rejected = [str(call) for call in server.rejected][:5]
        states = await outbox_states(url)
    finally:
        await drop_database(url)
    stamps.sort()
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    achieved = (len(stamps) - 1) / span if span > 0 else 0.0
    # How much later than the pacer's grid (set by the next ten) the first one arrived.
    pacer_rate = scaled_limits(rate).global_per_second
    grid = [stamps[k] - k / pacer_rate for k in range(1, min(11, len(stamps)))]
    first_late = (sorted(grid)[len(grid) // 2] - stamps[0]) if grid else 0.0
    # Stalls: gaps of more than 3 pacer intervals between announcements (the dispatcher
    # claims and records in batches of 200: a gap at a multiple of 200 is a batch boundary).
    interval = 1 / pacer_rate
    gaps = [(stamps[i] - stamps[i - 1], i) for i in range(1, len(stamps))]
    gaps_over = [(gap, i) for gap, i in gaps if gap > 3 * interval]
    result: dict[str, Any] = {
        "recipients": recipients,
        "selected": chosen,
        "database": db,
        "warmed_up": warm,
        "enqueued_by": "buurbot broadcast (its own process)" if via_operator else "in-process",
        "limits_shared_in": "redis" if redis_url else "postgresql" if db == "postgres" else None,
        "server_limit_per_s": rate,
        "pacer_per_s": round(pacer_rate, 3),
        "broadcast_id": broadcast_id,
        "announcements_delivered": len(stamps),
        "seconds_first_to_last": round(span, 2),
        "achieved_per_s": round(achieved, 2),
        "ratio_to_limit": round(achieved / rate, 4),
        "ratio_to_pacer": round(achieved / pacer_rate, 4),
        "max_sends_in_any_1s": max_in_window(stamps),
        "server_429s": refused,
        "refused_sendmessage": dict(refused_by_status),
        "refused_at_s_after_first": [round(t - stamps[0], 3) for t in refused_at[:10]]
        if stamps
        else [],
        "stops_injected": stopped[0] if stalls else None,
        "stalls_over_3_intervals": len(gaps_over),
        "seconds_lost_in_stalls": round(sum(gap - interval for gap, _ in gaps_over), 2),
        "longest_gaps_ms_at_index": [
            (round(gap * 1000, 1), i) for gap, i in sorted(gaps, reverse=True)[:6]
        ],
        "first_message_late_ms": round(-first_late * 1000, 1),
        "lost": len(wanted - set(got)),
        "duplicated": sum(1 for count in got.values() if count > 1),
        "seconds_to_first_message": round(stamps[0] - enqueued, 2) if stamps else None,
        "seconds_seed": round(seeded, 2),
        "seconds_enqueue": round(insert_seconds, 2),
        "outbox_states": states,
        "bot_cpu_seconds": round(bot_cpu, 2),
        "bot_cpu_ms_per_message": round(bot_cpu * 1000 / max(1, len(stamps)), 2),
        "harness_cpu_seconds": round(harness_cpu, 2),
        "bot_memory": memory,
        "bot_exit_code": code,
        "rejected_calls": rejected,
    }
    if refused or result["lost"] or result["duplicated"] or code:
        kept = RESULTS / f"broadcast_live-{recipients}-{rate:g}-{db}.log"
        RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, kept)
        result["bot_log"] = str(kept)
    return result


def report_line(result: dict[str, Any]) -> None:
    print(
        f"{result['recipients']:>6,} recipients at {result['server_limit_per_s']:g}/s "
        f"({result['database']}): {result['announcements_delivered']:,} sent in "
        f"{result['seconds_first_to_last']:.1f} s = {result['achieved_per_s']:.2f}/s = "
        f"{result['ratio_to_limit']:.1%} of the limit ({result['ratio_to_pacer']:.1%} of the "
        f"pacer's {result['pacer_per_s']:g}/s); most in any 1 s: "
        f"{result['max_sends_in_any_1s']}; 429s: {result['server_429s']}; lost: "
        f"{result['lost']}; duplicated: {result['duplicated']}; first message after "
        f"{result['seconds_to_first_message']} s; outbox {result['outbox_states']}; bot CPU "
        f"{result['bot_cpu_ms_per_message']:.2f} ms/message; stalls over 3 intervals "
        f"{result['stalls_over_3_intervals']}"
        + (
            f"; processes stopped {result['stops_injected']} times"
            if result["stops_injected"] is not None
            else ""
        ),
        flush=True,
    )
    if result.get("bot_log"):
        print(f"    bot log: {result['bot_log']}", flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    plan = [(args.recipients, args.rate)]
    if args.real_rate_recipients > 0:
        plan.append((args.real_rate_recipients, 30.0))
    with tempfile.TemporaryDirectory(prefix="buurbot-bench-") as name:
        for index, (recipients, rate) in enumerate(plan):
            expected = recipients / scaled_limits(rate).global_per_second
            profile = None
            if args.profile and index == 0:
                RESULTS.mkdir(parents=True, exist_ok=True)
                profile = RESULTS / "broadcast_live-profile.txt"
            result = await run_one(
                recipients,
                rate,
                args.db,
                Path(name),
                expected * 2 + 120,
                args.warm_up,
                profile,
                args.operator_command,
                args.redis,
                args.stalls,
            )
            report_line(result)
            runs.append(result)
    return {
        "benchmark": "P2 broadcast pacing, live: the bot process, the server enforcing limits",
        "machine": machine(),
        "load_average_1_5_15_at_end": load_average(),
        "goal": ">= 97 % of the server's limit, zero 429s, none lost or duplicated",
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0, help="the server's limit, per s")
    parser.add_argument(
        "--real-rate-recipients", type=int, default=900, help="at 30/s; 0 skips that run"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--warm-up", action="store_true", help="the bot answers one /start before the broadcast"
    )
    parser.add_argument(
        "--operator-command",
        action="store_true",
        help="enqueue with `python -m bot broadcast --yes` (sends itself, beside the bot)",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="BUURBOT_REDIS_URL for the bot and the command: their limits shared in Redis "
        "(else in PostgreSQL with --db postgres, else each paces alone)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="pyinstrument the bot in the first run (benchmarks/results/broadcast_live-profile.*)",
    )
    parser.add_argument(
        "--stalls",
        action="store_true",
        help="stop a sending process for 0.1-0.3 s every 0.5-2.5 s while the broadcast runs",
    )
    args = parser.parse_args()
    if not 1 <= args.recipients <= 100_000 or not 0 <= args.real_rate_recipients <= 100_000:
        parser.error("--recipients and --real-rate-recipients: at most 100,000")
    if args.rate <= 1:
        parser.error("--rate must be above 1")
    figures = asyncio.run(run(args))
    path = write_results("broadcast_live", figures)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
