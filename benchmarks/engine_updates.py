"""The engine alone: CPU per update through ``Core.handle``, no network, no framework.

N residents (default 200) each hold the throughput benchmark's conversation, all at once
and without think time:

    /start → press "Noem me <name>" → type "1234 AB" → press "Ja, dat is goed"
    → /menu → press "Deel een idee"                                   (6 updates each)

through ``Core`` as the Telegram runtimes run it (the engine's transaction, the reply
outbox, delivery through a real but never limiting pacer) into a sender that only records
what it was given. The figure is this process's CPU time (the event loop and, on SQLite,
aiosqlite's threads) per update, over the last ``--rounds`` - 1 rounds of a fresh set of
people each (the first round warms SQLAlchemy's caches), so it moves only with the code
between the update's arrival and its replies, not with HTTP or the poller.

    .venv/bin/python -m benchmarks.engine_updates [--people 200] [--rounds 3]
        [--db sqlite postgres]

Writes benchmarks/results/engine_updates.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.common import (
    drop_database,
    load_average,
    machine,
    new_database,
    unlimited_pacer,
    write_results,
)

POSTCODE = "1234 AB"


async def run_one(backend: str, people: int, rounds: int, folder: Path) -> dict[str, Any]:
    from bot.app import bootstrap
    from bot.assembly import assemble
    from bot.core.config import Settings
    from bot.core.seam import ButtonPress, Chat, ChatKind, Command, Incoming, Person, Text
    from bot.core.services import Network
    from bot.runtimes.common import Core
    from bot.runtimes.recording import RecordingSender

    url = await new_database(backend, folder)
    settings = Settings(database_url=url, flood_max_updates=10**6, _env_file=None)  # type: ignore[call-arg]
    services = bootstrap(settings, bot_username="buurbot_bench_bot")
    await services.db.migrate()
    sender = RecordingSender()

    async def no_sleep(_seconds: float) -> None:
        return None

    core = Core(
        assemble(
            services,
            Network(sender, pacer=unlimited_pacer()),
            durable_replies=True,
            sleep=no_sleep,
        )
    )
    counts = {"statements": 0, "commits": 0}

    def statement(*_args: Any) -> None:
        counts["statements"] += 1

    def commit(*_args: Any) -> None:
        counts["commits"] += 1

    event.listen(services.db.engine.sync_engine, "before_cursor_execute", statement)
    event.listen(services.db.engine.sync_engine, "commit", commit)
    update_ids = itertools.count(1)
    person_ids = itertools.count(10_000)

    async def update(who: Person, event: Any) -> None:
        await core.handle(Incoming(Chat(who.id, ChatKind.PRIVATE), who, event, next(update_ids)))

    def first_button(who: Person) -> ButtonPress:
        """The first button of the newest message that has buttons (as throughput presses)."""
        for shown in reversed(sender.chats[who.id]):
            if shown.buttons and shown.buttons[0][0].payload:
                payload = shown.buttons[0][0].payload
                return ButtonPress(payload, f"q{next(update_ids)}", shown.message_id)
        raise RuntimeError(f"no button for {who.id}")

    async def conversation(who: Person) -> None:
        await update(who, Command("start"))
        await update(who, first_button(who))  # "Noem me <name>"
        await update(who, Text(POSTCODE))
        await update(who, first_button(who))  # "Ja, dat is goed"
        await update(who, Command("menu"))
        await update(who, first_button(who))  # "Deel een idee"

    per_update: list[float] = []
    statements = commits = 0.0
    try:
        for round_ in range(rounds):
            crowd = [Person(next(person_ids), f"Buur{n}", "nl") for n in range(people)]
            counts.update(statements=0, commits=0)
            before_cpu, before_wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(conversation(who) for who in crowd))
            await core.drain()
            cpu, wall = time.process_time() - before_cpu, time.perf_counter() - before_wall
            updates = people * 6
            if round_ > 0 or rounds == 1:
                per_update.append(cpu / updates * 1000)
            statements, commits = counts["statements"] / updates, counts["commits"] / updates
            print(
                f"{backend:8} round {round_ + 1}: {updates} updates, "
                f"{cpu / updates * 1000:.2f} ms CPU per update, {updates / wall:.0f}/s, "
                f"{statements:.2f} statements and {commits:.2f} commits per update"
                + (" (warm-up)" if round_ == 0 and rounds > 1 else "")
            )
        finished = sum(1 for who in crowd if len(sender.chats[who.id]) >= 4)
    finally:
        await services.db.close()
        await drop_database(url)
    return {
        "db": backend,
        "people": people,
        "updates_per_round": people * 6,
        "cpu_ms_per_update": per_update,
        "median_cpu_ms_per_update": statistics.median(per_update),
        "statements_per_update": statements,
        "commits_per_update": commits,
        "last_round_finished": finished,
    }


async def main(args: argparse.Namespace) -> None:
    load_before = load_average()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.db:
            results.append(await run_one(backend, args.people, args.rounds, Path(folder)))
    for result in results:
        print(
            f"{result['db']:8} median {result['median_cpu_ms_per_update']:.2f} ms CPU per "
            f"update, {result['statements_per_update']:.2f} statements and "
            f"{result['commits_per_update']:.2f} commits per update "
            f"({result['last_round_finished']}/{args.people} finished)"
        )
    write_results(
        "engine_updates",
        {
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_average(),
            "results": results,
        },
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
