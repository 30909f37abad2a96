"""The questions planning and changing an action share: the title, the day and time
(typed freely, the time asked apart when missing, confirmed back), the place and the
number of places. The plan, edit and task flows build their steps from these.

The step names are stored in conversations: renaming one strands who is answering it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from bot.core.context import Ctx
from bot.core.flow import Ask, Choice, Invalid, Next, TextAnswer
from bot.core.understand import parse_count
from bot.i18n import N_, Safe

TITLE_MAX = 80
PLACE_MAX = 120
TASK_MAX = 120
CAPACITY_MAX = 10_000


class Step(StrEnum):
    WHAT = "what"
    TITLE = "title"
    WHEN = "when"
    TIME = "time"
    CONFIRM = "confirm"
    PLACE = "place"
    CAPACITY = "capacity"
    WHO = "who"


def local_now(ctx: Ctx) -> datetime:
    return ctx.now().astimezone(ctx.texts.tz)


def starts_at_of(ctx: Ctx) -> datetime | None:
    raw = ctx.data.get("starts_at")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def parse_title(_ctx: Ctx, text: str) -> str:
    title = " ".join(text.split())
    if not any(char.isalnum() for char in title):
        raise Invalid(N_("That doesn't look like a title. What's it called?"))
    return title


def parse_day_and_time(ctx: Ctx, text: str) -> dict[str, str | None]:
    # bot.core.when builds its word lists from Babel at import: load it when a date is typed.
    from bot.core.when import parse_when, why_not

    typed, now = " ".join(text.split()), local_now(ctx)
    found = parse_when(typed, now=now)
    refused = why_not(typed, now=now) if found is None else None
    if refused == "past":
        raise Invalid(N_("That moment has already passed. Which day and time do you mean?"))
    if refused == "far":
        raise Invalid(N_("That's more than two years ahead. Which day and time do you mean?"))
    if found is None:
        raise Invalid(
            N_(
                "I couldn't read a date in that. Try it like one of these:\n"
                "• Saturday 12 December 14:00\n"
                "• next Tuesday 19:30\n"
                "• tomorrow 8pm"
            )
        )
    return {
        "day": found.day.isoformat(),
        "time": found.time.strftime("%H:%M") if found.time else None,
    }


def _moment(ctx: Ctx, day: str, at: str) -> datetime:
    from bot.core.when import When

    return When(date.fromisoformat(day), time.fromisoformat(at)).at(ctx.texts.tz)


def after_day_and_time(ctx: Ctx, value: dict[str, Any]) -> Next:
    if not value.get("time"):
        return Step.TIME
    ctx.data["starts_at"] = _moment(ctx, value["day"], value["time"]).astimezone(UTC).isoformat()
    return Step.CONFIRM


def say_time(ctx: Ctx) -> Safe:
    raw = (ctx.data.get(Step.WHEN) or {}).get("day")
    day = date.fromisoformat(raw) if raw else local_now(ctx).date()
    return ctx._("And at what time on {day}? For example 14:00 or 19.30.", day=ctx.texts.day(day))


def parse_clock(ctx: Ctx, text: str) -> str:
    from bot.core.when import parse_time

    found = parse_time(text)
    if found is None:
        raise Invalid(N_("That isn't a time I can read. Type it like 14:00 or 19.30."))
    day = (ctx.data.get(Step.WHEN) or {}).get("day")
    if not day or _moment(ctx, day, found.strftime("%H:%M")) <= ctx.now():
        raise Invalid(N_("That time has already passed. Which time do you mean?"))
    return found.strftime("%H:%M")


def after_clock(ctx: Ctx, value: str) -> Next:
    day = (ctx.data.get(Step.WHEN) or {}).get("day") or ""
    ctx.data["starts_at"] = _moment(ctx, day, value).astimezone(UTC).isoformat()
    return Step.CONFIRM


def say_confirm(ctx: Ctx) -> Safe:
    moment = starts_at_of(ctx)
    if moment is None:
        return ctx._("So that is <b>{when}</b>. Is that right?", when="?")
    year = moment.astimezone(ctx.texts.tz).year
    if year != local_now(ctx).year:  # "1 november" typed in December is next year's
        return ctx._(
            "So that is <b>{when}</b>, in {year}. Is that right?",
            when=ctx.texts.when(moment),
            year=year,
        )
    return ctx._("So that is <b>{when}</b>. Is that right?", when=ctx.texts.when(moment))


def when_steps(*, say_when: Any, after_confirm: Any) -> list[Ask]:
    """Day and time: typed freely, the time asked apart when missing, confirmed back."""
    return [
        Ask(
            Step.WHEN,
            say=say_when,
            text=TextAnswer(parse=parse_day_and_time, max_length=200),
            then=after_day_and_time,
        ),
        Ask(
            Step.TIME,
            say=say_time,
            text=TextAnswer(parse=parse_clock, max_length=60),
            then=after_clock,
        ),
        Ask(
            Step.CONFIRM,
            say=say_confirm,
            choices=[
                Choice("yes", N_("Yes")),
                Choice("change", N_("Change"), then=Step.WHEN),
            ],
            then=after_confirm,
            columns=2,
            use_buttons_hint=N_("Please answer with the buttons: is this day and time right?"),
        ),
    ]


def say_place(ctx: Ctx) -> Safe:
    return ctx._(
        "Where is it? For example an address, “at Anna's, number 12” or “the community "
        "centre”. Up to {limit} characters.",
        limit=PLACE_MAX,
    )


def parse_place(_ctx: Ctx, text: str) -> str:
    place = " ".join(text.split())
    if not any(char.isalnum() for char in place):
        raise Invalid(N_("That doesn't look like a place. Where is it?"))
    return place


def say_capacity(ctx: Ctx) -> Safe:
    return ctx._(
        "How many people can come at most? Type a number from 1 to {limit}, or press “No limit”.",
        limit=ctx.texts.number(CAPACITY_MAX),
    )


def parse_capacity(_ctx: Ctx, text: str) -> int:
    number = parse_count(text)  # "12", "twaalf", "12 personen"
    if number is None or not 1 <= number <= CAPACITY_MAX:
        raise Invalid(
            N_("Please type a number from 1 to 10000, or press “No limit”."),
        )
    return number
