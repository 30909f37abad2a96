"""The poller polls again when the offset can move, not at every finished update: until
the first unfinished update is done, getUpdates would answer the same in-flight updates."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.runtimes import polling
from bot.runtimes.polling import Poller


class Telegram:
    """getUpdates as Telegram answers it: every update from the offset on, kept until
    an offset past it confirms it."""

    def __init__(self, ids: list[int]) -> None:
        self.pending = [{"update_id": i} for i in ids]
        self.offsets: list[int | None] = []

    async def fetch(self, offset: int | None, wait: int, limit: int) -> list[Any]:
        self.offsets.append(offset)
        if offset is not None:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending:
            await asyncio.sleep(min(wait, 0.05))
        return self.pending[:limit]


class Receiver:
    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}

    def handle(self, update_id: int, raw: Any) -> asyncio.Task[None]:
        gate = self.gates.setdefault(update_id, asyncio.Event())
        return asyncio.create_task(gate.wait())

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        return None


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.005)


async def test_a_finished_update_behind_the_first_unfinished_one_does_not_poll_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "IDLE", 30.0)  # only a finished update may wake it
    telegram, receiver = Telegram([1, 2, 3]), Receiver()
    poller = Poller(telegram.fetch, receiver, lambda _e: None, str, timeout=0)  # type: ignore[arg-type]
    poller.start()
    try:
        await settle()
        polls = len(telegram.offsets)
        assert set(receiver.gates) == {1, 2, 3}
        receiver.gates[3].set()  # finished, but 1 is not: the offset cannot move
        receiver.gates[2].set()
        await settle()
        assert len(telegram.offsets) == polls
        receiver.gates[1].set()  # the first one: now everything up to 3 is confirmed
        await settle()
        assert len(telegram.offsets) > polls
        assert 4 in telegram.offsets
    finally:
        await poller.stop()
