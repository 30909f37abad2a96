"""Running flows: start one, ask its current step, take an answer, move on.

Flow modules and the engine both use these functions; a flow never touches
the conversation row's fields directly.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.context import Ctx
from bot.flow import END, HANDLED, Ask, Choice, Goto, Invalid, Next, resolve
from bot.i18n import Safe, escape
from bot.payloads import Payload, pack
from bot.seam import Button, ButtonPress, EditText

log = logging.getLogger(__name__)

PAUSED = "_paused"


def menu_button(ctx: Ctx) -> Button:
    return Button(ctx._("Back to the menu"), pack("menu"))


async def start_flow(ctx: Ctx, name: str, data: dict[str, Any] | None = None) -> None:
    flow = ctx.services.registry.flows[name]
    paused = ctx.data.get(PAUSED)
    ctx.conversation.flow = flow.name
    ctx.conversation.step = str(flow.first)
    ctx.conversation.data = dict(data or {})
    if paused and paused.get("flow") != name:
        ctx.conversation.data[PAUSED] = paused
    await ask_current(ctx)


def leave_flow(ctx: Ctx, *, keep_for_later: bool) -> None:
    """Leave the current flow; with keep_for_later the menu offers to pick it up again."""
    conversation = ctx.conversation
    answers = {key: value for key, value in conversation.data.items() if key != PAUSED}
    paused = conversation.data.get(PAUSED)
    if keep_for_later and conversation.flow and conversation.step:
        paused = {"flow": conversation.flow, "step": conversation.step, "data": answers}
    conversation.flow = None
    conversation.step = None
    conversation.data = {PAUSED: paused} if paused and keep_for_later else {}


async def resume_paused(ctx: Ctx) -> bool:
    paused = ctx.data.get(PAUSED)
    if not paused or paused.get("flow") not in ctx.services.registry.flows:
        return False
    flow = ctx.services.registry.flows[paused["flow"]]
    if paused.get("step") not in flow:
        return False
    ctx.conversation.flow = flow.name
    ctx.conversation.step = paused["step"]
    ctx.conversation.data = dict(paused.get("data") or {})
    await ask_current(ctx)
    return True


def current_ask(ctx: Ctx) -> Ask | None:
    conversation = ctx.conversation
    flow = ctx.services.registry.flows.get(conversation.flow or "")
    if flow is None or conversation.step not in flow:
        return None
    return flow[conversation.step]


async def choices_of(ctx: Ctx, ask: Ask) -> list[Choice]:
    choices = ask.choices
    if callable(choices):
        return list(await choices(ctx))
    return list(choices)


def label_of(ctx: Ctx, choice: Choice) -> str:
    return choice.label(ctx) if callable(choice.label) else ctx._(choice.label)


async def question_of(ctx: Ctx, ask: Ask) -> tuple[str, list[list[Button]]]:
    text = await resolve(ask.say(ctx))
    flow_name = ctx.conversation.flow or ""
    buttons = [
        Button(label_of(ctx, choice), pack("s", flow_name, ask.step, choice.key))
        for choice in await choices_of(ctx, ask)
    ]
    rows = [buttons[i : i + ask.columns] for i in range(0, len(buttons), ask.columns)]
    if ask.menu_button:
        rows.append([menu_button(ctx)])
    return text, rows


async def ask_current(ctx: Ctx, *, before: str | None = None) -> None:
    """Say the current step's question, optionally after a short remark."""
    ask = current_ask(ctx)
    if ask is None:
        await show_menu(ctx, intro=before)
        return
    text, rows = await question_of(ctx, ask)
    if before:
        text = Safe(f"{before}\n\n{text}")
    ctx.say(text, rows)


async def advance(ctx: Ctx, next_: Next | None) -> None:
    if next_ is HANDLED:
        return
    if isinstance(next_, Goto):
        await start_flow(ctx, next_.flow, next_.data)
    elif next_ is END or next_ is None:
        paused = ctx.data.get(PAUSED)
        ctx.conversation.flow = None
        ctx.conversation.step = None
        ctx.conversation.data = {PAUSED: paused} if paused else {}
    else:
        flow = ctx.services.registry.flows[ctx.conversation.flow or ""]
        if next_ not in flow:
            raise LookupError(f"flow {flow.name} has no step {next_}")
        ctx.conversation.step = str(next_)
        await ask_current(ctx)


async def take_answer(ctx: Ctx, ask: Ask, value: Any, choice: Choice | None = None) -> None:
    ctx.data[str(ask.step)] = value
    then = choice.then if choice is not None and choice.then is not None else ask.then
    if then is None:
        raise LookupError(f"step {ask.step} of flow {ctx.conversation.flow} leads nowhere")
    next_ = await resolve(then(ctx, value)) if callable(then) else then
    await advance(ctx, next_)


async def answer_text(ctx: Ctx, text: str) -> None:
    """Free text typed during a step."""
    ask = current_ask(ctx)
    if ask is None:
        await show_menu(ctx, intro=ctx._("I did not quite understand that."))
        return
    if ask.text is None:
        if ask.keep_text_as:
            ctx.data[ask.keep_text_as] = text
        await ask_current(ctx, before=ctx._(ask.use_buttons_hint))
        return
    text = text.strip()
    if len(text) < ask.text.min_length:
        await ask_current(ctx, before=ctx._("I did not get an answer there."))
        return
    if len(text) > ask.text.max_length:
        await ask_current(
            ctx,
            before=ctx._(
                "That is a bit long: {length} characters. Could you keep it under {limit}?",
                length=len(text),
                limit=ask.text.max_length,
            ),
        )
        return
    try:
        value = ask.text.parse(ctx, text)
    except Invalid as invalid:
        await ask_current(ctx, before=ctx._(invalid.msgid, **invalid.values))
        return
    await take_answer(ctx, ask, value)


async def answer_button(ctx: Ctx, payload: Payload) -> None:
    """A step's choice was pressed: check it belongs to the question being asked now."""
    flow_name, step, key = payload.arg(0), payload.arg(1), payload.arg(2)
    ask = current_ask(ctx)
    if ask is None or ctx.conversation.flow != flow_name or str(ask.step) != step:
        await refuse_stale(ctx)
        return
    choice = next((c for c in await choices_of(ctx, ask) if c.key == key), None)
    if choice is None:
        await refuse_stale(ctx)
        return
    await confirm_choice_in_place(ctx, ask, choice)
    await take_answer(ctx, ask, choice.answer, choice)


async def confirm_choice_in_place(ctx: Ctx, ask: Ask, choice: Choice) -> None:
    """Edit the question to show what was chosen, without its buttons: it reads like a
    conversation, and an old button cannot be pressed twice."""
    event = ctx.incoming.event
    if not isinstance(event, ButtonPress) or event.message_id is None:
        return
    text = await resolve(ask.say(ctx))
    chosen = escape(label_of(ctx, choice))
    ctx.out.append(EditText(ctx.chat_id, event.message_id, f"{text}\n\n✓ <b>{chosen}</b>"))


async def refuse_stale(ctx: Ctx) -> None:
    ctx.toast(ctx._("That button belongs to an earlier question."))
    await ask_current(ctx, before=ctx._("That button is no longer active. Here is where we are:"))


def menu_rows(ctx: Ctx, entries: list[Button]) -> list[list[Button]]:
    return [entries[i : i + 2] for i in range(0, len(entries), 2)]


async def show_menu(ctx: Ctx, intro: str | None = None) -> None:
    registry = ctx.services.registry
    buttons = [
        Button(ctx._(entry.label), pack("m", entry.key))
        for entry in registry.menu
        if entry.visible is None or entry.visible(ctx)
    ]
    rows = menu_rows(ctx, buttons)
    if ctx.data.get(PAUSED):
        rows.insert(0, [Button(ctx._("Continue where I was"), pack("resume"))])
    text = ctx._("What would you like to do?")
    ctx.say(Safe(f"{intro}\n\n{text}") if intro else text, rows)
