"""Paced delivery: does the shared pacer reach the configured rate, and never exceed it?

Sends ``--messages`` (10,000) broadcast messages, each to its own private chat, through
``bot.core.delivery.Delivery`` with a ``Pacer`` and an instant sender, at a scaled-up overall
limit (``--rate``, default 300/s — Telegram's is about 30/s; scaled so the run takes
seconds, not minutes): once with burst 1 (the shape of ``TELEGRAM_LIMITS``), once with a
small burst. Prints the achieved rate ÷ the limit and the most sends seen in any
1-second window (the token-bucket bound is rate + burst). A run at the real 29/s follows
(``--real-rate-messages``, default 900: about 30 s, long enough for a steady figure).
Every run uses ``TELEGRAM_LIMITS``' shape, including its catch-up of a quarter interval
(scheduler/pacing.py), which keeps every 1 s window within rate + burst;
``--no-catch-up`` measures the strict bucket instead.

Then the same through the outbox: the rows are due at once and the dispatcher sends
them through the same paced Delivery, so the figure includes claiming, rendering and
recording between the sends (``--outbox-messages``, default 10,000, SQLite).

Writes benchmarks/results/broadcast_pacing.json.

    .venv/bin/python -m benchmarks.broadcast_pacing [--messages 10000] [--rate 300]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import tempfile
import time
import uuid
from bisect import bisect_right
from pathlib import Path

from benchmarks.scheduler_dispatch import seed, services_for
from bot.core.delivery import TELEGRAM_LIMITS, Delivery
from bot.core.seam import Outgoing, SendText, Sent
from scheduler.dispatch import Dispatcher
from scheduler.pacing import Limits, Pacer, Priority

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


class StampingSender:
    """Instant: notes the moment of each send."""

    def __init__(self) -> None:
        self.times: list[float] = []

    async def send(self, action: Outgoing) -> Sent:
        self.times.append(time.monotonic())
        return Sent(len(self.times))


def max_in_window(times: list[float], window: float) -> int:
    """The most sends in any closed window [t, t + window] that starts at a send."""
    ordered = sorted(times)
    return max(bisect_right(ordered, t + window) - i for i, t in enumerate(ordered))


def figures_of(times: list[float], rate: float, burst: int) -> dict:
    elapsed = max(times) - min(times)
    achieved = (len(times) - 1) / elapsed if elapsed > 0 else float("inf")
    return {
        "sent": len(times),
        "seconds": round(elapsed, 2),
        "achieved_per_second": round(achieved, 1),
        "achieved_over_limit": round(achieved / rate, 4),
        "max_in_any_1s_window": max_in_window(times, 1.0),
        "bound_rate_plus_burst": int(rate + burst),
    }


async def direct(messages: int, limits: Limits, folder: Path) -> dict:
    services = services_for(f"sqlite+aiosqlite:///{folder / f'direct-{uuid.uuid4().hex[:6]}.db'}")
    sender = StampingSender()
    delivery = Delivery(services, sender, pacer=Pacer(limits))
    try:
        await asyncio.gather(
            *(
                delivery.deliver_one(
                    SendText(20_000_000 + n, "Buurtnieuws"), priority=Priority.BROADCAST
                )
                for n in range(messages)
            )
        )
    finally:
        await services.db.close()
    return figures_of(sender.times, limits.global_per_second, limits.global_burst)


async def through_outbox(messages: int, limits: Limits, folder: Path) -> dict:
    services = services_for(f"sqlite+aiosqlite:///{folder / f'outbox-{uuid.uuid4().hex[:6]}.db'}")
    sender = StampingSender()
    try:
        await services.db.migrate()
        await seed(services, messages)
        delivery = Delivery(services, sender, pacer=Pacer(limits))
        report = await Dispatcher(services, delivery).sweep()
    finally:
        await services.db.close()
    result = figures_of(sender.times, limits.global_per_second, limits.global_burst)
    result["rows_sent"] = report.sent
    return result


def limits_for(rate: float, burst: int, catch_up: bool = True) -> Limits:
    """The shape of bot.core.delivery.TELEGRAM_LIMITS with another overall rate and burst."""
    return dataclasses.replace(
        TELEGRAM_LIMITS,
        global_per_second=rate,
        global_burst=burst,
        # TELEGRAM_LIMITS catches up a quarter of an interval; the same share at any rate
        global_catch_up=(
            TELEGRAM_LIMITS.global_catch_up * TELEGRAM_LIMITS.global_per_second / rate
            if catch_up
            else 0.0
        ),
    )


def say(label: str, line: dict) -> None:
    print(
        f"{label:34} {line['sent']:>6} in {line['seconds']:6.2f} s: "
        f"{line['achieved_per_second']:7.1f}/s = {line['achieved_over_limit']:.4f} x the limit; "
        f"max {line['max_in_any_1s_window']} in any 1 s (bound {line['bound_rate_plus_burst']})",
        flush=True,
    )


async def run(args: argparse.Namespace) -> dict:
    figures: dict = {
        "benchmark": "paced delivery: achieved rate / configured limit",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        # Other work on the machine slows every figure here; this says how much there was.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "runs": [],
    }
    # burst 1: Telegram's shape, strict windows; a small burst absorbs the event loop's
    # timer rounding (epoll sleeps in whole milliseconds); the real 29/s for reference.
    configs = [
        ("direct", args.rate, 1, args.messages),
        ("direct", args.rate, max(1, int(args.rate * args.burst_share)), args.messages),
        ("direct", 29.0, 1, args.real_rate_messages),
        ("outbox", args.rate, 1, args.outbox_messages),
    ]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for path, rate, burst, count in configs:
            if not count:
                continue
            limits = limits_for(rate, burst, catch_up=not args.no_catch_up)
            run_ = direct if path == "direct" else through_outbox
            line = await run_(count, limits, folder)
            line.update(
                {
                    "path": path,
                    "limit_per_second": rate,
                    "burst": burst,
                    "catch_up_seconds": round(limits.global_catch_up, 5),
                }
            )
            figures["runs"].append(line)
            say(f"{path} at {rate:g}/s, burst {burst}", line)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0, help="overall limit, per second")
    parser.add_argument("--outbox-messages", type=int, default=10_000)
    parser.add_argument("--real-rate-messages", type=int, default=900)
    parser.add_argument(
        "--no-catch-up", action="store_true", help="the strict bucket: no late grant booked back"
    )
    parser.add_argument("--burst-share", type=float, default=0.05)
    figures = asyncio.run(run(parser.parse_args()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "broadcast_pacing.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
