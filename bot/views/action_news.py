"""What the people of an action are told when it changes for them (a place came free;
how many heard of a move or a cancellation), and the kit's invitation an organiser
forwards to the street."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.context import Ctx
from bot.core.seam import Button
from bot.domain.kits import Kit
from bot.i18n import Safe, Texts, escape
from bot.views.buttons import action_button, initiative_button, menu_button, rsvp_row
from bot.views.screens import tell_people
from storage.models import Action, Initiative, Resident, RsvpAnswer


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
            [action_button(texts, action.id or 0), menu_button(texts)],
        ]

    await tell_people(ctx, people, render)


def told_of_change(ctx: Ctx, told: int) -> str:
    """How many were told of a moved or cancelled action; zero said as such."""
    if told == 0:
        return ctx._("There was nobody else to tell.")
    return ctx.n_(
        "I told {n} neighbour who knew about it.", "I told {n} neighbours who knew about it.", told
    )


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


def send_invitation(ctx: Ctx, action: Action, initiative: Initiative, kit: Kit) -> None:
    """The invitation, then how to pass it on."""
    ctx.say(invitation_of(ctx, action, initiative, kit))
    ctx.say(
        ctx._(
            "☝️ Forward the invitation above to your neighbours: in the street's group chat, "
            "by WhatsApp or e-mail, or print it for the letterboxes. "
            "The link in it lets them join."
        ),
        [
            [action_button(ctx.texts, action.id or 0)],
            [initiative_button(ctx.texts, initiative.id or 0), menu_button(ctx.texts)],
        ],
    )
