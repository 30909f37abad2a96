"""The seam between the core and the runtimes: plain typed data, no framework.

A runtime turns a framework update into an `Incoming`, the engine answers with
`Outgoing` actions, and a runtime (or the scheduler) delivers them through a
`Sender`. Texts in `Outgoing` are already localised, safe HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

# The Bot API's ranges: user and chat ids have at most 52 significant bits; message ids, poll
# options and its other plain Integers fit in 32 bits. Update ids are held to the 52 bits a
# JSON number keeps exactly. A value beyond is not from Telegram, and no column could hold it.
ID_LIMIT = 2**52
INT32_LIMIT = 2**31
# C0 controls but tab and newline (NUL above all: PostgreSQL refuses it in text) and lone
# surrogates (no UTF-8 for them): stripped from everything a person or Telegram typed.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")


class OutOfRange(ValueError):
    """An id no real Telegram update carries: the update is skipped, never stored."""


def clean(text: str) -> str:
    """Text without the characters a database (or a terminal) must not be given."""
    return _UNSAFE.sub("", text) if _UNSAFE.search(text) else text


def _clean_fields(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            object.__setattr__(obj, name, clean(value))


def checked(value: int, what: str, low: int, high: int) -> int:
    """`value` when low <= value < high (Telegram's range for `what`); else OutOfRange, whose
    message names `what` only: a log line may carry it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise OutOfRange(f"{what} is not a whole number")
    if not low <= value < high:
        raise OutOfRange(f"{what} out of Telegram's range")
    return value


def _chat_id(value: int) -> int:
    return checked(value, "chat id", 1 - ID_LIMIT, ID_LIMIT)


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"

    @property
    def is_group(self) -> bool:
        return self is not ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    kind: ChatKind = ChatKind.PRIVATE
    title: str | None = None

    def __post_init__(self) -> None:
        _chat_id(self.id)
        _clean_fields(self, "title")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None

    def __post_init__(self) -> None:
        checked(self.id, "user id", 1, ID_LIMIT)
        _clean_fields(self, "first_name", "language_code", "username")


# --- what happened -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    text: str

    def __post_init__(self) -> None:
        _clean_fields(self, "text")


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # lower case, without "/" and without "@botname"
    args: str = ""

    def __post_init__(self) -> None:
        _clean_fields(self, "name", "args")


@dataclass(frozen=True, slots=True)
class ButtonPress:
    payload: str
    query_id: str | None = None  # None in the console
    message_id: int | None = None  # the message that carried the button

    def __post_init__(self) -> None:
        _clean_fields(self, "payload", "query_id")
        if self.message_id is not None:
            checked(self.message_id, "message id", 0, INT32_LIMIT)


@dataclass(frozen=True, slots=True)
class PollAnswer:
    poll_id: str
    option_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        _clean_fields(self, "poll_id")
        for option in self.option_ids:
            checked(option, "poll option", 0, INT32_LIMIT)


@dataclass(frozen=True, slots=True)
class Photo:
    file_id: str
    caption: str = ""

    def __post_init__(self) -> None:
        _clean_fields(self, "file_id", "caption")


@dataclass(frozen=True, slots=True)
class BotAddedToGroup:
    pass


@dataclass(frozen=True, slots=True)
class BotRemovedFromGroup:
    pass


@dataclass(frozen=True, slots=True)
class MembersJoined:
    members: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class BotBlocked:
    pass


@dataclass(frozen=True, slots=True)
class BotUnblocked:
    pass


@dataclass(frozen=True, slots=True)
class ChatMigrated:
    new_chat_id: int

    def __post_init__(self) -> None:
        _chat_id(self.new_chat_id)


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A sticker, voice note, location... something the bot cannot use."""

    what: str


Event = (
    Text
    | Command
    | ButtonPress
    | PollAnswer
    | Photo
    | BotAddedToGroup
    | BotRemovedFromGroup
    | MembersJoined
    | BotBlocked
    | BotUnblocked
    | ChatMigrated
    | Unsupported
)


@dataclass(frozen=True, slots=True)
class Incoming:
    chat: Chat
    person: Person
    event: Event
    # Telegram's update_id; None where there is none (the console).
    update_id: int | None = None

    def __post_init__(self) -> None:
        if self.update_id is not None:
            checked(self.update_id, "update id", 0, ID_LIMIT)


# --- what the bot does --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.payload is None) == (self.url is None):
            raise ValueError("a button has either a payload or a url")
        if self.payload is not None and len(self.payload.encode()) > 64:
            raise ValueError(f"button payload over 64 bytes: {self.payload!r}")


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class SendText:
    chat_id: int
    text: str
    buttons: Keyboard = ()
    # A name under which the sent message id is remembered (e.g. an action card
    # that later edits show totals on).
    remember_as: str | None = None


@dataclass(frozen=True, slots=True)
class EditText:
    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class AnswerButton:
    query_id: str
    text: str | None = None
    alert: bool = False


@dataclass(frozen=True, slots=True)
class SendPoll:
    chat_id: int
    question: str
    options: tuple[str, ...]
    allows_multiple: bool = False
    remember_as: str | None = None


@dataclass(frozen=True, slots=True)
class StopPoll:
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class PinMessage:
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class SendDocument:
    chat_id: int
    filename: str
    content: bytes = field(repr=False)
    caption: str = ""
    # Said to the chat instead when Telegram refuses the file (too big, not allowed).
    if_refused: str = ""


@dataclass(frozen=True, slots=True)
class SendTemplate:
    """A message approved beforehand by the network (WhatsApp's templates): the one kind
    that may go to someone outside the window in which free messages are allowed. Only
    senders whose `Capabilities.templates` is set are given one (`bot.core.templates`)."""

    chat_id: int
    name: str
    language: str  # the bot's language (nl, en)
    parameters: tuple[str, ...] = ()
    button_payloads: tuple[str, ...] = ()


Outgoing = (
    SendText
    | EditText
    | AnswerButton
    | SendPoll
    | StopPoll
    | PinMessage
    | SendDocument
    | SendTemplate
)


# --- sending ------------------------------------------------------------------


class SendError(Exception):
    """Base of what a Sender raises; the core decides what to do with each kind."""


class RateLimited(SendError):
    """Flood control: certainly not delivered; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


class RecipientGone(SendError):
    """Blocked the bot, deactivated, kicked it, or the chat does not exist: never retry."""


class ChatMoved(SendError):
    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Rejected(SendError):
    """Telegram refused the request (another 400): log it, do not retry."""


class Transient(SendError):
    """Certainly not delivered, and may work later: a 5xx answered by Telegram (or its
    proxy), no connection made: back off and retry."""


class OutcomeUnknown(SendError):
    """The request went out and no answer came back (our read timed out, the connection
    dropped): it may have arrived. Only what is idempotent is sent again."""


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int | None = None
    poll_id: str | None = None


class Sender(Protocol):
    async def send(self, action: Outgoing) -> Sent: ...


# --- what a network can show --------------------------------------------------------------------


class Network(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


# Addresses (person and private-chat ids in the core) from WHATSAPP_BASE up are WhatsApp
# people's, given out at random by `bot.core.identities`; below are Telegram's own ids (user ids
# stay far below 2^51). One number space, so every table keyed by a chat id serves both.
WHATSAPP_BASE = 2**51


def network_of(address: int) -> Network:
    return Network.WHATSAPP if address >= WHATSAPP_BASE else Network.TELEGRAM


class Markup(StrEnum):
    HTML = "html"  # Telegram's HTML subset: what `Texts` produces
    WHATSAPP = "whatsapp"  # *bold*, _italic_, ~strike~, ```mono```


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a network's sender can show, declared once per sender. The core produces the
    richest form (HTML, keyboards of any size, edits, polls, pins); `bot.core.adapt` fits it to
    these, so no flow ever asks which network it is on.

    A limit of None is "no limit the bot could reach"."""

    network: Network
    markup: Markup
    text_limit: int
    buttons_per_message: int | None  # reply buttons on one message
    buttons_per_row: int | None
    button_label: int | None  # characters in a button's title
    list_rows: int = 0  # rows of a list message (0: no lists)
    row_label: int | None = None  # characters in a list row's title
    row_description: int = 0
    list_button: int = 0  # characters in the button that opens a list
    url_buttons: bool = True  # a button may open a web address
    edits: bool = True  # a sent message can be changed in place
    polls: bool = True
    pins: bool = True
    documents: bool = True
    groups: bool = True  # the bot can be in a group chat
    button_answers: bool = True  # a pressed button gets a notice of its own (a toast)
    # Free messages only within `window_hours` of the person's last message; templates
    # approved beforehand outside it (None: no window).
    window_hours: int | None = None


TELEGRAM = Capabilities(
    network=Network.TELEGRAM,
    markup=Markup.HTML,
    text_limit=4096,
    buttons_per_message=100,
    buttons_per_row=8,
    button_label=None,
)

WHATSAPP = Capabilities(
    network=Network.WHATSAPP,
    markup=Markup.WHATSAPP,
    text_limit=4096,
    buttons_per_message=3,
    buttons_per_row=3,
    button_label=20,
    list_rows=10,
    row_label=24,
    row_description=72,
    list_button=20,
    url_buttons=False,
    edits=False,
    polls=False,
    pins=False,
    documents=True,
    groups=False,
    button_answers=False,
    window_hours=24,
)


class ChatDirectory(Protocol):
    """What only the messenger knows about a chat, asked at the moment it matters."""

    async def is_admin(self, chat_id: int, user_id: int) -> bool: ...

    async def member_status(self, chat_id: int, user_id: int) -> str:
        """Telegram's status of the user in the chat: creator, administrator, member,
        restricted, left or kicked."""
        ...
