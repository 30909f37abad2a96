"""The `Outgoing` actions as JSON, and back: what the reply outbox stores.

A closed union: every action kind has a tag, an unknown tag is an error (a row written
by a newer version is not guessed at). Keyboards are lists of rows of buttons; a
document's bytes travel as base64. Versioned (``v``) so the format can change.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from bot.core.seam import (
    AnswerButton,
    Button,
    EditText,
    Keyboard,
    Outgoing,
    PinMessage,
    SendDocument,
    SendPoll,
    SendTemplate,
    SendText,
    StopPoll,
)

__all__ = ["VERSION", "WireError", "dump", "load"]

VERSION = 1

_TAGS: dict[type, str] = {
    SendText: "text",
    EditText: "edit",
    AnswerButton: "answer",
    SendPoll: "poll",
    StopPoll: "stop_poll",
    PinMessage: "pin",
    SendDocument: "document",
    SendTemplate: "template",
}
_TUPLES = ("options", "parameters", "button_payloads")
_KINDS = {tag: kind for kind, tag in _TAGS.items()}


class WireError(ValueError):
    """Not an action this version can read."""


def _keyboard(keyboard: Keyboard) -> list[list[dict[str, str]]]:
    return [
        [
            {"label": b.label, "payload": b.payload}
            if b.payload is not None
            else {"label": b.label, "url": b.url or ""}
            for b in row
        ]
        for row in keyboard
    ]


def _buttons(rows: Any) -> Keyboard:
    return tuple(
        tuple(Button(b["label"], payload=b.get("payload"), url=b.get("url")) for b in row)
        for row in rows
    )


def dump(action: Outgoing) -> dict[str, Any]:
    tag = _TAGS.get(type(action))
    if tag is None:
        raise WireError(f"not an Outgoing action: {type(action).__name__}")
    data: dict[str, Any] = {"v": VERSION, "kind": tag}
    for name in action.__slots__:
        value = getattr(action, name)
        if name == "buttons":
            value = _keyboard(value)
        elif name in _TUPLES:
            value = list(value)
        elif name == "content":
            value = base64.b64encode(value).decode("ascii")
        data[name] = value
    return data


def load(data: dict[str, Any]) -> Outgoing:
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise WireError(f"not an action of version {VERSION}: {data!r:.80}")
    kind = _KINDS.get(data.get("kind", ""))
    if kind is None:
        raise WireError(f"unknown action kind {data.get('kind')!r}")
    fields: dict[str, Any] = {}
    for name in (each.name for each in dataclasses.fields(kind)):
        if name not in data:
            continue  # a field with a default, left out
        value = data[name]
        if name == "buttons":
            value = _buttons(value)
        elif name in _TUPLES:
            value = tuple(value)
        elif name == "content":
            value = base64.b64decode(value)
        fields[name] = value
    try:
        return kind(**fields)
    except (TypeError, ValueError) as error:
        raise WireError(f"a {data['kind']} action that does not fit: {error}") from error
