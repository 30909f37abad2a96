"""Texts: gettext catalogs (nl, en) compiled by Babel, and locale-aware formatting.

Catalogs are compiled from the `.po` files in memory on first use, so a stale
`.mo` can never ship. Every value put into a text is HTML-escaped unless it is
already `Safe` — that is the one place where echoed user text is made harmless.
"""

from __future__ import annotations

import gettext
import html
import io
import string
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.config import SUPPORTED_LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "buurbot"
BABEL_LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def N_(msgid: str) -> str:
    """Marks a text for extraction; it is translated later, where it is shown."""
    return msgid


class Safe(str):
    """A string that is already safe HTML (a rendered text, or markup we wrote)."""

    __slots__ = ()


def escape(value: object) -> Safe:
    if isinstance(value, Safe):
        return value
    return Safe(html.escape(str(value), quote=False))


def pick_language(language_code: str | None, default: str) -> str:
    """Telegram's language code ("nl", "en-GB", "nl-BE") to one we speak."""
    if language_code:
        base = language_code.split("-")[0].split("_")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return default


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Texts:
    """Everything a person reads, in their language and time zone."""

    def __init__(self, lang: str, tz: ZoneInfo) -> None:
        self.lang = lang if lang in SUPPORTED_LANGUAGES else "nl"
        self.tz = tz
        self.locale = Locale.parse(BABEL_LOCALES[self.lang])
        self._translations = _catalog(self.lang)

    def _(self, msgid: str, /, **values: object) -> Safe:
        return self._fill(self._translations.gettext(msgid), values)

    def n_(self, singular: str, plural: str, n: int, /, **values: object) -> Safe:
        values.setdefault("n", self.number(n))
        return self._fill(self._translations.ngettext(singular, plural, n), values)

    @staticmethod
    def _fill(text: str, values: dict[str, object]) -> Safe:
        if not values:
            return Safe(text)
        return Safe(text.format(**{key: escape(value) for key, value in values.items()}))

    # Formatting patterns are texts too: each language says how it writes a date.
    def when(self, moment: datetime) -> str:
        return format_datetime(
            moment, self._("EEEE d MMMM 'at' HH:mm"), tzinfo=self.tz, locale=self.locale
        )

    def day(self, value: date) -> str:
        return format_date(value, self._("EEEE d MMMM"), locale=self.locale)

    def short_when(self, moment: datetime) -> str:
        return format_datetime(
            moment, self._("EEE d MMM HH:mm"), tzinfo=self.tz, locale=self.locale
        )

    def time(self, moment: datetime) -> str:
        return format_time(moment, "HH:mm", tzinfo=self.tz, locale=self.locale)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.locale)


@lru_cache(maxsize=64)
def texts_for(lang: str, timezone: str = "Europe/Amsterdam") -> Texts:
    return Texts(lang, ZoneInfo(timezone))
