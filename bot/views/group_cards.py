"""What a street group reads: the action card, the plan, the welcome, a poll's result, and
the help; and the edits that keep the card and the pinned plan up to date.

Texts are the group's (``texts_in``: the language of who linked it), not those of the
person who pressed or typed. The card shows totals, and the names of those who chose to
show theirs (``gname-<token>`` in their own chat, bot/flows/show_name.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Ctx
from bot.core.seam import Button, EditText, Keyboard, Outgoing
from bot.domain import group_rows, groups
from bot.domain.actions import open_for_rsvp, totals
from bot.domain.phases import progress_line
from bot.i18n import N_, Safe, Texts, escape
from bot.views.action_card import action_card
from bot.views.buttons import join_button, rsvp_row
from bot.views.cards import next_action
from bot.views.routes import GroupRsvp
from scheduler.messages import context_of
from storage.models import Action, GroupChat, GroupPoll, Initiative

if TYPE_CHECKING:
    from bot.core.services import Services

GROUP_LINK = "group"  # deep link: group-<code>, the question "which initiative?"
NAME_LINK = "gname"  # deep link: gname-<action_id>, "show my name on the card"

GROUP_HELP = N_(
    "<b>What I do in this group</b>\n"
    "/action – the next action: say whether you will come\n"
    "/poll – a poll, started by the organisers\n"
    "/plan – the plan of the initiative, pinned at the top\n"
    "/help – this help\n\n"
    "I don't read along: I only react to commands and to my buttons. Here you see "
    "totals, and only the names of neighbours who chose to show theirs."
)
HOW_TO_LINK = N_(
    "This group doesn't belong to an initiative yet. An initiator who is also an admin "
    "of this group links it: tap the button."
)

# --- small helpers -----------------------------------------------------------------------


def _defaults(services: Services) -> tuple[str, str | None]:
    return services.settings.default_language, services.settings.timezone


async def texts_in(ctx: Ctx, group: GroupChat) -> Texts:
    """The texts of the group (not of the person who pressed or typed)."""
    return await groups.group_texts(ctx.session, group, *_defaults(ctx.services))


async def render_texts(session: AsyncSession, group: GroupChat) -> Texts:
    """The texts of the group, in a renderer (the services come with the batch)."""
    return await groups.group_texts(session, group, *_defaults(context_of(session).services))


def join_url(services: Services, initiative: Initiative) -> str | None:
    if not initiative.invite_active:
        return None
    return services.deep_link(f"join-{initiative.invite_token}")


def group_link_url(services: Services, group: GroupChat) -> str | None:
    return services.deep_link(f"{GROUP_LINK}-{group.link_token}")


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
    shown = ", ".join(escape(name) for name in names[: groups.CARD_NAMES])
    if len(names) > groups.CARD_NAMES:
        more = texts.n_("and {n} more", "and {n} more", len(names) - groups.CARD_NAMES)
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
    lines.append(
        await action_card(texts, session, action, initiative, show_work=False, counted=counted)
    )
    names = await groups.coming_names(session, aid)
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
        rows.append(rsvp_row(texts, aid, kind=GroupRsvp))
        extra: list[Button] = []
        join = join_url(services, initiative)
        if join:
            extra.append(Button(texts._("🔔 Remind me"), url=join))
        name = services.deep_link(f"{NAME_LINK}-{action.link_token}")
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
        rows.append([join_button(texts, join)])
    return Safe("\n".join(lines)), keyboard(*rows)


def welcome_view(
    texts: Texts, initiative: Initiative, payload: dict, services: Services
) -> tuple[Safe, Keyboard]:
    names = [str(name) for name in payload.get("names", [])]
    count = int(payload.get("count", len(names)))
    who = (
        groups.name_list(texts, names, count)
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
    rows = [[join_button(texts, join)]] if join else []
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
    aid = action.id or 0
    for base, reminder in ((groups.card_key(aid), False), (groups.reminder_key(aid), True)):
        row = await groups.remembered(session, group.chat_id, base)
        if row is None:
            continue
        seen.add(row.message_id)
        text, buttons = await card_view(
            session, texts, action, initiative, now=now, services=services, reminder=reminder
        )
        if groups.shows(row, text, buttons):
            continue
        groups.note_shown(row, text, buttons)
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
    await groups.forget(ctx.session, group.chat_id, groups.PLAN)
    ctx.say(
        text,
        buttons,
        chat_id=group.chat_id,
        remember_as=groups.remember_key(groups.PLAN, text, buttons),
    )
    await group_rows.schedule_pin(ctx.session, group, initiative.id, ctx.now())
