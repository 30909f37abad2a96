"""The initiative domain shared by every flow: who is in it, in which role,
what happened lately. Flows use these instead of writing their own queries."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Activity, ActivityKind, Initiative, MemberRole, Membership, Resident

INVITE_TOKEN_BYTES = 12  # 16 URL-safe characters: unguessable, short enough for a deep link


def new_invite_token() -> str:
    return secrets.token_urlsafe(INVITE_TOKEN_BYTES)


async def get_initiative(session: AsyncSession, initiative_id: int | None) -> Initiative | None:
    if initiative_id is None:
        return None
    return await session.get(Initiative, initiative_id)


async def by_invite_token(session: AsyncSession, token: str) -> Initiative | None:
    result = await session.execute(select(Initiative).where(Initiative.invite_token == token))
    return result.scalar_one_or_none()


async def membership(
    session: AsyncSession, initiative_id: int, resident_id: int
) -> Membership | None:
    result = await session.execute(
        select(Membership).where(
            Membership.initiative_id == initiative_id, Membership.resident_id == resident_id
        )
    )
    return result.scalar_one_or_none()


async def initiatives_of(
    session: AsyncSession, resident_id: int
) -> list[tuple[Initiative, Membership]]:
    """The person's initiatives, the most recently active first."""
    result = await session.execute(
        select(Initiative, Membership)
        .join(Membership, col(Membership.initiative_id) == col(Initiative.id))
        .where(Membership.resident_id == resident_id)
        .order_by(col(Initiative.last_activity_at).desc(), col(Initiative.id).desc())
    )
    return [(initiative, member) for initiative, member in result.all()]


async def members(
    session: AsyncSession, initiative_id: int, roles: Iterable[MemberRole] | None = None
) -> list[tuple[Membership, Resident]]:
    query = (
        select(Membership, Resident)
        .join(Resident, col(Resident.id) == col(Membership.resident_id))
        .where(Membership.initiative_id == initiative_id)
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    if roles is not None:
        query = query.where(col(Membership.role).in_(list(roles)))
    return [(member, resident) for member, resident in (await session.execute(query)).all()]


async def initiators(session: AsyncSession, initiative_id: int) -> list[Resident]:
    return [
        resident for _, resident in await members(session, initiative_id, [MemberRole.INITIATOR])
    ]


async def team(session: AsyncSession, initiative_id: int) -> list[tuple[Membership, Resident]]:
    """Initiators and team members: the people who organise (followers only follow)."""
    return await members(session, initiative_id, [MemberRole.INITIATOR, MemberRole.TEAM])


def record_activity(
    session: AsyncSession,
    initiative: Initiative,
    kind: ActivityKind,
    at: datetime,
    resident_id: int | None = None,
) -> None:
    """Something happened: the initiative is not quiet, and its coach can see what."""
    initiative.last_activity_at = at
    session.add(
        Activity(initiative_id=initiative.id or 0, kind=kind, resident_id=resident_id, at=at)
    )
