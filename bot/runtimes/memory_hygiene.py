"""Start-up memory hygiene of `buurbot run`: the one place that keeps the bot process small.

Why: importing aiogram builds a pydantic validator and serializer for each of its ~400 Bot
API types at once (`aiogram/types/__init__.py` calls `model_rebuild` on every one). Each
validator carries its own copy of every type it can contain (an `Update` holds a `Message`,
which holds almost everything), so together they take about 100 MB and seconds of CPU,
while a bot only ever uses a handful of them.

`lazy_aiogram_models` lets pydantic build each model the first time it is used instead:
the same validator, from the same schema and the same names, only later and only for the
types in use (the first update and the first request of each kind pay a few milliseconds).
aiogram's own models already ask for this (`defer_build=True` in `TelegramObject`); its
import loop forces the build anyway, to hand every model the namespace of all types (each
module imports the types it refers to only for type checkers). We skip only that build, and
put the names a model's annotations use, and its module lacks, into the module itself:
where pydantic looks when it builds a deferred model, also one nested in another (a scope
inside `SetMyCommands`). tests/test_memory_hygiene.py checks that the models built this
way equal aiogram's; if a new aiogram changes its import loop, nothing is deferred and
that test says so.

`release_startup_garbage` then returns what start-up left behind before the bot settles
into handling updates (a few MB), and `freeze_survivors` takes what is left out of the
cyclic collector's walks.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import re
import sys
from collections.abc import Iterator
from typing import Any

AIOGRAM_TYPES = "aiogram.types"
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
HUBS = ("Update",)  # built at import all the same: every update is read with it


@contextlib.contextmanager
def lazy_aiogram_models() -> Iterator[list[type]]:
    """Within this block, importing aiogram defers building its Bot API models to first use.

    Yields the list of models whose build was deferred (filled by the import). Does
    nothing when aiogram is already imported (its models are built then), and leaves any
    other `model_rebuild` call alone.
    """
    deferred: list[type] = []
    if AIOGRAM_TYPES in sys.modules:
        yield deferred
        return
    from pydantic import BaseModel

    eager_rebuild = BaseModel.__dict__["model_rebuild"]
    all_types: dict[str, Any] = {}

    def model_rebuild(cls: type[Any], /, *, _types_namespace: Any = None, **options: Any) -> Any:
        # Only aiogram's import loop: a model of aiogram's own, not yet built, handed the
        # namespace of all types, and no forced rebuild.
        if (
            _types_namespace is not None
            and not options.get("force", False)
            and cls.__module__.startswith(f"{AIOGRAM_TYPES}.")
            and not cls.__pydantic_complete__
        ):
            all_types.update(_types_namespace)
            deferred.append(cls)
            return None
        return eager_rebuild.__func__(cls, _types_namespace=_types_namespace, **options)

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[method-assign,assignment]
    try:
        yield deferred
    finally:
        BaseModel.model_rebuild = eager_rebuild  # type: ignore[method-assign]
    # Only now, after the import: aiogram's request models (`aiogram.methods`) are built as
    # their classes are created, and, while the types' names are missing, pydantic defers
    # them too (its usual way with a name it cannot resolve yet) instead of building each
    # with its own copy of the types it contains.
    for cls in deferred:
        _lend_names(cls, all_types)
    # The hub, now (about 0.2 s, 3 MB): `Update`, with which every update is read, so that
    # the first one does not wait for it. Only it: a model is built with its own copy of
    # every type it contains, so building `Message` too (as this did while getUpdates and
    # the sends went through aiogram's `Response[list[Update]]` and `Response[Message]`)
    # kept a second copy of the biggest type, 2 MB, for answers the bot now reads as JSON.
    # The few calls still made through aiogram's models (polls, documents) build their
    # answer model at first use, and the runtime keeps it (`KeepResponseModels`).
    for hub in HUBS:
        model = all_types.get(hub)
        if model is not None and not model.__pydantic_complete__:
            eager_rebuild.__func__(model, _types_namespace=all_types)


def _lend_names(cls: Any, namespace: dict[str, Any]) -> None:
    """Put the names that the annotations of `cls` use, and its module lacks, into its module.

    Its bases' annotations too: pydantic evaluates inherited fields in the subclass' module.
    """
    annotations = [
        str(a) for base in cls.__mro__ for a in vars(base).get("__annotations__", {}).values()
    ]
    used = set(IDENTIFIER.findall(" ".join(annotations)))
    module = sys.modules[cls.__module__].__dict__
    for name in used & namespace.keys():
        module.setdefault(name, namespace[name])


def release_startup_garbage() -> None:
    """Collect start-up's garbage (import-time objects, the migration's work) and hand the
    freed heap memory back to the system (glibc keeps it otherwise)."""
    gc.collect()
    _malloc_trim()


def freeze_survivors() -> None:
    """Move every object alive now (the modules, the models, the flows, the registry:
    a few hundred thousand that live as long as the process) out of the cyclic garbage
    collector's sight (`gc.freeze`), once start-up is over.

    Why: handling an update makes many container objects (SQLAlchemy, JSON), so the
    collector runs often, and each full collection walked all of start-up's objects again:
    profiled, that walk showed up as a third of an update's CPU, inside whichever call
    happened to allocate (`json.loads` of getUpdates, pydantic). Objects made after this
    are collected as before; a frozen object is still freed by reference counting, only a
    cycle among frozen objects stays (call it right after `release_startup_garbage`, which
    collects start-up's cycles). `thaw_survivors` hands them back when the bot stops.
    """
    gc.freeze()


def thaw_survivors() -> None:
    """Undo `freeze_survivors` (a stopped bot in a longer-lived process, e.g. a test)."""
    gc.unfreeze()


def _malloc_trim() -> None:
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim  # glibc only; musl has none
    except (OSError, AttributeError):
        return
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
