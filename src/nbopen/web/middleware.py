"""Turn the web layer's "please sign in" signal into a redirect, in one place; apply a signed-in
user's language and time zone preferences."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.utils import timezone, translation

from nbopen.web.denials import GatedPage, LoginRequired, Moved
from nbopen.web.views.base import login_redirect


class WebErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginRequired):
            return login_redirect(request)
        if isinstance(exception, Moved):
            return HttpResponseRedirect(exception.location)
        if isinstance(exception, GatedPage):
            from nbopen.web.views.gated import gated_page

            return gated_page(request, exception.repo_id)
        return None


class PreferencesMiddleware:
    """A signed-in user's saved language and time zone, for every page they open.

    Runs after authentication. The language preference wins over the cookie and the browser
    (it is the same choice, remembered on the account, so it follows the user to another
    browser); times on pages are shown in the preferred zone (``USE_TZ`` converts on output).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Without a session cookie nobody is signed in: API clients never load a session here.
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        user = getattr(request, "user", None) if signed_in else None
        language = getattr(user, "language", "") if user is not None else ""
        zone = getattr(user, "time_zone", "") if user is not None else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = ""
        try:
            return self.get_response(request)
        finally:
            if zone:
                timezone.deactivate()
