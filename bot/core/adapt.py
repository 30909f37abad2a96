"""What the core produces, fitted to what a network can show (`seam.Capabilities`).

The core speaks in the richest form: safe HTML, keyboards of any size, edits in place,
polls, pins. A sender whose network cannot show that passes each `Outgoing` through
`adapt`, and gets `Shown` messages it can send as they are:

- **markup**: HTML becomes WhatsApp markup (`*bold*`, `_italic_`, `~strike~`, ```mono```);
  a marker character that was text (typed by a person, or in a catalog text) is neutralised
  with a word joiner, so it can never pair up into formatting;
- **choices**: up to `buttons_per_message` short labels stay buttons; more choices, or a
  label too long for a button, become a list; beyond `list_rows` rows the list is paged,
  the last row of each page "More…" (a payload the sender answers with the next page);
- **labels**: over the limit, a label's short form from the catalogs (`bot.core.labels`); failing
  that it is cut at a word with "…" and the whole label goes into the row's description;
- **web-address buttons**: where a network has none, the address goes into the text;
- **edit in place** becomes a new message; a **pin** is left out;
- **a poll** becomes a list question; the answer comes back as a `PollAnswer`
  (the sender maps the row), so the tally is kept by Buurbot as for any poll.

Nothing here knows a network by name; flows never test for one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.seam import (
    AnswerButton,
    Button,
    Capabilities,
    EditText,
    Keyboard,
    Markup,
    Outgoing,
    PinMessage,
    SendDocument,
    SendPoll,
    SendText,
    StopPoll,
)
from bot.i18n import Safe, Texts, texts_for

__all__ = [
    "MORE",
    "POLL",
    "Choice",
    "Shown",
    "adapt",
    "fit_label",
    "plain",
    "to_markup",
]

# Payload prefixes the sender itself answers: the next page of a list, a poll's row.
MORE = "~more:"
POLL = "~poll:"
ELLIPSIS = "…"
WORD_JOINER = "\u2060"

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_MARKERS = re.compile(r"([*_~`])")
_WHATSAPP_TAGS = {
    "b": "*",
    "strong": "*",
    "i": "_",
    "em": "_",
    "s": "~",
    "strike": "~",
    "del": "~",
    "code": "`",
    "pre": "```",
}


def plain(label: str) -> str:
    """A label as a person reads it: a catalog text (`Safe`) loses its markup, any other
    label (typed by someone) is shown exactly as typed."""
    if isinstance(label, Safe):
        return html.unescape(_TAG.sub("", label))
    return label


def _neutralised(text: str) -> str:
    return _MARKERS.sub(lambda found: found.group(1) + WORD_JOINER, text)


def to_markup(text: str, markup: Markup) -> str:
    """Safe HTML as `markup`. For WhatsApp: the tags become its markers, a link its text
    followed by its address, and literal marker characters cannot format anything."""
    if markup is Markup.HTML:
        return text
    out: list[str] = []
    links: list[str] = []
    position = 0
    for found in _TAG.finditer(text):
        out.append(_neutralised(html.unescape(text[position : found.start()])))
        position = found.end()
        closing, name, attributes = found.group(1), found.group(2).lower(), found.group(3)
        if name in _WHATSAPP_TAGS:
            out.append(_WHATSAPP_TAGS[name])
        elif name == "a":
            if closing:
                address = links.pop() if links else ""
                if address:
                    out.append(f" ({address})")
            else:
                href = _HREF.search(attributes or "")
                links.append(html.unescape((href.group(1) or href.group(2)) if href else ""))
        elif name == "br":
            out.append("\n")
        # any other tag (u, span, tg-spoiler, blockquote) shows its text only
    out.append(_neutralised(html.unescape(text[position:])))
    return "".join(out)


def fit_label(
    label: str, limit: int | None, short: Callable[[str], str | None] | None = None
) -> tuple[str, bool]:
    """The label within `limit` characters, and whether it had to be cut: its short form
    when it has one that fits, else cut at a word with "…"."""
    text = " ".join(plain(label).split())
    if limit is None or len(text) <= limit:
        return text, False
    shorter = short(text) if short is not None else None
    if shorter and len(shorter) <= limit:
        return shorter, False
    room = limit - len(ELLIPSIS)
    cut = text[:room]
    if " " in cut and text[room : room + 1] not in ("", " "):
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.:;-") + ELLIPSIS, True


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    payload: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Shown:
    """One message as the network shows it. `pages` holds a list's rows page by page (the
    first page is sent; "More…" asks for the next)."""

    chat_id: int
    text: str
    buttons: tuple[Choice, ...] = ()
    pages: tuple[tuple[Choice, ...], ...] = ()
    list_button: str = ""
    document: SendDocument | None = None
    poll: SendPoll | None = None
    remember_as: str | None = None
    # Labels cut with "…" for want of a short form (a test keeps catalog labels out).
    cut_labels: tuple[str, ...] = field(default=())

    @property
    def is_list(self) -> bool:
        return bool(self.pages)


def adapt(
    action: Outgoing,
    capabilities: Capabilities,
    *,
    lang: str = "nl",
    short: Callable[[str], str | None] | None = None,
) -> list[Shown]:
    """`action` as messages the network can show (none: nothing to show there)."""
    texts = texts_for(lang)
    markup = capabilities.markup
    if isinstance(action, SendText):
        return [
            _message(
                action.chat_id, action.text, action.buttons, capabilities, texts, short,
                remember_as=action.remember_as,
            )
        ]  # fmt: skip
    if isinstance(action, EditText):
        # No edits: the changed text is said again, as a new message.
        return [_message(action.chat_id, action.text, action.buttons, capabilities, texts, short)]
    if isinstance(action, SendPoll):
        if capabilities.polls:
            return [Shown(action.chat_id, action.question, poll=action)]
        rows = tuple(
            (Button(option, payload=f"{POLL}{index}"),)
            for index, option in enumerate(action.options)
        )
        shown = _message(
            action.chat_id, action.question, rows, capabilities, texts, short,
            remember_as=action.remember_as, force_list=True,
        )  # fmt: skip
        return [_with_poll(shown, action)]
    if isinstance(action, SendDocument):
        if not capabilities.documents:
            return [Shown(action.chat_id, to_markup(action.if_refused or action.caption, markup))]
        return [
            Shown(
                action.chat_id,
                to_markup(action.caption, markup),
                document=action,
            )
        ]
    # A pin, a stopped poll, a button's answer: nothing a person reads (where the network
    # has them, its sender sends them as they are).
    if isinstance(action, PinMessage | StopPoll | AnswerButton):
        return []
    raise TypeError(f"cannot adapt {type(action).__name__}")


def _with_poll(shown: Shown, poll: SendPoll) -> Shown:
    return Shown(
        shown.chat_id,
        shown.text,
        shown.buttons,
        shown.pages,
        shown.list_button,
        poll=poll,
        remember_as=shown.remember_as,
        cut_labels=shown.cut_labels,
    )


def _message(
    chat_id: int,
    text: str,
    keyboard: Keyboard,
    capabilities: Capabilities,
    texts: Texts,
    short: Callable[[str], str | None] | None,
    *,
    remember_as: str | None = None,
    force_list: bool = False,
) -> Shown:
    markup = capabilities.markup
    body = to_markup(text, markup)
    choices: list[Choice] = []
    links: list[str] = []
    for row in keyboard:
        for button in row:
            if button.url is not None and not capabilities.url_buttons:
                links.append(f"{plain(button.label)}: {button.url}")
            elif button.payload is not None:
                choices.append(Choice(plain(button.label), button.payload))
    if links:
        body = body + "\n\n" + "\n".join(_neutralised(line) for line in links)
    if not choices or (capabilities.button_label is None and not force_list):
        return Shown(chat_id, body, tuple(choices), remember_as=remember_as)
    fits_buttons = (
        not force_list
        and len(choices) <= (capabilities.buttons_per_message or len(choices))
        and all(fit_label(c.label, capabilities.button_label, short)[1] is False for c in choices)
    )
    if fits_buttons or not capabilities.list_rows:
        cut: list[str] = []
        buttons = []
        for choice in choices[: capabilities.buttons_per_message]:
            label, was_cut = fit_label(choice.label, capabilities.button_label, short)
            if was_cut:
                cut.append(choice.label)
            buttons.append(Choice(label, choice.payload))
        return Shown(chat_id, body, tuple(buttons), remember_as=remember_as, cut_labels=tuple(cut))
    rows: list[Choice] = []
    cut = []
    for choice in choices:
        label, was_cut = fit_label(choice.label, capabilities.row_label, short)
        description = ""
        if was_cut:
            cut.append(choice.label)
            description = fit_label(choice.label, capabilities.row_description)[0]
        rows.append(Choice(label, choice.payload, description))
    pages = _pages(rows, capabilities.list_rows, texts, short, capabilities.row_label)
    opener = fit_label(texts._("Choose"), capabilities.list_button, short)[0]
    return Shown(
        chat_id,
        body,
        pages=pages,
        list_button=opener,
        remember_as=remember_as,
        cut_labels=tuple(cut),
    )


def _pages(
    rows: list[Choice],
    per_page: int,
    texts: Texts,
    short: Callable[[str], str | None] | None,
    limit: int | None,
) -> tuple[tuple[Choice, ...], ...]:
    if len(rows) <= per_page:
        return (tuple(rows),)
    more = fit_label(texts._("More…"), limit, short)[0]
    pages: list[tuple[Choice, ...]] = []
    rest = rows
    while len(rest) > per_page:
        page, rest = rest[: per_page - 1], rest[per_page - 1 :]
        pages.append((*page, Choice(more, f"{MORE}{len(pages) + 1}")))
    pages.append(tuple(rest))
    return tuple(pages)
