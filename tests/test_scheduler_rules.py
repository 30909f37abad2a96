"""The follow-up rules, on a fake clock: each fires at the right local time, to the right
people, respecting quiet hours, the daily budget and people's settings — and a message
that no longer makes sense is not sent.

The world is built straight in the database; the rules hear the real domain events
through ``bot.core.engine.publish`` (as when a flow emits them), and the scheduler's
``run_until`` steps the fake clock from one due moment to the next. People read what
arrived through the test driver, and press its buttons by label.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.core.engine import publish
from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    ActionReviewed,
    MemberJoined,
    PhaseReached,
    RsvpGiven,
)
from bot.core.payloads import pack
from bot.core.policy import RuleTimings
from bot.core.services import Services
from bot.runtimes.console import ConsoleChat
from scheduler.clock import OffsetClock, Scheduler
from scheduler.rules import reminder_due
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    Activity,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    PersonRole,
    Phase,
    Reminders,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
    SupportRequest,
)
from tests.conftest import make_services
from tests.support.driver import Driver, Talker

AMS = ZoneInfo("Europe/Amsterdam")
_ids = itertools.count(1)


def local(*args: int) -> datetime:
    """A wall-clock time in Amsterdam, as an aware datetime."""
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    services: Services
    driver: Driver
    clock: FakeClock
    scheduler: Scheduler
    people: dict[str, Resident]
    talkers: dict[str, Talker]
    initiative_id: int
    action_id: int

    def tid(self, name: str) -> int:
        return self.people[name].telegram_id

    def chat(self, name: str) -> list[str]:
        return [shown.plain for shown in self.driver.sender.chats[self.tid(name)]]

    async def run_until(self, moment: datetime) -> None:
        await self.scheduler.run_until(moment, self.clock)

    async def emit(self, *events: object) -> None:
        await emit(self.services, *events)

    async def rows(self) -> dict[str, ScheduledMessage]:
        return await outbox_rows(self.services)

    async def update(self, model: type, ident: int, **values: object) -> None:
        async with self.services.db.transaction() as session:
            row = await session.get(model, ident)
            for name, value in values.items():
                setattr(row, name, value)


async def emit(services: Services, *events: object) -> None:
    async with services.db.transaction() as session:
        await publish(services, session, list(events))


async def outbox_rows(services: Services) -> dict[str, ScheduledMessage]:
    async with services.db.transaction() as session:
        result = await session.execute(select(ScheduledMessage))
        return {row.dedupe_key: row for row in result.scalars().all()}


PEOPLE = {
    # name: (language, role in the initiative, person role)
    "Anna": ("nl", MemberRole.INITIATOR, PersonRole.RESIDENT),
    "Ben": ("en", MemberRole.INITIATOR, PersonRole.RESIDENT),
    "Bert": ("nl", MemberRole.FOLLOWER, PersonRole.RESIDENT),
    "Carla": ("en", MemberRole.FOLLOWER, PersonRole.RESIDENT),
    "Dirk": ("nl", MemberRole.FOLLOWER, PersonRole.RESIDENT),
    "Eva": ("nl", MemberRole.TEAM, PersonRole.RESIDENT),
    "Coen": ("nl", None, PersonRole.COACH),
}


async def add_people(
    services: Services, names: dict[str, tuple[str, MemberRole | None, PersonRole]]
) -> dict[str, Resident]:
    now = services.clock.now()
    people: dict[str, Resident] = {}
    async with services.db.transaction() as session:
        for name, (lang, _member_role, role) in names.items():
            person = Resident(
                telegram_id=5_000_000 + next(_ids),
                first_name=name,
                name=name,
                language=lang,
                language_chosen=True,
                timezone="Europe/Amsterdam",
                consented_at=now,
                onboarded_at=now,
                role=role,
                created_at=now,
                last_seen_at=now,
            )
            session.add(person)
            people[name] = person
    return people


async def add_initiative(
    services: Services,
    people: dict[str, Resident],
    roles: dict[str, MemberRole | None],
    *,
    coach: str | None = "Coen",
    title: str = "Tegels eruit",
    phase: Phase = Phase.GROW,
    quiet_days: int = 0,
) -> int:
    now = services.clock.now()
    async with services.db.transaction() as session:
        initiative = Initiative(
            title=title,
            what="Tegels eruit, planten erin",
            why="Groener en koeler",
            place="Vogelbuurt",
            invite_token=f"tok{next(_ids)}",
            coach_id=people[coach].id if coach else None,
            phase=phase,
            phase_changed_at=now,
            created_at=now - timedelta(days=quiet_days),
            last_activity_at=now - timedelta(days=quiet_days),
        )
        session.add(initiative)
        await session.flush()
        for name, role in roles.items():
            if role is not None:
                session.add(
                    Membership(
                        initiative_id=initiative.id,
                        resident_id=people[name].id,
                        role=role,
                        joined_at=now,
                    )
                )
        return initiative.id or 0


async def add_action(
    services: Services,
    initiative_id: int,
    starts_at: datetime,
    answers: dict[int, RsvpAnswer],
    *,
    title: str = "Tegelwipdag",
) -> int:
    now = services.clock.now()
    async with services.db.transaction() as session:
        action = Action(
            initiative_id=initiative_id,
            title=title,
            starts_at=starts_at,
            place="Speeltuin Merelstraat",
            created_at=now,
        )
        session.add(action)
        await session.flush()
        for resident_id, answer in answers.items():
            session.add(
                Rsvp(action_id=action.id, resident_id=resident_id, answer=answer, answered_at=now)
            )
        return action.id or 0


async def build_world(
    services: Services,
    clock: FakeClock,
    starts_at: datetime,
) -> World:
    driver = Driver(services)
    people = await add_people(services, PEOPLE)
    initiative_id = await add_initiative(
        services, people, {name: spec[1] for name, spec in PEOPLE.items()}
    )
    answers = {
        people["Bert"].id or 0: RsvpAnswer.COMING,
        people["Carla"].id or 0: RsvpAnswer.MAYBE,
        people["Dirk"].id or 0: RsvpAnswer.NO,
        people["Eva"].id or 0: RsvpAnswer.COMING,
    }
    action_id = await add_action(services, initiative_id, starts_at, answers)
    await emit(services, ActionPlanned(action_id))
    scheduler = Scheduler(services, driver.delivery)
    talkers = {
        name: driver.person(name, spec[0], person_id=people[name].telegram_id)
        for name, spec in PEOPLE.items()
    }
    return World(services, driver, clock, scheduler, people, talkers, initiative_id, action_id)


@pytest.fixture
async def world(sqlite_services: Services, clock: FakeClock) -> World:
    # START is Saturday 28 Nov 2026, 10:00 in Amsterdam; the action is on Tuesday evening.
    return await build_world(sqlite_services, clock, local(2026, 12, 1, 19, 30))


# --- after the action -------------------------------------------------------------------------


async def test_the_day_after_at_ten_the_initiators_are_asked_and_who_came_is_thanked(
    world: World,
) -> None:
    await world.run_until(local(2026, 12, 3, 12, 0))
    rows = await world.rows()
    aid, ids = world.action_id, {name: person.id for name, person in world.people.items()}
    ten = local(2026, 12, 2, 10, 0)
    for name in ("Anna", "Ben"):
        row = rows[f"followup:{aid}:{ids[name]}"]
        assert (row.status, row.sent_at) == (OutboxStatus.SENT, ten)
    assert rows[f"thanks:{aid}:{ids['Bert']}"].sent_at == ten
    assert rows[f"thanks:{aid}:{ids['Eva']}"].sent_at == ten
    # Maybe and no get no thank-you; initiators get the question instead.
    assert not {f"thanks:{aid}:{ids[name]}" for name in ("Carla", "Dirk", "Anna")} & set(rows)

    anna = world.talkers["Anna"]
    question = next(m for m in anna.messages if "Hoe ging het?" in m.plain)
    assert "Tegelwipdag" in question.plain and "dinsdag 1 december" in question.plain
    review = [b for row in question.buttons for b in row if b.payload == pack("review", aid)]
    assert len(review) == 1
    ben = world.chat("Ben")
    assert any("How did it go?" in text for text in ben)  # in Ben's own language

    bert = world.talkers["Bert"]
    thanks = next(m for m in bert.messages if "Bedankt dat je" in m.plain)
    assert any(b.payload == pack("helpnext", aid) for row in thanks.buttons for b in row)
    eva = world.chat("Eva")  # already in the team: thanked, not asked to join it
    assert any("Bedankt dat je" in text for text in eva)
    assert not any(
        b.payload == pack("helpnext", aid)
        for m in world.talkers["Eva"].messages
        for r in m.buttons
        for b in r
    )


async def test_the_follow_up_stays_at_ten_local_across_both_dst_changes(
    sqlite_services: Services, clock: FakeClock
) -> None:
    for action_at, expected_utc in (
        # Saturday 28 March 2026; the clocks go forward that night: 10:00 CEST = 08:00 UTC.
        (local(2026, 3, 28, 15, 0), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        # Saturday 24 October 2026; the clocks go back that night: 10:00 CET = 09:00 UTC.
        (local(2026, 10, 24, 15, 0), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
    ):
        clock.set(action_at - timedelta(days=3))
        world = await build_world(sqlite_services, clock, action_at)
        await world.run_until(action_at + timedelta(days=2))
        rows = await world.rows()
        row = rows[f"followup:{world.action_id}:{world.people['Anna'].id}"]
        assert row.sent_at == expected_utc
        assert row.sent_at.astimezone(AMS).hour == 10


async def test_a_reminder_is_elapsed_time_across_dst(
    sqlite_services: Services, clock: FakeClock
) -> None:
    # Sunday 29 March 2026 12:00 CEST (10:00 UTC): 24 h before is Saturday 10:00 UTC = 11:00 CET.
    action_at = local(2026, 3, 29, 12, 0)
    clock.set(local(2026, 3, 27, 12, 0))
    world = await build_world(sqlite_services, clock, action_at)
    await world.run_until(action_at)
    rows = await world.rows()
    sent = rows[f"reminder:{world.action_id}:24h:{world.people['Bert'].id}"].sent_at
    assert sent == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert action_at - sent == timedelta(hours=24)


# --- before the action ------------------------------------------------------------------------


async def test_reminders_24h_and_2h_before_to_coming_and_maybe_not_to_no(world: World) -> None:
    await world.run_until(local(2026, 12, 1, 19, 0))
    rows = await world.rows()
    aid = world.action_id
    for name in ("Bert", "Carla", "Eva"):
        pid = world.people[name].id
        assert rows[f"reminder:{aid}:24h:{pid}"].sent_at == local(2026, 11, 30, 19, 30)
        assert rows[f"reminder:{aid}:2h:{pid}"].sent_at == local(2026, 12, 1, 17, 30)
    assert not [key for key in rows if key.endswith(f":{world.people['Dirk'].id}")]
    assert world.chat("Dirk") == []
    bert = world.chat("Bert")
    assert "⏰ Herinnering: Tegelwipdag is op dinsdag 1 december om 19:30." in bert[0]
    assert "Speeltuin Merelstraat" in bert[0]
    assert "Tegelwipdag begint zo, om 19:30." in bert[1]
    carla = world.talkers["Carla"]  # said maybe: asked to decide
    assert "You said maybe" in carla.messages[0].plain
    assert "I'm coming" in carla.messages[0].labels


async def test_an_answer_changed_to_no_means_no_reminder(world: World) -> None:
    bert, carla = world.people["Bert"], world.people["Carla"]
    # Bert says no through the flow: the event cancels his rows at once.
    async with world.services.db.transaction() as session:
        rsvp = (await session.execute(select(Rsvp).where(Rsvp.resident_id == bert.id))).scalar_one()
        rsvp.answer = RsvpAnswer.NO
        await publish(
            world.services, session, [RsvpGiven(world.action_id, bert.id or 0, RsvpAnswer.NO)]
        )
    rows = await world.rows()
    assert rows[f"reminder:{world.action_id}:24h:{bert.id}"].status is OutboxStatus.CANCELLED
    # Carla's answer changes without an event (another process, a bug): the send-time
    # check still catches it.
    async with world.services.db.transaction() as session:
        rsvp = (
            await session.execute(select(Rsvp).where(Rsvp.resident_id == carla.id))
        ).scalar_one()
        rsvp.answer = RsvpAnswer.NO
    await world.run_until(local(2026, 12, 1, 19, 0))
    rows = await world.rows()
    row = rows[f"reminder:{world.action_id}:24h:{carla.id}"]
    assert (row.status, row.last_error) == (OutboxStatus.CANCELLED, "already answered: not coming")
    assert world.chat("Bert") == [] and world.chat("Carla") == []
    assert len(world.chat("Eva")) == 2


async def test_a_new_yes_gets_reminders_and_a_waitlisted_one_none(world: World) -> None:
    dirk = world.people["Dirk"]
    async with world.services.db.transaction() as session:
        rsvp = (await session.execute(select(Rsvp).where(Rsvp.resident_id == dirk.id))).scalar_one()
        rsvp.answer = RsvpAnswer.COMING
        await publish(
            world.services, session, [RsvpGiven(world.action_id, dirk.id or 0, RsvpAnswer.COMING)]
        )
    rows = await world.rows()
    assert rows[f"reminder:{world.action_id}:24h:{dirk.id}"].status is OutboxStatus.PENDING
    assert rows[f"thanks:{world.action_id}:{dirk.id}"].status is OutboxStatus.PENDING
    # Then he lands on the waiting list (someone else got the place first).
    async with world.services.db.transaction() as session:
        rsvp = (await session.execute(select(Rsvp).where(Rsvp.resident_id == dirk.id))).scalar_one()
        rsvp.waitlisted = True
        await publish(
            world.services, session, [RsvpGiven(world.action_id, dirk.id or 0, RsvpAnswer.COMING)]
        )
    rows = await world.rows()
    assert rows[f"reminder:{world.action_id}:24h:{dirk.id}"].status is OutboxStatus.CANCELLED
    assert rows[f"thanks:{world.action_id}:{dirk.id}"].status is OutboxStatus.CANCELLED


async def test_moving_the_action_moves_its_reminders_and_follow_ups(world: World) -> None:
    later = local(2026, 12, 8, 19, 30)
    await world.update(Action, world.action_id, starts_at=later)
    await world.emit(ActionChanged(world.action_id))
    rows = await world.rows()
    bert, anna = world.people["Bert"], world.people["Anna"]
    assert rows[f"reminder:{world.action_id}:24h:{bert.id}"].due_at == local(2026, 12, 7, 19, 30)
    assert rows[f"followup:{world.action_id}:{anna.id}"].due_at == local(2026, 12, 9, 10, 0)
    await world.run_until(local(2026, 12, 5, 12, 0))
    assert world.chat("Bert") == []  # nothing on the old dates
    await world.run_until(local(2026, 12, 9, 12, 0))
    assert len(world.chat("Bert")) == 3  # 24 h, 2 h, thank-you


async def test_a_move_the_rules_did_not_hear_is_caught_at_send_time(world: World) -> None:
    await world.update(Action, world.action_id, starts_at=local(2026, 12, 8, 19, 30))
    await world.run_until(local(2026, 12, 2, 12, 0))
    rows = await world.rows()
    row = rows[f"reminder:{world.action_id}:24h:{world.people['Bert'].id}"]
    assert (row.status, row.due_at) == (OutboxStatus.PENDING, local(2026, 12, 7, 19, 30))
    assert row.last_error == "the action moved"
    assert world.chat("Bert") == []


async def test_a_cancelled_action_sends_nothing_more(world: World) -> None:
    await world.run_until(local(2026, 11, 30, 20, 0))  # the 24 h reminders went out
    from storage.models import ActionStatus

    await world.update(Action, world.action_id, status=ActionStatus.CANCELLED)
    await world.emit(ActionCancelled(world.action_id))
    before = {name: len(world.chat(name)) for name in world.people}
    await world.run_until(local(2026, 12, 5, 12, 0))
    assert {name: len(world.chat(name)) for name in world.people} == before
    rows = await world.rows()
    assert all(row.status in (OutboxStatus.SENT, OutboxStatus.CANCELLED) for row in rows.values())


async def test_once_reviewed_the_other_initiators_are_not_asked(world: World) -> None:
    await world.run_until(local(2026, 12, 1, 22, 0))
    await world.update(Action, world.action_id, reviewed_at=world.clock.now())
    await world.emit(ActionReviewed(world.action_id))
    await world.run_until(local(2026, 12, 2, 12, 0))
    assert not any("How did it go?" in text for text in world.chat("Ben"))
    assert not any("Hoe ging het?" in text for text in world.chat("Anna"))


# --- quiet hours, the budget, people's settings -----------------------------------------------


def test_reminder_times_keep_out_of_quiet_hours() -> None:
    timings = RuleTimings()
    two, day = timedelta(hours=2), timedelta(hours=24)
    # 10:30 start: 08:30 is quiet. Not 09:00, in the morning rush where the night's news
    # competes for the daily budget: the evening before, 20:30.
    assert reminder_due(local(2026, 12, 5, 10, 30), two, AMS, timings) == local(2026, 12, 4, 20, 30)
    # 09:00 start: 07:00 is quiet: the evening before, 20:30.
    assert reminder_due(local(2026, 12, 5, 9, 0), two, AMS, timings) == local(2026, 12, 4, 20, 30)
    # A day-ahead reminder in the quiet hours still waits for their end: plenty of notice.
    assert reminder_due(local(2026, 12, 5, 23, 0), day, AMS, timings) == local(2026, 12, 5, 9)
    assert reminder_due(local(2026, 12, 5, 7, 0), day, AMS, timings) == local(2026, 12, 4, 9)
    # 23:00 start: 21:00 is quiet: 20:30.
    assert reminder_due(local(2026, 12, 5, 23, 0), two, AMS, timings) == local(2026, 12, 5, 20, 30)
    # 19:30: 17:30, not quiet.
    assert reminder_due(local(2026, 12, 5, 19, 30), two, AMS, timings) == local(2026, 12, 5, 17, 30)


async def morning_action(services: Services, clock: FakeClock, planned_at: datetime) -> World:
    """Saturday 12 December, 10:00: 2 h before (08:00) is in the quiet hours."""
    clock.set(planned_at)
    return await build_world(services, clock, local(2026, 12, 12, 10, 0))


async def test_a_morning_action_is_remembered_once_the_day_before(
    sqlite_services: Services, clock: FakeClock
) -> None:
    world = await morning_action(sqlite_services, clock, local(2026, 12, 8, 12, 0))
    bert = world.people["Bert"].id
    rows = await world.rows()
    # Merged: the "starts soon" one would come Friday evening, hours after the day-ahead
    # one; it does not wait for 09:00 on Saturday either.
    assert f"reminder:{world.action_id}:2h:{bert}" not in rows
    assert rows[f"reminder:{world.action_id}:24h:{bert}"].due_at == local(2026, 12, 11, 10)
    await world.run_until(local(2026, 12, 12, 12, 0))
    reminders = [text for text in world.chat("Bert") if "⏰" in text]
    assert reminders == [
        "⏰ Herinnering: Tegelwipdag is op zaterdag 12 december om 10:00.\n"
        "📍 Speeltuin Merelstraat\n"
        "Je zei dat je komt. Tot dan!"
    ]


async def test_planned_after_the_day_ahead_reminder_the_soon_one_comes_the_evening_before(
    sqlite_services: Services, clock: FakeClock
) -> None:
    # Planned on Friday afternoon: too late for the 24 h reminder.
    world = await morning_action(sqlite_services, clock, local(2026, 12, 11, 15, 0))
    bert = world.people["Bert"].id
    rows = await world.rows()
    assert f"reminder:{world.action_id}:24h:{bert}" not in rows
    assert rows[f"reminder:{world.action_id}:2h:{bert}"].due_at == local(2026, 12, 11, 20, 30)
    await world.run_until(local(2026, 12, 11, 20, 45))
    (reminder,) = [text for text in world.chat("Bert") if "⏰" in text]
    # Sent the evening before: it names the day, not "starts soon".
    assert reminder.startswith("⏰ Herinnering: Tegelwipdag is op zaterdag 12 december om 10:00.")
    (carla,) = [m.plain for m in world.talkers["Carla"].messages if "⏰" in m.plain]
    assert carla.startswith("⏰ Reminder: Tegelwipdag is on Saturday 12 December at 10:00")


async def test_a_reminder_held_up_by_the_quiet_hours_is_never_sent_after_the_start(
    sqlite_services: Services, clock: FakeClock
) -> None:
    clock.set(local(2026, 12, 11, 15, 0))
    world = await build_world(sqlite_services, clock, local(2026, 12, 12, 9, 0))
    bert = world.people["Bert"].id
    key = f"reminder:{world.action_id}:2h:{bert}"
    assert (await world.rows())[key].due_at == local(2026, 12, 11, 20, 30)
    # The scheduler was down from 20:00 until after the start: at 21:05 the row waits
    # for the end of the quiet hours (09:00), when the action has started.
    world.clock.set(local(2026, 12, 11, 21, 5))
    await world.run_until(local(2026, 12, 12, 10, 0))
    assert [text for text in world.chat("Bert") if "⏰" in text] == []
    row = (await world.rows())[key]
    assert (row.status, row.last_error) == (OutboxStatus.CANCELLED, "the action has started")


async def test_a_day_ahead_reminder_found_late_is_covered_by_the_soon_one(
    sqlite_services: Services, clock: FakeClock
) -> None:
    # Action Tuesday 1 December 19:30; the scheduler was down from Monday until 18:00 on
    # the day: the 24 h reminder (Monday 19:30) is late and the 2 h one (17:30) is due too,
    # so only the 2 h one goes; the day-ahead one is skipped, for everyone alike.
    clock.set(local(2026, 11, 28, 12, 0))
    world = await build_world(sqlite_services, clock, local(2026, 12, 1, 19, 30))
    world.clock.set(local(2026, 12, 1, 18, 0))
    await world.run_until(local(2026, 12, 1, 18, 1))
    rows = await world.rows()
    for name in ("Bert", "Eva"):
        pid = world.people[name].id
        day_ahead = rows[f"reminder:{world.action_id}:24h:{pid}"]
        assert (day_ahead.status, day_ahead.last_error) == (
            OutboxStatus.CANCELLED,
            "a later reminder covers it",
        )
        assert rows[f"reminder:{world.action_id}:2h:{pid}"].status is OutboxStatus.SENT
    reminders = [text for text in world.chat("Bert") if "⏰" in text]
    assert len(reminders) == 1 and "Tegelwipdag begint zo, om 19:30." in reminders[0]


async def test_news_at_night_waits_for_the_morning(
    sqlite_services: Services, clock: FakeClock
) -> None:
    clock.set(local(2026, 12, 1, 23, 15))
    world = await build_world(sqlite_services, clock, local(2026, 12, 20, 15, 0))
    newcomer = (await add_people(sqlite_services, {"Fien": ("nl", None, PersonRole.RESIDENT)}))[
        "Fien"
    ]
    async with sqlite_services.db.transaction() as session:
        session.add(
            Membership(
                initiative_id=world.initiative_id,
                resident_id=newcomer.id,
                role=MemberRole.TEAM,
                invited_by_id=world.people["Anna"].id,
            )
        )
    await world.emit(
        MemberJoined(
            world.initiative_id, newcomer.id or 0, MemberRole.TEAM, world.people["Anna"].id
        )
    )
    rows = await world.rows()
    assert rows[f"joined:{world.initiative_id}:{newcomer.id}"].due_at == local(2026, 12, 2, 9, 0)
    await world.run_until(local(2026, 12, 2, 8, 59))
    assert world.chat("Anna") == []
    await world.run_until(local(2026, 12, 2, 9, 30))
    assert world.chat("Anna") == [
        "🎉 Goed nieuws: Fien heeft je uitnodiging aangenomen en zit nu in het team van "
        "Tegels eruit!"
    ]
    # A row that became due in quiet hours anyway (made by hand, or a late sweep) waits too.
    async with sqlite_services.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="joined",
                dedupe_key="joined:late",
                resident_id=world.people["Ben"].id,
                initiative_id=world.initiative_id,
                due_at=local(2026, 12, 2, 22, 0),
                payload={"member_id": newcomer.id},
                created_at=clock.now(),
            )
        )
    await world.run_until(local(2026, 12, 3, 12, 0))
    rows = await world.rows()
    assert rows["joined:late"].sent_at == local(2026, 12, 3, 9, 0)


async def test_the_daily_budget_holds_nudges_until_the_next_morning(
    sqlite_services: Services, clock: FakeClock
) -> None:
    clock.set(local(2026, 12, 1, 10, 0))
    people = await add_people(sqlite_services, {"Anna": ("nl", None, PersonRole.RESIDENT)})
    anna = people["Anna"]
    ids = []
    for number in range(5):
        ids.append(
            await add_initiative(
                sqlite_services,
                people,
                {"Anna": MemberRole.INITIATOR},
                coach=None,
                title=f"Plan {number}",
                quiet_days=30,  # stalled: its nudges are still due when sent
            )
        )
    driver = Driver(sqlite_services)
    scheduler = Scheduler(sqlite_services, driver.delivery)
    async with sqlite_services.db.transaction() as session:
        for number, iid in enumerate(ids):
            session.add(
                ScheduledMessage(
                    kind="nudge",
                    dedupe_key=f"nudge:{iid}:test:{anna.id}",
                    resident_id=anna.id,
                    initiative_id=iid,
                    due_at=local(2026, 12, 1, 10, number),
                    created_at=clock.now(),
                )
            )
    await scheduler.run_until(local(2026, 12, 1, 20, 0), clock)
    assert len(driver.sender.chats[anna.telegram_id]) == 3
    rows = await outbox_rows(sqlite_services)
    waiting = [row for row in rows.values() if row.status is OutboxStatus.PENDING]
    assert [row.due_at for row in waiting] == [local(2026, 12, 2, 9, 0)] * 2
    assert {row.last_error for row in waiting} == {"daily budget used"}
    held = {row.dedupe_key for row in waiting}
    await scheduler.run_until(local(2026, 12, 2, 12, 0), clock)
    rows = await outbox_rows(sqlite_services)
    # The two held back went out first thing the next morning (the day's scan may add
    # its own nudges after them: these initiatives are stalled).
    assert {rows[key].sent_at for key in held} == {local(2026, 12, 2, 9, 0)}


async def news_for_bert(world: World, due: list[datetime]) -> dict[str, Resident]:
    """A newcomer follows Bert's initiative for each moment, and the "joined" news to Bert
    is due then (news is deferrable, and counts against his daily budget)."""
    bert = world.people["Bert"]
    newcomers = await add_people(
        world.services, {f"Buur{n}": ("nl", None, PersonRole.RESIDENT) for n in range(len(due))}
    )
    async with world.services.db.transaction() as session:
        for moment, newcomer in zip(due, newcomers.values(), strict=True):
            session.add(
                Membership(
                    initiative_id=world.initiative_id,
                    resident_id=newcomer.id,
                    role=MemberRole.FOLLOWER,
                )
            )
            session.add(
                ScheduledMessage(
                    kind="joined",
                    dedupe_key=f"joined:{world.initiative_id}:{newcomer.id}",
                    resident_id=bert.id,
                    initiative_id=world.initiative_id,
                    due_at=moment,
                    payload={"member_id": newcomer.id},
                    created_at=world.clock.now(),
                )
            )
    return newcomers


async def test_the_budget_keeps_room_for_reminders_due_later_today(world: World) -> None:
    # Monday 30 Nov: Bert's 24 h reminder is due at 19:30. Of three pieces of news at
    # 10:00 only two fit in the budget of three; the third waits for Tuesday morning.
    world.clock.set(local(2026, 11, 30, 9, 59))
    newcomers = await news_for_bert(world, [local(2026, 11, 30, 10, n) for n in range(3)])
    await world.run_until(local(2026, 11, 30, 20, 0))
    assert [text.split(" heeft")[0] for text in world.chat("Bert")] == [
        "Goed nieuws: Buur0",
        "Goed nieuws: Buur1",
        "⏰ Herinnering: Tegelwipdag is op dinsdag 1 december om 19:30.\n📍 Speeltuin Merelstraat\n"
        "Je zei dat je komt. Tot dan!",
    ]
    rows = await world.rows()
    third = rows[f"joined:{world.initiative_id}:{newcomers['Buur2'].id}"]
    assert (third.status, third.due_at, third.last_error) == (
        OutboxStatus.PENDING,
        local(2026, 12, 1, 9, 0),
        "daily budget used",
    )
    await world.run_until(local(2026, 12, 1, 9, 30))
    assert world.chat("Bert")[-1].startswith("Goed nieuws: Buur2")


async def test_a_reminder_due_in_the_same_sweep_as_news_is_decided_first(world: World) -> None:
    # Three pieces of news (19:27-19:29) and Bert's 24 h reminder (19:30) are claimed in one
    # sweep at 19:31. Decided in due order, the news would use the budget of three and the
    # reminder, which cannot wait, would be dropped; reminders are decided first instead.
    bert = world.people["Bert"]
    world.clock.set(local(2026, 11, 30, 9, 59))
    newcomers = await news_for_bert(world, [local(2026, 11, 30, 19, 27 + n) for n in range(3)])
    # The reminder written after the news (a later id), so no tie-break by id saves it.
    rows = await world.rows()
    reminder = rows[next(key for key in rows if key.startswith("reminder:") and "24h:" in key)]
    assert reminder.resident_id == bert.id
    async with world.services.db.transaction() as session:
        await session.delete(await session.get(ScheduledMessage, reminder.id))
        await session.flush()
        session.add(
            ScheduledMessage(
                **reminder.model_dump(exclude={"id"}),
            )
        )
    world.clock.set(local(2026, 11, 30, 19, 31))
    await world.scheduler.dispatcher.sweep()
    chat = world.chat("Bert")
    assert len(chat) == 3
    assert chat[0].startswith("⏰ Herinnering: Tegelwipdag is op dinsdag 1 december om 19:30.")
    assert [text.split(" heeft")[0] for text in chat[1:]] == [
        "Goed nieuws: Buur0",
        "Goed nieuws: Buur1",
    ]
    rows = await world.rows()
    third = rows[f"joined:{world.initiative_id}:{newcomers['Buur2'].id}"]
    assert (third.status, third.last_error) == (OutboxStatus.PENDING, "daily budget used")


async def test_reminders_off_skip_all_but_news_and_paused_waits(world: World) -> None:
    await world.update(Resident, world.people["Bert"].id, reminders=Reminders.OFF)
    until = local(2026, 12, 10, 12, 0)
    await world.update(
        Resident, world.people["Carla"].id, reminders=Reminders.PAUSED, reminders_paused_until=until
    )
    await world.update(Resident, world.people["Eva"].id, reachable=False)
    await world.run_until(local(2026, 12, 3, 12, 0))
    rows = await world.rows()
    aid = world.action_id
    bert, carla, eva = (world.people[name].id for name in ("Bert", "Carla", "Eva"))
    assert rows[f"reminder:{aid}:24h:{bert}"].last_error == "the person switched reminders off"
    assert rows[f"reminder:{aid}:24h:{eva}"].last_error == "the person is unreachable"
    paused = rows[f"reminder:{aid}:24h:{carla}"]
    assert paused.status is OutboxStatus.PENDING and paused.due_at == until
    assert world.chat("Bert") == [] and world.chat("Carla") == [] and world.chat("Eva") == []
    await world.run_until(local(2026, 12, 11, 12, 0))
    rows = await world.rows()
    # After the pause, the action is over: the reminder makes no sense any more.
    assert rows[f"reminder:{aid}:24h:{carla}"].last_error == "the action has started"
    # News from a neighbour is still sent to someone with reminders off.
    newcomer = (await add_people(world.services, {"Fien": ("nl", None, PersonRole.RESIDENT)}))[
        "Fien"
    ]
    async with world.services.db.transaction() as session:
        session.add(
            Membership(
                initiative_id=world.initiative_id, resident_id=newcomer.id, role=MemberRole.FOLLOWER
            )
        )
    await world.update(Resident, world.people["Anna"].id, reminders=Reminders.OFF)
    await world.emit(
        MemberJoined(
            world.initiative_id, newcomer.id or 0, MemberRole.FOLLOWER, world.people["Anna"].id
        )
    )
    await world.run_until(local(2026, 12, 11, 14, 0))
    assert "Fien heeft je uitnodiging aangenomen" in world.chat("Anna")[-1]


# --- quiet initiatives, phases, coaches -------------------------------------------------------


async def test_a_quiet_initiative_is_nudged_then_its_coach_is_told(
    sqlite_services: Services, clock: FakeClock
) -> None:
    clock.set(local(2026, 11, 2, 9, 0))  # a Monday
    driver = Driver(sqlite_services)
    people = await add_people(sqlite_services, PEOPLE)
    roles = {name: spec[1] for name, spec in PEOPLE.items()}
    quiet = await add_initiative(
        sqlite_services, people, roles, title="Stille straat", phase=Phase.ACTIVATE
    )
    busy = await add_initiative(sqlite_services, people, roles, title="Drukke straat")
    await add_action(sqlite_services, busy, local(2026, 12, 20, 15, 0), {})  # waiting, not quiet
    scheduler = Scheduler(sqlite_services, driver.delivery)
    await scheduler.run_until(local(2026, 11, 23, 9, 0), clock)
    assert driver.sender.chats[people["Anna"].telegram_id] == []
    await scheduler.run_until(local(2026, 11, 23, 12, 0), clock)  # day 21, 09:30: the scan
    rows = await outbox_rows(sqlite_services)
    nudges = {key: row for key, row in rows.items() if key.startswith("nudge:")}
    assert set(nudges) == {
        f"nudge:{quiet}:2026-W48:{people['Anna'].id}",
        f"nudge:{quiet}:2026-W48:{people['Ben'].id}",
    }
    assert {row.sent_at for row in nudges.values()} == {local(2026, 11, 23, 9, 30)}
    anna = [m.plain for m in driver.sender.chats[people["Anna"].telegram_id]]
    assert "Het is al 21 dagen stil rond Stille straat." in anna[0]
    assert anna[0].count("👉") == 1  # one concrete step
    # The scan runs daily; one nudge a week, at most two per quiet spell; the coach is told
    # once, at the same threshold (one stall threshold: bot/domain/stall.py).
    await scheduler.run_until(local(2026, 12, 8, 12, 0), clock)
    rows = await outbox_rows(sqlite_services)
    nudges = sorted(
        key
        for key in rows
        if key.startswith(f"nudge:{quiet}:") and key.endswith(f":{people['Anna'].id}")
    )
    assert nudges == [
        f"nudge:{quiet}:2026-W48:{people['Anna'].id}",
        f"nudge:{quiet}:2026-W49:{people['Anna'].id}",
    ]
    stalled = [row for key, row in rows.items() if key.startswith("stalled:")]
    assert [(row.dedupe_key, row.sent_at) for row in stalled] == [
        (f"stalled:{quiet}:2026-W48", local(2026, 11, 23, 9, 30))
    ]
    coach = [m.plain for m in driver.sender.chats[people["Coen"].telegram_id]]
    assert any("Stille straat is al 21 dagen stil" in text for text in coach)
    # Activity ends the spell: what is still pending about it is no longer sent.
    assert not any(key.startswith(f"nudge:{busy}:") for key in rows)


async def test_the_stall_scan_twice_leaves_one_row(
    sqlite_services: Services, clock: FakeClock
) -> None:
    clock.set(local(2026, 11, 2, 12, 0))
    people = await add_people(sqlite_services, PEOPLE)
    await add_initiative(sqlite_services, people, {name: spec[1] for name, spec in PEOPLE.items()})
    clock.set(local(2026, 12, 1, 9, 30))
    scheduler = Scheduler(sqlite_services, Driver(sqlite_services).delivery)
    first = await scheduler.stall_scan()
    again = await scheduler.stall_scan()  # another process firing the same cron job
    assert (first, again) == (3, 0)  # two initiators and the coach, once


async def test_a_phase_reached_congratulates_the_other_organisers(world: World) -> None:
    anna = world.people["Anna"]
    async with world.services.db.transaction() as session:
        session.add(
            Activity(
                initiative_id=world.initiative_id,
                kind="phase_reached",
                resident_id=anna.id,
                at=world.clock.now(),
            )
        )
        await session.execute(
            Initiative.__table__.update()  # type: ignore[attr-defined]
            .where(Initiative.id == world.initiative_id)
            .values(phase=Phase.SUSTAIN)
        )
        await publish(world.services, session, [PhaseReached(world.initiative_id, Phase.SUSTAIN)])
    await world.run_until(local(2026, 11, 28, 12, 0))
    assert world.chat("Anna") == []  # she saw it happen in her own chat
    assert world.chat("Bert") == []  # a follower is not an organiser
    (eva,) = world.chat("Eva")
    assert "Tegels eruit" in eva and "nieuwe fase" in eva and "👉" in eva
    (ben,) = world.chat("Ben")
    assert "reached a new phase" in ben


async def reach_phase(world: World, phase: Phase, at: datetime) -> None:
    """Anna moves the initiative on to ``phase`` at ``at`` (as bot.domain.phases does)."""
    world.clock.set(at)
    async with world.services.db.transaction() as session:
        session.add(
            Activity(
                initiative_id=world.initiative_id,
                kind="phase_reached",
                resident_id=world.people["Anna"].id,
                at=at,
            )
        )
        await session.execute(
            Initiative.__table__.update()  # type: ignore[attr-defined]
            .where(Initiative.id == world.initiative_id)
            .values(phase=phase)
        )
        await publish(world.services, session, [PhaseReached(world.initiative_id, phase)])


async def test_phase_news_that_waited_tells_the_phase_reached_and_its_own_next_step(
    world: World,
) -> None:
    ben = world.talkers["Ben"]
    # Reached at night: the news waits for the morning, and the phase's own next step shows.
    await reach_phase(world, Phase.STRUCTURE, local(2026, 11, 28, 22, 0))
    await world.run_until(local(2026, 11, 29, 10, 0))
    (news,) = [m.plain for m in ben.messages if "new phase" in m.plain]
    assert "reached a new phase: Structure" in news
    assert "Next step: Divide the tasks: who does what?" in news

    # Two phases later, the news of the first one still waiting: it would have shown the
    # step of a later phase ("Structure … Next step: Hold the action"). Only the news of
    # the phase the initiative is in now is sent.
    await reach_phase(world, Phase.GROW, local(2026, 11, 29, 22, 0))
    await reach_phase(world, Phase.SUSTAIN, local(2026, 11, 29, 23, 0))
    await world.run_until(local(2026, 11, 30, 10, 0))
    later = [m.plain for m in ben.messages if "new phase" in m.plain][1:]
    assert len(later) == 1, later
    assert "reached a new phase: Sustain" in later[0]
    assert "Grow" not in later[0]
    rows = await world.rows()
    skipped = rows[f"phase:{world.initiative_id}:grow:{world.people['Ben'].id}"]
    assert (skipped.status, skipped.last_error) == (
        OutboxStatus.CANCELLED,
        "a later phase was reached since",
    )


async def test_the_coach_digest_on_monday_morning(world: World) -> None:
    async with world.services.db.transaction() as session:
        session.add(
            SupportRequest(
                initiative_id=world.initiative_id,
                resident_id=world.people["Anna"].id,
                question="Waar lenen we een <b>aanhanger</b>?",
                created_at=world.clock.now(),
            )
        )
    await world.run_until(local(2026, 11, 30, 12, 0))
    rows = await world.rows()
    coach = world.people["Coen"]
    digest = rows[f"digest:{coach.id}:2026-W49"]
    # Inserted at 08:30, inside the quiet hours: sent when they end.
    assert digest.sent_at == local(2026, 11, 30, 9, 0)
    (text,) = world.chat("Coen")
    # The week as dates the coach reads, not its ISO key (2026-W49).
    assert "Jouw week als coach (maandag 23 november – zondag 29 november)" in text
    assert "W49" not in text
    assert "Groeien: 1" in text
    assert "Waar lenen we een <b>aanhanger</b>?" in text  # shown as typed, not as markup
    assert "Tegelwipdag (Tegels eruit)" in text
    assert "Geen: iedereen is actief." in text


# --- pressing the buttons ---------------------------------------------------------------------


async def test_helping_next_time_makes_a_follower_team_and_tells_the_initiators(
    world: World,
) -> None:
    await world.run_until(local(2026, 12, 2, 10, 30))
    bert = world.talkers["Bert"]
    await bert.press("Ja, ik help mee")
    assert "Je zit nu in het team van Tegels eruit" in bert.last
    async with world.services.db.transaction() as session:
        member = (
            await session.execute(
                select(Membership).where(Membership.resident_id == world.people["Bert"].id)
            )
        ).scalar_one()
        assert member.role is MemberRole.TEAM
    await world.run_until(local(2026, 12, 2, 11, 0))
    assert any("Bert kwam naar je actie" in text for text in world.chat("Anna"))
    assert any("Bert came to your action" in text for text in world.chat("Ben"))
    await bert.press("Ja, ik help mee")  # twice: no harm
    assert "Je zit al in het team" in bert.last


async def test_settings_switch_reminders_off_pause_and_on(world: World) -> None:
    carla = world.talkers["Carla"]
    await carla.command("settings")
    assert "Reminders are on" in carla.last and "21:00" in carla.last
    await carla.press("Reminders off")
    rows = await world.rows()
    cid = world.people["Carla"].id
    assert rows[f"reminder:{world.action_id}:24h:{cid}"].status is OutboxStatus.CANCELLED
    assert "Reminders are off" in carla.last
    await carla.press("Pause for a week")
    assert "paused" in carla.last
    await carla.press("Reminders on")
    rows = await world.rows()
    assert rows[f"reminder:{world.action_id}:24h:{cid}"].status is OutboxStatus.PENDING
    await world.run_until(local(2026, 12, 1, 19, 0))
    assert len([m for m in carla.messages if "⏰" in m.plain]) == 2


# --- the console's fast-forward ---------------------------------------------------------------


async def test_the_console_fast_forward_shows_the_follow_ups_arriving(
    sqlite_url: str, clock: FakeClock
) -> None:
    services = make_services(sqlite_url, clock)
    await services.db.migrate()
    services.clock = OffsetClock(clock)
    try:
        world = await build_world(services, services.clock, local(2026, 12, 1, 19, 30))  # type: ignore[arg-type]
        out = io.StringIO()
        chat = ConsoleChat(services, person_name="Bert", language="nl", out=out)
        chat.person = world.talkers["Bert"].who
        await chat.handle_line("/tijd +1d")
        await chat.handle_line("/time +3d")
        text = out.getvalue()
        assert "⏰ Herinnering: Tegelwipdag is op dinsdag 1 december om 19:30." in text
        assert "✉ (aan Anna)" in text and "Hoe ging het?" in text
        assert "Bedankt dat je naar Tegelwipdag kwam" in text
        assert text.index("Herinnering") < text.index("Hoe ging het?")
        assert "— Het is nu " in text
        await chat.handle_line("/tijd gisteren")
        assert "/tijd +1d" in out.getvalue().split("\n— ")[-1]
    finally:
        await services.db.close()


@pytest.fixture
async def postgres_world(services: Services, clock: FakeClock) -> AsyncIterator[World]:
    yield await build_world(services, clock, local(2026, 12, 1, 19, 30))


async def test_the_whole_chain_on_each_database(postgres_world: World) -> None:
    world = postgres_world
    await world.run_until(local(2026, 12, 3, 12, 0))
    rows = await world.rows()
    sent = sorted(key.split(":")[0] for key, row in rows.items() if row.status is OutboxStatus.SENT)
    # The coach's Monday digest, the questions, the reminders and the thank-yous.
    assert sent == ["digest"] + ["followup"] * 2 + ["reminder"] * 6 + ["thanks"] * 2
