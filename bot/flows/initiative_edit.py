"""Edit an initiative (initiators only): its title, what, why, place or theme.

From the card: "Edit" → which part → the new text (or theme) → the card again, with what
changed. The answers are checked as when the idea was shared; the rights are checked again
when saving, since a person may have stopped being an initiator in the meantime.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.domain.authz import Permission
from bot.domain.initiatives import record_activity
from bot.domain.phases import check_progress
from bot.i18n import N_, Safe
from bot.views.card_press import on_initiative
from bot.views.cards import THEME_LABELS
from bot.views.entries import INITIATIVE_CARD
from bot.views.idea import TITLE_MAX, parse_place, parse_title, parse_what
from bot.views.initiative import BACK, initiative_of_flow, lost
from bot.views.routes import IniEdit
from storage.models import ActivityKind, Initiative, Theme

FLOW = "ini_edit"


class Step(StrEnum):
    PART = "part"
    TITLE = "title"
    WHAT = "what"
    WHY = "why"
    PLACE = "place"
    THEME = "theme"


def say_part(ctx: Ctx) -> Safe:
    return ctx._("What would you like to change?")


def say_title(ctx: Ctx) -> Safe:
    return ctx._("Type the new title, at most {limit} characters.", limit=TITLE_MAX)


def say_what(ctx: Ctx) -> Safe:
    return ctx._("What would you like to do with your neighbours? Tell it in one or two sentences.")


def say_why(ctx: Ctx) -> Safe:
    return ctx._("Why does this matter to you? Tell it in a few sentences.")


def say_place(ctx: Ctx) -> Safe:
    return ctx._("Which street or neighbourhood is it? For example: Lindelaan.")


def say_theme(ctx: Ctx) -> Safe:
    return ctx._("Which theme fits best?")


def _saver(part: Step) -> Callable[[Ctx, object], Awaitable[Next]]:
    async def save(ctx: Ctx, value: object) -> Next:
        initiative = await initiative_of_flow(ctx, Permission.EDIT_INITIATIVE)
        if initiative is None:
            return await lost(ctx)
        changed = _apply(initiative, part, value)
        await conv.advance(ctx, END)
        if not changed:
            await ctx.open(
                INITIATIVE_CARD, initiative, intro=ctx._("That was already so; nothing changed.")
            )
            return HANDLED
        record_activity(
            ctx.session, initiative, ActivityKind.INITIATIVE_EDITED, ctx.now(), ctx.person.id
        )
        await check_progress(ctx, initiative)
        await ctx.open(INITIATIVE_CARD, initiative, intro=ctx._("✅ Saved."))
        return HANDLED

    return save


def _apply(initiative: Initiative, part: Step, value: object) -> bool:
    """Put the answer in its field; False when it was already so."""
    if part is Step.THEME:
        new: object = Theme(str(value))
        field = "theme"
    else:
        limit = {Step.TITLE: TITLE_MAX, Step.PLACE: 120}.get(part, 1000)
        new = str(value)[:limit]
        field = str(part)
    if getattr(initiative, field) == new:
        return False
    setattr(initiative, field, new)
    return True


edit_flow = Flow(
    FLOW,
    [
        Ask(
            Step.PART,
            say=say_part,
            choices=[
                Choice("title", N_("Title"), then=Step.TITLE),
                Choice("what", N_("What you want to do"), then=Step.WHAT),
                Choice("why", N_("Why it matters"), then=Step.WHY),
                Choice("place", N_("Street or neighbourhood"), then=Step.PLACE),
                Choice("theme", N_("Theme"), then=Step.THEME),
                BACK,
            ],
            columns=2,
        ),
        Ask(
            Step.TITLE,
            say=say_title,
            choices=[BACK],
            text=TextAnswer(parse=parse_title, min_length=3, max_length=TITLE_MAX),
            then=_saver(Step.TITLE),
        ),
        Ask(
            Step.WHAT,
            say=say_what,
            choices=[BACK],
            text=TextAnswer(parse=parse_what, min_length=3, max_length=1000),
            then=_saver(Step.WHAT),
        ),
        Ask(
            Step.WHY,
            say=say_why,
            choices=[BACK],
            text=TextAnswer(min_length=3, max_length=1000),
            then=_saver(Step.WHY),
        ),
        Ask(
            Step.PLACE,
            say=say_place,
            choices=[BACK],
            text=TextAnswer(parse=parse_place, min_length=2, max_length=120),
            then=_saver(Step.PLACE),
        ),
        Ask(
            Step.THEME,
            say=say_theme,
            choices=[
                *(
                    Choice(theme.value, label, value=theme.value)
                    for theme, label in THEME_LABELS.items()
                ),
                BACK,
            ],
            columns=2,
            then=_saver(Step.THEME),
        ),
    ],
)


async def edit_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniEdit) -> None:
    """The card's "Edit" button: which part to change."""
    assert initiative is not None
    await conv.start_flow(ctx, FLOW, {"initiative_id": initiative.id})


def register(registry: Registry) -> None:
    registry.on(IniEdit)(on_initiative(Permission.EDIT_INITIATIVE)(edit_pressed))
    registry.add_flow(edit_flow)
