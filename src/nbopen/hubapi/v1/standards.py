"""``/api/v1/standards…``: the open standards registry as JSON.

Gitea-shaped lists. A draft is answered 404 to anyone outside its committee, as is any
standard whose repository the caller may not read; implementers the caller may not read are
left out. A status change out of order is 409. The document is returned as Markdown (the page
renders it through the Markdown sanitiser).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Principal
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.hubapi.v1.calls import ApiView, _json, _paged
from nbopen.hubapi.v1.incubator import _body
from nbopen.orgs.services import org_get
from nbopen.repos.services import repo_find
from nbopen.standards import selectors, services
from nbopen.standards.errors import InvalidStatus
from nbopen.standards.models import Implementation, Standard


def api_view(view: ApiView) -> ApiView:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        principal = principal_from_request(request)
        if request.method not in ("GET", "HEAD") and not principal.is_authenticated:
            return api_error(401, "You must be authenticated to do this")
        try:
            return view(request, principal, *args, **kwargs)
        except InvalidStatus as exc:
            return api_error(409, str(exc), code=exc.code)
        except DomainError as exc:
            return domain_error(exc)

    return wrapper


def describe(standard: Standard, principal: Principal, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": standard.pk,
        "number": standard.number,
        "slug": standard.slug,
        "title": standard.title,
        "status": standard.status,
        "committee": standard.committee.name,
        "industries": standard.industries,
        "repository": standard.repository.full_name,
        "document": standard.document,
        "versions": services.published_versions(standard),
        "html_url": f"/standards/{standard.slug}",
        "created_at": standard.created_at.isoformat(),
    }
    if full:
        data["comments"] = selectors.comment_counts(standard).as_json()
        data["timeline"] = [
            {
                "from": t.from_status,
                "to": t.to_status,
                "version": t.version,
                "actor": t.actor_name,
                "at": t.at.isoformat(),
                "note": t.note,
            }
            for t in standard.transitions.all()
        ]
        data["implementations"] = [
            describe_implementation(i) for i in selectors.implementations(principal, standard)
        ]
    return data


def describe_implementation(row: Implementation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "version": row.version,
        "repository": row.repository.full_name,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
    }


def _repo(full: Any) -> Any:
    if not isinstance(full, str) or "/" not in full:
        raise InvalidInput("repository must be owner/name")
    owner, _, name = full.partition("/")
    repo = repo_find(owner, name)
    if repo is None:
        raise NotFound("Repository %(repo)s not found", repo=full)
    return repo


@api_view
def standard_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Standards the caller may read (GET; ``status``, ``industry``), or register one (POST
    ``{"repository": "owner/name", "number", "title", "committee", "industries",
    "document"}``; it starts as a draft)."""
    if request.method == "POST":
        data = _body(request)
        committee = data.get("committee")
        if not isinstance(committee, str):
            raise InvalidInput("committee must be an organization name")
        standard = services.standard_create(
            actor=principal,
            repository=_repo(data.get("repository")),
            number=str(data.get("number") or ""),
            title=str(data.get("title") or ""),
            committee=org_get(committee),
            industries=data.get("industries"),
            document=str(data.get("document") or "README.md"),
        )
        return _json(describe(standard, principal), status=201)
    standards = selectors.visible_standards(principal)
    if status := request.GET.get("status"):
        standards = standards.filter(status=status)
    found = list(standards)
    if industry := request.GET.get("industry"):
        found = [s for s in found if industry in s.industries]
    return _paged(request, found, lambda s: describe(s, principal))


@api_view
def standard_detail(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """A standard with its timeline, comment counts and the implementers the caller may read."""
    return _json(describe(selectors.standard_get(principal, slug), principal, full=True))


@api_view
def standard_transition(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """Committee admins: move the status (``{"to", "version", "note"}``); publishing names a
    tag of the repository as ``version``."""
    standard = selectors.standard_get(principal, slug)
    data = _body(request)
    to = data.get("to")
    if not isinstance(to, str):
        raise InvalidInput("to must be a status")
    standard = services.standard_transition(
        actor=principal,
        standard=standard,
        to=to,
        version=str(data.get("version") or ""),
        note=str(data.get("note") or ""),
    )
    return _json(describe(standard, principal, full=True))


@api_view
def standard_document(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """The document (Markdown) at a published version (``version``; default the newest)."""
    standard = selectors.standard_get(principal, slug)
    versions = services.published_versions(standard)
    version = request.GET.get("version") or (versions[-1] if versions else None)
    if version is not None and version not in versions:
        raise NotFound("Version not found")
    found = selectors.document_at(standard, version)
    if found is None:
        raise NotFound("Document not found")
    return _json({"version": version, "path": standard.document, "markdown": found[1]})


@api_view
def standard_implementations(request: HttpRequest, principal: Principal, slug: str) -> HttpResponse:
    """Implementations the caller may read (GET), or declare one (POST ``{"repository",
    "version", "note"}``; needs write access to that repository)."""
    standard = selectors.standard_get(principal, slug)
    if request.method == "POST":
        data = _body(request)
        row = services.implementation_declare(
            actor=principal,
            standard=standard,
            repository=_repo(data.get("repository")),
            version=str(data.get("version") or ""),
            note=str(data.get("note") or ""),
        )
        return _json(describe_implementation(row), status=201)
    return _paged(request, selectors.implementations(principal, standard), describe_implementation)
