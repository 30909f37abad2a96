"""Why a scheduled message to a WhatsApp person was not sent, and how many: WhatsApp's
24-hour window keeps free-form messages to people who wrote lately, so the rest waits for
them or is skipped (scheduler/window.py decides). The reason is kept on the row
(`last_error`); the broadcast report and the coach's card count them per reason.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.i18n import N_
from storage.models import Action, OutboxStatus, ScheduledMessage

# A row outside the window waits this long for the person to write again, then is skipped.
GIVE_UP = timedelta(days=14)
WAITING = "waiting for the person to write again (WhatsApp's 24-hour window)"
# Why a row to a WhatsApp person was skipped (kept on the row, in `last_error`), and what a
# coach reads for it: the broadcast report and the coach's card count them per reason.
NO_IDENTITY = "no WhatsApp identity"
NOT_OPTED_IN = "not opted in to announcements on WhatsApp"
NO_TEMPLATE = "outside WhatsApp's 24-hour window; no approved template"
GAVE_UP_REASON = "the person did not write again within 14 days (WhatsApp)"
SKIP_REASONS = {
    NO_TEMPLATE: N_("outside WhatsApp's 24-hour window"),
    GAVE_UP_REASON: N_("no message from them on WhatsApp for 14 days"),
    NOT_OPTED_IN: N_("no announcements on WhatsApp"),
    NO_IDENTITY: N_("not reachable on WhatsApp"),
}


async def skipped_of(
    session: AsyncSession, where: ColumnElement[bool], since: datetime | None = None
) -> tuple[Counter[str], int]:
    """Of the outbox rows `where` picks: how many were skipped per WhatsApp reason, and how
    many wait for the person to write again."""
    query = (
        select(ScheduledMessage.status, ScheduledMessage.last_error, func.count())
        .where(
            where,
            col(ScheduledMessage.last_error).in_([*SKIP_REASONS, WAITING]),
            col(ScheduledMessage.status).in_([OutboxStatus.CANCELLED, OutboxStatus.PENDING]),
        )
        .group_by(ScheduledMessage.status, col(ScheduledMessage.last_error))
    )
    if since is not None:
        query = query.where(col(ScheduledMessage.due_at) >= since)
    skipped: Counter[str] = Counter()
    waiting = 0
    for status, reason, count in (await session.execute(query)).all():
        if status is OutboxStatus.PENDING and reason == WAITING:
            waiting += count
        elif status is OutboxStatus.CANCELLED and reason in SKIP_REASONS:
            skipped[reason] += count
    return skipped, waiting


def about_initiative(initiative_id: int) -> ColumnElement[bool]:
    """The outbox rows about an initiative: its own, and its actions'."""
    actions = select(Action.id).where(Action.initiative_id == initiative_id)
    return or_(
        col(ScheduledMessage.initiative_id) == initiative_id,
        col(ScheduledMessage.action_id).in_(actions),
    )
