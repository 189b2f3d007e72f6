"""The OpenAPI document of NBopen's own API, generated from the route declarations.

Nothing here is written by hand per endpoint: the paths come from Django's URL resolver (the
patterns that actually route requests), methods, parameters and schemas from each route's
:class:`~nbopen.hubapi.routes.Declaration`. Routes of channel ``API`` are documented (our own
``/api/v1/…``, ``/api/repos/…`` and the dataset viewer); the Hub-compatible ones are documented
in docs/hub-compat.md. ``tests/unit/test_openapi.py`` fails when a route under those prefixes is
missing or a real response does not match its declared schema.

Served as JSON at ``/api/openapi.json`` and as a page (rendered on the server: no script, no
CDN) at ``/api/docs``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, get_resolver

from nbopen.config.env import CONFIG
from nbopen.hubapi import schemas
from nbopen.hubapi.denials import Channel
from nbopen.hubapi.routes import Declaration, declaration_of

TITLE = "NBopen API"
VERSION = "1"
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": {"type": "integer"}}


def walk(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route (Django syntax, regex parts included)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        part = str(entry.pattern)
        if prefix and part.startswith("^"):
            part = part[1:]
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + part)
        else:
            yield prefix + part, entry


def _group_end(text: str, start: int) -> int:
    """Index of the ``)`` closing the group opened at ``start``."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = text.index("]", i + 1)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced group in {text!r}")


def openapi_path(route: str) -> tuple[str, list[dict[str, Any]]]:
    """``api/v1/repos/<str:owner>/…`` or a regex → (``/api/v1/repos/{owner}/…``, path params)."""
    params: list[dict[str, Any]] = []
    text = route.removeprefix("^").removesuffix("\\Z").removesuffix("$")
    out = []
    i = 0
    while i < len(text):
        if text.startswith("(?P<", i):
            name = text[i + 4 : text.index(">", i)]
            end = _group_end(text, i)
            body = text[text.index(">", i) + 1 : end]
            schema: dict[str, Any] = {"type": "string"}
            if re.fullmatch(r"[\w-]+(?:\|[\w-]+)+", body):
                schema["enum"] = body.split("|")
            elif body not in ("[^/]+", ".+"):
                schema["pattern"] = f"^{body}$"
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
            out.append("{" + name + "}")
            i = end + 1
            continue
        match = _CONVERTER.match(text, i)
        if match:
            kind = match["kind"] or "str"
            params.append(
                {
                    "name": match["name"],
                    "in": "path",
                    "required": True,
                    "schema": _CONVERTER_TYPES.get(kind, {"type": "string"}),
                }
            )
            out.append("{" + match["name"] + "}")
            i = match.end()
            continue
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "/" + "".join(out), params


def _content(schema: dict[str, Any] | None) -> dict[str, Any]:
    if schema is None:
        return {}
    return {"content": {"application/json": {"schema": schema}}}


def _operation(path: str, method: str, decl: Declaration, params: list[Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": re.sub(r"\W+", "_", f"{method} {path}").strip("_"),
        "summary": decl.summary,
        "tags": [decl.tag or "other"],
        "parameters": params
        + [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "description": p.description,
                "schema": p.schema,
            }
            for p in decl.query
        ],
        "responses": {
            **{
                str(status): {"description": "OK", **_content(schema)}
                for status, schema in sorted(decl.responses.items())
            },
            "default": {
                "description": "An error: 400 bad input, 401 anonymous or bad credentials, "
                "403 refused, 404 not found or not visible, 405 method not listed",
                **_content({"$ref": "#/components/schemas/Error"}),
            },
        },
    }
    if decl.description:
        operation["description"] = decl.description
    if decl.body is not None and method in {"POST", "PUT", "PATCH"}:
        operation["requestBody"] = {"required": False, **_content(decl.body)}
    return operation


def declared_routes() -> Iterator[tuple[str, list[dict[str, Any]], Declaration]]:
    """(OpenAPI path, path parameters, declaration) of every documented route."""
    for route, pattern in walk():
        decl = declaration_of(pattern.callback)
        if decl is not None and decl.channel is Channel.API:
            path, params = openapi_path(route)
            yield path, params, decl


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, params, decl in declared_routes():
        for method in decl.methods:
            operations = paths.setdefault(path, {})
            operations[method.lower()] = _operation(path, method, decl, params)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "NBopen's own API. Credentials: `Authorization: Bearer <token>` "
            "(or HTTP Basic with the token as the password), or a browser session. The "
            "Hugging Face Hub–compatible API is described in docs/hub-compat.md.",
        },
        "servers": [{"url": CONFIG.public_url}],
        "security": [{}, {"token": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": schemas.ERROR},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_json(request: HttpRequest) -> HttpResponse:
    """This document."""
    return JsonResponse(document(), json_dumps_params={"ensure_ascii": False, "indent": 1})


def _pretty(schema: dict[str, Any] | None) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) if schema is not None else ""


def _json_schema(part: dict[str, Any]) -> dict[str, Any] | None:
    schema = part.get("content", {}).get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def docs(request: HttpRequest) -> HttpResponse:
    """This document as a page."""
    doc = document()
    tags: dict[str, list[dict[str, Any]]] = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            tags.setdefault(op["tags"][0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": op["operationId"],
                    "summary": op["summary"],
                    "description": op.get("description", ""),
                    "parameters": op["parameters"],
                    "body": _pretty(_json_schema(op.get("requestBody", {}))),
                    "responses": [
                        (status, _pretty(_json_schema(r)))
                        for status, r in op["responses"].items()
                        if status != "default"
                    ],
                }
            )
    return render(
        request,
        "hubapi/api_docs.html",
        {"doc": doc, "tags": sorted(tags.items()), "error": _pretty(schemas.ERROR)},
    )
