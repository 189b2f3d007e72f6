"""The names of repository roles a grant may carry (collaborators and team grants).

Both grants use the same three roles — read (clone, download), write (push), admin (settings,
collaborators, delete) — and accept GitHub's and Gitea's names (``pull``, ``push``,
``triage``, ``maintain``) as aliases, so one parser serves both and neither app depends on
the other for it. What a role allows is decided by :mod:`nbopen.access.policy`.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from nbopen.core.errors import InvalidInput

ROLE_ALIASES = {
    "read": "read",
    "pull": "read",
    "triage": "read",
    "write": "write",
    "push": "write",
    "maintain": "write",
    "admin": "admin",
}


def normalize_role(role: str) -> str:
    """``read``, ``write`` or ``admin`` for a role name or alias; InvalidInput otherwise."""
    value = ROLE_ALIASES.get(role.strip().lower()) if isinstance(role, str) else None
    if value is None:
        raise InvalidInput(
            gettext_noop("Role must be one of read, write, admin (or pull, push), not '%(role)s'"),
            role=role,
        )
    return value
