"""Texts: every entry in nl and en translated and not fuzzy, placeholders the
same on both sides, Babel's checks clean, and the template up to date."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from bot.i18n import placeholders, texts_for
from bot.i18n.catalogs import TEMPLATE, extract, load, untranslated


@pytest.fixture(scope="module")
def template_ids() -> set:
    return {message.id for message in extract() if message.id}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_entry_is_translated_and_not_fuzzy(lang: str) -> None:
    assert untranslated(load(lang)) == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_catalog_has_exactly_the_texts_in_the_code(lang: str, template_ids: set) -> None:
    ids = {message.id for message in load(lang) if message.id}
    assert ids - template_ids == set(), "texts no longer in the code: run `make catalogs`"
    assert template_ids - ids == set(), "new texts not in the catalog: run `make catalogs`"


def test_template_is_up_to_date(template_ids: set) -> None:
    with TEMPLATE.open("rb") as handle:
        stored = {message.id for message in read_po(handle) if message.id}
    assert stored == template_ids, "run `make catalogs` to refresh bot/i18n/buurbot.pot"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_babel_checks_are_clean_and_placeholders_match(lang: str) -> None:
    catalog = load(lang)
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert problems == []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(placeholders(text) for text in ids))
        for string in strings:
            assert placeholders(string) <= expected, f"{lang}: {message.id!r} -> {string!r}"
            if not isinstance(message.id, tuple):
                assert placeholders(string) == expected, f"{lang}: {message.id!r}"


def test_dates_are_written_the_dutch_way() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 summer time in Amsterdam
    assert texts_for("nl").when(moment) == "zondag 25 oktober om 01:30"
    assert texts_for("en").when(moment) == "Sunday 25 October at 01:30"


def test_english_is_the_source_language() -> None:
    for message in load("en"):
        if message.id:
            assert message.string == message.id, f"en entry differs from its msgid: {message.id!r}"
