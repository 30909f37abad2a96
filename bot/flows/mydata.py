"""A person's rights over their data: /mijngegevens (/mydata) sends everything
stored about them as a file; /vergeetmij (/forgetme) deletes it, after a yes."""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import HANDLED, Ask, Choice, Flow, Next
from bot.core.registry import Registry
from bot.core.seam import SendDocument, SendText
from bot.domain.group_rows import schedule_card_refresh
from bot.domain.privacy import export, export_json, forget
from bot.i18n import N_
from storage.models import Resident, Rsvp

log = logging.getLogger(__name__)


class Step(StrEnum):
    CONFIRM = "confirm"


async def my_data(ctx: Ctx, _args: str) -> None:
    data = await export(ctx.session, ctx.person)
    ctx.out.append(
        SendDocument(
            ctx.chat_id,
            filename=f"buurbot-{ctx.person.telegram_id}.json",
            content=export_json(data),
            caption=ctx._("Everything I have stored about you, in one file."),
            if_refused=ctx._(
                "I couldn't send you the file just now, sorry. Nothing is lost: "
                "type /mydata again in a few minutes."
            ),
        )
    )
    await conv.ask_current(
        ctx,
        before=ctx._(
            "Want me to delete it all? Type /forgetme. Questions about privacy? Type /privacy."
        ),
    )


async def cards_showing_name(session: AsyncSession, person: Resident) -> list[int]:
    """The actions whose group card shows this person's name (they chose so)."""
    query = select(Rsvp.action_id).where(Rsvp.resident_id == person.id, Rsvp.show_name)
    return list((await session.execute(query)).scalars())


async def forget_me(ctx: Ctx, _args: str) -> None:
    await conv.start_flow(ctx, "forget")


def say_confirm(ctx: Ctx) -> str:
    return ctx._(
        "Shall I delete everything I know about you?\n"
        "Your name, postcode, the initiatives you're in, your answers and your questions "
        "to a coach will be gone. Totals stay, without your name (a 'coming' stays counted).\n"
        "If you started an initiative, a team member takes it over, or its coach is told.\n"
        "This can't be undone."
    )


async def confirmed(ctx: Ctx, answer: str) -> Next:
    if answer != "yes":
        await conv.advance(ctx, None)
        await conv.show_menu(ctx, intro=ctx._("Fine, I have deleted nothing."))
        return HANDLED
    chat_id, goodbye = (
        ctx.chat_id,
        ctx._(
            "Done: I have deleted everything about you. Thank you for being a good neighbour! "
            "Type /start if you ever want to come back."
        ),
    )
    shown_on = await cards_showing_name(ctx.session, ctx.person)
    await forget(ctx.session, ctx.person, ctx.now())
    for action_id in shown_on:  # the group's card, edited without their name
        await schedule_card_refresh(ctx.session, action_id, ctx.now())
    ctx.forgotten = True
    log.info("a resident was forgotten at their request")
    ctx.out.append(SendText(chat_id, goodbye))
    return HANDLED


forget_flow = Flow(
    "forget",
    [
        Ask(
            Step.CONFIRM,
            say=say_confirm,
            choices=[
                Choice("yes", N_("Yes, delete everything")),
                Choice("no", N_("No, keep my data")),
            ],
            then=confirmed,
        )
    ],
)


def register(registry: Registry) -> None:
    registry.add_flow(forget_flow)
    registry.command("mijngegevens", "mydata", description=N_("Get everything I store about you"))(
        my_data
    )
    registry.command("vergeetmij", "forgetme", description=N_("Delete everything about you"))(
        forget_me
    )
