"""The coach's side of support requests: tell the coach, relay the answer, keep the
thread going — and remind the coach of a question left unanswered.

A resident asks through the journey's "Ask my coach" (bot/flows/coach_request.py),
which stores a ``SupportRequest`` and tells ``SupportRequested``. Here:

* the coach is told in their own chat, with the initiative's context and a "reply"
  button (outbox kind ``support_new``; a request without a coach goes to the operators);
* a nudge is scheduled for 2 working days later (Saturday and Sunday do not count),
  at 10:00 on the coach's clock (kind ``support_nudge``, key
  ``support_nudge:<id>:to:<coach>``); it is skipped when the question was answered by then;
* the coach types the answer: it is relayed to the resident in their language, with a
  "reply" button; the resident's reply reaches the coach the same way, and so on. Every
  message of the thread after the question is a ``SupportMessage``; the first answer
  also sets ``SupportRequest.answer`` and ``answered_at``;
* an initiator answering a coach's message (bot/flows/coach.py) starts a new request;
* when the initiative gets another coach (or none), its threads follow
  (bot/domain/coaches.py ``move_threads``) and the asker is told who answers now (kind
  ``support_moved``).

Buttons: ``sup:r:<request>`` (reply in a thread: the asker, or the coach),
``sup:c:<initiative>`` (write to the initiative's coach), ``sup:open`` (the open
questions). Who may do what: the asker in their own thread; the coach side needs
COACH_INITIATIVE on the initiative now (its coach while they still coach, or an
operator): the thread's stored coach_id grants nothing. Who gets a message of the
thread is decided when it is sent (bot.domain.authz.thread_coaches). Refusals are polite
and logged.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import SupportRequested
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button, Outgoing
from bot.domain.audit import audit
from bot.domain.authz import Permission, coach_of, may, thread_coaches
from bot.domain.coaches import (
    MOVED_KIND,
    NEW_KIND,
    NUDGE_KIND,
    nudge_key,
    portfolio,
    subject,
    tell_coaches,
)
from bot.domain.initiatives import get_initiative, members
from bot.domain.operations import open_support_request
from bot.domain.phases import progress_line
from bot.i18n import N_, Safe, Texts, escape, texts_for
from bot.views.buttons import OPEN_THE_INITIATIVE, initiative_button, menu_button
from bot.views.coach import (
    coach_card_button,
    needs_onboarding,
    overview_button,
    refuse,
    shown_name,
    was_coach,
)
from bot.views.routes import SupportOpen, SupportReply, SupportToCoach
from bot.views.text import shorten
from scheduler import outbox
from scheduler.messages import Skip, fetch, person_of, recipient, say, texts_of
from storage.models import (
    Initiative,
    MemberRole,
    PersonFacts,
    Resident,
    ScheduledMessage,
    SupportMessage,
    SupportRequest,
)

log = logging.getLogger(__name__)

TEXT_MAX = 2000
SNIPPET = 300

# --- when a question comes in -------------------------------------------------------------


async def support_requested(session: AsyncSession, event: SupportRequested, now: datetime) -> None:
    """Tell the coach (or, without one, the operators), and plan the nudge."""
    request = await session.get(SupportRequest, event.request_id)
    if request is None:
        return
    initiative = await session.get(Initiative, request.initiative_id)
    if initiative is None:
        return
    coach = await coach_of(session, initiative)
    if request.coach_id is None and coach is not None:
        request.coach_id = coach.id
    if not await tell_coaches(session, request, initiative, now):
        log.warning("support request %s has no coach and there is no operator", request.id)


async def answers_now(session: AsyncSession, coach: PersonFacts, request: SupportRequest) -> bool:
    """Whether this person answers the thread now (checked again just before sending)."""
    initiative = await fetch(session, Initiative, request.initiative_id)
    if initiative is None:
        return False
    return any(
        person.id == coach.id for person in await thread_coaches(session, request, initiative)
    )


async def _context_lines(session: AsyncSession, texts: Texts, initiative: Initiative) -> list[str]:
    team = [
        person
        for member, person in await members(session, initiative.id or 0)
        if member.role is not MemberRole.FOLLOWER
    ]
    return [
        progress_line(texts, initiative.phase),
        texts.n_(
            "{place} · {n} in the team",
            "{place} · {n} in the team",
            len(team),
            place=initiative.place or "–",
        ),
    ]


async def _open_request(
    session: AsyncSession, row: ScheduledMessage
) -> tuple[SupportRequest, Initiative]:
    request = await fetch(session, SupportRequest, int((row.payload or {}).get("request_id") or 0))
    if request is None:
        raise Skip("the question is gone")
    initiative = await fetch(session, Initiative, request.initiative_id)
    if initiative is None:
        raise Skip("the initiative is gone")
    return request, initiative


def thread_buttons(texts: Texts, request: SupportRequest) -> list[list[Button]]:
    return [
        [Button(texts._("Reply"), SupportReply(request.id or 0).pack())],
        [coach_card_button(texts, request.initiative_id, OPEN_THE_INITIATIVE)],
    ]


async def render_new(session: AsyncSession, row: ScheduledMessage, now: datetime) -> list[Outgoing]:
    """The coach: a new question, with the initiative's context."""
    coach = await recipient(session, row)
    request, initiative = await _open_request(session, row)
    if request.answered_at is not None:
        raise Skip("already answered")
    if not await answers_now(session, coach, request):
        raise Skip("another coach has it now")
    asker = await person_of(session, request.resident_id)
    texts = texts_of(coach)
    lines = [
        texts._(
            "❓ <b>A question from {name}</b> about <b>{title}</b>",
            name=shown_name(texts, asker),
            title=initiative.title,
        ),
        *await _context_lines(session, texts, initiative),
        "",
        texts._("“{question}”", question=shorten(request.question, SNIPPET, one_line=False)),
        "",
        texts._("Tap Reply to answer. Your answer goes to their own chat."),
    ]
    return say(coach, Safe("\n".join(lines)), *thread_buttons(texts, request))


async def render_nudge(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The coach: a question has waited two working days."""
    coach = await recipient(session, row)
    request, initiative = await _open_request(session, row)
    if request.answered_at is not None:
        raise Skip("answered")
    if not await answers_now(session, coach, request):
        raise Skip("another coach has it now")
    asker = await person_of(session, request.resident_id)
    texts = texts_of(coach)
    text = texts._(
        "⏰ A question about <b>{title}</b> has been waiting for two working days.\n\n"
        "{name} asked: “{question}”\n\nA short answer helps already.",
        title=initiative.title,
        name=shown_name(texts, asker),
        question=shorten(request.question, SNIPPET, one_line=False),
    )
    return say(coach, text, *thread_buttons(texts, request))


async def render_moved(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """The asker: their thread is with someone else now, and who that is."""
    person = await recipient(session, row)
    request, initiative = await _open_request(session, row)
    coach = await coach_of(session, initiative)
    if (coach.id if coach is not None else None) != (row.payload or {}).get("coach_id"):
        raise Skip("the coach changed again: a later message tells")
    texts = texts_of(person)
    if coach is not None:
        text = texts._(
            "Good to know: <b>{coach}</b> is now the neighbourhood coach of <b>{title}</b>. "
            "Your messages about it go to {coach} from now on. Just reply here as before.",
            coach=coach.display_name,
            title=initiative.title,
        )
    else:
        text = texts._(
            "Good to know: <b>{title}</b> has no neighbourhood coach at the moment. "
            "Until there's a new one, the Buurbot team reads your messages about it "
            "and answers you here.",
            title=initiative.title,
        )
    return say(
        person,
        text,
        [Button(texts._("Reply"), SupportReply(request.id or 0).pack())],
        [initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)],
    )


# --- the thread ----------------------------------------------------------------------------


class Step(StrEnum):
    TEXT = "text"


async def _thread(
    ctx: Ctx, request_id: int | None
) -> tuple[SupportRequest, Initiative, str] | None:
    """The request and the side the person is on ("asker" or "coach"), if any."""
    request = await ctx.session.get(SupportRequest, request_id) if request_id else None
    initiative = await get_initiative(ctx.session, request.initiative_id) if request else None
    if request is None or initiative is None:
        return None
    if request.resident_id is not None and request.resident_id == ctx.person.id:
        return request, initiative, "asker"
    if await may(ctx.session, ctx.person, Permission.COACH_INITIATIVE, initiative):
        return request, initiative, "coach"
    return None


async def refuse_thread(ctx: Ctx, request_id: int | None) -> None:
    """Not (or no longer) this person's thread: kindly; a former coach hears why."""
    wrote = None
    if request_id is not None:
        wrote = (
            await ctx.session.execute(
                select(SupportMessage.id)
                .where(
                    SupportMessage.request_id == request_id,
                    SupportMessage.author_id == ctx.person.id,
                )
                .limit(1)
            )
        ).scalar_one_or_none()
    why = (
        ctx._(
            "Sorry, this conversation is now with another neighbourhood coach, so I cannot "
            "open it for you any more. Nothing was sent. Thank you for your help!"
        )
        if wrote is not None or await was_coach(ctx)
        else None
    )
    await refuse(ctx, Permission.COACH_INITIATIVE, subject("request", request_id), why=why)


async def say_reply(ctx: Ctx) -> Safe:
    found = await _thread(ctx, ctx.data.get("request_id"))
    if found is None:
        return ctx._("Type your message.")
    request, initiative, side = found
    if side == "coach":
        asker = (
            await ctx.session.get(Resident, request.resident_id) if request.resident_id else None
        )
        return ctx._(
            "Your answer to {name} about <b>{title}</b>. The question was:\n“{question}”\n\n"
            "Type your answer in one message.",
            name=shown_name(ctx, asker),
            title=initiative.title,
            question=shorten(request.question, SNIPPET, one_line=False),
        )
    return ctx._(
        "Type your reply about <b>{title}</b> in one message. I pass it on to your coach.",
        title=initiative.title,
    )


async def cancel_reply(ctx: Ctx, _value: object) -> Next:
    await conv.advance(ctx, END)
    await conv.show_menu(ctx, intro=ctx._("Fine, nothing was sent."))
    return HANDLED


CANCEL = Choice("cancel", N_("Don't send"), then=cancel_reply)


async def send_reply(ctx: Ctx, text: str) -> Next:
    found = await _thread(ctx, ctx.data.get("request_id"))
    await conv.advance(ctx, END)
    if found is None:
        found = ctx.data.get("request_id")
        await refuse_thread(ctx, found if isinstance(found, int) else None)
        return HANDLED
    request, initiative, side = found
    now = ctx.now()
    ctx.session.add(
        SupportMessage(request_id=request.id or 0, author_id=ctx.person.id, text=text, at=now)
    )
    if side == "coach":
        await coach_answers(ctx, request, initiative, text, now)
    else:
        await asker_replies(ctx, request, initiative, text)
    return HANDLED


async def coach_answers(
    ctx: Ctx, request: SupportRequest, initiative: Initiative, text: str, now: datetime
) -> None:
    first = request.answered_at is None
    if first:
        request.answered_at = now
        request.answer = text
    if request.coach_id is None:
        request.coach_id = ctx.person.id
    await outbox.cancel(
        ctx.session,
        col(ScheduledMessage.kind) == NUDGE_KIND,
        col(ScheduledMessage.dedupe_key).in_([nudge_key(request.id)])
        | col(ScheduledMessage.dedupe_key).like(nudge_key(request.id) + ":%"),
        reason="answered",
    )
    await outbox.cancel(
        ctx.session,
        col(ScheduledMessage.kind) == NEW_KIND,
        col(ScheduledMessage.dedupe_key).like(f"support_new:{request.id}:%"),
        reason="answered",
    )
    audit(
        ctx.session,
        actor_id=ctx.person.id,
        action="support_answered",
        subject=subject("request", request.id),
        at=now,
        first=first,
    )
    asker = await ctx.session.get(Resident, request.resident_id) if request.resident_id else None
    if asker is None:
        ctx.say(
            ctx._("The person who asked is no longer on Buurbot. Your answer is saved."),
            [[coach_card_button(ctx.texts, initiative.id)], [menu_button(ctx.texts)]],
        )
        return
    texts = texts_for(asker.language, asker.timezone)
    relay = Safe(
        texts._(
            "💬 <b>{coach}, your neighbourhood coach, answered</b> about <b>{title}</b>:",
            coach=ctx.person.display_name,
            title=initiative.title,
        )
        + "\n\n"
        + escape(text)
    )
    ctx.say(
        relay,
        [
            [Button(texts._("Reply"), SupportReply(request.id or 0).pack())],
            [initiative_button(texts, initiative.id, OPEN_THE_INITIATIVE)],
        ],
        chat_id=asker.telegram_id,
    )
    ctx.say(
        ctx._("Sent to {name}. If they reply, you get it here.", name=shown_name(ctx, asker)),
        [
            [Button(ctx._("Answer open questions"), SupportOpen().pack())],
            [coach_card_button(ctx.texts, initiative.id), menu_button(ctx.texts)],
        ],
    )


async def asker_replies(
    ctx: Ctx, request: SupportRequest, initiative: Initiative, text: str
) -> None:
    # Decided now: whoever answered before may no longer be this resident's coach.
    people = await thread_coaches(ctx.session, request, initiative)
    coach = people[0] if len(people) == 1 else None
    if coach is not None and coach.id == initiative.coach_id:
        request.coach_id = coach.id  # a thread left addressed to a former coach heals
    elif coach is not None and coach.id != request.coach_id:
        coach = None  # the operators read it: no name to promise
    for person in people:
        texts = texts_for(person.language, person.timezone)
        relay = Safe(
            texts._(
                "💬 <b>{name} replied</b> about <b>{title}</b>:",
                name=shown_name(texts, ctx.person),
                title=initiative.title,
            )
            + "\n\n"
            + escape(text)
        )
        ctx.say(relay, thread_buttons(texts, request), chat_id=person.telegram_id)
    back = [
        [initiative_button(ctx.texts, initiative.id, OPEN_THE_INITIATIVE)],
        [menu_button(ctx.texts)],
    ]
    if coach is not None:
        ctx.say(ctx._("Sent to {name}.", name=coach.display_name), back)
    else:
        ctx.say(ctx._("Saved. A neighbourhood coach will read it and answer you here."), back)


reply_flow = Flow(
    "sup_reply",
    [
        Ask(
            Step.TEXT,
            say=say_reply,
            choices=[CANCEL],
            text=TextAnswer(min_length=2, max_length=TEXT_MAX),
            then=send_reply,
        )
    ],
)


# --- an initiator writes to the coach (answering a coach's message) -----------------------------


async def _to_coach_initiative(ctx: Ctx) -> Initiative | None:
    value = ctx.data.get("initiative_id")
    initiative = await get_initiative(ctx.session, value if isinstance(value, int) else None)
    if initiative is None or not await may(
        ctx.session, ctx.person, Permission.ASK_COACH, initiative
    ):
        return None
    return initiative


async def say_to_coach(ctx: Ctx) -> Safe:
    initiative = await _to_coach_initiative(ctx)
    coach = await coach_of(ctx.session, initiative) if initiative is not None else None
    return ctx._(
        "Type your answer to {coach} in one message.",
        coach=coach.display_name if coach is not None else ctx._("your coach"),
    )


async def send_to_coach(ctx: Ctx, text: str) -> Next:
    initiative = await _to_coach_initiative(ctx)
    await conv.advance(ctx, END)
    if initiative is None:
        await conv.show_menu(
            ctx, intro=ctx._("I can't send that: you're no longer in this initiative.")
        )
        return HANDLED
    now = ctx.now()
    _request, coach = await open_support_request(
        ctx.session, initiative, ctx.person, text[:TEXT_MAX], now=now, emit=ctx.emit
    )
    ctx.say(
        ctx._("Sent to {name}. You get the answer here in this chat.", name=coach.display_name)
        if coach is not None
        else ctx._("Saved. A neighbourhood coach will read it and answer you here."),
        [
            [initiative_button(ctx.texts, initiative.id, OPEN_THE_INITIATIVE)],
            [menu_button(ctx.texts)],
        ],
    )
    return HANDLED


to_coach_flow = Flow(
    "sup_to_coach",
    [
        Ask(
            Step.TEXT,
            say=say_to_coach,
            choices=[CANCEL],
            text=TextAnswer(min_length=2, max_length=TEXT_MAX),
            then=send_to_coach,
        )
    ],
)


# --- the open questions, for the coach --------------------------------------------------------


async def show_open(ctx: Ctx) -> None:
    if not await may(ctx.session, ctx.person, Permission.COACH_OVERVIEW):
        await refuse(ctx, Permission.COACH_OVERVIEW, "support_requests")
        return
    mine = await portfolio(
        ctx.session, ctx.person, ctx.now(), stall_days=ctx.services.settings.stall_days
    )
    if not mine.requests:
        ctx.say(
            ctx._("There are no open questions. Well done!"),
            [[overview_button(ctx.texts)], [menu_button(ctx.texts)]],
        )
        return
    lines = [ctx._("<b>Open questions</b>")]
    rows: list[list[Button]] = []
    for number, item in enumerate(mine.requests[:10], start=1):
        lines.append(
            ctx.n_(
                "{number}. {title}, {name}: “{question}” (waiting {n} day)",
                "{number}. {title}, {name}: “{question}” (waiting {n} days)",
                item.waiting_days,
                number=number,
                title=item.initiative.title,
                name=shown_name(ctx, item.asker),
                question=" ".join(item.request.question.split())[:120],
            )
        )
        rows.append(
            [
                Button(
                    ctx._("Answer question {number}", number=number),
                    SupportReply(item.request.id or 0).pack(),
                )
            ]
        )
    lines.append(ctx._("Which one do you want to answer?"))
    rows.append([overview_button(ctx.texts), menu_button(ctx.texts)])
    ctx.say(Safe("\n".join(lines)), rows)


async def open_pressed(ctx: Ctx, _press: SupportOpen) -> None:
    if await needs_onboarding(ctx):
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await show_open(ctx)


async def reply_pressed(ctx: Ctx, press: SupportReply) -> None:
    if await needs_onboarding(ctx):
        return
    found = await _thread(ctx, press.request_id)
    if found is None:
        await refuse_thread(ctx, press.request_id)
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.start_flow(ctx, reply_flow.name, {"request_id": found[0].id})


async def to_coach_pressed(ctx: Ctx, press: SupportToCoach) -> None:
    if await needs_onboarding(ctx):
        return
    ident = press.initiative_id
    initiative = await get_initiative(ctx.session, ident)
    if initiative is None or not await may(
        ctx.session, ctx.person, Permission.ASK_COACH, initiative
    ):
        await refuse(ctx, Permission.ASK_COACH, subject("initiative", ident))
        return
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.start_flow(ctx, to_coach_flow.name, {"initiative_id": initiative.id})


def register(registry: Registry) -> None:
    registry.subscribe(SupportRequested)(support_requested)
    registry.renderer(NEW_KIND, essential=True, budget=False)(render_new)
    registry.renderer(NUDGE_KIND, essential=True, at_most_once=True, budget=False)(render_nudge)
    registry.renderer(MOVED_KIND, essential=True, budget=False)(render_moved)
    registry.on(SupportOpen)(open_pressed)
    registry.on(SupportReply)(reply_pressed)
    registry.on(SupportToCoach)(to_coach_pressed)
    registry.add_flow(reply_flow)
    registry.add_flow(to_coach_flow)
