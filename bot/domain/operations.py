"""The domain's writes, one function per use case, and what follows from them.

A flow asks, checks who may, and tells; an operation writes. Each function here takes
the session, the facts and the person who does it (`by`; a `Resident`, not a chat),
checks the rules that belong to the domain (an action is moved or cancelled only while
planned, reviewed once, a task goes only to the team), writes the rows and emits the
events through the collector its caller passes (`emit`: a flow passes `ctx.emit`, a test
a list's `append`). It returns what the caller needs to tell people: the row, or whether
anything changed.

What follows from the events is registered here too (`register`), so that no flow can
forget it: the activity an initiative's coach sees (and its "not quiet"), a subscriber in
the update's transaction; and the progress check (`check_progress`, which may move the
initiative on and celebrate in the chat), a reaction that runs after the flow has said
what it says, once per initiative an update touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    ActionReviewed,
    CapacityChanged,
    ChecklistTicked,
    DoorTallied,
    Emit,
    Event,
    GroupLinked,
    GroupUnlinked,
    InitiativeCreated,
    InviteRenewed,
    InviteRevoked,
    MemberJoined,
    MemberLeft,
    MemberRoleChanged,
    PollStarted,
    QuoteAdded,
    QuoteRemoved,
    RsvpGiven,
    SupportRequested,
    TaskAdded,
    TaskAssigned,
    TaskDone,
)
from bot.domain import groups
from bot.domain.actions import promote_waitlist
from bot.domain.authz import coach_of
from bot.domain.initiatives import record_activity, team
from bot.domain.outcomes import save_review
from bot.domain.phases import check_progress
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    ActivityKind,
    GroupChat,
    Initiative,
    Quote,
    Resident,
    Rsvp,
    RsvpAnswer,
    SupportRequest,
    Task,
)

if TYPE_CHECKING:
    from bot.core.context import Ctx
    from bot.core.registry import Registry


class Refused(Exception):
    """A domain rule says no (the flow should have asked first: this is the last word)."""


# ---- actions -------------------------------------------------------------------------


async def plan_action(
    session: AsyncSession,
    initiative: Initiative,
    by: Resident,
    *,
    kind: ActionKind,
    title: str,
    starts_at: datetime,
    place: str,
    capacity: int | None,
    kit_id: str | None,
    checklist: list[str],
    now: datetime,
    emit: Emit,
) -> Action:
    if starts_at <= now:
        raise Refused("an action is planned in the future")
    action = Action(
        initiative_id=initiative.id or 0,
        kind=kind,
        kit_id=kit_id,
        title=title or "?",
        starts_at=starts_at,
        place=place,
        capacity=capacity,
        status=ActionStatus.PLANNED,
        checklist=[{"text": item, "done": False} for item in checklist],
        created_by_id=by.id,
        created_at=now,
    )
    session.add(action)
    await session.flush()
    emit(ActionPlanned(action.id or 0, by.id))
    return action


def _planned(action: Action) -> None:
    if action.status is not ActionStatus.PLANNED:
        raise Refused("only a planned action changes")


def move_action(
    action: Action,
    by: Resident,
    *,
    starts_at: datetime | None = None,
    place: str | None = None,
    now: datetime,
    emit: Emit,
) -> bool:
    """Another time or place (calendars follow it); False when nothing changed."""
    _planned(action)
    if starts_at is not None and starts_at <= now:
        raise Refused("an action moves to the future")
    old = (action.starts_at, action.place)
    if starts_at is not None:
        action.starts_at = starts_at
    if place:
        action.place = place
    if (action.starts_at, action.place) == old:
        return False
    action.ics_sequence += 1  # calendars that have it update the same event
    emit(ActionChanged(action.id or 0, by.id))
    return True


async def change_capacity(
    session: AsyncSession, action: Action, by: Resident, capacity: int | None, *, emit: Emit
) -> list[Rsvp] | None:
    """A new number of places: freed places go to the waiting list, first come first
    served; fewer places take none away. None when nothing changed, else who moved up."""
    if action.capacity == capacity:
        return None
    action.capacity = capacity
    emit(CapacityChanged(action.id or 0, by.id))
    promoted = await promote_waitlist(session, action)
    for row in promoted:
        emit(RsvpGiven(action.id or 0, row.resident_id or 0, RsvpAnswer.COMING, True))
    return promoted


def cancel_action(action: Action, by: Resident, *, emit: Emit) -> bool:
    """Off: the RSVPs stay (who had said yes is told), nothing more is sent about it (the
    scheduler's rule for `ActionCancelled`). False when it was not planned any more."""
    if action.status is not ActionStatus.PLANNED:
        return False
    action.status = ActionStatus.CANCELLED
    action.ics_sequence += 1  # the calendar file now says CANCELLED
    emit(ActionCancelled(action.id or 0, by.id))
    return True


async def review_action(
    session: AsyncSession,
    action: Action,
    initiative: Initiative,
    by: Resident,
    *,
    attended: int,
    went_well: str | None,
    went_badly: str | None,
    photo_file_id: str | None,
    next_step: str | None,
    wishes_gathered: bool,
    outcomes: Mapping[str, int],
    now: datetime,
    emit: Emit,
) -> bool:
    """How it went, told once: the action is held. False when someone told already."""
    if action.status is not ActionStatus.PLANNED:
        return False
    action.attended = max(0, attended)
    action.went_well = went_well
    action.went_badly = went_badly
    action.photo_file_id = photo_file_id
    action.next_step = next_step
    action.reviewed_at = now
    action.status = ActionStatus.HELD
    if action.kind is ActionKind.MEETING and wishes_gathered:
        initiative.wishes_gathered = True
    await save_review(session, action, outcomes, by_id=by.id, now=now)
    emit(ActionReviewed(action.id or 0, by.id))
    return True


def tick_checklist(action: Action, index: int, by: Resident, *, emit: Emit) -> bool | None:
    """Tick an item off (or on again): its new state, None when there is no such item."""
    items = [dict(item) for item in action.checklist or [] if isinstance(item, dict)]
    if not 0 <= index < len(items):
        return None
    done = not items[index].get("done")
    items[index]["done"] = done
    action.checklist = items
    emit(ChecklistTicked(action.id or 0, index, done, by.id))
    return done


# ---- tasks ---------------------------------------------------------------------------


async def add_task(
    session: AsyncSession, action: Action, by: Resident, title: str, *, now: datetime, emit: Emit
) -> Task:
    task = Task(
        initiative_id=action.initiative_id, action_id=action.id, title=title, created_at=now
    )
    session.add(task)
    await session.flush()
    emit(TaskAdded(task.id or 0, by.id))
    return task


async def assign_task(
    session: AsyncSession, task: Task, assignee_id: int, by: Resident, *, emit: Emit
) -> tuple[Resident, bool] | None:
    """Give the task to someone in the team: (them, whether it changed hands); None when
    they are not in the team."""
    person = next(
        (r for _, r in await team(session, task.initiative_id) if r.id == assignee_id), None
    )
    if person is None:
        return None
    if task.assignee_id == person.id:
        return person, False
    task.assignee_id = person.id
    emit(TaskAssigned(task.id or 0, person.id or 0, by.id))
    return person, True


def finish_task(task: Task, by: Resident, *, emit: Emit) -> bool:
    """Done (once): False when it was done already."""
    if task.done:
        return False
    task.done = True
    emit(TaskDone(task.id or 0, by.id))
    return True


# ---- a collective purchase's quotes --------------------------------------------------


async def add_quote(
    session: AsyncSession,
    initiative: Initiative,
    by: Resident,
    *,
    supplier: str,
    total_eur: float,
    watt_peak: float | None,
    area_m2: float | None,
    yearly_saving_eur: float | None,
    now: datetime,
    emit: Emit,
) -> Quote:
    quote = Quote(
        initiative_id=initiative.id or 0,
        supplier=supplier,
        total_eur=total_eur,
        watt_peak=watt_peak,
        area_m2=area_m2,
        yearly_saving_eur=yearly_saving_eur,
        added_by_id=by.id,
        created_at=now,
    )
    session.add(quote)
    await session.flush()
    emit(QuoteAdded(initiative.id or 0, quote.id or 0, by.id))
    return quote


async def delete_quote(
    session: AsyncSession, initiative: Initiative, quote: Quote, by: Resident, *, emit: Emit
) -> None:
    if quote.initiative_id != initiative.id:
        raise Refused("a quote is removed from its own initiative")
    await session.delete(quote)
    await session.flush()
    emit(QuoteRemoved(initiative.id or 0, by.id))


# ---- a street's group chat -----------------------------------------------------------


async def link_group(
    session: AsyncSession,
    group: GroupChat,
    initiative: Initiative,
    by: Resident,
    *,
    now: datetime,
    emit: Emit,
) -> None:
    """The group belongs to the initiative: one group per initiative, one initiative per
    group (the flow asks first, to say which is in the way)."""
    if group.initiative_id is not None and group.initiative_id != initiative.id:
        raise Refused("the group belongs to another initiative")
    taken = await groups.group_of_initiative(session, initiative.id)
    if taken is not None and taken.chat_id != group.chat_id:
        raise Refused("the initiative has another group")
    groups.link(group, initiative.id or 0, by, now)
    emit(GroupLinked(initiative.id or 0, group.chat_id, by.id))


async def unlink_group(
    session: AsyncSession, group: GroupChat, by: Resident, *, emit: Emit
) -> None:
    initiative_id = group.initiative_id
    if initiative_id is None:
        return
    await groups.unlink(session, group)
    emit(GroupUnlinked(initiative_id, group.chat_id, by.id))


# ---- support -------------------------------------------------------------------------


async def open_support_request(
    session: AsyncSession,
    initiative: Initiative,
    by: Resident,
    question: str,
    *,
    now: datetime,
    emit: Emit,
) -> tuple[SupportRequest, Resident | None]:
    """A question for the initiative's coach (or, without one, for any coach): the request
    and the coach it went to."""
    coach = await coach_of(session, initiative)
    request = SupportRequest(
        initiative_id=initiative.id or 0,
        resident_id=by.id,
        coach_id=coach.id if coach is not None else None,
        question=question,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    emit(SupportRequested(request.id or 0, by.id))
    return request, coach


# ---- what follows from the events ----------------------------------------------------

# The events that are activity: each says who did it (`by_id`, or the resident it is
# about: who started the initiative, who left it).
Done = (
    InitiativeCreated
    | MemberJoined
    | MemberLeft
    | MemberRoleChanged
    | InviteRevoked
    | InviteRenewed
    | DoorTallied
    | PollStarted
    | ActionPlanned
    | ActionChanged
    | CapacityChanged
    | ActionCancelled
    | ActionReviewed
    | ChecklistTicked
    | TaskAdded
    | TaskAssigned
    | TaskDone
    | QuoteAdded
    | QuoteRemoved
    | GroupLinked
    | GroupUnlinked
    | SupportRequested
)

ACTIVITY: dict[type[Done], ActivityKind] = {
    InitiativeCreated: ActivityKind.CREATED,
    MemberJoined: ActivityKind.MEMBER_JOINED,
    MemberLeft: ActivityKind.MEMBER_LEFT,
    MemberRoleChanged: ActivityKind.MEMBER_ROLE_CHANGED,
    InviteRevoked: ActivityKind.INVITE_REVOKED,
    InviteRenewed: ActivityKind.INVITE_RENEWED,
    DoorTallied: ActivityKind.DOOR_TALLY,
    PollStarted: ActivityKind.POLL_STARTED,
    ActionPlanned: ActivityKind.ACTION_PLANNED,
    ActionChanged: ActivityKind.ACTION_CHANGED,
    CapacityChanged: ActivityKind.ACTION_CHANGED,
    ActionCancelled: ActivityKind.ACTION_CANCELLED,
    ActionReviewed: ActivityKind.ACTION_REVIEWED,
    ChecklistTicked: ActivityKind.CHECKLIST_TICKED,
    TaskAdded: ActivityKind.TASK_ADDED,
    TaskAssigned: ActivityKind.TASK_ASSIGNED,
    TaskDone: ActivityKind.TASK_DONE,
    QuoteAdded: ActivityKind.QUOTE_ADDED,
    QuoteRemoved: ActivityKind.QUOTE_REMOVED,
    GroupLinked: ActivityKind.GROUP_LINKED,
    GroupUnlinked: ActivityKind.GROUP_UNLINKED,
    SupportRequested: ActivityKind.SUPPORT_REQUESTED,
}

# What a phase's goals look at (phases.py): after these, the initiative may move on.
PROGRESS = (
    MemberJoined,  # joining by invitation checks first itself: it says what was reached
    ActionPlanned,
    ActionChanged,
    ActionReviewed,
    TaskAssigned,
    QuoteAdded,
    GroupLinked,
)


async def initiative_of(session: AsyncSession, event: Event) -> Initiative | None:
    """The initiative an event happened in (rows the update has are not read again)."""
    initiative_id: int | None = None
    match event:
        case (
            ActionPlanned()
            | ActionChanged()
            | CapacityChanged()
            | ActionCancelled()
            | ActionReviewed()
            | ChecklistTicked()
            | DoorTallied()
        ):
            action = await session.get(Action, event.action_id)
            initiative_id = action.initiative_id if action else None
        case TaskAdded() | TaskAssigned() | TaskDone():
            task = await session.get(Task, event.task_id)
            initiative_id = task.initiative_id if task else None
        case (
            GroupLinked()
            | GroupUnlinked()
            | InitiativeCreated()
            | MemberJoined()
            | MemberLeft()
            | QuoteAdded()
            | QuoteRemoved()
            | MemberRoleChanged()
            | InviteRevoked()
            | InviteRenewed()
            | PollStarted()
        ):
            initiative_id = event.initiative_id
        case SupportRequested():
            request = await session.get(SupportRequest, event.request_id)
            initiative_id = request.initiative_id if request else None
    return await session.get(Initiative, initiative_id) if initiative_id else None


async def record(session: AsyncSession, event: Done, now: datetime) -> None:
    """Something happened: the initiative is not quiet, and its coach can see what."""
    initiative = await initiative_of(session, event)
    if initiative is not None:
        kind = ACTIVITY[type(event)]
        if isinstance(event, MemberJoined) and event.was_follower:
            kind = ActivityKind.JOINED_TEAM
        by_id = (
            event.resident_id
            if isinstance(event, InitiativeCreated | MemberJoined | MemberLeft)
            else event.by_id
        )
        record_activity(session, initiative, kind, now, by_id)


async def progress_after(ctx: Ctx, events: list[Event]) -> None:
    """The progress check, once per initiative the update's events touched."""
    seen: set[int] = set()
    for event in events:
        if not isinstance(event, PROGRESS):
            continue
        initiative = await initiative_of(ctx.session, event)
        if initiative is not None and initiative.id not in seen:
            seen.add(initiative.id or 0)
            await check_progress(ctx, initiative)


def register(registry: Registry) -> None:
    for kind in ACTIVITY:
        registry.subscribe(kind)(record)
    registry.react(progress_after)
