"""Send a Xet file as plain HTTP bytes (200/206/416), reconstructed from its xorbs.

Shared by the CAS's ``/v1/files`` route, Hub ``resolve`` and git-lfs transfers, so every
client without hf_xet (browsers, git-lfs, old Hub clients) can read Xet-stored files.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nbopen.hubapi.ranges import start_ranged_response
from nbopen.xet import services
from nbopen.xet.models import XetFile


async def send_xet_file(
    send: Any,
    xet_file: XetFile,
    *,
    range_header: str | None,
    head: bool,
    headers: list[tuple[bytes, bytes]],
) -> None:
    span = await start_ranged_response(
        send, range_header=range_header, size=xet_file.size, headers=headers
    )
    if span is None:
        return
    if head or span.length == 0:
        await send({"type": "http.response.body", "body": b""})
        return
    byte_range = (span.start, span.start + span.length - 1) if span.partial else None
    pieces = services.iter_file_bytes(xet_file=xet_file, byte_range=byte_range)
    sentinel = object()
    while True:
        piece = await asyncio.to_thread(next, pieces, sentinel)
        if piece is sentinel:
            break
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
