"""Errors of the programs app (interfaces map them: 422 and 409 in the API)."""

from __future__ import annotations

from nbopen.core.errors import DomainError, InvalidInput


class InvalidCall(InvalidInput):
    """The call's content is inconsistent (budget, dates, eligibility): the API answers 422."""

    code = "Unprocessable"


class InvalidTransition(DomainError):
    """A state change out of the call's order: the API answers 409."""

    code = "Conflict"
