"""Every conversation the bot has, one module per flow. Each module with a
`register(registry)` function is wired in, in name order."""

from __future__ import annotations

import importlib
import pkgutil

from bot.core.registry import Registry


def register_all(registry: Registry) -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(registry)
