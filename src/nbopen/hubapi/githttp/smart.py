"""git smart HTTP as a raw ASGI app, relaying to the real ``git`` in stateless-RPC mode.

Why raw ASGI rather than a Django view: Django's ASGI handler reads the whole request body
before calling a view. A push carries the whole pack, so here the body is streamed straight
into ``git receive-pack`` while its output streams back, as ``git http-backend`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async

from nbopen.access.policy import Level, Principal
from nbopen.hubapi.asgi_access import Access, repo_access
from nbopen.hubapi.denials import Channel, Denial, asgi_reply
from nbopen.hubapi.githttp.paths import RepoPath, match_git
from nbopen.hubapi.githttp.receive import CHUNK, receive_pack, spawn_git
from nbopen.repos.models import Repository
from nbopen.repos.packs import upload_pack_options

log = logging.getLogger(__name__)

Scope = dict[str, Any]
SERVICES = {"git-upload-pack": Level.READ, "git-receive-pack": Level.WRITE}
GIT_PROTOCOL_RE = re.compile(r"[A-Za-z0-9=:._-]{1,200}\Z")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def pkt_line(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


async def send_simple(
    send: Any, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = (message + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _lookup(scope: Scope, path: RepoPath, need: Level) -> Access | Denial:
    """Credentials, repository and the policy's answer (all database work, in a thread)."""
    return repo_access(
        scope,
        owner=path.owner,
        name=path.name,
        want_type=Repository.Type.DATASET if path.dataset_prefix else None,
        need=need,
        channel=Channel.GIT,
        content=True,
    )


lookup = sync_to_async(_lookup, thread_sensitive=False)


async def authorize(
    scope: Scope, send: Any, path: RepoPath, need: Level
) -> tuple[Principal, Repository] | None:
    """Resolve credentials and repository; answer the denial and return None if refused."""
    found = await lookup(scope, path, need)
    if isinstance(found, Denial):
        status, headers, body = asgi_reply(Channel.GIT, found)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None
    return found.principal, found.repo


def _git_env(scope: Scope) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proto = _header(scope, b"git-protocol")
    if proto and GIT_PROTOCOL_RE.match(proto):
        env["GIT_PROTOCOL"] = proto
    return env


async def app(scope: Scope, receive: Any, send: Any) -> None:
    path = match_git(scope["path"])
    assert path is not None
    if path.part == "info/refs":  # GET or HEAD; the RPCs POST (declared in hubapi/router.py)
        query = dict(
            part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
        )
        service = query.get("service", "")
        if service not in SERVICES:
            await send_simple(
                send, 403, "The dumb HTTP protocol is not supported; use git >= 1.6.6"
            )
            return
        await advertise(scope, send, path, service)
        return
    await rpc(scope, receive, send, path, path.part)


async def advertise(scope: Scope, send: Any, path: RepoPath, service: str) -> None:
    allowed = await authorize(scope, send, path, SERVICES[service])
    if allowed is None:
        return
    _, repo = allowed
    env = _git_env(scope)
    proc = await asyncio.create_subprocess_exec(
        "git",
        service.removeprefix("git-"),
        "--stateless-rpc",
        "--advertise-refs",
        str(repo.git_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        log.error("git %s --advertise-refs failed: %s", service, err.decode(errors="replace"))
        await send_simple(send, 500, "git failed")
        return
    body = out
    if "version=2" not in env.get("GIT_PROTOCOL", ""):
        body = pkt_line(f"# service={service}\n") + b"0000" + out
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", f"application/x-{service}-advertisement".encode()),
                (b"cache-control", b"no-cache, max-age=0, must-revalidate"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def rpc(scope: Scope, receive: Any, send: Any, path: RepoPath, service: str) -> None:
    allowed = await authorize(scope, send, path, SERVICES[service])
    if allowed is None:
        return
    principal, repo = allowed
    expected_type = f"application/x-{service}-request"
    if (_header(scope, b"content-type") or "").split(";")[0].strip() != expected_type:
        await send_simple(send, 415, f"Content-Type must be {expected_type}")
        return
    encoding = (_header(scope, b"content-encoding") or "").strip().lower()
    if encoding not in {"", "identity", "gzip", "x-gzip"}:
        await send_simple(send, 415, f"Unsupported Content-Encoding {encoding!r}")
        return
    env = _git_env(scope)
    async with contextlib.AsyncExitStack() as stack:
        before_end: Callable[[bool], Awaitable[None]] | None = None
        if service == "git-receive-pack":
            push = await stack.enter_async_context(
                receive_pack(repo, principal.user, _header(scope, b"accept-language"))
            )
            env.update(push.env)

            async def record(ok: bool) -> None:
                # Before the response ends: once git's client returns, the event is in the log.
                await push.record(principal, ok)

            before_end = record

        # upload-pack's pack-objects goes through the pack cache (identical requests once).
        options = upload_pack_options() if service == "git-upload-pack" else []
        proc = await spawn_git(
            *options, service.removeprefix("git-"), "--stateless-rpc", str(repo.git_path), env=env
        )
        await _pump(
            proc,
            receive,
            send,
            service,
            gzip=encoding in {"gzip", "x-gzip"},
            before_end=before_end,
        )


async def _feed_stdin(proc: asyncio.subprocess.Process, receive: Any, gzip: bool) -> bool:
    """Copy the request body into git's stdin; False if the client went away."""
    assert proc.stdin is not None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            if inflater is not None and chunk:
                chunk = inflater.decompress(chunk)
            if chunk:
                proc.stdin.write(chunk)
                await proc.stdin.drain()
            if not message.get("more_body", False):
                break
        if inflater is not None:
            tail = inflater.flush()
            if tail:
                proc.stdin.write(tail)
                await proc.stdin.drain()
        return True
    except zlib.error:
        return False
    except (BrokenPipeError, ConnectionResetError):
        # git stopped reading (it will report why on stdout/stderr); not the client's fault.
        return True
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.close()


async def _pump(
    proc: asyncio.subprocess.Process,
    receive: Any,
    send: Any,
    service: str,
    *,
    gzip: bool,
    before_end: Callable[[bool], Awaitable[None]] | None = None,
) -> bool:
    """Stream request → git → response. True when git exited cleanly.

    ``before_end(ok)`` runs after git exited and before the response is completed.
    """
    assert proc.stdout is not None and proc.stderr is not None
    feeder = asyncio.create_task(_feed_stdin(proc, receive, gzip))
    stderr_task = asyncio.create_task(proc.stderr.read())
    started = False
    try:
        while True:
            chunk = await proc.stdout.read(CHUNK)
            if not chunk:
                break
            if not started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", f"application/x-{service}-result".encode()),
                            (b"cache-control", b"no-cache, max-age=0, must-revalidate"),
                        ],
                    }
                )
                started = True
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        fed = await feeder
        returncode = await proc.wait()
        err = await stderr_task
        if returncode != 0 or not fed:
            log.warning(
                "git %s exited %s (body complete: %s): %s",
                service,
                returncode,
                fed,
                err.decode(errors="replace")[-2000:],
            )
        if not started:
            if not fed:
                await send_simple(send, 400, "Request body was incomplete or not valid gzip")
                return False
            if returncode != 0:
                # git said nothing and failed: it could not read the request (a garbage body).
                await send_simple(send, 400, f"git {service} could not read the request body")
                return False
            await send(
                {
                    "type": "http.response.start",
                    "status": 200 if returncode == 0 else 500,
                    "headers": [(b"content-type", f"application/x-{service}-result".encode())],
                }
            )
        ok = returncode == 0 and fed
        if before_end is not None:
            await before_end(ok)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return ok
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        feeder.cancel()
        stderr_task.cancel()
        raise
