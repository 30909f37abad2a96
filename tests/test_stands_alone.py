"""A clone of the repository alone builds, runs and tests: nothing reads the folders beside it."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# A path that climbs out of the project into a folder beside it (the steering folders).
OUTSIDE = re.compile(r"""\.\./shared|parent\s*/\s*["']shared["']|["']\.\.["']\s*/""")
SKIPPED = {".venv", ".git", "build"}
CHECKED = ("*.py", "*.toml", "*.cfg", "*.ini", "Makefile", ".ci/run")


def _project_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in CHECKED:
        files.update(REPO_ROOT.rglob(pattern) if "*" in pattern else [REPO_ROOT / pattern])
    return sorted(
        path
        for path in files
        if path.is_file() and not SKIPPED & set(path.relative_to(REPO_ROOT).parts)
    )


def test_no_file_reaches_outside_the_project() -> None:
    this = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in _project_files()
        if path.resolve() != this
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_the_bot_api_method_list_ships_with_the_local_server() -> None:
    from local_bot_api.spec import BotApiSpec, default_spec_path

    path = default_spec_path()
    assert path.is_relative_to(REPO_ROOT / "local_bot_api")
    assert BotApiSpec.load(path).version == "Bot API 10.1"
