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
* an answer on a card (``grsvp:<action_id>:<c|m|n>``) → counted, and that card edited in
  place (the card is remembered as ``gcard:<action_id>#<fingerprint>``, see
  bot/domain/groups.py);
* a command → /help (/hulp, /start) here; /actie, /peiling and /plan in
  bot/flows/group_commands.py; any other one points to the private chat.

Elsewhere: linking and unlinking in a private chat (bot/flows/group_link.py), the "show
my name" toggle (bot/flows/show_name.py), what the group reads (bot/views/group_cards.py),
the rows the scheduler sends (bot/domain/group_rows.py) and their renderers
(bot/views/group_renderers.py). The group's language, zone and the other decisions are
in bot/domain/groups.py.
"""

from __future__ import annotations

import functools

from bot.core.context import Ctx
from bot.core.events import (
    ActionCancelled,
    ActionChanged,
    ActionPlanned,
    InitiativeCreated,
    MemberJoined,
    RsvpGiven,
)
from bot.core.payloads import decode
from bot.core.registry import Registry
from bot.core.seam import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ButtonPress,
    ChatKind,
    ChatMigrated,
    Command,
    MembersJoined,
    Outgoing,
)
from bot.domain import group_rows, groups
from bot.domain.actions import get_action, give_rsvp, open_for_rsvp, valid_id
from bot.domain.initiatives import get_initiative, membership, record_activity
from bot.i18n import Safe
from bot.views import group_renderers  # noqa: F401  (the group kinds' renderers register on import)
from bot.views.action_news import tell_promoted
from bot.views.buttons import RSVP_KEYS
from bot.views.group_cards import (
    GROUP_HELP,
    HOW_TO_LINK,
    link_row,
    refresh_cards,
    texts_in,
    welcome_view,
)
from bot.views.group_private import ask_which_initiative
from bot.views.group_renderers import register_renderers
from bot.views.routes import GroupRsvp
from storage.models import (
    Action,
    ActivityKind,
    GroupChat,
    Initiative,
    Resident,
    Rsvp,
    RsvpAnswer,
)


async def handle_group(ctx: Ctx) -> None:
    """Everything that happens in a group chat comes here."""
    event = ctx.incoming.event
    if isinstance(event, ChatMigrated):
        await groups.migrate(ctx.session, ctx.chat_id, event.new_chat_id)
        return
    if isinstance(event, BotRemovedFromGroup):
        gone = await groups.group_by_chat(ctx.session, ctx.chat_id, lock=True)
        if gone is not None:
            await groups.deactivate(ctx.session, gone)
        return
    if not isinstance(event, BotAddedToGroup | MembersJoined | Command | ButtonPress):
        return  # privacy mode: plain messages are not for the bot
    group = await groups.ensure_group(ctx.session, ctx.incoming.chat, ctx.now())
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
    if await groups.group_of_initiative(ctx.session, group.initiative_id, exclude=group.id):
        await groups.unlink(ctx.session, group)
        return
    await group_rows.sync_initiative_rows(
        ctx.session, group.initiative_id, ctx.now(), ctx.services.policy
    )


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
    private = await groups.has_talked_privately(ctx.session, ctx.person)
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


# --- answers on the card ---------------------------------------------------------------------


async def group_button(ctx: Ctx, group: GroupChat, press: ButtonPress) -> None:
    pressed = decode(press.payload)
    if not isinstance(pressed, GroupRsvp):
        ctx.toast(ctx._("That button belongs to an earlier question."))
        return
    await group_rsvp_pressed(ctx, group, pressed, press.message_id)


async def group_rsvp_pressed(
    ctx: Ctx, group: GroupChat, pressed: GroupRsvp, message_id: int | None
) -> None:
    """An answer on the card: counted (a neighbour who never talked to the bot too), the
    card edited in place, a short notice to the one who pressed."""
    answer = RSVP_KEYS.get(pressed.answer)
    action_id = valid_id(pressed.action_id)
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
    group_rows.mark_fresh(session, action_id)
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
    await group_rows.card_is_fresh(session, action_id)
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
        if person is not None and await groups.has_talked_privately(ctx.session, person):
            told.append(row.resident_id)
    if told:
        await tell_promoted(ctx, action, told)


# --- joins and commands --------------------------------------------------------------------------


async def members_joined(ctx: Ctx, group: GroupChat, event: MembersJoined) -> None:
    """One welcome now, or — inside the window after the last one — one afterwards for
    everyone who joined meanwhile."""
    initiative = await get_initiative(ctx.session, group.initiative_id)
    names = [person.first_name[:64] or "?" for person in event.members]
    if initiative is None or not names:
        return
    now = ctx.now()
    if groups.welcome_now(group, now):
        waiting = await group_rows.take_waiting_welcomes(ctx.session, group)
        payload = groups.welcome_payload(waiting, names)
        texts = await texts_in(ctx, group)
        ctx.say(*welcome_view(texts, initiative, payload, ctx.services))
        group.last_welcome_at = now
        return
    await group_rows.welcome_later(ctx.session, group, initiative.id, names, now)


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


# --- wiring -------------------------------------------------------------------------------------


def register(registry: Registry) -> None:
    registry.group_handler = handle_group
    register_renderers(registry)
    registry.chat_moved.append(groups.migrate)
    policy = registry.policy
    registry.subscribe(ActionPlanned, ActionChanged)(
        functools.partial(group_rows.action_rows, policy)
    )
    registry.subscribe(ActionCancelled)(functools.partial(group_rows.action_cancelled, policy))
    registry.subscribe(RsvpGiven)(group_rows.answer_given)
    registry.subscribe(MemberJoined)(functools.partial(group_rows.member_joined, policy))
    registry.subscribe(InitiativeCreated)(group_rows.initiative_created)
