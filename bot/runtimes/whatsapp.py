"""The bot on WhatsApp (Cloud API): the webhook, and `run_whatsapp` for `buurbot run`.

- **Receiving**: Meta POSTs webhooks to ``/whatsapp/webhook`` (aiohttp, the stack the
  Telegram webhook runs on; ``/healthz`` beside it). A body is read raw and its
  ``X-Hub-Signature-256`` (``sha256=`` HMAC-SHA256 of the body with the app secret) checked
  in constant time before anything is parsed: unsigned is 401, forged 403, and nothing of
  it is handled. The subscription check (GET with ``hub.mode=subscribe``,
  ``hub.verify_token``, ``hub.challenge``) is answered with the challenge only when the
  token matches (else 403). The answer is 200 once every message in it was handled (500
  when handling failed: Meta sends it again).
- **Once only**: each message's id (``wamid``) becomes an update id (`update_id_of`), so
  the engine's claim skips a webhook Meta delivers again.
- **People**: a phone number becomes an address (`bot.core.identities`); it is never shown and
  never logged. Every message opens the person's 24-hour window and brings forward what
  waited for it (`scheduler.window`).
- **What a person sends**: text (a ``/command``, or a deep-link code such as
  ``join-…`` typed by the ``wa.me`` link of a share card, understood as ``/start`` with it),
  a reply button or list row (a `ButtonPress`; "More…" rows and poll rows are answered
  here), a template's quick reply; anything else is `Unsupported`.
- **Sending**: `bot.runtimes.whatsapp_sender`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.core import identities
from bot.core.config import Settings
from bot.core.payloads import is_deep_link_payload
from bot.core.policy import Policy
from bot.core.seam import (
    ID_LIMIT,
    WHATSAPP_BASE,
    AnswerButton,
    ButtonPress,
    Chat,
    Command,
    Event,
    Incoming,
    Network,
    Outgoing,
    Person,
    PollAnswer,
    Sent,
    Text,
    Unsupported,
    clean,
    network_of,
)
from bot.core.services import Services
from bot.core.templates import WINDOW_PAYLOAD
from bot.i18n import language_of_number
from bot.runtimes.common import StartupError
from bot.runtimes.whatsapp_sender import WhatsAppSender, message_number
from scheduler import window
from scheduler.pacing import Limits, Pacer

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY = 3 * 1024 * 1024
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:\s+(.*))?$", re.DOTALL)
_NUMBER = re.compile(r"^[0-9]{6,20}$")


def update_id_of(wamid: str) -> int:
    """The update id of a WhatsApp message: above every Telegram update id, the same for
    the same message (a redelivery is then skipped by the engine's claim)."""
    digest = int.from_bytes(hashlib.blake2b(wamid.encode(), digest_size=8).digest())
    return WHATSAPP_BASE + digest % (ID_LIMIT - WHATSAPP_BASE)


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a person, as the webhook said it (before it has an address)."""

    wamid: str
    number: str
    name: str
    kind: str  # text, button, list, template_button, other
    value: str  # the text, or the pressed id
    context: str = ""  # the id of the message the button was on
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """A message of the bot's that WhatsApp could not deliver (a failed status)."""

    wamid: str
    number: str
    code: int


def failures_of(payload: Any) -> list[Failure]:
    found: list[Failure] = []
    if not isinstance(payload, dict):
        return found
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            for status in _list(_dict(_dict(change).get("value")).get("statuses")):
                status = _dict(status)
                if status.get("status") != "failed":
                    continue
                errors = _list(status.get("errors"))
                try:
                    code = int(_dict(errors[0]).get("code", 0)) if errors else 0
                except (TypeError, ValueError):
                    code = 0
                found.append(
                    Failure(str(status.get("id", "")), str(status.get("recipient_id", "")), code)
                )
    return found


def messages_of(payload: Any) -> list[Inbound]:
    """The people's messages in a webhook body (statuses and other fields are not)."""
    found: list[Inbound] = []
    if not isinstance(payload, dict):
        return found
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            value = _dict(_dict(change).get("value"))
            names = {
                str(_dict(c).get("wa_id", "")): str(_dict(_dict(c).get("profile")).get("name", ""))
                for c in _list(value.get("contacts"))
            }
            for message in _list(value.get("messages")):
                inbound = _inbound(_dict(message), names)
                if inbound is not None:
                    found.append(inbound)
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _inbound(message: dict[str, Any], names: dict[str, str]) -> Inbound | None:
    wamid, number = str(message.get("id", "")), str(message.get("from", ""))
    if not wamid or not _NUMBER.match(number):
        return None
    try:
        at = datetime.fromtimestamp(int(message.get("timestamp", 0)), UTC)
    except (TypeError, ValueError, OverflowError):
        at = None
    context = str(_dict(message.get("context")).get("id", ""))
    name = clean(names.get(number, ""))[:64]
    kind = message.get("type")
    if kind == "text":
        body = str(_dict(message.get("text")).get("body", ""))
        return Inbound(wamid, number, name, "text", body, context, at)
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        reply = _dict(interactive.get("button_reply")) or _dict(interactive.get("list_reply"))
        if reply.get("id"):
            return Inbound(wamid, number, name, "button", str(reply["id"]), context, at)
    if kind == "button":  # a template's quick reply
        button = _dict(message.get("button"))
        return Inbound(wamid, number, name, "button", str(button.get("payload", "")), context, at)
    return Inbound(wamid, number, name, "other", str(kind or "message"), context, at)


class WhatsAppReceiver:
    """The webhook routes and what a message becomes."""

    def __init__(self, services: Services, core: Any, sender: Any) -> None:
        settings = services.settings
        self.services = services
        self.core = core  # bot.runtimes.common.Core
        self.sender = sender  # WhatsAppSender
        self.app_secret = (
            settings.whatsapp_app_secret.get_secret_value() if settings.whatsapp_app_secret else ""
        )
        self.verify_token = (
            settings.whatsapp_verify_token.get_secret_value()
            if settings.whatsapp_verify_token
            else ""
        )
        self.received = 0  # messages handled (tests, benchmarks)
        self.refused = 0  # webhooks refused for their signature

    def mount(self, app: web.Application, path: str = WEBHOOK_PATH) -> None:
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.webhook)

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        token = query.get("hub.verify_token", "")
        if (
            query.get("hub.mode") == "subscribe"
            and self.verify_token
            and hmac.compare_digest(token.encode(), self.verify_token.encode())
        ):
            return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
        return web.Response(status=403, text="forbidden")

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY + 1)
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            self.refused += 1
            log.warning("WhatsApp webhook without a signature refused")
            return web.Response(status=401, text="unsigned")
        if len(body) > MAX_BODY or not signature_valid(self.app_secret, body, header):
            self.refused += 1
            log.warning("WhatsApp webhook with a wrong signature refused")
            return web.Response(status=403, text="bad signature")
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("a signed WhatsApp webhook that is not JSON; ignored")
            return web.Response(text="ok")
        try:
            await self.handle_all(messages_of(payload))
            for failure in failures_of(payload):
                await self.failed(failure)
        except Exception:
            log.exception("a WhatsApp webhook could not be handled; Meta sends it again")
            return web.Response(status=500, text="error")
        return web.Response(text="ok")

    async def handle_all(self, messages: Iterable[Inbound]) -> None:
        for message in messages:
            await self.handle(message)

    async def failed(self, failure: Failure) -> None:
        if not _NUMBER.match(failure.number):
            return
        async with self.services.db.transaction() as session:
            address = await identities.address_for(session, Network.WHATSAPP, failure.number)
        await self.sender.failed(failure.wamid, failure.code, address)

    async def handle(self, message: Inbound) -> None:
        now = self.services.clock.now()
        async with self.services.db.transaction() as session:
            address = await identities.address_for(session, Network.WHATSAPP, message.number)
            await identities.record_inbound(session, address, now)
            await window.release(session, address, now)
        self.sender.known(address, message.number)
        self.sender.forget_language(address)
        self.received += 1
        event = await self.event_of(message, address)
        if event is None:
            return
        # WhatsApp says nothing of a person's language: their country code is the hint
        # (bot.i18n.language_of_number), used at first contact; /taal changes it.
        person = Person(address, message.name or "?", language_of_number(message.number))
        incoming = Incoming(Chat(address), person, event, update_id_of(message.wamid))
        # What waited for the window is due now: the scheduler's next sweep (every 5 s)
        # sends it, after the answer to this message.
        await self.core.handle(incoming)

    async def event_of(self, message: Inbound, address: int) -> Event | None:
        if message.kind == "text":
            text = message.value.strip()
            command = _COMMAND.match(text)
            if command:
                return Command(command.group(1).lower(), (command.group(2) or "").strip())
            if self.is_invitation(text):
                return Command("start", text)
            return Text(message.value)
        if message.kind == "button":
            payload = message.value
            if payload == WINDOW_PAYLOAD:
                # "Show me" on the news template: what waited is released above; its
                # answer is what waited. Nothing else to say.
                return None
            if payload.startswith("~more:"):
                key, _, page = payload.removeprefix("~more:").partition(":")
                if page.isdigit() and await self.sender.next_page(address, key, int(page)):
                    return None
                return Command("menu")
            if payload.startswith("~poll:") and payload.removeprefix("~poll:").isdigit():
                option = int(payload.removeprefix("~poll:"))
                return PollAnswer(message.context or message.wamid, (option,))
            return ButtonPress(
                payload[:64],
                query_id=f"wa:{address}",
                message_id=message_number(message.context) if message.context else None,
            )
        return Unsupported(message.value[:32])

    def is_invitation(self, text: str) -> bool:
        """A deep-link code typed as it is (the text a wa.me link fills in)."""
        if " " in text or not is_deep_link_payload(text):
            return False
        prefix = text.split("-", 1)[0]
        return prefix in self.services.registry.deep_links


# --- running ------------------------------------------------------------------------------------

# WhatsApp's limits (Meta's throughput and pair-rate documentation): 80 messages a second
# for a business number (kept at 60), and to one person on average one per 6 seconds with
# bursts (131056 beyond): a burst of 30, then 1 per 6 s.
WHATSAPP_LIMITS = Limits(
    global_per_second=60.0,
    global_burst=10,
    chat_per_second=1 / 6,
    chat_burst=30,
    group_per_minute=19.0,
    group_burst=1,
)
REQUEST_TIMEOUT = 30.0


def check_settings(settings: Settings) -> None:
    """Refuse to start without what a safe WhatsApp webhook needs."""
    if not settings.whatsapp_token:
        raise StartupError("BUURBOT_WHATSAPP_TOKEN is not set")
    if not re.fullmatch(r"[0-9]{1,32}", settings.whatsapp_phone_number_id):
        raise StartupError("BUURBOT_WHATSAPP_PHONE_NUMBER_ID must be the number's id (digits)")
    if not settings.whatsapp_app_secret:
        raise StartupError(
            "BUURBOT_WHATSAPP_APP_SECRET is not set: without it no webhook can be verified"
        )
    if not settings.whatsapp_verify_token:
        raise StartupError("BUURBOT_WHATSAPP_VERIFY_TOKEN is not set")


def make_client(settings: Settings) -> Any:
    """pywa's client, pointed at BUURBOT_WHATSAPP_API_BASE / _API_VERSION."""
    import httpx
    from pywa_async import WhatsApp

    token = settings.whatsapp_token.get_secret_value() if settings.whatsapp_token else ""
    session = httpx.AsyncClient(timeout=httpx.Timeout(REQUEST_TIMEOUT, connect=10.0))
    client = WhatsApp(phone_id=settings.whatsapp_phone_number_id, token=token, session=session)
    version = settings.whatsapp_api_version.strip().strip("/")
    if not version.startswith("v"):
        version = f"v{version}"
    # pywa names graph.facebook.com itself; the base is ours to set (tests: the local server).
    client.api._session.base_url = f"{settings.whatsapp_api_base.rstrip('/')}/{version}"
    return client


class WhatsAppNetwork:
    """WhatsApp as one network of a process: its sender, and its webhook once the core
    (which may be shared with Telegram) exists."""

    def __init__(self, settings: Settings) -> None:
        check_settings(settings)
        self.settings = settings
        self.client = make_client(settings)
        self.sender: WhatsAppSender | None = None
        self.receiver: WhatsAppReceiver | None = None

    def make_sender(self, services: Services) -> WhatsAppSender:
        self.sender = WhatsAppSender(services, self.client, self.settings.whatsapp_phone_number_id)
        return self.sender

    def attach(self, services: Services, core: Any) -> WhatsAppReceiver:
        assert self.sender is not None
        self.receiver = WhatsAppReceiver(services, core, self.sender)
        return self.receiver

    async def close(self) -> None:
        await self.client.api._session.aclose()


class NetworkSender:
    """One Sender for a process that serves several networks: each action goes to the
    sender of its recipient's network (bot.core.seam.network_of); group questions to Telegram."""

    def __init__(self, telegram: Any, whatsapp: WhatsAppSender) -> None:
        self.telegram = telegram
        self.whatsapp = whatsapp

    def _for(self, action: Outgoing) -> Any:
        if isinstance(action, AnswerButton):
            return self.whatsapp if action.query_id.startswith("wa:") else self.telegram
        if network_of(action.chat_id) is Network.WHATSAPP:
            return self.whatsapp
        return self.telegram

    async def send(self, action: Outgoing) -> Sent:
        return await self._for(action).send(action)

    def translate(self, error: BaseException) -> Any:
        return self.telegram.translate(error)

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        return bool(await self.telegram.is_admin(chat_id, user_id))

    async def member_status(self, chat_id: int, user_id: int) -> str:
        return str(await self.telegram.member_status(chat_id, user_id))


@dataclass
class RunningWhatsApp:
    services: Services
    core: Any
    receiver: WhatsAppReceiver
    sender: WhatsAppSender
    webhook_url: str
    health_url: str


async def run_whatsapp(
    settings: Settings,
    args: Any,
    *,
    services: Services | None = None,
    policy: Policy | None = None,
    pacer: Pacer | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Future[RunningWhatsApp] | None = None,
) -> int:
    """WhatsApp alone: the webhook on --host/--port, the scheduler; until SIGINT/SIGTERM or
    `stop`. 0 then, 2 when it cannot start."""
    from bot.app import bootstrap
    from bot.assembly import assemble
    from bot.core.logs import protect
    from bot.core.services import Network
    from bot.runtimes.common import Core, health_app
    from bot.runtimes.telegram import _fail, _listen, _migrate, _quietly, _until_stopped
    from scheduler.clock import Scheduler

    protect(settings)
    try:
        network = WhatsAppNetwork(settings)
    except StartupError as error:
        return _fail(error, "")
    own_services = services is None
    services = services or bootstrap(settings, policy=policy)
    core = None
    scheduler: Scheduler | None = None
    runner: web.AppRunner | None = None
    try:
        await _migrate(services)
        sender = network.make_sender(services)
        # One pacer for replies, the scheduler and broadcasts (a test may give its own).
        paced = Network(sender, pacer=pacer or services.pacer or Pacer(WHATSAPP_LIMITS))
        parts = assemble(services, paced, durable_replies=True)
        services = parts.services
        core = Core(parts)
        scheduler = parts.scheduler
        await scheduler.start()
        receiver = network.attach(services, core)
        app = health_app("whatsapp", "webhook")
        receiver.mount(app)
        host = getattr(args, "host", "0.0.0.0") or "0.0.0.0"
        runner, local = await _listen(app, host, int(getattr(args, "port", 8080)))
        log.info("Buurbot is running on WhatsApp, webhook at %s%s", local, WEBHOOK_PATH)
        if ready is not None and not ready.done():
            ready.set_result(
                RunningWhatsApp(
                    services, core, receiver, sender, f"{local}{WEBHOOK_PATH}", f"{local}/healthz"
                )
            )
        await _until_stopped(stop, None)
        return 0
    except StartupError as error:
        return _fail(error, "")
    finally:
        if scheduler is not None:
            await _quietly(scheduler.stop(), "stop the scheduler")
        if runner is not None:
            await _quietly(runner.cleanup(), "stop the webhook server")
        if core is not None:
            await _quietly(core.drain(), "finish the messages in progress")
        await _quietly(network.close(), "close the WhatsApp session")
        if own_services:
            await _quietly(services.db.close(), "close the database")
