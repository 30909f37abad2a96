"""The shared state both sides act on: the bot through HTTP calls, people through the simulation."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable
from typing import Any

from .errors import ApiError, bad_request, forbidden
from .spec import Upload
from .state import (
    JSON,
    SENDING_STATUSES,
    CallbackQueryRecord,
    ChatRecord,
    Ids,
    MessageRecord,
    PollRecord,
    StoredFile,
    User,
    chat_member_json,
    now,
)
from .updates import UpdateQueue


class World:
    def __init__(
        self, bot: User, *, privacy_mode: bool, on_change: Callable[[int | None], None]
    ) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.users: dict[int, User] = {bot.id: bot}
        self.chats: dict[int, ChatRecord] = {}
        self.usernames: dict[str, int] = {}  # lower-case username -> chat id
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.polls: dict[str, PollRecord] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        # (scope key, language code) -> commands
        self.commands: dict[tuple[tuple[Any, ...], str], list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.queue = UpdateQueue()
        self.ids = Ids()
        self.seq = 0
        self._on_change = on_change

    # --- bookkeeping ------------------------------------------------------------------------

    def changed(self, chat_id: int | None = None) -> int:
        """Count a change (of one chat's messages, if given) and wake whoever waits for it."""
        self.seq += 1
        self._on_change(chat_id)
        return self.seq

    def emit(self, kind: str, payload: JSON) -> JSON:
        update = self.queue.add(kind, payload)
        self.changed()
        return update

    # --- chats ------------------------------------------------------------------------------

    def add_chat(self, chat: ChatRecord) -> ChatRecord:
        self.chats[chat.id] = chat
        name = chat.user.username if chat.user else chat.username
        if name:
            self.usernames[name.lower()] = chat.id
        return chat

    def chat_id_of(self, chat_id: int | str | None) -> int | None:
        """The numeric id for a chat_id parameter, without raising."""
        if isinstance(chat_id, int) or chat_id is None:
            return chat_id
        if chat_id.startswith("@"):
            return self.usernames.get(chat_id[1:].lower())
        try:
            return int(chat_id)
        except ValueError:
            return None

    def resolve_chat(self, chat_id: int | str) -> ChatRecord:
        numeric = self.chat_id_of(chat_id)
        chat = self.chats.get(numeric) if numeric is not None else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
                rejected=False,
            )
        if chat.type != "private" and not chat.bot_ever_member:
            raise bad_request("chat not found")
        return chat

    def writable_chat(self, chat_id: int | str) -> ChatRecord:
        """A chat the bot may post in, or the 403 Telegram answers."""
        chat = self.resolve_chat(chat_id)
        if chat.type == "private":
            if chat.blocked:
                raise _world_error(forbidden("bot was blocked by the user"))
            if not chat.started:
                raise _world_error(forbidden("bot can't initiate conversation with a user"))
        elif chat.bot_status not in SENDING_STATUSES:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if chat.bot_status == "kicked":
                raise _world_error(forbidden(f"bot was kicked from the {kind}"))
            raise _world_error(forbidden(f"bot is not a member of the {kind}"))
        return chat

    def bot_is_admin(self, chat: ChatRecord) -> bool:
        return chat.bot_status in ("administrator", "creator")

    def member_json(self, chat: ChatRecord, user: User) -> JSON:
        if user.id == self.bot.id:
            status = "member" if chat.type == "private" else chat.bot_status
        elif chat.type == "private":
            status = "member" if chat.user and chat.user.id == user.id else "left"
        else:
            status = chat.members.get(user.id, "left")
        return chat_member_json(user, status)

    # --- messages ---------------------------------------------------------------------------

    def post(
        self,
        chat: ChatRecord,
        sender: User,
        fields: JSON,
        *,
        reply_to: MessageRecord | None = None,
        file: StoredFile | None = None,
        poll_id: str | None = None,
    ) -> MessageRecord:
        message: JSON = {
            "message_id": chat.take_message_id(),
            "from": sender.to_json(),
            "chat": chat.to_json(),
            "date": now(),
        }
        if reply_to is not None:
            quoted = dict(reply_to.message)
            quoted.pop("reply_to_message", None)
            message["reply_to_message"] = quoted
        message.update(fields)
        seq = self.changed(chat.id)
        record = MessageRecord(
            message, sender.id == self.bot.id, seq, seq, file=file, poll_id=poll_id
        )
        chat.messages[message["message_id"]] = record
        return record

    def message_of(self, chat: ChatRecord, message_id: int | None, action: str) -> MessageRecord:
        record = chat.messages.get(message_id) if message_id is not None else None
        if record is None:
            raise bad_request(f"message to {action} not found")
        return record

    def replace_message(self, record: MessageRecord, message: JSON, *, edited: bool) -> None:
        record.message = message
        record.edited = record.edited or edited
        record.changed_seq = self.changed(message["chat"]["id"])

    # --- files ------------------------------------------------------------------------------

    def store_file(self, value: Upload | str, kind: str, default_name: str) -> StoredFile:
        if isinstance(value, str):
            existing = self.files.get(value)
            if existing is not None:
                return existing
            if value.startswith(("http://", "https://")):
                return self._new_file(
                    None, kind, value.rsplit("/", 1)[-1] or default_name, url=value
                )
            raise bad_request("wrong file identifier/HTTP URL specified")
        filename = value.filename or default_name
        return self._new_file(value.data, kind, filename, mime_type=value.content_type)

    def _new_file(
        self,
        data: bytes | None,
        kind: str,
        filename: str,
        *,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        number = next(self.ids.file)
        unique = hashlib.blake2b(data or (url or "").encode(), digest_size=8).hexdigest()
        if mime_type in (None, "application/octet-stream"):
            mime_type = mimetypes.guess_type(filename)[0] or mime_type
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"{kind.upper()}-{number}-{unique}",
            file_unique_id=f"U{unique}",
            file_path=f"{kind}s/file_{number}.{suffix}",
            data=data,
            file_name=filename if kind == "document" else None,
            mime_type=mime_type,
            url=url,
        )
        self.files[stored.file_id] = stored
        if data is not None:
            self.files_by_path[stored.file_path] = stored
        return stored

    # --- updates people cause ---------------------------------------------------------------

    def bot_sees(self, chat: ChatRecord, message: JSON) -> bool:
        """Whether a message in this chat reaches the bot (privacy mode in groups)."""
        if chat.type == "private":
            return True
        if chat.bot_status not in SENDING_STATUSES:
            return False
        if not self.privacy_mode or self.bot_is_admin(chat):
            return True
        if "text" not in message:
            return True  # service messages
        if message["text"].startswith("/"):
            return True
        reply = message.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot.id)

    def my_chat_member(self, chat: ChatRecord, by: User, old_status: str, new_status: str) -> JSON:
        return self.emit(
            "my_chat_member",
            {
                "chat": chat.to_json(),
                "from": by.to_json(),
                "date": now(),
                "old_chat_member": chat_member_json(self.bot, old_status),
                "new_chat_member": chat_member_json(self.bot, new_status),
            },
        )

    def chat_member(
        self, chat: ChatRecord, by: User, user: User, old_status: str, new_status: str
    ) -> JSON | None:
        if not self.bot_is_admin(chat):
            return None  # Telegram sends chat_member only to administrators
        return self.emit(
            "chat_member",
            {
                "chat": chat.to_json(),
                "from": by.to_json(),
                "date": now(),
                "old_chat_member": chat_member_json(user, old_status),
                "new_chat_member": chat_member_json(user, new_status),
            },
        )


def _world_error(error: ApiError) -> ApiError:
    error.rejected = False
    return error
