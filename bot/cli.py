"""The `buurbot` command: run the bot (Telegram, or the console without a token),
chat in the console, migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.operator import OPERATOR_COMMANDS, add_operator_commands
from bot.programme_cli import PROGRAMME_COMMANDS, add_programme_commands

if TYPE_CHECKING:
    from bot.core.config import Settings
    from bot.core.policy import Policy
    from scheduler.pacing import Pacer


@contextmanager
def cyclic_gc_paused() -> Iterator[Callable[[], None]]:
    """Start-up without Python's cyclic garbage collector; yields `resume`, for once started.

    Importing pydantic, SQLAlchemy and the models, and building the flows, makes a few
    hundred thousand objects that live as long as the process: the collector would walk
    them again and again (about a tenth of the start). Reference counting still frees
    everything else, and the collector is back on at `resume()` or at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()

    def resume() -> None:
        if was_enabled:
            gc.enable()

    try:
        yield resume
    finally:
        resume()


def build_parser() -> argparse.ArgumentParser:
    # Settings (pydantic) are imported once main() has paused the collector.
    from bot.core.config import SUPPORTED_LANGUAGES

    parser = argparse.ArgumentParser(
        prog="buurbot",
        description="Buurbot: neighbours organising together. Without a Telegram token, "
        "`buurbot` starts a chat in this terminal.",
    )
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser("run", help="run the bot (Telegram with a token, else the console)")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook")
    run.add_argument(
        "--health", action="store_true", help="while polling, serve /healthz on --host:--port"
    )
    run.add_argument("--host", default="0.0.0.0", help="webhook listen address")
    run.add_argument("--port", type=int, default=8080, help="webhook listen port")
    run.add_argument("--path", default="/telegram", help="webhook path")
    run.add_argument("--public-url", default="", help="the URL Telegram posts updates to")
    run.add_argument("--secret", default="", help="webhook secret token")

    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument(
        "--as",
        dest="person",
        default="Buurman",
        help="who you are: a neighbour by the name they gave, or someone new",
    )
    console.add_argument(
        "--lang",
        choices=SUPPORTED_LANGUAGES,
        default=None,
        help="the chat's language (also for someone who chatted before)",
    )

    commands.add_parser("migrate", help="bring the database schema up to date")
    whatsapp = commands.add_parser("whatsapp", help="WhatsApp: what to register with Meta")
    whatsapp.add_argument(
        "what", choices=["templates"], help="templates: the catalogue to register, nl and en"
    )
    add_operator_commands(commands)
    add_programme_commands(commands)
    from bot.report_cli import add_report_command

    add_report_command(commands)
    return parser


def main(
    argv: list[str] | None = None, *, policy: Policy | None = None, pacer: Pacer | None = None
) -> int:
    """`buurbot …`. An embedding (the fault suites) may run the bot under another policy
    and pacer than the settings and Telegram's limits give.

    From the command line (`argv` None), `run` first re-executes itself leaner
    (`bot.lean_start`); `python -m bot` has done so before importing this module."""
    if argv is None:
        from bot.lean_start import reexec_lean

        reexec_lean()
    with cyclic_gc_paused() as started:
        return _main(argv, started, policy, pacer)


def _main(
    argv: list[str] | None,
    started: Callable[[], None],
    policy: Policy | None = None,
    pacer: Pacer | None = None,
) -> int:
    from pydantic import ValidationError

    from bot.core.config import Settings

    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"BUURBOT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        print(f"buurbot: invalid settings: {problems}", file=sys.stderr)
        return 2
    command = args.command or "run"
    from bot.core.logs import configure, console_log_file, protect

    # Before the first record: no secret of the settings reaches the log, at any level.
    protect(settings, [getattr(args, "secret", "")])
    console = command == "console" or (
        command == "run" and settings.telegram_token is None and not settings.whatsapp_enabled
    )
    serving_web = command == "web" and getattr(args, "web_command", None) is None
    quiet = (
        console
        or command in OPERATOR_COMMANDS
        or (command in PROGRAMME_COMMANDS and not serving_web)
    )
    configure(
        settings.log_level or (logging.WARNING if quiet else logging.INFO),
        file=console_log_file() if console else None,
    )
    try:
        if console:
            person = getattr(args, "person", "Buurman")
            language = getattr(args, "lang", None)
            return asyncio.run(_console(settings, person, language, started))
        started()  # the other commands run as they always did, collector on
        if command == "migrate":
            return asyncio.run(_migrate(settings))
        if command in OPERATOR_COMMANDS:
            from bot.operator import run_operator_command

            return asyncio.run(run_operator_command(settings, args))
        if serving_web:
            from web.app import run_web

            return asyncio.run(run_web(settings, args.host, args.port))
        if command == "report":
            from bot.report_cli import run_report_command

            return asyncio.run(run_report_command(settings, args))
        if command in PROGRAMME_COMMANDS:
            from bot.programme_cli import run_programme_command

            return asyncio.run(run_programme_command(settings, args))
        if command == "whatsapp":
            from bot.core.templates import catalogue_text

            print(catalogue_text(settings.approved_templates))
            return 0
        return asyncio.run(_run(settings, args, policy=policy, pacer=pacer))
    except KeyboardInterrupt:
        return 130


async def _run(
    settings: Settings,
    args: argparse.Namespace,
    *,
    policy: Policy | None = None,
    pacer: Pacer | None = None,
) -> int:
    """Every network whose credentials are set, in this one process."""
    from bot.runtimes.telegram import _fail, run_telegram

    # WhatsApp's modules (and pywa, 14 MB resident) only in a process that serves it.
    if settings.telegram_token is None:
        from bot.runtimes.whatsapp import run_whatsapp

        return await run_whatsapp(settings, args, policy=policy, pacer=pacer)
    whatsapp = None
    if settings.whatsapp_enabled:
        from bot.runtimes.whatsapp import StartupError, WhatsAppNetwork

        try:
            whatsapp = WhatsAppNetwork(settings)
        except StartupError as error:
            return _fail(error, "")
    return await run_telegram(settings, args, policy=policy, pacer=pacer, whatsapp=whatsapp)


async def _migrate(settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
    except Exception as error:  # an operator's command: one line, as `buurbot run` says it
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"buurbot: cannot migrate the database: {first}", file=sys.stderr)
        return 2
    finally:
        await db.close()
    print("buurbot: the database is up to date")
    return 0


async def _console(
    settings: Settings, person: str, language: str | None, started: Callable[[], None]
) -> int:
    from bot.app import bootstrap
    from bot.runtimes.console import run_console

    await run_console(bootstrap(settings), person_name=person, language=language, started=started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
