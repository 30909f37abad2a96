"""Small things every message does with text: shorten a title for a button or a list,
turn a translated text into plain text (a button label), put paragraphs together and an
intro above a screen."""

from __future__ import annotations

import html

from bot.i18n import Safe


def shorten(text: str, limit: int = 40, *, one_line: bool = True) -> str:
    """At most `limit` characters, cut with "…" when longer; on one line (for a button or
    a list) unless `one_line` is False (a quote keeps its lines)."""
    if one_line:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def unescaped(text: str) -> str:
    """A translated text with values, as plain text: a button label, or a field whose
    template escapes it once (a Sheet). Neither is HTML, so the escaping that protects
    messages must not show in them."""
    return html.unescape(text)


def paragraphs(*parts: str) -> Safe:
    """Parts of a message (catalog texts, or texts already escaped), a blank line between."""
    return Safe("\n\n".join(parts))


def with_intro(intro: str | None, text: str) -> Safe:
    """The screen with a line above it (what just happened), or the screen alone."""
    return paragraphs(intro, text) if intro else Safe(text)
