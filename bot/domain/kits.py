"""Action kits: ready-made step plans that a coach can edit without touching code.

Each kit is one TOML file in ``bot/domain/kitdata/`` (see the README there). A coach
can point ``BUURBOT_KITS_DIR`` at a folder of their own, which then replaces
the shipped kits completely, and check it with::

    python -m bot.domain.kits check [folder]

Kit texts are plain text written by people. They are NOT escaped here: a caller
that sends them as HTML (the seam's ``Outgoing`` texts are HTML) must escape
them first, including the values filled into an invitation.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any

__all__ = [
    "DEFAULT_KITS_DIR",
    "ENV_KITS_DIR",
    "INVITATION_PLACEHOLDERS",
    "KINDS",
    "LANGUAGES",
    "MORE_LANGUAGES",
    "PHASES",
    "THEMES",
    "Kit",
    "KitError",
    "KitOutcome",
    "KitProblem",
    "KitText",
    "clear_kit_cache",
    "english_fallbacks",
    "kits_for",
    "load_kits",
    "main",
    "next_kits",
    "suggest_next",
]

DEFAULT_KITS_DIR = Path(__file__).resolve().parent / "kitdata"
ENV_KITS_DIR = "BUURBOT_KITS_DIR"

THEMES = (
    "energy_saving",
    "collective_purchase",
    "heat_transition",
    "greener",
    "safer",
    "sociable",
    "omgevingswet",
    "other",
)
# Phase 1 (initiëren) has no kits: a kit is something a team does together.
PHASES = ("activeren", "structureren", "groeien", "bestendigen")
KINDS = ("meeting", "action")
LANGUAGES = ("nl", "en")  # the first one is the fallback
# Optional sections: a kit may give any of its texts in these languages (steps and
# checklist items from the first one on); what it leaves out is shown in English, and
# `python -m bot.i18n.catalogs check` lists it (see `english_fallbacks`).
MORE_LANGUAGES = ("tr", "pl", "ar", "uk")
INVITATION_PLACEHOLDERS = ("date", "place", "organiser", "link")

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP_FIELDS = (
    *("id", "theme", "phase", "kind", "threshold", "tenant_friendly", "next", "outcomes"),
    "quotes",
    *LANGUAGES,
    *MORE_LANGUAGES,
)
OUTCOMES_MAX = 6  # questions after an action: more and nobody answers them
# What the quotes of a collective purchase are compared by: price per watt peak (solar
# panels) or per square metre (insulation, and any other purchase).
QUOTE_MEASURES = ("wp", "m2")
_TEXT_FIELDS = (
    "title",
    "summary",
    "steps",
    "checklist",
    "invitation",
    "threshold_reason",
    "bring",
)


# --- data ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KitText:
    """The texts of one kit in one language."""

    lang: str
    title: str
    summary: str
    steps: tuple[str, ...]
    checklist: tuple[str, ...]
    invitation: str
    threshold_reason: str | None = None
    # What neighbours bring along (the poster and the letter say it); may be empty.
    bring: tuple[str, ...] = ()
    # Fields shown in English because this language's section does not give them yet
    # ("summary", "steps 2-8", ...); empty for nl and en.
    fallback: tuple[str, ...] = ()

    def in_english(self, field: str, number: int | None = None) -> bool:
        """Whether ``field`` (item ``number``, from 1, of a list field) is shown in
        English because this language does not give it yet: a reader can be told so."""
        for entry in self.fallback:
            name, _, span = entry.partition(" ")
            if name != field:
                continue
            if not span or number is None:
                return True
            first = int(span.split("-")[0])
            if number >= first:
                return True
        return False


@dataclass(frozen=True, slots=True)
class KitOutcome:
    """One question the after-action review asks: a number of ``key`` (a quantity of
    ``bot/domain/impact/quantities.py``), worded per language."""

    key: str
    questions: Mapping[str, str]

    def question(self, lang: str | None) -> str:
        """In ``lang``; a language the kit does not word it in reads the English (as the
        kit's other texts do), Dutch only for Dutch or no language."""
        base = (lang or "").strip().lower().replace("_", "-").split("-")[0]
        if base in self.questions:
            return self.questions[base]
        if base and base != LANGUAGES[0] and "en" in self.questions:
            return self.questions["en"]
        return self.questions[LANGUAGES[0]]


@dataclass(frozen=True, slots=True)
class Kit:
    id: str
    theme: str
    phase: str
    kind: str
    tenant_friendly: bool
    nl: KitText
    en: KitText
    threshold: int | None = None  # households needed, if any
    next: tuple[str, ...] = ()
    outcomes: tuple[KitOutcome, ...] = ()
    # A collective purchase: what its quotes are compared by (QUOTE_MEASURES); else None.
    quotes: str | None = None
    source: Path | None = field(default=None, compare=False, repr=False)
    more: tuple[KitText, ...] = ()  # tr, pl, ar, uk: English where not translated

    def text(self, lang: str | None) -> KitText:
        """The texts for ``lang`` ("nl", "en", "tr", also "en-GB"); Dutch otherwise. A
        language of MORE_LANGUAGES without a section reads the English texts."""
        base = (lang or "").strip().lower().replace("_", "-").split("-")[0]
        if base == "en":
            return self.en
        if base in MORE_LANGUAGES:
            return next((t for t in self.more if t.lang == base), None) or _in_english(
                self.en, base
            )
        return self.nl

    def invitation_text(
        self, lang: str | None, *, date: str, place: str, organiser: str, link: str
    ) -> str:
        """The invitation with its placeholders filled in.

        Values are inserted exactly as given: escaping them (and the kit text)
        for HTML or Markdown is the caller's job. ``str.format`` does not read
        braces inside the values, so a value like "{link}" stays literal.
        """
        values = {"date": date, "place": place, "organiser": organiser, "link": link}
        return self.text(lang).invitation.format_map(values)


@dataclass(frozen=True, slots=True)
class KitProblem:
    """One thing wrong in a kit file, explained in English and Dutch."""

    file: str
    field: str | None
    en: str
    nl: str

    def __str__(self) -> str:
        where = f"{self.file} [{self.field}]" if self.field else self.file
        return f"{where}: {self.en}\n    NL: {self.nl}"


class KitError(Exception):
    """One or more kit files are wrong. ``problems`` lists each one."""

    def __init__(self, problems: Sequence[KitProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- validation ----------------------------------------------------------------


class _Checker:
    """Collects problems for one file instead of stopping at the first."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[KitProblem] = []

    def add(self, field_name: str | None, en: str, nl: str) -> None:
        self.problems.append(KitProblem(self.file, field_name, en, nl))

    def text(self, table: Mapping[str, Any], key: str, where: str) -> str | None:
        value = table.get(key)
        if value is None:
            self.add(where, "this field is missing.", "dit veld ontbreekt.")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(
                where,
                "this must be a text between quotes and may not be empty.",
                "dit moet een tekst tussen aanhalingstekens zijn en mag niet leeg zijn.",
            )
            return None
        return value.strip()

    def text_list(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            self.add(where, "this field is missing.", "dit veld ontbreekt.")
            return None
        if not isinstance(value, list):
            self.add(
                where,
                'this must be a list, like ["first", "second"].',
                'dit moet een lijst zijn, zoals ["eerste", "tweede"].',
            )
            return None
        if not value:
            self.add(
                where,
                "the list is empty; add at least one item.",
                "de lijst is leeg; zet er minstens één regel in.",
            )
            return None
        items: list[str] = []
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str) or not item.strip():
                self.add(
                    where,
                    f"item {number} is empty or not a text between quotes.",
                    f"regel {number} is leeg of geen tekst tussen aanhalingstekens.",
                )
                return None
            items.append(item.strip())
        return tuple(items)

    def choice(self, data: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str | None:
        value = data.get(key)
        options = ", ".join(allowed)
        if value is None:
            self.add(
                key,
                f"this field is missing. Choose one of: {options}.",
                f"dit veld ontbreekt. Kies uit: {options}.",
            )
            return None
        if value not in allowed:
            self.add(
                key,
                f"{value!r} is not a known {key}. Choose one of: {options}.",
                f"{value!r} is geen bekende waarde voor {key}. Kies uit: {options}.",
            )
            return None
        return value

    def invitation(self, text: str, where: str) -> None:
        allowed = ", ".join("{" + p + "}" for p in INVITATION_PLACEHOLDERS)
        try:
            parts = list(Formatter().parse(text))
        except ValueError:
            self.add(
                where,
                "a { or } is not closed. Placeholders look like {date}; "
                "write {{ or }} for a brace that should stay in the text.",
                "er staat een { of } die niet gesloten is. Invulplekken zien eruit als {date}; "
                "schrijf {{ of }} voor een accolade die in de tekst moet blijven.",
            )
            return
        for _literal, name, spec, conversion in parts:
            if name is None:
                continue
            shown = "{" + name + "}"
            if name not in INVITATION_PLACEHOLDERS:
                self.add(
                    where,
                    f"unknown placeholder {shown}. You can only use {allowed}.",
                    f"onbekende invulplek {shown}. Je kunt alleen {allowed} gebruiken.",
                )
            elif spec or conversion:
                self.add(
                    where,
                    f"write the placeholder as plain {shown}, without extra signs.",
                    f"schrijf de invulplek gewoon als {shown}, zonder extra tekens.",
                )


def _parse_text(check: _Checker, table: Any, lang: str, has_threshold: bool) -> KitText | None:
    if not isinstance(table, dict):
        check.add(
            lang,
            f"[{lang}] must be a section with title, summary, steps, checklist and invitation.",
            f"[{lang}] moet een blok zijn met title, summary, steps, checklist en invitation.",
        )
        return None
    for key in table:
        if key not in _TEXT_FIELDS:
            check.add(
                f"{lang}.{key}",
                f"unknown field. Possible fields in [{lang}]: {', '.join(_TEXT_FIELDS)}.",
                f"onbekend veld. Velden die in [{lang}] kunnen: {', '.join(_TEXT_FIELDS)}.",
            )
    title = check.text(table, "title", f"{lang}.title")
    summary = check.text(table, "summary", f"{lang}.summary")
    steps = check.text_list(table, "steps", f"{lang}.steps")
    checklist = check.text_list(table, "checklist", f"{lang}.checklist")
    invitation = check.text(table, "invitation", f"{lang}.invitation")
    if invitation is not None:
        check.invitation(invitation, f"{lang}.invitation")
    reason: str | None = None
    if has_threshold:
        reason = check.text(table, "threshold_reason", f"{lang}.threshold_reason")
    elif "threshold_reason" in table:
        check.add(
            f"{lang}.threshold_reason",
            "there is a reason for a threshold, but no threshold. "
            "Add threshold = <number of households> at the top, or remove this line.",
            "er staat een reden voor een drempel, maar geen drempel. "
            "Zet threshold = <aantal huishoudens> bovenaan, of haal deze regel weg.",
        )
    bring: tuple[str, ...] | None = ()
    if "bring" in table:
        bring = check.text_list(table, "bring", f"{lang}.bring")
    if title is None or summary is None or steps is None or checklist is None:
        return None
    if invitation is None or bring is None:
        return None
    return KitText(lang, title, summary, steps, checklist, invitation, reason, bring)


def _parse_outcomes(check: _Checker, raw: Any) -> tuple[KitOutcome, ...]:
    from bot.domain.impact.quantities import DOOR_KEYS, OUTCOME_KEYS

    asked = [key for key in OUTCOME_KEYS if key not in DOOR_KEYS]
    example = (
        '[[outcomes]]\nkey = "tiles_removed"\nnl = "Hoeveel tegels..."\nen = "How many tiles..."'
    )
    if not isinstance(raw, list) or not all(isinstance(each, dict) for each in raw):
        check.add(
            "outcomes",
            f"write each outcome question as its own block, like:\n{example}",
            f"schrijf elke vraag naar een resultaat als een eigen blok, zoals:\n{example}",
        )
        return ()
    if len(raw) > OUTCOMES_MAX:
        check.add(
            "outcomes",
            f"at most {OUTCOMES_MAX} outcome questions: nobody answers more after an action.",
            f"hoogstens {OUTCOMES_MAX} vragen naar resultaten: meer beantwoordt niemand.",
        )
    found: list[KitOutcome] = []
    seen: set[str] = set()
    for number, each in enumerate(raw, start=1):
        where = f"outcomes.{number}"
        for name in each:
            if name != "key" and name not in (*LANGUAGES, *MORE_LANGUAGES):
                check.add(
                    f"{where}.{name}",
                    f"unknown field. An outcome has: key, {', '.join(LANGUAGES)} (and "
                    f"optionally {', '.join(MORE_LANGUAGES)}).",
                    f"onbekend veld. Een resultaat heeft: key, {', '.join(LANGUAGES)} (en "
                    f"eventueel {', '.join(MORE_LANGUAGES)}).",
                )
        key = each.get("key")
        if key not in asked:
            check.add(
                f"{where}.key",
                f"{key!r} is not something the bot can count. Choose one of: {', '.join(asked)}.",
                f"{key!r} kan de bot niet tellen. Kies uit: {', '.join(asked)}.",
            )
            continue
        if key in seen:
            check.add(
                f"{where}.key",
                f"{key!r} is asked twice.",
                f"{key!r} wordt twee keer gevraagd.",
            )
            continue
        seen.add(key)
        questions = {lang: check.text(each, lang, f"{where}.{lang}") for lang in LANGUAGES}
        more = {
            lang: check.text(each, lang, f"{where}.{lang}")
            for lang in MORE_LANGUAGES
            if lang in each
        }
        if all(questions.values()):
            worded = {**questions, **more}
            found.append(KitOutcome(key, {k: v for k, v in worded.items() if v}))
    return tuple(found)


def _in_english(en: KitText, lang: str, table: Mapping[str, Any] | None = None) -> KitText:
    """`lang`'s texts: what `table` gives, English for the rest (and marked so)."""
    table = table or {}
    fallback: list[str] = []

    def one(key: str) -> str | None:
        value = table.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if getattr(en, key) is not None:
            fallback.append(key)
        return getattr(en, key)

    def items(key: str) -> tuple[str, ...]:
        given = tuple(v.strip() for v in table.get(key) or () if isinstance(v, str) and v.strip())
        english = getattr(en, key)
        if len(given) < len(english):
            first = len(given) + 1
            fallback.append(key if first == 1 else f"{key} {first}-{len(english)}")
        return (*given, *english[len(given) :])

    title, summary = one("title") or en.title, one("summary") or en.summary
    steps, checklist = items("steps"), items("checklist")
    invitation, reason = one("invitation") or en.invitation, one("threshold_reason")
    bring = items("bring")
    return KitText(
        lang, title, summary, steps, checklist, invitation, reason, bring, tuple(fallback)
    )


def _parse_more(check: _Checker, table: Any, lang: str, en: KitText) -> KitText | None:
    """An optional language section: every field it gives is checked like nl's and en's;
    steps and checklist may be shorter than English (the rest stays English)."""
    if not isinstance(table, dict):
        check.add(
            lang,
            f"[{lang}] must be a section with (some of) title, summary, steps, checklist "
            "and invitation.",
            f"[{lang}] moet een blok zijn met (een deel van) title, summary, steps, "
            "checklist en invitation.",
        )
        return None
    for key in table:
        if key not in _TEXT_FIELDS:
            check.add(
                f"{lang}.{key}",
                f"unknown field. Possible fields in [{lang}]: {', '.join(_TEXT_FIELDS)}.",
                f"onbekend veld. Velden die in [{lang}] kunnen: {', '.join(_TEXT_FIELDS)}.",
            )
    for key in ("title", "summary", "invitation", "threshold_reason"):
        if key in table and check.text(table, key, f"{lang}.{key}") is None:
            return None
    for key in ("steps", "checklist"):
        if key not in table:
            continue
        given = check.text_list(table, key, f"{lang}.{key}")
        if given is None:
            return None
        if len(given) > len(getattr(en, key)):
            check.add(
                f"{lang}.{key}",
                f"{lang} has {len(given)} {key} items and en has {len(getattr(en, key))}; "
                "they must match one to one (fewer is fine: the rest is shown in English).",
                f"{lang} heeft {len(given)} regels in {key} en en heeft er "
                f"{len(getattr(en, key))}; die moeten één op één overeenkomen (minder mag: "
                "de rest staat er in het Engels).",
            )
            return None
    if "invitation" in table:
        check.invitation(table["invitation"], f"{lang}.invitation")
    return _in_english(en, lang, table)


def english_fallbacks(kits: Mapping[str, Kit]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Per language of MORE_LANGUAGES: (kit id, fields shown in English) of every kit
    that is not fully translated yet."""
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for lang in MORE_LANGUAGES:
        texts = [(kit.id, kit.text(lang).fallback) for kit in kits.values()]
        found[lang] = [(kit_id, fields) for kit_id, fields in texts if fields]
    return found


def _parse_kit(path: Path, data: Mapping[str, Any]) -> tuple[Kit | None, list[KitProblem]]:
    check = _Checker(path.name)
    for key in data:
        if key not in _TOP_FIELDS:
            check.add(
                key,
                f"unknown field (a typo?). Possible fields: {', '.join(_TOP_FIELDS)}.",
                f"onbekend veld (een tikfout?). Velden die kunnen: {', '.join(_TOP_FIELDS)}.",
            )

    kit_id = data.get("id")
    if kit_id is None:
        check.add("id", "this field is missing.", "dit veld ontbreekt.")
    elif not isinstance(kit_id, str) or not _ID_RE.match(kit_id):
        check.add(
            "id",
            f"{kit_id!r} is not a valid id. Use lower-case letters, digits and dashes, "
            'like "tile-lifting".',
            f"{kit_id!r} is geen geldige id. Gebruik kleine letters, cijfers en streepjes, "
            'zoals "tile-lifting".',
        )
        kit_id = None

    theme = check.choice(data, "theme", THEMES)
    phase = check.choice(data, "phase", PHASES)
    kind = check.choice(data, "kind", KINDS)

    tenant_friendly = data.get("tenant_friendly")
    if not isinstance(tenant_friendly, bool):
        check.add(
            "tenant_friendly",
            "write true (tenants can join) or false (mainly for home owners).",
            "schrijf true (huurders kunnen meedoen) of false (vooral voor huiseigenaren).",
        )

    threshold = data.get("threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1
    ):
        check.add(
            "threshold",
            "this must be a whole number of households (1 or more), without quotes.",
            "dit moet een heel aantal huishoudens zijn (1 of meer), zonder aanhalingstekens.",
        )
        threshold = None

    next_ids = data.get("next", [])
    if not isinstance(next_ids, list) or not all(isinstance(n, str) for n in next_ids):
        check.add(
            "next",
            'this must be a list of kit ids, like ["fix-team", "energy-cafe"].',
            'dit moet een lijst met kit-id\'s zijn, zoals ["fix-team", "energy-cafe"].',
        )
        next_ids = []
    elif len(set(next_ids)) != len(next_ids):
        check.add("next", "a kit id appears twice.", "een kit-id staat er twee keer in.")
    elif kit_id is not None and kit_id in next_ids:
        check.add(
            "next",
            "a kit cannot be its own next step.",
            "een kit kan niet zijn eigen volgende stap zijn.",
        )

    outcomes = _parse_outcomes(check, data.get("outcomes", []))
    quotes = data.get("quotes")
    if quotes is not None and quotes not in QUOTE_MEASURES:
        check.add(
            "quotes",
            'write "wp" (compare by price per watt peak) or "m2" (per square metre).',
            'schrijf "wp" (vergelijk op prijs per wattpiek) of "m2" (per vierkante meter).',
        )
        quotes = None
    elif quotes is not None and theme != "collective_purchase":
        check.add(
            "quotes",
            'only a kit with theme = "collective_purchase" compares quotes.',
            'alleen een kit met theme = "collective_purchase" vergelijkt offertes.',
        )
        quotes = None
    elif quotes is None and theme == "collective_purchase":
        quotes = "m2"

    texts: dict[str, KitText | None] = {}
    for lang in LANGUAGES:
        if lang not in data:
            check.add(
                lang,
                f"the [{lang}] section is missing. Every kit needs texts in "
                f"{' and '.join(LANGUAGES)}.",
                f"het blok [{lang}] ontbreekt. Elke kit heeft teksten nodig in "
                f"{' en '.join(LANGUAGES)}.",
            )
            texts[lang] = None
        else:
            texts[lang] = _parse_text(check, data[lang], lang, threshold is not None)

    nl, en = texts.get("nl"), texts.get("en")
    if nl is not None and en is not None:
        # The bot shows "step 3 of 7": both languages must have the same steps.
        for name, nl_items, en_items in (
            ("steps", nl.steps, en.steps),
            ("checklist", nl.checklist, en.checklist),
        ):
            if len(nl_items) != len(en_items):
                check.add(
                    name,
                    f"nl has {len(nl_items)} {name} items and en has {len(en_items)}; "
                    "they must match one to one.",
                    f"nl heeft {len(nl_items)} regels in {name} en en heeft er {len(en_items)}; "
                    "die moeten één op één overeenkomen.",
                )

    more: list[KitText] = []
    for lang in MORE_LANGUAGES:
        if lang in data and en is not None:
            translated = _parse_more(check, data[lang], lang, en)
            if translated is not None:
                more.append(translated)

    if check.problems or not (kit_id and theme and phase and kind and nl and en):
        return None, check.problems
    kit = Kit(
        id=kit_id,
        theme=theme,
        phase=phase,
        kind=kind,
        tenant_friendly=bool(tenant_friendly),
        nl=nl,
        en=en,
        threshold=threshold,
        next=tuple(next_ids),
        outcomes=outcomes,
        quotes=quotes,
        source=path,
        more=tuple(more),
    )
    return kit, []


def _read_folder(folder: Path) -> dict[str, Kit]:
    if not folder.is_dir():
        raise KitError(
            [
                KitProblem(
                    str(folder),
                    None,
                    "this folder does not exist.",
                    "deze map bestaat niet.",
                )
            ]
        )
    files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    if not files:
        raise KitError(
            [
                KitProblem(
                    str(folder),
                    None,
                    "there are no .toml kit files in this folder.",
                    "er staan geen .toml-bestanden met kits in deze map.",
                )
            ]
        )

    problems: list[KitProblem] = []
    kits: dict[str, Kit] = {}
    id_files: dict[str, str] = {}  # every id written down -> its file
    links: list[tuple[str, list[str]]] = []
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            problems.append(
                KitProblem(
                    path.name,
                    None,
                    "the file is not saved as UTF-8. Save it again as UTF-8 text.",
                    "het bestand is niet als UTF-8 opgeslagen. Sla het opnieuw op als UTF-8-tekst.",
                )
            )
            continue
        except tomllib.TOMLDecodeError as exc:
            problems.append(
                KitProblem(
                    path.name,
                    None,
                    f"this is not valid TOML ({exc}). Check quotes, brackets and commas there.",
                    f"dit is geen geldige TOML ({exc}). Kijk daar naar aanhalingstekens, "
                    "haken en komma's.",
                )
            )
            continue
        raw_id = data.get("id")
        if isinstance(raw_id, str) and raw_id in id_files:
            problems.append(
                KitProblem(
                    path.name,
                    "id",
                    f"the id {raw_id!r} is already used in {id_files[raw_id]}. Every kit needs "
                    "its own id.",
                    f"de id {raw_id!r} wordt al gebruikt in {id_files[raw_id]}. Elke kit heeft "
                    "een eigen id nodig.",
                )
            )
            continue
        if isinstance(raw_id, str):
            id_files[raw_id] = path.name
        if isinstance(data.get("next"), list):
            links.append((path.name, [t for t in data["next"] if isinstance(t, str)]))
        kit, kit_problems = _parse_kit(path, data)
        problems.extend(kit_problems)
        if kit is not None:
            kits[kit.id] = kit

    # Links are checked against every id that was written down, also in a
    # file with other errors: that file is reported already, once is enough.
    for file, targets in links:
        for target in targets:
            if target not in id_files:
                problems.append(
                    KitProblem(
                        file,
                        "next",
                        f"there is no kit with id {target!r}.",
                        f"er is geen kit met id {target!r}.",
                    )
                )
    if problems:
        raise KitError(problems)
    return dict(sorted(kits.items()))


# --- loading and lookups -------------------------------------------------------

_cache: dict[Path, dict[str, Kit]] = {}
_cache_lock = threading.Lock()


def _resolve_folder(folder: Path | str | None) -> Path:
    if folder is None:
        from_env = os.environ.get(ENV_KITS_DIR, "").strip()
        folder = Path(from_env) if from_env else DEFAULT_KITS_DIR
    return Path(folder).expanduser().resolve()


def load_kits(folder: Path | str | None = None) -> dict[str, Kit]:
    """All kits by id, validated. Raises `KitError` listing every problem.

    ``folder`` defaults to ``$BUURBOT_KITS_DIR`` or else the shipped kits.
    Results are cached per folder (errors are not); `clear_kit_cache` forgets
    them, e.g. after a coach edited a file. The returned dict is a fresh copy.
    """
    path = _resolve_folder(folder)
    with _cache_lock:
        cached = _cache.get(path)
    if cached is None:
        cached = _read_folder(path)
        with _cache_lock:
            _cache[path] = cached
    return dict(cached)


def clear_kit_cache() -> None:
    with _cache_lock:
        _cache.clear()


def kits_for(
    theme: str | None = None,
    phase: str | None = None,
    *,
    tenant_friendly: bool | None = None,
    folder: Path | str | None = None,
) -> list[Kit]:
    """Kits matching all given filters, in phase order and then by id."""
    if theme is not None and theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {', '.join(THEMES)}")
    if phase is not None and phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")
    found = [
        kit
        for kit in load_kits(folder).values()
        if (theme is None or kit.theme == theme)
        and (phase is None or kit.phase == phase)
        and (tenant_friendly is None or kit.tenant_friendly == tenant_friendly)
    ]
    return sorted(found, key=lambda k: (PHASES.index(k.phase), k.id))


def next_kits(kit_id: str, *, folder: Path | str | None = None) -> list[Kit]:
    """The kits that naturally follow ``kit_id``, in the order the kit lists them."""
    kits = load_kits(folder)
    try:
        kit = kits[kit_id]
    except KeyError:
        raise KeyError(f"unknown kit id {kit_id!r}") from None
    return [kits[target] for target in kit.next]


def _phase_after(phase: str | None) -> str | None:
    if phase not in PHASES:
        return None
    index = PHASES.index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def suggest_next(
    after_kit: str | None,
    theme: str | None,
    phase: str | None,
    *,
    limit: int = 4,
    folder: Path | str | None = None,
    planned: Iterable[str] = (),
) -> list[Kit]:
    """Kits that fit as the next step after an action or a meeting, best first; never
    one of the ``planned`` kits (the initiative has it coming up already).

    After a kit (``after_kit``): the kit's own ``next`` kits, then kits of its theme
    for the phase after the kit's (solar → insulation, tile-lifting → rain barrels).
    Without one (a meeting, an action of the team's own): the kits of the
    initiative's ``theme`` first — the ones of its ``phase`` and later phases, then
    earlier ones — because a "greener street" wants tile-lifting before an energy
    café; then the kits of any theme for the phase and the next one. An unknown kit,
    theme or phase only leaves out what it would have added. Never ``after_kit`` itself.
    """
    kits = load_kits(folder)
    kit = kits.get(after_kit) if after_kit else None
    found: list[Kit] = []
    if kit is not None:
        found += [kits[target] for target in kit.next if target in kits]
        later = _phase_after(kit.phase)
        if later is not None:
            found += kits_for(kit.theme, later, folder=folder)
    else:
        if theme in THEMES:
            start = PHASES.index(phase) if phase in PHASES else 0
            own = kits_for(theme, folder=folder)  # in phase order
            found += [k for k in own if PHASES.index(k.phase) >= start]
            found += [k for k in own if PHASES.index(k.phase) < start]
        for near in (phase, _phase_after(phase)):
            if near in PHASES:
                found += kits_for(None, near, folder=folder)
    left_out = {after_kit, *planned}
    unique: dict[str, Kit] = {}
    for each in found:
        if each.id not in left_out:
            unique.setdefault(each.id, each)
    return list(unique.values())[: max(0, limit)]


# --- command line, for coaches ------------------------------------------------


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.domain.kits",
        description="Check action kit files. / Controleer de bestanden met actiekits.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check_cmd = commands.add_parser(
        "check", help="check a folder of kits / controleer een map met kits"
    )
    check_cmd.add_argument(
        "folder",
        nargs="?",
        help=f"default: ${ENV_KITS_DIR}, or else the kits that come with the bot",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)

    folder = _resolve_folder(args.folder)
    try:
        kits = _read_folder(folder)  # uncached: always read the files as they are now
    except KitError as exc:
        count = len(exc.problems)
        print(f"{count} problem(s) found in {folder} / {count} fout(en) gevonden:\n")
        for problem in exc.problems:
            print(f"- {problem}\n")
        return 1
    print(f"OK: {len(kits)} kits")
    print(f"    ({folder})")
    report_english(kits)
    return 0


def report_english(kits: Mapping[str, Kit], out: Any = None) -> int:
    """What each language of MORE_LANGUAGES still shows in English, per kit and field (not
    an error: the bot shows those texts in English and says so). Returns how many."""
    out = out or sys.stdout
    missing = 0
    fallbacks = english_fallbacks(kits)
    for lang in MORE_LANGUAGES:
        per_kit = {kit_id: list(fields) for kit_id, fields in fallbacks[lang]}
        for kit in kits.values():
            keys = [o.key for o in kit.outcomes if lang not in o.questions]
            if keys:
                per_kit.setdefault(kit.id, []).append(f"outcomes ({', '.join(keys)})")
        if not per_kit:
            print(f"{lang}: every kit translated / elke kit vertaald", file=out)
            continue
        print(f"{lang}: {len(per_kit)} kit(s) partly in English / deels in het Engels:", file=out)
        for kit_id, fields in sorted(per_kit.items()):
            print(f"    {kit_id}: {', '.join(fields)}", file=out)
            missing += len(fields)
    return missing


if __name__ == "__main__":
    sys.exit(main())
