"""WhatsApp reply latency at a human pace: the real runtime against the local Cloud API.

N residents (default 20) write to the bot's WhatsApp number at the same time, each at a
human pace (2–4 s between inputs, seeded), through signed webhooks from the local WhatsApp
Cloud API server (`local_whatsapp_api`) over HTTP:

    /start → tap "Noem me <name>" (the one onboarding question) → /menu
    → choose "Deel een idee" → type the idea → /menu → choose "Mijn initiatieven"
                                                                       (7 turns each)

The bot is `run_whatsapp` (pywa's client, the aiohttp webhook, the engine, the scheduler)
with its production pacer (`WHATSAPP_LIMITS`), on SQLite. A turn's latency is the time
from the webhook POST going out to its 200, which the bot answers only after every reply
of that message was accepted by the Cloud API (the first reply is reported too, from the
webhook to the server accepting the first message back).

    .venv/bin/python -m benchmarks.whatsapp_latency [--people 20] [--seed 1]

Writes benchmarks/results/whatsapp_latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import load_average, machine, percentile, write_results
from bot.core.config import Settings
from bot.runtimes.whatsapp import RunningWhatsApp, run_whatsapp
from local_whatsapp_api import LocalWhatsAppApi

VERIFY = "bench-verify"
# Per turn (0 = /start): from the person's input to the first reply they see.
FIRST_REPLY: dict[int, list[float]] = {}


async def converse(server: LocalWhatsAppApi, person: Any, rng: random.Random) -> None:
    async def think() -> None:
        await asyncio.sleep(rng.uniform(2.0, 4.0))

    async def newest_choice(title: str | None = None) -> None:
        message = person.messages[-1]
        if message.buttons:
            await person.press(title or message.buttons[0].title)
        else:
            await person.choose(title or message.rows[0].title)

    turns = [
        lambda: person.send("/start"),
        lambda: newest_choice(),  # "Noem me <name>": the one onboarding question
        lambda: person.send("/menu"),
        lambda: newest_choice("Deel een idee"),
        lambda: person.send("Een geveltuin voor elk huis in de straat, samen aangelegd."),
        lambda: person.send("/menu"),
        lambda: newest_choice("Mijn initiatieven"),
    ]
    for number, turn in enumerate(turns):
        seen = len(person.messages)
        began = time.monotonic()
        await turn()
        await server.wait_until(
            lambda seen=seen: len(person.messages) > seen, 30, f"{person} answered"
        )
        FIRST_REPLY.setdefault(number, []).append(time.monotonic() - began)
        await think()


async def run(people: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        async with LocalWhatsAppApi(status_webhooks=False) as server:
            settings = Settings(  # type: ignore[call-arg]
                database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
                whatsapp_token=server.token,
                whatsapp_phone_number_id=server.phone_number_id,
                whatsapp_app_secret=server.app_secret,
                whatsapp_verify_token=VERIFY,
                whatsapp_api_base=server.base_url,
                whatsapp_number=server.display_phone_number,
                _env_file=None,
            )
            stop = asyncio.Event()
            ready: asyncio.Future[RunningWhatsApp] = asyncio.get_running_loop().create_future()
            args = argparse.Namespace(host="127.0.0.1", port=0)
            task = asyncio.create_task(run_whatsapp(settings, args, stop=stop, ready=ready))
            running = await asyncio.wait_for(ready, 60)
            assert (await server.subscribe(running.webhook_url, VERIFY)).ok
            rng = random.Random(seed)
            residents = [server.person(f"Buur{n}", wa_id=f"3162{n:07d}") for n in range(people)]
            started = time.monotonic()
            await asyncio.gather(
                *(converse(server, r, random.Random(rng.random())) for r in residents)
            )
            wall = time.monotonic() - started
            attempts = [
                a.elapsed
                for a in server.webhook_attempts
                if a.status == 200 and a.elapsed is not None
            ][1:]  # not the subscription's own first message
            stop.set()
            code = await task
    complete = sorted(attempts)
    return {
        "people": people,
        "turns": len(complete),
        "wall_s": round(wall, 1),
        "p50_ms": round(percentile(complete, 0.5) * 1000, 1),
        "p95_ms": round(percentile(complete, 0.95) * 1000, 1),
        "p99_ms": round(percentile(complete, 0.99) * 1000, 1),
        "max_ms": round(max(complete) * 1000, 1) if complete else 0.0,
        "first_reply_by_turn_ms": {
            number: {
                "p50": round(percentile(sorted(times), 0.5) * 1000, 1),
                "max": round(max(times) * 1000, 1),
            }
            for number, times in sorted(FIRST_REPLY.items())
        },
        "rejected": len(server.rejected),
        "exit": code,
        "machine": machine(),
        "load": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.people, args.seed))
    print(figures)
    print(write_results("whatsapp_latency", figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
