"""Button payloads: typed, versioned, at most 64 bytes.

`1:<route>:<arg>:<arg>` — the leading version lets buttons already sent keep
working (or be refused kindly) after the format changes. Each route's arguments are
declared once as a `Press` type (bot/views/routes.py); `decode` reads a button's data
into one, and the registry hands it to that type's handler (`registry.on`).
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from enum import Enum, StrEnum
from types import UnionType
from typing import Any, ClassVar, Self, get_args, get_type_hints

VERSION = "1"
MAX_BYTES = 64
# The ids the payloads carry are the database's Integer keys (32-bit on PostgreSQL).
MAX_INT = 2**31 - 1
_SAFE_ARG = re.compile(r"^[A-Za-z0-9_.\-]*$")
DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Payload:
    route: str
    args: tuple[str, ...] = ()  # read through its declared type: `typed` below


def pack(route: str, *args: object) -> str:
    parts = [VERSION, route, *(str(arg) for arg in args)]
    for part in parts[1:]:
        if not _SAFE_ARG.match(part):
            raise ValueError(f"payload part {part!r} has characters that do not travel")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"payload over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str) -> Payload | None:
    """None for anything that is not a payload of this version (stale or forged)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    version, _, rest = data.partition(":")
    if version != VERSION or not rest:
        return None
    route, *args = rest.split(":")
    if not route or not all(_SAFE_ARG.match(part) for part in (route, *args)):
        return None
    return Payload(route, tuple(args))


def is_deep_link_payload(value: str) -> bool:
    return bool(DEEP_LINK.match(value))


# --- typed payloads -------------------------------------------------------------------------
#
# One frozen dataclass per (route, verb), declared in bot/views/routes.py:
#
#     @dataclass(frozen=True)
#     class RsvpWho(Press, route="rsvp", verb="who"):
#         action_id: int
#
# packs to `1:rsvp:who:<action_id>`, today's wire format. Fields travel in order; an
# `X | None` field is optional (empty, or left off at the end); a field with a default
# takes it when left off. `decode` is the one place
# a button's data becomes a typed press, or None for anything stale, forged or too long.

DECLARED: dict[tuple[str, str], type[Press]] = {}


class Press:
    route: ClassVar[str]
    verb: ClassVar[str]  # "" for a route without verbs

    def __init_subclass__(cls, *, route: str = "", verb: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not route:  # a shared base of several presses, not a press itself
            return
        if (route, verb) in DECLARED:
            raise ValueError(f"payload {route}:{verb} declared twice")
        if not _SAFE_ARG.match(route) or not _SAFE_ARG.match(verb):
            raise ValueError(f"payload {route}:{verb} has characters that do not travel")
        cls.route, cls.verb = route, verb
        DECLARED[(route, verb)] = cls

    def pack(self) -> str:
        parts = [
            ("" if value is None else codec.dump(value), value is None)
            for codec, value in ((c, getattr(self, n)) for n, c in _codecs(type(self)))
        ]
        while parts and parts[-1][1]:  # an optional value left off at the end, as before
            parts.pop()
        return pack(self.route, *([self.verb] if self.verb else []), *(p for p, _ in parts))

    @classmethod
    def parse(cls, args: tuple[str, ...]) -> Self | None:
        codecs = _codecs(cls)
        if len(args) > len(codecs):
            return None
        values: dict[str, object] = {}
        for index, (name, codec) in enumerate(codecs):
            raw = args[index] if index < len(args) else None
            if raw is None and codec.default is not MISSING:  # left off: its default
                values[name] = codec.default
                continue
            if codec.optional and not raw:
                values[name] = None
                continue
            value = None if raw is None else codec.load(raw)
            if value is None:
                return None
            values[name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class _Codec:
    kind: type
    optional: bool
    default: object = MISSING

    def dump(self, value: object) -> str:
        if self.kind is bool:
            return "1" if value else "0"
        if self.kind is int and not (isinstance(value, int) and 0 <= value <= MAX_INT):
            raise ValueError(f"payload number {value!r} is not a database id")
        if issubclass(self.kind, Enum):
            return str(self.kind(value).value)
        return str(value)

    def load(self, raw: str) -> object | None:
        if self.kind is bool:
            return {"1": True, "0": False}.get(raw)
        if self.kind is int:
            if not raw.isdecimal() or len(raw) > 10 or int(raw) > MAX_INT:
                return None
            return int(raw)
        if issubclass(self.kind, Enum):
            return next((member for member in self.kind if member.value == raw), None)
        return raw  # a str: unpack checked its characters


_KINDS = (bool, int, str)


_CODECS: dict[type, tuple[tuple[str, _Codec], ...]] = {}


def _codecs(cls: type[Press]) -> tuple[tuple[str, _Codec], ...]:
    if cls in _CODECS:
        return _CODECS[cls]
    hints = get_type_hints(cls)
    found = []
    for item in fields(cls):  # type: ignore[arg-type]  # every press is a dataclass
        kind, optional = hints[item.name], False
        parts = get_args(kind) if isinstance(kind, UnionType) else ()
        if parts and type(None) in parts and len(parts) == 2:
            kind, optional = next(p for p in parts if p is not type(None)), True
        if not (kind in _KINDS or (isinstance(kind, type) and issubclass(kind, StrEnum))):
            raise TypeError(
                f"{cls.__name__}.{item.name}: a payload field is int, str, bool or StrEnum"
            )
        found.append((item.name, _Codec(kind, optional, item.default)))
    _CODECS[cls] = codecs = tuple(found)
    return codecs


def typed(payload: Payload) -> Press | None:
    """The declared press this payload is, or None when no declaration reads it."""
    args = payload.args
    kind = DECLARED.get((payload.route, args[0])) if args else None
    if kind is not None:
        args = args[1:]
    else:
        kind = DECLARED.get((payload.route, ""))
    return kind.parse(args) if kind is not None else None


def decode(data: str) -> Press | None:
    """A button's data as its typed press; None when stale, forged or over 64 bytes."""
    payload = unpack(data)
    return typed(payload) if payload is not None else None


# The conversation machinery's own buttons (bot/core/conversation.py); the flows' are in
# bot/views/routes.py, which names these too.


@dataclass(frozen=True)
class Answer(Press, route="s"):
    """A step's choice: which flow and step asked, and the choice's key."""

    flow: str
    step: str
    key: str


@dataclass(frozen=True)
class MenuChoice(Press, route="m"):
    key: str


@dataclass(frozen=True)
class ToMenu(Press, route="menu"):
    pass


@dataclass(frozen=True)
class Resume(Press, route="resume"):
    pass
