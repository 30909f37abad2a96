"""Write Dutch translations, given as a Python dict {msgid: msgstr} in a file, as a
fragment for `python -m bot.i18n.catalogs update` to merge:

    python -m bot.i18n.fragment_tool my_texts.py journey

The file defines NL = {...}; plural entries use a tuple msgid (singular, plural)
and a tuple msgstr.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n.catalogs import FRAGMENTS


def write_fragment(translations: dict, name: str) -> Path:
    catalog = Catalog(locale="nl", domain=name)
    for msgid, msgstr in translations.items():
        catalog.add(msgid, msgstr)
    FRAGMENTS.mkdir(parents=True, exist_ok=True)
    path = FRAGMENTS / f"{name}.po"
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return path


if __name__ == "__main__":
    source, name = sys.argv[1], sys.argv[2]
    print(write_fragment(runpy.run_path(source)["NL"], name))
