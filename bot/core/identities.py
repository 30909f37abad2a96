"""People's identities per network, and the links that bring someone to the bot there.

A resident is one person; each network they use is a `NetworkIdentity`. The core knows a
person (and their private chat) by an *address*: on Telegram their user id, on WhatsApp a
random number from `WHATSAPP_BASE` up that this module gives out for a phone number (so a
phone number never becomes an id in a log, a button or a table other than this one).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.seam import WHATSAPP_BASE, Network, network_of
from storage.models import NetworkIdentity, Resident
from storage.queries import insert_ignore, table_of

__all__ = [
    "address_for",
    "addresses_of",
    "claim",
    "deep_link",
    "external_id_of",
    "networks_of",
    "record_inbound",
    "resident_id_of",
    "wa_link",
    "window_open",
]

WINDOW_HOURS = 24
_ADDRESS_ROOM = 2**50


async def address_for(session: AsyncSession, network: Network, external_id: str) -> int:
    """The address of whoever is `external_id` on `network`; a new one the first time."""
    found = await _address(session, network, external_id)
    while found is None:
        if network is Network.TELEGRAM:
            address = int(external_id)
        else:
            address = WHATSAPP_BASE + secrets.randbelow(_ADDRESS_ROOM)
        await insert_ignore(
            session,
            NetworkIdentity,
            network=network.value,
            external_id=external_id,
            address=address,
            announcements_opt_in=False,
            created_at=datetime.now(UTC),
        )
        # Ours, or a concurrent writer's (then ON CONFLICT kept theirs); a random address
        # already taken (2^-50) leaves none: try another.
        found = await _address(session, network, external_id)
    return found


async def _address(session: AsyncSession, network: Network, external_id: str) -> int | None:
    return (
        await session.execute(
            select(NetworkIdentity.address).where(
                NetworkIdentity.network == network.value,
                NetworkIdentity.external_id == external_id,
            )
        )
    ).scalar_one_or_none()


async def external_id_of(session: AsyncSession, address: int) -> str | None:
    return (
        await session.execute(
            select(NetworkIdentity.external_id).where(col(NetworkIdentity.address) == address)
        )
    ).scalar_one_or_none()


async def claim(session: AsyncSession, address: int, resident_id: int) -> None:
    """A resident was just made for `address`: their identity on its network is theirs."""
    network = network_of(address)
    if network is Network.TELEGRAM:
        await insert_ignore(
            session,
            NetworkIdentity,
            resident_id=resident_id,
            network=network.value,
            external_id=str(address),
            address=address,
            announcements_opt_in=False,
            created_at=datetime.now(UTC),
        )
    # Through the Core table: nothing in the session holds these rows at a first visit, so
    # the ORM's synchronisation of the session (an evaluation per row) is skipped.
    identities = table_of(NetworkIdentity)
    await session.execute(
        update(identities)
        .where(identities.c.address == address, identities.c.resident_id.is_(None))
        .values(resident_id=resident_id)
    )


async def record_inbound(session: AsyncSession, address: int, at: datetime) -> None:
    """The person wrote: their window opens; their consent, once given, is recorded for
    this network too."""
    consent = select(Resident.consented_at).where(Resident.telegram_id == address).scalar_subquery()
    opt_in = (
        select(Resident.announcements_opt_in)
        .where(Resident.telegram_id == address)
        .scalar_subquery()
    )
    await session.execute(
        update(NetworkIdentity)
        .where(col(NetworkIdentity.address) == address)
        .values(
            last_inbound_at=at,
            consented_at=func.coalesce(NetworkIdentity.consented_at, consent),
            announcements_opt_in=func.coalesce(opt_in, NetworkIdentity.announcements_opt_in),
        )
    )


def window_open(last: datetime | None, now: datetime) -> bool:
    """Within 24 hours of the person's last message: free-form messages may go."""
    if last is None:
        return False
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return (now - last).total_seconds() < WINDOW_HOURS * 3600


def wa_link(number: str, text: str) -> str:
    """https://wa.me/<number>?text=…: opens a chat with `number`, `text` already typed;
    without a number, WhatsApp's picker to forward `text` to any chat or group."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(text, safe='')}"


def deep_link(telegram_username: str, whatsapp_number: str, payload: str, address: int) -> str:
    """A link that starts the bot with `payload`, on the network of whoever gets it."""
    if network_of(address) is Network.WHATSAPP and whatsapp_number:
        return wa_link(whatsapp_number, payload)
    return f"https://t.me/{telegram_username}?start={payload}"


def resident_id_of(address: int) -> Any:
    """The id of the resident whose address this is, at home or linked (a subquery)."""
    linked = select(NetworkIdentity.resident_id).where(col(NetworkIdentity.address) == address)
    return (
        select(Resident.id)
        .where(or_(col(Resident.telegram_id) == address, col(Resident.id).in_(linked)))
        .limit(1)
        .scalar_subquery()
    )


async def addresses_of(session: AsyncSession, person: Resident) -> list[int]:
    """Every address of the person: their home address first, then linked ones."""
    linked = (
        await session.execute(
            select(NetworkIdentity.address).where(NetworkIdentity.resident_id == person.id)
        )
    ).scalars()
    return [person.telegram_id, *(a for a in linked if a != person.telegram_id)]


async def networks_of(session: AsyncSession, resident_id: int | None) -> set[Network]:
    addresses = (
        await session.execute(
            select(NetworkIdentity.address).where(NetworkIdentity.resident_id == resident_id)
        )
    ).scalars()
    return {network_of(address) for address in addresses}
