"""What the benchmarks share: the machine line, databases, bot processes, and a launcher.

The bots run as their own processes (as in production, and so that on a 2-core machine the
bot has a core while the local Bot API server and the simulated people use the other); the
local Bot API server runs in the benchmark's process, and its call log (timestamps on
``time.monotonic``, the same clock as this process) is where replies are timed.

As a module this file is the launcher of the bot under test:

    python -m benchmarks.common buurbot [--pacing on|off] [--rate R] [--profile PATH]

runs ``bot.runtimes.telegram.run_telegram`` exactly as ``buurbot run`` does (settings from
the BUURBOT_* environment; the runtime starts the scheduler itself), with knobs the
production command does not have: pacing off (a pacer whose limits are never reached, so
that the benchmark measures the bot and not Telegram's 1 message per second per chat); an
optional pyinstrument profile, taken from the first poll on and written when the process
stops (SIGTERM or SIGINT); ``--rate R`` (pacing on) paces for a server that allows R
messages a second overall instead of Telegram's 30 (``scaled_pacer``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TOKEN = "123456:BENCH-token_x"
USERNAME = "buurbot_bench_bot"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432"


# --- the machine ----------------------------------------------------------------------------


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def write_results(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, default=str))
    return path


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """p50 / p99 / max of durations in seconds, as milliseconds."""
    if not values:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


# --- databases ------------------------------------------------------------------------------


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def new_database(backend: str, folder: Path) -> str:
    """A fresh, empty database: a SQLite file in `folder`, or a new PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    if backend != "postgres":
        raise ValueError(f"unknown database {backend!r}")
    name = f"buurbot_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


async def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        await _pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# --- processes ------------------------------------------------------------------------------


def bot_env(api_base: str, database_url: str, *, runtime: str = "aiogram") -> dict[str, str]:
    """The environment of a bot process: only our BUURBOT_* settings, pointed at 127.0.0.1."""
    if not api_base.startswith("http://127.0.0.1:"):
        raise ValueError("benchmarks only talk to a local Bot API server on 127.0.0.1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env.update(
        BUURBOT_TELEGRAM_TOKEN=TOKEN,
        BUURBOT_TELEGRAM_API_BASE=api_base,
        BUURBOT_DATABASE_URL=database_url,
        BUURBOT_RUNTIME=runtime,
        PYTHONPATH=str(ROOT),
    )
    return env


def spawn(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `python <args>` in the project folder, its output (both streams) in `log`."""
    handle = log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    finally:
        handle.close()


async def stop_process(process: subprocess.Popen[bytes], limit: float = 30.0) -> int:
    """SIGTERM, wait (in a thread, not blocking the loop), then SIGKILL if it is still there."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return int(await asyncio.to_thread(process.wait, limit))
    except subprocess.TimeoutExpired:
        process.kill()
        return int(await asyncio.to_thread(process.wait, 30))


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB (10^6 bytes), from /proc."""
    figures: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = round(int(value.split()[0]) * 1024 / 1e6, 1)
    return {"rss_mb": figures.get("VmRSS", 0.0), "peak_rss_mb": figures.get("VmHWM", 0.0)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def wait_for_polling(
    server: Any, process: subprocess.Popen[bytes], since: int, limit: float, log: Path
) -> float:
    """Wait until the process is about to poll; the server time it got there.

    The server logs a call when it answers it, and a long poll without updates is answered
    after 25 s; so the sign is the deleteWebhook both runtimes send just before polling (or
    a getUpdates already answered). Calls before index `since` do not count."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for call in server.calls[since:]:
            if call.method in ("deleteWebhook", "getUpdates"):
                return float(call.timestamp + call.duration)
        if process.poll() is not None:
            raise RuntimeError(f"the bot exited with {process.returncode}; see {log}")
        await asyncio.sleep(0.01)
    raise RuntimeError(f"the bot did not poll within {limit} s; see {log}")


# --- the launcher -----------------------------------------------------------------------------


def unlimited_pacer():  # type: ignore[no-untyped-def]
    """A real Pacer whose limits are never reached: pacing off, its bookkeeping still paid."""
    from scheduler.pacing import Limits, Pacer

    huge = 10**9
    return Pacer(
        Limits(
            global_per_second=huge,
            global_burst=huge,
            chat_per_second=huge,
            chat_burst=huge,
            group_per_minute=huge,
            group_burst=huge,
        )
    )


def scaled_pacer(rate: float):  # type: ignore[no-untyped-def]
    """A pacer on ``scaled_limits(rate)``; ``scaled_pacer(30)`` is ``telegram_pacer()``."""
    from bot.core.delivery import scaled_limits
    from scheduler.pacing import Pacer

    return Pacer(scaled_limits(rate))


async def serve(pacing: bool, profile: Path | None = None, rate: float | None = None) -> int:
    """`buurbot run` (polling), with pacing on or off; profiled once it polls, if asked.

    `rate`: with pacing on, pace for a server allowing that many messages a second
    (``scaled_pacer``) instead of ``telegram_pacer()``."""
    import logging

    from bot.app import bootstrap
    from bot.core.config import Settings
    from bot.core.delivery import telegram_pacer
    from bot.runtimes.telegram import Running, run_telegram

    # As `buurbot run` with a token: INFO (aiogram then logs a line per update, as in production).
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings()
    services = bootstrap(settings)
    if not pacing:
        services.pacer = unlimited_pacer()
    elif rate is not None:
        services.pacer = scaled_pacer(rate)
    else:
        services.pacer = telegram_pacer()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    ready: asyncio.Future[Running] = loop.create_future()
    args = argparse.Namespace(command="run", webhook=False)
    bot = asyncio.create_task(
        run_telegram(settings, args, services=services, stop=stop, ready=ready)
    )
    profiler = None
    try:
        await asyncio.wait({bot, ready}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done() and profile is not None:
            from pyinstrument import Profiler

            # From the first poll on: the imports and the start are benchmarks.memory's.
            profiler = Profiler(interval=0.002, async_mode="disabled")
            profiler.start()
        return await bot
    finally:
        if profiler is not None and profile is not None:
            profiler.stop()
            _write_profile(profiler, profile)
        await services.db.close()


def _write_profile(profiler: Any, path: Path) -> None:
    """The profile as text, HTML, and the session (for `pyinstrument --load=...`)."""
    path.write_text(profiler.output_text(unicode=True, color=False))
    with contextlib.suppress(Exception):
        path.with_suffix(".html").write_text(profiler.output_html())
    if profiler.last_session is not None:
        profiler.last_session.save(str(path.with_suffix(".pyisession")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.common")
    commands = parser.add_subparsers(dest="command", required=True)
    bot = commands.add_parser("buurbot", help="run the bot under test (settings from BUURBOT_*)")
    bot.add_argument("--pacing", choices=("on", "off"), default="on")
    bot.add_argument(
        "--rate",
        type=float,
        default=None,
        help="pacing on: pace for a server allowing this many messages/s (default: Telegram's)",
    )
    bot.add_argument("--profile", type=Path, help="write a pyinstrument profile (text) here")
    args = parser.parse_args(argv)
    return asyncio.run(serve(args.pacing == "on", args.profile, args.rate))


if __name__ == "__main__":
    sys.exit(main())
