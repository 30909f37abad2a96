"""The Outgoing actions as JSON: every kind there and back unchanged, nothing else read."""

from __future__ import annotations

import json

import pytest

from bot.core import wire
from bot.core.seam import (
    AnswerButton,
    Button,
    EditText,
    PinMessage,
    SendDocument,
    SendPoll,
    SendTemplate,
    SendText,
    StopPoll,
)

EVERY_KIND = [
    SendText(1, "<b>Hoi</b> &amp; welkom", remember_as="card"),
    SendText(
        -100,
        "Kies",
        buttons=(
            (Button("Ja", payload="1:ini:3"), Button("Nee", payload="1:ini:4")),
            (Button("Site", url="https://example.org/x?a=1"),),
        ),
    ),
    EditText(1, 42, "Bijgewerkt", buttons=((Button("Verder", payload="1:act:9"),),)),
    AnswerButton("q-17", "Opgeslagen", alert=True),
    AnswerButton("q-18"),
    SendPoll(-5, "Wanneer?", ("ma", "di", "wo"), allows_multiple=True, remember_as="poll"),
    StopPoll(-5, 77),
    PinMessage(-5, 77),
    SendDocument(1, "export.json", b'{"a": 1}\x00\xff\n', caption="Je gegevens"),
    SendTemplate(2**51 + 7, "buurbot_reminder", "nl", ("Tegels eruit", "za 10:00"), ("1:act:9",)),
]


@pytest.mark.parametrize("action", EVERY_KIND, ids=lambda a: type(a).__name__)
def test_every_action_goes_there_and_back_unchanged(action) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(wire.dump(action)))  # as the database gives it back
    assert wire.load(data) == action


def test_every_kind_of_the_union_has_a_tag() -> None:
    from typing import get_args

    from bot.core.seam import Outgoing

    assert {type(action) for action in EVERY_KIND} == set(get_args(Outgoing))


def test_a_document_travels_as_base64() -> None:
    data = wire.dump(SendDocument(1, "a.bin", b"\x00\x01"))
    assert data["content"] == "AAE="


def test_an_unknown_kind_or_version_is_refused() -> None:
    with pytest.raises(wire.WireError, match="unknown action kind 'sticker'"):
        wire.load({"v": wire.VERSION, "kind": "sticker", "chat_id": 1})
    with pytest.raises(wire.WireError, match="not an action of version"):
        wire.load({"v": 99, "kind": "text", "chat_id": 1, "text": "x"})
    with pytest.raises(wire.WireError, match="does not fit"):
        wire.load({"v": wire.VERSION, "kind": "text", "chat_id": 1})
    with pytest.raises(wire.WireError, match="not an Outgoing action"):
        wire.dump("hello")  # type: ignore[arg-type]
