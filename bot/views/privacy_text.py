"""What the bot stores and why, in the person's words (/privacy, and onboarding's "What do
you store?"). On WhatsApp the bot knows the person's number, on Telegram an id: the text
says which, for the chat it is shown in."""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.seam import Network, network_of
from bot.i18n import Safe


def privacy_text(ctx: Ctx) -> Safe:
    if network_of(ctx.chat_id) is Network.WHATSAPP:
        return ctx._(
            "<b>What I store, and why</b>\n"
            "• Your WhatsApp number and first name, so I can answer you. Nobody else sees "
            "your number.\n"
            "• The name you choose, once you tap or type it. Your postcode only if you "
            "type it, to find initiatives near you. I never ask for your house number.\n"
            "• The initiatives you join, your answers to invitations, and what you plan.\n\n"
            "<b>Who sees it</b>\n"
            "The initiators of your initiative see your name when you join or say you are "
            "coming. A neighbourhood coach sees the initiatives in their area. "
            "In a street group only totals are shown, never who said what.\n\n"
            "<b>How long</b>\n"
            "As long as you use Buurbot. With /forgetme I delete everything about you. "
            "With /mydata you get a file with everything I know about you."
        )
    return ctx._(
        "<b>What I store, and why</b>\n"
        "• Your Telegram id and first name, so I can answer you.\n"
        "• The name you choose, once you tap or type it. Your postcode only if you "
        "type it, to find initiatives near you. I never ask for your house "
        "number or phone number.\n"
        "• The initiatives you join, your answers to invitations, and what you plan.\n\n"
        "<b>Who sees it</b>\n"
        "The initiators of your initiative see your name when you join or say you are "
        "coming. A neighbourhood coach sees the initiatives in their area. "
        "In a street group only totals are shown, never who said what.\n\n"
        "<b>How long</b>\n"
        "As long as you use Buurbot. With /forgetme I delete everything about you. "
        "With /mydata you get a file with everything I know about you."
    )
