"""A test's own outbox kind, in every registry the bootstrap builds while the test runs."""

from __future__ import annotations

import pytest

from bot import app
from bot.core.policy import Policy
from bot.core.registry import KindInfo, Registry


def add_kind(monkeypatch: pytest.MonkeyPatch, kind: KindInfo) -> None:
    build = app.build_registry

    def with_kind(policy: Policy | None = None) -> Registry:
        registry = build(policy)
        registry.add_kind(kind)
        return registry

    monkeypatch.setattr(app, "build_registry", with_kind)
