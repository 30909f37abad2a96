"""What the HTTP clients under the runtimes cost per call, where a missing piece made it
dear: httpcore (PTB's client) asks for sniffio at every lock and event of every request."""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from typing import Any


class _Searches(MetaPathFinder):
    """Records every module the import system had to search for (not already imported)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        self.names.append(fullname)
        return None  # let the real finders answer


async def test_httpcore_finds_sniffio_without_searching_sys_path_at_every_request() -> None:
    from httpcore._synchronization import current_async_library

    searches = _Searches()
    sys.meta_path.insert(0, searches)
    try:
        for _ in range(3):  # as each request's locks, events and shields ask
            assert current_async_library() == "asyncio"
    finally:
        sys.meta_path.remove(searches)
    # Without sniffio installed each call is a failed import: a search of sys.path.
    assert "sniffio" not in searches.names
