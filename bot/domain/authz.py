"""Who may do what, in one place. Every flow and command asks `may(...)`;
tests/test_authz.py walks the whole matrix.

A person's standing towards an initiative is a set of hats: any resident;
follower / team / initiator by membership; the coach of that initiative (its
area's coach); any coach; the operator; the admin of a street group (known
from Telegram at the moment it matters, passed in by the group flow).

Hats are read from the database at the moment of use: a stored ``coach_id`` (on an
initiative, a support thread, an outbox row, a button) names someone, it grants
nothing. The coach of an initiative is its ``coach_id`` *while that person is still a
coach*; who answers a support thread now is ``thread_coaches``; whom a coach may see
by name is ``nameable``.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TypeGuard, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.initiatives import membership
from storage.models import (
    Initiative,
    MemberRole,
    PersonFacts,
    PersonRole,
    Resident,
    SupportRequest,
)

log = logging.getLogger(__name__)

# A resident, or the plain row read for one (what `nameable` checks, and then is known).
Person = TypeVar("Person", bound=PersonFacts)


class Hat(StrEnum):
    RESIDENT = "resident"
    FOLLOWER = "follower"
    TEAM = "team"
    INITIATOR = "initiator"
    COACH_OF_INITIATIVE = "coach_of_initiative"
    COACH = "coach"
    OPERATOR = "operator"
    GROUP_ADMIN = "group_admin"


class Permission(StrEnum):
    VIEW_INITIATIVE = "view_initiative"
    EDIT_INITIATIVE = "edit_initiative"
    INVITE = "invite"
    REVOKE_INVITE = "revoke_invite"
    PLAN_ACTION = "plan_action"
    CANCEL_ACTION = "cancel_action"
    SEE_RSVP_NAMES = "see_rsvp_names"
    RSVP = "rsvp"
    DIVIDE_TASKS = "divide_tasks"
    REVIEW_ACTION = "review_action"
    UPDATE_SUPPORT = "update_support"
    CHECK_ROLES = "check_roles"
    ASK_COACH = "ask_coach"
    LINK_GROUP = "link_group"
    COACH_OVERVIEW = "coach_overview"
    COACH_INITIATIVE = "coach_initiative"
    CORRECT_PHASE = "correct_phase"
    BROADCAST = "broadcast"
    MANAGE_COACHES = "manage_coaches"
    EXPORT = "export"
    MANAGE_MEMBERS = "manage_members"
    ASK_TO_JOIN_TEAM = "ask_to_join_team"
    LEAVE = "leave"


MEMBERS = {Hat.FOLLOWER, Hat.TEAM, Hat.INITIATOR}
ORGANISERS = {Hat.TEAM, Hat.INITIATOR}
OVERSIGHT = {Hat.COACH_OF_INITIATIVE, Hat.OPERATOR}

# Each permission: the hats of which any one suffices. LINK_GROUP needs two at once.
RULES: dict[Permission, set[Hat]] = {
    Permission.VIEW_INITIATIVE: MEMBERS | OVERSIGHT,
    Permission.EDIT_INITIATIVE: {Hat.INITIATOR},
    Permission.INVITE: ORGANISERS,
    Permission.REVOKE_INVITE: {Hat.INITIATOR},
    Permission.PLAN_ACTION: ORGANISERS,
    Permission.CANCEL_ACTION: {Hat.INITIATOR},
    Permission.SEE_RSVP_NAMES: {Hat.INITIATOR},
    Permission.RSVP: MEMBERS,
    Permission.DIVIDE_TASKS: ORGANISERS,
    Permission.REVIEW_ACTION: {Hat.INITIATOR},
    Permission.UPDATE_SUPPORT: {Hat.INITIATOR},
    Permission.CHECK_ROLES: ORGANISERS,
    Permission.ASK_COACH: MEMBERS,
    Permission.LINK_GROUP: {Hat.INITIATOR},  # and Hat.GROUP_ADMIN, see REQUIRES_ALSO
    Permission.COACH_OVERVIEW: {Hat.COACH, Hat.OPERATOR},
    Permission.COACH_INITIATIVE: OVERSIGHT,
    Permission.CORRECT_PHASE: OVERSIGHT,
    Permission.BROADCAST: {Hat.COACH, Hat.OPERATOR},
    Permission.MANAGE_COACHES: {Hat.OPERATOR},
    Permission.EXPORT: {Hat.OPERATOR},
    Permission.MANAGE_MEMBERS: {Hat.INITIATOR},
    Permission.ASK_TO_JOIN_TEAM: {Hat.FOLLOWER},
    Permission.LEAVE: MEMBERS,
}
REQUIRES_ALSO: dict[Permission, Hat] = {Permission.LINK_GROUP: Hat.GROUP_ADMIN}


async def hats(
    session: AsyncSession,
    person: PersonFacts,
    initiative: Initiative | None = None,
    *,
    group_admin: bool = False,
) -> set[Hat]:
    worn = {Hat.RESIDENT}
    if person.role in (PersonRole.COACH, PersonRole.OPERATOR):
        worn.add(Hat.COACH)
    if person.role is PersonRole.OPERATOR:
        worn.add(Hat.OPERATOR)
    if group_admin:
        worn.add(Hat.GROUP_ADMIN)
    if initiative is not None and initiative.id is not None and person.id is not None:
        # A coach_id left behind on an initiative grants nothing once its person stopped coaching.
        if initiative.coach_id == person.id and Hat.COACH in worn:
            worn.add(Hat.COACH_OF_INITIATIVE)
        member = await membership(session, initiative.id, person.id)
        if member is not None:
            worn.add(
                {
                    MemberRole.INITIATOR: Hat.INITIATOR,
                    MemberRole.TEAM: Hat.TEAM,
                    MemberRole.FOLLOWER: Hat.FOLLOWER,
                }[member.role]
            )
    return worn


def allowed(permission: Permission, worn: set[Hat]) -> bool:
    also = REQUIRES_ALSO.get(permission)
    return bool(RULES[permission] & worn) and (also is None or also in worn)


async def may(
    session: AsyncSession,
    person: PersonFacts,
    permission: Permission,
    initiative: Initiative | None = None,
    *,
    group_admin: bool = False,
) -> bool:
    worn = await hats(session, person, initiative, group_admin=group_admin)
    if allowed(permission, worn):
        return True
    log.info(
        "refused %s to resident %s (hats %s) on initiative %s",
        permission,
        person.id,
        sorted(worn),
        initiative.id if initiative else None,
    )
    return False


# --- who is someone's coach now ----------------------------------------------------------------


async def operators(session: AsyncSession) -> list[Resident]:
    result = await session.execute(
        select(Resident).where(col(Resident.role) == PersonRole.OPERATOR).order_by(col(Resident.id))
    )
    return list(result.scalars().all())


async def coach_of(session: AsyncSession, initiative: Initiative) -> Resident | None:
    """The initiative's coach, if the person its ``coach_id`` names still coaches it."""
    if initiative.coach_id is None:
        return None
    person = await session.get(Resident, initiative.coach_id)
    if person is None or Hat.COACH_OF_INITIATIVE not in await hats(session, person, initiative):
        return None
    return person


async def thread_coaches(
    session: AsyncSession, request: SupportRequest, initiative: Initiative
) -> list[Resident]:
    """Who answers this support thread now: the person it is addressed to while they may
    still coach the initiative, else the initiative's coach, else the operators."""
    if request.coach_id is not None:
        addressed = await session.get(Resident, request.coach_id)
        if addressed is not None and allowed(
            Permission.COACH_INITIATIVE, await hats(session, addressed, initiative)
        ):
            return [addressed]
    coach = await coach_of(session, initiative)
    return [coach] if coach is not None else await operators(session)


def nameable(person: Person | None) -> TypeGuard[Person]:
    """Whether a coach may see this person's name: only who onboarded and consented."""
    return (
        person is not None and person.consented_at is not None and person.onboarded_at is not None
    )
