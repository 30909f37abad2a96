"""The resident journey, part 1: share an idea, the card, invite and join,
team roles, the support meter, ask my coach, /status — talked through as people
would, reading what they read and pressing buttons by their label."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.app import build_registry
from bot.core.events import InitiativeCreated, MemberJoined, PhaseReached, SupportRequested
from bot.core.payloads import DEEP_LINK, pack
from bot.core.seam import ButtonPress
from bot.core.services import Services
from scheduler.dispatch import Dispatcher
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
    PersonRole,
    Phase,
    Resident,
    Rsvp,
    RsvpAnswer,
    SupportRequest,
)
from tests.conftest import make_services
from tests.support.driver import Driver, Talker

APOLOGY = ("Er ging iets mis", "Something went wrong")


# --- fixtures and helpers ------------------------------------------------------------------


async def _driver(url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    # These conversations are long: no flood limit in the way.
    services = make_services(url, clock, flood_max_updates=100_000)
    await services.db.migrate()
    yield Driver(services)
    await services.db.close()


@pytest.fixture
async def journey(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_sqlite_url, clock):
        yield driver


@pytest.fixture
async def db_journey(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_database_url, clock):
        yield driver


def record_events(services: Services) -> list[Any]:
    seen: list[Any] = []

    async def keep(_session, event, _now):  # type: ignore[no-untyped-def]
        seen.append(event)

    services.registry.subscribe(InitiativeCreated, MemberJoined, PhaseReached, SupportRequested)(
        keep
    )
    return seen


async def onboard(
    driver: Driver, name: str, lang: str = "nl", postcode: str | None = "3511 AB"
) -> Talker:
    talker = driver.person(name, lang)
    await talker.command("start")
    await talker.send(name)  # the name is the consent: the question says it is stored
    if postcode:
        await talker.press("Doe mee met een initiatief" if lang == "nl" else "Join an initiative")
        await talker.send(postcode)  # asked where it helps: finding initiatives nearby
        await talker.command("menu")
    return talker


async def share_idea(
    talker: Talker,
    *,
    what: str = "Tegels eruit en planten erin in onze straat",
    place: str = "Lindelaan",
    why: str = "Het is te heet in de zomer",
    theme: str = "Groener / klimaat",
    title: str | None = None,
) -> None:
    dutch = talker.who.language_code == "nl"
    await talker.press("Deel een idee" if dutch else "Share an idea")
    await talker.send(what)
    await talker.press("Straat" if dutch else "Street")
    await talker.send(place)
    await talker.send(why)
    await talker.press(theme)
    if title is None:
        await talker.press(talker.buttons[0])  # the suggested title
    else:
        await talker.send(title)


async def resident(driver: Driver, talker: Talker) -> Resident:
    async with driver.services.db.transaction() as session:
        return (
            await session.execute(select(Resident).where(Resident.telegram_id == talker.who.id))
        ).scalar_one()


async def initiative_titled(driver: Driver, title: str) -> Initiative:
    async with driver.services.db.transaction() as session:
        return (
            await session.execute(select(Initiative).where(Initiative.title == title))
        ).scalar_one()


async def update_initiative(driver: Driver, initiative_id: int, **values: Any) -> None:
    async with driver.services.db.transaction() as session:
        initiative = await session.get(Initiative, initiative_id)
        assert initiative is not None
        for key, value in values.items():
            setattr(initiative, key, value)


async def member_of(driver: Driver, initiative_id: int, talker: Talker) -> Membership | None:
    person = await resident(driver, talker)
    async with driver.services.db.transaction() as session:
        return (
            await session.execute(
                select(Membership).where(
                    Membership.initiative_id == initiative_id,
                    Membership.resident_id == person.id,
                )
            )
        ).scalar_one_or_none()


def invite_url(talker: Talker) -> str:
    """The URL button under the forwardable invitation (the message before the last)."""
    for shown in reversed(talker.messages):
        for row in shown.buttons:
            for button in row:
                if button.url:
                    return button.url
    raise AssertionError("no invitation link shown")


def start_arg(url: str) -> str:
    return url.split("?start=", 1)[1]


async def forged(talker: Talker, payload: str) -> None:
    await talker.event(ButtonPress(payload, "q-forged", None))


async def founded(driver: Driver, lang: str = "nl", **idea: Any) -> tuple[Talker, Initiative]:
    name = "Anna" if lang == "nl" else "Tom"
    founder = await onboard(driver, name, lang)
    if lang == "en":
        idea.setdefault("what", "Take out tiles and plant greenery in our street")
        idea.setdefault("why", "It is too hot in summer")
        idea.setdefault("theme", "Greener / climate adaptation")
    await share_idea(founder, title="Groene Lindelaan", **idea)
    return founder, await initiative_titled(driver, "Groene Lindelaan")


# --- share an idea -------------------------------------------------------------------------


async def test_sharing_an_idea_in_dutch_ends_on_the_card(db_journey: Driver) -> None:
    events = record_events(db_journey.services)
    anna = await onboard(db_journey, "Anna")
    await anna.press("Deel een idee")
    assert "Wat wil je samen met je buren doen?" in anna.last
    await anna.send("Tegels eruit en planten erin in onze straat")
    assert "Is het voor je straat, je buurt of je hele wijk?" in anna.last
    assert anna.buttons[:3] == ["Straat", "Buurt", "Wijk"]
    await anna.press("Straat")
    assert "Welke straat is het?" in anna.last
    await anna.send("Lindelaan")
    # Anna's postcode is known (she agreed to store it): no question about it.
    assert "Waarom vind je dit belangrijk?" in anna.last
    await anna.send("Het is te heet in de zomer")
    assert "Welk thema past het best?" in anna.last
    assert "Samen inkopen" in anna.buttons
    await anna.press("Groener / klimaat")
    assert "Laatste vraag: een korte titel, hoogstens 80 tekens." in anna.last
    assert anna.buttons[0] == "Tegels eruit en planten erin in onze straat"
    await anna.press("Tegels eruit en planten erin in onze straat")

    card = anna.last
    assert "Je idee is bewaard!" in card
    assert "● ○ ○ ○ ○  Initiëren (fase 1 van 5)" in card
    assert "Wat: Tegels eruit en planten erin in onze straat" in card
    assert "Waar: Lindelaan (Straat) · 3511" in card
    assert "Waarom: Het is te heet in de zomer" in card
    assert "Thema: Groener / klimaat" in card
    assert "Team: 1 persoon organiseert · 0 buren volgen" in card
    assert "Volgende stap: Zoek één buur die dit samen met je wil organiseren." in card
    for label in ("Buren uitnodigen", "Plan een bijeenkomst", "Draagvlakmeter", "Voortgang"):
        assert label in anna.buttons

    initiative = await initiative_titled(db_journey, "Tegels eruit en planten erin in onze straat")
    assert (initiative.place, initiative.postcode_area, initiative.level) == (
        "Lindelaan",
        "3511",
        "street",
    )
    assert initiative.theme == "greener" and initiative.phase is Phase.INITIATE
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", initiative.invite_token)
    member = await member_of(db_journey, initiative.id or 0, anna)
    assert member is not None and member.role is MemberRole.INITIATOR
    assert [type(e) for e in events] == [InitiativeCreated]
    async with db_journey.services.db.transaction() as session:
        kinds = (await session.execute(select(Activity.kind))).scalars().all()
    assert "created" in kinds


async def test_sharing_an_idea_in_english_asks_the_area_and_the_why_later(
    journey: Driver,
) -> None:
    tom = await onboard(journey, "Tom", "en", postcode=None)
    await tom.press("Share an idea")
    await tom.send("Start a repair café once a month")
    await tom.send("my neighbourhood")  # typed instead of pressing the button: understood
    assert "Which neighbourhood or district is it?" in tom.last
    await tom.send("Lombok")
    assert "What are the 4 digits of the postcode there?" in tom.last
    await tom.send("12")
    assert "Type only the 4 digits of the postcode, like 3511." in tom.last
    await tom.send("3531 ab")
    await tom.press("Skip for now")
    await tom.send("I would like to choose from the list")
    assert "Please choose one of the buttons below." in tom.last
    await tom.press("More sociable")
    await tom.send("R" * 81)
    assert "Could you keep it under 80?" in tom.last
    await tom.send("Repair café <Lombok> & friends")
    raw = tom.messages[-1].text
    assert "<b>Repair café &lt;Lombok&gt; &amp; friends</b>" in raw
    card = tom.last
    assert "● ○ ○ ○ ○  Initiate (phase 1 of 5)" in card
    assert "Where: Lombok (Neighbourhood) · 3531" in card
    assert "Why:" not in card
    assert "Next step: Complete your idea: what you want to do, where, and why it matters." in card

    await tom.press("Progress")
    assert "⬜ The idea is described: what, where and why" in tom.last
    assert "✅ A theme and a level are chosen" in tom.last
    await tom.press("Tell why it matters")
    await tom.send("So that we throw away less")
    assert "Thank you, I have added that." in tom.last
    assert "Why: So that we throw away less" in tom.last
    assert "Next step: Find one neighbour who wants to organise this with you." in tom.last


async def test_sharing_an_idea_waits_for_consent(journey: Driver) -> None:
    piet = journey.person("Piet", "nl")
    await piet.command("start")
    await piet.press("Bewaar mijn naam niet")
    await piet.press("Deel een idee")
    assert "Leuk dat je een idee wilt delen!" in piet.last
    assert "Daarvoor moet ik je naam bewaren" in piet.last
    assert piet.buttons[0] == "Ja, je mag mijn naam bewaren"
    assert "Terug naar het menu" in piet.buttons
    await piet.press("Ja, je mag mijn naam bewaren")
    assert "Welke naam zal ik voor je gebruiken?" in piet.last
    await piet.send("Piet")
    await piet.press("Deel een idee")
    assert "Wat wil je samen met je buren doen?" in piet.last


# --- invite and join -----------------------------------------------------------------------


async def test_the_invitation_is_forwardable_and_its_link_is_a_valid_deep_link(
    journey: Driver,
) -> None:
    anna, _ = await founded(journey, what="Planten & bloemen <3 voor iedereen")
    await anna.press("Buren uitnodigen")
    initiative = await initiative_titled(journey, "Groene Lindelaan")
    url = invite_url(anna)
    assert url == f"https://t.me/buurbot_test_bot?start=join-{initiative.invite_token}"
    payload = start_arg(url)
    assert DEEP_LINK.fullmatch(payload) and len(payload) <= 64

    invitation = anna.messages[-2]
    assert invitation.labels == ["Open de uitnodiging"]
    assert "Hoi buur!" in invitation.plain
    assert "Ik ben Anna, en ik begin iets in Lindelaan: Groene Lindelaan." in invitation.plain
    assert "Planten &amp; bloemen &lt;3" in invitation.text  # what neighbours typed, escaped
    assert url in invitation.plain
    assert "Stuur het bericht hierboven door" in anna.last
    assert anna.buttons == [
        "Zet de link uit",
        "Maak een nieuwe link",
        "Terug naar het initiatief",
        "Terug naar het menu",
    ]


async def test_a_new_neighbour_joins_the_team_through_onboarding(db_journey: Driver) -> None:
    events = record_events(db_journey.services)
    tom, initiative = await founded(db_journey, "en")
    await tom.press("Invite neighbours")
    link = start_arg(invite_url(tom))

    anna = db_journey.person("Anna", "nl")
    await anna.command("start", link)
    assert "Hoi! Ik ben Buurbot." in anna.last  # a brand-new person: onboarding first
    assert "Je bent uitgenodigd voor Groene Lindelaan." in anna.last
    before = len(anna.messages)
    await anna.send("Anna")
    invitation = anna.last
    # One message thanks her and shows the invitation with its buttons.
    assert len(anna.messages) == before + 1
    assert invitation.startswith("Dank je, Anna. Je bent klaar om te beginnen.")
    assert "Je bent uitgenodigd voor Groene Lindelaan." in invitation
    assert "Take out tiles and plant greenery in our street" in invitation
    assert "Waar: Lindelaan" in invitation and "Begonnen door: Tom" in invitation
    assert anna.buttons == ["In het team", "Alleen volgen", "Nu niet"]

    before = len(anna.messages)
    await anna.press("In het team")
    seen = anna.seen_since(before)
    assert "Welkom in het team van Groene Lindelaan!" in seen
    assert "Goed gedaan: het idee heeft nu een team, en jij hoort erbij!" in seen
    assert "je staat er niet meer alleen voor" not in seen  # it is not her idea
    assert "● ● ○ ○ ○  Activeren (fase 2 van 5)" in anna.last
    assert "Buren uitnodigen" in anna.buttons  # a team member invites too

    # Tom invited her: he hears it through the scheduler, in his own language and chat.
    tom_before = len(tom.messages)
    db_journey.services.clock.advance(timedelta(minutes=5))
    await Dispatcher(db_journey.services, db_journey.delivery).sweep()
    told = tom.seen_since(tom_before)
    assert (
        "Good news: Anna accepted your invitation and joined the team of Groene Lindelaan!" in told
    )
    assert "reached a new phase: Activate" in told

    member = await member_of(db_journey, initiative.id or 0, anna)
    founder = await resident(db_journey, tom)
    assert member is not None and member.role is MemberRole.TEAM
    assert member.invited_by_id == founder.id
    assert MemberJoined(initiative.id or 0, member.resident_id, MemberRole.TEAM, founder.id) in (
        events
    )
    assert PhaseReached(initiative.id or 0, Phase.ACTIVATE) in events
    assert (await initiative_titled(db_journey, "Groene Lindelaan")).phase is Phase.ACTIVATE


async def test_an_existing_neighbour_follows_with_one_tap(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    bram = await onboard(journey, "Bram")
    await bram.command("start", f"join-{initiative.invite_token}")
    assert "Je bent uitgenodigd voor Groene Lindelaan." in bram.last
    await bram.press("Alleen volgen")
    assert "Je volgt nu Groene Lindelaan." in bram.seen_since(-2)
    assert "Team: 1 persoon organiseert · 1 buur volgt" in bram.last
    for hidden in ("Buren uitnodigen", "Plan een actie", "Plan een bijeenkomst", "Draagvlakmeter"):
        assert hidden not in bram.buttons
    assert "Voortgang" in bram.buttons and "Vraag het mijn coach" in bram.buttons
    await deliver_due(journey)  # the inviter hears it through the scheduler
    assert "Goed nieuws: Bram heeft je uitnodiging aangenomen en volgt nu Groene Lindelaan." in (
        anna.last
    )
    # A follower is no co-initiator: the idea is still in its first phase.
    assert (await initiative_titled(journey, "Groene Lindelaan")).phase is Phase.INITIATE

    await bram.command("start", f"join-{initiative.invite_token}")
    assert "Je doet al mee met Groene Lindelaan." in bram.last
    member = await member_of(journey, initiative.id or 0, bram)
    assert member is not None and member.role is MemberRole.FOLLOWER


async def test_a_revoked_link_is_refused_kindly_and_a_new_link_works(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    old = f"join-{initiative.invite_token}"
    await anna.press("Buren uitnodigen")
    await anna.press("Zet de link uit")
    assert "Klaar: de link staat uit." in anna.last

    carla = await onboard(journey, "Carla")
    await carla.command("start", old)
    assert "Deze uitnodiging is niet meer geldig." in carla.last
    assert carla.buttons == ["Doe mee met een initiatief", "Terug naar het menu"]

    await anna.press("Terug naar het initiatief")
    await anna.press("Buren uitnodigen")
    assert "De uitnodigingslink van Groene Lindelaan staat uit." in anna.last
    await anna.press("Maak een nieuwe link")
    assert "Hier is een nieuwe link. De oude link werkt niet meer." in anna.last
    new = start_arg(invite_url(anna))
    assert new != old

    await carla.command("start", old)
    assert "Deze uitnodiging is niet meer geldig." in carla.last
    await carla.command("start", new)
    assert "Je bent uitgenodigd voor Groene Lindelaan." in carla.last
    # A join button from before the link was switched off does not work either.
    await anna.press("Zet de link uit")
    await carla.press("In het team")
    assert "Deze uitnodiging is niet meer geldig." in carla.last
    assert await member_of(journey, initiative.id or 0, carla) is None


async def test_joining_in_ones_own_area_does_not_say_there_is_nothing(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    await anna.command("menu")
    await anna.press("Doe mee met een initiatief")
    area = initiative.postcode_area
    assert f"Je doet al mee aan alle open initiatieven in {area}." in anna.last
    assert "Ik vond nog geen open initiatieven" not in anna.last


async def test_with_no_initiative_nearby_the_join_question_offers_to_start_one(
    journey: Driver,
) -> None:
    carla = await onboard(journey, "Carla", postcode="9999 ZZ")
    await carla.press("Doe mee met een initiatief")
    assert "Misschien kun je er zelf een beginnen?" in carla.last
    await carla.press("Deel een idee")
    assert "Wat wil je samen met je buren doen?" in carla.last


async def test_joining_from_the_menu_with_a_pasted_link(journey: Driver) -> None:
    _, initiative = await founded(journey)
    carla = await onboard(journey, "Carla", postcode="9999 ZZ")
    await carla.press("Doe mee met een initiatief")
    assert "Plak de link of de code hier." in carla.last
    assert "Ik vond nog geen open initiatieven in 9999." in carla.last
    await carla.send("mijn buurman zei dat ik mee mocht doen")
    assert "Dat is geen uitnodigingslink of code." in carla.last
    await carla.send("https://t.me/buurbot_test_bot?start=join-AAAAAAAAAAAAAAAA")
    assert "Die uitnodiging ken ik niet, of hij is niet meer geldig." in carla.last
    assert "Plak de link of de code hier." in carla.last
    await carla.send(f"Kijk: https://t.me/buurbot_test_bot?start=join-{initiative.invite_token} !")
    assert "Je bent uitgenodigd voor Groene Lindelaan." in carla.last
    await carla.press("In het team")
    member = await member_of(journey, initiative.id or 0, carla)
    assert member is not None and member.role is MemberRole.TEAM


async def test_joining_from_the_menu_by_postcode_area(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    await share_idea(anna, title="Straatfeest", theme="Gezelliger")
    closed = await initiative_titled(journey, "Straatfeest")
    await update_initiative(journey, closed.id or 0, invite_active=False)
    dirk = await onboard(journey, "Dirk", postcode="3511 XY")
    await dirk.press("Doe mee met een initiatief")
    assert "Of kies een open initiatief bij jou in de buurt, in 3511:" in dirk.last
    assert "Groene Lindelaan" in dirk.buttons
    assert "Straatfeest" not in dirk.buttons  # its link is switched off
    await dirk.press("Groene Lindelaan")
    assert "Je bent uitgenodigd voor Groene Lindelaan." in dirk.last
    await dirk.press("Alleen volgen")
    member = await member_of(journey, initiative.id or 0, dirk)
    assert member is not None and member.role is MemberRole.FOLLOWER
    await dirk.press("Terug naar het menu")
    await dirk.press("Doe mee met een initiatief")
    assert "Groene Lindelaan" not in dirk.buttons  # already in


async def test_a_neighbour_without_consent_is_asked_for_it_first(journey: Driver) -> None:
    _, initiative = await founded(journey)
    piet = journey.person("Piet", "nl")
    await piet.command("start")
    await piet.press("Bewaar mijn naam niet")
    await piet.command("start", f"join-{initiative.invite_token}")
    assert "Je bent uitgenodigd voor Groene Lindelaan." in piet.last
    assert "Daarvoor moet ik je naam bewaren" in piet.last
    await piet.press("Ja, je mag mijn naam bewaren")
    await piet.send("Piet")
    assert piet.buttons == ["In het team", "Alleen volgen", "Nu niet"]  # the link was kept
    await piet.press("In het team")
    assert await member_of(journey, initiative.id or 0, piet) is not None
    # The consent button, pressed again later, does not ask again: it follows the link.
    await piet.press("Ja, je mag mijn naam bewaren")
    assert "Je doet al mee met Groene Lindelaan." in piet.last


async def deliver_due(driver: Driver) -> None:
    """Let the scheduler send what is due a few minutes from now."""
    driver.services.clock.advance(timedelta(minutes=5))
    await Dispatcher(driver.services, driver.delivery).sweep()


# --- team roles ----------------------------------------------------------------------------


async def test_role_self_check_and_a_script_for_the_missing_role(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    bram = await onboard(journey, "Bram")
    await bram.command("start", f"join-{initiative.invite_token}")
    await bram.press("In het team")

    await deliver_due(journey)
    await anna.press("Open het initiatief")
    await anna.press("Team en rollen")
    assert "• Anna (initiatiefnemer): heeft de rollencheck nog niet gedaan" in anna.last
    assert "• Bram (team): heeft de rollencheck nog niet gedaan" in anna.last
    await anna.press("Doe de rollencheck")
    assert "1/3 De expert weet veel van het onderwerp" in anna.last
    await anna.press("Ja, dat ben ik")
    assert "2/3 De verbinder kent veel buren" in anna.last
    await anna.send("misschien")
    assert "Antwoord met ja of nee." in anna.last
    await anna.send("Nee")
    await anna.press("Ja, dat ben ik")
    team = anna.last
    assert "Dank je! Je rollen zijn bewaard." in team
    assert "• Anna (initiatiefnemer): Expert, Ondernemer" in team
    assert "✅ Expert: Anna" in team
    assert "❌ Verbinder: nog niemand" in team
    assert "Er mist nog: de verbinder." in team
    assert "Nog niet iedereen heeft de rollencheck gedaan." in team
    assert "Zo vind je een verbinder" in anna.buttons
    assert "Zo vind je een expert" not in anna.buttons

    await anna.press("Zo vind je een verbinder")
    script = anna.messages[-2].plain
    assert "We zoeken iemand die veel mensen hier kent" in script
    assert "Groene Lindelaan" in script and "Anna" in script
    assert "Gebruik de tekst hierboven" in anna.last
    await anna.press("We hebben een plan om ze te vinden")
    await anna.send("Bram vraagt zaterdag de buurvrouw van nummer 8.")
    assert "Jullie plan is bewaard. Succes!" in anna.last
    assert "Jullie plan: Bram vraagt zaterdag de buurvrouw van nummer 8." in anna.last

    member = await member_of(journey, initiative.id or 0, anna)
    assert member is not None and member.roles_checked
    assert (member.is_expert, member.is_connector, member.is_organiser) == (True, False, True)
    stored = await initiative_titled(journey, "Groene Lindelaan")
    assert stored.role_plan == "Bram vraagt zaterdag de buurvrouw van nummer 8."

    # Bram turns out to be the connector: the plan is fulfilled, no longer shown as open.
    await bram.event(ButtonPress(pack("ini", "roles", initiative.id), "q-roles", None))
    await bram.send("Nee")
    await bram.press("Ja, dat ben ik")
    await bram.send("Nee")
    assert "Alle drie de rollen zijn er. Een sterk team!" in bram.last
    assert "Jullie plan:" not in bram.last


# --- the support meter ---------------------------------------------------------------------


async def test_support_meter_numbers_are_checked(db_journey: Driver) -> None:
    anna, _ = await founded(db_journey)
    await anna.press("Draagvlakmeter")
    assert "Draagvlakmeter van Groene Lindelaan" in anna.last
    assert "Door mij geteld: 1 persoon organiseert · 0 buren volgen" in anna.last
    assert anna.buttons == ["Houd 0", "Terug naar het initiatief", "Terug naar het menu"]
    await anna.send("veel")
    assert "Typ een aantal huishoudens, zoals 25." in anna.last
    await anna.send("10001")
    assert "Dat is meer dan ik kan tellen. Typ een getal van 0 tot en met 10000." in anna.last
    await anna.send("-3")
    assert "Typ een aantal huishoudens" in anna.last
    await anna.send("1.200")
    assert "Hoeveel daarvan hebben interesse?" in anna.last
    assert "Houd 0" in anna.buttons
    await anna.send("1300")
    assert "Dat is meer dan de 1200 huishoudens die jullie bereikten." in anna.last
    await anna.send("40")
    await anna.send("41")
    assert "Dat is meer dan de 40 huishoudens met interesse." in anna.last
    await anna.send("12")
    assert "Bewaard." in anna.last
    assert "Jullie cijfers: 1.200 huishoudens bereikt · 40 geïnteresseerd · 12 doen mee" in (
        anna.last
    )
    stored = await initiative_titled(db_journey, "Groene Lindelaan")
    assert (
        stored.households_reached,
        stored.households_interested,
        stored.households_committed,
    ) == (1200, 40, 12)

    # Next time the old figures can be kept with one tap each.
    await anna.press("Cijfers bijwerken")
    await anna.press("Houd 1200")
    await anna.send("50")
    assert anna.buttons[0] == "Houd 12"
    await anna.send("12")
    assert "1.200 huishoudens bereikt · 50 geïnteresseerd · 12 doen mee" in anna.last


async def test_support_meter_counts_rsvps_and_shows_the_kits_threshold(journey: Driver) -> None:
    anna, initiative = await founded(journey, theme="Samen inkopen")
    now = journey.services.clock.now()
    neighbours = [await onboard(journey, name) for name in ("Bram", "Carla", "Dirk", "Eva")]
    people = [await resident(journey, n) for n in neighbours]
    async with journey.services.db.transaction() as session:
        action = Action(
            initiative_id=initiative.id or 0,
            kind=ActionKind.ACTION,
            kit_id="collective-insulation",
            title="Informatieavond isolatie",
            starts_at=now + timedelta(days=7),
            place="Buurthuis",
        )
        session.add(action)
        await session.flush()
        answers = [
            (RsvpAnswer.COMING, False),
            (RsvpAnswer.COMING, False),
            (RsvpAnswer.COMING, True),  # waiting list: not counted as coming
            (RsvpAnswer.MAYBE, False),
        ]
        for person, (answer, waitlisted) in zip(people, answers, strict=True):
            session.add(
                Rsvp(
                    action_id=action.id or 0,
                    resident_id=person.id,
                    answer=answer,
                    waitlisted=waitlisted,
                )
            )
    await anna.press("Draagvlakmeter")
    meter = anna.last
    assert "2 buren komen naar Informatieavond isolatie, zaterdag 5 december om 10:00" in meter
    assert "Nodig: ongeveer 10 huishoudens. Met ongeveer 10 huizen in één straat" in meter
    assert "Nog 8 huishoudens te gaan." in meter
    await anna.press("Terug naar het initiatief")
    assert "Hierna: Informatieavond isolatie, zaterdag 5 december om 10:00, Buurthuis" in (
        anna.last
    )


# --- authorisation -------------------------------------------------------------------------


async def test_forged_card_buttons_are_refused_kindly(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    bram = await onboard(journey, "Bram")
    await bram.command("start", f"join-{initiative.invite_token}")
    await bram.press("Alleen volgen")
    ident = initiative.id

    # A follower forging the initiator's buttons.
    for verb in ("invite", "revoke", "renew", "support", "team", "roles", "why", "nogroup"):
        await forged(bram, f"1:ini:{verb}:{ident}")
        assert "Dat kan ik niet voor je openen." in bram.last, verb
        assert bram.buttons
    assert journey.sender.answered[-1].text == "Dat is er niet (meer)."

    # Someone outside the initiative, and an initiative that does not exist.
    carla = await onboard(journey, "Carla")
    for payload in (f"1:ini:card:{ident}", f"1:ini:progress:{ident}", "1:ini:card:999999"):
        await forged(carla, payload)
        assert "Dat kan ik niet voor je openen." in carla.last
        assert "Wat wil je doen?" in carla.last
    await forged(carla, "1:ini:nonsense:1")
    assert "Die knop werkt niet meer." in carla.last
    await forged(carla, "1:ini:join:team:not-a-real-token")
    assert "Deze uitnodiging is niet meer geldig." in carla.last

    assert await member_of(journey, ident or 0, carla) is None
    stored = await initiative_titled(journey, "Groene Lindelaan")
    assert stored.invite_active and stored.invite_token == initiative.invite_token
    assert "Buren uitnodigen" in (await _card_labels(anna))


async def _card_labels(talker: Talker) -> list[str]:
    await talker.press("Terug naar het menu")
    await talker.press("Mijn initiatieven")
    await talker.press("Groene Lindelaan")
    return talker.buttons


# --- ask my coach, /status, my initiatives ------------------------------------------------


async def test_asking_the_coach_stores_the_question_and_tells_the_coach_side(
    journey: Driver,
) -> None:
    events = record_events(journey.services)
    anna, initiative = await founded(journey)
    await anna.press("Vraag het mijn coach")
    assert "Er is nog geen coach aan jullie initiatief gekoppeld." in anna.last
    await anna.send("x" * 2001)
    assert "Dat is wat lang: 2001 tekens. Kun je het korter maken dan 2000?" in anna.last
    await anna.send("Waar vinden we goedkope plantjes?")
    assert "Je vraag is bewaard. Een buurtcoach pakt hem op" in anna.last
    assert anna.buttons == ["Terug naar het initiatief", "Terug naar het menu"]

    coach = await onboard(journey, "Carla")
    carla = await resident(journey, coach)
    async with journey.services.db.transaction() as session:
        stored = await session.get(Resident, carla.id)
        assert stored is not None
        stored.role = PersonRole.COACH  # a coach_id names a coach only while they are one
    await update_initiative(journey, initiative.id or 0, coach_id=carla.id)
    await anna.press("Terug naar het initiatief")
    await anna.press("Vraag het mijn coach")
    assert "Je buurtcoach is Carla." in anna.last
    await anna.send("Mogen we de stoep op?")
    assert "Je vraag is bij Carla." in anna.last

    async with journey.services.db.transaction() as session:
        requests = (
            (await session.execute(select(SupportRequest).order_by(SupportRequest.id)))  # type: ignore[arg-type]
            .scalars()
            .all()
        )
    assert [(r.question, r.coach_id) for r in requests] == [
        ("Waar vinden we goedkope plantjes?", None),
        ("Mogen we de stoep op?", carla.id),
    ]
    assert [e for e in events if isinstance(e, SupportRequested)] == [
        SupportRequested(r.id or 0, r.resident_id) for r in requests
    ]


async def test_status_and_my_initiatives(journey: Driver) -> None:
    anna = await onboard(journey, "Anna")
    await anna.command("status")
    assert "Je doet nog niet mee met een initiatief." in anna.last
    assert anna.buttons[:2] == ["Deel een idee", "Doe mee met een initiatief"]
    await anna.press("Mijn initiatieven")
    assert "Je doet nog niet mee met een initiatief." in anna.last

    await share_idea(anna, title="Groene Lindelaan")
    await anna.command("status")
    assert "Voortgang van Groene Lindelaan" in anna.last
    assert "⬜ Minstens één andere buur organiseert mee" in anna.last
    assert "Buren uitnodigen" in anna.buttons

    await share_idea(anna, title="Straatfeest", theme="Gezelliger")
    await anna.command("status")
    assert "Van welk initiatief wil je de voortgang zien?" in anna.last
    assert anna.buttons[:2] == ["Straatfeest", "Groene Lindelaan"]
    await anna.press("Straatfeest")
    assert "Voortgang van Straatfeest" in anna.last

    await anna.press("Terug naar het menu")
    await anna.press("Mijn initiatieven")
    assert "• Groene Lindelaan: Initiëren (jij: initiatiefnemer)" in anna.last
    await anna.press("Groene Lindelaan")
    assert "Thema: Groener / klimaat" in anna.last


async def test_the_wishes_and_no_group_goals_can_be_ticked_off(journey: Driver) -> None:
    anna, initiative = await founded(journey)
    await update_initiative(journey, initiative.id or 0, phase=Phase.ACTIVATE)
    async with journey.services.db.transaction() as session:
        session.add(
            Action(
                initiative_id=initiative.id or 0,
                kind=ActionKind.MEETING,
                title="Keukentafel",
                starts_at=journey.services.clock.now() - timedelta(days=2),
                status=ActionStatus.HELD,
            )
        )
        for number in (1, 2):
            person = Resident(telegram_id=900 + number, first_name=f"Buur{number}")
            session.add(person)
            await session.flush()
            session.add(
                Membership(
                    initiative_id=initiative.id or 0,
                    resident_id=person.id or 0,
                    role=MemberRole.TEAM,
                    is_expert=True,
                    is_connector=True,
                    is_organiser=True,
                    roles_checked=True,
                )
            )
    await anna.command("status")
    assert "⬜ De wensen van de buren zijn opgehaald" in anna.last
    await anna.press("We weten hun wensen")
    seen = anna.seen_since(-2)
    assert "Mooi: je hebt een team, en je weet wat de buren willen!" in seen
    assert "Afgevinkt: jullie weten wat de buren willen." in anna.last
    assert "● ● ● ○ ○  Structureren (fase 3 van 5)" in anna.last
    assert "⬜ Er is een groepsapp van de straat gekoppeld" in anna.last
    stored = await initiative_titled(journey, "Groene Lindelaan")
    assert stored.wishes_gathered and stored.phase is Phase.STRUCTURE


# --- anything, anywhere --------------------------------------------------------------------

SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."
STATES: list[tuple[str | None, str | None, dict[str, Any]]] = [
    (None, None, {}),
    ("idea", "what", {}),
    ("idea", "level", {"what": "Tegels eruit"}),
    ("idea", "place", {"what": "Tegels eruit", "level": "street"}),
    ("idea", "postcode", {"what": "Tegels eruit", "level": "district", "place": "Oost"}),
    ("idea", "why", {"what": "Tegels eruit", "level": "street", "place": "Lindelaan"}),
    ("idea", "theme", {"what": "Tegels eruit", "level": "street", "place": "L", "why": ""}),
    (
        "idea",
        "title",
        {"what": "Tegels eruit", "level": "street", "place": "L", "why": "", "theme": "safer"},
    ),
    ("ini_support", "reached", {"initiative_id": "IID", "was": [5, 3, 1]}),
    ("ini_support", "interested", {"initiative_id": "IID", "was": [5, 3, 1], "reached": 4}),
    (
        "ini_support",
        "committed",
        {"initiative_id": "IID", "was": [5, 3, 1], "reached": 4, "interested": 2},
    ),
    ("ini_roles", "expert", {"initiative_id": "IID"}),
    ("ini_roles", "connector", {"initiative_id": "IID", "expert": True}),
    ("ini_roles", "organiser", {"initiative_id": "OTHER", "expert": True, "connector": False}),
    ("ini_role_plan", "plan", {"initiative_id": "IID"}),
    ("ini_why", "why", {"initiative_id": "OTHER"}),
    ("ini_coach", "question", {"initiative_id": "IID"}),
    ("ini_join", "code", {}),
]
texts = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        ["0", "12", "10001", "ja", "nee", "3511", "join-TOKEN", "/start", "", " ", "x" * 2100]
    ),
)
# every verb of the card's route `ini`, as the flows declare them
VERBS = {kind.verb for kind in build_registry().presses if kind.route == "ini"}
# Real buttons (pressed at the wrong moment, or by the wrong person) and forged ones.
known_payloads = st.sampled_from(
    [
        *(f"1:ini:{verb}:{ident}" for verb in sorted(VERBS) for ident in ("IID", "OTHER")),
        "1:ini:join:team:TOKEN",
        "1:ini:join:follow:TOKEN",
        "1:ini:script:IID:connector",
        "1:ini:consent:join-TOKEN",
        "1:s:idea:level:street",
        "1:s:idea:theme:collective_purchase",
        "1:s:idea:title:sug",
        "1:s:ini_support:reached:keep",
        "1:s:ini_support:committed:back",
        "1:s:ini_roles:expert:y",
        "1:s:ini_roles:organiser:n",
        "1:s:ini_role_plan:plan:team",
        "1:s:ini_join:code:nOTHER",
        "1:menu",
    ]
)
random_payloads = st.builds(
    lambda verb, ident, extra: ":".join(["1", "ini", verb, ident, *extra])[:64],
    st.sampled_from([*sorted(VERBS), "zzz", ""]),
    st.one_of(
        st.sampled_from(["IID", "OTHER", "0", "-1", "team", "follow"]),
        st.integers(0, 10**13).map(str),
    ),
    st.lists(st.one_of(st.sampled_from(["TOKEN", "expert", "team"]), st.text(SAFE, max_size=12))),
)


@pytest.fixture
async def fuzz_world(journey: Driver) -> dict[str, Any]:
    anna, initiative = await founded(journey)
    other_founder = await onboard(journey, "Olga")
    await share_idea(other_founder, title="Olga's plan")
    other = await initiative_titled(journey, "Olga's plan")
    return {
        "driver": journey,
        "anna": anna,
        "IID": str(initiative.id),
        "OTHER": str(other.id),
        "TOKEN": initiative.invite_token,
    }


def _fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str) and value in ("IID", "OTHER"):
        return int(world[value])
    return value


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    state=st.sampled_from(STATES),
    event=st.one_of(texts, known_payloads, random_payloads),
    as_button=st.booleans(),
)
async def test_anything_at_any_step_gets_a_kind_reply_with_buttons(
    fuzz_world: dict[str, Any],
    state: tuple[str | None, str | None, dict[str, Any]],
    event: str,
    as_button: bool,
) -> None:
    driver: Driver = fuzz_world["driver"]
    anna: Talker = fuzz_world["anna"]
    flow, step, data = state
    async with driver.services.db.transaction() as session:
        conversation = (
            await session.execute(select(Conversation).where(Conversation.chat_id == anna.who.id))
        ).scalar_one()
        conversation.flow, conversation.step = flow, step
        conversation.data = {key: _fill(value, fuzz_world) for key, value in data.items()}
    for placeholder in ("IID", "OTHER", "TOKEN"):
        event = event.replace(placeholder, fuzz_world[placeholder])
    before = len(anna.messages)
    if event.startswith("1:") or as_button:
        await anna.event(ButtonPress(event[:64], "q-fuzz", None))
    else:
        await anna.send(event)
    assert len(anna.messages) > before, f"no reply to {event!r} at {flow}/{step}"
    reply = anna.seen_since(before)
    assert not any(apology in reply for apology in APOLOGY), reply
    assert anna.messages[-1].buttons, f"no next step after {event!r} at {flow}/{step}"
