"""Follow-ups: "I want to help next time" makes a neighbour who came to an action part of
the team. (The scheduler's rules that hear the domain events are registered by the
bootstrap, bot.app.build_registry.)

Button: ``helpnext:<action_id>`` — sent in the thank-you after an action
(scheduler/messages.py) to people who said they were coming.
"""

from __future__ import annotations

import logging

from sqlmodel import select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import MemberJoined
from bot.core.registry import Registry
from bot.domain.initiatives import get_initiative, initiators, membership
from bot.views.after_action import already_helping, cannot_add_helper, joined_as_helper
from bot.views.routes import HelpNext
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.rules import Kind, gentle, zone
from storage.models import Action, ActionStatus, MemberRole, Rsvp, RsvpAnswer

log = logging.getLogger(__name__)

MAX_ID = 2**31 - 1


def register(registry: Registry) -> None:
    registry.on(HelpNext)(help_next_time)


async def help_next_time(ctx: Ctx, press: HelpNext) -> None:
    """A neighbour who came wants to help organise the next action: into the team."""
    action_id = press.action_id
    action = (
        await ctx.session.get(Action, action_id)
        if action_id is not None and 0 < action_id <= MAX_ID
        else None
    )
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    if action is None or initiative is None or action.status is ActionStatus.CANCELLED:
        await conv.refuse_stale(ctx)
        return
    person = ctx.person
    member = await membership(ctx.session, initiative.id or 0, person.id or 0)
    if member is not None and member.role is not MemberRole.FOLLOWER:
        ctx.toast()
        ctx.say(*already_helping(ctx.texts, initiative))
        return
    came = (
        await ctx.session.execute(
            select(Rsvp.id).where(
                Rsvp.action_id == action.id,
                Rsvp.resident_id == person.id,
                Rsvp.answer == RsvpAnswer.COMING,
            )
        )
    ).first()
    if member is None or came is None:
        ctx.toast()
        ctx.say(*cannot_add_helper(ctx.texts))
        return
    now = ctx.now()
    member.role = MemberRole.TEAM
    ctx.emit(MemberJoined(initiative.id or 0, person.id or 0, MemberRole.TEAM, was_follower=True))
    for initiator in await initiators(ctx.session, initiative.id or 0):
        await outbox.schedule(
            ctx.session,
            Planned(
                Kind.HELPER,
                f"helper:{initiative.id}:{person.id}:{initiator.id}",
                gentle(now, zone(initiator.timezone), ctx.services.policy.timings),
                resident_id=initiator.id,
                initiative_id=initiative.id,
                action_id=action.id,
                payload={"member_id": person.id},
            ),
            now,
        )
    ctx.toast(ctx._("You're in the team!"))
    ctx.say(*joined_as_helper(ctx.texts, person.display_name, initiative))
