"""A coach's weekly digest as the coach reads it (the figures: bot.domain.coaches.digest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.domain.coaches import Digest
from bot.domain.phases import phase_label
from bot.i18n import Safe, Texts
from bot.views.text import shorten

SNIPPET = 80  # of an open question
LIST_MAX = 8


def _section(texts: Texts, title: str, items: Sequence[str], empty: str) -> str:
    if not items:
        return f"{title}\n{empty}"
    shown = [f"• {item}" for item in items[:LIST_MAX]]
    if len(items) > LIST_MAX:
        rest = len(items) - LIST_MAX
        shown.append(texts.n_("… and {n} more", "… and {n} more", rest))
    return title + "\n" + "\n".join(shown)


def render_digest(texts: Texts, data: Digest) -> Safe:
    """The digest as a coach reads it, in their language (safe HTML)."""
    counts = " · ".join(
        texts._("{phase}: {count}", phase=phase_label(texts, phase), count=count)
        for phase, count in data.phase_counts.items()
        if count
    )
    parts = [
        texts._(
            "<b>Your week as a coach</b> ({start} – {end})",
            start=texts.day(data.since.astimezone(texts.tz).date()),
            # The days it covers, the last one the day before it is read.
            end=texts.day(data.until.astimezone(texts.tz).date() - timedelta(days=1)),
        ),
        texts.n_(
            "<b>{n} initiative</b> in your portfolio",
            "<b>{n} initiatives</b> in your portfolio",
            data.total,
        )
        + (f"\n{counts}" if counts else ""),
        _section(
            texts,
            texts._("<b>Phase changes this week</b>"),
            [
                texts._("{title}: now {phase}", title=title, phase=phase_label(texts, phase))
                for title, phase in data.phase_changes
            ]
            + [texts._("{title}: new", title=title) for title in data.new_initiatives],
            texts._("No changes this week."),
        ),
        _section(
            texts,
            texts._("<b>Quiet, may need a hand</b>"),
            [
                texts.n_("{title}: quiet for {n} day", "{title}: quiet for {n} days", q, title=t)
                for t, q in data.stalled
            ],
            texts._("None: everyone is active."),
        ),
        _section(
            texts,
            texts._("<b>Open questions</b>"),
            [
                texts.n_(
                    "{title}: “{question}” (waiting {n} day)",
                    "{title}: “{question}” (waiting {n} days)",
                    waiting,
                    title=title,
                    question=shorten(question, SNIPPET),
                )
                for title, question, waiting in data.open_requests
            ],
            texts._("None."),
        ),
        _section(
            texts,
            texts._("<b>Coming up</b>"),
            [
                texts._(
                    "{when}: {title} ({initiative})",
                    when=texts.short_when(when),
                    title=title,
                    initiative=initiative,
                )
                for when, title, initiative in data.upcoming
            ],
            texts._("Nothing planned in the next two weeks."),
        ),
    ]
    return Safe("\n\n".join(parts))
