"""The layers, and the direction of their imports, kept by a test.

From the bottom up (docs/architecture.md, "Layers"):

0. core — `bot/core/`, `bot/i18n/`, `storage/`, and the scheduler's plumbing (timing,
   pacing, shared limits, the outbox's rows, grouped marks): no network, no domain.
1. domain — `bot/domain/` and the scheduler's rules: initiatives, actions, groups,
   coaches, programmes; queries and writes, and the follow-ups they schedule.
2. views — `bot/views/` and the scheduler's renderers: what the bot shows.
3. flows — `bot/flows/`: the conversations. A flow imports no other flow; where one
   leads into another it opens an entry (`bot/views/entries.py`).
4. the edges — `bot/app.py`, `bot/assembly.py`, the command lines, `bot/runtimes/`,
   the scheduler's dispatcher and clock, `web/`: they assemble and drive the rest.

A module imports its own layer or those below it, with no exceptions: a flow that
needs something of another flow finds it in a view or the domain, or opens the other
flow's entry.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "scheduler", "storage", "web")

CORE, DOMAIN, VIEWS, FLOWS, EDGE = range(5)
NAMES = {CORE: "core", DOMAIN: "domain", VIEWS: "views", FLOWS: "flows", EDGE: "edge"}
SCHEDULER = {
    "scheduler": CORE,
    "scheduler.timing": CORE,
    "scheduler.pacing": CORE,
    "scheduler.shared_limits": CORE,
    "scheduler.outbox": CORE,
    "scheduler.grouped": CORE,
    "scheduler.rules": DOMAIN,
    "scheduler.messages": VIEWS,
}
# Command-line tools that live beside what they check.
TOOLS = {"bot.i18n.catalogs", "bot.i18n.fragment_tool"}  # the catalogs check reads the kits


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def layer(name: str) -> int | None:
    """The layer of a module of this project; None for anything else."""
    if name in TOOLS:
        return EDGE
    if name in SCHEDULER:
        return SCHEDULER[name]
    top = name.split(".")[0]
    if top == "storage" or name.startswith(("bot.core", "bot.i18n")):
        return CORE
    if name.startswith("bot.domain"):
        return DOMAIN
    if name.startswith("bot.views"):
        return VIEWS
    if name.startswith("bot.flows"):
        return FLOWS
    if top in PACKAGES:
        return EDGE
    return None


def imports(source: str, known: dict[str, Path]) -> set[str]:
    """Every module of this project that `source` imports, at the top or inside a function
    or `TYPE_CHECKING` (a type-only import is a dependency too)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
    return {name for name in found if layer(name) is not None}


def wrong_way(extra: dict[str, str] | None = None) -> set[tuple[str, str]]:
    """The imports that go up a layer, or from one flow to another; `extra` adds modules
    (name: source) to the walk."""
    known = modules()
    sources = {name: path.read_text() for name, path in known.items()} | (extra or {})
    found = set()
    for name, source in sources.items():
        own = layer(name)
        assert own is not None
        for target in imports(source, known):
            theirs = layer(target)
            assert theirs is not None
            if theirs > own:
                found.add((name, target))
            elif own == theirs == FLOWS and "bot.flows" not in (name, target):
                found.add((name, target))  # a flow importing another flow
    return found


def test_imports_go_down_the_layers() -> None:
    found = sorted(wrong_way())
    assert not found, "imports that go the wrong way (see this test's docstring):\n" + "\n".join(
        f"  {a} ({NAMES[layer(a) or 0]}) -> {b} ({NAMES[layer(b) or 0]})" for a, b in found
    )


def test_the_walk_finds_every_layer() -> None:
    names = modules()
    by_layer = {layer(name) for name in names}
    assert by_layer == {CORE, DOMAIN, VIEWS, FLOWS, EDGE}
    assert len(names) > 100


def test_the_check_catches_what_goes_the_wrong_way() -> None:
    probes = {
        "bot.flows._probe": "from bot.flows.idea import parse_title\nfrom bot.domain import kits\n",
        "bot.domain._probe": "def f():\n    from bot.views import cards\n",
        "bot.core._probe": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from bot.domain.groups import migrate\n",
    }
    found = {(a, b) for a, b in wrong_way(probes) if a.endswith("_probe")}
    assert found == {
        ("bot.flows._probe", "bot.flows.idea"),
        ("bot.domain._probe", "bot.views.cards"),
        ("bot.core._probe", "bot.domain.groups"),
    }
