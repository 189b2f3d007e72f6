"""``GET /api/v1/search``: the search service over HTTP.

Parameters: ``q``; ``type`` (model, dataset, code, org, user); facet filters ``domain``,
``task``, ``license`` (or ``licence``), ``language``, ``hardware``, ``library``,
``org_kind``, ``owner`` — each repeatable or comma-separated (values of one filter are
alternatives, different filters must all hold); ``sort`` (relevance, trending, downloads,
likes, updated, created, name); ``page``, ``per_page``; ``facets=0`` to skip facet counts.

As in Elasticsearch, large answers are approximate and say so: ``total_relation`` is "eq"
(exact) or "gte" (more than 1,000 text matches, or 10,000 when browsing without a query;
``total`` is then a lower bound), and
``facets_relation`` is "gte" when the facet counts were taken over the best 500 matches
only (each count is then a lower bound). Private repositories the caller cannot read are
never counted either way.
Credentials are optional; what a caller sees is decided by the permission policy.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.core.errors import InvalidInput
from nbopen.hubapi.errors import api_error
from nbopen.search.code_search import search_code
from nbopen.search.services import FILTER_FIELDS, search

ALIASES = {"licence": "license", "organization_kind": "org_kind", "author": "owner"}


def _values(request: HttpRequest, name: str) -> list[str]:
    return [v for raw in request.GET.getlist(name) for v in raw.split(",") if v.strip()]


def _int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None


def search_view(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    filters: dict[str, list[str]] = {}
    for name in [*FILTER_FIELDS, *ALIASES]:
        values = _values(request, name)
        if values:
            filters.setdefault(ALIASES.get(name, name), []).extend(values)
    try:
        result = search(
            principal=principal,
            q=request.GET.get("q", ""),
            types=_values(request, "type"),
            filters=filters,
            sort=request.GET.get("sort") or "relevance",
            page=_int(request, "page", 1),
            per_page=_int(request, "per_page", _int(request, "limit", 20)),
            with_facets=request.GET.get("facets", "1") not in {"0", "false", "no"},
        )
    except InvalidInput as exc:
        return api_error(400, str(exc), "BadRequest")
    response = JsonResponse(result.as_json(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


def code_search_view(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/search/code``: file and line hits (``repo``, ``path``, ``line``,
    ``fragment``) in repositories the caller may read; ``repo``, ``owner`` and ``language``
    filter; ``page``/``limit`` paginate. ``fragment`` is escaped HTML whose only markup is
    ``<mark>`` around matching words."""
    try:
        result = search_code(
            principal=principal_from_request(request),
            q=request.GET.get("q", ""),
            repo=request.GET.get("repo", ""),
            owner=request.GET.get("owner", ""),
            language=request.GET.get("language", ""),
            page=_int(request, "page", 1),
            limit=_int(request, "limit", _int(request, "per_page", 20)),
        )
    except InvalidInput as exc:
        return api_error(400, str(exc), "BadRequest")
    response = JsonResponse(result.as_json(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response
