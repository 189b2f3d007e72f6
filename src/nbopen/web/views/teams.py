"""``/{org}/teams/{team}``: an organization's teams, for its members; admins manage them."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nbopen.access.policy import Level, Principal, org_level
from nbopen.core.errors import DomainError, NotFound
from nbopen.core.names import is_well_formed
from nbopen.orgs import teams
from nbopen.orgs.models import Organization, Team
from nbopen.orgs.services import org_get
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_find
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal
from nbopen.web.views.members import find_user


def _org_for_member(request: HttpRequest, owner: str) -> tuple[Principal, Organization]:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    try:
        org = org_get(owner)
    except NotFound:
        raise Http404("no such organization") from None
    if not who.is_site_admin and org.pk not in who.org_roles():
        raise Http404("no such organization")
    return who, org


def _team(org: Organization, name: str) -> Team:
    try:
        return teams.team_get(org, name)
    except NotFound:
        raise Http404("no such team") from None


@require_GET
def team_page(request: HttpRequest, owner: str, team: str) -> HttpResponse:
    who, org = _org_for_member(request, owner)
    chosen = _team(org, team)
    granted = {g.repository_id for g in chosen.grants.all()}
    return page(
        request,
        "web/team.html",
        {
            "org": org,
            "team": chosen,
            "members": chosen.members.select_related("user").order_by("user__username"),
            "grants": chosen.grants.select_related("repository__owner").order_by(
                "repository__name_lower"
            ),
            "other_repos": Repository.objects.filter(owner__organization=org)
            .exclude(pk__in=granted)
            .order_by("name_lower"),
            "is_admin": org_level(who, org) >= Level.ADMIN,
            "roles": ["read", "write", "admin"],
        },
    )


def _act(
    request: HttpRequest, owner: str, team: str, action: Callable[[Principal, Team], str]
) -> HttpResponse:
    who, org = _org_for_member(request, owner)
    chosen = _team(org, team)
    try:
        done = action(who, chosen)
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, done)
        if request.resolver_match and request.resolver_match.url_name == "team-delete":
            return redirect(f"/{org.name}")
    return redirect(f"/{org.name}/teams/{chosen.name}")


@require_POST
def team_create(request: HttpRequest, owner: str) -> HttpResponse:
    who, org = _org_for_member(request, owner)
    # One "name" box takes either a slug ("crew") or a name in any language ("数据标注组");
    # the latter becomes the display name, with the slug typed beside it or generated.
    name = request.POST.get("name", "").strip()
    slug = request.POST.get("slug", "").strip()
    display = ""
    if not slug and not is_well_formed(name):
        display, name = name, ""
    elif slug:
        display, name = name, slug
    try:
        created = teams.team_create(
            actor=who,
            org=org,
            name=name,
            display_name=display,
            description=request.POST.get("description", ""),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
        return redirect(f"/{org.name}")
    label = created.display_name or created.name
    messages.success(request, _("Team %(team)s was created.") % {"team": label})
    return redirect(f"/{org.name}/teams/{created.name}")


@require_POST
def member_add(request: HttpRequest, owner: str, team: str) -> HttpResponse:
    username = request.POST.get("username", "").strip()

    def act(who: Principal, chosen: Team) -> str:
        teams.team_member_add(actor=who, team=chosen, user=find_user(username))
        return _("%(user)s joined the team.") % {"user": username}

    return _act(request, owner, team, act)


@require_POST
def member_remove(request: HttpRequest, owner: str, team: str) -> HttpResponse:
    username = request.POST.get("username", "").strip()

    def act(who: Principal, chosen: Team) -> str:
        teams.team_member_remove(actor=who, team=chosen, user=find_user(username))
        return _("%(user)s was removed.") % {"user": username}

    return _act(request, owner, team, act)


def _repo(chosen: Team, name: str) -> Repository:
    # "datasets/name" names the dataset when a model of the same name exists.
    dataset = name.startswith("datasets/")
    repo = repo_find(
        chosen.organization.name,
        name.removeprefix("datasets/"),
        Repository.Type.DATASET if dataset else None,
    )
    if repo is None:
        raise NotFound(f"No repository {name!r}")
    return repo


@require_POST
def repo_set(request: HttpRequest, owner: str, team: str) -> HttpResponse:
    name, role = request.POST.get("repo", ""), request.POST.get("role", "read")

    def act(who: Principal, chosen: Team) -> str:
        teams.team_repo_set(actor=who, team=chosen, repo=_repo(chosen, name), role=role)
        return _("Saved.")

    return _act(request, owner, team, act)


@require_POST
def repo_remove(request: HttpRequest, owner: str, team: str) -> HttpResponse:
    name = request.POST.get("repo", "")

    def act(who: Principal, chosen: Team) -> str:
        teams.team_repo_remove(actor=who, team=chosen, repo=_repo(chosen, name))
        return _("Saved.")

    return _act(request, owner, team, act)


@require_POST
def team_delete(request: HttpRequest, owner: str, team: str) -> HttpResponse:
    def act(who: Principal, chosen: Team) -> str:
        name = chosen.name
        teams.team_delete(actor=who, team=chosen)
        return _("Team %(team)s was deleted.") % {"team": name}

    return _act(request, owner, team, act)
