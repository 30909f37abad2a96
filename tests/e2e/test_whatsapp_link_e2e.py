"""Linking end to end: `buurbot run` with both networks (the real Telegram and WhatsApp
runtimes in one process, one database) against the local Bot API and the local WhatsApp
Cloud API, over HTTP. Anna asks for a code on Telegram; on WhatsApp she taps the wa.me
link in it, which sends ``/koppel <code>``; from then on she is one resident on both."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from storage.models import NetworkIdentity, Resident
from tests.support.both_networks import both_networks

VERIFY = "verify-link-token"
LINK = re.compile(r"https://wa\.me/\S+")


async def test_a_telegram_person_links_her_whatsapp_over_http(tmp_path: Path) -> None:
    async with both_networks(tmp_path, "link", VERIFY) as both:
        telegram, whatsapp, running = both.telegram, both.whatsapp, both.running
        anna = telegram.person("Anna", language_code="nl")
        await anna.send("/start")
        await anna.wait_for_message(containing="Welke naam")
        await anna.send("Anna")
        await anna.wait_for_message(containing="Wat wil je doen?")
        await anna.press("Apps koppelen")
        await anna.wait_for_message(containing="Niemand ziet je telefoonnummer")
        await anna.press("Geef me een code")
        given = await anna.wait_for_message(containing="Je code")
        link = LINK.search(given.text or "")
        assert link, given.text

        phone = whatsapp.person("Anna", wa_id="31612340000")
        await phone.open_link(link.group(0))
        done = await phone.wait_for_message(containing="gekoppeld", timeout=15)
        assert "via Telegram" in (done.text or "")
        await anna.wait_for_message(containing="nu ook op WhatsApp", timeout=15)
        # On WhatsApp she is the same Anna: the menu, not a new onboarding.
        await phone.send("/menu")
        menu = await phone.wait_for_message(timeout=15)
        assert "Wat wil je doen?" in (menu.text or "")

        async with running.services.db.transaction() as session:
            people = list((await session.execute(select(Resident))).scalars())
            owners = {
                i.network: i.resident_id
                for i in (await session.execute(select(NetworkIdentity))).scalars()
            }
        assert len(people) == 1
        assert owners == {"telegram": people[0].id, "whatsapp": people[0].id}
        # Her number was shown to nobody: not in any message on either network.
        seen = [m.text or "" for m in phone.messages] + [m.text or "" for m in anna.chat]
        assert not any("31612340000" in text for text in seen)
