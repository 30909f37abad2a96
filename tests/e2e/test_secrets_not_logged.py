"""No secret in the log: `buurbot run` as a process, every logger at DEBUG, on both runtimes,
against a Bot API whose proxy answers with an HTML error page that repeats the request path
(/bot<token>/getUpdates, /bot<token>/sendMessage), on SQLite and on PostgreSQL with a password
in its URL. The whole of its stderr is searched."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.config import Settings
from bot.i18n import texts_for
from bot.runtimes.telegram import run_telegram
from local_bot_api import LocalBotApi
from tests.e2e.conftest import run_args

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "987654:LEAKY-secret_token-0123456789abcdef"
SECRET_HALF = TOKEN.partition(":")[2]
DB_PASSWORD = "pg-password-0005"
START_TIMEOUT = 90.0  # aiogram's import alone takes seconds of CPU on a busy machine
NL = texts_for("nl")


@pytest.fixture
async def server() -> LocalBotApi:
    async with LocalBotApi(token=TOKEN, username="buurbot_log_bot") as running:
        yield running  # type: ignore[misc]


def bot_env(server: LocalBotApi, runtime: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env.update(
        BUURBOT_TELEGRAM_TOKEN=TOKEN,
        BUURBOT_TELEGRAM_API_BASE=server.base_url,
        BUURBOT_DATABASE_URL=database_url,
        BUURBOT_RUNTIME=runtime,
        BUURBOT_LOG_LEVEL="DEBUG",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.mark.parametrize(
    ("runtime", "database_url"),
    [("aiogram", "sqlite"), pytest.param("ptb", "postgres", marks=pytest.mark.postgres)],
    indirect=["database_url"],
)
async def test_the_token_is_in_no_log_line_at_debug_when_a_proxy_echoes_the_path(
    server: LocalBotApi, tmp_path: Path, runtime: str, database_url: str
) -> None:
    if database_url.startswith("postgresql"):  # trust authentication: any password will do
        database_url = database_url.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    # The first long poll and the first reply are answered by the proxy's page.
    server.faults.arm("echo", method="getUpdates", times=1)
    server.faults.arm("echo", method="sendMessage", times=1)
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=ROOT,
            env=bot_env(server, runtime, database_url),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:

        def paged_or_dead() -> bool:
            paged = any(call.fault == "echo" for call in server.calls_to("getUpdates"))
            return paged or process.returncode is not None

        await server.wait_until(paged_or_dead, START_TIMEOUT, "the bot's first long poll")
        assert process.returncode is None, stderr.read_text(errors="replace")[-3000:]
        # The process keeps serving: it polls again, and the reply that met the page is sent
        # again.
        anna = server.person("Anna")
        await anna.command("start")
        greeting = await anna.wait_for_message(timeout=30)
        assert "Buurbot" in greeting.text
        assert [c.fault for c in server.calls_to("sendMessage", anna.id)][:1] == ["echo"]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    log = stderr.read_text(errors="replace")
    assert code == 0, log[-3000:]
    # The token, or its secret half, is in no line, nor the database's password...
    assert SECRET_HALF not in log
    assert SECRET_HALF.lower() not in log.lower()
    assert DB_PASSWORD not in log
    # ...although the page answered (the poller logs that it could not read it, not the page),
    # the DEBUG lines are there, and SQLAlchemy's statements without their values.
    fired = {(fired.method, fired.fault.kind) for fired in server.faults.fired}
    assert {("getUpdates", "echo"), ("sendMessage", "echo")} <= fired
    assert "DEBUG" in log and "cannot fetch updates" in log
    assert "[SQL parameters hidden due to hide_parameters=True]" in log
    if runtime == "ptb":
        assert "Set Bot API URL: " in log
        assert "httpx: HTTP Request: POST " in log and "/bot<token>/getMe" in log


@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_a_start_refused_by_the_proxys_page_is_one_line_without_the_token(
    server: LocalBotApi,
    tmp_path: Path,
    runtime: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.faults.arm("echo", method="getMe", times=None)
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}",
        telegram_token=TOKEN,
        telegram_api_base=server.base_url,
        runtime=runtime,
        _env_file=None,
    )
    assert await run_telegram(settings, run_args(), stop=asyncio.Event()) == 2
    assert [c.fault for c in server.calls_to("getMe")][:1] == ["echo"]
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("buurbot: ")
    assert SECRET_HALF not in line and SECRET_HALF not in caplog.text
