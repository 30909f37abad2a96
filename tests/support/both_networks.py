"""`buurbot run` with both networks for end-to-end tests: the real Telegram and WhatsApp
runtimes in one process on one database, against the local Bot API and the local WhatsApp
Cloud API over HTTP, with the WhatsApp webhook subscribed. Stops the bot on the way out
and checks that neither server refused a call."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.config import Settings
from local_whatsapp_api import LocalWhatsAppApi
from scheduler.timing import FakeClock
from tests.support.journey import START

if TYPE_CHECKING:
    from bot.runtimes.telegram import Running
    from local_bot_api import LocalBotApi


@dataclass
class BothNetworks:
    telegram: LocalBotApi
    whatsapp: LocalWhatsAppApi
    running: Running


@asynccontextmanager
async def both_networks(tmp_path: Path, name: str, verify: str) -> AsyncIterator[BothNetworks]:
    from bot.runtimes.telegram import run_telegram
    from bot.runtimes.whatsapp import WhatsAppNetwork
    from local_bot_api import LocalBotApi

    async with (
        LocalBotApi(token=f"123456:TEST-{name}", username=f"buurbot_{name}_bot") as telegram,
        LocalWhatsAppApi(clock=FakeClock(START)) as whatsapp,
    ):
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}",
            telegram_token=telegram.token,
            telegram_api_base=telegram.base_url,
            whatsapp_token=whatsapp.token,
            whatsapp_phone_number_id=whatsapp.phone_number_id,
            whatsapp_app_secret=whatsapp.app_secret,
            whatsapp_verify_token=verify,
            whatsapp_api_base=whatsapp.base_url,
            whatsapp_number=whatsapp.display_phone_number,
            _env_file=None,
        )
        stop = asyncio.Event()
        ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
        args = argparse.Namespace(command="run", webhook=False, host="127.0.0.1", port=0)
        task = asyncio.create_task(
            run_telegram(settings, args, stop=stop, ready=ready, whatsapp=WhatsAppNetwork(settings))
        )
        # The first start imports aiogram (its types take seconds on a busy machine).
        await asyncio.wait({task, ready}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), f"did not start: {task.result() if task.done() else ''}"
        running = ready.result()
        assert running.health_url is not None
        hook = running.health_url.replace("/healthz", "/whatsapp/webhook")
        assert (await whatsapp.subscribe(hook, verify)).ok
        try:
            yield BothNetworks(telegram, whatsapp, running)
        finally:
            stop.set()
            assert await asyncio.wait_for(task, 15) == 0
        assert whatsapp.rejected == [] and telegram.rejected == []
