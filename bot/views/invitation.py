"""An initiative's invitation link (`join-<token>`): in the invitation an initiator
forwards, on posters and door letters, and in the card for a WhatsApp group."""

from __future__ import annotations

from bot.core.context import Ctx
from storage.models import Initiative

LINK_PREFIX = "join"


def invite_payload(initiative: Initiative) -> str:
    return f"{LINK_PREFIX}-{initiative.invite_token}"


def invite_link(ctx: Ctx, initiative: Initiative) -> str:
    return ctx.services.deep_link(invite_payload(initiative), ctx.chat_id)
