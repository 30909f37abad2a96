"""A street group chat end to end, over real HTTP against the local Bot API server, on
aiogram and on python-telegram-bot: the bot added to a group, linked by an initiator who
is an admin there, an action card collecting answers edited in place, the plan pinned.
No call may be rejected by the server (checked by the `start_bot` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.groups import chat_code
from bot.initiatives import new_invite_token
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


class TelegramAdmins:
    """The ChatDirectory port over getChatMember, as the runtimes are to provide it
    (until they do, the test sets it on the running bot's services)."""

    def __init__(self, server: LocalBotApi) -> None:
        self.url = server.url("getChatMember")

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, json={"chat_id": chat_id, "user_id": user_id}) as response,
        ):
            body = await response.json()
        return bool(body.get("ok")) and body["result"]["status"] in ("creator", "administrator")


def quick_pacer() -> Pacer:
    """Telegram's group pace (20 a minute, tested in test_pacing) would only make this test
    wait; the server enforces no limits here."""
    return Pacer(Limits(chat_per_second=50, chat_burst=50, group_per_minute=3000, group_burst=50))


async def onboard(person: Person) -> None:
    await person.command("start")
    await person.wait_for_message()
    await person.press(f"Noem me {person.name}")
    await person.wait_for_message()
    await person.press("Zeg ik liever niet")
    await person.wait_for_message()
    await person.press("Ja, dat is goed")
    await person.wait_for_message(containing="Wat wil je doen?")


async def seed(running: Running, initiator: Person) -> tuple[int, int]:
    """Groene Lindelaan with Anna as its initiator, and its next action."""
    async with running.services.db.transaction() as session:
        anna = (
            await session.execute(select(Resident).where(Resident.telegram_id == initiator.id))
        ).scalar_one()
        initiative = Initiative(
            title="Groene Lindelaan",
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


async def test_a_street_group_is_linked_answers_on_its_card_and_pins_its_plan(
    bot: Running, server: LocalBotApi
) -> None:
    bot.services.chat_directory = TelegramAdmins(server)
    bot.core.delivery.pacer = quick_pacer()
    anna = server.person("Anna")
    await onboard(anna)
    iid, _action_id = await seed(bot, anna)

    # Added to the street's supergroup: an introduction there, a question to Anna.
    street = server.group("Lindelaan", type="supergroup")
    await street.add_bot(by=anna, as_admin=True)
    intro = await street.wait_for_message(containing="Ik ben Buurbot")
    assert "Ik lees niet mee" in (intro.text or "")
    assert intro.buttons == [
        [("🔗 Groep koppelen", f"https://t.me/buurbot_test_bot?start=group-{chat_code(street.id)}")]
    ]
    question = await anna.wait_for_message(containing="Bij welk initiatief hoort de groep")
    assert question.labels[0] == "Groene Lindelaan"

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
