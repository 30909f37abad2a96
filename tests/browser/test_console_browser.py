"""The web console in a real browser: Playwright driving Debian's Chromium (headless, on
127.0.0.1 only). A coach and a programme manager ask the bot for a link with /web and log
in with it, the manager opens the dashboard and sets up a programme with the form, and
axe-core (vendored, tests/browser/vendor/axe-core) finds 0 WCAG 2.1 A/AA violations on
every page, Dutch, English and Arabic (right to left). The coach downloads an action's
poster and calendar file from the initiative's page. One browser for the module's one test.

With BUURBOT_SCREENSHOTS=1 the main pages are saved to docs/screenshots/*.png."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from icalendar import Calendar

from bot.core.services import Services
from bot.i18n import texts_for
from tests.support.driver import Driver
from tests.support.web import (  # noqa: F401  (fixtures: a copy of one migrated database)
    build_world,
    migrated,
    sqlite_services,
)
from web.app import create_app

CHROMIUM = Path(os.environ.get("BUURBOT_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Chromium resolves no name but 127.0.0.1 and keeps its own background traffic off.
CHROMIUM_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-sandbox",
]

playwright_api = pytest.importorskip("playwright.async_api")


def _chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("BUURBOT_REQUIRE_SERVICES") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs it (apt-get chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
        WCAG,
    )
    return list(result)


async def check(page: Any, name: str) -> None:
    """No accessibility violation; a screenshot when asked for."""
    violations = await axe_violations(page)
    assert violations == [], f"{name}: {violations}"
    if os.environ.get("BUURBOT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def login_link(driver: Driver, telegram_id: int, name: str) -> str:
    who = driver.person(name, "nl", person_id=telegram_id)
    await who.command("web")
    found = re.search(r"(http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+)", who.last)
    assert found, who.last
    return found.group(1)


async def test_log_in_see_the_dashboard_create_a_programme_all_accessible(
    sqlite_services: Services,
) -> None:
    chromium = _chromium()
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    world = await build_world(sqlite_services)
    server = TestServer(create_app(sqlite_services), host="127.0.0.1")
    await server.start_server()
    sqlite_services.settings.web_url = str(server.make_url("")).rstrip("/")
    driver = Driver(sqlite_services)
    try:
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
            )
            # axe is put into the page by the test: the pages' own policy allows no script.
            context = await browser.new_context(
                bypass_csp=True, locale="nl-NL", viewport={"width": 1200, "height": 900}
            )
            page = await context.new_page()
            page.set_default_timeout(15_000)

            # The manager asks the bot, opens the link, presses the button.
            link = await login_link(driver, world.manager.telegram_id, "Marit")
            await page.goto(link)
            await check(page, "login")
            await page.get_by_role("button", name="Inloggen").click()
            await page.wait_for_url(re.compile(r"/programmes$"))
            assert await page.get_by_role("link", name="Tegelwippen Utrecht").is_visible()
            await check(page, "programmes")

            await page.get_by_role("link", name="Tegelwippen Utrecht").click()
            await page.get_by_role("heading", name="Kerncijfers").wait_for()
            assert await page.locator("svg.chart").count() >= 3
            await check(page, "dashboard")

            await page.get_by_role("link", name="Campagnekalender").click()
            await page.get_by_role("heading", name="Plan een bericht").wait_for()
            await check(page, "campaign")

            # A new programme with the form: first a mistake, kindly refused, nothing lost.
            await page.goto(sqlite_services.settings.web_url + "/programmes/new")
            await page.get_by_label("Naam", exact=True).fill("Isoleren Zuilen")
            await page.get_by_label("Eerste dag").fill("2027-01-01")
            await page.get_by_label("Laatste dag").fill("2026-06-30")
            await page.get_by_label("Gebieden, één per regel", exact=False).fill(
                "3551-3555=6000\nZuilen"
            )
            await page.get_by_label("Nieuwe initiatieven").fill("5")
            await page.get_by_role("button", name="Maak de aanpak").click()
            alert = page.get_by_role("alert")
            await alert.wait_for()
            assert "eindigt voordat hij begint" in await alert.inner_text()
            assert await page.get_by_label("Naam", exact=True).input_value() == "Isoleren Zuilen"
            await check(page, "programme-form")
            await page.get_by_label("Laatste dag").fill("2027-06-30")
            await page.get_by_label("Samen isoleren", exact=True).check()
            await page.get_by_role("button", name="Maak de aanpak").click()
            await page.get_by_role("heading", name="Isoleren Zuilen").wait_for()
            assert "Isoleren Zuilen" in await page.title()

            # The coach logs in the same way and sees their portfolio and an initiative.
            await context.clear_cookies()
            link = await login_link(driver, world.coach.telegram_id, "Carla")
            await page.goto(link)
            await page.get_by_role("button", name="Inloggen").click()
            await page.wait_for_url(re.compile(r"/portfolio$"))
            await check(page, "portfolio")
            await page.get_by_role("link", name="Groene Lindelaan").first.click()
            await page.get_by_role("heading", name="Verloop van de fases").wait_for()
            await check(page, "initiative")
            # The action's paper and calendar file are a click away, as files.
            async with page.expect_download() as poster:
                await page.get_by_role("link", name="Poster (PDF)").first.click()
            download = await poster.value
            assert download.suggested_filename == "poster-tegelwipdag.pdf"
            saved = await download.path()
            assert (await asyncio.to_thread(saved.read_bytes)).startswith(b"%PDF-")
            async with page.expect_download() as ics:
                await page.get_by_role("link", name="Bestand voor je agenda").first.click()
            download = await ics.value
            assert download.suggested_filename == "agenda-tegelwipdag.ics"
            saved = await download.path()
            event = Calendar.from_ical(await asyncio.to_thread(saved.read_bytes)).walk("VEVENT")
            assert str(event[0]["summary"]) == "Tegelwipdag"
            assert await page.evaluate("() => document.dir") == "ltr"

            # A used link, and the English pages.
            await page.goto(link)
            assert "al gebruikt" in await page.content()
            await check(page, "link-used")
            await page.goto(sqlite_services.settings.web_url + "/portfolio")
            await page.get_by_label("Taal").select_option("en")
            await page.get_by_role("button", name="Wijzigen").click()
            await page.get_by_role("heading", name="Your initiatives as a coach").wait_for()
            await check(page, "portfolio-en")
            assert await page.evaluate("() => document.dir") == "ltr"

            # Arabic: the pages turn right to left, and stay accessible.
            arabic = texts_for("ar")
            await page.get_by_label("Language").select_option("ar")
            await page.get_by_role("button", name="Change").click()
            await page.get_by_role(
                "heading", name=arabic._("Your initiatives as a coach")
            ).wait_for()
            html = page.locator("html")
            assert (await html.get_attribute("dir"), await html.get_attribute("lang")) == (
                "rtl",
                "ar",
            )
            await check(page, "portfolio-ar")
            await page.get_by_role("link", name="Groene Lindelaan").first.click()
            await page.get_by_role("heading", name=arabic._("Phase history")).wait_for()
            # The main column starts at the right: the layout follows the direction.
            box = await page.get_by_role("heading", name="Groene Lindelaan").bounding_box()
            assert box is not None and box["x"] + box["width"] > 1200 / 2
            await check(page, "initiative-ar")
            await page.get_by_role("button", name=arabic._("Log out")).click()
            await page.get_by_role("heading", name=arabic._("You are logged out")).wait_for()
            await browser.close()
    finally:
        await server.close()
        await asyncio.sleep(0)
