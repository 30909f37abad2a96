"""The python-telegram-bot 22 runtime: the same core on PTB's Bot.

PTB's Application builds the Bot (timeouts, a connection pool of its own for getUpdates)
and runs getMe; it is never started. Updates are received by the shared poller and webhook
route (`bot.runtimes.polling`), not by PTB's Updater and update queue: the Updater confirms
an update as soon as it is fetched, stops for good after one 401 or 404, and parses a whole
batch at once (one update it cannot read fails them all, logged in full at CRITICAL). PTB
still reads each update but a text message or a button press of the usual shape
(`Update.de_json`, one at a time; the usual ones are read from their JSON, to what PTB would
read: `common.plain_update`). No ConversationHandler, no
persistence, no JobQueue: the core owns state, the scheduler owns time.

PTB's own webhook server needs tornado (the `webhooks` extra), which this project does not
install; the shared route lives on the same aiohttp server as aiogram's (and /healthz).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InputFile,
    InputPollOption,
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
from telegram.ext import Application, ApplicationBuilder

from bot.core.seam import (
    ChatMoved,
    OutcomeUnknown,
    RateLimited,
    RecipientGone,
    Rejected,
    SendError,
    Transient,
)
from bot.runtimes.common import (
    ALLOWED_UPDATES,
    BotIdentity,
    BotProfile,
    CommandMenu,
    StartupError,
    TelegramSender,
    is_gone,
)
from bot.runtimes.polling import POLL_TIMEOUT, RawUpdate, ReceivingRuntime

log = logging.getLogger(__name__)

# PTB 22 is moving time periods from int seconds to timedelta; opting in now keeps it from
# warning on every flood-control answer (RetryAfter). Only this runtime reads them.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# Seconds we wait for an answer: above the 60 s after which Telegram's front (nginx) answers
# 504 itself (see aiogram_runtime.REQUEST_TIMEOUT).
REQUEST_TIMEOUT = 65.0
# Bot API calls in flight at once; the rest wait their turn here, with no time limit.
# httpx's pool gets slower per request with every connection open (it looks at each one
# at every request): in a burst of 200 people at once, CPU per update doubled.
SENDS_AT_ONCE = 8


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


# What every text the bot sends says about its markup and link previews.
_HTML = {"parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}


class PtbSender(TelegramSender):
    """Sends through PTB; the three calls of nearly every reply (sendMessage,
    editMessageText, answerCallbackQuery) through PTB's own `Bot._post`, which returns the
    answer's JSON: the request, its timeouts and its errors are PTB's (raised by the
    request layer, so `translate` maps them the same), without building `Message` and
    markup objects for every reply (a large part of PTB's CPU per update)."""

    def __init__(self, bot: Bot) -> None:
        super().__init__()
        self.bot = bot
        self._in_flight = asyncio.Semaphore(SENDS_AT_ONCE)

    async def _post(self, endpoint: str, data: dict[str, Any]) -> Any:
        async with self._in_flight:
            return await self.bot._post(endpoint, data)  # PTB's own send path, its errors

    async def send_message(self, chat_id: int, text: str, rows: list[list[dict[str, str]]]) -> int:
        data: dict[str, Any] = {"chat_id": chat_id, "text": text, **_HTML}
        if rows:
            data["reply_markup"] = {"inline_keyboard": rows}
        result = await self._post("sendMessage", data)
        if not isinstance(result, dict) or "message_id" not in result:
            raise TelegramError("sendMessage answered without a message")
        return int(result["message_id"])

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, rows: list[list[dict[str, str]]]
    ) -> None:
        data: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": text}
        data.update(_HTML)
        if rows:
            data["reply_markup"] = {"inline_keyboard": rows}
        await self._post("editMessageText", data)

    async def answer_callback(self, query_id: str, text: str | None, alert: bool) -> None:
        data: dict[str, Any] = {"callback_query_id": query_id}
        if text is not None:
            data["text"] = text
        if alert:
            data["show_alert"] = True
        await self._post("answerCallbackQuery", data)

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


class PtbRuntime(ReceivingRuntime):
    name = "ptb"

    def __init__(self, token: str, api_base: str, *, request_timeout: float | None = None) -> None:
        if request_timeout is None:
            request_timeout = REQUEST_TIMEOUT
        self.api_base = api_base.rstrip("/")
        self.app: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{self.api_base}/bot")
            .base_file_url(f"{self.api_base}/file/bot")
            .job_queue(None)
            .connect_timeout(10.0)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            .get_updates_read_timeout(POLL_TIMEOUT + 10.0)
            # On stop the long poll is cancelled and one last getUpdates confirms the offset;
            # a second connection keeps that call from waiting for the cancelled one's.
            .get_updates_connection_pool_size(2)
            .get_updates_pool_timeout(5.0)
            .build()
        )
        self._token = token
        self.sender = PtbSender(self.app.bot)
        self._identity: BotIdentity | None = None

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

    async def get_updates(self, offset: int | None, wait: int, limit: int) -> list[Any]:
        data = {
            "offset": offset,
            "limit": limit,
            "timeout": wait,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        # Bot._post, as Bot.get_updates itself calls it, on the getUpdates connection pool:
        # the public get_updates parses the whole batch at once, and do_api_request warns
        # for a method the Bot has.
        result = await self.app.bot._post("getUpdates", data, read_timeout=wait + 10.0)
        return list(result) if isinstance(result, list) else []

    def parse_update(self, raw: RawUpdate) -> Update:
        update = Update.de_json(dict(raw), self.app.bot)
        if update is None:
            raise ValueError("not an update")
        return update

    def refusal(self, error: BaseException) -> str | None:
        if isinstance(error, InvalidToken | EndPointNotFound):
            # PTB raises InvalidToken for both; Telegram's description tells them apart.
            return "404 Not Found" if "not found" in error.message.lower() else "401 Unauthorized"
        return None

    def describe(self, error: BaseException) -> str:
        mapped = translate(error)
        text = f"{type(mapped or error).__name__}: {mapped or error}"
        return text.replace(self._token, "<token>")

    async def delete_webhook(self) -> None:
        await self.app.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.app.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    async def close(self) -> None:
        await self.app.shutdown()
        await self.app.bot.shutdown()  # when initialize() failed half-way
