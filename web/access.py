"""Who sees what in the web console, read from the database at every request.

* an operator: everything;
* a coach: the initiatives they coach and those in their areas, and their portfolio;
* a programme manager: their organisations' programmes (dashboard, calendar, exports,
  edits) and the initiatives that lie in those programmes' areas.

Something not visible gets the same answer as something that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.coaches import Portfolio, areas_of, in_any, portfolio
from bot.domain.programmes import ProgrammeError, belongs, visible_programmes
from bot.i18n import N_
from storage.models import Initiative, PersonRole, Programme, Resident
from web.auth import Viewer


def may_see_programme(viewer: Viewer, programme: Programme) -> bool:
    return viewer.operator or programme.organisation in viewer.organisations


def may_edit(viewer: Viewer, programme: Programme) -> bool:
    return may_see_programme(viewer, programme)


def check_organisation(viewer: Viewer, organisation: str) -> None:
    """A manager sets up programmes of their own organisations only."""
    if viewer.operator:
        return
    if " ".join(organisation.split()) not in viewer.organisations:
        raise ProgrammeError(
            N_("You can set up programmes of your own organisation only: {organisations}."),
            organisations=", ".join(viewer.organisations),
        )


async def visible_programme(session: AsyncSession, viewer: Viewer, ident: int) -> Programme | None:
    programme = await session.get(Programme, ident)
    if programme is None or not may_see_programme(viewer, programme):
        return None
    return programme


async def visible_initiative(
    session: AsyncSession, viewer: Viewer, ident: int
) -> Initiative | None:
    initiative = await session.get(Initiative, ident)
    if initiative is None:
        return None
    if viewer.operator:
        return initiative
    if viewer.coach and viewer.person is not None:
        if initiative.coach_id == viewer.person.id:
            return initiative
        if in_any(initiative, await areas_of(session, viewer.person.id or 0)):
            return initiative
    if viewer.manager:
        for programme in await visible_programmes(
            session, operator=False, resident_id=viewer.resident_id
        ):
            if belongs(programme, initiative):
                return initiative
    return None


async def portfolio_of(
    session: AsyncSession, viewer: Viewer, now: datetime, services: Any
) -> Portfolio:
    """The coach's portfolio as the chat shows it; the operator's is every initiative."""
    person = viewer.person
    if person is None or (viewer.operator and person.role is not PersonRole.OPERATOR):
        # The operator of the command line has no chat account: the operator's view.
        person = Resident(telegram_id=0, first_name="operator", role=PersonRole.OPERATOR)
    return await portfolio(session, person, now, stall_days=services.policy.stall_days)
