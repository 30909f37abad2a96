"""What the coach's screens share (the coach's flows: bot/flows/coach.py, support.py,
broadcast.py, web.py): a kind refusal that is written to the audit log, how a neighbour
is named to a coach, and the buttons back to the overview and to an initiative."""

from __future__ import annotations

from sqlmodel import select

from bot.core import conversation as conv
from bot.core.context import Ctx
from bot.core.seam import Button
from bot.domain.audit import audit
from bot.domain.authz import Permission, may, nameable
from bot.domain.coaches import subject
from bot.i18n import Texts
from bot.views.buttons import BACK_TO_THE_INITIATIVE, menu_button
from bot.views.routes import CoachCard, CoachOverview
from storage.models import AuditLog, PersonFacts


async def refuse(
    ctx: Ctx, permission: Permission, what: str = "", *, why: str | None = None
) -> None:
    """Not for this person: say so kindly (``why``, or the reason that fits the person),
    offer a way on, and log it."""
    audit(
        ctx.session,
        actor_id=ctx.person.id,
        action="refused",
        subject=what or str(permission),
        at=ctx.now(),
        permission=str(permission),
    )
    ctx.toast(ctx._("That isn't available for you."))
    conv.leave_flow(ctx, keep_for_later=True)
    if why is not None:
        ctx.say(why, [[menu_button(ctx.texts)]])
        return
    if await may(ctx.session, ctx.person, Permission.COACH_OVERVIEW):
        text = ctx._(
            "Sorry, this initiative is coached by someone else, so I can't open that for you. "
            "Your own initiatives are in your overview."
        )
        ctx.say(text, [[overview_button(ctx.texts)], [menu_button(ctx.texts)]])
        return
    if await was_coach(ctx):
        await conv.show_menu(
            ctx,
            intro=ctx._(
                "Sorry, you're no longer a neighbourhood coach, so I can't open this for you. "
                "Another coach takes it over. Thank you for all your help!"
            ),
        )
        return
    await conv.show_menu(
        ctx,
        intro=ctx._(
            "Sorry, that is only for neighbourhood coaches. "
            "Would you like help from a coach? Open your initiative and tap “Ask my coach”."
        ),
    )


async def was_coach(ctx: Ctx) -> bool:
    """Whether the person was removed as a coach (the audit log remembers)."""
    found = await ctx.session.execute(
        select(AuditLog.id)
        .where(
            AuditLog.action == "coach_removed",
            AuditLog.subject == subject("resident", ctx.person.id),
        )
        .limit(1)
    )
    return found.scalar_one_or_none() is not None


async def needs_onboarding(ctx: Ctx) -> bool:
    if ctx.person.onboarded_at is None:
        await conv.start_flow(ctx, "onboarding")
        return True
    return False


def shown_name(texts: Texts | Ctx, person: PersonFacts | None) -> str:
    """A neighbour as a coach may see them: by name only with their consent."""
    return person.display_name if nameable(person) else texts._("a neighbour")


def overview_button(texts: Texts, page: int = 0) -> Button:
    return Button(texts._("My initiatives as a coach"), CoachOverview(page).pack())


def coach_card_button(
    texts: Texts, initiative_id: int | None, label: str = BACK_TO_THE_INITIATIVE
) -> Button:
    """The initiative's card as its coach sees it; `label` as for `initiative_button`."""
    return Button(texts._(label), CoachCard(initiative_id or 0).pack())
