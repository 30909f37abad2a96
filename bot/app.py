"""Wiring: the one bootstrap of the core, and the services every handler can reach.

`bootstrap(settings)` builds the core from the settings: the policy (`bot.core.policy`), the
registry of flows, commands and rules under that policy, the database, the clock. It knows
no network. A runtime (Telegram, the console, a test's driver, WhatsApp) then adds what its
network brings, a `Network` (its sender, the bot's name there, its pacer), and gets the
engine, delivery and scheduler from `bot.assembly.assemble`.
"""

from __future__ import annotations

from bot.core.config import Settings
from bot.core.policy import Policy
from bot.core.registry import Registry
from bot.core.services import Services
from bot.views.entries import declared as declared_entries
from scheduler.timing import Clock, SystemClock
from storage.db import Database


def build_registry(policy: Policy | None = None) -> Registry:
    from bot.domain import operations
    from bot.flows import register_all
    from scheduler import messages, rules, window

    registry = Registry(policy=policy or Policy())
    rules.register(registry, registry.policy.timings)  # the follow-ups the domain schedules
    messages.register(registry)  # the scheduler's own renderers
    window.register(registry)  # the WhatsApp window's held messages and news
    operations.register(registry)  # activity and progress follow from the domain's events
    register_all(registry)
    unprovided = registry.unprovided(declared_entries())
    if unprovided:
        raise RuntimeError(f"entries no flow provides: {', '.join(unprovided)}")
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
