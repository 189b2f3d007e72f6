"""``/standards`` and ``/standards/{number-slug}``: the open standards registry as pages.

Thin: visibility (drafts for the committee only; nothing whose repository the reader may not
read) is ``nbopen.standards.selectors``'; the document at a version is rendered through the
Markdown sanitiser.
"""

from __future__ import annotations

import posixpath
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from nbopen.access.policy import Level, repo_level, visible_repositories
from nbopen.core.errors import DomainError, InvalidInput, NotFound
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_find
from nbopen.standards import selectors, services
from nbopen.standards.models import Standard
from nbopen.web.markdown import LinkBase, render_readme
from nbopen.web.messages import explain
from nbopen.web.views.base import LoginRequired, page, principal


@require_GET
def standard_list(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    status = request.GET.get("status", "")
    standards = selectors.visible_standards(who)
    if status in Standard.Status.values:
        standards = standards.filter(status=status)
    return page(
        request,
        "web/standards.html",
        {"standards": standards[:200], "statuses": Standard.Status.choices, "status": status},
    )


def _standard_or_404(request: HttpRequest, slug: str) -> Standard:
    try:
        return selectors.standard_get(principal(request), slug)
    except NotFound:
        raise Http404("no such standard") from None


@require_GET
def standard_page(request: HttpRequest, slug: str) -> HttpResponse:
    who = principal(request)
    standard = _standard_or_404(request, slug)
    versions = services.published_versions(standard)
    version = request.GET.get("version") or (versions[-1] if versions else None)
    if version is not None and version not in versions:
        raise Http404("no such version")
    found = selectors.document_at(standard, version)
    manager = services.may_manage(who, standard.committee)
    writable: list[Repository] = []
    if who.is_authenticated and standard.status == Standard.Status.PUBLISHED:
        writable = [
            r
            for r in visible_repositories(who).filter(type=Repository.Type.CODE)[:200]
            if r.pk != standard.repository_id and repo_level(who, r) >= Level.WRITE
        ]
    context: dict[str, Any] = {
        "standard": standard,
        "versions": versions,
        "version": version,
        "document": _render(standard, found) if found else "",
        "comments": selectors.comment_counts(standard),
        "timeline": standard.transitions.all(),
        "implementations": selectors.implementations(who, standard),
        "manager": manager,
        "next_statuses": [(s, Standard.Status(s).label) for s in services.NEXT[standard.status]]
        if manager
        else [],
        "tags": services.tags(standard.repository) if manager else [],
        "writable": writable,
    }
    return page(request, "web/standard.html", context)


def _render(standard: Standard, found: tuple[str, str]) -> str:
    """The document at its revision, front matter dropped and relative links pointing into
    the repository at that same revision (sanitised like every README)."""
    rev, text = found
    repo_path = standard.repository.web_path
    directory = posixpath.dirname(standard.document)
    links = LinkBase(
        blob=f"{repo_path}/blob/{rev}",
        raw=f"{repo_path}/raw/{rev}",
        directory=directory,
    )
    return render_readme(text, links).html


@require_POST
def standard_transition(request: HttpRequest, slug: str) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    standard = _standard_or_404(request, slug)
    try:
        services.standard_transition(
            actor=who,
            standard=standard,
            to=request.POST.get("to", ""),
            version=request.POST.get("version", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/standards/{standard.slug}")


@require_POST
def standard_implement(request: HttpRequest, slug: str) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        raise LoginRequired
    standard = _standard_or_404(request, slug)
    full = request.POST.get("repository", "")
    owner, _, name = full.partition("/")
    try:
        if "\x00" in full:
            raise InvalidInput("Text may not contain NUL characters")
        repo = repo_find(owner, name) if owner and name else None
        if repo is None:
            raise NotFound("Repository %(repo)s not found", repo=full)
        services.implementation_declare(
            actor=who,
            standard=standard,
            repository=repo,
            version=request.POST.get("version", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(f"/standards/{standard.slug}")
