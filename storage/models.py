"""The domain tables. Alembic migrations (storage/migrations) are the only way
the schema is made; `tests/test_migrations.py` checks these models match them.

Conventions (see DESIGN.md, known pitfalls): datetimes are aware and stored as
UTC; enums are stored as their values in plain strings (non-native) so the same
migration runs on SQLite and PostgreSQL; Telegram ids are BigInteger.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig


class JSONValue(sa.types.TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL: `sa.JSON().with_variant(JSONB(), "postgresql")`,
    but without importing SQLAlchemy's PostgreSQL dialect (3 MB resident) into a process
    on SQLite. Python's None is JSON's null, as `sa.JSON()` stores it."""

    impl = sa.JSON
    cache_ok = True
    should_evaluate_none = True  # sa.JSON(none_as_null=False) says so too

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


JSONType = JSONValue()


def is_json(column_type: sa.types.TypeEngine[Any]) -> bool:
    """Whether a column holds JSON (ours, `JSONValue`, or SQLAlchemy's own)."""
    return isinstance(column_type, JSONValue | sa.JSON)


def utcnow() -> datetime:
    return datetime.now(UTC)


# 16 URL-safe characters, 96 random bits: a deep link nobody can guess or count up to.
LINK_TOKEN_BYTES = 12


def new_link_token() -> str:
    return secrets.token_urlsafe(LINK_TOKEN_BYTES)


def enum_type(enum_cls: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
    )


def person_fk(*, nullable: bool = True, on_delete: str = "SET NULL", index: bool = True) -> Any:
    """A reference to a resident; every such column is covered by export and forget."""
    return Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("resident.id", ondelete=on_delete),
            nullable=nullable,
            index=index,
        ),
    )


# Column info that bot/domain/privacy.py reads for what a foreign key cannot say, with the rule
# on forget (CASCADE: the row goes; SET NULL: only the value goes).
# A chat id that is the person's Telegram id when the chat is private:
PRIVATE_CHAT_ROW = {"person_chat": "CASCADE"}
PRIVATE_CHAT_VALUE = {"person_chat": "SET NULL"}
# A JSON column whose rows about a person (naming their resident id) go with them; in
# other JSON columns only the id is taken out.
ROW_ABOUT_NAMED_PEOPLE = {"names_people": "CASCADE"}


class TableModel(SQLModel):
    """The base of every table: SQLModel's, with pydantic's validator and serializer of a
    table built at its first use (`model_dump` in the export), not when the class is made.

    Why: a row is made and loaded without them (SQLModel does not validate a table's
    rows), so building them for every table at import only cost the start (about 0.1 s
    and 1 MB that a running bot kept) and was never used."""

    model_config = SQLModelConfig(from_attributes=True, defer_build=True)


class PersonRole(StrEnum):
    RESIDENT = "resident"
    COACH = "coach"
    OPERATOR = "operator"


class Reminders(StrEnum):
    ON = "on"
    PAUSED = "paused"
    OFF = "off"


class Phase(StrEnum):
    INITIATE = "initiate"
    ACTIVATE = "activate"
    STRUCTURE = "structure"
    GROW = "grow"
    SUSTAIN = "sustain"

    @property
    def number(self) -> int:
        return list(Phase).index(self) + 1


class Theme(StrEnum):
    ENERGY_SAVING = "energy_saving"
    COLLECTIVE_PURCHASE = "collective_purchase"
    HEAT_TRANSITION = "heat_transition"
    GREENER = "greener"
    SAFER = "safer"
    SOCIABLE = "sociable"
    OMGEVINGSWET = "omgevingswet"
    OTHER = "other"


class Level(StrEnum):
    STREET = "street"
    NEIGHBOURHOOD = "neighbourhood"
    DISTRICT = "district"


class MemberRole(StrEnum):
    INITIATOR = "initiator"
    TEAM = "team"
    FOLLOWER = "follower"


class ActionKind(StrEnum):
    MEETING = "meeting"
    ACTION = "action"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class RsvpAnswer(StrEnum):
    COMING = "coming"
    MAYBE = "maybe"
    NO = "no"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PersonFacts(Protocol):
    """What is read of a resident who is not changed: a `Resident`, or the plain row the
    scheduler prefetches for a batch (building ORM objects was a fifth of a sweep's CPU)."""

    @property
    def id(self) -> int | None: ...
    @property
    def telegram_id(self) -> int: ...
    @property
    def first_name(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def display_name(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def consented_at(self) -> datetime | None: ...
    @property
    def announcements_opt_in(self) -> bool: ...
    @property
    def reminders(self) -> Reminders: ...
    @property
    def reminders_paused_until(self) -> datetime | None: ...
    @property
    def reachable(self) -> bool: ...
    @property
    def role(self) -> PersonRole: ...
    @property
    def onboarded_at(self) -> datetime | None: ...


class Resident(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # The messenger's user id (Telegram's; console people get one from their name).
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    # Telegram's first name, needed to address the person before consent.
    first_name: str = Field(max_length=64)
    # The name the person chose to be called; stored only with consent.
    name: str | None = Field(default=None, max_length=64)
    language: str = Field(default="nl", max_length=8)
    language_chosen: bool = False
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    postcode: str | None = Field(default=None, max_length=7)
    consented_at: datetime | None = None
    announcements_opt_in: bool = False
    reminders: Reminders = Field(default=Reminders.ON, sa_type=enum_type(Reminders))
    reminders_paused_until: datetime | None = None
    reachable: bool = True
    role: PersonRole = Field(default=PersonRole.RESIDENT, sa_type=enum_type(PersonRole))
    onboarded_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)

    @property
    def display_name(self) -> str:
        return self.name or self.first_name


class Conversation(TableModel, table=True):
    """Where a person is in a flow, per chat: the restart-safe conversation state."""

    __table_args__ = (sa.UniqueConstraint("chat_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_ROW})
    resident_id: int = person_fk(nullable=False, on_delete="CASCADE")
    flow: str | None = Field(default=None, max_length=40)
    step: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    updated_at: datetime = Field(default_factory=utcnow)


class ProcessedUpdate(TableModel, table=True):
    """Update ids already handled, so a redelivered update is handled once."""

    __tablename__ = "processed_update"

    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )
    processed_at: datetime = Field(default_factory=utcnow, index=True)


class Initiative(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80)
    what: str = Field(max_length=1000)
    why: str = Field(default="", max_length=1000)
    level: Level = Field(default=Level.STREET, sa_type=enum_type(Level))
    place: str = Field(default="", max_length=120)
    postcode_area: str | None = Field(default=None, max_length=4, index=True)
    theme: Theme = Field(default=Theme.OTHER, sa_type=enum_type(Theme), index=True)
    phase: Phase = Field(default=Phase.INITIATE, sa_type=enum_type(Phase), index=True)
    phase_changed_at: datetime = Field(default_factory=utcnow)
    coach_id: int | None = person_fk()
    invite_token: str = Field(max_length=32, unique=True, index=True)
    invite_active: bool = True
    households_reached: int = 0
    households_interested: int = 0
    households_committed: int = 0
    wishes_gathered: bool = False
    # The team chose to organise without a street group chat (a phase goal otherwise).
    group_chat_skipped: bool = False
    # A plan to find the missing team role, when it is not yet covered.
    role_plan: str | None = Field(default=None, max_length=500)
    # Why a coach should look (e.g. the initiator left); cleared by the coach.
    coach_attention: str | None = Field(default=None, max_length=200)
    # A coach may snooze the "quiet for N days" alert until then.
    stall_snoozed_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True)


class Membership(TableModel, table=True):
    __table_args__ = (sa.UniqueConstraint("initiative_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    resident_id: int = person_fk(nullable=False, on_delete="CASCADE")
    role: MemberRole = Field(default=MemberRole.TEAM, sa_type=enum_type(MemberRole))
    # The three team roles of the growth cycle, from the member's self-check.
    is_expert: bool = False
    is_connector: bool = False
    is_organiser: bool = False
    roles_checked: bool = False
    invited_by_id: int | None = person_fk()
    joined_at: datetime = Field(default_factory=utcnow)


class Action(TableModel, table=True):
    """A meeting (kitchen-table, neighbours' evening) or an action (the street joins)."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    kind: ActionKind = Field(default=ActionKind.ACTION, sa_type=enum_type(ActionKind))
    kit_id: str | None = Field(default=None, max_length=40)
    title: str = Field(max_length=80)
    starts_at: datetime = Field(index=True)
    place: str = Field(default="", max_length=120)
    capacity: int | None = None
    status: ActionStatus = Field(default=ActionStatus.PLANNED, sa_type=enum_type(ActionStatus))
    checklist: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    created_by_id: int | None = person_fk()
    created_at: datetime = Field(default_factory=utcnow)
    # The after-action review.
    attended: int | None = None
    went_well: str | None = Field(default=None, max_length=1000)
    went_badly: str | None = Field(default=None, max_length=1000)
    photo_file_id: str | None = Field(default=None, max_length=200)
    next_step: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = None
    # The code of the card's "show my name" deep link (gname-<token>).
    link_token: str = Field(default_factory=new_link_token, max_length=32, unique=True, index=True)
    # The calendar file's SEQUENCE (RFC 5545): one up at every move, change or cancel.
    ics_sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OutcomeSource(StrEnum):
    REVIEW = "review"  # the kit's questions in the after-action review
    DOOR = "door"  # a door-to-door tally, entered by an initiator


class Outcome(TableModel, table=True):
    """A number counted where it happened: tiles removed, homes insulated, households
    who said yes at the door. The review's numbers are one row per action and quantity
    (reporting again replaces them); door rounds are rows of their own. bot/domain/impact."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    action_id: int | None = Field(
        default=None, foreign_key="action.id", ondelete="CASCADE", index=True
    )
    key: str = Field(max_length=40)
    value: int
    source: OutcomeSource = Field(sa_type=enum_type(OutcomeSource))
    recorded_by_id: int | None = person_fk()
    recorded_at: datetime = Field(default_factory=utcnow, index=True)


class Rsvp(TableModel, table=True):
    # resident_id becomes NULL when the person is forgotten: the count stays a count.
    __table_args__ = (sa.UniqueConstraint("action_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", ondelete="CASCADE", index=True)
    resident_id: int | None = person_fk()
    answer: RsvpAnswer = Field(sa_type=enum_type(RsvpAnswer))
    waitlisted: bool = False
    show_name: bool = False
    answered_at: datetime = Field(default_factory=utcnow)


class Task(TableModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    action_id: int | None = Field(
        default=None, foreign_key="action.id", ondelete="CASCADE", index=True
    )
    title: str = Field(max_length=120)
    assignee_id: int | None = person_fk()
    done: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ActivityKind(StrEnum):
    """What happened in an initiative (`Activity.kind`; stored as its plain value, so a row
    written before a kind was named here still reads as a string)."""

    CREATED = "created"
    IDEA_DESCRIBED = "idea_described"
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    JOINED_TEAM = "joined_team"
    ROLES_CHECKED = "roles_checked"
    ROLE_PLAN = "role_plan"
    WISHES_GATHERED = "wishes_gathered"
    GROUP_CHAT_SKIPPED = "group_chat_skipped"
    ACTION_PLANNED = "action_planned"
    ACTION_CHANGED = "action_changed"
    ACTION_CANCELLED = "action_cancelled"
    ACTION_REVIEWED = "action_reviewed"
    DOOR_TALLY = "door_tally"
    TASK_ADDED = "task_added"
    TASK_ASSIGNED = "task_assigned"
    TASK_DONE = "task_done"
    CHECKLIST_TICKED = "checklist_ticked"
    QUOTE_ADDED = "quote_added"
    QUOTE_REMOVED = "quote_removed"
    SUPPORT_UPDATED = "support_updated"
    SUPPORT_REQUESTED = "support_requested"
    PHASE_REACHED = "phase_reached"
    PHASE_CORRECTED = "phase_corrected"
    INITIATIVE_EDITED = "initiative_edited"
    INVITE_RENEWED = "invite_renewed"
    INVITE_REVOKED = "invite_revoked"
    RSVP_IN_GROUP = "rsvp_in_group"
    POLL_STARTED = "poll_started"
    GROUP_LINKED = "group_linked"
    GROUP_UNLINKED = "group_unlinked"


class Activity(TableModel, table=True):
    """What happened in an initiative, for its coach's 'recent activity'."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=40)  # an ActivityKind
    resident_id: int | None = person_fk()
    at: datetime = Field(default_factory=utcnow, index=True)


class GroupChat(TableModel, table=True):
    __tablename__ = "group_chat"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    title: str = Field(default="", max_length=128)
    initiative_id: int | None = Field(
        default=None, foreign_key="initiative.id", ondelete="SET NULL", index=True
    )
    active: bool = True
    added_by_id: int | None = person_fk()
    linked_by_id: int | None = person_fk()
    linked_at: datetime | None = None
    pinned_message_id: int | None = None
    last_welcome_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # The code of the group's "link this group" deep link (group-<token>).
    link_token: str = Field(default_factory=new_link_token, max_length=32, unique=True, index=True)


class SentMessage(TableModel, table=True):
    """Message ids the bot must find again (an action card edited in place)."""

    __tablename__ = "sent_message"
    __table_args__ = (sa.UniqueConstraint("chat_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_ROW})
    key: str = Field(max_length=64)
    message_id: int = Field(sa_type=sa.BigInteger)
    poll_id: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ScheduledMessage(TableModel, table=True):
    """The outbox: every follow-up, reminder, nudge and delivery is a row."""

    __tablename__ = "scheduled_message"
    __table_args__ = (sa.Index("ix_scheduled_message_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=120, unique=True)
    resident_id: int | None = person_fk(on_delete="CASCADE")
    chat_id: int | None = Field(
        default=None, sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_ROW}
    )
    initiative_id: int | None = Field(
        default=None, foreign_key="initiative.id", ondelete="CASCADE", index=True
    )
    action_id: int | None = Field(
        default=None, foreign_key="action.id", ondelete="CASCADE", index=True
    )
    due_at: datetime
    priority: int = 1
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=enum_type(OutboxStatus))
    attempts: int = 0
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    # A row whose payload names someone (their joining, their help) is about them.
    payload: dict[str, Any] = Field(
        default_factory=dict,
        sa_type=JSONType,
        sa_column_kwargs={"info": ROW_ABOUT_NAMED_PEOPLE},
    )
    # One row per recipient of a broadcast: the delivery report counts these.
    broadcast_id: int | None = Field(
        default=None, foreign_key="broadcast.id", ondelete="CASCADE", index=True
    )
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class ReplyOutbox(TableModel, table=True):
    """Replies decided but not yet known to be delivered: written in the transaction of
    the conversation change, deleted once delivered (bot/core/replies.py)."""

    __tablename__ = "reply_outbox"

    id: int | None = Field(default=None, primary_key=True)
    # One row per handled update; its actions (bot/core/wire.py JSON) in the order they go out.
    update_id: int = Field(sa_type=sa.BigInteger, unique=True)
    # Forget and export find these rows by the person's Telegram id in either column.
    chat_id: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_ROW})
    # Telegram's user id: the order key.
    person_id: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_ROW})
    actions: list[Any] = Field(default_factory=list, sa_type=JSONType)
    # Written, or last taken by a redelivery: the lease runs from here.
    claimed_at: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0


class UpdateInbox(TableModel, table=True):
    """Telegram updates fetched by polling and not yet handled: stored in one transaction
    per getUpdates batch before the offset confirms them, deleted once handled; what a
    crash leaves is handled at the next start (bot/runtimes/polling.py)."""

    __tablename__ = "update_inbox"

    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    )
    # The update as the Bot API's JSON text (read back only after a crash).
    raw: str = Field(sa_type=sa.Text)
    # Telegram's user id of the sender, where the update names one: forget and export
    # find the row by it.
    person_id: int | None = Field(
        default=None, sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_ROW}
    )
    received_at: datetime = Field(default_factory=utcnow)


class Quote(TableModel, table=True):
    """A supplier's quote in a collective purchase, compared on normalised figures."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    supplier: str = Field(max_length=80)
    total_eur: float
    area_m2: float | None = None
    watt_peak: float | None = None
    yearly_saving_eur: float | None = None
    added_by_id: int | None = person_fk()
    created_at: datetime = Field(default_factory=utcnow)


class CoachArea(TableModel, table=True):
    """A coach's area: a range of 4-digit postcodes, or a neighbourhood by name."""

    __tablename__ = "coach_area"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = person_fk(nullable=False, on_delete="CASCADE")
    postcode_from: int | None = None
    postcode_to: int | None = None
    neighbourhood: str | None = Field(default=None, max_length=120)


class CoachInvite(TableModel, table=True):
    """A one-time link that makes whoever opens it a coach (with these areas)."""

    __tablename__ = "coach_invite"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=48, unique=True, index=True)
    areas: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    created_by_id: int | None = person_fk()
    created_at: datetime = Field(default_factory=utcnow)
    used_by_id: int | None = person_fk()
    used_at: datetime | None = None


class Broadcast(TableModel, table=True):
    """An announcement by a coach or operator to a chosen, opted-in audience."""

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = person_fk()
    text: str = Field(max_length=3500)
    link_url: str | None = Field(default=None, max_length=500)
    link_label: str | None = Field(default=None, max_length=60)
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: BroadcastStatus = Field(
        default=BroadcastStatus.DRAFT, sa_type=enum_type(BroadcastStatus)
    )
    # Where the progress message is edited in place.
    progress_chat_id: int | None = Field(
        default=None, sa_type=sa.BigInteger, sa_column_kwargs={"info": PRIVATE_CHAT_VALUE}
    )
    progress_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    finished_at: datetime | None = None


class GroupPoll(TableModel, table=True):
    """A poll the bot posted in a street group, closed by the bot at its deadline."""

    __tablename__ = "group_poll"

    id: int | None = Field(default=None, primary_key=True)
    poll_id: str = Field(max_length=64, unique=True, index=True)
    chat_id: int = Field(sa_type=sa.BigInteger, index=True)
    message_id: int = Field(sa_type=sa.BigInteger)
    initiative_id: int | None = Field(
        default=None, foreign_key="initiative.id", ondelete="CASCADE", index=True
    )
    question: str = Field(max_length=300)
    options: list[str] = Field(default_factory=list, sa_type=JSONType)
    # Once closed: {"counts": [...], "voters": n}. While open, each vote is a PollVote.
    votes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_by_id: int | None = person_fk()
    closes_at: datetime
    closed_at: datetime | None = None


class PollVote(TableModel, table=True):
    """A person's current choice in an open group poll; deleted when the poll closes.

    A reference to the resident like any other (export and forget cover it): a
    forgotten voter's choice stays counted, without them, like an RSVP."""

    __tablename__ = "poll_vote"
    __table_args__ = (sa.UniqueConstraint("poll_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="group_poll.id", ondelete="CASCADE", index=True)
    resident_id: int | None = person_fk()
    options: list[int] = Field(default_factory=list, sa_type=JSONType)
    at: datetime = Field(default_factory=utcnow)


class SupportRequest(TableModel, table=True):
    __tablename__ = "support_request"

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE", index=True)
    resident_id: int | None = person_fk(on_delete="CASCADE")
    coach_id: int | None = person_fk()
    question: str = Field(max_length=2000)
    answer: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None


class SupportMessage(TableModel, table=True):
    """A message in the thread of a support request (the resident's or the coach's)."""

    __tablename__ = "support_message"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="support_request.id", ondelete="CASCADE", index=True)
    author_id: int | None = person_fk(on_delete="CASCADE")
    text: str = Field(max_length=2000)
    at: datetime = Field(default_factory=utcnow)


class AuditLog(TableModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = person_fk()
    action: str = Field(max_length=60)
    subject: str = Field(default="", max_length=120)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    at: datetime = Field(default_factory=utcnow, index=True)


# --- programmes and the web console (bot/domain/programmes.py, web/) ------------------------------


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    CANCELLED = "cancelled"


class Programme(TableModel, table=True):
    """A municipality's or province's approach (aanpak) across many streets: its area,
    period, targets, kits and campaign calendar (bot/domain/programmes.py)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    # The municipality's or province's name, shown on materials and to residents.
    organisation: str = Field(max_length=120, index=True)
    themes: list[str] = Field(default_factory=list, sa_type=JSONType)
    # Each: {"from": 5611, "to": 5629} or {"name": "Woensel-Noord"}, with "households" if known.
    areas: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    starts_on: date
    ends_on: date
    # [{"on": "2027-03-21", "label": "Start of the season"}]
    key_dates: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    # {"initiatives_started": 20, "actions_held": 40, ...} (bot/domain/programmes.py METRICS)
    targets: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    kits: list[str] = Field(default_factory=list, sa_type=JSONType)
    # What residents read on the kit, the card and the invitation; never the internals.
    public_text: str = Field(default="", max_length=300)
    created_by_id: int | None = person_fk()
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProgrammeManager(TableModel, table=True):
    """Someone who sees (and steers) the programmes of one organisation."""

    __tablename__ = "programme_manager"
    __table_args__ = (sa.UniqueConstraint("resident_id", "organisation"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = person_fk(nullable=False, on_delete="CASCADE")
    organisation: str = Field(max_length=120, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class CampaignItem(TableModel, table=True):
    """A dated announcement of a programme's campaign calendar, to the opted-in residents
    of its area; sent through the broadcast machinery once approved and due."""

    __tablename__ = "campaign_item"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", ondelete="CASCADE", index=True)
    send_at: datetime = Field(index=True)
    text: str = Field(max_length=3500)
    link_url: str | None = Field(default=None, max_length=500)
    link_label: str | None = Field(default=None, max_length=60)
    status: CampaignStatus = Field(default=CampaignStatus.DRAFT, sa_type=enum_type(CampaignStatus))
    created_by_id: int | None = person_fk()
    approved_by_id: int | None = person_fk()
    approved_at: datetime | None = None
    broadcast_id: int | None = Field(
        default=None, foreign_key="broadcast.id", ondelete="SET NULL", index=True
    )
    created_at: datetime = Field(default_factory=utcnow)


class ProgrammeSnapshot(TableModel, table=True):
    """A programme's figures over a closed period, frozen when first computed after the
    period ended: a past period's numbers never drift (docs/architecture.md)."""

    __tablename__ = "programme_snapshot"
    __table_args__ = (sa.UniqueConstraint("programme_id", "period_from", "period_to"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", ondelete="CASCADE", index=True)
    period_from: date
    period_to: date
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    taken_at: datetime = Field(default_factory=utcnow)


class WebLogin(TableModel, table=True):
    """A one-time login link for the web console: only the token's hash is kept."""

    __tablename__ = "web_login"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # None with operator: the operator's link, printed by `buurbot web login-link`.
    resident_id: int | None = person_fk(on_delete="CASCADE")
    operator: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class WebSession(TableModel, table=True):
    """A logged-in browser: only the cookie's hash is kept, with its CSRF token."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    resident_id: int | None = person_fk(on_delete="CASCADE")
    operator: bool = False
    csrf_token: str = Field(max_length=64)
    language: str = Field(default="nl", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    ended_at: datetime | None = None


class PacerBucket(TableModel, table=True):
    """One of Telegram's limits as the processes of one bot share it in PostgreSQL (when
    there is no Redis): the bucket's theoretical arrival time, in epoch seconds of the
    database's clock (scheduler/shared_limits.py). UNLOGGED there: a crash loses at most
    a second of pacing state, never anything a person wrote."""

    __tablename__ = "pacer_bucket"

    key: str = Field(primary_key=True)
    tat: float | None = Field(default=None, sa_column=sa.Column(sa.Float, nullable=True))


class NetworkIdentity(TableModel, table=True):
    """Who a person is on one network (Telegram, WhatsApp), and what that network allows.

    ``address`` is the id the core knows the person (and their private chat) by: on
    Telegram their user id, on WhatsApp a number the runtime gives out
    (``bot.core.identities``), never the phone number, which stays in ``external_id`` and is
    shown to nobody. ``last_inbound_at`` opens WhatsApp's 24-hour window. Consent and the
    announcements opt-in are recorded per network. Export and forget cover the row (the
    resident's foreign key, and the address as their private chat)."""

    __tablename__ = "network_identity"
    __table_args__ = (sa.UniqueConstraint("network", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int | None = person_fk(on_delete="CASCADE")
    network: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    address: int = Field(
        sa_type=sa.BigInteger,
        unique=True,
        index=True,
        sa_column_kwargs={"info": PRIVATE_CHAT_ROW},
    )
    consented_at: datetime | None = None
    announcements_opt_in: bool = False
    last_inbound_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LinkCode(TableModel, table=True):
    """A one-time code that links a person's second network to their resident
    (bot/flows/link.py): given on the network of ``address``, typed on the other one.

    Only a hash of the code is kept (it is never logged); it works once, until
    ``expires_at``."""

    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int | None = person_fk(on_delete="CASCADE")
    address: int = Field(sa_type=sa.BigInteger)
    code_hash: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LinkAttempt(TableModel, table=True):
    """A wrong link code someone typed: a few in an hour, then a kind refusal."""

    __tablename__ = "link_attempt"

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int | None = person_fk(on_delete="CASCADE")
    at: datetime = Field(default_factory=utcnow)


class ListPage(TableModel, table=True):
    """A long WhatsApp list's pages (bot/runtimes/whatsapp_sender.py), so that "More…"
    still works after a restart. Only lists of more than one page; by the chat's address
    (export and forget cover them as the person's private chat)."""

    __tablename__ = "list_page"
    __table_args__ = (sa.UniqueConstraint("address", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    address: int = Field(
        sa_type=sa.BigInteger, index=True, sa_column_kwargs={"info": PRIVATE_CHAT_ROW}
    )
    key: str = Field(max_length=16)
    text: str = Field(sa_type=sa.Text)
    list_button: str = Field(max_length=64)
    # [[[label, payload, description], …] per page]
    pages: list[Any] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, index=True)
