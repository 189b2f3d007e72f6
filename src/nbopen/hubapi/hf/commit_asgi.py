"""``POST /api/{models,datasets}/{repo}/commit/{rev}`` (NDJSON) as a raw ASGI app.

Why not a Django view: Django's ASGI handler copies the whole body into a spooled temp file
one small chunk (and one thread hop) at a time before a view runs, which made inline uploads
of large files several times slower than the upload itself. Here the body is spooled with big
buffered writes, then parsed line by line (:mod:`.ndjson`, large inline files decoded
straight to disk, never held in memory) and committed by :mod:`.committing`. Credentials,
policy and errors are the same as in the Django views.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from nbopen.access.policy import Decision, Level
from nbopen.config.env import CONFIG
from nbopen.hubapi.asgi_access import Access, repo_access
from nbopen.hubapi.denials import Channel, Denial, denial, extra_headers
from nbopen.hubapi.errors import header_text
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import read
from nbopen.repos.writes import lfs_rule

from . import committing
from .common import TYPE_FROM_PLURAL, repo_web_url, resolve_rev
from .ndjson import BadPayload, read_lines

COMMIT_RE = re.compile(
    r"^/api/(?P<type_plural>models|datasets)/(?P<owner>[^/]+)/(?P<name>[^/]+)/commit/(?P<rev>.+)\Z"
)
SPOOL_BLOCK = 8 << 20
Result = tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def declared_length(scope: dict[str, Any]) -> int:
    """The request's ``Content-Length`` (0 when absent or unreadable)."""
    value = _header(scope, b"content-length") or ""
    return int(value) if value.isdigit() else 0


def _error(
    status: int, message: str, code: str | None = None, extra: Sequence[tuple[bytes, bytes]] = ()
) -> Result:
    headers = [(b"x-error-message", header_text(message).encode()), *extra]
    if code:
        headers.append((b"x-error-code", code.encode()))
    return status, {"error": message}, headers


def _create_pr(scope: dict[str, Any]) -> bool:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return query.get("create_pr", [""])[0].lower() in {"1", "true"}


def for_pull_request(scope: dict[str, Any], rev: str) -> bool:
    """A commit that opens a pull request or goes to one: a signed-in reader may send it
    (checked in full by ``collab.pulls.hub_commit_target`` once the body is read)."""
    return _create_pr(scope) or rev.startswith("refs/pr/")


def authorize(scope: dict[str, Any], match: re.Match[str]) -> Access | Result:
    """Credentials and policy, before a byte of the body is read."""
    need = Level.READ if for_pull_request(scope, match["rev"]) else Level.WRITE
    try:
        found = repo_access(
            scope,
            owner=match["owner"],
            name=match["name"],
            want_type=TYPE_FROM_PLURAL[match["type_plural"]],
            need=need,
            channel=Channel.HUB,
        )
    finally:
        close_old_connections()
    if isinstance(found, Denial):
        return _error(found.status, found.message, found.code, extra_headers(found))
    if not found.principal.is_authenticated:
        refused = denial(Channel.HUB, Decision.UNAUTHENTICATED)
        return _error(refused.status, refused.message, refused.code)
    return found


def process(scope: dict[str, Any], match: re.Match[str], found: Access, body_path: Path) -> Result:
    try:
        return _process(scope, match, found, body_path)
    finally:
        close_old_connections()


def _process(scope: dict[str, Any], match: re.Match[str], found: Access, body_path: Path) -> Result:
    principal, repo = found.principal, found.repo
    assert principal.user is not None  # authorize refuses anonymous callers
    rev = match["rev"]
    if "\x00" in rev:
        return _error(400, "Invalid revision", "RevisionNotFound")
    if for_pull_request(scope, rev) and gitcommit.branch_head(repo.git_path, rev) is None:
        return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
    head = gitcommit.branch_head(repo.git_path, rev)
    if head is None and not (rev == repo.default_branch and read.is_empty(repo.git_path)):
        if resolve_rev(repo, rev) is not None:
            return _error(400, f"Commits can only be pushed to a branch; {rev!r} is not one")
        return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
    pending = committing.PendingCommit(rule=lfs_rule.at(repo.git_path, head))
    leftover = None
    try:
        with open(body_path, "rb") as body:
            for line in read_lines(body, CONFIG.tmp_dir):
                leftover = line.content_path
                committing.add_line(repo, pending, line)
                leftover = None
        pull = committing.pull_request_of(
            principal=principal, repo=repo, rev=rev, create_pr=_create_pr(scope), pending=pending
        )
        branch = pull.head_ref if pull is not None else rev
        sha, _old = committing.apply(repo=repo, user=principal.user, branch=branch, pending=pending)
        if pull is not None:
            committing.follow(pull, principal.user)
    except BadPayload as exc:
        return _error(400, f"Invalid commit payload: {exc}")
    except committing.CommitRejected as exc:
        return _error(exc.status, str(exc), exc.code)
    finally:
        if leftover is not None:
            leftover.unlink(missing_ok=True)
    data = {
        "success": True,
        "commitOid": sha,
        "commitUrl": f"{repo_web_url(repo)}/commit/{sha}",
        "pullRequestUrl": None
        if pull is None
        else f"{repo_web_url(repo)}/discussions/{pull.number}",
        "hookOutput": "",
    }
    return 200, data, []


process_async = sync_to_async(process, thread_sensitive=False)
authorize_async = sync_to_async(authorize, thread_sensitive=False)


class TooLarge(Exception):
    pass


async def _spool(receive: Any, fh: Any, limit: int) -> bool:
    """Copy the request body into ``fh`` in large blocks; False if the client went away;
    :class:`TooLarge` once more than ``limit`` bytes arrived."""
    pending: list[bytes] = []
    size = total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        chunk = message.get("body", b"")
        if chunk:
            pending.append(chunk)
            size += len(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLarge
        more = message.get("more_body", False)
        if size >= SPOOL_BLOCK or (not more and pending):
            await asyncio.to_thread(fh.write, b"".join(pending))
            pending, size = [], 0
        if not more:
            return True


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    match = COMMIT_RE.match(scope["path"])
    assert match is not None
    limit = CONFIG.max_commit_body
    found = await authorize_async(scope, match)
    if not isinstance(found, Access):
        status, data, headers = found
    elif declared_length(scope) > limit:
        status, data, headers = _error(413, f"Commit body larger than {limit} bytes")
    else:
        CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="commit-body-", dir=CONFIG.tmp_dir)
        body_path = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:
                complete = await _spool(receive, fh, limit)
            if not complete:
                return
            status, data, headers = await process_async(scope, match, found, body_path)
        except TooLarge:
            status, data, headers = _error(413, f"Commit body larger than {limit} bytes")
        finally:
            with contextlib.suppress(FileNotFoundError):
                body_path.unlink()
    payload = json.dumps(data).encode()
    trace = _header(scope, b"x-amzn-trace-id")
    if trace:
        headers.append((b"x-request-id", trace.encode("latin-1")))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
