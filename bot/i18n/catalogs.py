"""Keep the catalogs in step with the code: `python -m bot.i18n.catalogs update`.

1. extract every text from the code into the template (buurbot.pot),
2. update the nl and en catalogs from it (new texts added, gone ones dropped),
3. English is the source language: every en entry is its msgid,
4. Dutch translations delivered as fragments (bot/i18n/fragments/*.po, written by
   whoever wrote the texts) fill empty nl entries,
5. report what is still untranslated (exit 1 when anything is).

`python -m bot.i18n.catalogs check` only reports (the tests do the same).
"""

from __future__ import annotations

import copy
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).parent / f"{DOMAIN}.pot"
FRAGMENTS = Path(__file__).parent / "fragments"
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "Invalid": None}
SOURCE_DIRS = ("bot", "scheduler", "storage")
# Stable header dates keep `update` from changing files when no text changed.
EPOCH = datetime(2026, 1, 1)


def extract() -> Catalog:
    template = Catalog(project="buurbot", domain=DOMAIN, creation_date=EPOCH, fuzzy=False)
    for folder in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
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
        return Catalog(locale=lang, domain=DOMAIN, creation_date=EPOCH, fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.revision_date = EPOCH
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)


# What Babel holds in a message's id and string: one text, or the forms of a plural.
Text = str | tuple[str, ...] | list[str]


def fragments() -> dict[Any, Text]:
    found: dict[Any, Text] = {}
    for path in sorted(FRAGMENTS.glob("*.po")) if FRAGMENTS.exists() else []:
        with path.open("rb") as handle:
            for message in read_po(handle, locale="nl"):
                if message.id and message.string:
                    found[message.id] = message.string
    return found


def untranslated(catalog: Catalog) -> list[str]:
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> int:
    template = extract()
    save(template, TEMPLATE)
    delivered = fragments()
    problems = 0
    for lang in ("nl", "en"):
        catalog = load(lang)
        # Catalog.update() adopts the template's message objects: give each its own copy.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if lang == "en":  # English is the source language: its text is the msgid
                message.string = message.id
            if lang == "nl" and not _complete(message.string) and message.id in delivered:
                message.string = delivered[message.id]
        save(catalog, po_path(lang))
        missing = untranslated(catalog)
        problems += len(missing)
        for msgid in missing:
            print(f"{lang}: untranslated: {msgid[:90]!r}")
    print(f"catalogs: {len(template)} texts; {problems} untranslated")
    return 1 if problems else 0


def _complete(string: Text | None) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


def check() -> int:
    problems = 0
    for lang in ("nl", "en"):
        for msgid in untranslated(load(lang)):
            problems += 1
            print(f"{lang}: untranslated: {msgid[:90]!r}")
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    sys.exit(update() if command == "update" else check())
