"""Short labels (bot/core/labels.py) and the adapting of the core's output to WhatsApp
(bot/core/adapt.py): every short form fits a button in every language; lists, paging, markup."""

from __future__ import annotations

import pytest

from bot.core.adapt import MORE, WORD_JOINER, adapt, fit_label, to_markup
from bot.core.config import SUPPORTED_LANGUAGES
from bot.core.labels import BUTTON_LIMIT, SHORT, short_label
from bot.core.seam import TELEGRAM, WHATSAPP, Button, EditText, Markup, SendPoll, SendText
from bot.i18n import Safe, texts_for


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_short_form_fits_a_button(lang: str) -> None:
    texts = texts_for(lang)
    for long, short in SHORT.items():
        shown = str(texts._(short))
        assert len(shown) <= BUTTON_LIMIT, (lang, long, shown)
        assert short_label(str(texts._(long))) in (shown, None)


def test_a_long_catalog_label_uses_its_short_form_and_a_typed_one_is_cut() -> None:
    assert fit_label("Doe mijn rollencheck opnieuw", 20, short_label) == (
        "Rollencheck opnieuw",
        False,
    )
    text, cut = fit_label("Tegels eruit en planten erin, zodat", 24, short_label)
    assert cut and len(text) <= 24 and text.endswith("…")


def test_html_becomes_whatsapp_markup_and_typed_markers_stay_text() -> None:
    html = Safe('<b>Plan</b> &amp; <i>doe</i> <a href="https://x.nl/a">hier</a> *niet vet*')
    assert to_markup(html, Markup.WHATSAPP) == (
        f"*Plan* & _doe_ hier (https://x.nl/a) *{WORD_JOINER}niet vet*{WORD_JOINER}"
    )
    assert to_markup(html, Markup.HTML) == html


def test_choices_become_buttons_a_list_or_pages() -> None:
    three = (
        (Button("Ja", payload="1:a"), Button("Nee", payload="1:b")),
        (Button("Later", payload="1:c"),),
    )
    (shown,) = adapt(SendText(5, "Kies", three), WHATSAPP)
    assert [c.label for c in shown.buttons] == ["Ja", "Nee", "Later"] and not shown.is_list
    many = tuple((Button(f"Optie {n}", payload=f"1:o:{n}"),) for n in range(23))
    (listed,) = adapt(SendText(5, "Kies", many), WHATSAPP, lang="nl")
    assert [len(page) for page in listed.pages] == [10, 10, 5]
    assert listed.pages[0][-1].payload == f"{MORE}1" and listed.pages[0][-1].label == "Meer…"
    shown_rows = [
        c.payload for page in listed.pages for c in page if not c.payload.startswith(MORE)
    ]
    assert shown_rows == [f"1:o:{n}" for n in range(23)]
    # On Telegram nothing changes.
    (same,) = adapt(SendText(5, "Kies", many), TELEGRAM)
    assert len(same.buttons) == 23 and not same.is_list


def test_an_edit_is_a_new_message_and_a_poll_a_list_question() -> None:
    (edited,) = adapt(EditText(5, 77, "<b>Nieuw</b>"), WHATSAPP)
    assert edited.text == "*Nieuw*"
    (poll,) = adapt(SendPoll(5, "Wanneer?", ("ma", "di", "wo", "do")), WHATSAPP)
    assert poll.poll is not None and [c.payload for c in poll.pages[0]] == [
        "~poll:0",
        "~poll:1",
        "~poll:2",
        "~poll:3",
    ]
