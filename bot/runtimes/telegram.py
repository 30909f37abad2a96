"""`buurbot run` with a token: the bot on Telegram, by polling or by webhook.

The runtime is chosen by BUURBOT_RUNTIME (aiogram, the default, or ptb); both run the same
core. On start: getMe (a rejected token or an unreachable API is one line on stderr and exit
code 2), the database is migrated, the command menus (private chats and groups, Dutch and
English, and a default) and the bot's descriptions are set, then updates are received until
SIGINT/SIGTERM (or `stop` is set). On stop, updates in progress are finished first.

Webhook mode serves, on one aiohttp server, the webhook path (the secret token is checked;
a wrong one gets 401) and `/healthz`; polling mode serves `/healthz` with `--health`. It
answers 503 while updates cannot be received. When receiving has stopped for good (getUpdates
refused with 401/404 for minutes), the process exits with code 3 and one line on stderr, so
that a supervisor restarts it rather than it staying alive and deaf.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import re
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.app import bootstrap
from bot.assembly import assemble
from bot.core.config import RuntimeName, Settings
from bot.core.delivery import share_limits, telegram_pacer
from bot.core.logs import REDACTOR, protect
from bot.core.policy import Policy
from bot.core.services import Network, Services
from bot.i18n import N_
from bot.runtimes.common import (
    WEBHOOK_SECRET,
    BotIdentity,
    Core,
    StartupError,
    bot_profiles,
    command_menus,
    health_app,
)
from bot.runtimes.memory_hygiene import (
    freeze_survivors,
    lazy_aiogram_models,
    release_startup_garbage,
    thaw_survivors,
)
from bot.runtimes.polling import ReceivingRuntime
from scheduler.clock import Scheduler
from scheduler.pacing import Pacer

if TYPE_CHECKING:  # WhatsApp's modules (and pywa) are imported only when it is served
    # aiohttp's server (2 MB) only with --webhook, --health or WhatsApp: `_listen`.
    from aiohttp import web

    from bot.runtimes.whatsapp import WhatsAppNetwork

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$")
DESCRIPTION = N_(
    "Buurbot helps neighbours to start something together: greener, safer, more sociable "
    "or more energy-efficient. From one resident's idea, to a team, to an action the whole "
    "street joins, to a group that keeps going. I help you ask your neighbours; I never "
    "message them myself."
)
SHORT_DESCRIPTION = N_("Start something good in your street, together with your neighbours.")


@dataclass
class Running:
    """A started bot, as handed to `ready` (tests and benchmarks use it)."""

    runtime: ReceivingRuntime
    services: Services
    core: Core
    identity: BotIdentity
    webhook_url: str | None = None
    health_url: str | None = None


@dataclass(frozen=True)
class WebhookOptions:
    host: str
    port: int
    path: str
    public_url: str
    secret: str

    @classmethod
    def from_args(cls, args: argparse.Namespace, settings: Settings) -> WebhookOptions:
        path = getattr(args, "path", "/telegram") or "/telegram"
        if not path.startswith("/"):
            path = f"/{path}"
        secret = getattr(args, "secret", "") or secrets.token_urlsafe(32)
        if not WEBHOOK_SECRET.match(secret):
            raise StartupError(
                "the webhook secret may only contain A-Z, a-z, 0-9, _ and - (1 to 256 characters)"
            )
        public_url = getattr(args, "public_url", "") or ""
        if not public_url and not _is_loopback(urlsplit(settings.telegram_api_base).hostname):
            raise StartupError(
                "--webhook needs --public-url: the https address where Telegram reaches this server"
            )
        return cls(
            host=getattr(args, "host", "0.0.0.0") or "0.0.0.0",
            port=int(getattr(args, "port", 8080)),
            path=path,
            public_url=public_url,
            secret=secret,
        )


def _is_loopback(host: str | None) -> bool:
    if host in (None, ""):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_runtime(settings: Settings, token: str) -> ReceivingRuntime:
    if settings.runtime == RuntimeName.PTB:
        from bot.runtimes.ptb_runtime import PtbRuntime

        return PtbRuntime(token, settings.telegram_api_base)
    # aiogram's Bot API models are built at first use, not all at import (over 100 MB).
    with lazy_aiogram_models():
        from bot.runtimes.aiogram_runtime import AiogramRuntime

    return AiogramRuntime(token, settings.telegram_api_base)


async def run_telegram(
    settings: Settings,
    args: argparse.Namespace,
    *,
    services: Services | None = None,
    policy: Policy | None = None,
    pacer: Pacer | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Future[Running] | None = None,
    whatsapp: WhatsAppNetwork | None = None,
) -> int:
    """Run until SIGINT/SIGTERM, or until `stop` is set; 0 then, 2 when it cannot start,
    3 when it stopped receiving updates for good.

    The core is `services` (built with `bot.app.bootstrap`), or bootstrapped here from the
    settings, under `policy` when given; `pacer` paces everything sent (default: Telegram's
    limits). `ready` gets the `Running` bot once updates are being received.

    With `whatsapp`, the same process, core, database and scheduler serve WhatsApp too:
    its webhook at /whatsapp/webhook on --host/--port (beside Telegram's webhook, or with
    /healthz when polling), and every message goes out through its recipient's network.

    `ready` gets the `Running` bot once updates are being received.
    """
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    protect(settings)  # also when embedded (tests, benchmarks): no secret in any log record
    try:
        if not token:
            raise StartupError("BUURBOT_TELEGRAM_TOKEN is not set")
        if not TOKEN.match(token):
            raise StartupError("BUURBOT_TELEGRAM_TOKEN does not look like a bot token (123:abc)")
        webhook = (
            WebhookOptions.from_args(args, settings) if getattr(args, "webhook", False) else None
        )
        if webhook is not None:
            protect(settings, [webhook.secret])
        runtime = make_runtime(settings, token)
    except StartupError as error:
        return _fail(error, token)
    own_services = services is None
    core: Core | None = None
    scheduler: Scheduler | None = None
    site_runner: web.AppRunner | None = None
    try:
        identity = await runtime.connect()
        core_services = services or bootstrap(settings, policy=policy)
        services = core_services
        await _migrate(core_services)
        # One pacer per bot token: replies, the scheduler and broadcasts share Telegram's limits.
        shared_pacer = pacer or core_services.pacer or telegram_pacer()
        # Other processes with this token (more bots, `buurbot broadcast`) share the limit.
        log.info("Telegram's limits are shared in %s", share_limits(shared_pacer, settings, token))
        sender: Any = runtime.sender
        if whatsapp is not None:
            from bot.runtimes.whatsapp import NetworkSender

            sender = NetworkSender(runtime.sender, whatsapp.make_sender(core_services))
        network = Network(
            sender,
            bot_username=identity.username,
            chat_directory=runtime.sender,
            pacer=shared_pacer,
        )
        parts = assemble(core_services, network, durable_replies=True)
        services = parts.services
        core = Core(parts)
        mount = whatsapp.attach(services, core).mount if whatsapp is not None else None
        # Follow-ups, reminders and broadcasts go out through the same paced delivery.
        scheduler = parts.scheduler
        await scheduler.start()
        await runtime.announce(
            command_menus(services.registry, settings.default_language),
            bot_profiles(DESCRIPTION, SHORT_DESCRIPTION, settings.default_language),
        )
        running = Running(runtime, services, core, identity)
        if webhook is None:
            await _start(runtime, runtime.start_polling(core), "start polling")
            if getattr(args, "health", False) or mount is not None:
                site_runner = await _serve_health(runtime, args, running, mount)
            log.info("@%s is running on %s, polling", identity.username, runtime.name)
        else:
            site_runner = await _serve_webhook(runtime, core, webhook, running, mount)
            log.info(
                "@%s is running on %s, webhook at %s",
                identity.username,
                runtime.name,
                running.webhook_url,
            )
        # Start-up is over: what it left behind need not stay in memory while we run.
        release_startup_garbage()
        freeze_survivors()
        if ready is not None and not ready.done():
            ready.set_result(running)
        ended = await _until_stopped(stop, runtime.ended)
        if ended is not None:
            print(f"buurbot: stopped receiving updates: {_redacted(ended, token)}", file=sys.stderr)
            return 3
        return 0
    except StartupError as error:
        return _fail(error, token)
    finally:
        # Stop sending scheduled messages and taking updates, finish the ones in
        # progress, then close the sessions.
        if scheduler is not None:
            await _quietly(scheduler.stop(), "stop the scheduler")
        if site_runner is not None:
            await _quietly(site_runner.cleanup(), "stop the webhook server")
        await _quietly(runtime.stop_receiving(), "stop receiving updates")
        if core is not None:
            await _quietly(core.drain(), "finish the updates in progress")
        await _quietly(runtime.close(), "close the Telegram session")
        if services is not None and services.pacer is not None:
            await _quietly(services.pacer.close(), "close the shared limits")
        if whatsapp is not None:
            await _quietly(whatsapp.close(), "close the WhatsApp session")
        if own_services and services is not None:
            await _quietly(services.db.close(), "close the database")
        thaw_survivors()


async def _quietly(step: Awaitable[object], what: str) -> None:
    """One shutdown step; its failure is logged and does not skip the next steps."""
    try:
        await step
    except Exception:
        log.exception("could not %s", what)


async def _migrate(services: Services) -> None:
    try:
        await services.db.migrate()
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StartupError(f"cannot prepare the database: {first}") from None


async def _start(runtime: ReceivingRuntime, starting: Awaitable[object], what: str) -> None:
    """Await a start step; a Telegram or network error there is a StartupError."""
    try:
        await starting
    except StartupError:
        raise
    except Exception as error:
        mapped = runtime.sender.translate(error)
        if mapped is None:
            raise
        raise StartupError(f"could not {what}: {mapped}") from None


def _health(runtime: ReceivingRuntime, mode: str) -> web.Application:
    return health_app(runtime.name, mode, lambda: runtime.health().as_json())


async def _listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve `app` on host:port; the runner and the local base URL."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    bound = runner.addresses[0][1]
    local_host = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    if ":" in local_host:
        local_host = f"[{local_host}]"
    return runner, f"http://{local_host}:{bound}"


async def _serve_health(
    runtime: ReceivingRuntime,
    args: argparse.Namespace,
    running: Running,
    mount: Callable[[web.Application], None] | None = None,
) -> web.AppRunner:
    host = getattr(args, "host", "0.0.0.0") or "0.0.0.0"
    app = _health(runtime, "polling")
    if mount is not None:
        mount(app)
    runner, local = await _listen(app, host, int(getattr(args, "port", 0)))
    running.health_url = f"{local}/healthz"
    return runner


async def _serve_webhook(
    runtime: ReceivingRuntime,
    core: Core,
    options: WebhookOptions,
    running: Running,
    mount: Callable[[web.Application], None] | None = None,
) -> web.AppRunner:
    app = _health(runtime, "webhook")
    runtime.mount_webhook(core, app, options.path, options.secret)
    if mount is not None:
        mount(app)
    runner, local = await _listen(app, options.host, options.port)
    running.webhook_url = options.public_url or f"{local}{options.path}"
    running.health_url = f"{local}/healthz"
    try:
        await _start(
            runtime, runtime.set_webhook(running.webhook_url, options.secret), "set the webhook"
        )
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def _until_stopped(
    stop: asyncio.Event | None, ended: asyncio.Future[str] | None
) -> str | None:
    """Wait for a signal (or `stop`), or for receiving to end for good: its reason then."""
    own = stop is None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    if own:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
    stopped = asyncio.ensure_future(stop.wait())
    waits: set[asyncio.Future[Any]] = {stopped}
    if ended is not None:
        waits.add(ended)
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if ended is not None and ended.done() and not ended.cancelled():
            return ended.result()
        if own:
            log.info("stopping: finishing the updates in progress")
        return None
    finally:
        stopped.cancel()
        for signum in installed:
            loop.remove_signal_handler(signum)


def _redacted(text: str, token: str) -> str:
    """One line for the operator: the token, its secret half, URL-encoded, the other secrets."""
    message = " ".join(text.split())
    if token:
        message = message.replace(token, "<token>")
    return REDACTOR.redact(message)


def _fail(error: StartupError, token: str) -> int:
    print(f"buurbot: {_redacted(str(error), token)}", file=sys.stderr)
    return 2
