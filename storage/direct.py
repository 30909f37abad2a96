"""The few statements every update runs, straight on the driver's connection, inside the
session's transaction.

Through SQLAlchemy a statement costs about 80 µs of CPU before and after the driver's own
few microseconds (the compiled cache's key, an execution context, a result), and the ORM's
flush of one changed row about twice that; an update runs four or five such fixed
statements (its id claimed, its replies written, delivered replies and its inbox row
deleted, its conversation saved). A `Direct` statement is built as Core (the tables and
columns named once, in `storage.models`), compiled once per dialect, its values converted
by the same bind processors SQLAlchemy would use, and run on the transaction's own
connection: on SQLite the `InlineConnection` (`storage.sqlite_inline`), on PostgreSQL
asyncpg's connection. Only the connection differs from the session's own statements, not
the transaction: they commit or roll back together.

On PostgreSQL SQLAlchemy's asyncpg connection opens the transaction (BEGIN, a round trip
of its own that asyncpg cannot send along with a statement) at the connection's first
statement; when none has run yet, the first direct statement has it opened the same way,
without SQLAlchemy's execution around it. A driver's error comes out as SQLAlchemy's
`DBAPIError` (values hidden), so
`storage.db.Database.transaction` tells a lost connection from a refused statement as for
every other statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapper, configure_mappers, make_transient_to_detached
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_DRIVER = "buurbot_direct_driver"
_ROWS = re.compile(r"(?:INSERT \d+|UPDATE|DELETE|SELECT) (\d+)$")


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: Mapping[str, Any]  # values the statement itself gives (`.values(attempts=0)`)

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        fixed = self.fixed
        given = (params[n] if n in params else fixed[n] for n in self.names)
        return [
            value if process is None else process(value)
            for value, process in zip(given, self.processors, strict=True)
        ]


class Direct:
    """One statement (Core, with named bind parameters), compiled per dialect on first use."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._result_processors: dict[str, tuple[Callable[[Any], Any] | None, ...]] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            done = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            names = tuple(done.positiontup or ())
            binds = [done.binds[name] for name in names]
            processors = tuple(bind.type._cached_bind_processor(dialect) for bind in binds)
            fixed = {
                name: bind.effective_value
                for name, bind in zip(names, binds, strict=True)
                if not bind.required
            }
            compiled = _Compiled(done.string, names, processors, fixed)
            self._compiled[dialect.name] = compiled
        return compiled

    async def rowcount(self, session: AsyncSession, params: Mapping[str, Any]) -> int:
        """Run it; how many rows it changed."""
        driver = await _driver(session)
        compiled = self.compiled(driver.dialect)
        return await driver.rowcount(compiled.sql, compiled.values(params))

    async def first(
        self, session: AsyncSession, params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """A SELECT's first row, its values as SQLAlchemy would give them; None: no row."""
        driver = await _driver(session)
        compiled = self.compiled(driver.dialect)
        row = await driver.first(compiled.sql, compiled.values(params))
        if row is None:
            return None
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self._results(driver.dialect), strict=True)
        )

    def _results(self, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
        results = self._result_processors.get(dialect.name)
        if results is None:
            columns = cast(Select[Any], self.statement).selected_columns
            results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
            self._result_processors[dialect.name] = results
        return results

    async def many(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run it once for each of `rows` (one call to the driver)."""
        if not rows:
            return
        driver = await _driver(session)
        compiled = self.compiled(driver.dialect)
        await driver.many(compiled.sql, [compiled.values(row) for row in rows])


class _Driver:
    """The transaction's connection as its driver sees it."""

    def __init__(self, connection: AsyncConnection, raw: Any, dialect: Dialect) -> None:
        self.connection = connection
        self.raw = raw
        self.dialect = dialect
        self.is_sqlite = dialect.name == "sqlite"

    def _announce(self, sql: str, values: Any, many: bool) -> None:
        announce(self.connection.sync_connection, sql, values, many)

    async def rowcount(self, sql: str, values: list[Any]) -> int:
        with self._errors(sql):
            if self.is_sqlite:
                self._announce(sql, values, False)
                return int((await self.raw.run(sql, values)).rowcount)
            self._announce(sql, values, False)
            found = _ROWS.search(await self.raw.execute(sql, *values) or "")
            return int(found.group(1)) if found else 0

    async def first(self, sql: str, values: list[Any]) -> Sequence[Any] | None:
        with self._errors(sql):
            if self.is_sqlite:
                self._announce(sql, values, False)
                return (await self.raw.run(sql, values)).fetchone()
            self._announce(sql, values, False)
            return await self.raw.fetchrow(sql, *values)

    async def many(self, sql: str, rows: list[list[Any]]) -> None:
        with self._errors(sql):
            if self.is_sqlite:
                self._announce(sql, rows, True)
                await self.raw.run_many(sql, rows)
                return
            self._announce(sql, rows, True)
            await self.raw.executemany(sql, rows)

    async def begin(self, adapted: Any) -> None:
        """PostgreSQL: the transaction opened as SQLAlchemy's asyncpg connection (`adapted`)
        opens it at its first statement, if none has run yet; it commits it as its own."""
        if self.is_sqlite or adapted._transaction is not None:
            return
        with self._errors("BEGIN"):
            await adapted._start_transaction()

    @contextmanager
    def _errors(self, sql: str) -> Iterator[None]:
        """A driver's error as SQLAlchemy's (SQLAlchemy's own pass as they are)."""
        try:
            yield
        except DBAPIError:
            raise
        except Exception as error:
            raise self._wrapped(sql, error) from error

    def _wrapped(self, sql: str, error: Exception) -> DBAPIError:
        gone = isinstance(error, OSError | ConnectionError)
        try:
            gone = gone or self.dialect.is_disconnect(error, None, None)  # type: ignore[arg-type]
        except Exception:  # a dialect that cannot judge a raw driver error: not a disconnect
            pass
        return DBAPIError(sql, None, error, hide_parameters=True, connection_invalidated=gone)


def announce(connection: Connection | None, sql: str, values: Any, many: bool = False) -> None:
    """As SQLAlchemy does for its own statements: whoever listens for
    ``before_cursor_execute`` (a statement count, a test) sees a statement run straight on
    the driver too, with no cursor and no execution context."""
    if connection is not None and connection.dispatch.before_cursor_execute:
        connection.dispatch.before_cursor_execute(connection, None, sql, values, None, many)


async def _driver(session: AsyncSession) -> _Driver:
    """The driver of this session's transaction (begun now, if it was not yet)."""
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_DRIVER)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    driver = _Driver(connection, pooled.driver_connection, connection.dialect)
    await driver.begin(pooled.dbapi_connection)
    session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    return driver


def attach(session: AsyncSession, model: type[Any], values: Sequence[Any]) -> Any:
    """An instance of `model` made from a row of its table's columns (in the table's order,
    as `first` gives them), in the session as if the ORM had loaded it: changed, it is
    flushed as any other; `session.get` finds it. One the session holds already (loaded
    earlier in the transaction) is that one, as the ORM's own loading gives it."""
    mapper = sa_inspect(model)
    keys = _attribute_keys(mapper)
    row = dict(zip(keys, values, strict=True))
    held = session.sync_session.identity_map.get(
        mapper.identity_key_from_primary_key([row[key] for key in _primary_keys(mapper)])
    )
    if held is not None:
        return held
    instance = _instance(mapper, row)
    session.add(instance)
    return instance


def detached(model: type[Any], values: Sequence[Any]) -> Any:
    """An instance of `model` made from a row of its table's columns, as `attach` makes it,
    but in no session: nothing the ORM does writes it; its owner writes it itself."""
    mapper = sa_inspect(model)
    return _instance(mapper, dict(zip(_attribute_keys(mapper), values, strict=True)))


def _instance(mapper: Mapper[Any], row: dict[str, Any]) -> Any:
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(row)
    make_transient_to_detached(instance)
    return instance


@lru_cache(maxsize=16)
def _primary_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


@lru_cache(maxsize=16)
def _attribute_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    # Instrumented only once the mappers are configured, which the ORM's first query does;
    # an instance attached before any query needs it done here.
    configure_mappers()
    return tuple(mapper.get_property_by_column(column).key for column in mapper.local_table.columns)
