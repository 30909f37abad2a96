"""After the action: how many came, the kit's own numbers (tiles removed, homes
insulated: ``[[outcomes]]`` in its TOML), what worked and what did not, a photo, (for a
meeting) whether the neighbours' wishes were gathered, and what comes next — every
activity is soil for the next one. Marks the action held.

Button: ``review:<action_id>`` (initiators; the scheduler sends it the day after, and
the action card offers it once the start has passed).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer, verbatim
from bot.core.registry import Registry
from bot.core.understand import parse_count
from bot.domain.actions import find_kit, get_action, has_started, upcoming_actions, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.domain.kits import OUTCOMES_MAX, Kit, KitError, suggest_next
from bot.domain.operations import review_action
from bot.domain.outcomes import parse_amount
from bot.i18n import N_, Safe, escape
from bot.views.access import load_action, refuse
from bot.views.action_card import show_card
from bot.views.after_action import review_done
from bot.views.routes import Review
from bot.views.screens import kindly
from storage.models import Action, ActionKind, ActionStatus, Initiative, Phase

ATTENDED_MAX = 100_000
TEXT_MAX = 1000
NEXT_MAX = 200
PHOTO_ID_MAX = 200
SUGGESTIONS_MAX = 4
KIT_PHASE_OF = {
    Phase.INITIATE: "activeren",
    Phase.ACTIVATE: "activeren",
    Phase.STRUCTURE: "structureren",
    Phase.GROW: "groeien",
    Phase.SUSTAIN: "bestendigen",
}


class Step(StrEnum):
    ATTENDED = "attended"
    OUTCOME1 = "outcome1"
    OUTCOME2 = "outcome2"
    OUTCOME3 = "outcome3"
    OUTCOME4 = "outcome4"
    OUTCOME5 = "outcome5"
    OUTCOME6 = "outcome6"
    WORKED = "worked"
    NOT_WORKED = "notworked"
    PHOTO = "photo"
    WISHES = "wishes"
    NEXT = "next"
    NEXT_TEXT = "nexttext"


async def next_suggestions(ctx: Ctx, action: Action, initiative: Initiative) -> list[Kit]:
    """Kits that fit as the next step (theme first without a kit): see `suggest_next`;
    not the kits of actions the initiative has planned already."""
    coming = await upcoming_actions(ctx.session, initiative.id or 0, ctx.now())
    try:
        return suggest_next(
            action.kit_id,
            initiative.theme.value,
            KIT_PHASE_OF[initiative.phase],
            limit=SUGGESTIONS_MAX,
            planned=[each.kit_id for each in coming if each.kit_id],
        )
    except KitError:
        return []


async def reviewed(ctx: Ctx, *, lock: bool = False) -> tuple[Action, Initiative] | None:
    action = await get_action(ctx.session, valid_id(ctx.data.get("action_id")), lock=lock)
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    return (action, initiative) if action and initiative else None


async def say_attended(ctx: Ctx) -> Safe:
    found = await reviewed(ctx)
    return ctx._(
        "How did <b>{title}</b> go? I'd love to hear it.\n\n"
        "First: how many people came? Type a number.",
        title=found[0].title if found else "?",
    )


def parse_attended(_ctx: Ctx, text: str) -> int:
    number = parse_count(text)  # "12", "twaalf", "12 mensen"
    if number is None or number > ATTENDED_MAX:
        raise Invalid(N_("Please type the number of people who came, for example 12."))
    return number


OUTCOME_STEPS = [Step(f"outcome{n}") for n in range(1, OUTCOMES_MAX + 1)]


def kit_outcomes(ctx: Ctx) -> tuple[str, ...]:
    """The keys the action's kit asks about, in its order."""
    kit = find_kit(ctx.data.get("kit_id"))
    return tuple(each.key for each in kit.outcomes) if kit else ()


def _then_outcome_after(done: int) -> Callable[[Ctx, object], Next]:
    """The `then` of outcome question `done - 1`: the next question, or what follows them."""
    return lambda ctx, _value: outcome_step_after(ctx, done)


def outcome_step_after(ctx: Ctx, done: int) -> Next:
    """The next of the kit's questions after ``done`` of them, then what worked."""
    return OUTCOME_STEPS[done] if done < len(kit_outcomes(ctx)) else Step.WORKED


def say_outcome(index: int):  # type: ignore[no-untyped-def]
    def say(ctx: Ctx) -> Safe:
        kit = find_kit(ctx.data.get("kit_id"))
        if kit is None or index >= len(kit.outcomes):
            return ctx._("Type a number, or press “I don't know”.")
        question = kit.outcomes[index].question(ctx.texts.lang)
        intro = ctx._("Now the numbers: they show what your street achieved.") if index == 0 else ""
        return Safe("\n\n".join(part for part in (intro, escape(question)) if part))

    return say


def parse_outcome(_ctx: Ctx, text: str) -> int:
    number = parse_amount(text)  # "340", "340 tegels", "ongeveer 30 m2", "twaalf"
    if number is None:
        raise Invalid(N_("Please type one number, for example 12, or press “I don't know”."))
    return number


def outcome_steps() -> list[Ask]:
    return [
        Ask(
            step,
            say=say_outcome(index),
            choices=[Choice("skip", N_("I don't know"), value=None, means=("skip", "none"))],
            text=TextAnswer(parse=parse_outcome, max_length=60, asks_number=True),
            then=_then_outcome_after(index + 1),
        )
        for index, step in enumerate(OUTCOME_STEPS)
    ]


def answered_outcomes(data: dict[str, object]) -> dict[str, int]:
    kit_id = data.get("kit_id")
    kit = find_kit(kit_id if isinstance(kit_id, str) else None)
    values: dict[str, int] = {}
    for step, outcome in zip(OUTCOME_STEPS, kit.outcomes if kit else (), strict=False):
        value = data.get(step)
        if isinstance(value, int) and not isinstance(value, bool):
            values[outcome.key] = value
    return values


def say_worked(ctx: Ctx) -> Safe:
    return ctx._("What worked well? A few words are enough.")


def say_not_worked(ctx: Ctx) -> Safe:
    return ctx._("And what didn't work, or what would you do differently next time?")


def say_photo(ctx: Ctx) -> Safe:
    return ctx._(
        "Do you have a photo? Send it here if you like: it helps to show the neighbours "
        "what you did together."
    )


def after_photo(ctx: Ctx, _value: object) -> Next:
    return Step.WISHES if ctx.data.get("kind") == ActionKind.MEETING else Step.NEXT


def say_wishes(ctx: Ctx) -> Safe:
    return ctx._(
        "Did you gather what the neighbours want at this meeting? "
        "For example with a short survey, or by writing down their ideas."
    )


async def say_next(ctx: Ctx) -> Safe:
    found = await reviewed(ctx)
    suggestions = await next_suggestions(ctx, *found) if found else []
    if suggestions:
        return ctx._(
            "What's next? Every action is the start of the next one. These fit well "
            "after this one. Or choose something else."
        )
    return ctx._("What's next? Every action is the start of the next one.")


async def next_choices(ctx: Ctx) -> list[Choice]:
    found = await reviewed(ctx)
    choices: list[Choice] = []
    for kit in await next_suggestions(ctx, *found) if found else []:
        title = kit.text(ctx.texts.lang).title
        choices.append(Choice(kit.id, verbatim(title), value=kit.id))
    choices.append(Choice("other", N_("Something else"), then=Step.NEXT_TEXT))
    choices.append(Choice("later", N_("Decide later"), value=None))
    return choices


def say_next_text(ctx: Ctx) -> Safe:
    return ctx._("What do you want to do next? Type it in a few words.")


def parse_next(_ctx: Ctx, text: str) -> str:
    value = " ".join(text.split())
    if not any(char.isalnum() for char in value):
        raise Invalid(N_("Type in a few words what you want to do next."))
    return value


def text_or_none(value: object, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str) and value.strip() else None


async def finish_review(ctx: Ctx, _value: object) -> Next:
    found = await reviewed(ctx, lock=True)
    data = dict(ctx.data)
    await conv.advance(ctx, END)
    if found is None:
        await kindly(ctx, ctx._("I can't find that meeting or action (any more)."))
        return HANDLED
    action, initiative = found
    if not await may(ctx.session, ctx.person, Permission.REVIEW_ACTION, initiative):
        await refuse(ctx, Permission.REVIEW_ACTION)
        return HANDLED
    if action.status is not ActionStatus.PLANNED:
        await show_card(
            ctx, action, initiative, intro=ctx._("Someone already reported back on this one.")
        )
        return HANDLED
    photo = data.get(Step.PHOTO)
    next_step = data.get(Step.NEXT_TEXT) if data.get(Step.NEXT) == "other" else data.get(Step.NEXT)
    counted = answered_outcomes(data)
    await review_action(
        ctx.session,
        action,
        initiative,
        ctx.person,
        attended=int(data.get(Step.ATTENDED) or 0),
        went_well=text_or_none(data.get(Step.WORKED), TEXT_MAX),
        went_badly=text_or_none(data.get(Step.NOT_WORKED), TEXT_MAX),
        photo_file_id=photo if isinstance(photo, str) and len(photo) <= PHOTO_ID_MAX else None,
        next_step=text_or_none(next_step, NEXT_MAX),
        wishes_gathered=data.get(Step.WISHES) == "yes",
        outcomes=counted,
        now=ctx.now(),
        emit=ctx.emit,
    )
    ctx.say(*review_done(ctx.texts, action, initiative, counted))
    return HANDLED


review_flow = Flow(
    "review",
    [
        Ask(
            Step.ATTENDED,
            say=say_attended,
            text=TextAnswer(parse=parse_attended, max_length=40, asks_number=True),
            then=lambda ctx, _value: outcome_step_after(ctx, 0),
        ),
        *outcome_steps(),
        Ask(
            Step.WORKED,
            say=say_worked,
            choices=[Choice("skip", N_("Skip"), value="")],
            text=TextAnswer(max_length=TEXT_MAX),
            then=Step.NOT_WORKED,
        ),
        Ask(
            Step.NOT_WORKED,
            say=say_not_worked,
            choices=[Choice("skip", N_("Skip"), value="")],
            text=TextAnswer(max_length=TEXT_MAX),
            then=Step.PHOTO,
        ),
        Ask(
            Step.PHOTO,
            say=say_photo,
            choices=[Choice("skip", N_("Skip"), value=None)],
            accepts_photo=True,
            then=after_photo,
            use_buttons_hint=N_("Send a photo, or press “Skip”."),
        ),
        Ask(
            Step.WISHES,
            say=say_wishes,
            choices=[Choice("yes", N_("Yes")), Choice("no", N_("Not yet"))],
            then=Step.NEXT,
            columns=2,
        ),
        Ask(Step.NEXT, say=say_next, choices=next_choices, then=finish_review),
        Ask(
            Step.NEXT_TEXT,
            say=say_next_text,
            text=TextAnswer(parse=parse_next, max_length=NEXT_MAX),
            then=finish_review,
        ),
    ],
)


async def review_pressed(ctx: Ctx, press: Review) -> None:
    if valid_id(press.action_id) is None:
        await conv.refuse_stale(ctx)
        return
    found = await load_action(ctx, press.action_id, Permission.REVIEW_ACTION)
    if found is None:
        return
    action, initiative = found
    if action.status is ActionStatus.CANCELLED:
        await show_card(
            ctx,
            action,
            initiative,
            intro=ctx._("This was cancelled, so there's nothing to report."),
        )
        return
    if action.status is ActionStatus.HELD:
        await show_card(
            ctx, action, initiative, intro=ctx._("Someone already reported back on this one.")
        )
        return
    if not has_started(action, ctx.now()):
        await show_card(
            ctx,
            action,
            initiative,
            intro=ctx._(
                "You can report back once it has taken place ({when}).",
                when=ctx.texts.when(action.starts_at),
            ),
        )
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.start_flow(
        ctx,
        "review",
        {"action_id": action.id, "kind": str(action.kind), "kit_id": action.kit_id},
    )


def register(registry: Registry) -> None:
    registry.add_flow(review_flow)
    registry.on(Review)(review_pressed)
