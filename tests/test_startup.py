"""What keeps the start fast (P5 in docs/performance.md) without changing behaviour.

A catalog is compiled by Babel once and then read from a cache named after the
`.po` text's hash: a changed `.po` is never served from an old cache, and a cache
that cannot be used only costs the compile. And the console's start must not
import what only later answers need.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bot.i18n
from bot.i18n import compiled_catalog, mo_cache_dir

ROOT = Path(__file__).resolve().parents[1]

HEADER = r"""msgid ""
msgstr ""
"Language: nl\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

"""


def po(greeting: str) -> bytes:
    return (HEADER + f'msgid "Hello"\nmsgstr "{greeting}"\n').encode()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return mo_cache_dir()


def test_a_compiled_catalog_is_read_from_the_cache_the_next_time(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert compiled_catalog(po("Hoi"), "nl").gettext("Hello") == "Hoi"
    assert len(list(cache_home.glob("*.mo"))) == 1

    def no_compiling(po: bytes, lang: str) -> bytes:
        raise AssertionError("compiled again although the cache has it")

    monkeypatch.setattr(bot.i18n, "compile_po", no_compiling)
    assert compiled_catalog(po("Hoi"), "nl").gettext("Hello") == "Hoi"


def test_a_changed_po_is_never_served_from_the_old_cache(cache_home: Path) -> None:
    compiled_catalog(po("Hoi"), "nl")
    assert compiled_catalog(po("Dag"), "nl").gettext("Hello") == "Dag"
    assert len(list(cache_home.glob("*.mo"))) == 1  # the older version is cleared away
    assert compiled_catalog(po("Dag"), "en").gettext("Hello") == "Dag"
    assert len(list(cache_home.glob("*.mo"))) == 2  # one per language


def test_a_damaged_cache_file_is_compiled_again(cache_home: Path) -> None:
    compiled_catalog(po("Hoi"), "nl")
    (cached,) = cache_home.glob("*.mo")
    cached.write_bytes(cached.read_bytes()[:20])
    assert compiled_catalog(po("Hoi"), "nl").gettext("Hello") == "Hoi"
    assert compiled_catalog(po("Hoi"), "nl").gettext("Hello") == "Hoi"  # and repaired


def test_a_cache_that_cannot_be_written_costs_only_the_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    assert compiled_catalog(po("Hoi"), "nl").gettext("Hello") == "Hoi"


def test_a_warm_console_start_leaves_babels_po_reader_and_later_helpers_unimported(
    tmp_path: Path,
) -> None:
    # What the console needs before its first prompt: the registry and the first text.
    script = (
        "import sys\n"
        "from bot.app import build_registry\n"
        "from bot.i18n import texts_for\n"
        "build_registry()\n"
        "texts_for('nl')._('Hello')\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('babel.messages', "
        "'bot.domain.quotes')))))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env["XDG_CACHE_HOME"] = str(tmp_path)

    def start() -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert "babel.messages.pofile" in start()  # the first start compiles the catalog
    assert start() == []
