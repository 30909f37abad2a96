"""Texts: gettext catalogs (nl, en, tr, pl, ar, uk) compiled by Babel, and locale-aware
formatting (dates, weekdays and numbers through Babel in the person's locale).

The `.po` files are the truth: a catalog is compiled from the `.po` text on
first use and cached under that text's hash, so a stale `.mo` can never be read.
Every value put into a text is HTML-escaped unless it is already `Safe` — that
is the one place where echoed user text is made harmless. Babel is imported
where it is used, because the first prompt needs neither its reader nor its
date formats.

Right-to-left languages (Arabic): every value put into a text is wrapped in Unicode
isolates (FSI … PDI), so a Latin name, a postcode or a date inside an Arabic sentence
keeps its own order and does not drag the punctuation around it along.
"""

from __future__ import annotations

import gettext
import hashlib
import html
import io
import logging
import os
import string
import struct
from datetime import date, datetime
from datetime import time as dt_time
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.config import SUPPORTED_LANGUAGES

if TYPE_CHECKING:
    from babel import Locale

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "buurbot"
BABEL_LOCALES = {
    "nl": "nl_NL",
    "en": "en_GB",
    "tr": "tr_TR",
    "pl": "pl_PL",
    "ar": "ar",
    "uk": "uk_UA",
}
RTL_LANGUAGES = frozenset({"ar"})
# Arabic numbers in Latin digits, like the times and dates around them (and like the
# digits people type): one script for all numbers in a sentence.
NUMBERING = {"ar": "latn"}
FSI, PDI = "\u2068", "\u2069"  # first strong isolate, pop directional isolate


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


def isolate(value: object) -> Safe:
    """A value for a right-to-left sentence: escaped, and kept in its own direction. A
    web address is left bare: a link recogniser could take the isolate for part of it
    (and a URL keeps its own order anyway)."""
    safe = escape(value)
    if not safe or (safe.startswith(FSI) and safe.endswith(PDI)) or "://" in safe:
        return safe
    return Safe(f"{FSI}{safe}{PDI}")


def pick_language(language_code: str | None, default: str) -> str:
    """Telegram's language code ("nl", "en-GB", "nl-BE") to one we speak."""
    if language_code:
        base = language_code.split("-")[0].split("_")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return default


# A phone number's country code as a hint of the language (WhatsApp gives no language of
# a person): where one of ours is the country's language. Country codes are prefix-free.
PHONE_LANGUAGES = {
    **dict.fromkeys(("31", "32", "297", "597", "599"), "nl"),
    **dict.fromkeys(("1", "44", "353", "61", "64"), "en"),
    "90": "tr",
    "48": "pl",
    "380": "uk",
    **dict.fromkeys(
        "20 212 213 216 218 249 961 962 963 964 965 966 967 968 970 971 973 974".split(), "ar"
    ),
}


def language_of_number(number: str) -> str | None:
    """The language a phone number's country code suggests ("905…" Turkish), for
    `pick_language`; None where we speak none of the country's languages."""
    digits = number.lstrip("+")
    for length in (3, 2, 1):
        found = PHONE_LANGUAGES.get(digits[:length])
        if found:
            return found
    return None


# The catalogs read so far, by language: each is read at its first use, and kept.
_CATALOGS: dict[str, gettext.NullTranslations] = {}


def _catalog(lang: str) -> gettext.NullTranslations:
    catalog = _CATALOGS.get(lang)
    if catalog is None:
        catalog = _CATALOGS[lang] = _read_catalog(lang)
    return catalog


def _read_catalog(lang: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    return compiled_catalog(po_path.read_bytes(), lang)


def mo_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "buurbot"


def compiled_catalog(po: bytes, lang: str) -> gettext.GNUTranslations:
    """The catalog of exactly this `.po` text.

    Babel compiles it once; the result is kept in a cache file named after the
    text's hash, so later starts read it in milliseconds and a stale `.mo` can
    never be used. A cache that cannot be read or written only costs the compile.
    """
    cached = mo_cache_dir() / f"{DOMAIN}-{lang}-{hashlib.sha256(po).hexdigest()[:32]}.mo"
    try:
        return gettext.GNUTranslations(io.BytesIO(cached.read_bytes()))
    except (OSError, ValueError, IndexError, struct.error):
        pass  # not there yet (or damaged): compile it
    mo = compile_po(po, lang)
    _keep_in_cache(cached, mo)
    return gettext.GNUTranslations(io.BytesIO(mo))


def compile_po(po: bytes, lang: str) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(po), locale=lang), use_fuzzy=False)
    return buffer.getvalue()


def _keep_in_cache(cached: Path, mo: bytes) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for older in cached.parent.glob(cached.name.rsplit("-", 1)[0] + "-*.mo"):
            older.unlink(missing_ok=True)  # earlier versions of this catalog
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        partial.write_bytes(mo)
        partial.replace(cached)  # atomic: a reader sees all of it or nothing
    except OSError as error:
        log.info("catalog cache not written (%s); compiling at every start", error)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Texts:
    """Everything a person reads, in their language and time zone."""

    def __init__(self, lang: str, tz: ZoneInfo, *, keep: bool = True) -> None:
        self.lang = lang if lang in SUPPORTED_LANGUAGES else "nl"
        self.tz = tz
        # keep=False (`passing_texts`): a catalog not read yet is read for this object only.
        self._translations = (
            _catalog(self.lang) if keep or self.lang in _CATALOGS else _read_catalog(self.lang)
        )
        self.rtl = self.lang in RTL_LANGUAGES

    @cached_property
    def locale(self) -> Locale:
        from babel import Locale

        return Locale.parse(BABEL_LOCALES[self.lang])

    def _(self, msgid: str, /, **values: object) -> Safe:
        return self._fill(self._translations.gettext(msgid), values)

    def n_(self, singular: str, plural: str, n: int, /, **values: object) -> Safe:
        values.setdefault("n", self.number(n))
        return self._fill(self._translations.ngettext(singular, plural, n), values)

    def _fill(self, text: str, values: dict[str, object]) -> Safe:
        if not values:
            return Safe(text)
        if self.rtl:
            return Safe(text.format(**{key: isolate(value) for key, value in values.items()}))
        return Safe(text.format(**{key: escape(value) for key, value in values.items()}))

    # Formatting patterns are texts too: each language says how it writes a date.
    def when(self, moment: datetime) -> str:
        from babel.dates import format_datetime

        return format_datetime(
            moment, self._("EEEE d MMMM 'at' HH:mm"), tzinfo=self.tz, locale=self.locale
        )

    def day(self, value: date) -> str:
        from babel.dates import format_date

        return format_date(value, self._("EEEE d MMMM"), locale=self.locale)

    def short_when(self, moment: datetime) -> str:
        from babel.dates import format_datetime

        return format_datetime(
            moment, self._("EEE d MMM HH:mm"), tzinfo=self.tz, locale=self.locale
        )

    def time(self, moment: datetime) -> str:
        from babel.dates import format_time

        return format_time(moment, "HH:mm", tzinfo=self.tz, locale=self.locale)

    def clock(self, value: dt_time) -> str:
        """A time of day without a date (quiet hours): 22:00."""
        from babel.dates import format_time

        return format_time(value, "HH:mm", locale=self.locale)

    def number(self, value: float | int | Decimal) -> str:
        from babel.numbers import format_decimal

        return format_decimal(
            value, locale=self.locale, numbering_system=NUMBERING.get(self.lang, "default")
        )


@lru_cache(maxsize=64)
def texts_for(lang: str, timezone: str = "Europe/Amsterdam") -> Texts:
    return Texts(lang, ZoneInfo(timezone))


def passing_texts(lang: str) -> Texts:
    """Texts for a one-off use that need not keep a catalog: a Telegram bot's command
    menus and descriptions, set at every start in all six languages. A catalog already
    read is used; one that is not is read for these texts alone and goes with them, so a
    bot whose people speak one or two languages does not hold the other catalogs (about
    half a MB each) for as long as it runs."""
    return Texts(lang, ZoneInfo("Europe/Amsterdam"), keep=False)
