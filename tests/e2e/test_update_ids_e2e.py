"""Update ids end to end, on aiogram and python-telegram-bot over the local Bot API
server: Telegram starts its ids afresh after a week without updates, so an id last
seen before the window is a new update and gets its answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi
from storage.models import ProcessedUpdate
from storage.queries import UPDATE_ID_WINDOW

pytestmark = pytest.mark.e2e


async def test_an_id_seen_only_before_the_window_is_answered_again(
    bot: Running, server: LocalBotApi
):
    ids = server.person("Ids")
    update_id = await ids.command("start")
    await ids.wait_for_message()
    await server.wait_until(lambda: bot.core.handled == 1, what="the update handled")
    # Eight days later the sequence has started afresh and reached this number again.
    async with bot.services.db.transaction() as session:
        long_ago = bot.services.clock.now() - UPDATE_ID_WINDOW - timedelta(days=5)
        await session.execute(update(ProcessedUpdate).values(processed_at=long_ago))
    server.redeliver(update_id)
    await server.wait_until(
        lambda: len(server.calls_to("sendMessage", ids.id)) == 2, what="a second answer"
    )
    await server.wait_until(lambda: bot.core.handled == 2, what="the update handled as new")
    assert len(ids.bot_messages) == 2
