"""One place per message and per button, kept by a test (issue 15, point 2).

The buttons many screens share are built in bot/views/buttons.py (the menu button in the
core, whose questions show it), paragraphs are put together by bot/views/text.py, and
text is shortened for a button or a list there too. Read from the source with `ast`, as
tests/test_layering.py reads the imports: a second builder of the same thing fails here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "scheduler", "storage", "web")

# Each shared label, as a string in the source: only where its one builder is.
SHARED_LABELS = {
    "Back to the menu": "bot/core/conversation.py",
    "Open the initiative": "bot/views/buttons.py",
    "Back to the initiative": "bot/views/buttons.py",
    "To the initiative": "bot/views/buttons.py",
    "Show the action": "bot/views/buttons.py",
    "I'm coming": "bot/views/buttons.py",
    "Maybe": "bot/views/buttons.py",
    "I can't come": "bot/views/buttons.py",
    "I can't come after all": "bot/views/buttons.py",
    "Add to my calendar": "bot/views/buttons.py",
    "My initiatives as a coach": "bot/views/coach.py",
    "Plan a meeting": "bot/views/buttons.py",
    "Plan an action": "bot/views/buttons.py",
    "Team & roles": "bot/views/buttons.py",
    "Ask my coach": "bot/views/buttons.py",
    "See the progress": "bot/views/buttons.py",
    "Not now": "bot/views/buttons.py",
    "🙋 Join the initiative": "bot/views/buttons.py",
}
# Where a label may also be named without building a button, and why.
NAMED = {
    ("Back to the initiative", "bot/core/labels.py"),  # its short form, for WhatsApp
    ("To the initiative", "bot/core/labels.py"),  # the short form itself
    ("Show the action", "bot/core/templates.py"),  # a registered WhatsApp template's button
    # Debt: the domain cannot import views; its celebration of a phase builds this button.
    ("See the progress", "bot/domain/phases.py"),
}
TEXT = "bot/views/text.py"
# Debt that may only shrink: modules below the views, which cannot import bot/views/text.py.
JOINS_BELOW_VIEWS = {
    "bot/core/conversation.py",  # the core's question under a remark, and the menu's intro
    "bot/domain/phases.py",  # the celebration of a phase says what the street achieved
    "bot/domain/programmes.py",  # the programme's line below a text
}
OWN_SHORTENERS = {"web/charts.py"}  # the web console's chart labels


def sources() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[path.relative_to(ROOT).as_posix()] = ast.parse(path.read_text())
    return found


def test_each_shared_label_is_built_in_one_place() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for name, tree in sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in SHARED_LABELS:
                seen[node.value].add(name)
    for label, home in SHARED_LABELS.items():
        others = {name for name in seen[label] if (label, name) not in NAMED}
        assert others == {home}, f"{label!r} is spelled in {sorted(others)}; use {home}"


def _joins_paragraphs(call: ast.Call) -> bool:
    """`Safe(f"{a}\\n\\n{b}")` or `Safe(f"{a}\\n\\n" + b)`: paragraphs put together by hand."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "Safe" and call.args):
        return False
    return any(
        isinstance(part, ast.JoinedStr)
        and any(isinstance(piece, ast.Constant) and "\n\n" in piece.value for piece in part.values)
        for part in ast.walk(call.args[0])
    )


def test_paragraphs_and_intros_are_put_together_in_bot_views_text() -> None:
    joining = {
        name
        for name, tree in sources().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _joins_paragraphs(node)
    }
    assert joining - JOINS_BELOW_VIEWS - {TEXT} == set(), "use paragraphs / with_intro"
    assert JOINS_BELOW_VIEWS <= joining, "paid off: remove it from JOINS_BELOW_VIEWS"


def test_text_is_shortened_in_one_place() -> None:
    """A shortener ends in `... + "…"`; bot/views/text.shorten is the one."""
    shortening = {
        name
        for name, tree in sources().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and isinstance(node.right, ast.Constant)
        and node.right.value == "…"
    }
    assert shortening - OWN_SHORTENERS == {TEXT}


def test_the_guard_sees_a_hand_made_join() -> None:
    for source in ('Safe(f"{intro}\\n\\n{text}")', 'Safe(f"{text}\\n\\n" + more)'):
        call = ast.parse(source).body[0]
        assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
        assert _joins_paragraphs(call.value)
    call = ast.parse('Safe(f"{line}\\n{more}")').body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert not _joins_paragraphs(call.value)
