"""Coaches: areas and who coaches what, the portfolio and its stalled initiatives, the
detail card and what a coach does from it, support requests end to end, the weekly
digest, the coach invitation link — and the authorisation matrix of every coach
command: resident, initiator, coach of another area, the coach, the operator."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.core.events import PhaseReached
from bot.core.payloads import pack
from bot.core.seam import ButtonPress
from bot.core.services import Services
from bot.domain.coaches import (
    Area,
    AreaError,
    coach_for,
    digest,
    parse_area,
    portfolio,
    working_days_later,
)
from bot.i18n import texts_for
from bot.views.digest import render_digest
from scheduler.dispatch import Dispatcher
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    ActionKind,
    Activity,
    AuditLog,
    Broadcast,
    BroadcastStatus,
    CoachArea,
    CoachInvite,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    PersonRole,
    Phase,
    Resident,
    ScheduledMessage,
    SupportMessage,
    SupportRequest,
    Theme,
)
from tests.conftest import START, make_services
from tests.support.driver import Driver, Talker

_ids = itertools.count(900_001)
_tokens = itertools.count(1)


# --- fixtures and seeding ----------------------------------------------------------------------


async def _driver(url: str, clock: FakeClock, **settings: object) -> AsyncIterator[Driver]:
    services = make_services(url, clock, flood_max_updates=100_000, **settings)
    await services.db.migrate()
    yield Driver(services)
    await services.db.close()


@pytest.fixture
async def world(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_sqlite_url, clock):
        yield driver


@pytest.fixture
async def db_world(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_database_url, clock):
        yield driver


async def add_person(
    services: Services,
    name: str,
    *,
    lang: str = "en",
    postcode: str | None = None,
    opt_in: bool = False,
    role: PersonRole = PersonRole.RESIDENT,
    reachable: bool = True,
    areas: tuple[Area, ...] = (),
) -> Resident:
    """A resident who went through onboarding and consented (and maybe a coach)."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        person = Resident(
            telegram_id=next(_ids),
            first_name=name,
            name=name,
            language=lang,
            language_chosen=True,
            postcode=postcode,
            consented_at=now,
            onboarded_at=now,
            announcements_opt_in=opt_in,
            role=role,
            reachable=reachable,
            created_at=now,
            last_seen_at=now,
        )
        session.add(person)
        await session.flush()
        for area in areas:
            session.add(area.row(person.id or 0))
    return person


async def add_initiative(
    services: Services,
    title: str,
    *,
    place: str = "Lindelaan",
    area: str | None = "3511",
    theme: Theme = Theme.GREENER,
    phase: Phase = Phase.INITIATE,
    coach: Resident | None = None,
    members: tuple[tuple[Resident, MemberRole], ...] = (),
    quiet_days: float = 0,
    age_days: float = 60,
) -> Initiative:
    now = services.clock.now()
    async with services.db.transaction() as session:
        initiative = Initiative(
            title=title,
            what=f"{title}: samen met de buren",
            why="Omdat het kan",
            place=place,
            postcode_area=area,
            theme=theme,
            phase=phase,
            coach_id=coach.id if coach else None,
            invite_token=f"tok{next(_tokens)}",
            created_at=now - timedelta(days=age_days),
            phase_changed_at=now - timedelta(days=age_days),
            last_activity_at=now - timedelta(days=quiet_days),
        )
        session.add(initiative)
        await session.flush()
        for person, role in members:
            session.add(
                Membership(
                    initiative_id=initiative.id or 0,
                    resident_id=person.id or 0,
                    role=role,
                    joined_at=now - timedelta(days=age_days),
                )
            )
    return initiative


def talker(driver: Driver, person: Resident) -> Talker:
    return driver.person(person.first_name, person.language, person_id=person.telegram_id)


async def press_payload(who: Talker, payload: str) -> None:
    """A button press with a payload of our choosing: an old message, or a forged one."""
    await who.event(ButtonPress(payload, f"q{next(_ids)}", None))


def dispatcher(driver: Driver) -> Dispatcher:
    return Dispatcher(driver.services, driver.delivery)


async def sweep(driver: Driver) -> None:
    await dispatcher(driver).sweep()


async def get(services: Services, model: type, ident: int | None):  # type: ignore[no-untyped-def]
    async with services.db.transaction() as session:
        return await session.get(model, ident)


async def rows(services: Services, query):  # type: ignore[no-untyped-def]
    async with services.db.transaction() as session:
        return list((await session.execute(query)).scalars().all())


async def audit_actions(services: Services, actor: Resident | None = None) -> list[str]:
    query = select(AuditLog).order_by(AuditLog.id)  # type: ignore[arg-type]
    if actor is not None:
        query = query.where(AuditLog.actor_id == actor.id)
    return [entry.action for entry in await rows(services, query)]


# --- areas -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "area"),
    [
        ("1000-1099", Area(1000, 1099)),
        (" 1000 – 1099 ", Area(1000, 1099)),
        ("3511", Area(3511, 3511)),
        ("Oud-West", Area(neighbourhood="Oud-West")),
        ("  de  Pijp ", Area(neighbourhood="de Pijp")),
    ],
)
def test_an_area_is_a_postcode_range_or_a_neighbourhood(typed: str, area: Area) -> None:
    assert parse_area(typed) == area


@pytest.mark.parametrize("typed", ["1099-1000", "99-100", "12345", "", "---"])
def test_what_is_not_an_area_is_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(AreaError, match=r"runs backwards|is not a postcode range|needs a name"):
        parse_area(typed)


def test_an_initiative_lies_in_an_area_by_postcode_or_by_place() -> None:
    lindelaan = Initiative(
        title="t", what="w", place="Lindelaan", postcode_area="1050", invite_token="x"
    )
    west = Initiative(
        title="t", what="w", place="  oud-WEST ", postcode_area=None, invite_token="y"
    )
    assert Area(1000, 1099).contains(lindelaan)
    assert not Area(1051, 1099).contains(lindelaan)
    assert Area(neighbourhood="Oud-West").contains(west)
    assert not Area(neighbourhood="Oud-West").contains(lindelaan)
    assert not Area(1000, 1099).contains(west)


async def test_a_new_initiative_gets_the_coach_of_its_area(world: Driver) -> None:
    services = world.services
    busy = await add_person(services, "Bea", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    free = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3511, 3511),))
    elsewhere = await add_person(services, "Dirk", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    await add_initiative(services, "Al van Bea", coach=busy, area="3520")
    anna = await add_person(services, "Anna", postcode="3511 AB")
    me = talker(world, anna)
    await me.command("menu")
    await me.press("Share an idea")
    await me.send("Tegels eruit en planten erin")
    await me.press("Street")
    await me.send("Lindelaan")
    await me.send("Het is te heet")
    await me.press("Greener / climate adaptation")
    await me.send("Groene Lindelaan")
    assert "Your idea is saved!" in me.seen_since(0)

    created = await rows(services, select(Initiative).where(Initiative.title == "Groene Lindelaan"))
    # 3511 lies in Bea's and in Carla's area: Carla coaches fewer initiatives.
    assert [i.coach_id for i in created] == [free.id]
    assert "coach_assigned" in await audit_actions(services)
    async with services.db.transaction() as session:
        outside = Initiative(
            title="t", what="w", place="Elders", postcode_area="9999", invite_token="z"
        )
        assert await coach_for(session, outside) is None
        # Now both coach one: the tie goes to the coach who was there first.
        assert (await coach_for(session, created[0])).id == busy.id  # type: ignore[union-attr]
    assert elsewhere.id != free.id


# --- the portfolio ------------------------------------------------------------------------------


async def seeded_portfolio(world: Driver) -> dict:
    """A coach with five initiatives in several phases; two quiet, one of them snoozed,
    one quiet but with an action planned ahead; an open question; actions coming up."""
    services = world.services
    now = services.clock.now()
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(services, "Anna", postcode="3511 AB")
    bob = await add_person(services, "Bob", postcode="3512")
    tess = await add_person(services, "Tess")
    fred = await add_person(services, "Fred")
    groen = await add_initiative(
        services,
        "Groene Lindelaan",
        phase=Phase.ACTIVATE,
        coach=coach,
        members=(
            (anna, MemberRole.INITIATOR),
            (tess, MemberRole.TEAM),
            (fred, MemberRole.FOLLOWER),
        ),
        quiet_days=1,
    )
    stil = await add_initiative(
        services,
        "Stille Straat",
        coach=coach,
        members=((bob, MemberRole.INITIATOR),),
        quiet_days=25,
    )
    snoozed = await add_initiative(services, "Slaapstraat", coach=coach, quiet_days=30)
    waiting = await add_initiative(
        services, "Wachtweg", phase=Phase.GROW, coach=coach, quiet_days=25
    )
    fresh = await add_initiative(
        services, "Nieuw Plein", phase=Phase.ACTIVATE, coach=coach, age_days=2, quiet_days=2
    )
    other = await add_initiative(services, "Van een ander", area="1010")
    async with services.db.transaction() as session:
        (await session.get(Initiative, snoozed.id)).stall_snoozed_until = now + timedelta(days=7)  # type: ignore[union-attr]
        (await session.get(Initiative, groen.id)).phase_changed_at = now - timedelta(days=3)  # type: ignore[union-attr]
        session.add(
            Activity(
                initiative_id=groen.id or 0,
                kind="phase_reached",
                resident_id=anna.id,
                at=now - timedelta(days=3),
            )
        )
        session.add(
            Action(
                initiative_id=waiting.id or 0,
                kind=ActionKind.ACTION,
                title="Tegelwipdag",
                starts_at=now + timedelta(days=5),
                place="Wachtweg 1",
            )
        )
        session.add(
            Action(
                initiative_id=groen.id or 0,
                kind=ActionKind.MEETING,
                title="Keukentafel",
                starts_at=now + timedelta(days=30),
                place="Bij Anna",
            )
        )
        session.add(
            SupportRequest(
                initiative_id=stil.id or 0,
                resident_id=bob.id,
                coach_id=coach.id,
                question="Hoe krijg ik de buren mee?",
                created_at=now - timedelta(days=3),
            )
        )
        session.add(
            SupportRequest(
                initiative_id=groen.id or 0,
                resident_id=anna.id,
                coach_id=coach.id,
                question="Al beantwoord",
                created_at=now - timedelta(days=4),
                answered_at=now - timedelta(days=3),
            )
        )
    return {
        "coach": coach,
        "anna": anna,
        "bob": bob,
        "tess": tess,
        "groen": groen,
        "stil": stil,
        "snoozed": snoozed,
        "waiting": waiting,
        "fresh": fresh,
        "other": other,
    }


async def test_the_portfolio_is_grouped_by_phase_with_what_stalls_and_open_questions(
    world: Driver,
) -> None:
    seed = await seeded_portfolio(world)
    services = world.services
    async with services.db.transaction() as session:
        coach = await session.get(Resident, seed["coach"].id)
        mine = await portfolio(session, coach, services.clock.now(), stall_days=14)  # type: ignore[arg-type]
    titles = {
        phase: [e.initiative.title for e in entries] for phase, entries in mine.by_phase().items()
    }
    assert titles == {
        Phase.INITIATE: ["Slaapstraat", "Stille Straat"],
        Phase.ACTIVATE: ["Groene Lindelaan", "Nieuw Plein"],
        Phase.STRUCTURE: [],
        Phase.GROW: ["Wachtweg"],
        Phase.SUSTAIN: [],
    }
    assert mine.counts[Phase.INITIATE] == 2 and mine.counts[Phase.STRUCTURE] == 0
    # Quiet for 14 days or more: not the snoozed one, not the one with an action ahead.
    assert [(e.initiative.title, e.quiet_days) for e in mine.stalled] == [("Stille Straat", 25)]
    assert [(r.initiative.title, r.request.question, r.waiting_days) for r in mine.requests] == [
        ("Stille Straat", "Hoe krijg ik de buren mee?", 3)
    ]
    groen = next(e for e in mine.entries if e.initiative.title == "Groene Lindelaan")
    assert groen.team_size == 2  # the initiator and the team member; the follower follows


async def test_the_digest_of_a_seeded_portfolio(world: Driver) -> None:
    seed = await seeded_portfolio(world)
    services = world.services
    now = services.clock.now()
    async with services.db.transaction() as session:
        coach = await session.get(Resident, seed["coach"].id)
        data = await digest(session, coach, now, stall_days=14)  # type: ignore[arg-type]
    assert data.phase_counts == {
        Phase.INITIATE: 2,
        Phase.ACTIVATE: 2,
        Phase.STRUCTURE: 0,
        Phase.GROW: 1,
        Phase.SUSTAIN: 0,
    }
    assert data.phase_changes == [("Groene Lindelaan", Phase.ACTIVATE)]
    assert data.new_initiatives == ["Nieuw Plein"]
    assert data.stalled == [("Stille Straat", 25)]
    assert data.open_requests == [("Stille Straat", "Hoe krijg ik de buren mee?", 3)]
    assert [(title, initiative) for _, title, initiative in data.upcoming] == [
        ("Tegelwipdag", "Wachtweg")
    ]  # the meeting in 30 days is beyond the two weeks

    english = render_digest(texts_for("en"), data)
    for line in (
        "5 initiatives",
        "Initiate: 2 · Activate: 2 · Grow: 1",
        "Groene Lindelaan: now Activate",
        "Nieuw Plein: new",
        "Stille Straat: quiet for 25 days",
        "Stille Straat: “Hoe krijg ik de buren mee?” (waiting 3 days)",
        "Tegelwipdag (Wachtweg)",
    ):
        assert line in english, line
    dutch = render_digest(texts_for("nl"), data)
    assert "Initiëren: 2" in dutch and "Stille Straat" in dutch


async def test_the_overview_and_the_detail_card(world: Driver) -> None:
    seed = await seeded_portfolio(world)
    services = world.services
    async with services.db.transaction() as session:
        member = (
            await session.execute(
                select(Membership).where(Membership.resident_id == seed["anna"].id)
            )
        ).scalar_one()
        member.is_expert = member.is_connector = True
    carla = talker(world, seed["coach"])
    await carla.command("overview")
    shown = carla.last
    assert "Your initiatives as a coach" in shown
    assert "5 initiatives · Initiate: 2 · Activate: 2 · Grow: 1" in shown
    assert "• Stille Straat (25 days)" in shown
    assert "“Hoe krijg ik de buren mee?”" in shown
    assert "Van een ander" not in shown  # not in her portfolio
    assert "⚠️ ❓ Stille Straat" in carla.buttons and "Groene Lindelaan" in carla.buttons

    await carla.press("Groene Lindelaan")
    card = carla.last
    for line in (
        "Groene Lindelaan",
        "Activate (phase 2 of 5)",
        "Lindelaan · 3511 · Greener / climate adaptation",
        "• Anna: initiator (Expert, Connector)",
        "• Tess: team",
        "+ 1 neighbour follows",
        "Next action: Keukentafel",
        "Support: 0 households reached",
        "Recent activity",
        "a new phase was reached (Anna)",
        "Goals of this phase",
        "⬜ A team of at least three people",
        "Next step:",
    ):
        assert line in card, line
    assert carla.buttons[:2] == ["✉️ Message the initiators", "Correct the phase"]
    assert "💤 2 weeks" in carla.buttons


# --- what a coach does from the card ----------------------------------------------------------


async def test_a_message_to_the_initiators_reaches_each_in_their_language_and_can_be_answered(
    world: Driver,
) -> None:
    services = world.services
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(services, "Anna", lang="nl")
    tom = await add_person(services, "Tom", lang="en")
    tess = await add_person(services, "Tess")
    groen = await add_initiative(
        services,
        "Groene Lindelaan",
        coach=coach,
        members=(
            (anna, MemberRole.INITIATOR),
            (tom, MemberRole.INITIATOR),
            (tess, MemberRole.TEAM),
        ),
    )
    carla = talker(world, coach)
    await press_payload(carla, pack("coach", "card", groen.id))
    await carla.press("✉️ Message the initiators")
    assert "What do you want to tell the initiators of Groene Lindelaan (Anna, Tom)?" in carla.last
    await carla.send("Zullen we <volgende week> bellen?")
    assert "Sent to Anna, Tom." in carla.last

    anna_chat, tom_chat, tess_chat = talker(world, anna), talker(world, tom), talker(world, tess)
    assert "Zullen we <volgende week> bellen?" in tom_chat.last
    assert "Message from Carla, your neighbourhood coach, about Groene Lindelaan" in tom_chat.last
    assert "Zullen we <volgende week> bellen?" in anna_chat.last
    assert "Carla" in anna_chat.last and "Message from" not in anna_chat.last  # in Dutch
    assert tess_chat.messages == []  # only the initiators
    assert "coach_message" in await audit_actions(services, coach)

    await tom_chat.press("Answer Carla")
    assert "Type your answer to Carla" in tom_chat.last
    await tom_chat.send("Ja, dinsdag kan ik!")
    assert "Sent to Carla." in tom_chat.last
    await sweep(world)
    assert "A question from Tom about Groene Lindelaan" in carla.last
    assert "“Ja, dinsdag kan ik!”" in carla.last
    assert carla.buttons[0] == "Reply"


async def test_correcting_the_phase_forward_congratulates_and_back_tells_the_reason(
    world: Driver,
) -> None:
    services = world.services
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(services, "Anna")
    tess = await add_person(services, "Tess")
    groen = await add_initiative(
        services,
        "Groene Lindelaan",
        coach=coach,
        members=((anna, MemberRole.INITIATOR), (tess, MemberRole.TEAM)),
        quiet_days=10,
    )
    seen: list[object] = []

    async def keep(_session, event, _now):  # type: ignore[no-untyped-def]
        seen.append(event)

    services.registry.subscribe(PhaseReached)(keep)
    carla = talker(world, coach)
    await press_payload(carla, pack("coach", "card", groen.id))
    await carla.press("Correct the phase")
    assert "Initiate (phase 1 of 5)" in carla.last
    assert "1. Initiate" not in carla.buttons  # the phase it is in
    await carla.press("3. Structure")
    assert "Why?" in carla.last
    await carla.send("Ze hebben al een team en een plan")
    assert "is now in the phase Structure" in carla.last
    after = await get(services, Initiative, groen.id)
    assert after.phase is Phase.STRUCTURE
    assert (START - after.last_activity_at).days == 10  # a correction is not activity
    assert seen == [PhaseReached(groen.id or 0, Phase.STRUCTURE)]
    congratulated = await rows(
        services, select(ScheduledMessage).where(ScheduledMessage.kind == "phase")
    )
    assert sorted(row.resident_id for row in congratulated) == sorted([anna.id, tess.id])
    entries = await rows(services, select(AuditLog).where(AuditLog.action == "phase_corrected"))
    assert [(e.details["before"], e.details["after"], e.details["reason"]) for e in entries] == [
        ("initiate", "structure", "Ze hebben al een team en een plan")
    ]

    await carla.press("Correct the phase")
    await carla.press("2. Activate")
    await carla.send("Het team is uit elkaar")
    assert "is back in the phase Activate. I told the initiators" in carla.last
    assert len(seen) == 1  # moving back is no phase reached
    anna_chat = talker(world, anna)
    assert "Carla set Groene Lindelaan back to the phase Activate" in anna_chat.last
    assert "The reason: Het team is uit elkaar" in anna_chat.last
    assert talker(world, tess).messages == []
    assert (await get(services, Initiative, groen.id)).phase is Phase.ACTIVATE


async def test_snoozing_the_stall_alert(world: Driver) -> None:
    services = world.services
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    stil = await add_initiative(services, "Stille Straat", coach=coach, quiet_days=25)
    async with services.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="stalled",
                dedupe_key=f"stalled:{stil.id}:2026-W48",
                resident_id=coach.id,
                initiative_id=stil.id,
                due_at=START + timedelta(hours=1),
            )
        )
    carla = talker(world, coach)
    await press_payload(carla, pack("coach", "card", stil.id))
    assert "⚠️ Quiet for 25 days." in carla.last
    await carla.press("💤 2 weeks")
    assert "Snoozed: I won't call Stille Straat quiet for 2 weeks." in carla.last
    assert "Stall alert snoozed until" in carla.last
    after = await get(services, Initiative, stil.id)
    assert after.stall_snoozed_until == START + timedelta(weeks=2)
    [alert] = await rows(
        services, select(ScheduledMessage).where(ScheduledMessage.kind == "stalled")
    )
    assert alert.status is OutboxStatus.CANCELLED
    async with services.db.transaction() as session:
        mine = await portfolio(session, await session.get(Resident, coach.id), START)  # type: ignore[arg-type]
    assert mine.stalled == []

    await carla.press("Switch the stall alert back on")
    assert "The stall alert for Stille Straat is on again." in carla.last
    assert (await get(services, Initiative, stil.id)).stall_snoozed_until is None
    assert (await audit_actions(services, coach)).count("stall_snoozed") == 2


# --- support requests, both sides ----------------------------------------------------------------


async def test_a_support_request_round_trip(world: Driver) -> None:
    """The resident asks through the journey's "Ask my coach", the coach is told with the
    initiative's context, answers; the resident gets it, replies; the coach gets that."""
    services = world.services
    coach = await add_person(
        services, "Carla", lang="en", role=PersonRole.COACH, areas=(Area(3500, 3599),)
    )
    anna = await add_person(services, "Anna", lang="nl", postcode="3511 AB")
    groen = await add_initiative(
        services, "Groene Lindelaan", coach=coach, members=((anna, MemberRole.INITIATOR),)
    )
    resident = talker(world, anna)
    carla = talker(world, coach)
    await press_payload(resident, pack("ini", "card", groen.id))
    await resident.press("Vraag het mijn coach")
    await resident.send("Waar leen ik een <tegelwipper>?")
    [request] = await rows(services, select(SupportRequest))
    assert request.coach_id == coach.id and request.answered_at is None

    assert carla.messages == []
    await sweep(world)
    told = carla.last
    assert "A question from Anna about Groene Lindelaan" in told
    assert "Initiate (phase 1 of 5)" in told and "Lindelaan · 1 in the team" in told
    assert "“Waar leen ik een <tegelwipper>?”" in told

    await carla.press("Reply")
    assert "Your answer to Anna about Groene Lindelaan" in carla.last
    await carla.send("Bij de gemeente, gratis!")
    assert "Sent to Anna." in carla.last
    assert "Bij de gemeente, gratis!" in resident.last
    assert "Carla" in resident.last
    answered = await get(services, SupportRequest, request.id)
    assert answered.answered_at == START and answered.answer == "Bij de gemeente, gratis!"
    [nudge] = await rows(
        services, select(ScheduledMessage).where(ScheduledMessage.kind == "support_nudge")
    )
    assert nudge.status is OutboxStatus.CANCELLED

    await resident.press("Antwoorden")
    await resident.send("Dank je! En een aanhanger?")
    assert "Carla" in resident.last
    assert "Anna replied about Groene Lindelaan" in carla.last
    assert "Dank je! En een aanhanger?" in carla.last
    await carla.press("Reply")
    await carla.send("Die heeft de buurtvereniging.")
    assert "Die heeft de buurtvereniging." in resident.last

    thread = await rows(services, select(SupportMessage).order_by(SupportMessage.id))  # type: ignore[arg-type]
    assert [(m.author_id, m.text) for m in thread] == [
        (coach.id, "Bij de gemeente, gratis!"),
        (anna.id, "Dank je! En een aanhanger?"),
        (coach.id, "Die heeft de buurtvereniging."),
    ]
    # The first answer stays the answer; answering again does not move it.
    assert (await get(services, SupportRequest, request.id)).answer == "Bij de gemeente, gratis!"
    assert (await audit_actions(services, coach)).count("support_answered") == 2


async def test_a_question_without_a_coach_goes_to_the_operators(world: Driver) -> None:
    services = world.services
    otto = await add_person(services, "Otto", role=PersonRole.OPERATOR)
    anna = await add_person(services, "Anna")
    lonely = await add_initiative(
        services, "Zonder coach", area="9999", members=((anna, MemberRole.INITIATOR),)
    )
    resident = talker(world, anna)
    await press_payload(resident, pack("ini", "coach", lonely.id))
    await resident.send("Is er een coach voor ons?")
    await sweep(world)
    operator = talker(world, otto)
    assert "A question from Anna about Zonder coach" in operator.last
    kinds = [row.kind for row in await rows(services, select(ScheduledMessage))]
    assert "support_nudge" not in kinds  # nobody's own question to be reminded of
    await operator.press("Reply")
    await operator.send("Ik zoek er een voor jullie.")
    assert "Ik zoek er een voor jullie." in resident.last
    [request] = await rows(services, select(SupportRequest))
    assert request.coach_id == otto.id and request.answered_at == START


def test_two_working_days_skip_the_weekend() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already Tuesday in Amsterdam
    ten = datetime.min.time().replace(hour=10)
    assert working_days_later(friday, 2, ten, amsterdam) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert working_days_later(saturday, 2, ten, amsterdam) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )
    assert working_days_later(monday, 2, ten, amsterdam) == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def test_an_unanswered_question_nudges_the_coach_after_two_working_days(
    world: Driver, clock: FakeClock
) -> None:
    services = world.services
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(services, "Anna")
    bob = await add_person(services, "Bob")
    groen = await add_initiative(
        services,
        "Groene Lindelaan",
        coach=coach,
        members=((anna, MemberRole.INITIATOR), (bob, MemberRole.TEAM)),
    )
    for who, question in ((anna, "Eerste vraag"), (bob, "Tweede vraag")):
        chat = talker(world, who)
        await press_payload(chat, pack("ini", "coach", groen.id))
        await chat.send(question)
    nudges = await rows(
        services, select(ScheduledMessage).where(ScheduledMessage.kind == "support_nudge")
    )
    # Asked on Saturday 10:00: Monday and Tuesday are the two working days.
    assert {row.due_at for row in nudges} == {datetime(2026, 12, 1, 9, 0, tzinfo=UTC)}
    await sweep(world)
    carla = talker(world, coach)
    await carla.press("Reply")  # the newest "Reply": Bob's question
    await carla.send("Goed idee, Bob!")

    clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    before = len(carla.messages)
    await sweep(world)
    assert len(carla.messages) == before
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    await sweep(world)
    [reminder] = carla.messages[before:]
    assert (
        "A question about Groene Lindelaan has been waiting for two working days" in reminder.plain
    )
    assert "Anna asked: “Eerste vraag”" in reminder.plain
    statuses = {
        row.dedupe_key: (row.status, row.last_error)
        for row in await rows(
            services, select(ScheduledMessage).where(ScheduledMessage.kind == "support_nudge")
        )
    }
    assert sorted(statuses.values(), key=str) == sorted(
        [(OutboxStatus.SENT, None), (OutboxStatus.CANCELLED, "answered")], key=str
    )


# --- the coach invitation link --------------------------------------------------------------------


async def test_a_coach_link_works_once(world: Driver) -> None:
    services = world.services
    lost = await add_initiative(services, "Zonder coach", area="3520")
    async with services.db.transaction() as session:
        session.add(
            CoachInvite(
                token="abcDEF123_-x",
                areas=[{"from": 3500, "to": 3599}, {"name": "Oud-West"}],
                created_at=START,
            )
        )
    bea = await add_person(services, "Bea")
    first = talker(world, bea)
    await first.command("start", "coach-abcDEF123_-x")
    assert "Welcome, Bea! You're now a neighbourhood coach for: 3500–3599, Oud-West." in first.last
    assert "1 initiative is yours now." in first.last
    assert first.buttons[0] == "My initiatives as a coach"
    person = await get(services, Resident, bea.id)
    assert person.role is PersonRole.COACH
    areas = await rows(services, select(CoachArea).where(CoachArea.coach_id == bea.id))
    assert [(a.postcode_from, a.postcode_to, a.neighbourhood) for a in areas] == [
        (3500, 3599, None),
        (None, None, "Oud-West"),
    ]
    assert (await get(services, Initiative, lost.id)).coach_id == bea.id

    await first.command("start", "coach-abcDEF123_-x")
    assert "You already used this link" in first.last
    mallory = talker(world, await add_person(services, "Mallory"))
    await mallory.command("start", "coach-abcDEF123_-x")
    assert "this coach link has already been used" in mallory.last
    await mallory.command("start", "coach-doesnotexist")
    assert "this coach link has already been used, or it doesn't work any more" in mallory.last
    assert (
        await get(services, Resident, await _id_of(services, mallory))
    ).role is PersonRole.RESIDENT
    assert (await audit_actions(services)).count("coach_invite_refused") == 2


async def _id_of(services: Services, who: Talker) -> int:
    [person] = await rows(services, select(Resident).where(Resident.telegram_id == who.who.id))
    return person.id or 0


async def test_a_new_person_opening_a_coach_link_onboards_first(world: Driver) -> None:
    services = world.services
    async with services.db.transaction() as session:
        session.add(
            CoachInvite(token="fresh-link", areas=[{"from": 1000, "to": 1099}], created_at=START)
        )
    newbie = world.person("Nina", "en")
    await newbie.command("start", "coach-fresh-link")
    await newbie.press("Call me Nina")
    assert "You're now a neighbourhood coach for: 1000–1099." in newbie.seen_since(0)


# --- the authorisation matrix -------------------------------------------------------------------

PERSONAS = ("resident", "initiator", "other coach", "coach", "operator")


@pytest.fixture
async def matrix(world: Driver) -> dict:
    services = world.services
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    other = await add_person(services, "Olaf", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    operator = await add_person(services, "Otto", role=PersonRole.OPERATOR)
    resident = await add_person(services, "Rita", postcode="3511")
    initiator = await add_person(services, "Anna", postcode="3511")
    tess = await add_person(services, "Tess")
    groen = await add_initiative(
        services,
        "Groene Lindelaan",
        coach=coach,
        members=((initiator, MemberRole.INITIATOR), (tess, MemberRole.TEAM)),
        quiet_days=20,
    )
    async with services.db.transaction() as session:
        request = SupportRequest(
            initiative_id=groen.id or 0, resident_id=tess.id, coach_id=coach.id, question="Hulp?"
        )
        broadcast = Broadcast(author_id=coach.id, text="Info", status=BroadcastStatus.SENDING)
        session.add_all([request, broadcast])
        await session.flush()
    return {
        "people": dict(zip(PERSONAS, (resident, initiator, other, coach, operator), strict=True)),
        "initiative": groen,
        "request": request,
        "broadcast": broadcast,
    }


Act = Callable[[Talker, dict], Awaitable[None]]
ACTIONS: dict[str, tuple[Act, set[str], str]] = {
    # name: (what the person does, who may, what an allowed person sees)
    "/overzicht": (
        lambda t, m: t.command("overzicht"),
        {"other coach", "coach", "operator"},
        "Your initiatives as a coach",
    ),
    "open the card": (
        lambda t, m: press_payload(t, pack("coach", "card", m["initiative"].id)),
        {"coach", "operator"},
        "Goals of this phase",
    ),
    "message the initiators": (
        lambda t, m: press_payload(t, pack("coach", "msg", m["initiative"].id)),
        {"coach", "operator"},
        "What do you want to tell the initiators",
    ),
    "correct the phase": (
        lambda t, m: press_payload(t, pack("coach", "phase", m["initiative"].id)),
        {"coach", "operator"},
        "Which phase is it really in?",
    ),
    "snooze": (
        lambda t, m: press_payload(t, pack("coach", "snz", m["initiative"].id, 4)),
        {"coach", "operator"},
        "Snoozed",
    ),
    "/bericht": (
        lambda t, m: t.command("bericht"),
        {"other coach", "coach", "operator"},
        "New announcement",
    ),
    "cancel a broadcast": (
        lambda t, m: press_payload(t, pack("bc", "cancel", m["broadcast"].id)),
        {"coach", "operator"},
        "Report of your",
    ),
    "answer a support request": (
        lambda t, m: press_payload(t, pack("sup", "r", m["request"].id)),
        {"coach", "operator"},
        "Your answer to Tess",
    ),
    "open questions": (
        lambda t, m: press_payload(t, pack("sup", "open")),
        {"other coach", "coach", "operator"},
        "",
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_the_authorisation_matrix(world: Driver, matrix: dict, action: str) -> None:
    """Every coach command, by each kind of person: allowed ones work, the others are
    refused politely and logged, and nothing changes for them."""
    services = world.services
    act, allowed, sign = ACTIONS[action]
    initiative_before = await get(services, Initiative, matrix["initiative"].id)
    for persona in PERSONAS:  # the refused ones first: what they leave behind is checked
        person = matrix["people"][persona]
        who = talker(world, person)
        refusals = (await audit_actions(services, person)).count("refused")
        await act(who, matrix)
        shown = who.last
        refused = (await audit_actions(services, person)).count("refused") - refusals
        conversation_flow = await _flow_of(services, person)
        if persona in allowed:
            assert refused == 0, (action, persona, shown)
            assert sign in shown, (action, persona, shown)
        else:
            assert refused == 1, (action, persona, shown)
            assert shown.startswith("Sorry"), (action, persona, shown)
            assert conversation_flow is None, (action, persona)
            current = await get(services, Initiative, matrix["initiative"].id)
            assert current.phase is initiative_before.phase
            assert current.stall_snoozed_until == initiative_before.stall_snoozed_until
            assert (
                await get(services, Broadcast, matrix["broadcast"].id)
            ).status is BroadcastStatus.SENDING
            assert (await get(services, SupportRequest, matrix["request"].id)).answered_at is None


async def _flow_of(services: Services, person: Resident) -> str | None:
    from storage.models import Conversation

    found = await rows(services, select(Conversation).where(Conversation.resident_id == person.id))
    return found[0].flow if found else None


async def test_a_coach_cannot_reach_another_areas_initiative_by_any_verb(
    world: Driver, matrix: dict
) -> None:
    other = talker(world, matrix["people"]["other coach"])
    ident = matrix["initiative"].id
    for verb in ("card", "msg", "phase", "seen"):
        await press_payload(other, pack("coach", verb, ident))
        assert "coached by someone else" in other.last
    for weeks in (1, 2, 4, 0):
        await press_payload(other, pack("coach", "snz", ident, weeks))
    async with world.services.db.transaction() as session:
        refused = (
            await session.execute(
                select(func.count())
                .select_from(AuditLog)
                .where(
                    AuditLog.actor_id == matrix["people"]["other coach"].id,
                    AuditLog.action == "refused",
                )
            )
        ).scalar_one()
    assert refused == 8
    assert (await get(world.services, Initiative, ident)).stall_snoozed_until is None


async def test_the_coach_entry_shows_only_for_coaches(world: Driver, matrix: dict) -> None:
    resident = talker(world, matrix["people"]["resident"])
    coach = talker(world, matrix["people"]["coach"])
    await resident.command("menu")
    await coach.command("menu")
    assert "Coach overview" not in resident.buttons
    assert "Coach overview" in coach.buttons
    await coach.press("Coach overview")
    assert "Your initiatives as a coach" in coach.last


async def test_the_support_thread_is_private_to_its_people(world: Driver, matrix: dict) -> None:
    """The asker may reply in their own thread; another member may not."""
    tess_person = (
        await rows(world.services, select(Resident).where(Resident.first_name == "Tess"))
    )[0]
    tess = talker(world, tess_person)
    await press_payload(tess, pack("sup", "r", matrix["request"].id))
    assert "Type your reply about Groene Lindelaan" in tess.last
    anna = talker(world, matrix["people"]["initiator"])
    await press_payload(anna, pack("sup", "r", matrix["request"].id))
    assert anna.last.startswith("Sorry")


async def test_the_same_portfolio_on_every_database(db_world: Driver) -> None:
    seed = await seeded_portfolio(db_world)
    carla = talker(db_world, seed["coach"])
    await carla.command("overzicht")
    assert "5 initiatives" in carla.last and "• Stille Straat (25 days)" in carla.last
    async with db_world.services.db.transaction() as session:
        coach = await session.get(Resident, seed["coach"].id)
        data = await digest(session, coach, START, stall_days=14)  # type: ignore[arg-type]
    assert data.stalled == [("Stille Straat", 25)] and data.new_initiatives == ["Nieuw Plein"]


# --- rights read again at every use: a stored coach id or an old button grants nothing ----------


async def queue(services: Services, *planned: tuple[str, str, Resident, int | None, dict]) -> None:
    """Outbox rows as an earlier version (or an earlier coach) left them."""
    async with services.db.transaction() as session:
        for kind, key, person, initiative_id, payload in planned:
            session.add(
                ScheduledMessage(
                    kind=kind,
                    dedupe_key=key,
                    resident_id=person.id,
                    initiative_id=initiative_id,
                    due_at=services.clock.now(),
                    payload=payload,
                    created_at=services.clock.now(),
                )
            )


async def test_a_thread_still_addressed_to_a_former_coach_of_it_reaches_only_todays_coach(
    world: Driver,
) -> None:
    """Threads stored before the fix still name Carla, who coaches elsewhere now: she is
    not told, not reminded, cannot open them, does not see them among her open questions;
    the resident's reply goes to Bea, who coaches the initiative now."""
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    bea = await add_person(s, "Bea", role=PersonRole.COACH, areas=(Area(3511, 3511),))
    anna = await add_person(s, "Anna", lang="en")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=bea, members=((anna, MemberRole.INITIATOR),)
    )
    async with s.db.transaction() as session:
        answered = SupportRequest(
            initiative_id=groen.id or 0,
            resident_id=anna.id,
            coach_id=carla.id,
            question="Waar is de tegelwipper?",
            answer="Bij mij.",
            answered_at=START,
        )
        waiting = SupportRequest(
            initiative_id=groen.id or 0,
            resident_id=anna.id,
            coach_id=carla.id,
            question="Nog een vraag over de aanhanger",
        )
        session.add_all([answered, waiting])
        await session.flush()
    asked = {"request_id": waiting.id}
    await queue(
        s,
        ("support_new", f"support_new:{waiting.id}:{carla.id}", carla, groen.id, asked),
        ("support_nudge", f"support_nudge:{waiting.id}", carla, groen.id, asked),
    )
    old = talker(world, carla)
    await sweep(world)
    assert old.messages == []
    left = {r.kind: r.last_error for r in await rows(s, select(ScheduledMessage))}
    assert left == {
        "support_new": "another coach has it now",
        "support_nudge": "another coach has it now",
    }

    await old.command("overzicht")
    assert "Nog een vraag" not in old.last
    await press_payload(old, pack("sup", "open"))
    assert "There are no open questions" in old.last
    for request in (answered, waiting):
        await press_payload(old, pack("sup", "r", request.id))
        assert "coached by someone else" in old.last
    assert await _flow_of(s, carla) is None

    resident = talker(world, anna)
    await press_payload(resident, pack("sup", "r", answered.id))
    await resident.send("Mijn adres is Lindelaan 5")
    assert "Sent to Bea." in resident.last
    assert "Mijn adres is Lindelaan 5" in talker(world, bea).last
    assert all("Lindelaan 5" not in shown.plain for shown in old.messages)


async def test_stall_alerts_and_digests_reach_only_who_coaches_now(world: Driver) -> None:
    """Carla is a resident again while an initiative still names her: the stall scan
    queues nothing for her, and what was queued already is skipped when it is due."""
    from bot.core.policy import RuleTimings
    from scheduler.rules import coach_digest, stall_scan, zone

    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    stil = await add_initiative(s, "Stille Straat", coach=carla, quiet_days=40)
    await queue(
        s,
        ("stalled", f"stalled:{stil.id}:old", carla, stil.id, {}),
        ("digest", f"digest:{carla.id}:old", carla, None, {"week": "2026-W48"}),
    )
    async with s.db.transaction() as session:
        person = await session.get(Resident, carla.id)
        assert person is not None
        person.role = PersonRole.RESIDENT
    async with s.db.transaction() as session:
        now = s.clock.now()
        timings = RuleTimings()
        await stall_scan(session, now, timings, stall_days=21, tz=zone(None))
        await coach_digest(session, now, timings, tz=zone(None))
        person = await session.get(Resident, carla.id)
        assert person is not None
        assert (await portfolio(session, person, now)).entries == []
    await sweep(world)
    assert talker(world, carla).messages == []
    left = {r.kind: (r.status, r.last_error) for r in await rows(s, select(ScheduledMessage))}
    assert left == {
        "stalled": (OutboxStatus.CANCELLED, "no longer the coach of this initiative"),
        "digest": (OutboxStatus.CANCELLED, "no longer a coach"),
    }


async def test_a_former_coach_s_old_buttons_and_open_flows_are_refused_kindly(
    world: Driver,
) -> None:
    """Removed while typing a message to the initiators: nothing reaches them; the card's
    old buttons and /overzicht thank her and say she is no longer a coach."""
    from bot.domain.coaches import remove_coach

    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(s, "Anna")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=carla, members=((anna, MemberRole.INITIATOR),)
    )
    old = talker(world, carla)
    await press_payload(old, pack("coach", "card", groen.id))
    card = old.messages[-1]
    await old.press("✉️ Message the initiators")
    async with s.db.transaction() as session:
        person = await session.get(Resident, carla.id)
        assert person is not None
        await remove_coach(session, person, s.clock.now(), actor_id=None, via="cli")
    await old.send("Bel me op 06-12345678")
    assert "you're no longer a neighbourhood coach" in old.last
    assert talker(world, anna).messages == []
    for payload in (
        pack("coach", "card", groen.id),
        pack("coach", "snz", groen.id, 4),
        pack("coach", "phase", groen.id),
    ):
        await old.event(ButtonPress(payload, f"q{next(_ids)}", card.message_id))
        assert old.last.startswith("Sorry, you're no longer a neighbourhood coach"), payload
    await old.command("overzicht")
    assert "Thank you for all your help!" in old.last
    assert (await get(s, Initiative, groen.id)).stall_snoozed_until is None


async def test_ask_my_coach_never_names_or_reaches_a_former_coach(world: Driver) -> None:
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH)
    otto = await add_person(s, "Otto", role=PersonRole.OPERATOR)
    anna = await add_person(s, "Anna", lang="en")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=carla, members=((anna, MemberRole.INITIATOR),)
    )
    async with s.db.transaction() as session:
        person = await session.get(Resident, carla.id)
        assert person is not None
        person.role = PersonRole.RESIDENT  # the initiative still names her
    resident = talker(world, anna)
    await press_payload(resident, pack("ini", "coach", groen.id))
    assert "Carla" not in resident.last and "no coach linked" in resident.last
    await resident.send("Wie helpt ons nu?")
    assert "Carla" not in resident.last
    await sweep(world)
    assert talker(world, carla).messages == []
    assert "A question from Anna about Groene Lindelaan" in talker(world, otto).last
    [request] = await rows(s, select(SupportRequest))
    assert request.coach_id is None


async def test_the_card_names_only_neighbours_who_consented(world: Driver) -> None:
    """A team member and a street-group neighbour who never consented are counted on the
    coach's card, not named; consented ones are named as before."""
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH)
    anna = await add_person(s, "Anna")
    async with s.db.transaction() as session:
        quiet = Resident(telegram_id=next(_ids), first_name="Geheim", created_at=START)
        passer = Resident(telegram_id=next(_ids), first_name="Voorbijganger", created_at=START)
        session.add_all([quiet, passer])
    groen = await add_initiative(
        s,
        "Groene Lindelaan",
        coach=carla,
        members=((anna, MemberRole.INITIATOR), (quiet, MemberRole.TEAM)),
    )
    async with s.db.transaction() as session:
        for kind, who in (("rsvp_in_group", passer), ("joined_team", anna)):
            session.add(
                Activity(initiative_id=groen.id or 0, kind=kind, resident_id=who.id, at=START)
            )
    coach = talker(world, carla)
    await press_payload(coach, pack("coach", "card", groen.id))
    card = coach.last
    assert "Geheim" not in card and "Voorbijganger" not in card
    assert "• Anna: initiator" in card
    assert "+ 1 team member who didn't give permission to show their name" in card
    assert "a neighbour answered in the street group (a neighbour)" in card
    assert "a neighbour joined the team (Anna)" in card


async def test_a_question_from_someone_without_consent_does_not_name_them(world: Driver) -> None:
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH)
    tess = await add_person(s, "Tess")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=carla, members=((tess, MemberRole.TEAM),)
    )
    async with s.db.transaction() as session:
        person = await session.get(Resident, tess.id)
        assert person is not None
        person.consented_at = None  # she withdrew it, and stayed in the team
    asker = talker(world, tess)
    await press_payload(asker, pack("ini", "coach", groen.id))
    await asker.send("Mag ik iets vragen?")
    await sweep(world)
    coach = talker(world, carla)
    assert "A question from a neighbour about Groene Lindelaan" in coach.last
    await coach.press("Reply")
    assert "Your answer to a neighbour about Groene Lindelaan" in coach.last
    assert all("Tess" not in shown.plain for shown in coach.messages)


async def test_threads_follow_the_coach_on_every_database(db_world: Driver) -> None:
    """Removing Carla moves the threads of her initiative to Bea and a thread she still
    had elsewhere to that initiative's coach; what was queued for her is cancelled."""
    from bot.domain.coaches import remove_coach

    s = db_world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    bea = await add_person(s, "Bea", role=PersonRole.COACH, areas=(Area(3511, 3511),))
    olaf = await add_person(s, "Olaf", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    anna = await add_person(s, "Anna")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=carla, members=((anna, MemberRole.INITIATOR),)
    )
    elders = await add_initiative(s, "Elders", area="1010", coach=olaf)
    async with s.db.transaction() as session:
        session.add_all(
            [
                SupportRequest(
                    initiative_id=groen.id or 0,
                    resident_id=anna.id,
                    coach_id=carla.id,
                    question="Beantwoord",
                    answered_at=START,
                ),
                SupportRequest(
                    initiative_id=groen.id or 0,
                    resident_id=anna.id,
                    coach_id=carla.id,
                    question="Open",
                ),
                SupportRequest(initiative_id=elders.id or 0, coach_id=carla.id, question="Oud"),
            ]
        )
    await press_payload(talker(db_world, anna), pack("ini", "coach", groen.id))
    await talker(db_world, anna).send("Nog een vraag")
    async with s.db.transaction() as session:
        person = await session.get(Resident, carla.id)
        assert person is not None
        await remove_coach(session, person, s.clock.now(), actor_id=None, via="cli")
    requests = await rows(s, select(SupportRequest).order_by(SupportRequest.id))  # type: ignore[arg-type]
    assert [r.coach_id for r in requests] == [bea.id, bea.id, olaf.id, bea.id]
    queued = await rows(s, select(ScheduledMessage).order_by(ScheduledMessage.id))  # type: ignore[arg-type]
    assert {r.status for r in queued if r.resident_id == carla.id} == {OutboxStatus.CANCELLED}
    pending = sorted((r.kind, r.resident_id) for r in queued if r.status is OutboxStatus.PENDING)
    assert pending == sorted(
        [
            ("support_moved", anna.id),  # once, for both of her threads
            ("support_new", bea.id),
            ("support_new", bea.id),
            ("support_new", olaf.id),  # the old question about Elders
            ("support_nudge", bea.id),
            ("support_nudge", bea.id),
            ("support_nudge", olaf.id),
        ]
    )
