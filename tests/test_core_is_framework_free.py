"""The core knows no messaging framework: only bot/runtimes/ may import one."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("aiogram", "telegram", "pywa", "pywa_async")
CORE = ("bot", "storage", "scheduler")


def core_modules() -> list[Path]:
    files = []
    for package in CORE:
        for path in (ROOT / package).rglob("*.py"):
            if "runtimes" in path.relative_to(ROOT).parts:
                continue
            files.append(path)
    return files


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_core_module_imports_a_framework() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & set(FRAMEWORKS))
        for path in core_modules()
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(offenders) > 10  # the walk really found the core


def test_importing_the_core_loads_no_framework() -> None:
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in core_modules()
        if "migrations" not in path.parts and path.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"
