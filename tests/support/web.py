"""A small world for the web console's tests: two coaches of different areas, two
programme managers of different organisations, residents, a programme of each
organisation, initiatives with actions and questions; and logging someone in."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.core.services import Services
from bot.domain.coaches import Area, add_areas
from bot.domain.programmes import ProgrammeFields, add_manager, create_programme, parse_district
from scheduler.timing import FakeClock
from storage.db import Database
from storage.models import (
    Action,
    ActionStatus,
    Activity,
    Initiative,
    MemberRole,
    Membership,
    PersonRole,
    Programme,
    Resident,
    SupportRequest,
    Theme,
)
from tests.conftest import make_services
from web.app import COOKIE
from web.auth import issue_login, use_login

_ids = itertools.count(7_000_001)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database for the run; each test gets its own copy of it."""
    path = tmp_path_factory.mktemp("web") / "template.db"

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        await db.close()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def sqlite_services(
    migrated: Path, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Services]:
    copy = tmp_path / "buurbot.db"
    shutil.copyfile(migrated, copy)
    services = make_services(f"sqlite+aiosqlite:///{copy}", clock)
    yield services
    await services.db.close()


@dataclass
class World:
    coach: Resident  # area 3500-3599
    other_coach: Resident  # area 1000-1099
    manager: Resident  # Gemeente Utrecht
    other_manager: Resident  # Gemeente Amsterdam
    resident: Resident  # only a neighbour
    programme: Programme  # Gemeente Utrecht, area 3500-3599
    other_programme: Programme  # Gemeente Amsterdam, area 1000-1099
    initiative: Initiative  # in 3511, coached by `coach`
    other_initiative: Initiative  # in 1011, coached by `other_coach`


async def person(
    services: Services,
    name: str,
    *,
    role: PersonRole = PersonRole.RESIDENT,
    postcode: str | None = None,
    opt_in: bool = False,
    areas: tuple[Area, ...] = (),
) -> Resident:
    now = services.clock.now()
    async with services.db.transaction() as session:
        found = Resident(
            telegram_id=next(_ids),
            first_name=name,
            name=name,
            language="en",
            language_chosen=True,
            postcode=postcode,
            consented_at=now,
            onboarded_at=now,
            announcements_opt_in=opt_in,
            role=role,
            created_at=now,
            last_seen_at=now,
        )
        session.add(found)
        await session.flush()
        await add_areas(session, found, list(areas))
    return found


async def initiative(
    services: Services,
    title: str,
    area: str,
    coach: Resident | None,
    *,
    age_days: int = 30,
    quiet_days: int = 0,
    reached: int = 0,
    committed: int = 0,
    members: tuple[Resident, ...] = (),
) -> Initiative:
    now = services.clock.now()
    async with services.db.transaction() as session:
        found = Initiative(
            title=title,
            what="Samen tegels eruit",
            place="Lindelaan",
            postcode_area=area,
            theme=Theme.GREENER,
            coach_id=coach.id if coach else None,
            invite_token=f"web{next(_ids)}",
            households_reached=reached,
            households_interested=reached,
            households_committed=committed,
            created_at=now - timedelta(days=age_days),
            phase_changed_at=now - timedelta(days=age_days),
            last_activity_at=now - timedelta(days=quiet_days),
        )
        session.add(found)
        await session.flush()
        session.add(
            Activity(initiative_id=found.id or 0, kind="created", at=now - timedelta(days=age_days))
        )
        for member in members:
            session.add(
                Membership(
                    initiative_id=found.id or 0,
                    resident_id=member.id or 0,
                    role=MemberRole.INITIATOR,
                    is_connector=True,
                )
            )
    return found


async def programme(
    services: Services, name: str, organisation: str, areas: list[str], **extra: object
) -> Programme:
    async with services.db.transaction() as session:
        fields = ProgrammeFields(
            name=name,
            organisation=organisation,
            starts_on=extra.pop("starts_on", date(2026, 9, 1)),  # type: ignore[arg-type]
            ends_on=extra.pop("ends_on", date(2027, 2, 28)),  # type: ignore[arg-type]
            areas=[parse_district(text) for text in areas],
            **extra,  # type: ignore[arg-type]
        )
        return await create_programme(
            session, fields, services.clock.now(), actor_id=None, via="test"
        )


async def build_world(services: Services) -> World:
    coach = await person(services, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    other_coach = await person(services, "Otto", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    manager = await person(services, "Marit")
    other_manager = await person(services, "Maarten")
    resident = await person(services, "Bert", postcode="3511AB", opt_in=True)
    now = services.clock.now()
    async with services.db.transaction() as session:
        await add_manager(session, manager, "Gemeente Utrecht", now, actor_id=None, via="test")
        await add_manager(
            session, other_manager, "Gemeente Amsterdam", now, actor_id=None, via="test"
        )
    utrecht = await programme(
        services,
        "Tegelwippen Utrecht",
        "Gemeente Utrecht",
        ["3500-3599=20000"],
        targets={"initiatives_started": 10, "households_reached": 100},
        kits=["tile-lifting"],
        public_text="Utrecht doet mee aan het NK Tegelwippen: haal een tegel weg!",
    )
    amsterdam = await programme(services, "Groen Amsterdam", "Gemeente Amsterdam", ["1000-1099"])
    main = await initiative(
        services, "Groene Lindelaan", "3511", coach, reached=40, committed=12, members=(resident,)
    )
    other = await initiative(services, "Vondelstraat Groen", "1011", other_coach, reached=7)
    async with services.db.transaction() as session:
        session.add(
            Action(
                initiative_id=main.id or 0,
                title="Tegelwipdag",
                starts_at=now - timedelta(days=3),
                status=ActionStatus.HELD,
                attended=23,
            )
        )
        session.add(
            SupportRequest(
                initiative_id=main.id or 0,
                resident_id=resident.id,
                coach_id=coach.id,
                question="Hoe krijgen we een tegeltaxi?",
                created_at=now - timedelta(days=2),
            )
        )
    return World(
        coach, other_coach, manager, other_manager, resident, utrecht, amsterdam, main, other
    )


async def session_cookie(
    services: Services, who: Resident | None, *, operator: bool = False
) -> dict[str, str]:
    """A logged-in browser's Cookie header for this person (or the operator)."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        url = await issue_login(
            session,
            services.settings,
            resident_id=who.id if who is not None else None,
            operator=operator,
            now=now,
        )
        used = await use_login(session, url.rsplit("/", 1)[1], now, hours=8, language="en")
    assert not isinstance(used, str), used
    return {"Cookie": f"{COOKIE}={used[0]}"}
