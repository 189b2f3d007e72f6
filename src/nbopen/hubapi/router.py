"""Dispatch between the raw-ASGI streaming handlers and Django.

These bypass Django: git smart HTTP (pack streams), LFS object transfers (large
bodies), Hub file downloads (``/resolve/``, sendfile speed) and Hub commits (large
bodies). All still go through the same policy and services (credentials and refusals through
:mod:`nbopen.hubapi.asgi_access` and :mod:`nbopen.hubapi.denials`).

Like the Django routes (:mod:`nbopen.hubapi.routes`), each raw route is declared with the
methods it answers; another method gets 405 with ``Allow`` here, in the channel's shape, so
the handlers never check. A ``fallthrough`` route leaves other methods to Django instead
(``/resolve/`` and ``/commit/`` paths are also web pages or Hub views).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from nbopen.access.credentials import authorization_of, scope_ip
from nbopen.audit import services as audit
from nbopen.config.env import CONFIG, Config
from nbopen.hubapi.body_guard import guarded, limit_for
from nbopen.hubapi.denials import Channel, Denial, asgi_reply
from nbopen.hubapi.githttp import smart, transfer
from nbopen.hubapi.githttp.paths import GIT_SMART_RE, LFS_TRANSFER_RE
from nbopen.hubapi.hf import commit_asgi, multipart, resolve
from nbopen.hubapi.xet import cas as xet_cas

ASGIApp = Any


@dataclass(frozen=True)
class RawRoute:
    pattern: re.Pattern[str]
    methods: tuple[str, ...] | None  # None: the handler dispatches on the method itself
    app: ASGIApp
    channel: Channel
    fallthrough: bool = False

    def matches(self, path: str) -> bool:
        return self.pattern.match(path) is not None


def _narrowed(base: re.Pattern[str], group: str, value: str) -> re.Pattern[str]:
    """``base`` with the named group ``group`` restricted to ``value`` (a regex)."""
    start = base.pattern.index(f"(?P<{group}>")
    depth, end = 0, start
    for end in range(start, len(base.pattern)):
        depth += {"(": 1, ")": -1}.get(base.pattern[end], 0)
        if depth == 0:
            break
    return re.compile(base.pattern[:start] + f"(?P<{group}>{value})" + base.pattern[end + 1 :])


XET_RE = re.compile(re.escape(xet_cas.PREFIX) + r"(?:/.*)?\Z")
GET = ("GET", "HEAD")
RAW_ROUTES: tuple[RawRoute, ...] = (
    RawRoute(_narrowed(GIT_SMART_RE, "part", "info/refs"), GET, smart.app, Channel.GIT),
    RawRoute(
        _narrowed(GIT_SMART_RE, "part", "git-upload-pack|git-receive-pack"),
        ("POST",),
        smart.app,
        Channel.GIT,
    ),
    RawRoute(LFS_TRANSFER_RE, (*GET, "PUT"), transfer.app, Channel.LFS),
    RawRoute(XET_RE, None, xet_cas.app, Channel.HUB),
    RawRoute(resolve.RESOLVE_RE, GET, resolve.app, Channel.HUB, fallthrough=True),
    RawRoute(resolve.NAMESPACELESS_RESOLVE_RE, GET, resolve.app, Channel.HUB, fallthrough=True),
    RawRoute(commit_asgi.COMMIT_RE, ("POST",), commit_asgi.app, Channel.HUB, fallthrough=True),
    RawRoute(
        _narrowed(multipart.MULTIPART_RE, "part", "complete"), ("POST",), multipart.app, Channel.HUB
    ),
    RawRoute(
        _narrowed(multipart.MULTIPART_RE, "part", r"\d{1,5}"), ("PUT",), multipart.app, Channel.HUB
    ),
)


def has_nul(scope: dict[str, Any]) -> bool:
    """A NUL byte in the path or query: never a valid name, revision, path or parameter (git
    refuses them; the OS cannot take them), so refused here rather than in every handler."""
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


async def refuse_nul(send: Any, channel: Channel) -> None:
    status, headers, body = asgi_reply(channel, Denial(400, "NUL byte in the URL"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def method_not_allowed(send: Any, route: RawRoute) -> None:
    assert route.methods is not None
    status, headers, body = asgi_reply(
        route.channel, Denial(405, f"Use {' or '.join(route.methods)}")
    )
    headers.append((b"allow", ", ".join(route.methods).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


REFUSALS = frozenset({401, 403, 429})


def _audited(scope: dict[str, Any], send: Any) -> tuple[Any, list[int]]:
    """``send`` that notes the response status (for :func:`_audit_refusal`)."""
    seen: list[int] = []

    async def noting(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen.append(int(message["status"]))
        await send(message)

    return noting, seen


async def _audit_refusal(scope: dict[str, Any], seen: list[int]) -> None:
    """A refused request goes to the audit log (sampled). A 401 without credentials is how
    git and browsers are asked to sign in, not a refusal."""
    if not seen or seen[0] not in REFUSALS or CONFIG.audit_refusal_sample <= 0:
        return
    if seen[0] == 401 and authorization_of(scope) is None:
        return
    await sync_to_async(_record_refusal)(seen[0], scope)


def _record_refusal(status: int, scope: dict[str, Any]) -> None:
    try:
        audit.refused(status=status, method=scope["method"], path=scope["path"], ip=scope_ip(scope))
    finally:
        close_old_connections()


def hsts_header(config: Config) -> tuple[bytes, bytes] | None:
    """The ``Strict-Transport-Security`` header a deployment sends, if any.

    Only when users reach it over https (``NBOPEN_PUBLIC_URL``): TLS usually ends at a proxy
    in front, so the request itself looks like plain http here and Django's own
    ``SECURE_HSTS_SECONDS`` (which needs ``request.is_secure()``) would never fire.
    """
    if not config.https or config.hsts_seconds <= 0:
        return None
    return (b"strict-transport-security", f"max-age={config.hsts_seconds}".encode())


def with_header(app: ASGIApp, header: tuple[bytes, bytes]) -> ASGIApp:
    """``app`` adding ``header`` to every HTTP response that does not set it itself; here,
    in front of both the raw routes and Django, so file downloads and git get it too."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_header(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if all(name.lower() != header[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, header]}
            await send(message)

        await app(scope, receive, send_with_header)

    return wrapped


def build_router(django_app: ASGIApp) -> ASGIApp:
    hsts = hsts_header(CONFIG)
    if hsts is not None:
        return with_header(_build_router(django_app), hsts)
    return _build_router(django_app)


def _build_router(django_app: ASGIApp) -> ASGIApp:
    async def router(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            audit.set_client_ip(scope_ip(scope))
            send, seen = _audited(scope, send)
            try:
                await _route(scope, receive, send)
            finally:
                await _audit_refusal(scope, seen)
            return
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        await django_app(scope, receive, send)

    async def _route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope["path"]
        for route in RAW_ROUTES:
            if not route.matches(path):
                continue
            if has_nul(scope):
                await refuse_nul(send, route.channel)
                return
            if route.methods is None or scope["method"] in route.methods:
                await route.app(scope, receive, send)
                return
            if not route.fallthrough:
                await method_not_allowed(send, route)
                return
        if has_nul(scope):
            await refuse_nul(send, limit_for(path)[1])
            return
        await guarded(django_app, scope, receive, send)

    return router


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
