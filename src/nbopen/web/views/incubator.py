"""``/incubator`` and ``/incubator/{slug}``: incubating projects and their maturity pages.

Thin: what a reader sees and may do is ``nbopen.incubator``'s (selectors and services); the
maturity is measured over the repositories the reader may read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from nbopen.access.policy import is_operator
from nbopen.accounts.models import User
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.incubator import maturity, selectors, services
from nbopen.incubator.models import Ballot, ItemOverride, Project
from nbopen.orgs.services import org_get
from nbopen.orgs.teams import team_get
from nbopen.repos.services import repo_find
from nbopen.web.markdown import render_markdown
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    state = request.GET.get("state", "")
    projects = selectors.visible_projects(who)
    if state in Project.State.values:
        projects = projects.filter(state=state)
    return page(
        request,
        "web/incubator.html",
        {"projects": projects[:200], "states": Project.State.choices, "state": state},
    )


def _project_or_404(request: HttpRequest, slug: str) -> Project:
    try:
        return selectors.project_get(principal(request), slug)
    except NotFound:
        raise Http404("no such project") from None


@require_GET
def project_page(request: HttpRequest, slug: str) -> HttpResponse:
    who = principal(request)
    project = _project_or_404(request, slug)
    evidence, items = selectors.maturity_of(who, project)
    areas = [
        {"code": code, "name": name, "items": [i for i in items if i.area == code]}
        for code, name in maturity.AREAS
    ]
    mentor = services.is_mentor(who, project)
    operator = is_operator(who)
    context: dict[str, Any] = {
        "project": project,
        "description": render_markdown(project.description),
        "repositories": selectors.readable_repositories(who, project),
        "mentors": project.mentors.all(),
        "evidence": evidence,
        "areas": areas,
        "counts": {
            s: sum(1 for i in items if i.status == s) for s in ("met", "not_met", "unknown")
        },
        "reports": [
            {"r": r, "html": render_markdown(r.body)}
            for r in project.reports.select_related("author")
        ],
        "timeline": project.transitions.all(),
        "ballots": project.ballots.prefetch_related("votes__voter"),
        "mentor": mentor,
        "operator": operator,
        "can_report": services.may_report(who, project)
        and project.state == Project.State.INCUBATING,
        "item_ids": list(maturity.ITEMS),
        "statuses": ItemOverride.Status.choices,
        "ballot_kinds": Ballot.Kind.choices,
    }
    return page(request, "web/incubator_project.html", context)


def _nul_free(request: HttpRequest) -> None:
    if any("\x00" in v for values in request.POST.lists() for v in values[1]):
        raise InvalidInput("Text may not contain NUL characters")


def _post(request: HttpRequest, slug: str, action: Any) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    project = _project_or_404(request, slug)
    try:
        _nul_free(request)
        action(who, project)
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/incubator/{project.slug}")


@require_POST
def project_apply(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    try:
        _nul_free(request)
        repos = []
        for full in request.POST.get("repositories", "").split():
            owner, _, name = full.partition("/")
            repo = repo_find(owner, name) if owner and name else None
            if repo is None:
                raise NotFound("Repository %(repo)s not found", repo=full)
            repos.append(repo)
        org_name = request.POST.get("organization", "").strip()
        org = org_get(org_name) if org_name else None
        team_name = request.POST.get("team", "").strip()
        if team_name and org is None:
            raise InvalidInput("team needs its organization")
        project = services.project_apply(
            actor=who,
            slug=request.POST.get("slug", ""),
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            repositories=repos,
            organization=org,
            whole_organization=request.POST.get("whole_organization") == "on",
            team=team_get(org, team_name) if team_name and org is not None else None,
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
        return redirect("/incubator")
    return redirect(f"/incubator/{project.slug}")


@require_POST
def project_accept(request: HttpRequest, slug: str) -> HttpResponse:
    def act(who: Any, project: Project) -> None:
        note = request.POST.get("note", "")
        if request.POST.get("decision") == "decline":
            services.project_decline(actor=who, project=project, note=note)
            return
        names = request.POST.get("mentors", "").replace(",", " ").split()
        mentors = list(User.objects.filter(username__in=names))
        if len(mentors) != len(set(names)):
            raise InvalidInput("Some mentors are not users of this platform")
        services.project_accept(actor=who, project=project, mentors=mentors, note=note)

    return _post(request, slug, act)


@require_POST
def project_report(request: HttpRequest, slug: str) -> HttpResponse:
    return _post(
        request,
        slug,
        lambda who, project: services.report_file(
            actor=who,
            project=project,
            period=request.POST.get("period", ""),
            body=request.POST.get("body", ""),
        ),
    )


@require_POST
def project_override(request: HttpRequest, slug: str) -> HttpResponse:
    return _post(
        request,
        slug,
        lambda who, project: services.item_override(
            actor=who,
            project=project,
            item=request.POST.get("item", ""),
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        ),
    )


@require_POST
def project_vote(request: HttpRequest, slug: str) -> HttpResponse:
    def act(who: Any, project: Project) -> None:
        what = request.POST.get("action", "")
        if what == "open":
            services.ballot_open(actor=who, project=project, kind=request.POST.get("kind", ""))
            return
        ballot = project.ballots.filter(result=Ballot.Result.OPEN).first()
        if ballot is None:
            raise NotFound("Vote not found")
        if what == "close":
            services.ballot_close(actor=who, ballot=ballot)
            return
        try:
            value = int(request.POST.get("value", ""))
        except ValueError:
            raise InvalidInput("A vote is +1, 0 or -1") from None
        services.vote_cast(actor=who, ballot=ballot, value=value, note=request.POST.get("note", ""))

    return _post(request, slug, act)
