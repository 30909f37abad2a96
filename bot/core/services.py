"""The services every handler can reach, and what a runtime's network adds to them.

Built by `bot.app.bootstrap` from the settings (policy, registry, database, clock); a
runtime joins its `Network` (sender, the bot's name there, pacer) through
`bot.assembly.assemble`. Here, in the core, so that the engine, delivery and the
handlers can name them without importing the bootstrap that assembles the flows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core.config import Settings
from bot.core.identities import deep_link
from bot.core.policy import Policy
from bot.core.registry import Registry
from bot.core.seam import ChatDirectory, Sender
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
        return deep_link(
            self.bot_username or self.settings.bot_username,
            self.settings.whatsapp_number,
            payload,
            address,
        )
