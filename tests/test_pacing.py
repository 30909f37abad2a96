"""The pacer, on fake time: Telegram's limits as token buckets, priorities, pauses, memory.

Two fakes, neither sleeps for real:

* ``FakeTime``: ``sleep(s)`` lets whatever is ready run, then advances the clock by ``s``.
  The pacer's dispatcher is the only thing that sleeps, so this is exact.
* ``ManualTime``: ``sleep(s)`` returns a future the test resolves after moving
  the clock itself; for what happens *while* the dispatcher sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.seam import RateLimited, Rejected, SendText, Sent, Transient
from scheduler.pacing import (
    FLOOR_SECONDS,
    IN_FLIGHT_CAP_SECONDS,
    FloorState,
    Grant,
    Limits,
    Pacer,
    Priority,
    SlidingWindow,
)
from tests.support.virtual_time import VirtualTime

EPS = 1e-5


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await settle()  # what was ready runs first (a granted send answers), as in real time
        self.now += seconds
        await asyncio.sleep(0)


class ManualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self.sleeps.append((seconds, future))
        return future

    def pending(self) -> list[float]:
        return [seconds for seconds, future in self.sleeps if not future.done()]

    def finish(self, now: float) -> None:
        """Move the clock to ``now`` and let the one pending sleep end."""
        [future] = [future for _seconds, future in self.sleeps if not future.done()]
        self.now = now
        future.set_result(None)


class LateTime(FakeTime):
    """Every sleep ends late, as the event loop's do (whole milliseconds, other work)."""

    def __init__(self, lateness: list[float]) -> None:
        super().__init__()
        self.lateness = itertools.cycle(lateness)

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + next(self.lateness))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def pacer_on(fake: FakeTime | ManualTime, limits: Limits | None = None) -> Pacer:
    return Pacer(limits or Limits(), monotonic=fake.monotonic, sleep=fake.sleep)


async def send(pacer: Pacer, chat_id: int, is_group: bool = False, priority: int = 0) -> float:
    """A send answered the moment it was granted; when it was granted."""
    grant = await pacer.acquire(chat_id, is_group, priority)
    pacer.answered(grant)
    return grant.at


# --------------------------------------------------------------------------- basics


async def test_an_idle_pacer_grants_at_once_without_sleeping():
    fake = FakeTime()
    pacer = pacer_on(fake)
    assert await send(pacer, 1) == 0.0
    assert fake.sleeps == []
    assert pacer.waiting == 0


async def test_two_messages_to_one_chat_are_one_second_apart():
    fake = FakeTime()
    pacer = pacer_on(fake)
    first, second = await asyncio.gather(send(pacer, 1), send(pacer, 1))
    assert first == 0.0
    assert second == pytest.approx(1.0)
    assert fake.sleeps == [pytest.approx(1.0)]  # one exact wait, no polling


async def test_a_hundred_chats_take_seventy_thirtieths_of_a_second():
    fake = FakeTime()
    pacer = pacer_on(fake)
    times = sorted(await asyncio.gather(*(send(pacer, chat) for chat in range(100))))
    assert times[:30] == [0.0] * 30  # the burst
    for i in range(30, 100):
        assert times[i] == pytest.approx((i - 29) / 30)  # then one every 1/30 s
    assert fake.now == pytest.approx(70 / 30)
    assert len(fake.sleeps) == 70  # one sleep per grant after the burst
    assert all(s == pytest.approx(1 / 30) for s in fake.sleeps)


async def test_a_groups_twenty_first_message_waits_for_the_group_bucket():
    fake = FakeTime()
    # lift the per-chat limit to see the group limit alone
    limits = Limits(chat_per_second=1000.0, chat_burst=1000)
    pacer = pacer_on(fake, limits)
    times = await asyncio.gather(*(send(pacer, -100, is_group=True) for _ in range(23)))
    assert times[:20] == [0.0] * 20
    assert times[20:] == [pytest.approx(3.0), pytest.approx(6.0), pytest.approx(9.0)]


async def test_the_group_limit_does_not_apply_to_private_chats():
    fake = FakeTime()
    pacer = pacer_on(fake, Limits(chat_per_second=1000.0, chat_burst=1000))
    times = await asyncio.gather(*(send(pacer, 100) for _ in range(25)))
    assert times == [0.0] * 25


async def test_a_group_under_default_limits_gets_both_limits():
    fake = FakeTime()
    pacer = pacer_on(fake)
    times = await asyncio.gather(*(send(pacer, -100, is_group=True) for _ in range(45)))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 1 - EPS for gap in gaps)  # the chat bucket
    assert gaps[0] == pytest.approx(1.0)
    assert gaps[-1] == pytest.approx(3.0)  # the group bucket, once its burst is used up
    first_minute = [t for t in times if t < 60]
    # 1/s while the group's burst lasts (it drains by 2/3 token a second), then
    # one every 3 s: 39, within the bucket bound of burst + a minute of refill
    assert len(first_minute) == 39


async def test_groups_are_limited_each_on_their_own():
    fake = FakeTime()
    pacer = pacer_on(fake, Limits(chat_per_second=1000.0, chat_burst=1000))
    a = [send(pacer, -1, is_group=True) for _ in range(20)]
    b = [send(pacer, -2, is_group=True) for _ in range(10)]
    assert await asyncio.gather(*a, *b) == [0.0] * 30


# --------------------------------------------------------------------------- pause


async def test_pause_delays_everything():
    fake = FakeTime()
    pacer = pacer_on(fake)
    pacer.pause(5)
    assert pacer.delay_for(1) == pytest.approx(5.0)
    times = await asyncio.gather(*(send(pacer, chat) for chat in range(3)))
    assert times == [pytest.approx(5.0)] * 3
    assert fake.sleeps == [pytest.approx(5.0)]


async def test_a_429_pauses_all_sends_and_the_same_message_is_retried():
    fake = FakeTime()
    pacer = pacer_on(fake)

    async def send_and_get_flood_control() -> float:
        await send(pacer, 1)
        pacer.pause(timedelta(seconds=5))  # python-telegram-bot gives a timedelta
        return await send(pacer, 1)  # the same message, again

    retried, *others = await asyncio.gather(
        send_and_get_flood_control(), *(send(pacer, chat) for chat in range(2, 12))
    )
    assert retried == pytest.approx(5.0)
    assert others == [pytest.approx(5.0)] * 10


async def test_a_pause_only_extends():
    fake = FakeTime()
    pacer = pacer_on(fake)
    pacer.pause(5)
    pacer.pause(2)
    assert pacer.delay_for(1) == pytest.approx(5.0)
    fake.now = 3.0
    pacer.pause(4)
    assert pacer.delay_for(1) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="non-negative number of seconds, got -1"):
        pacer.pause(-1)
    with pytest.raises(ValueError, match="non-negative number of seconds, got nan"):
        pacer.pause(float("nan"))


async def test_a_pause_while_messages_wait_holds_them_back():
    fake = FakeTime()
    pacer = pacer_on(fake)
    tasks = [asyncio.create_task(send(pacer, chat)) for chat in range(40)]
    await asyncio.sleep(0)  # the first 30 are granted, 10 wait for the global bucket
    assert pacer.waiting == 10
    pacer.pause(5)
    times = await asyncio.gather(*tasks)
    assert times[:30] == [0.0] * 30
    assert times[30:] == [pytest.approx(5.0)] * 10  # the global bucket refilled meanwhile


async def test_one_chats_429_pauses_only_that_chat():
    fake = FakeTime()
    pacer = pacer_on(fake)
    assert pacer.limited(1, 5) is False
    assert pacer.delay_for(1) == pytest.approx(5.0)
    assert pacer.delay_for(2) == 0.0
    refused, other = await asyncio.gather(send(pacer, 1), send(pacer, 2))
    assert refused == pytest.approx(5.0)  # the same message, after its chat's pause
    assert other == 0.0  # another chat goes on at once


async def test_a_chats_pause_holds_back_what_already_waits_for_it():
    fake = FakeTime()
    pacer = pacer_on(fake)
    first = await send(pacer, 1)
    waiting = asyncio.create_task(send(pacer, 1))  # its bucket: due at 1 s
    await asyncio.sleep(0)
    pacer.limited(1, timedelta(seconds=4))
    assert first == 0.0
    assert await waiting == pytest.approx(4.0)


async def test_429s_in_two_chats_at_once_pause_everyone():
    fake = FakeTime()
    pacer = pacer_on(fake)
    assert pacer.limited(1, 5) is False
    fake.now = 1.0
    assert pacer.limited(2, 3) is True  # chat 1 still paused: the bot's overall limit
    assert pacer.delay_for(3) == pytest.approx(4.0)  # until chat 1's pause ends
    times = await asyncio.gather(*(send(pacer, chat) for chat in (3, 4)))
    assert times == [pytest.approx(5.0)] * 2


async def test_429s_in_two_chats_far_apart_each_pause_only_their_chat():
    fake = FakeTime()
    pacer = pacer_on(fake)
    pacer.limited(-100, 30, is_group=True)  # a group over its 20 a minute: a long pause
    fake.now = 5.0
    assert pacer.limited(2, 2) is False  # still paused, but refused long before
    assert pacer.delay_for(3) == 0.0
    assert pacer.delay_for(-100, is_group=True) == pytest.approx(25.0)


async def test_a_429_to_no_chat_pauses_everyone():
    fake = FakeTime()
    pacer = pacer_on(fake)
    assert pacer.limited(None, 2) is True
    assert pacer.delay_for(7) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="non-negative"):
        pacer.limited(1, -1)


async def test_a_paused_chat_is_not_forgotten_while_its_pause_runs():
    fake = FakeTime()
    pacer = pacer_on(fake)
    pacer.limited(1, 5)
    assert pacer.evict_idle() == 0
    fake.now = 6.0
    assert pacer.evict_idle() == 1


# --------------------------------------------------------------------------- priorities


async def test_a_reply_overtakes_waiting_scheduled_and_broadcast_messages():
    fake = FakeTime()
    pacer = pacer_on(fake)
    order: list[str] = []

    async def named(name: str, chat: int, priority: Priority) -> float:
        at = await send(pacer, chat, priority=priority)
        order.append(name)
        return at

    burst = [named(f"burst{i}", 1000 + i, Priority.BROADCAST) for i in range(30)]
    broadcast = [named(f"broadcast{i}", 2000 + i, Priority.BROADCAST) for i in range(5)]
    scheduled = [named(f"scheduled{i}", 3000 + i, Priority.SCHEDULED) for i in range(3)]
    reply = named("reply", 4000, Priority.REPLY)
    times = await asyncio.gather(*burst, *broadcast, *scheduled, reply)

    assert order[30:] == [
        "reply",
        "scheduled0",
        "scheduled1",
        "scheduled2",
        "broadcast0",
        "broadcast1",
        "broadcast2",
        "broadcast3",
        "broadcast4",
    ]
    assert times[-1] == pytest.approx(1 / 30)  # the reply waited only for the next token


async def test_a_reply_overtakes_a_broadcast_waiting_for_the_same_chat():
    fake = FakeTime()
    pacer = pacer_on(fake)
    first = await send(pacer, 7, priority=Priority.BROADCAST)
    broadcast, reply = await asyncio.gather(
        send(pacer, 7, priority=Priority.BROADCAST), send(pacer, 7, priority=Priority.REPLY)
    )
    assert first == 0.0
    assert reply == pytest.approx(1.0)
    assert broadcast == pytest.approx(2.0)


async def test_messages_of_one_priority_to_one_chat_keep_their_order():
    fake = FakeTime()
    pacer = pacer_on(fake)
    order: list[int] = []

    async def numbered(n: int) -> None:
        await send(pacer, 5, priority=Priority.SCHEDULED)
        order.append(n)

    await asyncio.gather(*(numbered(n) for n in range(6)))
    assert order == list(range(6))
    assert fake.now == pytest.approx(5.0)


# --------------------------------------------------------------------------- waking, cancelling


async def test_a_newcomer_is_not_held_up_by_the_dispatchers_sleep():
    fake = ManualTime()
    pacer = pacer_on(fake)
    assert await send(pacer, 1) == 0.0
    second = asyncio.create_task(send(pacer, 1))
    await settle()
    assert fake.pending() == [pytest.approx(1.0)]  # waiting for chat 1's bucket

    fake.now = 0.25
    assert await asyncio.wait_for(send(pacer, 2), timeout=5) == 0.25  # not at 1.0
    await settle()
    assert fake.pending() == [pytest.approx(0.75)]  # and the dispatcher sleeps exactly the rest

    fake.finish(now=1.0)
    assert await asyncio.wait_for(second, timeout=5) == 1.0
    assert pacer.waiting == 0


async def test_a_cancelled_wait_takes_nothing_and_lets_the_next_one_go():
    fake = FakeTime()
    pacer = pacer_on(fake)
    await send(pacer, 1)
    doomed = asyncio.create_task(send(pacer, 1))
    survivor = asyncio.create_task(send(pacer, 1))
    await asyncio.sleep(0)
    assert pacer.waiting == 2
    doomed.cancel()
    assert await survivor == pytest.approx(1.0)  # not 2.0
    with pytest.raises(asyncio.CancelledError, match=r"^$"):  # cancelled, no other error
        await doomed
    assert pacer.waiting == 0


async def test_a_failing_sleep_fails_the_waiting_sends_instead_of_hanging_them():
    fake = FakeTime()

    async def broken_sleep(seconds: float) -> None:
        raise RuntimeError("clock broke")

    pacer = Pacer(Limits(), monotonic=fake.monotonic, sleep=broken_sleep)
    await send(pacer, 1)
    with pytest.raises(RuntimeError, match="clock broke"):
        await asyncio.wait_for(send(pacer, 1), timeout=5)
    assert pacer.waiting == 0


# --------------------------------------------------------------------------- peek and memory


async def test_delay_for_peeks_without_taking_or_remembering():
    fake = FakeTime()
    pacer = pacer_on(fake)
    assert pacer.delay_for(1) == 0.0
    assert pacer.tracked_chats == 0
    await send(pacer, 1)
    assert pacer.delay_for(1) == pytest.approx(1.0)
    assert pacer.delay_for(1) == pytest.approx(1.0)  # peeking twice takes nothing
    assert pacer.delay_for(2) == 0.0
    assert pacer.tracked_chats == 1
    for chat in range(2, 31):
        await send(pacer, chat)
    assert pacer.delay_for(99) == pytest.approx(1 / 30)  # the global bucket is empty
    fake.now = 0.5
    assert pacer.delay_for(1) == pytest.approx(0.5)


async def test_idle_chats_are_forgotten():
    fake = FakeTime()
    pacer = pacer_on(fake, Limits(evict_interval=60))
    await asyncio.gather(*(send(pacer, chat) for chat in range(100)))
    assert pacer.tracked_chats == 100
    fake.now += 61  # every bucket is full again, and a sweep is due
    await send(pacer, 1000)
    assert pacer.tracked_chats == 1


async def test_only_full_buckets_are_forgotten_so_nothing_changes():
    fake = FakeTime()
    pacer = pacer_on(fake, Limits(chat_per_second=1000.0, chat_burst=1000))
    for _ in range(10):
        await send(pacer, -1, is_group=True)  # takes 10 of the group's 20
    await send(pacer, 2)
    fake.now = 10.0  # the private chat is full again, the group has refilled only 3.3
    assert pacer.evict_idle() == 1
    assert pacer.tracked_chats == 1
    assert pacer.delay_for(-1, is_group=True) == 0.0
    fake.now = 30.0  # 10 tokens at 20/min take 30 s to come back
    assert pacer.evict_idle() == 1
    assert pacer.tracked_chats == 0


def test_limits_are_validated():
    with pytest.raises(ValueError, match="global_per_second must be a positive number, got 0"):
        Limits(global_per_second=0)
    with pytest.raises(ValueError, match="chat_burst must be an integer >= 1, got 0"):
        Limits(chat_burst=0)
    with pytest.raises(ValueError, match="group_per_minute must be a positive number, got inf"):
        Limits(group_per_minute=float("inf"))
    with pytest.raises(ValueError, match="evict_interval must be >= 0, got -1"):
        Limits(evict_interval=-1)
    with pytest.raises(ValueError, match=r"global_catch_up must be a number >= 0, got -0\.001"):
        Limits(global_catch_up=-0.001)
    with pytest.raises(ValueError, match=r"global_window_sends must be an integer >= 0, got 1\.5"):
        Limits(global_window_sends=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="global_window_seconds must be a positive number, got 0"):
        Limits(global_window_seconds=0)


# --------------------------------------------------------------------------- catching up

# Telegram's shape: 29/s, burst 1, strict chats; late by 0.3 to 2.5 ms per sleep
TELEGRAM_SHAPE = Limits(
    global_per_second=29.0,
    global_burst=1,
    chat_per_second=1.0,
    chat_burst=1,
    group_per_minute=19.0,
    group_burst=1,
)
LATENESS = [0.0003, 0.0025, 0.001, 0.0018, 0.0007]


async def paced_times(limits: Limits, sends: int) -> list[float]:
    fake = LateTime(LATENESS)
    pacer = pacer_on(fake, limits)
    return sorted(await asyncio.gather(*(send(pacer, chat) for chat in range(sends))))


def rate_over_limit(times: list[float], limits: Limits) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) / limits.global_per_second


async def test_late_wake_ups_cost_the_strict_bucket_its_rate():
    times = await paced_times(TELEGRAM_SHAPE, 300)
    assert rate_over_limit(times, TELEGRAM_SHAPE) < 0.97  # what catching up is for


async def test_catching_up_keeps_the_rate_and_every_second_within_the_bound():
    limits = replace(TELEGRAM_SHAPE, global_catch_up=0.5 / 29)
    times = await paced_times(limits, 300)
    assert rate_over_limit(times, limits) >= 0.995
    assert max_in_window(times, 1.0 + 2 * EPS) <= 30  # closed 1 s windows: b + r
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 29 - 0.5 / 29 - EPS  # booked at most half an interval back


async def test_telegram_limits_keep_97_percent_on_a_late_event_loop():
    from bot.core.delivery import TELEGRAM_LIMITS

    times = await paced_times(TELEGRAM_LIMITS, 300)
    assert rate_over_limit(times, TELEGRAM_LIMITS) >= 0.97
    assert max_in_window(times, 1.0 + 2 * EPS) <= 30


async def test_catching_up_books_at_most_the_catch_up_back():
    # Wake-ups far later than the catch-up: each booking goes back only that far.
    fake = LateTime([0.0, 0.03])
    pacer = pacer_on(fake, replace(TELEGRAM_SHAPE, global_catch_up=0.5 / 29))
    times = sorted(await asyncio.gather(*(send(pacer, chat) for chat in range(100))))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 29 - 0.5 / 29 - EPS
    assert max_in_window(times, 1.0 + 2 * EPS) <= 30


async def test_catching_up_never_books_before_the_acquire():
    fake = ManualTime()
    pacer = pacer_on(fake, replace(TELEGRAM_SHAPE, global_catch_up=1.0))
    assert await send(pacer, 1) == 0.0
    waiting = asyncio.create_task(send(pacer, 1))  # its chat allows it at 1.0
    await settle()
    fake.now = 0.5  # the overall bucket has been full for a while
    second = asyncio.create_task(send(pacer, 2))
    third = asyncio.create_task(send(pacer, 3))
    await settle()
    assert second.done() and second.result() == 0.5
    assert not third.done()  # the second was booked at its arrival, not back at 1/29
    fake.finish(0.5 + 1 / 29)
    await settle()
    assert third.result() == pytest.approx(0.5 + 1 / 29)
    fake.finish(1.0)
    await settle()
    assert waiting.result() == 1.0


async def test_catching_up_never_books_before_a_pause_ends():
    fake = LateTime([0.02])
    pacer = pacer_on(fake, replace(TELEGRAM_SHAPE, global_catch_up=1.0))
    pacer.pause(5)
    first, second = await asyncio.gather(send(pacer, 1), send(pacer, 2))
    assert first == pytest.approx(5.02)
    assert second >= 5 + 1 / 29 - EPS  # the first was booked at 5.0, not before


async def test_a_chat_never_catches_up():
    fake = LateTime([0.02])
    pacer = pacer_on(fake, replace(TELEGRAM_SHAPE, global_catch_up=0.5))
    times = await asyncio.gather(*(send(pacer, 7) for _ in range(4)))
    assert [b - a for a, b in itertools.pairwise(times)] == [pytest.approx(1.02)] * 3


# --------------------------------------------------------------------------- properties

SMALL = Limits(
    global_per_second=5.0,
    global_burst=3,
    chat_per_second=1.0,
    chat_burst=1,
    group_per_minute=30.0,
    group_burst=2,
    evict_interval=0.5,
)

# (time since the previous acquire, chat id, priority); negative ids are groups,
# as in Telegram
operations = st.lists(
    st.tuples(
        st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=3.0)),
        st.integers(min_value=-3, max_value=8),
        st.sampled_from(list(Priority)),
    ),
    max_size=60,
)


def run(
    limits: Limits, ops: list[tuple[float, int, int]], fake: FakeTime | None = None
) -> list[tuple[int, float]]:
    async def scenario() -> list[tuple[int, float]]:
        nonlocal fake
        fake = fake or FakeTime()
        pacer = pacer_on(fake, limits)
        grants: list[tuple[int, float]] = []

        async def one(chat: int, priority: int) -> None:
            asked = fake.now
            granted = await send(pacer, chat, is_group=chat < 0, priority=priority)
            assert granted >= asked
            grants.append((chat, granted))

        tasks = []
        for gap, chat, priority in ops:
            fake.now += gap  # arrivals; the dispatcher may be asleep, which is fine
            tasks.append(asyncio.create_task(one(chat, priority)))
            await asyncio.sleep(0)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)  # none is stuck
        assert pacer.waiting == 0
        return grants

    return asyncio.run(scenario())


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(
        (bisect_left(times, t + window - EPS) - i for i, t in enumerate(times)),
        default=0,
    )


def check_limits(limits: Limits, grants: list[tuple[int, float]]) -> None:
    every = [t for _chat, t in grants]
    for window in (1.0, 2.5, 10.0):
        # a late grant booked up to `global_catch_up` back widens every window by that much
        bound = limits.global_burst + limits.global_per_second * (window + limits.global_catch_up)
        assert max_in_window(every, window) <= bound

    per_chat: dict[int, list[float]] = defaultdict(list)
    for chat, t in grants:
        per_chat[chat].append(t)
    for chat, times in per_chat.items():
        times.sort()
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= 1 / limits.chat_per_second - EPS for gap in gaps), (chat, times)
        if chat < 0:
            bound = limits.group_burst + limits.group_per_minute
            assert max_in_window(times, 60.0) <= bound


@settings(max_examples=150, deadline=None)
@given(ops=operations)
def test_no_window_holds_more_than_the_buckets_allow(ops):
    check_limits(SMALL, run(SMALL, ops))


@settings(max_examples=40, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=0.05),
            st.integers(min_value=-5, max_value=60),
            st.sampled_from(list(Priority)),
        ),
        max_size=150,
    )
)
def test_default_limits_hold_under_load(ops):
    check_limits(Limits(), run(Limits(), ops))


CATCHING_UP = replace(SMALL, global_burst=1, global_catch_up=0.5 / SMALL.global_per_second)


@settings(max_examples=100, deadline=None)
@given(ops=operations, lateness=st.lists(st.floats(0.0, 0.3), min_size=1, max_size=5))
def test_catching_up_stays_within_the_widened_bound(ops, lateness):
    grants = run(CATCHING_UP, ops, LateTime(lateness))
    check_limits(CATCHING_UP, grants)
    every = [t for _chat, t in grants]
    assert max_in_window(every, 1.0 + 2 * EPS) <= 1 + 5  # b + r, as if it never caught up


@settings(max_examples=60, deadline=None)
@given(ops=operations)
def test_forgetting_idle_chats_changes_no_grant(ops):
    never = Limits(**{**_fields(SMALL), "evict_interval": 1e9})
    always = Limits(**{**_fields(SMALL), "evict_interval": 0.0})
    assert run(never, ops) == run(always, ops)


def _fields(limits: Limits) -> dict[str, float]:
    return {name: getattr(limits, name) for name in Limits.__dataclass_fields__}


# --------------------------------------------------------------------------- the window

# A loose bucket (a burst of 20, then 100/s) under a window of 10 in any 0.5 s: the
# bucket alone would admit 20 + 100 * 0.5 = 70 in half a second.
WINDOWED = replace(
    SMALL,
    global_per_second=100.0,
    global_burst=20,
    global_window_sends=10,
    global_window_seconds=0.5,
    global_catch_up=0.01,
)


async def test_the_overall_window_holds_under_a_burst():
    fake = FakeTime()
    pacer = pacer_on(fake, WINDOWED)
    times = sorted(await asyncio.gather(*(send(pacer, chat) for chat in range(40))))
    # Ten at once, then each next ten once the oldest of the last ten is 0.5 s old.
    assert times == pytest.approx([0.5 * (i // 10) for i in range(40)])
    assert max_in_window(times, 0.5) == 10
    assert pacer.delay_for(99) == pytest.approx(0.5)  # the window, not the bucket, says so


async def test_the_window_keeps_each_grants_real_time_not_its_caught_up_booking():
    # A bucket at exactly 30 per 1.02 s that catches late grants up half an interval: on a
    # late loop it alone would put 31 grants in 1.02 s; the window, on real times, never.
    limits = replace(
        TELEGRAM_SHAPE,
        global_per_second=30 / 1.02,
        global_catch_up=0.5 * 1.02 / 30,
        global_window_sends=30,
        global_window_seconds=1.02,
    )
    fake = LateTime([0.0, 0.012, 0.0, 0.0, 0.015, 0.001, 0.0])
    pacer = pacer_on(fake, limits)
    times = sorted(await asyncio.gather(*(send(pacer, chat) for chat in range(400))))
    assert max_in_window(times, 1.02) <= 30
    assert rate_over_limit(times, limits) >= 0.98


async def test_telegram_limits_reach_97_percent_of_30_a_second_as_telegram_counts():
    from bot.core.delivery import TELEGRAM_LIMITS

    times = await paced_times(TELEGRAM_LIMITS, 900)
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.975 * 30
    # Telegram's (and the local server's) count: never 30 in 1 s plus the 20 ms margin.
    assert max_in_window(times, 1.02) <= 30


@settings(max_examples=100, deadline=None)
@given(ops=operations, lateness=st.lists(st.floats(0.0, 0.3), min_size=1, max_size=5))
def test_no_window_of_the_windows_length_holds_more_than_its_sends(ops, lateness):
    grants = run(WINDOWED, ops, LateTime(lateness))
    every = [t for _chat, t in grants]
    assert max_in_window(every, WINDOWED.global_window_seconds) <= 10
    check_limits(WINDOWED, grants)  # and the buckets' bounds still hold


# --------------------------------------------------------------------------- answers

# Telegram's window (30 in 1.02 s: a second and a margin of 20 ms) over a bucket at exactly
# 30 per 1.02 s with burst 1: a send every 34 ms; the 31st is due when the first is 1.02 s old.
ANSWERED = Limits(
    global_per_second=30 / 1.02,
    global_burst=1,
    chat_per_second=1.0,
    chat_burst=1,
    global_window_sends=30,
    global_window_seconds=1.02,
)
INTERVAL = 1.02 / 30


async def answered_sends(
    trips: list[float | None], limits: Limits = ANSWERED
) -> tuple[list[float], Pacer]:
    """Send i to chat i, answered ``trips[i]`` after its grant (None: never); the grants."""
    time = VirtualTime()
    pacer = Pacer(limits, monotonic=time.monotonic, sleep=time.sleep)
    grants: list[float] = [0.0] * len(trips)

    async def one(index: int, trip: float | None) -> None:
        grant = await pacer.acquire(index)
        grants[index] = grant.at
        if trip is not None:
            await time.sleep(trip)
            pacer.answered(grant)

    await time.run(*(one(i, trip) for i, trip in enumerate(trips)))
    return grants, pacer


async def test_a_uniform_latency_costs_the_window_nothing():
    instant, _ = await answered_sends([0.0] * 90)
    eighty_ms, _ = await answered_sends([0.08] * 90)  # real Telegram's round trip
    assert eighty_ms == pytest.approx(instant)
    assert eighty_ms[30] == pytest.approx(1.02)
    assert eighty_ms == pytest.approx([i * INTERVAL for i in range(90)])


async def test_a_slow_answer_holds_the_send_thirty_later():
    # The first send is answered 1.5 s after its grant, the others after 50 ms: it may have
    # reached the server as late as 1.5 - 0.05 (the usual round trip) - 0.02 (the margin),
    # or as early as its grant, so it keeps its place in every window until then. The
    # 31st send, which a quick answer would let go at 1.02 s, is held one interval.
    grants, _ = await answered_sends([1.5] + [0.05] * 89)
    assert grants[:30] == pytest.approx([i * INTERVAL for i in range(30)])
    assert grants[30] == pytest.approx(31 * INTERVAL)
    # Every window the first send may have reached (up to 1.43 s) loses one place to it,
    # never more: the bucket's pace resumes, two places later in all.
    assert grants[89] == pytest.approx(91 * INTERVAL)
    assert max_in_window([*grants[1:], 1.43], 1.02) <= 30
    # A send slower than the usual by less than the margin costs nothing.
    quick, _ = await answered_sends([0.05 + 0.015] + [0.05] * 89)
    assert quick == pytest.approx([i * INTERVAL for i in range(90)])


async def test_sends_in_flight_hold_the_window_until_an_answer():
    # The server answers nobody for 3 s: the 31st waits for the first answer, then goes
    # (a uniform 3 s: the first answer's own round trip is the quickest yet).
    grants, _ = await answered_sends([3.0] * 30 + [3.0] * 10)
    assert grants[29] == pytest.approx(29 * INTERVAL)
    assert grants[30] == pytest.approx(3.0)


async def test_sends_never_answered_hold_the_window_only_until_the_cap():
    # A process died mid-send (or its sends hang): the others wait no longer than the cap.
    grants, pacer = await answered_sends([None] * 30 + [0.05] * 10)
    assert grants[30] == pytest.approx(IN_FLIGHT_CAP_SECONDS)
    assert grants[31] == pytest.approx(IN_FLIGHT_CAP_SECONDS + INTERVAL)
    assert pacer.waiting == 0


async def test_answering_twice_or_without_a_window_changes_nothing():
    time = VirtualTime()
    pacer = Pacer(ANSWERED, monotonic=time.monotonic, sleep=time.sleep)
    grant = await pacer.acquire(1)
    time.now = 0.5
    pacer.answered(grant)
    time.now = 3.0
    pacer.answered(grant)  # a second answer does not move it again
    assert grant.sent is not None and grant.sent.value == pytest.approx(0.0)  # its own floor
    plain = Pacer(Limits())
    pacer.answered(await plain.acquire(1))  # no window: nothing to count


@pytest.mark.parametrize("seed", range(12))
async def test_no_second_of_arrivals_holds_more_than_thirty_however_slow_the_sends(seed):
    # 150 sends: most answered after the quickest round trip (20 ms: 10 ms out, 10 back at
    # the least), some up to 1.5 s late, a few never. Each reaches the server somewhere
    # between its grant and its answer (a random share of the way, less the legs); one
    # never answered, at the cap. The server's count: 30 in any second. (Counting each send
    # at its grant, as the window did before, puts more than 30 there on every seed.)
    rng = random.Random(seed)
    trips: list[float | None] = []
    for _ in range(150):
        draw = rng.random()
        trips.append(0.02 if draw < 0.8 else rng.uniform(0.1, 1.5) if draw < 0.97 else None)
    grants, _ = await answered_sends(trips)
    arrivals = [
        granted + IN_FLIGHT_CAP_SECONDS
        if trip is None
        else granted + 0.01 + rng.random() * (trip - 0.02)
        for granted, trip in zip(grants, trips, strict=True)
    ]
    assert max_in_window(arrivals, 1.0) <= 30


def test_the_floor_is_the_quickest_round_trip_of_this_period_and_the_one_before():
    window = SlidingWindow(5, 1.02, 0.02)

    def answer(at: float, trip: float) -> float:
        sent = window.take(at)
        window.answered(sent, trip)
        assert window.floor is not None
        return window.floor.floor

    assert answer(0.0, 0.08) == pytest.approx(0.08)  # the first answer: its own
    assert answer(1.0, 0.05) == pytest.approx(0.05)  # a quicker one lowers it at once
    assert answer(2.0, 0.5) == pytest.approx(0.05)  # a slow one does not lift it
    # Slower from now on (a new route): still the old floor in the next period...
    assert answer(FLOOR_SECONDS + 1, 0.12) == pytest.approx(0.05)
    # ...and the new route's quickest from the one after (30 to 60 s later).
    assert answer(2 * FLOOR_SECONDS + 1, 0.13) == pytest.approx(0.12)
    assert answer(2 * FLOOR_SECONDS + 2, 0.11) == pytest.approx(0.11)
    # An answer out of order (from the period before) may lower it, never lift it.
    assert answer(2 * FLOOR_SECONDS - 5, 0.2) == pytest.approx(0.11)
    assert answer(2 * FLOOR_SECONDS - 5, 0.09) == pytest.approx(0.09)
    # After a quiet period and more, the first answer starts again.
    assert answer(10 * FLOOR_SECONDS, 0.3) == pytest.approx(0.3)
    assert FloorState.next(None, 5.0, 0.1) == FloorState(0, 0.1, 0.1)


# --------------------------------------------------------------------------- delivery


class RecordingPacer(Pacer):
    def __init__(self) -> None:
        # the window on, no bucket in the way (a retry to the same chat goes at once)
        super().__init__(Limits(chat_burst=5, global_window_sends=30, global_window_seconds=1.02))
        self.granted: list[Grant] = []
        self.settled: list[Grant] = []

    async def acquire(self, chat_id: int, is_group: bool = False, priority: int = 0) -> Grant:
        grant = await super().acquire(chat_id, is_group, priority)
        self.granted.append(grant)
        return grant

    def answered(self, grant: Grant) -> None:
        self.settled.append(grant)
        super().answered(grant)


class ScriptedSender:
    """Answers each try with the next of ``outcomes``: an exception to raise, or None
    (sent); an ``asyncio.Event``: waits for it (a send that hangs)."""

    def __init__(self, *outcomes: BaseException | asyncio.Event | None) -> None:
        self.outcomes = list(outcomes)

    async def send(self, action: object) -> Sent:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, asyncio.Event):
            await outcome.wait()
        elif outcome is not None:
            raise outcome
        return Sent(message_id=1)


async def test_delivery_answers_every_grant_whatever_the_send_did(sqlite_services):
    from bot.core.delivery import Delivery, Outcome

    async def no_sleep(_seconds: float) -> None:
        return None

    pacer = RecordingPacer()
    # A 429, then sent: two tries, two grants, both answered (the 429's before the retry).
    sender = ScriptedSender(RateLimited(0), None, Rejected("no"), Transient("503"), None)
    delivery = Delivery(sqlite_services, sender, pacer=pacer, sleep=no_sleep)  # type: ignore[arg-type]
    assert (await delivery.attempt(SendText(5, "hi"))).outcome is Outcome.SENT
    assert (await delivery.attempt(SendText(6, "hi"))).outcome is Outcome.REJECTED
    assert (await delivery.attempt(SendText(7, "hi"))).outcome is Outcome.SENT  # retried
    assert len(pacer.granted) == 5
    assert pacer.settled == pacer.granted and all(grant.done for grant in pacer.granted)
    # A send that hangs and is cancelled is answered too.
    sender.outcomes = [asyncio.Event()]
    task = asyncio.create_task(delivery.attempt(SendText(8, "hi")))
    await settle()
    assert len(pacer.granted) == 6 and len(pacer.settled) == 5  # in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pacer.settled == pacer.granted
