"""Alembic is the only way the schema is made: upgrade from empty on every
database kind, and the models match what the migrations make."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import Database


async def test_upgrade_from_empty_and_models_match(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        await db.migrate()  # a second start finds nothing to do

        def differences(connection):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            return compare_metadata(context, SQLModel.metadata)

        def tables(connection):  # type: ignore[no-untyped-def]
            return set(inspect(connection).get_table_names())

        async with db.engine.connect() as connection:
            diff = await connection.run_sync(differences)
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
            busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert (journal, keys) == ("wal", 1)
        assert busy >= 5000
    finally:
        await db.close()


def test_head_revision_is_read_from_the_files_as_alembic_sees_it() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
