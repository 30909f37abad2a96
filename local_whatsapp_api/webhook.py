"""Webhooks as Meta sends them: signed JSON POSTs, retried, one recipient's events in order.

Meta signs every POST with `X-Hub-Signature-256: sha256=<HMAC-SHA256 hex of the raw body, keyed
with the app secret>` and retries a delivery that did not get a 2xx (for up to 7 days, with
decreasing frequency; here `retry_delays`). A retried delivery carries the very same body, so a
receiver must drop what it has already handled (by message id). The subscription is verified by
a GET with hub.mode=subscribe, hub.verify_token and hub.challenge: the receiver answers the
challenge as plain text when the token is its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

JSON = dict[str, Any]
SIGNATURE_HEADER = "X-Hub-Signature-256"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 value for a body: what a receiver recomputes and compares."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in _LOOPBACK:
        raise RuntimeError(f"refusing to send a webhook to {host}: only 127.0.0.1 is allowed")


@dataclass(slots=True)
class WebhookAttempt:
    """One POST to the bot's webhook, and what came back."""

    delivery_id: int | None  # None: a hand-made post (forged, unsigned)
    url: str
    attempt: int
    signature: str | None
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    body: str
    error: str | None
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def __str__(self) -> str:
        outcome = self.status if self.status is not None else self.error
        return f"delivery {self.delivery_id} attempt {self.attempt} -> {outcome}"


@dataclass(slots=True)
class Delivery:
    """One webhook notification: a person's message, or statuses of the bot's messages."""

    id: int
    key: str  # the wa_id it concerns: one key's deliveries go one at a time, in order
    kind: str  # "message", "status", or the webhook field (template updates, preferences)
    payload: JSON
    body: bytes  # serialised once: a redelivery sends the same bytes and signature
    attempts: list[WebhookAttempt] = field(default_factory=list)
    delivered: bool = False
    given_up: bool = False

    @property
    def done(self) -> bool:
        return self.delivered or self.given_up


@dataclass(slots=True)
class Verification:
    """What the bot answered to the subscription GET."""

    status: int | None
    body: str
    challenge: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Meta accepts the callback URL only on a 200 that echoes the challenge."""
        return self.status == 200 and self.body == self.challenge


class Webhook:
    def __init__(
        self,
        app_secret: str,
        on_change: Callable[[], None],
        retry_delays: tuple[float, ...],
        timeout: float,
    ) -> None:
        self.app_secret = app_secret
        self.url: str | None = None
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self.attempts: list[WebhookAttempt] = []
        self._on_change = on_change
        self._queues: dict[str, deque[Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._next_id = 1

    # --- queueing --------------------------------------------------------------------------

    def enqueue(self, key: str, kind: str, payload: JSON) -> Delivery:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        delivery = Delivery(self._next_id, key, kind, payload, body)
        self._next_id += 1
        self.deliveries.append(delivery)
        self._queues.setdefault(key, deque()).append(delivery)
        self._kick(key)
        self._on_change()
        return delivery

    def set_url(self, url: str | None) -> None:
        if url is not None:
            check_loopback(url)
        self.url = url
        if url is not None:
            for key in list(self._queues):
                self._kick(key)

    @property
    def pending(self) -> list[Delivery]:
        """Deliveries not yet answered with a 2xx nor given up (waiting, or being retried)."""
        return [d for d in self.deliveries if not d.done]

    @property
    def idle(self) -> bool:
        return not self.pending

    def _kick(self, key: str) -> None:
        if self.url is None or not self._queues.get(key):
            return
        worker = self._workers.get(key)
        if worker is None or worker.done():
            self._workers[key] = asyncio.get_running_loop().create_task(self._work(key))

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        while queue and self.url is not None:
            delivery = queue[0]
            await self._deliver(delivery)
            if self.url is None and not delivery.done:
                return  # the URL was taken away: keep it queued for the next one
            queue.popleft()
        self._workers.pop(key, None)

    async def _deliver(self, delivery: Delivery) -> None:
        for number, delay in enumerate((0.0, *self.retry_delays), start=1):
            if delay:
                await asyncio.sleep(delay)
            if self.url is None:
                return
            attempt = await self.post(
                delivery.body, sign(delivery.body, self.app_secret), self.url, delivery.id, number
            )
            delivery.attempts.append(attempt)
            if attempt.ok:
                delivery.delivered = True
                self._on_change()
                return
        delivery.given_up = True
        self._on_change()

    # --- HTTP ------------------------------------------------------------------------------

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def post(
        self,
        body: bytes,
        signature: str | None,
        url: str | None = None,
        delivery_id: int | None = None,
        attempt: int = 1,
    ) -> WebhookAttempt:
        target = url or self.url
        if not target:
            raise RuntimeError("no webhook URL is set; call server.subscribe(url, verify_token)")
        check_loopback(target)
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        started = time.monotonic()
        status: int | None = None
        text = ""
        error: str | None = None
        try:
            session = await self.session()
            async with session.post(
                target, data=body, headers=headers, timeout=aiohttp.ClientTimeout(self.timeout)
            ) as response:
                status = response.status
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        result = WebhookAttempt(
            delivery_id, target, attempt, signature, status, text, error, time.monotonic() - started
        )
        self.attempts.append(result)
        self._on_change()
        return result

    async def verify(
        self, url: str, verify_token: str, challenge: str | None, mode: str = "subscribe"
    ) -> Verification:
        check_loopback(url)
        challenge = challenge or str(secrets.randbelow(10**10))
        params = {"hub.mode": mode, "hub.verify_token": verify_token, "hub.challenge": challenge}
        try:
            session = await self.session()
            async with session.get(
                url, params=params, timeout=aiohttp.ClientTimeout(self.timeout)
            ) as response:
                return Verification(response.status, await response.text(), challenge)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Verification(None, "", challenge, f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
        if self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)
        self._workers.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
