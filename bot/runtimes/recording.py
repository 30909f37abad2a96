"""A Sender that records what each chat would show, instead of sending it.

Used by tests (they read what a person would read and press buttons by label)
and by benchmarks as the instant sender. Faults can be armed per chat.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field

from bot.core.seam import (
    AnswerButton,
    Button,
    EditText,
    Outgoing,
    PinMessage,
    SendDocument,
    SendError,
    SendPoll,
    SendText,
    Sent,
    StopPoll,
)

_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


@dataclass
class Shown:
    """One message as the chat shows it now (after edits)."""

    message_id: int
    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edits: int = 0
    pinned: bool = False
    poll_options: tuple[str, ...] = ()
    poll_closed: bool = False
    document: bytes | None = None
    filename: str | None = None

    @property
    def plain(self) -> str:
        return plain(self.text)

    @property
    def labels(self) -> list[str]:
        return [button.label for row in self.buttons for button in row]


@dataclass
class RecordingSender:
    chats: dict[int, list[Shown]] = field(default_factory=lambda: defaultdict(list))
    answered: list[AnswerButton] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    faults: dict[int, list[SendError]] = field(default_factory=lambda: defaultdict(list))
    _next_id: int = 100

    def fail_next(self, chat_id: int, error: SendError) -> None:
        self.faults[chat_id].append(error)

    def _find(self, chat_id: int, message_id: int) -> Shown:
        for shown in self.chats[chat_id]:
            if shown.message_id == message_id:
                return shown
        raise KeyError(f"message {message_id} not in chat {chat_id}")

    async def send(self, action: Outgoing) -> Sent:
        chat_id = getattr(action, "chat_id", None)
        if chat_id is not None and self.faults.get(chat_id):
            raise self.faults[chat_id].pop(0)
        self.sent.append(action)
        if isinstance(action, AnswerButton):
            self.answered.append(action)
            return Sent()
        if isinstance(action, SendText):
            return self._add(Shown(self._new_id(), action.chat_id, action.text, action.buttons))
        if isinstance(action, EditText):
            shown = self._find(action.chat_id, action.message_id)
            shown.text, shown.buttons = action.text, action.buttons
            shown.edits += 1
            return Sent(shown.message_id)
        if isinstance(action, SendPoll):
            shown = Shown(self._new_id(), action.chat_id, action.question)
            shown.poll_options = action.options
            sent = self._add(shown)
            return Sent(sent.message_id, poll_id=f"poll-{sent.message_id}")
        if isinstance(action, StopPoll):
            self._find(action.chat_id, action.message_id).poll_closed = True
            return Sent(action.message_id)
        if isinstance(action, PinMessage):
            self._find(action.chat_id, action.message_id).pinned = True
            return Sent(action.message_id)
        if isinstance(action, SendDocument):
            shown = Shown(self._new_id(), action.chat_id, action.caption)
            shown.document, shown.filename = action.content, action.filename
            return self._add(shown)
        raise TypeError(f"cannot record {type(action).__name__}")

    def _add(self, shown: Shown) -> Sent:
        self.chats[shown.chat_id].append(shown)
        return Sent(shown.message_id)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id
