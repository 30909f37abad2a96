"""When an initiative is quiet, and when it has stalled: one reading, used by the nudge to
its initiators, the coach's stall alert, the coach's overview and card, and the weekly digest.

An initiative is alive at its last activity, and at the start of every meeting or action
that took place (one not cancelled, that began before now). It has *stalled* when it has
been quiet for ``Settings.stall_days`` days — and never while a meeting or action is
planned ahead: an initiative waiting for its action is not stalled, and on the day of an
action it is not quiet either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Action, ActionStatus, Initiative

__all__ = ["Quiet", "quiet_of", "quiet_one"]


@dataclass(frozen=True, slots=True)
class Quiet:
    """How quiet one initiative is, at one moment."""

    since: datetime  # its last sign of life
    waiting: bool  # a meeting or action is planned ahead
    now: datetime

    @property
    def days(self) -> int:
        return max(0, (self.now - self.since).days)

    def stalled(self, stall_days: int) -> bool:
        return not self.waiting and self.now - self.since >= timedelta(days=stall_days)


def _aware(moment: datetime, like: datetime) -> datetime:
    """A raw query's datetime in the same form (aware or naive UTC) as the ORM's."""
    if moment.tzinfo is None and like.tzinfo is not None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is not None and like.tzinfo is None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


async def quiet_of(
    session: AsyncSession, initiatives: list[Initiative], now: datetime
) -> dict[int, Quiet]:
    """How quiet each of these initiatives is now (two queries, whatever their number)."""
    ids = [initiative.id or 0 for initiative in initiatives]
    if not ids:
        return {}
    took_place = await session.execute(
        select(Action.initiative_id, func.max(Action.starts_at))
        .where(
            col(Action.initiative_id).in_(ids),
            Action.status != ActionStatus.CANCELLED,
            Action.starts_at <= now,
        )
        .group_by(col(Action.initiative_id))
    )
    last_action = dict(took_place.all())
    ahead = await session.execute(
        select(Action.initiative_id)
        .where(
            Action.initiative_id.in_(ids),  # type: ignore[attr-defined]
            Action.status == ActionStatus.PLANNED,
            Action.starts_at > now,
        )
        .distinct()
    )
    waiting = set(ahead.scalars().all())
    found = {}
    for initiative in initiatives:
        ident = initiative.id or 0
        since = initiative.last_activity_at
        action = last_action.get(ident)
        if action is not None and _aware(action, since) > since:
            since = _aware(action, since)
        found[ident] = Quiet(since=since, waiting=ident in waiting, now=now)
    return found


async def quiet_one(session: AsyncSession, initiative: Initiative, now: datetime) -> Quiet:
    return (await quiet_of(session, [initiative], now))[initiative.id or 0]
