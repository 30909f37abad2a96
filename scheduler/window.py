"""The window a network allows free messages in, as the dispatcher keeps it.

WhatsApp lets the bot write freely only within 24 hours of the person's last message
(`NetworkIdentity.last_inbound_at`, set by the runtime at every message). Outside it, for
each outbox row to a person there:

- a **reminder** goes as the `buurbot_reminder` template (title, when, place; its button
  shows the action) when that template is approved, else it is skipped with the reason
  (a reminder cannot wait: it would come after the action);
- a **broadcast** reaches only people who opted in to announcements on WhatsApp;
- **everything else** waits until the person writes again (the row is postponed with the
  reason `WAITING`; the runtime brings it forward when they write), and, when
  `buurbot_update` is approved, one template a day tells them there is news; after
  `GIVE_UP` without a word from them it is skipped, with the reason on the row.

A reply that WhatsApp refused with 131047 (the window closed while it was under way) is
*held* the same way: a `held` row carrying the actions, sent when the person writes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core import identities, wire
from bot.core.config import Settings
from bot.core.seam import WHATSAPP, Outgoing, SendTemplate, network_of
from bot.core.templates import REMINDER, UPDATE, WINDOW_PAYLOAD
from bot.domain.whatsapp_skips import (
    GAVE_UP_REASON,
    GIVE_UP,
    NO_IDENTITY,
    NO_TEMPLATE,
    NOT_OPTED_IN,
    WAITING,
)
from bot.i18n import texts_for
from bot.views.routes import ActShow
from scheduler.messages import KindInfo, Skip, fetch, when_text
from storage.models import (
    Action,
    Initiative,
    Membership,
    NetworkIdentity,
    OutboxStatus,
    PersonFacts,
    Resident,
    ScheduledMessage,
)
from storage.queries import insert_ignore

__all__ = [
    "HELD",
    "NEWS",
    "gate",
    "hold",
    "news_parameters",
    "release",
]

HELD = "held"
NEWS = "window_news"
RECHECK = timedelta(days=1)
BROADCAST = "broadcast"

if TYPE_CHECKING:
    from bot.core.registry import Registry
    from scheduler.dispatch import Decision


async def gate(
    session: AsyncSession,
    row: ScheduledMessage,
    kind: KindInfo,
    person: PersonFacts,
    messages: list[Outgoing],
    now: datetime,
    settings: Settings,
) -> list[Outgoing] | tuple[Decision, str, datetime | None] | None:
    """None: send `messages` as they are; a list: send that instead; else the dispatcher's
    decision (status, reason, until)."""
    from scheduler.dispatch import Decision  # dispatch imports this module

    address = person.telegram_id
    capabilities = WHATSAPP if network_of(address) is WHATSAPP.network else None
    if capabilities is None or row.kind == NEWS:
        return None
    identity = (
        await session.execute(
            select(NetworkIdentity).where(col(NetworkIdentity.address) == address)
        )
    ).scalar_one_or_none()
    if identity is None:
        return (Decision.SKIPPED, NO_IDENTITY, None)
    if row.kind == BROADCAST and not identity.announcements_opt_in:
        return (Decision.SKIPPED, NOT_OPTED_IN, None)
    if identities.window_open(identity.last_inbound_at, now):
        return None
    approved = settings.approved_templates
    if kind.timely:
        action = await fetch(session, Action, row.action_id) if row.action_id else None
        if action is None or REMINDER.name not in approved:
            return (Decision.SKIPPED, NO_TEMPLATE, None)
        texts = texts_for(person.language, person.timezone)
        return [
            SendTemplate(
                address,
                REMINDER.name,
                person.language,
                (action.title, when_text(texts, action.starts_at), action.place.strip() or "-"),
                (ActShow(action.id or 0).pack(),),
            )
        ]
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=now.tzinfo)
    if now - created > GIVE_UP:
        return (Decision.SKIPPED, GAVE_UP_REASON, None)
    if UPDATE.name in approved:
        await _news(session, person, now)
    return (Decision.POSTPONED, WAITING, now + RECHECK)


async def _news(session: AsyncSession, person: PersonFacts, now: datetime) -> None:
    """At most one "there is news" template a day per person."""
    await insert_ignore(
        session,
        ScheduledMessage,
        kind=NEWS,
        dedupe_key=f"{NEWS}:{person.id}:{now.date().isoformat()}",
        resident_id=person.id,
        chat_id=person.telegram_id,
        due_at=now,
        priority=1,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        payload={},
        created_at=now,
    )


async def hold(
    session: AsyncSession, address: int, actions: list[dict], now: datetime, settings: Settings
) -> None:
    """Keep actions WhatsApp would not take now, to send when the person writes again."""
    # WhatsApp says the window is closed, whatever the last message we saw says.
    await session.execute(
        update(NetworkIdentity)
        .where(col(NetworkIdentity.address) == address)
        .values(last_inbound_at=None)
    )
    resident_id = (
        await session.execute(
            select(Resident.id).where(Resident.id == identities.resident_id_of(address))
        )
    ).scalar_one_or_none()
    if resident_id is None:
        return
    await insert_ignore(
        session,
        ScheduledMessage,
        kind=HELD,
        dedupe_key=f"{HELD}:{resident_id}:{secrets.token_hex(8)}",
        resident_id=resident_id,
        chat_id=address,
        due_at=now + RECHECK,
        priority=0,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        last_error=WAITING,
        payload={"actions": actions},
        created_at=now,
    )
    # Outside a sweep (a failed status arrived): straight from the database.
    person = await session.get(Resident, resident_id)
    if person is not None and UPDATE.name in settings.approved_templates:
        await _news(session, person, now)


async def release(session: AsyncSession, address: int, now: datetime) -> None:
    """The person wrote: what waited for them is due now."""
    resident = identities.resident_id_of(address)
    await session.execute(
        update(ScheduledMessage)
        .where(
            col(ScheduledMessage.resident_id) == resident,
            col(ScheduledMessage.status) == OutboxStatus.PENDING,
            col(ScheduledMessage.last_error) == WAITING,
        )
        .values(due_at=now)
    )


async def news_parameters(session: AsyncSession, address: int) -> tuple[tuple[str, str], str]:
    person = (
        await session.execute(
            select(Resident).where(Resident.id == identities.resident_id_of(address))
        )
    ).scalar_one_or_none()
    if person is None:
        raise Skip("the person is gone")
    title = (
        await session.execute(
            select(Initiative.title)
            .join(Membership, col(Membership.initiative_id) == col(Initiative.id))
            .where(Membership.resident_id == person.id)
            .order_by(Initiative.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
    ).scalar_one_or_none()
    texts = texts_for(person.language, person.timezone)
    return (person.display_name, title or str(texts._("Buurbot"))), person.language


async def render_held(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """What the window kept back, as it was decided."""
    try:
        return [wire.load(data) for data in (row.payload or {}).get("actions", [])]
    except wire.WireError as error:
        raise Skip(f"held actions unreadable: {error}") from None


async def render_news(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """One template: there is news; its button opens the window."""
    address = row.chat_id
    if address is None:
        raise Skip("no address")
    identity_inbound = (
        await session.execute(
            select(NetworkIdentity.last_inbound_at).where(col(NetworkIdentity.address) == address)
        )
    ).scalar_one_or_none()
    if identities.window_open(identity_inbound, now):
        raise Skip("the person wrote again: the news goes as it is")
    parameters, lang = await news_parameters(session, address)
    return [SendTemplate(address, UPDATE.name, lang, parameters, (WINDOW_PAYLOAD,))]


def register(registry: Registry) -> None:
    """The window's kinds (bot.app.build_registry calls this)."""
    registry.renderer(HELD, essential=True, budget=False, quiet_hours=False)(render_held)
    registry.renderer(NEWS, essential=True, at_most_once=True, budget=False)(render_news)
