"""JSON error responses in the shape the Hugging Face client maps to typed exceptions."""

from __future__ import annotations

from django.http import JsonResponse

from nbopen.access.policy import Decision
from nbopen.core.errors import AlreadyExists, DomainError, NotFound, PermissionDenied


def api_error(status: int, message: str, code: str | None = None, **extra: object) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    response["X-Error-Message"] = message.encode("ascii", "replace").decode()
    if code:
        response["X-Error-Code"] = code
    return response


def invalid_credentials() -> JsonResponse:
    # The Hub sends no X-Error-Code here; the client keys its message off the status alone.
    return api_error(401, "Invalid credentials in Authorization header")


def repo_denied(decision: Decision) -> JsonResponse:
    """401 for anonymous, 404 for those who may not see it, 403 for a refused write."""
    if decision is Decision.FORBIDDEN:
        return api_error(403, "You do not have the rights needed on this repository")
    status = 401 if decision is Decision.UNAUTHENTICATED else 404
    return api_error(status, "Repository Not Found", "RepoNotFound")


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
