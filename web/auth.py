"""Logging in to the web console without passwords, sessions and who someone is there.

A coach or programme manager asks the bot (``/web``) and gets a one-time link, valid for
``LINK_MINUTES``; ``buurbot web login-link --operator`` prints one for the operator. Only
the SHA-256 of a token is stored (a copy of the database lets nobody in). Opening the
link shows a page with a "log in" button — link previews (Telegram fetches links) do not
use it up; the button's POST does, once. A session cookie lives ``web_session_hours``.

What a viewer may see is read from the database at every request (``Viewer.load``): a
coach who stopped, or a manager removed from an organisation, sees less at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.programmes import manager_organisations
from storage.models import PersonRole, Resident, WebLogin, WebSession

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


class LoginProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


async def check_login(session: AsyncSession, token: str, now: datetime) -> WebLogin | LoginProblem:
    row = (
        await session.execute(select(WebLogin).where(WebLogin.token_hash == digest(token)))
    ).scalar_one_or_none()
    if row is None:
        return LoginProblem.UNKNOWN
    if row.used_at is not None:
        return LoginProblem.USED
    if row.expires_at <= now:
        return LoginProblem.EXPIRED
    return row


async def use_login(
    session: AsyncSession, token: str, now: datetime, *, hours: int, language: str
) -> tuple[str, WebSession] | LoginProblem:
    """The link is used up (once: a second POST finds it used) and a session begins."""
    found = await check_login(session, token, now)
    if isinstance(found, LoginProblem):
        return found
    # Taken only if nobody took it in the meantime (two tabs, two processes).
    taken = await session.execute(
        sa.update(WebLogin)
        .where(WebLogin.id == found.id, WebLogin.used_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(used_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return LoginProblem.USED
    cookie = secrets.token_urlsafe(TOKEN_BYTES)
    row = WebSession(
        token_hash=digest(cookie),
        resident_id=found.resident_id,
        operator=found.operator,
        csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
        language=language,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    await session.flush()
    return cookie, row


async def load_session(
    session: AsyncSession, cookie: str | None, now: datetime
) -> WebSession | None:
    if not cookie:
        return None
    row = (
        await session.execute(select(WebSession).where(WebSession.token_hash == digest(cookie)))
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return row


async def end_sessions_of(session: AsyncSession, resident_id: int | None, now: datetime) -> None:
    if resident_id is None:
        return
    await session.execute(
        sa.update(WebSession)
        .where(WebSession.resident_id == resident_id, WebSession.ended_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(ended_at=now)
    )


@dataclass
class Viewer:
    """Who is looking, as the database says now."""

    web_session: WebSession
    person: Resident | None
    operator: bool
    coach: bool
    organisations: list[str] = field(default_factory=list)

    @property
    def resident_id(self) -> int | None:
        return self.person.id if self.person is not None else None

    @property
    def manager(self) -> bool:
        return bool(self.organisations)

    @property
    def may_use_console(self) -> bool:
        return self.operator or self.coach or self.manager

    @classmethod
    async def load(cls, session: AsyncSession, row: WebSession) -> Viewer:
        person = await session.get(Resident, row.resident_id) if row.resident_id else None
        operator = row.operator or (person is not None and person.role is PersonRole.OPERATOR)
        coach = person is not None and person.role in (PersonRole.COACH, PersonRole.OPERATOR)
        organisations = await manager_organisations(session, row.resident_id)
        return cls(row, person, operator, coach, organisations)


async def may_have_link(session: AsyncSession, person: Resident) -> bool:
    """Who the bot gives a login link: coaches, operators and programme managers."""
    if person.role in (PersonRole.COACH, PersonRole.OPERATOR):
        return True
    return bool(await manager_organisations(session, person.id))
