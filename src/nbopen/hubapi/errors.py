"""JSON error responses in the shape the Hugging Face client maps to typed exceptions.

A refused permission decision is worded by :mod:`nbopen.hubapi.denials`, per channel.
"""

from __future__ import annotations

from django.http import JsonResponse

from nbopen.core.errors import AlreadyExists, DomainError, NotFound, PermissionDenied

MAX_HEADER_TEXT = 2000


def header_text(message: str) -> str:
    """``message`` fit for the ``X-Error-Message`` header: printable ASCII only. An error may
    quote what the client sent (a name with a NUL or a newline), and such a byte in a header
    makes the server refuse the whole response (a 500 instead of the 400 being sent)."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in message[:MAX_HEADER_TEXT])


def api_error(status: int, message: str, code: str | None = None, **extra: object) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    response["X-Error-Message"] = header_text(message)
    if code:
        response["X-Error-Code"] = code
    return response


def domain_error(exc: DomainError) -> JsonResponse:
    """A service's refusal as the status a REST client expects."""
    status = 400
    if isinstance(exc, AlreadyExists):
        status = 409
    elif isinstance(exc, PermissionDenied):
        status = 403
    elif isinstance(exc, NotFound):
        status = 404
    return api_error(status, str(exc))
