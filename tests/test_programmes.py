"""Programmes: `buurbot programme create|list|show|edit|manager` and `web login-link`,
migration 0010 keeping every row, what residents see of a programme (its public line on
the card, the invitation and the kit, only while it runs, never its internals), and /web
in the chat (and the coach overview's button) handing out a one-time link."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from bot.cli import build_parser
from bot.core.services import Services
from bot.domain.programmes import with_programme
from bot.i18n import texts_for
from bot.programme_cli import run_programme_command
from bot.runtimes.recording import plain
from bot.views.cards import card_text
from storage.db import Database
from storage.models import AuditLog, Initiative, Programme, ProgrammeManager, WebLogin
from tests.support.driver import Driver
from tests.support.web import (  # noqa: F401  (fixtures: a copy of one migrated database)
    build_world,
    migrated,
    sqlite_services,
)
from tests.test_poll_vote_migration import _to
from web.auth import check_login, digest


async def cli(services: Services, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(list(argv))
    code = await run_programme_command(
        services.settings, args, services=services, stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue()


async def test_the_programme_commands(sqlite_services: Services) -> None:
    code, out, err = await cli(
        sqlite_services,
        "programme", "create", "--name", "NK Tegelwippen Eindhoven",
        "--organisation", "Gemeente Eindhoven", "--start", "2027-03-21", "--end", "2027-10-31",
        "--area", "5611-5658=42000", "--area", "Woensel-Noord", "--theme", "greener",
        "--kit", "tile-lifting", "--key-date", "2027-03-21=Start NK",
        "--target", "initiatives_started=20",
        "--public-text", "Eindhoven doet mee aan het NK Tegelwippen: haal een tegel weg!",
    )  # fmt: skip
    assert code == 0, err
    assert "Programme #1 NK Tegelwippen Eindhoven (Gemeente Eindhoven) is set up." in out
    async with sqlite_services.db.transaction() as session:
        programme = await session.get(Programme, 1)
    assert programme is not None
    assert programme.areas == [
        {"from": 5611, "to": 5658, "households": 42000},
        {"name": "Woensel-Noord"},
    ]
    assert programme.key_dates == [{"on": "2027-03-21", "label": "Start NK"}]
    assert programme.targets == {"initiatives_started": 20} and programme.kits == ["tile-lifting"]
    code, out, _ = await cli(sqlite_services, "programme", "list")
    assert "2027-03-21 – 2027-10-31  Gemeente Eindhoven" in out
    code, out, _ = await cli(sqlite_services, "programme", "show", "1")
    assert "5611–5658 (42000 households), Woensel-Noord" in out
    assert "Initiatives started:     0 of target 20" in out
    code, out, _ = await cli(
        sqlite_services, "programme", "edit", "1", "--target", "actions_held=30", "--clear-kits"
    )
    assert code == 0 and "changed targets, kits" in out
    # Mistakes get one clear line and change nothing.
    for argv, reason in [
        (["edit", "1", "--area", "99"], "is not an area"),
        (["edit", "1", "--end", "2027-01-01"], "ends before it starts"),
        (["edit", "1", "--kit", "no-such-kit"], "Unknown kit"),
        (["edit", "2"], "there is no programme #2"),
        (["edit", "1", "--target", "tiles=3"], "Unknown target"),
    ]:
        code, _, err = await cli(sqlite_services, "programme", *argv)
        assert code != 0 and reason in err, (argv, err)
    async with sqlite_services.db.transaction() as session:
        programme = await session.get(Programme, 1)
        assert programme is not None and programme.ends_on == date(2027, 10, 31)
    # Programme managers, added like coaches.
    code, out, _ = await cli(
        sqlite_services, "programme", "manager", "add", "--telegram-id", "555",
        "--organisation", "Gemeente Eindhoven", "--name", "Marit",
    )  # fmt: skip
    assert code == 0 and "Marit (telegram id 555) is a programme manager for Gemeente" in out
    code, out, _ = await cli(sqlite_services, "programme", "manager", "list")
    assert "Gemeente Eindhoven: Marit (telegram id 555)" in out
    code, out, _ = await cli(
        sqlite_services, "programme", "manager", "remove", "--telegram-id", "555"
    )
    assert code == 0 and "no longer a programme manager" in out
    async with sqlite_services.db.transaction() as session:
        assert (await session.execute(select(ProgrammeManager))).first() is None
        actions = set((await session.execute(select(AuditLog.action))).scalars())
    assert {
        "programme_created",
        "programme_edited",
        "programme_manager_added",
        "programme_manager_removed",
    } <= actions
    # The operator's login link: printed once, valid for 15 minutes.
    code, out, _ = await cli(sqlite_services, "web", "login-link", "--operator")
    url = out.splitlines()[1]
    assert url.startswith(sqlite_services.settings.web_url + "/login/")
    async with sqlite_services.db.transaction() as session:
        login = await check_login(session, url.rsplit("/", 1)[1], sqlite_services.clock.now())
        assert isinstance(login, WebLogin) and login.operator and login.resident_id is None
        stored = (await session.execute(select(WebLogin.token_hash))).scalars().all()
    assert stored == [digest(url.rsplit("/", 1)[1])]  # only the hash is kept


async def test_migration_0010_keeps_every_row(database_url: str) -> None:
    db = Database(database_url)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    try:
        await _to(db, "0006")
        async with db.engine.begin() as connection:
            meta = sa.MetaData()
            await connection.run_sync(meta.reflect)
            await connection.execute(
                meta.tables["resident"].insert(),
                {
                    "id": 5,
                    "telegram_id": 901,
                    "first_name": "Bert",
                    "language": "nl",
                    "language_chosen": False,
                    "timezone": "Europe/Amsterdam",
                    "announcements_opt_in": True,
                    "reminders": "on",
                    "reachable": True,
                    "role": "coach",
                    "created_at": now,
                    "last_seen_at": now,
                },
            )
        await _to(db, "head")
        async with db.engine.begin() as connection:
            names = await connection.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            rows = (await connection.execute(sa.text("SELECT id, role FROM resident"))).all()
        assert {"programme", "programme_manager", "campaign_item", "web_login"} <= names
        assert [tuple(row) for row in rows] == [(5, "coach")]
        await _to(db, "0006", down=True)
        async with db.engine.begin() as connection:
            names = await connection.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            rows = (await connection.execute(sa.text("SELECT id FROM resident"))).all()
        assert "programme" not in names and [tuple(row) for row in rows] == [(5,)]
    finally:
        await db.close()


async def test_residents_see_the_programme_line_where_it_helps(
    sqlite_services: Services,
) -> None:
    world = await build_world(sqlite_services)
    texts = texts_for("nl")
    now = sqlite_services.clock.now()
    line = "Utrecht doet mee aan het NK Tegelwippen: haal een tegel weg!"
    async with sqlite_services.db.transaction() as session:
        initiative = await session.get(Initiative, world.initiative.id)
        other = await session.get(Initiative, world.other_initiative.id)
        assert initiative is not None and other is not None
        card = plain(await card_text(texts, session, initiative, now))
        assert line in card
        assert "Gemeente Utrecht" not in card and "100" not in card  # no internals
        assert line not in plain(await card_text(texts, session, other, now))  # not its area
        # The kit page: only a kit the programme offers.
        tile = await with_programme(
            session, initiative, now, texts.tz, texts._("x"), kit_id="tile-lifting"
        )
        solar = await with_programme(
            session, initiative, now, texts.tz, texts._("x"), kit_id="collective-solar"
        )
        assert line in tile and line not in solar
        # Once the programme is over, residents no longer read it.
        later = datetime(2027, 3, 2, 12, tzinfo=UTC)
        assert line not in plain(await card_text(texts, session, initiative, later))
    # The invitation a neighbour opens.
    driver = Driver(sqlite_services)
    neighbour = driver.person("Maarten", "en", person_id=world.other_manager.telegram_id)
    await neighbour.command("start", f"join-{world.initiative.invite_token}")
    invitation = next(
        shown.plain for shown in neighbour.messages if "invited to join" in shown.plain
    )
    assert line in invitation


async def test_web_in_the_chat_gives_a_one_time_link(sqlite_services: Services) -> None:
    world = await build_world(sqlite_services)
    driver = Driver(sqlite_services)
    coach = driver.person("Carla", "en", person_id=world.coach.telegram_id)
    await coach.command("web")
    assert "Your login link for the web console" in coach.last
    assert "It works once, for 15 minutes" in coach.last
    url = next(word for word in coach.last.split() if "/login/" in word)
    async with sqlite_services.db.transaction() as session:
        login = await check_login(session, url.rsplit("/", 1)[1], sqlite_services.clock.now())
        assert isinstance(login, WebLogin) and login.resident_id == world.coach.id
    # The coach overview has the button too.
    await coach.command("overview")
    await coach.press("Open the web console")
    assert "Your login link for the web console" in coach.last
    # A programme manager (no coach) gets one; a neighbour is told what the console is.
    manager = driver.person("Marit", "en", person_id=world.manager.telegram_id)
    await manager.command("web")
    assert "/login/" in manager.last
    neighbour = driver.person("Bert", "en", person_id=world.resident.telegram_id)
    await neighbour.command("web")
    assert "/login/" not in neighbour.last
    assert "for neighbourhood coaches and programme managers" in neighbour.last
    async with sqlite_services.db.transaction() as session:
        links = (await session.execute(select(WebLogin.resident_id))).scalars().all()
    assert sorted(links) == sorted([world.coach.id, world.coach.id, world.manager.id])
    assert login.expires_at - login.created_at == timedelta(minutes=15)
