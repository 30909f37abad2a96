"""The engine's promises: each update once, conversations never race, every step
answers /menu /help /stop and bad input kindly, and a restart resumes."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.core.engine import Engine
from bot.core.seam import (
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
from bot.flows.onboarding import onboarding
from storage.models import Conversation, ProcessedUpdate
from tests.conftest import make_services
from tests.support.driver import Driver, Talker

# Onboarding is one question; the idea flow's first steps give a text step and a button step.
WHAT = "Tegels eruit en planten erin"
ONBOARDING_PATH: dict[str, list[str]] = {
    "name": [],
    "what": ["Anna", "[Deel een idee]"],
    "level": ["Anna", "[Deel een idee]", WHAT],
}
LEVELS = ["Straat", "Buurt", "Wijk", "Terug naar het menu"]


async def at_step(driver: Driver, step: str, name: str = "Anna") -> Talker:
    anna = driver.person(name, "nl")
    await anna.command("start")
    for answer in ONBOARDING_PATH[step]:
        if answer.startswith("["):
            await anna.press(answer.strip("[]"))
        else:
            await anna.send(answer)
    return anna


async def conversation_of(driver: Driver, talker: Talker) -> Conversation:
    async with driver.services.db.transaction() as session:
        return (await session.execute(select(Conversation))).scalars().all()[-1]


async def test_a_redelivered_update_is_handled_once(db_driver: Driver) -> None:
    anna = await at_step(db_driver, "what")
    before = len(anna.messages)
    await anna.send(WHAT, update_id=777)
    await anna.send(WHAT, update_id=777)
    assert len(anna.messages) == before + 1
    async with db_driver.services.db.transaction() as session:
        ids = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert ids.count(777) == 1


async def test_two_quick_messages_never_race_one_conversation(db_driver: Driver) -> None:
    anna = await at_step(db_driver, "what")
    # Both arrive at once; serialised, the first is the idea and the second its level.
    await asyncio.gather(anna.send(WHAT), anna.send("straat"))
    conversation = await conversation_of(db_driver, anna)
    assert conversation.step == "place"
    answers = {k: v for k, v in conversation.data.items() if not k.startswith("_")}
    assert answers == {"what": WHAT, "level": "street"}  # "_…": the machinery's own


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
    anna = await at_step(driver, "name")
    await anna.command("menu")
    assert "Hoi! Ik ben Buurbot." in anna.last  # not onboarded: there is no menu yet


async def test_menu_after_onboarding_offers_to_continue_a_flow(driver: Driver) -> None:
    anna = await at_step(driver, "level")
    await anna.command("taal")
    await anna.command("menu")
    assert "Wat wil je doen?" in anna.last
    assert "Verder waar ik was" in anna.buttons


async def test_text_where_a_button_was_expected_gets_the_options_again(driver: Driver) -> None:
    anna = await at_step(driver, "level")
    await anna.send("misschien")
    assert "Kies een van de knoppen: straat, buurt of wijk." in anna.last
    assert anna.buttons == LEVELS


async def test_a_button_pressed_twice_or_late_is_refused_kindly(driver: Driver) -> None:
    anna = await at_step(driver, "level")
    question = anna.messages[-1]
    payload = question.buttons[0][0].payload
    await anna.press("Straat")
    await anna.send("Lindelaan")
    # The same button again (a stale message): refused, nothing happens twice.
    await anna.event(ButtonPress(payload or "", "late-query", question.message_id))
    assert "Die knop werkt niet meer." in anna.last
    assert driver.sender.answered[-1].text == "Die knop hoort bij een eerdere vraag."


@pytest.mark.parametrize("payload", ["", "2:s:x", "1:", "1:s:idea:level:nope", "garbage" * 20])
async def test_forged_payloads_are_refused_kindly(driver: Driver, payload: str) -> None:
    anna = await at_step(driver, "level")
    await anna.event(ButtonPress(payload, "q-forged", None))
    assert "Die knop werkt niet meer." in anna.last
    assert anna.buttons == LEVELS


async def test_a_huge_message_is_answered_kindly(driver: Driver) -> None:
    anna = await at_step(driver, "name")
    await anna.send("a" * 10_000)
    assert "Dat bericht is te lang voor mij (10000 tekens)." in anna.last
    assert "Welke naam zal ik voor je gebruiken?" in anna.last


async def test_every_button_press_is_answered(driver: Driver) -> None:
    anna = await at_step(driver, "name")
    before = len(driver.sender.answered)
    await anna.press("Wat bewaar je?")
    assert len(driver.sender.answered) == before + 1


async def test_a_restart_resumes_at_the_same_step(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    first = make_services(sqlite_url, clock)
    await first.db.migrate()
    driver = Driver(first)
    anna = await at_step(driver, "level")
    await first.db.close()

    second = make_services(sqlite_url, clock)  # a new process: new engine, same database
    driver.restart(second)
    actions = await driver.engine.resume(anna.chat, anna.who)
    await driver.delivery.deliver(actions)
    assert "Is het voor je straat, je buurt of je hele wijk?" in anna.last
    await anna.press("Straat")
    assert "Welke straat is het?" in anna.last
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
    assert "I can't reach my memory right now." in actions[-1].text  # type: ignore[union-attr]
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
    assert "Dank je, Spam." in spammer.last
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
