"""No test talks to the outside world: a pytest plugin that blocks every connection (and
every name lookup) to an address that is not the machine's own.

Loaded for the whole suite by `pytest_plugins = ["tests.network_guard"]` in tests/conftest.py.
The check runs in Python before the socket call, so a blocked connection never sends a
packet. A blocked attempt raises `NetworkBlocked` and also fails the test that made it, even
when a library swallows the error and retries.

Allowed: loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x), "localhost", Unix sockets.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlocked(PermissionError):
    """A test tried to reach an address outside this machine."""


class NetworkGuard:
    def __init__(self) -> None:
        self.blocked: list[str] = []
        self._lock = threading.Lock()
        self._originals: dict[tuple[Any, str], Any] = {}

    @property
    def installed(self) -> bool:
        return bool(self._originals)

    # --- checks ---------------------------------------------------------------------------

    def _refuse(self, what: str) -> NetworkBlocked:
        with self._lock:
            self.blocked.append(what)
        return NetworkBlocked(f"network access outside 127.0.0.1 is blocked in tests: {what}")

    def check_address(self, family: int, address: Any, what: str) -> None:
        if family not in (socket.AF_INET, socket.AF_INET6):
            return  # Unix sockets, netlink...
        host = address[0] if isinstance(address, tuple) and address else address
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if not is_local(str(host)):
            raise self._refuse(f"{what} {address!r}")

    def check_name(self, host: Any, what: str) -> None:
        if host is None:
            return
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if _is_ip(str(host)):
            return  # a numeric address is no lookup; connecting to it is checked
        if not is_local(str(host)):
            raise self._refuse(f"{what} {host!r}")

    # --- installing -----------------------------------------------------------------------

    def install(self) -> None:
        if self.installed:
            return
        guard = self

        def patch(owner: Any, name: str, replacement: Any) -> None:
            self._originals[(owner, name)] = getattr(owner, name)
            setattr(owner, name, replacement)

        connect = socket.socket.connect
        connect_ex = socket.socket.connect_ex
        sendto = socket.socket.sendto
        getaddrinfo = socket.getaddrinfo
        gethostbyname = socket.gethostbyname
        gethostbyname_ex = socket.gethostbyname_ex

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            guard.check_address(sock.family, address, "connect to")
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check_address(sock.family, address, "connect to")
            return connect_ex(sock, address)

        def guarded_sendto(sock: socket.socket, data: Any, *rest: Any) -> int:
            guard.check_address(sock.family, rest[-1], "send a datagram to")
            return sendto(sock, data, *rest)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            guard.check_name(host, "look up")
            return getaddrinfo(host, *args, **kwargs)

        def guarded_gethostbyname(host: str) -> str:
            guard.check_name(host, "look up")
            return gethostbyname(host)

        def guarded_gethostbyname_ex(host: str) -> Any:
            guard.check_name(host, "look up")
            return gethostbyname_ex(host)

        patch(socket.socket, "connect", guarded_connect)
        patch(socket.socket, "connect_ex", guarded_connect_ex)
        patch(socket.socket, "sendto", guarded_sendto)
        patch(socket, "getaddrinfo", guarded_getaddrinfo)
        patch(socket, "gethostbyname", guarded_gethostbyname)
        patch(socket, "gethostbyname_ex", guarded_gethostbyname_ex)

    def uninstall(self) -> None:
        for (owner, name), original in self._originals.items():
            setattr(owner, name, original)
        self._originals.clear()

    def take_blocked(self) -> list[str]:
        with self._lock:
            blocked, self.blocked = self.blocked, []
        return blocked


def is_local(host: str) -> bool:
    """A loopback address, or a name that can only mean this machine."""
    host = host.strip().strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


GUARD = NetworkGuard()


def pytest_configure(config: pytest.Config) -> None:
    GUARD.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    GUARD.uninstall()


@pytest.fixture(autouse=True)
def _no_network_attempts() -> Iterator[None]:
    """Fail a test that tried to reach the outside, even if a library swallowed the error.
    (A test that expects blocked attempts takes them with `GUARD.take_blocked()`.)"""
    GUARD.take_blocked()
    yield
    blocked = GUARD.take_blocked()
    if blocked:
        pytest.fail(
            "the test tried to reach the network outside 127.0.0.1:\n  " + "\n  ".join(blocked),
            pytrace=False,
        )
