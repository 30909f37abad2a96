"""Ask my coach: a member types a question; it is stored as a SupportRequest for
the initiative's coach (or for any coach to pick up), and SupportRequested is
told, so that the coach's side can notify and follow up."""

from __future__ import annotations

from enum import StrEnum

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.domain import authz
from bot.domain.authz import Permission
from bot.domain.operations import open_support_request
from bot.i18n import Safe
from bot.views.buttons import BACK_TO_THE_INITIATIVE, initiative_button, menu_button
from bot.views.card_press import on_initiative
from bot.views.initiative import BACK, initiative_of_flow, lost
from bot.views.routes import IniCoach
from bot.views.text import paragraphs
from storage.models import Initiative, Resident

QUESTION_MAX = 2000


class Step(StrEnum):
    QUESTION = "question"


async def coach_of(ctx: Ctx, initiative: Initiative) -> Resident | None:
    return await authz.coach_of(ctx.session, initiative)


async def say_question(ctx: Ctx) -> Safe:
    initiative = await initiative_of_flow(ctx, Permission.ASK_COACH)
    coach = await coach_of(ctx, initiative) if initiative is not None else None
    if coach is not None:
        who = ctx._(
            "Your neighbourhood coach is {name}. They help with the plan, with materials "
            "and with expert advice.",
            name=coach.display_name,
        )
    else:
        who = ctx._(
            "There's no coach linked to your initiative yet. A neighbourhood coach will "
            "pick up your question."
        )
    question = ctx._(
        "What would you like to ask? Type your question in one message. "
        "You will get the answer here in this chat."
    )
    return paragraphs(who, question)


async def send_question(ctx: Ctx, question: str) -> Next:
    initiative = await initiative_of_flow(ctx, Permission.ASK_COACH)
    if initiative is None:
        return await lost(ctx)
    now = ctx.now()
    _request, coach = await open_support_request(
        ctx.session, initiative, ctx.person, question[:QUESTION_MAX], now=now, emit=ctx.emit
    )
    await conv.advance(ctx, END)
    if coach is not None:
        text = ctx._(
            "Your question is with {name}. You will get the answer here in this chat.",
            name=coach.display_name,
        )
    else:
        text = ctx._(
            "Your question is saved. A neighbourhood coach will pick it up and answer "
            "you here in this chat."
        )
    ctx.say(
        text,
        [
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ]
        ],
    )
    return HANDLED


coach_flow = Flow(
    "ini_coach",
    [
        Ask(
            Step.QUESTION,
            say=say_question,
            choices=[BACK],
            text=TextAnswer(min_length=3, max_length=QUESTION_MAX),
            then=send_question,
        )
    ],
)


async def coach_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniCoach) -> None:
    assert initiative is not None
    await conv.start_flow(ctx, coach_flow.name, {"initiative_id": initiative.id})


def register(registry: Registry) -> None:
    registry.on(IniCoach)(on_initiative(Permission.ASK_COACH)(coach_pressed))
    registry.add_flow(coach_flow)
