"""/instellingen (/settings): the person's reminders — on, paused for a week, or off —
and the quiet hours and daily limit that always apply.

Buttons: ``set:<show|on|pause|off>``. Switching off cancels the person's pending
reminders and nudges at once; news from neighbours (someone joined your initiative)
and a coach's own messages still come. Switching on again brings back the reminders
for the actions the person said they would come to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.i18n import N_, Safe
from bot.views.buttons import menu_button
from bot.views.routes import OptIn, OptOut, Setting
from bot.views.text import paragraphs, with_intro
from scheduler import outbox
from scheduler.rules import sync_action
from storage.models import Action, ActionStatus, MemberRole, Membership, Reminders, Rsvp

# Actions further back than this get no follow-ups when reminders are switched on again.
RECENT = timedelta(days=7)


def register(registry: Registry) -> None:
    registry.command("instellingen", "settings", description=N_("Reminders and quiet hours"))(
        settings_command
    )
    registry.on(Setting)(settings_pressed)
    registry.menu_entry("settings", N_("Reminders"), order=80)(settings_menu)


def current(ctx: Ctx, now: datetime) -> Reminders:
    person = ctx.person
    if person.reminders is Reminders.PAUSED and (
        person.reminders_paused_until is None or person.reminders_paused_until <= now
    ):
        return Reminders.ON
    return person.reminders


def settings_text(ctx: Ctx) -> Safe:
    now = ctx.now()
    state = current(ctx, now)
    if state is Reminders.ON:
        status = ctx._(
            "Reminders are <b>on</b>. I remind you before actions you're coming to, "
            "ask how an action went, and give a nudge when your initiative has been quiet."
        )
    elif state is Reminders.PAUSED:
        status = ctx._(
            "Reminders are <b>paused</b> until {day}. After that they start again by themselves.",
            day=ctx.texts.when(ctx.person.reminders_paused_until or now),
        )
    else:
        status = ctx._(
            "Reminders are <b>off</b>. You only get news from neighbours, "
            "for example when someone joins your initiative."
        )
    timings = ctx.services.policy.timings
    quiet = timings.quiet_hours
    rules = ctx._(
        "Quiet hours: between {start} and {end} I don't send you anything by myself. "
        "And never more than {limit} of those messages a day.",
        start=ctx.texts.clock(quiet.start),
        end=ctx.texts.clock(quiet.end),
        limit=timings.daily_budget,
    )
    title = ctx._("<b>Your reminders</b>")
    announcements = (
        ctx._("Announcements from neighbourhood coaches: <b>on</b>.")
        if ctx.person.announcements_opt_in
        else ctx._("Announcements from neighbourhood coaches: <b>off</b>.")
    )
    return paragraphs(title, status, rules, announcements)


def settings_buttons(ctx: Ctx) -> list[list[Button]]:
    state = current(ctx, ctx.now())
    choices = [
        (Reminders.ON, ctx._("Reminders on"), "on"),
        (Reminders.PAUSED, ctx._("Pause for a week"), "pause"),
        (Reminders.OFF, ctx._("Reminders off"), "off"),
    ]
    rows = [
        [Button(("✓ " if state is value else "") + label, Setting(key).pack())]
        for value, label, key in choices
    ]
    # A separate choice from reminders: announcements are news, not follow-ups.
    if ctx.person.announcements_opt_in:
        rows.append([Button(ctx._("Stop announcements"), OptOut().pack())])
    else:
        rows.append([Button(ctx._("Yes, send me announcements"), OptIn().pack())])
    rows.append([menu_button(ctx.texts)])
    return rows


async def settings_command(ctx: Ctx, _args: str) -> None:
    """Show the reminder settings and the three choices."""
    ctx.say(settings_text(ctx), settings_buttons(ctx))


async def settings_menu(ctx: Ctx) -> None:
    await settings_command(ctx, "")


async def settings_pressed(ctx: Ctx, press: Setting) -> None:
    """A choice was pressed: change the setting, say what it means, show it again."""
    choice = press.choice
    if choice == "show":
        await settings_command(ctx, "")
        return
    person = ctx.person
    now = ctx.now()
    if choice == "on":
        person.reminders = Reminders.ON
        person.reminders_paused_until = None
        await _bring_back_reminders(ctx, now)
        done = ctx._("Reminders are on again.")
    elif choice == "pause":
        person.reminders = Reminders.PAUSED
        person.reminders_paused_until = now + ctx.services.policy.timings.pause
        # Coming back from "off": the rows wait (the dispatcher postpones them to the end).
        await _bring_back_reminders(ctx, now)
        done = ctx._("Paused for a week. Anything that was due waits until then.")
    elif choice == "off":
        person.reminders = Reminders.OFF
        person.reminders_paused_until = None
        await outbox.cancel_for_resident(
            ctx.session,
            person.id or 0,
            reason="the person switched reminders off",
            kinds=[
                name for name, info in ctx.services.registry.kinds.items() if not info.essential
            ],
        )
        done = ctx._("Reminders are off. You can switch them on here at any time.")
    else:
        await conv.refuse_stale(ctx)
        return
    ctx.toast(done)
    ctx.say(with_intro(done, settings_text(ctx)), settings_buttons(ctx))


async def _bring_back_reminders(ctx: Ctx, now: datetime) -> None:
    """The reminders (and follow-up questions) of the person's planned actions, again."""
    answered = select(Rsvp.action_id).where(Rsvp.resident_id == ctx.person.id)
    organised = (
        select(Action.id)
        .join(Membership, col(Membership.initiative_id) == col(Action.initiative_id))
        .where(Membership.resident_id == ctx.person.id, Membership.role == MemberRole.INITIATOR)
    )
    result = await ctx.session.execute(
        select(Action.id)
        .where(
            Action.status == ActionStatus.PLANNED,
            Action.starts_at > now - RECENT,
            or_(col(Action.id).in_(answered), col(Action.id).in_(organised)),
        )
        .order_by(col(Action.id))
    )
    for action_id in result.scalars().all():
        await sync_action(
            ctx.session, action_id, now, ctx.services.policy.timings, resident_id=ctx.person.id
        )
