"""Share cards: Buurbot in the street's own WhatsApp group.

A bot cannot be in an ordinary WhatsApp group, so the street group is served by a card an
initiator forwards into it: "Deel in de groepsapp" on the invitation screen (button
`ini:share:<id>`) gives the card's text, and a `https://wa.me/?text=…` link that opens
WhatsApp's picker with the card filled in. The card's join link is
`https://wa.me/<number>?text=join-<code>`: a neighbour who taps it opens the conversation
with Buurbot with the code already typed, and sending it is the invitation
(`bot.runtimes.whatsapp` reads a typed code as /start with it). Without a WhatsApp number
configured the join link is the Telegram one.
"""

from __future__ import annotations

from bot.core.adapt import plain
from bot.core.context import Ctx
from bot.core.identities import wa_link
from bot.core.registry import Registry
from bot.core.seam import Button
from bot.domain.authz import Permission
from bot.i18n import texts_for
from bot.views.buttons import BACK_TO_THE_INITIATIVE, initiative_button, menu_button
from bot.views.card_press import on_initiative
from bot.views.invitation import invite_payload
from bot.views.routes import IniShare
from storage.models import Initiative

__all__ = ["card_text", "share_link"]


def join_link(ctx: Ctx, initiative: Initiative) -> str:
    number = ctx.services.settings.whatsapp_number
    payload = invite_payload(initiative)
    return wa_link(number, payload) if number else ctx.services.deep_link(payload, ctx.chat_id)


def card_text(ctx: Ctx, initiative: Initiative) -> str:
    """The card as plain text (WhatsApp fills it in as typed), in the sharer's language."""
    texts = texts_for(ctx.texts.lang)
    lines = [
        plain(texts._("🏡 {title}", title=initiative.title)),
        " ".join((initiative.what or "").split()),
        "",
        plain(
            texts._(
                "Join in? Tap this link and send the message that appears: {link}",
                link=join_link(ctx, initiative),
            )
        ),
    ]
    return "\n".join(lines)


def share_link(card: str) -> str:
    """WhatsApp's picker with `card` filled in (any chat or group)."""
    return wa_link("", card)


async def share_pressed(ctx: Ctx, initiative: Initiative | None, _press: IniShare) -> None:
    assert initiative is not None
    card = card_text(ctx, initiative)
    ctx.say(
        ctx._(
            "Here is a card for your street's group chat. Tap the button to pick the "
            "group; the text is filled in. Neighbours who tap its link start with "
            "Buurbot straight away.\n\n{card}",
            card=card,
        ),
        [
            [Button(ctx._("Share in the group chat"), url=share_link(card))],
            [
                initiative_button(ctx.texts, initiative.id, BACK_TO_THE_INITIATIVE),
                menu_button(ctx.texts),
            ],
        ],
    )


def register(registry: Registry) -> None:
    registry.on(IniShare)(on_initiative(Permission.INVITE)(share_pressed))
