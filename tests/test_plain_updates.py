"""A text message or a button press of the usual shape is read from its JSON
(`common.plain_update`), without aiogram's or PTB's models: for every update so read, both
frameworks read it too and `to_incoming` gives the same Incoming from their objects; every
other update still goes through the framework (which reads it or refuses it)."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.seam import ButtonPress, Command, Incoming, Text
from bot.runtimes.common import plain_update, to_incoming
from bot.runtimes.polling import Receiver

os.environ.setdefault("PTB_TIMEDELTA", "true")  # as bot/runtimes/ptb_runtime.py sets it

BOT_ID = 4242
USERNAME = "buurbot_test_bot"
UNREADABLE = "unreadable"


def anna(**extra: Any) -> dict[str, Any]:
    return {"id": 7, "is_bot": False, "first_name": "Anna", **extra}


def the_bot() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Buurbot", "username": USERNAME}


def private_chat(chat_id: int = 7) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Anna", "username": "anna_nl", "type": "private"}


def group_chat() -> dict[str, Any]:
    return {"id": -1001234, "title": "Lindenstraat", "type": "supergroup"}


def text(body: str = "hoi", *, chat: dict | None = None, **extra: Any) -> dict[str, Any]:
    message = {
        "message_id": 11,
        "from": anna(language_code="nl"),
        "chat": chat or private_chat(),
        "date": 1_765_000_000,
        "text": body,
        **extra,
    }
    return {"update_id": 500, "message": message}


def command(body: str, **extra: Any) -> dict[str, Any]:
    entity = {"type": "bot_command", "offset": 0, "length": len(body.split()[0])}
    return text(body, entities=[entity], **extra)


def bot_message(**extra: Any) -> dict[str, Any]:
    return {
        "message_id": 12,
        "from": the_bot(),
        "chat": private_chat(),
        "date": 1_765_000_001,
        "text": "Hoe heet je?",
        "entities": [{"type": "bold", "offset": 0, "length": 3}],
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Noem me Anna", "callback_data": "1:name:anna"}],
                [{"text": "Meer", "url": "https://example.org/x"}],
            ]
        },
        **extra,
    }


def press(data: Any = "1:name:anna", **extra: Any) -> dict[str, Any]:
    query = {
        "id": "4382bfdwdsb323b2d9",
        "from": anna(is_premium=True),
        "message": bot_message(),
        "chat_instance": "-7382",
        "data": data,
        **extra,
    }
    return {"update_id": 501, "callback_query": query}


def without(update: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    target = changed
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return changed


def with_value(update: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


EVERY_USER_FIELD = {
    "last_name": "de Vries",
    "username": "anna",
    "language_code": "en",
    "is_premium": True,
    "added_to_attachment_menu": True,
}
PHOTO = [{"file_id": "f1", "file_unique_id": "u1", "width": 90, "height": 90}]

# What the hot path sees: read from the JSON.
PLAIN = {
    "private text": text("Lindenlaan 4"),
    "command": command("/start"),
    "command with arguments": command("/start join-abc"),
    "command for this bot": command("/Menu@buurbot_test_bot"),
    "command for another bot": command("/menu@another_bot", chat=group_chat()),
    "group text": text("ik doe mee", chat=group_chat()),
    "forum group": text("hoi", chat={**group_chat(), "is_forum": True}),
    "basic group": text("hoi", chat={"id": -5, "title": "Straat", "type": "group"}),
    "channel": text("nieuws", chat={"id": -100999, "title": "Kanaal", "type": "channel"}),
    "unknown chat type": text("hoi", chat={"id": -100998, "type": "sneaky"}),
    "a link and its preview": text(
        "zie https://example.org",
        entities=[{"type": "url", "offset": 4, "length": 19}],
        link_preview_options={"url": "https://example.org", "prefer_small_media": True},
    ),
    "pre with language": text(
        "x", entities=[{"type": "pre", "offset": 0, "length": 1, "language": "py"}]
    ),
    "every user field": text("hoi", **{"from": anna(**EVERY_USER_FIELD)}),
    "no sender": without(text("hoi"), "message", "from"),
    "sent by a bot": text("hoi", **{"from": {**anna(), "is_bot": True}}),
    "empty text": text(""),
    "text with NUL and a lone surrogate": text("a\x00b\ud800c"),
    "a long text": text("woord " * 800),
    "user id beyond Telegram's range": text("hoi", **{"from": anna(id=2**60)}),
    "chat id beyond Telegram's range": text("hoi", chat={"id": 2**60, "type": "private"}),
    "update id beyond range": {**text("hoi"), "update_id": 2**70},
    "date zero": text("hoi", date=0),
    "button press": press(),
    "button press on an edited message": press(message=bot_message(edit_date=1_765_000_100)),
    "button press without a message (inline)": without(
        press(inline_message_id="AAB"), "callback_query", "message"
    ),
    "button press on an old message": press(
        message={"message_id": 12, "chat": private_chat(), "date": 0}
    ),
    "button press on someone else's private message": press(
        message=bot_message(chat=private_chat(99))
    ),
    "button press in a group": press(message=bot_message(chat=group_chat())),
    "button press with empty data": press(""),
    "button press with a message without text": press(message=without(bot_message(), "text")),
    "button press with a link preview": press(
        message=bot_message(link_preview_options={"is_disabled": True})
    ),
}

# Anything else goes through the framework's model (which reads it, or refuses it).
NOT_PLAIN = {
    "edited message": {"update_id": 502, "edited_message": text("hoi")["message"]},
    "channel post": {"update_id": 503, "channel_post": text("hoi")["message"]},
    "photo with a caption": {
        "update_id": 504,
        "message": {
            **without(text(), "message", "text")["message"],
            "photo": PHOTO,
            "caption": "onze straat",
            "caption_entities": [{"type": "bold", "offset": 0, "length": 4}],
        },
    },
    "sticker": {
        "update_id": 505,
        "message": {**without(text(), "message", "text")["message"], "sticker": {"file_id": "s"}},
    },
    "forwarded": text(
        "hoi", forward_origin={"type": "hidden_user", "date": 1, "sender_user_name": "X"}
    ),
    "a reply": text("ja", reply_to_message=bot_message()),
    "text mention": text(
        "Anna", entities=[{"type": "text_mention", "offset": 0, "length": 4, "user": anna()}]
    ),
    "in a topic": text("hoi", message_thread_id=3, is_topic_message=True),
    "a field the table does not list": text("hoi", via_bot=the_bot()),
    "an unknown field": text("hoi", brand_new_field=1),
    "an unknown user field": text("hoi", **{"from": anna(has_wings=True)}),
    "poll answer": {
        "update_id": 506,
        "poll_answer": {"poll_id": "p", "user": anna(), "option_ids": [0]},
    },
    "my chat member": {
        "update_id": 507,
        "my_chat_member": {
            "chat": group_chat(),
            "from": anna(),
            "date": 1,
            "old_chat_member": {"status": "left", "user": the_bot()},
            "new_chat_member": {"status": "member", "user": the_bot()},
        },
    },
    "two kinds at once": {**text("hoi"), "callback_query": press()["callback_query"]},
    "no text nor anything": without(text(), "message", "text"),
    "message id as a string": with_value(text(), "11", "message", "message_id"),
    "message id as a float": with_value(press(), 12.0, "callback_query", "message", "message_id"),
    "user id as a string": with_value(text(), "7", "message", "from", "id"),
    "chat id as a bool": with_value(text(), True, "message", "chat", "id"),
    "update id as a string": {**text(), "update_id": "500"},
    "update id missing": without(text(), "update_id"),
    "text as a number": text(5),  # type: ignore[arg-type]
    "date as a string": text("hoi", date="1765000000"),
    "date in milliseconds": text("hoi", date=1_765_000_000_000),
    "negative date": text("hoi", date=-1),
    "date missing": without(text(), "message", "date"),
    "chat missing": without(text(), "message", "chat"),
    "chat type missing": without(text(), "message", "chat", "type"),
    "first name missing": without(text(), "message", "from", "first_name"),
    "is_bot missing": without(text(), "message", "from", "is_bot"),
    "language as a number": text("hoi", **{"from": anna(language_code=31)}),
    "entity without a length": text("x", entities=[{"type": "bold", "offset": 0}]),
    "entities not a list": text("x", entities={"type": "bold"}),
    "press without data (a game)": without(press(game_short_name="g"), "callback_query", "data"),
    "press data as a number": press(data=5),
    "press id as a number": with_value(press(), 17, "callback_query", "id"),
    "press without chat_instance": without(press(), "callback_query", "chat_instance"),
    "press without a sender": without(press(), "callback_query", "from"),
    "press on a web app button": press(
        message=bot_message(
            reply_markup={
                "inline_keyboard": [[{"text": "Open", "web_app": {"url": "https://e.nl"}}]]
            }
        )
    ),
    "press on a message with a photo": press(message={**bot_message(), "photo": PHOTO}),
    "press on a message in a channel-like chat without type": press(
        message=bot_message(chat={"id": -5})
    ),
    "not an object": {"update_id": 508, "message": ["hoi"]},
}


def through_aiogram(raw: dict[str, Any]) -> Incoming | str | None:
    from aiogram.types import Update

    try:
        update = Update.model_validate(copy.deepcopy(raw))
    except Exception:
        return UNREADABLE
    return to_incoming(update, bot_id=BOT_ID, bot_username=USERNAME)


def through_ptb(raw: dict[str, Any]) -> Incoming | str | None:
    import telegram

    try:
        update = telegram.Update.de_json(copy.deepcopy(raw), None)
    except Exception:
        return UNREADABLE
    return to_incoming(update, bot_id=BOT_ID, bot_username=USERNAME)


def assert_read_alike(raw: dict[str, Any]) -> Incoming | None:
    """A plain update: both frameworks read it, and to the same Incoming as its JSON."""
    from_json = to_incoming(copy.deepcopy(raw), bot_id=BOT_ID, bot_username=USERNAME)
    assert through_aiogram(raw) == from_json
    assert through_ptb(raw) == from_json
    return from_json


@pytest.mark.parametrize("name", list(PLAIN))
def test_the_usual_updates_are_read_from_their_json_as_both_frameworks_read_them(name: str) -> None:
    raw = PLAIN[name]
    assert plain_update(raw)
    assert_read_alike(raw)


@pytest.mark.parametrize("name", list(NOT_PLAIN))
def test_every_other_update_goes_through_the_framework(name: str) -> None:
    assert not plain_update(NOT_PLAIN[name])


def test_what_the_json_gives_for_the_hot_shapes() -> None:
    got = assert_read_alike(PLAIN["command for this bot"])
    assert got is not None and got.event == Command("menu", "")
    assert got.person.language_code == "nl" and got.update_id == 500
    assert assert_read_alike(PLAIN["command for another bot"]) is None
    assert assert_read_alike(PLAIN["channel"]) is None
    assert assert_read_alike(PLAIN["sent by a bot"]) is None
    assert assert_read_alike(PLAIN["user id beyond Telegram's range"]) is None
    got = assert_read_alike(PLAIN["text with NUL and a lone surrogate"])
    assert got is not None and got.event == Text("abc")
    got = assert_read_alike(PLAIN["button press"])
    assert got is not None and got.event == ButtonPress("1:name:anna", "4382bfdwdsb323b2d9", 12)
    got = assert_read_alike(PLAIN["button press on someone else's private message"])
    assert got is not None and got.event == ButtonPress("", "4382bfdwdsb323b2d9", None)
    got = assert_read_alike(PLAIN["button press without a message (inline)"])
    assert got is not None and got.chat.id == 7
    assert got.event == ButtonPress("1:name:anna", "4382bfdwdsb323b2d9", None)


# --- any change to a plain update: still plain only where the frameworks agree -----------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([0, -1, 2**31, 2**32, 2**53, 2**64, 1_765_000_000_000])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(["7", "12", "1765000000", "private", "group", "", "true"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_NAMES = st.sampled_from(
    [
        "id",
        "text",
        "date",
        "from",
        "chat",
        "type",
        "data",
        "message",
        "entities",
        "message_id",
        "first_name",
        "is_bot",
        "title",
        "url",
        "callback_data",
        "inline_keyboard",
        "reply_markup",
        "edit_date",
        "photo",
        "caption",
        "user",
        "offset",
    ]
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    places = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            places += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += _places(item, (*path, index))
    return places


@st.composite
def changed_updates(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(draw(st.sampled_from(list(PLAIN.values()))))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(raw)[1:]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["drop", "replace", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(_JSON)
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(_NAMES)] = draw(_JSON)
    return raw


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(changed_updates())
def test_a_changed_update_is_read_from_its_json_only_where_both_frameworks_agree(
    raw: dict[str, Any],
) -> None:
    if plain_update(raw):
        assert_read_alike(raw)


# --- the receiver takes the short way only for plain updates ----------------------------------


class _Core:
    def __init__(self) -> None:
        self.handled: list[Incoming | None] = []

    async def handle(self, incoming: Incoming | None) -> None:
        self.handled.append(incoming)


async def test_the_receiver_asks_the_framework_only_for_updates_that_are_not_plain() -> None:
    from bot.runtimes.common import BotIdentity

    parsed: list[int] = []

    def parse(raw: Any) -> Any:
        parsed.append(raw["update_id"])
        return raw

    core = _Core()
    receiver = Receiver(parse, core, BotIdentity(BOT_ID, USERNAME, "Buurbot"), "test")  # type: ignore[arg-type]
    await receiver.handle(1, {**PLAIN["command"], "update_id": 1})
    await receiver.handle(2, {**PLAIN["button press"], "update_id": 2})
    await receiver.handle(3, {**NOT_PLAIN["photo with a caption"], "update_id": 3})
    assert parsed == [3]
    assert [incoming.update_id for incoming in core.handled if incoming] == [1, 2, 3]
