"""Domain errors in the reader's language.

Services raise errors with English details (they serve the API and CLI too); pages show a
translated sentence for the kind of error and keep the detail when it is already translated
(Django's password validators) or names the offending value.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from nbopen.core.errors import (
    AlreadyExists,
    DomainError,
    InvalidInput,
    InvalidName,
    NotFound,
    PermissionDenied,
)
from nbopen.scanning.gate import SecretsRefused


def explain(exc: DomainError) -> str:
    if isinstance(exc, AlreadyExists):
        return _("That name is already taken.") + f" ({exc})"
    if isinstance(exc, InvalidName):
        return (
            _(
                "Invalid name: use letters, digits, '.', '_' and '-', starting with a letter or"
                " digit; some names are reserved."
            )
            + f" ({exc})"
        )
    if isinstance(exc, PermissionDenied):
        return _("You do not have permission to do that.")
    if isinstance(exc, NotFound):
        return _("Not found.")
    if isinstance(exc, SecretsRefused):
        return _(
            "Refused: the repository's owner blocks uploads that contain secrets. Remove (and"
            " revoke) them: %(where)s"
        ) % {"where": "; ".join(exc.where)}
    if isinstance(exc, InvalidInput):
        return str(exc)
    return _("The request could not be completed.") + f" ({exc})"
