"""The Hub's multipart LFS transfer (HF_COMPAT.md §6.3), as a raw ASGI app.

``huggingface_hub`` offers ``transfers: ["basic", "multipart"]`` in the LFS batch call; for
large objects the batch answer carries ``header = {"chunk_size": n, "00001": url, …}`` and
the client PUTs each slice to its URL, then POSTs ``{"oid", "parts": [{partNumber, etag}]}``
to the completion URL. None of these requests carry credentials, so every URL is signed
(operation, repository, oid, size, part, user; expiring). Parts land in a per-object staging
directory; completion concatenates them in order while hashing, and publishes the object
only when its sha256 and size match. Every step is idempotent, because clients retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from nbopen.config.env import CONFIG
from nbopen.core import signing
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.errors import header_text
from nbopen.repos import lfs
from nbopen.repos.models import Repository
from nbopen.repos.writes import objects

CHUNK_SIZE = 8 * 1024 * 1024
THRESHOLD = 20 * 1000 * 1000  # objects at least this large are offered multipart
URL_TTL = 3600
WRITE_BLOCK = 1 << 20
MULTIPART_RE = re.compile(
    r"^/lfs-multipart/(?P<repo_id>\d{1,18})/(?P<oid>[0-9a-f]{64})/(?P<part>\d{1,5}|complete)\Z"
)


def wants_multipart(transfers: Any, size: int) -> bool:
    return isinstance(transfers, list) and "multipart" in transfers and size >= THRESHOLD


def upload_actions(repo: Repository, oid: str, size: int, user_id: int | None) -> dict[str, Any]:
    """The ``upload`` action for a multipart transfer (batch answer)."""
    uid = user_id or 0
    base = f"{CONFIG.public_url}/lfs-multipart/{repo.pk}/{oid}"
    header: dict[str, str] = {"chunk_size": str(CHUNK_SIZE)}
    for part in range(1, math.ceil(size / CHUNK_SIZE) + 1):
        query = signing.sign(
            {"op": "part", "repo": repo.pk, "oid": oid, "size": size, "part": part, "uid": uid},
            ttl=URL_TTL,
        )
        header[f"{part:05d}"] = f"{base}/{part}?{query}"
    query = signing.sign(
        {"op": "complete", "repo": repo.pk, "oid": oid, "size": size, "uid": uid}, ttl=URL_TTL
    )
    return {"href": f"{base}/complete?{query}", "header": header, "expires_in": URL_TTL}


def _hash_and_write(digest: Any, fh: Any, block: bytes) -> None:
    digest.update(block)
    fh.write(block)


def _staging(repo_id: int, oid: str) -> Path:
    return CONFIG.tmp_dir / "multipart" / f"{repo_id}-{oid}"


async def _reply(
    send: Any, status: int, body: dict[str, Any], extra: list[Any] | None = None
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *(extra or []),
    ]
    if status >= 400:
        headers.append((b"x-error-message", header_text(str(body.get("message", ""))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    match = MULTIPART_RE.match(scope["path"])
    assert match is not None
    repo_id, oid, part = int(match["repo_id"]), match["oid"], match["part"]
    query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    size_text = query.get("size", "")
    expected: dict[str, str | int] = {
        "op": "complete" if part == "complete" else "part",
        "repo": repo_id,
        "oid": oid,
        "size": size_text,
        "uid": query.get("uid", ""),
    }
    if part != "complete":
        expected["part"] = part
    if not size_text.isdigit() or not signing.verify(query, expected):
        await _reply(send, 403, {"message": "Invalid or expired multipart URL"})
        return
    size = int(size_text)
    if part == "complete":  # POST; a part is PUT (methods declared in hubapi/router.py)
        await _complete(receive, send, repo_id, oid, size)
        return
    await _put_part(receive, send, repo_id, oid, size, int(part))


async def _put_part(receive: Any, send: Any, repo_id: int, oid: str, size: int, part: int) -> None:
    parts = math.ceil(size / CHUNK_SIZE)
    if not 1 <= part <= parts:
        await _reply(send, 400, {"message": f"part {part} out of range 1..{parts}"})
        return
    expected = CHUNK_SIZE if part < parts else size - CHUNK_SIZE * (parts - 1)
    staging = _staging(repo_id, oid)
    staging.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{part:05d}-", suffix=".partial", dir=staging)
    digest = hashlib.sha256()
    written = 0
    pending: list[bytes] = []
    try:
        with os.fdopen(fd, "wb") as fh:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body = message.get("body", b"")
                written += len(body)
                if written > expected:
                    await _reply(send, 400, {"message": "part larger than announced"})
                    return
                pending.append(body)
                more = message.get("more_body", False)
                if sum(map(len, pending)) >= WRITE_BLOCK or not more:
                    # One thread hop per block, not per (small) ASGI message.
                    block = b"".join(pending)
                    pending = []
                    await asyncio.to_thread(_hash_and_write, digest, fh, block)
                if not more:
                    break
        if written != expected:
            await _reply(send, 400, {"message": f"part {part} has {written} bytes, not {expected}"})
            return
        etag = digest.hexdigest()
        (staging / f"{part:05d}.etag").write_text(etag)
        os.replace(tmp, staging / f"{part:05d}")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    await _reply(send, 200, {}, [(b"etag", f'"{etag}"'.encode())])


def _assemble(repo_id: int, oid: str, size: int, etags: list[str]) -> tuple[int, str]:
    """Concatenate, verify and publish; (status, message). Runs in a worker thread."""
    try:
        if not Repository.objects.filter(pk=repo_id).exists():
            return 404, "Repository not found"
        if objects.link_if_stored(repo_id=repo_id, oid=oid, size=size):
            shutil.rmtree(_staging(repo_id, oid), ignore_errors=True)
            return 200, "ok"
        staging = _staging(repo_id, oid)
        parts = math.ceil(size / CHUNK_SIZE)
        if len(etags) != parts:
            return 400, f"expected {parts} parts, got {len(etags)}"
        fd, tmp = tempfile.mkstemp(prefix="assembled-", dir=CONFIG.tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                writer = lfs.HashingWriter(out, size)
                for number, etag in enumerate(etags, start=1):
                    path = staging / f"{number:05d}"
                    stored = staging / f"{number:05d}.etag"
                    if not path.exists() or not stored.exists():
                        return 400, f"part {number} was not uploaded"
                    if stored.read_text() != etag.strip('"'):
                        return 400, f"part {number} does not match its etag"
                    with open(path, "rb") as fh:
                        while chunk := fh.read(1 << 20):
                            writer.write(chunk)
            writer.check(oid)
            objects.publish_verified(repo_id=repo_id, oid=oid, size=size, staged=Path(tmp))
        except lfs.InvalidObject as exc:
            return 400, str(exc)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        shutil.rmtree(staging, ignore_errors=True)
        return 200, "ok"
    finally:
        close_old_connections()


assemble = sync_to_async(_assemble, thread_sensitive=False)


async def _complete(receive: Any, send: Any, repo_id: int, oid: str, size: int) -> None:
    raw = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        raw += message.get("body", b"")
        if len(raw) > 1 << 20:
            await _reply(send, 413, {"message": "completion body too large"})
            return
        if not message.get("more_body", False):
            break
    try:
        body = safe_json(raw)
        parts = sorted(body["parts"], key=lambda p: int(p["partNumber"]))
        etags = [str(p["etag"]) for p in parts]
        if body.get("oid") != oid or [int(p["partNumber"]) for p in parts] != list(
            range(1, len(parts) + 1)
        ):
            raise ValueError("oid or part numbers do not match")
    except (ValueError, KeyError, TypeError) as exc:
        await _reply(send, 400, {"message": f"invalid completion request: {exc}"})
        return
    status, text = await assemble(repo_id, oid, size, etags)
    await _reply(send, status, {"message": text})
