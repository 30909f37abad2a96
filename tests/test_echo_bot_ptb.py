"""benchmarks.echo_bot_ptb: the PTB yardstick answers as aiogram's echo bot does."""

from __future__ import annotations

import asyncio

from benchmarks.echo_bot_ptb import build
from local_bot_api import LocalBotApi

TOKEN = "123456:TEST"


async def test_it_echoes_a_text_with_a_button_and_answers_the_press() -> None:
    async with LocalBotApi(token=TOKEN, username="echo_test_bot") as server:
        application = build(TOKEN, server.base_url)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=1)
            try:
                person = server.person("Anna")
                await person.send("hallo")
                answer = await person.wait_for_message()
                assert answer.text == "hallo"
                query_id = await person.press("OK")
                for _ in range(200):
                    if server.calls_to("answerCallbackQuery", ok=True):
                        break
                    await asyncio.sleep(0.01)
                answered = server.calls_to("answerCallbackQuery", ok=True)
                assert [call.params["callback_query_id"] for call in answered] == [query_id]
            finally:
                await application.updater.stop()
                await application.stop()
