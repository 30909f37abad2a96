"""The five phases of the growth cycle: what each one is about, its goals, and
moving on when they are met.

The goals are this project's operational reading of GROWTH_CYCLE.md. Their
thresholds live in `PhaseRules`; `progress()` evaluates the goals of the phase
an initiative is in, `check_progress()` moves the initiative on (never back)
while all of them are met, tells the chat, and emits `PhaseReached`.

After the events a goal looks at (an action planned, moved or reviewed, a task given,
a quote, a group linked, someone joining) the check follows by itself: a reaction
registered in bot/domain/operations.py. The flows whose celebration comes before the
screen they show next (roles, support numbers, the idea's text, edits) still call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.events import PhaseReached
from bot.core.payloads import pack
from bot.core.policy import PhaseRules
from bot.core.seam import Button
from bot.domain.initiatives import membership, record_activity, team
from bot.i18n import N_, Safe, Texts
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    ActivityKind,
    GroupChat,
    Initiative,
    MemberRole,
    Phase,
    Quote,
    Task,
    Theme,
    utcnow,
)

if TYPE_CHECKING:
    from bot.core.context import Ctx

PHASES: tuple[Phase, ...] = tuple(Phase)


@dataclass
class Goal:
    key: str
    label: str  # msgid
    met: bool


@dataclass
class Progress:
    phase: Phase
    goals: list[Goal]
    next_goal: Goal | None


# --- texts ------------------------------------------------------------------------

PHASE_NAMES: dict[Phase, str] = {
    Phase.INITIATE: N_("Initiate"),
    Phase.ACTIVATE: N_("Activate"),
    Phase.STRUCTURE: N_("Structure"),
    Phase.GROW: N_("Grow"),
    Phase.SUSTAIN: N_("Sustain"),
}

PHASE_DESCRIPTIONS: dict[Phase, str] = {
    Phase.INITIATE: N_(
        "You have an idea. Describe it, and find at least one neighbour who wants "
        "to organise it with you."
    ),
    Phase.ACTIVATE: N_(
        "The idea becomes a team. You meet your neighbours and hear what they want."
    ),
    Phase.STRUCTURE: N_(
        "The team gets organised: choose an action, divide the tasks and make a plan."
    ),
    Phase.GROW: N_("The whole street is invited, and the action happens."),
    Phase.SUSTAIN: N_("The group keeps going by itself: each action leads to the next one."),
}

CELEBRATIONS: dict[Phase, str] = {
    Phase.INITIATE: N_("Your idea is on its way!"),
    Phase.ACTIVATE: N_("Well done: you're no longer alone with your idea!"),
    Phase.STRUCTURE: N_("Great: you have a team, and you know what the neighbours want!"),
    Phase.GROW: N_("Super: your plan is ready. Now the whole street can join!"),
    Phase.SUSTAIN: N_("Fantastic: the action has happened, and you know what comes next!"),
}

# The same moments, for a team member who is not an initiator: it is not their idea.
TEAM_CELEBRATIONS: dict[Phase, str] = {
    Phase.ACTIVATE: N_("Well done: the idea now has a team, with you in it!"),
}

SUSTAIN_ADVICE = N_(
    "<b>How to keep going</b>\n"
    "• Keep a rhythm: after each action, plan the next one.\n"
    "• Hand roles over: let a neighbour who helped take over a task.\n"
    "• Your coach steps back a little. You can do this yourselves, "
    "and you can always still ask."
)

HAND_OVER = N_(
    "<b>Handing over a role</b>\n"
    "Nobody has to do everything forever. This is how you hand over a role:\n"
    "1. Ask a neighbour who helped at the last action if they want to take over a task.\n"
    "2. Do it together once, then let them do it.\n"
    "3. Tell the team who does what now.\n"
    "4. Check the team roles again, so everyone knows where you stand."
)

# The next concrete step for each goal, shown when it is the first goal not met.
GOAL_HINTS: dict[str, str] = {
    "described": N_("Complete your idea: what you want to do, where, and why it matters."),
    "theme_level": N_("Choose a theme and a level for your idea."),
    "co_initiator": N_(
        "Find one neighbour who wants to organise this with you. Send them your invitation."
    ),
    "team": N_("Grow the team to three people. Invite neighbours you get along with."),
    "roles": N_(
        "Check which roles your team has: an expert, a connector and an organiser. "
        "Missing one? Make a plan to find them."
    ),
    "meeting": N_("Plan a first meeting with neighbours, for example at a kitchen table."),
    "wishes": N_(
        "Ask your neighbours what they want, for example at the meeting. Then tick it off here."
    ),
    "action_planned": N_("Choose an action and plan it, with a date and a place."),
    "tasks": N_("Divide the tasks: who does what?"),
    "group": N_(
        "Link your street's group chat: add me to that group. "
        "Or choose to go on without a group chat."
    ),
    "quotes": N_("Ask for at least two quotes and compare them. Your coach can help."),
    "action_held": N_("Hold the action, and tell me afterwards how many people came."),
    "households": N_("Count the households you reached, and fill in the support meter."),
    "review": N_("Look back on the action together, and choose a next step."),
    "rhythm": N_("Keep going: hold another action."),
    "next_planned": N_("Plan the next action."),
}
ALL_DONE_HINT = N_(
    "You have a rhythm. After each action, plan the next one, and keep handing roles over."
)


def _texts(ctx_or_texts: Ctx | Texts) -> Texts:
    return ctx_or_texts if isinstance(ctx_or_texts, Texts) else ctx_or_texts.texts


def phase_label(ctx_or_texts: Ctx | Texts, phase: Phase) -> str:
    """The phase's name in the reader's language: "Activeren" / "Activate"."""
    return _texts(ctx_or_texts)._(PHASE_NAMES[phase])


def numbered_phase_label(phase: Phase) -> Callable[[Ctx], str]:
    """A button label for a phase: "2. Activeren"."""
    return lambda ctx: ctx._("{number}. {name}", number=phase.number, name=phase_label(ctx, phase))


def progress_line(ctx: Ctx | Texts, phase: Phase) -> str:
    """Five steps, the reached ones filled: "● ● ○ ○ ○  Activeren (fase 2 van 5)"."""
    texts = _texts(ctx)
    dots = " ".join("●" if other.number <= phase.number else "○" for other in PHASES)
    return texts._(
        "{dots}  {name} (phase {number} of {total})",
        dots=dots,
        name=phase_label(texts, phase),
        number=phase.number,
        total=len(PHASES),
    )


def goal_hint(ctx_or_texts: Ctx | Texts, goal: Goal | None) -> str:
    texts = _texts(ctx_or_texts)
    if goal is None:
        return texts._(ALL_DONE_HINT)
    return texts._(GOAL_HINTS.get(goal.key, goal.label))


# --- evaluating the goals -----------------------------------------------------------


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int((await session.execute(query)).scalar_one() or 0)


def _actions(initiative: Initiative, kind: ActionKind, status: ActionStatus) -> Select[Any]:
    return (
        select(func.count())
        .select_from(Action)
        .where(
            Action.initiative_id == initiative.id,
            Action.kind == kind,
            Action.status == status,
        )
    )


async def _planned_ahead(session: AsyncSession, initiative: Initiative, now: datetime) -> int:
    return await _count(
        session,
        _actions(initiative, ActionKind.ACTION, ActionStatus.PLANNED).where(
            col(Action.starts_at) > now, func.length(func.trim(Action.place)) > 0
        ),
    )


async def _initiate(
    session: AsyncSession, initiative: Initiative, rules: PhaseRules, _now: datetime
) -> list[Goal]:
    organisers = len(await team(session, initiative.id or 0))
    return [
        Goal(
            "described",
            N_("The idea is described: what, where and why"),
            bool(initiative.what.strip() and initiative.place.strip() and initiative.why.strip()),
        ),
        Goal(
            "theme_level",
            N_("A theme and a level are chosen"),
            bool(initiative.theme and initiative.level),
        ),
        Goal(
            "co_initiator",
            N_("At least one other neighbour organises it with you"),
            organisers - 1 >= rules.co_initiators,
        ),
    ]


async def _activate(
    session: AsyncSession, initiative: Initiative, rules: PhaseRules, _now: datetime
) -> list[Goal]:
    organisers = [member for member, _ in await team(session, initiative.id or 0)]
    roles_covered = (
        any(m.is_expert for m in organisers)
        and any(m.is_connector for m in organisers)
        and any(m.is_organiser for m in organisers)
    )
    meetings = await _count(session, _actions(initiative, ActionKind.MEETING, ActionStatus.HELD))
    return [
        Goal("team", N_("A team of at least three people"), len(organisers) >= rules.team_size),
        Goal(
            "roles",
            N_("The three roles are covered, or there's a plan to find the missing one"),
            roles_covered or bool((initiative.role_plan or "").strip()),
        ),
        Goal("meeting", N_("A first meeting with neighbours is held"), meetings > 0),
        Goal("wishes", N_("The neighbours' wishes are gathered"), initiative.wishes_gathered),
    ]


async def _structure(
    session: AsyncSession, initiative: Initiative, rules: PhaseRules, now: datetime
) -> list[Goal]:
    tasks = await _count(
        session,
        select(func.count())
        .select_from(Task)
        .where(Task.initiative_id == initiative.id, col(Task.assignee_id).is_not(None)),
    )
    groups = await _count(
        session,
        select(func.count())
        .select_from(GroupChat)
        .where(GroupChat.initiative_id == initiative.id, col(GroupChat.active).is_(True)),
    )
    goals = [
        Goal(
            "action_planned",
            N_("An action is planned, with a date and a place"),
            await _planned_ahead(session, initiative, now) > 0,
        ),
        Goal("tasks", N_("The tasks are divided"), tasks > 0),
        Goal(
            "group",
            N_("A street group chat is linked, or you chose to go without one"),
            groups > 0 or initiative.group_chat_skipped,
        ),
    ]
    if initiative.theme is Theme.COLLECTIVE_PURCHASE:
        quotes = await _count(
            session,
            select(func.count()).select_from(Quote).where(Quote.initiative_id == initiative.id),
        )
        goals.append(
            Goal(
                "quotes",
                N_("At least two quotes are requested and compared"),
                quotes >= rules.quotes,
            )
        )
    return goals


async def _grow(
    session: AsyncSession, initiative: Initiative, _rules: PhaseRules, _now: datetime
) -> list[Goal]:
    held = _actions(initiative, ActionKind.ACTION, ActionStatus.HELD)
    with_people = await _count(session, held.where(col(Action.attended) > 0))
    reviewed = await _count(
        session,
        held.where(
            col(Action.reviewed_at).is_not(None),
            func.length(func.trim(func.coalesce(Action.next_step, ""))) > 0,
        ),
    )
    return [
        Goal("action_held", N_("The action is held, and people came"), with_people > 0),
        Goal(
            "households",
            N_("The households you reached are counted"),
            initiative.households_reached > 0,
        ),
        Goal("review", N_("You looked back on the action and chose a next step"), reviewed > 0),
    ]


async def _sustain(
    session: AsyncSession, initiative: Initiative, rules: PhaseRules, now: datetime
) -> list[Goal]:
    held = await _count(session, _actions(initiative, ActionKind.ACTION, ActionStatus.HELD))
    return [
        Goal("rhythm", N_("At least two actions are held"), held >= rules.rhythm_actions),
        Goal(
            "next_planned",
            N_("The next action is planned"),
            await _planned_ahead(session, initiative, now) > 0,
        ),
    ]


_GOALS = {
    Phase.INITIATE: _initiate,
    Phase.ACTIVATE: _activate,
    Phase.STRUCTURE: _structure,
    Phase.GROW: _grow,
    Phase.SUSTAIN: _sustain,
}


async def progress(
    session: AsyncSession,
    initiative: Initiative,
    rules: PhaseRules = PhaseRules(),
    *,
    now: datetime | None = None,
) -> Progress:
    """The goals of the phase the initiative is in, and the first one not met.

    ``now`` decides what "planned ahead" means; flows pass ``ctx.now()``.
    """
    goals = await _GOALS[initiative.phase](session, initiative, rules, now or utcnow())
    return Progress(initiative.phase, goals, next((g for g in goals if not g.met), None))


def _next_phase(phase: Phase) -> Phase | None:
    index = PHASES.index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


async def check_progress(ctx: Ctx, initiative: Initiative) -> list[Phase]:
    """Move the initiative on while all goals of its phase are met; celebrate and
    introduce the new phase in the current chat. Returns the phases reached."""
    await ctx.session.flush()
    rules = ctx.services.policy.phases
    now = ctx.now()
    reached: list[Phase] = []
    while True:
        current = await progress(ctx.session, initiative, rules, now=now)
        following = _next_phase(initiative.phase)
        if current.next_goal is not None or following is None:
            break
        initiative.phase = following
        initiative.phase_changed_at = now
        record_activity(ctx.session, initiative, ActivityKind.PHASE_REACHED, now, ctx.person.id)
        ctx.emit(PhaseReached(initiative.id or 0, following))
        reached.append(following)
    if reached:
        own = await membership(ctx.session, initiative.id or 0, ctx.person.id or 0)
        initiator = own is not None and own.role is MemberRole.INITIATOR
        text, buttons = celebration(ctx, initiative, reached, current, initiator=initiator)
        if Phase.SUSTAIN in reached:  # what the street achieved, in its own numbers
            from bot.domain.outcomes import impact_lines, impact_of

            achieved = impact_lines(ctx.texts, await impact_of(ctx.session, initiative.id or 0))
            if achieved:
                text = Safe(f"{text}\n\n" + "\n".join(f"💚 {line}" for line in achieved))
        ctx.say(text, buttons)
    return reached


def celebration(
    ctx: Ctx,
    initiative: Initiative,
    reached: list[Phase],
    now_at: Progress,
    *,
    initiator: bool = True,
) -> tuple[str, list[list[Button]]]:
    """The message for phases just reached: a cheer per phase (in the words that fit the
    one who made it happen), then the new phase."""
    phase = reached[-1]
    cheers = CELEBRATIONS if initiator else CELEBRATIONS | TEAM_CELEBRATIONS
    lines = [f"🎉 {ctx._(cheers[each])}" for each in reached]
    lines.append(
        ctx._(
            "<b>{title}</b> is now in a new phase:\n<b>{line}</b>",
            title=initiative.title,
            line=progress_line(ctx, phase),
        )
    )
    lines.append(ctx._(PHASE_DESCRIPTIONS[phase]))
    if phase is Phase.SUSTAIN:
        lines.append(ctx._(SUSTAIN_ADVICE))
    lines.append(ctx._("👉 Next step: {hint}", hint=goal_hint(ctx, now_at.next_goal)))
    buttons: list[list[Button]] = []
    if not ctx.incoming.chat.kind.is_group:
        buttons.append([Button(ctx._("See the progress"), pack("ini", "progress", initiative.id))])
    return Safe("\n\n".join(lines)), buttons
