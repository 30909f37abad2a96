"""Small things every message does with text: shorten a title for a button or a list,
turn a translated text into a button label, and put an intro above a screen."""

from __future__ import annotations

import html

from bot.i18n import Safe


def shorten(text: str, limit: int = 40) -> str:
    """On one line, and at most `limit` characters: cut with "…" when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def button_label(text: str) -> str:
    """A translated text with values, as a button label: labels are plain text, not HTML,
    so the escaping that protects messages must not show in them."""
    return html.unescape(text)


def with_intro(intro: str | None, text: str) -> Safe:
    """The screen with a line above it (what just happened), or the screen alone."""
    return Safe(f"{intro}\n\n{text}") if intro else Safe(text)
