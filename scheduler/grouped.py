"""Outcomes committed in groups: what the dispatcher's SENT marks and the reply outbox's
"delivered" marks share.

A group is committed once ``every`` items are in, or ``within`` seconds after the first
of them arrived; whatever arrives while a commit runs joins the next group. With
``expected`` (the dispatcher: a batch of known size) the last group goes as soon as the
last item is in, and ``run`` returns when all are committed; without it (the replies:
an open stream) ``run`` goes on until ``close``. A crash loses at most the group not yet
committed: what it marked is done again (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["Grouped"]

T = TypeVar("T")


class Grouped(Generic[T]):
    def __init__(
        self,
        commit: Callable[[list[T]], Awaitable[None]],
        *,
        every: int,
        within: float,
        expected: int | None = None,
    ) -> None:
        self._commit = commit
        self.every = max(1, every)
        self.within = within
        self._left = expected  # None: open-ended
        self._items: list[T] = []
        self._arrived = asyncio.Event()  # an item is waiting to be committed
        self._enough = asyncio.Event()  # a full group is waiting
        self._closed = False

    def _target(self) -> int:
        return self.every if self._left is None else min(self.every, self._left)

    def add(self, item: T) -> None:
        self._items.append(item)
        self._arrived.set()
        if len(self._items) >= self._target():
            self._enough.set()

    def close(self) -> None:
        """Commit what is waiting at once, then let ``run`` end."""
        self._closed = True
        self._arrived.set()
        self._enough.set()

    @property
    def waiting(self) -> int:
        return len(self._items)

    def take(self, wanted: Callable[[T], bool]) -> list[T]:
        """Remove and return the waiting items `wanted` picks (the caller commits them)."""
        taken = [item for item in self._items if wanted(item)]
        if taken:
            self._items = [item for item in self._items if not wanted(item)]
        return taken

    async def run(self) -> None:
        while self._left is None or self._left > 0:
            if not self._items:
                if self._closed:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            if len(self._items) < self._target() and not self._closed:
                self._enough.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._enough.wait(), self.within)
            group = self._items[:]
            self._items.clear()
            if not group:  # `take` had them all
                continue
            if self._left is not None:
                self._left -= len(group)
            await self._commit(group)
