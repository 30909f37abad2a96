"""Button payloads: typed, versioned, at most 64 bytes.

`1:<route>:<arg>:<arg>` — the leading version lets buttons already sent keep
working (or be refused kindly) after the format changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
# The ids the payloads carry are the database's Integer keys (32-bit on PostgreSQL).
MAX_INT = 2**31 - 1
_SAFE_ARG = re.compile(r"^[A-Za-z0-9_.\-]*$")
DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Payload:
    route: str
    args: tuple[str, ...] = ()

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default

    def int_arg(self, index: int) -> int | None:
        """A number argument; None when there is none or it is past the database's ids."""
        value = self.arg(index)
        if not value.isdecimal() or len(value) > 10:
            return None
        return int(value) if int(value) <= MAX_INT else None


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
