"""Turn the web layer's "please sign in" signal into a redirect, in one place."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect

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
