"""The web console's one-time login links, and who gets one (web/auth.py checks and uses
them; the bot's /web and `buurbot web login-link` hand them out)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.programmes import manager_organisations
from storage.models import PersonRole, Resident, WebLogin

LINK_MINUTES = 15
TOKEN_BYTES = 32


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_url(settings: Any, token: str) -> str:
    return f"{settings.web_url.rstrip('/')}/login/{token}"


async def issue_login(
    session: AsyncSession,
    settings: Any,
    *,
    resident_id: int | None,
    operator: bool,
    now: datetime,
) -> str:
    """A new one-time link (its URL); only its hash is kept."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebLogin(
            token_hash=digest(token),
            resident_id=resident_id,
            operator=operator,
            created_at=now,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
    )
    await session.flush()
    return login_url(settings, token)


async def may_have_link(session: AsyncSession, person: Resident) -> bool:
    """Who the bot gives a login link: coaches, operators and programme managers."""
    if person.role in (PersonRole.COACH, PersonRole.OPERATOR):
        return True
    return bool(await manager_organisations(session, person.id))
