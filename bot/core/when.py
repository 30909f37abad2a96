"""Lenient parsing of dates and times typed freely in Dutch, English, Turkish, Polish,
Ukrainian or Arabic (every language is always understood: people mix them).

Pure (no I/O, no clock: the caller passes ``now``) and never raises on any text.
Month and weekday names come from Babel's CLDR data for every language we speak (both
the "format" and the "stand-alone" forms: Polish "grudnia" and "grudzień"; generated into
bot.core.when_names, so a bot process does not load Babel's locale data), plus the
forms CLDR does not list: the accusative/genitive weekday after a preposition (pl "w
sobotę", uk "в суботу", "до суботи") and the Levantine and Maghrebi month names in
Arabic ("كانون الأول", "دجنبر"). The other languages' words are read by mapping them onto
the Dutch/English ones below: "yarın 20:00", "jutro o 19:30", "завтра о 19:30", "غدًا 8
مساءً" (8 in the evening → 20:00), "السبت القادم" (next Saturday), Arabic-Indic digits.

Decisions on ambiguous input (the flows rely on these):

* Numeric dates are always day-first, our users are Dutch: "12/11" is 12 November and
  "12/14" is rejected. Two dotted numbers are a time ("14.00", "19.30"), never a date;
  dates use "-" or "/" ("14-12", "14/12"), three parts may use dots ("14.12.2026").
* A day and month without a year is the next one on or after today ("1 januari" typed in
  November → next year). If that day does not exist that year (29 Feb) → None.
* A weekday is its next occurrence. Today counts only when a time is given and is still
  ahead ("zaterdag 19:30" on Saturday morning is today; "zaterdag" or "zaterdag 9:00" is a
  week later). "volgende/komende/aanstaande/next <weekday>" never means today.
  "volgende week <weekday>" / "<weekday> next week" is that day in the next (Monday-based)
  week. "volgende week" alone is too vague → None.
* A weekday next to a date must match it ("za 14 dec" when 14 Dec is a Monday → None): we
  cannot tell which of the two the person meant, so the bot asks again.
* A time alone ("20:00") → None from parse_when; the flows use parse_time for that answer.
* "20:00", "20u", "8 uur" and "half acht" (07:30) are read on the 24-hour clock unless a
  part of the day is named ("'s avonds", "in the evening", "vanavond", "pm"): then
  "8 uur 's avonds" is 20:00. A bare number ("om 8") is a time only next to such a part of
  the day; otherwise it is rejected. Contradictions ("20:00 's ochtends") are rejected.
* Rejected: leftover words other than fillers ("om", "at", "op", "the", ...), two dates or
  two times, dates before today, a date and time before ``now``, dates more than 2 years
  ahead, hours ≥ 24, minutes ≥ 60, "midnight"/"middernacht", texts over 200 characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.core import when_names

__all__ = ["When", "parse_time", "parse_when", "why_not"]

_MAX_LEN = 200


@dataclass(frozen=True)
class When:
    day: date
    time: time | None  # None when the text named no time ("za 12 dec")

    def at(self, tz: tzinfo | None) -> datetime:
        """The aware local datetime. A time skipped by DST is shifted forward by the gap
        (02:30 → 03:30 CEST); a repeated time takes its first occurrence (fold=0)."""
        if self.time is None:
            raise ValueError("When.at() needs a time")
        local = datetime.combine(self.day, self.time, tzinfo=tz).replace(fold=0)
        real = local.astimezone(UTC).astimezone(tz)
        return local if real.replace(tzinfo=None) == local.replace(tzinfo=None) else real


class _Reject(Exception):
    """Internal: the text is not a (valid) date/time."""


class _Past(_Reject):
    """Internal: a date (and time) we read, but it lies before now."""


class _TooFar(_Reject):
    """Internal: a date we read, but more than two years ahead."""


def _check(ok: object) -> None:
    if not ok:
        raise _Reject


# Spellings people type for the same letter: Turkish dotless ı, Arabic tā' marbūṭa and
# alif maqṣūra, Arabic-Indic digits, the Ukrainian apostrophe, the Arabic comma.
_SAME = str.maketrans("ıةى٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹ʼ،", "iهي01234567890123456789',")


def _fold(text: str) -> str:
    """Lower case without accents: "Één" → "een", "Yarın" → "yarin", "غدًا" → "غدا"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).translate(_SAME)


def _names(table: when_names.Names, first: int, extra: dict[str, int]) -> dict[str, int]:
    """Every language's names of the months or days (numbered from ``first``), folded."""
    return {
        _fold(name).rstrip("."): key
        for contexts in table.values()
        for widths in contexts.values()
        for names in widths.values()
        for key, name in enumerate(names, first)
    } | {_fold(name): key for name, key in extra.items()}


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_AR_MONTHS = (  # Levantine/Iraqi and Maghrebi names, next to CLDR's يناير … ديسمبر
    "كانون الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأول تشرين الثاني كانون الأول"
)
_MONTHS = _names(
    when_names.MONTHS,
    1,
    {"sept": 9, "febr": 2}
    | dict(zip(re.findall(r"(?:كانون|تشرين) \S+|\S+", _AR_MONTHS), range(1, 13), strict=True))
    | {"ماي": 5, "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12},
)
_DAYS = _names(  # 0 = Monday, like date.weekday()
    when_names.DAYS,
    0,
    {"tues": 1, "weds": 2, "thur": 3, "thurs": 3, "din": 1, "woe": 2, "don": 3, "vrij": 4}
    | {"zat": 5, "zon": 6}
    # after a preposition: pl "w środę", uk "в суботу", "до суботи"; ar without "al-"
    | {"środę": 2, "sobotę": 5, "niedzielę": 6}
    | dict(zip("середу пʼятницю суботу неділю".split(), (2, 4, 5, 6), strict=True))
    | dict(
        zip(
            "понеділка вівторка середи четверга пʼятниці суботи неділі".split(),
            range(7),
            strict=True,
        )
    )
    | dict(zip("اثنين ثلاثاء اربعاء خميس جمعة سبت احد".split(), range(7), strict=True)),
)
_WORDS = "een twee drie vier vijf zes zeven acht negen tien elf twaalf".split()
_WORDS_EN = "one two three four five six seven eight nine ten eleven twelve".split()
_NUMS = {w: i for ws in (_WORDS, _WORDS_EN) for i, w in enumerate(ws, 1)} | {"a": 1, "an": 1}
_NUM = _alt(w for w in _NUMS if len(w) > 2)
_REL = {"vandaag": 0, "today": 0, "morgen": 1, "tomorrow": 1, "overmorgen": 2}
_REL |= {"day after tomorrow": 2}
_NEXT = {"volgende", "komende", "aanstaande", "next"}
_FILLERS = set("om at op on de den het the rond around about tegen vanaf from of".split())
_FILLERS |= {_fold(w) for w in "saat saatte da te ta günü o w we godz godzina о об в у на".split()}
_FILLERS |= {_fold(w) for w in "الساعة الساعه في يوم عند".split()}
# Turkish, Polish, Ukrainian and Arabic words, read as their Dutch/English counterpart
# (longest first, so "yarından sonra" is not read as "yarın").
_LOCAL_WORDS = {
    "day after tomorrow": "yarından sonra|öbür gün|pojutrze|післязавтра|بعد غد|بعد بكرة",
    "vandaag avond": "bu akşam|dziś wieczorem|dzisiaj wieczorem|сьогодні ввечері|الليلة",
    "today": "bugün|dzisiaj|dziś|сьогодні|اليوم",
    "tomorrow": "yarın|jutro|завтра|غدا|بكرة|بكره",
    "next week": "haftaya|gelecek hafta|önümüzdeki hafta|w przyszłym tygodniu|"
    "w następnym tygodniu|наступного тижня|на наступному тижні|الأسبوع القادم|الأسبوع المقبل",
    "next": "gelecek|önümüzdeki|haftaya|przyszły|przyszłą|przyszła|następny|następną|"
    "następna|наступний|наступного|наступну|наступної|наступна",
    "this": "bu|ten|tę|цей|цю|цього|هذا|هذه",
    "evening": "akşam|akşamı|wieczorem|wieczór|ввечері|вечора|увечері|مساء|مساءا|مسا",
    "morning": "sabah|sabahı|rano|ranem|вранці|ранку|зранку|صباحا|صباح",
    "afternoon": "öğleden sonra|öğlen|po południu|дня|пополудні|ظهرا|بعد الظهر|عصرا",
    "night": "gece|w nocy|nocą|ночі|ليلا|بالليل",
}
_LOCAL_MEANING = {
    _fold(word): meaning for meaning, words in _LOCAL_WORDS.items() for word in words.split("|")
}
_LOCAL = re.compile(rf"(?<!\w)(?:{_alt(_LOCAL_MEANING)})(?!\w)")
# Arabic puts "next" after the day: "السبت القادم" → "next السبت".
_AR_DAYS = _alt(name for name in _DAYS if "\u0600" <= name[0] <= "\u06ff")
_AR_NEXT = re.compile(rf"(?<!\w)({_AR_DAYS})\s+(?:القادم|المقبل|القادمه|المقبله)(?!\w)")
_NL_DAYS = _alt(_fold(n) for n in when_names.DAYS["nl"]["format"]["wide"])

_SUBS = [
    (re.compile(r"[’‘`´]"), "'"),
    (re.compile(r"\b([ap])\.\s?m\b\.?"), r"\1m"),  # a.m. / p.m.
    (re.compile(r"(?<=[^\W\d_])\."), " "),  # abbreviation dots: "dec.", "mrt.", "груд."
    (re.compile(r"\b(?:vanavond|tonight|this evening)\b"), "vandaag avond"),
    (re.compile(r"\b(?:vanmiddag|this afternoon)\b"), "vandaag middag"),
    (re.compile(r"\b(?:vanochtend|vanmorgen|this morning)\b"), "vandaag ochtend"),
    (re.compile(rf"\b({_NL_DAYS}|morgen)(ochtend|middag|avond|nacht)\b"), r"\1 \2"),
]
_PARTS = "avond evening middag afternoon ochtend morgen morning nacht night".split()
_KINDS = dict(zip(_PARTS, "evening evening pm pm am am am night night".split(), strict=True))
_DAYPART = re.compile(
    r"(?:(?<!\w)'?\s?s\s?|\bin the\s+|\bat\s+|\b)"
    r"(avonds?|evening|middags?|afternoon|ochtends?|morgens|morning|nachts?|night)\b"
)
# kind: (hours taken as typed, hours that get +12); 12 → 0 for "am" and "night"
_SHIFT = {
    "am": (range(12), range(0)),
    "pm": (range(12, 24), range(1, 12)),
    "evening": (range(17, 24), range(5, 12)),
    "night": ((*range(6), *range(21, 24)), range(9, 12)),
}

_T_HM = re.compile(r"(?<!\d)(\d{1,2})\s*[:.hu]\s*(\d{2})(?!\d)(?:\s*(am|pm)\b)?(?:\s*(?:uur|u)\b)?")
_T_AMPM = re.compile(r"(?<!\d)(\d{1,2})\s*(am|pm)\b")
_T_UUR = re.compile(r"(?<!\d)(\d{1,2})\s*(?:uur|u|h)\b")
_T_WORD = re.compile(rf"\b(half|kwart over|kwart voor)\s+(\d{{1,2}}|{_NUM})\b(?:\s*uur\b)?")
_T_NOON = re.compile(r"(?<!\w)(?:12\s*)?noon\b")
_T_BARE = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")

_ORD = r"(?:ste|de|e|st|nd|rd|th)?"
_YEAR = r"(?:\s*,?\s*(\d{4})(?!\d))?"
_D_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_D_DMY = re.compile(r"(?<!\d)(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_D_DMON = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORD}\s*(?:of\s+)?({_alt(_MONTHS)})\b{_YEAR}")
_D_MOND = re.compile(rf"\b({_alt(_MONTHS)})\s*(\d{{1,2}}){_ORD}(?!\d)\b{_YEAR}")
_D_DM = re.compile(r"(?<![\d/-])(\d{1,2})[-/](\d{1,2})(?![\d/-])")
_D_REL = re.compile(rf"\b({_alt(_REL)})\b")
_D_IN = re.compile(rf"\b(?:over|in)\s+(\d{{1,3}}|a|an|{_NUM})\s+(dag|dagen|days?|weken|weeks?)\b")
_D_NEXTWEEK = re.compile(r"\b(?:volgende|komende|next)\s+week\b")
_D_WEEKDAY = re.compile(rf"\b(?:({_alt(_NEXT | {'this', 'deze'})})\s+)?({_alt(_DAYS)})\b")


def _take(rx: re.Pattern[str], s: str) -> tuple[list[re.Match[str]], str]:
    """All matches of rx, and s with them blanked out."""
    return list(rx.finditer(s)), rx.sub(" ", s)


def _num(word: str) -> int:
    return _NUMS[word] if word in _NUMS else int(word)


def _year(digits: str | None) -> int | None:
    return None if digits is None else int(digits) + (2000 if len(digits) == 2 else 0)


def _shift(h: int, kind: str) -> int:
    """Hour h as typed, read within a part of the day ("8" + "evening" → 20)."""
    if h == 12 and kind in ("am", "night"):
        return 0
    keep, plus12 = _SHIFT[kind]
    _check(h in keep or h in plus12)
    return h + 12 if h in plus12 else h


def _clock(h: int, minute: int, ampm: str | None, kind: str | None) -> time:
    if ampm:
        _check(1 <= h <= 12)
        h = _shift(h, ampm)
    if kind:
        shifted = _shift(h, kind)
        _check(not ampm or shifted == h)  # "8 am in the evening"
        h = shifted
    _check(0 <= h < 24 and 0 <= minute < 60)
    return time(h, minute)


def _prepare(text: str) -> tuple[str, str | None]:
    """Normalised text with the part of the day ("'s avonds" → "evening") taken out."""
    _check(isinstance(text, str) and len(text) <= _MAX_LEN)
    s = _fold(text)
    s = _AR_NEXT.sub(r"next \1", s)
    s = _LOCAL.sub(lambda m: f" {_LOCAL_MEANING[m[0]]} ", s)
    for rx, repl in _SUBS:
        s = rx.sub(repl, s)
    found, s = _take(_DAYPART, s)
    kinds = {_KINDS[m[1].removesuffix("s")] for m in found}
    _check(len(kinds) <= 1)
    return s, next(iter(kinds), None)


def _take_time(s: str, kind: str | None) -> tuple[time | None, str]:
    hits: list[re.Match[str]] = []
    for rx in (_T_HM, _T_AMPM, _T_UUR, _T_WORD, _T_NOON):
        found, s = _take(rx, s)
        hits += found
    _check(len(hits) <= 1)
    if not hits:
        return None, s
    m = hits[0]
    ampm = next((g for g in m.groups() if g in ("am", "pm")), None)
    if m.re is _T_WORD:  # "half acht" = 7:30, "kwart voor negen" = 8:45, "half een" = 12:30
        base, before = _num(m[2]), (_num(m[2]) - 1) or 12
        h, minute = {"half": (before, 30), "kwart voor": (before, 45)}.get(m[1], (base, 15))
    elif m.re is _T_NOON:
        h, minute = 12, 0
    else:
        h, minute = int(m[1]), (int(m[2]) if m.re is _T_HM else 0)
    return _clock(h, minute, ampm, kind), s


def _take_bare_hour(s: str, kind: str) -> tuple[time | None, str]:
    found, s = _take(_T_BARE, s)
    _check(len(found) <= 1)
    return (_clock(int(found[0][1]), 0, None, kind) if found else None), s


def _only_fillers(s: str) -> bool:
    return all(word in _FILLERS for word in re.findall(r"\w+", s))


def _plus_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _resolve(text: str, now: datetime) -> When:
    s, kind = _prepare(text)
    today, tz = now.date(), now.tzinfo
    found, s = _take(_D_ISO, s)
    ymd: list[tuple[int | None, int, int]] = [(int(m[1]), int(m[2]), int(m[3])) for m in found]
    found, s = _take(_D_DMY, s)
    ymd += [(_year(m[4]), int(m[3]), int(m[1])) for m in found]
    t, s = _take_time(s, kind)
    found, s = _take(_D_DMON, s)
    ymd += [(_year(m[3]), _MONTHS[m[2]], int(m[1])) for m in found]
    found, s = _take(_D_MOND, s)
    ymd += [(_year(m[3]), _MONTHS[m[1]], int(m[2])) for m in found]
    found, s = _take(_D_DM, s)
    ymd += [(None, int(m[2]), int(m[1])) for m in found]
    found, s = _take(_D_REL, s)
    days = [today + timedelta(days=_REL[m[1]]) for m in found]
    found, s = _take(_D_IN, s)
    days += [today + timedelta(days=_num(m[1]) * (7 if m[2][0] == "w" else 1)) for m in found]
    ymd += [(d.year, d.month, d.day) for d in days]
    next_week, s = _take(_D_NEXTWEEK, s)
    weekdays, s = _take(_D_WEEKDAY, s)
    if t is None and kind:
        t, s = _take_bare_hour(s, kind)
    _check(_only_fillers(s) and len(ymd) <= 1 and len(weekdays) <= 1 and len(next_week) <= 1)
    _check(not next_week or (weekdays and not ymd))  # "volgende week" alone is too vague

    day: date | None = None
    if ymd:
        y, month, d = ymd[0]
        if y is None:  # the next one on or after today
            y = today.year + ((month, d) < (today.month, today.day))
        day = date(y, month, d)
    if weekdays:
        modifier, wd = weekdays[0][1], _DAYS[weekdays[0][2]]
        if day is not None:
            _check(day.weekday() == wd)
        elif next_week:
            day = today + timedelta(days=7 - today.weekday() + wd)
        else:
            day = today + timedelta(days=(wd - today.weekday()) % 7)
            if day == today and (modifier in _NEXT or t is None or When(day, t).at(tz) < now):
                day += timedelta(days=7)
    if day is None:
        raise _Reject
    if day < today:
        raise _Past
    if day > _plus_years(today, 2):
        raise _TooFar
    result = When(day, t)
    if t is not None and result.at(tz) < now:
        raise _Past
    return result


def parse_when(text: str, *, now: datetime) -> When | None:
    """Parse a free-typed date with optional time, or None if it is not one we accept.

    ``now`` is an aware datetime in the person's zone: the reference for "morgen", "next
    week", year inference and "not in the past". A naive ``now`` is a programming error
    (ValueError); the text itself never makes this raise.
    """
    if now.tzinfo is None:
        raise ValueError("parse_when needs an aware `now`")
    try:
        return _resolve(text, now)
    except (_Reject, ValueError, OverflowError):
        return None


def why_not(text: str, *, now: datetime) -> str | None:
    """Why parse_when refused a text it could read: "past" (the moment has passed) or
    "far" (more than two years ahead); None when it is not a date we read at all, or
    when parse_when accepts it."""
    if now.tzinfo is None:
        raise ValueError("why_not needs an aware `now`")
    try:
        _resolve(text, now)
    except _Past:
        return "past"
    except _TooFar:
        return "far"
    except (_Reject, ValueError, OverflowError):
        return None
    return None


def parse_time(text: str) -> time | None:
    """Parse a time of day on its own ("14:00", "14.00", "2pm", "20u", "20 uur",
    "half acht 's avonds", "8 pm", "noon"), or None."""
    try:
        s, kind = _prepare(text)
        t, s = _take_time(s, kind)
        if t is None and kind:
            t, s = _take_bare_hour(s, kind)
        _check(_only_fillers(s))
        return t
    except (_Reject, ValueError, OverflowError):
        return None
