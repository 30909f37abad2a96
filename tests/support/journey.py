"""Run a scripted journey (tests/journeys/*.txt) through the engine and the scheduler,
in any of the bot's languages, and keep a transcript of what every person read. The
script is written in Dutch: every button label is translated through the catalogs and
the kit files, and the dates typed are typed in the person's own language.

    .venv/bin/python -m tests.support.journey   # writes docs/journey.nl.md
"""

from __future__ import annotations

import asyncio
import base64
import random
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

from bot.core.labels import SHORT
from bot.domain.kits import load_kits
from bot.i18n import texts_for
from bot.i18n.catalogs import load
from scheduler.dispatch import Dispatcher
from scheduler.timing import FakeClock
from tests.support.driver import Driver, Talker

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = ROOT / "tests" / "journeys" / "idea_to_bestendigen.txt"
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # Saturday 10:00 in Amsterdam


def read_steps(path: Path = JOURNEY) -> list[str]:
    return [
        line.rstrip("\n")
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


# The dates the script types, as a person would type them in each language.
TYPED_DATES = {
    "woensdag 2 dec 19:30": {
        "tr": "2 aralık çarşamba 19:30",
        "pl": "w środę 2 grudnia o 19:30",
        "uk": "у середу 2 грудня о 19:30",
        "ar": "الأربعاء 2 ديسمبر الساعة 19:30",
    },
    "zaterdag 12 december 10:00": {
        "tr": "12 aralık cumartesi 10:00",
        "pl": "sobota 12 grudnia 10:00",
        "uk": "субота 12 грудня 10:00",
        "ar": "السبت 12 كانون الأول 10:00",
    },
    "zaterdag 16 januari 11:00": {
        "tr": "16 ocak cumartesi saat 11:00",
        "pl": "sobota 16 stycznia o 11:00",
        "uk": "в суботу 16 січня об 11:00",
        "ar": "السبت 16 يناير ١١:٠٠",
    },
}


class Labels:
    """Dutch button labels to another language (English by default): through the
    catalog, else the kit titles."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang
        self.texts = texts_for(lang)
        self.exact: dict[str, str] = {}
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        # A short form (WhatsApp's buttons) may read like its long label in Dutch: the
        # long one is what the Dutch transcript shows, whatever order the catalog has.
        short_forms = set(SHORT.values())
        messages = sorted(load("nl"), key=lambda message: message.id in short_forms)
        for message in messages:
            if not message.id or not isinstance(message.id, str) or not message.string:
                continue
            dutch = message.string
            if "{" in dutch:
                pattern = re.escape(dutch)
                for name in dict.fromkeys(re.findall(r"\\\{(\w+)\\\}", pattern)):
                    placeholder = f"\\{{{name}\\}}"
                    pattern = pattern.replace(placeholder, f"(?P<{name}>.+)", 1)
                    pattern = pattern.replace(placeholder, f"(?P={name})")
                self.patterns.append((re.compile(f"^{pattern}$"), message.id))
            else:
                self.exact.setdefault(dutch, message.id)
        # The most specific text first: "Plannen: {title}" before "{label}: {value}".
        self.patterns.sort(key=lambda item: -len(re.sub(r"\(\?P.*?\)", "", item[0].pattern)))
        self.kits = {kit.text("nl").title: kit.text(lang).title for kit in load_kits().values()}

    def english(self, dutch: str) -> str:
        """The label in this language (the name is older than the other languages)."""
        if dutch in self.kits:
            return self.kits[dutch]
        if dutch in self.exact:
            return self.texts._(self.exact[dutch])
        for pattern, msgid in self.patterns:
            found = pattern.match(dutch)
            if found:
                values = {k: self.kits.get(v, v) for k, v in found.groupdict().items()}
                return self.texts._(msgid, **values)
        return dutch  # names and free text are the same in every language


@dataclass
class Transcript:
    lines: list[str] = field(default_factory=list)
    inputs: dict[str, int] = field(default_factory=dict)
    # After each input: did the newest message the person got offer a next step?
    dead_ends: list[str] = field(default_factory=list)


async def run_journey(driver: Driver, lang: str, steps: list[str] | None = None) -> Transcript:
    labels = Labels(lang) if lang != "nl" else None
    people: dict[str, Talker] = {}
    transcript = Transcript()
    who: Talker | None = None
    clock = driver.services.clock
    assert isinstance(clock, FakeClock)
    for step in steps or read_steps():
        kind, _, arg = step.partition(" ")
        if kind == "@":
            name = arg.split()[0]
            who = people.setdefault(name, driver.person(name, lang))
            continue
        assert who is not None
        before = {name: len(p.messages) for name, p in people.items()}
        shown_before = {
            (name, m.message_id): (m.text, m.labels)
            for name, p in people.items()
            for m in p.messages
        }
        if kind == "say":
            await who.send(TYPED_DATES.get(arg, {}).get(lang, arg))
        elif kind == "cmd":
            name, _, args = arg.partition(" ")
            await who.command(name, args)
        elif kind == "press":
            await who.press(labels.english(arg) if labels else arg)
        elif kind == "startlink":
            link = next(m.plain for m in reversed(people[arg].messages) if "start=join-" in m.plain)
            await who.command("start", "join-" + link.split("start=join-")[1].split()[0])
        elif kind == "advance":
            clock.advance(timedelta(hours=float(arg)))
            await Dispatcher(driver.services, driver.delivery).sweep()
        else:
            raise ValueError(f"unknown step {step!r}")
        name = who.who.first_name
        if kind != "advance":
            transcript.inputs[name] = transcript.inputs.get(name, 0) + 1
            typed = {
                "say": arg,
                "cmd": f"/{arg}",
                "press": f"[{arg}]",
                "startlink": "(opent de uitnodigingslink)",
            }[kind]
            transcript.lines.append(f"\n**{name}:** {typed}\n")
            if (
                who.messages
                and not who.messages[-1].buttons
                and not _ends_with_hint(who.messages[-1].plain)
            ):
                transcript.dead_ends.append(
                    f"{name} after {step!r}: {who.messages[-1].plain[:80]!r}"
                )
        else:
            local = clock.now().astimezone(driver.services.settings.tz)
            transcript.lines.append(f"\n*— de klok gaat vooruit naar {local:%d-%m %H:%M} —*\n")
        for person_name, person in people.items():
            for message in person.messages[: before.get(person_name, 0)]:
                if shown_before.get((person_name, message.message_id)) != (
                    message.text,
                    message.labels,
                ):
                    transcript.lines.append(
                        _quote(person_name, message.plain, message.labels, edited=True)
                    )
            for message in person.messages[before.get(person_name, 0) :]:
                transcript.lines.append(_quote(person_name, message.plain, message.labels))
    return transcript


def _ends_with_hint(text: str) -> bool:
    return bool(re.search(r"/\w+", text.strip().splitlines()[-1])) if text.strip() else False


def _quote(person: str, text: str, labels: list[str], *, edited: bool = False) -> str:
    head = f"> 🤖 aan {person}" + (" (bericht bijgewerkt)" if edited else "") + ":"
    body = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    buttons = ("\n> " + " ".join(f"`[{label}]`" for label in labels)) if labels else ""
    return f"{head}\n{body}{buttons}\n"


@contextmanager
def repeatable_tokens(seed: int = 2026) -> Iterator[None]:
    """Invitation and poll tokens from a seeded generator, so that regenerating the
    transcript changes only what the journey changed (tokens are random in the bot)."""
    generator = random.Random(seed)

    def token_bytes(size: int | None = None) -> bytes:
        return generator.randbytes(size or 32)

    def token_urlsafe(size: int | None = None) -> str:
        return base64.urlsafe_b64encode(token_bytes(size)).rstrip(b"=").decode("ascii")

    def token_hex(size: int | None = None) -> str:
        return token_bytes(size).hex()

    with (
        patch.object(secrets, "token_urlsafe", token_urlsafe),
        patch.object(secrets, "token_hex", token_hex),
    ):
        yield


TRANSCRIPT = ROOT / "docs" / "journey.nl.md"


def transcript_document(transcript: Transcript) -> str:
    header = (
        "# Een hele reis door de groeicyclus\n\n"
        "Drie buren in de Lindelaan, van het idee van Anna tot een groep die zelf doorgaat "
        "(fase 5, bestendigen). Gemaakt door `python -m tests.support.journey` uit "
        "`tests/journeys/idea_to_bestendigen.txt`; `tests/test_full_journey.py` speelt dezelfde "
        "reis na in alle talen van Buurbot: Nederlands, Engels, Turks, Pools, Arabisch en "
        "Oekraïens. Knoppen staan tussen `[ ]`.\n"
    )
    return header + "".join(transcript.lines)


async def write_dutch_transcript(target: Path = TRANSCRIPT) -> Transcript:
    from tests.conftest import make_services

    with tempfile.TemporaryDirectory() as folder, repeatable_tokens():
        services = make_services(
            f"sqlite+aiosqlite:///{folder}/j.db", FakeClock(START), flood_max_updates=10_000
        )
        await services.db.migrate()
        transcript = await run_journey(Driver(services), "nl")
        await services.db.close()
    await asyncio.to_thread(target.write_text, transcript_document(transcript))
    return transcript


if __name__ == "__main__":
    result = asyncio.run(write_dutch_transcript())
    print(f"inputs per person: {result.inputs}; turns without a next step: {len(result.dead_ends)}")
