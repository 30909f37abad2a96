"""Three `buurbot run --webhook` processes behind one address, on one PostgreSQL database.

As in production behind a reverse proxy: each process is `tests.faults.bot_runner` (the
production entry point) on a port of its own, started with ``--public-url`` set to a small
round-robin load balancer (``tests.support.balancer``), so Telegram (the local Bot API
server and its own webhook pump, one update per chat at a time) posts every update to that
one address and the balancer hands each to the next process. The test checks what must
hold whatever process gets what: each update handled exactly once, each conversation's
updates in their order, each scheduled row claimed and sent once, and the three processes
together inside one overall limit that the server enforces (their pacers share it in
PostgreSQL's ``pacer_bucket``).
"""

from __future__ import annotations

import asyncio
import uuid
from bisect import bisect_left
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.runtimes.common import plain_text
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from tests.faults.test_fault_suites import START_TIMEOUT, announcements, seed_broadcast
from tests.support.balancer import RoundRobin
from tests.test_two_processes import (
    CLAIMS,
    NL,
    SECRET,
    WebhookBot,
    _admin,
    _drop_role,
    _fetch,
    _kill,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

TOKEN = "123456:THREE-processes_x"
PROCESSES = 3
# The server allows this many sends in any second; each process's pacer runs at one less,
# as 29 is to Telegram's 30. Alone, each could send that much: three would triple it.
SERVER_RATE = 15
PEOPLE = 6
RECIPIENTS = 120


class BalancedBot(WebhookBot):
    """A process that tells Telegram the balancer's address, not its own."""

    def __init__(self, *args: object, public_url: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.public_url = public_url

    def _env(self) -> dict[str, str]:
        # Batches of 20: the three processes claim a few hundred rows between them.
        overrides = {"BUURBOT_FAULT_RATE": str(SERVER_RATE - 1), "BUURBOT_FAULT_BATCH": "20"}
        return {**super()._env(), **overrides}

    async def start(self) -> None:
        self.server_calls_before = len(self.server.calls_to("setWebhook", ok=True))
        import subprocess
        import sys

        from tests.faults.test_fault_suites import ROOT

        args = ["--webhook", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--secret", SECRET, "--public-url", self.public_url]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "tests.faults.bot_runner", *args),
                cwd=ROOT,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_listening(self) -> None:
        process = self.process
        assert process is not None

        def listening_or_dead() -> bool:
            return "webhook at" in self.tail(10**6) or process.returncode is not None

        await self.server.wait_until(listening_or_dead, START_TIMEOUT, f"{self.url} to listen")
        if process.returncode is not None:
            pytest.fail(f"the bot exited with {process.returncode}:\n{self.tail()}")


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN, username="buurbot_three_bot") as running:
        yield running


@pytest.fixture
async def three_bots(
    server: LocalBotApi, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[list[BalancedBot], RoundRobin]]:
    from storage.db import Database

    db = Database(database_url)
    await db.migrate()
    await db.close()
    await _admin(CLAIMS, database_url.rsplit("/", 1)[1])
    async with AsyncExitStack() as stack:
        balancer = await stack.enter_async_context(RoundRobin())
        bots = []
        for n in range(PROCESSES):
            role = f"bot_{n}_{uuid.uuid4().hex[:8]}"
            await _admin(f'CREATE ROLE "{role}" LOGIN IN ROLE postgres')
            stack.push_async_callback(_drop_role, role)
            bot = BalancedBot(
                server,
                database_url,
                role,
                tmp_path / f"{role}.log",
                public_url=f"{balancer.url}/telegram",
            )
            stack.push_async_callback(_kill, bot)
            bots.append(bot)
        # All three start at once (on 2 cores, one after another would take three times as long).
        await asyncio.gather(*(bot.start() for bot in bots))
        await asyncio.gather(*(bot.wait_listening() for bot in bots))
        balancer.backends = [bot.url.removesuffix("/telegram") for bot in bots]
        yield bots, balancer
        for bot in bots:
            assert await bot.stop() == 0, bot.tail()
        assert server.rejected == []


def most_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max((bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)


async def quick_onboarding(person: Person) -> None:
    """The name tapped and a word typed before the bot answered the tap: a process that
    took the word before the tap would call the person "Buurman"."""
    await person.command("start")
    await person.wait_for_message(timeout=60)
    await person.press(plain_text(NL._("Call me {name}", name=person.name)))
    await person.send("Buurman")
    await person.wait_for_message(containing=NL._("I didn't quite understand that."), timeout=60)
    await person.press(NL._("Help"))
    await person.wait_for_message(containing="/menu", timeout=60)


async def test_three_processes_behind_one_address_handle_each_update_once_in_order(
    three_bots: tuple[list[BalancedBot], RoundRobin], server: LocalBotApi, database_url: str
) -> None:
    bots, balancer = three_bots
    limits = server.enforce_limits(overall_per_s=SERVER_RATE)
    webhook = server.webhook.info()
    assert webhook["url"] == f"{balancer.url}/telegram"  # the one public address

    # Conversations: six people at once, four updates each, spread over the processes.
    people = [server.person(f"Buur{n}") for n in range(PEOPLE)]
    await asyncio.gather(*(quick_onboarding(person) for person in people))
    # A process may answer in the chat before its webhook response reaches the balancer,
    # which counts a forward when the response comes back.
    for _ in range(300):
        if sum(balancer.forwarded.values()) >= PEOPLE * 4:
            break
        await asyncio.sleep(0.1)
    assert sorted(balancer.forwarded) == list(range(PROCESSES))  # every process had some
    assert min(balancer.forwarded.values()) >= PEOPLE * 4 // PROCESSES - 1
    assert balancer.failed == Counter()
    processed = await _fetch(database_url, "SELECT count(*) AS n FROM processed_update")
    assert processed[0]["n"] == PEOPLE * 4 == sum(balancer.forwarded.values())
    assert sum(bot.skipped() for bot in bots) == 0
    for person in people:
        # Four updates, four answers: greeting, welcome, not understood (menu), help.
        assert len(person.bot_messages) == 4, [m.text for m in person.bot_messages]
    rows = await _fetch(
        database_url,
        "SELECT r.name, r.postcode, r.consented_at IS NOT NULL AS consented, c.flow "
        "FROM resident r JOIN conversation c ON c.resident_id = r.id "
        f"WHERE r.telegram_id = ANY(ARRAY{[p.id for p in people]}::bigint[]) ORDER BY r.name",
    )
    assert [tuple(row.values()) for row in rows] == [
        (person.name, None, True, None) for person in sorted(people, key=lambda p: p.name)
    ]

    # Scheduled rows: an announcement to 120 residents, claimed by whichever process sweeps.
    recipients = {server.person(f"Ontvanger{n}").id for n in range(RECIPIENTS)}
    assert await seed_broadcast(database_url, sorted(recipients)) == RECIPIENTS
    await server.wait_until(
        lambda: len(announcements(server, recipients)) == RECIPIENTS,
        120,
        "every announcement",
        recheck=0.2,
    )
    per_chat = announcements(server, recipients)
    assert max(per_chat.values()) == 1, [chat for chat, n in per_chat.items() if n > 1][:10]
    claims = await _fetch(database_url, "SELECT row_id, claimed_by FROM claim_log")
    assert len(claims) == RECIPIENTS
    assert max(Counter(row["row_id"] for row in claims).values()) == 1  # none claimed twice
    assert len({row["claimed_by"] for row in claims}) == PROCESSES  # all three sent some
    # One limit for the three: the server refused nothing, and no second held more than it
    # allows, while three pacers alone would have sent up to three times as much.
    sends = [call.timestamp for call in server.calls if call.method == "sendMessage" and call.ok]
    assert limits.refused == 0, [bot.tail(1500) for bot in bots]
    assert most_in_window(sends) <= SERVER_RATE
