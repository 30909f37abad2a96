"""One virtual clock for pacers and the sends they pace (tests/test_pacing.py,
tests/test_shared_limits.py): a sleep ends when the clock reaches its end, and the clock
jumps to the earliest end once every task has done what it can."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable

# Turns of the event loop that let every ready task run before the clock moves on.
SETTLE_TURNS = 30


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._seq), future))
        return future

    async def run(self, *work: Awaitable[object]) -> None:
        tasks = [asyncio.ensure_future(w) for w in work]
        while not all(task.done() for task in tasks):
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                continue
            at, _seq, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            future.set_result(None)
        for task in tasks:
            task.result()
