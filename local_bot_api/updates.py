"""The bot's update queue: ids, getUpdates offsets, long polling, and the conflict rules."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError

JSON = dict[str, Any]

# What Telegram delivers when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


def update_kind(update: JSON) -> str:
    return next(key for key in update if key != "update_id")


@dataclass(slots=True)
class QueuedUpdate:
    update_id: int
    update: JSON
    kind: str
    redelivered: bool = False
    delivered: bool = False


class UpdateQueue:
    def __init__(self, first_update_id: int = 1) -> None:
        self._next_id = first_update_id
        self._pending: deque[QueuedUpdate] = deque()
        self.history: dict[int, JSON] = {}
        self.allowed: frozenset[str] | None = None  # None: Telegram's default set
        self._arrival: asyncio.Event | None = None
        self._poller: asyncio.Future[str] | None = None
        self.webhook_active = False
        self.closing = False

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def pending(self) -> list[JSON]:
        return [entry.update for entry in self._pending]

    def add(self, kind: str, payload: JSON) -> JSON:
        update: dict[str, Any] = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self.history[update["update_id"]] = update
        self._pending.append(QueuedUpdate(update["update_id"], update, kind))
        self._wake()
        return update

    def add_raw(self, update: JSON) -> JSON:
        """Queue an update exactly as given (any shape: a test's malformed one); it gets the
        next update_id unless it brings its own."""
        update = dict(update)
        update.setdefault("update_id", self.next_id())
        kind = next((key for key in update if key != "update_id"), "unknown")
        self.history[update["update_id"]] = update
        self._pending.append(QueuedUpdate(update["update_id"], update, kind))
        self._wake()
        return update

    def next_id(self) -> int:
        """Hand out an update id for an update that does not go through the queue."""
        update_id = self._next_id
        self._next_id += 1
        return update_id

    def redeliver(self, update_id: int) -> None:
        update = self.history.get(update_id)
        if update is None:
            raise KeyError(f"no update {update_id} was ever made")
        # At the front, so that the offset a library computes after it confirms nothing newer.
        self._pending.appendleft(
            QueuedUpdate(update_id, update, update_kind(update), redelivered=True)
        )
        self._wake()

    def drop_pending(self) -> None:
        self._pending.clear()

    def set_allowed(self, allowed: Iterable[str] | None) -> None:
        if allowed is not None:
            self.allowed = frozenset(allowed) or None

    def is_allowed(self, kind: str) -> bool:
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
            return
        held: list[QueuedUpdate] = []
        while pending:
            head = pending[0]
            if head.redelivered and not head.delivered:
                held.append(pending.popleft())
            elif head.update_id < offset:
                pending.popleft()
            else:
                break
        pending.extendleft(reversed(held))

    def take(self, limit: int) -> list[QueuedUpdate]:
        """The next updates to deliver (without removing them), skipping unwanted kinds."""
        batch: list[QueuedUpdate] = []
        unwanted = False
        for entry in self._pending:
            if not self.is_allowed(entry.kind):
                unwanted = True
                continue
            batch.append(entry)
            if len(batch) >= limit:
                break
        if unwanted:
            self._pending = deque(e for e in self._pending if self.is_allowed(e.kind))
        for entry in batch:
            entry.delivered = True
        return batch

    def pop_next(self) -> QueuedUpdate | None:
        """Remove and return the next wanted update (webhook delivery confirms on send)."""
        while self._pending:
            entry = self._pending.popleft()
            if self.is_allowed(entry.kind):
                entry.delivered = True
                return entry
        return None

    async def wait_for_arrival(self, seconds: float | None) -> bool:
        if self._pending:
            return True
        if self._arrival is None:
            self._arrival = asyncio.Event()
        try:
            await asyncio.wait_for(self._arrival.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _wake(self) -> None:
        if self._arrival is not None:
            self._arrival.set()
            self._arrival = None

    def wake_all(self) -> None:
        self._wake()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("closing")

    async def get_updates(
        self,
        offset: int | None,
        limit: int,
        poll_seconds: float,
        allowed_updates: list[str] | None,
    ) -> list[JSON]:
        if self.webhook_active:
            raise ApiError(409, WEBHOOK_CONFLICT, rejected=False)
        loop = asyncio.get_running_loop()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("terminated")
        me: asyncio.Future[str] = loop.create_future()
        self._poller = me
        try:
            self.set_allowed(allowed_updates)
            self.confirm(offset)
            limit = min(max(limit, 1), 100)  # Telegram clamps rather than refuses
            deadline = loop.time() + max(poll_seconds, 0)
            while True:
                batch = self.take(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self.closing:
                    return [entry.update for entry in batch]
                if self._arrival is None:
                    self._arrival = asyncio.Event()
                arrival = asyncio.ensure_future(self._arrival.wait())
                try:
                    waiting: set[asyncio.Future[Any]] = {arrival, me}
                    await asyncio.wait(
                        waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    arrival.cancel()
                if me.done() and me.result() == "terminated":
                    raise ApiError(409, POLL_CONFLICT, rejected=False)
                if self.webhook_active:
                    raise ApiError(409, WEBHOOK_CONFLICT, rejected=False)
        finally:
            if self._poller is me:
                self._poller = None
