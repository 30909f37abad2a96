"""The action domain: answers (RSVP) with a waiting list, totals, who takes part,
what is coming up and what was held. Pure functions over a database session, used by
the private-chat flows, the group chats and the scheduler alike; nothing here sends a
message or knows a chat.

RSVP rules:

* one answer per person per action; answering again changes it, the same answer twice
  changes nothing (``RsvpResult.changed`` is False);
* "coming" while all places are taken puts the person on the waiting list; the list is
  first come, first served (``answered_at`` is the moment the person joined it, made
  strictly increasing so that a frozen clock still keeps the order);
* when a person who had a place says maybe or no, the first person on the waiting list
  gets the place, automatically (``RsvpResult.promoted``);
* only a planned action that has not started takes answers (``open_for_rsvp``).

On PostgreSQL the action row is locked while an answer is given, so two neighbours
pressing "coming" at once for the last place never both get it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.events import RsvpGiven
from bot.domain.kits import Kit, KitError, load_kits
from storage.models import (
    Action,
    ActionStatus,
    Membership,
    Resident,
    Rsvp,
    RsvpAnswer,
    Task,
)
from storage.queries import for_update

__all__ = [
    "MAX_ID",
    "RsvpResult",
    "RsvpTotals",
    "TaskCount",
    "answer_of",
    "audience",
    "awaiting_review",
    "checklist_progress",
    "find_kit",
    "get_action",
    "give_rsvp",
    "has_started",
    "held_actions",
    "open_for_rsvp",
    "participants",
    "promote_waitlist",
    "quote_measure",
    "rsvp_people",
    "task_count",
    "tasks_of",
    "totals",
    "upcoming_actions",
    "valid_id",
    "waitlist",
    "waitlist_place",
]

# Ids in payloads are checked against this before they reach the database: PostgreSQL
# refuses an integer parameter beyond 32 bits instead of finding nothing.
MAX_ID = 2**31 - 1
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class RsvpTotals:
    coming: int = 0  # with a place
    maybe: int = 0
    no: int = 0
    waitlist: int = 0  # said coming, waiting for a place

    @property
    def answered(self) -> int:
        return self.coming + self.maybe + self.no + self.waitlist


@dataclass(frozen=True, slots=True)
class RsvpResult:
    rsvp: Rsvp
    previous: RsvpAnswer | None
    changed: bool
    # Where the person is on the waiting list (1 is next), None when not on it.
    place: int | None
    # Rows of people who moved from the waiting list to a place because of this answer.
    promoted: tuple[Rsvp, ...] = ()

    @property
    def waitlisted(self) -> bool:
        return self.rsvp.waitlisted

    def events(self) -> list[RsvpGiven]:
        """What to tell subscribers: the answer (if it changed) and every promotion."""
        found: list[RsvpGiven] = []
        if self.changed and self.rsvp.resident_id is not None:
            found.append(RsvpGiven(self.rsvp.action_id, self.rsvp.resident_id, self.rsvp.answer))
        for row in self.promoted:
            if row.resident_id is not None:
                found.append(
                    RsvpGiven(
                        row.action_id,
                        row.resident_id,
                        RsvpAnswer.COMING,
                        promoted_from_waitlist=True,
                    )
                )
        return found


def valid_id(value: int | None) -> int | None:
    return value if value is not None and 0 < value <= MAX_ID else None


async def get_action(
    session: AsyncSession, action_id: int | None, *, lock: bool = False
) -> Action | None:
    """The action, or None for an unknown (or impossible) id. ``lock`` takes the row lock
    on PostgreSQL (SQLite already has one writer)."""
    action_id = valid_id(action_id)
    if action_id is None:
        return None
    if lock and for_update(session):
        result = await session.execute(
            select(Action)
            .where(Action.id == action_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()
    return await session.get(Action, action_id)


def has_started(action: Action, now: datetime) -> bool:
    return action.starts_at <= now


def open_for_rsvp(action: Action, now: datetime) -> bool:
    return action.status is ActionStatus.PLANNED and not has_started(action, now)


async def answer_of(session: AsyncSession, action_id: int, resident_id: int) -> Rsvp | None:
    result = await session.execute(
        select(Rsvp).where(Rsvp.action_id == action_id, Rsvp.resident_id == resident_id)
    )
    return result.scalar_one_or_none()


async def totals(session: AsyncSession, action_id: int) -> RsvpTotals:
    result = await session.execute(
        select(Rsvp.answer, Rsvp.waitlisted, func.count())
        .where(Rsvp.action_id == action_id)
        .group_by(Rsvp.answer, col(Rsvp.waitlisted))
    )
    counts = {"coming": 0, "maybe": 0, "no": 0, "waitlist": 0}
    for answer, waitlisted, number in result.all():
        if answer is RsvpAnswer.COMING:
            counts["waitlist" if waitlisted else "coming"] += number
        elif answer is RsvpAnswer.MAYBE:
            counts["maybe"] += number
        else:
            counts["no"] += number
    return RsvpTotals(**counts)


async def _coming_with_place(session: AsyncSession, action_id: int) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.action_id == action_id,
            Rsvp.answer == RsvpAnswer.COMING,
            col(Rsvp.waitlisted).is_(False),
        )
    )
    return int(result.scalar_one())


async def waitlist(session: AsyncSession, action_id: int) -> list[Rsvp]:
    """The waiting list in order: the first one gets the next free place."""
    result = await session.execute(
        select(Rsvp)
        .where(
            Rsvp.action_id == action_id,
            Rsvp.answer == RsvpAnswer.COMING,
            col(Rsvp.waitlisted).is_(True),
        )
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    )
    return list(result.scalars().all())


async def waitlist_place(session: AsyncSession, rsvp: Rsvp) -> int | None:
    if not rsvp.waitlisted or rsvp.answer is not RsvpAnswer.COMING:
        return None
    for place, row in enumerate(await waitlist(session, rsvp.action_id), start=1):
        if row.id == rsvp.id:
            return place
    return None


async def promote_waitlist(session: AsyncSession, action: Action) -> list[Rsvp]:
    """Give free places to the waiting list, first come first served."""
    promoted: list[Rsvp] = []
    queue = await waitlist(session, action.id or 0)
    taken = await _coming_with_place(session, action.id or 0)
    for row in queue:
        if action.capacity is not None and taken >= action.capacity:
            break
        row.waitlisted = False
        taken += 1
        promoted.append(row)
    if promoted:
        await session.flush()
    return promoted


async def give_rsvp(
    session: AsyncSession, action: Action, resident_id: int, answer: RsvpAnswer, now: datetime
) -> RsvpResult:
    """Record a person's answer, with the waiting list's rules (see the module text).

    The caller checks permission and ``open_for_rsvp`` first, and emits
    ``result.events()``.
    """
    action_id = action.id or 0
    if for_update(session):  # serialise answers to one action across processes
        await get_action(session, action_id, lock=True)
    row = await answer_of(session, action_id, resident_id)
    previous = row.answer if row is not None else None
    if row is not None and row.answer is answer:
        return RsvpResult(row, previous, False, await waitlist_place(session, row))

    had_place = row is not None and row.answer is RsvpAnswer.COMING and not row.waitlisted
    full = False
    if answer is RsvpAnswer.COMING and action.capacity is not None:
        taken = await _coming_with_place(session, action_id)
        full = taken >= action.capacity
    answered_at = now
    if full:
        # Join the end of the waiting list, even when the clock did not move.
        queue = await waitlist(session, action_id)
        if queue and queue[-1].answered_at >= answered_at:
            answered_at = queue[-1].answered_at + _TICK
    if row is None:
        row = Rsvp(action_id=action_id, resident_id=resident_id, answer=answer)
        session.add(row)
    row.answer = answer
    row.waitlisted = full
    row.answered_at = answered_at
    await session.flush()

    promoted: list[Rsvp] = []
    if had_place and answer is not RsvpAnswer.COMING:
        promoted = await promote_waitlist(session, action)
    return RsvpResult(row, previous, True, await waitlist_place(session, row), tuple(promoted))


async def rsvp_people(
    session: AsyncSession,
    action_id: int,
    answers: Iterable[RsvpAnswer],
    *,
    waitlisted: bool | None = None,
) -> list[tuple[Rsvp, Resident]]:
    """People who gave one of ``answers`` (forgotten people are left out), in the order
    they answered. ``waitlisted`` filters on the waiting list when given."""
    query = (
        select(Rsvp, Resident)
        .join(Resident, col(Resident.id) == col(Rsvp.resident_id))
        .where(Rsvp.action_id == action_id, col(Rsvp.answer).in_(list(answers)))
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    )
    if waitlisted is not None:
        query = query.where(col(Rsvp.waitlisted).is_(waitlisted))
    return [(rsvp, resident) for rsvp, resident in (await session.execute(query)).all()]


async def participants(session: AsyncSession, action_id: int) -> list[Resident]:
    """Who said coming and has a place (not on the waiting list): the people to remind
    before, and to ask afterwards."""
    rows = await rsvp_people(session, action_id, [RsvpAnswer.COMING], waitlisted=False)
    return [resident for _, resident in rows]


async def audience(
    session: AsyncSession, action: Action, *, exclude: Iterable[int | None] = ()
) -> list[Resident]:
    """Everyone who may hear of the action: the members of its initiative (initiators,
    team and followers), never anyone else; reachable people only."""
    left_out = set(exclude)
    result = await session.execute(
        select(Resident)
        .join(Membership, col(Membership.resident_id) == col(Resident.id))
        .where(Membership.initiative_id == action.initiative_id, col(Resident.reachable).is_(True))
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    return [person for person in result.scalars().all() if person.id not in left_out]


async def concerned(
    session: AsyncSession, action: Action, *, exclude: Iterable[int] = ()
) -> list[Resident]:
    """Everyone a change of the action concerns, each once: the members who were told of
    it and the people who answered it, except those who said they cannot come."""
    left_out = set(exclude) | {
        resident.id for _, resident in await rsvp_people(session, action.id or 0, [RsvpAnswer.NO])
    }
    people = await audience(session, action, exclude=left_out)
    seen = {person.id for person in people}
    answered = await rsvp_people(session, action.id or 0, [RsvpAnswer.COMING, RsvpAnswer.MAYBE])
    for _, resident in answered:
        if resident.id not in seen and resident.id not in left_out and resident.reachable:
            people.append(resident)
            seen.add(resident.id)
    return people


async def upcoming_actions(
    session: AsyncSession, initiative_id: int, now: datetime, *, limit: int | None = None
) -> list[Action]:
    """Planned actions that have not started yet, the first one first."""
    query = (
        select(Action)
        .where(
            Action.initiative_id == initiative_id,
            Action.status == ActionStatus.PLANNED,
            Action.starts_at > now,
        )
        .order_by(col(Action.starts_at), col(Action.id))
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars().all())


async def awaiting_review(session: AsyncSession, initiative_id: int, now: datetime) -> list[Action]:
    """Planned actions whose start has passed: they wait for the after-action review."""
    query = (
        select(Action)
        .where(
            Action.initiative_id == initiative_id,
            Action.status == ActionStatus.PLANNED,
            Action.starts_at <= now,
        )
        .order_by(col(Action.starts_at).desc(), col(Action.id).desc())
    )
    return list((await session.execute(query)).scalars().all())


async def held_actions(
    session: AsyncSession, initiative_id: int, *, limit: int | None = None
) -> list[Action]:
    """Actions that took place (reviewed), the most recent first."""
    query = (
        select(Action)
        .where(Action.initiative_id == initiative_id, Action.status == ActionStatus.HELD)
        .order_by(col(Action.starts_at).desc(), col(Action.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars().all())


def checklist_progress(action: Action) -> tuple[int, int]:
    """(ticked, total) of the action's checklist."""
    items = [item for item in action.checklist or [] if isinstance(item, dict)]
    return sum(1 for item in items if item.get("done")), len(items)


async def tasks_of(session: AsyncSession, action_id: int) -> list[Task]:
    result = await session.execute(
        select(Task)
        .where(col(Task.action_id) == action_id)
        .order_by(col(Task.created_at), col(Task.id))
    )
    return list(result.scalars().all())


@dataclass(frozen=True, slots=True)
class TaskCount:
    done: int
    total: int


async def task_count(session: AsyncSession, action_id: int) -> TaskCount:
    tasks = await tasks_of(session, action_id)
    return TaskCount(sum(1 for task in tasks if task.done), len(tasks))


# --- kits ------------------------------------------------------------------------------


def find_kit(kit_id: str | None) -> Kit | None:
    """The kit with this id, or None (unknown id, or a coach's kit folder that is broken:
    that must not break an action card)."""
    if not kit_id:
        return None
    try:
        return load_kits().get(kit_id)
    except KitError:
        return None


def quote_measure(kit: Kit | None) -> str | None:
    """ "wp" or "m2" for a collective-purchase kit (its TOML's `quotes`), else None."""
    return kit.quotes if kit is not None else None
