"""People on two networks: one resident behind a Telegram and a WhatsApp identity."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.identities import networks_of
from bot.core.seam import network_of
from storage.models import LinkAttempt, LinkCode, NetworkIdentity, Resident

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
    from bot.domain.privacy import person_references

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
    from bot.domain.privacy import forget

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
