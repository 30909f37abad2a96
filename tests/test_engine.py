"""The engine's promises: each update once, conversations never race, every step
answers /menu /help /stop and bad input kindly, and a restart resumes."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.engine import Engine
from bot.flows.onboarding import onboarding
from bot.seam import (
    ButtonPress,
    Chat,
    ChatKind,
    Command,
    Incoming,
    Person,
    SendText,
    Text,
    Unsupported,
)
from storage.models import Conversation, ProcessedUpdate
from tests.conftest import make_services
from tests.support.driver import Driver, Talker

ONBOARDING_PATH = {
    "name": [],
    "postcode": ["Anna"],
    "consent": ["Anna", "1234 AB"],
}


async def at_step(driver: Driver, step: str, name: str = "Anna") -> Talker:
    anna = driver.person(name, "nl")
    await anna.command("start")
    for answer in ONBOARDING_PATH[step]:
        await anna.send(answer)
    return anna


async def conversation_of(driver: Driver, talker: Talker) -> Conversation:
    async with driver.services.db.transaction() as session:
        return (await session.execute(select(Conversation))).scalars().all()[-1]


async def test_a_redelivered_update_is_handled_once(db_driver: Driver) -> None:
    anna = await at_step(db_driver, "postcode")
    before = len(anna.messages)
    await anna.send("1234 AB", update_id=777)
    await anna.send("1234 AB", update_id=777)
    assert len(anna.messages) == before + 1
    async with db_driver.services.db.transaction() as session:
        ids = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert ids.count(777) == 1


async def test_two_quick_messages_never_race_one_conversation(db_driver: Driver) -> None:
    anna = await at_step(db_driver, "name")
    # Both arrive at once; serialised, the first is the name and the second the postcode.
    await asyncio.gather(anna.send("Anna"), anna.send("1234 AB"))
    conversation = await conversation_of(db_driver, anna)
    assert conversation.step == "consent"
    answers = {k: v for k, v in conversation.data.items() if not k.startswith("_")}
    assert answers == {"name": "Anna", "postcode": "1234 AB"}  # "_…": the machinery's own


@pytest.mark.parametrize("step", list(ONBOARDING_PATH))
async def test_help_in_every_step_repeats_the_question(driver: Driver, step: str) -> None:
    anna = await at_step(driver, step)
    question = anna.messages[-1].plain
    await anna.command("help")
    assert "Opdrachten" in anna.last
    assert question.split("\n")[-1] in anna.last


@pytest.mark.parametrize("step", list(ONBOARDING_PATH))
async def test_stop_in_every_step_stops(driver: Driver, step: str) -> None:
    anna = await at_step(driver, step)
    await anna.command("stop")
    assert "Gestopt." in anna.last
    assert anna.buttons  # still a next step
    conversation = await conversation_of(driver, anna)
    assert conversation.flow is None


@pytest.mark.parametrize("step", list(ONBOARDING_PATH))
async def test_unexpected_input_in_every_step_is_explained_with_the_options(
    driver: Driver, step: str
) -> None:
    anna = await at_step(driver, step)
    question = anna.messages[-1]
    await anna.event(Unsupported("sticker"))
    assert "alleen tekst en knoppen" in anna.last
    assert question.plain.split("\n")[-1] in anna.last
    assert anna.messages[-1].labels == question.labels
    await anna.command("doesnotexist")
    assert "De opdracht /doesnotexist ken ik niet." in anna.last


async def test_menu_during_onboarding_keeps_onboarding_going(driver: Driver) -> None:
    anna = await at_step(driver, "postcode")
    await anna.command("menu")
    assert "Hoi! Ik ben Buurbot." in anna.last  # not onboarded: there is no menu yet


async def test_menu_after_onboarding_offers_to_continue_a_flow(driver: Driver) -> None:
    anna = await at_step(driver, "consent")
    await anna.press("Ja, dat is goed")
    await anna.command("taal")
    await anna.command("menu")
    assert "Wat wil je doen?" in anna.last


async def test_text_where_a_button_was_expected_gets_the_options_again(driver: Driver) -> None:
    anna = await at_step(driver, "consent")
    await anna.send("misschien")
    assert "Antwoord met een van de knoppen: ja of nee." in anna.last
    assert anna.buttons == ["Ja, dat is goed", "Nee, niet bewaren", "Wat bewaar je?"]


async def test_a_button_pressed_twice_or_late_is_refused_kindly(driver: Driver) -> None:
    anna = await at_step(driver, "consent")
    consent = anna.messages[-1]
    payload = consent.buttons[0][0].payload
    await anna.press("Ja, dat is goed")
    # The same button again (a double tap, or a stale message): refused, nothing happens twice.
    await anna.event(ButtonPress(payload or "", "late-query", consent.message_id))
    assert "Die knop werkt niet meer." in anna.last
    assert driver.sender.answered[-1].text == "Die knop hoort bij een eerdere vraag."


@pytest.mark.parametrize(
    "payload", ["", "2:s:x", "1:", "1:s:onboarding:consent:nope", "garbage" * 20]
)
async def test_forged_payloads_are_refused_kindly(driver: Driver, payload: str) -> None:
    anna = await at_step(driver, "consent")
    await anna.event(ButtonPress(payload, "q-forged", None))
    assert "Die knop werkt niet meer." in anna.last
    assert anna.buttons == ["Ja, dat is goed", "Nee, niet bewaren", "Wat bewaar je?"]


async def test_a_huge_message_is_answered_kindly(driver: Driver) -> None:
    anna = await at_step(driver, "name")
    await anna.send("a" * 10_000)
    assert "Dat bericht is te lang voor mij (10000 tekens)." in anna.last
    assert "Welke naam zal ik voor je gebruiken?" in anna.last


async def test_every_button_press_is_answered(driver: Driver) -> None:
    anna = await at_step(driver, "consent")
    before = len(driver.sender.answered)
    await anna.press("Wat bewaar je?")
    assert len(driver.sender.answered) == before + 1


async def test_a_restart_resumes_at_the_same_step(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    first = make_services(sqlite_url, clock)
    await first.db.migrate()
    driver = Driver(first)
    anna = await at_step(driver, "consent")
    await first.db.close()

    second = make_services(sqlite_url, clock)  # a new process: new engine, same database
    driver.restart(second)
    actions = await driver.engine.resume(anna.chat, anna.who)
    await driver.delivery.deliver(actions)
    assert "Mag ik je naam (Anna) en postcode (1234 AB) bewaren?" in anna.last
    await anna.press("Ja, dat is goed")
    assert "Dank je, Anna." in anna.last
    await second.db.close()


async def test_a_database_that_is_gone_gets_a_kind_answer(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    services = make_services(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db", clock)
    engine = Engine(services)
    actions = await engine.handle(Incoming(Chat(5), Person(5, "Anna", "nl"), Text("hoi"), 1))
    assert len(actions) == 1 and isinstance(actions[0], SendText)
    assert "Ik kan nu even niet bij mijn geheugen." in actions[0].text
    await services.db.close()


async def test_postgres_down_gets_a_kind_answer(clock) -> None:  # type: ignore[no-untyped-def]
    services = make_services("postgresql+asyncpg://postgres@127.0.0.1:1/none", clock)
    engine = Engine(services)
    actions = await engine.handle(Incoming(Chat(5), Person(5, "Tom", "en"), Text("hi"), 1))
    assert "I cannot reach my memory right now." in actions[-1].text  # type: ignore[union-attr]
    await services.db.close()


async def test_flooding_is_slowed_with_one_notice(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    services = make_services(sqlite_url, clock, flood_max_updates=5, flood_window_seconds=10)
    await services.db.migrate()
    driver = Driver(services)
    spammer, calm = driver.person("Spam", "nl"), driver.person("Calm", "nl")
    for _ in range(5):
        await spammer.send("hoi")
    count = len(spammer.messages)
    await spammer.send("hoi")
    assert "Je stuurt heel snel berichten." in spammer.last
    for _ in range(5):
        await spammer.send("hoi")
    assert len(spammer.messages) == count + 1  # one notice, then silence
    await calm.send("hoi")
    assert "Hoi! Ik ben Buurbot." in calm.last  # others are not slowed
    clock.advance(11)
    await spammer.send("Spam")
    assert "Leuk je te leren kennen" in spammer.last
    await services.db.close()


def test_every_onboarding_step_offers_a_next_step() -> None:
    for ask in onboarding.steps.values():
        assert ask.text is not None or ask.choices, f"step {ask.step} has no way forward"


async def test_a_group_spammed_by_many_is_limited_as_a_whole(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    services = make_services(
        sqlite_url, clock, flood_max_updates=5, group_flood_max_updates=8, flood_window_seconds=10
    )
    await services.db.migrate()
    engine = Engine(services)
    group = Chat(-500, ChatKind.GROUP, "Lindenstraat")
    replies = []
    for n in range(12):  # twelve different people, each well under the personal limit
        person = Person(2000 + n, f"Buur{n}", "nl")
        replies.append(await engine.handle(Incoming(group, person, Command("help"), 9000 + n)))
    notices = [r for r in replies[8:] if r]
    assert len(notices) == 1 and "Je stuurt heel snel berichten." in notices[0][-1].text  # type: ignore[union-attr]
    await services.db.close()
