"""Limits on untrusted request input: body sizes and JSON nesting.

* :func:`body_limit` marks a view (web page or API) with the largest request body it takes;
  the ASGI body guard in :mod:`nbopen.hubapi.router` answers 413 before Django buffers more.
  Declared API routes take ``route(..., max_body=…)`` instead; undeclared pages default to
  ``NBOPEN_MAX_FORM_BODY``.
* :func:`loads` is ``json.loads`` with a nesting cap (``MAX_JSON_DEPTH``), checked before
  parsing: a 100 000-deep document is a ``ValueError`` (a 400), never a ``RecursionError``.
  Every parse of a request body goes through it. ``NaN``/``Infinity`` (and floats that
  overflow to it) are refused too.
* :func:`loads_object` reads a request body that must be one JSON object, with the messages
  every API view gives (one place, so the views only validate their fields).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from nbopen.core.errors import InvalidInput

MAX_JSON_DEPTH = 64
F = TypeVar("F", bound=Callable[..., Any])


def body_limit(limit: int) -> Callable[[F], F]:
    """Mark ``view`` as taking request bodies of up to ``limit`` bytes."""

    def mark(view: F) -> F:
        view.max_body = limit  # type: ignore[attr-defined]
        return view

    return mark


class JSONTooDeep(ValueError):
    pass


def check_depth(data: str | bytes | bytearray, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JSONTooDeep` if ``data`` nests arrays/objects deeper than ``max_depth``
    (brackets inside strings do not count). Linear, no recursion."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes | bytearray) else data
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
        elif char in "]}":
            depth -= 1


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def loads(data: str | bytes | bytearray, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for untrusted input: depth-capped, no NaN/Infinity; errors are
    ``ValueError`` (``json.JSONDecodeError`` and ``UnicodeDecodeError`` are subclasses)."""
    check_depth(data, max_depth)
    try:
        return json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError as exc:  # belt and braces
        raise JSONTooDeep("JSON nested too deeply") from exc


class BadBody(InvalidInput, ValueError):
    """A request body that is not a JSON object. Both an ``InvalidInput`` (views mapping
    domain errors to 400) and a ``ValueError`` (views that catch parse errors). ``status``:
    400 for a body that is not JSON, 422 for JSON of another shape (Gitea's choice)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def loads_object(body: bytes | None) -> dict[str, Any]:
    """The JSON object ``body`` holds (an empty body is ``{}``), parsed by :func:`loads`."""
    try:
        data = loads(body or b"{}")
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise BadBody("Request body is not valid JSON", 400) from exc
    if not isinstance(data, dict):
        raise BadBody("Request body must be a JSON object", 422)
    return data
