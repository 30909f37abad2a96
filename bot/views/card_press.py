"""What every button of the initiative card does first (`ini:<verb>:<initiative id>`):
a person who is not onboarded yet is onboarded; the initiative the press names is loaded
when the person may do what the button needs (bot/domain/authz.py decides), and refused
kindly otherwise (a forged id, an initiative someone left, an old button); showing
something else leaves the current flow, kept for "continue where I was".

    registry.on(IniCard)(on_initiative(Permission.VIEW_INITIATIVE)(card_pressed))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.payloads import Press
from bot.domain.authz import Permission
from bot.views.initiative import allowed_initiative, refuse_initiative
from bot.views.routes import OnInitiative
from storage.models import Initiative

T = TypeVar("T", bound=OnInitiative)
P = TypeVar("P", bound=Press)
# Flows check `initiative is not None` themselves where the type checker needs it.
CardHandler = Callable[[Ctx, "Initiative | None", T], Awaitable[None]]


def on_initiative(
    permission: Permission,
) -> Callable[[CardHandler[T]], Callable[[Ctx, T], Awaitable[None]]]:
    """A card button's handler, given the initiative once the person may do `permission`."""

    def wrap(handler: CardHandler[T]) -> Callable[[Ctx, T], Awaitable[None]]:
        async def checked(ctx: Ctx, press: T) -> None:
            if ctx.person.onboarded_at is None:
                await conv.start_flow(ctx, "onboarding")
                return
            initiative = await allowed_initiative(ctx, press.initiative_id, permission)
            if initiative is None:
                await refuse_initiative(ctx)
                return
            conv.leave_flow(ctx, keep_for_later=True)
            await handler(ctx, initiative, press)

        return checked

    return wrap


def on_card(handler: Callable[[Ctx, P], Awaitable[None]]) -> Callable[[Ctx, P], Awaitable[None]]:
    """A card button that names no initiative (consent, joining by invitation token)."""

    async def onboarded(ctx: Ctx, press: P) -> None:
        if ctx.person.onboarded_at is None:
            await conv.start_flow(ctx, "onboarding")
            return
        conv.leave_flow(ctx, keep_for_later=True)
        await handler(ctx, press)

    return onboarded
