"""Onboarding: greet, ask the name to use, the postcode, and consent to store them."""

from __future__ import annotations

import re
from dataclasses import replace
from enum import StrEnum

from bot import conversation as conv
from bot.context import Ctx
from bot.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer
from bot.flows.basics import follow_deep_link, privacy_text
from bot.i18n import N_, Safe
from bot.registry import Registry
from bot.seam import SendText

POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})?$")
NAME_MAX = 40


class Step(StrEnum):
    NAME = "name"
    POSTCODE = "postcode"
    CONSENT = "consent"


def parse_first_name(_ctx: Ctx, text: str) -> str:
    name = " ".join(text.split())
    if text.startswith("/") or not any(char.isalpha() for char in name):
        raise Invalid(N_("That does not look like a name. What may I call you?"))
    if len(name) > NAME_MAX:
        raise Invalid(N_("Please keep your name under {limit} characters."), limit=NAME_MAX)
    return name


def parse_postcode(_ctx: Ctx, text: str) -> str:
    """'1234 AB' or just '1234': never more than the person chooses to give."""
    match = POSTCODE.match(text.strip())
    if not match:
        raise Invalid(
            N_("That is not a postcode I know. Type it like 1234 AB, or only the 4 digits.")
        )
    digits, letters = match.groups()
    return f"{digits} {letters.upper()}" if letters else digits


def say_name(ctx: Ctx) -> Safe:
    return ctx._(
        "Hello! I am Buurbot.\n"
        "I help neighbours to start something together: greener, safer, more sociable "
        "or more energy-efficient.\n"
        "From an idea, to a team, to an action the whole street joins.\n"
        "I help you ask your neighbours; I never message them myself.\n\n"
        "What name shall I use for you?"
    )


async def name_choices(ctx: Ctx) -> list[Choice]:
    telegram_name = ctx.person.first_name
    if not telegram_name or not any(char.isalpha() for char in telegram_name):
        return []
    shown = telegram_name[:NAME_MAX]
    # "ja", "ok", "prima" typed take the offered name, as the button does.
    return [Choice("tg", lambda c: c._("Call me {name}", name=shown), value=shown, means="yes")]


def say_postcode(ctx: Ctx) -> Safe:
    return ctx._(
        "Nice to meet you, {name}!\n\n"
        "What is your postcode? Then I can find initiatives near you. "
        "Type it like 1234 AB, or only the 4 digits.",
        name=ctx.data.get(Step.NAME, ""),
    )


def say_consent(ctx: Ctx) -> Safe:
    postcode = ctx.data.get(Step.POSTCODE)
    if postcode:
        return ctx._(
            "May I store your name ({name}) and postcode ({postcode})?\n"
            "I only use them for Buurbot. You can see or delete them at any time. "
            "If you say no, you can still look at the ideas for actions.",
            name=ctx.data.get(Step.NAME, ""),
            postcode=postcode,
        )
    return ctx._(
        "May I store your name ({name})?\n"
        "I only use it for Buurbot. You can see or delete it at any time. "
        "If you say no, you can still look at the ideas for actions.",
        name=ctx.data.get(Step.NAME, ""),
    )


async def show_privacy(ctx: Ctx, _value: object) -> Next:
    ctx.say(privacy_text(ctx))
    return Step.CONSENT


def _open_with(ctx: Ctx, intro: Safe, since: int) -> None:
    """Put `intro` at the top of the first message sent to this chat from `since` on: one
    message that thanks and shows what to do next, rather than a thank-you without buttons."""
    for index in range(since, len(ctx.out)):
        message = ctx.out[index]
        if isinstance(message, SendText) and message.chat_id == ctx.chat_id:
            ctx.out[index] = replace(message, text=f"{intro}\n\n{message.text}")
            return
    ctx.out.insert(since, SendText(chat_id=ctx.chat_id, text=intro))


async def finish(ctx: Ctx, answer: str) -> Next:
    person = ctx.person
    if answer == "yes":
        person.name = ctx.data.get(Step.NAME)
        person.postcode = ctx.data.get(Step.POSTCODE)
        person.consented_at = ctx.now()
        intro = ctx._("Thank you, {name}. You are all set.", name=person.display_name)
    else:
        person.name = None
        person.postcode = None
        person.consented_at = None
        intro = ctx._(
            "That is fine: I have not stored your name or postcode. "
            "You can still look at the ideas for actions. Change your mind? Type /start."
        )
    person.onboarded_at = ctx.now()
    pending_link = ctx.data.get("pending_link")
    await conv.advance(ctx, END)
    if pending_link and person.consented_at is not None:
        first_reply = len(ctx.out)
        await follow_deep_link(ctx, pending_link)
        _open_with(ctx, intro, since=first_reply)
        return HANDLED
    if pending_link:
        intro = Safe(
            intro
            + "\n\n"
            + ctx._(
                "You opened an invitation. To join, I need to store your name. "
                "Open the invitation link again whenever you like."
            )
        )
    await conv.show_menu(ctx, intro=intro)
    return HANDLED


onboarding = Flow(
    "onboarding",
    [
        Ask(
            Step.NAME,
            say=say_name,
            choices=name_choices,
            text=TextAnswer(parse=parse_first_name, max_length=200),
            then=Step.POSTCODE,
            menu_button=False,
        ),
        Ask(
            Step.POSTCODE,
            say=say_postcode,
            choices=[Choice("skip", N_("I would rather not say"), value=None)],
            text=TextAnswer(parse=parse_postcode, max_length=20),
            then=Step.CONSENT,
            menu_button=False,
        ),
        Ask(
            Step.CONSENT,
            say=say_consent,
            choices=[
                Choice("yes", N_("Yes, that is fine")),
                Choice("no", N_("No, do not store it")),
                Choice("privacy", N_("What do you store?"), then=show_privacy),
            ],
            then=finish,
            menu_button=False,
            use_buttons_hint=N_("Please answer with one of the buttons: yes or no."),
        ),
    ],
)


def register(registry: Registry) -> None:
    registry.add_flow(onboarding)
