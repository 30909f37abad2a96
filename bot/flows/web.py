"""/web: a coach, operator or programme manager gets a one-time login link for the web
console (valid 15 minutes, works once). Also the button in the coach overview."""

from __future__ import annotations

import html

from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.logins import LINK_MINUTES, issue_login, may_have_link
from bot.i18n import N_, Safe, escape
from bot.views.buttons import menu_button
from bot.views.coach import needs_onboarding
from bot.views.routes import WebLink


async def web_command(ctx: Ctx, _args: str) -> None:
    if await needs_onboarding(ctx):
        return
    await send_link(ctx)


async def pressed(ctx: Ctx, _press: WebLink) -> None:
    ctx.toast()
    await send_link(ctx)


async def send_link(ctx: Ctx) -> None:
    if not await may_have_link(ctx.session, ctx.person):
        ctx.say(
            ctx._(
                "The web console is for neighbourhood coaches and programme managers. "
                "Everything you do as a neighbour is right here in the chat."
            ),
            [[menu_button(ctx.texts)]],
        )
        return
    settings = ctx.services.settings
    url = await issue_login(
        ctx.session, settings, resident_id=ctx.person.id, operator=False, now=ctx.now()
    )
    rows = []
    if url.startswith("https://"):  # Telegram refuses buttons to plain http and localhost
        rows.append([Button(ctx._("Log in to the web console"), url=url)])
    rows.append([menu_button(ctx.texts)])
    ctx.say(
        ctx._(
            "🔑 <b>Your login link for the web console</b>\n\n{link}\n\n"
            "It works once, for {minutes} minutes. Do not pass it on: whoever opens it is "
            "logged in as you.",
            link=Safe(f'<a href="{html.escape(url, quote=True)}">{escape(url)}</a>'),
            minutes=LINK_MINUTES,
        ),
        rows,
    )


def register(registry: Registry) -> None:
    registry.command(
        "web",
        description=N_("Coaches and programme managers: log in to the web console"),
        menu=False,
    )(web_command)
    registry.on(WebLink)(pressed)
