"""The python-telegram-bot 22 runtime: the same core on PTB's Application.

One `TypeHandler(Update)` turns every update into an `Incoming`; `concurrent_updates` lets
chats proceed in parallel (the engine serialises each conversation). No ConversationHandler,
no persistence, no JobQueue: the core owns state, the scheduler owns time.

Webhook: PTB's own webhook server needs tornado (the `webhooks` extra), which this project
does not install. Instead the route lives on the same aiohttp server as aiogram's (and the
health check): it checks the secret token in constant time (401 otherwise), parses the
update with `Update.de_json` and puts it on `application.update_queue`, where the
Application's fetcher handles it exactly as a polled update. Telegram gets its 200 at once.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Sequence
from datetime import timedelta
from json import JSONDecodeError
from typing import Any

import httpx
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputPollOption,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.runtimes.common import (
    ALLOWED_UPDATES,
    SECRET_HEADER,
    BotIdentity,
    BotProfile,
    CommandMenu,
    Core,
    StartupError,
    TelegramRuntime,
    TelegramSender,
    is_gone,
    to_incoming,
)
from bot.seam import (
    ChatMoved,
    OutcomeUnknown,
    RateLimited,
    RecipientGone,
    Rejected,
    SendError,
    Transient,
)

log = logging.getLogger(__name__)

# PTB 22 is moving time periods from int seconds to timedelta; opting in now keeps it from
# warning on every flood-control answer (RetryAfter). Only this runtime reads them.
os.environ.setdefault("PTB_TIMEDELTA", "true")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
POLLING_TIMEOUT = 25  # seconds a getUpdates long poll may wait
# Seconds we wait for an answer: above the 60 s after which Telegram's front (nginx) answers
# 504 itself (see aiogram_runtime.REQUEST_TIMEOUT).
REQUEST_TIMEOUT = 65.0


def markup(rows: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(**button) for button in row] for row in rows]
    )


def retry_seconds(error: RetryAfter) -> float:
    """`RetryAfter.retry_after` is a timedelta with PTB_TIMEDELTA set, else an int."""
    value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def translate(error: BaseException) -> SendError | None:
    """python-telegram-bot's exceptions as the core's SendErrors (None: not Telegram's)."""
    if isinstance(error, RetryAfter):
        return RateLimited(retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return ChatMoved(int(error.new_chat_id))
    if isinstance(error, Forbidden):
        return RecipientGone(error.message)
    if isinstance(error, BadRequest):  # before NetworkError: BadRequest subclasses it
        return RecipientGone(error.message) if is_gone(error.message) else Rejected(error.message)
    if isinstance(error, InvalidToken | EndPointNotFound):
        return Rejected(error.message)
    if isinstance(error, Conflict):
        return Transient(error.message)
    if isinstance(error, TimedOut | NetworkError):
        cause = error.__cause__
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return Transient(error.message)  # never sent: certainly not delivered
        if isinstance(error, TimedOut) or (
            cause is not None and not isinstance(cause, TelegramError)
        ):
            return OutcomeUnknown(error.message)  # sent, and no answer came
        return Transient(error.message)  # answered: a 5xx, a proxy's error page
    if isinstance(error, TelegramError):  # e.g. an undecodable answer from a proxy
        return Transient(error.message)
    return None


class PtbSender(TelegramSender):
    def __init__(self, bot: Bot) -> None:
        super().__init__()
        self.bot = bot

    async def send_message(self, chat_id: int, text: str, rows: list[list[dict[str, str]]]) -> int:
        message = await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(rows),
            link_preview_options=NO_PREVIEW,
        )
        return message.message_id

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, rows: list[list[dict[str, str]]]
    ) -> None:
        await self.bot.edit_message_text(
            text=text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(rows),
            link_preview_options=NO_PREVIEW,
        )

    async def answer_callback(self, query_id: str, text: str | None, alert: bool) -> None:
        await self.bot.answer_callback_query(
            callback_query_id=query_id, text=text, show_alert=alert or None
        )

    async def send_poll(
        self, chat_id: int, question: str, options: Sequence[str], multiple: bool
    ) -> tuple[int, str]:
        message = await self.bot.send_poll(
            chat_id=chat_id,
            question=question,
            question_parse_mode=ParseMode.HTML,
            options=[InputPollOption(option, text_parse_mode=ParseMode.HTML) for option in options],
            is_anonymous=False,
            allows_multiple_answers=multiple,
        )
        if message.poll is None:
            raise Rejected("sendPoll answered without a poll")
        return message.message_id, message.poll.id

    async def stop_poll(self, chat_id: int, message_id: int) -> None:
        await self.bot.stop_poll(chat_id=chat_id, message_id=message_id)

    async def pin(self, chat_id: int, message_id: int) -> None:
        await self.bot.pin_chat_message(
            chat_id=chat_id, message_id=message_id, disable_notification=True
        )

    async def send_document(self, chat_id: int, filename: str, content: bytes, caption: str) -> int:
        message = await self.bot.send_document(
            chat_id=chat_id,
            document=InputFile(content, filename=filename),
            caption=caption or None,
            parse_mode=ParseMode.HTML,
        )
        return message.message_id

    async def member_status(self, chat_id: int, user_id: int) -> str:
        member = await self.bot.get_chat_member(chat_id=chat_id, user_id=user_id)
        return str(getattr(member.status, "value", member.status))

    def translate(self, error: BaseException) -> SendError | None:
        return translate(error)


class PtbRuntime(TelegramRuntime):
    name = "ptb"

    def __init__(self, token: str, api_base: str, *, request_timeout: float | None = None) -> None:
        if request_timeout is None:
            request_timeout = REQUEST_TIMEOUT
        # httpx logs every request URL (with the bot token in it) at INFO.
        httpx_log = logging.getLogger("httpx")
        httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
        self.api_base = api_base.rstrip("/")
        self.app: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{self.api_base}/bot")
            .base_file_url(f"{self.api_base}/file/bot")
            .concurrent_updates(True)
            .job_queue(None)
            .connect_timeout(10.0)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            .get_updates_read_timeout(POLLING_TIMEOUT + 10.0)
            # On stop the long poll is cancelled and one last getUpdates confirms the offset;
            # a second connection keeps that call from waiting for the cancelled one's.
            .get_updates_connection_pool_size(2)
            .get_updates_pool_timeout(5.0)
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.sender = PtbSender(self.app.bot)
        self._core: Core | None = None
        self._identity: BotIdentity | None = None

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if self._core is None or self._identity is None:
            return
        incoming = to_incoming(
            update, bot_id=self._identity.id, bot_username=self._identity.username
        )
        await self._core.handle(incoming)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling update %r", update, exc_info=context.error)

    async def connect(self) -> BotIdentity:
        try:
            await self.app.initialize()  # getMe
        except InvalidToken as error:
            cause = str(error.__cause__ or "")
            if "not found" in cause.lower():
                raise StartupError(
                    f"the Bot API at {self.api_base} answered 404 to getMe: check "
                    "BUURBOT_TELEGRAM_API_BASE, or the token is malformed"
                ) from None
            raise StartupError(
                "the Telegram token was rejected (401 Unauthorized from getMe)"
            ) from None
        except TelegramError as error:
            raise StartupError(
                f"cannot reach the Telegram Bot API at {self.api_base} ({error.message})"
            ) from None
        me = self.app.bot.bot
        self._identity = BotIdentity(me.id, me.username or "", me.first_name)
        return self._identity

    async def set_commands(self, menu: CommandMenu) -> None:
        scope = (
            BotCommandScopeAllPrivateChats()
            if menu.scope == "all_private_chats"
            else BotCommandScopeAllGroupChats()
        )
        language = menu.language_code or None
        if not menu.commands:
            await self.app.bot.delete_my_commands(scope=scope, language_code=language)
            return
        await self.app.bot.set_my_commands(
            [BotCommand(name, text) for name, text in menu.commands],
            scope=scope,
            language_code=language,
        )

    async def set_profile(self, profile: BotProfile) -> None:
        language = profile.language_code or None
        await self.app.bot.set_my_description(profile.description, language_code=language)
        await self.app.bot.set_my_short_description(
            profile.short_description, language_code=language
        )

    async def start_polling(self, core: Core) -> None:
        self._core = core
        await self.app.start()
        updater = self.app.updater
        if updater is None:
            raise RuntimeError("the Application was built without an Updater")
        # start_polling deletes a webhook that is still set, then polls in the background.
        await updater.start_polling(
            timeout=POLLING_TIMEOUT,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    def mount_webhook(self, core: Core, app: web.Application, path: str, secret: str) -> None:
        self._core = core
        expected = secret.encode()

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                return web.Response(status=401, text="Unauthorized")
            try:
                data = await request.json()
                update = Update.de_json(data, self.app.bot)
            except (JSONDecodeError, ValueError, TypeError, KeyError):
                return web.Response(status=400, text="not an update")
            if update is None:
                return web.Response(status=400, text="not an update")
            await self.app.update_queue.put(update)
            return web.json_response({})

        app.router.add_post(path, receive)

    async def set_webhook(self, url: str, secret: str) -> None:
        if not self.app.running:
            await self.app.start()
        await self.app.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    async def stop_receiving(self) -> None:
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()

    async def close(self) -> None:
        if self.app.running:
            await self.app.stop()  # handles what is still queued
        await self.app.shutdown()
        await self.app.bot.shutdown()  # when initialize() failed half-way
