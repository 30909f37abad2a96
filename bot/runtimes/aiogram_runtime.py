"""The aiogram 3 runtime (the default): `AiogramSender`, which renders `Outgoing` through
aiogram's Bot, and what `bot.runtimes.polling` needs from aiogram to receive updates.

Updates are received by the shared poller and webhook route (`bot.runtimes.polling`), not
by aiogram's Dispatcher: its polling confirms an update as soon as it is fetched, and its
webhook handler answers Telegram before the update is handled. aiogram still reads each
update but a text message or a button press of the usual shape (`Update.model_validate`, one
at a time, so one it cannot read is skipped alone; the usual ones are read from their JSON,
to what aiogram would read: `common.plain_update`).
getUpdates and the start-up calls (getMe, the command menus and descriptions, the webhook)
go as JSON through aiogram's session, as the hot send methods do (`AiogramSender._call`):
aiogram's request and answer models for them are built only when an error needs them, not
at every start (and kept for good) for a handful of calls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, cast

import aiohttp
from aiogram import Bot
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
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageText,
    GetMe,
    GetUpdates,
    Response,
    SendMessage,
    SetMyCommands,
    SetMyDescription,
    SetMyShortDescription,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    LinkPreviewOptions,
    Update,
)

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
from bot.runtimes.polling import RawUpdate, ReceivingRuntime

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Seconds we wait for an answer: above the 60 s after which Telegram's front (nginx) answers
# 504 itself, so a slow call ends in an answer (certainly not delivered) rather than in our
# own timeout (outcome unknown: a send is then not repeated).
REQUEST_TIMEOUT = 65.0


def markup(rows: Sequence[Sequence[Mapping[str, Any]]]) -> InlineKeyboardMarkup | None:
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
        self._kept: dict[type, object] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        kind = type(method)
        if kind not in self._kept:
            # Response[X] with X known only now: the subscription, spelled as a call.
            self._kept[kind] = Response.__class_getitem__(method.__returning__)
        return await make_request(bot, method)


# What every text the bot sends says about its markup and link previews (as
# `DefaultBotProperties` below, for the calls that still go through aiogram's models).
_HTML = {"parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}


def _params(**fields: Any) -> dict[str, Any]:
    """A request's parameters as aiogram's form sends them: None and "" are left out."""
    return {name: value for name, value in fields.items() if value is not None and value != ""}


def _undecodable(result: Any, why: str) -> ClientDecodeError:
    return ClientDecodeError("Failed to deserialize object", ValueError(why), result)


def _field(result: Any, name: str) -> Any:
    if not isinstance(result, dict) or name not in result:
        raise _undecodable(result, name)
    return result[name]


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
    """Sends through aiogram; the three calls of nearly every reply (sendMessage,
    editMessageText, answerCallbackQuery) as JSON straight through aiogram's own HTTP
    session (`_call`): building aiogram's request and answer models was half the CPU of an
    update. Errors are aiogram's, from aiogram's own checks, so `translate` maps them the
    same way."""

    def __init__(self, bot: Bot) -> None:
        super().__init__()
        self.bot = bot

    async def _call(
        self,
        name: str,
        payload: dict[str, Any],
        method: Callable[[], TelegramMethod[Any]],
        *,
        timeout_s: float | None = None,
    ) -> Any:
        """POST `payload` as JSON; the answer's result. `method` builds aiogram's request
        model, only when an error needs it (aiogram's exceptions carry it). `timeout_s`:
        seconds for the whole call (default: the session's)."""
        session = cast(AiohttpSession, self.bot.session)
        http = await session.create_session()
        url = session.api.api_url(token=self.bot.token, method=name)
        try:
            total = session.timeout if timeout_s is None else timeout_s
            timeout = aiohttp.ClientTimeout(total=total)
            async with http.post(url, json=payload, timeout=timeout) as response:
                status, raw = response.status, await response.text()
        except TimeoutError as error:  # as aiogram's AiohttpSession.make_request says them
            raise TelegramNetworkError(method=method(), message="Request timeout error") from error
        except aiohttp.ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method(), message=message) from error
        if HTTPStatus.OK <= status <= HTTPStatus.IM_USED:
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok") is True and "result" in answer:
                return answer["result"]
        # Anything else: aiogram's own check raises what it would have raised.
        return session.check_response(
            bot=self.bot, method=method(), status_code=status, content=raw
        ).result

    async def send_message(self, chat_id: int, text: str, rows: list[list[dict[str, str]]]) -> int:
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text, **_HTML}
        if rows:
            payload["reply_markup"] = {"inline_keyboard": rows}
        result = await self._call(
            "sendMessage",
            payload,
            lambda: SendMessage(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(rows),
                link_preview_options=NO_PREVIEW,
            ),
        )
        return int(_field(result, "message_id"))

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, rows: list[list[dict[str, str]]]
    ) -> None:
        payload: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": text,
            **_HTML,
        }
        if rows:
            payload["reply_markup"] = {"inline_keyboard": rows}
        await self._call(
            "editMessageText",
            payload,
            lambda: EditMessageText(
                text=text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(rows),
                link_preview_options=NO_PREVIEW,
            ),
        )

    async def answer_callback(self, query_id: str, text: str | None, alert: bool) -> None:
        payload: dict[str, Any] = {"callback_query_id": query_id}
        if text is not None:
            payload["text"] = text
        if alert:
            payload["show_alert"] = True
        await self._call(
            "answerCallbackQuery",
            payload,
            lambda: AnswerCallbackQuery(
                callback_query_id=query_id, text=text, show_alert=alert or None
            ),
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


class AiogramRuntime(ReceivingRuntime):
    name = "aiogram"
    sender: AiogramSender

    def __init__(self, token: str, api_base: str, *, request_timeout: float | None = None) -> None:
        self.api_base = api_base.rstrip("/")
        self._token = token
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
        self._identity: BotIdentity | None = None

    async def connect(self) -> BotIdentity:
        try:
            me = await self.sender._call("getMe", {}, GetMe)
            identity = BotIdentity(
                int(_field(me, "id")), me.get("username") or "", str(_field(me, "first_name"))
            )
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
        self._identity = identity
        return identity

    async def _json_call(self, name: str, model: type[TelegramMethod[Any]], **fields: Any) -> Any:
        """A start-up call as JSON; aiogram's model (which reads the same fields) only for an
        error."""
        payload = _params(**fields)
        return await self.sender._call(name, payload, lambda: model(**payload))

    async def set_commands(self, menu: CommandMenu) -> None:
        scope = {"type": menu.scope}  # "all_private_chats" or "all_group_chats"
        language = menu.language_code or None
        if not menu.commands:
            await self._json_call(
                "deleteMyCommands", DeleteMyCommands, scope=scope, language_code=language
            )
            return
        commands = [{"command": name, "description": text} for name, text in menu.commands]
        await self._json_call(
            "setMyCommands", SetMyCommands, commands=commands, scope=scope, language_code=language
        )

    async def set_profile(self, profile: BotProfile) -> None:
        language = profile.language_code or None
        await self._json_call(
            "setMyDescription",
            SetMyDescription,
            description=profile.description,
            language_code=language,
        )
        await self._json_call(
            "setMyShortDescription",
            SetMyShortDescription,
            short_description=profile.short_description,
            language_code=language,
        )

    async def get_updates(self, offset: int | None, wait: int, limit: int) -> list[Any]:
        allowed = list(ALLOWED_UPDATES)
        updates = await self.sender._call(
            "getUpdates",
            _params(offset=offset, limit=limit, timeout=wait, allowed_updates=allowed),
            lambda: GetUpdates(offset=offset, limit=limit, timeout=wait, allowed_updates=allowed),
            # The long poll may take `wait` seconds before the answer starts.
            timeout_s=int(self.bot.session.timeout + wait),
        )
        # As aiogram's answer model for it (a list of objects) would have read it.
        if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
            raise _undecodable(updates, "result")
        return updates

    def parse_update(self, raw: RawUpdate) -> Update:
        return Update.model_validate(raw, context={"bot": self.bot})

    def refusal(self, error: BaseException) -> str | None:
        if isinstance(error, TelegramUnauthorizedError):
            return "401 Unauthorized"
        if isinstance(error, TelegramNotFound):
            return "404 Not Found"
        return None

    def describe(self, error: BaseException) -> str:
        mapped = translate(error)
        text = f"{type(mapped or error).__name__}: {mapped or error}"
        return text.replace(self._token, "<token>")

    async def delete_webhook(self) -> None:
        await self._json_call("deleteWebhook", DeleteWebhook, drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._json_call(
            "setWebhook",
            SetWebhook,
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    async def close(self) -> None:
        await self.bot.session.close()
