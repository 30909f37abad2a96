"""A bare aiogram 3 echo bot: the yardstick of the throughput benchmark.

Every text or command is answered with one sendMessage (the text echoed, with one inline
button so that the simulated person can press something, as in Buurbot's conversation);
every button press is answered with one answerCallbackQuery. No database, no state, no
pacing: what aiogram itself costs per update. Polling as Buurbot polls (each update in its
own task), logging at INFO as `buurbot run` does.

    BUURBOT_TELEGRAM_TOKEN=... BUURBOT_TELEGRAM_API_BASE=http://127.0.0.1:PORT \
        python -m benchmarks.echo_bot
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

BUTTON = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="echo")]]
)

router = Router(name="echo")


@router.message()
async def echo(message: Message) -> None:
    await message.bot.send_message(  # type: ignore[union-attr]
        chat_id=message.chat.id, text=message.text or "?", reply_markup=BUTTON
    )


@router.callback_query()
async def pressed(query: CallbackQuery) -> None:
    await query.answer()


async def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    api_base = os.environ["BUURBOT_TELEGRAM_API_BASE"]
    if not api_base.startswith("http://127.0.0.1:"):
        raise SystemExit("the echo bot only talks to a local Bot API server on 127.0.0.1")
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), timeout=30)
    bot = Bot(os.environ["BUURBOT_TELEGRAM_TOKEN"], session=session)
    dispatcher = Dispatcher(disable_fsm=True)
    dispatcher.include_router(router)
    loop = asyncio.get_running_loop()
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            polling_timeout=25,
            handle_as_tasks=True,
            allowed_updates=["message", "callback_query"],
            handle_signals=False,
            close_bot_session=True,
        )
    )
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(dispatcher.stop_polling()))
    await polling


if __name__ == "__main__":
    asyncio.run(main())
