"""Start-up memory hygiene (bot/runtimes/memory_hygiene.py): aiogram's models built at first
use must be the very models aiogram builds at import, and nothing else may change.

aiogram can be imported only once per process, so each side runs in a fresh interpreter:
one imports aiogram as aiogram does it (every model built at import), the other through
`make_runtime` (`buurbot run`'s way, models deferred). Both then build every Bot API type
and method, describe `Update` and the requests the runtime makes (their JSON schemas,
which cover every nested type's fields, types, defaults and aliases), and validate and
dump the same updates and requests; the descriptions must be equal.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.runtimes.memory_hygiene import (
    freeze_survivors,
    release_startup_garbage,
    thaw_survivors,
)

ROOT = Path(__file__).resolve().parents[1]

DESCRIBE = r"""
import hashlib, json, sys, warnings

warnings.simplefilter("ignore")  # JSON schema warns about aiogram's Default(...) defaults

# The runtime's requests (bot/runtimes/aiogram_runtime.py), besides the updates it takes.
USED_METHODS = (
    "AnswerCallbackQuery", "DeleteMyCommands", "DeleteWebhook", "EditMessageText", "GetChatMember",
    "GetMe", "GetUpdates", "PinChatMessage", "SendDocument", "SendMessage", "SendPoll",
    "SetMyCommands", "SetMyDescription", "SetMyShortDescription", "SetWebhook", "StopPoll",
)

from pydantic.json_schema import GenerateJsonSchema

class AnySchema(GenerateJsonSchema):
    def handle_invalid_for_json_schema(self, schema, error_info):
        return {"not in JSON schema": error_info}  # InputFile: described by its class

def fingerprint(model):
    described = model.model_json_schema(schema_generator=AnySchema)
    schema = json.dumps(described, sort_keys=True, default=repr)
    return hashlib.sha256(schema.encode()).hexdigest()

def describe():
    import aiogram.methods as methods
    import aiogram.types as types

    incomplete = []
    for module in (types, methods):
        for name in module.__all__:
            model = getattr(module, name)
            if isinstance(model, type) and hasattr(model, "__pydantic_validator__"):
                # Touching them builds a deferred model (an error if it cannot be built).
                model.__pydantic_validator__.validate_python, model.__pydantic_serializer__.to_json
                if not model.__pydantic_complete__:
                    incomplete.append(name)
    # Update's schema holds every type an update can contain (its $defs), field by field.
    schemas = {name: fingerprint(getattr(methods, name)) for name in USED_METHODS}
    schemas["Update"] = fingerprint(types.Update)
    updates = []
    for raw in json.loads(sys.argv[2]):
        update = types.Update.model_validate(raw)
        updates.append(update.model_dump_json(exclude_none=True))
    sent = methods.SendMessage(
        chat_id=7, text="hoi", reply_markup=types.InlineKeyboardMarkup(
            inline_keyboard=[[types.InlineKeyboardButton(text="Ja", callback_data="1:x")]]
        ),
    )
    commands = methods.SetMyCommands(
        commands=[types.BotCommand(command="menu", description="Hoofdmenu")],
        scope=types.BotCommandScopeChat(chat_id=7),
    )
    requests = [  # as sent, with aiogram's Default(...) placeholders by name
        json.dumps(request.model_dump(), sort_keys=True, default=repr)
        for request in (sent, commands)
    ]
    return {
        "incomplete": incomplete, "schemas": schemas, "updates": updates, "requests": requests
    }

def built_at_import():
    import aiogram.types

    return {
        name: getattr(aiogram.types, name).__pydantic_complete__
        for name in ("Message", "Update", "Sticker", "ChatFullInfo", "CallbackQuery")
    }

facts = {}
if sys.argv[1] == "lazy":
    from pydantic import BaseModel

    eager_rebuild = BaseModel.__dict__["model_rebuild"]
    from bot.core.config import Settings
    from bot.runtimes.memory_hygiene import lazy_aiogram_models
    from bot.runtimes.telegram import make_runtime

    make_runtime(Settings(runtime="aiogram"), "123:abc")
    import aiogram.types

    facts["built_at_import"] = built_at_import()
    facts["model_rebuild_restored"] = BaseModel.__dict__["model_rebuild"] is eager_rebuild
    with lazy_aiogram_models() as deferred:  # aiogram is imported now: nothing to defer
        pass
    facts["deferred_when_imported"] = len(deferred)
else:
    import aiogram.types

    facts["built_at_import"] = built_at_import()

def nested(depth):  # pydantic's deferred build looks a few frames up: not at module level
    return nested(depth - 1) if depth else describe()

facts |= nested(10)
print(json.dumps(facts))
"""

UPDATES: list[dict[str, Any]] = [
    {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 1_700_000_000,
            "chat": {"id": 7, "type": "private", "first_name": "Anna"},
            "from": {"id": 7, "is_bot": False, "first_name": "Anna", "language_code": "nl"},
            "text": "/start join-abc",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            "reply_to_message": {
                "message_id": 4,
                "date": 1_700_000_000,
                "chat": {"id": 7, "type": "private"},
                "text": "hoi",
            },
        },
    },
    {
        "update_id": 2,
        "callback_query": {
            "id": "q1",
            "from": {"id": 7, "is_bot": False, "first_name": "Anna"},
            "chat_instance": "c",
            "data": "1:ini:3",
            "message": {
                "message_id": 6,
                "date": 1_700_000_000,
                "chat": {"id": -100, "type": "supergroup", "title": "Straat"},
                "text": "Kies",
                "reply_markup": {"inline_keyboard": [[{"text": "Ja", "callback_data": "1:ini:3"}]]},
            },
        },
    },
    {
        "update_id": 3,
        "my_chat_member": {
            "chat": {"id": -100, "type": "supergroup", "title": "Straat"},
            "from": {"id": 7, "is_bot": False, "first_name": "Anna"},
            "date": 1_700_000_000,
            "old_chat_member": {
                "status": "left",
                "user": {"id": 1, "is_bot": True, "first_name": "B"},
            },
            "new_chat_member": {
                "status": "member",
                "user": {"id": 1, "is_bot": True, "first_name": "B"},
            },
        },
    },
    {
        "update_id": 4,
        "edited_message": {
            "message_id": 9,
            "edit_date": 1_700_000_100,
            "date": 1_700_000_000,
            "chat": {"id": -100, "type": "supergroup", "title": "Straat"},
            "from": {"id": 8, "is_bot": False, "first_name": "Bert"},
            "caption": "De straat, vorig jaar",
            "photo": [{"file_id": "f", "file_unique_id": "u", "width": 90, "height": 60}],
        },
    },
]


def describe(mode: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-c", DESCRIBE, mode, json.dumps(UPDATES)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def facts_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def eager_and_lazy() -> tuple[dict[str, Any], dict[str, Any]]:
    eager, lazy = describe("eager"), describe("lazy")  # side by side: each takes seconds
    return facts_of(eager), facts_of(lazy)


def test_aiogram_builds_its_models_at_import_and_make_runtime_defers_them(
    eager_and_lazy: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    eager, lazy = eager_and_lazy
    assert set(eager["built_at_import"].values()) == {True}
    # The hub with which every update is read, and nothing else: not even `Message`,
    # whose answers (the sends) the runtime reads as JSON.
    assert lazy["built_at_import"] == {
        "Message": False,
        "Update": True,
        "Sticker": False,
        "ChatFullInfo": False,
        "CallbackQuery": False,
    }
    assert lazy["model_rebuild_restored"] is True
    assert lazy["deferred_when_imported"] == 0


def test_models_built_at_first_use_equal_those_built_at_import(
    eager_and_lazy: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    eager, lazy = eager_and_lazy
    assert eager["incomplete"] == lazy["incomplete"] == []  # every type and method builds
    assert len(eager["schemas"]) == 17
    different = sorted(
        name for name in eager["schemas"] if eager["schemas"][name] != lazy["schemas"][name]
    )
    assert different == []


def test_updates_and_requests_are_the_same_either_way(
    eager_and_lazy: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    eager, lazy = eager_and_lazy
    assert len(eager["updates"]) == len(UPDATES)
    assert lazy["updates"] == eager["updates"]
    assert lazy["requests"] == eager["requests"]
    assert '"callback_data": "1:x"' in lazy["requests"][0]


def test_release_startup_garbage_frees_cycles() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    gc.disable()  # only release_startup_garbage may collect the cycle
    try:
        Node()
        assert any(type(o) is Node for o in gc.get_objects())
        release_startup_garbage()
        assert not any(type(o) is Node for o in gc.get_objects())
    finally:
        gc.enable()


def test_frozen_survivors_are_out_of_the_collectors_walk_and_new_cycles_still_go() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    survivor = Node()
    try:
        freeze_survivors()
        assert gc.get_freeze_count() > 0
        # Start-up's objects are no longer walked by a collection...
        assert not any(o is survivor for o in gc.get_objects())
        # ...while a cycle made afterwards (an update's garbage) is still collected.
        gc.disable()
        Node()
        assert any(type(o) is Node for o in gc.get_objects())
        gc.collect()
        assert not any(type(o) is Node for o in gc.get_objects())
    finally:
        gc.enable()
        thaw_survivors()
    assert gc.get_freeze_count() == 0
    assert any(o is survivor for o in gc.get_objects())


TELEGRAM_ONLY = r"""
import asyncio, sys
import bot.runtimes.telegram as telegram
from bot import cli
from bot.core.config import Settings

async def served(*_args, **_kwargs):
    return 0

telegram.run_telegram = served  # what `buurbot run` starts, without starting it
settings = Settings(
    _env_file=None, telegram_token="123:abc", database_url="sqlite+aiosqlite:///:memory:"
)
assert not settings.whatsapp_enabled
assert asyncio.run(cli._run(settings, None)) == 0
import bot.runtimes.aiogram_runtime, bot.runtimes.polling  # what a polling bot runs on
print(sorted({name.split(".")[0] for name in sys.modules if name.startswith("pywa")}))
print(sorted(n for n in ("aiohttp.web", "sqlalchemy.dialects.postgresql") if n in sys.modules))
"""


def test_a_telegram_only_process_does_not_import_whatsapp() -> None:
    """pywa and the WhatsApp runtime (14 MB resident) only where WhatsApp is served; nor, on
    SQLite and polling, aiohttp's server (2 MB) or PostgreSQL's dialect (3 MB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUURBOT_", "WHATSAPP_"))}
    result = subprocess.run(
        [sys.executable, "-c", TELEGRAM_ONLY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "[]"], result.stdout


CONSOLE_IMPORTS = r"""
import sys
import bot.runtimes.console  # what `buurbot console` imports to start
print(sorted({name.split(".")[0] for name in sys.modules if name.startswith("apscheduler")}))
"""


def test_the_console_starts_without_apscheduler() -> None:
    """APScheduler is imported when the scheduler starts or a cron is asked for, not at
    the console's start (piped input never starts it)."""
    result = subprocess.run(
        [sys.executable, "-c", CONSOLE_IMPORTS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


MENU_CATALOGS = r"""
import json
from bot.app import build_registry
from bot.i18n import _CATALOGS, texts_for
from bot.runtimes.common import bot_profiles, command_menus, plain_text
from bot.runtimes.telegram import DESCRIPTION, SHORT_DESCRIPTION

registry = build_registry()
before = sorted(_CATALOGS)
menus = command_menus(registry, "nl")
profiles = bot_profiles(DESCRIPTION, SHORT_DESCRIPTION, "nl")
after = sorted(_CATALOGS)
turkish = next(p for p in profiles if p.language_code == "tr")
menu = next(m for m in menus if m.language_code == "tr" and m.scope == "all_private_chats")
print(json.dumps({
    "before": before,
    "after": after,
    "order": [(m.scope, m.language_code) for m in menus],
    "profile_as_kept": turkish.description == plain_text(texts_for("tr")._(DESCRIPTION))[:512],
    "profile_translated": turkish.description != plain_text(DESCRIPTION),
    "menu_translated": any(
        text != plain_text(texts_for("en")._(entry.description)).strip()
        for (_, text), entry in zip(menu.commands, registry.command_list, strict=False)
    ),
}))
"""


def test_the_command_menus_keep_no_catalog_of_their_own() -> None:
    """The menus and descriptions, set at every start in all six languages, read each
    language's catalog for themselves and keep none (about half a MB each): a bot keeps
    only the catalogs of the languages its people read. Their texts are the kept ones."""
    result = subprocess.run(
        [sys.executable, "-c", MENU_CATALOGS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["after"] == facts["before"]
    languages = ["", "nl", "en", "tr", "pl", "ar", "uk"]
    assert facts["order"] == [
        [scope, code] for scope in ("all_private_chats", "all_group_chats") for code in languages
    ]
    assert facts["profile_as_kept"] is True
    assert facts["profile_translated"] is True
    assert facts["menu_translated"] is True


TABLES = r"""
import json
import storage.models as models
from sqlmodel import SQLModel

tables = [
    cls for cls in vars(models).values()
    if isinstance(cls, type) and issubclass(cls, SQLModel) and hasattr(cls, "__table__")
]
built_at_import = sorted(cls.__name__ for cls in tables if cls.__pydantic_complete__)
row = models.Resident(telegram_id=7, first_name="Anna", language="en")
dumped = row.model_dump()
print(json.dumps({
    "tables": len(tables),
    "built_at_import": built_at_import,
    "dumped": {key: dumped[key] for key in ("telegram_id", "first_name", "language")},
    "built_after_dump": models.Resident.__pydantic_complete__,
}))
"""


def test_table_models_build_their_validators_at_first_use() -> None:
    """No table's pydantic validator is built at import (a row is made and loaded
    without it); the export's `model_dump` builds it when it is first asked."""
    result = subprocess.run(
        [sys.executable, "-c", TABLES], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["tables"] >= 30
    assert facts["built_at_import"] == []
    assert facts["dumped"] == {"telegram_id": 7, "first_name": "Anna", "language": "en"}
    assert facts["built_after_dump"] is True


STORAGE_IMPORTS = r"""
import json, sys
import sqlalchemy as sa
import storage.db, storage.models, storage.queries

imported = "sqlalchemy.dialects.postgresql" in sys.modules
from sqlalchemy.dialects import postgresql, sqlite

table = storage.models.ScheduledMessage.__table__
print(json.dumps({
    "postgresql_imported": imported,
    "on_postgresql": str(table.c.payload.type.compile(dialect=postgresql.dialect())),
    "on_sqlite": str(table.c.payload.type.compile(dialect=sqlite.dialect())),
}))
"""


def test_storage_imports_no_postgresql_dialect_and_json_is_jsonb_there() -> None:
    """SQLAlchemy's PostgreSQL dialect (3 MB resident) is imported where PostgreSQL is
    used, not by the models on SQLite; a JSON column is still JSONB on PostgreSQL."""
    result = subprocess.run(
        [sys.executable, "-c", STORAGE_IMPORTS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts == {"postgresql_imported": False, "on_postgresql": "JSONB", "on_sqlite": "JSON"}
