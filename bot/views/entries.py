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


async def _follow_deep_link(ctx: Ctx, payload: str) -> None:
    """Where a deep link's payload (`join-<token>`, `act-<token>`, ...) leads, by the
    prefix a flow registered; the menu for one that is unknown (flows/basics.py)."""


async def _invitation(ctx: Ctx, initiative: Initiative | None, token: str) -> None:
    """An initiative's invitation as a neighbour opens it (through its link `token`); None,
    or a link switched off: "no longer valid" (flows/invite.py)."""


INITIATIVE_CARD = Entry("initiative.card", _initiative_card)
ASK_CONSENT = Entry("initiative.ask_consent", _ask_consent)
FOLLOW_DEEP_LINK = Entry("basics.follow_deep_link", _follow_deep_link)
INVITATION = Entry("invite.invitation", _invitation)


def declared() -> list[Entry[...]]:
    """Every entry declared here: each must have a provider (bot.app.build_registry)."""
    return [value for value in globals().values() if isinstance(value, Entry)]


# --- actions ---------------------------------------------------------------------------------


async def _plan_action(
    ctx: Ctx, initiative: Initiative, kind: str, kit_id: str | None = None
) -> None:
    """Plan a meeting or an action (`kind`: an `ActionKind`) for this initiative, with the
    kit's title and checklist when `kit_id` is given; the caller checked Permission.PLAN_ACTION
    (flows/plan.py)."""


PLANNING = Entry("plan.start", _plan_action)


async def _share_idea(ctx: Ctx) -> None:
    """Start sharing an idea: the idea flow, after asking consent (flows/idea.py)."""


SHARE_IDEA = Entry("idea.share", _share_idea)
