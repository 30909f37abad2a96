"""After a coach corrects the phase, every next step shown is the corrected phase's: on the
coach's card, on the initiators' card and progress, in what the initiators are told, and
in the team's congratulation sent later by the scheduler."""

from __future__ import annotations

from datetime import timedelta

from bot.core.payloads import pack
from bot.domain.phases import GOAL_HINTS
from storage.models import MemberRole, PersonRole
from tests.support.driver import Driver
from tests.test_coaches import (
    Area,
    add_initiative,
    add_person,
    press_payload,
    sweep,
    talker,
    world,
)

__all__ = ["world"]  # the fixture

PLAN_AN_ACTION = "Choose an action and plan it, with a date and a place."  # Structure's first


async def test_the_next_step_after_a_phase_correction_is_the_corrected_phase_s(
    world: Driver,
) -> None:
    services = world.services
    assert PLAN_AN_ACTION in GOAL_HINTS.values()
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(services, "Anna")
    tess = await add_person(services, "Tess")
    groen = await add_initiative(
        services,
        "Groene Lindelaan",
        coach=coach,
        members=((anna, MemberRole.INITIATOR), (tess, MemberRole.TEAM)),
    )
    carla, anna_chat, tess_chat = talker(world, coach), talker(world, anna), talker(world, tess)

    await press_payload(carla, pack("coach", "card", groen.id))
    await carla.press("Correct the phase")
    await carla.press("3. Structure")
    await carla.send("Ze hebben al een team en een plan")
    assert f"Next step: {PLAN_AN_ACTION}" in carla.last
    await press_payload(anna_chat, pack("ini", "card", groen.id))
    assert f"Next step: {PLAN_AN_ACTION}" in anna_chat.last
    # The team's congratulation, sent at a kind hour, names the corrected phase's step.
    services.clock.advance(timedelta(days=1).total_seconds())
    await sweep(world)
    assert "reached a new phase: Structure" in tess_chat.last
    assert f"Next step: {PLAN_AN_ACTION}" in tess_chat.last

    await press_payload(carla, pack("coach", "card", groen.id))
    await carla.press("Correct the phase")
    await carla.press("2. Activate")
    await carla.send("Het team is uit elkaar")
    assert "back in the phase Activate" in carla.last
    told = anna_chat.last
    assert "set Groene Lindelaan back to the phase Activate" in told
    assert "Next step:" in told and PLAN_AN_ACTION not in told
    await anna_chat.press("See the progress")
    assert "Activate (phase 2 of 5)" in anna_chat.last
    assert PLAN_AN_ACTION not in anna_chat.last
