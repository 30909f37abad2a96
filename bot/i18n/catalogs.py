"""Keep the catalogs in step with the code: `python -m bot.i18n.catalogs update`.

1. extract every text from the code into the template (buurbot.pot),
2. update every language's catalog from it (new texts added, gone ones dropped), with
   that language's plural forms from CLDR (Babel): Polish and Ukrainian have 3–4 forms,
   Arabic 6,
3. English is the source language: every en entry is its msgid,
4. translations delivered as fragments (bot/i18n/fragments/*.po) fill that language's
   catalog: a fragment's ``Language:`` header decides which catalog it fills (no header:
   Dutch, as fragments always were). A fragment's translation wins over the catalog's,
   so a translator's delta or a reviewer's fix is never lost when the integrator re-runs
   the update,
5. report what is not complete (exit 1 when anything is), and — `check` — what is not
   plain Dutch (bot/i18n/plain_dutch.py: sentences over 20 words, uncommon words).

Complete means: not fuzzy, not empty, the same placeholders ({name}) as the msgid and
the same markup (<b>, <i>, <a href=…>, <code>) — a translation that drops a tag or a
placeholder is as broken as a missing one.

    python -m bot.i18n.catalogs check          # only report (CI and the tests do this)
    python -m bot.i18n.catalogs todo pl        # what pl misses; writes a fragment skeleton
                                               # bot/i18n/fragments/todo-pl.po to fill in
"""

from __future__ import annotations

import copy
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core.config import SUPPORTED_LANGUAGES
from bot.i18n import DOMAIN, LOCALE_DIR, placeholders

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).parent / f"{DOMAIN}.pot"
FRAGMENTS = Path(__file__).parent / "fragments"
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "Invalid": None}
SOURCE_DIRS = ("bot", "scheduler", "storage", "web")
LANGUAGES = SUPPORTED_LANGUAGES  # every one of them is kept complete
SOURCE_LANGUAGE = "en"
# Stable header dates keep `update` from changing files when no text changed.
EPOCH = datetime(2026, 1, 1)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def extract() -> Catalog:
    template = Catalog(project="buurbot", domain=DOMAIN, creation_date=EPOCH, fuzzy=False)
    for folder in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder,
            # The web console's templates: Jinja2's own extractor (its i18n extension).
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")],
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            template.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return _new_catalog(lang)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    # CLDR, not the header (Babel's stubs type these private fields as None).
    catalog._num_plurals, catalog._plural_expr = _plural_rule(lang)  # type: ignore[assignment]
    return catalog


def _new_catalog(lang: str) -> Catalog:
    return Catalog(locale=lang, domain=DOMAIN, creation_date=EPOCH, fuzzy=False)


def _plural_rule(lang: str) -> tuple[int, str]:
    fresh = _new_catalog(lang)
    return fresh.num_plurals, fresh.plural_expr


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.revision_date = EPOCH
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)


def fragment_language(catalog: Catalog) -> str:
    """The catalog a fragment fills: its Language header, Dutch when it has none."""
    return str(catalog.locale) if catalog.locale else "nl"


def fragments(lang: str = "nl") -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """The translations delivered for `lang`, later files (by name) winning."""
    found: dict = {}
    for path in sorted(FRAGMENTS.glob("*.po")) if FRAGMENTS.exists() else []:
        with path.open("rb") as handle:
            catalog = read_po(handle)
        if fragment_language(catalog) != lang:
            continue
        for message in catalog:
            if message.id and _complete(message.string) and not message.fuzzy:
                found[message.id] = message.string
    return found


def problems_of(message: Message, num_plurals: int) -> list[str]:
    """Why this entry is not complete ([] when it is)."""
    if message.fuzzy:
        return ["fuzzy"]
    ids = _texts(message.id)
    strings = _texts(message.string)
    if isinstance(message.id, tuple) and len(strings) != num_plurals:
        return [f"{len(strings)} plural forms, the language has {num_plurals}"]
    if not all(strings):
        return ["untranslated"]
    found = []
    expected = set().union(*(placeholders(text) for text in ids))
    tags = Counter(_TAG.findall(ids[0]))
    for text in strings:
        try:
            have = placeholders(text)
        except ValueError:
            return ["a broken { } in the translation"]
        if isinstance(message.id, tuple):
            # A form for exactly one (or two) may write the number as a word; no other
            # placeholder may be missing, and none may be invented.
            if not have <= expected or (expected - {"n"}) - have:
                found.append(f"placeholders {sorted(have)} where the msgid has {sorted(expected)}")
        elif have != expected:
            found.append(f"placeholders {sorted(have)} where the msgid has {sorted(expected)}")
        if Counter(_TAG.findall(text)) != tags:
            found.append("markup differs from the msgid")
    return found


def incomplete(catalog: Catalog) -> list[tuple[str, list[str]]]:
    """(msgid, problems) of every entry that is not complete."""
    nplurals = catalog.num_plurals
    result = []
    for message in catalog:
        if not message.id:
            continue
        found = problems_of(message, nplurals)
        if found:
            result.append((message.id if isinstance(message.id, str) else message.id[0], found))
    return result


def untranslated(catalog: Catalog) -> list[str]:
    return [msgid for msgid, _ in incomplete(catalog)]


def update() -> int:
    template = extract()
    save(template, TEMPLATE)
    problems = 0
    for lang in LANGUAGES:
        catalog = load(lang)
        nplurals = catalog.num_plurals
        delivered = fragments(lang)
        # Catalog.update() adopts the template's message objects: give each its own copy.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if lang == SOURCE_LANGUAGE:  # English is the source language: its text is the msgid
                message.string = message.id
                continue
            if message.id in delivered:
                message.string = delivered[message.id]
            if isinstance(message.id, tuple):
                strings = message.string if isinstance(message.string, tuple) else ()
                if len(strings) != nplurals:  # the language's forms, from CLDR
                    message.string = tuple((*strings, *[""] * nplurals)[:nplurals])
        save(catalog, po_path(lang))
        problems += report(lang, catalog)
    print(f"catalogs: {len(template)} texts; {problems} not complete")
    return 1 if problems else 0


def report(lang: str, catalog: Catalog) -> int:
    found = incomplete(catalog)
    for msgid, why in found:
        print(f"{lang}: {', '.join(why)}: {msgid[:90]!r}")
    return len(found)


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or string as its texts: one, or the forms of a plural."""
    if isinstance(value, tuple | list):
        return tuple(str(text or "") for text in value)
    return (str(value or ""),)


def _complete(string: object) -> bool:
    return bool(string) and all(_texts(string))


def check() -> int:
    problems = sum(report(lang, load(lang)) for lang in LANGUAGES)
    from bot.i18n import plain_dutch

    problems += plain_dutch.report(load("nl"))
    kit_report(detail=False)
    return 1 if problems else 0


def kit_report(lang: str | None = None, *, detail: bool = True) -> None:
    """Kit texts shown in English because a language's TOML section lacks them: a
    count per language (check), or every kit and field (todo). Not an error: the kit
    still reads well, in English, and the translator sees what is left."""
    from bot.domain.kits import english_fallbacks, load_kits

    for kit_lang, missing in english_fallbacks(load_kits()).items():
        if lang not in (None, kit_lang) or not missing:
            continue
        print(
            f"kits: {kit_lang}: {len(missing)} kits partly in English (bot/domain/kitdata/*.toml)"
        )
        for kit_id, fields in missing if detail else ():
            print(f"kits: {kit_lang}: {kit_id}: in English: {', '.join(fields)}")


def todo(lang: str, out: Path | None = None) -> int:
    """Print what `lang` misses and write a fragment skeleton with exactly those entries.

    The skeleton carries the Language header, the English msgid and, as a comment, the
    Dutch text and what is wrong now; a translator fills the msgstr lines (Poedit opens
    it) and the next `update` merges it.
    """
    if lang not in LANGUAGES or lang == SOURCE_LANGUAGE:
        print(f"todo: choose one of {', '.join(x for x in LANGUAGES if x != SOURCE_LANGUAGE)}")
        return 2
    catalog = load(lang)
    if lang != "nl":
        kit_report(lang)
    dutch = load("nl")
    skeleton = _new_catalog(lang)
    skeleton.domain = f"todo-{lang}"
    for msgid, why in incomplete(catalog):
        message = catalog.get(msgid) or next(m for m in catalog if m.id and m.id[0] == msgid)
        hints = [f"now: {', '.join(why)}"]
        nl = dutch.get(message.id)
        if nl is not None and _complete(nl.string):
            shown = " | ".join(_texts(nl.string))
            hints.append(f"nl: {shown}")
        empty = ("",) * catalog.num_plurals if isinstance(message.id, tuple) else ""
        skeleton.add(
            message.id,
            empty,
            locations=message.locations,
            auto_comments=[*message.auto_comments, *hints],
        )
        print(f"{lang}: {', '.join(why)}: {msgid[:90]!r}")
    count = len(skeleton)
    if not count:
        print(f"{lang}: complete")
        return 0
    path = out or FRAGMENTS / f"todo-{lang}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    skeleton.revision_date = EPOCH
    with path.open("wb") as handle:
        write_po(handle, skeleton, width=100)
    print(f"{lang}: {count} to translate; fill {path} and run `update`")
    return 1


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        return update()
    if command == "check":
        return check()
    if command == "todo" and len(argv) >= 2:
        return todo(argv[1], Path(argv[2]) if len(argv) > 2 else None)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
