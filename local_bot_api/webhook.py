"""Webhook mode: push each update to the bot's URL, like Telegram, with retries."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .state import now
from .updates import QueuedUpdate, UpdateQueue

JSON = dict[str, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

ReplyExecutor = Callable[[str, JSON], Awaitable[Any]]


@dataclass(slots=True)
class WebhookAttempt:
    """One POST of an update to the bot's webhook, and what came back."""

    update_id: int
    url: str
    attempt: int
    secret_token: str | None
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    body: str
    error: str | None
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def update_chat_key(update: JSON) -> Any:
    """Updates about one chat (or person) are pushed one at a time, in order."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        for path in (("chat", "id"), ("message", "chat", "id"), ("user", "id"), ("from", "id")):
            value: Any = payload
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:  # an injected, malformed update may lack any of them
                return value
        return (kind, payload.get("id"))
    return None


class Webhook:
    def __init__(
        self,
        queue: UpdateQueue,
        on_change: Callable[[], None],
        execute_reply: ReplyExecutor,
        retry_delays: tuple[float, ...],
        timeout: float,
    ) -> None:
        self.queue = queue
        self._on_change = on_change
        self._execute_reply = execute_reply
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.url: str | None = None
        self.secret_token: str | None = None
        self.max_connections = 40
        self.ip_address: str | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.attempts: list[WebhookAttempt] = []
        self.failed: list[JSON] = []  # updates given up after all retries
        self._session: aiohttp.ClientSession | None = None
        self._pump: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: dict[Any, deque[QueuedUpdate]] = {}
        self._slots: asyncio.Semaphore | None = None
        self.in_flight = 0

    def configure(
        self, url: str, secret_token: str | None, max_connections: int, ip_address: str | None
    ) -> None:
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.ip_address = ip_address
        self._slots = asyncio.Semaphore(max_connections)
        self.queue.webhook_active = True
        self.queue.wake_all()  # a pending getUpdates answers 409
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run())

    def remove(self) -> None:
        self.url = None
        self.secret_token = None
        self.queue.webhook_active = False
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None

    def info(self) -> JSON:
        info: JSON = {
            "url": self.url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue) + self.in_flight,
        }
        if self.url:
            info["max_connections"] = self.max_connections
            info["ip_address"] = self.ip_address or "127.0.0.1"
        if self.queue.allowed is not None:
            info["allowed_updates"] = sorted(self.queue.allowed)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def close(self) -> None:
        self.remove()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self, update: JSON, secret_token: str | None, url: str | None = None, attempt: int = 1
    ) -> WebhookAttempt:
        """POST one update as Telegram does and record the answer."""
        target = url or self.url
        if not target:
            raise RuntimeError("no webhook is set; call setWebhook first or pass url=")
        host = urlsplit(target).hostname
        if host not in _LOOPBACK:
            raise RuntimeError(f"refusing to send an update to {host}: only 127.0.0.1 is allowed")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers[SECRET_HEADER] = secret_token
        started = time.monotonic()
        status: int | None = None
        body = ""
        error: str | None = None
        try:
            async with self._session.post(
                target,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                status = response.status
                body = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        result = WebhookAttempt(
            update["update_id"],
            target,
            attempt,
            secret_token,
            status,
            body,
            error,
            time.monotonic() - started,
        )
        self.attempts.append(result)
        if not result.ok:
            self.last_error_date = now()
            self.last_error_message = error or f"Wrong response from the webhook: {status}"
        self._on_change()
        return result

    async def _run(self) -> None:
        while self.url is not None:
            entry = self.queue.pop_next()
            if entry is None:
                await self.queue.wait_for_arrival(None)
                continue
            key = update_chat_key(entry.update)
            waiting = self._busy.get(key)
            if waiting is not None:
                waiting.append(entry)
                continue
            self._busy[key] = deque()
            self._spawn(key, entry)

    def _spawn(self, key: Any, entry: QueuedUpdate) -> None:
        self.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._deliver(key, entry))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, key: Any, entry: QueuedUpdate) -> None:
        try:
            assert self._slots is not None
            async with self._slots:
                delays = (0.0, *self.retry_delays)
                for attempt, delay in enumerate(delays, start=1):
                    if delay:
                        await asyncio.sleep(delay)
                    url = self.url
                    if url is None:
                        self.queue.redeliver(entry.update_id)  # webhook removed: back to polling
                        return
                    result = await self.post(entry.update, self.secret_token, url, attempt)
                    if result.ok:
                        await self._run_reply(result.body)
                        return
                self.failed.append(entry.update)
        finally:
            self.in_flight -= 1
            waiting = self._busy.get(key)
            if waiting:
                self._spawn(key, waiting.popleft())
            else:
                self._busy.pop(key, None)
            self._on_change()

    async def _run_reply(self, body: str) -> None:
        """A webhook answer may itself be a Bot API call, which Telegram then executes."""
        if not body.strip().startswith("{"):
            return
        try:
            payload = json.loads(body)
        except ValueError:
            return
        if isinstance(payload, dict) and isinstance(payload.get("method"), str):
            params = {k: v for k, v in payload.items() if k != "method"}
            await self._execute_reply(payload["method"], params)
