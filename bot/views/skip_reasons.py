"""What a coach reads of the messages WhatsApp's window kept from people (the counts:
bot/domain/whatsapp_skips.py)."""

from __future__ import annotations

from collections import Counter

from bot.domain.whatsapp_skips import SKIP_REASONS
from bot.i18n import Texts


def reason_lines(texts: Texts, skipped: Counter[str], waiting: int = 0) -> list[str]:
    """ "📵 3 not delivered: outside WhatsApp's 24-hour window", per reason, most first."""
    lines = [
        str(
            texts._(
                "📵 {n} not delivered: {reason}",
                n=texts.number(count),
                reason=texts._(SKIP_REASONS[reason]),
            )
        )
        for reason, count in skipped.most_common()
    ]
    if waiting:
        lines.append(
            str(
                texts.n_(
                    "💬 {n} waits until they write on WhatsApp again",
                    "💬 {n} wait until they write on WhatsApp again",
                    waiting,
                )
            )
        )
    return lines
