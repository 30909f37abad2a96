"""Certainly not delivered, or outcome unknown: what Delivery sends again, per action kind.

A try whose request went out and got no answer (``OutcomeUnknown``) may have arrived: a new
message, poll or document is then not sent again; an edit, a pin, a stopped poll or a
button's answer is (twice is the same as once). Transient errors (answered, not done) are
retried as before (the dispatcher's side: tests/test_dispatch.py). The runtimes' request
timeout stays above Telegram's own."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.core.delivery import Delivery, Outcome
from bot.core.seam import (
    AnswerButton,
    EditText,
    OutcomeUnknown,
    PinMessage,
    SendDocument,
    SendError,
    SendPoll,
    SendText,
    StopPoll,
    Transient,
)
from bot.core.services import Services
from bot.runtimes.common import TelegramSender
from bot.runtimes.recording import RecordingSender

TELEGRAMS_OWN_TIMEOUT = 60.0  # seconds after which Telegram's front answers 504 itself


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


def delivery(services: Services, sender: object) -> Delivery:
    return Delivery(services, sender, sleep=_no_sleep)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "action",
    [
        SendText(1, "hoi"),
        SendPoll(1, "Wanneer?", ("ma", "di")),
        SendDocument(1, "a.txt", b"x"),
    ],
    ids=lambda action: type(action).__name__,
)
async def test_a_new_message_with_no_answer_is_not_sent_again(
    sqlite_services: Services, sender: RecordingSender, action: object
) -> None:
    sender.fail_next(1, OutcomeUnknown("read timed out"))
    result = await delivery(sqlite_services, sender).attempt(action)  # type: ignore[arg-type]
    assert result.outcome is Outcome.UNKNOWN
    assert sender.sent == []  # one try, the one that timed out: no second


async def test_idempotent_actions_with_no_answer_are_sent_again(
    sqlite_services: Services, sender: RecordingSender
) -> None:
    shown = (await sender.send(SendText(1, "vraag"))).message_id or 0
    for action in (
        EditText(1, shown, "bijgewerkt"),
        PinMessage(1, shown),
        StopPoll(1, shown),
    ):
        sender.fail_next(1, OutcomeUnknown("read timed out"))
        assert (await delivery(sqlite_services, sender).attempt(action)).outcome is Outcome.SENT
    assert sender.chats[1][0].text == "bijgewerkt" and sender.chats[1][0].pinned


async def test_a_buttons_answer_with_no_answer_is_sent_again(sqlite_services: Services) -> None:
    class Once(RecordingSender):
        failed = False

        async def send(self, action):  # type: ignore[no-untyped-def]
            if isinstance(action, AnswerButton) and not self.failed:
                self.failed = True
                raise OutcomeUnknown("read timed out")
            return await super().send(action)

    sender = Once()
    result = await delivery(sqlite_services, sender).attempt(AnswerButton("q-1", "Opgeslagen"))
    assert result.outcome is Outcome.SENT
    assert sender.answered == [AnswerButton("q-1", "Opgeslagen")]


async def test_certainly_not_delivered_is_retried(
    sqlite_services: Services, sender: RecordingSender
) -> None:
    sender.fail_next(1, Transient("502 Bad Gateway"))
    assert (await delivery(sqlite_services, sender).attempt(SendText(1, "hoi"))).outcome is (
        Outcome.SENT
    )
    assert [shown.text for shown in sender.chats[1]] == ["hoi"]


class PartsSender(TelegramSender):
    """A Telegram sender whose primitives record; the n-th sendMessage gets no answer."""

    def __init__(self, unanswered: Sequence[int]) -> None:
        super().__init__()
        self.unanswered = set(unanswered)
        self.messages: list[str] = []
        self.edits: list[str] = []
        self.calls = 0

    async def member_status(self, chat_id: int, user_id: int) -> str:
        return "member"

    async def send_message(self, chat_id, text, rows):  # type: ignore[no-untyped-def]
        self.calls += 1
        self.messages.append(text)  # it arrives, whatever the answer
        if self.calls in self.unanswered:
            raise TimeoutError("no answer")
        return self.calls

    async def edit_message(self, chat_id, message_id, text, rows):  # type: ignore[no-untyped-def]
        self.edits.append(text)

    async def answer_callback(self, query_id, text, alert):  # type: ignore[no-untyped-def]
        return None

    async def send_poll(self, chat_id, question, options, multiple):  # type: ignore[no-untyped-def]
        return 1, "p"

    async def stop_poll(self, chat_id, message_id):  # type: ignore[no-untyped-def]
        return None

    async def pin(self, chat_id, message_id):  # type: ignore[no-untyped-def]
        return None

    async def send_document(self, chat_id, filename, content, caption):  # type: ignore[no-untyped-def]
        return 1

    def translate(self, error: BaseException) -> SendError | None:
        return OutcomeUnknown(str(error)) if isinstance(error, TimeoutError) else None


async def test_a_long_edit_sent_again_skips_the_part_that_may_have_arrived(
    sqlite_services: Services,
) -> None:
    # An edit over 4096 characters: the first part edits, the rest follow as new messages.
    paragraphs = [f"Alinea {n}: " + "woord " * 700 for n in range(4)]
    sender = PartsSender(unanswered=[1])  # the first new part: sent, no answer
    result = await delivery(sqlite_services, sender).attempt(
        EditText(1, 5, "\n\n".join(paragraphs))
    )
    assert result.outcome is Outcome.SENT  # the edit is idempotent: tried again
    assert len(sender.messages) == len(set(sender.messages))  # and no part came twice
    assert len(sender.edits) == 1


async def test_the_request_timeout_is_above_telegrams_own() -> None:
    from bot.runtimes import aiogram_runtime, ptb_runtime

    aiogram = aiogram_runtime.AiogramRuntime("1:x", "http://127.0.0.1:9")
    ptb = ptb_runtime.PtbRuntime("1:x", "http://127.0.0.1:9")
    try:
        assert aiogram.bot.session.timeout > TELEGRAMS_OWN_TIMEOUT
        assert ptb.app.bot.request.read_timeout > TELEGRAMS_OWN_TIMEOUT  # type: ignore[union-attr]
    finally:
        await aiogram.bot.session.close()
