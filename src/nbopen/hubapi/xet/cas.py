"""The Xet CAS routes as a raw ASGI app, mounted under ``/xet-cas``.

Raw ASGI because xorb bodies are up to 64 MiB and fetches stream stored bytes; the work
itself happens in :mod:`nbopen.xet.services` (in a worker thread, since it touches the
database and storage). Routes, relative to the CAS URL handed out with tokens:

    POST /v1/xorbs/default/{hash}              upload a xorb (write)
    POST /v1/shards                            register files (write)
    GET  /v1/chunks/default-merkledb/{hash}    global dedup query (read)
    GET  /v1/reconstructions/{file_hash}       reconstruction terms + signed fetch URLs (read)
    GET  /v1/files/{file_hash}                 the file itself, reconstructed (read; Range)
    GET  /fetch/{key}?…signature               signed byte range of a stored xorb
    POST /v1/telemetry                         accepted and ignored
    *    /v2/…                                 501, so clients fall back to V1
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async

from nbopen.hubapi.body_guard import declared_length
from nbopen.hubapi.xet.stream import send_xet_file
from nbopen.xet import services, shardfmt, xorbfmt
from nbopen.xet.services import CasError

log = logging.getLogger(__name__)
PREFIX = services.CAS_PATH
_H = r"(?P<hash>[0-9a-f]{64})"
XORB_RE = re.compile(rf"/v1/xorbs/default/{_H}\Z")
# The spec names the prefix default-merkledb; hf_xet 1.8 sends "default".
CHUNK_RE = re.compile(rf"/v1/chunks/(?:default-merkledb|default)/{_H}\Z")
RECON_RE = re.compile(rf"/v1/reconstructions/{_H}\Z")
FILE_RE = re.compile(rf"/v1/files/{_H}\Z")
FETCH_RE = re.compile(rf"/fetch/{_H}\Z")


def matches(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _respond(
    send: Any,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Any, status: int, data: Any) -> None:
    await _respond(send, status, json.dumps(data).encode())


async def _error(send: Any, status: int, message: str) -> None:
    extra = [(b"www-authenticate", b'Bearer realm="xet-cas"')] if status == 401 else []
    body = json.dumps({"error": message}).encode()
    await _respond(send, status, body, extra=extra)


async def _read_body(scope: dict[str, Any], receive: Any, limit: int) -> bytes | None:
    """The request body, or None if the client went away; CasError(413) beyond ``limit``.

    A declared ``Content-Length`` over ``limit`` is refused before anything is read: the
    body is buffered in memory, and a client announcing 1 GiB would otherwise hold a worker
    until it had sent ``limit`` bytes (or forever, if it sends none).
    """
    length = declared_length(scope)
    if length is not None and length > limit:
        raise CasError(413, f"Request body larger than {limit} bytes")
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks += message.get("body", b"")
        if len(chunks) > limit:
            raise CasError(413, "Request body too large")
        if not message.get("more_body", False):
            return bytes(chunks)


def _run(func: Any, /, **kwargs: Any) -> Any:
    return sync_to_async(func, thread_sensitive=False)(**kwargs)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope["path"][len(PREFIX) :]
    method = scope["method"]
    auth = _header(scope, b"authorization")
    try:
        if path.startswith("/v2/"):
            await _error(send, 501, "Not implemented; use the V1 API")
        elif (m := XORB_RE.match(path)) and method == "POST":
            grant = await _run(services.authorize, authorization=auth, write=True)
            body = await _read_body(
                scope, receive, xorbfmt.MAX_XORB_BYTES + xorbfmt.MAX_FOOTER_BYTES
            )
            if body is None:
                return
            inserted = await _run(
                services.upload_xorb, grant=grant, claimed_hash=m["hash"], body=body
            )
            await _json(send, 200, {"was_inserted": inserted})
        elif path == "/v1/shards" and method == "POST":
            grant = await _run(services.authorize, authorization=auth, write=True)
            body = await _read_body(scope, receive, shardfmt.MAX_SHARD_BYTES)
            if body is None:
                return
            new = await _run(services.upload_shard, grant=grant, body=body)
            await _json(send, 200, {"result": 1 if new else 0})
        elif (m := CHUNK_RE.match(path)) and method == "GET":
            grant = await _run(services.authorize, authorization=auth, write=False)
            shard = await _run(services.dedup_query, grant=grant, chunk_hash=m["hash"])
            if shard is None:
                await _error(send, 404, "Chunk not tracked for deduplication")
            else:
                await _respond(send, 200, shard, b"application/octet-stream")
        elif (m := RECON_RE.match(path)) and method == "GET":
            grant = await _run(services.authorize, authorization=auth, write=False)
            byte_range = _explicit_range(_header(scope, b"range"))
            answer = await _run(
                services.reconstruction, grant=grant, file_hash=m["hash"], byte_range=byte_range
            )
            await _json(send, 200, answer)
        elif (m := FILE_RE.match(path)) and method in {"GET", "HEAD"}:
            grant = await _run(services.authorize, authorization=auth, write=False)
            await _send_file(scope, send, grant, m["hash"], head=method == "HEAD")
        elif (m := FETCH_RE.match(path)) and method == "GET":
            await _fetch(scope, send, m["hash"])
        elif path == "/v1/telemetry" and method == "POST":
            await _read_body(scope, receive, 1 << 20)
            await _json(send, 200, {})
        else:
            await _error(send, 404, "Not found")
    except CasError as exc:
        if exc.status == 400:
            log.warning("xet CAS %s %s refused: %s", method, path, exc)
        await _error(send, exc.status, str(exc))


def _explicit_range(header: str | None) -> tuple[int, int] | None:
    """``bytes=S-E`` as the reconstruction API takes it (no suffix forms); 416 if malformed."""
    if not header:
        return None
    m = re.fullmatch(r"bytes=(\d+)-(\d+)", header.strip())
    if not m:
        raise CasError(416, "Range must be bytes=START-END")
    return int(m[1]), int(m[2])


async def _fetch(scope: dict[str, Any], send: Any, key: str) -> None:
    query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    start, end = services.verify_fetch(
        storage_key=key, query=query, range_header=_header(scope, b"range")
    )
    data = await asyncio.to_thread(services.storage.read_range, key, start, end + 1)
    if len(data) != end - start + 1:
        raise CasError(404, "Stored xorb is shorter than the signed range")
    await _respond(
        send,
        206,
        data,
        b"application/octet-stream",
        [(b"content-range", f"bytes {start}-{end}/*".encode())],
    )


async def _send_file(
    scope: dict[str, Any], send: Any, grant: services.Grant, file_hash: str, *, head: bool
) -> None:
    xet_file = await _run(services.file_for, grant=grant, file_hash=file_hash)
    headers = [(b"content-type", b"application/octet-stream")]
    if xet_file.sha256:
        headers.append((b"etag", f'"{xet_file.sha256}"'.encode()))
    await send_xet_file(
        send, xet_file, range_header=_header(scope, b"range"), head=head, headers=headers
    )
