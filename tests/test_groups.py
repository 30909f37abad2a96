"""Street group chats, at the engine: the bot added to a group and linked by an
initiator who is an admin there; the action card that collects answers in place; polls
closed by the scheduler; the plan pinned; reminders, thank-yous and welcomes through the
scheduler; a group that becomes a supergroup. The clock is a Saturday, 28 November 2026,
10:00 in Amsterdam; the scheduler runs when a test says so."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.core.engine import publish
from bot.core.events import InitiativeCreated, RsvpGiven
from bot.core.payloads import is_deep_link_payload, pack
from bot.core.seam import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ButtonPress,
    Chat,
    ChatKind,
    ChatMigrated,
    Command,
    EditText,
    Event,
    Incoming,
    MembersJoined,
    Outgoing,
    Person,
    PinMessage,
    PollAnswer,
    SendPoll,
    SendText,
)
from bot.core.services import Services
from bot.domain import group_rows
from bot.domain import groups as g
from bot.domain.initiatives import new_invite_token
from bot.runtimes.recording import Shown
from scheduler.dispatch import Dispatcher
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    ActionStatus,
    GroupChat,
    GroupPoll,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    PollVote,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
    SentMessage,
    new_link_token,
)
from tests.conftest import START, make_services
from tests.support.driver import Driver, Talker
from tests.test_journey_actions import onboard, plan, press_payload, resident_of, seed_initiative

AMS = ZoneInfo("Europe/Amsterdam")
# The answers to a link or button that is not for the person, whatever it names.
NOT_IN_GROUP = (
    "Dit kan ik niet voor je openen. Het werkt alleen voor mensen in die groep, en alleen "
    "zolang ik erin zit. Zit je in de groep? Probeer het dan over een minuut nog eens."
)
NOT_ANSWERED = (
    "Dit kan ik niet voor je openen. Het werkt voor buren die op de actiekaart in hun groep "
    "hebben geantwoord. Nog niet geantwoord? Tik dan eerst je antwoord op de kaart aan, en "
    "open dit daarna opnieuw."
)
_updates = itertools.count(50_000_000)
_queries = itertools.count(1)


# --- fixtures: the conftest's services without the flood guards (the clock stands still) ----


def quiet_services(url: str, clock: FakeClock) -> Services:
    return make_services(url, clock, flood_max_updates=100_000, group_flood_max_updates=100_000)


@pytest.fixture
async def sqlite_services(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = quiet_services(migrated_sqlite_url, clock)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.fixture
async def services(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = quiet_services(migrated_database_url, clock)
    await services.db.migrate()
    yield services
    await services.db.close()


@dataclass
class Admins:
    """The ChatDirectory port, answered from sets (the Telegram runtimes ask getChatMember)."""

    admins: set[tuple[int, int]] = field(default_factory=set)
    members: set[tuple[int, int]] = field(default_factory=set)
    asked: list[tuple[int, int]] = field(default_factory=list)
    broken: bool = False

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        return await self.member_status(chat_id, user_id) in ("creator", "administrator")

    async def member_status(self, chat_id: int, user_id: int) -> str:
        self.asked.append((chat_id, user_id))
        if self.broken:
            raise ConnectionError("Telegram did not answer")
        if (chat_id, user_id) in self.admins:
            return "administrator"
        return "member" if (chat_id, user_id) in self.members else "left"

    def make(self, street: Street, talker: Talker) -> None:
        self.admins.add((street.id, talker.who.id))

    def join(self, street: Street, someone: Talker | Person) -> None:
        self.members.add((street.id, _who(someone).id))


@pytest.fixture
def admins(sqlite_services: Services) -> Admins:
    directory = Admins()
    sqlite_services.chat_directory = directory
    return directory


@pytest.fixture
def dispatcher(driver: Driver) -> Dispatcher:
    return Dispatcher(driver.services, driver.delivery)


# --- a group chat, as the engine sees one --------------------------------------------------


@dataclass
class Street:
    """A group chat with the bot: people add it, join, type commands and press buttons."""

    driver: Driver
    chat: Chat

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def messages(self) -> list[Shown]:
        return self.driver.sender.chats[self.chat.id]

    @property
    def last(self) -> Shown:
        return self.messages[-1]

    async def event(self, who: Person, event: Event) -> list[Outgoing]:
        return await self.driver.deliver(Incoming(self.chat, who, event, next(_updates)))

    async def add_bot(self, by: Talker | Person) -> list[Outgoing]:
        return await self.event(_who(by), BotAddedToGroup())

    async def command(self, by: Talker | Person, name: str, args: str = "") -> list[Outgoing]:
        return await self.event(_who(by), Command(name, args))

    async def join(self, *people: Person) -> None:
        for person in people:
            await self.event(person, MembersJoined((person,)))

    async def press(
        self, by: Talker | Person, label: str, message: Shown | None = None
    ) -> list[Outgoing]:
        for shown in [message] if message else reversed(self.messages):
            for row in shown.buttons:
                for button in row:
                    if button.label == label and button.payload:
                        press = ButtonPress(button.payload, f"g{next(_queries)}", shown.message_id)
                        return await self.event(_who(by), press)
        raise AssertionError(f"no button {label!r} in the group")

    def containing(self, text: str) -> list[Shown]:
        return [shown for shown in self.messages if text in shown.plain]


def _who(someone: Talker | Person) -> Person:
    return someone.who if isinstance(someone, Talker) else someone


def stranger(name: str, user_id: int, lang: str = "nl") -> Person:
    """Someone in the group who never talked to the bot."""
    return Person(user_id, name, lang)


async def vote(driver: Driver, who: Talker | Person, poll_id: str, *options: int) -> None:
    person = _who(who)
    await driver.deliver(
        Incoming(Chat(person.id), person, PollAnswer(poll_id, tuple(options)), next(_updates))
    )


async def link_code(driver: Driver, street: Street) -> str:
    """The code of the group's deep link (group-<code>)."""
    return (await group_row(driver, street.id)).link_token


async def name_code(driver: Driver, action_id: int | None) -> str:
    """The code of an action card's "show my name" deep link (gname-<code>)."""
    async with driver.services.db.transaction() as session:
        action = await session.get(Action, action_id)
        assert action is not None
        return action.link_token


async def group_row(driver: Driver, chat_id: int) -> GroupChat:
    async with driver.services.db.transaction() as session:
        row = await g.group_by_chat(session, chat_id)
        assert row is not None
        return row


async def outbox_rows(driver: Driver, prefix: str) -> list[ScheduledMessage]:
    async with driver.services.db.transaction() as session:
        result = await session.execute(
            select(ScheduledMessage)
            .where(ScheduledMessage.dedupe_key.startswith(prefix))  # type: ignore[attr-defined]
            .order_by(ScheduledMessage.id)  # type: ignore[arg-type]
        )
        return list(result.scalars().all())


def toasts(driver: Driver) -> list[str]:
    return [answer.text or "" for answer in driver.sender.answered]


async def linked_street(
    driver: Driver, admins: Admins, *, kind: ChatKind = ChatKind.SUPERGROUP, chat_id: int = -1001
) -> tuple[Talker, int, Street]:
    """Anna started Groene Lindelaan, added the bot to the street's group and linked it."""
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    street = Street(driver, Chat(chat_id, kind, "Lindelaan"))
    admins.make(street, anna)
    await street.add_bot(anna)
    await anna.press("Groene Lindelaan")
    return anna, iid, street


# --- joining and linking -----------------------------------------------------------------------


async def test_added_to_a_group_it_introduces_itself_and_asks_the_adder_privately(
    driver: Driver, admins: Admins
) -> None:
    anna = await onboard(driver, "Anna")
    await seed_initiative(driver, anna)
    street = Street(driver, Chat(-1001, ChatKind.SUPERGROUP, "Lindelaan"))
    await street.add_bot(anna)

    [intro] = street.messages
    assert "👋 Hallo! Ik ben Buurbot." in intro.plain
    assert "Ik lees niet mee: ik reageer alleen op opdrachten zoals /actie" in intro.plain
    assert "Een initiatiefnemer koppelt deze groep" in intro.plain
    assert "Anna, ik heb je een privébericht gestuurd om dat te doen." in intro.plain
    assert "Tip: maak mij beheerder van deze groep" in intro.plain
    [[link]] = intro.buttons
    code = await link_code(driver, street)
    assert len(code) == 16 and str(-street.id) not in code  # random, not the chat id
    assert (link.label, link.url) == (
        "🔗 Groep koppelen",
        f"https://t.me/buurbot_test_bot?start=group-{code}",
    )
    assert "Je hebt mij toegevoegd aan de groep Lindelaan. Dank je!" in anna.last
    assert "Bij welk initiatief hoort de groep Lindelaan?" in anna.last
    assert anna.buttons == ["Groene Lindelaan", "Start een nieuw initiatief", "Terug naar het menu"]
    row = await group_row(driver, street.id)
    assert row.active and row.initiative_id is None and row.title == "Lindelaan"
    assert row.added_by_id == (await resident_of(driver, anna)).id
    assert admins.asked == []  # only asked at the moment of linking


async def test_an_initiator_who_is_an_admin_links_the_group(
    driver: Driver, admins: Admins, dispatcher: Dispatcher
) -> None:
    anna, iid, street = await linked_street(driver, admins)

    assert admins.asked == [(street.id, anna.who.id)]
    assert "Klaar: de groep Lindelaan hoort nu bij Groene Lindelaan." in anna.last
    assert anna.messages[-1].edits == 1  # the question became the answer
    announcement = street.last
    assert announcement.plain.startswith("✅ Deze groep hoort nu bij Groene Lindelaan!")
    assert "📌 Het plan van Groene Lindelaan" in announcement.plain
    assert "Structureren (fase 3 van 5)" in announcement.plain
    assert announcement.labels == ["🙋 Doe mee"]
    row = await group_row(driver, street.id)
    anna_id = (await resident_of(driver, anna)).id
    assert (row.initiative_id, row.linked_by_id, row.linked_at) == (iid, anna_id, START)
    # The plan is pinned as soon as Telegram gave it an id: by the scheduler.
    assert not announcement.pinned
    await dispatcher.sweep()
    assert announcement.pinned
    assert (await group_row(driver, street.id)).pinned_message_id == announcement.message_id
    # The deep link in the group now shows where it belongs, with "unlink" for Anna.
    await anna.command("start", f"group-{await link_code(driver, street)}")
    assert "De groep Lindelaan hoort bij Groene Lindelaan." in anna.last
    assert anna.buttons[0] == "Groep loskoppelen"


async def test_linking_is_refused_for_a_non_admin_and_for_a_non_initiator(
    driver: Driver, admins: Admins
) -> None:
    anna = await onboard(driver, "Anna")
    cas = await onboard(driver, "Cas")
    iid = await seed_initiative(driver, anna, team=(cas,))
    street = Street(driver, Chat(-1001, ChatKind.GROUP, "Lindelaan"))
    await street.add_bot(anna)
    admins.join(street, anna)
    before = len(street.messages)

    # Anna started it, but is no admin of the group.
    await anna.press("Groene Lindelaan")
    assert "Alleen een beheerder van de groep Lindelaan kan dit, en dat ben jij niet." in anna.last
    assert anna.buttons == ["Opnieuw proberen", "Terug naar het menu"]
    assert toasts(driver)[-1] == "Sorry, dat kan voor jou niet."
    # Cas is an admin, but only in the team: not an initiator. (The button is not even
    # offered to him; a forged one is refused.)
    admins.make(street, cas)
    await press_payload(cas, pack("grp", "link", await link_code(driver, street), iid))
    assert "Alleen een initiatiefnemer van Groene Lindelaan kan er een groep aan koppelen." in (
        cas.last
    )
    # Telegram not answering: nothing is said about the group, nothing is linked.
    admins.make(street, anna)
    admins.broken = True
    await anna.press("Opnieuw proberen")
    assert anna.last == NOT_IN_GROUP
    assert (await group_row(driver, street.id)).initiative_id is None
    assert len(street.messages) == before  # nothing was said in the group
    # Made an admin: the same button now links.
    admins.broken = False
    await anna.press("Opnieuw proberen")
    assert (await group_row(driver, street.id)).initiative_id == iid


async def test_added_by_someone_who_never_talked_to_the_bot(driver: Driver, admins: Admins) -> None:
    """No private message (Telegram would refuse it, and they would count as unreachable):
    the group's button opens the private chat, through onboarding, to the question."""
    piet = stranger("Piet", 777)
    street = Street(driver, Chat(-1002, ChatKind.GROUP, "Eikenlaan"))
    await street.add_bot(piet)
    assert "Tik op de knop om dat te doen in een chat met mij." in street.last.plain
    assert driver.sender.chats[777] == []
    async with driver.services.db.transaction() as session:
        person = (await session.execute(select(Resident).where(Resident.telegram_id == 777))).one()
        assert person[0].reachable and person[0].consented_at is None
    admins.join(street, piet)
    talker = Talker(driver, piet)
    await talker.command("start", f"group-{await link_code(driver, street)}")
    await talker.send("Piet")
    assert "De groep Eikenlaan hoort nog niet bij een initiatief." in talker.last
    assert talker.buttons == ["Start een nieuw initiatief", "Terug naar het menu"]


async def test_who_adds_the_bot_and_then_starts_an_initiative_is_offered_the_link(
    driver: Driver, admins: Admins, dispatcher: Dispatcher
) -> None:
    anna = await onboard(driver, "Anna")
    street = Street(driver, Chat(-1003, ChatKind.GROUP, "Beukenlaan"))
    admins.make(street, anna)
    await street.add_bot(anna)
    assert "Jij hebt er nog geen gestart" in anna.last
    await anna.press("Start een nieuw initiatief")
    assert "Als het bewaard is, vraag ik of ik de groep Beukenlaan eraan koppel." in (
        anna.messages[-2].plain
    )
    # The idea flow ends with InitiativeCreated (its own tests walk it).
    iid = await seed_initiative(driver, anna, title="Beuken groen")
    anna_id = (await resident_of(driver, anna)).id or 0
    async with driver.services.db.transaction() as session:
        await publish(driver.services, session, [InitiativeCreated(iid, anna_id)])
    await dispatcher.sweep()
    assert "Zal ik de groep Beukenlaan koppelen aan Beuken groen?" in anna.last
    await anna.press("Ja, koppel hem")
    assert (await group_row(driver, street.id)).initiative_id == iid


async def test_unlinking_and_being_removed_keep_things_tidy(driver: Driver, admins: Admins) -> None:
    anna, iid, street = await linked_street(driver, admins, kind=ChatKind.GROUP)
    await plan(anna, iid)
    [reminder] = await outbox_rows(driver, "greminder:")
    assert reminder.status is OutboxStatus.PENDING and reminder.chat_id == street.id

    # Removed: inactive, the link kept, nothing more is sent there.
    await street.event(anna.who, BotRemovedFromGroup())
    row = await group_row(driver, street.id)
    assert not row.active and row.initiative_id == iid
    [reminder] = await outbox_rows(driver, "greminder:")
    assert reminder.status is OutboxStatus.CANCELLED
    # Back: it says so, and the reminder is planned again.
    await street.add_bot(anna)
    assert "👋 Ik ben er weer! Deze groep hoort bij Groene Lindelaan." in street.last.plain
    [reminder] = await outbox_rows(driver, "greminder:")
    assert reminder.status is OutboxStatus.PENDING

    await anna.command("start", f"group-{await link_code(driver, street)}")
    await anna.press("Groep loskoppelen")
    assert "Deze groep hoort niet meer bij Groene Lindelaan." in street.last.plain
    assert street.last.labels == ["🔗 Groep koppelen"]
    assert "Klaar: de groep Lindelaan hoort niet meer bij Groene Lindelaan." in anna.last
    assert (await group_row(driver, street.id)).initiative_id is None
    [reminder] = await outbox_rows(driver, "greminder:")
    assert reminder.status is OutboxStatus.CANCELLED


def legacy_chat_code(chat_id: int) -> str:
    """The code group links carried before they were tokens: the chat id in base 36."""
    digits, number = "", abs(chat_id)
    while True:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if not number:
            break
    return ("n" if chat_id < 0 else "p") + digits


async def test_links_and_buttons_tell_someone_outside_nothing(
    driver: Driver, admins: Admins
) -> None:
    """Eve is in neither the group nor the initiative: whatever she opens or forges, she
    reads one kind answer, the same as for something that does not exist."""
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    card = street.last
    [name_url] = [b.url for row in card.buttons for b in row if b.label == "🙋 Mijn naam tonen"]
    token = await name_code(driver, action.id)
    assert name_url is not None and name_url.endswith(f"gname-{token}")
    assert token != str(action.id)  # no counting up to the next action
    bert = await onboard(driver, "Bert")
    other = await seed_initiative(driver, bert, title="Kastanjeplein")
    eve = await onboard(driver, "Eve")
    admins.make(Street(driver, Chat(-1099, ChatKind.GROUP, "Elders")), eve)
    group_code = await link_code(driver, street)
    seen = len(eve.messages)

    for deep_link, answer in (
        (f"group-{group_code}", NOT_IN_GROUP),
        (f"group-{legacy_chat_code(street.id)}", NOT_IN_GROUP),  # the old, countable code
        (f"group-{new_link_token()}", NOT_IN_GROUP),  # no such group
        (f"gname-{token}", NOT_ANSWERED),
        (f"gname-{action.id}", NOT_ANSWERED),  # the old code: the action's id
        (f"gname-{(action.id or 0) + 1}", NOT_ANSWERED),  # no such action
    ):
        await eve.command("start", deep_link)
        assert eve.last == answer, deep_link
    for payload, answer in (
        (pack("grp", "link", group_code, iid), NOT_IN_GROUP),
        (pack("grp", "unlink", group_code), NOT_IN_GROUP),
        (pack("grp", "new", group_code), NOT_IN_GROUP),
        (pack("gname", action.id, 1), NOT_ANSWERED),
    ):
        await press_payload(eve, payload)
        assert eve.last == answer, payload
        assert toasts(driver)[-1] == "Sorry, dat kan ik niet voor je openen."
    told = eve.seen_since(seen)
    for secret in ("Lindelaan", "Tegelwipdag", "Kastanjeplein"):
        assert secret not in told

    # In the group now (an admin, even): she may know the group and what it belongs to,
    # but not an initiative she is not in — the same answer as for one that is not there.
    admins.make(street, eve)
    await eve.command("start", f"group-{group_code}")
    assert "De groep Lindelaan hoort bij Groene Lindelaan." in eve.last
    await press_payload(eve, pack("grp", "link", group_code, other))
    nowhere = eve.last
    await press_payload(eve, pack("grp", "link", group_code, other + 100))
    assert eve.last == nowhere == "Ik kan dat initiatief niet (meer) vinden."
    assert "Kastanjeplein" not in eve.seen_since(seen)
    assert (await group_row(driver, street.id)).initiative_id == iid

    # Old links keep working for the people they are for.
    await anna.command("start", f"group-{legacy_chat_code(street.id)}")
    assert "De groep Lindelaan hoort bij Groene Lindelaan." in anna.last
    await street.press(stranger("Dirk", 9901), "Ik kom")
    dirk = Talker(driver, stranger("Dirk", 9901))
    await dirk.command("start", f"gname-{action.id}")
    assert NOT_ANSWERED not in dirk.seen_since(0)  # he answered: onboarding, then the toggle


async def test_a_join_link_without_a_valid_token_tells_nothing(driver: Driver) -> None:
    """Join links were checked too: their tokens are random, and a wrong, a switched-off
    and a forged one read alike, naming nothing."""
    anna = await onboard(driver, "Anna")
    iid = await seed_initiative(driver, anna)
    eve = await onboard(driver, "Eve")
    async with driver.services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        token = initiative.invite_token
        initiative.invite_active = False
    assert len(token) == 16
    seen = len(eve.messages)
    await eve.command("start", f"join-{new_invite_token()}")
    unknown = eve.last
    await eve.command("start", f"join-{token}")
    assert eve.last == unknown
    await press_payload(eve, pack("ini", "join", "team", token))
    assert eve.last == unknown
    assert "Groene Lindelaan" not in eve.seen_since(seen)
    async with driver.services.db.transaction() as session:
        members = await session.execute(select(Membership).where(Membership.initiative_id == iid))
        assert len(members.scalars().all()) == 1  # Anna only


async def test_the_name_link_of_someone_who_answered_opens_after_onboarding(
    driver: Driver, admins: Admins
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    dirk = Talker(driver, stranger("Dirk", 9902))
    await street.press(dirk, "Ik kom")
    await dirk.command("start", f"gname-{await name_code(driver, action.id)}")
    await dirk.send("Dirk")
    assert "Je naam op de kaart van Tegelwipdag" in dirk.last
    await dirk.press("Mijn naam tonen")
    assert "🙋 Met naam: Dirk" in street.containing("Tegelwipdag (Actie)")[-1].plain


# --- commands --------------------------------------------------------------------------------


async def test_commands_in_an_unlinked_group_say_how_to_link(driver: Driver, admins: Admins):
    anna = await onboard(driver, "Anna")
    street = Street(driver, Chat(-1004, ChatKind.GROUP, "Lindelaan"))
    await street.add_bot(anna)
    for name in ("actie", "peiling", "plan"):
        await street.command(anna, name)
        assert street.last.plain.startswith("Deze groep hoort nog niet bij een initiatief.")
        assert street.last.labels == ["🔗 Groep koppelen"]
    await street.command(anna, "help")
    assert "/actie – de volgende actie: zeg of je komt" in street.last.plain
    assert "Deze groep hoort nog niet bij een initiatief." in street.last.plain
    await street.command(anna, "menu")
    assert "/menu werkt in een privéchat met mij." in street.last.plain
    # In a private chat, the group commands explain where they work.
    await anna.command("actie")
    assert "Deze opdracht werkt in een groepschat van je straat waar ik in zit." in anna.last


async def test_the_group_speaks_english_when_its_linker_does(driver: Driver, admins: Admins):
    tom = await onboard(driver, "Tom", "en")
    iid = await seed_initiative(driver, tom, title="Green street")
    street = Street(driver, Chat(-1005, ChatKind.GROUP, "Green street"))
    await street.add_bot(tom)
    assert "Hallo! Ik ben Buurbot." in street.last.plain  # before linking: Dutch
    admins.make(street, tom)
    await tom.press("Green street")
    assert street.last.plain.startswith("✅ This group now belongs to Green street!")
    await plan(tom, iid, title="Tile day", when="12 December 14:00")
    await street.command(tom, "action")
    assert "Tile day (Action)" in street.last.plain
    assert street.last.labels[:3] == ["I'm coming", "Maybe", "I can't come"]


# --- the action card -------------------------------------------------------------------------


async def test_an_action_card_collects_five_answers_edited_in_place(
    driver: Driver, admins: Admins
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    bert = await onboard(driver, "Bert")
    cas = await onboard(driver, "Cas")  # talks to the bot, but is not a member
    await seed_member(driver, iid, bert)
    action = await plan(anna, iid)
    dirk, eva, fenna = stranger("Dirk", 801), stranger("Eva", 802), stranger("Fenna", 803)

    await street.command(bert, "actie")
    card = street.last
    assert "Tegelwipdag (Actie)" in card.plain
    assert "Wanneer: zaterdag 12 december om 14:00" in card.plain
    assert "Komen: 0 · misschien: 0 · kunnen niet: 0" in card.plain
    assert card.labels == [
        "Ik kom",
        "Misschien",
        "Ik kan niet",
        "🔔 Herinner mij",
        "🙋 Mijn naam tonen",
    ]
    shown = len(street.messages)

    for who, label in (
        (bert, "Ik kom"),
        (cas, "Ik kom"),
        (dirk, "Misschien"),
        (eva, "Ik kan niet"),
    ):
        await street.press(who, label)
    await street.press(fenna, "Ik kom")

    assert len(street.messages) == shown  # one card, no new messages
    assert card.edits == 5
    assert "Komen: 3 · misschien: 1 · kunnen niet: 1" in card.plain
    assert "Met naam" not in card.plain  # nobody chose to show their name
    answered = toasts(driver)[-5:]
    assert answered[0] == "Tot dan!"  # Bert is a member
    assert answered[2] == (
        "Genoteerd: misschien. Wil je een herinnering in je eigen chat? Tik op “🔔 Herinner mij”."
    )
    assert answered[3] == "Genoteerd."
    # The strangers are counted, not told anything privately, and stored without consent.
    assert all(driver.sender.chats[person.id] == [] for person in (dirk, eva, fenna))
    async with driver.services.db.transaction() as session:
        people = (
            (
                await session.execute(
                    select(Resident).where(Resident.telegram_id.in_([801, 802, 803]))
                )  # type: ignore[attr-defined]
            )
            .scalars()
            .all()
        )
        assert len(people) == 3 and all(p.consented_at is None for p in people)
        assert len((await session.execute(select(Rsvp))).scalars().all()) == 5
    # Only the member gets private reminders; and the card needs no extra refresh.
    reminders = await outbox_rows(driver, f"reminder:{action.id}:")
    bert_id = (await resident_of(driver, bert)).id
    assert {row.resident_id for row in reminders} == {bert_id}
    assert await outbox_rows(driver, "gcardupd:") == []

    # The same answer again changes nothing, and does not edit the card.
    await street.press(dirk, "Misschien")
    assert card.edits == 5 and toasts(driver)[-1] == "Dat had je al geantwoord."

    # Bert shows his name: the card lists it; Cas, who says maybe later, is only counted.
    await bert.command("start", f"gname-{await name_code(driver, action.id)}")
    assert "Op de kaart in Lindelaan tel je alleen mee" in bert.last
    await bert.press("Mijn naam tonen")
    assert "Je naam staat op de kaart in Lindelaan als je komt." in bert.last
    assert "🙋 Met naam: Bert" in card.plain and card.edits == 6
    # Dirk never talked to the bot: the name link first asks his consent.
    dirk_chat = Talker(driver, dirk)
    await dirk_chat.command("start", f"gname-{await name_code(driver, action.id)}")
    assert dirk_chat.messages  # onboarding starts; the link is carried through it


async def test_a_new_card_takes_over_and_a_private_answer_reaches_the_card(
    driver: Driver, admins: Admins, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    bert = await onboard(driver, "Bert")
    await seed_member(driver, iid, bert)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    first = street.last
    await street.command(anna, "actie")
    second = street.last
    assert first is not second and first.buttons == ()
    assert "⬇️ Deze kaart staat nu lager: antwoord op de nieuwste." in first.plain

    # Bert answers in his own chat: the group's card follows when the scheduler runs.
    clock.advance(1)
    await press_payload(bert, pack("rsvp", action.id, "c"))
    [refresh] = await outbox_rows(driver, "gcardupd:")
    assert refresh.status is OutboxStatus.PENDING
    await dispatcher.sweep()
    assert "Komen: 1 · misschien: 0 · kunnen niet: 0" in second.plain
    assert second.edits == 1 and first.edits == 1  # the old card only lost its buttons


async def test_a_cancelled_action_closes_its_card_and_its_group_messages(
    driver: Driver, admins: Admins, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    card = street.last
    clock.advance(60)
    await press_payload(anna, pack("act", "cancelok", action.id))
    for prefix in ("greminder:", "gthanks:"):
        assert [row.status for row in await outbox_rows(driver, prefix)] == [OutboxStatus.CANCELLED]
    await dispatcher.sweep()
    assert "❌ Afgelast." in card.plain and card.buttons == ()
    assert card.edits == 1


async def seed_member(driver: Driver, iid: int, talker: Talker) -> None:
    resident_id = (await resident_of(driver, talker)).id or 0
    async with driver.services.db.transaction() as session:
        session.add(
            Membership(
                initiative_id=iid,
                resident_id=resident_id,
                role=MemberRole.FOLLOWER,
                joined_at=START,
            )
        )


async def test_a_stranger_who_joins_later_gets_private_reminders_for_their_answer(
    driver: Driver, admins: Admins
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    dirk = await onboard(driver, "Dirk")
    await street.press(dirk, "Ik kom")
    assert await outbox_rows(driver, f"reminder:{action.id}:") == []
    await dirk.command("start", f"join-{await token_of(driver, iid)}")
    await dirk.press("Alleen volgen")
    dirk_id = (await resident_of(driver, dirk)).id
    assert {row.resident_id for row in await outbox_rows(driver, f"reminder:{action.id}:")} == {
        dirk_id
    }


async def token_of(driver: Driver, iid: int) -> str:
    from storage.models import Initiative

    async with driver.services.db.transaction() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        return initiative.invite_token


# --- polls -------------------------------------------------------------------------------------


async def test_a_two_day_poll_is_closed_by_the_bot_at_its_deadline(
    driver: Driver, admins: Admins, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    anna, _iid, street = await linked_street(driver, admins)
    cas = await onboard(driver, "Cas")
    await street.command(cas, "peiling", "Welke dag? za 12 dec | zo 13 dec")
    assert "Alleen de organisatoren van Groene Lindelaan kunnen hier een peiling starten." in (
        street.last.plain
    )
    await street.command(anna, "peiling", "Welke dag? za 12 dec | za 12 dec")
    assert street.last.plain.startswith("Twee antwoorden zijn hetzelfde.")
    assert "/peiling Welke dag? za 12 dec | zo 13 dec | 2d" in street.last.plain

    await street.command(anna, "peiling", "Welke dag? za 12 dec | zo 13 dec | 2 dagen")
    poll = street.last
    assert poll.poll_options == ("za 12 dec", "zo 13 dec")
    assert poll.text == "Welke dag? (tot ma 30 nov 10:00)"
    sent = driver.sender.sent[-1]
    assert isinstance(sent, SendPoll) and sent.allows_multiple  # dates: tick all that suit
    poll_id = f"poll-{poll.message_id}"

    bert, dirk, eva = stranger("Bert", 901), stranger("Dirk", 902), stranger("Eva", 903)
    await vote(driver, bert, poll_id, 0)
    await vote(driver, cas, poll_id, 0, 1)
    await vote(driver, dirk, poll_id, 1)
    await vote(driver, dirk, poll_id, 0)  # changed their mind
    await vote(driver, eva, poll_id, 1)
    await vote(driver, eva, poll_id)  # took it back
    await vote(driver, bert, "some-other-poll", 0)  # not ours: ignored
    async with driver.services.db.transaction() as session:
        stored = (await session.execute(select(GroupPoll))).scalar_one()
        assert stored.poll_id == poll_id and stored.message_id == poll.message_id
        assert await g.poll_counts(session, stored) == ([3, 1], 3)
        # Who voted is a reference to the resident (found by export and forget), one each.
        voters = (await session.execute(select(PollVote.resident_id))).scalars().all()
        telegram_ids = select(Resident.telegram_id).where(Resident.id.in_(voters))  # type: ignore[union-attr]
        assert sorted((await session.execute(telegram_ids)).scalars()) == sorted(
            [901, 902, cas.who.id]
        )

    clock.advance(timedelta(days=1))
    await dispatcher.sweep()
    assert not poll.poll_closed
    clock.advance(timedelta(days=1))
    await dispatcher.sweep()
    assert poll.poll_closed
    result = street.last.plain
    assert result.startswith("📊 De peiling is gesloten: Welke dag?")
    assert "• za 12 dec: 3 stemmen\n• zo 13 dec: 1 stem" in result
    assert "De meeste stemmen: za 12 dec." in result
    assert "3 buren hebben gestemd." in result
    await vote(driver, eva, poll_id, 1)  # too late
    async with driver.services.db.transaction() as session:
        stored = (await session.execute(select(GroupPoll))).scalar_one()
        assert stored.votes == {"counts": [3, 1], "voters": 3}
        assert stored.closed_at == START + timedelta(days=2)


@pytest.mark.parametrize(
    ("typed", "question", "options", "closes", "dates"),
    [
        ("Welke dag? za 12 dec | zo 13 dec", "Welke dag?", ("za 12 dec", "zo 13 dec"), "2d", True),
        ("Hoe laat? 14:00 | 15:00 | 12u", "Hoe laat?", ("14:00", "15:00"), "12h", False),
        ("Eten: pizza | soep | 1 week", "Eten:", ("pizza", "soep"), "7d", False),
        (
            "Wat doen we? Tegels | Bloemen | Bankjes | tot vrijdag",
            "Wat doen we?",
            ("Tegels", "Bloemen", "Bankjes"),
            "2026-12-04T20:00+01:00",
            False,
        ),
        ("Wat? a | b | until Monday 9:00", "Wat?", ("a", "b"), "2026-11-30T09:00+01:00", False),
    ],
)
def test_poll_commands_are_read(
    typed: str, question: str, options: tuple, closes: str, dates: bool
) -> None:
    spec = g.parse_poll(typed, START, AMS)
    assert (spec.question, spec.options, spec.dates) == (question, options, dates)
    if closes[0].isdigit() and "T" in closes:
        assert spec.closes_at == datetime.fromisoformat(closes)
    else:
        unit = {"d": "days", "h": "hours"}[closes[-1]]
        assert spec.closes_at == START + timedelta(**{unit: int(closes[:-1])})


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("geen vraag | a | b", "Start a poll like this"),
        ("Vraag? a", "Start a poll like this"),
        ("Vraag? a | a", "Two answers are the same"),
        ("Vraag? " + " | ".join(str(i) for i in range(11)), "2 to 10 answers"),
        ("Vraag? a | b | 30m", "2 to 10 answers"),  # not a deadline: a third answer... of 3
        ("Vraag? a | b | 0u", "at least an hour"),
        ("Vraag? a | b | 5 weken", "4 weeks at most"),
        ("Vraag? a | b | tot ooit", "I don't understand the deadline"),
    ],
)
def test_poll_commands_that_cannot_be_used_say_why(typed: str, why: str) -> None:
    if typed.endswith("30m"):
        assert g.parse_poll(typed, START, AMS).options == ("a", "b", "30m")
        return
    with pytest.raises(g.PollError, match=why) as raised:  # no regex characters in why
        g.parse_poll(typed, START, AMS)
    assert why in raised.value.msgid


# --- the plan ----------------------------------------------------------------------------------


async def test_plan_is_pinned_and_edited_in_place_afterwards(
    driver: Driver, admins: Admins, dispatcher: Dispatcher
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    announcement = street.last
    bert = stranger("Bert", 1201)
    await street.command(bert, "plan")
    # No new message: the plan (the announcement) is edited and pinned.
    assert street.last is announcement and announcement.pinned and announcement.edits == 1
    assert announcement.plain.startswith("📌 Het plan van Groene Lindelaan")
    assert "📅 Er is nog niets gepland." in announcement.plain
    assert isinstance(driver.sender.sent[-1], PinMessage)
    pins = sum(isinstance(sent, PinMessage) for sent in driver.sender.sent)
    # Nothing changed: one short answer, no pin again, not an edit Telegram would refuse.
    out = await street.command(bert, "plan")
    assert [type(sent) for sent in out] == [SendText]
    assert street.last.plain == "📌 Het plan staat bovenaan vastgezet. Er is niets veranderd."
    assert announcement.edits == 1
    # Typed again and again, by anyone: the bot says nothing more, pins nothing.
    shown = len(street.messages)
    for someone in (bert, stranger("Cas", 1202), anna.who):
        assert await street.command(someone, "plan") == []
    assert len(street.messages) == shown
    assert sum(isinstance(sent, PinMessage) for sent in driver.sender.sent) == pins
    # An action planned: the pinned plan shows it; the pin is left alone.
    await plan(anna, iid)
    await street.command(bert, "plan")
    assert announcement.edits == 2
    assert "📅 Hierna: Tegelwipdag, zaterdag 12 december om 14:00, Lindelaan 1" in (
        announcement.plain
    )
    assert "Typ /actie om te zeggen of je komt." in announcement.plain
    assert sum(isinstance(sent, PinMessage) for sent in driver.sender.sent) == pins
    # This plan is new: a repeat is answered once again, then silence.
    await street.command(bert, "plan")
    assert len(street.messages) == shown + 1
    assert street.last.plain == "📌 Het plan staat bovenaan vastgezet. Er is niets veranderd."
    assert await street.command(bert, "plan") == []
    await dispatcher.sweep()  # the pin planned at linking finds it pinned already
    assert sum(isinstance(sent, PinMessage) for sent in driver.sender.sent) == pins


# --- through the scheduler ------------------------------------------------------------------------


async def test_a_reminder_reaches_the_group_24_hours_before_and_thanks_the_day_after(
    driver: Driver, admins: Admins, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)  # Saturday 12 December, 14:00
    [reminder] = await outbox_rows(driver, "greminder:")
    assert reminder.due_at == datetime(2026, 12, 11, 14, 0, tzinfo=AMS)
    assert (reminder.chat_id, reminder.kind) == (street.id, "group_reminder")
    [thanks] = await outbox_rows(driver, "gthanks:")
    assert thanks.due_at == datetime(2026, 12, 13, 10, 0, tzinfo=AMS)
    await street.command(anna, "actie")
    card = street.last
    await street.press(stranger("Bert", 1301), "Ik kom")

    clock.set(reminder.due_at - timedelta(minutes=1))
    await dispatcher.sweep()
    assert not street.containing("⏰ Herinnering")
    clock.set(reminder.due_at)
    await dispatcher.sweep()
    [sent] = street.containing("⏰ Herinnering: Tegelwipdag is op zaterdag 12 december om 14:00.")
    assert "Komen: 1 · misschien: 0 · kunnen niet: 0" in sent.plain
    assert sent.labels[:3] == ["Ik kom", "Misschien", "Ik kan niet"]
    # An answer on the reminder updates it and the card alike.
    await street.press(stranger("Cas", 1302), "Misschien", sent)
    assert "Komen: 1 · misschien: 1" in sent.plain and "Komen: 1 · misschien: 1" in card.plain

    clock.set(thanks.due_at)
    await dispatcher.sweep()
    thank_you = street.last.plain
    assert thank_you.startswith("🙏 Dank je wel, iedereen die bij Tegelwipdag was!")
    assert "1 buur zei: ik kom." in thank_you
    assert street.last.labels == ["🙋 Doe mee"]
    assert action.id is not None


async def test_the_group_card_of_a_held_action_says_how_many_came(
    driver: Driver, admins: Admins, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    """The group's card is the shared card: once the organisers report back, the group
    reads the attendance too (it used to say only "Held.")."""
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    card = street.last
    assert "Geweest" not in card.plain
    async with driver.services.db.transaction() as session:
        held = await session.get(Action, action.id)
        assert held is not None
        held.status, held.attended = ActionStatus.HELD, 7
        await group_rows.schedule_card_refresh(session, action.id or 0, clock.now())
    await dispatcher.sweep()
    assert "✅ Geweest: er kwamen 7 mensen." in card.plain
    assert "Komen: 0 · misschien: 0 · kunnen niet: 0" in card.plain
    assert "Checklist" not in card.plain and "Taken" not in card.plain
    assert card.buttons == ()  # a held action takes no answers


async def test_group_messages_keep_the_quiet_hours_of_the_group(
    driver: Driver, admins: Admins
) -> None:
    anna, iid, _street = await linked_street(driver, admins)
    await plan(anna, iid, when="za 12 dec 23:00")  # 24 h before is Friday 23:00: quiet
    [reminder] = await outbox_rows(driver, "greminder:")
    assert reminder.due_at == datetime(2026, 12, 12, 9, 0, tzinfo=AMS)


async def test_a_burst_of_30_joins_yields_at_most_two_welcomes(
    driver: Driver, admins: Admins, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    _anna, _iid, street = await linked_street(driver, admins)
    names = ["Anna", "Bert"] + [f"Buur{number}" for number in range(28)]
    people = [stranger(name, 2000 + number) for number, name in enumerate(names)]
    for person in people:
        await street.join(person)
        clock.advance(2)
    welcomes = street.containing("👋 Welkom")
    assert [w.plain for w in welcomes] == [
        "👋 Welkom Anna! Deze groep hoort bij Groene Lindelaan. Doe je mee? Tik op de knop: "
        "dan hoor je over acties in je eigen chat. Typ /plan voor het plan."
    ]
    assert welcomes[0].labels == ["🙋 Doe mee"]
    clock.set(START + g.WELCOME_WINDOW)
    await dispatcher.sweep()
    welcomes = street.containing("👋 Welkom")
    assert len(welcomes) == 2
    assert welcomes[1].plain.startswith("👋 Welkom Bert, Buur0 en 27 anderen!")
    [row] = await outbox_rows(driver, "gwelcome:")
    assert row.payload == {"count": 29}  # the names were only needed to say hello
    # A join long after: welcomed at once again.
    clock.advance(timedelta(hours=1))
    await street.join(stranger("Zoë", 3000))
    assert street.last.plain.startswith("👋 Welkom Zoë!")


async def test_the_supergroup_migration_keeps_the_link(
    driver: Driver, admins: Admins, dispatcher: Dispatcher
) -> None:
    anna, iid, street = await linked_street(driver, admins, kind=ChatKind.GROUP, chat_id=-4001)
    await plan(anna, iid)
    await street.command(anna, "actie")
    await street.command(anna, "peiling", "Welke dag? za 12 dec | zo 13 dec")
    new_id = -100_4001
    await street.event(anna.who, ChatMigrated(new_id))

    row = await group_row(driver, new_id)
    assert (row.initiative_id, row.active, row.pinned_message_id) == (iid, True, None)
    async with driver.services.db.transaction() as session:
        assert await g.group_by_chat(session, street.id) is None
        left = (await session.execute(select(SentMessage))).scalars().all()
        assert {m.key.split("#")[0] for m in left if m.chat_id in (street.id, new_id)} <= {
            f"gpoll:{m.key.split(':')[1]}" for m in left if m.key.startswith("gpoll:")
        }
        polls = (await session.execute(select(GroupPoll))).scalars().all()
        assert [p.chat_id for p in polls] == [new_id]
        assert not polls[0].poll_id.startswith("pending:")
    for prefix in ("greminder:", "gthanks:", "gpoll:"):
        assert [r.chat_id for r in await outbox_rows(driver, prefix)] == [new_id]
    # The supergroup works as the group did; the card there is a new one.
    super_street = Street(driver, Chat(new_id, ChatKind.SUPERGROUP, "Lindelaan"))
    await super_street.command(anna, "actie")
    assert "Tegelwipdag (Actie)" in super_street.last.plain
    await super_street.press(stranger("Bert", 4100), "Ik kom")
    assert super_street.last.edits == 1


def test_link_codes_are_random_and_travel_in_a_deep_link() -> None:
    codes = {new_link_token() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) == 16 and is_deep_link_payload(f"gname-{code}") for code in codes)


def test_a_label_shows_typed_text_as_typed_and_a_rendered_text_without_markup() -> None:
    from bot.core.seam import Button
    from bot.i18n import Safe, texts_for
    from bot.runtimes.common import keyboard_rows

    typed = "<b>Kastanje</b> & co"
    rendered = texts_for("nl")._("Answer {coach}", coach=typed)  # Safe: the value escaped
    assert "&lt;b&gt;" in rendered
    rows = keyboard_rows(
        (
            (
                Button(typed, "1:a"),
                Button(rendered, "1:b"),
                Button(Safe("<b>Vet</b> &amp; zo"), "1:c"),
            ),
        )
    )
    assert [button["text"] for button in rows[0]] == [
        typed,
        "Antwoord <b>Kastanje</b> & co",
        "Vet & zo",
    ]


def test_welcome_names_are_merged() -> None:
    from bot.i18n import texts_for

    nl = texts_for("nl")
    payload = g.welcome_payload(None, ["Anna"])
    payload = g.merge_welcomes(payload, g.welcome_payload(None, ["Bert", "Cas", "Dirk"]))
    assert payload == {"names": ["Anna", "Bert", "Cas"], "count": 4}
    assert g.name_list(nl, ["Anna"]) == "Anna"
    assert g.name_list(nl, ["Anna", "Bert"]) == "Anna en Bert"
    assert g.name_list(nl, ["Anna", "Bert", "Cas"]) == "Anna, Bert en Cas"
    assert g.name_list(nl, ["Anna", "Bert", "Cas"], 30) == "Anna, Bert en 28 anderen"
    assert g.name_list(nl, ["<b>"], 1) == "&lt;b&gt;"


async def onboard_id(driver: Driver, name: str) -> int:
    return (await resident_of(driver, await onboard(driver, name))).id or 0


async def test_the_card_refresh_row_follows_the_live_card_without_a_chat(
    driver: Driver, admins: Admins, clock: FakeClock
) -> None:
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    aid = action.id or 0
    bert_id = await onboard_id(driver, "Bert")
    answer = RsvpGiven(aid, bert_id, RsvpAnswer.COMING)
    async with driver.services.db.transaction() as session:
        # No card in the group yet: nothing to refresh.
        await group_rows.answer_given(session, answer, clock.now())
    assert await outbox_rows(driver, "gcardupd:") == []
    await street.command(anna, "actie")
    async with driver.services.db.transaction() as session:
        # The card was edited in this very update: no row either.
        group_rows.mark_fresh(session, aid)
        await group_rows.answer_given(session, answer, clock.now())
    assert await outbox_rows(driver, "gcardupd:") == []
    async with driver.services.db.transaction() as session:
        await group_rows.answer_given(session, answer, clock.now())
    [row] = await outbox_rows(driver, "gcardupd:")
    assert (row.kind, row.chat_id, row.action_id) == (g.GroupKind.CARD, street.id, aid)
    async with driver.services.db.transaction() as session:
        await group_rows.card_is_fresh(session, aid)
    assert [r.status for r in await outbox_rows(driver, "gcardupd:")] == [OutboxStatus.CANCELLED]


async def test_joins_inside_the_window_wait_in_one_welcome_row_without_a_chat(
    driver: Driver, admins: Admins, clock: FakeClock
) -> None:
    _anna, iid, street = await linked_street(driver, admins)
    now = clock.now()
    async with driver.services.db.transaction() as session:
        group = await g.group_by_chat(session, street.id)
        assert group is not None
        group.last_welcome_at = now
        await group_rows.welcome_later(session, group, iid, ["Anna"], now)
        await group_rows.welcome_later(session, group, iid, ["Bert", "Cas", "Dirk"], now)
    [row] = await outbox_rows(driver, "gwelcome:")
    assert row.status is OutboxStatus.PENDING
    assert row.due_at == now + g.WELCOME_WINDOW
    assert row.payload == {"names": ["Anna", "Bert", "Cas"], "count": 4}
    async with driver.services.db.transaction() as session:
        group = await g.group_by_chat(session, street.id)
        assert group is not None
        taken = await group_rows.take_waiting_welcomes(session, group)
    assert taken == {"names": ["Anna", "Bert", "Cas"], "count": 4}
    [row] = await outbox_rows(driver, "gwelcome:")
    assert row.status is OutboxStatus.CANCELLED


async def test_linking_works_on_every_database(db_driver: Driver) -> None:
    directory = Admins()
    db_driver.services.chat_directory = directory
    anna, iid, street = await linked_street(db_driver, directory)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    await street.press(stranger("Bert", 5001), "Ik kom")
    assert "Komen: 1" in street.last.plain
    assert isinstance(db_driver.sender.sent[-1], EditText)
    await street.command(anna, "peiling", "Welke dag? za 12 dec | zo 13 dec")
    await vote(db_driver, stranger("Bert", 5001), f"poll-{street.last.message_id}", 1)
    async with db_driver.services.db.transaction() as session:
        assert (await g.group_of_initiative(session, iid)) is not None
        poll = (await session.execute(select(GroupPoll))).scalar_one()
        assert await g.poll_counts(session, poll) == ([0, 1], 1)
        answer = (await session.execute(select(Rsvp))).scalar_one()
        assert (answer.action_id, answer.answer) == (action.id, RsvpAnswer.COMING)


def _row_of(connection, table: str, **given: object) -> int:  # type: ignore[no-untyped-def]
    """A row with `given`, every other required column filled in by its type."""
    import sqlalchemy as sa

    columns = sa.inspect(connection).get_columns(table)
    values: dict[str, object] = {}
    for column in columns:
        if column["name"] == "id" or column["nullable"] or column["name"] in given:
            continue
        kind = column["type"]
        if isinstance(kind, sa.Boolean):
            values[column["name"]] = False
        elif isinstance(kind, sa.Integer | sa.BigInteger):
            values[column["name"]] = 0
        elif isinstance(kind, sa.DateTime):
            values[column["name"]] = START
        elif isinstance(kind, sa.JSON):
            values[column["name"]] = []
        else:
            values[column["name"]] = "x"
    values.update(given)
    target = sa.Table(table, sa.MetaData(), autoload_with=connection)
    return connection.execute(sa.insert(target).values(**values).returning(target.c.id)).scalar()


async def test_the_migration_gives_existing_groups_and_actions_a_random_token(
    database_url: str,
) -> None:
    """Groups and actions made before revision 0005 get tokens of their own; downgrading
    takes the column away again."""
    import sqlalchemy as sa
    from alembic import command

    from storage.db import Database, alembic_config

    def to(revision: str, down: bool = False):  # type: ignore[no-untyped-def]
        def run(connection) -> None:  # type: ignore[no-untyped-def]
            config = alembic_config(database_url)
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)

        return run

    def seed(connection) -> None:  # type: ignore[no-untyped-def]
        initiative = _row_of(connection, "initiative", invite_token="tok-0001")
        for number in range(3):
            _row_of(connection, "group_chat", chat_id=-100 - number, title=f"Straat {number}")
            _row_of(connection, "action", initiative_id=initiative, title=f"Actie {number}")

    def tokens(connection) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            token
            for table in ("group_chat", "action")
            for token in connection.execute(sa.text(f"SELECT link_token FROM {table}")).scalars()
        ]

    def columns(connection) -> set[str]:  # type: ignore[no-untyped-def]
        return {column["name"] for column in sa.inspect(connection).get_columns("group_chat")}

    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(to("0002"))
            await connection.run_sync(seed)
            await connection.run_sync(to("0005"))
            found = await connection.run_sync(tokens)
            await connection.run_sync(to("0002", down=True))
            left = await connection.run_sync(columns)
    finally:
        await db.close()
    assert len(found) == 6 and len(set(found)) == 6
    assert all(len(token) == 16 and is_deep_link_payload(token) for token in found)
    assert "link_token" not in left and "chat_id" in left
