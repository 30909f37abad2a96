"""The web console: aiohttp with server-rendered Jinja2 templates, no JavaScript needed.

    GET  /healthz                      200 "ok" when the database answers
    GET  /                             where to begin (or how to get a login link)
    GET  /login/{token}  POST /login   the one-time link: a page with a button, then a session
    POST /logout  POST /language       end the session; the pages' language (nl, en, tr, pl,
                                       ar, uk; Arabic pages are dir="rtl")
    GET  /portfolio                    the coach's initiatives (the chat overview, on a screen)
    GET  /initiatives/{id}             phase history, team roles, actions, support requests
    GET  /programmes  GET|POST /programmes/new
    GET  /programmes/{id}              the dashboard (?from=&to= a period; frozen once past)
    GET  /programmes/{id}/print        the dashboard as a printable page
    GET  /programmes/{id}/export.csv   the dashboard's figures, anonymised (audited)
    GET  /programmes/{id}/report.pdf   the impact report (also .csv; the dashboard's period)
    GET  /actions/{id}/poster.pdf      an action's poster (also letter.pdf, tally.pdf; ?lang=en)
    GET  /actions/{id}/calendar.ics    its calendar file
    GET|POST /programmes/{id}/edit
    GET|POST /programmes/{id}/campaign the campaign calendar; a new dated announcement
    GET  /campaign/{id}                its preview, audience and delivery report
    POST /campaign/{id}/approve|cancel

Every POST carries the session's CSRF token (the login form: a cookie of its own). Who
sees what is decided in ``web.access`` at every request; nothing shows a phone number, a
Telegram id or a resident's name, and programme views show counts under 5 as "< 5".
It shares the bot's database and code, not its state: it never sends a message itself
(an approved campaign announcement is started by the bot's dispatcher at its date).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import io
import logging
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
import markupsafe
from aiohttp import web
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import bootstrap
from bot.core.config import SUPPORTED_LANGUAGES
from bot.core.services import Services
from bot.domain.audit import audit
from bot.domain.campaign import approve_item, cancel_item
from bot.domain.impact import factor_set
from bot.domain.programme_figures import freeze_closed_periods, frozen_figures, months, shown_count
from bot.domain.programmes import (
    METRICS,
    Period,
    ProgrammeError,
    ProgrammeFields,
    create_programme,
    parse_district,
    parse_key_date,
    update_programme,
    visible_programmes,
)
from bot.i18n import N_, Safe, Texts, pick_language, texts_for
from bot.views.materials import file_name, letter_pdf, poster_pdf, sheets, tally_pdf
from bot.views.report import programme_report, report_csv, report_pdf
from storage.models import (
    Action,
    ActionStatus,
    CampaignItem,
    CampaignStatus,
    Initiative,
    Programme,
    Theme,
)
from web import access, pages
from web.auth import LoginProblem, Viewer, check_login, load_session, use_login

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
# The language switch: each language in its own name (as the chat's /language shows them).
LANGUAGE_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "tr": "Türkçe",
    "pl": "Polski",
    "ar": "العربية",
    "uk": "Українська",
}
COOKIE = "buurbot_session"
LOGIN_COOKIE = "buurbot_login"
STATIC = Path(__file__).parent / "static"
FREEZE_EVERY = 3600.0
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class Refused(Exception):
    """A page that cannot be shown: its status, title and explanation (msgids)."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.text = text


NOT_FOUND = (
    404,
    N_("Not found"),
    N_("This page does not exist, or it is not yours to see."),
)


def not_found() -> Refused:
    return Refused(*NOT_FOUND)


# --- per request ------------------------------------------------------------------------------


@dataclass
class Page:
    request: web.Request
    services: Services
    session: AsyncSession
    viewer: Viewer | None
    texts: Texts

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def tz(self) -> Any:
        return self.services.settings.tz

    def need_viewer(self) -> Viewer:
        if self.viewer is None or not self.viewer.may_use_console:
            raise Refused(
                401,
                N_("Please log in"),
                N_(
                    "Ask the bot for a login link: send /web in your chat with Buurbot. "
                    "The link works once, for 15 minutes."
                ),
            )
        return self.viewer

    async def form(self) -> dict[str, Any]:
        """The posted form, once its CSRF token is checked."""
        data = await self.request.post()
        viewer = self.need_viewer()
        given = str(data.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), viewer.web_session.csrf_token.encode()):
            raise Refused(
                403,
                N_("This form has expired"),
                N_(
                    "For your safety the form could not be sent. Go back, reload the page "
                    "and try again."
                ),
            )
        return {key: data.getall(key) if len(data.getall(key)) > 1 else data[key] for key in data}

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        response = aiohttp_jinja2.render_template(
            template, self.request, self.context(**context), status=status
        )
        return response

    def context(self, **extra: Any) -> dict[str, Any]:
        texts = self.texts

        def gettext(msgid: str, /, **values: Any) -> markupsafe.Markup:
            return markupsafe.Markup(texts._(msgid, **_safe(values)))

        def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> markupsafe.Markup:
            return markupsafe.Markup(texts.n_(singular, plural, n, **_safe(values)))

        return {
            "_": gettext,
            "gettext": gettext,
            "n_": ngettext,
            "ngettext": ngettext,
            "lang": texts.lang,
            "dir": "rtl" if texts.rtl else "ltr",
            "languages": list(LANGUAGE_NAMES.items()),
            "viewer": self.viewer,
            "csrf": self.viewer.web_session.csrf_token if self.viewer else "",
            "number": texts.number,
            "count": shown_count,
            "day": lambda value: texts.day(value) if value else "–",
            "when": lambda value: texts.short_when(value) if value else "–",
            "path": self.request.path_qs,
            **extra,
        }


def _safe(values: dict[str, Any]) -> dict[str, Any]:
    """Values escaped for HTML (attributes too) before the catalog's text takes them."""
    return {key: Safe(str(markupsafe.escape(value))) for key, value in values.items()}


def _language(request: web.Request, services: Services) -> str:
    header = request.headers.get("Accept-Language", "")
    first = header.split(",")[0].split(";")[0].strip() if header else ""
    return pick_language(first or None, services.settings.default_language)


@contextlib.asynccontextmanager
async def opened(request: web.Request) -> AsyncIterator[Page]:
    services = request.app[SERVICES]
    async with services.db.transaction() as session:
        now = services.clock.now()
        row = await load_session(session, request.cookies.get(COOKIE), now)
        viewer = await Viewer.load(session, row) if row is not None else None
        language = row.language if row is not None else _language(request, services)
        yield Page(
            request, services, session, viewer, texts_for(language, services.settings.timezone)
        )


Handler = Callable[[Page], Awaitable[web.StreamResponse]]


def page(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A route: the page's transaction and viewer; a refusal becomes its clear page."""

    async def route(request: web.Request) -> web.StreamResponse:
        try:
            async with opened(request) as current:
                return await handler(current)
        except Refused as refused:
            async with opened(request) as current:
                return current.render(
                    "message.html",
                    status=refused.status,
                    title=refused.title,
                    text=refused.text,
                )

    return route


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def redirect(location: str) -> web.Response:
    """303 See Other, returned (not raised) so the page's transaction commits."""
    return web.Response(status=303, headers={"Location": location})


def secure(request: web.Request, services: Services) -> bool:
    """Cookies are Secure behind TLS: https here, at the proxy, or as the setting says."""
    settings = services.settings
    return (
        settings.web_secure_cookies
        or settings.web_url.lower().startswith("https://")
        or request.secure
        or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    )


def _cookie(
    response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=secure(request, request.app[SERVICES]),
        path="/",
    )


# --- logging in and out -----------------------------------------------------------------------

LOGIN_PROBLEMS = {
    LoginProblem.UNKNOWN: (
        404,
        N_("This login link does not work"),
        N_("The link is not known. Ask the bot for a new one: send /web in your chat."),
    ),
    LoginProblem.EXPIRED: (
        410,
        N_("This login link has expired"),
        N_("A login link works for 15 minutes. Ask the bot for a new one: send /web in your chat."),
    ),
    LoginProblem.USED: (
        410,
        N_("This login link was already used"),
        N_(
            "A login link works once. If that was not you, tell your coordinator. Ask the "
            "bot for a new one: send /web in your chat."
        ),
    ),
}


@page
async def login_page(current: Page) -> web.StreamResponse:
    token = current.request.match_info["token"]
    found = await check_login(current.session, token, current.now)
    if isinstance(found, LoginProblem):
        raise Refused(*LOGIN_PROBLEMS[found])
    check = secrets.token_urlsafe(24)
    response = current.render("login.html", token=token, check=check)
    _cookie(response, current.request, LOGIN_COOKIE, check, 15 * 60)
    return response


@page
async def login(current: Page) -> web.StreamResponse:
    data = await current.request.post()
    check = str(data.get("check", ""))
    cookie = current.request.cookies.get(LOGIN_COOKIE, "")
    if not check or not hmac.compare_digest(check.encode(), cookie.encode()):
        raise Refused(
            403,
            N_("This form has expired"),
            N_("Open the login link from the bot again and press the button."),
        )
    settings = current.services.settings
    used = await use_login(
        current.session,
        str(data.get("token", "")),
        current.now,
        hours=settings.web_session_hours,
        language=current.texts.lang,
    )
    if isinstance(used, LoginProblem):
        raise Refused(*LOGIN_PROBLEMS[used])
    cookie_value, row = used
    viewer = await Viewer.load(current.session, row)
    if not viewer.may_use_console:
        row.ended_at = current.now
        raise Refused(
            403,
            N_("The console is for coaches and programme managers"),
            N_("Your account has no role in the console (any more)."),
        )
    audit(
        current.session,
        actor_id=row.resident_id,
        action="web_login",
        subject="web_session",
        at=current.now,
        operator=row.operator,
    )
    response = redirect("/")
    _cookie(response, current.request, COOKIE, cookie_value, settings.web_session_hours * 3600)
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


@page
async def logout(current: Page) -> web.StreamResponse:
    await current.form()
    viewer = current.need_viewer()
    viewer.web_session.ended_at = current.now
    current.viewer = None
    response = current.render(
        "message.html",
        title=N_("You are logged out"),
        text=N_("See you next time. Ask the bot for a new link with /web."),
    )
    response.del_cookie(COOKIE, path="/")
    return response


@page
async def language(current: Page) -> web.StreamResponse:
    data = await current.form()
    viewer = current.need_viewer()
    chosen = str(data.get("language", ""))
    if chosen in SUPPORTED_LANGUAGES:
        viewer.web_session.language = chosen
    back = str(data.get("next", "/"))
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    return redirect(back)


@page
async def home(current: Page) -> web.StreamResponse:
    viewer = current.viewer
    if viewer is None or not viewer.may_use_console:
        return current.render(
            "message.html",
            title=N_("Buurbot's console"),
            text=N_(
                "For neighbourhood coaches and programme managers. To log in, send /web "
                "in your chat with Buurbot: you get a link that works once, for 15 minutes."
            ),
        )
    if viewer.operator or viewer.manager:
        return redirect("/programmes")
    return redirect("/portfolio")


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        async with services.db.transaction() as session:
            await session.execute(sql_text("SELECT 1"))
    except Exception:  # any database trouble: not healthy, and say no more
        return web.Response(status=503, text="database unavailable")
    return web.Response(text="ok")


# --- the coach's portfolio and an initiative --------------------------------------------------


@page
async def portfolio_page(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    if not (viewer.coach or viewer.operator):
        raise not_found()
    mine = await access.portfolio_of(current.session, viewer, current.now, current.services)
    return current.render("portfolio.html", portfolio=mine, phases=pages.phase_names(current.texts))


@page
async def initiative_page(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    initiative = await access.visible_initiative(current.session, viewer, _ident(current, "id"))
    if initiative is None:
        raise not_found()
    details = await pages.initiative_details(current.session, initiative, viewer, current.now)
    return current.render(
        "initiative.html",
        initiative=initiative,
        details=details,
        phases=pages.phase_names(current.texts),
        theme=pages.theme_name(current.texts, initiative.theme),
    )


async def _programme(current: Page, viewer: Viewer, ident: int) -> Programme:
    programme = await access.visible_programme(current.session, viewer, ident)
    if programme is None:
        raise not_found()
    return programme


def _ident(current: Page, name: str) -> int:
    try:
        value = int(current.request.match_info[name])
    except ValueError:
        raise not_found() from None
    if not 0 < value < 2**31:
        raise not_found()
    return value


# --- programmes -------------------------------------------------------------------------------


@page
async def programmes_page(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    if not (viewer.operator or viewer.manager):
        raise not_found()
    found = await visible_programmes(
        current.session, operator=viewer.operator, resident_id=viewer.resident_id
    )
    today = current.now.astimezone(current.tz).date()
    return current.render("programmes.html", programmes=found, today=today)


def _period(current: Page, programme: Programme) -> tuple[Period, str | None]:
    """The period asked for (?from=&to=, within the programme's), else its whole period."""
    query = current.request.query
    whole = Period.of(programme)
    if not query.get("from") and not query.get("to"):
        return whole, None
    try:
        chosen = Period(
            date.fromisoformat(query.get("from") or whole.start.isoformat()),
            date.fromisoformat(query.get("to") or whole.end.isoformat()),
        )
    except (ValueError, ProgrammeError):
        return whole, N_(
            "That period could not be read (a start after its end?): the whole programme "
            "period is shown."
        )
    # Within the programme's period: what lies outside it is not the programme's.
    start, end = max(chosen.start, whole.start), min(chosen.end, whole.end)
    if start > end:
        return whole, N_("That period lies outside the programme: its whole period is shown.")
    return Period(start, end), None


async def _dashboard(current: Page, *, printable: bool) -> web.StreamResponse:
    viewer = current.need_viewer()
    programme = await _programme(current, viewer, _ident(current, "id"))
    period, problem = _period(current, programme)
    settings = current.services.settings
    shown = await frozen_figures(
        current.session,
        programme,
        period,
        current.now,
        current.tz,
        quiet_days=settings.stall_days,
    )
    today = current.now.astimezone(current.tz).date()
    monthly = []
    for month in months(period):
        if month.start > today:
            break
        monthly.append(
            await frozen_figures(
                current.session,
                programme,
                month,
                current.now,
                current.tz,
                quiet_days=settings.stall_days,
            )
        )
    view = pages.dashboard(current.texts, programme, shown, monthly, settings.stall_days)
    choices = [Period.of(programme), *months(Period.of(programme))]
    return current.render(
        "dashboard.html",
        programme=programme,
        figures=shown,
        view=view,
        period=period,
        problem=problem,
        choices=choices,
        printable=printable,
        may_edit=access.may_edit(viewer, programme),
        phases=pages.phase_names(current.texts),
    )


@page
async def dashboard_page(current: Page) -> web.StreamResponse:
    return await _dashboard(current, printable=False)


@page
async def print_page(current: Page) -> web.StreamResponse:
    return await _dashboard(current, printable=True)


@page
async def export_csv(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    programme = await _programme(current, viewer, _ident(current, "id"))
    period, _problem = _period(current, programme)
    shown = await frozen_figures(
        current.session,
        programme,
        period,
        current.now,
        current.tz,
        quiet_days=current.services.policy.stall_days,
    )
    rows = pages.export_rows(current.texts, programme, shown)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows)
    audit(
        current.session,
        actor_id=viewer.resident_id,
        action="export",
        subject=f"programme:{programme.id}",
        at=current.now,
        via="web",
        operator=viewer.operator,
        period_from=period.start.isoformat(),
        period_to=period.end.isoformat(),
        rows=len(rows),
        frozen=shown.frozen,
    )
    name = f"programme-{programme.id}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return web.Response(
        body=out.getvalue().encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def attachment(name: str) -> str:
    """A Content-Disposition for a download: an ASCII name of letters, digits, dots and
    dashes only, and the full name percent-encoded (RFC 6266), so no text reaches the
    header as it was typed."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-.") or "buurbot"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(content: bytes, content_type: str, name: str) -> web.Response:
    return web.Response(
        body=content,
        content_type=content_type,
        charset="utf-8" if content_type.startswith("text/") else None,
        headers={"Content-Disposition": attachment(name)},
    )


# --- paper and calendar files of an action ----------------------------------------------------

PAPER = {"poster": poster_pdf, "letter": letter_pdf, "tally": tally_pdf}
PAPER_NAMES = {"poster": N_("poster"), "letter": N_("letter"), "tally": N_("tally")}


async def _action(current: Page) -> tuple[Action, Initiative]:
    """The action and its initiative, seen exactly as the initiative's page is seen."""
    viewer = current.need_viewer()
    action = await current.session.get(Action, _ident(current, "id"))
    if action is None:
        raise not_found()
    initiative = await access.visible_initiative(current.session, viewer, action.initiative_id)
    if initiative is None:
        raise not_found()
    return action, initiative


@page
async def action_paper(current: Page) -> web.StreamResponse:
    """An action's poster, door letter or tally sheet as a PDF (``?lang=en``: in English;
    else in Dutch, the language of the street's paper)."""
    kind = current.request.match_info["kind"]
    make = PAPER.get(kind)
    if make is None:
        raise not_found()
    action, initiative = await _action(current)
    if action.status is ActionStatus.CANCELLED and kind != "tally":
        raise Refused(
            409,
            N_("This action was cancelled"),
            N_("There is no poster or letter for a cancelled action."),
        )
    wanted = current.request.query.get("lang", "nl")
    lang = wanted if wanted in SUPPORTED_LANGUAGES else "nl"
    texts = texts_for(lang, current.services.settings.timezone)
    today = current.now.astimezone(current.tz).date()
    sheet = await sheets.action_sheet(
        current.session, current.services, action, initiative, texts, today=today
    )
    content = await asyncio.to_thread(make, sheet, texts)
    name = file_name(texts._(PAPER_NAMES[kind]), action.title)
    return download(content, "application/pdf", name)


@page
async def action_calendar(current: Page) -> web.StreamResponse:
    action, initiative = await _action(current)
    name, content = sheets.action_calendar(
        current.services, current.texts, action, initiative, now=current.now
    )
    return download(content, "text/calendar", name)


# --- the impact report ------------------------------------------------------------------------


@page
async def impact_report(current: Page) -> web.StreamResponse:
    """The programme's impact report over the dashboard's period, as PDF or CSV: the same
    report as ``buurbot report`` (bot/views/report.py), in the page's language."""
    kind = current.request.match_info["format"]
    viewer = current.need_viewer()
    programme = await _programme(current, viewer, _ident(current, "id"))
    period, _problem = _period(current, programme)
    try:  # ?factors=: a programme that reports with its own set (bot/domain/impact/factors.toml)
        factors = factor_set(current.request.query.get("factors") or None)
    except KeyError:
        raise not_found() from None
    data = await programme_report(
        current.session, programme, period, current.now, current.tz, factors
    )
    texts = current.texts
    if kind == "csv":
        content = report_csv(data, texts)
    else:
        content = await asyncio.to_thread(report_pdf, data, texts)
    audit(
        current.session,
        actor_id=viewer.resident_id,
        action="export",
        subject=f"programme:{programme.id}",
        at=current.now,
        via="web",
        operator=viewer.operator,
        report=kind,
        period_from=period.start.isoformat(),
        period_to=period.end.isoformat(),
        frozen=bool(data.get("frozen")),
    )
    name = f"report-{programme.id}-{period.start.isoformat()}-{period.end.isoformat()}.{kind}"
    return download(content, "text/csv" if kind == "csv" else "application/pdf", name)


def _form_values(programme: Programme | None, fields: ProgrammeFields | None) -> dict[str, Any]:
    """What the form shows: the programme's fields as text (or what was typed)."""
    if fields is None and programme is not None:
        fields = ProgrammeFields.of(programme)
    if fields is None:
        return {
            "name": "",
            "organisation": "",
            "starts_on": "",
            "ends_on": "",
            "themes": [],
            "kits": [],
            "targets": {},
            "areas": "",
            "key_dates": "",
            "public_text": "",
        }
    return {
        "name": fields.name,
        "organisation": fields.organisation,
        "starts_on": fields.starts_on.isoformat() if fields.starts_on else "",
        "ends_on": fields.ends_on.isoformat() if fields.ends_on else "",
        "themes": fields.themes,
        "kits": fields.kits,
        "targets": fields.targets,
        "areas": "\n".join(
            d.label().replace("–", "-") + (f"={d.households}" if d.households else "")
            for d in fields.areas
        ),
        "key_dates": "\n".join(f"{item['on']}={item['label']}" for item in fields.key_dates),
        "public_text": fields.public_text,
    }


def _listed(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    return [str(item) for item in (value if isinstance(value, list) else [value]) if item]


def _read_form(current: Page, data: dict[str, Any]) -> tuple[dict[str, Any], ProgrammeFields]:
    """The typed form (to show again) and the fields; ProgrammeError names what is wrong."""
    typed: dict[str, Any] = {
        "name": str(data.get("name", "")),
        "organisation": str(data.get("organisation", "")),
        "starts_on": str(data.get("starts_on", "")),
        "ends_on": str(data.get("ends_on", "")),
        "themes": _listed(data, "themes"),
        "kits": _listed(data, "kits"),
        "targets": {key: str(data.get(f"target_{key}", "")).strip() for key in METRICS},
        "areas": str(data.get("areas", "")),
        "key_dates": str(data.get("key_dates", "")),
        "public_text": str(data.get("public_text", "")),
    }
    try:
        starts = date.fromisoformat(typed["starts_on"])
        ends = date.fromisoformat(typed["ends_on"])
    except ValueError:
        raise ProgrammeError(N_("Give the first and the last day of the period.")) from None
    targets = {}
    for key, value in typed["targets"].items():
        if value:
            if not value.isdigit() or int(value) <= 0:
                raise ProgrammeError(
                    N_("A target is a positive whole number: {key}."),
                    key=current.texts._(METRICS[key].label),
                )
            targets[key] = int(value)
    fields = ProgrammeFields(
        name=typed["name"],
        organisation=typed["organisation"],
        starts_on=starts,
        ends_on=ends,
        themes=typed["themes"],
        areas=[parse_district(line) for line in typed["areas"].splitlines() if line.strip()],
        key_dates=[
            parse_key_date(line) for line in typed["key_dates"].splitlines() if line.strip()
        ],
        targets=targets,
        kits=typed["kits"],
        public_text=typed["public_text"],
    )
    return typed, fields


def _form_page(
    current: Page,
    programme: Programme | None,
    values: dict[str, Any],
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    viewer = current.need_viewer()
    return current.render(
        "programme_form.html",
        status=status,
        programme=programme,
        values=values,
        error=error,
        metrics=METRICS,
        themes=[(theme.value, pages.theme_name(current.texts, theme)) for theme in Theme],
        kits=pages.kit_choices(current.texts.lang),
        organisations=None if viewer.operator else viewer.organisations,
    )


@page
async def new_programme(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    if not (viewer.operator or viewer.manager):
        raise not_found()
    if current.request.method == "GET":
        values = _form_values(None, None)
        if viewer.organisations:
            values["organisation"] = viewer.organisations[0]
        return _form_page(current, None, values)
    data = await current.form()
    typed: dict[str, Any] = dict(data)
    try:
        typed, fields = _read_form(current, data)
        access.check_organisation(viewer, fields.organisation)
        programme = await create_programme(
            current.session, fields, current.now, actor_id=viewer.resident_id, via="web"
        )
    except ProgrammeError as error:
        return _form_page(current, None, typed, error.text(current.texts), status=422)
    return redirect(f"/programmes/{programme.id}")


@page
async def edit_programme(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    programme = await _programme(current, viewer, _ident(current, "id"))
    if not access.may_edit(viewer, programme):
        raise not_found()
    if current.request.method == "GET":
        return _form_page(current, programme, _form_values(programme, None))
    data = await current.form()
    typed: dict[str, Any] = dict(data)
    try:
        typed, fields = _read_form(current, data)
        access.check_organisation(viewer, fields.organisation)
        await update_programme(
            current.session,
            programme,
            fields,
            current.now,
            actor_id=viewer.resident_id,
            via="web",
        )
    except ProgrammeError as error:
        return _form_page(current, programme, typed, error.text(current.texts), status=422)
    return redirect(f"/programmes/{programme.id}")


# --- the campaign calendar --------------------------------------------------------------------


@page
async def campaign_page(current: Page) -> web.StreamResponse:
    viewer = current.need_viewer()
    programme = await _programme(current, viewer, _ident(current, "id"))
    error = None
    typed: dict[str, Any] = {"date": "", "time": "10:00", "text": "", "link": "", "label": ""}
    status = 200
    if current.request.method == "POST":
        if not access.may_edit(viewer, programme):
            raise not_found()
        data = await current.form()
        typed = {key: str(data.get(key, "")) for key in typed}
        try:
            item = await pages.add_campaign_item(current, programme, typed)
        except ProgrammeError as problem:
            error = problem.text(current.texts)
            status = 422
        else:
            return redirect(f"/campaign/{item.id}")
    items = await pages.campaign_items(current.session, programme)
    return current.render(
        "campaign.html",
        status=status,
        programme=programme,
        items=items,
        typed=typed,
        error=error,
        may_edit=access.may_edit(viewer, programme),
        statuses=pages.campaign_status_names(current.texts),
    )


async def _item(current: Page) -> tuple[Viewer, CampaignItem, Programme]:
    viewer = current.need_viewer()
    item = await current.session.get(CampaignItem, _ident(current, "id"))
    if item is None:
        raise not_found()
    programme = await _programme(current, viewer, item.programme_id)
    return viewer, item, programme


@page
async def campaign_item_page(current: Page) -> web.StreamResponse:
    viewer, item, programme = await _item(current)
    details = await pages.campaign_details(current, programme, item)
    return current.render(
        "campaign_item.html",
        programme=programme,
        item=item,
        details=details,
        may_edit=access.may_edit(viewer, programme),
        statuses=pages.campaign_status_names(current.texts),
        draft=CampaignStatus.DRAFT,
    )


@page
async def campaign_approve(current: Page) -> web.StreamResponse:
    viewer, item, programme = await _item(current)
    if not access.may_edit(viewer, programme):
        raise not_found()
    await current.form()
    try:
        await approve_item(
            current.session, item, current.now, actor_id=viewer.resident_id, via="web"
        )
    except ProgrammeError as error:
        raise Refused(409, N_("Not approved"), error.msgid) from None
    return redirect(f"/campaign/{item.id}")


@page
async def campaign_cancel(current: Page) -> web.StreamResponse:
    viewer, item, programme = await _item(current)
    if not access.may_edit(viewer, programme):
        raise not_found()
    await current.form()
    await cancel_item(current.session, item, current.now, actor_id=viewer.resident_id, via="web")
    return redirect(f"/campaign/{item.id}")


# --- the application --------------------------------------------------------------------------


def create_app(services: Services) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=256 * 1024)
    app[SERVICES] = services
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    routes = app.router
    routes.add_get("/healthz", healthz)
    routes.add_get("/", home)
    routes.add_get("/login/{token}", login_page)
    routes.add_post("/login", login)
    routes.add_post("/logout", logout)
    routes.add_post("/language", language)
    routes.add_get("/portfolio", portfolio_page)
    routes.add_get("/initiatives/{id}", initiative_page)
    routes.add_get("/programmes", programmes_page)
    routes.add_route("*", "/programmes/new", new_programme)
    routes.add_get("/programmes/{id}", dashboard_page)
    routes.add_get("/programmes/{id}/print", print_page)
    routes.add_get("/programmes/{id}/export.csv", export_csv)
    routes.add_get("/programmes/{id}/report.{format:pdf|csv}", impact_report)
    routes.add_get("/actions/{id}/{kind:poster|letter|tally}.pdf", action_paper)
    routes.add_get("/actions/{id}/calendar.ics", action_calendar)
    routes.add_route("*", "/programmes/{id}/edit", edit_programme)
    routes.add_route("*", "/programmes/{id}/campaign", campaign_page)
    routes.add_get("/campaign/{id}", campaign_item_page)
    routes.add_post("/campaign/{id}/approve", campaign_approve)
    routes.add_post("/campaign/{id}/cancel", campaign_cancel)
    routes.add_static("/static", STATIC)
    return app


async def freeze_loop(services: Services) -> None:
    """Every hour: the periods that ended are frozen (see bot.domain.programmes)."""
    while True:
        try:
            async with services.db.transaction() as session:
                await freeze_closed_periods(
                    session,
                    services.clock.now(),
                    services.settings.tz,
                    quiet_days=services.policy.stall_days,
                )
        except Exception:  # the next hour tries again; the pages freeze on first view too
            log.exception("freezing the closed periods failed")
        await asyncio.sleep(FREEZE_EVERY)


async def run_web(settings: Any, host: str, port: int) -> int:
    services = bootstrap(settings)
    await services.db.migrate()
    app = create_app(services)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    freezer = asyncio.create_task(freeze_loop(services))
    print(f"buurbot: the web console listens on http://{host}:{port} ({settings.web_url})")
    try:
        await asyncio.Event().wait()
    finally:
        freezer.cancel()
        await runner.cleanup()
        await services.db.close()
    return 0


__all__ = ["create_app", "run_web"]
