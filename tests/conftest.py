"""Shared fixtures: a migrated database (SQLite always, PostgreSQL where reachable),
services with a fake clock, and a driver that talks to the engine like a person."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from bot.app import bootstrap
from bot.core.config import Settings
from bot.core.services import Services
from scheduler.timing import FakeClock
from storage.db import Database
from tests.support.driver import Driver

# Any connection to an address outside 127.0.0.1 fails the test that makes it.
pytest_plugins = ["tests.network_guard"]

# Speed belongs in benchmarks: on a loaded CI machine one example may take 0.5 s, and a
# property test must fail on what it checks, never on how long an example took.
hypothesis_settings.register_profile("buurbot", deadline=None)
hypothesis_settings.load_profile("buurbot")

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
REQUIRE_SERVICES = os.environ.get("BUURBOT_REQUIRE_SERVICES") == "1"
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # a Saturday, 10:00 in Amsterdam


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def need_postgres() -> None:
    if postgres_reachable():
        return
    if REQUIRE_SERVICES:
        pytest.fail(
            f"PostgreSQL is required (BUURBOT_REQUIRE_SERVICES=1) "
            f"but {PG_HOST}:{PG_PORT} is not reachable"
        )
    pytest.skip(
        f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}; "
        "set BUURBOT_REQUIRE_SERVICES=1 to fail instead"
    )


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


DATABASE_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# --- migrated databases: migrated once per test process, copied per test -------------------
#
# Running the migrations takes a second or more a test on a loaded machine (Alembic's
# import and every revision in turn). Tests that need a database at the newest revision,
# not the migration itself, get a copy of one migrated once per test process (per xdist
# worker): a file copy for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL. Their own
# `db.migrate()` then finds the database at head, as a restarted process does. Tests of
# the migrations themselves keep `database_url` / `sqlite_url`: empty databases.


def _run(coroutine: Any) -> Any:
    """Run a coroutine to completion from a (synchronous) session fixture: in a thread of
    its own, since the fixture may be set up from inside a test's running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.migrate()
    finally:
        await db.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest revision; copy it, never open it."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    _run(_migrate(f"sqlite+aiosqlite:///{path}"))
    # Back to SQLite's default journal, in one file: a copy starts as a new file does, and
    # the bot must still switch it to WAL on connect (tests/test_migrations.py checks that).
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    assert not Path(f"{path}-wal").exists()
    return path


def copy_migrated_sqlite(template: Path, target: Path) -> str:
    """`target` as a copy of the migrated template; its URL."""
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database at the newest revision, used only as a template
    (PostgreSQL copies a template only while nobody is connected to it)."""
    need_postgres()
    name = f"buurbot_template_{uuid.uuid4().hex[:12]}"
    _run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        _run(_migrate(f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"))
        yield name
    finally:
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def _new_database(
    request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool
) -> AsyncIterator[str]:
    kind = request.param
    if kind == "sqlite":
        path = tmp_path / "buurbot.db"
        if migrated:
            copy_migrated_sqlite(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    need_postgres()
    template = request.getfixturevalue("postgres_template") if migrated else None
    name = f"buurbot_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=DATABASE_KINDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind: a SQLite file, or a new PostgreSQL database."""
    async with _new_database(request, tmp_path, migrated=False) as url:
        yield url


@pytest.fixture(params=DATABASE_KINDS)
async def migrated_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of each kind at the newest revision (a copy of the migrated template)."""
    async with _new_database(request, tmp_path, migrated=True) as url:
        yield url


@pytest.fixture
async def db(migrated_database_url: str) -> AsyncIterator[Database]:
    """A `Database` on a migrated database of each kind, closed after the test."""
    database = Database(migrated_database_url)
    yield database
    await database.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database (no file yet)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}"


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A SQLite database at the newest revision, at the same path as `sqlite_url`."""
    return copy_migrated_sqlite(sqlite_template, tmp_path / "buurbot.db")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def make_services(url: str, clock: FakeClock, **settings: object) -> Services:
    config = Settings(database_url=url, _env_file=None, **settings)  # type: ignore[call-arg]
    return bootstrap(config, clock=clock, bot_username="buurbot_test_bot")


@pytest.fixture
async def services(migrated_database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = make_services(migrated_database_url, clock)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.fixture
async def sqlite_services(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    """For tests of conversation logic, where the database kind does not matter."""
    services = make_services(migrated_sqlite_url, clock)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.fixture
def driver(sqlite_services: Services) -> Driver:
    return Driver(sqlite_services)


@pytest.fixture
def db_driver(services: Services) -> Driver:
    """The same driver over every database kind."""
    return Driver(services)
