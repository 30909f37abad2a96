"""Announcements: a coach composes one (/bericht, /announce), residents choose whether
they get them (/aankondigingen, /announcements, and the button on every announcement).

Composing: the text (at most 3,500 characters), an optional link (http or https) with
the label of its button, then who gets it — by buttons: area, theme, phase, role and
street groups, combined with AND. It starts as "everyone in my area who opted in".
Then the preview, exactly as residents will see it, the exact number of recipients,
and "send it now" or not. Sent: a progress message that is kept up to date, with a
button to cancel, and the report at the end (bot/domain/broadcasts.py).

Buttons: ``bc:new`` (compose), ``bc:cancel:<id>`` (stop sending), ``bc:pv`` (the stop
button in a preview: does nothing), ``optout`` and ``optin`` (a resident's choice).
Composing and cancelling need Permission.BROADCAST; a coach cancels their own
announcements, an operator any. Refusals are polite and logged.
"""

from __future__ import annotations

import dataclasses
import logging
from enum import StrEnum
from typing import Any

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.flow import END, HANDLED, Ask, Choice, Flow, Invalid, Next, TextAnswer, verbatim
from bot.core.registry import Registry
from bot.core.seam import Button, ButtonPress, EditText
from bot.domain.authz import Permission, may
from bot.domain.broadcasts import (
    LABEL_MAX,
    REACH_LABELS,
    TEXT_MAX,
    WHO_LABELS,
    Audience,
    LinkError,
    Reach,
    Who,
    cancel,
    check_link,
    finish,
    progress_key,
    report_of,
    select_recipients,
    start,
    within_rights,
)
from bot.domain.coaches import areas_of, is_operator, subject
from bot.domain.phases import numbered_phase_label, phase_label
from bot.i18n import N_, Safe
from bot.views import announcements
from bot.views.announcements import (
    announcement,
    cancel_button,
    describe,
    progress_text,
    render_report,
    report_buttons,
)
from bot.views.buttons import menu_button
from bot.views.cards import THEME_LABELS
from bot.views.coach import needs_onboarding, overview_button, refuse
from bot.views.routes import BroadcastCancel, BroadcastNew, BroadcastPreview, OptIn, OptOut
from storage.models import Broadcast, BroadcastStatus, Phase, Theme

log = logging.getLogger(__name__)


class Step(StrEnum):
    TEXT = "text"
    LINK = "link"
    LABEL = "label"
    AUDIENCE = "audience"
    AREA = "area"
    THEME = "theme"
    PHASE = "phase"
    WHO = "who"
    REACH = "reach"
    CONFIRM = "confirm"


AUDIENCE_KEY = "aud"
DEFAULT_KEY = "aud_default"


# --- starting ------------------------------------------------------------------------------


async def default_audience(ctx: Ctx) -> Audience:
    """Everyone who opted in: in all of a coach's areas, or everywhere for an operator."""
    if await is_operator(ctx.session, ctx.person):
        return Audience()
    return Audience(coach_id=ctx.person.id)


async def compose(ctx: Ctx) -> None:
    if await needs_onboarding(ctx):
        return
    if not await may(ctx.session, ctx.person, Permission.BROADCAST):
        await refuse(ctx, Permission.BROADCAST, "broadcast")
        return
    conv.leave_flow(ctx, keep_for_later=True)
    audience = (await default_audience(ctx)).as_json()
    await conv.start_flow(ctx, compose_flow.name, {AUDIENCE_KEY: audience, DEFAULT_KEY: audience})


async def compose_command(ctx: Ctx, _args: str) -> None:
    await compose(ctx)


def audience_of(ctx: Ctx) -> Audience:
    try:
        return Audience.from_json(ctx.data.get(AUDIENCE_KEY))
    except (ValueError, KeyError, TypeError):
        return Audience.from_json(ctx.data.get(DEFAULT_KEY))


async def audience_now(ctx: Ctx) -> Audience:
    """The draft's audience as this person may reach it now (rights read again)."""
    return await within_rights(ctx.session, ctx.person, audience_of(ctx))


def set_audience(ctx: Ctx, audience: Audience) -> None:
    ctx.data[AUDIENCE_KEY] = audience.as_json()


# --- the text and the link ----------------------------------------------------------------------


def say_text(ctx: Ctx) -> Safe:
    return ctx._(
        "<b>New announcement</b>\n\n"
        "Type the text of your announcement, in one message of at most {limit} characters. "
        "Only neighbours who said yes to announcements from coaches get it.",
        limit=TEXT_MAX,
    )


def parse_text(_ctx: Ctx, text: str) -> str:
    if text.startswith("/"):
        raise Invalid(N_("That looks like a command. Type the text of your announcement."))
    return text


def say_link(ctx: Ctx) -> Safe:
    return ctx._(
        "Do you want to add a link, for example to a sign-up form? "
        "Type the web address (starting with https://), or tap “No link”."
    )


def parse_link(_ctx: Ctx, text: str) -> str:
    try:
        return check_link(text)
    except LinkError as error:
        raise Invalid(
            N_(
                "That isn't a web address I can use. Type it like https://www.example.nl, "
                "or tap “No link”."
            )
        ) from error


def say_label(ctx: Ctx) -> Safe:
    return ctx._(
        "What should the button of the link say? For example: Sign up. At most {limit} characters.",
        limit=LABEL_MAX,
    )


def parse_label(_ctx: Ctx, text: str) -> str:
    label = " ".join(text.split())
    if not any(char.isalnum() for char in label):
        raise Invalid(N_("The button needs a word or two. What should it say?"))
    return label


# --- the audience -----------------------------------------------------------------------------


async def area_label(ctx: Ctx, audience: Audience) -> str:
    if audience.areas:
        return ", ".join(area.label() for area in audience.areas)
    if audience.coach_id is not None:
        return ctx._("all my areas")
    return ctx._("everywhere")


async def say_audience(ctx: Ctx) -> Safe:
    audience = await audience_now(ctx)
    recipients = await select_recipients(ctx.session, audience)
    lines = [
        ctx._("<b>Who gets it?</b>"),
        describe(ctx.texts, audience, all_areas_label=await area_label(ctx, audience)),
        "",
        ctx.n_("👥 {n} person gets it.", "👥 {n} people get it.", len(recipients.resident_ids)),
    ]
    if audience.reach is not Reach.PEOPLE:
        lines.append(
            ctx.n_(
                "💬 {n} street group gets it.",
                "💬 {n} street groups get it.",
                len(recipients.chat_ids),
            )
        )
    lines += [
        ctx._("Only neighbours who said yes to announcements are counted."),
        "",
        ctx._("Change who gets it with the buttons, or look at the preview."),
    ]
    return Safe("\n".join(str(line) for line in lines))


async def audience_choices(ctx: Ctx) -> list[Choice]:
    audience = await audience_now(ctx)
    where = await area_label(ctx, audience)
    theme = ctx._(THEME_LABELS[audience.theme]) if audience.theme else ctx._("any")
    phase = phase_label(ctx, audience.phase) if audience.phase else ctx._("any")
    who = ctx._(WHO_LABELS[audience.who])
    reach = ctx._(REACH_LABELS[audience.reach])
    default = ctx.data.get(DEFAULT_KEY)
    choices = [
        Choice("area", lambda c: c._("Area: {value}", value=where), then=Step.AREA),
        Choice("theme", lambda c: c._("Theme: {value}", value=theme), then=Step.THEME),
        Choice("phase", lambda c: c._("Phase: {value}", value=phase), then=Step.PHASE),
        Choice("who", lambda c: c._("Who: {value}", value=who), then=Step.WHO),
        Choice("reach", lambda c: c._("Reach: {value}", value=reach), then=Step.REACH),
    ]
    if ctx.data.get(AUDIENCE_KEY) != default:
        choices.append(Choice("reset", N_("Everyone in my area who opted in"), then=reset))
    choices.append(Choice("preview", N_("Show the preview"), then=show_preview))
    return choices


async def reset(ctx: Ctx, _value: object) -> Next:
    ctx.data[AUDIENCE_KEY] = ctx.data.get(DEFAULT_KEY)
    return Step.AUDIENCE


def say_area(ctx: Ctx) -> Safe:
    return ctx._("Which area?")


async def area_choices(ctx: Ctx) -> list[Choice]:
    own = await areas_of(ctx.session, ctx.person.id or 0)
    if (await audience_now(ctx)).coach_id is None:
        return [Choice("all", N_("Everywhere"), then=choose_area, value="all")]
    return [
        Choice("all", N_("All my areas"), then=choose_area, value="all"),
        *(
            Choice(f"a{index}", verbatim(area.label()), then=choose_area, value=index)
            for index, area in enumerate(own)
        ),
    ]


async def choose_area(ctx: Ctx, value: Any) -> Next:
    audience = await audience_now(ctx)
    areas: tuple = ()
    if isinstance(value, int) and audience.coach_id is not None:
        own = await areas_of(ctx.session, ctx.person.id or 0)
        if 0 <= value < len(own):
            areas = (own[value],)
    set_audience(ctx, _replace(audience, areas=areas))
    return Step.AUDIENCE


def _replace(audience: Audience, **changes: Any) -> Audience:
    return dataclasses.replace(audience, **changes)


def say_theme(ctx: Ctx) -> Safe:
    return ctx._("Only for initiatives with this theme:")


async def choose_theme(ctx: Ctx, value: Any) -> Next:
    theme = Theme(value) if value else None
    set_audience(ctx, _replace(audience_of(ctx), theme=theme))
    return Step.AUDIENCE


THEME_CHOICES = [
    Choice("any", N_("Any theme"), value="", then=choose_theme),
    *(
        Choice(theme.value, label, value=theme.value, then=choose_theme)
        for theme, label in THEME_LABELS.items()
    ),
]


def say_phase_filter(ctx: Ctx) -> Safe:
    return ctx._("Only for initiatives in this phase:")


async def choose_phase(ctx: Ctx, value: Any) -> Next:
    phase = Phase(value) if value else None
    set_audience(ctx, _replace(audience_of(ctx), phase=phase))
    return Step.AUDIENCE


PHASE_CHOICES = [
    Choice("any", N_("Any phase"), value="", then=choose_phase),
    *(
        Choice(
            phase.value,
            numbered_phase_label(phase),
            value=phase.value,
            then=choose_phase,
        )
        for phase in Phase
    ),
]


def say_who(ctx: Ctx) -> Safe:
    return ctx._(
        "Who of them? Initiators and team members are the people who organise an initiative."
    )


async def choose_who(ctx: Ctx, value: Any) -> Next:
    set_audience(ctx, _replace(audience_of(ctx), who=Who(value)))
    return Step.AUDIENCE


WHO_CHOICES = [
    Choice(who.value, label, value=who.value, then=choose_who) for who, label in WHO_LABELS.items()
]


def say_reach(ctx: Ctx) -> Safe:
    return ctx._(
        "Also in the street groups? A street group is a group chat linked to an initiative. "
        "Everyone in the group reads it there."
    )


async def choose_reach(ctx: Ctx, value: Any) -> Next:
    set_audience(ctx, _replace(audience_of(ctx), reach=Reach(value)))
    return Step.AUDIENCE


REACH_CHOICES = [
    Choice(reach.value, label, value=reach.value, then=choose_reach)
    for reach, label in REACH_LABELS.items()
]


# --- the preview and sending ---------------------------------------------------------------------


def _draft(ctx: Ctx) -> tuple[str, str | None, str | None]:
    text = str(ctx.data.get(Step.TEXT) or "")
    link = ctx.data.get(Step.LINK) or None
    label = ctx.data.get(Step.LABEL) or None if link else None
    return text, link, label


async def show_preview(ctx: Ctx, _value: object) -> Next:
    recipients = await select_recipients(ctx.session, await audience_now(ctx))
    if not recipients.count:
        ctx.conversation.step = str(Step.AUDIENCE)
        await conv.ask_current(
            ctx,
            before=ctx._(
                "Nobody in this audience said yes to announcements yet. "
                "Choose a wider audience, or try again later."
            ),
        )
        return HANDLED
    text, link, label = _draft(ctx)
    preview, keyboard = announcement(
        ctx.texts,
        text=text,
        link_url=link,
        link_label=label,
        author=ctx.person.display_name,
        preview=True,
    )
    intro = ctx._("<b>Preview</b>, exactly as residents will see it:")
    ctx.say(intro)
    ctx.say(preview, keyboard)
    return Step.CONFIRM


async def say_confirm(ctx: Ctx) -> Safe:
    audience = await audience_now(ctx)
    recipients = await select_recipients(ctx.session, audience)
    people = ctx.n_("{n} person", "{n} people", len(recipients.resident_ids))
    if recipients.chat_ids:
        groups = ctx.n_("{n} street group", "{n} street groups", len(recipients.chat_ids))
        count = ctx._("{people} and {groups}", people=people, groups=groups)
    else:
        count = people
    return ctx._(
        "This announcement goes to <b>{count}</b> ({audience}).\n\nSend it now?",
        count=count,
        audience=describe(ctx.texts, audience, all_areas_label=await area_label(ctx, audience)),
    )


async def send_now(ctx: Ctx, _value: object) -> Next:
    if not await may(ctx.session, ctx.person, Permission.BROADCAST):
        await conv.advance(ctx, END)
        await refuse(ctx, Permission.BROADCAST, "broadcast")
        return HANDLED
    audience = await audience_now(ctx)
    text, link, label = _draft(ctx)
    if not text:
        return Step.TEXT
    if not (await select_recipients(ctx.session, audience)).count:
        return await show_preview(ctx, None)
    broadcast, recipients = await start(
        ctx.session,
        author=ctx.person,
        text=text,
        link_url=link,
        link_label=label,
        audience=audience,
        now=ctx.now(),
        progress_chat_id=ctx.chat_id,
        via="chat",
    )
    await conv.advance(ctx, END)
    report = await report_of(ctx.session, broadcast.id or 0)
    ctx.say(
        progress_text(ctx.texts, broadcast, report),
        [[cancel_button(ctx.texts, broadcast.id)]],
        remember_as=progress_key(broadcast.id),
    )
    ctx.say(
        ctx.n_(
            "Your announcement is on its way to {n} recipient. I keep the message above up "
            "to date, and send you the report when it's done.",
            "Your announcement is on its way to {n} recipients. I keep the message above up "
            "to date, and send you the report when it's done.",
            recipients.count,
        ),
        [[overview_button(ctx.texts)], [menu_button(ctx.texts)]],
    )
    return HANDLED


async def drop(ctx: Ctx, _value: object) -> Next:
    await conv.advance(ctx, END)
    await conv.show_menu(ctx, intro=ctx._("Fine: the announcement isn't sent."))
    return HANDLED


compose_flow = Flow(
    "bc_compose",
    [
        Ask(
            Step.TEXT,
            say=say_text,
            text=TextAnswer(parse=parse_text, min_length=3, max_length=TEXT_MAX),
            then=Step.LINK,
        ),
        Ask(
            Step.LINK,
            say=say_link,
            choices=[
                Choice("none", N_("No link"), value=None, then=Step.AUDIENCE, means=("none", "no"))
            ],
            text=TextAnswer(parse=parse_link, max_length=500),
            then=Step.LABEL,
        ),
        Ask(
            Step.LABEL,
            say=say_label,
            choices=[Choice("default", N_("Use “More information”"), value=None)],
            text=TextAnswer(parse=parse_label, max_length=LABEL_MAX),
            then=Step.AUDIENCE,
        ),
        Ask(Step.AUDIENCE, say=say_audience, choices=audience_choices),
        Ask(Step.AREA, say=say_area, choices=area_choices),
        Ask(Step.THEME, say=say_theme, choices=THEME_CHOICES, columns=2),
        Ask(Step.PHASE, say=say_phase_filter, choices=PHASE_CHOICES),
        Ask(Step.WHO, say=say_who, choices=WHO_CHOICES),
        Ask(Step.REACH, say=say_reach, choices=REACH_CHOICES),
        Ask(
            Step.CONFIRM,
            say=say_confirm,
            choices=[
                Choice("send", N_("Send it now"), then=send_now),
                Choice("audience", N_("Change who gets it"), then=Step.AUDIENCE),
                Choice("text", N_("Change the text"), then=Step.TEXT),
                Choice("drop", N_("Don't send"), then=drop),
            ],
        ),
    ],
)


# --- cancelling --------------------------------------------------------------------------------


async def cancel_pressed(ctx: Ctx, ident: int | None) -> None:
    broadcast = await ctx.session.get(Broadcast, ident) if ident else None
    if broadcast is None:
        await conv.refuse_stale(ctx)
        return
    if not await may(ctx.session, ctx.person, Permission.BROADCAST):
        await refuse(ctx, Permission.BROADCAST, subject("broadcast", broadcast.id))
        return
    if broadcast.author_id != ctx.person.id and not await is_operator(ctx.session, ctx.person):
        await refuse(
            ctx,
            Permission.BROADCAST,
            subject("broadcast", broadcast.id),
            why=ctx._("Sorry, only the coach who sent this announcement can cancel it."),
        )
        return
    now = ctx.now()
    if broadcast.status is not BroadcastStatus.SENDING:
        ctx.toast(ctx._("This announcement is no longer being sent."))
        report = await report_of(ctx.session, broadcast.id or 0)
        ctx.say(render_report(ctx.texts, broadcast, report), report_buttons(ctx.texts))
        return
    stopped = await cancel(ctx.session, broadcast, now, actor_id=ctx.person.id, via="chat")
    report = await report_of(ctx.session, broadcast.id or 0)
    finished = await finish(ctx.session, broadcast, report, now)
    ctx.toast(ctx._("Cancelled."))
    event = ctx.incoming.event
    message_id = broadcast.progress_message_id or (
        event.message_id if isinstance(event, ButtonPress) else None
    )
    if message_id is not None and broadcast.progress_chat_id is not None:
        ctx.out.append(
            EditText(
                broadcast.progress_chat_id,
                message_id,
                progress_text(ctx.texts, broadcast, report),
            )
        )
    if finished:
        ctx.say(render_report(ctx.texts, broadcast, report), report_buttons(ctx.texts))
    else:
        ctx.say(
            ctx.n_(
                "Stopped: {n} message won't be sent. The few that were on their way "
                "still arrive; the report follows.",
                "Stopped: {n} messages won't be sent. The few that were on their way "
                "still arrive; the report follows.",
                stopped,
            ),
            [[overview_button(ctx.texts)], [menu_button(ctx.texts)]],
        )


async def new_pressed(ctx: Ctx, _press: BroadcastNew) -> None:
    await compose(ctx)


async def cancel_press(ctx: Ctx, press: BroadcastCancel) -> None:
    await cancel_pressed(ctx, press.broadcast_id)


async def preview_pressed(ctx: Ctx, _press: BroadcastPreview) -> None:
    ctx.toast(ctx._("This is the preview: this button does nothing here."))


# --- a resident's choice: announcements or not ---------------------------------------------------


def _choice_buttons(ctx: Ctx) -> list[list[Button]]:
    if ctx.person.announcements_opt_in:
        first = Button(ctx._("Stop announcements"), OptOut().pack())
    else:
        first = Button(ctx._("Yes, send me announcements"), OptIn().pack())
    return [[first], [menu_button(ctx.texts)]]


async def announcements_command(ctx: Ctx, _args: str) -> None:
    if await needs_onboarding(ctx):
        return
    if ctx.person.announcements_opt_in:
        text = ctx._(
            "<b>Announcements from coaches</b>\n\n"
            "You get them: news from the neighbourhood coaches, for example about a "
            "collective purchase or an information evening. They come only now and then."
        )
    else:
        text = ctx._(
            "<b>Announcements from coaches</b>\n\n"
            "You don't get them now. Neighbourhood coaches sometimes send news to the "
            "neighbours in their area, for example about a collective purchase or an "
            "information evening. Would you like to get those?"
        )
    ctx.say(text, _choice_buttons(ctx))


async def opt_out(ctx: Ctx, _press: OptOut) -> None:
    ctx.person.announcements_opt_in = False
    ctx.toast(ctx._("Announcements stopped."))
    ctx.say(
        ctx._(
            "Done: you don't get announcements from coaches any more. "
            "Your initiatives and reminders stay as they are.\n\n"
            "Changed your mind? Tap the button, or type /announcements."
        ),
        _choice_buttons(ctx),
    )


async def opt_in(ctx: Ctx, _press: OptIn) -> None:
    if await needs_onboarding(ctx):
        return
    ctx.person.announcements_opt_in = True
    ctx.toast(ctx._("Announcements on."))
    ctx.say(
        ctx._(
            "Nice! From now on you get announcements from the neighbourhood coaches. "
            "Each one has a button to stop them."
        ),
        _choice_buttons(ctx),
    )


def register(registry: Registry) -> None:
    registry.command(
        "bericht", "announce", description=N_("Coaches: send an announcement"), menu=False
    )(compose_command)
    registry.command(
        "aankondigingen", "announcements", description=N_("Announcements from coaches: yes or no")
    )(announcements_command)
    registry.on(BroadcastNew)(new_pressed)
    registry.on(BroadcastCancel)(cancel_press)
    registry.on(BroadcastPreview)(preview_pressed)
    registry.on(OptOut)(opt_out)
    registry.on(OptIn)(opt_in)
    registry.add_flow(compose_flow)
    announcements.register(registry)  # the announcements' renderers, and the campaigns'
