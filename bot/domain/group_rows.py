"""The rows the scheduler sends to a street group (and one to a person about a group).

Addressed to the group's chat: a reminder before each action (``greminder:<action_id>``),
a thank-you the day after (``gthanks:<action_id>``), card refreshes when someone answers
elsewhere or the action changes (``gcardupd:<action_id>``), the delayed welcome
(``gwelcome:<group_id>:<last welcome>``), closing a poll (``gpoll:<poll_id>``) and pinning
a plan just posted (``gpin:<group_id>``). To a person: the offer to link a group they
added to the initiative they just started (``glinkoffer:<group_id>:<initiative_id>``).

These are domain writes: flows and the subscribers below call them, the renderers of
their kinds are in bot/views/group_renderers.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    InitiativeCreated,
    MemberJoined,
    RsvpGiven,
)
from bot.core.policy import Policy
from bot.domain import groups
from bot.domain.actions import answer_of, upcoming_actions
from scheduler import outbox, rules
from scheduler.outbox import Planned
from scheduler.pacing import Priority
from scheduler.rules import followup_due, reminder_due, zone
from storage.models import (
    Action,
    ActionStatus,
    GroupChat,
    GroupPoll,
    OutboxStatus,
    ScheduledMessage,
)

# Groups added this recently are offered to a person who starts an initiative.
LINK_OFFER_WITHIN = timedelta(days=7)
# Cards edited in this update: the answers given here need no refresh row.
FRESH_CARDS = "groups.fresh_cards"


def card_refresh_key(action_id: int) -> str:
    return f"gcardupd:{action_id}"


def mark_fresh(session: AsyncSession, action_id: int) -> None:
    """The card of this action was edited in this update: no refresh row for its answers."""
    session.info.setdefault(FRESH_CARDS, set()).add(action_id)


# --- an action's rows ----------------------------------------------------------------------


async def sync_action_rows(
    session: AsyncSession, action_id: int, now: datetime, policy: Policy
) -> None:
    """The group's reminder and thank-you for an action, in step with the action."""
    action = await session.get(Action, action_id)
    if action is None:
        return
    keys = [f"greminder:{action_id}", f"gthanks:{action_id}"]
    group = await groups.group_of_initiative(session, action.initiative_id)
    if action.status is ActionStatus.CANCELLED or group is None:
        await outbox.cancel_keys(session, keys, reason="no group, or the action was cancelled")
        return
    tz = zone(await groups.group_zone(session, group, None))
    common: dict[str, Any] = {
        "chat_id": group.chat_id,
        "initiative_id": action.initiative_id,
        "action_id": action_id,
    }
    if action.status is ActionStatus.PLANNED:
        due = reminder_due(action.starts_at, policy.group_reminder_lead, tz, policy.timings)
        if due > now:
            starts = action.starts_at.isoformat()
            await outbox.schedule_or_move(
                session,
                Planned(
                    groups.GroupKind.REMINDER,
                    keys[0],
                    due,
                    payload={"starts_at": starts},
                    **common,
                ),
                now,
            )
    await outbox.schedule_or_move(
        session,
        Planned(
            groups.GroupKind.THANKS, keys[1], followup_due(action, tz, policy.timings), **common
        ),
        now,
    )


async def sync_initiative_rows(
    session: AsyncSession, initiative_id: int, now: datetime, policy: Policy
) -> None:
    for action in await upcoming_actions(session, initiative_id, now):
        await sync_action_rows(session, action.id or 0, now, policy)


async def schedule_card_refresh(session: AsyncSession, action_id: int, now: datetime) -> None:
    """Someone answered elsewhere (or the action changed): the group's card follows."""
    action = await session.get(Action, action_id)
    group = await groups.group_of_initiative(session, action.initiative_id) if action else None
    if action is None or group is None:
        return
    live = [
        await groups.remembered(session, group.chat_id, base)
        for base in (groups.card_key(action_id), groups.reminder_key(action_id))
    ]
    if not any(live):
        return
    await outbox.schedule_or_move(
        session,
        Planned(
            groups.GroupKind.CARD,
            card_refresh_key(action_id),
            now,
            chat_id=group.chat_id,
            initiative_id=action.initiative_id,
            action_id=action_id,
            priority=Priority.REPLY,
            payload={"at": now.isoformat()},
        ),
        now,
    )


async def card_is_fresh(session: AsyncSession, action_id: int) -> None:
    """The card was just edited in place: a refresh still waiting would change nothing."""
    await outbox.cancel_keys(
        session, [card_refresh_key(action_id)], reason="the card is up to date"
    )


# --- the group's own rows ----------------------------------------------------------------------


async def schedule_pin(
    session: AsyncSession, group: GroupChat, initiative_id: int | None, now: datetime
) -> None:
    """Pin the plan just posted once it is sent (the seam cannot pin a message before
    Telegram has given it an id)."""
    await outbox.schedule_or_move(
        session,
        Planned(
            groups.GroupKind.PIN,
            f"gpin:{group.id}",
            now,
            chat_id=group.chat_id,
            initiative_id=initiative_id,
            priority=Priority.REPLY,
            payload={"at": now.isoformat()},
        ),
        now,
    )


async def take_waiting_welcomes(session: AsyncSession, group: GroupChat) -> dict:
    """The welcomes still waiting for the group, cancelled: their names, merged, are
    welcomed in the one sent now."""
    waiting = await session.execute(
        select(ScheduledMessage).where(
            ScheduledMessage.kind == groups.GroupKind.WELCOME,
            ScheduledMessage.chat_id == group.chat_id,
            ScheduledMessage.status == OutboxStatus.PENDING,
        )
    )
    payload: dict = {}
    for row in waiting.scalars().all():
        payload = groups.merge_welcomes(payload, row.payload)
        row.status = OutboxStatus.CANCELLED
        row.last_error = "merged into a welcome sent at once"
    return payload


async def welcome_later(
    session: AsyncSession,
    group: GroupChat,
    initiative_id: int | None,
    names: list[str],
    now: datetime,
) -> None:
    """Inside the window after the last welcome: these names join the one sent when the
    window ends."""
    assert group.last_welcome_at is not None
    key = f"gwelcome:{group.id}:{int(group.last_welcome_at.timestamp())}"
    welcome = await outbox.existing(session, key)
    if welcome is None:
        await outbox.schedule(
            session,
            Planned(
                groups.GroupKind.WELCOME,
                key,
                group.last_welcome_at + groups.WELCOME_WINDOW,
                chat_id=group.chat_id,
                initiative_id=initiative_id,
                payload=groups.welcome_payload(None, names),
            ),
            now,
        )
    elif welcome.status is OutboxStatus.PENDING:
        welcome.payload = groups.welcome_payload(welcome.payload, names)
    # else: that welcome is being sent right now; these names miss it (rare, harmless)


async def schedule_poll_close(session: AsyncSession, poll: GroupPoll, now: datetime) -> None:
    """Close the poll at its deadline (the result goes to the group then)."""
    await outbox.schedule(
        session,
        Planned(
            groups.GroupKind.POLL_CLOSE,
            f"gpoll:{poll.id}",
            poll.closes_at,
            chat_id=poll.chat_id,
            initiative_id=poll.initiative_id,
            payload={"poll": poll.id},
        ),
        now,
    )


# --- what follows from events (subscribed in bot/flows/group_chat.py) ----------------------


async def action_rows(
    policy: Policy, session: AsyncSession, event: ActionPlanned | ActionChanged, now: datetime
) -> None:
    await sync_action_rows(session, event.action_id, now, policy)
    if isinstance(event, ActionChanged):
        await schedule_card_refresh(session, event.action_id, now)


async def action_cancelled(
    policy: Policy, session: AsyncSession, event: ActionCancelled, now: datetime
) -> None:
    await sync_action_rows(session, event.action_id, now, policy)
    await schedule_card_refresh(session, event.action_id, now)


async def answer_given(session: AsyncSession, event: RsvpGiven, now: datetime) -> None:
    if event.action_id in session.info.get(FRESH_CARDS, ()):
        return
    await schedule_card_refresh(session, event.action_id, now)


async def member_joined(
    policy: Policy, session: AsyncSession, event: MemberJoined, now: datetime
) -> None:
    """Someone who answered in the group joined the initiative: now they get the private
    reminders a member gets (answering in the group alone sends nothing privately)."""
    for action in await upcoming_actions(session, event.initiative_id, now):
        if await answer_of(session, action.id or 0, event.resident_id) is not None:
            await rules.sync_action(
                session, action.id or 0, now, policy.timings, resident_id=event.resident_id
            )


async def initiative_created(
    session: AsyncSession, event: InitiativeCreated, now: datetime
) -> None:
    """Who added the bot to a group and then started an initiative is asked to link them."""
    result = await session.execute(
        select(GroupChat).where(
            GroupChat.added_by_id == event.resident_id,
            col(GroupChat.active).is_(True),
            col(GroupChat.initiative_id).is_(None),
            GroupChat.created_at >= now - LINK_OFFER_WITHIN,
        )
    )
    for group in result.scalars().all():
        await outbox.schedule(
            session,
            Planned(
                groups.GroupKind.LINK_OFFER,
                f"glinkoffer:{group.id}:{event.initiative_id}",
                now,
                resident_id=event.resident_id,
                initiative_id=event.initiative_id,
                priority=Priority.REPLY,
                payload={"group": group.id},
            ),
            now,
        )
