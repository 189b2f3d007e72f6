"""``/api/v1/orgs/{org}/teams…``: an organization's teams, their members and repository roles.

Shaped after GitHub's teams API. Teams are visible to the organization's members only (an
outsider gets 404, as for a private repository); changes need an organization admin.

- ``GET|POST /api/v1/orgs/{org}/teams`` — list, or create ``{"name", "description"}``
- ``GET|DELETE /api/v1/orgs/{org}/teams/{team}``
- ``PUT|DELETE /api/v1/orgs/{org}/teams/{team}/members/{username}``
- ``PUT|DELETE /api/v1/orgs/{org}/teams/{team}/repos/{repo}`` — PUT body ``{"permission"}``
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Level, Principal, org_level
from nbopen.accounts.services import user_get
from nbopen.core.errors import DomainError, NotFound
from nbopen.core.limits import loads_object
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.orgs import teams
from nbopen.orgs.models import Organization, Team
from nbopen.orgs.services import org_get
from nbopen.repos.services import repo_find, type_param


def describe(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        # Not in Gitea's shape: the team's name in any language (Gitea clients ignore it).
        "display_name": team.display_name or team.name,
        "description": team.description,
        "members": sorted(m.user.username for m in team.members.select_related("user")),
        "repos": sorted(
            (
                {"repo": g.repository.full_name, "role": g.role}
                for g in team.grants.select_related("repository__owner")
            ),
            key=lambda g: g["repo"],
        ),
    }


def _context(request: HttpRequest, org_name: str) -> tuple[Principal, Organization] | HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to see teams")
    try:
        org = org_get(org_name)
    except NotFound:
        return api_error(404, "Organization not found")
    if not principal.is_site_admin and org.pk not in principal.org_roles():
        return api_error(404, "Organization not found")
    return principal, org


def _body(request: HttpRequest) -> dict[str, Any]:
    return loads_object(request.body)


@csrf_exempt
def team_list(request: HttpRequest, org: str) -> HttpResponse:
    """An organization's teams (GET), or create one (POST ``{"name", "description"}``)."""
    found = _context(request, org)
    if isinstance(found, HttpResponse):
        return found
    principal, organization = found
    if request.method == "GET":
        return JsonResponse({"teams": [describe(t) for t in teams.teams_of(organization)]})
    try:
        data = _body(request)
        name, description = data.get("name"), data.get("description", "")
        display_name = data.get("display_name", "")
        if not (isinstance(name, str) and isinstance(description, str)) or not isinstance(
            display_name, str
        ):
            raise ValueError("name, description and display_name must be strings")
    except ValueError as exc:
        return api_error(400, str(exc))
    try:
        team = teams.team_create(
            actor=principal,
            org=organization,
            name=name,
            description=description,
            display_name=display_name,
        )
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse(describe(team), status=201)


@csrf_exempt
def team_detail(
    request: HttpRequest, org: str, team: str, part: str = "", target: str = ""
) -> HttpResponse:
    """A team (GET, DELETE), or one of its members or repository roles (PUT, DELETE)."""
    found = _context(request, org)
    if isinstance(found, HttpResponse):
        return found
    principal, organization = found
    try:
        chosen = teams.team_get(organization, team)
        if not part:
            if request.method == "GET":
                return JsonResponse(describe(chosen))
            teams.team_delete(actor=principal, team=chosen)  # DELETE (the route takes no other)
            return JsonResponse({})
        if org_level(principal, organization) < Level.ADMIN:
            return api_error(403, f"You need to be an admin of {organization.name}")
        if part == "members":
            user = user_get(target)
            if request.method == "PUT":
                teams.team_member_add(actor=principal, team=chosen, user=user)
            else:
                teams.team_member_remove(actor=principal, team=chosen, user=user)
            return JsonResponse(describe(chosen))
        repo = repo_find(organization.name, target, type_param(request.GET.get("type")))
        if repo is None:
            return api_error(404, "Repository Not Found")
        if request.method == "DELETE":
            teams.team_repo_remove(actor=principal, team=chosen, repo=repo)
            return JsonResponse(describe(chosen))
        try:
            permission = _body(request).get("permission", "read")
        except ValueError as exc:
            return api_error(400, str(exc))
        if not isinstance(permission, str):
            return api_error(400, "permission must be read, write or admin")
        teams.team_repo_set(actor=principal, team=chosen, repo=repo, role=permission)
        return JsonResponse(describe(chosen))
    except DomainError as exc:
        return domain_error(exc)
