"""The growth cycle: each phase's goals, moving on (never back) when they are
met, PhaseReached per phase, and the celebration that introduces the new phase."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.core.context import Ctx
from bot.core.events import PhaseReached
from bot.core.policy import PhaseRules
from bot.core.seam import Chat, ChatKind, Command, Incoming, Person, SendText
from bot.core.services import Services
from bot.domain.phases import GOAL_HINTS, check_progress, progress
from bot.i18n import texts_for
from bot.views.cards import phase_label, progress_line
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    Conversation,
    GroupChat,
    Initiative,
    MemberRole,
    Membership,
    Phase,
    Quote,
    Resident,
    Task,
    Theme,
)

_ids = iter(range(5000, 10_000))


@asynccontextmanager
async def ctx_for(services: Services, person_id: int, *, group: bool = False) -> AsyncIterator[Ctx]:
    """A handler's context for `person_id`, in one transaction (as the engine makes it)."""
    async with services.db.transaction() as session:
        person = await session.get(Resident, person_id)
        assert person is not None
        chat = Chat(
            -100 if group else person.telegram_id, ChatKind.GROUP if group else ChatKind.PRIVATE
        )
        incoming = Incoming(
            chat, Person(person.telegram_id, person.first_name, person.language), Command("status")
        )
        conversation = Conversation(chat_id=chat.id, resident_id=person_id, data={})
        yield Ctx(incoming, person, conversation, session, services)


async def add_person(services: Services, name: str, lang: str = "nl") -> int:
    async with services.db.transaction() as session:
        person = Resident(telegram_id=next(_ids), first_name=name, name=name, language=lang)
        session.add(person)
        await session.flush()
        return person.id or 0


async def add_initiative(services: Services, founder: int, **values: Any) -> int:
    fields: dict[str, Any] = {
        "title": "Groene Lindelaan",
        "what": "Tegels eruit, planten erin",
        "place": "Lindelaan",
        "why": "Het is te heet",
        "theme": Theme.GREENER,
        "invite_token": f"tok{next(_ids)}",
    }
    fields.update(values)
    async with services.db.transaction() as session:
        initiative = Initiative(**fields)
        session.add(initiative)
        await session.flush()
        session.add(
            Membership(
                initiative_id=initiative.id or 0, resident_id=founder, role=MemberRole.INITIATOR
            )
        )
        return initiative.id or 0


async def add(services: Services, *rows: Any) -> None:
    async with services.db.transaction() as session:
        session.add_all(rows)


async def join(
    services: Services, initiative_id: int, name: str, role: MemberRole, **roles: bool
) -> int:
    person = await add_person(services, name)
    await add(
        services, Membership(initiative_id=initiative_id, resident_id=person, role=role, **roles)
    )
    return person


async def check(services: Services, initiative_id: int, person_id: int) -> tuple[list[Phase], Ctx]:
    async with ctx_for(services, person_id) as ctx:
        initiative = await ctx.session.get(Initiative, initiative_id)
        assert initiative is not None
        reached = await check_progress(ctx, initiative)
    return reached, ctx


async def state_of(services: Services, initiative_id: int, at=None):  # type: ignore[no-untyped-def]
    async with services.db.transaction() as session:
        initiative = await session.get(Initiative, initiative_id)
        assert initiative is not None
        return await progress(session, initiative, now=at or services.clock.now())


def said(ctx: Ctx) -> str:
    return "\n".join(action.text for action in ctx.out if isinstance(action, SendText))


async def test_an_initiative_moves_through_all_five_phases(services: Services) -> None:
    now = services.clock.now()
    anna = await add_person(services, "Anna")
    iid = await add_initiative(services, anna)

    # 1 initiate: described, theme and level chosen, but alone.
    state = await state_of(services, iid)
    assert state.phase is Phase.INITIATE
    assert [(g.key, g.met) for g in state.goals] == [
        ("described", True),
        ("theme_level", True),
        ("co_initiator", False),
    ]
    assert state.next_goal is not None and state.next_goal.key == "co_initiator"
    reached, ctx = await check(services, iid, anna)
    assert reached == [] and ctx.events == [] and ctx.out == []
    await join(services, iid, "Volger", MemberRole.FOLLOWER)
    assert (await check(services, iid, anna))[0] == []  # a follower is no co-initiator

    bram = await join(services, iid, "Bram", MemberRole.TEAM, is_connector=True)
    reached, ctx = await check(services, iid, anna)
    assert reached == [Phase.ACTIVATE]
    assert ctx.events == [PhaseReached(iid, Phase.ACTIVATE)]
    text = said(ctx)
    assert "Goed gedaan: je staat er niet meer alleen voor!" in text
    assert "● ● ○ ○ ○  Activeren (fase 2 van 5)" in text
    assert "Het idee wordt een team." in text
    assert "👉 Volgende stap: Maak het team drie mensen groot." in text

    # 2 activate: a team of three, the roles (or a plan), a meeting held, the wishes.
    await join(services, iid, "Carla", MemberRole.TEAM, is_expert=True)
    await add(
        services,
        Action(
            initiative_id=iid,
            kind=ActionKind.MEETING,
            title="Keukentafel",
            starts_at=now - timedelta(days=3),
            status=ActionStatus.HELD,
        ),
    )
    state = await state_of(services, iid)
    assert [g.key for g in state.goals if not g.met] == ["roles", "wishes"]
    async with services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        initiative.role_plan = "Bram vraagt de buurman van nummer 12"
        initiative.wishes_gathered = True
    reached, ctx = await check(services, iid, bram)
    assert reached == [Phase.STRUCTURE]
    assert ctx.events == [PhaseReached(iid, Phase.STRUCTURE)]

    # 3 structure: an action ahead with a place, a task with someone, a group (or not).
    action = Action(
        initiative_id=iid,
        kind=ActionKind.ACTION,
        title="Tegeltjesdag",
        starts_at=now + timedelta(days=14),
        place="",
    )
    await add(services, action)
    await add(services, Task(initiative_id=iid, title="Zakken halen", assignee_id=bram))
    await add(services, GroupChat(chat_id=-4242, title="Lindelaan", initiative_id=iid))
    state = await state_of(services, iid)
    assert [g.key for g in state.goals if not g.met] == ["action_planned"]  # no place yet
    async with services.db.transaction() as session:
        stored = await session.get(Action, action.id)
        assert stored is not None
        stored.place = "Lindelaan 1"
    reached, ctx = await check(services, iid, anna)
    assert reached == [Phase.GROW]

    # 4 grow: the action held with people, households counted, the review done.
    services.clock.advance(timedelta(days=15))
    async with services.db.transaction() as session:
        stored = await session.get(Action, action.id)
        assert stored is not None
        stored.status = ActionStatus.HELD
        stored.attended = 14
    state = await state_of(services, iid)
    assert [(g.key, g.met) for g in state.goals] == [
        ("action_held", True),
        ("households", False),
        ("review", False),
    ]
    async with services.db.transaction() as session:
        stored = await session.get(Action, action.id)
        initiative = await session.get(Initiative, iid)
        assert stored is not None and initiative is not None
        stored.reviewed_at = services.clock.now()
        stored.next_step = "Regentonnen"
        initiative.households_reached = 40
    reached, ctx = await check(services, iid, anna)
    assert reached == [Phase.SUSTAIN]
    text = said(ctx)
    assert "Fantastisch: de actie is geweest" in text
    assert "● ● ● ● ●  Bestendigen (fase 5 van 5)" in text
    assert "Houd een ritme: plan na elke actie meteen de volgende." in text
    assert "Geef rollen door" in text and "Je coach doet een stapje terug." in text

    # 5 sustain: two actions held and the next one planned. There is no phase after it.
    later = services.clock.now()
    await add(
        services,
        Action(
            initiative_id=iid,
            kind=ActionKind.ACTION,
            title="Regentonnen",
            starts_at=later - timedelta(days=1),
            status=ActionStatus.HELD,
            attended=9,
        ),
        Action(
            initiative_id=iid,
            kind=ActionKind.ACTION,
            title="Geveltuintjes",
            starts_at=later + timedelta(days=30),
            place="Lindelaan",
        ),
    )
    state = await state_of(services, iid)
    assert all(goal.met for goal in state.goals) and state.next_goal is None
    reached, ctx = await check(services, iid, anna)
    assert reached == [] and ctx.events == []

    async with services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        kinds = (
            (await session.execute(select(Activity.kind).where(Activity.initiative_id == iid)))
            .scalars()
            .all()
        )
    assert initiative is not None and initiative.phase is Phase.SUSTAIN
    assert kinds.count("phase_reached") == 4
    assert initiative.phase_changed_at == later


async def test_several_phases_at_once_are_each_told_and_celebrated_in_one_message(
    sqlite_services: Services,
) -> None:
    services = sqlite_services
    now = services.clock.now()
    tom = await add_person(services, "Tom", "en")
    iid = await add_initiative(services, tom, wishes_gathered=True)
    for name in ("Bram", "Carla"):
        await join(
            services,
            iid,
            name,
            MemberRole.TEAM,
            is_expert=True,
            is_connector=True,
            is_organiser=True,
        )
    await add(
        services,
        Action(
            initiative_id=iid,
            kind=ActionKind.MEETING,
            title="Kitchen table",
            starts_at=now - timedelta(days=1),
            status=ActionStatus.HELD,
        ),
    )
    reached, ctx = await check(services, iid, tom)
    assert reached == [Phase.ACTIVATE, Phase.STRUCTURE]
    assert ctx.events == [PhaseReached(iid, Phase.ACTIVATE), PhaseReached(iid, Phase.STRUCTURE)]
    messages = [a for a in ctx.out if isinstance(a, SendText)]
    assert len(messages) == 1
    text = messages[0].text
    assert "Well done: you're no longer alone with your idea!" in text
    assert "Great: you have a team, and you know what the neighbours want!" in text
    assert "● ● ● ○ ○  Structure (phase 3 of 5)" in text
    assert "👉 Next step: Choose an action and plan it, with a date and a place." in text
    assert [b.label for row in messages[0].buttons for b in row] == ["See the progress"]


async def test_a_team_member_who_completes_the_team_is_not_told_it_was_their_idea(
    sqlite_services: Services,
) -> None:
    services = sqlite_services
    tom = await add_person(services, "Tom", "en")
    iid = await add_initiative(services, tom)
    del tom
    bram = await join(services, iid, "Bram", MemberRole.INITIATOR)
    carla = await join(services, iid, "Carla", MemberRole.TEAM)
    await set_language(services, carla, "en")
    reached, ctx = await check(services, iid, carla)  # Carla's joining made the team
    assert reached == [Phase.ACTIVATE]
    text = next(a.text for a in ctx.out if isinstance(a, SendText))
    assert "Well done: the idea now has a team, with you in it!" in text
    assert "no longer alone with your idea" not in text
    del bram


async def set_language(services: Services, person_id: int, lang: str) -> None:
    async with services.db.transaction() as session:
        person = await session.get(Resident, person_id)
        assert person is not None
        person.language = lang


async def test_a_phase_never_goes_back_by_itself(sqlite_services: Services) -> None:
    services = sqlite_services
    anna = await add_person(services, "Anna")
    iid = await add_initiative(services, anna, phase=Phase.GROW)
    state = await state_of(services, iid)
    assert state.phase is Phase.GROW and state.next_goal is not None
    reached, ctx = await check(services, iid, anna)
    assert reached == [] and ctx.out == []
    assert (await state_of(services, iid)).phase is Phase.GROW


async def test_a_collective_purchase_needs_two_quotes(services: Services) -> None:
    now = services.clock.now()
    anna = await add_person(services, "Anna")
    iid = await add_initiative(
        services,
        anna,
        theme=Theme.COLLECTIVE_PURCHASE,
        phase=Phase.STRUCTURE,
        group_chat_skipped=True,
    )
    await add(
        services,
        Action(
            initiative_id=iid,
            title="Informatieavond",
            starts_at=now + timedelta(days=5),
            place="Buurthuis",
        ),
        Task(initiative_id=iid, title="Flyers", assignee_id=anna),
        Quote(initiative_id=iid, supplier="Isolatie BV", total_eur=4000, area_m2=50),
    )
    state = await state_of(services, iid)
    assert [g.key for g in state.goals if not g.met] == ["quotes"]
    assert (await check(services, iid, anna))[0] == []
    await add(services, Quote(initiative_id=iid, supplier="Warm & Co", total_eur=3800, area_m2=50))
    assert (await check(services, iid, anna))[0] == [Phase.GROW]


async def test_what_does_not_count(services: Services) -> None:
    now = services.clock.now()
    anna = await add_person(services, "Anna")
    iid = await add_initiative(services, anna, phase=Phase.STRUCTURE, group_chat_skipped=True)
    await add(
        services,
        # in the past, cancelled, a meeting: none of them is "an action planned ahead"
        Action(initiative_id=iid, title="Was", starts_at=now - timedelta(hours=1), place="X"),
        Action(
            initiative_id=iid,
            title="Afgelast",
            starts_at=now + timedelta(days=3),
            place="X",
            status=ActionStatus.CANCELLED,
        ),
        Action(
            initiative_id=iid,
            kind=ActionKind.MEETING,
            title="Overleg",
            starts_at=now + timedelta(days=3),
            place="X",
        ),
        Task(initiative_id=iid, title="Nog niemand"),  # no one assigned
        GroupChat(chat_id=-777, title="Oud", initiative_id=iid, active=False),
    )
    state = await state_of(services, iid)
    assert {g.key: g.met for g in state.goals} == {
        "action_planned": False,
        "tasks": False,
        "group": True,  # skipped on purpose
    }


async def test_the_rules_are_thresholds_that_can_be_tuned(sqlite_services: Services) -> None:
    services = sqlite_services
    anna = await add_person(services, "Anna")
    iid = await add_initiative(services, anna, why="")
    await join(services, iid, "Bram", MemberRole.TEAM)
    async with services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        default = await progress(session, initiative, now=services.clock.now())
        strict = await progress(
            session, initiative, PhaseRules(co_initiators=2), now=services.clock.now()
        )
    assert {g.key: g.met for g in default.goals}["co_initiator"] is True
    assert {g.key: g.met for g in strict.goals}["co_initiator"] is False
    # Without a "why" the idea is not described yet, and that is the one next step.
    assert default.next_goal is not None and default.next_goal.key == "described"


async def test_a_group_chat_hears_the_celebration_without_private_buttons(
    sqlite_services: Services,
) -> None:
    services = sqlite_services
    anna = await add_person(services, "Anna")
    iid = await add_initiative(services, anna)
    await join(services, iid, "Bram", MemberRole.INITIATOR)
    async with ctx_for(services, anna, group=True) as ctx:
        initiative = await ctx.session.get(Initiative, iid)
        assert initiative is not None
        assert await check_progress(ctx, initiative) == [Phase.ACTIVATE]
    messages = [a for a in ctx.out if isinstance(a, SendText)]
    assert messages[0].chat_id == -100 and messages[0].buttons == ()
    assert "Volgende stap:" in messages[0].text


@pytest.mark.parametrize(
    ("lang", "phase", "label", "line"),
    [
        ("nl", Phase.INITIATE, "Initiëren", "● ○ ○ ○ ○  Initiëren (fase 1 van 5)"),
        ("nl", Phase.GROW, "Groeien", "● ● ● ● ○  Groeien (fase 4 van 5)"),
        ("en", Phase.STRUCTURE, "Structure", "● ● ● ○ ○  Structure (phase 3 of 5)"),
        ("en", Phase.SUSTAIN, "Sustain", "● ● ● ● ●  Sustain (phase 5 of 5)"),
    ],
)
def test_phase_names_and_the_progress_line(lang: str, phase: Phase, label: str, line: str) -> None:
    texts = texts_for(lang)
    assert phase_label(texts, phase) == label
    assert progress_line(texts, phase) == line


def test_every_goal_has_a_next_step_in_both_languages() -> None:
    keys = {
        "described",
        "theme_level",
        "co_initiator",
        "team",
        "roles",
        "meeting",
        "wishes",
        "action_planned",
        "tasks",
        "group",
        "quotes",
        "action_held",
        "households",
        "review",
        "rhythm",
        "next_planned",
    }
    assert set(GOAL_HINTS) == keys
    for hint in GOAL_HINTS.values():
        assert texts_for("nl")._(hint) != hint  # translated into Dutch
        assert texts_for("en")._(hint) == hint
