"""``GET /api/v1/search/suggest?q=``: instant suggestions for the header search box.

The search service's prefix query (the last word is matched as a prefix while typing),
without facets, with the caller's privacy applied inside the query like every search.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.core.errors import InvalidInput
from nbopen.hubapi.errors import api_error
from nbopen.search.services import suggest

MAX_LIMIT = 20


def suggest_view(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    q = request.GET.get("q", "")
    try:
        limit = int(request.GET.get("limit") or 8)
    except ValueError:
        return api_error(400, "limit must be an integer", "BadRequest")
    if not 1 <= limit <= MAX_LIMIT:
        return api_error(400, f"limit must be between 1 and {MAX_LIMIT}", "BadRequest")
    try:
        hits = suggest(principal=principal, q=q, limit=limit)
    except InvalidInput as exc:
        return api_error(400, str(exc), "BadRequest")
    response = JsonResponse(
        {
            "q": q,
            "results": [
                {
                    "type": h.type,
                    "id": h.id,
                    "title": h.title,
                    "description": h.description[:140],
                    "url": h.web_path,
                }
                for h in hits
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response
