"""The entries into flows that other flows open (the mechanism: bot/core/entries.py).

Each is a name and a signature. The flow named in its docstring provides it, in its
`register(registry)`; a flow that leads there writes `await ctx.open(ENTRY, ...)`
instead of importing that flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.entries import Entry
from storage.models import Initiative

if TYPE_CHECKING:
    from bot.core.context import Ctx


async def _initiative_card(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    """The initiative's card with the buttons this person may use (flows/initiative.py)."""


async def _ask_consent(ctx: Ctx, reason: str, link: str | None = None) -> None:
    """Why this needs the person's name stored, and a button to allow it; `link` is the
    deep link to follow once they do (flows/initiative.py)."""


INITIATIVE_CARD = Entry("initiative.card", _initiative_card)
ASK_CONSENT = Entry("initiative.ask_consent", _ask_consent)


def declared() -> list[Entry[...]]:
    """Every entry declared here: each must have a provider (bot.app.build_registry)."""
    return [value for value in globals().values() if isinstance(value, Entry)]


async def _share_idea(ctx: Ctx) -> None:
    """Start sharing an idea: the idea flow, after asking consent (flows/idea.py)."""


SHARE_IDEA = Entry("idea.share", _share_idea)
