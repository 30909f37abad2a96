"""The paths taken when something fails: the engine's apology when a handler raises, the
dispatcher deciding row by row when a batch hits a database error, a message given up
after Telegram's flood control answered too often, and `buurbot migrate` as a command."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from bot.core.delivery import MAX_RATE_LIMITS, Delivery, Outcome
from bot.core.registry import Command
from bot.core.seam import Outgoing, RateLimited, SendText
from bot.core.services import Services
from bot.i18n import texts_for
from bot.runtimes.recording import RecordingSender
from scheduler.dispatch import Dispatcher
from scheduler.messages import KINDS, KindInfo
from scheduler.pacing import Priority
from storage.db import Database, head_revision
from storage.models import Conversation, OutboxStatus, ProcessedUpdate, ScheduledMessage
from tests.support.driver import Driver

NL = texts_for("nl")
ROOT = Path(__file__).resolve().parents[1]
APOLOGY = NL._("Something went wrong on my side. Please try again, or type /menu.")


# --- the engine: a handler that raises --------------------------------------------------------


async def _handled(driver: Driver) -> int:
    async with driver.services.db.transaction() as session:
        return len((await session.execute(select(ProcessedUpdate))).scalars().all())


async def test_a_handler_that_raises_gets_an_apology_and_changes_nothing(
    db_driver: Driver, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx, _args: str) -> None:  # type: ignore[no-untyped-def]
        ctx.person.name = "Half written"
        ctx.conversation.step = "nowhere"
        raise RuntimeError("a bug in a handler")

    registry = db_driver.services.registry
    monkeypatch.setitem(registry.commands, "kapot", Command(("kapot",), broken, "broken"))
    anna = db_driver.person("Anna")
    await anna.command("start")
    await anna.send("Anna")
    await anna.press("Deel een idee")  # the bot now asks for her idea
    before, handled = len(anna.messages), await _handled(db_driver)

    with caplog.at_level(logging.ERROR, logger="bot.core.engine"):
        await anna.command("kapot")

    assert [shown.plain for shown in anna.messages[before:]] == [APOLOGY]
    # With bot.core.logs' record factory installed (any earlier run_telegram in this process),
    # the traceback is already formatted into exc_text.
    assert any(
        "error while handling an update" in record.getMessage()
        and "a bug in a handler" in (record.exc_text or repr(record.exc_info))
        for record in caplog.records
    )
    async with db_driver.services.db.transaction() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    # Rolled back: the half-done change is gone, and the update may be handled again.
    assert (conversation.flow, conversation.step) == ("idea", "what")
    assert await _handled(db_driver) == handled
    # The conversation goes on where it was.
    await anna.send("Tegels eruit en planten erin")
    assert "Is het voor je straat, je buurt of je hele wijk?" in anna.last


async def test_a_handler_that_raises_on_a_button_answers_the_button_too(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = driver.person("Anna")
    await anna.command("start")

    async def broken(*_args: object) -> None:
        raise KeyError("a bug behind a button")

    routes = driver.services.registry.buttons
    for route in list(routes):
        monkeypatch.setitem(routes, route, broken)
    answered = len(driver.sender.answered)
    before = len(anna.messages)
    await anna.press(NL._("Call me {name}", name="Anna"))
    assert [shown.plain for shown in anna.messages[before:]] == [APOLOGY]
    assert len(driver.sender.answered) == answered + 1  # no spinner left turning


# --- the dispatcher: a database error in a batch ----------------------------------------------


async def render_probe(session, row: ScheduledMessage, _now: datetime) -> list[Outgoing]:  # type: ignore[no-untyped-def]
    """Says its row's text; a row marked `bad` makes a query the database refuses."""
    if row.payload.get("bad"):
        await session.execute(text("SELECT no_such_column FROM scheduled_message"))
    return [SendText(row.chat_id or 0, row.payload["text"])]


@pytest.fixture
def probe_kind() -> Iterator[str]:
    KINDS["probe"] = KindInfo("probe", render_probe, quiet_hours=False, budget=False)
    yield "probe"
    KINDS.pop("probe", None)


async def _no_sleep(_seconds: float) -> None:
    return None


async def test_a_database_error_in_a_batch_is_decided_row_by_row(
    services: Services, probe_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    now = services.clock.now()
    rows = [
        {"text": "eerste", "bad": False},
        {"text": "kapot", "bad": True},
        {"text": "derde", "bad": False},
    ]
    async with services.db.transaction() as session:
        await session.execute(
            insert(ScheduledMessage),
            [
                {
                    "kind": probe_kind,
                    "dedupe_key": f"probe:{number}",
                    "chat_id": 8_000_000 + number,
                    "due_at": now - timedelta(minutes=3 - number),
                    "priority": Priority.SCHEDULED,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "payload": payload,
                    "created_at": now,
                }
                for number, payload in enumerate(rows)
            ],
        )
    sender = RecordingSender()
    dispatcher = Dispatcher(services, Delivery(services, sender, sleep=_no_sleep))

    with caplog.at_level(logging.ERROR, logger="scheduler.dispatch"):
        report = await dispatcher.sweep()

    assert any("deciding row by row" in record.getMessage() for record in caplog.records)
    assert (report.claimed, report.sent, report.failed) == (3, 2, 1)
    assert sorted(m.text for m in sender.sent if isinstance(m, SendText)) == ["derde", "eerste"]
    async with services.db.transaction() as session:
        stored = (await session.execute(select(ScheduledMessage))).scalars().all()
    by_key = {row.dedupe_key: row for row in stored}
    assert [by_key[f"probe:{n}"].status for n in range(3)] == [
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
        OutboxStatus.SENT,
    ]
    assert (by_key["probe:1"].last_error or "").startswith("database error:")


# --- delivery: flood control, again and again -------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [(MAX_RATE_LIMITS, Outcome.SENT), (MAX_RATE_LIMITS + 1, Outcome.RATE_LIMITED)],
    ids=["sent-after-the-last-allowed-wait", "given-up"],
)
async def test_delivery_gives_up_after_max_rate_limits(
    sqlite_services: Services, answers: int, outcome: Outcome
) -> None:
    sender = RecordingSender()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    chat = 4711
    for number in range(answers):
        sender.fail_next(chat, RateLimited(number + 1))
    delivered = await Delivery(sqlite_services, sender, sleep=sleep).attempt(
        SendText(chat, "Hallo")
    )

    assert delivered.outcome is outcome
    # Each answer but the one that made it give up was waited out, for as long as it asked.
    assert waits == [float(n + 1) for n in range(min(answers, MAX_RATE_LIMITS))]
    shown = [m.plain for m in sender.chats[chat]]
    assert shown == (["Hallo"] if outcome is Outcome.SENT else [])
    assert sender.faults[chat] == []  # every flood-control answer was met


# --- `buurbot migrate`, the command -----------------------------------------------------------


def buurbot(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env.update(BUURBOT_DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _version(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in result]
    finally:
        await db.close()


async def test_buurbot_migrate_makes_the_schema_and_then_finds_nothing_to_do(
    database_url: str,
) -> None:
    first = buurbot("migrate", database_url=database_url)
    assert (first.returncode, first.stdout) == (0, "buurbot: the database is up to date\n"), (
        first.stderr
    )
    assert await _version(database_url) == [head_revision()]
    again = buurbot("migrate", database_url=database_url)
    assert (again.returncode, again.stdout) == (0, "buurbot: the database is up to date\n")
    assert await _version(database_url) == [head_revision()]


def test_buurbot_migrate_without_a_database_says_so_in_one_line() -> None:
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://postgres:geheim@127.0.0.1:{port}/buurbot"
    result = buurbot("migrate", database_url=url)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("buurbot: cannot migrate the database: "), (
        result.stderr[-2000:]
    )
    assert "geheim" not in result.stderr
