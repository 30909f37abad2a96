"""A removed coach keeps no access, end to end over real HTTP against the local Bot API
server, on aiogram and on python-telegram-bot: coaches are added and removed with the real
`buurbot coach` commands (their own services on the bot's database, as from a shell),
while the bot runs. The red team's path: the removed coach opens an answered thread with
his old "Reply" button and answers; the resident's later reply (an address, a phone
number) must reach the new coach, never him. No call may be rejected by the server."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.config import Settings
from bot.i18n import texts_for
from bot.operator import add_operator_commands, run_operator_command
from bot.runtimes.common import plain_text
from bot.runtimes.telegram import Running
from local_bot_api import LocalBotApi
from local_bot_api.simulation import Person
from scheduler.dispatch import Dispatcher
from storage.models import Initiative, MemberRole, Membership, Phase, Resident, Theme
from tests.e2e.conftest import bot_settings

pytestmark = pytest.mark.e2e

NL, EN = texts_for("nl"), texts_for("en")


def midday_zone() -> str:
    """A zone where it is about noon now, so that no quiet hours hold a message back."""
    offset = 12 - datetime.now(UTC).hour
    offset = max(-12, min(14, offset))
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


async def coach_command(settings: Settings, *argv: str) -> str:
    """`buurbot coach ...` as typed in a shell: its own services, the bot's database."""
    parser = argparse.ArgumentParser(prog="buurbot")
    add_operator_commands(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = await run_operator_command(
        settings, parser.parse_args(["coach", *argv]), stdout=out, stderr=err
    )
    assert code == 0, err.getvalue()
    return out.getvalue()


async def seed(running: Running, people: dict[str, Person], initiator: str) -> int:
    """Onboarded residents who consented, and an initiative of the first one in 3511."""
    zone, now = midday_zone(), datetime.now(UTC)
    async with running.services.db.transaction() as session:
        stored = {}
        for name, person in people.items():
            stored[name] = Resident(
                telegram_id=person.id,
                first_name=person.name,
                name=person.name,
                language="nl" if name == initiator else "en",
                language_chosen=True,
                timezone=zone,
                consented_at=now,
                onboarded_at=now,
            )
            session.add(stored[name])
        initiative = Initiative(
            title="Groene Lindelaan",
            what="Tegels eruit, planten erin",
            place="Lindelaan",
            postcode_area="3511",
            theme=Theme.GREENER,
            phase=Phase.INITIATE,
            invite_token="e2e-coach-access",
            last_activity_at=now - timedelta(days=1),
        )
        session.add(initiative)
        await session.flush()
        session.add(
            Membership(
                initiative_id=initiative.id or 0,
                resident_id=stored[initiator].id or 0,
                role=MemberRole.INITIATOR,
                joined_at=now,
            )
        )
        return initiative.id or 0


async def test_a_removed_coach_cannot_read_or_answer_and_the_resident_reaches_the_new_one(
    bot: Running, server: LocalBotApi, runtime_name: str, database_file: Path
) -> None:
    settings = bot_settings(server, runtime_name, database_file)
    anna = server.person("Anna", language_code="nl")
    carla = server.person("Carla", language_code="en")
    bea = server.person("Bea", language_code="en")
    iid = await seed(bot, {"anna": anna, "carla": carla, "bea": bea}, "anna")
    added = await coach_command(
        settings, "add", "--telegram-id", str(carla.id), "--area", "3500-3599"
    )
    assert f"#{iid} Groene Lindelaan" in added
    await coach_command(settings, "add", "--telegram-id", str(bea.id), "--area", "3511")

    async def sweep() -> None:
        await Dispatcher(bot.services, bot.core.delivery).sweep()

    # Anna asks her coach; Carla answers.
    await anna.command("menu")
    await anna.wait_for_message(containing=NL._("What would you like to do?"))
    await anna.press(NL._("My initiatives"))
    await anna.wait_for_message(containing="Groene Lindelaan")
    await anna.press("Groene Lindelaan")
    await anna.wait_for_message(containing="Groene Lindelaan")
    await anna.press(NL._("Ask my coach"))
    await anna.wait_for_message(containing="Carla")
    await anna.send("Waar leen ik een tegelwipper?")
    await anna.wait_for_message()
    await sweep()
    question = await carla.wait_for_message(containing="A question from Anna")
    await carla.press_in(question, EN._("Reply"))
    await carla.wait_for_message(containing="Your answer to Anna")
    await carla.send("Bij de gemeente, gratis!")
    answer = await anna.wait_for_message(containing="Bij de gemeente, gratis!")
    await carla.wait_for_message(containing="Sent to Anna.")

    # The operator removes Carla from a shell while the bot runs.
    removed = await coach_command(settings, "remove", "--telegram-id", str(carla.id))
    assert f"#{iid} Groene Lindelaan → Bea" in removed

    # Carla's old "Reply" on the answered thread: a kind refusal, no flow, nothing read.
    query = await carla.press_in(question, EN._("Reply"))
    await server.wait_for_answer(query)
    refusal = await carla.wait_for_message(containing="now with another neighbourhood coach")
    assert "Waar leen ik" not in (refusal.text or "")
    await carla.send("Ik ben het, Carla: stuur me je adres")
    await carla.wait_for_message(containing=EN._("What would you like to do?"))

    # Anna replies in her thread with her address: it reaches Bea, and only Bea.
    await anna.press_in(answer, NL._("Reply"))
    await anna.wait_for_message()
    await anna.send("Ik woon op Lindelaan 5, bel me op 06-12345678")
    relayed = await bea.wait_for_message(containing="Lindelaan 5")
    assert "06-12345678" in (relayed.text or "")
    await anna.wait_for_message(containing="Bea")
    await sweep()
    carla_saw = [m.text or "" for m in carla.bot_messages]
    assert not any("Lindelaan 5" in text or "06-12345678" in text for text in carla_saw)
    assert not any("Ik ben het, Carla" in (m.text or "") for m in anna.bot_messages)

    # Bea answers from the relayed message; Anna gets it.
    await bea.press_in(relayed, EN._("Reply"))
    await bea.wait_for_message(containing="Your answer to Anna")
    await bea.send("Dank je, ik kom langs.")
    await anna.wait_for_message(containing="Dank je, ik kom langs.")

    # Anna was told kindly who answers now (sent by the outbox, whenever it swept).
    await sweep()
    moved = plain_text(
        NL._(
            "Good to know: <b>{coach}</b> is now the neighbourhood coach of <b>{title}</b>. "
            "Your messages about it go to {coach} from now on. Just reply here as before.",
            coach="Bea",
            title="Groene Lindelaan",
        )
    )
    await server.wait_until(
        lambda: any(moved in (m.text or "") for m in anna.bot_messages), what="Anna told"
    )
    async with bot.services.db.transaction() as session:
        carla_row = (
            await session.execute(select(Resident).where(Resident.telegram_id == carla.id))
        ).scalar_one()
        initiative = await session.get(Initiative, iid)
        assert initiative is not None and initiative.coach_id != carla_row.id
