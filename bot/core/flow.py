"""Flows as data: named steps, what the bot asks, what it accepts, where answers lead.

A flow reads top to bottom like the conversation it implements:

    class Step(StrEnum):
        NAME = "name"
        POSTCODE = "postcode"

    onboarding = Flow("onboarding", [
        Ask(Step.NAME,
            say=lambda c: c._("What is your first name?"),
            text=TextAnswer(parse=parse_first_name),
            then=Step.POSTCODE),
        Ask(Step.POSTCODE,
            say=...,
            choices=[Choice("skip", N_("Skip"), then=finish)],
            text=TextAnswer(parse=parse_postcode),
            then=finish),
    ])

Each answer is stored in the conversation's data under the step's name, then
`then` decides what comes next: another step, another flow, or the end.
Because a flow is data, a test (or a diagram) can walk every step.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from bot.core.understand import MEANINGS
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.core.context import Ctx


class Invalid(Exception):
    """Raised by a parser: the answer is not usable; `msgid` says why, kindly."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


@dataclass(frozen=True, slots=True)
class Goto:
    """Leave this flow and start another one at its first step."""

    flow: str
    data: dict[str, Any] = field(default_factory=dict)


class _End:
    def __repr__(self) -> str:
        return "END"


class _Handled:
    def __repr__(self) -> str:
        return "HANDLED"


# The flow is over; whatever the last handler said carries the next step.
END = _End()
# The handler already moved the conversation on (started another flow, showed the menu).
HANDLED = _Handled()

Next: TypeAlias = StrEnum | Goto | _End | _Handled
Then: TypeAlias = StrEnum | Callable[["Ctx", Any], Awaitable[Next] | Next]
Label: TypeAlias = str | Callable[["Ctx"], str]


def verbatim(text: str) -> Callable[[Ctx], str]:
    """A label shown as it is (a name, a title), not looked up in the catalogs."""
    return lambda _ctx: text


class _UseKey:
    def __repr__(self) -> str:
        return "USE_KEY"


USE_KEY = _UseKey()


@dataclass(frozen=True, slots=True)
class Choice:
    key: str  # short: it travels in the button payload
    label: Label  # a msgid marked with N_(...), or a function of the context
    then: Then | None = None  # overrides the step's `then`
    value: Any = USE_KEY  # stored as the answer (the key, unless given)
    # What typed words also press it: meanings of bot/core/understand.py ("yes", "no", "skip",
    # "none", "later", "back"); by default the key's, when the key is one of them.
    means: tuple[str, ...] | str | None = None

    @property
    def answer(self) -> Any:
        return self.key if self.value is USE_KEY else self.value

    @property
    def meanings(self) -> tuple[str, ...]:
        if self.means is not None:
            return (self.means,) if isinstance(self.means, str) else self.means
        return (self.key,) if self.key in MEANINGS else ()


def _plain_text(_ctx: Ctx, text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class TextAnswer:
    parse: Callable[[Ctx, str], Any] = _plain_text
    min_length: int = 1
    max_length: int = 300
    # The answer is a number: the console then reads a typed "2" as the answer, not as
    # the second button.
    asks_number: bool = False
    # The answer may be a t.me link (the invitation code itself): the parser gets it,
    # rather than the link being opened as an invitation.
    takes_links: bool = False


Say: TypeAlias = Callable[["Ctx"], str | Awaitable[str]]
Choices: TypeAlias = Sequence[Choice] | Callable[["Ctx"], Awaitable[Sequence[Choice]]]


@dataclass(frozen=True, slots=True)
class Ask:
    step: StrEnum
    say: Say
    choices: Choices = ()
    text: TextAnswer | None = None
    then: Then | None = None
    # Free text typed where only buttons fit is kept under this data key, to use later.
    keep_text_as: str | None = None
    columns: int = 1
    # A photo is a valid answer here (its file id is stored).
    accepts_photo: bool = False
    # Offer a "Back to the menu" button (not in onboarding, which has nowhere to go back to).
    menu_button: bool = True
    # What to say when the person typed text where a button was expected.
    use_buttons_hint: str = N_("Please choose one of the buttons below.")


class Flow:
    def __init__(self, name: str, steps: Sequence[Ask]) -> None:
        if not steps:
            raise ValueError(f"flow {name} has no steps")
        self.name = name
        self.steps: dict[str, Ask] = {}
        for ask in steps:
            if ask.step in self.steps:
                raise ValueError(f"flow {name}: step {ask.step} declared twice")
            self.steps[str(ask.step)] = ask
        self.first = steps[0].step

    def __getitem__(self, step: str) -> Ask:
        return self.steps[step]

    def __contains__(self, step: object) -> bool:
        return step in self.steps

    def __repr__(self) -> str:
        return f"Flow({self.name!r}, {list(self.steps)})"


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
