"""Outcomes counted where they happen, and what they add up to for an initiative.

The after-action review asks the kit's own questions (``[[outcomes]]`` in the kit TOML)
and stores one row per action and quantity: reporting back again replaces the numbers,
so nothing is counted twice. A door-to-door round is entered by an initiator as a tally
("12 households said yes at the door"): rows of their own, per round. The impact of the
totals is computed by ``bot.domain.impact`` with the initiative's factor set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.core.understand import parse_count
from bot.domain.impact import COUNTED, Impact, compute
from bot.domain.impact import FactorSet as FactorSet
from bot.domain.impact.quantities import QUANTITIES
from bot.i18n import Safe, Texts
from storage.models import Action, Outcome, OutcomeSource

OUTCOME_MAX = 10_000_000
# Unit words typed after the number: "340 tegels", "12 m2", "4000 wp", "€ 1800".
_UNIT_SIGNS = re.compile(r"[€]|m[²2³3]|\bk?wh?p?\b", re.IGNORECASE)


def parse_amount(typed: str) -> int | None:
    """A whole number ≥ 0 as people type an amount: "340", "340 tegels", "ongeveer 30 m2",
    "€ 1.800", "twaalf". None when it is not one number ("2-3", "veel")."""
    text = _UNIT_SIGNS.sub(" ", typed).strip()
    number = parse_count(text)
    if number is None:
        words = text.split()
        # "340 tegels", "12 huizen": a number, then words only (the unit).
        if len(words) >= 2 and words[0].replace(".", "").isdigit():
            if all(re.fullmatch(r"[^\W\d_]+", word) for word in words[1:]):
                number = parse_count(words[0])
    if number is None or number > OUTCOME_MAX:
        return None
    return number


async def save_review(
    session: AsyncSession,
    action: Action,
    values: Mapping[str, int],
    *,
    by_id: int | None,
    now: datetime,
) -> None:
    """The review's numbers for this action, replacing any it had."""
    await session.execute(
        delete(Outcome).where(
            Outcome.action_id == action.id,  # type: ignore[arg-type]
            Outcome.source == OutcomeSource.REVIEW,  # type: ignore[arg-type]
        )
    )
    for key, value in values.items():
        if key in QUANTITIES and isinstance(value, int) and 0 <= value <= OUTCOME_MAX:
            session.add(
                Outcome(
                    initiative_id=action.initiative_id,
                    action_id=action.id,
                    key=key,
                    value=value,
                    source=OutcomeSource.REVIEW,
                    recorded_by_id=by_id,
                    recorded_at=now,
                )
            )


def add_door_tally(
    session: AsyncSession,
    initiative_id: int,
    action_id: int | None,
    *,
    visited: int | None,
    yes: int,
    by_id: int | None,
    now: datetime,
) -> None:
    """One door-to-door round: how many households were visited (if counted) and said yes."""
    for key, value in (("door_visited", visited), ("door_yes", yes)):
        if value is not None:
            session.add(
                Outcome(
                    initiative_id=initiative_id,
                    action_id=action_id,
                    key=key,
                    value=value,
                    source=OutcomeSource.DOOR,
                    recorded_by_id=by_id,
                    recorded_at=now,
                )
            )


async def rows_of(
    session: AsyncSession,
    initiative_ids: Iterable[int],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Outcome]:
    ids = list(initiative_ids)
    if not ids:
        return []
    query = select(Outcome).where(Outcome.initiative_id.in_(ids))  # type: ignore[attr-defined]
    if since is not None:
        query = query.where(Outcome.recorded_at >= since)
    if until is not None:
        query = query.where(Outcome.recorded_at < until)
    return list((await session.execute(query.order_by(Outcome.id))).scalars())  # type: ignore[arg-type]


def grouped(rows: Iterable[Outcome]) -> list[dict[str, int]]:
    """The rows as bot.domain.impact reads them: the review's numbers per action, each door
    round (one moment, one person) on its own."""
    groups: dict[tuple[object, ...], dict[str, int]] = {}
    for row in rows:
        if row.source is OutcomeSource.REVIEW:
            group: tuple[object, ...] = ("review", row.action_id)
        else:
            group = ("door", row.action_id, row.recorded_by_id, row.recorded_at)
        values = groups.setdefault(group, {})
        values[row.key] = values.get(row.key, 0) + row.value
    return list(groups.values())


async def impact_of(
    session: AsyncSession, initiative_id: int, factors: FactorSet | None = None
) -> Impact:
    return compute(grouped(await rows_of(session, [initiative_id])), factors)


def grouped_sum(rows: Iterable[Outcome]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for row in rows:
        summed[row.key] = summed.get(row.key, 0) + row.value
    return summed


def number(texts: Texts, value: float) -> str:
    """Whole numbers, as people say them; a small estimate keeps one decimal."""
    if value >= 10 or float(value).is_integer():
        return texts.number(round(value))
    return texts.number(round(value, 1))


def impact_lines(texts: Texts, impact: Impact) -> list[Safe]:
    """What the initiative achieved, for the card and the celebration: the tiles first
    ("Together 340 tiles out: about 31 m² green"), then every other count, then the
    estimates, each saying it is an estimate."""
    counted = impact.counted
    lines: list[Safe] = []
    tiles = counted.get("tiles_removed", 0)
    greened = counted.get("m2_greened", 0)
    from_tiles = impact.figure("m2_from_tiles")
    estimated_m2 = from_tiles.value if from_tiles else 0.0
    if tiles:
        if greened and not estimated_m2:
            lines.append(
                texts._(
                    "Together {tiles} tiles out: {m2} m² green.",
                    tiles=texts.number(tiles),
                    m2=texts.number(greened),
                )
            )
        else:
            lines.append(
                texts._(
                    "Together {tiles} tiles out: about {m2} m² green.",
                    tiles=texts.number(tiles),
                    m2=number(texts, estimated_m2 + greened),
                )
            )
    for key, value in counted.items():
        if key in ("tiles_removed", "m2_greened") and tiles:
            continue
        if value and key in QUANTITIES:
            quantity = QUANTITIES[key]
            lines.append(
                texts._(
                    "{label}: {n} {unit}",
                    label=texts._(quantity.label),
                    n=texts.number(value),
                    unit=texts._(quantity.unit),
                )
            )
    co2 = impact.figure("co2_year")
    if co2 is not None and co2.basis != COUNTED:
        lines.append(
            texts._(
                "About {co2} t CO₂ less per year (estimated from the measures).",
                co2=number(texts, co2.value),
            )
        )
    return lines
