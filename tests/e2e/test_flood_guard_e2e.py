"""The flood guard counts updates as they arrive (before any lock or paced delivery): past
the limit one polite notice, then silence for the window; in a group per person and per
group. Over HTTP against the local Bot API server, on both runtimes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.i18n import texts_for
from bot.runtimes.telegram import Running, run_telegram
from local_bot_api import LocalBotApi
from tests.e2e.conftest import START_TIMEOUT, bot_settings, run_args

pytestmark = pytest.mark.e2e

NL = texts_for("nl")
NOTICE = NL._("You're sending messages very quickly. I'll pause for a few seconds, then we go on.")


async def started(server: LocalBotApi, runtime: str, db: Path, **limits: int) -> tuple:
    settings = bot_settings(server, runtime, db).model_copy(update=limits)
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_telegram(settings, run_args(), stop=stop, ready=ready))
    await asyncio.wait({task, ready}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    assert ready.done(), "the bot did not start"
    return ready.result(), stop, task


async def test_a_burst_from_one_person_gets_the_limit_and_one_notice(
    server: LocalBotApi, runtime_name: str, database_file: Path
) -> None:
    # 15 in 10 s: more than the paced replies (1 a second after a burst of 3) could ever
    # let through a window, so a guard counting after delivery never fires.
    running, stop, task = await started(
        server, runtime_name, database_file, flood_max_updates=15, flood_window_seconds=10.0
    )
    try:
        anna = server.person("Anna", language_code="nl")
        for _ in range(25):  # in well under a second
            await anna.command("menu")
        await server.wait_until(lambda: running.core.handled == 25, 60, "25 updates handled")
        texts = [m.text or "" for m in anna.bot_messages]
        assert texts.count(NOTICE) == 1
        assert len(texts) == 15 + 1, texts  # fifteen answered, then the notice, then silence
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    assert [str(call) for call in server.rejected] == []


async def test_one_person_cannot_make_a_group_post_again_and_again(
    server: LocalBotApi, runtime_name: str, database_file: Path
) -> None:
    running, stop, task = await started(
        server,
        runtime_name,
        database_file,
        group_member_flood_max_updates=3,
        flood_window_seconds=60.0,
    )
    try:
        anna = server.person("Anna", language_code="nl")
        outsider = server.person("Otto", language_code="nl")
        street = server.group("Lindelaan")
        await street.join(anna)
        await street.join(outsider)
        await street.add_bot(anna)
        await server.wait_until(lambda: running.core.handled >= 1, 30, "the bot added")
        before, handled = len(street.bot_messages), running.core.handled
        for _ in range(30):
            await street.command(outsider, "menu")
        await server.wait_until(
            lambda: running.core.handled == handled + 30, 120, "30 group updates handled"
        )
        posts = street.bot_messages[before:]
        assert [m.text for m in posts].count(NOTICE) <= 1
        assert len(posts) <= 3 + 1, [m.text for m in posts]  # three answered, one notice
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    assert [str(call) for call in server.rejected] == []
