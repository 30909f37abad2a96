"""Talk to the engine as a person would: send text, press buttons by their label,
read what the chat shows. No Telegram, no console."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.assembly import assemble
from bot.core.seam import (
    ButtonPress,
    Chat,
    ChatKind,
    Command,
    Event,
    Incoming,
    Outgoing,
    Person,
    Text,
)
from bot.core.services import Network, Services
from bot.runtimes.recording import RecordingSender, Shown

_update_ids = itertools.count(1)


class Driver:
    def __init__(self, services: Services) -> None:
        self.sender = RecordingSender()
        self._assemble(services)
        self._people = itertools.count(1001)

    def _assemble(self, services: Services) -> None:
        parts = assemble(services, Network(self.sender), sleep=_no_sleep)
        self.services = parts.services
        self.engine = parts.engine
        self.delivery = parts.delivery

    def person(self, name: str, lang: str | None = "nl", *, person_id: int | None = None) -> Talker:
        return Talker(self, Person(person_id or next(self._people), name, lang))

    async def deliver(self, incoming: Incoming) -> list[Outgoing]:
        actions = await self.engine.handle(incoming)
        await self.delivery.deliver(actions)
        return actions

    def restart(self, services: Services) -> None:
        """A new process on the same database: a new engine, the same chats."""
        self._assemble(services)


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class Talker:
    driver: Driver
    who: Person

    @property
    def chat(self) -> Chat:
        return Chat(self.who.id, ChatKind.PRIVATE)

    @property
    def messages(self) -> list[Shown]:
        return self.driver.sender.chats[self.who.id]

    @property
    def last(self) -> str:
        return self.messages[-1].plain if self.messages else ""

    @property
    def buttons(self) -> list[str]:
        for shown in reversed(self.messages):
            if shown.buttons:
                return shown.labels
        return []

    def seen_since(self, count: int) -> str:
        return "\n---\n".join(shown.plain for shown in self.messages[count:])

    async def _event(self, event: Event, *, update_id: int | None = None) -> list[Outgoing]:
        incoming = Incoming(self.chat, self.who, event, update_id or next(_update_ids))
        return await self.driver.deliver(incoming)

    async def send(self, text: str, *, update_id: int | None = None) -> list[Outgoing]:
        return await self._event(Text(text), update_id=update_id)

    async def command(self, name: str, args: str = "") -> list[Outgoing]:
        return await self._event(Command(name, args))

    async def press(self, label: str) -> list[Outgoing]:
        """Press the newest button with this label, as a person scrolling up would."""
        for shown in reversed(self.messages):
            for row in shown.buttons:
                for button in row:
                    if button.label == label and button.payload:
                        return await self._event(
                            ButtonPress(button.payload, f"q{next(_update_ids)}", shown.message_id)
                        )
        raise AssertionError(f"no button {label!r}; the chat shows {self.buttons}")

    async def event(self, event: Event) -> list[Outgoing]:
        return await self._event(event)
