"""/mijngegevens exports everything about a person and nothing about anyone else;
/vergeetmij leaves nothing that identifies them in any column of any table, on SQLite
and PostgreSQL. Both are driven by the schema."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, select

from bot.core.seam import WHATSAPP_BASE
from bot.domain import broadcasts
from bot.domain import groups as g
from bot.domain.broadcasts import Audience
from bot.domain.coaches import Area, assign, make_coach
from bot.domain.privacy import person_references
from scheduler.dispatch import Dispatcher
from storage.models import (
    Action,
    ActionKind,
    Activity,
    AuditLog,
    Broadcast,
    CampaignItem,
    CoachArea,
    CoachInvite,
    GroupChat,
    GroupPoll,
    Initiative,
    LinkAttempt,
    LinkCode,
    MemberRole,
    Membership,
    NetworkIdentity,
    Outcome,
    OutcomeSource,
    PollVote,
    Programme,
    ProgrammeManager,
    Quote,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
    SentMessage,
    SupportMessage,
    SupportRequest,
    Task,
    WebLogin,
    WebSession,
)
from tests.support.driver import Driver, Talker
from tests.test_groups import Admins, linked_street, token_of, vote
from tests.test_journey_actions import plan

# Values that appear nowhere else, so a scan cannot mistake anything for them.
HEAVY_ID, HEAVY_TELEGRAM, HEAVY_NAME, HEAVY_POSTCODE = 987654, 7311522001, "Quirina", "9731 XK"
HEAVY_PHONE = "31612345678"
OTHER_TELEGRAM, OTHER_NAME = 6422633002, "Bertolt"


async def onboarded(
    driver: Driver, name: str, postcode: str = "1234 AB", *, person_id: int | None = None
) -> Talker:
    talker = driver.person(name, "nl", person_id=person_id)
    await talker.command("start")
    await talker.send(name)  # the name is the consent: the question says it is stored
    await talker.press("Doe mee met een initiatief")
    await talker.send(postcode)  # asked where it helps: finding initiatives nearby
    await talker.command("menu")
    return talker


async def resident_ids_start_at(driver: Driver, first: int) -> None:
    """The next resident gets id ``first`` (after a placeholder neighbour)."""
    async with driver.services.db.transaction() as session:
        session.add(Resident(id=first - 1, telegram_id=5550000001, first_name="Placeholder"))
        await session.flush()
        if session.bind.dialect.name == "postgresql":
            await session.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('resident', 'id'), :n)"),
                {"n": first - 1},
            )


async def seed_heavy_user(driver: Driver, heavy: Talker, other: Talker) -> dict[str, int]:
    """A row behind every person reference there is, for `heavy`."""
    now = driver.services.clock.now()
    async with driver.services.db.transaction() as session:
        me = (
            await session.execute(select(Resident).where(Resident.telegram_id == heavy.who.id))
        ).scalar_one()
        them = (
            await session.execute(select(Resident).where(Resident.telegram_id == other.who.id))
        ).scalar_one()
        them.announcements_opt_in = True
        mine = Initiative(
            title="Groene straat", what="Tegels eruit", invite_token="tok-a", coach_id=me.id
        )
        solo = Initiative(title="AED", what="Een AED", invite_token="tok-b")
        session.add_all([mine, solo])
        await session.flush()
        session.add_all(
            [
                Membership(initiative_id=mine.id, resident_id=me.id, role=MemberRole.INITIATOR),
                Membership(
                    initiative_id=mine.id,
                    resident_id=them.id,
                    role=MemberRole.TEAM,
                    invited_by_id=me.id,
                ),
                Membership(initiative_id=solo.id, resident_id=me.id, role=MemberRole.INITIATOR),
            ]
        )
        action = Action(
            initiative_id=mine.id,
            kind=ActionKind.ACTION,
            title="Tegeldag",
            starts_at=now + timedelta(days=3),
            created_by_id=me.id,
        )
        session.add(action)
        await session.flush()
        session.add_all(
            [
                Rsvp(action_id=action.id, resident_id=me.id, answer=RsvpAnswer.COMING),
                Rsvp(action_id=action.id, resident_id=them.id, answer=RsvpAnswer.COMING),
                Task(initiative_id=mine.id, action_id=action.id, title="Koffie", assignee_id=me.id),
                Activity(initiative_id=mine.id, kind="joined", resident_id=me.id, at=now),
                GroupChat(
                    chat_id=-100123,
                    title="Straat",
                    initiative_id=mine.id,
                    added_by_id=me.id,
                    linked_by_id=me.id,
                ),
                SentMessage(chat_id=heavy.who.id, key="card:1", message_id=5),
                ScheduledMessage(
                    kind="reminder",
                    dedupe_key=f"reminder:1:24h:{me.id}",
                    resident_id=me.id,
                    due_at=now,
                    action_id=action.id,
                ),
                SupportRequest(
                    initiative_id=mine.id,
                    resident_id=me.id,
                    coach_id=them.id,
                    question="Hoe vraag ik subsidie aan?",
                ),
                Quote(initiative_id=mine.id, supplier="Zon BV", total_eur=5200, added_by_id=me.id),
                # A door round she counted: the count stays the initiative's, without her.
                Outcome(
                    initiative_id=mine.id,
                    action_id=action.id,
                    key="door_yes",
                    value=12,
                    source=OutcomeSource.DOOR,
                    recorded_by_id=me.id,
                ),
                CoachArea(coach_id=me.id, postcode_from=1000, postcode_to=1099),
                CoachInvite(token="coach-tok", created_by_id=them.id, used_by_id=me.id),
                Broadcast(author_id=me.id, text="Infoavond warmtenet"),
                GroupPoll(
                    poll_id="p1",
                    chat_id=-100123,
                    message_id=9,
                    question="Welke dag?",
                    options=["za", "zo"],
                    created_by_id=me.id,
                    closes_at=now,
                ),
                AuditLog(actor_id=me.id, action="phase_corrected", subject="initiative:1", at=now),
                # What the coach's message to an initiative's members writes.
                AuditLog(
                    actor_id=them.id,
                    action="coach_message",
                    subject=f"initiative:{mine.id}",
                    details={"recipients": [me.id, them.id], "length": 12},
                    at=now,
                ),
            ]
        )
        await session.flush()
        request = (await session.execute(select(SupportRequest))).scalars().first()
        assert request is not None
        session.add_all(
            [
                SupportMessage(request_id=request.id, author_id=me.id, text="Nog een vraag"),
                SupportMessage(
                    request_id=request.id, author_id=them.id, text="Kijk op de site van de gemeente"
                ),
            ]
        )
        # A programme manager who set up a programme, planned and approved its announcement,
        # and logged in to the web console.
        programme = Programme(
            name="Tegelwippen",
            organisation="Gemeente Groningen",
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 10, 31),
            areas=[{"from": 9700, "to": 9799}],
            created_by_id=me.id,
        )
        session.add(programme)
        await session.flush()
        session.add_all(
            [
                ProgrammeManager(resident_id=me.id, organisation="Gemeente Groningen"),
                CampaignItem(
                    programme_id=programme.id,
                    send_at=now,
                    text="Zaterdag wippen we tegels",
                    created_by_id=me.id,
                    approved_by_id=me.id,
                ),
                WebLogin(token_hash="a" * 64, resident_id=me.id, expires_at=now),
                WebSession(token_hash="b" * 64, resident_id=me.id, csrf_token="c", expires_at=now),
            ]
        )
        # She also uses WhatsApp (her Telegram identity the engine made on her first visit).
        session.add(
            NetworkIdentity(
                resident_id=me.id,
                network="whatsapp",
                external_id=HEAVY_PHONE,
                address=WHATSAPP_BASE + 31,
                consented_at=now,
            )
        )
        # She linked the two with a one-time code (bot/flows/link.py), once mistyped.
        session.add_all(
            [
                LinkCode(
                    resident_id=me.id,
                    address=HEAVY_TELEGRAM,
                    code_hash="d" * 64,
                    expires_at=now,
                    used_at=now,
                ),
                LinkAttempt(resident_id=me.id, at=now),
            ]
        )
        # A coach of their own area, who announces to it and watches the progress.
        await make_coach(session, me, [Area(9700, 9799)], now, actor_id=None, via="cli")
        await assign(session, mine, me, now, actor_id=them.id, via="chat")
        await broadcasts.start(
            session,
            author=me,
            text="Infoavond warmtenet in de Lindelaan",
            link_url=None,
            link_label=None,
            audience=Audience(coach_id=me.id),
            now=now,
            progress_chat_id=me.telegram_id,
            via="chat",
        )
        return {
            "me": me.id or 0,
            "them": them.id or 0,
            "mine": mine.id or 0,
            "solo": solo.id or 0,
            "action": action.id or 0,
        }


@dataclass
class World:
    heavy: Talker
    other: Talker
    ids: dict[str, int]
    street_poll: str


async def heavy_user_everywhere(driver: Driver) -> World:
    """Quirina in every table a person can appear in: onboarded, joined Anna's street
    initiative by its link (Anna is told), voted in the street's poll; and the rows
    seeded above behind every other reference."""
    await resident_ids_start_at(driver, HEAVY_ID)
    heavy = await onboarded(driver, HEAVY_NAME, HEAVY_POSTCODE, person_id=HEAVY_TELEGRAM)
    other = await onboarded(driver, OTHER_NAME, person_id=OTHER_TELEGRAM)
    admins = Admins()
    driver.services.chat_directory = admins
    anna, iid, street = await linked_street(driver, admins)
    await heavy.command("start", f"join-{await token_of(driver, iid)}")
    await heavy.press("Alleen volgen")
    await street.command(anna, "peiling", "Welke dag? za 12 dec | zo 13 dec")
    poll_id = f"poll-{street.last.message_id}"
    await vote(driver, heavy.who, poll_id, 0)
    await vote(driver, other.who, poll_id, 1)
    ids = await seed_heavy_user(driver, heavy, other)
    assert ids["me"] == HEAVY_ID
    return World(heavy, other, ids, poll_id)


def marks_of(world: World, poll_ids: list[str]) -> list[str]:
    """What would identify Quirina: her ids, name and postcode, and the hashes anyone
    could derive from her Telegram id (the old poll pseudonym among them)."""
    telegram = str(HEAVY_TELEGRAM)
    hashes = [
        hashlib.blake2b(f"{poll}:{telegram}".encode(), digest_size=8).hexdigest()
        for poll in poll_ids
    ]
    hashes += [hashlib.sha256(telegram.encode()).hexdigest()[:16]]
    hashes += [hashlib.blake2b(telegram.encode(), digest_size=8).hexdigest()]
    postcode = HEAVY_POSTCODE.replace(" ", "")
    return [str(HEAVY_ID), telegram, HEAVY_NAME, HEAVY_POSTCODE, postcode, HEAVY_PHONE, *hashes]


def identifies(value: Any, marks: list[str]) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value in (HEAVY_ID, HEAVY_TELEGRAM)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return any(mark.casefold() in value.casefold() for mark in marks)
    return False


async def what_identifies_her(driver: Driver, world: World) -> list[str]:
    """Every table.column, of every table, with a value that identifies Quirina."""
    found: set[str] = set()
    async with driver.services.db.transaction() as session:
        polls = list((await session.execute(select(GroupPoll.poll_id))).scalars())
        marks = marks_of(world, [*polls, world.street_poll, "p1"])
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(sa.select(table))).mappings():
                for column in table.columns:
                    if identifies(row[column.name], marks):
                        found.add(f"{table.name}.{column.name}")
    return sorted(found)


def test_every_person_reference_is_seeded_by_the_heavy_user_test() -> None:
    """Add a table with a person reference? Then seed it above: the export and the
    deletion already cover it, and this keeps the proof honest."""
    seeded = {
        "conversation",
        "membership",
        "initiative",
        "action",
        "rsvp",
        "task",
        "activity",
        "group_chat",
        "scheduled_message",
        "support_request",
        "audit_log",
        "quote",
        "coach_area",
        "coach_invite",
        "broadcast",
        "group_poll",
        "poll_vote",
        "support_message",
        "programme",
        "programme_manager",
        "campaign_item",
        "web_login",
        "web_session",
        "outcome",
        "network_identity",
        "link_code",
        "link_attempt",
    }
    assert {table.name for table, _, _ in person_references()} == seeded


async def test_export_holds_everything_about_her_and_nothing_about_anyone_else(
    db_driver: Driver,
) -> None:
    world = await heavy_user_everywhere(db_driver)
    heavy, ids = world.heavy, world.ids
    await heavy.command("mijngegevens")
    document = next(m for m in reversed(heavy.messages) if m.document is not None)
    assert document.filename == f"buurbot-{HEAVY_TELEGRAM}.json"
    assert "Alles wat ik over je heb bewaard" in document.plain
    data = json.loads(document.document or b"{}")
    assert data["resident"]["name"] == HEAVY_NAME
    assert data["resident"]["postcode"] == HEAVY_POSTCODE
    assert data["consents"]["store_name_and_postcode"] is not None
    tables = data["tables"]
    for table, _, _ in person_references():
        assert table.name in tables, f"{table.name} missing from the export"
    # Everything about her: her vote, her thread with the coach's answer, the progress of
    # her announcement, the news about her joining, what the audit log says about her.
    assert [v["options"] for v in tables["poll_vote"]] == [[0]]
    assert {m["text"] for m in tables["support_message"]} == {
        "Nog een vraag",
        "Kijk op de site van de gemeente",
    }
    assert [r["question"] for r in tables["support_request"]] == ["Hoe vraag ik subsidie aan?"]
    assert {b["progress_chat_id"] for b in tables["broadcast"]} >= {HEAVY_TELEGRAM}
    assert any(
        r["kind"] == "joined" and r["payload"]["member_id"] == HEAVY_ID
        for r in tables["scheduled_message"]
    )
    audited = {(r["action"], r["subject"]) for r in tables["audit_log"]}
    assert ("coach_added", f"resident:{HEAVY_ID}") in audited
    assert any(
        r["action"] == "coach_assigned" and r["details"]["coach_id"] == HEAVY_ID
        for r in tables["audit_log"]
    )
    assert tables["rsvp"][0]["answer"] == "coming"
    # Nothing about anyone else: only her own memberships, no one else's id or name.
    assert {r["resident_id"] for r in tables["membership"]} == {HEAVY_ID}
    assert {r["initiative_id"] for r in tables["membership"]} >= {ids["mine"], ids["solo"]}
    async with db_driver.services.db.transaction() as session:
        others = (
            (await session.execute(select(Resident).where(Resident.id != HEAVY_ID))).scalars().all()
        )
    assert len(others) >= 3  # the placeholder, Bertolt, Anna
    people = {p.id for p in others} | {p.telegram_id for p in others}
    names = {p.first_name for p in others} | {p.name for p in others if p.name}

    def about_others(value: Any, where: str) -> list[str]:
        if isinstance(value, dict):
            return [hit for k, v in value.items() for hit in about_others(v, f"{where}.{k}")]
        if isinstance(value, list):
            return [hit for v in value for hit in about_others(v, where)]
        if isinstance(value, int) and not isinstance(value, bool) and value in people:
            return [where]
        if isinstance(value, str) and any(name in value for name in names):
            return [where]
        return []

    assert about_others(tables, "tables") == []
    assert "/vergeetmij" in heavy.last


async def test_forget_me_leaves_nothing_that_identifies_her_and_keeps_the_counts(
    db_driver: Driver,
) -> None:
    world = await heavy_user_everywhere(db_driver)
    heavy, ids = world.heavy, world.ids
    before = await what_identifies_her(db_driver, world)
    # The scan sees her wherever the seed put her (else it could not fail).
    assert {
        "resident.id",
        "resident.name",
        "resident.postcode",
        "poll_vote.resident_id",
        "broadcast.progress_chat_id",
        "audit_log.subject",
        "audit_log.details",
        "scheduled_message.payload",
        "scheduled_message.chat_id",
        "sent_message.chat_id",
    } <= set(before)

    await heavy.command("vergeetmij")
    assert "Zal ik alles wissen wat ik over je weet?" in heavy.last
    await heavy.press("Ja, wis alles")
    assert "ik heb alles over je gewist" in heavy.last

    left = await what_identifies_her(db_driver, world)
    assert left == [], "still identifies her: " + ", ".join(left)
    async with db_driver.services.db.transaction() as session:
        # Counts stay counts: her RSVP and her vote, now without her.
        rsvps = (
            (await session.execute(select(Rsvp).where(Rsvp.action_id == ids["action"])))
            .scalars()
            .all()
        )
        assert sorted(r.resident_id is None for r in rsvps) == [False, True]
        poll = (
            await session.execute(select(GroupPoll).where(GroupPoll.poll_id == world.street_poll))
        ).scalar_one()
        assert await g.poll_counts(session, poll) == ([1, 1], 2)
        votes = (await session.execute(select(PollVote.resident_id))).scalars().all()
        assert sorted(v is None for v in votes) == [False, True]
        # The coach's message still counts its two recipients; one is nobody now.
        message = (
            await session.execute(select(AuditLog).where(AuditLog.action == "coach_message"))
        ).scalar_one()
        assert message.details["recipients"] == [None, ids["them"]]
        # The team member takes over the initiative; the solo one is flagged for its coach.
        bert = (
            await session.execute(
                select(Membership).where(
                    Membership.resident_id == ids["them"], Membership.initiative_id == ids["mine"]
                )
            )
        ).scalar_one()
        assert bert.role is MemberRole.INITIATOR
        solo = await session.get(Initiative, ids["solo"])
        assert solo is not None and solo.coach_attention == "initiator_left"
        # Someone else's answers in her thread went with the thread; his own rows stay.
        assert await session.get(Resident, ids["them"]) is not None
        assert (await session.execute(select(SupportMessage))).all() == []


async def test_forget_me_can_be_declined(driver: Driver) -> None:
    anna = await onboarded(driver, "Anna")
    await anna.command("vergeetmij")
    await anna.press("Nee, bewaar mijn gegevens")
    assert "Goed, ik heb niets gewist." in anna.last
    async with driver.services.db.transaction() as session:
        assert (
            await session.execute(select(Resident).where(Resident.telegram_id == anna.who.id))
        ).scalar_one().name == "Anna"


async def test_after_forgetting_a_new_start_is_a_new_person(driver: Driver) -> None:
    anna = await onboarded(driver, "Anna")
    await anna.command("vergeetmij")
    await anna.press("Ja, wis alles")
    await anna.send("hallo")
    assert "Hoi! Ik ben Buurbot." in anna.last


async def test_announcements_are_a_separate_opt_in_in_the_settings(driver: Driver) -> None:
    anna = await onboarded(driver, "Anna")
    await anna.command("instellingen")
    assert "Berichten van buurtcoaches: uit." in anna.last
    await anna.press("Ja, stuur me berichten")
    await anna.command("instellingen")
    assert "Berichten van buurtcoaches: aan." in anna.last
    await anna.press("Stop met deze berichten")
    async with driver.services.db.transaction() as session:
        me = (
            await session.execute(select(Resident).where(Resident.telegram_id == anna.who.id))
        ).scalar_one()
    assert me.announcements_opt_in is False and me.reminders.value == "on"


async def test_forgetting_takes_her_name_off_the_street_groups_card(driver: Driver) -> None:
    admins = Admins()
    driver.services.chat_directory = admins
    anna, iid, street = await linked_street(driver, admins)
    action = await plan(anna, iid)
    await street.command(anna, "actie")
    card = street.last
    quirina = await onboarded(driver, HEAVY_NAME)
    await street.press(quirina, "Ik kom", card)
    await quirina.command("start", f"gname-{action.id}")
    await quirina.press("Mijn naam tonen")
    dispatcher = Dispatcher(driver.services, driver.delivery)
    await dispatcher.sweep()
    assert HEAVY_NAME in card.plain  # she chose to be shown on the card
    await quirina.command("vergeetmij")
    await quirina.press("Ja, wis alles")
    await dispatcher.sweep()
    assert "Komen: 1" in card.plain  # the card was edited: still counted, without her name
    assert HEAVY_NAME not in card.plain


async def test_the_privacy_text_names_what_each_network_gives_the_bot(driver: Driver) -> None:
    """On Telegram the bot keeps an id; on WhatsApp it has the person's number, and says so
    (and no longer that it never asks for one)."""
    on_telegram = driver.person("Tess", "nl")
    await on_telegram.command("privacy")
    assert "Je Telegram-nummer en voornaam" in on_telegram.last
    assert "Ik vraag nooit je huisnummer of telefoonnummer." in on_telegram.last
    on_whatsapp = driver.person("Wim", "nl", person_id=WHATSAPP_BASE + 77)
    await on_whatsapp.command("privacy")
    assert "Je WhatsApp-nummer en voornaam" in on_whatsapp.last
    assert "Niemand anders ziet je nummer." in on_whatsapp.last
    assert "telefoonnummer" not in on_whatsapp.last
