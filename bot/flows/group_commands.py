"""The commands of a street group (bot/flows/group_chat.py hands them here, through the
registry's commands marked ``group=True``):

* /actie (/action) → the next action as a card with coming / maybe / can't; each answer
  edits that card in place. A new /actie posts a new card; the older one keeps its text
  and loses its buttons;
* /peiling (/poll) → a Telegram poll, closed by the scheduler at its deadline;
* /plan → the plan (phase, next action, how to help), pinned; edited in place after. A
  plan just posted is pinned by the scheduler (``gpin``): the seam cannot pin a message
  before Telegram has given it an id.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.events import PollStarted
from bot.core.registry import Registry
from bot.core.seam import EditText, PinMessage, PollAnswer, SendPoll
from bot.domain import group_rows, groups
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.i18n import N_, Safe, Texts, escape
from bot.views.buttons import menu_button
from bot.views.cards import next_action
from bot.views.group_cards import HOW_TO_LINK, card_view, link_row, plan_view, post_plan, texts_in
from storage.models import GroupChat, GroupPoll, Initiative


async def in_linked_group(ctx: Ctx) -> tuple[GroupChat, Texts, Initiative] | None:
    """The group, its texts and its initiative; or a kind word about what is missing."""
    if not ctx.incoming.chat.kind.is_group:
        ctx.say(
            ctx._(
                "This command works in a street group chat that I'm in. "
                "Add me to your street's group, then use it there."
            ),
            [[menu_button(ctx.texts)]],
        )
        return None
    group = await groups.ensure_group(ctx.session, ctx.incoming.chat, ctx.now())
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
    base = groups.card_key(action.id or 0)
    older = await groups.remembered(ctx.session, group.chat_id, base)
    if older is not None:
        # One live card per action: the older one keeps its text, loses its buttons.
        text, _ = await card_view(
            ctx.session, texts, action, initiative, now=now, services=ctx.services
        )
        moved = Safe(text + "\n\n" + texts._("⬇️ This card moved down: answer on the newest one."))
        ctx.out.append(EditText(group.chat_id, older.message_id, moved))
        await groups.forget(ctx.session, group.chat_id, base)
    text, buttons = await card_view(
        ctx.session, texts, action, initiative, now=now, services=ctx.services
    )
    ctx.say(text, buttons, remember_as=groups.remember_key(base, text, buttons))


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
    row = await groups.remembered(session, group.chat_id, groups.PLAN)
    if row is None:
        await post_plan(ctx, group, initiative, texts)
        return
    if not groups.shows(row, text, buttons):
        groups.note_shown(row, text, buttons)
        ctx.out.append(EditText(group.chat_id, row.message_id, text, buttons))
        if group.pinned_message_id != row.message_id:
            ctx.out.append(PinMessage(group.chat_id, row.message_id))
            group.pinned_message_id = row.message_id
        return
    note = groups.remember_key(groups.PLAN_NOTE, text, buttons)
    said = await groups.remembered(session, group.chat_id, groups.PLAN_NOTE)
    if said is not None and said.key == note:
        return
    if said is not None:
        await groups.forget(session, group.chat_id, groups.PLAN_NOTE)
    if not await groups.claim(session, group.chat_id, note, ctx.now()):
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
        spec = groups.parse_poll(args, now, texts.tz)
    except groups.PollError as error:
        text = texts._(error.msgid, **error.values)
        if error.msgid != groups.POLL_USAGE:
            text = Safe(text + "\n\n" + texts._(groups.POLL_USAGE))
        ctx.say(text)
        return
    token = groups.new_poll_token()
    poll = GroupPoll(
        poll_id=groups.pending_poll_id(token),
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
            remember_as=groups.poll_key(token),
        )
    )
    await group_rows.schedule_poll_close(ctx.session, poll, now)
    ctx.emit(PollStarted(initiative.id or 0, group.chat_id, ctx.person.id))


async def poll_answered(ctx: Ctx) -> None:
    """A vote (or a vote taken back) on one of the bot's group polls: counted."""
    event = ctx.incoming.event
    assert isinstance(event, PollAnswer)
    poll = await groups.poll_for_answer(ctx.session, event.poll_id)
    if poll is None or poll.closed_at is not None or ctx.now() >= poll.closes_at:
        return
    await groups.record_vote(ctx.session, poll, ctx.person.id or 0, event.option_ids)


def register(registry: Registry) -> None:
    registry.poll_answer_handler = poll_answered
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
