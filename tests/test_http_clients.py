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


async def test_ptb_sends_at_most_a_few_calls_at_once_and_queues_the_rest() -> None:
    """httpx's pool costs more per request with every connection open: in a burst the PTB
    sender keeps SENDS_AT_ONCE calls in flight and queues the rest (no time limit)."""
    import asyncio

    from bot.runtimes.ptb_runtime import SENDS_AT_ONCE, PtbSender

    in_flight, most, sent = 0, 0, []

    class Bot:
        async def _post(self, endpoint: str, data: dict[str, Any]) -> Any:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            sent.append(data["chat_id"])
            return {"message_id": data["chat_id"]}

    sender = PtbSender(Bot())  # type: ignore[arg-type]
    ids = await asyncio.gather(*(sender.send_message(n, "hoi", []) for n in range(40)))
    assert ids == list(range(40))
    assert sorted(sent) == list(range(40))
    assert most == SENDS_AT_ONCE
