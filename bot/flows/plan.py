"""Planning a meeting or an action: its title (a kit's, the kitchen-table meeting, or
typed), day and time, place and places; then the members hear of it in their own chats,
and with a kit the organiser gets the invitation to forward.

Flow ``plan``, opened through the entry ``PLANNING`` (the action list, a kit, the
review's next step). The questions it shares with changing an action are in
``bot/views/action_questions.py``.
"""

from __future__ import annotations

from typing import Any

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.actions import audience, find_kit, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.domain.operations import plan_action
from bot.i18n import N_, Safe, Texts
from bot.views.action_card import action_card, show_card
from bot.views.action_news import send_invitation
from bot.views.action_questions import (
    PLACE_MAX,
    TITLE_MAX,
    Step,
    parse_capacity,
    parse_place,
    parse_title,
    say_capacity,
    say_place,
    starts_at_of,
    when_steps,
)
from bot.views.buttons import action_button, rsvp_row
from bot.views.entries import PLANNING
from bot.views.screens import kindly, tell_people
from bot.views.text import paragraphs, with_intro
from storage.models import Action, ActionKind, Initiative, Resident


async def plan_initiative(ctx: Ctx) -> Initiative | None:
    return await get_initiative(ctx.session, valid_id(ctx.data.get("initiative_id")))


async def say_title(ctx: Ctx) -> Safe:
    initiative = await plan_initiative(ctx)
    name = initiative.title if initiative else "?"
    if ctx.data.get("kit_id"):
        return ctx._(
            "Let's plan it for <b>{initiative}</b>.\n\n"
            "What shall we call it? Take the kit's name, or type your own (up to {limit} "
            "characters).",
            initiative=name,
            limit=TITLE_MAX,
        )
    if ctx.data.get("kind") == ActionKind.MEETING:
        return ctx._(
            "Let's plan a meeting for <b>{initiative}</b>.\n\n"
            "What shall we call it? Type a short title (up to {limit} characters), "
            "or choose the kitchen-table meeting.",
            initiative=name,
            limit=TITLE_MAX,
        )
    return ctx._(
        "Let's plan an action for <b>{initiative}</b>.\n\n"
        "What shall we call it? Type a short title (up to {limit} characters), "
        "for example “Tile-lifting day”.",
        initiative=name,
        limit=TITLE_MAX,
    )


async def title_choices(ctx: Ctx) -> list[Choice]:
    kit = find_kit(ctx.data.get("kit_id"))
    if kit is not None:
        title = kit.text(ctx.texts.lang).title[:TITLE_MAX]
        return [Choice("kit", lambda _c: title, value=title, means="yes")]  # "ok" takes it
    if ctx.data.get("kind") == ActionKind.MEETING:
        label = N_("Kitchen-table meeting")
        return [Choice("kt", label, value=str(ctx._(label)))]
    return []


def say_when_planned(ctx: Ctx) -> Safe:
    return ctx._(
        "When is it? Type the day and the time, for example:\n"
        "• Saturday 12 December 14:00\n"
        "• next Tuesday 19:30\n"
        "• tomorrow 8pm"
    )


async def finish_plan(ctx: Ctx, _value: object) -> Next:
    initiative = await plan_initiative(ctx)
    if initiative is None or not await may(
        ctx.session, ctx.person, Permission.PLAN_ACTION, initiative
    ):
        await conv.advance(ctx, END)
        await kindly(ctx, ctx._("You can no longer plan for this initiative, so I didn't save it."))
        return HANDLED
    starts_at = starts_at_of(ctx)
    if starts_at is None or starts_at <= ctx.now():
        ctx.conversation.step = str(Step.WHEN)
        await conv.ask_current(
            ctx, before=ctx._("That moment has passed in the meantime. Please choose another.")
        )
        return HANDLED
    kind = ActionKind.MEETING if ctx.data.get("kind") == "meeting" else ActionKind.ACTION
    kit = find_kit(ctx.data.get("kit_id"))
    capacity = ctx.data.get(Step.CAPACITY)
    action = await plan_action(
        ctx.session,
        initiative,
        ctx.person,
        kind=kind,
        title=str(ctx.data.get(Step.TITLE) or "")[:TITLE_MAX],
        starts_at=starts_at,
        place=str(ctx.data.get(Step.PLACE) or "")[:PLACE_MAX],
        capacity=capacity if isinstance(capacity, int) else None,
        kit_id=kit.id if kit else None,
        checklist=list(kit.text(ctx.texts.lang).checklist) if kit else [],
        now=ctx.now(),
        emit=ctx.emit,
    )
    await conv.advance(ctx, END)
    told = await announce(ctx, action, initiative)
    intro = Safe(
        ctx._("✅ Planned!")
        + " "
        + (
            ctx._("There's nobody else in the initiative to tell yet.")
            if told == 0
            else ctx.n_(
                "I told {n} member about it, in their own chat.",
                "I told {n} members about it, in their own chats.",
                told,
            )
        )
    )
    if kit is None:
        await show_card(ctx, action, initiative, intro=intro)
    else:
        text = await action_card(
            ctx.texts, ctx.session, action, initiative, viewer_id=ctx.person.id
        )
        below = ctx._("Below is an invitation you can forward to neighbours who aren't here yet.")
        ctx.say(with_intro(intro, paragraphs(text, below)))
        send_invitation(ctx, action, initiative, kit)
    return HANDLED


async def announce(ctx: Ctx, action: Action, initiative: Initiative) -> int:
    """Tell the members (initiators, team and followers; no one else) in their own chats."""
    organiser = ctx.person.display_name

    async def render(texts: Texts, person: Resident) -> tuple[str, list[list[Button]]]:
        body = await action_card(texts, ctx.session, action, initiative, show_totals=False)
        intro = (
            texts._(
                "📣 {organiser} planned a meeting for {initiative}:",
                organiser=organiser,
                initiative=initiative.title,
            )
            if action.kind is ActionKind.MEETING
            else texts._(
                "📣 {organiser} planned an action for {initiative}:",
                organiser=organiser,
                initiative=initiative.title,
            )
        )
        text = with_intro(intro, paragraphs(body, texts._("Are you coming?")))
        rows = [rsvp_row(texts, action.id or 0, None), [action_button(texts, action.id or 0)]]
        return text, rows

    people = await audience(ctx.session, action, exclude=[ctx.person.id or 0])
    return await tell_people(ctx, people, render)


plan_flow = Flow(
    "plan",
    [
        Ask(
            Step.TITLE,
            say=say_title,
            choices=title_choices,
            text=TextAnswer(parse=parse_title, max_length=TITLE_MAX),
            then=Step.WHEN,
        ),
        *when_steps(say_when=say_when_planned, after_confirm=Step.PLACE),
        Ask(
            Step.PLACE,
            say=say_place,
            text=TextAnswer(parse=parse_place, max_length=PLACE_MAX),
            then=Step.CAPACITY,
        ),
        Ask(
            Step.CAPACITY,
            say=say_capacity,
            choices=[Choice("none", N_("No limit"), value=None)],
            text=TextAnswer(parse=parse_capacity, max_length=40, asks_number=True),
            then=finish_plan,
        ),
    ],
)


async def start_planning(
    ctx: Ctx, initiative: Initiative, kind: str, kit_id: str | None = None
) -> None:
    """Start the plan flow for this initiative (the caller checked Permission.PLAN_ACTION)."""
    conv.leave_flow(ctx, keep_for_later=True)
    data: dict[str, Any] = {"initiative_id": initiative.id, "kind": str(kind)}
    if kit_id is not None:
        data["kit_id"] = kit_id
    await conv.start_flow(ctx, "plan", data)


def register(registry: Registry) -> None:
    registry.add_flow(plan_flow)
    registry.provide(PLANNING)(start_planning)
