"""The terminal chat keeps its log out of the conversation: log lines go to a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_log_lines_go_to_the_console_log_not_between_the_messages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env["BUURBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    env["BUURBOT_LOG_LEVEL"] = "INFO"  # the first start's migrations then log INFO lines
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--as", "Anna", "--lang", "nl"],
        input="Anna\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Hoi! Ik ben Buurbot." in result.stdout
    log = (tmp_path / "state" / "buurbot" / "console.log").read_text(encoding="utf-8")
    assert " INFO alembic" in log  # the migrations were logged, to the file
    assert " INFO " not in result.stdout + result.stderr
