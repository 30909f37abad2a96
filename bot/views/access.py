"""What a button names, loaded for the person pressing it: the action or initiative when
they may do this with it, and otherwise the kind answer why not (who may do what is
decided in bot/domain/authz.py)."""

from __future__ import annotations

from bot.core.context import Ctx
from bot.domain.actions import get_action, valid_id
from bot.domain.authz import Permission, allowed, hats, may
from bot.domain.initiatives import get_initiative
from bot.i18n import N_
from bot.views.screens import kindly
from storage.models import Action, Initiative

REFUSALS = {
    Permission.VIEW_INITIATIVE: N_("This belongs to an initiative you're not a member of."),
    Permission.PLAN_ACTION: N_("Only the people who organise this initiative can do that."),
    Permission.DIVIDE_TASKS: N_("Only the people who organise this initiative can do that."),
    Permission.CANCEL_ACTION: N_("Only the initiators of this initiative can do that."),
    Permission.SEE_RSVP_NAMES: N_("Only the initiators of this initiative can see who is coming."),
    Permission.REVIEW_ACTION: N_("Only the initiators of this initiative can do that."),
    Permission.RSVP: N_(
        "This invitation is for the members of the initiative that planned it. "
        "Would you like to join? Ask the neighbour who sent it to you for the invitation link."
    ),
}


async def refuse(ctx: Ctx, permission: Permission) -> None:
    ctx.toast(ctx._("Sorry, that isn't possible for you."))
    await kindly(ctx, ctx._(REFUSALS.get(permission, REFUSALS[Permission.PLAN_ACTION])))


async def not_found(ctx: Ctx) -> None:
    ctx.toast(ctx._("I can't find that."))
    await kindly(ctx, ctx._("I can't find that meeting or action (any more)."))


async def load_action(
    ctx: Ctx, action_id: int | None, permission: Permission, *, lock: bool = False
) -> tuple[Action, Initiative] | None:
    """The action and its initiative when the person may do this with it; otherwise a kind
    answer has been given and the result is None. ``lock`` (to change it) holds the row
    on PostgreSQL until the update is done, so two organisers never overwrite each other."""
    action = await get_action(ctx.session, action_id, lock=lock)
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    if action is None or initiative is None:
        await not_found(ctx)
        return None
    if not await may(ctx.session, ctx.person, permission, initiative):
        await refuse(ctx, permission)
        return None
    return action, initiative


async def load_initiative(
    ctx: Ctx, initiative_id: int | None, permission: Permission
) -> Initiative | None:
    initiative = await get_initiative(ctx.session, valid_id(initiative_id))
    if initiative is None:
        ctx.toast(ctx._("I can't find that."))
        await kindly(ctx, ctx._("I can't find that initiative (any more)."))
        return None
    if not await may(ctx.session, ctx.person, permission, initiative):
        await refuse(ctx, permission)
        return None
    return initiative


async def granted(ctx: Ctx, initiative: Initiative) -> set[Permission]:
    """What the person may do with this initiative (to choose which buttons to show),
    from the one authorisation table in bot/domain/authz.py."""
    worn = await hats(ctx.session, ctx.person, initiative)
    return {permission for permission in Permission if allowed(permission, worn)}
