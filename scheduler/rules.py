"""Follow-up rules: each activity turns into the next one.

Each rule is a small function that hears a domain event (``bot.core.events``) inside the
update's transaction and writes outbox rows (``scheduler.outbox``); the rows commit
with the change that caused them. Cron jobs (``scheduler.clock``) only insert rows.
What a row says is decided when it is sent (``scheduler.messages``), in the
recipient's language and zone, after checking it still makes sense.

| when | who | kind: key |
|---|---|---|
| the day after an action, 10:00 local | each initiator | followup:<action>:<initiator> |
| the day after an action, 10:00 local | each "coming" | thanks:<action>:<resident> |
| 24 h and 2 h before an action | "coming" or "maybe" | reminder:<action>:24h:<resident> |
| an invitation accepted, soon | the inviter | joined:<initiative>:<resident> |
| "I'll help next time", soon | the initiators | helper:<initiative>:<helper>:<initiator> |
| stall scan (bot/domain/stall.py) | each initiator | nudge:<initiative>:<iso-week>:<initiator> |
| stall scan, the same reading | the coach | stalled:<initiative>:<iso-week> |
| a phase reached | the other organisers | phase:<initiative>:<phase>:<resident> |
| Mondays 08:30 local | each coach | digest:<coach>:<iso-week> |

(The kind is the key's first part. "Coming" means coming with a place, not on the
waiting list.)

Where the brief's key names an occasion with several recipients (nudge, phase) the
recipient's id is appended: one row per person, so each person's quiet hours, budget,
language and opt-out apply to their own row.

Time: "the next day at 10:00" is wall-clock arithmetic in the recipient's zone
(``days_after_at``: 10:00 stays 10:00 across DST); "24 h before" is elapsed time in
UTC. A due time inside the recipient's quiet hours moves to their end. Reminders
differ (``reminder_due``): a day-ahead one (24 h) moves to the end of the quiet
hours unless it would then come too close to the start; a "starts soon" one (2 h)
never waits for the morning — at 09:00 all the night's news arrives at once and
competes for the daily budget, which drops a reminder that does not fit, and it
would give less notice than promised — so it moves to just before the quiet hours
began: the evening before, reading "tomorrow at 10:00". When the day-ahead reminder
comes that same day, the two are merged: only the day-ahead one is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    ActionReviewed,
    MemberJoined,
    MemberLeft,
    PhaseReached,
    RsvpGiven,
)
from bot.core.policy import RuleTimings
from bot.core.registry import Registry
from bot.domain.authz import coach_of
from bot.domain.stall import quiet_of
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.timing import (
    QuietHours,
    days_after_at,
    iso_week_key,
    local_wall_clock,
)
from storage.models import (
    Action,
    ActionStatus,
    Activity,
    ActivityKind,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    PersonRole,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
)

log = logging.getLogger(__name__)

__all__ = [
    "ACTION_KINDS",
    "Kind",
    "coach_digest",
    "followup_due",
    "gentle",
    "register",
    "reminder_due",
    "stall_scan",
    "sync_action",
]


class Kind(StrEnum):
    """The kinds of outbox rows these rules write (``ScheduledMessage.kind``)."""

    FOLLOWUP = "followup"
    THANKS = "thanks"
    REMINDER = "reminder"
    JOINED = "joined"
    HELPER = "helper"
    NUDGE = "nudge"
    STALLED = "stalled"
    PHASE = "phase"
    DIGEST = "digest"


# The rows that belong to one action, kept in step with it by ``sync_action``.
ACTION_KINDS = (Kind.FOLLOWUP, Kind.THANKS, Kind.REMINDER)


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Amsterdam")
    except (ValueError, KeyError):
        return ZoneInfo("Europe/Amsterdam")


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --- when --------------------------------------------------------------------------------


def gentle(due: datetime, tz: ZoneInfo, timings: RuleTimings) -> datetime:
    """``due``, or the end of the recipient's quiet hours when it falls inside them."""
    return timings.quiet_hours.next_allowed(due, tz)


def followup_due(action: Action, tz: ZoneInfo, timings: RuleTimings) -> datetime:
    """The day after the action, at 10:00 on the recipient's wall clock."""
    due = days_after_at(action.starts_at, timings.followup_days, timings.followup_at, tz)
    return gentle(due, tz, timings)


def _quiet_began(moment: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime:
    """When the quiet period that contains ``moment`` began (UTC)."""
    local = moment.astimezone(tz)
    day = local.date()
    if quiet.spans_midnight and local.time() < quiet.end:
        day -= timedelta(days=1)
    return local_wall_clock(day, quiet.start, tz)


def reminder_due(
    starts_at: datetime, lead: timedelta, tz: ZoneInfo, timings: RuleTimings
) -> datetime:
    """``lead`` before the start (elapsed time), kept out of the quiet hours: a day-ahead
    reminder moves to their end while that leaves ``reminder_min_notice``; otherwise,
    and always for a "starts soon" reminder, to just before they began."""
    due = starts_at - lead
    quiet = timings.quiet_hours
    if not quiet.contains(due, tz):
        return due
    later = quiet.next_allowed(due, tz)
    if lead >= timings.reminder_soon_below and later <= starts_at - timings.reminder_min_notice:
        return later
    return _quiet_began(due, tz, quiet) - timings.reminder_evening_margin


def merged_reminders(starts_at: datetime, tz: ZoneInfo, timings: RuleTimings) -> dict[str, str]:
    """Leads not sent on their own: a "starts soon" reminder pulled to the evening
    before, when a longer one is due that same local day (name -> the longer one's)."""
    dues = {
        name: reminder_due(starts_at, lead, tz, timings) for name, lead in timings.reminder_leads
    }
    start_day = starts_at.astimezone(tz).date()
    merged: dict[str, str] = {}
    for name, lead in timings.reminder_leads:
        day = dues[name].astimezone(tz).date()
        if lead >= timings.reminder_soon_below or day >= start_day:
            continue
        for longer_name, longer in timings.reminder_leads:
            if longer > lead and dues[longer_name].astimezone(tz).date() == day:
                merged[name] = longer_name
                break
    return merged


# --- the rows of one action ---------------------------------------------------------------


async def sync_action(
    session: AsyncSession,
    action_id: int,
    now: datetime,
    timings: RuleTimings,
    *,
    resident_id: int | None = None,
) -> None:
    """Make the action's rows (follow-ups, thank-yous, reminders) match the action.

    Idempotent: planned, moved, an answer changed — run it again and the outbox holds
    what the action needs now. ``resident_id`` limits it to one person's rows.
    """
    action = await session.get(Action, action_id)
    if action is None:
        return
    if action.status is ActionStatus.CANCELLED:
        await outbox.cancel_for_action(session, action_id, reason="action cancelled")
        return
    rows = await _action_rows(session, action_id, resident_id)
    wanted, late = await _wanted_rows(session, action, now, timings, resident_id, rows)
    for planned in wanted.values():
        await outbox.schedule_or_move(session, planned, now, rows.get(planned.key))
    stale = [
        row.dedupe_key
        for row in rows.values()
        if row.status is OutboxStatus.PENDING
        and row.dedupe_key not in wanted
        and not (row.dedupe_key in late and _same_start(row, action))
    ]
    await outbox.cancel_keys(session, stale, reason="no longer needed for this action")


def _reminder_comes(
    row: ScheduledMessage | None, due: datetime, now: datetime, action: Action
) -> bool:
    """Will (or did) the person get the longer reminder that a merged one relies on,
    telling the action's current start? Still ahead: this sync schedules it."""
    if due > now:
        return True
    return (
        row is not None
        and row.status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)
        and _same_start(row, action)
    )


def _same_start(row: ScheduledMessage, action: Action) -> bool:
    """A reminder whose time passed while the dispatcher was behind is still worth
    sending if the action did not move (the renderer checks it has not started)."""
    return (row.payload or {}).get("starts_at") == utc_iso(action.starts_at)


async def _action_rows(
    session: AsyncSession, action_id: int, resident_id: int | None
) -> dict[str, ScheduledMessage]:
    query = select(ScheduledMessage).where(
        ScheduledMessage.action_id == action_id,
        col(ScheduledMessage.kind).in_(ACTION_KINDS),
    )
    if resident_id is not None:
        query = query.where(ScheduledMessage.resident_id == resident_id)
    return {row.dedupe_key: row for row in (await session.execute(query)).scalars().all()}


async def _wanted_rows(
    session: AsyncSession,
    action: Action,
    now: datetime,
    timings: RuleTimings,
    resident_id: int | None,
    rows: dict[str, ScheduledMessage],
) -> tuple[dict[str, Planned], set[str]]:
    """The rows the action needs now, and the keys of reminders that are due already."""
    action_id = action.id or 0
    late: set[str] = set()
    initiative_id = action.initiative_id
    wanted: list[Planned] = []
    reviewed = action.reviewed_at is not None or action.status is ActionStatus.HELD
    initiators = await _people(session, initiative_id, [MemberRole.INITIATOR], None)
    initiator_ids = {person.id for person in initiators}
    for person in initiators:
        if reviewed or (resident_id is not None and person.id != resident_id):
            continue
        wanted.append(
            Planned(
                Kind.FOLLOWUP,
                f"followup:{action_id}:{person.id}",
                followup_due(action, zone(person.timezone), timings),
                resident_id=person.id,
                initiative_id=initiative_id,
                action_id=action_id,
            )
        )
    starts = utc_iso(action.starts_at)
    leads = dict(timings.reminder_leads)
    merged_in: dict[ZoneInfo, dict[str, str]] = {}  # most people share one zone
    for rsvp, person in await _answers(session, action_id, resident_id):
        tz = zone(person.timezone)
        coming = rsvp.answer is RsvpAnswer.COMING and not rsvp.waitlisted
        if coming and person.id not in initiator_ids:
            wanted.append(
                Planned(
                    Kind.THANKS,
                    f"thanks:{action_id}:{person.id}",
                    followup_due(action, tz, timings),
                    resident_id=person.id,
                    initiative_id=initiative_id,
                    action_id=action_id,
                )
            )
        if reviewed or not (coming or rsvp.answer is RsvpAnswer.MAYBE):
            continue
        if tz not in merged_in:
            merged_in[tz] = merged_reminders(action.starts_at, tz, timings)
        merged = merged_in[tz]
        for lead_name, lead in timings.reminder_leads:
            key = f"reminder:{action_id}:{lead_name}:{person.id}"
            due = reminder_due(action.starts_at, lead, tz, timings)
            into = merged.get(lead_name)
            if into is not None and _reminder_comes(
                rows.get(f"reminder:{action_id}:{into}:{person.id}"),
                reminder_due(action.starts_at, leads[into], tz, timings),
                now,
                action,
            ):
                continue  # the longer reminder, that same day, says it already
            if due <= now:
                late.add(key)  # too late to schedule: answering now needs no reminder
                continue
            wanted.append(
                Planned(
                    Kind.REMINDER,
                    key,
                    due,
                    resident_id=person.id,
                    initiative_id=initiative_id,
                    action_id=action_id,
                    payload={"lead": lead_name, "starts_at": starts},
                )
            )
    return {planned.key: planned for planned in wanted}, late


async def _people(
    session: AsyncSession,
    initiative_id: int,
    roles: Iterable[MemberRole],
    resident_id: int | None,
) -> list[Resident]:
    query = (
        select(Resident)
        .join(Membership, col(Membership.resident_id) == col(Resident.id))
        .where(
            Membership.initiative_id == initiative_id,
            col(Membership.role).in_(list(roles)),
        )
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    if resident_id is not None:
        query = query.where(Resident.id == resident_id)
    return list((await session.execute(query)).scalars().all())


async def _answers(
    session: AsyncSession, action_id: int, resident_id: int | None
) -> list[tuple[Rsvp, Resident]]:
    query = (
        select(Rsvp, Resident)
        .join(Resident, col(Resident.id) == col(Rsvp.resident_id))
        .where(Rsvp.action_id == action_id)
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    )
    if resident_id is not None:
        query = query.where(Rsvp.resident_id == resident_id)
    return [(rsvp, person) for rsvp, person in (await session.execute(query)).all()]


# --- the rules, one per event --------------------------------------------------------------


def register(registry: Registry, timings: RuleTimings | None = None) -> None:
    """Subscribe the rules to the domain events."""
    timings = timings or RuleTimings()

    @registry.subscribe(ActionPlanned, ActionChanged)
    async def action_planned_or_moved(
        session: AsyncSession, event: ActionPlanned | ActionChanged, now: datetime
    ) -> None:
        """Ask the initiators afterwards, thank who came, remind who answered."""
        await sync_action(session, event.action_id, now, timings)

    @registry.subscribe(ActionCancelled)
    async def action_cancelled(
        session: AsyncSession, event: ActionCancelled, now: datetime
    ) -> None:
        """Nothing about a cancelled action is sent any more."""
        await outbox.cancel_for_action(session, event.action_id, reason="action cancelled")

    @registry.subscribe(RsvpGiven)
    async def rsvp_given(session: AsyncSession, event: RsvpGiven, now: datetime) -> None:
        """Coming or maybe: reminders (and a thank-you afterwards). No: none of them."""
        await sync_action(session, event.action_id, now, timings, resident_id=event.resident_id)

    @registry.subscribe(ActionReviewed)
    async def action_reviewed(session: AsyncSession, event: ActionReviewed, now: datetime) -> None:
        """One initiator told how it went: the others need not be asked any more."""
        await outbox.cancel_for_action(
            session,
            event.action_id,
            reason="already answered: the action was reviewed",
            kinds=[Kind.FOLLOWUP, Kind.REMINDER],
        )

    @registry.subscribe(MemberJoined)
    async def member_joined(session: AsyncSession, event: MemberJoined, now: datetime) -> None:
        """An invitation accepted: tell the one who invited (soon, not at night)."""
        inviter_id = event.invited_by_id
        if inviter_id is None or inviter_id == event.resident_id:
            return
        inviter = await session.get(Resident, inviter_id)
        if inviter is None:
            return
        await outbox.schedule(
            session,
            Planned(
                Kind.JOINED,
                f"joined:{event.initiative_id}:{event.resident_id}",
                gentle(now, zone(inviter.timezone), timings),
                resident_id=inviter_id,
                initiative_id=event.initiative_id,
                payload={"member_id": event.resident_id, "role": str(event.role)},
            ),
            now,
        )

    @registry.subscribe(MemberLeft)
    async def member_left(session: AsyncSession, event: MemberLeft, now: datetime) -> None:
        """Someone left: nothing more about this initiative for them."""
        await outbox.cancel_for_resident(
            session,
            event.resident_id,
            reason="left the initiative",
            initiative_id=event.initiative_id,
        )

    @registry.subscribe(PhaseReached)
    async def phase_reached(session: AsyncSession, event: PhaseReached, now: datetime) -> None:
        """Congratulate the other organisers; the one who did it saw it in their chat."""
        actor_id = await _phase_actor(session, event)
        for person in await _people(
            session, event.initiative_id, [MemberRole.INITIATOR, MemberRole.TEAM], None
        ):
            if person.id == actor_id:
                continue
            await outbox.schedule(
                session,
                Planned(
                    Kind.PHASE,
                    f"phase:{event.initiative_id}:{event.phase}:{person.id}",
                    gentle(now, zone(person.timezone), timings),
                    resident_id=person.id,
                    initiative_id=event.initiative_id,
                    payload={"phase": str(event.phase)},
                ),
                now,
            )


async def _phase_actor(session: AsyncSession, event: PhaseReached) -> int | None:
    """Who made the phase change: bot.domain.phases records it as the newest activity."""
    result = await session.execute(
        select(Activity.resident_id)
        .where(
            Activity.initiative_id == event.initiative_id,
            Activity.kind == ActivityKind.PHASE_REACHED,
        )
        .order_by(col(Activity.at).desc(), col(Activity.id).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


# --- cron jobs: they only insert rows -------------------------------------------------------


async def stall_scan(
    session: AsyncSession,
    now: datetime,
    timings: RuleTimings,
    *,
    stall_days: int,
    tz: ZoneInfo,
) -> int:
    """Nudge the initiators of stalled initiatives (one concrete next step, at most
    ``nudges_per_quiet_spell`` per quiet spell, one per week), and tell the coach once per
    quiet spell. Stalled is bot/domain/stall.py's reading, with the one threshold ``stall_days``:
    an initiative with an action planned ahead is waiting, not quiet, and an action that
    took place is a sign of life. Returns how many rows were inserted."""
    week = iso_week_key(now, tz)
    quiet_since = now - timedelta(days=stall_days)
    planned_ahead = (
        select(Action.id)
        .where(
            Action.initiative_id == Initiative.id,
            Action.status == ActionStatus.PLANNED,
            Action.starts_at > now,
        )
        .exists()
    )
    result = await session.execute(
        select(Initiative)
        .where(Initiative.last_activity_at <= quiet_since, ~planned_ahead)
        .order_by(col(Initiative.id))
    )
    inserted = 0
    candidates = list(result.scalars().all())
    quiet = await quiet_of(session, candidates, now)
    for initiative in candidates:
        iid = initiative.id or 0
        if not quiet[iid].stalled(stall_days):
            continue  # an action took place since its last activity
        spell_started = quiet[iid].since
        for person in await _people(session, iid, [MemberRole.INITIATOR], None):
            earlier = await _rows_since(session, Kind.NUDGE, iid, person.id, spell_started)
            if earlier >= timings.nudges_per_quiet_spell:
                continue
            inserted += await outbox.schedule(
                session,
                Planned(
                    Kind.NUDGE,
                    f"nudge:{iid}:{week}:{person.id}",
                    gentle(now, zone(person.timezone), timings),
                    resident_id=person.id,
                    initiative_id=iid,
                    payload={"quiet_since": utc_iso(spell_started)},
                ),
                now,
            )
        if initiative.coach_id is None:
            continue
        if await _rows_since(session, Kind.STALLED, iid, None, spell_started):
            continue
        coach = await coach_of(session, initiative)
        if coach is None:
            continue
        inserted += await outbox.schedule(
            session,
            Planned(
                Kind.STALLED,
                f"stalled:{iid}:{week}",
                gentle(now, zone(coach.timezone), timings),
                resident_id=coach.id,
                initiative_id=iid,
                payload={"quiet_since": utc_iso(spell_started)},
            ),
            now,
        )
    return inserted


async def _rows_since(
    session: AsyncSession, kind: str, initiative_id: int, resident_id: int | None, since: datetime
) -> int:
    query = (
        select(func.count())
        .select_from(ScheduledMessage)
        .where(
            ScheduledMessage.kind == kind,
            ScheduledMessage.initiative_id == initiative_id,
            ScheduledMessage.created_at > since,
            ScheduledMessage.status != OutboxStatus.CANCELLED,
        )
    )
    if resident_id is not None:
        query = query.where(ScheduledMessage.resident_id == resident_id)
    return int((await session.execute(query)).scalar_one())


async def coach_digest(
    session: AsyncSession, now: datetime, timings: RuleTimings, *, tz: ZoneInfo
) -> int:
    """One digest row per coach for this week; what it says is gathered when it is sent."""
    week = iso_week_key(now, tz)
    coaches = await session.execute(
        select(Resident).where(col(Resident.role) == PersonRole.COACH).order_by(col(Resident.id))
    )
    inserted = 0
    for coach in coaches.scalars().all():
        inserted += await outbox.schedule(
            session,
            Planned(
                Kind.DIGEST,
                f"digest:{coach.id}:{week}",
                gentle(now, zone(coach.timezone), timings),
                resident_id=coach.id,
                payload={"week": week},
            ),
            now,
        )
    return inserted
