"""Paper and calendar: the poster and door letter of an action or an initiative's
invitation, the door tally sheet and the tally entered back, and the action's calendar
file. The PDFs are made in a worker thread (WeasyPrint takes about a second a page).

Button route ``mat``: ``poster <action> [lang]``, ``tally <action>``, ``ics <action>``,
``door <action>`` (the tally entered back), ``invite <initiative> [lang]`` (the
invitation's poster and letter). Deep link ``act-<link token>``: the QR code of an
action's poster opens its card (or, for a neighbour not yet in, the initiative's
invitation).
"""

from __future__ import annotations

import asyncio
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlmodel import select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.events import DoorTallied
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer
from bot.core.registry import Registry
from bot.core.seam import Button, SendDocument
from bot.domain.actions import get_action, valid_id
from bot.domain.authz import Permission, may
from bot.domain.initiatives import get_initiative
from bot.domain.outcomes import OUTCOME_MAX, add_door_tally, parse_amount
from bot.i18n import N_, Safe, Texts, texts_for
from bot.views.access import load_action, load_initiative, not_found
from bot.views.action_card import show_card
from bot.views.buttons import action_button, initiative_button, menu_button
from bot.views.entries import INVITATION
from bot.views.invitation import invite_link
from bot.views.materials import Sheet, file_name, letter_pdf, poster_pdf, sheets, tally_pdf
from bot.views.routes import MatDoor, MatIcs, MatInvite, MatPoster, MatTally
from bot.views.screens import kindly
from bot.views.text import unescaped
from storage.models import Action, ActionStatus, Initiative

if TYPE_CHECKING:
    pass

LINK_PREFIX = "act"
OTHER_LANGUAGE = {"nl": "en", "en": "nl"}


# --- what the paper says ------------------------------------------------------------------


async def owner_of(ctx: Ctx, initiative: Initiative) -> str | None:
    """The organisation of the running programme the initiative is part of, if any."""
    return await sheets.owner_of(ctx.session, initiative, ctx.now().astimezone(ctx.texts.tz).date())


async def organiser_name(ctx: Ctx, initiative: Initiative) -> str:
    """The first name the paper is signed with (see bot.views.materials.sheets)."""
    return await sheets.organiser_name(ctx.session, initiative, ctx.person)


async def action_sheet(ctx: Ctx, action: Action, initiative: Initiative, texts: Texts) -> Sheet:
    today: date = ctx.now().astimezone(ctx.texts.tz).date()
    return await sheets.action_sheet(
        ctx.session, ctx.services, action, initiative, texts, today=today, asker=ctx.person
    )


async def invitation_sheet(ctx: Ctx, initiative: Initiative, texts: Texts) -> Sheet:
    return Sheet(
        title=initiative.title,
        link=invite_link(ctx, initiative),
        organiser=await organiser_name(ctx, initiative),
        place=initiative.place,
        summary=initiative.what,
        owner=await owner_of(ctx, initiative),
        body=tuple(
            part
            for part in (
                initiative.what,
                initiative.why,
                unescaped(
                    texts._("Would you like to join in, or just hear what we are doing? Sign up.")
                ),
            )
            if part.strip()
        ),
    )


def language_of(ctx: Ctx, wanted: str | None) -> str:
    return wanted if wanted in OTHER_LANGUAGE else ctx.texts.lang


def other_language_button(ctx: Ctx, lang: str, payload: str) -> Button:
    label = ctx._("The same in English") if lang == "nl" else ctx._("The same in Dutch")
    return Button(label, payload)


def document(ctx: Ctx, filename: str, content: bytes, caption: str) -> SendDocument:
    return SendDocument(
        ctx.chat_id,
        filename=filename,
        content=content,
        caption=caption,
        if_refused=ctx._(
            "I could not send the file just now, sorry. Nothing is lost: press the button "
            "again in a few minutes."
        ),
    )


# --- posters and letters ------------------------------------------------------------------


async def door_row(ctx: Ctx, action: Action, initiative: Initiative) -> list[list[Button]]:
    """ "Enter a door tally", for who may enter one (the initiators)."""
    if not await may(ctx.session, ctx.person, Permission.REVIEW_ACTION, initiative):
        return []
    return [[Button(ctx._("Enter a door tally"), MatDoor(action.id or 0).pack())]]


async def poster_pressed(ctx: Ctx, press: MatPoster, action_id: int | None) -> None:
    found = await load_action(ctx, action_id, Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    if action.status is ActionStatus.CANCELLED:
        await show_card(ctx, action, initiative, intro=ctx._("This was cancelled."))
        return
    lang = language_of(ctx, press.lang)
    texts = texts_for(lang, str(ctx.texts.tz))
    sheet = await action_sheet(ctx, action, initiative, texts)
    poster, letter = await asyncio.gather(
        asyncio.to_thread(poster_pdf, sheet, texts), asyncio.to_thread(letter_pdf, sheet, texts)
    )
    ctx.toast(ctx._("Here it comes."))
    ctx.out.append(
        document(
            ctx,
            file_name(texts._("poster"), action.title),
            poster,
            ctx._("🖨 The poster, A4: for a lamp post, a window or the notice board."),
        )
    )
    ctx.out.append(
        document(
            ctx,
            file_name(texts._("letter"), action.title),
            letter,
            ctx._("✉️ The door letter, A4."),
        )
    )
    aid = action.id or 0
    ctx.say(
        ctx._(
            "Print them and take the letter along the doors: a letter reaches the neighbours "
            "who are not online. Going door to door? Take the tally sheet, and type the "
            "totals here afterwards."
        ),
        [
            [Button(ctx._("Tally sheet for the doors"), MatTally(aid).pack())],
            *await door_row(ctx, action, initiative),
            [other_language_button(ctx, lang, MatPoster(aid, OTHER_LANGUAGE[lang]).pack())],
            [action_button(ctx.texts, aid), menu_button(ctx.texts)],
        ],
    )


async def invite_pressed(ctx: Ctx, press: MatInvite) -> None:
    initiative = await load_initiative(ctx, valid_id(press.initiative_id), Permission.INVITE)
    if initiative is None:
        return
    lang = language_of(ctx, press.lang)
    texts = texts_for(lang, str(ctx.texts.tz))
    sheet = await invitation_sheet(ctx, initiative, texts)
    poster, letter = await asyncio.gather(
        asyncio.to_thread(poster_pdf, sheet, texts), asyncio.to_thread(letter_pdf, sheet, texts)
    )
    ctx.toast(ctx._("Here it comes."))
    ctx.out.append(
        document(
            ctx, file_name(texts._("poster"), initiative.title), poster, ctx._("🖨 The poster, A4.")
        )
    )
    ctx.out.append(
        document(
            ctx,
            file_name(texts._("letter"), initiative.title),
            letter,
            ctx._("✉️ The door letter, A4."),
        )
    )
    iid = initiative.id or 0
    ctx.say(
        ctx._(
            "Print them: a letter through the door reaches the neighbours who are not online. "
            "The QR code on both opens the invitation."
        ),
        [
            [other_language_button(ctx, lang, MatInvite(iid, OTHER_LANGUAGE[lang]).pack())],
            [initiative_button(ctx.texts, iid), menu_button(ctx.texts)],
        ],
    )


async def tally_pressed(ctx: Ctx, action_id: int | None) -> None:
    found = await load_action(ctx, action_id, Permission.PLAN_ACTION)
    if found is None:
        return
    action, initiative = found
    sheet = await action_sheet(ctx, action, initiative, ctx.texts)
    content = await asyncio.to_thread(tally_pdf, sheet, ctx.texts)
    ctx.toast(ctx._("Here it comes."))
    ctx.out.append(
        document(
            ctx,
            file_name(ctx._("tally"), action.title),
            content,
            ctx._("📋 The tally sheet for a round along the doors."),
        )
    )
    ctx.say(
        ctx._("Back from the doors? Type the totals here, then they count too."),
        [
            *await door_row(ctx, action, initiative),
            [action_button(ctx.texts, action.id or 0), menu_button(ctx.texts)],
        ],
    )


# --- calendar files -------------------------------------------------------------------------


async def ics_pressed(ctx: Ctx, action_id: int | None) -> None:
    found = await load_action(ctx, action_id, Permission.VIEW_INITIATIVE)
    if found is None:
        return
    action, initiative = found
    ctx.toast(ctx._("Here it comes."))
    ctx.out.append(
        sheets.calendar_document(
            ctx.services, ctx.texts, action, initiative, chat_id=ctx.chat_id, now=ctx.now()
        )
    )


# --- the door tally, entered back ----------------------------------------------------------


class Step(StrEnum):
    VISITED = "visited"
    YES = "yes"


async def door_pressed(ctx: Ctx, action_id: int | None) -> None:
    found = await load_action(ctx, action_id, Permission.REVIEW_ACTION)
    if found is None:
        return
    action, _initiative = found
    conv.leave_flow(ctx, keep_for_later=True)
    await conv.start_flow(ctx, "door", {"action_id": action.id})


async def say_visited(ctx: Ctx) -> Safe:
    action = await get_action(ctx.session, valid_id(ctx.data.get("action_id")))
    return ctx._(
        "A round along the doors for <b>{title}</b>: well done!\n\n"
        "How many households did you speak to or ring at? Type a number, or skip it.",
        title=action.title if action else "?",
    )


def parse_households(_ctx: Ctx, text: str) -> int:
    number = parse_amount(text)
    if number is None or number > OUTCOME_MAX:
        raise Invalid(N_("Please type one number, for example 12."))
    return number


def say_yes(ctx: Ctx) -> Safe:
    return ctx._("And how many households said yes at the door? Type a number, for example 12.")


def parse_yes(ctx: Ctx, text: str) -> int:
    number = parse_households(ctx, text)
    visited = ctx.data.get(Step.VISITED)
    if isinstance(visited, int) and number > visited:
        raise Invalid(
            N_("That is more than the {visited} households you visited. How many said yes?"),
            visited=visited,
        )
    return number


async def save_tally(ctx: Ctx, yes: int) -> Next:
    action = await get_action(ctx.session, valid_id(ctx.data.get("action_id")))
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    visited = ctx.data.get(Step.VISITED)
    await conv.advance(ctx, END)
    if action is None or initiative is None:
        await not_found(ctx)
        return HANDLED
    if not await may(ctx.session, ctx.person, Permission.REVIEW_ACTION, initiative):
        await kindly(ctx, ctx._("Only the initiators of this initiative can do that."))
        return HANDLED
    now = ctx.now()
    add_door_tally(
        ctx.session,
        initiative.id or 0,
        action.id,
        visited=visited if isinstance(visited, int) else None,
        yes=yes,
        by_id=ctx.person.id,
        now=now,
    )
    ctx.emit(DoorTallied(action.id or 0, yes, ctx.person.id))
    ctx.say(
        ctx.n_(
            "✅ Written down: {n} household said yes at the door. They count for {title}, "
            "also without a phone.",
            "✅ Written down: {n} households said yes at the door. They count for {title}, "
            "also without a phone.",
            yes,
            title=action.title,
        ),
        [
            [Button(ctx._("Enter another round"), MatDoor(action.id or 0).pack())],
            [action_button(ctx.texts, action.id or 0), menu_button(ctx.texts)],
        ],
    )
    return HANDLED


door_flow = Flow(
    "door",
    [
        Ask(
            Step.VISITED,
            say=say_visited,
            choices=[Choice("skip", N_("Skip"), value=None)],
            text=TextAnswer(parse=parse_households, max_length=40, asks_number=True),
            then=Step.YES,
        ),
        Ask(
            Step.YES,
            say=say_yes,
            text=TextAnswer(parse=parse_yes, max_length=40, asks_number=True),
            then=save_tally,
        ),
    ],
)


# --- the poster's QR code ------------------------------------------------------------------


async def link_opened(ctx: Ctx, token: str) -> None:
    """An action's poster was scanned: its card for who may answer, else the invitation of
    its initiative (the same answer whether or not the token names an action)."""
    action = (
        await ctx.session.execute(select(Action).where(Action.link_token == token[:32]))
    ).scalar_one_or_none()
    initiative = await get_initiative(ctx.session, action.initiative_id) if action else None
    if action is None or initiative is None:
        await ctx.open(INVITATION, None, token)
        return
    if await may(ctx.session, ctx.person, Permission.RSVP, initiative):
        conv.leave_flow(ctx, keep_for_later=True)
        await show_card(ctx, action, initiative)
        return
    await ctx.open(INVITATION, initiative, initiative.invite_token)


async def _action_id(ctx: Ctx, action_id: int) -> int | None:
    """The action a materials button names, or None after saying the button is stale."""
    if valid_id(action_id) is None:
        await conv.refuse_stale(ctx)
        return None
    return action_id


async def mat_poster(ctx: Ctx, press: MatPoster) -> None:
    if (action_id := await _action_id(ctx, press.action_id)) is not None:
        await poster_pressed(ctx, press, action_id)


async def mat_tally(ctx: Ctx, press: MatTally) -> None:
    if (action_id := await _action_id(ctx, press.action_id)) is not None:
        await tally_pressed(ctx, action_id)


async def mat_ics(ctx: Ctx, press: MatIcs) -> None:
    if (action_id := await _action_id(ctx, press.action_id)) is not None:
        await ics_pressed(ctx, action_id)


async def mat_door(ctx: Ctx, press: MatDoor) -> None:
    if (action_id := await _action_id(ctx, press.action_id)) is not None:
        await door_pressed(ctx, action_id)


def register(registry: Registry) -> None:
    registry.add_flow(door_flow)
    registry.on(MatInvite)(invite_pressed)
    registry.on(MatPoster)(mat_poster)
    registry.on(MatTally)(mat_tally)
    registry.on(MatIcs)(mat_ics)
    registry.on(MatDoor)(mat_door)
    registry.deep_link(LINK_PREFIX)(link_opened)
