"""/mijngegevens exports everything about a person; /vergeetmij leaves nothing
that identifies them, on SQLite and PostgreSQL. Both are driven by the schema."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from bot.privacy import person_references
from storage.models import (
    Action,
    ActionKind,
    Activity,
    AuditLog,
    Broadcast,
    CoachArea,
    CoachInvite,
    Conversation,
    GroupChat,
    GroupPoll,
    Initiative,
    MemberRole,
    Membership,
    Quote,
    Resident,
    Rsvp,
    RsvpAnswer,
    ScheduledMessage,
    SentMessage,
    SupportMessage,
    SupportRequest,
    Task,
)
from tests.support.driver import Driver, Talker


async def onboarded(driver: Driver, name: str) -> Talker:
    talker = driver.person(name, "nl")
    await talker.command("start")
    await talker.send(name)
    await talker.send("1234 AB")
    await talker.press("Ja, dat is goed")
    return talker


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
                    dedupe_key="reminder:1:24h:me",
                    resident_id=me.id,
                    due_at=now,
                    action_id=action.id,
                ),
                SupportRequest(
                    initiative_id=mine.id,
                    resident_id=me.id,
                    coach_id=me.id,
                    question="Hoe vraag ik subsidie aan?",
                ),
                Quote(initiative_id=mine.id, supplier="Zon BV", total_eur=5200, added_by_id=me.id),
                CoachArea(coach_id=me.id, postcode_from=1000, postcode_to=1099),
                CoachInvite(token="coach-tok", created_by_id=me.id, used_by_id=me.id),
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
            ]
        )
        await session.flush()
        request = (await session.execute(select(SupportRequest))).scalars().first()
        assert request is not None
        session.add(SupportMessage(request_id=request.id, author_id=me.id, text="Nog een vraag"))
        return {
            "me": me.id or 0,
            "them": them.id or 0,
            "mine": mine.id or 0,
            "solo": solo.id or 0,
            "action": action.id or 0,
        }


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
        "support_message",
    }
    assert {table.name for table, _, _ in person_references()} == seeded


async def test_export_holds_everything_about_a_heavy_user(db_driver: Driver) -> None:
    heavy, other = await onboarded(db_driver, "Anna"), await onboarded(db_driver, "Bert")
    ids = await seed_heavy_user(db_driver, heavy, other)
    await heavy.command("mijngegevens")
    document = next(m for m in reversed(heavy.messages) if m.document is not None)
    assert document.filename == f"buurbot-{heavy.who.id}.json"
    assert "Alles wat ik over je heb bewaard" in document.plain
    data = json.loads(document.document or b"{}")
    assert data["resident"]["name"] == "Anna" and data["resident"]["postcode"] == "1234 AB"
    assert data["consents"]["store_name_and_postcode"] is not None
    tables = data["tables"]
    for table, _, _ in person_references():
        assert table.name in tables, f"{table.name} missing from the export"
    assert [r["question"] for r in tables["support_request"]] == ["Hoe vraag ik subsidie aan?"]
    assert {r["initiative_id"] for r in tables["membership"]} == {ids["mine"], ids["solo"]}
    assert tables["rsvp"][0]["answer"] == "coming"
    assert "Bert" not in json.dumps(tables["conversation"])  # only their own conversations
    assert "/vergeetmij" in heavy.last


async def test_forget_me_leaves_no_reference_and_keeps_the_counts(db_driver: Driver) -> None:
    heavy, other = await onboarded(db_driver, "Anna"), await onboarded(db_driver, "Bert")
    ids = await seed_heavy_user(db_driver, heavy, other)
    await heavy.command("vergeetmij")
    assert "Zal ik alles wissen wat ik over je weet?" in heavy.last
    await heavy.press("Ja, wis alles")
    assert "ik heb alles over je gewist" in heavy.last

    async with db_driver.services.db.transaction() as session:
        for table, column, _ in person_references():
            count = (
                await session.execute(
                    sa.select(sa.func.count()).select_from(table).where(column == ids["me"])
                )
            ).scalar_one()
            assert count == 0, f"{table.name}.{column.name} still refers to the forgotten person"
        assert await session.get(Resident, ids["me"]) is None
        leftovers = (
            await session.execute(select(SentMessage).where(SentMessage.chat_id == heavy.who.id))
        ).all()
        assert leftovers == []
        # The RSVP count stays a count: two said "coming", one of them is now anonymous.
        rsvps = (
            (await session.execute(select(Rsvp).where(Rsvp.action_id == ids["action"])))
            .scalars()
            .all()
        )
        assert sorted(r.resident_id is None for r in rsvps) == [False, True]
        # The team member takes over the initiative; the solo one is flagged for its coach.
        bert = (
            await session.execute(select(Membership).where(Membership.resident_id == ids["them"]))
        ).scalar_one()
        assert bert.role is MemberRole.INITIATOR
        solo = await session.get(Initiative, ids["solo"])
        assert solo is not None and solo.coach_attention == "initiator_left"
        assert (
            await session.execute(select(Conversation).where(Conversation.resident_id == ids["me"]))
        ).all() == []


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
