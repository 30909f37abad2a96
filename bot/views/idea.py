"""What an idea's answers must look like: the idea flow asks them (bot/flows/idea.py), an
initiator changes them later (bot/flows/initiative_edit.py)."""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.flow import Invalid
from bot.i18n import N_

TITLE_MAX = 80


def has_letters(text: str) -> bool:
    return any(char.isalpha() for char in text)


def parse_what(_ctx: Ctx, text: str) -> str:
    if not has_letters(text) or text.startswith("/"):
        raise Invalid(N_("Tell me in words what you would like to do."))
    return text


def parse_place(_ctx: Ctx, text: str) -> str:
    place = " ".join(text.split())
    if not has_letters(place) or place.startswith("/"):
        raise Invalid(N_("Type the name of the street or neighbourhood, like Lindelaan."))
    return place


def parse_title(_ctx: Ctx, text: str) -> str:
    title = " ".join(text.split())
    if not has_letters(title) or title.startswith("/"):
        raise Invalid(N_("A title needs a few words. What shall we call it?"))
    return title
