"""Button payloads and deep links: typed, versioned, within Telegram's limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.payloads import Payload, is_deep_link_payload, pack, unpack

ARG = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=8)


@given(st.sampled_from(["s", "m", "rsvp", "join"]), st.lists(ARG, max_size=4))
def test_pack_unpack_round_trip(route: str, args: list[str]) -> None:
    try:
        data = pack(route, *args)
    except ValueError:
        assert len(":".join(["1", route, *args]).encode()) > 64
        return
    assert len(data.encode()) <= 64
    assert unpack(data) == Payload(route, tuple(args))


@given(st.text(max_size=100), st.sampled_from(["s", "rsvp"]), st.lists(ARG, max_size=3))
def test_unpack_never_raises(data: str, route: str, args: list[str]) -> None:
    payload = unpack(data)
    assert payload is None or pack(payload.route, *payload.args) == data
    # Not None for everything: what pack made, unpack reads, even after random junk.
    assert unpack(pack(route, *args)) == Payload(route, tuple(args))


def test_pack_refuses_what_does_not_travel() -> None:
    with pytest.raises(ValueError, match="'a:b' has characters that do not travel"):
        pack("s", "a:b")
    with pytest.raises(ValueError, match="payload over 64 bytes"):
        pack("s", "x" * 70)


def test_other_versions_are_stale() -> None:
    assert unpack("2:s:onboarding") is None
    assert unpack("1:s:onboarding") == Payload("s", ("onboarding",))


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("join-AbC_12", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("bad payload", False),
        ("", False),
    ],
)
def test_deep_link_payloads(value: str, ok: bool) -> None:
    assert is_deep_link_payload(value) is ok
