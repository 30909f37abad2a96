"""The action's buttons (route ``act``): the list of an initiative's meetings and actions,
the card, into changing it, cancelling it (everyone who knew is told), the checklist
ticked off item by item, and the kit's invitation again.

``act:new:<ini>:<meeting|action>``, ``act:list:<ini>``, ``act:show:<id>``, ``act:edit:<id>``,
``act:cancel:<id>``, ``act:cancelok:<id>``, ``act:chk:<id>``, ``act:tick:<id>:<item>``,
``act:inv:<id>``. The card itself is ``bot/views/action_card.py``.
"""

from __future__ import annotations

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.actions import (
    awaiting_review,
    checklist_progress,
    concerned,
    find_kit,
    held_actions,
    upcoming_actions,
)
from bot.domain.authz import Permission, may
from bot.domain.operations import cancel_action, tick_checklist
from bot.i18n import N_, Safe, Texts, escape
from bot.views.access import load_action, load_initiative
from bot.views.action_card import show_card
from bot.views.action_news import send_invitation, told_of_change
from bot.views.buttons import action_button, initiative_button, menu_button, plan_button
from bot.views.entries import PLANNING
from bot.views.routes import (
    ActCancel,
    ActCancelConfirmed,
    ActChecklist,
    ActEdit,
    ActInvitation,
    ActList,
    ActNew,
    ActShow,
    ActTick,
    KitList,
)
from bot.views.screens import show, tell_people
from bot.views.text import shorten, with_intro
from storage.models import Action, ActionKind, ActionStatus, Initiative, Resident


async def act_new(ctx: Ctx, press: ActNew) -> None:
    kind = {"meeting": ActionKind.MEETING, "action": ActionKind.ACTION}.get(press.kind)
    if kind is None:
        await conv.refuse_stale(ctx)
        return
    initiative = await load_initiative(ctx, press.initiative_id, Permission.PLAN_ACTION)
    if initiative is not None:
        await ctx.open(PLANNING, initiative, kind)


def list_label(texts: Texts, action: Action) -> str:
    return f"{texts.short_when(action.starts_at)} · {shorten(action.title, 30)}"


async def act_list(ctx: Ctx, press: ActList) -> None:
    initiative = await load_initiative(ctx, press.initiative_id, Permission.VIEW_INITIATIVE)
    if initiative is None:
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await show_list(ctx, initiative)


async def show_list(ctx: Ctx, initiative: Initiative, intro: str | None = None) -> None:
    texts, now, iid = ctx.texts, ctx.now(), initiative.id or 0
    coming = await upcoming_actions(ctx.session, iid, now)
    waiting = await awaiting_review(ctx.session, iid, now)
    held = await held_actions(ctx.session, iid, limit=3)
    lines: list[str] = [
        ctx._("<b>Meetings and actions of {initiative}</b>", initiative=initiative.title)
    ]
    shown: list[Action] = []
    for heading, actions in (
        (N_("Coming up:"), coming),
        (N_("Took place, waiting for the report:"), waiting),
        (N_("Held lately:"), held),
    ):
        if not actions:
            continue
        lines += ["", f"<b>{ctx._(heading)}</b>"]
        for action in actions:
            lines.append(
                ctx._(
                    "• {when}: {title}",
                    when=texts.short_when(action.starts_at),
                    title=action.title,
                )
            )
        shown += actions
    if not shown:
        lines += ["", ctx._("Nothing is planned yet.")]
    rows = [
        [Button(list_label(texts, action), ActShow(action.id or 0).pack())]
        for action in shown[: ctx.services.policy.list_max]
    ]
    if await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative):
        rows.append(
            [
                plan_button(ctx.texts, iid, ActionKind.MEETING),
                plan_button(ctx.texts, iid, ActionKind.ACTION),
            ]
        )
        rows.append([Button(ctx._("Choose an action kit"), KitList(iid).pack())])
    rows.append([initiative_button(texts, iid), menu_button(ctx.texts)])
    text = Safe("\n".join(lines))
    ctx.say(with_intro(intro, text), rows)


async def act_show(ctx: Ctx, press: ActShow) -> None:
    found = await load_action(ctx, press.action_id, Permission.VIEW_INITIATIVE)
    if found is None:
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await show_card(ctx, *found)


async def act_edit(ctx: Ctx, press: ActEdit) -> None:
    found = await load_action(ctx, press.action_id, Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    if action.status is not ActionStatus.PLANNED:
        await show_card(ctx, action, initiative, intro=ctx._("This can no longer be changed."))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.start_flow(ctx, "actedit", {"action_id": action.id})


async def act_cancel(ctx: Ctx, press: ActCancel) -> None:
    found = await load_action(ctx, press.action_id, Permission.CANCEL_ACTION)
    if found is None:
        return
    action, initiative = found
    conv.leave_flow(ctx, keep_for_later=True)
    if action.status is not ActionStatus.PLANNED:
        await show_card(ctx, action, initiative, intro=ctx._("This isn't planned any more."))
        return
    people = len(await concerned(ctx.session, action, exclude=[ctx.person.id or 0]))
    ctx.say(
        Safe(
            ctx._(
                "Do you really want to cancel <b>{title}</b> on {when}?",
                title=action.title,
                when=ctx.texts.when(action.starts_at),
            )
            + "\n"
            + (
                ctx._("Nobody else knows about it yet.")
                if people == 0
                else ctx.n_(
                    "I'll tell the {n} neighbour who knows about it.",
                    "I'll tell the {n} neighbours who know about it.",
                    people,
                )
            )
        ),
        [
            [
                Button(ctx._("Yes, cancel it"), ActCancelConfirmed(action.id or 0).pack()),
                Button(ctx._("No, keep it"), ActShow(action.id or 0).pack()),
            ]
        ],
    )


async def act_cancel_confirmed(ctx: Ctx, press: ActCancelConfirmed) -> None:
    found = await load_action(ctx, press.action_id, Permission.CANCEL_ACTION, lock=True)
    if found is None:
        return
    action, initiative = found
    if action.status is not ActionStatus.PLANNED:
        ctx.toast(ctx._("That was done already."))
        await show_card(ctx, action, initiative, intro=ctx._("This isn't planned any more."))
        return
    cancel_action(action, ctx.person, emit=ctx.emit)
    organiser = ctx.person.display_name

    async def render(texts: Texts, _person: Resident) -> tuple[str, list[list[Button]]]:
        text = texts._(
            "❌ <b>{title}</b> on {when} doesn't go ahead: {organiser} cancelled it. "
            "Sorry! You will hear about a new date here.",
            title=action.title,
            when=texts.when(action.starts_at),
            organiser=organiser,
        )
        return text, [[initiative_button(texts, initiative.id or 0)], [menu_button(texts)]]

    told = await tell_people(ctx, await concerned(ctx.session, action), render)
    ctx.toast(ctx._("Cancelled."))
    intro = Safe(ctx._("Cancelled.") + " " + told_of_change(ctx, told))
    await show_list(ctx, initiative, intro=intro)


def checklist_view(ctx: Ctx, action: Action) -> tuple[Safe, list[list[Button]]]:
    items = [item for item in action.checklist or [] if isinstance(item, dict)]
    lines = [ctx._("<b>Checklist for {title}</b>", title=action.title), ""]
    rows: list[list[Button]] = []
    for index, item in enumerate(items):
        mark = "☑" if item.get("done") else "☐"
        text = str(item.get("text", ""))
        lines.append(f"{mark} {escape(text)}")
        rows.append(
            [
                Button(
                    f"{mark} {index + 1}. {shorten(text, 36)}",
                    ActTick(action.id or 0, index).pack(),
                )
            ]
        )
    ticked, total = checklist_progress(action)
    lines += [
        "",
        ctx._(
            "{done} of {total} done. Tap an item to tick it off (or on again).",
            done=ctx.texts.number(ticked),
            total=ctx.texts.number(total),
        ),
    ]
    rows.append([action_button(ctx.texts, action.id or 0), menu_button(ctx.texts)])
    return Safe("\n".join(lines)), rows


async def act_checklist(ctx: Ctx, press: ActChecklist) -> None:
    found = await load_action(ctx, press.action_id, Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    if not action.checklist:
        await show_card(ctx, action, initiative, intro=ctx._("This action has no checklist."))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    ctx.say(*checklist_view(ctx, action))


async def act_tick(ctx: Ctx, press: ActTick) -> None:
    found = await load_action(ctx, press.action_id, Permission.PLAN_ACTION, lock=True)
    if found is None:
        return
    action, _initiative = found
    done = tick_checklist(action, press.index, ctx.person, emit=ctx.emit)
    if done is None:
        await conv.refuse_stale(ctx)
        return
    ctx.toast(ctx._("Ticked off.") if done else ctx._("Ticked on again."))
    text, rows = checklist_view(ctx, action)
    show(ctx, text, rows, edit=True)


async def act_invitation(ctx: Ctx, press: ActInvitation) -> None:
    found = await load_action(ctx, press.action_id, Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    kit = find_kit(action.kit_id)
    if kit is None or action.status is not ActionStatus.PLANNED:
        await show_card(ctx, action, initiative, intro=ctx._("There's no invitation for this."))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    send_invitation(ctx, action, initiative, kit)


def register(registry: Registry) -> None:
    registry.on(ActNew)(act_new)
    registry.on(ActList)(act_list)
    registry.on(ActShow)(act_show)
    registry.on(ActEdit)(act_edit)
    registry.on(ActCancel)(act_cancel)
    registry.on(ActCancelConfirmed)(act_cancel_confirmed)
    registry.on(ActChecklist)(act_checklist)
    registry.on(ActTick)(act_tick)
    registry.on(ActInvitation)(act_invitation)
