"""The operator's commands: coaches, a broadcast from the shell, and the data export.

    buurbot coach add --telegram-id N [--area 1000-1099] [--area "Oud-West"] [--name Carla]
    buurbot coach invite [--area ...]       prints a one-time link t.me/<bot>?start=coach-<token>
    buurbot coach list
    buurbot coach remove --telegram-id N    their initiatives (and support threads) go to
                                            another coach of the area, or the operators
    buurbot coach assign --initiative ID --telegram-id N
    buurbot broadcast --text "..." [--link URL [--link-label "Sign up"]]
                      [--area ...] [--theme T] [--phase P] [--role all|initiators|team]
                      [--reach people|both|groups] [--yes] [--dry-run]
    buurbot export --out initiatives.csv

Whoever can run these commands on the server is the operator: they are authorised by
access to the machine and its database, not by a Telegram account, and every one of
them is written to the audit log (actor empty, ``via: cli`` and the system user).

A broadcast shows the announcement as residents will see it and the exact number of
recipients, asks y/N (unless --yes), then sends through the Telegram runtime's Sender
(BUURBOT_TELEGRAM_TOKEN), paced like the bot itself, with a progress bar (tqdm) on stderr,
and prints the report counted from the rows. Without a token it refuses, except with
--dry-run, which only counts. Ctrl-C while sending cancels what was not sent yet.
Recipients whose quiet hours it is get it in the morning, from the running bot.

bot/cli.py wires these in with ``add_operator_commands`` and ``run_operator_command``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import secrets
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.core.config import Settings
    from bot.core.seam import Sender
    from bot.core.services import Network, Services
    from scheduler.pacing import Pacer

OPERATOR_COMMANDS = ("coach", "broadcast", "export")
THEMES = (
    "energy_saving",
    "collective_purchase",
    "heat_transition",
    "greener",
    "safer",
    "sociable",
    "omgevingswet",
    "other",
)
PHASES = ("initiate", "activate", "structure", "grow", "sustain")
EXPORT_COLUMNS = (
    "id",
    "title",
    "theme",
    "phase",
    "place",
    "postcode_area",
    "team_size",
    "members",
    "actions_planned",
    "actions_held",
    "households_reached",
    "households_interested",
    "households_committed",
    "last_activity",
)


def add_operator_commands(subparsers: Any) -> None:
    """Add `coach`, `broadcast` and `export` to the `buurbot` command's sub-parsers."""
    coach = subparsers.add_parser("coach", help="manage the neighbourhood coaches")
    actions = coach.add_subparsers(dest="coach_command", metavar="{add,invite,list,remove,assign}")
    actions.required = True
    area_help = 'a postcode range "1000-1099", one postcode "3511", or a neighbourhood name'

    add = actions.add_parser("add", help="make a Telegram user a coach, with areas")
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--area", action="append", default=[], help=f"{area_help}; repeatable")
    add.add_argument("--name", default=None, help="the name to show until they write to the bot")

    invite = actions.add_parser("invite", help="print a one-time link that makes someone a coach")
    invite.add_argument("--area", action="append", default=[], help=f"{area_help}; repeatable")

    actions.add_parser("list", help="the coaches, their areas and initiatives")

    remove = actions.add_parser("remove", help="a coach is no longer a coach")
    remove.add_argument("--telegram-id", type=int, required=True)

    assign = actions.add_parser("assign", help="give an initiative to another coach")
    assign.add_argument("--initiative", type=int, required=True)
    assign.add_argument("--telegram-id", type=int, required=True)

    broadcast = subparsers.add_parser(
        "broadcast", help="send an announcement to the residents who opted in"
    )
    broadcast.add_argument("--text", required=True, help="the announcement (at most 3500)")
    broadcast.add_argument("--link", default=None, help="an http(s) address for a button")
    broadcast.add_argument("--link-label", default=None, help="the button's label")
    broadcast.add_argument("--area", action="append", default=[], help=f"{area_help}; repeatable")
    broadcast.add_argument("--theme", choices=THEMES, default=None)
    broadcast.add_argument("--phase", choices=PHASES, default=None)
    broadcast.add_argument("--role", choices=("all", "initiators", "team"), default="all")
    broadcast.add_argument("--reach", choices=("people", "both", "groups"), default="people")
    broadcast.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    broadcast.add_argument("--dry-run", action="store_true", help="only show and count")

    export = subparsers.add_parser("export", help="the initiatives and their figures as CSV")
    export.add_argument("--out", required=True, help="the CSV file to write")


class Operator:
    """One operator command: its services, where it prints, and how it sends."""

    def __init__(
        self,
        services: Services,
        *,
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
        sender: Sender | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.services = services
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.sender = sender
        self.pacer = pacer

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def fail(self, text: str, code: int = 1) -> int:
        print(f"buurbot: {text}", file=self.stderr, flush=True)
        return code

    def now(self) -> datetime:
        return self.services.clock.now()

    def audit(self, session: Any, action: str, subject: str, **details: Any) -> None:
        from bot.domain.audit import audit

        audit(
            session,
            actor_id=None,
            action=action,
            subject=subject,
            at=self.now(),
            via="cli",
            os_user=_os_user(),
            **details,
        )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


async def run_operator_command(
    settings: Settings,
    args: argparse.Namespace,
    *,
    services: Services | None = None,
    sender: Sender | None = None,
    pacer: Pacer | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run `buurbot coach|broadcast|export`; the exit code. Tests pass services and a sender."""
    from bot.app import bootstrap

    own = services is None
    services = services or bootstrap(settings)
    operator = Operator(
        services,
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        stderr=stderr or sys.stderr,
        sender=sender,
        pacer=pacer,
    )
    try:
        await services.db.migrate()
        if args.command == "coach":
            return await _coach(operator, args)
        if args.command == "broadcast":
            return await _broadcast(operator, settings, args)
        if args.command == "export":
            return await _export(operator, Path(args.out))
        return operator.fail(f"unknown command {args.command!r}", 2)
    finally:
        if own:
            await services.db.close()


# --- coaches ----------------------------------------------------------------------------------


def _areas(operator: Operator, texts: list[str]) -> list | None:
    from bot.domain.coaches import AreaError, parse_area

    areas = []
    for text in texts:
        try:
            areas.append(parse_area(text))
        except AreaError as error:
            operator.fail(f"--area {text!r}: {error}", 2)
            return None
    return areas


async def _resident(session: Any, telegram_id: int) -> Any:
    from sqlmodel import select

    from storage.models import Resident

    result = await session.execute(select(Resident).where(Resident.telegram_id == telegram_id))
    return result.scalar_one_or_none()


def _who(person: Any) -> str:
    return f"{person.display_name} (telegram id {person.telegram_id})"


async def _coach(operator: Operator, args: argparse.Namespace) -> int:
    command = args.coach_command
    if command == "add":
        return await _coach_add(operator, args)
    if command == "invite":
        return await _coach_invite(operator, args)
    if command == "list":
        return await _coach_list(operator)
    if command == "remove":
        return await _coach_remove(operator, args)
    if command == "assign":
        return await _coach_assign(operator, args)
    return operator.fail(f"unknown coach command {command!r}", 2)


async def _coach_add(operator: Operator, args: argparse.Namespace) -> int:
    from bot.domain.coaches import make_coach
    from storage.models import Resident

    areas = _areas(operator, args.area)
    if areas is None:
        return 2
    if args.telegram_id <= 0:
        return operator.fail("--telegram-id is the positive number of a Telegram user", 2)
    settings = operator.services.settings
    async with operator.services.db.transaction() as session:
        person = await _resident(session, args.telegram_id)
        if person is None:
            name = " ".join((args.name or "Coach").split())[:64] or "Coach"
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
        taken = await make_coach(session, person, areas, operator.now(), actor_id=None, via="cli")
        operator.audit(
            session,
            "coach_added_by_operator",
            f"resident:{person.id}",
            areas=[area.as_json() for area in areas],
        )
        where = ", ".join(area.label() for area in areas) or "no area"
        operator.say(f"{_who(person)} is a coach for: {where}.")
        if taken:
            operator.say(
                f"Took over {len(taken)} initiative(s) without a coach: "
                + ", ".join(f"#{initiative.id} {initiative.title}" for initiative in taken)
            )
    return 0


async def _coach_invite(operator: Operator, args: argparse.Namespace) -> int:
    from storage.models import CoachInvite

    areas = _areas(operator, args.area)
    if areas is None:
        return 2
    token = secrets.token_urlsafe(18)
    async with operator.services.db.transaction() as session:
        invite = CoachInvite(
            token=token, areas=[area.as_json() for area in areas], created_at=operator.now()
        )
        session.add(invite)
        await session.flush()
        operator.audit(
            session,
            "coach_invited",
            f"coach_invite:{invite.id}",
            areas=[area.as_json() for area in areas],
        )
    where = ", ".join(area.label() for area in areas) or "no area yet"
    operator.say(f"A one-time link that makes whoever opens it a coach for: {where}.")
    operator.say(operator.services.deep_link(f"coach-{token}"))
    operator.say("Send it to one person only: it works once.")
    return 0


async def _coach_list(operator: Operator) -> int:
    from sqlalchemy import func
    from sqlmodel import col, select

    from bot.domain.coaches import coaches
    from storage.models import SupportRequest

    async with operator.services.db.transaction() as session:
        found = await coaches(session)
        waiting: Counter[int | None] = Counter(
            dict(
                (
                    await session.execute(
                        select(SupportRequest.coach_id, func.count())
                        .where(col(SupportRequest.answered_at).is_(None))
                        .group_by(col(SupportRequest.coach_id))
                    )
                ).all()
            )
        )
    if not found:
        operator.say("There are no coaches yet. Add one with: buurbot coach add --telegram-id N")
        return 0
    operator.say(
        f"{'telegram id':>12}  {'name':20}  {'role':8}  {'initiatives':>11}  {'open':>4}  areas"
    )
    for person, areas, load in found:
        operator.say(
            f"{person.telegram_id:>12}  {person.display_name[:20]:20}  {person.role.value:8}  "
            f"{load:>11}  {waiting.get(person.id, 0):>4}  "
            + (", ".join(area.label() for area in areas) or "–")
        )
    return 0


async def _coach_remove(operator: Operator, args: argparse.Namespace) -> int:
    from bot.domain.coaches import areas_of, remove_coach
    from storage.models import PersonRole

    async with operator.services.db.transaction() as session:
        person = await _resident(session, args.telegram_id)
        if person is None or (
            person.role is not PersonRole.COACH and not await areas_of(session, person.id)
        ):
            return operator.fail(f"telegram id {args.telegram_id} is not a coach")
        moved = await remove_coach(session, person, operator.now(), actor_id=None, via="cli")
        operator.audit(session, "coach_removed_by_operator", f"resident:{person.id}")
        operator.say(f"{_who(person)} is no longer a coach.")
        for initiative, successor in moved:
            to = _who(successor) if successor is not None else "no coach (none in that area)"
            operator.say(f"  #{initiative.id} {initiative.title} → {to}")
        operator.say(
            "Their support conversations went along (to the operators where there is no "
            "coach); the residents are told who answers now. Their old buttons no longer work."
        )
    return 0


async def _coach_assign(operator: Operator, args: argparse.Namespace) -> int:
    from bot.domain.coaches import assign
    from storage.models import Initiative, PersonRole

    async with operator.services.db.transaction() as session:
        initiative = await session.get(Initiative, args.initiative)
        if initiative is None:
            return operator.fail(f"there is no initiative #{args.initiative}")
        person = await _resident(session, args.telegram_id)
        if person is None or person.role is PersonRole.RESIDENT:
            return operator.fail(
                f"telegram id {args.telegram_id} is not a coach; "
                "add them first with: buurbot coach add --telegram-id N"
            )
        await assign(session, initiative, person, operator.now(), actor_id=None, via="cli")
        operator.audit(
            session,
            "coach_assigned_by_operator",
            f"initiative:{initiative.id}",
            coach_id=person.id,
        )
        operator.say(f"#{initiative.id} {initiative.title} is now coached by {_who(person)}.")
        operator.say("Its support conversations went along; the residents are told.")
    return 0


# --- a broadcast from the shell -------------------------------------------------------------------


def _audience(operator: Operator, args: argparse.Namespace) -> Any:
    from bot.domain.broadcasts import Audience, Reach, Who
    from storage.models import Phase, Theme

    areas = _areas(operator, args.area)
    if areas is None:
        return None
    return Audience(
        areas=tuple(areas),
        theme=Theme(args.theme) if args.theme else None,
        phase=Phase(args.phase) if args.phase else None,
        who=Who(args.role),
        reach=Reach(args.reach),
    )


def _preview(settings: Settings, args: argparse.Namespace) -> str:
    from bot.i18n import texts_for
    from bot.runtimes.recording import plain
    from bot.views.announcements import announcement

    texts = texts_for(settings.default_language, settings.timezone)
    text, keyboard = announcement(
        texts, text=args.text, link_url=args.link, link_label=args.link_label, author=None
    )
    lines = [plain(text)]
    for row in keyboard:
        for button in row:
            lines.append(f"[ {button.label} ]" + (f" → {button.url}" if button.url else ""))
    return "\n".join(lines)


async def _broadcast(operator: Operator, settings: Settings, args: argparse.Namespace) -> int:
    from bot.domain.broadcasts import TEXT_MAX, LinkError, check_link, select_recipients, start

    text = args.text.strip()
    if len(text) < 3 or len(text) > TEXT_MAX:
        return operator.fail(f"--text must have 3 to {TEXT_MAX} characters", 2)
    if args.link:
        try:
            args.link = check_link(args.link)
        except LinkError:
            return operator.fail(f"--link {args.link!r} is not an http(s) address", 2)
    elif args.link_label:
        return operator.fail("--link-label needs --link", 2)
    if args.link_label and len(args.link_label) > 60:
        return operator.fail("--link-label has at most 60 characters", 2)
    audience = _audience(operator, args)
    if audience is None:
        return 2
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not args.dry_run and operator.sender is None and not token:
        return operator.fail(
            "a broadcast is sent through Telegram, and BUURBOT_TELEGRAM_TOKEN is not set. "
            "Set it, or add --dry-run to only see the preview and count the recipients.",
            2,
        )
    async with operator.services.db.transaction() as session:
        recipients = await select_recipients(session, audience)
    operator.say("--- the announcement, as residents see it ---")
    operator.say(_preview(settings, args))
    operator.say("---")
    operator.say(
        f"Recipients: {len(recipients.resident_ids)} people"
        + (f" and {len(recipients.chat_ids)} street groups" if recipients.chat_ids else "")
        + " (only residents who opted in to announcements, and can be reached)."
    )
    if args.dry_run:
        operator.say("Dry run: nothing was sent.")
        return 0
    if not recipients.count:
        return operator.fail("nobody to send to: no one in this audience opted in")
    if not args.yes:
        print(f"Send it to {recipients.count} recipients? [y/N] ", end="", file=operator.stdout)
        operator.stdout.flush()
        answer = operator.stdin.readline().strip().lower()
        if answer not in ("y", "yes", "j", "ja"):
            operator.say("Not sent.")
            return 1
    runtime = None
    sender = operator.sender
    pacer = operator.pacer
    username = ""
    try:
        if sender is None:
            from bot.core.delivery import share_limits, telegram_pacer
            from bot.runtimes.common import StartupError
            from bot.runtimes.telegram import make_runtime

            runtime = make_runtime(settings, token)
            try:
                identity = await runtime.connect()
            except StartupError as error:
                return operator.fail(str(error).replace(token, "<token>"), 2)
            username = identity.username
            sender = runtime.sender
            pacer = pacer or telegram_pacer()
            # A running bot sends with the same token: one limit for both processes.
            share_limits(pacer, settings, token)
        async with operator.services.db.transaction() as session:
            broadcast, recipients = await start(
                session,
                author=None,
                text=text,
                link_url=args.link,
                link_label=args.link_label,
                audience=audience,
                now=operator.now(),
                via="cli",
            )
            operator.audit(session, "broadcast_by_operator", f"broadcast:{broadcast.id}")
        from bot.core.services import Network

        network = Network(sender, bot_username=username, pacer=pacer)
        return await _send(operator, broadcast.id or 0, network)
    finally:
        if runtime is not None:
            if pacer is not None:
                await pacer.close()
            await runtime.close()


async def _send(operator: Operator, broadcast_id: int, network: Network) -> int:
    from bot.assembly import assemble

    dispatcher = assemble(operator.services, network).scheduler.dispatcher
    progress = Progress(operator.stderr)
    try:
        while True:
            sweep = asyncio.ensure_future(dispatcher.sweep())
            while not sweep.done():
                await asyncio.wait({sweep}, timeout=0.25)
                progress.show(await _report(operator, broadcast_id))
            sweep.result()
            report = await _report(operator, broadcast_id)
            progress.show(report)
            if report.done or report.pending == report.waiting:
                break
            if report.next_due is not None:
                wait = (report.next_due - operator.now()).total_seconds()
                await asyncio.sleep(min(max(wait, 0.05), 5.0))
    except (KeyboardInterrupt, asyncio.CancelledError):
        progress.end()
        await _cancel(operator, broadcast_id)
        operator.say("Cancelled: what was not sent yet will not be sent.")
        await _print_report(operator, broadcast_id)
        return 130
    progress.end()
    return await _print_report(operator, broadcast_id)


async def _report(operator: Operator, broadcast_id: int) -> Any:
    from bot.domain.broadcasts import report_of

    async with operator.services.db.transaction() as session:
        return await report_of(session, broadcast_id)


async def _cancel(operator: Operator, broadcast_id: int) -> None:
    from bot.domain.broadcasts import cancel
    from storage.models import Broadcast

    async with operator.services.db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is not None:
            await cancel(session, broadcast, operator.now(), actor_id=None, via="cli")


async def _print_report(operator: Operator, broadcast_id: int) -> int:
    from bot.domain.broadcasts import finish, report_of
    from storage.models import Broadcast

    async with operator.services.db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        report = await report_of(session, broadcast_id)
        if broadcast is not None:
            await finish(session, broadcast, report, operator.now())
    operator.say(f"Report of broadcast #{broadcast_id}:")
    operator.say(f"  delivered:    {report.delivered} of {report.total}")
    operator.say(f"  unreachable:  {report.unreachable} (blocked the bot, or gone)")
    operator.say(f"  opted out:    {report.opted_out} (stopped announcements since)")
    if report.cancelled:
        operator.say(f"  cancelled:    {report.cancelled} (not sent)")
    operator.say(f"  failed:       {report.failed}")
    for reason, count in report.reasons.most_common():
        operator.say(f"    {count} × {reason}")
    if report.pending:
        operator.say(
            f"  still to send: {report.pending} (their quiet hours: the running bot sends them)"
        )
    return 0


class _Lines:
    """A pipe or a log file reads tqdm's redraws ("\\r…") as lines, one per redraw."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        text = text.replace("\r", "")
        if text.strip():
            self.stream.write(text if text.endswith("\n") else text + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


class Progress:
    """The broadcast's progress on stderr, drawn by tqdm: redrawn in place on a terminal;
    on a pipe or in a log file a line now and then (tqdm's own pace), and the last one."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.bar: Any = None  # made at the first report: then its total is known

    def show(self, report: Any) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=report.total,
                file=self.stream if self.tty else _Lines(self.stream),
                desc="Sending",
                unit=" msg",
                ascii=True,
                dynamic_ncols=self.tty,
                ncols=None if self.tty else 110,
                mininterval=0.25 if self.tty else 2.0,
                leave=True,
            )
        finished = report.total - report.pending
        self.bar.total = report.total
        self.bar.set_postfix_str(
            f"delivered {report.delivered} · unreachable {report.unreachable} · "
            f"opted out {report.opted_out} · failed {report.failed}",
            refresh=False,
        )
        self.bar.update(finished - self.bar.n)

    def end(self) -> None:
        if self.bar is not None:
            self.bar.refresh()
            self.bar.close()


# --- the export -------------------------------------------------------------------------------


# An export this long shows its progress; a short one is done before a bar would help.
EXPORT_PROGRESS_FROM = 1000


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet could take for a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export_rows(session: Any) -> list[list[Any]]:
    from sqlalchemy import func
    from sqlmodel import col, select

    from storage.models import Action, ActionStatus, Initiative, MemberRole, Membership

    initiatives = (
        (await session.execute(select(Initiative).order_by(col(Initiative.id)))).scalars().all()
    )
    roles: dict[int, Counter] = defaultdict(Counter)
    for ident, role, count in (
        await session.execute(
            select(Membership.initiative_id, Membership.role, func.count()).group_by(
                col(Membership.initiative_id), col(Membership.role)
            )
        )
    ).all():
        roles[ident][role] = count
    actions: dict[int, Counter] = defaultdict(Counter)
    for ident, status, count in (
        await session.execute(
            select(Action.initiative_id, Action.status, func.count()).group_by(
                col(Action.initiative_id), col(Action.status)
            )
        )
    ).all():
        actions[ident][status] = count
    rows = []
    for initiative in initiatives:
        ident = initiative.id or 0
        team = roles[ident][MemberRole.INITIATOR] + roles[ident][MemberRole.TEAM]
        rows.append(
            [
                ident,
                _cell(initiative.title),
                initiative.theme.value,
                initiative.phase.value,
                _cell(initiative.place),
                initiative.postcode_area or "",
                team,
                sum(roles[ident].values()),
                actions[ident][ActionStatus.PLANNED],
                actions[ident][ActionStatus.HELD],
                initiative.households_reached,
                initiative.households_interested,
                initiative.households_committed,
                initiative.last_activity_at.astimezone(UTC).isoformat(timespec="seconds"),
            ]
        )
    return rows


async def _export(operator: Operator, out: Path) -> int:
    async with operator.services.db.transaction() as session:
        rows = await export_rows(session)
    try:
        from tqdm import tqdm

        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            tty = bool(getattr(operator.stderr, "isatty", lambda: False)())
            for row in tqdm(
                rows,
                desc="Exporting",
                unit=" initiatives",
                file=operator.stderr if tty else _Lines(operator.stderr),
                ascii=True,
                mininterval=0.25 if tty else 2.0,
                disable=len(rows) < EXPORT_PROGRESS_FROM,
            ):
                writer.writerow(row)
    except OSError as error:
        return operator.fail(f"cannot write {out}: {error.strerror or error}")
    async with operator.services.db.transaction() as session:
        operator.audit(session, "export", "initiatives", rows=len(rows), file=out.name)
    operator.say(f"Wrote {len(rows)} initiatives to {out}.")
    return 0


__all__ = [
    "EXPORT_COLUMNS",
    "OPERATOR_COMMANDS",
    "Progress",
    "add_operator_commands",
    "export_rows",
    "run_operator_command",
]
