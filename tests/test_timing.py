"""Human time: wall-clock rules in the person's zone, across DST, quiet hours, clocks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.timing import (
    Clock,
    FakeClock,
    QuietHours,
    SystemClock,
    check_cron_time,
    days_after_at,
    iso_week_key,
    local_day_bounds,
    local_wall_clock,
    parse_offset,
)

AMS = ZoneInfo("Europe/Amsterdam")
HAVANA = ZoneInfo("America/Havana")  # springs forward at local midnight


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ams(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=AMS, fold=fold)


# --------------------------------------------------------------------------- local_wall_clock


def test_wall_clock_on_an_ordinary_day_in_winter_and_summer():
    assert local_wall_clock(date(2026, 1, 15), time(10), AMS) == utc(2026, 1, 15, 9)
    assert local_wall_clock(date(2026, 7, 15), time(10), AMS) == utc(2026, 7, 15, 8)


def test_wall_clock_in_the_spring_forward_gap_moves_forward_by_the_gap():
    # 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist.
    result = local_wall_clock(date(2026, 3, 29), time(2, 30), AMS)
    assert result == utc(2026, 3, 29, 1, 30)
    assert result.astimezone(AMS).time() == time(3, 30)
    assert result.tzinfo is UTC


def test_wall_clock_in_the_repeated_hour_takes_the_first_occurrence():
    # 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:30 happens twice.
    result = local_wall_clock(date(2026, 10, 25), time(2, 30), AMS)
    assert result == utc(2026, 10, 25, 0, 30)
    assert result.astimezone(AMS).utcoffset() == timedelta(hours=2)  # still CEST


def test_wall_clock_right_around_the_transitions():
    assert local_wall_clock(date(2026, 3, 29), time(1, 59), AMS) == utc(2026, 3, 29, 0, 59)
    assert local_wall_clock(date(2026, 3, 29), time(3), AMS) == utc(2026, 3, 29, 1)
    assert local_wall_clock(date(2026, 10, 25), time(3), AMS) == utc(2026, 10, 25, 2)


def test_wall_clock_rejects_aware_times_and_datetimes_as_days():
    with pytest.raises(ValueError, match="wall-clock time and must not carry a tzinfo"):
        local_wall_clock(date(2026, 1, 1), time(10, tzinfo=UTC), AMS)
    with pytest.raises(TypeError, match=r"day must be a datetime\.date \(not a datetime\)"):
        local_wall_clock(utc(2026, 1, 1, 23), time(10), AMS)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- days_after_at


def test_next_day_at_ten_across_spring_forward_stays_ten_local():
    # action on Sat 28 Mar 20:00 CET; follow-up "the next day at 10:00"
    followup = days_after_at(ams(2026, 3, 28, 20), 1, time(10), AMS)
    assert followup == utc(2026, 3, 29, 8)  # 10:00 CEST
    assert followup.astimezone(AMS).time() == time(10)
    assert followup - ams(2026, 3, 28, 20) == timedelta(hours=13)  # not 14: the night is short


def test_next_day_at_ten_across_fall_back_stays_ten_local():
    followup = days_after_at(ams(2026, 10, 24, 20), 1, time(10), AMS)
    assert followup == utc(2026, 10, 25, 9)  # 10:00 CET
    assert followup.astimezone(AMS).time() == time(10)
    assert followup - ams(2026, 10, 24, 20) == timedelta(hours=15)


def test_days_after_takes_the_local_date_not_the_utc_date():
    # 00:30 local on 15 Jan is still 14 Jan in UTC; "next day" is 16 Jan local.
    moment = ams(2026, 1, 15, 0, 30)
    assert moment.astimezone(UTC).date() == date(2026, 1, 14)
    assert days_after_at(moment, 1, time(10), AMS) == utc(2026, 1, 16, 9)
    # and the same instant given in UTC gives the same answer
    assert days_after_at(moment.astimezone(UTC), 1, time(10), AMS) == utc(2026, 1, 16, 9)


def test_days_after_two_days_and_zero_days():
    assert days_after_at(ams(2026, 3, 28, 20), 2, time(10), AMS) == utc(2026, 3, 30, 8)
    assert days_after_at(ams(2026, 3, 28, 8), 0, time(10), AMS) == utc(2026, 3, 28, 9)


def test_days_after_rejects_naive_moments():
    with pytest.raises(ValueError, match="aware"):
        days_after_at(datetime(2026, 3, 28, 20), 1, time(10), AMS)


# --------------------------------------------------------------------------- quiet hours

QUIET = QuietHours()  # 21:00-09:00


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (ams(2026, 6, 10, 22, 30), ams(2026, 6, 11, 9)),  # evening -> next morning
        (ams(2026, 6, 10, 21), ams(2026, 6, 11, 9)),  # start is quiet
        (ams(2026, 6, 11, 0, 15), ams(2026, 6, 11, 9)),  # after midnight -> same morning
        (ams(2026, 6, 11, 8, 59), ams(2026, 6, 11, 9)),
        (ams(2026, 6, 11, 9), ams(2026, 6, 11, 9)),  # end is allowed
        (ams(2026, 6, 11, 14), ams(2026, 6, 11, 14)),
        (ams(2026, 6, 11, 20, 59, 59), ams(2026, 6, 11, 20, 59, 59)),
    ],
)
def test_quiet_hours_default_window(local: datetime, expected: datetime):
    result = QUIET.next_allowed(local.astimezone(UTC), AMS)
    assert result == expected
    assert result.tzinfo is UTC
    assert QUIET.contains(local, AMS) == (result != local)


def test_quiet_hours_are_local_not_utc():
    # 08:30 UTC is 10:30 CEST: allowed in Amsterdam, quiet in New York (04:30).
    moment = utc(2026, 6, 11, 8, 30)
    assert not QUIET.contains(moment, AMS)
    new_york = ZoneInfo("America/New_York")
    assert QUIET.contains(moment, new_york)
    assert QUIET.next_allowed(moment, new_york) == utc(2026, 6, 11, 13)  # 09:00 EDT


def test_quiet_hours_across_the_short_night_and_the_long_night():
    # Sat 28 Mar 22:30 CET -> Sun 09:00 CEST = 07:00 UTC
    assert QUIET.next_allowed(ams(2026, 3, 28, 22, 30), AMS) == utc(2026, 3, 29, 7)
    # Sat 24 Oct 22:30 CEST -> Sun 09:00 CET = 08:00 UTC
    assert QUIET.next_allowed(ams(2026, 10, 24, 22, 30), AMS) == utc(2026, 10, 25, 8)


def test_quiet_hours_within_one_day():
    siesta = QuietHours(start=time(12), end=time(14))
    assert not siesta.spans_midnight
    assert siesta.next_allowed(ams(2026, 6, 11, 12), AMS) == ams(2026, 6, 11, 14)
    assert siesta.next_allowed(ams(2026, 6, 11, 13, 30), AMS) == ams(2026, 6, 11, 14)
    assert siesta.next_allowed(ams(2026, 6, 11, 11, 59), AMS) == ams(2026, 6, 11, 11, 59)
    assert siesta.next_allowed(ams(2026, 6, 11, 14), AMS) == ams(2026, 6, 11, 14)
    assert siesta.next_allowed(ams(2026, 6, 11, 23), AMS) == ams(2026, 6, 11, 23)


def test_empty_quiet_hours_allow_everything():
    never = QuietHours(start=time(9), end=time(9))
    moment = ams(2026, 6, 11, 3)
    assert never.contains(moment, AMS) is False
    assert never.next_allowed(moment, AMS) == moment


def test_quiet_hours_ending_inside_the_spring_forward_gap_end_when_the_clock_jumps():
    night = QuietHours(start=time(21), end=time(2, 30))
    # 02:30 does not exist on 29 Mar; from 03:00 CEST (01:00 UTC) the clock is past it.
    assert night.next_allowed(ams(2026, 3, 28, 23), AMS) == utc(2026, 3, 29, 1)


def test_quiet_hours_ending_in_the_repeated_hour():
    night = QuietHours(start=time(1), end=time(2, 30))
    # first pass through 02:10 (CEST): quiet until the first 02:30
    assert night.next_allowed(ams(2026, 10, 25, 2, 10), AMS) == utc(2026, 10, 25, 0, 30)
    # between the two 02:30s the clock is back in the window; the second pass
    # through 02:10 (CET) is quiet again, until the second 02:30
    second_pass = ams(2026, 10, 25, 2, 10, fold=1)
    assert night.contains(second_pass, AMS)
    assert night.next_allowed(second_pass, AMS) == utc(2026, 10, 25, 1, 30)


def test_quiet_hours_reject_naive_input():
    with pytest.raises(ValueError, match="must be timezone-aware, got naive"):
        QUIET.contains(datetime(2026, 6, 11, 22), AMS)
    with pytest.raises(ValueError, match="must be timezone-aware, got naive"):
        QUIET.next_allowed(datetime(2026, 6, 11, 22), AMS)
    with pytest.raises(ValueError, match="start is a local wall-clock time"):
        QuietHours(start=time(21, tzinfo=UTC))


ZONES = [AMS, ZoneInfo("America/New_York"), HAVANA, ZoneInfo("Australia/Lord_Howe")]
# instants from 2025 to 2028, with extra weight on the 2026 DST weekends
moments = st.one_of(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
    st.datetimes(min_value=datetime(2026, 3, 28), max_value=datetime(2026, 3, 30)),
    st.datetimes(min_value=datetime(2026, 10, 24), max_value=datetime(2026, 10, 26)),
).map(lambda naive: naive.replace(tzinfo=UTC))
wall_times = st.one_of(
    st.times(),
    st.sampled_from([time(0), time(1), time(2), time(2, 30), time(3), time(9), time(21)]),
)


@settings(max_examples=400, deadline=None)
@given(moment=moments, start=wall_times, end=wall_times, tz=st.sampled_from(ZONES))
def test_next_allowed_is_never_quiet_and_never_earlier(moment, start, end, tz):
    quiet = QuietHours(start=start, end=end)
    result = quiet.next_allowed(moment, tz)
    assert result >= moment
    assert not quiet.contains(result, tz)
    if not quiet.contains(moment, tz):
        assert result == moment
    else:
        # and it is the *first* allowed moment: just before it was still quiet
        assert quiet.contains(result - timedelta(microseconds=1), tz)
        # a day at most, or two when the only allowed minutes of a night are
        # skipped by a DST jump (allowed only 02:00-02:30, say)
        assert result - moment <= timedelta(hours=50)


@settings(max_examples=200, deadline=None)
@given(moment=moments)
def test_default_quiet_hours_end_at_nine_local(moment):
    result = QUIET.next_allowed(moment, AMS)
    if QUIET.contains(moment, AMS):
        assert result.astimezone(AMS).time() == time(9)
    else:
        assert result == moment


# --------------------------------------------------------------------------- day bounds


def test_day_bounds_of_an_ordinary_day():
    start, end = local_day_bounds(utc(2026, 6, 11, 12), AMS)
    assert (start, end) == (utc(2026, 6, 10, 22), utc(2026, 6, 11, 22))


def test_day_bounds_use_the_local_day():
    # 23:30 UTC on 10 Jun is already 11 Jun in Amsterdam
    start, _end = local_day_bounds(utc(2026, 6, 10, 23, 30), AMS)
    assert start.astimezone(AMS) == ams(2026, 6, 11)


def test_the_spring_forward_day_is_23_hours():
    start, end = local_day_bounds(utc(2026, 3, 29, 12), AMS)
    assert (start, end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert end - start == timedelta(hours=23)


def test_the_fall_back_day_is_25_hours():
    start, end = local_day_bounds(utc(2026, 10, 25, 12), AMS)
    assert (start, end) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert end - start == timedelta(hours=25)


def test_a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps():
    # Cuba: 2026-03-08 00:00 CST jumps to 01:00 CDT
    start, end = local_day_bounds(utc(2026, 3, 8, 17), HAVANA)
    assert start == utc(2026, 3, 8, 5)
    assert start.astimezone(HAVANA).time() == time(1)
    assert end - start == timedelta(hours=23)


@settings(max_examples=300, deadline=None)
@given(moment=moments, tz=st.sampled_from(ZONES))
def test_day_bounds_contain_the_moment_and_exactly_its_local_day(moment, tz):
    start, end = local_day_bounds(moment, tz)
    day = moment.astimezone(tz).date()
    assert start <= moment < end
    assert start.astimezone(tz).date() == day
    assert (end - timedelta(microseconds=1)).astimezone(tz).date() == day
    assert (start - timedelta(microseconds=1)).astimezone(tz).date() < day
    assert end.astimezone(tz).date() > day
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)


# --------------------------------------------------------------------------- ISO weeks


@pytest.mark.parametrize(
    ("moment", "key"),
    [
        (ams(2026, 11, 26, 12), "2026-W48"),
        (ams(2026, 12, 31, 12), "2026-W53"),  # 2026 has 53 ISO weeks
        (ams(2027, 1, 3, 12), "2026-W53"),  # Sunday 3 Jan 2027 still belongs to it
        (ams(2027, 1, 4, 0, 0), "2027-W01"),
        (ams(2025, 12, 29, 12), "2026-W01"),  # Monday 29 Dec 2025 opens 2026-W01
        (ams(2026, 1, 1, 0, 30), "2026-W01"),
    ],
)
def test_iso_week_key(moment: datetime, key: str):
    assert iso_week_key(moment, AMS) == key
    assert iso_week_key(moment.astimezone(UTC), AMS) == key


def test_iso_week_key_uses_the_local_date():
    # Sunday 27 Dec 23:30 UTC is Monday 28 Dec 00:30 in Amsterdam: the next week
    moment = utc(2026, 12, 27, 23, 30)
    assert iso_week_key(moment, ZoneInfo("UTC")) == "2026-W52"
    assert iso_week_key(moment, AMS) == "2026-W53"


# --------------------------------------------------------------------------- cron times


@pytest.mark.parametrize("at", [time(2), time(2, 30), time(2, 59, 59)])
def test_cron_times_in_the_dst_hour_are_refused(at: time):
    with pytest.raises(ValueError, match="02:00-03:00"):
        check_cron_time(at)


@pytest.mark.parametrize("at", [time(0), time(1, 59), time(3), time(9), time(23, 59)])
def test_other_cron_times_pass(at: time):
    assert check_cron_time(at) == at


def test_cron_time_must_be_a_wall_clock_time():
    with pytest.raises(ValueError, match="wall-clock time and must not carry a tzinfo"):
        check_cron_time(time(9, tzinfo=UTC))


# --------------------------------------------------------------------------- clocks


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert isinstance(SystemClock(), Clock)


def test_fake_clock_advances_and_jumps():
    clock = FakeClock(ams(2026, 3, 28, 20))
    assert isinstance(clock, Clock)
    assert clock.now() == utc(2026, 3, 28, 19)
    assert clock.now().tzinfo is UTC
    assert clock.advance(timedelta(days=1)) == utc(2026, 3, 29, 19)
    assert clock.advance(90) == utc(2026, 3, 29, 19, 1, 30)
    assert clock.advance(0.5) == utc(2026, 3, 29, 19, 1, 30) + timedelta(milliseconds=500)
    assert clock.set(utc(2026, 1, 1)) == utc(2026, 1, 1)
    assert clock.now() == utc(2026, 1, 1)
    assert clock.set(datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=5)))) == utc(
        2026, 1, 1, 7
    )


def test_fake_clock_refuses_naive_times_and_going_backwards_by_advance():
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        FakeClock(datetime(2026, 1, 1))
    clock = FakeClock(utc(2026, 1, 1))
    with pytest.raises(ValueError, match="moment must be timezone-aware"):
        clock.set(datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="a clock does not go backwards: -1"):
        clock.advance(-1)
    assert clock.now() == utc(2026, 1, 1)


# --------------------------------------------------------------------------- offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1d", timedelta(days=1)),
        ("+2h", timedelta(hours=2)),
        ("+30m", timedelta(minutes=30)),
        ("+1d2h", timedelta(days=1, hours=2)),
        ("1d", timedelta(days=1)),
        ("+2u", timedelta(hours=2)),  # Dutch: uur
        ("+1w", timedelta(weeks=1)),
        ("+45s", timedelta(seconds=45)),
        ("+1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        (" +1D 2H ", timedelta(days=1, hours=2)),
        ("+0m", timedelta(0)),
    ],
)
def test_parse_offset(text: str, expected: timedelta):
    assert parse_offset(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+",
        "1",
        "+1",
        "-1d",
        "+1x",
        "+2h1d",
        "+1.5h",
        "d",
        "+1d+2h",
        "tomorrow",
        "+99999999999w",
    ],
)
def test_parse_offset_refuses_junk(text: str):
    with pytest.raises(
        ValueError, match=r"^(not an offset|offset too large): " + re.escape(repr(text))
    ):
        parse_offset(text)


def test_parse_offset_drives_the_fake_clock():
    clock = FakeClock(ams(2026, 3, 28, 20))
    clock.advance(parse_offset("+1d"))
    assert clock.now().astimezone(AMS) == ams(2026, 3, 29, 21)  # 24 h later: 21:00 CEST
