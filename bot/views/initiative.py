"""What the initiative's screens share (the card's flows: bot/flows/initiative.py, idea,
invite, roles, coach_request, initiative_edit, members, share): the choice back to the
card (its button is in bot/views/buttons.py), the initiative a button or a flow names
(checked again), and the kind answers when it is gone or not the person's."""

from __future__ import annotations

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Choice, Next
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.views.buttons import BACK_TO_THE_INITIATIVE
from bot.views.entries import INITIATIVE_CARD
from storage.models import Initiative


async def allowed_initiative(
    ctx: Ctx, initiative_id: int | None, permission: Permission
) -> Initiative | None:
    """The initiative, if it exists and the person may do `permission` on it."""
    initiative = await get_initiative(ctx.session, initiative_id)
    if initiative is None or not await may(ctx.session, ctx.person, permission, initiative):
        return None
    return initiative


async def refuse_initiative(ctx: Ctx) -> None:
    """A button for an initiative that is gone or not the person's: kindly, with a way on."""
    ctx.toast(ctx._("That isn't available (any more)."))
    await conv.ask_current(
        ctx,
        before=ctx._(
            "I can't open that for you. The initiative may be gone, or it isn't yours to change."
        ),
    )


async def initiative_of_flow(ctx: Ctx, permission: Permission) -> Initiative | None:
    """In a flow started from a card: the initiative, checked again (things change)."""
    value = ctx.data.get("initiative_id")
    return await allowed_initiative(ctx, value if isinstance(value, int) else None, permission)


async def lost(ctx: Ctx) -> Next:
    """End a flow whose initiative is gone or no longer the person's to change."""
    await conv.advance(ctx, END)
    await conv.show_menu(
        ctx,
        intro=ctx._("I can't save that: the initiative is gone, or it isn't yours to change."),
    )
    return HANDLED


async def back_to_card(ctx: Ctx, _value: object) -> Next:
    """The 'Back to the initiative' choice inside a flow started from a card."""
    initiative = await initiative_of_flow(ctx, Permission.VIEW_INITIATIVE)
    await conv.advance(ctx, END)
    if initiative is None:
        await conv.show_menu(ctx)
    else:
        await ctx.open(INITIATIVE_CARD, initiative)
    return HANDLED


BACK = Choice("back", BACK_TO_THE_INITIATIVE, then=back_to_card)
