"""What sharing the limits costs: one ``take`` of the shared buckets, Redis against PostgreSQL.

Every send of every process takes its tokens from the shared store first
(``scheduler/shared_limits.py``), so this is the cost per message. Limits high enough
that every take is granted (the store's cost, not the limit's); each "process" is a
store with a connection of its own, all in this process, taking for distinct chats as
fast as their connection allows, for ``--seconds`` (default 3) each:

* takes a second, and the latency of one take (p50, p95), with 1 and 3 clients at once;
* on PostgreSQL all clients queue on the overall bucket's row, so 3 clients show what
  that lock costs;
* with the overall window on (30 in a microsecond: it never refuses, but each take
  enters its send and each send's answer is told to the store, as production does: the
  answer's own latency beside the take's).

    .venv/bin/python -m benchmarks.shared_limits [--seconds 3] [--redis redis://127.0.0.1:6379/0]

Writes benchmarks/results/shared_limits.json.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import (
    drop_database,
    load_average,
    machine,
    new_database,
    percentile,
    write_results,
)
from scheduler.pacing import Limits
from scheduler.shared_limits import PostgresBuckets, RedisBuckets, SharedBuckets

HUGE = Limits(
    global_per_second=1e9,
    global_burst=10**9,
    chat_per_second=1e9,
    chat_burst=10**9,
    group_per_minute=1e9,
    group_burst=10**9,
)
WINDOWED = replace(HUGE, global_window_sends=30, global_window_seconds=1e-6)


async def measure(stores: list[SharedBuckets], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    answers: list[float] = []
    stop = time.monotonic() + seconds

    async def client(number: int, store: SharedBuckets) -> int:
        chat = number * 10**7
        done = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            verdict = await store.take(chat + done, False)
            latencies.append(time.perf_counter() - started)
            assert verdict.granted, verdict
            if verdict.ticket is not None:
                started = time.perf_counter()
                await store.answered(verdict.ticket, 0.001)
                answers.append(time.perf_counter() - started)
            done += 1
        return done

    cpu = time.process_time()
    started = time.monotonic()
    counts = await asyncio.gather(*(client(n, s) for n, s in enumerate(stores)))
    elapsed = time.monotonic() - started
    figures: dict[str, Any] = {
        "clients": len(stores),
        "takes_per_s": round(sum(counts) / elapsed, 1),
        "latency_ms_p50": round(percentile(latencies, 0.5) * 1000, 3),
        "latency_ms_p95": round(percentile(latencies, 0.95) * 1000, 3),
        "client_cpu_ms_per_take": round((time.process_time() - cpu) * 1000 / sum(counts), 3),
    }
    if answers:
        figures["answer_ms_p50"] = round(percentile(answers, 0.5) * 1000, 3)
        figures["answer_ms_p95"] = round(percentile(answers, 0.95) * 1000, 3)
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    namespace = f"buurbot:pacer:bench-{uuid.uuid4().hex[:8]}"
    redis = [RedisBuckets(args.redis, HUGE, namespace) for _ in range(3)]
    windowed = [RedisBuckets(args.redis, WINDOWED, f"{namespace}:w") for _ in range(3)]
    try:
        results["redis"] = [await measure(redis[:1], args.seconds)]
        results["redis"].append(await measure(redis, args.seconds))
        results["redis_window"] = [await measure(windowed[:1], args.seconds)]
        results["redis_window"].append(await measure(windowed, args.seconds))
    finally:
        for store in windowed:
            await store.close()
        keys = [key async for key in redis[0].redis.scan_iter(f"{namespace}:*")]
        for start in range(0, len(keys), 1000):
            await redis[0].redis.delete(*keys[start : start + 1000])
        for store in redis:
            await store.close()
    url = await new_database("postgres", Path(tempfile.gettempdir()))
    try:
        from storage.db import Database

        db = Database(url)
        await db.migrate()
        await db.close()
        postgres = [PostgresBuckets(url, HUGE, namespace) for _ in range(3)]
        windowed_pg = [PostgresBuckets(url, WINDOWED, f"{namespace}:w") for _ in range(3)]
        try:
            results["postgresql"] = [await measure(postgres[:1], args.seconds)]
            results["postgresql"].append(await measure(postgres, args.seconds))
            results["postgresql_window"] = [await measure(windowed_pg[:1], args.seconds)]
            results["postgresql_window"].append(await measure(windowed_pg, args.seconds))
        finally:
            for store in postgres + windowed_pg:
                await store.close()
    finally:
        await drop_database(url)
    for kind, runs in results.items():
        for figures in runs:
            print(
                f"  {kind}, {figures['clients']} client(s): {figures['takes_per_s']} takes/s, "
                f"p50 {figures['latency_ms_p50']} ms, p95 {figures['latency_ms_p95']} ms, "
                f"{figures['client_cpu_ms_per_take']} ms CPU per take (this process)"
                + (
                    f"; its answer p50 {figures['answer_ms_p50']} ms, "
                    f"p95 {figures['answer_ms_p95']} ms"
                    if "answer_ms_p50" in figures
                    else ""
                )
            )
    return {
        "benchmark": "the cost of one take of the shared buckets",
        "machine": machine(),
        "load_average_1_5_15_at_end": load_average(),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(f"written to {write_results('shared_limits', figures)}")


if __name__ == "__main__":
    main()
