"""Meetings and actions: plan one (title, day and time, place, places), the list of an
initiative's actions, the action card, changing the time or place, cancelling, the
checklist, and dividing tasks.

Button routes: ``act`` (new, list, show, edit, cancel, cancelok, chk, tick, inv) and
``task`` (list, add, pick, to, done). RSVP is in ``rsvp.py``, kits in ``kits.py``, the
after-action review in ``review.py``; the rules behind them are in ``bot/domain/actions.py``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import ActionCancelled, ActionChanged, ActionPlanned, RsvpGiven
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer, verbatim
from bot.core.payloads import Payload, pack
from bot.core.registry import Registry
from bot.core.seam import Button, ButtonPress, EditText
from bot.core.understand import parse_count
from bot.domain.actions import (
    RsvpTotals,
    answer_of,
    audience,
    awaiting_review,
    checklist_progress,
    concerned,
    find_kit,
    get_action,
    has_started,
    held_actions,
    open_for_rsvp,
    promote_waitlist,
    quote_measure,
    tasks_of,
    totals,
    upcoming_actions,
    valid_id,
    waitlist_place,
)
from bot.domain.authz import Permission, allowed, hats, may
from bot.domain.initiatives import get_initiative, record_activity, team
from bot.domain.kits import Kit
from bot.i18n import N_, Safe, Texts, escape, texts_for
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    ActivityKind,
    Initiative,
    Phase,
    Resident,
    RsvpAnswer,
    Task,
)

TITLE_MAX = 80
PLACE_MAX = 120
TASK_MAX = 120
CAPACITY_MAX = 10_000
# Buttons per list before the message gets too long to use.

KIND_LABELS = {ActionKind.MEETING: N_("Meeting"), ActionKind.ACTION: N_("Action")}
RSVP_KEYS = {"c": RsvpAnswer.COMING, "m": RsvpAnswer.MAYBE, "n": RsvpAnswer.NO}
RSVP_BUTTONS = {
    RsvpAnswer.COMING: N_("I'm coming"),
    RsvpAnswer.MAYBE: N_("Maybe"),
    RsvpAnswer.NO: N_("I can't come"),
}
ANSWER_NAMES = {
    RsvpAnswer.COMING: N_("you're coming"),
    RsvpAnswer.MAYBE: N_("maybe"),
    RsvpAnswer.NO: N_("you can't come"),
}


# --- small helpers ---------------------------------------------------------------------


def id_arg(payload: Payload, index: int) -> int | None:
    return valid_id(payload.int_arg(index))


def shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def button_label(text: str) -> str:
    """A translated text with values, as a button label: labels are plain text, not HTML,
    so the escaping that protects messages must not show in them."""
    return html.unescape(text)


def kind_label(texts: Texts, kind: ActionKind) -> str:
    return texts._(KIND_LABELS[kind])


def initiative_button(texts: Texts, initiative_id: int) -> Button:
    return Button(texts._("To the initiative"), pack("ini", "card", initiative_id))


def action_button(texts: Texts, action_id: int) -> Button:
    return Button(texts._("Show the action"), pack("act", "show", action_id))


def rsvp_row(
    texts: Texts, action_id: int, current: RsvpAnswer | None, *, waiting: bool = False
) -> list[Button]:
    """The three answers, the person's own ticked; on the waiting list their "coming" says
    so instead (they have no place yet)."""

    def label(answer: RsvpAnswer) -> str:
        if answer is current and answer is RsvpAnswer.COMING and waiting:
            return texts._("⏳ On the waiting list")
        return ("✓ " if answer is current else "") + texts._(RSVP_BUTTONS[answer])

    return [
        Button(label(answer), pack("rsvp", action_id, key)) for key, answer in RSVP_KEYS.items()
    ]


async def kindly(ctx: Ctx, text: str, rows: list[list[Button]] | None = None) -> None:
    """A kind 'that does not work': inside a flow its question comes again (nothing typed is
    lost), otherwise the given buttons and the way back to the menu."""
    if conv.current_ask(ctx) is not None:
        await conv.ask_current(ctx, before=text)
        return
    ctx.say(text, [*(rows or []), [conv.menu_button(ctx)]])


REFUSALS = {
    Permission.VIEW_INITIATIVE: N_("This belongs to an initiative you're not a member of."),
    Permission.PLAN_ACTION: N_("Only the people who organise this initiative can do that."),
    Permission.DIVIDE_TASKS: N_("Only the people who organise this initiative can do that."),
    Permission.CANCEL_ACTION: N_("Only the initiators of this initiative can do that."),
    Permission.SEE_RSVP_NAMES: N_("Only the initiators of this initiative can see who is coming."),
    Permission.REVIEW_ACTION: N_("Only the initiators of this initiative can do that."),
    Permission.RSVP: N_(
        "This invitation is for the members of the initiative that planned it. "
        "Would you like to join? Ask the neighbour who sent it to you for the invitation link."
    ),
}


async def refuse(ctx: Ctx, permission: Permission) -> None:
    ctx.toast(ctx._("Sorry, that isn't possible for you."))
    await kindly(ctx, ctx._(REFUSALS.get(permission, REFUSALS[Permission.PLAN_ACTION])))


async def not_found(ctx: Ctx) -> None:
    ctx.toast(ctx._("I can't find that."))
    await kindly(ctx, ctx._("I can't find that meeting or action (any more)."))


async def load_action(
    ctx: Ctx, action_id: int | None, permission: Permission, *, lock: bool = False
) -> tuple[Action, Initiative] | None:
    """The action and its initiative when the person may do this with it; otherwise a kind
    answer has been given and the result is None. ``lock`` (to change it) holds the row
    on PostgreSQL until the update is done, so two organisers never overwrite each other."""
    action = await get_action(ctx.session, action_id, lock=lock)
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    if action is None or initiative is None:
        await not_found(ctx)
        return None
    if not await may(ctx.session, ctx.person, permission, initiative):
        await refuse(ctx, permission)
        return None
    return action, initiative


async def load_initiative(
    ctx: Ctx, initiative_id: int | None, permission: Permission
) -> Initiative | None:
    initiative = await get_initiative(ctx.session, valid_id(initiative_id))
    if initiative is None:
        ctx.toast(ctx._("I can't find that."))
        await kindly(ctx, ctx._("I can't find that initiative (any more)."))
        return None
    if not await may(ctx.session, ctx.person, permission, initiative):
        await refuse(ctx, permission)
        return None
    return initiative


async def granted(ctx: Ctx, initiative: Initiative) -> set[Permission]:
    """What the person may do with this initiative (to choose which buttons to show),
    from the one authorisation table in bot/domain/authz.py."""
    worn = await hats(ctx.session, ctx.person, initiative)
    return {permission for permission in Permission if allowed(permission, worn)}


async def check_progress(ctx: Ctx, initiative: Initiative) -> list[Phase]:
    """Let the growth cycle move on when this change met the phase's goals (J1's phases)."""
    from bot.domain.phases import check_progress as phases_check

    return await phases_check(ctx, initiative)


def in_place(ctx: Ctx) -> int | None:
    """The id of the message whose button was pressed, to edit it instead of adding one."""
    event = ctx.incoming.event
    return event.message_id if isinstance(event, ButtonPress) else None


def show(ctx: Ctx, text: str, rows: list[list[Button]], *, edit: bool = False) -> None:
    """Say it, or (edit=True, after a button press) change the pressed message to it."""
    message_id = in_place(ctx) if edit else None
    if message_id is None:
        ctx.say(text, rows)
        return
    keyboard = tuple(tuple(row) for row in rows if row)
    ctx.remember_buttons(keyboard)
    ctx.out.append(EditText(ctx.chat_id, message_id, text, keyboard))


# --- the action card --------------------------------------------------------------------


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


async def card_text(
    texts: Texts,
    session: AsyncSession,
    action: Action,
    initiative: Initiative,
    *,
    viewer_id: int | None = None,
    show_totals: bool = True,
) -> Safe:
    """The action as a person reads it: what, for which initiative, when, where, places,
    the answers so far, their own answer, the checklist and the tasks."""
    lines = [
        texts._("<b>{title}</b> ({kind})", title=action.title, kind=kind_label(texts, action.kind)),
        texts._("For: {initiative}", initiative=initiative.title),
    ]
    if action.status is ActionStatus.CANCELLED:
        lines.append(texts._("❌ <b>Cancelled.</b>"))
    elif action.status is ActionStatus.HELD:
        if action.attended is not None:
            lines.append(
                texts.n_(
                    "✅ <b>Held</b>: {n} person came.",
                    "✅ <b>Held</b>: {n} people came.",
                    action.attended,
                )
            )
        else:
            lines.append(texts._("✅ <b>Held.</b>"))
    lines.append(texts._("<b>When:</b> {when}", when=texts.when(action.starts_at)))
    if action.place.strip():
        lines.append(texts._("<b>Where:</b> {place}", place=action.place))
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
    return Safe("\n".join(lines))


async def card_buttons(ctx: Ctx, action: Action, initiative: Initiative) -> list[list[Button]]:
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
        rows.append([Button(ctx._("Report back: how did it go?"), pack("review", aid))])
    second: list[Button] = []
    if Permission.SEE_RSVP_NAMES in rights:
        second.append(Button(ctx._("Who is coming?"), pack("rsvp", "who", aid)))
    if Permission.DIVIDE_TASKS in rights:
        second.append(Button(ctx._("Tasks"), pack("task", "list", aid)))
    if action.checklist and Permission.PLAN_ACTION in rights:
        second.append(Button(ctx._("Checklist"), pack("act", "chk", aid)))
    rows += [second[i : i + 2] for i in range(0, len(second), 2)]
    kit = find_kit(action.kit_id)
    if kit is not None and Permission.PLAN_ACTION in rights:
        extra = [Button(ctx._("Kit steps"), pack("kit", "step", kit.id, 1, initiative.id))]
        if planned:
            extra.append(Button(ctx._("Invitation text"), pack("act", "inv", aid)))
        rows.append(extra)
        measure = quote_measure(kit)
        if measure:
            rows.append(
                [Button(ctx._("Compare quotes"), pack("quote", "cmp", initiative.id, measure))]
            )
    paper: list[Button] = []
    if planned and Permission.PLAN_ACTION in rights:
        paper.append(Button(ctx._("Make a poster"), pack("mat", "poster", aid)))
    if planned and not has_started(action, now):
        paper.append(Button(ctx._("Add to my calendar"), pack("mat", "ics", aid)))
    if paper:
        rows.append(paper)
    if planned and Permission.PLAN_ACTION in rights:
        rows.append([Button(ctx._("Change time or place"), pack("act", "edit", aid))])
    if planned and Permission.CANCEL_ACTION in rights:
        rows.append([Button(ctx._("Cancel it"), pack("act", "cancel", aid))])
    rows.append([initiative_button(texts, initiative.id or 0), conv.menu_button(ctx)])
    return rows


async def show_card(
    ctx: Ctx,
    action: Action,
    initiative: Initiative,
    *,
    intro: str | None = None,
    edit: bool = False,
) -> None:
    text = await card_text(ctx.texts, ctx.session, action, initiative, viewer_id=ctx.person.id or 0)
    if intro:
        text = Safe(f"{intro}\n\n{text}")
    show(ctx, text, await card_buttons(ctx, action, initiative), edit=edit)


async def tell_people(
    ctx: Ctx,
    people: list[Resident],
    render: Any,
) -> int:
    """Send each person, in their own chat and language, what ``render(texts)`` returns:
    (text, rows). Returns how many were told."""
    told = 0
    for person in people:
        if person.id == ctx.person.id or not person.reachable:
            continue
        texts = texts_for(person.language, person.timezone)
        text, rows = await render(texts, person)
        ctx.say(text, rows, chat_id=person.telegram_id)
        told += 1
    return told


async def tell_promoted(ctx: Ctx, action: Action, resident_ids: Sequence[int | None]) -> None:
    """Tell the people who moved up from the waiting list, each in their own chat."""
    people = [
        person
        for person in [await ctx.session.get(Resident, rid) for rid in resident_ids if rid]
        if person is not None
    ]

    async def render(texts: Texts, _person: Resident) -> tuple[str, list[list[Button]]]:
        text = texts._(
            "🎉 Good news: a place came free for <b>{title}</b> on {when}, and it's yours. "
            "You're coming! Can't make it after all? Let us know, then the next person "
            "gets the place.",
            title=action.title,
            when=texts.when(action.starts_at),
        )
        return text, [
            rsvp_row(texts, action.id or 0, RsvpAnswer.COMING),
            [action_button(texts, action.id or 0), menu_of(texts)],
        ]

    await tell_people(ctx, people, render)


# --- the plan flow ------------------------------------------------------------------------


class Step(StrEnum):
    WHAT = "what"
    TITLE = "title"
    WHEN = "when"
    TIME = "time"
    CONFIRM = "confirm"
    PLACE = "place"
    CAPACITY = "capacity"
    WHO = "who"


def local_now(ctx: Ctx) -> datetime:
    return ctx.now().astimezone(ctx.texts.tz)


def starts_at_of(ctx: Ctx) -> datetime | None:
    raw = ctx.data.get("starts_at")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def parse_title(_ctx: Ctx, text: str) -> str:
    title = " ".join(text.split())
    if not any(char.isalnum() for char in title):
        raise Invalid(N_("That doesn't look like a title. What's it called?"))
    return title


def parse_day_and_time(ctx: Ctx, text: str) -> dict[str, str | None]:
    # bot.core.when builds its word lists from Babel at import: load it when a date is typed.
    from bot.core.when import parse_when, why_not

    typed, now = " ".join(text.split()), local_now(ctx)
    found = parse_when(typed, now=now)
    refused = why_not(typed, now=now) if found is None else None
    if refused == "past":
        raise Invalid(N_("That moment has already passed. Which day and time do you mean?"))
    if refused == "far":
        raise Invalid(N_("That's more than two years ahead. Which day and time do you mean?"))
    if found is None:
        raise Invalid(
            N_(
                "I couldn't read a date in that. Try it like one of these:\n"
                "• Saturday 12 December 14:00\n"
                "• next Tuesday 19:30\n"
                "• tomorrow 8pm"
            )
        )
    return {
        "day": found.day.isoformat(),
        "time": found.time.strftime("%H:%M") if found.time else None,
    }


def _moment(ctx: Ctx, day: str, at: str) -> datetime:
    from bot.core.when import When

    return When(date.fromisoformat(day), time.fromisoformat(at)).at(ctx.texts.tz)


def after_day_and_time(ctx: Ctx, value: dict[str, Any]) -> Next:
    if not value.get("time"):
        return Step.TIME
    ctx.data["starts_at"] = _moment(ctx, value["day"], value["time"]).astimezone(UTC).isoformat()
    return Step.CONFIRM


def say_time(ctx: Ctx) -> Safe:
    raw = (ctx.data.get(Step.WHEN) or {}).get("day")
    day = date.fromisoformat(raw) if raw else local_now(ctx).date()
    return ctx._("And at what time on {day}? For example 14:00 or 19.30.", day=ctx.texts.day(day))


def parse_clock(ctx: Ctx, text: str) -> str:
    from bot.core.when import parse_time

    found = parse_time(text)
    if found is None:
        raise Invalid(N_("That isn't a time I can read. Type it like 14:00 or 19.30."))
    day = (ctx.data.get(Step.WHEN) or {}).get("day")
    if not day or _moment(ctx, day, found.strftime("%H:%M")) <= ctx.now():
        raise Invalid(N_("That time has already passed. Which time do you mean?"))
    return found.strftime("%H:%M")


def after_clock(ctx: Ctx, value: str) -> Next:
    day = (ctx.data.get(Step.WHEN) or {}).get("day") or ""
    ctx.data["starts_at"] = _moment(ctx, day, value).astimezone(UTC).isoformat()
    return Step.CONFIRM


def say_confirm(ctx: Ctx) -> Safe:
    moment = starts_at_of(ctx)
    if moment is None:
        return ctx._("So that is <b>{when}</b>. Is that right?", when="?")
    year = moment.astimezone(ctx.texts.tz).year
    if year != local_now(ctx).year:  # "1 november" typed in December is next year's
        return ctx._(
            "So that is <b>{when}</b>, in {year}. Is that right?",
            when=ctx.texts.when(moment),
            year=year,
        )
    return ctx._("So that is <b>{when}</b>. Is that right?", when=ctx.texts.when(moment))


def when_steps(*, say_when: Any, after_confirm: Any) -> list[Ask]:
    """Day and time: typed freely, the time asked apart when missing, confirmed back."""
    return [
        Ask(
            Step.WHEN,
            say=say_when,
            text=TextAnswer(parse=parse_day_and_time, max_length=200),
            then=after_day_and_time,
        ),
        Ask(
            Step.TIME,
            say=say_time,
            text=TextAnswer(parse=parse_clock, max_length=60),
            then=after_clock,
        ),
        Ask(
            Step.CONFIRM,
            say=say_confirm,
            choices=[
                Choice("yes", N_("Yes")),
                Choice("change", N_("Change"), then=Step.WHEN),
            ],
            then=after_confirm,
            columns=2,
            use_buttons_hint=N_("Please answer with the buttons: is this day and time right?"),
        ),
    ]


async def plan_initiative(ctx: Ctx) -> Initiative | None:
    return await get_initiative(ctx.session, valid_id(ctx.data.get("initiative_id")))


async def say_title(ctx: Ctx) -> Safe:
    initiative = await plan_initiative(ctx)
    name = initiative.title if initiative else "?"
    if ctx.data.get("kit_id"):
        return ctx._(
            "Let's plan it for <b>{initiative}</b>.\n\n"
            "What shall we call it? Take the kit's name, or type your own (up to {limit} "
            "characters).",
            initiative=name,
            limit=TITLE_MAX,
        )
    if ctx.data.get("kind") == ActionKind.MEETING:
        return ctx._(
            "Let's plan a meeting for <b>{initiative}</b>.\n\n"
            "What shall we call it? Type a short title (up to {limit} characters), "
            "or choose the kitchen-table meeting.",
            initiative=name,
            limit=TITLE_MAX,
        )
    return ctx._(
        "Let's plan an action for <b>{initiative}</b>.\n\n"
        "What shall we call it? Type a short title (up to {limit} characters), "
        "for example “Tile-lifting day”.",
        initiative=name,
        limit=TITLE_MAX,
    )


async def title_choices(ctx: Ctx) -> list[Choice]:
    kit = find_kit(ctx.data.get("kit_id"))
    if kit is not None:
        title = kit.text(ctx.texts.lang).title[:TITLE_MAX]
        return [Choice("kit", lambda _c: title, value=title, means="yes")]  # "ok" takes it
    if ctx.data.get("kind") == ActionKind.MEETING:
        label = N_("Kitchen-table meeting")
        return [Choice("kt", label, value=str(ctx._(label)))]
    return []


def say_when_planned(ctx: Ctx) -> Safe:
    return ctx._(
        "When is it? Type the day and the time, for example:\n"
        "• Saturday 12 December 14:00\n"
        "• next Tuesday 19:30\n"
        "• tomorrow 8pm"
    )


def say_place(ctx: Ctx) -> Safe:
    return ctx._(
        "Where is it? For example an address, “at Anna's, number 12” or “the community "
        "centre”. Up to {limit} characters.",
        limit=PLACE_MAX,
    )


def parse_place(_ctx: Ctx, text: str) -> str:
    place = " ".join(text.split())
    if not any(char.isalnum() for char in place):
        raise Invalid(N_("That doesn't look like a place. Where is it?"))
    return place


def say_capacity(ctx: Ctx) -> Safe:
    return ctx._(
        "How many people can come at most? Type a number from 1 to {limit}, or press “No limit”.",
        limit=ctx.texts.number(CAPACITY_MAX),
    )


def parse_capacity(_ctx: Ctx, text: str) -> int:
    number = parse_count(text)  # "12", "twaalf", "12 personen"
    if number is None or not 1 <= number <= CAPACITY_MAX:
        raise Invalid(
            N_("Please type a number from 1 to 10000, or press “No limit”."),
        )
    return number


async def finish_plan(ctx: Ctx, _value: object) -> Next:
    initiative = await plan_initiative(ctx)
    if initiative is None or not await may(
        ctx.session, ctx.person, Permission.PLAN_ACTION, initiative
    ):
        await conv.advance(ctx, END)
        await kindly(ctx, ctx._("You can no longer plan for this initiative, so I didn't save it."))
        return HANDLED
    starts_at = starts_at_of(ctx)
    if starts_at is None or starts_at <= ctx.now():
        ctx.conversation.step = str(Step.WHEN)
        await conv.ask_current(
            ctx, before=ctx._("That moment has passed in the meantime. Please choose another.")
        )
        return HANDLED
    kind = ActionKind.MEETING if ctx.data.get("kind") == "meeting" else ActionKind.ACTION
    kit = find_kit(ctx.data.get("kit_id"))
    capacity = ctx.data.get(Step.CAPACITY)
    action = Action(
        initiative_id=initiative.id or 0,
        kind=kind,
        kit_id=kit.id if kit else None,
        title=str(ctx.data.get(Step.TITLE) or "")[:TITLE_MAX] or "?",
        starts_at=starts_at,
        place=str(ctx.data.get(Step.PLACE) or "")[:PLACE_MAX],
        capacity=capacity if isinstance(capacity, int) else None,
        status=ActionStatus.PLANNED,
        checklist=(
            [{"text": item, "done": False} for item in kit.text(ctx.texts.lang).checklist]
            if kit
            else []
        ),
        created_by_id=ctx.person.id,
        created_at=ctx.now(),
    )
    ctx.session.add(action)
    await ctx.session.flush()
    record_activity(ctx.session, initiative, ActivityKind.ACTION_PLANNED, ctx.now(), ctx.person.id)
    ctx.emit(ActionPlanned(action.id or 0))
    await conv.advance(ctx, END)
    told = await announce(ctx, action, initiative)
    intro = Safe(
        ctx._("✅ Planned!")
        + " "
        + (
            ctx._("There's nobody else in the initiative to tell yet.")
            if told == 0
            else ctx.n_(
                "I told {n} member about it, in their own chat.",
                "I told {n} members about it, in their own chats.",
                told,
            )
        )
    )
    if kit is None:
        await show_card(ctx, action, initiative, intro=intro)
    else:
        text = await card_text(ctx.texts, ctx.session, action, initiative, viewer_id=ctx.person.id)
        ctx.say(
            Safe(
                f"{intro}\n\n{text}\n\n"
                + ctx._("Below is an invitation you can forward to neighbours who aren't here yet.")
            )
        )
        await send_invitation(ctx, action, initiative, kit)
    await check_progress(ctx, initiative)
    return HANDLED


async def announce(ctx: Ctx, action: Action, initiative: Initiative) -> int:
    """Tell the members (initiators, team and followers; no one else) in their own chats."""
    organiser = ctx.person.display_name

    async def render(texts: Texts, person: Resident) -> tuple[str, list[list[Button]]]:
        body = await card_text(texts, ctx.session, action, initiative, show_totals=False)
        intro = (
            texts._(
                "📣 {organiser} planned a meeting for {initiative}:",
                organiser=organiser,
                initiative=initiative.title,
            )
            if action.kind is ActionKind.MEETING
            else texts._(
                "📣 {organiser} planned an action for {initiative}:",
                organiser=organiser,
                initiative=initiative.title,
            )
        )
        text = Safe(f"{intro}\n\n{body}\n\n" + texts._("Are you coming?"))
        rows = [rsvp_row(texts, action.id or 0, None), [action_button(texts, action.id or 0)]]
        return text, rows

    people = await audience(ctx.session, action, exclude=[ctx.person.id or 0])
    return await tell_people(ctx, people, render)


def invitation_of(ctx: Ctx, action: Action, initiative: Initiative, kit: Kit) -> Safe:
    """The kit's invitation filled in, in the organiser's language, escaped for HTML."""
    link = ctx.services.deep_link(f"join-{initiative.invite_token}", ctx.chat_id)
    filled = kit.invitation_text(
        ctx.texts.lang,
        date=ctx.texts.when(action.starts_at),
        place=action.place,
        organiser=ctx.person.display_name,
        link=link,
    )
    return escape(filled.strip())


async def send_invitation(ctx: Ctx, action: Action, initiative: Initiative, kit: Kit) -> None:
    ctx.say(invitation_of(ctx, action, initiative, kit))
    ctx.say(
        ctx._(
            "☝️ Forward the invitation above to your neighbours: in the street's group chat, "
            "by WhatsApp or e-mail, or print it for the letterboxes. "
            "The link in it lets them join."
        ),
        [
            [action_button(ctx.texts, action.id or 0)],
            [initiative_button(ctx.texts, initiative.id or 0), conv.menu_button(ctx)],
        ],
    )


plan_flow = Flow(
    "plan",
    [
        Ask(
            Step.TITLE,
            say=say_title,
            choices=title_choices,
            text=TextAnswer(parse=parse_title, max_length=TITLE_MAX),
            then=Step.WHEN,
        ),
        *when_steps(say_when=say_when_planned, after_confirm=Step.PLACE),
        Ask(
            Step.PLACE,
            say=say_place,
            text=TextAnswer(parse=parse_place, max_length=PLACE_MAX),
            then=Step.CAPACITY,
        ),
        Ask(
            Step.CAPACITY,
            say=say_capacity,
            choices=[Choice("none", N_("No limit"), value=None)],
            text=TextAnswer(parse=parse_capacity, max_length=40, asks_number=True),
            then=finish_plan,
        ),
    ],
)


async def start_planning(
    ctx: Ctx, initiative: Initiative, kind: ActionKind, kit: Kit | None = None
) -> None:
    """Start the plan flow for this initiative (the caller checked PLAN_ACTION)."""
    conv.leave_flow(ctx, keep_for_later=True)
    data: dict[str, Any] = {"initiative_id": initiative.id, "kind": str(kind)}
    if kit is not None:
        data["kit_id"] = kit.id
    await conv.start_flow(ctx, "plan", data)


# --- changing the time or the place -----------------------------------------------------------


async def edited_action(ctx: Ctx, *, lock: bool = False) -> Action | None:
    return await get_action(ctx.session, valid_id(ctx.data.get("action_id")), lock=lock)


async def say_what_to_change(ctx: Ctx) -> Safe:
    action = await edited_action(ctx)
    if action is None:
        return ctx._("What do you want to change?")
    return ctx._(
        "What do you want to change for <b>{title}</b>?\nNow: {when}, {place}",
        title=action.title,
        when=ctx.texts.when(action.starts_at),
        place=action.place or "-",
    )


def say_when_changed(ctx: Ctx) -> Safe:
    return ctx._(
        "What's the new day and time? For example:\n"
        "• Saturday 12 December 14:00\n"
        "• next Tuesday 19:30\n"
        "• tomorrow 8pm"
    )


async def changeable(ctx: Ctx) -> tuple[Action, Initiative] | None:
    """End the edit flow with the action being changed, checked again now (it may be gone,
    held or cancelled, or the person no longer an organiser); None: answered already."""
    action = await edited_action(ctx, lock=True)
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    await conv.advance(ctx, END)
    if action is None or initiative is None:
        await not_found(ctx)
        return None
    if not await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative):
        await refuse(ctx, Permission.PLAN_ACTION)
        return None
    if action.status is not ActionStatus.PLANNED:
        await show_card(
            ctx, action, initiative, intro=ctx._("This can no longer be changed, sorry.")
        )
        return None
    return action, initiative


async def save_change(ctx: Ctx, _value: object) -> Next:
    data = dict(ctx.data)
    found = await changeable(ctx)
    if found is None:
        return HANDLED
    action, initiative = found
    old = (action.starts_at, action.place)
    if data.get("starts_at_set"):
        moment = datetime.fromisoformat(data["starts_at_set"])
        if moment <= ctx.now():
            await show_card(
                ctx, action, initiative, intro=ctx._("That moment has passed; nothing changed.")
            )
            return HANDLED
        action.starts_at = moment
    if data.get(Step.PLACE):
        action.place = str(data[Step.PLACE])[:PLACE_MAX]
    if (action.starts_at, action.place) == old:
        await show_card(ctx, action, initiative, intro=ctx._("Nothing changed."))
        return HANDLED
    action.ics_sequence += 1  # calendars that have it update the same event
    record_activity(ctx.session, initiative, ActivityKind.ACTION_CHANGED, ctx.now(), ctx.person.id)
    ctx.emit(ActionChanged(action.id or 0))

    async def render(texts: Texts, person: Resident) -> tuple[str, list[list[Button]]]:
        body = await card_text(texts, ctx.session, action, initiative, viewer_id=person.id)
        own = await answer_of(ctx.session, action.id or 0, person.id or 0)
        text = Safe(
            texts._("🔔 Changed: <b>{title}</b> has a new time or place.", title=action.title)
            + f"\n\n{body}\n\n"
            + texts._("Can you still come? Let us know.")
        )
        rows = [
            rsvp_row(
                texts,
                action.id or 0,
                own.answer if own else None,
                waiting=bool(own and own.waitlisted),
            ),
            [action_button(texts, action.id or 0)],
        ]
        return text, rows

    told = await tell_people(ctx, await concerned(ctx.session, action), render)
    intro = Safe(ctx._("✅ Saved.") + " " + told_of_change(ctx, told))
    await show_card(ctx, action, initiative, intro=intro)
    await check_progress(ctx, initiative)
    return HANDLED


async def save_capacity(ctx: Ctx, capacity: int | None) -> Next:
    """A new number of places: freed places go to the waiting list, first come first
    served; fewer places never take one away from someone already coming."""
    found = await changeable(ctx)
    if found is None:
        return HANDLED
    action, initiative = found
    if action.capacity == capacity:
        await show_card(ctx, action, initiative, intro=ctx._("Nothing changed."))
        return HANDLED
    action.capacity = capacity
    record_activity(ctx.session, initiative, ActivityKind.ACTION_CHANGED, ctx.now(), ctx.person.id)
    promoted = await promote_waitlist(ctx.session, action)
    for row in promoted:
        ctx.emit(RsvpGiven(action.id or 0, row.resident_id or 0, RsvpAnswer.COMING, True))
    await tell_promoted(ctx, action, [row.resident_id for row in promoted])
    coming = (await totals(ctx.session, action.id or 0)).coming
    intro: str = ctx._("✅ Saved.")
    if promoted:
        intro += " " + ctx.n_(
            "{n} person moved up from the waiting list; I told them.",
            "{n} people moved up from the waiting list; I told them.",
            len(promoted),
        )
    elif capacity is not None and coming > capacity:
        intro += " " + ctx._(
            "{coming} people already said they are coming; they keep their place. "
            "Anyone new goes on the waiting list.",
            coming=coming,
        )
    await show_card(ctx, action, initiative, intro=Safe(intro))
    return HANDLED


async def save_new_time(ctx: Ctx, value: object) -> Next:
    ctx.data["starts_at_set"] = ctx.data.get("starts_at")
    return await save_change(ctx, value)


edit_flow = Flow(
    "actedit",
    [
        Ask(
            Step.WHAT,
            say=say_what_to_change,
            choices=[
                Choice("time", N_("Day and time"), then=Step.WHEN),
                Choice("place", N_("Place"), then=Step.PLACE),
                Choice("capacity", N_("Number of places"), then=Step.CAPACITY),
            ],
            columns=2,
        ),
        *when_steps(say_when=say_when_changed, after_confirm=save_new_time),
        Ask(
            Step.PLACE,
            say=say_place,
            text=TextAnswer(parse=parse_place, max_length=PLACE_MAX),
            then=save_change,
        ),
        Ask(
            Step.CAPACITY,
            say=say_capacity,
            choices=[Choice("none", N_("No limit"), value=None)],
            text=TextAnswer(parse=parse_capacity, max_length=20),
            then=save_capacity,
        ),
    ],
)


# --- the button routes -----------------------------------------------------------------------


async def act_pressed(ctx: Ctx, payload: Payload) -> None:
    handler = ACT_ROUTES.get(payload.arg(0))
    if handler is None:
        await conv.refuse_stale(ctx)
        return
    await handler(ctx, payload)


async def act_new(ctx: Ctx, payload: Payload) -> None:
    kind = {"meeting": ActionKind.MEETING, "action": ActionKind.ACTION}.get(payload.arg(2))
    if kind is None:
        await conv.refuse_stale(ctx)
        return
    initiative = await load_initiative(ctx, payload.int_arg(1), Permission.PLAN_ACTION)
    if initiative is not None:
        await start_planning(ctx, initiative, kind)


def list_label(texts: Texts, action: Action) -> str:
    return f"{texts.short_when(action.starts_at)} · {shorten(action.title, 30)}"


async def act_list(ctx: Ctx, payload: Payload) -> None:
    initiative = await load_initiative(ctx, payload.int_arg(1), Permission.VIEW_INITIATIVE)
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
        [Button(list_label(texts, action), pack("act", "show", action.id))]
        for action in shown[: ctx.services.policy.list_max]
    ]
    if await may(ctx.session, ctx.person, Permission.PLAN_ACTION, initiative):
        rows.append(
            [
                Button(ctx._("Plan a meeting"), pack("act", "new", iid, "meeting")),
                Button(ctx._("Plan an action"), pack("act", "new", iid, "action")),
            ]
        )
        rows.append([Button(ctx._("Choose an action kit"), pack("kit", "list", iid))])
    rows.append([initiative_button(texts, iid), conv.menu_button(ctx)])
    text = Safe("\n".join(lines))
    ctx.say(Safe(f"{intro}\n\n{text}") if intro else text, rows)


async def act_show(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.VIEW_INITIATIVE)
    if found is None:
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await show_card(ctx, *found)


async def act_edit(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    if action.status is not ActionStatus.PLANNED:
        await show_card(ctx, action, initiative, intro=ctx._("This can no longer be changed."))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.start_flow(ctx, "actedit", {"action_id": action.id})


async def act_cancel(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.CANCEL_ACTION)
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
                Button(ctx._("Yes, cancel it"), pack("act", "cancelok", action.id)),
                Button(ctx._("No, keep it"), pack("act", "show", action.id)),
            ]
        ],
    )


async def act_cancel_confirmed(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.CANCEL_ACTION, lock=True)
    if found is None:
        return
    action, initiative = found
    if action.status is not ActionStatus.PLANNED:
        ctx.toast(ctx._("That was done already."))
        await show_card(ctx, action, initiative, intro=ctx._("This isn't planned any more."))
        return
    action.status = ActionStatus.CANCELLED
    action.ics_sequence += 1  # the calendar file now says CANCELLED
    record_activity(
        ctx.session, initiative, ActivityKind.ACTION_CANCELLED, ctx.now(), ctx.person.id
    )
    ctx.emit(ActionCancelled(action.id or 0))
    organiser = ctx.person.display_name

    async def render(texts: Texts, _person: Resident) -> tuple[str, list[list[Button]]]:
        text = texts._(
            "❌ <b>{title}</b> on {when} doesn't go ahead: {organiser} cancelled it. "
            "Sorry! You will hear about a new date here.",
            title=action.title,
            when=texts.when(action.starts_at),
            organiser=organiser,
        )
        return text, [[initiative_button(texts, initiative.id or 0)], [menu_of(texts)]]

    told = await tell_people(ctx, await concerned(ctx.session, action), render)
    ctx.toast(ctx._("Cancelled."))
    intro = Safe(ctx._("Cancelled.") + " " + told_of_change(ctx, told))
    await show_list(ctx, initiative, intro=intro)


def told_of_change(ctx: Ctx, told: int) -> str:
    """How many were told of a moved or cancelled action; zero said as such."""
    if told == 0:
        return ctx._("There was nobody else to tell.")
    return ctx.n_(
        "I told {n} neighbour who knew about it.", "I told {n} neighbours who knew about it.", told
    )


def menu_of(texts: Texts) -> Button:
    return Button(texts._("Back to the menu"), pack("menu"))


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
                    pack("act", "tick", action.id, index),
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
    rows.append([action_button(ctx.texts, action.id or 0), conv.menu_button(ctx)])
    return Safe("\n".join(lines)), rows


async def act_checklist(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    if not action.checklist:
        await show_card(ctx, action, initiative, intro=ctx._("This action has no checklist."))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    ctx.say(*checklist_view(ctx, action))


async def act_tick(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.PLAN_ACTION, lock=True)
    if found is None:
        return
    action, initiative = found
    items = [dict(item) for item in action.checklist or [] if isinstance(item, dict)]
    index = payload.int_arg(2)
    if index is None or not 0 <= index < len(items):
        await conv.refuse_stale(ctx)
        return
    items[index]["done"] = not items[index].get("done")
    action.checklist = items
    record_activity(
        ctx.session, initiative, ActivityKind.CHECKLIST_TICKED, ctx.now(), ctx.person.id
    )
    ctx.toast(ctx._("Ticked off.") if items[index]["done"] else ctx._("Ticked on again."))
    text, rows = checklist_view(ctx, action)
    show(ctx, text, rows, edit=True)


async def act_invitation(ctx: Ctx, payload: Payload) -> None:
    found = await load_action(ctx, payload.int_arg(1), Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    kit = find_kit(action.kit_id)
    if kit is None or action.status is not ActionStatus.PLANNED:
        await show_card(ctx, action, initiative, intro=ctx._("There's no invitation for this."))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await send_invitation(ctx, action, initiative, kit)


ACT_ROUTES = {
    "new": act_new,
    "list": act_list,
    "show": act_show,
    "edit": act_edit,
    "cancel": act_cancel,
    "cancelok": act_cancel_confirmed,
    "chk": act_checklist,
    "tick": act_tick,
    "inv": act_invitation,
}


# --- tasks -------------------------------------------------------------------------------


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
                button_label(ctx._("Tick off: {task}", task=shorten(task.title, 28))),
                pack("task", "done", task.id),
            )
        ]
        if task.assignee_id is None or task.assignee_id not in names:
            row.append(Button(ctx._("Who does it?"), pack("task", "pick", task.id)))
        rows.append(row)
    if not tasks:
        lines.append(ctx._("No tasks yet. What needs to be done, and who does it?"))
    elif not open_tasks:
        lines.append(ctx._("Everything is done. Well done!"))
    rows.append([Button(ctx._("Add a task"), pack("task", "add", action.id))])
    rows.append([action_button(ctx.texts, action.id or 0), conv.menu_button(ctx)])
    return Safe("\n".join(lines)), rows


async def show_tasks(
    ctx: Ctx, action: Action, initiative: Initiative, intro: str | None = None
) -> None:
    text, rows = await task_list_view(ctx, action, initiative)
    ctx.say(Safe(f"{intro}\n\n{text}") if intro else text, rows)


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
            [Button(texts._("Tasks"), pack("task", "list", action.id))],
            [action_button(texts, action.id or 0), menu_of(texts)],
        ],
        chat_id=person.telegram_id,
    )


async def assign(
    ctx: Ctx, task: Task, action: Action, initiative: Initiative, assignee_id: int
) -> Resident | None:
    """Give the task to a team member (None when that person is not in the team)."""
    person = next(
        (r for _, r in await team(ctx.session, initiative.id or 0) if r.id == assignee_id), None
    )
    if person is None:
        return None
    if task.assignee_id != person.id:
        task.assignee_id = person.id
        record_activity(
            ctx.session, initiative, ActivityKind.TASK_ASSIGNED, ctx.now(), ctx.person.id
        )
        await tell_assignee(ctx, task, action, person)
    return person


async def task_pressed(ctx: Ctx, payload: Payload) -> None:
    what = payload.arg(0)
    if what == "list":
        found = await load_action(ctx, payload.int_arg(1), Permission.DIVIDE_TASKS)
        if found:
            conv.leave_flow(ctx, keep_for_later=True)
            await show_tasks(ctx, *found)
    elif what == "add":
        found = await load_action(ctx, payload.int_arg(1), Permission.DIVIDE_TASKS)
        if found:
            conv.leave_flow(ctx, keep_for_later=True)
            await conv.start_flow(ctx, "task", {"action_id": found[0].id})
    elif what == "pick":
        loaded = await load_task(ctx, payload.int_arg(1))
        if loaded:
            task, action, initiative = loaded
            conv.leave_flow(ctx, keep_for_later=True)
            rows = [
                [Button(resident.display_name, pack("task", "to", task.id, resident.id))]
                for _, resident in (await team(ctx.session, initiative.id or 0))[
                    : ctx.services.policy.list_max
                ]
            ]
            rows.append([Button(ctx._("Back to the tasks"), pack("task", "list", action.id))])
            ctx.say(ctx._("Who does <b>{task}</b>?", task=task.title), rows)
    elif what == "to":
        loaded = await load_task(ctx, payload.int_arg(1))
        if loaded:
            task, action, initiative = loaded
            person = await assign(ctx, task, action, initiative, valid_id(payload.int_arg(2)) or 0)
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
            await check_progress(ctx, initiative)
    elif what == "done":
        loaded = await load_task(ctx, payload.int_arg(1))
        if loaded:
            task, action, initiative = loaded
            if task.done:
                ctx.toast(ctx._("That was done already."))
            else:
                task.done = True
                record_activity(
                    ctx.session, initiative, ActivityKind.TASK_DONE, ctx.now(), ctx.person.id
                )
                ctx.toast(ctx._("Well done!"))
            await show_tasks(ctx, action, initiative)
    else:
        await conv.refuse_stale(ctx)


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
    task = Task(
        initiative_id=initiative.id or 0,
        action_id=action.id,
        title=title,
        created_at=ctx.now(),
    )
    ctx.session.add(task)
    await ctx.session.flush()
    record_activity(ctx.session, initiative, ActivityKind.TASK_ADDED, ctx.now(), ctx.person.id)
    person = None
    if isinstance(assignee_id, int):
        person = await assign(ctx, task, action, initiative, assignee_id)
    intro = (
        ctx._("Added. {name} does it.", name=person.display_name)
        if person
        else ctx._("Added. Who does it can be decided later.")
    )
    await show_tasks(ctx, action, initiative, intro=intro)
    if person:
        await check_progress(ctx, initiative)
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
    registry.add_flow(plan_flow)
    registry.add_flow(edit_flow)
    registry.add_flow(task_flow)
    registry.button("act")(act_pressed)
    registry.button("task")(task_pressed)
