"""The action card: what, for which initiative, when, where, places, the answers so far,
and (in a private chat) the reader's own answer, the checklist and the tasks, with the
buttons this person may use.

`action_card` takes `Texts` (the reader's language and zone), so a private chat, a group
and the scheduler render the same card; values from people are escaped by `Texts`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Ctx
from bot.core.seam import Button
from bot.domain.actions import (
    RsvpTotals,
    answer_of,
    checklist_progress,
    find_kit,
    has_started,
    open_for_rsvp,
    quote_measure,
    tasks_of,
    totals,
    waitlist_place,
)
from bot.domain.authz import Permission
from bot.i18n import N_, Safe, Texts
from bot.views.access import granted
from bot.views.after_action import report_back_button
from bot.views.buttons import calendar_button, initiative_button, menu_button, rsvp_row
from bot.views.routes import (
    ActCancel,
    ActChecklist,
    ActEdit,
    ActInvitation,
    KitStep,
    MatPoster,
    QuoteCompare,
    RsvpWho,
    TaskList,
)
from bot.views.screens import show
from bot.views.text import with_intro
from storage.models import Action, ActionKind, ActionStatus, Initiative, RsvpAnswer

KIND_LABELS = {ActionKind.MEETING: N_("Meeting"), ActionKind.ACTION: N_("Action")}
ANSWER_NAMES = {
    RsvpAnswer.COMING: N_("you're coming"),
    RsvpAnswer.MAYBE: N_("maybe"),
    RsvpAnswer.NO: N_("you can't come"),
}


def kind_label(texts: Texts, kind: ActionKind) -> str:
    return texts._(KIND_LABELS[kind])


def totals_line(texts: Texts, counted: RsvpTotals, capacity: int | None) -> Safe:
    line = texts._(
        "Coming: {coming} · maybe: {maybe} · can't: {no}",
        coming=texts.number(counted.coming),
        maybe=texts.number(counted.maybe),
        no=texts.number(counted.no),
    )
    if counted.waitlist or capacity is not None:
        waiting = texts._("waiting list: {waiting}", waiting=texts.number(counted.waitlist))
        line = Safe(f"{line} · {waiting}")
    return line


def answer_line(texts: Texts, answer: RsvpAnswer, place: int | None) -> Safe:
    if place is not None:
        return texts._(
            "<b>Your answer:</b> on the waiting list, place {place}", place=texts.number(place)
        )
    return texts._("<b>Your answer:</b> {answer}", answer=texts._(ANSWER_NAMES[answer]))


def status_line(texts: Texts, action: Action) -> Safe | None:
    """Cancelled, or held (with how many came once the organisers said so)."""
    if action.status is ActionStatus.CANCELLED:
        return texts._("❌ <b>Cancelled.</b>")
    if action.status is not ActionStatus.HELD:
        return None
    if action.attended is None:
        return texts._("✅ <b>Held.</b>")
    return texts.n_(
        "✅ <b>Held</b>: {n} person came.", "✅ <b>Held</b>: {n} people came.", action.attended
    )


async def action_card(
    texts: Texts,
    session: AsyncSession,
    action: Action,
    initiative: Initiative,
    *,
    viewer_id: int | None = None,
    show_totals: bool = True,
    show_work: bool = True,
    counted: RsvpTotals | None = None,
) -> Safe:
    """The card's text. `viewer_id`: the reader's own answer too; `show_totals`: the
    answers so far; `show_work`: the checklist's and the tasks' progress (the organisers'
    work, not a group's business); `counted`: the totals when the caller has them."""
    lines = [
        texts._("<b>{title}</b> ({kind})", title=action.title, kind=kind_label(texts, action.kind)),
        texts._("For: {initiative}", initiative=initiative.title),
    ]
    status = status_line(texts, action)
    if status is not None:
        lines.append(status)
    lines.append(texts._("<b>When:</b> {when}", when=texts.when(action.starts_at)))
    if action.place.strip():
        lines.append(texts._("<b>Where:</b> {place}", place=action.place))
    if counted is None:
        counted = await totals(session, action.id or 0)
    if action.capacity is not None:
        free = max(action.capacity - counted.coming, 0)
        lines.append(
            texts._(
                "<b>Places:</b> {capacity} ({free} free)",
                capacity=texts.number(action.capacity),
                free=texts.number(free),
            )
        )
    if show_totals:
        lines.append(totals_line(texts, counted, action.capacity))
    if viewer_id is not None:
        own = await answer_of(session, action.id or 0, viewer_id)
        if own is not None:
            lines.append(answer_line(texts, own.answer, await waitlist_place(session, own)))
    if show_work:
        lines += await work_lines(texts, session, action)
    return Safe("\n".join(lines))


async def work_lines(texts: Texts, session: AsyncSession, action: Action) -> list[Safe]:
    lines = []
    ticked, items = checklist_progress(action)
    if items:
        lines.append(
            texts._(
                "<b>Checklist:</b> {done} of {total} done",
                done=texts.number(ticked),
                total=texts.number(items),
            )
        )
    tasks = await tasks_of(session, action.id or 0)
    if tasks:
        lines.append(
            texts._(
                "<b>Tasks:</b> {done} of {total} done",
                done=texts.number(sum(1 for task in tasks if task.done)),
                total=texts.number(len(tasks)),
            )
        )
    return lines


async def card_buttons(ctx: Ctx, action: Action, initiative: Initiative) -> list[list[Button]]:
    """What this person may do with the action now, from answering to cancelling."""
    texts = ctx.texts
    now = ctx.now()
    rights = await granted(ctx, initiative)
    aid = action.id or 0
    planned = action.status is ActionStatus.PLANNED
    rows: list[list[Button]] = []
    if Permission.RSVP in rights and open_for_rsvp(action, now):
        own = await answer_of(ctx.session, aid, ctx.person.id or 0)
        rows.append(
            rsvp_row(texts, aid, own.answer if own else None, waiting=bool(own and own.waitlisted))
        )
    if planned and has_started(action, now) and Permission.REVIEW_ACTION in rights:
        rows.append([report_back_button(texts, aid)])
    second: list[Button] = []
    if Permission.SEE_RSVP_NAMES in rights:
        second.append(Button(ctx._("Who is coming?"), RsvpWho(aid).pack()))
    if Permission.DIVIDE_TASKS in rights:
        second.append(Button(ctx._("Tasks"), TaskList(aid).pack()))
    if action.checklist and Permission.PLAN_ACTION in rights:
        second.append(Button(ctx._("Checklist"), ActChecklist(aid).pack()))
    rows += [second[i : i + 2] for i in range(0, len(second), 2)]
    kit = find_kit(action.kit_id)
    if kit is not None and Permission.PLAN_ACTION in rights:
        extra = [Button(ctx._("Kit steps"), KitStep(kit.id, 1, initiative.id).pack())]
        if planned:
            extra.append(Button(ctx._("Invitation text"), ActInvitation(aid).pack()))
        rows.append(extra)
        measure = quote_measure(kit)
        if measure:
            rows.append(
                [Button(ctx._("Compare quotes"), QuoteCompare(initiative.id or 0, measure).pack())]
            )
    paper: list[Button] = []
    if planned and Permission.PLAN_ACTION in rights:
        paper.append(Button(ctx._("Make a poster"), MatPoster(aid).pack()))
    if planned and not has_started(action, now):
        paper.append(calendar_button(texts, aid))
    if paper:
        rows.append(paper)
    if planned and Permission.PLAN_ACTION in rights:
        rows.append([Button(ctx._("Change time or place"), ActEdit(aid).pack())])
    if planned and Permission.CANCEL_ACTION in rights:
        rows.append([Button(ctx._("Cancel it"), ActCancel(aid).pack())])
    rows.append([initiative_button(texts, initiative.id or 0), menu_button(texts)])
    return rows


async def show_card(
    ctx: Ctx,
    action: Action,
    initiative: Initiative,
    *,
    intro: str | None = None,
    edit: bool = False,
) -> None:
    """The card in a private chat, for the person reading it, under `intro` when given."""
    text = await action_card(
        ctx.texts, ctx.session, action, initiative, viewer_id=ctx.person.id or 0
    )
    show(ctx, with_intro(intro, text), await card_buttons(ctx, action, initiative), edit=edit)
