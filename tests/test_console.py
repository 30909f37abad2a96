"""The console runtime, scripted through stdin as a person would type."""

from __future__ import annotations

import asyncio
import gc
import io
import os
import subprocess
import sys
from pathlib import Path

from bot.app import bootstrap
from bot.cli import cyclic_gc_paused
from bot.core.config import Settings
from bot.core.seam import PinMessage, SendText, StopPoll
from bot.i18n import texts_for
from bot.runtimes.console import ConsoleSender, run_console

ROOT = Path(__file__).resolve().parents[1]


def console(db: Path, lines: list[str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env["BUURBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    env["XDG_STATE_HOME"] = str(db.parent / "state")  # the console's clock, per test
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=db.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def test_scripted_dutch_onboarding_reaches_the_main_menu(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", ["Anna", "1"], "--as", "Anna", "--lang", "nl")
    assert "Hoi! Ik ben Buurbot." in out
    assert "[1] Noem me Anna" in out
    assert "Dank je, Anna. Je bent klaar om te beginnen." in out
    assert "Wat wil je doen?" in out
    assert "[1] " in out.split("Wat wil je doen?")[-1]


def test_scripted_english_onboarding_by_button_label(tmp_path: Path) -> None:
    out = console(
        tmp_path / "b.db",
        ["Call me Tom"],
        "--as",
        "Tom",
        "--lang",
        "en",
    )
    assert "Hello! I'm Buurbot." in out
    assert "Thank you, Tom. You're all set." in out
    assert "What would you like to do?" in out


def test_a_restart_mid_flow_resumes_at_the_same_step(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    console(db, ["Anna", "Deel een idee"], "--as", "Anna", "--lang", "nl")
    out = console(db, ["Tegels eruit en planten erin"], "--as", "Anna", "--lang", "nl")
    intro, _, chat = out.partition("\n\n")
    assert intro.startswith("Dit is de Buurbot-console")
    assert chat.lstrip().startswith("Leuk dat je iets wilt beginnen!")
    assert "Is het voor je straat, je buurt of je hele wijk?" in out


def test_as_switches_between_people(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", ["Anna", "/as Bert", "Bert"], "--as", "Anna", "--lang", "nl")
    assert "— je bent nu Bert —" in out
    assert "Dank je, Bert. Je bent klaar om te beginnen." in out


def test_plain_buurbot_without_a_token_starts_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env["BUURBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Hoi! Ik ben Buurbot." in result.stdout


def test_the_start_pauses_the_cyclic_collector_and_gives_it_back() -> None:
    assert gc.isenabled()
    with cyclic_gc_paused() as resume:
        assert not gc.isenabled()
        resume()
        assert gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # whoever paused it before keeps it paused
    try:
        with cyclic_gc_paused() as resume:
            resume()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_the_console_says_it_started_once_the_greeting_is_shown(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    out = io.StringIO()
    shown_when_started: list[str] = []
    await run_console(
        bootstrap(settings),
        person_name="Anna",
        language="nl",
        stdin=io.StringIO("Anna\n"),
        started=lambda: shown_when_started.append(out.getvalue()),
        out=out,
    )
    assert len(shown_when_started) == 1
    assert "Hoi! Ik ben Buurbot." in shown_when_started[0]
    assert "Dank je, Anna." in out.getvalue()  # the chat went on after it


# --- who you are, and in which language ---------------------------------------------------

ANNA_ONBOARDS = ["Anna"]  # Telegram calls her "Buurman": she says Anna


def test_as_finds_the_person_by_the_name_they_gave(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", [*ANNA_ONBOARDS, "/as Bert", "Bert", "/as Anna"])
    after = out.split("> /as Anna")[1]
    assert "— je bent nu Anna —" in after
    assert "Wat wil je doen?" in after  # her menu: she is known
    assert "Welke naam zal ik voor je gebruiken?" not in after


def test_as_without_a_name_says_how_and_who_is_here(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", [*ANNA_ONBOARDS, "/as"])
    after = out.split("> /as")[1]
    assert "Typ /as en een naam om als die buur te praten, bijvoorbeeld /as Anna." in after
    assert "Al hier: Anna." in after


def test_lang_is_honoured_for_an_existing_person(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    console(db, ["Anna"], "--as", "Anna", "--lang", "nl")
    out = console(db, ["/menu", "/as Anna"], "--as", "Anna", "--lang", "en")
    assert out.startswith("This is the Buurbot console")
    assert "What would you like to do?" in out
    assert "— you're now Anna —" in out
    assert "Wat wil je doen?" not in out


def test_the_console_lines_are_in_the_chat_language() -> None:
    out = io.StringIO()
    sender = ConsoleSender(out=out, current_chat=lambda: 1, texts=lambda: texts_for("nl"))
    sender.names[2] = "Bert & Co"
    asyncio.run(sender.send(SendText(2, "Hoi Bert")))
    assert "✉ (aan Bert & Co)" in out.getvalue()
    english = io.StringIO()
    sender = ConsoleSender(out=english, current_chat=lambda: 1, texts=lambda: texts_for("en"))
    asyncio.run(sender.send(SendText(2, "Hi")))
    assert "✉ (to 2)" in english.getvalue()


def test_the_first_line_and_the_help_say_how_the_console_works(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", ["/hulp"], "--lang", "nl")
    first = out.splitlines()[0]
    for part in ("/as NAAM", "/tijd +1d", "Ctrl-D"):
        assert part in first
    after = out.split("> /hulp")[1]
    assert "In deze console:" in after
    assert "/as NAAM – praat als een andere buur" in after
    english = console(tmp_path / "e.db", ["/help"], "--lang", "en")
    assert english.startswith("This is the Buurbot console")
    assert "In this console:" in english


# --- the clock ----------------------------------------------------------------------------


def _now_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("— Het is nu"))


def test_the_clock_set_with_tijd_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    moved = _now_line(console(db, ["/tijd +3d"], "--lang", "nl"))
    again = _now_line(console(db, ["/tijd +1m"], "--lang", "nl"))
    assert moved.split(" om ")[0] == again.split(" om ")[0], (moved, again)
    other = _now_line(console(tmp_path / "other.db", ["/tijd +1m"], "--lang", "nl"))
    assert other.split(" om ")[0] != moved.split(" om ")[0]  # per database


def test_after_moving_the_clock_the_chat_shows_where_it_was(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", [*ANNA_ONBOARDS, "/tijd +1h"])
    after = out.split("> /tijd +1h")[1]
    assert "Er kwam in de tussentijd niets binnen." in after
    assert "Wat wil je doen?" in after and "[1] Deel een idee" in after


# --- numbers: an answer where a number is asked, else a button -----------------------------

IDEA = [
    "Deel een idee",
    "Tegels eruit en planten erin",
    "Straat",
    "Lindelaan",
    "1234",  # the postcode there: Anna gave none of her own
    "Het is te heet",
    "Groener / klimaat",
    "1",  # the suggested title
]


def test_a_typed_number_is_the_answer_where_a_number_is_asked(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", [*ANNA_ONBOARDS, *IDEA, "Draagvlakmeter", "2", "1", "0"])
    asked = out.split("> Draagvlakmeter")[1]
    assert "• Houd 0" in asked and "[1] Houd 0" not in asked  # no numbers to press here
    assert "Jullie cijfers: 2 huishoudens bereikt · 1 geïnteresseerd · 0 doen mee" in asked
    assert asked.split("> 2")[1].lstrip().startswith("Hoeveel daarvan hebben interesse?")


def test_the_menu_keeps_its_numbers_when_continue_appears(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", [*ANNA_ONBOARDS, "1", "/menu", "1"])
    menus = [part for part in out.split("Wat wil je doen?")[1:]]
    assert all("[1] Deel een idee" in menu for menu in menus)
    assert "Verder waar ik was" in menus[-1]
    assert "Leuk dat je iets wilt beginnen!" in out.split("> /menu")[1].split("> 1")[1]


def test_the_console_marks_polls_and_pins_in_the_chat_language() -> None:
    out = io.StringIO()
    sender = ConsoleSender(out=out, current_chat=lambda: 1, texts=lambda: texts_for("nl"))
    asyncio.run(sender.send(StopPoll(1, 5)))
    asyncio.run(sender.send(PinMessage(1, 5)))
    assert "📊 (peiling gesloten)" in out.getvalue()
    assert "📌 (vastgezet)" in out.getvalue()


def test_the_number_questions_are_known_as_such() -> None:
    from bot.app import build_registry
    from bot.core.conversation import number_asked

    registry = build_registry()
    asked = {
        ("plan", "capacity"),
        ("review", "attended"),
        ("ini_support", "reached"),
        ("ini_support", "interested"),
        ("ini_support", "committed"),
        ("quote", "total"),
        ("quote", "size"),
        ("quote", "saving"),
    }
    for flow, step in asked:
        assert number_asked(registry, flow, step), (flow, step)
    for flow, step in [("onboarding", "name"), ("onboarding", "consent"), ("plan", "title")]:
        assert not number_asked(registry, flow, step), (flow, step)
    assert not number_asked(registry, None, None)
    assert not number_asked(registry, "plan", "no such step")
