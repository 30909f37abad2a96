"""Texts: every entry in every language translated and not fuzzy, placeholders and
markup the same on both sides, each language's CLDR plural forms, Babel's checks clean,
the template up to date; fragments fill the catalog their Language header names; `todo`
writes a skeleton that, filled in, completes the catalog; RTL values are isolated."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from bot.i18n import placeholders, texts_for
from bot.i18n.catalogs import LANGUAGES, TEMPLATE, extract, load, untranslated


@pytest.fixture(scope="module")
def template_ids() -> set:
    return {message.id for message in extract() if message.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang: str) -> None:
    assert untranslated(load(lang)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_has_exactly_the_texts_in_the_code(lang: str, template_ids: set) -> None:
    ids = {message.id for message in load(lang) if message.id}
    assert ids - template_ids == set(), "texts no longer in the code: run `make catalogs`"
    assert template_ids - ids == set(), "new texts not in the catalog: run `make catalogs`"


def test_template_is_up_to_date(template_ids: set) -> None:
    with TEMPLATE.open("rb") as handle:
        stored = {message.id for message in read_po(handle) if message.id}
    assert stored == template_ids, "run `make catalogs` to refresh bot/i18n/buurbot.pot"


@pytest.mark.parametrize("lang", LANGUAGES)
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


@pytest.mark.parametrize(("lang", "forms"), [("tr", 2), ("pl", 3), ("uk", 3), ("ar", 6)])
def test_plural_forms_follow_cldr(lang: str, forms: int) -> None:
    catalog = load(lang)
    assert catalog.num_plurals == forms
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert plurals and all(len(m.string) == forms for m in plurals)


def test_a_translation_that_drops_markup_or_a_placeholder_is_not_complete() -> None:
    from babel.messages.catalog import Message

    from bot.i18n.catalogs import problems_of

    msgid = "<b>{title}</b> starts at {time}"
    assert problems_of(Message(msgid, "<b>{title}</b> {time}'da başlıyor"), 2) == []
    assert problems_of(Message(msgid, "{title} {time}'da başlıyor"), 2) == [
        "markup differs from the msgid"
    ]
    assert "placeholders" in problems_of(Message(msgid, "<b>{title}</b> başlıyor"), 2)[0]
    assert problems_of(Message(msgid, "<b>{title}</b> {tijd}"), 2)[0].startswith("placeholders")
    plural = ("{n} neighbour", "{n} neighbours")
    assert problems_of(Message(plural, ("jeden sąsiad", "{n} sąsiadów", "")), 3) == ["untranslated"]
    assert problems_of(Message(plural, ("jeden sąsiad", "{n} sąsiedzi")), 3)[0].startswith("2 ")
    assert problems_of(Message(msgid, "x", flags={"fuzzy"}), 2) == ["fuzzy"]


def test_todo_writes_a_skeleton_that_fills_the_catalog_named_in_its_header(
    tmp_path, monkeypatch
) -> None:
    """A translator's delta: `todo` lists what is missing, the filled skeleton is a
    fragment, and `fragments()` hands it to that language only."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from bot.i18n import catalogs

    catalog = Catalog(locale="pl")
    catalog.add("Done", "Gotowe")
    catalog.add("New text", "")
    catalog.add(("{n} neighbour", "{n} neighbours"), ("{n} sąsiad", "", ""))
    monkeypatch.setattr(catalogs, "load", lambda lang: catalog if lang == "pl" else load(lang))
    out = tmp_path / "todo-pl.po"
    assert catalogs.todo("pl", out) == 1
    with out.open("rb") as handle:
        skeleton = read_po(handle)
    assert str(skeleton.locale) == "pl"
    assert [m.id for m in skeleton if m.id] == ["New text", ("{n} neighbour", "{n} neighbours")]
    skeleton["New text"].string = "Nowy tekst"
    skeleton["{n} neighbour"].string = ("{n} sąsiad", "{n} sąsiadów", "{n} sąsiada")
    monkeypatch.setattr(catalogs, "FRAGMENTS", tmp_path)
    with out.open("wb") as handle:
        write_po(handle, skeleton)
    delivered = catalogs.fragments("pl")
    assert delivered["New text"] == "Nowy tekst"
    assert delivered[("{n} neighbour", "{n} neighbours")][2] == "{n} sąsiada"
    assert catalogs.fragments("tr") == {}


def test_values_in_arabic_sentences_keep_their_own_direction() -> None:
    from bot.i18n import FSI, PDI

    arabic = texts_for("ar")
    shown = arabic._("{title} ({days})", title="Repair Café <Noord>", days="12-05")
    assert shown.count(FSI) == 2 and shown.count(PDI) == 2
    assert f"{FSI}Repair Café &lt;Noord&gt;{PDI}" in shown  # escaped, then isolated
    assert FSI not in texts_for("tr")._("{title} ({days})", title="Ayşe", days="3")
    link = arabic._("{title}: {question}", title="x", question="https://t.me/b?start=join-1")
    assert link.endswith(": https://t.me/b?start=join-1")  # a link stays recognisable
    assert arabic.number(1234) == "1,234"  # Latin digits, like the dates around them


def test_the_dutch_catalog_is_plain_dutch() -> None:
    from bot.i18n.plain_dutch import catalog_findings

    assert [(msgid, found) for msgid, _, found in catalog_findings(load("nl"))] == []


def test_the_plain_dutch_guard_flags_long_sentences_and_uncommon_words() -> None:
    from bot.i18n.plain_dutch import findings

    assert findings("Tik op <b>{title}</b> of ga naar https://example.nl en typ /menu.") == []
    assert findings("Stuur het in de groepschat van de buurtcoach.") == []  # compounds, allowed
    assert findings("De gemeente expliciteert de subsidiëring.") == [
        "uncommon word 'expliciteert'",
        "uncommon word 'subsidiëring'",
    ]
    long_one = " ".join(["buren"] * 21) + "."
    assert findings(long_one) == [
        "21 words in a sentence: buren buren buren buren buren buren buren buren …"
    ]
    assert findings(" ".join(["buren"] * 20) + ". En nog één.") == []
