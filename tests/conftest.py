"""Shared fixtures: a migrated database (SQLite always, PostgreSQL where reachable),
services with a fake clock, and a driver that talks to the engine like a person."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.app import Services, bootstrap
from bot.config import Settings
from scheduler.timing import FakeClock
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}"
        return
    need_postgres()
    name = f"buurbot_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def make_services(url: str, clock: FakeClock, **settings: object) -> Services:
    config = Settings(database_url=url, _env_file=None, **settings)  # type: ignore[call-arg]
    return bootstrap(config, clock=clock, bot_username="buurbot_test_bot")


@pytest.fixture
async def services(database_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    services = make_services(database_url, clock)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.fixture
async def sqlite_services(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    """For tests of conversation logic, where the database kind does not matter."""
    services = make_services(sqlite_url, clock)
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
