"""A small round-robin load balancer (aiohttp), as a reverse proxy in front of several
`buurbot run --webhook` processes: one public address, each request to the next process.

It passes the method, path, query, body and the headers a webhook needs (the secret token,
the content type) and answers with the process's status and body. A process that does not
answer (connection refused) is skipped for that request, as nginx's ``proxy_next_upstream``
does; ``forwarded[i]`` counts the requests process ``i`` answered.

    async with RoundRobin(["http://127.0.0.1:8081", "http://127.0.0.1:8082"]) as balancer:
        balancer.url  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import itertools
import socket
from collections import Counter
from types import TracebackType

import aiohttp
from aiohttp import web

PASSED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobin:
    def __init__(self, backends: list[str] | None = None, host: str = "127.0.0.1") -> None:
        self.backends: list[str] = list(backends or [])
        self.host = host
        self.forwarded: Counter[int] = Counter()
        self.failed: Counter[int] = Counter()  # requests a process did not answer
        self._turn = itertools.count()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        with socket.socket() as probe:
            probe.bind((host, 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://{host}:{self.port}"

    async def __aenter__(self) -> RoundRobin:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {
            name: request.headers[name] for name in PASSED_HEADERS if name in request.headers
        }
        for _ in range(len(self.backends)):
            index = next(self._turn) % len(self.backends)
            target = self.backends[index] + request.path_qs
            try:
                async with self._session.request(
                    request.method, target, data=body, headers=headers
                ) as answer:
                    payload = await answer.read()
                    self.forwarded[index] += 1
                    return web.Response(
                        status=answer.status,
                        body=payload,
                        content_type=answer.content_type,
                    )
            except aiohttp.ClientConnectionError:
                self.failed[index] += 1
        return web.Response(status=502, text="no process answered")
