"""Telegram's limits and its HTML parse mode, checked the way the Bot API checks them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_POLL_QUESTION = 300
MIN_POLL_OPTIONS, MAX_POLL_OPTIONS = 2, 12
MAX_POLL_OPTION = 100
MAX_POLL_EXPLANATION = 200
MIN_OPEN_PERIOD, MAX_OPEN_PERIOD = 5, 600
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# The fields of InlineKeyboardButton that decide what the button does; exactly one is allowed.
_BUTTON_NON_ACTION_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})

# Telegram's HTML parse mode: these tags and nothing else.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji", "tg-time"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z0-9_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


@dataclass(slots=True)
class FormattedText:
    text: str
    entities: list[dict[str, Any]]


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _cant_parse(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def parse_html(source: str) -> FormattedText:
    """Strip Telegram HTML to plain text plus entities; raise on what Telegram refuses.

    Stricter than Telegram in one respect: a bare `&` that does not start an entity is an
    error (Telegram keeps it literally), because it nearly always means unescaped user text.
    """
    out: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    # stack entries: [tag name, entity type or None, utf16 start, extra entity fields]
    stack: list[list[Any]] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            if m is None:
                raise _cant_parse(
                    f"Character '&' at byte offset {_byte_offset(source, i)} does not start an "
                    "HTML entity; escape it as &amp;"
                )
            if m.group(3) is not None:
                named = _NAMED_ENTITIES.get(m.group(3))
                if named is None:
                    raise _cant_parse(
                        f'Unsupported HTML entity "&{m.group(3)};" at byte offset '
                        f"{_byte_offset(source, i)}"
                    )
                decoded = named
            else:
                code = int(m.group(1)) if m.group(1) is not None else int(m.group(2), 16)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise _cant_parse(
                        f"Invalid HTML entity at byte offset {_byte_offset(source, i)}"
                    )
                decoded = chr(code)
            out.append(decoded)
            utf16 += _utf16_len(decoded)
            i = m.end()
            continue
        if ch != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            chunk = source[i:j]
            out.append(chunk)
            utf16 += _utf16_len(chunk)
            i = j
            continue
        # a tag
        tag_offset = _byte_offset(source, i)
        if i + 1 < n and source[i + 1] == "/":
            close = source.find(">", i + 2)
            if close == -1:
                raise _cant_parse(f"Unclosed end tag at byte offset {tag_offset}")
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise _cant_parse(f"Unexpected end tag at byte offset {tag_offset}")
            top = stack.pop()
            if top[0] != name:
                raise _cant_parse(
                    f'Unmatched end tag at byte offset {tag_offset}, expected "</{top[0]}>", '
                    f'found "</{name}>"'
                )
            _close_entity(top, utf16, entities, stack)
            i = close + 1
            continue
        m = _TAG_NAME_RE.match(source, i + 1)
        assert m is not None  # the pattern matches the empty name too
        name = m.group(0).lower()
        if not name:
            raise _cant_parse(f'Unsupported start tag "" at byte offset {tag_offset}')
        if name not in _ALLOWED_TAGS:
            raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {tag_offset}')
        j = m.end()
        attrs: dict[str, str] = {}
        while True:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise _cant_parse(f"Unclosed start tag at byte offset {tag_offset}")
            if source[j] == ">":
                break
            am = _ATTR_RE.match(source, j)
            if am is None or am.end() == j:
                raise _cant_parse(f"Unclosed start tag at byte offset {tag_offset}")
            value = next((g for g in am.groups()[1:] if g is not None), "")
            attrs[am.group(1).lower()] = html.unescape(value)
            j = am.end()
        stack.append(_open_entity(name, attrs, utf16, tag_offset))
        i = j + 1
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return _strip(FormattedText("".join(out), entities))


def _open_entity(name: str, attrs: dict[str, str], utf16: int, tag_offset: int) -> list[Any]:
    extra: dict[str, Any] = {}
    if name in _SIMPLE_TAGS:
        kind: str | None = _SIMPLE_TAGS[name]
        if name == "code" and attrs.get("class", "").startswith("language-"):
            extra["language"] = attrs["class"][len("language-") :]
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _cant_parse(
                f'Tag "span" must have class "tg-spoiler" at byte offset {tag_offset}'
            )
        kind = "spoiler"
    elif name == "a":
        href = attrs.get("href", "")
        user_id = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user_id:
            kind = "text_mention"
            extra["user"] = {"id": int(user_id.group(1)), "is_bot": False, "first_name": ""}
        elif href:
            kind = "text_link"
            extra["url"] = href
        else:
            kind = None  # Telegram drops links without a URL
    elif name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif name == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise _cant_parse(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {tag_offset}'
            )
        kind = "custom_emoji"
        extra["custom_emoji_id"] = attrs["emoji-id"]
    else:  # tg-time
        if not attrs.get("unix", "").isdigit():
            raise _cant_parse(
                f'Tag "tg-time" must have attribute "unix" at byte offset {tag_offset}'
            )
        kind = "date_time"
        extra["unix_time"] = int(attrs["unix"])
        if attrs.get("format"):
            extra["date_time_format"] = attrs["format"]
    return [name, kind, utf16, extra]


def _close_entity(
    top: list[Any], utf16: int, entities: list[dict[str, Any]], stack: list[list[Any]]
) -> None:
    name, kind, start, extra = top
    if kind is None or utf16 == start:
        return
    if name == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is one pre entity, with a language if given
        if "language" in extra:
            stack[-1][3]["language"] = extra["language"]
        return
    entity = {"type": kind, "offset": start, "length": utf16 - start}
    if kind != "code":
        entity.update(extra)
    entities.append(entity)


def _strip(formatted: FormattedText) -> FormattedText:
    """Telegram trims surrounding whitespace and moves the entities with the text."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    end = lead + _utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            entities.append({**entity, "offset": start - lead, "length": stop - start})
    return FormattedText(stripped, entities)


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> FormattedText:
    """What the recipient will see: plain text and entities, after the parse mode."""
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            return parse_html(text)
        if mode not in ("markdown", "markdownv2"):
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        # Markdown is not parsed locally: the raw text (an upper bound of the length) is kept.
        return _strip(FormattedText(text, []))
    return _strip(FormattedText(text, list(entities or [])))


def check_message_text(text: str, parse_mode: str | None, entities: Any) -> FormattedText:
    formatted = format_text(text, parse_mode, entities)
    if not formatted.text:
        raise bad_request("message text is empty")
    if len(formatted.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return formatted


def check_caption(caption: str | None, parse_mode: str | None, entities: Any) -> FormattedText:
    formatted = format_text(caption or "", parse_mode, entities)
    if len(formatted.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return formatted


def check_inline_button(button: dict[str, Any]) -> None:
    actions = [key for key in button if key not in _BUTTON_NON_ACTION_FIELDS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, got {', '.join(sorted(actions))}"
        )
    if not button.get("text"):
        raise bad_request("can't parse inline keyboard button: button text must be non-empty")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")


def check_inline_keyboard(markup: dict[str, Any]) -> None:
    count = sum(len(row) for row in markup.get("inline_keyboard", ()))
    if count > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")


def check_reply_keyboard(markup: dict[str, Any]) -> None:
    for row in markup.get("keyboard", ()):
        for button in row:
            if isinstance(button, dict) and not button.get("text"):
                raise bad_request("can't parse keyboard button: text must be non-empty")


# Checks run by the spec validator after a nested object of this type passed the generic checks.
TYPE_CHECKS = {
    "InlineKeyboardButton": check_inline_button,
    "InlineKeyboardMarkup": check_inline_keyboard,
    "ReplyKeyboardMarkup": check_reply_keyboard,
}


def check_poll(params: dict[str, Any]) -> tuple[FormattedText, list[FormattedText]]:
    question = format_text(
        params["question"], params.get("question_parse_mode"), params.get("question_entities")
    )
    if not question.text:
        raise bad_request("poll question must be non-empty")
    if len(question.text) > MAX_POLL_QUESTION:
        raise bad_request(f"poll question length must not exceed {MAX_POLL_QUESTION}")
    options = params["options"]
    if len(options) < MIN_POLL_OPTIONS:
        raise bad_request("poll must have at least 2 option")
    if len(options) > MAX_POLL_OPTIONS:
        raise bad_request(f"poll can't have more than {MAX_POLL_OPTIONS} options")
    formatted_options = []
    for option in options:
        text = format_text(
            option["text"], option.get("text_parse_mode"), option.get("text_entities")
        )
        if not text.text:
            raise bad_request("poll options must be non-empty")
        if len(text.text) > MAX_POLL_OPTION:
            raise bad_request(f"poll options length must not exceed {MAX_POLL_OPTION}")
        formatted_options.append(text)
    period = params.get("open_period")
    if period is not None and not MIN_OPEN_PERIOD <= period <= MAX_OPEN_PERIOD:
        raise bad_request(
            f"open_period must be between {MIN_OPEN_PERIOD} and {MAX_OPEN_PERIOD} seconds"
        )
    explanation = params.get("explanation")
    if explanation is not None:
        formatted = format_text(
            explanation, params.get("explanation_parse_mode"), params.get("explanation_entities")
        )
        if len(formatted.text) > MAX_POLL_EXPLANATION:
            raise bad_request("poll explanation is too long")
    if params.get("type", "regular") not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    return question, formatted_options


def check_commands(commands: list[dict[str, Any]]) -> None:
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not COMMAND_RE.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= MAX_COMMAND_DESCRIPTION:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
