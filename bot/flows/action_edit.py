"""Changing a planned action: its day and time, its place, or its number of places.
Who knew of it hears of a new time or place in their own chat; places that come free go
to the waiting list, first come first served.

Flow ``actedit`` (started from the card's "Change time or place", route ``act:edit``).
"""

from __future__ import annotations

from datetime import datetime

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.actions import answer_of, concerned, get_action, totals, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.domain.operations import change_capacity, move_action
from bot.i18n import N_, Safe, Texts
from bot.views.access import not_found, refuse
from bot.views.action_card import action_card, show_card
from bot.views.action_news import tell_promoted, told_of_change
from bot.views.action_questions import (
    PLACE_MAX,
    Step,
    parse_capacity,
    parse_place,
    say_capacity,
    say_place,
    when_steps,
)
from bot.views.buttons import action_button, rsvp_row
from bot.views.screens import tell_people
from bot.views.text import paragraphs
from storage.models import Action, ActionStatus, Initiative, Resident


async def edited_action(ctx: Ctx, *, lock: bool = False) -> Action | None:
    return await get_action(ctx.session, valid_id(ctx.data.get("action_id")), lock=lock)


async def say_what_to_change(ctx: Ctx) -> Safe:
    action = await edited_action(ctx)
    if action is None:
        return ctx._("What do you want to change?")
    return ctx._(
        "What do you want to change for <b>{title}</b>?\nNow: {when}, {place}",
        title=action.title,
        when=ctx.texts.when(action.starts_at),
        place=action.place or "-",
    )


def say_when_changed(ctx: Ctx) -> Safe:
    return ctx._(
        "What's the new day and time? For example:\n"
        "• Saturday 12 December 14:00\n"
        "• next Tuesday 19:30\n"
        "• tomorrow 8pm"
    )


async def changeable(ctx: Ctx) -> tuple[Action, Initiative] | None:
    """End the edit flow with the action being changed, checked again now (it may be gone,
    held or cancelled, or the person no longer an organiser); None: answered already."""
    action = await edited_action(ctx, lock=True)
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    await conv.advance(ctx, END)
    if action is None or initiative is None:
        await not_found(ctx)
        return None
    if not await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative):
        await refuse(ctx, Permission.PLAN_ACTION)
        return None
    if action.status is not ActionStatus.PLANNED:
        await show_card(
            ctx, action, initiative, intro=ctx._("This can no longer be changed, sorry.")
        )
        return None
    return action, initiative


async def save_change(ctx: Ctx, _value: object) -> Next:
    data = dict(ctx.data)
    found = await changeable(ctx)
    if found is None:
        return HANDLED
    action, initiative = found
    moment = None
    if data.get("starts_at_set"):
        moment = datetime.fromisoformat(data["starts_at_set"])
        if moment <= ctx.now():
            await show_card(
                ctx, action, initiative, intro=ctx._("That moment has passed; nothing changed.")
            )
            return HANDLED
    place = str(data[Step.PLACE])[:PLACE_MAX] if data.get(Step.PLACE) else None
    if not move_action(
        action, ctx.person, starts_at=moment, place=place, now=ctx.now(), emit=ctx.emit
    ):
        await show_card(ctx, action, initiative, intro=ctx._("Nothing changed."))
        return HANDLED

    async def render(texts: Texts, person: Resident) -> tuple[str, list[list[Button]]]:
        body = await action_card(texts, ctx.session, action, initiative, viewer_id=person.id)
        own = await answer_of(ctx.session, action.id or 0, person.id or 0)
        text = paragraphs(
            texts._("🔔 Changed: <b>{title}</b> has a new time or place.", title=action.title),
            body,
            texts._("Can you still come? Let us know."),
        )
        rows = [
            rsvp_row(
                texts,
                action.id or 0,
                own.answer if own else None,
                waiting=bool(own and own.waitlisted),
            ),
            [action_button(texts, action.id or 0)],
        ]
        return text, rows

    told = await tell_people(ctx, await concerned(ctx.session, action), render)
    intro = Safe(ctx._("✅ Saved.") + " " + told_of_change(ctx, told))
    await show_card(ctx, action, initiative, intro=intro)
    return HANDLED


async def save_capacity(ctx: Ctx, capacity: int | None) -> Next:
    """A new number of places: freed places go to the waiting list, first come first
    served; fewer places never take one away from someone already coming."""
    found = await changeable(ctx)
    if found is None:
        return HANDLED
    action, initiative = found
    promoted = await change_capacity(ctx.session, action, ctx.person, capacity, emit=ctx.emit)
    if promoted is None:
        await show_card(ctx, action, initiative, intro=ctx._("Nothing changed."))
        return HANDLED
    await tell_promoted(ctx, action, [row.resident_id for row in promoted])
    coming = (await totals(ctx.session, action.id or 0)).coming
    intro: str = ctx._("✅ Saved.")
    if promoted:
        intro += " " + ctx.n_(
            "{n} person moved up from the waiting list; I told them.",
            "{n} people moved up from the waiting list; I told them.",
            len(promoted),
        )
    elif capacity is not None and coming > capacity:
        intro += " " + ctx._(
            "{coming} people already said they are coming; they keep their place. "
            "Anyone new goes on the waiting list.",
            coming=coming,
        )
    await show_card(ctx, action, initiative, intro=Safe(intro))
    return HANDLED


async def save_new_time(ctx: Ctx, value: object) -> Next:
    ctx.data["starts_at_set"] = ctx.data.get("starts_at")
    return await save_change(ctx, value)


edit_flow = Flow(
    "actedit",
    [
        Ask(
            Step.WHAT,
            say=say_what_to_change,
            choices=[
                Choice("time", N_("Day and time"), then=Step.WHEN),
                Choice("place", N_("Place"), then=Step.PLACE),
                Choice("capacity", N_("Number of places"), then=Step.CAPACITY),
            ],
            columns=2,
        ),
        *when_steps(say_when=say_when_changed, after_confirm=save_new_time),
        Ask(
            Step.PLACE,
            say=say_place,
            text=TextAnswer(parse=parse_place, max_length=PLACE_MAX),
            then=save_change,
        ),
        Ask(
            Step.CAPACITY,
            say=say_capacity,
            choices=[Choice("none", N_("No limit"), value=None)],
            text=TextAnswer(parse=parse_capacity, max_length=20),
            then=save_capacity,
        ),
    ],
)


def register(registry: Registry) -> None:
    registry.add_flow(edit_flow)
