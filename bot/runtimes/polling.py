"""Receiving updates, the same on both Telegram runtimes: an update is confirmed to Telegram
once it is durably ours (stored in the update inbox, or handled), and handled exactly once.

- `Receiver`: one raw update (the Bot API's JSON) → the framework's model → `Incoming` →
  `Core.handle`, in its own task (a text message or a button press of the usual shape
  straight from its JSON: `common.plain_update`); the same update id is never handed to
  the core twice at once. An update the framework cannot read is logged (its id and the
  kind of error, never its contents) and skipped, so it cannot block the updates after it.
- `Poller`: long polling with our own offset. Each getUpdates batch is stored in the
  `update_inbox` table in one transaction (`UpdateInbox`; a batch stored again changes
  nothing), then handed to the receiver from memory, each update concurrently (the core
  serialises a conversation, in the order the updates were handed over); the next getUpdates
  confirms it (offset: past the highest stored), so each update is fetched and parsed once,
  however long it takes to handle. A small batch (a human pace, `SMALL_BATCH`) is not
  stored: the next getUpdates waits a moment (`KEEP_WAIT`) for its transactions; an update
  whose transaction committed is durably handled (the engine's `UpdateKeeper` says so; its
  replies are in the reply outbox) and confirmed without a row, a slower one once it
  committed. An update stored alone has its row deleted by its own
  transaction; in a burst, and for updates that never got that far (unreadable, refused,
  failed), rows are deleted once done, in groups (`scheduler.grouped`). At start the rows a
  crash left are handed to the core first, in update_id order; the core skips one it handled
  already (processed_update). When the database cannot take a batch, the old way holds for
  those updates: the offset stops at the first of them not yet handled, so Telegram keeps
  them; one line in the log, polling goes on. An update whose handling raised is tried again
  from memory with back-off, `ATTEMPTS` times; when nothing new came back while updates
  Telegram still keeps are in flight, the poller waits for one to finish (at most `IDLE` s)
  instead of asking again at once. A failing getUpdates is retried with back-off; refused
  (401/404) for `GIVE_UP_AFTER` s in a row, the poller gives up and `buurbot run` exits
  non-zero with one line, for a supervisor to restart it.
- `webhook_route`: the webhook answers 200 only after the update was handled (or skipped as
  unreadable); when handling fails it answers 500, so Telegram delivers it again. No inbox:
  Telegram itself keeps the update until it has its 200.
- `ReceivingRuntime`: the runtime interface on top of these; a runtime supplies fetching raw
  updates, parsing one, and what a refusal looks like in its framework.

Neither framework's own polling is used: both confirm an update as soon as it is fetched
(aiogram's `Dispatcher.start_polling`, PTB's `Updater`), and both parse a whole batch at
once, so one unreadable update fails them all, again and again.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.runtimes.common import (
    SECRET_HEADER,
    BotIdentity,
    Core,
    TelegramRuntime,
    plain_update,
    to_incoming,
)
from scheduler.grouped import Grouped
from storage.direct import Direct
from storage.models import UpdateInbox as UpdateInboxRow
from storage.queries import insert_ignore_many, table_of

if TYPE_CHECKING:
    from aiohttp import web
    from sqlalchemy.ext.asyncio import AsyncSession

    from scheduler.timing import Clock
    from storage.db import Database

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds a getUpdates long poll may wait
LIMIT = 100  # updates per getUpdates: Telegram's maximum
IDLE = 0.25  # seconds between polls while everything returned is still being handled
BACKOFF_FIRST = 1.0  # seconds before the first retry of a failed getUpdates, doubling ...
BACKOFF_MAX = 60.0  # ... up to this
GIVE_UP_AFTER = 300.0  # seconds of getUpdates refused (401/404) before the bot exits
ATTEMPTS = 5  # times an update whose handling raised is tried before it is skipped
# A batch of at most this many updates (a human pace) is not stored: the next getUpdates
# waits up to KEEP_WAIT s for their transactions to commit, and confirms those that did
# (their ids are in processed_update, their replies in the reply outbox): one transaction
# less an update. One slower than that stays with Telegram until it commits, as when the
# inbox is down (storing it then would, on SQLite, wait for that very transaction).
SMALL_BATCH = 4
KEEP_WAIT = 0.25
STOP_TIMEOUT = 10.0  # seconds the updates in flight get to finish on stop
# Handled updates' inbox rows are deleted in one transaction per this many seconds (or
# this many updates), as the reply outbox marks its rows; a crash hands at most that
# long's updates to the core again, which skips them (processed_update).
DELETE_WITHIN = 0.5
DELETE_EVERY = 200

RawUpdate = Mapping[str, Any]
Fetch = Callable[[int | None, int, int], Awaitable[list[Any]]]


def error_kind(error: BaseException) -> str:
    """What went wrong in reading an update, without the update's contents: the exception's
    class and, for pydantic (aiogram), the fields and error types (never the input)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            details = [
                f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('type')}"
                for item in errors(include_input=False, include_url=False)[:3]
            ]
        except Exception:  # not pydantic's errors() after all
            details = []
        if details:
            return f"{type(error).__name__} ({'; '.join(details)})"
    return type(error).__name__


def update_id_of(raw: Any) -> int | None:
    update_id = raw.get("update_id") if isinstance(raw, Mapping) else None
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None


@dataclass(frozen=True, slots=True)
class Health:
    """Whether updates are being received; what /healthz reports."""

    mode: str
    receiving: bool
    error: str | None = None
    failing_for: float | None = None  # seconds since the first failure in a row

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"mode": self.mode, "receiving": self.receiving}
        if self.error is not None:
            data["error"] = self.error
        if self.failing_for is not None:
            data["failing_for_seconds"] = round(self.failing_for, 1)
        return data


class Receiver:
    """Hands raw updates to the core, each in its own task."""

    def __init__(
        self,
        parse: Callable[[RawUpdate], Any],
        core: Core,
        identity: BotIdentity,
        framework: str,
    ) -> None:
        self._parse = parse
        self._core = core
        self._identity = identity
        self._framework = framework
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.skipped = 0  # updates that could not be read

    def handle(self, update_id: int, raw: RawUpdate) -> asyncio.Task[None]:
        """The task handling this update; the one already running when it is in flight."""
        task = self._tasks.get(update_id)
        if task is None:
            task = asyncio.create_task(self._receive(update_id, raw), name=f"update-{update_id}")
            self._tasks[update_id] = task
            task.add_done_callback(lambda _task: self._tasks.pop(update_id, None))
        return task

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109 - a plain bound
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=timeout)

    async def _receive(self, update_id: int, raw: RawUpdate) -> None:
        try:
            # A text message or a button press of the usual shape is read from its JSON, the
            # same as through the framework's model (`plain_update`); anything else through it.
            update = raw if plain_update(raw) else self._parse(raw)
            incoming = to_incoming(
                update, bot_id=self._identity.id, bot_username=self._identity.username
            )
        except Exception as error:
            # The update's contents (names, texts) stay out of the log.
            self.skipped += 1
            log.error(
                "update %s skipped: %s cannot read it: %s",
                update_id,
                self._framework,
                error_kind(error),
            )
            return
        await self._core.handle(incoming)


class UpdateInbox:
    """The `update_inbox` table: a fetched batch stored in one transaction, a handled update's
    row deleted in groups (as the reply outbox marks its rows), the rows a crash left read
    back at start."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        delete_every: int = DELETE_EVERY,
        delete_within: float = DELETE_WITHIN,
    ) -> None:
        self.db = db
        self.clock = clock
        self._every = delete_every
        self._within = delete_within
        self._handled: Grouped[int] = Grouped(
            self._delete, every=delete_every, within=delete_within
        )
        self._deleter: asyncio.Task[None] | None = None
        # Rows an update's own transaction deleted (`take`): nothing left to delete for them.
        self._taken: set[int] = set()
        self._open: set[int] = set()  # stored by this process, not handled yet
        # Told when an update's transaction committed (the poller may confirm it then).
        self.on_committed: Callable[[int], None] | None = None

    async def store(self, updates: Sequence[tuple[int, RawUpdate]]) -> None:
        """Every update of a batch, or none (raises); one already stored is left as it is."""
        now = self.clock.now()
        rows = [
            {
                "update_id": update_id,
                "raw": json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
                "person_id": sender_of(raw),
                "received_at": now,
            }
            for update_id, raw in updates
        ]
        async with self.db.transaction() as session:
            await insert_ignore_many(session, UpdateInboxRow, rows)
        self._open.update(update_id for update_id, _ in updates)

    async def left(self) -> list[tuple[int, str]]:
        """The rows still here (a crash, a stop before they were handled), oldest first."""
        async with self.db.transaction() as session:
            rows = (await session.execute(_LEFT)).all()
        return [(row.update_id, row.raw) for row in rows]

    async def take(self, session: AsyncSession, update_id: int) -> bool:
        """The engine's `UpdateKeeper`: inside the update's own transaction, its row goes
        with it when it came alone (at a human pace: one transaction less an update); in a
        burst a group of deletes is cheaper than a statement each, so its row waits for one.
        False when nothing was taken (a burst; or no row: handed over before it was
        stored, or the inbox was down)."""
        if self._open != {update_id}:
            return False  # not stored, or others stored and still open: a group is coming
        return bool(await _DELETE_ONE.rowcount(session, {"update_id": update_id}))

    def committed(self, update_id: int, took: bool) -> None:
        if took:
            self._taken.add(update_id)
        if self.on_committed is not None:
            self.on_committed(update_id)

    def handled(self, update_id: int) -> None:
        """The update was handled: its row goes with the next group (unless its own
        transaction took it: skipped, failed or unreadable updates' rows are left)."""
        self._open.discard(update_id)
        if update_id in self._taken:
            self._taken.discard(update_id)
            return
        self._handled.add(update_id)
        if self._deleter is None or self._deleter.done():
            self._deleter = asyncio.create_task(self._handled.run(), name="update-inbox-done")

    async def close(self) -> None:
        """Delete the rows of what was handled so far (on stop)."""
        if self._deleter is not None and not self._deleter.done():
            self._handled.close()
            await self._deleter
        self._handled = Grouped(self._delete, every=self._every, within=self._within)
        self._deleter = None
        self._taken.clear()
        self._open.clear()

    async def _delete(self, update_ids: list[int]) -> None:
        try:
            async with self.db.transaction() as session:
                await session.execute(_DELETE, {"ids": update_ids})
        except Exception as error:
            # The rows stay: handed to the core again at the next start, which skips an
            # update it has handled (processed_update).
            log.warning(
                "could not delete %d handled updates from the inbox: %s", len(update_ids), error
            )


_INBOX = table_of(UpdateInboxRow)
_LEFT = sa.select(_INBOX.c.update_id, _INBOX.c.raw).order_by(_INBOX.c.update_id)
_DELETE = sa.delete(_INBOX).where(_INBOX.c.update_id.in_(sa.bindparam("ids", expanding=True)))
_DELETE_ONE = Direct(sa.delete(_INBOX).where(_INBOX.c.update_id == sa.bindparam("update_id")))


def sender_of(raw: RawUpdate) -> int | None:
    """Telegram's user id of whoever the update is from (a message's `from`, a poll
    answer's `user`, ...), when it names one: the person whose data the row is."""
    for key, value in raw.items():
        if key != "update_id" and isinstance(value, Mapping):
            sender = value.get("from") or value.get("user")
            ident = sender.get("id") if isinstance(sender, Mapping) else None
            if isinstance(ident, int) and not isinstance(ident, bool):
                return ident
    return None


@dataclass(slots=True)
class _Entry:
    """An update fetched (or recovered from the inbox) and not yet forgotten."""

    raw: RawUpdate
    stored: bool = False  # in the inbox: the offset may confirm it before it is handled
    committed: bool = False  # its transaction committed: the offset may confirm it too
    task: asyncio.Task[None] | None = None
    done: bool = False
    attempts: int = 0
    retry_at: float = 0.0


@dataclass
class Poller:
    """getUpdates in a loop; see the module's docstring."""

    fetch: Fetch
    receiver: Receiver
    refusal: Callable[[BaseException], str | None]
    describe: Callable[[BaseException], str]
    inbox: UpdateInbox | None = None  # None: every update is confirmed once handled
    timeout: int = POLL_TIMEOUT
    limit: int = LIMIT
    _entries: dict[int, _Entry] = field(default_factory=dict)
    _offset: int | None = None
    _confirmed: int | None = None  # the offset last sent
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _failing_since: float | None = None
    _inbox_down: bool = False
    health: Health = field(default_factory=lambda: Health("polling", receiving=True))
    ended: asyncio.Future[str] | None = None  # the reason, when polling stopped for good
    _stopping: bool = False

    def __post_init__(self) -> None:
        if self.inbox is not None:
            self.inbox.on_committed = self._committed

    def start(self) -> None:
        self.ended = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name="getUpdates")
        self._task.add_done_callback(self._stopped)

    async def stop(self) -> None:
        """Stop fetching, let the updates in flight finish, confirm what is stored or done."""
        # The flag as well as the cancel: Python 3.11's wait_for can swallow a cancel that
        # meets the end of its wait, and the loop must not start another long poll then.
        self._stopping = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.receiver.wait(STOP_TIMEOUT)
        if self.inbox is not None:
            await self.inbox.close()
        if self.ended is not None and self.ended.done():
            return  # refused: confirming would be refused too
        offset = self.offset()
        if offset is not None and offset != self._confirmed:
            try:  # one short getUpdates only to confirm; what it returns stays with Telegram
                await asyncio.wait_for(self.fetch(offset, 0, 1), 5.0)
            except Exception as error:
                log.warning("could not confirm the last updates: %s", self.describe(error))

    def offset(self) -> int | None:
        """The first update neither stored, committed nor finished (everything before it
        is confirmed by it); past every update known when all are."""
        entries = self._entries
        waiting = [u for u, e in entries.items() if not (e.done or e.stored or e.committed)]
        if waiting:
            self._offset = min(waiting)
        elif entries:
            self._offset = max(max(entries) + 1, self._offset or 0)
        if self._offset is not None:
            # Finished and confirmed by this offset: forgotten, a later copy is a new delivery.
            offset = self._offset
            for update_id in [u for u, e in entries.items() if e.done and u < offset]:
                del entries[update_id]
        return self._offset

    async def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stopping:
            offset = self.offset()
            try:
                batch = await self.fetch(offset, self.timeout, self.limit)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._failed(error, delay):
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            self._confirmed = offset
            delay = BACKOFF_FIRST
            self._recovered()
            fresh = self._take(batch)
            if self.inbox is not None and len(fresh) <= SMALL_BATCH:
                started = self._start(fresh)
                await self._until_committed(fresh)
            else:
                await self._store(fresh)
                started = self._start(fresh)
            if not started and batch:
                await self._idle()

    async def recover(self) -> None:
        """Before `start`: hand the updates a crash (or a stop) left in the inbox to the
        core, in update_id order, so each conversation's come before its newer ones; the
        core skips one it handled already."""
        if self.inbox is None:
            return
        try:
            rows = await self.inbox.left()
        except Exception as error:
            log.error("could not read the update inbox: %s; its updates wait", error)
            return
        if not rows:
            return
        log.warning("handling %d updates left in the inbox", len(rows))
        recovered = []
        for update_id, text in rows:
            try:
                raw = json.loads(text)
            except ValueError:
                log.error("update %s skipped: its inbox row cannot be read", update_id)
                self.inbox.handled(update_id)
                continue
            self._entries[update_id] = _Entry(raw, stored=True)
            recovered.append(update_id)
        # Stored: Telegram may forget them (and everything before them) at once.
        self._offset = max(update_id for update_id, _ in rows) + 1
        self._start(recovered)

    def _take(self, batch: list[Any]) -> list[int]:
        """The updates of a batch to start: new ones, and unstored ones due for another try."""
        taken = []
        now = time.monotonic()
        for raw in batch:
            update_id = update_id_of(raw)
            if update_id is None:
                log.error("an update without an update_id skipped")
                continue
            entry = self._entries.get(update_id)
            if entry is not None and entry.done and self._confirmed_past(update_id):
                # Finished, and confirmed by the offset this batch was asked with: this copy is
                # a new delivery (the core decides whether it handled it already).
                entry = None
            if entry is None:
                self._entries[update_id] = _Entry(raw)
            elif (
                entry.done
                or entry.task is not None
                or entry.retry_at > now
                or entry.stored
                or entry.committed
            ):
                continue  # finished, in flight, waiting to be tried again, or ours already
            taken.append(update_id)
        return taken

    def _confirmed_past(self, update_id: int) -> bool:
        return self._confirmed is not None and update_id < self._confirmed

    async def _store(self, update_ids: list[int]) -> None:
        """The batch into the inbox, in one transaction; when the database cannot take it,
        the updates stay with Telegram until handled (the offset waits for them)."""
        if self.inbox is None or not update_ids:
            return
        entries = self._entries
        try:
            await self.inbox.store([(u, entries[u].raw) for u in update_ids])
        except Exception as error:
            if not self._inbox_down:
                log.warning(
                    "could not store updates in the inbox (%s); they are confirmed to "
                    "Telegram only once handled until it works again",
                    error,
                )
            self._inbox_down = True
            return
        if self._inbox_down:
            log.info("storing updates in the inbox again")
            self._inbox_down = False
        for update_id in update_ids:
            entry = entries.get(update_id)
            if entry is None:
                continue
            entry.stored = True
            if entry.done:  # finished while it was being stored
                self.inbox.handled(update_id)

    def _committed(self, update_id: int) -> None:
        entry = self._entries.get(update_id)
        if entry is not None:
            entry.committed = True
            self._changed.set()

    async def _until_committed(self, update_ids: list[int]) -> None:
        """Wait, at most KEEP_WAIT s, until each of these updates committed or finished
        (or failed: it is tried again from memory, stored meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KEEP_WAIT
        entries = self._entries
        while any(
            not (e.committed or e.done or e.task is None) for e in (entries[u] for u in update_ids)
        ):
            left = deadline - loop.time()
            if left <= 0:
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return

    def _start(self, update_ids: list[int]) -> int:
        """Hand these updates to the receiver, in this order; how many."""
        for update_id in update_ids:
            entry = self._entries[update_id]
            entry.task = self.receiver.handle(update_id, entry.raw)
            entry.task.add_done_callback(functools.partial(self._finished, update_id))
        return len(update_ids)

    def _retry(self, update_id: int) -> None:
        entry = self._entries.get(update_id)
        if self._stopping or entry is None or entry.done or entry.task is not None:
            return
        self._start([update_id])

    def _finished(self, update_id: int, task: asyncio.Task[None]) -> None:
        self._changed.set()
        entry = self._entries.get(update_id)
        if entry is None or entry.task is not task:
            return
        entry.task = None
        if task.cancelled():
            return  # stopping: in the inbox or with Telegram, it comes again after a restart
        error = task.exception()
        if error is not None:
            entry.attempts += 1
            if entry.attempts < ATTEMPTS:
                wait = min(BACKOFF_FIRST * 2 ** (entry.attempts - 1), BACKOFF_MAX)
                entry.retry_at = time.monotonic() + wait
                # Telegram does not return a stored update again: it is tried from here.
                asyncio.get_running_loop().call_later(wait, self._retry, update_id)
                log.warning(
                    "handling update %s failed (%s); trying again in %.3g s",
                    update_id,
                    type(error).__name__,
                    wait,
                )
                return
            log.error(
                "update %s skipped: handling it failed %d times (%s)",
                update_id,
                entry.attempts,
                type(error).__name__,
            )
        entry.done = True
        if entry.stored and self.inbox is not None:
            self.inbox.handled(update_id)

    async def _idle(self) -> None:
        """Nothing new came back: wait for an update to finish (or a retry to be due)."""
        waits = [IDLE]
        now = time.monotonic()
        waits += [e.retry_at - now for e in self._entries.values() if e.retry_at > now]
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), max(0.01, min(waits)))
        except TimeoutError:
            pass

    def _failed(self, error: BaseException, delay: float) -> bool:
        """Log and record a failed getUpdates; True when it is time to give up."""
        now = time.monotonic()
        first = self._failing_since is None
        if self._failing_since is None:
            self._failing_since = now
        failing_for = now - self._failing_since
        refused = self.refusal(error)
        reason = f"getUpdates answered {refused}" if refused else self.describe(error)
        self.health = Health("polling", receiving=False, error=reason, failing_for=failing_for)
        if refused and failing_for >= GIVE_UP_AFTER:
            message = (
                f"{reason} for {failing_for:.0f} s: the token was revoked or "
                "BUURBOT_TELEGRAM_API_BASE is wrong; stopping, so that it can be restarted"
            )
            log.error("cannot receive updates: %s", message)
            if self.ended is not None and not self.ended.done():
                self.ended.set_result(message)
            return True
        level = logging.ERROR if first else logging.WARNING
        log.log(level, "cannot fetch updates: %s; trying again in %.3g s", reason, delay)
        return False

    def _recovered(self) -> None:
        if self._failing_since is not None:
            log.info(
                "receiving updates again, after %.0f s", time.monotonic() - self._failing_since
            )
            self._failing_since = None
            self.health = Health("polling", receiving=True)

    def _stopped(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self.ended is None or self.ended.done():
            return
        error = task.exception()
        if error is not None:  # a bug: never stay alive and deaf
            log.error("polling stopped", exc_info=error)
            self.health = Health("polling", receiving=False, error=type(error).__name__)
            self.ended.set_result(f"polling stopped: {type(error).__name__}")


def webhook_route(
    receiver: Receiver, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The webhook: 401 without the secret; 200 once the update is handled; 500 when its
    handling failed (Telegram then delivers it again)."""
    expected = secret.encode()

    from aiohttp import web  # the server's half of aiohttp, only where a webhook is served

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401, text="Unauthorized")
        try:
            raw = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        update_id = update_id_of(raw)
        if update_id is None:
            log.error("a webhook request without an update_id refused")
            return web.Response(status=400, text="not an update")
        # Shielded: when the request goes away, the update is still finished (and the
        # answer lost, so Telegram sends it again and the engine skips it as a duplicate).
        try:
            await asyncio.shield(receiver.handle(update_id, raw))
        except Exception as error:
            log.error(
                "update %s not handled (%s); Telegram will send it again",
                update_id,
                type(error).__name__,
            )
            return web.Response(status=500, text="not handled; send it again")
        return web.json_response({})

    return receive


class ReceivingRuntime(TelegramRuntime):
    """A runtime that receives through `Poller` and `webhook_route`."""

    _identity: BotIdentity | None
    receiver: Receiver | None = None
    poller: Poller | None = None
    mode: str = "polling"

    @abstractmethod
    async def get_updates(self, offset: int | None, wait: int, limit: int) -> list[Any]:
        """getUpdates (a long poll of `wait` s), its result as the Bot API's JSON (the
        updates unparsed)."""

    @abstractmethod
    def parse_update(self, raw: RawUpdate) -> Any:
        """One update as the framework's model; raises when the framework cannot read it."""

    @abstractmethod
    def refusal(self, error: BaseException) -> str | None:
        """'401 Unauthorized' or '404 Not Found' when the Bot API refused the call so."""

    @abstractmethod
    def describe(self, error: BaseException) -> str:
        """A failed call in one line, for the log (never with the token)."""

    @abstractmethod
    async def delete_webhook(self) -> None: ...

    def _receiver(self, core: Core) -> Receiver:
        if self._identity is None:
            raise RuntimeError("connect() first")
        self.receiver = Receiver(self.parse_update, core, self._identity, self.name)
        return self.receiver

    async def start_polling(self, core: Core) -> None:
        receiver = self._receiver(core)
        # A webhook still set would answer every getUpdates with 409.
        await self.delete_webhook()
        inbox = UpdateInbox(core.services.db, core.services.clock)
        core.engine.keeper = inbox
        self.poller = Poller(self.get_updates, receiver, self.refusal, self.describe, inbox)
        await self.poller.recover()
        self.poller.start()

    def mount_webhook(self, core: Core, app: web.Application, path: str, secret: str) -> None:
        self.mode = "webhook"
        app.router.add_post(path, webhook_route(self._receiver(core), secret))

    async def stop_receiving(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
        elif self.receiver is not None:
            await self.receiver.wait(STOP_TIMEOUT)

    @property
    def ended(self) -> asyncio.Future[str] | None:
        """Set, with the reason, when this runtime stopped receiving for good."""
        return self.poller.ended if self.poller is not None else None

    def health(self) -> Health:
        if self.poller is not None:
            return self.poller.health
        return Health(self.mode, receiving=self.receiver is not None)
