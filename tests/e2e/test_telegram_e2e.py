"""The bot on Telegram, end to end over real HTTP: each test runs on aiogram and on
python-telegram-bot (the `runtime_name` fixture), against a fresh local Bot API server that
validates every call against the official method list, with a fresh SQLite database.

What a person sees is read from the server's transcripts; after every test no call may have
been rejected by the server (checked by the `start_bot` fixture).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.app import build_registry
from bot.core.config import SUPPORTED_LANGUAGES, Settings
from bot.core.seam import (
    BotAddedToGroup,
    BotBlocked,
    BotRemovedFromGroup,
    BotUnblocked,
    Button,
    ButtonPress,
    ChatKind,
    ChatMigrated,
    Command,
    EditText,
    MembersJoined,
    Photo,
    PinMessage,
    PollAnswer,
    SendDocument,
    SendPoll,
    SendText,
    Sent,
    StopPoll,
    Text,
)
from bot.core.seam import Person as SeamPerson
from bot.i18n import Safe, texts_for
from bot.runtimes import polling
from bot.runtimes.common import (
    command_menus,
    plain_text,
    split_html,
    to_incoming,
    visible_length,
)
from bot.runtimes.telegram import DESCRIPTION, SHORT_DESCRIPTION, Running, run_telegram
from local_bot_api import LocalBotApi
from local_bot_api.limits import parse_html
from local_bot_api.simulation import Person, SeenMessage
from storage.models import Resident, UpdateInbox
from tests.e2e.conftest import TOKEN, USERNAME, StartBot, bot_settings, run_args

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NL = texts_for("nl")


async def resident(running: Running, person: Person) -> Resident | None:
    async with running.services.db.transaction() as session:
        query = select(Resident).where(Resident.telegram_id == person.id)
        return (await session.execute(query)).scalar_one_or_none()


async def onboard(person: Person) -> tuple[SeenMessage, str]:
    """/start and the offered name (which is the consent): the name question and the query id."""
    await person.command("start")
    question = await person.wait_for_message()
    query_id = await person.press(plain_text(NL._("Call me {name}", name=person.name)))
    await person.wait_for_message(containing=NL._("What would you like to do?"))
    return question, query_id


# --- onboarding, buttons, deep links ------------------------------------------------------------


async def test_onboarding_in_dutch_ends_in_the_main_menu(bot: Running, server: LocalBotApi):
    anna = server.person("Anna", language_code="nl")
    await anna.command("start")
    greeting = await anna.wait_for_message()
    assert "Buurbot" in greeting.text
    call_me = NL._("Call me {name}", name="Anna")
    assert call_me != texts_for("en")._("Call me {name}", name="Anna")
    assert greeting.labels == [call_me, NL._("What do you store?"), NL._("Don't store my name")]
    await anna.press(call_me)
    menu = await anna.wait_for_message(containing=NL._("What would you like to do?"))
    assert NL._("Thank you, {name}. You're all set.", name="Anna") in menu.text
    assert menu.labels  # the main menu's buttons
    stored = await resident(bot, anna)
    assert stored is not None
    assert (stored.name, stored.postcode, stored.language) == ("Anna", None, "nl")
    assert stored.consented_at is not None and stored.onboarded_at is not None
    # Every message was HTML, without link previews.
    for call in server.calls_to("sendMessage", anna.id):
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"]["is_disabled"] is True


async def test_a_button_press_edits_its_question_in_place_and_is_answered(
    bot: Running, server: LocalBotApi
):
    bea = server.person("Bea")
    question, query_id = await onboard(bea)
    await server.wait_for_answer(query_id)
    named = next(m for m in bea.bot_messages if m.message_id == question.message_id)
    assert named.edited and named.text.startswith(question.text)
    assert named.buttons == []
    call_me = plain_text(NL._("Call me {name}", name="Bea"))
    assert named.text.endswith("✓ " + call_me)
    chosen = named.text.index("✓ " + call_me) + 2
    assert {"type": "bold", "offset": chosen, "length": len(call_me)} in named.entities
    # The press answered once, before the edit.
    assert len(server.calls_to("answerCallbackQuery", ok=True)) == 1
    answer = server.calls_to("answerCallbackQuery")[-1]
    edit = server.calls_to("editMessageText", bea.id)[-1]
    assert answer.timestamp <= edit.timestamp


async def test_a_deep_link_is_carried_through_onboarding(bot: Running, server: LocalBotApi):
    cas = server.person("Cas")
    payload = "onbekend-4f9Qz"  # no flow owns this prefix
    assert "onbekend" not in bot.services.registry.deep_links
    await cas.command("start", payload)
    update = server.world.queue.history[max(server.world.queue.history)]
    assert update["message"]["text"] == f"/start {payload}"
    await cas.wait_for_message()
    await cas.press("Noem me Cas")
    answer = await cas.wait_for_message(containing=NL._("What would you like to do?"))
    assert NL._("This link doesn't work (any more). Here's the menu.") in answer.text


# --- sending ------------------------------------------------------------------------------------


def long_text(paragraphs: int = 40) -> str:
    parts = []
    for number in range(paragraphs):
        words = " ".join(f"woord{number}x{index}" for index in range(25))
        parts.append(
            f'<b>Alinea {number} &amp; meer</b>\n<i>{words}</i> <a href="https://t.me/x">link</a>'
        )
    return "\n\n".join(parts)


async def test_a_long_text_goes_out_as_several_valid_messages(bot: Running, server: LocalBotApi):
    dirk = server.person("Dirk")
    text = long_text()
    assert len(text) > 10_000
    button = Button("Verder", "1:menu")
    sent = await bot.runtime.sender.send(SendText(dirk.id, text, ((button,),)))
    calls = server.calls_to("sendMessage", dirk.id)
    assert len(calls) >= 3 and all(call.ok for call in calls)
    messages = dirk.bot_messages
    assert sent.message_id == messages[-1].message_id
    assert all(len(message.text) <= 4096 for message in messages)
    # Cut between paragraphs, nothing lost, every chunk's tags closed and reopened.
    assert [m.text for m in messages] == [plain_text(c) for c in split_html(text)]
    assert " ".join(m.text for m in messages).split() == plain_text(text).split()
    assert all(message.text.startswith("Alinea") for message in messages)
    assert [m.labels for m in messages] == [[]] * (len(messages) - 1) + [["Verder"]]
    assert all(message.entities for message in messages)


async def test_every_kind_of_outgoing_is_rendered_and_accepted(bot: Running, server: LocalBotApi):
    sender = bot.runtime.sender
    pim, rosa = server.person("Pim"), server.person("Rosa")
    street = server.group("Eikenlaan", type="supergroup")
    await street.add_bot(by=pim, as_admin=True)
    await street.wait_for_message()  # the bot's hello: its own traffic is done first
    await street.join(rosa)

    poll = await sender.send(
        SendPoll(street.id, "Wanneer &amp; waar?", ("Zaterdag", "Zondag <b>middag</b>"))
    )
    shown = street.last
    assert shown.poll is not None and shown.poll.id == poll.poll_id
    assert shown.poll.question == "Wanneer & waar?"
    assert shown.poll.options == ("Zaterdag", "Zondag middag")
    assert not shown.poll.is_anonymous  # so that poll_answer updates come
    await rosa.answer_poll(shown, 1)
    await sender.send(PinMessage(street.id, shown.message_id))
    await sender.send(StopPoll(street.id, shown.message_id))
    (after,) = [m for m in street.chat if m.message_id == shown.message_id]
    assert after.pinned and after.poll is not None and after.poll.is_closed
    assert server.calls_to("pinChatMessage")[-1].params["disable_notification"] is True

    document = await sender.send(
        SendDocument(pim.id, "gegevens.json", b'{"a": 1}', "<b>Jouw</b> gegevens")
    )
    assert pim.last.document == b'{"a": 1}' and pim.last.filename == "gegevens.json"
    assert pim.last.text == "Jouw gegevens" and document.message_id == pim.last.message_id
    long_caption = "Uitleg. " * 200  # over 1024 characters: the text follows the file
    await sender.send(SendDocument(pim.id, "lang.txt", b"x", long_caption))
    assert pim.bot_messages[-2].filename == "lang.txt" and pim.bot_messages[-2].text is None
    assert pim.last.text == long_caption.strip()

    sent = await sender.send(SendText(pim.id, "Vraag", ((Button("Oud", "0:oud"),),)))
    same = EditText(pim.id, sent.message_id, "Vraag", ((Button("Oud", "0:oud"),),))
    assert await sender.send(same) == Sent(sent.message_id)  # "not modified" is no failure
    assert [c.description for c in server.rejected][-1].startswith(
        "Bad Request: message is not modified"
    )
    server.rejected.pop()  # the one refusal this test asks for
    # A stale button: the engine answers the press with a toast (plain text).
    query_id = await pim.press("Oud")
    answer = await server.wait_for_answer(query_id)
    assert answer["text"] == plain_text(NL._("That button belongs to an earlier question."))


async def test_html_in_a_first_name_is_shown_as_typed(bot: Running, server: LocalBotApi):
    eve = server.person("<b>Eve</b> & co")
    await eve.command("start")
    question = await eve.wait_for_message()
    assert question.labels[0] == "Noem me <b>Eve</b> & co"
    await eve.press("Noem me <b>Eve</b> & co")
    greeting = await eve.wait_for_message(containing="Wat wil je doen?")
    assert "Dank je, <b>Eve</b> & co." in greeting.text
    assert [e for e in greeting.entities if e["type"] == "bold"] == []
    sent = server.calls_to("sendMessage", eve.id)[-1].params["text"]
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in sent


async def test_flood_control_is_waited_out_and_the_message_arrives_once(
    bot: Running, server: LocalBotApi
):
    fenna = server.person("Fenna")
    server.faults.arm("429", method="sendMessage", chat_id=fenna.id, retry_after=1)
    await fenna.command("start")
    await fenna.wait_for_message(timeout=10)
    calls = server.calls_to("sendMessage", fenna.id)
    assert [call.status for call in calls] == [429, 200]
    assert calls[1].timestamp - calls[0].timestamp >= 0.9
    assert len(fenna.bot_messages) == 1
    assert not server.faults.armed


async def test_a_person_who_blocks_the_bot_is_marked_unreachable(bot: Running, server: LocalBotApi):
    gijs = server.person("Gijs")
    await gijs.command("start")
    await gijs.wait_for_message()
    await gijs.block_bot()
    await server.wait_until(lambda: _reachable_is(bot, gijs, False), what="Gijs unreachable")
    # A later send (a reminder, say) raises nothing and is not retried.
    before = len(server.calls)
    assert await bot.core.delivery.deliver([SendText(gijs.id, "Herinnering")]) == [None]
    assert [(c.method, c.status) for c in server.calls[before:]] == [("sendMessage", 403)]
    await gijs.unblock_bot()
    await server.wait_until(lambda: _reachable_is(bot, gijs, True), what="Gijs reachable")

    # A 403 on a send, without any update about it, marks the person unreachable too.
    hanna = server.person("Hanna")
    await hanna.command("start")
    await hanna.wait_for_message()
    server.faults.arm("403", method="sendMessage", chat_id=hanna.id)
    assert await bot.core.delivery.deliver([SendText(hanna.id, "Hoi")]) == [None]
    assert await _reachable_is(bot, hanna, False)


async def _reachable_is(running: Running, person: Person, value: bool) -> bool:
    stored = await resident(running, person)
    return stored is not None and stored.reachable is value


async def test_a_group_that_became_a_supergroup_gets_the_message_at_its_new_id(
    bot: Running, server: LocalBotApi
):
    pim = server.person("Pim")
    street = server.group("Beukenlaan", type="group")
    await street.add_bot(by=pim)
    old_id = street.id
    new_id = await street.migrate_to_supergroup(by=pim)
    [sent] = await bot.core.delivery.deliver([SendText(old_id, "Hallo straat")])
    assert sent is not None and street.id == new_id
    assert street.last.text == "Hallo straat"
    calls = server.calls_to("sendMessage")
    assert [(c.chat_id, c.status) for c in calls[-2:]] == [(old_id, 400), (new_id, 200)]


async def test_an_update_delivered_twice_is_handled_once(bot: Running, server: LocalBotApi):
    ids = server.person("Ids")
    update_id = await ids.command("start")
    await ids.wait_for_message()
    await server.wait_until(lambda: bot.core.handled == 1, what="the update handled")
    server.redeliver(update_id)

    def copies_fetched() -> int:
        return sum(
            update["update_id"] == update_id
            for call in server.calls_to("getUpdates", ok=True)
            for update in call.result
        )

    await server.wait_until(lambda: copies_fetched() == 2, what="the copy fetched")
    # The copy is skipped by the poller (it knows the update is handled) or by the engine
    # (processed_update); `handled` counts it once its replies would have gone out.
    await server.wait_until(
        lambda: bot.runtime.receiver.in_flight == 0 and bot.core.handled in (1, 2),
        what="the copy settled",
    )
    assert len(server.calls_to("sendMessage", ids.id)) == 1
    assert len(ids.bot_messages) == 1


async def test_chats_are_handled_concurrently(bot: Running, server: LocalBotApi):
    """While one person's reply hangs on a slow Bot API call, another person is answered."""
    slow, quick = server.person("Joost"), server.person("Kim")
    server.faults.arm("timeout", method="sendMessage", chat_id=slow.id, delay=1.5)
    await slow.command("start")
    await server.wait_until(lambda: server.faults.fired, what="the slow call to begin")
    await quick.command("start")
    await quick.wait_for_message(timeout=1.0)
    assert slow.bot_messages == []
    await slow.wait_for_message(timeout=10)  # after the 504, retried
    assert len(slow.bot_messages) == 1


# --- webhook ------------------------------------------------------------------------------------


async def test_webhook_receives_updates_with_the_secret_and_refuses_others(
    start_bot: StartBot, server: LocalBotApi
):
    secret = "s3cret_Webhook-token"
    running = await start_bot(webhook=True, secret=secret)
    assert running.webhook_url is not None and running.webhook_url.startswith("http://127.0.0.1:")
    assert server.webhook.url == running.webhook_url
    assert server.webhook.secret_token == secret
    lies = server.person("Lies")
    await lies.command("start")
    greeting = await lies.wait_for_message()
    assert greeting.labels[0] == "Noem me Lies"
    # Telegram gets its 200 only after the update was handled: after the greeting was sent.
    await server.wait_until(lambda: server.webhook_attempts, what="the webhook's answer")
    assert server.webhook_attempts[-1].status == 200
    assert server.webhook_attempts[-1].secret_token == secret
    await server.wait_until(lambda: running.core.handled == 1, what="/start handled")
    handled = running.core.handled

    for wrong in ("wrong", None):
        attempt = await server.post_to_webhook(lies.message_update("stiekem"), secret_token=wrong)
        assert attempt.status == 401
    # A later update with the secret is answered: the refused ones would have been by now.
    await lies.send("Lies")
    await lies.wait_for_message(containing="Dank je, Lies.")  # the refused ones changed nothing
    await server.wait_until(lambda: running.core.handled > handled, what="the later one handled")
    assert running.core.handled == handled + 1
    assert len(lies.bot_messages) == 2

    async with aiohttp.ClientSession() as http:
        assert running.health_url is not None
        async with http.get(running.health_url) as response:
            assert response.status == 200
            assert (await response.json())["ok"] is True
    assert server.calls_to("getUpdates") == []


# --- receiving: confirmed once stored, unreadable updates skipped, getUpdates refused --------


def offsets_sent(server: LocalBotApi, calls: Any = None) -> list[int | None]:
    return [c.params.get("offset") for c in (calls or server.calls) if c.method == "getUpdates"]


def updates_fetched(server: LocalBotApi) -> list[int]:
    """The update ids getUpdates returned, a copy as often as it was returned."""
    return [u["update_id"] for call in server.calls_to("getUpdates", ok=True) for u in call.result]


async def inbox_ids(running: Running) -> list[int]:
    async with running.services.db.transaction() as session:
        return list((await session.execute(select(UpdateInbox.update_id))).scalars())


async def inbox_empty(running: Running) -> bool:
    return not await inbox_ids(running)


async def test_an_update_is_confirmed_once_committed_and_fetched_once(
    bot: Running, server: LocalBotApi
):
    """While one reply hangs on a slow call, its update is confirmed to Telegram (its
    transaction committed, its reply in the reply outbox; a lone update needs no inbox row):
    getUpdates never returns it again; others are answered meanwhile, nothing is handed to
    the core twice, and the bot does not busy-poll."""
    slow, quick = server.person("Joost"), server.person("Kim")
    server.faults.arm("timeout", method="sendMessage", chat_id=slow.id, delay=2.0)
    held = await slow.command("start")
    await server.wait_until(lambda: server.faults.fired, what="the slow call to begin")
    mark = len(server.calls)
    other = await quick.command("start")
    await quick.wait_for_message(timeout=2.0)
    # Committed while its reply hangs: durably handled, with no inbox row.
    assert held not in await inbox_ids(bot)
    await slow.wait_for_message(timeout=10)  # after the 504, retried
    answered = next(
        index
        for index, call in enumerate(server.calls)
        if call.method == "sendMessage" and call.chat_id == slow.id and call.ok
    )
    while_held = offsets_sent(server, server.calls[mark:answered])
    # The poll that brought Kim's update had already confirmed Joost's (committed).
    assert while_held and any(offset is not None and offset > held for offset in while_held)
    assert len(while_held) <= 40, f"{len(while_held)} getUpdates in about 2 s"
    assert not server.pending_updates
    assert sorted(updates_fetched(server)) == sorted([held, other])  # each fetched once
    await server.wait_until(lambda: bot.core.handled == 2, what="both handled")
    assert [len(slow.bot_messages), len(quick.bot_messages)] == [1, 1]
    await server.wait_until(lambda: inbox_empty(bot), what="their inbox rows deleted")


def unreadable(person: Person, text: str) -> dict[str, Any]:
    """A message update neither library can read (its date is not a timestamp)."""
    update = person.message_update(text)
    update["message"]["date"] = "gisteren"
    return update


def assert_logged_without_contents(
    caplog: pytest.LogCaptureFixture, update_id: int, secrets: list[str]
) -> None:
    records = caplog.records
    for record in records:
        message = record.getMessage() + (record.exc_text or "")
        assert not any(secret in message for secret in secrets), (record.name, message)
        assert record.levelno < logging.CRITICAL, (record.name, message)
    skipped = [r for r in records if f"update {update_id} skipped" in r.getMessage()]
    assert len(skipped) == 1, [r.getMessage() for r in records]
    assert skipped[0].levelno == logging.ERROR
    assert "cannot read it" in skipped[0].getMessage()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_unreadable_update_is_skipped_and_logged_without_its_contents(
    start_bot: StartBot, server: LocalBotApi, caplog: pytest.LogCaptureFixture, mode: str
):
    caplog.set_level(logging.DEBUG, logger="telegram")
    caplog.set_level(logging.DEBUG, logger="aiogram")
    caplog.set_level(logging.INFO)
    running = await start_bot(webhook=mode == "webhook", secret="s3cret")
    anna = server.person("Anna")
    stranger = server.person("Geheimnaam")
    bob = server.person("Bob")
    await anna.command("start")
    bad = server.inject_update(unreadable(stranger, "geheim bericht over de buren"))
    await bob.command("start")
    # Both good updates are answered, before and after the one that cannot be read ...
    await anna.wait_for_message()
    await bob.wait_for_message()
    await server.wait_until(
        lambda: not server.pending_updates and running.runtime.receiver.in_flight == 0,
        what="every update confirmed",
    )
    assert running.runtime.receiver.skipped == 1
    assert stranger.bot_messages == []
    # ... and the bad one is not asked for again: confirmed (polling) or answered 200.
    if mode == "webhook":
        assert [a.status for a in server.webhook_attempts if a.update_id == bad] == [200]
    else:
        # Fetched once: stored in the inbox and confirmed by the next getUpdates (the one
        # still waiting), its inbox row gone with the rest.
        assert updates_fetched(server).count(bad) == 1
        await server.wait_until(lambda: inbox_empty(running), what="the inbox emptied")
    assert_logged_without_contents(caplog, bad, ["Geheimnaam", "geheim bericht"])


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_update_whose_handling_failed_is_handled_again(
    start_bot: StartBot, server: LocalBotApi, monkeypatch: pytest.MonkeyPatch, mode: str
):
    """Webhook: answered 500, so Telegram sends it again; polling: tried again from memory
    (a lone update is not stored: Telegram keeps it, unconfirmed, until it is handled; a
    copy fetched meanwhile is not handed over again)."""
    monkeypatch.setattr(polling, "BACKOFF_FIRST", 0.2)
    running = await start_bot(webhook=mode == "webhook", secret="s3cret")
    handle = running.core.handle
    tries: list[int | None] = []

    async def failing_once(incoming: Any) -> None:
        tries.append(incoming.update_id)
        if len(tries) == 1:
            raise RuntimeError("the database went away")
        await handle(incoming)

    monkeypatch.setattr(running.core, "handle", failing_once)
    lies = server.person("Lies")
    update_id = await lies.command("start")
    await lies.wait_for_message()
    assert tries == [update_id, update_id] and len(lies.bot_messages) == 1
    if mode == "webhook":
        await server.wait_until(lambda: len(server.webhook_attempts) >= 2, what="the second POST")
        attempts = [(a.update_id, a.status) for a in server.webhook_attempts]
        assert attempts == [(update_id, 500), (update_id, 200)]
    else:
        await server.wait_until(lambda: not server.pending_updates, what="it confirmed")
        assert updates_fetched(server).count(update_id) >= 1
        assert tries == [update_id, update_id]  # handed over twice only, however often fetched
        assert await inbox_empty(running)


async def start_polling_with_health(
    server: LocalBotApi, runtime_name: str, database_file: Path
) -> tuple[asyncio.Event, asyncio.Task[int], Running]:
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    args = run_args()
    args.health = True
    settings = bot_settings(server, runtime_name, database_file)
    task = asyncio.create_task(run_telegram(settings, args, stop=stop, ready=ready))
    await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        task.cancel()
        pytest.fail("the bot did not start")
    return stop, task, ready.result()


async def health(running: Running) -> tuple[int, dict[str, Any]]:
    assert running.health_url is not None
    async with aiohttp.ClientSession() as http, http.get(running.health_url) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("refusal", ["401", "404"])
async def test_getupdates_refused_is_retried_and_healthz_tells_the_truth(
    server: LocalBotApi,
    runtime_name: str,
    database_file: Path,
    refusal: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    """PTB used to stop polling for good after one 401/404, alive and deaf."""
    caplog.set_level(logging.INFO, logger="bot.runtimes.polling")
    monkeypatch.setattr(polling, "BACKOFF_FIRST", 0.2)
    stop, task, running = await start_polling_with_health(server, runtime_name, database_file)
    try:
        status, body = await health(running)
        assert (status, body["ok"], body["mode"], body["receiving"]) == (200, True, "polling", True)
        mia = server.person("Mia")
        server.faults.arm(refusal, method="getUpdates", times=None)
        await mia.command("start")  # ends the long poll; the next ones are refused
        await mia.wait_for_message()
        refused = f"{refusal} {'Unauthorized' if refusal == '401' else 'Not Found'}"

        async def unhealthy() -> bool:
            status, body = await health(running)
            return status == 503 and refused in body.get("error", "")

        await server.wait_until(unhealthy, 10, "/healthz to tell", recheck=0.1)
        fired = len(server.faults.fired)
        await server.wait_until(lambda: len(server.faults.fired) >= fired + 2, 10)  # retried
        server.faults.clear()
        await mia.send("hallo")
        await mia.wait_for_message(timeout=10)  # received again
        assert (await health(running))[0] == 200
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.runtimes.polling"]
    assert any(f"cannot fetch updates: getUpdates answered {refused}" in m for m in lines)
    assert any("receiving updates again" in m for m in lines)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)
    server.rejected.clear()


async def test_getupdates_refused_for_long_ends_the_process_with_one_line(
    server: LocalBotApi,
    runtime_name: str,
    database_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setattr(polling, "BACKOFF_FIRST", 0.2)
    monkeypatch.setattr(polling, "GIVE_UP_AFTER", 1.0)
    server.faults.arm("401", method="getUpdates", times=None)
    settings = bot_settings(server, runtime_name, database_file)
    code = await asyncio.wait_for(run_telegram(settings, run_args(), stop=asyncio.Event()), 30)
    assert code == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(
        "buurbot: stopped receiving updates: getUpdates answered 401 Unauthorized for "
    ), err
    assert TOKEN not in err[0]
    assert len(server.calls_to("getUpdates")) >= 3  # retried before giving up


# --- what the bot tells Telegram about itself ---------------------------------------------------


async def test_commands_and_descriptions_are_set_per_language_and_scope(
    bot: Running, server: LocalBotApi
):
    registry = build_registry()
    expected = {
        (menu.scope, menu.language_code): [list(c) for c in menu.commands]
        for menu in command_menus(registry, "nl")
    }
    private_nl = expected[("all_private_chats", "nl")]
    private_en = expected[("all_private_chats", "en")]
    assert ["taal", NL._("Change the language")] in private_nl
    assert ["language", "Change the language"] in private_en
    for lang, name in (("tr", "dil"), ("pl", "jezyk"), ("ar", "lugha"), ("uk", "mova")):
        own = expected[("all_private_chats", lang)]
        assert [name, texts_for(lang)._("Change the language")] in own
        assert texts_for(lang)._("Change the language") != "Change the language"
    assert "start" not in {name for name, _ in private_nl}
    assert expected[("all_private_chats", "")] == private_nl
    for (scope, language), commands in expected.items():
        got = server.my_commands({"type": scope}, language)
        assert [[c["command"], c["description"]] for c in got] == commands, (scope, language)
    calls = server.calls_to("setMyCommands") + server.calls_to("deleteMyCommands")
    assert {(c.params["scope"]["type"], c.params.get("language_code", "")) for c in calls} == {
        (scope, language)
        for scope in ("all_private_chats", "all_group_chats")
        for language in ("", *SUPPORTED_LANGUAGES)
    }
    assert server.person("Nina", language_code="nl").visible_commands()[0][1] == private_nl[0][1]
    english = server.person("Olivia", language_code="en")
    assert [name for name, _ in english.visible_commands()] == [c[0] for c in private_en]

    assert server.description("nl") == NL._(DESCRIPTION) != DESCRIPTION
    assert server.description("en") == DESCRIPTION
    assert server.description("") == NL._(DESCRIPTION)
    assert server.short_description("nl") == NL._(SHORT_DESCRIPTION)
    assert server.short_description("en") == SHORT_DESCRIPTION
    assert bot.services.bot_username == USERNAME


# --- refusing to start -----------------------------------------------------------------------


async def test_a_wrong_token_is_one_line_and_exit_code_2(
    server: LocalBotApi, runtime_name: str, tmp_path: Path
):
    wrong = "654321:WRONG-token"
    env = {key: value for key, value in os.environ.items() if not key.startswith("BUURBOT_")}
    env.update(
        BUURBOT_TELEGRAM_TOKEN=wrong,
        BUURBOT_TELEGRAM_API_BASE=server.base_url,
        BUURBOT_RUNTIME=runtime_name,
        BUURBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}",
        PYTHONPATH=str(ROOT),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert out == b""
    lines = err.decode().splitlines()
    assert lines == ["buurbot: the Telegram token was rejected (401 Unauthorized from getMe)"]
    assert [(c.method, c.status) for c in server.rejected] == [("getMe", 401)]
    server.rejected.clear()  # the one call this test expects to be refused
    assert not (tmp_path / "buurbot.db").exists()  # nothing was done before getMe


async def test_an_unreachable_api_is_one_line_and_exit_code_2(
    runtime_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}",
        telegram_token=TOKEN,
        telegram_api_base=f"http://127.0.0.1:{port}",
        runtime=runtime_name,
        _env_file=None,
    )
    started = time.monotonic()
    assert await run_telegram(settings, run_args(), stop=asyncio.Event()) == 2
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        f"buurbot: cannot reach the Telegram Bot API at http://127.0.0.1:{port}"
    )
    assert TOKEN not in err[0]


# --- the shared pieces, without HTTP ------------------------------------------------------------


_HTML_PIECES = st.one_of(
    st.sampled_from(["\n\n", "\n", " ", "&amp;", "&lt;", "&#128512;", "😀", "é"]),
    st.text(alphabet="abcdefghij ", min_size=1, max_size=30),
)


@st.composite
def safe_html(draw: st.DrawFn) -> str:
    """Well-formed Telegram HTML: nested tags (with attributes) around text pieces."""

    def build(depth: int) -> str:
        parts = []
        for _ in range(draw(st.integers(1, 6))):
            if depth < 3 and draw(st.booleans()):
                tag = draw(st.sampled_from(["b", "i", "u", "s", "code", "a", "blockquote"]))
                opening = '<a href="https://e.nl/?a=1&amp;b=2">' if tag == "a" else f"<{tag}>"
                inner = build(depth + 1)
                parts.append(f"{opening}{inner}</{tag}>")
            else:
                parts.append(draw(_HTML_PIECES))
        return "".join(parts)

    return build(0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=safe_html(), limit=st.integers(8, 120))
def test_every_chunk_is_valid_html_within_the_limit_and_nothing_is_lost(text: str, limit: int):
    parse_html(text)  # the input is what Telegram accepts
    chunks = split_html(text, limit)
    for chunk in chunks:
        parsed = parse_html(chunk)  # the server's parser: raises on invalid HTML
        assert visible_length(chunk) <= limit
        assert parsed.text.strip() or chunks == [text]  # only a blank text stays blank
    # Only whitespace at the cuts is dropped.
    assert _squeezed("".join(plain_text(c) for c in chunks)) == _squeezed(plain_text(text))


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_cuts_prefer_paragraphs_then_lines_then_words():
    paragraph = "a" * 30
    assert split_html(f"{paragraph}\n\n{paragraph}\n\n{paragraph}", 70) == [
        f"{paragraph}\n\n{paragraph}",
        paragraph,
    ]
    assert split_html(f"{paragraph}\n{paragraph}\n{paragraph}", 70) == [
        f"{paragraph}\n{paragraph}",
        paragraph,
    ]
    assert split_html("een twee drie vier", 9) == ["een twee", "drie vier"]
    assert split_html("<b>abcdefghij</b>", 4) == ["<b>abcd</b>", "<b>efgh</b>", "<b>ij</b>"]
    assert split_html('<a href="https://e.nl">ab &amp; cd</a>', 4) == [
        '<a href="https://e.nl">ab &amp;</a>',
        '<a href="https://e.nl">cd</a>',
    ]
    assert split_html("kort", 4096) == ["kort"]


def _mapped(update: dict[str, Any]) -> Any:
    """The same update through the three doors: JSON, aiogram's model, PTB's object."""
    import telegram
    from aiogram.types import Update as AiogramUpdate

    bot_id = 123456
    results = [
        to_incoming(update, bot_id=bot_id, bot_username=USERNAME),
        to_incoming(AiogramUpdate.model_validate(update), bot_id=bot_id, bot_username=USERNAME),
        to_incoming(telegram.Update.de_json(update, None), bot_id=bot_id, bot_username=USERNAME),
    ]
    assert results[0] == results[1] == results[2], results
    return results[0]


async def test_updates_map_to_the_same_incoming_from_json_aiogram_and_ptb(server: LocalBotApi):
    anna, bob = server.person("Anna", username="anna_nl"), server.person("Bob", language_code="en")
    street = server.group("Lindenstraat", type="group")

    def last_update() -> dict[str, Any]:
        return server.world.queue.history[max(server.world.queue.history)]

    await anna.command("start", "join-abc")
    incoming = _mapped(last_update())
    assert incoming.event == Command("start", "join-abc")
    assert incoming.person.username == "anna_nl" and incoming.person.language_code == "nl"
    assert incoming.update_id == last_update()["update_id"]
    await anna.send("/Menu@buurbot_test_bot")
    assert _mapped(last_update()).event == Command("menu", "")
    await anna.send("/menu@another_bot")
    assert _mapped(last_update()) is None
    await anna.send("gewoon tekst")
    assert _mapped(last_update()).event == Text("gewoon tekst")

    await street.add_bot(by=anna)
    added = [u for u in server.pending_updates if "my_chat_member" in u][-1]
    incoming = _mapped(added)
    assert incoming.event == BotAddedToGroup()
    assert incoming.chat.kind is ChatKind.GROUP and incoming.chat.title == "Lindenstraat"
    assert _mapped(last_update()) is None  # the service message announcing the bot itself
    await street.join(bob)
    joined = next(u for u in reversed(server.pending_updates) if "message" in u)
    assert _mapped(joined).event == MembersJoined((SeamPerson(bob.id, "Bob", "en"),))
    new_id = await street.migrate_to_supergroup(by=anna)
    migrated = [u for u in server.pending_updates if "message" in u][-2]
    assert _mapped(migrated).event == ChatMigrated(new_id)
    await street.remove_bot(by=anna)
    assert _mapped(last_update()).event == BotRemovedFromGroup()

    await anna.block_bot()
    assert _mapped(last_update()).event == BotBlocked()
    await anna.unblock_bot()
    assert _mapped(last_update()).event == BotUnblocked()

    query = {
        "update_id": 900,
        "callback_query": {
            "id": "q1",
            "from": {"id": anna.id, "is_bot": False, "first_name": "Anna"},
            "message": {
                "message_id": 77,
                "date": 0,
                "chat": {"id": anna.id, "type": "private", "first_name": "Anna"},
            },
            "chat_instance": "1",
            "data": "1:menu",
        },
    }
    incoming = _mapped(query)
    assert incoming.event == ButtonPress("1:menu", "q1", 77)
    assert incoming.chat.id == anna.id
    vote = {
        "update_id": 901,
        "poll_answer": {
            "poll_id": "5",
            "user": {"id": bob.id, "is_bot": False, "first_name": "Bob"},
            "option_ids": [0, 2],
            "option_persistent_ids": ["0", "2"],
        },
    }
    assert _mapped(vote).event == PollAnswer("5", (0, 2))
    sticker = {
        "update_id": 902,
        "message": {
            "message_id": 78,
            "date": 0,
            "chat": {"id": anna.id, "type": "private", "first_name": "Anna"},
            "from": {"id": anna.id, "is_bot": False, "first_name": "Anna"},
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        },
    }
    assert _mapped(sticker).event.what == "sticker"
    photo = {
        "update_id": 903,
        "message": {
            **{key: sticker["message"][key] for key in ("message_id", "date", "chat", "from")},
            "photo": [
                {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
                {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280},
            ],
            "caption": "de bank in het park",
        },
    }
    assert _mapped(photo).event == Photo("large", "de bank in het park")


def test_framework_errors_map_to_the_core_errors():
    from datetime import timedelta

    import aiohttp
    import httpx
    import telegram.error as ptb
    from aiogram import exceptions as ag
    from aiogram.methods import SendMessage

    from bot.core.seam import (
        ChatMoved,
        OutcomeUnknown,
        RateLimited,
        RecipientGone,
        Rejected,
        Transient,
    )
    from bot.runtimes import aiogram_runtime, ptb_runtime

    def kind(error: Any) -> Any:
        return type(error), getattr(error, "retry_after", None), getattr(error, "new_chat_id", None)

    method = SendMessage(chat_id=1, text="x")
    aiogram_cases = {
        ag.TelegramRetryAfter(method, "Too Many Requests: retry after 3", 3): (
            RateLimited,
            3.0,
            None,
        ),
        ag.TelegramMigrateToChat(method, "upgraded", -1001): (ChatMoved, None, -1001),
        ag.TelegramForbiddenError(method, "Forbidden: bot was blocked by the user"): (
            RecipientGone,
            None,
            None,
        ),
        ag.TelegramBadRequest(method, "Bad Request: chat not found"): (RecipientGone, None, None),
        ag.TelegramBadRequest(method, "Bad Request: message text is empty"): (Rejected, None, None),
        ag.TelegramServerError(method, "Internal Server Error"): (Transient, None, None),
        # Sent and no answer: it may have arrived.
        ag.TelegramNetworkError(method, "Request timeout error"): (OutcomeUnknown, None, None),
        ag.TelegramEntityTooLarge(method, "Request Entity Too Large"): (Rejected, None, None),
        TimeoutError(): (OutcomeUnknown, None, None),
        aiohttp.ConnectionTimeoutError(): (Transient, None, None),  # never connected
    }
    for error, expected in aiogram_cases.items():
        assert kind(aiogram_runtime.translate(error)) == expected, error
    ptb_cases = {
        ptb.RetryAfter(timedelta(seconds=3)): (RateLimited, 3.0, None),
        ptb.ChatMigrated(-1001): (ChatMoved, None, -1001),
        ptb.Forbidden("Forbidden: bot was blocked by the user"): (RecipientGone, None, None),
        ptb.BadRequest("Chat not found"): (RecipientGone, None, None),
        ptb.BadRequest("Message text is empty"): (Rejected, None, None),
        ptb.TimedOut(): (OutcomeUnknown, None, None),
        ptb.NetworkError("Bad Gateway"): (Transient, None, None),  # answered by a proxy
        ptb.InvalidToken(): (Rejected, None, None),
    }
    for error, expected in ptb_cases.items():
        assert kind(ptb_runtime.translate(error)) == expected, error
    # What httpx said under PTB's error: never connected, or sent and no answer.
    for cause, expected_type in (
        (httpx.ConnectError("refused"), Transient),
        (httpx.ConnectTimeout("slow to connect"), Transient),
        (httpx.ReadTimeout("no answer"), OutcomeUnknown),
        (httpx.RemoteProtocolError("dropped"), OutcomeUnknown),
    ):
        wrapper = (
            ptb.TimedOut() if isinstance(cause, httpx.TimeoutException) else ptb.NetworkError("x")
        )
        wrapper.__cause__ = cause
        assert type(ptb_runtime.translate(wrapper)) is expected_type, cause
    under = ag.TelegramNetworkError(method, "ClientConnectorError")
    under.__cause__ = aiohttp.ConnectionTimeoutError()
    assert type(aiogram_runtime.translate(under)) is Transient
    assert aiogram_runtime.translate(ValueError("a bug")) is None
    assert ptb_runtime.translate(ValueError("a bug")) is None


def test_button_labels_are_plain_text():
    from bot.runtimes.common import keyboard_rows

    rows = keyboard_rows(
        (
            (
                # A rendered label is Safe HTML (ctx._ returns Safe); see test_groups for typed.
                Button(Safe(html.escape("Noem me <b>Eve</b> & co")), "1:s"),
                Button("Site", url="https://e.nl"),
            ),
        )
    )
    assert rows == [
        [
            {"text": "Noem me <b>Eve</b> & co", "callback_data": "1:s"},
            {"text": "Site", "url": "https://e.nl"},
        ]
    ]
