"""``GET /api/v1/libraries`` and ``/api/v1/libraries/{slug}``: the domain pages as JSON.

The same numbers as the pages, from :mod:`nbopen.libraries.services`, computed for the
caller: anonymous callers get aggregates of public repositories only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.core.errors import NotFound
from nbopen.hubapi.errors import api_error
from nbopen.libraries import services


def _json(data: object) -> JsonResponse:
    response = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


def library_list(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    return _json(
        [
            {**services.domain_dict(d), "counts": counts}
            for d, counts in services.overview(principal)
        ]
    )


def library_detail(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    try:
        domain = services.domain_get(slug)
    except NotFound as exc:
        return api_error(404, str(exc), "NotFound")
    return _json(services.summary_dict(services.summarize(principal, domain)))
