"""A bare python-telegram-bot 22 echo bot: the PTB runtime's yardstick in the throughput
benchmark, as ``benchmarks.echo_bot`` is aiogram's.

The same bot as that one: every text or command is answered with one sendMessage (the
text echoed, with one inline button, so that the simulated person can press something);
every button press is answered with one answerCallbackQuery. No database, no state, no
pacing, no job queue: what python-telegram-bot itself costs per update. Updates are handled
concurrently (``concurrent_updates``, as aiogram's ``handle_as_tasks``), the long poll as
Buurbot's PTB runtime sets it up, logging at INFO as `buurbot run` does.

    BUURBOT_TELEGRAM_TOKEN=... BUURBOT_TELEGRAM_API_BASE=http://127.0.0.1:PORT \
        python -m benchmarks.echo_bot_ptb
"""

from __future__ import annotations

import logging
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

BUTTON = InlineKeyboardMarkup([[InlineKeyboardButton(text="OK", callback_data="echo")]])
POLL_TIMEOUT = 25


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.send_message(
        chat_id=message.chat_id, text=message.text or "?", reply_markup=BUTTON
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()


def build(token: str, api_base: str) -> Application:  # type: ignore[type-arg]
    if not api_base.startswith("http://127.0.0.1:"):
        raise SystemExit("the echo bot only talks to a local Bot API server on 127.0.0.1")
    api_base = api_base.rstrip("/")
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{api_base}/bot")
        .base_file_url(f"{api_base}/file/bot")
        .job_queue(None)
        .concurrent_updates(True)
        .get_updates_read_timeout(POLL_TIMEOUT + 10.0)
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # as `buurbot run` (bot/core/logs.py)
    application = build(
        os.environ["BUURBOT_TELEGRAM_TOKEN"], os.environ["BUURBOT_TELEGRAM_API_BASE"]
    )
    # run_polling stops on SIGINT and SIGTERM by itself.
    application.run_polling(
        timeout=POLL_TIMEOUT, allowed_updates=["message", "callback_query"], close_loop=False
    )


if __name__ == "__main__":
    main()
