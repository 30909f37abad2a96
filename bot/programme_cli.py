"""The operator's commands for programmes and the web console.

    buurbot programme create --name "NK Tegelwippen Eindhoven" --organisation "Gemeente Eindhoven"
                             --start 2027-03-21 --end 2027-10-31 --area 5611-5658=42000
                             [--area "Woensel-Noord=12000"] [--theme greener] [--kit tile-lifting]
                             [--key-date 2027-03-21=Start] [--target initiatives_started=20]
                             [--public-text "Eindhoven doet mee aan het NK Tegelwippen: …"]
    buurbot programme list
    buurbot programme show ID
    buurbot programme edit ID [any of the fields above; --clear-areas, --clear-themes, …]
    buurbot programme manager add --telegram-id N --organisation "Gemeente Eindhoven" [--name X]
    buurbot programme manager list
    buurbot programme manager remove --telegram-id N [--organisation …]
    buurbot web [--host H] [--port P]          the web console (web/)
    buurbot web login-link --operator          a one-time login link for the operator

Like the other operator commands (bot/operator.py), whoever runs them on the server is
the operator; every change is written to the audit log with ``via: cli``.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from bot.operator import THEMES, Operator

PROGRAMME_COMMANDS = ("programme", "web")


def add_programme_commands(subparsers: Any) -> None:
    from bot.domain.programmes import METRICS

    programme = subparsers.add_parser("programme", help="programmes of municipalities, provinces")
    actions = programme.add_subparsers(
        dest="programme_command", metavar="{create,list,show,edit,manager}"
    )
    actions.required = True
    area_help = (
        'a postcode range "5611-5658" or a district name "Woensel-Noord", optionally with '
        'its number of households: "5611-5658=42000"; repeatable'
    )

    def fields(parser: argparse.ArgumentParser, *, creating: bool) -> None:
        parser.add_argument("--name", required=creating)
        parser.add_argument("--organisation", required=creating, help="the owner, on materials")
        parser.add_argument("--start", required=creating, help="first day, 2027-03-21")
        parser.add_argument("--end", required=creating, help="last day, 2027-10-31")
        parser.add_argument("--area", action="append", default=[], help=area_help)
        parser.add_argument("--theme", action="append", default=[], choices=THEMES)
        parser.add_argument("--kit", action="append", default=[], help="a kit id; repeatable")
        parser.add_argument(
            "--key-date", action="append", default=[], help='"2027-03-21=Start"; repeatable'
        )
        parser.add_argument(
            "--target",
            action="append",
            default=[],
            help=f"metric=number; metrics: {', '.join(METRICS)}; repeatable",
        )
        parser.add_argument(
            "--public-text", default=None, help="what residents read about the programme"
        )

    create = actions.add_parser("create", help="set up a programme")
    fields(create, creating=True)
    actions.add_parser("list", help="every programme")
    show = actions.add_parser("show", help="a programme, its figures and calendar")
    show.add_argument("id", type=int)
    edit = actions.add_parser("edit", help="change a programme (given lists replace the old)")
    edit.add_argument("id", type=int)
    fields(edit, creating=False)
    for name in ("themes", "kits", "key-dates", "targets"):
        edit.add_argument(f"--clear-{name}", action="store_true", help=f"remove all {name}")

    manager = actions.add_parser("manager", help="the programme managers of an organisation")
    roles = manager.add_subparsers(dest="manager_command", metavar="{add,list,remove}")
    roles.required = True
    add = roles.add_parser("add", help="a Telegram user sees an organisation's programmes")
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--organisation", required=True)
    add.add_argument("--name", default=None, help="the name to show until they write to the bot")
    roles.add_parser("list", help="every programme manager")
    remove = roles.add_parser("remove", help="no longer a programme manager")
    remove.add_argument("--telegram-id", type=int, required=True)
    remove.add_argument("--organisation", default=None, help="only this organisation")

    web = subparsers.add_parser("web", help="the web console for coaches and programmes")
    web.add_argument("--host", default="127.0.0.1", help="listen address")
    web.add_argument("--port", type=int, default=8090, help="listen port")
    web_actions = web.add_subparsers(dest="web_command", metavar="{login-link}")
    link = web_actions.add_parser("login-link", help="print a one-time login link")
    link.add_argument("--operator", action="store_true", required=True)


async def run_programme_command(
    settings: Any, args: argparse.Namespace, *, services: Any = None, **streams: Any
) -> int:
    import sys

    from bot.app import bootstrap

    own = services is None
    services = services or bootstrap(settings)
    operator = Operator(
        services,
        stdin=streams.get("stdin") or sys.stdin,
        stdout=streams.get("stdout") or sys.stdout,
        stderr=streams.get("stderr") or sys.stderr,
    )
    try:
        await services.db.migrate()
        if args.command == "web":
            return await _login_link(operator)
        command = args.programme_command
        if command == "create":
            return await _create(operator, args)
        if command == "list":
            return await _list(operator)
        if command == "show":
            return await _show(operator, args.id)
        if command == "edit":
            return await _edit(operator, args)
        if command == "manager":
            return await _manager(operator, args)
        return operator.fail(f"unknown programme command {command!r}", 2)
    finally:
        if own:
            await services.db.close()


def _date(operator: Operator, flag: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        operator.fail(f"{flag} {text!r} is not a date: write it like 2027-03-21", 2)
        return None


def _lists(operator: Operator, args: argparse.Namespace) -> dict[str, Any] | None:
    from bot.domain.programmes import ProgrammeError, parse_district, parse_key_date, parse_target

    try:
        return {
            "areas": [parse_district(text) for text in args.area],
            "key_dates": [parse_key_date(text) for text in args.key_date],
            "targets": dict(parse_target(text) for text in args.target),
        }
    except ProgrammeError as error:
        operator.fail(str(error), 2)
        return None


async def _create(operator: Operator, args: argparse.Namespace) -> int:
    from bot.domain.programmes import ProgrammeError, ProgrammeFields, create_programme

    start = _date(operator, "--start", args.start)
    end = _date(operator, "--end", args.end)
    lists = _lists(operator, args)
    if start is None or end is None or lists is None:
        return 2
    fields = ProgrammeFields(
        name=args.name,
        organisation=args.organisation,
        starts_on=start,
        ends_on=end,
        themes=list(args.theme),
        kits=list(args.kit),
        public_text=args.public_text or "",
        **lists,
    )
    async with operator.services.db.transaction() as session:
        try:
            programme = await create_programme(
                session, fields, operator.now(), actor_id=None, via="cli"
            )
        except ProgrammeError as error:
            return operator.fail(str(error), 2)
        operator.audit(session, "programme_created_by_operator", f"programme:{programme.id}")
    operator.say(
        f"Programme #{programme.id} {programme.name} ({programme.organisation}) is set up."
    )
    operator.say(f"See it with: buurbot programme show {programme.id}")
    return 0


async def _edit(operator: Operator, args: argparse.Namespace) -> int:
    from bot.domain.programmes import ProgrammeError, ProgrammeFields, update_programme
    from storage.models import Programme

    lists = _lists(operator, args)
    if lists is None:
        return 2
    async with operator.services.db.transaction() as session:
        programme = await session.get(Programme, args.id)
        if programme is None:
            return operator.fail(f"there is no programme #{args.id}")
        fields = ProgrammeFields.of(programme)
        for name in ("name", "organisation", "public_text"):
            if getattr(args, name) is not None:
                setattr(fields, name, getattr(args, name))
        for flag, name in (("--start", "starts_on"), ("--end", "ends_on")):
            text = getattr(args, flag[2:])
            if text is not None:
                value = _date(operator, flag, text)
                if value is None:
                    return 2
                setattr(fields, name, value)
        if args.area:
            fields.areas = lists["areas"]
        for name, given in (
            ("themes", list(args.theme)),
            ("kits", list(args.kit)),
            ("key_dates", lists["key_dates"]),
            ("targets", lists["targets"]),
        ):
            if getattr(args, f"clear_{name}"):
                setattr(fields, name, type(getattr(fields, name))())
            if given:
                setattr(fields, name, given)
        try:
            changed = await update_programme(
                session, programme, fields, operator.now(), actor_id=None, via="cli"
            )
        except ProgrammeError as error:
            return operator.fail(str(error), 2)
        if changed:
            operator.audit(
                session, "programme_edited_by_operator", f"programme:{programme.id}", fields=changed
            )
    if changed:
        operator.say(f"Programme #{programme.id}: changed {', '.join(changed)}.")
    else:
        operator.say(f"Programme #{programme.id}: nothing changed.")
    return 0


async def _list(operator: Operator) -> int:
    from bot.domain.programmes import visible_programmes

    async with operator.services.db.transaction() as session:
        found = await visible_programmes(session, operator=True, resident_id=None)
    if not found:
        operator.say("There are no programmes yet. Set one up with: buurbot programme create …")
        return 0
    operator.say(f"{'id':>4}  {'period':23}  {'organisation':24}  name")
    for programme in found:
        period = f"{programme.starts_on} – {programme.ends_on}"
        operator.say(
            f"{programme.id:>4}  {period:23}  {programme.organisation[:24]:24}  {programme.name}"
        )
    return 0


async def _show(operator: Operator, ident: int) -> int:
    from sqlmodel import select

    from bot.domain.programme_figures import frozen_figures, shown_count
    from bot.domain.programmes import METRICS, Period, districts
    from bot.i18n import texts_for
    from storage.models import CampaignItem, Programme

    settings = operator.services.settings
    texts = texts_for("en", settings.timezone)
    async with operator.services.db.transaction() as session:
        programme = await session.get(Programme, ident)
        if programme is None:
            return operator.fail(f"there is no programme #{ident}")
        found = await frozen_figures(
            session,
            programme,
            Period.of(programme),
            operator.now(),
            settings.tz,
            quiet_days=settings.stall_days,
        )
        items = (
            (
                await session.execute(
                    select(CampaignItem)
                    .where(CampaignItem.programme_id == ident)
                    .order_by(CampaignItem.send_at)  # type: ignore[arg-type]
                )
            )
            .scalars()
            .all()
        )
    say = operator.say
    say(f"Programme #{programme.id}: {programme.name}")
    say(f"  organisation:  {programme.organisation}")
    say(f"  period:        {programme.starts_on} – {programme.ends_on}")
    say(f"  themes:        {', '.join(programme.themes) or '–'}")
    areas = [
        d.label() + (f" ({d.households} households)" if d.households else "")
        for d in districts(programme)
    ]
    say(f"  areas:         {', '.join(areas)}")
    say(f"  kits:          {', '.join(programme.kits) or '–'}")
    say(f"  for residents: {programme.public_text or '–'}")
    for key_date in programme.key_dates:
        say(f"  key date:      {key_date['on']} {key_date['label']}")
    state = "frozen" if found.frozen else f"live, computed {found.computed_at}"
    say(f"Figures over {found.period_from} – {found.period_to} ({state}; under 5 shown as < 5):")
    for key, metric in METRICS.items():
        target = programme.targets.get(key)
        goal = f" of target {target}" if target else ""
        say(f"  {texts._(metric.label) + ':':24} {shown_count(found.values.get(key, 0))}{goal}")
    say(f"Campaign calendar: {len(items)} announcement(s)")
    for item in items:
        say(
            f"  {item.send_at.astimezone(settings.tz):%Y-%m-%d %H:%M}  {item.status.value:9}  "
            + " ".join(item.text.split())[:60]
        )
    return 0


async def _manager(operator: Operator, args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.domain.programmes import ProgrammeError, add_manager, remove_manager
    from bot.operator import _resident, _who
    from storage.models import ProgrammeManager, Resident

    command = args.manager_command
    settings = operator.services.settings
    async with operator.services.db.transaction() as session:
        if command == "list":
            rows = (
                await session.execute(
                    select(ProgrammeManager, Resident)
                    .join(Resident, Resident.id == ProgrammeManager.resident_id)  # type: ignore[arg-type]
                    .order_by(ProgrammeManager.organisation, Resident.id)  # type: ignore[arg-type]
                )
            ).all()
            if not rows:
                operator.say(
                    "There are no programme managers yet. Add one with: "
                    "buurbot programme manager add --telegram-id N --organisation …"
                )
            for row, person in rows:
                operator.say(f"{row.organisation}: {_who(person)}")
            return 0
        if args.telegram_id <= 0:
            return operator.fail("--telegram-id is the positive number of a Telegram user", 2)
        person = await _resident(session, args.telegram_id)
        if command == "add":
            if person is None:
                name = " ".join((args.name or "Manager").split())[:64] or "Manager"
                person = Resident(
                    telegram_id=args.telegram_id,
                    first_name=name,
                    language=settings.default_language,
                    timezone=settings.timezone,
                    created_at=operator.now(),
                    last_seen_at=operator.now(),
                )
                session.add(person)
                await session.flush()
            try:
                new = await add_manager(
                    session, person, args.organisation, operator.now(), actor_id=None, via="cli"
                )
            except ProgrammeError as error:
                return operator.fail(str(error), 2)
            operator.audit(session, "programme_manager_added_by_operator", f"resident:{person.id}")
            where = " ".join(args.organisation.split())
            if new:
                operator.say(f"{_who(person)} is a programme manager for {where}.")
                operator.say("They ask the bot for a login link with /web.")
            else:
                operator.say(f"{_who(person)} was already a programme manager for {where}.")
            return 0
        if person is None:
            return operator.fail(f"telegram id {args.telegram_id} is not a programme manager")
        gone = await remove_manager(
            session, person, args.organisation, operator.now(), actor_id=None, via="cli"
        )
        if not gone:
            return operator.fail(f"telegram id {args.telegram_id} is not a programme manager")
        operator.audit(session, "programme_manager_removed_by_operator", f"resident:{person.id}")
        await _end_sessions(session, person.id, operator.now())
    operator.say(f"{_who(person)} is no longer a programme manager ({gone} organisation(s)).")
    return 0


async def _end_sessions(session: Any, resident_id: int | None, now: Any) -> None:
    """Their open web sessions end: what they may see is read at every request anyway."""
    from web.auth import end_sessions_of

    await end_sessions_of(session, resident_id, now)


async def _login_link(operator: Operator) -> int:
    from web.auth import issue_login

    async with operator.services.db.transaction() as session:
        url = await issue_login(
            session, operator.services.settings, resident_id=None, operator=True, now=operator.now()
        )
        operator.audit(session, "web_login_link", "operator")
    operator.say("A one-time login link for the operator, valid for 15 minutes:")
    operator.say(url)
    return 0
