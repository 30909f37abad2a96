"""Who may do what, in one place. Every flow and command asks `may(...)`;
tests/test_authz.py walks the whole matrix.

A person's standing towards an initiative is a set of hats: any resident;
follower / team / initiator by membership; the coach of that initiative (its
area's coach); any coach; the operator; the admin of a street group (known
from Telegram at the moment it matters, passed in by the group flow).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.initiatives import membership
from storage.models import Initiative, MemberRole, PersonRole, Resident

log = logging.getLogger(__name__)


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
    person: Resident,
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
        if initiative.coach_id == person.id:
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
    person: Resident,
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
