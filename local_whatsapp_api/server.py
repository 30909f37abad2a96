"""LocalWhatsAppApi: a WhatsApp Cloud API (Graph API) server on 127.0.0.1 plus test controls."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from aiohttp import BodyPartReader, web

from .errors import (
    GraphError,
    bad_token,
    delivery_error,
    invalid_parameter,
    invalid_value,
    unknown_object,
)
from .faults import Faults, Throughput, fault_error
from .limits import Outgoing, ReadReceipt, check_payload
from .media import StoredMedia, new_media
from .simulation import MessageRecord, Person, new_wamid
from .templates import Template, TemplateCategory, TemplateRegistry, TemplateStatus
from .webhook import Delivery, Verification, Webhook, WebhookAttempt, sign

JSON = dict[str, Any]
_VERSION_RE = re.compile(r"v\d{1,2}\.\d")
_SIGNED = object()  # "sign with the app secret"
_PROXY_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_MARKETING_WINDOW = 24 * 60 * 60


@runtime_checkable
class DatetimeClock(Protocol):
    """The project's clocks (scheduler.timing.FakeClock, OffsetClock): an aware `now()`. The
    bot and this server can share one, so that both see the same hours go by."""

    def now(self) -> datetime: ...


@dataclass(slots=True)
class Call:
    """One HTTP call the bot made, and how the server answered."""

    http_method: str
    path: str
    endpoint: str  # "messages", "message_templates", "phone_number" or "unknown"
    payload: Any  # the JSON body (or the query, for a GET)
    to: str | None  # the recipient's wa_id, when there is one
    type: str | None  # the message type; "read" for a read receipt
    status: int
    response: Any
    timestamp: float  # server clock (the test clock)
    fault: str | None = None
    wamid: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def error(self) -> JSON | None:
        if isinstance(self.response, dict):
            return self.response.get("error")
        return None

    @property
    def code(self) -> int | None:
        error = self.error
        return error.get("code") if error else None

    @property
    def details(self) -> str | None:
        error = self.error
        return (error.get("error_data") or {}).get("details") if error else None

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} #{self.code} {self.details or ''}".rstrip()
        target = f" to={self.to}" if self.to else ""
        kind = f" {self.type}" if self.type else ""
        return f"{self.http_method} {self.endpoint}{kind}{target} -> {outcome}"


class LocalWhatsAppApi:
    """A local stand-in for graph.facebook.com's WhatsApp Cloud API, with people.

    `async with LocalWhatsAppApi() as server:` then point the bot at `server.base_url`
    (BUURBOT_WHATSAPP_API_BASE), send with `server.token` to `server.phone_number_id`, and let
    the server post signed webhooks to the bot: `await server.subscribe(url, verify_token)`.
    """

    def __init__(
        self,
        token: str = "local-whatsapp-token",
        *,
        phone_number_id: str = "106540352242922",
        display_phone_number: str = "31850000000",
        waba_id: str = "102290129340398",
        app_secret: str = "local-app-secret",
        verified_name: str = "Buurbot",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | DatetimeClock = time.time,
        status_webhooks: bool = True,
        status_delay: float = 0.02,
        subscribed_fields: Iterable[str] = ("messages",),
        webhook_retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5),
        webhook_timeout: float = 10.0,
        fault_seed: int = 0,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the local WhatsApp server binds to the loopback interface only")
        self.token = token
        self.phone_number_id = phone_number_id
        self.display_phone_number = display_phone_number
        self.waba_id = waba_id
        self.app_secret = app_secret
        self.verified_name = verified_name
        self.host = host
        self.port = port
        self.clock = clock
        self.offset = 0.0  # added to the clock by advance()
        self.status_webhooks = status_webhooks
        self.status_delay = status_delay  # seconds between a send's answer and its statuses
        self._scheduled: set[asyncio.Task[None]] = set()
        self.subscribed_fields = set(subscribed_fields)
        self.auto_approve = False  # templates created over HTTP wait for review (PENDING)
        self.marketing_limit: int | None = None  # marketing templates per person per 24 h
        self.templates = TemplateRegistry(self._template_event)
        self.webhook = Webhook(app_secret, self._changed, webhook_retry_delays, webhook_timeout)
        self.faults = Faults(fault_seed)
        self.throughput: Throughput | None = None
        self.people: dict[str, Person] = {}
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.sent: list[MessageRecord] = []  # every message the bot got accepted, in order
        self.received: list[MessageRecord] = []  # every message people sent, in order
        self._by_wamid: dict[str, MessageRecord] = {}
        self.media: dict[str, StoredMedia] = {}  # uploads, by media id
        self._next_wa_id = 1
        self.seq = 0
        self._waiters: set[asyncio.Future[None]] = set()
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> LocalWhatsAppApi:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/whatsapp_business/attachments/", self._handle_download)
        app.router.add_route("*", "/{version}/{object_id}/messages", self._handle_messages)
        app.router.add_route("*", "/{version}/{object_id}/media", self._handle_upload)
        app.router.add_route(
            "*", "/{version}/{object_id}/message_templates", self._handle_templates
        )
        app.router.add_route("*", "/{version}/{object_id}", self._handle_object)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner
        return self

    async def stop(self) -> None:
        for task in list(self._scheduled):
            task.cancel()
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalWhatsAppApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What BUURBOT_WHATSAPP_API_BASE points at (the real one: https://graph.facebook.com)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def messages_url(self, version: str = "v23.0") -> str:
        return f"{self.base_url}/{version}/{self.phone_number_id}/messages"

    # --- the test clock ---------------------------------------------------------------------

    def now(self) -> float:
        """The server's time (epoch seconds): the clock plus whatever advance() added."""
        clock = self.clock
        base = clock.now().timestamp() if isinstance(clock, DatetimeClock) else clock()
        return base + self.offset

    def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> float:
        """Move the server's time forward (windows close, marketing caps roll over)."""
        self.offset += seconds + 60 * minutes + 3600 * hours + 86400 * days
        self._changed()
        return self.now()

    # --- people -----------------------------------------------------------------------------

    def person(
        self,
        name: str,
        *,
        wa_id: str | None = None,
        language: str | None = "nl",
        marketing_opt_out: bool = False,
        reachable: bool = True,
    ) -> Person:
        """A WhatsApp user (wa_id like "31612345678"). They have not written yet, so their
        24-hour window is closed until they do. reachable=False: messages fail with 131026."""
        if wa_id is None:
            wa_id = f"316{10_000_000 + self._next_wa_id:08d}"
            self._next_wa_id += 1
            while wa_id in self.people:
                wa_id = f"316{10_000_000 + self._next_wa_id:08d}"
                self._next_wa_id += 1
        if not wa_id.isdigit():
            raise ValueError(f"a wa_id is digits only, like 31612345678, not {wa_id!r}")
        if wa_id in self.people:
            raise ValueError(f"wa_id {wa_id} is taken")
        person = Person(
            self,
            name,
            wa_id,
            language=language,
            marketing_opt_out=marketing_opt_out,
            reachable=reachable,
        )
        self.people[wa_id] = person
        return person

    def message(self, wamid: str) -> MessageRecord:
        return self._by_wamid[wamid]

    # --- templates --------------------------------------------------------------------------

    def add_template(self, name: str, language: str, body: str, **fields: Any) -> Template:
        """Shorthand for `server.templates.add(...)` (APPROVED unless status= says otherwise)."""
        return self.templates.add(name, language, body, **fields)

    def add_templates(
        self, catalogue: Iterable[Mapping[str, Any]], **fields: Any
    ) -> list[Template]:
        """Register a catalogue (dicts: name, category, language, body, buttons, ...)."""
        return self.templates.add_catalogue(catalogue, **fields)

    # --- webhooks ---------------------------------------------------------------------------

    async def subscribe(self, url: str, verify_token: str) -> Verification:
        """What the App Dashboard does when the callback URL is saved: the verification GET,
        and, only when the bot echoed the challenge, the URL is set for every webhook."""
        result = await self.webhook.verify(url, verify_token, None)
        if result.ok:
            self.webhook.set_url(url)
        return result

    def set_webhook(self, url: str | None) -> None:
        """Set (or clear) the callback URL without the verification GET."""
        self.webhook.set_url(url)

    async def verify_webhook(
        self,
        verify_token: str,
        *,
        url: str | None = None,
        challenge: str | None = None,
        mode: str = "subscribe",
    ) -> Verification:
        """Perform the subscription GET and return what the bot answered."""
        target = url or self.webhook.url
        if target is None:
            raise RuntimeError("no webhook URL: pass url=")
        return await self.webhook.verify(target, verify_token, challenge, mode)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhook.deliveries

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        return self.webhook.attempts

    def deliveries_of(self, kind: str) -> list[Delivery]:
        return [d for d in self.webhook.deliveries if d.kind == kind]

    async def post_to_webhook(
        self,
        payload: JSON | bytes,
        *,
        signature: Any = _SIGNED,
        secret: str | None = None,
        url: str | None = None,
    ) -> WebhookAttempt:
        """POST one webhook by hand. signature=None: unsigned; a string: sent as the header
        as it is; secret=: signed with another key (a forgery)."""
        body = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        )
        if signature is _SIGNED:
            signature = sign(body, secret if secret is not None else self.app_secret)
        return await self.webhook.post(body, signature, url)

    async def redeliver(self, delivery: Delivery | int) -> WebhookAttempt:
        """Send a delivery again, byte for byte with its signature, as Meta does when it
        missed the 200 (the receiver must not handle it twice)."""
        if isinstance(delivery, int):
            delivery = next(d for d in self.webhook.deliveries if d.id == delivery)
        attempt = await self.webhook.post(
            delivery.body,
            sign(delivery.body, self.app_secret),
            None,
            delivery.id,
            len(delivery.attempts) + 1,
        )
        delivery.attempts.append(attempt)
        return attempt

    def inject_webhook(self, payload: JSON, key: str = "injected") -> Delivery:
        """Queue a raw webhook payload, unchecked, signed and delivered like the others."""
        return self.webhook.enqueue(key, "injected", payload)

    async def webhooks_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued webhook got its 2xx (or was given up)."""
        await self.wait_until(
            lambda: not self._scheduled and self.webhook.idle, timeout, "every webhook delivered"
        )

    # --- what the bot did -------------------------------------------------------------------

    def calls_to(
        self,
        to: Person | str | None = None,
        *,
        type: str | None = None,
        ok: bool | None = None,
        endpoint: str | None = "messages",
    ) -> list[Call]:
        wa_id = to.wa_id if isinstance(to, Person) else to
        return [
            c
            for c in self.calls
            if (endpoint is None or c.endpoint == endpoint)
            and (wa_id is None or c.to == wa_id)
            and (type is None or c.type == type)
            and (ok is None or c.ok == ok)
        ]

    def enforce_throughput(self, per_second: float = 80) -> Throughput:
        """Answer 130429 (HTTP 429) beyond `per_second` sends (Meta's default is 80)."""
        self.throughput = Throughput(time.monotonic, per_second)
        return self.throughput

    def disable_throughput(self) -> None:
        self.throughput = None

    # --- waiting ----------------------------------------------------------------------------

    def _changed(self) -> int:
        self.seq += 1
        if self._waiters:
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._waiters.clear()
        return self.seq

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - tests read better with a plain timeout
        what: str | None = None,
        *,
        recheck: float | None = 0.05,
    ) -> Any:
        """Wait until `predicate()` is truthy, re-checked on every server event (and every
        `recheck` seconds, for predicates on state outside the server)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                description = what or getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(self._report(description, timeout))
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=min(remaining, recheck or remaining))
            finally:
                self._waiters.discard(waiter)
                waiter.cancel()

    def _report(self, what: str, timeout: float) -> str:
        lines = [f"timed out after {timeout}s waiting for {what}"]
        lines.append(f"  webhook: {self.webhook.url}, pending {len(self.webhook.pending)}")
        lines.extend(f"    {a}" for a in self.webhook.attempts[-3:])
        lines.append(f"  last calls ({len(self.calls)} in all):")
        lines.extend(f"    {c}" for c in self.calls[-10:])
        if self.rejected:
            lines.append("  rejected calls:")
            lines.extend(f"    {c}" for c in self.rejected[-5:])
        return "\n".join(lines)

    # --- the world: messages both ways ------------------------------------------------------

    def _envelope(self, value: JSON, field_name: str = "messages") -> JSON:
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [{"value": value, "field": field_name}]}],
        }

    def _metadata(self) -> JSON:
        return {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }

    def message_payload(self, person: Person, message: JSON) -> JSON:
        """The webhook for one message a person sent, exactly as the Cloud API shapes it."""
        return self._envelope(
            {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "contacts": [{"profile": {"name": person.name}, "wa_id": person.wa_id}],
                "messages": [message],
            }
        )

    def record_inbound(self, person: Person, message: JSON) -> MessageRecord:
        context = message.get("context") or {}
        record = MessageRecord(
            wamid=message["id"],
            wa_id=person.wa_id,
            from_bot=False,
            type=message["type"],
            content=message,
            timestamp=self.now(),
            seq=self._changed(),
            status="received",
            context_id=context.get("id"),
        )
        person.records.append(record)
        self.received.append(record)
        self._by_wamid[record.wamid] = record
        self.webhook.enqueue(person.wa_id, "message", self.message_payload(person, message))
        return record

    def set_status(
        self, record: MessageRecord, status: str, errors: list[JSON] | None = None
    ) -> None:
        """Move a bot message to a status, and send its status webhook now."""
        record.status = status
        self._changed()
        if self.status_webhooks:
            payload = self._status_payload(record, status, errors)
            self.webhook.enqueue(record.wa_id, "status", payload)

    def _report_later(self, record: MessageRecord, statuses: list[tuple[str, Any]]) -> None:
        """Record the outcome of a send at once; its status webhooks follow `status_delay`
        later, after the send's own answer (Meta's come a moment later too, and a bot must
        know the wamid before its statuses make sense)."""
        record.status = statuses[-1][0]
        self._changed()
        if not self.status_webhooks:
            return
        payloads = [self._status_payload(record, status, errors) for status, errors in statuses]
        task = asyncio.get_running_loop().create_task(
            self._enqueue_statuses(record.wa_id, payloads)
        )
        self._scheduled.add(task)
        task.add_done_callback(self._scheduled.discard)

    async def _enqueue_statuses(self, wa_id: str, payloads: list[JSON]) -> None:
        if self.status_delay > 0:
            await asyncio.sleep(self.status_delay)
        for payload in payloads:
            self.webhook.enqueue(wa_id, "status", payload)

    def _status_payload(self, record: MessageRecord, status: str, errors: Any) -> JSON:
        entry: JSON = {
            "id": record.wamid,
            "status": status,
            "timestamp": str(int(self.now())),
            "recipient_id": record.wa_id,
        }
        if record.outgoing is not None and record.outgoing.biz_opaque_callback_data:
            entry["biz_opaque_callback_data"] = record.outgoing.biz_opaque_callback_data
        if errors:
            entry["errors"] = errors
        else:
            template = record.outgoing.template if record.outgoing else None
            category = template.category.value.lower() if template else "service"
            entry["pricing"] = {
                "billable": template is not None,
                "pricing_model": "PMP",
                "category": category,
                "type": "regular" if template else "free_customer_service",
            }
        value = {"messaging_product": "whatsapp", "metadata": self._metadata(), "statuses": [entry]}
        return self._envelope(value)

    def _template_event(self, field_name: str, value: JSON) -> None:
        if field_name not in self.subscribed_fields:
            return
        payload = self._envelope(value, field_name)
        payload["entry"][0]["time"] = int(self.now())
        self.webhook.enqueue("templates", field_name, payload)

    def preference_changed(self, person: Person, value: str) -> None:
        """The user_preferences webhook Meta sends when someone stops or resumes marketing."""
        if "user_preferences" not in self.subscribed_fields:
            return
        detail = (
            "User requested to stop marketing messages"
            if value == "stop"
            else "User requested to resume marketing messages"
        )
        payload = self._envelope(
            {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "contacts": [{"profile": {"name": person.name}, "wa_id": person.wa_id}],
                "user_preferences": [
                    {
                        "wa_id": person.wa_id,
                        "detail": detail,
                        "category": "marketing_messages",
                        "value": value,
                        "timestamp": int(self.now()),
                    }
                ],
            },
            "user_preferences",
        )
        self.webhook.enqueue(person.wa_id, "user_preferences", payload)

    def _delivery_failure(self, out: Outgoing, person: Person | None) -> int | None:
        """Why this accepted message will not reach the person, as the platform decides."""
        template = out.template
        if person is None or not person.reachable:
            return 131026
        fault = self.faults.pick(
            out.wa_id, out.type, template.name if template else None, delivery=True
        )
        if fault is not None:
            return int(fault.kind)
        if out.free_form and not person.window_open:
            return 131047
        if template is not None and template.category is TemplateCategory.MARKETING:
            if person.marketing_opt_out:
                return 131050
            if self.marketing_limit is not None:
                since = self.now() - _MARKETING_WINDOW
                recent = [t for t in person.marketing_received if t > since]
                if len(recent) >= self.marketing_limit:
                    return 131049
        return None

    def _accept(self, out: Outgoing) -> MessageRecord:
        person = self.people.get(out.wa_id)
        if out.type == "reaction":
            target = out.content["message_id"]
            known = person is not None and any(r.wamid == target for r in person.records)
            if not known:
                raise invalid_value(
                    f"reaction['message_id'] {target!r} is not a message in this conversation."
                )
        record = MessageRecord(
            wamid=new_wamid(out.wa_id),
            wa_id=out.wa_id,
            from_bot=True,
            type=out.type,
            content=out.content,
            timestamp=self.now(),
            seq=self._changed(),
            status="accepted",
            outgoing=out,
            context_id=out.context_id,
        )
        if out.type in ("image", "document") and "id" in out.content:
            record.media = self.media[out.content["id"]]
        self.sent.append(record)
        self._by_wamid[record.wamid] = record
        if person is not None:
            person.records.append(record)
        failure = self._delivery_failure(out, person)
        if failure is not None:
            record.error_code = failure
            self._report_later(record, [("failed", [delivery_error(failure)])])
            return record
        if person is not None and out.template is not None:
            if out.template.category is TemplateCategory.MARKETING:
                person.marketing_received.append(self.now())
        self._report_later(record, [("sent", None), ("delivered", None)])
        return record

    def _read_receipt(self, receipt: ReadReceipt) -> JSON:
        record = self._by_wamid.get(receipt.message_id)
        if record is None or record.from_bot:
            raise invalid_value(
                f"message_id {receipt.message_id!r} is not a message this number received."
            )
        record.read_by_bot = True
        self._changed()
        return {"success": True}

    # --- HTTP -------------------------------------------------------------------------------

    def _authorise(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise bad_token()

    def _check_object(self, request: web.Request, expected: str) -> None:
        version = request.match_info["version"]
        if not _VERSION_RE.fullmatch(version):
            raise GraphError(400, 2500, message=f"Unknown path components: /{version}")
        if request.match_info["object_id"] != expected:
            raise unknown_object(request.match_info["object_id"], request.method)

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        started = self.now()
        payload: Any = None
        out: Outgoing | ReadReceipt | None = None
        fault_kind: str | None = None
        delay = 0.0
        try:
            self._authorise(request)
            self._check_object(request, self.phone_number_id)
            if request.method != "POST":
                raise unknown_object(self.phone_number_id + "/messages", request.method)
            payload = await _read_json(request)
            out = check_payload(payload, self.templates, self.media)
            if isinstance(out, ReadReceipt):
                result = self._read_receipt(out)
                self._log(request, "messages", payload, None, "read", 200, result, started)
                return _json(200, result)
            template = out.template.name if out.template else None
            fault = self.faults.pick(out.wa_id, out.type, template, delivery=False)
            if fault is not None:
                fault_kind, delay = fault.kind, fault.delay
                if fault.applied:
                    self._accept(out)
                raise fault_error(fault)
            if self.throughput is not None:
                self.throughput.check()
            record = self._accept(out)
        except GraphError as error:
            to = out.wa_id if isinstance(out, Outgoing) else _guess_to(payload)
            kind = "read" if isinstance(out, ReadReceipt) else _guess_type(payload)
            call = self._log(
                request,
                "messages",
                payload,
                to,
                kind,
                error.status,
                error.to_json(),
                started,
                fault=fault_kind,
                rejected=error.rejected,
            )
            if fault_kind == "502":
                return web.Response(status=502, text=_PROXY_502, content_type="text/html")
            if fault_kind == "timeout":
                await asyncio.sleep(delay)
            return _json(error.status, call.response)
        message: JSON = {"id": record.wamid}
        if out.type == "template":
            message["message_status"] = "accepted"
        result = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": out.to, "wa_id": out.wa_id}],
            "messages": [message],
        }
        self._log(
            request,
            "messages",
            payload,
            out.wa_id,
            out.type,
            200,
            result,
            started,
            wamid=record.wamid,
        )
        return _json(200, result)

    async def _handle_templates(self, request: web.Request) -> web.StreamResponse:
        started = self.now()
        payload: Any = dict(request.query)
        try:
            self._authorise(request)
            self._check_object(request, self.waba_id)
            if request.method == "GET":
                result = self._list_templates(request.query)
            elif request.method == "POST":
                payload = await _read_json(request)
                result = self._create_template(payload)
            else:
                raise unknown_object(self.waba_id + "/message_templates", request.method)
        except GraphError as error:
            call = self._log(
                request,
                "message_templates",
                payload,
                None,
                None,
                error.status,
                error.to_json(),
                started,
                rejected=error.rejected,
            )
            return _json(error.status, call.response)
        self._log(request, "message_templates", payload, None, None, 200, result, started)
        return _json(200, result)

    def _list_templates(self, query: Mapping[str, str]) -> JSON:
        selected = [
            t.to_json()
            for t in self.templates
            if query.get("name") in (None, t.name)
            and query.get("language") in (None, t.language)
            and query.get("status", "").upper() in ("", t.status.value)
            and query.get("category", "").upper() in ("", t.category.value)
        ]
        return {"data": selected, "paging": {"cursors": {"before": "", "after": ""}}}

    def _create_template(self, payload: Any) -> JSON:
        if not isinstance(payload, dict):
            raise invalid_parameter("the body must be a JSON object")
        allowed = {"name", "language", "category", "components", "allow_category_change"}
        for key in payload:
            if key not in allowed:
                raise invalid_parameter(f'Unexpected key "{key}" on param "message_template".')
        for key in ("name", "language", "category", "components"):
            if key not in payload:
                raise GraphError(400, 100, f"The parameter {key} is required.")
        status = TemplateStatus.APPROVED if self.auto_approve else TemplateStatus.PENDING
        try:
            category = TemplateCategory(str(payload["category"]).upper())
            [template] = self.templates.add_catalogue(
                [
                    {k: payload[k] for k in ("name", "language", "components")}
                    | {"category": category}
                ],
                status=status,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphError(400, 100, f"Invalid template: {exc}") from None
        return {"id": template.id, "status": template.status.value, "category": category.value}

    async def _handle_object(self, request: web.Request) -> web.StreamResponse:
        """GET the phone number; GET or DELETE an uploaded media id."""
        started = self.now()
        object_id = request.match_info["object_id"]
        endpoint = "media" if object_id in self.media else "phone_number"
        try:
            self._authorise(request)
            stored = self.media.get(object_id)
            self._check_object(request, object_id if stored else self.phone_number_id)
            if stored is not None and request.method == "DELETE":
                del self.media[object_id]
                result: JSON = {"success": True}
            elif request.method != "GET":
                raise unknown_object(object_id, request.method)
            elif stored is not None:
                result = {
                    "messaging_product": "whatsapp",
                    "url": f"{self.base_url}/whatsapp_business/attachments/?mid={stored.id}",
                    "mime_type": stored.mime_type,
                    "sha256": stored.sha256,
                    "file_size": len(stored.data),
                    "id": stored.id,
                }
            else:
                result = {
                    "id": self.phone_number_id,
                    "display_phone_number": self.display_phone_number,
                    "verified_name": self.verified_name,
                    "quality_rating": "GREEN",
                }
        except GraphError as error:
            call = self._log(
                request,
                endpoint,
                dict(request.query),
                None,
                None,
                error.status,
                error.to_json(),
                started,
                rejected=error.rejected,
            )
            return _json(error.status, call.response)
        self._log(request, endpoint, dict(request.query), None, None, 200, result, started)
        return _json(200, result)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        """`POST /{phone_number_id}/media`, multipart: messaging_product, type, file."""
        started = self.now()
        fields: JSON = {}
        try:
            self._authorise(request)
            self._check_object(request, self.phone_number_id)
            if request.method != "POST" or request.content_type != "multipart/form-data":
                raise invalid_parameter("upload media as a multipart/form-data POST")
            data = b""
            filename = None
            part_type = None
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.name == "file":
                    data = bytes(await part.read())
                    filename = part.filename
                    part_type = part.headers.get("Content-Type")
                    fields["file"] = f"<{len(data)} bytes {filename}>"
                else:
                    fields[part.name] = await part.text()
            for key in fields:
                if key not in ("messaging_product", "type", "file"):
                    raise invalid_parameter(f'Unexpected key "{key}" on param "media".')
            if fields.get("messaging_product") != "whatsapp":
                raise invalid_parameter("The parameter messaging_product is required.")
            if "file" not in fields:
                raise invalid_parameter("The parameter file is required.")
            mime_type = fields.get("type") or part_type or ""
            try:
                stored = new_media(data, mime_type, filename)
            except ValueError as exc:
                raise invalid_parameter(str(exc)) from None
        except GraphError as error:
            call = self._log(
                request,
                "media",
                fields,
                None,
                None,
                error.status,
                error.to_json(),
                started,
                rejected=error.rejected,
            )
            return _json(error.status, call.response)
        self.media[stored.id] = stored
        result = {"id": stored.id}
        self._log(request, "media", fields, None, None, 200, result, started)
        return _json(200, result)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        """The media URL a GET on a media id gives; it needs the same bearer token."""
        started = self.now()
        try:
            self._authorise(request)
            stored = self.media.get(request.query.get("mid", ""))
            if stored is None:
                raise GraphError(404, 100, "no such media")
        except GraphError as error:
            call = self._log(
                request,
                "media",
                dict(request.query),
                None,
                None,
                error.status,
                error.to_json(),
                started,
                rejected=error.rejected,
            )
            return _json(error.status, call.response)
        self._log(request, "media", dict(request.query), None, None, 200, None, started)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        error = GraphError(400, 2500, message=f"Unknown path components: {request.path}")
        call = self._log(
            request, "unknown", dict(request.query), None, None, 400, error.to_json(), self.now()
        )
        return _json(400, call.response)

    def _log(
        self,
        request: web.Request,
        endpoint: str,
        payload: Any,
        to: str | None,
        kind: str | None,
        status: int,
        response: Any,
        started: float,
        *,
        fault: str | None = None,
        wamid: str | None = None,
        rejected: bool = True,
    ) -> Call:
        call = Call(
            request.method,
            request.path,
            endpoint,
            payload,
            to,
            kind,
            status,
            response,
            started,
            fault,
            wamid,
        )
        self.calls.append(call)
        if status != 200 and rejected and fault is None:
            self.rejected.append(call)
        self._changed()
        return call


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()
    if request.content_type != "application/json":
        raise invalid_parameter(
            f"the local server reads JSON bodies (Content-Type: application/json), "
            f"not {request.content_type}"
        )
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid_parameter("the body is not valid JSON") from None


def _guess_to(payload: Any) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("to"), str):
        digits = re.sub(r"\D", "", payload["to"])
        return digits or None
    return None


def _guess_type(payload: Any) -> str | None:
    if isinstance(payload, dict):
        if "status" in payload:
            return "read"
        kind = payload.get("type", "text")
        return kind if isinstance(kind, str) else None
    return None


def _json(status: int, body: Any) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
    )
