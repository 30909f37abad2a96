"""Wiring: the one bootstrap of the core, and the services every handler can reach.

`bootstrap(settings)` builds the core from the settings: the policy (`bot.policy`), the
registry of flows, commands and rules under that policy, the database, the clock. It knows
no network. A runtime (Telegram, the console, a test's driver, WhatsApp) then adds what its
network brings, a `Network` (its sender, the bot's name there, its pacer), and gets the
engine, delivery and scheduler from `bot.assembly.assemble`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.config import Settings
from bot.policy import Policy
from bot.registry import Registry
from bot.seam import ChatDirectory, Sender
from scheduler.pacing import Pacer
from scheduler.timing import Clock, SystemClock
from storage.db import Database


@dataclass(frozen=True, slots=True)
class Network:
    """What a runtime adds to the core: how it sends, and what it learnt of itself there."""

    sender: Sender
    # The bot's name on the network (Telegram: from getMe); settings.bot_username otherwise.
    bot_username: str = ""
    # Who administers a group (Telegram); None where there are no groups.
    chat_directory: ChatDirectory | None = None
    # One pacer per process for everything that leaves the bot (the network's limits).
    pacer: Pacer | None = None


@dataclass
class Services:
    settings: Settings
    db: Database
    registry: Registry
    clock: Clock = field(default_factory=SystemClock)
    # From the runtime's network (see `joined`); the defaults where there is none.
    bot_username: str = ""
    chat_directory: ChatDirectory | None = None
    pacer: Pacer | None = None

    @property
    def policy(self) -> Policy:
        """The one policy: the registry's rules were registered under it."""
        return self.registry.policy

    def joined(self, network: Network) -> Services:
        """These services as a runtime on that network uses them: a copy when the network
        adds something (nothing that already holds these services sees them change)."""
        if not (network.bot_username or network.chat_directory or network.pacer):
            return self
        return replace(
            self,
            bot_username=network.bot_username or self.bot_username,
            chat_directory=network.chat_directory or self.chat_directory,
            pacer=network.pacer or self.pacer,
        )

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


def build_registry(policy: Policy | None = None) -> Registry:
    from bot.flows import register_all

    registry = Registry(policy=policy or Policy())
    register_all(registry)
    return registry


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    bot_username: str = "",
) -> Services:
    """The core, built from the settings: policy, registry, database, clock.

    `policy` replaces the one the settings give (a test, or the fault suites' fast
    scheduler); `clock` the system clock (the console's, a test's)."""
    settings = settings or Settings()
    return Services(
        settings=settings,
        db=Database(settings.database_url),
        registry=build_registry(policy or Policy.from_settings(settings)),
        clock=clock or SystemClock(),
        bot_username=bot_username,
    )
