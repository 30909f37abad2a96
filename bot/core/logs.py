"""Logging for every command: the levels, and no secret in any record.

`protect(settings)` registers what the settings hold that is secret (every `SecretStr`, the
bot token's secret half, the password in the database URL); from then on a log record
factory redacts each record as it is made, whichever logger makes it (ours, aiogram, PTB,
httpx, aiohttp, SQLAlchemy, asyncio) and whatever handler is attached later: the message with
its arguments merged in, the traceback (formatted once, here), the stack and string extras.
Uncaught exceptions (the main thread's and other threads') and warnings go the same way.

`configure(level)` sets the level of the root logger and of the loggers held apart from it:
those that would write a line every few seconds, and those that would write parameter values
or rows of the database at DEBUG.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from pydantic import SecretStr

if TYPE_CHECKING:
    from bot.core.config import Settings

TOKEN_MARK = "<token>"
SECRET_MARK = "<secret>"
# Shorter values are not redacted: they would blank out ordinary words everywhere.
MIN_SECRET = 4
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers held apart from the root level: (their level when the root is at DEBUG, the least
# severe level they log otherwise).
HELD: dict[str, tuple[int, int]] = {
    "apscheduler": (logging.DEBUG, logging.WARNING),  # INFO: two lines per job run, every 5 s
    "httpx": (logging.DEBUG, logging.WARNING),  # INFO: a line per Bot API request
    "sqlalchemy": (logging.INFO, logging.WARNING),  # DEBUG: every row read
    "aiosqlite": (logging.INFO, logging.WARNING),  # DEBUG: every statement with its values
    # DEBUG: every WhatsApp request and answer, phone numbers and texts in them: never.
    "pywa": (logging.WARNING, logging.WARNING),
    "pywa_async": (logging.WARNING, logging.WARNING),
}


class Redactor:
    """Replaces every registered secret (and its URL-encoded forms) in a text."""

    def __init__(self) -> None:
        self._marks: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    @property
    def active(self) -> bool:
        return self._pattern is not None

    def add(self, value: str, mark: str = SECRET_MARK) -> None:
        for form in {value, quote(value, safe=""), quote(value), unquote(value)}:
            if len(form) >= MIN_SECRET and form not in self._marks:
                self._marks[form] = mark
        if self._marks:
            # The longest first, so that a token is replaced whole, not only its secret half.
            forms = sorted(self._marks, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(form) for form in forms))

    def redact(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: self._marks[match.group()], text)


REDACTOR = Redactor()
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}
_installed = False


def secrets_of(settings: Settings) -> list[tuple[str, str]]:
    """(value, mark) of every secret the settings hold."""
    found: list[tuple[str, str]] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            secret = value.get_secret_value()
            if name == "telegram_token":
                found.append((secret, TOKEN_MARK))
                # The half after the colon is what makes it a secret (the bot id is public).
                found.append((secret.partition(":")[2], TOKEN_MARK))
            else:
                found.append((secret, SECRET_MARK))
    password = _url_password(settings.database_url)
    if password:
        found.append((password, SECRET_MARK))
    return found


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def protect(settings: Settings, extra: Iterable[str] = ()) -> None:
    """Redact the settings' secrets (and `extra` ones) from every log record from now on."""
    for value, mark in secrets_of(settings):
        REDACTOR.add(value, mark)
    for value in extra:
        if value:
            REDACTOR.add(value)
    install()


def install() -> None:
    """The record factory, the exception hooks and warnings through logging (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if REDACTOR.active:
            scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    make_record = logging.Logger.makeRecord

    def make_record_with_extras(
        self: logging.Logger, *args: Any, **kwargs: Any
    ) -> logging.LogRecord:
        # `extra=` fields are set on the record after the factory made it.
        record = make_record(self, *args, **kwargs)
        if REDACTOR.active and kwargs.get("extra", args[8] if len(args) > 8 else None):
            _scrub_extras(record)
        return record

    logging.Logger.makeRecord = make_record_with_extras  # type: ignore[method-assign]
    logging.captureWarnings(True)
    _excepthook = sys.excepthook

    def excepthook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if not REDACTOR.active:
            return _excepthook(kind, error, tb)
        sys.stderr.write(REDACTOR.redact("".join(traceback.format_exception(kind, error, tb))))
        return None

    def thread_excepthook(hook: threading.ExceptHookArgs) -> None:
        if hook.exc_type is SystemExit:
            return
        name = hook.thread.name if hook.thread is not None else "a thread"
        text = "".join(
            traceback.format_exception(hook.exc_type, hook.exc_value, hook.exc_traceback)
        )
        sys.stderr.write(REDACTOR.redact(f"Exception in {name}:\n{text}"))

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def scrub(record: logging.LogRecord) -> None:
    """Redact one record in place: what any formatter may print of it is redacted text."""
    redact = REDACTOR.redact
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what it had, redacted
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[0] is not None:
        # Formatted once, here; the exception itself (whose text holds the secret) goes no further.
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text, record.exc_info = redact(text), None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    _scrub_extras(record)


def _scrub_extras(record: logging.LogRecord) -> None:
    for key, value in vars(record).items():
        if key not in _STANDARD and isinstance(value, str):
            setattr(record, key, REDACTOR.redact(value))


def console_log_file() -> Path:
    """Where the terminal chat writes its log: $XDG_STATE_HOME/buurbot/console.log."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "buurbot" / "console.log"


def _file_handler(path: Path) -> logging.Handler:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return logging.FileHandler(path, encoding="utf-8")
    except OSError:  # nowhere to write: only what must never pass unseen, on stderr
        handler = logging.StreamHandler()
        handler.setLevel(logging.ERROR)
        return handler


def configure(level: int | str, *, file: Path | None = None) -> int:
    """The root logger at `level` and the held loggers. The records go to stderr (a handler
    there if the root has none), or only to `file` — the terminal chat's log, so that no log
    line lands between the messages of the conversation."""
    number = logging.getLevelName(level) if isinstance(level, str) else level
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    if file is None:
        logging.basicConfig(level=number, format=FORMAT)
    else:
        logging.basicConfig(level=number, format=FORMAT, handlers=[_file_handler(file)], force=True)
    logging.getLogger().setLevel(number)
    for name, (at_debug, least) in HELD.items():
        logging.getLogger(name).setLevel(
            at_debug if number <= logging.DEBUG else max(number, least)
        )
    return number
