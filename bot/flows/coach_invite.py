"""Becoming a neighbourhood coach through an invitation link (`coach-<token>`, made by
`buurbot coach invite`): once, with the invitation's areas."""

from __future__ import annotations

from sqlmodel import select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.domain.audit import audit
from bot.domain.coaches import Area, make_coach, subject
from bot.views.buttons import (
    menu_button,
)
from bot.views.coach import overview_button
from bot.views.text import paragraphs
from storage.models import CoachInvite


async def coach_link(ctx: Ctx, token: str) -> None:
    """``coach-<token>``: the person becomes a coach with the invitation's areas, once."""
    found = (
        await ctx.session.execute(select(CoachInvite).where(CoachInvite.token == token))
    ).scalar_one_or_none()
    conv.leave_flow(ctx, keep_for_later=True)
    if found is None or found.used_at is not None:
        if found is not None and found.used_by_id == ctx.person.id:
            await conv.show_menu(
                ctx, intro=ctx._("You already used this link: you're a neighbourhood coach.")
            )
            return
        audit(
            ctx.session,
            actor_id=ctx.person.id,
            action="coach_invite_refused",
            subject=subject("coach_invite", found.id if found else None),
            at=ctx.now(),
            reason="used" if found is not None else "unknown",
        )
        await conv.show_menu(
            ctx,
            intro=ctx._(
                "Sorry, this coach link has already been used, or it doesn't work any more. "
                "A link works only once. Ask for a new one if you need it."
            ),
        )
        return
    now = ctx.now()
    areas = [Area.from_json(area) for area in found.areas or []]
    found.used_by_id = ctx.person.id
    found.used_at = now
    taken = await make_coach(
        ctx.session, ctx.person, areas, now, actor_id=ctx.person.id, via=f"invite:{found.id}"
    )
    where = ", ".join(area.label() for area in areas) or ctx._("no area yet")
    text = ctx._(
        "Welcome, {name}! You're now a neighbourhood coach for: {areas}.\n\n"
        "In your overview you see the initiatives you coach, which ones are quiet, "
        "and the questions waiting for you. New initiatives in your area come to you "
        "by themselves.",
        name=ctx.person.display_name,
        areas=where,
    )
    if taken:
        text = paragraphs(
            text,
            ctx.n_("{n} initiative is yours now.", "{n} initiatives are yours now.", len(taken)),
        )
    ctx.say(text, [[overview_button(ctx.texts)], [menu_button(ctx.texts)]])


def register(registry: Registry) -> None:
    registry.deep_link("coach")(coach_link)
