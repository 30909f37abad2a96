"""The local Bot API server, exercised over real HTTP as the bot's libraries will use it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from local_bot_api import SECRET_HEADER, LocalBotApi

pytestmark = pytest.mark.e2e

Answer = tuple[int, dict[str, Any]]


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token="123456:TEST", username="buurbot_test_bot") as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def api(
    http: aiohttp.ClientSession,
    server: LocalBotApi,
    method: str,
    *,
    json_body: dict[str, Any] | None = None,
    form: dict[str, Any] | aiohttp.FormData | None = None,
    query: dict[str, str] | None = None,
    token: str | None = None,
) -> Answer:
    url = f"{server.base_url}/bot{token or server.token}/{method}"
    if query is not None:
        request = http.get(url, params=query)
    elif json_body is not None:
        request = http.post(url, json=json_body)
    else:
        request = http.post(url, data=form if form is not None else {})
    async with request as response:
        return response.status, await response.json(content_type=None)


def keyboard(*labels: str) -> str:
    rows = [[{"text": label, "callback_data": label.lower()}] for label in labels]
    return json.dumps({"inline_keyboard": rows})


# --- routing, authentication, spec validation --------------------------------------------------


async def test_get_me_over_get_and_post_with_any_method_case(server, http):
    status, body = await api(http, server, "getMe", query={})
    assert status == 200
    assert body["result"]["id"] == 123456
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "buurbot_test_bot"
    status, body = await api(http, server, "GETME", form={})
    assert status == 200 and body["ok"] is True
    assert [call.method for call in server.calls] == ["getMe", "getMe"]
    assert server.rejected == []


async def test_wrong_token_is_401_and_recorded(server, http):
    status, body = await api(http, server, "getMe", token="654321:WRONG")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert len(server.rejected) == 1


async def test_unknown_method_is_404_and_recorded(server, http):
    status, body = await api(http, server, "sendTelepathy", form={"chat_id": "1"})
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [c.method for c in server.rejected] == ["sendTelepathy"]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "hi"}, "Bad Request: chat_id is empty"),
        ({"chat_id": "{me}"}, "Bad Request: message text is empty"),
        ({"chat_id": "{me}", "text": "hi", "colour": "red"}, 'unknown parameter "colour"'),
        ({"chat_id": "{me}", "text": "hi", "disable_notification": "maybe"}, "Boolean"),
        ({"chat_id": "{me}", "text": "hi", "message_thread_id": "x1"}, "Integer"),
        ({"chat_id": "{me}", "text": "hi", "reply_markup": "not json"}, "can't parse reply_markup"),
        ({"chat_id": "99999", "text": "hi"}, "Bad Request: chat not found"),
    ],
)
async def test_invalid_calls_are_400_and_recorded(server, http, params, description):
    anna = server.person("Anna")
    form = {k: v.replace("{me}", str(anna.id)) for k, v in params.items()}
    status, body = await api(http, server, "sendMessage", form=form)
    assert status == 400
    assert body["error_code"] == 400
    assert description in body["description"]
    assert len(server.rejected) == 1
    assert anna.chat == []


async def test_inline_keyboard_is_validated_as_nested_types(server, http):
    anna = server.person("Anna")
    cases = {
        "BUTTON_DATA_INVALID": [[{"text": "A", "callback_data": "x" * 65}]],
        "Text buttons are unallowed": [[{"text": "A"}]],
        "exactly one of the optional fields": [
            [{"text": "A", "callback_data": "a", "url": "https://e.nl"}]
        ],
        'field "text" of InlineKeyboardButton is required': [[{"callback_data": "a"}]],
        "reply markup is too long": [
            [{"text": str(i), "callback_data": str(i)}] for i in range(101)
        ],
        "must be an Array": {"not": "rows"},
    }
    for expected, rows in cases.items():
        markup = {"inline_keyboard": rows}
        status, body = await api(
            http,
            server,
            "sendMessage",
            json_body={"chat_id": anna.id, "text": "t", "reply_markup": markup},
        )
        assert status == 400, expected
        assert expected in body["description"]
    assert len(server.rejected) == len(cases)
    ok_rows = [[{"text": "A", "callback_data": "é" * 32}]]  # 64 bytes of UTF-8
    status, _ = await api(
        http,
        server,
        "sendMessage",
        json_body={"chat_id": anna.id, "text": "t", "reply_markup": {"inline_keyboard": ok_rows}},
    )
    assert status == 200


async def test_the_spec_file_can_be_chosen_by_environment(tmp_path, monkeypatch, http):
    spec = {
        "version": "Bot API test",
        "methods": {"getMe": {"name": "getMe", "fields": []}},
        "types": {},
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    monkeypatch.setenv("BUURBOT_BOT_API_SPEC", str(path))
    async with LocalBotApi() as only_get_me:
        assert only_get_me.spec.version == "Bot API test"
        assert (await api(http, only_get_me, "getMe", form={}))[0] == 200
        assert (await api(http, only_get_me, "sendMessage", form={"chat_id": "1", "text": "x"}))[
            0
        ] == 404


async def test_a_method_the_server_does_not_implement_is_rejected(server, http):
    anna = server.person("Anna")
    status, body = await api(http, server, "sendDice", form={"chat_id": str(anna.id)})
    assert status == 400
    assert body["description"] == "Bad Request: method not supported by the local server"
    assert [c.method for c in server.rejected] == ["sendDice"]


# --- getUpdates ------------------------------------------------------------------------------


async def test_long_poll_returns_as_soon_as_an_update_arrives(server, http):
    anna = server.person("Anna")
    started = time.monotonic()
    poll = asyncio.create_task(api(http, server, "getUpdates", form={"timeout": "5"}))
    await server.wait_until(lambda: server.world.queue._poller is not None, what="the poll held")
    assert not poll.done()
    await anna.send("hallo")
    status, body = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 2
    assert status == 200
    [update] = body["result"]
    assert update["message"]["text"] == "hallo"
    assert update["message"]["from"]["first_name"] == "Anna"
    assert update["message"]["chat"] == {"id": anna.id, "type": "private", "first_name": "Anna"}


async def test_a_second_poller_terminates_the_first_with_409(server, http):
    first = asyncio.create_task(api(http, server, "getUpdates", form={"timeout": "5"}))
    await server.wait_until(lambda: server.world.queue._poller is not None, what="the poll held")
    second = await api(http, server, "getUpdates", form={"timeout": "0"})
    status, body = await asyncio.wait_for(first, 2)
    assert second[0] == 200
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )
    assert server.rejected == []


async def test_offset_confirms_and_negative_offset_forgets(server, http):
    anna = server.person("Anna")
    first = await anna.send("een")
    second = await anna.send("twee")
    assert second > first
    _, body = await api(http, server, "getUpdates", form={})
    assert [u["update_id"] for u in body["result"]] == [first, second]
    _, body = await api(http, server, "getUpdates", form={"offset": str(first + 1)})
    assert [u["update_id"] for u in body["result"]] == [second]
    _, body = await api(http, server, "getUpdates", form={"offset": str(second + 1)})
    assert body["result"] == []
    ids = [await anna.send(text) for text in ("a", "b", "c")]
    _, body = await api(http, server, "getUpdates", form={"offset": "-1"})
    assert [u["update_id"] for u in body["result"]] == [ids[-1]]
    _, body = await api(http, server, "getUpdates", form={"limit": "5"})
    assert [u["update_id"] for u in body["result"]] == [ids[-1]]


async def test_redelivered_update_keeps_its_id(server, http):
    anna = server.person("Anna")
    update_id = await anna.send("hallo")
    _, body = await api(http, server, "getUpdates", form={})
    await api(http, server, "getUpdates", form={"offset": str(update_id + 1)})
    server.redeliver(update_id)
    _, again = await api(http, server, "getUpdates", form={"offset": str(update_id + 1)})
    assert again["result"] == body["result"]


async def test_chat_member_updates_only_when_allowed_and_bot_is_admin(server, http):
    anna, bob, cees = server.person("Anna"), server.person("Bob"), server.person("Cees")
    street = server.group("Lindenstraat")
    await street.add_bot(by=anna)
    await street.join(bob)  # bot is no admin: no chat_member
    _, body = await api(
        http, server, "getUpdates", form={"allowed_updates": '["my_chat_member","chat_member"]'}
    )
    # the bot is no admin: Bob's join makes no chat_member; messages are not asked for
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["my_chat_member"]
    added = body["result"][0]["my_chat_member"]
    assert added["from"]["id"] == anna.id
    assert added["old_chat_member"]["status"] == "left"
    assert added["new_chat_member"]["status"] == "member"
    await street.make_bot_admin(by=anna)
    await street.join(cees)
    offset = body["result"][-1]["update_id"] + 1
    _, body = await api(http, server, "getUpdates", form={"offset": str(offset)})
    kinds = [next(k for k in u if k != "update_id") for u in body["result"]]
    assert kinds == ["my_chat_member", "chat_member"]
    assert body["result"][1]["chat_member"]["new_chat_member"]["user"]["id"] == cees.id
    # the default set (allowed_updates=[]) leaves chat_member out again
    await street.leave(cees)
    offset = body["result"][-1]["update_id"] + 1
    _, body = await api(
        http, server, "getUpdates", form={"offset": str(offset), "allowed_updates": "[]"}
    )
    assert [u["message"]["left_chat_member"]["id"] for u in body["result"]] == [cees.id]


# --- messages, buttons, edits ----------------------------------------------------------------


async def test_message_with_inline_keyboard_is_what_the_person_sees(server, http):
    anna = server.person("Anna")
    status, body = await api(
        http,
        server,
        "sendMessage",
        form={
            "chat_id": str(anna.id),
            "text": "Doe je mee?",
            "reply_markup": keyboard("Ja", "Nee"),
        },
    )
    assert status == 200
    message = body["result"]
    assert message["from"]["username"] == "buurbot_test_bot"
    assert message["reply_markup"]["inline_keyboard"][0][0] == {"text": "Ja", "callback_data": "ja"}
    assert anna.last.text == "Doe je mee?"
    assert anna.last.buttons == [[("Ja", "ja")], [("Nee", "nee")]]
    assert anna.last.message_id == message["message_id"]

    query_id = await anna.press("Nee")
    _, updates = await api(http, server, "getUpdates", form={})
    query = updates["result"][-1]["callback_query"]
    assert query["id"] == query_id and query["data"] == "nee"
    assert query["message"]["message_id"] == message["message_id"]
    assert not server.callback_query(query_id).answered
    status, _ = await api(
        http, server, "answerCallbackQuery", form={"callback_query_id": query_id, "text": "Jammer"}
    )
    assert status == 200
    assert server.callback_query(query_id).answer["text"] == "Jammer"
    status, body = await api(
        http, server, "answerCallbackQuery", form={"callback_query_id": query_id}
    )
    assert status == 400
    assert body["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_edits_and_deletes_show_in_the_transcript(server, http):
    anna = server.person("Anna")
    _, body = await api(
        http,
        server,
        "sendMessage",
        json_body={
            "chat_id": anna.id,
            "text": "Stap 1",
            "reply_markup": json.loads(keyboard("Verder")),
        },
    )
    message_id = body["result"]["message_id"]
    status, body = await api(
        http,
        server,
        "editMessageText",
        json_body={
            "chat_id": anna.id,
            "message_id": message_id,
            "text": "Stap 2",
            "reply_markup": json.loads(keyboard("Klaar")),
        },
    )
    assert status == 200
    assert body["result"]["text"] == "Stap 2" and "edit_date" in body["result"]
    assert anna.last.text == "Stap 2" and anna.last.edited
    assert anna.last.labels == ["Klaar"]

    status, body = await api(
        http,
        server,
        "editMessageText",
        json_body={
            "chat_id": anna.id,
            "message_id": message_id,
            "text": "Stap 2",
            "reply_markup": json.loads(keyboard("Klaar")),
        },
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified:")

    # an edit that does not repeat the keyboard removes it, as on Telegram
    status, _ = await api(
        http,
        server,
        "editMessageText",
        json_body={"chat_id": anna.id, "message_id": message_id, "text": "Stap 2"},
    )
    assert status == 200 and anna.last.buttons == []
    status, body = await api(
        http,
        server,
        "editMessageReplyMarkup",
        json_body={"chat_id": anna.id, "message_id": message_id},
    )
    assert status == 400 and "message is not modified" in body["description"]
    status, body = await api(
        http,
        server,
        "editMessageText",
        json_body={"chat_id": anna.id, "message_id": 999, "text": "x"},
    )
    assert body["description"] == "Bad Request: message to edit not found"

    status, _ = await api(
        http, server, "deleteMessage", form={"chat_id": str(anna.id), "message_id": str(message_id)}
    )
    assert status == 200
    assert anna.chat == []
    assert len(server.rejected) == 3


async def test_html_text_is_counted_after_parsing(server, http):
    anna = server.person("Anna")
    text = "<b>" + "a" * 4090 + "</b>" + "&amp;" * 6  # 4096 characters once parsed
    status, body = await api(
        http,
        server,
        "sendMessage",
        form={"chat_id": str(anna.id), "text": text, "parse_mode": "HTML"},
    )
    assert status == 200
    assert len(body["result"]["text"]) == 4096
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4090}]
    status, body = await api(
        http,
        server,
        "sendMessage",
        form={"chat_id": str(anna.id), "text": text + "!", "parse_mode": "HTML"},
    )
    assert status == 400
    assert body["description"] == "Bad Request: message is too long"
    status, _ = await api(
        http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "a" * 4097}
    )
    assert status == 400


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("Tom & Jerry", "Character '&' at byte offset 4"),
        ("<b>vet", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("1 < 2", 'Unsupported start tag ""'),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
    ],
)
async def test_malformed_html_is_refused_like_telegram(server, http, html, detail):
    anna = server.person("Anna")
    status, body = await api(
        http,
        server,
        "sendMessage",
        form={"chat_id": str(anna.id), "text": html, "parse_mode": "HTML"},
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert detail in body["description"]
    assert len(server.rejected) == 1


async def test_well_formed_html_becomes_entities(server, http):
    anna = server.person("Anna")
    html = (
        '<b>Vet</b> <a href="https://buurkracht.nl">link</a> <span class="tg-spoiler">s</span> '
        '<pre><code class="language-python">x = 1</code></pre> &lt;&#39;&#x41;&gt; 😀<i>i</i>'
    )
    status, body = await api(
        http,
        server,
        "sendMessage",
        form={"chat_id": str(anna.id), "text": html, "parse_mode": "HTML"},
    )
    assert status == 200
    result = body["result"]
    assert result["text"] == "Vet link s x = 1 <'A> 😀i"
    assert {
        "type": "text_link",
        "offset": 4,
        "length": 4,
        "url": "https://buurkracht.nl",
    } in result["entities"]
    assert {"type": "pre", "offset": 11, "length": 5, "language": "python"} in result["entities"]
    # offsets are UTF-16 code units: the emoji counts twice
    assert {"type": "italic", "offset": 24, "length": 1} in result["entities"]


@pytest.mark.parametrize(
    ("method", "params", "detail"),
    [
        ("sendPoll", {"question": "Q", "options": '["alleen"]'}, "at least 2 option"),
        (
            "sendPoll",
            {"question": "Q", "options": json.dumps([str(i) for i in range(13)])},
            "more than 12",
        ),
        ("sendPoll", {"question": "Q" * 301, "options": '["a","b"]'}, "question length"),
        ("sendPoll", {"question": "Q", "options": json.dumps(["a", "b" * 101])}, "options length"),
        (
            "sendPoll",
            {"question": "Q", "options": '["a","b"]', "open_period": "601"},
            "open_period",
        ),
        (
            "sendDocument",
            {"document": "https://e.nl/a.pdf", "caption": "c" * 1025},
            "caption is too long",
        ),
        ("sendChatAction", {"action": "dancing"}, "wrong parameter action"),
    ],
)
async def test_telegram_limits(server, http, method, params, detail):
    anna = server.person("Anna")
    status, body = await api(http, server, method, form={"chat_id": str(anna.id), **params})
    assert status == 400
    assert detail in body["description"]
    assert anna.chat == []


async def test_bot_settings_limits_and_storage(server, http):
    commands = [
        {"command": "start", "description": "Begin"},
        {"command": "taal", "description": "Taal"},
    ]
    scope = {"type": "all_private_chats"}
    status, _ = await api(
        http,
        server,
        "setMyCommands",
        json_body={"commands": commands, "scope": scope, "language_code": "nl"},
    )
    assert status == 200
    _, body = await api(
        http, server, "getMyCommands", json_body={"scope": scope, "language_code": "nl"}
    )
    assert body["result"] == commands
    _, body = await api(http, server, "getMyCommands", json_body={})
    assert body["result"] == []
    assert server.person("Anna", language_code="nl").visible_commands() == [
        ("start", "Begin"),
        ("taal", "Taal"),
    ]
    assert server.person("Ben", language_code="en").visible_commands() == []
    for bad in (
        {"command": "Start", "description": "x"},
        {"command": "a" * 33, "description": "x"},
        {"command": "ok", "description": ""},
    ):
        status, _ = await api(http, server, "setMyCommands", json_body={"commands": [bad]})
        assert status == 400
    too_many = [{"command": f"c{i}", "description": "x"} for i in range(101)]
    status, body = await api(http, server, "setMyCommands", json_body={"commands": too_many})
    assert body["description"] == "Bad Request: BOT_COMMANDS_TOO_MUCH"

    status, _ = await api(
        http, server, "setMyDescription", form={"description": "d" * 512, "language_code": "nl"}
    )
    assert status == 200 and server.description("nl") == "d" * 512 and server.description() == ""
    status, _ = await api(http, server, "setMyDescription", form={"description": "d" * 513})
    assert status == 400
    status, _ = await api(
        http, server, "setMyShortDescription", form={"short_description": "k" * 121}
    )
    assert status == 400
    status, _ = await api(http, server, "setMyShortDescription", form={"short_description": "kort"})
    _, body = await api(http, server, "getMyShortDescription", form={})
    assert body["result"] == {"short_description": "kort"}
    assert len(server.rejected) == 6


# --- world events: blocking, groups, migration -------------------------------------------------


async def test_blocked_person_gives_403_until_unblocked(server, http):
    anna = server.person("Anna")
    await anna.block_bot()
    [update] = server.pending_updates
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert update["my_chat_member"]["from"]["id"] == anna.id
    status, body = await api(
        http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "hoi"}
    )
    assert status == 403
    assert body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert server.rejected == []  # a world event, not a bad call
    await anna.unblock_bot()
    status, _ = await api(
        http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "hoi"}
    )
    assert status == 200
    assert [m.text for m in anna.chat] == ["hoi"]


async def test_a_person_who_never_started_the_bot_cannot_be_written_to(server, http):
    stranger = server.person("Dirk", started=False)
    status, body = await api(
        http, server, "sendMessage", form={"chat_id": str(stranger.id), "text": "hoi"}
    )
    assert status == 403
    assert body["description"] == "Forbidden: bot can't initiate conversation with a user"
    await stranger.command("start", "invite_abc")
    [update] = server.pending_updates
    assert update["message"]["text"] == "/start invite_abc"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    status, _ = await api(
        http, server, "sendMessage", form={"chat_id": str(stranger.id), "text": "hoi"}
    )
    assert status == 200


async def test_query_string_parameters_and_pinning(server, http):
    anna = server.person("Anna")
    status, body = await api(
        http,
        server,
        "sendMessage",
        query={"chat_id": str(anna.id), "text": "Het plan", "reply_markup": keyboard("Open")},
    )
    assert status == 200 and anna.last.labels == ["Open"]
    message_id = str(body["result"]["message_id"])
    status, _ = await api(
        http, server, "pinChatMessage", query={"chat_id": str(anna.id), "message_id": message_id}
    )
    assert status == 200 and anna.last.pinned
    _, chat = await api(http, server, "getChat", query={"chat_id": str(anna.id)})
    assert chat["result"]["pinned_message"]["text"] == "Het plan"
    status, _ = await api(http, server, "unpinChatMessage", query={"chat_id": str(anna.id)})
    assert status == 200 and not anna.last.pinned


async def test_group_privacy_mode_and_commands(server, http):
    anna = server.person("Anna")
    street = server.group("Lindenstraat")
    status, body = await api(
        http, server, "sendMessage", form={"chat_id": str(street.id), "text": "x"}
    )
    assert body["description"] == "Bad Request: chat not found"
    await street.add_bot(by=anna)
    assert await street.send(anna, "gewoon praten") is None  # privacy mode: the bot can't see it
    update_id = await street.command(anna, "actie", "snoeien", mention=True)
    update = next(u for u in server.pending_updates if u["update_id"] == update_id)
    assert update["message"]["text"] == "/actie@buurbot_test_bot snoeien"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 23}]
    status, _ = await api(
        http, server, "sendMessage", form={"chat_id": str(street.id), "text": "Welkom!"}
    )
    assert status == 200
    assert [m.text for m in street.chat] == [
        None,
        "gewoon praten",
        "/actie@buurbot_test_bot snoeien",
        "Welkom!",
    ]
    assert street.chat[0].service == "new_chat_members"
    await street.remove_bot(by=anna)
    status, body = await api(
        http, server, "sendMessage", form={"chat_id": str(street.id), "text": "x"}
    )
    assert status == 403
    assert body["description"] == "Forbidden: bot is not a member of the group chat"


async def test_migrated_group_answers_with_the_new_chat_id(server, http):
    anna = server.person("Anna")
    street = server.group("Lindenstraat", type="group")
    await street.add_bot(by=anna)
    old_id = street.id
    new_id = await street.migrate_to_supergroup(by=anna)
    assert new_id == street.id != old_id
    assert str(new_id).startswith("-100")
    updates = [u["message"] for u in server.pending_updates if "message" in u]
    assert updates[-2]["migrate_to_chat_id"] == new_id and updates[-2]["chat"]["id"] == old_id
    assert (
        updates[-1]["migrate_from_chat_id"] == old_id
        and updates[-1]["chat"]["type"] == "supergroup"
    )
    status, body = await api(
        http, server, "sendMessage", form={"chat_id": str(old_id), "text": "x"}
    )
    assert status == 400
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert body["parameters"] == {"migrate_to_chat_id": new_id}
    status, _ = await api(http, server, "sendMessage", form={"chat_id": str(new_id), "text": "x"})
    assert status == 200
    assert street.last.text == "x"


async def test_polls_show_votes_and_send_answers(server, http):
    anna, bob = server.person("Anna"), server.person("Bob")
    street = server.group("Lindenstraat")
    await street.add_bot(by=anna)
    await street.join(bob)
    status, body = await api(
        http,
        server,
        "sendPoll",
        form={
            "chat_id": str(street.id),
            "question": "Wanneer?",
            "options": '["za","zo"]',
            "is_anonymous": "false",
        },
    )
    assert status == 200
    poll_message = street.last
    assert poll_message.poll.options == ("za", "zo")
    update_id = await bob.answer_poll(poll_message, [1])
    answer = next(u for u in server.pending_updates if u["update_id"] == update_id)["poll_answer"]
    assert answer["option_ids"] == [1] and answer["user"]["id"] == bob.id
    assert street.last.poll.votes == (0, 1)
    status, body = await api(
        http,
        server,
        "stopPoll",
        form={"chat_id": str(street.id), "message_id": str(poll_message.message_id)},
    )
    assert body["result"]["is_closed"] is True
    with pytest.raises(AssertionError, match="closed"):
        await anna.answer_poll(poll_message, [0])


# --- files ----------------------------------------------------------------------------------


async def test_multipart_document_is_readable_by_person_and_via_get_file(server, http):
    anna = server.person("Anna")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(anna.id))
    form.add_field("caption", "Jouw gegevens")
    form.add_field(
        "document",
        b'{"naam": "Anna"}',
        filename="mijngegevens.json",
        content_type="application/json",
    )
    status, body = await api(http, server, "sendDocument", form=form)
    assert status == 200
    document = body["result"]["document"]
    assert document["file_name"] == "mijngegevens.json" and document["file_size"] == 16
    assert anna.last.document == b'{"naam": "Anna"}'
    assert anna.last.filename == "mijngegevens.json"
    assert anna.last.text == "Jouw gegevens"

    _, body = await api(http, server, "getFile", form={"file_id": document["file_id"]})
    path = body["result"]["file_path"]
    async with http.get(f"{server.base_url}/file/bot{server.token}/{path}") as response:
        assert response.status == 200
        assert await response.read() == b'{"naam": "Anna"}'
    async with http.get(f"{server.base_url}/file/bot654321:WRONG/{path}") as response:
        assert response.status == 401


# --- faults and limits ----------------------------------------------------------------------


async def test_injected_429_carries_retry_after(server, http):
    anna = server.person("Anna")
    server.faults.arm("429", method="sendMessage", retry_after=3)
    status, body = await api(
        http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "x"}
    )
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert anna.chat == []
    status, _ = await api(http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "x"})
    assert status == 200
    assert [c.fault for c in server.calls_to("sendMessage")] == ["429", None]
    assert server.rejected == []


async def test_faults_can_target_a_chat_and_fire_a_number_of_times_or_at_a_rate(server, http):
    anna, bob = server.person("Anna"), server.person("Bob")
    server.faults.arm("500", chat_id=anna.id, times=2)
    statuses = []
    for person in (anna, bob, anna, anna):
        status, _ = await api(
            http, server, "sendMessage", form={"chat_id": str(person.id), "text": "x"}
        )
        statuses.append(status)
    assert statuses == [500, 200, 500, 200]
    server.faults.clear()
    server.faults.arm("403", method="sendmessage", times=None, rate=0.5)
    outcomes = [
        (await api(http, server, "sendMessage", form={"chat_id": str(bob.id), "text": "x"}))[0]
        for _ in range(40)
    ]
    assert 5 < outcomes.count(403) < 35 and outcomes.count(200) == 40 - outcomes.count(403)
    assert server.rejected == []


async def test_timeout_fault_can_lose_the_answer_of_a_call_that_took_effect(server, http):
    anna = server.person("Anna")
    server.faults.arm("timeout", method="sendMessage", delay=0.2, applied=True)
    started = time.monotonic()
    status, _ = await api(
        http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "dubbel?"}
    )
    assert status == 504
    assert time.monotonic() - started >= 0.2
    assert [m.text for m in anna.chat] == ["dubbel?"]


async def test_502_is_nginx_html(server, http):
    server.faults.arm("502", method="getMe")
    async with http.get(server.url("getMe")) as response:
        assert response.status == 502
        assert "502 Bad Gateway" in await response.text()


async def test_enforced_limits_answer_429_on_the_server_clock():
    clock = FakeClock()
    async with LocalBotApi(clock=clock) as server, aiohttp.ClientSession() as http:
        server.enforce_limits(
            per_chat_per_s=1, overall_per_s=2, per_group_per_min=20, per_chat_burst=1
        )
        anna, bob, cees = server.person("Anna"), server.person("Bob"), server.person("Cees")
        assert (
            await api(http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "1"})
        )[0] == 200
        status, body = await api(
            http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "2"}
        )
        assert status == 429 and body["parameters"] == {"retry_after": 1}
        assert (await api(http, server, "sendMessage", form={"chat_id": str(bob.id), "text": "1"}))[
            0
        ] == 200
        status, _ = await api(
            http, server, "sendMessage", form={"chat_id": str(cees.id), "text": "1"}
        )
        assert status == 429  # overall: two per second
        clock.now += 1.0
        assert (
            await api(http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "2"})
        )[0] == 200
        assert [m.text for m in anna.chat] == ["1", "2"]
        assert server.rejected == []


# --- webhook --------------------------------------------------------------------------------


async def test_webhook_push_with_secret_retries_and_wrong_secret():
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != "s3cret":
            return web.Response(status=403)
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        update = await request.json()
        received.append((request.headers.get(SECRET_HEADER), update))
        # a webhook may answer with a method call, which Telegram then executes
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "Hoi!"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with (
            LocalBotApi(webhook_retry_delays=(0.01, 0.01)) as server,
            aiohttp.ClientSession() as http,
        ):
            anna = server.person("Anna")
            status, _ = await api(
                http, server, "setWebhook", form={"url": url, "secret_token": "s3cret"}
            )
            assert status == 200
            status, body = await api(http, server, "getUpdates", form={})
            assert status == 409
            assert body["description"].startswith(
                "Conflict: can't use getUpdates method while webhook is active"
            )
            update_id = await anna.send("hallo")
            await server.wait_until(lambda: received, 2)
            assert received == [("s3cret", next(iter([server.world.queue.history[update_id]])))]
            assert [(a.status, a.attempt) for a in server.webhook_attempts] == [(500, 1), (200, 2)]
            reply = await anna.wait_for_message(containing="Hoi!")
            assert server.calls_to("sendMessage")[0].source == "webhook-reply"
            assert reply.from_bot

            wrong = await server.post_to_webhook(
                anna.message_update("sneaky"), secret_token="wrong"
            )
            assert wrong.status == 403 and not wrong.ok
            assert len(received) == 1

            _, body = await api(http, server, "getWebhookInfo", form={})
            assert body["result"]["url"] == url and body["result"]["pending_update_count"] == 0
            await api(http, server, "deleteWebhook", form={})
            await anna.send("weer polling")
            _, body = await api(http, server, "getUpdates", form={})
            assert [u["message"]["text"] for u in body["result"]] == ["weer polling"]
            assert server.rejected == []
    finally:
        await runner.cleanup()


async def test_webhook_to_another_host_is_refused(server, http):
    status, body = await api(http, server, "setWebhook", form={"url": "https://example.org/hook"})
    assert status == 400 and "only delivers to 127.0.0.1" in body["description"]


# --- waiting --------------------------------------------------------------------------------


async def test_wait_until_explains_a_timeout(server, http):
    anna = server.person("Anna")
    await api(http, server, "sendMessage", form={"chat_id": str(anna.id), "text": "eerste"})
    await anna.send("vraag")
    with pytest.raises(AssertionError, match=r"timed out after 0\.1s") as failure:
        await anna.wait_for_message(timeout=0.1)
    report = str(failure.value)
    assert "waited for 1 bot message(s)" in report
    assert "sendMessage chat=" in report and "pending updates: 1" in report


async def test_wait_for_message_sees_answers_after_the_persons_action(server, http):
    anna = server.person("Anna")
    await anna.send("hoi")

    async def bot_answers_later() -> None:
        await asyncio.sleep(0.05)
        await api(
            http,
            server,
            "sendMessage",
            form={"chat_id": str(anna.id), "text": "Welkom bij Buurbot"},
        )

    task = asyncio.create_task(bot_answers_later())
    message = await anna.wait_for_message(containing="Welkom")
    await task
    assert message.text == "Welkom bij Buurbot" and message.from_bot


# --- the real libraries parse what the server answers -----------------------------------------


async def test_shapes_match_the_spec(server, http):
    anna, bob = server.person("Anna"), server.person("Bob")
    street = server.group("Lindenstraat", type="supergroup")
    await street.add_bot(by=anna, as_admin=True)
    await street.join(bob)
    street.set_admin(bob)
    await api(
        http,
        server,
        "sendMessage",
        form={
            "chat_id": str(anna.id),
            "text": "<b>x</b>",
            "parse_mode": "HTML",
            "reply_markup": keyboard("A"),
        },
    )
    await api(
        http,
        server,
        "sendPoll",
        form={
            "chat_id": str(street.id),
            "question": "Q",
            "options": '["a","b"]',
            "is_anonymous": "false",
        },
    )
    await bob.answer_poll(street.last, 0)
    await anna.press("A")
    _, updates = await api(http, server, "getUpdates", form={"allowed_updates": "[]"})
    newer_than_spec = frozenset({"can_send_welcome_messages"})  # Bot API 10.3, aiogram needs it
    for update in updates["result"]:
        server.spec.validate_object("Update", update, ignore=newer_than_spec)
    for call in server.calls:
        if call.ok and call.method in ("sendMessage", "sendPoll"):
            server.spec.validate_object("Message", call.result)
    _, member = await api(
        http, server, "getChatMember", form={"chat_id": str(street.id), "user_id": str(bob.id)}
    )
    server.spec.validate_object("ChatMember", member["result"], ignore=newer_than_spec)
    _, chat = await api(http, server, "getChat", form={"chat_id": str(street.id)})
    server.spec.validate_object("ChatFullInfo", chat["result"])
    with pytest.raises(AssertionError, match="is required"):
        server.spec.validate_object("Message", {"message_id": 1, "date": 0})


async def test_aiogram_bot_parses_the_answers(server):
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
    from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

    anna = server.person("Anna")
    bot = Bot(
        server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    )
    try:
        me = await bot.get_me()
        assert me.username == "buurbot_test_bot"
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ja", callback_data="v1:ja")]]
        )
        sent = await bot.send_message(anna.id, "<i>Hoi</i>", parse_mode="HTML", reply_markup=markup)
        assert sent.text == "Hoi" and sent.chat.id == anna.id and sent.from_user.is_bot
        assert anna.last.buttons == [[("Ja", "v1:ja")]]
        poll = await bot.send_poll(anna.id, "Wanneer?", ["za", "zo"], is_anonymous=False)
        assert [o.text for o in poll.poll.options] == ["za", "zo"]
        document = await bot.send_document(anna.id, BufferedInputFile(b"PDF", "plan.pdf"))
        assert anna.last.document == b"PDF" and document.document.file_name == "plan.pdf"
        await anna.send("hallo")
        await anna.press("Ja")
        updates = await bot.get_updates(timeout=0)
        assert updates[0].message.text == "hallo"
        assert updates[1].callback_query.data == "v1:ja"
        server.faults.arm("429", method="sendMessage", retry_after=2)
        with pytest.raises(TelegramRetryAfter, match="Too Many Requests: retry after 2") as flood:
            await bot.send_message(anna.id, "x")
        assert flood.value.retry_after == 2
        await anna.block_bot()
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(anna.id, "x")
    finally:
        await bot.session.close()
    assert server.rejected == []
    # aiogram posts urlencoded forms, and multipart with attach:// only when there is a file
    assert server.calls_to("sendMessage")[0].content_type == "application/x-www-form-urlencoded"
    assert server.calls_to("sendDocument")[0].content_type == "multipart/form-data"


async def test_ptb_bot_parses_the_answers(server):
    import telegram
    from telegram.error import BadRequest, ChatMigrated

    anna = server.person("Anna")
    street = server.group("Lindenstraat")
    await street.add_bot(by=anna)
    bot = telegram.Bot(server.token, base_url=server.api_base, base_file_url=server.file_base)
    async with bot:
        assert bot.username == "buurbot_test_bot"
        markup = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Ja", callback_data="v1:ja")]]
        )
        sent = await bot.send_message(anna.id, "Hoi", reply_markup=markup)
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == "v1:ja"
        document = await bot.send_document(anna.id, b"CSV", filename="leden.csv")
        file = await document.document.get_file()
        assert bytes(await file.download_as_bytearray()) == b"CSV"
        await anna.send("hallo")
        *_, update = await bot.get_updates(timeout=0)
        assert update.message.text == "hallo" and update.effective_user.first_name == "Anna"
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(anna.id, sent.message_id, reply_markup=markup)
        old_id = street.id
        await street.migrate_to_supergroup(by=anna)
        with pytest.raises(ChatMigrated, match="migrated to supergroup") as moved:
            await bot.send_message(old_id, "x")
        assert moved.value.new_chat_id == street.id
    # PTB posts urlencoded forms (multipart with the file under its own name for uploads)
    assert server.calls_to("sendMessage")[0].content_type == "application/x-www-form-urlencoded"
    assert [c.description for c in server.rejected] == [
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    ]
