"""People and group chats: what they do (updates for the bot) and what they see (transcripts)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .state import JSON, CallbackQueryRecord, ChatRecord, MessageRecord, User, now

if TYPE_CHECKING:
    from .server import LocalBotApi
    from .world import World

_BUTTON_VALUE_KEYS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "copy_text",
)


@dataclass(frozen=True, slots=True)
class SeenPoll:
    id: str
    question: str
    options: tuple[str, ...]
    votes: tuple[int, ...]
    is_closed: bool
    is_anonymous: bool
    allows_multiple_answers: bool
    type: str


@dataclass(frozen=True, slots=True)
class SeenMessage:
    """One message as the people in the chat see it now."""

    message_id: int
    chat_id: int
    text: str | None  # the text, or a media caption, after entity parsing
    buttons: list[list[tuple[str, str]]]  # (label, callback_data or url)
    edited: bool
    pinned: bool
    from_bot: bool
    sender: str  # first name of the sender
    document: bytes | None = None
    filename: str | None = None
    photo: bytes | None = None
    poll: SeenPoll | None = None
    raw: JSON = field(default_factory=dict, repr=False)  # the Message object itself

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def button(self, label: str) -> str:
        """The callback_data (or url) of the button with this label."""
        for row in self.buttons:
            for text, value in row:
                if text == label:
                    return value
        raise AssertionError(f"no button {label!r} on message {self.message_id}: {self.labels}")

    @property
    def entities(self) -> list[JSON]:
        return self.raw.get("entities") or self.raw.get("caption_entities") or []

    @property
    def service(self) -> str | None:
        """The kind of a service message (new_chat_members, migrate_to_chat_id, ...)."""
        for key in (
            "new_chat_members",
            "left_chat_member",
            "migrate_to_chat_id",
            "migrate_from_chat_id",
        ):
            if key in self.raw:
                return key
        return None


def seen(record: MessageRecord, world: World) -> SeenMessage:
    message = record.message
    buttons = [
        [
            (
                button["text"],
                next((str(button[k]) for k in _BUTTON_VALUE_KEYS if k in button), ""),
            )
            for button in row
        ]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", ())
    ]
    poll = None
    if record.poll_id is not None:
        live = world.polls[record.poll_id]
        live.close_if_expired()
        data = live.poll
        poll = SeenPoll(
            data["id"],
            data["question"],
            tuple(o["text"] for o in data["options"]),
            tuple(o["voter_count"] for o in data["options"]),
            data["is_closed"],
            data["is_anonymous"],
            data["allows_multiple_answers"],
            data["type"],
        )
    stored = record.file
    return SeenMessage(
        message_id=message["message_id"],
        chat_id=message["chat"]["id"],
        text=message.get("text", message.get("caption")),
        buttons=buttons,
        edited=record.edited,
        pinned=record.pinned,
        from_bot=record.from_bot,
        sender=message["from"]["first_name"],
        document=stored.data if stored is not None and "document" in message else None,
        filename=stored.file_name if stored is not None and "document" in message else None,
        photo=stored.data if stored is not None and "photo" in message else None,
        poll=poll,
        raw=message,
    )


class _Chatting:
    """What a person and a group chat share: a transcript, and waiting for the bot."""

    server: LocalBotApi
    _mark: int

    @property
    def _record(self) -> ChatRecord:
        raise NotImplementedError

    @property
    def chat(self) -> list[SeenMessage]:
        """Every message in the chat, oldest first, as it looks now (edits and deletes applied)."""
        world = self.server.world
        return [seen(record, world) for record in self._record.messages.values()]

    @property
    def bot_messages(self) -> list[SeenMessage]:
        world = self.server.world
        return [seen(r, world) for r in self._record.messages.values() if r.from_bot]

    @property
    def last(self) -> SeenMessage | None:
        """The newest message from the bot."""
        for record in reversed(self._record.messages.values()):
            if record.from_bot:
                return seen(record, self.server.world)
        return None

    def _bot_records_since(self, mark: int) -> Iterator[MessageRecord]:
        """Bot messages created or changed (edited, voted on, pinned) after `mark`."""
        for record in self._record.messages.values():
            if record.from_bot and record.changed_seq > mark:
                yield record

    async def wait_for_message(
        self,
        count: int = 1,
        containing: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - tests read better with a plain timeout
    ) -> SeenMessage:
        """Wait for the bot's answer to what happened last in this chat.

        With `containing`: the first bot message new or edited since then whose text contains
        it. Otherwise: the `count`-th new bot message since then.
        """
        mark = self._mark
        found: list[SeenMessage] = []

        def arrived() -> bool:
            world = self.server.world
            if containing is not None:
                for record in self._bot_records_since(mark):
                    text = record.message.get("text", record.message.get("caption")) or ""
                    if containing in text:
                        found.append(seen(record, world))
                        return True
                return False
            new: list[MessageRecord] = []
            for record in reversed(self._record.messages.values()):
                if record.seq <= mark:
                    break  # messages are kept in the order they were made
                if record.from_bot:
                    new.append(record)
            new.reverse()
            if len(new) >= count:
                found.append(seen(new[count - 1], world))
                return True
            return False

        what = (
            f"a bot message containing {containing!r}" if containing else f"{count} bot message(s)"
        )
        await self.server.wait_until(
            arrived, timeout, f"{self!r} waited for {what}", chat_id=self._record.id, recheck=None
        )
        return found[-1]

    def _find_button(self, label: str) -> tuple[MessageRecord, JSON] | None:
        for record in reversed(self._record.messages.values()):
            if not record.from_bot:
                continue
            markup = record.message.get("reply_markup")
            if not markup:
                continue
            for row in markup["inline_keyboard"]:
                for button in row:
                    if button["text"] == label:
                        return record, button
        return None


class Person(_Chatting):
    """A Telegram user talking to the bot in a private chat."""

    def __init__(self, server: LocalBotApi, user: User, chat: ChatRecord) -> None:
        self.server = server
        self.user = user
        self._chat = chat
        self._mark = server.world.seq

    def __repr__(self) -> str:
        return f"<Person {self.user.first_name} id={self.user.id}>"

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.first_name

    @property
    def chat_id(self) -> int:
        return self._chat.id

    @property
    def _record(self) -> ChatRecord:
        return self._chat

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    @property
    def keyboard(self) -> list[list[str]] | None:
        """The reply keyboard the bot gave this person, if any."""
        return self._chat.reply_keyboard

    def _act(self) -> None:
        self._mark = self.server.world.seq
        self._chat.started = True

    def message_update(self, text: str) -> JSON:
        """A message update as Telegram would shape it, neither sent nor queued (for posting
        to a webhook by hand, e.g. with a wrong secret)."""
        message: JSON = {
            "message_id": self._chat.take_message_id(),
            "from": self.user.to_json(),
            "chat": self._chat.to_json(),
            "date": now(),
            "text": text,
        }
        entities = _entities_for(text)
        if entities:
            message["entities"] = entities
        return {"update_id": self.server.world.queue.next_id(), "message": message}

    def _new_message(
        self, text: str, entities: list[JSON] | None, reply_to: MessageRecord | None
    ) -> JSON:
        fields: JSON = {"text": text}
        if entities:
            fields["entities"] = entities
        record = self.server.world.post(self._chat, self.user, fields, reply_to=reply_to)
        return record.message

    async def send(self, text: str, *, reply_to: SeenMessage | int | None = None) -> int:
        """Type a message to the bot; returns the update id."""
        self._act()
        target = None
        if reply_to is not None:
            message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
            target = self._chat.messages[message_id]
        message = self._new_message(text, _entities_for(text), target)
        return self.server.world.emit("message", message)["update_id"]

    async def command(self, name: str, payload: str | None = None) -> int:
        """Send `/name payload`, as tapping a command or a deep link does."""
        text = f"/{name}" + (f" {payload}" if payload else "")
        return await self.send(text)

    async def press(self, label: str) -> str:
        """Tap the button with this label on the newest bot message that has it."""
        found = self._find_button(label)
        if found is None:
            keyboard = self._chat.reply_keyboard or []
            if any(label in row for row in keyboard):
                await self.send(label)  # a reply-keyboard button sends its label as text
                return ""
            raise AssertionError(
                f"{self.name} sees no button {label!r}; buttons on the newest messages: "
                f"{[m.labels for m in self.bot_messages[-3:]]}"
            )
        return self._tap(*found)

    async def press_in(self, message: SeenMessage, label: str) -> str:
        """Tap a button on a given message (in this person's chat or a group)."""
        chat = self.server.world.chats[message.chat_id]
        record = chat.messages.get(message.message_id)
        if record is None:
            raise AssertionError(f"message {message.message_id} was deleted")
        for row in (record.message.get("reply_markup") or {}).get("inline_keyboard", ()):
            for button in row:
                if button["text"] == label:
                    return self._tap(record, button)
        raise AssertionError(f"message {message.message_id} has no button {label!r} (any more)")

    def _tap(self, record: MessageRecord, button: JSON) -> str:
        if "callback_data" not in button:
            raise AssertionError(f"button {button['text']!r} is not a callback button: {button}")
        world = self.server.world
        self._mark = world.seq
        chat_id = record.message["chat"]["id"]
        query_id = f"{self.user.id}{next(world.ids.callback):06d}"
        world.callback_queries[query_id] = CallbackQueryRecord(
            query_id, self.user.id, chat_id, record.message_id, button["callback_data"]
        )
        world.emit(
            "callback_query",
            {
                "id": query_id,
                "from": self.user.to_json(),
                "message": record.message,
                "chat_instance": str(abs(hash((chat_id, world.bot.id)))),
                "data": button["callback_data"],
            },
        )
        return query_id

    async def answer_poll(
        self, poll: SeenMessage | SeenPoll | str, option_ids: list[int] | int
    ) -> int | None:
        """Vote (an empty list retracts); returns the poll_answer update id, if one was sent."""
        world = self.server.world
        if isinstance(poll, SeenMessage):
            if poll.poll is None:
                raise AssertionError(f"message {poll.message_id} is not a poll")
            poll = poll.poll
        poll_id = poll if isinstance(poll, str) else poll.id
        record = world.polls[poll_id]
        record.close_if_expired()
        ids = [option_ids] if isinstance(option_ids, int) else list(option_ids)
        data = record.poll
        if data["is_closed"]:
            raise AssertionError(f"poll {data['question']!r} is closed")
        if len(ids) > 1 and not data["allows_multiple_answers"]:
            raise AssertionError("this poll allows one answer only")
        if any(not 0 <= i < len(data["options"]) for i in ids):
            raise AssertionError(f"no such option in {ids}")
        if record.votes.get(self.user.id) and not data["allows_revoting"]:
            raise AssertionError("this poll does not allow changing a vote")
        self._mark = world.seq
        record.votes[self.user.id] = ids
        record.recount()
        chat = world.chats[record.chat_id]
        chat.messages[record.message_id].changed_seq = world.changed(chat.id)
        world.emit("poll", copy.deepcopy(data))  # a snapshot: later votes change the live poll
        if data["is_anonymous"]:
            return None
        update = world.emit(
            "poll_answer",
            {
                "poll_id": poll_id,
                "user": self.user.to_json(),
                "option_ids": ids,
                "option_persistent_ids": [data["options"][i]["persistent_id"] for i in ids],
            },
        )
        return update["update_id"]

    async def block_bot(self) -> None:
        self._mark = self.server.world.seq
        self._chat.blocked = True
        self.server.world.my_chat_member(self._chat, self.user, "member", "kicked")

    async def unblock_bot(self) -> None:
        self._mark = self.server.world.seq
        self._chat.blocked = False
        self.server.world.my_chat_member(self._chat, self.user, "kicked", "member")

    def visible_commands(self) -> list[tuple[str, str]]:
        """The command menu this person sees, with Telegram's scope and language fallback."""
        commands = self.server.world.commands
        lang = self.user.language_code or ""
        for scope in (("chat", self.chat_id), ("all_private_chats",), ("default",)):
            for key in ((scope, lang), (scope, "")):
                if key in commands:
                    return [(c["command"], c["description"]) for c in commands[key]]
        return []


class Group(_Chatting):
    """A group or supergroup chat with people in it and, once added, the bot."""

    def __init__(self, server: LocalBotApi, chat: ChatRecord) -> None:
        self.server = server
        self._chat = chat
        self.old_ids: list[int] = []
        self._mark = server.world.seq

    def __repr__(self) -> str:
        return f"<Group {self._chat.title} id={self._chat.id}>"

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def title(self) -> str:
        return self._chat.title or ""

    @property
    def type(self) -> str:
        return self._chat.type

    @property
    def _record(self) -> ChatRecord:
        return self._chat

    @property
    def bot_status(self) -> str:
        return self._chat.bot_status

    def status_of(self, person: Person) -> str:
        return self._chat.members.get(person.id, "left")

    def _ensure_member(self, person: Person) -> None:
        if self._chat.members.get(person.id, "left") in ("left", "kicked"):
            self._chat.members[person.id] = "creator" if not self._chat.members else "member"

    def _service(self, by: Person, fields: JSON) -> JSON:
        record = self.server.world.post(self._chat, by.user, fields)
        if self.server.world.bot_sees(self._chat, record.message):
            self.server.world.emit("message", record.message)
        return record.message

    async def add_bot(self, by: Person, as_admin: bool = False) -> None:
        """`by` adds the bot: a my_chat_member update from that person, and the service message."""
        world = self.server.world
        self._mark = world.seq
        self._ensure_member(by)
        old = self._chat.bot_status
        self._chat.bot_status = "administrator" if as_admin else "member"
        self._chat.bot_ever_member = True
        world.my_chat_member(self._chat, by.user, old, self._chat.bot_status)
        self._service(by, {"new_chat_members": [world.bot.to_json()]})

    async def make_bot_admin(self, by: Person) -> None:
        world = self.server.world
        self._mark = world.seq
        old = self._chat.bot_status
        self._chat.bot_status = "administrator"
        world.my_chat_member(self._chat, by.user, old, "administrator")

    async def remove_bot(self, by: Person) -> None:
        world = self.server.world
        self._mark = world.seq
        old = self._chat.bot_status
        self._chat.bot_status = "kicked" if self._chat.type == "supergroup" else "left"
        world.my_chat_member(self._chat, by.user, old, self._chat.bot_status)

    async def join(self, person: Person) -> None:
        world = self.server.world
        self._mark = world.seq
        old = self._chat.members.get(person.id, "left")
        self._chat.members[person.id] = "member"
        self._service(person, {"new_chat_members": [person.user.to_json()]})
        world.chat_member(self._chat, person.user, person.user, old, "member")

    async def leave(self, person: Person) -> None:
        world = self.server.world
        self._mark = world.seq
        old = self._chat.members.get(person.id, "left")
        self._chat.members[person.id] = "left"
        self._service(person, {"left_chat_member": person.user.to_json()})
        world.chat_member(self._chat, person.user, person.user, old, "left")

    def set_admin(self, person: Person) -> None:
        world = self.server.world
        old = self._chat.members.get(person.id, "left")
        if old == "creator":
            return
        self._chat.members[person.id] = "administrator"
        world.chat_member(self._chat, person.user, person.user, old, "administrator")

    async def send(
        self, person: Person, text: str, *, reply_to: SeenMessage | int | None = None
    ) -> int | None:
        """`person` writes in the group; returns the update id, or None if the bot can't see it
        (privacy mode: only commands, replies to the bot and service messages reach it)."""
        world = self.server.world
        self._mark = world.seq
        self._ensure_member(person)
        target = None
        if reply_to is not None:
            message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
            target = self._chat.messages[message_id]
        fields: JSON = {"text": text}
        entities = _entities_for(text)
        if entities:
            fields["entities"] = entities
        record = world.post(self._chat, person.user, fields, reply_to=target)
        if not world.bot_sees(self._chat, record.message):
            return None
        return world.emit("message", record.message)["update_id"]

    async def command(
        self, person: Person, name: str, args: str | None = None, *, mention: bool = False
    ) -> int | None:
        """`/name args`, or `/name@botusername args` with mention=True."""
        suffix = f"@{self.server.username}" if mention else ""
        text = f"/{name}{suffix}" + (f" {args}" if args else "")
        return await self.send(person, text)

    async def press(self, person: Person, label: str) -> str:
        found = self._find_button(label)
        if found is None:
            raise AssertionError(f"no button {label!r} in {self.title}")
        self._mark = self.server.world.seq
        return person._tap(*found)

    async def migrate_to_supergroup(self, by: Person | None = None) -> int:
        """Upgrade to a supergroup, as Telegram does; returns the new chat id."""
        if self._chat.type != "group":
            raise AssertionError("only a basic group can be upgraded")
        world = self.server.world
        self._mark = world.seq
        old = self._chat
        actor = by.user if by else _first_member(world, old)
        new = world.add_chat(
            ChatRecord(
                id=world.ids.group_id(supergroup=True),
                type="supergroup",
                title=old.title,
                members=dict(old.members),
                bot_status=old.bot_status,
                bot_ever_member=old.bot_ever_member,
                migrated_from=old.id,
            )
        )
        old_message = world.post(old, actor, {"migrate_to_chat_id": new.id})
        old.migrated_to = new.id
        new_message = world.post(new, actor, {"migrate_from_chat_id": old.id})
        if old.bot_status in ("member", "administrator", "creator"):
            world.emit("message", old_message.message)
            world.emit("message", new_message.message)
        self.old_ids.append(old.id)
        self._chat = new
        return new.id


def _first_member(world: World, chat: ChatRecord) -> User:
    for user_id in chat.members:
        return world.users[user_id]
    return User(id=777000, first_name="Telegram")


def _entities_for(text: str) -> list[JSON] | None:
    """A leading /command gets a bot_command entity, as the Telegram apps add it."""
    if not text.startswith("/"):
        return None
    end = len(text.split(" ", 1)[0].split("\n", 1)[0])
    return [{"type": "bot_command", "offset": 0, "length": end}]
