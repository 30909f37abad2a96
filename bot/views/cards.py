"""Rendering an initiative for people to read: the card, the progress line, the
support meter, the progress against the phase goals.

Everything here takes `Texts` (the reader's language and zone), so a private
chat, a group chat and the scheduler render the same card. Values from people
are escaped by `Texts`; the results are safe HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.policy import PhaseRules
from bot.domain.initiatives import members
from bot.domain.kits import KitError, load_kits
from bot.domain.phases import (
    PHASE_DESCRIPTIONS,
    SUSTAIN_ADVICE,
    Progress,
    goal_hint,
    phase_label,
    progress,
    progress_line,
)
from bot.i18n import N_, Safe, Texts, escape
from storage.models import (
    Action,
    ActionStatus,
    Initiative,
    Level,
    MemberRole,
    Membership,
    Phase,
    Rsvp,
    RsvpAnswer,
    Theme,
)

__all__ = [
    "LEVEL_LABELS",
    "ROLE_LABELS",
    "TEAM_ROLE_TITLES",
    "THEME_LABELS",
    "Support",
    "card_text",
    "level_label",
    "member_role",
    "next_action",
    "phase_label",
    "progress_line",
    "progress_text",
    "role_names",
    "support",
    "support_text",
    "theme_label",
]

THEME_LABELS: dict[Theme, str] = {
    Theme.ENERGY_SAVING: N_("Energy saving"),
    Theme.COLLECTIVE_PURCHASE: N_("Collective purchase"),
    Theme.HEAT_TRANSITION: N_("Heat transition"),
    Theme.GREENER: N_("Greener / climate adaptation"),
    Theme.SAFER: N_("Safer"),
    Theme.SOCIABLE: N_("More sociable"),
    Theme.OMGEVINGSWET: N_("Omgevingswet participation"),
    Theme.OTHER: N_("Something else"),
}

LEVEL_LABELS: dict[Level, str] = {
    Level.STREET: N_("Street"),
    Level.NEIGHBOURHOOD: N_("Neighbourhood"),
    Level.DISTRICT: N_("District"),
}

ROLE_LABELS: dict[MemberRole, str] = {
    MemberRole.INITIATOR: N_("initiator"),
    MemberRole.TEAM: N_("team"),
    MemberRole.FOLLOWER: N_("follower"),
}


# The three team roles, named as everyone reads them: the team view, the role check, the
# coach's card (one naming, so a coach and the residents speak of the same roles).
TEAM_ROLE_TITLES: dict[str, str] = {
    "is_expert": N_("Expert"),
    "is_connector": N_("Connector"),
    "is_organiser": N_("Organiser"),
}


def role_names(texts: Texts, member: Membership) -> list[str]:
    """The team roles this member holds, by the names the residents see."""
    return [texts._(title) for field, title in TEAM_ROLE_TITLES.items() if getattr(member, field)]


def member_role(texts: Texts, member: Membership) -> str:
    """Initiator, team or follower, by the names the residents see."""
    return texts._(ROLE_LABELS[member.role])


def theme_label(texts: Texts, theme: Theme) -> str:
    return texts._(THEME_LABELS[theme])


def level_label(texts: Texts, level: Level) -> str:
    return texts._(LEVEL_LABELS[level])


async def next_action(session: AsyncSession, initiative_id: int, now: datetime) -> Action | None:
    """The first planned meeting or action still ahead."""
    result = await session.execute(
        select(Action)
        .where(
            Action.initiative_id == initiative_id,
            Action.status == ActionStatus.PLANNED,
            Action.starts_at > now,
        )
        .order_by(col(Action.starts_at), col(Action.id))
        .limit(1)
    )
    return result.scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class Support:
    """The support meter: the initiators' own figures and what the bot counted."""

    reached: int
    interested: int
    committed: int
    organisers: int
    followers: int
    next_action: Action | None
    coming: int
    threshold: int | None
    threshold_reason: str | None


async def support(
    session: AsyncSession, initiative: Initiative, now: datetime, lang: str
) -> Support:
    people = await members(session, initiative.id or 0)
    organisers = sum(1 for member, _ in people if member.role is not MemberRole.FOLLOWER)
    action = await next_action(session, initiative.id or 0, now)
    coming = 0
    threshold: int | None = None
    reason: str | None = None
    if action is not None:
        coming = int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Rsvp)
                    .where(
                        Rsvp.action_id == action.id,
                        Rsvp.answer == RsvpAnswer.COMING,
                        col(Rsvp.waitlisted).is_(False),
                    )
                )
            ).scalar_one()
        )
        if action.kit_id:
            try:
                kit = load_kits().get(action.kit_id)
            except KitError:
                kit = None  # a coach's broken kit folder must not break the card
            if kit is not None and kit.threshold:
                threshold = kit.threshold
                reason = kit.text(lang).threshold_reason
    return Support(
        reached=initiative.households_reached,
        interested=initiative.households_interested,
        committed=initiative.households_committed,
        organisers=organisers,
        followers=len(people) - organisers,
        next_action=action,
        coming=coming,
        threshold=threshold,
        threshold_reason=reason,
    )


def _figures(texts: Texts, meter: Support) -> Safe:
    return texts._(
        "{reached} households reached · {interested} interested · {committed} taking part",
        reached=texts.number(meter.reached),
        interested=texts.number(meter.interested),
        committed=texts.number(meter.committed),
    )


def _team_line(texts: Texts, meter: Support) -> Safe:
    organisers = texts.n_(
        "{n} person organises", "{n} people organise", meter.organisers, n=meter.organisers
    )
    followers = texts.n_(
        "{n} neighbour follows", "{n} neighbours follow", meter.followers, n=meter.followers
    )
    return Safe(f"{organisers} · {followers}")


def _action_line(texts: Texts, action: Action) -> Safe:
    if action.place.strip():
        return texts._(
            "{title}, {when}, {place}",
            title=action.title,
            when=texts.when(action.starts_at),
            place=action.place,
        )
    return texts._("{title}, {when}", title=action.title, when=texts.when(action.starts_at))


def support_text(texts: Texts, initiative: Initiative, meter: Support) -> Safe:
    """The full support meter: the figures, what was counted, and the kit's threshold."""
    lines = [
        texts._("<b>Support meter of {title}</b>", title=initiative.title),
        texts._("<b>Your figures:</b> {figures}", figures=_figures(texts, meter)),
        texts._("<b>Counted by me:</b> {team}", team=_team_line(texts, meter)),
    ]
    if meter.next_action is not None:
        lines.append(
            texts.n_(
                "{n} neighbour is coming to {action}.",
                "{n} neighbours are coming to {action}.",
                meter.coming,
                n=meter.coming,
                action=_action_line(texts, meter.next_action),
            )
        )
    if meter.threshold:
        lines.append(
            texts._(
                "<b>Needed:</b> about {threshold} households. {reason}",
                threshold=texts.number(meter.threshold),
                reason=meter.threshold_reason or "",
            )
        )
        counted = max(meter.committed, meter.coming)
        if counted >= meter.threshold:
            lines.append(texts._("You have reached it!"))
        else:
            missing = meter.threshold - counted
            lines.append(
                texts.n_(
                    "Still {n} household to go.",
                    "Still {n} households to go.",
                    missing,
                    n=missing,
                )
            )
    return Safe("\n".join(lines))


async def card_text(
    texts: Texts,
    session: AsyncSession,
    initiative: Initiative,
    now: datetime,
    rules: PhaseRules = PhaseRules(),
    *,
    organiser: bool = True,
) -> Safe:
    """The initiative card: what, where, why, phase, team, support, next action, next step.

    The next step is the organisers' work; a follower reads what following means instead."""
    meter = await support(session, initiative, now, texts.lang)
    state = await progress(session, initiative, rules, now=now)
    where = texts._(
        "{place} ({level})", place=initiative.place, level=level_label(texts, initiative.level)
    )
    if initiative.postcode_area:
        where = Safe(f"{where} · {initiative.postcode_area}")
    lines = [
        Safe(f"<b>{escape(initiative.title)}</b>"),
        progress_line(texts, initiative.phase),
        "",
        texts._("<b>What:</b> {what}", what=initiative.what),
        texts._("<b>Where:</b> {where}", where=where),
    ]
    if initiative.why.strip():
        lines.append(texts._("<b>Why:</b> {why}", why=initiative.why))
    from bot.domain.programmes import resident_line  # the programme it is part of, for residents

    programme = await resident_line(session, initiative, now.astimezone(texts.tz).date())
    if programme:
        lines.append(Safe(f"🏛 <i>{escape(programme)}</i>"))
    lines += [
        texts._("<b>Theme:</b> {theme}", theme=theme_label(texts, initiative.theme)),
        texts._("<b>Team:</b> {team}", team=_team_line(texts, meter)),
        texts._("<b>Support:</b> {figures}", figures=_figures(texts, meter)),
    ]
    if meter.next_action is not None:
        lines.append(
            texts._("<b>Coming up:</b> {action}", action=_action_line(texts, meter.next_action))
        )
    from bot.domain.outcomes import impact_lines, impact_of

    achieved = impact_lines(texts, await impact_of(session, initiative.id or 0))
    if achieved:
        lines.append(texts._("<b>Achieved together:</b>"))
        lines += [Safe(f"• {line}") for line in achieved]
    if organiser:
        hint = goal_hint(texts, state.next_goal)
        lines += ["", texts._("👉 <b>Next step:</b> {hint}", hint=hint)]
    else:
        lines += ["", texts._(FOLLOWER_HINT)]
    return Safe("\n".join(lines))


FOLLOWER_HINT = N_(
    "You follow this initiative: you hear here when there's something to join. "
    "Would you like to help organise it? Tell the initiators."
)


def progress_text(texts: Texts, initiative: Initiative, state: Progress) -> Safe:
    """Where the initiative stands: the phase, its goals ticked off, the one next step."""
    lines = [
        texts._("<b>Progress of {title}</b>", title=initiative.title),
        progress_line(texts, state.phase),
        texts._(PHASE_DESCRIPTIONS[state.phase]),
        "",
        texts._("<b>Goals of this phase:</b>"),
    ]
    for goal in state.goals:
        lines.append(f"{'✅' if goal.met else '⬜'} {texts._(goal.label)}")
    if state.phase is Phase.SUSTAIN:
        lines += ["", texts._(SUSTAIN_ADVICE)]
    lines += ["", texts._("👉 <b>Next step:</b> {hint}", hint=goal_hint(texts, state.next_goal))]
    if state.next_goal is not None and state.phase is not Phase.SUSTAIN:
        lines.append(
            texts._(
                "When all goals are met, you reach the next phase: {phase}.",
                phase=phase_label(texts, _following(state.phase)),
            )
        )
    return Safe("\n".join(lines))


def _following(phase: Phase) -> Phase:
    phases = list(Phase)
    return phases[min(phases.index(phase) + 1, len(phases) - 1)]
