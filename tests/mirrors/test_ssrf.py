"""Upstream URLs and redirects to private or loopback addresses are refused unless the
operator allows that class. Names are resolved by a stub: no traffic leaves loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nbopen.mirrors import net

ADDRESSES = {
    "hub.example": "93.184.216.34",
    "intranet.example": "10.1.2.3",
    "metadata.example": "169.254.169.254",
    "v6-loopback.example": "::1",
    "mapped.example": "::ffff:192.168.1.1",
    "localhost": "127.0.0.1",
}


def stub(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    address = ADDRESSES.get(host, host)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.mark.parametrize(
    ("host", "allowed", "refused"),
    [
        ("hub.example", frozenset(), False),
        ("intranet.example", frozenset(), True),
        ("intranet.example", frozenset({"private"}), False),
        ("metadata.example", frozenset({"loopback"}), True),
        ("v6-loopback.example", frozenset(), True),
        ("localhost", frozenset({"loopback"}), False),
        ("localhost", frozenset({"private"}), True),
        ("mapped.example", frozenset({"loopback"}), True),
    ],
)
def test_address_classes(host: str, allowed: frozenset[str], refused: bool) -> None:
    if refused:
        with pytest.raises(net.AddressRefused):
            net.checked_address(host, 443, resolver=stub, allowed=allowed)
    else:
        assert net.checked_address(host, 443, resolver=stub, allowed=allowed) == ADDRESSES[host]


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that redirects every request to the intranet."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://intranet.example/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_a_private_address_is_refused(
    redirecting: tuple[str, list[str]],
) -> None:
    url, seen = redirecting
    with pytest.raises(net.AddressRefused, match=r"10\.1\.2\.3"):
        net.request("GET", url + "/api/models/a/b", resolver=stub, allowed=frozenset({"loopback"}))
    assert seen == ["/api/models/a/b"]  # the first hop was made, the redirect was not followed


def test_loopback_itself_needs_the_operator(redirecting: tuple[str, list[str]]) -> None:
    url, seen = redirecting
    with pytest.raises(net.AddressRefused, match="loopback"):
        net.request("GET", url, resolver=stub, allowed=frozenset())
    assert seen == []
