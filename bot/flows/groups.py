"""Street group chats: the bot in a neighbours' group, linked to one initiative.

In the group (``registry.group_handler``):

* added → one short introduction (what the bot does here; it only reacts to commands
  and its buttons — Telegram's privacy mode stays on), and the adder gets the question
  "which initiative?" in their private chat when they ever talked to the bot (else the
  group's "Link this group" button opens that chat: deep link ``group-<token>``);
* removed → the group is inactive, its link kept, its pending messages cancelled;
* became a supergroup → the row, link, polls and pending messages move to the new id;
* new members → one welcome, at most one per ``WELCOME_WINDOW`` (joins in between are
  welcomed together afterwards: "Welcome Anna, Bert and 28 others!");
* /actie (/action) → the next action as a card with coming / maybe / can't; each answer
  edits that card in place (``grsvp:<action_id>:<c|m|n>``; the card is remembered as
  ``gcard:<action_id>#<fingerprint>``, see bot/domain/groups.py). A card shows totals, and the
  names of those who chose to show theirs (``gname-<token>`` in their own chat). A
  new /actie posts a new card; the older one keeps its text and loses its buttons;
* /peiling (/poll) → a Telegram poll, closed by the scheduler at its deadline;
* /plan → the plan (phase, next action, how to help), pinned; edited in place after. A
  plan just posted is pinned by the scheduler (``gpin``): the seam cannot pin a message
  before Telegram has given it an id;
* /help (/hulp, /start) → what the bot does here.

In a private chat: linking and unlinking (``grp:<link|unlink|new>:<token>[:<initiative>]``),
the "show my name" toggle (``gname:<action_id>:<0|1>``). Only an initiator of the
initiative who is also an admin of the group links or unlinks it.

Who learns what: the codes in deep links are random tokens (``link_token``), and every
link or button that names a group, an initiative or an action checks at the moment of use
— a group's only for someone in the group now (Telegram is asked,
``services.chat_directory``), an action's only for who answered on its card or may see
its initiative. Anyone else gets one kind answer that does not even say whether the
thing exists (``not_for_you``).

Through the scheduler (rows addressed to the group's chat): a reminder 24 h before each
action (``greminder:<action_id>``), a thank-you the day after at 10:00
(``gthanks:<action_id>``), card refreshes when someone answers in a private chat
(``gcardupd:<action_id>``), the delayed welcome, closing a poll (``gpoll:<poll_id>``),
pinning a plan just posted (``gpin:<group_id>``), and offering to link a group to an
initiative just started (``glinkoffer:<group_id>:<initiative_id>``, to the person).

The group's language, zone and the other decisions are in ``bot/domain/groups.py``.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    InitiativeCreated,
    MemberJoined,
    RsvpGiven,
)
from bot.core.payloads import Payload, pack, unpack
from bot.core.policy import Policy
from bot.core.registry import Registry
from bot.core.seam import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    Button,
    ButtonPress,
    ChatKind,
    ChatMigrated,
    Command,
    EditText,
    Keyboard,
    MembersJoined,
    Outgoing,
    PinMessage,
    PollAnswer,
    SendPoll,
    SendText,
    StopPoll,
)
from bot.domain import groups as g
from bot.domain.actions import (
    answer_of,
    get_action,
    give_rsvp,
    open_for_rsvp,
    totals,
    upcoming_actions,
)
from bot.domain.authz import Hat, Permission, hats, may
from bot.domain.initiatives import get_initiative, initiatives_of, membership, record_activity
from bot.domain.phases import check_progress, progress_line
from bot.flows.actions import (
    RSVP_BUTTONS,
    RSVP_KEYS,
    id_arg,
    kind_label,
    shorten,
    show,
    totals_line,
)
from bot.flows.idea import share_idea
from bot.flows.initiative import ask_consent
from bot.flows.rsvp import tell_promoted
from bot.i18n import N_, Safe, Texts, escape
from bot.views.cards import next_action
from scheduler import outbox, rules
from scheduler.messages import (
    Postpone,
    Skip,
    context_of,
    fetch,
    recipient,
    renderer,
    require_role,
    texts_of,
)
from scheduler.outbox import Planned
from scheduler.pacing import Priority
from scheduler.rules import followup_due, reminder_due, zone
from storage.models import (
    Action,
    ActionStatus,
    ActivityKind,
    GroupChat,
    GroupPoll,
    Initiative,
    MemberRole,
    OutboxStatus,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
)

if TYPE_CHECKING:
    from bot.core.services import Services

log = logging.getLogger(__name__)

GROUP_LINK = "group"  # deep link: group-<code>, the question "which initiative?"
NAME_LINK = "gname"  # deep link: gname-<action_id>, "show my name on the card"
RSVP_ROUTE = "grsvp"
CARD_NAMES = 12
# The pin of a plan just posted waits this long for the message to be sent.
PIN_PATIENCE = timedelta(minutes=2)
# Groups added this recently are offered to a person who starts an initiative.
LINK_OFFER_WITHIN = timedelta(days=7)
# Cards edited in this update: the answers given here need no refresh row.
FRESH_CARDS = "groups.fresh_cards"


GROUP_HELP = N_(
    "<b>What I do in this group</b>\n"
    "/action – the next action: say whether you will come\n"
    "/poll – a poll, started by the organisers\n"
    "/plan – the plan of the initiative, pinned at the top\n"
    "/help – this help\n\n"
    "I don't read along: I only react to commands and to my buttons. Here you see "
    "totals, and only the names of neighbours who chose to show theirs."
)
# The answers to a link or button that is not for the person (bot/flows/groups.py
# not_for_you): the same whether what it names exists or not.
NOT_IN_GROUP = N_(
    "I can't open this for you. It works only for people in that group, and only while "
    "I'm in it. Are you in the group? Then try again in a minute."
)
NOT_ANSWERED = N_(
    "I can't open this for you. It works for neighbours who answered on the action card "
    "in their group. Not answered yet? Tap your answer on the card first, then open this "
    "again."
)
# Telegram's statuses of someone in a group (restricted: in it, with fewer rights).
IN_GROUP = frozenset({"creator", "administrator", "member", "restricted"})
GROUP_ADMINS = frozenset({"creator", "administrator"})
HOW_TO_LINK = N_(
    "This group doesn't belong to an initiative yet. An initiator who is also an admin "
    "of this group links it: tap the button."
)


# --- small helpers -----------------------------------------------------------------------


def _defaults(services: Services) -> tuple[str, str | None]:
    return services.settings.default_language, services.settings.timezone


async def texts_in(ctx: Ctx, group: GroupChat) -> Texts:
    """The texts of the group (not of the person who pressed or typed)."""
    return await g.group_texts(ctx.session, group, *_defaults(ctx.services))


async def render_texts(session: AsyncSession, group: GroupChat) -> Texts:
    return await g.group_texts(session, group, *_defaults(context_of(session).services))


def _link(services: Services, payload: str) -> str:
    return services.deep_link(payload)


def join_url(services: Services, initiative: Initiative) -> str | None:
    if not initiative.invite_active:
        return None
    return _link(services, f"join-{initiative.invite_token}")


def group_link_url(services: Services, group: GroupChat) -> str | None:
    return _link(services, f"{GROUP_LINK}-{group.link_token}")


def link_row(texts: Texts, services: Services, group: GroupChat) -> list[Button]:
    url = group_link_url(services, group)
    return [Button(texts._("🔗 Link this group"), url=url)] if url else []


def keyboard(*rows: list[Button] | tuple[Button, ...]) -> Keyboard:
    return tuple(tuple(row) for row in rows if row)


# --- what the group reads -------------------------------------------------------------------


def action_line(texts: Texts, action: Action) -> Safe:
    if action.place.strip():
        return texts._(
            "{title}, {when}, {place}",
            title=action.title,
            when=texts.when(action.starts_at),
            place=action.place,
        )
    return texts._("{title}, {when}", title=action.title, when=texts.when(action.starts_at))


def _names_line(texts: Texts, names: list[str]) -> Safe:
    shown = ", ".join(escape(name) for name in names[:CARD_NAMES])
    if len(names) > CARD_NAMES:
        more = texts.n_("and {n} more", "and {n} more", len(names) - CARD_NAMES)
        shown = f"{shown} {more}"
    return texts._("🙋 With their name: {names}", names=Safe(shown))


async def card_view(
    session: AsyncSession,
    texts: Texts,
    action: Action,
    initiative: Initiative,
    *,
    now: datetime,
    services: Services,
    reminder: bool = False,
) -> tuple[Safe, Keyboard]:
    """The action as the group reads it: what, when, where, the totals, the names of those
    who chose to show theirs, and — while it takes answers — the buttons."""
    aid = action.id or 0
    counted = await totals(session, aid)
    lines: list[str] = []
    if reminder:
        lines += [
            texts._(
                "⏰ Reminder: <b>{title}</b> is on {when}.",
                title=action.title,
                when=texts.when(action.starts_at),
            ),
            "",
        ]
    lines += [
        texts._("<b>{title}</b> ({kind})", title=action.title, kind=kind_label(texts, action.kind)),
        texts._("For: {initiative}", initiative=initiative.title),
    ]
    if action.status is ActionStatus.CANCELLED:
        lines.append(texts._("❌ <b>Cancelled.</b>"))
    elif action.status is ActionStatus.HELD:
        lines.append(texts._("✅ <b>Held.</b>"))
    lines.append(texts._("<b>When:</b> {when}", when=texts.when(action.starts_at)))
    if action.place.strip():
        lines.append(texts._("<b>Where:</b> {place}", place=action.place))
    if action.capacity is not None:
        lines.append(
            texts._(
                "<b>Places:</b> {capacity} ({free} free)",
                capacity=texts.number(action.capacity),
                free=texts.number(max(action.capacity - counted.coming, 0)),
            )
        )
    lines.append(totals_line(texts, counted, action.capacity))
    names = await g.coming_names(session, aid)
    if names:
        lines.append(_names_line(texts, names))
    rows: list[list[Button]] = []
    if open_for_rsvp(action, now):
        lines += [
            "",
            texts._(
                "Tap whether you will come. The group sees totals, and only the names of "
                "neighbours who chose to show theirs."
            ),
        ]
        rows.append(
            [
                Button(texts._(RSVP_BUTTONS[answer]), pack(RSVP_ROUTE, aid, key))
                for key, answer in RSVP_KEYS.items()
            ]
        )
        extra: list[Button] = []
        join = join_url(services, initiative)
        if join:
            extra.append(Button(texts._("🔔 Remind me"), url=join))
        name = _link(services, f"{NAME_LINK}-{action.link_token}")
        if name:
            extra.append(Button(texts._("🙋 Show my name"), url=name))
        rows.append(extra)
    return Safe("\n".join(lines)), keyboard(*rows)


async def plan_view(
    session: AsyncSession,
    texts: Texts,
    initiative: Initiative,
    *,
    now: datetime,
    services: Services,
    header: str | None = None,
) -> tuple[Safe, Keyboard]:
    """The plan: the phase, what it is about, the next action, and how to help."""
    action = await next_action(session, initiative.id or 0, now)
    lines: list[str] = [header, ""] if header else []
    lines += [
        texts._("📌 <b>The plan of {title}</b>", title=initiative.title),
        progress_line(texts, initiative.phase),
        "",
        texts._("<b>What:</b> {what}", what=initiative.what),
    ]
    if action is not None:
        lines.append(texts._("📅 <b>Next:</b> {action}", action=action_line(texts, action)))
        lines.append(texts._("Type /action to say whether you will come."))
    else:
        lines.append(texts._("📅 Nothing is planned yet. The next action will appear here."))
    join = join_url(services, initiative)
    rows: list[list[Button]] = []
    if join:
        lines += [
            "",
            texts._(
                "🙋 <b>Want to help?</b> Join the initiative: then you hear about every "
                "action in your own chat, and you can help to organise."
            ),
        ]
        rows.append([Button(texts._("🙋 Join the initiative"), url=join)])
    return Safe("\n".join(lines)), keyboard(*rows)


def welcome_view(
    texts: Texts, initiative: Initiative, payload: dict, services: Services
) -> tuple[Safe, Keyboard]:
    names = [str(name) for name in payload.get("names", [])]
    count = int(payload.get("count", len(names)))
    who = (
        g.name_list(texts, names, count)
        if names
        else texts.n_("{n} new neighbour", "{n} new neighbours", count)
    )
    lines: list[str] = [texts._("👋 Welcome {names}!", names=who)]
    lines.append(texts._("This group belongs to <b>{title}</b>.", title=initiative.title))
    join = join_url(services, initiative)
    if join:
        lines.append(
            texts._(
                "Want to join in? Tap the button: then you hear about actions in your own chat."
            )
        )
    lines.append(texts._("Type /plan for the plan."))
    rows = [[Button(texts._("🙋 Join the initiative"), url=join)]] if join else []
    return Safe(" ".join(lines)), keyboard(*rows)


def poll_result_view(texts: Texts, poll: GroupPoll, counts: list[int], voters: int) -> Safe:
    lines: list[str] = [texts._("📊 <b>The poll is closed:</b> {question}", question=poll.question)]
    for option, count in zip(poll.options, counts, strict=False):
        lines.append(
            "• " + texts.n_("{option}: {n} vote", "{option}: {n} votes", count, option=option)
        )
    best = max(counts, default=0)
    if voters == 0 or best == 0:
        lines += ["", texts._("Nobody voted.")]
        return Safe("\n".join(lines))
    winners = [option for option, count in zip(poll.options, counts, strict=False) if count == best]
    lines.append("")
    if len(winners) == 1:
        lines.append(texts._("Most votes: <b>{option}</b>.", option=winners[0]))
    else:
        tie = Safe(", ".join(escape(option) for option in winners))
        lines.append(texts._("A tie between: <b>{options}</b>.", options=tie))
    lines.append(texts.n_("{n} neighbour voted.", "{n} neighbours voted.", voters))
    return Safe("\n".join(lines))


# --- the messages the bot keeps up to date ------------------------------------------------


def card_key(action_id: int) -> str:
    return f"{g.CARD}:{action_id}"


def reminder_key(action_id: int) -> str:
    return f"{g.REMINDER}:{action_id}"


async def refresh_cards(
    session: AsyncSession,
    group: GroupChat,
    action: Action,
    initiative: Initiative,
    texts: Texts,
    *,
    now: datetime,
    services: Services,
    pressed: int | None = None,
) -> list[Outgoing]:
    """Edits that bring the action's live card and reminder in the group up to date (and
    the pressed message, when it is an older one); none that would change nothing."""
    edits: list[Outgoing] = []
    seen: set[int] = set()
    for base, reminder in ((card_key(action.id or 0), False), (reminder_key(action.id or 0), True)):
        row = await g.remembered(session, group.chat_id, base)
        if row is None:
            continue
        seen.add(row.message_id)
        text, buttons = await card_view(
            session, texts, action, initiative, now=now, services=services, reminder=reminder
        )
        if g.shows(row, text, buttons):
            continue
        g.note_shown(row, text, buttons)
        edits.append(EditText(group.chat_id, row.message_id, text, buttons))
    if pressed is not None and pressed not in seen:
        text, buttons = await card_view(
            session, texts, action, initiative, now=now, services=services
        )
        edits.append(EditText(group.chat_id, pressed, text, buttons))
    return edits


async def post_plan(
    ctx: Ctx,
    group: GroupChat,
    initiative: Initiative,
    texts: Texts,
    *,
    header: str | None = None,
) -> None:
    """Post the plan as a new message; the scheduler pins it once it is sent (the seam
    cannot pin a message before its id is known)."""
    text, buttons = await plan_view(
        ctx.session, texts, initiative, now=ctx.now(), services=ctx.services, header=header
    )
    await g.forget(ctx.session, group.chat_id, g.PLAN)
    ctx.say(text, buttons, chat_id=group.chat_id, remember_as=g.remember_key(g.PLAN, text, buttons))
    now = ctx.now()
    await outbox.schedule_or_move(
        ctx.session,
        Planned(
            g.GroupKind.PIN,
            f"gpin:{group.id}",
            now,
            chat_id=group.chat_id,
            initiative_id=initiative.id,
            priority=Priority.REPLY,
            payload={"at": now.isoformat()},
        ),
        now,
    )


# --- the rows the scheduler sends to the group --------------------------------------------


async def sync_action_rows(
    session: AsyncSession, action_id: int, now: datetime, policy: Policy
) -> None:
    """The group's reminder and thank-you for an action, in step with the action."""
    action = await session.get(Action, action_id)
    if action is None:
        return
    keys = [f"greminder:{action_id}", f"gthanks:{action_id}"]
    group = await g.group_of_initiative(session, action.initiative_id)
    if action.status is ActionStatus.CANCELLED or group is None:
        await outbox.cancel_keys(session, keys, reason="no group, or the action was cancelled")
        return
    tz = zone(await g.group_zone(session, group, None))
    common: dict[str, Any] = {
        "chat_id": group.chat_id,
        "initiative_id": action.initiative_id,
        "action_id": action_id,
    }
    if action.status is ActionStatus.PLANNED:
        due = reminder_due(action.starts_at, policy.group_reminder_lead, tz, policy.timings)
        if due > now:
            starts = action.starts_at.isoformat()
            await outbox.schedule_or_move(
                session,
                Planned(
                    g.GroupKind.REMINDER, keys[0], due, payload={"starts_at": starts}, **common
                ),
                now,
            )
    await outbox.schedule_or_move(
        session,
        Planned(g.GroupKind.THANKS, keys[1], followup_due(action, tz, policy.timings), **common),
        now,
    )


async def sync_initiative_rows(
    session: AsyncSession, initiative_id: int, now: datetime, policy: Policy
) -> None:
    for action in await upcoming_actions(session, initiative_id, now):
        await sync_action_rows(session, action.id or 0, now, policy)


async def schedule_card_refresh(session: AsyncSession, action_id: int, now: datetime) -> None:
    """Someone answered elsewhere (or the action changed): the group's card follows."""
    action = await session.get(Action, action_id)
    group = await g.group_of_initiative(session, action.initiative_id) if action else None
    if action is None or group is None:
        return
    live = [
        await g.remembered(session, group.chat_id, base)
        for base in (card_key(action_id), reminder_key(action_id))
    ]
    if not any(live):
        return
    await outbox.schedule_or_move(
        session,
        Planned(
            g.GroupKind.CARD,
            f"gcardupd:{action_id}",
            now,
            chat_id=group.chat_id,
            initiative_id=action.initiative_id,
            action_id=action_id,
            priority=Priority.REPLY,
            payload={"at": now.isoformat()},
        ),
        now,
    )


async def action_rows(
    policy: Policy, session: AsyncSession, event: ActionPlanned | ActionChanged, now: datetime
) -> None:
    await sync_action_rows(session, event.action_id, now, policy)
    if isinstance(event, ActionChanged):
        await schedule_card_refresh(session, event.action_id, now)


async def action_cancelled(
    policy: Policy, session: AsyncSession, event: ActionCancelled, now: datetime
) -> None:
    await sync_action_rows(session, event.action_id, now, policy)
    await schedule_card_refresh(session, event.action_id, now)


async def answer_given(session: AsyncSession, event: RsvpGiven, now: datetime) -> None:
    if event.action_id in session.info.get(FRESH_CARDS, ()):
        return
    await schedule_card_refresh(session, event.action_id, now)


async def member_joined(
    policy: Policy, session: AsyncSession, event: MemberJoined, now: datetime
) -> None:
    """Someone who answered in the group joined the initiative: now they get the private
    reminders a member gets (answering in the group alone sends nothing privately)."""
    for action in await upcoming_actions(session, event.initiative_id, now):
        if await answer_of(session, action.id or 0, event.resident_id) is not None:
            await rules.sync_action(
                session, action.id or 0, now, policy.timings, resident_id=event.resident_id
            )


async def initiative_created(
    session: AsyncSession, event: InitiativeCreated, now: datetime
) -> None:
    """Who added the bot to a group and then started an initiative is asked to link them."""
    result = await session.execute(
        select(GroupChat).where(
            GroupChat.added_by_id == event.resident_id,
            col(GroupChat.active).is_(True),
            col(GroupChat.initiative_id).is_(None),
            GroupChat.created_at >= now - LINK_OFFER_WITHIN,
        )
    )
    for group in result.scalars().all():
        await outbox.schedule(
            session,
            Planned(
                g.GroupKind.LINK_OFFER,
                f"glinkoffer:{group.id}:{event.initiative_id}",
                now,
                resident_id=event.resident_id,
                initiative_id=event.initiative_id,
                priority=Priority.REPLY,
                payload={"group": group.id},
            ),
            now,
        )


# --- in the group ---------------------------------------------------------------------------


async def handle_group(ctx: Ctx) -> None:
    """Everything that happens in a group chat comes here."""
    event = ctx.incoming.event
    if isinstance(event, ChatMigrated):
        await g.migrate(ctx.session, ctx.chat_id, event.new_chat_id)
        return
    if isinstance(event, BotRemovedFromGroup):
        gone = await g.group_by_chat(ctx.session, ctx.chat_id, lock=True)
        if gone is not None:
            await g.deactivate(ctx.session, gone)
        return
    if not isinstance(event, BotAddedToGroup | MembersJoined | Command | ButtonPress):
        return  # privacy mode: plain messages are not for the bot
    group = await g.ensure_group(ctx.session, ctx.incoming.chat, ctx.now())
    if isinstance(event, BotAddedToGroup):
        await bot_added(ctx, group)
        return
    if isinstance(event, ButtonPress):
        if not group.active:
            ctx.toast(ctx._("I'm no longer active in this group."))
            return
        await group_button(ctx, group, event)
        return
    if not group.active:  # a command or a join: the bot is evidently in the group
        await revive(ctx, group)
    if isinstance(event, MembersJoined):
        await members_joined(ctx, group, event)
    else:
        await group_command(ctx, group, event)


async def revive(ctx: Ctx, group: GroupChat) -> None:
    """The bot is (back) in the group. Its old link counts again, unless another group
    of that initiative was linked meanwhile."""
    group.active = True
    if group.initiative_id is None:
        return
    if await g.group_of_initiative(ctx.session, group.initiative_id, exclude=group.id):
        await g.unlink(ctx.session, group)
        return
    await sync_initiative_rows(ctx.session, group.initiative_id, ctx.now(), ctx.services.policy)


async def bot_added(ctx: Ctx, group: GroupChat) -> None:
    group.added_by_id = ctx.person.id
    await revive(ctx, group)
    texts = await texts_in(ctx, group)
    initiative = await get_initiative(ctx.session, group.initiative_id)
    if initiative is not None:
        ctx.say(
            texts._(
                "👋 I'm back! This group belongs to <b>{title}</b>. Type /plan for the plan, "
                "or /action for the next action.",
                title=initiative.title,
            )
        )
        return
    private = await g.has_talked_privately(ctx.session, ctx.person)
    lines = [
        texts._(
            "👋 Hello! I'm Buurbot. I help neighbours to do something good in their street, "
            "together."
        ),
        texts._(
            "Here I post actions you can answer (coming, maybe, can't), polls, and the plan. "
            "I don't read along: I only react to commands like /action, and to my buttons."
        ),
        texts._("An initiator links this group to their initiative."),
    ]
    if private:
        lines[-1] = Safe(
            lines[-1]
            + " "
            + texts._(
                "{name}, I sent you a private message to do that.", name=ctx.person.first_name
            )
        )
    else:
        lines[-1] = Safe(lines[-1] + " " + texts._("Tap the button to do that in a chat with me."))
    if ctx.incoming.chat.kind is ChatKind.SUPERGROUP:
        lines.append(texts._("Tip: make me an admin of this group, then I can pin the plan."))
    ctx.say(Safe("\n\n".join(lines)), [link_row(texts, ctx.services, group)])
    if private:
        await ask_which_initiative(
            ctx,
            group,
            chat_id=ctx.person.telegram_id,
            intro=ctx._("You added me to the group <b>{group}</b>. Thank you!", group=group.title),
        )


async def group_button(ctx: Ctx, group: GroupChat, press: ButtonPress) -> None:
    payload = unpack(press.payload)
    if payload is None or payload.route != RSVP_ROUTE:
        ctx.toast(ctx._("That button belongs to an earlier question."))
        return
    await group_rsvp_pressed(ctx, group, payload, press.message_id)


async def group_rsvp_pressed(
    ctx: Ctx, group: GroupChat, payload: Payload, message_id: int | None
) -> None:
    """An answer on the card: counted (a neighbour who never talked to the bot too), the
    card edited in place, a short notice to the one who pressed."""
    answer = RSVP_KEYS.get(payload.arg(1))
    action_id = id_arg(payload, 0)
    if answer is None or action_id is None:
        ctx.toast(ctx._("That button belongs to an earlier question."))
        return
    session = ctx.session
    action = await get_action(session, action_id, lock=True)
    initiative = await get_initiative(session, group.initiative_id)
    if action is None or initiative is None or action.initiative_id != initiative.id:
        ctx.toast(ctx._("This card is no longer active here. Type /action for the current one."))
        return
    texts = await texts_in(ctx, group)
    now = ctx.now()

    async def edits() -> list[Outgoing]:
        return await refresh_cards(
            session,
            group,
            action,
            initiative,
            texts,
            now=now,
            services=ctx.services,
            pressed=message_id,
        )

    if not open_for_rsvp(action, now):
        ctx.toast(ctx._("Answers are closed."))
        ctx.out.extend(await edits())
        return
    person = ctx.person
    result = await give_rsvp(session, action, person.id or 0, answer, now)
    if not result.changed:
        ctx.toast(ctx._("You had already answered that."))
        return
    session.info.setdefault(FRESH_CARDS, set()).add(action_id)
    for event in result.events():
        # Members get their private reminders; others are only counted.
        if await membership(session, initiative.id or 0, event.resident_id):
            ctx.emit(event)
    if result.place is not None:
        notice = ctx._("Full: you're on the waiting list.")
    elif answer is RsvpAnswer.COMING:
        notice = ctx._("See you there!")
    elif answer is RsvpAnswer.MAYBE:
        notice = ctx._("Noted: maybe.")
    else:
        notice = ctx._("Noted.")
    member = await membership(session, initiative.id or 0, person.id or 0)
    if member is None and answer is not RsvpAnswer.NO and initiative.invite_active:
        notice = Safe(notice + " " + ctx._("Want a reminder in your own chat? Tap “🔔 Remind me”."))
    ctx.toast(notice)
    ctx.out.extend(await edits())
    await outbox.cancel_keys(session, [f"gcardupd:{action_id}"], reason="the card is up to date")
    record_activity(session, initiative, ActivityKind.RSVP_IN_GROUP, now, person.id)
    if result.promoted:
        await tell_members_promoted(ctx, action, initiative, result.promoted)


async def tell_members_promoted(
    ctx: Ctx, action: Action, initiative: Initiative, promoted: tuple[Rsvp, ...]
) -> None:
    """A place came free: tell who moved up, privately — members who talk to the bot only."""
    told = []
    for row in promoted:
        if not row.resident_id or not await membership(
            ctx.session, initiative.id or 0, row.resident_id
        ):
            continue
        person = await ctx.session.get(Resident, row.resident_id)
        if person is not None and await g.has_talked_privately(ctx.session, person):
            told.append(row.resident_id)
    if told:
        await tell_promoted(ctx, action, told)


async def members_joined(ctx: Ctx, group: GroupChat, event: MembersJoined) -> None:
    """One welcome now, or — inside the window after the last one — one afterwards for
    everyone who joined meanwhile."""
    initiative = await get_initiative(ctx.session, group.initiative_id)
    names = [person.first_name[:64] or "?" for person in event.members]
    if initiative is None or not names:
        return
    now = ctx.now()
    session = ctx.session
    if g.welcome_now(group, now):
        waiting = await session.execute(
            select(ScheduledMessage).where(
                ScheduledMessage.kind == g.GroupKind.WELCOME,
                ScheduledMessage.chat_id == group.chat_id,
                ScheduledMessage.status == OutboxStatus.PENDING,
            )
        )
        payload: dict = {}
        for row in waiting.scalars().all():
            payload = g.merge_welcomes(payload, row.payload)
            row.status = OutboxStatus.CANCELLED
            row.last_error = "merged into a welcome sent at once"
        payload = g.welcome_payload(payload, names)
        texts = await texts_in(ctx, group)
        ctx.say(*welcome_view(texts, initiative, payload, ctx.services))
        group.last_welcome_at = now
        return
    assert group.last_welcome_at is not None
    key = f"gwelcome:{group.id}:{int(group.last_welcome_at.timestamp())}"
    welcome = await outbox.existing(session, key)
    if welcome is None:
        await outbox.schedule(
            session,
            Planned(
                g.GroupKind.WELCOME,
                key,
                group.last_welcome_at + g.WELCOME_WINDOW,
                chat_id=group.chat_id,
                initiative_id=initiative.id,
                payload=g.welcome_payload(None, names),
            ),
            now,
        )
    elif welcome.status is OutboxStatus.PENDING:
        welcome.payload = g.welcome_payload(welcome.payload, names)
    # else: that welcome is being sent right now; these names miss it (rare, harmless)


# --- commands in the group ------------------------------------------------------------------


async def group_command(ctx: Ctx, group: GroupChat, command: Command) -> None:
    # Help in a group is about the group (the private /hulp is about private chats).
    if command.name in ("help", "hulp", "start"):
        await group_help(ctx, group)
        return
    entry = ctx.services.registry.commands.get(command.name)
    if entry is not None and entry.group:
        await entry.handler(ctx, command.args)
        return
    texts = await texts_in(ctx, group)
    ctx.say(
        texts._(
            "/{name} works in a private chat with me. Here I know /action, /poll, /plan and /help.",
            name=command.name[:32],
        )
    )


async def group_help(ctx: Ctx, group: GroupChat) -> None:
    texts = await texts_in(ctx, group)
    if group.initiative_id is None:
        ctx.say(
            Safe(texts._(GROUP_HELP) + "\n\n" + texts._(HOW_TO_LINK)),
            [link_row(texts, ctx.services, group)],
        )
        return
    ctx.say(texts._(GROUP_HELP))


async def in_linked_group(ctx: Ctx) -> tuple[GroupChat, Texts, Initiative] | None:
    """The group, its texts and its initiative; or a kind word about what is missing."""
    if not ctx.incoming.chat.kind.is_group:
        ctx.say(
            ctx._(
                "This command works in a street group chat that I'm in. "
                "Add me to your street's group, then use it there."
            ),
            [[conv.menu_button(ctx)]],
        )
        return None
    group = await g.ensure_group(ctx.session, ctx.incoming.chat, ctx.now())
    texts = await texts_in(ctx, group)
    initiative = await get_initiative(ctx.session, group.initiative_id)
    if initiative is None:
        ctx.say(texts._(HOW_TO_LINK), [link_row(texts, ctx.services, group)])
        return None
    return group, texts, initiative


async def action_command(ctx: Ctx, _args: str) -> None:
    """/actie: the next action as a card with the answer buttons."""
    found = await in_linked_group(ctx)
    if found is None:
        return
    group, texts, initiative = found
    now = ctx.now()
    action = await next_action(ctx.session, initiative.id or 0, now)
    if action is None:
        ctx.say(
            texts._(
                "Nothing is planned yet for <b>{title}</b>. When the organisers plan an "
                "action, type /action again.",
                title=initiative.title,
            )
        )
        return
    base = card_key(action.id or 0)
    older = await g.remembered(ctx.session, group.chat_id, base)
    if older is not None:
        # One live card per action: the older one keeps its text, loses its buttons.
        text, _ = await card_view(
            ctx.session, texts, action, initiative, now=now, services=ctx.services
        )
        moved = Safe(text + "\n\n" + texts._("⬇️ This card moved down: answer on the newest one."))
        ctx.out.append(EditText(group.chat_id, older.message_id, moved))
        await g.forget(ctx.session, group.chat_id, base)
    text, buttons = await card_view(
        ctx.session, texts, action, initiative, now=now, services=ctx.services
    )
    ctx.say(text, buttons, remember_as=g.remember_key(base, text, buttons))


async def plan_command(ctx: Ctx, _args: str) -> None:
    """/plan: the plan, pinned; the pinned plan is edited when it exists. Typed again while
    nothing changed: one short answer (no pin, no new plan), then silence until it changes,
    so that nobody can make the bot repeat itself in the group."""
    found = await in_linked_group(ctx)
    if found is None:
        return
    group, texts, initiative = found
    session = ctx.session
    text, buttons = await plan_view(
        session, texts, initiative, now=ctx.now(), services=ctx.services
    )
    row = await g.remembered(session, group.chat_id, g.PLAN)
    if row is None:
        await post_plan(ctx, group, initiative, texts)
        return
    if not g.shows(row, text, buttons):
        g.note_shown(row, text, buttons)
        ctx.out.append(EditText(group.chat_id, row.message_id, text, buttons))
        if group.pinned_message_id != row.message_id:
            ctx.out.append(PinMessage(group.chat_id, row.message_id))
            group.pinned_message_id = row.message_id
        return
    note = g.remember_key(g.PLAN_NOTE, text, buttons)
    said = await g.remembered(session, group.chat_id, g.PLAN_NOTE)
    if said is not None and said.key == note:
        return
    if said is not None:
        await g.forget(session, group.chat_id, g.PLAN_NOTE)
    if not await g.claim(session, group.chat_id, note, ctx.now()):
        return
    ctx.say(
        texts._("📌 The plan is pinned at the top of this group. Nothing changed since."),
        remember_as=note,
    )


async def poll_command(ctx: Ctx, args: str) -> None:
    """/peiling: a poll with a deadline; the scheduler closes it then."""
    found = await in_linked_group(ctx)
    if found is None:
        return
    group, texts, initiative = found
    if not await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative):
        ctx.say(
            texts._(
                "Only the organisers of <b>{title}</b> can start a poll here.",
                title=initiative.title,
            )
        )
        return
    now = ctx.now()
    try:
        spec = g.parse_poll(args, now, texts.tz)
    except g.PollError as error:
        text = texts._(error.msgid, **error.values)
        if error.msgid != g.POLL_USAGE:
            text = Safe(text + "\n\n" + texts._(g.POLL_USAGE))
        ctx.say(text)
        return
    token = g.new_poll_token()
    poll = GroupPoll(
        poll_id=g.pending_poll_id(token),
        chat_id=group.chat_id,
        message_id=0,
        initiative_id=initiative.id,
        question=spec.question,
        options=list(spec.options),
        votes={},
        created_by_id=ctx.person.id,
        closes_at=spec.closes_at,
    )
    ctx.session.add(poll)
    await ctx.session.flush()
    question = texts._(
        "{question} (until {when})", question=spec.question, when=texts.short_when(spec.closes_at)
    )
    ctx.out.append(
        SendPoll(
            group.chat_id,
            question,
            tuple(escape(option) for option in spec.options),
            allows_multiple=spec.dates,
            remember_as=g.poll_key(token),
        )
    )
    await outbox.schedule(
        ctx.session,
        Planned(
            g.GroupKind.POLL_CLOSE,
            f"gpoll:{poll.id}",
            spec.closes_at,
            chat_id=group.chat_id,
            initiative_id=initiative.id,
            payload={"poll": poll.id},
        ),
        now,
    )
    record_activity(ctx.session, initiative, ActivityKind.POLL_STARTED, now, ctx.person.id)


async def poll_answered(ctx: Ctx) -> None:
    """A vote (or a vote taken back) on one of the bot's group polls: counted."""
    event = ctx.incoming.event
    assert isinstance(event, PollAnswer)
    poll = await g.poll_for_answer(ctx.session, event.poll_id)
    if poll is None or poll.closed_at is not None or ctx.now() >= poll.closes_at:
        return
    await g.record_vote(ctx.session, poll, ctx.person.id or 0, event.option_ids)


# --- linking, in a private chat -------------------------------------------------------------


async def ask_which_initiative(
    ctx: Ctx, group: GroupChat, *, chat_id: int | None = None, intro: str | None = None
) -> None:
    """Which initiative does this group belong to? (Or: it belongs to X — unlink?)"""
    person = ctx.person
    mine = [
        initiative
        for initiative, member in await initiatives_of(ctx.session, person.id or 0)
        if member.role is MemberRole.INITIATOR
    ][: ctx.services.policy.list_max]
    code = group.link_token
    linked = await get_initiative(ctx.session, group.initiative_id)
    rows: list[list[Button]] = []
    if linked is not None:
        text = ctx._(
            "The group <b>{group}</b> belongs to <b>{title}</b>.",
            group=group.title,
            title=linked.title,
        )
        if any(initiative.id == linked.id for initiative in mine):
            rows.append([Button(ctx._("Unlink this group"), pack("grp", "unlink", code))])
            rows.append([Button(ctx._("To the initiative"), pack("ini", "card", linked.id))])
    elif mine:
        text = ctx._(
            "Which initiative does the group <b>{group}</b> belong to? Only an initiator who "
            "is also an admin of the group can link it.",
            group=group.title,
        )
        rows += [
            [Button(shorten(initiative.title), pack("grp", "link", code, initiative.id))]
            for initiative in mine
        ]
        rows.append([Button(ctx._("Start a new initiative"), pack("grp", "new", code))])
    else:
        text = ctx._(
            "The group <b>{group}</b> doesn't belong to an initiative yet. An initiator links "
            "it to their initiative. You haven't started one yet: shall we start one now?",
            group=group.title,
        )
        rows.append([Button(ctx._("Start a new initiative"), pack("grp", "new", code))])
    rows.append([conv.menu_button(ctx)])
    ctx.say(Safe(f"{intro}\n\n{text}") if intro else text, rows, chat_id=chat_id)


async def group_link_opened(ctx: Ctx, code: str) -> None:
    """The deep link from the group's "Link this group" button."""
    found = await group_of_person(ctx, code)
    if found is None:
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await ask_which_initiative(ctx, found[0])


async def member_status(ctx: Ctx, group: GroupChat) -> str | None:
    """The person's status in the group, asked of Telegram now; None: it could not tell."""
    directory = ctx.services.chat_directory
    if directory is None:
        log.warning("no chat directory: cannot check the members of group %s", group.chat_id)
        return None
    try:
        return await directory.member_status(group.chat_id, ctx.person.telegram_id)
    except Exception:
        log.exception("could not ask Telegram about a member of group %s", group.chat_id)
        return None


def not_for_you(ctx: Ctx, msgid: str) -> None:
    """The one answer to a link or button that is not for this person: the same whether
    the thing exists or not, so that it tells nothing about it."""
    ctx.toast(ctx._("Sorry, I can't open that for you."))
    ctx.say(ctx._(msgid), [[conv.menu_button(ctx)]])


async def group_of_person(ctx: Ctx, code: str) -> tuple[GroupChat, str] | None:
    """The group a link or button names, with the person's status there — only for someone
    in the group now (Telegram is asked), while the bot is in it too."""
    group = await g.group_by_code(ctx.session, code, lock=True)
    status = await member_status(ctx, group) if group is not None and group.active else None
    if group is None or status not in IN_GROUP:
        not_for_you(ctx, NOT_IN_GROUP)
        return None
    return group, status


async def grp_pressed(ctx: Ctx, payload: Payload) -> None:
    verb = payload.arg(0)
    if verb not in ("link", "unlink", "new"):
        await conv.refuse_stale(ctx)
        return
    found = await group_of_person(ctx, payload.arg(1))
    if found is None:
        return
    group, status = found
    admin = status in GROUP_ADMINS
    conv.leave_flow(ctx, keep_for_later=True)
    if verb == "link":
        await link_chosen(ctx, group, id_arg(payload, 2), admin=admin)
    elif verb == "unlink":
        await unlink_chosen(ctx, group, admin=admin)
    else:
        await new_for_group(ctx, group)


async def allowed_to_link(
    ctx: Ctx,
    group: GroupChat,
    initiative: Initiative,
    again: str,
    *,
    admin: bool,
    unlink: bool = False,
) -> bool:
    """Initiator of the initiative and admin of the group; otherwise say kindly why not."""
    menu = [conv.menu_button(ctx)]
    worn = await hats(ctx.session, ctx.person, initiative)
    if Hat.INITIATOR not in worn:
        ctx.toast(ctx._("Sorry, that isn't possible for you."))
        msgid = (
            N_("Only an initiator of <b>{title}</b> can unlink its group chat.")
            if unlink
            else N_(
                "Only an initiator of <b>{title}</b> can link a group chat to it. "
                "Ask one of them to do it."
            )
        )
        ctx.say(ctx._(msgid, title=initiative.title), [menu])
        return False
    if not await may(ctx.session, ctx.person, Permission.LINK_GROUP, initiative, group_admin=admin):
        ctx.toast(ctx._("Sorry, that isn't possible for you."))
        ctx.say(
            ctx._(
                "Only an admin of the group <b>{group}</b> can do this, and you're not one. "
                "Ask an admin to make you an admin too, then tap the button again.",
                group=group.title,
            ),
            [[Button(ctx._("Try again"), again)], menu],
        )
        return False
    return True


async def link_chosen(
    ctx: Ctx, group: GroupChat, initiative_id: int | None, *, admin: bool
) -> None:
    session = ctx.session
    initiative = await get_initiative(session, initiative_id)
    menu = [conv.menu_button(ctx)]
    if initiative is None or not await may(
        session, ctx.person, Permission.VIEW_INITIATIVE, initiative
    ):
        # Not there, or not theirs to know of: the same answer.
        ctx.toast(ctx._("I can't find that."))
        ctx.say(ctx._("I can't find that initiative (any more)."), [menu])
        return
    if group.initiative_id == initiative.id:
        ctx.toast(ctx._("That was done already."))
        await ask_which_initiative(ctx, group)
        return
    if group.initiative_id is not None:
        other = await get_initiative(session, group.initiative_id)
        ctx.say(
            ctx._(
                "The group <b>{group}</b> already belongs to <b>{title}</b>. "
                "An initiator of that initiative can unlink it first.",
                group=group.title,
                title=other.title if other else "?",
            ),
            [menu],
        )
        return
    taken = await g.group_of_initiative(session, initiative.id)
    if taken is not None:
        ctx.say(
            ctx._(
                "<b>{title}</b> already has a group chat: <b>{group}</b>. One group per "
                "initiative: unlink that one first.",
                title=initiative.title,
                group=taken.title,
            ),
            [menu],
        )
        return
    again = pack("grp", "link", group.link_token, initiative.id)
    if not await allowed_to_link(ctx, group, initiative, again, admin=admin):
        return
    now = ctx.now()
    g.link(group, initiative.id or 0, ctx.person, now)
    record_activity(session, initiative, ActivityKind.GROUP_LINKED, now, ctx.person.id)
    texts = await texts_in(ctx, group)
    header = texts._("✅ This group now belongs to <b>{title}</b>!", title=initiative.title)
    await post_plan(ctx, group, initiative, texts, header=header)
    await sync_initiative_rows(session, initiative.id or 0, now, ctx.services.policy)
    ctx.toast(ctx._("Linked."))
    show(
        ctx,
        ctx._(
            "Done: the group <b>{group}</b> now belongs to <b>{title}</b>. I told the group, "
            "with the plan. Neighbours there can now use /action, /poll and /plan.",
            group=group.title,
            title=initiative.title,
        ),
        [[Button(ctx._("To the initiative"), pack("ini", "card", initiative.id))], menu],
        edit=True,
    )
    await check_progress(ctx, initiative)


async def unlink_chosen(ctx: Ctx, group: GroupChat, *, admin: bool) -> None:
    initiative = await get_initiative(ctx.session, group.initiative_id)
    if initiative is None:
        ctx.toast(ctx._("That was done already."))
        await ask_which_initiative(ctx, group)
        return
    again = pack("grp", "unlink", group.link_token)
    if not await allowed_to_link(ctx, group, initiative, again, admin=admin, unlink=True):
        return
    texts = await texts_in(ctx, group)  # before the link (and its language) goes
    await g.unlink(ctx.session, group)
    record_activity(ctx.session, initiative, ActivityKind.GROUP_UNLINKED, ctx.now(), ctx.person.id)
    ctx.say(
        texts._(
            "This group no longer belongs to <b>{title}</b>. An initiator can link it again "
            "with the button.",
            title=initiative.title,
        ),
        [link_row(texts, ctx.services, group)],
        chat_id=group.chat_id,
    )
    ctx.toast(ctx._("Unlinked."))
    show(
        ctx,
        ctx._(
            "Done: the group <b>{group}</b> no longer belongs to <b>{title}</b>.",
            group=group.title,
            title=initiative.title,
        ),
        [[conv.menu_button(ctx)]],
        edit=True,
    )


async def new_for_group(ctx: Ctx, group: GroupChat) -> None:
    if group.added_by_id == ctx.person.id:
        ctx.say(
            ctx._(
                "Nice! Let us start your initiative. When it's saved, I'll ask you whether "
                "to link the group <b>{group}</b> to it.",
                group=group.title,
            )
        )
    else:
        ctx.say(
            ctx._(
                "Nice! Let us start your initiative. When it's saved, open the link in the "
                "group <b>{group}</b> again to link it.",
                group=group.title,
            )
        )
    await share_idea(ctx)


# --- "show my name", in a private chat -----------------------------------------------------


async def may_see_action(ctx: Ctx, action: Action) -> bool:
    """Who answered on its card, or may see its initiative; nobody else hears of it."""
    if await answer_of(ctx.session, action.id or 0, ctx.person.id or 0) is not None:
        return True
    initiative = await get_initiative(ctx.session, action.initiative_id)
    return initiative is not None and await may(
        ctx.session, ctx.person, Permission.VIEW_INITIATIVE, initiative
    )


async def _action_in_group(ctx: Ctx, action: Action | None) -> tuple[Action, GroupChat] | None:
    if action is None or not await may_see_action(ctx, action):
        not_for_you(ctx, NOT_ANSWERED)
        return None
    group = await g.group_of_initiative(ctx.session, action.initiative_id)
    if group is None:
        ctx.toast(ctx._("I can't find that."))
        ctx.say(
            ctx._("I can't find that action in a street group (any more)."),
            [[conv.menu_button(ctx)]],
        )
        return None
    return action, group


async def name_link_opened(ctx: Ctx, rest: str) -> None:
    """The deep link from a card's "Show my name" button."""
    found = await _action_in_group(ctx, await g.action_by_code(ctx.session, rest))
    if found is None:
        return
    action, group = found
    conv.leave_flow(ctx, keep_for_later=True)
    if ctx.person.consented_at is None:
        await ask_consent(
            ctx,
            ctx._(
                "You want your name on the card of <b>{title}</b> in the group.", title=action.title
            ),
            link=f"{NAME_LINK}-{action.link_token}",
        )
        return
    await show_name_question(ctx, action, group)


async def show_name_question(
    ctx: Ctx, action: Action, group: GroupChat, *, edit: bool = False
) -> None:
    answered = await answer_of(ctx.session, action.id or 0, ctx.person.id or 0)
    menu = [conv.menu_button(ctx)]
    if answered is None:
        ctx.say(
            ctx._(
                "You haven't answered for <b>{title}</b> yet. Tap your answer on the card in "
                "the group <b>{group}</b> first, then open this again.",
                title=action.title,
                group=group.title,
            ),
            [menu],
        )
        return
    if answered.show_name:
        state = ctx._(
            "Your name is shown on the card in <b>{group}</b> when you're coming.",
            group=group.title,
        )
        button = Button(ctx._("Only count me"), pack(NAME_LINK, action.id, 0))
    else:
        state = ctx._(
            "On the card in <b>{group}</b> you're only counted: your name isn't shown.",
            group=group.title,
        )
        button = Button(ctx._("Show my name"), pack(NAME_LINK, action.id, 1))
    text = Safe(ctx._("<b>Your name on the card of {title}</b>", title=action.title) + "\n" + state)
    show(ctx, text, [[button], menu], edit=edit)


async def name_pressed(ctx: Ctx, payload: Payload) -> None:
    found = await _action_in_group(ctx, await get_action(ctx.session, id_arg(payload, 0)))
    if found is None:
        return
    action, group = found
    if ctx.person.consented_at is None:
        await ask_consent(
            ctx,
            ctx._(
                "You want your name on the card of <b>{title}</b> in the group.", title=action.title
            ),
            link=f"{NAME_LINK}-{action.link_token}",
        )
        return
    answered = await answer_of(ctx.session, action.id or 0, ctx.person.id or 0)
    want = payload.arg(1) == "1"
    if answered is not None and answered.show_name != want:
        answered.show_name = want
        initiative = await get_initiative(ctx.session, action.initiative_id)
        if initiative is not None:
            texts = await texts_in(ctx, group)
            ctx.out.extend(
                await refresh_cards(
                    ctx.session,
                    group,
                    action,
                    initiative,
                    texts,
                    now=ctx.now(),
                    services=ctx.services,
                )
            )
            ctx.session.info.setdefault(FRESH_CARDS, set()).add(action.id)
    if answered is not None:
        ctx.toast(ctx._("Your name is shown.") if want else ctx._("You're only counted."))
    await show_name_question(ctx, action, group, edit=True)


# --- what the scheduler sends ---------------------------------------------------------------


async def _linked_group(session: AsyncSession, initiative_id: int | None) -> GroupChat:
    group = await g.group_of_initiative(session, initiative_id)
    if group is None:
        raise Skip("no active group is linked to the initiative")
    return group


async def _initiative(session: AsyncSession, initiative_id: int | None) -> Initiative:
    initiative = await fetch(session, Initiative, initiative_id)
    if initiative is None:
        raise Skip("the initiative is gone")
    return initiative


def _gentle(
    session: AsyncSession, now: datetime, texts: Texts, until: datetime | None = None
) -> None:
    """Postpone past the group's quiet hours — or skip, when that would be too late."""
    quiet = context_of(session).timings.quiet_hours
    if not quiet.contains(now, texts.tz):
        return
    later = quiet.next_allowed(now, texts.tz)
    if until is not None and later >= until:
        raise Skip("quiet hours last until it is too late")
    raise Postpone(later, "quiet hours in the group")


@renderer(g.GroupKind.REMINDER, timely=True)
async def render_group_reminder(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The group, 24 h before: the card again, with the current totals and the buttons."""
    action = await fetch(session, Action, row.action_id)
    if action is None or action.status is not ActionStatus.PLANNED:
        raise Skip("the action is no longer planned")
    if action.starts_at <= now:
        raise Skip("the action has started")
    group = await _linked_group(session, action.initiative_id)
    initiative = await _initiative(session, action.initiative_id)
    texts = await render_texts(session, group)
    timings = context_of(session).timings
    due = reminder_due(
        action.starts_at, context_of(session).policy.group_reminder_lead, texts.tz, timings
    )
    if due > now:
        raise Postpone(due, "the action moved")
    _gentle(session, now, texts, action.starts_at - timings.reminder_min_notice)
    services = context_of(session).services
    text, buttons = await card_view(
        session, texts, action, initiative, now=now, services=services, reminder=True
    )
    base = reminder_key(action.id or 0)
    await g.forget(session, group.chat_id, base)
    return [SendText(group.chat_id, text, buttons, remember_as=g.remember_key(base, text, buttons))]


@renderer(g.GroupKind.THANKS, at_most_once=True)
async def render_group_thanks(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The group, the day after at 10:00: thank you, with how many came."""
    action = await fetch(session, Action, row.action_id)
    if action is None or action.status is ActionStatus.CANCELLED:
        raise Skip("the action was cancelled")
    group = await _linked_group(session, action.initiative_id)
    initiative = await _initiative(session, action.initiative_id)
    texts = await render_texts(session, group)
    due = followup_due(action, texts.tz, context_of(session).timings)
    if due > now:
        raise Postpone(due, "the action moved")
    _gentle(session, now, texts)
    if action.attended is not None:
        people = action.attended
        figure = texts.n_("{n} neighbour came.", "{n} neighbours came.", people)
    else:
        people = (await totals(session, action.id or 0)).coming
        figure = texts.n_(
            "{n} neighbour said they were coming.", "{n} neighbours said they were coming.", people
        )
    if people <= 0:
        raise Skip("nobody came")
    lines = [
        texts._(
            "🙏 Thank you, everyone who came to <b>{title}</b>! {figure}",
            title=action.title,
            figure=figure,
        ),
        texts._("What comes next? You will read it here. Type /plan for the plan."),
    ]
    services = context_of(session).services
    join = join_url(services, initiative)
    rows: list[list[Button]] = []
    if join:
        lines.append(texts._("Want to help organise the next one? Join the initiative."))
        rows.append([Button(texts._("🙋 Join the initiative"), url=join)])
    return [SendText(group.chat_id, Safe("\n\n".join(lines)), keyboard(*rows))]


@renderer(g.GroupKind.CARD)
async def render_card_refresh(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Answers given elsewhere, or the action changed: the group's card follows."""
    action = await fetch(session, Action, row.action_id)
    if action is None:
        raise Skip("the action is gone")
    group = await _linked_group(session, action.initiative_id)
    initiative = await _initiative(session, action.initiative_id)
    texts = await render_texts(session, group)
    return await refresh_cards(
        session, group, action, initiative, texts, now=now, services=context_of(session).services
    )


@renderer(g.GroupKind.WELCOME, at_most_once=True)
async def render_welcome(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Everyone who joined since the last welcome, welcomed together."""
    group = await g.group_by_chat(session, row.chat_id or 0)
    if group is None or not group.active or group.initiative_id is None:
        raise Skip("the group is gone or not linked")
    initiative = await _initiative(session, group.initiative_id)
    payload = dict(row.payload or {})
    count = int(payload.get("count", 0))
    if count <= 0:
        raise Skip("nobody to welcome")
    texts = await render_texts(session, group)
    text, buttons = welcome_view(texts, initiative, payload, context_of(session).services)
    group.last_welcome_at = now
    # The names were only needed to say hello.
    await session.execute(
        update(ScheduledMessage)
        .where(col(ScheduledMessage.id) == row.id)
        .values(payload={"count": count})
        .execution_options(synchronize_session=False)
    )
    return [SendText(group.chat_id, text, buttons)]


@renderer(g.GroupKind.POLL_CLOSE)
async def render_poll_close(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The deadline: the result in the group, and the poll closed."""
    poll = await session.get(GroupPoll, int((row.payload or {}).get("poll") or 0))
    if poll is None:
        raise Skip("the poll is gone")
    if not await g.resolve_poll(session, poll):
        raise Skip("the poll was never posted")
    if now < poll.closes_at:
        raise Postpone(poll.closes_at, "the deadline is later")
    group = await g.group_by_chat(session, poll.chat_id)
    if group is None or not group.active:
        raise Skip("the bot is no longer in the group")
    counts, voters = await g.close_poll(session, poll, now)
    texts = await render_texts(session, group)
    # The result first: if closing fails, the group still reads it.
    return [
        SendText(poll.chat_id, poll_result_view(texts, poll, counts, voters)),
        StopPoll(poll.chat_id, poll.message_id),
    ]


@renderer(g.GroupKind.PIN, quiet_hours=False, budget=False)
async def render_pin(session: AsyncSession, row: ScheduledMessage, now: datetime) -> list[Outgoing]:
    """Pin the plan just posted, once Telegram has given it an id."""
    group = await g.group_by_chat(session, row.chat_id or 0)
    if group is None or not group.active:
        raise Skip("the bot is no longer in the group")
    plan = await g.remembered(session, group.chat_id, g.PLAN)
    if plan is None:
        asked = datetime.fromisoformat((row.payload or {}).get("at") or now.isoformat())
        if now - asked > PIN_PATIENCE:
            raise Skip("the plan was never posted")
        raise Postpone(now + timedelta(seconds=10), "the plan is not posted yet")
    if group.pinned_message_id == plan.message_id:
        raise Skip("already pinned")
    group.pinned_message_id = plan.message_id
    return [PinMessage(group.chat_id, plan.message_id)]


@renderer(g.GroupKind.LINK_OFFER, essential=True, quiet_hours=False, budget=False)
async def render_link_offer(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """Who added the bot to a group and just started an initiative: link them?"""
    person = await recipient(session, row)
    group = await g.group_by_id(session, int((row.payload or {}).get("group") or 0))
    if group is None or not group.active or group.initiative_id is not None:
        raise Skip("the group is gone or linked already")
    initiative = await _initiative(session, row.initiative_id)
    await require_role(session, initiative.id or 0, person, MemberRole.INITIATOR)
    texts = texts_of(person)
    text = texts._(
        "Shall I link the group <b>{group}</b> to <b>{title}</b>? Then the neighbours there "
        "can say whether they come to your actions.",
        group=group.title,
        title=initiative.title,
    )
    rows = keyboard(
        [
            Button(
                texts._("Yes, link it"),
                pack("grp", "link", group.link_token, initiative.id),
            )
        ],
        [Button(texts._("Not now"), pack("menu"))],
    )
    return [SendText(person.telegram_id, text, rows)]


# --- wiring -------------------------------------------------------------------------------------


def register(registry: Registry) -> None:
    registry.group_handler = handle_group
    registry.poll_answer_handler = poll_answered
    registry.chat_moved.append(g.migrate)
    registry.command(
        "actie",
        "action",
        description=N_("The next action: say whether you will come"),
        private=False,
        group=True,
    )(action_command)
    registry.command(
        "peiling", "poll", description=N_("Start a poll (organisers)"), private=False, group=True
    )(poll_command)
    registry.command(
        "plan", description=N_("The plan of the initiative, pinned"), private=False, group=True
    )(plan_command)
    registry.button("grp")(grp_pressed)
    registry.button(NAME_LINK)(name_pressed)
    registry.deep_link(GROUP_LINK)(group_link_opened)
    registry.deep_link(NAME_LINK)(name_link_opened)
    policy = registry.policy
    registry.subscribe(ActionPlanned, ActionChanged)(functools.partial(action_rows, policy))
    registry.subscribe(ActionCancelled)(functools.partial(action_cancelled, policy))
    registry.subscribe(RsvpGiven)(answer_given)
    registry.subscribe(MemberJoined)(functools.partial(member_joined, policy))
    registry.subscribe(InitiativeCreated)(initiative_created)
