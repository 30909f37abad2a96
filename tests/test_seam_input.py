"""Odd input at the seam: ids in Telegram's documented ranges or the update is skipped, texts
without NUL and the other control characters, and no parameter value in a database error."""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy.exc import DBAPIError, StatementError

from bot.core.seam import (
    ID_LIMIT,
    ButtonPress,
    Chat,
    ChatKind,
    ChatMigrated,
    Command,
    Incoming,
    OutOfRange,
    Person,
    Photo,
    PollAnswer,
    Text,
    clean,
)
from bot.core.services import Services
from bot.i18n import texts_for
from bot.runtimes.common import to_incoming
from storage.models import Resident
from tests.support.driver import Driver

BOT_ID = 42


def user(user_id: int = 7, first_name: str = "Anna", **extra: object) -> dict[str, object]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, **extra}


def message(text: str = "hoi", *, chat_id: int = 7, sender: dict | None = None, **extra: object):
    return {
        "update_id": 100,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": sender or user(),
            "text": text,
            **extra,
        },
    }


def incoming(update: dict) -> Incoming | None:
    return to_incoming(update, bot_id=BOT_ID, bot_username="buurbot_test_bot")


# --- ids ---------------------------------------------------------------------------------------


def test_the_largest_ids_telegram_documents_are_taken() -> None:
    biggest = ID_LIMIT - 1  # "at most 52 significant bits"
    got = incoming(message(chat_id=-biggest, sender=user(biggest)))
    assert got is not None
    assert (got.person.id, got.chat.id, got.update_id) == (biggest, -biggest, 100)
    migrated = incoming(message(text=None, migrate_to_chat_id=-1_009_999_999_999))  # type: ignore[arg-type]
    assert migrated is not None and migrated.event == ChatMigrated(-1_009_999_999_999)


@pytest.mark.parametrize(
    ("update", "what"),
    [
        (message(sender=user(2**64 + 1), chat_id=-5), "user id"),
        (message(chat_id=-(2**63)), "chat id"),
        (message(chat_id=2**52), "chat id"),
        ({**message(), "update_id": 2**70}, "update id"),
        (message(text=None, migrate_to_chat_id=-(2**60)), "chat id"),  # type: ignore[arg-type]
        (
            {
                "update_id": 100,
                "callback_query": {
                    "id": "q1",
                    "from": user(),
                    "chat_instance": "c",
                    "data": "1:menu",
                    "message": {
                        "message_id": 2**40,
                        "date": 0,
                        "chat": {"id": 7, "type": "private"},
                    },
                },
            },
            "message id",
        ),
        (
            {
                "update_id": 100,
                "poll_answer": {"poll_id": "p", "user": user(), "option_ids": [2**33]},
            },
            "poll option",
        ),
    ],
)
def test_an_update_with_an_id_beyond_telegrams_range_is_skipped_naming_only_its_update_id(
    update: dict, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.runtimes.common")
    assert incoming(update) is None
    (line,) = caplog.records
    assert (
        line.getMessage() == f"update {update['update_id']} skipped: {what} out of Telegram's range"
    )


def test_a_field_of_the_wrong_kind_is_skipped_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.runtimes.common")
    assert incoming(message(sender=user("mijn naam"))) is None  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "update 100 skipped: a field of the wrong kind"
    ]


def test_the_seam_refuses_impossible_ids_itself() -> None:
    with pytest.raises(OutOfRange, match=r"^user id out of Telegram's range$"):
        Person(0, "Nul")
    with pytest.raises(OutOfRange, match=r"^chat id out of Telegram's range$"):
        Chat(2**52)
    with pytest.raises(OutOfRange, match=r"^message id out of Telegram's range$"):
        ButtonPress("1:menu", "q", 2**31)
    with pytest.raises(OutOfRange, match=r"^poll option out of Telegram's range$"):
        PollAnswer("p", (0, -1))
    with pytest.raises(OutOfRange, match=r"^update id is not a whole number$"):
        Incoming(Chat(1), Person(1, "A"), Text("x"), update_id="1")  # type: ignore[arg-type]


# --- texts -------------------------------------------------------------------------------------


def test_nul_and_the_other_control_characters_are_stripped_but_newline_and_tab_stay() -> None:
    assert clean("a\x00b\x01c\x1b[31md\x7f\re\nf\tg\ud800h") == "abc[31md\x7fe\nf\tgh"
    assert clean("gewoon 😀 tekst") == "gewoon 😀 tekst"


def test_every_text_reaching_the_core_is_clean() -> None:
    got = incoming(
        message(
            "/start\x00 join-abc\x00",
            chat_id=-100,
            sender=user(first_name="An\x00na", username="an\x00na", language_code="n\x00l"),
        )
        | {}
    )
    assert got is not None
    assert got.person == Person(7, "Anna", "nl", "anna")
    assert got.event == Command("start", "join-abc")
    titled = incoming(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -100, "type": "group", "title": "Linden\x00laan"},
                "from": user(),
                "photo": [{"file_id": "f\x00", "file_unique_id": "u", "width": 1, "height": 1}],
                "caption": "mooi\x00",
            },
        }
    )
    assert titled is not None
    assert titled.chat == Chat(-100, ChatKind.GROUP, "Lindenlaan")
    assert titled.event == Photo("f", "mooi")
    assert ButtonPress("1:menu\x00", "q\x00").payload == "1:menu"
    assert Text("hoi\x00\x00").text == "hoi"


# --- the database ------------------------------------------------------------------------------


async def test_a_database_error_carries_no_parameter_value(services: Services) -> None:
    # Past the seam, as a bug might let it: the error names the statement, never the values.
    with pytest.raises(
        (StatementError, DBAPIError, OverflowError), match=r"resident|int"
    ) as caught:
        async with services.db.transaction() as session:
            session.add(Resident(telegram_id=2**70, first_name="mijn geheime naam"))
            await session.flush()
    # What log.exception prints: the error and every cause behind it.
    logged = "".join(traceback.format_exception(caught.value))
    assert "geheime" not in logged and str(2**70) not in logged
    if services.db.is_sqlite:  # the driver refuses it before SQLAlchemy sees a statement
        assert "Python int too large to convert to SQLite INTEGER" in logged
    else:
        assert "INSERT INTO resident" in logged
        assert "[SQL parameters hidden due to hide_parameters=True]" in logged
        assert "invalid input for query argument $1: (value hidden)" in logged


async def test_postgresql_details_repeating_values_are_left_out(services: Services) -> None:
    if services.db.is_sqlite:
        pytest.skip("PostgreSQL's DETAIL lines")
    async with services.db.transaction() as session:
        session.add(Resident(telegram_id=77, first_name="Anna"))
    with pytest.raises(DBAPIError, match="duplicate key value") as caught:
        async with services.db.transaction() as session:
            session.add(Resident(telegram_id=77, first_name="mijn geheime naam"))
    logged = "".join(traceback.format_exception(caught.value))
    assert "Key (telegram_id)=(77)" not in logged and "DETAIL" not in logged


# --- ids in button data ------------------------------------------------------------------------

SORRY = "Something went wrong on my side. Please try again, or type /menu."


@pytest.mark.parametrize(
    "payload",
    [
        "1:coach:card:99999999999",  # 11 digits: past PostgreSQL's 32-bit integer ids
        "1:kit:themes:99999999999",
        "1:review:99999999999",
        "1:act:card:99999999999",
        "1:grp:link:nzzzzzzzzzzzzzz:1",  # a group chat code past 64 bits
    ],
)
async def test_a_button_with_an_impossible_id_is_refused_kindly(
    db_driver: Driver, payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    anna = db_driver.person("Anna")
    await anna.command("start")
    await anna.send("Anna")
    before = len(anna.messages)
    await anna.event(ButtonPress(payload, "q1", None))
    shown = anna.seen_since(before)
    assert shown  # it answered...
    assert texts_for("nl")._(SORRY) not in shown  # ...as a step, not as the apology of a crash
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
