"""A client for ClamAV's daemon (clamd), used when an operator sets NBOPEN_CLAMAV_SOCKET.

clamd does the parsing of hostile files in its own process, so a stream is sent to it with
the ``INSTREAM`` command: ``zINSTREAM\\0``, then chunks framed by a 4-byte big-endian
length, then a zero-length chunk; the answer is ``stream: OK`` or
``stream: <signature> FOUND`` (``... ERROR`` when clamd refuses, e.g. over its
``StreamMaxLength``). The address is a unix socket path or ``tcp:host:port``.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 16
TIMEOUT = 120.0


class ClamavError(RuntimeError):
    """clamd could not be reached or refused the stream."""


@dataclass(frozen=True)
class AvResult:
    virus_names: list[str]

    def as_hub(self) -> dict[str, object]:
        """The Hub's ``avScan`` object."""
        return {"virusFound": bool(self.virus_names), "virusNames": self.virus_names or None}


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("tcp:"):
        host, _, port = address[4:].rpartition(":")
        return socket.create_connection((host, int(port)), timeout=timeout)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(address)
    return sock


def scan_stream(address: str, stream: BinaryIO, *, timeout: float = TIMEOUT) -> AvResult:
    """Send ``stream`` to clamd at ``address``; the signatures it found (empty: clean)."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                piece = sock.recv(4096)
                if not piece:
                    break
                answer += piece
    except OSError as exc:
        raise ClamavError(f"clamd at {address}: {exc}") from exc
    text = answer.rstrip(b"\0").decode(errors="replace").strip()
    if text.endswith(" OK"):
        return AvResult([])
    if text.endswith(" FOUND"):
        name = text.removeprefix("stream:").removesuffix(" FOUND").strip()
        return AvResult([name])
    raise ClamavError(f"clamd at {address} answered {text!r}")
