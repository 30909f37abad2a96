"""Lengths in UTF-16 code units, as Telegram counts a text's 4096 characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.runtimes.common import _utf16, visible_length


def _counted_one_by_one(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_utf16_length_counts_each_character_as_telegram_does(text: str) -> None:
    assert _utf16(text) == _counted_one_by_one(text)


def test_utf16_length_of_plain_astral_and_lone_surrogates() -> None:
    assert _utf16("") == 0
    assert _utf16("Lindenlaan 4") == 12
    assert _utf16("één") == 3
    assert _utf16("🌳 boom") == 7  # the tree is two code units
    assert _utf16("a\ud800b") == 3  # a lone surrogate (cleaned later) is one unit
    assert visible_length("<b>🌳</b> &amp; ik") == 7
