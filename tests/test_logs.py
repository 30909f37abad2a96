"""The log: no secret of the settings in any record, from any logger, at any level, whatever
handler is attached; the loggers that would write every few seconds held at WARNING."""

from __future__ import annotations

import asyncio
import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.core.config import Settings
from bot.core.delivery import Delivery
from bot.core.logs import HELD, configure, protect
from bot.runtimes.recording import RecordingSender
from scheduler.clock import Scheduler

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "424242:UNIT-secret_token-abcdefghijklmnop"
SECRET_HALF = TOKEN.partition(":")[2]


class WithMoreSecrets(Settings):
    """Settings as they grow: another messenger's token, a signing key."""

    whatsapp_token: SecretStr | None = None
    signing_key: SecretStr | None = None


@pytest.fixture
def settings() -> WithMoreSecrets:
    return WithMoreSecrets(  # type: ignore[call-arg]
        telegram_token=TOKEN,
        whatsapp_token="EAAG-whatsapp-secret-0001",
        signing_key="sign-me-0002",
        database_url="postgresql+asyncpg://buurbot:db-password-0003@127.0.0.1:5432/buurbot",
        _env_file=None,
    )


@pytest.fixture
def captured(settings: WithMoreSecrets) -> Iterator[io.StringIO]:
    """A handler attached after protect(), as a library or an operator would attach one."""
    protect(settings)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s %(secret)s"))
    handler.addFilter(_default_secret)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _default_secret(record: logging.LogRecord) -> bool:
    if not hasattr(record, "secret"):
        record.secret = ""
    return True


SECRETS = (TOKEN, SECRET_HALF, "EAAG-whatsapp-secret-0001", "sign-me-0002", "db-password-0003")


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_every_secret_of_the_settings_is_redacted_from_every_logger_at_every_level(
    captured: io.StringIO,
) -> None:
    for name in ("bot.core.engine", "aiogram.dispatcher", "telegram.ext.ExtBot", "httpx", "x.y"):
        for level in (logging.DEBUG, logging.INFO, logging.ERROR):
            logging.getLogger(name).log(level, "GET http://api/bot%s/getMe", TOKEN)
    logging.getLogger("sqlalchemy.engine").warning(
        "%(url)s %(key)s",
        {"url": "postgresql://buurbot:db-password-0003@h/b", "key": "sign-me-0002"},
    )
    logging.getLogger("wa").info("raw %s", "EAAG-whatsapp-secret-0001")
    text = captured.getvalue()
    assert_clean(text)
    assert text.count("GET http://api/bot<token>/getMe") == 15
    assert "postgresql://buurbot:<secret>@h/b <secret>" in text
    assert "raw <secret>" in text


def test_the_token_url_encoded_or_alone_its_secret_half_is_redacted(captured: io.StringIO):
    log = logging.getLogger("aiohttp.client")
    log.info("url %s", "http://api/bot424242%3AUNIT-secret_token-abcdefghijklmnop/getMe")
    log.info("half %s", SECRET_HALF)
    text = captured.getvalue()
    assert_clean(text)
    assert "url http://api/bot<token>/getMe" in text and "half <token>" in text


def test_tracebacks_stacks_and_extras_are_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("aiogram.dispatcher")
    try:
        try:
            raise ValueError(f"<html>/bot{TOKEN}/getUpdates</html>")
        except ValueError as error:
            raise RuntimeError("Failed to decode object") from error
    except RuntimeError:
        log.exception("Failed to fetch updates")
    log.error("with the stack", stack_info=True, extra={"secret": f"extra {TOKEN}"})
    text = captured.getvalue()
    assert_clean(text)
    assert "ValueError: <html>/bot<token>/getUpdates</html>" in text  # the cause, redacted
    assert "RuntimeError: Failed to decode object" in text
    assert "Stack (most recent call last)" in text and "extra <token>" in text


def test_warnings_and_uncaught_exceptions_are_printed_redacted() -> None:
    script = (
        "import threading, warnings\n"
        "from bot.core.config import Settings\n"
        "from bot.core.logs import configure, protect\n"
        f"protect(Settings(telegram_token={TOKEN!r}, _env_file=None))\n"
        "configure('INFO')\n"
        f"warnings.warn('unclosed session for /bot{TOKEN}/getMe', stacklevel=1)\n"
        "def fail():\n"
        f"    raise OSError({TOKEN!r})\n"
        "thread = threading.Thread(target=fail)\n"
        "thread.start(); thread.join()\n"
        f"raise RuntimeError('/bot{TOKEN}/getMe')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 1
    assert_clean(result.stderr)
    assert "WARNING py.warnings: " in result.stderr
    assert "unclosed session for /bot<token>/getMe" in result.stderr
    assert "OSError: <token>" in result.stderr
    assert "RuntimeError: /bot<token>/getMe" in result.stderr


@pytest.fixture
def levels() -> Iterator[None]:
    names = ["", *HELD]
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_at_info_the_noisy_and_the_data_loggers_are_held_at_warning(levels: None) -> None:
    configure("INFO")
    assert logging.getLogger().level == logging.INFO
    for name in ("apscheduler.executors.default", "httpx", "sqlalchemy.engine", "aiosqlite"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger(name).isEnabledFor(logging.WARNING), name


def test_at_debug_everything_speaks_but_rows_and_parameter_values(levels: None) -> None:
    configure("DEBUG")
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)
    for name in ("sqlalchemy.engine.Engine", "aiosqlite"):
        assert logging.getLogger(name).isEnabledFor(logging.INFO)  # statements, no values
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG)  # rows, values


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="log_level must be one of DEBUG, INFO"):
        Settings(log_level="LOUD", _env_file=None)  # type: ignore[call-arg]
    assert Settings(log_level="debug", _env_file=None).log_level == "DEBUG"  # type: ignore[call-arg]


async def test_the_running_scheduler_writes_no_info_line_per_job(
    levels: None, sqlite_services, caplog: pytest.LogCaptureFixture
) -> None:
    configure("INFO")  # what `buurbot run` sets at start-up
    scheduler = Scheduler(
        sqlite_services,
        Delivery(sqlite_services, RecordingSender()),
        sweep_seconds=0.02,
        reap_seconds=0.02,
    )
    sweeps = 0
    sweep = scheduler.sweep

    async def counted():  # type: ignore[no-untyped-def]
        nonlocal sweeps
        sweeps += 1
        return await sweep()

    scheduler.sweep = counted  # type: ignore[method-assign]
    await scheduler.start()
    try:
        for _ in range(500):
            if sweeps >= 5:
                break
            await asyncio.sleep(0.02)
    finally:
        await scheduler.stop()
    assert sweeps >= 5  # the jobs ran...
    noisy = [r for r in caplog.records if r.name.startswith("apscheduler")]
    assert [r.getMessage() for r in noisy if r.levelno < logging.WARNING] == []  # ...silently
    assert any(r.name == "scheduler.clock" for r in caplog.records)  # our own line stays


def test_the_webhook_secret_is_redacted_too(captured: io.StringIO, settings: Settings) -> None:
    protect(settings, ["webhook-secret-0004"])  # what run_telegram registers with --webhook
    logging.getLogger("aiohttp.server").info("X-Telegram-Bot-Api-Secret-Token: webhook-secret-0004")
    text = captured.getvalue()
    assert "webhook-secret-0004" not in text
    assert "X-Telegram-Bot-Api-Secret-Token: <secret>" in text


def test_buurbot_sets_these_levels_at_start_up(
    levels: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("BUURBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    monkeypatch.setenv("BUURBOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.delenv("BUURBOT_LOG_LEVEL", raising=False)
    assert main(["migrate"]) == 0
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("apscheduler").level == logging.WARNING
