"""Sending to WhatsApp (Cloud API): the core's `Outgoing`, fitted by `bot.core.adapt` to
WhatsApp's capabilities, as Cloud API messages, through pywa's client.

pywa (`pywa_async.WhatsApp`) makes the authenticated requests to
``{base}/{version}/{phone_number_id}/messages`` and turns the API's errors into typed
exceptions; the message objects are built here, because what they hold (a list paged with
"More…", short labels, the markup) is decided by the adapting. Errors become the core's:

- 130429, 131056, HTTP 429: `RateLimited`; HTTP 5xx, no connection: `Transient`; a read
  that timed out: `OutcomeUnknown` (bot/core/seam.py decides what is sent again);
- 131047 (the 24-hour window closed): the message is *held* (an outbox row that waits for
  the person's next message, `scheduler.window`), and the `buurbot_update` template says
  there is news, when it is approved; so nothing is lost;
- 131026 (undeliverable): `RecipientGone`; 131049/131050 (Meta's marketing limits, the
  person stopped marketing messages): `Rejected`, and after 131050 the person's WhatsApp
  announcements are off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
from pywa.errors import WhatsAppError
from sqlalchemy import delete, update
from sqlmodel import col, select

from bot.core import identities, wire
from bot.core.adapt import Choice, Shown, adapt, fit_label
from bot.core.labels import short_label
from bot.core.seam import (
    WHATSAPP,
    AnswerButton,
    OutcomeUnknown,
    Outgoing,
    RateLimited,
    RecipientGone,
    Rejected,
    SendError,
    SendTemplate,
    SendText,
    Sent,
    Transient,
)
from bot.core.services import Services
from bot.core.templates import CATALOGUE, meta_language
from bot.i18n import texts_for
from storage.models import ListPage, NetworkIdentity, Resident
from storage.queries import insert_ignore

log = logging.getLogger(__name__)

BODY_LIMIT = 1024  # an interactive message's body
TEXT_LIMIT = 4096
RATE_CODES = frozenset({4, 80007, 130429, 131048, 131056})
WINDOW_CLOSED = 131047
UNDELIVERABLE = 131026
MARKETING = frozenset({131049, 131050})
RETRY_AFTER = 2.0
CACHE_SECONDS = 60.0
# How long a paged list's "More…" keeps working after a restart.
PAGES_KEPT = timedelta(days=14)


def message_number(wamid: str) -> int:
    """A WhatsApp message id (a string) as the 31-bit number the core keeps for it."""
    return int.from_bytes(hashlib.blake2b(wamid.encode(), digest_size=4).digest()) % (2**31)


class Held(Rejected):
    """Not sent now: WhatsApp's 24-hour window is closed; held until the person writes."""


class WhatsAppSender:
    capabilities = WHATSAPP

    def __init__(self, services: Services, client: Any, phone_number_id: str) -> None:
        self.services = services
        self.client = client  # pywa_async.WhatsApp
        self.phone_number_id = phone_number_id
        self._numbers: dict[int, str] = {}
        self._languages: dict[int, tuple[str, float]] = {}
        # The pages of long lists, by (address, list key): "More…" sends the next one.
        self._pages: OrderedDict[tuple[int, str], tuple[Shown, float]] = OrderedDict()
        # What each recent message was, by its wamid: a delivery that fails later (a failed
        # status webhook: 131047, 131026…) is dealt with from it.
        self._sent: OrderedDict[str, Outgoing] = OrderedDict()
        self._current: Outgoing | None = None
        self.cut_labels: list[str] = []  # labels cut for want of a short form (tests)

    # --- who and in which language -----------------------------------------------------------

    async def number_of(self, address: int) -> str:
        number = self._numbers.get(address)
        if number is None:
            async with self.services.db.transaction() as session:
                number = await identities.external_id_of(session, address)
            if number is None:
                raise RecipientGone("no WhatsApp number for this address")
            self._numbers[address] = number
        return number

    def known(self, address: int, number: str) -> None:
        self._numbers[address] = number

    async def language_of(self, address: int) -> str:
        cached = self._languages.get(address)
        if cached is not None and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[0]
        async with self.services.db.transaction() as session:
            lang = (
                await session.execute(
                    select(Resident.language).where(
                        Resident.id == identities.resident_id_of(address)
                    )
                )
            ).scalar_one_or_none()
        lang = lang or self.services.settings.default_language
        self._languages[address] = (lang, time.monotonic())
        return lang

    def forget_language(self, address: int) -> None:
        self._languages.pop(address, None)

    # --- the Sender port ---------------------------------------------------------------------

    async def send(self, action: Outgoing) -> Sent:
        if isinstance(action, AnswerButton):
            return await self._answer(action)
        if isinstance(action, SendTemplate):
            return await self._template(action)
        chat_id = action.chat_id
        lang = await self.language_of(chat_id)
        shown = adapt(action, WHATSAPP, lang=lang, short=short_label)
        last = Sent()
        self._current = action
        try:
            for message in shown:
                self.cut_labels.extend(message.cut_labels)
                try:
                    last = await self._show(message, lang)
                except Held:
                    await self.hold(action)
                    raise
        finally:
            self._current = None
        return last

    async def _answer(self, action: AnswerButton) -> Sent:
        """A button's notice: WhatsApp has none, so a notice with text becomes a message."""
        if not action.text or not action.query_id.startswith("wa:"):
            return Sent()
        address = int(action.query_id.removeprefix("wa:").split(":")[0])
        return await self._show(
            Shown(address, adapt(SendText(address, action.text), WHATSAPP)[0].text), ""
        )

    async def _show(self, message: Shown, lang: str) -> Sent:
        to = await self.number_of(message.chat_id)
        if message.document is not None:
            return await self._document(to, message)
        if message.is_list:
            key = hashlib.blake2b(
                json.dumps([c.payload for page in message.pages for c in page]).encode(),
                digest_size=6,
            ).hexdigest()
            self._pages[(message.chat_id, key)] = (message, time.monotonic())
            while len(self._pages) > 2000:
                self._pages.popitem(last=False)
            if len(message.pages) > 1:
                await self._keep_pages(message, key)
            return await self._list_page(to, message, key, 0, lang)
        if message.buttons:
            return await self._buttons(to, message, lang)
        return await self._texts(to, message.text)

    async def _texts(self, to: str, text: str) -> Sent:
        sent = Sent()
        for chunk in _chunks(text or "·", TEXT_LIMIT):
            sent = await self._post(to, "text", {"body": chunk, "preview_url": False})
        return sent

    async def _with_body(self, to: str, text: str, lang: str) -> str:
        """The body of an interactive message (1,024 characters at most): what does not fit
        goes first as plain text."""
        if len(text) <= BODY_LIMIT:
            return text or "·"
        paragraphs = text.split("\n\n")
        body: list[str] = []
        while paragraphs and len("\n\n".join([paragraphs[-1], *body])) <= BODY_LIMIT:
            body.insert(0, paragraphs.pop())
        if paragraphs:
            await self._texts(to, "\n\n".join(paragraphs))
        return "\n\n".join(body) or str(texts_for(lang or "nl")._("Your choice:"))

    async def _buttons(self, to: str, message: Shown, lang: str) -> Sent:
        body = await self._with_body(to, message.text, lang)
        return await self._post(
            to,
            "interactive",
            {
                "type": "button",
                "body": {"text": body},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": choice.payload, "title": choice.label}}
                        for choice in message.buttons
                    ]
                },
            },
        )

    async def _list_page(self, to: str, message: Shown, key: str, page: int, lang: str) -> Sent:
        rows = message.pages[page]
        body = await self._with_body(to, message.text, lang)
        return await self._post(
            to,
            "interactive",
            {
                "type": "list",
                "body": {"text": body},
                "action": {
                    "button": message.list_button,
                    "sections": [
                        {
                            "title": fit_label(message.list_button, 24)[0],
                            "rows": [_row(choice, key) for choice in rows],
                        }
                    ],
                },
            },
        )

    async def next_page(self, address: int, key: str, page: int) -> bool:
        """Send page `page` of a list sent earlier; False when it is no longer known."""
        entry = self._pages.get((address, key))
        message = entry[0] if entry is not None else await self._stored_pages(address, key)
        if message is None or not 0 <= page < len(message.pages):
            return False
        lang = await self.language_of(address)
        await self._list_page(await self.number_of(address), message, key, page, lang)
        return True

    async def _keep_pages(self, message: Shown, key: str) -> None:
        """A paged list in the database too: "More…" works after a restart (kept for
        `PAGES_KEPT`; the oldest of this chat go as a new one comes)."""
        now = self.services.clock.now()
        pages = [[[c.label, c.payload, c.description] for c in page] for page in message.pages]
        async with self.services.db.transaction() as session:
            await session.execute(
                delete(ListPage).where(
                    col(ListPage.address) == message.chat_id,
                    col(ListPage.created_at) < now - PAGES_KEPT,
                )
            )
            await insert_ignore(
                session,
                ListPage,
                address=message.chat_id,
                key=key,
                text=message.text,
                list_button=message.list_button,
                pages=pages,
                created_at=now,
            )

    async def _stored_pages(self, address: int, key: str) -> Shown | None:
        async with self.services.db.transaction() as session:
            stored = (
                await session.execute(
                    select(ListPage).where(ListPage.address == address, ListPage.key == key)
                )
            ).scalar_one_or_none()
            if stored is None:
                return None
            pages = tuple(
                tuple(
                    Choice(str(label), str(payload), str(description or ""))
                    for label, payload, description in page
                )
                for page in stored.pages
            )
            message = Shown(address, stored.text, pages=pages, list_button=stored.list_button)
        self._pages[(address, key)] = (message, time.monotonic())
        return message

    async def _document(self, to: str, message: Shown) -> Sent:
        document = message.document
        assert document is not None
        try:
            uploaded = await self.client.api.upload_media(
                phone_id=self.phone_number_id,
                media=document.content,
                mime_type=_mime(document.filename),
                filename=document.filename,
            )
        except Exception as error:
            raise self.translate(error) from error
        media = {"id": uploaded["id"], "filename": document.filename}
        if message.text:
            media["caption"] = message.text[:BODY_LIMIT]
        return await self._post(to, "document", media)

    async def _template(self, action: SendTemplate) -> Sent:
        if action.name not in self.services.settings.approved_templates:
            raise Rejected(f"template {action.name} is not approved")
        template = next((t for t in CATALOGUE if t.name == action.name), None)
        if template is None:
            raise Rejected(f"no template {action.name} in the catalogue")
        components: list[dict[str, Any]] = [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": _parameter(value)} for value in action.parameters
                ],
            }
        ]
        for index, payload in enumerate(action.button_payloads):
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": payload}],
                }
            )
        to = await self.number_of(action.chat_id)
        return await self._post(
            to,
            "template",
            {
                "name": template.name,
                "language": {"code": meta_language(action.language)},
                "components": components,
            },
        )

    async def _post(self, to: str, kind: str, message: dict[str, Any]) -> Sent:
        try:
            answer = await self.client.api.send_message(
                sender=self.phone_number_id,
                to=to,
                recipient=None,
                recipient_type="individual",
                typ=kind,
                msg=message,
            )
        except Exception as error:
            raise self.translate(error) from error
        wamid = str((answer.get("messages") or [{}])[0].get("id", ""))
        if wamid and self._current is not None:
            self._sent[wamid] = self._current
            while len(self._sent) > 5000:
                self._sent.popitem(last=False)
        number = message_number(wamid) if wamid else None
        return Sent(number, wamid or None)

    async def failed(self, wamid: str, code: int, address: int) -> None:
        """A message WhatsApp accepted did not reach the person (a failed status)."""
        action = self._sent.pop(wamid, None)
        if code == WINDOW_CLOSED:
            if action is not None and not isinstance(action, SendTemplate):
                await self.hold(action)
                log.info("a message found the window closed; held until the person writes")
            return
        if code == UNDELIVERABLE:
            from bot.core.delivery import Delivery

            await Delivery(self.services, self).recipient_gone(address)
            return
        if code == 131050:
            await self.stopped_marketing(address)
        log.warning("WhatsApp could not deliver a message: error %s", code)

    # --- errors ------------------------------------------------------------------------------

    def translate(self, error: BaseException) -> SendError:
        if isinstance(error, SendError):
            return error
        if isinstance(error, httpx.TimeoutException) and not isinstance(
            error, httpx.ConnectTimeout | httpx.PoolTimeout
        ):
            return OutcomeUnknown(f"no answer from WhatsApp ({type(error).__name__})")
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return Transient(f"cannot reach WhatsApp ({type(error).__name__})")
        if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return OutcomeUnknown(f"the connection to WhatsApp broke ({type(error).__name__})")
        if isinstance(error, WhatsAppError):
            status = error.status_code or 0
            code = int(error.code)
            what = f"WhatsApp error {code}: {error.message}"[:300]
            if code in RATE_CODES or status == 429:
                retry = _retry_after(error)
                return RateLimited(retry)
            if code == WINDOW_CLOSED:
                return Held(f"{what} (held until the person writes again)")
            if code == UNDELIVERABLE:
                return RecipientGone(what)
            if status >= 500 or error.is_transient:
                return Transient(what)
            return Rejected(what)
        if isinstance(error, httpx.HTTPError):
            return Transient(f"{type(error).__name__}")
        return Rejected(f"{type(error).__name__}: {error}"[:300])

    async def stopped_marketing(self, address: int) -> None:
        async with self.services.db.transaction() as session:
            await session.execute(
                update(NetworkIdentity)
                .where(col(NetworkIdentity.address) == address)
                .values(announcements_opt_in=False)
            )

    # --- holding what the window does not let through ----------------------------------------

    async def hold(self, action: Outgoing) -> None:
        """Keep `action` until the person writes again (an outbox row, `scheduler.window`,
        which also tells them there is news with the approved template, where it is)."""
        from scheduler.window import hold

        chat_id = getattr(action, "chat_id", None)
        if chat_id is None:
            return
        async with self.services.db.transaction() as session:
            await hold(
                session,
                chat_id,
                [wire.dump(action)],
                self.services.clock.now(),
                self.services.settings,
            )


def _row(choice: Choice, key: str) -> dict[str, str]:
    payload = choice.payload
    if payload.startswith("~more:"):
        payload = f"~more:{key}:{payload.removeprefix('~more:')}"
    row = {"id": payload, "title": choice.label}
    if choice.description:
        row["description"] = choice.description
    return row


def _parameter(value: str) -> str:
    """A template parameter: no newlines, tabs or runs of spaces (Meta refuses them)."""
    return " ".join(value.split())[:1024] or "-"


def _retry_after(error: WhatsAppError) -> float:
    response = error.raw_response
    if response is not None:
        header = response.headers.get("Retry-After", "")
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    return RETRY_AFTER


def _mime(filename: str) -> str:
    if filename.endswith(".json"):
        return "application/json"
    if filename.endswith(".pdf"):
        return "application/pdf"
    if filename.endswith(".csv"):
        return "text/csv"
    return "text/plain"


def _chunks(text: str, limit: int) -> Sequence[str]:
    """Plain text in pieces of at most `limit` characters, cut at paragraphs, lines or
    words where it can."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(
            rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit)
        )
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces
