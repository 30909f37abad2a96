"""End-to-end fixtures: a fresh local Bot API server and a fresh (migrated) SQLite database per
test, and the bot itself (aiogram, then python-telegram-bot: every test runs on both) started with
`run_telegram` as a task in the test's event loop, pointed at the server, stopped cleanly."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.core.config import Settings
from bot.runtimes.telegram import Running, run_telegram
from local_bot_api import LocalBotApi
from tests.conftest import copy_migrated_sqlite

TOKEN = "123456:TEST-token_e2e"
USERNAME = "buurbot_test_bot"
START_TIMEOUT = 30.0  # the first start imports the framework (aiogram's types take seconds)

StartBot = Callable[..., Awaitable[Running]]


@pytest.fixture(autouse=True, scope="session")
def _frameworks_imported() -> None:
    """Both runtimes imported once per test process, before any test's start is timed.

    A start's first seconds were the import of its framework (aiogram's alone is ~8 s of
    CPU; over 30 s on a loaded machine, past START_TIMEOUT). Every e2e test runs on both
    runtimes, so each process imports both anyway; here it happens the way the bot's own
    first start does it (`make_runtime`: aiogram's models built lazily)."""
    import bot.runtimes.ptb_runtime
    from bot.runtimes.telegram import lazy_aiogram_models

    with lazy_aiogram_models():
        import bot.runtimes.aiogram_runtime  # noqa: F401


@pytest.fixture(params=["aiogram", "ptb"])
def runtime_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN, username=USERNAME) as running:
        yield running


@pytest.fixture
def database_file(tmp_path: Path, sqlite_template: Path) -> Path:
    """A SQLite database at the newest revision (a copy of the migrated template): the
    bot's start finds nothing to migrate, as a restarted bot does. That a first start on
    an empty database migrates it is end to end in tests/faults (`buurbot run` on a new
    file, both runtimes) and in tests/test_migrations.py."""
    path = tmp_path / "buurbot.db"
    copy_migrated_sqlite(sqlite_template, path)
    return path


def bot_settings(server: LocalBotApi, runtime_name: str, database_file: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{database_file}",
        telegram_token=server.token,
        telegram_api_base=server.base_url,
        runtime=runtime_name,
        _env_file=None,
    )


def run_args(*, webhook: bool = False, secret: str = "") -> argparse.Namespace:
    return argparse.Namespace(
        command="run",
        webhook=webhook,
        host="127.0.0.1",
        port=0,  # a free port
        path="/telegram",
        public_url="",
        secret=secret,
    )


@pytest.fixture
async def start_bot(
    server: LocalBotApi, runtime_name: str, database_file: Path
) -> AsyncIterator[StartBot]:
    """`await start_bot()` (polling) or `await start_bot(webhook=True, secret=...)`.

    At the end the bot is stopped (it must exit 0) and no call may have been rejected by
    the server's validation against the Bot API spec."""
    started: list[tuple[asyncio.Event, asyncio.Task[int]]] = []

    async def start(*, webhook: bool = False, secret: str = "") -> Running:
        stop = asyncio.Event()
        ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
        settings = bot_settings(server, runtime_name, database_file)
        task = asyncio.create_task(
            run_telegram(settings, run_args(webhook=webhook, secret=secret), stop=stop, ready=ready)
        )
        started.append((stop, task))
        await asyncio.wait(
            {task, ready}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if not ready.done():
            if task.done():
                pytest.fail(f"the bot did not start (exit code {task.result()})")
            pytest.fail(f"the bot did not start within {START_TIMEOUT} s")
        return ready.result()

    yield start
    for stop, task in started:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    assert [str(call) for call in server.rejected] == []


@pytest.fixture
async def bot(start_bot: StartBot) -> Running:
    """The bot, polling."""
    return await start_bot()
