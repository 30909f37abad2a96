"""The plain-Dutch guard: Buurbot's Dutch stays at B1 (2.5 million Dutch adults find
reading hard). `python -m bot.i18n.catalogs check` (and tests/test_catalogs.py) report

* a sentence of more than MAX_WORDS words,
* a word that is not common Dutch: its Zipf frequency in wordfreq's Dutch word list (a
  kept word-frequency library built from subtitles, Wikipedia, books, news and web text;
  https://pypi.org/project/wordfreq/) is below MIN_ZIPF (3.0 = once per million words),
  it is not a compound of common words ("groepschat" = "groep" + "chat", with the linking
  -s-/-e-/-en- of Dutch compounds), and it is not on ALLOWED, the short list of Buurbot's
  own words that the bot itself explains or that people meet in the street.

What is counted: the msgstr as a person reads it, without markup, placeholders, web
addresses and /commands; sentences end at . ! ? : ; a line break or a bullet. Date
patterns (EEEE d MMMM) are not text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from babel.messages.catalog import Catalog

MAX_WORDS = 20
MIN_ZIPF = 3.0

# Buurbot's own words and names: each is explained where the bot first uses it, or is the
# name of something people meet in the street. Keep this list short; prefer a plainer word.
ALLOWED = frozenset(
    {
        # the growth cycle and its roles (docs/GROWTH_CYCLE.md), and their Dutch phase names
        "buurtcoach",
        "buurtcoaches",
        "initiatiefnemer",
        "initiatiefnemers",
        "draagvlak",
        "draagvlakmeter",
        "verbinder",
        "rollencheck",
        "initiëren",
        "activeren",
        "structureren",
        "bestendigen",
        "straatgroep",
        "straatgroepen",
        "actiekit",
        "actiekits",
        "keukentafelgesprek",
        "uitnodigingslink",
        "groepsapp",
        "afvinken",
        "afgevinkt",
        "vinken",
        # names: the bot, the example street, kit names, the console's keys, units
        "buurbot",
        "lindelaan",
        "tegelwipdag",
        "ctrl",
        # the web console's file format and time zone, named as the screen shows them
        "csv",
        # an insulation measure by the name installers and quotes use
        "spouwmuurisolatie",
        "utc",
        "wattpiek",
        "wp",
    }
)

_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_NOT_WORDS = re.compile(r"https?://\S+|(?<!\w)/\w+|\S+@\S+|\S+\.(?:nl|org|com)\b")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+|•")
_LINKS = ("", "s", "e", "en")  # Dutch compounds: "groep-s-app", "pann-e-koek", "boek-en-kast"


@cache
def _frequency(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "nl"))


@cache
def common(word: str) -> bool:
    """Is this (lower-case) word common Dutch, or a compound of common Dutch words?"""
    if word in ALLOWED or _frequency(word) >= MIN_ZIPF:
        return True
    return _compound(word, parts=3)


def _compound(word: str, parts: int) -> bool:
    if parts < 2 or len(word) < 6:
        return False
    for cut in range(3, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        if _frequency(head) < MIN_ZIPF or len(head) < 3:
            continue
        for link in _LINKS:
            if not tail.startswith(link) or len(tail) - len(link) < 3:
                continue
            rest = tail[len(link) :]
            if _frequency(rest) >= MIN_ZIPF or rest in ALLOWED or _compound(rest, parts - 1):
                return True
    return False


def sentences(text: str) -> Iterator[list[str]]:
    """The words of each sentence a person reads in this text."""
    readable = _NOT_WORDS.sub(" ", _PLACEHOLDER.sub(" ", _TAG.sub("", text)))
    for sentence in _SENTENCE_END.split(readable):
        words = _WORD.findall(sentence)
        if words:
            yield words


def findings(text: str) -> list[str]:
    """What is not plain about one Dutch text ([] when it is plain)."""
    found = []
    for words in sentences(text):
        if len(words) > MAX_WORDS:
            found.append(f"{len(words)} words in a sentence: {' '.join(words[:8])} …")
        for word in words:
            for part in word.lower().replace("’", "'").split("-"):
                if part and "'" not in part and not common(part):
                    found.append(f"uncommon word {part!r}")
    return found


def catalog_findings(catalog: Catalog) -> Iterable[tuple[str, str, list[str]]]:
    """(msgid, msgstr, findings) of every Dutch entry that is not plain."""
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for string in strings:
            if not string or "EEE" in string:  # a date pattern, not a text
                continue
            found = findings(string)
            if found:
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                yield msgid, string, found


def report(catalog: Catalog) -> int:
    """Print what is not plain Dutch; the number of entries."""
    count = 0
    for _msgid, string, found in catalog_findings(catalog):
        count += 1
        print(f"nl: not plain Dutch ({'; '.join(dict.fromkeys(found))}): {string[:90]!r}")
    if count:
        print(
            "nl: write these simpler (short sentences, common words), or add a Buurbot word "
            "to ALLOWED in bot/i18n/plain_dutch.py"
        )
    return count
