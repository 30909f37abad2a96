"""What an action's paper says and its calendar file, for the chat and the web console
alike: a `Sheet` (poster, door letter, tally sheet) and the ``.ics`` with its file name.
No chat context needed: a session, the services (for the deep link) and the reader's
texts. The chat's flow (bot/flows/materials.py) and the console (web/app.py) both call
these, so the paper is the same wherever it is made."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.seam import SendDocument
from bot.domain.programmes import programmes_for
from bot.i18n import Texts
from bot.views.materials import Sheet, file_name
from bot.views.materials.calendar import action_ics
from bot.views.text import unescaped
from storage.models import Action, Initiative, Resident

if TYPE_CHECKING:
    from bot.core.services import Services

LINK_PREFIX = "act"


def action_link(services: Services, action: Action, address: int = 0) -> str:
    """The deep link of an action's QR code: ``act-<link token>``."""
    return services.deep_link(f"{LINK_PREFIX}-{action.link_token}", address)


async def owner_of(session: AsyncSession, initiative: Initiative, today: date) -> str | None:
    """The organisation of the running programme the initiative is part of, if any."""
    found = await programmes_for(session, initiative, today)
    return found[0].organisation if found else None


async def organiser_name(
    session: AsyncSession, initiative: Initiative, asker: Resident | None = None
) -> str:
    """The first name the paper is signed with: the asker when they are an initiator,
    else the first initiator (the asker's own name when there is none)."""
    from bot.domain.initiatives import initiators

    people = await initiators(session, initiative.id or 0)
    if asker is not None and (any(person.id == asker.id for person in people) or not people):
        return asker.first_name
    return people[0].first_name if people else ""


async def action_sheet(
    session: AsyncSession,
    services: Services,
    action: Action,
    initiative: Initiative,
    texts: Texts,
    *,
    today: date,
    asker: Resident | None = None,
    address: int = 0,
) -> Sheet:
    from bot.domain.actions import find_kit

    kit = find_kit(action.kit_id)
    words = kit.text(texts.lang) if kit else None
    summary = words.summary if words else initiative.what
    return Sheet(
        title=action.title,
        link=action_link(services, action, address),
        organiser=await organiser_name(session, initiative, asker),
        when=texts.when(action.starts_at),
        place=action.place,
        summary=summary,
        bring=words.bring if words else (),
        owner=await owner_of(session, initiative, today),
        body=(
            summary,
            unescaped(
                texts._(
                    "It is for {initiative}, an initiative of neighbours in our street. "
                    "You do not need to know anyone: everyone is welcome.",
                    initiative=initiative.title,
                )
            ),
        ),
    )


def action_calendar(
    services: Services,
    texts: Texts,
    action: Action,
    initiative: Initiative,
    *,
    now: datetime,
    address: int = 0,
) -> tuple[str, bytes]:
    """The action's ``.ics`` (its file name and content), in the reader's language and zone."""
    link = action_link(services, action, address)
    description = texts._(
        "{title}, for {initiative}. Your answer and the latest news: {link}",
        title=action.title,
        initiative=initiative.title,
        link=link,
    )
    content = action_ics(
        action,
        description=unescaped(description),
        url=link,
        bot_username=services.bot_username or services.settings.bot_username,
        now=now,
        timezone=str(texts.tz),
    )
    return file_name(texts._("calendar"), action.title, "ics"), content


def calendar_document(
    services: Services,
    texts: Texts,
    action: Action,
    initiative: Initiative,
    *,
    chat_id: int,
    now: datetime,
) -> SendDocument:
    """The action's .ics as a document for ``chat_id``, in the reader's language and zone
    (sent when they tap "Add to my calendar": on the action's card and the day-ahead reminder)."""
    filename, content = action_calendar(services, texts, action, initiative, now=now)
    return SendDocument(
        chat_id,
        filename=filename,
        content=content,
        caption=texts._("📅 Open the file to put it in your calendar."),
        if_refused=texts._("I could not send the calendar file just now, sorry."),
    )
