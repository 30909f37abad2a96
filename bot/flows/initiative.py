"""My initiatives, the initiative card and its menu, progress, the support meter.

Every button on a card is `ini:<verb>:<initiative id>[:more]`, one payload type per verb
(bot/views/routes.py). Each handler is registered with `registry.on(Type)` through
`on_initiative(permission)` (bot/views/card_press.py): it loads the initiative, asks
`bot.domain.authz` whether the person may do what the button needs, and refuses kindly
otherwise (a forged id, an initiative someone left, an old button). The other modules of
the resident journey (invite, roles, coach_request, initiative_edit, members, share)
register their card buttons the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer
from bot.core.payloads import is_deep_link_payload
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.core.understand import parse_count
from bot.domain.authz import ORGANISERS, OVERSIGHT, Hat, Permission, allowed, hats
from bot.domain.initiatives import initiatives_of, initiators, record_activity
from bot.domain.phases import HAND_OVER, Goal, check_progress, phase_label, progress
from bot.i18n import N_, Safe
from bot.views.buttons import (
    BACK_TO_THE_INITIATIVE,
    ask_coach_button,
    initiative_button,
    menu_button,
    plan_button,
    team_button,
)
from bot.views.card_press import on_card, on_initiative
from bot.views.cards import ROLE_LABELS, card_text, progress_text, support, support_text
from bot.views.entries import ASK_CONSENT, FOLLOW_DEEP_LINK, INITIATIVE_CARD
from bot.views.initiative import (
    BACK,
    initiative_of_flow,
    lost,
)
from bot.views.routes import (
    ActList,
    IniAskTeam,
    IniCard,
    IniConsent,
    IniEdit,
    IniHandOver,
    IniInvite,
    IniLeave,
    IniMembers,
    IniNoGroup,
    IniProgress,
    IniSupport,
    IniWhy,
    IniWishes,
    KitList,
    MatInvite,
    MenuChoice,
)
from bot.views.text import paragraphs, shorten, with_intro
from storage.models import ActionKind, ActivityKind, Initiative, Phase

MAX_HOUSEHOLDS = 10_000


async def ask_consent(ctx: Ctx, reason: str, link: str | None = None) -> None:
    """Explain that this needs the person's name stored, and offer to give consent."""
    payload = IniConsent(link).pack() if link else IniConsent().pack()
    rows = [[Button(ctx._("Yes, you may store my name"), payload)]]
    rows.append([Button(ctx._("Browse action kits"), KitList().pack())])
    rows.append([menu_button(ctx.texts)])
    ctx.say(
        Safe(
            reason
            + "\n\n"
            + ctx._(
                "For that I need to store your name, so that your neighbours know who "
                "they are working with. You said no to that earlier, and that is fine. "
                "Changed your mind? Tap the button. Without it, you can still look at "
                "ideas for actions."
            )
        ),
        rows,
    )


async def consent_pressed(ctx: Ctx, press: IniConsent) -> None:
    """Go through the name, postcode and consent questions again; an invitation that
    brought the person here is followed afterwards."""
    link = press.link or ""
    link = link if link and is_deep_link_payload(link) else ""
    if ctx.person.consented_at is not None:  # an old button: consent was given since
        if link:
            await ctx.open(FOLLOW_DEEP_LINK, link)
        else:
            await conv.show_menu(ctx)
        return
    await conv.start_flow(ctx, "onboarding", {"pending_link": link} if link else None)


# --- the card -------------------------------------------------------------------------------


async def card_buttons(
    ctx: Ctx, initiative: Initiative, next_goal: Goal | None = None
) -> list[list[Button]]:
    """The card's menu: only what this person may do here; the button for the card's next
    step (when there is one this person may take) comes first."""
    # One look at the person's hats decides every button (bot.domain.authz's own rules).
    worn = await hats(ctx.session, ctx.person, initiative)

    def can(permission: Permission) -> bool:
        return allowed(permission, worn)

    ident = initiative.id
    first = goal_buttons_for(ctx, initiative, next_goal, can) if organises(worn) else []
    buttons: list[Button] = []
    if can(Permission.EDIT_INITIATIVE):
        buttons.append(Button(ctx._("Edit"), IniEdit(ident or 0).pack()))
    if can(Permission.INVITE):
        buttons.append(Button(ctx._("Invite neighbours"), IniInvite(ident or 0).pack()))
        buttons.append(Button(ctx._("Poster and letter"), MatInvite(ident or 0).pack()))
    if can(Permission.CHECK_ROLES):
        buttons.append(team_button(ctx.texts, ident))
    if can(Permission.PLAN_ACTION):
        buttons.append(plan_button(ctx.texts, ident, ActionKind.MEETING))
        buttons.append(plan_button(ctx.texts, ident, ActionKind.ACTION))
    buttons.append(Button(ctx._("Actions"), ActList(ident or 0).pack()))
    if can(Permission.PLAN_ACTION):
        buttons.append(Button(ctx._("Action kits"), KitList(ident).pack()))
    if can(Permission.UPDATE_SUPPORT):
        buttons.append(Button(ctx._("Support meter"), IniSupport(ident or 0).pack()))
    buttons.append(Button(ctx._("Progress"), IniProgress(ident or 0).pack()))
    if can(Permission.ASK_COACH):
        buttons.append(ask_coach_button(ctx.texts, ident))
    if can(Permission.MANAGE_MEMBERS):
        buttons.append(Button(ctx._("Members"), IniMembers(ident or 0).pack()))
    if can(Permission.ASK_TO_JOIN_TEAM):
        buttons.append(Button(ctx._("I'd like to help organise"), IniAskTeam(ident or 0).pack()))
    if Hat.FOLLOWER in worn:
        buttons.append(Button(ctx._("Stop following"), IniLeave(ident or 0).pack()))
    elif can(Permission.LEAVE) and not await only_initiator(ctx, initiative, worn):
        buttons.append(Button(ctx._("Leave the team"), IniLeave(ident or 0).pack()))
    taken = {button.payload for button in first}
    buttons = [button for button in buttons if button.payload not in taken]
    rows = [[button] for button in first]  # the next step's button, on a row of its own
    rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([menu_button(ctx.texts)])
    return rows


async def only_initiator(ctx: Ctx, initiative: Initiative, worn: set[Hat]) -> bool:
    """The last initiator hands the role over before leaving (see flows/members.py)."""
    if Hat.INITIATOR not in worn:
        return False
    return len(await initiators(ctx.session, initiative.id or 0)) <= 1


def organises(worn: set[Hat]) -> bool:
    """Initiators and team members do the next steps; followers follow."""
    return bool(worn & ORGANISERS)


async def show_card(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    """Send the initiative card with the buttons this person may use (public: others reuse it)."""
    rules = ctx.services.policy.phases
    worn = await hats(ctx.session, ctx.person, initiative)
    # Organisers and coaches read the next step; a follower reads what following means.
    organiser = bool(worn & (ORGANISERS | OVERSIGHT))
    text = await card_text(
        ctx.texts, ctx.session, initiative, ctx.now(), rules, organiser=organiser
    )
    text = with_intro(intro, text)
    state = await progress(ctx.session, initiative, rules, now=ctx.now())
    ctx.say(text, await card_buttons(ctx, initiative, state.next_goal))


async def card_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniCard) -> None:
    assert initiative is not None
    await show_card(ctx, initiative)


# --- my initiatives and /status -------------------------------------------------------------


def nothing_yet_buttons(ctx: Ctx) -> list[list[Button]]:
    return [
        [
            Button(ctx._("Share an idea"), MenuChoice("idea").pack()),
            Button(ctx._("Join an initiative"), MenuChoice("join").pack()),
        ],
        [menu_button(ctx.texts)],
    ]


async def my_initiatives(ctx: Ctx) -> None:
    mine = await initiatives_of(ctx.session, ctx.person.id or 0)
    if not mine:
        ctx.say(
            ctx._(
                "You're not in any initiative yet. Share your own idea, "
                "or join one that a neighbour started."
            ),
            nothing_yet_buttons(ctx),
        )
        return
    lines = [ctx._("<b>Your initiatives</b>")]
    rows: list[list[Button]] = []
    for initiative, member in mine:
        lines.append(
            ctx._(
                "• <b>{title}</b>: {phase} (you: {role})",
                title=initiative.title,
                phase=phase_name(ctx, initiative.phase),
                role=ctx._(ROLE_LABELS[member.role]),
            )
        )
        rows.append([Button(shorten(initiative.title), IniCard(initiative.id or 0).pack())])
    lines.append(ctx._("Which one shall I open?"))
    rows.append([Button(ctx._("Share an idea"), MenuChoice("idea").pack()), menu_button(ctx.texts)])
    ctx.say(Safe("\n".join(lines)), rows)


def phase_name(ctx: Ctx, phase: Phase) -> str:
    return phase_label(ctx, phase)


async def status_command(ctx: Ctx, _args: str) -> None:
    """/status: where the person's initiatives stand."""
    if ctx.person.onboarded_at is None:
        await conv.start_flow(ctx, "onboarding")
        return
    conv.leave_flow(ctx, keep_for_later=True)
    mine = await initiatives_of(ctx.session, ctx.person.id or 0)
    if len(mine) == 1:
        await show_progress(ctx, mine[0][0])
        return
    if not mine:
        await my_initiatives(ctx)
        return
    rows = [
        [Button(shorten(initiative.title), IniProgress(initiative.id or 0).pack())]
        for initiative, _ in mine
    ]
    rows.append([menu_button(ctx.texts)])
    lines = [ctx._("Of which initiative do you want to see the progress?")]
    lines += [
        ctx._("• <b>{title}</b>: {phase}", title=i.title, phase=phase_name(ctx, i.phase))
        for i, _ in mine
    ]
    ctx.say(Safe("\n".join(lines)), rows)


# --- progress -------------------------------------------------------------------------------


async def goal_buttons(ctx: Ctx, initiative: Initiative, goal: Goal | None) -> list[Button]:
    """The button that does the next step, where the bot can help with it."""
    worn = await hats(ctx.session, ctx.person, initiative)
    return goal_buttons_for(ctx, initiative, goal, lambda permission: allowed(permission, worn))


def goal_buttons_for(
    ctx: Ctx, initiative: Initiative, goal: Goal | None, can: Callable[[Permission], bool]
) -> list[Button]:
    ident = initiative.id
    key = goal.key if goal is not None else ""
    buttons: list[Button] = []
    if key == "described" and can(Permission.EDIT_INITIATIVE):
        if initiative.why.strip():
            buttons.append(Button(ctx._("Complete the idea"), IniEdit(ident or 0).pack()))
        else:
            buttons.append(Button(ctx._("Tell why it matters"), IniWhy(ident or 0).pack()))
    elif key == "theme_level" and can(Permission.EDIT_INITIATIVE):
        buttons.append(Button(ctx._("Complete the idea"), IniEdit(ident or 0).pack()))
    elif key in ("co_initiator", "team") and can(Permission.INVITE):
        buttons.append(Button(ctx._("Invite neighbours"), IniInvite(ident or 0).pack()))
    elif key == "roles" and can(Permission.CHECK_ROLES):
        buttons.append(team_button(ctx.texts, ident))
    elif key == "meeting" and can(Permission.PLAN_ACTION):
        buttons.append(plan_button(ctx.texts, ident, ActionKind.MEETING))
    elif key == "wishes" and can(Permission.PLAN_ACTION):
        buttons.append(Button(ctx._("We know their wishes"), IniWishes(ident or 0).pack()))
    elif key in ("action_planned", "next_planned") and can(Permission.PLAN_ACTION):
        buttons.append(plan_button(ctx.texts, ident, ActionKind.ACTION))
    elif key in ("tasks", "action_held", "review", "rhythm"):
        buttons.append(Button(ctx._("Actions"), ActList(ident or 0).pack()))
    elif key == "group" and can(Permission.EDIT_INITIATIVE):
        buttons.append(Button(ctx._("Go on without a group chat"), IniNoGroup(ident or 0).pack()))
    elif key == "households" and can(Permission.UPDATE_SUPPORT):
        buttons.append(Button(ctx._("Support meter"), IniSupport(ident or 0).pack()))
    if key == "quotes" and can(Permission.ASK_COACH):
        buttons.append(ask_coach_button(ctx.texts, ident))
    if initiative.phase is Phase.SUSTAIN and can(Permission.CHECK_ROLES):
        buttons.append(Button(ctx._("Hand over a role"), IniHandOver(ident or 0).pack()))
    return buttons


async def show_progress(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    state = await progress(ctx.session, initiative, ctx.services.policy.phases, now=ctx.now())
    text = progress_text(ctx.texts, initiative, state)
    text = with_intro(intro, text)
    rows = [[button] for button in await goal_buttons(ctx, initiative, state.next_goal)]
    rows.append(
        [
            initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
            menu_button(ctx.texts),
        ]
    )
    ctx.say(text, rows)


async def progress_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniProgress) -> None:
    assert initiative is not None
    await show_progress(ctx, initiative)


async def wishes_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniWishes) -> None:
    assert initiative is not None
    already = initiative.wishes_gathered
    initiative.wishes_gathered = True
    if not already:
        record_activity(
            ctx.session, initiative, ActivityKind.WISHES_GATHERED, ctx.now(), ctx.person.id
        )
    await check_progress(ctx, initiative)
    await show_progress(
        ctx, initiative, intro=ctx._("Ticked off: you know what your neighbours want.")
    )


async def no_group_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniNoGroup) -> None:
    assert initiative is not None
    already = initiative.group_chat_skipped
    initiative.group_chat_skipped = True
    if not already:
        record_activity(
            ctx.session, initiative, ActivityKind.GROUP_CHAT_SKIPPED, ctx.now(), ctx.person.id
        )
    await check_progress(ctx, initiative)
    await show_progress(
        ctx,
        initiative,
        intro=ctx._(
            "Fine: you organise without a street group chat. You can still add me to a group later."
        ),
    )


async def hand_over_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniHandOver) -> None:
    assert initiative is not None
    ctx.say(
        ctx._(HAND_OVER),
        [
            [team_button(ctx.texts, initiative.id)],
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ],
        ],
    )


# --- why it matters (a goal of the first phase) ------------------------------------------


class WhyStep(StrEnum):
    WHY = "why"


def say_why(ctx: Ctx) -> Safe:
    return ctx._(
        "Why does this matter to you? Tell it in a few sentences. "
        "Neighbours join sooner when they know why."
    )


async def save_why(ctx: Ctx, why: str) -> Next:
    initiative = await initiative_of_flow(ctx, Permission.EDIT_INITIATIVE)
    if initiative is None:
        return await lost(ctx)
    initiative.why = why
    record_activity(ctx.session, initiative, ActivityKind.IDEA_DESCRIBED, ctx.now(), ctx.person.id)
    await conv.advance(ctx, END)
    await check_progress(ctx, initiative)
    await show_card(ctx, initiative, intro=ctx._("Thank you, I have added that."))
    return HANDLED


why_flow = Flow(
    "ini_why",
    [
        Ask(
            WhyStep.WHY,
            say=say_why,
            choices=[BACK],
            text=TextAnswer(min_length=3, max_length=1000),
            then=save_why,
        )
    ],
)


async def why_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniWhy) -> None:
    assert initiative is not None
    await conv.start_flow(ctx, why_flow.name, {"initiative_id": initiative.id})


# --- the support meter ----------------------------------------------------------------------


class SupportStep(StrEnum):
    REACHED = "reached"
    INTERESTED = "interested"
    COMMITTED = "committed"


def parse_households(_ctx: Ctx, text: str) -> int:
    number = parse_count(text)  # "25", "vijfentwintig", "25 huishoudens"
    if number is None:
        raise Invalid(N_("Please type a number of households, like 25."))
    if number > MAX_HOUSEHOLDS:
        raise Invalid(
            N_("That's more than I can count. Please type a number from 0 to {limit}."),
            limit=MAX_HOUSEHOLDS,
        )
    return number


def parse_interested(ctx: Ctx, text: str) -> int:
    number = parse_households(ctx, text)
    reached = int(ctx.data.get(SupportStep.REACHED, 0))
    if number > reached:
        raise Invalid(
            N_(
                "That's more than the {reached} households you reached. "
                "How many of those are interested?"
            ),
            reached=reached,
        )
    return number


def parse_committed(ctx: Ctx, text: str) -> int:
    number = parse_households(ctx, text)
    interested = int(ctx.data.get(SupportStep.INTERESTED, 0))
    if number > interested:
        raise Invalid(
            N_(
                "That's more than the {interested} interested households. "
                "How many of those are taking part?"
            ),
            interested=interested,
        )
    return number


def _was(ctx: Ctx, index: int) -> int:
    was = ctx.data.get("was")
    return int(was[index]) if isinstance(was, list) and len(was) == 3 else 0


def _keep(index: int) -> Callable[[Ctx], Awaitable[list[Choice]]]:
    """A button to keep the figure as it was (when it still fits the answers before it)."""

    async def choices(ctx: Ctx) -> list[Choice]:
        current = _was(ctx, index)
        fits = True
        if index == 1:
            fits = current <= int(ctx.data.get(SupportStep.REACHED, 0))
        elif index == 2:
            fits = current <= int(ctx.data.get(SupportStep.INTERESTED, 0))
        keep = [Choice("keep", lambda c: c._("Keep {n}", n=current), value=current)]
        return [*(keep if fits else []), BACK]

    return choices


async def say_reached(ctx: Ctx) -> Safe:
    initiative = await initiative_of_flow(ctx, Permission.UPDATE_SUPPORT)
    question = ctx._(
        "How many households have you reached so far? Count everyone who got an "
        "invitation or spoke to you about it. Type a number."
    )
    if initiative is None:
        return question
    meter = await support(ctx.session, initiative, ctx.now(), ctx.texts.lang)
    return paragraphs(support_text(ctx.texts, initiative, meter), question)


def say_interested(ctx: Ctx) -> Safe:
    return ctx._("How many of them are interested?")


def say_committed(ctx: Ctx) -> Safe:
    return ctx._("And how many households are really taking part?")


async def save_support(ctx: Ctx, committed: int) -> Next:
    initiative = await initiative_of_flow(ctx, Permission.UPDATE_SUPPORT)
    if initiative is None:
        return await lost(ctx)
    initiative.households_reached = int(ctx.data[SupportStep.REACHED])
    initiative.households_interested = int(ctx.data[SupportStep.INTERESTED])
    initiative.households_committed = committed
    record_activity(ctx.session, initiative, ActivityKind.SUPPORT_UPDATED, ctx.now(), ctx.person.id)
    await conv.advance(ctx, END)
    await check_progress(ctx, initiative)
    meter = await support(ctx.session, initiative, ctx.now(), ctx.texts.lang)
    saved = ctx._("Saved.")
    ctx.say(
        with_intro(saved, support_text(ctx.texts, initiative, meter)),
        [
            [Button(ctx._("Update the numbers"), IniSupport(initiative.id or 0).pack())],
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ],
        ],
    )
    return HANDLED


support_flow = Flow(
    "ini_support",
    [
        Ask(
            SupportStep.REACHED,
            say=say_reached,
            choices=_keep(0),
            text=TextAnswer(parse=parse_households, max_length=40, asks_number=True),
            then=SupportStep.INTERESTED,
        ),
        Ask(
            SupportStep.INTERESTED,
            say=say_interested,
            choices=_keep(1),
            text=TextAnswer(parse=parse_interested, max_length=40, asks_number=True),
            then=SupportStep.COMMITTED,
        ),
        Ask(
            SupportStep.COMMITTED,
            say=say_committed,
            choices=_keep(2),
            text=TextAnswer(parse=parse_committed, max_length=40, asks_number=True),
            then=save_support,
        ),
    ],
)


async def support_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniSupport) -> None:
    assert initiative is not None
    was = [
        initiative.households_reached,
        initiative.households_interested,
        initiative.households_committed,
    ]
    await conv.start_flow(ctx, support_flow.name, {"initiative_id": initiative.id, "was": was})


def register(registry: Registry) -> None:
    registry.on(IniConsent)(on_card(consent_pressed))
    registry.on(IniCard)(on_initiative(Permission.VIEW_INITIATIVE)(card_pressed))
    registry.on(IniProgress)(on_initiative(Permission.VIEW_INITIATIVE)(progress_pressed))
    registry.on(IniWishes)(on_initiative(Permission.PLAN_ACTION)(wishes_pressed))
    registry.on(IniNoGroup)(on_initiative(Permission.EDIT_INITIATIVE)(no_group_pressed))
    registry.on(IniHandOver)(on_initiative(Permission.CHECK_ROLES)(hand_over_pressed))
    registry.on(IniWhy)(on_initiative(Permission.EDIT_INITIATIVE)(why_pressed))
    registry.on(IniSupport)(on_initiative(Permission.UPDATE_SUPPORT)(support_pressed))
    registry.provide(INITIATIVE_CARD)(show_card)
    registry.provide(ASK_CONSENT)(ask_consent)
    registry.add_flow(why_flow)
    registry.add_flow(support_flow)
    registry.menu_entry("my", N_("My initiatives"), order=30)(my_initiatives)
    registry.command("status", description=N_("Where your initiatives stand"))(status_command)
