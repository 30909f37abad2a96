"""Telegram's limits shared by every process that sends with one bot token.

Telegram counts 30 messages a second, 1 a second per chat and 20 a minute per group per
*bot*, whatever the number of processes: the bot (one or several, behind a webhook), its
scheduler and a coach's `buurbot broadcast` together. Each process keeps its own
``Pacer`` (queues, priorities, per-chat order); before it grants a send, it takes the
tokens here, in a store all processes see:

* Redis, when ``BUURBOT_REDIS_URL`` is set: one Lua script takes the overall, chat and
  group tokens at once (``RedisBuckets``);
* PostgreSQL, when that is the database and no Redis is configured: a row per bucket in
  ``pacer_bucket``, locked and updated by one function call (``pacer_take``) on a
  connection of its own (``PostgresBuckets``);
* SQLite: none; the process's own pacer is the limit (one process sends).

Each bucket is a GCRA ("generic cell rate algorithm", the token bucket kept as one
number): its *theoretical arrival time* ``tat``. With an interval ``T = 1/rate`` and a
tolerance ``(burst - 1) * T``, a send may go at ``now`` when ``tat - tolerance <= now``,
and then ``tat = max(tat, now) + T``. That admits exactly what ``pacing.TokenBucket``
admits (at most ``burst + rate * W`` in any window of ``W`` seconds). Two refinements of
the overall bucket mirror the local pacer:

* catch-up (``Limits.global_catch_up``): a grant up to ``c`` seconds late is booked when it
  fell due (``tat = max(tat, now - c) + T``), so a late wake-up of the event loop does not
  cost rate;
* first-grant slack (``Limits.first_grant_slack``): the first send after a second of quiet
  books ``slack`` more, because a process's first request reaches Telegram later than the
  ones that follow it (a cold send path) and would otherwise share a second with 30 others.

On top of the overall bucket, the overall window (at most ``Limits.global_window_sends``
sends in any ``global_window_seconds``, as Telegram counts; ``pacing.SlidingWindow``, whose
module text has the reasoning): each send counts at its effective time, ``max(g, r -
margin - floor)`` once answered (``SharedBuckets.answered``), ``g + cap - W`` in flight,
and the next may go once the lowest of the N highest is ``W`` old. A take's verdict names
the send it entered (``Verdict.ticket``); its process reports the round trip ``r - g`` as
the time from asking to the answer on its own clock, so ``r`` is never earlier than the
answer on the store's. Held up by another process's send in flight, a take is told to ask
again within ``IN_FLIGHT_POLL_SECONDS`` (that answer wakes nobody here). The floor is
the quickest round trip of every process in this period of ``FLOOR_SECONDS`` and the one
before (``pacing.FloorState``: three numbers). In Redis a sorted set of the N sends kept
(``<overall key>:sends``, scored by the time each counts at, members ``f|<id>|<g>`` in
flight and ``a|<id>|<g>`` answered) and the floor's state (``<overall key>:floor``, "period
this before"); in PostgreSQL N slot rows of ``pacer_bucket`` (``<overall
key>:window:<slot>``, the time it counts at in ``tat``) with ``<slot row>.granted`` and
``<slot row>.trip`` beside each (NULL: in flight), written by ``pacer_take`` while the
overall row is locked and by ``pacer_answered`` under the slot's own rows' locks, and the
floor's three rows (``<overall key>:window:floor``, ``<…>:window:floor.before`` and
``<…>:window:floor.period``), written by ``pacer_answered`` under their own locks. A take
stays one round trip; an answer is one more, in the background.

Times are the store's clock (Redis ``TIME``, PostgreSQL ``clock_timestamp()``), the one
clock every process sees; a verdict's ``wait`` is a duration, so each process adds it to
its own monotonic clock. A flood-control answer (429) pauses the bucket it names for every
process (``pause``).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from scheduler.pacing import (
    EPSILON,
    FLOOR_SECONDS,
    IN_FLIGHT_CAP_SECONDS,
    IN_FLIGHT_POLL_SECONDS,
    Limits,
    Sent,
    SlidingWindow,
)

__all__ = [
    "Blocked",
    "Bucket",
    "MemoryBuckets",
    "PostgresBuckets",
    "RedisBuckets",
    "SharedBuckets",
    "Verdict",
    "buckets_for",
    "decide",
    "shared_buckets",
]

log = logging.getLogger(__name__)

#: A bucket untouched this long before a send counts as idle (the first-grant slack).
IDLE_SECONDS = 1.0


class Blocked(StrEnum):
    NONE = ""
    OVERALL = "overall"  # the bot's overall limit, or an overall pause
    CHAT = "chat"  # this chat's (or group's) own limit


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket's key and its shape (seconds)."""

    key: str
    interval: float
    tolerance: float
    catch_up: float = 0.0
    slack: float = 0.0
    #: at most ``window`` sends in any ``window_seconds`` (0: no window; the overall only),
    #: ``window_margin`` of them beyond the server's own count
    window: int = 0
    window_seconds: float = 1.0
    window_margin: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    granted: bool
    wait: float = 0.0  # seconds until it could be granted (when not granted)
    blocked: Blocked = Blocked.NONE
    #: a grant's entry in the shared window, for ``SharedBuckets.answered`` (None: no window)
    ticket: Any = None


def buckets_for(
    namespace: str, limits: Limits, chat_id: int | None, is_group: bool
) -> list[Bucket]:
    """The buckets a send to ``chat_id`` takes a token from: overall first, then the
    chat's, then (a group) the group's. ``chat_id=None``: the overall bucket only."""
    overall = 1.0 / limits.global_per_second
    buckets = [
        Bucket(
            f"{namespace}:all",
            overall,
            (limits.global_burst - 1) * overall,
            limits.global_catch_up,
            limits.first_grant_slack,
            limits.global_window_sends,
            limits.global_window_seconds,
            limits.window_margin,
        )
    ]
    if chat_id is None:
        return buckets
    chat = 1.0 / limits.chat_per_second
    buckets.append(Bucket(f"{namespace}:chat:{chat_id}", chat, (limits.chat_burst - 1) * chat))
    if is_group:
        group = 60.0 / limits.group_per_minute
        buckets.append(
            Bucket(f"{namespace}:group:{chat_id}", group, (limits.group_burst - 1) * group)
        )
    return buckets


def decide(
    now: float,
    tats: Sequence[float | None],
    buckets: Sequence[Bucket],
    window_until: float | None = None,
    in_flight: bool = False,
) -> tuple[Verdict, list[float]]:
    """The GCRA for several buckets at once, and the overall window: all give a token, or
    none does.

    ``tats[i]`` is bucket i's theoretical arrival time (None: never used);
    ``window_until``, when the overall window lets the next send go (None: it has room),
    ``in_flight``: what holds it is a send not answered yet (then the verdict says to ask
    again within ``IN_FLIGHT_POLL_SECONDS``: its answer may come any moment). Returns the
    verdict and, when granted, the new ``tat`` of each bucket (the caller enters the send
    in the window). The Lua script of ``RedisBuckets`` and ``pacer_take`` are this."""
    wait, blocked = 0.0, Blocked.NONE
    for index, (tat, bucket) in enumerate(zip(tats, buckets, strict=True)):
        if tat is None:
            continue
        late = tat - bucket.tolerance - now
        if late > wait:
            wait, blocked = late, Blocked.OVERALL if index == 0 else Blocked.CHAT
    if window_until is not None:
        late = window_until - now
        if in_flight:
            late = min(late, IN_FLIGHT_POLL_SECONDS)
        if late > wait:
            wait, blocked = late, Blocked.OVERALL
    if wait > EPSILON:
        return Verdict(False, wait, blocked), []
    new = []
    for tat, bucket in zip(tats, buckets, strict=True):
        if tat is None or tat < now - IDLE_SECONDS:
            new.append(now + bucket.interval + bucket.slack)
        else:
            new.append(max(tat, now - bucket.catch_up) + bucket.interval)
    return Verdict(True), new


def paused(now: float, tat: float | None, bucket: Bucket, seconds: float) -> float:
    """A bucket's ``tat`` once nobody may send through it for ``seconds`` from ``now``."""
    return max(tat if tat is not None else -math.inf, now + seconds + bucket.tolerance)


class SharedBuckets(Protocol):
    """Where the processes of one bot token keep their common buckets."""

    #: for the log: "redis", "postgresql", "memory"
    kind: str

    async def take(self, chat_id: int, is_group: bool) -> Verdict:
        """Take a token from the overall, chat and (a group) group buckets, or none."""
        ...

    async def take_many(self, sends: Sequence[tuple[int, bool]]) -> list[Verdict]:
        """``take`` for each ``(chat_id, is_group)`` in turn, answered as that many takes
        one after the other would be, in one round trip."""
        ...

    async def answered(self, ticket: Any, trip: float) -> None:
        """The send granted with ``ticket`` (``Verdict.ticket``) was answered ``trip``
        seconds after this process asked for it: the window counts it at its effective time."""
        ...

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        """Flood control: nobody sends to ``chat_id`` (None: to anyone) for ``seconds``."""
        ...

    async def close(self) -> None: ...


class MemoryBuckets:
    """The shared buckets in this process, on an injected clock: several pacers in one
    process (the tests, on fake time) share them as processes share Redis."""

    kind = "memory"

    def __init__(self, limits: Limits, clock: Callable[[], float], namespace: str = "bot") -> None:
        self.limits = limits
        self.clock = clock
        self.namespace = namespace
        self.tats: dict[str, float] = {}
        self.window = SlidingWindow(
            limits.global_window_sends, limits.global_window_seconds, limits.window_margin
        )
        self.fail: BaseException | None = None  # raise this from every call (a store down)

    async def take(self, chat_id: int, is_group: bool) -> Verdict:
        if self.fail is not None:
            raise self.fail
        now = self.clock()
        buckets = buckets_for(self.namespace, self.limits, chat_id, is_group)
        window = self.window if self.limits.global_window_sends else None
        until = window.ready_at(now) if window is not None else None
        verdict, new = decide(
            now,
            [self.tats.get(b.key) for b in buckets],
            buckets,
            until if until is not None and until > now else None,
            window is not None and window.waits_for_a_send_in_flight(),
        )
        if not verdict.granted:
            return verdict
        for bucket, tat in zip(buckets, new, strict=True):
            self.tats[bucket.key] = tat
        return Verdict(True, ticket=window.take(now) if window is not None else None)

    async def take_many(self, sends: Sequence[tuple[int, bool]]) -> list[Verdict]:
        return [await self.take(chat_id, is_group) for chat_id, is_group in sends]

    async def answered(self, ticket: Sent, trip: float) -> None:
        if self.fail is not None:
            raise self.fail
        self.window.answered(ticket, trip)

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        if self.fail is not None:
            raise self.fail
        bucket = buckets_for(self.namespace, self.limits, chat_id, False)[-1]
        self.tats[bucket.key] = paused(self.clock(), self.tats.get(bucket.key), bucket, seconds)

    async def close(self) -> None:
        return None


# ----------------------------------------------------------------------------------- Redis

# KEYS: the buckets, then the overall window's sorted set: one member per send it keeps,
# scored by the time the send counts at; ``f|<id>|<grant>`` in flight, ``a|<id>|<grant>``
# answered. ARGV: per bucket interval, tolerance, catch_up, slack; then the idle seconds,
# EPSILON, the window's sends and seconds, the in-flight cap and poll, the send's id.
# Returns {1, member} (granted) or {0, wait as a string, index of the bucket}. Keys expire
# once their bucket is full again (nothing to remember).
TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = #KEYS - 1
local idle = tonumber(ARGV[4 * n + 1])
local epsilon = tonumber(ARGV[4 * n + 2])
local window = tonumber(ARGV[4 * n + 3])
local window_seconds = tonumber(ARGV[4 * n + 4])
local cap = tonumber(ARGV[4 * n + 5])
local poll = tonumber(ARGV[4 * n + 6])
local tats = {}
local wait, blocked = 0, 0
for i = 1, n do
  local tat = tonumber(redis.call('GET', KEYS[i]))
  tats[i] = tat
  if tat then
    local late = tat - tonumber(ARGV[4 * i - 2]) - now
    if late > wait then wait = late; blocked = i end
  end
end
local kept = 0
if window > 0 then
  kept = redis.call('ZCARD', KEYS[n + 1])
  if kept >= window then
    local lowest = redis.call('ZRANGE', KEYS[n + 1], 0, 0, 'WITHSCORES')
    local late = tonumber(lowest[2]) + window_seconds - now
    if string.sub(lowest[1], 1, 1) == 'f' and late > poll then late = poll end
    if late > wait then wait = late; blocked = 1 end
  end
end
if wait > epsilon then return {0, tostring(wait), blocked} end
for i = 1, n do
  local interval = tonumber(ARGV[4 * i - 3])
  local tat = tats[i]
  local new
  if (not tat) or tat < now - idle then
    new = now + interval + tonumber(ARGV[4 * i])
  else
    new = math.max(tat, now - tonumber(ARGV[4 * i - 1])) + interval
  end
  local keep = math.ceil((new - now + idle) * 1000)
  redis.call('SET', KEYS[i], string.format('%.6f', new), 'PX', keep)
end
if window > 0 then
  if kept >= window then redis.call('ZPOPMIN', KEYS[n + 1], kept - window + 1) end
  local member = 'f|' .. ARGV[4 * n + 7] .. '|' .. string.format('%.6f', now)
  redis.call('ZADD', KEYS[n + 1], string.format('%.6f', now + cap - window_seconds), member)
  redis.call('PEXPIRE', KEYS[n + 1], math.ceil((cap + idle) * 1000))
  return {1, member}
end
return {1}
"""

# KEYS: the window's sorted set, the floor's state ("<period> <this> <before>",
# ``pacing.FloorState``). ARGV: the member the take returned, its round trip, the window's
# margin, the floor's period (seconds), the window's seconds, the idle seconds. The state
# moves as ``FloorState.next`` for this answer (at g + trip); the send counts from now at
# max(g, g + trip - margin - floor). A member no longer kept (it made way) only moves the
# floor.
ANSWERED_SCRIPT = """
local member = ARGV[1]
local trip = tonumber(ARGV[2])
local margin = tonumber(ARGV[3])
local floor_seconds = tonumber(ARGV[4])
local window_seconds = tonumber(ARGV[5])
local idle = tonumber(ARGV[6])
if trip < 0 then trip = 0 end
local granted = tonumber(string.match(member, '[^|]+$'))
local answered = granted + trip
local period = math.floor(answered / floor_seconds)
local this, before = trip, trip
local state = redis.call('GET', KEYS[2])
if state then
  local p, t, b = string.match(state, '^(%S+) (%S+) (%S+)$')
  p, t, b = tonumber(p), tonumber(t), tonumber(b)
  if period == p + 1 then
    before = t
  elseif period == p then
    this, before = math.min(t, trip), b
  elseif period < p then
    period, this, before = p, t, math.min(b, trip)
  end
end
redis.call('SET', KEYS[2], string.format('%d %.6f %.6f', period, this, before),
  'PX', math.ceil(2 * floor_seconds * 1000))
if redis.call('ZREM', KEYS[1], member) == 1 then
  local value = math.max(granted, answered - margin - math.min(this, before))
  redis.call('ZADD', KEYS[1], string.format('%.6f', value), 'a' .. string.sub(member, 2))
  local keep = math.ceil((window_seconds + idle) * 1000)
  if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
end
return 1
"""

# KEYS[1]: the bucket; ARGV: seconds, tolerance. Pushes its tat to now + seconds + tolerance.
PAUSE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local new = math.max(tat, now + tonumber(ARGV[1]) + tonumber(ARGV[2]))
redis.call('SET', KEYS[1], string.format('%.6f', new), 'PX', math.ceil((new - now + 1) * 1000))
return 1
"""


class RedisBuckets:
    """The buckets in Redis: one atomic script per send (redis-py's asyncio client)."""

    kind = "redis"

    def __init__(self, url: str, limits: Limits, namespace: str) -> None:
        from redis.asyncio import Redis

        self.limits = limits
        self.namespace = namespace
        self.redis = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._take = self.redis.register_script(TAKE_SCRIPT)
        self._answered = self.redis.register_script(ANSWERED_SCRIPT)
        self._pause = self.redis.register_script(PAUSE_SCRIPT)
        self._ids = (f"{os.getpid()}.{os.urandom(3).hex()}.{n}" for n in itertools.count())

    def _window_keys(self) -> tuple[str, str]:
        overall = f"{self.namespace}:all"
        return f"{overall}:sends", f"{overall}:floor"

    def _take_call(self, chat_id: int, is_group: bool) -> tuple[list[str], list[Any]]:
        """The take script's keys and arguments for one send."""
        buckets = buckets_for(self.namespace, self.limits, chat_id, is_group)
        args: list[Any] = []
        for bucket in buckets:
            args += [bucket.interval, bucket.tolerance, bucket.catch_up, bucket.slack]
        overall = buckets[0]
        args += [IDLE_SECONDS, EPSILON, overall.window, overall.window_seconds]
        args += [IN_FLIGHT_CAP_SECONDS, IN_FLIGHT_POLL_SECONDS, next(self._ids)]
        return [bucket.key for bucket in buckets] + [self._window_keys()[0]], args

    async def take(self, chat_id: int, is_group: bool) -> Verdict:
        keys, args = self._take_call(chat_id, is_group)
        return self._verdict(await self._take(keys=keys, args=args))

    async def take_many(self, sends: Sequence[tuple[int, bool]]) -> list[Verdict]:
        # One pipeline, no MULTI: each script is atomic, and they run in this order.
        pipeline = self.redis.pipeline(transaction=False)
        for chat_id, is_group in sends:
            keys, args = self._take_call(chat_id, is_group)
            await self._take(keys=keys, args=args, client=pipeline)
        return [self._verdict(answer) for answer in await pipeline.execute()]

    @staticmethod
    def _verdict(answer: Any) -> Verdict:
        if int(answer[0]) == 1:
            return Verdict(True, ticket=answer[1].decode() if len(answer) > 1 else None)
        index = int(answer[2])
        return Verdict(False, float(answer[1]), Blocked.OVERALL if index == 1 else Blocked.CHAT)

    async def answered(self, ticket: str, trip: float) -> None:
        overall = buckets_for(self.namespace, self.limits, None, False)[0]
        await self._answered(
            keys=list(self._window_keys()),
            args=[
                ticket,
                trip,
                overall.window_margin,
                FLOOR_SECONDS,
                overall.window_seconds,
                IDLE_SECONDS,
            ],
        )

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        bucket = buckets_for(self.namespace, self.limits, chat_id, False)[-1]
        await self._pause(keys=[bucket.key], args=[seconds, bucket.tolerance])

    async def close(self) -> None:
        await self.redis.aclose()


# ------------------------------------------------------------------------------ PostgreSQL

# pacer_take (storage/migrations/versions/pacer_0015_answered_sends.py) and pacer_answered
# (pacer_0016_floor_of_a_minute.py) are ``decide`` and ``pacing.SlidingWindow`` in PL/pgSQL.
_TAKE_TYPES = ("text[]", *["float8[]"] * 4, "float8", "float8", "int", "float8", "float8", "float8")


@functools.lru_cache(maxsize=16)
def take_many_sql(count: int) -> str:
    """``count`` calls of ``pacer_take`` in one statement, a column each (``count`` 1: one
    take). PostgreSQL evaluates a row's columns from left to right, so they take in this
    order; each locks its rows as a statement of its own would, until the statement ends."""
    width = len(_TAKE_TYPES)
    calls = (
        "pacer_take("
        + ", ".join(f"${width * n + i + 1}::{kind}" for i, kind in enumerate(_TAKE_TYPES))
        + ")"
        for n in range(count)
    )
    return "SELECT " + ", ".join(calls)


ANSWERED_SQL = (
    "SELECT pacer_answered($1::text, $2::int, $3::float8, $4::float8, $5::float8, $6::float8)"
)
LOCK_SQL = "SELECT key, tat FROM pacer_bucket WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE"
NOW_SQL = "SELECT extract(epoch FROM clock_timestamp())::float8"
CREATE_SQL = (
    "INSERT INTO pacer_bucket (key, tat) SELECT unnest($1::text[]), NULL ON CONFLICT DO NOTHING"
)
WRITE_SQL = (
    "UPDATE pacer_bucket AS b SET tat = v.tat "
    "FROM unnest($1::text[], $2::float8[]) AS v(key, tat) WHERE b.key = v.key"
)


class PostgresBuckets:
    """The buckets as rows of ``pacer_bucket`` (an UNLOGGED table: nothing in it outlives
    a second that matters). A send is one statement, ``pacer_take(...)``: it locks the
    send's rows (in key order: two processes never wait for each other in a circle), reads
    the database's clock once it holds them and writes the new times, all inside the
    database, so the overall bucket's row is held for a fraction of a millisecond whatever
    the client process is doing. On a connection of this store's own: it never waits in
    the pool behind the bot's transactions. A chat's rows stay once it was sent to (Redis
    lets a full bucket's key expire, its memory being the limit): a row whose bucket is
    full again decides as a missing one would, a take finds its rows by their key (as
    quick beside 200,000 other rows), and a row is about 130 bytes per chat (a second for
    a group); a deleted row would only make the next send to its chat insert it again."""

    kind = "postgresql"

    def __init__(self, url: str, limits: Limits, namespace: str) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.limits = limits
        self.namespace = namespace
        self._connection: Any = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> Any:
        if self._connection is None or self._connection.is_closed():
            import asyncpg

            self._connection = await asyncpg.connect(self.url, timeout=5.0)
        return self._connection

    async def _locked(self, connection: Any, keys: list[str]) -> dict[str, float | None]:
        rows = await connection.fetch(LOCK_SQL, keys)
        if len(rows) < len(keys):
            await connection.execute(CREATE_SQL, keys)
            rows = await connection.fetch(LOCK_SQL, keys)
        return {row["key"]: row["tat"] for row in rows}

    def _take_arguments(self, chat_id: int, is_group: bool) -> list[Any]:
        """``pacer_take``'s eleven arguments for one send."""
        buckets = buckets_for(self.namespace, self.limits, chat_id, is_group)
        return [
            [bucket.key for bucket in buckets],
            [bucket.interval for bucket in buckets],
            [bucket.tolerance for bucket in buckets],
            [bucket.catch_up for bucket in buckets],
            [bucket.slack for bucket in buckets],
            IDLE_SECONDS,
            EPSILON,
            buckets[0].window,
            buckets[0].window_seconds,
            IN_FLIGHT_CAP_SECONDS,
            IN_FLIGHT_POLL_SECONDS,
        ]

    async def take(self, chat_id: int, is_group: bool) -> Verdict:
        return (await self.take_many([(chat_id, is_group)]))[0]

    async def take_many(self, sends: Sequence[tuple[int, bool]]) -> list[Verdict]:
        arguments = [
            value for chat_id, group in sends for value in self._take_arguments(chat_id, group)
        ]
        async with self._lock:
            connection = await self._connect()
            try:
                answers = await connection.fetchrow(take_many_sql(len(sends)), *arguments)
            except BaseException:
                await self._drop_connection()
                raise
        windowed = self.limits.global_window_sends > 0
        return [self._verdict(answer, windowed) for answer in answers]

    @staticmethod
    def _verdict(answer: Sequence[float], windowed: bool) -> Verdict:
        if answer[0] == 1:
            # the slot and the grant's time name the send in the window
            return Verdict(True, ticket=(int(answer[1]), answer[2]) if windowed else None)
        return Verdict(False, answer[1], Blocked.OVERALL if answer[2] == 1 else Blocked.CHAT)

    async def answered(self, ticket: tuple[int, float], trip: float) -> None:
        overall = buckets_for(self.namespace, self.limits, None, False)[0]
        slot, granted = ticket
        async with self._lock:
            connection = await self._connect()
            try:
                await connection.execute(
                    ANSWERED_SQL,
                    overall.key,
                    slot,
                    granted,
                    trip,
                    overall.window_margin,
                    FLOOR_SECONDS,
                )
            except BaseException:
                await self._drop_connection()
                raise

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        bucket = buckets_for(self.namespace, self.limits, chat_id, False)[-1]
        async with self._lock:
            connection = await self._connect()
            try:
                async with connection.transaction():
                    tat = (await self._locked(connection, [bucket.key])).get(bucket.key)
                    now = await connection.fetchval(NOW_SQL)
                    await connection.execute(
                        WRITE_SQL, [bucket.key], [paused(now, tat, bucket, seconds)]
                    )
            except BaseException:
                await self._drop_connection()
                raise

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), 5.0)
            except Exception:
                connection.terminate()


def namespace_of(token: str) -> str:
    """The keys' prefix: the bot's id (the token's public part), never the secret."""
    bot_id = token.split(":", 1)[0] if token else ""
    return f"buurbot:pacer:{bot_id or 'bot'}"


def shared_buckets(
    limits: Limits, *, token: str, database_url: str, redis_url: str | None
) -> SharedBuckets | None:
    """Redis when configured, else PostgreSQL when that is the database, else None."""
    namespace = namespace_of(token)
    if redis_url:
        return RedisBuckets(redis_url, limits, namespace)
    if database_url.startswith("postgresql"):
        return PostgresBuckets(database_url, limits, namespace)
    return None
