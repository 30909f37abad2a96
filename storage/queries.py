"""Small query helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Insert,
    Result,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    true,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.direct import Direct
from storage.models import ProcessedUpdate

# Telegram redelivers an update for at most 24 hours, and starts its ids afresh (at random)
# only after a week without updates: ids are remembered for three days, well inside both.
UPDATE_ID_WINDOW = timedelta(days=3)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table (SQLModel sets `__table__` on the class, untyped)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE, DELETE or INSERT changed (its result is a cursor's)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


async def insert_ignore(session: AsyncSession, model: type[SQLModel], **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was new."""
    table = table_of(model)
    direct = _insert_ignore_direct(_dialect(session), table, tuple(sorted(values)))
    if direct is not None:
        statement, defaults = direct
        return bool(await statement.rowcount(session, {**defaults, **values}))
    result = await session.execute(_insert_ignore(_dialect(session), table), values)
    return bool(affected(result))


async def insert_ignore_many(
    session: AsyncSession, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]
) -> None:
    """``insert_ignore`` of every row (each with the same columns), in one executemany."""
    if not rows:
        return
    table = table_of(model)
    direct = _insert_ignore_direct(_dialect(session), table, tuple(sorted(rows[0])))
    if direct is None:
        await session.execute(_insert_ignore(_dialect(session), table), list(rows))
        return
    statement, defaults = direct
    await statement.many(session, [{**defaults, **row} for row in rows])


@lru_cache(maxsize=64)
def _insert_ignore(dialect: str, table: Table) -> Insert:
    # Through the Core table, not the ORM entity: nothing is loaded back, and the ORM's
    # bulk-insert path (mapper lookups, per-call statement building) is skipped.
    return insert_of(dialect)(table).on_conflict_do_nothing()


@lru_cache(maxsize=128)
def _insert_ignore_direct(
    dialect: str, table: Table, names: tuple[str, ...]
) -> tuple[Direct, dict[str, Any]] | None:
    """The insert of these columns straight on the driver (through SQLAlchemy's execution
    it was 0.1-0.15 ms of CPU a row on PostgreSQL: a first visit makes three, a polled
    burst one an update), with the columns' own defaults filled in as SQLAlchemy would;
    ``inline``: no primary key fetched back.
    None when a default only SQLAlchemy's execution can compute (a function)."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in names or column.default is None:
            continue
        if not column.default.is_scalar:
            return None
        defaults[column.name] = getattr(column.default, "arg", None)
    given: dict[str, Any] = {name: bindparam(name) for name in (*names, *defaults)}
    return Direct(
        insert_of(dialect)(table).values(given).inline().on_conflict_do_nothing()
    ), defaults


async def claim_update(
    session: AsyncSession, update_id: int, now: datetime, window: timedelta = UPDATE_ID_WINDOW
) -> bool:
    """True when the update is to be handled: its id is new, or was last seen before the
    window (a restarted sequence). One statement: a redelivery within the window
    changes nothing."""
    params = {"update_id": update_id, "processed_at": now, "cutoff": now - window}
    return bool(await _claim_update(_dialect(session)).rowcount(session, params))


@lru_cache(maxsize=4)
def _claim_update(dialect: str) -> Direct:
    return Direct(_claim_update_statement(dialect))


def _claim_update_statement(dialect: str) -> Insert:
    table = table_of(ProcessedUpdate)
    statement = insert_of(dialect)(table).values(
        update_id=bindparam("update_id"), processed_at=bindparam("processed_at")
    )
    # An id older than the window is taken over by the new update; a recent one is kept.
    return statement.on_conflict_do_update(
        index_elements=[table.c.update_id],
        set_={"processed_at": statement.excluded.processed_at},
        where=table.c.processed_at < bindparam("cutoff", type_=table.c.processed_at.type),
    )


class ClaimThenRead:
    """An update's id claimed (as `claim_update`) and, only when it is, one row read, locked
    (FOR UPDATE) on PostgreSQL. There it is one statement, one round trip instead of two:
    the claim a data-modifying CTE, the read guarded by it, so the claim still comes first
    and a redelivery locks nothing. On SQLite the two statements (in-process, cheap)."""

    def __init__(self, read: Select[Any]) -> None:
        claims = {"update_id", "processed_at", "cutoff"}
        shared = claims & set(read.compile().params)
        if shared:
            raise ValueError(f"the read's parameters {sorted(shared)} are the claim's")
        self._read, self._plain = read, Direct(read)
        self._folded: Direct | None = None  # built at its first use (PostgreSQL's dialect)

    def _claim_then_read(self) -> Direct:
        claimed = (
            _claim_update_statement("postgresql")
            .returning(table_of(ProcessedUpdate).c.update_id)
            .cte("claimed")
        )
        # A column of its own says whether the read found a row: a claimed update comes
        # back as one row, with the read's columns NULL when it found none.
        found = (
            self._read.add_columns(true().label("found"))
            .where(exists(claimed.select()))
            .with_for_update()
            .cte("found")
        )
        return Direct(sa_select(*found.c).select_from(claimed.outerjoin(found, true())))

    async def first(
        self,
        session: AsyncSession,
        update_id: int,
        now: datetime,
        params: Mapping[str, Any],
        window: timedelta = UPDATE_ID_WINDOW,
    ) -> tuple[bool, tuple[Any, ...] | None]:
        """Whether the update is to be handled (see `claim_update`), and then the read's
        first row (None: no row, or not claimed)."""
        if not for_update(session):
            if not await claim_update(session, update_id, now, window):
                return False, None
            return True, await self._plain.first(session, params)
        if self._folded is None:
            self._folded = self._claim_then_read()
        claim = {"update_id": update_id, "processed_at": now, "cutoff": now - window}
        row = await self._folded.first(session, {**claim, **params})
        if row is None:
            return False, None
        *read, found = row
        return True, tuple(read) if found else None


Write = tuple[Direct, Mapping[str, Any]]


async def write_together(session: AsyncSession, writes: Sequence[Write]) -> None:
    """Statements that only write (no RETURNING), each with its values, sent as one on
    PostgreSQL: every one but the last a data-modifying CTE of the last, one round trip.
    They run in one snapshot there, none seeing another's rows: they must not touch the
    same rows. On SQLite one after the other (in-process, cheap)."""
    if len(writes) > 1:
        # Built on SQLite too: parameters that clash show in any test run.
        together = _together(tuple(statement for statement, _ in writes))
        if _dialect(session) == "postgresql":
            values = {name: value for _, params in writes for name, value in params.items()}
            await together.rowcount(session, values)
            return
    for statement, params in writes:
        await statement.rowcount(session, params)


@lru_cache(maxsize=16)
def _together(statements: tuple[Direct, ...]) -> Direct:
    *first, last = (statement.statement for statement in statements)
    names = [set(statement.compile().params) for statement in (*first, last)]
    if sum(map(len, names)) != len(set().union(*names)):
        raise ValueError("statements written together must name their parameters apart")
    ctes = [cast(Any, statement).cte(f"write_{n}") for n, statement in enumerate(first)]
    return Direct(cast(Any, last).add_cte(*ctes))


async def prune_processed_updates(
    session: AsyncSession, now: datetime, window: timedelta = UPDATE_ID_WINDOW
) -> int:
    """Forget the update ids older than the window; returns how many went."""
    table = table_of(ProcessedUpdate)
    result = await session.execute(delete(table).where(table.c.processed_at < now - window))
    return affected(result)


def insert_of(dialect: str) -> Any:
    """The dialect's INSERT (with ON CONFLICT); PostgreSQL's dialect is imported only
    where it is used (3 MB resident that a bot on SQLite does not need)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def for_update(session: AsyncSession) -> bool:
    """Row locks are PostgreSQL's way to serialise; SQLite already has one writer."""
    return _dialect(session) == "postgresql"
