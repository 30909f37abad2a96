"""A programme dashboard over many initiatives: how long does the web console take?

Seeds one programme whose area holds ``--initiatives`` initiatives (each with an activity
in the period, and every third with a held action), then measures over HTTP on
127.0.0.1: the live dashboard (computed on every request), a past month (computed once,
then read from its snapshot) and the CSV export. Prints the median of ``--runs``.

    .venv/bin/python -m benchmarks.web_dashboard [--initiatives 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert

from bot.app import build_registry
from bot.core.config import Settings
from bot.core.services import Services
from bot.domain.programmes import ProgrammeFields, add_manager, create_programme, parse_district
from scheduler.timing import FakeClock
from storage.db import Database
from storage.models import Action, ActionStatus, Activity, Initiative, Resident
from web.app import COOKIE, create_app
from web.auth import issue_login, use_login

NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)


async def seed(services: Services, count: int) -> str:
    async with services.db.transaction() as session:
        manager = Resident(telegram_id=1, first_name="Marit", created_at=NOW, last_seen_at=NOW)
        session.add(manager)
        await session.flush()
        await add_manager(session, manager, "Gemeente Utrecht", NOW, actor_id=None, via="bench")
        await create_programme(
            session,
            ProgrammeFields(
                name="Tegelwippen Utrecht",
                organisation="Gemeente Utrecht",
                starts_on=date(2026, 9, 1),
                ends_on=date(2027, 2, 28),
                areas=[parse_district("3500-3599=200000")],
            ),
            NOW,
            actor_id=None,
            via="bench",
        )
        rows = [
            {
                "title": f"Straat {n}",
                "what": "Tegels eruit",
                "why": "",
                "level": "street",
                "place": "Utrecht",
                "postcode_area": str(3500 + n % 100),
                "theme": "greener",
                "phase": ("initiate", "activate", "structure", "grow", "sustain")[n % 5],
                "phase_changed_at": NOW,
                "invite_token": f"bench{n}",
                "invite_active": True,
                "households_reached": n % 40,
                "households_interested": n % 20,
                "households_committed": n % 10,
                "wishes_gathered": False,
                "group_chat_skipped": False,
                "created_at": NOW - timedelta(days=10 + n % 80),
                "last_activity_at": NOW - timedelta(days=n % 30),
            }
            for n in range(count)
        ]
        await session.execute(insert(Initiative), rows)
        await session.execute(
            insert(Activity),
            [
                {"initiative_id": n + 1, "kind": "created", "at": NOW - timedelta(days=n % 80)}
                for n in range(count)
            ],
        )
        await session.execute(
            insert(Action),
            [
                {
                    "initiative_id": n + 1,
                    "kind": "action",
                    "title": "Tegelwipdag",
                    "starts_at": NOW - timedelta(days=n % 60),
                    "place": "",
                    "status": ActionStatus.HELD.value,
                    "checklist": [],
                    "created_at": NOW,
                    "attended": n % 25,
                    "link_token": f"bench{n}",
                }
                for n in range(0, count, 3)
            ],
        )
        url = await issue_login(
            session, services.settings, resident_id=manager.id, operator=False, now=NOW
        )
        used = await use_login(session, url.rsplit("/", 1)[1], NOW, hours=8, language="nl")
    assert not isinstance(used, str)
    return used[0]


async def timed(client: TestClient, path: str, cookie: str, runs: int) -> float:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path, headers={"Cookie": f"{COOKIE}={cookie}"})
        await response.read()
        assert response.status == 200, (path, response.status)
        took.append(time.perf_counter() - started)
    return statistics.median(took)


async def main(count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        services = Services(settings, Database(url), build_registry(), FakeClock(NOW))
        await services.db.migrate()
        cookie = await seed(services, count)
        server = TestServer(create_app(services), host="127.0.0.1")
        async with TestClient(server) as client:
            live = await timed(client, "/programmes/1", cookie, runs)
            first = await timed(client, "/programmes/1?from=2026-10-01&to=2026-10-31", cookie, 1)
            frozen = await timed(
                client, "/programmes/1?from=2026-10-01&to=2026-10-31", cookie, runs
            )
            export = await timed(client, "/programmes/1/export.csv", cookie, runs)
        await services.db.close()
    print(f"programme dashboard over {count} initiatives (SQLite, median of {runs}):")
    print(f"  live dashboard (all months):  {live * 1000:7.0f} ms")
    print(f"  a past month, first view:     {first * 1000:7.0f} ms (computed and frozen)")
    print(f"  a past month, frozen:         {frozen * 1000:7.0f} ms")
    print(f"  CSV export (live):            {export * 1000:7.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--initiatives", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.initiatives, options.runs))
