"""Delivering what the engine decided, through a Sender, handling the core's errors.

This is where "the person blocked the bot", "the group became a supergroup"
and "Telegram asks us to slow down" are dealt with, once, for every runtime.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from sqlmodel import select, update

from bot.app import Services
from bot.seam import (
    AnswerButton,
    ChatMoved,
    Outgoing,
    RateLimited,
    RecipientGone,
    Rejected,
    Sender,
    Sent,
    Transient,
)
from storage.models import GroupChat, Resident, SentMessage
from storage.queries import insert_ignore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4


def chat_of(action: Outgoing) -> int | None:
    return None if isinstance(action, AnswerButton) else action.chat_id


class Delivery:
    def __init__(self, services: Services, sender: Sender, *, sleep=asyncio.sleep) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.sender = sender
        self.sleep = sleep

    async def deliver(self, actions: Sequence[Outgoing]) -> list[Sent | None]:
        """Send each action in order; one failing never stops the others."""
        results: list[Sent | None] = []
        for action in actions:
            results.append(await self.deliver_one(action))
        return results

    async def deliver_one(self, action: Outgoing) -> Sent | None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                sent = await self.sender.send(action)
            except RateLimited as limited:
                log.warning("rate limited; waiting %.1f s", limited.retry_after)
                await self.sleep(limited.retry_after)
            except Transient as error:
                log.warning("transient error (attempt %d): %s", attempt, error)
                await self.sleep(min(2**attempt * 0.25, 5))
            except RecipientGone:
                await self.mark_unreachable(chat_of(action))
                return None
            except ChatMoved as moved:
                await self.chat_moved(chat_of(action), moved.new_chat_id)
                action = replace(action, chat_id=moved.new_chat_id)  # type: ignore[type-var]
            except Rejected as error:
                log.error("Telegram rejected %s: %s", type(action).__name__, error)
                return None
            else:
                await self.remember(action, sent)
                return sent
        log.error("gave up on %s after %d attempts", type(action).__name__, MAX_ATTEMPTS)
        return None

    async def remember(self, action: Outgoing, sent: Sent) -> None:
        key = getattr(action, "remember_as", None)
        if not key or sent.message_id is None:
            return
        async with self.services.db.transaction() as session:
            existing = (
                await session.execute(
                    select(SentMessage).where(
                        SentMessage.chat_id == action.chat_id,
                        SentMessage.key == key,  # type: ignore[union-attr]
                    )
                )
            ).scalar_one_or_none()
            if existing is None:
                await insert_ignore(
                    session,
                    SentMessage,
                    chat_id=action.chat_id,  # type: ignore[union-attr]
                    key=key,
                    message_id=sent.message_id,
                    poll_id=sent.poll_id,
                )
            else:
                existing.message_id = sent.message_id
                existing.poll_id = sent.poll_id

    async def mark_unreachable(self, chat_id: int | None) -> None:
        if chat_id is None:
            return
        async with self.services.db.transaction() as session:
            if chat_id > 0:
                await session.execute(
                    update(Resident).where(Resident.telegram_id == chat_id).values(reachable=False)
                )
            else:
                await session.execute(
                    update(GroupChat).where(GroupChat.chat_id == chat_id).values(active=False)
                )
        log.info("chat %s is unreachable; marked so", chat_id)

    async def chat_moved(self, old_chat_id: int | None, new_chat_id: int) -> None:
        if old_chat_id is None:
            return
        async with self.services.db.transaction() as session:
            await session.execute(
                update(GroupChat)
                .where(GroupChat.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
            await session.execute(
                update(SentMessage)
                .where(SentMessage.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
