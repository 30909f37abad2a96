"""The domain's operations without a chat: rows, rules, events, and the activity that
follows from the events (the subscribers the bootstrap registers), on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.engine import publish
from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    ActionReviewed,
    CapacityChanged,
    ChecklistTicked,
    DoorTallied,
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
from bot.core.services import Services
from bot.domain import operations as ops
from bot.domain.actions import give_rsvp
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    ActivityKind,
    GroupChat,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    Outcome,
    PersonRole,
    Quote,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
    SupportRequest,
)

_ids = count(1)


async def person(session: AsyncSession, name: str) -> Resident:
    found = Resident(telegram_id=9000 + next(_ids), first_name=name)
    session.add(found)
    await session.flush()
    return found


async def street(
    session: AsyncSession, now: datetime, initiator: Resident, *team: Resident
) -> Initiative:
    found = Initiative(
        title="Tegels eruit",
        what="Samen tegels eruit",
        invite_token=f"ops{next(_ids)}",
        created_at=now,
        phase_changed_at=now,
        last_activity_at=now - timedelta(days=20),
    )
    session.add(found)
    await session.flush()
    session.add(
        Membership(
            initiative_id=found.id or 0, resident_id=initiator.id or 0, role=MemberRole.INITIATOR
        )
    )
    for member in team:
        session.add(
            Membership(
                initiative_id=found.id or 0, resident_id=member.id or 0, role=MemberRole.TEAM
            )
        )
    await session.flush()
    return found


async def planned(
    session: AsyncSession, initiative: Initiative, by: Resident, now: datetime, emit: ops.Emit
) -> Action:
    return await ops.plan_action(
        session,
        initiative,
        by,
        kind=ActionKind.ACTION,
        title="Tegelwipdag",
        starts_at=now + timedelta(days=7),
        place="Lindelaan 12",
        capacity=None,
        kit_id=None,
        checklist=["Koffie", "Scheppen"],
        now=now,
        emit=emit,
    )


async def activity(session: AsyncSession, initiative: Initiative) -> list[tuple[str, int | None]]:
    rows = await session.execute(
        select(Activity.kind, Activity.resident_id)
        .where(Activity.initiative_id == initiative.id)
        .order_by(col(Activity.id))
    )
    return [(kind, resident_id) for kind, resident_id in rows.all()]


async def test_plan_writes_the_action_and_the_activity_follows(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna = await person(session, "Anna")
        initiative = await street(session, now, anna)
        action = await planned(session, initiative, anna, now, events.append)
        assert events == [ActionPlanned(action.id or 0, anna.id)]
        assert action.status is ActionStatus.PLANNED and action.created_by_id == anna.id
        assert action.checklist == [
            {"text": "Koffie", "done": False},
            {"text": "Scheppen", "done": False},
        ]
        assert await activity(session, initiative) == []  # only once the events are heard
        await publish(services, session, events)
        assert await activity(session, initiative) == [(ActivityKind.ACTION_PLANNED, anna.id)]
        assert initiative.last_activity_at == now  # not quiet any more

        with pytest.raises(ops.Refused):  # the past cannot be planned
            await ops.plan_action(
                session,
                initiative,
                anna,
                kind=ActionKind.MEETING,
                title="Te laat",
                starts_at=now,
                place="",
                capacity=None,
                kit_id=None,
                checklist=[],
                now=now,
                emit=events.append,
            )
        assert len(events) == 1


async def test_move_changes_only_what_is_new(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna = await person(session, "Anna")
        initiative = await street(session, now, anna)
        action = await planned(session, initiative, anna, now, lambda _e: None)
        same = ops.move_action(action, anna, place="Lindelaan 12", now=now, emit=events.append)
        assert same is False and events == [] and action.ics_sequence == 0
        later = now + timedelta(days=8)
        assert ops.move_action(action, anna, starts_at=later, now=now, emit=events.append)
        assert (action.starts_at, action.place, action.ics_sequence) == (later, "Lindelaan 12", 1)
        assert events == [ActionChanged(action.id or 0, anna.id)]
        with pytest.raises(ops.Refused):
            ops.move_action(
                action, anna, starts_at=now - timedelta(hours=1), now=now, emit=events.append
            )


async def test_cancel_keeps_the_rsvps_and_stops_what_was_scheduled(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna, bob = await person(session, "Anna"), await person(session, "Bob")
        initiative = await street(session, now, anna, bob)
        action = await planned(session, initiative, anna, now, events.append)
        result = await give_rsvp(session, action, bob.id or 0, RsvpAnswer.COMING, now)
        events += result.events()
        await publish(services, session, events)
        scheduled = select(ScheduledMessage).where(ScheduledMessage.action_id == action.id)
        assert (await session.execute(scheduled)).scalars().all()  # reminders, a follow-up

        events.clear()
        assert ops.cancel_action(action, anna, emit=events.append)
        assert action.status is ActionStatus.CANCELLED and action.ics_sequence == 1
        assert events == [ActionCancelled(action.id or 0, anna.id)]
        assert ops.cancel_action(action, anna, emit=events.append) is False  # once
        assert len(events) == 1
        await publish(services, session, events)

        rsvps = (await session.execute(select(Rsvp).where(Rsvp.action_id == action.id))).scalars()
        assert [(r.resident_id, r.answer) for r in rsvps] == [(bob.id, RsvpAnswer.COMING)]
        rows = (await session.execute(scheduled)).scalars().all()
        assert rows and {row.status for row in rows} == {OutboxStatus.CANCELLED}
        assert (ActivityKind.ACTION_CANCELLED, anna.id) in await activity(session, initiative)


async def test_capacity_moves_the_waiting_list_up(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna = await person(session, "Anna")
        bob = await person(session, "Bob")
        cas = await person(session, "Cas")
        initiative = await street(session, now, anna, bob, cas)
        action = await planned(session, initiative, anna, now, lambda _e: None)
        assert await ops.change_capacity(session, action, anna, 1, emit=events.append) == []
        await give_rsvp(session, action, bob.id or 0, RsvpAnswer.COMING, now)
        waiting = await give_rsvp(session, action, cas.id or 0, RsvpAnswer.COMING, now)
        assert waiting.waitlisted
        assert await ops.change_capacity(session, action, anna, 1, emit=events.append) is None
        events.clear()
        promoted = await ops.change_capacity(session, action, anna, 2, emit=events.append)
        assert [row.resident_id for row in promoted or []] == [cas.id]
        assert events == [
            CapacityChanged(action.id or 0, anna.id),
            RsvpGiven(action.id or 0, cas.id or 0, RsvpAnswer.COMING, True),
        ]


async def test_review_is_told_once(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna = await person(session, "Anna")
        initiative = await street(session, now, anna)
        action = await ops.plan_action(
            session,
            initiative,
            anna,
            kind=ActionKind.MEETING,
            title="Keukentafel",
            starts_at=now + timedelta(days=1),
            place="",
            capacity=None,
            kit_id=None,
            checklist=[],
            now=now,
            emit=lambda _e: None,
        )

        async def review(attended: int) -> bool:
            return await ops.review_action(
                session,
                action,
                initiative,
                anna,
                attended=attended,
                went_well="Gezellig",
                went_badly=None,
                photo_file_id=None,
                next_step="rain-barrels",
                wishes_gathered=True,
                outcomes={"tiles_removed": 140},
                now=now,
                emit=events.append,
            )

        assert await review(12)
        assert (action.status, action.attended, action.went_well) == (
            ActionStatus.HELD,
            12,
            "Gezellig",
        )
        assert (action.next_step, action.reviewed_at) == ("rain-barrels", now)
        assert initiative.wishes_gathered  # a meeting where wishes were gathered
        assert await review(99) is False and action.attended == 12
        assert events == [ActionReviewed(action.id or 0, anna.id)]
        await session.flush()
        outcomes = await session.execute(select(Outcome).where(Outcome.action_id == action.id))
        assert [(o.key, o.value) for o in outcomes.scalars()] == [("tiles_removed", 140)]
        await publish(services, session, events)
        assert (ActivityKind.ACTION_REVIEWED, anna.id) in await activity(session, initiative)


async def test_tasks_go_to_the_team_only(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna, bob = await person(session, "Anna"), await person(session, "Bob")
        stranger = await person(session, "Dirk")
        initiative = await street(session, now, anna, bob)
        action = await planned(session, initiative, anna, now, lambda _e: None)
        task = await ops.add_task(session, action, anna, "Koffie", now=now, emit=events.append)
        assert task.initiative_id == initiative.id and task.action_id == action.id
        assert (
            await ops.assign_task(session, task, stranger.id or 0, anna, emit=events.append) is None
        )
        assert await ops.assign_task(session, task, bob.id or 0, anna, emit=events.append) == (
            bob,
            True,
        )
        assert await ops.assign_task(session, task, bob.id or 0, anna, emit=events.append) == (
            bob,
            False,
        )
        assert ops.finish_task(task, bob, emit=events.append)
        assert ops.finish_task(task, bob, emit=events.append) is False
        assert events == [
            TaskAdded(task.id or 0, anna.id),
            TaskAssigned(task.id or 0, bob.id or 0, anna.id),
            TaskDone(task.id or 0, bob.id),
        ]
        assert ops.tick_checklist(action, 5, anna, emit=events.append) is None
        assert ops.tick_checklist(action, 1, anna, emit=events.append) is True
        assert events[-1] == ChecklistTicked(action.id or 0, 1, True, anna.id)
        await publish(services, session, events)
        assert await activity(session, initiative) == [
            (ActivityKind.TASK_ADDED, anna.id),
            (ActivityKind.TASK_ASSIGNED, anna.id),
            (ActivityKind.TASK_DONE, bob.id),
            (ActivityKind.CHECKLIST_TICKED, anna.id),
        ]


async def test_a_group_belongs_to_one_initiative(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna = await person(session, "Anna")
        ours, theirs = await street(session, now, anna), await street(session, now, anna)
        group = GroupChat(chat_id=-100123, title="Lindelaan")
        session.add(group)
        await session.flush()
        await ops.link_group(session, group, ours, anna, now=now, emit=events.append)
        assert (group.initiative_id, group.linked_by_id, group.linked_at) == (ours.id, anna.id, now)
        with pytest.raises(ops.Refused):  # one initiative per group
            await ops.link_group(session, group, theirs, anna, now=now, emit=events.append)
        other = GroupChat(chat_id=-100456, title="Lindelaan 2")
        session.add(other)
        await session.flush()
        with pytest.raises(ops.Refused):  # one group per initiative
            await ops.link_group(session, other, ours, anna, now=now, emit=events.append)
        await ops.unlink_group(session, group, anna, emit=events.append)
        assert group.initiative_id is None
        await ops.unlink_group(session, group, anna, emit=events.append)  # nothing to unlink
        assert events == [
            GroupLinked(ours.id or 0, -100123, anna.id),
            GroupUnlinked(ours.id or 0, -100123, anna.id),
        ]
        await publish(services, session, events)
        assert await activity(session, ours) == [
            (ActivityKind.GROUP_LINKED, anna.id),
            (ActivityKind.GROUP_UNLINKED, anna.id),
        ]
        assert await activity(session, theirs) == []


async def test_a_support_request_is_written_once(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna, carla = await person(session, "Anna"), await person(session, "Carla")
        initiative = await street(session, now, anna)
        request, coach = await ops.open_support_request(
            session, initiative, anna, "Waar vinden we plantjes?", now=now, emit=events.append
        )
        assert coach is None and request.coach_id is None  # any coach picks it up
        carla.role = PersonRole.COACH
        initiative.coach_id = carla.id
        second, coach = await ops.open_support_request(
            session, initiative, anna, "Mag de stoep op?", now=now, emit=events.append
        )
        assert coach is not None and coach.id == carla.id and second.coach_id == carla.id
        rows = (await session.execute(select(SupportRequest))).scalars().all()
        assert [(r.question, r.resident_id) for r in rows] == [
            ("Waar vinden we plantjes?", anna.id),
            ("Mag de stoep op?", anna.id),
        ]
        assert events == [
            SupportRequested(request.id or 0, anna.id),
            SupportRequested(second.id or 0, anna.id),
        ]
        await publish(services, session, events)
        kinds = [kind for kind, _ in await activity(session, initiative)]
        assert kinds == [ActivityKind.SUPPORT_REQUESTED, ActivityKind.SUPPORT_REQUESTED]


async def test_starting_and_leaving_are_activity_by_whom_it_is_about(services: Services) -> None:
    now = services.clock.now()
    async with services.db.transaction() as session:
        anna, bob = await person(session, "Anna"), await person(session, "Bob")
        initiative = await street(session, now, anna, bob)
        iid = initiative.id or 0
        await publish(services, session, [InitiativeCreated(iid, anna.id or 0)])
        await publish(services, session, [MemberLeft(iid, bob.id or 0)])
        assert await activity(session, initiative) == [
            (ActivityKind.CREATED, anna.id),
            (ActivityKind.MEMBER_LEFT, bob.id),
        ]


async def test_quotes_are_added_and_removed_in_their_own_initiative(services: Services) -> None:
    now = services.clock.now()
    events: list[Event] = []
    async with services.db.transaction() as session:
        anna = await person(session, "Anna")
        ours, theirs = await street(session, now, anna), await street(session, now, anna)
        quote = await ops.add_quote(
            session,
            ours,
            anna,
            supplier="Zon BV",
            total_eur=4200.0,
            watt_peak=3600.0,
            area_m2=None,
            yearly_saving_eur=650.0,
            now=now,
            emit=events.append,
        )
        assert (quote.initiative_id, quote.added_by_id) == (ours.id, anna.id)
        with pytest.raises(ops.Refused):
            await ops.delete_quote(session, theirs, quote, anna, emit=events.append)
        await ops.delete_quote(session, ours, quote, anna, emit=events.append)
        assert await session.get(Quote, quote.id) is None
        assert events == [
            QuoteAdded(ours.id or 0, quote.id or 0, anna.id),
            QuoteRemoved(ours.id or 0, anna.id),
        ]
        await publish(services, session, events)
        assert await activity(session, ours) == [
            (ActivityKind.QUOTE_ADDED, anna.id),
            (ActivityKind.QUOTE_REMOVED, anna.id),
        ]


async def test_joining_is_activity_and_a_helper_joins_the_team(services: Services) -> None:
    now = services.clock.now()
    async with services.db.transaction() as session:
        anna, bob, cas = [await person(session, name) for name in ("Anna", "Bob", "Cas")]
        initiative = await street(session, now, anna)
        iid = initiative.id or 0
        joined = MemberJoined(iid, bob.id or 0, MemberRole.FOLLOWER, anna.id)
        helper = MemberJoined(iid, cas.id or 0, MemberRole.TEAM, was_follower=True)
        await publish(services, session, [joined, helper])
        assert await activity(session, initiative) == [
            (ActivityKind.MEMBER_JOINED, bob.id),
            (ActivityKind.JOINED_TEAM, cas.id),
        ]


async def test_what_flows_only_tell_is_activity_too(services: Services) -> None:
    now = services.clock.now()
    async with services.db.transaction() as session:
        anna, bob = await person(session, "Anna"), await person(session, "Bob")
        initiative = await street(session, now, anna, bob)
        iid = initiative.id or 0
        action = await planned(session, initiative, anna, now, lambda _e: None)
        told: list[Event] = [
            MemberRoleChanged(iid, bob.id or 0, MemberRole.INITIATOR, anna.id),
            InviteRevoked(iid, anna.id),
            InviteRenewed(iid, anna.id),
            DoorTallied(action.id or 0, 4, bob.id),
            PollStarted(iid, -100123, bob.id),
        ]
        await publish(services, session, told)
        assert await activity(session, initiative) == [
            (ActivityKind.MEMBER_ROLE_CHANGED, anna.id),
            (ActivityKind.INVITE_REVOKED, anna.id),
            (ActivityKind.INVITE_RENEWED, anna.id),
            (ActivityKind.DOOR_TALLY, bob.id),
            (ActivityKind.POLL_STARTED, bob.id),
        ]
