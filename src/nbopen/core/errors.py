"""Domain errors. Interfaces (HTTP, CLI) translate them; services only raise them."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors a user can act on. ``str(error)`` is the message shown to them."""

    code = "Error"


class InvalidName(DomainError):
    code = "InvalidName"


class AlreadyExists(DomainError):
    code = "AlreadyExists"


class NotFound(DomainError):
    code = "NotFound"


class PermissionDenied(DomainError):
    code = "Forbidden"


class InvalidInput(DomainError):
    code = "BadRequest"
