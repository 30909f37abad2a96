"""What the bot says about coaches' announcements: the audience in words, the coach's
progress message and report, and the outbox's renderers of announcements, their
progress and the campaign calendar's (the rules are in bot/domain/broadcasts.py and
bot/domain/programmes.py). The broadcast flow registers the renderers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.core.registry import Registry
from bot.core.seam import Button, EditText, Keyboard, Outgoing, SendText
from bot.domain import broadcasts, campaign
from bot.domain.authz import Permission, may
from bot.domain.broadcasts import (
    AHEAD,
    CANCELLED,
    GROUP_GONE,
    KIND,
    OPTED_OUT,
    PROGRESS_KIND,
    REACH_LABELS,
    TICK,
    WHO_LABELS,
    Audience,
    Reach,
    Report,
    finish,
    report_of,
)
from bot.domain.phases import phase_label
from bot.domain.programmes import CAMPAIGN_KIND
from bot.i18n import Safe, Texts, escape, texts_for
from bot.views.buttons import menu_button
from bot.views.cards import THEME_LABELS
from bot.views.coach import overview_button
from bot.views.routes import BroadcastCancel, BroadcastNew, BroadcastPreview, OptOut
from bot.views.skip_reasons import reason_lines
from bot.views.text import shorten
from scheduler.messages import Skip, context_of, fetch, person_of, recipient, texts_of
from storage.models import (
    Broadcast,
    BroadcastStatus,
    CampaignItem,
    CampaignStatus,
    GroupChat,
    Programme,
    ScheduledMessage,
)

SNIPPET = 60  # of the announcement, in its report


def announcement(
    texts: Texts,
    *,
    text: str,
    link_url: str | None,
    link_label: str | None,
    author: str | None,
    for_group: bool = False,
    preview: bool = False,
) -> tuple[Safe, Keyboard]:
    """The announcement as its reader sees it: a header, the coach's text, the optional
    link button and (in private chats) the one-tap "stop announcements" button."""
    if author:
        header = texts._("📣 <b>Announcement from {name}, neighbourhood coach</b>", name=author)
    else:
        header = texts._("📣 <b>Announcement from Buurbot</b>")
    parts = [header, escape(text)]
    rows: list[tuple[Button, ...]] = []
    if link_url:
        label = link_label or texts._("More information")
        rows.append((Button(label, url=link_url),))
    if not for_group:
        parts.append(
            texts._("<i>You get this because you said yes to announcements from coaches.</i>")
        )
        stop = BroadcastPreview().pack() if preview else OptOut().pack()
        rows.append((Button(texts._("Stop announcements"), stop),))
    return Safe("\n\n".join(parts)), tuple(rows)


def register(registry: Registry) -> None:
    registry.renderer(KIND, essential=True, budget=False)(render_broadcast)
    registry.renderer(
        PROGRESS_KIND, essential=True, at_most_once=True, quiet_hours=False, budget=False
    )(render_progress)
    registry.renderer(
        CAMPAIGN_KIND, essential=True, at_most_once=True, quiet_hours=False, budget=False
    )(render_campaign)


def describe(texts: Texts, audience: Audience, *, all_areas_label: str | None = None) -> Safe:
    """The audience in words: "everyone who opted in · area 1000–1099 · theme Greener"."""
    parts: list[str] = []
    if audience.areas:
        parts.append(
            texts._("area {areas}", areas=", ".join(area.label() for area in audience.areas))
        )
    elif all_areas_label:
        parts.append(all_areas_label)
    if audience.theme is not None:
        parts.append(texts._("theme {theme}", theme=texts._(THEME_LABELS[audience.theme])))
    if audience.phase is not None:
        parts.append(texts._("phase {phase}", phase=phase_label(texts, audience.phase)))
    parts.append(texts._(WHO_LABELS[audience.who]).lower())
    if audience.reach is not Reach.PEOPLE:
        parts.append(texts._(REACH_LABELS[audience.reach]).lower())
    return Safe(" · ".join(escape(part) for part in parts))


def _figures(texts: Texts, report: Report) -> list[str]:
    lines: list[str] = [
        texts._(
            "✅ Delivered: {delivered} of {total}",
            delivered=texts.number(report.delivered),
            total=texts.number(report.total),
        )
    ]
    if report.unreachable:
        lines.append(
            texts._(
                "🚫 Unreachable (blocked the bot or gone): {n}",
                n=texts.number(report.unreachable),
            )
        )
    if report.opted_out:
        lines.append(
            texts._("🔕 Stopped announcements since: {n}", n=texts.number(report.opted_out))
        )
    if report.cancelled:
        lines.append(texts._("⛔ Not sent (cancelled): {n}", n=texts.number(report.cancelled)))
    if report.failed:
        reasons = "; ".join(
            f"{reason} ({count})" for reason, count in report.reasons.most_common(5)
        )
        lines.append(
            texts._("⚠️ Failed: {n} ({reasons})", n=texts.number(report.failed), reasons=reasons)
        )
    lines += reason_lines(texts, report.whatsapp, report.whatsapp_waiting)
    return lines


def progress_text(texts: Texts, broadcast: Broadcast, report: Report) -> Safe:
    """The progress message, while sending and when done."""
    if report.done:
        if broadcast.status is BroadcastStatus.CANCELLED:
            title = texts._("📣 <b>Announcement cancelled</b>")
        else:
            title = texts._("📣 <b>Announcement sent</b>")
    elif broadcast.status is BroadcastStatus.CANCELLED:
        title = texts._("📣 <b>Cancelling the announcement…</b>")
    else:
        title = texts._("📣 <b>Sending your announcement…</b>")
    lines = [
        title,
        texts._("“{text}”", text=shorten(broadcast.text, SNIPPET)),
        *_figures(texts, report),
    ]
    if not report.done:
        lines.append(texts._("⏳ Still to send: {n}", n=texts.number(report.pending)))
        if report.waiting:
            lines.append(
                texts._(
                    "🌙 {n} of them get it when their quiet hours end.",
                    n=texts.number(report.waiting),
                )
            )
    return Safe("\n".join(lines))


def render_report(texts: Texts, broadcast: Broadcast, report: Report) -> Safe:
    """The final report, as a message of its own."""
    if broadcast.status is BroadcastStatus.CANCELLED:
        title = texts._("<b>Report of your cancelled announcement</b>")
    else:
        title = texts._("<b>Report of your announcement</b>")
    lines = [
        title,
        texts._("“{text}”", text=shorten(broadcast.text, SNIPPET)),
        *_figures(texts, report),
    ]
    lines.append("")
    lines.append(texts._("What would you like to do next?"))
    return Safe("\n".join(lines))


def cancel_button(texts: Texts, broadcast_id: int | None) -> Button:
    return Button(texts._("Cancel the announcement"), BroadcastCancel(broadcast_id or 0).pack())


def report_buttons(texts: Texts) -> Keyboard:
    return (
        (Button(texts._("New announcement"), BroadcastNew().pack()),),
        (overview_button(texts), menu_button(texts)),
    )


# --- what the outbox sends ---------------------------------------------------------------


async def author_name(session: AsyncSession, broadcast: Broadcast) -> str | None:
    author = await person_of(session, broadcast.author_id)
    return author.display_name if author is not None else None


async def render_broadcast(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing]:
    """One recipient's announcement, checked again just before it goes."""
    broadcast = await fetch(session, Broadcast, row.broadcast_id)
    if broadcast is None or broadcast.status is BroadcastStatus.CANCELLED:
        raise Skip(CANCELLED)
    if broadcast.author_id is not None:
        writer = await person_of(session, broadcast.author_id)
        if writer is None or not await may(session, writer, Permission.BROADCAST):
            raise Skip(CANCELLED)  # no longer a coach: not sent on in their name
    author = await author_name(session, broadcast)
    if row.resident_id is not None:
        person = await recipient(session, row)
        if not person.announcements_opt_in:
            raise Skip(OPTED_OUT)
        text, keyboard = announcement(
            texts_of(person),
            text=broadcast.text,
            link_url=broadcast.link_url,
            link_label=broadcast.link_label,
            author=author,
        )
        return [SendText(person.telegram_id, text, keyboard)]
    group = (
        await session.execute(select(GroupChat).where(GroupChat.chat_id == row.chat_id))
    ).scalar_one_or_none()
    if group is None or not group.active or group.initiative_id is None:
        raise Skip(GROUP_GONE)
    services = context_of(session).services
    language = services.settings.default_language
    text, keyboard = announcement(
        texts_for(language),
        text=broadcast.text,
        link_url=broadcast.link_url,
        link_label=broadcast.link_label,
        author=author,
        for_group=True,
    )
    return [SendText(group.chat_id, text, keyboard)]


async def render_progress(
    session: AsyncSession, row: ScheduledMessage, now: datetime
) -> list[Outgoing] | None:
    """The coach's progress message, edited in place; at the end, the report."""
    payload = row.payload or {}
    broadcast = await fetch(session, Broadcast, int(payload.get("broadcast_id") or 0))
    if broadcast is None or broadcast.finished_at is not None:
        raise Skip("the broadcast is finished")
    coach = await person_of(session, broadcast.author_id)
    chat_id = broadcast.progress_chat_id or row.chat_id
    if coach is None or chat_id is None:
        raise Skip("the author is gone")
    texts = texts_of(coach)
    message_id = await broadcasts.progress_message_id(session, broadcast)
    report = await report_of(session, broadcast.id or 0)
    if report.done:
        await finish(session, broadcast, report, now)
        out: list[Outgoing] = []
        if message_id is not None:
            out.append(EditText(chat_id, message_id, progress_text(texts, broadcast, report)))
        out.append(
            SendText(chat_id, render_report(texts, broadcast, report), report_buttons(texts))
        )
        return out
    signature = report.signature()
    changed = signature != payload.get("shown") and message_id is not None
    due = now + TICK
    if report.next_due is not None and report.pending == report.waiting:
        due = max(due, report.next_due + TICK)  # all waiting for the morning: so does this
    elif report.next_due is not None and report.next_due <= now:
        # A backlog is being sent, oldest first: a tick due later would wait behind all of
        # it. Due just before the backlog, it goes along with the dispatcher's next batch.
        due = min(due, report.next_due - AHEAD)
    await broadcasts.schedule_progress_tick(
        session,
        broadcast,
        int(payload.get("n") or 0) + 1,
        due,
        now,
        shown=signature if changed else str(payload.get("shown") or ""),
    )
    if not changed or message_id is None:
        return None
    keyboard: Keyboard = ()
    if broadcast.status is BroadcastStatus.SENDING:
        keyboard = ((cancel_button(texts, broadcast.id),),)
    return [EditText(chat_id, message_id, progress_text(texts, broadcast, report), keyboard)]


async def render_campaign(session: AsyncSession, row: ScheduledMessage, now: datetime) -> None:
    """A campaign announcement's date came: start it as a broadcast (its rows are paced and
    quiet hours apply to each recipient); this row itself sends nothing."""
    item = await session.get(CampaignItem, int((row.payload or {}).get("campaign_item_id") or 0))
    if item is None or item.status is not CampaignStatus.APPROVED:
        raise Skip("the campaign announcement is not approved")
    programme = await session.get(Programme, item.programme_id)
    if programme is None:
        raise Skip("the programme is gone")
    broadcast, recipients = await broadcasts.start(
        session,
        author=None,
        text=item.text,
        link_url=item.link_url,
        link_label=item.link_label,
        audience=campaign.audience_of(programme),
        now=now,
        via=f"campaign:{item.id}",
    )
    item.broadcast_id = broadcast.id
    item.status = CampaignStatus.SENT
    raise Skip(f"started as broadcast {broadcast.id} to {recipients.count} recipients")
