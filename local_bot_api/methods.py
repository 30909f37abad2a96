"""The Bot API methods the local server implements, each on the shared world."""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from . import limits
from .errors import ApiError, bad_request
from .state import JSON, ChatRecord, MessageRecord, PollRecord, now
from .webhook import Webhook
from .world import World

Handler = Callable[[JSON], Any | Awaitable[Any]]
_HANDLERS: dict[str, str] = {}
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def handles(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        _HANDLERS[name] = function.__name__
        return function

    return register


class Methods:
    def __init__(self, world: World, webhook: Webhook) -> None:
        self.world = world
        self.webhook = webhook
        self.table: dict[str, Handler] = {
            api: getattr(self, attr) for api, attr in _HANDLERS.items()
        }

    # --- the bot and its updates -----------------------------------------------------------

    @handles("getMe")
    def get_me(self, p: JSON) -> JSON:
        return {
            **self.world.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @handles("getUpdates")
    async def get_updates(self, p: JSON) -> list[JSON]:
        return await self.world.queue.get_updates(
            p.get("offset"), p.get("limit", 100), p.get("timeout", 0), p.get("allowed_updates")
        )

    @handles("setWebhook")
    def set_webhook(self, p: JSON) -> bool:
        url = p["url"]
        if not url:
            return self.delete_webhook(p)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.hostname not in LOOPBACK_HOSTS:
            raise bad_request("bad webhook: the local Bot API server only delivers to 127.0.0.1")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        max_connections = p.get("max_connections", 40)
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if p.get("drop_pending_updates"):
            self.world.queue.drop_pending()
        self.world.queue.set_allowed(p.get("allowed_updates"))
        self.webhook.configure(url, secret, max_connections, p.get("ip_address"))
        return True

    @handles("deleteWebhook")
    def delete_webhook(self, p: JSON) -> bool:
        if p.get("drop_pending_updates"):
            self.world.queue.drop_pending()
        self.webhook.remove()
        return True

    @handles("getWebhookInfo")
    def get_webhook_info(self, p: JSON) -> JSON:
        return self.webhook.info()

    # --- messages ---------------------------------------------------------------------------

    @handles("sendMessage")
    def send_message(self, p: JSON) -> JSON:
        chat = self.world.writable_chat(p["chat_id"])
        text = limits.check_message_text(p["text"], p.get("parse_mode"), p.get("entities"))
        fields: JSON = {"text": text.text}
        if text.entities:
            fields["entities"] = text.entities
        return self._post(chat, p, fields).message

    @handles("sendDocument")
    def send_document(self, p: JSON) -> JSON:
        chat = self.world.writable_chat(p["chat_id"])
        caption = limits.check_caption(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities")
        )
        stored = self.world.store_file(p["document"], "document", "document")
        fields: JSON = {"document": stored.document_json(), **_caption_fields(caption)}
        return self._post(chat, p, fields, file=stored).message

    @handles("sendPhoto")
    def send_photo(self, p: JSON) -> JSON:
        chat = self.world.writable_chat(p["chat_id"])
        caption = limits.check_caption(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities")
        )
        stored = self.world.store_file(p["photo"], "photo", "photo.jpg")
        fields: JSON = {"photo": stored.photo_json(), **_caption_fields(caption)}
        return self._post(chat, p, fields, file=stored).message

    @handles("sendPoll")
    def send_poll(self, p: JSON) -> JSON:
        chat = self.world.writable_chat(p["chat_id"])
        question, options = limits.check_poll(p)
        poll_type = p.get("type", "regular")
        correct = p.get("correct_option_ids")
        if poll_type == "quiz" and not correct:
            raise bad_request("quiz poll must have a correct option")
        if correct and any(not 0 <= i < len(options) for i in correct):
            raise bad_request("wrong correct option ID specified")
        poll: JSON = {
            "id": str(next(self.world.ids.poll)),
            "question": question.text,
            "options": [
                {
                    "persistent_id": str(index),
                    "text": option.text,
                    "voter_count": 0,
                    **({"text_entities": option.entities} if option.entities else {}),
                }
                for index, option in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": bool(p.get("is_closed", False)),
            "is_anonymous": bool(p.get("is_anonymous", True)),
            "type": poll_type,
            "allows_multiple_answers": bool(p.get("allows_multiple_answers", False)),
            "allows_revoting": bool(p.get("allows_revoting", poll_type == "regular")),
            "members_only": bool(p.get("members_only", False)),
        }
        if question.entities:
            poll["question_entities"] = question.entities
        if correct:
            poll["correct_option_ids"] = correct
        if "open_period" in p:
            poll["open_period"] = p["open_period"]
            poll["close_date"] = now() + p["open_period"]
        elif "close_date" in p:
            if not limits.MIN_OPEN_PERIOD <= p["close_date"] - now() <= limits.MAX_OPEN_PERIOD:
                raise bad_request("close_date must be 5 to 600 seconds in the future")
            poll["close_date"] = p["close_date"]
        record = self._post(chat, p, {"poll": poll}, poll_id=poll["id"])
        self.world.polls[poll["id"]] = PollRecord(poll, chat.id, record.message_id)
        return record.message

    @handles("stopPoll")
    def stop_poll(self, p: JSON) -> JSON:
        chat = self.world.resolve_chat(p["chat_id"])
        record = chat.messages.get(p["message_id"])
        if record is None or record.poll_id is None:
            raise bad_request("message with poll to stop not found")
        if not record.from_bot:
            raise bad_request("poll can't be stopped")
        poll = self.world.polls[record.poll_id]
        poll.close_if_expired()
        if poll.poll["is_closed"]:
            raise bad_request("poll has already been closed")
        poll.poll["is_closed"] = True
        message = dict(record.message)
        markup = _inline_markup(p.get("reply_markup"))
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        self.world.replace_message(record, message, edited=False)
        self.world.emit("poll", copy.deepcopy(poll.poll))
        return poll.poll

    @handles("editMessageText")
    def edit_message_text(self, p: JSON) -> JSON:
        record = self._editable(p)
        if "text" not in p:
            raise bad_request("message text is empty")
        if "text" not in record.message:
            raise bad_request("there is no text in the message to edit")
        text = limits.check_message_text(p["text"], p.get("parse_mode"), p.get("entities"))
        content: JSON = {"text": text.text}
        if text.entities:
            content["entities"] = text.entities
        return self._edit(record, ("text", "entities"), content, p.get("reply_markup"))

    @handles("editMessageCaption")
    def edit_message_caption(self, p: JSON) -> JSON:
        record = self._editable(p)
        if record.file is None:
            raise bad_request("there is no caption in the message to edit")
        caption = limits.check_caption(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities")
        )
        content = _caption_fields(caption)
        return self._edit(record, ("caption", "caption_entities"), content, p.get("reply_markup"))

    @handles("editMessageReplyMarkup")
    def edit_message_reply_markup(self, p: JSON) -> JSON:
        record = self._editable(p)
        return self._edit(record, (), {}, p.get("reply_markup"))

    @handles("deleteMessage")
    def delete_message(self, p: JSON) -> bool:
        chat = self.world.resolve_chat(p["chat_id"])
        self._delete(chat, p["message_id"])
        return True

    @handles("deleteMessages")
    def delete_messages(self, p: JSON) -> bool:
        chat = self.world.resolve_chat(p["chat_id"])
        if not 1 <= len(p["message_ids"]) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for message_id in p["message_ids"]:
            if message_id in chat.messages:
                self._delete(chat, message_id)
        return True

    @handles("pinChatMessage")
    def pin_chat_message(self, p: JSON) -> bool:
        chat = self.world.writable_chat(p["chat_id"])
        record = self.world.message_of(chat, p["message_id"], "pin")
        if chat.type == "supergroup" and not self.world.bot_is_admin(chat):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        record.pinned = True
        record.changed_seq = self.world.changed(chat.id)
        return True

    @handles("unpinChatMessage")
    def unpin_chat_message(self, p: JSON) -> bool:
        chat = self.world.writable_chat(p["chat_id"])
        if chat.type == "supergroup" and not self.world.bot_is_admin(chat):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        if "message_id" in p:
            record = chat.messages.get(p["message_id"])
            if record is None or not record.pinned:
                raise bad_request("message to unpin not found")
        else:
            record = next((r for r in reversed(chat.messages.values()) if r.pinned), None)
            if record is None:
                return True
        record.pinned = False
        record.changed_seq = self.world.changed(chat.id)
        return True

    @handles("unpinAllChatMessages")
    def unpin_all_chat_messages(self, p: JSON) -> bool:
        chat = self.world.writable_chat(p["chat_id"])
        for record in chat.messages.values():
            if record.pinned:
                record.pinned = False
                record.changed_seq = self.world.changed(chat.id)
        return True

    @handles("sendChatAction")
    def send_chat_action(self, p: JSON) -> bool:
        self.world.writable_chat(p["chat_id"])
        if p["action"] not in limits.CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    @handles("answerCallbackQuery")
    def answer_callback_query(self, p: JSON) -> bool:
        query = self.world.callback_queries.get(p["callback_query_id"])
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(p.get("text", "")) > limits.MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = p
        self.world.changed()
        return True

    # --- files ------------------------------------------------------------------------------

    @handles("getFile")
    def get_file(self, p: JSON) -> JSON:
        stored = self.world.files.get(p["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_json()

    # --- chats ------------------------------------------------------------------------------

    @handles("getChat")
    def get_chat(self, p: JSON) -> JSON:
        return self.world.resolve_chat(p["chat_id"]).full_info_json()

    @handles("getChatMember")
    def get_chat_member(self, p: JSON) -> JSON:
        chat = self.world.resolve_chat(p["chat_id"])
        user = self.world.users.get(p["user_id"])
        if user is None:
            raise bad_request("user not found")
        return self.world.member_json(chat, user)

    @handles("getChatAdministrators")
    def get_chat_administrators(self, p: JSON) -> list[JSON]:
        chat = self.world.resolve_chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            self.world.member_json(chat, self.world.users[user_id])
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if self.world.bot_is_admin(chat):
            admins.append(self.world.member_json(chat, self.world.bot))
        return admins

    @handles("getChatMemberCount")
    def get_chat_member_count(self, p: JSON) -> int:
        chat = self.world.resolve_chat(p["chat_id"])
        if chat.type == "private":
            return 2
        present = sum(1 for s in chat.members.values() if s not in ("left", "kicked"))
        return present + (chat.bot_status not in ("left", "kicked"))

    @handles("leaveChat")
    def leave_chat(self, p: JSON) -> bool:
        chat = self.world.resolve_chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        if chat.bot_status in ("left", "kicked"):
            raise ApiError(403, "Forbidden: bot is not a member of the group chat", rejected=False)
        old = chat.bot_status
        chat.bot_status = "left"
        self.world.my_chat_member(chat, self.world.bot, old, "left")
        return True

    # --- commands and descriptions -----------------------------------------------------------

    @handles("setMyCommands")
    def set_my_commands(self, p: JSON) -> bool:
        limits.check_commands(p["commands"])
        key = (self._scope_key(p.get("scope")), p.get("language_code", ""))
        commands = [
            {"command": c["command"], "description": c["description"]} for c in p["commands"]
        ]
        if commands:
            self.world.commands[key] = commands
        else:
            self.world.commands.pop(key, None)
        self.world.changed()
        return True

    @handles("getMyCommands")
    def get_my_commands(self, p: JSON) -> list[JSON]:
        key = (self._scope_key(p.get("scope")), p.get("language_code", ""))
        return list(self.world.commands.get(key, ()))

    @handles("deleteMyCommands")
    def delete_my_commands(self, p: JSON) -> bool:
        key = (self._scope_key(p.get("scope")), p.get("language_code", ""))
        self.world.commands.pop(key, None)
        self.world.changed()
        return True

    @handles("setMyDescription")
    def set_my_description(self, p: JSON) -> bool:
        _set_text(self.world.descriptions, p, "description", limits.MAX_DESCRIPTION)
        self.world.changed()
        return True

    @handles("getMyDescription")
    def get_my_description(self, p: JSON) -> JSON:
        return {"description": self.world.descriptions.get(p.get("language_code", ""), "")}

    @handles("setMyShortDescription")
    def set_my_short_description(self, p: JSON) -> bool:
        _set_text(
            self.world.short_descriptions, p, "short_description", limits.MAX_SHORT_DESCRIPTION
        )
        self.world.changed()
        return True

    @handles("getMyShortDescription")
    def get_my_short_description(self, p: JSON) -> JSON:
        language = p.get("language_code", "")
        return {"short_description": self.world.short_descriptions.get(language, "")}

    # --- helpers ----------------------------------------------------------------------------

    def _post(self, chat: ChatRecord, p: JSON, fields: JSON, **extra: Any) -> MessageRecord:
        reply_to = self._reply_target(chat, p.get("reply_parameters"))
        markup = p.get("reply_markup")
        if markup is not None:
            inline = _inline_markup(markup)
            if inline:
                fields["reply_markup"] = inline
            elif "keyboard" in markup:
                chat.reply_keyboard = [[b["text"] for b in row] for row in markup["keyboard"]]
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        return self.world.post(chat, self.world.bot, fields, reply_to=reply_to, **extra)

    def _reply_target(self, chat: ChatRecord, reply: JSON | None) -> MessageRecord | None:
        if reply is None:
            return None
        target_chat = chat
        if "chat_id" in reply:
            target_chat = self.world.resolve_chat(reply["chat_id"])
        record = target_chat.messages.get(reply["message_id"])
        if record is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return record

    def _editable(self, p: JSON) -> MessageRecord:
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the local server")
        if "chat_id" not in p:
            raise bad_request("chat_id is empty")
        if "message_id" not in p:
            raise bad_request("message identifier is not specified")
        chat = self.world.writable_chat(p["chat_id"])
        record = self.world.message_of(chat, p["message_id"], "edit")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        return record

    def _edit(
        self, record: MessageRecord, keys: tuple[str, ...], content: JSON, markup: JSON | None
    ) -> JSON:
        """Telegram drops an inline keyboard that an edit does not repeat."""
        old = record.message
        inline = _inline_markup(markup)
        unchanged = all(old.get(k) == content.get(k) for k in keys) and old.get("reply_markup") == (
            inline or None
        )
        if unchanged:
            raise bad_request(NOT_MODIFIED)
        message = {k: v for k, v in old.items() if k not in (*keys, "reply_markup", "edit_date")}
        message.update(content)
        if inline:
            message["reply_markup"] = inline
        message["edit_date"] = now()
        self.world.replace_message(record, message, edited=True)
        return message

    def _delete(self, chat: ChatRecord, message_id: int) -> None:
        record = self.world.message_of(chat, message_id, "delete")
        if chat.type != "private" and not record.from_bot and not self.world.bot_is_admin(chat):
            raise bad_request("message can't be deleted")
        del chat.messages[message_id]
        self.world.changed(chat.id)

    def _scope_key(self, scope: JSON | None) -> tuple[Any, ...]:
        if scope is None or scope["type"] == "default":
            return ("default",)
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            numeric = self.world.chat_id_of(scope["chat_id"])
            if numeric not in self.world.chats:
                raise bad_request("chat not found")
            if kind == "chat_member":
                return (kind, numeric, scope["user_id"])
            return (kind, numeric)
        return (kind,)


def _inline_markup(markup: JSON | None) -> JSON | None:
    if not markup or "inline_keyboard" not in markup:
        return None
    rows = [row for row in markup["inline_keyboard"] if row]
    return {"inline_keyboard": rows} if rows else None


def _caption_fields(caption: limits.FormattedText) -> JSON:
    fields: JSON = {}
    if caption.text:
        fields["caption"] = caption.text
        if caption.entities:
            fields["caption_entities"] = caption.entities
    return fields


def _set_text(store: dict[str, str], p: JSON, key: str, maximum: int) -> None:
    language = p.get("language_code", "")
    value = p.get(key, "")
    if len(value) > maximum:
        raise bad_request(f"{key.replace('_', ' ')} is too long")
    if value:
        store[language] = value
    else:
        store.pop(language, None)
