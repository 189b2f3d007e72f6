"""Analytics JSON endpoints. Thin: the policy decides, :mod:`nbopen.analytics.queries` reads.

Privacy (issue 7): public views are computed from public events only; a private
repository's numbers are returned only to principals who may read that repository
(``decide_repo``: 401 anonymous, 404 otherwise), and an organization's ``members`` figures
(including its private repositories) only to its members and site admins.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, Principal, decide_repo, public_repositories
from nbopen.analytics import dashboards, queries, store
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error
from nbopen.orgs.models import Organization
from nbopen.repos import services as repo_services

FORMULAS = {
    "activity": "Σ over developers of sqrt(0.5252·ic + 2.2235·oi + 4.0679·op + 0.7427·rc "
    "+ 2.0339·mp) per month (OpenDigger)",
    "openrank": "global OpenRank (OpenDigger): retention users 0.5, repos 0.3, background "
    "0.15; init = 0.85 × last month + logistic(user activity)",
    "bus_factor": "smallest number of developers holding ≥ 50 % of activity (ties included)",
    "elephant_factor": "smallest number of organizations holding ≥ 50 % of activity",
    "attention": "distinct stargazers + 2 × distinct forkers",
}


def _month(request: HttpRequest) -> str | JsonResponse | None:
    month = request.GET.get("month")
    if month is None:
        months = queries.months()
        return months[-1] if months else None
    try:
        return store.check_month(month)
    except ValueError as exc:
        return api_error(400, str(exc))


def city(request: HttpRequest) -> HttpResponse:
    principal_from_request(request)  # a stale token is an error even on public figures
    month = _month(request)
    if isinstance(month, JsonResponse):
        return month
    trend = queries.series(entity_type="city", entity_id="city")
    kinds = dashboards.organization_kinds(month)
    return JsonResponse(
        {
            "month": month,
            "months": queries.months(),
            "metrics": dashboards.latest(trend, month),
            "trend": {
                k: trend[k] for k in ("activity", "openrank", "active_developers") if k in trend
            },
            "kinds": kinds,
            "top_repositories": queries.top(
                entity_type="repo", metric="openrank", month=month or ""
            )
            if month
            else [],
            "top_developers": queries.top(entity_type="user", metric="openrank", month=month or "")
            if month
            else [],
            "top_organizations": queries.top(
                entity_type="org", metric="openrank", month=month or ""
            )
            if month
            else [],
            "collaboration": _edges(month),
            "formulas": FORMULAS,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _edges(month: str | None) -> list[dict[str, Any]]:
    """Public collaboration edges, 产学研 flagged (shared with the web dashboards)."""
    from nbopen.analytics.dashboards import collaboration_edges

    return collaboration_edges(month)


def organization(request: HttpRequest, name: str) -> HttpResponse:
    principal = principal_from_request(request)
    org = Organization.objects.filter(name__iexact=name).first()
    if org is None:
        return api_error(404, "Organization Not Found")
    month = _month(request)
    if isinstance(month, JsonResponse):
        return month
    from nbopen.analytics.dashboards import org_scope

    scope = org_scope(principal, org)
    trend = queries.series(entity_type="org", entity_id=org.name, scope=scope)
    edges = [e for e in _edges(month) if org.name in (e["source"], e["target"])]
    repos = [r.full_name for r in _public_repositories(principal, org)]
    return JsonResponse(
        {
            "organization": org.name,
            "kind": org.kind,
            "scope": scope,
            "month": month,
            "metrics": dashboards.latest(trend, month),
            "trend": trend,
            "repositories": queries.top(
                entity_type="repo",
                metric="active_developers",
                month=month or "",
                names=repos,
                limit=50,
            )
            if month
            else [],
            "partners": edges,
            "formulas": FORMULAS,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _public_repositories(principal: Principal, org: Organization) -> list[Any]:
    """Public repositories of the organization (private ones are only in ``members``
    aggregates and on their own pages)."""
    return list(public_repositories().filter(owner__organization=org))


def repository(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    principal = principal_from_request(request)
    platform = request.GET.get("platform", "nbopen")
    include_private = False
    if platform == "nbopen":
        repo = repo_services.repo_find(
            owner, name, repo_services.type_param(request.GET.get("type"))
        )
        decision = decide_repo(principal, repo, Level.READ)
        if decision is not Decision.ALLOW or repo is None:
            return repo_denied(decision)
        include_private = True  # the principal may read this repository
        entity_id = str(repo.pk)
    elif platform in {"github", "gitee"}:
        found = queries.repo_lookup(platform=platform, name=f"{owner}/{name}")
        if found is None or found[1]:
            return api_error(404, "Repository Not Found", "RepoNotFound")
        entity_id = found[0]
    else:
        return api_error(400, "platform must be nbopen, github or gitee")
    trend = queries.series(
        entity_type="repo", entity_id=entity_id, platform=platform, include_private=include_private
    )
    month = _month(request)
    if isinstance(month, JsonResponse):
        return month
    return JsonResponse(
        {
            "repository": f"{owner}/{name}",
            "platform": platform,
            "month": month,
            "metrics": dashboards.latest(trend, month),
            "trend": trend,
            "formulas": FORMULAS,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def value(request: HttpRequest) -> HttpResponse:
    """Rebuild cost and cost saved by reuse (public repositories), with the assumptions."""
    principal_from_request(request)  # a stale token is an error even on public figures
    from nbopen.analytics.value import city_value

    cost = request.GET.get("monthly_cost")
    try:
        monthly = float(cost) if cost is not None else None
    except ValueError:
        return api_error(400, "monthly_cost must be a number")
    if monthly is not None and not 0 < monthly < 1e9:
        return api_error(400, "monthly_cost must be positive")
    return JsonResponse(city_value(monthly_cost=monthly), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def registry(request: HttpRequest) -> HttpResponse:
    """The city registry: GET lists it, POST ``{platform, login, organization?}`` adds or
    updates an entry. Site administrators only (it decides what is imported). CSRF-exempt
    like the other token APIs; a browser session without a token is refused for POST."""
    from nbopen.analytics import services
    from nbopen.core.errors import DomainError, NotFound

    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "Authentication required")
    if not principal.is_site_admin:
        return api_error(403, "Only site administrators manage the city registry")
    if request.method == "GET":
        return JsonResponse(
            {
                "entries": [
                    {
                        "platform": e.platform,
                        "login": e.login,
                        "organization": e.organization.name if e.organization else None,
                    }
                    for e in services.registry_list()
                ]
            }
        )
    if principal.token is None or principal.scope == "read":
        return api_error(403, "A write token is required")
    try:
        data = loads_object(request.body)
    except BadBody as exc:
        return api_error(400, str(exc))
    if not all(isinstance(data.get(k), str) for k in ("platform", "login")):
        return api_error(400, "platform and login (strings) are required")
    organization = data.get("organization")
    if organization is not None and not isinstance(organization, str):
        return api_error(400, "organization must be a string")
    try:
        entry = services.registry_add(
            platform=data["platform"], login=data["login"], organization=organization
        )
    except NotFound as exc:
        return api_error(404, str(exc))
    except DomainError as exc:
        return api_error(400, str(exc))
    return JsonResponse(
        {
            "platform": entry.platform,
            "login": entry.login,
            "organization": entry.organization.name if entry.organization else None,
        }
    )
