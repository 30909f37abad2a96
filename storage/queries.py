"""Small query helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel


async def insert_ignore(session: AsyncSession, model: type[SQLModel], **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was new."""
    statement = _insert_ignore(_dialect(session), model.__table__)  # type: ignore[attr-defined]
    # The statement has no values of its own: they go in as bound parameters, so SQLAlchemy
    # compiles it once per set of columns and reuses it for every call after that.
    result = await session.execute(statement, values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def _insert_ignore(dialect: str, table: Table) -> Insert:
    # Through the Core table, not the ORM entity: nothing is loaded back, and the ORM's
    # bulk-insert path (mapper lookups, per-call statement building) is skipped.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def for_update(session: AsyncSession) -> bool:
    """Row locks are PostgreSQL's way to serialise; SQLite already has one writer."""
    return _dialect(session) == "postgresql"
