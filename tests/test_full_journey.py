"""The whole growth cycle in one scripted journey, in every language of the bot (nl, en,
tr, pl, ar, uk; each once, on SQLite): an idea,
two neighbours joining via the invitation, roles, a meeting and an action with RSVPs,
a waitlist and reminders, reports back, and the next action planned — the phase
advancing at each goal, and never a turn that leaves a person without a next step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from string import Formatter

import pytest
from babel.dates import format_date
from sqlmodel import select

from bot.core.services import Services
from bot.i18n import texts_for
from bot.i18n.catalogs import load
from scheduler.timing import FakeClock
from storage.models import Action, ActionStatus, Initiative, Phase
from tests.conftest import make_services
from tests.support.driver import Driver
from tests.support.journey import (
    START,
    TRANSCRIPT,
    Labels,
    read_steps,
    repeatable_tokens,
    run_journey,
    transcript_document,
)

PHASE_LINES = {
    "nl": ["Activeren (fase 2 van 5)", "Structureren (fase 3 van 5)",
           "Groeien (fase 4 van 5)", "Bestendigen (fase 5 van 5)"],
    "en": ["Activate (phase 2 of 5)", "Structure (phase 3 of 5)",
           "Grow (phase 4 of 5)", "Sustain (phase 5 of 5)"],
}  # fmt: skip


@pytest.fixture
async def journey_services(migrated_sqlite_url: str) -> AsyncIterator[Services]:
    services = make_services(migrated_sqlite_url, FakeClock(START), flood_max_updates=10_000)
    await services.db.migrate()
    yield services
    await services.db.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_from_an_idea_to_a_group_that_keeps_going(
    journey_services: Services, lang: str
) -> None:
    with repeatable_tokens():
        transcript = await run_journey(Driver(journey_services), lang)
    text = "".join(transcript.lines)
    if lang == "nl":  # the published transcript is what this code says
        assert transcript_document(transcript) == TRANSCRIPT.read_text(), (
            "docs/journey.nl.md is out of date: run `python -m tests.support.journey`"
        )

    assert transcript.dead_ends == []
    positions = [text.find(line) for line in PHASE_LINES[lang]]
    assert -1 not in positions, f"a phase was never reached: {positions}"
    assert positions == sorted(positions), "the phases came in the wrong order"

    await the_cycle_was_completed(journey_services)


async def the_cycle_was_completed(journey_services: Services) -> None:
    """What the journey leaves in the database, whatever its language."""
    async with journey_services.db.transaction() as session:
        initiative = (await session.execute(select(Initiative))).scalar_one()
        assert initiative.phase is Phase.SUSTAIN
        assert (initiative.households_reached, initiative.wishes_gathered) == (30, True)
        actions = (await session.execute(select(Action).order_by(Action.starts_at))).scalars().all()
    assert [a.status for a in actions] == [
        ActionStatus.HELD,
        ActionStatus.HELD,
        ActionStatus.PLANNED,
    ]
    assert actions[1].attended == 14 and actions[1].next_step == "rain-barrels"


def english_leaks(text: str, lang: str) -> list[str]:
    """English catalog sentences (or long literal parts of them) found in `text`: a text
    that reached a person untranslated. Kit texts are not msgids: their English fallback
    is allowed (and listed by `catalogs check`)."""
    found = []
    for message in load(lang):
        if not message.id or isinstance(message.id, tuple) or message.string == message.id:
            continue
        parts = [literal for literal, *_ in Formatter().parse(message.id)]
        found += [part for part in parts if len(part.strip()) >= 25 and part in text]
    return found


@pytest.mark.parametrize("lang", ["ar", "tr", "pl", "uk"])
async def test_the_journey_in_every_language(journey_services: Services, lang: str) -> None:
    """The same whole journey as nl and en, from the idea to Sustain, in Arabic (right to
    left, six plural forms), Turkish, Polish and Ukrainian: every button pressed by its
    label in that language, every date typed as a speaker of it types dates."""
    labels = Labels(lang)
    pressed = {step[6:] for step in read_steps() if step.startswith("press ")}
    # Every button is pressed by its label in this language; only a name stays a name.
    assert {dutch for dutch in pressed if labels.english(dutch) == dutch} == {"Cas"}
    with repeatable_tokens():
        transcript = await run_journey(Driver(journey_services), lang)
    text = "".join(transcript.lines)
    texts = texts_for(lang)

    assert transcript.dead_ends == []
    assert english_leaks(text, lang) == []
    assert texts._("Start something good in your street, together with your neighbours.")
    told = texts.n_(
        "I told {n} member about it, in their own chat.",
        "I told {n} members about it, in their own chats.",
        2,
    )
    assert told in text  # the language's form for two
    wednesday = format_date(date(2026, 12, 2), texts._("EEEE d MMMM"), locale=texts.locale)
    assert wednesday in text  # the meeting's day, in the person's locale
    names = ["Activate", "Structure", "Grow", "Sustain"]
    lines = [
        texts._(
            "{dots}  {name} (phase {number} of {total})",
            dots="",
            name=texts._(name),
            number=number,
            total=5,
        ).strip()
        for number, name in enumerate(names, 2)
    ]
    positions = [text.find(line) for line in lines]
    assert -1 not in positions and positions == sorted(positions), positions
    await the_cycle_was_completed(journey_services)
