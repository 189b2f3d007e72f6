"""Errors of the incubator: a step out of order is a conflict (409 in the API)."""

from __future__ import annotations

from nbopen.core.errors import DomainError


class InvalidStep(DomainError):
    """A project or ballot step that its current state does not allow."""

    code = "Conflict"
