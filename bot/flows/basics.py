"""What works everywhere in a private chat: /menu, /help, /stop, /taal (/language), /privacy,
the main menu's buttons, and following a deep link."""

from __future__ import annotations

import logging

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.payloads import is_deep_link_payload
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.core.understand import fold
from bot.i18n import N_, Safe, pick_language
from bot.views.buttons import menu_button
from bot.views.entries import FOLLOW_DEEP_LINK
from bot.views.privacy_text import privacy_text
from bot.views.routes import Answer, Language, MenuChoice, Privacy, Resume, ToMenu
from bot.views.text import paragraphs

log = logging.getLogger(__name__)

# Each language in its own name, in the order of SUPPORTED_LANGUAGES.
LANGUAGE_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "tr": "Türkçe",
    "pl": "Polski",
    "ar": "العربية",
    "uk": "Українська",
}
# /taal and /language everywhere; each language also its own word (Latin letters only:
# Telegram's command names are [a-z0-9_]).
LANGUAGE_COMMANDS = {"tr": "dil", "pl": "jezyk", "ar": "lugha", "uk": "mova"}


def register(registry: Registry) -> None:
    registry.provide(FOLLOW_DEEP_LINK)(follow_deep_link)
    registry.command("menu", description=N_("Main menu"))(menu_command)
    registry.command("hulp", "help", description=N_("What I can do for you"), group=True)(
        help_command
    )
    registry.command("stop", description=N_("Stop what we are doing"))(stop_command)
    registry.command(
        "taal", "language", description=N_("Change the language"), local=LANGUAGE_COMMANDS
    )(language_command)
    registry.command("privacy", description=N_("What I store about you"))(privacy_command)
    registry.command("start", description=N_("Start"), menu=False)(start_command)
    registry.on(Answer)(conv.answer_button)
    registry.on(MenuChoice)(menu_choice)
    registry.on(ToMenu)(menu_pressed)
    registry.on(Resume)(resume_pressed)
    registry.on(Language)(language_pressed)
    registry.on(Privacy)(privacy_pressed)
    registry.menu_entry("help", N_("Help"), order=90)(help_menu)


async def start_command(ctx: Ctx, args: str) -> None:
    """/start, possibly with a deep-link payload (an invitation) that must survive onboarding."""
    payload = args.strip()
    if payload and not is_deep_link_payload(payload):
        payload = ""
    # New, or said no to storing their name before ("Change your mind? Type /start").
    if ctx.person.onboarded_at is None or (ctx.person.consented_at is None and not payload):
        await conv.start_flow(ctx, "onboarding", {"pending_link": payload} if payload else None)
        return
    if payload:
        await follow_deep_link(ctx, payload)
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.show_menu(ctx, intro=ctx._("Welcome back, {name}!", name=ctx.person.display_name))


async def follow_deep_link(ctx: Ctx, payload: str) -> None:
    prefix, _, rest = payload.partition("-")
    handler = ctx.services.registry.deep_links.get(prefix)
    if handler is None or not rest:
        log.info("unknown deep link payload prefix %r", prefix[:16])
        await conv.show_menu(
            ctx, intro=ctx._("This link doesn't work (any more). Here's the menu.")
        )
        return
    await handler(ctx, rest)


async def menu_command(ctx: Ctx, _args: str) -> None:
    if ctx.person.onboarded_at is None:
        await conv.start_flow(ctx, "onboarding")
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.show_menu(ctx)


async def menu_pressed(ctx: Ctx, _press: ToMenu) -> None:
    await menu_command(ctx, "")


async def resume_pressed(ctx: Ctx, _press: Resume) -> None:
    if not await conv.resume_paused(ctx):
        await conv.show_menu(ctx, intro=ctx._("There's nothing to pick up again."))


async def menu_choice(ctx: Ctx, press: MenuChoice) -> None:
    if ctx.person.onboarded_at is None:
        await conv.start_flow(ctx, "onboarding")
        return
    entry = next((e for e in ctx.services.registry.menu if e.key == press.key), None)
    if entry is None or (entry.visible is not None and not entry.visible(ctx)):
        await conv.refuse_stale(ctx)
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await entry.handler(ctx)


async def stop_command(ctx: Ctx, _args: str) -> None:
    was_busy = ctx.conversation.flow is not None
    conv.leave_flow(ctx, keep_for_later=False)
    if ctx.person.onboarded_at is None:
        ctx.say(
            ctx._("Stopped. Type /start whenever you want to begin."),
            [[Button(ctx._("Start again"), ToMenu().pack())]],
        )
        return
    intro = (
        ctx._("Stopped. Nothing from that question was saved.")
        if was_busy
        else ctx._("There was nothing to stop.")
    )
    await conv.show_menu(ctx, intro=intro)


def help_text(ctx: Ctx) -> Safe:
    return ctx._(
        "I help you and your neighbours to start something good in your street: "
        "from an idea, to a team, to an action the whole street joins, "
        "to a group that keeps going.\n\n"
        "<b>Commands</b>\n"
        "/menu – the main menu\n"
        "/stop – stop what we are doing\n"
        "/language – change the language\n"
        "/privacy – what I store about you\n\n"
        "You can always type /menu to go back."
    )


async def help_command(ctx: Ctx, _args: str) -> None:
    ask = conv.current_ask(ctx)
    if ask is not None:
        text, rows = await conv.question_of(ctx, ask)
        ctx.say(paragraphs(help_text(ctx), f"{ctx._('We were here:')}\n{text}"), rows)
        return
    ctx.say(help_text(ctx), [[menu_button(ctx.texts)]])


async def help_menu(ctx: Ctx) -> None:
    await help_command(ctx, "")


def language_buttons() -> list[list[Button]]:
    buttons = [Button(name, Language(code).pack()) for code, name in LANGUAGE_NAMES.items()]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def language_command(ctx: Ctx, args: str) -> None:
    wanted = pick_language(args.strip(), "")
    if not wanted:  # "/language Türkçe", "/taal polski"
        typed = fold(args)
        wanted = next((c for c, name in LANGUAGE_NAMES.items() if fold(name) == typed), "")
    if wanted in LANGUAGE_NAMES:
        await set_language(ctx, wanted)
        return
    ctx.say(ctx._("Which language shall I use?"), language_buttons())


async def language_pressed(ctx: Ctx, press: Language) -> None:
    if press.code not in LANGUAGE_NAMES:
        await conv.refuse_stale(ctx)
        return
    await set_language(ctx, press.code)


async def set_language(ctx: Ctx, lang: str) -> None:
    ctx.person.language = lang
    ctx.person.language_chosen = True
    await conv.ask_current(ctx, before=ctx._("From now on I speak English with you."))


async def privacy_command(ctx: Ctx, _args: str) -> None:
    ask = conv.current_ask(ctx)
    if ask is not None:
        text, rows = await conv.question_of(ctx, ask)
        ctx.say(paragraphs(privacy_text(ctx), text), rows)
        return
    ctx.say(privacy_text(ctx), [[menu_button(ctx.texts)]])


async def privacy_pressed(ctx: Ctx, _press: Privacy) -> None:
    await privacy_command(ctx, "")
