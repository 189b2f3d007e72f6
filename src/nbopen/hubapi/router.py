"""Dispatch between the raw-ASGI streaming handlers and Django.

These bypass Django: git smart HTTP (pack streams), LFS object transfers (large
bodies), Hub file downloads (``/resolve/``, sendfile speed) and Hub commits (large
bodies). All still go through the same policy and services.
"""

from __future__ import annotations

from typing import Any

from nbopen.hubapi.githttp import smart, transfer
from nbopen.hubapi.githttp.paths import GIT_SMART_RE, LFS_TRANSFER_RE
from nbopen.hubapi.hf import commit_asgi, multipart, resolve
from nbopen.hubapi.xet import cas as xet_cas

ASGIApp = Any


def build_router(django_app: ASGIApp) -> ASGIApp:
    async def router(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if GIT_SMART_RE.match(path):
                await smart.app(scope, receive, send)
                return
            if LFS_TRANSFER_RE.match(path):
                await transfer.app(scope, receive, send)
                return
            if xet_cas.matches(path):
                await xet_cas.app(scope, receive, send)
                return
            if scope["method"] in {"GET", "HEAD"} and resolve.RESOLVE_RE.match(path):
                await resolve.app(scope, receive, send)  # Hub downloads (hf/resolve.py)
                return
            if scope["method"] == "POST" and commit_asgi.COMMIT_RE.match(path):
                await commit_asgi.app(scope, receive, send)  # Hub commits (streamed NDJSON)
                return
            if multipart.MULTIPART_RE.match(path):
                await multipart.app(scope, receive, send)  # Hub multipart LFS uploads
                return
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        await django_app(scope, receive, send)

    return router


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
