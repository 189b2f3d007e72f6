"""``/api/v1/incubator/…``: incubating projects, their maturity, reports and votes.

Gitea-shaped lists (array, ``page``/``limit``, ``X-Total-Count``, ``Link``). An application
the caller may not read is 404, like a private repository; a step out of order is 409. The
maturity is measured over the repositories the caller may read, as on the page.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.hubapi.v1.calls import ApiView, _json, _paged
from nbopen.hubapi.v1.calls import _body as _raw_body
from nbopen.incubator import selectors, services
from nbopen.incubator.errors import InvalidStep
from nbopen.incubator.models import Ballot, Project
from nbopen.orgs.services import org_get
from nbopen.orgs.teams import team_get
from nbopen.repos.services import repo_find


def api_view(view: ApiView) -> ApiView:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        principal = principal_from_request(request)
        if request.method not in ("GET", "HEAD") and not principal.is_authenticated:
            return api_error(401, "You must be authenticated to do this")
        try:
            return view(request, principal, *args, **kwargs)
        except InvalidStep as exc:
            return api_error(409, str(exc), code=exc.code)
        except DomainError as exc:
            return domain_error(exc)

    return wrapper


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object of the request; text with NUL (which no database column stores) is
    refused here, once, for every field."""
    data = _raw_body(request)
    if _has_nul(data):
        raise InvalidInput("Text may not contain NUL characters")
    return data


def describe(project: Project, principal: Principal, *, full: bool = False) -> dict[str, Any]:
    repos = selectors.readable_repositories(principal, project)
    data: dict[str, Any] = {
        "id": project.pk,
        "slug": project.slug,
        "name": project.name,
        "description": project.description,
        "state": project.state,
        "organization": project.organization.name if project.organization else None,
        "repositories": [r.full_name for r in repos],
        "mentors": sorted(m.username for m in project.mentors.all()),
        "whole_organization": project.whole_organization,
        "team": project.team.name if project.team else None,
        "html_url": f"/incubator/{project.slug}",
        "created_at": project.created_at.isoformat(),
        "accepted_at": project.accepted_at.isoformat() if project.accepted_at else None,
    }
    if full:
        evidence, items = selectors.maturity_of(principal, project)
        data["maturity"] = {
            "evidence": evidence.as_json(),
            "items": [i.as_json() for i in items],
        }
        data["timeline"] = [
            {
                "from": t.from_state,
                "to": t.to_state,
                "actor": t.actor_name,
                "at": t.at.isoformat(),
                "note": t.note,
            }
            for t in project.transitions.all()
        ]
        data["ballots"] = [describe_ballot(b) for b in project.ballots.all()]
    return data


def describe_ballot(ballot: Ballot) -> dict[str, Any]:
    return {
        "id": ballot.pk,
        "kind": ballot.kind,
        "result": ballot.result,
        "opened_by": ballot.opened_by,
        "opened_at": ballot.opened_at.isoformat(),
        "closed_at": ballot.closed_at.isoformat() if ballot.closed_at else None,
        "tally": {"yes": ballot.yes, "no": ballot.no, "abstain": ballot.abstain},
        "votes": [
            {"voter": v.voter.username, "value": v.value, "note": v.note, "at": v.at.isoformat()}
            for v in ballot.votes.select_related("voter")
        ],
    }


def _repos(names: Any) -> list[Any]:
    if not isinstance(names, list) or not all(isinstance(n, str) and "/" in n for n in names):
        raise InvalidInput("repositories must be a list of owner/name")
    found = []
    for full in names:
        owner, _, name = full.partition("/")
        repo = repo_find(owner, name)
        if repo is None:
            raise NotFound("Repository %(repo)s not found", repo=full)
        found.append(repo)
    return found


@api_view
def project_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Incubating, graduated and retired projects, and the caller's own applications (GET;
    ``state``), or apply (POST ``{"slug", "name", "description", "repositories":
    ["owner/name"], "organization", "whole_organization": bool, "team"}``: listed
    repositories, a whole organization, or a group = one of the organization's teams)."""
    if request.method == "POST":
        data = _body(request)
        org_name = data.get("organization")
        org = org_get(org_name) if isinstance(org_name, str) and org_name else None
        team_name = data.get("team")
        team = None
        if isinstance(team_name, str) and team_name:
            if org is None:
                raise InvalidInput("team needs its organization")
            team = team_get(org, team_name)
        project = services.project_apply(
            actor=principal,
            slug=str(data.get("slug") or ""),
            name=str(data.get("name") or ""),
            description=str(data.get("description") or ""),
            repositories=_repos(data.get("repositories", [])),
            organization=org,
            whole_organization=data.get("whole_organization") is True,
            team=team,
        )
        return _json(describe(project, principal), status=201)
    projects = selectors.visible_projects(principal)
    if state := request.GET.get("state"):
        projects = projects.filter(state=state)
    return _paged(request, list(projects), lambda p: describe(p, principal))


@api_view
def project_detail(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """A project with its maturity (each item met / not met / unknown, with the measured
    evidence or a mentor's note), timeline and votes."""
    return _json(describe(selectors.project_get(principal, slug), principal, full=True))


@api_view
def project_accept(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """Operators: accept an application with mentors (``{"mentors": ["user"], "note"}``) or
    decline it (``{"decline": true, "note"}``)."""
    project = selectors.project_get(principal, slug)
    data = _body(request)
    note = str(data.get("note") or "")
    if data.get("decline") is True:
        project = services.project_decline(actor=principal, project=project, note=note)
    else:
        names = data.get("mentors")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidInput("mentors must be a list of user names")
        mentors = list(User.objects.filter(username__in=names))
        if len(mentors) != len(set(names)):
            raise NotFound("Some mentors are not users of this platform")
        project = services.project_accept(
            actor=principal, project=project, mentors=mentors, note=note
        )
    return _json(describe(project, principal, full=True))


@api_view
def project_reports(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """The project's quarterly reports (GET), or file one (POST ``{"period": "2026-Q4",
    "body"}``; the same period again replaces it)."""
    project = selectors.project_get(principal, slug)
    if request.method == "POST":
        data = _body(request)
        report = services.report_file(
            actor=principal,
            project=project,
            period=str(data.get("period") or ""),
            body=str(data.get("body") or ""),
        )
        return _json(_report(report), status=201)
    return _paged(request, list(project.reports.select_related("author")), _report)


def _report(report: Any) -> dict[str, Any]:
    return {
        "id": report.pk,
        "period": report.period,
        "body": report.body,
        "author": report.author.username if report.author else None,
        "created_at": report.created_at.isoformat(),
    }


@api_view
def project_item(request: HttpRequest, principal: Principal, slug: str, item: str) -> HttpResponse:
    """Mentors: mark a maturity item (``{"status": "met"|"not_met"|"unknown"|"measured",
    "note"}``; ``measured`` drops the override)."""
    project = selectors.project_get(principal, slug)
    data = _body(request)
    services.item_override(
        actor=principal,
        project=project,
        item=item,
        status=str(data.get("status") or ""),
        note=str(data.get("note") or ""),
    )
    return _json(describe(project, principal, full=True))


@api_view
def project_ballots(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """The project's votes (GET), or open one (POST ``{"kind": "graduate"|"retire"}``,
    operators)."""
    project = selectors.project_get(principal, slug)
    if request.method == "POST":
        kind = _body(request).get("kind")
        ballot = services.ballot_open(actor=principal, project=project, kind=str(kind or ""))
        return _json(describe_ballot(ballot), status=201)
    return _paged(request, list(project.ballots.all()), describe_ballot)


def _ballot(principal: Principal, slug: str, ballot_id: int) -> Ballot:
    project = selectors.project_get(principal, slug)
    ballot = project.ballots.filter(pk=ballot_id).first()
    if ballot is None:
        raise NotFound("Vote not found")
    return ballot


@api_view
def ballot_vote(
    request: HttpRequest, principal: Principal, slug: str, ballot_id: int
) -> HttpResponse:
    """Mentors and operators: cast (or change) a vote, ``{"value": 1|0|-1, "note"}``."""
    ballot = _ballot(principal, slug, ballot_id)
    data = _body(request)
    value = data.get("value")
    if not isinstance(value, int):
        raise InvalidInput("value must be 1, 0 or -1")
    services.vote_cast(
        actor=principal, ballot=ballot, value=value, note=str(data.get("note") or "")
    )
    return _json(describe_ballot(ballot))


@api_view
def ballot_close(
    request: HttpRequest, principal: Principal, slug: str, ballot_id: int
) -> HttpResponse:
    """Operators: close a vote; the result is computed from the recorded votes and a passed
    vote graduates or retires the project."""
    ballot = services.ballot_close(actor=principal, ballot=_ballot(principal, slug, ballot_id))
    return _json(describe_ballot(ballot))
