"""``HEAD``/``GET /[datasets/]{owner}/{name}/resolve/{rev}/{path}`` as a raw ASGI app.

Why raw ASGI: downloads are the hot path. Django's ASGI ``FileResponse`` pushes every chunk
through Python (about a third of nginx's speed); here an LFS object stored on disk is handed
to the server with ``http.response.pathsend`` (granian then streams it natively), and ranges
and git blobs stream without Django. All decisions (credentials, policy, revision, entry)
run in one worker-thread call against the same services the Django views use.

Headers follow the Hub: ``X-Repo-Commit`` always (also on an ``EntryNotFound`` 404),
``ETag`` = git blob id for regular files and content sha256 for LFS files, plus
``X-Linked-Etag``/``X-Linked-Size`` for LFS. An LFS file whose bytes are a Xet file of this
repository also carries ``X-Xet-Hash`` and its token route (``X-Xet-Refresh-Route`` and
``Link: <…>; rel="xet-auth"``), so ``hf_xet`` downloads it by reconstruction; a plain GET of
it is answered here by reconstructing and streaming the bytes (Range supported). Files held
in LFS storage get no Xet headers and download over plain HTTP, hf_xet or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from nbopen.access.credentials import InvalidCredentials, principal_from_scope
from nbopen.access.policy import Level, decide_repo
from nbopen.config.env import CONFIG
from nbopen.core.storage import get_storage
from nbopen.hubapi.asgi_access import repo_access
from nbopen.hubapi.denials import Channel, Denial, denial, extra_headers, invalid_denial
from nbopen.hubapi.errors import header_text
from nbopen.hubapi.githttp.transfer import send_object
from nbopen.hubapi.ranges import start_ranged_response
from nbopen.hubapi.xet.stream import send_xet_file
from nbopen.mirrors import locks as mirror_locks
from nbopen.mirrors import net as mirror_net
from nbopen.mirrors import objects as mirror_objects
from nbopen.mirrors import traffic as mirror_traffic
from nbopen.repos import downloads
from nbopen.repos.git import read
from nbopen.repos.lfs import InvalidObject
from nbopen.repos.models import Repository
from nbopen.xet import lfs_bridge
from nbopen.xet.models import XetFile

from . import stats
from .common import split_rev_path
from .pointers import Pointer, pointer_of

log = logging.getLogger(__name__)

RESOLVE_RE = re.compile(
    r"^/(?:(?P<prefix>datasets)/)?(?P<owner>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rest>.+)\Z"
)
# A namespace-less id (``/gpt2/resolve/main/config.json``): always ``RepoNotFound``. The
# first segment after ``resolve`` is never one of the web pages of a repository called
# ``resolve`` (``/alice/resolve/tree/main``), which stay Django's.
NAMESPACELESS_RESOLVE_RE = re.compile(
    r"^/(?P<name>[^/]+)/resolve/"
    r"(?P<rest>(?!(?:tree|blob|raw|commits|commit|upload|settings)/)[^/]+/.+)\Z"
)
CHUNK = 1 << 20
Headers = list[tuple[bytes, bytes]]


@dataclass
class Plan:
    status: int = 200
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    # set when the answer is a file
    repo_path: str = ""
    blob: str = ""
    size: int = 0
    pointer: Pointer | None = None
    redirect: str | None = None
    xet_file: XetFile | None = None  # the LFS bytes live only in Xet chunk storage
    pull: mirror_objects.ObjectPull | None = None  # a mirror's object, fetched on first GET


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _error(status: int, message: str, code: str | None, extra: Headers | None = None) -> Plan:
    headers: Headers = [
        (b"content-type", b"application/json"),
        (b"x-error-message", header_text(message).encode()),
    ]
    if code:
        headers.append((b"x-error-code", code.encode()))
    return Plan(status, headers + (extra or []), json.dumps({"error": message}).encode())


def xet_refresh_route(repo: Repository, sha: str) -> str:
    """The xet-read-token URL for ``repo`` at commit ``sha`` (what hf_xet refreshes from)."""
    plural = "datasets" if repo.type == Repository.Type.DATASET else "models"
    return f"{CONFIG.public_url}/api/{plural}/{repo.full_name}/xet-read-token/{sha}"


def _client_key(scope: dict[str, Any], user_id: int | None) -> str:
    if user_id is not None:
        return f"u{user_id}"
    client = scope.get("client") or ("?", 0)
    return f"ip{client[0]}"


def plan(scope: dict[str, Any], match: re.Match[str]) -> Plan:
    """Everything that needs the database or git, run in a worker thread."""
    try:
        return _plan(scope, match)
    finally:
        close_old_connections()


def _plan(scope: dict[str, Any], match: re.Match[str]) -> Plan:
    if "owner" not in match.re.groupindex:  # NAMESPACELESS_RESOLVE_RE
        try:
            principal = principal_from_scope(scope)
        except InvalidCredentials as exc:
            refused = invalid_denial(Channel.HUB, exc)
        else:
            refused = denial(Channel.HUB, decide_repo(principal, None, Level.READ))
        return _error(refused.status, refused.message, refused.code, extra_headers(refused))
    found = repo_access(
        scope,
        owner=match["owner"],
        name=match["name"],
        want_type=Repository.Type.DATASET if match["prefix"] else Repository.Type.MODEL,
        need=Level.READ,
        channel=Channel.HUB,
        content=True,
    )
    if isinstance(found, Denial):
        return _error(found.status, found.message, found.code, extra_headers(found))
    principal, repo = found.principal, found.repo
    split = split_rev_path(repo.git_path, match["rest"])
    if split is None:
        rev = match["rest"].split("/", 1)[0]
        return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
    _rev, sha, path = split
    commit_header = (b"x-repo-commit", sha.encode())
    entry = read.entry_at(repo.git_path, sha, path) if path else None
    if entry is None or entry.type != "blob":
        return _error(404, f"Entry not found: {path}", "EntryNotFound", [commit_header])
    pointer = pointer_of(repo.git_path, entry.oid, entry.size)
    headers: Headers = [commit_header]  # Accept-Ranges is added by the senders
    if pointer is not None:
        headers += [
            (b"etag", f'"{pointer.oid}"'.encode()),
            (b"x-linked-etag", f'"{pointer.oid}"'.encode()),
            (b"x-linked-size", str(pointer.size).encode()),
        ]
        size = pointer.size
    else:
        headers.append((b"etag", f'"{entry.oid}"'.encode()))
        size = entry.size or 0
    headers.append((b"content-type", b"application/octet-stream"))
    result = Plan(
        200, headers, repo_path=str(repo.git_path), blob=entry.oid, size=size, pointer=pointer
    )
    if pointer is not None:
        storage = get_storage()
        in_storage = storage.size(pointer.oid) == pointer.size
        xet_file = lfs_bridge.backing_file(repo.pk, pointer.oid, pointer.size)
        if xet_file is not None:
            route = xet_refresh_route(repo, sha)
            headers += [
                (b"x-xet-hash", xet_file.file_hash.encode()),
                (b"x-xet-refresh-route", route.encode()),
                (b"link", f'<{route}>; rel="xet-auth"'.encode()),
            ]
            if not in_storage:
                result.xet_file = xet_file
        elif not in_storage:
            result.pull = mirror_objects.pull_for(repo, path, pointer.oid, pointer.size)
        if not in_storage and result.xet_file is None and result.pull is None:
            return _error(
                404,
                f"The LFS object of {path} is not stored on this server",
                "EntryNotFound",
                [commit_header],
            )
        if scope["method"] == "GET" and in_storage and _from_start(scope):
            mirror_traffic.record_local(repo.pk, pointer.size)  # no-op unless a mirror
        if scope["method"] == "GET" and in_storage:
            name = path.rsplit("/", 1)[-1]
            result.redirect = storage.download_url(
                pointer.oid, expires=3600, filename=name if name.isascii() else None
            )
    if scope["method"] == "GET" and _counts(scope, repo, sha, path):
        user_id = principal.user.pk if principal.user is not None else None
        counted = downloads.record_download(repo_id=repo.pk, client=_client_key(scope, user_id))
        if counted and principal.user is not None:
            downloads.record_member_download(repo, principal.user)
    return result


def _from_start(scope: dict[str, Any]) -> bool:
    """A whole-file read, or one from the start (not a resumed or partial read)."""
    rng = _header(scope, b"range")
    return not rng or rng.strip().startswith(("bytes=0-", "bytes=-"))


def _counts(scope: dict[str, Any], repo: Repository, sha: str, path: str) -> bool:
    if not _from_start(scope):
        return False  # a resumed or partial read of something already counted
    has_config: bool | None = None
    name = path.rsplit("/", 1)[-1]
    if repo.type == Repository.Type.MODEL and name.endswith(stats.WEIGHT_SUFFIXES):
        has_config = read.entry_at(repo.git_path, sha, "config.json") is not None
    return stats.counts_as_download(repo.type, path, has_config)


plan_async = sync_to_async(plan, thread_sensitive=False)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    method = scope["method"]
    match = RESOLVE_RE.match(scope["path"]) or NAMESPACELESS_RESOLVE_RE.match(scope["path"])
    assert match is not None
    trace = _header(scope, b"x-amzn-trace-id")
    extra: Headers = [(b"x-request-id", trace.encode("latin-1"))] if trace else []
    result = await plan_async(scope, match)  # GET or HEAD only (hubapi/router.py)
    headers = result.headers + extra
    head = method == "HEAD"
    if not result.blob:
        headers.append((b"content-length", str(len(result.body)).encode()))
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else result.body})
        return
    if result.xet_file is not None:
        await send_xet_file(
            send, result.xet_file, range_header=_header(scope, b"range"), head=head, headers=headers
        )
        return
    if result.pull is not None and not head:
        await _send_pulled(scope, send, result.pull, headers)
        return
    if result.pointer is not None:
        if result.redirect is not None:
            headers = [h for h in headers if h[0] != b"content-type"]
            headers += [(b"location", result.redirect.encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 302, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send_object(
            scope, send, get_storage(), result.pointer.oid, result.size, head=head, extra=headers
        )
        return
    await _send_blob(scope, send, result, headers, head=head)


async def _send_blob(
    scope: dict[str, Any], send: Any, result: Plan, headers: Headers, *, head: bool
) -> None:
    """Stream a regular (non-LFS) file from git, honouring one Range."""
    span = await start_ranged_response(
        send, range_header=_header(scope, b"range"), size=result.size, headers=headers
    )
    if span is None:
        return
    start, length = span.start, span.length
    if head or length == 0:
        await send({"type": "http.response.body", "body": b""})
        return
    proc = await asyncio.create_subprocess_exec(
        "git",
        "cat-file",
        "blob",
        result.blob,
        cwd=result.repo_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=CHUNK,
    )
    assert proc.stdout is not None
    try:
        skip = start
        while skip > 0:
            chunk = await proc.stdout.read(min(CHUNK, skip))
            if not chunk:
                break
            skip -= len(chunk)
        remaining = length
        while remaining > 0:
            chunk = await proc.stdout.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:
            log.error("blob %s ended %d bytes early", result.blob, remaining)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()


async def _send_pulled(
    scope: dict[str, Any], send: Any, pull: mirror_objects.ObjectPull, headers: Headers
) -> None:
    """A mirror's object not stored yet: fetch it from the upstream once (other requests for
    it wait for the lock, then read storage), streaming it to this client as it arrives."""
    fd = await asyncio.to_thread(mirror_locks.try_hold, mirror_objects.lock_name(pull.oid))
    while fd is None:  # polled, so waiters never hold a worker thread the fetcher needs
        await asyncio.sleep(0.05)
        fd = await asyncio.to_thread(mirror_locks.try_hold, mirror_objects.lock_name(pull.oid))
    if await asyncio.to_thread(mirror_objects.stored, pull):
        mirror_locks.release(fd)
        await send_object(
            scope, send, get_storage(), pull.oid, pull.size, head=False, extra=headers
        )
        return
    if _header(scope, b"range"):
        try:
            await asyncio.to_thread(mirror_objects.fetch, pull, fd)
        except (mirror_net.UpstreamError, InvalidObject) as exc:
            await _send_upstream_error(send, exc)
            return
        await send_object(
            scope, send, get_storage(), pull.oid, pull.size, head=False, extra=headers
        )
        return
    chunks = mirror_objects.ReadAhead(mirror_objects.stream(pull, fd))
    try:
        try:
            chunk = await asyncio.to_thread(chunks.get)
        except (mirror_net.UpstreamError, InvalidObject) as exc:
            await _send_upstream_error(send, exc)
            return
        headers = [*headers, (b"content-length", str(pull.size).encode())]
        headers.append((b"accept-ranges", b"bytes"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        while chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            # An error from here on ends the response short of its Content-Length: the
            # client sees a truncated download, never a complete corrupt one.
            chunk = await asyncio.to_thread(chunks.get)
        await send({"type": "http.response.body", "body": b""})
    finally:
        await asyncio.to_thread(chunks.close)


async def _send_upstream_error(send: Any, exc: Exception) -> None:
    log.warning("mirror fetch failed: %s", exc)
    result = _error(502, f"The upstream hub failed: {exc}", None)
    result.headers.append((b"content-length", str(len(result.body)).encode()))
    await send({"type": "http.response.start", "status": 502, "headers": result.headers})
    await send({"type": "http.response.body", "body": result.body})
