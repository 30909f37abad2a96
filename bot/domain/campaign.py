"""A programme's campaign calendar: dated announcements to the opted-in residents of its
area. Each is a draft until a manager (or an operator) approves it, after its preview;
once approved, one outbox row of kind ``campaign`` waits for its date, and then the
dispatcher starts it as a broadcast (``bot.domain.broadcasts.start``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.audit import audit
from bot.domain.coaches import subject
from bot.domain.programmes import CAMPAIGN_KIND, ProgrammeError, districts
from bot.i18n import N_
from storage.models import (
    Broadcast,
    CampaignItem,
    CampaignStatus,
    OutboxStatus,
    Programme,
    ScheduledMessage,
)


def audience_of(programme: Programme) -> Any:
    """The opted-in residents of the programme's area (bot.domain.broadcasts' rules)."""
    from bot.domain.broadcasts import Audience, Reach, Who

    return Audience(
        areas=tuple(district.area for district in districts(programme)),
        who=Who.ALL,
        reach=Reach.PEOPLE,
    )


def campaign_key(item: CampaignItem) -> str:
    return f"{CAMPAIGN_KIND}:{item.id}"


async def approve_item(
    session: AsyncSession, item: CampaignItem, now: datetime, *, actor_id: int | None, via: str
) -> None:
    """Approved after its preview: it goes out at its date through the broadcast machinery."""
    if item.status is not CampaignStatus.DRAFT:
        raise ProgrammeError(N_("Only a draft announcement can be approved."))
    item.status = CampaignStatus.APPROVED
    item.approved_by_id = actor_id
    item.approved_at = now
    existing = (
        await session.execute(
            select(ScheduledMessage).where(ScheduledMessage.dedupe_key == campaign_key(item))
        )
    ).scalar_one_or_none()
    due = max(item.send_at, now)
    if existing is None:
        # No recipient of its own: the dispatcher's renderer starts the broadcast.
        session.add(
            ScheduledMessage(
                kind=CAMPAIGN_KIND,
                dedupe_key=campaign_key(item),
                due_at=due,
                payload={"campaign_item_id": item.id},
                created_at=now,
            )
        )
    else:
        existing.status = OutboxStatus.PENDING
        existing.due_at = due
        existing.last_error = None
    await session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="campaign_approved",
        subject=subject("campaign_item", item.id),
        at=now,
        programme_id=item.programme_id,
        send_at=item.send_at.isoformat(),
        via=via,
    )


async def cancel_item(
    session: AsyncSession, item: CampaignItem, now: datetime, *, actor_id: int | None, via: str
) -> None:
    """Not sent after all; once its broadcast started, what was not sent yet stops."""
    from bot.domain.broadcasts import cancel

    if item.status is CampaignStatus.CANCELLED:
        return
    if item.broadcast_id is not None:
        broadcast = await session.get(Broadcast, item.broadcast_id)
        if broadcast is not None:
            await cancel(session, broadcast, now, actor_id=actor_id, via=via)
    item.status = CampaignStatus.CANCELLED
    row = (
        await session.execute(
            select(ScheduledMessage).where(ScheduledMessage.dedupe_key == campaign_key(item))
        )
    ).scalar_one_or_none()
    if row is not None and row.status is OutboxStatus.PENDING:
        row.status = OutboxStatus.CANCELLED
        row.last_error = "cancelled"
    audit(
        session,
        actor_id=actor_id,
        action="campaign_cancelled",
        subject=subject("campaign_item", item.id),
        at=now,
        programme_id=item.programme_id,
        via=via,
    )
