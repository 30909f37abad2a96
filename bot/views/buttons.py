"""The buttons many screens share, each built in one place: back to the menu, to the
initiative, to the action, and the row of answers to an invitation."""

from __future__ import annotations

from bot.core.conversation import menu_button  # defined in the core: its questions show it
from bot.core.seam import Button
from bot.i18n import N_, Texts
from bot.views.routes import (
    ActNew,
    ActShow,
    GroupRsvp,
    IniCard,
    IniCoach,
    IniProgress,
    IniTeam,
    MatIcs,
    RsvpChoice,
    ToMenu,
    WebLink,
)
from storage.models import ActionKind, RsvpAnswer

__all__ = [
    "BACK_TO_THE_INITIATIVE",
    "CANT_COME_AFTER_ALL",
    "OPEN_THE_INITIATIVE",
    "PLAN_LABELS",
    "RSVP_BUTTONS",
    "RSVP_KEYS",
    "TO_THE_INITIATIVE",
    "action_button",
    "ask_coach_button",
    "calendar_button",
    "initiative_button",
    "join_button",
    "menu_button",
    "not_now_button",
    "plan_button",
    "progress_button",
    "rsvp_button",
    "rsvp_row",
    "team_button",
]

# The initiative's button says where it leads from where it is: a step on ("To"), back
# from one of its screens ("Back to"), or from a message that arrived ("Open").
TO_THE_INITIATIVE = N_("To the initiative")
BACK_TO_THE_INITIATIVE = N_("Back to the initiative")
OPEN_THE_INITIATIVE = N_("Open the initiative")

RSVP_KEYS = {"c": RsvpAnswer.COMING, "m": RsvpAnswer.MAYBE, "n": RsvpAnswer.NO}
RSVP_BUTTONS = {
    RsvpAnswer.COMING: N_("I'm coming"),
    RsvpAnswer.MAYBE: N_("Maybe"),
    RsvpAnswer.NO: N_("I can't come"),
}
PLAN_LABELS = {ActionKind.MEETING: N_("Plan a meeting"), ActionKind.ACTION: N_("Plan an action")}
CANT_COME_AFTER_ALL = N_("I can't come after all")  # a "no" from who said coming


def initiative_button(
    texts: Texts, initiative_id: int | None, label: str = TO_THE_INITIATIVE
) -> Button:
    """The initiative's card; `label` is one of the three wordings above."""
    return Button(texts._(label), IniCard(initiative_id or 0).pack())


def action_button(texts: Texts, action_id: int) -> Button:
    return Button(texts._("Show the action"), ActShow(action_id).pack())


def plan_button(texts: Texts, initiative_id: int | None, kind: ActionKind) -> Button:
    return Button(texts._(PLAN_LABELS[kind]), ActNew(initiative_id or 0, kind.value).pack())


def team_button(texts: Texts, initiative_id: int | None) -> Button:
    return Button(texts._("Team & roles"), IniTeam(initiative_id or 0).pack())


def ask_coach_button(texts: Texts, initiative_id: int | None) -> Button:
    return Button(texts._("Ask my coach"), IniCoach(initiative_id or 0).pack())


def progress_button(texts: Texts, initiative_id: int | None) -> Button:
    return Button(texts._("See the progress"), IniProgress(initiative_id or 0).pack())


def not_now_button(texts: Texts) -> Button:
    """Declines an offer: back to the menu, in other words."""
    return Button(texts._("Not now"), ToMenu().pack())


def join_button(texts: Texts, url: str) -> Button:
    """The initiative's join link, where the reader is not a member (a group, a thank-you)."""
    return Button(texts._("🙋 Join the initiative"), url=url)


def web_console_button(texts: Texts) -> Button:
    """A coach's or manager's link into the web console (sent as a one-time login)."""
    return Button(texts._("Open the web console"), WebLink().pack())


def calendar_button(texts: Texts, action_id: int) -> Button:
    return Button(texts._("Add to my calendar"), MatIcs(action_id).pack())


def rsvp_button(
    texts: Texts, action_id: int, answer: RsvpAnswer, label: str | None = None
) -> Button:
    """One answer on its own (a reminder offers only the ones that change something);
    `label` a msgid in place of the answer's own."""
    return Button(
        texts._(label or RSVP_BUTTONS[answer]), _rsvp_payload(RsvpChoice, action_id, answer)
    )


def _rsvp_payload(kind: type[RsvpChoice | GroupRsvp], action_id: int, answer: RsvpAnswer) -> str:
    return kind(action_id, next(key for key, known in RSVP_KEYS.items() if known is answer)).pack()


def rsvp_row(
    texts: Texts,
    action_id: int,
    current: RsvpAnswer | None = None,
    *,
    waiting: bool = False,
    kind: type[RsvpChoice | GroupRsvp] = RsvpChoice,
) -> list[Button]:
    """The three answers, the person's own ticked; on the waiting list their "coming" says
    so instead (they have no place yet). A group's card (`kind` GroupRsvp) ticks none."""

    def label(answer: RsvpAnswer) -> str:
        if answer is current and answer is RsvpAnswer.COMING and waiting:
            return texts._("⏳ On the waiting list")
        return ("✓ " if answer is current else "") + texts._(RSVP_BUTTONS[answer])

    return [
        Button(label(answer), _rsvp_payload(kind, action_id, answer))
        for answer in RSVP_KEYS.values()
    ]
