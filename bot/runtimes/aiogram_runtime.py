"""The aiogram 3 runtime (the default): one router whose handlers turn every update into
an `Incoming` for the core, and `AiogramSender`, which renders `Outgoing` through aiogram's Bot.

Polling runs `Dispatcher.start_polling` (each update in its own task, so chats are handled
concurrently; the engine serialises each conversation). The webhook is aiogram's
`SimpleRequestHandler` with the secret token checked (401 otherwise), answering at once and
handling the update in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    LinkPreviewOptions,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.runtimes.common import (
    ALLOWED_UPDATES,
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

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
POLLING_TIMEOUT = 25  # seconds a getUpdates long poll may wait
# Seconds we wait for an answer: above the 60 s after which Telegram's front (nginx) answers
# 504 itself, so a slow call ends in an answer (certainly not delivered) rather than in our
# own timeout (outcome unknown: a send is then not repeated).
REQUEST_TIMEOUT = 65.0


def markup(rows: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )


class KeepResponseModels:
    """A request middleware that keeps each method's `Response[<result>]` model alive.

    aiogram parses every answer with `Response[<the method's result type>]`; pydantic keeps
    those parametrised classes only weakly, so each time the garbage collector frees one
    (often, with as many objects as SQLAlchemy makes) the next call builds it again, about
    10 ms of schema work for `Response[Message]`. Holding one reference per method the bot
    uses keeps that cost to the first call; the models are still built only when first used.
    """

    def __init__(self) -> None:
        self._kept: dict[type, type] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        kind = type(method)
        if kind not in self._kept:
            self._kept[kind] = Response[method.__returning__]
        return await make_request(bot, method)


def translate(error: BaseException) -> SendError | None:
    """aiogram's exceptions as the core's SendErrors (None: not a Telegram error)."""
    if isinstance(error, TelegramRetryAfter):
        return RateLimited(float(error.retry_after))
    if isinstance(error, TelegramMigrateToChat):
        return ChatMoved(int(error.migrate_to_chat_id))
    if isinstance(error, TelegramForbiddenError):
        return RecipientGone(error.message)
    if isinstance(error, TelegramBadRequest):
        return RecipientGone(error.message) if is_gone(error.message) else Rejected(error.message)
    if isinstance(error, TelegramEntityTooLarge | TelegramNotFound | TelegramUnauthorizedError):
        return Rejected(error.message)
    if isinstance(error, TelegramNetworkError):  # no answer: see what the network said
        return _unanswered(error.__cause__ or error, error.message)
    if isinstance(error, TelegramServerError | TelegramConflictError):
        return Transient(error.message)  # answered: Telegram did not do it
    if isinstance(error, TelegramAPIError):
        return Rejected(error.message)
    if isinstance(error, ClientDecodeError):  # an HTML error page from a proxy
        return Transient(f"undecodable answer: {error.message}")
    if isinstance(error, TimeoutError | aiohttp.ClientError | ConnectionError):
        return _unanswered(error, f"{type(error).__name__}: {error}")
    return None


def _unanswered(cause: BaseException, message: str) -> SendError:
    """No connection made: certainly not delivered. Sent and no answer: maybe delivered."""
    if isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return Transient(message)
    if isinstance(cause, ConnectionRefusedError):
        return Transient(message)
    return OutcomeUnknown(message)


class AiogramSender(TelegramSender):
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
            options=[
                InputPollOption(text=option, text_parse_mode=ParseMode.HTML) for option in options
            ],
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
            document=BufferedInputFile(content, filename=filename),
            caption=caption or None,
            parse_mode=ParseMode.HTML,
        )
        return message.message_id

    async def member_status(self, chat_id: int, user_id: int) -> str:
        member = await self.bot.get_chat_member(chat_id=chat_id, user_id=user_id)
        return str(getattr(member.status, "value", member.status))

    def translate(self, error: BaseException) -> SendError | None:
        return translate(error)


class AiogramRuntime(TelegramRuntime):
    name = "aiogram"

    def __init__(self, token: str, api_base: str, *, request_timeout: float | None = None) -> None:
        self.api_base = api_base.rstrip("/")
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(self.api_base),
            timeout=REQUEST_TIMEOUT if request_timeout is None else request_timeout,
        )
        self.bot = Bot(
            token,
            session=session,
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview=NO_PREVIEW),
        )
        session.middleware(KeepResponseModels())
        self.sender = AiogramSender(self.bot)
        # The core owns conversation state: no FSM, no storage.
        self.dispatcher = Dispatcher(disable_fsm=True, name="buurbot")
        router = Router(name="buurbot-core")
        for observer in (
            router.message,
            router.callback_query,
            router.poll_answer,
            router.my_chat_member,
            router.chat_member,
        ):
            observer.register(self._on_event)
        self.dispatcher.include_router(router)
        self.dispatcher.startup.register(self._on_startup)
        self._core: Core | None = None
        self._identity: BotIdentity | None = None
        self._started = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None

    async def _on_startup(self) -> None:
        self._started.set()

    async def _on_event(self, event: Any, event_update: Update) -> None:
        if self._core is None or self._identity is None:
            return
        incoming = to_incoming(
            event_update, bot_id=self._identity.id, bot_username=self._identity.username
        )
        await self._core.handle(incoming)

    async def connect(self) -> BotIdentity:
        try:
            me = await self.bot.me()
        except TelegramUnauthorizedError:
            raise StartupError(
                "the Telegram token was rejected (401 Unauthorized from getMe)"
            ) from None
        except TelegramNotFound:
            raise StartupError(
                f"the Bot API at {self.api_base} answered 404 to getMe: "
                "check BUURBOT_TELEGRAM_API_BASE"
            ) from None
        except (TelegramAPIError, ClientDecodeError, TimeoutError, aiohttp.ClientError) as error:
            reason = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
            raise StartupError(
                f"cannot reach the Telegram Bot API at {self.api_base} ({reason})"
            ) from None
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
            await self.bot.delete_my_commands(scope=scope, language_code=language)
            return
        await self.bot.set_my_commands(
            commands=[BotCommand(command=name, description=text) for name, text in menu.commands],
            scope=scope,
            language_code=language,
        )

    async def set_profile(self, profile: BotProfile) -> None:
        language = profile.language_code or None
        await self.bot.set_my_description(description=profile.description, language_code=language)
        await self.bot.set_my_short_description(
            short_description=profile.short_description, language_code=language
        )

    async def start_polling(self, core: Core) -> None:
        self._core = core
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                polling_timeout=POLLING_TIMEOUT,
                handle_as_tasks=True,
                allowed_updates=list(ALLOWED_UPDATES),
                handle_signals=False,
                close_bot_session=False,
            )
        )
        started = asyncio.create_task(self._started.wait())
        await asyncio.wait({self._polling, started}, return_when=asyncio.FIRST_COMPLETED)
        if self._polling.done():
            started.cancel()
            await self._polling  # raises what stopped it

    def mount_webhook(self, core: Core, app: web.Application, path: str, secret: str) -> None:
        self._core = core
        handler = SimpleRequestHandler(
            self.dispatcher, self.bot, secret_token=secret, handle_in_background=True
        )
        # Registered by hand: handler.register() would close the bot's session when the web
        # server stops, before the updates still in progress could send their replies.
        app.router.add_post(path, handler.handle)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    async def stop_receiving(self) -> None:
        if self._polling is None:
            return
        if not self._polling.done():
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:  # polling had not started after all
                self._polling.cancel()
        try:
            await self._polling
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("polling ended with an error")
        self._polling = None

    async def close(self) -> None:
        await self.bot.session.close()
