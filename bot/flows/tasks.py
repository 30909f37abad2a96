"""Dividing the work of an action: the list of its tasks (who does what, what is done),
adding one (and who does it, or later), giving it to a team member (who hears it in
their own chat), and ticking it off.

Route ``task`` (``list:<action>``, ``add:<action>``, ``pick:<task>``, ``to:<task>:<who>``,
``done:<task>``) and flow ``task``.
"""

from __future__ import annotations

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer, verbatim
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.actions import get_action, tasks_of, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative, team
from bot.domain.operations import add_task, assign_task, finish_task
from bot.i18n import N_, Safe, texts_for
from bot.views.access import load_action, not_found, refuse
from bot.views.action_questions import TASK_MAX, Step, parse_title
from bot.views.buttons import action_button, menu_button
from bot.views.routes import TaskAdd, TaskDone, TaskList, TaskPick, TaskTo
from bot.views.screens import kindly
from bot.views.text import shorten, unescaped, with_intro
from storage.models import Action, Initiative, Resident, Task


async def task_list_view(
    ctx: Ctx, action: Action, initiative: Initiative
) -> tuple[Safe, list[list[Button]]]:
    tasks = await tasks_of(ctx.session, action.id or 0)
    names = {
        resident.id: resident.display_name
        for _, resident in await team(ctx.session, initiative.id or 0)
    }
    lines = [ctx._("<b>Tasks for {title}</b>", title=action.title), ""]
    rows: list[list[Button]] = []
    for task in tasks:
        who = names.get(task.assignee_id) if task.assignee_id else None
        if task.done:
            lines.append(ctx._("☑ {task} (done)", task=task.title))
        elif who:
            lines.append(ctx._("☐ {task}: {name}", task=task.title, name=who))
        else:
            lines.append(ctx._("☐ {task}: nobody yet", task=task.title))
    open_tasks = [task for task in tasks if not task.done]
    for task in open_tasks[: ctx.services.policy.list_max]:
        row = [
            Button(
                unescaped(ctx._("Tick off: {task}", task=shorten(task.title, 28))),
                TaskDone(task.id or 0).pack(),
            )
        ]
        if task.assignee_id is None or task.assignee_id not in names:
            row.append(Button(ctx._("Who does it?"), TaskPick(task.id or 0).pack()))
        rows.append(row)
    if not tasks:
        lines.append(ctx._("No tasks yet. What needs to be done, and who does it?"))
    elif not open_tasks:
        lines.append(ctx._("Everything is done. Well done!"))
    rows.append([Button(ctx._("Add a task"), TaskAdd(action.id or 0).pack())])
    rows.append([action_button(ctx.texts, action.id or 0), menu_button(ctx.texts)])
    return Safe("\n".join(lines)), rows


async def show_tasks(
    ctx: Ctx, action: Action, initiative: Initiative, intro: str | None = None
) -> None:
    text, rows = await task_list_view(ctx, action, initiative)
    ctx.say(with_intro(intro, text), rows)


async def load_task(ctx: Ctx, task_id: int | None) -> tuple[Task, Action, Initiative] | None:
    task = await ctx.session.get(Task, task_id) if valid_id(task_id) else None
    if task is None or task.action_id is None:
        ctx.toast(ctx._("I can't find that."))
        await kindly(ctx, ctx._("I can't find that task (any more)."))
        return None
    found = await load_action(ctx, task.action_id, Permission.DIVIDE_TASKS)
    return (task, *found) if found else None


async def tell_assignee(ctx: Ctx, task: Task, action: Action, person: Resident) -> None:
    if person.id == ctx.person.id or not person.reachable:
        return
    texts = texts_for(person.language, person.timezone)
    ctx.say(
        texts._(
            "📋 {organiser} asks you to do a task for <b>{title}</b> ({when}):\n<b>{task}</b>",
            organiser=ctx.person.display_name,
            title=action.title,
            when=texts.when(action.starts_at),
            task=task.title,
        ),
        [
            [Button(texts._("Tasks"), TaskList(action.id or 0).pack())],
            [action_button(texts, action.id or 0), menu_button(texts)],
        ],
        chat_id=person.telegram_id,
    )


async def assign(
    ctx: Ctx, task: Task, action: Action, initiative: Initiative, assignee_id: int
) -> Resident | None:
    """Give the task to a team member (None when that person is not in the team)."""
    given = await assign_task(ctx.session, task, assignee_id, ctx.person, emit=ctx.emit)
    if given is None:
        return None
    person, changed = given
    if changed:
        await tell_assignee(ctx, task, action, person)
    return person


async def list_pressed(ctx: Ctx, press: TaskList) -> None:
    found = await load_action(ctx, press.action_id, Permission.DIVIDE_TASKS)
    if found:
        conv.leave_flow(ctx, keep_for_later=True)
        await show_tasks(ctx, *found)


async def add_pressed(ctx: Ctx, press: TaskAdd) -> None:
    found = await load_action(ctx, press.action_id, Permission.DIVIDE_TASKS)
    if found:
        conv.leave_flow(ctx, keep_for_later=True)
        await conv.start_flow(ctx, "task", {"action_id": found[0].id})


async def pick_pressed(ctx: Ctx, press: TaskPick) -> None:
    """Who does it: the team, one button each."""
    loaded = await load_task(ctx, press.task_id)
    if not loaded:
        return
    task, action, initiative = loaded
    conv.leave_flow(ctx, keep_for_later=True)
    rows = [
        [Button(resident.display_name, TaskTo(task.id or 0, resident.id or 0).pack())]
        for _, resident in (await team(ctx.session, initiative.id or 0))[
            : ctx.services.policy.list_max
        ]
    ]
    rows.append([Button(ctx._("Back to the tasks"), TaskList(action.id or 0).pack())])
    ctx.say(ctx._("Who does <b>{task}</b>?", task=task.title), rows)


async def to_pressed(ctx: Ctx, press: TaskTo) -> None:
    loaded = await load_task(ctx, press.task_id)
    if not loaded:
        return
    task, action, initiative = loaded
    person = await assign(ctx, task, action, initiative, valid_id(press.resident_id) or 0)
    if person is None:
        await conv.refuse_stale(ctx)
        return
    ctx.toast(ctx._("Assigned."))
    await show_tasks(
        ctx,
        action,
        initiative,
        intro=ctx._("{name} does {task}.", name=person.display_name, task=task.title),
    )


async def done_pressed(ctx: Ctx, press: TaskDone) -> None:
    loaded = await load_task(ctx, press.task_id)
    if not loaded:
        return
    task, action, initiative = loaded
    if finish_task(task, ctx.person, emit=ctx.emit):
        ctx.toast(ctx._("Well done!"))
    else:
        ctx.toast(ctx._("That was done already."))
    await show_tasks(ctx, action, initiative)


async def task_action(ctx: Ctx) -> tuple[Action, Initiative] | None:
    action = await get_action(ctx.session, valid_id(ctx.data.get("action_id")))
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    return (action, initiative) if action and initiative else None


async def say_task(ctx: Ctx) -> Safe:
    found = await task_action(ctx)
    return ctx._(
        "What needs to be done for <b>{title}</b>? Type the task in a few words, "
        "for example “Bring coffee and tea”.",
        title=found[0].title if found else "?",
    )


async def say_who(ctx: Ctx) -> Safe:
    return ctx._("Who does <b>{task}</b>?", task=ctx.data.get(Step.TITLE, ""))


async def who_choices(ctx: Ctx) -> list[Choice]:
    found = await task_action(ctx)
    people = await team(ctx.session, found[1].id or 0) if found else []
    choices: list[Choice] = []
    for _, resident in people[: ctx.services.policy.list_max]:
        name = resident.display_name
        choices.append(Choice(str(resident.id), verbatim(name), value=resident.id))
    choices.append(Choice("later", N_("Decide later"), value=None))
    return choices


async def save_task(ctx: Ctx, assignee_id: object) -> Next:
    found = await task_action(ctx)
    title = str(ctx.data.get(Step.TITLE) or "?")[:TASK_MAX]
    await conv.advance(ctx, END)
    if found is None:
        await not_found(ctx)
        return HANDLED
    action, initiative = found
    if not await may(ctx.session, ctx.person, Permission.DIVIDE_TASKS, initiative):
        await refuse(ctx, Permission.DIVIDE_TASKS)
        return HANDLED
    task = await add_task(ctx.session, action, ctx.person, title, now=ctx.now(), emit=ctx.emit)
    person = None
    if isinstance(assignee_id, int):
        person = await assign(ctx, task, action, initiative, assignee_id)
    intro = (
        ctx._("Added. {name} does it.", name=person.display_name)
        if person
        else ctx._("Added. Who does it can be decided later.")
    )
    await show_tasks(ctx, action, initiative, intro=intro)
    return HANDLED


task_flow = Flow(
    "task",
    [
        Ask(
            Step.TITLE,
            say=say_task,
            text=TextAnswer(parse=parse_title, max_length=TASK_MAX),
            then=Step.WHO,
        ),
        Ask(Step.WHO, say=say_who, choices=who_choices, then=save_task, columns=2),
    ],
)


def register(registry: Registry) -> None:
    registry.add_flow(task_flow)
    registry.on(TaskList)(list_pressed)
    registry.on(TaskAdd)(add_pressed)
    registry.on(TaskPick)(pick_pressed)
    registry.on(TaskTo)(to_pressed)
    registry.on(TaskDone)(done_pressed)
