"""LocalBotApi: a Bot API server on 127.0.0.1 plus the controls a test needs."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import NOT_FOUND, UNAUTHORIZED, ApiError, bad_request
from .faults import NGINX_502, Fault, Faults, RateLimits, echo_page, fault_error
from .methods import Methods
from .simulation import Group, Person, SeenMessage, seen
from .spec import BotApiSpec, Upload
from .state import JSON, CallbackQueryRecord, ChatRecord, User
from .webhook import Webhook, WebhookAttempt
from .world import World

_CONFIGURED = object()  # "use the secret token the bot set"
_MAX_UPLOAD = 64 * 1024 * 1024


@dataclass(slots=True)
class Call:
    """One Bot API call the bot made, and how the server answered."""

    method: str
    params: JSON
    chat_id: int | None
    status: int
    result: Any  # the result on success
    description: str | None  # the error description otherwise
    parameters: JSON | None  # ResponseParameters of an error (retry_after, migrate_to_chat_id)
    timestamp: float  # server clock
    duration: float
    fault: str | None = None  # the injected fault that answered, if any
    source: str = "http"  # or "webhook-reply": a method returned as a webhook answer
    http_method: str | None = None
    content_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        chat = f" chat={self.chat_id}" if self.chat_id is not None else ""
        return f"{self.method}{chat} -> {outcome}"


class LocalBotApi:
    """A local stand-in for api.telegram.org, with simulated people and groups.

    `async with LocalBotApi() as server:` then point aiogram at `server.base_url`
    (`TelegramAPIServer.from_base`) or python-telegram-bot at `server.api_base`.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        username: str = "buurbot_test_bot",
        *,
        first_name: str = "Buurbot",
        privacy_mode: bool = True,
        spec: BotApiSpec | str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        webhook_retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5),
        webhook_timeout: float = 10.0,
        fault_seed: int = 0,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '123456:secret'")
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the local Bot API server binds to the loopback interface only")
        self.token = token
        self.username = username
        self.host = host
        self.port = port
        self.clock = clock
        self.spec = spec if isinstance(spec, BotApiSpec) else BotApiSpec.load(spec)
        bot = User(int(bot_id), first_name, is_bot=True, username=username)
        self.world = World(bot, privacy_mode=privacy_mode, on_change=self._notify)
        self.webhook = Webhook(
            self.world.queue,
            self._notify,
            self._execute_reply,
            webhook_retry_delays,
            webhook_timeout,
        )
        self.methods = Methods(self.world, self.webhook)
        self.faults = Faults(fault_seed)
        self.limits: RateLimits | None = None
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.people: dict[int, Person] = {}
        self.groups: list[Group] = []
        self._calls_by_method: dict[str, list[Call]] = defaultdict(list)
        self._waiters: set[asyncio.Future[None]] = set()
        self._chat_waiters: dict[int, set[asyncio.Future[None]]] = {}
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> LocalBotApi:
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a long poll whose client went away must not linger as a ghost
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner
        self.world.queue.closing = False
        return self

    async def stop(self) -> None:
        self.world.queue.closing = True
        self.world.queue.wake_all()
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For aiogram: `TelegramAPIServer.from_base(server.base_url)`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_base(self) -> str:
        """For python-telegram-bot: `Bot(token, base_url=server.api_base)`."""
        return f"{self.base_url}/bot"

    @property
    def file_base(self) -> str:
        """For python-telegram-bot: `base_file_url=server.file_base`."""
        return f"{self.base_url}/file/bot"

    def url(self, method: str) -> str:
        return f"{self.base_url}/bot{self.token}/{method}"

    # --- the simulated world ----------------------------------------------------------------

    @property
    def bot(self) -> User:
        return self.world.bot

    def person(
        self,
        name: str,
        *,
        language_code: str | None = "nl",
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        started: bool = True,
    ) -> Person:
        """A Telegram user. `started=False`: never opened the bot, so it cannot write to them."""
        world = self.world
        if user_id is None:
            user_id = next(world.ids.user)
            while user_id in world.users:
                user_id = next(world.ids.user)
        elif user_id in world.users:
            raise ValueError(f"user id {user_id} is taken")
        user = User(
            user_id, name, last_name=last_name, username=username, language_code=language_code
        )
        world.users[user_id] = user
        chat = world.add_chat(ChatRecord(id=user_id, type="private", user=user, started=started))
        chat.bot_status = "member"
        person = Person(self, user, chat)
        self.people[user_id] = person
        return person

    def group(self, title: str, *, type: str = "group", username: str | None = None) -> Group:
        if type not in ("group", "supergroup"):
            raise ValueError("type is 'group' or 'supergroup'")
        chat = self.world.add_chat(
            ChatRecord(
                id=self.world.ids.group_id(supergroup=type == "supergroup"),
                type=type,
                title=title,
                username=username,
            )
        )
        group = Group(self, chat)
        self.groups.append(group)
        return group

    def chat_transcript(self, chat_id: int) -> list[SeenMessage]:
        chat = self.world.chats[chat_id]
        return [seen(record, self.world) for record in chat.messages.values()]

    # --- updates ----------------------------------------------------------------------------

    @property
    def pending_updates(self) -> list[JSON]:
        return self.world.queue.pending

    def redeliver(self, update_id: int) -> None:
        """Queue an update again with the same update_id, as after a lost confirmation."""
        self.world.queue.redeliver(update_id)
        self._notify()

    def inject_update(self, update: JSON) -> int:
        """Queue a raw update as Telegram would deliver it, unchecked (say, one a library
        cannot parse); polled or pushed to the webhook like any other. Returns its update_id."""
        queued = self.world.queue.add_raw(update)
        self._notify()
        return int(queued["update_id"])

    async def post_to_webhook(
        self, update: JSON, *, secret_token: Any = _CONFIGURED, url: str | None = None
    ) -> WebhookAttempt:
        """POST one update to the webhook with a chosen secret (None: no header)."""
        secret = self.webhook.secret_token if secret_token is _CONFIGURED else secret_token
        return await self.webhook.post(update, secret, url)

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        return self.webhook.attempts

    # --- what the bot did -------------------------------------------------------------------

    def calls_to(
        self, method: str, chat_id: int | None = None, *, ok: bool | None = None
    ) -> list[Call]:
        name = self.spec.canonical(method) or method
        calls = self._calls_by_method.get(name, [])
        return [
            c
            for c in calls
            if (chat_id is None or c.chat_id == chat_id) and (ok is None or c.ok == ok)
        ]

    def callback_query(self, query_id: str) -> CallbackQueryRecord:
        return self.world.callback_queries[query_id]

    async def wait_for_answer(self, query_id: str, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109 - tests read better with a plain timeout
        """Wait until the bot answered a button press; returns the answer's parameters."""
        record = self.world.callback_queries[query_id]
        await self.wait_until(lambda: record.answered, timeout, f"answer to callback {query_id}")
        return record.answer or {}

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands set for exactly this scope and language (no fallback)."""
        return self.methods.get_my_commands({"scope": scope, "language_code": language_code})

    def description(self, language_code: str = "") -> str:
        return self.world.descriptions.get(language_code, "")

    def short_description(self, language_code: str = "") -> str:
        return self.world.short_descriptions.get(language_code, "")

    def file_bytes(self, file_id: str) -> bytes | None:
        stored = self.world.files.get(file_id)
        return stored.data if stored else None

    # --- faults and limits ------------------------------------------------------------------

    def enforce_limits(
        self,
        per_chat_per_s: float | None = 1,
        overall_per_s: float | None = 30,
        per_group_per_min: float | None = 20,
        per_chat_burst: int = 3,
    ) -> RateLimits:
        """Answer 429 with retry_after when a sending call exceeds these limits (per chat:
        a short burst of `per_chat_burst`, then `per_chat_per_s`)."""
        self.limits = RateLimits(
            self.clock, per_chat_per_s, overall_per_s, per_group_per_min, per_chat_burst
        )
        return self.limits

    def disable_limits(self) -> None:
        self.limits = None

    # --- waiting ----------------------------------------------------------------------------

    def _notify(self, chat_id: int | None = None) -> None:
        if self._waiters:
            _wake(self._waiters)
        if chat_id is not None and self._chat_waiters:
            waiters = self._chat_waiters.pop(chat_id, None)
            if waiters:
                _wake(waiters)

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - tests read better with a plain timeout
        what: str | None = None,
        *,
        chat_id: int | None = None,
        recheck: float | None = 0.05,
    ) -> Any:
        """Wait until `predicate()` is truthy, re-checked on every server event.

        With `chat_id`: only on changes to that chat's messages (cheap with many waiters).
        `recheck`: also every so many seconds, for predicates on state outside the server.
        """
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
                raise AssertionError(self._report(what or _describe(predicate), timeout))
            waiter: asyncio.Future[None] = loop.create_future()
            waiters = (
                self._waiters if chat_id is None else self._chat_waiters.setdefault(chat_id, set())
            )
            waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=min(remaining, recheck or remaining))
            finally:
                waiters.discard(waiter)
                waiter.cancel()

    def _report(self, what: str, timeout: float) -> str:
        lines = [f"timed out after {timeout}s waiting for {what}"]
        lines.append(f"  pending updates: {len(self.world.queue)}")
        if self.webhook.url:
            lines.append(f"  webhook: {self.webhook.url}, in flight {self.webhook.in_flight}")
            lines.extend(f"    {a}" for a in self.webhook.attempts[-3:])
        lines.append(f"  last calls ({len(self.calls)} in all):")
        lines.extend(f"    {c}" for c in self.calls[-10:])
        if self.rejected:
            lines.append("  rejected calls:")
            lines.extend(f"    {c}" for c in self.rejected[-5:])
        return "\n".join(lines)

    # --- HTTP -------------------------------------------------------------------------------

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _json_response(404, ApiError(404, NOT_FOUND).to_json())

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_response(401, ApiError(401, UNAUTHORIZED).to_json())
        stored = self.world.files_by_path.get(request.match_info["path"])
        if stored is None or stored.data is None:
            return _json_response(404, ApiError(404, NOT_FOUND).to_json())
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _handle_method(self, request: web.Request) -> web.Response:
        started = self.clock()
        requested = request.match_info["method"]
        if request.match_info["token"] != self.token:
            error = ApiError(401, UNAUTHORIZED)
            self._record(requested, {}, None, error, None, started, request)
            return _json_response(401, error.to_json())
        method = self.spec.canonical(requested)
        if method is None:
            error = ApiError(404, NOT_FOUND)
            self._record(requested, dict(request.query), None, error, None, started, request)
            return _json_response(404, error.to_json())
        try:
            raw, uploads = await _read_params(request, self.spec.methods[method].fields)
        except ApiError as error:
            self._record(method, {}, None, error, None, started, request)
            return _json_response(error.code, error.to_json())
        status, body, fault = await self._execute(method, raw, uploads, started, request)
        if fault == "502":
            return web.Response(status=502, text=NGINX_502, content_type="text/html")
        if fault == "echo":
            return web.Response(status=502, text=echo_page(request.path), content_type="text/html")
        return _json_response(status, body)

    async def _execute_reply(self, method: str, params: JSON) -> None:
        canonical = self.spec.canonical(method)
        if canonical is None:
            self._record(method, params, None, ApiError(404, NOT_FOUND), None, self.clock(), None)
            return
        await self._execute(canonical, params, {}, self.clock(), None, source="webhook-reply")

    async def _execute(
        self,
        method: str,
        raw: JSON,
        uploads: dict[str, Upload],
        started: float,
        request: web.Request | None,
        source: str = "http",
    ) -> tuple[int, JSON, str | None]:
        params: JSON = raw
        chat_id: int | None = None
        fault: Fault | None = None
        try:
            params = self.spec.validate_call(method, raw, uploads)
            chat_id = self.world.chat_id_of(params.get("chat_id"))
            handler = self.methods.table.get(method)
            if handler is None:
                raise bad_request("method not supported by the local server")
            fault = self.faults.pick(method, chat_id)
            if fault is not None:
                if fault.applied:
                    try:
                        outcome = handler(params)
                        if inspect.isawaitable(outcome):
                            await outcome
                    except ApiError:
                        pass
                raise fault_error(fault)
            if self.limits is not None:
                self.limits.check(method, chat_id)
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            if chat_id is None and isinstance(raw.get("chat_id"), int | str):
                chat_id = self.world.chat_id_of(raw["chat_id"])
            fault_kind = fault.kind if fault is not None else None
            self._record(method, params, chat_id, error, None, started, request, source, fault_kind)
            if fault is not None and fault.kind == "timeout":
                # recorded first: the client may give up (and disconnect) before the answer
                await asyncio.sleep(fault.delay)
            return error.code, error.to_json(), fault_kind
        self._record(method, params, chat_id, None, result, started, request, source)
        return 200, {"ok": True, "result": result}, None

    def _record(
        self,
        method: str,
        params: JSON,
        chat_id: int | None,
        error: ApiError | None,
        result: Any,
        started: float,
        request: web.Request | None,
        source: str = "http",
        fault: str | None = None,
    ) -> Call:
        finished = self.clock()
        call = Call(
            method=method,
            params=params,
            chat_id=chat_id,
            status=error.code if error else 200,
            result=result,
            description=error.description if error else None,
            parameters=error.parameters if error else None,
            timestamp=started,
            duration=finished - started,
            fault=fault,
            source=source,
            http_method=request.method if request is not None else None,
            content_type=request.content_type if request is not None else None,
        )
        self.calls.append(call)
        self._calls_by_method[method].append(call)
        if error is not None and error.rejected:
            self.rejected.append(call)
        self._notify()
        return call


async def _read_params(
    request: web.Request, fields: dict[str, Any]
) -> tuple[JSON, dict[str, Upload]]:
    """Query string, then the body: JSON, urlencoded or multipart (files become Uploads)."""
    raw: JSON = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.body_exists:
        return raw, uploads
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON body") from None
            if not isinstance(data, dict):
                raise bad_request("the JSON body must be an object")
            raw.update(data)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data_bytes = bytes(await part.read())
                upload = Upload(data_bytes, part.filename, part.headers.get("Content-Type"))
                uploads[part.name] = upload
                if part.name in fields and part.name not in raw:
                    raw[part.name] = upload
            else:
                raw[part.name] = await part.text()
    else:
        form = await request.post()
        raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    return raw, uploads


def _wake(waiters: set[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
    waiters.clear()


def _json_response(status: int, body: JSON) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_default),
        content_type="application/json",
    )


def _default(value: Any) -> Any:
    if isinstance(value, Upload):
        return f"<upload {value.filename}>"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _describe(predicate: Callable[[], Any]) -> str:
    return getattr(predicate, "__qualname__", None) or repr(predicate)
