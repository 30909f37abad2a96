"""What WhatsApp's 24-hour window kept from people, visible to coaches: the broadcast
report and the coach's initiative card count it per reason (bot/domain/whatsapp_skips.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.seam import WHATSAPP_BASE
from bot.core.services import Services
from bot.domain import broadcasts, whatsapp_skips
from bot.domain.broadcasts import Audience, report_of
from bot.i18n import texts_for
from bot.views.announcements import render_report
from scheduler import window
from scheduler.dispatch import Decision, Dispatcher
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    Broadcast,
    MemberRole,
    NetworkIdentity,
    OutboxStatus,
    PersonRole,
    Resident,
    ScheduledMessage,
)
from tests.conftest import make_services
from tests.support.driver import Driver
from tests.test_coaches import add_initiative, add_person, talker

_addresses = iter(range(WHATSAPP_BASE + 500, WHATSAPP_BASE + 10_000))


@pytest.fixture
async def world(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    services = make_services(migrated_sqlite_url, clock, flood_max_updates=100_000)
    await services.db.migrate()
    yield Driver(services)
    await services.db.close()


async def on_whatsapp(
    services: Services, name: str, *, opt_in_there: bool, wrote_hours_ago: float | None
) -> Resident:
    """A resident who uses WhatsApp: opted in to announcements (as a resident), and on
    WhatsApp itself or not; their window open or closed."""
    now = services.clock.now()
    address = next(_addresses)
    async with services.db.transaction() as session:
        person = Resident(
            telegram_id=address,
            first_name=name,
            name=name,
            language="nl",
            consented_at=now,
            onboarded_at=now,
            announcements_opt_in=True,
        )
        session.add(person)
        await session.flush()
        session.add(
            NetworkIdentity(
                resident_id=person.id,
                network="whatsapp",
                external_id=f"3161{address % 10_000_000:07d}",
                address=address,
                consented_at=now,
                announcements_opt_in=opt_in_there,
                last_inbound_at=None
                if wrote_hours_ago is None
                else now - timedelta(hours=wrote_hours_ago),
            )
        )
    return person


async def test_the_broadcast_report_says_why_whatsapp_people_did_not_get_it(
    world: Driver,
) -> None:
    s = world.services
    await add_person(s, "Tg", lang="nl", opt_in=True)  # on Telegram: delivered
    for n in range(3):  # said yes to announcements, but not on WhatsApp
        await on_whatsapp(s, f"wa{n}", opt_in_there=False, wrote_hours_ago=1)
    await on_whatsapp(s, "quiet", opt_in_there=True, wrote_hours_ago=30)  # window closed
    async with s.db.transaction() as session:
        broadcast, recipients = await broadcasts.start(
            session,
            author=None,
            text="Infoavond warmtenet",
            link_url=None,
            link_label=None,
            audience=Audience(),
            now=s.clock.now(),
            via="cli",
        )
    assert recipients.count == 5
    await Dispatcher(s, world.delivery).sweep()
    async with s.db.transaction() as session:
        report = await report_of(session, broadcast.id or 0)
        stored = await session.get(Broadcast, broadcast.id)
    assert (report.delivered, report.failed) == (1, 0)
    assert report.whatsapp == {whatsapp_skips.NOT_OPTED_IN: 3}
    assert report.whatsapp_waiting == 1
    assert stored is not None
    text = render_report(texts_for("nl"), stored, report)
    assert "📵 3 niet bezorgd: wil geen berichten van coaches op WhatsApp" in text
    assert "💬 1 wacht tot ze weer iets sturen op WhatsApp" in text
    assert "Mislukt" not in text


async def test_the_gate_skips_a_reminder_outside_the_window_without_a_template(
    world: Driver,
) -> None:
    s = world.services
    person = await on_whatsapp(s, "late", opt_in_there=True, wrote_hours_ago=25)
    now = s.clock.now()
    row = ScheduledMessage(
        kind="reminder", dedupe_key="reminder:x", resident_id=person.id, due_at=now
    )
    async with s.db.transaction() as session:
        decided = await window.gate(
            session, row, s.registry.kinds["reminder"], person, [], now, s.settings
        )
        assert decided == (Decision.SKIPPED, whatsapp_skips.NO_TEMPLATE, None)
        # Within the window it goes as it is.
        identity = (await session.execute(select(NetworkIdentity))).scalar_one()
        identity.last_inbound_at = now - timedelta(hours=23)
        assert (
            await window.gate(
                session, row, s.registry.kinds["reminder"], person, [], now, s.settings
            )
            is None
        )


async def test_the_coach_card_counts_what_whatsapp_kept_from_the_members(
    world: Driver,
) -> None:
    s = world.services
    carla = await add_person(s, "Carla", lang="nl", role=PersonRole.COACH)
    anna = await on_whatsapp(s, "Anna", opt_in_there=True, wrote_hours_ago=30)
    initiative = await add_initiative(
        s, "Tegels eruit", coach=carla, members=((anna, MemberRole.INITIATOR),)
    )
    now = s.clock.now()
    async with s.db.transaction() as session:
        action = Action(
            initiative_id=initiative.id or 0, title="Wippen", starts_at=now + timedelta(days=1)
        )
        session.add(action)
        await session.flush()
        rows = [
            ("reminder", OutboxStatus.CANCELLED, whatsapp_skips.NO_TEMPLATE, action.id, None),
            ("reminder", OutboxStatus.CANCELLED, whatsapp_skips.NO_TEMPLATE, action.id, None),
            ("followup", OutboxStatus.CANCELLED, whatsapp_skips.GAVE_UP_REASON, action.id, None),
            ("nudge", OutboxStatus.PENDING, whatsapp_skips.WAITING, None, initiative.id),
            ("nudge", OutboxStatus.CANCELLED, "the person is gone", None, initiative.id),
        ]
        for n, (kind, status, reason, action_id, initiative_id) in enumerate(rows):
            session.add(
                ScheduledMessage(
                    kind=kind,
                    dedupe_key=f"{kind}:{n}",
                    resident_id=anna.id,
                    action_id=action_id,
                    initiative_id=initiative_id,
                    due_at=now - timedelta(hours=n),
                    status=status,
                    last_error=reason,
                )
            )
    coach = talker(world, carla)
    await coach.command("overzicht")
    await coach.press("Tegels eruit")
    card = coach.last
    assert "Op WhatsApp, de laatste 14 dagen:" in card
    assert "• 📵 2 niet bezorgd: buiten het 24-uursvenster van WhatsApp" in card
    assert "• 📵 1 niet bezorgd: 14 dagen geen bericht op WhatsApp" in card
    assert "• 💬 1 wacht tot ze weer iets sturen op WhatsApp" in card
    assert "is gone" not in card


async def test_old_skips_are_not_on_the_card(world: Driver, clock: FakeClock) -> None:
    s = world.services
    carla = await add_person(s, "Carla", lang="nl", role=PersonRole.COACH)
    initiative = await add_initiative(s, "Stille straat", coach=carla)
    async with s.db.transaction() as session:
        session.add(
            ScheduledMessage(
                kind="nudge",
                dedupe_key="nudge:old",
                initiative_id=initiative.id,
                due_at=clock.now() - timedelta(days=20),
                status=OutboxStatus.CANCELLED,
                last_error=whatsapp_skips.NO_TEMPLATE,
            )
        )
    coach = talker(world, carla)
    await coach.command("overzicht")
    await coach.press("Stille straat")
    assert "Op WhatsApp" not in coach.last
    async with s.db.transaction() as session:
        assert (await session.execute(select(ScheduledMessage))).scalar_one().last_error
