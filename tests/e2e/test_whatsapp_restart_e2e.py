"""WhatsApp end to end, over HTTP against the local Cloud API server: the language a phone
number's country code suggests, and a long list's "More…" after the bot restarted."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from bot.core import identities
from bot.core.config import Settings
from bot.core.payloads import pack
from bot.core.seam import Button, Network, SendText
from bot.core.services import Services
from bot.i18n import language_of_number, pick_language
from bot.runtimes.whatsapp import RunningWhatsApp, run_whatsapp
from local_whatsapp_api import LocalWhatsAppApi
from scheduler.pacing import Limits, Pacer
from scheduler.timing import FakeClock
from storage.models import ListPage, Resident
from tests.conftest import make_services
from tests.support.journey import START

VERIFY = "verify-restart-token"


@dataclass
class Bot:
    server: LocalWhatsAppApi
    settings: Settings
    clock: FakeClock
    services: Services | None = None
    running: RunningWhatsApp | None = None
    task: asyncio.Task[int] | None = None
    stop: asyncio.Event | None = None

    async def start(self) -> None:
        """A new process on the same database: nothing kept in memory from the last one."""
        services = make_services(self.settings.database_url, self.clock, flood_max_updates=10_000)
        services.settings = self.settings
        services.pacer = Pacer(Limits(1000.0, 1000, 1000.0, 1000, 1000.0, 1000))
        self.services, self.stop = services, asyncio.Event()
        ready: asyncio.Future[RunningWhatsApp] = asyncio.get_running_loop().create_future()
        args = argparse.Namespace(host="127.0.0.1", port=0)
        self.task = asyncio.create_task(
            run_whatsapp(self.settings, args, services=services, stop=self.stop, ready=ready)
        )
        await asyncio.wait({self.task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), f"did not start: {self.task.result() if self.task.done() else ''}"
        self.running = ready.result()
        assert (await self.server.subscribe(self.running.webhook_url, VERIFY)).ok

    async def halt(self) -> None:
        assert self.stop is not None and self.task is not None and self.services is not None
        self.stop.set()
        assert await asyncio.wait_for(self.task, 15) == 0
        await self.services.db.close()

    async def settle(self) -> None:
        await self.server.webhooks_idle(timeout=15)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    clock = FakeClock(START)
    async with LocalWhatsAppApi(clock=clock) as server:
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}",
            whatsapp_token=server.token,
            whatsapp_phone_number_id=server.phone_number_id,
            whatsapp_app_secret=server.app_secret,
            whatsapp_verify_token=VERIFY,
            whatsapp_api_base=server.base_url,
            whatsapp_number=server.display_phone_number,
            flood_max_updates=10_000,
            _env_file=None,
        )
        bot = Bot(server, settings, clock)
        await bot.start()
        yield bot
        await bot.halt()
        assert [str(call) for call in server.rejected] == []


def test_a_phone_numbers_country_code_suggests_the_language() -> None:
    cases = {
        "905321234567": "tr",
        "48601234567": "pl",
        "380501234567": "uk",
        "31612345678": "nl",
        "32471234567": "nl",
        "447700900123": "en",
        "212612345678": "ar",
        "201001234567": "ar",
        "966501234567": "ar",
        "971501234567": "ar",
        "963931234567": "ar",
        "964790123456": "ar",
        "4915112345678": None,  # German: none of ours, so the default
    }
    assert {number: language_of_number(number) for number in cases} == cases
    assert pick_language(language_of_number("4915112345678"), "nl") == "nl"
    assert pick_language(language_of_number("+905321234567"), "nl") == "tr"


async def language_of(bot: Bot, number: str) -> str:
    assert bot.services is not None
    async with bot.services.db.transaction() as session:
        residents = (await session.execute(select(Resident))).scalars().all()
    by_name = {r.first_name: r.language for r in residents}
    return by_name[number]


async def test_whatsapp_picks_the_language_from_the_country_code(bot: Bot) -> None:
    ayse = bot.server.person("Ayse", wa_id="905321234567")
    await ayse.send("merhaba")
    await bot.settle()
    first = ayse.messages[-1].text or ""
    assert "Buurbot" in first and "Hoi" not in first  # Turkish from the first message
    olek = bot.server.person("Olek", wa_id="48601234567")
    await olek.send("/start")
    await bot.settle()
    hans = bot.server.person("Hans", wa_id="4915112345678")
    await hans.send("/start")
    await bot.settle()
    assert "Hoi! Ik ben Buurbot." in (hans.messages[-1].text or "")  # the default: Dutch
    assert [await language_of(bot, n) for n in ("Ayse", "Olek", "Hans")] == ["tr", "pl", "nl"]
    # She may choose another one, and it stays hers after that.
    await ayse.send("/taal Nederlands")
    await bot.settle()
    await ayse.send("hallo")
    await bot.settle()
    assert await language_of(bot, "Ayse") == "nl"


async def test_more_in_a_long_list_still_works_after_a_restart(bot: Bot) -> None:
    anna = bot.server.person("Anna", wa_id="31612340001")
    await anna.send("/start")
    await bot.settle()
    assert bot.services is not None and bot.running is not None
    async with bot.services.db.transaction() as session:
        address = await identities.address_for(session, Network.WHATSAPP, anna.wa_id)
    # A choice of 15 (as a long list of kits or members would be): pages of 10 rows.
    choices = [[Button(f"Keuze {n}", pack("lang", f"x{n}"))] for n in range(1, 16)]
    await bot.running.sender.send(
        SendText(address, "Kies er een", buttons=tuple(tuple(row) for row in choices))
    )
    await bot.settle()
    listed = next(m for m in reversed(anna.messages) if m.row_titles)
    assert listed.row_titles[-1] == "Meer…" and "Keuze 1" in listed.row_titles
    async with bot.services.db.transaction() as session:
        assert (await session.execute(select(ListPage))).first() is not None

    await bot.halt()  # a deploy: the pages in memory are gone
    await bot.start()

    seen = len(anna.messages)
    await anna.choose("Meer…", on=listed)
    await bot.settle()
    page = next(m for m in anna.messages[seen:] if m.row_titles)
    assert "Keuze 15" in page.row_titles and "Keuze 1" not in page.row_titles
