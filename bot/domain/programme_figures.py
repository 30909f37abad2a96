"""A programme's figures for a period, each with its one definition
(``bot.domain.programmes.METRICS``). A period that has ended is frozen in
``programme_snapshot`` (``frozen_figures``), so a past period's numbers never drift.
Counts under ``SMALL`` are shown as "< 5" (``shown_count``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.coaches import is_stalled
from bot.domain.programmes import PHASE_ORDER, SMALL, Period, districts, initiatives_of
from bot.domain.stall import quiet_of
from storage.models import (
    Action,
    ActionStatus,
    MemberRole,
    Membership,
    Phase,
    Programme,
    ProgrammeSnapshot,
    Resident,
    SupportRequest,
)


@dataclass
class Figures:
    """A programme's figures over a period: plain data, as JSON in a snapshot."""

    period_from: str
    period_to: str
    computed_at: str
    frozen: bool
    values: dict[str, int]
    # Initiatives that reached at least each phase (the funnel), by phase value.
    funnel: dict[str, int]
    # Per week (its Monday): initiatives started, actions held, people at actions.
    weeks: list[dict[str, Any]]
    # Per district: label, households known, initiatives, reached, committed.
    districts: list[dict[str, Any]]
    # Per coach: name, initiatives, open support requests.
    coaches: list[dict[str, Any]]
    # Stalled initiatives: id, title, days quiet (at the moment of computing).
    stalled: list[dict[str, Any]]
    # Per initiative: id, title, phase (for the list on the dashboard).
    initiatives: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "period_from": self.period_from,
            "period_to": self.period_to,
            "computed_at": self.computed_at,
            "frozen": self.frozen,
            "values": self.values,
            "funnel": self.funnel,
            "weeks": self.weeks,
            "districts": self.districts,
            "coaches": self.coaches,
            "stalled": self.stalled,
            "initiatives": self.initiatives,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Figures:
        return cls(**{key: value[key] for key in cls.__dataclass_fields__})


async def figures(
    session: AsyncSession,
    programme: Programme,
    period: Period,
    now: datetime,
    tz: ZoneInfo,
    *,
    quiet_days: int = 14,
) -> Figures:
    """The programme's figures over the period, computed from the database now."""
    first, after = period.bounds(tz)
    initiatives = await initiatives_of(session, programme, period, tz)
    ids = [initiative.id or 0 for initiative in initiatives]
    held: list[Action] = []
    if ids:
        held = list(
            (
                await session.execute(
                    select(Action).where(
                        Action.initiative_id.in_(ids),  # type: ignore[attr-defined]
                        Action.status == ActionStatus.HELD,
                        Action.starts_at >= first,
                        Action.starts_at < after,
                    )
                )
            )
            .scalars()
            .all()
        )
    started = [i for i in initiatives if i.created_at >= first]
    values = {
        "initiatives_started": len(started),
        "initiatives_active": len(initiatives),
        "households_reached": sum(i.households_reached for i in initiatives),
        "households_interested": sum(i.households_interested for i in initiatives),
        "households_committed": sum(i.households_committed for i in initiatives),
        "actions_held": len(held),
        "turnout": sum(action.attended or 0 for action in held),
    }
    reached = Counter(PHASE_ORDER[i.phase] for i in initiatives)
    funnel = {
        phase.value: sum(n for order, n in reached.items() if order >= PHASE_ORDER[phase])
        for phase in Phase
    }
    mondays = period.weeks()
    starts = [datetime.combine(monday, time(0), tz).astimezone(UTC) for monday in mondays]
    per_week: list[Counter[str]] = [Counter() for _ in mondays]
    for moment, key, amount in [(i.created_at, "initiatives_started", 1) for i in started] + [
        (a.starts_at, key, amount)
        for a in held
        for key, amount in (("actions_held", 1), ("turnout", a.attended or 0))
    ]:
        week = bisect_right(starts, moment) - 1
        if 0 <= week < len(mondays):
            per_week[week][key] += amount
    weeks = [
        {
            "week": monday.isoformat(),
            "initiatives_started": counts["initiatives_started"],
            "actions_held": counts["actions_held"],
            "turnout": counts["turnout"],
        }
        for monday, counts in zip(mondays, per_week, strict=True)
    ]
    per_district = []
    for district in districts(programme):
        inside = [i for i in initiatives if district.area.contains(i)]
        per_district.append(
            {
                "label": district.label(),
                "households": district.households,
                "initiatives": len(inside),
                "households_reached": sum(i.households_reached for i in inside),
                "households_committed": sum(i.households_committed for i in inside),
            }
        )
    coaches: list[dict[str, Any]] = []
    stalled: list[dict[str, Any]] = []
    if ids:
        waiting = Counter(
            dict(
                (
                    await session.execute(
                        select(SupportRequest.initiative_id, func.count())
                        .where(
                            SupportRequest.initiative_id.in_(ids),  # type: ignore[attr-defined]
                            SupportRequest.answered_at.is_(None),  # type: ignore[union-attr]
                        )
                        .group_by(SupportRequest.initiative_id)  # type: ignore[arg-type]
                    )
                ).all()
            )
        )
        load: Counter[int | None] = Counter(i.coach_id for i in initiatives)
        open_by_coach: Counter[int | None] = Counter()
        for initiative in initiatives:
            open_by_coach[initiative.coach_id] += waiting.get(initiative.id or 0, 0)
        people = {
            person.id: person
            for person in (
                await session.execute(
                    select(Resident).where(
                        Resident.id.in_([c for c in load if c is not None])  # type: ignore[union-attr]
                    )
                )
            ).scalars()
        }
        for coach_id, count in sorted(load.items(), key=lambda item: (-item[1], item[0] or 0)):
            person = people.get(coach_id) if coach_id is not None else None
            coaches.append(
                {
                    # A coach's name is what residents read on their announcements.
                    "coach": person.display_name if person is not None else None,
                    "initiatives": count,
                    "open_requests": open_by_coach.get(coach_id, 0),
                }
            )
        # The one reading of "stalled" (bot/domain/stall.py), as the coach's overview has it.
        quiet = await quiet_of(session, initiatives, now)
        for initiative in initiatives:
            spell = quiet[initiative.id or 0]
            if is_stalled(initiative, spell, quiet_days):
                stalled.append(
                    {"id": initiative.id, "title": initiative.title, "quiet_days": spell.days}
                )
        stalled.sort(key=lambda item: -item["quiet_days"])
    return Figures(
        period_from=period.start.isoformat(),
        period_to=period.end.isoformat(),
        computed_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        frozen=False,
        values=values,
        funnel=funnel,
        weeks=weeks,
        districts=per_district,
        coaches=coaches,
        stalled=stalled,
        initiatives=[
            {"id": i.id, "title": i.title, "phase": i.phase.value, "place": i.place}
            for i in initiatives
        ],
    )


async def frozen_figures(
    session: AsyncSession,
    programme: Programme,
    period: Period,
    now: datetime,
    tz: ZoneInfo,
    *,
    quiet_days: int = 14,
) -> Figures:
    """The figures of the period; a period that has ended is computed once and kept, so
    the same question about the past always gets the same answer."""
    today = now.astimezone(tz).date()
    if not period.closed(today):
        return await figures(session, programme, period, now, tz, quiet_days=quiet_days)
    snapshot = (
        await session.execute(
            select(ProgrammeSnapshot).where(
                ProgrammeSnapshot.programme_id == programme.id,
                ProgrammeSnapshot.period_from == period.start,
                ProgrammeSnapshot.period_to == period.end,
            )
        )
    ).scalar_one_or_none()
    if snapshot is not None:
        return Figures.from_json(snapshot.figures)
    found = await figures(session, programme, period, now, tz, quiet_days=quiet_days)
    found.frozen = True
    try:
        async with session.begin_nested():
            session.add(
                ProgrammeSnapshot(
                    programme_id=programme.id or 0,
                    period_from=period.start,
                    period_to=period.end,
                    figures=found.as_json(),
                    taken_at=now,
                )
            )
    except IntegrityError:
        # Another request froze it a moment ago: theirs is the one kept, and shown.
        return await frozen_figures(session, programme, period, now, tz, quiet_days=quiet_days)
    return found


def shown_count(value: int | None) -> str:
    """A count as programme views and exports show it: under 5 only as "< 5"."""
    if value is None:
        return "–"
    return f"< {SMALL}" if 0 < value < SMALL else str(value)


async def freeze_closed_periods(
    session: AsyncSession, now: datetime, tz: ZoneInfo, *, quiet_days: int = 14
) -> int:
    """Freeze every programme's whole period and every month of it that has ended (the
    web console does this every hour, so what is shown later is what was true then);
    returns how many closed periods are frozen now."""
    today = now.astimezone(tz).date()
    done = 0
    programmes = (await session.execute(select(Programme))).scalars().all()
    for programme in programmes:
        for period in [Period.of(programme), *months(Period.of(programme))]:
            if period.closed(today):
                await frozen_figures(session, programme, period, now, tz, quiet_days=quiet_days)
                done += 1
    return done


def months(period: Period) -> list[Period]:
    """The calendar months of a period, cut to it."""
    found = []
    first = period.start.replace(day=1)
    while first <= period.end:
        following = (first + timedelta(days=32)).replace(day=1)
        found.append(
            Period(max(first, period.start), min(following - timedelta(days=1), period.end))
        )
        first = following
    return found


async def team_roles(session: AsyncSession, initiative_id: int) -> dict[str, int]:
    """How many of the team have each of the three roles of the growth cycle."""
    rows = (
        await session.execute(
            select(Membership).where(
                Membership.initiative_id == initiative_id,
                Membership.role.in_([MemberRole.INITIATOR, MemberRole.TEAM]),  # type: ignore[attr-defined]
            )
        )
    ).scalars()
    found = Counter[str]()
    for member in rows:
        found["organisers"] += 1
        found["expert"] += int(member.is_expert)
        found["connector"] += int(member.is_connector)
        found["organiser"] += int(member.is_organiser)
    return dict(found)
