"""Linking Telegram and WhatsApp with a one-time code (bot/flows/link.py, bot/core/identities.py):
the domain's rules one by one, and two people on two networks through the core."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from bot.core import identities
from bot.core.seam import Network
from bot.core.services import Services
from bot.domain import linking
from bot.domain.initiatives import new_invite_token
from bot.domain.linking import LinkOutcome
from bot.domain.privacy import export
from scheduler.timing import FakeClock
from storage.models import (
    Initiative,
    LinkCode,
    MemberRole,
    Membership,
    NetworkIdentity,
    Resident,
    SentMessage,
    Theme,
)
from tests.conftest import make_services
from tests.support.driver import Driver, Talker

BOTH = {
    "telegram_token": "123456:test-token",
    "whatsapp_token": "wa-token",
    "whatsapp_phone_number_id": "1234567",
    "whatsapp_number": "31850000000",
}
CODE = re.compile(r"\b(\d{3}) (\d{3})\b")


@pytest.fixture
async def both(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = make_services(migrated_database_url, clock, **BOTH)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.fixture
def two(both: Services) -> Driver:
    return Driver(both)


async def on_whatsapp(driver: Driver, name: str, number: str, lang: str = "nl") -> Talker:
    async with driver.services.db.transaction() as session:
        address = await identities.address_for(session, Network.WHATSAPP, number)
    return driver.person(name, lang, person_id=address)


async def onboard(talker: Talker) -> Talker:
    await talker.command("start")
    await talker.send(talker.who.first_name)  # the name is the consent
    return talker


async def code_of(talker: Talker) -> str:
    await talker.command("koppel")
    await talker.press("Geef me een code")
    found = CODE.search(talker.last)
    assert found, talker.last
    return found.group(1) + found.group(2)


async def residents(driver: Driver) -> list[Resident]:
    async with driver.services.db.transaction() as session:
        return list((await session.execute(select(Resident))).scalars())


async def identity(driver: Driver, address: int) -> NetworkIdentity:
    async with driver.services.db.transaction() as session:
        query = select(NetworkIdentity).where(NetworkIdentity.address == address)
        return (await session.execute(query)).scalar_one()


async def give_data(driver: Driver, talker: Talker, title: str) -> None:
    """An initiative of their own: data that two residents cannot simply become one with."""
    async with driver.services.db.transaction() as session:
        person = (
            await session.execute(
                select(Resident).where(Resident.id == identities.resident_id_of(talker.who.id))
            )
        ).scalar_one()
        initiative = Initiative(
            title=title,
            what="Tegels eruit, planten erin",
            why="Minder hitte",
            place="Lindelaan",
            theme=Theme.GREENER,
            invite_token=new_invite_token(),
        )
        session.add(initiative)
        await session.flush()
        session.add(
            Membership(
                initiative_id=initiative.id or 0,
                resident_id=person.id or 0,
                role=MemberRole.INITIATOR,
                joined_at=clock_now(driver),
            )
        )


def clock_now(driver: Driver) -> datetime:
    return driver.services.clock.now()


async def test_a_code_from_telegram_typed_on_whatsapp_makes_one_person(two: Driver) -> None:
    anna = await onboard(two.person("Anna", "nl"))
    await anna.command("menu")
    assert "Apps koppelen" in anna.buttons  # both networks run here
    await anna.press("Apps koppelen")
    assert "Niemand ziet je telefoonnummer." in anna.last
    await anna.press("Geef me een code")
    assert "/koppel " in anna.last and "15 minuten" in anna.last
    assert "https://wa.me/31850000000?text=%2Fkoppel%20" in anna.last
    code = CODE.search(anna.last)
    assert code
    # Her phone, new to Buurbot: the first thing she sends there is the code.
    phone = await on_whatsapp(two, "Anna W", "31611111111")
    await phone.command("koppel", f"{code.group(1)} {code.group(2)}")
    assert "Klaar: Telegram en WhatsApp zijn gekoppeld." in phone.last
    assert "via Telegram" in phone.last
    assert "je gebruikt Buurbot nu ook op WhatsApp" in anna.last

    people = await residents(two)
    assert [p.telegram_id for p in people] == [anna.who.id]
    linked = await identity(two, phone.who.id)
    assert linked.resident_id == people[0].id
    assert linked.consented_at is not None  # typing the code there was her yes there
    # On WhatsApp she is Anna now: the menu, no new onboarding, her own name.
    await phone.send("hallo")
    assert "Wat wil je doen?" in phone.last
    await phone.command("koppel")
    assert "al gekoppeld" in phone.last
    # Nobody's phone number is in anything the bot said.
    everything = "\n".join(m.plain for m in anna.messages + phone.messages)
    assert "31611111111" not in everything


async def test_the_menu_offers_linking_only_where_both_networks_run(driver: Driver) -> None:
    anna = await onboard(driver.person("Anna", "nl"))
    await anna.command("menu")
    assert "Apps koppelen" not in anna.buttons
    await anna.command("koppel")  # the command still answers: there is just no other app
    assert "Geef me een code" in anna.buttons


async def test_a_code_from_whatsapp_typed_on_telegram_through_the_button(two: Driver) -> None:
    phone = await onboard(await on_whatsapp(two, "Bram", "48600100200"))
    code = await code_of(phone)
    bram = two.person("Bram", "nl")
    await bram.command("start")  # onboarding asks his name; he links instead
    await bram.command("koppel")
    await bram.press("Ik heb een code")
    await bram.send("12345")
    assert "6 cijfers" in bram.last
    await bram.send(code)
    assert "gekoppeld" in bram.last and "via WhatsApp" in bram.last
    assert [p.telegram_id for p in await residents(two)] == [phone.who.id]


async def test_wrong_expired_used_and_same_network_codes_get_kind_answers(
    two: Driver, clock: FakeClock
) -> None:
    anna = await onboard(two.person("Anna", "nl"))
    code = await code_of(anna)
    await anna.command("koppel", code)
    assert "Die code heb ik je hier gegeven. Typ hem in WhatsApp" in anna.last

    phone = await on_whatsapp(two, "Anna", "31622222222")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    await phone.command("koppel", wrong)
    assert "Die code ken ik niet." in phone.last
    clock.advance(timedelta(minutes=16))
    await phone.command("koppel", code)
    assert "Die code is te oud" in phone.last

    fresh = await code_of(anna)
    await phone.command("koppel", fresh)
    assert "gekoppeld" in phone.last
    other = await on_whatsapp(two, "Someone", "31633333333")
    await other.command("koppel", fresh)
    assert "Die code is al gebruikt." in other.last


async def test_a_few_wrong_codes_then_a_kind_refusal_for_an_hour(
    two: Driver, clock: FakeClock
) -> None:
    anna = await onboard(two.person("Anna", "nl"))
    code = await code_of(anna)
    guesser = await on_whatsapp(two, "Guess", "31644444444")
    for guess in range(linking.MAX_WRONG):
        await guesser.command("koppel", f"{guess:06d}" if f"{guess:06d}" != code else "999999")
    await guesser.command("koppel", code)  # even the right one: not now
    assert "te veel foute codes" in guesser.last
    assert len(await residents(two)) == 2  # nothing was linked
    clock.advance(timedelta(minutes=61))
    code = await code_of(anna)
    await guesser.command("koppel", code)
    assert "gekoppeld" in guesser.last


async def test_two_residents_with_data_are_not_merged(two: Driver) -> None:
    anna = await onboard(two.person("Anna", "nl"))
    phone = await onboard(await on_whatsapp(two, "Anna", "31655555555"))
    await give_data(two, anna, "Groene Lindelaan")
    await give_data(two, phone, "Tegels eruit")
    await phone.command("koppel", await code_of(anna))
    assert "Ik kan ze niet veilig samenvoegen" in phone.last
    assert len(await residents(two)) == 2
    assert (await identity(two, phone.who.id)).resident_id != (
        await identity(two, anna.who.id)
    ).resident_id


async def test_the_side_with_data_stays_when_the_giver_has_none(two: Driver) -> None:
    anna = await onboard(two.person("Anna", "nl"))  # on Telegram: nothing yet
    phone = await onboard(await on_whatsapp(two, "Anna", "31666666666"))
    await give_data(two, phone, "Tegels eruit")
    await phone.command("koppel", await code_of(anna))
    assert "via WhatsApp" in phone.last  # her WhatsApp resident, with the initiative, stays
    people = await residents(two)
    assert [p.telegram_id for p in people] == [phone.who.id]
    assert (await identity(two, anna.who.id)).resident_id == people[0].id
    await anna.command("menu")
    await anna.press("Mijn initiatieven")
    assert "Tegels eruit" in anna.last


async def test_the_code_is_kept_only_as_a_hash_and_never_logged(
    two: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    anna = await onboard(two.person("Anna", "nl"))
    code = await code_of(anna)
    phone = await on_whatsapp(two, "Anna", "31677777777")
    await phone.command("koppel", code)
    assert code not in caplog.text
    async with two.services.db.transaction() as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("conversation", "processed_update", "reply_outbox"):
                continue  # what she typed and was told, her own chat's state
            for row in (await session.execute(sa.select(table))).mappings():
                assert code not in str(dict(row)), table.name
        stored = (await session.execute(select(LinkCode))).scalar_one()
        assert stored.used_at is not None and len(stored.code_hash) == 64


async def test_export_and_forget_cover_every_network(two: Driver) -> None:
    anna = await onboard(two.person("Anna", "nl"))
    phone = await on_whatsapp(two, "Anna", "31688888888")
    await phone.command("koppel", await code_of(anna))
    async with two.services.db.transaction() as session:
        session.add(SentMessage(chat_id=phone.who.id, key="card:wa", message_id=7))
    async with two.services.db.transaction() as session:
        person = (await session.execute(select(Resident))).scalar_one()
        data = await export(session, person)
    networks = sorted(row["network"] for row in data["tables"]["network_identity"])
    assert networks == ["telegram", "whatsapp"]
    assert [row["key"] for row in data["tables"]["sent_message"]] == ["card:wa"]

    await phone.command("vergeetmij")  # asked on WhatsApp: both go
    await phone.press("Ja, wis alles")
    assert await residents(two) == []
    async with two.services.db.transaction() as session:
        for model in (NetworkIdentity, SentMessage, LinkCode):
            assert (await session.execute(select(model))).first() is None, model


async def test_redeem_directly(both: Services, clock: FakeClock) -> None:
    """The domain without the flow: every outcome of `redeem`."""
    now = clock.now()
    async with both.db.transaction() as session:
        giver = Resident(telegram_id=501, first_name="G", consented_at=now)
        session.add(giver)
        await session.flush()
        await identities.claim(session, 501, giver.id or 0)
        address = await identities.address_for(session, Network.WHATSAPP, "31699999999")
        typer = Resident(telegram_id=address, first_name="T")
        session.add(typer)
        await session.flush()
        await identities.claim(session, address, typer.id or 0)
        assert (await linking.redeem(session, typer, address, "abc", now)).outcome is (
            LinkOutcome.NOT_A_CODE
        )
        code = await linking.issue_code(session, giver, 501, now)
        same = await linking.redeem(session, giver, 501, code, now)
        assert same.outcome is LinkOutcome.SAME_NETWORK
        linked = await linking.redeem(session, typer, address, code, now)
        assert linked.outcome is LinkOutcome.LINKED and linked.typer_dissolved
        assert linked.resident is giver and linked.other_address == 501
        session.expunge(typer)  # gone (the engine lets go of it the same way)
        assert await identities.networks_of(session, giver.id) == {
            Network.TELEGRAM,
            Network.WHATSAPP,
        }
        assert await identities.addresses_of(session, giver) == [501, address]
        again = await linking.issue_code(session, giver, 501, now)
        assert (await linking.redeem(session, giver, address, again, now)).outcome is (
            LinkOutcome.ALREADY
        )
