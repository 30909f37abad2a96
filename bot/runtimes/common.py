"""What the two Telegram runtimes (aiogram, python-telegram-bot) share, free of both.

- `split_html`: a long safe-HTML text as chunks of at most 4096 visible characters, cut on
  paragraph (then line, then word) boundaries, every chunk valid HTML on its own.
- `plain_text`, `keyboard_rows`: what Telegram shows as plain text (button labels, toasts).
- `to_incoming`: a Telegram update (an aiogram or PTB object, or the Bot API JSON dict:
  the field names are the same) as the core's `Incoming`, or None when it is not for us;
  `plain_update`: whether an update may be read from its JSON alone (the usual ones).
- `TelegramSender`: renders every `Outgoing` through a few primitives each runtime
  implements, splitting long texts; the runtime maps its framework's errors to the core's.
- `Core`: engine + delivery, replies written to the reply outbox with the conversation
  change and sent after the commit (bot/core/replies.py), those of one conversation in order,
  in-flight work drained on shutdown.
- `TelegramRuntime`: what `bot.runtimes.telegram` drives (connect, command menus, polling,
  webhook, stop).
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import re
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bot.assembly import Assembly
from bot.core.config import SUPPORTED_LANGUAGES
from bot.core.delivery import idempotent
from bot.core.registry import Registry
from bot.core.replies import ReplyOutbox
from bot.core.seam import (
    AnswerButton,
    BotAddedToGroup,
    BotBlocked,
    BotRemovedFromGroup,
    BotUnblocked,
    ButtonPress,
    Chat,
    ChatKind,
    ChatMigrated,
    ChatMoved,
    Command,
    EditText,
    Event,
    Incoming,
    Keyboard,
    MembersJoined,
    OutcomeUnknown,
    Outgoing,
    OutOfRange,
    Person,
    Photo,
    PinMessage,
    PollAnswer,
    RateLimited,
    Rejected,
    SendDocument,
    SendError,
    SendPoll,
    SendText,
    Sent,
    StopPoll,
    Text,
    Transient,
    Unsupported,
    clean,
)
from bot.i18n import Safe, passing_texts

if TYPE_CHECKING:  # aiohttp's server only where one is served (webhook, /healthz)
    from aiohttp import web

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
# What the bot asks Telegram for. chat_member only arrives where the bot is an admin.
ALLOWED_UPDATES = ("message", "callback_query", "poll_answer", "my_chat_member", "chat_member")
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# --- HTML: length, plain text, splitting ------------------------------------------------------

_UNIT = re.compile(
    r"(?P<tag></?(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
_TAGS = re.compile(r"<[^<>]*>")


def _utf16(text: str) -> int:
    # Two bytes a code unit; "surrogatepass" counts a lone surrogate as the one unit it is.
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def plain_text(text: str) -> str:
    """Safe HTML as Telegram shows plain text (button labels, callback answers)."""
    return html.unescape(_TAGS.sub("", text))


def visible_length(text: str) -> int:
    """Characters the reader sees (in UTF-16 code units, as Telegram counts)."""
    return _utf16(plain_text(text))


@dataclass(frozen=True, slots=True)
class _Unit:
    raw: str
    visible: int  # 0 for tags
    kind: str  # "text", "open", "close"
    name: str = ""


def _units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    position = 0
    for match in _UNIT.finditer(text):
        units.extend(_chars(text[position : match.start()]))
        if match.group("tag"):
            raw = match.group("tag")
            kind = "close" if raw.startswith("</") else "open"
            units.append(_Unit(raw, 0, kind, match.group("name").lower()))
        else:
            raw = match.group("entity")
            units.append(_Unit(raw, max(1, _utf16(html.unescape(raw))), "text"))
        position = match.end()
    units.extend(_chars(text[position:]))
    return units


def _chars(text: str) -> list[_Unit]:
    return [_Unit(char, 2 if ord(char) > 0xFFFF else 1, "text") for char in text]


def _open_tags(units: list[_Unit]) -> list[tuple[_Unit, ...]]:
    """stacks[i]: the tags open before unit i (stacks[len(units)] after the last)."""
    stacks: list[tuple[_Unit, ...]] = []
    stack: tuple[_Unit, ...] = ()
    for unit in units:
        stacks.append(stack)
        if unit.kind == "open":
            stack = (*stack, unit)
        elif unit.kind == "close":
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth].name == unit.name:
                    stack = stack[:depth]
                    break
    stacks.append(stack)
    return stacks


def _break_kind(units: list[_Unit], index: int) -> int:
    """How good a cut just before units[index] is: 3 paragraph, 2 line, 1 word, 0 none."""
    previous = units[index - 1].raw if index > 0 else ""
    if previous == "\n":
        before = units[index - 2].raw if index > 1 else ""
        return 3 if before == "\n" else 2
    return 1 if previous in (" ", "\t") else 0


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut safe HTML into chunks of at most `limit` visible characters, each valid HTML.

    Cuts fall on the last paragraph break that fits (else a line break, else a space, else
    anywhere between two characters); never inside a tag or an entity such as `&amp;`. Tags
    open at a cut are closed at the end of the chunk and opened again (with their attributes)
    at the start of the next. Whitespace at a cut is dropped, as Telegram trims it anyway.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if visible_length(text) <= limit:
        return [text]
    units = _units(text)
    stacks = _open_tags(units)
    chunks: list[str] = []
    start = 0
    while start < len(units):
        end = _chunk_end(units, start, limit)
        body_end = end
        while body_end > start and _blank(units[body_end - 1]):
            body_end -= 1
        body = "".join(unit.raw for unit in units[start:body_end])
        opened = "".join(unit.raw for unit in stacks[start])
        closed = "".join(f"</{unit.name}>" for unit in reversed(stacks[end]))
        chunk = f"{opened}{body}{closed}"
        if plain_text(chunk).strip():
            chunks.append(chunk)
        start = end
        while start < len(units) and _blank(units[start]):
            start += 1
    return chunks


def _blank_ahead(units: list[_Unit], index: int) -> int:
    """How good a cut just before whitespace is (the whitespace is dropped at the cut)."""
    raw = units[index].raw
    if raw == "\n":
        following = units[index + 1].raw if index + 1 < len(units) else ""
        return 3 if following == "\n" else 2
    return 1 if raw in (" ", "\t") else 0


def _blank(unit: _Unit) -> bool:
    return unit.kind == "text" and not unit.raw.strip()


def _chunk_end(units: list[_Unit], start: int, limit: int) -> int:
    used = 0
    best = [0, 0, 0, 0]  # per break kind: the latest unit index to cut before
    best_used = [0, 0, 0, 0]
    index = start
    while index < len(units):
        unit = units[index]
        if index > start:
            kind = max(_break_kind(units, index), _blank_ahead(units, index))
            if kind:
                best[kind], best_used[kind] = index, used
        if used + unit.visible > limit:
            for kind in (3, 2, 1):
                if best[kind] and best_used[kind] >= limit // 4:
                    return best[kind]
            return max(index, start + 1)
        used += unit.visible
        index += 1
    return index


# --- keyboards ----------------------------------------------------------------------------------


def label_text(label: str) -> str:
    """A label as Telegram shows it. A rendered text (`Safe` HTML, from the catalogs) loses
    its markup; any other label is plain text, such as a title someone typed: it is shown
    exactly as typed, tags and ampersands included."""
    return plain_text(label) if isinstance(label, Safe) else label


def keyboard_rows(keyboard: Keyboard) -> list[list[dict[str, str]]]:
    """Rows of InlineKeyboardButton fields; labels as the plain text Telegram shows."""
    rows = []
    for row in keyboard:
        buttons = []
        for button in row:
            fields = {"text": label_text(button.label) or "·"}  # Telegram refuses ""
            if button.url is not None:
                fields["url"] = button.url
            else:
                fields["callback_data"] = button.payload or ""
            buttons.append(fields)
        if buttons:
            rows.append(buttons)
    return rows


# --- updates to Incoming ------------------------------------------------------------------------

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.DOTALL)
_PRESENT = frozenset({"member", "administrator", "creator"})
# Message contents the bot cannot use; the first one found names the Unsupported event.
_CONTENT_KINDS = (
    "sticker",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "migrate_from_chat_id",
    "pinned_message",
    "message_auto_delete_timer_changed",
)


def field(obj: Any, name: str) -> Any:
    """A field of a Telegram object: aiogram and PTB objects, or the Bot API's JSON dict."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get("from" if name == "from_user" else name)
    return getattr(obj, name, None)


def _status(member: Any) -> str:
    return str(field(member, "status") or "")


def _present(member: Any) -> bool:
    status = _status(member)
    return status in _PRESENT or (status == "restricted" and bool(field(member, "is_member")))


def person_of(user: Any) -> Person:
    return Person(
        id=int(field(user, "id")),
        first_name=str(field(user, "first_name") or ""),
        language_code=field(user, "language_code") or None,
        username=field(user, "username") or None,
    )


def chat_of(chat: Any) -> Chat | None:
    try:
        kind = ChatKind(str(field(chat, "type")))
    except ValueError:  # a channel
        return None
    return Chat(int(field(chat, "id")), kind, field(chat, "title") or None)


# --- the usual updates, read from their JSON ----------------------------------------------------
#
# Nearly every update is a text message or a button press, and building aiogram's pydantic
# models (or PTB's objects) for one cost more than reading it. Such an update, when every
# field in it is one of those below with the type the Bot API gives it, is read from its
# JSON: both frameworks read exactly those values unchanged, so `to_incoming` gives the same
# Incoming from the dict as from their objects (tests/test_plain_updates.py). Anything else
# (another kind, a field not listed, a value of another type, a field missing) goes through
# the framework's model as before, which reads it or refuses it.

Check = Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return type(value) is int  # not a bool, a float or a string a framework would convert


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_date(value: Any) -> bool:
    # Seconds since 1970 that both frameworks turn into a datetime (a larger number is read
    # as milliseconds by pydantic, or is out of PTB's range).
    return type(value) is int and 0 <= value < 2**32


def _object(required: Mapping[str, Check], optional: Mapping[str, Check]) -> Check:
    """A JSON object with all of `required`, and no field but these."""
    fields = {**required, **optional}
    needed = frozenset(required)

    def check(value: Any) -> bool:
        if type(value) is not dict or not needed.issubset(value):
            return False
        for name, item in value.items():
            item_check = fields.get(name)
            if item_check is None or not item_check(item):
                return False
        return True

    return check


def _list_of(item_check: Check) -> Check:
    return lambda value: type(value) is list and all(item_check(item) for item in value)


_USER = _object(
    {"id": _is_int, "is_bot": _is_bool, "first_name": _is_str},
    {
        "last_name": _is_str,
        "username": _is_str,
        "language_code": _is_str,
        "is_premium": _is_bool,
        "added_to_attachment_menu": _is_bool,
    },
)
_CHAT = _object(
    {"id": _is_int, "type": _is_str},
    {
        "title": _is_str,
        "username": _is_str,
        "first_name": _is_str,
        "last_name": _is_str,
        "is_forum": _is_bool,
    },
)
_ENTITIES = _list_of(
    _object(
        {"type": _is_str, "offset": _is_int, "length": _is_int},
        {"url": _is_str, "language": _is_str, "custom_emoji_id": _is_str},
    )
)
_LINK_PREVIEW = _object(
    {},
    {
        "is_disabled": _is_bool,
        "url": _is_str,
        "prefer_small_media": _is_bool,
        "prefer_large_media": _is_bool,
        "show_above_text": _is_bool,
    },
)
_KEYBOARD = _object(
    {
        "inline_keyboard": _list_of(
            _list_of(_object({"text": _is_str}, {"callback_data": _is_str, "url": _is_str}))
        )
    },
    {},
)
_ANY_MESSAGE = {"message_id": _is_int, "date": _is_date, "chat": _CHAT}
_TEXT_FIELDS = {"from": _USER, "entities": _ENTITIES, "link_preview_options": _LINK_PREVIEW}
# A text someone sent, and the message (the bot's own) whose button was pressed.
_TEXT_MESSAGE = _object({**_ANY_MESSAGE, "text": _is_str}, _TEXT_FIELDS)
_PRESSED_MESSAGE = _object(
    _ANY_MESSAGE,
    {**_TEXT_FIELDS, "text": _is_str, "edit_date": _is_date, "reply_markup": _KEYBOARD},
)
_BUTTON_PRESS = _object(
    {"id": _is_str, "from": _USER, "chat_instance": _is_str, "data": _is_str},
    {"message": _PRESSED_MESSAGE, "inline_message_id": _is_str},
)
_PLAIN_KINDS = {"message": _TEXT_MESSAGE, "callback_query": _BUTTON_PRESS}


def plain_update(raw: Mapping[str, Any]) -> bool:
    """Whether this update (the Bot API's JSON) is a text message or a button press made only
    of the fields above, each of its Bot API type: `to_incoming` may read it as it is."""
    if len(raw) != 2 or not _is_int(raw.get("update_id")):
        return False
    for kind, check in _PLAIN_KINDS.items():
        if kind in raw:
            return check(raw[kind])
    return False


def to_incoming(update: Any, *, bot_id: int, bot_username: str) -> Incoming | None:
    """The core's view of a Telegram update; None when it is nothing for the core, or when it
    carries an id no real update has (the seam refuses it: skipped, with one log line that
    names only the update id)."""
    update_id = field(update, "update_id")
    try:
        mapped = _map(update, bot_id, bot_username)
        if mapped is None:
            return None
        chat, person, event = mapped
        return Incoming(chat, person, event, int(update_id) if update_id is not None else None)
    except (TypeError, ValueError) as error:  # an id out of range, a field of a wrong shape
        shown = update_id if isinstance(update_id, int) else "without an id"
        why = error if isinstance(error, OutOfRange) else "a field of the wrong kind"
        log.warning("update %s skipped: %s", shown, why)
    return None


def _map(update: Any, bot_id: int, bot_username: str) -> tuple[Chat, Person, Event] | None:
    message = field(update, "message")
    if message is not None:
        return _message(message, bot_id, bot_username)
    query = field(update, "callback_query")
    if query is not None:
        return _callback(query)
    answer = field(update, "poll_answer")
    if answer is not None:
        user = field(answer, "user")
        if user is None:  # voted as a chat, anonymously
            return None
        person = person_of(user)
        options = tuple(int(option) for option in field(answer, "option_ids") or ())
        return Chat(person.id), person, PollAnswer(str(field(answer, "poll_id")), options)
    member = field(update, "my_chat_member")
    if member is not None:
        return _my_chat_member(member)
    member = field(update, "chat_member")
    if member is not None:
        chat = chat_of(field(member, "chat"))
        user = field(field(member, "new_chat_member"), "user")
        if chat is None or user is None:
            return None
        # Joins are told by the new_chat_members service message (no admin rights needed);
        # this update only tells the group handler that membership changed.
        return chat, person_of(user), Unsupported("chat_member")
    return None


def _message(message: Any, bot_id: int, bot_username: str) -> tuple[Chat, Person, Event] | None:
    chat = chat_of(field(message, "chat"))
    sender = field(message, "from_user")
    if chat is None or sender is None or field(sender, "is_bot"):
        return None
    person = person_of(sender)
    text = field(message, "text")
    if text is not None:
        # Cleaned first: what is parsed is what is stored.
        event = _text_event(clean(str(text)), bot_username)
        return (chat, person, event) if event is not None else None
    photos = field(message, "photo")
    if photos:
        largest = photos[-1]
        return chat, person, Photo(str(field(largest, "file_id")), field(message, "caption") or "")
    joined = field(message, "new_chat_members")
    if joined:
        members = tuple(person_of(user) for user in joined if int(field(user, "id")) != bot_id)
        # The bot's own arrival is told by my_chat_member (BotAddedToGroup).
        return (chat, person, MembersJoined(members)) if members else None
    moved_to = field(message, "migrate_to_chat_id")
    if moved_to:
        return chat, person, ChatMigrated(int(moved_to))
    what = next((kind for kind in _CONTENT_KINDS if field(message, kind)), "other")
    return chat, person, Unsupported(what)


def _text_event(text: str, bot_username: str) -> Text | Command | None:
    match = _COMMAND.match(text) if text.startswith("/") else None
    if match is None:
        return Text(text)
    name, mention, args = match.groups()
    if mention and mention.lower() != bot_username.lower():
        return None  # a command for another bot in the same group
    return Command(name.lower(), (args or "").strip())


def _callback(query: Any) -> tuple[Chat, Person, Event] | None:
    sender = field(query, "from_user")
    if sender is None:
        return None
    person = person_of(sender)
    message = field(query, "message")
    chat = chat_of(field(message, "chat")) if message is not None else Chat(person.id)
    if chat is None:
        return None
    data = field(query, "data")
    query_id = str(field(query, "id"))
    if data is None:
        return chat, person, Unsupported("callback_game")
    message_id = field(message, "message_id") if message is not None else None
    if chat.kind is ChatKind.PRIVATE and chat.id != person.id:
        # A private chat's messages are its owner's: a press on someone else's is answered
        # to the presser, in their own chat, as a button that leads nowhere (refused).
        return Chat(person.id), person, ButtonPress("", query_id, None)
    return chat, person, ButtonPress(str(data), query_id, message_id)


def _my_chat_member(member: Any) -> tuple[Chat, Person, Event] | None:
    chat = chat_of(field(member, "chat"))
    sender = field(member, "from_user")
    if chat is None or sender is None:
        return None
    person = person_of(sender)
    old, new = field(member, "old_chat_member"), field(member, "new_chat_member")
    if not chat.kind.is_group:
        if _status(new) == "kicked":
            return chat, person, BotBlocked()
        if _status(old) == "kicked":
            return chat, person, BotUnblocked()
        return None
    if _present(new) and not _present(old):
        return chat, person, BotAddedToGroup()
    if _present(old) and not _present(new):
        return chat, person, BotRemovedFromGroup()
    return chat, person, Unsupported("my_chat_member")  # promoted, demoted, restricted


# --- sending ----------------------------------------------------------------------------------

NOT_MODIFIED = "message is not modified"
# 400/403 descriptions that mean: this chat cannot be written to, now or later.
_GONE = (
    "chat not found",
    "peer_id_invalid",
    "user is deactivated",
    "bot was blocked",
    "bot was kicked",
    "bot is not a member",
    "group chat was deactivated",
    "user not found",
)


def is_gone(description: str) -> bool:
    lowered = description.lower()
    return any(sign in lowered for sign in _GONE)


class TelegramSender(ABC):
    """Renders the core's `Outgoing` through a Telegram library.

    Subclasses implement the primitives with their framework's Bot and `translate`, which
    maps a framework exception to the core's `SendError` (None: not a Telegram error).
    A text over 4096 characters goes out as several messages (buttons on the last); when a
    send fails half-way and the delivery retries it, the chunks already sent are skipped.
    """

    PROGRESS_TTL = 600.0

    def __init__(self) -> None:
        self._progress: OrderedDict[Outgoing, tuple[int, float]] = OrderedDict()

    # The ChatDirectory port: who administers a group, asked of Telegram when it matters.
    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        return await self.member_status(chat_id, user_id) in ("creator", "administrator")

    @abstractmethod
    async def member_status(self, chat_id: int, user_id: int) -> str: ...

    # primitives --------------------------------------------------------------------------------

    @abstractmethod
    async def send_message(self, chat_id: int, text: str, rows: list[list[dict[str, str]]]) -> int:
        """Send HTML text; returns the message id."""

    @abstractmethod
    async def edit_message(
        self, chat_id: int, message_id: int, text: str, rows: list[list[dict[str, str]]]
    ) -> None: ...

    @abstractmethod
    async def answer_callback(self, query_id: str, text: str | None, alert: bool) -> None: ...

    @abstractmethod
    async def send_poll(
        self, chat_id: int, question: str, options: Sequence[str], multiple: bool
    ) -> tuple[int, str]:
        """Returns the message id and the poll id."""

    @abstractmethod
    async def stop_poll(self, chat_id: int, message_id: int) -> None: ...

    @abstractmethod
    async def pin(self, chat_id: int, message_id: int) -> None: ...

    @abstractmethod
    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str
    ) -> int: ...

    @abstractmethod
    def translate(self, error: BaseException) -> SendError | None: ...

    # the Sender port ---------------------------------------------------------------------------

    async def send(self, action: Outgoing) -> Sent:
        try:
            return await self._render(action)
        except SendError:
            raise
        except Exception as error:
            mapped = self.translate(error)
            if mapped is None:
                log.exception("unexpected error while sending %s", type(action).__name__)
                mapped = Rejected(f"{type(error).__name__}: {error}")
            if not _retried(mapped, action):
                self._progress.pop(action, None)
            raise mapped from error

    async def _render(self, action: Outgoing) -> Sent:
        if isinstance(action, SendText):
            return Sent(await self._send_text(action))
        if isinstance(action, EditText):
            return await self._edit(action)
        if isinstance(action, AnswerButton):
            text = plain_text(action.text)[:MAX_CALLBACK_ANSWER] if action.text else None
            await self.answer_callback(action.query_id, text, action.alert)
            return Sent()
        if isinstance(action, SendPoll):
            message_id, poll_id = await self.send_poll(
                action.chat_id, action.question, action.options, action.allows_multiple
            )
            return Sent(message_id, poll_id)
        if isinstance(action, StopPoll):
            await self.stop_poll(action.chat_id, action.message_id)
            return Sent(action.message_id)
        if isinstance(action, PinMessage):
            await self.pin(action.chat_id, action.message_id)
            return Sent(action.message_id)
        if isinstance(action, SendDocument):
            return Sent(await self._send_document(action))
        raise TypeError(f"cannot send {type(action).__name__}")

    async def _send_text(self, action: SendText) -> int:
        chunks = split_html(action.text)
        return await self._send_parts(action, action.chat_id, chunks, action.buttons, first=0)

    async def _send_parts(
        self, action: Outgoing, chat_id: int, chunks: list[str], keyboard: Keyboard, first: int
    ) -> int:
        """Send chunks as parts first, first+1, ... of an action, skipping parts already sent;
        the keyboard goes on the last one. Returns the last message id."""
        rows = keyboard_rows(keyboard)
        done = self._resume(action)
        message_id = 0
        for index, chunk in enumerate(chunks):
            part = first + index
            if part < done:
                continue
            last = index == len(chunks) - 1
            try:
                message_id = await self.send_message(chat_id, chunk, rows if last else [])
            except Exception as error:
                mapped = error if isinstance(error, SendError) else self.translate(error)
                if isinstance(mapped, OutcomeUnknown):
                    self._remember(action, part + 1)  # it may have arrived: never again
                raise
            if not last:
                self._remember(action, part + 1)
        self._progress.pop(action, None)
        return message_id

    async def _edit(self, action: EditText) -> Sent:
        chunks = split_html(action.text)
        if self._resume(action) == 0:
            rows = keyboard_rows(action.buttons) if len(chunks) == 1 else []
            try:
                await self.edit_message(action.chat_id, action.message_id, chunks[0], rows)
            except Exception as error:
                mapped = error if isinstance(error, SendError) else self.translate(error)
                if not (isinstance(mapped, Rejected) and NOT_MODIFIED in str(mapped).lower()):
                    raise
        if len(chunks) > 1:  # the rest of a long edit follows as new messages
            self._remember(action, max(1, self._resume(action)))
            await self._send_parts(action, action.chat_id, chunks[1:], action.buttons, first=1)
        return Sent(action.message_id)

    async def _send_document(self, action: SendDocument) -> int:
        if visible_length(action.caption) <= MAX_CAPTION:
            return await self.send_document(
                action.chat_id, action.filename, action.content, action.caption
            )
        # A caption over 1024 characters follows the file as text.
        message_id = 0
        if self._resume(action) == 0:
            message_id = await self.send_document(
                action.chat_id, action.filename, action.content, ""
            )
            self._remember(action, 1)
        chunks = split_html(action.caption)
        last = await self._send_parts(action, action.chat_id, chunks, (), first=1)
        return message_id or last

    def _resume(self, action: Outgoing) -> int:
        entry = self._progress.get(action)
        if entry is None:
            return 0
        done, at = entry
        if time.monotonic() - at > self.PROGRESS_TTL:
            del self._progress[action]
            return 0
        return done

    def _remember(self, action: Outgoing, done: int) -> None:
        self._progress[action] = (done, time.monotonic())
        self._progress.move_to_end(action)
        while len(self._progress) > 1000:
            self._progress.popitem(last=False)


def _retried(error: SendError, action: Outgoing) -> bool:
    """Will Delivery try this action again (so the parts already sent are kept)?"""
    if isinstance(error, OutcomeUnknown):
        return idempotent(action)
    return isinstance(error, RateLimited | Transient | ChatMoved)


# --- the core, as the runtimes use it ---------------------------------------------------------


class Core:
    """Engine and delivery for updates arriving concurrently from a runtime.

    The engine serialises each conversation and writes its replies in the update's
    transaction; here they are delivered after the commit, those of one conversation in the
    order its updates came (and after any a dead process left), and work in flight can be
    waited for on stop.
    """

    def __init__(self, parts: Assembly) -> None:
        if parts.replies is None:
            raise ValueError("a runtime's core writes its replies durably (durable_replies)")
        self.parts = parts
        self.services = parts.services
        self.sender = parts.sender
        self.delivery = parts.delivery
        self.replies: ReplyOutbox = parts.replies
        self.engine = parts.engine
        self._busy: set[asyncio.Future[Any]] = set()
        self.handled = 0  # updates handled (or skipped as duplicates) so far

    async def handle(self, incoming: Incoming | None) -> None:
        if incoming is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._busy.add(task)
        try:
            # Counted as it arrives: a flood waits for no lock and no paced delivery.
            refused = self.engine.admit(incoming)
            if refused is not None:
                await self.delivery.deliver(refused)
                return
            conversation = (incoming.chat.id, incoming.person.id)
            async with self.replies.order.hold(conversation):
                await self.replies.settle(conversation)
                actions = await self.engine.handle(incoming, admitted=True)
                await self.replies.deliver(conversation, incoming.update_id, actions)
        except Exception:
            log.exception("could not handle update %s", incoming.update_id)
        finally:
            self.handled += 1
            if task is not None:
                self._busy.discard(task)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a plain bound
        """Wait (at most `timeout` s) for updates being handled to finish."""
        for _ in range(3):  # let tasks the framework just created reach handle()
            await asyncio.sleep(0)
        pending = {task for task in self._busy if task is not asyncio.current_task()}
        if pending:
            _done, late = await asyncio.wait(pending, timeout=timeout)
            if late:
                log.warning("%d updates still in progress at shutdown", len(late))
        await self.replies.close()  # what was delivered is marked so


# --- what the bot tells Telegram about itself ---------------------------------------------------

COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass(frozen=True, slots=True)
class CommandMenu:
    """One setMyCommands call: a scope ("all_private_chats", "all_group_chats"), a language
    ("" for everyone without a more specific list) and its (command, description) pairs."""

    scope: str
    language_code: str
    commands: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class BotProfile:
    language_code: str
    description: str
    short_description: str


def command_menus(registry: Registry, default_language: str) -> list[CommandMenu]:
    """Private chats: the private commands; groups: the group commands. Dutch uses each
    command's first (Dutch) name, other languages the command's own name in that language
    (/dil, /jezyk, …) where it has one, else its English name."""
    menus: dict[tuple[str, str], CommandMenu] = {}
    languages = [("", default_language), *((lang, lang) for lang in SUPPORTED_LANGUAGES)]
    scopes = (("all_private_chats", "private"), ("all_group_chats", "group"))
    for language_code, lang in languages:
        texts = passing_texts(lang)  # one language's catalog at a time
        for scope, wanted in scopes:
            commands: list[tuple[str, str]] = []
            seen: set[str] = set()
            for entry in registry.command_list:
                if not entry.menu or not getattr(entry, wanted):
                    continue
                name = entry.name_in(lang)
                if not COMMAND_NAME.match(name) or name in seen:
                    log.warning("command /%s cannot be listed in Telegram's menu", name)
                    continue
                seen.add(name)
                description = plain_text(texts._(entry.description)).strip()[:256] or name
                commands.append((name, description))
            menus[scope, language_code] = CommandMenu(scope, language_code, tuple(commands[:100]))
    return [menus[scope, code] for scope, _ in scopes for code, _ in languages]


def bot_profiles(
    description: str, short_description: str, default_language: str
) -> list[BotProfile]:
    """The bot's description and short description (msgids) in every language."""
    profiles = []
    for language_code, lang in [("", default_language), *((x, x) for x in SUPPORTED_LANGUAGES)]:
        texts = passing_texts(lang)
        profiles.append(
            BotProfile(
                language_code,
                plain_text(texts._(description))[:512],
                plain_text(texts._(short_description))[:120],
            )
        )
    return profiles


# --- the runtime interface ----------------------------------------------------------------------


class StartupError(Exception):
    """Why the bot cannot start, in one line for the operator (no token in it)."""


@dataclass(frozen=True, slots=True)
class BotIdentity:
    id: int
    username: str
    first_name: str


class TelegramRuntime(ABC):
    """One Telegram library driving the core: aiogram or python-telegram-bot."""

    name: ClassVar[str]
    sender: TelegramSender

    @abstractmethod
    async def connect(self) -> BotIdentity:
        """getMe; raises StartupError for a rejected token or an unreachable API."""

    @abstractmethod
    async def set_commands(self, menu: CommandMenu) -> None: ...

    @abstractmethod
    async def set_profile(self, profile: BotProfile) -> None: ...

    @abstractmethod
    async def start_polling(self, core: Core) -> None:
        """Start receiving updates by long polling (in the background) and return."""

    @abstractmethod
    def mount_webhook(self, core: Core, app: web.Application, path: str, secret: str) -> None:
        """Add the webhook route to `app`; requests without the secret get 401."""

    @abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None: ...

    @abstractmethod
    async def stop_receiving(self) -> None:
        """Stop polling, or stop handing webhook updates to the core."""

    @abstractmethod
    async def close(self) -> None:
        """Release the HTTP sessions (after the in-flight updates are done)."""

    async def announce(self, menus: Sequence[CommandMenu], profiles: Sequence[BotProfile]) -> None:
        """Command menus and descriptions; a failure is logged, it does not stop the bot."""
        calls: list[tuple[Callable[[], Awaitable[None]], CommandMenu | BotProfile]] = [
            (functools.partial(self.set_commands, menu), menu) for menu in menus
        ]
        calls += [(functools.partial(self.set_profile, profile), profile) for profile in profiles]
        for call, argument in calls:
            try:
                await call()
            except Exception as error:
                mapped = self.sender.translate(error) or error
                log.warning("could not set %s: %s", argument, mapped)


def health_app(
    runtime: str, mode: str, status: Callable[[], Mapping[str, Any]] | None = None
) -> web.Application:
    """/healthz: 200 while updates are received, 503 with the reason when they are not
    (`status()["receiving"]`)."""
    from aiohttp import web

    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        details = dict(status()) if status is not None else {}
        ok = bool(details.get("receiving", True))
        body = {"ok": ok, "runtime": runtime, "mode": mode, **details}
        return web.json_response(body, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    return app
