"""bot.core.understand: the words people type for buttons and commands, and numbers in words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.understand import MEANINGS, command_word, fold, means, parse_count


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("2", 2), (" 2 ", 2), ("2.", 2), ("2 personen", 2), ("2 people", 2), ("twee", 2),
        ("Twee!", 2), ("tien", 10), ("ten", 10), ("twaalf mensen", 12), ("één", 1),
        ("een", 1), ("one", 1), ("vijfentwintig", 25), ("tweeëntwintig", 22),
        ("twenty-five", 25), ("twenty five", 25), ("honderd", 100), ("tweehonderdvijftig", 250),
        ("a hundred and five", 105), ("duizend", 1000), ("two thousand", 2000),
        ("1.000", 1000), ("1,000", 1000), ("1 000", 1000), ("about 20", 20),
        ("ongeveer 30 huishoudens", 30), ("max 40", 40), ("geen", 0), ("niemand", 0),
        ("0", 0), ("er kwamen 12 mensen", 12),
    ],
)  # fmt: skip
def test_numbers_as_people_type_them(typed: str, number: int) -> None:
    assert parse_count(typed) == number


@pytest.mark.parametrize(
    "typed",
    ["", "veel", "a", "an", "2-3", "2 of 3", "2,5", "1.5", "-3", "− 3", "12a", "zes zeven",
     "twee 2", "the", "honderdduizendmiljoen", "ergens tussen tien en twintig"],
)  # fmt: skip
def test_what_is_not_one_number(typed: str) -> None:
    assert parse_count(typed) is None


@given(st.integers(min_value=0, max_value=10**9))
def test_every_number_in_digits_reads_back(number: int) -> None:
    assert parse_count(str(number)) == number


@given(st.text(max_size=40))
def test_any_text_gives_a_number_or_none(text: str) -> None:
    found = parse_count(text)
    assert found is None or found >= 0


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [
        ("ja", "yes"), ("Ja!", "yes"), ("ok", "yes"), ("Oké", "yes"), ("klopt", "yes"),
        ("prima", "yes"), ("yes", "yes"), ("👍", "yes"), ("nee", "no"), ("Nee hoor.", "no"),
        ("liever niet", "no"), ("no", "no"), ("liever niet", "skip"), ("overslaan", "skip"),
        ("weet ik niet", "skip"), ("geen limiet", "none"), ("later", "later"),
        ("terug", "back"),
    ],
)  # fmt: skip
def test_words_that_mean_a_button(typed: str, meaning: str) -> None:
    assert means(typed, meaning)


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [("ja", "no"), ("nee", "yes"), ("misschien", "yes"), ("ja nee", "yes"), ("", "yes"),
     ("ja", "unknown meaning")],
)  # fmt: skip
def test_words_that_do_not(typed: str, meaning: str) -> None:
    assert not means(typed, meaning)


def test_no_word_means_both_yes_and_no() -> None:
    yes = {fold(w) for words in MEANINGS["yes"].values() for w in words}
    no = {fold(w) for words in MEANINGS["no"].values() for w in words}
    assert yes & no == set()


@pytest.mark.parametrize(
    ("typed", "command"),
    [("stop", "stop"), ("Stop!", "stop"), ("annuleren", "stop"), ("cancel", "stop"),
     ("menu", "menu"), ("/menu", "menu"), ("terug", "menu"), ("back", "menu"),
     ("hulp", "hulp"), ("HELP", "hulp"), ("stop ermee maar", None), ("ja", None), ("", None)],
)  # fmt: skip
def test_command_words(typed: str, command: str | None) -> None:
    assert command_word(typed) == command


def test_fold_keeps_words_and_drops_what_is_around_them() -> None:
    assert fold("  “Geen   limiet”! ") == "geen limiet"
    assert fold("Volgende ▶") == "volgende"
    assert fold("👍") == "👍"
