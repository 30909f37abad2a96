"""Programmes (aanpakken): a municipality's or province's approach across many streets.

A programme has a name, themes, an owner organisation, an area (4-digit postcode ranges
or named districts, each with its household count where known), a period (start, end
and key dates), targets, the action kits it offers and a campaign calendar.

**Belonging.** An initiative belongs to a programme when it lies in one of the
programme's areas (``bot.domain.coaches.Area.contains``: its postcode area in a range, or its
place the district's name) and it was started in the period or something happened in it
during the period (an ``activity`` row dated in the period). Both are dated facts.

**Residents** see a programme only as its ``public_text`` ("Eindhoven doet mee aan het NK
Tegelwippen: …") on the initiative's card, its invitation and the kits it offers, while
the programme runs; never its targets, figures or managers (``resident_line``).

**Programme managers** are people of an organisation (``programme_manager`` rows, added
like coaches: ``buurbot programme manager add``); they see that organisation's programmes.

**The campaign calendar**: dated announcements to the opted-in residents of the area.
Each is a draft until a manager (or an operator) approves it, after its preview; once
approved, one outbox row of kind ``campaign`` waits for its date, and then the bot's
dispatcher starts it as a broadcast (``bot.domain.broadcasts.start``: the same audience rules,
opt-in, pacing, and the delivery report counted from the rows).

**Figures** (``figures``) have one definition each (``METRICS``), shown beside them. A
period that has ended is frozen: its figures are computed once and kept in
``programme_snapshot`` (``frozen_figures``), so a past period's numbers never drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.audit import audit
from bot.domain.coaches import Area, AreaError, in_any, parse_area, subject
from bot.i18n import N_, Safe, Texts, escape
from storage.models import (
    Activity,
    Initiative,
    Phase,
    Programme,
    ProgrammeManager,
    Resident,
    Theme,
)

__all__ = [
    "CAMPAIGN_KIND",
    "METRICS",
    "District",
    "Period",
    "ProgrammeError",
    "add_manager",
    "belongs",
    "create_programme",
    "districts",
    "initiatives_of",
    "manager_organisations",
    "programmes_for",
    "remove_manager",
    "resident_line",
    "update_programme",
    "visible_programmes",
    "with_programme",
]

CAMPAIGN_KIND = "campaign"
NAME_MAX = 120
ORGANISATION_MAX = 120
PUBLIC_TEXT_MAX = 300
LABEL_MAX = 80
PHASE_ORDER = {phase: number for number, phase in enumerate(Phase, 1)}
SMALL = 5  # counts under this are shown as "< 5" in programme views and exports
AREA_SPEC = re.compile(r"^(?P<area>.+?)\s*(?:=\s*(?P<households>[0-9][0-9_.]*))?\s*$")


class ProgrammeError(ValueError):
    """The input is not a programme field: a reason the user can act on, as a msgid with
    its values (``text(texts)`` in the reader's language; ``str()`` in English)."""

    def __init__(self, msgid: str, **values: object) -> None:
        self.msgid = msgid
        self.values = values
        super().__init__(msgid.format(**values))

    def text(self, texts: Texts) -> str:
        return texts._(self.msgid, **self.values)


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str  # msgid
    definition: str  # msgid: what is counted, over which period
    stock: bool  # a level at the period's end (else: what happened within the period)


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric(
            "initiatives_started",
            N_("Initiatives started"),
            N_("Initiatives in the programme's area that were started within the period."),
            False,
        ),
        Metric(
            "initiatives_active",
            N_("Initiatives taking part"),
            N_(
                "Initiatives in the programme's area that were started or had any activity "
                "within the period."
            ),
            False,
        ),
        Metric(
            "households_reached",
            N_("Households reached"),
            N_(
                "Sum of the households each taking part initiative says it reached, as it "
                "stood at the end of the period (or now, for a running period)."
            ),
            True,
        ),
        Metric(
            "households_interested",
            N_("Households interested"),
            N_(
                "Sum of the households each taking part initiative counts as interested, "
                "at the end of the period (or now)."
            ),
            True,
        ),
        Metric(
            "households_committed",
            N_("Households committed"),
            N_(
                "Sum of the households each taking part initiative counts as taking part, "
                "at the end of the period (or now)."
            ),
            True,
        ),
        Metric(
            "actions_held",
            N_("Actions held"),
            N_(
                "Meetings and actions of taking part initiatives that took place within the "
                "period (held and reviewed, not cancelled)."
            ),
            False,
        ),
        Metric(
            "turnout",
            N_("People at actions"),
            N_(
                "Sum of the attendance the organisers reported after the actions held within "
                "the period."
            ),
            False,
        ),
    )
}


# --- fields -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class District:
    """One area of a programme, with its household count where it is known."""

    area: Area
    households: int | None = None

    def as_json(self) -> dict[str, Any]:
        value = self.area.as_json()
        if self.households is not None:
            value["households"] = self.households
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> District:
        households = value.get("households")
        return cls(Area.from_json(value), int(households) if households is not None else None)

    def label(self) -> str:
        return self.area.label()


def parse_district(text: str) -> District:
    """``5611-5629``, ``Woensel-Noord`` or either with ``=8500`` households."""
    match = AREA_SPEC.match(text or "")
    if not match:
        raise ProgrammeError(N_("An area is a postcode range or a district name."))
    try:
        area = parse_area(match.group("area"))
    except AreaError as error:
        raise ProgrammeError(
            N_(
                "“{text}” is not an area: write a postcode range like 5611-5658, one "
                "postcode like 5611, or a district's name."
            ),
            text=match.group("area"),
        ) from error
    households = match.group("households")
    count = None
    if households is not None:
        digits = households.replace("_", "").replace(".", "")
        if not digits.isdigit() or int(digits) <= 0:
            raise ProgrammeError(
                N_("The number of households “{count}” is not a whole number."), count=households
            )
        count = int(digits)
    return District(area, count)


def districts(programme: Programme) -> list[District]:
    return [District.from_json(value) for value in programme.areas or []]


def parse_key_date(text: str) -> dict[str, str]:
    """``2027-03-21=Start of the season``."""
    day, _, label = (text or "").partition("=")
    try:
        when = date.fromisoformat(day.strip())
    except ValueError as error:
        raise ProgrammeError(
            N_("“{day}” is not a date: write a key date like 2027-03-21=Start."), day=day.strip()
        ) from error
    label = " ".join(label.split())
    if not label:
        raise ProgrammeError(N_("A key date needs a label: 2027-03-21=Start."))
    if len(label) > LABEL_MAX:
        raise ProgrammeError(N_("A key date's label has at most {n} characters."), n=LABEL_MAX)
    return {"on": when.isoformat(), "label": label}


def parse_target(text: str) -> tuple[str, int]:
    """``initiatives_started=20``."""
    key, _, value = (text or "").partition("=")
    key = key.strip()
    if key not in METRICS:
        raise ProgrammeError(
            N_("Unknown target “{key}”; choose from {keys}."), key=key, keys=", ".join(METRICS)
        )
    value = value.strip()
    if not value.isdigit() or int(value) <= 0:
        raise ProgrammeError(N_("A target is a positive whole number: {key}."), key=key)
    return key, int(value)


@dataclass
class ProgrammeFields:
    """What a programme is made of, checked; the CLI and the web form both fill it."""

    name: str
    organisation: str
    starts_on: date
    ends_on: date
    themes: list[str] = field(default_factory=list)
    areas: list[District] = field(default_factory=list)
    key_dates: list[dict[str, str]] = field(default_factory=list)
    targets: dict[str, int] = field(default_factory=dict)
    kits: list[str] = field(default_factory=list)
    public_text: str = ""

    def check(self) -> None:
        self.name = " ".join(self.name.split())
        self.organisation = " ".join(self.organisation.split())
        self.public_text = " ".join(self.public_text.split())
        if not 3 <= len(self.name) <= NAME_MAX:
            raise ProgrammeError(N_("A programme's name has 3 to {n} characters."), n=NAME_MAX)
        if not 2 <= len(self.organisation) <= ORGANISATION_MAX:
            raise ProgrammeError(
                N_("The organisation's name has 2 to {n} characters."), n=ORGANISATION_MAX
            )
        if self.ends_on < self.starts_on:
            raise ProgrammeError(N_("The period ends before it starts."))
        for theme in self.themes:
            if theme not in {item.value for item in Theme}:
                raise ProgrammeError(N_("Unknown theme “{theme}”."), theme=theme)
        if not self.areas:
            raise ProgrammeError(N_("A programme needs at least one area."))
        if len(self.public_text) > PUBLIC_TEXT_MAX:
            raise ProgrammeError(
                N_("The text for residents has at most {n} characters."), n=PUBLIC_TEXT_MAX
            )
        from bot.domain.kits import load_kits

        known = load_kits()
        for kit in self.kits:
            if kit not in known:
                raise ProgrammeError(
                    N_("Unknown kit “{kit}”; choose from {kits}."),
                    kit=kit,
                    kits=", ".join(sorted(known)),
                )
        self.themes = list(dict.fromkeys(self.themes))
        self.kits = list(dict.fromkeys(self.kits))
        self.areas = list(dict.fromkeys(self.areas))

    @classmethod
    def of(cls, programme: Programme) -> ProgrammeFields:
        return cls(
            name=programme.name,
            organisation=programme.organisation,
            starts_on=programme.starts_on,
            ends_on=programme.ends_on,
            themes=list(programme.themes or []),
            areas=districts(programme),
            key_dates=list(programme.key_dates or []),
            targets=dict(programme.targets or {}),
            kits=list(programme.kits or []),
            public_text=programme.public_text,
        )

    def apply(self, programme: Programme) -> None:
        programme.name = self.name
        programme.organisation = self.organisation
        programme.starts_on = self.starts_on
        programme.ends_on = self.ends_on
        programme.themes = list(self.themes)
        programme.areas = [district.as_json() for district in self.areas]
        programme.key_dates = sorted(self.key_dates, key=lambda item: item["on"])
        programme.targets = dict(self.targets)
        programme.kits = list(self.kits)
        programme.public_text = self.public_text


async def create_programme(
    session: AsyncSession,
    fields: ProgrammeFields,
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
) -> Programme:
    fields.check()
    programme = Programme(
        name=fields.name,
        organisation=fields.organisation,
        starts_on=fields.starts_on,
        ends_on=fields.ends_on,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    fields.apply(programme)
    session.add(programme)
    await session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="programme_created",
        subject=subject("programme", programme.id),
        at=now,
        via=via,
        organisation=programme.organisation,
    )
    return programme


async def update_programme(
    session: AsyncSession,
    programme: Programme,
    fields: ProgrammeFields,
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
) -> list[str]:
    """Change the programme; returns which fields changed (audited)."""
    fields.check()
    before = ProgrammeFields.of(programme)
    fields.apply(programme)
    after = ProgrammeFields.of(programme)
    changed = [name for name in vars(before) if getattr(before, name) != getattr(after, name)]
    if changed:
        programme.updated_at = now
        audit(
            session,
            actor_id=actor_id,
            action="programme_edited",
            subject=subject("programme", programme.id),
            at=now,
            via=via,
            fields=changed,
        )
    return changed


# --- programme managers -----------------------------------------------------------------------


async def manager_organisations(session: AsyncSession, resident_id: int | None) -> list[str]:
    if resident_id is None:
        return []
    result = await session.execute(
        select(ProgrammeManager.organisation)
        .where(ProgrammeManager.resident_id == resident_id)
        .order_by(ProgrammeManager.organisation)
    )
    return list(result.scalars().all())


async def add_manager(
    session: AsyncSession,
    person: Resident,
    organisation: str,
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
) -> bool:
    """The person sees the organisation's programmes from now on; False if they did."""
    organisation = " ".join(organisation.split())
    if not 2 <= len(organisation) <= ORGANISATION_MAX:
        raise ProgrammeError(
            N_("The organisation's name has 2 to {n} characters."), n=ORGANISATION_MAX
        )
    if organisation in await manager_organisations(session, person.id):
        return False
    session.add(
        ProgrammeManager(resident_id=person.id or 0, organisation=organisation, created_at=now)
    )
    await session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="programme_manager_added",
        subject=subject("resident", person.id),
        at=now,
        organisation=organisation,
        via=via,
    )
    return True


async def remove_manager(
    session: AsyncSession,
    person: Resident,
    organisation: str | None,
    now: datetime,
    *,
    actor_id: int | None,
    via: str,
) -> int:
    """No longer a manager (of one organisation, or of all); how many roles went."""
    query = select(ProgrammeManager).where(ProgrammeManager.resident_id == person.id)
    if organisation is not None:
        query = query.where(ProgrammeManager.organisation == " ".join(organisation.split()))
    rows = list((await session.execute(query)).scalars().all())
    for row in rows:
        await session.delete(row)
    if rows:
        audit(
            session,
            actor_id=actor_id,
            action="programme_manager_removed",
            subject=subject("resident", person.id),
            at=now,
            organisations=[row.organisation for row in rows],
            via=via,
        )
    return len(rows)


async def visible_programmes(
    session: AsyncSession, *, operator: bool, resident_id: int | None
) -> list[Programme]:
    """What someone may see: an operator all, a manager their organisations' programmes."""
    query = select(Programme).order_by(Programme.starts_on.desc(), Programme.id)  # type: ignore[attr-defined,arg-type]
    if not operator:
        organisations = await manager_organisations(session, resident_id)
        if not organisations:
            return []
        query = query.where(Programme.organisation.in_(organisations))  # type: ignore[attr-defined]
    return list((await session.execute(query)).scalars().all())


# --- periods and belonging --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days, both ends included, in the programme's time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ProgrammeError(N_("The period ends before it starts."))

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start of the first day, start of the day after the last) in UTC."""
        first = datetime.combine(self.start, time(0), tz).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tz).astimezone(UTC)
        return first, after

    def closed(self, today: date) -> bool:
        return self.end < today

    def weeks(self) -> list[date]:
        """The Mondays of the weeks the period touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        found = []
        while monday <= self.end:
            found.append(monday)
            monday += timedelta(days=7)
        return found

    @classmethod
    def of(cls, programme: Programme) -> Period:
        return cls(programme.starts_on, programme.ends_on)


def belongs(programme: Programme, initiative: Initiative) -> bool:
    """In the programme's area (the period is checked by ``initiatives_of``)."""
    return in_any(initiative, [district.area for district in districts(programme)])


async def initiatives_of(
    session: AsyncSession, programme: Programme, period: Period, tz: ZoneInfo
) -> list[Initiative]:
    """The initiatives in the area, started in the period or active in it."""
    first, after = period.bounds(tz)
    areas = [district.area for district in districts(programme)]
    candidates = [
        initiative
        for initiative in (
            await session.execute(
                select(Initiative)
                .where(Initiative.created_at < after)
                .order_by(Initiative.title, Initiative.id)  # type: ignore[arg-type]
            )
        )
        .scalars()
        .all()
        if in_any(initiative, areas)
    ]
    if not candidates:
        return []
    ids = [initiative.id for initiative in candidates]
    active = set(
        (
            await session.execute(
                select(Activity.initiative_id)
                .where(
                    Activity.initiative_id.in_(ids),  # type: ignore[attr-defined]
                    Activity.at >= first,
                    Activity.at < after,
                )
                .distinct()
            )
        )
        .scalars()
        .all()
    )
    return [i for i in candidates if i.created_at >= first or i.id in active]


async def programmes_for(
    session: AsyncSession, initiative: Initiative, today: date
) -> list[Programme]:
    """The running programmes whose area the initiative lies in."""
    result = await session.execute(
        select(Programme)
        .where(Programme.starts_on <= today, Programme.ends_on >= today)
        .order_by(Programme.id)  # type: ignore[arg-type]
    )
    return [programme for programme in result.scalars().all() if belongs(programme, initiative)]


async def resident_line(
    session: AsyncSession, initiative: Initiative, today: date, *, kit_id: str | None = None
) -> str | None:
    """What a resident reads about the programme their initiative is part of (plain text,
    escape it for the network): only the programme's public text, nothing of its
    internals. With ``kit_id``: only a programme that offers that kit."""
    for programme in await programmes_for(session, initiative, today):
        if not programme.public_text:
            continue
        if kit_id is not None and kit_id not in (programme.kits or []):
            continue
        return programme.public_text
    return None


async def with_programme(
    session: AsyncSession,
    initiative: Initiative,
    now: datetime,
    tz: ZoneInfo,
    text: Safe,
    *,
    kit_id: str | None = None,
) -> Safe:
    """``text`` (safe HTML) with the programme's line for residents below it, if any."""
    line = await resident_line(session, initiative, now.astimezone(tz).date(), kit_id=kit_id)
    if not line:
        return text
    return Safe(f"{text}\n\n🏛 <i>{escape(line)}</i>")


# --- the campaign calendar --------------------------------------------------------------------


# --- figures ----------------------------------------------------------------------------------
