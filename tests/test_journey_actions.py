"""The resident journey, part 2: planning meetings and actions, the action card,
changing and cancelling, tasks, action kits with their checklist and invitation,
quotes, and the after-action review. Tests talk and press buttons by label and read
what each person sees; the clock is a Saturday, 28 November 2026, 10:00 in Amsterdam."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    ActionReviewed,
    PhaseReached,
    RsvpGiven,
)
from bot.core.payloads import pack
from bot.core.seam import (
    AnswerButton,
    ButtonPress,
    Command,
    EditText,
    Outgoing,
    Photo,
    SendText,
    Text,
)
from bot.core.services import Services
from bot.domain.initiatives import new_invite_token
from bot.domain.kits import load_kits
from bot.i18n import texts_for
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    Conversation,
    Initiative,
    MemberRole,
    Membership,
    Outcome,
    OutcomeSource,
    Phase,
    Quote,
    Resident,
    Task,
    Theme,
)
from tests.conftest import make_services
from tests.support.driver import Driver, Talker

# --- fixtures: the conftest's services, without the flood guard (the fake clock stands
# still, and these conversations are long) -------------------------------------------------


@pytest.fixture
async def sqlite_services(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = make_services(migrated_sqlite_url, clock, flood_max_updates=100_000)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.fixture
async def services(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = make_services(migrated_database_url, clock, flood_max_updates=100_000)
    await services.db.migrate()
    yield services
    await services.db.close()


# --- helpers (test_rsvp.py uses them too) -----------------------------------------------------

LABELS = {
    "nl": {
        "yes": "Ja",
        "change": "Wijzigen",
        "no_limit": "Geen limiet",
        "coming": "Ik kom",
        "maybe": "Misschien",
        "cant": "Ik kan niet",
    },
    "en": {
        "yes": "Yes",
        "change": "Change",
        "no_limit": "No limit",
        "coming": "I'm coming",
        "maybe": "Maybe",
        "cant": "I can't come",
    },
}
_queries = itertools.count(1)


def lang_of(talker: Talker) -> str:
    return "en" if (talker.who.language_code or "nl").startswith("en") else "nl"


def label(talker: Talker, key: str) -> str:
    return LABELS[lang_of(talker)][key]


async def onboard(driver: Driver, name: str, lang: str = "nl") -> Talker:
    talker = driver.person(name, lang)
    await talker.command("start")
    await talker.send(name)  # the name is the consent: the question says it is stored
    return talker


async def resident_of(driver: Driver, talker: Talker) -> Resident:
    async with driver.services.db.transaction() as session:
        query = select(Resident).where(Resident.telegram_id == talker.who.id)
        return (await session.execute(query)).scalar_one()


async def seed_initiative(
    driver: Driver,
    initiator: Talker,
    *,
    team: tuple[Talker, ...] = (),
    followers: tuple[Talker, ...] = (),
    title: str = "Groene Lindelaan",
    theme: Theme = Theme.GREENER,
    phase: Phase = Phase.STRUCTURE,
    group_chat_skipped: bool = False,
) -> int:
    """An initiative with its members, written directly (part 1 of the journey makes them
    by conversation; see the full journey below)."""
    people = [(initiator, MemberRole.INITIATOR)]
    people += [(t, MemberRole.TEAM) for t in team] + [(t, MemberRole.FOLLOWER) for t in followers]
    ids = [(await resident_of(driver, talker)).id for talker, _ in people]
    async with driver.services.db.transaction() as session:
        initiative = Initiative(
            title=title,
            what="Tegels eruit, planten erin",
            why="Minder hitte in de zomer",
            place="Lindelaan",
            theme=theme,
            phase=phase,
            invite_token=new_invite_token(),
            group_chat_skipped=group_chat_skipped,
        )
        session.add(initiative)
        await session.flush()
        for number, ((_, role), resident_id) in enumerate(zip(people, ids, strict=True)):
            session.add(
                Membership(
                    initiative_id=initiative.id or 0,
                    resident_id=resident_id or 0,
                    role=role,
                    joined_at=datetime(2026, 11, 1, 12, number, tzinfo=UTC),
                )
            )
        return initiative.id or 0


async def press_payload(talker: Talker, payload: str) -> list[Outgoing]:
    """A button from another part of the bot (the initiative card), pressed."""
    return await talker.event(ButtonPress(payload, f"p{next(_queries)}", None))


async def latest_action(driver: Driver) -> Action:
    async with driver.services.db.transaction() as session:
        query = select(Action).order_by(Action.id.desc())  # type: ignore[union-attr]
        return (await session.execute(query)).scalars().first()  # type: ignore[return-value]


async def get(driver: Driver, model: type, ident: int):  # type: ignore[no-untyped-def]
    async with driver.services.db.transaction() as session:
        return await session.get(model, ident)


async def plan(
    talker: Talker,
    initiative_id: int,
    *,
    kind: str = "action",
    title: str = "Tegelwipdag",
    when: str = "za 12 dec 14:00",
    place: str = "Lindelaan 1",
    capacity: int | None = None,
) -> Action:
    await press_payload(talker, pack("act", "new", initiative_id, kind))
    await talker.send(title)
    await talker.send(when)
    await talker.press(label(talker, "yes"))
    await talker.send(place)
    if capacity is None:
        await talker.press(label(talker, "no_limit"))
    else:
        await talker.send(str(capacity))
    return await latest_action(talker.driver)


def collect_events(driver: Driver) -> list:
    seen: list = []

    async def collect(_session, event, _now):  # type: ignore[no-untyped-def]
        seen.append(event)
        return None

    driver.services.registry.subscribe(
        ActionPlanned, ActionChanged, ActionCancelled, RsvpGiven, ActionReviewed, PhaseReached
    )(collect)
    return seen


def kit_title(kit_id: str, lang: str = "nl") -> str:
    return load_kits()[kit_id].text(lang).title


# --- planning ----------------------------------------------------------------------------------


async def test_plan_a_meeting_in_dutch_and_tell_only_the_members(db_driver: Driver) -> None:
    seen = collect_events(db_driver)
    anna = await onboard(db_driver, "Anna")
    bob = await onboard(db_driver, "Bob", "en")
    cas = await onboard(db_driver, "Cas")
    dirk = await onboard(db_driver, "Dirk")  # not a member
    iid = await seed_initiative(db_driver, anna, team=(bob,), followers=(cas,))
    before_dirk = len(dirk.messages)

    await press_payload(anna, pack("act", "new", iid, "meeting"))
    assert "We plannen een bijeenkomst voor Groene Lindelaan." in anna.last
    assert anna.buttons == ["Keukentafelgesprek", "Terug naar het menu"]
    await anna.press("Keukentafelgesprek")
    assert "Wanneer is het?" in anna.last
    await anna.send("za 12 dec 14:00")
    assert "Dat is dus zaterdag 12 december om 14:00. Klopt dat?" in anna.last
    assert anna.buttons[:2] == ["Ja", "Wijzigen"]
    await anna.press("Ja")
    assert "Waar is het?" in anna.last
    await anna.send("Bij Anna, nummer 12")
    assert "Hoeveel mensen kunnen er hooguit komen?" in anna.last
    await anna.press("Geen limiet")

    shown = anna.last
    assert "✅ Gepland! Ik heb het aan 2 leden verteld, ieder in een eigen chat." in shown
    assert "Keukentafelgesprek (Bijeenkomst)" in shown
    assert "Wanneer: zaterdag 12 december om 14:00" in shown
    assert "Waar: Bij Anna, nummer 12" in shown
    assert {"Ik kom", "Wie komt er?", "Taken", "Afzeggen"} <= set(anna.buttons)

    action = await latest_action(db_driver)
    assert action.kind is ActionKind.MEETING and action.status is ActionStatus.PLANNED
    assert action.starts_at == datetime(2026, 12, 12, 13, 0, tzinfo=UTC)
    assert action.created_by_id == (await resident_of(db_driver, anna)).id
    assert action.capacity is None and action.title == "Keukentafelgesprek"
    assert ActionPlanned(action.id or 0, action.created_by_id) in seen

    # The members hear it in their own chat and language, with the answer buttons.
    assert "📣 Anna planned a meeting for Groene Lindelaan:" in bob.last
    assert "When: Saturday 12 December at 14:00" in bob.last
    assert bob.buttons == ["I'm coming", "Maybe", "I can't come", "Show the action"]
    assert "📣 Anna heeft een bijeenkomst gepland voor Groene Lindelaan:" in cas.last
    assert cas.buttons[:3] == ["Ik kom", "Misschien", "Ik kan niet"]
    assert len(dirk.messages) == before_dirk  # not a member: nothing

    async with db_driver.services.db.transaction() as session:
        kinds = (await session.execute(select(Activity.kind))).scalars().all()
    assert "action_planned" in kinds


async def test_plan_an_action_in_english_with_a_day_without_time(driver: Driver) -> None:
    tom = await onboard(driver, "Tom", "en")
    iid = await seed_initiative(driver, tom, title="Green street")
    await press_payload(tom, pack("act", "new", iid, "action"))
    assert "Let's plan an action for Green street." in tom.last
    await tom.send("Tile-lifting day")
    await tom.send("12 December")
    assert "And at what time on Saturday 12 December?" in tom.last
    await tom.send("7.30pm")
    assert "So that is Saturday 12 December at 19:30. Is that right?" in tom.last
    await tom.press("Change")
    assert "When is it?" in tom.last
    await tom.send("tomorrow 8pm")
    assert "So that is Sunday 29 November at 20:00. Is that right?" in tom.last
    await tom.press("Yes")
    await tom.send("Corner of Green street")
    await tom.send("25")
    assert "✅ Planned! There's nobody else in the initiative to tell yet." in tom.last
    assert "Places: 25 (25 free)" in tom.last
    action = await latest_action(driver)
    assert action.kind is ActionKind.ACTION and action.capacity == 25
    assert action.starts_at == datetime(2026, 11, 29, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("volgende week dinsdag 19:30", "dinsdag 1 december om 19:30"),
        ("morgen 20:00", "zondag 29 november om 20:00"),
        ("12-12 om 9.45", "zaterdag 12 december om 09:45"),
        ("vanavond half acht", "zaterdag 28 november om 19:30"),
    ],
)
async def test_dutch_dates_are_read_and_confirmed(driver: Driver, typed: str, shown: str) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Tegelwipdag")
    await anna.send(typed)
    assert f"Dat is dus {shown}. Klopt dat?" in anna.last


async def test_an_unreadable_or_past_date_is_explained_with_examples(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Tegelwipdag")
    await anna.send("ergens na de kerst")
    assert "Daar kan ik geen datum in lezen. Probeer het zo:" in anna.last
    assert "• volgende week dinsdag 19:30" in anna.last
    assert "Wanneer is het?" in anna.last  # asked again
    # A moment we read but that has passed is said to have passed, not to be unreadable.
    for typed in ("1 november 2026 10:00", "vandaag 9:00", "27-11-2026"):
        await anna.send(typed)
        assert "Dat moment is al voorbij. Welke dag en tijd bedoel je?" in anna.last, typed
        assert "Daar kan ik geen datum" not in anna.last, typed
        assert "Wanneer is het?" in anna.last
    await anna.send("1 januari 2030")
    assert "Dat is meer dan twee jaar vooruit." in anna.last
    # A day and month already past this year is next year's: the year is said back.
    await anna.send("1 november 10:00")
    assert "Dat is dus maandag 1 november om 10:00, in 2027. Klopt dat?" in anna.last
    await anna.press("Wijzigen")
    # A date today, with a time that has passed (it is 10:00 now).
    await anna.send("28 november")
    assert "En hoe laat op zaterdag 28 november?" in anna.last
    await anna.send("9:00")
    assert "Die tijd is al voorbij." in anna.last
    await anna.send("straks")
    assert "Die tijd kan ik niet lezen." in anna.last
    await anna.send("16:00")
    assert "Dat is dus zaterdag 28 november om 16:00." in anna.last


async def test_bad_title_place_and_capacity_are_explained(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("x" * 81)
    assert "Dat is wat lang: 81 tekens" in anna.last
    await anna.send("???")
    assert "Dat lijkt niet op een titel." in anna.last
    await anna.send("Tegelwipdag")
    await anna.send("za 12 dec 14:00")
    await anna.send("misschien")  # buttons expected ("ja hoor" would be a yes)
    assert "Kies een van de knoppen: klopt deze dag en tijd?" in anna.last
    await anna.press("Ja")
    await anna.send("Lindelaan 1")
    for typed in ("veel", "0", "20000"):
        await anna.send(typed)
        assert "Typ een getal van 1 tot 10.000, of kies “Geen limiet”." in anna.last
    await anna.send("30")
    assert "✅ Gepland!" in anna.last


async def test_a_follower_cannot_plan_and_is_told_kindly(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, followers=(cas,))
    await press_payload(cas, pack("act", "new", iid, "action"))
    assert "Alleen de mensen die dit initiatief organiseren kunnen dat doen." in cas.last
    assert cas.buttons == ["Terug naar het menu"]
    async with driver.services.db.transaction() as session:
        assert (await session.execute(select(Action))).first() is None


async def test_plan_survives_the_menu_and_continues_where_it_was(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("act", "new", iid, "action"))
    await anna.send("Tegelwipdag")
    await anna.command("menu")
    await anna.press(texts_for("nl")._("Continue where I was"))
    assert "Wanneer is het?" in anna.last
    await anna.send("za 12 dec 14:00")
    assert "zaterdag 12 december om 14:00" in anna.last


# --- the card and the list -------------------------------------------------------------------


async def test_action_list_and_card_show_what_the_person_may_do(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, followers=(cas,))
    await plan(anna, iid, title="Tegelwipdag", capacity=10)
    await press_payload(cas, pack("act", "list", iid))
    assert "Bijeenkomsten en acties van Groene Lindelaan" in cas.last
    assert "• za 12 dec 14:00: Tegelwipdag" in cas.last
    assert "Plan een actie" not in cas.buttons  # a follower does not plan
    await cas.press("za 12 dec 14:00 · Tegelwipdag")
    assert "Plekken: 10 (10 vrij)" in cas.last
    assert "Komen: 0 · misschien: 0 · kunnen niet: 0 · wachtlijst: 0" in cas.last
    assert cas.buttons == [
        "Ik kom",
        "Misschien",
        "Ik kan niet",
        "Zet in mijn agenda",  # a calendar file for anyone; posters are for organisers
        "Naar het initiatief",
        "Terug naar het menu",
    ]
    await press_payload(anna, pack("act", "list", iid))
    assert {"Plan een bijeenkomst", "Plan een actie", "Kies een actiekit"} <= set(anna.buttons)


async def test_change_time_tells_everyone_concerned_once(driver: Driver) -> None:
    """Everyone who was told of the action and did not say they cannot come hears of the
    change, whether they answered or not; nobody twice."""
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob", "en")
    cas = await onboard(driver, "Cas")
    dirk = await onboard(driver, "Dirk")
    iid = await seed_initiative(driver, anna, team=(bob,), followers=(cas, dirk))
    action = await plan(anna, iid)
    await bob.press("I'm coming")
    await cas.press("Ik kan niet")
    cas_seen, dirk_seen, bob_seen = len(cas.messages), len(dirk.messages), len(bob.messages)

    await press_payload(anna, pack("act", "show", action.id))
    await anna.press("Tijd of plek wijzigen")
    assert "Wat wil je wijzigen voor Tegelwipdag?" in anna.last
    await anna.press("Dag en tijd")
    await anna.send("zo 13 dec 15:00")
    await anna.press("Ja")
    assert "✅ Bewaard. Ik heb het verteld aan 2 buren die ervan wisten." in anna.last
    assert "Wanneer: zondag 13 december om 15:00" in anna.last
    assert "🔔 Changed: Tegelwipdag has a new time or place." in bob.last
    assert "When: Sunday 13 December at 15:00" in bob.last
    assert "✓ I'm coming" in bob.buttons
    assert len(bob.messages) == bob_seen + 1  # a member who answered: told once
    assert "🔔 Gewijzigd: Tegelwipdag heeft een nieuwe tijd of plek." in dirk.last
    assert len(dirk.messages) == dirk_seen + 1  # told of it, never answered: told too
    assert len(cas.messages) == cas_seen  # said no: not disturbed
    assert ActionChanged(action.id or 0, action.created_by_id) in seen

    await anna.press("Tijd of plek wijzigen")
    await anna.press("Plek")
    await anna.send("Buurthuis De Linde")
    assert "Waar: Buurthuis De Linde" in anna.last
    assert "Where: Buurthuis De Linde" in bob.last
    stored = await get(driver, Action, action.id or 0)
    assert stored.place == "Buurthuis De Linde"
    assert stored.starts_at == datetime(2026, 12, 13, 14, 0, tzinfo=UTC)


async def test_cancel_asks_first_and_tells_those_coming(driver: Driver) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, team=(bob,))
    action = await plan(anna, iid)
    await bob.press("Misschien")
    await press_payload(bob, pack("act", "cancel", action.id))  # team, not an initiator
    assert "Alleen de initiatiefnemers van dit initiatief kunnen dat doen." in bob.last

    await press_payload(anna, pack("act", "show", action.id))
    await anna.press("Afzeggen")
    assert "Wil je Tegelwipdag op zaterdag 12 december om 14:00 echt afzeggen?" in anna.last
    assert "Ik vertel het aan de 1 buur die ervan weet." in anna.last
    await anna.press("Nee, laat staan")
    assert (await get(driver, Action, action.id or 0)).status is ActionStatus.PLANNED
    await anna.press("Afzeggen")
    await anna.press("Ja, afzeggen")
    assert "Afgelast. Ik heb het verteld aan 1 buur die ervan wist." in anna.last
    assert "Tegelwipdag op zaterdag 12 december om 14:00 gaat niet door" in bob.last
    assert (await get(driver, Action, action.id or 0)).status is ActionStatus.CANCELLED
    cancelled = ActionCancelled(action.id or 0, action.created_by_id)  # Anna planned it
    assert cancelled in seen
    await anna.press("Ja, afzeggen")  # pressed again: kindly, nothing new
    assert "Dit staat niet meer gepland." in anna.last
    assert [e for e in seen if isinstance(e, ActionCancelled)] == [cancelled]


# --- tasks ------------------------------------------------------------------------------------


async def test_tasks_are_divided_the_assignee_is_told_and_the_phase_moves_on(
    driver: Driver,
) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob", "en")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(
        driver, anna, team=(bob,), followers=(cas,), group_chat_skipped=True
    )
    action = await plan(anna, iid)
    assert (await get(driver, Initiative, iid)).phase is Phase.STRUCTURE  # tasks not divided

    await press_payload(anna, pack("act", "show", action.id))
    await anna.press("Taken")
    assert "Nog geen taken." in anna.last
    await anna.press("Taak toevoegen")
    assert "Wat moet er gebeuren voor Tegelwipdag?" in anna.last
    await anna.send("Koffie en thee <meenemen>")
    assert "Wie doet <meenemen>" not in anna.messages[-1].text  # escaped
    assert anna.buttons[:3] == ["Anna", "Bob", "Later beslissen"]  # the team, not followers
    await anna.press("Bob")
    assert "Toegevoegd. Bob doet het." in anna.seen_since(-2)
    assert "☐ Koffie en thee <meenemen>: Bob" in anna.seen_since(-2)
    assert "📋 Anna asks you to do a task for Tegelwipdag" in bob.last
    assert "Koffie en thee <meenemen>" in bob.last

    # Assigning the task met the last goal of the phase: the team reads it.
    assert (await get(driver, Initiative, iid)).phase is Phase.GROW
    assert PhaseReached(iid, Phase.GROW) in seen

    await bob.press("Tasks")
    await bob.press("Tick off: Koffie en thee <meenemen>")
    assert "☑ Koffie en thee <meenemen> (done)" in bob.last
    async with driver.services.db.transaction() as session:
        task = (await session.execute(select(Task))).scalar_one()
    assert task.done and task.assignee_id == (await resident_of(driver, bob)).id

    await press_payload(cas, pack("task", "list", action.id))  # a follower
    assert "Alleen de mensen die dit initiatief organiseren" in cas.last


async def test_a_task_can_wait_for_someone_and_be_given_later(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, team=(bob,))
    action = await plan(anna, iid)
    await press_payload(anna, pack("task", "add", action.id))
    await anna.send("Flyers rondbrengen")
    await anna.press("Later beslissen")
    assert "Toegevoegd. Wie het doet, beslis je later." in anna.seen_since(-1)
    assert "☐ Flyers rondbrengen: nog niemand" in anna.last
    await anna.press("Wie doet het?")
    await anna.press("Bob")
    assert "Bob doet: Flyers rondbrengen." in anna.last
    assert "Flyers rondbrengen" in bob.last


# --- kits --------------------------------------------------------------------------------------


async def test_a_kit_becomes_an_action_with_checklist_and_invitation(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, followers=(bob,))
    nl = texts_for("nl")
    tile = load_kits()["tile-lifting"]

    await anna.command("menu")
    await anna.press("Ideeën voor acties")
    assert "Kies een thema:" in anna.last
    await anna.press(nl._("Greener / climate adaptation"))
    assert f"Fase: Groeien\n• {tile.nl.title}" in anna.last
    await anna.press(tile.nl.title)
    page = anna.last
    assert tile.nl.summary in page and "🏠 Huurders kunnen goed meedoen." in page
    assert f"☐ {tile.nl.checklist[0]}" in page
    kit_message = anna.messages[-1]
    await anna.press("Stappen")
    assert f"Stap 1 van {len(tile.nl.steps)}" in anna.last
    assert kit_message.edits == 0  # the kit page stays; the steps come below it
    step_message = anna.messages[-1]
    await anna.press("Volgende ▶")
    await anna.press("Volgende ▶")
    assert f"Stap 3 van {len(tile.nl.steps)}" in step_message.plain  # edited in place
    assert tile.nl.steps[2] in step_message.plain
    await anna.press("Deze kit gebruiken")
    assert "We plannen het voor Groene Lindelaan." in anna.last  # her one initiative
    await anna.press(tile.nl.title)
    await anna.send("za 12 dec 14:00")
    await anna.press("Ja")
    await anna.send("Plein <voor> nummer 3 & 5")
    await anna.press("Geen limiet")

    action = await latest_action(driver)
    assert action.kit_id == "tile-lifting" and action.kind is ActionKind.ACTION
    assert action.checklist == [{"text": item, "done": False} for item in tile.nl.checklist]
    async with driver.services.db.transaction() as session:
        token = (await session.get(Initiative, iid)).invite_token  # type: ignore[union-attr]
    invitation = anna.messages[-2]
    assert invitation.buttons == ()  # clean, to forward
    assert f"https://t.me/buurbot_test_bot?start=join-{token}" in invitation.plain
    assert "zaterdag 12 december om 14:00" in invitation.plain
    assert "Plein <voor> nummer 3 & 5" in invitation.plain
    assert "Plein &lt;voor&gt; nummer 3 &amp; 5" in invitation.text
    assert "Anna" in invitation.plain
    assert "Stuur de uitnodiging hierboven door" in anna.last
    assert "Bob" not in invitation.plain

    # The checklist: tick the first item, in place.
    await anna.press("Bekijk de activiteit")
    assert f"Checklist: 0 van {len(tile.nl.checklist)} klaar" in anna.last
    await anna.press("Checklist")
    checklist = anna.messages[-1]
    assert checklist.labels[0].startswith("☐ 1. ")
    await anna.press(checklist.labels[0])
    assert checklist.plain.startswith(f"Checklist voor {tile.nl.title}")
    assert checklist.labels[0].startswith("☑ 1. ")
    assert f"☑ {tile.nl.checklist[0]}" in checklist.plain
    assert f"1 van {len(tile.nl.checklist)} klaar" in checklist.plain
    assert (await get(driver, Action, action.id or 0)).checklist[0]["done"] is True


async def test_kits_can_be_browsed_without_consent(driver: Driver) -> None:
    piet = driver.person("Piet", "nl")
    await piet.command("start")
    await piet.press("Bewaar mijn naam niet")
    await piet.press("Ideeën voor acties")
    themes = piet.messages[-1]
    await press_payload(piet, pack("kit", "list"))  # part 1 offers this without consent
    assert piet.last == themes.plain and piet.buttons == themes.labels
    await piet.press(texts_for("nl")._("Energy saving"))
    await piet.press(kit_title("thermal-scan"))
    assert "Nodig: ongeveer 10 huishoudens." in piet.last
    await piet.press("Deze kit gebruiken")
    assert "Om een kit te gebruiken heb je een initiatief nodig" in piet.last
    assert piet.buttons == ["Terug naar de kit", "Terug naar het menu"]


async def test_with_several_initiatives_the_kit_asks_which_one(driver: Driver) -> None:
    anna = await onboard(driver, "Anna", "en")
    await seed_initiative(driver, anna, title="Green street")
    second = await seed_initiative(driver, anna, title="Safe crossing")
    cas = await onboard(driver, "Cas", "en")
    await seed_initiative(driver, cas, title="Not Anna's", followers=(anna,))
    await press_payload(anna, pack("kit", "use", "street-party"))
    assert "For which initiative do you want to use Street party?" in anna.last
    assert sorted(anna.buttons[:2]) == ["Green street", "Safe crossing"]
    assert "Not Anna's" not in anna.buttons  # she only follows that one
    await anna.press("Safe crossing")
    assert "Let's plan it for Safe crossing." in anna.last
    await anna.press(kit_title("street-party", "en"))
    await anna.send("next Saturday 15:00")
    await anna.press("Yes")
    await anna.send("The square")
    await anna.press("No limit")
    action = await latest_action(driver)
    assert action.initiative_id == second and action.kind is ActionKind.MEETING


async def test_quotes_are_added_and_compared(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(
        driver, anna, followers=(bob,), theme=Theme.COLLECTIVE_PURCHASE, title="Zon op de Linde"
    )
    await press_payload(anna, pack("kit", "list", iid))
    assert "Actiekits voor Zon op de Linde" in anna.last
    await anna.press(kit_title("collective-solar"))
    await anna.press("Offerte toevoegen")
    await anna.send("Zon BV")
    assert "totaalprijs van de offerte van Zon BV" in anna.last
    await anna.send("€ 12.500")
    assert "Hoeveel wattpiek (Wp)" in anna.last
    await anna.send("4000")
    await anna.send("900")
    assert "✅ De offerte is bewaard." in anna.last
    await anna.press("Offerte toevoegen")
    await anna.send("Dak & Co")
    await anna.send("twaalf")
    assert "Met dat getal kan ik niets." in anna.last
    await anna.send("10.000,50")
    await anna.send("3600 Wp")
    await anna.press("Weet ik niet")
    shown = anna.last.replace("\xa0", " ")  # Babel puts a no-break space after €
    assert "Offertes voor zonnepanelen, vergeleken" in shown
    assert "totaal € 12.500,00 · € 3,13 per Wp · terugverdiend in 13,9 jaar" in shown
    assert "totaal € 10.000,50 · € 2,78 per Wp" in shown
    # A known payback ranks first; the cheapest per Wp is flagged.
    assert "1. Zon BV\n" in shown and "2. Dak & Co ⭐\n" in shown
    assert shown.endswith("dezelfde manier uitrekent.")
    assert shown.count("⭐ laagste prijs per Wp") == 1
    assert shown.index("⭐ laagste prijs per Wp") > shown.index("Dak & Co")
    async with driver.services.db.transaction() as session:
        quotes = (await session.execute(select(Quote).order_by(Quote.id))).scalars().all()
    assert [(q.supplier, q.total_eur, q.watt_peak, q.yearly_saving_eur) for q in quotes] == [
        ("Zon BV", 12500.0, 4000.0, 900.0),
        ("Dak & Co", 10000.5, 3600.0, None),
    ]
    # A follower sees the comparison but cannot add a quote.
    await press_payload(bob, pack("quote", "cmp", iid, "wp"))
    assert "Dak & Co" in bob.last and "Offerte toevoegen" not in bob.buttons
    await press_payload(bob, pack("quote", "add", iid, "wp"))
    assert "Alleen de mensen die dit initiatief organiseren" in bob.last
    assert "Verwijder de offerte van Zon BV" not in bob.buttons
    forged = pack("quote", "del", iid, "wp", quotes[0].id)
    await press_payload(bob, forged)  # a follower may not remove one
    assert "Alleen de mensen die dit initiatief organiseren" in bob.last

    # An organiser removes one; the old button pressed again is answered kindly.
    await press_payload(anna, pack("quote", "cmp", iid, "wp"))
    await anna.press("Verwijder de offerte van Zon BV")
    assert "De offerte van Zon BV is verwijderd." in anna.last
    assert "Zon BV" not in anna.last.split("verwijderd.", 1)[1]
    out = await press_payload(anna, forged)
    assert [o.text for o in out if isinstance(o, AnswerButton)] == ["Die offerte is al verwijderd."]
    async with driver.services.db.transaction() as session:
        left = (await session.execute(select(Quote.supplier))).scalars().all()
    assert left == ["Dak & Co"]


# --- after the action ---------------------------------------------------------------------------


async def test_review_marks_held_and_proposes_the_kits_next_steps(
    driver: Driver, clock: FakeClock
) -> None:
    seen = collect_events(driver)
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, team=(bob,), phase=Phase.GROW)
    await press_payload(anna, pack("kit", "use", "tile-lifting", iid))
    await anna.press(kit_title("tile-lifting"))
    await anna.send("za 12 dec 14:00")
    await anna.press("Ja")
    await anna.send("Lindelaan")
    await anna.press("Geen limiet")
    action = await latest_action(driver)

    await press_payload(anna, pack("review", action.id))
    assert "Je kunt erover vertellen als het geweest is" in anna.last
    clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=UTC))  # the next day, 10:00
    await press_payload(bob, pack("review", action.id))  # team, not an initiator
    assert "Alleen de initiatiefnemers" in bob.last

    await press_payload(anna, pack("act", "show", action.id))
    assert "Ik kom" not in anna.buttons  # it has started: no more answers
    await anna.press("Vertel: hoe ging het?")
    assert "Hoe ging Tegel eruit, plant erin? Ik hoor het graag." in anna.last
    await anna.send("veel")
    assert "Typ het aantal mensen dat kwam" in anna.last
    await anna.send("23")
    # The kit's own numbers: typed as people type them, "I don't know" where unknown.
    assert "Hoeveel tegels zijn er in totaal uitgehaald?" in anna.last
    await anna.send("heel veel")
    assert "Typ één getal, bijvoorbeeld 12" in anna.last
    await anna.send("140 tegels")
    assert "Hoeveel vierkante meter is er groen geworden?" in anna.last
    await anna.press("Weet ik niet")
    await anna.send("Iedereen hielp mee, 140 tegels eruit!")
    await anna.press("Overslaan")
    assert "Heb je een foto?" in anna.last
    await anna.send("hier komt hij")
    assert "Stuur een foto, of kies “Overslaan”." in anna.last
    await anna.event(Photo("AgACAgQAAxkBAAIB"))
    rain, party = kit_title("rain-barrels"), kit_title("street-party")
    assert "Wat gaan jullie nu doen?" in anna.last
    assert anna.buttons[:2] == [rain, party]
    assert {"Iets anders", "Later beslissen"} <= set(anna.buttons)
    await anna.press(rain)

    stored = await get(driver, Action, action.id or 0)
    assert stored.status is ActionStatus.HELD and stored.attended == 23
    assert stored.went_well == "Iedereen hielp mee, 140 tegels eruit!"
    assert stored.went_badly is None and stored.photo_file_id == "AgACAgQAAxkBAAIB"
    assert stored.next_step == "rain-barrels"
    assert stored.reviewed_at == clock.now()
    assert ActionReviewed(action.id or 0, action.created_by_id) in seen
    shown = anna.seen_since(-2)
    assert "🙌 Dank je wel! Ik heb het opgeschreven." in shown
    assert "Er kwamen 23 mensen naar Tegel eruit, plant erin." in shown
    assert "Samen 140 tegels eruit: ongeveer 13 m² groen." in shown  # 140 ÷ 11 per m²
    async with driver.services.db.transaction() as session:
        rows = (await session.execute(select(Outcome))).scalars().all()
    assert [(r.action_id, r.key, r.value, r.source) for r in rows] == [
        (action.id, "tiles_removed", 140, OutcomeSource.REVIEW)
    ]
    assert f"Plannen: {rain}" in anna.buttons

    # Rhythm: the next one is planned straight away, from the chosen kit.
    await anna.press(f"Plannen: {rain}")
    assert "We plannen het voor Groene Lindelaan." in anna.last
    assert anna.buttons[0] == rain
    await press_payload(anna, pack("review", action.id))
    assert "Iemand heeft hier al over verteld." in anna.last
    # The initiative card shows what the street achieved.
    await press_payload(anna, pack("ini", "card", iid))
    assert "Samen bereikt:" in anna.last and "Samen 140 tegels eruit" in anna.last


async def test_reviewing_a_meeting_records_the_neighbours_wishes(
    driver: Driver, clock: FakeClock
) -> None:
    anna = await onboard(driver, "Anna", "en")
    iid = await seed_initiative(driver, anna, title="Green street", phase=Phase.ACTIVATE)
    action = await plan(anna, iid, kind="meeting", title="Kitchen table", when="tomorrow 8pm")
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    await press_payload(anna, pack("review", action.id))
    await anna.send("6")
    await anna.press("Skip")
    await anna.send("Too little coffee")
    await anna.press("Skip")
    assert "Did you gather what the neighbours want at this meeting?" in anna.last
    await anna.press("Yes")
    assert "What's next?" in anna.last
    await anna.press("Something else")
    await anna.send("A street survey")
    stored = await get(driver, Action, action.id or 0)
    assert stored.status is ActionStatus.HELD and stored.went_badly == "Too little coffee"
    assert stored.next_step == "A street survey" and stored.went_well is None
    assert (await get(driver, Initiative, iid)).wishes_gathered is True
    assert "Next: A street survey. Shall we plan it right away?" in anna.seen_since(-2)
    assert {"Plan a meeting", "Plan an action"} <= set(anna.buttons)


async def test_a_cancelled_action_has_nothing_to_review(driver: Driver, clock: FakeClock) -> None:
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    action = await plan(anna, iid)
    await press_payload(anna, pack("act", "cancelok", action.id))
    clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    await press_payload(anna, pack("review", action.id))
    assert "Dit is afgelast, dus er valt niets te vertellen." in anna.last


# --- the whole journey ---------------------------------------------------------------------------

JOURNEY = {
    "nl": {
        "team": "Join the team",
        "follow": "Just follow",
        "plan": "Plan an action",
        "title": "Tegelwipdag",
        "when": "za 12 dec 14:00",
        "confirm": "Dat is dus zaterdag 12 december om 14:00",
        "told": "Ik heb het aan 2 leden verteld",
        "tasks": "Taken",
        "add": "Taak toevoegen",
        "report": "Vertel: hoe ging het?",
        "skip": "Overslaan",
        "held": "Er kwamen 2 mensen",
        "waitlisted": "Je staat op de wachtlijst: plek 1",
    },
    "en": {
        "team": "Join the team",
        "follow": "Just follow",
        "plan": "Plan an action",
        "title": "Tile-lifting day",
        "when": "Saturday 12 December 14:00",
        "confirm": "So that is Saturday 12 December at 14:00",
        "told": "I told 2 members about it",
        "tasks": "Tasks",
        "add": "Add a task",
        "report": "Report back: how did it go?",
        "skip": "Skip",
        "held": "2 people came",
        "waitlisted": "you're on the waiting list: place 1",
    },
}


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_whole_journey_initiator_and_two_neighbours(
    driver: Driver, clock: FakeClock, lang: str
) -> None:
    words = JOURNEY[lang]
    texts = texts_for(lang)
    anna = await onboard(driver, "Anna", lang)
    bob = await onboard(driver, "Bob", lang)
    cas = await onboard(driver, "Cas", lang)
    iid = await seed_initiative(driver, anna, group_chat_skipped=True, title="Lindelaan")
    async with driver.services.db.transaction() as session:
        token = (await session.get(Initiative, iid)).invite_token  # type: ignore[union-attr]

    # The neighbours follow the invitation link (part 1 of the journey).
    await bob.command("start", f"join-{token}")
    await bob.press(texts._(words["team"]))
    await cas.command("start", f"join-{token}")
    await cas.press(texts._(words["follow"]))

    # Anna plans from the initiative card.
    await press_payload(anna, pack("ini", "card", iid))
    await anna.press(texts._(words["plan"]))
    await anna.send(words["title"])
    await anna.send(words["when"])
    assert words["confirm"] in anna.last
    await anna.press(label(anna, "yes"))
    await anna.send("Lindelaan 1")
    await anna.send("2")
    assert words["told"] in anna.seen_since(-2)
    action = await latest_action(driver)

    # Both neighbours answer from the announcement; a third answer would wait.
    await bob.press(label(bob, "coming"))
    await cas.press(label(cas, "coming"))
    await anna.press(label(anna, "coming"))
    assert (await get(driver, Action, action.id or 0)).capacity == 2
    assert words["waitlisted"] in anna.last

    # Tasks for the team.
    await anna.press(words["tasks"])
    await anna.press(words["add"])
    await anna.send("Koffie")
    await anna.press("Bob")
    assert "Koffie" in bob.last
    assert (await get(driver, Initiative, iid)).phase is Phase.GROW

    # The day after, Anna reports back.
    clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    await press_payload(anna, pack("act", "show", action.id))
    await anna.press(words["report"])
    await anna.send("2")
    await anna.press(words["skip"])
    await anna.press(words["skip"])
    await anna.press(words["skip"])
    await anna.press(anna.buttons[0])  # the first suggestion
    assert words["held"] in anna.seen_since(-2)
    assert (await get(driver, Action, action.id or 0)).status is ActionStatus.HELD


# --- random input never breaks a step ----------------------------------------------------------

PATHS: dict[str, list[str | tuple[str, ...]]] = {
    "plan:title": [],
    "plan:when": ["Tegelwipdag"],
    "plan:time": ["Tegelwipdag", "12 december"],
    "plan:confirm": ["Tegelwipdag", "za 12 dec 14:00"],
    "plan:place": ["Tegelwipdag", "za 12 dec 14:00", ("press", "Ja")],
    "plan:capacity": ["Tegelwipdag", "za 12 dec 14:00", ("press", "Ja"), "Lindelaan"],
    "actedit:what": [("act", "edit")],
    "actedit:when": [("act", "edit"), ("press", "Dag en tijd")],
    "actedit:place": [("act", "edit"), ("press", "Plek")],
    "actedit:capacity": [("act", "edit"), ("press", "Aantal plekken")],
    "task:title": [("task", "add")],
    "task:who": [("task", "add"), "Koffie"],
    "quote:supplier": [("quote",)],
    "quote:total": [("quote",), "Zon BV"],
    "quote:size": [("quote",), "Zon BV", "12500"],
    "quote:saving": [("quote",), "Zon BV", "12500", "4000"],
    "review:attended": [("review",)],
    "review:worked": [("review",), "12"],
    "review:photo": [("review",), "12", ("press", "Overslaan"), ("press", "Overslaan")],
    "review:next": [("review",), "12", *[("press", "Overslaan")] * 3],
    "review:nexttext": [("review",), "12", *[("press", "Overslaan")] * 3, ("press", "Iets anders")],
    "no flow": [("act", "show")],
}
WORDS = [
    "new", "list", "show", "edit", "cancel", "cancelok", "chk", "tick", "inv", "who",
    "c", "m", "n", "x", "0", "1", "2", "-1", "99999999999", "2147483648", "meeting", "action",
    "collective-solar", "tile-lifting", "nope", "greener", "wp", "m2", "add", "cmp", "pick",
    "to", "done", "themes", "theme", "step", "nav", "use", "plan", "review", "s", "",
]  # fmt: skip
ROUTES = ["act", "rsvp", "kit", "review", "task", "quote", "s", "ini", "nonsense"]


def payloads(known: list[str]) -> st.SearchStrategy[str]:
    word = st.sampled_from(WORDS + known)
    built = st.builds(
        lambda route, args: ":".join(["1", route, *args]),
        st.sampled_from(ROUTES),
        st.lists(word, max_size=5),
    )
    return built | st.text(max_size=70)


def inputs(known: list[str]) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(st.just("press"), payloads(known), st.booleans()),
        st.builds(Text, st.text(max_size=300)),
        st.builds(Text, st.sampled_from(["5", "12", "za 12 dec 14:00", "18:00", "x" * 5000])),
        st.builds(Photo, st.text(min_size=1, max_size=250)),
        st.builds(Command, st.sampled_from(["menu", "stop", "help", "onbekend"])),
    )


_prepared: dict[tuple[int, str], tuple[Talker, dict, list[str]]] = {}


async def _prepare(
    driver: Driver, clock: FakeClock, path_name: str
) -> tuple[Talker, dict, list[str]]:
    """Walk the real path to the step once; remember the conversation to restore."""
    key = (id(driver), path_name)
    if key in _prepared:
        return _prepared[key]
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna, theme=Theme.COLLECTIVE_PURCHASE)
    action = await plan(anna, iid, capacity=3)
    if path_name.startswith("review"):
        clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    else:
        await press_payload(anna, pack("act", "new", iid, "action"))
    for step in PATHS[path_name]:
        if isinstance(step, str):
            await anna.send(step)
        elif step[0] == "press":
            await anna.press(step[1])
        elif step[0] == "quote":
            await press_payload(anna, pack("quote", "add", iid, "wp"))
        elif step[0] == "review":
            await press_payload(anna, pack("review", action.id))
        else:
            await press_payload(anna, pack(step[0], step[1], action.id))
    async with driver.services.db.transaction() as session:
        row = (
            await session.execute(select(Conversation).where(Conversation.chat_id == anna.who.id))
        ).scalar_one()
        snapshot = {"flow": row.flow, "step": row.step, "data": dict(row.data)}
    expected = path_name.split(":")
    if path_name != "no flow":
        assert (snapshot["flow"], snapshot["step"]) == (expected[0], expected[1])
    _prepared[key] = (anna, snapshot, [str(iid), str(action.id)])
    return _prepared[key]


@pytest.mark.parametrize("path_name", list(PATHS))
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_input_at_every_step_always_gets_a_kind_answer_with_buttons(
    driver: Driver, clock: FakeClock, path_name: str, data: st.DataObject
) -> None:
    anna, snapshot, known = await _prepare(driver, clock, path_name)
    async with driver.services.db.transaction() as session:
        row = (
            await session.execute(select(Conversation).where(Conversation.chat_id == anna.who.id))
        ).scalar_one()
        row.flow, row.step, row.data = snapshot["flow"], snapshot["step"], dict(snapshot["data"])
    apology = texts_for("nl")._("Something went wrong on my side. Please try again, or type /menu.")
    for event in data.draw(st.lists(inputs(known), min_size=1, max_size=3)):
        if isinstance(event, tuple):  # a press, on no message (console) or on the last one
            _, payload, on_last = event
            last = anna.messages[-1].message_id if on_last and anna.messages else None
            event = ButtonPress(payload, "q", last)
        actions = await anna.event(event)
        own = [a for a in actions if getattr(a, "chat_id", anna.who.id) == anna.who.id]
        assert not any(isinstance(a, SendText) and a.text == apology for a in own), event
        answered = any(isinstance(a, SendText | EditText) and a.buttons for a in own) or any(
            isinstance(a, AnswerButton) and a.text for a in own
        )
        assert answered, (event, own)


def test_every_flow_step_of_this_part_is_exercised() -> None:
    from bot.app import build_registry

    registry = build_registry()
    mine = {"plan", "actedit", "task", "quote", "review"}
    steps = {f"{name}:{step}" for name in mine for step in registry.flows[name].steps}
    covered = {name for name in PATHS if name != "no flow"}
    # Steps reached only through an earlier covered step with the same shape.
    same_as = {"actedit:time", "actedit:confirm", "review:notworked", "review:wishes"}
    # The kit's own numbers: the first two asked in the tile-lifting review above, the
    # others the same question with another kit's words.
    same_as |= {f"review:outcome{n}" for n in range(1, 7)}
    assert steps - covered - same_as == set()
