"""LFS object transfer (basic adapter) as a raw ASGI app: streamed upload and download.

URLs are handed out by the batch API and carry an expiring signature binding operation,
repository, oid, size and user, so the PUT needs no credentials (the Hub client sends none).
Uploads are hashed while they stream to a temp file and published only when oid and size
match; a failed or aborted upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async

from nbopen.config.env import CONFIG
from nbopen.core import signing
from nbopen.core.storage import get_storage
from nbopen.hubapi.errors import header_text
from nbopen.hubapi.githttp.paths import LFS_TRANSFER_RE
from nbopen.hubapi.ranges import start_ranged_response
from nbopen.hubapi.xet.stream import send_xet_file
from nbopen.repos import lfs
from nbopen.repos.models import Repository
from nbopen.repos.writes import objects
from nbopen.xet import lfs_bridge

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
FLUSH_BYTES = CHUNK  # upload bytes handed to the hashing thread at a time


async def _json(
    send: Any, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/vnd.git-lfs+json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-error-message", header_text(message).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _repo_exists(repo_id: int) -> bool:
    return Repository.objects.filter(pk=repo_id).exists()


def _linked(repo_id: int, oid: str) -> bool:
    return lfs.RepositoryLFSObject.objects.filter(repository_id=repo_id, lfs_object_id=oid).exists()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    m = LFS_TRANSFER_RE.match(scope["path"])
    assert m is not None
    repo_id, oid = int(m["repo_id"]), m["oid"]
    query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    method = scope["method"]
    op = "upload" if method == "PUT" else "download"  # GET, HEAD or PUT (hubapi/router.py)
    size_text = query.get("size", "")
    if not size_text.isdigit() or not signing.verify(
        query,
        {"op": op, "repo": repo_id, "oid": oid, "size": size_text, "uid": query.get("uid", "")},
    ):
        await _json(
            send, 403, "Invalid or expired transfer URL; request a new one from the batch API"
        )
        return
    size = int(size_text)
    if op == "upload":
        await _upload(scope, receive, send, repo_id, oid, size)
    else:
        await _download(scope, send, repo_id, oid, size, head=method == "HEAD")


async def _upload(
    scope: dict[str, Any], receive: Any, send: Any, repo_id: int, oid: str, size: int
) -> None:
    declared = _header(scope, b"content-length")
    if declared is not None and declared.strip() != str(size):
        await _json(send, 400, f"Content-Length {declared} does not match the object size {size}")
        return
    if not await sync_to_async(_repo_exists, thread_sensitive=False)(repo_id):
        await _json(send, 404, "Repository not found")
        return
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"lfs-{oid[:12]}-", dir=CONFIG.tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = lfs.HashingWriter(fh, size)
            # Hashing and writing run on a worker thread, a MiB at a time, so a large upload
            # never holds the event loop that serves every other request.
            pending = bytearray()
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                pending += message.get("body", b"")
                more = message.get("more_body", False)
                if len(pending) >= FLUSH_BYTES or (pending and not more):
                    await asyncio.to_thread(writer.write, bytes(pending))
                    pending.clear()
                if not more:
                    break
        writer.check(oid)
        await sync_to_async(objects.publish_verified, thread_sensitive=False)(
            repo_id=repo_id, oid=oid, size=size, staged=Path(tmp_name)
        )
    except lfs.InvalidObject as exc:
        await _json(send, 400, str(exc))
        return
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
    )
    await send({"type": "http.response.body", "body": b""})


async def _download(
    scope: dict[str, Any], send: Any, repo_id: int, oid: str, size: int, *, head: bool
) -> None:
    if not await sync_to_async(_linked, thread_sensitive=False)(repo_id, oid):
        await _json(send, 404, "Object not found in this repository")
        return
    storage = get_storage()
    headers = [(b"content-type", b"application/octet-stream")]
    if await asyncio.to_thread(storage.size, oid) is None:
        # Uploaded through Xet (hf_xet): reconstruct the bytes from chunk storage.
        xet_file = await sync_to_async(lfs_bridge.backing_file, thread_sensitive=False)(
            repo_id, oid, size
        )
        if xet_file is None:
            await _json(send, 404, "Object not found in this repository")
            return
        await send_xet_file(
            send, xet_file, range_header=_header(scope, b"range"), head=head, headers=headers
        )
        return
    await send_object(scope, send, storage, oid, size, head=head, extra=headers)


async def send_object(
    scope: dict[str, Any],
    send: Any,
    storage: Any,
    oid: str,
    size: int,
    *,
    head: bool,
    extra: list[tuple[bytes, bytes]],
) -> None:
    """Stream one stored object, honouring a single HTTP Range (206/416)."""
    span = await start_ranged_response(
        send, range_header=_header(scope, b"range"), size=size, headers=extra
    )
    if span is None:
        return
    start, length = span.start, span.length
    local = storage.local_path(oid)
    extensions = scope.get("extensions") or {}
    if head or length == 0:
        await send({"type": "http.response.body", "body": b""})
        return
    if local is not None and not span.partial and "http.response.pathsend" in extensions:
        # The server (granian) streams the file itself, at sendfile speed.
        await send({"type": "http.response.pathsend", "path": str(local)})
        return
    fh = await asyncio.to_thread(storage.open, oid)
    try:
        if start:
            await asyncio.to_thread(fh.seek, start)
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(fh.read, min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:
            log.error("object %s ended %d bytes early", oid, remaining)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        fh.close()
