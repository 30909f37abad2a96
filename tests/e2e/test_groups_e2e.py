"""A street group chat end to end, over real HTTP against the local Bot API server, on
aiogram and on python-telegram-bot: the bot added to a group, linked by an initiator who
is an admin there, an action card collecting answers edited in place, the plan pinned.
Who is in a group, and who administers it, is asked of the server (getChatMember) by the
runtime itself, as it will be of Telegram. No call may be rejected by the server (checked
by the `start_bot` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.initiatives import new_invite_token
from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from scheduler.dispatch import Dispatcher
from scheduler.pacing import Limits, Pacer
from storage.models import (
    Action,
    GroupChat,
    Initiative,
    MemberRole,
    Membership,
    Phase,
    Resident,
    Theme,
)

pytestmark = pytest.mark.e2e


def quick_pacer() -> Pacer:
    """Telegram's group pace (20 a minute, tested in test_pacing) would only make this test
    wait; the server enforces no limits here."""
    return Pacer(Limits(chat_per_second=50, chat_burst=50, group_per_minute=3000, group_burst=50))


async def onboard(person: Person) -> None:
    await person.command("start")
    await person.wait_for_message()
    await person.press(f"Noem me {person.name}")
    await person.wait_for_message(containing="Wat wil je doen?")


async def seed(
    running: Running, initiator: Person, title: str = "Groene Lindelaan"
) -> tuple[int, int]:
    """Groene Lindelaan (or another) with Anna (or another) as its initiator, and its next
    action."""
    async with running.services.db.transaction() as session:
        anna = (
            await session.execute(select(Resident).where(Resident.telegram_id == initiator.id))
        ).scalar_one()
        initiative = Initiative(
            title=title,
            what="Tegels eruit, planten erin",
            place="Lindelaan",
            theme=Theme.GREENER,
            phase=Phase.STRUCTURE,
            invite_token=new_invite_token(),
        )
        session.add(initiative)
        await session.flush()
        session.add(
            Membership(
                initiative_id=initiative.id or 0,
                resident_id=anna.id or 0,
                role=MemberRole.INITIATOR,
                joined_at=datetime.now(UTC),
            )
        )
        starts = (datetime.now(UTC) + timedelta(days=14)).replace(
            hour=13, minute=0, second=0, microsecond=0
        )
        action = Action(
            initiative_id=initiative.id or 0,
            title="Tegelwipdag",
            starts_at=starts,
            place="Lindelaan 1",
            created_by_id=anna.id,
        )
        session.add(action)
        await session.flush()
        return initiative.id or 0, action.id or 0


async def link_code(running: Running, chat_id: int) -> str:
    async with running.services.db.transaction() as session:
        group = (
            await session.execute(select(GroupChat).where(GroupChat.chat_id == chat_id))
        ).scalar_one()
        return group.link_token


async def test_a_street_group_is_linked_answers_on_its_card_and_pins_its_plan(
    bot: Running, server: LocalBotApi
) -> None:
    bot.core.delivery.pacer = quick_pacer()
    anna = server.person("Anna")
    await onboard(anna)
    iid, _action_id = await seed(bot, anna)
    # A title typed with tags: its button shows exactly what was typed.
    await seed(bot, anna, title="<b>Kastanje</b> & co")

    # Added to the street's supergroup: an introduction there, a question to Anna.
    street = server.group("Lindelaan", type="supergroup")
    await street.add_bot(by=anna, as_admin=True)
    intro = await street.wait_for_message(containing="Ik ben Buurbot")
    assert "Ik lees niet mee" in (intro.text or "")
    code = await link_code(bot, street.id)
    assert intro.buttons == [
        [("🔗 Groep koppelen", f"https://t.me/buurbot_test_bot?start=group-{code}")]
    ]
    question = await anna.wait_for_message(containing="Bij welk initiatief hoort de groep")
    assert sorted(question.labels[:2]) == ["<b>Kastanje</b> & co", "Groene Lindelaan"]

    # Linked by Anna, who started the initiative and is the group's creator.
    await anna.press("Groene Lindelaan")
    announcement = await street.wait_for_message(
        containing="Deze groep hoort nu bij Groene Lindelaan"
    )
    await anna.wait_for_message(containing="Klaar: de groep Lindelaan hoort nu bij")
    assert [call.ok for call in server.calls_to("getChatMember", street.id)] == [True]
    async with bot.services.db.transaction() as session:
        group = (
            await session.execute(select(GroupChat).where(GroupChat.chat_id == street.id))
        ).scalar_one()
        assert group.initiative_id == iid and group.active

    # Neighbours join; one of them asks for the action; three answer on the card.
    bert, cas = server.person("Bert"), server.person("Cas", started=False)
    dirk = server.person("Dirk", started=False)
    for person in (bert, cas, dirk):
        await street.join(person)
    await street.wait_for_message(containing="Welkom Bert!")
    await street.command(bert, "actie", mention=True)
    card = await street.wait_for_message(containing="Tegelwipdag (Actie)")
    assert card.labels[:3] == ["Ik kom", "Misschien", "Ik kan niet"]
    messages = len(street.bot_messages)
    for person, label, totals in (
        (bert, "Ik kom", "Komen: 1 · misschien: 0"),
        (cas, "Misschien", "Komen: 1 · misschien: 1"),
        (dirk, "Ik kom", "Komen: 2 · misschien: 1"),
    ):
        query = await street.press(person, label)
        await server.wait_for_answer(query)
        edited = await street.wait_for_message(containing=totals)
        assert edited.message_id == card.message_id and edited.edited
    assert len(street.bot_messages) == messages  # no new messages: the card was edited
    assert len(server.calls_to("editMessageText", street.id)) == 3
    toast = server.callback_query(query).answer or {}
    assert "Wil je een herinnering in je eigen chat?" in toast.get("text", "")
    assert dirk.bot_messages == []  # never talked to the bot: nothing private

    # /plan: the plan (the announcement) edited with the action, and pinned.
    await street.command(cas, "plan")
    await server.wait_until(
        lambda: any(m.pinned for m in street.bot_messages), what="the plan pinned"
    )
    [pinned] = [m for m in street.bot_messages if m.pinned]
    assert pinned.message_id == announcement.message_id
    assert "📅 Hierna: Tegelwipdag" in (pinned.text or "")
    assert len(street.bot_messages) == messages
    # The scheduler's pin of the plan just posted finds nothing left to do.
    report = await Dispatcher(bot.services, bot.core.delivery).sweep()
    assert report.sent == 0 and len(server.calls_to("pinChatMessage")) == 1

    # /plan again and again, by anyone: one short answer, no pin again, then silence.
    handled = bot.core.handled
    for person in (cas, bert, dirk, cas):
        await street.command(person, "plan")
    await server.wait_until(lambda: bot.core.handled >= handled + 4, what="four /plan handled")
    answers = [m for m in street.bot_messages if "Er is niets veranderd" in (m.text or "")]
    assert len(answers) == 1
    assert len(street.bot_messages) == messages + 1
    assert len(server.calls_to("pinChatMessage")) == 1


async def test_a_group_of_one_initiative_is_not_linked_to_another_nor_shown_to_outsiders(
    bot: Running, server: LocalBotApi
) -> None:
    """The guards of linking, with the group's members and admins as the server knows them:
    a group that belongs to one initiative is not taken by another, an initiative keeps
    one group, and someone outside the group learns nothing from its link."""
    bot.core.delivery.pacer = quick_pacer()
    anna, bert, eve = server.person("Anna"), server.person("Bert"), server.person("Eve")
    for person in (anna, bert, eve):
        await onboard(person)
    await seed(bot, anna)
    await seed(bot, bert, title="Kastanjeplein")

    # Bert adds the bot to the street's group (he made it: its creator), and is asked.
    street = server.group("Lindelaan", type="supergroup")
    await street.add_bot(by=bert, as_admin=True)
    await bert.wait_for_message(containing="Bij welk initiatief hoort de groep Lindelaan?")
    # Anna is an admin there too; she links it to Groene Lindelaan first, from its link.
    await street.join(anna)
    street.set_admin(anna)
    code = await link_code(bot, street.id)
    await anna.command("start", f"group-{code}")
    await anna.wait_for_message(containing="Bij welk initiatief hoort de groep Lindelaan?")
    await anna.press("Groene Lindelaan")
    await anna.wait_for_message(containing="Klaar: de groep Lindelaan hoort nu bij")

    # Bert's question is still there; his answer no longer takes the group.
    await bert.press("Kastanjeplein")
    await bert.wait_for_message(
        containing="De groep Lindelaan hoort al bij Groene Lindelaan. Een initiatiefnemer "
        "daarvan kan hem eerst loskoppelen."
    )
    # A second group for Groene Lindelaan is refused: one group per initiative.
    north = server.group("Lindelaan-Noord", type="supergroup")
    await north.add_bot(by=anna, as_admin=True)
    await anna.wait_for_message(containing="Bij welk initiatief hoort de groep Lindelaan-Noord?")
    await anna.press("Groene Lindelaan")
    await anna.wait_for_message(
        containing="Groene Lindelaan heeft al een groep: Lindelaan. Eén groep per "
        "initiatief: koppel die eerst los."
    )
    # Eve is in neither group: the link tells her nothing, as Telegram says she is not in it.
    seen = len(eve.bot_messages)
    await eve.command("start", f"group-{code}")
    answer = await eve.wait_for_message(containing="Dit kan ik niet voor je openen.")
    assert "Lindelaan" not in " ".join(m.text or "" for m in eve.bot_messages[seen:])
    assert answer.labels == ["Terug naar het menu"]
    statuses = [call.ok for call in server.calls_to("getChatMember", street.id)]
    # Asked each time: Anna's link opened, her answer, Bert's answer, Eve's look.
    assert statuses == [True] * 4
    async with bot.services.db.transaction() as session:
        groups = (await session.execute(select(GroupChat))).scalars().all()
        linked = {group.title: group.initiative_id for group in groups}
    assert linked["Lindelaan-Noord"] is None and linked["Lindelaan"] is not None


async def test_a_press_on_someone_elses_private_message_is_refused_to_the_presser(
    bot: Running, server: LocalBotApi
) -> None:
    """Bert taps a button on a message in Anna's chat (a forged or replayed press): he is
    answered, in his own chat; Anna's chat is left alone."""
    anna, bert = server.person("Anna"), server.person("Bert")
    await onboard(anna)
    await onboard(bert)
    await anna.command("menu")
    menu = await anna.wait_for_message(containing="Wat wil je doen?")
    anna_sees = [(m.message_id, m.text, m.labels) for m in anna.bot_messages]
    query = await bert.press_in(menu, menu.labels[0])
    answer = await server.wait_for_answer(query)
    assert answer.get("text") == "Die knop hoort bij een eerdere vraag."
    await bert.wait_for_message(containing="Die knop werkt niet meer. Hier waren we gebleven:")
    assert [(m.message_id, m.text, m.labels) for m in anna.bot_messages] == anna_sees
