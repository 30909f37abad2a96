"""The engine: one `Incoming` in, a list of `Outgoing` out.

Each update is one transaction: the update id is recorded (a redelivered
update is handled once), the person and their conversation row are loaded
(locked on PostgreSQL, so two processes never race one conversation), the
handler runs, the new state is saved. Inside a process, updates of the same
conversation queue on an asyncio lock. Nothing here knows any framework.

On PostgreSQL every statement is a round trip through asyncpg and the event loop, so a
known person's update folds its fixed statements: the id's claim with the read of the
resident and the conversation, and the conversation's save with the replies' row
(`storage.queries.ClaimThenRead`, `write_together`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Select, and_, bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import conversation as conv
from bot.core import identities
from bot.core.context import Ctx
from bot.core.events import Event
from bot.core.payloads import unpack
from bot.core.seam import (
    AnswerButton,
    BotBlocked,
    BotUnblocked,
    ButtonPress,
    Chat,
    ChatKind,
    Command,
    Incoming,
    Outgoing,
    Person,
    Photo,
    PollAnswer,
    SendText,
    Text,
    Unsupported,
)
from bot.core.services import Services
from bot.i18n import N_, pick_language, texts_for
from scheduler.timing import Clock
from storage.db import DatabaseUnavailable
from storage.direct import Direct, attach, detached
from storage.models import Conversation, NetworkIdentity, Resident, utcnow
from storage.queries import (
    ClaimThenRead,
    Write,
    for_update,
    insert_ignore,
    table_of,
    write_together,
)

log = logging.getLogger(__name__)


# "Last seen" to the minute: a conversation of several updates a minute then writes the
# resident's row once, not at every update (nothing reads it more precisely).
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def _aware(moment: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; they are stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _plain_and_locked(query: Select[Any]) -> tuple[Direct, Direct]:
    """The statement and its FOR UPDATE twin (PostgreSQL's), each straight on the driver
    (`storage.direct`; the rows made into the ORM's instances by `attach`): through the
    ORM, loading the resident and the conversation cost more CPU than the rest of a
    typical update's statements together."""
    return Direct(query), Direct(query.with_for_update())


_RESIDENTS, _CONVERSATIONS = table_of(Resident), table_of(Conversation)
_IDENTITIES = table_of(NetworkIdentity)
_RESIDENT_BY_TELEGRAM_ID = _plain_and_locked(
    sa_select(*_RESIDENTS.columns).where(_RESIDENTS.c.telegram_id == bindparam("telegram_id"))
)
# Another network's identity linked to a resident (bot/core/identities.py): found by its address.
_RESIDENT_BY_LINKED_ADDRESS = _plain_and_locked(
    sa_select(*_RESIDENTS.columns)
    .select_from(_RESIDENTS.join(_IDENTITIES, _IDENTITIES.c.resident_id == _RESIDENTS.c.id))
    .where(_IDENTITIES.c.address == bindparam("address"))
)
_CONVERSATION_OF = _plain_and_locked(
    sa_select(*_CONVERSATIONS.columns).where(
        _CONVERSATIONS.c.chat_id == bindparam("chat_id"),
        _CONVERSATIONS.c.resident_id == bindparam("resident_id"),
    )
)
# A known person in a chat they talked in before (nearly every update): the resident and
# the conversation in one statement. An inner join, so FOR UPDATE locks both rows as the
# two statements above do (PostgreSQL refuses FOR UPDATE on an outer join's nullable side);
# no row: someone new, or new in this chat, or known by a linked address (the slow path).
_RESIDENT_AND_CONVERSATION_QUERY = (
    sa_select(*_RESIDENTS.columns, *_CONVERSATIONS.columns)
    .select_from(_RESIDENTS)
    .join(
        _CONVERSATIONS,
        and_(
            _CONVERSATIONS.c.resident_id == _RESIDENTS.c.id,
            _CONVERSATIONS.c.chat_id == bindparam("chat_id"),
        ),
    )
    .where(_RESIDENTS.c.telegram_id == bindparam("telegram_id"))
)
# An update with an id (every update from a network) claims it in the same statement.
_CLAIM_THEN_RESIDENT_AND_CONVERSATION = ClaimThenRead(_RESIDENT_AND_CONVERSATION_QUERY)
_RESIDENT_AND_CONVERSATION = _plain_and_locked(_RESIDENT_AND_CONVERSATION_QUERY)
_RESIDENT_COLUMNS = len(_RESIDENTS.columns)


# Straight on the driver (`storage.direct`): the one row nearly every update changes.
_SAVE_CONVERSATION = Direct(
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(
        flow=bindparam("new_flow"),
        step=bindparam("new_step"),
        data=bindparam("new_data"),
        updated_at=bindparam("new_updated_at"),
    )
)


def _saved(conversation: Conversation) -> Write:
    """The write of where the conversation is now, to be sent in this transaction. The
    conversation is in no session (`detached`): this is the one place it is written, only
    when it changed; kept in the session, every update it changed would also cost a flush
    of the unit of work at the commit, a tenth of the update's CPU, to find nothing left
    to write."""
    conversation.updated_at = utcnow()
    return _SAVE_CONVERSATION, {
        "conversation_id": conversation.id,
        "new_flow": conversation.flow,
        "new_step": conversation.step,
        "new_data": conversation.data,
        "new_updated_at": conversation.updated_at,
    }


async def publish(services: Services, session: AsyncSession, events: list[Event]) -> None:
    """Hand events to their subscribers; events they emit in turn are handled too."""
    pending = list(events)
    while pending:
        event = pending.pop(0)
        for subscriber in services.registry.subscribers.get(type(event), []):
            emitted = await subscriber(session, event, services.clock.now())
            if emitted:
                pending.extend(emitted)


async def settle(services: Services, ctx: Ctx) -> None:
    """An update's events to the subscribers, then to the reactions (which may say more in
    the chat and emit more events, handled in turn), in the update's transaction."""
    done = 0
    while done < len(ctx.events):
        batch = ctx.events[done:]
        done = len(ctx.events)
        await publish(services, ctx.session, batch)
        for reaction in services.registry.reactions:
            await reaction(ctx, batch)


class ReplyWriter(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The update's transaction (which may carry the writer's own statements)."""
        ...

    async def write(
        self,
        session: AsyncSession,
        incoming: Incoming,
        actions: list[Outgoing],
        along: Sequence[Write] = (),
    ) -> None:
        """The update's replies written, with `along` (the engine's own last writes),
        as the transaction's last statement (`storage.queries.write_together`)."""
        ...


class UpdateKeeper(Protocol):
    """Where a runtime keeps fetched updates until they are handled (polling's inbox): the
    update's own transaction takes its row, so no transaction of its own has to."""

    async def take(self, session: AsyncSession, update_id: int) -> bool:
        """Inside the update's transaction: its row deleted; False when there was none."""
        ...

    def committed(self, update_id: int, took: bool) -> None:
        """After that transaction committed (`took`: what `take` answered): the update is
        durably handled, its replies in the reply outbox."""
        ...


def _state_of(conversation: Conversation) -> tuple[str | None, str | None, str]:
    """Where a conversation is, comparable before and after an update."""
    data = json.dumps(conversation.data, sort_keys=True, default=str)
    return conversation.flow, conversation.step, data


class ConversationLocks:
    """One asyncio lock per (chat, person), dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[int, int]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"  # the first update over the limit: one polite notice
    DROP = "drop"  # over the limit and told so: silence until the window has room


class FloodGuard:
    """A sliding window per key (a person, a group, a person in a group): past the limit,
    one polite notice, then silence."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: OrderedDict[Hashable, list[float]] = OrderedDict()
        self._warned: set[Hashable] = set()

    def check(self, person_id: Hashable) -> Verdict:
        """Count one update for this key, now."""
        now = self.clock.now().timestamp()
        times = [t for t in self._seen.pop(person_id, []) if now - t < self.window]
        times.append(now)
        self._seen[person_id] = times
        while len(self._seen) > 10_000:
            old, _ = self._seen.popitem(last=False)
            self._warned.discard(old)
        if len(times) <= self.limit:
            self._warned.discard(person_id)
            return Verdict.OK
        if person_id in self._warned:
            return Verdict.DROP
        self._warned.add(person_id)
        return Verdict.WARN


class Engine:
    def __init__(self, services: Services, *, replies: ReplyWriter | None = None) -> None:
        self.services = services
        # Where replies are written in the update's transaction (Core); None: only returned.
        self.replies = replies
        # Where polling keeps the update until it is handled; set by that runtime.
        self.keeper: UpdateKeeper | None = None
        self.locks = ConversationLocks()
        limits = services.policy.flood
        self.flood = FloodGuard(limits.per_person, limits.window_seconds, services.clock)
        self.group_flood = FloodGuard(limits.per_group, limits.window_seconds, services.clock)
        # In a group one person's updates reach everyone: a smaller share each.
        self.member_flood = FloodGuard(
            limits.per_member_in_group, limits.window_seconds, services.clock
        )

    def admit(self, incoming: Incoming) -> list[Outgoing] | None:
        """Count an update as it arrives, before any lock or pacing: None when it may be
        handled; else what to answer instead (the one polite notice, or only the button)."""
        if incoming.chat.kind.is_group:
            # The person in this group first (the tightest), then the person anywhere, then
            # the group as a whole (many people at once); the first refusal answers.
            checks: tuple[tuple[FloodGuard, Hashable], ...] = (
                (self.member_flood, (incoming.chat.id, incoming.person.id)),
                (self.flood, incoming.person.id),
                (self.group_flood, incoming.chat.id),
            )
        else:
            checks = ((self.flood, incoming.person.id),)
        for guard, key in checks:
            verdict = guard.check(key)
            if verdict is not Verdict.OK:
                return self._flood_reply(incoming, verdict)
        return None

    async def handle(self, incoming: Incoming, *, admitted: bool = False) -> list[Outgoing]:
        """One update, as one transaction; `admitted`: `admit` counted it already."""
        if not admitted:
            refused = self.admit(incoming)
            if refused is not None:
                return refused
        try:
            async with self.locks.hold((incoming.chat.id, incoming.person.id)):
                return await self._handle(incoming)
        except DatabaseUnavailable as error:
            log.warning("database unavailable while handling an update: %s", error)
            return self._apology(
                incoming,
                N_(
                    "I can't reach my memory right now. Nothing is lost: please try again "
                    "in a minute."
                ),
            )
        except Exception:
            log.exception("error while handling an update from chat %s", incoming.chat.id)
            return self._apology(
                incoming,
                N_("Something went wrong on my side. Please try again, or type /menu."),
            )

    async def resume(self, chat: Chat, person: Person) -> list[Outgoing]:
        """Say again where a conversation is (the console does this when it starts)."""
        return await self.handle(Incoming(chat, person, Command("_resume")))

    async def _handle(self, incoming: Incoming) -> list[Outgoing]:
        # No wait between here and the transaction's start: the reply outbox takes along
        # the deletes of this conversation's delivered replies (ReplyOutbox.settle).
        transaction = self.replies.transaction() if self.replies else self.services.db.transaction()
        update_id, keeper = incoming.update_id, self.keeper
        async with transaction as session:
            took = (
                update_id is not None
                and keeper is not None
                and await keeper.take(session, update_id)
            )
            out = await self._in_transaction(session, incoming)
        if keeper is not None and update_id is not None:
            keeper.committed(update_id, took)
        return out

    async def _in_transaction(self, session: AsyncSession, incoming: Incoming) -> list[Outgoing]:
        keys = {"telegram_id": incoming.person.id, "chat_id": incoming.chat.id}
        if incoming.update_id is None:
            plain, locked = _RESIDENT_AND_CONVERSATION
            found = await (locked if for_update(session) else plain).first(session, keys)
        else:
            claimed, found = await _CLAIM_THEN_RESIDENT_AND_CONVERSATION.first(
                session, incoming.update_id, self.services.clock.now(), keys
            )
            if not claimed:
                # A redelivery (webhook retry, a crash before the offset moved): worth seeing.
                log.warning("update %s was handled before; skipped", incoming.update_id)
                return []
        person, conversation = await self._person_and_conversation(session, incoming, found)
        ctx = Ctx(incoming, person, conversation, session, self.services)
        before = _state_of(conversation)
        await self._dispatch(ctx)
        await settle(self.services, ctx)
        saves: list[Write] = []
        if ctx.forgotten:
            session.expunge(person)  # its rows are gone (the conversation is in no session)
        elif _state_of(conversation) != before:
            # Written only when it changed (a flow may change `data` in place, which
            # the ORM does not see): many updates (a menu, a card) leave it as it was.
            saves.append(_saved(conversation))
        self._answer_pending_press(ctx)
        # A person just forgotten leaves no row behind, not even the goodbye: it is sent
        # once, straight away (at most once).
        if self.replies is not None and not ctx.forgotten:
            await self.replies.write(session, incoming, ctx.out, along=saves)
        else:
            await write_together(session, saves)
        return ctx.out

    async def _person_and_conversation(
        self, session: AsyncSession, incoming: Incoming, found: tuple[Any, ...] | None
    ) -> tuple[Resident, Conversation]:
        """The person and their conversation in this chat (`found`: the joined read's row),
        created when missing."""
        if found is not None:
            person = attach(session, Resident, found[:_RESIDENT_COLUMNS])
            conversation = detached(Conversation, found[_RESIDENT_COLUMNS:])
            self._seen(person, incoming.person, incoming.chat.kind)
            return person, conversation
        person = await self._person(session, incoming.person, incoming.chat.kind)
        conversation = await self._conversation(session, incoming.chat.id, person.id or 0)
        return person, conversation

    async def _person(self, session: AsyncSession, who: Person, chat_kind: ChatKind) -> Resident:
        person = await self._load(session, _RESIDENT_BY_TELEGRAM_ID, Resident, telegram_id=who.id)
        if person is None:
            person = await self._load(
                session, _RESIDENT_BY_LINKED_ADDRESS, Resident, address=who.id
            )
        if person is None:  # a first visit: rare, so the insert is only tried then
            settings = self.services.settings
            await insert_ignore(
                session,
                Resident,
                telegram_id=who.id,
                first_name=who.first_name[:64] or "?",
                language=pick_language(who.language_code, settings.default_language),
                timezone=settings.timezone,
                created_at=utcnow(),
                last_seen_at=utcnow(),
                reminders="on",
                role="resident",
            )
            # Inserted now, or by a concurrent process first (then ON CONFLICT skipped ours).
            person = await self._load(
                session, _RESIDENT_BY_TELEGRAM_ID, Resident, telegram_id=who.id
            )
            if person is None:
                raise LookupError(f"resident {who.id} neither found nor inserted")
            # Their identity on the network they came through is theirs (bot/core/identities.py).
            await identities.claim(session, who.id, person.id)
        self._seen(person, who, chat_kind)
        return person

    @staticmethod
    def _seen(person: Resident, who: Person, chat_kind: ChatKind) -> None:
        """What an update tells about its sender: when, reachable, their current name."""
        now = utcnow()
        if now - _aware(person.last_seen_at) >= LAST_SEEN_RESOLUTION:
            person.last_seen_at = now  # else unchanged: no UPDATE of the resident at all
        if chat_kind is ChatKind.PRIVATE and not person.reachable:
            person.reachable = True  # they wrote to us: we can write to them again
        if who.first_name and person.first_name != who.first_name[:64]:
            person.first_name = who.first_name[:64]

    async def _conversation(
        self, session: AsyncSession, chat_id: int, resident_id: int
    ) -> Conversation:
        keys = {"chat_id": chat_id, "resident_id": resident_id}
        row = await self._row(session, _CONVERSATION_OF, **keys)
        if row is None:
            await insert_ignore(session, Conversation, **keys, data={}, updated_at=utcnow())
            row = await self._row(session, _CONVERSATION_OF, **keys)
            if row is None:
                raise LookupError(f"conversation {keys} neither found nor inserted")
        return detached(Conversation, row)  # written by `_saved` only (see there)

    @classmethod
    async def _load(
        cls, session: AsyncSession, queries: tuple[Direct, Direct], model: type[Any], **keys: int
    ) -> Any:
        """One row by its keys as the ORM's instance in the session; None when there is none."""
        row = await cls._row(session, queries, **keys)
        return None if row is None else attach(session, model, row)

    @staticmethod
    async def _row(
        session: AsyncSession, queries: tuple[Direct, Direct], **keys: int
    ) -> tuple[Any, ...] | None:
        """One row by its keys, locked (FOR UPDATE) on PostgreSQL; None when there is none."""
        plain, locked = queries
        return await (locked if for_update(session) else plain).first(session, keys)

    async def _dispatch(self, ctx: Ctx) -> None:
        event = ctx.incoming.event
        registry = self.services.registry
        if isinstance(event, BotBlocked | BotUnblocked) and not ctx.incoming.chat.kind.is_group:
            ctx.person.reachable = isinstance(event, BotUnblocked)
            return
        if isinstance(event, PollAnswer):
            if registry.poll_answer_handler is not None:
                await registry.poll_answer_handler(ctx)
            return
        if ctx.incoming.chat.kind.is_group:
            if registry.group_handler is not None:
                await registry.group_handler(ctx)
            return
        if isinstance(event, Command):
            await self._command(ctx, event)
        elif isinstance(event, ButtonPress):
            await self._button(ctx, event)
        elif isinstance(event, Text):
            await self._text(ctx, event.text)
        elif isinstance(event, Photo):
            await self._photo(ctx, event)
        elif isinstance(event, Unsupported):
            await conv.ask_current(
                ctx, before=ctx._("I can only read text and buttons here, sorry.")
            )

    async def _command(self, ctx: Ctx, command: Command) -> None:
        if command.name == "_resume":
            if ctx.person.onboarded_at is None and not ctx.conversation.flow:
                await conv.start_flow(ctx, "onboarding")
            else:
                await conv.ask_current(ctx)
            return
        entry = self.services.registry.commands.get(command.name)
        if entry is None:
            await conv.ask_current(
                ctx,
                before=ctx._("I don't know the command /{name}.", name=command.name[:32]),
            )
            return
        await entry.handler(ctx, command.args)

    async def _button(self, ctx: Ctx, press: ButtonPress) -> None:
        payload = unpack(press.payload)
        handler = self.services.registry.buttons.get(payload.route) if payload else None
        if payload is None or handler is None:
            await conv.refuse_stale(ctx)
            return
        await handler(ctx, payload)

    async def _text(self, ctx: Ctx, text: str) -> None:
        if len(text) > self.services.policy.max_text_length:
            await conv.ask_current(
                ctx,
                before=ctx._(
                    "That message is too long for me ({length} characters). "
                    "Could you make it shorter?",
                    length=len(text),
                ),
            )
            return
        if ctx.conversation.flow is None and ctx.person.onboarded_at is None:
            await conv.start_flow(ctx, "onboarding")
            return
        await conv.answer_text(ctx, text)

    async def _photo(self, ctx: Ctx, photo: Photo) -> None:
        ask = conv.current_ask(ctx)
        if ask is not None and ask.accepts_photo:
            await conv.take_answer(ctx, ask, photo.file_id)
            return
        await conv.ask_current(ctx, before=ctx._("Thank you, but I can't use a photo here."))

    def _answer_pending_press(self, ctx: Ctx) -> None:
        event = ctx.incoming.event
        if isinstance(event, ButtonPress) and event.query_id and not ctx.button_answered:
            ctx.out.insert(0, AnswerButton(event.query_id))

    def _flood_reply(self, incoming: Incoming, verdict: Verdict) -> list[Outgoing]:
        if verdict is Verdict.DROP:
            return self._answer_only(incoming)
        return self._apology(
            incoming,
            N_(
                "You're sending messages very quickly. I'll pause for a few seconds, then we go on."
            ),
        )

    def _answer_only(self, incoming: Incoming) -> list[Outgoing]:
        event = incoming.event
        if isinstance(event, ButtonPress) and event.query_id:
            return [AnswerButton(event.query_id)]
        return []

    def _apology(self, incoming: Incoming, msgid: str) -> list[Outgoing]:
        settings = self.services.settings
        texts = texts_for(
            pick_language(incoming.person.language_code, settings.default_language),
            settings.timezone,
        )
        return [*self._answer_only(incoming), SendText(incoming.chat.id, texts._(msgid))]
