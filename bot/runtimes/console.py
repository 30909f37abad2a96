"""The console runtime: talk to Buurbot in a terminal, on the same engine and database.

Bot messages are printed plainly, buttons numbered (`[1] Deel een idee`); type
a number, a button's label, a /command or text. Where the question asks a number
(how many people?), a typed number is the answer and the buttons show without
numbers. `/as NAME` switches to another person, found by the name they gave (play
the initiator and a neighbour). When stdin is not a terminal, one input is read per
line and the console exits at the end of input.

The console has its own clock: the system clock plus an offset. `/tijd +1d` (or
`/time +2h`, `/tijd 2026-12-01T10:00`) moves it forward and runs the scheduler
over the skipped time, so the follow-ups that would have arrived meanwhile arrive
now, in order — messages to other people show as "✉ (to Name)". After every line
the outbox is swept, so what is due now arrives at once; an interactive console
also runs the scheduler in the background. The clock's offset is kept per database
(in `$XDG_STATE_HOME/buurbot/`), so a restart goes on at the console's time.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import os
import re
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, or_
from sqlmodel import col, select

from bot.assembly import assemble
from bot.core.conversation import number_asked
from bot.core.seam import (
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
from bot.core.services import Network, Services
from bot.i18n import N_, Texts, pick_language, texts_for
from scheduler.clock import OffsetClock
from scheduler.timing import parse_offset
from storage.models import Conversation, Resident

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
    texts: Callable[[], Texts]  # the chat's language, for the console's own words
    names: dict[int, str] = field(default_factory=dict)
    export_dir: Path = Path("exports")
    shown: dict[int, str] = field(default_factory=dict)  # message id -> its text
    buttons: dict[int, list[Button]] = field(default_factory=dict)  # chat -> numbered buttons
    button_message: dict[int, int] = field(default_factory=dict)  # chat -> message carrying them
    next_id: int = 1
    # False while the question asks a number: "2" is then the answer, not the 2nd button.
    numbered: bool = True
    printed: dict[int, int] = field(default_factory=dict)  # chat -> messages printed

    def _header(self, chat_id: int) -> str:
        if chat_id == self.current_chat():
            return ""
        name = self.names.get(chat_id, str(chat_id))
        return "  " + plain(self.texts()._("✉ (to {name})", name=name)) + "\n"

    def _print_message(self, chat_id: int, text: str, keyboard: tuple) -> None:
        self.printed[chat_id] = self.printed.get(chat_id, 0) + 1
        lines = [self._header(chat_id) + "\n".join(f"  {line}" for line in plain(text).split("\n"))]
        flat = [button for row in keyboard for button in row]
        numbered = self.numbered or chat_id != self.current_chat()
        for number, button in enumerate(flat, start=1):
            target = f" → {button.url}" if button.url else ""
            mark = f"[{number}] " if numbered else "• "
            lines.append(f"  {mark}{button.label}{target}")
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
            self.shown[message_id] = action.text
            self._print_message(action.chat_id, action.text, action.buttons)
            self._keep_buttons(action.chat_id, message_id, action.buttons)
            return Sent(message_id)
        if isinstance(action, EditText):
            before = self.shown.get(action.message_id, "")
            self.shown[action.message_id] = action.text
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
            self.out.write("  📊 " + plain(self.texts()._("(poll closed)")) + "\n\n")
            return Sent(action.message_id)
        if isinstance(action, PinMessage):
            self.out.write("  📌 " + plain(self.texts()._("(pinned)")) + "\n\n")
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


CONSOLE_INTRO = N_(
    "This is the Buurbot console: you chat as {name}. Type a button's number or its words, "
    "or your answer. /as NAME talks as another neighbour, /tijd +1d moves the clock on, "
    "Ctrl-D stops."
)
CONSOLE_HELP = N_(
    "In this console:\n"
    "/as NAME – talk as another neighbour, found by the name they gave\n"
    "/tijd +1d (or +2h, or 2026-12-01T10:00) – move the clock on; what was due arrives\n"
    "Ctrl-D – stop (the chat and the clock stay for next time)"
)


class ConsoleChat:
    def __init__(
        self,
        services: Services,
        *,
        person_name: str,
        language: str | None,
        out: TextIO = sys.stdout,
    ) -> None:
        self.out = out
        self.language = language  # --lang: honoured for a new and an existing person
        self.lang = pick_language(language, services.settings.default_language)
        self.person = self._new_person(person_name, language)
        self.asks_number = False  # does the current question ask a number? (see _refresh)
        self.sender = ConsoleSender(
            out=out, current_chat=lambda: self.person.id, texts=lambda: self.texts
        )
        self.sender.names[self.person.id] = person_name
        parts = assemble(services, Network(self.sender))
        self.services = parts.services
        self.engine = parts.engine
        self.delivery = parts.delivery
        self.scheduler = parts.scheduler

    @staticmethod
    def _new_person(name: str, language: str | None) -> Person:
        return Person(id=console_person_id(name), first_name=name.strip(), language_code=language)

    async def become(self, name: str, language: str | None) -> None:
        """Be the person who gave this name (or whose first name it is), else someone new."""
        wanted = name.strip().lower()
        async with self.services.db.transaction() as session:
            query = (
                select(Resident)
                .where(
                    or_(
                        func.lower(Resident.name) == wanted,
                        func.lower(Resident.first_name) == wanted,
                    )
                )
                .order_by(
                    (func.lower(Resident.name) == wanted).desc(), col(Resident.last_seen_at).desc()
                )
                .limit(1)
            )
            found = (await session.execute(query)).scalars().first()
            if found is None:
                self.person = self._new_person(name, language)
            else:
                self.person = Person(
                    found.telegram_id, found.first_name, language or found.language
                )
                if language and found.language != language:
                    found.language = language  # --lang said so
                    found.language_chosen = True
        self.sender.names[self.person.id] = found.display_name if found else name.strip()
        await self._refresh()

    @property
    def chat(self) -> Chat:
        return Chat(self.person.id)

    async def start(self) -> None:
        await self._deliver(await self.engine.resume(self.chat, self.person))

    async def _deliver(self, actions: list[Outgoing]) -> None:
        """Deliver a reply, its buttons numbered unless the question now asks a number."""
        await self._refresh()
        self.sender.numbered = not self.asks_number
        await self.delivery.deliver(actions)

    async def _refresh(self) -> None:
        """The current person's language and question, as the database has them now."""
        self.asks_number = False
        async with self.services.db.transaction() as session:
            found = (
                await session.execute(
                    select(Resident).where(Resident.telegram_id == self.person.id)
                )
            ).scalar_one_or_none()
            if found is None:
                return
            self.lang = found.language
            conversation = (
                await session.execute(
                    select(Conversation).where(
                        Conversation.chat_id == self.person.id,
                        Conversation.resident_id == found.id,
                    )
                )
            ).scalar_one_or_none()
            if conversation is not None:
                self.asks_number = number_asked(
                    self.services.registry, conversation.flow, conversation.step
                )

    def to_event(self, line: str) -> Text | Command | ButtonPress:
        stripped = line.strip()
        buttons = self.sender.buttons.get(self.chat.id, [])
        message_id = self.sender.button_message.get(self.chat.id)
        if stripped.isdigit() and not self.asks_number and 1 <= int(stripped) <= len(buttons):
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
        return texts_for(self.lang, self.services.settings.timezone)

    def say(self, text: str) -> None:
        """One of the console's own lines, in the chat's language."""
        self.out.write(plain(text) + "\n\n")
        self.out.flush()

    def introduce(self) -> None:
        self.say(self.texts._(CONSOLE_INTRO, name=self.sender.names.get(self.person.id, "?")))

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
                self.sender.names[telegram_id] = name or first_name  # the name they gave

    async def fast_forward(self, argument: str) -> None:
        """/tijd +1d: move the clock on and let what was due meanwhile arrive."""
        clock = self.services.clock
        texts = self.texts
        if not isinstance(clock, OffsetClock):
            self.say(texts._("This console's clock can't be moved."))
            return
        target = parse_when(argument, clock.now(), self.services.settings.tz)
        if target is None:
            self.say(
                texts._(
                    "Move the clock like this: /tijd +1d, /tijd +2h, /tijd +30m "
                    "or /tijd 2026-12-01T10:00."
                )
            )
            return
        await self._learn_names()
        printed = self.sender.printed.get(self.chat.id, 0)
        report = await self.scheduler.run_until(target, clock)
        save_clock(self.services, clock)
        self.out.write(texts._("— It's now {when}. —", when=texts.when(clock.now())) + "\n")
        if not report.sent:
            self.out.write(texts._("Nothing arrived in the meantime.") + "\n")
        self.out.write("\n")
        self.out.flush()
        if self.sender.printed.get(self.chat.id, 0) == printed:
            await self.start()  # nothing new here: show where this chat was, to go on

    async def switch(self, name: str) -> None:
        """/as NAME; without a name, say how, and who is here."""
        if not name:
            await self._learn_names()
            names = sorted({n for n in self.sender.names.values() if n})
            self.say(
                self.texts._(
                    "Type /as and a name to talk as that neighbour, for example /as {example}. "
                    "Here already: {names}.",
                    example=names[0] if names else "Bert",
                    names=", ".join(names) or "–",
                )
            )
            return
        await self.become(name, None)
        self.say(self.texts._("— you're now {name} —", name=self.sender.names[self.person.id]))
        await self.start()

    async def handle_line(self, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return
        command, _, argument = stripped.partition(" ")
        if command.lower() in ("/tijd", "/time"):
            await self.fast_forward(argument.strip())
            return
        if command.lower() in ("/as", "/als"):
            await self.switch(argument.strip())
            return
        event = self.to_event(line)
        incoming = Incoming(self.chat, self.person, event)
        await self._deliver(await self.engine.handle(incoming))
        if isinstance(event, Command) and event.name in ("hulp", "help"):
            self.say(self.texts._(CONSOLE_HELP))
        await self.sweep()


def clock_file(services: Services) -> Path:
    """Where the console keeps its clock's offset: one file per database."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    key = hashlib.sha256(services.settings.database_url.encode()).hexdigest()[:16]
    return Path(state) / "buurbot" / f"console-clock-{key}.json"


def save_clock(services: Services, clock: OffsetClock) -> None:
    path = clock_file(services)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"offset_seconds": clock.offset.total_seconds()}))
    except OSError:  # a read-only home: the clock then starts afresh next time
        pass


def load_clock(services: Services) -> timedelta:
    try:
        saved = json.loads(clock_file(services).read_text())
        return timedelta(seconds=max(0.0, float(saved["offset_seconds"])))
    except (OSError, ValueError, KeyError, TypeError):
        return timedelta(0)


def parse_when(argument: str, now: datetime, tz: tzinfo) -> datetime | None:
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
    elif clock.offset == timedelta(0):
        clock.offset = load_clock(services)  # where /tijd left it last time
    services = replace(services, clock=clock)
    chat = ConsoleChat(services, person_name=person_name, language=language, out=out or sys.stdout)
    await chat.become(person_name, language)
    chat.introduce()
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
