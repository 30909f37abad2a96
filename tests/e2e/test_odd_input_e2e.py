"""Odd input over the real runtimes and both databases: a NUL in a first name or a typed
text, ids beyond what Telegram sends. Nothing crashes a transaction, the person is not locked
out, an impossible update is skipped with one line naming only its update id, and the bot
keeps serving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.core.config import Settings
from bot.i18n import texts_for
from bot.runtimes.common import plain_text
from bot.runtimes.telegram import Running, run_telegram
from local_bot_api import LocalBotApi
from storage.models import Resident
from tests.e2e.conftest import START_TIMEOUT, run_args

pytestmark = pytest.mark.e2e

NL = texts_for("nl")


@pytest.fixture
async def bot(server: LocalBotApi, runtime_name: str, database_url: str) -> AsyncIterator[Running]:
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        telegram_token=server.token,
        telegram_api_base=server.base_url,
        runtime=runtime_name,
        _env_file=None,
    )
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_telegram(settings, run_args(), stop=stop, ready=ready))
    await asyncio.wait({task, ready}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        pytest.fail(f"the bot did not start: {task.result() if task.done() else 'timeout'}")
    yield ready.result()
    stop.set()
    assert await asyncio.wait_for(task, 15) == 0
    assert [str(call) for call in server.rejected] == []


async def stored(running: Running, telegram_id: int) -> Resident | None:
    async with running.services.db.transaction() as session:
        query = select(Resident).where(Resident.telegram_id == telegram_id)
        return (await session.execute(query)).scalar_one_or_none()


async def test_a_first_name_with_a_nul_onboards_and_typed_nuls_are_dropped(
    bot: Running, server: LocalBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    # The largest id Telegram documents (52 bits): it fits, on both databases.
    anna = server.person("An\x00na\x07", user_id=2**52 - 1)
    await anna.command("start")
    greeting = await anna.wait_for_message(timeout=10)
    call_me = NL._("Call me {name}", name="Anna")
    assert greeting.labels[0] == call_me
    await anna.press(call_me)
    await anna.wait_for_message(containing=NL._("What would you like to do?"))
    await anna.press(NL._("Join an initiative"))
    await anna.wait_for_message()
    await anna.send("1234\x00ab")  # the postcode, asked where it finds initiatives nearby
    await anna.wait_for_message(containing="1234 AB")
    resident = await stored(bot, anna.id)
    assert resident is not None
    assert (resident.first_name, resident.name, resident.postcode) == ("Anna", "Anna", "1234 AB")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_update_with_an_impossible_id_is_skipped_and_the_bot_keeps_serving(
    bot: Running, server: LocalBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.runtimes.common")
    huge = server.person("Zed", user_id=2**64 + 5)
    update_id = await huge.send("mijn geheime tekst")

    def skipped() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.getMessage().startswith(f"update {update_id} ")]

    (line,) = await server.wait_until(skipped, 10, "the impossible update to be skipped")
    # A private chat's id is its person's: the chat is the first to be refused.
    assert line.getMessage() == f"update {update_id} skipped: chat id out of Telegram's range"
    # Nothing of it was stored, answered or logged elsewhere...
    assert server.calls_to("sendMessage", huge.id) == []
    assert all(
        "geheime" not in r.getMessage() and str(huge.id) not in r.getMessage()
        for r in caplog.records
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # ...and the next person is served.
    bea = server.person("Bea")
    await bea.command("start")
    greeting = await bea.wait_for_message(timeout=10)
    assert plain_text(NL._("Call me {name}", name="Bea")) in greeting.labels
