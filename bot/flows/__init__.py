"""Every conversation the bot has, one module per flow; `register_all` wires them."""

from __future__ import annotations

from bot.registry import Registry


def register_all(registry: Registry) -> None:
    from bot.flows import basics, onboarding

    for module in (basics, onboarding):
        module.register(registry)
