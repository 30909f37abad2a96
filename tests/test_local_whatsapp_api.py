"""The local WhatsApp Cloud API server, exercised over real HTTP as the bot's runtime uses it.

A small receiver stands in for the bot's webhook: it checks X-Hub-Signature-256 itself (the
HMAC a real receiver recomputes, not the server's helper) and answers the verification GET.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from local_whatsapp_api import LocalWhatsAppApi, TemplateCategory, TemplateStatus

pytestmark = pytest.mark.e2e

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
Answer = tuple[int, Any]


class Receiver:
    """The bot's side of the webhook, reduced to what a test needs to see."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.refused: list[bytes] = []
        self.fail_next = 0  # answer 500 to so many POSTs first
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_get("/whatsapp/webhook", self._verify)
        app.router.add_post("/whatsapp/webhook", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/whatsapp/webhook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _verify(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == VERIFY_TOKEN:
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="wrong verify token")

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(given, expected):
            self.refused.append(body)
            return web.Response(status=401)
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=500)
        self.bodies.append(body)
        return web.Response(text="ok")

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(b) for b in self.bodies]

    def values(self, key: str) -> list[dict[str, Any]]:
        """Each messages[] / statuses[] entry received, in order."""
        found = []
        for event in self.events:
            for entry in event["entry"]:
                for change in entry["changes"]:
                    found.extend(change["value"].get(key, ()))
        return found

    def statuses(self, wamid: str) -> list[str]:
        return [s["status"] for s in self.values("statuses") if s["id"] == wamid]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    running = await Receiver().start()
    yield running
    await running.stop()


@pytest.fixture
async def server(receiver: Receiver) -> AsyncIterator[LocalWhatsAppApi]:
    async with LocalWhatsAppApi(token="T0KEN", app_secret=APP_SECRET) as running:
        verification = await running.subscribe(receiver.url, VERIFY_TOKEN)
        assert verification.ok
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def send(
    http: aiohttp.ClientSession,
    server: LocalWhatsAppApi,
    payload: Any,
    *,
    token: str | None = None,
    path: str | None = None,
) -> Answer:
    url = server.base_url + (path or f"/v23.0/{server.phone_number_id}/messages")
    headers = {"Authorization": f"Bearer {token or server.token}"}
    async with http.post(url, json=payload, headers=headers) as response:
        return response.status, await response.json(content_type=None)


def text_to(person: Any, body: str = "Hallo!") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": person.wa_id,
        "type": "text",
        "text": {"body": body},
    }


def buttons_to(person: Any, *titles: str, body: str = "Kom je?") -> dict[str, Any]:
    buttons = [
        {"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)
    ]
    return {
        "messaging_product": "whatsapp",
        "to": person.wa_id,
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
    }


def list_to(person: Any, sections: list[dict[str, Any]], button: str = "Kies") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": person.wa_id,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Welke dag?"},
            "action": {"button": button, "sections": sections},
        },
    }


def template_to(person: Any, name: str, *params: str, language: str = "nl") -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if params:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {
        "messaging_product": "whatsapp",
        "to": person.wa_id,
        "type": "template",
        "template": template,
    }


def rows(count: int, prefix: str = "Dag") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i}", "title": f"{prefix} {i}"} for i in range(count)]


# --- sending, the answer, statuses --------------------------------------------------------------


async def test_a_text_in_the_window_is_delivered_with_signed_status_webhooks(
    server, http, receiver
):
    anna = server.person("Anna", wa_id="31612345678")
    await anna.send("hoi")
    status, body = await send(http, server, text_to(anna) | {"to": "+31 6 12345678"})
    assert status == 200
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+31 6 12345678", "wa_id": "31612345678"}]
    wamid = body["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    assert anna.last.text == "Hallo!" and anna.last.wamid == wamid
    await server.webhooks_idle()
    assert receiver.statuses(wamid) == ["sent", "delivered"]
    [sent, _] = [s for s in receiver.values("statuses") if s["id"] == wamid]
    assert sent["recipient_id"] == "31612345678"
    assert sent["pricing"]["category"] == "service"
    assert await anna.read() == 1
    await server.webhooks_idle()
    assert receiver.statuses(wamid) == ["sent", "delivered", "read"]
    assert receiver.refused == []
    [call] = server.calls_to(anna)
    assert call.ok and call.type == "text" and call.wamid == wamid


async def test_wrong_or_missing_token_is_401_with_code_190(server, http):
    anna = server.person("Anna")
    status, body = await send(http, server, text_to(anna), token="WRONG")
    assert status == 401
    error = body["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException"
    assert {"message", "type", "code", "error_subcode", "fbtrace_id"} <= error.keys()
    url = server.messages_url()
    async with http.post(url, json=text_to(anna)) as response:
        assert response.status == 401
    assert len(server.rejected) == 2
    assert anna.chat == []


async def test_unknown_phone_number_id_and_paths_are_graph_errors(server, http):
    anna = server.person("Anna")
    status, body = await send(http, server, text_to(anna), path="/v23.0/999/messages")
    assert status == 400
    assert body["error"]["code"] == 100 and body["error"]["error_subcode"] == 33
    status, body = await send(http, server, text_to(anna), path="/v23.0/x/y/z")
    assert (status, body["error"]["code"]) == (400, 2500)
    assert len(server.rejected) == 2


# --- validation ----------------------------------------------------------------------------------

_TOO_LONG_CASES = {
    "text body": (lambda p: text_to(p, "x" * 4097), 131009, "Max length: 4096"),
    "four buttons": (lambda p: buttons_to(p, "A", "B", "C", "D"), 131009, "Max buttons: 3"),
    "button title": (lambda p: buttons_to(p, "x" * 21), 131009, "Max length: 20"),
    "button id": (
        lambda p: _set(
            buttons_to(p, "A"), ["interactive", "action", "buttons", 0, "reply", "id"], "i" * 257
        ),
        131009,
        "Max length: 256",
    ),
    "duplicate titles": (lambda p: buttons_to(p, "A", "A"), 131009, "Duplicate button title"),
    "interactive body": (lambda p: buttons_to(p, "A", body="b" * 1025), 131009, "Max length: 1024"),
    "header": (
        lambda p: _set(
            buttons_to(p, "A"), ["interactive", "header"], {"type": "text", "text": "h" * 61}
        ),
        131009,
        "Max length: 60",
    ),
    "footer": (
        lambda p: _set(buttons_to(p, "A"), ["interactive", "footer"], {"text": "f" * 61}),
        131009,
        "Max length: 60",
    ),
    "eleven rows": (
        lambda p: list_to(
            p, [{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5, "W")}]
        ),
        131009,
        "Max rows: 10",
    ),
    "eleven sections": (
        lambda p: list_to(p, [{"title": f"S{i}", "rows": rows(1, f"r{i}")} for i in range(11)]),
        131009,
        "Max sections: 10",
    ),
    "row title": (
        lambda p: list_to(p, [{"rows": [{"id": "a", "title": "t" * 25}]}]),
        131009,
        "Max length: 24",
    ),
    "row description": (
        lambda p: list_to(p, [{"rows": [{"id": "a", "title": "t", "description": "d" * 73}]}]),
        131009,
        "Max length: 72",
    ),
    "list button": (
        lambda p: list_to(p, [{"rows": rows(1)}], button="b" * 21),
        131009,
        "Max length: 20",
    ),
    "untitled sections": (
        lambda p: list_to(p, [{"rows": rows(1)}, {"rows": rows(1, "W")}]),
        131008,
        "['title'] is required",
    ),
    "unknown field": (lambda p: text_to(p) | {"colour": "red"}, 100, 'Unexpected key "colour"'),
    "unknown nested field": (
        lambda p: _set(text_to(p), ["text", "bold"], True),
        100,
        'Unexpected key "bold" on param "text"',
    ),
    "preview_url": (lambda p: _set(text_to(p), ["text", "preview_url"], "yes"), 100, "boolean"),
    "no messaging_product": (
        lambda p: {k: v for k, v in text_to(p).items() if k != "messaging_product"},
        100,
        "messaging_product",
    ),
    "no to": (lambda p: {k: v for k, v in text_to(p).items() if k != "to"}, 131008, "to"),
    "bad to": (lambda p: text_to(p) | {"to": "anna"}, 100, "not a valid WhatsApp phone number"),
    "group recipient": (lambda p: text_to(p) | {"recipient_type": "group"}, 131009, "groups"),
    "image with link and id": (
        lambda p: {
            "messaging_product": "whatsapp",
            "to": p.wa_id,
            "type": "image",
            "image": {"link": "https://e.nl/a.png", "id": "1"},
        },
        131009,
        "exactly one of 'link' and 'id'",
    ),
    "unplayed type": (
        lambda p: {
            "messaging_product": "whatsapp",
            "to": p.wa_id,
            "type": "audio",
            "audio": {"id": "1"},
        },
        131009,
        "not played",
    ),
    "reaction to a stranger's message": (
        lambda p: {
            "messaging_product": "whatsapp",
            "to": p.wa_id,
            "type": "reaction",
            "reaction": {"message_id": "wamid.nope", "emoji": "👍"},
        },
        131009,
        "not a message in this conversation",
    ),
}


def _set(payload: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


@pytest.mark.parametrize("case", sorted(_TOO_LONG_CASES))
async def test_payloads_breaking_a_rule_are_refused_and_logged(server, http, case):
    anna = server.person("Anna")
    await anna.send("hoi")
    build, code, detail = _TOO_LONG_CASES[case]
    status, body = await send(http, server, build(anna))
    assert status == 400, body
    error = body["error"]
    assert error["code"] == code, error
    assert detail in error["error_data"]["details"]
    assert error["message"].startswith(f"(#{code})")
    assert len(server.rejected) == 1 and server.rejected[0].code == code
    assert anna.messages == []


async def test_payloads_at_every_limit_are_accepted(server, http):
    anna = server.person("Anna")
    await anna.send("hoi")
    header = {"type": "text", "text": "h" * 60}
    at_limits = [
        text_to(anna, "x" * 4096) | {"context": {"message_id": anna.chat[0].wamid}},
        _set(
            _set(
                buttons_to(anna, "a" * 20, "B", "C", body="b" * 1024),
                ["interactive", "header"],
                header,
            ),
            ["interactive", "footer"],
            {"text": "f" * 60},
        ),
        list_to(
            anna,
            [
                {
                    "title": "s" * 24,
                    "rows": [{"id": "i" * 200, "title": "t" * 24, "description": "d" * 72}],
                }
            ]
            + [{"title": f"S{i}", "rows": rows(1, f"r{i}")} for i in range(9)],
            button="b" * 20,
        ),
        {
            "messaging_product": "whatsapp",
            "to": anna.wa_id,
            "type": "document",
            "document": {
                "link": "https://example.org/poster.pdf",
                "filename": "poster.pdf",
                "caption": "c" * 1024,
            },
        },
        {
            "messaging_product": "whatsapp",
            "to": anna.wa_id,
            "type": "image",
            "image": {"link": "https://example.org/street.png"},
        },
        {
            "messaging_product": "whatsapp",
            "to": anna.wa_id,
            "type": "reaction",
            "reaction": {"message_id": anna.chat[0].wamid, "emoji": "👍"},
        },
    ]
    for payload in at_limits:
        status, body = await send(http, server, payload)
        assert status == 200, body
    assert server.rejected == []
    text, buttons, menu, document, image, reaction = anna.messages
    assert text.context_id == anna.chat[0].wamid
    assert buttons.labels == ["a" * 20, "B", "C"] and buttons.header == "h" * 60
    assert len(menu.rows) == 10 and menu.list_button == "b" * 20
    assert menu.rows[0].description == "d" * 72
    assert document.filename == "poster.pdf" and image.type == "image"
    assert reaction.emoji == "👍"


async def test_mark_as_read_and_typing_indicator(server, http):
    anna = server.person("Anna")
    wamid = await anna.send("hoi")
    receipt = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
        "typing_indicator": {"type": "text"},
    }
    status, body = await send(http, server, receipt)
    assert (status, body) == (200, {"success": True})
    assert server.message(wamid).read_by_bot
    status, body = await send(http, server, receipt | {"message_id": "wamid.unknown"})
    assert status == 400 and body["error"]["code"] == 131009
    assert [c.type for c in server.calls_to(endpoint="messages")] == ["read", "read"]


# --- people: texts, buttons, lists --------------------------------------------------------------


async def test_people_send_texts_button_and_list_replies_in_the_cloud_api_shape(
    server, http, receiver
):
    anna = server.person("Anna", wa_id="31687654321")
    first = await anna.send("Ik wil een buurtfeest")
    await send(http, server, buttons_to(anna, "Ja", "Nee"))
    await anna.press("Ja")
    sections = [
        {"title": "Deze week", "rows": [{"id": "ma", "title": "Maandag", "description": "19:00"}]},
        {"title": "Volgende week", "rows": rows(2)},
    ]
    await send(http, server, list_to(anna, sections))
    await anna.choose("Maandag")
    await server.webhooks_idle()
    messages = receiver.values("messages")
    assert [m["type"] for m in messages] == ["text", "interactive", "interactive"]
    text, button, row = messages
    assert text["id"] == first and text["from"] == "31687654321"
    assert text["text"] == {"body": "Ik wil een buurtfeest"}
    assert button["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "b0", "title": "Ja"},
    }
    assert button["context"]["id"] == anna.messages[0].wamid
    assert row["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "ma", "title": "Maandag", "description": "19:00"},
    }
    event = next(e for e in receiver.events if "messages" in e["entry"][0]["changes"][0]["value"])
    assert event["object"] == "whatsapp_business_account"
    [entry] = event["entry"]
    assert entry["id"] == server.waba_id
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": server.display_phone_number,
        "phone_number_id": server.phone_number_id,
    }
    assert value["contacts"] == [{"profile": {"name": "Anna"}, "wa_id": "31687654321"}]
    with pytest.raises(AssertionError, match="no button 'Misschien'"):
        await anna.press("Misschien")
    with pytest.raises(AssertionError, match="no list row 'Zondag'"):
        await anna.choose("Zondag")


async def test_wait_for_message_sees_the_answer_after_the_persons_action(server, http):
    anna = server.person("Anna")
    await anna.send("hoi")
    await send(http, server, text_to(anna, "Welkom"))
    assert (await anna.wait_for_message()).text == "Welkom"
    await anna.send("nog iets")
    with pytest.raises(AssertionError, match="waited for 1 message"):
        await anna.wait_for_message(timeout=0.1)


# --- the 24-hour window and templates -----------------------------------------------------------


def register_reminder(server: LocalWhatsAppApi, **fields: Any) -> None:
    server.add_templates(
        [
            {
                "name": "action_reminder",
                "category": "UTILITY",
                "language": "nl",
                "body": "Hoi {{1}}, morgen is {{2}}. Kom je?",
                "buttons": ["Ik kom", "Ik kan niet"],
            },
            {
                "name": "street_news",
                "category": "MARKETING",
                "language": "nl",
                "body": "Nieuws uit de straat: {{1}}",
            },
        ],
        **fields,
    )


async def test_free_form_outside_the_window_fails_by_webhook_and_templates_still_go(
    server, http, receiver
):
    register_reminder(server)
    anna = server.person("Anna")
    status, body = await send(http, server, text_to(anna))  # Anna never wrote
    assert status == 200  # the call succeeds; the failure comes as a status webhook
    never = body["messages"][0]["id"]
    await anna.send("hoi")
    assert anna.window_open
    status, body = await send(http, server, text_to(anna, "binnen"))
    inside = body["messages"][0]["id"]
    server.advance(hours=24, seconds=1)
    assert not anna.window_open
    _, body = await send(http, server, buttons_to(anna, "Ja"))
    after = body["messages"][0]["id"]
    status, body = await send(
        http, server, template_to(anna, "action_reminder", "Anna", "het feest")
    )
    assert status == 200 and body["messages"][0]["message_status"] == "accepted"
    reminder = body["messages"][0]["id"]
    await server.webhooks_idle()
    for failed in (never, after):
        assert receiver.statuses(failed) == ["failed"]
        [entry] = [s for s in receiver.values("statuses") if s["id"] == failed]
        [error] = entry["errors"]
        assert error["code"] == 131047
        assert {"title", "message", "error_data", "href"} <= error.keys()
    assert receiver.statuses(inside) == ["sent", "delivered"]
    assert receiver.statuses(reminder) == ["sent", "delivered"]
    assert [m.text for m in anna.messages] == ["binnen", "Hoi Anna, morgen is het feest. Kom je?"]
    assert [m.error_code for m in anna.failed] == [131047, 131047]
    assert server.rejected == []
    # the template's quick reply comes back as a "button" message, and reopens the window
    await anna.press("Ik kom")
    await server.webhooks_idle()
    reply = receiver.values("messages")[-1]
    assert reply["type"] == "button"
    assert reply["button"] == {"payload": "Ik kom", "text": "Ik kom"}
    assert reply["context"]["id"] == reminder
    assert anna.window_open


async def test_template_rules(server, http):
    register_reminder(server)
    server.add_template("pending_one", "nl", "Nog niet goedgekeurd", status="PENDING")
    server.add_template("paused_one", "nl", "Gepauzeerd", status=TemplateStatus.PAUSED)
    anna = server.person("Anna")
    cases = [
        (template_to(anna, "no_such_template"), 404, 132001),
        (template_to(anna, "action_reminder", "Anna", "feest", language="en"), 404, 132001),
        (template_to(anna, "pending_one"), 404, 132001),
        (template_to(anna, "paused_one"), 400, 132015),
        (template_to(anna, "action_reminder", "Anna"), 400, 132000),
        (template_to(anna, "action_reminder"), 400, 132000),
        (template_to(anna, "action_reminder", "Anna", "het\nfeest"), 400, 132018),
        (template_to(anna, "action_reminder", "Anna", "het      feest"), 400, 132018),
    ]
    for payload, status_expected, code in cases:
        status, body = await send(http, server, payload)
        assert (status, body["error"]["code"]) == (status_expected, code), payload
    with_payload = template_to(anna, "action_reminder", "Anna", "feest")
    with_payload["template"]["components"].append(
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "1",
            "parameters": [{"type": "payload", "payload": "rsvp:no:42"}],
        }
    )
    status, _ = await send(http, server, with_payload)
    assert status == 200
    message = anna.messages[-1]
    assert message.template == "action_reminder" and message.category == "UTILITY"
    assert message.params == ("Anna", "feest")
    assert message.button("Ik kan niet").id == "rsvp:no:42"
    assert len(server.rejected) == 7  # paused is the platform's doing, not a bad call


async def test_marketing_opt_out_caps_recategorising_and_ecosystem_control(server, http, receiver):
    register_reminder(server)
    server.subscribed_fields.add("template_category_update")
    bert = server.person("Bert", marketing_opt_out=True)
    cees = server.person("Cees")
    _, body = await send(http, server, template_to(bert, "street_news", "straatfeest"))
    opted_out = body["messages"][0]["id"]
    _, body = await send(http, server, template_to(bert, "action_reminder", "Bert", "feest"))
    utility = body["messages"][0]["id"]
    server.templates.recategorise("action_reminder", "nl", TemplateCategory.MARKETING)
    _, body = await send(http, server, template_to(bert, "action_reminder", "Bert", "feest"))
    now_marketing = body["messages"][0]["id"]
    server.marketing_limit = 1
    await send(http, server, template_to(cees, "street_news", "een"))
    _, body = await send(http, server, template_to(cees, "street_news", "twee"))
    capped = body["messages"][0]["id"]
    server.advance(days=1)
    server.faults.arm("131049", to=cees.wa_id)
    _, body = await send(http, server, template_to(cees, "street_news", "drie"))
    injected = body["messages"][0]["id"]
    _, body = await send(http, server, template_to(cees, "street_news", "vier"))
    await server.webhooks_idle()
    codes = {s["id"]: s["errors"][0]["code"] for s in receiver.values("statuses") if "errors" in s}
    assert codes == {opted_out: 131050, now_marketing: 131050, capped: 131049, injected: 131049}
    assert receiver.statuses(utility) == ["sent", "delivered"]
    assert receiver.statuses(body["messages"][0]["id"]) == ["sent", "delivered"]
    [update] = [
        e["entry"][0]["changes"][0]
        for e in receiver.events
        if e["entry"][0]["changes"][0]["field"] == "template_category_update"
    ]
    assert update["value"]["new_category"] == "MARKETING"
    assert update["value"]["previous_category"] == "UTILITY"


async def test_unknown_and_unreachable_numbers_fail_with_131026(server, http, receiver):
    dirk = server.person("Dirk", reachable=False)
    await dirk.send("hoi")
    _, body = await send(http, server, text_to(dirk))
    unreachable = body["messages"][0]["id"]
    status, body = await send(
        http,
        server,
        {
            "messaging_product": "whatsapp",
            "to": "31699999999",
            "type": "text",
            "text": {"body": "wie?"},
        },
    )
    assert status == 200
    stranger = body["messages"][0]["id"]
    await server.webhooks_idle()
    codes = {s["id"]: s["errors"][0]["code"] for s in receiver.values("statuses")}
    assert codes == {unreachable: 131026, stranger: 131026}
    assert dirk.messages == []


async def test_the_template_endpoints_list_create_and_review(server, http, receiver):
    register_reminder(server)
    server.subscribed_fields.add("message_template_status_update")
    url = f"{server.base_url}/v23.0/{server.waba_id}/message_templates"
    headers = {"Authorization": f"Bearer {server.token}"}
    async with http.get(url, headers=headers, params={"category": "MARKETING"}) as response:
        listed = await response.json()
    assert [t["name"] for t in listed["data"]] == ["street_news"]
    assert listed["data"][0]["status"] == "APPROVED"
    new = {
        "name": "join_code",
        "language": "en",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Your code is {{1}}."}],
    }
    async with http.post(url, headers=headers, json=new) as response:
        assert response.status == 200
        created = await response.json()
    assert created["status"] == "PENDING"
    anna = server.person("Anna")
    status, _ = await send(http, server, template_to(anna, "join_code", "K4X", language="en"))
    assert status == 404
    server.templates.set_status("join_code", "en", "APPROVED")
    status, _ = await send(http, server, template_to(anna, "join_code", "K4X", language="en"))
    assert status == 200
    async with http.post(url, headers=headers, json=new | {"name": "Bad Name"}) as response:
        assert response.status == 400
    await server.webhooks_idle()
    [review] = [
        e["entry"][0]["changes"][0]["value"]
        for e in receiver.events
        if e["entry"][0]["changes"][0]["field"] == "message_template_status_update"
    ]
    assert review["event"] == "APPROVED" and review["message_template_name"] == "join_code"


def test_the_catalogue_is_checked_as_meta_checks_a_submission():
    server = LocalWhatsAppApi()
    bad = [
        {"name": "Has Spaces", "language": "nl", "body": "x"},
        {"name": "gap", "language": "nl", "body": "Hoi {{1}} en {{3}}"},
        {"name": "long_button", "language": "nl", "body": "x", "buttons": ["b" * 26]},
        {"name": "long_body", "language": "nl", "body": "b" * 1025},
        {"name": "no_language", "body": "x"},
    ]
    for entry in bad:
        with pytest.raises(ValueError):
            server.add_templates([entry])
    [template] = server.add_templates(
        [
            {
                "name": "ok",
                "language": "en",
                "category": "marketing",
                "body": "Hi {{1}}",
                "buttons": [{"type": "URL", "text": "Open", "url": "https://e.nl/{{1}}"}],
            }
        ]
    )
    assert template.category is TemplateCategory.MARKETING
    assert template.status is TemplateStatus.APPROVED and template.body_params == 1


# --- faults and throughput ----------------------------------------------------------------------


async def test_faults_answer_like_the_platform(server, http):
    anna = server.person("Anna")
    await anna.send("hoi")
    server.faults.arm("130429")
    server.faults.arm("503")
    server.faults.arm("502")
    server.faults.arm("500", applied=True)
    status, body = await send(http, server, text_to(anna))
    assert (status, body["error"]["code"]) == (429, 130429)
    status, body = await send(http, server, text_to(anna))
    assert (status, body["error"]["code"]) == (503, 2)
    url = server.messages_url()
    headers = {"Authorization": f"Bearer {server.token}"}
    async with http.post(url, json=text_to(anna), headers=headers) as response:
        assert response.status == 502 and "text/html" in response.content_type
    status, body = await send(http, server, text_to(anna, "kwijt antwoord"))
    assert status == 500 and body["error"]["code"] == 1
    assert [m.text for m in anna.messages] == ["kwijt antwoord"]  # it went out all the same
    status, _ = await send(http, server, text_to(anna))
    assert status == 200
    assert server.rejected == []
    assert [c.fault for c in server.calls_to(anna)] == ["130429", "503", "502", "500", None]


async def test_enforced_throughput_answers_130429(server, http):
    anna = server.person("Anna")
    await anna.send("hoi")
    server.enforce_throughput(per_second=2)
    answers = [await send(http, server, text_to(anna)) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 429]
    assert answers[2][1]["error"]["code"] == 130429
    assert server.throughput is not None and server.throughput.refused == 1


# --- webhook signatures, retries, redelivery, verification --------------------------------------


async def test_webhooks_are_signed_forgeries_refused_and_redelivery_is_byte_for_byte(
    server, receiver
):
    anna = server.person("Anna")
    await anna.send("hoi")
    await server.webhooks_idle()
    [delivery] = server.deliveries_of("message")
    [attempt] = delivery.attempts
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert attempt.signature == expected and attempt.ok
    forged = await server.post_to_webhook(anna.message_event("nep"), secret="not-the-secret")
    unsigned = await server.post_to_webhook(anna.message_event("nep"), signature=None)
    assert (forged.status, unsigned.status) == (401, 401)
    assert len(receiver.refused) == 2
    again = await server.redeliver(delivery)
    assert again.ok and again.signature == attempt.signature
    assert receiver.bodies == [delivery.body, delivery.body]
    assert [a.attempt for a in delivery.attempts] == [1, 2]


async def test_a_failing_receiver_gets_the_webhook_again(server, receiver):
    receiver.fail_next = 2
    anna = server.person("Anna")
    await anna.send("hoi")
    await anna.send("ben je er?")
    await server.webhooks_idle()
    first, second = server.deliveries_of("message")
    assert [a.status for a in first.attempts] == [500, 500, 200]
    assert [m["text"]["body"] for m in receiver.values("messages")] == ["hoi", "ben je er?"]
    assert first.delivered and second.delivered


async def test_the_verification_get_and_subscribe(receiver):
    async with LocalWhatsAppApi(app_secret=APP_SECRET) as server:
        wrong = await server.subscribe(receiver.url, "not-the-token")
        assert (wrong.status, wrong.ok) == (403, False)
        assert server.webhook.url is None
        anna = server.person("Anna")
        await anna.send("wacht")  # queued until a URL is set
        right = await server.verify_webhook(VERIFY_TOKEN, url=receiver.url, challenge="1158201444")
        assert (right.status, right.body, right.ok) == (200, "1158201444", True)
        assert (await server.subscribe(receiver.url, VERIFY_TOKEN)).ok
        await server.webhooks_idle()
        assert [m["text"]["body"] for m in receiver.values("messages")] == ["wacht"]


async def test_webhooks_go_to_loopback_only_and_wait_until_explains():
    async with LocalWhatsAppApi() as server:
        with pytest.raises(RuntimeError, match=r"only 127\.0\.0\.1"):
            server.set_webhook("https://example.org/hook")
        with pytest.raises(AssertionError, match=r"timed out after 0\.1s waiting for nothing"):
            await server.wait_until(lambda: False, 0.1, "nothing")


async def test_reactions_preferences_tracking_data_and_a_lost_answer(server, http, receiver):
    server.subscribed_fields.add("user_preferences")
    anna = server.person("Anna")
    await anna.send("hoi")
    _, body = await send(http, server, text_to(anna) | {"biz_opaque_callback_data": "action:7"})
    wamid = body["messages"][0]["id"]
    await anna.react(anna.last, "🎉")
    await anna.stop_marketing()
    assert anna.marketing_opt_out
    server.faults.arm("timeout", delay=0.05, applied=True)
    status, body = await send(http, server, text_to(anna, "antwoord kwijt"))
    assert status == 504 and body["error"]["code"] == 131016
    assert anna.last.text == "antwoord kwijt"
    await server.webhooks_idle()
    assert {
        s["biz_opaque_callback_data"] for s in receiver.values("statuses") if s["id"] == wamid
    } == {"action:7"}
    reaction = receiver.values("messages")[-1]
    assert reaction["type"] == "reaction"
    assert reaction["reaction"] == {"message_id": wamid, "emoji": "🎉"}
    [preference] = receiver.values("user_preferences")
    assert (preference["category"], preference["value"]) == ("marketing_messages", "stop")


async def test_status_webhooks_can_be_left_out():
    async with LocalWhatsAppApi(status_webhooks=False) as server, aiohttp.ClientSession() as http:
        anna = server.person("Anna")
        await anna.send("hoi")
        status, _ = await send(http, server, text_to(anna))
        assert status == 200
        assert [d.kind for d in server.deliveries] == ["message"]
        assert anna.last.status == "delivered"


async def upload(
    http: aiohttp.ClientSession, server: LocalWhatsAppApi, data: bytes, mime: str, name: str
) -> Answer:
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", mime)
    form.add_field("file", data, filename=name, content_type=mime)
    url = f"{server.base_url}/v23.0/{server.phone_number_id}/media"
    headers = {"Authorization": f"Bearer {server.token}"}
    async with http.post(url, data=form, headers=headers) as response:
        return response.status, await response.json()


async def test_uploaded_media_is_sent_by_id_and_read_by_the_person(server, http):
    anna = server.person("Anna")
    await anna.send("stuur de poster")
    status, body = await upload(http, server, b"%PDF-1.7 poster", "application/pdf", "poster.pdf")
    assert status == 200
    pdf = body["id"]
    _, body = await upload(http, server, b"\x89PNG\r\n", "image/png", "qr.png")
    png = body["id"]
    status, body = await upload(http, server, b"BEGIN:VCALENDAR", "text/calendar", "a.ics")
    assert status == 400 and "one of the following types" in body["error"]["error_data"]["details"]
    headers = {"Authorization": f"Bearer {server.token}"}
    async with http.get(f"{server.base_url}/v23.0/{pdf}", headers=headers) as response:
        info = await response.json()
    assert info["mime_type"] == "application/pdf" and info["file_size"] == 15
    async with http.get(info["url"], headers=headers) as response:
        assert await response.read() == b"%PDF-1.7 poster"
    document = {
        "messaging_product": "whatsapp",
        "to": anna.wa_id,
        "type": "document",
        "document": {"id": pdf, "filename": "poster.pdf", "caption": "De poster"},
    }
    assert (await send(http, server, document))[0] == 200
    seen = anna.last
    assert (seen.data, seen.mime_type, seen.filename, seen.text) == (
        b"%PDF-1.7 poster",
        "application/pdf",
        "poster.pdf",
        "De poster",
    )
    for wrong in ({"id": png}, {"id": "4100000000000999"}):
        status, body = await send(http, server, document | {"document": wrong})
        assert (status, body["error"]["code"]) == (400, 131009)
    assert [c.endpoint for c in server.rejected] == ["media", "messages", "messages"]


async def test_the_window_follows_a_clock_shared_with_the_bot():
    from datetime import UTC, datetime, timedelta

    from scheduler.timing import FakeClock

    clock = FakeClock(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    async with LocalWhatsAppApi(clock=clock) as server:
        assert server.now() == clock.now().timestamp()
        anna = server.person("Anna")
        await anna.send("hoi")
        assert anna.window_closes_at == clock.now().timestamp() + 24 * 3600
        clock.advance(timedelta(hours=23, minutes=59))
        assert anna.window_open
        clock.advance(timedelta(minutes=1))
        assert not anna.window_open
