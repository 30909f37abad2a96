"""The buttons many screens share, each built in one place: back to the menu, to the
initiative, to the action, and the row of answers to an invitation."""

from __future__ import annotations

from bot.core.conversation import menu_button  # defined in the core: its questions show it
from bot.core.payloads import pack
from bot.core.seam import Button
from bot.i18n import N_, Texts
from storage.models import RsvpAnswer

__all__ = [
    "BACK_TO_THE_INITIATIVE",
    "OPEN_THE_INITIATIVE",
    "RSVP_BUTTONS",
    "RSVP_KEYS",
    "TO_THE_INITIATIVE",
    "action_button",
    "initiative_button",
    "menu_button",
    "rsvp_row",
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


def initiative_button(
    texts: Texts, initiative_id: int | None, label: str = TO_THE_INITIATIVE
) -> Button:
    """The initiative's card; `label` is one of the three wordings above."""
    return Button(texts._(label), pack("ini", "card", initiative_id))


def action_button(texts: Texts, action_id: int) -> Button:
    return Button(texts._("Show the action"), pack("act", "show", action_id))


def rsvp_row(
    texts: Texts,
    action_id: int,
    current: RsvpAnswer | None = None,
    *,
    waiting: bool = False,
    route: str = "rsvp",
) -> list[Button]:
    """The three answers, the person's own ticked; on the waiting list their "coming" says
    so instead (they have no place yet). A group's card (`route` "grsvp") ticks none."""

    def label(answer: RsvpAnswer) -> str:
        if answer is current and answer is RsvpAnswer.COMING and waiting:
            return texts._("⏳ On the waiting list")
        return ("✓ " if answer is current else "") + texts._(RSVP_BUTTONS[answer])

    return [Button(label(answer), pack(route, action_id, key)) for key, answer in RSVP_KEYS.items()]
