"""Who is in an initiative, and moving between its roles: the everyday controls.

- An initiator sees every member (followers too), invites a follower into the team, makes a
  team member a second initiator, and hands their own role over.
- A follower asks to join the team; the initiators answer with one tap.
- Anyone leaves from the card: a follower stops following, a team member leaves the team;
  the last initiator first hands the role over, so an initiative is never left without one.

Every button names the initiative and the person it is about; both are checked again when
it is pressed (rights change, people leave), and the person it is about is told.
"""

from __future__ import annotations

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import MemberLeft, MemberRoleChanged
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.authz import Permission
from bot.domain.initiatives import initiators, members, membership
from bot.domain.phases import check_progress
from bot.i18n import N_, Safe, Texts
from bot.views.buttons import (
    BACK_TO_THE_INITIATIVE,
    OPEN_THE_INITIATIVE,
    initiative_button,
    menu_button,
)
from bot.views.card_press import on_initiative
from bot.views.entries import INITIATIVE_CARD
from bot.views.routes import (
    IniAskTeam,
    IniCard,
    IniGiveRole,
    IniLeave,
    IniLeaveConfirmed,
    IniMembers,
    IniPromote,
)
from bot.views.screens import tell_people
from bot.views.text import with_intro
from storage.models import Initiative, MemberRole, Membership, Resident

# Where a "promote" button may move a member, from which role.
MOVES: dict[str, tuple[MemberRole, MemberRole]] = {
    "team": (MemberRole.FOLLOWER, MemberRole.TEAM),
    "initiator": (MemberRole.TEAM, MemberRole.INITIATOR),
}


GROUP_HEADINGS: dict[MemberRole, str] = {
    MemberRole.INITIATOR: N_("<b>Initiators:</b> {names}"),
    MemberRole.TEAM: N_("<b>Team:</b> {names}"),
    MemberRole.FOLLOWER: N_("<b>Followers:</b> {names}"),
}


# --- the members view (initiators) --------------------------------------------------------


async def show_members(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    people = await members(ctx.session, initiative.id or 0)
    ident = initiative.id
    lines: list[str] = [ctx._("<b>Who is in {title}</b>", title=initiative.title)]
    rows: list[list[Button]] = []
    for role, heading in GROUP_HEADINGS.items():
        names = [resident.display_name for member, resident in people if member.role is role]
        if names:
            lines.append(ctx._(heading, names=", ".join(names)))
    for member, resident in people:
        if resident.id == ctx.person.id:
            continue
        name = resident.display_name[:24]
        if member.role is MemberRole.FOLLOWER:
            label = ctx._("Invite {name} into the team", name=name)
            rows.append([Button(label, IniPromote(ident or 0, resident.id or 0, "team").pack())])
        elif member.role is MemberRole.TEAM:
            label = ctx._("Make {name} an initiator", name=name)
            rows.append(
                [Button(label, IniPromote(ident or 0, resident.id or 0, "initiator").pack())]
            )
            label = ctx._("Hand my role to {name}", name=name)
            rows.append([Button(label, IniGiveRole(ident or 0, resident.id or 0).pack())])
    if not rows:
        lines += ["", ctx._("Nobody else is in it yet. Invite neighbours from the card.")]
    text = Safe("\n".join(lines))
    rows.append(
        [initiative_button(ctx.texts, ident, BACK_TO_THE_INITIATIVE), menu_button(ctx.texts)]
    )
    ctx.say(with_intro(intro, text), rows)


async def members_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniMembers) -> None:
    """The card's "Members" button: everyone, by role, with what the initiator may change."""
    assert initiative is not None
    await show_members(ctx, initiative)


async def promote_pressed(ctx: Ctx, initiative: Initiative | None, press: IniPromote) -> None:
    """Move a follower into the team, or a team member up to initiator."""
    assert initiative is not None
    move = MOVES.get(press.move)
    target = await _member(ctx, initiative, press.resident_id)
    if move is None or target is None:
        await show_members(ctx, initiative, intro=ctx._("That person is no longer in it."))
        return
    member, resident = target
    before, after = move
    if member.role is not before:  # pressed twice, or changed since
        ctx.toast(ctx._("That was done already."))
        await show_members(ctx, initiative)
        return
    member.role = after
    ctx.emit(MemberRoleChanged(initiative.id or 0, resident.id or 0, after, ctx.person.id))
    await _tell(ctx, resident, initiative, after)
    await check_progress(ctx, initiative)
    await show_members(
        ctx,
        initiative,
        intro=(
            ctx._("✅ {name} is now in the team. I told them.", name=resident.display_name)
            if after is MemberRole.TEAM
            else ctx._(
                "✅ {name} is now an initiator too. I told them.", name=resident.display_name
            )
        ),
    )


async def give_role_pressed(ctx: Ctx, initiative: Initiative | None, press: IniGiveRole) -> None:
    """Hand the initiator's role over: the team member becomes initiator, the giver team."""
    assert initiative is not None
    target = await _member(ctx, initiative, press.resident_id)
    own = await membership(ctx.session, initiative.id or 0, ctx.person.id or 0)
    if target is None or own is None or target[0].role is not MemberRole.TEAM:
        await show_members(ctx, initiative, intro=ctx._("That person is no longer in the team."))
        return
    member, resident = target
    member.role, own.role = MemberRole.INITIATOR, MemberRole.TEAM
    iid = initiative.id or 0
    ctx.emit(MemberRoleChanged(iid, resident.id or 0, MemberRole.INITIATOR, ctx.person.id))
    await _tell(ctx, resident, initiative, MemberRole.INITIATOR)
    await ctx.open(
        INITIATIVE_CARD,
        initiative,
        intro=ctx._(
            "✅ {name} is now initiator, and you're in the team. Thank you for starting it!",
            name=resident.display_name,
        ),
    )


async def _tell(ctx: Ctx, resident: Resident, initiative: Initiative, role: MemberRole) -> None:
    async def news(texts: Texts, _person: Resident) -> tuple[str, list[list[Button]]]:
        if role is MemberRole.TEAM:
            text = texts._(
                "🙌 {name} welcomes you into the team of <b>{title}</b>. You now help organise it.",
                name=ctx.person.display_name,
                title=initiative.title,
            )
        else:
            text = texts._(
                "🙌 {name} made you an initiator of <b>{title}</b>. "
                "You now decide together about the plans.",
                name=ctx.person.display_name,
                title=initiative.title,
            )
        return text, [[initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)]]

    await tell_people(ctx, [resident], news)


async def _member(
    ctx: Ctx, initiative: Initiative, resident_id: int | None
) -> tuple[Membership, Resident] | None:
    if resident_id is None:
        return None
    member = await membership(ctx.session, initiative.id or 0, resident_id)
    resident = await ctx.session.get(Resident, resident_id)
    if member is None or resident is None:
        return None
    return member, resident


# --- a follower asks to join the team -------------------------------------------------------


async def ask_team_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniAskTeam) -> None:
    """A follower offers to help: every initiator gets a one-tap welcome."""
    assert initiative is not None

    async def offer(texts: Texts, _initiator: Resident) -> tuple[str, list[list[Button]]]:
        welcome = IniPromote(initiative.id or 0, ctx.person.id or 0, "team").pack()
        return texts._(
            "🙋 {name} follows <b>{title}</b> and would like to help organise it. "
            "Welcome them into the team?",
            name=ctx.person.display_name,
            title=initiative.title,
        ), [
            [Button(texts._("Yes, into the team"), welcome)],
            [initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)],
        ]

    await tell_people(ctx, await initiators(ctx.session, initiative.id or 0), offer)
    await ctx.open(
        INITIATIVE_CARD,
        initiative,
        intro=ctx._("I asked the initiators. You will hear from them here."),
    )


# --- leaving --------------------------------------------------------------------------------


async def leave_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniLeave) -> None:
    """First ask; the last initiator is told how to hand over instead."""
    assert initiative is not None
    own = await membership(ctx.session, initiative.id or 0, ctx.person.id or 0)
    if own is None:
        await conv.show_menu(ctx)
        return
    if await _last_initiator(ctx, initiative, own):
        await ctx.open(
            INITIATIVE_CARD,
            initiative,
            intro=ctx._(
                "You're the only initiator. First make someone else an initiator "
                "(under “Members”), then you can leave."
            ),
        )
        return
    question = (
        ctx._(
            "Stop following <b>{title}</b>? You will hear nothing more about it.",
            title=initiative.title,
        )
        if own.role is MemberRole.FOLLOWER
        else ctx._(
            "Leave the team of <b>{title}</b>? The others will go on without you.",
            title=initiative.title,
        )
    )
    ctx.say(
        question,
        [
            [
                Button(ctx._("Yes, leave"), IniLeaveConfirmed(initiative.id or 0).pack()),
                Button(ctx._("No, stay"), IniCard(initiative.id or 0).pack()),
            ]
        ],
    )


async def leave_confirmed(
    ctx: Ctx, initiative: Initiative | None, _press: IniLeaveConfirmed
) -> None:
    assert initiative is not None
    own = await membership(ctx.session, initiative.id or 0, ctx.person.id or 0)
    if own is None or await _last_initiator(ctx, initiative, own):
        await conv.show_menu(ctx)
        return
    await ctx.session.delete(own)
    ctx.emit(MemberLeft(initiative.id or 0, ctx.person.id or 0))
    await conv.show_menu(
        ctx,
        intro=ctx._(
            "Done: you left {title}. Thank you for being part of it.", title=initiative.title
        ),
    )


async def _last_initiator(ctx: Ctx, initiative: Initiative, own: Membership) -> bool:
    if own.role is not MemberRole.INITIATOR:
        return False
    return len(await initiators(ctx.session, initiative.id or 0)) <= 1


def register(registry: Registry) -> None:
    registry.on(IniMembers)(on_initiative(Permission.MANAGE_MEMBERS)(members_pressed))
    registry.on(IniPromote)(on_initiative(Permission.MANAGE_MEMBERS)(promote_pressed))
    registry.on(IniGiveRole)(on_initiative(Permission.MANAGE_MEMBERS)(give_role_pressed))
    registry.on(IniAskTeam)(on_initiative(Permission.ASK_TO_JOIN_TEAM)(ask_team_pressed))
    registry.on(IniLeave)(on_initiative(Permission.LEAVE)(leave_pressed))
    registry.on(IniLeaveConfirmed)(on_initiative(Permission.LEAVE)(leave_confirmed))
