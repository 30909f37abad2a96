"""Coaches: their areas, which initiatives they coach, their portfolio and weekly digest.

An area is a range of 4-digit postcodes (``1000-1099``, or one postcode ``3511``) or a
neighbourhood by name (``Oud-West``). An initiative lies in an area when its postcode
area is in the range, or when its place is the neighbourhood's name (compared without
case and extra spaces). A resident lies in a postcode area by the 4 digits of the
postcode they chose to give; named neighbourhoods say nothing about residents.

A new initiative gets the coach whose area it lies in (``coach_for``); when several
areas match, the coach with the fewest initiatives, then the longest-serving one. A
coach added later takes over the initiatives of their areas that had no coach yet.

What a coach sees (``portfolio``) is the initiatives they coach; an operator sees all.
An initiative *stalls* as bot/domain/stall.py reads it (quiet for ``Settings.stall_days``, nothing
planned ahead; the same reading as the scheduler's nudge, alert and digest), and its stall
alert is not snoozed.

Everything that changes who coaches what writes the audit log (``bot.domain.audit``). The
support threads of an initiative follow its coach (``move_threads``): what was queued
for the previous coach is cancelled, unanswered questions are told to whoever answers
now (the new coach, or the operators), and each asker hears kindly who that is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.config import Settings
from bot.core.events import InitiativeCreated
from bot.domain.audit import audit
from bot.domain.authz import Hat, hats, thread_coaches
from bot.domain.stall import Quiet, quiet_of
from bot.i18n import N_, Texts
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.pacing import Priority
from scheduler.rules import Kind, zone
from scheduler.timing import local_wall_clock
from storage.models import (
    Action,
    ActionStatus,
    Activity,
    ActivityKind,
    Broadcast,
    BroadcastStatus,
    CoachArea,
    Initiative,
    MemberRole,
    Membership,
    PersonFacts,
    PersonRole,
    Phase,
    Resident,
    ScheduledMessage,
    SupportRequest,
)

__all__ = [
    "Area",
    "AreaError",
    "Digest",
    "Entry",
    "OpenRequest",
    "Portfolio",
    "activity_label",
    "add_areas",
    "areas_of",
    "assign",
    "assign_unassigned",
    "coach_for",
    "coaches",
    "digest",
    "in_any",
    "is_operator",
    "is_stalled",
    "make_coach",
    "on_initiative_created",
    "parse_area",
    "portfolio",
    "remove_coach",
    "subject",
]

# Settings.stall_days, for callers without settings at hand (one default, in bot/core/config.py).
STALL_DAYS = Settings.model_fields["stall_days"].default

POSTCODE_RANGE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[-–—]|t/m|to)?\s*([1-9][0-9]{3})?\s*$")
NAME_MAX = 120


# Outbox kinds about support threads (rendered in bot/flows/support.py).
class SupportKind(StrEnum):
    """The outbox rows of support threads (``ScheduledMessage.kind``)."""

    NEW = "support_new"
    NUDGE = "support_nudge"
    MOVED = "support_moved"


NEW_KIND = SupportKind.NEW
NUDGE_KIND = SupportKind.NUDGE
MOVED_KIND = SupportKind.MOVED
# What a coach gets for being a coach: cancelled when they stop (or lose the initiative).
COACH_KINDS = (NEW_KIND, NUDGE_KIND, Kind.STALLED, Kind.DIGEST)
NUDGE_WORKING_DAYS = 2
NUDGE_AT = time(10)


class AreaError(ValueError):
    """The text is not an area: a reason for the operator."""


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _digits(postcode: str | None) -> int | None:
    if not postcode:
        return None
    head = postcode.strip()[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None


@dataclass(frozen=True, slots=True)
class Area:
    postcode_from: int | None = None
    postcode_to: int | None = None
    neighbourhood: str | None = None

    def __post_init__(self) -> None:
        by_postcode = self.postcode_from is not None and self.postcode_to is not None
        if by_postcode == (self.neighbourhood is not None):
            raise AreaError("an area is a postcode range or a neighbourhood name")

    @property
    def is_postcode(self) -> bool:
        return self.postcode_from is not None

    def label(self) -> str:
        if self.neighbourhood is not None:
            return self.neighbourhood
        if self.postcode_from == self.postcode_to:
            return f"{self.postcode_from}"
        return f"{self.postcode_from}–{self.postcode_to}"

    def has_postcode(self, postcode: str | None) -> bool:
        digits = _digits(postcode)
        if digits is None or self.postcode_from is None or self.postcode_to is None:
            return False
        return self.postcode_from <= digits <= self.postcode_to

    def contains(self, initiative: Initiative) -> bool:
        if self.neighbourhood is not None:
            return bool(initiative.place) and _normal(initiative.place) == _normal(
                self.neighbourhood
            )
        return self.has_postcode(initiative.postcode_area)

    def as_json(self) -> dict[str, Any]:
        if self.neighbourhood is not None:
            return {"name": self.neighbourhood}
        return {"from": self.postcode_from, "to": self.postcode_to}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Area:
        if "name" in value:
            return cls(neighbourhood=str(value["name"]))
        return cls(int(value["from"]), int(value["to"]))

    @classmethod
    def of(cls, row: CoachArea) -> Area:
        if row.neighbourhood is not None:
            return cls(neighbourhood=row.neighbourhood)
        return cls(row.postcode_from, row.postcode_to)

    def row(self, coach_id: int) -> CoachArea:
        return CoachArea(
            coach_id=coach_id,
            postcode_from=self.postcode_from,
            postcode_to=self.postcode_to,
            neighbourhood=self.neighbourhood,
        )


def parse_area(text: str) -> Area:
    """``1000-1099``, ``3511`` or a neighbourhood name like ``Oud-West``."""
    typed = " ".join(text.split())
    match = POSTCODE_RANGE.match(typed)
    if match:
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise AreaError(f"the range {typed!r} runs backwards: write the lower postcode first")
        return Area(first, last)
    if any(char.isdigit() for char in typed) and not any(char.isalpha() for char in typed):
        raise AreaError(f"{typed!r} is not a postcode range: write it like 1000-1099")
    if not any(char.isalpha() for char in typed):
        raise AreaError("a neighbourhood needs a name")
    if len(typed) > NAME_MAX:
        raise AreaError(f"a neighbourhood name has at most {NAME_MAX} characters")
    return Area(neighbourhood=typed)


def in_any(initiative: Initiative, areas: Iterable[Area]) -> bool:
    return any(area.contains(initiative) for area in areas)


def subject(kind: str, ident: int | None) -> str:
    """The audit log's subject: ``initiative:12``."""
    return f"{kind}:{ident}"


async def is_operator(session: AsyncSession, person: PersonFacts) -> bool:
    """Whether the person wears the operator's hat (bot.domain.authz decides)."""
    return Hat.OPERATOR in await hats(session, person)


# --- areas and who coaches what --------------------------------------------------------------


async def areas_of(session: AsyncSession, coach_id: int) -> list[Area]:
    result = await session.execute(
        select(CoachArea).where(col(CoachArea.coach_id) == coach_id).order_by(col(CoachArea.id))
    )
    return [Area.of(row) for row in result.scalars().all()]


async def coaches(session: AsyncSession) -> list[tuple[Resident, list[Area], int]]:
    """Every coach (and operator with areas), their areas and how many initiatives they coach."""
    people = (
        (
            await session.execute(
                select(Resident)
                .where(col(Resident.role).in_([PersonRole.COACH, PersonRole.OPERATOR]))
                .order_by(col(Resident.id))
            )
        )
        .scalars()
        .all()
    )
    areas: dict[int, list[Area]] = {}
    for row in (await session.execute(select(CoachArea).order_by(col(CoachArea.id)))).scalars():
        areas.setdefault(row.coach_id, []).append(Area.of(row))
    loads = await _loads(session)
    return [
        (person, areas.get(person.id or 0, []), loads.get(person.id or 0, 0))
        for person in people
        if person.role is PersonRole.COACH or areas.get(person.id or 0)
    ]


async def _loads(session: AsyncSession) -> Counter[int]:
    result = await session.execute(
        select(Initiative.coach_id, func.count())
        .where(col(Initiative.coach_id).is_not(None))
        .group_by(col(Initiative.coach_id))
    )
    return Counter({coach_id: count for coach_id, count in result.all()})


async def coach_for(
    session: AsyncSession, initiative: Initiative, *, excluding: Sequence[int] = ()
) -> Resident | None:
    """The coach whose area the initiative lies in: the least busy one, then the first."""
    rows = (await session.execute(select(CoachArea))).scalars().all()
    candidates = sorted(
        {row.coach_id for row in rows if Area.of(row).contains(initiative)} - set(excluding)
    )
    if not candidates:
        return None
    people = {
        person.id: person
        for person in (
            await session.execute(
                select(Resident).where(
                    col(Resident.id).in_(candidates),
                    col(Resident.role).in_([PersonRole.COACH, PersonRole.OPERATOR]),
                )
            )
        ).scalars()
    }
    if not people:
        return None
    loads = await _loads(session)
    best = min(people, key=lambda ident: (loads.get(ident or 0, 0), ident))
    return people[best]


async def assign(
    session: AsyncSession,
    initiative: Initiative,
    coach: Resident | None,
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
) -> None:
    """Make ``coach`` the initiative's coach (None: no coach); open questions follow."""
    before = initiative.coach_id
    initiative.coach_id = coach.id if coach is not None else None
    await session.flush()
    if before is not None and before != initiative.coach_id:
        await outbox.cancel_for_resident(
            session,
            before,
            kinds=COACH_KINDS,
            initiative_id=initiative.id,
            reason="the initiative has another coach now",
        )
    await move_threads(session, initiative, now)
    audit(
        session,
        actor_id=actor_id,
        action="coach_assigned",
        subject=subject("initiative", initiative.id),
        at=now,
        coach_id=initiative.coach_id,
        previous_coach_id=before,
        via=via,
    )


async def assign_unassigned(
    session: AsyncSession, coach: Resident, areas: Sequence[Area], now: datetime, *, via: str
) -> list[Initiative]:
    """The initiatives in these areas without a coach become this coach's."""
    if not areas:
        return []
    result = await session.execute(
        select(Initiative).where(col(Initiative.coach_id).is_(None)).order_by(col(Initiative.id))
    )
    taken = [initiative for initiative in result.scalars().all() if in_any(initiative, areas)]
    for initiative in taken:
        await assign(session, initiative, coach, now, actor_id=None, via=via)
    return taken


async def on_initiative_created(
    session: AsyncSession, event: InitiativeCreated, now: datetime
) -> None:
    """A new initiative gets the coach of its area (when there is one)."""
    initiative = await session.get(Initiative, event.initiative_id)
    if initiative is None or initiative.coach_id is not None:
        return
    coach = await coach_for(session, initiative)
    if coach is not None:
        await assign(session, initiative, coach, now, actor_id=None, via="area")


async def add_areas(session: AsyncSession, coach: Resident, areas: Sequence[Area]) -> list[Area]:
    """Add the areas the coach does not have yet; return the new ones."""
    have = set(await areas_of(session, coach.id or 0))
    new = [area for area in dict.fromkeys(areas) if area not in have]
    for area in new:
        session.add(area.row(coach.id or 0))
    await session.flush()
    return new


async def make_coach(
    session: AsyncSession,
    person: Resident,
    areas: Sequence[Area],
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
) -> list[Initiative]:
    """The person becomes a coach (an operator stays operator) with these areas; the
    initiatives in them without a coach are theirs from now on. Audited."""
    if person.role is PersonRole.RESIDENT:
        person.role = PersonRole.COACH
    new = await add_areas(session, person, areas)
    audit(
        session,
        actor_id=actor_id,
        action="coach_added",
        subject=subject("resident", person.id),
        at=now,
        areas=[area.as_json() for area in new],
        via=via,
    )
    return await assign_unassigned(session, person, areas, now, via=via)


async def remove_coach(
    session: AsyncSession, person: Resident, now: datetime, *, actor_id: int | None, via: str
) -> list[tuple[Initiative, Resident | None]]:
    """No longer a coach: the areas go, each initiative goes to another coach of its area
    (or to nobody). Returns where each initiative went. Audited."""
    await session.execute(delete(CoachArea).where(col(CoachArea.coach_id) == person.id))
    if person.role is PersonRole.COACH:
        person.role = PersonRole.RESIDENT
    await session.flush()
    if person.role is PersonRole.RESIDENT:
        await outbox.cancel_for_resident(
            session, person.id or 0, kinds=COACH_KINDS, reason="no longer a coach"
        )
        await _stop_broadcasts(session, person, now, actor_id=actor_id, via=via)
    moved: list[tuple[Initiative, Resident | None]] = []
    result = await session.execute(
        select(Initiative).where(col(Initiative.coach_id) == person.id).order_by(col(Initiative.id))
    )
    for initiative in result.scalars().all():
        successor = await coach_for(session, initiative, excluding=[person.id or 0])
        await assign(session, initiative, successor, now, actor_id=actor_id, via=via)
        moved.append((initiative, successor))
    # Threads addressed to them on initiatives they no longer coached follow those too.
    others = await session.execute(
        select(SupportRequest.initiative_id).where(SupportRequest.coach_id == person.id).distinct()
    )
    for ident in sorted(others.scalars().all()):
        threaded = await session.get(Initiative, ident)
        if threaded is not None:
            await move_threads(session, threaded, now)
    audit(
        session,
        actor_id=actor_id,
        action="coach_removed",
        subject=subject("resident", person.id),
        at=now,
        initiatives=[initiative.id for initiative, _ in moved],
        via=via,
    )
    return moved


async def _stop_broadcasts(
    session: AsyncSession, person: Resident, now: datetime, *, actor_id: int | None, via: str
) -> None:
    """Their announcements still being sent stop: they no longer speak as a coach."""
    from bot.domain.broadcasts import cancel  # bot.domain.broadcasts builds on this module

    sending = await session.execute(
        select(Broadcast).where(
            Broadcast.author_id == person.id, Broadcast.status == BroadcastStatus.SENDING
        )
    )
    for broadcast in sending.scalars().all():
        await cancel(session, broadcast, now, actor_id=actor_id, via=via)


# --- support threads follow the coach ----------------------------------------------------------


def nudge_key(request_id: int | None, coach_id: int | None = None) -> str:
    """The reminder of an unanswered question (one per coach it was addressed to)."""
    base = f"{NUDGE_KIND}:{request_id}"
    return base if coach_id is None else f"{base}:to:{coach_id}"


def working_days_later(moment: datetime, days: int, at: time, tz: ZoneInfo) -> datetime:
    """``days`` working days (Monday to Friday) after the local day of ``moment``, at
    ``at`` on the local clock: asked on Friday, two working days later is Tuesday."""
    day: date = moment.astimezone(tz).date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return local_wall_clock(day, at, tz)


async def tell_coaches(
    session: AsyncSession, request: SupportRequest, initiative: Initiative, now: datetime
) -> list[Resident]:
    """Tell whoever answers the question now (bot.domain.authz.thread_coaches) and, when that is
    the initiative's coach, remind them after two working days. Returns who was told."""
    people = await thread_coaches(session, request, initiative)
    for person in people:
        await outbox.schedule_or_move(
            session,
            Planned(
                NEW_KIND,
                f"{NEW_KIND}:{request.id}:{person.id}",
                now,
                resident_id=person.id,
                initiative_id=initiative.id,
                priority=Priority.SCHEDULED,
                payload={"request_id": request.id},
            ),
            now,
        )
    coach = people[0] if len(people) == 1 else None
    if coach is not None and coach.id == initiative.coach_id:
        await outbox.schedule_or_move(
            session,
            Planned(
                NUDGE_KIND,
                nudge_key(request.id, coach.id),
                working_days_later(now, NUDGE_WORKING_DAYS, NUDGE_AT, zone(coach.timezone)),
                resident_id=coach.id,
                initiative_id=initiative.id,
                payload={"request_id": request.id},
            ),
            now,
        )
    return people


async def move_threads(session: AsyncSession, initiative: Initiative, now: datetime) -> None:
    """The initiative's support threads (answered or not) go to whoever answers them now:
    its coach, or the operators. Rows queued for someone else about them are cancelled,
    unanswered questions are told again, and each asker is told who answers now."""
    result = await session.execute(
        select(SupportRequest)
        .where(SupportRequest.initiative_id == initiative.id)
        .order_by(col(SupportRequest.id))
    )
    moved = [r for r in result.scalars().all() if r.coach_id != initiative.coach_id]
    if not moved:
        return
    for request in moved:
        request.coach_id = initiative.coach_id
    await outbox.cancel(
        session,
        col(ScheduledMessage.kind).in_([NEW_KIND, NUDGE_KIND]),
        col(ScheduledMessage.initiative_id) == initiative.id,
        col(ScheduledMessage.resident_id) != initiative.coach_id
        if initiative.coach_id is not None
        else col(ScheduledMessage.resident_id).is_not(None),
        reason="the question went to another coach",
    )
    latest: dict[int, SupportRequest] = {}
    for request in moved:
        if request.answered_at is None:
            await tell_coaches(session, request, initiative, now)
        if request.resident_id is not None:
            latest[request.resident_id] = request
    coach = initiative.coach_id or 0
    for resident_id, request in latest.items():
        await outbox.schedule(
            session,
            Planned(
                MOVED_KIND,
                f"{MOVED_KIND}:{request.id}:{coach}:{int(now.timestamp())}",
                now,
                resident_id=resident_id,
                initiative_id=initiative.id,
                priority=Priority.SCHEDULED,
                payload={"request_id": request.id, "coach_id": initiative.coach_id},
            ),
            now,
        )


# --- the portfolio ------------------------------------------------------------------------------


def is_stalled(initiative: Initiative, quiet: Quiet, stall_days: int) -> bool:
    """Stalled as the coach sees it: quiet too long, nothing planned, not snoozed."""
    snoozed = initiative.stall_snoozed_until
    if snoozed is not None and snoozed > quiet.now:
        return False
    return quiet.stalled(stall_days)


@dataclass
class Entry:
    initiative: Initiative
    quiet_days: int
    stalled: bool
    team_size: int
    open_requests: int


@dataclass
class OpenRequest:
    request: SupportRequest
    initiative: Initiative
    asker: Resident | None
    waiting_days: int


@dataclass
class Portfolio:
    entries: list[Entry]
    requests: list[OpenRequest]

    @property
    def counts(self) -> dict[Phase, int]:
        found = Counter(entry.initiative.phase for entry in self.entries)
        return {phase: found.get(phase, 0) for phase in Phase}

    def by_phase(self) -> dict[Phase, list[Entry]]:
        grouped: dict[Phase, list[Entry]] = {phase: [] for phase in Phase}
        for entry in self.entries:
            grouped[entry.initiative.phase].append(entry)
        return grouped

    @property
    def stalled(self) -> list[Entry]:
        return sorted(
            (entry for entry in self.entries if entry.stalled),
            key=lambda entry: (-entry.quiet_days, entry.initiative.id or 0),
        )


async def _team_sizes(session: AsyncSession, ids: list[int]) -> Counter[int]:
    if not ids:
        return Counter()
    result = await session.execute(
        select(Membership.initiative_id, func.count())
        .where(
            col(Membership.initiative_id).in_(ids),
            col(Membership.role).in_([MemberRole.INITIATOR, MemberRole.TEAM]),
        )
        .group_by(col(Membership.initiative_id))
    )
    return Counter(dict(result.all()))


async def portfolio_initiatives(session: AsyncSession, person: PersonFacts) -> list[Initiative]:
    """The initiatives the person coaches; an operator's portfolio is all of them."""
    worn = await hats(session, person)
    if Hat.COACH not in worn:
        return []  # a coach_id left on an initiative makes nobody its coach
    query = select(Initiative).order_by(col(Initiative.title), col(Initiative.id))
    if Hat.OPERATOR not in worn:
        query = query.where(Initiative.coach_id == person.id)
    return list((await session.execute(query)).scalars().all())


async def portfolio(
    session: AsyncSession, coach: PersonFacts, now: datetime, *, stall_days: int = STALL_DAYS
) -> Portfolio:
    """The coach's initiatives, grouped by phase, which ones stall, and open questions."""
    initiatives = await portfolio_initiatives(session, coach)
    ids = [initiative.id or 0 for initiative in initiatives]
    quiet = await quiet_of(session, initiatives, now)
    sizes = await _team_sizes(session, ids)
    requests = await open_requests(session, coach, initiatives, now)
    per_initiative = Counter(item.initiative.id for item in requests)
    entries = [
        Entry(
            initiative=initiative,
            quiet_days=quiet[initiative.id or 0].days,
            stalled=is_stalled(initiative, quiet[initiative.id or 0], stall_days),
            team_size=sizes.get(initiative.id or 0, 0),
            open_requests=per_initiative.get(initiative.id, 0),
        )
        for initiative in initiatives
    ]
    entries.sort(key=lambda e: (e.initiative.phase.number, e.initiative.title.casefold()))
    return Portfolio(entries, requests)


async def open_requests(
    session: AsyncSession, coach: PersonFacts, initiatives: list[Initiative], now: datetime
) -> list[OpenRequest]:
    """Unanswered questions about the coach's initiatives (an operator: all of them)."""
    by_id = {initiative.id: initiative for initiative in initiatives}
    query = (
        select(SupportRequest, Initiative, Resident)
        .join(Initiative, col(Initiative.id) == col(SupportRequest.initiative_id))
        .outerjoin(Resident, col(Resident.id) == col(SupportRequest.resident_id))
        .where(col(SupportRequest.answered_at).is_(None))
        .order_by(col(SupportRequest.created_at), col(SupportRequest.id))
    )
    if not await is_operator(session, coach):
        # Only the initiatives they coach now: a thread's stored coach_id grants nothing.
        query = query.where(col(SupportRequest.initiative_id).in_(list(by_id)))
    found = []
    for request, initiative, asker in (await session.execute(query)).all():
        found.append(
            OpenRequest(request, initiative, asker, max(0, (now - request.created_at).days))
        )
    return found


# --- recent activity ------------------------------------------------------------------------------

ACTIVITY_LABELS: dict[str, str] = {
    ActivityKind.CREATED: N_("the idea was shared"),
    ActivityKind.IDEA_DESCRIBED: N_("the idea was described"),
    ActivityKind.MEMBER_JOINED: N_("a neighbour joined"),
    ActivityKind.JOINED_TEAM: N_("a neighbour joined the team"),
    ActivityKind.ROLES_CHECKED: N_("the team roles were checked"),
    ActivityKind.ROLE_PLAN: N_("a plan for the missing role"),
    ActivityKind.WISHES_GATHERED: N_("the neighbours' wishes were gathered"),
    ActivityKind.GROUP_CHAT_SKIPPED: N_("they go on without a group chat"),
    ActivityKind.ACTION_PLANNED: N_("an action was planned"),
    ActivityKind.ACTION_CHANGED: N_("an action was moved"),
    ActivityKind.ACTION_CANCELLED: N_("an action was cancelled"),
    ActivityKind.ACTION_REVIEWED: N_("an action was reviewed"),
    ActivityKind.DOOR_TALLY: N_("a round along the doors was counted"),
    ActivityKind.TASK_ADDED: N_("a task was added"),
    ActivityKind.TASK_ASSIGNED: N_("a task was divided"),
    ActivityKind.TASK_DONE: N_("a task was done"),
    ActivityKind.CHECKLIST_TICKED: N_("the checklist was ticked off"),
    ActivityKind.QUOTE_ADDED: N_("a quote was added"),
    ActivityKind.SUPPORT_UPDATED: N_("the support meter was updated"),
    ActivityKind.SUPPORT_REQUESTED: N_("a question to the coach"),
    ActivityKind.PHASE_REACHED: N_("a new phase was reached"),
    ActivityKind.PHASE_CORRECTED: N_("the coach corrected the phase"),
    ActivityKind.INVITE_RENEWED: N_("the invitation link was renewed"),
    ActivityKind.INVITE_REVOKED: N_("the invitation link was switched off"),
    ActivityKind.RSVP_IN_GROUP: N_("a neighbour answered in the street group"),
    ActivityKind.POLL_STARTED: N_("a poll was started in the street group"),
    ActivityKind.GROUP_LINKED: N_("a street group was linked"),
    ActivityKind.GROUP_UNLINKED: N_("the street group was unlinked"),
}
OTHER_ACTIVITY = N_("something changed")


def activity_label(texts: Texts, kind: str) -> str:
    return texts._(ACTIVITY_LABELS.get(kind, OTHER_ACTIVITY))


async def recent_activity(
    session: AsyncSession, initiative_id: int, limit: int = 5
) -> list[tuple[Activity, Resident | None]]:
    result = await session.execute(
        select(Activity, Resident)
        .outerjoin(Resident, col(Resident.id) == col(Activity.resident_id))
        .where(Activity.initiative_id == initiative_id)
        .order_by(col(Activity.at).desc(), col(Activity.id).desc())
        .limit(limit)
    )
    return [(activity, person) for activity, person in result.all()]


# --- the weekly digest ---------------------------------------------------------------------------


@dataclass
class Digest:
    """What a coach's week looked like, and what is ahead: plain data, rendered per reader."""

    since: datetime
    until: datetime
    phase_counts: dict[Phase, int]
    # (title, the phase it is in now) for initiatives whose phase changed this week
    phase_changes: list[tuple[str, Phase]] = field(default_factory=list)
    new_initiatives: list[str] = field(default_factory=list)
    # (title, days quiet)
    stalled: list[tuple[str, int]] = field(default_factory=list)
    # (title, question, days waiting)
    open_requests: list[tuple[str, str, int]] = field(default_factory=list)
    # (when, action title, initiative title)
    upcoming: list[tuple[datetime, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.phase_counts.values())


PHASE_ACTIVITIES = (ActivityKind.PHASE_REACHED, ActivityKind.PHASE_CORRECTED)


async def digest(
    session: AsyncSession,
    coach: PersonFacts,
    now: datetime,
    *,
    stall_days: int = STALL_DAYS,
    days: int = 7,
    upcoming_days: int = 14,
) -> Digest:
    """The digest's content: phase counts and this week's changes, stalled initiatives,
    open questions and the actions of the coming ``upcoming_days``."""
    since = now - timedelta(days=days)
    mine = await portfolio(session, coach, now, stall_days=stall_days)
    initiatives = {entry.initiative.id or 0: entry.initiative for entry in mine.entries}
    ids = list(initiatives)
    changed: set[int] = {
        ident
        for ident, initiative in initiatives.items()
        if initiative.phase_changed_at >= since and initiative.created_at < since
    }
    if ids:
        result = await session.execute(
            select(Activity.initiative_id)
            .where(
                col(Activity.initiative_id).in_(ids),
                col(Activity.kind).in_(PHASE_ACTIVITIES),
                Activity.at >= since,
            )
            .distinct()
        )
        changed |= set(result.scalars().all())
    upcoming: list[tuple[datetime, str, str]] = []
    if ids:
        actions = await session.execute(
            select(Action)
            .where(
                col(Action.initiative_id).in_(ids),
                Action.status == ActionStatus.PLANNED,
                Action.starts_at > now,
                Action.starts_at <= now + timedelta(days=upcoming_days),
            )
            .order_by(col(Action.starts_at), col(Action.id))
        )
        upcoming = [
            (action.starts_at, action.title, initiatives[action.initiative_id].title)
            for action in actions.scalars().all()
        ]

    def title(ident: int) -> str:
        return initiatives[ident].title

    return Digest(
        since=since,
        until=now,
        phase_counts=mine.counts,
        phase_changes=sorted(
            ((title(ident), initiatives[ident].phase) for ident in changed),
            key=lambda item: (item[1].number, item[0].casefold()),
        ),
        new_initiatives=sorted(
            (i.title for i in initiatives.values() if i.created_at >= since), key=str.casefold
        ),
        stalled=[(entry.initiative.title, entry.quiet_days) for entry in mine.stalled],
        open_requests=[
            (item.initiative.title, item.request.question, item.waiting_days)
            for item in mine.requests
        ],
        upcoming=upcoming,
    )
