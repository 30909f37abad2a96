"""The one policy every part reads: when the scheduler's rules fire, the phase goals'
thresholds, the limits of the engine and the dispatcher, the sizes of lists.

Built once per process from the settings (`Policy.from_settings`) by `bot.app.bootstrap`,
and held by the services and the registry, so that a row is scheduled (rules), rendered
(renderers) and paced (dispatcher) under the same timings. What a deployment tunes is a
real setting in `bot.core.config.Settings` (the quiet days, the flood limits); everything else
is a fixed part of the design and has no knob, only this one place. (How fast a network
takes messages is the network's: its runtime brings its pacer.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import TYPE_CHECKING

from scheduler.timing import QuietHours, check_cron_time

if TYPE_CHECKING:
    from bot.core.config import Settings


@dataclass(frozen=True, slots=True)
class PhaseRules:
    """The thresholds of the phase goals, the same for every initiative. No setting
    tunes them (the old getattr knob read fields Settings never had)."""

    # Organisers besides the founder before an idea counts as shared.
    co_initiators: int = 1
    # Initiators and team members together before the team counts as a team.
    team_size: int = 3
    # Actions held before the group counts as having a rhythm.
    rhythm_actions: int = 2
    # Quotes requested and compared in a collective purchase.
    quotes: int = 2


@dataclass(frozen=True, slots=True)
class RuleTimings:
    """When the rules fire. Quiet-day thresholds come from Settings (a coach tunes them)."""

    followup_days: int = 1
    followup_at: time = time(10)
    reminder_leads: tuple[tuple[str, timedelta], ...] = (
        ("24h", timedelta(hours=24)),
        ("2h", timedelta(hours=2)),
    )
    # A reminder must arrive at least this long before the action starts.
    reminder_min_notice: timedelta = timedelta(minutes=30)
    # Leads shorter than this are "starts soon" reminders, meant for the day itself.
    reminder_soon_below: timedelta = timedelta(hours=12)
    # A reminder pulled before the quiet hours arrives this long before they begin.
    reminder_evening_margin: timedelta = timedelta(minutes=30)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    # Scheduled messages per person per local day (see scheduler.dispatch for the policy).
    daily_budget: int = 3
    stall_scan_at: time = time(9, 30)
    digest_weekday: str = "mon"
    digest_at: time = time(8, 30)
    # Nudges per quiet spell (counted since the initiative's last activity).
    nudges_per_quiet_spell: int = 2
    digest_upcoming: timedelta = timedelta(days=14)
    pause: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        check_cron_time(self.stall_scan_at)
        check_cron_time(self.digest_at)
        if self.daily_budget < 1:
            raise ValueError("daily_budget must be at least 1")


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Updates per window before the engine answers with one polite pause."""

    per_person: int = 20
    per_group: int = 40
    per_member_in_group: int = 8
    window_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class SchedulerPolicy:
    """How often the scheduler sweeps and reaps, and how long a claimed row is leased."""

    sweep_seconds: float = 5.0
    reap_seconds: float = 60.0
    lease: timedelta = timedelta(minutes=10)
    # Rows one sweep claims at a time.
    batch_size: int = 200


@dataclass(frozen=True, slots=True)
class Policy:
    timings: RuleTimings = field(default_factory=RuleTimings)
    phases: PhaseRules = field(default_factory=PhaseRules)
    # The one stall threshold (bot/domain/stall.py, Settings.stall_days): quiet this many days
    # with nothing planned ahead, an initiative's initiators get a nudge, its coach an
    # alert, and the overview, the digest and the programme dashboard list it as quiet.
    stall_days: int = 21
    flood: FloodLimits = field(default_factory=FloodLimits)
    # Longer texts are refused kindly (Telegram's own limit is 4096).
    max_text_length: int = 4096
    # The group's reminder of an action (a member's private reminders: timings.reminder_leads).
    group_reminder_lead: timedelta = timedelta(hours=24)
    # Items in a list of buttons or lines (actions, kits, people, a digest's sections).
    list_max: int = 8
    scheduler: SchedulerPolicy = field(default_factory=SchedulerPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy with what the settings tune; the rest as designed."""
        return cls(
            stall_days=settings.stall_days,
            flood=FloodLimits(
                per_person=settings.flood_max_updates,
                per_group=settings.group_flood_max_updates,
                per_member_in_group=settings.group_member_flood_max_updates,
                window_seconds=settings.flood_window_seconds,
            ),
            max_text_length=settings.max_text_length,
        )
