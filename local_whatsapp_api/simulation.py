"""People on WhatsApp: what they send the bot (signed webhooks) and what they see."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .limits import Outgoing
from .media import StoredMedia
from .templates import ButtonType, render

if TYPE_CHECKING:
    from .server import LocalWhatsAppApi

JSON = dict[str, Any]
WINDOW_SECONDS = 24 * 60 * 60  # the customer-service window after a person's last message

_wamids = itertools.count(1)


def new_wamid(wa_id: str) -> str:
    """An id shaped like Meta's: 'wamid.' and base64 of the number and a counter."""
    raw = f"\x15\x02\x00\x12\x18\x0b{wa_id}\x15\x02\x00\x11\x18\x12{next(_wamids):020X}\x00"
    return "wamid." + base64.b64encode(raw.encode()).decode()


@dataclass(slots=True)
class MessageRecord:
    """A message in a conversation, either way. `status` for the bot's: accepted, sent,
    delivered, read, or failed (with `error_code`); a person's are "received"."""

    wamid: str
    wa_id: str
    from_bot: bool
    type: str
    content: JSON  # the bot's payload object under its type, or the inbound message object
    timestamp: float
    seq: int
    status: str
    outgoing: Outgoing | None = None
    error_code: int | None = None
    context_id: str | None = None
    read_by_bot: bool = False
    reaction: str | None = None  # the emoji the person put on this bot message
    media: StoredMedia | None = None  # the upload an image or document named by id


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    id: str  # reply id; a template quick reply's payload (its text when none was given)
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    title: str
    id: str
    description: str | None
    section: str | None


@dataclass(frozen=True, slots=True)
class SeenMessage:
    """One message as the person sees it."""

    wamid: str
    from_bot: bool
    type: str
    text: str | None  # text body, interactive body, rendered template body, media caption
    header: str | None = None
    footer: str | None = None
    buttons: tuple[Button, ...] = ()
    list_button: str | None = None
    rows: tuple[Row, ...] = ()
    template: str | None = None
    language: str | None = None
    category: str | None = None
    params: tuple[str, ...] = ()
    link: str | None = None
    filename: str | None = None
    data: bytes | None = None  # an uploaded image's or document's bytes
    mime_type: str | None = None
    emoji: str | None = None
    status: str = "received"
    error_code: int | None = None
    context_id: str | None = None
    raw: JSON = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> list[str]:
        return [b.title for b in self.buttons]

    @property
    def row_titles(self) -> list[str]:
        return [r.title for r in self.rows]

    def button(self, title: str) -> Button:
        for button in self.buttons:
            if button.title == title:
                return button
        raise AssertionError(f"no button {title!r} on {self.wamid}: {self.labels}")

    def row(self, title: str) -> Row:
        for row in self.rows:
            if row.title == title:
                return row
        raise AssertionError(f"no list row {title!r} on {self.wamid}: {self.row_titles}")


def seen(record: MessageRecord) -> SeenMessage:
    common: JSON = {
        "wamid": record.wamid,
        "from_bot": record.from_bot,
        "type": record.type,
        "status": record.status,
        "error_code": record.error_code,
        "context_id": record.context_id,
        "raw": record.content,
    }
    content = record.content
    if not record.from_bot:
        return SeenMessage(text=_inbound_text(content), **common)
    out = record.outgoing
    if record.type == "text":
        return SeenMessage(text=content["body"], **common)
    if record.type == "interactive":
        header = content.get("header") or {}
        action = content["action"]
        buttons = tuple(
            Button(b["reply"]["title"], b["reply"]["id"]) for b in action.get("buttons", ())
        )
        rows = tuple(
            Row(r["title"], r["id"], r.get("description"), s.get("title"))
            for s in action.get("sections", ())
            for r in s["rows"]
        )
        return SeenMessage(
            text=content["body"]["text"],
            header=header.get("text"),
            footer=(content.get("footer") or {}).get("text"),
            buttons=buttons,
            list_button=action.get("button"),
            rows=rows,
            **common,
        )
    if record.type == "template" and out is not None and out.template is not None:
        template = out.template
        buttons = []
        for i, b in enumerate(template.buttons):
            if b.type is ButtonType.QUICK_REPLY:
                buttons.append(Button(b.text, out.button_payloads.get(i, b.text)))
            else:
                buttons.append(Button(b.text, "", b.url))
        return SeenMessage(
            text=render(template.body, out.body_values),
            header=render(template.header, out.header_values) if template.header else None,
            footer=template.footer,
            buttons=tuple(buttons),
            template=template.name,
            language=template.language,
            category=template.category.value,
            params=tuple(out.body_values),
            **common,
        )
    if record.type in ("image", "document"):
        stored = record.media
        return SeenMessage(
            text=content.get("caption"),
            link=content.get("link"),
            filename=content.get("filename"),
            data=stored.data if stored else None,
            mime_type=stored.mime_type if stored else None,
            **common,
        )
    if record.type == "reaction":
        return SeenMessage(text=None, emoji=content.get("emoji"), **common)
    return SeenMessage(text=None, **common)


def _inbound_text(message: JSON) -> str | None:
    kind = message.get("type")
    if kind == "text":
        return message["text"]["body"]
    if kind == "interactive":
        reply = message["interactive"]
        return reply[reply["type"]]["title"]
    if kind == "button":
        return message["button"]["text"]
    return None


class Person:
    """A WhatsApp user talking 1:1 with the bot's business number."""

    def __init__(
        self,
        server: LocalWhatsAppApi,
        name: str,
        wa_id: str,
        *,
        language: str | None,
        marketing_opt_out: bool,
        reachable: bool,
    ) -> None:
        self.server = server
        self.name = name
        self.wa_id = wa_id
        self.language = language  # for the test's own use: the Cloud API never reveals it
        self.marketing_opt_out = marketing_opt_out
        self.reachable = reachable  # False: no WhatsApp account, or terms not accepted (131026)
        self.last_message_at: float | None = None
        self.records: list[MessageRecord] = []
        self.marketing_received: list[float] = []
        self._mark = server.seq

    def __repr__(self) -> str:
        return f"<Person {self.name} wa_id={self.wa_id}>"

    # --- the 24-hour window ----------------------------------------------------------------

    @property
    def window_closes_at(self) -> float | None:
        if self.last_message_at is None:
            return None
        return self.last_message_at + WINDOW_SECONDS

    @property
    def window_open(self) -> bool:
        closes = self.window_closes_at
        return closes is not None and self.server.now() < closes

    # --- what the person sees --------------------------------------------------------------

    @property
    def chat(self) -> list[SeenMessage]:
        """Every message both ways, oldest first (the bot's failed ones included, marked)."""
        return [seen(r) for r in self.records]

    @property
    def messages(self) -> list[SeenMessage]:
        """The bot's messages that reached this person, oldest first."""
        return [seen(r) for r in self.records if r.from_bot and r.status != "failed"]

    bot_messages = messages

    @property
    def failed(self) -> list[SeenMessage]:
        """The bot's messages that did not reach this person (with their error code)."""
        return [seen(r) for r in self.records if r.from_bot and r.status == "failed"]

    @property
    def last(self) -> SeenMessage | None:
        for record in reversed(self.records):
            if record.from_bot and record.status != "failed":
                return seen(record)
        return None

    async def wait_for_message(
        self,
        count: int = 1,
        containing: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - tests read better with a plain timeout
    ) -> SeenMessage:
        """Wait for the bot's answer to what this person did last: the `count`-th new message
        that reached them, or the first new one whose text contains `containing`."""
        mark = self._mark
        found: list[SeenMessage] = []

        def arrived() -> bool:
            new = [r for r in self.records if r.from_bot and r.seq > mark and r.status != "failed"]
            if containing is not None:
                for record in new:
                    message = seen(record)
                    if containing in (message.text or ""):
                        found.append(message)
                        return True
                return False
            if len(new) >= count:
                found.append(seen(new[count - 1]))
                return True
            return False

        what = f"a message containing {containing!r}" if containing else f"{count} message(s)"
        await self.server.wait_until(arrived, timeout, f"{self!r} waited for {what}")
        return found[-1]

    # --- what the person does --------------------------------------------------------------

    def message_event(self, text: str, *, reply_to: SeenMessage | str | None = None) -> JSON:
        """A text message webhook as Meta would shape it, neither sent nor recorded (to post
        by hand, say unsigned or with a forged signature)."""
        message = self._message_json("text", {"text": {"body": text}}, reply_to)
        return self.server.message_payload(self, message)

    async def send(self, text: str, *, reply_to: SeenMessage | str | None = None) -> str:
        """Type a message to the bot; returns its wamid. Opens the 24-hour window."""
        return self._emit("text", {"text": {"body": text}}, reply_to)

    async def press(self, title: str) -> str:
        """Tap the reply button (or a template's quick-reply button) with this title on the
        newest message that has it; returns the wamid of the reply."""
        for record in reversed(self.records):
            if not record.from_bot or record.status == "failed":
                continue
            message = seen(record)
            for button in message.buttons:
                if button.title != title:
                    continue
                if button.url is not None:
                    raise AssertionError(f"{title!r} is a URL button: it opens {button.url}")
                if record.type == "template":
                    fields = {"button": {"payload": button.id, "text": button.title}}
                    return self._emit("button", fields, message)
                reply = {"type": "button_reply", "button_reply": {"id": button.id, "title": title}}
                return self._emit("interactive", {"interactive": reply}, message)
        raise AssertionError(
            f"{self.name} sees no button {title!r}; buttons on the newest messages: "
            f"{[m.labels for m in self.messages[-3:]]}"
        )

    async def choose(self, title: str) -> str:
        """Open the newest list that has a row with this title and pick it."""
        for record in reversed(self.records):
            if not record.from_bot or record.status == "failed":
                continue
            message = seen(record)
            for row in message.rows:
                if row.title != title:
                    continue
                picked: JSON = {"id": row.id, "title": row.title}
                if row.description is not None:
                    picked["description"] = row.description
                reply = {"type": "list_reply", "list_reply": picked}
                return self._emit("interactive", {"interactive": reply}, message)
        raise AssertionError(
            f"{self.name} sees no list row {title!r}; rows on the newest messages: "
            f"{[m.row_titles for m in self.messages[-3:]]}"
        )

    async def react(self, message: SeenMessage | str, emoji: str) -> str:
        """Put an emoji on a message (an empty one takes it back)."""
        wamid = message if isinstance(message, str) else message.wamid
        for record in self.records:
            if record.wamid == wamid:
                record.reaction = emoji or None
        return self._emit("reaction", {"reaction": {"message_id": wamid, "emoji": emoji}}, None)

    async def read(self) -> int:
        """Open the chat: every delivered bot message becomes read (read statuses follow).
        Returns how many were read."""
        fresh = [r for r in self.records if r.from_bot and r.status == "delivered"]
        for record in fresh:
            self.server.set_status(record, "read")
        return len(fresh)

    async def stop_marketing(self) -> None:
        """Tap 'Stop' on marketing messages: marketing templates then fail with 131050."""
        self.marketing_opt_out = True
        self.server.preference_changed(self, "stop")

    async def resume_marketing(self) -> None:
        self.marketing_opt_out = False
        self.server.preference_changed(self, "resume")

    # --- plumbing --------------------------------------------------------------------------

    def _message_json(self, kind: str, fields: JSON, context: SeenMessage | str | None) -> JSON:
        message: JSON = {
            "from": self.wa_id,
            "id": new_wamid(self.wa_id),
            "timestamp": str(int(self.server.now())),
            "type": kind,
        }
        if context is not None:
            wamid = context if isinstance(context, str) else context.wamid
            message["context"] = {"from": self.server.display_phone_number, "id": wamid}
        message.update(fields)
        return message

    def _emit(self, kind: str, fields: JSON, context: SeenMessage | str | None) -> str:
        message = self._message_json(kind, fields, context)
        self.last_message_at = self.server.now()
        record = self.server.record_inbound(self, message)
        self._mark = record.seq
        return record.wamid
