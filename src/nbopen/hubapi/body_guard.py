"""The request body limit in front of Django (Django's ASGI handler buffers the whole body
into a temp file before a view runs, so a view cannot refuse a large body itself).

The limit of a path is its route's: ``route(..., max_body=…)`` for declared routes (default
``NBOPEN_MAX_JSON_BODY``), :func:`nbopen.core.limits.body_limit` on other views (the web's
upload page), else ``NBOPEN_MAX_FORM_BODY`` (sign-in and other form posts). A declared
``Content-Length`` over it gets 413 before anything is read; a body that streams past it is
cut off (Django sees the client go away and answers nothing) and gets the same 413. The 413
has the route channel's shape (:mod:`nbopen.hubapi.denials`): JSON for API and Hub routes.
"""

from __future__ import annotations

from typing import Any

from django.urls import Resolver404, resolve

from nbopen.config.env import CONFIG
from nbopen.hubapi.denials import Channel, Denial, asgi_reply
from nbopen.hubapi.routes import declaration_of

ASGIApp = Any


def limit_for(path: str) -> tuple[int, Channel]:
    """(largest body, channel of the refusal) for a request to ``path``."""
    fallback = Channel.API if path.startswith(("/api/", "/datasets-server/")) else Channel.GIT
    try:
        callback = resolve(path).func
    except (Resolver404, ValueError, UnicodeError):
        return CONFIG.max_form_body, fallback
    declaration = declaration_of(callback)
    if declaration is not None:
        return declaration.max_body or CONFIG.max_json_body, declaration.channel
    return int(getattr(callback, "max_body", CONFIG.max_form_body)), fallback


def declared_length(scope: dict[str, Any]) -> int | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def too_large(send: Any, channel: Channel, limit: int) -> None:
    status, headers, body = asgi_reply(
        channel, Denial(413, f"Request body larger than {limit} bytes")
    )
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def guarded(app: ASGIApp, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Run ``app`` (Django) on the request unless its body is over the path's limit."""
    limit, channel = limit_for(scope["path"])
    length = declared_length(scope)
    if length is not None and length > limit:
        await too_large(send, channel, limit)
        return
    received = 0
    cut = False

    async def limited_receive() -> dict[str, Any]:
        nonlocal received, cut
        if cut:
            return {"type": "http.disconnect"}
        message: dict[str, Any] = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                cut = True
                return {"type": "http.disconnect"}
        return message

    await app(scope, limited_receive, send)
    if cut:
        await too_large(send, channel, limit)
