"""Team roles: a short self-check of the three roles (expert, connector,
organiser), the team view with who covers what, and for a missing role a
ready text to find that person in the street, or the team's own plan."""

from __future__ import annotations

from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.authz import Permission
from bot.domain.initiatives import membership, record_activity, team
from bot.domain.phases import check_progress
from bot.i18n import N_, Safe, escape
from bot.views.buttons import BACK_TO_THE_INITIATIVE, initiative_button, menu_button
from bot.views.card_press import on_initiative
from bot.views.cards import TEAM_ROLE_TITLES, member_role, role_names
from bot.views.initiative import BACK, initiative_of_flow, lost
from bot.views.routes import IniPlan, IniRoles, IniScript, IniTeam
from bot.views.text import with_intro
from storage.models import ActivityKind, Initiative, Membership

PLAN_MAX = 500


class Role(StrEnum):
    EXPERT = "expert"
    CONNECTOR = "connector"
    ORGANISER = "organiser"


ROLE_NAMES = {
    Role.EXPERT: N_("the expert"),
    Role.CONNECTOR: N_("the connector"),
    Role.ORGANISER: N_("the organiser"),
}
FIELDS = {
    Role.EXPERT: "is_expert",
    Role.CONNECTOR: "is_connector",
    Role.ORGANISER: "is_organiser",
}
ROLE_TITLES = {role: TEAM_ROLE_TITLES[field] for role, field in FIELDS.items()}
SCRIPT_BUTTONS = {
    Role.EXPERT: N_("How to find an expert"),
    Role.CONNECTOR: N_("How to find a connector"),
    Role.ORGANISER: N_("How to find an organiser"),
}


def has_role(member: Membership, role: Role) -> bool:
    return bool(getattr(member, FIELDS[role]))


# --- the self-check -----------------------------------------------------------------------


# Typed "ja", "klopt", "nee hoor"... press these through their meaning (bot/core/understand.py).
YES_NO = [
    Choice("y", N_("Yes, that is me"), value=True, means="yes"),
    Choice("n", N_("No"), value=False, means="no"),
]


def say_expert(ctx: Ctx) -> Safe:
    return ctx._(
        "Three short questions about your role in the team. "
        "One person can have several roles, and no answer is wrong.\n\n"
        "1/3 <b>The expert</b> knows the content: how something works, "
        "what it costs, what is allowed.\nIs that you?"
    )


def say_connector(ctx: Ctx) -> Safe:
    return ctx._(
        "2/3 <b>The connector</b> knows many neighbours and gets them enthusiastic.\nIs that you?"
    )


def say_organiser(ctx: Ctx) -> Safe:
    return ctx._(
        "3/3 <b>The organiser</b> makes it concrete: plans, decides and keeps the pace.\n"
        "Is that you?"
    )


async def save_roles(ctx: Ctx, is_organiser: bool) -> Next:
    initiative = await initiative_of_flow(ctx, Permission.CHECK_ROLES)
    if initiative is None:
        return await lost(ctx)
    member = await membership(ctx.session, initiative.id or 0, ctx.person.id or 0)
    if member is None:
        return await lost(ctx)
    member.is_expert = bool(ctx.data.get(Role.EXPERT))
    member.is_connector = bool(ctx.data.get(Role.CONNECTOR))
    member.is_organiser = is_organiser
    member.roles_checked = True
    record_activity(ctx.session, initiative, ActivityKind.ROLES_CHECKED, ctx.now(), ctx.person.id)
    await conv.advance(ctx, END)
    await check_progress(ctx, initiative)
    await show_team(ctx, initiative, intro=ctx._("Thank you! Your roles are saved."))
    return HANDLED


roles_flow = Flow(
    "ini_roles",
    [
        Ask(
            Role.EXPERT,
            say=say_expert,
            choices=YES_NO,
            use_buttons_hint=N_("Please answer with yes or no."),
            columns=2,
            then=Role.CONNECTOR,
        ),
        Ask(
            Role.CONNECTOR,
            say=say_connector,
            choices=YES_NO,
            use_buttons_hint=N_("Please answer with yes or no."),
            columns=2,
            then=Role.ORGANISER,
        ),
        Ask(
            Role.ORGANISER,
            say=say_organiser,
            choices=YES_NO,
            use_buttons_hint=N_("Please answer with yes or no."),
            columns=2,
            then=save_roles,
        ),
    ],
)


# --- the team view ------------------------------------------------------------------------


async def show_team(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    people = await team(ctx.session, initiative.id or 0)
    lines: list[str] = [ctx._("<b>Team of {title}</b>", title=initiative.title)]
    me: Membership | None = None
    for member, resident in people:
        if resident.id == ctx.person.id:
            me = member
        if not member.roles_checked:
            roles = ctx._("hasn't done the role check yet")
        else:
            held = role_names(ctx.texts, member)
            roles = Safe(", ".join(map(escape, held))) if held else ctx._("no role yet")
        lines.append(
            ctx._(
                "• {name} ({role}): {roles}",
                name=resident.display_name,
                role=member_role(ctx.texts, member),
                roles=roles,
            )
        )
    lines.append("")
    lines.append(ctx._("<b>Roles</b>"))
    for role in Role:
        names = [r.display_name for m, r in people if has_role(m, role)]
        if names:
            lines.append(
                ctx._(
                    "✅ {role}: {names}",
                    role=ctx._(ROLE_TITLES[role]),
                    names=Safe(", ".join(map(escape, names))),
                )
            )
        else:
            lines.append(ctx._("❌ {role}: nobody yet", role=ctx._(ROLE_TITLES[role])))
    missing = [role for role in Role if not any(has_role(m, role) for m, _ in people)]
    if missing:
        lines.append("")
        lines.append(
            ctx._(
                "Missing: {roles}. A strong team has all three roles. "
                "Use a ready text to find them, or tell me your plan.",
                roles=Safe(", ".join(ctx._(ROLE_NAMES[role]) for role in missing)),
            )
        )
        # Only about the others: one's own check is the button below.
        if any(not member.roles_checked for member, r in people if r.id != ctx.person.id):
            lines.append(ctx._("Not everyone has done the role check yet. Ask them to do it too."))
    else:
        lines.append("")
        lines.append(ctx._("All three roles are covered. A strong team!"))
    if missing and (initiative.role_plan or "").strip():  # a plan fulfilled is not shown open
        lines.append(ctx._("<b>Your plan:</b> {plan}", plan=initiative.role_plan))
    rows: list[list[Button]] = []
    if me is not None:
        label = ctx._("Check my roles again") if me.roles_checked else ctx._("Check my roles")
        rows.append([Button(label, IniRoles(initiative.id or 0).pack())])
    for role in missing:
        rows.append(
            [Button(ctx._(SCRIPT_BUTTONS[role]), IniScript(initiative.id or 0, role).pack())]
        )
    if missing:
        rows.append(
            [Button(ctx._("We have a plan to find them"), IniPlan(initiative.id or 0).pack())]
        )
    rows.append(
        [
            initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
            menu_button(ctx.texts),
        ]
    )
    text = Safe("\n".join(lines))
    ctx.say(with_intro(intro, text), rows)


async def team_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniTeam) -> None:
    assert initiative is not None
    await show_team(ctx, initiative)


async def roles_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniRoles) -> None:
    assert initiative is not None
    await conv.start_flow(ctx, roles_flow.name, {"initiative_id": initiative.id})


# --- finding a missing role ---------------------------------------------------------------


def script_text(ctx: Ctx, initiative: Initiative, role: Role) -> Safe:
    values = {
        "name": ctx.person.display_name,
        "place": initiative.place,
        "title": initiative.title,
    }
    if role is Role.EXPERT:
        return ctx._(
            "Hi! I'm {name}, a neighbour from {place}. With a few neighbours we are "
            "starting <b>{title}</b>. We are looking for someone who knows a lot about "
            "this, from work or as a hobby. Is that you, or do you know someone? "
            "I'd love to have a coffee and tell you more.",
            **values,
        )
    if role is Role.CONNECTOR:
        return ctx._(
            "Hi! I'm {name}, a neighbour from {place}. With a few neighbours we are "
            "starting <b>{title}</b>. We are looking for someone who knows many people "
            "around here and likes to bring neighbours together. Is that you, or do you "
            "know someone? I'd love to have a coffee and tell you more.",
            **values,
        )
    return ctx._(
        "Hi! I'm {name}, a neighbour from {place}. With a few neighbours we are "
        "starting <b>{title}</b>. We are looking for someone who likes to plan things "
        "and keep them moving. Is that you, or do you know someone? "
        "I'd love to have a coffee and tell you more.",
        **values,
    )


async def script_pressed(ctx: Ctx, initiative: Initiative | None, press: IniScript) -> None:
    assert initiative is not None
    try:
        role = Role(press.role)
    except ValueError:
        await show_team(ctx, initiative)
        return
    ctx.say(script_text(ctx, initiative, role))
    ctx.say(
        ctx._(
            "Use the text above at the door, in the street app or on a note. "
            "Change it as you like. Asking in person works best: "
            "a neighbour says yes to a neighbour sooner than to a message."
        ),
        [
            [Button(ctx._("We have a plan to find them"), IniPlan(initiative.id or 0).pack())],
            [Button(ctx._("Back to the team"), IniTeam(initiative.id or 0).pack())],
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ],
        ],
    )


class PlanStep(StrEnum):
    PLAN = "plan"


def say_plan(ctx: Ctx) -> Safe:
    return ctx._(
        "What's your plan to find the missing role? Keep it short. For example: "
        "“Bram asks the neighbour at number 12 on Saturday.”"
    )


async def back_to_team(ctx: Ctx, _value: object) -> Next:
    initiative = await initiative_of_flow(ctx, Permission.CHECK_ROLES)
    await conv.advance(ctx, END)
    if initiative is None:
        await conv.show_menu(ctx)
    else:
        await show_team(ctx, initiative)
    return HANDLED


async def save_plan(ctx: Ctx, plan: str) -> Next:
    initiative = await initiative_of_flow(ctx, Permission.CHECK_ROLES)
    if initiative is None:
        return await lost(ctx)
    initiative.role_plan = plan[:PLAN_MAX]
    record_activity(ctx.session, initiative, ActivityKind.ROLE_PLAN, ctx.now(), ctx.person.id)
    await conv.advance(ctx, END)
    await check_progress(ctx, initiative)
    await show_team(ctx, initiative, intro=ctx._("Your plan is saved. Good luck!"))
    return HANDLED


plan_flow = Flow(
    "ini_role_plan",
    [
        Ask(
            PlanStep.PLAN,
            say=say_plan,
            choices=[Choice("team", N_("Back to the team"), then=back_to_team), BACK],
            text=TextAnswer(min_length=5, max_length=PLAN_MAX),
            then=save_plan,
        )
    ],
)


async def plan_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniPlan) -> None:
    assert initiative is not None
    await conv.start_flow(ctx, plan_flow.name, {"initiative_id": initiative.id})


def register(registry: Registry) -> None:
    registry.on(IniTeam)(on_initiative(Permission.CHECK_ROLES)(team_pressed))
    registry.on(IniRoles)(on_initiative(Permission.CHECK_ROLES)(roles_pressed))
    registry.on(IniScript)(on_initiative(Permission.CHECK_ROLES)(script_pressed))
    registry.on(IniPlan)(on_initiative(Permission.CHECK_ROLES)(plan_pressed))
    registry.add_flow(roles_flow)
    registry.add_flow(plan_flow)
