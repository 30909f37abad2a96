"""Pacing of everything the bot sends, to Telegram's limits.

One ``Pacer`` per bot token sits in front of every Bot API call that sends a
message (replies, scheduled follow-ups, broadcasts alike). Before each send the
caller awaits ``grant = pacer.acquire(chat_id, is_group, priority)``, and once the
send's answer came (whatever it was) it calls ``pacer.answered(grant)``; after a
flood-control answer (429, "retry after N") it calls ``pacer.limited(chat_id, N)``
and acquires again for the same message.

One chat's 429 or everyone's: Telegram's answer does not say which limit refused
(the local server answers the same way). ``limited`` pauses that chat only; when
another chat was refused within ``Limits.overall_refusals_within`` seconds (1 s:
the overall limit is per second, and refuses every chat at once), it is the bot's
overall limit, and everyone pauses (``pause``) until the later of the two ends. A
429 to no chat (``chat_id=None``) pauses everyone at once. So a global limit costs
one more refused call before all wait, and a chat over its own limit (a group's
can last half a minute) never holds up the others.

Limits, as token buckets (``Limits``, all configurable):

* overall: 30 messages/s, burst 30 (so a burst of 30, then one every 1/30 s);
* per chat: 1 message/s, burst 1 (two messages to one chat are >= 1 s apart);
* per group chat, on top of the per-chat bucket: 20/min, burst 20 (a burst of
  20, then one every 3 s).

A token bucket with rate ``r`` and burst ``b`` admits at most ``b + r*W``
messages in any window of ``W`` seconds; that is the guarantee, and the
tests check exactly that bound. Note what it means for the defaults: a
quiet group can get 39 messages in its first minute (1/s until the burst of
20 is used up, then one every 3 s), and the first second overall can hold 59
sends. Set ``group_burst=1`` for a strict "at most 20 in any 60 s" (one every
3 s), or lower the bursts if Telegram's flood control disagrees.

Catching up (``Limits.global_catch_up``, off by default): the event loop wakes
the dispatcher late (epoll sleeps in whole milliseconds, plus whatever else
runs), and with burst 1 every late wake-up is lost for good — at 29/s one
millisecond per grant is 3 % of the rate. With a catch-up of ``c`` seconds, a
late grant is booked in the overall bucket at the moment it fell due (never
before its ``acquire``, its chat's buckets allowing it, the end of a pause, or
``c`` seconds before the grant), so the next one falls due on the ideal
timeline, not at "late grant + interval". Each booking is at most ``c`` before
its real grant, which widens the bound to ``b + r*(W + c)``. Counts are whole:
with ``c < 1/r`` and a whole ``b + r``, no 1-second window of grants holds more than
``b + r`` (30 at 29/s burst 1). The per-chat and group buckets never catch up.

The overall window (``Limits.global_window_sends`` in any ``global_window_seconds``,
off by default; ``SlidingWindow``): Telegram, and the local Bot API server that models
it, counts the overall limit as "at most N in any second", a sliding window over the
requests it *received*. A bucket only bounds that with a margin of a whole message (29/s
to be sure of 30 in a second, a ceiling of 0.967). The window is the server's own form,
on when each send can have reached the server. Its length is the server's second plus a
margin ``m`` (``Limits.window_margin``): ``W = 1 s + m`` (``TELEGRAM_LIMITS``: 30 in
1.02 s). The bucket stays, at about ``N / W`` with burst 1 and a catch-up of a quarter
interval (``TELEGRAM_LIMITS``: 29.4/s), so the sends are even and the window rarely
decides.

A send is granted at ``g`` (``acquire``) and answered at ``r`` (``answered``: its answer
came, whatever it was, a 429, an error, a timeout or a cancellation included); it reached
the server at some ``a`` in between. It counts at its *effective time*
``e = max(g, r - m - floor)``, ``floor`` being the quickest round trip ``r - g`` of the
last half minute to minute (the steady network and server time, on the answer's own): a
uniform latency such as Telegram's 80 ms costs no rate, and only a send slower than the
usual by more than the margin counts later than its grant. The floor is the least of two
periods of ``FLOOR_SECONDS`` (30 s, on the answers' times), this one and the one before
(``FloorState``): a quicker round trip lowers it at once, a route that became slower is
the floor within a minute (until then its sends count a little late: rate lost, never
sends over the limit), and a busy machine, every round trip slow for a while, cannot
lift it. (The quickest of the last N round trips could: under load all N were slow, the
floor rose with them, and a slow send counted that much too early; 11 arrivals in a
test's half second that allows 10.) A send not answered yet counts at
``g + IN_FLIGHT_CAP_SECONDS - W``. A new send may go at ``t`` when fewer than N sends
count after ``t - W`` (the N-th highest effective time is ``W`` old). A slow send keeps
its place in every window from its grant to ``e + W``; while it is in flight it keeps one
until the cap, and only when the N highest are all such does the window wait (for an
answer, or the cap: a process that died mid-send holds nobody longer).

What that holds. Write each send's way out (from its grant to being counted by the
server) as ``f0 + x`` and its way back (to its answer here) as ``b0 + y``, with ``x, y >= 0``
its delays (a process or event loop descheduled, a queue) and ``f0 + b0`` the steady
round trip; the ``floor`` a send was counted with exceeds ``f0 + b0`` by ``eps >= 0``
(the delays of the quickest round trip of the floor's two periods). For a send ``k`` and
a new one granted at ``t >= e_k + W``: from ``e_k >= g_k`` and ``a_k = g_k + f0 + x_k``,
and from ``e_k >= r_k - m - floor`` and ``a_k = r_k - b0 - y_k``::

    a_new - a_k >= t + f0 + x_new - a_k >= 1 s + x_new + max(m - x_k, y_k - eps)

So ``k`` and the new send reach the server at least a second apart unless ``k`` was
delayed on its way out by more than the margin *and* the new send's way out and ``k``'s
way back were together quicker than its floor's excess (``x_new + y_k < eps``; ``eps`` is
0 whenever one round trip of the floor's periods was undelayed, however many slow ones
came after it). Then no second holds N + 1 arrivals: of N + 1 arrivals within one second,
take the one granted last, at ``t``; fewer than N of the others counted after ``t - W``
then, so one counted by ``t - W`` and reached the server a second or more before it.
What this cannot hold: a send delayed on its way out by more than the margin while every
round trip of the last half minute or more was delayed by more than this send's way back
and the next one's way out together; a send still unanswered at the cap that reaches the
server later than ``g + cap - 1 s``; and a request still on its way when its send was
cancelled (its ``r`` is the cancellation). Shared between processes
(``scheduler.shared_limits``), ``g`` is the store's clock when it granted and ``r`` is
``g`` plus this process's time from asking to the answer, no earlier than the answer on
the store's clock: a late ``r`` only counts the send later.

Waiting and fairness:

* A single dispatcher task, started on demand and gone when nobody waits, is
  the only thing that sleeps: for exactly as long as the next grant needs (no
  polling), woken early when a newcomer could be served sooner.
* Messages to one chat queue per chat, ordered by (priority, arrival).
* Among chats whose own buckets allow a send, the global bucket goes to the
  lowest priority number first, oldest first within a priority: replies (0)
  before scheduled messages (1) before broadcasts (2). Priorities are strict,
  so a sustained 30/s of replies would starve broadcasts; a bot's replies never
  come near that.
* When the bucket state already allows it and nobody is queued, ``acquire``
  returns without suspending.

Memory: a chat's state is dropped when nothing is queued for it and its
buckets are full again; a new state starts full, so dropping one changes
nothing. Sweeps run at most every ``Limits.evict_interval`` seconds (on
``acquire``) or on demand (``evict_idle``).

Several processes, one limit (``share``): Telegram's limits are per bot token, so the
bot's processes, its scheduler and a coach's ``buurbot broadcast`` must share them. With
shared buckets (``scheduler.shared_limits``: Redis, or PostgreSQL) the dispatcher takes
each grant's overall, chat and group tokens there too, in this process's order and
priorities; a chat another process used waits alone, the overall limit holds everyone.
While sends keep being granted, the ready heads of several chats are asked for in one
round trip (``SharedBuckets.take_many``, up to ``SHARED_BATCH`` at once, doubling from
one): in a burst a round trip a send was a fifth of an update's CPU on PostgreSQL. A
refusal drops the batch back to one, so at the limit the store is asked as before. A
429 pauses the other processes as well. If the shared store does not answer, this
process paces alone (its own buckets) and asks again after ``SHARED_RETRY_SECONDS``;
nothing waits for it.

Times are seconds on an injected monotonic clock, and the injected ``sleep``
is the only way the pacer waits, so tests run on fake time. A pacer belongs to
one event loop and is not thread-safe.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from bisect import bisect_left, insort
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING, Any

__all__ = [
    "FLOOR_SECONDS",
    "FloorState",
    "Grant",
    "Limits",
    "Pacer",
    "Priority",
    "SlidingWindow",
    "TokenBucket",
]

if TYPE_CHECKING:
    from scheduler.shared_limits import SharedBuckets, Verdict

log = logging.getLogger(__name__)

#: Slack, in seconds, below which a wait counts as done. It absorbs float
#: rounding and timers that fire a hair early; it also keeps the dispatcher
#: from sleeping for nothing.
EPSILON = 1e-6
#: A bucket full for this long counts as idle (``Limits.first_grant_slack``).
IDLE_SECONDS = 1.0
#: After the shared buckets failed, this process paces alone this long before asking again.
SHARED_RETRY_SECONDS = 5.0
#: At most this many chats' heads asked of the shared buckets in one round trip.
SHARED_BATCH = 8
#: A send not answered this long after its grant stops holding up the overall window (see
#: the module text). Telegram answers in a tenth of a second and a send is a timeout long
#: before this, but the runtimes' HTTP timeout is a minute: a process that died (or hangs)
#: mid-send would otherwise hold every process's window until it is gone. A few seconds is
#: what one stuck send may cost everyone; its request reaching Telegram later than that is
#: what the window cannot hold.
IN_FLIGHT_CAP_SECONDS = 5.0
#: The shared window waits for another process's send in flight: ask again this often
#: (its answer wakes nobody here). Only when a send is slower than the window is long.
IN_FLIGHT_POLL_SECONDS = 0.01
#: The overall window's floor (see the module text) is the quickest round trip of this
#: period of this many seconds and the one before: of the last 30 to 60 s. Load for a
#: while cannot lift it; a route that became slower is the floor within a minute.
FLOOR_SECONDS = 30.0


class Priority(IntEnum):
    """Lower goes first when several messages wait for the global bucket."""

    REPLY = 0
    SCHEDULED = 1
    BROADCAST = 2


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's sending limits (defaults from the Bot API FAQ)."""

    global_per_second: float = 30.0
    global_burst: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 1
    group_per_minute: float = 20.0
    group_burst: int = 20
    #: at most one sweep of idle per-chat state per this many seconds
    evict_interval: float = 60.0
    #: seconds a late grant may be booked back in the overall bucket (see the module text)
    global_catch_up: float = 0.0
    #: 429s in two chats this close together are the overall limit (see the module text)
    overall_refusals_within: float = 1.0
    #: seconds the first overall grant after a second of quiet books on top of its interval
    #: (a process's first request reaches Telegram late: see the module text)
    first_grant_slack: float = 0.0
    #: at most this many overall grants in any window of ``global_window_seconds``, on top
    #: of the overall bucket (0: no window); the form in which Telegram counts (see above)
    global_window_sends: int = 0
    global_window_seconds: float = 1.0
    #: the part of ``global_window_seconds`` beyond the server's own count (seconds); None:
    #: whatever it exceeds one second by (Telegram counts "in any second")
    global_window_margin: float | None = None

    def __post_init__(self) -> None:
        for name in ("global_per_second", "chat_per_second", "group_per_minute"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")
        for name in ("global_burst", "chat_burst", "group_burst"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"Limits.{name} must be an integer >= 1, got {value!r}")
        if not self.evict_interval >= 0:
            raise ValueError(f"Limits.evict_interval must be >= 0, got {self.evict_interval!r}")
        if not (math.isfinite(self.overall_refusals_within) and self.overall_refusals_within >= 0):
            raise ValueError(
                "Limits.overall_refusals_within must be a number >= 0, "
                f"got {self.overall_refusals_within!r}"
            )
        if not (math.isfinite(self.global_catch_up) and self.global_catch_up >= 0):
            raise ValueError(
                f"Limits.global_catch_up must be a number >= 0, got {self.global_catch_up!r}"
            )
        if not (math.isfinite(self.first_grant_slack) and self.first_grant_slack >= 0):
            raise ValueError(
                f"Limits.first_grant_slack must be a number >= 0, got {self.first_grant_slack!r}"
            )
        if not (isinstance(self.global_window_sends, int) and self.global_window_sends >= 0):
            raise ValueError(
                "Limits.global_window_sends must be an integer >= 0, "
                f"got {self.global_window_sends!r}"
            )
        if not (math.isfinite(self.global_window_seconds) and self.global_window_seconds > 0):
            raise ValueError(
                "Limits.global_window_seconds must be a positive number, "
                f"got {self.global_window_seconds!r}"
            )
        margin = self.global_window_margin
        if margin is not None and not (0 <= margin < self.global_window_seconds):
            raise ValueError(
                "Limits.global_window_margin must be >= 0 and below global_window_seconds, "
                f"got {margin!r}"
            )

    @property
    def window_margin(self) -> float:
        """``global_window_margin``, or what the window exceeds one second by."""
        if self.global_window_margin is not None:
            return self.global_window_margin
        return max(0.0, self.global_window_seconds - 1.0)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second; a send takes one.

    Starts full. Tokens may dip a hair below zero (a send granted within
    ``EPSILON`` of its time); the deficit is kept, so the long-run rate is exact.
    Reads do not change the state: only ``take`` books, so a bucket still knows
    when its token arrived when a late grant takes it (``catch_up``).
    """

    __slots__ = ("capacity", "catch_up", "rate", "slack", "tokens", "updated")

    def __init__(
        self, rate: float, capacity: int, now: float, catch_up: float = 0.0, slack: float = 0.0
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self.catch_up = catch_up
        self.slack = slack
        self.tokens = float(capacity)
        self.updated = now - IDLE_SECONDS  # a new bucket has been idle

    def _tokens_at(self, now: float) -> float:
        if now <= self.updated:
            return self.tokens
        return min(self.capacity, self.tokens + (now - self.updated) * self.rate)

    def token_arrived_at(self) -> float:
        if self.tokens >= 1:
            return self.updated
        return self.updated + (1 - self.tokens) / self.rate

    def ready_at(self, now: float) -> float:
        """When the next token is there (``now`` if it is there already)."""
        tokens = self._tokens_at(now)
        if tokens >= 1:
            return now
        return now + (1 - tokens) / self.rate

    def take(self, now: float, since: float | None = None) -> None:
        """Take a token at ``now``; with ``since`` (the earliest moment the send was
        allowed) a late take is booked when its token arrived, at most ``catch_up`` ago."""
        at = now
        if self.catch_up and since is not None:
            at = min(now, max(since, now - self.catch_up, self.token_arrived_at()))
        idle = self.slack and self._full_since() <= now - IDLE_SECONDS
        self.tokens = self._tokens_at(at) - 1
        if idle:  # the first send after a quiet second: book its slack too
            self.tokens -= self.slack * self.rate
        self.updated = max(self.updated, at)

    def _full_since(self) -> float:
        return self.updated + max(0.0, self.capacity - self.tokens) / self.rate

    def is_full(self, now: float) -> bool:
        return self._tokens_at(now) >= self.capacity


@dataclass(frozen=True, slots=True)
class FloorState:
    """The overall window's floor: the quickest round trip of period ``period`` (answers
    at ``period * FLOOR_SECONDS`` up to the next) and of the one before (``before``; as
    ``this`` when that one had no answers). The Redis script and ``pacer_answered`` keep
    the same three numbers and move them as ``next`` does."""

    period: int
    this: float
    before: float

    @property
    def floor(self) -> float:
        return min(self.this, self.before)

    @staticmethod
    def next(state: FloorState | None, answered: float, trip: float) -> FloorState:
        """The state once a round trip of ``trip`` was answered at ``answered``."""
        period = math.floor(answered / FLOOR_SECONDS)
        if state is None or period > state.period + 1:  # nothing within the last period
            return FloorState(period, trip, trip)
        if period == state.period + 1:
            return FloorState(period, trip, state.this)
        if period == state.period:
            return FloorState(period, min(state.this, trip), state.before)
        # answered in an earlier period (it came out of order): lower is safe, never higher
        return FloorState(state.period, state.this, min(state.before, trip))


@dataclass(eq=False, slots=True)
class Sent:
    """One send in the overall window: granted at ``granted``; ``value`` is the time it
    counts at (its effective time once answered; ``granted + IN_FLIGHT_CAP_SECONDS -
    seconds`` while in flight, so that it holds the window until the cap)."""

    granted: float
    value: float
    seq: int
    trip: float | None = None  # grant to answer, once answered


class SlidingWindow:
    """At most ``sends`` sends in any window of ``seconds``, the way Telegram (and the local
    Bot API server) counts the overall limit, on when the sends can have *reached* it (see
    the module text): each send counts at its effective time ``e = max(g, r - margin -
    floor)`` (``g`` its grant, ``r`` its answer, ``floor`` the quickest round trip of the
    last 30 to 60 s, ``FloorState``); one in flight counts as not answered before ``g``
    plus the cap. One more may go once the lowest of the ``sends``
    highest is ``seconds`` old. A catch-up never applies here. Only the ``sends`` highest
    are kept: a send that makes way is at least ``seconds`` old and cannot count again (its
    effective time never rises after it was answered)."""

    __slots__ = ("_seq", "entries", "floor", "margin", "seconds", "sends")

    def __init__(self, sends: int, seconds: float, margin: float = 0.0) -> None:
        self.sends = sends
        self.seconds = seconds
        self.margin = margin
        # the kept sends by (value, seq), lowest first
        self.entries: list[tuple[float, int, Sent]] = []
        self.floor: FloorState | None = None  # none before the first answer
        self._seq = itertools.count()

    def ready_at(self, now: float) -> float:
        if len(self.entries) < self.sends:
            return now
        return max(now, self.entries[0][0] + self.seconds)

    def waits_for_a_send_in_flight(self) -> bool:
        """Whether what holds the next send is a send not answered yet."""
        return len(self.entries) >= self.sends and self.entries[0][2].trip is None

    def take(self, now: float) -> Sent:
        sent = Sent(now, now + IN_FLIGHT_CAP_SECONDS - self.seconds, next(self._seq))
        if len(self.entries) >= self.sends:
            del self.entries[0]  # the lowest makes way
        insort(self.entries, (sent.value, sent.seq, sent))
        return sent

    def answered(self, sent: Sent, trip: float) -> None:
        """``sent`` was answered ``trip`` seconds after its grant (idempotent)."""
        if sent.trip is not None:
            return
        sent.trip = trip = max(0.0, trip)
        self.floor = FloorState.next(self.floor, sent.granted + trip, trip)
        value = max(sent.granted, sent.granted + trip - self.margin - self.floor.floor)
        index = bisect_left(self.entries, (sent.value, sent.seq))
        if index < len(self.entries) and self.entries[index][2] is sent:
            del self.entries[index]
            sent.value = value
            insort(self.entries, (value, sent.seq, sent))
        else:  # it made way already (answered after the cap)
            sent.value = value


@dataclass(eq=False, slots=True)
class Grant:
    """What ``Pacer.acquire`` hands back: the send may go. Hand it to ``Pacer.answered`` once
    the send's answer came, whatever it was (sent, an error, a timeout, cancelled)."""

    at: float  # the monotonic time it was granted
    sent: Sent | None = None  # in this process's overall window
    ticket: Any = None  # the shared store's, for its window (None: not taken there)
    asked: float = 0.0  # when this process asked the shared store (monotonic)
    done: bool = False


@dataclass(eq=False, slots=True)
class _Waiter:
    priority: int
    seq: int
    is_group: bool
    future: asyncio.Future[Grant]
    arrived: float


class _Chat:
    """Buckets and queue of one chat. ``version`` changes whenever the head does."""

    __slots__ = ("bucket", "group", "paused_until", "queue", "version")

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket
        self.group: TokenBucket | None = None
        self.queue: list[tuple[int, int, _Waiter]] = []  # heap of (priority, seq, waiter)
        self.version = 0
        self.paused_until = -math.inf  # this chat's own flood control

    def ready_at(self, now: float, is_group: bool) -> float:
        at = max(self.bucket.ready_at(now), self.paused_until)
        if is_group and self.group is not None:
            at = max(at, self.group.ready_at(now))
        return at

    def is_idle(self, now: float) -> bool:
        return (
            not self.queue
            and self.paused_until <= now
            and self.bucket.is_full(now)
            and (self.group is None or self.group.is_full(now))
        )


class Pacer:
    """Token-bucket pacing of sends: overall, per chat, per group chat."""

    def __init__(
        self,
        limits: Limits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits if limits is not None else Limits()
        self._monotonic = monotonic
        self._sleep = sleep
        now = monotonic()
        self._global = TokenBucket(
            self.limits.global_per_second,
            self.limits.global_burst,
            now,
            catch_up=self.limits.global_catch_up,
            slack=self.limits.first_grant_slack,
        )
        self._window = (
            SlidingWindow(
                self.limits.global_window_sends,
                self.limits.global_window_seconds,
                self.limits.window_margin,
            )
            if self.limits.global_window_sends
            else None
        )
        # Buckets shared with the other processes of this bot token (``share``): while set
        # and answering, they, not ``_global``, decide when the overall limit allows a send.
        self._shared: SharedBuckets | None = None
        self._shared_until = -math.inf  # the shared overall bucket said: not before then
        self._shared_down_until = -math.inf  # it failed: the local bucket decides until then
        self._shared_batch = 1  # heads asked at once next: doubles while all are granted
        self._background: set[asyncio.Task[None]] = set()
        self._paused_until = -math.inf
        self._chats: dict[int, _Chat] = {}
        self._refused: dict[int, float] = {}  # chat -> its last 429, while recent
        self._last_sweep = now
        # Heads of chat queues: not yet allowed by their chat's buckets, keyed by
        # (ready_at, priority, seq, version, chat_id); allowed, keyed by
        # (priority, seq, version, chat_id). Entries whose version is no longer
        # the chat's are stale and skipped.
        self._pending: list[tuple[float, int, int, int, int]] = []
        self._ready: list[tuple[int, int, int, int]] = []
        self._waiting = 0
        self._seq = itertools.count()
        self._versions = itertools.count(1)
        self._dispatcher: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._wake_at = math.inf

    # ------------------------------------------------------------------ public API

    def share(self, buckets: SharedBuckets | None) -> None:
        """Take every send's tokens from ``buckets`` too, which the other processes sending
        with this bot token share (``scheduler.shared_limits``). None: this process alone."""
        self._shared = buckets

    @property
    def shared(self) -> SharedBuckets | None:
        return self._shared

    async def close(self) -> None:
        """Finish pending shared pauses and close the shared buckets' connection."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=2.0)
        if self._shared is not None:
            await self._shared.close()

    async def acquire(self, chat_id: int, is_group: bool = False, priority: int = 0) -> Grant:
        """Wait until a message to ``chat_id`` may be sent, and take the tokens for it.

        Returns the grant (``Grant.at``: the monotonic time it was granted); give it to
        ``answered`` once the send's answer came, whatever it was. If the caller is
        cancelled while waiting, nothing is taken; if it is cancelled after the grant, the
        tokens stay spent (and the grant still wants its ``answered``).
        """
        now = self._monotonic()
        self._maybe_sweep(now)
        chat = self._chat(chat_id, is_group, now)
        if (
            self._waiting == 0
            and not self._sharing(now)
            and self._grantable_at(chat, is_group, now) <= now + EPSILON
        ):
            return Grant(now, self._take(chat, is_group, now))

        waiter = _Waiter(
            priority, next(self._seq), is_group, asyncio.get_running_loop().create_future(), now
        )
        self._waiting += 1
        heappush(chat.queue, (priority, waiter.seq, waiter))
        if chat.queue[0][2] is waiter:
            self._schedule_head(chat_id, chat, now)
        else:
            self._ensure_dispatcher()
        try:
            return await waiter.future
        finally:
            if waiter.future.cancelled():
                self._drop(chat_id, waiter)

    def answered(self, grant: Grant) -> None:
        """The send ``grant`` let go has its answer (sent, refused, failed, timed out or
        cancelled): from now on the overall window counts it at its effective time, not as
        in flight (see the module text). Call it as soon as the answer came, once; again
        changes nothing."""
        if grant.done:
            return
        grant.done = True
        now = self._monotonic()
        if grant.sent is not None and self._window is not None:
            self._window.answered(grant.sent, now - grant.at)
        shared = self._shared
        # (a store that failed hears of no answer: its send's place ends at the cap)
        if grant.ticket is not None and shared is not None and self._sharing(now):
            ticket, trip = grant.ticket, now - grant.asked

            async def tell() -> None:
                try:
                    await shared.answered(ticket, trip)
                except Exception as error:
                    log.warning("could not tell the other processes of an answer: %s", error)

            self._in_background(tell(), "pacer-share-answer")
        if self._waiting and self._window is not None:  # it may have held the window
            self._ensure_dispatcher(self._global_ready_at(now))

    def pause(self, seconds: float | timedelta) -> None:
        """Nobody sends for ``seconds`` from now (flood control's ``retry_after``).

        Pauses only ever extend: a shorter pause during a longer one changes nothing.
        """
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"pause needs a non-negative number of seconds, got {seconds!r}")
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
        self._share_pause(None, seconds)

    def limited(
        self, chat_id: int | None, seconds: float | timedelta, is_group: bool = False
    ) -> bool:
        """Flood control refused a send to ``chat_id`` for ``seconds``: pause that chat, or
        everyone when it is the bot's overall limit (see the module text). True: everyone."""
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"a 429 needs a non-negative number of seconds, got {seconds!r}")
        now = self._monotonic()
        if chat_id is None:
            self.pause(seconds)
            return True
        within = self.limits.overall_refusals_within
        self._refused = {c: at for c, at in self._refused.items() if now - at <= within}
        others = [c for c in self._refused if c != chat_id]
        self._refused[chat_id] = now
        chat = self._chat(chat_id, is_group, now)
        chat.paused_until = max(chat.paused_until, now + seconds)
        self._share_pause(chat_id, seconds)
        if chat.queue:  # its head waits for the new end of the pause
            self._schedule_head(chat_id, chat, now)
        if not others:
            return False
        # Another chat refused just now: the overall limit. Everyone waits for the later end.
        ends = [self._chats[c].paused_until for c in others if c in self._chats]
        self.pause(max([seconds, *(end - now for end in ends)]))
        return True

    def delay_for(self, chat_id: int, is_group: bool = False) -> float:
        """Seconds until the buckets and any pause would allow a send to ``chat_id``.

        A peek: takes nothing and creates no state. Messages already queued
        (for this chat or for the global bucket) are not counted.
        """
        now = self._monotonic()
        at = self._global_ready_at(now)
        chat = self._chats.get(chat_id)
        if chat is not None:
            at = max(at, chat.ready_at(now, is_group))
        return max(0.0, at - now)

    def evict_idle(self) -> int:
        """Forget chats with nothing queued and full buckets; return how many."""
        now = self._monotonic()
        self._last_sweep = now
        idle = [chat_id for chat_id, chat in self._chats.items() if chat.is_idle(now)]
        for chat_id in idle:
            del self._chats[chat_id]
        return len(idle)

    @property
    def tracked_chats(self) -> int:
        """How many chats have state (buckets or a queue) right now."""
        return len(self._chats)

    @property
    def waiting(self) -> int:
        """How many ``acquire`` calls are waiting."""
        return self._waiting

    @property
    def paused_until(self) -> float:
        return self._paused_until

    # ------------------------------------------------------------------ buckets

    def _chat(self, chat_id: int, is_group: bool, now: float) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            limits = self.limits
            chat = _Chat(TokenBucket(limits.chat_per_second, limits.chat_burst, now))
            self._chats[chat_id] = chat
        if is_group and chat.group is None:
            limits = self.limits
            chat.group = TokenBucket(limits.group_per_minute / 60, limits.group_burst, now)
        return chat

    def _sharing(self, now: float) -> bool:
        return self._shared is not None and now >= self._shared_down_until

    def _global_ready_at(self, now: float) -> float:
        if self._sharing(now):
            return max(self._shared_until, self._paused_until)
        at = max(self._global.ready_at(now), self._paused_until)
        if self._window is not None:
            at = max(at, self._window.ready_at(now))
        return at

    def _share_pause(self, chat_id: int | None, seconds: float) -> None:
        """Tell the other processes of a 429 (in the background: ``pause`` is not async)."""
        shared = self._shared
        if shared is None:
            return

        async def tell() -> None:
            try:
                await shared.pause(chat_id, seconds)
            except Exception as error:
                log.warning("could not share a pause with the other processes: %s", error)

        self._in_background(tell(), "pacer-share-pause")

    def _in_background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``work`` in a task of its own (``close`` waits for it); none without a loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            work.close()
            return
        task = loop.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _take_shared(self, heads: list[tuple[int, _Chat, _Waiter]]) -> list[Verdict] | None:
        """Ask the shared buckets for ``heads`` (chats' heads, in the order they would be
        granted): a verdict each, or None when the store failed (then the local buckets
        decide for a while)."""
        shared = self._shared
        assert shared is not None
        try:
            return await shared.take_many([(chat_id, head.is_group) for chat_id, _, head in heads])
        except Exception as error:
            self._shared_down_until = self._monotonic() + SHARED_RETRY_SECONDS
            self._shared_batch = 1
            log.warning(
                "the %s buckets shared with other processes do not answer (%s); "
                "pacing this process alone for %.0f s",
                shared.kind,
                error,
                SHARED_RETRY_SECONDS,
            )
            return None

    def _refused_by_shared(self, chat_id: int, chat: _Chat, verdict: Verdict) -> None:
        """The shared buckets said not now: the chat, or everyone, waits what they said."""
        now = self._monotonic()
        if verdict.blocked == "chat":  # Blocked.CHAT (shared_limits imports this module)
            # Another process sent to this chat: it waits, the others go on.
            chat.paused_until = max(chat.paused_until, now + verdict.wait)
            self._schedule_head(chat_id, chat, now)
        else:
            self._shared_until = max(self._shared_until, now + verdict.wait)

    def _ready_heads(self, most: int) -> list[tuple[int, _Chat, _Waiter]]:
        """The heads of up to ``most`` ready chats, best first, as ``_first_ready`` would
        give them one grant after another; they stay in line."""
        taken: list[tuple[int, int, int, int]] = []
        heads: list[tuple[int, _Chat, _Waiter]] = []
        while len(heads) < most:
            first = self._first_ready()
            if first is None:
                break
            taken.append(heappop(self._ready))
            chat_id, chat = first
            heads.append((chat_id, chat, chat.queue[0][2]))
        for entry in taken:
            heappush(self._ready, entry)
        return heads

    async def _grant_shared(self, now: float) -> None:
        """Grant the ready heads the shared buckets allow (one round trip for them all)."""
        heads = self._ready_heads(self._shared_batch)
        asked = now
        verdicts = await self._take_shared(heads)
        if verdicts is None:
            return
        now = self._monotonic()
        granted_all = True
        for (chat_id, chat, head), verdict in zip(heads, verdicts, strict=True):
            # While we asked, the head may have been cancelled or its chat forgotten: then
            # its tokens are spent for nothing (under-use, never excess), and the shared
            # window hears at once that this send is not in flight.
            current = (
                self._chats.get(chat_id) is chat
                and bool(chat.queue)
                and chat.queue[0][2] is head
                and not head.future.done()
            )
            if verdict.granted and current:
                self._grant(chat_id, chat, now, verdict.ticket, asked)
            elif verdict.granted:
                self.answered(Grant(now, None, verdict.ticket, asked))
            else:
                granted_all = False
                if current:
                    self._refused_by_shared(chat_id, chat, verdict)
        self._shared_batch = min(2 * self._shared_batch, SHARED_BATCH) if granted_all else 1

    def _grantable_at(self, chat: _Chat, is_group: bool, now: float) -> float:
        return max(chat.ready_at(now, is_group), self._global_ready_at(now))

    def _take(
        self, chat: _Chat, is_group: bool, now: float, arrived: float | None = None
    ) -> Sent | None:
        due = None
        if arrived is not None:
            # When this send fell due: queued, the chat's buckets allow it, no pause.
            due = max(
                arrived, self._paused_until, chat.paused_until, chat.bucket.token_arrived_at()
            )
            if is_group and chat.group is not None:
                due = max(due, chat.group.token_arrived_at())
        # Only the overall bucket catches up; a chat's own limits stay strict.
        self._global.take(now, since=due)
        chat.bucket.take(now)
        if is_group and chat.group is not None:
            chat.group.take(now)
        return self._window.take(now) if self._window is not None else None

    def _maybe_sweep(self, now: float) -> None:
        if now - self._last_sweep >= self.limits.evict_interval:
            self.evict_idle()

    # ------------------------------------------------------------------ queues

    def _schedule_head(self, chat_id: int, chat: _Chat, now: float) -> None:
        """Put the chat's (new) head in line for the global bucket."""
        chat.version = next(self._versions)
        if not chat.queue:
            return
        _priority, _seq, head = chat.queue[0]
        ready_at = max(now, chat.ready_at(now, head.is_group))
        heappush(self._pending, (ready_at, head.priority, head.seq, chat.version, chat_id))
        self._ensure_dispatcher(max(ready_at, self._global_ready_at(now)))

    def _drop(self, chat_id: int, waiter: _Waiter) -> None:
        """Remove a cancelled waiter (idempotent)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        index = next((i for i, entry in enumerate(chat.queue) if entry[2] is waiter), None)
        if index is None:
            return
        self._waiting -= 1
        was_head = index == 0
        chat.queue.pop(index)
        heapify(chat.queue)
        if was_head:
            self._schedule_head(chat_id, chat, self._monotonic())

    def _current(self, chat_id: int, version: int) -> _Chat | None:
        chat = self._chats.get(chat_id)
        if chat is None or chat.version != version:
            return None
        return chat

    def _promote(self, now: float) -> None:
        """Move heads whose chat buckets allow a send now from pending to ready."""
        pending = self._pending
        while pending and pending[0][0] <= now + EPSILON:
            _ready_at, priority, seq, version, chat_id = heappop(pending)
            if self._current(chat_id, version) is not None:
                heappush(self._ready, (priority, seq, version, chat_id))

    def _first_ready(self) -> tuple[int, _Chat] | None:
        """The best ready chat, skipping stale entries and cancelled heads."""
        ready = self._ready
        while ready:
            _priority, _seq, version, chat_id = ready[0]
            chat = self._current(chat_id, version)
            if chat is None:
                heappop(ready)
                continue
            head = chat.queue[0][2]
            if head.future.done():  # cancelled, its task has not cleaned up yet
                heappop(ready)
                self._drop(chat_id, head)
                continue
            return chat_id, chat
        return None

    def _first_pending_at(self) -> float | None:
        pending = self._pending
        while pending and self._current(pending[0][4], pending[0][3]) is None:
            heappop(pending)
        return pending[0][0] if pending else None

    def _grant(
        self, chat_id: int, chat: _Chat, now: float, ticket: object = None, asked: float = 0.0
    ) -> None:
        """Let the chat's head go. Its entry in ``_ready`` goes stale (``_schedule_head``
        gives the chat a new version) and is dropped when it comes up."""
        _priority, _seq, waiter = heappop(chat.queue)
        self._waiting -= 1
        sent = self._take(chat, waiter.is_group, now, arrived=waiter.arrived)
        waiter.future.set_result(Grant(now, sent, ticket, asked))
        self._schedule_head(chat_id, chat, now)

    # ------------------------------------------------------------------ dispatcher

    def _ensure_dispatcher(self, could_grant_at: float = math.inf) -> None:
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.get_running_loop().create_task(
                self._dispatch(), name="pacer-dispatcher"
            )
        elif (
            self._wakeup is not None
            and not self._wakeup.done()
            and could_grant_at < self._wake_at - EPSILON
        ):
            self._wakeup.set_result(None)

    async def _dispatch(self) -> None:
        try:
            while True:
                now = self._monotonic()
                self._promote(now)
                first = self._first_ready()
                global_at = self._global_ready_at(now)
                if first is not None and global_at <= now + EPSILON:
                    if self._sharing(now):
                        await self._grant_shared(now)
                        now = self._monotonic()
                    else:
                        self._grant(*first, now)
                    self._maybe_sweep(now)
                    continue
                pending_at = self._first_pending_at()
                if first is not None:
                    wake_at = global_at
                elif pending_at is not None:
                    wake_at = max(global_at, pending_at)
                else:
                    return
                await self._sleep_until(wake_at, now)
        except asyncio.CancelledError:
            self._fail_all(None)
            raise
        except Exception as exc:
            log.exception("pacer dispatcher failed; failing %d waiting sends", self._waiting)
            self._fail_all(exc)
        finally:
            self._dispatcher = None

    async def _sleep_until(self, wake_at: float, now: float) -> None:
        self._wake_at = wake_at
        self._wakeup = asyncio.get_running_loop().create_future()
        sleeper = asyncio.ensure_future(self._sleep(wake_at - now))
        try:
            await asyncio.wait((sleeper, self._wakeup), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._wakeup = None
            self._wake_at = math.inf
            if not sleeper.done():
                sleeper.cancel()  # woken early (or cancelled ourselves)
        if sleeper.done() and not sleeper.cancelled():
            sleeper.result()  # re-raise if the sleep itself failed

    def _fail_all(self, exc: BaseException | None) -> None:
        for chat in self._chats.values():
            for _priority, _seq, waiter in chat.queue:
                if not waiter.future.done():
                    if exc is None:
                        waiter.future.cancel()
                    else:
                        waiter.future.set_exception(exc)
            chat.queue.clear()
            chat.version = next(self._versions)
        self._pending.clear()
        self._ready.clear()
        self._waiting = 0
