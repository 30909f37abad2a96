"""The message template registry: what Meta approved, paused or re-categorised.

A template is addressed by (name, language). Only APPROVED templates can be sent; the rules
for registering one follow Meta's template guidelines
(https://developers.facebook.com/docs/whatsapp/message-templates/guidelines): a lower-case
name of letters, digits and underscores (≤ 512); body ≤ 1,024 characters with sequential
placeholders {{1}}..{{n}}; text header and footer ≤ 60; at most 10 buttons, a button's text
≤ 25 characters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON = dict[str, Any]

PLACEHOLDER_RE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
NAME_RE = re.compile(r"[a-z0-9_]{1,512}")
MAX_TEMPLATE_BODY = 1024
MAX_TEMPLATE_HEADER = 60
MAX_TEMPLATE_FOOTER = 60
MAX_TEMPLATE_BUTTONS = 10
MAX_TEMPLATE_BUTTON_TEXT = 25


class TemplateStatus(StrEnum):
    APPROVED = "APPROVED"
    PENDING = "PENDING"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"


class TemplateCategory(StrEnum):
    UTILITY = "UTILITY"
    MARKETING = "MARKETING"
    AUTHENTICATION = "AUTHENTICATION"


class ButtonType(StrEnum):
    QUICK_REPLY = "QUICK_REPLY"
    URL = "URL"
    PHONE_NUMBER = "PHONE_NUMBER"


@dataclass(slots=True)
class TemplateButton:
    type: ButtonType
    text: str
    url: str | None = None
    phone_number: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"type": self.type.value, "text": self.text}
        if self.url is not None:
            data["url"] = self.url
        if self.phone_number is not None:
            data["phone_number"] = self.phone_number
        return data


@dataclass(slots=True)
class Template:
    id: str
    name: str
    language: str
    category: TemplateCategory
    status: TemplateStatus
    body: str
    header: str | None = None
    footer: str | None = None
    buttons: list[TemplateButton] = field(default_factory=list)
    rejected_reason: str | None = None

    @property
    def body_params(self) -> int:
        return placeholder_count(self.body)

    @property
    def header_params(self) -> int:
        return placeholder_count(self.header or "")

    @property
    def quick_replies(self) -> list[tuple[int, TemplateButton]]:
        return [(i, b) for i, b in enumerate(self.buttons) if b.type is ButtonType.QUICK_REPLY]

    def components(self) -> list[JSON]:
        """The Graph API's `components` of this template."""
        parts: list[JSON] = []
        if self.header is not None:
            parts.append({"type": "HEADER", "format": "TEXT", "text": self.header})
        parts.append({"type": "BODY", "text": self.body})
        if self.footer is not None:
            parts.append({"type": "FOOTER", "text": self.footer})
        if self.buttons:
            parts.append({"type": "BUTTONS", "buttons": [b.to_json() for b in self.buttons]})
        return parts

    def to_json(self) -> JSON:
        data: JSON = {
            "name": self.name,
            "language": self.language,
            "status": self.status.value,
            "category": self.category.value,
            "id": self.id,
            "components": self.components(),
        }
        if self.rejected_reason:
            data["rejected_reason"] = self.rejected_reason
        return data


def placeholder_count(text: str) -> int:
    return len({int(n) for n in PLACEHOLDER_RE.findall(text)})


def render(text: str, values: list[str]) -> str:
    return PLACEHOLDER_RE.sub(lambda m: values[int(m.group(1)) - 1], text)


def _check_placeholders(text: str, where: str) -> None:
    numbers = sorted({int(n) for n in PLACEHOLDER_RE.findall(text)})
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(
            f"{where}: placeholders must be {{{{1}}}}..{{{{n}}}} in sequence, got {numbers}"
        )


TemplateListener = Callable[[str, JSON], None]


class TemplateRegistry:
    """`server.templates`: register, approve, pause, re-categorise templates."""

    def __init__(self, on_event: TemplateListener | None = None) -> None:
        self._templates: dict[tuple[str, str], Template] = {}
        self._ids = itertools.count(1_000_000_000_001)
        self._on_event = on_event

    def __iter__(self):
        return iter(list(self._templates.values()))

    def __len__(self) -> int:
        return len(self._templates)

    def __contains__(self, key: object) -> bool:
        return key in self._templates

    def get(self, name: str, language: str) -> Template | None:
        return self._templates.get((name, language))

    def __getitem__(self, key: tuple[str, str]) -> Template:
        template = self._templates.get(key)
        if template is None:
            raise KeyError(
                f"no template {key[0]!r} in {key[1]!r}; registered: {sorted(self._templates)}"
            )
        return template

    def add(
        self,
        name: str,
        language: str,
        body: str,
        *,
        category: TemplateCategory | str = TemplateCategory.UTILITY,
        status: TemplateStatus | str = TemplateStatus.APPROVED,
        header: str | None = None,
        footer: str | None = None,
        buttons: Iterable[str | Mapping[str, Any] | TemplateButton] = (),
    ) -> Template:
        """Register a template (ValueError when Meta would refuse it at submission).
        A button is a quick-reply text, a TemplateButton, or a dict {type, text, url}."""
        if not NAME_RE.fullmatch(name):
            raise ValueError(f"template name {name!r}: lower-case letters, digits and _ only")
        if (name, language) in self._templates:
            raise ValueError(f"template {name!r} in {language!r} is already registered")
        if not body or len(body) > MAX_TEMPLATE_BODY:
            raise ValueError(f"{name}: the body must be 1-{MAX_TEMPLATE_BODY} characters")
        _check_placeholders(body, f"{name} body")
        if header is not None:
            if len(header) > MAX_TEMPLATE_HEADER or "\n" in header:
                raise ValueError(f"{name}: a text header is one line of ≤ {MAX_TEMPLATE_HEADER}")
            _check_placeholders(header, f"{name} header")
        if footer is not None and (len(footer) > MAX_TEMPLATE_FOOTER or "\n" in footer):
            raise ValueError(f"{name}: the footer is one line of ≤ {MAX_TEMPLATE_FOOTER}")
        parsed = [_button(b) for b in buttons]
        if len(parsed) > MAX_TEMPLATE_BUTTONS:
            raise ValueError(f"{name}: at most {MAX_TEMPLATE_BUTTONS} buttons")
        for button in parsed:
            if not button.text or len(button.text) > MAX_TEMPLATE_BUTTON_TEXT:
                raise ValueError(
                    f"{name}: button text {button.text!r} must be 1-{MAX_TEMPLATE_BUTTON_TEXT}"
                )
            if button.type is ButtonType.URL and not button.url:
                raise ValueError(f"{name}: a URL button needs a url")
        texts = [b.text for b in parsed]
        if len(set(texts)) != len(texts):
            raise ValueError(f"{name}: button texts must differ: {texts}")
        template = Template(
            id=str(next(self._ids)),
            name=name,
            language=language,
            category=TemplateCategory(str(category).upper()),
            status=TemplateStatus(str(status).upper()),
            body=body,
            header=header,
            footer=footer,
            buttons=parsed,
        )
        self._templates[(name, language)] = template
        return template

    def add_catalogue(
        self,
        catalogue: Iterable[Mapping[str, Any]],
        *,
        status: TemplateStatus | str = TemplateStatus.APPROVED,
    ) -> list[Template]:
        """Register a catalogue: dicts with name, category, language, body (or Graph-style
        components), optional header, footer, buttons, status (defaults to `status`)."""
        added = []
        for entry in catalogue:
            fields = _catalogue_fields(entry)
            added.append(
                self.add(
                    fields["name"],
                    fields["language"],
                    fields["body"],
                    category=fields.get("category", TemplateCategory.UTILITY),
                    status=fields.get("status", status),
                    header=fields.get("header"),
                    footer=fields.get("footer"),
                    buttons=fields.get("buttons", ()),
                )
            )
        return added

    def remove(self, name: str, language: str | None = None) -> None:
        for key in [k for k in self._templates if k[0] == name and language in (None, k[1])]:
            del self._templates[key]

    def set_status(
        self,
        name: str,
        language: str,
        status: TemplateStatus | str,
        reason: str | None = None,
    ) -> Template:
        """Approve, reject, pause or disable a template, as Meta's review would; a
        message_template_status_update webhook follows (when subscribed)."""
        template = self[(name, language)]
        template.status = TemplateStatus(str(status).upper())
        template.rejected_reason = reason if template.status is TemplateStatus.REJECTED else None
        self._emit(
            "message_template_status_update",
            {
                "event": template.status.value,
                "message_template_id": int(template.id),
                "message_template_name": name,
                "message_template_language": language,
                "reason": reason
                or ("NONE" if template.status is TemplateStatus.REJECTED else None),
            },
        )
        return template

    def recategorise(self, name: str, language: str, category: TemplateCategory | str) -> Template:
        """Meta may move a template to another category (say, UTILITY to MARKETING); a
        template_category_update webhook follows (when subscribed)."""
        template = self[(name, language)]
        previous = template.category
        template.category = TemplateCategory(str(category).upper())
        self._emit(
            "template_category_update",
            {
                "message_template_id": int(template.id),
                "message_template_name": name,
                "message_template_language": language,
                "previous_category": previous.value,
                "new_category": template.category.value,
            },
        )
        return template

    def _emit(self, field_name: str, value: JSON) -> None:
        if self._on_event is not None:
            self._on_event(field_name, value)


def _button(value: str | Mapping[str, Any] | TemplateButton) -> TemplateButton:
    if isinstance(value, TemplateButton):
        return value
    if isinstance(value, str):
        return TemplateButton(ButtonType.QUICK_REPLY, value)
    kind = ButtonType(str(value.get("type", "QUICK_REPLY")).upper())
    return TemplateButton(kind, str(value["text"]), value.get("url"), value.get("phone_number"))


def _catalogue_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(entry)
    if "language" not in fields:
        raise ValueError(f"catalogue entry {fields.get('name')!r} has no language")
    if isinstance(fields["language"], Mapping):
        fields["language"] = fields["language"]["code"]
    components = fields.pop("components", None)
    if components is not None:  # the shape Graph's message_templates endpoint takes
        for part in components:
            kind = str(part.get("type", "")).upper()
            if kind == "BODY":
                fields["body"] = part["text"]
            elif kind == "HEADER":
                if str(part.get("format", "TEXT")).upper() != "TEXT":
                    raise ValueError("the local server registers text headers only")
                fields["header"] = part["text"]
            elif kind == "FOOTER":
                fields["footer"] = part["text"]
            elif kind == "BUTTONS":
                fields["buttons"] = part.get("buttons", [])
            else:
                raise ValueError(f"unknown template component {part.get('type')!r}")
    if "body" not in fields:
        raise ValueError(f"catalogue entry {fields.get('name')!r} has no body")
    return fields
