"""The web console through aiohttp's test client: logging in with a one-time link (once,
for 15 minutes), sessions, cookies, CSRF on every form, and who sees what on every route
(no session, an expired link, a coach of another area, a manager of another
organisation, an operator); the dashboard's defined, masked and frozen figures, the CSV
export in the audit log, the programme form and the campaign calendar through the
broadcast machinery."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar
from sqlmodel import select

from bot.core.config import SUPPORTED_LANGUAGES
from bot.core.services import Services
from bot.domain.programmes import CAMPAIGN_KIND
from bot.i18n import texts_for
from scheduler.dispatch import Dispatcher
from storage.models import (
    Action,
    ActionStatus,
    AuditLog,
    Broadcast,
    CampaignItem,
    CampaignStatus,
    Initiative,
    Programme,
    ProgrammeSnapshot,
    ScheduledMessage,
    WebSession,
)
from tests.support.web import (  # noqa: F401  (fixtures: a copy of one migrated database)
    World,
    build_world,
    migrated,
    session_cookie,
    sqlite_services,
)
from web.app import COOKIE, LOGIN_COOKIE, create_app
from web.auth import issue_login


@pytest.fixture
async def world(sqlite_services: Services) -> World:
    return await build_world(sqlite_services)


@pytest.fixture
async def client(sqlite_services: Services) -> AsyncIterator[TestClient]:
    server = TestServer(create_app(sqlite_services), host="127.0.0.1")
    async with TestClient(server, headers={"Accept-Language": "en-GB,en"}) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def test_healthz(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.text() == "ok"


async def test_a_login_link_works_once_for_fifteen_minutes(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    async with sqlite_services.db.transaction() as session:
        url = await issue_login(
            session,
            sqlite_services.settings,
            resident_id=world.manager.id,
            operator=False,
            now=sqlite_services.clock.now(),
        )
    token = url.rsplit("/", 1)[1]
    assert url.startswith(sqlite_services.settings.web_url)
    # Opening the link (a link preview does the same) shows a button; it uses nothing up.
    for _ in range(2):
        page = await client.get(f"/login/{token}")
        assert page.status == 200
        assert "Log in" in await page.text()
    check = page.cookies[LOGIN_COOKIE].value
    # Without the login form's own cookie (a forged form on another site): refused.
    client.session.cookie_jar.clear()
    forged = await client.post("/login", data={"token": token, "check": check})
    assert forged.status == 403
    client.session.cookie_jar.update_cookies({LOGIN_COOKIE: check})
    done = await client.post("/login", data={"token": token, "check": check}, allow_redirects=False)
    assert done.status == 303
    cookie = done.headers.getall("Set-Cookie")
    session_cookie_line = next(line for line in cookie if line.startswith(COOKIE))
    assert "HttpOnly" in session_cookie_line
    assert "SameSite=Lax" in session_cookie_line
    assert "Secure" not in session_cookie_line  # plain http on 127.0.0.1
    home = await client.get("/programmes")
    assert home.status == 200
    assert "Tegelwippen Utrecht" in await home.text()
    # The link again: used.
    again = await client.get(f"/login/{token}")
    assert again.status == 410
    assert "already used" in await again.text()
    client.session.cookie_jar.update_cookies({LOGIN_COOKIE: check})
    reused = await client.post("/login", data={"token": token, "check": check})
    assert reused.status == 410
    # Unknown and expired links get their own clear page.
    unknown = await client.get("/login/not-a-token")
    assert unknown.status == 404
    assert "not known" in await unknown.text()
    async with sqlite_services.db.transaction() as session:
        late = await issue_login(
            session,
            sqlite_services.settings,
            resident_id=world.manager.id,
            operator=False,
            now=sqlite_services.clock.now(),
        )
    sqlite_services.clock.advance(timedelta(minutes=15, seconds=1))
    expired = await client.get(f"/login/{late.rsplit('/', 1)[1]}")
    assert expired.status == 410
    assert "expired" in await expired.text()
    # The session expires too; logging out ends it at once.
    sqlite_services.clock.advance(timedelta(hours=8))
    assert (await client.get("/programmes")).status == 401


async def test_cookies_are_secure_behind_tls(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    async with sqlite_services.db.transaction() as session:
        url = await issue_login(
            session,
            sqlite_services.settings,
            resident_id=None,
            operator=True,
            now=sqlite_services.clock.now(),
        )
    tls = {"X-Forwarded-Proto": "https"}
    page = await client.get(url[url.index("/login/") :], headers=tls)
    assert "Secure" in page.headers["Set-Cookie"]
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


async def test_logout_and_every_form_need_the_csrf_token(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    manager = await session_cookie(sqlite_services, world.manager)
    ident = world.programme.id
    forms = {
        "/logout": {},
        "/language": {"language": "nl"},
        "/programmes/new": {"name": "Zonder token"},
        f"/programmes/{ident}/edit": {"name": "Zonder token"},
        f"/programmes/{ident}/campaign": {"text": "Zonder token"},
    }
    for path, data in forms.items():
        for token in (None, "wrong"):
            sent = dict(data, **({"csrf": token} if token else {}))
            response = await client.post(path, data=sent, headers=manager)
            assert response.status == 403, path
            assert "form has expired" in await response.text()
    async with sqlite_services.db.transaction() as session:
        assert (await session.get(Programme, ident)).name == "Tegelwippen Utrecht"  # type: ignore[union-attr]
    page = await client.get("/programmes", headers=manager)
    token = csrf_of(await page.text())
    out = await client.post("/logout", data={"csrf": token}, headers=manager)
    assert out.status == 200
    assert "logged out" in await out.text()
    assert (await client.get("/programmes", headers=manager)).status == 401


async def test_who_sees_what_on_every_route(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    async with sqlite_services.db.transaction() as session:
        session.add(
            CampaignItem(
                programme_id=world.programme.id or 0,
                send_at=sqlite_services.clock.now() + timedelta(days=2),
                text="Zaterdag is de tegelwipdag!",
            )
        )
        await session.flush()
        item = (await session.execute(select(CampaignItem))).scalars().one()
    p, i, c = world.programme.id, world.initiative.id, item.id
    programme_routes = [
        f"/programmes/{p}",
        f"/programmes/{p}/print",
        f"/programmes/{p}/export.csv",
        f"/programmes/{p}/edit",
        f"/programmes/{p}/campaign",
        f"/campaign/{c}",
    ]
    routes = [
        "/programmes",
        "/programmes/new",
        "/portfolio",
        f"/initiatives/{i}",
        *programme_routes,
    ]
    viewers = {
        "nobody": {},
        "resident": await session_cookie(sqlite_services, world.resident),
        "coach": await session_cookie(sqlite_services, world.coach),
        "other coach": await session_cookie(sqlite_services, world.other_coach),
        "manager": await session_cookie(sqlite_services, world.manager),
        "other manager": await session_cookie(sqlite_services, world.other_manager),
        "operator": await session_cookie(sqlite_services, None, operator=True),
    }
    allowed = {
        "nobody": set(),
        "resident": set(),
        "coach": {"/portfolio", f"/initiatives/{i}"},
        "other coach": {"/portfolio"},
        "manager": {"/programmes", "/programmes/new", f"/initiatives/{i}", *programme_routes},
        "other manager": {"/programmes", "/programmes/new"},
        "operator": set(routes),
    }
    for who, headers in viewers.items():
        for route in routes:
            response = await client.get(route, headers=headers)
            body = await response.text()
            if route in allowed[who]:
                assert response.status == 200, (who, route, body[:300])
            elif who in ("nobody", "resident"):
                assert response.status == 401, (who, route)
                assert "/web" in body
            else:
                assert response.status == 404, (who, route)
                assert "not yours to see" in body
            # Nobody sees a Telegram id, or a resident's name.
            for person in (world.resident, world.coach, world.manager):
                assert str(person.telegram_id) not in body, (who, route)
            assert "Bert" not in body, (who, route)
    # An unknown id is answered like one that is not yours.
    operator = viewers["operator"]
    assert (await client.get("/programmes/999", headers=operator)).status == 404
    assert (await client.get("/initiatives/abc", headers=operator)).status == 404
    # The manager of the other organisation sees only their own programme in the list.
    listed = await (await client.get("/programmes", headers=viewers["other manager"])).text()
    assert "Groen Amsterdam" in listed
    assert "Tegelwippen Utrecht" not in listed
    # The coach sees the question they answer in the chat; the manager only its state.
    coach_view = await (await client.get(f"/initiatives/{i}", headers=viewers["coach"])).text()
    manager_view = await (await client.get(f"/initiatives/{i}", headers=viewers["manager"])).text()
    assert "tegeltaxi" in coach_view
    assert "tegeltaxi" not in manager_view
    assert "open, waiting 2 days" in manager_view


async def test_the_dashboard_defines_masks_and_freezes_its_figures(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    manager = await session_cookie(sqlite_services, world.manager)
    p = world.programme.id
    page = await client.get(f"/programmes/{p}", headers=manager)
    html = await page.text()
    assert page.status == 200
    # Each figure with its definition beside it; counts under 5 as "< 5".
    assert "Households reached" in html
    assert "as it stood at the end of the period" in html
    assert re.search(r"Initiatives started</th><td class=\"number\">&lt; 5<", html)
    assert re.search(r"Households reached</th><td class=\"number\">40<", html)
    assert re.search(r"People at actions</th><td class=\"number\">23<", html)
    assert "<svg" in html and 'role="img"' in html  # charts, each with a table beside it
    assert "live" in html
    # Per area per 1,000 households: 40 reached of 20,000 households = 2.
    assert re.search(r"3500–3599</th><td class=\"number\">20,000</td>", html)
    # A past period (November) is frozen: changing the data later changes nothing in it.
    october = f"/programmes/{p}?from=2026-10-01&to=2026-10-31"
    first = await (await client.get(october, headers=manager)).text()
    assert "frozen" in first
    async with sqlite_services.db.transaction() as session:
        initiative = await session.get(Initiative, world.initiative.id)
        assert initiative is not None
        initiative.households_reached = 400
        snapshots = (await session.execute(select(ProgrammeSnapshot))).scalars().all()
        assert {(s.period_from, s.period_to) for s in snapshots} >= {
            (date(2026, 10, 1), date(2026, 10, 31))
        }
    again = await (await client.get(october, headers=manager)).text()
    assert re.search(r"Households reached</th><td class=\"number\">40<", again)
    live = await (await client.get(f"/programmes/{p}", headers=manager)).text()
    assert re.search(r"Households reached</th><td class=\"number\">400<", live)
    outside = await (
        await client.get(f"/programmes/{p}?from=2020-01-01&to=2020-02-01", headers=manager)
    ).text()
    assert "lies outside the programme" in outside
    unreadable = await (
        await client.get(f"/programmes/{p}?from=2027-01-01&to=2026-01-01", headers=manager)
    ).text()
    assert "could not be read" in unreadable
    printable = await client.get(f"/programmes/{p}/print", headers=manager)
    assert 'class="printable"' in await printable.text()


async def test_the_export_is_anonymised_and_audited(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    manager = await session_cookie(sqlite_services, world.manager)
    response = await client.get(
        f"/programmes/{world.programme.id}/export.csv?from=2026-09-01&to=2027-02-28",
        headers=manager,
    )
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(await response.text())))
    figures = {row[1]: row[2] for row in rows if row[0] == "figure"}
    assert figures["Initiatives started"] == "< 5"
    assert figures["Households reached"] == "40"
    assert all(row[3] for row in rows if row[0] == "figure")  # each with its definition
    text = await response.text()
    assert "Bert" not in text and str(world.resident.telegram_id) not in text
    async with sqlite_services.db.transaction() as session:
        entry = (
            await session.execute(select(AuditLog).where(AuditLog.action == "export"))
        ).scalar_one()
    assert entry.actor_id == world.manager.id
    assert entry.subject == f"programme:{world.programme.id}"
    assert entry.details["via"] == "web"


async def test_a_manager_creates_and_edits_a_programme_with_the_form(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    manager = await session_cookie(sqlite_services, world.manager)
    form = await client.get("/programmes/new", headers=manager)
    token = csrf_of(await form.text())
    data = {
        "csrf": token,
        "name": "Isoleren Zuilen",
        "organisation": "Gemeente Utrecht",
        "starts_on": "2027-01-01",
        "ends_on": "2026-12-01",  # before the start: refused, nothing typed is lost
        "areas": "3551-3555=6000\nZuilen",
        "key_dates": "2027-01-15=Startavond",
        "themes": "energy_saving",
        "kits": "collective-insulation",
        "target_households_committed": "150",
        "public_text": "Utrecht helpt Zuilen isoleren.",
    }
    refused = await client.post("/programmes/new", data=data, headers=manager)
    body = await refused.text()
    assert refused.status == 422
    assert "The period ends before it starts." in body
    assert "Isoleren Zuilen" in body and "3551-3555=6000" in body
    # Another organisation's programme: not for this manager.
    data.update(ends_on="2027-06-30", organisation="Gemeente Amsterdam")
    other = await client.post("/programmes/new", data=data, headers=manager)
    assert other.status == 422
    assert "your own organisation" in await other.text()
    data.update(organisation="Gemeente Utrecht")
    made = await client.post("/programmes/new", data=data, headers=manager, allow_redirects=False)
    assert made.status == 303
    async with sqlite_services.db.transaction() as session:
        programme = (
            await session.execute(select(Programme).where(Programme.name == "Isoleren Zuilen"))
        ).scalar_one()
    assert programme.areas == [{"from": 3551, "to": 3555, "households": 6000}, {"name": "Zuilen"}]
    assert programme.targets == {"households_committed": 150}
    assert programme.key_dates == [{"on": "2027-01-15", "label": "Startavond"}]
    edit = await client.get(f"/programmes/{programme.id}/edit", headers=manager)
    assert "Zuilen" in await edit.text()
    data.update(name="Isoleren in Zuilen")
    saved = await client.post(
        f"/programmes/{programme.id}/edit", data=data, headers=manager, allow_redirects=False
    )
    assert saved.status == 303
    async with sqlite_services.db.transaction() as session:
        assert (await session.get(Programme, programme.id)).name == "Isoleren in Zuilen"  # type: ignore[union-attr]
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
    assert "programme_created" in actions and "programme_edited" in actions


async def test_the_campaign_calendar_goes_through_the_broadcast_machinery(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    from bot.core.delivery import Delivery
    from bot.runtimes.recording import RecordingSender

    manager = await session_cookie(sqlite_services, world.manager)
    p = world.programme.id
    page = await client.get(f"/programmes/{p}/campaign", headers=manager)
    token = csrf_of(await page.text())
    tomorrow = (sqlite_services.clock.now() + timedelta(days=1)).date().isoformat()
    data = {
        "csrf": token,
        "date": tomorrow,
        "time": "10:00",
        "text": "Zaterdag wippen we!",
        "link": "not a link",
        "label": "",
    }
    refused = await client.post(f"/programmes/{p}/campaign", data=data, headers=manager)
    assert refused.status == 422
    assert "not a web address" in await refused.text()
    data["link"] = "https://example.org/tegelwippen"
    made = await client.post(
        f"/programmes/{p}/campaign", data=data, headers=manager, allow_redirects=False
    )
    assert made.status == 303
    item_page = made.headers["Location"]
    preview = await (await client.get(item_page, headers=manager)).text()
    assert "Zaterdag wippen we!" in preview
    assert "Stop announcements" in preview  # as residents will see it
    assert "Recipients if it went out now: &lt; 5" in preview
    approve = item_page + "/approve"
    approved = await client.post(
        approve, data={"csrf": csrf_of(preview)}, headers=manager, allow_redirects=False
    )
    assert approved.status == 303
    async with sqlite_services.db.transaction() as session:
        item = (await session.execute(select(CampaignItem))).scalar_one()
        row = (
            await session.execute(
                select(ScheduledMessage).where(ScheduledMessage.kind == CAMPAIGN_KIND)
            )
        ).scalar_one()
    assert item.status is CampaignStatus.APPROVED and item.approved_by_id == world.manager.id
    assert row.due_at == item.send_at
    # At its date the bot's dispatcher starts it as a broadcast to the opted-in resident.
    sender = RecordingSender()
    dispatcher = Dispatcher(sqlite_services, Delivery(sqlite_services, sender))
    sqlite_services.clock.advance(item.send_at - sqlite_services.clock.now())
    await dispatcher.sweep()
    await dispatcher.sweep()
    async with sqlite_services.db.transaction() as session:
        item = (await session.execute(select(CampaignItem))).scalar_one()
        broadcast = await session.get(Broadcast, item.broadcast_id)
    assert item.status is CampaignStatus.SENT and broadcast is not None
    assert [shown.plain for shown in sender.chats[world.resident.telegram_id]][-1].startswith(
        "📣 Announcement from Buurbot"
    )
    manager = await session_cookie(sqlite_services, world.manager)  # the day-old one expired
    report = await (await client.get(item_page, headers=manager)).text()
    assert "Delivery report" in report
    assert re.search(r"Delivered</th><td class=\"number\">&lt; 5<", report)
    calendar = await (await client.get(f"/programmes/{p}/campaign", headers=manager)).text()
    assert "Sent" in calendar


async def test_pages_speak_dutch_and_english(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    manager = await session_cookie(sqlite_services, world.manager)
    page = await client.get(f"/programmes/{world.programme.id}", headers=manager)
    english = await page.text()
    assert '<html lang="en" dir="ltr">' in english and "Key figures" in english
    switched = await client.post(
        "/language",
        data={
            "csrf": csrf_of(english),
            "language": "nl",
            "next": f"/programmes/{world.programme.id}",
        },
        headers=manager,
        allow_redirects=False,
    )
    assert switched.status == 303
    dutch = await (await client.get(switched.headers["Location"], headers=manager)).text()
    assert '<html lang="nl" dir="ltr">' in dutch and "Kerncijfers" in dutch
    async with sqlite_services.db.transaction() as session:
        assert (await session.execute(select(WebSession.language))).scalars().all().count("nl") == 1
    welcome = await client.get("/", headers={"Accept-Language": "nl-NL,nl;q=0.9"})
    assert "Stuur /web" in await welcome.text()


# --- downloads: an action's paper and calendar file, a programme's impact report -----------


async def test_an_actions_paper_and_calendar_file_come_with_the_initiative_page(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    now = sqlite_services.clock.now()
    async with sqlite_services.db.transaction() as session:
        held = (await session.execute(select(Action))).scalars().one()
        planned = Action(
            initiative_id=world.initiative.id or 0,
            title='Plantdag "Lindelaan"\r\nSet-Cookie: x=1; ü',
            starts_at=now + timedelta(days=10),
            place="Speeltuin",
        )
        cancelled = Action(
            initiative_id=world.initiative.id or 0,
            title="Afgelast",
            starts_at=now + timedelta(days=5),
            status=ActionStatus.CANCELLED,
        )
        session.add_all([planned, cancelled])
        await session.flush()
    a, x = planned.id, cancelled.id
    coach = await session_cookie(sqlite_services, world.coach)
    page = await (await client.get(f"/initiatives/{world.initiative.id}", headers=coach)).text()
    for link in (
        f"/actions/{a}/poster.pdf",
        f"/actions/{a}/poster.pdf?lang=en",
        f"/actions/{a}/letter.pdf",
        f"/actions/{a}/tally.pdf",
        f"/actions/{a}/calendar.ics",
        f"/actions/{held.id}/calendar.ics",
        f"/actions/{x}/calendar.ics",
    ):
        assert f'href="{link.replace("&", "&amp;")}"' in page, link
    assert f'href="/actions/{x}/poster.pdf"' not in page  # no poster for a cancelled action

    for kind, name in (("poster", "poster"), ("letter", "brief"), ("tally", "turflijst")):
        response = await client.get(f"/actions/{a}/{kind}.pdf", headers=coach)
        assert response.status == 200, kind
        assert response.headers["Content-Type"] == "application/pdf"
        body = await response.read()
        assert body.startswith(b"%PDF-"), kind
        disposition = response.headers["Content-Disposition"]
        # A safe name: no quote, line break or header of the title reaches the header.
        assert disposition.startswith(f'attachment; filename="{name}-plantdag-lindelaan')
        assert "\r" not in disposition and "\n" not in disposition
        assert disposition.count('"') == 2 and "Set-Cookie" not in response.headers
    english = await client.get(f"/actions/{a}/letter.pdf?lang=en", headers=coach)
    assert english.status == 200
    assert 'filename="letter-plantdag-lindelaan' in english.headers["Content-Disposition"]
    assert (await english.read()).startswith(b"%PDF-")

    response = await client.get(f"/actions/{a}/calendar.ics", headers=coach)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith(".ics")
    calendar = Calendar.from_ical(await response.read())
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == planned.title.replace("\r\n", "\n")
    assert event.decoded("dtstart") == now + timedelta(days=10)
    assert str(event["location"]) == "Speeltuin"
    gone = Calendar.from_ical(
        await (await client.get(f"/actions/{x}/calendar.ics", headers=coach)).read()
    )
    assert str(gone.walk("VEVENT")[0]["status"]) == "CANCELLED"
    refused = await client.get(f"/actions/{x}/poster.pdf", headers=coach)
    assert refused.status == 409 and "cancelled" in await refused.text()

    # Access exactly as the initiative's page: refused like the page, never the file.
    viewers = {
        "manager": (await session_cookie(sqlite_services, world.manager), 200),
        "operator": (await session_cookie(sqlite_services, None, operator=True), 200),
        "other manager": (await session_cookie(sqlite_services, world.other_manager), 404),
        "other coach": (await session_cookie(sqlite_services, world.other_coach), 404),
        "resident": (await session_cookie(sqlite_services, world.resident), 401),
        "nobody": ({}, 401),
    }
    for who, (headers, status) in viewers.items():
        page_status = (
            await client.get(f"/initiatives/{world.initiative.id}", headers=headers)
        ).status
        assert page_status == status, who
        for route in (f"/actions/{a}/calendar.ics", f"/actions/{a}/tally.pdf"):
            response = await client.get(route, headers=headers)
            assert response.status == status, (who, route)
            if status != 200:
                assert response.headers["Content-Type"].startswith("text/html")
                assert b"BEGIN:VCALENDAR" not in await response.read()
    operator = viewers["operator"][0]
    for route in (
        "/actions/999/poster.pdf",
        "/actions/abc/calendar.ics",
        f"/actions/{a}/flyer.pdf",
    ):
        assert (await client.get(route, headers=operator)).status == 404, route


async def test_the_impact_report_downloads_as_pdf_and_csv_for_the_programmes_manager(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    p = world.programme.id
    manager = await session_cookie(sqlite_services, world.manager)
    dashboard = await (await client.get(f"/programmes/{p}", headers=manager)).text()
    period = "from=2026-09-01&amp;to=2027-02-28"
    assert f'href="/programmes/{p}/report.pdf?{period}"' in dashboard
    assert f'href="/programmes/{p}/report.csv?{period}"' in dashboard

    pdf = await client.get(
        f"/programmes/{p}/report.pdf?from=2026-09-01&to=2027-02-28", headers=manager
    )
    assert pdf.status == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith(
        f'attachment; filename="report-{p}-2026-09-01-2027-02-28.pdf"'
    )
    assert (await pdf.read()).startswith(b"%PDF-")
    table = await client.get(f"/programmes/{p}/report.csv", headers=manager)
    assert table.status == 200
    assert table.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = await table.text()
    assert "targets,households_reached,Households reached,40,target 100" in text
    assert "Bert" not in text
    assert (
        await client.get(f"/programmes/{p}/report.csv?factors=nonsense", headers=manager)
    ).status == 404
    async with sqlite_services.db.transaction() as session:
        kinds = (
            (await session.execute(select(AuditLog.details).where(AuditLog.action == "export")))
            .scalars()
            .all()
        )
    assert sorted(str(details["report"]) for details in kinds) == ["csv", "pdf"]

    # Another programme's manager, a coach, nobody: refused like the dashboard.
    for headers, status in (
        (await session_cookie(sqlite_services, world.other_manager), 404),
        (await session_cookie(sqlite_services, world.coach), 404),
        ({}, 401),
    ):
        for kind in ("pdf", "csv"):
            response = await client.get(f"/programmes/{p}/report.{kind}", headers=headers)
            assert response.status == status
            assert (await client.get(f"/programmes/{p}", headers=headers)).status == status
            assert not (await response.read()).startswith(b"%PDF")


async def test_every_language_has_its_pages_and_arabic_reads_right_to_left(
    sqlite_services: Services, world: World, client: TestClient
) -> None:
    manager = await session_cookie(sqlite_services, world.manager)
    route = f"/initiatives/{world.initiative.id}"
    for lang in SUPPORTED_LANGUAGES:
        before = await (await client.get(route, headers=manager)).text()
        switched = await client.post(
            "/language",
            data={"csrf": csrf_of(before), "language": lang, "next": route},
            headers=manager,
            allow_redirects=False,
        )
        assert switched.status == 303
        page = await (await client.get(route, headers=manager)).text()
        direction = "rtl" if lang == "ar" else "ltr"
        assert f'<html lang="{lang}" dir="{direction}">' in page, lang
        assert texts_for(lang)._("Phase history") in page, lang
        assert f'<option value="{lang}" lang="{lang}" selected>' in page, lang
    # A language the console does not speak changes nothing.
    page = await (await client.get(route, headers=manager)).text()
    await client.post(
        "/language",
        data={"csrf": csrf_of(page), "language": "xx", "next": route},
        headers=manager,
        allow_redirects=False,
    )
    assert '<html lang="uk" dir="ltr">' in await (await client.get(route, headers=manager)).text()
    # The stylesheet says start and end, not left and right, so it turns with the page.
    css = await (await client.get("/static/style.css")).text()
    assert not re.search(r"\b(left|right)\b", css)
