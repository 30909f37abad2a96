"""Replies at least once: written with the conversation change, sent after the commit.

The engine runs each update in ``transaction`` and calls ``write`` inside it: the replies
it decided (not a button's answer, which is useless later) become one ``reply_outbox``
row, committed with the new conversation state or not at all. ``Core`` then delivers them
and marks the row done. Delivered rows are deleted inside the next update's transaction
(no transaction of their own; on PostgreSQL in the statement that writes its replies, on
SQLite one statement more); when no update comes within
``RECORD_WITHIN`` seconds, a group deletes them in a transaction of its own
(``scheduler.grouped``, as the dispatcher marks SENT). A transaction that rolls back hands
its deletes back, to go with the next one.

A process killed between the commit and the delete leaves the row; ``recover`` (the
scheduler's reaper: at start and every ``reap_seconds``) takes rows older than the lease,
and delivers them again, oldest first, one conversation at a time, in the order they were
written. Hence at least once: what was in flight at the kill, or sent but not yet marked
(one group), may arrive twice. ``settle`` runs before a conversation's next update: its
delivered replies are marked first, so after a kill only the replies of the update that
was last handled can come again, never an earlier question the person already answered
(their next update's own transaction deletes them).
A reply that still fails with a transient error after Delivery's own retries stays in the
outbox for the next recovery; one that Telegram refuses, or whose outcome is unknown (it
may have arrived), is done.

Without a database there is nothing to write: the engine's apology is sent directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import ARRAY, BigInteger, any_, bindparam, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core import wire
from bot.core.delivery import Delivery, Outcome
from bot.core.engine import ConversationLocks
from bot.core.seam import AnswerButton, Incoming, Outgoing
from bot.core.services import Services
from scheduler.grouped import Grouped
from storage.direct import Direct
from storage.models import ReplyOutbox as Row
from storage.queries import Write, table_of, write_together

log = logging.getLogger(__name__)

__all__ = ["MAX_ATTEMPTS", "REPLY_LEASE", "ReplyOutbox"]

# A row taken for delivery is left alone this long by other recoveries.
REPLY_LEASE = timedelta(seconds=60)
# Recoveries of one row before it is given up (each already retried inside Delivery).
MAX_ATTEMPTS = 5
# Delivered replies not taken along by an update's transaction within this many seconds
# (or 200 of them) are deleted in a transaction of their own: the longest a delivered row
# stays while nothing else happens; a crash repeats at most that long's replies.
RECORD_WITHIN = 0.5
# Conversations recovered at once (each in order, on the shared pacer).
RECOVER_AT_ONCE = 50

_TABLE = table_of(Row)
# Straight on the driver (`storage.direct`): every update writes a row and deletes one.
_INSERT = Direct(
    insert(_TABLE)
    .values(
        {
            **{
                column: bindparam(column)
                for column in ("update_id", "chat_id", "person_id", "actions", "claimed_at")
            },
            "attempts": 0,
        }
    )
    .inline()  # no RETURNING of the new row's id: nothing reads it
)
_DELETE = Direct(delete(_TABLE).where(_TABLE.c.update_id == bindparam("uid")))
# PostgreSQL's: all at once, so that they can go with the update's other writes.
_DELETE_ALL = Direct(
    delete(_TABLE).where(_TABLE.c.update_id == any_(bindparam("uids", type_=ARRAY(BigInteger))))
)
# The update ids whose delivered rows an update's transaction is to delete (session.info).
_RIDING = "buurbot_reply_outbox_riding"
_KEEP = (
    update(_TABLE).where(_TABLE.c.update_id == bindparam("uid")).values(actions=bindparam("left"))
)


_NONE: frozenset[int] = frozenset()


def _everything(_update_id: int) -> bool:
    return True


def durable(actions: Sequence[Outgoing]) -> list[Outgoing]:
    """What is worth sending after a restart: everything but a button's answer."""
    return [action for action in actions if not isinstance(action, AnswerButton)]


class ReplyOutbox:
    def __init__(
        self,
        services: Services,
        delivery: Delivery,
        *,
        record_every: int = 200,
        record_within: float = RECORD_WITHIN,
    ) -> None:
        self.services = services
        self.delivery = delivery
        # Replies of one conversation leave in the order of its updates (Core holds it too).
        self.order = ConversationLocks()
        # Update ids whose row this process is delivering or about to mark done.
        self.in_flight: set[int] = set()
        self._written: set[int] = set()
        # Delivered, row not deleted yet: waiting for a transaction to take them along.
        self._done: Grouped[int] = Grouped(self._delete, every=record_every, within=record_within)
        self._committer: asyncio.Task[None] | None = None
        self._closing = False
        # Per conversation: delivered updates whose row is not deleted yet (see `settle`).
        self._unmarked: dict[tuple[int, int], set[int]] = defaultdict(set)
        self._conversation_of: dict[int, tuple[int, int]] = {}
        # Deletes in a transaction that has not ended yet; `settle` waits for them.
        self._committing: set[int] = set()
        self._ended = asyncio.Event()  # set (and replaced) whenever such a transaction ends

    # ------------------------------------------------------------------ the engine's side

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """An update's transaction, which also deletes the rows of every reply delivered
        since the last one: with its replies (`write`), or at its end when it wrote none.
        Rolled back (an error, a cancelled task, a failed commit): the deletes wait for the
        next transaction."""
        riding = self._done.take(_everything)
        if not riding:
            async with self.services.db.transaction() as session:
                yield session
            return
        self._committing.update(riding)
        try:
            async with self.services.db.transaction() as session:
                session.info[_RIDING] = riding
                yield session
                await write_together(session, await self._deletes(session))
        except BaseException:
            self._again(riding)
            raise
        self._deleted(riding)

    async def write(
        self,
        session: AsyncSession,
        incoming: Incoming,
        actions: Sequence[Outgoing],
        along: Sequence[Write] = (),
    ) -> None:
        """Inside the update's transaction, its last statement: one row of the replies, with
        `along` (the engine's own writes) and the deletes this transaction carries."""
        kept = durable(actions)
        writes = [*along, *await self._deletes(session)]
        if incoming.update_id is not None and kept:
            row = {
                "update_id": incoming.update_id,
                "chat_id": incoming.chat.id,
                "person_id": incoming.person.id,
                "actions": [wire.dump(action) for action in kept],
                "claimed_at": self.services.clock.now(),
            }
            writes.append((_INSERT, row))
        await write_together(session, writes)
        if incoming.update_id is not None and kept:
            self._written.add(incoming.update_id)
            self.in_flight.add(incoming.update_id)  # before the commit: no recovery takes it

    async def _deletes(self, session: AsyncSession) -> list[Write]:
        """The delivered rows this transaction carries, once: on PostgreSQL as a write to go
        with the others; on SQLite deleted now (one statement per row, in-process)."""
        riding = session.info.pop(_RIDING, None)
        if not riding:
            return []
        if not self.services.db.is_sqlite:
            return [(_DELETE_ALL, {"uids": riding})]
        await _DELETE.many(session, [{"uid": uid} for uid in riding])
        return []

    # ------------------------------------------------------------------ after the commit

    async def deliver(
        self, conversation: tuple[int, int], update_id: int | None, actions: Sequence[Outgoing]
    ) -> None:
        """Send what the engine returned; mark its row done, or keep what failed."""
        left = await self._send(actions)
        if update_id is None or update_id not in self._written:
            return  # nothing was written: an apology, a duplicate, a flood notice
        self._written.discard(update_id)
        if left:
            await self._keep(update_id, left)
            self.in_flight.discard(update_id)
        else:
            self._mark_done(conversation, update_id)

    async def settle(self, conversation: tuple[int, int]) -> None:
        """Before this conversation's next update: its delivered rows go with that update.

        Those still waiting are taken along by the update's own transaction (the engine
        enters it with no wait in between); those in a transaction being committed right now
        are waited for. Otherwise a person who answers at once, or a commit held up by a busy
        database, could leave the row of an answered question, which a restart would send
        again after the conversation moved on."""
        while self._unmarked.get(conversation, _NONE) & self._committing:
            await self._ended.wait()

    async def _send(self, actions: Sequence[Outgoing]) -> list[Outgoing]:
        """Deliver in order; what is certainly not delivered yet (transient) comes back."""
        left: list[Outgoing] = []
        for action in actions:
            delivered = await self.delivery.attempt(action)
            if delivered.outcome in (Outcome.TRANSIENT, Outcome.RATE_LIMITED):
                if not isinstance(action, AnswerButton):
                    left.append(action)
        return left

    def _mark_done(self, conversation: tuple[int, int], update_id: int) -> None:
        self.in_flight.add(update_id)  # until the delete commits
        self._unmarked[conversation].add(update_id)
        self._conversation_of[update_id] = conversation
        self._waiting([update_id])

    def _waiting(self, update_ids: Iterable[int]) -> None:
        """To be deleted by the next transaction, or by a group of their own in time."""
        for update_id in update_ids:
            self._done.add(update_id)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._done.run(), name="reply-outbox-done")

    async def _delete(self, update_ids: list[int]) -> None:
        """A group's own transaction: nothing else took these along in time."""
        self._committing.update(update_ids)
        try:
            async with self.services.db.transaction() as session:
                await _DELETE.many(session, [{"uid": uid} for uid in update_ids])
        except Exception as error:
            log.warning("could not mark %d delivered replies done: %s", len(update_ids), error)
            self._again(update_ids)
        except BaseException:
            self._again(update_ids)
            raise
        else:
            self._deleted(update_ids)

    def _again(self, update_ids: list[int]) -> None:
        """Their transaction rolled back: the rows are still there, deleted by the next."""
        self._committing.difference_update(update_ids)
        if self._closing:  # stopping: nothing takes them now, recovered after their lease
            self._deleted(update_ids)
            return
        self._waiting(update_ids)
        self._end()

    def _deleted(self, update_ids: list[int]) -> None:
        """Their transaction ended: the rows are gone (or left to recovery)."""
        self._committing.difference_update(update_ids)
        self.in_flight.difference_update(update_ids)
        for update_id in update_ids:
            conversation = self._conversation_of.pop(update_id, None)
            if conversation is None:
                continue
            waiting = self._unmarked.get(conversation)
            if waiting is not None:
                waiting.discard(update_id)
                if not waiting:
                    del self._unmarked[conversation]
        self._end()

    def _end(self) -> None:
        self._ended.set()  # wakes every `settle` waiting; they look again
        self._ended = asyncio.Event()

    async def _keep(self, update_id: int, left: list[Outgoing]) -> None:
        try:
            async with self.services.db.transaction() as session:
                await session.execute(
                    _KEEP, {"uid": update_id, "left": [wire.dump(action) for action in left]}
                )
        except Exception as error:  # the row keeps them all: some may come twice
            log.warning("could not keep the undelivered replies of update %s: %s", update_id, error)

    async def close(self) -> None:
        """Commit the marks still waiting (on stop)."""
        self._closing = True
        try:
            if self._committer is not None and not self._committer.done():
                self._done.close()
                await self._committer
        finally:
            self._closing = False
        self._done = Grouped(self._delete, every=self._done.every, within=self._done.within)
        self._committer = None

    # ------------------------------------------------------------------ recovery

    async def recover(self, lease: timedelta = REPLY_LEASE) -> int:
        """Deliver the rows a dead process left (older than ``lease``); how many rows."""
        rows = await self._claim(lease)
        if not rows:
            return 0
        by_conversation: dict[tuple[int, int], list[Row]] = defaultdict(list)
        for row in sorted(rows, key=lambda row: row.id or 0):
            by_conversation[(row.chat_id, row.person_id)].append(row)
        log.warning("redelivering the replies of %d updates left undelivered", len(rows))
        gate = asyncio.Semaphore(RECOVER_AT_ONCE)

        async def conversation(key: tuple[int, int], rows: list[Row]) -> None:
            async with gate, self.order.hold(key):
                for row in rows:
                    await self._redeliver(row)

        await asyncio.gather(*(conversation(key, rows) for key, rows in by_conversation.items()))
        return len(rows)

    async def _claim(self, lease: timedelta) -> list[Row]:
        now = self.services.clock.now()
        stale = (Row.claimed_at <= now - lease,)
        async with self.services.db.transaction() as session:
            query = select(Row).where(*stale).order_by(col(Row.id))
            if not self.services.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = [
                row
                for row in (await session.execute(query)).scalars().all()
                if row.update_id not in self.in_flight
            ]
            if not rows:
                return []
            ids = [row.id for row in rows]
            await session.execute(
                update(Row)
                .where(col(Row.id).in_(ids))
                .values(claimed_at=now, attempts=Row.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            for row in rows:
                session.expunge(row)
            self.in_flight.update(row.update_id for row in rows)
            return rows

    async def _redeliver(self, row: Row) -> None:
        try:
            actions = [wire.load(data) for data in row.actions]
        except wire.WireError:
            log.exception("reply row of update %s cannot be read; dropped", row.update_id)
            self._mark_done((row.chat_id, row.person_id), row.update_id)
            return
        left = await self._send(actions)
        if left and row.attempts + 1 < MAX_ATTEMPTS:
            await self._keep(row.update_id, left)
            self.in_flight.discard(row.update_id)
            return
        if left:
            log.error(
                "replies of update %s undelivered after %d tries; given up",
                row.update_id,
                row.attempts + 1,
            )
        self._mark_done((row.chat_id, row.person_id), row.update_id)
