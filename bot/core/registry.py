"""What the bot can do, declared by the flow modules: flows, commands, buttons,
deep links and main-menu entries. Each flow module has a `register(registry)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.entries import Entry
from bot.core.events import E, Event, F, Subscriber, SubscriberOf
from bot.core.flow import Flow
from bot.core.payloads import Payload, Press, typed

if TYPE_CHECKING:
    from bot.core.context import Ctx
    from bot.core.policy import Policy
    from bot.core.seam import Outgoing
    from storage.models import ScheduledMessage

CommandHandler = Callable[["Ctx", str], Awaitable[None]]
ButtonHandler = Callable[["Ctx", Payload], Awaitable[None]]
DeepLinkHandler = Callable[["Ctx", str], Awaitable[None]]
# Moves what is kept of a chat to its new id (session, old chat id, new chat id).
ChatMovedHandler = Callable[[AsyncSession, int, int], Awaitable[object]]
Guard = Callable[["Ctx"], bool]
# What an outbox row says, decided when it is sent (scheduler/messages.py's module text).
Renderer = Callable[
    [AsyncSession, "ScheduledMessage", datetime], Awaitable["list[Outgoing] | None"]
]
# What follows from an update's events in its chat (the domain's progress check, which
# may celebrate there): run after the handler, with its context.
Reaction = Callable[["Ctx", "list[Event]"], Awaitable[None]]
P = ParamSpec("P")
T = TypeVar("T", bound=Press)
# A press of one declared payload type (bot/views/routes.py), already decoded.
PressHandler = Callable[["Ctx", T], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Command:
    names: tuple[str, ...]  # Dutch first, then English: ("taal", "language")
    handler: CommandHandler
    description: str  # a msgid, shown in Telegram's command menu
    private: bool = True  # offered in private chats
    group: bool = False  # offered in group chats
    menu: bool = True  # listed in the command menu
    # The name shown in another language's command menu, where it has its own
    # (Telegram allows [a-z0-9_] only): (("tr", "dil"), ("pl", "jezyk"), ...).
    local: tuple[tuple[str, str], ...] = ()

    def name_in(self, lang: str) -> str:
        """The name this command is listed under in `lang`'s menu: its own name in that
        language, else the Dutch name for Dutch and the English one for the others."""
        return dict(self.local).get(lang) or (self.names[0] if lang == "nl" else self.names[-1])


@dataclass(frozen=True, slots=True)
class MenuEntry:
    key: str
    label: str  # msgid
    order: int
    handler: Callable[[Ctx], Awaitable[None]]
    visible: Guard | None = None


@dataclass(frozen=True, slots=True)
class KindInfo:
    """An outbox kind: its renderer, and how the dispatcher's rules treat it (the flags
    are explained in scheduler/messages.py)."""

    name: str
    render: Renderer
    essential: bool = False
    timely: bool = False
    at_most_once: bool = False
    quiet_hours: bool = True
    budget: bool = True


def _default_policy() -> Policy:
    from bot.core.policy import Policy

    return Policy()


@dataclass
class Registry:
    # The rules are registered under this policy (bot.app.bootstrap builds it from the
    # settings); flows and rules read it from here or from `Services.policy`, the same one.
    policy: Policy = field(default_factory=_default_policy)
    flows: dict[str, Flow] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    command_list: list[Command] = field(default_factory=list)
    # The route of every declared payload type handled (`on`), all to the one router.
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    # The handler of each declared payload type (`registry.on`), by type.
    presses: dict[type[Press], PressHandler[Any]] = field(default_factory=dict)
    deep_links: dict[str, DeepLinkHandler] = field(default_factory=dict)
    menu: list[MenuEntry] = field(default_factory=list)
    # Handlers for group events (added/removed, joins, group commands); see bot/flows/groups.
    group_handler: Callable[[Ctx], Awaitable[None]] | None = None
    # Telegram sends poll answers without a chat: the group polls module claims them.
    poll_answer_handler: Callable[[Ctx], Awaitable[None]] | None = None
    subscribers: dict[type, list[Subscriber]] = field(default_factory=dict)
    reactions: list[Reaction] = field(default_factory=list)
    # A chat became another (a Telegram group upgraded to a supergroup): delivery calls
    # these in one transaction (the groups flow registers the group domain's `migrate`).
    chat_moved: list[ChatMovedHandler] = field(default_factory=list)
    # The ways into flows that other flows open (bot/core/entries.py), by entry name.
    entries: dict[str, Callable[..., Awaitable[None]]] = field(default_factory=dict)
    # The outbox kinds and their renderers, declared by their owners' `register`.
    kinds: dict[str, KindInfo] = field(default_factory=dict)

    # One event type, or two handled alike: the handler's parameter says which it takes.
    @overload
    def subscribe(self, kind: type[E], /) -> Callable[[SubscriberOf[E]], SubscriberOf[E]]: ...

    @overload
    def subscribe(
        self, kind: type[E], other: type[F], /
    ) -> Callable[[SubscriberOf[E | F]], SubscriberOf[E | F]]: ...

    def subscribe(self, *event_types: type[Any]) -> Callable[[Any], Any]:
        def register(handler: Any) -> Any:
            for event_type in event_types:
                # Called only with events of the types it subscribed to (the overloads above
                # check the handler takes them).
                self.subscribers.setdefault(event_type, []).append(handler)
            return handler

        return register

    def react(self, reaction: Reaction) -> Reaction:
        """After the handler and the subscribers: the update's events, with its context."""
        self.reactions.append(reaction)
        return reaction

    def add_flow(self, flow: Flow) -> Flow:
        if flow.name in self.flows:
            raise ValueError(f"flow {flow.name} registered twice")
        self.flows[flow.name] = flow
        return flow

    def command(
        self,
        *names: str,
        description: str,
        private: bool = True,
        group: bool = False,
        menu: bool = True,
        local: dict[str, str] | None = None,
    ) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            own = tuple((local or {}).items())
            entry = Command(tuple(names), handler, description, private, group, menu, own)
            for name in (*names, *(name for _, name in own if name not in names)):
                if name in self.commands:
                    raise ValueError(f"command /{name} registered twice")
                self.commands[name] = entry
            self.command_list.append(entry)
            return handler

        return register

    def on(self, kind: type[T]) -> Callable[[PressHandler[T]], PressHandler[T]]:
        """Declare the handler of one payload type: it gets the decoded press, or the
        person hears the button is no longer active (stale, forged, unknown)."""

        def register(handler: PressHandler[T]) -> PressHandler[T]:
            if kind in self.presses:
                raise ValueError(f"payload {kind.__name__} handled twice")
            from bot.core.conversation import once_per_press  # the machinery; imports the registry

            self.presses[kind] = once_per_press(handler)
            self.buttons[kind.route] = self._press
            return handler

        return register

    async def _press(self, ctx: Ctx, payload: Payload) -> None:
        """The one router of typed presses: decode, then the handler of that type."""
        press = typed(payload)
        handler = self.presses.get(type(press)) if press is not None else None
        if handler is None:
            from bot.core.conversation import refuse_stale

            await refuse_stale(ctx)
            return
        await handler(ctx, press)

    def deep_link(self, prefix: str) -> Callable[[DeepLinkHandler], DeepLinkHandler]:
        def register(handler: DeepLinkHandler) -> DeepLinkHandler:
            if prefix in self.deep_links:
                raise ValueError(f"deep link prefix {prefix} registered twice")
            self.deep_links[prefix] = handler
            return handler

        return register

    def menu_entry(
        self, key: str, label: str, order: int, *, visible: Guard | None = None
    ) -> Callable[[Callable[[Ctx], Awaitable[None]]], Callable[[Ctx], Awaitable[None]]]:
        def register(handler: Callable[[Ctx], Awaitable[None]]) -> Callable[[Ctx], Awaitable[None]]:
            self.menu.append(MenuEntry(key, label, order, handler, visible))
            self.menu.sort(key=lambda entry: entry.order)
            return handler

        return register

    def renderer(
        self,
        name: str,
        *,
        essential: bool = False,
        timely: bool = False,
        at_most_once: bool = False,
        quiet_hours: bool = True,
        budget: bool = True,
    ) -> Callable[[Renderer], Renderer]:
        """Declare the renderer of an outbox kind (scheduler/messages.py explains the flags)."""

        def register(render: Renderer) -> Renderer:
            self.add_kind(
                KindInfo(name, render, essential, timely, at_most_once, quiet_hours, budget)
            )
            return render

        return register

    def add_kind(self, kind: KindInfo) -> None:
        if kind.name in self.kinds:
            raise ValueError(f"outbox kind {kind.name} registered twice")
        self.kinds[kind.name] = kind

    def provide(
        self, entry: Entry[P]
    ) -> Callable[
        [Callable[Concatenate[Ctx, P], Awaitable[None]]],
        Callable[Concatenate[Ctx, P], Awaitable[None]],
    ]:
        """Register the flow function behind an entry (its signature is the entry's)."""

        def register(
            handler: Callable[Concatenate[Ctx, P], Awaitable[None]],
        ) -> Callable[Concatenate[Ctx, P], Awaitable[None]]:
            if entry.name in self.entries:
                raise ValueError(f"entry {entry.name} provided twice")
            self.entries[entry.name] = handler
            return handler

        return register

    async def open(self, entry: Entry[P], ctx: Ctx, /, *args: P.args, **kwargs: P.kwargs) -> None:
        handler = self.entries.get(entry.name)
        if handler is None:
            raise LookupError(f"no flow provides the entry {entry.name}")
        await handler(ctx, *args, **kwargs)

    def unprovided(self, declared: Iterable[Entry[Any]]) -> list[str]:
        """The declared entries no flow provides (the bootstrap refuses to start on any)."""
        return sorted(entry.name for entry in declared if entry.name not in self.entries)
