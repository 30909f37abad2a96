"""Alembic is the only way the schema is made: upgrade from empty on every
database kind, and the models match what the migrations make."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import Database, alembic_config


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    return compare_metadata(context, SQLModel.metadata)


async def test_upgrade_from_empty_and_models_match(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        await db.migrate()  # a second start finds nothing to do

        def tables(connection):  # type: ignore[no-untyped-def]
            return set(inspect(connection).get_table_names())

        async with db.engine.connect() as connection:
            diff = await connection.run_sync(_differences)
            present = await connection.run_sync(tables)
        assert diff == [], f"models and migrations differ: {diff}"
        assert set(SQLModel.metadata.tables) <= present
        assert "alembic_version" in present
    finally:
        await db.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        await db.migrate()
        async with db.engine.connect() as connection:
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        assert (journal, keys) == ("wal", 1)
    finally:
        await db.close()


def test_head_revision_is_read_from_the_files_as_alembic_sees_it() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


# --- every downgrade, and the way back up -----------------------------------------------------


def _schema(connection: Connection) -> dict[str, Any]:
    """What a revision leaves behind, table by table (names of unnamed SQLite constraints
    and defaults' spelling aside)."""
    inspector = inspect(connection)
    schema: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        schema[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ),
            "primary key": sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
        }
    return schema


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _step(db: Database, direction: str) -> None:
    """One `alembic upgrade +1` or `downgrade -1`, in a transaction of its own."""
    from alembic import command

    def run(connection: Connection) -> None:
        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        if direction == "up":
            command.upgrade(config, "+1")
        else:
            command.downgrade(config, "-1")

    async with db.engine.begin() as connection:
        await connection.run_sync(run)


async def test_every_downgrade_undoes_its_upgrade_on_the_way_to_base_and_back(
    database_url: str,
) -> None:
    """Whatever revisions exist: up from empty one at a time (the schema after each one
    noted), down to base one at a time (each step must leave what its upgrade found), and up
    again to head, where the models match."""
    from alembic.script import ScriptDirectory

    chain = [
        script.revision
        for script in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))
    ]
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            after: dict[str | None, dict[str, Any]] = {None: await connection.run_sync(_schema)}
        for revision in chain:
            await _step(db, "up")
            async with db.engine.connect() as connection:
                assert await connection.run_sync(_current) == revision
                after[revision] = await connection.run_sync(_schema)
        assert after[chain[-1]] != after[None]

        for below in [*reversed(chain[:-1]), None]:
            await _step(db, "down")
            async with db.engine.connect() as connection:
                assert await connection.run_sync(_current) == below
                schema = await connection.run_sync(_schema)
            assert schema == after[below], f"the downgrade to {below} leaves another schema"

        await db.migrate()
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_current) == chain[-1]
            diff = await connection.run_sync(_differences)
        assert diff == [], f"models and migrations differ after going down and up: {diff}"
    finally:
        await db.close()
