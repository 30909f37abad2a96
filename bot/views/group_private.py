"""What a person reads about a street group in their own chat: the question "which
initiative does this group belong to?", the buttons that link or unlink it, and the one
answer to a link or button that is not for them.

The buttons are ``grp:<link|unlink|new>:<token>[:<initiative>]`` (bot/flows/group_link.py).
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.seam import Button
from bot.domain.initiatives import get_initiative, initiatives_of
from bot.i18n import N_
from bot.views.buttons import initiative_button, menu_button
from bot.views.routes import GroupLink, GroupNew, GroupUnlink
from bot.views.text import shorten, with_intro
from storage.models import GroupChat, MemberRole

# The answers to a link or button that is not for the person (not_for_you): the same
# whether what it names exists or not.
NOT_IN_GROUP = N_(
    "I can't open this for you. It works only for people in that group, and only while "
    "I'm in it. Are you in the group? Then try again in a minute."
)
NOT_ANSWERED = N_(
    "I can't open this for you. It works for neighbours who answered on the action card "
    "in their group. Not answered yet? Tap your answer on the card first, then open this "
    "again."
)


def link_payload(group: GroupChat, initiative_id: int | None) -> str:
    """The button that links the group to the initiative."""
    return GroupLink(group.link_token, initiative_id).pack()


def unlink_payload(group: GroupChat) -> str:
    return GroupUnlink(group.link_token).pack()


def new_payload(group: GroupChat) -> str:
    """Start a new initiative, to link the group to once it is saved."""
    return GroupNew(group.link_token).pack()


async def ask_which_initiative(
    ctx: Ctx, group: GroupChat, *, chat_id: int | None = None, intro: str | None = None
) -> None:
    """Which initiative does this group belong to? (Or: it belongs to X — unlink?)"""
    person = ctx.person
    mine = [
        initiative
        for initiative, member in await initiatives_of(ctx.session, person.id or 0)
        if member.role is MemberRole.INITIATOR
    ][: ctx.services.policy.list_max]
    linked = await get_initiative(ctx.session, group.initiative_id)
    rows: list[list[Button]] = []
    if linked is not None:
        text = ctx._(
            "The group <b>{group}</b> belongs to <b>{title}</b>.",
            group=group.title,
            title=linked.title,
        )
        if any(initiative.id == linked.id for initiative in mine):
            rows.append([Button(ctx._("Unlink this group"), unlink_payload(group))])
            rows.append([initiative_button(ctx.texts, linked.id or 0)])
    elif mine:
        text = ctx._(
            "Which initiative does the group <b>{group}</b> belong to? Only an initiator who "
            "is also an admin of the group can link it.",
            group=group.title,
        )
        rows += [
            [Button(shorten(initiative.title), link_payload(group, initiative.id))]
            for initiative in mine
        ]
        rows.append([Button(ctx._("Start a new initiative"), new_payload(group))])
    else:
        text = ctx._(
            "The group <b>{group}</b> doesn't belong to an initiative yet. An initiator links "
            "it to their initiative. You haven't started one yet: shall we start one now?",
            group=group.title,
        )
        rows.append([Button(ctx._("Start a new initiative"), new_payload(group))])
    rows.append([menu_button(ctx.texts)])
    ctx.say(with_intro(intro, text), rows, chat_id=chat_id)


def not_for_you(ctx: Ctx, msgid: str) -> None:
    """The one answer to a link or button that is not for this person: the same whether
    the thing exists or not, so that it tells nothing about it."""
    ctx.toast(ctx._("Sorry, I can't open that for you."))
    ctx.say(ctx._(msgid), [[menu_button(ctx.texts)]])
