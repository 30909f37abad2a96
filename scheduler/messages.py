"""What each kind of outbox row says, decided at the moment it is sent.

A renderer is ``async def render(session, row, now) -> list[Outgoing] | None``. It
re-checks the domain first — the action cancelled or moved, the person left, the
review already given — and raises ``Skip(reason)`` (or returns None) when the
message no longer makes sense, or ``Postpone(until, reason)`` when it makes sense
later. It writes in the recipient's language and time zone (``texts_for``).

What holds for every kind (unreachable people, reminders off or paused, quiet hours,
the daily budget) is checked by the dispatcher before the renderer runs; each kind
says here how those rules treat it:

* ``essential``: news from a person or a coach's duty — sent even when the person
  switched reminders off or paused them (joined, helper, stalled, digest);
* ``timely``: worthless later (reminders) — never postponed for the daily budget;
* ``at_most_once``: a soft message that is better lost than doubled — a row stuck
  in SENDING is failed by the lease reaper, not sent again (DESIGN.md: reminders
  at-least-once, soft nudges at-most-once);
* ``quiet_hours`` / ``budget`` (default True): whether the person's quiet hours and
  daily budget apply (a kind that is itself the answer to something the person just
  did, or a broadcast with its own pacing, may switch them off).

The dispatcher puts a ``RenderContext`` in ``session.info["render"]``: the services
(settings, the registry's routes), the rule timings, and what it prefetched for the
whole batch (so a batch of 200 reminders costs a handful of queries, not 600).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.core.policy import RuleTimings
from bot.core.registry import KindInfo, Registry
from bot.core.seam import Button, Keyboard, Outgoing, SendText
from bot.domain import phases
from bot.domain.authz import Permission, coach_of, may
from bot.domain.stall import Quiet, quiet_one
from bot.i18n import Safe, Texts, texts_for
from bot.views.after_action import review_prompt, thanks_for_coming
from bot.views.buttons import (
    CANT_COME_AFTER_ALL,
    OPEN_THE_INITIATIVE,
    action_button,
    ask_coach_button,
    calendar_button,
    initiative_button,
    menu_button,
    progress_button,
    rsvp_button,
    team_button,
)
from bot.views.routes import IniInvite, Setting
from scheduler.rules import Kind, followup_due, reminder_due, zone
from storage.models import (
    Action,
    ActionStatus,
    Initiative,
    MemberRole,
    Membership,
    PersonFacts,
    Phase,
    Reminders,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
)

if TYPE_CHECKING:
    from bot.core.policy import Policy
    from bot.core.services import Services

log = logging.getLogger(__name__)

__all__ = [
    "KindInfo",
    "Postpone",
    "RenderContext",
    "Skip",
    "context_of",
]

T = TypeVar("T")
LATE = timedelta(minutes=30)


class Skip(Exception):
    """The message no longer makes sense: the row is cancelled with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Postpone(Exception):
    """The message makes sense later: the row waits until ``until``."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


class RsvpFacts(Protocol):
    """What a renderer reads of an answer: an `Rsvp`, or the plain row prefetched for it."""

    @property
    def answer(self) -> RsvpAnswer: ...
    @property
    def waitlisted(self) -> bool: ...


class MemberFacts(Protocol):
    """What a renderer reads of a membership: a `Membership`, or its prefetched row."""

    @property
    def role(self) -> MemberRole: ...


@dataclass
class RenderContext:
    """What the renderers of one batch share: the services (and their policy) and the rows
    prefetched for the batch. The dispatcher sets it on the session it renders in."""

    services: Services
    # Prefetched for the batch: (action_id, resident_id) -> Rsvp, and which pairs were
    # looked up (so "no answer" needs no query either); the same for memberships.
    rsvps: dict[tuple[int, int], RsvpFacts] = field(default_factory=dict)
    rsvps_known: set[tuple[int, int]] = field(default_factory=set)
    members: dict[tuple[int, int], MemberFacts] = field(default_factory=dict)
    members_known: set[tuple[int, int]] = field(default_factory=set)
    # Prefetched rows by (model, id): found without a round trip through the session.
    loaded: dict[tuple[type, int], Any] = field(default_factory=dict)
    # Prefetched residents by id, as plain rows (`PersonFacts`; `person_of` finds them).
    people: dict[int, PersonFacts] = field(default_factory=dict)
    # What renderers wrote for the batch, by what it depends on (the same words for
    # everyone reading the same language about the same thing).
    written: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def keep(self, rows: Iterable[Any]) -> list[Any]:
        rows = list(rows)
        for row in rows:
            self.loaded[(type(row), row.id)] = row
        return rows

    @property
    def policy(self) -> Policy:
        return self.services.policy

    @property
    def timings(self) -> RuleTimings:
        return self.services.policy.timings


async def fetch(session: AsyncSession, model: type[T], ident: int | None) -> T | None:
    """A row by id: from the batch's prefetch when it is there, else from the database."""
    if not ident:
        return None
    found = context_of(session).loaded.get((model, ident))
    if found is not None:
        return found
    return await session.get(model, ident)


async def person_of(session: AsyncSession, ident: int | None) -> PersonFacts | None:
    """A resident to read, not change: the batch's prefetched row when it is there (a plain
    row, see `PersonFacts`), else the `Resident` from the database."""
    if not ident:
        return None
    found = context_of(session).people.get(ident)
    if found is not None:
        return found
    return await session.get(Resident, ident)


def context_of(session: AsyncSession) -> RenderContext:
    """The batch's render context; renderers run only within a sweep, which sets it."""
    context: RenderContext | None = session.info.get("render")
    if context is None:
        raise LookupError("a renderer runs in a session the dispatcher prepared (render)")
    return context


# --- looking things up, again, just before sending ---------------------------------------


async def recipient(session: AsyncSession, row: ScheduledMessage) -> PersonFacts:
    person = await person_of(session, row.resident_id)
    if person is None:
        raise Skip("the person is gone")
    return person


async def initiative_of(session: AsyncSession, initiative_id: int | None) -> Initiative:
    initiative = await fetch(session, Initiative, initiative_id)
    if initiative is None:
        raise Skip("the initiative is gone")
    return initiative


async def action_of(session: AsyncSession, row: ScheduledMessage) -> Action:
    action = await fetch(session, Action, row.action_id)
    if action is None:
        raise Skip("the action is gone")
    if action.status is ActionStatus.CANCELLED:
        raise Skip("the action was cancelled")
    return action


async def rsvp_of(session: AsyncSession, action_id: int, resident_id: int) -> RsvpFacts | None:
    context = context_of(session)
    key = (action_id, resident_id)
    if key in context.rsvps_known:
        return context.rsvps.get(key)
    result = await session.execute(
        select(Rsvp).where(Rsvp.action_id == action_id, Rsvp.resident_id == resident_id)
    )
    return result.scalar_one_or_none()


async def membership_of(
    session: AsyncSession, initiative_id: int, resident_id: int
) -> MemberFacts | None:
    context = context_of(session)
    key = (initiative_id, resident_id)
    if key in context.members_known:
        return context.members.get(key)
    result = await session.execute(
        select(Membership).where(
            Membership.initiative_id == initiative_id, Membership.resident_id == resident_id
        )
    )
    return result.scalar_one_or_none()


async def require_role(
    session: AsyncSession, initiative_id: int, person: PersonFacts, *roles: MemberRole
) -> MemberFacts:
    member = await membership_of(session, initiative_id, person.id or 0)
    if member is None:
        raise Skip("no longer a member")
    if roles and member.role not in roles:
        raise Skip(f"no longer {' or '.join(str(role) for role in roles)}")
    return member


def texts_of(person: PersonFacts) -> Texts:
    return texts_for(person.language, person.timezone)


def say(person: PersonFacts, text: str, *rows: list[Button]) -> list[Outgoing]:
    return [SendText(person.telegram_id, text, keyboard_of(*rows))]


def keyboard_of(*rows: list[Button]) -> Keyboard:
    """A message's buttons, row by row (empty rows left out)."""
    return tuple(tuple(row) for row in rows if row)


def initiative_row(texts: Texts, initiative_id: int) -> list[Button]:
    return [initiative_button(texts, initiative_id, OPEN_THE_INITIATIVE)]


def settings_button(texts: Texts) -> Button:
    return Button(texts._("Fewer messages"), Setting("show").pack())


async def next_step_hint(
    session: AsyncSession, texts: Texts, initiative: Initiative, now: datetime
) -> str:
    """ONE concrete next step: the first goal of the phase that is not met yet."""
    found = await phases.progress(session, initiative, context_of(session).policy.phases, now=now)
    return phases.goal_hint(texts, found.next_goal)


def phase_name(texts: Texts, phase: Phase) -> str:
    return phases.phase_label(texts, phase)


def days_text(texts: Texts, days: int) -> Safe:
    return texts.n_("{n} day", "{n} days", days)


# Dates in a reader's language, cached: a batch of reminders for one action shares them.
@lru_cache(maxsize=1024)
def local_day(texts: Texts, moment: datetime) -> str:
    return texts.day(moment.astimezone(texts.tz).date())


@lru_cache(maxsize=1024)
def when_text(texts: Texts, moment: datetime) -> str:
    return texts.when(moment)


@lru_cache(maxsize=1024)
def time_text(texts: Texts, moment: datetime) -> str:
    return texts.time(moment)


def since(row: ScheduledMessage, name: str) -> datetime | None:
    value = (row.payload or {}).get(name)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def stall_days_of(session: AsyncSession) -> int:
    """The one stall threshold (Settings.stall_days)."""
    return context_of(session).services.policy.stall_days


async def still_quiet(
    session: AsyncSession, initiative: Initiative, row: ScheduledMessage, now: datetime
) -> Quiet:
    """Still stalled at send time, as bot/domain/stall.py reads it: not active again, no action
    planned since, none that took place (so never "quiet for 27 days" on an action's day)."""
    quiet_since = since(row, "quiet_since")
    if quiet_since is not None and initiative.last_activity_at > quiet_since:
        raise Skip("the initiative is active again")
    quiet = await quiet_one(session, initiative, now)
    if quiet.waiting:
        raise Skip("an action is planned")
    if not quiet.stalled(stall_days_of(session)):
        raise Skip("not quiet long enough: an action took place")
    return quiet


# --- after an action ----------------------------------------------------------------------


async def render_followup(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The initiators: how did it go, and what comes next?"""
    person = await recipient(session, row)
    action = await action_of(session, row)
    if action.reviewed_at is not None or action.status is ActionStatus.HELD:
        raise Skip("already answered: the action was reviewed")
    await require_role(session, action.initiative_id, person, MemberRole.INITIATOR)
    timings = context_of(session).timings
    due = followup_due(action, zone(person.timezone), timings)
    if due > now:
        raise Postpone(due, "the action moved")
    texts = texts_of(person)
    text, rows = review_prompt(texts, action)
    return say(person, text, *rows)


async def render_thanks(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Who came: thank you — and would you help organise the next one?"""
    person = await recipient(session, row)
    action = await action_of(session, row)
    rsvp = await rsvp_of(session, action.id or 0, person.id or 0)
    if rsvp is None or rsvp.answer is not RsvpAnswer.COMING or rsvp.waitlisted:
        raise Skip("no longer said coming")
    member = await require_role(session, action.initiative_id, person)
    if member.role is MemberRole.INITIATOR:
        raise Skip("initiators get the follow-up question instead")
    due = followup_due(action, zone(person.timezone), context_of(session).timings)
    if due > now:
        raise Postpone(due, "the action moved")
    texts = texts_of(person)
    text, rows = thanks_for_coming(texts, action, member.role)
    return say(person, text, *rows)


# --- before an action ----------------------------------------------------------------------


async def render_reminder(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Who said coming or maybe: it is tomorrow / soon."""
    person = await recipient(session, row)
    action = await action_of(session, row)
    rsvp = await rsvp_of(session, action.id or 0, person.id or 0)
    context = context_of(session)
    texts = texts_of(person)
    lead_name = (row.payload or {}).get("lead", "")
    # Everyone in the batch with the same action, lead, language, time zone and answer
    # comes to the same thing: the same words, or the same skip or postponement. It is
    # decided once per batch, not once per person.
    answer = None if rsvp is None else (rsvp.answer, rsvp.waitlisted)
    key = ("reminder", action.id, lead_name, texts, person.timezone, answer)
    outcome = context.written.get(key)
    if outcome is None:
        try:
            text, rows = _reminder_words(context, texts, action, rsvp, lead_name, person, now)
            outcome = (text, keyboard_of(*rows))
        except (Skip, Postpone) as held:
            outcome = held
        context.written[key] = outcome
    if isinstance(outcome, Skip):
        raise Skip(outcome.reason)
    if isinstance(outcome, Postpone):
        raise Postpone(outcome.until, outcome.reason)
    text, keyboard = outcome
    return [SendText(person.telegram_id, text, keyboard)]


def _reminder_words(
    context: RenderContext,
    texts: Texts,
    action: Action,
    rsvp: RsvpFacts | None,
    lead_name: str,
    person: PersonFacts,
    now: datetime,
) -> tuple[Safe, list[list[Button]]]:
    """What a reminder says, or why it is not sent (Skip, Postpone)."""
    if action.status is not ActionStatus.PLANNED:
        raise Skip(f"the action is {action.status}")
    if action.starts_at <= now:
        raise Skip("the action has started")
    if rsvp is None or rsvp.answer is RsvpAnswer.NO:
        raise Skip("already answered: not coming")
    if rsvp.waitlisted:
        raise Skip("on the waiting list")
    timings = context.timings
    lead = dict(timings.reminder_leads).get(lead_name)
    if lead is None:
        raise Skip("unknown reminder")
    tz = zone(person.timezone)
    due, covered = _reminder_timing(action.starts_at, lead, tz, timings, now)
    if due > now:
        raise Postpone(due, "the action moved")
    if covered:  # the dispatcher was behind, and a later reminder is due too
        raise Skip("a later reminder covers it")
    # "Starts soon" only on the day itself: a short reminder pulled to the evening
    # before names the day, like the day-ahead one.
    soon = (
        lead < timings.reminder_soon_below
        and now.astimezone(tz).date() == action.starts_at.astimezone(tz).date()
    )
    return _reminder_text(context, texts, action, rsvp, lead, soon)


def _reminder_timing(
    starts_at: datetime, lead: timedelta, tz: ZoneInfo, timings: RuleTimings, now: datetime
) -> tuple[datetime, bool]:
    """When this reminder is due, and whether a later (shorter) one is due too because
    the dispatcher was behind (then this one is skipped)."""
    due = reminder_due(starts_at, lead, tz, timings)
    covered = now - due >= LATE and any(
        shorter < lead and reminder_due(starts_at, shorter, tz, timings) <= now
        for _name, shorter in timings.reminder_leads
    )
    return due, covered


def _reminder_text(
    context: RenderContext,
    texts: Texts,
    action: Action,
    rsvp: RsvpFacts,
    lead: timedelta,
    soon: bool,
) -> tuple[Safe, list[list[Button]]]:
    timings = context.timings
    if not soon:
        text = texts._(
            "⏰ Reminder: <b>{title}</b> is on {when}.",
            title=action.title,
            when=when_text(texts, action.starts_at),
        )
    else:
        text = texts._(
            "⏰ <b>{title}</b> starts soon, at {time}.",
            title=action.title,
            time=time_text(texts, action.starts_at),
        )
    aid = action.id or 0
    lines = [text]
    if action.place.strip():
        lines.append(texts._("📍 {place}", place=action.place))
    rows: list[list[Button]] = []
    if rsvp.answer is RsvpAnswer.MAYBE:
        lines.append(texts._("You said maybe. Will you come? Let the others know."))
        rows.append(
            [rsvp_button(texts, aid, RsvpAnswer.COMING), rsvp_button(texts, aid, RsvpAnswer.NO)]
        )
    else:
        lines.append(texts._("You said you're coming. See you there!"))
        rows.append([rsvp_button(texts, aid, RsvpAnswer.NO, CANT_COME_AFTER_ALL)])
    rows.append([action_button(texts, aid)])
    if lead >= timings.reminder_soon_below:
        # The day-ahead reminder offers the calendar file, with the action as it is now.
        rows.insert(0, [calendar_button(texts, aid)])
    return Safe("\n".join(lines)), rows


# --- people joining -------------------------------------------------------------------------


async def render_joined(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The inviter: your invitation was accepted."""
    person = await recipient(session, row)
    initiative = await initiative_of(session, row.initiative_id)
    member_id = int((row.payload or {}).get("member_id") or 0)
    newcomer = await person_of(session, member_id)
    if newcomer is None:
        raise Skip("the new member is gone")
    member = await membership_of(session, initiative.id or 0, member_id)
    if member is None:
        raise Skip("the new member left again")
    texts = texts_of(person)
    if member.role is MemberRole.FOLLOWER:
        text = texts._(
            "Good news: {name} accepted your invitation and now follows <b>{title}</b>.",
            name=newcomer.display_name,
            title=initiative.title,
        )
    else:
        text = texts._(
            "🎉 Good news: {name} accepted your invitation and joined the team of <b>{title}</b>!",
            name=newcomer.display_name,
            title=initiative.title,
        )
    rows = [
        initiative_row(texts, initiative.id or 0),
        [Button(texts._("Invite more neighbours"), IniInvite(initiative.id or 0).pack())],
    ]
    return say(person, text, *rows)


async def render_helper(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The initiators: a neighbour who came wants to help organise the next one."""
    person = await recipient(session, row)
    initiative = await initiative_of(session, row.initiative_id)
    await require_role(session, initiative.id or 0, person, MemberRole.INITIATOR)
    member_id = int((row.payload or {}).get("member_id") or 0)
    helper = await person_of(session, member_id)
    if helper is None:
        raise Skip("the helper is gone")
    member = await membership_of(session, initiative.id or 0, member_id)
    if member is None or member.role is MemberRole.FOLLOWER:
        raise Skip("the helper is no longer in the team")
    texts = texts_of(person)
    text = texts._(
        "🙌 {name} came to your action and wants to help organise the next one. "
        "{name} is now in the team of <b>{title}</b>. Say hello, and give them a task!",
        name=helper.display_name,
        title=initiative.title,
    )
    rows = [
        [team_button(texts, initiative.id)],
        initiative_row(texts, initiative.id or 0),
    ]
    return say(person, text, *rows)


# --- quiet initiatives ------------------------------------------------------------------------


async def render_nudge(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The initiators of a quiet initiative: one concrete next step."""
    person = await recipient(session, row)
    initiative = await initiative_of(session, row.initiative_id)
    await require_role(session, initiative.id or 0, person, MemberRole.INITIATOR)
    quiet = await still_quiet(session, initiative, row, now)
    texts = texts_of(person)
    text = texts._(
        "It has been quiet around <b>{title}</b> for {days}. That's fine: "
        "everyone is busy sometimes.\n\n"
        "One small step is enough to get going again:\n👉 {hint}",
        title=initiative.title,
        days=days_text(texts, quiet.days),
        hint=await next_step_hint(session, texts, initiative, now),
    )
    rows = [initiative_row(texts, initiative.id or 0)]
    if initiative.coach_id is not None:
        rows.append([ask_coach_button(texts, initiative.id)])
    rows.append([settings_button(texts)])
    return say(person, text, *rows)


async def render_stalled(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The coach: an initiative has stalled."""
    coach = await recipient(session, row)
    initiative = await initiative_of(session, row.initiative_id)
    current = await coach_of(session, initiative)
    if current is None or current.id != coach.id:
        raise Skip("no longer the coach of this initiative")
    if initiative.stall_snoozed_until is not None and initiative.stall_snoozed_until > now:
        raise Skip("snoozed by the coach")
    quiet = await still_quiet(session, initiative, row, now)
    texts = texts_of(coach)
    text = texts._(
        "<b>{title}</b> has been quiet for {days}. It's in the phase {phase}.\n\n"
        "The initiators may need a hand: a short message from you can help them on their way.",
        title=initiative.title,
        days=days_text(texts, quiet.days),
        phase=phase_name(texts, initiative.phase),
    )
    return say(coach, text, initiative_row(texts, initiative.id or 0))


# --- a phase reached ----------------------------------------------------------------------------


async def render_phase(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The other organisers: congratulations, what the phase reached (the row's payload)
    is about, and its next step — sent only while the initiative is still in it."""
    person = await recipient(session, row)
    initiative = await initiative_of(session, row.initiative_id)
    try:
        phase = Phase((row.payload or {}).get("phase", ""))
    except ValueError as error:
        raise Skip("unknown phase") from error
    if initiative.phase.number < phase.number:
        raise Skip("the phase was set back")
    if initiative.phase.number > phase.number:
        # Moved on before this news went out (it waited for the quiet hours or the
        # budget, or several phases were reached at once): the next step would be one
        # of a later phase. The later phase's news (or, for the one who made it, the
        # celebration in their own chat) tells the current state.
        raise Skip("a later phase was reached since")
    await require_role(session, initiative.id or 0, person, MemberRole.INITIATOR, MemberRole.TEAM)
    texts = texts_of(person)
    parts = [
        texts._(
            "🎉 Well done: <b>{title}</b> reached a new phase: <b>{phase}</b>.",
            title=initiative.title,
            phase=phase_name(texts, phase),
        )
    ]
    parts.append(texts._(phases.PHASE_DESCRIPTIONS[phase]))
    parts.append(
        texts._("👉 Next step: {hint}", hint=await next_step_hint(session, texts, initiative, now))
    )
    rows = [[progress_button(texts, initiative.id)]]
    return say(person, Safe("\n\n".join(parts)), *rows)


# --- the coach's week ---------------------------------------------------------------------------


async def render_digest(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """A coach's weekly digest: the one digest of bot.domain.coaches (its dates, its counts, the
    one stall threshold), gathered at send time."""
    from bot.domain import coaches
    from bot.views.digest import render_digest as digest_text

    coach = await recipient(session, row)
    if not await may(session, coach, Permission.COACH_OVERVIEW):
        raise Skip("no longer a coach")
    context = context_of(session)
    data = await coaches.digest(
        session,
        coach,
        now,
        stall_days=stall_days_of(session),
        upcoming_days=context.timings.digest_upcoming.days,
    )
    if not data.total:
        raise Skip("no initiatives to report on")
    texts = texts_of(coach)
    return say(coach, digest_text(texts, data), [menu_button(texts)])


def reminders_allow(person: PersonFacts, kind: KindInfo, now: datetime) -> datetime | bool:
    """True: the person's setting allows it now; False: never (off); a moment: after it."""
    if kind.essential or person.reminders is Reminders.ON:
        return True
    if person.reminders is Reminders.OFF:
        return False
    until = person.reminders_paused_until
    if until is not None and until > now:
        return until
    return True


def register(registry: Registry) -> None:
    """The scheduler's own kinds (bot.app.build_registry calls this)."""
    registry.renderer(Kind.FOLLOWUP)(render_followup)
    registry.renderer(Kind.THANKS, at_most_once=True)(render_thanks)
    registry.renderer(Kind.REMINDER, timely=True)(render_reminder)
    registry.renderer(Kind.JOINED, essential=True)(render_joined)
    registry.renderer(Kind.HELPER, essential=True)(render_helper)
    registry.renderer(Kind.NUDGE, at_most_once=True)(render_nudge)
    registry.renderer(Kind.STALLED, essential=True, at_most_once=True)(render_stalled)
    registry.renderer(Kind.PHASE, at_most_once=True)(render_phase)
    registry.renderer(Kind.DIGEST, essential=True, at_most_once=True)(render_digest)
