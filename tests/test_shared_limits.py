"""One limit for every process of a bot token: pacers sharing their buckets.

On virtual time, several pacers share ``MemoryBuckets`` as processes share Redis or
PostgreSQL: together they stay inside the limits, a chat another one used waits alone,
a 429 one of them gets pauses the others, and a store that fails leaves each pacing
alone. Then the real stores (Redis at 127.0.0.1:6379, PostgreSQL), two connections as two
processes, in real time: the same bounds, and the GCRA script agrees with ``decide``.
"""

from __future__ import annotations

import asyncio
import random
import socket
import uuid
from bisect import bisect_left
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest

from scheduler.pacing import (
    IN_FLIGHT_POLL_SECONDS,
    SHARED_BATCH,
    SHARED_RETRY_SECONDS,
    Limits,
    Pacer,
    Priority,
)
from scheduler.shared_limits import (
    Blocked,
    Bucket,
    MemoryBuckets,
    PostgresBuckets,
    RedisBuckets,
    SharedBuckets,
    Verdict,
    buckets_for,
    decide,
    namespace_of,
)
from storage.db import Database
from tests.conftest import PG_HOST, PG_PORT, REQUIRE_SERVICES, _admin, need_postgres
from tests.support.virtual_time import VirtualTime

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
EPS = 1e-5


LIMITS = Limits(
    global_per_second=10.0,
    global_burst=1,
    chat_per_second=1.0,
    chat_burst=3,
    group_per_minute=19.0,
    group_burst=1,
)


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(
        (bisect_left(times, start + window - EPS) - i for i, start in enumerate(times)), default=0
    )


def pacers(time: VirtualTime, shared: SharedBuckets, count: int, limits: Limits) -> list[Pacer]:
    result = []
    for _ in range(count):
        pacer = Pacer(limits, monotonic=time.monotonic, sleep=time.sleep)
        pacer.share(shared)
        result.append(pacer)
    return result


async def sends(pacer: Pacer, chats: list[int], log: list[tuple[float, int]]) -> None:
    async def one(chat: int) -> None:
        grant = await pacer.acquire(chat, chat < 0)
        pacer.answered(grant)
        log.append((grant.at, chat))

    await asyncio.gather(*(one(chat) for chat in chats))


async def test_three_pacers_together_stay_inside_one_overall_limit() -> None:
    time = VirtualTime()
    shared = MemoryBuckets(LIMITS, time.monotonic)
    three = pacers(time, shared, 3, LIMITS)
    log: list[tuple[float, int]] = []
    # 3 x 40 messages to distinct chats: alone, each pacer would send its 40 in 4 s.
    await time.run(
        *(sends(p, list(range(n * 100, n * 100 + 40)), log) for n, p in enumerate(three))
    )
    times = [at for at, _chat in log]
    assert len(times) == 120
    for window in (0.5, 1.0, 3.0):
        assert most_in_window(times, window) <= 1 + 10 * window + EPS, window
    # ...and it is the limit, not less: 120 at 10 a second take 11.9 s (slack for the first).
    assert max(times) - min(times) == pytest.approx(11.9, abs=0.11)


async def test_a_chat_two_processes_send_to_keeps_its_own_limit_and_waits_alone() -> None:
    time = VirtualTime()
    shared = MemoryBuckets(LIMITS, time.monotonic)
    one, two = pacers(time, shared, 2, LIMITS)
    log: list[tuple[float, int]] = []
    # Both send 5 to chat 7; the second also sends to 10 others, who need not wait for 7.
    await time.run(sends(one, [7] * 5, log), sends(two, [7] * 5 + list(range(20, 30)), log))
    to_seven = [at for at, chat in log if chat == 7]
    assert len(to_seven) == 10
    for window in (1.0, 2.0, 5.0):
        assert most_in_window(to_seven, window) <= 3 + window + EPS, window
    others = sorted(at for at, chat in log if chat != 7)
    # Ten others at 10/s, sharing the overall bucket with chat 7's first three: done in ~1.5 s.
    assert others[-1] < 2.0, others


async def test_a_429_one_process_gets_pauses_the_others() -> None:
    time = VirtualTime()
    shared = MemoryBuckets(LIMITS, time.monotonic)
    one, two = pacers(time, shared, 2, LIMITS)
    assert one.limited(None, 5.0)  # flood control said: everyone, 5 s
    await time.run(asyncio.sleep(0))  # the shared pause is told in the background
    log: list[tuple[float, int]] = []
    await time.run(sends(two, [1, 2], log))
    assert min(at for at, _ in log) >= 5.0 - EPS
    two.limited(3, 4.0)  # one chat's 429 reaches the other process too
    await time.run(asyncio.sleep(0))
    start = time.now
    await time.run(sends(one, [3, 4], log))
    granted = dict((chat, at) for at, chat in log)
    assert granted[3] >= start + 4.0 - EPS and granted[4] < start + 1.0


async def test_a_store_that_fails_leaves_each_process_pacing_alone_then_asks_again() -> None:
    time = VirtualTime()
    shared = MemoryBuckets(LIMITS, time.monotonic)
    shared.fail = ConnectionError("redis is down")
    [pacer] = pacers(time, shared, 1, LIMITS)
    log: list[tuple[float, int]] = []
    await time.run(sends(pacer, list(range(30)), log))
    times = [at for at, _ in log]
    assert len(times) == 30  # nothing lost, nobody left waiting
    assert most_in_window(times, 1.0) <= 1 + 10 + EPS  # the local bucket still paces
    assert shared.tats == {}
    shared.fail = None
    time.now += SHARED_RETRY_SECONDS
    await time.run(sends(pacer, [99], log))
    assert f"{shared.namespace}:chat:99" in shared.tats  # asked the store again


def test_decide_is_a_token_bucket_with_catch_up_and_first_grant_slack() -> None:
    overall = Bucket("all", interval=0.1, tolerance=0.0, catch_up=0.02, slack=0.05)
    chat = Bucket("chat", interval=1.0, tolerance=2.0)
    verdict, tats = decide(100.0, [None, None], [overall, chat])
    assert verdict.granted and tats == pytest.approx([100.15, 101.0])  # slack: first after quiet
    verdict, _ = decide(100.1, tats, [overall, chat])
    assert not verdict.granted and verdict.blocked is Blocked.OVERALL
    assert verdict.wait == pytest.approx(0.05)
    # 10 ms late: booked when it fell due (catch-up), so the next is due on the grid.
    verdict, tats = decide(100.16, tats, [overall, chat])
    assert verdict.granted and tats[0] == pytest.approx(100.25)
    verdict, tats = decide(100.25, tats, [overall, chat])  # the chat's third, its burst
    assert verdict.granted and tats[1] == pytest.approx(103.0)
    verdict, _ = decide(100.35, tats, [overall, chat])
    assert verdict.blocked is Blocked.CHAT and verdict.wait == pytest.approx(0.65)


def test_decide_holds_the_overall_window_and_polls_for_a_send_in_flight() -> None:
    overall = Bucket("all", interval=0.01, tolerance=1.0, catch_up=0.5, window=3)
    verdict, new = decide(10.0, [None], [overall], window_until=10.5)
    assert not verdict.granted and verdict.blocked is Blocked.OVERALL
    assert verdict.wait == pytest.approx(0.5)
    # What holds the window is a send in flight: ask again soon, its answer may come.
    verdict, _ = decide(10.0, [None], [overall], window_until=15.0, in_flight=True)
    assert not verdict.granted and verdict.wait == pytest.approx(IN_FLIGHT_POLL_SECONDS)
    verdict, new = decide(10.5, [None], [overall], window_until=10.5)
    assert verdict.granted and new == pytest.approx([10.51])


async def test_two_pacers_sharing_buckets_hold_one_window_under_a_burst() -> None:
    time = VirtualTime()
    # Alone each pacer would send its 30 in its own windows; shared, 10 per 0.5 s in all.
    windowed = Limits(
        global_per_second=100.0,
        global_burst=20,
        global_window_sends=10,
        global_window_seconds=0.5,
    )
    shared = MemoryBuckets(windowed, time.monotonic)
    two = pacers(time, shared, 2, windowed)
    log: list[tuple[float, int]] = []
    await time.run(*(sends(p, list(range(n * 100, n * 100 + 30)), log) for n, p in enumerate(two)))
    times = [at for at, _chat in log]
    assert len(times) == 60
    assert most_in_window(times, 0.5) <= 10
    assert max(times) == pytest.approx(2.5, abs=0.01)  # six windows: the window's pace


def test_the_keys_name_the_bot_never_its_secret() -> None:
    namespace = namespace_of("123456:SECRET-part")
    assert namespace == "buurbot:pacer:123456"
    keys = [bucket.key for bucket in buckets_for(namespace, LIMITS, -42, True)]
    assert keys == [f"{namespace}:all", f"{namespace}:chat:-42", f"{namespace}:group:-42"]


# ------------------------------------------------------------------- the real stores

REAL = Limits(
    global_per_second=50.0,
    global_burst=1,
    chat_per_second=10.0,
    chat_burst=2,
    group_per_minute=600.0,
    group_burst=1,
    global_catch_up=0.25 / 50,
)


def need_redis() -> None:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return
    except OSError:
        pass
    if REQUIRE_SERVICES:
        pytest.fail(f"Redis is required (BUURBOT_REQUIRE_SERVICES=1) at {REDIS_HOST}:{REDIS_PORT}")
    pytest.skip(
        f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}; "
        "set BUURBOT_REQUIRE_SERVICES=1 to fail instead"
    )


@pytest.fixture(params=["redis", pytest.param("postgres", marks=pytest.mark.postgres)])
async def shared_store(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[..., SharedBuckets]]:
    """A factory of stores on one namespace: each call, a connection of its own (a process),
    on ``REAL`` unless given other limits. PostgreSQL: a new database, migrated (the
    ``pacer_bucket`` table)."""
    namespace = f"buurbot:pacer:test-{uuid.uuid4().hex[:10]}"
    made: list[SharedBuckets] = []
    if request.param == "redis":
        need_redis()
        url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"

        def make(limits: Limits = REAL) -> SharedBuckets:
            made.append(RedisBuckets(url, limits, namespace))
            return made[-1]

        try:
            yield make
        finally:
            cleaner = RedisBuckets(url, REAL, namespace)
            keys = [key async for key in cleaner.redis.scan_iter(f"{namespace}:*")]
            if keys:
                await cleaner.redis.delete(*keys)
            await cleaner.close()
            for store in made:
                await store.close()
        return
    need_postgres()
    name = f"buurbot_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    try:
        db = Database(url)
        await db.migrate()
        await db.close()

        def make_pg(limits: Limits = REAL) -> SharedBuckets:
            made.append(PostgresBuckets(url, limits, namespace))
            return made[-1]

        yield make_pg
    finally:
        for store in made:
            await store.close()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_two_processes_through_a_real_store_share_one_limit_all_or_nothing(
    shared_store: Callable[[], SharedBuckets],
) -> None:
    log: list[tuple[float, int]] = []
    two = []
    for _ in range(2):
        pacer = Pacer(REAL)
        pacer.share(shared_store())
        two.append(pacer)
    loop = asyncio.get_running_loop()
    start = loop.time()
    # 2 x 40 to distinct chats, and 3 each to one chat both send to.
    await asyncio.gather(
        sends(two[0], list(range(1000, 1040)) + [5] * 3, log),
        sends(two[1], list(range(2000, 2040)) + [5] * 3, log),
    )
    elapsed = loop.time() - start
    times = [at for at, _ in log]
    assert len(times) == 86
    # The overall bound: b + r * (W + catch-up); alone, each would have sent 43 in 0.86 s.
    assert most_in_window(times, 1.0) <= 1 + 50 * (1 + 0.25 / 50) + EPS
    assert most_in_window(times, 0.5) <= 1 + 50 * (0.5 + 0.25 / 50) + EPS
    to_five = [at for at, chat in log if chat == 5]
    assert most_in_window(to_five, 0.5) <= 2 + 10 * 0.5 + EPS
    assert elapsed >= 85 / 50 - 0.05  # the limit held them back...
    assert elapsed < 85 / 50 * 3  # ...and not much more than it (a loaded machine)

    # One store call: all of a send's buckets give a token, or none does; pauses.
    store = shared_store()
    await asyncio.sleep(0.1)  # the overall bucket, just used, has a token again
    assert (await store.take(-7, True)).granted
    # The group's own bucket (600/min: 0.1 s) says no; nothing else is taken meanwhile.
    refused = await store.take(-7, True)
    assert not refused.granted and refused.blocked is Blocked.CHAT
    assert 0.0 < refused.wait <= 0.1 + 0.02
    await asyncio.sleep(0.03)
    assert (await store.take(8, False)).granted  # the overall bucket was not taken by the no
    await store.pause(None, 2.0)
    paused = await store.take(9, False)
    assert not paused.granted and paused.blocked is Blocked.OVERALL
    assert 1.0 < paused.wait <= 2.0 + 0.02


async def test_a_real_store_answers_many_takes_in_one_call_as_takes_one_after_another(
    shared_store: Callable[..., SharedBuckets],
) -> None:
    roomy = Limits(
        global_per_second=1000.0,
        global_burst=100,
        chat_per_second=1.0,
        chat_burst=1,
        group_per_minute=60.0,
        group_burst=1,
    )
    store = shared_store(roomy)
    sends = [(11, False), (11, False), (12, False), (-7, True), (-7, True)]
    verdicts = await store.take_many(sends)
    assert [verdict.granted for verdict in verdicts] == [True, False, True, True, False]
    # The second to 11 and to -7 met the token the first had just taken: their chat's.
    assert verdicts[1].blocked is Blocked.CHAT and 0.9 < verdicts[1].wait <= 1.0 + EPS
    assert verdicts[4].blocked is Blocked.CHAT and 0.9 < verdicts[4].wait <= 1.0 + EPS
    # Another process asking one at a time sees what the batch took.
    other = shared_store(roomy)
    assert not (await other.take(12, False)).granted
    assert (await other.take(13, False)).granted
    assert (await other.take_many([(14, False)]))[0].granted
    await other.pause(None, 2.0)
    paused = await store.take_many([(15, False), (16, True)])
    assert [(verdict.granted, verdict.blocked) for verdict in paused] == [
        (False, Blocked.OVERALL),
        (False, Blocked.OVERALL),
    ]


class CountingBuckets(MemoryBuckets):
    """Memory buckets that note how many sends each call to them asked for."""

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        super().__init__(limits, clock)
        self.calls: list[int] = []

    async def take_many(self, sends: Sequence[tuple[int, bool]]) -> list[Verdict]:
        self.calls.append(len(sends))
        return await super().take_many(sends)


async def test_a_burst_below_the_limit_asks_the_store_for_several_chats_at_once_in_order() -> None:
    roomy = Limits(
        global_per_second=10_000.0,
        global_burst=10_000,
        chat_per_second=1.0,
        chat_burst=1,
        group_per_minute=20.0,
        group_burst=1,
    )
    time = VirtualTime()
    shared = CountingBuckets(roomy, time.monotonic)
    [pacer] = pacers(time, shared, 1, roomy)
    order: list[int] = []

    async def send(chat: int, priority: int) -> None:
        pacer.answered(await pacer.acquire(chat, False, priority))
        order.append(chat)

    # 60 chats at once, each its own: 40 broadcasts, then 20 replies that go first.
    await time.run(
        *(send(chat, Priority.BROADCAST) for chat in range(100, 140)),
        *(send(chat, Priority.REPLY) for chat in range(200, 220)),
    )
    assert time.now == 0.0  # nothing had to wait for a token
    assert len(order) == 60
    assert sum(shared.calls) == 60  # each send asked for once
    assert shared.calls[:4] == [1, 2, 4, SHARED_BATCH]  # doubling while all are granted
    assert len(shared.calls) <= 4 + 60 // SHARED_BATCH
    # Batched as they were asked one by one: the replies before the broadcasts, each in order.
    assert order == [*range(200, 220), *range(100, 140)]


async def test_a_refusal_brings_the_batch_back_to_one_and_the_limits_hold() -> None:
    time = VirtualTime()
    shared = CountingBuckets(LIMITS, time.monotonic)
    [pacer] = pacers(time, shared, 1, LIMITS)
    log: list[tuple[float, int]] = []
    # Three sends to chat 7 (its burst is 3, then 1 a second) among 30 others, at 10 a second.
    await time.run(sends(pacer, [7, 7, 7, 7, 7, *range(20, 50)], log))
    times = [at for at, _chat in log]
    assert len(times) == 35
    for window in (0.5, 1.0, 2.0):
        assert most_in_window(times, window) <= 1 + 10 * window + EPS, window
    to_seven = [at for at, chat in log if chat == 7]
    assert most_in_window(to_seven, 1.0) <= 3 + 1 + EPS
    # At the limit every batch meets a refusal: the store is asked one send at a time.
    assert max(shared.calls) <= 2


async def test_the_first_grant_after_a_quiet_second_leaves_slack_in_the_local_bucket_too() -> None:
    time = VirtualTime()
    limits = Limits(global_per_second=10.0, global_burst=1, first_grant_slack=0.05)
    pacer = Pacer(limits, monotonic=time.monotonic, sleep=time.sleep)
    log: list[tuple[float, int]] = []
    await time.run(sends(pacer, [1, 2, 3], log))
    assert [at for at, _ in log] == pytest.approx([0.0, 0.15, 0.25])  # slack once, then 1/10 s
    time.now += 2.0  # quiet: the next first grant leaves its slack again
    await time.run(sends(pacer, [4, 5], log))
    assert [at for at, _ in log[3:]] == pytest.approx([2.25, 2.40])


WINDOWED = Limits(
    global_per_second=500.0,
    global_burst=50,
    chat_per_second=10.0,
    chat_burst=2,
    group_per_minute=600.0,
    group_burst=1,
    global_window_sends=20,
    global_window_seconds=0.5,
)


async def test_two_processes_through_a_real_store_hold_one_overall_window(
    shared_store: Callable[[], SharedBuckets],
) -> None:
    # The bucket alone (a burst of 50, then 500/s) would send all 80 in a tenth of a second.
    log: list[tuple[float, int]] = []
    two = []
    for _ in range(2):
        pacer = Pacer(WINDOWED)
        store = shared_store()
        assert isinstance(store, RedisBuckets | PostgresBuckets)
        store.limits = WINDOWED  # as production's share_limits gives the pacer's own
        pacer.share(store)
        two.append(pacer)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(
        sends(two[0], list(range(1000, 1040)), log), sends(two[1], list(range(2000, 2040)), log)
    )
    elapsed = loop.time() - start
    times = [at for at, _ in log]
    assert len(times) == 80
    # The store holds the window on its own clock; a grant reaches its process a little
    # later (the round trip, longer on a busy machine), so the local times get 0.1 s of
    # slack. Without the window all 80 would be granted within that 0.1 s.
    assert most_in_window(times, 0.5 - 0.1) <= 20
    assert elapsed >= 3 * 0.5 - 0.05  # 80 in four windows of 20


async def test_a_real_store_refuses_the_send_over_the_window_until_the_oldest_is_old(
    shared_store: Callable[[], SharedBuckets],
) -> None:
    # The script (Redis) and pacer_take (PostgreSQL) directly, as ``decide`` does it.
    store = shared_store()
    assert isinstance(store, RedisBuckets | PostgresBuckets)
    store.limits = WINDOWED
    loop = asyncio.get_running_loop()
    first = loop.time()
    for chat in range(20):
        granted = await store.take(chat, False)
        assert granted.granted and granted.ticket is not None, chat
        await store.answered(granted.ticket, 0.001)
    refused = await store.take(99, False)
    assert not refused.granted and refused.blocked is Blocked.OVERALL
    assert 0.5 - (loop.time() - first) - 0.02 <= refused.wait <= 0.5 + 0.02
    await asyncio.sleep(refused.wait + 0.02)
    assert (await store.take(99, False)).granted


# ------------------------------------------------------------- sends counted by their answers

# 10 in any 0.5 s at the server; the window 20 ms longer (the margin), a bucket at 98 % of
# it with burst 1, as TELEGRAM_LIMITS has it for 30 in a second.
ARRIVALS = Limits(
    global_per_second=0.98 * 10 / 0.52,
    global_burst=1,
    chat_per_second=10.0,
    chat_burst=2,
    group_per_minute=600.0,
    group_burst=1,
    global_window_sends=10,
    global_window_seconds=0.52,
    global_window_margin=0.02,
)


async def stalled_sends(
    pacer: Pacer,
    chats: list[int],
    arrivals: list[float],
    rng: random.Random,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]],
    late: float = 0.0,
) -> None:
    """Each send stalls between its grant and its request now and then (a process or its
    event loop descheduled: up to 0.6 s), reaches the server (``arrivals``, on ``clock``),
    and is answered 5 ms later, and up to ``late`` more (a busy process slow to read it)."""

    async def one(chat: int) -> None:
        grant = await pacer.acquire(chat, False)
        try:
            if rng.random() < 0.2:
                await sleep(rng.uniform(0.05, 0.6))
            arrivals.append(clock())
            await sleep(0.005 + (rng.uniform(0.0, late) if late else 0.0))
        finally:
            pacer.answered(grant)

    await asyncio.gather(*(one(chat) for chat in chats))


@pytest.mark.parametrize("seed", range(4))
async def test_pacers_sharing_one_window_hold_the_arrivals_under_stalls(seed: int) -> None:
    time = VirtualTime()
    shared = MemoryBuckets(ARRIVALS, time.monotonic)
    three = pacers(time, shared, 3, ARRIVALS)
    rng = random.Random(seed)
    arrivals: list[float] = []
    await time.run(
        *(
            stalled_sends(
                p, list(range(n * 100, n * 100 + 40)), arrivals, rng, time.monotonic, time.sleep
            )
            for n, p in enumerate(three)
        )
    )
    assert len(arrivals) == 120
    assert most_in_window(arrivals, 0.5) <= 10
    # ...at nearly the limit: 120 in about 120 / 18.8 s, the stalls cost a little.
    assert max(arrivals) < 120 / ARRIVALS.global_per_second * 1.25


async def test_pacers_sharing_one_window_hold_the_arrivals_when_every_answer_is_late() -> None:
    # A busy machine: besides the stalls on the way out, every answer is read up to 20 ms
    # late. The quickest of the last 10 round trips was then rarely the 5 ms an undelayed
    # one takes, a stalled send answered on time counted that much too early, and 11 sends
    # reached the server within half a second on 4 seeds of these 40 (20, 23, 27 and 38).
    # The floor of the last 30 to 60 s is the 5 ms, whatever the load.
    over = {}
    for seed in range(40):
        time = VirtualTime()
        shared = MemoryBuckets(ARRIVALS, time.monotonic)
        three = pacers(time, shared, 3, ARRIVALS)
        rng = random.Random(seed)
        arrivals: list[float] = []
        await time.run(
            *(
                stalled_sends(
                    p,
                    list(range(n * 100, n * 100 + 40)),
                    arrivals,
                    rng,
                    time.monotonic,
                    time.sleep,
                    late=0.02,
                )
                for n, p in enumerate(three)
            )
        )
        assert len(arrivals) == 120
        if most_in_window(arrivals, 0.5) > 10:
            over[seed] = most_in_window(arrivals, 0.5)
        # ...at nearly the limit still: the late answers cost nothing.
        assert max(arrivals) < 120 / ARRIVALS.global_per_second * 1.25
    assert over == {}


async def test_three_processes_through_a_real_store_hold_the_arrivals_under_stalls(
    shared_store: Callable[[], SharedBuckets],
) -> None:
    # Real time, a store connection per pacer; the arrivals on this process's clock.
    three = []
    for _ in range(3):
        pacer = Pacer(ARRIVALS)
        store = shared_store()
        assert isinstance(store, RedisBuckets | PostgresBuckets)
        store.limits = ARRIVALS
        pacer.share(store)
        three.append(pacer)
    loop = asyncio.get_running_loop()
    rng = random.Random(7)
    arrivals: list[float] = []
    await asyncio.gather(
        *(
            stalled_sends(
                p, list(range(n * 100, n * 100 + 25)), arrivals, rng, loop.time, asyncio.sleep
            )
            for n, p in enumerate(three)
        )
    )
    assert len(arrivals) == 75
    assert most_in_window(arrivals, 0.5) <= 10


async def test_a_real_store_counts_a_slow_send_at_its_answer_and_polls_for_one_in_flight(
    shared_store: Callable[[], SharedBuckets],
) -> None:
    store = shared_store()
    assert isinstance(store, RedisBuckets | PostgresBuckets)
    limits = Limits(
        global_per_second=1000.0,
        global_burst=100,
        chat_per_second=10.0,
        global_window_sends=5,
        global_window_seconds=0.52,
        global_window_margin=0.02,
    )
    store.limits = limits
    loop = asyncio.get_running_loop()

    async def five(trips: list[float | None]) -> float:
        """Five takes answered after ``trips`` (None: not answered); when the first went."""
        first = loop.time()
        for chat, trip in enumerate(trips):
            granted = await store.take(chat, False)
            assert granted.granted and granted.ticket is not None
            if trip is not None:
                await store.answered(granted.ticket, trip)
        return first

    # A uniform 200 ms round trip costs nothing: the sixth waits for the window only (were
    # the sends counted at their answers less the margin, 0.18 s more).
    first = await five([0.2] * 5)
    refused = await store.take(99, False)
    assert not refused.granted and refused.blocked is Blocked.OVERALL
    assert 0.52 - (loop.time() - first) - 0.01 <= refused.wait <= 0.52 + 0.01
    await asyncio.sleep(0.6)
    # The first of five answered 0.5 s late (the others in 200 ms): it may have reached the
    # server 0.5 - 0.2 - 0.02 after its grant, and keeps its place in the window until that
    # is 0.52 s old, when the four quick ones have made way long since.
    first = await five([0.5] + [0.2] * 4)
    await asyncio.sleep(0.55 - (loop.time() - first))
    for chat in range(10, 14):
        granted = await store.take(chat, False)
        assert granted.granted, chat
        await store.answered(granted.ticket, 0.2)
    refused = await store.take(99, False)
    assert not refused.granted and refused.blocked is Blocked.OVERALL
    held = first + 0.28 + 0.52 - loop.time()
    assert held - 0.01 <= refused.wait <= held + 0.02
    await asyncio.sleep(1.0)
    # One in flight, the four others answered: the store says to ask again in a moment.
    first = await five([None] + [0.2] * 4)
    await asyncio.sleep(0.55 - (loop.time() - first))
    for chat in range(20, 24):
        assert (await store.take(chat, False)).granted
    refused = await store.take(99, False)
    assert not refused.granted and refused.wait == pytest.approx(IN_FLIGHT_POLL_SECONDS)


async def test_a_real_store_keeps_the_quickest_round_trip_through_a_busy_spell(
    shared_store: Callable[[], SharedBuckets],
) -> None:
    store = shared_store()
    assert isinstance(store, RedisBuckets | PostgresBuckets)
    limits = Limits(
        global_per_second=1000.0,
        global_burst=100,
        chat_per_second=10.0,
        global_window_sends=5,
        global_window_seconds=0.52,
        global_window_margin=0.02,
    )
    store.limits = limits
    loop = asyncio.get_running_loop()

    async def send(chat: int, trip: float) -> None:
        for _ in range(100):  # the window refuses until its oldest is old
            granted = await store.take(chat, False)
            if granted.granted:
                await store.answered(granted.ticket, trip)
                return
            await asyncio.sleep(granted.wait)
        raise AssertionError(f"the store never granted chat {chat}")

    # One round trip of 10 ms, then a busy spell: 12 answered after 100 ms, more than the
    # window's five places (they count at their grants + 70 ms).
    for chat, trip in enumerate([0.01] + [0.1] * 12):
        await send(chat, trip)
    # A send answered after 0.5 s counts at its grant + 0.5 - 0.02 - 0.01: the floor is
    # still the 10 ms (were it the quickest of the last five, 100 ms: 90 ms earlier).
    first = loop.time()
    await send(50, 0.5)
    await asyncio.sleep(0.6)  # the busy ones are a window old
    for chat in range(51, 55):
        await send(chat, 0.1)
    refused = await store.take(99, False)
    assert not refused.granted and refused.blocked is Blocked.OVERALL
    held = first + 0.47 + 0.52 - loop.time()
    assert held - 0.01 <= refused.wait <= held + 0.02
