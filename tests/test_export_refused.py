"""A file Telegram refuses (too big, not allowed) is followed by the text it carries: the
person who asked for their data is never left waiting for a file that does not come."""

from __future__ import annotations

from bot.core.seam import Rejected, SendDocument, SendText
from tests.support.driver import Driver
from tests.test_journey_actions import onboard


async def test_a_refused_export_is_told_to_the_person(driver: Driver) -> None:
    anna = await onboard(driver, "Anna")
    driver.sender.fail_next(anna.who.id, Rejected("Request Entity Too Large"))
    before = len(anna.messages)
    await anna.command("mijngegevens")
    shown = anna.seen_since(before)
    assert "Het lukte me nu niet om je het bestand te sturen, sorry." in shown
    assert "typ over een paar minuten opnieuw /mijngegevens" in shown
    assert not [m for m in anna.messages[before:] if m.document is not None]


async def test_a_delivered_export_says_nothing_more(driver: Driver) -> None:
    tom = await onboard(driver, "Tom", "en")
    before = len(tom.messages)
    await tom.command("mydata")
    sent = driver.sender.sent[-3:]
    assert any(isinstance(a, SendDocument) for a in sent)
    assert "I couldn't send you the file" not in tom.seen_since(before)
    assert not [a for a in sent if isinstance(a, SendText) and "couldn't send" in a.text]
