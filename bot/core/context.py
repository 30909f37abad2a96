"""What a handler gets: who, where, the database session, texts, and where to put replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.entries import Entry
from bot.core.events import Event
from bot.core.seam import (
    AnswerButton,
    Button,
    ButtonPress,
    Incoming,
    Keyboard,
    Outgoing,
    SendText,
)
from bot.i18n import Safe, Texts, texts_for
from storage.models import Conversation, Resident

if TYPE_CHECKING:
    from bot.core.services import Services


P = ParamSpec("P")

# Conversation data: the buttons last shown, as [label, payload] (see bot/core/conversation.py).
SHOWN_BUTTONS = "_shown"


@dataclass
class Ctx:
    incoming: Incoming
    person: Resident
    conversation: Conversation
    session: AsyncSession
    services: Services
    out: list[Outgoing] = field(default_factory=list)
    # Set when the handler answered the button press itself (with a toast).
    button_answered: bool = False
    events: list[Event] = field(default_factory=list)
    # Set when the person was deleted (/vergeetmij): nothing of them is saved afterwards.
    forgotten: bool = False

    @property
    def texts(self) -> Texts:
        return texts_for(self.person.language, self.person.timezone)

    def _(self, msgid: str, /, **values: object) -> Safe:
        return self.texts._(msgid, **values)

    def n_(self, singular: str, plural: str, n: int, /, **values: object) -> Safe:
        return self.texts.n_(singular, plural, n, **values)

    @property
    def chat_id(self) -> int:
        return self.incoming.chat.id

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    def now(self) -> datetime:
        return self.services.clock.now()

    async def open(self, entry: Entry[P], /, *args: P.args, **kwargs: P.kwargs) -> None:
        """Go into another flow by one of its entries (bot/views/entries.py)."""
        await self.services.registry.open(entry, self, *args, **kwargs)

    def emit(self, event: Event) -> None:
        """Tell subscribers (the scheduler's rules) within this update's transaction."""
        self.events.append(event)

    def say(
        self,
        text: str,
        buttons: Sequence[Sequence[Button]] | Keyboard = (),
        *,
        chat_id: int | None = None,
        remember_as: str | None = None,
    ) -> None:
        keyboard = tuple(tuple(row) for row in buttons if row)
        if (chat_id is None or chat_id == self.chat_id) and not self.incoming.chat.kind.is_group:
            self.remember_buttons(keyboard)  # a group's buttons are everyone's: not typed
        self.out.append(
            SendText(
                chat_id=self.chat_id if chat_id is None else chat_id,
                text=text,
                buttons=keyboard,
                remember_as=remember_as,
            )
        )

    def remember_buttons(self, keyboard: Keyboard) -> None:
        """The buttons now shown in this chat: their labels, typed, press them too."""
        pressable = [[button.label, button.payload] for row in keyboard for button in row]
        pressable = [pair for pair in pressable if pair[1]]
        if pressable:
            self.conversation.data[SHOWN_BUTTONS] = pressable

    def toast(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the pressed button with a short notice (Telegram shows it on top)."""
        event = self.incoming.event
        if isinstance(event, ButtonPress) and event.query_id and not self.button_answered:
            self.out.insert(0, AnswerButton(event.query_id, text, alert))
            self.button_answered = True
