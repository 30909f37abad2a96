"""/koppel (/link): one person on Telegram and on WhatsApp, linked with a one-time code.

On one network the person asks for a code ("Geef me een code"): six digits, valid for
15 minutes, once (only its hash is stored, `bot.core.linking.issue_code`). On the other
network they type ``/koppel 123456`` (or tap "Ik heb een code" and type it): that
network's identity then belongs to the same resident (`bot.core.linking.redeem`). When the
person on the second network is new (nothing stored but their conversation), that fresh
resident is dissolved into the first; when both sides already have initiatives or answers
nothing is merged and they are told kindly. Too many wrong codes in an hour: a kind
refusal for that hour. Phone numbers are never shown.

Buttons: ``link:<give|have>``. The main-menu entry shows only where both networks run.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core import conversation as conv
from bot.core import identities
from bot.core.context import Ctx
from bot.core.flow import HANDLED, Ask, Flow, Invalid, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button, Network, SendText, network_of
from bot.domain import linking
from bot.domain.linking import CODE_VALID, LinkOutcome
from bot.i18n import N_, Safe, texts_for
from bot.views.buttons import menu_button
from bot.views.routes import LinkGive, LinkHave

NETWORK_NAMES = {Network.TELEGRAM: "Telegram", Network.WHATSAPP: "WhatsApp"}
MINUTES = int(CODE_VALID.total_seconds() // 60)


class Step(StrEnum):
    CODE = "code"


def register(registry: Registry) -> None:
    registry.add_flow(link_flow)
    registry.command("koppel", "link", description=N_("Link Telegram and WhatsApp"), menu=False)(
        link_command
    )
    registry.on(LinkGive)(give_pressed)
    registry.on(LinkHave)(have_pressed)
    registry.menu_entry("link", N_("Link your apps"), order=85, visible=both_networks)(link_menu)


def both_networks(ctx: Ctx) -> bool:
    settings = ctx.services.settings
    return bool(settings.telegram_token) and settings.whatsapp_enabled


def here(ctx: Ctx) -> Network:
    return network_of(ctx.chat_id)


def other_name(ctx: Ctx) -> str:
    other = Network.TELEGRAM if here(ctx) is Network.WHATSAPP else Network.WHATSAPP
    return NETWORK_NAMES[other]


def command_name(ctx: Ctx) -> str:
    return "koppel" if ctx.person.language == "nl" else "link"


async def link_command(ctx: Ctx, args: str) -> None:
    if args.strip():
        await redeem(ctx, args)
        return
    await show_link(ctx)


async def link_menu(ctx: Ctx) -> None:
    await show_link(ctx)


async def show_link(ctx: Ctx) -> None:
    linked = await identities.networks_of(ctx.session, ctx.person.id)
    if len(linked) > 1:
        ctx.say(
            ctx._("You are linked already: I know you on Telegram and on WhatsApp."),
            [[menu_button(ctx.texts)]],
        )
        return
    text = ctx._(
        "<b>Telegram and WhatsApp</b>\n"
        "Do you use Buurbot on {other} too? Link the two apps. "
        "Then your initiatives and answers are the same in both.\n"
        "Nobody sees your phone number.",
        other=other_name(ctx),
    )
    rows: list[list[Button]] = []
    if ctx.person.consented_at is not None:
        rows.append([Button(ctx._("Give me a code"), LinkGive().pack())])
    rows.append([Button(ctx._("I have a code"), LinkHave().pack())])
    rows.append([menu_button(ctx.texts)])
    ctx.say(text, rows)


async def give_pressed(ctx: Ctx, _press: LinkGive) -> None:
    if ctx.person.consented_at is None:
        await conv.refuse_stale(ctx)
        return
    await give_code(ctx)


async def have_pressed(ctx: Ctx, _press: LinkHave) -> None:
    await conv.start_flow(ctx, "link")


async def give_code(ctx: Ctx) -> None:
    code = await linking.issue_code(ctx.session, ctx.person, ctx.chat_id, ctx.now())
    shown = f"{code[:3]} {code[3:]}"
    typed = f"/{command_name(ctx)} {code}"
    text = ctx._(
        "Your code: <b>{code}</b>\n"
        "Open Buurbot on {other} and send this message there:\n"
        "<code>{typed}</code>\n"
        "The code works once, for {minutes} minutes.",
        code=shown,
        other=other_name(ctx),
        typed=typed,
        minutes=MINUTES,
    )
    number = ctx.services.settings.whatsapp_number
    if here(ctx) is Network.TELEGRAM and number:
        link = identities.wa_link(number, typed)
        text = Safe(f"{text}\n{ctx._('Or tap this link: {link}', link=link)}")
    ctx.say(text, [[menu_button(ctx.texts)]])


def parse_code(_ctx: Ctx, text: str) -> str:
    digits = linking.code_digits(text)
    if digits is None:
        raise Invalid(N_("A code has 6 digits, like 123 456. Try again, or type /stop."))
    return digits


async def code_typed(ctx: Ctx, code: str) -> Next:
    await conv.advance(ctx, None)
    await redeem(ctx, code)
    return HANDLED


link_flow = Flow(
    "link",
    [
        Ask(
            Step.CODE,
            say=lambda ctx: ctx._(
                "Type the code you got on {other}: 6 digits.", other=other_name(ctx)
            ),
            text=TextAnswer(parse=parse_code, max_length=20, asks_number=True),
            then=code_typed,
        )
    ],
)


REFUSALS = {
    LinkOutcome.NOT_A_CODE: N_("A code has 6 digits, like 123 456. Try again, or type /stop."),
    LinkOutcome.TOO_MANY: N_(
        "That was too many wrong codes. To be safe, I won't try any more for an hour. "
        "Then ask for a new code."
    ),
    LinkOutcome.UNKNOWN: N_(
        "I don't know that code. Check the digits, or ask for a new code in the other app."
    ),
    LinkOutcome.EXPIRED: N_(
        "That code is too old: a code works for {minutes} minutes. "
        "Ask for a new one in the other app."
    ),
    LinkOutcome.USED: N_("That code was used already. Ask for a new one in the other app."),
    LinkOutcome.SAME_NETWORK: N_("I gave you that code here. Type it in {other}, not here."),
    LinkOutcome.ALREADY: N_("You are linked already: I know you on Telegram and on WhatsApp."),
    LinkOutcome.TAKEN: N_(
        "I can't link these two: one of them is linked to another account already."
    ),
    LinkOutcome.BOTH_HAVE_DATA: N_(
        "You already have initiatives or answers in both apps. "
        "I can't put them together safely, so I linked nothing. "
        "Keep using both, or delete one with /forgetme and link again."
    ),
}


async def redeem(ctx: Ctx, typed: str) -> None:
    result = await linking.redeem(ctx.session, ctx.person, ctx.chat_id, typed, ctx.now())
    if result.outcome is not LinkOutcome.LINKED or result.resident is None:
        msgid = REFUSALS[result.outcome]
        ctx.say(ctx._(msgid, minutes=MINUTES, other=other_name(ctx)), [[menu_button(ctx.texts)]])
        return
    if result.typer_dissolved:
        # The new resident of this chat is gone; the one who gave the code is the person.
        ctx.forgotten = True
        ctx.person = result.resident
    person = result.resident
    home = NETWORK_NAMES[network_of(person.telegram_id)]
    ctx.say(
        ctx._(
            "Done: Telegram and WhatsApp are linked. In both apps you are the same person "
            "for me. Reminders and news come via {home}.",
            home=home,
        ),
        [[menu_button(ctx.texts)]],
    )
    if result.other_address is not None:
        texts = texts_for(person.language, person.timezone)
        ctx.out.append(
            SendText(
                result.other_address,
                texts._(
                    "Linked: you now use Buurbot on {network} too.",
                    network=NETWORK_NAMES[here(ctx)],
                ),
            )
        )
