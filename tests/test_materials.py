"""Paper and calendars: the poster, the door letter and the tally sheet rendered to PDF
with a QR code that decodes to the right deep link (pdftoppm + zbarimg, Debian's
poppler-utils and zbar-tools, installed by .ci/run); the .ics parsed back with icalendar
across summer and winter time, its SEQUENCE and CANCELLED status; door tallies entered
back. ``BUURBOT_PREVIEWS=1`` also writes the pages as PNG to docs/materials/."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import select

from bot.core.payloads import pack
from bot.core.seam import Outgoing, SendDocument
from storage.models import Action, ActionStatus, Initiative, Outcome, OutcomeSource
from tests.conftest import REQUIRE_SERVICES
from tests.support.driver import Driver
from tests.test_journey_actions import (
    get,
    kit_title,
    latest_action,
    onboard,
    plan,
    press_payload,
    seed_initiative,
    sqlite_services,  # noqa: F401  (the fixture without the flood guard)
)

TOOLS = ("pdftoppm", "pdftotext", "zbarimg")
PREVIEWS = Path(__file__).resolve().parent.parent / "docs" / "materials"


@pytest.fixture(scope="module")
def tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"{', '.join(missing)} missing: apt-get install poppler-utils zbar-tools"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)


def documents(out: list[Outgoing]) -> list[SendDocument]:
    return [each for each in out if isinstance(each, SendDocument)]


def read_pdf(pdf: bytes, folder: Path, name: str) -> tuple[str, str]:
    """(the QR code's content on page 1, the text of the whole PDF)."""
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "110",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            source,
            folder / name,
        ],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", folder / f"{name}.png"], capture_output=True, text=True
    )
    text = subprocess.run(
        ["pdftotext", "-layout", source, "-"], capture_output=True, text=True, check=True
    ).stdout
    if os.environ.get("BUURBOT_PREVIEWS") == "1":
        PREVIEWS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                source,
                PREVIEWS / name,
            ],
            check=True,
        )
    return scanned.stdout.strip(), " ".join(text.split())


async def test_poster_letter_and_tally_carry_the_action_and_a_working_qr_code(
    driver: Driver, tools: None, tmp_path: Path
) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna)
    await press_payload(anna, pack("kit", "use", "tile-lifting", iid))
    await anna.press(kit_title("tile-lifting"))
    await anna.send("za 12 dec 14:00")
    await anna.press("Ja")
    await anna.send("Lindelaan <12>")
    await anna.press("Geen limiet")
    action = await latest_action(driver)
    link = f"https://t.me/buurbot_test_bot?start=act-{action.link_token}"

    await press_payload(anna, pack("act", "show", action.id))
    assert {"Maak een poster", "Zet in mijn agenda"} <= set(anna.buttons)
    sent = documents(await anna.press("Maak een poster"))
    assert [d.filename for d in sent] == [
        "poster-tegel-eruit-plant-erin.pdf",
        "brief-tegel-eruit-plant-erin.pdf",
    ]
    assert "bereik je ook de buren die niet online zijn" in anna.last
    qr, text = read_pdf(sent[0].content, tmp_path, "poster")
    assert qr == link
    for expected in (
        "Tegel eruit, plant erin",
        "zaterdag 12 december",
        "14:00",
        "Lindelaan <12>",  # the place as typed: escaped in the HTML, shown as is
        "Werkhandschoenen",  # what to bring, from the kit
        "Vraag het aan Anna",
        "Scan de code",
    ):
        assert expected in text, expected
    qr, text = read_pdf(sent[1].content, tmp_path, "letter")
    assert qr == link and "Beste buur," in text and "Niet online? Geen probleem" in text
    assert "Het is voor Groene Lindelaan, een initiatief" in text and "<b>" not in text

    assert "Dezelfde in het Engels" in anna.buttons  # (rendered below, for the invitation)

    tally = documents(await anna.press("Turflijst voor langs de deuren"))
    qr, text = read_pdf(tally[0].content, tmp_path, "tally")
    assert qr == link and "Langs de deuren: Tegel eruit, plant erin" in text and "Zegt ja" in text

    # Back from the doors: the totals typed in, checked, and stored as door tallies.
    await anna.press("Deurtelling invoeren")
    assert "Bij hoeveel huishoudens" in anna.last
    await anna.send("30 huizen")
    await anna.send("40")
    assert "Dat is meer dan de 30 huishoudens" in anna.last
    await anna.send("twaalf")
    assert "Genoteerd: 12 huishoudens zeiden aan de deur ja" in anna.last
    async with driver.services.db.transaction() as session:
        rows = (await session.execute(select(Outcome).order_by(Outcome.id))).scalars().all()
    assert [(r.key, r.value, r.source, r.action_id) for r in rows] == [
        ("door_visited", 30, OutcomeSource.DOOR, action.id),
        ("door_yes", 12, OutcomeSource.DOOR, action.id),
    ]
    await press_payload(anna, pack("ini", "card", iid))
    assert "Huishoudens die aan de deur ja zeiden: 12 huishoudens" in anna.last

    # The QR code, scanned by a neighbour not yet in: the initiative's invitation.
    await bob.command("start", f"act-{action.link_token}")
    assert "Groene Lindelaan" in bob.last and "Ik kom" not in bob.buttons
    # Only organisers make posters; an unknown token gets the one answer for any link.
    refused = documents(await press_payload(bob, pack("mat", "poster", action.id)))
    assert refused == []
    await bob.command("start", "act-nosuchtoken0000")
    assert "Groene Lindelaan" not in bob.last

    # The initiative's invitation has its poster too, in English on request.
    await press_payload(anna, pack("ini", "card", iid))
    await anna.press("Poster en brief")
    sent = documents(await anna.press("Dezelfde in het Engels"))
    async with driver.services.db.transaction() as session:
        token = (await session.get(Initiative, iid)).invite_token  # type: ignore[union-attr]
    qr, text = read_pdf(sent[0].content, tmp_path, "invitation-poster-en")
    assert qr == f"https://t.me/buurbot_test_bot?start=join-{token}"
    assert "Groene Lindelaan" in text and "Tegels eruit, planten erin" in text
    assert "Scan the code with your phone" in text and "Questions?" in text


def event_of(ics: bytes):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(ics)
    assert any(
        c.name == "VTIMEZONE" and str(c["TZID"]) == "Europe/Amsterdam" for c in calendar.walk()
    )
    (event,) = [c for c in calendar.walk() if c.name == "VEVENT"]
    return event


async def test_calendar_files_keep_their_uid_move_with_the_action_and_cancel(
    driver: Driver,
) -> None:
    anna = await onboard(driver, "Anna")
    bob = await onboard(driver, "Bob")
    iid = await seed_initiative(driver, anna, followers=(bob,))
    winter = await plan(anna, iid, title="Tegelwipdag", when="za 12 dec 14:00")

    # The confirmation of "I'm coming" offers the calendar file, one tap away.
    await press_payload(bob, pack("rsvp", winter.id, "c"))
    assert "Genoteerd: je komt" in bob.last and "Zet in mijn agenda" in bob.buttons
    sent = documents(await bob.press("Zet in mijn agenda"))
    assert [d.filename for d in sent] == ["agenda-tegelwipdag.ics"]
    event = event_of(sent[0].content)
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and str(event["dtstart"].params["TZID"]) == "Europe/Amsterdam"
    assert start.astimezone(UTC) == datetime(2026, 12, 12, 13, 0, tzinfo=UTC)  # CET, +1
    assert event.decoded("dtend") > start
    assert str(event["location"]) == "Lindelaan 1"
    assert f"act-{winter.link_token}" in str(event["description"])
    assert int(event["sequence"]) == 0 and str(event["status"]) == "CONFIRMED"
    uid = str(event["uid"])

    summer = await plan(anna, iid, title="Regentonnen", when="zo 4 april 2027 14:00")
    sent = documents(await press_payload(anna, pack("mat", "ics", summer.id)))
    start = event_of(sent[0].content).decoded("dtstart")
    assert start.astimezone(UTC) == datetime(2027, 4, 4, 12, 0, tzinfo=UTC)  # CEST, +2
    assert start.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]

    # Moved: the same UID, SEQUENCE one up.
    await press_payload(anna, pack("act", "edit", winter.id))
    await anna.press("Dag en tijd")
    await anna.send("zo 13 dec 15:00")
    await anna.press("Ja")
    assert "Bewaard" in anna.last, anna.last
    moved = await get(driver, Action, winter.id or 0)
    assert moved.ics_sequence == 1
    event = event_of(documents(await press_payload(bob, pack("mat", "ics", winter.id)))[0].content)
    assert str(event["uid"]) == uid and int(event["sequence"]) == 1
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 13, 14, 0, tzinfo=UTC)

    # Cancelled: STATUS:CANCELLED, SEQUENCE up again.
    await press_payload(anna, pack("act", "cancelok", winter.id))
    assert (await get(driver, Action, winter.id or 0)).status is ActionStatus.CANCELLED
    event = event_of(documents(await press_payload(bob, pack("mat", "ics", winter.id)))[0].content)
    assert str(event["uid"]) == uid
    assert int(event["sequence"]) == 2 and str(event["status"]) == "CANCELLED"


def test_every_text_of_the_templates_is_in_the_catalogs() -> None:
    """The templates call t("..."): each msgid is listed for extraction, so none stays
    English on a Dutch poster."""
    import re

    from bot.i18n import texts_for
    from bot.views.materials import TEMPLATE_TEXTS, TEMPLATES

    used = {
        msgid
        for page in TEMPLATES.glob("*.html")
        for msgid in re.findall(r't\("([^"]*)"', page.read_text(encoding="utf-8"))
    }
    assert used and used <= set(TEMPLATE_TEXTS)
    dutch = texts_for("nl")
    untranslated = [m for m in used if dutch._(m) == m and m not in ("Factor", "Over")]
    assert untranslated == []
