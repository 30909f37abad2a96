"""The views flows, groups and the scheduler share: one action card (a group's too), the
buttons built in one place, and what the bot says when an action is over."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.payloads import pack
from bot.core.services import Services
from bot.domain.actions import RsvpTotals
from bot.i18n import texts_for
from bot.views.action_card import action_card
from bot.views.after_action import group_thanks, review_prompt, thanks_for_coming
from bot.views.buttons import (
    CANT_COME_AFTER_ALL,
    OPEN_THE_INITIATIVE,
    initiative_button,
    menu_button,
    plan_button,
    rsvp_button,
    rsvp_row,
)
from bot.views.routes import GroupRsvp
from bot.views.text import paragraphs, shorten, unescaped, with_intro
from storage.models import (
    Action,
    ActionKind,
    ActionStatus,
    Initiative,
    MemberRole,
    RsvpAnswer,
    Task,
)

EN = texts_for("en")
WHEN = datetime(2026, 12, 12, 13, 0, tzinfo=UTC)


def an_action(**fields: object) -> Action:
    return Action(id=7, initiative_id=3, title="Tile-lifting day", starts_at=WHEN, **fields)


async def test_the_card_a_group_reads_is_the_private_card_without_the_work(
    sqlite_services: Services,
) -> None:
    async with sqlite_services.db.transaction() as session:
        initiative = Initiative(title="Green Lindelaan", what="Tiles out", invite_token="t1")
        session.add(initiative)
        await session.flush()
        action = Action(
            initiative_id=initiative.id or 0,
            title="Tile-lifting day",
            starts_at=WHEN,
            place="Lindelaan 12",
            status=ActionStatus.HELD,
            attended=7,
            checklist=[{"text": "Bring crowbars", "done": True}],
        )
        session.add(action)
        await session.flush()
        session.add(Task(initiative_id=initiative.id or 0, action_id=action.id, title="Tea"))
        await session.flush()

        private = await action_card(EN, session, action, initiative)
        group = await action_card(EN, session, action, initiative, show_work=False)

    # The attendance the group card used to leave out, on both.
    for card in (private, group):
        assert "✅ <b>Held</b>: 7 people came." in card
        assert "<b>Where:</b> Lindelaan 12" in card
        assert "Coming: 0 · maybe: 0 · can't: 0" in card
    assert "<b>Checklist:</b> 1 of 1 done" in private
    assert "<b>Tasks:</b> 0 of 1 done" in private
    assert "Checklist" not in group and "Tasks" not in group
    assert private.startswith(group)


async def test_the_card_takes_totals_the_caller_counted(sqlite_services: Services) -> None:
    async with sqlite_services.db.transaction() as session:
        card = await action_card(
            EN,
            session,
            an_action(capacity=10),
            Initiative(id=3, title="Green", what="-", invite_token="t2"),
            show_work=False,
            counted=RsvpTotals(coming=4, maybe=1, waitlist=0),
        )
    assert "<b>Places:</b> 10 (6 free)" in card
    assert "Coming: 4 · maybe: 1 · can't: 0 · waiting list: 0" in card


def test_the_rsvp_row_ticks_the_own_answer_and_serves_a_group_unticked() -> None:
    mine = rsvp_row(EN, 7, RsvpAnswer.MAYBE)
    assert [button.label for button in mine] == ["I'm coming", "✓ Maybe", "I can't come"]
    assert [button.payload for button in mine] == [pack("rsvp", 7, key) for key in "cmn"]
    waiting = rsvp_row(EN, 7, RsvpAnswer.COMING, waiting=True)
    assert waiting[0].label == "⏳ On the waiting list"
    group = rsvp_row(EN, 7, kind=GroupRsvp)
    assert [button.label for button in group] == ["I'm coming", "Maybe", "I can't come"]
    assert group[2].payload == pack("grsvp", 7, "n")


def test_one_answer_on_its_own_is_the_row_s_button() -> None:
    row = rsvp_row(EN, 7)
    assert rsvp_button(EN, 7, RsvpAnswer.COMING) == row[0]
    assert rsvp_button(EN, 7, RsvpAnswer.NO) == row[2]
    after_all = rsvp_button(EN, 7, RsvpAnswer.NO, CANT_COME_AFTER_ALL)
    assert (after_all.label, after_all.payload) == ("I can't come after all", row[2].payload)


def test_the_shared_buttons_and_texts() -> None:
    assert menu_button(EN).payload == pack("menu")
    assert initiative_button(EN, 3).label == "To the initiative"
    opened = initiative_button(EN, 3, OPEN_THE_INITIATIVE)
    assert (opened.label, opened.payload) == ("Open the initiative", pack("ini", "card", 3))
    assert shorten("Tile-lifting\n  day in the Lindelaan", 20) == "Tile-lifting day in…"
    assert shorten("Short", 20) == "Short"
    assert with_intro("✅ Saved.", "The card") == "✅ Saved.\n\nThe card"
    assert with_intro(None, "The card") == "The card"
    assert paragraphs("One", "two", "three") == "One\n\ntwo\n\nthree"
    assert shorten("A question\non two lines", 40, one_line=False) == "A question\non two lines"
    assert unescaped(EN._("Plan: {next}", next="Tea & cake")) == "Plan: Tea & cake"
    meeting = plan_button(EN, 3, ActionKind.MEETING)
    assert (meeting.label, meeting.payload) == ("Plan a meeting", pack("act", "new", 3, "meeting"))


def test_after_the_action_the_initiators_are_asked_and_who_came_is_thanked() -> None:
    text, rows = review_prompt(EN, an_action())
    assert "How did it go?" in text
    assert rows[0][0].payload == pack("review", 7)
    assert rows[1][0].payload == pack("ini", "card", 3)

    text, rows = thanks_for_coming(EN, an_action(), MemberRole.FOLLOWER)
    assert "Would you like to help organise the next one?" in text
    assert rows[0][0].payload == pack("helpnext", 7)
    text, rows = thanks_for_coming(EN, an_action(), MemberRole.TEAM)
    assert "for helping to make it happen" in text
    assert rows == [[initiative_button(EN, 3, OPEN_THE_INITIATIVE)]]


def test_the_group_is_thanked_with_who_came_and_not_when_nobody_did() -> None:
    assert group_thanks(EN, an_action(), coming=0, join=None) is None
    assert group_thanks(EN, an_action(attended=0), coming=5, join=None) is None
    said = group_thanks(EN, an_action(), coming=5, join=None)
    assert said is not None and "5 neighbours said they were coming." in said[0]
    assert said[1] == []
    came = group_thanks(EN, an_action(attended=12), coming=5, join="https://t.me/b?start=j")
    assert came is not None and "12 neighbours came." in came[0]
    assert came[1][0][0].url == "https://t.me/b?start=j"
