"""API request budgets (:func:`nbopen.access.throttle.spend`) on every ``/api/`` request.

Only API calls are counted, as on the Hub: file bytes (``/resolve/``, LFS, Xet, git) go to the
raw ASGI handlers and never reach this middleware, so ``snapshot_download`` of a large
repository or ``git clone`` spends a handful of calls, not one per file. Each counted response
carries ``RateLimit`` and ``RateLimit-Policy``; past the budget the answer is 429 with
``Retry-After`` (``huggingface_hub`` waits that long and retries).

The caller is the presented token (its hash: no database lookup here; a bad token is counted
as failed authentication by the view), else the signed-in user, else the client address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from nbopen.access.credentials import client_ip
from nbopen.access.throttle import spend
from nbopen.hubapi.errors import api_error

PREFIX = "/api/"


def _caller(request: HttpRequest) -> tuple[str, bool]:
    header = request.META.get("HTTP_AUTHORIZATION")
    if header:
        return "token:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest(), True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", True
    return f"ip:{client_ip(request) or '-'}", False


class ApiBudgetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        caller, authenticated = _caller(request)
        budget = spend(caller, authenticated=authenticated)
        if budget is None:
            return self.get_response(request)
        if budget.exceeded:
            reply: HttpResponseBase = api_error(
                429,
                f"Rate limit reached: {budget.quota} API requests per window; "
                f"retry in {budget.reset} seconds",
                "RateLimited",
            )
            reply["Retry-After"] = str(budget.reset)
        else:
            reply = self.get_response(request)
        for name, value in budget.headers().items():
            reply[name] = value
        return reply
