"""Short forms of button labels, for networks whose buttons hold few characters.

WhatsApp's reply buttons hold 20 characters and its list rows 24. A label from the catalogs
that is longer has a short form here: an English msgid of its own, translated like every
text (so each language has its own short form, in its own catalog). `short_label` finds
the short form of a label as shown, in whichever language it was rendered.
`tests/test_whatsapp_labels.py` checks that every label the journeys show fits, in every
language, and that every short form itself fits.
"""

from __future__ import annotations

from functools import cache

from bot.core.config import SUPPORTED_LANGUAGES
from bot.i18n import N_, texts_for

__all__ = ["BUTTON_LIMIT", "ROW_LIMIT", "SHORT", "short_label"]

BUTTON_LIMIT = 20
ROW_LIMIT = 24

# msgid of a label -> msgid of its short form.
SHORT: dict[str, str] = {
    "Back to the initiative": N_("To the initiative"),
    "Join an initiative": N_("Join one"),
    "Invitation text": N_("Invitation"),
    "How to find an organiser": N_("Find an organiser"),
    "Check my roles again": N_("Roles again"),
    "We have a plan to find them": N_("We have a plan"),
    "Go on without a group chat": N_("Without a group chat"),
    "Greener / climate adaptation": N_("Greener / climate"),
    "Omgevingswet participation": N_("Omgevingswet"),
    "Share in the group chat": N_("Share in the group"),
}


def _plain(text: str) -> str:
    from bot.core.adapt import plain  # the one definition of "a label as it is read"

    return " ".join(plain(text).split())


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for lang in SUPPORTED_LANGUAGES:
        texts = texts_for(lang)
        for long, short in SHORT.items():
            table.setdefault(_plain(texts._(long)), _plain(texts._(short)))
    return table


def short_label(label: str) -> str | None:
    """The short form of a label as rendered (in any language), or None."""
    return _table().get(" ".join(label.split()))
