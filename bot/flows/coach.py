"""The coach's view: /overzicht (/overview), the detail card of each initiative, a
message to its initiators, correcting its phase, snoozing its stall alert — and the
coach invitation link (``coach-<token>``) that makes someone a coach.

Buttons: ``coach:ov:<page>``, ``coach:card:<id>``, ``coach:msg:<id>``,
``coach:phase:<id>``, ``coach:snz:<id>:<weeks>`` (0 switches the alert back on),
``coach:seen:<id>`` (clears the "needs attention" note), ``coach:req`` (open questions).

Everything here is for coaches (and operators) only, decided by ``bot.domain.authz.may``:
the overview needs COACH_OVERVIEW, an initiative's card, messages and snoozing need
COACH_INITIATIVE (its own coach, or an operator), a phase correction CORRECT_PHASE.
A refusal is polite, offers the menu, and is written to the audit log ("refused").
Rights are read from the database at every press and every message: a button or a
flow started while someone was a coach does nothing once they are not (a former
coach is thanked, and told so).

Names on the card: only people who onboarded with consent are named to a coach
(``bot.domain.authz.nameable``); others are counted.

Correcting the phase, decided: the coach picks the phase and types a reason; both are
in the audit log. Moving **forward** emits ``PhaseReached`` (the team gets the
scheduler's congratulation and the new phase's introduction, as if they had met the
goals). Moving **back** emits nothing — there is nothing to celebrate — and the
initiators are told directly, with the coach's reason. A correction is not activity
of the initiative: it does not reset the "quiet for N days" clock.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from sqlmodel import col

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import InitiativeCreated, PhaseReached
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain import whatsapp_skips
from bot.domain.audit import audit
from bot.domain.authz import Permission, may, nameable
from bot.domain.coaches import (
    activity_label,
    is_stalled,
    on_initiative_created,
    portfolio,
    recent_activity,
    subject,
)
from bot.domain.initiatives import get_initiative, initiators, members
from bot.domain.phases import (
    goal_hint,
    numbered_phase_label,
    phase_label,
    progress,
    progress_line,
)
from bot.domain.stall import quiet_one
from bot.domain.whatsapp_skips import GIVE_UP
from bot.i18n import N_, Safe, escape, texts_for
from bot.views.buttons import (
    BACK_TO_THE_INITIATIVE,
    OPEN_THE_INITIATIVE,
    initiative_button,
    menu_button,
    progress_button,
    web_console_button,
)
from bot.views.cards import member_role, next_action, role_names, support, theme_label
from bot.views.coach import needs_onboarding, overview_button, refuse, shown_name
from bot.views.routes import (
    BroadcastNew,
    CoachCard,
    CoachMessage,
    CoachOverview,
    CoachPhase,
    CoachSeen,
    CoachSnooze,
    SupportOpen,
    SupportToCoach,
)
from bot.views.skip_reasons import reason_lines
from bot.views.text import shorten, with_intro
from scheduler import outbox
from scheduler.rules import Kind
from storage.models import (
    Activity,
    ActivityKind,
    Initiative,
    MemberRole,
    PersonRole,
    Phase,
    ScheduledMessage,
)

log = logging.getLogger(__name__)

PAGE = 10
SNOOZE_WEEKS = (1, 2, 4)
MESSAGE_MAX = 2000
REASON_MAX = 300
TITLE_MAX = 40

ATTENTION = {
    "initiator_left": N_("The initiator left the initiative. Someone may need to take over."),
}
ATTENTION_OTHER = N_("Something here needs your attention.")


def _days(ctx: Ctx, days: int) -> Safe:
    return ctx.n_("{n} day", "{n} days", days)


# --- the overview ---------------------------------------------------------------------------


async def overview_command(ctx: Ctx, _args: str) -> None:
    if await needs_onboarding(ctx):
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await show_overview(ctx, 0)


async def overview_menu(ctx: Ctx) -> None:
    await overview_command(ctx, "")


def is_coach_shown(ctx: Ctx) -> bool:
    """Whether the main menu shows the coach's entry (display only: every handler asks
    bot.domain.authz before it does anything)."""
    return ctx.person.role is not PersonRole.RESIDENT


async def show_overview(ctx: Ctx, page: int) -> None:
    if not await may(ctx.session, ctx.person, Permission.COACH_OVERVIEW):
        await refuse(ctx, Permission.COACH_OVERVIEW, "overview")
        return
    now = ctx.now()
    mine = await portfolio(
        ctx.session, ctx.person, now, stall_days=ctx.services.settings.stall_days
    )
    if not mine.entries and not mine.requests:
        ctx.say(
            ctx._(
                "<b>Your initiatives as a coach</b>\n\n"
                "There are no initiatives in your portfolio yet. When a neighbour in your "
                "area starts one, it appears here."
            ),
            [
                [Button(ctx._("New announcement"), BroadcastNew().pack())],
                [web_console_button(ctx.texts)],
                [menu_button(ctx.texts)],
            ],
        )
        return
    pages = max(1, -(-len(mine.entries) // PAGE))
    page = min(max(page, 0), pages - 1)
    counts = " · ".join(
        ctx._("{phase}: {count}", phase=phase_label(ctx, phase), count=count)
        for phase, count in mine.counts.items()
        if count
    )
    lines = [
        ctx._("<b>Your initiatives as a coach</b>"),
        ctx.n_("{n} initiative", "{n} initiatives", len(mine.entries))
        + (f" · {counts}" if counts else ""),
    ]
    if page == 0:
        quiet = ctx.services.settings.stall_days
        lines += ["", ctx._("⚠️ <b>Quiet for {days} or more</b>", days=_days(ctx, quiet))]
        if mine.stalled:
            lines += [
                ctx._("• {title} ({days})", title=e.initiative.title, days=_days(ctx, e.quiet_days))
                for e in mine.stalled[:8]
            ]
        else:
            lines.append(ctx._("None: everyone is active."))
        lines += ["", ctx._("❓ <b>Open questions</b>")]
        if mine.requests:
            lines += [
                ctx._(
                    "• {title}: “{question}” ({days})",
                    title=item.initiative.title,
                    question=shorten(item.request.question, 60),
                    days=_days(ctx, item.waiting_days),
                )
                for item in mine.requests[:8]
            ]
        else:
            lines.append(ctx._("None."))
    shown = mine.entries[page * PAGE : (page + 1) * PAGE]
    lines += ["", ctx._("<b>All initiatives</b>")]
    current: Phase | None = None
    for entry in shown:
        initiative = entry.initiative
        if initiative.phase is not current:
            current = initiative.phase
            lines.append(Safe(f"<i>{escape(phase_label(ctx, current))}</i>"))
        marks = ("⚠️ " if entry.stalled else "") + ("❓ " if entry.open_requests else "")
        lines.append(
            ctx.n_(
                "• {marks}{title} · {place} · {n} in the team",
                "• {marks}{title} · {place} · {n} in the team",
                entry.team_size,
                marks=marks,
                title=initiative.title,
                place=initiative.place or "–",
            )
        )
    if pages > 1:
        lines.append(ctx._("Page {page} of {pages}.", page=page + 1, pages=pages))
    lines += ["", ctx._("Tap an initiative to open it.")]
    rows: list[list[Button]] = []
    for entry in shown:
        marks = ("⚠️ " if entry.stalled else "") + ("❓ " if entry.open_requests else "")
        rows.append(
            [
                Button(
                    marks + shorten(entry.initiative.title, TITLE_MAX),
                    CoachCard(entry.initiative.id or 0).pack(),
                )
            ]
        )
    paging = []
    if page > 0:
        paging.append(Button(ctx._("◀ Previous"), CoachOverview(page - 1).pack()))
    if page + 1 < pages:
        paging.append(Button(ctx._("Next ▶"), CoachOverview(page + 1).pack()))
    if paging:
        rows.append(paging)
    if mine.requests:
        rows.append([Button(ctx._("Answer open questions"), SupportOpen().pack())])
    if await may(ctx.session, ctx.person, Permission.BROADCAST):
        rows.append([Button(ctx._("New announcement"), BroadcastNew().pack())])
    rows.append([web_console_button(ctx.texts)])
    rows.append([menu_button(ctx.texts)])
    ctx.say(Safe("\n".join(lines)), rows)


# --- the detail card ----------------------------------------------------------------------------


async def card_text(ctx: Ctx, initiative: Initiative) -> Safe:
    now = ctx.now()
    texts = ctx.texts
    lines = [Safe(f"<b>{escape(initiative.title)}</b>"), progress_line(ctx, initiative.phase)]
    where = [initiative.place or "–"]
    if initiative.postcode_area:
        where.append(initiative.postcode_area)
    where.append(theme_label(texts, initiative.theme))
    lines.append(escape(" · ".join(where)))
    quiet = await quiet_one(ctx.session, initiative, now)
    snoozed = initiative.stall_snoozed_until
    if snoozed is not None and snoozed > now:
        lines.append(
            ctx._(
                "💤 Stall alert snoozed until {day}.",
                day=texts.day(snoozed.astimezone(texts.tz).date()),
            )
        )
    elif is_stalled(initiative, quiet, ctx.services.settings.stall_days):
        lines.append(ctx._("⚠️ Quiet for {days}.", days=_days(ctx, quiet.days)))
    if initiative.coach_attention:
        lines.append(
            Safe("❗ " + ctx._(ATTENTION.get(initiative.coach_attention, ATTENTION_OTHER)))
        )

    people = await members(ctx.session, initiative.id or 0)
    lines += ["", ctx._("<b>Team and roles</b>")]
    followers = unnamed = 0
    for member, person in people:
        if member.role is MemberRole.FOLLOWER:
            followers += 1
            continue
        if not nameable(person):
            unnamed += 1
            continue
        roles = role_names(texts, member)  # named as the residents read them
        if roles:
            lines.append(
                ctx._(
                    "• {name}: {role} ({roles})",
                    name=person.display_name,
                    role=member_role(texts, member),
                    roles=", ".join(roles),
                )
            )
        else:
            lines.append(
                ctx._("• {name}: {role}", name=person.display_name, role=member_role(texts, member))
            )
    if unnamed:
        lines.append(
            ctx.n_(
                "+ {n} team member who didn't give permission to show their name",
                "+ {n} team members who didn't give permission to show their name",
                unnamed,
            )
        )
    if followers:
        lines.append(ctx.n_("+ {n} neighbour follows", "+ {n} neighbours follow", followers))

    action = await next_action(ctx.session, initiative.id or 0, now)
    if action is not None:
        lines.append(
            ctx._(
                "<b>Next action:</b> {title}, {when}",
                title=action.title,
                when=texts.when(action.starts_at),
            )
        )
    else:
        lines.append(ctx._("<b>Next action:</b> none planned."))
    meter = await support(ctx.session, initiative, now, texts.lang)
    lines.append(
        ctx._(
            "<b>Support:</b> {reached} households reached · {interested} interested · "
            "{committed} taking part",
            reached=texts.number(meter.reached),
            interested=texts.number(meter.interested),
            committed=texts.number(meter.committed),
        )
    )
    from bot.domain.outcomes import impact_lines, impact_of  # what the street achieved

    # What WhatsApp's window kept from the members lately (scheduler/window.py).
    skipped, waiting = await whatsapp_skips.skipped_of(
        ctx.session, whatsapp_skips.about_initiative(initiative.id or 0), since=now - GIVE_UP
    )
    if skipped or waiting:
        lines.append(ctx._("<b>On WhatsApp, last 14 days:</b>"))
        lines += [Safe(f"• {line}") for line in reason_lines(texts, skipped, waiting)]

    achieved = impact_lines(texts, await impact_of(ctx.session, initiative.id or 0))
    if achieved:
        lines.append(ctx._("<b>Achieved together:</b>"))
        lines += [Safe(f"• {line}") for line in achieved]

    recent = await recent_activity(ctx.session, initiative.id or 0)
    lines += ["", ctx._("<b>Recent activity</b>")]
    if recent:
        for activity, actor in recent:
            what = activity_label(texts, activity.kind)
            when = texts.short_when(activity.at)
            if actor is None:
                lines.append(ctx._("• {when}: {what}", when=when, what=what))
                continue
            # Without their consent a neighbour is one of the neighbours, not a name.
            name = shown_name(ctx, actor)
            lines.append(ctx._("• {when}: {what} ({name})", when=when, what=what, name=name))
    else:
        lines.append(ctx._("Nothing yet."))

    state = await progress(ctx.session, initiative, ctx.services.policy.phases, now=now)
    lines += ["", ctx._("<b>Goals of this phase</b>")]
    lines += [f"{'✅' if goal.met else '⬜'} {ctx._(goal.label)}" for goal in state.goals]
    lines.append(ctx._("👉 <b>Next step:</b> {hint}", hint=goal_hint(ctx, state.next_goal)))
    return Safe("\n".join(str(line) for line in lines))


async def card_buttons(ctx: Ctx, initiative: Initiative) -> list[list[Button]]:
    ident = initiative.id
    rows = [[Button(ctx._("✉️ Message the initiators"), CoachMessage(ident or 0).pack())]]
    if await may(ctx.session, ctx.person, Permission.CORRECT_PHASE, initiative):
        rows.append([Button(ctx._("Correct the phase"), CoachPhase(ident or 0).pack())])
    now = ctx.now()
    if initiative.stall_snoozed_until is not None and initiative.stall_snoozed_until > now:
        rows.append(
            [Button(ctx._("Switch the stall alert back on"), CoachSnooze(ident or 0, 0).pack())]
        )
    else:
        rows.append(
            [
                Button(
                    ctx.n_("💤 {n} week", "💤 {n} weeks", weeks),
                    CoachSnooze(ident or 0, weeks).pack(),
                )
                for weeks in SNOOZE_WEEKS
            ]
        )
    if initiative.coach_attention:
        rows.append([Button(ctx._("I have looked at it"), CoachSeen(ident or 0).pack())])
    rows.append([overview_button(ctx.texts), menu_button(ctx.texts)])
    return rows


async def show_card(ctx: Ctx, initiative: Initiative, *, intro: str | None = None) -> None:
    text = await card_text(ctx, initiative)
    ctx.say(with_intro(intro, text), await card_buttons(ctx, initiative))


async def coached(ctx: Ctx, ident: int | None, permission: Permission) -> Initiative | None:
    """The initiative if the person may do `permission` on it; refused kindly otherwise."""
    initiative = await get_initiative(ctx.session, ident)
    if initiative is None or not await may(ctx.session, ctx.person, permission, initiative):
        await refuse(ctx, permission, subject("initiative", ident))
        return None
    return initiative


# --- the route --------------------------------------------------------------------------------


async def overview_pressed(ctx: Ctx, press: CoachOverview) -> None:
    if await needs_onboarding(ctx):
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await show_overview(ctx, press.page)


async def _coached_press(
    ctx: Ctx, initiative_id: int, permission: Permission = Permission.COACH_INITIATIVE
) -> Initiative | None:
    """The initiative a coach's button names, when they coach it (else answered kindly)."""
    if await needs_onboarding(ctx):
        return None
    initiative = await coached(ctx, initiative_id, permission)
    if initiative is not None:
        conv.leave_flow(ctx, keep_for_later=True)
    return initiative


async def card_pressed(ctx: Ctx, press: CoachCard) -> None:
    if initiative := await _coached_press(ctx, press.initiative_id):
        await show_card(ctx, initiative)


async def message_pressed(ctx: Ctx, press: CoachMessage) -> None:
    if initiative := await _coached_press(ctx, press.initiative_id):
        await conv.start_flow(ctx, message_flow.name, {"initiative_id": initiative.id})


async def phase_pressed(ctx: Ctx, press: CoachPhase) -> None:
    if initiative := await _coached_press(ctx, press.initiative_id, Permission.CORRECT_PHASE):
        await conv.start_flow(ctx, phase_flow.name, {"initiative_id": initiative.id})


async def snooze_pressed(ctx: Ctx, press: CoachSnooze) -> None:
    if initiative := await _coached_press(ctx, press.initiative_id):
        await snooze(ctx, initiative, press.weeks)


async def seen_pressed(ctx: Ctx, press: CoachSeen) -> None:
    if initiative := await _coached_press(ctx, press.initiative_id):
        await attention_seen(ctx, initiative)


async def snooze(ctx: Ctx, initiative: Initiative, weeks: int | None) -> None:
    if weeks not in (0, *SNOOZE_WEEKS):
        await conv.refuse_stale(ctx)
        return
    now = ctx.now()
    if weeks:
        initiative.stall_snoozed_until = now + timedelta(weeks=weeks)
        await outbox.cancel(
            ctx.session,
            col(ScheduledMessage.kind) == Kind.STALLED,
            col(ScheduledMessage.initiative_id) == initiative.id,
            reason="the coach snoozed the stall alert",
        )
        intro = ctx.n_(
            "Snoozed: I won't call {title} quiet for {n} week.",
            "Snoozed: I won't call {title} quiet for {n} weeks.",
            weeks,
            title=initiative.title,
        )
    else:
        initiative.stall_snoozed_until = None
        intro = ctx._("The stall alert for {title} is on again.", title=initiative.title)
    audit(
        ctx.session,
        actor_id=ctx.person.id,
        action="stall_snoozed",
        subject=subject("initiative", initiative.id),
        at=now,
        weeks=weeks,
    )
    ctx.toast(ctx._("Done."))
    await show_card(ctx, initiative, intro=intro)


async def attention_seen(ctx: Ctx, initiative: Initiative) -> None:
    was = initiative.coach_attention
    initiative.coach_attention = None
    audit(
        ctx.session,
        actor_id=ctx.person.id,
        action="attention_cleared",
        subject=subject("initiative", initiative.id),
        at=ctx.now(),
        was=was,
    )
    await show_card(ctx, initiative, intro=ctx._("Thank you. The note is gone."))


# --- a message to the initiators ------------------------------------------------------------


class MessageStep(StrEnum):
    TEXT = "text"


async def _flow_initiative(ctx: Ctx, permission: Permission) -> Initiative | None:
    value = ctx.data.get("initiative_id")
    initiative = await get_initiative(ctx.session, value if isinstance(value, int) else None)
    if initiative is None or not await may(ctx.session, ctx.person, permission, initiative):
        return None
    return initiative


async def _lost(ctx: Ctx, permission: Permission) -> Next:
    await conv.advance(ctx, END)
    await refuse(ctx, permission, subject("initiative", ctx.data.get("initiative_id")))
    return HANDLED


async def say_message(ctx: Ctx) -> Safe:
    initiative = await _flow_initiative(ctx, Permission.COACH_INITIATIVE)
    if initiative is None:
        return ctx._("Type your message.")
    names = [
        shown_name(ctx, person) for person in await initiators(ctx.session, initiative.id or 0)
    ]
    if not names:
        return ctx._(
            "<b>{title}</b> has no initiator at the moment. Your message can't reach anyone "
            "yet. Go back to the initiative.",
            title=initiative.title,
        )
    return ctx._(
        "What do you want to tell the initiators of <b>{title}</b> ({names})?\n\n"
        "Type your message. I send it to each of them in their own chat, "
        "with a button to answer you.",
        title=initiative.title,
        names=", ".join(names),
    )


async def back_to_coach_card(ctx: Ctx, _value: object) -> Next:
    initiative = await _flow_initiative(ctx, Permission.COACH_INITIATIVE)
    await conv.advance(ctx, END)
    if initiative is None:
        await conv.show_menu(ctx)
    else:
        await show_card(ctx, initiative)
    return HANDLED


BACK = Choice("back", BACK_TO_THE_INITIATIVE, then=back_to_coach_card)


async def send_message(ctx: Ctx, text: str) -> Next:
    initiative = await _flow_initiative(ctx, Permission.COACH_INITIATIVE)
    if initiative is None:
        return await _lost(ctx, Permission.COACH_INITIATIVE)
    people = await initiators(ctx.session, initiative.id or 0)
    if not people:
        await conv.ask_current(ctx, before=ctx._("There's nobody to send it to yet."))
        return HANDLED
    coach = ctx.person.display_name
    for person in people:
        texts = texts_for(person.language, person.timezone)
        relay = Safe(
            texts._(
                "✉️ <b>Message from {coach}, your neighbourhood coach</b>, about <b>{title}</b>:",
                coach=coach,
                title=initiative.title,
            )
            + "\n\n"
            + escape(text)
        )
        ctx.say(
            relay,
            [
                [
                    Button(
                        texts._("Answer {coach}", coach=shorten(coach, 30)),
                        SupportToCoach(initiative.id or 0).pack(),
                    )
                ],
                [initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)],
            ],
            chat_id=person.telegram_id,
        )
    audit(
        ctx.session,
        actor_id=ctx.person.id,
        action="coach_message",
        subject=subject("initiative", initiative.id),
        at=ctx.now(),
        recipients=[person.id for person in people],
        length=len(text),
    )
    await conv.advance(ctx, END)
    await show_card(
        ctx,
        initiative,
        intro=ctx._(
            "Sent to {names}. When they answer, you get it here.",
            names=", ".join(shown_name(ctx, person) for person in people),
        ),
    )
    return HANDLED


message_flow = Flow(
    "coach_msg",
    [
        Ask(
            MessageStep.TEXT,
            say=say_message,
            choices=[BACK],
            text=TextAnswer(min_length=2, max_length=MESSAGE_MAX),
            then=send_message,
        )
    ],
)


# --- correcting the phase -----------------------------------------------------------------------


class PhaseStep(StrEnum):
    PHASE = "phase"
    REASON = "reason"


async def say_phase(ctx: Ctx) -> Safe:
    initiative = await _flow_initiative(ctx, Permission.CORRECT_PHASE)
    if initiative is None:
        return ctx._("Which phase is it in?")
    return ctx._(
        "<b>{title}</b> is now in the phase:\n{line}\n\nWhich phase is it really in?",
        title=initiative.title,
        line=progress_line(ctx, initiative.phase),
    )


async def phase_choices(ctx: Ctx) -> list[Choice]:
    initiative = await _flow_initiative(ctx, Permission.CORRECT_PHASE)
    current = initiative.phase if initiative is not None else None
    choices = [
        Choice(
            phase.value,
            numbered_phase_label(phase),
        )
        for phase in Phase
        if phase is not current
    ]
    return [*choices, BACK]


def say_reason(ctx: Ctx) -> Safe:
    return ctx._(
        "Why? Type a short reason. It goes into the log. "
        "When you set the phase back, the initiators read it too."
    )


async def apply_phase(ctx: Ctx, reason: str) -> Next:
    initiative = await _flow_initiative(ctx, Permission.CORRECT_PHASE)
    if initiative is None:
        return await _lost(ctx, Permission.CORRECT_PHASE)
    try:
        target = Phase(str(ctx.data.get(PhaseStep.PHASE)))
    except ValueError:
        await conv.advance(ctx, PhaseStep.PHASE)
        return HANDLED
    await conv.advance(ctx, END)
    before = initiative.phase
    if target is before:
        await show_card(ctx, initiative, intro=ctx._("It's already in that phase."))
        return HANDLED
    now = ctx.now()
    forward = target.number > before.number
    initiative.phase = target
    initiative.phase_changed_at = now
    # Not record_activity: a coach's correction does not make the initiative less quiet.
    ctx.session.add(
        Activity(
            initiative_id=initiative.id or 0,
            kind=ActivityKind.PHASE_REACHED if forward else ActivityKind.PHASE_CORRECTED,
            resident_id=ctx.person.id,
            at=now,
        )
    )
    audit(
        ctx.session,
        actor_id=ctx.person.id,
        action="phase_corrected",
        subject=subject("initiative", initiative.id),
        at=now,
        before=before.value,
        after=target.value,
        reason=reason,
    )
    if forward:
        ctx.emit(PhaseReached(initiative.id or 0, target))
        intro = ctx._(
            "Done: <b>{title}</b> is now in the phase {phase}. "
            "The team gets a congratulation and hears what this phase is about.",
            title=initiative.title,
            phase=phase_label(ctx, target),
        )
    else:
        # The next step they read is the corrected phase's.
        state = await progress(ctx.session, initiative, ctx.services.policy.phases, now=now)
        for person in await initiators(ctx.session, initiative.id or 0):
            texts = texts_for(person.language, person.timezone)
            ctx.say(
                texts._(
                    "Your neighbourhood coach {coach} set <b>{title}</b> back to the phase "
                    "{phase}.\nThe reason: {reason}\n\n👉 Next step: {hint}",
                    coach=ctx.person.display_name,
                    title=initiative.title,
                    phase=phase_label(texts, target),
                    reason=reason,
                    hint=goal_hint(texts, state.next_goal),
                ),
                [[progress_button(texts, initiative.id)]],
                chat_id=person.telegram_id,
            )
        intro = ctx._(
            "Done: <b>{title}</b> is back in the phase {phase}. I told the initiators, "
            "with your reason.",
            title=initiative.title,
            phase=phase_label(ctx, target),
        )
        if state.next_goal is None:
            intro = Safe(
                intro
                + "\n"
                + ctx._(
                    "Note: all goals of this phase are met, so it moves on again "
                    "at the next change."
                )
            )
    await show_card(ctx, initiative, intro=intro)
    return HANDLED


phase_flow = Flow(
    "coach_phase",
    [
        Ask(PhaseStep.PHASE, say=say_phase, choices=phase_choices, then=PhaseStep.REASON),
        Ask(
            PhaseStep.REASON,
            say=say_reason,
            choices=[BACK],
            text=TextAnswer(min_length=3, max_length=REASON_MAX),
            then=apply_phase,
        ),
    ],
)


def register(registry: Registry) -> None:
    registry.command(
        "overzicht", "overview", description=N_("Coaches: your initiatives"), menu=False
    )(overview_command)
    registry.subscribe(InitiativeCreated)(on_initiative_created)
    registry.on(CoachOverview)(overview_pressed)
    registry.on(CoachCard)(card_pressed)
    registry.on(CoachMessage)(message_pressed)
    registry.on(CoachPhase)(phase_pressed)
    registry.on(CoachSnooze)(snooze_pressed)
    registry.on(CoachSeen)(seen_pressed)
    registry.add_flow(message_flow)
    registry.add_flow(phase_flow)
    registry.menu_entry("coach", N_("Coach overview"), order=25, visible=is_coach_shown)(
        overview_menu
    )
