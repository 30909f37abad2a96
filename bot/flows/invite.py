"""Recruiting (activeren): the invitation link and a ready-to-forward invitation,
switching the link off or making a new one, and joining — via the link, by
pasting it, or by choosing an open initiative in one's own postcode area.

The bot never messages neighbours itself: an initiator forwards the invitation,
and a neighbour hears from the bot only after they opened it.
"""

from __future__ import annotations

import re
from enum import StrEnum

from sqlmodel import col, select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import InviteRenewed, InviteRevoked, MemberJoined
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer, verbatim
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.authz import Permission, may
from bot.domain.initiatives import (
    by_invite_token,
    get_initiative,
    initiators,
    membership,
    new_invite_token,
)
from bot.domain.phases import check_progress, progress_line
from bot.domain.places import area_of, postcode_of
from bot.i18n import N_, Safe, texts_for
from bot.views.buttons import (
    BACK_TO_THE_INITIATIVE,
    OPEN_THE_INITIATIVE,
    initiative_button,
    menu_button,
    not_now_button,
)
from bot.views.card_press import on_card, on_initiative
from bot.views.entries import ASK_CONSENT, INITIATIVE_CARD, INVITATION, SHARE_IDEA
from bot.views.initiative import refuse_initiative
from bot.views.invitation import LINK_PREFIX, invite_link
from bot.views.routes import IniInvite, IniJoin, IniRenew, IniRevoke, IniShare, MenuChoice
from bot.views.text import paragraphs, shorten, with_intro
from storage.models import Initiative, MemberRole, Membership, Phase

NEARBY_MAX = 5
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
TOKEN_IN_LINK = re.compile(r"join-([A-Za-z0-9_-]{8,32})(?![A-Za-z0-9_-])")
JOIN_KINDS = {"team": MemberRole.TEAM, "follow": MemberRole.FOLLOWER}


# --- the initiator's side ---------------------------------------------------------------


def invitation_text(ctx: Ctx, initiative: Initiative, link: str) -> Safe:
    """The invitation to forward, in the inviter's language, as neighbours will read it."""
    return ctx._(
        "Hi neighbour! 👋\n\n"
        "I'm {name}, and I'm starting something in {place}: <b>{title}</b>.\n"
        "{what}\n\n"
        "Would you like to help, or just stay informed? Open this link and tap Start. "
        "Buurbot, a chat assistant, then needs only two taps: your name, and whether "
        "you'd like to help or follow.\n"
        "{link}",
        name=ctx.person.display_name,
        place=initiative.place,
        title=initiative.title,
        what=initiative.what,
        link=link,
    )


async def show_invite(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    may_revoke = await may(ctx.session, ctx.person, Permission.REVOKE_INVITE, initiative)
    if not initiative.invite_active:
        rows: list[list[Button]] = []
        if may_revoke:
            rows.append([Button(ctx._("Make a new link"), IniRenew(initiative.id or 0).pack())])
        rows.append(
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ]
        )
        text = ctx._(
            "The invitation link of <b>{title}</b> is switched off. Nobody can join with it now.",
            title=initiative.title,
        )
        if not may_revoke:
            text = Safe(text + "\n" + ctx._("An initiator can make a new link."))
        ctx.say(with_intro(intro, text), rows)
        return
    link = invite_link(ctx, initiative)
    # First the invitation itself: a message to forward as it is, with its own button.
    ctx.say(
        invitation_text(ctx, initiative, link),
        [[Button(ctx._("Open the invitation"), url=link)]],
    )
    text = ctx._(
        "Forward the message above to neighbours, in a chat or in your street's group. "
        "Or copy this link:\n{link}\n\n"
        "Tip: a personal word works best. Ask neighbours you know, and tell them why "
        "you would like them to join.",
        link=link,
    )
    rows = []
    if ctx.services.settings.whatsapp_number:  # a card for the street's WhatsApp group
        rows.append([Button(ctx._("Share in the group chat"), IniShare(initiative.id or 0).pack())])
    if may_revoke:
        rows.append(
            [
                Button(ctx._("Switch the link off"), IniRevoke(initiative.id or 0).pack()),
                Button(ctx._("Make a new link"), IniRenew(initiative.id or 0).pack()),
            ]
        )
    rows.append(
        [
            initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
            menu_button(ctx.texts),
        ]
    )
    ctx.say(with_intro(intro, text), rows)


async def invite_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniInvite) -> None:
    assert initiative is not None
    await show_invite(ctx, initiative)


async def revoke_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniRevoke) -> None:
    assert initiative is not None
    if initiative.invite_active:
        initiative.invite_active = False
        ctx.emit(InviteRevoked(initiative.id or 0, ctx.person.id))
    ctx.say(
        ctx._(
            "Done: the link is switched off. Whoever opens it now reads that the "
            "invitation is no longer valid. Members stay members."
        ),
        [
            [Button(ctx._("Make a new link"), IniRenew(initiative.id or 0).pack())],
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ],
        ],
    )


async def renew_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniRenew) -> None:
    assert initiative is not None
    initiative.invite_token = new_invite_token()
    initiative.invite_active = True
    ctx.emit(InviteRenewed(initiative.id or 0, ctx.person.id))
    await show_invite(
        ctx,
        initiative,
        intro=ctx._("Here's a new link. The old link no longer works."),
    )


# --- the neighbour's side ---------------------------------------------------------------


async def invalid_invitation(ctx: Ctx) -> None:
    conv.leave_flow(ctx, keep_for_later=True)
    ctx.say(
        ctx._("This invitation is no longer valid. Ask the neighbour who sent it for a new link."),
        [
            [Button(ctx._("Join an initiative"), MenuChoice("join").pack())],
            [menu_button(ctx.texts)],
        ],
    )


async def starters(ctx: Ctx, initiative: Initiative) -> str:
    names = [
        resident.display_name for resident in await initiators(ctx.session, initiative.id or 0)
    ]
    return ", ".join(names) if names else "–"


async def show_invitation(ctx: Ctx, initiative: Initiative) -> None:
    """What a neighbour sees when they open an invitation: the idea, and two choices."""
    from bot.domain.programmes import with_programme  # the programme it is part of, if any

    token = initiative.invite_token
    ctx.say(
        await with_programme(
            ctx.session,
            initiative,
            ctx.now(),
            ctx.texts.tz,
            ctx._(
                "You're invited to join <b>{title}</b>.\n\n"
                "{what}\n"
                "<b>Where:</b> {place}\n"
                "<b>Started by:</b> {starter}\n\n"
                "What would you like?\n"
                "• <b>Join the team</b>: you help to organise it.\n"
                "• <b>Just follow</b>: you hear about meetings and actions, "
                "and you can say if you come.",
                starter=await starters(ctx, initiative),
                title=initiative.title,
                what=initiative.what,
                place=initiative.place,
            ),
        ),
        [
            [
                Button(ctx._("Join the team"), IniJoin("team", token).pack()),
                Button(ctx._("Just follow"), IniJoin("follow", token).pack()),
            ],
            [not_now_button(ctx.texts)],
        ],
    )


async def already_in(ctx: Ctx, initiative: Initiative) -> None:
    await ctx.open(
        INITIATIVE_CARD,
        initiative,
        intro=ctx._("You're already in <b>{title}</b>. Here it is.", title=initiative.title),
    )


async def open_invitation(ctx: Ctx, initiative: Initiative | None, token: str) -> None:
    """The shared way in: from the deep link, a pasted link, or a nearby initiative."""
    if initiative is None or not initiative.invite_active:
        await invalid_invitation(ctx)
        return
    conv.leave_flow(ctx, keep_for_later=True)
    if ctx.person.consented_at is None:
        await ctx.open(
            ASK_CONSENT,
            ctx._("You have been invited to <b>{title}</b>.", title=initiative.title),
            link=f"{LINK_PREFIX}-{token}",
        )
        return
    if await membership(ctx.session, initiative.id or 0, ctx.person.id or 0) is not None:
        await already_in(ctx, initiative)
        return
    await show_invitation(ctx, initiative)


async def deep_link_opened(ctx: Ctx, token: str) -> None:
    if not TOKEN.match(token):
        await invalid_invitation(ctx)
        return
    await open_invitation(ctx, await by_invite_token(ctx.session, token), token)


def joined_notice(
    initiator_lang: str,
    timezone: str,
    name: str,
    initiative: Initiative,
    role: MemberRole,
    reached: list[Phase],
) -> tuple[Safe, list[list[Button]]]:
    """What each initiator reads in their own chat, in their own language."""
    texts = texts_for(initiator_lang, timezone)
    if role is MemberRole.TEAM:
        text = texts._(
            "🎉 Good news: {name} joined the team of <b>{title}</b>!",
            name=name,
            title=initiative.title,
        )
    else:
        text = texts._(
            "{name} now follows <b>{title}</b> and will hear about your actions.",
            name=name,
            title=initiative.title,
        )
    if reached:
        text = Safe(
            text
            + "\n\n"
            + texts._(
                "Your initiative reached a new phase:\n<b>{line}</b>",
                line=progress_line(texts, reached[-1]),
            )
        )
    return text, [[initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)]]


async def join_pressed(ctx: Ctx, press: IniJoin) -> None:
    role = JOIN_KINDS.get(press.kind)
    token = press.token
    if role is None or not TOKEN.match(token):
        await refuse_initiative(ctx)
        return
    initiative = await by_invite_token(ctx.session, token)
    if initiative is None or not initiative.invite_active:
        await invalid_invitation(ctx)
        return
    person = ctx.person
    if person.consented_at is None or person.id is None:
        await ctx.open(
            ASK_CONSENT,
            ctx._("You have been invited to <b>{title}</b>.", title=initiative.title),
            link=f"{LINK_PREFIX}-{token}",
        )
        return
    if await membership(ctx.session, initiative.id or 0, person.id) is not None:
        await already_in(ctx, initiative)
        return
    founders = await initiators(ctx.session, initiative.id or 0)
    invited_by = founders[0].id if founders else None
    now = ctx.now()
    ctx.session.add(
        Membership(
            initiative_id=initiative.id or 0,
            resident_id=person.id,
            role=role,
            invited_by_id=invited_by,
            joined_at=now,
        )
    )
    ctx.emit(MemberJoined(initiative.id or 0, person.id, role, invited_by))
    if role is MemberRole.TEAM:
        welcome = ctx._(
            "Welcome to the team of <b>{title}</b>! The initiators know you joined.",
            title=initiative.title,
        )
    else:
        welcome = ctx._(
            "You now follow <b>{title}</b>. You will hear about meetings and actions.",
            title=initiative.title,
        )
    ctx.say(welcome)
    reached = await check_progress(ctx, initiative)
    for founder in founders:
        # The inviter hears it through the scheduler (quiet hours respected).
        if founder.id in (person.id, invited_by) or not founder.reachable:
            continue
        text, rows = joined_notice(
            founder.language, founder.timezone, person.display_name, initiative, role, reached
        )
        ctx.say(text, rows, chat_id=founder.telegram_id)
    await ctx.open(INITIATIVE_CARD, initiative)


# --- joining from the menu --------------------------------------------------------------


class Step(StrEnum):
    CODE = "code"


POSTCODE_ANSWER = "postcode:"


def parse_code(_ctx: Ctx, text: str) -> str:
    typed = text.strip()
    postcode = postcode_of(typed)
    if postcode:
        return POSTCODE_ANSWER + postcode
    found = TOKEN_IN_LINK.search(typed)
    if found:
        return found.group(1)
    if TOKEN.match(typed):
        return typed
    raise Invalid(
        N_(
            "That isn't an invitation link or code. A link looks like "
            "https://t.me/…?start=join-… Paste it just as you got it. "
            "Or type your postcode, like 1234 AB, to see initiatives near you."
        )
    )


async def nearby(ctx: Ctx) -> list[Initiative]:
    """Open initiatives in the person's postcode area that they are not in yet."""
    area = area_of(ctx.person)
    if area is None:
        return []
    mine = select(Membership.initiative_id).where(Membership.resident_id == ctx.person.id)
    result = await ctx.session.execute(
        select(Initiative)
        .where(
            Initiative.postcode_area == area,
            col(Initiative.invite_active).is_(True),
            col(Initiative.id).not_in(mine),
        )
        .order_by(col(Initiative.last_activity_at).desc(), col(Initiative.id).desc())
        .limit(NEARBY_MAX)
    )
    return list(result.scalars().all())


async def in_area(ctx: Ctx, area: str) -> bool:
    """Whether the person is in an initiative of this postcode area."""
    result = await ctx.session.execute(
        select(Membership.id)
        .join(Initiative, col(Initiative.id) == col(Membership.initiative_id))
        .where(Membership.resident_id == ctx.person.id, Initiative.postcode_area == area)
        .limit(1)
    )
    return result.first() is not None


async def code_choices(ctx: Ctx) -> list[Choice]:
    found = await nearby(ctx)
    if not found and area_of(ctx.person) is not None:
        # "Perhaps you can start one yourself?" comes with the way to do it.
        return [Choice("idea", N_("Share an idea"), then=start_one)]
    return [
        Choice(f"n{each.id}", verbatim(shorten(each.title)), value=each.id, then=chosen)
        for each in found
    ]


async def start_one(ctx: Ctx, _value: object) -> Next:
    await conv.advance(ctx, END)
    await ctx.open(SHARE_IDEA)
    return HANDLED


async def say_code(ctx: Ctx) -> Safe:
    question = ctx._(
        "Did you get an invitation? Paste the link or the code here.",
    )
    area = area_of(ctx.person)
    if area is None:
        # Asked here, where it helps, not when joining: the postcode is the person's choice.
        return Safe(
            question
            + "\n\n"
            + ctx._(
                "Or type your postcode, like 1234 AB or only the 4 digits. Then I'll show "
                "open initiatives near you, and I'll remember it for next time."
            )
        )
    if await nearby(ctx):
        extra = ctx._("Or choose an open initiative near you, in {area}:", area=area)
    elif await in_area(ctx, area):  # not "none here": the person's own are there
        extra = ctx._(
            "You're in every open initiative in {area} already. "
            "Perhaps you can start another one yourself?",
            area=area,
        )
    else:
        extra = ctx._(
            "I found no open initiatives in {area} yet. Perhaps you can start one yourself?",
            area=area,
        )
    return paragraphs(question, extra)


async def pasted(ctx: Ctx, token: str) -> Next:
    if token.startswith(POSTCODE_ANSWER):
        ctx.person.postcode = token[len(POSTCODE_ANSWER) :]
        await conv.ask_current(
            ctx,
            before=ctx._("Thanks! I've noted {postcode}.", postcode=ctx.person.postcode),
        )
        return HANDLED
    initiative = await by_invite_token(ctx.session, token)
    if initiative is None or not initiative.invite_active:
        await conv.ask_current(
            ctx,
            before=ctx._(
                "I don't know that invitation, or it's no longer valid. "
                "Ask the neighbour who sent it for a new link."
            ),
        )
        return HANDLED
    await conv.advance(ctx, END)
    await open_invitation(ctx, initiative, token)
    return HANDLED


async def chosen(ctx: Ctx, initiative_id: int) -> Next:
    initiative = await get_initiative(ctx.session, initiative_id)
    await conv.advance(ctx, END)
    if initiative is None or not initiative.invite_active:
        await invalid_invitation(ctx)
        return HANDLED
    await open_invitation(ctx, initiative, initiative.invite_token)
    return HANDLED


join_flow = Flow(
    "ini_join",
    [
        Ask(
            Step.CODE,
            say=say_code,
            choices=code_choices,
            text=TextAnswer(parse=parse_code, max_length=300, takes_links=True),
            then=pasted,
        )
    ],
)


async def join_menu(ctx: Ctx) -> None:
    if ctx.person.consented_at is None:
        await ctx.open(ASK_CONSENT, ctx._("Nice that you want to join an initiative!"))
        return
    await conv.start_flow(ctx, join_flow.name)


def register(registry: Registry) -> None:
    registry.provide(INVITATION)(open_invitation)
    registry.on(IniInvite)(on_initiative(Permission.INVITE)(invite_pressed))
    registry.on(IniRevoke)(on_initiative(Permission.REVOKE_INVITE)(revoke_pressed))
    registry.on(IniRenew)(on_initiative(Permission.REVOKE_INVITE)(renew_pressed))
    registry.on(IniJoin)(on_card(join_pressed))
    registry.deep_link(LINK_PREFIX)(deep_link_opened)
    registry.add_flow(join_flow)
    registry.menu_entry("join", N_("Join an initiative"), order=20)(join_menu)
