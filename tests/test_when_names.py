"""bot.core.when_names: the month and weekday names, generated from Babel, stay Babel's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.core import when_names

ROOT = Path(__file__).resolve().parents[1]


def test_the_tables_equal_what_the_installed_babel_gives() -> None:
    # Fails after a Babel upgrade that changed a name: run `python -m bot.core.when_names`.
    assert (when_names.MONTHS, when_names.DAYS) == when_names.from_babel()


def test_regenerating_gives_the_file_as_it_is() -> None:
    # The generator writes formatted source, so regenerating never leaves a diff to review.
    assert when_names.generated_source() == Path(when_names.__file__).read_text(encoding="utf-8")


def test_reading_dates_loads_no_babel_locale_data() -> None:
    # The point of the generated tables: Babel's CLDR data (megabytes) stays out of the bot.
    code = (
        "import sys, bot.core.when as w;"
        "assert w.parse_when is not None;"
        "print(sorted(m for m in sys.modules if m.startswith('babel')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
