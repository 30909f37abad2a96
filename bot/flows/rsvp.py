"""Answering an invitation (coming / maybe / can't), the waiting list, and who is coming.

Buttons: ``rsvp:<action_id>:<c|m|n>`` (members) and ``rsvp:who:<action_id>`` (initiators).
The rules (one answer per person, the waiting list, moving up) are in ``bot/domain/actions.py``.
"""

from __future__ import annotations

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.domain.actions import give_rsvp, open_for_rsvp, rsvp_people, totals, valid_id
from bot.domain.authz import Permission
from bot.i18n import Safe, escape
from bot.views.access import load_action
from bot.views.action_card import show_card, totals_line
from bot.views.action_news import tell_promoted
from bot.views.buttons import RSVP_KEYS, action_button, initiative_button, menu_button
from bot.views.routes import RsvpChoice, RsvpWho
from bot.views.screens import in_place, kindly
from storage.models import ActionStatus, RsvpAnswer

NAMES_MAX = 200


async def rsvp_pressed(ctx: Ctx, press: RsvpChoice) -> None:
    answer = RSVP_KEYS.get(press.answer)
    if answer is None or valid_id(press.action_id) is None:
        await conv.refuse_stale(ctx)
        return
    found = await load_action(ctx, press.action_id, Permission.RSVP)
    if found is None:
        return
    action, initiative = found
    if not open_for_rsvp(action, ctx.now()):
        ctx.toast(ctx._("Answers are closed."))
        reason = (
            ctx._(
                "<b>{title}</b> has been cancelled, so you can't answer any more.",
                title=action.title,
            )
            if action.status is ActionStatus.CANCELLED
            else ctx._(
                "<b>{title}</b> has already taken place, so you can't answer any more.",
                title=action.title,
            )
        )
        await kindly(ctx, reason, [[action_button(ctx.texts, action.id or 0)]])
        return
    result = await give_rsvp(ctx.session, action, ctx.person.id or 0, answer, ctx.now())
    for event in result.events():
        ctx.emit(event)
    if not result.changed:
        ctx.toast(ctx._("You had already answered that."))
        if in_place(ctx) is None:
            await show_card(ctx, action, initiative)
        return
    if result.place is not None:
        ctx.toast(ctx._("Full: you're on the waiting list."))
        intro = ctx._(
            "All places are taken, so you're on the waiting list: place {place}. "
            "I'll tell you as soon as a place comes free.",
            place=ctx.texts.number(result.place),
        )
    elif answer is RsvpAnswer.COMING:
        ctx.toast(ctx._("See you there!"))
        intro = ctx._("✓ Noted: you're coming. See you there!")
    elif answer is RsvpAnswer.MAYBE:
        ctx.toast(ctx._("Noted: maybe."))
        intro = ctx._("✓ Noted: maybe. You can change your answer at any time.")
    else:
        ctx.toast(ctx._("Noted."))
        intro = ctx._("✓ Noted: you can't come. Thank you for letting us know.")
    await show_card(ctx, action, initiative, intro=intro, edit=True)
    if result.promoted:
        await tell_promoted(ctx, action, [row.resident_id for row in result.promoted])


async def who_is_coming(ctx: Ctx, press: RsvpWho) -> None:
    found = await load_action(ctx, press.action_id, Permission.SEE_RSVP_NAMES)
    if found is None:
        return
    action, initiative = found
    conv.leave_flow(ctx, keep_for_later=True)
    aid = action.id or 0
    counted = await totals(ctx.session, aid)
    coming = await rsvp_people(ctx.session, aid, [RsvpAnswer.COMING], waitlisted=False)
    waiting = await rsvp_people(ctx.session, aid, [RsvpAnswer.COMING], waitlisted=True)
    lines = [
        ctx._("<b>Who is coming to {title}</b>", title=action.title),
        totals_line(ctx.texts, counted, action.capacity),
        "",
    ]
    if coming:
        lines.append(ctx._("<b>Coming:</b>"))
        lines += [f"• {escape(person.display_name)}" for _, person in coming[:NAMES_MAX]]
    else:
        lines.append(ctx._("Nobody has said they are coming yet."))
    if waiting:
        lines += ["", ctx._("<b>Waiting list:</b>")]
        lines += [
            f"{place}. {escape(person.display_name)}"
            for place, (_, person) in enumerate(waiting[:NAMES_MAX], start=1)
        ]
    lines += ["", ctx._("Only the initiators see these names. Please keep them to yourself.")]
    ctx.say(
        Safe("\n".join(lines)),
        [
            [action_button(ctx.texts, aid)],
            [initiative_button(ctx.texts, initiative.id or 0), menu_button(ctx.texts)],
        ],
    )


def register(registry: Registry) -> None:
    registry.on(RsvpChoice)(rsvp_pressed)
    registry.on(RsvpWho)(who_is_coming)
