"""Button payloads and deep links: typed, versioned, within Telegram's limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
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


# --- typed payloads (bot/views/routes.py) ---------------------------------------------------

import ast  # noqa: E402
from dataclasses import fields  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import get_type_hints  # noqa: E402

from bot.app import build_registry  # noqa: E402
from bot.core.payloads import DECLARED, MAX_BYTES, MAX_INT, Press, _codecs, decode  # noqa: E402
from bot.core.seam import ButtonPress  # noqa: E402
from bot.views import routes  # noqa: E402
from tests.support.driver import Driver  # noqa: E402

SAFE = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_.-", min_size=1, max_size=6)
KINDS = sorted(DECLARED.values(), key=lambda kind: (kind.route, kind.verb))


def _values(kind: type[Press]) -> st.SearchStrategy[Press]:
    hints = get_type_hints(kind)
    strategies = {}
    for item in fields(kind):  # type: ignore[arg-type]
        hint = hints[item.name]
        if hint in (int, int | None):
            plain: st.SearchStrategy[object] = st.integers(0, MAX_INT)
        elif hint is bool:
            plain = st.booleans()
        else:
            plain = SAFE
        strategies[item.name] = plain | st.none() if hint in (int | None, str | None) else plain
    return st.builds(kind, **strategies)


def _largest(kind: type[Press]) -> Press:
    """The longest each field gets: ids at the database's limit, a kit id or token of 24
    (a step's flow, step and choice keys are words of at most 16)."""
    hints = get_type_hints(kind)
    text = "x" * (16 if kind is routes.Answer else 24)
    values = {
        item.name: {bool: True, int: MAX_INT, int | None: MAX_INT}.get(hints[item.name], text)
        for item in fields(kind)  # type: ignore[arg-type]
    }
    return kind(**values)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@settings(max_examples=30)
@given(data=st.data())
def test_every_declared_payload_round_trips(kind: type[Press], data: st.DataObject) -> None:
    press = data.draw(_values(kind))
    packed = press.pack()
    assert unpack(packed) is not None and unpack(packed).route == kind.route  # type: ignore[union-attr]
    assert decode(packed) == press


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_the_largest_ids_fit_in_64_bytes(kind: type[Press]) -> None:
    press = _largest(kind)
    assert len(press.pack().encode()) <= MAX_BYTES


def test_the_wire_format_is_what_buttons_already_sent_carry() -> None:
    assert routes.RsvpChoice(12, "c").pack() == pack("rsvp", 12, "c")
    assert routes.RsvpWho(12).pack() == pack("rsvp", "who", 12)
    assert routes.KitShow("buurtfeest").pack() == pack("kit", "show", "buurtfeest")
    assert routes.KitShow("buurtfeest", 3).pack() == pack("kit", "show", "buurtfeest", 3)
    assert routes.CoachOverview().pack() == pack("coach", "ov", 0)
    assert routes.ShowName(5, True).pack() == pack("gname", 5, 1)
    assert routes.IniConsent().pack() == pack("ini", "consent")
    assert routes.ToMenu().pack() == pack("menu")
    assert decode("1:coach:ov") == routes.CoachOverview(0)  # the page was once left off


@pytest.mark.parametrize(
    "data",
    [
        "2:rsvp:12:c",  # another version
        "1:rsvp:who",  # an id missing
        "1:rsvp:who:12:extra",  # one too many
        "1:rsvp:who:abc",  # not a number
        f"1:rsvp:who:{MAX_INT + 1}",  # past the database's ids
        "1:rsvp:who:-3",
        "1:nosuchroute:1",
        "1:ini:nosuchverb:1",
        "1:gname:5:yes",  # a flag is 0 or 1
        "1:s:" + "x" * 70,  # over 64 bytes
        "",
    ],
)
def test_forged_and_old_payloads_are_refused(data: str) -> None:
    assert decode(data) is None


def test_pack_refuses_what_no_button_may_carry() -> None:
    with pytest.raises(ValueError, match="not a database id"):
        routes.ActShow(MAX_INT + 1).pack()
    with pytest.raises(ValueError, match="not a database id"):
        routes.ActShow(-1).pack()


def test_every_registered_route_has_its_payloads_declared() -> None:
    registry = build_registry()
    declared = {kind.route for kind in DECLARED.values()}
    assert set(registry.buttons) <= declared
    handled = {kind for kind in registry.presses}
    assert handled <= set(DECLARED.values())


# The routes that are named by a constant where their buttons are built.
# Debt that may only shrink: the domain cannot import the views' Press types, and its
# celebration of a phase builds the "See the progress" button (tests/test_one_place.py).
HAND_BUILT = {"bot/domain/phases.py"}


def _hand_built() -> dict[str, list[int]]:
    """Every `pack(<route>, ...)` call outside bot/core/payloads.py: a payload built by hand,
    not from its declared type (`Kind(...).pack()` takes no arguments)."""
    found: dict[str, list[int]] = {}
    for path in sorted([*Path("bot").rglob("*.py"), *Path("scheduler").rglob("*.py")]):
        if path.as_posix() == "bot/core/payloads.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "pack":
                found.setdefault(path.as_posix(), []).append(node.lineno)
    return found


def test_every_button_payload_is_built_from_its_declared_type() -> None:
    found = _hand_built()
    assert set(found) - HAND_BUILT == set(), found  # build it as `Kind(...).pack()`
    assert HAND_BUILT - set(found) == set()  # paid off: take it off HAND_BUILT


def test_a_payload_type_has_one_handler() -> None:
    registry = build_registry()

    async def again(_ctx: object, _press: routes.ToMenu) -> None:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="ToMenu handled twice"):
        registry.on(routes.ToMenu)(again)  # type: ignore[arg-type]


def test_a_payload_is_declared_once() -> None:
    with pytest.raises(ValueError, match="payload menu: declared twice"):

        class Again(Press, route="menu"):
            pass


@pytest.mark.parametrize(
    "data",
    [
        "1:act:show:abc",  # a known route and verb, a field that is no id
        f"1:ini:card:{MAX_INT + 1}",
        "1:rsvp:who:1:2",
        "1:coach:snz:1",  # the weeks left off
        "1:kit:zzz",
        "1:menu:extra",
    ],
)
async def test_presses_no_type_reads_are_refused_kindly(driver: Driver, data: str) -> None:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    question = anna.last
    await anna.event(ButtonPress(data, "q-forged", None))
    assert "Die knop werkt niet meer." in anna.last
    assert question in anna.last  # and the question that was waiting, again
    assert driver.sender.answered[-1].text == "Die knop hoort bij een eerdere vraag."


def test_a_route_with_and_without_verbs_cannot_mistake_one_for_the_other() -> None:
    """`rsvp:<id>:<answer>` and `rsvp:who:<id>`: the verb-less type's first field must
    refuse every verb of its route, or decode would depend on the order of the checks."""
    for route, verb in DECLARED:
        if verb:
            plain = DECLARED.get((route, ""))
            if plain is not None:
                rest = ("1",) * (len(_codecs(plain)) - 1)
                assert plain.parse((verb, *rest)) is None, (route, verb)


def test_a_press_types_field_codecs_are_worked_out_once() -> None:
    """get_type_hints per pack and decode was most of a button's cost: cached per type."""
    from bot.core import payloads
    from bot.views.routes import ActShow

    payloads._CODECS.pop(ActShow, None)
    first = payloads._codecs(ActShow)
    assert payloads._CODECS[ActShow] is first
    assert payloads._codecs(ActShow) is first
