"""The one assembly of engine, delivery and scheduler around a network's sender.

Every runtime gets its working parts here, from the core `bot.app.bootstrap` built and the
`Network` it brings: the Telegram runtimes (through `Core`), the console, the tests' driver,
the operator's broadcast, and a WhatsApp runtime alike. Nothing here knows a network:

    services = bootstrap(settings)                       # the core, from the settings
    network = Network(sender, bot_username=..., pacer=...)  # what the runtime brings
    parts = assemble(services, network)                  # engine, delivery, scheduler
    ...                                                  # the runtime feeds parts.engine
    await parts.scheduler.start()

With `durable_replies` (a runtime whose updates arrive concurrently and may be lost with
the process) the engine writes each update's replies to the reply outbox in the update's
transaction and the delivery sends them after the commit; without (the console, a test
driver) the engine returns them to be delivered at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.delivery import Delivery
from bot.core.engine import Engine
from bot.core.replies import ReplyOutbox
from bot.core.seam import Sender
from bot.core.services import Network, Services
from scheduler.clock import Scheduler


@dataclass
class Assembly:
    services: Services  # joined with the network: its name, directory and pacer
    sender: Sender
    delivery: Delivery
    engine: Engine
    # The reply outbox, with durable replies; None when the engine returns its replies.
    replies: ReplyOutbox | None
    # Built, not started: `await scheduler.start()` (a runtime that runs for a while), or
    # `scheduler.dispatcher.sweep()` for one pass (the operator's broadcast).
    scheduler: Scheduler


def assemble(
    services: Services,
    network: Network,
    *,
    durable_replies: bool = False,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Assembly:
    services = services.joined(network)
    delivery = Delivery(services, network.sender, sleep=sleep, pacer=services.pacer)
    replies = None
    if durable_replies:
        # Replies written with the conversation change, sent after the commit; the
        # scheduler's reaper finds them through the delivery and sends what a dead process
        # left.
        replies = ReplyOutbox(services, delivery)
        delivery.replies = replies
    engine = Engine(services, replies=replies)
    scheduler = Scheduler(services, delivery)
    return Assembly(services, network.sender, delivery, engine, replies, scheduler)
