"""Two `buurbot run` processes in webhook mode on one PostgreSQL database.

Each process is `tests.faults.bot_runner` (the production entry point) listening on its
own port; the local Bot API server's own webhook pump is switched off, so the test posts
each update to the process it chooses, as a load balancer in front of two instances would.
Each process logs in to PostgreSQL as its own role, so the database itself can tell which
process claimed which outbox row (a trigger records it).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import pytest

from bot.i18n import texts_for
from bot.runtimes.common import plain_text
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from tests.conftest import PG_HOST, PG_PORT
from tests.faults.test_fault_suites import (
    ROOT,
    START_TIMEOUT,
    BotProcess,
    announcements,
    seed_broadcast,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

NL = texts_for("nl")
TOKEN = "123456:TWO-processes_x"
SECRET = "two-processes-secret"
NOT_UNDERSTOOD = NL._("I didn't quite understand that.")
CLAIMS = """
CREATE TABLE claim_log (row_id integer NOT NULL, claimed_by text NOT NULL);
CREATE FUNCTION log_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claim_log VALUES (NEW.id, session_user);
    RETURN NEW;
END $$;
CREATE TRIGGER claim_log AFTER UPDATE ON scheduled_message FOR EACH ROW
    WHEN (OLD.status = 'pending' AND NEW.status = 'sending') EXECUTE FUNCTION log_claim();
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookBot(BotProcess):
    """The fault suites' bot process, started with `--webhook` on a port of its own."""

    def __init__(self, server: LocalBotApi, database_url: str, role: str, log: Path) -> None:
        super().__init__(server, database_url.replace("//postgres@", f"//{role}@"), log)
        self.role = role
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"

    def _env(self) -> dict[str, str]:
        # Production's lease: on 2 busy cores a batch may wait longer than the fault suites'
        # few seconds, and a reaped row sent twice would hide a row claimed twice. 200 a
        # second: a batch (200 rows) takes a second to send, twice the other's sweep interval.
        overrides = {"BUURBOT_FAULT_LEASE_SECONDS": "600", "BUURBOT_FAULT_RATE": "200"}
        return {**super()._env(), **overrides}

    async def start(self) -> None:
        args = ["--webhook", "--host", "127.0.0.1", "--port", str(self.port), "--secret", SECRET]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "tests.faults.bot_runner", *args),
                cwd=ROOT,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self.process

        def listening_or_dead() -> bool:
            webhooks = self.server.calls_to("setWebhook", ok=True)
            listening = any(call.params.get("url") == self.url for call in webhooks)
            return listening or process.returncode is not None

        await self.server.wait_until(listening_or_dead, START_TIMEOUT, f"{self.url} to listen")
        if process.returncode is not None:
            pytest.fail(f"the bot exited with {process.returncode}:\n{self.tail()}")

    def skipped(self) -> int:
        """Updates this process found handled already (by itself or the other one)."""
        return self.tail(10**7).count("was handled before; skipped")


async def _admin(sql: str, database: str = "test") -> None:
    connection = await asyncpg.connect(f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{database}")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _fetch(database_url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


@pytest.fixture
async def two_bots(
    server: LocalBotApi, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[WebhookBot, WebhookBot]]:
    """Two processes on one migrated database, each logged in as its own role; the server's
    pump is off, so updates reach a process only when the test posts them there."""
    from storage.db import Database

    db = Database(database_url)
    await db.migrate()  # once, before either process starts
    await db.close()
    database = database_url.rsplit("/", 1)[1]
    await _admin(CLAIMS, database)
    roles = [f"bot_{name}_{uuid.uuid4().hex[:8]}" for name in ("a", "b")]
    async with AsyncExitStack() as stack:
        bots = []
        for role in roles:
            # A member of the owner: the same privileges, under a name of its own.
            await _admin(f'CREATE ROLE "{role}" LOGIN IN ROLE postgres')
            stack.push_async_callback(_drop_role, role)
            bot = WebhookBot(server, database_url, role, tmp_path / f"{role}.log")
            stack.push_async_callback(_kill, bot)
            await bot.start()
            bots.append(bot)
        server.webhook.remove()  # from now on the test delivers each update
        yield bots[0], bots[1]
        for bot in bots:
            assert await bot.stop() == 0, bot.tail()
        assert server.rejected == []


async def _drop_role(role: str) -> None:
    await _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
    await _admin(f'DROP ROLE IF EXISTS "{role}"')


async def _kill(bot: BotProcess) -> None:
    if bot.alive and bot.process is not None:
        bot.process.kill()
        await bot.process.wait()


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN, username="buurbot_two_bot") as running:
        yield running


async def post_next(server: LocalBotApi, bot: WebhookBot) -> dict:
    """Take the update the person just made from the server's queue and POST it to `bot`."""
    entry = server.world.queue.pop_next()
    assert entry is not None, "the person made no update"
    attempt = await server.post_to_webhook(entry.update, secret_token=SECRET, url=bot.url)
    assert attempt.status == 200, attempt
    return entry.update


async def test_one_conversation_alternating_between_two_processes(
    two_bots: tuple[WebhookBot, WebhookBot], server: LocalBotApi, database_url: str
) -> None:
    anna = server.person("Anna")
    steps = [
        lambda: anna.command("start"),
        lambda: anna.press(plain_text(NL._("Call me {name}", name="Anna"))),
        lambda: anna.press(NL._("Join an initiative")),
        lambda: anna.send("1234 AB"),
        lambda: anna.command("menu"),
    ]
    expected = [
        NL._("Call me {name}", name="Anna"),  # a label of the greeting
        None,  # the menu, once named
        NL._("Back to the menu"),  # of the join question
        NL._("Back to the menu"),  # of the join question again, the postcode noted
        None,  # the menu again
    ]
    made = []
    for number, (step, label) in enumerate(zip(steps, expected, strict=True)):
        here, there = two_bots[number % 2], two_bots[1 - number % 2]
        before = len(anna.bot_messages)
        await step()
        update = await post_next(server, here)
        made.append(update["update_id"])
        reply = await anna.wait_for_message(timeout=30)
        assert len(anna.bot_messages) == before + 1, [m.text for m in anna.bot_messages]
        if label is not None:
            assert label in reply.labels, (number, reply.text, reply.labels)
        else:
            assert NL._("What would you like to do?") in (reply.text or ""), reply.text
        # Telegram, retrying after a timeout, reaches the other process with the same update.
        skipped = there.skipped()
        attempt = await server.post_to_webhook(update, secret_token=SECRET, url=there.url)
        assert attempt.status == 200, attempt
        await server.wait_until(lambda: there.skipped() > skipped, 30, "the copy skipped")  # noqa: B023
    # Each update answered once, nothing else said: five replies for five updates.
    assert len(anna.bot_messages) == len(steps)
    processed = await _fetch(
        database_url, "SELECT update_id FROM processed_update ORDER BY update_id"
    )
    assert [row["update_id"] for row in processed] == made
    rows = await _fetch(
        database_url,
        "SELECT r.name, r.postcode, r.consented_at, c.flow, c.step "
        f"FROM resident r JOIN conversation c ON c.resident_id = r.id "
        f"WHERE r.telegram_id = {anna.id}",
    )
    assert [tuple(row.values())[:2] for row in rows] == [("Anna", "1234 AB")]
    assert rows[0]["consented_at"] is not None and rows[0]["flow"] is None


async def test_two_processes_wait_for_one_conversation_lock_and_take_turns(
    two_bots: tuple[WebhookBot, WebhookBot], server: LocalBotApi, database_url: str
) -> None:
    """Bea types her name twice, one copy to each process, while her conversation row is
    locked (by the test, a third party): both processes are then inside their transaction
    at once. The first to get the row answers the name question; the other must see the
    menu that followed (her name again means nothing there). Two processes that both read
    the name step would both take it as her name."""
    bea = server.person("Bea")
    await bea.command("start")
    await post_next(server, two_bots[0])
    await bea.wait_for_message(timeout=30)
    holder = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    watcher = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        held = holder.transaction()
        await held.start()
        locked = await holder.fetch(
            "SELECT c.id FROM conversation c JOIN resident r ON c.resident_id = r.id "
            f"WHERE r.telegram_id = {bea.id} FOR UPDATE OF c"
        )
        assert len(locked) == 1
        # A webhook is answered once its update is handled: the POSTs wait for the row too.
        posts = []
        for bot in two_bots:
            await bea.send("Bea")
            posts.append(asyncio.create_task(post_next(server, bot)))

        async def both_waiting() -> bool:
            # From outside the held transaction: inside one, PostgreSQL keeps the first
            # pg_stat_activity snapshot until it ends, and would never see them arrive.
            waiting = await watcher.fetch(
                "SELECT usename FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND usename = ANY($1::text[])",
                [bot.role for bot in two_bots],
            )
            return sorted(row["usename"] for row in waiting) == sorted(b.role for b in two_bots)

        await server.wait_until(both_waiting, 30, "both processes waiting for the row", recheck=0.1)
        await held.commit()
        await asyncio.gather(*posts)  # each answered 200 once its transaction committed
    finally:
        await watcher.close()
        await holder.close()
    await bea.wait_for_message(count=2, timeout=30)  # since her last message
    replies = [message.text or "" for message in bea.bot_messages[1:]]
    assert len(replies) == 2, replies
    # One took the name, the other was not understood at the menu (in either order: each
    # process sends its reply when its own transaction has committed).
    assert sorted(NOT_UNDERSTOOD in text for text in replies) == [False, True], replies
    rows = await _fetch(
        database_url,
        "SELECT c.flow, c.step, c.data FROM conversation c JOIN resident r "
        f"ON c.resident_id = r.id WHERE r.telegram_id = {bea.id}",
    )
    assert [(row["flow"], row["step"]) for row in rows] == [(None, None)]
    processed = await _fetch(database_url, "SELECT count(*) AS n FROM processed_update")
    assert processed[0]["n"] == 3


async def test_outbox_rows_are_claimed_by_both_processes_and_each_sent_once(
    two_bots: tuple[WebhookBot, WebhookBot], server: LocalBotApi, database_url: str
) -> None:
    people: list[Person] = [server.person(f"Buur{n}") for n in range(600)]
    recipients = {person.id for person in people}
    assert await seed_broadcast(database_url, sorted(recipients)) == len(recipients)

    await server.wait_until(
        lambda: len(announcements(server, recipients)) == len(recipients),
        120,
        "every announcement",
        recheck=0.2,
    )

    async def all_sent() -> bool:
        rows = await _fetch(
            database_url,
            "SELECT count(*) AS n FROM scheduled_message WHERE status <> 'sent'",
        )
        return rows[0]["n"] == 0

    await server.wait_until(all_sent, 30, "every row SENT", recheck=0.2)
    per_chat = announcements(server, recipients)
    claims = await _fetch(database_url, "SELECT row_id, claimed_by FROM claim_log")
    reclaimed = {row: n for row, n in Counter(row["row_id"] for row in claims).items() if n > 1}
    assert reclaimed == {}, (len(reclaimed), [b.tail(2000) for b in two_bots])
    assert max(per_chat.values()) == 1, [chat for chat, n in per_chat.items() if n > 1][:10]
    assert len(claims) == len(recipients)
    by_process = Counter(row["claimed_by"] for row in claims)
    assert len(by_process) == 2, by_process  # both processes claimed, none claimed twice
