"""The outbox: follow-ups, reminders and nudges as rows, written in the caller's transaction.

Every row carries a UNIQUE dedupe key that names the occasion (``reminder:12:24h:7``),
so the same rule firing twice — a redelivered update, N processes running the same cron
job — leaves one row. Rules write here; the dispatcher (``scheduler.dispatch``) sends.

* ``schedule`` only inserts (INSERT … ON CONFLICT DO NOTHING): what cron jobs do.
* ``schedule_or_move`` inserts, or moves a row that exists (the action moved), or
  revives one that was cancelled (a "no" that became "coming" again).
* ``cancel…`` turn PENDING rows into CANCELLED, with the reason in ``last_error``.

A row that is being sent (SENDING) is never touched here: the dispatcher owns it until
it is marked sent, failed, or handed back by the lease reaper.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from scheduler.pacing import Priority
from storage.models import OutboxStatus, ScheduledMessage
from storage.queries import affected, for_update, insert_ignore

log = logging.getLogger(__name__)

__all__ = [
    "Planned",
    "cancel",
    "cancel_for_action",
    "cancel_for_chat",
    "cancel_for_resident",
    "cancel_keys",
    "existing",
    "schedule",
    "schedule_or_move",
]

KEY_MAX = 120
REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Planned:
    """A row a rule wants in the outbox."""

    kind: str
    key: str
    due_at: datetime
    resident_id: int | None = None
    chat_id: int | None = None
    initiative_id: int | None = None
    action_id: int | None = None
    priority: int = Priority.SCHEDULED
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > KEY_MAX:
            raise ValueError(f"a dedupe key has 1 to {KEY_MAX} characters: {self.key!r}")
        if self.due_at.tzinfo is None:
            raise ValueError(f"due_at must be timezone-aware: {self.due_at!r}")
        if self.resident_id is None and self.chat_id is None:
            raise ValueError(f"row {self.key} has no recipient")

    def values(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dedupe_key": self.key,
            "resident_id": self.resident_id,
            "chat_id": self.chat_id,
            "initiative_id": self.initiative_id,
            "action_id": self.action_id,
            "due_at": self.due_at,
            "priority": int(self.priority),
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "payload": dict(self.payload),
            "created_at": now,
        }


async def schedule(session: AsyncSession, planned: Planned, now: datetime) -> bool:
    """Insert the row unless its key exists; True when it is new."""
    return await insert_ignore(session, ScheduledMessage, **planned.values(now))


async def existing(session: AsyncSession, key: str) -> ScheduledMessage | None:
    query = select(ScheduledMessage).where(ScheduledMessage.dedupe_key == key)
    if for_update(session):
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def schedule_or_move(
    session: AsyncSession,
    planned: Planned,
    now: datetime,
    row: ScheduledMessage | None = None,
) -> str:
    """Make the outbox hold ``planned``: "new", "moved", "revived" or "kept".

    ``row`` is the existing row when the caller already loaded it. A SENT row is sent
    again only for a later occasion (due after it was sent: the action moved on); a
    SENDING row is left to the dispatcher.
    """
    if row is None:
        if await schedule(session, planned, now):
            return "new"
        row = await existing(session, planned.key)
        if row is None:  # deleted between the two statements; try once more
            return "new" if await schedule(session, planned, now) else "kept"
    status = row.status
    if status is OutboxStatus.SENDING:
        log.info("outbox row %s is being sent; not moved", row.dedupe_key)
        return "kept"
    if status is OutboxStatus.SENT and (row.sent_at is None or planned.due_at <= row.sent_at):
        return "kept"
    same = row.due_at == planned.due_at and (row.payload or {}) == planned.payload
    if status is OutboxStatus.PENDING and same:
        return "kept"
    if status is OutboxStatus.FAILED and same:
        return "kept"  # failing again at the same moment helps nobody
    outcome = "moved" if status is OutboxStatus.PENDING else "revived"
    row.due_at = planned.due_at
    row.payload = dict(planned.payload)
    row.priority = int(planned.priority)
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.lease_until = None
    row.last_error = None
    session.add(row)
    return outcome


async def cancel(
    session: AsyncSession, *conditions: ColumnElement[bool], reason: str, only_pending: bool = True
) -> int:
    """Cancel the PENDING rows that meet all ``conditions``; return how many."""
    statement = (
        update(ScheduledMessage)
        .where(*conditions)
        .values(status=OutboxStatus.CANCELLED, last_error=reason[:REASON_MAX], lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if only_pending:
        statement = statement.where(col(ScheduledMessage.status) == OutboxStatus.PENDING)
    result = await session.execute(statement)
    return affected(result)


async def cancel_keys(session: AsyncSession, keys: Iterable[str], *, reason: str) -> int:
    keys = list(keys)
    if not keys:
        return 0
    return await cancel(session, col(ScheduledMessage.dedupe_key).in_(keys), reason=reason)


def _kinds(kinds: Iterable[str] | None) -> list[ColumnElement[bool]]:
    return [] if kinds is None else [col(ScheduledMessage.kind).in_(list(kinds))]


async def cancel_for_action(
    session: AsyncSession,
    action_id: int,
    *,
    reason: str,
    kinds: Iterable[str] | None = None,
    resident_id: int | None = None,
) -> int:
    conditions = [col(ScheduledMessage.action_id) == action_id, *_kinds(kinds)]
    if resident_id is not None:
        conditions.append(col(ScheduledMessage.resident_id) == resident_id)
    return await cancel(session, *conditions, reason=reason)


async def cancel_for_resident(
    session: AsyncSession,
    resident_id: int,
    *,
    reason: str,
    kinds: Iterable[str] | None = None,
    initiative_id: int | None = None,
) -> int:
    conditions = [col(ScheduledMessage.resident_id) == resident_id, *_kinds(kinds)]
    if initiative_id is not None:
        conditions.append(col(ScheduledMessage.initiative_id) == initiative_id)
    return await cancel(session, *conditions, reason=reason)


async def cancel_for_chat(session: AsyncSession, chat_id: int, *, reason: str) -> int:
    """Rows addressed to a chat by id (group messages)."""
    return await cancel(session, col(ScheduledMessage.chat_id) == chat_id, reason=reason)
