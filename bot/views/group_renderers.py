"""What the scheduler sends for a street group: the renderers of the group kinds
(``GroupKind``; the rows themselves are made in bot/domain/group_rows.py).

A reminder 24 h before each action, a thank-you the day after at 10:00, card refreshes,
the delayed welcome, closing a poll, pinning a plan just posted, and (to the person)
offering to link a group to an initiative just started. bot/flows/group_chat.py's
`register` registers them (`register_renderers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.registry import Registry
from bot.core.seam import Button, Outgoing, PinMessage, SendText, StopPoll
from bot.domain import groups
from bot.domain.actions import totals
from bot.i18n import Texts
from bot.views.after_action import group_thanks
from bot.views.buttons import not_now_button
from bot.views.group_cards import (
    card_view,
    join_url,
    keyboard,
    poll_result_view,
    refresh_cards,
    render_texts,
    welcome_view,
)
from bot.views.group_private import link_payload
from scheduler.messages import (
    Postpone,
    Skip,
    context_of,
    fetch,
    recipient,
    require_role,
    texts_of,
)
from scheduler.rules import followup_due, reminder_due
from storage.models import (
    Action,
    ActionStatus,
    GroupChat,
    GroupPoll,
    Initiative,
    MemberRole,
    ScheduledMessage,
)

# The pin of a plan just posted waits this long for the message to be sent.
PIN_PATIENCE = timedelta(minutes=2)


async def _linked_group(session: AsyncSession, initiative_id: int | None) -> GroupChat:
    group = await groups.group_of_initiative(session, initiative_id)
    if group is None:
        raise Skip("no active group is linked to the initiative")
    return group


async def _initiative(session: AsyncSession, initiative_id: int | None) -> Initiative:
    initiative = await fetch(session, Initiative, initiative_id)
    if initiative is None:
        raise Skip("the initiative is gone")
    return initiative


def _gentle(
    session: AsyncSession, now: datetime, texts: Texts, until: datetime | None = None
) -> None:
    """Postpone past the group's quiet hours — or skip, when that would be too late."""
    quiet = context_of(session).timings.quiet_hours
    if not quiet.contains(now, texts.tz):
        return
    later = quiet.next_allowed(now, texts.tz)
    if until is not None and later >= until:
        raise Skip("quiet hours last until it is too late")
    raise Postpone(later, "quiet hours in the group")


async def render_group_reminder(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The group, 24 h before: the card again, with the current totals and the buttons."""
    action = await fetch(session, Action, row.action_id)
    if action is None or action.status is not ActionStatus.PLANNED:
        raise Skip("the action is no longer planned")
    if action.starts_at <= now:
        raise Skip("the action has started")
    group = await _linked_group(session, action.initiative_id)
    initiative = await _initiative(session, action.initiative_id)
    texts = await render_texts(session, group)
    timings = context_of(session).timings
    due = reminder_due(
        action.starts_at, context_of(session).policy.group_reminder_lead, texts.tz, timings
    )
    if due > now:
        raise Postpone(due, "the action moved")
    _gentle(session, now, texts, action.starts_at - timings.reminder_min_notice)
    services = context_of(session).services
    text, buttons = await card_view(
        session, texts, action, initiative, now=now, services=services, reminder=True
    )
    base = groups.reminder_key(action.id or 0)
    await groups.forget(session, group.chat_id, base)
    return [
        SendText(group.chat_id, text, buttons, remember_as=groups.remember_key(base, text, buttons))
    ]


async def render_group_thanks(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The group, the day after at 10:00: thank you, with how many came."""
    action = await fetch(session, Action, row.action_id)
    if action is None or action.status is ActionStatus.CANCELLED:
        raise Skip("the action was cancelled")
    group = await _linked_group(session, action.initiative_id)
    initiative = await _initiative(session, action.initiative_id)
    texts = await render_texts(session, group)
    due = followup_due(action, texts.tz, context_of(session).timings)
    if due > now:
        raise Postpone(due, "the action moved")
    _gentle(session, now, texts)
    coming = (await totals(session, action.id or 0)).coming if action.attended is None else 0
    join = join_url(context_of(session).services, initiative)
    thanks = group_thanks(texts, action, coming=coming, join=join)
    if thanks is None:
        raise Skip("nobody came")
    text, rows = thanks
    return [SendText(group.chat_id, text, keyboard(*rows))]


async def render_card_refresh(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Answers given elsewhere, or the action changed: the group's card follows."""
    action = await fetch(session, Action, row.action_id)
    if action is None:
        raise Skip("the action is gone")
    group = await _linked_group(session, action.initiative_id)
    initiative = await _initiative(session, action.initiative_id)
    texts = await render_texts(session, group)
    return await refresh_cards(
        session, group, action, initiative, texts, now=now, services=context_of(session).services
    )


async def render_welcome(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Everyone who joined since the last welcome, welcomed together."""
    group = await groups.group_by_chat(session, row.chat_id or 0)
    if group is None or not group.active or group.initiative_id is None:
        raise Skip("the group is gone or not linked")
    initiative = await _initiative(session, group.initiative_id)
    payload = dict(row.payload or {})
    count = int(payload.get("count", 0))
    if count <= 0:
        raise Skip("nobody to welcome")
    texts = await render_texts(session, group)
    text, buttons = welcome_view(texts, initiative, payload, context_of(session).services)
    group.last_welcome_at = now
    # The names were only needed to say hello.
    await session.execute(
        update(ScheduledMessage)
        .where(col(ScheduledMessage.id) == row.id)
        .values(payload={"count": count})
        .execution_options(synchronize_session=False)
    )
    return [SendText(group.chat_id, text, buttons)]


async def render_poll_close(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The deadline: the result in the group, and the poll closed."""
    poll = await session.get(GroupPoll, int((row.payload or {}).get("poll") or 0))
    if poll is None:
        raise Skip("the poll is gone")
    if not await groups.resolve_poll(session, poll):
        raise Skip("the poll was never posted")
    if now < poll.closes_at:
        raise Postpone(poll.closes_at, "the deadline is later")
    group = await groups.group_by_chat(session, poll.chat_id)
    if group is None or not group.active:
        raise Skip("the bot is no longer in the group")
    counts, voters = await groups.close_poll(session, poll, now)
    texts = await render_texts(session, group)
    # The result first: if closing fails, the group still reads it.
    return [
        SendText(poll.chat_id, poll_result_view(texts, poll, counts, voters)),
        StopPoll(poll.chat_id, poll.message_id),
    ]


async def render_pin(session: AsyncSession, row: ScheduledMessage, now: datetime) -> list[Outgoing]:
    """Pin the plan just posted, once Telegram has given it an id."""
    group = await groups.group_by_chat(session, row.chat_id or 0)
    if group is None or not group.active:
        raise Skip("the bot is no longer in the group")
    plan = await groups.remembered(session, group.chat_id, groups.PLAN)
    if plan is None:
        asked = datetime.fromisoformat((row.payload or {}).get("at") or now.isoformat())
        if now - asked > PIN_PATIENCE:
            raise Skip("the plan was never posted")
        raise Postpone(now + timedelta(seconds=10), "the plan is not posted yet")
    if group.pinned_message_id == plan.message_id:
        raise Skip("already pinned")
    group.pinned_message_id = plan.message_id
    return [PinMessage(group.chat_id, plan.message_id)]


async def render_link_offer(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Who added the bot to a group and just started an initiative: link them?"""
    person = await recipient(session, row)
    group = await groups.group_by_id(session, int((row.payload or {}).get("group") or 0))
    if group is None or not group.active or group.initiative_id is not None:
        raise Skip("the group is gone or linked already")
    initiative = await _initiative(session, row.initiative_id)
    await require_role(session, initiative.id or 0, person, MemberRole.INITIATOR)
    texts = texts_of(person)
    text = texts._(
        "Shall I link the group <b>{group}</b> to <b>{title}</b>? Then the neighbours there "
        "can say whether they come to your actions.",
        group=group.title,
        title=initiative.title,
    )
    rows = keyboard(
        [Button(texts._("Yes, link it"), link_payload(group, initiative.id))],
        [not_now_button(texts)],
    )
    return [SendText(person.telegram_id, text, rows)]


def register_renderers(registry: Registry) -> None:
    """The group kinds' renderers (bot/flows/group_chat.py's register calls this)."""
    registry.renderer(groups.GroupKind.REMINDER, timely=True)(render_group_reminder)
    registry.renderer(groups.GroupKind.THANKS, at_most_once=True)(render_group_thanks)
    registry.renderer(groups.GroupKind.CARD)(render_card_refresh)
    registry.renderer(groups.GroupKind.WELCOME, at_most_once=True)(render_welcome)
    registry.renderer(groups.GroupKind.POLL_CLOSE)(render_poll_close)
    registry.renderer(groups.GroupKind.PIN, quiet_hours=False, budget=False)(render_pin)
    link_offer = registry.renderer(
        groups.GroupKind.LINK_OFFER, essential=True, quiet_hours=False, budget=False
    )
    link_offer(render_link_offer)
