"""Injected faults and the Cloud API's throughput limit.

Synchronous faults answer the send call itself: "130429" (throughput, HTTP 429), "131056"
(pair rate limit, HTTP 400), "429" (Graph's application request limit, code 4), "500"
(code 1), "503" (code 2), "502" (a proxy's HTML page), "timeout" (wait, then 504), "401"
(token expired, code 190). Delivery faults let the call succeed (200 and a wamid) and make the
message fail afterwards in a `statuses` webhook, as the real platform reports them: "131049"
(ecosystem delivery control), "131026" (undeliverable), "131047" (re-engagement), "131050"
(marketing opt-out), "131048" (spam rate limit), "131000" (unknown).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import GraphError

SYNC_KINDS = frozenset({"130429", "131056", "429", "500", "503", "502", "timeout", "401"})
DELIVERY_KINDS = frozenset({"131049", "131026", "131047", "131050", "131048", "131000"})
FAULT_KINDS = SYNC_KINDS | DELIVERY_KINDS


@dataclass(slots=True)
class Fault:
    kind: str
    to: str | None  # a wa_id; None: any recipient
    type: str | None  # message type ("text", "template", ...) or a template name
    times: int | None  # None: until cleared
    rate: float | None  # probability per matching call; None: every matching call
    delay: float
    applied: bool  # 5xx/timeout: the message still goes out, only the answer is lost
    fired: int = 0

    @property
    def delivery(self) -> bool:
        return self.kind in DELIVERY_KINDS

    def matches(self, to: str | None, kind: str | None, template: str | None) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.to is not None and self.to != to:
            return False
        return self.type is None or self.type in (kind, template)


class Faults:
    """`server.faults.arm("130429", times=2)`, `server.faults.arm("131049", to=anna.wa_id)`."""

    def __init__(self, seed: int = 0) -> None:
        self._armed: list[Fault] = []
        self._random = random.Random(seed)
        self.fired: list[tuple[Fault, str | None]] = []

    def arm(
        self,
        kind: str,
        *,
        to: str | None = None,
        type: str | None = None,
        times: int | None = 1,
        rate: float | None = None,
        delay: float = 2.0,
        applied: bool = False,
    ) -> Fault:
        """Arm a fault for matching sends (`type`: a message type or a template name).
        times=None keeps firing until `clear()`; `rate` is the chance per matching send;
        applied=True lets a 5xx/timeout send take effect while its answer fails."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}")
        fault = Fault(kind, to, type, times, rate, delay, applied)
        self._armed.append(fault)
        return fault

    def clear(self) -> None:
        self._armed.clear()

    @property
    def armed(self) -> list[Fault]:
        return [f for f in self._armed if f.times is None or f.fired < f.times]

    def pick(
        self, to: str | None, kind: str | None, template: str | None, *, delivery: bool
    ) -> Fault | None:
        for fault in self._armed:
            if fault.delivery != delivery or not fault.matches(to, kind, template):
                continue
            if fault.rate is not None and self._random.random() >= fault.rate:
                continue
            fault.fired += 1
            self.fired.append((fault, to))
            return fault
        return None


def fault_error(fault: Fault) -> GraphError:
    kind = fault.kind
    if kind == "130429":
        return GraphError(
            429, 130429, "Cloud API message throughput has been reached.", rejected=False
        )
    if kind == "131056":
        return GraphError(
            400,
            131056,
            "Message failed to send because there were too many messages sent from this phone "
            "number to the same phone number in a short period of time.",
            rejected=False,
        )
    if kind == "429":
        return GraphError(429, 4, error_type="OAuthException", rejected=False)
    if kind == "500":
        return GraphError(500, 1, rejected=False)
    if kind == "503":
        return GraphError(503, 2, rejected=False)
    if kind == "401":
        return GraphError(
            401,
            190,
            message="Error validating access token: Session has expired.",
            subcode=463,
            rejected=False,
        )
    return GraphError(504, 131016, "Gateway Timeout", rejected=False)  # 502 and timeout


class Throughput:
    """Meta's per-number throughput (80 messages a second by default): beyond it 130429."""

    def __init__(self, clock: Callable[[], float], per_second: float) -> None:
        self._clock = clock
        self.per_second = per_second
        self._stamps: deque[float] = deque()
        self.refused = 0

    def check(self) -> None:
        now = self._clock()
        while self._stamps and self._stamps[0] <= now - 1.0:
            self._stamps.popleft()
        if len(self._stamps) >= self.per_second:
            self.refused += 1
            raise GraphError(
                429, 130429, "Cloud API message throughput has been reached.", rejected=False
            )
        self._stamps.append(now)
