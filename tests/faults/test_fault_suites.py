"""Fault suites: the bot killed mid-delivery and mid-conversation, killed while an update's
transaction is open (on both runtimes, polling and webhook), every update delivered twice,
one Bot API call in ten failing, the database gone for a while.

Each suite runs the real bot against the local Bot API server on 127.0.0.1: the crash and
outage suites as a separate process (``tests.faults.bot_runner``: ``buurbot run`` with a
short lease, no quiet hours and a faster overall pace), killed with SIGKILL and started
again; the others in this test's event loop, as the end-to-end tests do.

By default the short CI variants run (about a minute together on 2 cores, most of it the
2,000 deliveries): the processes on python-telegram-bot (it starts in ~3 s; aiogram's
import alone takes ~8 s of CPU), the 2,000 recipients paced at up to 400 messages a second
overall, a database outage of 3 s, 20 residents under faults and no per-chat pacing where it
is not what is tested. With ``BUURBOT_FAULTS_FULL=1``: the processes on aiogram, Telegram's
29 messages a second (the 2,000 take ~70 s), a 30 s outage, 100 residents under faults,
paced as in production. ``BUURBOT_FAULTS_RUNTIME`` picks the runtime of the processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert
from sqlmodel import select

from bot.app import bootstrap
from bot.core.config import Settings
from bot.domain.broadcasts import KIND as BROADCAST
from bot.domain.broadcasts import Audience
from bot.domain.broadcasts import start as start_broadcast
from bot.i18n import texts_for
from bot.runtimes.common import plain_text
from bot.runtimes.telegram import Running, run_telegram
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from scheduler.pacing import Limits, Pacer
from storage.db import Database
from storage.models import (
    CoachArea,
    OutboxStatus,
    PersonRole,
    ProcessedUpdate,
    Resident,
    ScheduledMessage,
    utcnow,
)
from tests.conftest import PG_ADMIN_URL, PG_HOST, PG_PORT, need_postgres

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("BUURBOT_FAULTS_FULL") == "1"
PROCESS_RUNTIME = os.environ.get("BUURBOT_FAULTS_RUNTIME", "aiogram" if FULL else "ptb")
TOKEN = "123456:FAULT-token_x"
USERNAME = "buurbot_fault_bot"
NL = texts_for("nl")
START_TIMEOUT = 90.0
RECIPIENTS = 2000
KILL_AFTER = 600  # announcements arrived when the process is killed
RATE = 29.0 if FULL else 400.0  # overall messages a second (production: 29)
LEASE = 30.0 if FULL else 4.0  # seconds; production: 10 minutes
OUTAGE = 30.0 if FULL else 3.0  # seconds without the database
SWEEP, REAP = 0.5, 1.0  # seconds between the scheduler's sweeps and reaps (production: 5, 60)
FAULTED_PEOPLE = 100 if FULL else 20
COACH_ID = 1
UNPACED = Limits(
    global_per_second=1e6,
    global_burst=10**6,
    chat_per_second=1e6,
    chat_burst=10**6,
    group_per_minute=1e6,
    group_burst=10**6,
)
CANNOT_REACH = NL._(
    "I can't reach my memory right now. Nothing is lost: please try again in a minute."
)


# --- the bot as a process -------------------------------------------------------------------


class BotProcess:
    """`python -m tests.faults.bot_runner` against the local server: start, kill -9, stop.

    `args` go to `buurbot run` (e.g. the webhook's); `runtime` overrides the suite's."""

    def __init__(
        self,
        server: LocalBotApi,
        database_url: str,
        log: Path,
        *,
        runtime: str = PROCESS_RUNTIME,
        args: tuple[str, ...] = (),
    ) -> None:
        self.server = server
        self.database_url = database_url
        self.log = log
        self.runtime = runtime
        self.args = args
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
        env.update(
            BUURBOT_TELEGRAM_TOKEN=self.server.token,
            BUURBOT_TELEGRAM_API_BASE=self.server.base_url,
            BUURBOT_DATABASE_URL=self.database_url,
            BUURBOT_RUNTIME=self.runtime,
            BUURBOT_FAULT_RATE=str(RATE),
            BUURBOT_FAULT_LEASE_SECONDS=str(LEASE),
            BUURBOT_FAULT_SWEEP_SECONDS=str(SWEEP),
            BUURBOT_FAULT_REAP_SECONDS=str(REAP),
            PYTHONPATH=str(ROOT),
        )
        return env

    async def start(self, **env: str) -> None:
        """Start (with these environment variables too) and wait until it is about to poll,
        or has set its webhook.

        The server logs a call when it answers it, and the first long poll waits 25 s for
        an update; the deleteWebhook just before it (both runtimes) says the bot is ready."""
        mark = len(self.server.calls)
        ready = ("setWebhook",) if "--webhook" in self.args else ("deleteWebhook", "getUpdates")
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.faults.bot_runner",
                *self.args,
                cwd=ROOT,
                env={**self._env(), **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        process = self.process

        def polling_or_dead() -> bool:
            polled = any(c.method in ready for c in self.server.calls[mark:])
            return polled or process.returncode is not None

        await self.server.wait_until(polling_or_dead, START_TIMEOUT, "the bot to poll")
        if process.returncode is not None:
            pytest.fail(f"the bot exited with {process.returncode}:\n{self.tail()}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise

    def tail(self, characters: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""


@asynccontextmanager
async def bot_process(
    server: LocalBotApi, database_url: str, log: Path, **options: Any
) -> AsyncIterator[BotProcess]:
    bot = BotProcess(server, database_url, log, **options)
    try:
        yield bot
    finally:
        if bot.alive and bot.process is not None:
            bot.process.kill()
            await bot.process.wait()


# --- the bot in this event loop ----------------------------------------------------------


@asynccontextmanager
async def bot_in_loop(
    server: LocalBotApi, database: Path, *, paced: bool = True
) -> AsyncIterator[Running]:
    """The default runtime (aiogram) polling in this loop: paced as in production, or not
    paced at all (`paced=False`: when the pacing has nothing to do with what is tested)."""
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{database}",
        telegram_token=server.token,
        telegram_api_base=server.base_url,
        _env_file=None,
    )
    services = bootstrap(settings)
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    args = argparse.Namespace(command="run", webhook=False)
    task = asyncio.create_task(
        run_telegram(
            settings,
            args,
            services=services,
            pacer=None if paced else Pacer(UNPACED),
            stop=stop,
            ready=ready,
        )
    )
    try:
        await asyncio.wait({task, ready}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED")
        if not ready.done():
            pytest.fail("the bot did not start")
        yield ready.result()
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 30) == 0
        await services.db.close()


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN, username=USERNAME) as running:
        yield running


# --- a resident's onboarding ------------------------------------------------------------------


# The greeting's question (to someone with a first name to offer).
NAME_QUESTION = NL._("What name shall I use for you? Tap your name below, or type another one.")
MENU = NL._("What would you like to do?")


def all_set(name: str) -> str:
    """The thanks that ends onboarding (the one question: the name), above the menu."""
    return NL._("Thank you, {name}. You're all set.", name=name)


async def greet(person: Person, timeout: float = 30) -> None:  # noqa: ASYNC109
    """/start: the greeting asks the one onboarding question, the name."""
    await person.command("start")
    greeting = await person.wait_for_message(timeout=timeout)
    assert NAME_QUESTION in (greeting.text or ""), greeting.text


async def greet_and_name(person: Person, timeout: float = 30) -> None:  # noqa: ASYNC109
    """/start, the offered name tapped (the consent; onboarding done: thanks and the menu),
    then "Join an initiative": the bot then asks for an invitation link or the postcode, a
    question that takes typed text."""
    await greet(person, timeout)
    await person.press(plain_text(NL._("Call me {name}", name=person.name)))
    menu = await person.wait_for_message(containing=MENU, timeout=timeout)
    assert all_set(person.name or "") in (menu.text or ""), menu.text
    await person.press(NL._("Join an initiative"))
    question = await person.wait_for_message(timeout=timeout)
    assert "postcode" in (question.text or ""), question.text


def is_postcode_noted(text: str | None, person: Person, postcode: str) -> bool:
    """The answer to the postcode typed at the join question (the name says whose chat)."""
    noted = NL._("Thanks! I've noted {postcode}.", postcode=postcode)
    return noted in (text or "") and person.name is not None


async def onboard(person: Person, timeout: float) -> None:  # noqa: ASYNC109
    """Onboarding (the name), then a postcode given at the join question, then the menu,
    each step waiting for the bot's answer."""
    await greet_and_name(person, timeout)
    await person.send("1234 AB")
    noted = await person.wait_for_message(timeout=timeout)
    assert is_postcode_noted(noted.text, person, "1234 AB"), noted.text
    await person.command("menu")
    await person.wait_for_message(containing=MENU, timeout=timeout)


# --- seeding an announcement --------------------------------------------------------------


async def seed_broadcast(database_url: str, recipients: list[int]) -> int:
    """Residents who opted in, and a coach's announcement to all of them (rows due now)."""
    db = Database(database_url)
    try:
        now = utcnow()
        async with db.transaction() as session:
            coach = Resident(
                telegram_id=COACH_ID,
                first_name="Carla",
                name="Carla",
                role=PersonRole.COACH,
                consented_at=now,
                onboarded_at=now,
                created_at=now,
                last_seen_at=now,
            )
            session.add(coach)
            await session.flush()
            session.add(CoachArea(coach_id=coach.id or 0, postcode_from=3500, postcode_to=3599))
            await session.execute(
                insert(Resident),
                [
                    {
                        "telegram_id": telegram_id,
                        "first_name": f"Buur {n}",
                        "language": "nl",
                        "timezone": "Europe/Amsterdam",
                        "postcode": f"35{n % 100:02d}",
                        "consented_at": now,
                        "onboarded_at": now,
                        "announcements_opt_in": True,
                        "reachable": True,
                        "reminders": "on",
                        "role": "resident",
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for n, telegram_id in enumerate(recipients)
                ],
            )
            _broadcast, chosen = await start_broadcast(
                session,
                author=coach,
                text="Buurtavond in het buurthuis, donderdag om 20:00.",
                link_url=None,
                link_label=None,
                audience=Audience(coach_id=coach.id),
                now=now,
                via="fault suite",
            )
        return chosen.count
    finally:
        await db.close()


async def outbox_statuses(database_url: str) -> Counter[str]:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            rows = await session.execute(
                select(ScheduledMessage.status, func.count())
                .where(ScheduledMessage.kind == BROADCAST)
                .group_by(ScheduledMessage.status)
            )
            return Counter({str(status): int(count) for status, count in rows.all()})
    finally:
        await db.close()


def announcements(server: LocalBotApi, recipients: set[int]) -> Counter[int]:
    """Announcements that arrived, per recipient (a duplicate counts twice)."""
    return Counter(
        call.chat_id
        for call in server.calls_to("sendMessage", ok=True)
        if call.chat_id in recipients
    )


# --- (a) + (b): kill -9 mid-delivery and mid-conversation -----------------------------------


async def test_kill_9_mid_delivery_and_mid_conversation_loses_nothing(
    server: LocalBotApi, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}"
    people = [server.person(f"Buur{n}") for n in range(RECIPIENTS)]
    recipients = {person.id for person in people}
    anna = server.person("Anna")
    async with bot_process(server, url, tmp_path / "bot.log") as bot:
        await bot.start()
        # (b) Anna is half-way through a question: onboarded, she chose to join an
        # initiative and the bot has asked for her postcode.
        await greet_and_name(anna)
        # (a) A coach's announcement to 2,000 residents is being delivered...
        assert await seed_broadcast(url, sorted(recipients)) == RECIPIENTS

        def enough() -> bool:
            return sum(announcements(server, recipients).values()) >= KILL_AFTER

        await server.wait_until(enough, 120, "the delivery to be under way", recheck=0.05)
        # ... when the process is killed: no shutdown, nothing flushed.
        await bot.kill9()
        at_kill = await outbox_statuses(url)
        arrived_at_kill = sum(announcements(server, recipients).values())
        in_flight = at_kill[OutboxStatus.SENDING]
        assert arrived_at_kill < RECIPIENTS, "the delivery ended before the kill: nothing tested"

        await bot.start()
        # (b) The conversation resumes at the same step: the postcode is taken.
        await anna.send("1234 AB")
        noted = await anna.wait_for_message(timeout=30)
        assert is_postcode_noted(noted.text, anna, "1234 AB"), noted.text
        await anna.command("menu")
        await anna.wait_for_message(containing=MENU, timeout=30)

        # (a) Everyone gets the announcement; the rows in flight come back after their lease.
        def everyone_and_settled() -> bool:
            return len(announcements(server, recipients)) == RECIPIENTS

        await server.wait_until(
            everyone_and_settled, 120 + RECIPIENTS / RATE, "every announcement", recheck=0.2
        )

        async def rows_settled() -> bool:
            statuses = await outbox_statuses(url)
            return statuses[OutboxStatus.SENT] == RECIPIENTS

        await server.wait_until(rows_settled, 30, "every row SENT", recheck=0.2)
        assert await bot.stop() == 0
    per_chat = announcements(server, recipients)
    lost = RECIPIENTS - len(per_chat)
    duplicates = sum(count - 1 for count in per_chat.values())
    assert lost == 0
    assert duplicates <= in_flight, (
        f"{duplicates} duplicates, but only {in_flight} rows were in flight at the kill "
        f"({arrived_at_kill} had arrived; outbox then: {dict(at_kill)})"
    )
    assert server.rejected == []
    assert bot.starts == 2


# --- (b'): kill -9 while an update's transaction is open ----------------------------------------

WEBHOOK_ARGS = ("--webhook", "--host", "127.0.0.1", "--port", "0", "--secret", "fault-Secret_1")
# Telegram keeps trying a webhook that does not answer; so does the server, for a minute.
RETRY_A_MINUTE = (0.2, 0.5, *(1.0,) * 60)
TYPED_NAME = "Annie"  # typed at the name question, instead of tapping "Call me Anna"


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_kill_9_while_an_update_is_open_loses_not_that_update(
    tmp_path: Path, runtime: str, mode: str
) -> None:
    """The frameworks confirmed an update as soon as it was fetched (polling) or answered
    its POST at once (webhook): killed before its transaction committed, it was lost."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}"
    held_mark = tmp_path / "held"
    args = WEBHOOK_ARGS if mode == "webhook" else ()
    async with (
        LocalBotApi(token=TOKEN, username=USERNAME, webhook_retry_delays=RETRY_A_MINUTE) as server,
        bot_process(server, url, tmp_path / "bot.log", runtime=runtime, args=args) as bot,
    ):
        anna = server.person("Anna")
        # The update held open: the name typed at onboarding's one question.
        await bot.start(BUURBOT_FAULT_HOLD_TEXT=TYPED_NAME, BUURBOT_FAULT_HOLD_MARK=str(held_mark))
        await greet(anna)
        held = await anna.send(TYPED_NAME)
        await server.wait_until(held_mark.exists, 30, "the transaction to be open")
        assert held_mark.read_text() == str(held)
        if mode == "polling":
            # Polled again meanwhile: by then the frameworks had confirmed the update.
            mark = len(server.calls)
            await server.wait_until(
                lambda: any(c.method == "getUpdates" for c in server.calls[mark:]),
                30,
                "another getUpdates while the update is open",
            )
        else:
            assert [a.update_id for a in server.webhook_attempts if a.ok].count(held) == 0
        await bot.kill9()
        before_kill = [m.text for m in anna.bot_messages]
        assert len(before_kill) == 1, bot.tail()  # the greeting (the name question)

        await bot.start()  # the update comes again, and now it is handled
        # (A reply delivered just before the kill may come first, again: at least once.)
        done = await anna.wait_for_message(containing=all_set(TYPED_NAME), timeout=60)
        assert MENU in (done.text or ""), done.text
        await anna.command("menu")
        await anna.wait_for_message(containing=MENU, timeout=30)
        assert await bot.stop() == 0
        db = Database(url)
        try:
            async with db.transaction() as session:
                query = select(ProcessedUpdate).where(ProcessedUpdate.update_id == held)
                assert len((await session.execute(query)).all()) == 1
        finally:
            await db.close()
        texts = [m.text for m in anna.bot_messages]
        # Replies are at least once: one delivered just before the kill and not yet marked
        # so may come again after the restart; nothing after it twice, nothing missing.
        # The greeting, the thanks with the menu, the menu.
        distinct = list(dict.fromkeys(texts))
        assert distinct[:1] == before_kill and len(distinct) == 3, texts
        twice = [text for text in distinct if texts.count(text) > 1]
        assert set(twice) <= set(before_kill) and all(texts.count(t) == 2 for t in twice), texts
        # An edit sent again finds the message already so: Telegram says "not modified".
        refused = [c for c in server.rejected if "message is not modified" not in str(c)]
        assert refused == [], (refused, bot.tail())
        assert bot.starts == 2


# --- (c): every update delivered twice --------------------------------------------------------


async def test_every_update_delivered_twice_is_handled_once(
    server: LocalBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="bot.core.engine")
    people = [server.person(f"Dubbel{n}") for n in range(4)]
    made: list[int] = []

    def update_of(query_id: str) -> int:
        history = server.world.queue.history
        return next(
            update_id
            for update_id, update in reversed(history.items())
            if update.get("callback_query", {}).get("id") == query_id
        )

    async def converse(person: Person) -> None:
        # Odd steps: the copy is queued at once, while the original may still be in
        # progress. Even steps: the copy comes after the bot has answered.
        steps = [
            lambda: person.command("start"),
            lambda: person.press(plain_text(NL._("Call me {name}", name=person.name))),
            lambda: person.press(NL._("Join an initiative")),
            lambda: person.send("1234 AB"),
            lambda: person.command("menu"),
        ]
        for number, step in enumerate(steps):
            made_by_step = await step()
            update_id = update_of(made_by_step) if isinstance(made_by_step, str) else made_by_step
            made.append(update_id)
            if number % 2:
                server.redeliver(update_id)
            await person.wait_for_message(timeout=30)
            if not number % 2:
                server.redeliver(update_id)

    async with bot_in_loop(server, tmp_path / "buurbot.db", paced=False) as running:
        await asyncio.gather(*(converse(person) for person in people))

        def drained() -> bool:
            receiver = running.runtime.receiver
            return not server.pending_updates and receiver is not None and not receiver.in_flight

        # `handled` counts an update once its replies went out: a copy's would be there now.
        await server.wait_until(drained, 30, "every copy handled", recheck=0.05)
        handled = running.core.handled
        async with running.services.db.transaction() as session:
            count = select(func.count()).select_from(ProcessedUpdate)
            processed = (await session.execute(count)).scalar_one()

    delivered = Counter(
        update["update_id"]
        for call in server.calls_to("getUpdates", ok=True)
        for update in call.result
    )
    assert len(made) == 5 * len(people)
    # Delivered twice at least: an update is returned again until it is confirmed.
    assert all(delivered[update_id] >= 2 for update_id in made), delivered
    assert processed == len(made)
    # A copy is skipped by the engine, or not handed to it at all while the original is
    # still in flight (or finished, not yet confirmed); never handled twice.
    skipped = [r for r in caplog.records if "was handled before; skipped" in r.getMessage()]
    assert len(skipped) <= len(made)
    assert handled == len(made) + len(skipped)
    for person in people:
        # Each update answered once: the greeting (the name question); the name tapped: the
        # greeting's buttons taken away (an edit) and the thanks with the menu; the join
        # question; the postcode noted; the menu.
        assert len(server.calls_to("sendMessage", person.id, ok=True)) == 5
        assert len(server.calls_to("editMessageText", person.id, ok=True)) == 1
    assert len(server.calls_to("answerCallbackQuery", ok=True)) == 2 * len(people)
    assert server.rejected == []


# --- (d): one Bot API call in ten fails -------------------------------------------------------


async def test_one_call_in_ten_failing_loses_no_reply(server: LocalBotApi, tmp_path: Path) -> None:
    # 429 (flood control, retry after 1 s), 500, nginx's 502, and a 504 after a slow answer:
    # each about 2.6 % of calls (getUpdates excepted), together about 10 %.
    people = [server.person(f"Storing{n}") for n in range(FAULTED_PEOPLE)]
    # Not paced per chat (that only makes the test slower); a 429 still pauses every send.
    async with bot_in_loop(server, tmp_path / "buurbot.db", paced=FULL):
        mark = len(server.calls)  # the start itself is not under test
        for kind in ("429", "500", "502", "timeout"):
            server.faults.arm(kind, times=None, rate=0.026, retry_after=1, delay=0.3)
        results = await asyncio.gather(
            *(onboard(person, timeout=60) for person in people), return_exceptions=True
        )
        server.faults.clear()
    failures = [result for result in results if isinstance(result, BaseException)]
    assert failures == []
    calls = [c for c in server.calls[mark:] if c.method != "getUpdates"]
    fired = Counter(fault.fault.kind for fault in server.faults.fired)
    # The faults really were there: about one call in ten, of every kind.
    assert 0.05 * len(calls) <= sum(fired.values()) <= 0.2 * len(calls), (fired, len(calls))
    assert set(fired) == {"429", "500", "502", "timeout"}, fired
    for person in people:
        # Nothing lost, nothing doubled: the greeting (the name question), the thanks with
        # the menu, the join question, the postcode noted, the menu.
        texts = [m.text or "" for m in person.bot_messages]
        assert len(texts) == 5, texts
        greeting, done, join, noted, menu = texts
        assert NAME_QUESTION in greeting, texts
        assert all_set(person.name or "") in done and MENU in done, texts
        assert "postcode" in join, texts
        assert is_postcode_noted(noted, person, "1234 AB"), texts
        assert MENU in menu and all_set(person.name or "") not in menu, texts
    assert server.rejected == []


# --- (e): the database unreachable ------------------------------------------------------------


class TcpProxy:
    """127.0.0.1:<port> → PostgreSQL; `stop` cuts every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}
            writer.transport.abort()
            up_writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


async def _pg(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (its name); dropped afterwards."""
    need_postgres()
    name = f"buurbot_fault_{uuid.uuid4().hex[:10]}"
    await _pg(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
async def test_database_unreachable_gets_a_kind_answer_and_loses_nothing(
    server: LocalBotApi, tmp_path: Path, postgres_database: str
) -> None:
    proxy = TcpProxy((PG_HOST, PG_PORT))
    await proxy.start()
    through_proxy = f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/{postgres_database}"
    direct = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{postgres_database}"
    people = [server.person(f"Buur{n}") for n in range(20)]
    recipients = {person.id for person in people}
    anna = server.person("Anna")
    log = tmp_path / "bot.log"
    try:
        async with bot_process(server, through_proxy, log) as bot:
            await bot.start()
            await greet_and_name(anna)

            await proxy.stop()  # the database is gone
            loop = asyncio.get_running_loop()
            back_at = loop.time() + OUTAGE
            # Meanwhile a coach's announcement is due (written past the cut connection).
            assert await seed_broadcast(direct, sorted(recipients)) == len(recipients)
            await anna.send("1234 AB")
            sorry = await anna.wait_for_message(timeout=30)
            assert sorry.text == plain_text(CANNOT_REACH)
            await asyncio.sleep(max(0.0, back_at - loop.time()))
            # The scheduler did try to send meanwhile, and could not reach the database.
            await server.wait_until(
                lambda: "scheduler job sweep failed" in bot.tail(10**7), 30, "a failed sweep"
            )
            assert bot.alive, bot.tail()
            assert announcements(server, recipients) == Counter()

            await proxy.start()  # the database is back, on the same address
            # Nothing lost: the answer is taken now, the conversation goes on.
            await anna.send("1234 AB")
            noted = await anna.wait_for_message(timeout=30)
            assert is_postcode_noted(noted.text, anna, "1234 AB"), noted.text
            await server.wait_until(
                lambda: len(announcements(server, recipients)) == len(recipients),
                60,
                "the announcement delivered after the outage",
                recheck=0.2,
            )
            assert bot.alive and bot.starts == 1
            assert await bot.stop() == 0
    finally:
        if proxy._server is not None:
            await proxy.stop()
    assert max(announcements(server, recipients).values()) == 1
    lines = log.read_text(errors="replace").splitlines()
    assert any("database unavailable while handling an update" in line for line in lines)
    # Every error is a scheduler job that could not reach the database, and says so in one
    # line: no crash, no other failure, a bounded number (one per job run in the outage).
    errors = [line for line in lines if " ERROR " in line]
    causes = [line for line in lines if line.startswith("storage.db.DatabaseUnavailable: ")]
    assert all(re.search(r"scheduler job (sweep|reap) failed$", line) for line in errors), errors
    assert len(causes) == len(errors)
    runs = OUTAGE / SWEEP + OUTAGE / REAP + 4
    assert len(errors) <= runs, f"{len(errors)} errors in a {OUTAGE} s outage"
