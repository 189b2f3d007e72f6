"""HTTP Range parsing (one range; what download clients and resumers send)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (start, end) for a single satisfiable range, None to send the whole body.

    Multi-range and malformed headers are ignored (whole body), as RFC 9110 allows;
    an unsatisfiable range raises :class:`RangeNotSatisfiable` (416).
    """
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m:
        return None
    first, last = m.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    if start >= size:
        # Checked first: "bytes=N-" with N ≥ size is unsatisfiable, not "whole body".
        raise RangeNotSatisfiable(header)
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


@dataclass(frozen=True)
class Span:
    """The bytes a response must carry: ``length`` bytes from ``start``."""

    start: int
    length: int
    partial: bool  # answered 206 (a Range was honoured)


async def start_ranged_response(
    send: Any, *, range_header: str | None, size: int, headers: list[tuple[bytes, bytes]]
) -> Span | None:
    """Send the ASGI response start for a body of ``size`` bytes, honouring one Range.

    Every raw download handler (LFS transfers, Hub resolve, Xet files) streams from a
    different source but answers Range the same way; this is that one way. Returns the span
    to stream, or None when 416 has been answered completely.
    """
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        await send(
            {
                "type": "http.response.start",
                "status": 416,
                "headers": [
                    *headers,
                    (b"content-range", f"bytes */{size}".encode()),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return None
    start, end = byte_range if byte_range else (0, size - 1)
    length = max(0, end - start + 1)
    out = [*headers, (b"accept-ranges", b"bytes"), (b"content-length", str(length).encode())]
    if byte_range:
        out.append((b"content-range", f"bytes {start}-{end}/{size}".encode()))
    status = 206 if byte_range else 200
    await send({"type": "http.response.start", "status": status, "headers": out})
    return Span(start, length, byte_range is not None)
