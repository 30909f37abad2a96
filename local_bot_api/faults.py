"""Injected faults and Telegram's flood limits."""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ApiError

FAULT_KINDS = frozenset({"429", "500", "502", "504", "timeout", "403", "401", "404", "echo"})

# Methods that put a message in a chat: these count against the flood limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendPoll",
        "sendMediaGroup",
        "sendAnimation",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendVideoNote",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendDice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def echo_page(path: str) -> str:
    """A proxy's 502 page that repeats the request path: /bot<token>/<method>."""
    return (
        "<!DOCTYPE html>\n<html><head><title>502 Proxy Error</title></head><body>\n"
        "<h1>Proxy Error</h1>\n<p>The proxy server received an invalid response from an "
        f"upstream server.<br>\nThe proxy server could not handle the request "
        f'<em><a href="{path}">POST&nbsp;{path}</a></em>.</p>\n</body></html>\n'
    )


@dataclass(slots=True)
class Fault:
    kind: str
    method: str | None  # lower-cased; None: every method but getUpdates
    chat_id: int | None
    times: int | None  # None: until cleared
    rate: float | None  # probability per matching call; None: every matching call
    retry_after: int
    delay: float
    applied: bool  # timeout/5xx: the call still takes effect, only the answer is lost
    fired: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is None:
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(slots=True)
class FiredFault:
    fault: Fault
    method: str
    chat_id: int | None


class Faults:
    """`server.faults.arm("429", method="sendMessage", times=2, retry_after=3)`."""

    def __init__(self, seed: int = 0) -> None:
        self._armed: list[Fault] = []
        self._random = random.Random(seed)
        self.fired: list[FiredFault] = []

    def arm(
        self,
        kind: str,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        rate: float | None = None,
        retry_after: int = 1,
        delay: float = 2.0,
        applied: bool = False,
    ) -> Fault:
        """Arm a fault for matching calls.

        kind: "429" flood control with retry_after; "403" blocked by the user; "401"/"404"
        the token refused or the address wrong (e.g. for getUpdates); "500" JSON error;
        "502" nginx's HTML page; "echo" a proxy's HTML 502 page repeating the request path
        (the bot token in it); "504"/"timeout": wait `delay` seconds, then answer 504.
        method=None matches every method except getUpdates (polling would swallow it).
        times=None keeps firing until `clear()`; rate is the probability per matching call.
        applied=True lets the call take effect while its answer fails (the lost-response case).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}")
        fault = Fault(
            kind,
            method.lower() if method else None,
            chat_id,
            times,
            rate,
            retry_after,
            delay,
            applied,
        )
        self._armed.append(fault)
        return fault

    def clear(self) -> None:
        self._armed.clear()

    @property
    def armed(self) -> list[Fault]:
        return [f for f in self._armed if f.times is None or f.fired < f.times]

    def pick(self, method: str, chat_id: int | None) -> Fault | None:
        if not self._armed:
            return None
        lowered = method.lower()
        for fault in self._armed:
            if not fault.matches(lowered, chat_id):
                continue
            if fault.rate is not None and self._random.random() >= fault.rate:
                continue
            fault.fired += 1
            self.fired.append(FiredFault(fault, method, chat_id))
            return fault
        return None


def fault_error(fault: Fault) -> ApiError:
    if fault.kind == "429":
        return too_many_requests(fault.retry_after)
    if fault.kind == "403":
        return ApiError(403, "Forbidden: bot was blocked by the user", rejected=False)
    if fault.kind == "401":
        return ApiError(401, "Unauthorized", rejected=False)
    if fault.kind == "404":
        return ApiError(404, "Not Found", rejected=False)
    if fault.kind == "500":
        return ApiError(500, "Internal Server Error", rejected=False)
    if fault.kind in ("502", "echo"):
        return ApiError(502, "Bad Gateway", rejected=False)
    return ApiError(504, "Gateway Timeout", rejected=False)


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
        rejected=False,
    )


@dataclass(slots=True)
class _Window:
    limit: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def wait_needed(self, now: float) -> float:
        stamps = self.stamps
        while stamps and stamps[0] <= now - self.seconds:
            stamps.popleft()
        if len(stamps) < self.limit:
            return 0.0
        return stamps[0] + self.seconds - now

    def take(self, now: float) -> None:
        self.stamps.append(now)


@dataclass(slots=True)
class _Bucket:
    """`burst` sends at once, refilled at `rate` a second: a chat's short bursts."""

    burst: int
    rate: float
    tokens: float = -1.0  # full, on first use
    at: float = 0.0

    def _refill(self, now: float) -> None:
        if self.tokens < 0:
            self.tokens, self.at = float(self.burst), now
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait_needed(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class RateLimits:
    """Telegram's flood control: overall and per group as sliding windows; per chat a
    bucket, since Telegram lets a chat have short bursts over its 1 a second."""

    def __init__(
        self,
        clock: Callable[[], float],
        per_chat_per_s: float | None,
        overall_per_s: float | None,
        per_group_per_min: float | None,
        per_chat_burst: int = 1,
    ) -> None:
        self._clock = clock
        self.per_chat_burst = per_chat_burst
        self.per_chat_per_s = per_chat_per_s
        self.overall_per_s = overall_per_s
        self.per_group_per_min = per_group_per_min
        self._overall = _window(overall_per_s, 1.0) if overall_per_s else None
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, _Window] = {}
        self.refused = 0

    def check(self, method: str, chat_id: int | None) -> None:
        """Count a sending call, or raise 429 with the seconds until it would fit."""
        if method not in SENDING_METHODS:
            return
        now = self._clock()
        windows: list[_Window | _Bucket] = []
        if self._overall is not None:
            windows.append(self._overall)
        if chat_id is not None:
            if self.per_chat_per_s:
                bucket = self._chats.get(chat_id)
                if bucket is None:
                    bucket = _Bucket(self.per_chat_burst, self.per_chat_per_s)
                    self._chats[chat_id] = bucket
                windows.append(bucket)
            if chat_id < 0 and self.per_group_per_min:
                window = self._groups.get(chat_id)
                if window is None:
                    window = self._groups[chat_id] = _window(self.per_group_per_min, 60.0)
                windows.append(window)
        wait = max((w.wait_needed(now) for w in windows), default=0.0)
        if wait > 0:
            self.refused += 1
            raise too_many_requests(max(1, math.ceil(wait)))
        for limit in windows:
            limit.take(now)


def _window(allowed: float, seconds: float) -> _Window:
    """`allowed` sends per `seconds`; below one, one send per proportionally longer window."""
    if allowed >= 1:
        return _Window(math.floor(allowed), seconds)
    return _Window(1, seconds / allowed)
