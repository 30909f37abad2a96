"""The audit log of coach and operator actions (phase corrections, broadcasts,
role changes, exports): who did what, to what, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog


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
