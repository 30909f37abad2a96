"""The Cloud API's rules for a `POST /{phone_number_id}/messages` payload, checked as Meta does.

Limits follow Meta's Cloud API reference for messages
(https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages/) and for
interactive messages (https://developers.facebook.com/documentation/business-messaging/
whatsapp/messages/interactive-list-messages and .../interactive-reply-buttons-messages):
text body ≤ 4,096; reply buttons 1-3, title ≤ 20, id ≤ 256, unique; list: button text ≤ 20,
1-10 sections, 1-10 rows in all, row title ≤ 24, row id ≤ 200, description ≤ 72, section
title ≤ 24 and required when there is more than one section; interactive body ≤ 1,024,
header and footer ≤ 60; media caption ≤ 1,024. Template parameters may not hold new lines,
tabs or more than four consecutive spaces (error 132018).
Every object is closed: a key the API does not know is refused (code 100), as Graph does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError, invalid_parameter, invalid_value, missing
from .media import SENDABLE, StoredMedia
from .templates import PLACEHOLDER_RE, Template, TemplateRegistry, TemplateStatus, render

JSON = dict[str, Any]

MAX_TEXT_BODY = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_HEADER_TEXT = 60
MAX_FOOTER_TEXT = 60
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_BUTTON = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
MAX_SECTION_TITLE = 24
MAX_ROW_TITLE = 24
MAX_ROW_ID = 200
MAX_ROW_DESCRIPTION = 72
MAX_CAPTION = 1024
MAX_FILENAME = 240
MAX_TEMPLATE_TEXT = 1024

MESSAGE_TYPES = frozenset({"text", "interactive", "template", "image", "document", "reaction"})
# Real Cloud API types the local server does not play; refused with a clear reason.
UNPLAYED_TYPES = frozenset({"audio", "video", "sticker", "location", "contacts"})
_PHONE_RE = re.compile(r"\+?[\d\s().-]+")
_BAD_PARAM_RE = re.compile(r"[\n\t]| {5,}")


@dataclass(slots=True)
class Outgoing:
    """A checked send: what the person will see, and what decides its delivery."""

    type: str
    to: str  # as given
    wa_id: str  # digits only
    content: JSON  # the object under the type key
    context_id: str | None = None
    biz_opaque_callback_data: str | None = None
    template: Template | None = None
    body_values: list[str] = field(default_factory=list)
    header_values: list[str] = field(default_factory=list)
    button_payloads: dict[int, str] = field(default_factory=dict)

    @property
    def free_form(self) -> bool:
        """Everything but a template needs an open customer-service window."""
        return self.type != "template"


@dataclass(slots=True)
class ReadReceipt:
    message_id: str
    typing: bool


# --- small checks --------------------------------------------------------------------------------


def _object(value: Any, where: str) -> JSON:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Param {where} must be a JSON object")
    return value


def _closed(obj: JSON, allowed: set[str] | frozenset[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid_parameter(f'Unexpected key "{key}" on param "{where}".')


def _text(
    obj: JSON,
    key: str,
    where: str,
    max_len: int,
    *,
    required: bool = True,
    min_len: int = 1,
) -> str | None:
    path = f"{where}['{key}']" if where else key
    if key not in obj or obj[key] is None:
        if required:
            raise missing(f"The parameter {path} is required.")
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise invalid_parameter(f"Param {path} must be a string.")
    if not min_len <= len(value) <= max_len:
        raise invalid_value(
            f"{path} length invalid: {len(value)} characters. "
            f"Min length: {min_len}, Max length: {max_len}"
        )
    return value


def _list(obj: JSON, key: str, where: str) -> list[Any]:
    path = f"{where}['{key}']"
    if key not in obj:
        raise missing(f"The parameter {path} is required.")
    value = obj[key]
    if not isinstance(value, list):
        raise invalid_parameter(f"Param {path} must be an array.")
    return value


def wa_id_of(to: Any) -> str:
    if not isinstance(to, str | int) or isinstance(to, bool):
        raise invalid_parameter("Param to must be a phone number string.")
    text = str(to).strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_RE.fullmatch(text) or not 7 <= len(digits) <= 15:
        raise invalid_parameter(f"Param to ({text!r}) is not a valid WhatsApp phone number.")
    return digits


# --- the payload ---------------------------------------------------------------------------------


def check_payload(
    payload: Any,
    templates: TemplateRegistry,
    media: Mapping[str, StoredMedia] | None = None,
) -> Outgoing | ReadReceipt:
    """Check a send as the Cloud API does; `media`: the uploads a media id may name."""
    body = _object(payload, "body")
    if body.get("messaging_product") != "whatsapp":
        if "messaging_product" not in body:
            raise invalid_parameter("The parameter messaging_product is required.")
        raise invalid_parameter("Param messaging_product must be 'whatsapp'.")
    if "status" in body:
        return _check_read(body)
    kind = body.get("type", "text")
    if not isinstance(kind, str):
        raise invalid_parameter("Param type must be a string.")
    if kind in UNPLAYED_TYPES:
        raise invalid_value(f"Message type {kind!r} is not played by the local server.")
    if kind not in MESSAGE_TYPES:
        raise invalid_value(f"Param type ({kind!r}) is not a valid message type.")
    _closed(
        body,
        {
            "messaging_product",
            "recipient_type",
            "to",
            "type",
            "context",
            "biz_opaque_callback_data",
            "recipient_identity_key_hash",  # deliver only if the person's identity is unchanged
            kind,
        },
        "message",
    )
    if body.get("recipient_type", "individual") != "individual":
        raise invalid_value(
            "recipient_type must be 'individual': bots cannot be in ordinary WhatsApp groups."
        )
    if "to" not in body:
        raise missing("The parameter to is required.")
    wa_id = wa_id_of(body["to"])
    if kind not in body:
        raise missing(f"The parameter {kind} is required.")
    content = _object(body[kind], kind)
    context_id = None
    if "context" in body:
        context = _object(body["context"], "context")
        _closed(context, {"message_id"}, "context")
        context_id = _text(context, "message_id", "context", 512)
    opaque = _text(body, "biz_opaque_callback_data", "", 512, required=False)
    out = Outgoing(kind, str(body["to"]), wa_id, content, context_id, opaque)
    if kind == "text":
        _closed(content, {"body", "preview_url"}, "text")
        _text(content, "body", "text", MAX_TEXT_BODY)
        if "preview_url" in content and not isinstance(content["preview_url"], bool):
            raise invalid_parameter("Param text['preview_url'] must be a boolean.")
    elif kind == "interactive":
        _check_interactive(content, media)
    elif kind == "template":
        _check_template(content, templates, out)
    elif kind in ("image", "document"):
        _check_media(content, kind, media)
    elif kind == "reaction":
        _closed(content, {"message_id", "emoji"}, "reaction")
        _text(content, "message_id", "reaction", 512)
        _text(content, "emoji", "reaction", 16, min_len=0)  # "" takes a reaction back
    return out


def _check_read(body: JSON) -> ReadReceipt:
    _closed(body, {"messaging_product", "status", "message_id", "typing_indicator"}, "message")
    if body["status"] != "read":
        raise invalid_value("Param status must be 'read'.")
    message_id = _text(body, "message_id", "", 512)
    typing = False
    if "typing_indicator" in body:
        indicator = _object(body["typing_indicator"], "typing_indicator")
        _closed(indicator, {"type"}, "typing_indicator")
        if indicator.get("type") != "text":
            raise invalid_value("typing_indicator['type'] must be 'text'.")
        typing = True
    assert message_id is not None
    return ReadReceipt(message_id, typing)


def _check_media(content: JSON, kind: str, media: Mapping[str, StoredMedia] | None) -> None:
    allowed = {"link", "id", "caption"} | ({"filename"} if kind == "document" else set())
    _closed(content, allowed, kind)
    if ("link" in content) == ("id" in content):
        raise invalid_value(f"{kind} needs exactly one of 'link' and 'id'.")
    if "link" in content:
        link = _text(content, "link", kind, 2048)
        assert link is not None
        if not link.startswith(("https://", "http://")):
            raise invalid_value(f"{kind}['link'] must be an http(s) URL.")
    else:
        media_id = _text(content, "id", kind, 512)
        stored = media.get(media_id) if media is not None and media_id is not None else None
        if media is not None and stored is None:
            raise invalid_value(f"{kind}['id'] {media_id!r}: no uploaded media has this id.")
        allowed = SENDABLE.get(kind)
        if stored is not None and allowed is not None and stored.mime_type not in allowed:
            raise invalid_value(
                f"{kind}['id'] {media_id!r} is {stored.mime_type}, which a {kind} cannot carry."
            )
    _text(content, "caption", kind, MAX_CAPTION, required=False)
    _text(content, "filename", kind, MAX_FILENAME, required=False)


def _check_interactive(content: JSON, media: Mapping[str, StoredMedia] | None) -> None:
    _closed(content, {"type", "header", "body", "footer", "action"}, "interactive")
    kind = content.get("type")
    if kind is None:
        raise missing("The parameter interactive['type'] is required.")
    if kind not in ("button", "list"):
        raise invalid_value(
            f"interactive['type'] ({kind!r}): the local server plays 'button' and 'list'."
        )
    if "header" in content:
        header = _object(content["header"], "interactive['header']")
        media = ("image", "video", "document") if kind == "button" else ()
        header_type = header.get("type")
        if header_type == "text":
            _closed(header, {"type", "text"}, "interactive['header']")
            _text(header, "text", "interactive['header']", MAX_HEADER_TEXT)
        elif header_type in media:
            _closed(header, {"type", header_type}, "interactive['header']")
            _check_media(_object(header.get(header_type), header_type), header_type, media)
        else:
            allowed = ", ".join(("text", *media))
            raise invalid_value(f"interactive['header']['type'] must be one of: {allowed}.")
    if "body" not in content:
        raise missing("The parameter interactive['body'] is required.")
    body = _object(content["body"], "interactive['body']")
    _closed(body, {"text"}, "interactive['body']")
    _text(body, "text", "interactive['body']", MAX_INTERACTIVE_BODY)
    if "footer" in content:
        footer = _object(content["footer"], "interactive['footer']")
        _closed(footer, {"text"}, "interactive['footer']")
        _text(footer, "text", "interactive['footer']", MAX_FOOTER_TEXT)
    if "action" not in content:
        raise missing("The parameter interactive['action'] is required.")
    action = _object(content["action"], "interactive['action']")
    if kind == "button":
        _check_buttons(action)
    else:
        _check_list(action)


def _check_buttons(action: JSON) -> None:
    where = "interactive['action']"
    _closed(action, {"buttons"}, where)
    buttons = _list(action, "buttons", where)
    if not 1 <= len(buttons) <= MAX_REPLY_BUTTONS:
        raise invalid_value(
            f"{where}['buttons']: {len(buttons)} buttons; "
            f"Min buttons: 1, Max buttons: {MAX_REPLY_BUTTONS}"
        )
    ids: set[str] = set()
    titles: set[str] = set()
    for i, raw in enumerate(buttons):
        path = f"{where}['buttons'][{i}]"
        button = _object(raw, path)
        _closed(button, {"type", "reply"}, path)
        if button.get("type") != "reply":
            raise invalid_value(f"{path}['type'] must be 'reply'.")
        reply = _object(button.get("reply"), f"{path}['reply']")
        _closed(reply, {"id", "title"}, f"{path}['reply']")
        button_id = _text(reply, "id", f"{path}['reply']", MAX_BUTTON_ID)
        title = _text(reply, "title", f"{path}['reply']", MAX_BUTTON_TITLE)
        assert button_id is not None and title is not None
        if button_id in ids:
            raise invalid_value(f"Duplicate button id {button_id!r}: button ids must be unique.")
        if title in titles:
            raise invalid_value(f"Duplicate button title {title!r}: titles must be unique.")
        ids.add(button_id)
        titles.add(title)


def _check_list(action: JSON) -> None:
    where = "interactive['action']"
    _closed(action, {"button", "sections"}, where)
    _text(action, "button", where, MAX_LIST_BUTTON)
    sections = _list(action, "sections", where)
    if not 1 <= len(sections) <= MAX_SECTIONS:
        raise invalid_value(
            f"{where}['sections']: {len(sections)} sections; "
            f"Min sections: 1, Max sections: {MAX_SECTIONS}"
        )
    total = 0
    row_ids: set[str] = set()
    for s, raw in enumerate(sections):
        path = f"{where}['sections'][{s}]"
        section = _object(raw, path)
        _closed(section, {"title", "rows"}, path)
        _text(section, "title", path, MAX_SECTION_TITLE, required=len(sections) > 1)
        rows = _list(section, "rows", path)
        if not rows:
            raise invalid_value(f"{path}['rows']: a section needs at least one row.")
        for r, raw_row in enumerate(rows):
            row_path = f"{path}['rows'][{r}]"
            row = _object(raw_row, row_path)
            _closed(row, {"id", "title", "description"}, row_path)
            row_id = _text(row, "id", row_path, MAX_ROW_ID)
            _text(row, "title", row_path, MAX_ROW_TITLE)
            _text(row, "description", row_path, MAX_ROW_DESCRIPTION, required=False)
            assert row_id is not None
            if row_id in row_ids:
                raise invalid_value(f"Duplicate row id {row_id!r}: row ids must be unique.")
            row_ids.add(row_id)
        total += len(rows)
    if total > MAX_ROWS:
        raise invalid_value(f"{where}: {total} rows in all; Max rows: {MAX_ROWS}")


# --- templates -----------------------------------------------------------------------------------


def _check_template(content: JSON, templates: TemplateRegistry, out: Outgoing) -> None:
    _closed(content, {"name", "language", "components", "namespace"}, "template")
    name = _text(content, "name", "template", 512)
    if "language" not in content:
        raise missing("The parameter template['language'] is required.")
    language = _object(content["language"], "template['language']")
    _closed(language, {"code", "policy"}, "template['language']")
    code = _text(language, "code", "template['language']", 16)
    if language.get("policy", "deterministic") != "deterministic":
        raise invalid_value("template['language']['policy'] must be 'deterministic'.")
    assert name is not None and code is not None
    template = templates.get(name, code)
    if template is None or template.status in (TemplateStatus.PENDING, TemplateStatus.REJECTED):
        state = "" if template is None else f" (its status is {template.status.value})"
        raise GraphError(404, 132001, f"template name ({name}) does not exist in {code}{state}")
    if template.status is TemplateStatus.PAUSED:
        raise GraphError(400, 132015, f"Template {name} in {code} is paused.", rejected=False)
    if template.status is TemplateStatus.DISABLED:
        raise GraphError(400, 132016, f"Template {name} in {code} is disabled.", rejected=False)
    out.template = template
    components = content.get("components", [])
    if not isinstance(components, list):
        raise invalid_parameter("Param template['components'] must be an array.")
    seen_parts: set[str] = set()
    for c, raw in enumerate(components):
        path = f"template['components'][{c}]"
        component = _object(raw, path)
        _closed(component, {"type", "parameters", "sub_type", "index"}, path)
        kind = component.get("type")
        if kind in ("header", "body"):
            if kind in seen_parts:
                raise invalid_value(f"{path}: only one {kind} component is allowed.")
            seen_parts.add(kind)
            values = _text_parameters(component, path)
            if kind == "body":
                out.body_values = values
            else:
                out.header_values = values
        elif kind == "button":
            _template_button(component, path, template, out)
        else:
            raise invalid_value(f"{path}['type'] must be one of: header, body, button.")
    for part, expected, given in (
        ("header", template.header_params, out.header_values),
        ("body", template.body_params, out.body_values),
    ):
        if len(given) != expected:
            raise GraphError(
                400,
                132000,
                f"{part}: number of localizable_params ({len(given)}) does not match the "
                f"expected number of params ({expected})",
            )
    if len(render(template.body, out.body_values)) > MAX_TEMPLATE_TEXT:
        raise invalid_value(f"The rendered template body is longer than {MAX_TEMPLATE_TEXT}.")


def _text_parameters(component: JSON, path: str) -> list[str]:
    parameters = _list(component, "parameters", path)
    values = []
    for p, raw in enumerate(parameters):
        param_path = f"{path}['parameters'][{p}]"
        param = _object(raw, param_path)
        _closed(param, {"type", "text", "parameter_name"}, param_path)
        if param.get("type") != "text":
            raise invalid_value(f"{param_path}['type']: the local server plays text parameters.")
        text = _text(param, "text", param_path, MAX_TEMPLATE_TEXT)
        assert text is not None
        if _BAD_PARAM_RE.search(text):
            raise GraphError(
                400,
                132018,
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
            )
        values.append(text)
    return values


def _template_button(component: JSON, path: str, template: Template, out: Outgoing) -> None:
    sub_type = component.get("sub_type")
    index_raw = component.get("index")
    try:
        index = int(index_raw)  # Meta documents it as a string: "0"
    except (TypeError, ValueError):
        raise missing(f"The parameter {path}['index'] is required (0-9).") from None
    if not 0 <= index < len(template.buttons):
        raise invalid_value(
            f"{path}['index'] {index}: template {template.name} has no such button."
        )
    button = template.buttons[index]
    parameters = _list(component, "parameters", path)
    if sub_type == "quick_reply":
        if button.type.value != "QUICK_REPLY":
            raise invalid_value(f"{path}: button {index} is not a quick reply button.")
        if len(parameters) != 1:
            raise invalid_value(f"{path}: a quick reply button takes one payload parameter.")
        param = _object(parameters[0], f"{path}['parameters'][0]")
        _closed(param, {"type", "payload"}, f"{path}['parameters'][0]")
        if param.get("type") != "payload":
            raise invalid_value(f"{path}['parameters'][0]['type'] must be 'payload'.")
        payload = _text(param, "payload", f"{path}['parameters'][0]", 1000)
        assert payload is not None
        out.button_payloads[index] = payload
    elif sub_type == "url":
        if button.type.value != "URL":
            raise invalid_value(f"{path}: button {index} is not a URL button.")
        expected = len(PLACEHOLDER_RE.findall(button.url or ""))
        if len(parameters) != expected:
            raise GraphError(
                400,
                132000,
                f"button {index}: number of params ({len(parameters)}) does not match the "
                f"expected number of params ({expected})",
            )
    else:
        raise invalid_value(f"{path}['sub_type'] must be 'quick_reply' or 'url'.")
