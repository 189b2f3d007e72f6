"""Route declarations: one place that says, per URL, which methods it answers and what it returns.

``route(pattern, view, methods=…, summary=…, query=…, body=…, responses=…)`` builds the Django
URL pattern. The view it installs

* answers a method that is not listed with 405 and an ``Allow`` header (the channel's error
  shape: JSON for the APIs, git-lfs JSON for LFS), so views never check the method themselves;
* answers :class:`~nbopen.access.credentials.InvalidCredentials` raised anywhere in the view
  with the channel's 401 (:mod:`nbopen.hubapi.denials`), so views call
  ``principal_from_request`` without a ``try``;
* carries the :class:`Declaration`, from which :mod:`nbopen.hubapi.openapi` generates the
  OpenAPI document of our own API (channel ``API``). Hub-compatible routes (channel ``HUB``)
  are declared the same way but documented in docs/hub-compat.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import URLPattern, path, re_path

from nbopen.access.credentials import InvalidCredentials
from nbopen.config.env import CONFIG
from nbopen.hubapi.denials import Channel, Denial, invalid, response

Schema = dict[str, Any]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    description: str = ""
    required: bool = False
    schema: Schema = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Declaration:
    methods: tuple[str, ...]
    summary: str
    channel: Channel = Channel.API
    tag: str = ""
    query: tuple[Param, ...] = ()
    body: Schema | None = None
    # status → JSON schema of the body (None: not JSON, e.g. a file).
    responses: dict[int, Schema | None] = field(default_factory=dict)
    description: str = ""
    # Largest request body (bytes); None: NBOPEN_MAX_JSON_BODY (enforced by hubapi.body_guard).
    max_body: int | None = None

    def method_not_allowed(self) -> HttpResponse:
        listed = " or ".join(self.methods)
        reply = response(self.channel, Denial(405, f"Use {listed}"))
        reply["Allow"] = ", ".join(self.methods)
        return reply


View = Callable[..., HttpResponseBase]


def declared(view: View, declaration: Declaration) -> View:
    """``view`` behind the method check and the credentials answer of ``declaration``."""

    @wraps(view)
    def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in declaration.methods:
            return declaration.method_not_allowed()
        refused = cross_site_refusal(request)
        if refused is not None:
            return response(declaration.channel, Denial(403, refused))
        try:
            return view(request, *args, **kwargs)
        except InvalidCredentials as exc:
            return invalid(declaration.channel, exc)

    # A route that takes no unsafe method needs no CSRF check (the 405 comes first); one that
    # does keeps the view's own choice (token APIs are exempt, see hubapi.v1.social).
    unsafe = set(declaration.methods) - SAFE_METHODS
    handler.csrf_exempt = not unsafe or getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    handler.declaration = declaration  # type: ignore[attr-defined]
    return handler


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _csrf_checked(request: HttpRequest) -> HttpResponse:
    """Stands for a view that is not CSRF-exempt (Django's middleware checks it)."""
    return HttpResponse()


def cross_site_refusal(request: HttpRequest) -> str | None:
    """Why an unsafe request authenticated by the session cookie alone is refused, if it is.

    API routes are CSRF-exempt for token clients; a browser's cookie must not make them
    writable from another site. Such a request needs a same-origin ``Origin`` (or, without
    one, ``Referer``) — ``NBOPEN_PUBLIC_URL`` or the request's own host — or Django's CSRF
    token (``X-CSRFToken``). Requests with an ``Authorization`` header are unaffected."""
    if request.method in SAFE_METHODS or request.META.get("HTTP_AUTHORIZATION"):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    claimed = _origin(request.META.get("HTTP_ORIGIN") or request.META.get("HTTP_REFERER") or "")
    if claimed:
        own = {_origin(CONFIG.public_url)}
        with contextlib.suppress(DisallowedHost):
            own.add(_origin(f"{request.scheme}://{request.get_host()}"))
        if claimed in own:
            return None
    if CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, _csrf_checked, (), {}):
        return "Cross-site request refused: send the X-CSRFToken header or use a token"
    return None


def route(
    pattern: str,
    view: View,
    *,
    methods: tuple[str, ...] | list[str] = ("GET",),
    summary: str | None = None,
    channel: Channel = Channel.API,
    tag: str = "",
    query: tuple[Param, ...] | list[Param] = (),
    body: Schema | None = None,
    responses: dict[int, Schema | None] | None = None,
    name: str | None = None,
    max_body: int | None = None,
) -> URLPattern:
    """A URL pattern (``re_path`` when ``pattern`` starts with ``^``, else ``path``)."""
    doc = _markdown((view.__doc__ or "").strip())
    first, _, rest = doc.partition("\n\n")
    declaration = Declaration(
        methods=tuple(m.upper() for m in methods),
        summary=summary or " ".join(first.split()),
        channel=channel,
        tag=tag,
        query=tuple(query),
        body=body,
        responses=dict(responses or {}),
        description=rest.strip() if not summary else doc,
        max_body=max_body,
    )
    build = re_path if pattern.startswith("^") else path
    if name is None:
        return build(pattern, declared(view, declaration))
    return build(pattern, declared(view, declaration), name=name)


def _markdown(docstring: str) -> str:
    """reStructuredText roles and literals of a docstring as Markdown (what OpenAPI renders)."""
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", docstring).replace("``", "`")


def declaration_of(callback: Any) -> Declaration | None:
    found = getattr(callback, "declaration", None)
    return found if isinstance(found, Declaration) else None
