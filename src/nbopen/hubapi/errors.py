"""JSON error responses in the shape the Hugging Face client maps to typed exceptions.

A refused permission decision is worded by :mod:`nbopen.hubapi.denials`, per channel.
"""

from __future__ import annotations

from django.http import JsonResponse

from nbopen.core.errors import AlreadyExists, DomainError, NotFound, PermissionDenied


def api_error(status: int, message: str, code: str | None = None, **extra: object) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    response["X-Error-Message"] = message.encode("ascii", "replace").decode()
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
