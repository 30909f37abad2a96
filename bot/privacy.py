"""What is stored about a person, generated from the schema: export and forget.

Every column with a foreign key to `resident.id` is a person reference. The
export collects the rows behind each one; forgetting follows each key's own
ON DELETE rule — CASCADE rows are deleted (their conversations, memberships,
scheduled messages, questions to coaches), SET NULL rows lose the reference
but keep their meaning (an RSVP stays a count). New tables are covered the day
they are added; tests/test_privacy.py checks that no reference survives.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401  (registers every table on the metadata)
from bot.initiatives import members
from storage.models import (
    Initiative,
    MemberRole,
    Membership,
    Resident,
    SentMessage,
)


def person_references() -> list[tuple[sa.Table, sa.Column, str]]:
    """(table, column, ON DELETE rule) for every column that points at a resident."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            for key in column.foreign_keys:
                if key.column.table.name == "resident":
                    found.append((table, column, (key.ondelete or "NO ACTION").upper()))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


async def export(session: AsyncSession, person: Resident) -> dict[str, Any]:
    tables: dict[str, dict[tuple, dict[str, Any]]] = {}
    for table, column, _rule in person_references():
        rows = (await session.execute(sa.select(table).where(column == person.id))).mappings()
        for row in rows:
            key = tuple(row[c.name] for c in table.primary_key.columns)
            entry = tables.setdefault(table.name, {}).setdefault(
                key,
                {name: _plain(value) for name, value in row.items()} | {"_refers_to_you_by": []},
            )
            entry["_refers_to_you_by"].append(column.name)
    private_messages = (
        await session.execute(select(SentMessage).where(SentMessage.chat_id == person.telegram_id))
    ).scalars()
    for message in private_messages:
        tables.setdefault("sent_message", {})[(message.id,)] = {
            k: _plain(v) for k, v in message.model_dump().items()
        }
    return {
        "resident": {k: _plain(v) for k, v in person.model_dump().items()},
        "consents": {
            "store_name_and_postcode": _plain(person.consented_at),
            "announcements_from_coaches": person.announcements_opt_in,
            "reminders": _plain(person.reminders),
        },
        "tables": {name: list(rows.values()) for name, rows in tables.items()},
    }


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode()


async def hand_over_initiatives(session: AsyncSession, person: Resident, at: datetime) -> None:
    """Before someone leaves: an initiative they started gets a new initiator from its
    team, or is flagged for its coach when nobody is left to take it on."""
    memberships = (
        await session.execute(
            select(Membership).where(
                Membership.resident_id == person.id, Membership.role == MemberRole.INITIATOR
            )
        )
    ).scalars()
    for membership in list(memberships):
        others = [
            (member, resident)
            for member, resident in await members(session, membership.initiative_id)
            if resident.id != person.id
        ]
        if any(member.role is MemberRole.INITIATOR for member, _ in others):
            continue
        successor = next((m for m, _ in others if m.role is MemberRole.TEAM), None)
        initiative = await session.get(Initiative, membership.initiative_id)
        if initiative is None:
            continue
        if successor is not None:
            successor.role = MemberRole.INITIATOR
        else:
            initiative.coach_attention = "initiator_left"
        initiative.last_activity_at = at


async def forget(session: AsyncSession, person: Resident, at: datetime) -> None:
    """Delete the person and every reference to them; keep anonymous totals."""
    await hand_over_initiatives(session, person, at)
    for table, column, rule in person_references():
        if rule == "SET NULL":
            await session.execute(
                sa.update(table).where(column == person.id).values({column.name: None})
            )
        else:
            await session.execute(sa.delete(table).where(column == person.id))
    await session.execute(sa.delete(SentMessage).where(SentMessage.chat_id == person.telegram_id))
    await session.execute(sa.delete(Resident).where(Resident.id == person.id))
