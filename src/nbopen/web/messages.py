"""Domain errors in the reader's language.

Services raise errors whose message is an English template plus parameters
(``core.errors.Explained``): the API and the CLI show the English sentence, pages look the
template up in the catalog here. Why here and not ``gettext_lazy`` in the services: an error
object outlives the request that raised it only in the web layer's hands, the API must keep
answering in English whatever ``Accept-Language`` a Hub client sends, and the services stay
free of any notion of "the current reader". The templates are still marked in the services
(``gettext_noop``), so ``makemessages`` and the i18n test see every one of them.

A message with no Chinese translation (one passed through from a library, or Django's
password validators, which translate themselves) is shown as it is, after a sentence for its
kind of error.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nbopen.core.errors import (
    AlreadyExists,
    DomainError,
    Explained,
    InvalidInput,
    InvalidName,
    NotFound,
    PermissionDenied,
)
from nbopen.scanning.gate import SecretsRefused


def translated(exc: Explained) -> str | None:
    """The error's own sentence in the page language, or None when the catalog lacks it."""
    template = exc.template
    if not template:
        return None
    text = _(template)
    if text == template and not (get_language() or "").startswith("en"):
        return None
    try:
        return text % exc.params if exc.params else text
    except (KeyError, ValueError, TypeError):
        return None


def explain(exc: DomainError) -> str:
    own = translated(exc)
    if own is not None:
        return own
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
