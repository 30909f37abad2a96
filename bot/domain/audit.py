"""The audit log of coach and operator actions (phase corrections, broadcasts,
role changes, exports): who did what, to what, when.

A person is named in it only as a reference bot/domain/privacy.py can find: ``actor_id``
(a foreign key), the subject ``resident:<id>``, and the details' PERSON_KEYS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import AuditLog

# The subject of an entry about a resident is ``resident:<id>``; once they are
# forgotten only ``resident`` stays (that a coach was added, not who).
RESIDENT_SUBJECT = "resident"


def audit(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    subject: str = "",
    at: datetime,
    **details: Any,
) -> None:
    session.add(AuditLog(actor_id=actor_id, action=action, subject=subject, details=details, at=at))


def about(resident_id: int | None) -> sa.ColumnElement[bool]:
    """The entries whose subject is this resident."""
    return col(AuditLog.subject) == f"{RESIDENT_SUBJECT}:{resident_id}"


async def forget_subject(session: AsyncSession, resident_id: int | None) -> None:
    await session.execute(
        sa.update(AuditLog).where(about(resident_id)).values(subject=RESIDENT_SUBJECT)
    )
