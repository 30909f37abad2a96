"""Message templates: what may be sent to someone outside a network's window.

WhatsApp lets a business write freely only within 24 hours of the person's last message;
after that only templates Meta approved beforehand. This is the catalogue to register
(`buurbot whatsapp templates` prints it), in every language, and what fills them in. The
bot sends a template only when its name is in `BUURBOT_WHATSAPP_APPROVED_TEMPLATES`.

- `buurbot_reminder` (utility): the reminder of an action the person said they come to,
  with its title, when and where; its button shows the action.
- `buurbot_update` (utility): "there is news about <initiative>", for everything else that
  is held for the person (a follow-up, a nudge, a reply that found the window closed);
  tapping its button opens the window, and what was held is sent then.

Texts are msgids like every other text (nl in the catalogs), with named placeholders that
become the numbered ones Meta requires (`{{1}}`, `{{2}}`) in the order of `names`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.config import SUPPORTED_LANGUAGES
from bot.i18n import N_, texts_for

__all__ = [
    "CATALOGUE",
    "REMINDER",
    "UPDATE",
    "WINDOW_PAYLOAD",
    "Template",
    "catalogue_entries",
    "catalogue_text",
    "meta_language",
]

# The payload of the "show me" button of `buurbot_update`: the runtime answers it by
# sending what was held.
WINDOW_PAYLOAD = "~window"
# Meta's codes for the languages Buurbot speaks (WhatsApp's "supported languages" list).
META_LANGUAGES = {"nl": "nl", "en": "en_GB", "tr": "tr", "pl": "pl", "ar": "ar", "uk": "uk"}


def meta_language(lang: str) -> str:
    return META_LANGUAGES.get(lang, "nl")


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    category: str  # UTILITY or MARKETING, as registered with Meta
    body: str  # msgid with {{1}}…
    buttons: tuple[str, ...]  # quick-reply labels (msgids)
    names: tuple[str, ...]  # the body's placeholders, in the order of {{1}}, {{2}}…
    parameters: tuple[str, ...]  # what each one is, for the catalogue
    examples: tuple[str, ...]  # Meta asks for an example of each parameter

    def text(self, lang: str, values: tuple[str, ...] = ()) -> str:
        """The body in `lang` as Meta registers it ({{1}}…), or filled with `values`."""
        body = str(texts_for(lang)._(self.body))
        for index, name in enumerate(self.names):
            value = values[index] if index < len(values) else f"{{{{{index + 1}}}}}"
            body = body.replace(f"{{{name}}}", value)
        return body

    def labels(self, lang: str) -> tuple[str, ...]:
        return tuple(str(texts_for(lang)._(label)) for label in self.buttons)


REMINDER = Template(
    name="buurbot_reminder",
    category="UTILITY",
    body=N_(
        "⏰ Reminder: {title} is on {when}. Place: {place}. "
        "You said you would come; tap below to see the action or change your answer."
    ),
    buttons=(N_("Show the action"),),
    names=("title", "when", "place"),
    parameters=("the action's title", "day and time", "place"),
    examples=("Tegeltuinen aanleggen", "zaterdag 5 december om 10:00", "Lindelaan 12"),
)

UPDATE = Template(
    name="buurbot_update",
    category="UTILITY",
    body=N_(
        "Hello {name}, there is news about your initiative {title} in Buurbot. "
        "Tap below to read it."
    ),
    buttons=(N_("Show me"),),
    names=("name", "title"),
    parameters=("the person's name", "the initiative's title"),
    examples=("Anna", "Groene Lindelaan"),
)

CATALOGUE = (REMINDER, UPDATE)


def catalogue_entries() -> list[dict[str, object]]:
    """The catalogue as data: one entry per template and language (name, category,
    language, body, buttons, examples), as `buurbot whatsapp templates --json` prints it."""
    return [
        {
            "name": template.name,
            "category": template.category,
            "language": meta_language(lang),
            "body": template.text(lang),
            "buttons": list(template.labels(lang)),
            "examples": list(template.examples),
        }
        for template in CATALOGUE
        for lang in SUPPORTED_LANGUAGES
    ]


def catalogue_text(approved: frozenset[str]) -> str:
    """The catalogue as the operator registers it in Meta's WhatsApp Manager."""
    lines = []
    for template in CATALOGUE:
        for lang in SUPPORTED_LANGUAGES:
            lines += [
                f"name: {template.name}",
                f"category: {template.category}",
                f"language: {meta_language(lang)}",
                f"body: {template.text(lang)}",
                *(f"button (quick reply): {label}" for label in template.labels(lang)),
                *(
                    f"{{{{{index}}}}}: {what} (example: {example})"
                    for index, (what, example) in enumerate(
                        zip(template.parameters, template.examples, strict=True), start=1
                    )
                ),
                "status: "
                + (
                    "approved (used)"
                    if template.name in approved
                    else "not approved yet (add it to BUURBOT_WHATSAPP_APPROVED_TEMPLATES)"
                ),
                "",
            ]
    return "\n".join(lines)
