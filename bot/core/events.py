"""Domain events: what happened, told by the domain's operations, heard by whoever cares.

An operation (bot/domain/operations.py) emits `ActionPlanned(action_id, by_id)` through
the collector its caller passes (a flow passes `ctx.emit`); before the update's
transaction commits, the engine hands each event to its subscribers (the scheduler's
rules, the activity log) and then to its reactions (the progress check, which may
celebrate in the chat), so the rows they write commit together with the change that
caused them. Flows never import the scheduler. `by_id` is the person who did it (None
when nobody did: a test, the scheduler).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MemberRole, Phase, RsvpAnswer


@dataclass(frozen=True, slots=True)
class InitiativeCreated:
    initiative_id: int
    resident_id: int


@dataclass(frozen=True, slots=True)
class MemberJoined:
    initiative_id: int
    resident_id: int
    role: MemberRole
    invited_by_id: int | None = None
    # A follower who came to help and joined the team (the follow-up's button), not someone new.
    was_follower: bool = False


@dataclass(frozen=True, slots=True)
class MemberLeft:
    initiative_id: int
    resident_id: int


@dataclass(frozen=True, slots=True)
class MemberRoleChanged:
    """Into the team, up to initiator, or the initiator's role handed over."""

    initiative_id: int
    resident_id: int
    role: MemberRole
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class InviteRevoked:
    initiative_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class InviteRenewed:
    initiative_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class ActionPlanned:
    action_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class ActionChanged:
    """Moved to another time or place: reminders follow it."""

    action_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class CapacityChanged:
    """A new number of places (the waiting list may move up: its `RsvpGiven` events)."""

    action_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChecklistTicked:
    action_id: int
    item: int
    done: bool
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class TaskAdded:
    task_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class TaskAssigned:
    task_id: int
    assignee_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class TaskDone:
    task_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class DoorTallied:
    """Households that said yes at the door, written down for an action."""

    action_id: int
    yes: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class PollStarted:
    initiative_id: int
    chat_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteAdded:
    initiative_id: int
    quote_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteRemoved:
    initiative_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class GroupLinked:
    initiative_id: int
    chat_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class GroupUnlinked:
    initiative_id: int
    chat_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class ActionCancelled:
    action_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class RsvpGiven:
    action_id: int
    resident_id: int
    answer: RsvpAnswer
    promoted_from_waitlist: bool = False


@dataclass(frozen=True, slots=True)
class ActionReviewed:
    action_id: int
    by_id: int | None = None


@dataclass(frozen=True, slots=True)
class PhaseReached:
    initiative_id: int
    phase: Phase


@dataclass(frozen=True, slots=True)
class SupportRequested:
    request_id: int
    by_id: int | None = None


Event = (
    InitiativeCreated
    | MemberJoined
    | MemberLeft
    | MemberRoleChanged
    | InviteRevoked
    | InviteRenewed
    | ActionPlanned
    | ActionChanged
    | ActionCancelled
    | CapacityChanged
    | ChecklistTicked
    | TaskAdded
    | TaskAssigned
    | TaskDone
    | DoorTallied
    | PollStarted
    | QuoteAdded
    | QuoteRemoved
    | GroupLinked
    | GroupUnlinked
    | RsvpGiven
    | ActionReviewed
    | PhaseReached
    | SupportRequested
)

# A subscriber may return further events (e.g. a phase reached); they are published too.
Subscriber = Callable[[AsyncSession, Event, datetime], Awaitable["list[Event] | None"]]
# What a rule is written as: a function of the events it subscribes to (the registry hands it
# only those, so it may take a narrower type than `Event`).
E = TypeVar("E", bound=Event)
F = TypeVar("F", bound=Event)
SubscriberOf = Callable[[AsyncSession, E, datetime], Awaitable["list[Event] | None"]]


class Emit(Protocol):
    """Where an operation puts the events it caused (a flow passes `ctx.emit`; a test, a
    list's `append`)."""

    def __call__(self, event: Event, /) -> None: ...
