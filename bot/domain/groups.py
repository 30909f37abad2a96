"""Street group chats, the domain: a group chat linked to its initiative, the group's
language, welcome throttling, the figures on a group's action card, the messages the bot
edits later, and polls. Pure functions over a database session; nothing here sends a
message (bot/flows/group_chat.py and its siblings do; the outbox rows they lead to are in
bot/domain/group_rows.py).

Decisions:

* **One group per initiative.** ``group_of_initiative`` is the active group linked to it;
  a second group is refused until the first one is unlinked (or the bot left it).
* **The group's language** is that of the person who linked it; before it is linked, and
  when that person is gone, ``settings.default_language`` (Dutch). Nothing new is stored.
* **The group's zone** for quiet hours and "tomorrow at 10:00" is ``settings.timezone``
  where the settings are at hand (renderers), else that of the person who linked it —
  which is the same: every resident gets ``settings.timezone`` when first seen.
* **Messages edited later** (the action card, the reminder, the pinned plan) are
  ``SentMessage`` rows whose key is ``<base>#<fingerprint>``: ``gcard:<action_id>#…``,
  ``greminder:<action_id>#…``, ``gplan#…``. The fingerprint is of what the message shows
  now, so an edit that would change nothing is never sent (Telegram refuses it). The
  answer "nothing changed" to /plan is ``gplannote#<fingerprint of the plan>``: said
  once per version of the plan, however often /plan is typed.
* **Deep-link codes** are random tokens (``link_token`` of the group and of the action):
  nobody can count through them. Codes sent before (a chat id in base 36, an action id)
  still resolve; every use is checked (bot/flows/group_link.py, show_name.py), so that
  no code, guessed or not, shows anything to someone it is not for.
* **Polls** are posted before their Telegram id is known: the ``GroupPoll`` row starts
  with ``poll_id = "pending:<token>"`` and the poll message is remembered as
  ``gpoll:<token>``; the real poll id and message id are filled in at the first answer or
  at closing. Votes are kept per voter under a pseudonym only while the poll is open;
  at closing they become counts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core.config import SUPPORTED_LANGUAGES
from bot.core.seam import ID_LIMIT, Chat, Keyboard
from bot.core.when import When, parse_when
from bot.domain.actions import rsvp_people
from bot.i18n import N_, Safe, Texts, escape, texts_for
from scheduler import outbox
from storage.models import (
    Action,
    Conversation,
    GroupChat,
    GroupPoll,
    PollVote,
    Resident,
    RsvpAnswer,
    ScheduledMessage,
    SentMessage,
    new_link_token,
)
from storage.queries import for_update, insert_ignore

__all__ = [
    "CARD",
    "DEFAULT_POLL_OPEN",
    "GROUP_KINDS",
    "PLAN",
    "PLAN_NOTE",
    "POLL",
    "POLL_USAGE",
    "REMINDER",
    "WELCOME_WINDOW",
    "GroupKind",
    "PollError",
    "PollSpec",
    "action_by_code",
    "base_of",
    "card_key",
    "claim",
    "close_poll",
    "coming_names",
    "deactivate",
    "ensure_group",
    "fingerprint",
    "forget",
    "group_by_chat",
    "group_by_code",
    "group_by_id",
    "group_language",
    "group_of_initiative",
    "group_texts",
    "group_zone",
    "has_talked_privately",
    "link",
    "merge_welcomes",
    "migrate",
    "name_list",
    "new_poll_token",
    "note_shown",
    "parse_poll",
    "pending_poll_id",
    "poll_counts",
    "poll_for_answer",
    "poll_key",
    "record_vote",
    "remember_key",
    "remembered",
    "reminder_key",
    "resolve_poll",
    "shows",
    "unlink",
    "welcome_now",
    "welcome_payload",
]

# At most one welcome per group in this window; joins inside it are welcomed together
# afterwards. Settings has no field for it (yet): a constant here.
WELCOME_WINDOW = timedelta(minutes=5)
# Names a welcome keeps to show ("Welcome Anna, Bert and 28 others!").
WELCOME_NAMES = 3
# Names on a card of neighbours who chose to show theirs; the rest is "and N others".
CARD_NAMES = 12

# Bases of the keys of remembered messages (see the module text).
CARD = "gcard"
REMINDER = "greminder"
PLAN = "gplan"
PLAN_NOTE = "gplannote"  # the "nothing changed" answer to /plan, keyed by the plan it is about
POLL = "gpoll"
_FINGERPRINT = "#"


def card_key(action_id: int) -> str:
    """The base of the key of an action's live card in its group."""
    return f"{CARD}:{action_id}"


def reminder_key(action_id: int) -> str:
    """The base of the key of an action's reminder in its group (a card too)."""
    return f"{REMINDER}:{action_id}"


# --- the codes in deep links ------------------------------------------------------------

# Links sent before the codes were tokens: a group's chat id in base 36 ("n" for a negative
# id), an action's id. They still open, behind the same checks as a token (flows/group_link.py).
_LEGACY_GROUP = re.compile(r"^[np][0-9a-z]{1,14}$")
_LEGACY_ACTION = re.compile(r"^[0-9]{1,11}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


def _legacy_chat_id(code: str) -> int | None:
    if not _LEGACY_GROUP.match(code):
        return None
    value = int(code[1:], 36)
    if value >= ID_LIMIT:  # no chat has such an id (nor could a column hold it)
        return None
    return -value if code[0] == "n" else value


async def group_by_code(
    session: AsyncSession, code: str, *, lock: bool = False
) -> GroupChat | None:
    """The group a deep-link or button code names: its token, or an old chat-id code."""
    if _TOKEN.match(code):
        query = select(GroupChat).where(GroupChat.link_token == code)
        if lock and for_update(session):
            query = query.with_for_update()
        found = (await session.execute(query)).scalar_one_or_none()
        if found is not None:
            return found
    chat_id = _legacy_chat_id(code)
    return await group_by_chat(session, chat_id, lock=lock) if chat_id else None


async def action_by_code(session: AsyncSession, code: str) -> Action | None:
    """The action a "show my name" link names: its token, or an old action id."""
    if _TOKEN.match(code):
        query = select(Action).where(Action.link_token == code)
        found = (await session.execute(query)).scalar_one_or_none()
        if found is not None:
            return found
    if _LEGACY_ACTION.match(code):
        return await session.get(Action, int(code))
    return None


# --- finding and keeping the group -------------------------------------------------------


async def group_by_chat(
    session: AsyncSession, chat_id: int, *, lock: bool = False
) -> GroupChat | None:
    query = select(GroupChat).where(GroupChat.chat_id == chat_id)
    if lock and for_update(session):
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def group_by_id(session: AsyncSession, group_id: int | None) -> GroupChat | None:
    return await session.get(GroupChat, group_id) if group_id else None


async def ensure_group(session: AsyncSession, chat: Chat, now: datetime) -> GroupChat:
    """The group's row, made the first time the bot hears of the group (title kept fresh)."""
    await insert_ignore(
        session,
        GroupChat,
        chat_id=chat.id,
        title=(chat.title or "")[:128],
        active=True,
        created_at=now,
        link_token=new_link_token(),
    )
    group = await group_by_chat(session, chat.id, lock=True)
    assert group is not None
    if chat.title and group.title != chat.title[:128]:
        group.title = chat.title[:128]
    return group


async def group_of_initiative(
    session: AsyncSession, initiative_id: int | None, *, exclude: int | None = None
) -> GroupChat | None:
    """The active group linked to the initiative (there is at most one)."""
    if initiative_id is None:
        return None
    query = select(GroupChat).where(
        GroupChat.initiative_id == initiative_id,
        col(GroupChat.active).is_(True),
    )
    if exclude is not None:
        query = query.where(GroupChat.id != exclude)
    result = await session.execute(
        query.order_by(col(GroupChat.linked_at).desc(), col(GroupChat.id).desc()).limit(1)
    )
    return result.scalar_one_or_none()


async def has_talked_privately(session: AsyncSession, person: Resident) -> bool:
    """Did the person ever open a private chat with the bot (so that it may write there)?
    Telegram refuses a bot's first message; trying anyway would mark them unreachable."""
    if not person.reachable or person.id is None:
        return False
    result = await session.execute(
        select(Conversation.id)
        .where(Conversation.chat_id == person.telegram_id, Conversation.resident_id == person.id)
        .limit(1)
    )
    return result.scalar_one_or_none() is not None


# --- language and zone --------------------------------------------------------------------


async def _linker(session: AsyncSession, group: GroupChat) -> Resident | None:
    return await session.get(Resident, group.linked_by_id) if group.linked_by_id else None


async def group_language(session: AsyncSession, group: GroupChat, default: str) -> str:
    """The language of whoever linked the group; the default before that."""
    linker = await _linker(session, group)
    if linker is not None and linker.language in SUPPORTED_LANGUAGES:
        return linker.language
    return default


async def group_zone(session: AsyncSession, group: GroupChat, default: str | None) -> str:
    """settings.timezone when given, else the linker's zone (the same in practice)."""
    if default:
        return default
    linker = await _linker(session, group)
    return linker.timezone if linker is not None else "Europe/Amsterdam"


async def group_texts(
    session: AsyncSession, group: GroupChat, default_language: str, timezone: str | None
) -> Texts:
    return texts_for(
        await group_language(session, group, default_language),
        await group_zone(session, group, timezone),
    )


# --- linking ------------------------------------------------------------------------------


class GroupKind(StrEnum):
    """The kinds of outbox rows for groups (``ScheduledMessage.kind``)."""

    REMINDER = "group_reminder"
    THANKS = "group_thanks"
    CARD = "group_card"
    WELCOME = "group_welcome"
    POLL_CLOSE = "group_poll_close"
    PIN = "group_pin"
    LINK_OFFER = "group_link_offer"  # to a person, not to the group


# The rows addressed to a group's chat.
GROUP_KINDS = (
    GroupKind.REMINDER,
    GroupKind.THANKS,
    GroupKind.CARD,
    GroupKind.WELCOME,
    GroupKind.POLL_CLOSE,
    GroupKind.PIN,
)


def link(group: GroupChat, initiative_id: int, person: Resident, now: datetime) -> None:
    group.initiative_id = initiative_id
    group.linked_by_id = person.id
    group.linked_at = now
    group.active = True


async def unlink(session: AsyncSession, group: GroupChat) -> int:
    """The group no longer belongs to its initiative: nothing more is sent about it there."""
    group.initiative_id = None
    group.linked_by_id = None
    group.linked_at = None
    return await _cancel_group_rows(session, group, "the group was unlinked")


async def deactivate(session: AsyncSession, group: GroupChat) -> int:
    """The bot left (or was removed): the link stays, inactive; pending messages are off."""
    group.active = False
    return await _cancel_group_rows(session, group, "the bot is no longer in the group")


async def _cancel_group_rows(session: AsyncSession, group: GroupChat, reason: str) -> int:
    return await outbox.cancel(
        session,
        col(ScheduledMessage.chat_id) == group.chat_id,
        col(ScheduledMessage.kind).in_(GROUP_KINDS),
        reason=reason,
    )


async def migrate(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> GroupChat | None:
    """The group became a supergroup: its row (and link), polls and pending messages move
    to the new id. Messages the bot sent stay in the old chat, where they can no longer be
    edited through the new id: their rows are dropped, so the next /actie or /plan posts
    afresh instead of editing a message the supergroup does not have."""
    # Whatever is queued for the chat follows it, whether or not we know the group.
    await session.execute(
        update(ScheduledMessage)
        .where(col(ScheduledMessage.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id)
        .execution_options(synchronize_session=False)
    )
    old = await group_by_chat(session, old_chat_id, lock=True)
    new = await group_by_chat(session, new_chat_id, lock=True)
    if old is None:
        return new
    if new is not None:
        if new.initiative_id is not None and old.initiative_id is None:
            old.active = False
            return new
        await session.delete(new)
        await session.flush()
    pending = await session.execute(
        select(GroupPoll).where(
            GroupPoll.chat_id == old_chat_id,
            col(GroupPoll.poll_id).startswith(_PENDING),
        )
    )
    for poll in pending.scalars().all():
        await resolve_poll(session, poll)
    await session.execute(
        delete(SentMessage).where(
            col(SentMessage.chat_id) == old_chat_id,
            or_(
                *(
                    col(SentMessage.key).startswith(base)
                    for base in (CARD, REMINDER, PLAN, PLAN_NOTE)
                )
            ),
        )
    )
    old.chat_id = new_chat_id
    old.pinned_message_id = None
    await session.execute(
        update(GroupPoll).where(col(GroupPoll.chat_id) == old_chat_id).values(chat_id=new_chat_id)
    )
    return old


# --- messages the bot edits later ---------------------------------------------------------


def fingerprint(text: str, keyboard: Keyboard) -> str:
    shown = repr((str(text), [[(b.label, b.payload, b.url) for b in row] for row in keyboard]))
    return hashlib.blake2b(shown.encode(), digest_size=6).hexdigest()


def remember_key(base: str, text: str, keyboard: Keyboard) -> str:
    return f"{base}{_FINGERPRINT}{fingerprint(text, keyboard)}"


def base_of(key: str) -> str:
    return key.split(_FINGERPRINT, 1)[0]


def shows(row: SentMessage, text: str, keyboard: Keyboard) -> bool:
    """Does the remembered message show exactly this already?"""
    return row.key == remember_key(base_of(row.key), text, keyboard)


def note_shown(row: SentMessage, text: str, keyboard: Keyboard) -> None:
    row.key = remember_key(base_of(row.key), text, keyboard)


def _of_base(base: str) -> ColumnElement[bool]:
    return or_(col(SentMessage.key) == base, col(SentMessage.key).startswith(base + _FINGERPRINT))


async def remembered(session: AsyncSession, chat_id: int, base: str) -> SentMessage | None:
    """The newest remembered message of this base in the chat."""
    result = await session.execute(
        select(SentMessage)
        .where(SentMessage.chat_id == chat_id, _of_base(base))
        .order_by(col(SentMessage.id).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def claim(session: AsyncSession, chat_id: int, key: str, now: datetime) -> bool:
    """Remember a message about to be sent, now, in this transaction (its id follows at
    delivery): False when it is remembered already — by a command typed at the same moment
    by someone else, whose transaction the UNIQUE key makes this one wait for."""
    return await insert_ignore(
        session, SentMessage, chat_id=chat_id, key=key, message_id=0, created_at=now
    )


async def forget(session: AsyncSession, chat_id: int, base: str) -> None:
    await session.execute(
        delete(SentMessage).where(col(SentMessage.chat_id) == chat_id, _of_base(base))
    )


# --- the action card ---------------------------------------------------------------------


async def coming_names(session: AsyncSession, action_id: int) -> list[str]:
    """The names of those coming (with a place) who chose to show them; others are counted."""
    rows = await rsvp_people(session, action_id, [RsvpAnswer.COMING], waitlisted=False)
    return [person.display_name for rsvp, person in rows if rsvp.show_name]


def name_list(texts: Texts, names: list[str], total: int | None = None, shown: int = 2) -> Safe:
    """ "Anna", "Anna and Bert", "Anna, Bert and Cas", "Anna, Bert and 28 others"."""
    total = len(names) if total is None else max(total, len(names))
    names = [str(name) for name in names]
    if total <= 0 or not names:
        return Safe("")
    if total == 1:
        return escape(names[0])
    if total == 2 and len(names) >= 2:
        return texts._("{a} and {b}", a=names[0], b=names[1])
    if total == 3 and len(names) >= 3:
        return texts._("{a}, {b} and {c}", a=names[0], b=names[1], c=names[2])
    first = names[: max(1, min(shown, len(names)))]
    rest = total - len(first)
    if len(first) == 1:
        return texts.n_("{a} and {n} other", "{a} and {n} others", rest, a=first[0])
    return texts.n_(
        "{a}, {b} and {n} other", "{a}, {b} and {n} others", rest, a=first[0], b=first[1]
    )


# --- welcomes ------------------------------------------------------------------------------


def welcome_now(group: GroupChat, now: datetime, window: timedelta = WELCOME_WINDOW) -> bool:
    return group.last_welcome_at is None or now - group.last_welcome_at >= window


def welcome_payload(payload: dict | None, names: list[str]) -> dict:
    """Joins added to a pending welcome: a few names to show, and how many joined."""
    payload = dict(payload or {})
    kept = [str(name) for name in payload.get("names", [])]
    for name in names:
        if len(kept) < WELCOME_NAMES:
            kept.append(name)
    return {**payload, "names": kept, "count": int(payload.get("count", 0)) + len(names)}


def merge_welcomes(first: dict | None, second: dict | None) -> dict:
    """Two pending welcomes as one."""
    first, second = dict(first or {}), dict(second or {})
    merged = welcome_payload(first, [str(name) for name in second.get("names", [])])
    merged["count"] = int(first.get("count", 0)) + int(second.get("count", 0))
    return merged


# --- polls ---------------------------------------------------------------------------------

QUESTION_MAX = 250  # Telegram allows 300; the deadline is added to the question
OPTION_MAX = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 10
DEFAULT_POLL_OPEN = timedelta(days=2)
MIN_POLL_OPEN = timedelta(hours=1)
MAX_POLL_OPEN = timedelta(days=28)
# A deadline given as a day without a time closes the poll then, local time.
DAY_DEADLINE = time(20, 0)
_PENDING = "pending:"
_DURATION = re.compile(
    r"^(?P<n>\d{1,3})\s*(?P<unit>d|dag|dagen|day|days|u|uur|h|hr|hour|hours|w|wk|week|weken|weeks)$",
    re.IGNORECASE,
)
_UNTIL = re.compile(r"^(?:tot|t/m|until|till|deadline|sluit|closes?)\s*:?\s+(?P<when>.+)$", re.I)
_UNITS = {
    **dict.fromkeys(("d", "dag", "dagen", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("u", "uur", "h", "hr", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("w", "wk", "week", "weken", "weeks"), timedelta(weeks=1)),
}

POLL_USAGE = N_(
    "Start a poll like this:\n"
    "<code>/poll Which day? Sat 12 Dec | Sun 13 Dec | 2d</code>\n"
    "First the question (ending in ?), then 2 to 10 answers separated by |. "
    "At the end, if you like, how long it stays open: 2d, 3 days, 12h, or "
    "“until Friday 20:00”. Without it, it stays open for 2 days."
)


class PollError(Exception):
    """The poll command cannot be used as typed; ``msgid`` says why."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


@dataclass(frozen=True, slots=True)
class PollSpec:
    question: str
    options: tuple[str, ...]
    closes_at: datetime
    dates: bool  # every answer is a date: several may be ticked


def _deadline(part: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """A last segment that is a deadline ("2d", "3 dagen", "until Friday 20:00"), or None."""
    text = " ".join(part.split())
    duration = _DURATION.match(text)
    if duration:
        return now + int(duration["n"]) * _UNITS[duration["unit"].lower()]
    until = _UNTIL.match(text)
    if until is None:
        return None
    when = parse_when(until["when"], now=now.astimezone(tz))
    if when is None:
        raise PollError(
            N_("I don't understand the deadline “{deadline}”. Try 2d or “until Friday 20:00”."),
            deadline=text[:60],
        )
    if when.time is None:
        return When(when.day, DAY_DEADLINE).at(tz)
    return when.at(tz)


def parse_poll(text: str, now: datetime, tz: ZoneInfo) -> PollSpec:
    """ "Which day? Sat 12 Dec | Sun 13 Dec | 2d" as a question, answers and deadline."""
    parts = [" ".join(part.split()) for part in text.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise PollError(POLL_USAGE)
    closes_at = _deadline(parts[-1], now, tz) if len(parts) > 2 else None
    if closes_at is not None:
        parts = parts[:-1]
    head = parts[0]
    cut = head.find("?")
    if cut < 0:
        cut = head.find(":")
    if cut <= 0:
        raise PollError(POLL_USAGE)
    question = head[: cut + 1].strip()
    first = head[cut + 1 :].strip()
    options = [option for option in [first, *parts[1:]] if option]
    if len(question) > QUESTION_MAX:
        raise PollError(
            N_("The question is too long: keep it under {limit} characters."), limit=QUESTION_MAX
        )
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise PollError(
            N_("A poll needs 2 to 10 answers, separated by |. I found {count}."),
            count=len(options),
        )
    if any(len(option) > OPTION_MAX for option in options):
        raise PollError(
            N_("An answer is too long: keep each under {limit} characters."), limit=OPTION_MAX
        )
    if len({option.casefold() for option in options}) != len(options):
        raise PollError(N_("Two answers are the same. Make each answer different."))
    closes_at = closes_at or now + DEFAULT_POLL_OPEN
    if closes_at - now < MIN_POLL_OPEN:
        raise PollError(N_("Keep the poll open for at least an hour."))
    if closes_at - now > MAX_POLL_OPEN:
        raise PollError(N_("A poll can stay open for 4 weeks at most."))
    local = now.astimezone(tz)
    dates = all(parse_when(option, now=local) is not None for option in options)
    return PollSpec(question, tuple(options), closes_at, dates)


def new_poll_token() -> str:
    return secrets.token_hex(6)


def pending_poll_id(token: str) -> str:
    return f"{_PENDING}{token}"


def poll_key(token: str) -> str:
    return f"{POLL}:{token}"


async def resolve_poll(session: AsyncSession, poll: GroupPoll) -> bool:
    """Fill in the Telegram ids of a poll posted before they were known; False when the
    poll message never arrived."""
    if not poll.poll_id.startswith(_PENDING):
        return True
    token = poll.poll_id[len(_PENDING) :]
    sent = (
        await session.execute(select(SentMessage).where(SentMessage.key == poll_key(token)))
    ).scalar_one_or_none()
    if sent is None or not sent.poll_id:
        return False
    poll.poll_id = sent.poll_id
    poll.message_id = sent.message_id
    return True


async def poll_for_answer(session: AsyncSession, poll_id: str) -> GroupPoll | None:
    """The group poll a Telegram poll answer belongs to (None: not one of ours)."""
    query = select(GroupPoll).where(GroupPoll.poll_id == poll_id)
    if for_update(session):  # votes of several people at once must not overwrite each other
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    sent = (
        await session.execute(select(SentMessage).where(SentMessage.poll_id == poll_id))
    ).scalar_one_or_none()
    if sent is None or not sent.key.startswith(f"{POLL}:"):
        return None
    token = sent.key[len(POLL) + 1 :]
    query = select(GroupPoll).where(GroupPoll.poll_id == pending_poll_id(token))
    if for_update(session):
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        found.poll_id = poll_id
        found.message_id = sent.message_id
    return found


async def record_vote(
    session: AsyncSession, poll: GroupPoll, resident_id: int, option_ids: tuple[int, ...]
) -> None:
    """A voter's current choice (an empty one takes the vote back). A row that refers to
    the resident, so export and forget find it like any other."""
    chosen = sorted({i for i in option_ids if 0 <= i < len(poll.options)})
    mine = PollVote.poll_id == poll.id, PollVote.resident_id == resident_id
    vote = (await session.execute(select(PollVote).where(*mine))).scalar_one_or_none()
    if not chosen:
        if vote is not None:
            await session.delete(vote)
    elif vote is None:
        session.add(PollVote(poll_id=poll.id or 0, resident_id=resident_id, options=chosen))
    else:
        vote.options = chosen


async def poll_counts(session: AsyncSession, poll: GroupPoll) -> tuple[list[int], int]:
    """Votes per answer, and how many people voted."""
    votes = poll.votes or {}
    if "counts" in votes:
        return [int(n) for n in votes["counts"]], int(votes.get("voters", 0))
    counts = [0] * len(poll.options)
    chosen_by = (
        await session.execute(select(PollVote.options).where(PollVote.poll_id == poll.id))
    ).scalars()
    voters = 0
    for chosen in chosen_by:
        voters += 1
        for index in chosen:
            if 0 <= int(index) < len(counts):
                counts[int(index)] += 1
    return counts, voters


async def close_poll(
    session: AsyncSession, poll: GroupPoll, now: datetime
) -> tuple[list[int], int]:
    """Closed: only the counts are kept, not who chose what."""
    counts, voters = await poll_counts(session, poll)
    poll.votes = {"counts": counts, "voters": voters}
    await session.execute(delete(PollVote).where(col(PollVote.poll_id) == poll.id))
    if poll.closed_at is None:
        poll.closed_at = now
    return counts, voters
