"""Errors of the standards registry: a status change out of order is a conflict (409)."""

from __future__ import annotations

from nbopen.core.errors import DomainError


class InvalidStatus(DomainError):
    code = "Conflict"
