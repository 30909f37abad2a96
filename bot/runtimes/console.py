"""The console runtime: talk to Buurbot in a terminal, on the same engine and database.

Bot messages are printed plainly, buttons numbered (`[1] Deel een idee`); type
a number, a button's label, a /command or text. `/as NAME` switches to another
person (play the initiator and a neighbour). When stdin is not a terminal, one
input is read per line and the console exits at the end of input.

The console has its own clock: the system clock plus an offset. `/tijd +1d` (or
`/time +2h`, `/tijd 2026-12-01T10:00`) moves it forward and runs the scheduler
over the skipped time, so the follow-ups that would have arrived meanwhile arrive
now, in order — messages to other people show as "✉ (to Name)". After every line
the outbox is swept, so what is due now arrives at once; an interactive console
also runs the scheduler in the background.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlmodel import select

from bot.app import Services
from bot.delivery import Delivery
from bot.engine import Engine
from bot.i18n import Texts, pick_language, texts_for
from bot.seam import (
    AnswerButton,
    Button,
    ButtonPress,
    Chat,
    Command,
    EditText,
    Incoming,
    Outgoing,
    Person,
    PinMessage,
    SendDocument,
    SendPoll,
    SendText,
    Sent,
    StopPoll,
    Text,
)
from scheduler.clock import OffsetClock, Scheduler
from scheduler.timing import parse_offset
from storage.models import Resident

_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Safe HTML as a terminal shows it."""
    return html.unescape(_TAG.sub("", text))


def console_person_id(name: str) -> int:
    """A stable id per console name, far from Telegram's ranges of real people."""
    return 9_000_000_000 + zlib.crc32(name.strip().lower().encode())


@dataclass
class ConsoleSender:
    """Prints what a Telegram chat would show; remembers buttons so they can be pressed."""

    out: TextIO
    current_chat: Callable[[], int]
    names: dict[int, str] = field(default_factory=dict)
    export_dir: Path = Path("exports")
    texts: dict[int, str] = field(default_factory=dict)
    buttons: dict[int, list[Button]] = field(default_factory=dict)  # chat -> numbered buttons
    button_message: dict[int, int] = field(default_factory=dict)  # chat -> message carrying them
    next_id: int = 1

    def _header(self, chat_id: int) -> str:
        if chat_id == self.current_chat():
            return ""
        return f"  ✉ (to {self.names.get(chat_id, chat_id)})\n"

    def _print_message(self, chat_id: int, text: str, keyboard: tuple) -> None:
        lines = [self._header(chat_id) + "\n".join(f"  {line}" for line in plain(text).split("\n"))]
        flat = [button for row in keyboard for button in row]
        for number, button in enumerate(flat, start=1):
            target = f" → {button.url}" if button.url else ""
            lines.append(f"  [{number}] {button.label}{target}")
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()

    def _keep_buttons(self, chat_id: int, message_id: int, keyboard: tuple) -> None:
        flat = [button for row in keyboard for button in row if button.payload]
        if flat:
            self.buttons[chat_id] = flat
            self.button_message[chat_id] = message_id
        elif self.button_message.get(chat_id) == message_id:
            self.buttons.pop(chat_id, None)

    async def send(self, action: Outgoing) -> Sent:
        if isinstance(action, SendText):
            message_id = self._new_id()
            self.texts[message_id] = action.text
            self._print_message(action.chat_id, action.text, action.buttons)
            self._keep_buttons(action.chat_id, message_id, action.buttons)
            return Sent(message_id)
        if isinstance(action, EditText):
            before = self.texts.get(action.message_id, "")
            self.texts[action.message_id] = action.text
            # An edit that adds a line (the chosen answer) shows only that line.
            shown = action.text[len(before) :] if action.text.startswith(before) else action.text
            if shown.strip():
                self._print_message(action.chat_id, shown.strip(), action.buttons)
            self._keep_buttons(action.chat_id, action.message_id, action.buttons)
            return Sent(action.message_id)
        if isinstance(action, AnswerButton):
            if action.text:
                self.out.write(f"  ({plain(action.text)})\n")
            return Sent()
        if isinstance(action, SendPoll):
            message_id = self._new_id()
            options = "\n".join(f"    ○ {plain(option)}" for option in action.options)
            self.out.write(
                f"{self._header(action.chat_id)}  📊 {plain(action.question)}\n{options}\n\n"
            )
            return Sent(message_id, poll_id=f"console-poll-{message_id}")
        if isinstance(action, StopPoll):
            self.out.write("  📊 (poll closed)\n\n")
            return Sent(action.message_id)
        if isinstance(action, PinMessage):
            self.out.write("  📌 (pinned)\n\n")
            return Sent(action.message_id)
        if isinstance(action, SendDocument):
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = self.export_dir / action.filename
            path.write_bytes(action.content)
            caption = f"{plain(action.caption)}\n  " if action.caption else ""
            self.out.write(f"{self._header(action.chat_id)}  {caption}📎 {path.resolve()}\n\n")
            return Sent(self._new_id())
        raise TypeError(f"the console cannot show {type(action).__name__}")

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class ConsoleChat:
    def __init__(
        self,
        services: Services,
        *,
        person_name: str,
        language: str | None,
        out: TextIO = sys.stdout,
    ) -> None:
        self.services = services
        self.engine = Engine(services)
        self.out = out
        self.person = self._person(person_name, language)
        self.sender = ConsoleSender(out=out, current_chat=lambda: self.person.id)
        self.sender.names[self.person.id] = person_name
        self.delivery = Delivery(services, self.sender)
        self.scheduler = Scheduler(services, self.delivery)

    @staticmethod
    def _person(name: str, language: str | None) -> Person:
        return Person(id=console_person_id(name), first_name=name.strip(), language_code=language)

    @property
    def chat(self) -> Chat:
        return Chat(self.person.id)

    async def start(self) -> None:
        await self.delivery.deliver(await self.engine.resume(self.chat, self.person))

    def to_event(self, line: str) -> Text | Command | ButtonPress:
        stripped = line.strip()
        buttons = self.sender.buttons.get(self.chat.id, [])
        message_id = self.sender.button_message.get(self.chat.id)
        if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
            return ButtonPress(buttons[int(stripped) - 1].payload or "", message_id=message_id)
        for button in buttons:
            if button.label.casefold() == stripped.casefold():
                return ButtonPress(button.payload or "", message_id=message_id)
        if stripped.startswith("/") and len(stripped) > 1:
            name, _, args = stripped[1:].partition(" ")
            return Command(name.split("@")[0].lower(), args.strip())
        return Text(line.rstrip("\n"))

    @property
    def texts(self) -> Texts:
        settings = self.services.settings
        return texts_for(
            pick_language(self.person.language_code, settings.default_language),
            settings.timezone,
        )

    async def sweep(self) -> None:
        """Send what is due now (to anyone: others' messages show as "✉ (to Name)")."""
        await self._learn_names()
        await self.scheduler.dispatcher.sweep()

    async def _learn_names(self) -> None:
        async with self.services.db.transaction() as session:
            result = await session.execute(
                select(Resident.telegram_id, Resident.name, Resident.first_name).limit(5000)
            )
            for telegram_id, name, first_name in result.all():
                self.sender.names.setdefault(telegram_id, name or first_name)

    async def fast_forward(self, argument: str) -> None:
        """/tijd +1d: move the clock on and let what was due meanwhile arrive."""
        clock = self.services.clock
        texts = self.texts
        if not isinstance(clock, OffsetClock):
            self.out.write(texts._("This console's clock cannot be moved.") + "\n\n")
            return
        target = parse_when(argument, clock.now(), self.services.settings.tz)
        if target is None:
            self.out.write(
                texts._(
                    "Move the clock like this: /tijd +1d, /tijd +2h, /tijd +30m "
                    "or /tijd 2026-12-01T10:00."
                )
                + "\n\n"
            )
            return
        await self._learn_names()
        report = await self.scheduler.run_until(target, clock)
        self.out.write(texts._("— It is now {when}. —", when=texts.when(clock.now())) + "\n")
        if not report.sent:
            self.out.write(texts._("Nothing arrived in the meantime.") + "\n")
        self.out.write("\n")
        self.out.flush()

    async def handle_line(self, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return
        command, _, argument = stripped.partition(" ")
        if command.lower() in ("/tijd", "/time"):
            await self.fast_forward(argument.strip())
            return
        if stripped.split(" ")[0].lower() in ("/as", "/als"):
            name = stripped.partition(" ")[2].strip()
            if name:
                self.person = self._person(name, self.person.language_code)
                self.sender.names[self.person.id] = name
                self.out.write(f"— you are now {name} —\n\n")
                await self.start()
            return
        incoming = Incoming(self.chat, self.person, self.to_event(line))
        await self.delivery.deliver(await self.engine.handle(incoming))
        await self.sweep()


def parse_when(argument: str, now: datetime, tz) -> datetime | None:  # type: ignore[no-untyped-def]
    """ "+1d", "+2h30m" (from now) or "2026-12-01T10:00" (local, never backwards)."""
    if not argument:
        return None
    try:
        return now + parse_offset(argument)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(argument)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment if moment >= now - timedelta(seconds=1) else None


async def run_console(
    services: Services,
    *,
    person_name: str,
    language: str | None,
    stdin: TextIO = sys.stdin,
    start_at: datetime | None = None,
    started: Callable[[], None] | None = None,
    out: TextIO | None = None,
) -> None:
    """Chat until the end of input. `started` is called once the greeting is on the screen."""
    await services.db.migrate()
    clock = (
        services.clock if isinstance(services.clock, OffsetClock) else OffsetClock(services.clock)
    )
    if start_at is not None:
        clock.set(start_at)
    services.clock = clock
    chat = ConsoleChat(services, person_name=person_name, language=language, out=out or sys.stdout)
    await chat.start()
    if started is not None:
        started()
    await chat.sweep()
    interactive = stdin.isatty()
    if interactive:  # piped input stays deterministic: it sweeps after each line only
        await chat.scheduler.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            if interactive:
                line = await loop.run_in_executor(None, _prompt)
            else:
                line = stdin.readline()
                if not line:
                    break
                chat.out.write(f"> {line.rstrip()}\n")
            if line is None:
                break
            await chat.handle_line(line)
    finally:
        await chat.scheduler.stop()
        await services.db.close()


def _prompt() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
