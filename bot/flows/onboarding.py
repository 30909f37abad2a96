"""Onboarding: one question. Greet, and ask the name to use; tapping the offered name (or
typing another) is the consent to store it, as the question says. The postcode is asked
later, where it helps (finding initiatives nearby, placing an idea), never here.

From an invitation link to being in the team is three inputs: Start, the name, the team.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import SendText
from bot.domain.initiatives import by_invite_token
from bot.domain.places import postcode_of
from bot.i18n import N_, Safe
from bot.views.entries import FOLLOW_DEEP_LINK
from bot.views.invitation import LINK_PREFIX
from bot.views.privacy_text import privacy_text
from bot.views.text import paragraphs

NAME_MAX = 40
# What people type first to a chat bot: a greeting, not their name.
GREETINGS = frozenset(
    "hoi hallo hai hey hee hi hello hiya yo dag goedemorgen goedemiddag goedenavond "
    "morgen middag avond test start begin help hulp".split()
)
INVITE_PREFIX = f"{LINK_PREFIX}-"


class Step(StrEnum):
    NAME = "name"


def parse_first_name(_ctx: Ctx, text: str) -> str:
    name = " ".join(text.split())
    if text.startswith("/") or not any(char.isalpha() for char in name):
        raise Invalid(N_("That doesn't look like a name. What shall I call you?"))
    if len(name) > NAME_MAX:
        raise Invalid(N_("Please keep your name under {limit} characters."), limit=NAME_MAX)
    if name.casefold().strip(" !?.,") in GREETINGS:
        raise Invalid(N_("Hello to you too! What name shall I use for you?"))
    if postcode_of(name):
        raise Invalid(
            N_("That looks like a postcode. I don't need it now. What name shall I use for you?")
        )
    return name


def offered_name(ctx: Ctx) -> str | None:
    """The first name the network gave, if it reads as a name."""
    name = ctx.person.first_name
    if not name or not any(char.isalpha() for char in name):
        return None
    return name[:NAME_MAX]


async def say_name(ctx: Ctx) -> Safe:
    link = ctx.data.get(conv.PENDING_LINK) or ""
    invited = None
    if isinstance(link, str) and link.startswith(INVITE_PREFIX):
        invited = await by_invite_token(ctx.session, link[len(INVITE_PREFIX) :])
    if invited is not None and invited.invite_active:
        hello = ctx._("Hello! I'm Buurbot. You're invited to <b>{title}</b>.", title=invited.title)
    else:
        hello = ctx._(
            "Hello! I'm Buurbot.\n"
            "I help neighbours start something together: greener, safer, more sociable "
            "or more energy-efficient.\n"
            "From an idea, to a team, to an action the whole street joins.\n"
            "I help you ask your neighbours; I never message them myself."
        )
    if offered_name(ctx):
        question = ctx._("What name shall I use for you? Tap your name below, or type another one.")
    else:
        question = ctx._("What name shall I use for you? Type it below.")
    stored = ctx._(
        "I'll store only that name, so your neighbours know who they're working with. "
        "You can see or delete it at any time."
    )
    return paragraphs(hello, f"{question}\n{stored}")


async def name_choices(ctx: Ctx) -> list[Choice]:
    choices = []
    shown = offered_name(ctx)
    if shown:
        # "ja", "ok", "prima" typed take the offered name, as the button does.
        choices.append(
            Choice("tg", lambda c: c._("Call me {name}", name=shown), value=shown, means="yes")
        )
    choices.append(Choice("privacy", N_("What do you store?"), then=show_privacy))
    choices.append(Choice("no", N_("Don't store my name"), value=None, then=declined))
    return choices


async def show_privacy(ctx: Ctx, _value: object) -> Next:
    ctx.say(privacy_text(ctx))
    return Step.NAME


def _open_with(ctx: Ctx, intro: Safe, since: int) -> None:
    """Put `intro` at the top of the first message sent to this chat from `since` on: one
    message that thanks and shows what to do next, rather than a thank-you without buttons."""
    for index in range(since, len(ctx.out)):
        message = ctx.out[index]
        if isinstance(message, SendText) and message.chat_id == ctx.chat_id:
            ctx.out[index] = replace(message, text=f"{intro}\n\n{message.text}")
            return
    ctx.out.insert(since, SendText(chat_id=ctx.chat_id, text=intro))


async def named(ctx: Ctx, name: str) -> Next:
    """The name tapped or typed: the question said it is stored, so this is the consent."""
    person = ctx.person
    person.name = name
    person.consented_at = ctx.now()
    person.onboarded_at = ctx.now()
    intro = ctx._("Thank you, {name}. You're all set.", name=person.display_name)
    pending_link = ctx.data.get(conv.PENDING_LINK)
    await conv.advance(ctx, END)
    if pending_link:
        first_reply = len(ctx.out)
        await ctx.open(FOLLOW_DEEP_LINK, pending_link)
        _open_with(ctx, intro, since=first_reply)
        return HANDLED
    await conv.show_menu(ctx, intro=intro)
    return HANDLED


async def declined(ctx: Ctx, _value: object) -> Next:
    person = ctx.person
    person.name = None
    person.postcode = None
    person.consented_at = None
    person.onboarded_at = ctx.now()
    intro = ctx._(
        "That's fine: I haven't stored your name. "
        "You can still look at the ideas for actions. Changed your mind? Type /start."
    )
    pending_link = ctx.data.get(conv.PENDING_LINK)
    await conv.advance(ctx, END)
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
            then=named,
            menu_button=False,
        ),
    ],
)


def register(registry: Registry) -> None:
    registry.add_flow(onboarding)
