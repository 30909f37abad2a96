"""Linking a street group to an initiative, and unlinking it, in a private chat.

The group's "Link this group" button opens this chat (deep link ``group-<token>``) with the
question "which initiative?" (bot/views/group_private.py); its buttons are
``grp:<link|unlink|new>:<token>[:<initiative>]``. Only an initiator of the initiative who
is also an admin of the group links or unlinks it.

Who learns what: the code in the link is a random token (``link_token``), and every link
or button that names a group checks at the moment of use that the person is in the group
now (Telegram is asked, ``services.chat_directory``). Anyone else gets one kind answer
that does not even say whether the group exists (``not_for_you``).
"""

from __future__ import annotations

import logging

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain import group_rows, groups
from bot.domain.actions import valid_id
from bot.domain.authz import Hat, Permission, hats, may
from bot.domain.initiatives import get_initiative
from bot.domain.operations import link_group, unlink_group
from bot.i18n import N_
from bot.views.buttons import initiative_button, menu_button
from bot.views.entries import SHARE_IDEA
from bot.views.group_cards import GROUP_LINK, link_row, post_plan, texts_in
from bot.views.group_private import (
    NOT_IN_GROUP,
    ask_which_initiative,
    link_payload,
    not_for_you,
    unlink_payload,
)
from bot.views.routes import GroupLink, GroupNew, GroupUnlink
from bot.views.screens import show
from storage.models import GroupChat, Initiative

log = logging.getLogger(__name__)

# Telegram's statuses of someone in a group (restricted: in it, with fewer rights).
IN_GROUP = frozenset({"creator", "administrator", "member", "restricted"})
GROUP_ADMINS = frozenset({"creator", "administrator"})


async def group_link_opened(ctx: Ctx, code: str) -> None:
    """The deep link from the group's "Link this group" button."""
    found = await group_of_person(ctx, code)
    if found is None:
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await ask_which_initiative(ctx, found[0])


async def member_status(ctx: Ctx, group: GroupChat) -> str | None:
    """The person's status in the group, asked of Telegram now; None: it could not tell."""
    directory = ctx.services.chat_directory
    if directory is None:
        log.warning("no chat directory: cannot check the members of group %s", group.chat_id)
        return None
    try:
        return await directory.member_status(group.chat_id, ctx.person.telegram_id)
    except Exception:
        log.exception("could not ask Telegram about a member of group %s", group.chat_id)
        return None


async def group_of_person(ctx: Ctx, code: str) -> tuple[GroupChat, str] | None:
    """The group a link or button names, with the person's status there — only for someone
    in the group now (Telegram is asked), while the bot is in it too."""
    group = await groups.group_by_code(ctx.session, code, lock=True)
    status = await member_status(ctx, group) if group is not None and group.active else None
    if group is None or status not in IN_GROUP:
        not_for_you(ctx, NOT_IN_GROUP)
        return None
    return group, status


async def _chosen_group(ctx: Ctx, token: str) -> tuple[GroupChat, bool] | None:
    """The group a linking button names, when the person is in it (and whether they
    are one of its admins); otherwise they have been told why not."""
    found = await group_of_person(ctx, token)
    if found is None:
        return None
    group, status = found
    conv.leave_flow(ctx, keep_for_later=True)
    return group, status in GROUP_ADMINS


async def link_pressed(ctx: Ctx, press: GroupLink) -> None:
    if chosen := await _chosen_group(ctx, press.token):
        group, admin = chosen
        await link_chosen(ctx, group, valid_id(press.initiative_id), admin=admin)


async def unlink_pressed(ctx: Ctx, press: GroupUnlink) -> None:
    if chosen := await _chosen_group(ctx, press.token):
        group, admin = chosen
        await unlink_chosen(ctx, group, admin=admin)


async def new_pressed(ctx: Ctx, press: GroupNew) -> None:
    if chosen := await _chosen_group(ctx, press.token):
        await new_for_group(ctx, chosen[0])


async def allowed_to_link(
    ctx: Ctx,
    group: GroupChat,
    initiative: Initiative,
    again: str,
    *,
    admin: bool,
    unlink: bool = False,
) -> bool:
    """Initiator of the initiative and admin of the group; otherwise say kindly why not."""
    menu = [menu_button(ctx.texts)]
    worn = await hats(ctx.session, ctx.person, initiative)
    if Hat.INITIATOR not in worn:
        ctx.toast(ctx._("Sorry, that isn't possible for you."))
        msgid = (
            N_("Only an initiator of <b>{title}</b> can unlink its group chat.")
            if unlink
            else N_(
                "Only an initiator of <b>{title}</b> can link a group chat to it. "
                "Ask one of them to do it."
            )
        )
        ctx.say(ctx._(msgid, title=initiative.title), [menu])
        return False
    if not await may(ctx.session, ctx.person, Permission.LINK_GROUP, initiative, group_admin=admin):
        ctx.toast(ctx._("Sorry, that isn't possible for you."))
        ctx.say(
            ctx._(
                "Only an admin of the group <b>{group}</b> can do this, and you're not one. "
                "Ask an admin to make you an admin too, then tap the button again.",
                group=group.title,
            ),
            [[Button(ctx._("Try again"), again)], menu],
        )
        return False
    return True


async def link_chosen(
    ctx: Ctx, group: GroupChat, initiative_id: int | None, *, admin: bool
) -> None:
    session = ctx.session
    initiative = await get_initiative(session, initiative_id)
    menu = [menu_button(ctx.texts)]
    if initiative is None or not await may(
        session, ctx.person, Permission.VIEW_INITIATIVE, initiative
    ):
        # Not there, or not theirs to know of: the same answer.
        ctx.toast(ctx._("I can't find that."))
        ctx.say(ctx._("I can't find that initiative (any more)."), [menu])
        return
    if group.initiative_id == initiative.id:
        ctx.toast(ctx._("That was done already."))
        await ask_which_initiative(ctx, group)
        return
    if group.initiative_id is not None:
        other = await get_initiative(session, group.initiative_id)
        ctx.say(
            ctx._(
                "The group <b>{group}</b> already belongs to <b>{title}</b>. "
                "An initiator of that initiative can unlink it first.",
                group=group.title,
                title=other.title if other else "?",
            ),
            [menu],
        )
        return
    taken = await groups.group_of_initiative(session, initiative.id)
    if taken is not None:
        ctx.say(
            ctx._(
                "<b>{title}</b> already has a group chat: <b>{group}</b>. One group per "
                "initiative: unlink that one first.",
                title=initiative.title,
                group=taken.title,
            ),
            [menu],
        )
        return
    if not await allowed_to_link(
        ctx, group, initiative, link_payload(group, initiative.id), admin=admin
    ):
        return
    now = ctx.now()
    await link_group(session, group, initiative, ctx.person, now=now, emit=ctx.emit)
    texts = await texts_in(ctx, group)
    header = texts._("✅ This group now belongs to <b>{title}</b>!", title=initiative.title)
    await post_plan(ctx, group, initiative, texts, header=header)
    await group_rows.sync_initiative_rows(session, initiative.id or 0, now, ctx.services.policy)
    ctx.toast(ctx._("Linked."))
    show(
        ctx,
        ctx._(
            "Done: the group <b>{group}</b> now belongs to <b>{title}</b>. I told the group, "
            "with the plan. Neighbours there can now use /action, /poll and /plan.",
            group=group.title,
            title=initiative.title,
        ),
        [[initiative_button(ctx.texts, initiative.id or 0)], menu],
        edit=True,
    )


async def unlink_chosen(ctx: Ctx, group: GroupChat, *, admin: bool) -> None:
    initiative = await get_initiative(ctx.session, group.initiative_id)
    if initiative is None:
        ctx.toast(ctx._("That was done already."))
        await ask_which_initiative(ctx, group)
        return
    again = unlink_payload(group)
    if not await allowed_to_link(ctx, group, initiative, again, admin=admin, unlink=True):
        return
    texts = await texts_in(ctx, group)  # before the link (and its language) goes
    await unlink_group(ctx.session, group, ctx.person, emit=ctx.emit)
    ctx.say(
        texts._(
            "This group no longer belongs to <b>{title}</b>. An initiator can link it again "
            "with the button.",
            title=initiative.title,
        ),
        [link_row(texts, ctx.services, group)],
        chat_id=group.chat_id,
    )
    ctx.toast(ctx._("Unlinked."))
    show(
        ctx,
        ctx._(
            "Done: the group <b>{group}</b> no longer belongs to <b>{title}</b>.",
            group=group.title,
            title=initiative.title,
        ),
        [[menu_button(ctx.texts)]],
        edit=True,
    )


async def new_for_group(ctx: Ctx, group: GroupChat) -> None:
    if group.added_by_id == ctx.person.id:
        ctx.say(
            ctx._(
                "Nice! Let us start your initiative. When it's saved, I'll ask you whether "
                "to link the group <b>{group}</b> to it.",
                group=group.title,
            )
        )
    else:
        ctx.say(
            ctx._(
                "Nice! Let us start your initiative. When it's saved, open the link in the "
                "group <b>{group}</b> again to link it.",
                group=group.title,
            )
        )
    await ctx.open(SHARE_IDEA)


def register(registry: Registry) -> None:
    registry.on(GroupLink)(link_pressed)
    registry.on(GroupUnlink)(unlink_pressed)
    registry.on(GroupNew)(new_pressed)
    registry.deep_link(GROUP_LINK)(group_link_opened)
