"""The dispatcher: claims due outbox rows, sends them through the paced Delivery,
and records what happened — once per row, in any number of processes.

A sweep repeats, until nothing is due:

1. **claim** a batch of due PENDING rows, in one short transaction: on PostgreSQL
   ``SELECT … FOR UPDATE SKIP LOCKED`` and then ``UPDATE … SET status='sending'`` with a
   lease; on SQLite one ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`` (3.35+;
   every SQLite transaction here begins IMMEDIATE, so two processes never claim the
   same row). Concurrent sweepers each get other rows.
2. **decide**, in one transaction for the batch (prefetching what renderers need):
   the person unreachable → cancelled; reminders off → cancelled (unless the kind is
   essential); paused → postponed to the end of the pause; inside their quiet hours
   → postponed to the end; over the daily budget → postponed or dropped (below);
   then the kind's renderer re-checks the domain and writes the message in the
   person's language, or says skip / postpone. Skips and postponements are written
   in that same transaction.
3. **send** the batch concurrently through ``Delivery`` (the pacer orders them), and
   mark each row SENT soon after it is sent: outcomes are committed in groups, of up
   to ``record_every`` rows or ``record_within`` seconds (one group per batch when
   sends are instant, a few rows when paced). A crash between a send and its commit
   leaves at most that group in SENDING: at-least-once kinds are sent again (the only
   duplicates), at-most-once kinds are failed by the reaper, never sent twice.
   Transient errors put the row back to PENDING with exponential backoff; after
   ``max_attempts`` it is FAILED with the reason. A blocked recipient is marked
   unreachable and all their pending rows are cancelled (by Delivery).
4. **overlap**: while a batch is sent and recorded, the next is claimed and decided;
   one batch sends at a time, and its sends count against the next batch's budget.
   The claim after that starts as soon as the batch being sent is recorded, so with
   quick sends it runs while the next batch is still being decided (on PostgreSQL its
   statement and commit then take the server's time, not the sweep's; it even starts
   once the sends are done, alongside the commit of their last marks, and commits after
   them). Either way at most two claimed batches are unrecorded at once: a crash can
   leave two batches in SENDING (at most 2 × ``batch_size`` at-most-once rows failed
   by the reaper instead of one batch). A sweep that fails hands a batch it claimed
   ahead, never decided, back to PENDING.

``reap`` hands rows stuck in SENDING past their lease (a process died mid-send) back
to PENDING — except at-most-once kinds, which are FAILED instead: they may have been
sent, and a soft nudge is better lost than doubled.

The daily budget (``RuleTimings.daily_budget``, default 3 scheduled messages per
person per local day), decided: a deferrable message (a nudge, a thank-you, a
follow-up question, a digest) is sent only while the messages already sent today
plus the reminders still due today stay under the budget; otherwise it waits until
the next morning (the end of the quiet hours). A reminder (``timely``) is never
postponed — tomorrow it is useless — so it is sent while today's count is under the
budget and dropped (cancelled, "daily budget used") when it is not. Messages are not
merged: each stays a message with one clear next step. Across several processes the
budget is counted per batch, so two sweepers may let one extra message through.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlalchemy import bindparam, func, or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.core.delivery import Delivery, Outcome
from bot.core.policy import RuleTimings
from bot.core.seam import Network, Outgoing, network_of
from bot.core.services import Services
from scheduler import window
from scheduler.grouped import Grouped
from scheduler.messages import (
    KindInfo,
    Postpone,
    RenderContext,
    Skip,
    person_of,
    reminders_allow,
)
from scheduler.rules import zone
from scheduler.timing import QuietHours, local_day_bounds
from storage.db import Database
from storage.models import (
    Action,
    Initiative,
    Membership,
    OutboxStatus,
    PersonFacts,
    Reminders,
    Resident,
    Rsvp,
    ScheduledMessage,
)
from storage.queries import affected, table_of

log = logging.getLogger(__name__)

__all__ = ["Dispatcher", "SweepReport", "sqlite_has_returning"]

REASON_MAX = 500
SM = ScheduledMessage


def sqlite_has_returning() -> bool:
    """UPDATE … RETURNING arrived in SQLite 3.35."""
    return sqlite3.sqlite_version_info >= (3, 35, 0)


@dataclass
class SweepReport:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    postponed: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: SweepReport) -> None:
        for name in ("claimed", "sent", "skipped", "postponed", "retried", "failed", "gone"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.reasons.items():
            self.reasons[reason] += count


# --- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Send:
    row: ScheduledMessage
    messages: list[Outgoing]


class Decision(StrEnum):
    """What becomes of a row that is not sent this time (before any message leaves)."""

    POSTPONED = "postponed"  # pending again, due later; not an attempt
    SKIPPED = "skipped"  # cancelled: nothing to say, or not to this person any more
    FAILED = "failed"  # given up: a bug or an unknown kind


# A row held back: the decision, why (kept in last_error), and until when (postponed).
Held = tuple[Decision, str, datetime | None]


class RowOutcome(StrEnum):
    """What sending a row's messages came to."""

    SENT = "sent"  # (or may have arrived: never repeated)
    GONE = "gone"  # the person blocked the bot or the chat is gone
    FAILED = "failed"  # rejected: sending again would not help
    RETRY = "retry"  # a transient error: again after a backoff


@dataclass(frozen=True, slots=True)
class _Result:
    row: ScheduledMessage
    status: RowOutcome
    at: datetime
    reason: str = ""


class _Zones:
    """What a batch asks of each time zone at its one ``now``: the same for everyone in
    the zone, so worked out once per zone (a dict, not an ``lru_cache``: hashing the
    quiet hours and ``now`` at every row was most of what these cost)."""

    def __init__(self, now: datetime, quiet: QuietHours) -> None:
        self.now = now
        self.quiet = quiet
        self._zones: dict[str | None, ZoneInfo] = {}
        self._bounds: dict[ZoneInfo, tuple[datetime, datetime]] = {}
        self._quiet: dict[ZoneInfo, bool] = {}

    def zone(self, name: str | None) -> ZoneInfo:
        found = self._zones.get(name)
        if found is None:
            found = self._zones[name] = zone(name)
        return found

    def day_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Today's start and end in the zone."""
        found = self._bounds.get(tz)
        if found is None:
            found = self._bounds[tz] = local_day_bounds(self.now, tz)
        return found

    def is_quiet(self, tz: ZoneInfo) -> bool:
        found = self._quiet.get(tz)
        if found is None:
            found = self._quiet[tz] = self.quiet.contains(self.now, tz)
        return found


class _Budget:
    """Scheduled messages per person per local day (see the module text)."""

    def __init__(self, limit: int, zones: _Zones) -> None:
        self.limit = limit
        self.sent: dict[int, list[datetime]] = defaultdict(list)
        self.timely: dict[int, list[datetime]] = defaultdict(list)
        self.spent: dict[int, int] = defaultdict(int)
        # People whose pause of their reminders is over: set back to "on" with the batch.
        self.resumed: set[int] = set()
        self.zones = zones  # at the batch's `now`, which every verdict is asked at

    async def load(
        self,
        session: AsyncSession,
        resident_ids: set[int],
        now: datetime,
        timely: set[str],
        in_flight: frozenset[int] = frozenset(),
        *,
        batch: Iterable[int | None] = (),
        sqlite: bool = False,
    ) -> None:
        """What was sent to these people in the last day, and their reminders still due.

        ``in_flight``: rows this process is sending and has not recorded yet (the batch
        before, while this one is decided); they count as sent now. Each row is read in
        one state, so a row recorded meanwhile is counted once, as SENT. ``batch``: the
        rows being decided, which this process claimed (SENDING, not in flight): they
        would count for nothing, so they are not read.

        Found through the resident index only (``coalesce`` keeps the planner off the
        status index, which would make this scan every row ever sent)."""
        if not resident_ids:
            return
        window = timedelta(hours=26)  # a local day is at most 25 h long
        statements = _Statements.of(sqlite)
        result = await session.execute(
            statements.budget_in_flight if in_flight else statements.budget,
            {
                "people": ids_value(resident_ids, sqlite=sqlite),
                "batch": ids_value(batch, sqlite=sqlite),
                "since": now - window,
            },
        )
        for row_id, resident_id, status, kind, sent_at, due_at in result.all():
            if resident_id is None:  # not so: the query selects by resident
                continue
            if status is OutboxStatus.SENT and sent_at is not None:
                self.sent[resident_id].append(sent_at)
            elif status is OutboxStatus.SENDING and row_id in in_flight:
                self.sent[resident_id].append(now)
            elif status is OutboxStatus.PENDING and kind in timely and now < due_at < now + window:
                self.timely[resident_id].append(due_at)

    def verdict(
        self,
        person: PersonFacts,
        kind: KindInfo,
        now: datetime,
        timings: RuleTimings,
        tz: ZoneInfo | None = None,
    ) -> datetime | bool:
        """True: send; False: drop; a moment: not before then (``tz``: the person's)."""
        tz = tz or self.zones.zone(person.timezone)
        start, end = self.zones.day_bounds(tz)
        pid = person.id or 0
        # `get`: most people have nothing sent yet (no empty list made for each).
        sent = self.sent.get(pid)
        used = self.spent.get(pid, 0)
        if sent:
            used += sum(1 for at in sent if start <= at < end)
        if kind.timely:
            return used < self.limit
        timely = self.timely.get(pid)
        later_today = sum(1 for at in timely if now < at < end) if timely else 0
        if used + later_today < self.limit:
            return True
        return timings.quiet_hours.next_allowed(end, tz)

    def spend(self, person: PersonFacts) -> None:
        self.spent[person.id or 0] += 1


async def _update_rows(session: AsyncSession, rows: list[dict]) -> None:
    """Write outcomes by row id: one Core ``executemany`` per set of columns (cheaper
    than the ORM's bulk update, which sorts the rows out one by one)."""
    by_columns: dict[frozenset[str], list[dict]] = defaultdict(list)
    for values in rows:
        by_columns[frozenset(values)].append(values)
    for group in by_columns.values():
        await session.execute(_UPDATE_BY_ID, group)


# The SET clause comes from the parameters' keys other than ``row_id``.
_SM_TABLE = table_of(SM)
_RESIDENT_TABLE = table_of(Resident)
_RSVP_TABLE = table_of(Rsvp)
_MEMBERSHIP_TABLE = table_of(Membership)
# The columns of `PersonFacts` (display_name is computed): what a sweep reads of a person.
_PERSON_FACTS = tuple(
    name
    for name, value in vars(PersonFacts).items()
    if isinstance(value, property) and name != "display_name"
)
_UPDATE_BY_ID = update(_SM_TABLE).where(_SM_TABLE.c.id == bindparam("row_id"))


def one_of(column: Any, name: str, *, sqlite: bool) -> Any:
    """``column IN (:name)`` with one parameter however many ids (``ids_value`` makes it):
    a PostgreSQL array (``= ANY``), or on SQLite a JSON list (``IN (SELECT value FROM
    json_each(…))``). An expanding ``IN`` renders one parameter per id at every execution,
    which cost a tenth of a sweep's CPU with batches of 200."""
    if sqlite:
        listed = func.json_each(bindparam(name, type_=sqlalchemy.String))
        return column.in_(sqlalchemy.select(sqlalchemy.literal_column("value")).select_from(listed))
    return column == sqlalchemy.any_(bindparam(name, type_=sqlalchemy.ARRAY(sqlalchemy.Integer)))


def none_of(column: Any, name: str, *, sqlite: bool) -> Any:
    """``column NOT IN (:name)``, the same way as `one_of` (PostgreSQL: ``<> ALL``)."""
    if sqlite:
        listed = func.json_each(bindparam(name, type_=sqlalchemy.String))
        return column.not_in(
            sqlalchemy.select(sqlalchemy.literal_column("value")).select_from(listed)
        )
    return column != sqlalchemy.all_(bindparam(name, type_=sqlalchemy.ARRAY(sqlalchemy.Integer)))


def read_as_is(column: Any, *, sqlite: bool) -> Any:
    """A column to read, named as it is: on PostgreSQL a `UTCDateTime` one is read as its
    plain ``DateTime(timezone=True)``, since asyncpg already gives an aware datetime in
    UTC (the decorator's call at every value was a quarter of a claim's CPU). On SQLite
    the decorator is what makes the stored naive value aware."""
    if sqlite or not isinstance(column.type, UTCDateTime):
        return column
    return sqlalchemy.type_coerce(column, sqlalchemy.DateTime(timezone=True)).label(column.name)


def ids_value(ids: Iterable[int | None], *, sqlite: bool) -> Any:
    values = sorted({value for value in ids if value is not None})
    return json.dumps(values) if sqlite else values


@dataclass(frozen=True)
class _Statements:
    """The statements of every batch, built once per database kind: building them, and
    their cache keys, at every batch was a tenth of its CPU."""

    people: Any
    actions: Any
    answers: Any
    initiatives: Any
    members: Any
    budget: Any
    budget_in_flight: Any
    sent: Any
    resume: Any
    due: Any
    claim: Any
    release: Any

    @staticmethod
    @lru_cache(maxsize=2)
    def of(sqlite: bool) -> _Statements:
        def among(column: Any, name: str) -> Any:
            return one_of(column, name, sqlite=sqlite)

        # Core columns, not the models' attributes, wherever plain rows are read: an
        # ORM-enabled select loads its rows through the ORM's machinery, a row at a time.
        sm = _SM_TABLE
        recent = func.coalesce(sm.c.sent_at, sm.c.due_at) >= bindparam("since")
        budget_columns = ("id", "resident_id", "status", "kind", "sent_at", "due_at")
        budget = sqlalchemy.select(
            *(read_as_is(sm.c[name], sqlite=sqlite) for name in budget_columns)
        ).where(
            among(sm.c.resident_id, "people"),
            # The batch's own rows (claimed: SENDING, and not in flight) count for nothing.
            none_of(sm.c.id, "batch", sqlite=sqlite),
        )
        rsvp, member = _RSVP_TABLE, _MEMBERSHIP_TABLE
        due = (
            sqlalchemy.select(sm.c.id)
            .where(sm.c.status == OutboxStatus.PENDING, sm.c.due_at <= bindparam("now"))
            .limit(bindparam("limit", type_=sqlalchemy.Integer))
        )
        if sqlite:
            # The index on (status, due_at) holds the rowid too: in order, without a sort.
            due = due.order_by(sm.c.due_at, sm.c.id)
        else:
            # By due_at alone, as the index on (status, due_at) gives them: ordering by id
            # too sorted every due row at every claim (100,000 due: 60 ms a claim).
            due = due.order_by(sm.c.due_at).with_for_update(skip_locked=True)
        inner = due.scalar_subquery()
        # On PostgreSQL = ANY(ARRAY(…)): the inner select runs once, then the rows are
        # found by primary key (with IN the planner hash-joined the whole table).
        claimed = sm.c.id.in_(inner) if sqlite else sm.c.id == sqlalchemy.any_(func.array(inner))
        return _Statements(
            # Plain rows with the model's names (and its display_name), not ORM objects:
            # only read (`PersonFacts`); building Resident objects was a fifth of a sweep.
            people=sqlalchemy.select(
                *(read_as_is(_RESIDENT_TABLE.c[name], sqlite=sqlite) for name in _PERSON_FACTS),
                func.coalesce(_RESIDENT_TABLE.c.name, _RESIDENT_TABLE.c.first_name).label(
                    "display_name"
                ),
            ).where(among(_RESIDENT_TABLE.c.id, "people")),
            actions=select(Action).where(among(col(Action.id), "actions")),
            answers=sqlalchemy.select(
                rsvp.c.action_id, rsvp.c.resident_id, rsvp.c.answer, rsvp.c.waitlisted
            ).where(among(rsvp.c.action_id, "actions"), among(rsvp.c.resident_id, "answerers")),
            initiatives=select(Initiative).where(among(col(Initiative.id), "initiatives")),
            members=sqlalchemy.select(
                member.c.initiative_id, member.c.resident_id, member.c.role
            ).where(
                among(member.c.initiative_id, "initiatives"), among(member.c.resident_id, "people")
            ),
            budget=budget.where(recent),
            budget_in_flight=budget.where(or_(recent, sm.c.status == OutboxStatus.SENDING)),
            resume=update(_RESIDENT_TABLE)
            .where(
                among(_RESIDENT_TABLE.c.id, "people"),
                _RESIDENT_TABLE.c.reminders == Reminders.PAUSED,
            )
            .values(reminders=Reminders.ON, reminders_paused_until=None),
            due=due,
            claim=update(sm)
            .where(claimed)
            .values(
                status=OutboxStatus.SENDING,
                lease_until=bindparam("lease_until"),
                attempts=sm.c.attempts + 1,
            )
            .returning(*(read_as_is(column, sqlite=sqlite) for column in sm.c)),
            release=update(sm)
            .where(among(sm.c.id, "ids"), sm.c.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.PENDING,
                lease_until=None,
                attempts=sqlalchemy.case((sm.c.attempts > 0, sm.c.attempts - 1), else_=0),
            ),
            sent=update(_SM_TABLE)
            .where(among(_SM_TABLE.c.id, "ids"))
            .values(
                status=OutboxStatus.SENT,
                sent_at=bindparam("sent_at"),
                lease_until=None,
                last_error=None,
            ),
        )


class _Withdrawn(Exception):
    """A claim made ahead is rolled back: the sweep stops."""


def _failed(task: asyncio.Task[Any]) -> bool:
    """A finished task that was cancelled or raised."""
    return task.done() and (task.cancelled() or task.exception() is not None)


def _due_order(row: Any) -> tuple[datetime, int]:
    return (row.due_at, row.id)


# --- the dispatcher ---------------------------------------------------------------------------


class Dispatcher:
    def __init__(
        self,
        services: Services,
        delivery: Delivery,
        *,
        batch_size: int | None = None,
        lease: timedelta | None = None,
        max_attempts: int = 5,
        retry_base: timedelta = timedelta(seconds=30),
        retry_max: timedelta = timedelta(hours=1),
        record_every: int = 200,
        record_within: float = 0.05,
    ) -> None:
        self.services = services
        self.delivery = delivery
        # The services' policy: the rules scheduled the rows under the same timings.
        self.timings = services.policy.timings
        self.batch_size = batch_size or services.policy.scheduler.batch_size
        self.lease = lease or services.policy.scheduler.lease
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_max = retry_max
        # Outcomes are committed in groups of up to this many, or this many seconds after
        # the first of a group came in (see _send_all: what a crash can repeat).
        self.record_every = record_every
        self.record_within = record_within
        self.use_returning = sqlite_has_returning()
        # Rows handed to the sender whose outcome is not recorded yet (see _Budget.load).
        self._in_flight: set[int] = set()

    @property
    def db(self) -> Database:
        return self.services.db

    def now(self) -> datetime:
        return self.services.clock.now()

    # ------------------------------------------------------------------ sweeping

    async def sweep(self, *, max_rows: int | None = None) -> SweepReport:
        """Send everything that is due now; return what happened.

        Pipelined: while one batch is being sent and recorded, the next is claimed and
        decided. At most one batch is sending at a time, so rows still go out in order
        of their batches; the budget of the next batch counts the sends still in flight.
        The claim of the following batch starts as soon as the one being sent is
        recorded, even while the next one is still being decided (the module text, 4.):
        at most two claimed batches are ever unrecorded.
        """
        report = SweepReport()
        sending: asyncio.Task[None] | None = None
        sent_out: asyncio.Event | None = None  # every send of the batch in flight is done
        claiming: asyncio.Task[list[ScheduledMessage]] | None = None
        stopping = asyncio.Event()  # a claim still waiting for the batch in flight: none
        try:
            limit = self._limit(report, max_rows)
            rows = await self.claim(limit) if limit else []
            while rows:
                report.claimed += len(rows)
                following = self._limit(report, max_rows) if len(rows) == limit else 0
                if following:
                    claiming = asyncio.create_task(
                        self._claim_after(sending, sent_out, following, stopping)
                    )
                sends = await self._decide_batch(rows, report)
                if sending is not None:
                    await sending
                sending, sent_out = None, None
                if sends:
                    sent_out = asyncio.Event()
                    sending = self._start_sending(sends, report, sent_out)
                rows, limit = (await claiming if claiming is not None else []), following
                claiming = None
        except BaseException as error:
            stopping.set()
            cancelled = isinstance(error, asyncio.CancelledError)
            if claiming is not None and not claiming.done() and cancelled:
                claiming.cancel()  # what it claimed, if anything, waits for the reaper
            if sending is not None and not sending.done() and cancelled:
                sending.cancel()  # what it has not recorded stays SENDING for the reaper
            # Otherwise let the batch in flight finish and record what it sent.
            await asyncio.gather(
                *(task for task in (claiming, sending) if task is not None), return_exceptions=True
            )
            if not cancelled and claiming is not None and not claiming.cancelled():
                ahead = claiming.result() if claiming.exception() is None else []
                if ahead:  # claimed ahead, never decided: back to pending, not to the reaper
                    await self._release(ahead)
            raise
        if sending is not None:
            await sending
        return report

    async def _release(self, rows: list[ScheduledMessage]) -> None:
        """Hand rows this process claimed but never decided back to PENDING, as they were
        (the claim's attempt given back). Best effort: the sweep is failing already, and
        what stays SENDING the reaper handles."""
        sqlite = self.db.is_sqlite
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    _Statements.of(sqlite).release,
                    {"ids": ids_value((row.id for row in rows), sqlite=sqlite)},
                )
        except Exception:
            log.exception("%d claimed rows could not be handed back", len(rows))

    def _limit(self, report: SweepReport, max_rows: int | None) -> int:
        """How many rows the next claim takes (0: the sweep has claimed enough)."""
        if max_rows is None:
            return self.batch_size
        return max(0, min(self.batch_size, max_rows - report.claimed))

    async def _claim_after(
        self,
        sending: asyncio.Task[None] | None,
        sent_out: asyncio.Event | None,
        limit: int,
        stopping: asyncio.Event,
    ) -> list[ScheduledMessage]:
        """Claim once the batch in flight is recorded; nothing if it failed or the sweep is
        stopping meanwhile. (``asyncio.wait``: waiting here never cancels that batch.)

        On PostgreSQL the claim starts when that batch's sends are all done, while its last
        outcomes are still being recorded, and commits only after them: its statement
        runs alongside their commit, not after it, and no moment ever has a third claimed
        batch unrecorded. (On SQLite its transaction would wait for theirs anyway.)"""
        if sending is not None:
            if self.db.is_sqlite or sent_out is None:
                await asyncio.wait({sending})
            else:
                out = asyncio.ensure_future(sent_out.wait())
                try:
                    await asyncio.wait({sending, out}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    out.cancel()
            if _failed(sending):
                return []
        if stopping.is_set():
            return []
        if sending is None or sending.done():
            return await self.claim(limit)
        try:
            async with self.db.transaction() as session:
                rows = await self._claim_in(session, limit)
                await asyncio.wait({sending})
                if _failed(sending) or stopping.is_set():
                    raise _Withdrawn  # rolled back: the rows stay PENDING
        except _Withdrawn:
            return []
        return rows

    async def claim(self, limit: int) -> list[ScheduledMessage]:
        """Take up to ``limit`` due rows for this process: SENDING, with a lease.

        One statement (``UPDATE … WHERE id IN (the oldest due … LIMIT n) RETURNING``; on
        PostgreSQL the inner select locks its rows and skips those another sweeper holds).
        The rows come back as plain, read-only rows with a ``ScheduledMessage``'s
        attributes, not ORM objects (building those was a fifth of a sweep's CPU); oldest
        first."""
        async with self.db.transaction() as session:
            return await self._claim_in(session, limit)

    async def _claim_in(self, session: AsyncSession, limit: int) -> list[ScheduledMessage]:
        """`claim`'s work, in a transaction of the caller's."""
        now = self.now()
        sqlite = self.db.is_sqlite
        statements = _Statements.of(sqlite)
        values = {"now": now, "lease_until": now + self.lease, "limit": limit}
        if sqlite and not self.use_returning:
            # SQLite before 3.35: the IMMEDIATE transaction already holds the write lock.
            table = _SM_TABLE
            ids = list((await session.execute(statements.due, values)).scalars().all())
            if not ids:
                return []
            await session.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(
                    status=OutboxStatus.SENDING,
                    lease_until=values["lease_until"],
                    attempts=table.c.attempts + 1,
                )
            )
            result = await session.execute(sqlalchemy.select(*table.c).where(table.c.id.in_(ids)))
        else:
            result = await session.execute(statements.claim, values)
        # Read-only rows with the model's attribute names: what the renderers read.
        return cast("list[ScheduledMessage]", sorted(result.all(), key=_due_order))

    async def process(self, rows: list[ScheduledMessage]) -> SweepReport:
        """Decide, send and record one claimed batch."""
        report = SweepReport(claimed=len(rows))
        sends = await self._decide_batch(rows, report)
        if sends:
            await self._send_all(sends, report)
        return report

    async def _decide_batch(self, rows: list[ScheduledMessage], report: SweepReport) -> list[_Send]:
        decided = SweepReport()
        try:
            sends = await self._decide_all(rows, decided, isolate=False)
        except SQLAlchemyError:
            log.exception("deciding a batch failed; deciding row by row")
            decided = SweepReport()
            sends = await self._decide_all(rows, decided, isolate=True)
        report.add(decided)
        return sends

    # ------------------------------------------------------------------ deciding

    async def _decide_all(
        self, rows: list[ScheduledMessage], report: SweepReport, *, isolate: bool
    ) -> list[_Send]:
        now = self.now()
        sends: list[_Send] = []
        finished: list[dict] = []
        async with self.db.transaction() as session:
            context = RenderContext(self.services)
            session.info["render"] = context
            await self._prefetch(session, rows, context)
            budget = _Budget(self.timings.daily_budget, _Zones(now, self.timings.quiet_hours))
            timely = {name for name, info in self.services.registry.kinds.items() if info.timely}
            await budget.load(
                session,
                {r.resident_id for r in rows if r.resident_id},
                now,
                timely,
                frozenset(self._in_flight),  # copied before the query reads the rows
                batch=(row.id for row in rows),
                sqlite=self.db.is_sqlite,
            )
            # Reminders first: they cannot wait for tomorrow, so when a batch holds more
            # than a person's budget, news and nudges are what waits (stable: due order).
            for row in sorted(rows, key=lambda row: row.kind not in timely):
                if isolate:
                    try:
                        async with session.begin_nested():
                            decision = await self._decide(session, row, now, budget)
                    except SQLAlchemyError as error:
                        log.exception("outbox row %s could not be decided", row.dedupe_key)
                        decision = (Decision.FAILED, f"database error: {error}"[:REASON_MAX], None)
                else:
                    decision = await self._decide(session, row, now, budget)
                if isinstance(decision, _Send):
                    sends.append(decision)
                    continue
                status, reason, until = decision
                finished.append(self._finish(row, status, reason, until, report))
            if finished:
                await _update_rows(session, finished)
            if budget.resumed:
                values = {"people": ids_value(budget.resumed, sqlite=self.db.is_sqlite)}
                await session.execute(_Statements.of(self.db.is_sqlite).resume, values)
        return sends

    async def _decide(
        self, session: AsyncSession, row: ScheduledMessage, now: datetime, budget: _Budget
    ) -> _Send | Held:
        kind = self.services.registry.kinds.get(row.kind)
        if kind is None:
            return (Decision.FAILED, f"unknown kind {row.kind!r}", None)
        person: PersonFacts | None = None
        if row.resident_id is not None:
            person = await person_of(session, row.resident_id)  # prefetched: no query
            if person is None:
                return (Decision.SKIPPED, "the person is gone", None)
            gate = self._gate(person, kind, now, budget)
            if gate is not None:
                return gate
        try:
            messages = await kind.render(session, row, now)
        except Skip as skip:
            return (Decision.SKIPPED, skip.reason, None)
        except Postpone as postpone:
            until = postpone.until
            if person is not None:
                until = self.timings.quiet_hours.next_allowed(until, zone(person.timezone))
            return (Decision.POSTPONED, postpone.reason, max(until, now + timedelta(seconds=1)))
        except SQLAlchemyError:
            raise
        except Exception as error:  # a bug in one renderer must not stop the others
            log.exception("rendering outbox row %s failed", row.dedupe_key)
            return (Decision.FAILED, f"render error: {error!r}"[:REASON_MAX], None)
        if not messages:
            return (Decision.SKIPPED, "nothing to say", None)
        if person is not None and network_of(person.telegram_id) is not Network.TELEGRAM:
            # A network with a window (WhatsApp): a template, waiting, or the reason not.
            windowed = await window.gate(
                session, row, kind, person, list(messages), now, self.services.settings
            )
            if isinstance(windowed, tuple):
                return windowed
            if windowed is not None:
                messages = windowed
        if person is not None and kind.budget:
            budget.spend(person)
        return _Send(row, list(messages))

    def _gate(
        self, person: PersonFacts, kind: KindInfo, now: datetime, budget: _Budget
    ) -> Held | None:
        """What holds for every message to a person, before the renderer runs."""
        if not person.reachable:
            return (Decision.SKIPPED, "the person is unreachable", None)
        zones = budget.zones  # at `now`, the batch's
        tz = zones.zone(person.timezone)
        allowed = reminders_allow(person, kind, now)
        if allowed is False:
            return (Decision.SKIPPED, "the person switched reminders off", None)
        if isinstance(allowed, datetime):
            return (
                Decision.POSTPONED,
                "reminders paused",
                self.timings.quiet_hours.next_allowed(allowed, tz),
            )
        if person.reminders is Reminders.PAUSED and not kind.essential:
            # The pause is over: the setting goes back to on (written once for the batch).
            budget.resumed.add(person.id or 0)
        quiet = self.timings.quiet_hours
        if kind.quiet_hours and zones.is_quiet(tz):
            return (Decision.POSTPONED, "quiet hours", quiet.next_allowed(now, tz))
        if not kind.budget:
            return None
        verdict = budget.verdict(person, kind, now, self.timings, tz)
        if verdict is False:
            return (Decision.SKIPPED, "daily budget used", None)
        if isinstance(verdict, datetime):
            return (Decision.POSTPONED, "daily budget used", verdict)
        return None

    def _finish(
        self,
        row: ScheduledMessage,
        status: Decision,
        reason: str,
        until: datetime | None,
        report: SweepReport,
    ) -> dict:
        report.reasons[reason] += 1
        values = {
            "row_id": row.id,
            "due_at": row.due_at,
            "attempts": row.attempts,
            "lease_until": None,
            "last_error": reason[:REASON_MAX],
        }
        if status is Decision.POSTPONED and until is not None:
            report.postponed += 1
            # Waiting is not an attempt: give back what the claim counted.
            return {
                **values,
                "status": OutboxStatus.PENDING,
                "due_at": until,
                "attempts": max(0, row.attempts - 1),
            }
        if status is Decision.FAILED:
            report.failed += 1
            return {**values, "status": OutboxStatus.FAILED}
        report.skipped += 1
        return {**values, "status": OutboxStatus.CANCELLED}

    async def _prefetch(
        self, session: AsyncSession, rows: list[ScheduledMessage], context: RenderContext
    ) -> None:
        """Load what the renderers will ask for, for the whole batch at once."""
        people: set[int] = set()
        action_ids: set[int] = set()
        initiative_ids: set[int] = set()
        pairs: set[tuple[int, int]] = set()  # (action, resident): the answers to look up
        for r in rows:  # one pass: this ran once per row and per set
            if r.resident_id:
                people.add(r.resident_id)
                if r.action_id:
                    pairs.add((r.action_id, r.resident_id))
            if r.action_id:
                action_ids.add(r.action_id)
            if r.initiative_id:
                initiative_ids.add(r.initiative_id)
            payload = r.payload
            if isinstance(payload, dict) and "member_id" in payload:
                if str(payload["member_id"]).isdigit():
                    people.add(int(payload["member_id"]))
        sqlite = self.db.is_sqlite
        statements = _Statements.of(sqlite)
        values = {"people": ids_value(people, sqlite=sqlite)}

        async def load(query: Any) -> list[Any]:
            return context.keep((await session.execute(query, values)).scalars())

        # `all()`: one fetch for the rows, not a cursor call at each.
        if people:
            for person in (await session.execute(statements.people, values)).all():
                context.people[person.id] = person
        if action_ids:
            values["actions"] = ids_value(action_ids, sqlite=sqlite)
            actions = await load(statements.actions)
            initiative_ids |= {action.initiative_id for action in actions}
            # Plain rows, not ORM objects: renderers only read an answer (and it is cheaper).
            values["answerers"] = ids_value((person for _, person in pairs), sqlite=sqlite)
            for rsvp in (await session.execute(statements.answers, values)).all():
                context.rsvps[(rsvp.action_id, rsvp.resident_id or 0)] = rsvp
            context.rsvps_known |= pairs
        if initiative_ids:
            values["initiatives"] = ids_value(initiative_ids, sqlite=sqlite)
            await load(statements.initiatives)
            for member in (await session.execute(statements.members, values)).all():
                context.members[(member.initiative_id, member.resident_id)] = member
            context.members_known |= {(i, p) for i in initiative_ids for p in people}

    # ------------------------------------------------------------------ sending

    def _start_sending(
        self, sends: list[_Send], report: SweepReport, sent_out: asyncio.Event | None = None
    ) -> asyncio.Task[None]:
        self._in_flight.update(item.row.id or 0 for item in sends)  # before anything else runs
        return asyncio.create_task(self._send_all(sends, report, sent_out))

    async def _send_all(
        self, sends: list[_Send], report: SweepReport, sent_out: asyncio.Event | None = None
    ) -> None:
        """Send the batch concurrently; record the outcomes in groups.

        A group is committed once ``record_every`` outcomes are in or ``record_within``
        after the first of them (and whatever arrives while a commit runs joins the
        next). So a crash between a send and its mark leaves at most that group in
        SENDING: the reaper sends at-least-once kinds again (the only duplicates) and
        fails at-most-once kinds, which are never sent twice. ``sent_out`` is set once
        every send is done (its outcome waiting to be recorded, or recorded).
        """
        ids = {item.row.id or 0 for item in sends}
        left = len(sends)
        self._in_flight |= ids

        async def record(group: list[_Result]) -> None:
            await self._record(group, report)
            self._in_flight.difference_update(result.row.id for result in group)

        outcomes: Grouped[_Result] = Grouped(
            record, every=self.record_every, within=self.record_within, expected=len(sends)
        )

        async def send(item: _Send) -> None:
            try:
                result = await self._send_row(item)
            except Exception as error:
                log.exception("sending outbox row %s failed", item.row.dedupe_key)
                result = _Result(item.row, RowOutcome.RETRY, self.now(), f"error: {error!r}")
            outcomes.add(result)
            nonlocal left
            left -= 1
            if not left and sent_out is not None:
                sent_out.set()

        tasks = [asyncio.create_task(send(item)) for item in sends]
        try:
            await outcomes.run()
        finally:
            self._in_flight -= ids
            # Normally every send is done by now (each adds its outcome as it ends).
            unfinished = [task for task in tasks if not task.done()]
            for task in unfinished:
                task.cancel()
            if unfinished:
                await asyncio.gather(*unfinished, return_exceptions=True)

    async def _send_row(self, item: _Send) -> _Result:
        row = item.row
        sent_any = False
        for message in item.messages:
            delivered = await self.delivery.attempt(
                message, priority=row.priority, retry_transient=False
            )
            if delivered.outcome is Outcome.SENT:
                sent_any = True
                continue
            reason = f"{delivered.outcome}: {delivered.reason}"
            if sent_any:  # part of it arrived: sending it again would repeat that part
                return _Result(row, RowOutcome.SENT, self.now(), f"partly sent; {reason}")
            if delivered.outcome is Outcome.UNKNOWN:  # it may have arrived: not repeated
                return _Result(row, RowOutcome.SENT, self.now(), reason)
            if delivered.outcome is Outcome.GONE:
                return _Result(row, RowOutcome.GONE, self.now(), reason)
            if delivered.outcome is Outcome.REJECTED:
                return _Result(row, RowOutcome.FAILED, self.now(), reason)
            return _Result(row, RowOutcome.RETRY, self.now(), reason)
        return _Result(row, RowOutcome.SENT, self.now())

    def backoff(self, attempts: int) -> timedelta:
        return min(self.retry_base * (2 ** max(0, attempts - 1)), self.retry_max)

    async def _record(self, results: list[_Result], report: SweepReport) -> None:
        """Write a group's outcomes in one transaction: the rows simply sent in one UPDATE
        (their ``sent_at`` is the group's last send, at most ``record_within`` after the
        first), the others by row id."""
        now = self.now()
        sent: list[int] = []
        sent_at: datetime | None = None
        values = []
        for result in results:
            row = result.row
            if result.status is RowOutcome.SENT and not result.reason:
                report.sent += 1
                sent.append(row.id or 0)
                sent_at = result.at if sent_at is None else max(sent_at, result.at)
                continue
            item = {
                "row_id": row.id,
                "status": OutboxStatus.SENT,
                "due_at": row.due_at,
                "sent_at": None,
                "lease_until": None,
                "last_error": result.reason[:REASON_MAX] or None,
            }
            if result.status is RowOutcome.SENT:
                report.sent += 1
                item["sent_at"] = result.at
            elif result.status is RowOutcome.GONE:
                report.gone += 1
                item["status"] = OutboxStatus.CANCELLED
            elif result.status is RowOutcome.FAILED or row.attempts >= self.max_attempts:
                report.failed += 1
                item["status"] = OutboxStatus.FAILED
                if result.status is RowOutcome.RETRY:
                    item["last_error"] = f"gave up after {row.attempts} attempts; {result.reason}"[
                        :REASON_MAX
                    ]
            else:
                report.retried += 1
                item["status"] = OutboxStatus.PENDING
                item["due_at"] = now + self.backoff(row.attempts)
            if result.reason:
                report.reasons[result.reason] += 1
            values.append(item)
        async with self.db.transaction() as session:
            if sent:
                sqlite = self.db.is_sqlite
                await session.execute(
                    _Statements.of(sqlite).sent,
                    {"ids": ids_value(sent, sqlite=sqlite), "sent_at": sent_at},
                )
            if values:
                await _update_rows(session, values)

    # ------------------------------------------------------------------ the lease reaper

    async def reap(self) -> tuple[int, int]:
        """Rows stuck in SENDING past their lease: (handed back, failed)."""
        now = self.now()
        kinds = self.services.registry.kinds
        at_most_once = [name for name, info in kinds.items() if info.at_most_once]
        stuck = (
            col(SM.status) == OutboxStatus.SENDING,
            or_(col(SM.lease_until) < now, col(SM.lease_until).is_(None)),
        )
        async with self.db.transaction() as session:
            soft = await session.execute(
                update(SM)
                .where(*stuck, col(SM.kind).in_(at_most_once))
                .values(
                    status=OutboxStatus.FAILED,
                    lease_until=None,
                    last_error="lease expired: it may have been sent; not repeated (at most once)",
                )
                .execution_options(synchronize_session=False)
            )
            worn = await session.execute(
                update(SM)
                .where(*stuck, col(SM.attempts) >= self.max_attempts)
                .values(
                    status=OutboxStatus.FAILED,
                    lease_until=None,
                    last_error=f"lease expired after {self.max_attempts} attempts",
                )
                .execution_options(synchronize_session=False)
            )
            back = await session.execute(
                update(SM)
                .where(*stuck)
                .values(
                    status=OutboxStatus.PENDING,
                    lease_until=None,
                    last_error="lease expired; sending again",
                )
                .execution_options(synchronize_session=False)
            )
        failed = affected(soft) + affected(worn)
        returned = affected(back)
        if failed or returned:
            log.warning("lease reaper: %d rows back to pending, %d failed", returned, failed)
        return returned, failed

    async def next_due(
        self, statuses: Iterable[OutboxStatus] = (OutboxStatus.PENDING,)
    ) -> datetime | None:
        """When the next row is due (for fast-forwarding)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                select(func.min(SM.due_at)).where(col(SM.status).in_(list(statuses)))
            )
            return result.scalar_one_or_none()
