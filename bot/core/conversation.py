"""Running flows: start one, ask its current step, take an answer, move on.

Flow modules and the engine both use these functions; a flow never touches
the conversation row's fields directly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.context import SHOWN_BUTTONS, Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Goto, Invalid, Next, resolve
from bot.core.payloads import Answer, MenuChoice, Resume, ToMenu, unpack
from bot.core.seam import Button, ButtonPress, EditText
from bot.core.understand import command_word, fold, means
from bot.i18n import N_, Safe, Texts, escape

if TYPE_CHECKING:
    from bot.core.registry import Registry

log = logging.getLogger(__name__)
# What a button handler takes: the untyped payload, or a declared press (bot/views/routes.py).
T = TypeVar("T")

PAUSED = "_paused"
# A command word typed where free text is asked: "did you mean to stop?" waits here.
MEANT = "_meant"
# An invitation opened (or pasted) before onboarding: followed once it is done.
PENDING_LINK = "pending_link"
# The last button press that left the conversation at a question (see once_per_press).
LAST_PRESS = "_pressed"
# A link to the bot with a start payload, as Telegram shows and people paste it.
START_LINK = re.compile(
    r"(?:t|telegram)\.me/[A-Za-z0-9_]+/?\?start=([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])"
)


def menu_button(texts: Texts) -> Button:
    """Back to the menu: the one definition (the core's questions show it and know it
    typed out); views and flows use it through bot/views/buttons.py."""
    return Button(texts._("Back to the menu"), ToMenu().pack())


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
    step = conversation.step
    if flow is None or step is None or step not in flow:
        return None
    return flow[step]


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
        Button(label_of(ctx, choice), Answer(flow_name, ask.step, choice.key).pack())
        for choice in await choices_of(ctx, ask)
    ]
    rows = [buttons[i : i + ask.columns] for i in range(0, len(buttons), ask.columns)]
    if ask.menu_button:
        rows.append([menu_button(ctx.texts)])
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


def _parsed(ctx: Ctx, ask: Ask, text: str) -> tuple[bool, Any]:
    """(True, value) when the step's parser takes the text, else (False, the remark why)."""
    assert ask.text is not None
    text = text.strip()
    if not text:
        return False, ctx._("I didn't get an answer there.")
    if len(text) < ask.text.min_length:
        return False, ctx._("That's a bit short. Could you tell me a little more?")
    if len(text) > ask.text.max_length:
        return False, ctx._(
            "That's a bit long: {length} characters. Could you keep it under {limit}?",
            length=len(text),
            limit=ask.text.max_length,
        )
    try:
        return True, ask.text.parse(ctx, text)
    except Invalid as invalid:
        return False, ctx._(invalid.msgid, **invalid.values)


async def answer_text(ctx: Ctx, text: str) -> None:
    """Free text typed during a step (or at the menu): a button's label or its meaning in
    the person's own words, a pasted invitation link, a command word, or the answer."""
    ask = current_ask(ctx)
    meant = ctx.data.pop(MEANT, None)
    if ask is not None and meant and await _settle_meant(ctx, ask, meant, text):
        return
    if await _pasted_link(ctx, ask, text):
        return
    choice = await typed_choice(ctx, ask, text) if ask is not None else None
    if ask is not None and choice is not None:
        await take_answer(ctx, ask, choice.answer, choice)
        return
    if ask is not None and ask.menu_button and fold(text) == fold(menu_button(ctx.texts).label):
        await run_command(ctx, "menu")  # its "Back to the menu", typed out
        return
    if (ask is None or ask.text is None) and await _press_shown(ctx, text):
        return
    if ask is None and await _typed_menu_entry(ctx, text):
        return
    command = command_word(text)
    if ask is None or ask.text is None:
        if command is not None:
            await run_command(ctx, command)
        elif ask is None:
            await show_menu(ctx, intro=ctx._("I didn't quite understand that."))
        else:
            if ask.keep_text_as:
                ctx.data[ask.keep_text_as] = text
            await ask_current(ctx, before=ctx._(ask.use_buttons_hint))
        return
    taken, value = _parsed(ctx, ask, text)
    if not taken:
        if command is not None:
            await run_command(ctx, command)
        else:
            await ask_current(ctx, before=value)
        return
    if command is not None:  # "stop" is a fine name, or title: ask once which it was
        await _ask_meant(ctx, ask, command, text)
        return
    await take_answer(ctx, ask, value)


async def typed_choice(ctx: Ctx, ask: Ask, text: str) -> Choice | None:
    """The one choice of this step that the typed text names: by its label ("zeg ik liever
    niet"), else by its meaning ("nee" for "No, do not store it")."""
    typed = fold(text)
    if not typed:
        return None
    choices = await choices_of(ctx, ask)
    by_label = [choice for choice in choices if fold(label_of(ctx, choice)) == typed]
    if len(by_label) == 1:
        return by_label[0]
    by_meaning = [c for c in choices if any(means(text, meaning) for meaning in c.meanings)]
    return by_meaning[0] if len(by_meaning) == 1 else None


async def _press_shown(ctx: Ctx, text: str) -> bool:
    """Typed words that are the label of a button shown last (the menu, a card, a kit
    step) press it, as if tapped."""
    typed = fold(text)
    shown = ctx.data.get(SHOWN_BUTTONS) or []
    found = [payload for label, payload in shown if typed and fold(label) == typed]
    payload = unpack(found[0]) if len(set(found)) == 1 else None
    handler = ctx.services.registry.buttons.get(payload.route) if payload else None
    if payload is None or handler is None:
        return False
    await handler(ctx, payload)
    return True


async def _typed_menu_entry(ctx: Ctx, text: str) -> bool:
    """Outside a question, a main-menu entry typed out ("Deel een idee") opens it, also
    when the menu is not what was shown last."""
    typed = fold(text)
    if ctx.person.onboarded_at is None or not typed:
        return False
    for entry in ctx.services.registry.menu:
        if (entry.visible is None or entry.visible(ctx)) and fold(ctx._(entry.label)) == typed:
            await entry.handler(ctx)
            return True
    return False


async def run_command(ctx: Ctx, name: str) -> None:
    """A command typed as a word ("stop", "menu", "hulp"): as if it were /stop, /menu, /hulp."""
    await ctx.services.registry.commands[name].handler(ctx, "")


_MEANT_QUESTIONS = {
    "stop": N_("Do you want to stop? Or is “{text}” your answer to my question?"),
    "menu": N_("Do you want to go to the menu? Or is “{text}” your answer to my question?"),
    "hulp": N_("Do you want to see the help? Or is “{text}” your answer to my question?"),
}
_MEANT_YES = {
    "stop": N_("Yes, stop"),
    "menu": N_("Yes, to the menu"),
    "hulp": N_("Yes, show the help"),
}
_MEANT_COMMAND, _MEANT_ANSWER = "_cmd", "_answer"


def _here(ctx: Ctx) -> list[str | None]:
    return [ctx.conversation.flow, ctx.conversation.step]


async def _ask_meant(ctx: Ctx, ask: Ask, command: str, text: str) -> None:
    ctx.data[MEANT] = {"command": command, "text": text[:300], "where": _here(ctx)}
    flow_name = ctx.conversation.flow or ""
    ctx.say(
        ctx._(_MEANT_QUESTIONS[command], text=text[:300]),
        [
            [
                Button(
                    ctx._(_MEANT_YES[command]), Answer(flow_name, ask.step, _MEANT_COMMAND).pack()
                )
            ],
            [
                Button(
                    ctx._("No, that is my answer"),
                    Answer(flow_name, ask.step, _MEANT_ANSWER).pack(),
                )
            ],
        ],
    )


async def _settle_meant(ctx: Ctx, ask: Ask, meant: dict[str, Any], typed: str) -> bool:
    """After "did you mean to stop?": the word again or a yes runs the command, a no takes
    the first text as the answer; anything else is a new answer (False)."""
    command, text = meant.get("command", ""), meant.get("text", "")
    if command not in _MEANT_QUESTIONS or meant.get("where") != _here(ctx):
        return False
    if command_word(typed) == command or means(typed, "yes"):
        await run_command(ctx, command)
        return True
    if means(typed, "no"):
        await _take_meant_text(ctx, ask, text)
        return True
    return False


async def _take_meant_text(ctx: Ctx, ask: Ask, text: str) -> None:
    taken, value = _parsed(ctx, ask, text) if ask.text is not None else (False, None)
    if taken:
        await take_answer(ctx, ask, value)
    else:
        await ask_current(ctx, before=value)


async def _pasted_link(ctx: Ctx, ask: Ask | None, text: str) -> bool:
    """A link to this bot with a start payload (an invitation) works at any question."""
    if ask is not None and ask.text is not None and ask.text.takes_links:
        return False  # this question asks for the link: its parser reads it
    found = START_LINK.search(text)
    if found is None:
        return False
    payload = found.group(1)
    if ctx.person.onboarded_at is None:
        # Onboarding follows it once the person said who they are (see bot/flows/onboarding).
        ctx.data[PENDING_LINK] = payload
        await ask_current(
            ctx,
            before=ctx._(
                "Thank you, that is an invitation link! I'll open it as soon as we have "
                "got to know each other. First this:"
            ),
        )
        return True
    prefix, _, rest = payload.partition("-")
    handler = ctx.services.registry.deep_links.get(prefix)
    if handler is None or not rest:
        await ask_current(ctx, before=ctx._("This link doesn't work (any more)."))
        return True
    await handler(ctx, rest)
    return True


def number_asked(registry: Registry, flow: str | None, step: str | None) -> bool:
    """Is this conversation's current question one that a number answers?"""
    found = registry.flows.get(flow or "")
    if found is None or step is None or step not in found:
        return False
    ask = found[step]
    return ask.text is not None and ask.text.asks_number


async def answer_button(ctx: Ctx, press: Answer) -> None:
    """A step's choice was pressed: check it belongs to the question being asked now."""
    flow_name, step, key = press.flow, press.step, press.key
    ask = current_ask(ctx)
    if ask is None or ctx.conversation.flow != flow_name or str(ask.step) != step:
        await refuse_stale(ctx)
        return
    if key in (_MEANT_COMMAND, _MEANT_ANSWER):
        meant = ctx.data.pop(MEANT, None)
        if (
            not meant
            or meant.get("command") not in _MEANT_QUESTIONS
            or meant.get("where") != _here(ctx)
        ):
            await refuse_stale(ctx)
        elif key == _MEANT_COMMAND:
            await run_command(ctx, meant["command"])
        else:
            await _take_meant_text(ctx, ask, meant.get("text", ""))
        return
    choice = next((c for c in await choices_of(ctx, ask) if c.key == key), None)
    if choice is None:
        await refuse_stale(ctx)
        return
    await confirm_choice_in_place(ctx, ask, choice)
    await take_answer(ctx, ask, choice.answer, choice)


def once_per_press(
    handler: Callable[[Ctx, T], Awaitable[None]],
) -> Callable[[Ctx, T], Awaitable[None]]:
    """Two taps on one button arrive as two presses (often in one batch): the second,
    finding the conversation still at the question the first one asked, only says so
    instead of asking that question again."""

    async def press_once(ctx: Ctx, payload: T) -> None:
        event = ctx.incoming.event
        press = (
            [event.message_id, event.payload]
            if isinstance(event, ButtonPress) and event.message_id is not None
            else None
        )
        last = ctx.data.get(LAST_PRESS)
        if press and ctx.conversation.flow and last == {"press": press, "where": _here(ctx)}:
            ctx.toast(ctx._("You already chose that. The question is waiting for you below."))
            return
        await handler(ctx, payload)
        if press and ctx.conversation.flow and not ctx.forgotten:
            ctx.data[LAST_PRESS] = {"press": press, "where": _here(ctx)}

    return press_once


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
    await ask_current(ctx, before=ctx._("That button is no longer active. Here's where we are:"))


def menu_rows(ctx: Ctx, entries: list[Button]) -> list[list[Button]]:
    return [entries[i : i + 2] for i in range(0, len(entries), 2)]


async def show_menu(ctx: Ctx, intro: str | None = None) -> None:
    registry = ctx.services.registry
    buttons = [
        Button(ctx._(entry.label), MenuChoice(entry.key).pack())
        for entry in registry.menu
        if entry.visible is None or entry.visible(ctx)
    ]
    rows = menu_rows(ctx, buttons)
    if ctx.data.get(PAUSED):  # last, so the menu's own buttons keep their places
        rows.append([Button(ctx._("Continue where I was"), Resume().pack())])
    text = ctx._("What would you like to do?")
    ctx.say(Safe(f"{intro}\n\n{text}") if intro else text, rows)
