"""The invitation's promise, kept on both Telegram runtimes and in both languages: from
opening the invitation link to being in the team takes three inputs (Start, the name,
"Join the team"), the consent included — what the invitation says ("tap Start, then two
taps"). Inputs are counted as the updates the server made for the newcomer."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import texts_for
from bot.runtimes.common import plain_text
from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from storage.models import Initiative, MemberRole, Membership, Resident
from tests.e2e.test_groups_e2e import seed
from tests.e2e.test_telegram_e2e import onboard

pytestmark = pytest.mark.e2e


def inputs_of(server: LocalBotApi, person: Person) -> int:
    """Messages sent and buttons pressed by this person: the updates made for them."""
    found = 0
    for update in server.world.queue.history.values():
        event = update.get("message") or update.get("callback_query") or {}
        if (event.get("from") or {}).get("id") == person.id:
            found += 1
    return found


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_from_the_invitation_link_into_the_team_in_three_inputs(
    bot: Running, server: LocalBotApi, lang: str
) -> None:
    texts = texts_for(lang)
    anna = server.person("Anna", language_code="nl")
    await onboard(anna)
    iid, _ = await seed(bot, anna)
    async with bot.services.db.transaction() as session:
        token = (await session.get(Initiative, iid)).invite_token  # type: ignore[union-attr]

    bert = server.person("Bert", language_code=lang)
    await bert.command("start", f"join-{token}")  # 1: Start
    greeting = await bert.wait_for_message()
    assert "Groene Lindelaan" in greeting.text  # the newcomer sees what they were invited to
    # The question says what is stored: answering it is the consent.
    assert (
        plain_text(
            texts._(
                "Hello! I'm Buurbot. You're invited to <b>{title}</b>.", title="Groene Lindelaan"
            )
        )
        in greeting.text
    )
    await bert.press(plain_text(texts._("Call me {name}", name="Bert")))  # 2: name = consent
    invitation = await bert.wait_for_message(containing=texts._("Join the team"))
    assert texts._("Thank you, {name}. You're all set.", name="Bert") in invitation.text
    await bert.press(texts._("Join the team"))  # 3: in the team
    welcome = texts._(
        "Welcome to the team of <b>{title}</b>! The initiators know you joined.",
        title="Groene Lindelaan",
    )
    await bert.wait_for_message(containing=plain_text(welcome))

    assert inputs_of(server, bert) == 3
    async with bot.services.db.transaction() as session:
        person = (
            await session.execute(select(Resident).where(Resident.telegram_id == bert.id))
        ).scalar_one()
        member = (
            await session.execute(
                select(Membership).where(
                    Membership.initiative_id == iid, Membership.resident_id == person.id
                )
            )
        ).scalar_one()
    assert member.role is MemberRole.TEAM
    assert person.consented_at is not None and person.name == "Bert"
