"""Flood control over the local Bot API server, on both runtimes: one chat's 429 makes only
that chat wait; 429s in two chats at once are the bot's overall limit, and everyone waits.

Telegram's 429 does not say which limit refused (nor does the local server's): the pacer
tells them apart by what else is refused within a second (scheduler/pacing.py, ``limited``)."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi

pytestmark = pytest.mark.e2e

RETRY_AFTER = 4  # seconds


def refused(server: LocalBotApi, chat_id: int | None = None) -> list[float]:
    return [c.timestamp for c in server.calls_to("sendMessage", chat_id) if c.status == 429]


def sent_at(server: LocalBotApi, chat_id: int) -> list[float]:
    return [c.timestamp for c in server.calls_to("sendMessage", chat_id, ok=True)]


async def test_one_chats_flood_control_leaves_the_other_chats_alone(
    bot: Running, server: LocalBotApi
) -> None:
    anna, bram = server.person("Anna"), server.person("Bram")
    server.faults.arm("429", method="sendMessage", chat_id=anna.id, retry_after=RETRY_AFTER)
    await anna.command("start")
    await server.wait_until(lambda: refused(server, anna.id), 10, "Anna's greeting refused")
    await bram.command("start")
    await bram.wait_for_message(timeout=RETRY_AFTER * 2)
    (limited,) = refused(server, anna.id)
    (bram_greeted,) = sent_at(server, bram.id)
    assert bram_greeted - limited < RETRY_AFTER / 2  # Bram did not wait for Anna's chat
    await anna.wait_for_message(timeout=RETRY_AFTER * 2)
    (anna_greeted,) = sent_at(server, anna.id)
    assert anna_greeted - limited >= RETRY_AFTER - 0.1  # Anna's chat did, and got it once
    assert bram_greeted < anna_greeted


async def test_flood_control_in_two_chats_at_once_makes_everyone_wait(
    bot: Running, server: LocalBotApi
) -> None:
    anna, bram, cor = server.person("Anna"), server.person("Bram"), server.person("Cor")
    server.faults.arm("429", method="sendMessage", times=2, retry_after=RETRY_AFTER)
    # Both greetings refused at once: the overall limit.
    await asyncio.gather(anna.command("start"), bram.command("start"))
    await server.wait_until(
        lambda: refused(server, anna.id) and refused(server, bram.id), 10, "both refused"
    )
    await cor.command("start")
    await cor.wait_for_message(timeout=RETRY_AFTER * 3)
    (first,) = refused(server, anna.id)
    (cor_greeted,) = sent_at(server, cor.id)
    assert cor_greeted - first >= RETRY_AFTER - 0.1  # Cor waited with everyone
    for person in (anna, bram):
        await person.wait_for_message(timeout=RETRY_AFTER * 3)
        assert len(sent_at(server, person.id)) == 1
