"""Answering an invitation: coming / maybe / can't with totals, the waiting list and
moving up, names only for initiators, a double press, closed actions, non-members,
and the rules themselves on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.core.events import RsvpGiven
from bot.core.payloads import pack
from bot.core.seam import AnswerButton, ButtonPress
from bot.domain.actions import (
    RsvpTotals,
    give_rsvp,
    held_actions,
    participants,
    totals,
    upcoming_actions,
    waitlist,
)
from scheduler.timing import FakeClock
from storage.models import Action, ActionStatus, Rsvp, RsvpAnswer
from tests.support.driver import Driver
from tests.test_journey_actions import (
    collect_events,
    get,
    onboard,
    plan,
    press_payload,
    resident_of,
    seed_initiative,
    services,  # noqa: F401  (the fixture without the flood guard)
    sqlite_services,  # noqa: F401
)


async def test_coming_maybe_and_cant_with_totals(driver: Driver) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob", "en")
    cas = await onboard(driver, "Cas")
    dave = await onboard(driver, "Dave")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas, dave))
    action = await plan(anna, iid)

    announcement = bob.messages[-1]
    await bob.press("I'm coming")
    assert announcement.edits == 1  # the pressed message shows the answer, in place
    assert "✓ Noted: you're coming. See you there!" in announcement.plain
    assert "Coming: 1 · maybe: 0 · can't: 0" in announcement.plain
    assert "Your answer: you're coming" in announcement.plain
    assert announcement.labels[:3] == ["✓ I'm coming", "Maybe", "I can't come"]
    assert driver.sender.answered[-1].text == "See you there!"

    await cas.press("Misschien")
    assert "✓ Genoteerd: misschien." in cas.last
    await dave.press("Ik kan niet")
    assert "Komen: 1 · misschien: 1 · kunnen niet: 1" in dave.last
    assert "Jouw antwoord: je kunt niet" in dave.last

    # Changing an answer changes the one row.
    await cas.press("Ik kom")
    assert "Komen: 2 · misschien: 0 · kunnen niet: 1" in cas.last
    async with driver.services.db.transaction() as session:
        rows = (await session.execute(select(Rsvp))).scalars().all()
        assert len(rows) == 3
        assert await totals(session, action.id or 0) == RsvpTotals(coming=2, maybe=0, no=1)
    bob_id, cas_id, dave_id = [(await resident_of(driver, t)).id or 0 for t in (bob, cas, dave)]
    assert [e for e in seen if isinstance(e, RsvpGiven)] == [
        RsvpGiven(action.id or 0, bob_id, RsvpAnswer.COMING),
        RsvpGiven(action.id or 0, cas_id, RsvpAnswer.MAYBE),
        RsvpGiven(action.id or 0, dave_id, RsvpAnswer.NO),
        RsvpGiven(action.id or 0, cas_id, RsvpAnswer.COMING),
    ]

    # The initiator's card shows the totals too.
    await press_payload(anna, pack("act", "show", action.id))
    assert "Komen: 2 · misschien: 0 · kunnen niet: 1" in anna.last


async def test_capacity_two_puts_the_third_on_the_waiting_list_and_moves_them_up(
    driver: Driver,
) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob", "en")
    cas = await onboard(driver, "Cas")
    dave = await onboard(driver, "Dave")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas, dave))
    action = await plan(anna, iid, capacity=2)
    assert "Plekken: 2 (2 vrij)" in anna.last

    await bob.press("I'm coming")
    await cas.press("Ik kom")
    await dave.press("Ik kom")
    assert "Alle plekken zijn bezet. Je staat op de wachtlijst: plek 1." in dave.last
    assert "Jouw antwoord: op de wachtlijst, plek 1" in dave.last
    assert dave.buttons[:3] == ["⏳ Op de wachtlijst", "Misschien", "Ik kan niet"]  # no place yet
    assert "Komen: 2 · misschien: 0 · kunnen niet: 0 · wachtlijst: 1" in dave.last
    assert driver.sender.answered[-1].text == "Vol: je staat op de wachtlijst."
    await anna.press("Ik kom")
    assert "wachtlijst: plek 2" in anna.last
    async with driver.services.db.transaction() as session:
        assert [p.display_name for p in await participants(session, action.id or 0)] == [
            "Bob",
            "Cas",
        ]

    # Bob cannot come after all: Dave moves up, and is told in his own chat.
    dave_seen = len(dave.messages)
    await bob.press("I can't come")
    assert "✓ Noted: you can't come." in bob.last
    assert len(dave.messages) == dave_seen + 1
    assert "🎉 Goed nieuws: er is een plek vrijgekomen voor Tegelwipdag" in dave.last
    assert "Je komt!" in dave.last
    assert dave.buttons[:3] == ["✓ Ik kom", "Misschien", "Ik kan niet"]
    assert "Vol" not in anna.messages[-1].plain  # Anna is still waiting, now first
    anna_id = (await resident_of(driver, anna)).id
    async with driver.services.db.transaction() as session:
        names = [p.display_name for p in await participants(session, action.id or 0)]
        queue = await waitlist(session, action.id or 0)
    assert names == ["Cas", "Dave"]
    assert [row.resident_id for row in queue] == [anna_id]
    dave_id = (await resident_of(driver, dave)).id or 0
    assert RsvpGiven(action.id or 0, dave_id, RsvpAnswer.COMING, True) in seen

    # Anna sees her place move up on her card.
    await press_payload(anna, pack("act", "show", action.id))
    assert "Jouw antwoord: op de wachtlijst, plek 1" in anna.last
    assert "Plekken: 2 (0 vrij)" in anna.last

    # Dave says maybe: Anna gets the place.
    await dave.press("Misschien")
    assert "er is een plek vrijgekomen voor Tegelwipdag" in anna.last


async def test_only_the_initiator_sees_who_is_coming(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas,))
    action = await plan(anna, iid, capacity=1)
    await bob.press("Ik kom")
    await cas.press("Ik kom")  # waiting list

    await press_payload(bob, pack("act", "show", action.id))
    assert "Wie komt er?" not in bob.buttons
    assert "Bob" not in bob.last.split("\n", 1)[1] and "Cas" not in bob.last
    await press_payload(bob, pack("rsvp", "who", action.id))  # forged: refused
    assert "Alleen de initiatiefnemers van dit initiatief zien wie er komt." in bob.last
    assert "Cas" not in bob.last

    await press_payload(anna, pack("act", "show", action.id))
    await anna.press("Wie komt er?")
    assert "Wie komt er naar Tegelwipdag" in anna.last
    assert "Komen:\n• Bob" in anna.last
    assert "Wachtlijst:\n1. Cas" in anna.last


async def test_a_double_press_changes_nothing_and_says_so_briefly(driver: Driver) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, followers=(bob,))
    action = await plan(anna, iid)
    announcement = bob.messages[-1]
    coming = next(b for row in announcement.buttons for b in row if b.label == "Ik kom")
    await bob.event(ButtonPress(coming.payload or "", "q-1", announcement.message_id))
    shown, count = announcement.plain, len(bob.messages)
    replies = await bob.event(ButtonPress(coming.payload or "", "q-2", announcement.message_id))
    assert replies == [AnswerButton("q-2", "Dat had je al geantwoord.")]
    assert announcement.plain == shown and len(bob.messages) == count
    assert len([e for e in seen if isinstance(e, RsvpGiven)]) == 1
    # Without a message to show it on (the console), the card is sent again.
    await press_payload(bob, pack("rsvp", action.id, "c"))
    assert "Jouw antwoord: je komt" in bob.last
    async with driver.services.db.transaction() as session:
        assert len((await session.execute(select(Rsvp))).scalars().all()) == 1


async def test_a_cancelled_or_past_action_takes_no_answers(
    driver: Driver, clock: FakeClock
) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, followers=(bob,))
    first = await plan(anna, iid, title="Buurtborrel")
    second = await plan(anna, iid, title="Tegelwipdag", when="zo 13 dec 14:00")
    await press_payload(anna, pack("act", "cancelok", first.id))
    await press_payload(bob, pack("rsvp", first.id, "c"))
    assert "Buurtborrel is afgelast. Je kunt dus niet meer antwoorden." in bob.last
    assert driver.sender.answered[-1].text == "Antwoorden kan niet meer."
    assert "Bekijk de activiteit" in bob.buttons

    clock.set(datetime(2026, 12, 13, 14, 30, tzinfo=UTC))
    await press_payload(bob, pack("rsvp", second.id, "m"))
    assert "Tegelwipdag is al geweest. Je kunt dus niet meer antwoorden." in bob.last
    async with driver.services.db.transaction() as session:
        assert (await session.execute(select(Rsvp))).first() is None


async def test_someone_outside_the_initiative_is_told_kindly(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    eve = await onboard(driver, "Eve", "en")
    iid = await seed_initiative(driver, anna, followers=(bob,))
    action = await plan(anna, iid)
    # Bob forwarded the announcement; Eve presses its button.
    await press_payload(eve, pack("rsvp", action.id, "c"))
    assert "This invitation is for the members of the initiative that planned it." in eve.last
    assert "Ask the neighbour who sent it to you for the invitation link." in eve.last
    assert eve.buttons == ["Back to the menu"]
    await press_payload(eve, pack("act", "show", action.id))
    assert "Tegelwipdag" not in eve.last
    async with driver.services.db.transaction() as session:
        assert (await session.execute(select(Rsvp))).first() is None


async def test_a_forged_answer_or_unknown_action_is_refused(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    action = await plan(anna, iid)
    for payload in (
        f"1:rsvp:{action.id}:x",
        "1:rsvp:999999:c",
        "1:rsvp:99999999999:c",
        "1:rsvp::c",
        "1:rsvp:who:abc",
    ):
        await anna.event(ButtonPress(payload, "q", None))
        assert anna.buttons, payload
        assert "Er ging iets mis" not in anna.last


# --- the rules, on both databases ------------------------------------------------------------


async def test_rules_waiting_list_order_and_queries(db_driver: Driver, clock: FakeClock) -> None:
    anna = await onboard(db_driver, "Anna")
    people = [await onboard(db_driver, name) for name in ("Bob", "Cas", "Dave", "Eva")]
    iid = await seed_initiative(db_driver, anna, followers=tuple(people))
    action = await plan(anna, iid, capacity=1)
    later = await plan(anna, iid, title="Later", when="za 19 dec 14:00")
    ids = [(await resident_of(db_driver, person)).id or 0 for person in people]
    now = clock.now()
    async with db_driver.services.db.transaction() as session:
        stored = await session.get(Action, action.id)
        assert stored is not None
        # The clock stands still, yet the waiting list keeps its order.
        results = [await give_rsvp(session, stored, rid, RsvpAnswer.COMING, now) for rid in ids]
        assert [r.place for r in results] == [None, 1, 2, 3]
        assert all(r.changed for r in results)
        again = await give_rsvp(session, stored, ids[2], RsvpAnswer.COMING, now)
        assert not again.changed and again.place == 2 and again.events() == []
        # The second in line gives up: the third moves to place 2.
        await give_rsvp(session, stored, ids[2], RsvpAnswer.NO, now)
        assert [r.resident_id for r in await waitlist(session, action.id or 0)] == [
            ids[1],
            ids[3],
        ]
        # The one with a place gives up: the first in line gets it.
        result = await give_rsvp(session, stored, ids[0], RsvpAnswer.MAYBE, now)
        assert [row.resident_id for row in result.promoted] == [ids[1]]
        assert RsvpGiven(action.id or 0, ids[1], RsvpAnswer.COMING, True) in result.events()
        assert [p.id for p in await participants(session, action.id or 0)] == [ids[1]]
        assert await totals(session, action.id or 0) == RsvpTotals(1, 1, 1, 1)

        assert [a.id for a in await upcoming_actions(session, iid, now)] == [action.id, later.id]
        assert [a.id for a in await upcoming_actions(session, iid, now, limit=1)] == [action.id]
        stored.status = ActionStatus.HELD
        await session.flush()
        assert [a.id for a in await held_actions(session, iid)] == [action.id]
        assert [a.id for a in await upcoming_actions(session, iid, now)] == [later.id]
        assert await upcoming_actions(session, iid, now + timedelta(days=30)) == []


async def test_two_neighbours_pressing_at_once_never_share_the_last_place(
    db_driver: Driver,
) -> None:
    anna = await onboard(db_driver, "Anna")
    bob = await onboard(db_driver, "Bob")
    cas = await onboard(db_driver, "Cas")
    iid = await seed_initiative(db_driver, anna, followers=(bob, cas))
    action = await plan(anna, iid, capacity=1)
    await asyncio.gather(
        press_payload(bob, pack("rsvp", action.id, "c")),
        press_payload(cas, pack("rsvp", action.id, "c")),
    )
    async with db_driver.services.db.transaction() as session:
        assert await totals(session, action.id or 0) == RsvpTotals(coming=1, waitlist=1)
    assert (await get(db_driver, Action, action.id or 0)).capacity == 1


async def test_changing_the_number_of_places_moves_the_waiting_list_up(driver: Driver) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob", "en")
    cas = await onboard(driver, "Cas")
    dave = await onboard(driver, "Dave")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas, dave))
    action = await plan(anna, iid, capacity=1)
    await bob.press("I'm coming")
    await cas.press("Ik kom")
    await dave.press("Ik kom")
    assert "wachtlijst: plek 2" in dave.last

    await press_payload(anna, pack("act", "show", action.id))
    await anna.press("Tijd of plek wijzigen")
    await anna.press("Aantal plekken")
    await anna.send("2")
    assert "✅ Bewaard. 1 persoon is van de wachtlijst doorgeschoven" in anna.last
    assert "Good news" not in bob.last
    assert "Goed nieuws: er is een plek vrijgekomen voor Tegelwipdag" in cas.last
    dave_id = (await resident_of(driver, dave)).id or 0
    async with driver.services.db.transaction() as session:
        assert [r.resident_id for r in await waitlist(session, action.id or 0)] == [dave_id]
    assert (await get(driver, Action, action.id or 0)).capacity == 2
    cas_id = (await resident_of(driver, cas)).id or 0
    assert RsvpGiven(action.id or 0, cas_id, RsvpAnswer.COMING, True) in seen

    await anna.press("Tijd of plek wijzigen")
    await anna.press("Aantal plekken")
    await anna.send("1")  # fewer places: nobody loses theirs
    assert "Er hebben al 2 mensen gezegd dat ze komen; zij houden hun plek." in anna.last
    async with driver.services.db.transaction() as session:
        assert await totals(session, action.id or 0) == RsvpTotals(coming=2, waitlist=1)

    await anna.press("Tijd of plek wijzigen")
    await anna.press("Aantal plekken")
    await anna.press("Geen limiet")
    assert "1 persoon is van de wachtlijst doorgeschoven" in anna.last
    assert (await get(driver, Action, action.id or 0)).capacity is None
