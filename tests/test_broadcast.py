"""Announcements: a coach composes one by buttons, sees the preview and the exact count,
sends it; it reaches exactly the opted-in people of the chosen segment — no one else, no
one twice — through flood control and a blocked recipient; the progress message and the
report count what the sender really sent; cancelling stops what was not sent; residents
stop (and restart) announcements with one tap."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core.payloads import pack
from bot.core.seam import ButtonPress, RateLimited, RecipientGone, SendText
from bot.domain.broadcasts import (
    Audience,
    LinkError,
    Reach,
    Who,
    check_link,
    report_of,
    select_recipients,
    start,
)
from bot.domain.coaches import Area
from bot.i18n import escape
from scheduler.pacing import Priority
from scheduler.timing import FakeClock
from storage.models import (
    AuditLog,
    Broadcast,
    BroadcastStatus,
    GroupChat,
    MemberRole,
    OutboxStatus,
    PersonRole,
    Phase,
    Resident,
    ScheduledMessage,
    Theme,
)
from tests.support.driver import Driver
from tests.test_coaches import (
    _driver,
    add_initiative,
    add_person,
    get,
    rows,
    sweep,
    talker,
)

TEXT = "Infoavond <zonnepanelen> & isolatie: donderdag 20:00 in het buurthuis!"
_chats = itertools.count(-100_500)


@pytest.fixture
async def world(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_sqlite_url, clock):
        yield driver


@pytest.fixture
async def db_world(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_database_url, clock):
        yield driver


async def neighbourhood(world: Driver) -> dict:
    """A coach for 3500–3599 and Oud-West, initiatives inside and outside, and residents
    in every relation to them: opted in or not, reachable or not, in one role or another."""
    s = world.services
    carla = await add_person(
        s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599), Area(neighbourhood="Oud-West"))
    )
    olaf = await add_person(s, "Olaf", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    p: dict[str, Resident] = {}
    for name, lang, opt_in, reachable, postcode in (
        ("a1", "nl", True, True, "3511 AB"),
        ("a2", "en", True, True, None),  # team member
        ("a3", "nl", True, True, None),  # follower
        ("a4", "nl", False, True, None),  # initiator, said no
        ("a5", "nl", True, False, None),  # initiator, blocked the bot earlier
        ("a6", "en", True, True, None),  # initiator: flood control on the way
        ("a7", "nl", True, True, None),  # initiator: blocks the bot before it arrives
        ("a8", "nl", True, True, None),  # initiator: stops announcements after the send
        ("b1", "nl", True, True, "3520"),  # initiator of the collective purchase
        ("c1", "en", True, True, None),  # initiator in Oud-West and of Groene Lindelaan
        ("d1", "nl", True, True, "1012"),  # initiator outside Carla's areas
        ("p1", "nl", True, True, "3515"),  # lives in the area, in no initiative
        ("p2", "nl", False, True, "3516"),  # lives in the area, said no
    ):
        p[name] = await add_person(
            s, name, lang=lang, opt_in=opt_in, reachable=reachable, postcode=postcode
        )
    ini, team, fol = MemberRole.INITIATOR, MemberRole.TEAM, MemberRole.FOLLOWER
    green = await add_initiative(
        s,
        "Groene Lindelaan",
        area="3511",
        theme=Theme.GREENER,
        phase=Phase.ACTIVATE,
        coach=carla,
        members=(
            (p["a1"], ini),
            (p["a2"], team),
            (p["a3"], fol),
            (p["a4"], ini),
            (p["a5"], ini),
            (p["a6"], ini),
            (p["a8"], ini),
            (p["c1"], ini),
        ),
    )
    solar = await add_initiative(
        s,
        "Zon op Zuid",
        area="3520",
        theme=Theme.COLLECTIVE_PURCHASE,
        phase=Phase.STRUCTURE,
        coach=carla,
        members=((p["b1"], ini),),
    )
    west = await add_initiative(
        s,
        "Oud-West Groen",
        place="Oud-West",
        area=None,
        theme=Theme.GREENER,
        coach=carla,
        members=((p["c1"], ini), (p["a7"], ini)),
    )
    elsewhere = await add_initiative(
        s, "Elders Groen", area="1010", theme=Theme.GREENER, coach=olaf, members=((p["d1"], ini),)
    )
    return {
        "carla": carla,
        "olaf": olaf,
        "people": p,
        "green": green,
        "solar": solar,
        "west": west,
        "elsewhere": elsewhere,
    }


def received(world: Driver, text: str = TEXT) -> Counter[int]:
    """How many announcements each chat got, from what the sender recorded (the whole
    text: the coach's progress message and report quote only its start)."""
    counts: Counter[int] = Counter()
    for action in world.sender.sent:
        if not isinstance(action, SendText) or escape(text) not in action.text:
            continue
        payloads = {button.payload for row in action.buttons for button in row}
        if pack("bc", "pv") not in payloads:  # not the coach's preview
            counts[action.chat_id] += 1
    return counts


async def compose(world: Driver, who: Resident, *, link: bool = True) -> None:
    coach = talker(world, who)
    await coach.command("bericht")
    assert "New announcement" in coach.last
    await coach.send(TEXT)
    if link:
        await coach.send("https://example.nl/aanmelden?avond=1")
        await coach.send("Aanmelden")
    else:
        await coach.press("No link")


# --- the segment, end to end -------------------------------------------------------------------


async def test_a_broadcast_reaches_exactly_the_opted_in_members_of_the_segment(
    world: Driver, clock: FakeClock
) -> None:
    seed = await neighbourhood(world)
    p = seed["people"]
    carla = talker(world, seed["carla"])
    await compose(world, seed["carla"])
    assert "👥 9 people get it." in carla.last  # everyone in her areas who opted in
    await carla.press("Theme: any")
    await carla.press("Greener / climate adaptation")
    await carla.press("Who: All residents")
    await carla.press("Initiators")
    audience = carla.last
    assert "theme Greener / climate adaptation · initiators" in audience
    assert "👥 5 people get it." in audience
    assert "Everyone in my area who opted in" in carla.buttons

    await carla.press("Show the preview")
    preview = carla.messages[-2]
    assert "📣 Announcement from Carla, neighbourhood coach" in preview.plain
    assert TEXT in preview.plain
    assert preview.labels == ["Aanmelden", "Stop announcements"]
    assert preview.buttons[0][0].url == "https://example.nl/aanmelden?avond=1"
    assert "This announcement goes to 5 people" in carla.last
    await carla.press("Stop announcements")  # in the preview: it does nothing
    assert (await get(world.services, Resident, seed["carla"].id)).announcements_opt_in is False
    assert world.sender.answered[-1].text == "This is the preview: this button does nothing here."

    await carla.press("Send it now")
    progress = carla.messages[-2]
    assert "Sending your announcement" in progress.plain and "Delivered: 0 of 5" in progress.plain
    assert progress.labels == ["Cancel the announcement"]
    [broadcast] = await rows(world.services, select(Broadcast))
    outbox = await rows(
        world.services, select(ScheduledMessage).where(ScheduledMessage.kind == "broadcast")
    )
    expected = {p[name].id for name in ("a1", "a6", "a7", "a8", "c1")}
    assert {row.resident_id for row in outbox} == expected
    assert {row.dedupe_key for row in outbox} == {
        f"broadcast:{broadcast.id}:{ident}" for ident in expected
    }
    assert {(row.priority, row.broadcast_id) for row in outbox} == {
        (Priority.BROADCAST, broadcast.id)
    }

    # Before it goes out: a8 stops announcements; flood control and a block on the way.
    a8 = talker(world, p["a8"])
    await a8.command("aankondigingen")
    await a8.press("Stop met deze berichten")
    world.sender.fail_next(p["a6"].telegram_id, RateLimited(3))
    world.sender.fail_next(p["a7"].telegram_id, RecipientGone("Forbidden: bot was blocked"))
    await sweep(world)

    got = received(world)
    assert got == {p["a1"].telegram_id: 1, p["a6"].telegram_id: 1, p["c1"].telegram_id: 1}
    dutch = talker(world, p["a1"]).messages[-1]
    assert "📣 Bericht van Carla, buurtcoach" in dutch.plain and TEXT in dutch.plain
    assert dutch.labels == ["Aanmelden", "Stop met deze berichten"]
    english = talker(world, p["c1"]).messages[-1]
    assert english.labels == ["Aanmelden", "Stop announcements"]
    assert (await get(world.services, Resident, p["a7"].id)).reachable is False

    clock.advance(timedelta(seconds=5))
    await sweep(world)
    assert "Announcement sent" in progress.plain and progress.buttons == ()
    report = carla.last
    delivered = sum(got.values())
    assert f"Delivered: {delivered} of 5" in report
    assert "Unreachable (blocked the bot or gone): 1" in report
    assert "Stopped announcements since: 1" in report
    assert "Failed" not in report
    assert carla.buttons[0] == "New announcement"
    after = await get(world.services, Broadcast, broadcast.id)
    assert after.status is BroadcastStatus.DONE and after.finished_at == clock.now()
    assert after.progress_message_id == progress.message_id
    counted = await _report(world, broadcast.id)
    assert (counted.delivered, counted.unreachable, counted.opted_out, counted.failed) == (
        3,
        1,
        1,
        0,
    )
    actions = [e.action for e in await rows(world.services, select(AuditLog))]
    assert actions.count("broadcast") == 1 and actions.count("broadcast_finished") == 1

    # Nothing more goes out later: not the announcement, not another report.
    before = len(world.sender.sent)
    clock.advance(timedelta(minutes=5))
    await sweep(world)
    assert len(world.sender.sent) == before


async def _report(world: Driver, broadcast_id: int | None):  # type: ignore[no-untyped-def]
    async with world.services.db.transaction() as session:
        return await report_of(session, broadcast_id or 0)


async def test_the_stop_button_on_an_announcement_and_the_way_back(world: Driver) -> None:
    seed = await neighbourhood(world)
    await compose(world, seed["carla"], link=False)
    carla = talker(world, seed["carla"])
    await carla.press("Show the preview")
    assert carla.messages[-2].labels == ["Stop announcements"]  # no link: only the stop button
    await carla.press("Send it now")
    await sweep(world)
    c1 = talker(world, seed["people"]["c1"])
    await c1.press("Stop announcements")
    assert "you don't get announcements from coaches any more" in c1.last
    assert "/announcements" in c1.last  # the English name of the command
    assert c1.buttons == ["Yes, send me announcements", "Back to the menu"]
    assert (
        await get(world.services, Resident, seed["people"]["c1"].id)
    ).announcements_opt_in is False
    await c1.press("Yes, send me announcements")
    assert "From now on you get announcements" in c1.last
    assert (await get(world.services, Resident, seed["people"]["c1"].id)).announcements_opt_in


async def test_a_resident_chooses_announcements_with_a_command(world: Driver) -> None:
    anna = talker(world, await add_person(world.services, "Anna", lang="nl"))
    await anna.command("aankondigingen")
    assert "Je krijgt ze nu niet." in anna.last
    await anna.press("Ja, stuur me berichten")
    assert "Vanaf nu krijg je berichten van de buurtcoaches." in anna.last
    await anna.command("announcements")
    assert "Je krijgt ze:" in anna.last and anna.buttons[0] == "Stop met deze berichten"


async def test_cancelling_stops_every_message_not_yet_sent(world: Driver, clock: FakeClock) -> None:
    seed = await neighbourhood(world)
    await compose(world, seed["carla"], link=False)
    carla = talker(world, seed["carla"])
    await carla.press("Show the preview")
    await carla.press("Send it now")
    progress = carla.messages[-2]
    await carla.press("Cancel the announcement")
    assert "Announcement cancelled" in progress.plain and progress.buttons == ()
    assert "Report of your cancelled announcement" in carla.last
    assert "Not sent (cancelled): 9" in carla.last and "Delivered: 0 of 9" in carla.last
    [broadcast] = await rows(world.services, select(Broadcast))
    assert broadcast.status is BroadcastStatus.CANCELLED
    statuses = Counter(
        (row.status, row.last_error)
        for row in await rows(
            world.services, select(ScheduledMessage).where(ScheduledMessage.kind == "broadcast")
        )
    )
    assert statuses == {(OutboxStatus.CANCELLED, "cancelled"): 9}
    await sweep(world)
    clock.advance(timedelta(seconds=10))
    await sweep(world)
    assert received(world) == Counter()
    actions = [e.action for e in await rows(world.services, select(AuditLog))]
    assert "broadcast_cancelled" in actions
    # An old cancel button (pressed again) only shows the report.
    await carla.event(ButtonPress(pack("bc", "cancel", broadcast.id), "q-again", None))
    assert "Report of your cancelled announcement" in carla.last
    assert actions.count("broadcast_cancelled") == 1


async def test_only_the_author_or_an_operator_cancels(world: Driver) -> None:
    seed = await neighbourhood(world)
    await compose(world, seed["carla"], link=False)
    carla = talker(world, seed["carla"])
    await carla.press("Show the preview")
    await carla.press("Send it now")
    [broadcast] = await rows(world.services, select(Broadcast))
    olaf = talker(world, seed["olaf"])
    await olaf.event(ButtonPress(pack("bc", "cancel", broadcast.id), "q-olaf", None))
    assert olaf.last == "Sorry, only the coach who sent this announcement can cancel it."
    assert (await get(world.services, Broadcast, broadcast.id)).status is BroadcastStatus.SENDING
    refused = await rows(
        world.services, select(AuditLog).where(AuditLog.actor_id == seed["olaf"].id)
    )
    assert [(e.action, e.subject) for e in refused] == [("refused", f"broadcast:{broadcast.id}")]
    otto = talker(world, await add_person(world.services, "Otto", role=PersonRole.OPERATOR))
    await otto.event(ButtonPress(pack("bc", "cancel", broadcast.id), "q-otto", None))
    assert "Report of your cancelled announcement" in otto.last
    assert (await get(world.services, Broadcast, broadcast.id)).status is BroadcastStatus.CANCELLED


async def test_a_row_claimed_after_cancelling_is_skipped_as_cancelled(world: Driver) -> None:
    seed = await neighbourhood(world)
    async with world.services.db.transaction() as session:
        carla = await session.get(Resident, seed["carla"].id)
        broadcast, _ = await start(
            session,
            author=carla,
            text=TEXT,
            link_url=None,
            link_label=None,
            audience=Audience(coach_id=carla.id),  # type: ignore[union-attr]
            now=world.services.clock.now(),
            via="test",
        )
        broadcast.status = BroadcastStatus.CANCELLED  # cancelled while rows were claimed
    await sweep(world)
    assert received(world) == Counter()
    report = await _report(world, broadcast.id)
    assert report.cancelled == report.total == 9


# --- composing: kind answers and the choices again -----------------------------------------------


@pytest.mark.parametrize(
    "typed", ["ftp://example.nl/x", "example.nl", "https://localhost/x", "https://exa mple.nl"]
)
async def test_a_link_must_be_a_web_address(world: Driver, typed: str) -> None:
    seed = await neighbourhood(world)
    carla = talker(world, seed["carla"])
    await carla.command("bericht")
    await carla.send(TEXT)
    await carla.send(typed)
    assert "That isn't a web address I can use" in carla.last
    assert carla.buttons == ["No link", "Back to the menu"]
    await carla.send("http://buurthuis.example.nl/info")
    assert "What should the button of the link say?" in carla.last


def test_check_link() -> None:
    assert check_link(" https://example.nl/a?b=1 ") == "https://example.nl/a?b=1"
    for bad in ("javascript:alert(1)", "https://", "http://nodot", "https://x.nl:port/"):
        with pytest.raises(LinkError, match=r"^not an (http\(s\) )?address$"):
            check_link(bad)


async def test_the_text_is_at_most_3500_characters(sqlite_url: str, clock: FakeClock) -> None:
    async for world in _driver(sqlite_url, clock, max_text_length=4096):
        coach = await add_person(
            world.services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),)
        )
        carla = talker(world, coach)
        await carla.command("bericht")
        await carla.send("x" * 3501)
        assert "That's a bit long: 3501 characters. Could you keep it under 3500?" in carla.last
        await carla.send("Kort en goed")
        assert "Do you want to add a link" in carla.last


async def test_an_empty_audience_is_said_kindly_and_the_choices_come_again(world: Driver) -> None:
    lonely = await add_person(
        world.services, "Lonny", role=PersonRole.COACH, areas=(Area(9000, 9099),)
    )
    await compose(world, lonely, link=False)
    coach = talker(world, lonely)
    assert "👥 0 people get it." in coach.last
    await coach.press("Show the preview")
    assert "Nobody in this audience said yes to announcements yet." in coach.last
    assert "Show the preview" in coach.buttons
    assert await rows(world.services, select(Broadcast)) == []


async def test_a_coach_can_narrow_to_one_of_her_areas(world: Driver) -> None:
    seed = await neighbourhood(world)
    carla = talker(world, seed["carla"])
    await compose(world, seed["carla"], link=False)
    await carla.press("Area: all my areas")
    assert carla.buttons[:3] == ["All my areas", "3500–3599", "Oud-West"]
    await carla.press("Oud-West")
    assert "area Oud-West" in carla.last
    assert "👥 2 people get it." in carla.last  # c1 and a7, members in Oud-West
    await carla.press("Everyone in my area who opted in")
    assert "👥 9 people get it." in carla.last


# --- the audience, precisely ---------------------------------------------------------------------


async def test_audiences_combine_with_and_and_count_each_person_once(world: Driver) -> None:
    seed = await neighbourhood(world)
    p = seed["people"]
    carla = seed["carla"].id

    async def names(audience: Audience) -> list[str]:
        async with world.services.db.transaction() as session:
            found = await select_recipients(session, audience)
        by_id = {person.id: name for name, person in p.items()}
        return sorted(by_id.get(ident, "?") for ident in found.resident_ids)

    everyone_of_carla = ["a1", "a2", "a3", "a6", "a7", "a8", "b1", "c1", "p1"]
    assert await names(Audience(coach_id=carla)) == sorted(everyone_of_carla)
    assert await names(Audience(coach_id=carla, who=Who.INITIATORS)) == [
        "a1",
        "a6",
        "a7",
        "a8",
        "b1",
        "c1",
    ]
    assert await names(Audience(coach_id=carla, who=Who.TEAM, theme=Theme.GREENER)) == [
        "a1",
        "a2",
        "a6",
        "a7",
        "a8",
        "c1",
    ]
    assert await names(Audience(coach_id=carla, phase=Phase.STRUCTURE)) == ["b1"]
    assert await names(Audience(coach_id=carla, areas=(Area(3500, 3599),))) == [
        "a1",
        "a2",
        "a3",
        "a6",
        "a8",
        "b1",
        "c1",
        "p1",
    ]
    # A coach cannot reach outside her areas, whatever the audience asks for.
    assert await names(Audience(coach_id=carla, areas=(Area(1000, 1099),))) == []
    # The operator: everyone who opted in and can be reached; or any area.
    assert await names(Audience()) == sorted([*everyone_of_carla, "d1"])
    assert await names(Audience(areas=(Area(1000, 1099),))) == ["d1"]
    assert await names(Audience(theme=Theme.GREENER, who=Who.INITIATORS)) == [
        "a1",
        "a6",
        "a7",
        "a8",
        "c1",
        "d1",
    ]


async def test_street_groups_get_it_without_the_personal_stop_button(
    world: Driver, clock: FakeClock
) -> None:
    seed = await neighbourhood(world)
    linked, gone, other = next(_chats), next(_chats), next(_chats)
    async with world.services.db.transaction() as session:
        session.add_all(
            [
                GroupChat(chat_id=linked, title="Lindelaan", initiative_id=seed["green"].id),
                GroupChat(chat_id=gone, title="Weg", initiative_id=seed["green"].id, active=False),
                GroupChat(chat_id=other, title="Elders", initiative_id=seed["elsewhere"].id),
            ]
        )
    carla = talker(world, seed["carla"])
    await compose(world, seed["carla"])
    await carla.press("Reach: Only people")
    await carla.press("Only street groups")
    assert "👥 0 people get it." in carla.last and "💬 1 street group gets it." in carla.last
    await carla.press("Show the preview")
    assert "This announcement goes to 0 people and 1 street group" in carla.last
    await carla.press("Send it now")
    [row] = await rows(
        world.services, select(ScheduledMessage).where(ScheduledMessage.kind == "broadcast")
    )
    assert row.chat_id == linked and row.dedupe_key.endswith(f":chat:{linked}")
    await sweep(world)
    assert received(world) == {linked: 1}
    [shown] = world.sender.chats[linked]
    assert shown.labels == ["Aanmelden"]  # the link; a group has no personal stop button
    assert "📣 Bericht van Carla, buurtcoach" in shown.plain  # the bot's default language
    clock.advance(timedelta(seconds=5))
    await sweep(world)
    assert "Delivered: 1 of 1" in carla.last


async def test_quiet_hours_hold_an_announcement_until_the_morning(
    world: Driver, clock: FakeClock
) -> None:
    seed = await neighbourhood(world)
    clock.set(datetime(2026, 11, 30, 21, 30, tzinfo=UTC))  # 22:30 in Amsterdam
    carla = talker(world, seed["carla"])
    await compose(world, seed["carla"], link=False)
    await carla.press("Show the preview")
    await carla.press("Send it now")
    progress = carla.messages[-2]
    await sweep(world)
    assert received(world) == Counter()
    clock.advance(timedelta(seconds=5))
    await sweep(world)
    assert "🌙 9 of them get it when their quiet hours end." in progress.plain
    ticks = await rows(
        world.services,
        select(ScheduledMessage).where(
            ScheduledMessage.kind == "broadcast_progress",
            ScheduledMessage.status == OutboxStatus.PENDING,
        ),
    )
    assert [tick.due_at for tick in ticks] == [datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC)]
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 09:00
    await sweep(world)
    assert sum(received(world).values()) == 9
    clock.advance(timedelta(seconds=5))
    await sweep(world)
    assert "Delivered: 9 of 9" in carla.last


async def test_rows_go_in_in_bulk_on_every_database(db_world: Driver) -> None:
    services = db_world.services
    coach = await add_person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    now = services.clock.now()
    async with services.db.transaction() as session:
        session.add_all(
            Resident(
                telegram_id=70_000_000 + n,
                first_name=f"Buur {n}",
                postcode="3511",
                announcements_opt_in=True,
                created_at=now,
                last_seen_at=now,
            )
            for n in range(300)
        )
    async with services.db.transaction() as session:
        author = await session.get(Resident, coach.id)
        broadcast, recipients = await start(
            session,
            author=author,
            text=TEXT,
            link_url=None,
            link_label=None,
            audience=Audience(coach_id=coach.id, reach=Reach.PEOPLE),
            now=now,
            via="test",
        )
    assert recipients.count == 300
    await sweep(db_world)
    assert len(received(db_world)) == 300 and set(received(db_world).values()) == {1}
    report = await _report(db_world, broadcast.id)
    assert (report.total, report.delivered, report.pending) == (300, 300, 0)


def test_an_audience_is_stored_and_read_back_the_same() -> None:
    audience = Audience(
        areas=(Area(1000, 1099), Area(neighbourhood="Oud-West")),
        theme=Theme.SAFER,
        phase=Phase.GROW,
        who=Who.TEAM,
        reach=Reach.BOTH,
        coach_id=7,
    )
    assert Audience.from_json(audience.as_json()) == audience
    assert Audience.from_json(None) == Audience()


# --- rights read again when it is counted and sent ----------------------------------------------


async def set_role(world: Driver, person: Resident, role: PersonRole) -> None:
    async with world.services.db.transaction() as session:
        stored = await session.get(Resident, person.id)
        assert stored is not None
        stored.role = role


async def test_a_draft_reaches_only_what_its_author_may_reach_when_it_is_sent(
    world: Driver,
) -> None:
    """An operator's draft ("everywhere") confirmed after she became a plain coach goes
    to her own areas only: the rights of the moment count, not those of the draft."""
    seed = await neighbourhood(world)
    await set_role(world, seed["carla"], PersonRole.OPERATOR)
    await compose(world, seed["carla"], link=False)
    carla = talker(world, seed["carla"])
    assert "everywhere" in carla.last
    await set_role(world, seed["carla"], PersonRole.COACH)
    await carla.press("Show the preview")
    await carla.press("Send it now")
    await sweep(world)
    got = received(world)
    assert got[seed["people"]["a1"].telegram_id] == 1
    assert seed["people"]["d1"].telegram_id not in got  # outside Carla's areas
    [broadcast] = await rows(world.services, select(Broadcast))
    assert broadcast.audience["coach_id"] == seed["carla"].id


async def test_a_removed_coach_s_announcement_is_not_sent_on(world: Driver) -> None:
    """Removing a coach stops what she was sending; an announcement whose author is no
    longer a coach (by any way) is skipped as cancelled, never sent in her name."""
    from bot.domain.coaches import remove_coach

    seed = await neighbourhood(world)
    await compose(world, seed["carla"], link=False)
    carla = talker(world, seed["carla"])
    await carla.press("Show the preview")
    await carla.press("Send it now")
    async with world.services.db.transaction() as session:
        coach = await session.get(Resident, seed["carla"].id)
        assert coach is not None
        await remove_coach(session, coach, world.services.clock.now(), actor_id=None, via="cli")
    await sweep(world)
    assert received(world) == Counter()
    [broadcast] = await rows(world.services, select(Broadcast))
    assert broadcast.status is BroadcastStatus.CANCELLED

    # Sent by Olaf, who then stops being a coach without the command (the role alone).
    await compose(world, seed["olaf"], link=False)
    olaf = talker(world, seed["olaf"])
    await olaf.press("Show the preview")
    await olaf.press("Send it now")
    await set_role(world, seed["olaf"], PersonRole.RESIDENT)
    await sweep(world)
    assert received(world) == Counter()
    statuses = Counter(
        (row.status, row.last_error)
        for row in await rows(
            world.services,
            select(ScheduledMessage).where(
                ScheduledMessage.kind == "broadcast",
                ScheduledMessage.resident_id == seed["people"]["d1"].id,
            ),
        )
    )
    assert statuses == {(OutboxStatus.CANCELLED, "cancelled"): 1}
