"""``GET /api/v1/libraries`` and ``/api/v1/libraries/{slug}``: the domain pages as JSON.

The same numbers as the pages, from :mod:`nbopen.libraries.services`, computed for the
caller: anonymous callers get aggregates of public repositories only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from nbopen.core.errors import NotFound
from nbopen.hubapi.auth import InvalidCredentials, principal_from_request
from nbopen.hubapi.errors import api_error, invalid_credentials
from nbopen.libraries import services


def _json(data: object) -> JsonResponse:
    response = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


@require_GET
def library_list(request: HttpRequest) -> HttpResponse:
    try:
        principal = principal_from_request(request)
    except InvalidCredentials:
        return invalid_credentials()
    return _json(
        [
            {**services.domain_dict(d), "counts": counts}
            for d, counts in services.overview(principal)
        ]
    )


@require_GET
def library_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        principal = principal_from_request(request)
    except InvalidCredentials:
        return invalid_credentials()
    try:
        domain = services.domain_get(slug)
    except NotFound as exc:
        return api_error(404, str(exc), "NotFound")
    return _json(services.summary_dict(services.summarize(principal, domain)))
