"""The authorisation matrix: every permission against every hat, no escalation; and
hats read from the database at the moment of use (a stored coach id grants nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.domain.authz import (
    RULES,
    Hat,
    Permission,
    allowed,
    coach_of,
    hats,
    may,
    nameable,
    thread_coaches,
)
from bot.domain.coaches import Area
from scheduler.timing import FakeClock
from storage.models import Initiative, PersonRole, Resident, SupportRequest
from tests.support.driver import Driver
from tests.test_coaches import _driver, add_initiative, add_person

EXPECTED = {
    # permission: hats that may (alone)
    Permission.VIEW_INITIATIVE: {
        "follower",
        "team",
        "initiator",
        "coach_of_initiative",
        "operator",
    },
    Permission.EDIT_INITIATIVE: {"initiator"},
    Permission.INVITE: {"team", "initiator"},
    Permission.REVOKE_INVITE: {"initiator"},
    Permission.PLAN_ACTION: {"team", "initiator"},
    Permission.CANCEL_ACTION: {"initiator"},
    Permission.SEE_RSVP_NAMES: {"initiator"},
    Permission.RSVP: {"follower", "team", "initiator"},
    Permission.DIVIDE_TASKS: {"team", "initiator"},
    Permission.REVIEW_ACTION: {"initiator"},
    Permission.UPDATE_SUPPORT: {"initiator"},
    Permission.CHECK_ROLES: {"team", "initiator"},
    Permission.ASK_COACH: {"follower", "team", "initiator"},
    Permission.LINK_GROUP: set(),  # no single hat: initiator AND group admin
    Permission.COACH_OVERVIEW: {"coach", "operator"},
    Permission.COACH_INITIATIVE: {"coach_of_initiative", "operator"},
    Permission.CORRECT_PHASE: {"coach_of_initiative", "operator"},
    Permission.BROADCAST: {"coach", "operator"},
    Permission.MANAGE_COACHES: {"operator"},
    Permission.EXPORT: {"operator"},
    Permission.MANAGE_MEMBERS: {"initiator"},
    Permission.ASK_TO_JOIN_TEAM: {"follower"},
    Permission.LEAVE: {"follower", "team", "initiator"},
}


def test_every_permission_has_a_rule_and_an_expectation() -> None:
    assert set(RULES) == set(Permission) == set(EXPECTED)


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("hat", list(Hat))
def test_matrix_single_hat(permission: Permission, hat: Hat) -> None:
    worn = {Hat.RESIDENT, hat}
    assert allowed(permission, worn) is (hat.value in EXPECTED[permission]), (permission, hat)


def test_a_plain_resident_may_do_nothing_protected() -> None:
    assert [allowed(p, {Hat.RESIDENT}) for p in Permission] == [False] * len(Permission)


def test_linking_a_group_needs_initiator_and_group_admin() -> None:
    assert allowed(Permission.LINK_GROUP, {Hat.INITIATOR, Hat.GROUP_ADMIN}) is True
    assert allowed(Permission.LINK_GROUP, {Hat.INITIATOR}) is False
    assert allowed(Permission.LINK_GROUP, {Hat.GROUP_ADMIN, Hat.TEAM}) is False
    assert allowed(Permission.LINK_GROUP, {Hat.GROUP_ADMIN, Hat.OPERATOR}) is False


# --- read from the database at the moment of use -------------------------------------------------


@pytest.fixture
async def db_world(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_database_url, clock):
        yield driver


async def test_a_stored_coach_id_grants_nothing_once_its_person_stopped_coaching(
    db_world: Driver,
) -> None:
    """The initiative (and a thread) still name Carla, who is a resident again: she wears
    no coach's hat on it, nobody is its coach, and its thread goes to the operators."""
    s = db_world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    otto = await add_person(s, "Otto", role=PersonRole.OPERATOR)
    groen = await add_initiative(s, "Groene Lindelaan", coach=carla)
    async with s.db.transaction() as session:
        session.add(SupportRequest(initiative_id=groen.id or 0, coach_id=carla.id, question="?"))
    async with s.db.transaction() as session:
        coach = await session.get(Resident, carla.id)
        initiative = await session.get(Initiative, groen.id)
        [request] = (await session.execute(select(SupportRequest))).scalars().all()
        assert coach is not None and initiative is not None
        assert await may(session, coach, Permission.COACH_INITIATIVE, initiative)
        assert [p.id for p in await thread_coaches(session, request, initiative)] == [carla.id]
        coach.role = PersonRole.RESIDENT
        assert Hat.COACH_OF_INITIATIVE not in await hats(session, coach, initiative)
        assert not await may(session, coach, Permission.COACH_INITIATIVE, initiative)
        assert not await may(session, coach, Permission.CORRECT_PHASE, initiative)
        assert await coach_of(session, initiative) is None
        assert [p.id for p in await thread_coaches(session, request, initiative)] == [otto.id]


def test_only_who_onboarded_with_consent_is_named() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert nameable(Resident(telegram_id=1, first_name="A", consented_at=now, onboarded_at=now))
    assert not nameable(Resident(telegram_id=2, first_name="B", onboarded_at=now))
    assert not nameable(Resident(telegram_id=3, first_name="C", consented_at=now))
    assert not nameable(None)
