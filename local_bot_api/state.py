"""The simulated Telegram world: users, chats, messages, files, polls, and their JSON shapes."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# ChatMember permission fields, as Bot API 10.x (and aiogram/PTB) require them.
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
    "can_send_welcome_messages",
)
SENDING_STATUSES = frozenset({"creator", "administrator", "member"})


def now() -> int:
    return int(time.time())


@dataclass(slots=True)
class User:
    id: int
    first_name: str
    is_bot: bool = False
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None  # sent by URL: the local server never fetches it

    def to_json(self) -> JSON:
        data: JSON = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.data is not None:
            data["file_size"] = len(self.data)
            data["file_path"] = self.file_path
        return data

    def document_json(self) -> JSON:
        data = self.to_json()
        data.pop("file_path", None)
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def photo_json(self) -> list[JSON]:
        data = self.to_json()
        data.pop("file_path", None)
        return [{**data, "width": 320, "height": 320}]


@dataclass(slots=True)
class MessageRecord:
    message: JSON  # the Message object as the Bot API returns it
    from_bot: bool
    seq: int  # world change counter when it was created
    changed_seq: int  # ... and when it last changed (edit, pin, vote)
    edited: bool = False
    pinned: bool = False
    file: StoredFile | None = None
    poll_id: str | None = None

    @property
    def message_id(self) -> int:
        return self.message["message_id"]


@dataclass(slots=True)
class PollRecord:
    poll: JSON
    chat_id: int
    message_id: int
    votes: dict[int, list[int]] = field(default_factory=dict)  # user id -> option ids

    def recount(self) -> None:
        counts = [0] * len(self.poll["options"])
        for option_ids in self.votes.values():
            for option_id in option_ids:
                counts[option_id] += 1
        for option, count in zip(self.poll["options"], counts, strict=True):
            option["voter_count"] = count
        self.poll["total_voter_count"] = sum(1 for ids in self.votes.values() if ids)

    def close_if_expired(self) -> None:
        close_date = self.poll.get("close_date")
        if close_date is not None and close_date <= time.time():
            self.poll["is_closed"] = True


@dataclass(slots=True)
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: JSON | None = None  # the answerCallbackQuery parameters


@dataclass(slots=True)
class ChatRecord:
    id: int
    type: str  # private, group, supergroup
    title: str | None = None
    user: User | None = None  # the person, for a private chat
    username: str | None = None
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    next_message_id: int = 1
    members: dict[int, str] = field(default_factory=dict)  # user id -> ChatMember status
    bot_status: str = "left"
    bot_ever_member: bool = False
    blocked: bool = False  # private: the person blocked the bot
    started: bool = True  # private: the person has ever written to the bot
    migrated_to: int | None = None
    migrated_from: int | None = None
    reply_keyboard: list[list[str]] | None = None
    _json: JSON | None = None

    def to_json(self) -> JSON:
        if self._json is None:
            data: JSON = {"id": self.id, "type": self.type}
            if self.type == "private" and self.user is not None:
                data["first_name"] = self.user.first_name
                if self.user.last_name:
                    data["last_name"] = self.user.last_name
                if self.user.username:
                    data["username"] = self.user.username
            else:
                data["title"] = self.title or ""
                if self.username:
                    data["username"] = self.username
            self._json = data
        return self._json

    def full_info_json(self) -> JSON:
        data = dict(self.to_json())
        data.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        if self.type != "private":
            data["permissions"] = {
                "can_send_messages": True,
                "can_send_polls": True,
                "can_invite_users": True,
                "can_pin_messages": self.type == "group",
            }
            data["has_visible_history"] = True
        pinned = [r for r in reversed(self.messages.values()) if r.pinned]
        if pinned:
            data["pinned_message"] = pinned[0].message
        return data

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


def chat_member_json(user: User, status: str) -> JSON:
    data: JSON = {"status": status, "user": user.to_json()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data["can_be_edited"] = False
        data["is_anonymous"] = False
        for right in _ADMIN_RIGHTS:
            data[right] = True
    elif status == "kicked":
        data["until_date"] = 0
    elif status == "restricted":
        data.update(
            {
                "is_member": True,
                "can_send_messages": False,
                "can_send_audios": False,
                "can_send_documents": False,
                "can_send_photos": False,
                "can_send_videos": False,
                "can_send_video_notes": False,
                "can_send_voice_notes": False,
                "can_send_polls": False,
                "can_send_other_messages": False,
                "can_add_web_page_previews": False,
                "can_change_info": False,
                "can_invite_users": False,
                "can_pin_messages": False,
                "can_manage_topics": False,
                "until_date": 0,
            }
        )
    return data


class Ids:
    """Counters for everything the world hands out."""

    def __init__(self) -> None:
        self.user = itertools.count(1_000_001)
        self.group = itertools.count(1)
        self.file = itertools.count(1)
        self.poll = itertools.count(1)
        self.callback = itertools.count(1)

    def group_id(self, supergroup: bool) -> int:
        n = next(self.group)
        return -(1_001_000_000_000 + n) if supergroup else -(4_000_000_000 + n)
