"""/mijngegevens and /vergeetmij end to end, on aiogram and python-telegram-bot over the
local Bot API server: Anna's file holds her membership, not that of Bert whom her link
brought in; when Bert is forgotten, nothing in any table still identifies him (the news
of his joining, waiting for Anna, included)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from bot.domain.initiatives import new_invite_token
from bot.i18n import texts_for
from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from storage.models import Initiative, MemberRole, Membership, Resident
from tests.e2e.test_telegram_e2e import onboard

pytestmark = pytest.mark.e2e
NL = texts_for("nl")


async def resident_id(running: Running, person: Person) -> int:
    async with running.services.db.transaction() as session:
        query = select(Resident.id).where(Resident.telegram_id == person.id)
        return (await session.execute(query)).scalar_one()


async def columns_naming(running: Running, values: set[int], words: set[str]) -> list[str]:
    """Every table.column with one of these numbers, or a text (or JSON) holding one of
    them or of the words."""
    words = words | {str(value) for value in values}
    found: set[str] = set()
    async with running.services.db.transaction() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(sa.select(table))).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(value, dict | list):
                        value = json.dumps(value)
                    if (
                        isinstance(value, int) and not isinstance(value, bool) and value in values
                    ) or (isinstance(value, str) and any(word in value for word in words)):
                        found.add(f"{table.name}.{column.name}")
    return sorted(found)


async def test_her_file_is_hers_alone_and_his_forgetting_leaves_nothing(
    bot: Running, server: LocalBotApi
):
    anna, bert = server.person("Anna"), server.person("Bertolt")
    async with bot.services.db.transaction() as session:
        # Resident ids that no other number in the database can be mistaken for.
        session.add(Resident(id=987653, telegram_id=5550000001, first_name="Placeholder"))
    await onboard(anna)
    await anna.wait_for_message()
    anna_id = await resident_id(bot, anna)
    token = new_invite_token()
    async with bot.services.db.transaction() as session:
        initiative = Initiative(title="Groene Lindelaan", what="Tegels eruit", invite_token=token)
        session.add(initiative)
        await session.flush()
        session.add(
            Membership(initiative_id=initiative.id, resident_id=anna_id, role=MemberRole.INITIATOR)
        )
    await onboard(bert)
    await bert.wait_for_message()
    await bert.command("start", f"join-{token}")
    await bert.wait_for_message(containing="Groene Lindelaan")
    await bert.press(NL._("Just follow"))
    await bert.wait_for_message(containing="Groene Lindelaan")
    bert_id = await resident_id(bot, bert)

    await anna.command("mijngegevens")
    sent = await anna.wait_for_message(containing="Alles wat ik over je heb bewaard")
    data = json.loads(sent.document or b"{}")
    assert {m["resident_id"] for m in data["tables"]["membership"]} == {anna_id}
    text = json.dumps(data)
    assert "Bertolt" not in text and str(bert.id) not in text
    assert bert_id not in [v for m in data["tables"].values() for r in m for v in r.values()]

    assert await columns_naming(bot, {bert_id, bert.id}, {"Bertolt"})  # he is there
    await bert.command("vergeetmij")
    await bert.wait_for_message(containing="Zal ik alles wissen wat ik over je weet?")
    await bert.press(NL._("Yes, delete everything"))
    await bert.wait_for_message(containing="ik heb alles over je gewist")
    assert await columns_naming(bot, {bert_id, bert.id}, {"Bertolt"}) == []
