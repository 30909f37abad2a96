"""People's identities per network, and the links that bring someone to the bot there.

A resident is one person; each network they use is a `NetworkIdentity`. The core knows a
person (and their private chat) by an *address*: on Telegram their user id, on WhatsApp a
random number from `WHATSAPP_BASE` up that this module gives out for a phone number (so a
phone number never becomes an id in a log, a button or a table other than this one).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.seam import WHATSAPP_BASE, Network, network_of
from storage.models import LinkAttempt, LinkCode, NetworkIdentity, Resident
from storage.queries import insert_ignore

__all__ = [
    "LinkOutcome",
    "Linked",
    "address_for",
    "addresses_of",
    "claim",
    "deep_link",
    "external_id_of",
    "issue_code",
    "networks_of",
    "record_inbound",
    "redeem",
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
    await session.execute(
        update(NetworkIdentity)
        .where(col(NetworkIdentity.address) == address, col(NetworkIdentity.resident_id).is_(None))
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


async def last_inbound(session: AsyncSession, address: int) -> datetime | None:
    return (
        await session.execute(
            select(NetworkIdentity.last_inbound_at).where(col(NetworkIdentity.address) == address)
        )
    ).scalar_one_or_none()


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


# --- people on two networks ---------------------------------------------------------------
#
# A person who uses Buurbot on Telegram and on WhatsApp links the two: on one network they
# get a one-time code (`issue_code`), on the other they type it (`redeem`). Then both
# identities point at one resident. The core still knows the resident by one *home*
# address (`Resident.telegram_id`): scheduled messages go there; a reply goes to the chat
# the person wrote in. The engine finds the resident by any of their addresses
# (`resident_id_of`).

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=15)
# Wrong codes someone may type in an hour before they are refused for that hour.
MAX_WRONG = 5
WRONG_WINDOW = timedelta(hours=1)
# Rows about a resident that are not "data" when deciding whether two residents can be one:
# their bookkeeping (conversation state, identities, codes, what is queued for them).
_BOOKKEEPING = frozenset(
    {"conversation", "network_identity", "link_code", "link_attempt", "scheduled_message"}
)


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


def _hash(code: str) -> str:
    return hashlib.sha256(f"buurbot-link:{code}".encode()).hexdigest()


def code_digits(typed: str) -> str | None:
    """The code in what someone typed ("123 456", "123-456"): six digits, else None."""
    digits = "".join(ch for ch in typed if ch.isdigit())
    rest = "".join(ch for ch in typed if not ch.isdigit() and ch not in " -.")
    return digits if len(digits) == CODE_DIGITS and not rest else None


async def issue_code(session: AsyncSession, person: Resident, address: int, now: datetime) -> str:
    """A new one-time code for `person`, given on `address`'s network; their earlier
    codes stop working. Only its hash is stored."""
    await session.execute(delete(LinkCode).where(col(LinkCode.resident_id) == person.id))
    await session.execute(
        delete(LinkCode).where(col(LinkCode.expires_at) < now - timedelta(days=1))
    )
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        live = await session.execute(
            select(LinkCode.id).where(
                LinkCode.code_hash == _hash(code),
                col(LinkCode.used_at).is_(None),
                LinkCode.expires_at > now,
            )
        )
        if live.first() is None:  # not another person's code at this moment
            break
    session.add(
        LinkCode(
            resident_id=person.id,
            address=address,
            code_hash=_hash(code),
            created_at=now,
            expires_at=now + CODE_VALID,
        )
    )
    return code


class LinkOutcome(StrEnum):
    LINKED = "linked"
    NOT_A_CODE = "not_a_code"  # not six digits
    TOO_MANY = "too_many"  # too many wrong codes this hour
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    SAME_NETWORK = "same_network"  # their own code, typed where they got it
    ALREADY = "already"  # this identity is theirs already
    TAKEN = "taken"  # one side is linked to someone else's other network already
    BOTH_HAVE_DATA = "both_have_data"


@dataclass(frozen=True, slots=True)
class Linked:
    outcome: LinkOutcome
    # When linked: who the person is from now on, and the address the code was given on.
    resident: Resident | None = None
    other_address: int | None = None
    # The resident who typed the code is gone (joined the one who gave it).
    typer_dissolved: bool = False


async def has_data(session: AsyncSession, resident_id: int | None) -> bool:
    """Whether anything is about this resident beyond their bookkeeping: initiatives,
    answers, questions, roles…"""
    from bot.privacy import person_references

    for table, column, _rule in person_references():
        if table.name in _BOOKKEEPING:
            continue
        found = await session.execute(select(column).where(column == resident_id).limit(1))
        if found.first() is not None:
            return True
    return False


async def _wrong(session: AsyncSession, person: Resident, now: datetime) -> None:
    session.add(LinkAttempt(resident_id=person.id, at=now))


async def redeem(
    session: AsyncSession, typer: Resident, address: int, typed: str, now: datetime
) -> Linked:
    """`typer`, writing on `address`, typed a code: link their identity there to the
    resident who got the code on the other network.

    Two residents become one only when at most one of them has data (initiatives,
    answers…): the one without it is dissolved into the other (its identity re-pointed,
    the rest deleted as by forget). Both with data: refused, nothing merged."""
    digits = code_digits(typed)
    if digits is None:
        return Linked(LinkOutcome.NOT_A_CODE)
    wrong = (
        await session.execute(
            select(func.count())
            .select_from(LinkAttempt)
            .where(LinkAttempt.resident_id == typer.id, LinkAttempt.at > now - WRONG_WINDOW)
        )
    ).scalar_one()
    if wrong >= MAX_WRONG:
        return Linked(LinkOutcome.TOO_MANY)
    rows = (
        await session.execute(
            select(LinkCode)
            .where(LinkCode.code_hash == _hash(digits))
            .order_by(col(LinkCode.created_at).desc())
        )
    ).scalars()
    code = next(iter(rows), None)
    here = network_of(address)
    if code is None or (network_of(code.address) is here and code.resident_id != typer.id):
        await _wrong(session, typer, now)
        return Linked(LinkOutcome.UNKNOWN)
    if network_of(code.address) is here:
        return Linked(LinkOutcome.SAME_NETWORK)
    if code.used_at is not None:
        await _wrong(session, typer, now)
        return Linked(LinkOutcome.USED)
    expires = code.expires_at if code.expires_at.tzinfo else code.expires_at.replace(tzinfo=UTC)
    if expires <= now:
        await _wrong(session, typer, now)
        return Linked(LinkOutcome.EXPIRED)
    giver = await session.get(Resident, code.resident_id)
    if giver is None:
        await _wrong(session, typer, now)
        return Linked(LinkOutcome.UNKNOWN)
    if giver.id == typer.id:
        return Linked(LinkOutcome.ALREADY)
    if here in await networks_of(session, giver.id) or network_of(code.address) in (
        await networks_of(session, typer.id)
    ):
        return Linked(LinkOutcome.TAKEN)
    giver_data, typer_data = await has_data(session, giver.id), await has_data(session, typer.id)
    if giver_data and typer_data:
        return Linked(LinkOutcome.BOTH_HAVE_DATA)
    code.used_at = now
    if typer_data:  # the giver has nothing yet: their identity joins the typer
        keep, dissolve, joining = typer, giver, code.address
    else:
        keep, dissolve, joining = giver, typer, address
    await _join(session, keep, dissolve, joining, now)
    if dissolve is giver:
        session.expunge(giver)  # its row is gone (the typer's: the engine lets go of it)
    return Linked(
        LinkOutcome.LINKED,
        resident=keep,
        other_address=code.address,
        typer_dissolved=dissolve is typer,
    )


async def _join(
    session: AsyncSession, keep: Resident, dissolve: Resident, address: int, now: datetime
) -> None:
    """The identity at `address` is `keep`'s from now; `dissolve` (without data) goes, as
    forgetting would take them, but the rows of their private chat stay (the same
    person's, now `keep`'s: export and forget of `keep` cover every address)."""
    from bot.privacy import forget

    await session.execute(
        update(NetworkIdentity)
        .where(col(NetworkIdentity.address) == address)
        .values(
            resident_id=keep.id,
            # Typing the code on this network was their yes here: consent, per network.
            consented_at=keep.consented_at and now,
            announcements_opt_in=False,
        )
    )
    await session.execute(delete(LinkCode).where(col(LinkCode.resident_id) == dissolve.id))
    await forget(session, dissolve, now, chats=False)
