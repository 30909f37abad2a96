"""The console runtime, scripted through stdin as a person would type."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from pathlib import Path

from bot.app import build_services
from bot.cli import cyclic_gc_paused
from bot.config import Settings
from bot.runtimes.console import run_console

ROOT = Path(__file__).resolve().parents[1]


def console(db: Path, lines: list[str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env["BUURBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
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
    out = console(tmp_path / "b.db", ["Anna", "1234 AB", "1"], "--as", "Anna", "--lang", "nl")
    assert "Hoi! Ik ben Buurbot." in out
    assert "[1] Noem me Anna" in out
    assert "> 1234 AB" in out
    assert "✓ Ja, dat is goed" in out
    assert "Wat wil je doen?" in out
    assert "[1] " in out.split("Wat wil je doen?")[-1]


def test_scripted_english_onboarding_by_button_label(tmp_path: Path) -> None:
    out = console(
        tmp_path / "b.db",
        ["Call me Tom", "3511", "Yes, that is fine"],
        "--as",
        "Tom",
        "--lang",
        "en",
    )
    assert "Hello! I am Buurbot." in out
    assert "Thank you, Tom. You are all set." in out
    assert "What would you like to do?" in out


def test_a_restart_mid_onboarding_resumes_at_the_same_step(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    console(db, ["Anna"], "--as", "Anna", "--lang", "nl")
    out = console(db, ["1234 AB"], "--as", "Anna", "--lang", "nl")
    assert out.lstrip().startswith("Leuk je te leren kennen, Anna!")
    assert "Mag ik je naam (Anna) en postcode (1234 AB) bewaren?" in out


def test_as_switches_between_people(tmp_path: Path) -> None:
    out = console(tmp_path / "b.db", ["Anna", "/as Bert", "Bert"], "--as", "Anna", "--lang", "nl")
    assert "— you are now Bert —" in out
    assert "Leuk je te leren kennen, Bert!" in out


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
        build_services(settings),
        person_name="Anna",
        language="nl",
        stdin=io.StringIO("Anna\n"),
        started=lambda: shown_when_started.append(out.getvalue()),
        out=out,
    )
    assert len(shown_when_started) == 1
    assert "Hoi! Ik ben Buurbot." in shown_when_started[0]
    assert "Leuk je te leren kennen, Anna!" in out.getvalue()  # the chat went on after it
