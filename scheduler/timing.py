"""Human time for the scheduler.

Two kinds of time arithmetic, kept apart on purpose:

* **Wall-clock rules** ("the next day at 10:00", "not between 21:00 and 09:00")
  are computed on the person's *local* calendar and clock, then converted to
  UTC. Across a DST change "the next day at 10:00" is 23 or 25 hours later.
* **Elapsed time** ("in 24 hours", "retry after 5 s") is plain UTC arithmetic.

Every function takes and returns *aware* datetimes; naive input raises
``ValueError``. Results are in UTC (``tzinfo=datetime.timezone.utc``).

How local wall-clock times that do not map to exactly one instant are resolved
(checked with Europe/Amsterdam in ``tests/test_timing.py``):

* non-existent (spring forward, 2026-03-29 02:30): ``local_wall_clock`` moves
  the time forward by the length of the gap, 02:30 -> 03:30 CEST
  (01:30 UTC), as a person would move an appointment when the clock jumps;
* ambiguous (fall back, 2026-10-25 02:30): the first occurrence (fold=0,
  still CEST, 00:30 UTC).

The clock itself is injected (``Clock``): production uses ``SystemClock``,
tests and the console's fast-forward (``/tijd +1d``) use ``FakeClock``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol, runtime_checkable

__all__ = [
    "Clock",
    "FakeClock",
    "QuietHours",
    "SystemClock",
    "check_cron_time",
    "days_after_at",
    "iso_week_key",
    "local_day_bounds",
    "local_wall_clock",
    "parse_offset",
]


# --------------------------------------------------------------------------- helpers


def _require_aware(moment: datetime, name: str = "moment") -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    return moment


def _as_utc(moment: datetime, name: str = "moment") -> datetime:
    return _require_aware(moment, name).astimezone(UTC)


def _require_wall_time(at: time, name: str = "at") -> time:
    if not isinstance(at, time):
        raise TypeError(f"{name} must be a datetime.time, got {type(at).__name__}")
    if at.tzinfo is not None:
        raise ValueError(f"{name} is a local wall-clock time and must not carry a tzinfo")
    return at


def _require_day(day: date) -> date:
    # datetime is a subclass of date: passing one here is the classic
    # "took .date() of a UTC datetime" bug, so refuse it outright.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"day must be a datetime.date (not a datetime), got {type(day).__name__}")
    return day


def _resolutions(day: date, at: time, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC instants of the wall-clock time ``day at`` read with fold=0 and fold=1.

    Equal: the time exists once. fold=0 earlier: ambiguous (fall back), the two
    occurrences. fold=0 later: non-existent (spring forward); PEP 495 reads it
    with the offset from before the gap (fold=0) or after it (fold=1).
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return first, second


def _transition_between(before: datetime, after: datetime, tz: tzinfo) -> datetime:
    """The first instant in (before, after] with ``after``'s UTC offset (whole seconds)."""
    old_offset = before.astimezone(tz).utcoffset()
    lo = math.floor(before.timestamp())  # offset(lo) is the old offset
    hi = math.ceil(after.timestamp())  # offset(hi) is the new one
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == old_offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _first_instant_at_or_after(day: date, at: time, tz: tzinfo) -> datetime:
    """The first instant at which the local clock on ``day`` shows ``at`` or later.

    Unlike ``local_wall_clock`` a non-existent time resolves to the moment the
    clock jumps (the end of the gap), because that is when "it is ``at`` or
    later" first becomes true. This is what quiet hours and day bounds need.
    """
    first, second = _resolutions(day, at, tz)
    if first > second:  # inside a spring-forward gap
        return _transition_between(second, first, tz)
    return first


# --------------------------------------------------------------------------- wall clock


def local_wall_clock(day: date, at: time, tz: tzinfo) -> datetime:
    """The UTC instant at which the clock in ``tz`` shows ``at`` on ``day``.

    >>> from zoneinfo import ZoneInfo
    >>> local_wall_clock(date(2026, 3, 29), time(10), ZoneInfo("Europe/Amsterdam"))
    datetime.datetime(2026, 3, 29, 8, 0, tzinfo=datetime.timezone.utc)

    A time in a spring-forward gap moves forward by the length of the gap
    (02:30 -> 03:30 local); an ambiguous time takes its first occurrence.
    Both are what reading the time with fold=0 means (PEP 495); the
    ``ZoneInfo`` type implements that, which is why ``pytz`` zones are not
    supported.
    """
    _require_day(day)
    _require_wall_time(at)
    first, _second = _resolutions(day, at, tz)
    return first


def days_after_at(moment_utc: datetime, days: int, at: time, tz: tzinfo) -> datetime:
    """``days`` local calendar days after ``moment_utc``, at local ``at``, in UTC.

    "The next day at 10:00" is ``days_after_at(action_end, 1, time(10), tz)``:
    the local date of the moment (converted first, then ``.date()``) plus
    ``days``, at 10:00 local. It stays 10:00 local across DST changes.
    """
    local_day = _require_aware(moment_utc, "moment_utc").astimezone(tz).date()
    return local_wall_clock(local_day + timedelta(days=days), at, tz)


# --------------------------------------------------------------------------- quiet hours


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily local window in which the bot does not start conversations.

    The window is half-open, ``[start, end)`` on the local wall clock: with the
    default 21:00-09:00, 21:00 and 08:59 are quiet, 09:00 is not. ``start >
    end`` spans midnight; ``start < end`` is a window within one day (a
    siesta, say); ``start == end`` means no quiet hours at all.
    """

    start: time = time(21)
    end: time = time(9)

    def __post_init__(self) -> None:
        _require_wall_time(self.start, "start")
        _require_wall_time(self.end, "end")

    @property
    def spans_midnight(self) -> bool:
        return self.start > self.end

    def _contains_wall(self, t: time) -> bool:
        if self.start == self.end:
            return False
        if self.spans_midnight:
            return t >= self.start or t < self.end
        return self.start <= t < self.end

    def contains(self, moment_utc: datetime, tz: tzinfo) -> bool:
        """Is the local wall clock in ``tz`` at ``moment_utc`` inside the window?"""
        local = _require_aware(moment_utc, "moment_utc").astimezone(tz)
        return self._contains_wall(local.time())

    def next_allowed(self, moment_utc: datetime, tz: tzinfo) -> datetime:
        """``moment_utc`` in UTC if it is outside quiet hours, else the end of them.

        The end is the first instant at which the local clock shows ``end``
        (09:00 the next morning for 22:30, 09:00 the same morning for 08:59).
        If ``end`` falls in a spring-forward gap, quiet hours end when the
        clock jumps. The result is never earlier than the input and never
        inside quiet hours.
        """
        current = _as_utc(moment_utc, "moment_utc")
        # One step normally; a second only in contrived windows whose end lies
        # in a DST gap and whose start lies just after it.
        for _ in range(4):
            if not self.contains(current, tz):
                return current
            current = self._end_of_period(current, tz)
        raise RuntimeError(f"no allowed time after {moment_utc!r} for {self!r}")  # pragma: no cover

    def _end_of_period(self, current: datetime, tz: tzinfo) -> datetime:
        local = current.astimezone(tz)
        end_day = local.date()
        if self.spans_midnight and local.time() >= self.start:
            end_day += timedelta(days=1)
        end = _first_instant_at_or_after(end_day, self.end, tz)
        if end <= current:
            # ``end`` is ambiguous (fall back) and we are in the repeated hour,
            # after its first occurrence: the period ends at the second one.
            _first, end = _resolutions(end_day, self.end, tz)
        return end


# --------------------------------------------------------------------------- days and weeks


def local_day_bounds(moment_utc: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of the local calendar day that contains ``moment_utc``.

    For per-person daily budgets ("at most N notifications a day"). On DST days
    the day is 23 or 25 hours long; where midnight itself is skipped the day
    starts when the clock jumps.
    """
    local_day = _require_aware(moment_utc, "moment_utc").astimezone(tz).date()
    start = _first_instant_at_or_after(local_day, time(0), tz)
    end = _first_instant_at_or_after(local_day + timedelta(days=1), time(0), tz)
    return start, end


def iso_week_key(moment_utc: datetime, tz: tzinfo) -> str:
    """The ISO week of the local date, like ``"2026-W48"`` (ISO year, not calendar year)."""
    iso = _require_aware(moment_utc, "moment_utc").astimezone(tz).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


# --------------------------------------------------------------------------- cron safety

_CRON_UNSAFE_FROM = time(2)
_CRON_UNSAFE_UNTIL = time(3)


def check_cron_time(at: time) -> time:
    """Validate the local time of a cron job; return it unchanged.

    Refuses local times in [02:00, 03:00): in the European zones that hour is
    skipped on the last Sunday of March and repeated on the last Sunday of
    October, and APScheduler 3.11.3 then fires a 02:30 Europe/Amsterdam job
    at 03:30 and twice, respectively.
    """
    _require_wall_time(at)
    if _CRON_UNSAFE_FROM <= at < _CRON_UNSAFE_UNTIL:
        raise ValueError(
            f"cron time {at.isoformat()} is in the DST hour 02:00-03:00 local "
            "(skipped in March, repeated in October); choose another time"
        )
    return at


# --------------------------------------------------------------------------- clocks


@runtime_checkable
class Clock(Protocol):
    """The source of "now". Always aware, in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; for tests and the console's fast-forward."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start, "start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds); return the new now."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError(f"a clock does not go backwards: {delta!r}")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (any aware datetime, also backwards); return it in UTC."""
        self._now = _as_utc(moment)
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"


# --------------------------------------------------------------------------- offsets

_OFFSET = re.compile(
    r"""
    \+?\s*
    (?:(?P<w>\d+)\s*w\s*)?
    (?:(?P<d>\d+)\s*d\s*)?
    (?:(?P<h>\d+)\s*[hu]\s*)?
    (?:(?P<m>\d+)\s*m\s*)?
    (?:(?P<s>\d+)\s*s\s*)?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_offset(text: str) -> timedelta:
    """Parse a fast-forward offset such as ``"+1d"``, ``"+2h"``, ``"+30m"``, ``"+1d2h"``.

    Units, in this order: ``w`` weeks, ``d`` days, ``h`` (or Dutch ``u``,
    uur) hours, ``m`` minutes, ``s`` seconds; the ``+`` is optional, case and
    spaces between parts are ignored. Anything else, a negative offset or an
    absurdly large one raises ``ValueError``.
    """
    if not isinstance(text, str):
        raise ValueError(f"not an offset: {text!r}")
    match = _OFFSET.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"not an offset: {text!r} (try +1d, +2h, +30m or +1d2h)")
    parts = {_UNITS[unit]: int(value) for unit, value in match.groupdict().items() if value}
    try:
        return timedelta(**parts)
    except OverflowError as exc:
        raise ValueError(f"offset too large: {text!r}") from exc
