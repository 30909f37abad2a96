"""What the console's pages show, as plain data for the templates: the dashboard's
figures with their definitions and charts, an initiative's story, the campaign calendar.

Nothing here names a resident: teams are counted, support requests have a state (and
their question only for who answers them in the chat), and programme views pass every
count through ``shown_count`` ("< 5").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.broadcasts import (
    TEXT_MAX,
    LinkError,
    Report,
    check_link,
    finish,
    report_of,
    select_recipients,
)
from bot.domain.campaign import audience_of
from bot.domain.kits import load_kits
from bot.domain.phases import phase_label
from bot.domain.programme_figures import Figures, shown_count, team_roles
from bot.domain.programmes import METRICS, ProgrammeError
from bot.i18n import N_, Texts
from bot.views.announcements import announcement
from bot.views.cards import THEME_LABELS
from storage.models import (
    Action,
    ActionStatus,
    Activity,
    Broadcast,
    CampaignItem,
    CampaignStatus,
    Initiative,
    Phase,
    Programme,
    Rsvp,
    RsvpAnswer,
    SupportRequest,
    Theme,
)
from web.charts import Bar, bars

if TYPE_CHECKING:
    from web.app import Page
    from web.auth import Viewer

PER = 1000
PHASE_EVENTS = ("phase_reached", "phase_corrected")

CAMPAIGN_STATUS: dict[CampaignStatus, str] = {
    CampaignStatus.DRAFT: N_("Draft: waiting for approval"),
    CampaignStatus.APPROVED: N_("Approved: goes out at its date"),
    CampaignStatus.SENT: N_("Sent"),
    CampaignStatus.CANCELLED: N_("Cancelled"),
}

DEFINITIONS = {
    "funnel": N_(
        "Initiatives taking part in the period that reached at least this phase of the growth "
        "cycle, by their phase at the end of the period (or now)."
    ),
    "monthly": N_(
        "Each calendar month of the period on its own: its figures are frozen once the "
        "month is over."
    ),
    "stalled": N_(
        "Taking part initiatives where nothing happened for {days} days or more and "
        "nothing is planned ahead, when the figures were computed."
    ),
    "coaches": N_(
        "The coach of each taking part initiative and the questions to them still "
        "unanswered, when the figures were computed."
    ),
    "districts": N_(
        "Per area of the programme: households the initiatives there reached and that "
        "take part, per 1,000 households living there (where that number is known and at "
        "least 5 households are counted), at the end of the period."
    ),
    "targets": N_("The figure over the programme's period against its target."),
}


def phase_names(texts: Texts) -> dict[str, str]:
    return {phase.value: phase_label(texts, phase) for phase in Phase}


def theme_name(texts: Texts, theme: Theme | str) -> str:
    return texts._(THEME_LABELS[Theme(theme)])


def campaign_status_names(texts: Texts) -> dict[str, str]:
    return {status.value: texts._(label) for status, label in CAMPAIGN_STATUS.items()}


def kit_choices(lang: str) -> list[tuple[str, str]]:
    return sorted(
        ((kit.id, kit.text(lang).title) for kit in load_kits().values()),
        key=lambda item: item[1].casefold(),
    )


# --- the dashboard ----------------------------------------------------------------------------


@dataclass
class Dashboard:
    metrics: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    targets_chart: Any
    funnel: list[dict[str, Any]]
    funnel_chart: Any
    monthly: list[dict[str, Any]]
    monthly_charts: list[Any]
    districts: list[dict[str, Any]]
    definitions: dict[str, str] = field(default_factory=dict)


def _per_thousand(texts: Texts, count: int, households: int | None) -> str:
    if not households or count < 5:
        return "–"
    return texts.number(round(PER * count / households, 1))


def dashboard(
    texts: Texts, programme: Programme, shown: Figures, monthly: list[Figures], quiet_days: int
) -> Dashboard:
    metrics = [
        {
            "key": key,
            "label": texts._(metric.label),
            "value": shown_count(shown.values.get(key, 0)),
            "definition": texts._(metric.definition),
        }
        for key, metric in METRICS.items()
    ]
    targets: list[dict[str, Any]] = []
    for key, goal in (programme.targets or {}).items():
        if key not in METRICS or not goal:
            continue
        value = shown.values.get(key, 0)
        percent = None if 0 < value < 5 else min(999, round(100 * value / goal))
        targets.append(
            {
                "label": texts._(METRICS[key].label),
                "value": shown_count(value),
                "target": texts.number(goal),
                "percent": percent,
                "definition": texts._(METRICS[key].definition),
            }
        )
    targets_chart = bars(
        texts._("Progress against the targets, in percent"),
        [
            Bar(
                t["label"],
                t["percent"] or 0,
                f"{t['percent']} %" if t["percent"] is not None else "< 5",
            )
            for t in targets
        ],
        mask_small=False,
        maximum=100,
    )
    funnel: list[dict[str, Any]] = [
        {"phase": phase_label(texts, phase), "count": shown.funnel.get(phase.value, 0)}
        for phase in Phase
    ]
    funnel_chart = bars(
        texts._("Initiatives per phase reached"),
        [Bar(row["phase"], row["count"]) for row in funnel],
    )
    months = [
        {
            "label": texts.locale.months["format"]["wide"][date.fromisoformat(m.period_from).month]
            + f" {date.fromisoformat(m.period_from).year}",
            "from": m.period_from,
            "to": m.period_to,
            "frozen": m.frozen,
            **{key: shown_count(m.values.get(key, 0)) for key in METRICS},
            "raw": m.values,
        }
        for m in monthly
    ]
    charts = [
        bars(
            texts._(METRICS[key].label) + " · " + texts._("per month"),
            [Bar(row["label"], row["raw"].get(key, 0)) for row in months],
        )
        for key in ("households_reached", "households_committed", "actions_held")
    ]
    districts = [
        {
            "label": d["label"],
            "households": texts.number(d["households"]) if d.get("households") else "–",
            "initiatives": shown_count(d["initiatives"]),
            "reached": shown_count(d["households_reached"]),
            "committed": shown_count(d["households_committed"]),
            "reached_per": _per_thousand(texts, d["households_reached"], d.get("households")),
            "committed_per": _per_thousand(texts, d["households_committed"], d.get("households")),
        }
        for d in shown.districts
    ]
    return Dashboard(
        metrics=metrics,
        targets=targets,
        targets_chart=targets_chart,
        funnel=funnel,
        funnel_chart=funnel_chart,
        monthly=months,
        monthly_charts=charts,
        districts=districts,
        definitions={key: texts._(text, days=quiet_days) for key, text in DEFINITIONS.items()},
    )


def export_rows(texts: Texts, programme: Programme, shown: Figures) -> list[list[str]]:
    """The dashboard as CSV rows: section, item, value, definition. No person in it."""

    def cell(value: Any) -> str:
        text = str(value)
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    state = texts._("frozen") if shown.frozen else texts._("live")
    rows: list[list[str]] = [
        [texts._("section"), texts._("item"), texts._("value"), texts._("definition")],
        [texts._("programme"), cell(programme.name), cell(programme.organisation), ""],
        [texts._("period"), shown.period_from, shown.period_to, f"{state} {shown.computed_at}"],
    ]
    for key, metric in METRICS.items():
        rows.append(
            [
                texts._("figure"),
                texts._(metric.label),
                shown_count(shown.values.get(key, 0)),
                texts._(metric.definition),
            ]
        )
        goal = (programme.targets or {}).get(key)
        if goal:
            rows.append([texts._("target"), texts._(metric.label), str(goal), ""])
    for phase in Phase:
        rows.append(
            [
                texts._("phase reached"),
                phase_label(texts, phase),
                shown_count(shown.funnel.get(phase.value, 0)),
                texts._(DEFINITIONS["funnel"]),
            ]
        )
    for district in shown.districts:
        for key in ("initiatives", "households_reached", "households_committed"):
            rows.append(
                [
                    texts._("area"),
                    f"{cell(district['label'])}: {key}",
                    shown_count(district[key]),
                    texts._(DEFINITIONS["districts"]),
                ]
            )
    for week in shown.weeks:
        for key in ("initiatives_started", "actions_held", "turnout"):
            rows.append(
                [
                    texts._("week"),
                    f"{week['week']}: {key}",
                    shown_count(week[key]),
                    texts._(METRICS[key].definition),
                ]
            )
    return rows


# --- an initiative ----------------------------------------------------------------------------


async def initiative_details(
    session: AsyncSession, initiative: Initiative, viewer: Viewer, now: datetime
) -> dict[str, Any]:
    ident = initiative.id or 0
    history = [{"at": initiative.created_at, "kind": "created", "phase": None}]
    events = (
        await session.execute(
            select(Activity)
            .where(Activity.initiative_id == ident, Activity.kind.in_(PHASE_EVENTS))  # type: ignore[attr-defined]
            .order_by(Activity.at, Activity.id)  # type: ignore[arg-type]
        )
    ).scalars()
    for event in events:
        history.append({"at": event.at, "kind": event.kind, "phase": None})
    history[-1]["phase"] = initiative.phase.value
    actions = list(
        (
            await session.execute(
                select(Action)
                .where(Action.initiative_id == ident)
                .order_by(Action.starts_at.desc())  # type: ignore[attr-defined]
            )
        )
        .scalars()
        .all()
    )
    coming = dict(
        (
            await session.execute(
                select(Rsvp.action_id, func.count())
                .where(
                    Rsvp.action_id.in_([a.id for a in actions]),  # type: ignore[attr-defined]
                    Rsvp.answer == RsvpAnswer.COMING,
                    Rsvp.waitlisted.is_(False),  # type: ignore[attr-defined]
                )
                .group_by(Rsvp.action_id)  # type: ignore[arg-type]
            )
        ).all()
    )
    requests = list(
        (
            await session.execute(
                select(SupportRequest)
                .where(SupportRequest.initiative_id == ident)
                .order_by(SupportRequest.created_at.desc())  # type: ignore[attr-defined]
            )
        )
        .scalars()
        .all()
    )
    # The chat shows a question to whoever answers it: the initiative's coach, the operators.
    answers_questions = viewer.operator or (
        viewer.coach and viewer.person is not None and initiative.coach_id == viewer.person.id
    )
    return {
        "history": history,
        "roles": await team_roles(session, ident),
        "actions": [
            {
                "id": action.id,
                "title": action.title,
                "starts_at": action.starts_at,
                "kind": action.kind.value,
                "status": action.status.value,
                "coming": coming.get(action.id or 0, 0),
                "attended": action.attended,
                "held": action.status is ActionStatus.HELD,
            }
            for action in actions
        ],
        "requests": [
            {
                "created_at": request.created_at,
                "answered_at": request.answered_at,
                "question": request.question if answers_questions else None,
                "waiting_days": max(0, (now - request.created_at).days),
            }
            for request in requests
        ],
        "answers_questions": answers_questions,
        "quiet_days": max(0, (now - initiative.last_activity_at).days),
    }


# --- the campaign calendar --------------------------------------------------------------------


async def add_campaign_item(
    current: Page, programme: Programme, typed: dict[str, str]
) -> CampaignItem:
    """A new draft from the form: a date and time from now on, a text, maybe a link."""
    text = typed["text"].strip()
    if not 3 <= len(text) <= TEXT_MAX:
        raise ProgrammeError(N_("The announcement has 3 to {n} characters."), n=TEXT_MAX)
    try:
        day = date.fromisoformat(typed["date"])
        moment = time.fromisoformat(typed["time"] or "10:00")
    except ValueError:
        raise ProgrammeError(N_("Give the day and the time it goes out.")) from None
    send_at = datetime.combine(day, moment, current.tz)
    if send_at <= current.now:
        raise ProgrammeError(N_("Choose a moment from now on."))
    link = typed["link"].strip() or None
    label = " ".join(typed["label"].split()) or None
    if link is not None:
        try:
            link = check_link(link)
        except LinkError:
            raise ProgrammeError(N_("The link is not a web address (https://…).")) from None
    elif label is not None:
        raise ProgrammeError(N_("A button label needs a link."))
    if label is not None and len(label) > 60:
        raise ProgrammeError(N_("A button label has at most {n} characters."), n=60)
    viewer = current.need_viewer()
    item = CampaignItem(
        programme_id=programme.id or 0,
        send_at=send_at,
        text=text,
        link_url=link,
        link_label=label,
        created_by_id=viewer.resident_id,
        created_at=current.now,
    )
    current.session.add(item)
    await current.session.flush()
    from bot.domain.audit import audit

    audit(
        current.session,
        actor_id=viewer.resident_id,
        action="campaign_planned",
        subject=f"campaign_item:{item.id}",
        at=current.now,
        programme_id=programme.id,
        via="web",
    )
    return item


async def _report(session: AsyncSession, item: CampaignItem, now: datetime) -> Report | None:
    if item.broadcast_id is None:
        return None
    report = await report_of(session, item.broadcast_id)
    broadcast = await session.get(Broadcast, item.broadcast_id)
    if broadcast is not None:
        await finish(session, broadcast, report, now)
    return report


async def campaign_items(session: AsyncSession, programme: Programme) -> list[dict[str, Any]]:
    items = (
        await session.execute(
            select(CampaignItem)
            .where(CampaignItem.programme_id == programme.id)
            .order_by(CampaignItem.send_at, CampaignItem.id)  # type: ignore[arg-type]
        )
    ).scalars()
    found = []
    for item in items:
        report = None
        if item.broadcast_id is not None:
            report = await report_of(session, item.broadcast_id)
        found.append({"item": item, "report": report})
    return found


async def campaign_details(
    current: Page, programme: Programme, item: CampaignItem
) -> dict[str, Any]:
    texts = current.texts
    preview, keyboard = announcement(
        texts,
        text=item.text,
        link_url=item.link_url,
        link_label=item.link_label,
        author=None,
        preview=True,
    )
    recipients = await select_recipients(current.session, audience_of(programme))
    report = await _report(current.session, item, current.now)
    return {
        "preview": Markup(preview.replace("\n", "<br>")),
        "buttons": [button.label for row in keyboard for button in row],
        "recipients": shown_count(len(recipients.resident_ids)),
        "report": report,
    }
