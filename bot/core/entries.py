"""Ways into a flow that another flow, a group or the scheduler may open.

Flows import no other flows (tests/test_layering.py). Where one flow leads into
another (a new idea ends on the initiative's card), it opens an *entry*: a name and a
signature, declared in `bot/views/entries.py`. The flow that owns the screen provides
it in its `register(registry)`, and the bootstrap refuses to start while a declared
entry has no provider. The signature is the entry's type, so
`await ctx.open(INITIATIVE_CARD, initiative, intro=...)` is checked by mypy like a call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, Generic, ParamSpec

if TYPE_CHECKING:
    from bot.core.context import Ctx

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Entry(Generic[P]):
    """A named way into a flow. `shape` is a function with the signature its provider
    must have (it is never called): what the entry takes after the `Ctx`."""

    name: str
    shape: Callable[Concatenate[Ctx, P], Awaitable[None]]
