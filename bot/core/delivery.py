"""Delivering what the engine decided, through a Sender, handling the core's errors.

This is where "the person blocked the bot", "the group became a supergroup"
and "Telegram asks us to slow down" are dealt with, once, for every runtime.

Pacing: one ``Pacer`` per process (per bot token) sits in front of every send —
replies (``Priority.REPLY``), the scheduler's dispatcher (``SCHEDULED``) and
broadcasts (``BROADCAST``) — so together they stay inside Telegram's limits. A
``Delivery`` uses the pacer it is given, else ``services.pacer`` when the runtime
set one, else none (tests and the console: nothing to pace).

On an error from the Sender:

* rate limited: that chat pauses for ``retry_after`` (everyone, when it is the bot's
  overall limit: ``Pacer.limited``) and the same message is tried again (no pacer: this
  delivery sleeps that long);
* recipient gone: the person is marked unreachable (a group inactive) and their
  pending outbox rows are cancelled; never retried;
* chat moved: the new chat id is written everywhere and the message goes there;
* rejected: logged, not retried;
* transient (certainly not delivered): backed off and retried ``max_attempts`` times in
  all — or, for the dispatcher (``retry_transient=False``), handed back at once so the
  outbox row retries later with its own backoff instead of holding up a batch;
* outcome unknown (sent, no answer): retried like a transient error when the action is
  idempotent (an edit, a pin, a stopped poll, a button's answer: twice is once), else
  not sent again (``Outcome.UNKNOWN``): a message that may have arrived is not doubled.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from sqlmodel import col, select, update

from bot.core.config import Settings
from bot.core.seam import (
    AnswerButton,
    ChatMoved,
    EditText,
    OutcomeUnknown,
    Outgoing,
    PinMessage,
    RateLimited,
    RecipientGone,
    Rejected,
    SendDocument,
    Sender,
    SendPoll,
    SendText,
    Sent,
    StopPoll,
    Transient,
)
from bot.core.services import Services
from scheduler import outbox
from scheduler.pacing import Grant, Limits, Pacer, Priority
from storage.models import GroupChat, Resident, ScheduledMessage, SentMessage
from storage.queries import insert_ignore

log = logging.getLogger(__name__)

__all__ = [
    "TELEGRAM_LIMITS",
    "Delivered",
    "Delivery",
    "Outcome",
    "chat_of",
    "share_limits",
    "telegram_pacer",
]

MAX_ATTEMPTS = 4
# Flood-control answers for one message before giving up on it (each one pauses all sends).
MAX_RATE_LIMITS = 8
MAX_MOVES = 3

# Telegram's limits, chosen so that no window ever holds more than Telegram allows. A
# token bucket with rate r and burst b admits at most b + r*W sends in any window of W
# seconds (scheduler/pacing.py). Per group 19/min with burst 1: at most 1 + 19 = 20 in
# any 60 s — Pacer's default (20/min, burst 20) admits 39 in a group's first minute.
# Overall, as Telegram counts it: at most 30 in any window of 1.02 s, each send counted at
# the latest it can have reached Telegram (its grant, or its answer less the margin and the
# usual round trip when it was slow: scheduler/pacing.py); the margin of 20 ms is for the
# time from a grant to its request reaching Telegram. A bucket of 29.4/s with burst 1
# (30 intervals: 1.0204 s) so that the sends are even and the window rarely decides. A
# late wake-up of the event loop is caught up in the bucket by booking the grant when it
# fell due, at most a quarter of an interval back (8.5 ms), so the rate stays 29.4/s; the
# window keeps each grant's real time. Per chat 1/s with a burst of 3: Telegram's per-chat
# limit is sustained and lets a chat have short bursts, so a reply of two or three messages
# (the answered question edited, the next question) goes out at once; a longer run is paced
# at 1/s.
TELEGRAM_LIMITS = Limits(
    global_per_second=29.4,
    global_burst=1,
    global_window_sends=30,
    global_window_seconds=1.02,
    global_window_margin=0.02,
    chat_per_second=1.0,
    chat_burst=3,
    group_per_minute=19.0,
    group_burst=1,
    global_catch_up=0.25 / 29.4,
    # The first send after a quiet second reaches Telegram later than the ones after it (a
    # cold send path: 37 ms once, against 26 ms of slack), and 31 would share one second.
    first_grant_slack=0.05,
)


def scaled_limits(rate: float) -> Limits:
    """``TELEGRAM_LIMITS``' shape for a server allowing `rate` messages a second overall (a
    benchmark's or a fault test's fast server): at most `rate` in any window as long as
    Telegram's (1.02 s), the bucket at the same share of `rate` as 29.4 is of 30, the
    catch-up scaled by the same interval; the per-chat and per-group limits unchanged.
    ``scaled_limits(30)`` is ``TELEGRAM_LIMITS``."""
    if rate <= 1:
        raise ValueError(f"the rate must be above 1, got {rate!r}")
    per_second = TELEGRAM_LIMITS.global_per_second * rate / TELEGRAM_LIMITS.global_window_sends
    return replace(
        TELEGRAM_LIMITS,
        global_per_second=per_second,
        global_window_sends=math.floor(rate),
        global_catch_up=TELEGRAM_LIMITS.global_catch_up
        * TELEGRAM_LIMITS.global_per_second
        / per_second,
    )


def telegram_pacer() -> Pacer:
    """The pacer a Telegram runtime shares between replies, scheduler and broadcasts."""
    return Pacer(TELEGRAM_LIMITS)


def share_limits(pacer: Pacer, settings: Settings, token: str) -> str:
    """Let ``pacer`` share its bot token's limits with every other process sending with it:
    in Redis when ``BUURBOT_REDIS_URL`` is set, else in PostgreSQL when that is the
    database; with SQLite the process paces alone. Says which, for the log."""
    from scheduler.shared_limits import shared_buckets

    if pacer.shared is None:
        pacer.share(
            shared_buckets(
                pacer.limits,
                token=token,
                database_url=settings.database_url,
                redis_url=settings.redis_url,
            )
        )
    shared = pacer.shared
    return shared.kind if shared is not None else "this process"


def chat_of(action: Outgoing) -> int | None:
    return None if isinstance(action, AnswerButton) else action.chat_id


# Sending these twice leaves the chat as sending them once: safe to repeat when the outcome
# of a try is unknown. A new message, poll or document would appear twice.
IDEMPOTENT = (EditText, PinMessage, StopPoll, AnswerButton)


def idempotent(action: Outgoing) -> bool:
    return isinstance(action, IDEMPOTENT)


class ReplyRecovery(Protocol):
    async def recover(self, lease: timedelta) -> int: ...


class Outcome(StrEnum):
    SENT = "sent"
    GONE = "gone"  # blocked, deactivated, kicked, chat not found
    REJECTED = "rejected"  # Telegram refused the request
    TRANSIENT = "transient"  # certainly not delivered (5xx, no connection): try again later
    UNKNOWN = "unknown"  # sent, no answer: it may have arrived; not repeated
    RATE_LIMITED = "rate_limited"  # flood control too many times in a row


@dataclass(frozen=True, slots=True)
class Delivered:
    outcome: Outcome
    sent: Sent | None = None
    reason: str = ""


class Delivery:
    def __init__(
        self,
        services: Services,
        sender: Sender,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pacer: Pacer | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.services = services
        self.sender = sender
        self.sleep = sleep
        self.pacer = pacer if pacer is not None else getattr(services, "pacer", None)
        self.max_attempts = max_attempts
        # The reply outbox whose leftovers the scheduler's reaper delivers (bot/core/replies.py).
        self.replies: ReplyRecovery | None = None

    async def deliver(
        self, actions: Sequence[Outgoing], *, priority: int = Priority.REPLY
    ) -> list[Sent | None]:
        """Send each action in order; one failing never stops the others."""
        results: list[Sent | None] = []
        for action in actions:
            results.append(await self.deliver_one(action, priority=priority))
        return results

    async def deliver_one(self, action: Outgoing, *, priority: int = Priority.REPLY) -> Sent | None:
        return (await self.attempt(action, priority=priority)).sent

    async def attempt(
        self, action: Outgoing, *, priority: int = Priority.REPLY, retry_transient: bool = True
    ) -> Delivered:
        """Send one action, paced; say how it went. A file Telegram refuses is followed by
        the text it carries for that, so the person is never left waiting for it."""
        delivered = await self._attempt(action, priority, retry_transient)
        if (
            isinstance(action, SendDocument)
            and action.if_refused
            and delivered.outcome is Outcome.REJECTED
        ):
            await self._attempt(SendText(action.chat_id, action.if_refused), priority, True)
        return delivered

    async def _attempt(self, action: Outgoing, priority: int, retry_transient: bool) -> Delivered:
        transient = limited = moves = 0
        while True:
            grant = await self._pace(action, priority)
            try:
                sent = await self._send(action, grant)
            except RateLimited as error:
                limited += 1
                if limited > MAX_RATE_LIMITS:
                    log.error("still rate limited after %d waits; giving up", limited - 1)
                    return Delivered(Outcome.RATE_LIMITED, reason=str(error))
                chat_id = chat_of(action)
                if self.pacer is not None:
                    seconds = max(0.0, float(error.retry_after))
                    everyone = self.pacer.limited(
                        chat_id, seconds, chat_id is not None and chat_id < 0
                    )
                    log.warning(
                        "rate limited; %s waits %.1f s",
                        "everyone" if everyone else f"chat {chat_id}",
                        seconds,
                    )
                else:
                    await self.sleep(error.retry_after)
            except OutcomeUnknown as error:
                if not idempotent(action):
                    log.warning(
                        "%s may have arrived (%s); not sent again", type(action).__name__, error
                    )
                    return Delivered(Outcome.UNKNOWN, reason=str(error) or "outcome unknown")
                transient += 1
                log.warning(
                    "no answer to an idempotent %s (attempt %d): %s",
                    type(action).__name__,
                    transient,
                    error,
                )
                if not retry_transient or transient >= self.max_attempts:
                    return Delivered(Outcome.TRANSIENT, reason=str(error) or "outcome unknown")
                await self.sleep(min(2**transient * 0.25, 5))
            except Transient as error:
                transient += 1
                log.warning("transient error (attempt %d): %s", transient, error)
                if not retry_transient or transient >= self.max_attempts:
                    return Delivered(Outcome.TRANSIENT, reason=str(error) or "transient error")
                await self.sleep(min(2**transient * 0.25, 5))
            except RecipientGone as error:
                await self.recipient_gone(chat_of(action))
                return Delivered(Outcome.GONE, reason=str(error) or "recipient gone")
            except ChatMoved as moved:
                moves += 1
                await self.chat_moved(chat_of(action), moved.new_chat_id)
                if moves > MAX_MOVES:
                    return Delivered(Outcome.REJECTED, reason="the chat keeps moving")
                if isinstance(action, AnswerButton):  # answers no chat: it cannot have moved
                    return Delivered(Outcome.REJECTED, reason="the chat moved")
                action = replace(action, chat_id=moved.new_chat_id)
            except Rejected as error:
                log.error("Telegram rejected %s: %s", type(action).__name__, error)
                return Delivered(Outcome.REJECTED, reason=str(error) or "rejected")
            else:
                await self.remember(action, sent)
                return Delivered(Outcome.SENT, sent)

    async def _pace(self, action: Outgoing, priority: int) -> Grant | None:
        # Answering a button press is not a message; Telegram does not count it.
        chat_id = chat_of(action)
        if self.pacer is None or chat_id is None:
            return None
        return await self.pacer.acquire(chat_id, chat_id < 0, priority)

    async def _send(self, action: Outgoing, grant: Grant | None) -> Sent:
        """One try; the pacer hears of its answer the moment it came, whatever it was (a
        429 too: the next try takes a grant of its own), before anything else is done."""
        try:
            return await self.sender.send(action)
        finally:
            if grant is not None and self.pacer is not None:
                self.pacer.answered(grant)

    async def remember(self, action: Outgoing, sent: Sent) -> None:
        if not isinstance(action, SendText | SendPoll):
            return
        key = action.remember_as
        if not key or sent.message_id is None:
            return
        async with self.services.db.transaction() as session:
            existing = (
                await session.execute(
                    select(SentMessage).where(
                        SentMessage.chat_id == action.chat_id,
                        SentMessage.key == key,
                    )
                )
            ).scalar_one_or_none()
            if existing is None:
                await insert_ignore(
                    session,
                    SentMessage,
                    chat_id=action.chat_id,
                    key=key,
                    message_id=sent.message_id,
                    poll_id=sent.poll_id,
                )
            else:
                existing.message_id = sent.message_id
                existing.poll_id = sent.poll_id

    async def recipient_gone(self, chat_id: int | None) -> None:
        """Blocked or gone: unreachable, and nothing more is queued for them."""
        if chat_id is None:
            return
        async with self.services.db.transaction() as session:
            if chat_id > 0:
                await session.execute(
                    update(Resident)
                    .where(col(Resident.telegram_id) == chat_id)
                    .values(reachable=False)
                )
                person = select(Resident.id).where(Resident.telegram_id == chat_id)
                await outbox.cancel(
                    session,
                    col(ScheduledMessage.resident_id).in_(person.scalar_subquery()),
                    reason="recipient unreachable",
                )
            else:
                await session.execute(
                    update(GroupChat).where(col(GroupChat.chat_id) == chat_id).values(active=False)
                )
            await outbox.cancel_for_chat(session, chat_id, reason="recipient unreachable")
        log.info("chat %s is unreachable; marked so", chat_id)

    async def chat_moved(self, old_chat_id: int | None, new_chat_id: int) -> None:
        """A group became a supergroup: what the registry's `chat_moved` handlers keep of
        the chat (the group domain's link, polls and rows) moves to the new id."""
        if old_chat_id is None:
            return
        async with self.services.db.transaction() as session:
            for move in self.services.registry.chat_moved:
                await move(session, old_chat_id, new_chat_id)
