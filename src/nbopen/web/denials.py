"""The policy's :class:`~nbopen.access.policy.Decision` as a web page answers it, in one table.

Pages never reveal a repository the visitor cannot read: everything but "sign in" is the
404 page, a refused change to a visible repository included (its controls are not shown to
those who cannot use them, so a 403 page would only confirm a guessed URL). An anonymous
visitor asking to change a repository they can see is sent to sign in (:class:`LoginRequired`,
turned into the redirect by :class:`nbopen.web.middleware.WebErrorsMiddleware`).
The machine channels' table is :mod:`nbopen.hubapi.denials`.
"""

from __future__ import annotations

import enum
from typing import NoReturn

from django.http import Http404

from nbopen.access.policy import Decision


class LoginRequired(Exception):
    """Raised by helpers when an anonymous visitor needs to sign in first.

    :class:`nbopen.web.middleware.WebErrorsMiddleware` turns it into a redirect to /login.
    """


class Page(enum.Enum):
    LOGIN = "login"
    NOT_FOUND = "not_found"


WEB = {
    Decision.UNAUTHENTICATED: Page.LOGIN,
    Decision.NOT_FOUND: Page.NOT_FOUND,
    Decision.FORBIDDEN: Page.NOT_FOUND,
}


def refuse(decision: Decision, *, visible: bool) -> NoReturn:
    """Raise what the page answers for a refused ``decision``. ``visible``: the visitor may
    read the repository (otherwise even "sign in" would reveal that it exists)."""
    if WEB.get(decision) is Page.LOGIN and visible:
        raise LoginRequired
    raise Http404("repository not found")
