"""Wiring: the services every handler can reach, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.registry import Registry
from bot.seam import ChatDirectory
from scheduler.pacing import Pacer
from scheduler.timing import Clock, SystemClock
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    registry: Registry
    clock: Clock = field(default_factory=SystemClock)
    # Learnt from getMe by the Telegram runtimes; settings.bot_username otherwise.
    bot_username: str = ""
    # Set by the Telegram runtimes (group admins); None where there are no groups.
    chat_directory: ChatDirectory | None = None
    # One pacer per process for everything that leaves the bot (Telegram's limits).
    pacer: Pacer | None = None

    def deep_link(self, payload: str, address: int = 0) -> str:
        """A link that starts the bot with `payload`, on the network of `address` (the
        person it is given to): t.me on Telegram, wa.me with the code typed on WhatsApp."""
        from bot.identities import deep_link

        return deep_link(
            self.bot_username or self.settings.bot_username,
            self.settings.whatsapp_number,
            payload,
            address,
        )


def build_registry() -> Registry:
    from bot.flows import register_all

    registry = Registry()
    register_all(registry)
    return registry


def build_services(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    settings = settings or Settings()
    return Services(
        settings=settings,
        db=Database(settings.database_url),
        registry=build_registry(),
        clock=clock or SystemClock(),
    )
