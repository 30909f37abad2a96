"""Announcements from coaches: who gets one, sending it, the report (what the message says:
bot/views/announcements.py).

**Audience.** Filters combine with AND: an area (a coach's own areas only; an operator's
anywhere), a theme, a phase, who (initiators / team members and initiators / all
residents), and whether people, the linked street groups, or both get it. With no
theme, phase or role chosen, "everyone in the area" is every resident whose postcode
lies in the area plus every member of an initiative in it; with one of them chosen, it
is the members (in that role) of the initiatives that match. Of those people, **only**
the ones who opted in to announcements and are reachable are recipients; each once.
Street groups are the active group chats linked to a matching initiative.

**Rights.** An audience is bound to its author's rights when it is counted and when it
is sent (``within_rights``): a coach reaches only their own areas, whatever the stored
draft says, and an announcement whose author is no longer a coach is not sent on.

**Sending.** Confirming writes one outbox row per recipient, in one bulk insert: kind
``broadcast``, the broadcast's id, ``Priority.BROADCAST`` (replies and reminders go
first), key ``broadcast:<id>:<resident>`` or ``broadcast:<id>:chat:<chat>``. The
scheduler's dispatcher sends them at Telegram's pace. Just before each send the renderer
(bot/views/announcements.py) checks again: opted out since → skipped ("opted_out"); the
broadcast cancelled → skipped ("cancelled"). Quiet hours apply (an announcement confirmed
at night arrives in the morning); the daily budget of reminders does not.

**Progress and report.** A chat broadcast has a progress message, edited in place by a
chain of ``broadcast_progress`` rows, with a "cancel" button; at the end it becomes the
final report, and the report is sent as a new message too. While a backlog is being sent
each tick is due just before the oldest unsent row, so it rides along with the
dispatcher's next batch (one edit per batch of 200, about every 7 s at 30/s) instead of
waiting behind the whole backlog; otherwise a tick comes every 5 s, or at the end of the
recipients' quiet hours. An edit that would show nothing new is skipped. Every figure is
counted from the rows: delivered, unreachable (blocked the bot, chat gone), opted out
since, not sent (cancelled), failed (with the reasons). Cancelling turns every pending
row into CANCELLED at once. Every broadcast, its end and its cancellation are in the
audit log.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain import whatsapp_skips
from bot.domain.audit import audit
from bot.domain.authz import Hat, hats
from bot.domain.coaches import Area, areas_of, in_any, subject
from bot.i18n import N_
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.pacing import Priority
from storage.models import (
    Broadcast,
    BroadcastStatus,
    GroupChat,
    Initiative,
    MemberRole,
    Membership,
    OutboxStatus,
    Phase,
    Resident,
    ScheduledMessage,
    SentMessage,
    Theme,
)

log = logging.getLogger(__name__)

__all__ = [
    "KIND",
    "PROGRESS_KIND",
    "Audience",
    "LinkError",
    "Reach",
    "Recipients",
    "Report",
    "Who",
    "cancel",
    "check_link",
    "finish",
    "progress_message_id",
    "report_of",
    "schedule_progress_tick",
    "select_recipients",
    "start",
]


class BroadcastKind(StrEnum):
    """The outbox rows of a broadcast (``ScheduledMessage.kind``)."""

    MESSAGE = "broadcast"  # one per recipient
    PROGRESS = "broadcast_progress"  # the report to its author


KIND = BroadcastKind.MESSAGE
PROGRESS_KIND = BroadcastKind.PROGRESS
TEXT_MAX = 3500
URL_MAX = 500
LABEL_MAX = 60
TICK = timedelta(seconds=5)
AHEAD = timedelta(milliseconds=1)
IN_LIST_MAX = 500  # bound parameters in one IN (...): well inside SQLite's and asyncpg's limits

# Why a row was not sent, as the report counts it.
OPTED_OUT = "opted_out"
CANCELLED = "cancelled"
GROUP_GONE = "the group is gone"
UNREACHABLE = frozenset(
    {
        "the person is unreachable",
        "recipient unreachable",
        "the person is gone",
        GROUP_GONE,
    }
)
WAITING = frozenset({"quiet hours"})


class Who(StrEnum):
    ALL = "all"
    INITIATORS = "initiators"
    TEAM = "team"  # team members and initiators: everyone who organises


class Reach(StrEnum):
    PEOPLE = "people"
    BOTH = "both"
    GROUPS = "groups"


ROLES: dict[Who, tuple[MemberRole, ...]] = {
    Who.ALL: (MemberRole.INITIATOR, MemberRole.TEAM, MemberRole.FOLLOWER),
    Who.INITIATORS: (MemberRole.INITIATOR,),
    Who.TEAM: (MemberRole.INITIATOR, MemberRole.TEAM),
}

WHO_LABELS: dict[Who, str] = {
    Who.ALL: N_("All residents"),
    Who.INITIATORS: N_("Initiators"),
    Who.TEAM: N_("Team members and initiators"),
}

REACH_LABELS: dict[Reach, str] = {
    Reach.PEOPLE: N_("Only people"),
    Reach.BOTH: N_("People and street groups"),
    Reach.GROUPS: N_("Only street groups"),
}


@dataclass(frozen=True, slots=True)
class Audience:
    """Who an announcement is for. ``coach_id``: within that coach's areas and initiatives
    (``areas`` then narrows to some of them); None with no areas: everywhere (operators)."""

    areas: tuple[Area, ...] = ()
    theme: Theme | None = None
    phase: Phase | None = None
    who: Who = Who.ALL
    reach: Reach = Reach.PEOPLE
    coach_id: int | None = None

    @property
    def by_membership(self) -> bool:
        return self.theme is not None or self.phase is not None or self.who is not Who.ALL

    def as_json(self) -> dict[str, Any]:
        return {
            "areas": [area.as_json() for area in self.areas],
            "theme": self.theme.value if self.theme else None,
            "phase": self.phase.value if self.phase else None,
            "who": self.who.value,
            "reach": self.reach.value,
            "coach_id": self.coach_id,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Audience:
        value = value or {}
        return cls(
            areas=tuple(Area.from_json(area) for area in value.get("areas") or ()),
            theme=Theme(value["theme"]) if value.get("theme") else None,
            phase=Phase(value["phase"]) if value.get("phase") else None,
            who=Who(value.get("who") or Who.ALL),
            reach=Reach(value.get("reach") or Reach.PEOPLE),
            coach_id=value.get("coach_id"),
        )


@dataclass(frozen=True, slots=True)
class Recipients:
    resident_ids: tuple[int, ...]
    chat_ids: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.resident_ids) + len(self.chat_ids)


async def within_rights(
    session: AsyncSession, author: Resident | None, audience: Audience
) -> Audience:
    """The audience as its author may reach it now: an operator (or the shell, no
    author) as asked; anyone else only within their own areas."""
    if author is None or Hat.OPERATOR in await hats(session, author):
        return audience
    return Audience(
        areas=audience.areas,
        theme=audience.theme,
        phase=audience.phase,
        who=audience.who,
        reach=audience.reach,
        coach_id=author.id,
    )


async def _scope(session: AsyncSession, audience: Audience) -> tuple[list[Area] | None, set[int]]:
    """The areas residents are matched by (None: everywhere) and the matching initiatives."""
    areas: list[Area] | None
    by_coach = False
    if audience.coach_id is not None:
        own = await areas_of(session, audience.coach_id)
        # A coach reaches only their own areas, whatever the request says.
        areas = [area for area in audience.areas if area in own] if audience.areas else own
        by_coach = not audience.areas
    else:
        areas = list(audience.areas) if audience.areas else None
    query = select(Initiative)
    if audience.theme is not None:
        query = query.where(Initiative.theme == audience.theme)
    if audience.phase is not None:
        query = query.where(Initiative.phase == audience.phase)
    initiatives = set()
    for initiative in (await session.execute(query)).scalars().all():
        if (
            areas is None
            or in_any(initiative, areas)
            or (by_coach and initiative.coach_id == audience.coach_id)
        ):
            initiatives.add(initiative.id or 0)
    return areas, initiatives


async def select_recipients(session: AsyncSession, audience: Audience) -> Recipients:
    """Exactly the opted-in, reachable people (and linked street groups) the audience
    names: each once, in id order."""
    areas, initiatives = await _scope(session, audience)
    people: list[int] = []
    if audience.reach is not Reach.GROUPS:
        members: set[int] = set()
        if initiatives:
            query = select(Membership.resident_id, Membership.initiative_id).where(
                col(Membership.role).in_(ROLES[audience.who])
            )
            if len(initiatives) <= IN_LIST_MAX:  # else: all of them, filtered here
                query = query.where(col(Membership.initiative_id).in_(sorted(initiatives)))
            result = await session.execute(query)
            members = {resident for resident, ident in result.all() if ident in initiatives}
        eligible = await session.execute(
            select(Resident.id, Resident.postcode)
            .where(
                col(Resident.announcements_opt_in).is_(True),
                col(Resident.reachable).is_(True),
            )
            .order_by(col(Resident.id))
        )
        for ident, postcode in eligible.all():
            if ident in members:
                people.append(ident)
            elif not audience.by_membership and (
                areas is None
                or any(area.is_postcode and area.has_postcode(postcode) for area in areas)
            ):
                people.append(ident)
    chats: list[int] = []
    if audience.reach is not Reach.PEOPLE and initiatives:
        result = await session.execute(
            select(GroupChat.chat_id, GroupChat.initiative_id)
            .where(col(GroupChat.active).is_(True))
            .order_by(col(GroupChat.chat_id))
        )
        chats = sorted({chat for chat, ident in result.all() if ident in initiatives})
    return Recipients(tuple(people), tuple(chats))


# --- the announcement ---------------------------------------------------------------------


class LinkError(ValueError):
    pass


def check_link(url: str) -> str:
    """An http(s) address with a host, as typed (without spaces); LinkError otherwise."""
    url = url.strip()
    if not url or any(char.isspace() for char in url) or len(url) > URL_MAX:
        raise LinkError("not an address")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise LinkError("not an address") from error
    if parts.scheme.lower() not in ("http", "https") or "." not in host.strip("."):
        raise LinkError("not an http(s) address")
    return url


def progress_key(broadcast_id: int | None) -> str:
    """The SentMessage key under which the progress message is remembered."""
    return f"broadcast:{broadcast_id}"


# --- starting, cancelling, finishing ----------------------------------------------------------


async def start(
    session: AsyncSession,
    *,
    author: Resident | None,
    text: str,
    link_url: str | None,
    link_label: str | None,
    audience: Audience,
    now: datetime,
    progress_chat_id: int | None = None,
    via: str,
) -> tuple[Broadcast, Recipients]:
    """Confirmed: the broadcast row, one outbox row per recipient (one bulk insert), the
    first progress tick (for a chat), and the audit entry."""
    audience = await within_rights(session, author, audience)
    recipients = await select_recipients(session, audience)
    broadcast = Broadcast(
        author_id=author.id if author is not None else None,
        text=text[:TEXT_MAX],
        link_url=link_url,
        link_label=link_label[:LABEL_MAX] if link_label else None,
        audience=audience.as_json(),
        status=BroadcastStatus.SENDING if recipients.count else BroadcastStatus.DONE,
        progress_chat_id=progress_chat_id,
        created_at=now,
        confirmed_at=now,
        finished_at=None if recipients.count else now,
    )
    session.add(broadcast)
    await session.flush()
    ident = broadcast.id or 0
    common = {
        "kind": KIND,
        "due_at": now,
        "priority": int(Priority.BROADCAST),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "payload": {},
        "broadcast_id": ident,
        "created_at": now,
    }
    rows = [
        {**common, "dedupe_key": f"broadcast:{ident}:{resident}", "resident_id": resident}
        for resident in recipients.resident_ids
    ] + [
        {**common, "dedupe_key": f"broadcast:{ident}:chat:{chat}", "chat_id": chat}
        for chat in recipients.chat_ids
    ]
    if rows:
        await session.execute(insert(ScheduledMessage), rows)
    audit(
        session,
        actor_id=author.id if author is not None else None,
        action="broadcast",
        subject=subject("broadcast", ident),
        at=now,
        audience=audience.as_json(),
        people=len(recipients.resident_ids),
        groups=len(recipients.chat_ids),
        link=bool(link_url),
        via=via,
    )
    if progress_chat_id is not None and author is not None and recipients.count:
        # The first tick goes with the first batch (bot/views/announcements.py); the chat already
        # shows this state, so it edits nothing.
        shown = Report(total=recipients.count, pending=recipients.count).signature()
        await schedule_progress_tick(session, broadcast, 1, now - AHEAD, now, shown=shown)
    return broadcast, recipients


async def cancel(
    session: AsyncSession, broadcast: Broadcast, now: datetime, *, actor_id: int | None, via: str
) -> int:
    """Stop it: every row not yet sent is CANCELLED. Returns how many were stopped."""
    if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        return 0
    stopped = await outbox.cancel(
        session,
        col(ScheduledMessage.broadcast_id) == broadcast.id,
        col(ScheduledMessage.kind) == KIND,
        reason=CANCELLED,
    )
    broadcast.status = BroadcastStatus.CANCELLED
    audit(
        session,
        actor_id=actor_id,
        action="broadcast_cancelled",
        subject=subject("broadcast", broadcast.id),
        at=now,
        stopped=stopped,
        via=via,
    )
    return stopped


@dataclass
class Report:
    total: int = 0
    delivered: int = 0
    unreachable: int = 0
    opted_out: int = 0
    cancelled: int = 0
    failed: int = 0
    pending: int = 0
    waiting: int = 0  # pending until the recipients' quiet hours end
    reasons: Counter[str] = field(default_factory=Counter)
    # WhatsApp: skipped per reason (bot/domain/whatsapp_skips.py), and waiting for them to write.
    whatsapp: Counter[str] = field(default_factory=Counter)
    whatsapp_waiting: int = 0
    next_due: datetime | None = None

    @property
    def done(self) -> bool:
        return self.pending == 0

    def signature(self) -> str:
        return (
            f"{self.delivered}/{self.unreachable}/{self.opted_out}/{self.cancelled}/"
            f"{self.failed}/{self.pending}/{self.waiting}/"
            f"{self.whatsapp.total()}/{self.whatsapp_waiting}"
        )


def _unreachable(reason: str) -> bool:
    return reason in UNREACHABLE or reason.startswith("gone")


async def report_of(session: AsyncSession, broadcast_id: int) -> Report:
    """The figures, counted from the broadcast's rows."""
    result = await session.execute(
        select(
            ScheduledMessage.status,
            ScheduledMessage.last_error,
            func.count(),
            func.min(ScheduledMessage.due_at),
        )
        .where(ScheduledMessage.broadcast_id == broadcast_id, ScheduledMessage.kind == KIND)
        .group_by(ScheduledMessage.status, col(ScheduledMessage.last_error))
    )
    report = Report()
    for status, reason, count, due in result.all():
        reason = reason or ""
        report.total += count
        if status is OutboxStatus.SENT:
            report.delivered += count
        elif status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            report.pending += count
            if status is OutboxStatus.PENDING and reason in WAITING:
                report.waiting += count
            if status is OutboxStatus.PENDING and reason == whatsapp_skips.WAITING:
                report.whatsapp_waiting += count
            if status is OutboxStatus.PENDING and (
                report.next_due is None or due < report.next_due
            ):
                report.next_due = due
        elif status is OutboxStatus.CANCELLED and reason == OPTED_OUT:
            report.opted_out += count
        elif status is OutboxStatus.CANCELLED and reason == CANCELLED:
            report.cancelled += count
        elif status is OutboxStatus.CANCELLED and _unreachable(reason):
            report.unreachable += count
        elif status is OutboxStatus.CANCELLED and reason in whatsapp_skips.SKIP_REASONS:
            report.whatsapp[reason] += count
        else:
            report.failed += count
            report.reasons[reason or "unknown"] += count
    return report


async def finish(
    session: AsyncSession, broadcast: Broadcast, report: Report, now: datetime
) -> bool:
    """Nothing left to send: the broadcast is done (or stays cancelled), once. Audited."""
    if not report.done or broadcast.finished_at is not None:
        return False
    broadcast.finished_at = now
    if broadcast.status is BroadcastStatus.SENDING:
        broadcast.status = BroadcastStatus.DONE
    audit(
        session,
        actor_id=broadcast.author_id,
        action="broadcast_finished",
        subject=subject("broadcast", broadcast.id),
        at=now,
        status=str(broadcast.status),
        delivered=report.delivered,
        unreachable=report.unreachable,
        opted_out=report.opted_out,
        cancelled=report.cancelled,
        failed=report.failed,
    )
    return True


# --- the coach's progress message ---------------------------------------------------------


async def schedule_progress_tick(
    session: AsyncSession,
    broadcast: Broadcast,
    number: int,
    due: datetime,
    now: datetime,
    *,
    shown: str,
) -> None:
    """The next edit of the progress message. Addressed to the chat, not the person: an
    edit of a message the coach asked for is no notification, so it does not count in
    their daily budget (which counts a person's rows)."""
    await outbox.schedule(
        session,
        Planned(
            PROGRESS_KIND,
            f"broadcast_progress:{broadcast.id}:{number}",
            due,
            chat_id=broadcast.progress_chat_id,
            priority=Priority.SCHEDULED,
            payload={"broadcast_id": broadcast.id, "n": number, "shown": shown},
        ),
        now,
    )


async def progress_message_id(session: AsyncSession, broadcast: Broadcast) -> int | None:
    if broadcast.progress_message_id is None and broadcast.progress_chat_id is not None:
        found = (
            await session.execute(
                select(SentMessage.message_id).where(
                    SentMessage.chat_id == broadcast.progress_chat_id,
                    SentMessage.key == progress_key(broadcast.id),
                )
            )
        ).scalar_one_or_none()
        broadcast.progress_message_id = found
    return broadcast.progress_message_id
