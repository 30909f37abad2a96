"""Tests for bot.core.when: lenient Dutch/English date and time parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, get_month_names
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.when import When, parse_time, parse_when

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=AMS)  # a Saturday, 10:00


def W(y: int, m: int, d: int, hh: int | None = None, mm: int = 0) -> When:
    return When(date(y, m, d), None if hh is None else time(hh, mm))


ACCEPTED = [
    # Dutch
    ("za 12 dec 14:00", W(2026, 12, 12, 14)),
    ("zaterdag 12 december om 14.00", W(2026, 12, 12, 14)),
    ("14 dec", W(2026, 12, 14)),
    ("14-12", W(2026, 12, 14)),
    ("14-12-2026 19:30", W(2026, 12, 14, 19, 30)),
    ("14/12 19u30", W(2026, 12, 14, 19, 30)),
    ("morgen 20:00", W(2026, 11, 29, 20)),
    ("overmorgen om 10 uur", W(2026, 11, 30, 10)),
    ("vandaag 19u", W(2026, 11, 28, 19)),
    ("volgende week dinsdag 19:30", W(2026, 12, 1, 19, 30)),
    ("dinsdag volgende week", W(2026, 12, 1)),
    ("dinsdag 19:30", W(2026, 12, 1, 19, 30)),
    ("zaterdag 19:30", W(2026, 11, 28, 19, 30)),  # today: the time is still ahead
    ("zaterdag 9:00", W(2026, 12, 5, 9)),  # today's 9:00 has passed → next week
    ("zaterdag", W(2026, 12, 5)),  # no time → today does not count
    ("volgende zaterdag 19:30", W(2026, 12, 5, 19, 30)),  # "volgende" never means today
    ("over 3 dagen 10:00", W(2026, 12, 1, 10)),
    ("over één week", W(2026, 12, 5)),
    ("1 januari", W(2027, 1, 1)),  # already past this year → next year
    ("14 dec. 14.00 uur", W(2026, 12, 14, 14)),
    ("1 mrt.", W(2027, 3, 1)),
    ("  ZA   12  DEC ,  14:00 !", W(2026, 12, 12, 14)),
    ("op 14 december om 8 uur 's avonds", W(2026, 12, 14, 20)),
    ("vanavond half acht", W(2026, 11, 28, 19, 30)),
    ("morgenavond om 8", W(2026, 11, 29, 20)),  # a bare hour is fine next to a part of day
    ("zaterdagavond 20:00", W(2026, 11, 28, 20)),
    ("kwart over acht morgen", W(2026, 11, 29, 8, 15)),
    ("14.12.2026", W(2026, 12, 14)),
    ("14-12-26 19:30", W(2026, 12, 14, 19, 30)),
    ("2026-12-14", W(2026, 12, 14)),
    ("14e december", W(2026, 12, 14)),
    ("do 3 dec", W(2026, 12, 3)),
    ("28 nov 10:00", W(2026, 11, 28, 10)),  # exactly now is not in the past
    # English
    ("tomorrow 8pm", W(2026, 11, 29, 20)),
    ("sat 12 dec 2pm", W(2026, 12, 12, 14)),
    ("Saturday 12 December at 14:00", W(2026, 12, 12, 14)),
    ("December 14 7:30 pm", W(2026, 12, 14, 19, 30)),
    ("Dec 14, 2026 7:30 p.m.", W(2026, 12, 14, 19, 30)),
    ("next tuesday 19:30", W(2026, 12, 1, 19, 30)),
    ("next week tuesday", W(2026, 12, 1)),
    ("in 3 days at 10am", W(2026, 12, 1, 10)),
    ("in two weeks", W(2026, 12, 12)),
    ("14/12", W(2026, 12, 14)),
    ("12/11", W(2027, 11, 12)),  # day-first: 12 November, already past → next year
    ("today at noon", W(2026, 11, 28, 12)),
    ("the day after tomorrow at 3 pm", W(2026, 11, 30, 15)),
    ("14th of December", W(2026, 12, 14)),
    ("sept 3", W(2027, 9, 3)),
    ("tues 1 dec", W(2026, 12, 1)),
    ("thurs 3 dec 8 in the evening", W(2026, 12, 3, 20)),
    ("tonight at 9", W(2026, 11, 28, 21)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: When) -> None:
    assert parse_when(text, now=NOW) == expected


REJECTED = [
    "",
    "   ",
    "blah",
    "ik weet het nog niet",
    "volgende week",  # too vague
    "next week",
    "20:00",  # a time alone: use parse_time
    "14.12",  # two dotted numbers are a time (14:12), not 14 December
    "31 feb",
    "30-02",
    "12/14",  # day-first: month 14 does not exist
    "14-12-2025",  # explicit year in the past
    "27 nov 2026",
    "vandaag 9u",  # today, but the time has passed
    "28 nov 09:59",
    "14 dec 2028 10:00",  # more than 2 years ahead
    "over 900 dagen",
    "14 dec 24:00",
    "14 dec 25:00",
    "14 dec 14:60",
    "za 14 dec 14:00",  # 14 Dec 2026 is a Monday: weekday and date disagree
    "Saturday 14 December at 14:00",
    "14 dec 15 dec",  # two dates
    "14 dec 14:00 15:00",  # two times
    "morgen om 8",  # bare number without a part of the day: 08:00 or 20:00?
    "14 dec 20:00 's ochtends",  # contradiction
    "morgen 8 am in the evening",
    "14 dec middernacht",
    "29 feb",  # the next 29 February (2027) does not exist
    "volgende week 14 dec",
    "dinsdag woensdag",
    "14 december" + " " * 300,  # absurdly long input
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejected(text: str) -> None:
    assert parse_when(text, now=NOW) is None
    assert parse_when("14 dec", now=NOW) == W(2026, 12, 14)  # not a parser that reads nothing


def test_weekday_matching_the_date_is_accepted() -> None:
    """The brief's own examples are accepted in a year where 14 December is a Saturday."""
    now = datetime(2024, 11, 30, 10, 0, tzinfo=AMS)
    expected = W(2024, 12, 14, 14)
    for text in ("za 14 dec 14:00", "zaterdag 14 december om 14.00", "sat 14 dec 2pm"):
        assert parse_when(text, now=now) == expected
    assert parse_when("Saturday 14 December at 14:00", now=now) == expected


def test_next_week_weekday_skips_this_week() -> None:
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=AMS)
    assert parse_when("dinsdag", now=monday) == W(2026, 12, 1)
    assert parse_when("volgende week dinsdag", now=monday) == W(2026, 12, 8)
    assert parse_when("next week monday", now=monday) == W(2026, 12, 7)


def test_year_rollover() -> None:
    now = datetime(2026, 12, 30, 12, 0, tzinfo=AMS)
    assert parse_when("2 jan", now=now) == W(2027, 1, 2)
    assert parse_when("30 dec", now=now) == W(2026, 12, 30)
    assert parse_when("morgen 10:00", now=now) == W(2026, 12, 31, 10)
    assert parse_when("over 3 dagen", now=now) == W(2027, 1, 2)
    assert parse_when("29 dec", now=now) == W(2027, 12, 29)


def test_leap_day_when_next_february_has_one() -> None:
    now = datetime(2027, 11, 1, 12, 0, tzinfo=AMS)
    assert parse_when("29 feb", now=now) == W(2028, 2, 29)


def test_two_year_limit_is_inclusive() -> None:
    assert parse_when("28-11-2028", now=NOW) == W(2028, 11, 28)
    assert parse_when("29-11-2028", now=NOW) is None


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs an aware `now`"):
        parse_when("morgen", now=datetime(2026, 11, 28, 10, 0))


def test_works_with_a_fixed_offset_zone() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert parse_when("vandaag 11:00", now=now) == W(2026, 11, 28, 11)
    assert parse_when("vandaag 9:00", now=now) is None


# --- When.at and DST -----------------------------------------------------------------


def test_at_is_aware_local_time() -> None:
    dt = W(2026, 12, 14, 19, 30).at(AMS)
    assert dt == datetime(2026, 12, 14, 18, 30, tzinfo=UTC)
    assert (dt.hour, dt.minute, dt.utcoffset()) == (19, 30, timedelta(hours=1))


def test_at_dst_gap_shifts_forward() -> None:
    dt = When(date(2026, 3, 29), time(2, 30)).at(AMS)  # 02:00 → 03:00 that night
    assert (dt.hour, dt.minute, dt.utcoffset()) == (3, 30, timedelta(hours=2))
    assert dt.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert dt.astimezone(UTC).astimezone(AMS) == dt  # a real instant


def test_at_dst_fold_takes_first_occurrence() -> None:
    dt = When(date(2026, 10, 25), time(2, 30)).at(AMS)  # 03:00 → 02:00 that night
    assert dt.fold == 0
    assert dt.utcoffset() == timedelta(hours=2)  # still CEST
    assert dt.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_at_requires_a_time() -> None:
    with pytest.raises(ValueError, match=r"When\.at\(\) needs a time"):
        W(2026, 12, 14).at(AMS)


# --- parse_time ------------------------------------------------------------------------

TIMES = [
    ("14:00", time(14)),
    ("14.00", time(14)),
    ("14.00 uur", time(14)),
    ("2pm", time(14)),
    ("2 P.M.", time(14)),
    ("8 pm", time(20)),
    ("10am", time(10)),
    ("12am", time(0)),
    ("12 pm", time(12)),
    ("20u", time(20)),
    ("19u30", time(19, 30)),
    ("19h30", time(19, 30)),
    ("20 uur", time(20)),
    ("om 20 uur", time(20)),
    ("at 7:30 pm", time(19, 30)),
    ("half acht", time(7, 30)),  # 24-hour reading without a part of day
    ("half acht 's avonds", time(19, 30)),
    ("half 8 ’s avonds", time(19, 30)),
    ("kwart voor negen 's ochtends", time(8, 45)),
    ("kwart over 7 in the evening", time(19, 15)),
    ("half een 's middags", time(12, 30)),
    ("8 uur 's avonds", time(20)),
    ("om 8 's avonds", time(20)),
    ("2 uur 's nachts", time(2)),
    ("11 at night", time(23)),
    ("noon", time(12)),
    ("0:00", time(0)),
    ("23:59", time(23, 59)),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "8", "om 8", "24:00", "25u", "14:60", "13 pm", "0 am", "20:00 's ochtends",
     "8 am in the evening", "14:00 15:00", "morgen 14:00", "tea time", "middernacht",
     "1 's avonds"],
)  # fmt: skip
def test_parse_time_rejects(text: str) -> None:
    assert parse_time(text) is None
    assert parse_time("14:00") == time(14)  # not a parser that reads nothing


# --- properties --------------------------------------------------------------------------

TOKENS = [
    *"0 1 2 7 8 12 13 14 19 23 24 25 29 30 31 60 99 2025 2026 2027 2029 9999".split(),
    *": . - / , u h uur om at op on de the 's avonds ochtends nachts in the evening".split(),
    *"am pm a.m. noon half kwart over voor acht een één".split(),
    *"vandaag morgen overmorgen tomorrow today volgende next week weken days dagen".split(),
    *"za zo ma di wo do vr sat tues thurs zaterdag dinsdag monday vanavond tonight".split(),
    *"jan feb 31 mrt. dec. december januari sept mei may 14:00 19u30 14-12 12/14".split(),
    *"14.12.2026 2026-12-14 ?! 🎉 \u00a0 \n".split(" "),
]
MONTHS = [*get_month_names("wide", locale="nl").values(), "dec.", "mrt", "Sept", "may"]
phrases = st.tuples(  # plausible shapes with arbitrary, often invalid, numbers
    st.sampled_from(["", "", "", "za", "zondag", "next tuesday", "volgende week vr", "morgen"]),
    st.integers(0, 40).map(str) | st.just(""),
    st.sampled_from([*MONTHS, "-12", "/11", "-02-2027", "/3/28", ""]),
    st.sampled_from(["", " om", " at", ","]),
    st.integers(0, 30),
    st.sampled_from([":00", ".30", "u", " uur", "pm", " am", ":59 's avonds", " in the evening"]),
).map(lambda p: f"{p[0]} {p[1]}{p[2]}{p[3]} {p[4]}{p[5]}")
texts = st.one_of(
    st.text(max_size=40),
    phrases,
    st.lists(st.sampled_from(TOKENS), max_size=8).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=6).map("".join),
)
nows = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([AMS, ZoneInfo("UTC"), ZoneInfo("America/New_York")]),
)


def _two_years_after(d: date) -> date:
    try:
        return d.replace(year=d.year + 2)
    except ValueError:
        return d.replace(year=d.year + 2, day=28)


@settings(max_examples=500)
@given(text=texts, now=nows, ahead=st.integers(1, 700))
def test_parse_when_never_raises_and_never_answers_the_past(
    text: str, now: datetime, ahead: int
) -> None:
    result = parse_when(text, now=now)
    if result is not None:
        assert now.date() <= result.day <= _two_years_after(now.date())
        if result.time is not None:
            assert result.at(now.tzinfo) >= now
    # And at the same `now`, a date it can read is read, not refused like everything else.
    day = now.date() + timedelta(days=ahead)
    assert parse_when(f"{day:%d-%m-%Y} 12:00", now=now) == When(day, time(12))


@settings(max_examples=500)
@given(text=texts, clock=st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_parse_time_never_raises(text: str, clock: time) -> None:
    result = parse_time(text)
    assert result is None or isinstance(result, time)
    assert parse_time(f"{clock:%H:%M}") == clock  # not None for everything: a time is read


@given(hour=st.integers(0, 23), minute=st.integers(0, 59), sep=st.sampled_from(":.uh"))
def test_parse_time_every_clock_time(hour: int, minute: int, sep: str) -> None:
    assert parse_time(f"{hour}{sep}{minute:02d}") == time(hour, minute)
    assert parse_time(f"{hour:02d}{sep}{minute:02d}") == time(hour, minute)


@given(hour=st.integers(1, 12), pm=st.booleans())
def test_parse_time_every_twelve_hour_time(hour: int, pm: bool) -> None:
    assert parse_time(f"{hour} {'pm' if pm else 'am'}") == time(hour % 12 + 12 * pm)


@given(
    offset=st.integers(1, 700),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    locale=st.sampled_from(["nl", "en"]),
    width=st.sampled_from(["wide", "abbreviated"]),
)
def test_round_trip_of_written_dates(offset: int, at: time, locale: str, width: str) -> None:
    """Any date 1..700 days ahead, written with Babel's own names, parses back exactly."""
    day = NOW.date() + timedelta(days=offset)
    month = get_month_names(width, locale=locale)[day.month]
    text = f"{day.day} {month} {day.year} {at:%H:%M}"
    assert parse_when(text, now=NOW) == When(day, at)
    weekday = format_date(day, "EEEE", locale=locale)
    assert parse_when(f"{weekday} {text}", now=NOW) == When(day, at)
    if offset < 365:  # without the year: the next such day
        assert parse_when(f"{month} {day.day}", now=NOW) == When(day, None)


# --- why a readable date was refused ------------------------------------------------------

from bot.core.when import why_not  # noqa: E402


@pytest.mark.parametrize(
    "text",
    ["1 november 2026 10:00", "vandaag 9:00", "27-11-2026", "2025-06-01", "today 8am"],
)
def test_a_readable_moment_before_now_is_past(text: str) -> None:
    assert parse_when(text, now=NOW) is None
    assert why_not(text, now=NOW) == "past"


@pytest.mark.parametrize("text", ["1 januari 2030", "2029-01-01 10:00"])
def test_a_readable_date_beyond_two_years_is_far(text: str) -> None:
    assert parse_when(text, now=NOW) is None
    assert why_not(text, now=NOW) == "far"


@pytest.mark.parametrize("text", ["ergens na de kerst", "31-02", "za 14 dec", "", "20:00"])
def test_an_unreadable_text_has_no_reason(text: str) -> None:
    assert parse_when(text, now=NOW) is None
    assert why_not(text, now=NOW) is None


def test_an_accepted_text_has_no_reason() -> None:
    assert why_not("za 12 dec 14:00", now=NOW) is None


def test_why_not_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        why_not("morgen", now=NOW.replace(tzinfo=None))


# --- Turkish, Polish, Ukrainian, Arabic (NOW is Saturday 28 November 2026, 10:00) ------------

TOMORROW, WED, SAT12 = date(2026, 11, 29), date(2026, 12, 2), date(2026, 12, 12)


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("yarın 20:00", TOMORROW, time(20)),
        ("Yarin saat 20:00", TOMORROW, time(20)),  # typed without the dotless ı
        ("2 aralık çarşamba 19:30", WED, time(19, 30)),
        ("gelecek salı 19.30", date(2026, 12, 1), time(19, 30)),
        ("haftaya cumartesi 10:00", date(2026, 12, 5), time(10)),
        ("bu akşam 8", NOW.date(), time(20)),
        ("yarından sonra 10:00", date(2026, 11, 30), time(10)),
        ("jutro o 19:30", TOMORROW, time(19, 30)),
        ("w środę 2 grudnia o 19:30", WED, time(19, 30)),
        ("sobota 12 grudzień 10:00", SAT12, time(10)),  # the nominative month, too
        ("w przyszły wtorek 19:30", date(2026, 12, 1), time(19, 30)),
        ("dziś wieczorem o 8", NOW.date(), time(20)),
        ("завтра о 19:30", TOMORROW, time(19, 30)),
        ("в суботу 12 грудня о 10:00", SAT12, time(10)),
        ("наступного вівторка 19:30", date(2026, 12, 1), time(19, 30)),
        ("післязавтра 8 вечора", date(2026, 11, 30), time(20)),
        ("غدًا 8 مساءً", TOMORROW, time(20)),
        ("غدا ٨ مساء", TOMORROW, time(20)),  # Arabic-Indic digits, no tanween
        ("الأربعاء 2 ديسمبر 19:30", WED, time(19, 30)),
        ("السبت 12 كانون الأول الساعة 10:00", SAT12, time(10)),  # the Levantine month name
        ("السبت القادم 10:00", date(2026, 12, 5), time(10)),  # "next" after the day
        ("12.12.2026 14:00", SAT12, time(14)),
        ("12/12 ١٤:٠٠", SAT12, time(14)),
    ],
)
def test_each_language_common_forms(text: str, day: date, at: time) -> None:
    assert parse_when(text, now=NOW) == When(day, at)


@pytest.mark.parametrize(
    "text",
    ["yarın bir şey 20:00", "jutro albo pojutrze", "завтра о 25:00", "السبت 12 ديسمبر الأحد"],
)
def test_each_language_still_rejects_what_it_cannot_read(text: str) -> None:
    assert parse_when(text, now=NOW) is None


def test_a_part_of_the_day_in_each_language_sets_the_clock() -> None:
    assert {parse_time(t) for t in ("8 akşam", "8 wieczorem", "8 вечора", "٨ مساءً")} == {time(20)}
    assert parse_time("9 sabah") == parse_time("9 rano") == parse_time("9 ранку") == time(9)
