"""Kill -9 while replies are in flight: every reply arrives after the restart, on both
runtimes (the fault suite's bot process, tests/faults/test_fault_suites.py).

The local Bot API server holds every person's next sendMessage (the bot waits for its
answer) — for half of them the message has already reached the chat and only the answer
is held (``applied``), for the other half nothing arrived. The process is killed with
SIGKILL while it waits. The conversations had already moved on (committed), so before the
reply outbox those replies were lost for good; now the next process's reaper sends them:
nobody misses one, and only the ones that had arrived can arrive twice (at least once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from tests.faults.test_fault_suites import (
    NL,
    BotProcess,
    is_postcode_noted,
    server,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.e2e

PEOPLE = 6
HOLD = 120.0  # seconds the server holds a reply's answer: far past the kill


class RuntimeBot(BotProcess):
    """The fault suite's bot process on a runtime of the test's choice."""

    def __init__(self, api: LocalBotApi, database_url: str, log: Path, runtime: str) -> None:
        super().__init__(api, database_url, log)
        self.runtime = runtime

    def _env(self) -> dict[str, str]:
        return {**super()._env(), "BUURBOT_RUNTIME": self.runtime}


@asynccontextmanager
async def runtime_bot(
    api: LocalBotApi, database_url: str, log: Path, runtime: str
) -> AsyncIterator[RuntimeBot]:
    bot = RuntimeBot(api, database_url, log, runtime)
    try:
        yield bot
    finally:
        if bot.alive and bot.process is not None:
            bot.process.kill()
            await bot.process.wait()


def postcode_questions(person: Person) -> int:
    """How many times the bot answered this person's name: the menu, with its thanks."""
    thanks = NL._("Thank you, {name}. You're all set.", name=person.name)
    return sum(thanks in (m.text or "") for m in person.bot_messages)


@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_kill_9_with_replies_in_flight_every_reply_arrives(
    server: LocalBotApi,  # noqa: F811
    tmp_path: Path,
    runtime: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}"
    people = [server.person(f"Vlucht{n}") for n in range(PEOPLE)]
    arrived_before = [n % 2 == 0 for n in range(PEOPLE)]  # the held message reached the chat
    async with runtime_bot(server, url, tmp_path / "bot.log", runtime) as bot:
        await bot.start()
        for person in people:
            await person.command("start")
            await person.wait_for_message(timeout=30)
        for person, applied in zip(people, arrived_before, strict=True):
            server.faults.arm(
                "timeout", method="sendMessage", chat_id=person.id, delay=HOLD, applied=applied
            )
        # Each chooses a name: the bot answers with the menu and its thanks, whose
        # sendMessage the server holds.
        for person in people:
            await person.press(NL._("Call me {name}", name=person.name))

        def all_held() -> bool:
            return {fired.chat_id for fired in server.faults.fired} == {p.id for p in people}

        await server.wait_until(all_held, 60, "every menu in flight", recheck=0.05)
        await bot.kill9()
        server.faults.clear()
        at_kill = [postcode_questions(person) for person in people]
        assert at_kill == [int(applied) for applied in arrived_before]

        await bot.start()

        def everyone_asked() -> bool:
            return all(postcode_questions(person) >= 1 for person in people)

        await server.wait_until(everyone_asked, 60, "every menu", recheck=0.1)
        # The conversations go on: the postcode is taken where it is asked.
        for person in people:
            await person.press(NL._("Join an initiative"))
            await person.wait_for_message(timeout=30)
            await person.send("1234 AB")
            noted = await person.wait_for_message(containing="1234 AB", timeout=30)
            assert is_postcode_noted(noted.text, person, "1234 AB"), noted.text
        assert await bot.stop() == 0
    asked = [postcode_questions(person) for person in people]
    lost = sum(1 for count in asked if count == 0)
    duplicates = sum(count - 1 for count in asked if count > 1)
    with capsys.disabled():
        print(
            f"\n[{runtime}] kill -9 with {PEOPLE} replies in flight "
            f"({sum(arrived_before)} had reached the chat): {lost} lost, {duplicates} twice"
        )
    assert lost == 0
    # At least once: only a message that had reached the chat before the kill comes twice.
    assert all(
        count == 1 for count, applied in zip(asked, arrived_before, strict=True) if not applied
    )
    assert duplicates <= sum(arrived_before), asked
    # Sent again, an edit that had been made is refused as "not modified": harmless, and
    # the only refusal.
    refused = [
        call
        for call in server.rejected
        if "message is not modified" not in (call.description or "")
    ]
    assert refused == []
    assert bot.starts == 2
