"""Gated repositories on the web: the page that explains how to request access (with the
card's ``extra_gated_fields`` as a form), the request itself, and the page where those with
write access accept, reject or grant (``/{repo}/settings/access-requests``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.access.policy import Level, repo_level
from nbopen.core.errors import DomainError
from nbopen.repos import access_requests
from nbopen.repos.models import AccessRequest, Repository
from nbopen.web.messages import explain
from nbopen.web.views.base import RepoAccess, page, principal, repo_access
from nbopen.web.views.browse import repo_context


def gated_page(request: HttpRequest, repo_id: int) -> HttpResponse:
    """403: the repository is gated and the visitor has no accepted request."""
    repo = Repository.objects.select_related("owner").get(pk=repo_id)
    who = principal(request)
    access = RepoAccess(repo, who, repo_level(who, repo))
    ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="files")
    ctx.update(
        {
            "gate_fields": access_requests.gate_fields(repo),
            "gate_prompt": access_requests.gate_prompt(repo),
            "request_status": access_requests.request_status(who, repo),
            "signed_in": who.is_authenticated,
        }
    )
    return page(request, "web/gated.html", ctx, status=403)


@require_POST
def ask_access(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    repo = access.repo
    if not access.who.is_authenticated:
        return redirect(f"/login?next={repo.web_path}")
    fields = {
        key: request.POST.get(f"field-{key}", "") for key in access_requests.gate_fields(repo)
    }
    try:
        made = access_requests.request_access(actor=access.who, repo=repo, fields=fields)
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        if made.status == AccessRequest.Status.ACCEPTED:
            messages.success(request, _("Access granted."))
        else:
            messages.success(request, _("Your request was sent to the repository's authors."))
    return redirect(repo.web_path)


@require_http_methods(["GET", "POST"])
def access_requests_page(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name, Level.WRITE)
    repo = access.repo
    if request.method == "POST":
        action = request.POST.get("action", "")
        username = request.POST.get("username", "").strip()
        try:
            if action == "grant":
                access_requests.grant_access(actor=access.who, repo=repo, username=username)
            elif action == "gated":
                gated = request.POST.get("gated", "")
                access_requests.set_gated(
                    actor=access.who, repo=repo, gated=gated if gated != "off" else ""
                )
            else:
                access_requests.handle_request(
                    actor=access.who, repo=repo, status=action, username=username
                )
        except DomainError as exc:
            messages.error(request, explain(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect(f"{repo.web_path}/settings/access-requests")
    ctx = repo_context(access, rev=repo.default_branch, sha=None, tab="settings")
    lists = {}
    if repo.gated:
        for status in AccessRequest.Status.values:
            lists[status] = access_requests.list_requests(
                actor=access.who, repo=repo, status=status
            )
    ctx.update({"lists": lists, "gated": repo.gated})
    return page(request, "web/access_requests.html", ctx)
