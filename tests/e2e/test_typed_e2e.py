"""End to end over the local Bot API server, on aiogram and python-telegram-bot: a button
tapped twice in one batch asks its question once; typed words answer yes/no buttons."""

from __future__ import annotations

import pytest

from bot.i18n import texts_for
from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi
from tests.e2e.test_telegram_e2e import onboard, resident

pytestmark = pytest.mark.e2e

NL = texts_for("nl")


async def test_a_menu_button_tapped_twice_in_one_batch_asks_once(bot: Running, server: LocalBotApi):
    fien = server.person("Fien", language_code="nl")
    await onboard(fien)
    menu = await fien.wait_for_message(containing=NL._("What would you like to do?"))
    share = NL._("Share an idea")
    first = await fien.press_in(menu, share)
    second = await fien.press_in(menu, share)  # before the bot polls: one batch
    await server.wait_for_answer(first)
    answer = await server.wait_for_answer(second)
    assert answer.get("text") == NL._(
        "You already chose that. The question is waiting for you below."
    )
    question = "Wat wil je samen met je buren doen?"
    asked = [m for m in fien.bot_messages if question in m.text]
    assert len(asked) == 1
    await fien.send("Tegels eruit en planten erin")  # the one question takes the answer
    level = await fien.wait_for_message(containing="straat, je buurt of je hele wijk")
    assert NL._("Street") in level.labels


async def test_a_typed_yes_takes_the_offered_name(bot: Running, server: LocalBotApi):
    gijs = server.person("Gijs", language_code="nl")
    await gijs.command("start")
    await gijs.wait_for_message(containing="Ik bewaar alleen die naam")
    await gijs.send("Ja hoor!")  # means the "Noem me Gijs" button
    menu = await gijs.wait_for_message(containing=NL._("What would you like to do?"))
    assert NL._("Thank you, {name}. You're all set.", name="Gijs") in menu.text
    stored = await resident(bot, gijs)
    assert stored is not None and stored.consented_at is not None and stored.name == "Gijs"
    assert stored.postcode is None
