"""The authorisation matrix: every permission against every hat, no escalation."""

from __future__ import annotations

import pytest

from bot.authz import RULES, Hat, Permission, allowed

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
