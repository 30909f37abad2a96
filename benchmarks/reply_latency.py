"""Reply latency at a human pace, as in production: pacing on, Telegram's limits enforced.

N residents (default 30) talk to the bot through the local Bot API server over HTTP, each
at a human pace (a think time of 2–4 s between inputs, seeded), all at the same time:

    /start → press "Noem me <name>" → type "1234 AB" → press "Ja, dat is goed"
    → /menu → press "Deel een idee" → type the idea                    (7 turns each)

The bot runs as its own process exactly as ``buurbot run`` starts it, with its production
pacer (``bot.core.delivery.TELEGRAM_LIMITS``), and the server enforces Telegram's limits, so a
burst beyond them would come back as 429 (counted). A reply is **complete** when the last
Bot API call it caused has been answered by the server: the edit of the answered question,
the next question, the answer to the button press. Its latency runs from the moment the
person's update went into the queue. The first answer (the first of those calls) is
reported too.

    .venv/bin/python -m benchmarks.reply_latency [--people 30] [--runtimes aiogram ptb]
        [--db sqlite|postgres] [--seed 1]

Writes benchmarks/results/reply_latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    TOKEN,
    USERNAME,
    bot_env,
    drop_database,
    load_average,
    machine,
    new_database,
    percentile,
    spawn,
    stop_process,
    wait_for_polling,
    write_results,
)
from local_bot_api import LocalBotApi

START_TIMEOUT = 180.0
THINK_SECONDS = (2.0, 4.0)
TURN_TIMEOUT = 20.0
# What a turn's reply is made of: calls to the person's chat, and the answer to their press.
REPLY_METHODS = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendPoll"})


@dataclass
class Turn:
    what: str
    sent_at: float  # the update went into the queue (server clock: time.monotonic)
    query_id: str | None = None


@dataclass
class Resident:
    person: Any
    turns: list[Turn] = field(default_factory=list)
    error: str = ""


def _newest_labels(person: Any) -> list[str]:
    for message in reversed(person.bot_messages):
        if message.buttons:
            return [label for label, value in (b for row in message.buttons for b in row) if value]
    return []


async def _answered(server: LocalBotApi, person: Any, since: int) -> None:
    """Wait until the bot has answered something in this chat after call index `since`."""
    deadline = time.monotonic() + TURN_TIMEOUT
    while time.monotonic() < deadline:
        if any(call.chat_id == person.id for call in server.calls[since:]):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no answer to {person!r} within {TURN_TIMEOUT} s")


async def converse(server: LocalBotApi, resident: Resident, rng: random.Random) -> None:
    person = resident.person

    async def think() -> None:
        await asyncio.sleep(rng.uniform(*THINK_SECONDS))

    async def say(text: str) -> None:
        since = len(server.calls)
        resident.turns.append(Turn(f"type {text!r}", time.monotonic()))
        await person.send(text)
        await _answered(server, person, since)
        await think()

    async def press_first() -> None:
        labels = _newest_labels(person)
        if not labels:
            raise AssertionError(f"{person!r} sees no button to press")
        since = len(server.calls)
        turn = Turn(f"press {labels[0]!r}", time.monotonic())
        resident.turns.append(turn)
        turn.query_id = await person.press(labels[0])
        await _answered(server, person, since)
        await think()

    try:
        await asyncio.sleep(rng.uniform(0, THINK_SECONDS[1]))  # people do not start together
        await say("/start")
        await press_first()  # "Noem me <name>"
        await say("1234 AB")
        await press_first()  # "Ja, dat is goed"
        await say("/menu")
        await press_first()  # "Deel een idee"
        await say("Een moestuin op het pleintje bij de school")
    except (TimeoutError, AssertionError) as error:
        resident.error = f"{type(error).__name__}: {error}"


def latencies(server: LocalBotApi, resident: Resident) -> list[tuple[float, float]]:
    """(first answer, complete) in seconds for each turn: the calls answered between this
    update going into the queue and the person's next one."""
    person_id = resident.person.id
    figures = []
    for index, turn in enumerate(resident.turns):
        until = (
            resident.turns[index + 1].sent_at if index + 1 < len(resident.turns) else float("inf")
        )
        answered = [
            call.timestamp + call.duration
            for call in server.calls
            if turn.sent_at <= call.timestamp < until
            and call.ok
            and (
                (call.method in REPLY_METHODS and call.chat_id == person_id)
                or (
                    call.method == "answerCallbackQuery"
                    and turn.query_id is not None
                    and str(call.params.get("callback_query_id")) == turn.query_id
                )
            )
        ]
        if answered:
            figures.append((min(answered) - turn.sent_at, max(answered) - turn.sent_at))
    return figures


def _ms(values: list[float], fraction: float) -> float:
    return round(percentile(values, fraction) * 1000, 1)


async def run_one(runtime: str, people: int, db: str, seed: int, folder: Path) -> dict[str, Any]:
    url = await new_database(db, folder)
    log = folder / f"reply-latency-{runtime}.log"
    try:
        async with LocalBotApi(token=TOKEN, username=USERNAME) as server:
            server.enforce_limits()
            env = bot_env(server.base_url, url, runtime=runtime)
            process = spawn(["-m", "bot", "run"], env, log)
            try:
                await wait_for_polling(server, process, 0, START_TIMEOUT, log)
                rng = random.Random(seed)
                residents = [
                    Resident(server.person(f"Buur{n}", language_code="nl")) for n in range(people)
                ]
                started = time.monotonic()
                await asyncio.gather(
                    *(converse(server, r, random.Random(rng.random())) for r in residents)
                )
                wall = time.monotonic() - started
                refused = server.limits.refused if server.limits is not None else None
            finally:
                code = await stop_process(process)
    finally:
        await drop_database(url)
    pairs = [pair for resident in residents for pair in latencies(server, resident)]
    first = [pair[0] for pair in pairs]
    complete = [pair[1] for pair in pairs]
    return {
        "runtime": runtime,
        "db": db,
        "people": people,
        "turns": len(pairs),
        "errors": [r.error for r in residents if r.error],
        "wall_s": round(wall, 1),
        "first_answer_ms": {"p50": _ms(first, 0.5), "p95": _ms(first, 0.95)},
        "complete_ms": {
            "p50": _ms(complete, 0.5),
            "p95": _ms(complete, 0.95),
            "p99": _ms(complete, 0.99),
            "max": round(max(complete, default=0.0) * 1000, 1),
        },
        "refused_429": refused,
        "exit_code": code,
    }


async def main_async(args: argparse.Namespace) -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="buurbot-latency-") as folder:
        for runtime in args.runtimes:
            result = await run_one(runtime, args.people, args.db, args.seed, Path(folder))
            results.append(result)
            complete = result["complete_ms"]
            print(
                f"{runtime:8} {args.db:8} {result['turns']} turns: reply complete "
                f"p50 {complete['p50']} ms, p95 {complete['p95']} ms, p99 {complete['p99']} ms, "
                f"max {complete['max']} ms; first answer p95 {result['first_answer_ms']['p95']} "
                f"ms; 429s {result['refused_429']}; errors {len(result['errors'])}"
            )
    figures = {"machine": machine(), "load": load_average(), "results": results}
    path = write_results("reply_latency", figures)
    print(f"written to {path}")
    return 1 if any(r["errors"] for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reply_latency")
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--runtimes", nargs="+", default=["aiogram", "ptb"])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
