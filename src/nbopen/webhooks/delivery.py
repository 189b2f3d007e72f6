"""Sending one webhook request: resolve once, connect to that address, follow no redirect.

Kept apart from the services so the network code (the part an attacker aims at) is small and
read in one place; see :mod:`.allowlist` for which addresses are reachable."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from nbopen.webhooks import allowlist

TIMEOUT = 10.0
MAX_RESPONSE = 64 * 1024  # what the delivery log keeps of a response body


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass
class Result:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str = ""
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT) -> Result:
    """POST ``body`` to ``url``; never raises (a refusal or a network error is the result's
    ``error``). A 3xx is a failure: following it would skip the allow-list."""
    started = time.monotonic()
    result = Result()
    try:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise allowlist.Refused(f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = allowlist.resolve(parts.hostname, port)
        cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        conn = cls(parts.hostname, port, ip, timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            result.status = response.status
            result.headers = {k: v for k, v in response.getheaders()}
            result.body = response.read(MAX_RESPONSE).decode("utf-8", "replace")
        finally:
            conn.close()
    except allowlist.Refused as exc:
        result.error = f"refused: {exc}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.duration_ms = round((time.monotonic() - started) * 1000, 2)
    return result
