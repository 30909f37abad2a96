"""Many processes, measured: N `buurbot run --webhook` processes behind one address.

As ``tests/test_three_processes.py``, at a size: N processes (``--processes``, default 3)
of the production entry point (``tests.faults.bot_runner``: ``buurbot run`` with the
production pacer and a short sweep interval), each on its own port, all given the public
URL of a round-robin load balancer (``tests.support.balancer``) in this process, on one
fresh PostgreSQL database; the local Bot API server pushes every update to that address
(one update per chat at a time, as Telegram does) and enforces Telegram's limits (30 a
second overall, 1 a second per chat with a burst of 3). The processes share the limits in
PostgreSQL, or in Redis with ``--redis URL``.

1. **Conversations**: ``--people`` residents (default 150) at once, each the onboarding
   (/start, the offered name, a postcode, yes to consent: 4 updates) at a human pace
   (``--think`` seconds between turns, default 1). Measured: updates a second, the time
   from an update to its reply (p50/p95), each update handled exactly once
   (``processed_update`` rows = updates made, no copy skipped), each conversation in order
   (every resident ends onboarded with the postcode they typed), 429s.
2. **Scheduled rows**: an announcement to ``--recipients`` residents (default 900), due
   now, claimed by whichever process sweeps. Measured at the server: the rate from the first
   to the last ÷ 30, the most in any 1 s, 429s, lost, duplicated, rows claimed per process.

    .venv/bin/python -m benchmarks.many_processes [--processes 3] [--people 150]
        [--recipients 900] [--redis redis://127.0.0.1:6379/0]

Writes benchmarks/results/many_processes.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.broadcast_live import max_in_window
from benchmarks.common import (
    ROOT,
    TOKEN,
    USERNAME,
    cpu_seconds,
    drop_database,
    load_average,
    machine,
    new_database,
    percentile,
    spawn,
    stop_process,
    write_results,
)
from bot.i18n import texts_for
from bot.runtimes.common import plain_text
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from tests.faults.test_fault_suites import seed_broadcast
from tests.support.balancer import RoundRobin

NL = texts_for("nl")
SECRET = "many-processes-secret"
LIMIT = 30.0


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def env(server: LocalBotApi, database_url: str, redis_url: str | None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    environment.update(
        BUURBOT_TELEGRAM_TOKEN=TOKEN,
        BUURBOT_TELEGRAM_API_BASE=server.base_url,
        BUURBOT_DATABASE_URL=database_url,
        BUURBOT_LOG_LEVEL="WARNING",
        # Production's pacer and lease; a sweep every 0.5 s, the reaper every 60 s.
        BUURBOT_FAULT_LEASE_SECONDS="600",
        BUURBOT_FAULT_REAP_SECONDS="60",
        PYTHONPATH=str(ROOT),
    )
    if redis_url:
        environment["BUURBOT_REDIS_URL"] = redis_url
    return environment


async def onboard(person: Person, think: float, latencies: list[float]) -> None:
    async def turn(step: Any, **wait: Any) -> None:
        started = time.monotonic()
        await step()
        await person.wait_for_message(timeout=120, **wait)
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(think)

    await turn(lambda: person.command("start"))
    await turn(lambda: person.press(plain_text(NL._("Call me {name}", name=person.name))))
    await turn(lambda: person.send("1234 AB"))
    await turn(
        lambda: person.press(NL._("Yes, that is fine")),
        containing=NL._("What would you like to do?"),
    )


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from storage.db import Database

    url = await new_database("postgres", Path(tempfile.gettempdir()))
    folder = Path(tempfile.mkdtemp(prefix="buurbot-many-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        db = Database(url)
        await db.migrate()
        await db.close()
        async with (
            LocalBotApi(token=TOKEN, username=USERNAME) as server,
            RoundRobin() as balancer,
        ):
            ports = [free_port() for _ in range(args.processes)]
            for n, port in enumerate(ports):
                command = ["-m", "tests.faults.bot_runner", "--webhook"]
                command += ["--host", "127.0.0.1", "--port", str(port), "--secret", SECRET]
                command += ["--public-url", f"{balancer.url}/telegram"]
                processes.append(
                    spawn(command, env(server, url, args.redis), folder / f"bot-{n}.log")
                )
            balancer.backends = [f"http://127.0.0.1:{port}" for port in ports]
            await server.wait_until(
                lambda: len(server.calls_to("setWebhook", ok=True)) >= args.processes,
                180,
                "every process to set the webhook",
                recheck=0.2,
            )
            await asyncio.sleep(1.0)  # the last one's listener is up once its call returned
            limits = server.enforce_limits(overall_per_s=LIMIT)
            cpu_before = sum(cpu_seconds(p.pid) for p in processes)

            # 1. conversations
            people = [server.person(f"Buur{n}") for n in range(args.people)]
            latencies: list[float] = []
            started = time.monotonic()
            await asyncio.gather(*(onboard(p, args.think, latencies) for p in people))
            seconds = time.monotonic() - started - args.think
            updates = args.people * 4
            cpu_conversations = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
            handled = await fetch(url, "SELECT count(*) AS n FROM processed_update")
            states = await fetch(
                url,
                "SELECT count(*) AS n FROM resident WHERE postcode = '1234 AB' "
                "AND consented_at IS NOT NULL AND name = first_name "
                f"AND telegram_id = ANY(ARRAY{[p.id for p in people]}::bigint[])",
            )
            refused_conversations = limits.refused
            conversations = {
                "people": args.people,
                "updates": updates,
                "think_seconds": args.think,
                "seconds": round(seconds, 2),
                "updates_per_s": round(updates / seconds, 1),
                "reply_ms_p50": round(percentile(latencies, 0.5) * 1000, 1),
                "reply_ms_p95": round(percentile(latencies, 0.95) * 1000, 1),
                "handled_once": handled[0]["n"] == updates,
                "processed_update_rows": handled[0]["n"],
                "onboarded_in_order": states[0]["n"],
                # POSTs each process answered; above `updates`: Telegram's retries after a
                # webhook timeout, found handled by whichever process got the copy.
                "per_process_posts": dict(sorted(balancer.forwarded.items())),
                "webhook_retries": sum(balancer.forwarded.values()) - updates,
                "cpu_ms_per_update_all_processes": round(cpu_conversations * 1000 / updates, 2),
                "server_429s": refused_conversations,
            }
            print(
                f"  conversations: {updates} updates from {args.people} people in {seconds:.1f} s"
                f" = {updates / seconds:.1f}/s; reply p50 {conversations['reply_ms_p50']} ms, "
                f"p95 {conversations['reply_ms_p95']} ms; handled once: "
                f"{conversations['handled_once']}; onboarded in order: {states[0]['n']}/"
                f"{args.people}; POSTs per process {conversations['per_process_posts']}; "
                f"429s {refused_conversations}"
            )

            # 2. scheduled rows
            recipients = {server.person(f"Ontvanger{n}").id for n in range(args.recipients)}
            seen = len(server.calls)
            await seed_broadcast(url, sorted(recipients))
            await server.wait_until(
                lambda: (
                    len({c.chat_id for c in server.calls[seen:] if c.chat_id in recipients})
                    >= args.recipients
                ),
                args.recipients / 20 + 120,
                "every announcement",
                recheck=0.5,
            )
            await asyncio.sleep(2.0)
            sends = [
                c
                for c in server.calls[seen:]
                if c.method == "sendMessage" and c.chat_id in recipients
            ]
            stamps = sorted(c.timestamp for c in sends if c.ok)
            got = Counter(c.chat_id for c in sends if c.ok)
            span = stamps[-1] - stamps[0]
            claims = await fetch(
                url,
                "SELECT count(*) AS n FROM scheduled_message WHERE status = 'sent'",
            )
            scheduled = {
                "recipients": args.recipients,
                "achieved_per_s": round((len(stamps) - 1) / span, 2),
                "ratio_to_limit": round((len(stamps) - 1) / span / LIMIT, 4),
                "max_sends_in_any_1s": max_in_window(stamps),
                "server_429s": limits.refused - refused_conversations,
                "lost": len(recipients - set(got)),
                "duplicated": sum(1 for n in got.values() if n > 1),
                "rows_sent": claims[0]["n"],
            }
            print(
                f"  scheduled: {len(stamps)} announcements at {scheduled['achieved_per_s']}/s = "
                f"{scheduled['ratio_to_limit']:.3f} of {LIMIT:g}/s; most in 1 s "
                f"{scheduled['max_sends_in_any_1s']}; 429s {scheduled['server_429s']}; lost "
                f"{scheduled['lost']}; duplicated {scheduled['duplicated']}"
            )
        return {
            "benchmark": "many processes: N webhook processes behind one balancer, PostgreSQL",
            "machine": machine(),
            "load_average_1_5_15_at_end": load_average(),
            "processes": args.processes,
            "limits_shared_in": "redis" if args.redis else "postgresql",
            "conversations": conversations,
            "scheduled": scheduled,
        }
    finally:
        await asyncio.gather(*(stop_process(process) for process in processes))
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--people", type=int, default=150)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--recipients", type=int, default=900)
    parser.add_argument("--redis", metavar="URL", help="share the limits in Redis")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(f"written to {write_results('many_processes', figures)}")


if __name__ == "__main__":
    main()
