"""What the bot says when an action is over, in one place: the question to the
initiators (how did it go?), the thank-you to who came (and the offer to help next
time, with its answers), what the initiator reads after reporting back, and the
group's thank-you.

Each function returns (text, rows) in the reader's language; whoever sends it (a flow,
the scheduler's renderers, a group) decides whether it is still the moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.core.seam import Button
from bot.domain.actions import find_kit
from bot.domain.impact import compute
from bot.domain.outcomes import impact_lines
from bot.i18n import Safe, Texts
from bot.views.buttons import (
    OPEN_THE_INITIATIVE,
    initiative_button,
    join_button,
    menu_button,
    not_now_button,
    plan_button,
)
from bot.views.routes import HelpNext, KitShow, KitUse, Review
from bot.views.text import unescaped
from storage.models import Action, ActionKind, Initiative, MemberRole

Screen = tuple[Safe, list[list[Button]]]


def _day(texts: Texts, moment: datetime) -> str:
    return texts.day(moment.astimezone(texts.tz).date())


def _initiative_row(texts: Texts, initiative_id: int) -> list[Button]:
    return [initiative_button(texts, initiative_id, OPEN_THE_INITIATIVE)]


def report_back_button(texts: Texts, action_id: int) -> Button:
    """On the action's card once it has started, for the initiators."""
    return Button(texts._("Report back: how did it go?"), Review(action_id).pack())


def review_prompt(texts: Texts, action: Action) -> Screen:
    """The initiators, the day after: how did it go, and what comes next?"""
    text = texts._(
        "<b>{title}</b> was on {day}. How did it go?\n\n"
        "Tell me in a few taps: how many neighbours came, what went well, "
        "and what you want to do next. That's how one action leads to the next.",
        title=action.title,
        day=_day(texts, action.starts_at),
    )
    return text, [
        [Button(texts._("Tell how it went"), Review(action.id or 0).pack())],
        _initiative_row(texts, action.initiative_id),
    ]


def thanks_for_coming(texts: Texts, action: Action, role: MemberRole) -> Screen:
    """Who came, the day after: thank you; a follower is asked to help next time."""
    day = _day(texts, action.starts_at)
    if role is MemberRole.FOLLOWER:
        text = texts._(
            "Thank you for coming to <b>{title}</b> on {day}! 🙏\n\n"
            "Would you like to help organise the next one? "
            "Then you join the team. It can be a small task.",
            title=action.title,
            day=day,
        )
        return text, [
            [Button(texts._("Yes, I want to help"), HelpNext(action.id or 0).pack())],
            [not_now_button(texts)],
        ]
    text = texts._(
        "Thank you for coming to <b>{title}</b> on {day}, and for helping to make it happen! 🙏",
        title=action.title,
        day=day,
    )
    return text, [_initiative_row(texts, action.initiative_id)]


def _card_and_menu(texts: Texts, initiative: Initiative) -> list[list[Button]]:
    return [
        [initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)],
        [menu_button(texts)],
    ]


def already_helping(texts: Texts, initiative: Initiative) -> Screen:
    """ "I want to help" from someone in the team already."""
    text = texts._(
        "You're already in the team of <b>{title}</b>. Thank you for helping!",
        title=initiative.title,
    )
    return text, _card_and_menu(texts, initiative)


def cannot_add_helper(texts: Texts) -> Screen:
    """ "I want to help" from someone who did not come, or is no longer a member."""
    text = texts._(
        "Thank you for wanting to help! I can't add you to this team from here. "
        "Ask one of the initiators to invite you."
    )
    return text, [[menu_button(texts)]]


def joined_as_helper(texts: Texts, name: str, initiative: Initiative) -> Screen:
    """ "I want to help": now in the team, and the initiators are told."""
    text = texts._(
        "Wonderful, {name}! You're now in the team of <b>{title}</b>. 🙌\n\n"
        "I let the initiators know. They will get in touch about the next action. "
        "Have a look at what is going on:",
        name=name,
        title=initiative.title,
    )
    return text, _card_and_menu(texts, initiative)


def review_done(
    texts: Texts, action: Action, initiative: Initiative, counted: Mapping[str, int]
) -> Screen:
    """The initiator reported back: what was noted, what it achieved, and the next one."""
    iid = initiative.id or 0
    lines = [
        texts._("🙌 Thank you! I wrote it down."),
        texts.n_(
            "{n} person came to {title}.",
            "{n} people came to {title}.",
            action.attended or 0,
            title=action.title,
        ),
        *impact_lines(texts, compute([counted])),
    ]
    rows: list[list[Button]] = []
    next_kit = find_kit(action.next_step)
    if next_kit is not None:
        title = next_kit.text(texts.lang).title
        lines.append(texts._("Next: {next}. Shall we plan it right away?", next=title))
        rows.append(
            [
                Button(
                    unescaped(texts._("Plan: {next}", next=title)),
                    KitUse(next_kit.id, iid).pack(),
                )
            ]
        )
        rows.append([Button(texts._("Read the kit first"), KitShow(next_kit.id, iid).pack())])
    elif action.next_step:
        lines.append(texts._("Next: {next}. Shall we plan it right away?", next=action.next_step))
    else:
        lines.append(
            texts._("Keeping a rhythm helps: shall we plan the next meeting or action right away?")
        )
    rows.append(
        [
            plan_button(texts, iid, ActionKind.MEETING),
            plan_button(texts, iid, ActionKind.ACTION),
        ]
    )
    rows.append([initiative_button(texts, iid), menu_button(texts)])
    return Safe("\n".join(lines)), rows


def group_thanks(texts: Texts, action: Action, *, coming: int, join: str | None) -> Screen | None:
    """The group, the day after: thank you, with how many came (as the initiators
    reported, else how many said they were coming: `coming`); None when nobody came.
    `join` is the initiative's join link, to help organise the next one."""
    if action.attended is not None:
        people = action.attended
        figure = texts.n_("{n} neighbour came.", "{n} neighbours came.", people)
    else:
        people = coming
        figure = texts.n_(
            "{n} neighbour said they were coming.", "{n} neighbours said they were coming.", people
        )
    if people <= 0:
        return None
    lines = [
        texts._(
            "🙏 Thank you, everyone who came to <b>{title}</b>! {figure}",
            title=action.title,
            figure=figure,
        ),
        texts._("What comes next? You will read it here. Type /plan for the plan."),
    ]
    rows: list[list[Button]] = []
    if join:
        lines.append(texts._("Want to help organise the next one? Join the initiative."))
        rows.append([join_button(texts, join)])
    return Safe("\n\n".join(lines)), rows
