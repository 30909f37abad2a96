"""The network guard (tests/network_guard.py): a test can reach 127.0.0.1 and nothing else,
and a blocked attempt fails before any packet leaves."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator

import aiohttp
import pytest

from tests.network_guard import GUARD, NetworkBlocked, NetworkGuard, is_local

OUTSIDE = "10.255.255.1"  # not routable: a real connect would hang, not fail at once


@pytest.fixture
def guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard]:
    """The guard, installed (by tests/conftest.py, else here); the attempts these tests make
    on purpose are taken away again so that they do not fail the test."""
    loaded = request.config.pluginmanager.has_plugin("tests.network_guard")
    if not loaded:
        GUARD.install()
    GUARD.take_blocked()
    try:
        yield GUARD
    finally:
        GUARD.take_blocked()
        if not loaded:
            GUARD.uninstall()


def test_the_guard_is_loaded_for_the_whole_suite(request: pytest.FixtureRequest) -> None:
    # Fails, never skips: a suite without the guard could reach the network unnoticed.
    assert request.config.pluginmanager.has_plugin("tests.network_guard"), (
        'tests/conftest.py must load the guard: pytest_plugins = ["tests.network_guard"]'
    )
    assert GUARD.installed, "the network guard is loaded but not installed"
    assert socket.socket.connect.__name__ == "guarded_connect"
    assert socket.getaddrinfo.__name__ == "guarded_getaddrinfo"


def test_a_connection_outside_fails_before_any_packet(guard: NetworkGuard) -> None:
    started = time.monotonic()
    with pytest.raises(NetworkBlocked, match=re.escape(OUTSIDE)):
        socket.create_connection((OUTSIDE, 80), timeout=5)
    assert time.monotonic() - started < 0.5  # refused here, not by a network
    assert guard.take_blocked() == [f"connect to ('{OUTSIDE}', 80)"]


def test_connect_ex_and_datagrams_are_guarded_too(guard: NetworkGuard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked, match=re.escape(f"('{OUTSIDE}', 443)")):
            sock.connect_ex((OUTSIDE, 443))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlocked, match=re.escape(f"('{OUTSIDE}', 53)")):
            sock.sendto(b"x", (OUTSIDE, 53))
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked, match="2001:db8::1"):
            sock.connect(("2001:db8::1", 443, 0, 0))
    assert len(guard.take_blocked()) == 3


def test_name_lookups_outside_are_blocked(guard: NetworkGuard) -> None:
    with pytest.raises(NetworkBlocked, match=r"api\.telegram\.org"):
        socket.getaddrinfo("api.telegram.org", 443)
    with pytest.raises(NetworkBlocked, match=r"example\.org"):
        socket.gethostbyname("example.org")
    assert socket.getaddrinfo("127.0.0.1", 80)  # a numeric address is no lookup
    assert socket.gethostbyname("localhost").startswith("127.")
    assert len(guard.take_blocked()) == 2


async def test_async_clients_are_blocked_outside(guard: NetworkGuard) -> None:
    with pytest.raises(OSError, match=re.escape(OUTSIDE)) as raised:
        await asyncio.open_connection(OUTSIDE, 80)
    assert isinstance(raised.value, NetworkBlocked)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientError, match=f"Cannot connect to host {OUTSIDE}:80"):
            await http.get(f"http://{OUTSIDE}/", timeout=aiohttp.ClientTimeout(total=5))
    assert len(guard.take_blocked()) == 2


async def test_loopback_is_allowed(guard: NetworkGuard) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for host in ("127.0.0.1", "localhost"):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"hallo\n")
            await writer.drain()
            assert await reader.readline() == b"hallo\n"
            writer.close()
            await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    assert guard.take_blocked() == []


def test_what_counts_as_local() -> None:
    assert is_local("127.0.0.1") and is_local("127.8.9.10") and is_local("::1")
    assert is_local("[::1]") and is_local("::ffff:127.0.0.1") and is_local("localhost")
    assert not is_local(OUTSIDE) and not is_local("0.0.0.0") and not is_local("192.168.1.1")
    assert not is_local("api.telegram.org") and not is_local("localhost.evil.org")
