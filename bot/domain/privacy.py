"""What is stored about a person, generated from the schema: export and forget.

A person is referred to in four ways, all found from the schema:

* a column with a foreign key to ``resident.id``: forgetting follows the key's own
  ON DELETE rule — CASCADE rows are theirs and go (their conversations, memberships,
  scheduled messages, questions to coaches, coach areas), SET NULL rows lose the
  reference but keep their meaning (an RSVP or a poll vote stays a count);
* a chat id that is their Telegram id (``info={"person_chat": rule}`` on the column);
* a resident id inside JSON under one of PERSON_KEYS (audit details, outbox payloads,
  broadcast audiences); a row of a ``names_people: CASCADE`` column goes, elsewhere
  only the id goes;
* the audit log's subject ``resident:<id>`` (bot/domain/audit.py).

The export holds the rows that are theirs or about them, with every other person in
them replaced by "someone else". tests/test_privacy.py seeds a person everywhere,
forgets them and scans every column of every table for anything left of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

import storage.models  # noqa: F401  (registers every table on the metadata)
from bot.core import identities
from bot.domain import audit
from bot.domain.initiatives import members
from storage.models import AuditLog, Initiative, MemberRole, Membership, Resident, is_json
from storage.queries import table_of

CASCADE, SET_NULL = "CASCADE", "SET NULL"
# JSON keys whose value is a resident id (or a list of them).
PERSON_KEYS = frozenset({"coach_id", "previous_coach_id", "member_id", "recipients"})
SOMEONE_ELSE = "someone else"
# Not exported: the outbox's own key, made of ids (other people's too); the row's kind
# and payload say what it is.
NOT_EXPORTED = frozenset({("scheduled_message", "dedupe_key")})

Reference = tuple[sa.Table, sa.Column, str]


def person_references() -> list[Reference]:
    """(table, column, ON DELETE rule) for every column that points at a resident."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            for key in column.foreign_keys:
                if key.column.table.name == "resident":
                    found.append((table, column, (key.ondelete or "NO ACTION").upper()))
    return found


def person_chats() -> list[Reference]:
    """(table, column, rule) for every chat id that is a person's in a private chat."""
    return [
        (table, column, column.info["person_chat"])
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if "person_chat" in column.info
    ]


def json_columns() -> list[Reference]:
    """(table, column, rule) for every JSON column: where a resident id may hide."""
    return [
        (table, column, column.info.get("names_people", SET_NULL))
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if is_json(column.type)
    ]


def owners(table: sa.Table) -> list[sa.Column]:
    """The columns that make a row someone's own: it goes when they are forgotten."""
    return [column for t, column, rule in person_references() if t is table and rule == CASCADE]


def _parts_of(parent: sa.Table) -> list[tuple[sa.Table, sa.Column]]:
    """The columns whose rows go with a row of ``parent`` (ON DELETE CASCADE)."""
    return [
        (child, column)
        for child in SQLModel.metadata.sorted_tables
        for column in child.columns
        for key in column.foreign_keys
        if key.column.table is parent and (key.ondelete or "").upper() == CASCADE
    ]


def _map_people(value: Any, change: Callable[[Any], Any]) -> Any:
    """The JSON value with every resident id under PERSON_KEYS passed through ``change``."""
    if isinstance(value, dict):
        return {
            key: _person(inner, change) if key in PERSON_KEYS else _map_people(inner, change)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [_map_people(item, change) for item in value]
    return value


def _person(value: Any, change: Callable[[Any], Any]) -> Any:
    if isinstance(value, list):
        return [_person(item, change) for item in value]
    return None if value is None else change(value)


def _people_in(value: Any) -> Iterator[Any]:
    """The resident ids a JSON value holds under PERSON_KEYS."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in PERSON_KEYS:
                yield from inner if isinstance(inner, list) else [inner]
            else:
                yield from _people_in(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _people_in(item)


async def _rows_naming(
    session: AsyncSession, table: sa.Table, column: sa.Column, person_id: int
) -> list[sa.RowMapping]:
    # The text filter only narrows the rows down; _names decides.
    candidates = sa.select(table).where(sa.cast(column, sa.Text).like(f"%{person_id}%"))
    rows = (await session.execute(candidates)).mappings().all()
    return [row for row in rows if person_id in _people_in(row[column.name])]


def _where(table: sa.Table, row: sa.RowMapping) -> sa.ColumnElement[bool]:
    return sa.and_(*(column == row[column.name] for column in table.primary_key.columns))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _only_them(
    table: sa.Table, row: sa.RowMapping, person: Resident, addresses: list[int]
) -> dict[str, Any]:
    """The row as the person may see it: everyone else in it is "someone else"."""
    people = {column.name for t, column, _ in person_references() if t is table}
    chats = {column.name for t, column, _ in person_chats() if t is table}
    jsons = {column.name for t, column, _ in json_columns() if t is table}

    def other(ident: Any) -> Any:
        return ident if ident == person.id else SOMEONE_ELSE

    shown: dict[str, Any] = {}
    for name, value in row.items():
        if (table.name, name) in NOT_EXPORTED:
            continue
        if value is not None and name in people:
            value = other(value)
        elif value is not None and name in chats and value > 0 and value not in addresses:
            value = SOMEONE_ELSE  # another person's private chat (groups are negative)
        elif name in jsons:
            value = _map_people(value, other)
        shown[name] = _plain(value)
    return shown


async def export(session: AsyncSession, person: Resident) -> dict[str, Any]:
    """Everything stored about the person, and nothing about anyone else."""
    me = person.id or 0
    # Their private chat on every network they linked (bot/core/identities.py).
    addresses = await identities.addresses_of(session, person)
    tables: dict[str, dict[tuple, dict[str, Any]]] = {}

    def add(table: sa.Table, row: sa.RowMapping, why: str) -> None:
        key = tuple(row[c.name] for c in table.primary_key.columns)
        entry = tables.setdefault(table.name, {}).setdefault(
            key, _only_them(table, row, person, addresses) | {"_refers_to_you_by": []}
        )
        if why not in entry["_refers_to_you_by"]:
            entry["_refers_to_you_by"].append(why)

    async def collect(table: sa.Table, where: sa.ColumnElement[bool], why: str) -> list:
        rows = (await session.execute(sa.select(table).where(where))).mappings().all()
        for row in rows:
            add(table, row, why)
        return list(rows)

    owned: list[tuple[sa.Table, list[sa.RowMapping]]] = []
    for table, column, _rule in person_references():
        mine = {owner.name for owner in owners(table)}
        if mine and column.name not in mine:
            continue  # a row someone else owns (whom they invited, a question to them)
        rows = await collect(table, column == me, column.name)
        if column.name in mine:
            owned.append((table, rows))
    # What belongs to their rows: the coach's answers in their support threads.
    for parent, rows in owned:
        ids = [row[c.name] for row in rows for c in parent.primary_key.columns]
        for child, column in _parts_of(parent) if ids else ():
            await collect(child, column.in_(ids), f"{column.name} (yours)")
    for table, column, _rule in person_chats():
        await collect(table, column.in_(addresses), f"{column.name} (your chat)")
    for table, column, _rule in json_columns():
        for row in await _rows_naming(session, table, column, me):
            add(table, row, f"{column.name} (names you)")
    await collect(table_of(AuditLog), audit.about(me), "subject")
    return {
        "resident": {k: _plain(v) for k, v in person.model_dump().items()},
        "consents": {
            "store_name_and_postcode": _plain(person.consented_at),
            "announcements_from_coaches": person.announcements_opt_in,
            "reminders": _plain(person.reminders),
        },
        "tables": {name: list(rows.values()) for name, rows in sorted(tables.items())},
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


async def forget(
    session: AsyncSession, person: Resident, at: datetime, *, chats: bool = True
) -> None:
    """Delete the person and every reference to them; keep anonymous totals. Without
    `chats`, the rows of their private chats stay (a resident dissolved into another one
    when two networks are linked: the chats are the same person's)."""
    me = person.id or 0
    addresses = await identities.addresses_of(session, person) if chats else []
    await hand_over_initiatives(session, person, at)
    for table, column, rule in json_columns():
        for row in await _rows_naming(session, table, column, me):
            if rule == CASCADE:
                await session.execute(sa.delete(table).where(_where(table, row)))
            else:
                kept = _map_people(row[column.name], lambda ident: None if ident == me else ident)
                await session.execute(
                    sa.update(table).where(_where(table, row)).values({column.name: kept})
                )
    await audit.forget_subject(session, me)
    for table, column, rule in person_chats() if addresses else ():
        if rule == SET_NULL:
            await session.execute(
                sa.update(table).where(column.in_(addresses)).values({column.name: None})
            )
        else:
            await session.execute(sa.delete(table).where(column.in_(addresses)))
    for table, column, rule in person_references():
        if rule == SET_NULL:
            await session.execute(sa.update(table).where(column == me).values({column.name: None}))
        else:
            await session.execute(sa.delete(table).where(column == me))
    await session.execute(sa.delete(Resident).where(col(Resident.id) == me))
