"""The impact report: a set of initiatives over a period, with a factor set and an
owner's name, becomes report data (plain JSON), then a PDF or a CSV.

    data = await build_report(session, initiatives, first, after, factors, owner=..., ...)
    pdf = report_pdf(data, texts)      # A4, a page per district, SVG charts + their tables
    csv = report_csv(data)

`programme_report` feeds it a programme of bot/domain/programmes.py (its area, targets,
districts); a period that has ended is computed once and kept with the programme's
snapshot, so the report of a past period never drifts. Counts come from the database:
initiatives per phase, actions held in the period and their turnout, outcomes recorded
in the period (bot/domain/outcomes.py) and their impact (bot/domain/impact).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.impact import BASIS_LABELS, PERIOD_LABELS, FactorSet, Impact, compute, factor_set
from bot.domain.impact.quantities import QUANTITIES
from bot.domain.outcomes import grouped, rows_of
from bot.i18n import N_, Texts
from storage.models import Action, ActionStatus, Initiative, Phase

REPORT_VERSION = 1
SNAPSHOT_KEY = "impact_report"

# Targets a report can compare (the programme's metrics of bot/domain/programmes.py).
RESULT_LABELS = {
    "initiatives_started": N_("Initiatives started"),
    "initiatives_active": N_("Initiatives taking part"),
    "households_reached": N_("Households reached"),
    "households_interested": N_("Households interested"),
    "households_committed": N_("Households committed"),
    "actions_held": N_("Actions held"),
    "turnout": N_("People at actions"),
}
PHASE_LABELS = {
    Phase.INITIATE.value: N_("Initiate"),
    Phase.ACTIVATE.value: N_("Activate"),
    Phase.STRUCTURE.value: N_("Structure"),
    Phase.GROW.value: N_("Grow"),
    Phase.SUSTAIN.value: N_("Sustain"),
}


def _impact_json(impact: Impact) -> dict[str, Any]:
    return {
        "counted": dict(sorted(impact.counted.items())),
        "figures": [asdict(figure) for figure in impact.figures],
    }


async def _held(
    session: AsyncSession, ids: list[int], first: datetime, after: datetime
) -> list[Action]:
    if not ids:
        return []
    query = select(Action).where(
        Action.initiative_id.in_(ids),  # type: ignore[attr-defined]
        Action.status == ActionStatus.HELD,
        Action.starts_at >= first,
        Action.starts_at < after,
    )
    return list((await session.execute(query.order_by(Action.starts_at))).scalars())  # type: ignore[arg-type]


async def build_report(
    session: AsyncSession,
    initiatives: Sequence[Initiative],
    first: datetime,
    after: datetime,
    factors: FactorSet,
    *,
    owner: str,
    title: str,
    now: datetime,
    period_label: str,
    targets: dict[str, int] | None = None,
    districts: Sequence[tuple[str, Callable[[Initiative], bool]]] = (),
) -> dict[str, Any]:
    """The report's data: every number with what it counts; JSON, to freeze as it is."""
    ids = [initiative.id or 0 for initiative in initiatives]
    held = await _held(session, ids, first, after)
    outcome_rows = await rows_of(session, ids, since=first, until=after)

    def section(chosen: Sequence[Initiative]) -> dict[str, Any]:
        chosen_ids = {initiative.id for initiative in chosen}
        actions = [action for action in held if action.initiative_id in chosen_ids]
        rows = [row for row in outcome_rows if row.initiative_id in chosen_ids]
        per_phase = {phase.value: 0 for phase in Phase}
        for initiative in chosen:
            per_phase[initiative.phase.value] += 1
        return {
            "initiatives": len(chosen),
            "per_phase": per_phase,
            "actions_held": len(actions),
            "turnout": sum(action.attended or 0 for action in actions),
            "impact": _impact_json(compute(grouped(rows), factors)),
        }

    results = {
        "initiatives_started": sum(1 for i in initiatives if first <= _aware(i.created_at) < after),
        "initiatives_active": len(initiatives),
        "households_reached": sum(i.households_reached for i in initiatives),
        "households_interested": sum(i.households_interested for i in initiatives),
        "households_committed": sum(i.households_committed for i in initiatives),
        "actions_held": len(held),
        "turnout": sum(action.attended or 0 for action in held),
    }
    impact = compute(grouped(outcome_rows), factors)
    used = sorted({f for figure in impact.figures for f in figure.factors})
    return {
        "version": REPORT_VERSION,
        "title": title,
        "owner": owner,
        "period": period_label,
        "from": first.isoformat(),
        "until": after.isoformat(),
        "computed_at": now.isoformat(timespec="seconds"),
        "frozen": False,
        "factor_set": {"id": factors.id, "title": factors.title},
        "factors": [
            {
                "id": fid,
                "value": factors[fid].value,
                "low": factors[fid].low,
                "high": factors[fid].high,
                "unit": factors[fid].unit,
                "source": factors[fid].source,
                "url": factors[fid].url,
                "date": factors[fid].date.isoformat(),
                "note": factors[fid].note,
            }
            for fid in used
        ],
        "targets": [
            {"key": key, "target": target, "result": results.get(key, 0)}
            for key, target in sorted((targets or {}).items())
            if key in results
        ],
        "results": results,
        "total": section(initiatives),
        "initiatives_list": [
            {
                "title": i.title,
                "phase": i.phase.value,
                "actions_held": sum(1 for a in held if a.initiative_id == i.id),
                "turnout": sum(a.attended or 0 for a in held if a.initiative_id == i.id),
            }
            for i in initiatives
        ],
        "districts": [
            {"label": label, **section([i for i in initiatives if inside(i)])}
            for label, inside in districts
        ],
    }


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- a programme ---------------------------------------------------------------------------


def parse_period(text: str | None, programme: Any) -> Any:
    """``2027`` (a year), ``2027-04`` (a month), ``2027-03-21..2027-10-31``, or None (the
    programme's own period): a bot.domain.programmes Period, within which the report counts."""
    import calendar
    from datetime import date

    from bot.domain.programmes import Period, ProgrammeError

    if not text:
        return Period.of(programme)
    text = text.strip()
    try:
        if ".." in text:
            start, _, end = text.partition("..")
            return Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
        if len(text) == 4 and text.isdigit():
            return Period(date(int(text), 1, 1), date(int(text), 12, 31))
        year, _, month = text.partition("-")
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            last = calendar.monthrange(int(year), int(month))[1]
            return Period(date(int(year), int(month), 1), date(int(year), int(month), last))
    except ValueError as error:
        raise ProgrammeError(f"{text!r} is not a period: {error}") from error
    raise ProgrammeError(f"{text!r} is not a period: write 2027, 2027-04 or 2027-03-21..2027-10-31")


async def programme_report(
    session: AsyncSession,
    programme: Any,
    period: Any,
    now: datetime,
    tz: Any,
    factors: FactorSet | None = None,
) -> dict[str, Any]:
    """The report of a programme over a period; frozen with the programme's snapshot once
    the period has ended (the same question about the past, the same answer)."""
    from bot.domain.programme_figures import frozen_figures
    from bot.domain.programmes import districts, initiatives_of
    from storage.models import ProgrammeSnapshot

    factors = factors or factor_set(None)
    closed = period.closed(now.astimezone(tz).date())
    snapshot = None
    if closed:
        await frozen_figures(session, programme, period, now, tz)  # the programme's own
        snapshot = (
            await session.execute(
                select(ProgrammeSnapshot).where(
                    ProgrammeSnapshot.programme_id == programme.id,
                    ProgrammeSnapshot.period_from == period.start,
                    ProgrammeSnapshot.period_to == period.end,
                )
            )
        ).scalar_one_or_none()
        kept = (snapshot.figures or {}).get(SNAPSHOT_KEY, {}) if snapshot else {}
        if factors.id in kept:
            return dict(kept[factors.id])
    first, after = period.bounds(tz)
    data = await build_report(
        session,
        await initiatives_of(session, programme, period, tz),
        first,
        after,
        factors,
        owner=programme.organisation,
        title=programme.name,
        now=now,
        period_label=f"{period.start.isoformat()} – {period.end.isoformat()}",
        targets={k: int(v) for k, v in (programme.targets or {}).items()},
        districts=[(d.label(), d.area.contains) for d in districts(programme)],
    )
    if closed and snapshot is not None:
        data["frozen"] = True
        figures = dict(snapshot.figures or {})
        kept = dict(figures.get(SNAPSHOT_KEY, {}))
        kept[factors.id] = data
        figures[SNAPSHOT_KEY] = kept
        snapshot.figures = figures  # a new dict: the JSON column is written again
        await session.flush()
    return data


# --- CSV and PDF -----------------------------------------------------------------------------


def _figure_rows(texts: Texts, impact: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": figure["key"],
            "label": texts._(figure["label"]),
            "value": figure["value"],
            "unit": texts._(figure["unit"]),
            "basis": texts._(BASIS_LABELS[figure["basis"]]),
            "period": texts._(PERIOD_LABELS[figure["period"]]),
            "factors": ", ".join(figure["factors"]),
            "low": figure.get("low"),
            "high": figure.get("high"),
        }
        for figure in impact["figures"]
    ]


def report_csv(data: dict[str, Any], texts: Texts) -> bytes:
    """One row per number: section (total or a district), what, value, unit, counted or
    estimated, over which period, with which factors."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "label", "value", "unit", "basis", "period", "factors"])
    sections = [("total", data["total"])] + [(d["label"], d) for d in data["districts"]]
    for name, part in sections:
        writer.writerow(
            [
                name,
                "initiatives",
                texts._("Initiatives"),
                part["initiatives"],
                "",
                texts._("counted"),
                "",
                "",
            ]
        )
        for phase, count in part["per_phase"].items():
            writer.writerow(
                [
                    name,
                    f"phase_{phase}",
                    texts._(PHASE_LABELS[phase]),
                    count,
                    "",
                    texts._("counted"),
                    "",
                    "",
                ]
            )
        writer.writerow(
            [
                name,
                "actions_held",
                texts._("Actions held"),
                part["actions_held"],
                "",
                texts._("counted"),
                "",
                "",
            ]
        )
        writer.writerow(
            [
                name,
                "turnout",
                texts._("People at actions"),
                part["turnout"],
                "",
                texts._("counted"),
                "",
                "",
            ]
        )
        for row in _figure_rows(texts, part["impact"]):
            writer.writerow(
                [
                    name,
                    row["key"],
                    row["label"],
                    _csv_number(row["value"]),
                    row["unit"],
                    row["basis"],
                    row["period"],
                    row["factors"],
                ]
            )
    for target in data["targets"]:
        writer.writerow(
            [
                "targets",
                target["key"],
                texts._(RESULT_LABELS[target["key"]]),
                target["result"],
                f"target {target['target']}",
                texts._("counted"),
                "",
                "",
            ]
        )
    for factor in data["factors"]:
        writer.writerow(
            [
                "factors",
                factor["id"],
                factor["source"],
                _csv_number(factor["value"]),
                factor["unit"],
                factor["date"],
                factor["url"],
                data["factor_set"]["id"],
            ]
        )
    return out.getvalue().encode("utf-8")


def _csv_number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def bar_chart(rows: Sequence[tuple[str, float]], *, width: int = 480, bar: int = 18) -> str:
    """A horizontal bar chart as SVG (escaped labels); its data table goes beside it."""
    from html import escape

    peak = max((value for _label, value in rows), default=0) or 1
    label_w, gap = 170, 6
    height = len(rows) * (bar + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img">'
    ]
    for index, (label, value) in enumerate(rows):
        y = gap + index * (bar + gap)
        length = (width - label_w - 60) * value / peak
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar * 0.72:.1f}" font-size="11" '
            f'text-anchor="end" font-family="DejaVu Sans">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar}" fill="#2e8b57"/>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + bar * 0.72:.1f}" font-size="11" '
            f'font-family="DejaVu Sans">{escape(_shown(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _shown(value: float) -> str:
    return (
        f"{value:,.0f}".replace(",", ".")
        if value >= 10 or float(value).is_integer()
        else f"{value:.1f}".replace(".", ",")
    )


def report_pdf(data: dict[str, Any], texts: Texts) -> bytes:
    from markupsafe import Markup

    from bot.views.materials import html_to_pdf, render_html

    def phases_chart(part: dict[str, Any]) -> Markup:
        rows = [(texts._(PHASE_LABELS[p]), float(n)) for p, n in part["per_phase"].items()]
        return Markup(bar_chart(rows))  # bar_chart escaped every label

    def outcomes_chart(part: dict[str, Any]) -> Markup:
        counted = part["impact"]["counted"]
        rows = [
            (texts._(QUANTITIES[k].label), float(v)) for k, v in counted.items() if k in QUANTITIES
        ]
        return Markup(bar_chart(rows)) if rows else Markup("")

    html = render_html(
        "report.html",
        texts,
        r=data,
        # Inside a CSS string: no quote, backslash or markup can end it.
        owner_css=Markup(re.sub(r'[\\"<>\n]', " ", str(data["owner"]))),
        figures=lambda part: _figure_rows(texts, part["impact"]),
        moment=lambda iso: texts.when(datetime.fromisoformat(iso)),
        number=lambda value: (
            texts.number(round(value))
            if value >= 10 or float(value).is_integer()
            else texts.number(round(value, 1))
        ),
        phase_label=lambda phase: texts._(PHASE_LABELS[phase]),
        result_label=lambda key: texts._(RESULT_LABELS[key]),
        quantity_label=lambda key: texts._(QUANTITIES[key].label) if key in QUANTITIES else key,
        phases_chart=phases_chart,
        outcomes_chart=outcomes_chart,
    )
    return html_to_pdf(html)
