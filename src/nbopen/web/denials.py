"""The policy's :class:`~nbopen.access.policy.Decision` as a web page answers it, in one table.

Pages never reveal a repository the visitor cannot read: that is the 404 page, for anonymous
visitors too. A signed-in visitor who can read the repository but asks for more (its
settings, an upload) gets the 403 page, as the policy's table says: the repository's
existence is no secret to them, and "permission denied" tells them what "not found" would
hide. An anonymous visitor asking to change a repository they can see is sent to sign in
(:class:`LoginRequired`, turned into the redirect by
:class:`nbopen.web.middleware.WebErrorsMiddleware`).
The machine channels' table is :mod:`nbopen.hubapi.denials`.
"""

from __future__ import annotations

import enum
from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.http import Http404

from nbopen.access.policy import Decision


class LoginRequired(Exception):
    """Raised by helpers when an anonymous visitor needs to sign in first.

    :class:`nbopen.web.middleware.WebErrorsMiddleware` turns it into a redirect to /login.
    """


class Page(enum.Enum):
    LOGIN = "login"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    GATED = "gated"


WEB = {
    Decision.UNAUTHENTICATED: Page.LOGIN,
    Decision.NOT_FOUND: Page.NOT_FOUND,
    Decision.FORBIDDEN: Page.FORBIDDEN,
    Decision.GATED: Page.GATED,
    Decision.GATED_ANONYMOUS: Page.GATED,
}


class GatedPage(Exception):
    """Raised for a gated repository's contents: the middleware answers the page that explains
    how to request access (with the form), status 403."""

    def __init__(self, repo_id: int) -> None:
        super().__init__(repo_id)
        self.repo_id = repo_id


class Moved(Exception):
    """Raised at the old name of a moved repository the visitor may read: the middleware
    answers a redirect to ``location`` (302, not 301: a browser would remember a permanent
    redirect after a new repository takes the old name)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def refuse(decision: Decision, *, visible: bool) -> NoReturn:
    """Raise what the page answers for a refused ``decision``. ``visible``: the visitor may
    read the repository (otherwise even "sign in" would reveal that it exists)."""
    page = WEB.get(decision)
    if page is Page.LOGIN and visible:
        raise LoginRequired
    if page is Page.FORBIDDEN and visible:
        raise PermissionDenied("you may not do this on this repository")
    raise Http404("repository not found")
