"""Calendar files (RFC 5545) for actions, through the ``icalendar`` library.

The UID is stable per action (its id and the bot's name), DTSTART/DTEND carry the
Europe/Amsterdam zone with its VTIMEZONE (summer and winter time), SEQUENCE goes up at
every move or cancel (``Action.ics_sequence``), and a cancelled action says
STATUS:CANCELLED, so a calendar that imported it before updates the same event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.models import Action, ActionStatus

DURATION = {"meeting": timedelta(hours=2), "action": timedelta(hours=3)}
ZONE = "Europe/Amsterdam"
PRODID = "-//Buurbot//Buurbot materials//NL"


def uid_of(action: Action, bot_username: str) -> str:
    return f"action-{action.id}@{bot_username or 'buurbot'}.buurbot"


def action_ics(
    action: Action,
    *,
    description: str,
    url: str,
    bot_username: str,
    now: datetime,
    timezone: str = ZONE,
) -> bytes:
    """One VEVENT for the action in a VCALENDAR with the zone's VTIMEZONE."""
    from icalendar import Calendar, Event, Timezone

    tz = ZoneInfo(timezone)
    start = action.starts_at.astimezone(tz)
    end = start + DURATION.get(str(action.kind), timedelta(hours=2))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if action.status is ActionStatus.CANCELLED else "PUBLISH")
    year = timedelta(days=366)  # the transitions around it: both summer and winter time
    calendar.add_component(
        Timezone.from_tzid(timezone, first_date=start.date() - year, last_date=end.date() + year)
    )
    event = Event()
    event.add("uid", uid_of(action, bot_username))
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", action.title)
    if action.place.strip():
        event.add("location", action.place)
    event.add("description", description)
    event.add("url", url)
    event.add("sequence", action.ics_sequence)
    event.add("status", "CANCELLED" if action.status is ActionStatus.CANCELLED else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
