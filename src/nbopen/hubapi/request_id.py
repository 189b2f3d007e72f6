"""``X-Request-Id`` on every Django response, as huggingface.co sends it.

huggingface_hub puts the id in every error it raises ("404 Client Error. (Request ID: …)") so a
user can quote it in a report; without the header the message says nothing to quote. The client
sends a fresh ``X-Amzn-Trace-Id`` with each request: echoing it lets the client and the server
log name the same request. The raw ASGI routes (resolve, commit) echo it themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        trace = request.headers.get("X-Amzn-Trace-Id", "")[:200]
        response.setdefault("X-Request-Id", trace or uuid.uuid4().hex)
        return response
