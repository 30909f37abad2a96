"""Putting a screen in front of the person: said anew, or in place of the message whose
button was pressed; a kind "that does not work"; and a message to each of several people
in their own chat and language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.seam import Button, ButtonPress, EditText
from bot.i18n import Texts, texts_for
from bot.views.buttons import menu_button
from storage.models import Resident

# What a person is told: (text, rows) in their language.
Render = Callable[[Texts, Resident], Awaitable[tuple[str, list[list[Button]]]]]


def in_place(ctx: Ctx) -> int | None:
    """The id of the message whose button was pressed, to edit it instead of adding one."""
    event = ctx.incoming.event
    return event.message_id if isinstance(event, ButtonPress) else None


def show(ctx: Ctx, text: str, rows: list[list[Button]], *, edit: bool = False) -> None:
    """Say it, or (edit=True, after a button press) change the pressed message to it."""
    message_id = in_place(ctx) if edit else None
    if message_id is None:
        ctx.say(text, rows)
        return
    keyboard = tuple(tuple(row) for row in rows if row)
    ctx.remember_buttons(keyboard)
    ctx.out.append(EditText(ctx.chat_id, message_id, text, keyboard))


async def kindly(ctx: Ctx, text: str, rows: list[list[Button]] | None = None) -> None:
    """A kind 'that does not work': inside a flow its question comes again (nothing typed is
    lost), otherwise the given buttons and the way back to the menu."""
    if conv.current_ask(ctx) is not None:
        await conv.ask_current(ctx, before=text)
        return
    ctx.say(text, [*(rows or []), [menu_button(ctx.texts)]])


async def tell_people(ctx: Ctx, people: list[Resident], render: Render) -> int:
    """Send each person, in their own chat and language, what ``render(texts, person)``
    returns: (text, rows); not the person acting, nor who cannot be reached. Returns how
    many were told."""
    told = 0
    for person in people:
        if person.id == ctx.person.id or not person.reachable:
            continue
        texts = texts_for(person.language, person.timezone)
        text, rows = await render(texts, person)
        ctx.say(text, rows, chat_id=person.telegram_id)
        told += 1
    return told
