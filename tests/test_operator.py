"""The operator's commands: coaches (add, invite, list, remove, assign), a broadcast from
the shell (preview, exact count, y/N, progress bar, report — through the Telegram runtime
against the local Bot API server, with flood control and a blocked user), and the CSV
export. Every one of them is in the audit log."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.delivery import TELEGRAM_LIMITS
from bot.core.payloads import pack
from bot.core.policy import RuleTimings
from bot.core.seam import ButtonPress, RateLimited, RecipientGone, SendText
from bot.domain.coaches import Area
from bot.i18n import texts_for
from bot.operator import EXPORT_COLUMNS, add_operator_commands, run_operator_command
from bot.runtimes.recording import Shown, plain
from scheduler.pacing import Pacer
from scheduler.rules import coach_digest, stall_scan, zone
from scheduler.timing import FakeClock
from storage.models import (
    Action,
    ActionStatus,
    AuditLog,
    Broadcast,
    BroadcastStatus,
    CoachArea,
    CoachInvite,
    Initiative,
    MemberRole,
    OutboxStatus,
    PersonRole,
    Phase,
    Resident,
    ScheduledMessage,
    SupportRequest,
    Theme,
)
from tests.conftest import make_services
from tests.support.driver import Driver, Talker
from tests.test_coaches import (
    _driver,
    _flow_of,
    add_initiative,
    add_person,
    get,
    press_payload,
    rows,
    sweep,
    talker,
)

TEXT = "Collectieve inkoop zonnepanelen: meld je aan vóór 1 december!"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="buurbot")
    add_operator_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


async def run(world: Driver, *argv: str, answer: str = "", sender=None, **kwargs) -> Run:  # type: ignore[no-untyped-def]
    out, err = io.StringIO(), io.StringIO()
    code = await run_operator_command(
        world.services.settings,
        parse(*argv),
        services=world.services,
        sender=sender,
        stdin=io.StringIO(answer),
        stdout=out,
        stderr=err,
        **kwargs,
    )
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
async def world(migrated_sqlite_url: str, clock: FakeClock) -> AsyncIterator[Driver]:
    async for driver in _driver(migrated_sqlite_url, clock):
        yield driver


async def cli_audit(world: Driver) -> list[str]:
    entries = await rows(world.services, select(AuditLog).order_by(AuditLog.id))  # type: ignore[arg-type]
    return [entry.action for entry in entries if entry.details.get("via") == "cli"]


# --- coaches --------------------------------------------------------------------------------------


async def test_coach_add_makes_a_coach_who_takes_over_the_initiatives_of_the_area(
    world: Driver,
) -> None:
    inside = await add_initiative(world.services, "Groene Lindelaan", area="1050")
    west = await add_initiative(world.services, "Oud-West Groen", place="oud-west", area=None)
    outside = await add_initiative(world.services, "Elders", area="3511")
    result = await run(
        world,
        "coach", "add", "--telegram-id", "4242", "--area", "1000-1099", "--area", "Oud-West",
        "--name", "Carla",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "Carla (telegram id 4242) is a coach for: 1000–1099, Oud-West." in result.out
    assert "Took over 2 initiative(s) without a coach" in result.out
    [carla] = await rows(world.services, select(Resident).where(Resident.telegram_id == 4242))
    assert carla.role is PersonRole.COACH and carla.first_name == "Carla"
    assert (await get(world.services, Initiative, inside.id)).coach_id == carla.id
    assert (await get(world.services, Initiative, west.id)).coach_id == carla.id
    assert (await get(world.services, Initiative, outside.id)).coach_id is None
    assert "coach_added_by_operator" in await cli_audit(world)

    # When Carla first writes to the bot she is that coach (in the bot's default language,
    # since her row was made before Telegram told her language).
    chat = world.person("Carla", "en", person_id=4242)
    await chat.command("start")
    await chat.press("Noem me Carla")
    await chat.command("overzicht")
    assert "2 initiatieven" in chat.last


async def test_coach_add_refuses_what_is_not_an_area(world: Driver) -> None:
    result = await run(world, "coach", "add", "--telegram-id", "4242", "--area", "1099-1000")
    assert result.code == 2
    assert "--area '1099-1000'" in result.err and "backwards" in result.err
    assert await rows(world.services, select(Resident)) == []


async def test_coach_invite_prints_a_link_that_works_once(world: Driver) -> None:
    result = await run(world, "coach", "invite", "--area", "3500-3599")
    assert result.code == 0
    [link] = [line for line in result.out.splitlines() if line.startswith("https://t.me/")]
    assert link.startswith("https://t.me/buurbot_test_bot?start=coach-")
    payload = link.split("start=", 1)[1]
    assert len(payload) <= 64
    [invite] = await rows(world.services, select(CoachInvite))
    assert invite.areas == [{"from": 3500, "to": 3599}]
    assert "coach_invited" in await cli_audit(world)

    bea = talker(world, await add_person(world.services, "Bea"))
    await bea.command("start", payload)
    assert "You're now a neighbourhood coach for: 3500–3599." in bea.last
    eve = talker(world, await add_person(world.services, "Eve"))
    await eve.command("start", payload)
    assert "this coach link has already been used" in eve.last
    roles = {p.first_name: p.role for p in await rows(world.services, select(Resident))}
    assert roles == {"Bea": PersonRole.COACH, "Eve": PersonRole.RESIDENT}


async def test_coach_list_remove_and_assign(world: Driver) -> None:
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    bea = await add_person(s, "Bea", role=PersonRole.COACH, areas=(Area(3511, 3511),))
    olaf = await add_person(s, "Olaf", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    anna = await add_person(s, "Anna")
    green = await add_initiative(s, "Groene Lindelaan", area="3511", coach=carla)
    south = await add_initiative(s, "Zon op Zuid", area="3520", coach=carla)

    listed = await run(world, "coach", "list")
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == ["telegram", "id", "name", "role", "initiatives", "open", "areas"]
    assert any(
        str(carla.telegram_id) in line and "Carla" in line and " 2 " in line and "3500–3599" in line
        for line in lines
    )

    removed = await run(world, "coach", "remove", "--telegram-id", str(carla.telegram_id))
    assert removed.code == 0
    assert f"#{green.id} Groene Lindelaan → Bea (telegram id {bea.telegram_id})" in removed.out
    assert f"#{south.id} Zon op Zuid → no coach (none in that area)" in removed.out
    assert (await get(s, Resident, carla.id)).role is PersonRole.RESIDENT
    assert await rows(s, select(CoachArea).where(CoachArea.coach_id == carla.id)) == []
    assert (await get(s, Initiative, green.id)).coach_id == bea.id

    assigned = await run(
        world,
        "coach",
        "assign",
        "--initiative",
        str(south.id),
        "--telegram-id",
        str(olaf.telegram_id),
    )
    assert assigned.code == 0 and "is now coached by Olaf" in assigned.out
    assert (await get(s, Initiative, south.id)).coach_id == olaf.id
    refused = await run(
        world,
        "coach",
        "assign",
        "--initiative",
        str(south.id),
        "--telegram-id",
        str(anna.telegram_id),
    )
    assert refused.code == 1 and "is not a coach" in refused.err
    missing = await run(world, "coach", "assign", "--initiative", "999", "--telegram-id", "1")
    assert missing.code == 1 and "there is no initiative #999" in missing.err
    not_coach = await run(world, "coach", "remove", "--telegram-id", str(anna.telegram_id))
    assert not_coach.code == 1
    assert await cli_audit(world) == [
        "coach_assigned",
        "coach_assigned",
        "coach_removed",
        "coach_removed_by_operator",
        "coach_assigned",
        "coach_assigned_by_operator",
    ]


# --- a broadcast from the shell -------------------------------------------------------------------


async def audience(world: Driver) -> dict[str, Resident]:
    s = world.services
    people = {
        name: await add_person(s, name, lang=lang, opt_in=opt_in, postcode=postcode)
        for name, lang, opt_in, postcode in (
            ("anna", "nl", True, "3511"),
            ("bob", "en", True, "3512"),
            ("cees", "nl", True, "3513"),
            ("dirk", "nl", False, "3514"),  # said no
            ("eva", "nl", True, "1012"),  # elsewhere
        )
    }
    await add_initiative(
        s,
        "Zon op Zuid",
        area="3511",
        theme=Theme.COLLECTIVE_PURCHASE,
        members=((people["anna"], MemberRole.INITIATOR), (people["bob"], MemberRole.TEAM)),
    )
    return people


async def test_a_broadcast_needs_a_token_or_is_a_dry_run(world: Driver) -> None:
    await audience(world)
    refused = await run(world, "broadcast", "--text", TEXT, "--area", "3500-3599")
    assert refused.code == 2
    assert "BUURBOT_TELEGRAM_TOKEN is not set" in refused.err and "--dry-run" in refused.err
    dry = await run(
        world,
        "broadcast", "--text", TEXT, "--area", "3500-3599",
        "--link", "https://example.nl/zon", "--link-label", "Meld je aan", "--dry-run",
    )  # fmt: skip
    assert dry.code == 0
    assert "📣 Bericht van Buurbot" in dry.out and TEXT in dry.out
    assert "[ Meld je aan ] → https://example.nl/zon" in dry.out
    assert "[ Stop met deze berichten ]" in dry.out
    assert "Recipients: 3 people" in dry.out and "Dry run: nothing was sent." in dry.out
    assert await rows(world.services, select(Broadcast)) == []
    bad = await run(world, "broadcast", "--text", TEXT, "--link", "ftp://x.nl", "--dry-run")
    assert bad.code == 2 and "not an http(s) address" in bad.err


async def test_a_broadcast_asks_first_and_sends_nothing_on_no(world: Driver) -> None:
    await audience(world)
    result = await run(
        world, "broadcast", "--text", TEXT, "--area", "3500-3599", answer="n\n", sender=world.sender
    )
    assert result.code == 1
    assert "Send it to 3 recipients? [y/N]" in result.out and "Not sent." in result.out
    assert await rows(world.services, select(Broadcast)) == []
    assert world.sender.sent == []


class FakeTime:
    """Monotonic seconds that only move when someone sleeps: the pacer's clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


async def test_a_broadcast_from_the_shell_sends_and_reports(world: Driver) -> None:
    people = await audience(world)
    world.sender.fail_next(people["bob"].telegram_id, RateLimited(2))
    world.sender.fail_next(people["cees"].telegram_id, RecipientGone("Forbidden: bot was blocked"))
    time = FakeTime()
    pacer = Pacer(TELEGRAM_LIMITS, monotonic=time.monotonic, sleep=time.sleep)
    result = await run(
        world,
        "broadcast", "--text", TEXT, "--theme", "collective_purchase", "--role", "team",
        answer="y\n", sender=world.sender, pacer=pacer,
    )  # fmt: skip
    assert time.now >= 2.0  # everyone waited out the flood control, in simulated time
    assert result.code == 0, result.err
    assert "Recipients: 2 people" in result.out  # anna and bob: the team of Zon op Zuid
    sent = {
        action.chat_id
        for action in world.sender.sent
        if isinstance(action, SendText) and TEXT in action.text
    }
    assert sent == {people["anna"].telegram_id, people["bob"].telegram_id}
    assert "delivered:    2 of 2" in result.out and "failed:       0" in result.out
    # The progress bar (tqdm), as lines on a pipe: the count and the outcome so far.
    assert "Sending: 100%" in result.err and "2/2" in result.err
    assert "delivered 2 · unreachable 0 · opted out 0 · failed 0" in result.err
    assert "\r" not in result.err
    [broadcast] = await rows(world.services, select(Broadcast))
    assert broadcast.status is BroadcastStatus.DONE and broadcast.author_id is None
    assert "broadcast" in await cli_audit(world)
    assert "broadcast_by_operator" in await cli_audit(world)

    everyone = await run(
        world, "broadcast", "--text", TEXT + " (2)", "--yes", sender=world.sender, pacer=pacer
    )
    assert everyone.code == 0
    assert "delivered:    3 of 4" in everyone.out
    assert "unreachable:  1 (blocked the bot, or gone)" in everyone.out


@pytest.mark.e2e
async def test_a_broadcast_through_the_telegram_runtime(tmp_path: Path, clock: FakeClock) -> None:
    """The real path: aiogram against the local Bot API server, with a 429 and a 403."""
    from local_bot_api import LocalBotApi

    async with LocalBotApi(token="123456:TEST-operator", username="buurbot_test_bot") as server:
        services = make_services(
            f"sqlite+aiosqlite:///{tmp_path / 'buurbot.db'}",
            clock,
            telegram_token=server.token,
            telegram_api_base=server.base_url,
        )
        await services.db.migrate()
        world = Driver(services)
        try:
            people = await audience(world)
            for person in people.values():
                server.person(person.first_name, user_id=person.telegram_id)
            server.faults.arm(
                "429", method="sendMessage", chat_id=people["anna"].telegram_id, retry_after=1
            )
            server.faults.arm("403", method="sendMessage", chat_id=people["cees"].telegram_id)
            result = await run(world, "broadcast", "--text", TEXT, "--area", "3500-3599", "--yes")
        finally:
            await services.db.close()
        assert result.code == 0, result.err
        got = {
            person: [
                m.text for m in server.chat_transcript(p.telegram_id) if TEXT in (m.text or "")
            ]
            for person, p in people.items()
        }
        # Anna through flood control, Bob at once; Cees blocked the bot; Dirk said no;
        # Eva lives elsewhere. Each once.
        assert {name: len(texts) for name, texts in got.items()} == {
            "anna": 1,
            "bob": 1,
            "cees": 0,
            "dirk": 0,
            "eva": 0,
        }
        assert "Bericht van Buurbot" in got["anna"][0]
        assert "delivered:    2 of 3" in result.out
        assert "unreachable:  1" in result.out
        assert server.rejected == []


# --- the export ---------------------------------------------------------------------------------


async def test_export_writes_initiatives_and_figures_as_csv(world: Driver, tmp_path: Path) -> None:
    s = world.services
    anna, bob, cees = [await add_person(s, name) for name in ("Anna", "Bob", "Cees")]
    green = await add_initiative(
        s,
        '=Groene, "Lindelaan"',
        area="3511",
        theme=Theme.GREENER,
        phase=Phase.GROW,
        members=((anna, MemberRole.INITIATOR), (bob, MemberRole.TEAM), (cees, MemberRole.FOLLOWER)),
        quiet_days=2,
    )
    empty = await add_initiative(s, "Stil", place="Oud-West", area=None)
    now = s.clock.now()
    async with s.db.transaction() as session:
        initiative = await session.get(Initiative, green.id)
        initiative.households_reached, initiative.households_interested = 40, 12  # type: ignore[union-attr]
        initiative.households_committed = 7  # type: ignore[union-attr]
        for status, days in (
            (ActionStatus.HELD, -10),
            (ActionStatus.HELD, -3),
            (ActionStatus.PLANNED, 5),
            (ActionStatus.CANCELLED, 6),
        ):
            session.add(
                Action(
                    initiative_id=green.id or 0,
                    title="Actie",
                    starts_at=now + timedelta(days=days),
                    status=status,
                )
            )
    out = tmp_path / "initiatieven.csv"
    result = await run(world, "export", "--out", str(out))
    assert result.code == 0 and f"Wrote 2 initiatives to {out}." in result.out
    with out.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert tuple(table[0]) == EXPORT_COLUMNS == (
        "id", "title", "theme", "phase", "place", "postcode_area", "team_size", "members",
        "actions_planned", "actions_held", "households_reached", "households_interested",
        "households_committed", "last_activity",
    )  # fmt: skip
    assert table[1] == [
        str(green.id), "'=Groene, \"Lindelaan\"", "greener", "grow", "Lindelaan", "3511",
        "2", "3", "1", "2", "40", "12", "7", "2026-11-26T09:00:00+00:00",
    ]  # fmt: skip
    assert table[2][:8] == [str(empty.id), "Stil", "greener", "initiate", "Oud-West", "", "0", "0"]
    assert len(table) == 3
    assert "export" in await cli_audit(world)
    nowhere = await run(world, "export", "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert nowhere.code == 1 and "cannot write" in nowhere.err


# --- a removed or replaced coach keeps no access --------------------------------------------------


async def press_in(who: Talker, shown: Shown, label: str) -> None:
    """Tap a button on an earlier message (an old one still in the chat)."""
    [button] = [b for row in shown.buttons for b in row if b.label == label]
    await who.event(ButtonPress(button.payload or "", f"q{shown.message_id}x", shown.message_id))


async def test_a_removed_coach_keeps_no_access_to_the_threads(world: Driver) -> None:
    """`buurbot coach remove`: the old coach's "Reply" buttons and the answer he was
    typing are refused kindly; the resident's later replies reach the new coach only;
    the resident is told who answers now; nothing queued for the old coach goes out."""
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    bea = await add_person(s, "Bea", role=PersonRole.COACH, areas=(Area(3511, 3511),))
    anna = await add_person(s, "Anna", lang="nl", postcode="3511 AB")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=carla, members=((anna, MemberRole.INITIATOR),)
    )
    resident, old, new = talker(world, anna), talker(world, carla), talker(world, bea)
    await press_payload(resident, pack("ini", "coach", groen.id))
    await resident.send("Waar leen ik een tegelwipper?")
    await sweep(world)
    first_question = old.messages[-1]
    await old.press("Reply")
    await old.send("Bij de gemeente, gratis!")
    answer = resident.messages[-1]
    assert "Bij de gemeente, gratis!" in answer.plain
    await press_payload(resident, pack("ini", "coach", groen.id))
    await resident.send("En een aanhanger?")
    await sweep(world)
    await old.press("Reply")  # Carla starts typing her answer to the second question
    assert "Your answer to Anna" in old.last

    removed = await run(world, "coach", "remove", "--telegram-id", str(carla.telegram_id))
    assert removed.code == 0, removed.err
    assert f"Groene Lindelaan → Bea (telegram id {bea.telegram_id})" in removed.out
    seen = len(old.messages)

    # The answer she was typing is not sent; her old button opens nothing.
    await old.send("Bij de buurtvereniging, bel 020-1234567")
    assert "this conversation is now with another neighbourhood coach" in old.last
    assert "020-1234567" not in resident.seen_since(0)
    await press_in(old, first_question, "Reply")
    assert "this conversation is now with another neighbourhood coach" in old.last
    assert await _flow_of(s, carla) is None

    # The resident hears who answers now; the open question goes to Bea, not to Carla.
    await sweep(world)
    told = texts_for("nl")._(
        "Good to know: <b>{coach}</b> is now the neighbourhood coach of <b>{title}</b>. "
        "Your messages about it go to {coach} from now on. Just reply here as before.",
        coach="Bea",
        title="Groene Lindelaan",
    )
    assert plain(told) in resident.last
    assert "A question from Anna about Groene Lindelaan" in new.last
    assert "“En een aanhanger?”" in new.last

    # Her later reply in the first thread (an address, a phone number) reaches Bea only.
    await press_in(resident, answer, "Antwoorden")
    await resident.send("Ik woon op Lindelaan 5, bel me op 06-12345678")
    assert "Lindelaan 5" in new.last and "06-12345678" in new.last
    assert "Bea" in resident.last
    await sweep(world)
    assert "Lindelaan 5" not in old.seen_since(seen)
    assert old.seen_since(seen).count("Sorry") == 2  # only the two refusals

    # Bea answers in that thread; her answer reaches Anna.
    await new.press("Reply")
    await new.send("Dank je, ik kom langs.")
    assert "Dank je, ik kom langs." in resident.last and "Bea" in resident.last
    left = {
        row.dedupe_key: row.status
        for row in await rows(
            s, select(ScheduledMessage).where(ScheduledMessage.resident_id == carla.id)
        )
    }
    assert OutboxStatus.PENDING not in left.values()
    requests = await rows(s, select(SupportRequest).order_by(SupportRequest.id))  # type: ignore[arg-type]
    assert [r.coach_id for r in requests] == [bea.id, bea.id]


async def test_reassigning_an_initiative_moves_its_threads(world: Driver) -> None:
    """`buurbot coach assign`: the unanswered question and its reminder go to the new
    coach; the old coach (still a coach elsewhere) can no longer open it."""
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    olaf = await add_person(s, "Olaf", role=PersonRole.COACH, areas=(Area(1000, 1099),))
    anna = await add_person(s, "Anna", lang="en")
    groen = await add_initiative(
        s, "Groene Lindelaan", coach=carla, members=((anna, MemberRole.INITIATOR),)
    )
    resident, old, new = talker(world, anna), talker(world, carla), talker(world, olaf)
    await press_payload(resident, pack("ini", "coach", groen.id))
    await resident.send("Hebben jullie een tegelwipper?")

    assigned = await run(
        world,
        "coach",
        "assign",
        "--initiative",
        str(groen.id),
        "--telegram-id",
        str(olaf.telegram_id),
    )
    assert assigned.code == 0, assigned.err
    await sweep(world)
    assert old.messages == []  # the question queued for Carla was not sent to her
    assert "A question from Anna about Groene Lindelaan" in new.last
    assert "Olaf is now the neighbourhood coach of Groene Lindelaan" in resident.last
    [request] = await rows(s, select(SupportRequest))
    await press_payload(old, pack("sup", "r", request.id))
    assert "coached by someone else" in old.last
    nudges = {
        row.resident_id: row.status
        for row in await rows(
            s, select(ScheduledMessage).where(ScheduledMessage.kind == "support_nudge")
        )
    }
    assert nudges == {carla.id: OutboxStatus.CANCELLED, olaf.id: OutboxStatus.PENDING}


async def test_what_was_queued_for_a_removed_coach_is_cancelled(world: Driver) -> None:
    """A stall alert and a digest waiting for the coach are cancelled when they go."""
    s = world.services
    carla = await add_person(s, "Carla", role=PersonRole.COACH, areas=(Area(3500, 3599),))
    await add_initiative(s, "Stille Straat", coach=carla, quiet_days=40)
    async with s.db.transaction() as session:
        now = s.clock.now()
        await stall_scan(session, now, RuleTimings(), stall_days=21, tz=zone(None))
        await coach_digest(session, now, RuleTimings(), tz=zone(None))
    queued = await rows(s, select(ScheduledMessage).where(ScheduledMessage.resident_id == carla.id))
    assert {row.kind for row in queued} == {"stalled", "digest"}
    assert (await run(world, "coach", "remove", "--telegram-id", str(carla.telegram_id))).code == 0
    queued = await rows(s, select(ScheduledMessage).where(ScheduledMessage.resident_id == carla.id))
    assert {(row.kind, row.status, row.last_error) for row in queued} == {
        ("stalled", OutboxStatus.CANCELLED, "no longer a coach"),
        ("digest", OutboxStatus.CANCELLED, "no longer a coach"),
    }


def test_the_progress_bar_reports_as_lines_on_a_pipe() -> None:
    """Not a terminal (a pipe, a log file): tqdm's redraws become lines, never a "\\r"."""
    import io
    from types import SimpleNamespace

    from bot.operator import Progress

    out = io.StringIO()
    progress = Progress(out)
    for pending in (4, 2, 0):
        report = SimpleNamespace(
            total=4, pending=pending, delivered=4 - pending, unreachable=0, opted_out=0, failed=0
        )
        progress.show(report)
    progress.end()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Sending:   0%") and "0/4" in lines[0]
    assert lines[-1].startswith("Sending: 100%") and "4/4" in lines[-1]
    assert "delivered 4" in lines[-1] and "\r" not in out.getvalue()
