"""The "show my name" toggle, in a private chat: whether a neighbour's name is on the
action card in their street group, or they are only counted.

The card's "Show my name" button opens this chat (deep link ``gname-<token>``); the
toggle is ``gname:<action_id>:<0|1>``. An action's link or button opens only for who
answered on its card or may see its initiative; anyone else gets one kind answer that
does not even say whether the action exists (``not_for_you``).
"""

from __future__ import annotations

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain import group_rows, groups
from bot.domain.actions import answer_of, get_action, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.i18n import Safe
from bot.views.buttons import menu_button
from bot.views.entries import ASK_CONSENT
from bot.views.group_cards import NAME_LINK, refresh_cards, texts_in
from bot.views.group_private import NOT_ANSWERED, not_for_you
from bot.views.routes import ShowName
from bot.views.screens import show
from storage.models import Action, GroupChat


async def may_see_action(ctx: Ctx, action: Action) -> bool:
    """Who answered on its card, or may see its initiative; nobody else hears of it."""
    if await answer_of(ctx.session, action.id or 0, ctx.person.id or 0) is not None:
        return True
    initiative = await get_initiative(ctx.session, action.initiative_id)
    return initiative is not None and await may(
        ctx.session, ctx.person, Permission.VIEW_INITIATIVE, initiative
    )


async def _action_in_group(ctx: Ctx, action: Action | None) -> tuple[Action, GroupChat] | None:
    if action is None or not await may_see_action(ctx, action):
        not_for_you(ctx, NOT_ANSWERED)
        return None
    group = await groups.group_of_initiative(ctx.session, action.initiative_id)
    if group is None:
        ctx.toast(ctx._("I can't find that."))
        ctx.say(
            ctx._("I can't find that action in a street group (any more)."),
            [[menu_button(ctx.texts)]],
        )
        return None
    return action, group


async def _ask_consent(ctx: Ctx, action: Action) -> None:
    await ctx.open(
        ASK_CONSENT,
        ctx._("You want your name on the card of <b>{title}</b> in the group.", title=action.title),
        link=f"{NAME_LINK}-{action.link_token}",
    )


async def name_link_opened(ctx: Ctx, rest: str) -> None:
    """The deep link from a card's "Show my name" button."""
    found = await _action_in_group(ctx, await groups.action_by_code(ctx.session, rest))
    if found is None:
        return
    action, group = found
    conv.leave_flow(ctx, keep_for_later=True)
    if ctx.person.consented_at is None:
        await _ask_consent(ctx, action)
        return
    await show_name_question(ctx, action, group)


async def show_name_question(
    ctx: Ctx, action: Action, group: GroupChat, *, edit: bool = False
) -> None:
    answered = await answer_of(ctx.session, action.id or 0, ctx.person.id or 0)
    menu = [menu_button(ctx.texts)]
    if answered is None:
        ctx.say(
            ctx._(
                "You haven't answered for <b>{title}</b> yet. Tap your answer on the card in "
                "the group <b>{group}</b> first, then open this again.",
                title=action.title,
                group=group.title,
            ),
            [menu],
        )
        return
    if answered.show_name:
        state = ctx._(
            "Your name is shown on the card in <b>{group}</b> when you're coming.",
            group=group.title,
        )
        button = Button(ctx._("Only count me"), ShowName(action.id or 0, False).pack())
    else:
        state = ctx._(
            "On the card in <b>{group}</b> you're only counted: your name isn't shown.",
            group=group.title,
        )
        button = Button(ctx._("Show my name"), ShowName(action.id or 0, True).pack())
    text = Safe(ctx._("<b>Your name on the card of {title}</b>", title=action.title) + "\n" + state)
    show(ctx, text, [[button], menu], edit=edit)


async def name_pressed(ctx: Ctx, press: ShowName) -> None:
    found = await _action_in_group(ctx, await get_action(ctx.session, valid_id(press.action_id)))
    if found is None:
        return
    action, group = found
    if ctx.person.consented_at is None:
        await _ask_consent(ctx, action)
        return
    answered = await answer_of(ctx.session, action.id or 0, ctx.person.id or 0)
    want = press.show
    if answered is not None and answered.show_name != want:
        answered.show_name = want
        initiative = await get_initiative(ctx.session, action.initiative_id)
        if initiative is not None:
            texts = await texts_in(ctx, group)
            ctx.out.extend(
                await refresh_cards(
                    ctx.session,
                    group,
                    action,
                    initiative,
                    texts,
                    now=ctx.now(),
                    services=ctx.services,
                )
            )
            group_rows.mark_fresh(ctx.session, action.id or 0)
    if answered is not None:
        ctx.toast(ctx._("Your name is shown.") if want else ctx._("You're only counted."))
    await show_name_question(ctx, action, group, edit=True)


def register(registry: Registry) -> None:
    registry.on(ShowName)(name_pressed)
    registry.deep_link(NAME_LINK)(name_link_opened)
