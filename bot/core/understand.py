"""What people type instead of pressing a button: words that mean a button, words that
mean a command, and numbers written in digits or in words (Dutch and English; the
button and command words also in Turkish, Polish, Arabic and Ukrainian).

Pure data and pure functions: the flow machinery (bot/core/conversation.py) matches typed
text to the buttons on screen with these, and every question that asks a number parses
it with `parse_count`. Every language is always understood: people mix them.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["COMMAND_WORDS", "MEANINGS", "command_word", "fold", "means", "parse_count"]

# What a button means, and what people type for it. A `Choice` means one of these by its
# `means` field, or by its key when the key is one of them ("yes", "no", "skip", ...).
# fmt: off
MEANINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "yes": {
        "nl": ("ja", "j", "jawel", "ja hoor", "ja graag", "jazeker", "zeker", "ok", "oke",
               "okay", "okido", "klopt", "dat klopt", "prima", "goed", "is goed", "dat is goed",
               "akkoord", "doe maar", "graag", "top", "helemaal goed", "👍"),
        "en": ("yes", "y", "yeah", "yep", "yup", "yes please", "sure", "of course", "fine",
               "that's fine", "that is fine", "right", "correct", "that's right", "agreed",
               "okay", "ok", "go ahead", "please do"),
        "tr": ("evet", "e", "tamam", "olur", "tabii", "tabi", "elbette", "peki", "aynen",
               "doğru", "kabul"),
        "pl": ("tak", "t", "jasne", "pewnie", "oczywiście", "dobrze", "zgoda", "okej",
               "tak proszę", "może być", "racja"),
        "ar": ("نعم", "أجل", "اجل", "ايوه", "أيوه", "حسنا", "حسنًا", "موافق", "طيب", "تمام",
               "بالتأكيد", "اكيد", "أكيد"),
        "uk": ("так", "т", "так звісно", "звісно", "звичайно", "гаразд", "добре", "згоден",
               "згодна", "авжеж", "ок"),
    },
    "no": {
        "nl": ("nee", "n", "neen", "nee hoor", "nee dank je", "nee bedankt", "niet",
               "liever niet", "nope", "niet doen", "nee liever niet", "👎"),
        "en": ("no", "nope", "nah", "no thanks", "no thank you", "rather not", "don't",
               "do not"),
        "tr": ("hayır", "h", "yok", "istemiyorum", "hayır teşekkürler", "gerek yok", "olmaz"),
        "pl": ("nie", "n", "nie dziękuję", "raczej nie", "nie trzeba"),
        "ar": ("لا", "كلا", "لا شكرا", "لا شكرًا", "لا داعي"),
        "uk": ("ні", "н", "ні дякую", "не треба", "краще ні"),
    },
    "skip": {  # "Skip", "I would rather not say", "I don't know"
        "nl": ("overslaan", "sla over", "skip", "liever niet", "zeg ik liever niet",
               "weet ik niet", "geen idee"),
        "en": ("skip", "skip it", "pass", "rather not", "i'd rather not", "i don't know",
               "no idea"),
        "tr": ("atla", "geç", "bilmiyorum", "söylemeyeyim", "fikrim yok"),
        "pl": ("pomiń", "dalej", "nie wiem", "wolę nie mówić", "nie mam pojęcia"),
        "ar": ("تخطى", "تخطي", "لا أعرف", "لا اعرف", "أفضل ألا أقول"),
        "uk": ("пропустити", "пропусти", "не знаю", "краще не казати", "гадки не маю"),
    },
    "none": {  # "No limit", "No link"
        "nl": ("geen", "geen limiet", "onbeperkt", "geen maximum", "maakt niet uit"),
        "en": ("none", "no limit", "unlimited", "no maximum", "doesn't matter"),
        "tr": ("sınırsız", "sınır yok", "fark etmez", "farketmez"),
        "pl": ("bez limitu", "brak", "bez ograniczeń", "nieważne", "wszystko jedno"),
        "ar": ("بلا حد", "بدون حد", "لا يهم", "غير محدود"),
        "uk": ("без ліміту", "без обмежень", "неважливо", "немає"),
    },
    "later": {
        "nl": ("later", "straks", "later beslissen", "weet ik nog niet", "nog niet"),
        "en": ("later", "decide later", "not yet", "another time"),
        "tr": ("sonra", "daha sonra", "henüz değil", "sonra karar veririm"),
        "pl": ("później", "potem", "jeszcze nie", "zdecyduję później"),
        "ar": ("لاحقا", "لاحقًا", "فيما بعد", "ليس الآن", "ليس بعد"),
        "uk": ("пізніше", "потім", "ще ні", "вирішу пізніше"),
    },
    "back": {
        "nl": ("terug", "ga terug", "vorige"),
        "en": ("back", "go back", "previous"),
        "tr": ("geri", "geri dön", "önceki"),
        "pl": ("wróć", "wstecz", "cofnij", "poprzedni"),
        "ar": ("رجوع", "عودة", "السابق"),
        "uk": ("назад", "повернутися", "попередній"),
    },
}

# Words that work like a command when they are the whole message.
COMMAND_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {
        "nl": ("stop", "stoppen", "ophouden", "annuleren", "annuleer", "afbreken"),
        "en": ("stop", "cancel", "quit"),
        "tr": ("dur", "iptal", "vazgeç", "bitir"),
        "pl": ("stop", "anuluj", "przerwij", "koniec"),
        "ar": ("توقف", "إلغاء", "الغاء", "إيقاف"),
        "uk": ("стоп", "скасувати", "зупинись", "досить"),
    },
    "menu": {
        "nl": ("menu", "hoofdmenu", "terug", "terug naar het menu"),
        "en": ("menu", "main menu", "back", "back to the menu"),
        "tr": ("menü", "ana menü", "menüye dön"),
        "pl": ("menu", "menu główne", "wróć do menu"),
        "ar": ("القائمة", "القائمة الرئيسية"),
        "uk": ("меню", "головне меню"),
    },
    "hulp": {
        "nl": ("hulp", "help", "help me", "helpen"),
        "en": ("help", "help me"),
        "tr": ("yardım", "yardım et"),
        "pl": ("pomoc", "pomocy", "pomóż"),
        "ar": ("مساعدة", "ساعدني"),
        "uk": ("допомога", "допоможи", "довідка"),
    },
}
# fmt: on

_AROUND_WORD = re.compile(r"^[\W_]+|[\W_]+$")


def fold(text: str) -> str:
    """Lower case, without accents, inner spaces collapsed and outer punctuation removed:
    "  Oké! " → "oke". What two spellings of the same answer have in common."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = " ".join(text.replace("’", "'").replace("‘", "'").split())
    # Arrows, quotes and punctuation around the words: "Volgende ▶" is "volgende".
    trimmed = _AROUND_WORD.sub("", text)
    return trimmed or text  # "👍" alone stays itself


def _index(table: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, frozenset[str]]:
    return {
        meaning: frozenset(fold(word) for words in by_lang.values() for word in words)
        for meaning, by_lang in table.items()
    }


_MEANING_WORDS = _index(MEANINGS)
_COMMAND_WORDS = _index(COMMAND_WORDS)


def means(typed: str, meaning: str) -> bool:
    """Does this typed text say `meaning` ("yes", "skip", ...)?"""
    return fold(typed) in _MEANING_WORDS.get(meaning, frozenset())


def command_word(typed: str) -> str | None:
    """The command ("stop", "menu", "hulp") this whole message names, if it names one."""
    folded = fold(typed.removeprefix("/"))
    return next((name for name, words in _COMMAND_WORDS.items() if folded in words), None)


# --- numbers ---------------------------------------------------------------------------

_UNITS_NL = (
    "nul een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien "
    "vijftien zestien zeventien achttien negentien"
).split()
_UNITS_EN = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS_NL = "twintig dertig veertig vijftig zestig zeventig tachtig negentig".split()
_TENS_EN = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL = {word: n for words in (_UNITS_NL, _UNITS_EN) for n, word in enumerate(words)}
_SMALL |= {"geen": 0, "niemand": 0, "none": 0, "nobody": 0, "no one": 0, "één": 1}
_SMALL |= {"a dozen": 12, "dozen": 12, "een dozijn": 12}
_TENS = {word: 20 + 10 * n for words in (_TENS_NL, _TENS_EN) for n, word in enumerate(words)}

# Words around a number that do not change it: "2 personen", "about 20", "max. 30".
_AROUND = (
    "personen persoon mensen mens man gasten deelnemers huishoudens huishouden adressen "
    "stuks kinderen volwassenen buren people person persons guests participants households "
    "household addresses neighbours neighbors kids adults ongeveer zo'n circa ca rond "
    "rondom maximaal maximum max hooguit hoogstens tot totaal in totaal er zijn er waren we "
    "waren wij met about around roughly approximately approx at most up to total in all "
    "there were we were were are came kwamen er kwamen ± ~ +- just only maar slechts"
).split()
_AROUND_WORDS = frozenset(_AROUND)
_DIGITS = re.compile(r"^\d{1,3}(?:([.,  ])\d{3})(?:\1\d{3})*$|^\d+$")


def _dutch_word(word: str) -> int | None:
    """One written Dutch number: "vijfentwintig", "tweehonderd", "duizend", "drieduizend"."""
    if word in _SMALL:
        return _SMALL[word]
    if word in _TENS:
        return _TENS[word]
    for unit, n in _SMALL.items():  # "eenentwintig", "tweeentwintig" (accents folded)
        if not 0 < n < 10:
            continue
        for joint in ("en", "een"):
            tens = word.removeprefix(unit + joint) if word.startswith(unit + joint) else ""
            if tens in _TENS:
                return _TENS[tens] + n
    for big, size in (("duizend", 1000), ("honderd", 100)):
        head, found, tail = word.partition(big)
        if not found:
            continue
        count = 1 if not head else _dutch_word(head)
        rest = 0 if not tail else _dutch_word(tail.removeprefix("en"))
        if count is None or rest is None or not 0 < count < size * 10 or rest >= size:
            return None
        return count * size + rest
    return None


def _english_words(words: list[str]) -> int | None:
    """Written English: "twenty-five", "a hundred and five", "two thousand three hundred".
    Words only combine as numbers do: "six seven" is not thirteen."""
    total = current = 0
    last = None  # what came before: None, "a", "unit", "tens", "hundred", "thousand"
    for word in words:
        fresh = last in (None, "hundred", "thousand")
        if word == "and" and last in ("hundred", "thousand"):
            continue
        if word in ("a", "an") and last in (None, "thousand"):
            current, last = 1, "a"
        elif word in _TENS and fresh:
            current, last = current + _TENS[word], "tens"
        elif word in _SMALL and (fresh or (last == "tens" and 1 <= _SMALL[word] <= 9)):
            current, last = current + _SMALL[word], "unit"
        elif word == "hundred" and last in ("a", "unit", "tens") and 0 < current < 100:
            current, last = current * 100, "hundred"
        elif word == "thousand" and last not in (None, "thousand") and 0 < current < 1000:
            total, current, last = total + current * 1000, 0, "thousand"
        else:
            return None
    return None if last in (None, "a") else total + current


def parse_count(typed: str) -> int | None:
    """A whole number ≥ 0 as people type it, or None: "2", "2 personen", "twee", "tien",
    "1.000", "about 20", "vijfentwintig", "twenty-five". Ranges and fractions ("2-3",
    "2,5", "2 of 3") are not one number: None, so the question is asked again."""
    if re.search(r"(?:^|\s)[-−–]\s*\d", typed):
        return None  # "-3": fewer than none
    text = fold(typed).replace("±", " ± ").replace("~", " ~ ")
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)  # "1 000"
    words = [word for word in re.split(r"\s+", text) if word and word not in _AROUND_WORDS]
    if not words:
        return None
    if len(words) == 1 and _DIGITS.match(words[0]):
        return int(re.sub(r"\D", "", words[0]))
    if any(char.isdigit() for char in "".join(words)):
        return None
    if len(words) == 1:
        found = _dutch_word(words[0].replace("-", ""))
        if found is not None:
            return found
    phrase = " ".join(words)
    if phrase in _SMALL:
        return _SMALL[phrase]
    return _english_words(phrase.replace("-", " ").split())
