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

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, re_path

from nbopen.access.credentials import InvalidCredentials
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
