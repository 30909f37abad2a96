"""One stall threshold, read in one place (bot/domain/stall.py): the nudge to the initiators, the
coach's alert, overview and card, and the weekly digest agree; an initiative with an action
planned ahead, or on the day of one, is not quiet."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.core.policy import RuleTimings
from bot.domain.coaches import Area, digest, portfolio
from bot.i18n import texts_for
from bot.views.digest import render_digest
from scheduler.rules import stall_scan, zone
from storage.models import (
    Action,
    ActionStatus,
    MemberRole,
    OutboxStatus,
    PersonRole,
    Resident,
    ScheduledMessage,
)
from tests.support.driver import Driver
from tests.test_coaches import add_initiative, add_person, rows, sweep, talker, world

__all__ = ["world"]  # the fixture


async def add_action(driver: Driver, initiative_id: int, hours_from_now: float) -> None:
    services = driver.services
    async with services.db.transaction() as session:
        session.add(
            Action(
                initiative_id=initiative_id,
                title="Tegelwipdag",
                starts_at=services.clock.now() + timedelta(hours=hours_from_now),
                place="Lindelaan 1",
                status=ActionStatus.PLANNED,
            )
        )


async def test_one_threshold_for_the_nudge_the_alert_the_overview_and_the_digest(
    world: Driver,
) -> None:
    s = world.services
    assert s.settings.stall_days == 21
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    anna = await add_person(s, "Anna")
    bert = await add_person(s, "Bert")
    cas = await add_person(s, "Cas")
    stil = await add_initiative(
        s, "Stille Straat", coach=carla, quiet_days=30, members=((anna, MemberRole.INITIATOR),)
    )
    # Quiet as long, but its action is today, a few hours ago: not quiet on the day.
    vandaag = await add_initiative(
        s, "Doe-Dag", coach=carla, quiet_days=30, members=((bert, MemberRole.INITIATOR),)
    )
    await add_action(world, vandaag.id or 0, -3)
    # Quiet as long, with an action planned ahead: waiting, not stalled.
    wacht = await add_initiative(
        s, "Wachtweg", coach=carla, quiet_days=30, members=((cas, MemberRole.INITIATOR),)
    )
    await add_action(world, wacht.id or 0, 24 * 5)
    # Quiet, but under the threshold.
    await add_initiative(s, "Rustig Plein", coach=carla, quiet_days=20)

    now = s.clock.now()
    async with s.db.transaction() as session:
        coach = await session.get(Resident, carla.id)
        assert coach is not None
        mine = await portfolio(session, coach, now, stall_days=s.settings.stall_days)
        assert [(e.initiative.title, e.quiet_days) for e in mine.stalled] == [("Stille Straat", 30)]
        by_title = {e.initiative.title: e.quiet_days for e in mine.entries}
        assert by_title["Doe-Dag"] == 0  # the action that took place is a sign of life
        data = await digest(session, coach, now, stall_days=s.settings.stall_days)
        assert data.stalled == [("Stille Straat", 30)]
        inserted = await stall_scan(
            session, now, RuleTimings(), stall_days=s.settings.stall_days, tz=zone(None)
        )
    assert inserted == 2  # Anna's nudge and Carla's alert, for Stille Straat only
    queued = await rows(s, select(ScheduledMessage))
    assert {(r.kind, r.initiative_id) for r in queued} == {
        ("nudge", stil.id),
        ("stalled", stil.id),
    }
    english = render_digest(texts_for("en"), data)
    assert "Stille Straat: quiet for 30 days" in english
    assert "Doe-Dag" not in english.split("Quiet, may need a hand")[1].split("Open questions")[0]
    assert "-W" not in english  # the header names its days, not an ISO week

    # The overview shows the same threshold and the same list.
    carla_chat = talker(world, carla)
    await carla_chat.command("overzicht")
    overview = carla_chat.last
    assert "Quiet for 21 days or more" in overview
    quiet_part = overview.split("Open questions")[0]
    assert "Stille Straat (30 days)" in quiet_part
    assert "Doe-Dag" not in quiet_part and "Wachtweg" not in quiet_part


async def test_a_nudge_due_on_the_day_of_an_action_is_not_sent(world: Driver) -> None:
    s = world.services
    anna = await add_person(s, "Anna")
    stil = await add_initiative(
        s, "Stille Straat", quiet_days=30, members=((anna, MemberRole.INITIATOR),)
    )
    async with s.db.transaction() as session:
        now = s.clock.now()
        assert await stall_scan(session, now, RuleTimings(), stall_days=21, tz=zone(None)) == 1
    # Before the nudge goes out, the street holds its action (planned long ago).
    await add_action(world, stil.id or 0, -2)
    world.services.clock.advance(24 * 3600)  # past the quiet hours: the nudge is due
    await sweep(world)
    assert talker(world, anna).messages == []
    (row,) = await rows(s, select(ScheduledMessage))
    assert row.status is OutboxStatus.CANCELLED
    assert row.last_error == "not quiet long enough: an action took place"
